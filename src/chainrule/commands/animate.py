"""``chainrule animate LESSON --out FILE``: the backward pass edge by edge, then the descent, as a file to take away.

The frames are the explorer's step-through as its page plays it: the same
trace (``chainrule.stepthrough``: the nodes, the edges, one event per edge in
the order backpropagation visits them, each with its local derivative, the
running product and the sum where paths meet), one frame per click; then,
for a lesson that descends, one frame per step of its descent, the cost
falling (the lesson's ``--format json`` steps: the shared descent's ``Step``
records). The file's suffix picks the format: ``.gif``, ``.mp4`` (needs the
program ffmpeg) or ``.html`` (one page that plays offline, with play, pause
and step buttons); without ``--out``, ``LESSON.gif`` in the current folder.
The library side is ``chainrule.viz.animation``.

``--from-url`` takes an explorer link instead of a lesson's name, so what a
teacher set up on the page is what the file shows (``explorer_link``): the
home page's numbers (i, y, w, lr, tol) and step k, whose backward pass is
the one at step k's weight; or the step-through's lesson, the HTML page
opening at the edge the link stood at.
"""

from __future__ import annotations

import argparse

from .. import lessons
from ..errors import InvalidValueError
from ..explainer.format import num
from ..lessons.simplest import W
from ..stepthrough.graph import trace_graph
from ..stepthrough.lesson import trace_lesson
from ..viz.animation import FPS, Curve, Point, check_writer, fitting_size, parse_size, tell, write
from .explorer_link import Link, read_link
from .lesson_file import add_file_option
from .options import output_file

DEFAULT_FPS = 1.0
OUT = output_file(".gif", ".mp4", ".html")  # the suffix picks the format


def _fps(text: str) -> float:
    try:
        fps = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; allowed: {FPS[0]} to {FPS[1]}") from None
    if not FPS[0] <= fps <= FPS[1]:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"{text!r} is out of range; allowed: a number from {FPS[0]} to {FPS[1]}")
    return fps


_fps.__name__ = f"number {FPS[0]}..{FPS[1]}"  # the CLI fuzzer reads the bounds from the name


def _size(text: str):
    try:
        return parse_size(text)
    except InvalidValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    offered = list(lessons.step_through())
    parser.add_argument("lesson", metavar="LESSON", nargs="?", choices=offered,
                        help="the lesson whose backward pass to animate: " + ", ".join(offered)
                             + " (or give --from-url)")
    add_file_option(parser)
    parser.add_argument("--out", metavar="FILE", type=OUT,
                        help="the file to write: .gif, .mp4 (needs ffmpeg) or .html (plays offline); "
                             "default: LESSON.gif in the current folder")
    parser.add_argument("--from-url", metavar="URL", dest="url",
                        help="an explorer link, e.g. http://127.0.0.1:8000/?i=2&w=0.3&y=1&lr=0.1 or "
                             "/backprop?lesson=wide: the file shows what the page showed")
    parser.add_argument("--fps", metavar="X", type=_fps, default=DEFAULT_FPS,
                        help=f"frames a second, from {FPS[0]} to {FPS[1]} (default: {DEFAULT_FPS}, a second an edge)")
    parser.add_argument("--size", metavar="WxH", type=_size,
                        help="the frames' size in pixels, e.g. 960x540 (default: the step-through's own scale, "
                             "within the bounds)")


def _points(records) -> tuple[Point, ...] | None:
    """A descent's ``Step`` records (their JSON) as points; None if they are not such records."""
    if not isinstance(records, list) or not records:
        return None
    points = []
    for r in records:
        if not isinstance(r, dict) or not isinstance(r.get("step"), int) or not isinstance(r.get("cost"), (int, float)):
            return None
        points.append(Point(r["step"], float(r["cost"]), dict(r.get("parameters") or {}), dict(r.get("gradients") or {})))
    return tuple(points)


