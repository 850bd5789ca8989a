"""How numbers and formulas are written for people: 0.5777…, 4.5w − 2.4, 2(1.5w − 0.8).

One style per output: text and Markdown write a real minus sign (−0.16) and
put a negative factor of a product in parentheses, (−0.16) · 1.5; JSON keeps
its numbers as numbers. A number that is zero up to rounding is written 0:
the rule is ``ROUNDING`` (below), used by every renderer.
"""

from __future__ import annotations

import functools
import re

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

# A sum whose size is below ROUNDING × its largest term is zero up to rounding: 0.8 + (−0.8) may
# come out as 2.2·10⁻¹⁶, and finite differences say 0. Such a number is written 0.
ROUNDING = 1e-12


def subscript(n: int) -> str:
    """7 → '₇' (w₁, a₂: which neuron)."""
    return str(n).translate(_SUBSCRIPT)


def superscript(n: int) -> str:
    """2 → '²' (W², δ³: which layer)."""
    return str(n).translate(_SUPERSCRIPT)


def is_rounding_zero(x: float, scale: float = 0.0) -> bool:
    """True when ``x`` is 0, or zero up to rounding next to terms of size ``scale`` (``ROUNDING``)."""
    return x == 0.0 or abs(x) <= ROUNDING * abs(scale)


def num(x: float, digits: int = 6, scale: float = 0.0) -> str:
    """A float with up to ``digits`` significant digits, a real minus sign: 1.2000000000000002 → '1.2', −0.16.

    ``scale``: the size of the largest term ``x`` was summed from; if ``x``
    is zero up to rounding next to it, it is written 0.
    """
    x = float(x)
    if is_rounding_zero(x, scale):
        return "0"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}·10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    return text.replace("-", "−", 1)


def factor(x: float, scale: float = 0.0) -> str:
    """A number as a factor of a product: negative ones in parentheses, (−0.5)."""
    text = num(x, scale=scale)
    return f"({text})" if text.startswith("−") else text


@functools.lru_cache(maxsize=1024)  # sympy's printer is slow, and the same formulas come back often
def _sympy_text(expr, as_written: bool = False) -> str:
    import sympy  # a formula's: numbers never load sympy (see explainer.symbolic)

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
    text = re.sub(r"(?<![\w.])1\*(?=[^\W\d_]|\()", "", text)  # 1·w is w (a Float coefficient 1.0 shows as 1*w)
    text = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)\*(?=[A-Za-z_(])", r"\1", text)
    text = text.replace("*", "·")
    return text.replace("-", "−")


def substitute(formula: str, values: dict[str, str]) -> str:
    """Put numbers (or sub-formulas) in place of names in a written formula.

    ``substitute("2(a − y)", {"a": "1.2", "y": "0.8"})`` → ``"2(1.2 − 0.8)"``.
    A negative number or a sum is put in parentheses so the result reads right
    (but not twice, and not when it is a function's whole argument: σ(−0.75)).
    """
    def wrap(match) -> str:
        text = values[match.group(1)]
        before, after = formula[:match.start()], formula[match.end():]
        alone = before.endswith(("(", ", ")) and after.startswith((")", ","))  # a function's whole argument: σ(z)
        if alone:
            return text[1:-1] if text.startswith("(−") and text.endswith(")") else text
        if text.startswith("(") and text.endswith(")"):
            return text
        if text.startswith("−") or " + " in text or " − " in text:
            return f"({text})"
        return text

    if not values:
        return formula
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(k) for k in sorted(values, key=len, reverse=True)) + r")(?!\w)")
    return pattern.sub(wrap, formula)


def paren(text: str) -> str:
    """``text`` in parentheses when it is a sum at its top level (2(a − y) stays, a − y → (a − y))."""
    depth = 0
    for k, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and ch in "+−" and 0 < k < len(text) - 1 and text[k - 1] == " " and text[k + 1] == " ":
            return f"({text})"
    return f"({text})" if text.startswith("−") else text


