"""How numbers and formulas are written for people: 0.5777…, 4.5w − 2.4, 2(1.5w − 0.8)."""

from __future__ import annotations

import re

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


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


def pretty(expr) -> str:
    """A sympy expression written as on a blackboard: ``4.5*w - 2.4`` → ``4.5w − 2.4``.

    Products of a number and a symbol or parenthesis lose their sign
    (``2*(a - y)`` → ``2(a − y)``), other products use ``·``, powers become
    superscripts and the minus sign is a real minus.
    """
    import sympy

    text = sympy.sstr(expr, full_prec=False) if not isinstance(expr, str) else expr
    text = re.sub(r"(\d+\.\d*?)0+\b", lambda m: m.group(1).rstrip("."), text)  # 4.50000 → 4.5
    text = re.sub(r"\*\*\(?(-?\d+)\)?", lambda m: m.group(1).translate(_SUPERSCRIPT), text)
    text = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)\*(?=[A-Za-z_(])", r"\1", text)
    text = text.replace("*", "·")
    return text.replace("-", "−")


def substitute(formula: str, values: dict[str, str]) -> str:
    """Put numbers (or sub-formulas) in place of names in a written formula.

    ``substitute("2(a − y)", {"a": "1.2", "y": "0.8"})`` → ``"2(1.2 − 0.8)"``.
    A negative number or a sum is put in parentheses so the result reads right.
    """
    def wrap(text: str) -> str:
        return f"({text})" if text.startswith("−") or " + " in text or " − " in text else text

    if not values:
        return formula
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(k) for k in sorted(values, key=len, reverse=True)) + r")(?!\w)")
    return pattern.sub(lambda m: wrap(values[m.group(1)]), formula)
