"""A softmax inside a lesson's graph, practised whole: every logit, the shift m and why, every probability.

A graph computes softmax and cross-entropy stably as

    eₖ = exp(zₖ − m),   S = e₁ + … + eₙ,   pₖ = eₖ/S,   C = −ln p_y        (m = max z, a number held fixed)

Seen only through its cost, as every other exercise sees its graph, this
teaches it badly (issue 23): the forward comes in the order the graph was
built (z₃, e₃, z₁, …), m is a given, so it is used before anything says
what it is and it gives the largest logit away, C reads only p_y, so the
other probabilities are never asked, and with six weights and biases only
the true class's weight is, so only its ∂C/∂z is.

``find(view)`` recognises the pattern in the graph's public data model (a
sum S of exponentials, each of a logit minus the same leaf m, not a
parameter, that holds max z; a cost −ln(eᵧ/S)), and ``whole`` reshapes the
questions ``questions.build_questions`` made from it:

    the forward in order   z₁ … zₙ, m = max(z₁, …, zₙ), e₁ … eₙ, S, p₁ … pₙ, then C
    m is asked, not given  after the logits; why it is subtracted is the exercise's note, and a check
                           asks p_y again without it, exp(zᵧ)/(exp(z₁) + … + exp(zₙ)): the same number
    every class            every pₖ (those C does not read too), and one weight per class
                           (``asked``), so every ∂C/∂zₖ, the backward class by class
    the collapse           ∂C/∂zₖ written as what the chain gives, pₖ − [k = y]: pₖ for a wrong class,
                           p_y − 1 for the true one; giving the −1 to the wrong class is a named mistake

A graph without this pattern (or the explorer's step-through, which asks
every node) is not touched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from ..explainer.format import pretty
from ..gradcheck import is_parameter
from ..scalar import Value
from .network import View, plus, times, typed_name
from .questions import Given, Mistake, Question, shown

__all__ = ["Softmax", "find", "asked", "whole", "note"]


@dataclass
class Softmax:
    """A softmax found in a graph; every list is in class order (the order of S's terms)."""

    logits: list[Value]  # z₁ … zₙ
    shift: Value  # m, a leaf holding max z
    exps: list[Value]  # e₁ … eₙ, eₖ = exp(zₖ − m)
    total: Value  # S = Σ eₖ
    read: Value  # the probability the cost reads, p_y = e_y/S
    target: int  # y, counted from 1
    names: list[str]  # p₁ … pₙ, as printed (the names of those C does not read made like p_y's)


def _probability_names(view: View, exps: list[Value], read: Value, target: int) -> list[str] | None:
    """p₁ … pₙ: p_y's name with e_y's suffix swapped for each eₖ's (p₃, e₃ → p₁ for e₁)."""
    p_name, e_name = view.name(read), view.name(exps[target - 1])
    common = 0
    while common < min(len(p_name), len(e_name)) and p_name[-1 - common] == e_name[-1 - common]:
        common += 1
    p_base, e_base = p_name[:len(p_name) - common], e_name[:len(e_name) - common]
    names = []
    for e in exps:
        name = view.name(e)
        if not p_base or not name.startswith(e_base) or name == e_base:
            return None
        names.append(p_base + name[len(e_base):])
    return names if len(set(names)) == len(names) else None


def find(view: View) -> Softmax | None:
    """The softmax and cross-entropy of the graph seen through ``view``, or None when it has none."""
    import sympy

    cost = view.cost
    inputs = view.quantities[cost].inputs
    if len(inputs) != 1 or inputs[0] not in view.quantities:
        return None
    read = inputs[0]
    if read.op != "/" or read.const is not None or view.formula(cost) != -sympy.log(view.symbol(read)):
        return None
    numerator, total = read.inputs
    if total not in view.quantities or total.op != "sum" or total.const is not None or numerator not in total.inputs:
        return None
    exps, logits, shift = list(total.inputs), [], None
    for e in exps:
        if e not in view.quantities or e.op != "exp" or len(e.inputs) != 1:
            return None
        difference = e.inputs[0]
        if difference.op != "-" or difference.const is not None or difference in view.quantities:
            return None
        z, m = difference.inputs
        if z not in view.quantities or m.op or m.inputs or is_parameter(m) or shift not in (None, m):
            return None
        logits.append(z)
        shift = m
    if len(set(logits)) != len(logits) or shift.data != max(z.data for z in logits):
        return None
    target = exps.index(numerator) + 1
    names = _probability_names(view, exps, read, target)
    if names is None:
        return None
    return Softmax(logits, shift, exps, total, read, target, names)


def asked(softmax: Softmax) -> list[Value] | None:
    """One weight per class: the first parameter each logit reads (wₖ of zₖ = wₖ·x + bₖ); None if one reads none."""
    weights = [next((n for n in z.inputs if is_parameter(n)), None) for z in softmax.logits]
    return None if any(w is None for w in weights) else weights


def note(softmax: Softmax, view: View) -> str:
    """Why m is subtracted, said where the exercise begins."""
    m, y = view.name(softmax.shift), softmax.target
    return (f"{m} = max z is subtracted from every logit before exp: then no eₖ is larger than exp(0) = 1, so none "
            f"can overflow (exp(z) does beyond z ≈ 709), and the factor exp(−{m}) cancels in eₖ/S, so no "
            f"probability changes. The question after {softmax.names[-1]} checks it: {softmax.names[y - 1]} once "
            f"more, without {m}.")


# --------------------------------------------------------------- reshaping
def whole(softmax: Softmax, view: View, id_of: Callable[[Value], str], givens: list[Given],
          questions: list[Question]) -> tuple[list[Given], list[Question], dict[str, list[Mistake]]]:
    """The givens and questions with the softmax asked whole (see the module docstring), and the mistakes of its
    questions said in its own words (by question key; ``mistakes.attach_mistakes`` adds the generated ones)."""
    key = view.name
    m = key(softmax.shift)
    zs, es, ps = [key(z) for z in softmax.logits], [key(e) for e in softmax.exps], softmax.names
    S, y = key(softmax.total), softmax.target
    givens = _givens_in_class_order(softmax, [g for g in givens if g.key != m])
    given_keys = tuple(g.key for g in givens)
    by_key = {q.key: q for q in questions}
    forward = [q for q in questions if q.kind in ("forward", "cost")]
    backward = [q for q in questions if q.kind not in ("forward", "cost")]
    own: dict[str, list[Mistake]] = {}

    block = [by_key[z] for z in zs] + [_shift(softmax, view, id_of, own)] + [by_key[e] for e in es] + [by_key[S]]
    for e, z in zip(softmax.exps, zs):
        q = by_key[key(e)]
        q.formula = pretty(q.expr, as_written=True)  # exp(z₃ − m), not sympy's exp(−m + z₃)
        q.prompt = f"{q.name} = {q.formula} = ?"
        own[q.key] = [
            Mistake("forward", f"exp({z}): {m} not subtracted", lambda env, z=z: math.exp(env[z])),
            Mistake("forward", f"{z} − {m}, before exp is applied", lambda env, z=z: env[z] - env[m]),
            Mistake("sign", f"exp({z} + {m}): {m} added, not subtracted", lambda env, z=z: math.exp(env[z] + env[m])),
        ]
    for k, (e, p) in enumerate(zip(es, ps), 1):
        block.append(by_key[p] if k == y else _probability(p, e, S))
        own[p] = [Mistake("forward", f"{e} not divided by {S}", lambda env, e=e: env[e]),
                  Mistake("forward", f"{S}/{e}: the fraction upside down", lambda env, e=e: env[S] / env[e])]
    block.append(_check(softmax, view, own))
    inside = {q.key for q in block}
    feeding = _ancestors(softmax.logits)
    first = [q for q in forward if q.key not in inside and q.node in feeding]
    rest = [q for q in forward if q.key not in inside and q.node not in feeding]
    forward = first + block + rest

    seen: list[str] = []
    for q in forward:  # each forward value in the symbols before it (the check: only the logits, no m, no p)
        q.symbols = given_keys + tuple(zs) if q.kind == "check" else given_keys + tuple(seen)
        if q.kind != "check":
            seen.append(q.key)
    every_symbol = given_keys + tuple(seen)
    backward = _class_by_class(softmax, backward)
    for q in backward:
        if q.symbols:
            q.symbols = every_symbol
    _collapse(softmax, view, backward, own)
    return givens, forward + backward, own


def _givens_in_class_order(softmax: Softmax, givens: list[Given]) -> list[Given]:
    """x, then w₁ b₁, w₂ b₂, …: what every logit reads first, then each class's own, the rest (lr) last."""
    reads = [{n.label for n in z.nodes() if not n.inputs} for z in softmax.logits]

    def rank(g: Given) -> int:
        classes = [k for k, labels in enumerate(reads, 1) if g.key in labels]
        if not classes:
            return len(reads) + 1
        return 0 if len(classes) > 1 else classes[0]

    return sorted(givens, key=rank)


def _ancestors(nodes: list[Value]) -> set[Value]:
    return {n for z in nodes for n in z.nodes() if n is not z}


def _shift(softmax: Softmax, view: View, id_of, own: dict) -> Question:
    """m = max(z₁, …, zₙ), asked right after the logits (it was a given, equal to the largest of them)."""
    m, zs = view.name(softmax.shift), [view.name(z) for z in softmax.logits]
    z_y = zs[softmax.target - 1]
    formula = f"max({', '.join(zs)})"
    own[m] = [
        Mistake("forward", f"min({', '.join(zs)}), the smallest logit; {m} is the largest",
                lambda env: min(env[z] for z in zs)),
        Mistake("forward", f"{z_y}, the true class's logit; {m} is the largest logit, whichever class it is",
                lambda env: env[z_y]),
    ]
    return Question(id=id_of(softmax.shift), key=m, kind="forward", name=m, prompt=f"{m} = {formula} = ?",
                    formula=formula, chain="", compute=lambda env: max(env[z] for z in zs), factors=tuple(zs),
                    node=softmax.shift)


def _probability(p: str, e: str, S: str) -> Question:
    """pₖ = eₖ/S for a class the cost does not read: its ∂C/∂zₖ will be this number."""
    return Question(id=typed_name(p) or p, key=p, kind="forward", name=p, prompt=f"{p} = {e}/{S} = ?",
                    formula=f"{e}/{S}", chain="", compute=lambda env: env[e] / env[S], factors=(e, S))


def _check(softmax: Softmax, view: View, own: dict) -> Question:
    """p_y again without the shift: exp(z_y)/(exp(z₁) + … + exp(zₙ)), the same number, as e⁻ᵐ cancels."""
    zs = [view.name(z) for z in softmax.logits]
    z_y, p_y, S = zs[softmax.target - 1], softmax.names[softmax.target - 1], view.name(softmax.total)
    name = f"exp({z_y})/({' + '.join(f'exp({z})' for z in zs)})"

    def compute(env):
        top = max(env[z] for z in zs)  # computed as the shifted form, so it cannot overflow: the same number
        return math.exp(env[z_y] - top) / sum(math.exp(env[z] - top) for z in zs)

    own[name] = [
        Mistake("forward", f"exp({z_y}) alone, not divided by the sum", lambda env: math.exp(env[z_y])),
        Mistake("forward", f"exp({z_y})/{S}: the unshifted exp({z_y}) over the sum of the shifted ones",
                lambda env: math.exp(env[z_y]) / env[S]),
    ]
    return Question(id=f"{typed_name(p_y) or p_y}_without_shift", key=name, kind="check", name=name,
                    prompt=f"{name} = ?", formula="", chain="", compute=compute, factors=tuple(zs))


def _class_by_class(softmax: Softmax, backward: list[Question]) -> list[Question]:
    """The backward questions of each class together, class 1 first (each needs only ∂C/∂S and ∂C/∂p_y before it).

    Kept as they were if the new order would ask a question before one it is computed from.
    """
    weights = asked(softmax) or []
    classes = {n: k for k, nodes in enumerate(zip(softmax.exps, softmax.logits), 1) for n in nodes}
    classes.update({w: k for k, w in enumerate(weights, 1)})
    tail = [q for q in backward if q.kind not in ("update", "after")]
    end = backward[len(tail):]
    start = next((j for j, q in enumerate(tail) if q.below in classes), len(tail))
    head, grouped = tail[:start], tail[start:]
    grouped = sorted(grouped, key=lambda q: classes.get(q.below, len(classes) + 1))
    order = head + grouped + end
    known = {q.key for q in order}
    done: set[str] = set()
    for q in order:
        if any(f in known and f not in done for f in q.factors):
            return backward
        done.add(q.key)
    return order


def _collapse(softmax: Softmax, view: View, backward: list[Question], own: dict) -> None:
    """∂C/∂zₖ written as pₖ − [k = y], the formulas after it rewritten with it, and its own mistakes."""
    import sympy

    by_key = {q.key: q for q in backward}
    changed: set[str] = set()
    for k, z in enumerate(softmax.logits, 1):
        q = next((q for q in backward if q.below is z and q.kind == "delta"), None)
        if q is None:
            continue
        p = softmax.names[k - 1]
        if k == softmax.target:
            q.expr = sympy.Add(sympy.Symbol(p), -1, evaluate=False)  # p₃ − 1, as written
            own[q.key] = [Mistake("onehot", f"{p} without the −1 of the true class: ∂C/∂z = p − onehot(y)",
                                  lambda env, p=p: env[p])]
        else:
            q.expr = sympy.Symbol(p)
            own[q.key] = [Mistake("onehot", f"{p} − 1: the −1 belongs to the true class y = {softmax.target} "
                                  f"alone (∂C/∂z = p − onehot(y))", lambda env, p=p: env[p] - 1)]
        q.formula = shown(q.expr)
        changed.add(q.key)
    for q in backward:  # the running products after them, their formulas made again from their factors
        if not q.terms or q.key in changed or not any(up in changed for up, _ in q.terms):
            continue
        expr = 0
        for up, slope in q.terms:
            expr = plus(expr, by_key[slope].expr if up is None else times(by_key[up].expr, by_key[slope].expr))
        q.expr, q.formula = expr, shown(expr)
        changed.add(q.key)
