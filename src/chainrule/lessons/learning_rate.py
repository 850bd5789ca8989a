"""Rung 7, the learning rate: a sweep showing convergence, oscillation and divergence.

For the simplest network the cost is a parabola of curvature C'' = 2i², and
each step multiplies the distance to the answer by r = 1 − lr·C'':

    0 < lr < 1/C''        0 < r < 1     converges from one side
    lr = 1/C''            r = 0         lands in one step
    1/C'' < lr < 2/C''    −1 < r < 0    overshoots: oscillates, and converges
    lr = 2/C''            r = −1        oscillates forever
    lr > 2/C''            r < −1        diverges

A small network has no single curvature, but the same three behaviours
appear as the learning rate grows: the sweep trains it at each rate and
says what happened, from the costs alone.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field

from ..commands.options import int_in_range
from ..errors import NumericalOverflowError
from ..explainer.format import num
from ..neuron import MLP
from ..scalar import Value
from . import simplest
from .report import Report, Section, Table

SUMMARY = "A learning-rate sweep: convergence, oscillation and divergence, for the simplest network and a small MLP (--plot)."

DEFAULTS = dict(steps=60, seed=1)
# Learning rates of the sweeps: for the simplest network as fractions of 2/C'' (the edge of stability).
SIMPLEST_FRACTIONS = (0.1, 0.5, 0.75, 1.0, 1.1)
MLP_RATES = (0.1, 0.6, 0.7, 1.3, 2.0)
# Four points of y = x² − 0.5 for the small network to fit.
POINTS = ((-1.0, 0.5), (-0.3, -0.41), (0.4, -0.34), (0.9, 0.31))
DIVERGED = 1e6


def behaviour(costs: list[float]) -> str:
    """What descent did, read from the costs: 'diverges', 'oscillates', 'converges' or 'converges slowly'."""
    if not all(math.isfinite(c) for c in costs) or costs[-1] > costs[0] or costs[-1] > DIVERGED:
        return "diverges"
    if any(b > a * (1 + 1e-9) for a, b in zip(costs, costs[1:])):
        return "oscillates"
    if costs[-1] < 1e-2 * costs[0]:
        return "converges"
    return "converges slowly"


def weight_behaviour(weights: list[float], optimum: float) -> str:
    """What descent did, read from the distances w − w*: converges, overshoots, oscillates forever or diverges."""
    gaps = [w - optimum for w in weights]
    size = [abs(g) for g in gaps]
    if size[-1] > size[0] * (1 + 1e-9):
        return "diverges"
    flips = any(a * b < 0 for a, b in zip(gaps, gaps[1:]))
    if size[-1] >= size[0] * (1 - 1e-9) and size[0] > 0:
        return "oscillates forever" if flips else "stays"
    return "converges, oscillating" if flips else "converges"


def mlp_costs(learning_rate: float, steps: int, seed: int) -> list[float]:
    """Train MLP(1, [4, 1], tanh) on ``POINTS`` with the mean squared error; the cost at each step."""
    net = MLP(1, [4, 1], activation="tanh", seed=seed)
    costs = []
    for _ in range(steps + 1):
        try:
            errors = [(net([x]) - y) ** 2 for x, y in POINTS]
            C = Value.sum(errors) * (1.0 / len(POINTS))
        except NumericalOverflowError:
            costs.append(float("inf"))
            break
        costs.append(C.data)
        if C.data > DIVERGED:
            break
        net.zero_grad()
        C.backward()
        for p in net.parameters():
            p.data -= learning_rate * p.grad
    return costs


@dataclass
class Sweep:
    learning_rate: float
    costs: list[float]
    behaviour: str
    theory: str = ""  # the simplest network's verdict from r = 1 − lr·C''


@dataclass
class LearningRateResult(Report):
    steps: int
    curvature: float
    simplest: list[Sweep] = field(default_factory=list)
    mlp: list[Sweep] = field(default_factory=list)
    first: simplest.SimplestResult | None = None

    lesson = "learning-rate"
    title = "The learning rate: converge, oscillate or diverge"

    def graph(self) -> Value:
        return self.first.graph()

    def sections(self) -> list[Section]:
        c = self.curvature
        return [
            Section("The simplest network: C'' = 2i²", [
                f"C'' = {num(c)}: one step at lr = 1/C'' = {num(1 / c)}; stable for lr < 2/C'' = {num(2 / c)}.",
                "Each step multiplies the distance to w* by r = 1 − lr·C''.",
            ], table=Table(["lr", "r = 1 − lr·C''", "theory", f"C after {self.steps} steps", "what happened"], [
                [num(s.learning_rate), num(1 - s.learning_rate * c), s.theory, num(s.costs[-1]), s.behaviour]
                for s in self.simplest])),
            Section("A small network: MLP(1 → 4 tanh → 1), mean squared error on 4 points", [
                "No single curvature here, but the same behaviours appear as the rate grows.",
            ], table=Table(["lr", "C at step 0", "C at the end", "what happened"], [
                [num(s.learning_rate), num(s.costs[0]), num(s.costs[-1]), s.behaviour] for s in self.mlp])),
        ]

    def data(self) -> dict:
        return {
            "steps": self.steps,
            "curvature": self.curvature,
            "simplest": [s.__dict__ for s in self.simplest],
            "mlp": [s.__dict__ for s in self.mlp],
        }

    def plot(self, path: str) -> None:
        from ..viz.sweep import plot_sweep

        plot_sweep(self, path)


def sweep(steps: int = DEFAULTS["steps"], seed: int = DEFAULTS["seed"]) -> LearningRateResult:
    first = simplest.train(steps=0)
    c = first.curvature
    result = LearningRateResult(steps, c, first=first)
    for fraction in SIMPLEST_FRACTIONS:
        lr = fraction * 2 / c
        run = simplest.train(learning_rate=lr, steps=steps, tolerance=0.0)
        costs = [s.cost for s in run.steps]
        weights = [s.weight for s in run.steps]
        result.simplest.append(Sweep(lr, costs, weight_behaviour(weights, run.optimum_weight), run.verdict))
    for lr in MLP_RATES:
        costs = mlp_costs(lr, steps, seed)
        result.mlp.append(Sweep(lr, costs, behaviour(costs)))
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=int_in_range(1, 500), default=DEFAULTS["steps"], help="descent steps at each rate (default 60)")
    parser.add_argument("--seed", type=int_in_range(0, 2**31 - 1), default=DEFAULTS["seed"], help="seed of the small network (default 1)")


def run(args: argparse.Namespace) -> LearningRateResult:
    return sweep(args.steps, args.seed)
