"""Every dataset's defaults reach their target accuracy on every seed: stable recipes, not lucky seeds.

Each MLP run (6 datasets × seeds 0-4) trains a dataset's defaults
(``data.DATASETS``) from scratch, as ``chainrule train --data NAME --seed S``
does; the CNN and the GRU on MNIST-1D (seeds 0-2) train that dataset's
recipe for them, as ``chainrule train --data mnist1d --model cnn|gru --seed S``
does. The runs are spread over a pool of 2 processes (one BLAS thread
each); the longest (the GRU's, then MNIST-1D's) start first.

Nothing here compares with a number recorded on another machine: each seed
must reach its target less one point (a margin for other processors'
rounding), the median must reach the target, and the MLP's five MNIST-1D
seeds must agree within 1.5 points (the issue-10 promise; on a recipe whose
final weights depend on the last bit of rounding, they spread over 3 to 8
points).
"""

from __future__ import annotations

import statistics
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pytest

from chainrule import data

SEEDS = range(5)
MLP_ORDER = sorted(data.DATASETS, key=lambda n: n != "mnist1d")  # the longest runs first
OTHER_MODELS = ("gru", "cnn")  # on MNIST-1D, seeds 0-2 (the issue's), the GRU's the longest of all
OTHER_SEEDS = range(3)
RUNS = ([("mnist1d", model, seed) for model in OTHER_MODELS for seed in OTHER_SEEDS]
        + [(name, "mlp", seed) for name in MLP_ORDER for seed in SEEDS])


def _test_accuracy(name: str, model: str, seed: int) -> float:
    from threadpoolctl import threadpool_limits

    from chainrule.training import TrainConfig, Trainer

    with threadpool_limits(1):  # two processes on two cores: one BLAS thread each
        trainer = Trainer(TrainConfig(data=name, model=model, seed=seed))
        trainer.fit()
        return trainer.result()["test_accuracy"]


@pytest.fixture(scope="module")
def accuracies() -> dict[tuple[str, str], list[float]]:
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        futures = {run: pool.submit(_test_accuracy, *run) for run in RUNS}
        done = {run: f.result() for run, f in futures.items()}
    out: dict[tuple[str, str], list[float]] = {}
    for (name, model, _), accuracy in done.items():
        out.setdefault((name, model), []).append(accuracy)
    return out


def _check(accuracies, name: str, model: str, seeds, margin: float = 0.01) -> None:
    _, target, baseline, _ = data.dataset_info(name).recipe_for(model)
    got = accuracies[name, model]
    shown = f"{name} {model} (target {100 * target:.0f}%; {baseline}): " + ", ".join(
        f"seed {s}: {100 * a:.2f}%" for s, a in zip(seeds, got))
    assert min(got) >= target - margin, shown
    assert statistics.median(got) >= target, shown


@pytest.mark.slow
@pytest.mark.parametrize("name", MLP_ORDER)
def test_the_defaults_reach_the_target_on_every_seed_from_0_to_4(accuracies, name):
    _check(accuracies, name, "mlp", SEEDS)


@pytest.mark.slow
@pytest.mark.parametrize("model", OTHER_MODELS)
def test_the_cnn_and_the_gru_reach_their_targets_on_mnist1d_on_every_seed_from_0_to_2(accuracies, model):
    # the targets: CNN median >= 94% and every seed >= 93% (the paper: 94%); GRU every seed >= 95%
    # (the paper: 91%; the PyTorch GRU: 96.0-97.4%; ours 96.6-98.3% on seeds 0-7, one BLAS thread)
    _check(accuracies, "mnist1d", model, OTHER_SEEDS, margin=0.0 if model == "gru" else 0.01)


@pytest.mark.slow
def test_mnist1d_seeds_agree_within_one_and_a_half_points(accuracies):
    got = accuracies["mnist1d", "mlp"]
    assert max(got) - min(got) <= 0.015, [f"{100 * a:.1f}%" for a in got]
