"""A learner's answer, read safely: a number (1.2, −0.16, 3/4) or a formula in the lesson's symbols (2(a − y)·i).

Answers come from people: from a terminal, a file, a web page. They are
never given to ``eval``, to sympy's ``sympify`` or ``parse_expr`` (which run
``eval`` on their string, as sympy's own documentation warns). They are read
by the small grammar below, written for this purpose, which knows only

    numbers         1.5   .5   2e-3   (a decimal point, never a comma)
    the symbols     the lesson's names, as printed (w₁, a¹₁) or typed (w1, a1_1)
    + − * / ( )     with − · × ÷ accepted too, and 2(a − y) for 2·(a − y)
    powers          a**2, a^2, a², (a − y)^-1: the exponent is one plain number
    the functions   of the op table (exp, log, tanh, sigmoid, relu, step), σ and ln

and the grammar, from the loosest binding to the tightest::

    sum      := product (("+" | "−") product)*
    product  := signed (("*" | "/") signed | signed-without-sign)*     2(a − y) i
    signed   := ("−" | "+") signed | power
    power    := atom ("**" | "^" exponent | "²" | "³" | "⁻¹")?
    exponent := ["−"] NUMBER | "(" ["−"] NUMBER ")"
    atom     := NUMBER | NAME | FUNCTION "(" sum ")" | "(" sum ")"

Everything a string could ask for is bounded before any arithmetic:
``MAX_CHARS`` characters, ``MAX_NODES`` pieces, parentheses nested at most
``MAX_DEPTH`` deep, exponents from −``MAX_EXPONENT`` to ``MAX_EXPONENT``
and powers of powers at most ``MAX_POWER`` in all, so ``9**9**9`` is refused
at once (its exponent, ``9**9``, is not a plain number) and no answer can
make a number with more than a few thousand digits.

The result, ``Answer``, is a small tree: it evaluates with floats at any
values of the symbols (``value``), and becomes a sympy expression built node
by node from the tree (``to_sympy``), never from text.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

from .. import ops
from ..errors import InvalidValueError

__all__ = ["Answer", "AnswerError", "parse_answer", "MAX_CHARS", "MAX_NODES", "MAX_DEPTH", "MAX_EXPONENT",
           "MAX_POWER", "FUNCTION_ALIASES"]

MAX_CHARS = 200  # an answer longer than this is not an answer to one step of backprop
MAX_NODES = 120  # numbers, names and operations in one answer
MAX_DEPTH = 24  # parentheses and function calls nested
MAX_EXPONENT = 10  # |n| in x**n
MAX_POWER = 100  # the product of the exponents of powers of powers: ((x²)³)⁴ is 24
MAX_DIGITS = 30  # digits in one number
MAX_TEN_POWER = 30  # |e| in 1.5e-3

# How people also write the op table's functions.
FUNCTION_ALIASES = {"σ": "sigmoid", "sigma": "sigmoid", "ln": "log", "tanh": "tanh"}
_FUNCTIONS = {**{name: name for name in ops.FUNCTIONS}, **FUNCTION_ALIASES}
_MINUS = "-−–"  # hyphen, minus sign, en dash
_TIMES = "*·⋅×∗"
_DIVIDE = "/÷"
_SUPERSCRIPT = {"⁰": 0, "¹": 1, "²": 2, "³": 3, "⁴": 4, "⁵": 5, "⁶": 6, "⁷": 7, "⁸": 8, "⁹": 9}
_SUBSCRIPT = "₀₁₂₃₄₅₆₇₈₉"
_ALLOWED = "numbers, the symbols, + − * / ^ ( ) and the functions " + ", ".join(sorted(set(_FUNCTIONS)))


class AnswerError(InvalidValueError):
    """The text is not an answer: not a number, nor a formula in the lesson's symbols (the message says why)."""


# ----------------------------------------------------------------- tokens
@dataclass(frozen=True)
class _Token:
    kind: str  # "num", "name", "op", "(", ")", "sup" (a superscript exponent), "end"
    text: str
    at: int
    number: Fraction | None = None


def _is_name_char(ch: str) -> bool:
    return ch.isalpha() or ch == "_" or ch.isdigit() and ch not in _SUPERSCRIPT or ch in _SUBSCRIPT or ch in _SUPERSCRIPT


