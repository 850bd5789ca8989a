"""When a number is right: it agrees with the answer to 3 significant digits.

A learner rounds. 1.2345 given as 1.23 is right, and so is 1.235 or 1.2345:
the rule is that the answer is within half a unit of the third significant
digit of the expected value, so exactly the numbers that round to the same
three digits, and any closer. Zero has no significant digits: an answer to
a question whose answer is 0 must be 0 up to ``ZERO``.

A formula is compared as a function, not as a number: ``same_function``
asks for agreement to ``FORMULA_RTOL`` at every point it is evaluated at.
"""

from __future__ import annotations

import math

__all__ = ["DIGITS", "tolerance", "agrees", "apart", "same_value", "ZERO", "FORMULA_RTOL"]

DIGITS = 3
ZERO = 1e-9
FORMULA_RTOL = 1e-5  # formulas print their constants to 6 digits: a learner copying one is 5e-7 off


def tolerance(expected: float) -> float:
    """Half a unit of the third significant digit of ``expected``: 0.005 for 1.2345, 0.0005 for 0.1234."""
    if expected == 0.0 or not math.isfinite(expected):
        return ZERO
    return 0.5 * 10.0 ** (math.floor(math.log10(abs(expected))) - (DIGITS - 1))


def agrees(given: float, expected: float) -> bool:
    """``given`` is ``expected`` to 3 significant digits (a hair of float slack at the edge of the rounding)."""
    if not (math.isfinite(given) and math.isfinite(expected)):
        return False
    return abs(given - expected) <= tolerance(expected) * (1 + 1e-9) + 1e-300


def apart(a: float, b: float) -> bool:
    """No answer can agree with both: a and b are further apart than their two tolerances (so a learner's rounded
    a is never taken for b)."""
    return abs(a - b) > (tolerance(a) + tolerance(b)) * (1 + 1e-6)


def same_value(a: float, b: float) -> bool:
    """Two evaluations of one function agree (to ``FORMULA_RTOL``, for float rounding)."""
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    return abs(a - b) <= FORMULA_RTOL * max(abs(a), abs(b)) + 1e-12
