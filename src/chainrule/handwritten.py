"""Check a backward pass written by hand: ``check_function(forward, grad, at=params)``.

A learner writes two functions of a dict of parameters,

    def forward(params):            # the cost
        a = 1.5 * params["w"]
        return (a - 0.8) ** 2

    def grad(params):               # their own backward pass: dC/d(each parameter)
        a = 1.5 * params["w"]
        return {"w": 2 * (a - 0.8) * 1.5}

and chainrule judges ``grad`` against two references:

* its own backprop of ``forward``: ``forward`` is called with ``Value``\\ s in
  place of the numbers (a parameter may be a number, a list of lists or a
  numpy array), so the graph is the learner's own computation, and
  ``backward()`` gives every gradient, each as the chain rule's sum over the
  edges leaving the parameter (∂C/∂z¹₁ · x₁ = δ¹₁·x₁);
* central finite differences (C(p + h) − C(p − h)) / 2h with plain floats,
  which need nothing but ``forward`` (and catch a ``forward`` that hides
  part of its computation from the graph, such as ``math.exp`` on a
  ``Value``: then backprop and the differences disagree, and the
  differences are the reference).

Each entry agrees when |yours − reference| ≤ tolerance·(1 + |reference|).

Wrong entries are explained by their cause, not listed as symptoms
(``HandCheck.causes``). One mistake in a backward pass usually spoils every
gradient below it: a sign flipped at ∂C/∂a flips all nine weights of the
layers under a, and a σ′(z) left out makes ∂C/∂w and ∂C/∂b both 1/σ′(z)
times too large. So

* where the forward ran on ``Value``\\ s, the learner's numbers are compared
  with the graph edge by edge, from the cost down
  (``chainrule.explainer.wrong_edge``): the first edge whose mistake (a
  factor missing or twice, a flipped sign, a factor 2, a path left out)
  predicts every wrong number is named once, with its factor and value
  ("your ∂C/∂z lacks σ′(z) = 0.168"); so is one slip in a rule used at many
  nodes (tanh′ left out of a whole layer), or two mistakes that only
  together give the numbers; intermediate nodes carry the names of the
  forward's own variables (``z``, ``a``), read from its frame as it returns;
* where the forward hid its work (``math.exp``, numpy on floats), or for what
  the edges leave unexplained, the ratios yours/reference are read
  (``chainrule.explainer.causes``): entries of one ratio share one factor,
  named when a local derivative of the forward at its own numbers (σ′(z),
  found because a = σ(z) among its variables, 2(a − y), an input) equals it
  or its inverse to 1e-6.

What no cause explains is named entry by entry, with the product backprop
computed for it and, where the numbers allow, what probably went wrong: a
factor 2, a flipped sign, a path left out or counted twice (``paths`` of the
chain rule: the products of local derivatives along each path, whose sum is
the gradient), a matrix transposed.

``check_file(path, "grad")`` does the same for a file, running it as the
user's own code in a separate process with a time limit (``TIME_LIMIT``) and
a memory limit: a crash or a hang in it is reported in one line
(``HandwrittenCodeError``), never as a traceback of chainrule's.
"""

from __future__ import annotations

import copy
import json
import math
import numbers
import os
import sys
import tempfile
import types
from dataclasses import asdict, dataclass, field

from .errors import InvalidValueError
from .explainer.causes import Cause, number_factors, ratio_causes
from .explainer.wrong_edge import graph_causes, graph_factors
from .user_code import UserCodeError, clean, limit_resources, load, run_worker, user_error

__all__ = ["check_function", "check_file", "HandCheck", "Entry", "Cause", "HandwrittenCodeError", "TIME_LIMIT", "H"]

H = 1e-6  # the finite-difference step
TIME_LIMIT = 30.0  # seconds for the user's file, start-up included
MAX_ENTRIES = 10_000  # numbers in the parameters: finite differences call forward twice for each
MAX_EXPLAINED = 20  # wrong entries explained with their chain-rule products (the rest are only listed)
_AGREE_FD = 1e-5  # backprop and finite differences agree to this relative size (the differences are O(h²) off)
MAX_NUMBERS = 48  # the forward's numbers searched for local derivatives (pairs and triples of them are tried)
MAX_ARRAY = 16  # an array of the forward's with at most this many numbers is read entry by entry


