"""A polynomial in one symbol with exact coefficients, written exactly as sympy writes it, without sympy's cost.

The simplest lesson's formulas are polynomials in w whose coefficients are
formulas of i and y: sympy derives them once from the graph (C = i²w² − 2iyw +
y², dC/dw = 2i²w − 2iy, see ``lessons.simplest``). Each explorer request then
brings new numbers for i and y. Building a sympy expression for them and
printing it costs about 2.5 ms (substitution, the assumptions system, four
printers); this module evaluates the coefficients exactly (``fractions``) and
lays the terms out the way sympy's printers do, calling sympy only to print
each *number* (so 2.0e-6, 2.0 \\cdot 10^{-6} and their MathML are sympy's own):
about 0.1 ms.

Written "as sympy writes it" means: exactly ``sympy.sstr(as_floats(expr),
full_prec=False)``, ``sympy.latex(as_floats(expr))`` and
``sympy.printing.mathml(as_floats(expr), printer="presentation")`` for the
same polynomial (``as_floats``: a non-integer rational as a 15-digit decimal,
an integer as itself). ``tests/test_polynomial.py`` holds this against sympy
for thousands of coefficients, extreme magnitudes and every sign.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction


@functools.lru_cache(maxsize=1)
def _printers() -> tuple:
    from sympy.printing.latex import LatexPrinter
    from sympy.printing.mathml import MathMLPresentationPrinter
    from sympy.printing.str import StrPrinter

    return StrPrinter({"full_prec": False}), LatexPrinter(), MathMLPresentationPrinter()


def _sympy_number(value: Fraction):
    """The number as ``as_floats`` leaves it: an Integer, or a Float of the exact rational (15 digits)."""
    import sympy

    if value.denominator == 1:
        return sympy.Integer(value.numerator)
    return sympy.Float(sympy.Rational(value.numerator, value.denominator))


def _number(value: Fraction, form: int) -> str:
    """A coefficient printed by sympy's own printer: 0 text, 1 LaTeX, 2 MathML."""
    return _printers()[form].doprint(_sympy_number(value))


@dataclass(frozen=True)
class Polynomial:
    """c₀·xⁿ + c₁·xⁿ⁻¹ + … + cₙ: ``coefficients`` from the highest power down, exact."""

    symbol: str
    coefficients: tuple[Fraction, ...]

    def terms(self) -> list[tuple[int, Fraction]]:
        """(power, coefficient) of every nonzero term, in the order sympy prints them.

        Highest power first, except sympy's one special case: two terms, a positive constant and a term with a
        negative coefficient, print the constant first (``3 - 9*w**2``).
        """
        n = len(self.coefficients) - 1
        terms = [(n - k, c) for k, c in enumerate(self.coefficients) if c != 0]
        if len(terms) == 2 and terms[1][0] == 0 and terms[1][1] > 0 and terms[0][1] < 0:
            terms.reverse()
        return terms

    def __call__(self, x: float) -> float:
        """The value at x (Horner's rule, in floats)."""
        total = 0.0
        for c in self.coefficients:
            total = total * x + float(c)
        return total

    def as_sympy(self):
        """The same polynomial as an exact sympy expression (rational coefficients)."""
        import sympy

        x = sympy.Symbol(self.symbol)
        return sympy.Add(*(sympy.Rational(c.numerator, c.denominator) * x**p for p, c in self.terms()))

    # ------------------------------------------------------------------ printing
    def text(self) -> str:
        """As ``sympy.sstr``: '4.5*w - 2.4', 'w**2 - 2*w + 1'."""
        return self._text

    @functools.cached_property  # printed once per polynomial
    def _text(self) -> str:
        parts = self.terms()
        if not parts:
            return "0"
        out = []
        for k, (power, c) in enumerate(parts):
            term = self._text_term(power, abs(c))
            out.append(("-" if c < 0 else "") + term if k == 0 else (" + " if c > 0 else " - ") + term)
        return "".join(out)

    def latex(self) -> str:
        """As ``sympy.latex``: '4.5 w - 2.4', 'w^{2} - 2 w + 1', '- 1.5 w'."""
        return self._latex

    @functools.cached_property  # printed once per polynomial
    def _latex(self) -> str:
        parts = self.terms()
        if not parts:
            return "0"
        out = []
        for k, (power, c) in enumerate(parts):
            if k == 0 and c < 0:
                out.append(_number(c, 1) if power == 0 else "- " + self._latex_term(power, -c))
            elif k == 0:
                out.append(self._latex_term(power, c))
            else:
                out.append((" + " if c > 0 else " - ") + self._latex_term(power, abs(c)))
        return "".join(out)

    def mathml(self) -> str:
        """As sympy's presentation MathML (the body, without the <math> element)."""
        return self._mathml

    @functools.cached_property  # printed once per polynomial
    def _mathml(self) -> str:
        parts = self.terms()
        if not parts:
            return "<mn>0</mn>"
        out = []
        for k, (power, c) in enumerate(parts):
            if k == 0 and c < 0:
                if power == 0:
                    out.append(_number(c, 2))
                else:  # sympy writes −(term) as one row: the sign, then the term's own parts
                    term = self._mathml_term(power, -c)
                    inner = term[len("<mrow>"):-len("</mrow>")] if term.startswith("<mrow>") else term
                    out.append(f"<mrow><mo>-</mo>{inner}</mrow>")
            elif k == 0:
                out.append(self._mathml_term(power, c))
            else:
                out.append(("<mo>+</mo>" if c > 0 else "<mo>-</mo>") + self._mathml_term(power, abs(c)))
        return out[0] if len(out) == 1 else "<mrow>" + "".join(out) + "</mrow>"

    def _text_term(self, power: int, c: Fraction) -> str:
        x = self.symbol if power == 1 else f"{self.symbol}**{power}"
        if power == 0:
            return _number(c, 0)
        return x if c == 1 else f"{_number(c, 0)}*{x}"

    def _latex_term(self, power: int, c: Fraction) -> str:
        x = self.symbol if power == 1 else f"{self.symbol}^{{{power}}}"
        if power == 0:
            return _number(c, 1)
        return x if c == 1 else f"{_number(c, 1)} {x}"

    def _mathml_term(self, power: int, c: Fraction) -> str:
        x = f"<mi>{self.symbol}</mi>" if power == 1 else f"<msup><mi>{self.symbol}</mi><mn>{power}</mn></msup>"
        if power == 0:
            return _number(c, 2)
        return x if c == 1 else f"<mrow>{_number(c, 2)}<mo>&InvisibleTimes;</mo>{x}</mrow>"
