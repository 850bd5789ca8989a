"""sympy loads only when a formula is written: numbers never wait for it.

sympy writes every formula chainrule prints (a closed form such as
4.5w − 2.4, a local derivative such as 2(a − y), a node named by its formula),
and importing it costs about half a second here and more in the browser
(issue 26). So ``chainrule.explainer.symbolic`` is the one module that imports
sympy at its top, and every other module imports it (or ``symbolic``) inside
the function that writes a formula. These tests run in fresh interpreters:
with sympy and mpmath blocked, every other module imports and the numbers
(each lesson's graph and its gradients, the static explorer's limits and
parameters) come out; with sympy there, it is still not loaded until a
closed form is asked for, and then it is.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

BLOCK_SYMPY = textwrap.dedent("""
    import importlib.abc, sys

    class Blocked(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in {"sympy", "mpmath"}:
                raise ImportError(f"{name} is blocked: numbers must not need it")

    sys.meta_path.insert(0, Blocked())
""")

NUMBERS_WITHOUT_SYMPY = BLOCK_SYMPY + textwrap.dedent("""
    import importlib, json, pkgutil
    import chainrule
    from chainrule import lessons
    from chainrule.scalar import Value

    failed = {}
    for module in pkgutil.walk_packages(chainrule.__path__, "chainrule."):
        try:
            importlib.import_module(module.name)
        except ImportError as exc:
            failed[module.name] = str(exc)
    gradients = {}
    for name in lessons.LESSONS:
        cost = lessons.load(name).graph()
        gradients[name] = [node.grad for node in cost.nodes() if isinstance(node, Value)]
    from chainrule.static_explorer.answers import answer
    statuses = [answer("GET", "/api/limits")[0]]
    statuses += [answer("GET", f"/api/lessons/{name}/params")[0] for name in lessons.LESSONS]
    print(json.dumps({"failed": failed, "gradients": gradients, "statuses": statuses,
                      "sympy": "sympy" in sys.modules}))
""")


def _run(script: str) -> dict:
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_every_module_but_symbolic_imports_and_every_number_comes_out_with_sympy_blocked():
    out = _run(NUMBERS_WITHOUT_SYMPY)
    assert set(out["failed"]) == {"chainrule.explainer.symbolic"}, out["failed"]
    assert "sympy is blocked" in out["failed"]["chainrule.explainer.symbolic"]
    simplest = out["gradients"]["simplest"]
    assert any(abs(g - 1.2) < 1e-12 for g in simplest)  # ∂C/∂w = 4.5·0.8 − 2.4 at the video's numbers
    assert all(out["gradients"].values())
    assert out["statuses"] and set(out["statuses"]) == {200}
    assert out["sympy"] is False


LOADED_WHEN_ASKED = textwrap.dedent("""
    import json, sys
    from chainrule.static_explorer.answers import answer
    from chainrule.lessons import simplest

    seen = {"import": "sympy" in sys.modules}
    answer("GET", "/api/limits"), answer("GET", "/api/lessons/simplest/params")
    simplest.network(1.5, 0.8, 0.8)
    seen["numbers"] = "sympy" in sys.modules
    status, text = answer("POST", "/api/simplest", json.dumps({"input": 2, "weight": 0.3, "target": 1}))
    seen["closed form"] = "sympy" in sys.modules
    seen["answer"] = [status, json.loads(text)["gradient_pretty"]]
    print(json.dumps(seen))
""")


def test_sympy_is_loaded_when_the_closed_form_is_asked_and_not_before():
    seen = _run(LOADED_WHEN_ASKED)
    assert (seen["import"], seen["numbers"], seen["closed form"]) == (False, False, True)
    assert seen["answer"] == [200, "8w − 4"]  # ∂C/∂w = 2i²w − 2iy with i = 2, y = 1
