"""``chainrule train``: an MLP on a real dataset, with progress, checkpoints and plots.

Every option left out takes the dataset's default (``data.DATASETS``), tuned
to reach the accuracy published for an MLP on that dataset.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from ..data import DATASETS, TWO_D, dataset_info, is_csv
from ..errors import InvalidValueError, NonFiniteError
from ..nn import ACTIVATIONS
from ..optim import OPTIMIZERS
from .options import add_format, int_in_range, non_negative_float, output_file, positive_float


def layer_sizes(text: str) -> list[int]:
    """Hidden layer sizes separated by commas ("128,64"); "none" or "" for no hidden layer."""
    if text.strip().lower() in ("", "none"):
        return []
    sizes = []
    for part in text.split(","):
        part = part.strip()
        try:
            n = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a list of layer sizes; give whole numbers separated by commas, such as 128,64") from None
        if not 1 <= n <= 4096:
            raise argparse.ArgumentTypeError(f"layer size {n} is out of range; allowed: 1 to 4096")
        sizes.append(n)
    return sizes


def fraction_below_one(text: str) -> float:
    """A number in [0, 1)."""
    x = non_negative_float(text)
    if x >= 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be < 1")
    return x


def open_fraction(text: str) -> float:
    """A number strictly between 0 and 1."""
    x = positive_float(text)
    if x >= 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be < 1")
    return x


def dataset_or_csv(text: str) -> str:
    """A dataset's name, or a CSV file of your own points (x, y, label per line)."""
    if text in DATASETS:
        return text
    if is_csv(text):
        return existing_file(text)
    raise argparse.ArgumentTypeError(f"{text!r} is not a dataset; allowed: {', '.join(DATASETS)}, or a FILE.csv of points")


def existing_file(text: str) -> str:
    if not os.path.exists(text):
        raise argparse.ArgumentTypeError(f"cannot read {text!r}: no such file")
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"cannot read {text!r}: it is a folder")
    return text


