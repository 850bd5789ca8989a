"""Every seeded lesson finishes: symbolic work is bounded (issue 16: `lesson wide --seed 8` used to hang in sympy).

A hang is caught by pytest-timeout (the bound below is generous: a healthy run of all 51 seeds takes seconds;
the bound only says "it finishes", and holds on a loaded machine too).
"""

from __future__ import annotations

import pytest

from chainrule import lessons
from chainrule.lessons import wide


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("width", [2, 3])
@pytest.mark.parametrize("activation", wide.ACTIVATIONS)
def test_the_wide_lesson_finishes_for_seeds_0_to_50(width, activation):
    for seed in range(51):
        result = wide.train(width=width, activation=activation, seed=seed)
        data = wide.explain(result).to_json()
        assert data["delta"]["max_difference"] < 1e-9, seed


SEEDED = [name for name, lesson in lessons.LESSONS.items() if "seed" in lesson.params and name != "wide"]
# why-backprop times each method on networks up to max_params: its seed only draws the weights, so a small one will do
SMALL = {"why-backprop": {"max_params": 16}}


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", SEEDED)
def test_every_seeded_lesson_finishes_for_seeds_0_to_50(name):
    module = lessons.load(name)
    for seed in range(51):
        result = module.train(seed=seed, **SMALL.get(name, {}))
        assert module.explain(result).to_json()["lesson"] == name, seed
