"""``chainrule check LESSON|CHECKPOINT``: is backprop right here? Ask two independent judges.

For every parameter w, the gradient backprop computed is compared with

* central finite differences, (C(w + h) − C(w − h)) / 2h, which only needs
  the forward pass (error O(h²); float64 throughout), and
* PyTorch's autograd on the same function with the same weights, when
  PyTorch is installed.

A LESSON (``chainrule lesson --list``) is checked on its own graph: the
cost after one backward pass, re-evaluated by replaying each node's
operation with perturbed weights. A CHECKPOINT (a ``.npz`` written by
``chainrule train --save``) is rebuilt in float64 and checked on a small
batch of its training set; a big parameter is checked on a random sample
of its entries (the table says how many).

A gradient agrees when |backprop − reference| ≤ tol·(1 + |reference|).
Exit code 0 when every parameter agrees, 1 when one does not, 2 for bad input.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys

import numpy as np

from .. import lessons
from ..data import dataset_info
from ..errors import InvalidValueError
from ..explainer.format import to_ascii
from ..gradcheck import GradCheckReport, check_graph, compare, gradcheck, graph_parameters
from ..handwritten import check_file, parse_spec
from ..interop import torch_cross_entropy_gradients, torch_graph_gradients  # torch itself loads on first use
from ..losses import cross_entropy
from ..models import build
from ..tensor import Tensor
from ..training import Trainer
from .options import int_in_range, positive_float
from .lesson_file import add_file_option
from .output import unicode_ok

H = 1e-6  # the finite-difference step (float64)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="LESSON|CHECKPOINT", nargs="?",
                        help=f"a lesson ({', '.join(lessons.LESSONS)}) or a .npz saved by `chainrule train --save`")
    add_file_option(parser)
    parser.add_argument("--fn", metavar="FILE.py:GRAD",
                        help="check your own backward pass instead: FILE defines forward(params) -> cost, "
                             "GRAD(params) -> dict of gradients and params (the point); run in its own process. "
                             "Wrong gradients are explained by their cause, once: the first wrong edge "
                             "(a local derivative left out, a sign flipped), or a factor all of them share")
    parser.add_argument("--tolerance", type=positive_float, default=1e-6,
                        help="agree when |backprop − reference| <= tol·(1 + |reference|) (default 1e-6)")
    parser.add_argument("--entries", type=int_in_range(1, 1_000_000), default=24,
                        help="checkpoints: at most this many entries checked per parameter (default 24)")
    parser.add_argument("--batch", type=int_in_range(1, 4096), default=16,
                        help="checkpoints: rows of the training set in the checked batch (default 16)")
    parser.add_argument("--data", metavar="FILE.csv", default=None,
                        help="checkpoints trained on your own points: that CSV file (the checkpoint knows it by its "
                             "content's SHA-256 and never opens a file by itself)")
    parser.add_argument("--no-torch", dest="torch", action="store_false", help="skip the comparison with PyTorch")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def _torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


# ------------------------------------------------------------------- lesson
def _lesson_reports(name: str, tol: float, use_torch: bool):
    cost = lessons.graph(name)
    params = graph_parameters(cost)
    if not params:
        raise InvalidValueError(f"lesson {name!r} has no trainable parameters (leaves labelled w… or b…) to check")
    reports = [check_graph(cost, params, h=H, atol=tol, rtol=tol)]
    notes = []
    if use_torch:
        reference = torch_graph_gradients(cost, params)
        report = GradCheckReport("pytorch", atol=tol, rtol=tol)
        for p, r in zip(params, reference):
            report.checks.append(compare(p.label, [float(p.grad)], [r], tol, tol))
        reports.append(report)
    return f"lesson {name}", reports, notes


# --------------------------------------------------------------- checkpoint
def _model_from_checkpoint(path: str, data: str | None = None):
    """(the checkpoint's network in float64 with its weights, dataset, config); one clear line if anything is off.

    The checkpoint is read by ``Trainer.resume``, the one reader of training
    checkpoints: what ``chainrule train --resume`` refuses, this refuses too,
    for the same reasons, before building anything the file cannot justify.
    """
    trainer = Trainer.resume(path, data=data)
    c, ds = trainer.config, trainer.dataset
    model = build(c.model, ds.n_features, ds.n_classes, c.layers, c.activation, dataset_info(c.data).sequence_shape,
                  seed=0, dtype=np.float64)
    model.load_state_dict({k: v.astype(np.float64) for k, v in trainer.model.state_dict().items()})
    return model, trainer.dataset, trainer.config


def _checkpoint_reports(path: str, tol: float, use_torch: bool, entries: int, batch: int, data: str | None):
    model, ds, config = _model_from_checkpoint(path, data)
    x = np.ascontiguousarray(ds.X_train[:batch], dtype=np.float64)
    y = np.asarray(ds.y_train[:batch])
    named = list(model.named_parameters())
    names = [n for n, _ in named]
    params = [p for _, p in named]

    def cost(*_params):
        return cross_entropy(model(Tensor(x)), y)

    fd = gradcheck(cost, params, h=H, atol=tol, rtol=tol, names=names, sample=entries, seed=0)
    reports = [fd]
    notes = [f"{config.data}: {config.network_description()}, float64, a batch of {len(x)} training rows"]
    if any(c.checked for c in fd.checks):
        notes.append(f"finite differences on at most {entries} random entries per parameter (--entries)")
    if use_torch:
        for p in params:
            p.grad = None
        cost().backward()
        report = GradCheckReport("pytorch", atol=tol, rtol=tol)
        for name, p, ref in zip(names, params, torch_cross_entropy_gradients(model, x, y)):  # in chainrule's layout
            report.checks.append(compare(name, p.grad.reshape(-1).tolist(), ref.reshape(-1).tolist(), tol, tol))
        reports.append(report)
    return f"checkpoint {path}", reports, notes


# --------------------------------------------------------------------- run
def _size(check) -> str:
    return f"{check.size} ({check.checked} sampled)" if check.checked else str(check.size)


def _table(report) -> list[str]:
    rows = [(c.name, _size(c), f"{c.max_abs_error:.2e}", f"{c.max_rel_error:.2e}", "ok" if c.ok else "DISAGREE")
            for c in report.checks]
    head = ("parameter", "size", "max abs error", "max rel error", "ok")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(5)]
    fmt = lambda r: "  ".join(  # noqa: E731
        r[i].ljust(widths[i]) if i in (0, 4) else r[i].rjust(widths[i]) for i in range(5)).rstrip()
    return [fmt(head), fmt(tuple("-" * w for w in widths)), *(fmt(r) for r in rows)]


def _run_fn(args: argparse.Namespace) -> int:
    """``--fn FILE.py:GRAD``: the learner's gradient against backprop and finite differences (``chainrule.handwritten``).

    The text and the JSON carry the causes (``HandCheck.causes``): each
    mistake once, with the gradients it explains; the exit code is 1 while
    any entry is wrong.
    """
    if args.target:
        raise InvalidValueError("give either a LESSON|CHECKPOINT or --fn FILE.py:GRAD, not both")
    report = check_file(*parse_spec(args.fn), tolerance=args.tolerance)
    if args.format == "json":
        print(json.dumps(report.to_json(), ensure_ascii=not unicode_ok(sys.stdout)))
        return 0 if report.ok else 1
    text = "\n".join([f"chainrule check --fn {args.fn}", *report.lines()]) + "\n"
    if not unicode_ok(sys.stdout):
        text = to_ascii(text)
    sys.stdout.write(text)
    return 0 if report.ok else 1


def run(args: argparse.Namespace) -> int:
    if args.fn:
        return _run_fn(args)
    if not args.target:
        raise InvalidValueError("give a LESSON|CHECKPOINT to check, or --fn FILE.py:GRAD for your own backward pass")
    target, tol = args.target, args.tolerance
    use_torch = args.torch and _torch_available()
    if args.data is not None and target in lessons.LESSONS:
        raise InvalidValueError("--data applies to a checkpoint trained on your own points, not to a lesson")
    if target in lessons.LESSONS:
        what, reports, notes = _lesson_reports(target, tol, use_torch)
    elif os.path.exists(target) or target.endswith(".npz"):
        what, reports, notes = _checkpoint_reports(target, tol, use_torch, args.entries, args.batch, args.data)
    else:
        raise InvalidValueError(
            f"{target!r} is neither a lesson ({', '.join(lessons.LESSONS)}) nor a checkpoint file "
            "(a .npz written by `chainrule train --save`)"
        )
    if args.torch and not use_torch:
        notes.append("PyTorch is not installed: compared with finite differences only")
    ok = all(r.ok for r in reports)
    if args.format == "json":
        print(json.dumps({"target": target, "what": what, "ok": ok, "tolerance": tol, "h": H, "notes": notes,
                          "references": [r.to_json() for r in reports]}))
        return 0 if ok else 1
    lines = [f"chainrule check: {what}"]
    lines += [f"  {note}" for note in notes]
    for r in reports:
        title = f"finite differences (h = {H:g})" if r.reference == "finite differences" else "PyTorch autograd (float64)"
        lines += ["", f"backprop vs {title}:", *_table(r)]
    bad = sum(not c.ok for r in reports for c in r.checks)
    total = sum(len(r.checks) for r in reports)
    lines += ["", f"all {total} comparisons agree within tolerance {tol:g}" if ok
              else f"{bad} of {total} comparisons DISAGREE beyond tolerance {tol:g}"]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0 if ok else 1