def _number(text: str, at: int) -> Fraction:
    mantissa, _, ten = text.lower().partition("e")
    if sum(c.isdigit() for c in mantissa) > MAX_DIGITS:
        raise AnswerError(f"the number {text!r} has more than {MAX_DIGITS} digits")
    if ten and abs(int(ten)) > MAX_TEN_POWER:
        raise AnswerError(f"the number {text!r} is out of range; allowed: powers of ten from e-{MAX_TEN_POWER} "
                          f"to e{MAX_TEN_POWER}")
    return Fraction(text)  # only digits, one point and an exponent reach here: Fraction reads them exactly


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    k, n = 0, len(text)
    while k < n:
        ch = text[k]
        if ch.isspace():
            k += 1
            continue
        start = k
        if ch in "0123456789" or ch == "." and k + 1 < n and text[k + 1] in "0123456789":
            while k < n and text[k] in "0123456789":
                k += 1
            if k < n and text[k] == ".":
                k += 1
                while k < n and text[k] in "0123456789":
                    k += 1
            if k < n and text[k] in "eE":  # an exponent, only if digits follow: 2e-3, not 2e (2·e)
                j = k + 1
                if j < n and text[j] in "+-":
                    j += 1
                if j < n and text[j] in "0123456789":
                    k = j
                    while k < n and text[k] in "0123456789":
                        k += 1
            word = text[start:k]
            if k < n and text[k] == "," and k + 1 < n and text[k + 1].isdigit():
                raise AnswerError(f"write decimals with a point, not a comma: {word}.{text[k + 1]}…")
            out.append(_Token("num", word, start, _number(word, start)))
            continue
        if _is_name_char(ch) and ch not in _SUPERSCRIPT:
            while k < n and _is_name_char(text[k]):
                k += 1
            out.append(_Token("name", text[start:k], start))
            continue
        if ch in _SUPERSCRIPT or ch == "⁻":  # x², x⁻¹: an exponent written as superscript digits
            k += ch == "⁻"
            digits = ""
            while k < n and text[k] in _SUPERSCRIPT:
                digits += str(_SUPERSCRIPT[text[k]])
                k += 1
            if not digits:
                raise AnswerError(f"'⁻' at character {start + 1} must be followed by superscript digits (x⁻¹)")
            value = int(digits) * (-1 if ch == "⁻" else 1)
            out.append(_Token("sup", text[start:k], start, Fraction(value)))
            continue
        if text.startswith("**", k):
            out.append(_Token("op", "^", start))
            k += 2
            continue
        if ch in "+" or ch in _MINUS:
            out.append(_Token("op", "+" if ch == "+" else "-", start))
        elif ch in _TIMES:
            out.append(_Token("op", "*", start))
        elif ch in _DIVIDE:
            out.append(_Token("op", "/", start))
        elif ch == "^":
            out.append(_Token("op", "^", start))
        elif ch == "(":
            out.append(_Token("(", ch, start))
        elif ch == ")":
            out.append(_Token(")", ch, start))
        else:
            raise AnswerError(f"{ch!r} (character {start + 1}) is not allowed; allowed: {_ALLOWED}")
        k += 1
    out.append(_Token("end", "", n))
    return out


# ------------------------------------------------------------------- tree
# The four operations, for floats and for sympy alike.
_BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}

# A node of the tree is a tuple: ("num", Fraction), ("sym", id), ("neg", x), (op, left, right) for op in
# + - * /, ("pow", base, Fraction), ("call", function, argument).


@dataclass(frozen=True)
class Answer:
    """A parsed answer: ``text`` as given, its ``tree``, and the ``symbols`` (ids) it uses."""

    text: str
    tree: tuple
    symbols: frozenset

    @property
    def is_number(self) -> bool:
        """An answer without symbols is a number (3/4 and 2·0.6 are numbers too)."""
        return not self.symbols

    def value(self, values: Mapping[str, float] | None = None) -> float:
        """The answer's value with floats, the symbols at ``values``; ``AnswerError`` if it has none (1/0, log −1)."""
        try:
            out = _evaluate(self.tree, values or {})
        except ZeroDivisionError:
            raise AnswerError(f"{self.text!r} divides by zero") from None
        except OverflowError:
            raise AnswerError(f"{self.text!r} is too large for a number") from None
        except ValueError as exc:
            raise AnswerError(f"{self.text!r} has no value here: {exc}") from None
        if isinstance(out, complex) or not math.isfinite(out):
            raise AnswerError(f"{self.text!r} is not a finite real number")
        return float(out)

    def to_sympy(self, symbols: Mapping[str, object]):
        """The answer as a sympy expression, built from the tree (``symbols``: id → sympy symbol)."""
        return _to_sympy(self.tree, symbols)


def _evaluate(node: tuple, values: Mapping[str, float]) -> float:
    kind = node[0]
    if kind == "num":
        return float(node[1])
    if kind == "sym":
        return values[node[1]]
    if kind == "neg":
        return -_evaluate(node[1], values)
    if kind == "call":
        argument = _evaluate(node[2], values)
        if node[1] == "log" and argument <= 0:
            raise ValueError("the logarithm of a number ≤ 0")
        return getattr(ops.FLOATS, node[1])(argument)
    if kind == "pow":
        base, exponent = _evaluate(node[1], values), node[2]
        if exponent.denominator == 1:
            return base ** int(exponent) if exponent >= 0 else 1.0 / base ** int(-exponent)
        out = base ** float(exponent)
        if isinstance(out, complex):
            raise ValueError("a negative number to a fractional power is not a real number")
        return out
    return _BINARY[kind](_evaluate(node[1], values), _evaluate(node[2], values))


