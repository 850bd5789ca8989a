"""``chainrule train``: a network on a real dataset, with progress, checkpoints and plots.

``--model`` picks the network (``models``): an MLP (every dataset), a CNN
or a GRU (the datasets whose examples are sequences: mnist1d). Every option
left out takes the dataset's default for that model (``data.DATASETS``),
tuned to reach the accuracy published for that network on that dataset.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from ..data import DATASETS, is_csv
from ..errors import InvalidValueError, NonFiniteError
from ..schedules import describe
from ..training import Trainer, TrainConfig
from ..training_config import HIDDEN_LAYERS, LAYER_SIZE, TRAIN_PARAMS, check_layers
from ..viz.training import plot_training  # matplotlib loads when drawing
from .options import add_format, add_params, output_file


def layer_sizes(text: str) -> list[int]:
    """Hidden layer sizes separated by commas ("128,64"); "none" or "" for no hidden layer.

    The bounds are ``LAYER_SIZE`` and ``HIDDEN_LAYERS`` (training_config), as for a checkpoint's settings.
    """
    if text.strip().lower() in ("", "none"):
        return []
    sizes = []
    for part in text.split(","):
        try:
            sizes.append(int(part.strip()))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a list of layer sizes; give whole numbers separated by commas, such as 128,64") from None
    try:
        return check_layers(sizes)
    except InvalidValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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


# the options a resumed run takes from its checkpoint (they define the run); --epochs may change
_RUN_OPTIONS = tuple(n for n in ["layers", *TRAIN_PARAMS.names()] if n != "epochs")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # --data: a declared dataset, or a CSV file of your own points (read by dataset_or_csv, not by the declaration)
    data = dict(type=dataset_or_csv, choices=None, metavar="NAME|FILE.csv",
                help=f"dataset: {', '.join(DATASETS)}, or a CSV file of your own points, x, y, label a line "
                     f"(default: {TRAIN_PARAMS['data'].default})")
    add_params(parser, TRAIN_PARAMS, own={"data": data})
    parser.add_argument("--layers", type=layer_sizes, default=None, metavar="N,N,...",
                        help=f"the model's layer sizes: hidden layers' neurons (mlp, e.g. 128,64; 'none': no hidden "
                             f"layer), each convolution's channels (cnn, e.g. 32,32,32), each recurrent layer's units "
                             f"(gru, e.g. 64); up to {HIDDEN_LAYERS.high} layers of {LAYER_SIZE.low} to "
                             f"{LAYER_SIZE.high}; default: the dataset's for the model")
    # left out means "the dataset's default" or, with --resume, "the checkpoint's": so every default is None here
    # (the help shows the declared default)
    parser.set_defaults(**{name: None for name in TRAIN_PARAMS.names()})
    parser.add_argument("--save", metavar="FILE", type=output_file(".npz"), default=None,
                        help="write a checkpoint (.npz) after every epoch")
    parser.add_argument("--resume", metavar="FILE", type=existing_file, default=None,
                        help="continue the run saved in FILE (its settings are kept; --epochs sets the new total)")
    parser.add_argument("--plot", metavar="FILE", type=output_file(".png", ".svg"), default=None,
                        help="draw loss, accuracy and learning-rate curves (and the decision boundary of a 2-D set)")
    add_format(parser)


def _config(args):
    given = {name: getattr(args, name) for name in _RUN_OPTIONS if getattr(args, name) is not None}
    return TrainConfig(epochs=args.epochs, **given)


def _flag(name: str) -> str:
    return TRAIN_PARAMS[name].flags[0] if name in TRAIN_PARAMS and TRAIN_PARAMS[name].flags else \
        "--" + name.replace("_", "-")


def _trainer(args):
    if args.resume is None:
        return Trainer(_config(args))
    trainer = Trainer.resume(args.resume, epochs=args.epochs, data=args.data)
    saved = trainer.config
    for name in _RUN_OPTIONS:
        value = getattr(args, name)
        if value is not None and value != getattr(saved, name):
            raise InvalidValueError(
                f"{_flag(name)} {value} differs from the checkpoint's {getattr(saved, name)}; a resumed run keeps its "
                "settings (only --epochs may change)"
            )
    return trainer


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.2f}%"


def _header(trainer, resumed: bool) -> str:
    c, ds = trainer.config, trainer.dataset
    first = trainer.average_start()
    parts = [
        f"[bold]{c.data}[/]: {len(ds.X_train)} training / {len(ds.X_test)} test examples",
        f"{c.network_description()} ({trainer.model.num_parameters():,} parameters)",
        f"{c.optimizer} {describe(c.schedule, c.lr, c.epochs)}"
        + (f" momentum {c.momentum:g}" if c.optimizer == "sgd" and c.momentum else "")
        + (f" weight decay {c.weight_decay:g}" if c.weight_decay else "")
        + (f", gradients clipped to length {c.clip:g}" if c.clip else ""),
        f"batch {c.batch_size}",
        (f"resumed at epoch {trainer.epoch}, " if resumed else "") + f"{c.epochs} epochs"
        + (f", weights of epochs {first}-{max(first, c.epochs)} averaged" if first is not None and first <= c.epochs else ""),
        f"seed {c.seed}",
    ]
    return "; ".join(parts)


def _target_of(c) -> str:
    """'digits' for a dataset's MLP, 'the cnn on mnist1d' for another model."""
    return c.data if c.model == "mlp" else f"the {c.model} on {c.data}"


