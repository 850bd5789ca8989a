"""Training reports where a divergence began, by replaying the epoch inside detect_anomaly()."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.anomaly import is_enabled
from chainrule.cli import main
from chainrule.errors import NonFiniteError
from chainrule.training import Trainer, TrainConfig


def test_a_diverging_epoch_names_the_batch_and_the_operation():
    trainer = Trainer(TrainConfig(data="digits", optimizer="sgd", lr=1e4, epochs=1))
    with pytest.raises(NonFiniteError) as info:
        trainer.train_epoch()
    message = str(info.value)
    assert "diverged in epoch 1" in message and "--lr 1000 instead of 10000" in message
    assert "; it began in batch " in message
    assert "output has" in message or "gradient for input" in message or "step left" in message
    assert "\n" not in message
    assert not is_enabled()  # the replay's detect_anomaly() block is closed again


def test_a_weight_made_infinite_by_the_step_is_named():
    # η·g overflows float32 in the very first update, although every gradient is finite
    trainer = Trainer(TrainConfig(data="digits", optimizer="sgd", lr=1e300, epochs=1))
    with pytest.raises(NonFiniteError, match=r"it began in batch 1: the sgd step left layers\.0\.weight non-finite"):
        trainer.train_epoch()


def test_the_divergence_report_is_one_line_from_the_cli(capsys):
    code = main(["train", "--data", "digits", "--optimizer", "sgd", "--lr", "1e4", "--epochs", "5", "--format", "json"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "\n" not in err and "it began in batch" in err


def test_a_healthy_epoch_is_not_slowed_into_a_replay():
    trainer = Trainer(TrainConfig(data="moons", epochs=1))
    record = trainer.train_epoch()
    assert np.isfinite(record.train_loss) and trainer.epoch == 1
