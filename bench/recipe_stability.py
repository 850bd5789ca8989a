"""Are the training recipes stable, or lucky? Each dataset's defaults, seeds 0-4, under four perturbations.

Not part of ``make bench`` (it trains 20 networks per dataset; MNIST-1D's
take about 10 minutes on 2 cores): run it directly,

    .venv/bin/python bench/recipe_stability.py [DATASET ...]

Another processor rounds differently (OpenBLAS picks other kernels), so a
recipe must not depend on the last bit of its arithmetic. This stands in for
other machines by perturbing the runs here:

* ``float32``: the defaults, as ``chainrule train`` runs them;
* ``float64``: every number rounded 2⁻²⁹ times finer;
* ``noise``: each initial weight multiplied by (1 + 10⁻⁶ · N(0, 1)), a
  rounding-sized change at the very start;
* ``order``: the mini-batches of every epoch in another order (their
  random stream keyed differently): a bigger change, the size of what a
  different seed does to the batches.

It prints one Markdown table (per-seed test accuracy of the reported
network, min, median and spread) for ``docs/reliability.md``.
"""

from __future__ import annotations

import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np

VARIANTS = ("float32", "float64", "noise", "order")
SEEDS = range(5)


def accuracy(name: str, seed: int, variant: str) -> float:
    from threadpoolctl import threadpool_limits

    from chainrule import data
    from chainrule.training import TrainConfig, Trainer

    class OtherOrder(Trainer):
        def _batches(self):
            rng = np.random.default_rng([self.config.seed, 5, self.epoch])  # Trainer uses [seed, 4, epoch]
            return data.batches(self.dataset.X_train, self.dataset.y_train, self.config.batch_size, shuffle=True, rng=rng)

    with threadpool_limits(1):
        cls = OtherOrder if variant == "order" else Trainer
        trainer = cls(TrainConfig(data=name, seed=seed, dtype="float64" if variant == "float64" else "float32"))
        if variant == "noise":
            rng = np.random.default_rng(1234)
            for p in trainer.model.parameters():
                p.data *= (1 + 1e-6 * rng.standard_normal(p.data.shape)).astype(p.data.dtype)
        trainer.fit()
        return trainer.result()["test_accuracy"]


def main(names: list[str]) -> None:
    from chainrule import data

    names = names or list(data.DATASETS)
    jobs = [(n, s, v) for n in names for v in VARIANTS for s in SEEDS]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        results = list(pool.map(accuracy, *zip(*jobs)))
    table: dict[tuple[str, str], list[float]] = {}
    for (n, _, v), a in zip(jobs, results):
        table.setdefault((n, v), []).append(a)
    print("| dataset (target) | run | " + " | ".join(f"seed {s}" for s in SEEDS) + " | min | median | spread |")
    print("|---|---|" + "---:|" * (len(SEEDS) + 3))
    for (n, v), accs in table.items():
        target = data.dataset_info(n).target_accuracy
        cells = " | ".join(f"{100 * a:.1f}" for a in accs)
        print(f"| {n} ({100 * target:.0f}%) | {v} | {cells} | {100 * min(accs):.1f} | "
              f"{100 * statistics.median(accs):.1f} | {100 * (max(accs) - min(accs)):.1f} |")
    print(f"\n{len(jobs)} runs in {time.perf_counter() - start:.0f} s (2 processes).")


if __name__ == "__main__":
    main(sys.argv[1:])
