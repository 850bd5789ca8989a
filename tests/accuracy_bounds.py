"""How far a test accuracy may honestly be held: bounds derived from what a test set can measure.

A test set of ``n`` examples measures an accuracy ``p`` only to within its
sampling error: the number right is binomial, so one run's accuracy has a
standard error of

    SE = √(p (1 − p) / n)

(at 73 % on MNIST-1D's 1,000 test examples: 1.40 points; at 97 % on 200
points of a 2-D dataset: 1.21 points). Two runs from different seeds are two
networks that get different examples wrong, so their accuracies differ by
chance with a standard error of about √2 · SE. A bound tighter than that
fails by chance on some machine; a bound much looser cannot tell a broken
recipe from a good one. The rules every training test here uses:

* **each seed ≥ target − 2 SE** (SE at the target): a good recipe's seed
  falls that far short by chance about once in 40 runs *if its true accuracy
  sat exactly at the target*; ours sit 3 to 20 SE above, so a false failure
  is far rarer;
* **the median of the seeds ≥ target**: a recipe whose typical run misses the
  target fails, however lucky one seed is (the "really broken" case);
* **seeds agree within 2 √2 SE** (two standard errors of the *difference*
  of two runs), SE at the seeds' median: a recipe whose result hangs on the
  last bit of rounding spreads by more.

``seed_problems`` applies them and returns what is wrong, in words (empty
when all holds), so a test asserts on it and a failure says why.
"""

from __future__ import annotations

import math
import statistics

__all__ = ["standard_error", "seed_floor", "agreement_bound", "seed_problems"]


def standard_error(accuracy: float, n_test: int) -> float:
    """The sampling standard error of an accuracy measured on ``n_test`` examples (a fraction, like the accuracy)."""
    if n_test < 1 or not 0 <= accuracy <= 1:
        raise ValueError(f"need 0 <= accuracy <= 1 and n_test >= 1, got {accuracy!r}, {n_test!r}")
    return math.sqrt(accuracy * (1 - accuracy) / n_test)


def seed_floor(target: float, n_test: int) -> float:
    """The least accuracy one seed may show: the target less two of its standard errors."""
    return target - 2 * standard_error(target, n_test)


def agreement_bound(accuracies: list[float], n_test: int) -> float:
    """The widest spread (max − min) seeds may show: two standard errors of a difference of two runs."""
    return 2 * math.sqrt(2) * standard_error(statistics.median(accuracies), n_test)


def seed_problems(accuracies: list[float], target: float, n_test: int, *, agree: bool = False,
                  floor: float | None = None) -> list[str]:
    """What breaks the rules above for these seeds' accuracies (empty if nothing).

    ``floor`` replaces the derived per-seed floor where an issue promised a stricter one (it is never looser);
    ``agree`` also checks the seeds' spread.
    """
    least = seed_floor(target, n_test) if floor is None else max(floor, seed_floor(target, n_test))
    shown = ", ".join(f"{100 * a:.1f}%" for a in accuracies)
    problems = []
    if min(accuracies) < least:
        problems.append(f"a seed at {100 * min(accuracies):.1f}% is below {100 * least:.1f}% "
                        f"(target {100 * target:.0f}% less 2 standard errors on {n_test} examples) [{shown}]")
    if statistics.median(accuracies) < target:
        problems.append(f"the median {100 * statistics.median(accuracies):.1f}% is below the target "
                        f"{100 * target:.0f}% [{shown}]")
    if agree:
        spread, bound = max(accuracies) - min(accuracies), agreement_bound(accuracies, n_test)
        if spread > bound:
            problems.append(f"the seeds spread over {100 * spread:.1f} points, more than {100 * bound:.1f} "
                            f"(2 standard errors of a difference of two runs on {n_test} examples) [{shown}]")
    return problems