# the options a resumed run takes from its checkpoint (they define the run)
_RUN_OPTIONS = ("data", "layers", "activation", "optimizer", "lr", "momentum", "weight_decay", "batch_size",
                "seed", "n_samples", "noise", "test_fraction", "dtype")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=dataset_or_csv, default=None, metavar="NAME|FILE.csv",
                        help=f"dataset: {', '.join(DATASETS)}, or a CSV file of your own points, x, y, label a line (default: digits)")
    parser.add_argument("--layers", type=layer_sizes, default=None, metavar="N,N,...",
                        help="hidden layer sizes, e.g. 128,64 ('none': no hidden layer)")
    parser.add_argument("--activation", choices=list(ACTIVATIONS[:3]), default=None, help="hidden activation")
    parser.add_argument("--optimizer", choices=list(OPTIMIZERS), default=None, help="optimizer")
    parser.add_argument("--lr", type=positive_float, default=None, help="learning rate η")
    parser.add_argument("--momentum", type=fraction_below_one, default=None, help="SGD momentum μ in [0, 1)")
    parser.add_argument("--weight-decay", dest="weight_decay", type=non_negative_float, default=None, help="weight decay λ")
    parser.add_argument("--batch-size", dest="batch_size", type=int_in_range(1, 1_000_000), default=None, help="mini-batch size")
    parser.add_argument("--epochs", type=int_in_range(0, 100_000), default=None, help="epochs in total (with --resume: the new total)")
    parser.add_argument("--seed", type=int_in_range(0, 2**32 - 1), default=None, help="seed for the weights, batches and generated data (default 0)")
    parser.add_argument("--samples", dest="n_samples", type=int_in_range(10, 1_000_000), default=None,
                        help=f"number of points ({', '.join(TWO_D)} only)")
    parser.add_argument("--noise", type=non_negative_float, default=None, help=f"noise level ({', '.join(TWO_D)} only)")
    parser.add_argument("--test-fraction", dest="test_fraction", type=open_fraction, default=None,
                        help="fraction of the data held out for testing (default 0.2; mnist1d has a fixed split)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default=None, help="float type (default float32)")
    parser.add_argument("--save", metavar="FILE", type=output_file(".npz"), default=None,
                        help="write a checkpoint (.npz) after every epoch")
    parser.add_argument("--resume", metavar="FILE", type=existing_file, default=None,
                        help="continue the run saved in FILE (its settings are kept; --epochs sets the new total)")
    parser.add_argument("--plot", metavar="FILE", type=output_file(".png", ".svg"), default=None,
                        help="draw loss and accuracy curves (and the decision boundary of a 2-D set)")
    add_format(parser)


def _config(args):
    from ..training import TrainConfig

    given = {name: getattr(args, name) for name in _RUN_OPTIONS if getattr(args, name) is not None}
    given.setdefault("data", "digits")
    given.setdefault("seed", 0)
    given.setdefault("dtype", "float32")
    if args.data != "mnist1d" or args.test_fraction is None:
        pass
    else:
        raise InvalidValueError("--test-fraction does not apply to mnist1d (it has a fixed 4000/1000 split)")
    info = dataset_info(given["data"])
    if info.kind != "2d":
        for opt, name in (("--samples", "n_samples"), ("--noise", "noise")):
            if getattr(args, name) is not None:
                raise InvalidValueError(f"{opt} applies to the 2-D datasets ({', '.join(TWO_D)}), not to {given['data']}")
    return TrainConfig(epochs=args.epochs, **given)


def _trainer(args):
    from ..training import Trainer

    if args.resume is None:
        return Trainer(_config(args))
    trainer = Trainer.resume(args.resume, epochs=args.epochs)
    saved = trainer.config
    for name in _RUN_OPTIONS:
        value = getattr(args, name)
        if value is not None and value != getattr(saved, name):
            flag = "--" + {"n_samples": "samples"}.get(name, name).replace("_", "-")
            raise InvalidValueError(
                f"{flag} {value} differs from the checkpoint's {getattr(saved, name)}; a resumed run keeps its "
                "settings (only --epochs may change)"
            )
    return trainer


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.2f}%"


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    trainer = _trainer(args)
    c = trainer.config
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False)
    text = args.format == "text"
    if text:
        start = f"resumed at epoch {trainer.epoch}, " if args.resume else ""
        out.print(f"[bold]{c.data}[/]: {len(trainer.dataset.X_train)} training / {len(trainer.dataset.X_test)} test examples; "
                  f"MLP {trainer.model.sizes} {c.activation} ({trainer.model.num_parameters():,} parameters); "
                  f"{c.optimizer} lr {c.lr:g}"
                  + (f" momentum {c.momentum:g}" if c.optimizer == "sgd" and c.momentum else "")
                  + (f" weight decay {c.weight_decay:g}" if c.weight_decay else "")
                  + f"; batch {c.batch_size}; {start}{c.epochs} epochs; seed {c.seed}")

    progress = Progress(TextColumn("training"), BarColumn(), MofNCompleteColumn(), TextColumn("epochs"),
                        TextColumn("{task.fields[status]}"), TimeRemainingColumn(), console=err, transient=True,
                        disable=not err.is_terminal)

    def after_epoch(t, record):
        if args.save:
            t.save(args.save)
        progress.update(task, completed=t.epoch, status=f"test accuracy {_pct(record.test_accuracy)}")
        if text:
            progress.console.print(  # printed above the bar
                f"epoch {record.epoch:>{len(str(c.epochs))}}/{c.epochs}  "
                f"train loss {record.train_loss:.4f}  acc {_pct(record.train_accuracy):>7}   "
                f"test loss {record.test_loss:.4f}  acc {_pct(record.test_accuracy):>7}",
                highlight=False) if progress.live.is_started else out.print(
                f"epoch {record.epoch:>{len(str(c.epochs))}}/{c.epochs}  "
                f"train loss {record.train_loss:.4f}  acc {_pct(record.train_accuracy):>7}   "
                f"test loss {record.test_loss:.4f}  acc {_pct(record.test_accuracy):>7}")

    with progress:
        task = progress.add_task("train", total=max(c.epochs, trainer.epoch), completed=trainer.epoch, status="")
        try:
            trainer.fit(callback=after_epoch)
        except NonFiniteError as exc:
            progress.stop()
            print(f"chainrule train: error: {exc}", file=sys.stderr)
            return 1

    if args.save and args.resume is None and trainer.epoch == 0:
        trainer.save(args.save)
    result = trainer.result()
    if args.plot:
        from ..training import plot_training

        plot_training(trainer, args.plot)
    if args.format == "json":
        print(json.dumps(result))
    elif args.format == "markdown":
        lines = [f"## chainrule train: {c.data}", "", "| epoch | train loss | train acc | test loss | test acc |",
                 "|---:|---:|---:|---:|---:|"]
        lines += [f"| {r['epoch']} | {r['train_loss']:.4f} | {_pct(r['train_accuracy'])} | {r['test_loss']:.4f} | "
                  f"{_pct(r['test_accuracy'])} |" for r in result["history"]]
        lines += ["", f"Final test accuracy: **{_pct(result['test_accuracy'])}** "
                      f"(target for this dataset: {_pct(result['target_accuracy'])})", ""]
        sys.stdout.write("\n".join(lines))
    else:
        if result["test_accuracy"] is not None:
            target = result["target_accuracy"]  # None for your own points: nothing published to compare with
            out.print(f"[bold]test accuracy {_pct(result['test_accuracy'])}[/] after {result['epochs']} epochs "
                      f"(train loss {result['train_loss']:.4f}"
                      + (f"; the target for {c.data} is {_pct(target)})" if target is not None else ")"))
        else:
            out.print("no epochs were trained")
    if args.save and text:
        print(f"Checkpoint written to {args.save}", file=sys.stderr)
    if args.plot and text:
        print(f"Plot written to {args.plot}", file=sys.stderr)
    return 0
