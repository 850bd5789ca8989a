"""chainrule: backpropagation you can run, read and check.

    >>> from chainrule import Value
    >>> w = Value(0.8, label="w")
    >>> C = (1.5 * w - 0.8) ** 2      # a = i·w, C = (a − y)²
    >>> C.backward()
    >>> round(w.grad, 6)              # dC/dw = 2(a − y)·i
    1.2
"""

from .anomaly import detect_anomaly
from .errors import (
    ChainruleError,
    InvalidValueError,
    MissingDependencyError,
    NonFiniteError,
    NumericalOverflowError,
)
from .gradcheck import gradcheck
from .neuron import MLP, Layer, Neuron
from .scalar import Parameter, Value, parameter

__version__ = "0.1.0"

# The explainer (sympy), the drawings (graphviz), the tensor engine (numpy) and the PyTorch bridge load on
# first use, so that `import chainrule` and the command line start quickly.
_LAZY = {
    "explain": ("chainrule.explainer.derivation", "explain"),
    "lesson": ("chainrule.lessons.own", "lesson"),
    "Derivation": ("chainrule.explainer.derivation", "Derivation"),
    "draw": ("chainrule.viz.graph", "draw"),
    "Tensor": ("chainrule.tensor", "Tensor"),
    "no_grad": ("chainrule.tensor", "no_grad"),
    "to_torch": ("chainrule.interop", "to_torch"),
    "from_torch": ("chainrule.interop", "from_torch"),
    "compile": ("chainrule.codegen", "compile"),
    "check_function": ("chainrule.handwritten", "check_function"),
}


def _register_displays() -> None:
    """Inside IPython/Jupyter: show Values as their graphs (``viz.jupyter``); elsewhere nothing is loaded."""
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is not None:
        from .viz.jupyter import register

        register(shell)


_register_displays()


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")

__all__ = [
    "Value",
    "Parameter",
    "parameter",
    "lesson",
    "explain",
    "Derivation",
    "draw",
    "Tensor",
    "no_grad",
    "to_torch",
    "from_torch",
    "gradcheck",
    "detect_anomaly",
    "Neuron",
    "Layer",
    "MLP",
    "ChainruleError",
    "InvalidValueError",
    "MissingDependencyError",
    "NonFiniteError",
    "NumericalOverflowError",
]
