"""The playground: a small network trained on 2-D points, as on TensorFlow Playground, with chainrule's engines.

One idea per file:

* ``setup.py``: what is trained, declared once (``Setup``: the data recipe, the
  features, the network's shape, the settings, and its weights and step);
* ``features.py``: what the network reads of each point (x₁, x₂, x₁², …);
* ``points.py``: the points (seeded recipes, or your own), the train/test
  split and each step's minibatch;
* ``network.py``: the network, its loss and its regularization, one SGD step
  (``chainrule.nn`` + ``chainrule.optim``);
* ``training.py``: a few steps of training, the loss curves and the pictures;
* ``rebuild.py``: the same network rebuilt as scalar ``Value``\\ s, for one
  weight's (or neuron's) backward pass, edge by edge.

The explorer (``chainrule serve``) turns its requests into a ``Setup`` and its
answers into JSON; the numbers are all computed here.
"""