class HandwrittenCodeError(InvalidValueError):
    """The user's file or functions could not be run to the end (one line says why)."""


@dataclass
class Entry:
    """One number of the gradient: yours, backprop's, the finite differences', and what is wrong if it is."""

    name: str  # "w", "W1[0][1]"
    given: float | None  # None: your grad gave no number here
    backprop: float | None  # None: chainrule could not backprop your forward
    numeric: float
    reference: float
    ok: bool
    expected: str = ""  # "∂C/∂z¹₁ · x₁ = 0.0499 · 1.5"
    diagnosis: str = ""  # what is wrong with this entry alone, where no cause explains it
    cause: int | None = None  # the index of the cause (HandCheck.causes) that explains it

    def line(self) -> str:
        """The sentence for a wrong entry."""
        given = "no number here" if self.given is None else _short(self.given)
        ref = "backprop gives" if self.backprop is not None and self.reference == self.backprop else \
            "finite differences give"
        text = f"∂C/∂{self.name}: you gave {given}, {ref} {_short(self.reference)}"
        if self.expected:
            text += f" = {self.expected}"
        if self.diagnosis:
            text += f"; {self.diagnosis}"
        return text


@dataclass
class HandCheck:
    """The verdict on a hand-written gradient: one ``Entry`` per number, ``ok`` when every one agrees."""

    cost: float
    entries: list[Entry]
    tolerance: float
    notes: list[str] = field(default_factory=list)
    causes: list[Cause] = field(default_factory=list)  # each mistake once, with the entries it explains

    @property
    def ok(self) -> bool:
        return bool(self.entries) and all(e.ok for e in self.entries)

    def __bool__(self) -> bool:
        return self.ok

    def to_json(self) -> dict:
        return {"ok": self.ok, "cost": self.cost, "tolerance": self.tolerance, "h": H, "notes": self.notes,
                "causes": [asdict(c) for c in self.causes], "entries": [asdict(e) for e in self.entries]}

    @classmethod
    def from_json(cls, data: dict) -> "HandCheck":
        return cls(data["cost"], [Entry(**e) for e in data["entries"]], data["tolerance"], list(data["notes"]),
                   [Cause(**c) for c in data["causes"]])

    def why(self, entry: Entry) -> str:
        """Why an entry is wrong: the cause that explains it, else its own diagnosis ("" if none is known)."""
        return self.causes[entry.cause].text if entry.cause is not None else entry.diagnosis

    def lines(self) -> list[str]:
        rows = [(e.name, "—" if e.given is None else _short(e.given),
                 "—" if e.backprop is None else _short(e.backprop), _short(e.numeric), "ok" if e.ok else "WRONG")
                for e in self.entries]
        head = ("entry", "you gave", "backprop", "finite differences", "")
        widths = [max(len(r[i]) for r in rows + [head]) for i in range(5)]
        out = [f"cost C = {_short(self.cost)} at your parameters", *self.notes, ""]
        out += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
                for r in [head] + rows]
        wrong = [e for e in self.entries if not e.ok]
        if wrong:
            out.append("")
            for k, cause in enumerate(self.causes):
                name = "the cause" if len(self.causes) == 1 else f"cause {k + 1}"
                if cause.after is not None:
                    name += f", on top of cause {cause.after + 1}"
                out.append(f"{name}: {cause.text}")
            if any(c.after is not None for c in self.causes):
                out.append("no one mistake explains every wrong gradient, these two together do: fix cause 1, the "
                           "highest in the graph, and check again")
            elif len(self.causes) > 1:
                out.append("no one mistake explains every wrong gradient; each cause above explains its own as if it "
                           "were alone (two mistakes on one path can look like others): fix one, then check again")
            out += [e.line() for e in wrong if e.cause is None]
            explained = sum(e.cause is not None for e in wrong)
            said = ""
            if explained:
                who = "the cause above explains" if len(self.causes) == 1 else \
                    f"the {len(self.causes)} causes above explain"
                said = f"; {who} " + ("all of them" if explained == len(wrong) else f"{explained} of them")
            out += ["", f"{len(wrong)} of {len(self.entries)} entries are wrong (tolerance {self.tolerance:g}){said}"]
        else:
            n = len(self.entries)
            out += ["", f"{'the 1 entry agrees' if n == 1 else f'all {n} entries agree'} (tolerance {self.tolerance:g})"]
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _short(x: float) -> str:
    text = f"{x:.6g}"
    return "−" + text[1:] if text.startswith("-") else text  # a real minus sign, as the explanations write it


