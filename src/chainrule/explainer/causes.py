"""What went wrong in a backward pass written by hand, read from the numbers: the cause, named once.

A learner's backward pass gives one number per parameter, ∂C/∂w; backprop
gives the right ones. "Wrong" beside each of them names a symptom. The cause
is usually one factor: a local derivative left out, taken with the wrong
sign, or counted twice. Every gradient whose paths pass through it inherits
the mistake, so they all share it, and one σ′(z) left out makes ∂C/∂w and
∂C/∂b both 1/σ′(z) times too large.

This module reads the ratios yours/reference (``ratio_causes``): entries
that share one ratio share one wrong factor, somewhere their paths run
together. A ratio of −1 is a flipped sign, 2 or ½ a factor 2; any other is
named when a local derivative of the forward at these very numbers equals
it, or its inverse, to ``MATCH`` (1e-6, relative): "every entry is 5.94×
too large: one factor shared by all paths; 1/σ′(z) = 5.94: σ′(z) is
missing". The local derivatives come from the forward's own numbers
(``number_factors``): where its variables hold z and a = σ(z) (checked by
computing σ(z)), σ′(z) = a(1 − a) is a factor of every path through a.

It needs no graph, so it works where the forward hides its work from
chainrule (``math.exp``, numpy on floats). Where the graph is known,
``chainrule.explainer.wrong_edge`` goes further: it finds the edge.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .format import num

__all__ = ["Cause", "ratio_causes", "number_factors", "MATCH"]

MATCH = 1e-6  # a named factor is the ratio when they agree to this relative size
MAX_LISTED = 6  # gradients named in a cause's sentence; the rest are counted
SAME = 1e-10  # two numbers of the forward are related (v = σ(u)) when they agree to this relative size


@dataclass
class Cause:
    """One mistake that explains several wrong gradients at once.

    ``kind``: "missing", "twice", "flipped", "halved", "doubled", "left out"
    (found edge by edge), "ratio" (read from the ratios alone) or
    "transposed" (a matrix's gradient given as its transpose); ``edge``:
    where, "z → a" (z feeds a; several joined by "; "), or ""; ``factor``
    and ``value``: the factor named, "σ′(z)" and 0.168; ``ratio``: yours /
    reference where every gradient it explains shares one; ``entries``: the
    gradients it explains, by name; ``after``: for a second mistake on top
    of another, the index of that one (its numbers are compared with what
    the first mistake alone gives).
    """

    kind: str
    text: str
    entries: list[str]
    edge: str = ""
    factor: str = ""
    value: float | None = None
    ratio: float | None = None
    after: int | None = None


def close(a: float, b: float, tol: float) -> bool:
    """The checker's agreement: |a − b| ≤ tol·(1 + |b|)."""
    return abs(a - b) <= tol * (1 + abs(b))


def short(x: float) -> str:
    """A factor or a ratio in a sentence: three significant digits, as a learner computes them."""
    return num(x, 3)


def gradients(names: list[str]) -> str:
    """'∂C/∂w and ∂C/∂b'; past ``MAX_LISTED``, the first few and how many: '∂C/∂w, ∂C/∂b, … (9 gradients)'."""
    shown = [f"∂C/∂{n}" for n in names]
    if len(shown) <= 2:
        return " and ".join(shown)
    if len(shown) <= MAX_LISTED:
        return ", ".join(shown[:-1]) + " and " + shown[-1]
    return ", ".join(shown[:MAX_LISTED - 1]) + f", … ({len(shown)} gradients)"


def wrapped(name: str) -> str:
    """A name that is a formula, in parentheses: 1/(a − y)."""
    return f"({name})" if any(ch in name for ch in " +−·/") else name


def shared_ratio(given: list, reference: list, picked: list[int], tol: float) -> float | None:
    """yours / reference, where every picked entry shares one (read where the reference is largest), else None."""
    base = max(picked, key=lambda p: abs(reference[p]))
    if reference[base] == 0.0:
        return None
    rho = given[base] / reference[base]
    return rho if all(close(given[p], rho * reference[p], tol) for p in picked) else None


# ------------------------------------------------------------------ naming a factor by its numbers
def _sigmoid(u: float) -> float:
    return 1 / (1 + math.exp(-u)) if u >= 0 else math.exp(u) / (1 + math.exp(u))


def related(u: float, v: float) -> str:
    """Which function of u the number v is: "σ", "tanh", "exp", or "" (relative agreement ``SAME``)."""
    for name, f in (("σ", _sigmoid), ("tanh", math.tanh), ("exp", math.exp)):
        try:
            fu = f(u)
        except OverflowError:
            continue
        if v != 0.0 and abs(v - fu) <= SAME * abs(v):  # relative: near 0, every tiny number would match
            return name
    return ""


def derivative_name(function: str, u: str) -> str:
    """The derivative of σ, tanh or exp at u, as written: σ′(z), tanh′(z), exp(z)."""
    return {"σ": f"σ′({u})", "tanh": f"tanh′({u})", "exp": f"exp({u})"}[function]


def number_factors(numbers: list[tuple[str, float]], functions: tuple[str, ...] = ()) -> list[tuple[str, float]]:
    """Local derivatives of a forward at its own numbers, each with its name, to match a ratio against.

    ``numbers``: (name, value) of the forward's inputs, intermediates and
    constants. Where one number is a function of another (a = σ(z), found
    by computing σ(z) and comparing), its derivative is a factor of every
    path through it: σ′(z) = a(1 − a), tanh′(z) = 1 − h², exp′(z) = exp(z);
    where one is the square of a difference of two others (C = (a − y)²),
    the factor is 2(a − y). Then the slopes a backward pass writes with an
    output alone, a(1 − a) and 1 − h² (σ′ and tanh′ where a and h are their
    outputs: the numbers cannot say they are); the derivatives of the
    ``functions`` the forward's code calls ("σ" where it calls exp, "tanh")
    at each number, for a σ(z) it never stored; and every number itself: an
    input is the local derivative of a product (∂(w·i)/∂w = i). Relations
    first, so the name says why.
    """
    out: list[tuple[str, float]] = []
    for nv, v in numbers:
        for nu, u in numbers:
            if nu == nv:
                continue
            function = related(u, v)
            if function:
                slope = {"σ": v * (1 - v), "tanh": 1 - v * v, "exp": v}[function]
                out.append((derivative_name(function, nu), slope))
    import numpy as np  # numpy loads for this search only: the exercises run without it (static_explorer/answers.py)

    values = np.array([v for _, v in numbers], dtype=np.float64)
    if values.size:
        diff = values[:, None] - values[None, :]  # u − t
        square = diff[None, :, :] ** 2  # (u − t)², against each v
        hits = np.argwhere(np.abs(square - values[:, None, None]) <= SAME * np.abs(values)[:, None, None])
        for iv, iu, it in hits:
            if len({iv, iu, it}) == 3 and diff[iu, it] != 0.0:
                out.append((f"2({numbers[iu][0]} − {numbers[it][0]})", 2 * float(diff[iu, it])))
    for name, v in numbers:  # the slopes written with a function's output alone, as backward passes write them
        if 0.0 < v < 1.0:
            out.append((f"{name}(1 − {name})", v * (1 - v)))
        if -1.0 < v < 1.0 and v != 0.0:
            out.append((f"1 − {name}²", 1 - v * v))
    for function in functions:  # σ′(z), tanh′(z) at every number z of a forward that calls them
        for name, u in numbers:
            if abs(u) < 700:
                f = _sigmoid(u) if function == "σ" else math.tanh(u)
                out.append((derivative_name(function, name), f * (1 - f) if function == "σ" else 1 - f * f))
    out += [(name, v) for name, v in numbers]
    return out


# A factor may come with a sign flipped or a factor 2 on the same paths: ratio = s·f (an extra f) or s/f (f missing).
# (s, how s·f is written, how s/f is written, what s adds to the sentence), the plain factor first.
_WITH = (
    (1.0, "{f}", "1/{w}", ""),
    (-1.0, "−{f}", "−1/{w}", ", and the sign is flipped"),
    (0.5, "{w}/2", "1/(2·{f})", ", and a factor 2 is missing"),
    (2.0, "2·{f}", "2/{w}", ", and a factor 2 is extra"),
    (-0.5, "−{w}/2", "−1/(2·{f})", ", a factor 2 is missing and the sign is flipped"),
    (-2.0, "−2·{f}", "−2/{w}", ", a factor 2 is extra and the sign is flipped"),
)
_SPECIAL = {  # ratios that need no factor: (kind, what the entries are, the usual slip)
    -1.0: ("flipped", "has the wrong sign: one sign flipped", "(a − y) written (y − a)?"),
    2.0: ("doubled", "is twice backprop's: one factor 2 too many", "the 2 of a square kept twice?"),
    0.5: ("halved", "is half of backprop's: one factor 2 missing", "did you drop the 2 of a square?"),
}


def _named(rho: float, factors: list[tuple[str, float]],
           match: float = MATCH) -> tuple[str, str, float, float] | None:
    """(the sentence's end, the factor, its value, the ratio it gives) for the first factor that explains ``rho``
    to ``match``.

    The formula is written with the factor's own value (1/σ′(z) = 5.62), true whatever the rounding of the
    numbers whose ratio it explains.
    """
    for s, extra, missing, also in _WITH:
        for name, value in factors:
            if value in (0.0, 1.0, -1.0, 2.0, 0.5, -2.0, -0.5) or not math.isfinite(value):
                continue
            if abs(s * value - rho) <= match * abs(rho):
                formula = extra.format(f=name, w=wrapped(name))
                return (f"{formula} = {short(s * value)}: your backward pass has an extra {name}{also}", name, value,
                        s * value)
            if abs(s / value - rho) <= match * abs(rho):
                formula = missing.format(f=name, w=wrapped(name))
                return f"{formula} = {short(s / value)}: {name} is missing{also}", name, value, s / value
    return None


def ratio_causes(given: list, reference: list, names: list[str], picked: list[int],
                 factors: list[tuple[str, float]], tol: float, every: bool, match: float = MATCH) -> list[Cause]:
    """The causes read from the ratios yours/reference of the ``picked`` wrong entries.

    The entries are put in classes of one shared ratio (largest class
    first); each class is one cause when its ratio says something: −1, 2 or
    ½ for two or more entries, or a factor of ``factors`` (or a factor with
    a sign or a 2 beside it) that equals it to ``MATCH``, or any ratio shared
    by two or more entries ("one factor shared by their paths", unnamed: no
    factor is named that does not match). ``every``: whether ``picked`` are
    all the entries with a nonzero reference (then a class of all of them is
    "every entry", its factor shared by all paths). ``match``: how near a
    factor must come to a ratio to be named, relative (``MATCH`` for a
    program's numbers; a learner who rounds to 3 significant digits gets
    the rounding's own size).
    """
    left = [p for p in picked if given[p] is not None and reference[p] != 0.0]
    classes = []
    while left:
        base = max(left, key=lambda p: abs(reference[p]))
        rho = given[base] / reference[base]
        members = [p for p in left if close(given[p], rho * reference[p], tol)]
        classes.append((rho, members))
        left = [p for p in left if p not in members]
    classes.sort(key=lambda c: -len(c[1]))
    out: list[Cause] = []
    for rho, members in classes:
        cause = _ratio_cause(rho, [names[p] for p in members], factors, every and len(members) == len(picked), match)
        if cause is None:
            continue
        same = [c for c in out if c.factor and _pattern(c) == _pattern(cause)]
        if same:  # the same factor at another unit of a layer: h[0] and h[1]
            _join(same[0], cause)
        else:
            out.append(cause)
    return out


def _pattern(cause: Cause) -> tuple:
    """A named cause with its indices blotted out: "1/(1 − h[·]²)… is missing" for h[0] and h[1] alike."""
    end = cause.text.split("; ", 1)[-1]
    return re.sub(r"\[\d+\]", "[·]", cause.factor), re.sub(r"\[\d+\]|= [^:]*:", "", end)


def _join(into: Cause, other: Cause) -> None:
    """One cause at several places: the sentences joined, the entries together."""
    head = "the same mistake at several places (one line of your backward pass for a whole layer?): "
    if not into.text.startswith(head):
        into.text = head + into.text
    into.text += "; " + other.text
    into.entries += other.entries
    into.ratio = None


def _ratio_cause(rho: float, listed: list[str], factors: list[tuple[str, float]], every: bool,
                 match: float = MATCH) -> Cause | None:
    if rho == 0.0 or close(rho, 1.0, match):
        return None
    who, where = ("every entry", "all paths") if every else \
        (f"∂C/∂{listed[0]}", "its paths") if len(listed) == 1 else ("each of " + gradients(listed), "their paths")
    for special, (kind, words, hint) in _SPECIAL.items():
        if close(rho, special, match):
            if len(listed) < 2:
                return None  # one entry: its own diagnosis says as much
            return Cause(kind, f"{who} {words} where {where} still run together, one mistake reported once ({hint})",
                         listed, ratio=rho)
    def size(r: float) -> str:
        return f"{short(r)}× too large" if r > 1 else f"{short(r)}× backprop's"

    named = _named(rho, factors, match)
    if named is not None:  # the ratio the named factor gives, where the numbers give it to ``match``
        end, factor, value, implied = named
        return Cause("ratio", f"{who} is {size(implied)}: one factor shared by {where}; {end}", listed,
                     factor=factor, value=value, ratio=rho)
    text = f"{who} is {size(rho)}: one factor shared by {where}"
    return Cause("ratio", text, listed, ratio=rho) if len(listed) >= 2 else None
