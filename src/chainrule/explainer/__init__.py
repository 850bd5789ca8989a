"""Explanations generated from the graph: formulas, paths, derivations.

    explain(cost, wrt=[w]) -> Derivation      every path, every local derivative, the sum
    trace.backward_trace(cost) -> list[dict]   the backward pass, one event per edge
    delta.delta_form(inputs, layers, cost)     the delta shorthand of layered networks
    ranking.rank(params, learning_rate)        which weight matters most this step
"""

from .derivation import Derivation, explain

__all__ = ["explain", "Derivation"]