# ------------------------------------------------------------------ the parameters
def _entries(at: dict) -> list[tuple[str, tuple, float]]:
    """Every number of the parameters: (key, index, value), in the dict's order, row by row."""
    import numpy as np

    if not isinstance(at, dict) or not at:
        raise InvalidValueError(f"the parameters must be a non-empty dict of name -> number, list or array, got "
                                f"{type(at).__name__}")
    out = []
    for key, value in at.items():
        if not isinstance(key, str):
            raise InvalidValueError(f"the parameters' names must be strings, got {key!r}")
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidValueError(f"parameter {key!r} is not a number or an array of numbers") from None
        if isinstance(value, bool) or arr.size == 0 or not np.all(np.isfinite(arr)):
            raise InvalidValueError(f"parameter {key!r} must hold finite numbers, got {value!r}")
        for index in np.ndindex(arr.shape):
            out.append((key, index, float(arr[index])))
            if len(out) > MAX_ENTRIES:
                raise InvalidValueError(f"the parameters hold more than {MAX_ENTRIES:,} numbers; check a smaller "
                                        "network (finite differences run forward twice per number)")
    return out


def _entry_name(key: str, index: tuple) -> str:
    """'W1[0][1]': the parameter's name (user text, made safe for a terminal) and the entry's index."""
    return clean(key, 60) + "".join(f"[{i}]" for i in index)


def _replaced(at: dict, fill) -> dict:
    """A copy of the parameters with each number x at (key, index) replaced by ``fill(key, index, x)``."""
    import numpy as np

    out = {}
    for key, value in at.items():
        if isinstance(value, np.ndarray):
            arr = np.empty(value.shape, dtype=object)
            for index in np.ndindex(value.shape):
                arr[index] = fill(key, index, float(value[index]))
            out[key] = arr if value.ndim else arr[()]
        else:
            out[key] = _fill_nested(value, key, (), fill)
    return out


def _fill_nested(value, key, index, fill):
    if isinstance(value, (list, tuple)):
        return type(value)(_fill_nested(v, key, index + (k,), fill) for k, v in enumerate(value))
    return fill(key, index, float(value))


def _moved(at: dict, key: str, index: tuple, x: float) -> dict:
    """A deep copy of the parameters with one number set to ``x``."""
    import numpy as np

    out = copy.deepcopy(at)
    value = out[key]
    if isinstance(value, np.ndarray):
        value = value.astype(np.float64)
        value[index] = x
        out[key] = value
    elif not index:
        out[key] = x
    else:
        target = value
        for i in index[:-1]:
            target = target[i]
        target[index[-1]] = x
    return out


def _number(out, what: str) -> float:
    """The cost ``forward`` returned, as a float (a Value's data, a one-element array)."""
    from .scalar import Value

    if isinstance(out, Value):
        return out.data
    try:
        import numpy as np

        arr = np.asarray(out, dtype=np.float64)
        if arr.size == 1 and not isinstance(out, bool):
            x = float(arr.reshape(()))
            if math.isfinite(x):
                return x
    except (TypeError, ValueError):
        pass
    raise InvalidValueError(f"{what} must return one finite number (the cost), got {out!r:.80}")


