"""PyTorch interop: the same network, the same weights, in either library.

chainrule is for seeing every step; PyTorch is for going big (GPUs, many
machines). ``to_torch(model)`` turns a chainrule ``MLP``/``Sequential`` of
dense, convolutional, pooling and recurrent layers into a
``torch.nn.Sequential`` that computes the same function on the same inputs;
``from_torch(module)`` brings such a stack back (a plain torch CNN included).

Two conventions differ. chainrule writes a layer as z = x W + b with W of
shape (n_in, n_out): column j holds neuron j's weights. ``torch.nn.Linear``
writes z = x Wᵀ + b and stores W as (n_out, n_in). So the weight crosses
over transposed, and its gradient too: dC/dW_torch = (dC/dW_chainrule)ᵀ
(the recurrent layers' weights likewise). And chainrule's sequences keep
their channels last, (N, L, C), with a kernel (K, C_in, C_out), where
torch's are (N, C, L) and (C_out, C_in, K): a kernel crosses over with its
axes reversed, and small adapter modules (``adapters()``) swap a torch
convolution's axes around it. ``_PARAMETERS`` below says, for every layer,
how each of its parameters crosses.

PyTorch is imported here only, and only when one of these functions runs.
"""

from __future__ import annotations

import functools
import types

import numpy as np

from .errors import InvalidValueError, MissingDependencyError

__all__ = ["to_torch", "from_torch", "torch_gradients", "torch_cross_entropy_gradients", "adapters",
           "torch_graph_gradients", "TorchLib"]


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


# ---------------------------------------------------------------- the layers that cross
# How each parameter crosses over: "" as it is, "T" transposed (chainrule's (n_in, n_out) is torch's (n_out, n_in)),
# "K" a kernel's axes reversed (chainrule's (K, C_in, C_out) is torch's (C_out, C_in, K)). Both are their own
# inverse, so one rule serves both directions.
def _cross(array: np.ndarray, how: str) -> np.ndarray:
    if how == "T":
        return array.T
    if how == "K":
        return array.transpose(2, 1, 0)
    return array


# chainrule layer name -> (chainrule attribute, the torch parameter's path in the torch layer, how it crosses)
_PARAMETERS = {
    "Linear": (("weight", "weight", "T"), ("bias", "bias", "")),
    "Conv1d": (("weight", "inner.weight", "K"), ("bias", "inner.bias", "")),
    "RNN": (("weight_ih", "inner.weight_ih_l0", "T"), ("weight_hh", "inner.weight_hh_l0", "T"),
            ("bias", "inner.bias_ih_l0", "")),
    "GRU": (("weight_ih", "inner.weight_ih_l0", "T"), ("weight_hh", "inner.weight_hh_l0", "T"),
            ("bias_ih", "inner.bias_ih_l0", ""), ("bias_hh", "inner.bias_hh_l0", "")),
}
_PARAMETERS["Dense"] = _PARAMETERS["Linear"]


