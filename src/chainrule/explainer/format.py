"""How numbers and formulas are written for people: 0.5777…, 4.5w − 2.4, 2(1.5w − 0.8)."""

from __future__ import annotations

import functools
import re

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def subscript(n: int) -> str:
    """7 → '₇' (w₁, a₂: which neuron)."""
    return str(n).translate(_SUBSCRIPT)


def superscript(n: int) -> str:
    """2 → '²' (W², δ³: which layer)."""
    return str(n).translate(_SUPERSCRIPT)


def num(x: float, digits: int = 6) -> str:
    """A float with up to ``digits`` significant digits: 1.2000000000000002 → '1.2'."""
    x = float(x)
    if x == 0.0:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}·10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    return text


@functools.lru_cache(maxsize=1024)  # sympy's printer is slow, and the same formulas come back often
def _sympy_text(expr, as_written: bool = False) -> str:
    import sympy

    return sympy.sstr(expr, full_prec=False, order="none" if as_written else None)


def pretty(expr, as_written: bool = False) -> str:
    """A sympy expression written as on a blackboard: ``4.5*w - 2.4`` → ``4.5w − 2.4``.

    Products of a number and a symbol or parenthesis lose their sign
    (``2*(a - y)`` → ``2(a − y)``), other products use ``·``, powers become
    superscripts and the minus sign is a real minus. ``as_written``: the
    factors in the order the formula was built (σ(z)·(1 − σ(z))), not sympy's.
    """
    text = expr if isinstance(expr, str) else _sympy_text(expr, as_written)
    text = re.sub(r"(\d+\.\d*?)0+\b", lambda m: m.group(1).rstrip("."), text)  # 4.50000 → 4.5
    # x**2 → x², x**(-1) → x⁻¹ (the parentheses go only when they belong to the exponent)
    text = re.sub(r"\*\*(?:\((-?\d+)\)|(\d+))", lambda m: (m.group(1) or m.group(2)).translate(_SUPERSCRIPT), text)
    text = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)\*(?=[A-Za-z_(])", r"\1", text)
    text = text.replace("*", "·")
    return text.replace("-", "−")


def substitute(formula: str, values: dict[str, str]) -> str:
    """Put numbers (or sub-formulas) in place of names in a written formula.

    ``substitute("2(a − y)", {"a": "1.2", "y": "0.8"})`` → ``"2(1.2 − 0.8)"``.
    A negative number or a sum is put in parentheses so the result reads right.
    """
    def wrap(match) -> str:
        text = values[match.group(1)]
        before, after = formula[:match.start()], formula[match.end():]
        alone = before.endswith(("(", ", ")) and after.startswith((")", ","))  # a function's whole argument: σ(z)
        if alone:
            return text[1:-1] if text.startswith("(−") and text.endswith(")") else text
        if text.startswith("−") or " + " in text or " − " in text:
            return f"({text})"
        return text

    if not values:
        return formula
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(k) for k in sorted(values, key=len, reverse=True)) + r")(?!\w)")
    return pattern.sub(wrap, formula)


_SUBSCRIPT_DIGITS = {"₀": "0", "₁": "1", "₂": "2", "₃": "3", "₄": "4", "₅": "5", "₆": "6", "₇": "7", "₈": "8", "₉": "9"}
_SUPERSCRIPT_DIGITS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9", "⁻": "-"}
_LATEX_WORDS = {"∂": r"\partial ", "·": r" \cdot ", "−": "-", "σ": r"\sigma ", "δ": r"\delta ", "⊙": r" \odot ", "ᵀ": "^T",
                "→": r" \to ", "Σ": r"\sum ", "≈": r" \approx ", "×": r" \times ", "′": "'", "…": r"\dots "}


def latex(text: str) -> str:
    """Our blackboard notation in LaTeX: '∂C/∂w₁ = 2(a − y)·x²' → '\\partial C/\\partial w_{1} = 2(a - y) \\cdot x^{2}'."""
    text = re.sub("[₀-₉]+", lambda m: "_{" + "".join(_SUBSCRIPT_DIGITS[c] for c in m.group(0)) + "}", text)
    text = re.sub("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", lambda m: "^{" + "".join(_SUPERSCRIPT_DIGITS[c] for c in m.group(0)) + "}", text)
    for word, tex in _LATEX_WORDS.items():
        text = text.replace(word, tex)
    return text


def sympy_latex(expr) -> str:
    """A sympy expression in LaTeX, with our subscripted names (w₁) written as w_{1}."""
    import sympy

    names = {s: latex(s.name) for s in expr.free_symbols if isinstance(s, sympy.Symbol)}
    return sympy.latex(expr, symbol_names=names)


def factor(x: float) -> str:
    """A number as a factor of a product: negative ones in parentheses with a real minus, (−0.5)."""
    text = num(x)
    return f"({text.replace('-', '−', 1)})" if text.startswith("-") else text


def paren(text: str) -> str:
    """``text`` in parentheses when it is a sum at its top level (2(a − y) stays, a − y → (a − y))."""
    depth = 0
    for k, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and ch in "+−" and 0 < k < len(text) - 1 and text[k - 1] == " " and text[k + 1] == " ":
            return f"({text})"
    return f"({text})" if text.startswith("−") else text
