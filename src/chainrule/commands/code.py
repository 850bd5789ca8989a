"""``chainrule code LESSON [--lang python|numpy|torch]``: the lesson's backward pass, printed as a program you can run.

* ``python``: the lesson's graph compiled by ``chainrule.compile``: the
  forward pass one node per line, then the backward pass one edge per line,
  each with the chain-rule factor it multiplies by (``g_w += g_a * i  #
  ∂a/∂w = i``): the engine's numbers, bit for bit;
* ``numpy``: the same network with vectors and matrices, forward and
  backward written out (``d_z1 = (d_z2 @ W2.T) * (z1 > 0)``): the matrix
  form of backprop;
* ``torch``: the same forward pass in PyTorch, then ``C.backward()``.

Every program runs as printed (``chainrule code wide --lang numpy > wide.py;
python wide.py``) and prints the cost and the gradients. The lesson's
``Parameter`` leaves (its weights and biases) are the program's parameters;
the other leaves (the input i, the target y) are data. The numpy and
PyTorch programs are written from the lesson's tensor form
(``Lesson.tensors``). ``--format json`` gives the program with what it is.
"""

from __future__ import annotations

import argparse
import json
import sys

from .. import lessons
from ..codegen import compile as compile_graph
from ..codegen.numpy_code import numpy_program
from ..codegen.torch_code import torch_program
from ..errors import InvalidValueError
from ..explainer.format import to_ascii
from ..gradcheck import is_parameter
from .lesson_file import add_file_option
from .output import unicode_ok

LANGUAGES = ("python", "numpy", "torch")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("lesson", metavar="LESSON", choices=list(lessons.LESSONS),
                        help="the lesson whose network to print: " + ", ".join(lessons.LESSONS))
    add_file_option(parser)
    parser.add_argument("--lang", choices=LANGUAGES, default="python",
                        help="python: straight-line scalar code (chainrule.compile); numpy: matrices, forward and "
                             "backward; torch: the forward pass in PyTorch and loss.backward() (default: python)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def python_program(name: str) -> tuple[str, list[str]]:
    """The lesson's graph as a runnable Python program (``chainrule.compile``), and its parameters' names."""
    cost = lessons.graph(name)
    leaves = [node for node in cost.nodes() if not node.op]
    params = [leaf for leaf in leaves if is_parameter(leaf)]
    inputs = [leaf for leaf in leaves if not is_parameter(leaf)]
    f = compile_graph(cost, inputs=inputs, params=params)
    cost_name = f.cost_name
    if len(f.arguments) <= 4:
        call = f"{f.name}({', '.join(f'{a}={f.defaults[a]!r}' for a in f.arguments)})"
    else:
        call = f"{f.name}()  # the lesson's numbers are the arguments' defaults"
    source = (f.source + "\n\n" + f"{cost_name}, gradients = {call}\n" + f'print("{cost_name} =", {cost_name})\n'
              + "for name, gradient in gradients.items():\n" + f'    print(f"d{cost_name}/d{{name}} =", gradient)\n')
    return source, list(f.parameters)


def program(name: str, lang: str) -> tuple[str, list[str]]:
    """The program of lesson ``name`` in ``lang`` (see the module docstring), and its parameters' names."""
    if lang == "python":
        source, params = python_program(name)
    else:
        lesson = lessons.load(name)
        if lesson.tensors is None:
            raise InvalidValueError(f"lesson {name!r} has no tensor form, so no {lang} program; --lang python works "
                                    "for every lesson")
        network = lesson.tensors()
        emitted = numpy_program(network.loss) if lang == "numpy" else torch_program(network.loss)
        source, params = emitted.source, list(emitted.parameters)
    header = f"# lesson {name}: {lessons.load(name).summary}\n# (chainrule code {name} --lang {lang})\n"
    return header + source, params


def run(args: argparse.Namespace) -> int:
    source, params = program(args.lesson, args.lang)
    ascii = not unicode_ok(sys.stdout)
    if args.format == "json":
        sys.stdout.write(json.dumps({"lesson": args.lesson, "lang": args.lang, "parameters": params,
                                     "code": source}, indent=2, ensure_ascii=ascii) + "\n")
        return 0
    if ascii:
        source = to_ascii(source)
    sys.stdout.write(source)
    return 0
