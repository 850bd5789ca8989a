"""``chainrule exercise LESSON``: compute a lesson's backprop by hand, step by step, each step checked.

    chainrule exercise simplest                  a fresh exercise, in the terminal (its seed is printed)
    chainrule exercise chain --student "Ada"     Ada's own numbers (the same every time)
    chainrule exercise wide --seed 7 --format json        the questions, without answers
    chainrule exercise wide --seed 7 --key                the answers
    chainrule exercise wide --seed 7 --answers mine.json  marked without prompting ({"id": "answer", …})

Exit code 0 when every answer is right, 1 when some are wrong (or the
session stopped early), 2 for bad input, with one line. The library side is
``chainrule.exercises``; this file only reads and prints.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys

from .. import lessons
from ..errors import InvalidValueError
from ..exercises import grading, tensor_softmax
from ..exercises.answers import AnswerError
from ..exercises.draw import MAX_NAME, SEED, seed_for_student, structure
from ..exercises.exercise import build
from ..exercises.session import Session
from ..explainer.format import num, to_ascii
from ..files import read_text
from ..params import Params
from .lesson_file import add_file_option
from .options import add_params, int_in_range
from .output import unicode_ok

MAX_ANSWERS_BYTES = 1_000_000
TENSOR = "tensor-softmax"
TENSOR_HELP = ("tensor gradients by hand: a batch through a linear layer and softmax cross-entropy; write dlogits, dW, "
               "db and dX in numpy (--template, then --answers FILE.py)")


def shape_params(module) -> Params:
    """The options that shape a lesson's exercise (its sizes and choices), with the exercise's defaults."""
    shape = structure(module.params)
    return Params(*(dataclasses.replace(p, default=shape[p.name]) for p in module.params
                    if p.name in shape and p.name != "steps"))


def add_exercise_source(parser: argparse.ArgumentParser) -> None:
    """--seed N or --student NAME: whose numbers (shared by exercise, worksheet and slides)."""
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--seed", type=int_in_range(SEED.low, SEED.high), metavar="N",
                     help=f"the exercise's numbers: the same seed gives the same exercise ({SEED.low} to {SEED.high})")
    who.add_argument("--student", metavar="NAME",
                     help=f"a learner's name, hashed to their own seed (at most {MAX_NAME} characters)")


def _subparsers(parser: argparse.ArgumentParser):
    add_file_option(parser)
    return parser.add_subparsers(dest="lesson", metavar="LESSON", parser_class=type(parser))


def _lesson_parsers(sub) -> list[argparse.ArgumentParser]:
    out = []
    for name, module in lessons.LESSONS.items():
        p = sub.add_parser(name, help=module.summary, description=module.summary)
        add_params(p, shape_params(module))
        out.append(p)
    return out


def lesson_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """One subcommand per lesson (exercise, worksheet, slides), with the options that shape its exercise."""
    return _lesson_parsers(_subparsers(parser))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = _subparsers(parser)
    tensor = sub.add_parser(TENSOR, help=TENSOR_HELP, description=TENSOR_HELP)
    add_exercise_source(tensor)
    tensor.add_argument("--template", action="store_true", help="print the file to fill in (numbers, forward pass)")
    tensor.add_argument("--key", action="store_true", help="print the answers (numpy and their numbers)")
    tensor.add_argument("--answers", metavar="FILE.py", help="mark the backward pass written in FILE.py")
    tensor.add_argument("--format", choices=("text", "json"), default="text", help="text, or json")
    for p in _lesson_parsers(sub):
        add_exercise_source(p)
        p.add_argument("--format", choices=("text", "json"), default="text",
                       help="text, or json: the questions (no answers), the key or the marks as JSON")
        p.add_argument("--key", action="store_true", help="print the answers (needs --seed or --student)")
        p.add_argument("--diverge", action="store_true",
                       help="a learning rate too large on purpose: the step raises the cost; predict C after it "
                            "and say why")
        p.add_argument("--answers", metavar="FILE.json",
                       help='mark the answers in FILE.json, {"id": "answer", …}, without prompting')


def chosen_seed(args) -> int | None:
    if getattr(args, "student", None) is not None:
        return seed_for_student(args.student)
    return args.seed


def settings_of(args, module) -> dict:
    return {p.name: getattr(args, p.name) for p in shape_params(module)}


def read_answers(path: str) -> dict:
    """The answers file: a JSON object of id → answer (text or number), bounded in size."""
    try:
        data = json.loads(read_text(path, MAX_ANSWERS_BYTES))
    except json.JSONDecodeError as exc:
        raise InvalidValueError(f"{path!r} is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise InvalidValueError(f'{path!r} must hold one JSON object {{"id": "answer", …}}, not a {type(data).__name__}')
    for k, v in data.items():
        if isinstance(v, bool) or not isinstance(v, (str, int, float)) and v is not None:
            raise InvalidValueError(f"{path!r}: the answer to {k!r} must be text or a number, not {type(v).__name__}")
    return data


class Out:
    """stdout in our notation, or plain ASCII when it cannot carry it."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.convert = (lambda s: s) if unicode_ok(self.stream) else to_ascii

    def __call__(self, text: str = "", end: str = "\n") -> None:
        self.stream.write(self.convert(text) + end)
        self.stream.flush()


