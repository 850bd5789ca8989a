"""Each dataset's defaults reach the accuracy its published MLP baseline reports (digits is in test_train_cli)."""

from __future__ import annotations

from chainrule import data
from chainrule.training import TrainConfig, Trainer


def test_mnist1d_defaults_reach_the_published_mlp_baseline():
    info = data.dataset_info("mnist1d")
    trainer = Trainer(TrainConfig(data="mnist1d", seed=0))
    trainer.fit()
    assert trainer.result()["test_accuracy"] >= info.target_accuracy == 0.68


def test_every_2d_set_reaches_its_target_with_its_defaults():
    for info in data.list_datasets():
        if info.kind != "2d":
            continue
        trainer = Trainer(TrainConfig(data=info.name, seed=0))
        trainer.fit()
        assert trainer.result()["test_accuracy"] >= info.target_accuracy, info.name