def descents(report: dict) -> tuple[Curve, ...]:
    """The descents of a lesson's JSON report: its ``steps`` (one descent), or one per name (batch's sum and mean).

    A lesson whose story is not a descent (its ``steps`` a count, or none)
    has none to show.
    """
    steps = report.get("steps")
    rate = report.get("learning_rate")
    rate = float(rate) if isinstance(rate, (int, float)) and not isinstance(rate, bool) else None
    stopped = report.get("stopped") if isinstance(report.get("stopped"), str) else ""
    if isinstance(steps, list):
        points = _points(steps)
        return (Curve("", points, rate, stopped),) if points else ()
    if isinstance(steps, dict):
        named = [(str(name), _points(records)) for name, records in steps.items()]
        return tuple(Curve(name, points, rate) for name, points in named if points)
    return ()


def _lesson_film(name: str) -> tuple[str, dict, tuple[Curve, ...]]:
    """The lesson's step-through (its own step-through parameters) and its descent with the same parameters."""
    lesson = lessons.load(name)
    params = lesson.step_through_params()
    report = lesson.explain(lesson.train(**params)).to_json()
    return name, trace_lesson(name), descents(report)


def _home_film(link: Link) -> tuple[str, dict, tuple[Curve, ...], str]:
    """The home page's network with the link's numbers: the descent, and the backward pass at step k's weight."""
    lesson = lessons.load("simplest")
    most = max(link.step, lesson.params["steps"].default)
    report = lesson.explain(lesson.train(**link.params, steps=most)).to_json()
    curves = descents(report)
    records = curves[0].points if curves else ()
    at = records[min(link.step, len(records) - 1)] if records else None
    step = at.step if at is not None else 0
    note = ""
    if step < link.step:
        note = (f"k={link.step} in the link: the descent stopped at step {step}, so step {step}'s backward pass "
                "is shown, as the page shows it")
    weight = at.parameters[W] if at is not None else link.params.get("weight", lesson.params["weight"].default)
    cost = lesson.graph(**{**link.params, "weight": weight})
    said = ", ".join(f"{lesson.params[name].symbol or name} = {num(value)}" for name, value in link.params.items())
    name = "simplest" + (f" ({said})" if said else "") + (f" at step {step}" if step else "")
    return name, trace_graph(cost), curves, note


def _default_out(lesson: str) -> str:
    """LESSON.gif in the current folder, checked as ``--out`` would be."""
    try:
        return OUT(f"{lesson}.gif")
    except argparse.ArgumentTypeError as exc:
        raise InvalidValueError(f"--out not given, and {exc}") from None


def run(args: argparse.Namespace) -> int:
    if args.out is not None:
        check_writer(args.out, args.size)  # ffmpeg missing for an MP4: said before any work
    link = read_link(args.url) if args.url is not None else None
    if link is None and not args.lesson:
        raise InvalidValueError(f"which lesson? chainrule animate LESSON --out FILE, or --from-url URL; lessons: "
                                f"{', '.join(lessons.step_through())}")
    if link is not None and args.lesson and args.lesson != link.lesson:
        raise InvalidValueError(f"lesson {args.lesson!r} and the link's lesson {link.lesson!r} differ; give one of them")
    out = args.out or _default_out(link.lesson if link is not None else args.lesson)
    fmt = check_writer(out, args.size)
    notes = []
    if link is not None and link.page == "home":
        name, trace, curves, note = _home_film(link)
        notes += [note] if note else []
    else:
        name, trace, curves = _lesson_film(link.lesson if link is not None else args.lesson)
    start = link.edge if link is not None else 0
    if start > len(trace["events"]):
        raise InvalidValueError(f"edge={start} in the link: {name} has {len(trace['events'])} edges; allowed: "
                                f"0 to {len(trace['events'])}")
    story = tell(name, trace, curves)
    size = args.size or fitting_size(trace["width"], trace["height"], len(story.frames))
    written = write(story, out, size, args.fps, start=start, source=link.url if link is not None else "")
    if start and fmt != "html":
        notes.append(f"edge={start} in the link: the {fmt.upper()} plays from the start; an .html page opens at that edge")
    descent = (f", {story.count('descent')} of descent" if curves else f"; {name} has no descent of its own to show")
    print(f"{fmt.upper()} of {name} written to {written.path}: {written.frames} frames (1 forward, {story.edges} edges"
          f"{descent}), {written.size} px, {written.fps:g} fps, {max(1, written.bytes // 1024)} KiB")
    for note in notes:
        print(f"note: {note}")
    return 0
