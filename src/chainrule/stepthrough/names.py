"""Names a learner can read for the nodes the explainer names by position (v₅₇), and the texts rewritten with them.

The explainer (``chainrule.explainer.names``) names an unlabelled node by its
own formula in the names of its inputs (``a − y``) when that formula is short
and new; otherwise by its place in the graph, ``v₅₇``. A place means nothing
on a page, and it happens in two ways in the lessons:

* a long formula: the learning-rate lesson's cost adds four errors,
  e₁ + e₂ + e₃ + e₄, one name too long for the explainer;
* a formula that collapses onto another name: the convexity lesson's
  a₁ − y with y = 0 is a₁ once sympy has simplified it, and a neuron's
  w·x + b with x = 0 is b.

The step-through names such a node by what it computes, written out with its
constants as the numbers they are, so nothing simplifies away: ``a₁ − 0``,
``w¹₁·0 + b¹₁``; a sum or a dot of more than ``SHOWN`` terms keeps its first
and last term, ``e₁ + … + e₄`` (the ellipsis of a blackboard). A name that
would still be taken or longer than ``LONGEST`` becomes the operation's word
with a number, ``sum₁``.

``rename`` puts the new names into every text the explainer wrote with the
old ones (∂C/∂v₅₇ → ∂C/∂(e₁ + … + e₄)), in parentheses wherever a sum stands
inside a larger formula, as ``format.substitute`` writes sums.
"""

from __future__ import annotations

import re

from .. import ops
from ..explainer.format import factor, num, subscript, superscript
from ..explainer.names import Names
from ..scalar import Value

__all__ = ["readable_names", "rename", "SHOWN", "LONGEST"]

# A sum or dot of more terms than this is written by its first and last: e₁ + … + e₄.
SHOWN = 3
# The longest name the step-through writes out (a box shows its name on one line).
LONGEST = 24
# A name the explainer gave by position: v and the node's index as a subscript.
_POSITIONAL = re.compile(r"v[₀-₉]+")
# The words of the operations for the last resort: sum₁, dot₂ …
_WORDS = {"+": "sum", "-": "difference", "*": "product", "/": "quotient", "**": "power", "neg": "negation"}
_INFIX = {"+": " + ", "-": " − ", "*": "·", "/": "/"}


def _operand(x, names: Names) -> str:
    """An operand as it stands in a formula: a node's name, a number as a factor ((−0.5))."""
    if isinstance(x, Value):
        name = names[x]
        return f"({name})" if any(ch in name for ch in " +−·/") else name
    return factor(float(x))


def _terms(texts: list[str]) -> str:
    """a + b + c, or the first and the last around an ellipsis when there are more than ``SHOWN``."""
    if len(texts) > SHOWN:
        texts = [texts[0], "…", texts[-1]]
    return " + ".join(texts)


def written(node: Value, names: Names) -> str:
    """What ``node`` computes, in its inputs' names and its constants' numbers, nothing simplified away."""
    args = ops.operands(node)
    op = node.op
    if op == "sum":
        return _terms([_operand(x, names) for x in args])
    if op == "dot":
        pairs, bias = ops.fold_terms(ops.OPS["dot"], args)
        return _terms([f"{_operand(w, names)}·{_operand(x, names)}" for w, x in pairs] + [_operand(bias, names)])
    if op in _INFIX and len(args) == 2:
        right = _operand(args[1], names)
        if op == "-" and not isinstance(args[1], Value):  # a − 0.5, not a − (0.5)
            right = num(float(args[1]))
        return f"{_operand(args[0], names)}{_INFIX[op]}{right}"
    if op == "neg":
        return f"−{_operand(args[0], names)}"
    if op == "**" and not isinstance(args[1], Value) and float(args[1]).is_integer() and abs(args[1]) < 100:
        return f"{_operand(args[0], names)}{superscript(int(args[1]))}"
    return ""


def readable_names(names: Names) -> dict[str, str]:
    """Old name → new name, for every unlabelled node the explainer named by position (see the module docstring)."""
    taken = set(names.name.values())
    renamed: dict[str, str] = {}
    counts: dict[str, int] = {}
    for node in names.order:
        old = names[node]
        if node.label or not _POSITIONAL.fullmatch(old):
            continue
        new = written(node, names)
        if not new or len(new) > LONGEST or new in taken:
            word = _WORDS.get(node.op, node.op)
            while True:
                counts[word] = counts.get(word, 0) + 1
                new = f"{word}{subscript(counts[word])}"
                if new not in taken:
                    break
        taken.add(new)
        renamed[old] = new
    return renamed


def rename(text: str, renamed: dict[str, str]) -> str:
    """``text`` with each old name replaced by its new one; a new name that is a sum or a difference goes in
    parentheses unless it is the whole text or a function's whole argument (∂C/∂(a₁ − 0), 2(a₁ − 0), σ(a₁ − 0))."""
    if not renamed or not text:
        return text
    pattern = re.compile(r"(?<![^\W\d_])(" + "|".join(re.escape(k) for k in sorted(renamed, key=len, reverse=True))
                         + r")(?![₀-₉])")

    def new(match) -> str:
        name = renamed[match.group(1)]
        before, after = text[:match.start()], text[match.end():]
        if not before and not after:
            return name
        alone = before.endswith(("(", ", ")) and after.startswith((")", ","))
        if alone or not any(ch in name for ch in " +−·/"):
            return name
        return f"({name})"

    return pattern.sub(new, text)
