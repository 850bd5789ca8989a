"""The backward pass as code: a graph printed, and run, as the program that computes its gradients.

* ``python.compile(cost, inputs, params)``: a ``Value`` graph as a straight-line
  Python function (forward pass, then one line per edge of the backward
  pass), equal to the engine bit for bit; ``chainrule.compile`` is this.
* ``pycode``: the op table's formulas evaluated into Python code (the
  emitter's library of ``chainrule.ops``); ``identifiers``: safe names from
  labels.
"""

from .python import CompiledGraph, compile

__all__ = ["compile", "CompiledGraph"]