# ------------------------------------------------------------------ the forward's own variables
def _call_watched(forward, params) -> tuple:
    """``forward(params)``, and the variables of every function of its file as each returned.

    Returns (the result, [(the function's code, its locals, what it returned)]),
    the forward's own frame first, then the functions it called (a
    ``sigmoid`` of the learner's), in the order they returned. A Python
    profile hook sees each frame as it returns; it is removed afterwards.
    """
    code = forward.__code__ if isinstance(forward, types.FunctionType) else None
    if code is None:
        return forward(params), []
    frames = []

    def watch(frame, event, arg):
        if event == "return" and frame.f_code.co_filename == code.co_filename:
            frames.append((frame.f_code, dict(frame.f_locals), arg))

    before = sys.getprofile()
    sys.setprofile(watch)
    try:
        out = forward(params)
    finally:
        sys.setprofile(before)
    own = [frame for frame in frames if frame[0] is code]
    return out, own[-1:] + [frame for frame in frames if frame[0] is not code]


def _label_by_variables(frames: list, taken: set) -> None:
    """Name the unlabelled nodes of a traced forward by the variables that held them: z, a, h[0].

    A name in ``taken`` (a parameter's) or private (``_x``) is not used.
    """
    import numpy as np

    from .scalar import Value

    def label(node, name):
        if isinstance(node, Value) and node.inputs and not node.label and name not in taken \
                and not name.startswith("_"):
            node.label = clean(name, 24)

    for _, variables, _ in frames:
        for name, held in variables.items():
            if isinstance(held, Value):
                label(held, name)
            elif isinstance(held, (list, tuple)) and len(held) <= 64:
                for k, item in enumerate(held):
                    label(item, f"{name}[{k}]")
            elif isinstance(held, np.ndarray) and held.dtype == object and held.size <= 64:
                for index in np.ndindex(held.shape):
                    label(held[index], name + "".join(f"[{i}]" for i in index))


def _numbers_of(name: str, held) -> list[tuple[str, float]]:
    """A variable's numbers, each named: x → [("x", 1.5)]; a small array entry by entry, "z[0]"."""
    import numpy as np

    if isinstance(held, bool) or isinstance(held, (types.ModuleType, type)) or callable(held):
        return []
    if isinstance(held, numbers.Real):
        x = float(held)
        return [(name, x)] if math.isfinite(x) else []
    if isinstance(held, (list, tuple, np.ndarray)):
        try:
            arr = np.asarray(held, dtype=np.float64)
        except (TypeError, ValueError):
            return []
        if arr.size == 1:
            return _numbers_of(name, float(arr.reshape(())))
        if 1 < arr.size <= MAX_ARRAY:
            return [(name + "".join(f"[{i}]" for i in index), float(arr[index])) for index in np.ndindex(arr.shape)
                    if math.isfinite(float(arr[index]))]
    return []


def _forward_numbers(forward, at: dict, entries) -> list[tuple[str, float]]:
    """The numbers of one run of the forward, named: its cost C, its variables, its file's, constants, parameters.

    Where two names hold the same number the first is kept, in that order:
    a helper's argument ``x`` that is the forward's ``z`` stays ``z``, and the
    target y = 0.8 of the video stays y though w = 0.8 too. Constants written
    in the code (0.8) are named by themselves.
    """
    try:
        cost, frames = _call_watched(forward, copy.deepcopy(at))
    except Exception:  # noqa: BLE001 - it ran for the finite differences; a second run that fails names nothing
        cost, frames = None, []
    found = _numbers_of("C", cost)
    for code, variables, returned in frames:
        own = code is frames[0][0]
        for name, held in variables.items():
            found += _numbers_of(name if own else f"{name} in {code.co_name}", held)
        if not own and not code.co_name.startswith("<"):  # a helper's result: sigmoid(…); not a comprehension's
            found += _numbers_of(f"{code.co_name}(…)", returned)
    for name, held in forward.__globals__.items() if isinstance(forward, types.FunctionType) else ():
        if not name.startswith("_"):
            found += _numbers_of(name, held)
    for code in _codes(forward) + [code for code, _, _ in frames]:
        found += [(_short(c), float(c)) for c in code.co_consts
                  if isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c)]
    found += [(_entry_name(key, index), x) for key, index, x in entries]
    out, seen = [], set()
    for name, x in found:
        if x not in seen:
            seen.add(x)
            out.append((clean(name, 40), x))
    return out[:MAX_NUMBERS]


