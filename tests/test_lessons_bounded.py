"""Every seeded lesson finishes: symbolic work is bounded (issue 16: `lesson wide --seed 8` used to hang in sympy)."""

from __future__ import annotations

import signal

import pytest

from chainrule.lessons import wide

SECONDS = 20  # a hang detector, not a timing: a healthy run takes a fraction of a second


@pytest.mark.slow
@pytest.mark.parametrize("width", [2, 3])
@pytest.mark.parametrize("activation", wide.ACTIVATIONS)
def test_the_wide_lesson_finishes_for_seeds_0_to_50(width, activation):
    def hang(signum, frame):
        raise AssertionError(f"wide --width {width} --activation {activation} --seed {seed} did not finish")

    previous = signal.signal(signal.SIGALRM, hang)
    try:
        for seed in range(51):
            signal.alarm(SECONDS)
            result = wide.train(width=width, activation=activation, seed=seed)
            data = wide.explain(result).to_json()
            signal.alarm(0)
            assert data["delta"]["max_difference"] < 1e-9
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