def head_lines(exercise) -> list[str]:
    """What a learner sees first: the network, the numbers, how to answer."""
    typed = [f"{exercise.spellings(g.key)}" for g in exercise.givens if g.typed not in (None, g.key)]
    typed += [exercise.spellings(q.key) for q in exercise.questions
              if q.kind in ("forward", "cost") and exercise.spellings(q.key) != q.key]
    lines = ["the network:"] + [f"  {line}" for line in exercise.network]
    lines.append("given: " + ", ".join(f"{g.key} = {num(g.value)}" for g in exercise.givens))
    lines.append("answer with a number (3 significant digits) or a formula in the symbols, like 2*(a-y)*i")
    if typed:
        lines.append("typing: " + ", ".join(typed[:6]) + (", …" if len(typed) > 6 else ""))
    if exercise.note:
        lines.append(exercise.note)
    return lines


def interactive(exercise, out: Out, stdin=None) -> int:
    stdin = stdin or sys.stdin
    session = Session(exercise)
    n = len(exercise.questions)
    for line in head_lines(exercise):
        out(line)
    while not session.done:
        q = session.current
        out(f"[{session.k + 1}/{n}] {q.prompt} ", end="")
        text = stdin.readline()
        if not text and not session.answered:
            out("")
            raise InvalidValueError("no answer: the input ended before the first one (answer in a terminal, or pipe "
                                    "one answer per line, or use --answers FILE.json)")
        if not text:
            out("")
            out(f"stopped after {session.k} of {n} questions")
            for line in session.summary():
                out(line)
            return 1
        if not stdin.isatty():
            out(text.rstrip("\n"))  # piped answers appear in the transcript
        if not text.strip():
            continue
        try:
            reply = session.answer(text.strip())
        except AnswerError as exc:
            out(f"  not an answer: {str(exc).split(': ', 1)[-1]}")
            continue
        for line in reply.lines:
            out(f"  {line}")
    for line in session.summary():
        out(line)
    return 0 if session.right == n else 1


def run_tensor(args: argparse.Namespace) -> int:
    """``exercise tensor-softmax``: the problem, its template, its key, or the marks of a learner's file."""
    seed = chosen_seed(args)
    if seed is None:
        if args.key or args.answers or args.template:
            raise InvalidValueError("tensor-softmax needs --seed N or --student NAME: the file and its marks belong "
                                    "to one exercise")
        seed = random.SystemRandom().randrange(SEED.low, SEED.high + 1)
    ex = tensor_softmax.build(seed)
    out = Out()
    if args.answers:
        marks = tensor_softmax.check(ex, args.answers)
        if args.format == "json":
            out(json.dumps(marks.to_json(), ensure_ascii=False, indent=2))
        else:
            for line in marks.lines():
                out(line)
        return 0 if marks.right == len(marks.marks) else 1
    if args.template:
        out(tensor_softmax.template(ex), end="")
        return 0
    if args.key:
        out(tensor_softmax.key(ex))
        return 0
    if args.format == "json":
        out(json.dumps(ex.to_json(), ensure_ascii=False, indent=2))
        return 0
    out(f"chainrule exercise {TENSOR}, seed {seed}: a batch of {ex.X.shape[0]} through logits = X @ W + b, "
        f"loss = mean cross-entropy + lam·ΣW²")
    out(f"write dlogits, dW, db and dX in numpy: chainrule exercise {TENSOR} --seed {seed} --template > mine.py, "
        f"fill it in, then --answers mine.py")
    return 0


def _is_answer(text: str, key: dict) -> bool:
    """Whether a key's formula is just its own number (1 for ∂S/∂e₁ = 1.00): printed once, as the answer."""
    try:
        return float(text.replace("−", "-")) == key["value"]
    except ValueError:
        return text == key["answer"]


def run(args: argparse.Namespace) -> int:
    if args.lesson == TENSOR:
        return run_tensor(args)
    if not args.lesson:
        print("\n".join(f"{name:<14} {m.summary}" for name, m in lessons.LESSONS.items()))
        print("\nRun: chainrule exercise LESSON [--seed N | --student NAME]", file=sys.stderr)
        return 0
    module = lessons.load(args.lesson)
    seed = chosen_seed(args)
    if seed is None and (args.key or args.answers):
        raise InvalidValueError(f"--{'key' if args.key else 'answers'} needs --seed N or --student NAME: "
                                "the answers belong to one exercise")
    if seed is None:
        seed = random.SystemRandom().randrange(SEED.low, SEED.high + 1)
        fresh = True
    else:
        fresh = False
    exercise = build(args.lesson, seed, settings_of(args, module), diverge=args.diverge)
    out = Out()
    if args.answers:
        result = grading.grade(exercise, read_answers(args.answers))
        if args.format == "json":
            out(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        else:
            for line in result.lines():
                out(line)
        return 0 if result.right == result.total else 1
    if args.key:
        if args.format == "json":
            out(json.dumps({"lesson": exercise.lesson, "seed": seed, "diverges": exercise.diverges,
                            "note": exercise.note, "key": exercise.key()}, ensure_ascii=False, indent=2))
        else:
            if exercise.note:
                out(exercise.note)
            for k in exercise.key():
                # the chain and the formula, each once, and not a constant that is the answer itself (∂S/∂e₁ = 1)
                how = " = ".join(dict.fromkeys(x for x in (k["chain"], k["formula"]) if x and not _is_answer(x, k)))
                out(f"{k['id']:<16} {k['name']} = {how + ' = ' if how else ''}{k['answer']}")
        return 0
    if args.format == "json":
        out(json.dumps(exercise.to_json(), ensure_ascii=False, indent=2))
        return 0
    out(f"chainrule exercise {args.lesson}, seed {seed}" + (f" (again: --seed {seed})" if fresh else ""))
    return interactive(exercise, out)