def _epoch_line(record, epochs: int) -> str:
    return (f"epoch {record.epoch:>{len(str(epochs))}}/{epochs}  lr {record.lr:<8.3g} "
            f"train loss {record.train_loss:.4f}  acc {_pct(record.train_accuracy):>7}   "
            f"test loss {record.test_loss:.4f}  acc {_pct(record.test_accuracy):>7}")


def _overfitting_line(o: dict) -> str:
    """One sentence on overfitting (``training.overfitting``), whether it was seen or not."""
    (a, b), (c, d) = o["lowest_epochs"], o["last_epochs"]
    change = o["test_loss_now"] / o["test_loss_then"] - 1
    numbers = (f"mean test loss {o['test_loss_then']:.4f} over epochs {a}-{b} (its lowest), {o['test_loss_now']:.4f} "
               f"over epochs {c}-{d} ({change:+.0%}); mean training loss {o['train_loss_then']:.4f} then, "
               f"{o['train_loss_now']:.4f} now")
    if o["detected"]:
        return f"overfitting: the test loss has been rising since epoch {o['began']} while the training loss fell: {numbers}"
    return (f"overfitting: none seen: {numbers} (overfitting is the test loss up {o['rise']:.0%} while the training "
            f"loss falls {o['fall']:.0%})")


def run(args: argparse.Namespace) -> int:
    # rich (about 80 ms) only once a run starts: `train --help` and a mistyped option answer without it
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    trainer = _trainer(args)
    c = trainer.config
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False)
    text = args.format == "text"
    if text:
        out.print(_header(trainer, args.resume is not None))

    progress = Progress(TextColumn("training"), BarColumn(), MofNCompleteColumn(), TextColumn("epochs"),
                        TextColumn("{task.fields[status]}"), TimeRemainingColumn(), console=err, transient=True,
                        disable=not err.is_terminal)

    def after_epoch(t, record):
        if args.save:
            t.save(args.save)
        progress.update(task, completed=t.epoch,
                        status=f"lr {record.lr:.3g}  test accuracy {_pct(record.test_accuracy)}")
        if text:
            line = _epoch_line(record, c.epochs)
            if progress.live.is_started:
                progress.console.print(line, highlight=False)  # printed above the bar
            else:
                out.print(line)

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
        plot_training(trainer, args.plot)
    reported, over = result["reported"], result["overfitting"]
    if args.format == "json":
        print(json.dumps(result))
    elif args.format == "markdown":
        lines = [f"## chainrule train: {c.data}", "",
                 "| epoch | lr | train loss | train acc | test loss | test acc |", "|---:|---:|---:|---:|---:|---:|"]
        lines += [f"| {r['epoch']} | {r['lr']:.3g} | {r['train_loss']:.4f} | {_pct(r['train_accuracy'])} | "
                  f"{r['test_loss']:.4f} | {_pct(r['test_accuracy'])} |" for r in result["history"]]
        lines += ["", f"Final test accuracy: **{_pct(result['test_accuracy'])}** "
                      f"(target for {_target_of(c)}: {_pct(result['target_accuracy'])}; {result['baseline']})", "",
                  f"Reported weights: {reported['why']}.", ""]
        if over:
            lines += [_overfitting_line(over)[0].upper() + _overfitting_line(over)[1:] + ".", ""]
        sys.stdout.write("\n".join(lines))
    else:
        if result["test_accuracy"] is not None:
            target = result["target_accuracy"]  # None for your own points: nothing published to compare with
            out.print(f"[bold]test accuracy {_pct(result['test_accuracy'])}[/] after {result['epochs']} epochs "
                      f"(train loss {result['train_loss']:.4f}"
                      + (f"; the target for {_target_of(c)} is {_pct(target)}; {escape(result['baseline'])})"
                         if target is not None else ")"))
            out.print(escape(f"reported: {reported['why']}"))
        else:
            out.print("no epochs were trained")
        if over:
            out.print(escape(_overfitting_line(over)))
    if args.save and text:
        print(f"Checkpoint written to {args.save}", file=sys.stderr)
    if args.plot and text:
        print(f"Plot written to {args.plot}", file=sys.stderr)
    return 0