def _functions_called(forward) -> tuple[str, ...]:
    """Which of σ and tanh the forward's code names (exp makes a σ, as 1/(1 + exp(−z)) does)."""
    called = {name for code in _codes(forward) for name in code.co_names}
    return tuple(f for f, names in (("σ", {"exp", "sigmoid", "expit"}), ("tanh", {"tanh"})) if called & names)


def _codes(forward) -> list:
    """The code of the forward and of every function defined inside it."""
    if not isinstance(forward, types.FunctionType):
        return []
    out, todo = [], [forward.__code__]
    while todo:
        code = todo.pop()
        out.append(code)
        todo += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return out


# ------------------------------------------------------------------ references
def _backprop(forward, at: dict, entries):
    """chainrule's backprop of ``forward``: (cost Value, {(key, index): leaf}) or (None, why not).

    Its intermediate nodes are named after the forward's variables that held
    them (``_label_by_variables``), so that a cause reads "σ′(z)", not σ′(v₄).
    """
    from .scalar import Value

    leaves = {}

    def leaf(key, index, x):
        v = Value(x, label=_entry_name(key, index))
        leaves[(key, index)] = v
        return v

    try:
        cost, frames = _call_watched(forward, _replaced(at, leaf))
        _label_by_variables(frames, {v.label for v in leaves.values()})
    except Exception as exc:  # noqa: BLE001 - the user's forward on Values: any failure means "no backprop"
        return None, (f"chainrule could not run your forward on Values ({type(exc).__name__}: {clean(str(exc))}), "
                      "so finite differences are the reference")
    if not isinstance(cost, Value):
        return None, ("your forward, given Values, returned a plain number (does it convert them, e.g. with "
                      "math.exp or float()? use w.exp(), w.tanh() …), so finite differences are the reference")
    if not cost.label:
        cost.label = "C"  # so that the explanations read ∂C/∂w
    for node in cost.nodes():
        node.grad = 0.0
    try:
        cost.backward()
    except ArithmeticError as exc:
        return None, f"backprop of your forward failed ({clean(str(exc))}), so finite differences are the reference"
    return (cost, leaves), ""


def _finite_differences(forward, at: dict, entries) -> tuple[float, list[float]]:
    cost = _number(forward(copy.deepcopy(at)), "forward")
    numeric = []
    for key, index, x in entries:
        up = _number(forward(_moved(at, key, index, x + H)), "forward")
        down = _number(forward(_moved(at, key, index, x - H)), "forward")
        numeric.append((up - down) / (2 * H))
    return cost, numeric


def _given(grad, at: dict, entries) -> tuple[list[float | None], list[str], dict]:
    """The learner's gradient, entry by entry (None where it gave no number), notes on its shape, and its arrays."""
    import numpy as np

    out = grad(copy.deepcopy(at))
    if not isinstance(out, dict):
        raise InvalidValueError(f"your grad must return a dict (parameter name -> gradient), got {type(out).__name__}")
    notes, arrays = [], {}
    for key in at:
        if key not in out:
            notes.append(f"your grad gives no gradient for {key!r}")
            continue
        try:
            arr = np.asarray(out[key], dtype=np.float64)
        except (TypeError, ValueError):
            notes.append(f"your grad's {key!r} is not a number or an array of numbers")
            continue
        want = np.asarray(at[key], dtype=np.float64).shape
        if arr.shape != want and arr.size == int(np.prod(want)) and arr.ndim <= 1 and len(want) <= 1:
            arr = arr.reshape(want)  # a number given as [x], or the other way round
        arrays[key] = arr
    extra = [k for k in out if k not in at]
    if extra:
        notes.append(f"your grad gives gradients for names that are not parameters: {', '.join(map(repr, extra))}")
    given = []
    for key, index, _ in entries:
        arr = arrays.get(key)
        if arr is None or arr.shape != np.asarray(at[key], dtype=np.float64).shape:
            given.append(None)
        else:
            given.append(float(arr[index]))
    for key, arr in arrays.items():
        want = np.asarray(at[key], dtype=np.float64).shape
        if arr.shape != want:
            notes.append(f"your grad's {key!r} has shape {arr.shape}, the parameter has shape {want}"
                         + (": transposed?" if arr.shape == want[::-1] else ""))
    return given, notes, arrays


