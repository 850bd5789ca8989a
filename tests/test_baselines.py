"""Every dataset's defaults reach their target accuracy on every seed: stable recipes, not lucky seeds.

Each MLP run (6 datasets × seeds 0-4) trains a dataset's defaults
(``data.DATASETS``) from scratch, as ``chainrule train --data NAME --seed S``
does; the CNN and the GRU on MNIST-1D (seeds 0-2) train that dataset's
recipe for them, as ``chainrule train --data mnist1d --model cnn|gru --seed S``
does. The runs are spread over a pool of 2 processes (one BLAS thread
each); the longest (the GRU's, then MNIST-1D's) start first.

Nothing here compares with a number recorded on another machine, and no
bound is tighter than the test set can measure (``accuracy_bounds``): each
seed must reach its target less two standard errors of an accuracy measured
on that test set, the median must reach the target, and the MLP's five
MNIST-1D seeds must agree within two standard errors of a difference of two
runs (1,000 test examples at 73 %: SE 1.40 points, so within 3.97 points; a
recipe whose final weights hang on the last bit of rounding spread over 3 to
8.5 points, and the old 1.5-point bound failed a good recipe by chance).
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pytest

from accuracy_bounds import seed_problems
from chainrule import data

SEEDS = range(5)
MLP_ORDER = sorted(data.DATASETS, key=lambda n: n != "mnist1d")  # the longest runs first
OTHER_MODELS = ("gru", "cnn")  # on MNIST-1D, seeds 0-2 (the issue's), the GRU's the longest of all
OTHER_SEEDS = range(3)
RUNS = ([("mnist1d", model, seed) for model in OTHER_MODELS for seed in OTHER_SEEDS]
        + [(name, "mlp", seed) for name in MLP_ORDER for seed in SEEDS])


def _test_accuracy(name: str, model: str, seed: int) -> tuple[float, int]:
    from threadpoolctl import threadpool_limits

    from chainrule.training import TrainConfig, Trainer

    with threadpool_limits(1):  # two processes on two cores: one BLAS thread each
        trainer = Trainer(TrainConfig(data=name, model=model, seed=seed))
        trainer.fit()
        return trainer.result()["test_accuracy"], len(trainer.dataset.y_test)


@pytest.fixture(scope="module")
def accuracies() -> dict[tuple[str, str], tuple[list[float], int]]:
    """(test accuracy of each seed, size of the test set) of each (dataset, model)."""
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        futures = {run: pool.submit(_test_accuracy, *run) for run in RUNS}
        done = {run: f.result() for run, f in futures.items()}
    out: dict[tuple[str, str], tuple[list[float], int]] = {}
    for (name, model, _), (accuracy, n_test) in done.items():
        out.setdefault((name, model), ([], n_test))[0].append(accuracy)
    return out


def _check(accuracies, name: str, model: str, *, floor: float | None = None, agree: bool = False) -> None:
    _, target, baseline, _ = data.dataset_info(name).recipe_for(model)
    got, n_test = accuracies[name, model]
    problems = seed_problems(got, target, n_test, floor=floor, agree=agree)
    assert not problems, f"{name} {model} ({baseline}): " + "; ".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("name", MLP_ORDER)
def test_the_defaults_reach_the_target_on_every_seed_from_0_to_4(accuracies, name):
    # test sets: mnist1d 1,000 examples (SE at its 68% target 1.47 points: each seed >= 65.0%), digits 360
    # (SE at 97%: 0.90, each seed >= 95.2%), the 2-D sets 200 (SE at 97%: 1.21, >= 94.6%; xor 93%: 1.80, >= 89.4%;
    # spiral 95%: 1.54, >= 91.9%). Seen over seeds 0-4 on two AMD EPYC machines and under float64 / weight-noise
    # perturbations (docs/reliability.md): every seed 1.5 SE or more above its floor, every median above its target.
    _check(accuracies, name, "mlp")


@pytest.mark.slow
@pytest.mark.parametrize("model", OTHER_MODELS)
def test_the_cnn_and_the_gru_reach_their_targets_on_mnist1d_on_every_seed_from_0_to_2(accuracies, model):
    # Issue 14 promised stricter floors than the derived ones (target less 2 SE on 1,000 examples: CNN 92.5%, GRU
    # 93.6%), and they hold with room: CNN median >= 94% and every seed >= 93% (seeds 0-7 seen at 94.8-96.1%, the
    # lowest 2.4 SE above 93%); GRU every seed >= 95% (seeds 0-7 at 96.6-98.3%, float64 and weight noise 96.6-97.9%:
    # the lowest 3 SE above 95%, so a good GRU misses it by chance about once in 700 seeds).
    _check(accuracies, "mnist1d", model, floor=0.95 if model == "gru" else 0.93)


@pytest.mark.slow
def test_mnist1d_seeds_agree_within_two_standard_errors_of_a_difference(accuracies):
    # 1,000 test examples at 73%: SE 1.40 points, a difference of two runs 1.98, so the bound is 3.97 points. Seen:
    # seeds 0-4 spread 1.3 (one AMD EPYC) and 1.6 points (another, the run that broke the old 1.5-point bound);
    # seeds 5-14 have a standard deviation of 0.68 points, so five good seeds spread past 3.97 points (5.8 of
    # their standard deviations) about 4 times in 10,000. The recipe it replaced spread 8.5 points in float64.
    _check(accuracies, "mnist1d", "mlp", agree=True)