# ------------------------------------------------------------------ wrapping
_BREAKS = (" = ", " · ", " + ", " − ", " ⊙ ")


def wrap_formula(text: str, width: int, indent: int = 4) -> list[str]:
    """``text`` cut into lines of at most ``width`` characters, only between the factors and terms of a formula.

    A line breaks before a top-level " = ", " · ", " + " or " − " (never
    inside parentheses, so ∂(a − y)/∂a stays whole); continuation lines are
    indented. A piece longer than ``width`` is kept whole: a number or a
    name is never cut.
    """
    if len(text) <= width or width <= indent + 8:
        return [text]
    pieces, depth, start, k = [], 0, 0, 0
    while k < len(text):
        ch = text[k]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and k > start and any(text.startswith(b, k) for b in _BREAKS):
            pieces.append(text[start:k])
            start = k + 1  # the break's leading space goes; its symbol starts the next piece
        k += 1
    pieces.append(text[start:])
    lines, current = [], ""
    for piece in pieces:
        joined = f"{current} {piece}" if current else piece
        room = width - (indent if lines else 0)
        if current and len(joined) > room:
            lines.append(current)
            current = piece
        else:
            current = joined
    lines.append(current)
    return [lines[0]] + [" " * indent + line for line in lines[1:]]


# ---------------------------------------------------------------- plain ASCII
_ASCII = {
    "∂": "d", "·": "*", "−": "-", "→": "->", "—": "-", "–": "-", "σ": "sigma", "δ": "delta", "⊙": "(.)",
    "ᵀ": "^T", "∇": "grad ", "≈": "~", "×": "x", "′": "'", "″": "''", "…": "...", "≥": ">=", "≤": "<=",
    "≠": "!=", "√": "sqrt", "Σ": "sum ", "Π": "prod ", "η": "eta", "λ": "lambda", "μ": "mu", "θ": "theta",
    "ε": "eps", "β": "beta", "ₐ": "_a", "ˡ": "^l", "ᴸ": "^L", "ⱼ": "_j", "ₖ": "_k", "ᵢ": "_i", "ₜ": "_t",
    "½": "1/2", "²": "^2", "³": "^3", "¹": "^1", "⁰": "^0", "⁴": "^4", "⁵": "^5", "⁶": "^6", "⁷": "^7",
    "⁸": "^8", "⁹": "^9", "⁻": "^-", "“": '"', "”": '"', "’": "'", "‘": "'", "✓": "ok", "✗": "x",
    "│": "|", "─": "-", "╭": "+", "╮": "+", "╰": "+", "╯": "+", "▶": ">", "◀": "<",
    "Δ": "Delta ", "‖": "||", "⌊": "floor(", "⌋": ")", "₋": "_-", "∞": "inf", "±": "+/-",
}
_SUBSCRIPT_DIGITS = {"₀": "0", "₁": "1", "₂": "2", "₃": "3", "₄": "4", "₅": "5", "₆": "6", "₇": "7", "₈": "8", "₉": "9"}
_SUPERSCRIPT_DIGITS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9", "⁻": "-"}


def to_ascii(text: str) -> str:
    """Our notation in plain ASCII, for an output that cannot carry Unicode: ∂C/∂w₁ → dC/dw1, x² → x^2, 10⁻⁶ → 10^-6."""
    text = re.sub("[₀-₉]+", lambda m: "".join(_SUBSCRIPT_DIGITS[c] for c in m.group(0)), text)
    text = re.sub("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", lambda m: "^" + "".join(_SUPERSCRIPT_DIGITS[c] for c in m.group(0)), text)
    text = "".join(_ASCII.get(ch, ch) for ch in text)
    return text.encode("ascii", "backslashreplace").decode("ascii")


