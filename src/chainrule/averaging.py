"""Weight averaging: report the mean of the weights the last epochs visited (SWA).

At a constant learning rate the weights never come to rest: epoch after
epoch they wander around a region of low training cost, and a single
epoch's weights sit wherever the last mini-batch left them. Their average,

    w̄ = (w_s + w_{s+1} + … + w_E) / (E − s + 1),

sits near the middle of that region, where the cost is flatter; its test
accuracy is higher and, above all, it no longer hinges on where the last
step landed (Izmailov et al. 2018, "Averaging weights leads to wider
optima and better generalization"; ``torch.optim.swa_utils`` does the
same). The networks here have no batch normalisation, so the averaged
weights are ready to use as they are.

The mean is kept as a running mean, updated after each averaged epoch k
(k = 1, 2, …):

    w̄ ← w̄ + (w − w̄) / k

in the network's own dtype. Its arrays, the epoch it started from and k go
into the checkpoint, so a resumed run averages exactly what an
uninterrupted one does.
"""

from __future__ import annotations

import numpy as np

from .errors import InvalidValueError

__all__ = ["WeightAverage", "averaged_epochs"]


def averaged_epochs(fraction: float, epochs: int) -> int:
    """How many final epochs a run of ``epochs`` averages: round(fraction · epochs), 0 for none."""
    return int(round(fraction * epochs)) if epochs > 0 else 0


class WeightAverage:
    """The running mean of a model's weights over the epochs from ``start`` on."""

    def __init__(self, start: int):
        self.start = int(start)   # the first averaged epoch (1-based)
        self.count = 0            # how many epochs are in the mean
        self.mean: dict[str, np.ndarray] = {}

    def update(self, state: dict[str, np.ndarray]) -> None:
        """Fold one epoch's weights (``model.state_dict()``) into the mean."""
        self.count += 1
        if self.count == 1:
            self.mean = {k: np.array(v, copy=True) for k, v in state.items()}
            return
        k = self.mean[next(iter(self.mean))].dtype.type(self.count)
        for name, w in state.items():
            m = self.mean[name]
            m += (w - m) / k

    @property
    def end(self) -> int:
        """The last averaged epoch."""
        return self.start + self.count - 1

    # ------------------------------------------------------------ checkpoint
    def meta(self) -> dict:
        return {"start": self.start, "count": self.count}

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self.mean.items()}

    @classmethod
    def restore(cls, meta: dict, arrays: dict[str, np.ndarray], template: dict[str, np.ndarray]) -> "WeightAverage":
        """The average saved by ``meta()``/``arrays()``; ``template`` (the model's state) fixes names, shapes, dtypes."""
        avg = cls(meta["start"])
        avg.count = int(meta["count"])
        if set(arrays) != set(template):
            missing = sorted(set(template) - set(arrays))
            extra = sorted(set(arrays) - set(template))
            raise InvalidValueError(
                "the weight average does not match the network"
                + (f": missing {', '.join(missing)}" if missing else "")
                + (f"; unexpected {', '.join(extra)}" if extra else ""))
        for name, ref in template.items():
            arr = arrays[name]
            if arr.shape != ref.shape or arr.dtype != ref.dtype:
                raise InvalidValueError(f"the weight average {name} is {arr.dtype}{list(arr.shape)}, "
                                        f"the network's {ref.dtype}{list(ref.shape)}")
            if not np.isfinite(arr).all():
                raise InvalidValueError(f"the weight average {name} holds NaN or infinite values")
        avg.mean = {k: np.array(arrays[k], copy=True) for k in template}
        return avg
