"""Learning-rate schedules: how the step size η changes from epoch to epoch.

Gradient descent steps w ← w − η · dC/dw. With a constant η the weights
never settle: every mini-batch's gradient is a little different, so the
last epochs keep jittering around the low-cost region and the final
accuracy depends on where the last step happened to land. A schedule
shrinks η as training goes on, so the late steps are small:

* ``constant``: η_e = η (pair it with weight averaging, ``averaging``);
* ``cosine`` (Loshchilov & Hutter 2017, without restarts):
  η_e = η · ½ (1 + cos(π · e / E)), from η at the first epoch down to
  nearly 0 at the last (e = 0 … E − 1 counts the epochs done before);
* ``step``: η for the first half, η/10 until three quarters, then η/100
  (the classic "divide by 10 twice" of image-classification recipes).

The learning rate is one number per epoch, a pure function of (schedule,
η, epoch, epochs), so a run resumed from a checkpoint takes exactly the
steps of an uninterrupted one. ``Trainer`` applies it by setting the
optimizer's ``lr`` attribute before each epoch; every optimizer in
``chainrule.optim`` reads ``self.lr`` afresh at each ``step()``, which is
the whole contract a schedule needs.
"""

from __future__ import annotations

import math

from .errors import InvalidValueError

__all__ = ["SCHEDULES", "learning_rate", "describe"]

SCHEDULES = ("constant", "cosine", "step")


def learning_rate(schedule: str, lr: float, epoch: int, epochs: int) -> float:
    """η for the epoch after ``epoch`` epochs are done (0-based), in a run of ``epochs`` epochs in all."""
    if schedule == "constant" or epochs <= 0:
        return lr
    if schedule == "cosine":
        return lr * 0.5 * (1.0 + math.cos(math.pi * min(epoch, epochs) / epochs))
    if schedule == "step":
        fraction = epoch / epochs
        return lr if fraction < 0.5 else lr / 10 if fraction < 0.75 else lr / 100
    raise InvalidValueError(f"schedule {schedule!r} is not one of {', '.join(SCHEDULES)}")


def describe(schedule: str, lr: float, epochs: int) -> str:
    """One phrase for the header line: 'constant lr 0.003', 'cosine lr 0.01 → 2.5e-06 over 100 epochs'."""
    if schedule == "constant" or epochs <= 0:
        return f"constant lr {lr:g}"
    last = learning_rate(schedule, lr, epochs - 1, epochs)
    return f"{schedule} lr {lr:g} → {last:.2g} over {epochs} epochs"
