"""Step through backprop: a graph's backward pass, one edge at a time, as the explorer's pages play it.

* ``graph.py``: ``trace_graph(cost)``, the nodes, the edges and one event per
  edge in the order ``Value.backward`` visits them (``chainrule.explainer.trace``),
  with each step's sentences, each parameter's sum over paths and the line of
  generated code that performs each step;
* ``layout.py``: where each node and edge is drawn (Graphviz's ``dot``);
* ``lesson.py``: a lesson's step-through, read through its ``Lesson``;
* ``playground.py``: the playground's network, rebuilt as scalars for one
  weight, bias or neuron (``chainrule.playground.rebuild``), stepped through.

Nothing here is HTTP: the explorer (``chainrule.web``) only hands these
answers out, and a script or a notebook can call them as well.
"""
