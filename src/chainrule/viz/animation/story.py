"""What an animation shows, frame by frame, before anything is drawn: the backward pass edge by edge, then the descent.

The backward pass is the explorer's step-through (``chainrule.stepthrough``),
played as its page plays it: the same trace (its nodes, its edges, and one
event per edge in the order ``Value.backward`` visits them), the same state
after each click. Backpropagation hands each node's gradient back to its
inputs, multiplied by the local derivative of the edge between them:

    ∂C/∂input  +=  ∂node/∂input · ∂C/∂node
                   (local)        (upstream: the running product so far)

so the frames are

* frame 0: the forward pass done, every value shown, the cost C computed;
  backward starts at the cost with ∂C/∂C = 1;
* frame k (k = 1 … N, N the edges): the k-th event. Its edge is the active
  one; every edge crossed so far shows its local derivative; every node
  reached so far shows its running sum ∂C/∂node, marked "so far" while paths
  into it are still to arrive; the caption is the page's own sentences: the
  running product times the local derivative, its numbers, the sum where
  paths meet;
* then one frame per step of the descent, when the lesson descends: the
  cost at each step of ``w ← w − lr·∂C/∂w`` (the shared descent's ``Step``
  records, as the lesson's ``--format json`` prints them), falling.

Every number is the trace's or the descent's, written as they write it
(``explainer.format.num``); nothing here computes a derivative.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...errors import InvalidValueError
from ...explainer.format import num
from .limits import MAX_DESCENT_FRAMES, MAX_EDGES

__all__ = ["Point", "Curve", "Frame", "Story", "tell", "gradients_shown", "FORWARD", "EDGE", "DESCENT"]

FORWARD, EDGE, DESCENT = "forward", "edge", "descent"
# The most parameters a descent frame names; the rest are counted.
NAMED_PARAMETERS = 3


@dataclass(frozen=True)
class Point:
    """One step of a descent, as a ``Step`` record's JSON gives it: the cost and each parameter before it moves."""

    step: int
    cost: float
    parameters: dict[str, float] = field(default_factory=dict)
    gradients: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Curve:
    """A descent: its steps in order; ``name`` tells two descents of one lesson apart (batch's "sum" and "mean")."""

    name: str
    points: tuple[Point, ...]
    learning_rate: float | None = None
    stopped: str = ""  # why it stopped early, as the lesson says it ("" when it took its steps or converged)


@dataclass(frozen=True)
class Frame:
    """One picture: its kind, its title and caption lines, and what it stands for.

    ``shown``: how many events of the backward pass have been played (0 in
    the forward frame, k in the k-th edge frame, all of them in the
    descent's); ``event``: the trace's event of an edge frame; ``at``: the
    index of a descent frame's step in each curve (the last one for a curve
    that stopped sooner).
    """

    kind: str
    title: str
    caption: tuple[str, ...]
    shown: int = 0
    event: dict | None = None
    at: int = 0
    step: int = 0

    def to_json(self) -> dict:
        """What a page carries of this frame: its kind and words, and the numbers it stands for."""
        out = {"kind": self.kind, "title": self.title, "caption": list(self.caption)}
        if self.kind == EDGE:
            e = self.event
            out.update({"shown": self.shown, "event": e["step"], "edge": e["edge"], "source": e["source"],
                        "target": e["target"], "local": e["local"], "upstream": e["upstream"],
                        "contribution": e["contribution"], "after": e["after"], "complete": e["complete"]})
        elif self.kind == DESCENT:
            out["step"] = self.step
        return out


@dataclass(frozen=True)
class Story:
    """A lesson's animation before it is drawn: the trace it plays, its descents and its frames in order."""

    name: str
    trace: dict
    curves: tuple[Curve, ...]
    frames: tuple[Frame, ...]

    @property
    def edges(self) -> int:
        return len(self.trace["events"])

    def count(self, kind: str) -> int:
        return sum(1 for f in self.frames if f.kind == kind)


def gradients_shown(trace: dict, shown: int) -> dict[int, tuple[str, bool]]:
    """Each node's running sum after ``shown`` events, as the page shows it: node id → (text, still partial).

    The cost shows ∂C/∂C = 1 once backward has begun; each event writes
    its input's sum after the event, partial until every path into it has
    arrived (the event's ``complete``).
    """
    out: dict[int, tuple[str, bool]] = {}
    if shown > 0 or not trace["events"]:
        out[trace["nodes"][trace["cost"]]["id"]] = ("1", False)
    for e in trace["events"][:shown]:
        out[e["source"]] = (e["text"]["after"], not e["complete"])
    return out


