"""``explainer.polynomial`` writes a polynomial exactly as sympy's printers do, for any coefficients.

The explorer writes the simplest lesson's formulas for every request without
building sympy expressions (``lessons.simplest.formulas``); sympy stays the
reference: here its printers are the oracle for thousands of polynomials
(every sign, zero and unit coefficients, integers, decimals, 1e-300 to 1e300).
"""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
import sympy

from chainrule.explainer.polynomial import Polynomial
from chainrule.explainer.symbolic import as_floats
from chainrule.lessons import simplest


def random_coefficient(rng: random.Random) -> Fraction:
    kind = rng.random()
    if kind < 0.15:
        return Fraction(0)
    if kind < 0.25:
        return Fraction(rng.choice([1, -1, 2, -2, 3, 10]))
    sign = rng.choice([-1, 1])
    if kind < 0.5:
        magnitude = 10 ** rng.uniform(-300, 300)
        return Fraction(repr(sign * magnitude))
    return Fraction(repr(round(sign * rng.uniform(0.01, 10), rng.randint(0, 8))))


def sympy_forms(p: Polynomial) -> tuple[str, str, str]:
    e = as_floats(p.as_sympy())
    return sympy.sstr(e, full_prec=False), sympy.latex(e), sympy.printing.mathml(e, printer="presentation")


@pytest.mark.parametrize("seed", range(4))
def test_text_latex_and_mathml_are_what_sympy_prints(seed):
    rng = random.Random(seed)
    for _ in range(600):
        p = Polynomial("w", tuple(random_coefficient(rng) for _ in range(rng.randint(1, 4))))
        assert (p.text(), p.latex(), p.mathml()) == sympy_forms(p), p


@pytest.mark.parametrize("coefficients", [(), (0,), (0, 0), (1,), (-1,), (1, 0), (-1, 0), (-1, 0, 3), (-2, 5),
                                          (1, -2, 1), (-1, -1, -1), (3, 0, 0)])
def test_the_special_shapes_are_printed_as_sympy_prints_them(coefficients):
    p = Polynomial("w", tuple(Fraction(c) for c in coefficients))
    assert (p.text(), p.latex(), p.mathml()) == sympy_forms(p)


def test_a_polynomial_evaluates_numbers_and_arrays():
    p = Polynomial("w", (Fraction(9, 4), Fraction(-12, 5), Fraction(16, 25)))
    assert p(0.8) == pytest.approx((1.5 * 0.8 - 0.8) ** 2)
    grid = np.linspace(-1, 1, 5)
    assert np.allclose(p(grid), (1.5 * grid - 0.8) ** 2)


@pytest.mark.parametrize("seed", range(3))
def test_the_simplest_lessons_formulas_equal_sympys_substitution(seed):
    """The coefficients derived once and evaluated in fractions equal sympy's own substitution of i and y."""
    i, y, w = sympy.symbols("i y w")
    cost = sympy.expand((i * w - y) ** 2)
    rng = random.Random(seed)
    for _ in range(50):
        a, b = round(rng.uniform(-100, 100), rng.randint(0, 6)) or 1.0, round(rng.uniform(-100, 100), rng.randint(0, 6))
        numbers = {i: sympy.Rational(repr(a)), y: sympy.Rational(repr(b))}
        analysis = simplest.formulas(a, b)
        assert sympy.expand(analysis.cost.as_sympy() - cost.xreplace(numbers)) == 0
        assert sympy.expand(analysis.gradient.as_sympy() - sympy.diff(cost, w).xreplace(numbers)) == 0
        assert analysis.optimum == float(numbers[y] / numbers[i])
        assert analysis.curvature == float(2 * numbers[i] ** 2)