def _to_sympy(node: tuple, symbols: Mapping[str, object]):
    import sympy

    from ..explainer.symbolic import SympyLib

    kind = node[0]
    if kind == "num":
        return sympy.Rational(node[1].numerator, node[1].denominator)
    if kind == "sym":
        return symbols[node[1]]
    if kind == "neg":
        return -_to_sympy(node[1], symbols)
    if kind == "call":
        return getattr(SympyLib, node[1])(_to_sympy(node[2], symbols))
    if kind == "pow":
        return _to_sympy(node[1], symbols) ** sympy.Rational(node[2].numerator, node[2].denominator)
    return _BINARY[kind](_to_sympy(node[1], symbols), _to_sympy(node[2], symbols))


# ----------------------------------------------------------------- parser
class _Parser:
    """Recursive descent over the tokens, counting pieces, depth and the size of powers."""

    def __init__(self, tokens: list[_Token], names: Mapping[str, str], refused: Mapping[str, str]):
        self.tokens, self.k = tokens, 0
        self.names, self.refused = names, refused
        self.nodes = 0
        self.depth = 0
        self.used: set[str] = set()

    # ------------------------------------------------------------ helpers
    @property
    def token(self) -> _Token:
        return self.tokens[self.k]

    def take(self) -> _Token:
        t = self.tokens[self.k]
        self.k += 1
        return t

    def node(self, *parts) -> tuple:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise AnswerError(f"the answer is too long: at most {MAX_NODES} numbers, names and operations")
        return parts

    def where(self, t: _Token) -> str:
        return "at the end" if t.kind == "end" else f"at {t.text!r} (character {t.at + 1})"

    # ------------------------------------------------------------ grammar
    def answer(self) -> tuple:
        if self.token.kind == "end":
            raise AnswerError("the answer is empty: give a number or a formula")
        tree, _ = self.sum()
        if self.token.kind != "end":
            raise AnswerError(f"unexpected {self.where(self.token)}")
        return tree

    def sum(self) -> tuple[tuple, int]:
        left, power = self.product()
        while self.token.kind == "op" and self.token.text in "+-":
            op = self.take().text
            right, p = self.product()
            left, power = self.node(op, left, right), max(power, p)
        return left, power

    def product(self) -> tuple[tuple, int]:
        left, power = self.signed()
        while True:
            t = self.token
            if t.kind == "op" and t.text in "*/":
                self.take()
                right, p = self.signed()
                left = self.node(t.text, left, right)
            elif t.kind in ("num", "name", "("):  # written side by side: 2(a − y), 2a, (a − y)(a + y)
                if t.kind == "num" and self.tokens[self.k - 1].kind == "num":
                    raise AnswerError(f"two numbers in a row {self.where(t)}")
                right, p = self.power()
                left = self.node("*", left, right)
            else:
                return left, power
            power = max(power, p)

    def signed(self) -> tuple[tuple, int]:
        if self.token.kind == "op" and self.token.text in "+-":
            sign = self.take().text
            self.enter()
            inner, power = self.signed()
            self.depth -= 1
            return (self.node("neg", inner) if sign == "-" else inner), power
        return self.power()

    def power(self) -> tuple[tuple, int]:
        base, power = self.atom()
        t = self.token
        if t.kind == "sup":
            self.take()
            return self.raise_to(base, power, t.number, t)
        if t.kind == "op" and t.text == "^":
            self.take()
            exponent = self.exponent()
            return self.raise_to(base, power, exponent, t)
        return base, power

    def raise_to(self, base: tuple, power: int, exponent: Fraction, t: _Token) -> tuple[tuple, int]:
        if abs(exponent) > MAX_EXPONENT:
            raise AnswerError(f"the exponent {exponent} is too large; allowed: a number from −{MAX_EXPONENT} "
                              f"to {MAX_EXPONENT}")
        power *= max(1, math.ceil(abs(exponent)))
        if power > MAX_POWER:
            raise AnswerError(f"powers of powers too large {self.where(t)}: at most {MAX_POWER} in all")
        if self.token.kind == "sup" or self.token.kind == "op" and self.token.text == "^":
            raise AnswerError(f"a power of a power needs parentheses {self.where(self.token)}: (x^2)^3")
        return self.node("pow", base, exponent), power

    def exponent(self) -> Fraction:
        """One plain number, maybe negative, maybe in parentheses: 2, −1, (−1), 0.5."""
        wrapped = self.token.kind == "("
        if wrapped:
            self.take()
        negative = False
        if self.token.kind == "op" and self.token.text in "+-":
            negative = self.take().text == "-"
        t = self.token
        if t.kind != "num":
            raise AnswerError(f"an exponent must be one plain number from −{MAX_EXPONENT} to {MAX_EXPONENT} "
                              f"(x^2, x^-1), {self.where(t)}")
        self.take()
        if wrapped:
            if self.token.kind != ")":
                raise AnswerError(f"an exponent must be one plain number from −{MAX_EXPONENT} to {MAX_EXPONENT} "
                                  f"(x^2, x^(-1)), {self.where(self.token)}")
            self.take()
        if self.token.kind == "op" and self.token.text == "^" or self.token.kind == "sup":
            raise AnswerError(f"an exponent must be one plain number, not a power: write (x^a)^b {self.where(self.token)}")
        return -t.number if negative else t.number

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise AnswerError(f"parentheses nested too deep: at most {MAX_DEPTH}")

    def atom(self) -> tuple[tuple, int]:
        t = self.take()
        if t.kind == "num":
            return self.node("num", t.number), 1
        if t.kind == "(":
            self.enter()
            inner, power = self.sum()
            self.depth -= 1
            if self.token.kind != ")":
                raise AnswerError(f"a parenthesis opened at character {t.at + 1} is not closed ({self.where(self.token)})")
            self.take()
            return inner, power
        if t.kind == "name":
            if self.token.kind == "(" and t.text in _FUNCTIONS and t.text not in self.names:
                self.take()
                self.enter()
                argument, power = self.sum()
                self.depth -= 1
                if self.token.kind != ")":
                    raise AnswerError(f"{t.text}( at character {t.at + 1} is not closed ({self.where(self.token)})")
                self.take()
                return self.node("call", _FUNCTIONS[t.text], argument), power
            return self.symbol(t)
        if t.kind == "sup":
            raise AnswerError(f"an exponent {self.where(t)} needs something to raise")
        if t.kind == "end":
            raise AnswerError("the answer ends too soon: something is missing after the last operator")
        raise AnswerError(f"unexpected {self.where(t)}")

    def symbol(self, t: _Token) -> tuple[tuple, int]:
        text = t.text
        if text in self.refused:
            raise AnswerError(f"{text}: {self.refused[text]}")
        if text in self.names:
            return self.use(text, t), 1
        # z² written with the superscript glued on: the name, then the power
        stem = text.rstrip("".join(_SUPERSCRIPT))
        if stem != text and stem in self.refused:
            raise AnswerError(f"{stem}: {self.refused[stem]}")
        if stem != text and stem in self.names:
            exponent = Fraction(int("".join(str(_SUPERSCRIPT[c]) for c in text[len(stem):])))
            return self.raise_to(self.use(stem, t), 1, exponent, t)
        if text in _FUNCTIONS:
            raise AnswerError(f"{text} is a function: write {text}(…)")
        spellings: dict[str, list[str]] = {}
        for spelling, symbol in self.names.items():
            spellings.setdefault(symbol, []).append(spelling)
        known = ", ".join(s[0] if len(s) == 1 else f"{s[0]} ({' or '.join(s[1:])})" for s in spellings.values())
        known = known or "none"
        raise AnswerError(f"unknown name {text!r}; the symbols here are {known} (a product of two symbols is a*i)")

    def use(self, name: str, t: _Token) -> tuple:
        symbol = self.names[name]
        self.used.add(symbol)
        return self.node("sym", symbol)


def parse_answer(text, names: Mapping[str, str] | None = None, refused: Mapping[str, str] | None = None) -> Answer:
    """Read ``text`` as a number or a formula; ``AnswerError`` (one line, saying why) if it is neither.

    ``names`` maps every spelling a learner may type (w₁, w1) to the id of
    its symbol; ``refused`` maps names that exist but may not be used here
    (the value being asked, one not computed yet) to the reason.
    """
    if not isinstance(text, str):
        if isinstance(text, bool) or not isinstance(text, (int, float)):
            raise AnswerError(f"an answer is a number or a formula written as text, got {type(text).__name__}")
        if not math.isfinite(text):
            raise AnswerError(f"{text!r} is not a finite number")
        text = repr(float(text))
    if len(text) > MAX_CHARS:
        raise AnswerError(f"the answer is too long: {len(text)} characters; allowed: at most {MAX_CHARS}")
    text = text.strip()
    parser = _Parser(_tokens(text), names or {}, refused or {})
    tree = parser.answer()
    return Answer(text, tree, frozenset(parser.used))