# ------------------------------------------------------------------ explaining a wrong entry
def _edge_products(cost, leaf):
    """For one parameter: backprop's product, δ · ∂z/∂p summed over the nodes z it feeds, and every path to the cost."""
    from .explainer import explain
    from .explainer.format import factor, subscript
    from .explainer.trace import final_gradients

    grads = final_gradients(cost)
    edges = [(node, k) for node in cost.nodes() for k, child in enumerate(node.inputs) if child is leaf]
    mark = (lambda n: subscript(n)) if len(edges) > 1 else (lambda n: "")
    words = [f"δ{mark(n)} · ∂z{mark(n)}/∂p" for n in range(1, len(edges) + 1)]
    nums = [f"{factor(grads.get(node, 0.0))} · {factor(node.local[k])}" for node, k in edges]
    expected = " + ".join(words) + " = " + " + ".join(nums) if words else ""
    derivation = explain(cost, wrt=[leaf], symbolic=False).parameters[0]
    return expected, [(term.nodes, term.product) for term in derivation.paths], derivation.listed_all


def _through(paths, k: int) -> str:
    """The first node (from the cost down) that only path k passes through: what tells it from the others."""
    others = [set(p[0]) for j, p in enumerate(paths) if j != k]
    for name in paths[k][0][1:-1]:
        if not any(name in o for o in others):
            return f"the path through {name}"
    return "the path " + " ← ".join(paths[k][0])


def _diagnose(given: float, ref: float, paths, listed_all: bool, tol: float) -> str:
    def close(a, b):
        return abs(a - b) <= tol * (1 + abs(b))

    if ref != 0.0 and close(given, 2 * ref):
        twice = [k for k, (_, p) in enumerate(paths) if close(given, ref + p)] if len(paths) > 1 else []
        return ("off by a factor 2: did you count " + (_through(paths, twice[0]) if twice else "a path") + " twice"
                + ("" if twice else ", or keep the 2 of a square twice") + "?")
    if ref != 0.0 and close(given, ref / 2):
        return "half of it: did you drop the 2 of a square (d(a − y)²/da = 2(a − y))?"
    if ref != 0.0 and close(given, -ref):
        return "the sign is flipped: (a − y) written (y − a), or a minus lost on the way?"
    if listed_all and len(paths) > 1:
        for k, (_, p) in enumerate(paths):
            if not close(p, 0.0) and close(given, ref - p):
                return f"you left out {_through(paths, k)} (it adds {_short(p)}): the chain rule adds every path"
        for k, (_, p) in enumerate(paths):
            if not close(p, 0.0) and close(given, ref + p):
                return f"did you count {_through(paths, k)} twice?"
    if given == 0.0 and ref != 0.0:
        return "you gave 0: every path from it to the cost adds to its gradient"
    return ""


def _transposed(key, arrays, at, entries, refs, tol) -> bool:
    import numpy as np

    arr = arrays.get(key)
    want = np.asarray(at[key], dtype=np.float64)
    if arr is None or want.ndim != 2:
        return False
    ref = np.zeros(want.shape)
    for (k, index, _), r in zip(entries, refs):
        if k == key:
            ref[index] = r
    if arr.shape == want.shape[::-1] and arr.shape != want.shape:
        return bool(np.all(np.abs(arr.T - ref) <= tol * (1 + np.abs(ref))))
    if arr.shape == want.shape and want.shape[0] == want.shape[1]:
        ok = np.all(np.abs(arr - ref) <= tol * (1 + np.abs(ref)))
        return bool(not ok and np.all(np.abs(arr.T - ref) <= tol * (1 + np.abs(ref))))
    return False


