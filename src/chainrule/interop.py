"""PyTorch interop: the same network, the same weights, in either library.

chainrule is for seeing every step; PyTorch is for going big (GPUs, many
machines). ``to_torch(model)`` turns a chainrule ``MLP``/``Sequential``/
``Linear``/``Dense`` (with ReLU, Tanh, Sigmoid, Identity) into a ``torch.nn.Sequential``
that computes the same function; ``from_torch(module)`` brings a stack of
``torch.nn.Linear`` and those activations back.

One convention differs. chainrule writes a layer as z = x W + b with W of
shape (n_in, n_out): column j holds neuron j's weights. ``torch.nn.Linear``
writes z = x Wᵀ + b and stores W as (n_out, n_in). So the weight crosses
over transposed, and its gradient too: dC/dW_torch = (dC/dW_chainrule)ᵀ.

PyTorch is imported here only, and only when one of these functions runs.
"""

from __future__ import annotations

import numpy as np

from .errors import InvalidValueError, MissingDependencyError

__all__ = ["to_torch", "from_torch", "torch_graph_gradients", "TorchLib"]


def _torch():
    try:
        import torch
    except ImportError:
        raise MissingDependencyError(
            "PyTorch is not installed; install it with `pip install torch` to use chainrule.interop"
        ) from None
    return torch


def _torch_dtype(torch, dtype):
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return torch.float32
    if dtype == np.float64:
        return torch.float64
    raise InvalidValueError(f"to_torch: dtype must be float32 or float64, got {dtype}")


def _layers(model) -> list:
    from . import nn

    if isinstance(model, nn.Sequential):  # MLP included: its layers are Linear and activation modules
        out = []
        for layer in model.layers:
            out.extend(_layers(layer))
        return out
    if isinstance(model, (nn.Linear, nn.Dense, nn.ReLU, nn.Tanh, nn.Sigmoid, nn.Identity)):
        return [model]
    raise InvalidValueError(
        f"to_torch: cannot convert a {type(model).__name__}; supported: Sequential, MLP, Linear, Dense, ReLU, Tanh, "
        "Sigmoid, Identity"
    )


def _torch_linear(torch, layer):
    """A ``torch.nn.Linear`` with copies of a chainrule layer's weight (transposed) and bias."""
    w = layer.weight.data
    lin = torch.nn.Linear(layer.n_in, layer.n_out, bias=layer.bias is not None, dtype=_torch_dtype(torch, w.dtype))
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T)))
        if layer.bias is not None:
            lin.bias.copy_(torch.from_numpy(np.ascontiguousarray(layer.bias.data)))
    return lin


def to_torch(model):
    """A ``torch.nn.Sequential`` computing what ``model`` computes, with copies of its weights.

    Each ``Linear`` becomes a ``torch.nn.Linear`` whose weight is Wᵀ (torch
    stores (n_out, n_in)) and whose bias is b; a ``Dense`` becomes that
    ``Linear`` followed by its activation; each activation becomes its
    torch namesake. The dtype (float32 or float64) is kept, and so is the
    mode (``model.training``: ``train()`` or ``eval()``). The torch module
    owns its own copies: training it does not change ``model``.
    """
    torch = _torch()
    from . import nn

    activations = {nn.ReLU: torch.nn.ReLU, nn.Tanh: torch.nn.Tanh, nn.Sigmoid: torch.nn.Sigmoid, nn.Identity: torch.nn.Identity}
    by_name = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}
    modules = []
    for layer in _layers(model):
        if isinstance(layer, (nn.Linear, nn.Dense)):
            modules.append(_torch_linear(torch, layer))
            if isinstance(layer, nn.Dense) and layer.activation not in (None, "linear"):
                if layer.activation not in by_name:
                    raise InvalidValueError(f"to_torch: a Dense layer's activation must be one of relu, tanh, sigmoid, "
                                            f"linear or None, got {layer.activation!r}")
                modules.append(by_name[layer.activation]())
        else:
            modules.append(next(t for c, t in activations.items() if isinstance(layer, c))())
    return torch.nn.Sequential(*modules).train(bool(getattr(model, "training", True)))


