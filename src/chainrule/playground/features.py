"""What the playground's network reads of each point: its *features*, as in TensorFlow Playground.

A point is (x₁, x₂); the network may read any of x₁, x₂, x₁², x₂², x₁x₂,
sin x₁ and sin x₂. A network that reads x₁² and x₂² separates the circles
with one neuron (a circle is x₁² + x₂² = r²: a line in those features), where
one that reads only x₁ and x₂ needs a hidden layer to bend its boundary.
"""

from __future__ import annotations

import numpy as np

# The features a network may read, in the page's order: name -> (how it is written, its formula on X = [x₁ x₂]).
FEATURES = {
    "x1": ("x₁", lambda X: X[:, 0]),
    "x2": ("x₂", lambda X: X[:, 1]),
    "x1^2": ("x₁²", lambda X: X[:, 0] ** 2),
    "x2^2": ("x₂²", lambda X: X[:, 1] ** 2),
    "x1*x2": ("x₁x₂", lambda X: X[:, 0] * X[:, 1]),
    "sin(x1)": ("sin x₁", lambda X: np.sin(X[:, 0])),
    "sin(x2)": ("sin x₂", lambda X: np.sin(X[:, 1])),
}


def features(X: np.ndarray, names) -> np.ndarray:
    """The network's inputs: one column per feature name, computed from the points' coordinates."""
    X = np.asarray(X, dtype=np.float64)
    return np.column_stack([FEATURES[name][1](X) for name in names]) if len(X) else np.zeros((0, len(names)))