@functools.lru_cache(maxsize=1)
def adapters():
    """The small torch modules that let torch layers compute on chainrule's layouts (made once, when first asked for).

    * ``ChannelsLast(layer)``: a torch ``Conv1d``/``MaxPool1d``/``AvgPool1d``
      (which read (N, C, L)) applied to chainrule's (N, L, C): the axes are
      swapped on the way in and back on the way out;
    * ``Recurrent(layer, return_sequence)``: a batch-first torch ``RNN``/``GRU``
      that returns every state or the last one, as chainrule's do;
    * ``Reshape(*shape)`` and ``SwapAxes(a, b)``: chainrule's modules of those names.
    """
    torch = _torch()

    class ChannelsLast(torch.nn.Module):
        """A torch layer that reads (N, C, L), run on (N, L, C) sequences."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x.transpose(1, 2)).transpose(1, 2)

    class Recurrent(torch.nn.Module):
        """A batch-first torch RNN/GRU giving every state (N, T, H), or with return_sequence=False the last (N, H)."""

        def __init__(self, inner, return_sequence: bool):
            super().__init__()
            self.inner, self.return_sequence = inner, bool(return_sequence)

        def forward(self, x):
            states, _ = self.inner(x)
            return states if self.return_sequence else states[:, -1]

        def extra_repr(self) -> str:
            return f"return_sequence={self.return_sequence}"

    class Reshape(torch.nn.Module):
        """Each example reshaped to ``shape``, the batch axis kept."""

        def __init__(self, *shape: int):
            super().__init__()
            self.shape = tuple(shape)

        def forward(self, x):
            return x.reshape(x.shape[0], *self.shape)

        def extra_repr(self) -> str:
            return ", ".join(map(str, self.shape))

    class SwapAxes(torch.nn.Module):
        """Two axes of each example exchanged."""

        def __init__(self, axis1: int = 1, axis2: int = 2):
            super().__init__()
            self.axis1, self.axis2 = axis1, axis2

        def forward(self, x):
            return x.transpose(self.axis1, self.axis2)

        def extra_repr(self) -> str:
            return f"{self.axis1}, {self.axis2}"

    return types.SimpleNamespace(ChannelsLast=ChannelsLast, Recurrent=Recurrent, Reshape=Reshape, SwapAxes=SwapAxes)


_SUPPORTED = ("Sequential, MLP, Linear, Dense, ReLU, Tanh, Sigmoid, Identity, Conv1d, MaxPool1d, AvgPool1d, Flatten, "
              "Reshape, SwapAxes, RNN, GRU")


def _layers(model) -> list:
    from . import nn

    if isinstance(model, nn.Sequential):  # MLP included: its layers are Linear and activation modules
        out = []
        for layer in model.layers:
            out.extend(_layers(layer))
        return out
    if isinstance(model, (nn.Linear, nn.Dense, nn.ReLU, nn.Tanh, nn.Sigmoid, nn.Identity, nn.Conv1d, nn.MaxPool1d,
                          nn.AvgPool1d, nn.Flatten, nn.Reshape, nn.SwapAxes, nn.RNN, nn.GRU)):
        return [model]
    raise InvalidValueError(f"to_torch: cannot convert a {type(model).__name__}; supported: {_SUPPORTED}")


def _parameter_kind(layer) -> str | None:
    """The ``_PARAMETERS`` entry of a chainrule layer (by its class or the chainrule class it derives from)."""
    for cls in type(layer).__mro__:
        if cls.__name__ in _PARAMETERS and cls.__module__ == "chainrule.nn":
            return cls.__name__
    return None


def _torch_parameter(module, path: str):
    for part in path.split("."):
        module = getattr(module, part)
    return module


def _copy_parameters(torch, layer, torch_layer) -> None:
    """Copies of ``layer``'s parameters into ``torch_layer``'s, each crossed over by its rule (``_PARAMETERS``)."""
    with torch.no_grad():
        for attr, path, how in _PARAMETERS[_parameter_kind(layer)]:
            p = getattr(layer, attr)
            if p is not None:
                _torch_parameter(torch_layer, path).copy_(torch.from_numpy(np.ascontiguousarray(_cross(p.data, how))))
        if isinstance(torch_layer, adapters().Recurrent) and type(torch_layer.inner) is torch.nn.RNN and layer.bias is not None:
            torch_layer.inner.bias_hh_l0.zero_()  # chainrule's RNN has one bias: torch's b_ih + b_hh = b


def _torch_layers(torch, layer) -> list:
    """The torch modules computing what one chainrule layer computes (weights not yet copied)."""
    from . import nn

    A = adapters()
    simple = {nn.ReLU: torch.nn.ReLU, nn.Tanh: torch.nn.Tanh, nn.Sigmoid: torch.nn.Sigmoid, nn.Identity: torch.nn.Identity}
    for cls, make in simple.items():
        if isinstance(layer, cls):
            return [make()]
    if isinstance(layer, (nn.Linear, nn.Dense)):
        lin = torch.nn.Linear(layer.n_in, layer.n_out, bias=layer.bias is not None,
                              dtype=_torch_dtype(torch, layer.weight.data.dtype))
        if isinstance(layer, nn.Dense) and layer.activation not in (None, "linear"):
            by_name = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}
            if layer.activation not in by_name:
                raise InvalidValueError(f"to_torch: a Dense layer's activation must be one of relu, tanh, sigmoid, "
                                        f"linear or None, got {layer.activation!r}")
            return [lin, by_name[layer.activation]()]
        return [lin]
    if isinstance(layer, nn.Conv1d):
        return [A.ChannelsLast(torch.nn.Conv1d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride,
                                               layer.padding, layer.dilation, bias=layer.bias is not None,
                                               dtype=_torch_dtype(torch, layer.weight.data.dtype)))]
    if isinstance(layer, nn.MaxPool1d):
        return [A.ChannelsLast(torch.nn.MaxPool1d(layer.kernel_size, layer.stride, layer.padding))]
    if isinstance(layer, nn.AvgPool1d):
        return [A.ChannelsLast(torch.nn.AvgPool1d(layer.kernel_size, layer.stride, layer.padding))]
    if isinstance(layer, nn.Flatten):
        return [torch.nn.Flatten()]
    if isinstance(layer, nn.Reshape):
        return [A.Reshape(*layer.shape)]
    if isinstance(layer, nn.SwapAxes):
        return [A.SwapAxes(layer.axis1, layer.axis2)]
    dtype = _torch_dtype(torch, layer.weight_hh.data.dtype)
    if isinstance(layer, nn.GRU):
        inner = torch.nn.GRU(layer.input_size, layer.hidden_size, bias=layer.bias_ih is not None, batch_first=True,
                             dtype=dtype)
    else:
        inner = torch.nn.RNN(layer.input_size, layer.hidden_size, nonlinearity=layer.activation,
                             bias=layer.bias is not None, batch_first=True, dtype=dtype)
    return [A.Recurrent(inner, layer.return_sequence)]


def to_torch(model):
    """A ``torch.nn.Sequential`` computing what ``model`` computes, on the same inputs, with copies of its weights.

    Each ``Linear`` becomes a ``torch.nn.Linear`` whose weight is Wᵀ (torch
    stores (n_out, n_in)) and whose bias is b; a ``Dense`` becomes that
    ``Linear`` followed by its activation; each activation and ``Flatten``
    becomes its torch namesake. A ``Conv1d``, ``MaxPool1d`` or ``AvgPool1d``
    becomes its torch namesake inside ``adapters().ChannelsLast`` (torch's
    read (N, C, L), chainrule's (N, L, C)), the kernel with its axes reversed
    to torch's (C_out, C_in, K); an ``RNN``/``GRU`` a batch-first torch one in
    ``adapters().Recurrent`` (weights transposed, the gates in the same order
    r, z, n; an RNN's one bias is torch's b_ih, with b_hh = 0). The dtype
    (float32 or float64) is kept, and so is the mode (``model.training``:
    ``train()`` or ``eval()``). The torch module owns its own copies:
    training it does not change ``model``.
    """
    torch = _torch()
    modules = []
    for layer in _layers(model):
        made = _torch_layers(torch, layer)
        if _parameter_kind(layer) is not None:
            _copy_parameters(torch, layer, made[0])
        modules.extend(made)
    return torch.nn.Sequential(*modules).train(bool(getattr(model, "training", True)))


def torch_gradients(model, torch_module) -> list[np.ndarray]:
    """The gradients torch's autograd left in ``to_torch(model)``'s parameters, crossed back to ``model``'s layout.

    One array per parameter of ``model``, in the order of ``model.parameters()``
    (None where torch has no gradient), so they compare entry by entry with
    chainrule's own ``p.grad``. An RNN's bias gets torch's gradient of b_ih
    (b_hh receives the same one).
    """
    torch = _torch()
    held = [layer for layer in _layers(model) if _parameter_kind(layer) is not None]
    torch_held = [m for m in torch_module if isinstance(m, (torch.nn.Linear, adapters().ChannelsLast, adapters().Recurrent))
                  and any(True for _ in m.parameters())]
    if len(held) != len(torch_held):
        raise InvalidValueError(f"torch_gradients: the model has {len(held)} layers with parameters, the torch module "
                                f"{len(torch_held)}; give the module to_torch(model) made")
    out = []
    for layer, torch_layer in zip(held, torch_held):
        for attr, path, how in _PARAMETERS[_parameter_kind(layer)]:
            if getattr(layer, attr) is None:
                continue
            grad = _torch_parameter(torch_layer, path).grad
            out.append(None if grad is None else np.ascontiguousarray(_cross(grad.detach().cpu().numpy(), how)))
    return out


def torch_cross_entropy_gradients(model, inputs: np.ndarray, targets: np.ndarray) -> list[np.ndarray]:
    """dC/dp for each parameter of ``model``, C the mean cross-entropy of ``inputs`` against class ``targets``,
    computed by PyTorch's autograd on ``to_torch(model)`` (float64 inputs give a float64 answer).

    The arrays come back in ``model``'s layout and in the order of
    ``model.parameters()`` (``torch_gradients``), so they compare entry by
    entry with what ``cross_entropy(model(Tensor(inputs)), targets).backward()``
    leaves in each ``p.grad``: what ``chainrule check CHECKPOINT`` does.
    """
    torch = _torch()
    torch_model = to_torch(model)
    logits = torch_model(torch.from_numpy(np.ascontiguousarray(inputs)))
    torch.nn.functional.cross_entropy(logits, torch.from_numpy(np.asarray(targets).astype(np.int64))).backward()
    return torch_gradients(model, torch_model)


def from_torch(module):
    """A chainrule ``Sequential`` computing what a torch stack computes, on the same inputs, with copies of its weights.

    Accepts a ``torch.nn.Sequential`` (nested ones are flattened) or a single
    layer, made of ``Linear``, ``ReLU``, ``Tanh``, ``Sigmoid``, ``Identity``,
    ``Flatten`` (of all but the batch axis), ``Unflatten(1, shape)``,
    ``Conv1d``, ``MaxPool1d``, ``AvgPool1d`` and the ``adapters()`` that
    ``to_torch`` makes. A bare torch ``Conv1d`` or pooling layer reads
    PyTorch's channels-first (N, C, L): the chainrule model swaps the axes
    into its own (N, L, C) before it (``nn.SwapAxes``) and back before the
    next layer that cares about the order (a ``Flatten``, a ``Linear``), so
    it reads and returns exactly what the torch stack does. Weights are
    copied in their dtype, float32 or float64, and the mode (``training``)
    is kept. Anything else is refused with the name of the layer.
    """
    torch = _torch()
    from . import nn

    if not isinstance(module, torch.nn.Module):
        raise InvalidValueError(f"from_torch: expected a torch.nn.Module, got {type(module).__name__}")
    A = adapters()

    def flat(m, path):
        if isinstance(m, torch.nn.Sequential):
            for name, child in m.named_children():
                yield from flat(child, f"{path}.{name}" if path else name)
        else:
            yield path or type(m).__name__, m

    pointwise = {torch.nn.ReLU: nn.ReLU, torch.nn.Tanh: nn.Tanh, torch.nn.Sigmoid: nn.Sigmoid, torch.nn.Identity: nn.Identity}
    layers = []
    swapped = False  # True while chainrule's sequences are (N, L, C) where torch's are (N, C, L)
    for path, m in flat(module, ""):
        kind = type(m)
        if kind in pointwise:
            layers.append(pointwise[kind]())
            continue
        channels_first = kind in (torch.nn.Conv1d, torch.nn.MaxPool1d, torch.nn.AvgPool1d)
        if channels_first != swapped:  # the layout this layer reads differs from the one chainrule's tensor has
            layers.append(nn.SwapAxes(1, 2))
            swapped = channels_first
        inner = m.inner if kind in (A.ChannelsLast, A.Recurrent) else m
        layers.append(_from_torch_layer(torch, nn, A, path, m, inner))
    if swapped:
        layers.append(nn.SwapAxes(1, 2))
    if not layers:
        raise InvalidValueError("from_torch: the module has no layers")
    return nn.Sequential(*layers).train(bool(module.training))


def _check_dtype(torch, path: str, parameter) -> np.dtype:
    if parameter.dtype not in (torch.float32, torch.float64):
        raise InvalidValueError(f"from_torch: layer {path} has dtype {parameter.dtype}; only float32 and float64 are supported")
    return np.dtype("float32" if parameter.dtype == torch.float32 else "float64")


def _refuse(path: str, m, what: str) -> InvalidValueError:
    return InvalidValueError(f"from_torch: layer {path} is a {type(m).__name__} {what}; chainrule's layer cannot compute that")


def _single(value) -> int:
    """torch keeps a 1-D layer's sizes as an int or a one-element tuple."""
    return int(value[0]) if isinstance(value, (tuple, list)) else int(value)


def _from_torch_layer(torch, nn, A, path: str, m, inner):
    """The chainrule layer for one torch layer (``inner``: the layer inside an adapter, else ``m`` itself)."""
    kind = type(inner)
    made = None
    if kind is torch.nn.Linear:
        made = nn.Linear(inner.in_features, inner.out_features, bias=inner.bias is not None, seed=0,
                         dtype=_check_dtype(torch, path, inner.weight))
    elif kind is torch.nn.Conv1d:
        if inner.groups != 1 or inner.padding_mode != "zeros" or isinstance(inner.padding, str):
            raise _refuse(path, m, f"with groups={inner.groups}, padding={inner.padding!r}, padding_mode={inner.padding_mode!r} "
                                   "(supported: groups 1, a whole-number padding of zeros)")
        made = nn.Conv1d(inner.in_channels, inner.out_channels, _single(inner.kernel_size), _single(inner.stride),
                         _single(inner.padding), _single(inner.dilation), bias=inner.bias is not None, seed=0,
                         dtype=_check_dtype(torch, path, inner.weight))
    elif kind in (torch.nn.MaxPool1d, torch.nn.AvgPool1d):
        if inner.ceil_mode or (kind is torch.nn.MaxPool1d and (_single(inner.dilation) != 1 or inner.return_indices)) or (
                kind is torch.nn.AvgPool1d and not inner.count_include_pad):
            raise _refuse(path, m, "with ceil_mode, dilation, return_indices or count_include_pad=False")
        stride = _single(inner.stride) if inner.stride is not None else None
        made = (nn.MaxPool1d if kind is torch.nn.MaxPool1d else nn.AvgPool1d)(_single(inner.kernel_size), stride,
                                                                              _single(inner.padding))
    elif kind in (torch.nn.GRU, torch.nn.RNN) and type(m) is A.Recurrent:
        if inner.num_layers != 1 or inner.bidirectional or not inner.batch_first or getattr(inner, "proj_size", 0):
            raise _refuse(path, m, "with several layers, two directions or batch_first=False")
        dtype = _check_dtype(torch, path, inner.weight_hh_l0)
        if kind is torch.nn.GRU:
            made = nn.GRU(inner.input_size, inner.hidden_size, m.return_sequence, bias=inner.bias, seed=0, dtype=dtype)
        else:
            made = nn.RNN(inner.input_size, inner.hidden_size, inner.nonlinearity, m.return_sequence, bias=inner.bias,
                          seed=0, dtype=dtype)
    elif kind is torch.nn.Flatten:
        if inner.start_dim != 1 or inner.end_dim != -1:
            raise _refuse(path, m, f"with start_dim={inner.start_dim}, end_dim={inner.end_dim} (supported: 1 and -1)")
        return nn.Flatten()
    elif kind is torch.nn.Unflatten:
        if inner.dim != 1:
            raise _refuse(path, m, f"of dim {inner.dim} (supported: 1)")
        return nn.Reshape(*inner.unflattened_size)
    elif kind is A.Reshape:
        return nn.Reshape(*inner.shape)
    elif kind is A.SwapAxes:
        return nn.SwapAxes(inner.axis1, inner.axis2)
    if made is None:
        raise InvalidValueError(f"from_torch: layer {path} is a {type(m).__name__}; supported: Linear, ReLU, Tanh, Sigmoid, "
                                "Identity, Flatten, Unflatten, Conv1d, MaxPool1d, AvgPool1d and the adapters of "
                                "interop.adapters() (ChannelsLast, Recurrent, Reshape, SwapAxes)")
    kind_name = _parameter_kind(made)
    if kind_name is not None:
        with torch.no_grad():
            for attr, torch_path, how in _PARAMETERS[kind_name]:
                p = getattr(made, attr)
                if p is not None:
                    value = _torch_parameter(inner, torch_path.removeprefix("inner.")).detach().cpu().numpy()
                    if isinstance(made, nn.RNN) and attr == "bias":
                        value = value + inner.bias_hh_l0.detach().cpu().numpy()  # torch's two biases add up to one
                    np.copyto(p.data, _cross(value, how))
    return made


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
    differentiates it: the values come from the same op functions, the
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
