"""chainrule: backpropagation you can run, read and check.

    >>> from chainrule import Value
    >>> w = Value(0.8, label="w")
    >>> C = (1.5 * w - 0.8) ** 2      # a = i·w, C = (a − y)²
    >>> C.backward()
    >>> round(w.grad, 6)              # dC/dw = 2(a − y)·i
    1.2
"""

from .errors import (
    ChainruleError,
    InvalidValueError,
    MissingDependencyError,
    NonFiniteError,
    NumericalOverflowError,
)
from .neuron import MLP, Layer, Neuron
from .scalar import Value

__version__ = "0.1.0"

__all__ = [
    "Value",
    "Neuron",
    "Layer",
    "MLP",
    "ChainruleError",
    "InvalidValueError",
    "MissingDependencyError",
    "NonFiniteError",
    "NumericalOverflowError",
]