# ------------------------------------------------------------------ the check
def check_function(forward, grad, at: dict, *, tolerance: float = 1e-6) -> HandCheck:
    """Judge ``grad(params)`` against chainrule's backprop of ``forward(params)`` and finite differences at ``at``.

    See the module docstring. Returns a ``HandCheck``: ``ok`` when every
    entry agrees; ``str()`` of it is the report.
    """
    if not callable(forward) or not callable(grad):
        raise InvalidValueError("check_function: forward and grad must be functions of the parameters")
    if not (isinstance(tolerance, numbers.Real) and tolerance > 0 and math.isfinite(tolerance)):
        raise InvalidValueError(f"check_function: tolerance must be a number > 0, got {tolerance!r}")
    entries = _entries(at)
    cost, numeric = _finite_differences(forward, at, entries)
    given, notes, arrays = _given(grad, at, entries)
    graph, why_not = _backprop(forward, at, entries)
    if why_not:
        notes.append(why_not)
    backprop: list[float | None] = [None] * len(entries)
    if graph is not None:
        cost_value, leaves = graph
        backprop = [leaves[(k, index)].grad if (k, index) in leaves else 0.0 for k, index, _ in entries]
        off = [e for e, b, n in zip(entries, backprop, numeric) if abs(b - n) > _AGREE_FD * (1 + abs(n))]
        if off:
            notes.append(f"chainrule's backprop of your forward disagrees with finite differences at "
                         f"{_entry_name(*off[0][:2])} (a kink, or a forward that hides part of its work from the "
                         "graph, e.g. math.exp on a Value): finite differences are the reference")
            graph = None
    refs = [b if graph is not None else n for b, n in zip(backprop, numeric)]
    out = []
    transposed = {key for key in at if _transposed(key, arrays, at, entries, refs, tolerance)}
    names = [_entry_name(key, index) for key, index, _ in entries]
    # A transposed matrix is its own cause; put back, its numbers are right, and the search takes them so.
    free = [r if key in transposed else g for (key, _, _), g, r in zip(entries, given, refs)]
    causes = [_transpose_cause(key, [n for (k, _, _), n, g, r in zip(entries, names, given, refs)
                                     if k == key and (g is None or abs(g - r) > tolerance * (1 + abs(r)))])
              for key in transposed]
    causes += _causes(forward, at, entries, graph, free, refs, names, tolerance)
    cause_of: dict[str, int] = {}
    for k, cause in enumerate(causes):
        for name in cause.entries:
            cause_of.setdefault(name, k)  # the first cause that explains it
    explained = 0
    for (key, index, _), name, g, b, n, r in zip(entries, names, given, backprop, numeric, refs):
        ok = g is not None and abs(g - r) <= tolerance * (1 + abs(r))
        entry = Entry(name, g, b, n, r, ok, cause=None if ok else cause_of.get(name))
        if not ok and entry.cause is None and graph is not None and explained < MAX_EXPLAINED:
            explained += 1
            cost_value, leaves = graph
            entry.expected, paths, listed_all = _edge_products(cost_value, leaves[(key, index)])
            if g is not None:
                entry.diagnosis = _diagnose(g, r, paths, listed_all, tolerance)
        out.append(entry)
    if any(e.expected for e in out):
        notes.append("δ · ∂z/∂p: backprop's product for an entry p, with z the node p feeds, δ = ∂C/∂z its gradient "
                     "and ∂z/∂p the local derivative (summed over the nodes p feeds)")
    return HandCheck(cost, out, tolerance, notes, causes)


def _transpose_cause(key: str, wrong: list[str]) -> Cause:
    shown = clean(key, 60)
    return Cause("transposed", f"your gradient of {shown} is the transpose of the right one: the entry for "
                 f"{shown}[j][k] belongs at [k][j]", wrong)


def _causes(forward, at: dict, entries, graph, given: list, refs: list, names: list[str], tolerance: float):
    """The causes of the wrong entries (``chainrule.explainer.causes``): edge by edge where the graph is known,
    then, for what is left, by the ratios yours/reference with the forward's own local derivatives as names.

    ``given[p]`` is None for an entry left out of the search (no number).
    """
    wrong = [p for p, (g, r) in enumerate(zip(given, refs)) if g is not None and abs(g - r) > tolerance * (1 + abs(r))]
    if not wrong:
        return []
    causes = []
    if graph is not None:
        cost_value, leaves = graph
        causes = graph_causes(cost_value, [leaves.get((key, index)) for key, index, _ in entries], given, refs,
                              names, tolerance)
    explained = {name for cause in causes for name in cause.entries}
    left = [p for p in wrong if names[p] not in explained and refs[p] != 0.0]
    if left:
        factors = graph_factors(graph[0]) if graph is not None else \
            number_factors(_forward_numbers(forward, at, entries), _functions_called(forward))
        every = not causes and all(g is not None for g in given) and left == [p for p, r in enumerate(refs) if r]
        causes += ratio_causes(given, refs, names, left, factors, tolerance, every)
    return causes


