"""Every dataset's defaults reach their target accuracy on every seed from 0 to 4: stable recipes, not lucky seeds.

Each of the 30 runs (6 datasets × seeds 0-4) trains a dataset's defaults
(``data.DATASETS``) from scratch, as ``chainrule train --data NAME --seed S``
does. The runs are spread over a pool of 2 processes (one BLAS thread
each); MNIST-1D's five runs take most of the time, so they start first.

Nothing here compares with a number recorded on another machine: each seed
must reach its dataset's target less one point (a margin for other
processors' rounding), the median of the five must reach the target, and
MNIST-1D's five must agree within 1.5 points (the issue-10 promise; on a
recipe whose final weights depend on the last bit of rounding, they spread
over 3 to 8 points).
"""

from __future__ import annotations

import statistics
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pytest

from chainrule import data

SEEDS = range(5)
ORDER = sorted(data.DATASETS, key=lambda n: n != "mnist1d")  # the longest runs first


def _test_accuracy(name: str, seed: int) -> float:
    from threadpoolctl import threadpool_limits

    from chainrule.training import TrainConfig, Trainer

    with threadpool_limits(1):  # two processes on two cores: one BLAS thread each
        trainer = Trainer(TrainConfig(data=name, seed=seed))
        trainer.fit()
        return trainer.result()["test_accuracy"]


@pytest.fixture(scope="module")
def accuracies() -> dict[str, list[float]]:
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        futures = {(name, seed): pool.submit(_test_accuracy, name, seed) for name in ORDER for seed in SEEDS}
        done = {key: f.result() for key, f in futures.items()}
    return {name: [done[name, seed] for seed in SEEDS] for name in ORDER}


@pytest.mark.slow
@pytest.mark.parametrize("name", ORDER)
def test_the_defaults_reach_the_target_on_every_seed_from_0_to_4(accuracies, name):
    target = data.dataset_info(name).target_accuracy
    got = accuracies[name]
    shown = ", ".join(f"seed {s}: {100 * a:.2f}%" for s, a in zip(SEEDS, got))
    assert min(got) >= target - 0.01, f"{name} (target {100 * target:.0f}%): {shown}"
    assert statistics.median(got) >= target, f"{name} (target {100 * target:.0f}%): {shown}"


@pytest.mark.slow
def test_mnist1d_seeds_agree_within_one_and_a_half_points(accuracies):
    got = accuracies["mnist1d"]
    assert max(got) - min(got) <= 0.015, [f"{100 * a:.1f}%" for a in got]
