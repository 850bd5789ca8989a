"""Our blackboard notation as MathML, which browsers render without a script: ∂C/∂w¹₁₁ = 2(a − y)·x₁².

The explanations write formulas as text (``explainer.format``): names with
Unicode sub- and superscripts (w¹₁₁, a₂), ∂C/∂w for derivatives, · and −,
σ(z), numbers like 1.2·10⁻⁵. ``to_mathml`` turns such a line into a
``<math>`` element: names become ``mi`` with ``msub``/``msup``/``msubsup``,
∂X/∂Y a fraction, a superscript after a closing parenthesis a power of the
whole group, numbers ``mn``, the rest ``mo``; words (if, else, new) are
text. Everything is escaped: the output is well-formed XML whatever the
input.
"""

from __future__ import annotations

import re
from html import escape

__all__ = ["to_mathml"]

_SUP = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"
_SUP_PLAIN = dict(zip(_SUP, "0123456789−"))
_SUB = "₀₁₂₃₄₅₆₇₈₉"
_SUB_PLAIN = dict(zip(_SUB, "0123456789"))
_WORDS = {"if", "else", "new", "max", "and", "with", "for"}
_TOKEN = re.compile(
    r"(?P<num>\d+(?:\.\d+)?)"
    r"|(?P<name>[^\W\d_" + _SUP + _SUB + r"]+)(?P<sup>[" + _SUP + r"]*)(?P<sub>[" + _SUB + r"]*)(?P<pow>[" + _SUP + r"]*)"
    r"|(?P<supalone>[" + _SUP + r"]+)"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)"
)


_OPEN, _CLOSE = '<mo stretchy="false">(</mo>', '<mo stretchy="false">)</mo>'  # a bracket as tall as its group


def _mi(text: str) -> str:
    return f"<mi>{escape(text)}</mi>"


def _name(name: str, sup: str, sub: str, power: str) -> str:
    if name in _WORDS and not (sup or sub or power):
        return f"<mtext>{escape(name)}&#160;</mtext>"
    base = _mi(name)
    sup_mn = f"<mn>{escape(''.join(_SUP_PLAIN[c] for c in sup))}</mn>" if sup else ""
    sub_mn = f"<mn>{escape(''.join(_SUB_PLAIN[c] for c in sub))}</mn>" if sub else ""
    if sup and sub:
        node = f"<msubsup>{base}{sub_mn}{sup_mn}</msubsup>"
    elif sub:
        node = f"<msub>{base}{sub_mn}</msub>"
    elif sup:
        node = f"<msup>{base}{sup_mn}</msup>"
    else:
        node = base
    if power:
        node = f"<msup><mrow>{node}</mrow><mn>{escape(''.join(_SUP_PLAIN[c] for c in power))}</mn></msup>"
    return node


def _tokens(text: str) -> list[str]:
    """MathML pieces of one line, a power after ')' wrapping its parenthesised group."""
    out: list[str] = []
    for m in _TOKEN.finditer(text):
        if m.group("num"):
            out.append(f"<mn>{escape(m.group('num'))}</mn>")
        elif m.group("name"):
            out.append(_name(m.group("name"), m.group("sup"), m.group("sub"), m.group("pow")))
        elif m.group("supalone"):
            exponent = "".join(_SUP_PLAIN[c] for c in m.group("supalone"))
            start = _opening(out) if out and out[-1] == _CLOSE else None
            if start is not None:
                group = "".join(out[start:])
                del out[start:]
                out.append(f"<msup><mrow>{group}</mrow><mn>{escape(exponent)}</mn></msup>")
            elif out:
                last = out.pop()
                out.append(f"<msup><mrow>{last}</mrow><mn>{escape(exponent)}</mn></msup>")
            else:
                out.append(f"<msup><mrow></mrow><mn>{escape(exponent)}</mn></msup>")
        elif m.group("space"):
            continue
        else:
            ch = m.group("other")
            out.append(_OPEN if ch == "(" else _CLOSE if ch == ")" else f"<mo>{escape(ch)}</mo>")
    return _signed_numbers(out)


def _signed_numbers(out: list[str]) -> list[str]:
    """A minus that starts a number (after '=', '(' or at the start) joins it: = −0.77, not = − 0.77."""
    merged: list[str] = []
    for piece in out:
        if merged and merged[-1] == "<mo>−</mo>" and piece.startswith("<mn>") and (
                len(merged) == 1 or merged[-2].startswith("<mo") and merged[-2] != _CLOSE):
            merged[-1] = "<mn>−" + piece[len("<mn>"):]
            continue
        merged.append(piece)
    return merged


def _opening(out: list[str]) -> int | None:
    """The index of the '(' that the ')' at the end of ``out`` closes."""
    depth = 0
    for k in range(len(out) - 1, -1, -1):
        if out[k] == _CLOSE:
            depth += 1
        elif out[k] == _OPEN:
            depth -= 1
            if depth == 0:
                return k
    return None


_DERIVATIVE = re.compile(r"∂(\([^()]*\)|[^\s/·=()+−]+)/∂(\([^()]*\)|[^\s·=()+−]+)")


def to_mathml(text: str, display: bool = False) -> str:
    """One line of our notation as a ``<math>`` element (``display``: a block of its own)."""
    pieces: list[str] = []
    last = 0
    for m in _DERIVATIVE.finditer(text):
        pieces += _tokens(text[last:m.start()])
        top = "".join(_tokens(m.group(1)))
        below = "".join(_tokens(m.group(2)))
        pieces.append(f"<mfrac><mrow><mi>∂</mi>{top}</mrow><mrow><mi>∂</mi>{below}</mrow></mfrac>")
        last = m.end()
    pieces += _tokens(text[last:])
    kind = ' display="block"' if display else ""
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML"{kind}><mrow>{"".join(pieces)}</mrow></math>'