def from_torch(module):
    """A chainrule ``Sequential`` with the layers and weights of a torch Linear/activation stack.

    Accepts a ``torch.nn.Sequential`` (nested ones are flattened) or a single
    layer, made of ``Linear``, ``ReLU``, ``Tanh``, ``Sigmoid`` and
    ``Identity``. Weights are copied (transposed back to (n_in, n_out)) in
    their dtype, float32 or float64, and the mode (``training``) is kept.
    Anything else is refused with the name of the layer.
    """
    torch = _torch()
    from . import nn

    if not isinstance(module, torch.nn.Module):
        raise InvalidValueError(f"from_torch: expected a torch.nn.Module, got {type(module).__name__}")

    def flat(m, path):
        if isinstance(m, torch.nn.Sequential):
            for name, child in m.named_children():
                yield from flat(child, f"{path}.{name}" if path else name)
        else:
            yield path or type(m).__name__, m

    layers = []
    for path, m in flat(module, ""):
        if type(m) is torch.nn.Linear:
            if m.weight.dtype not in (torch.float32, torch.float64):
                raise InvalidValueError(f"from_torch: layer {path} has dtype {m.weight.dtype}; only float32 and float64 are supported")
            w = m.weight.detach().cpu().numpy().T.copy()
            lin = nn.Linear(m.in_features, m.out_features, bias=m.bias is not None, seed=0, dtype=w.dtype)
            np.copyto(lin.weight.data, w)
            if m.bias is not None:
                np.copyto(lin.bias.data, m.bias.detach().cpu().numpy())
            layers.append(lin)
        elif type(m) is torch.nn.ReLU:
            layers.append(nn.ReLU())
        elif type(m) is torch.nn.Tanh:
            layers.append(nn.Tanh())
        elif type(m) is torch.nn.Sigmoid:
            layers.append(nn.Sigmoid())
        elif type(m) is torch.nn.Identity:
            layers.append(nn.Identity())
        else:
            raise InvalidValueError(
                f"from_torch: layer {path} is a {type(m).__name__}; supported: Linear, ReLU, Tanh, Sigmoid, Identity"
            )
    if not layers:
        raise InvalidValueError("from_torch: the module has no layers")
    return nn.Sequential(*layers).train(bool(module.training))


class TorchLib:
    """The op table's library in PyTorch (``chainrule.ops``): its functions on float64 tensors."""

    def __init__(self):
        torch = _torch()
        self.exp, self.log, self.tanh = torch.exp, torch.log, torch.tanh
        self.sigmoid, self.relu = torch.sigmoid, torch.relu
        self.step = lambda x: (x > 0).to(torch.float64)
        self._tensor = lambda x: torch.tensor(float(x), dtype=torch.float64)

    def constant(self, x: float):
        return self._tensor(x)


def torch_graph_gradients(cost, parameters) -> list[float]:
    """dC/dp for each ``Value`` p, computed by PyTorch's autograd on a float64 replay of ``cost``'s graph.

    Each parameter becomes a 0-d float64 tensor with ``requires_grad``; the
    graph is replayed op by op with the op table's torch library
    (``gradcheck.evaluate_graph`` with ``TorchLib``) and PyTorch's autograd
    differentiates it: the values come from the same formulas, the
    derivatives from PyTorch alone, an independent second opinion on
    chainrule's backward pass.
    """
    torch = _torch()
    from .gradcheck import evaluate_graph

    leaves = {p: torch.tensor(float(p.data), dtype=torch.float64, requires_grad=True) for p in parameters}
    out = evaluate_graph(cost, leaves, TorchLib())
    if not isinstance(out, torch.Tensor) or not out.requires_grad:
        return [0.0 for _ in leaves]
    out.backward()
    return [float(t.grad) if t.grad is not None else 0.0 for t in leaves.values()]
