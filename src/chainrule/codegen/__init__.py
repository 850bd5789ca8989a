"""The backward pass as code: a graph printed, and run, as the program that computes its gradients.

* ``python``: ``compile(cost, inputs, params)``, a ``Value`` graph as a
  straight-line Python function (the forward pass, then one line per edge of
  the backward pass in ``Value.backward``'s order), equal to the engine bit
  for bit; ``chainrule.compile`` is this. Its pieces: ``pycode`` (the op
  table's functions called on pieces of Python code: the emitter's library
  of ``chainrule.ops``) and ``identifiers`` (safe names built from labels).
* ``numpy_code`` and ``torch_code``: a ``Tensor`` graph as a numpy program
  (forward and backward with matrices, the tensor engine's rules) and as a
  PyTorch program (forward, then ``loss.backward()``); ``tensor_ops`` writes
  each tensor operation, ``tensor_graph`` reads the graph and its backward
  order. A lesson's tensor graph is its own (``Lesson.tensors``, written in
  the lesson's file beside its scalar network).
"""

from .python import CompiledGraph, compile

__all__ = ["compile", "CompiledGraph"]