def _forward_frame(name: str, trace: dict) -> Frame:
    cost_name = trace["cost_name"]
    cost = trace["nodes"][trace["cost"]]
    if trace["events"]:
        caption = (f"Forward pass done: {cost_name} = {cost['value_text']}.",
                   f"Backward starts at the cost with ∂{cost_name}/∂{cost_name} = 1: then, edge by edge,",
                   "the running product × the local derivative, summed where paths meet.")
    else:
        caption = (f"Forward pass done: {cost_name} = {cost['value_text']}.", "This graph has no edges.")
    return Frame(FORWARD, f"{name}: the forward pass", caption)


def _edge_frame(name: str, trace: dict, k: int) -> Frame:
    """The k-th event (from 1) as the page explains it (its ``explainEvent``): the same sentences, in order."""
    e = trace["events"][k - 1]
    t = e["text"]
    node = trace["nodes"][e["source"]]["name"]
    total = len(trace["events"])
    lines = [f"running product × local derivative:  {t['chain']}", t["formula"], f"= {t['numbers']}"]
    if e["meets"]:
        lines.append("Paths meet here: the chain rule adds this path to what already arrived.")
    lines.append(t["sum"])
    lines.append(f"Every path into {node} has arrived: its gradient is final." if e["complete"]
                 else f"{node}'s gradient so far: more paths into {node} are still to arrive.")
    title = f"{name}: backward, edge {k} of {total}"
    if k == total:
        title += " — every parameter has its gradient"
    return Frame(EDGE, title, tuple(lines), shown=k, event=e)


def _chosen_steps(length: int) -> list[int]:
    """Every step, or ``MAX_DESCENT_FRAMES`` evenly spaced ones, the first and the last among them."""
    if length <= MAX_DESCENT_FRAMES:
        return list(range(length))
    return sorted({round(k * (length - 1) / (MAX_DESCENT_FRAMES - 1)) for k in range(MAX_DESCENT_FRAMES)})


def _parameters_line(cost_name: str, point: Point) -> str:
    """w = 0.62, ∂C/∂w = 0.34 for the first few parameters; how many more there are."""
    names = list(point.parameters)
    said = [f"{p} = {num(point.parameters[p])} (∂{cost_name}/∂{p} = {num(point.gradients[p])})"
            if p in point.gradients else f"{p} = {num(point.parameters[p])}" for p in names[:NAMED_PARAMETERS]]
    more = len(names) - NAMED_PARAMETERS
    return ",  ".join(said) + (f",  … and {more} more parameters" if more > 0 else "")


def _descent_frames(name: str, cost_name: str, curves: tuple[Curve, ...], shown: int) -> list[Frame]:
    longest = max(len(c.points) for c in curves)
    chosen = _chosen_steps(longest)
    sampled = len(chosen) < longest
    frames = []
    rates = {c.learning_rate for c in curves if c.learning_rate is not None}
    rule = (f"Gradient descent: every parameter p ← p − lr·∂{cost_name}/∂p, lr = {num(next(iter(rates)))}"
            if len(rates) == 1 else "")
    for at in chosen:
        lines = [rule] if rule else []
        step = 0
        for c in curves:
            k = min(at, len(c.points) - 1)
            p, first = c.points[k], c.points[0]
            step = max(step, p.step)
            head = f"{c.name}: " if c.name else ""
            since = f"   (step {first.step}: {cost_name} = {num(first.cost)})" if p.step != first.step else ""
            lines.append(f"{head}step {p.step}: {cost_name} = {num(p.cost)}{since}")
            if len(curves) == 1:
                lines.append(_parameters_line(cost_name, p))
            if at == chosen[-1] and c.stopped:
                lines.append(f"{head}stopped: {c.stopped}".splitlines()[0])
        if sampled:
            lines.append(f"{len(chosen)} of the {longest} steps shown, evenly spaced.")
        last = max(c.points[-1].step for c in curves)
        frames.append(Frame(DESCENT, f"{name}: gradient descent, step {step} of {last}", tuple(lines), shown=shown,
                            at=at, step=step))
    return frames


def tell(name: str, trace: dict, curves: tuple[Curve, ...] | list[Curve] = ()) -> Story:
    """The frames of ``trace``'s backward pass (``trace_graph``'s or ``trace_lesson``'s answer), then of ``curves``.

    Refuses a backward pass of more than ``MAX_EDGES`` edges: every edge gets
    its frame, so a longer one would be a film nobody follows.
    """
    total = len(trace["events"])
    if total > MAX_EDGES:
        raise InvalidValueError(f"{name}'s backward pass has {total} edges; an animation plays at most {MAX_EDGES}, "
                                "one frame each")
    curves = tuple(c for c in curves if c.points)
    frames = [_forward_frame(name, trace)] + [_edge_frame(name, trace, k) for k in range(1, total + 1)]
    if curves:
        frames += _descent_frames(name, trace["cost_name"], curves, total)
    return Story(name, trace, curves, tuple(frames))