# ------------------------------------------------------------------ a file, in its own process
def parse_spec(spec: str) -> tuple[str, str]:
    """'my_backprop.py:grad' -> (path, 'grad'); a clear error for anything else."""
    path, sep, name = str(spec).rpartition(":")
    if not sep or not path or not name.isidentifier():
        raise InvalidValueError(f"--fn: expected FILE.py:FUNCTION (e.g. my_backprop.py:grad), got {clean(spec)!r}")
    if not path.endswith(".py"):
        raise InvalidValueError(f"--fn: {clean(path)!r} is not a Python file (.py)")
    if not os.path.isfile(path):
        raise InvalidValueError(f"--fn: no such file: {clean(path)!r}")
    return path, name


def check_file(path: str, grad_name: str = "grad", *, forward_name: str = "forward", at_name: str = "params",
               tolerance: float = 1e-6, time_limit: float = TIME_LIMIT) -> HandCheck:
    """``check_function`` on the functions of a file, run in a separate Python with a time and memory limit.

    The file defines ``forward``, the gradient function (``grad_name``) and
    ``params`` (the point to check at). Anything that goes wrong in it (an
    exception, a hang, the interpreter dying) raises ``HandwrittenCodeError``
    with one line (``chainrule.user_code``).
    """
    with tempfile.TemporaryDirectory(prefix="chainrule-check-") as tmp:
        result = os.path.join(tmp, "result.json")
        try:
            run_worker("chainrule.handwritten", [os.path.abspath(path), grad_name, forward_name, at_name,
                                                 repr(float(tolerance)), result],
                       path, time_limit, "an endless loop, or a forward too slow to run twice per parameter?")
        except UserCodeError as exc:
            raise HandwrittenCodeError(str(exc)) from None
        if not os.path.exists(result):
            raise HandwrittenCodeError(f"{os.path.basename(path)} ended without an answer")
        with open(result, encoding="utf-8") as f:
            data = json.load(f)
        if "error" in data:
            raise HandwrittenCodeError(data["error"])
        return HandCheck.from_json(data)


def _worker(argv: list[str]) -> int:
    """The separate process of ``check_file``: load the file, check, write the report (or one line of error)."""
    path, grad_name, forward_name, at_name, tolerance, result = argv
    limit_resources()
    shown = os.path.basename(path)

    def answer(data: dict) -> int:
        with open(result, "w", encoding="utf-8") as f:
            json.dump(data, f)
        return 0

    try:
        namespace = load(path, "__chainrule_check__")
    except BaseException as exc:  # noqa: BLE001 - the user's file: report any failure in one line
        if isinstance(exc, SystemExit):
            return answer({"error": f"{shown} called exit() while it was loaded"})
        return answer({"error": user_error(exc, path, f"loading {shown}")})
    missing = [n for n in (forward_name, grad_name) if not callable(namespace.get(n))]
    if missing:
        defined = sorted(k for k, v in namespace.items() if callable(v) and not k.startswith("_"))
        return answer({"error": f"{shown} defines no function {missing[0]!r} (it defines: "
                                f"{', '.join(defined[:12]) or 'none'})"})
    if at_name not in namespace:
        return answer({"error": f"{shown} defines no {at_name!r}: the parameters to check at, e.g. "
                                f"{at_name} = {{\"w\": 0.8}}"})
    try:
        report = check_function(namespace[forward_name], namespace[grad_name], namespace[at_name],
                                tolerance=float(tolerance))
    except InvalidValueError as exc:
        return answer({"error": clean(f"{shown}: {exc}", 400)})
    except BaseException as exc:  # noqa: BLE001 - the user's functions
        if isinstance(exc, SystemExit):
            return answer({"error": f"{shown} called exit() while it was checked"})
        return answer({"error": user_error(exc, path, f"running {shown}")})
    return answer(report.to_json())


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1:]))