# ---------------------------------------------------------------------- LaTeX
_LATEX_WORDS = {"∂": r"\partial ", "·": r" \cdot ", "−": "-", "σ": r"\sigma ", "δ": r"\delta ", "⊙": r" \odot ",
                "ᵀ": "^{T}", "→": r" \to ", "Σ": r"\sum ", "≈": r" \approx ", "×": r" \times ", "′": "'",
                "…": r"\dots ", "∇": r"\nabla ", "η": r"\eta ", "Δ": r"\Delta ", "Π": r"\prod ", "″": "''",
                "‖": r"\| ", "⌊": r"\lfloor ", "⌋": r"\rfloor ", "₋": "_{-}", "λ": r"\lambda ", "μ": r"\mu ", "θ": r"\theta ",
                "≤": r" \le ", "≥": r" \ge ", "←": r" \leftarrow ", "½": r"\tfrac{1}{2}", "—": "-", "⁄": "/"}
_SCRIPT_LETTERS = {"ₐ": "a", "ᵢ": "i", "ⱼ": "j", "ₖ": "k", "ₜ": "t"}
_SUPER_LETTERS = {"ˡ": "l", "ᴸ": "L"}


def _matrix(match) -> str:
    rows = [row.split() for row in match.group(1).split(";")]
    body = r" \\ ".join(" & ".join(row) for row in rows)
    return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


def latex(text: str) -> str:
    """Our blackboard notation in LaTeX: '∂C/∂w¹₁₁ = 2(a − y)·x²' → '\\partial C/\\partial w^{1}_{11} = 2(a - y) \\cdot x^{2}'.

    Vectors and matrices written [0.1; 0.2] or [0.1 0.2; 0.3 0.4] become
    ``bmatrix`` environments; relu's slope (1 if z > 0 else 0) becomes the
    Iverson bracket [z > 0]. The result is math only: put prose outside it.
    """
    text = re.sub(r"\(1 if (.+?) > 0 else 0\)", r"[\1 > 0]", text)
    text = re.sub(r"(?<![\w\\])d([A-Za-z])/d([A-Za-z])(?![\w])", r"\\frac{d\1}{d\2}", text)  # dC/dw → \frac{dC}{dw}
    text = re.sub(r"\[([^\[\]]*;[^\[\]]*)\]", _matrix, text)
    text = re.sub(r"\[(−?[\d.·⁰-⁹⁻]+(?: +−?[\d.·⁰-⁹⁻]+)+)\]", _matrix, text)  # a row vector [a b c]
    text = re.sub("[₀-₉]+", lambda m: "_{" + "".join(_SUBSCRIPT_DIGITS[c] for c in m.group(0)) + "}", text)
    text = re.sub("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", lambda m: "^{" + "".join(_SUPERSCRIPT_DIGITS[c] for c in m.group(0)) + "}", text)
    text = re.sub("[ₐᵢⱼₖₜ]+", lambda m: "_{" + "".join(_SCRIPT_LETTERS[c] for c in m.group(0)) + "}", text)
    text = re.sub("[ˡᴸ]+", lambda m: "^{" + "".join(_SUPER_LETTERS[c] for c in m.group(0)) + "}", text)
    for word, tex in _LATEX_WORDS.items():
        text = text.replace(word, tex)
    text = re.sub(r"\\nabla _", r"\\nabla_", text)
    # functions upright, as LaTeX sets them (exp(z) is not e·x·p·(z))
    text = re.sub(r"(?<![\\\w])(exp|log|ln|tanh|max|min)(?=\()", r"\\\1", text)
    text = re.sub(r"(?<![\\\w])(sigmoid|relu|softmax|step|onehot)(?=\()", r"\\operatorname{\1}", text)
    # words of our notation set upright, not as a product of italic letters (l·r, n·e·w)
    text = re.sub(r"(?<![\\\w])lr(?![^\W_])", r"\\mathrm{lr}", text)
    text = re.sub(r"(?<![\\\w])new (?=\S)", r"\\text{new}\\ ", text)
    return text


def sympy_latex(expr) -> str:
    """A sympy expression in LaTeX, with our subscripted names (w₁) written as w_{1}."""
    import sympy

    names = {s: latex(s.name) for s in expr.free_symbols if isinstance(s, sympy.Symbol)}
    return sympy.latex(expr, symbol_names=names)
