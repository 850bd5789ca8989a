"""``Value``: a scalar that remembers how it was computed, and backpropagation.

The video's network in five lines::

    w = Value(0.8, label="w")          # the weight we train
    a = 1.5 * w                        # activation  a = i·w
    C = (a - 0.8) ** 2                 # cost        C = (a − y)²
    C.backward()                       # chain rule: dC/dw = dC/da · da/dw
    w.grad                             # 2(a − y)·i = 2(1.2 − 0.8)·1.5 = 1.2

The graph. Every operation creates a new node that keeps

* ``op``: which operation made it, a key of the table ``chainrule.ops.OPS``
  ("*", "+", "exp", …; "" for a leaf you created yourself);
* ``inputs``: the ``Value``s it was computed from;
* ``local``: for each input, the *local derivative* of this node with
  respect to it, as a plain number (for ``a = i·w``: ∂a/∂w = i = 1.5);
* ``const``: where a plain number took part (``a − 0.8``), which operand it
  was: ``None`` when every operand is an input, else one entry per operand,
  ``None`` for the next input and the number for a constant.

That is the whole graph, and it is public: the explainer, the drawings, the
gradient checker and the code emitter all read these four attributes. What
each operation means (its value and its local derivatives) is written once,
as Python functions, in ``chainrule.ops``; the operators below call them
(``Value.__mul__`` calls the table's ``*``: step into it with a debugger).

The chain rule then says that the derivative of the cost with respect to any
node is the sum, over every path from that node to the cost, of the product
of the local derivatives along the path. ``backward()`` computes exactly
that sum without listing the paths: it visits the nodes from the cost back
to the leaves and hands each node's gradient to its inputs, multiplied by the
local derivative of the edge between them. Where paths meet (a node used
twice), the contributions add up.

Nodes hold numbers, not closures, so a finished graph is a tree of plain
references (no reference cycles): Python frees it the moment the last name
pointing at it goes away, without waiting for the cycle collector. Each node
is one object plus its ``inputs`` tuple (``local`` holds only floats, which
the collector stops tracking), so even a big graph gives the cycle
collector little to walk.

Only the standard library is used, so the engine can be read without numpy.
"""

from __future__ import annotations

import functools
import math
import numbers
import sys
import threading

from . import ops as _ops
from .anomaly import _state as _ANOMALY
from .errors import InvalidValueError, NonFiniteError, NumericalOverflowError

__all__ = ["Value", "Parameter", "parameter"]

_isfinite = math.isfinite


def _number(x, what: str) -> float:
    """``x`` as a float if it is a finite real number; a clear error otherwise (bools are not numbers here)."""
    if type(x) is not float:
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"{what} must be a real number, got {x!r} ({type(x).__name__})")
        try:
            x = float(x)
        except OverflowError:
            raise NumericalOverflowError(f"{what} is too large for a float (at most about 1.8e308): got "
                                         f"{_size(x)}") from None
    if not _isfinite(x):
        raise InvalidValueError(f"{what} must be a finite number, got {x!r}")
    return x


def _size(x) -> str:
    """How large a number too large for a float is, in words: 'an integer of 1,329 bits (about 1.0e400)'.

    Python's integers and fractions have no size limit; a float stops near
    1.8e308 (1,024 bits). The whole part of any real number is an integer,
    so its bit length says how far past that limit the number lies, whatever
    its type (``Fraction(10**400, 3)``: a Fraction whose whole part has 1,328 bits).
    """
    try:
        whole = abs(math.trunc(x))
    except (TypeError, ValueError, ArithmeticError):  # a Real type that cannot say: name the type at least
        return f"a {type(x).__name__}"
    bits = f"{whole.bit_length():,} bits"
    text = f"an integer of {bits}" if isinstance(x, int) else f"a {type(x).__name__} whose whole part has {bits}"
    if whole:
        exponent = math.log10(whole)  # exact enough for any size: math.log10 reads a big integer without a float
        text += f" (about {10 ** (exponent % 1):.1f}e{int(exponent)})"
    return text


class Value:
    """A scalar node of a computation graph: ``data``, ``grad`` and how it was made.

    ``backward()`` fills ``grad`` of every node that the output depends on
    with d(output)/d(node). Gradients of intermediate nodes are recomputed
    from zero at each call; gradients of leaves (the nodes you created
    yourself, such as weights) accumulate across calls, as in PyTorch, until
    you reset them with ``zero_grad()``.
    """

    __slots__ = ("data", "grad", "label", "op", "inputs", "local", "const", "_waiting", "_steep", "__weakref__")

    def __init__(self, data, label: str = ""):
        self.data = _number(data, "Value data")
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.inputs = ()
        self.local = ()
        self.const = None
        self._waiting = 0  # used by backward() only: see there
        self._steep = False  # whether an edge at or below this node has no finite slope: see backward()

    # ------------------------------------------------------------------ helpers
    def named(self, label: str) -> "Value":
        """Set ``label`` and return ``self``: ``a = (i * w).named("a")``."""
        self.label = label
        return self

    def zero_grad(self) -> None:
        """Reset this node's accumulated gradient to 0."""
        self.grad = 0.0

    def __repr__(self) -> str:
        name = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{name})"

    def __float__(self) -> float:
        return self.data

    # ------------------------------------------------- arithmetic and functions
    # The operators (+ − · / ** and their reflected forms, −a) and the functions (exp, log, tanh,
    # sigmoid, relu) are set below the class, each made by ``_binary``, ``_reflected`` or ``_unary`` from
    # its entry in ``chainrule.ops``: ordinary functions that call the op's value and slope functions.
    # A plain number taking part is a constant: it is recorded in ``const`` (for explanations and
    # replays) but is not a node of the graph.

    @staticmethod
    def dot(weights, inputs, bias=0.0) -> "Value":
        """z = Σᵢ wᵢ·xᵢ + b as one node: ∂z/∂wᵢ = xᵢ, ∂z/∂xᵢ = wᵢ, ∂z/∂b = 1.

        A neuron's weighted input in one node instead of 2n small ones. Any of
        ``weights``, ``inputs`` and ``bias`` may be plain numbers (constants).
        The additions run in order from 0.0, as ``ops.OPS["dot"]`` folds them;
        a product or a running total that overflows is refused as ``*`` and
        ``+`` refuse it (``NumericalOverflowError``, naming the term).
        """
        weights = tuple(weights)
        inputs = tuple(inputs)
        if len(weights) != len(inputs):
            raise InvalidValueError(
                f"dot: got {len(weights)} weights for {len(inputs)} inputs; they must be the same length"
            )
        nodes, local, const = [], [], []
        constants = steep = False
        total = 0.0
        for w, x in zip(weights, inputs):
            if isinstance(w, Value):
                if isinstance(x, Value):
                    total += w.data * x.data
                    nodes += (w, x)
                    local += (x.data, w.data)
                    const += (None, None)
                    if w._steep or x._steep:
                        steep = True
                    continue
                x = _operand(x, "dot")
                total += w.data * x
                nodes.append(w)
                local.append(x)
                const += (None, x)
                if w._steep:
                    steep = True
            else:
                w = _operand(w, "dot")
                if isinstance(x, Value):
                    total += w * x.data
                    nodes.append(x)
                    local.append(w)
                    const += (w, None)
                    if x._steep:
                        steep = True
                else:
                    x = _operand(x, "dot")
                    total += w * x
                    const += (w, x)
            constants = True
        if isinstance(bias, Value):
            total += bias.data
            nodes.append(bias)
            local.append(1.0)
            const.append(None)
            if bias._steep:
                steep = True
        else:
            bias = _operand(bias, "dot")
            total += bias
            const.append(bias)
            constants = True
        if not _isfinite(total):  # every operand is finite: a product or the running total overflowed
            raise _fold_overflow("dot", [(_data(w), _data(x)) for w, x in zip(weights, inputs)] + [(_data(bias),)])
        return _result(total, tuple(nodes), tuple(local), "dot", tuple(const) if constants else None, steep)

    @staticmethod
    def sum(values) -> "Value":
        """Σᵢ vᵢ as one node: ∂/∂vᵢ = 1 for every term (plain numbers are constants), added in order from 0.0.

        The terms are added one by one, as ``v₁ + v₂ + …`` would add them, so
        a running total that overflows is refused as ``+`` refuses it
        (``NumericalOverflowError``), even where later terms would have
        brought the exact sum back below 1.8e308.
        """
        nodes, const = [], []
        constants = steep = False
        total = 0.0
        for v in values:
            if isinstance(v, Value):
                nodes.append(v)
                total += v.data
                const.append(None)
                if v._steep:
                    steep = True
            else:
                v = _operand(v, "sum")
                total += v
                const.append(v)
                constants = True
        if not _isfinite(total):  # every term is finite: the running total overflowed
            it = iter(nodes)
            raise _fold_overflow("sum", [(next(it).data if c is None else c,) for c in const])
        return _result(total, tuple(nodes), (1.0,) * len(nodes), "sum", tuple(const) if constants else None, steep)

    # ------------------------------------------------------------ backpropagation
    def backward(self) -> None:
        """Fill ``grad`` of every node this one depends on with d(self)/d(node).

        Chain rule: grad(input) += local derivative of the edge · grad(node),
        summed over every edge leaving the input. A node may pass its gradient
        on only once it has received the contributions of all the nodes that
        use it.

        1. The top of a graph is often a chain: the cost of one output, as in
           the video (C ← a − y ← a ← w). While a node has a single input,
           that input's only user in this graph is the node itself, so its
           gradient is complete at once: multiply by the local derivative and
           step down, nothing to count.
        2. From the first node with several inputs, we count, for each
           intermediate node below it, how many nodes use it; then walk back
           and pass a node on when its count reaches zero (Kahn's topological
           order). No recursion: a graph of any depth works. Leaves (nodes
           without inputs) only receive.

        Each node keeps its own count, in ``_waiting``: the number of its
        users that have still to pass it their share. It is 0 outside
        ``backward()``, and every count that goes up in the first walk comes
        back down to 0 in the second. (A count on the node is cheaper than a
        dictionary keyed by node, which has to hash every node it meets.)

        A local derivative that is infinite where the value is finite (√a at
        a = 0) is refused here, naming the edge, before any gradient changes:
        the forward pass itself is fine, only the slope does not exist. Such a
        node marks itself, and every node computed from it inherits the mark
        (``_steep``), so one test on the output says whether to look. One
        exception, PyTorch's convention: a relu unit that is off passes on no
        gradient at all, not even an infinite one. So √(relu(x)) at x = −1,
        whose slope √ has none at relu's 0, has gradient 0 for x, exactly as
        the function (0 all around x = −1) says; the walk then masks instead
        of multiplying at such units (``_backward_steep``).

        Threads. Under the GIL, two threads may run ``backward()`` on graphs
        that share a leaf (the weights) at the same time: a leaf's
        ``grad += …`` reads a float slot, adds and writes it back, and
        CPython hands the GIL to another thread only at a loop's jump back or
        at a call, never inside that statement, so no contribution is lost
        (a test runs four threads to check it). A free-threaded Python has no
        such guarantee: there every ``backward()`` runs under one lock
        (``_serialised``, installed below the class).
        """
        inputs = self.inputs
        if not inputs:  # backward() on a leaf: d(self)/d(self) = 1, accumulated like every leaf
            self.grad += 1.0
            return
        if self._steep:  # an edge below has no finite slope: refused, or masked by off relu units
            _backward_steep(self)
            return
        self.grad = g = 1.0  # d(self)/d(self); g: the gradient of the node we are at
        node = self
        while len(inputs) == 1:  # 1. the chain at the top
            child = inputs[0]
            g = node.local[0] * g
            inputs = child.inputs
            if not inputs:  # a leaf: accumulate, and the walk is over
                child.grad += g
                if _isfinite(child.grad):  # so is every gradient above it (∞ and NaN carry down a chain):
                    return  # nothing for detect_anomaly() to name
                break
            child.grad = g  # an intermediate node: its gradient starts afresh at every call
            node = child
        else:
            _backward_dag(node)
        if _ANOMALY.depth:  # inside chainrule.detect_anomaly(): name the first non-finite gradient
            from .anomaly import check_scalar_backward

            check_scalar_backward(self)

    # ------------------------------------------------------------- inspection
    def nodes(self) -> list["Value"]:
        """Every node of the graph that ends here, each input before its users."""
        order, seen = [], set()
        stack = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if node in seen:
                continue
            seen.add(node)
            stack.append((node, True))
            for child in reversed(node.inputs):
                if child not in seen:
                    stack.append((child, False))
        return order


def _backward_steep(root: Value) -> None:
    """``Value.backward`` for a graph with an infinite local derivative (``root._steep``).

    Refused, naming the edge, unless every such edge only feeds relu units
    that are off (``_check_infinite_slopes``); then the walk masks at those
    units (``_backward_dag``).
    """
    _check_infinite_slopes(root)  # raises NonFiniteError, or the infinities are stopped by off units
    root.grad = 1.0
    _backward_dag(root, masked=True)
    if _ANOMALY.depth:
        from .anomaly import check_scalar_backward

        check_scalar_backward(root)


def _backward_dag(root: Value, masked: bool = False) -> None:
    """Step 2 of ``Value.backward``: Kahn's order below ``root``, whose gradient is complete.

    ``masked``: the graph holds an infinite local derivative whose gradient
    only ever reaches relu units that are off (``_check_infinite_slopes``).
    Such a unit's gradient is then ∞, and its slope 0: the product 0 · ∞ is
    NaN, but an off unit passes nothing on whatever reaches it (PyTorch's
    relu backward is a mask, not a product), so it hands on exactly 0. With
    finite gradients the mask and the product agree, which is why the usual
    walk multiplies.
    """
    try:
        stack = [root]
        while stack:  # count the users of every intermediate node
            for child in stack.pop().inputs:
                if child.inputs:
                    n = child._waiting
                    child._waiting = n + 1
                    if not n:  # first time we meet it: intermediate results start from zero at every call
                        child.grad = 0.0
                        stack.append(child)
        ready = stack  # (empty again: reused) the nodes whose gradient is complete
        ready.append(root)
        while ready:
            node = ready.pop()
            g = node.grad
            if masked and not node.local[0] and node.op == "relu" and not _isfinite(g):
                g = 0.0  # an off unit (slope 0) passes on nothing, not 0 · ∞ = NaN
            for child, local in zip(node.inputs, node.local):
                child.grad += local * g
                if child.inputs:
                    n = child._waiting - 1
                    child._waiting = n
                    if not n:  # every user has passed its share: the child's gradient is complete
                        ready.append(child)
    except BaseException:  # interrupted (Ctrl-C): leave no count behind for the next call
        for node in root.nodes():
            node._waiting = 0
        raise


# --------------------------------------------------------------- the operations
# Every operator of ``Value`` is made from its entry in ``chainrule.ops`` by one of the functions below: ``_binary``
# (w * x, w - 0.8), ``_reflected`` (a number on the left: 1.5 * w), ``_power`` (w ** 2) and ``_unary`` (w.tanh(),
# -w). Each returns an ordinary function that calls the op's own value and slope functions (``ops.FLOAT_RULES``)
# and makes the node: step into ``w * x`` with a debugger and you are in it. Making nodes is the engine's hot path,
# so these functions are short and straight: the node's slots are filled right there (no call to ``_result``), and
# a slope that is a number is made into the node's ``local`` once (``(1.0,)`` for w − 0.8), not at every node.
_CANNOT = (ArithmeticError, ValueError, TypeError)  # what the float functions raise where they are undefined


def _named(function, op, name: str):
    """``function`` named as the method it becomes (``Value.__mul__``), with the op's description as its docstring."""
    function.__name__, function.__qualname__, function.__doc__ = name, f"Value.{name}", op.doc
    return function


def _no_forms(rule, key: str):
    """The float rule of an op whose operator knows no exact forms (only ``_power`` does: a ** 2 is a·a)."""
    if rule.special:
        raise NotImplementedError(f"{key}: exact forms (Rule.special) are read by _power only")
    return rule


def _fixed(slope) -> tuple:
    """A slope that is a number, as a node's ``local`` made once: ``(1.0,)``; ``()`` for a slope function."""
    return () if callable(slope) else (slope,)


def _is_the_constant(slope, k: int) -> bool:
    """Whether ``slope`` returns its k-th operand as it is: ∂(c·b)/∂b = c, the number c multiplies by.

    Found once, by calling the slope on stand-ins; the operator then takes
    the constant as the node's local derivative without calling the slope.
    """
    stand_ins = (object(), object(), object())  # a, b, out
    try:
        return callable(slope) and slope(*stand_ins) is stand_ins[k]
    except TypeError:  # the slope computes with its operands (1/b, 2a): it must be called
        return False


def _binary(op, name: str):
    """``self <op> other`` for a binary op of the table: ``Value.__add__``, ``__sub__``, ``__mul__``, ``__truediv__``.

    ``other`` is a ``Value`` (both are inputs, each gets its slope: for
    ``w * x``, x and w) or a plain number: a constant, recorded in ``const``
    but not a node of the graph. Then only ``self`` gets a local derivative:
    the op's slope for its first operand.
    """
    key, checked = op.name, not op.finite_local  # checked: can a slope be infinite where the value is finite (1/b)?
    rule = _no_forms(_ops.FLOAT_RULES[key], key)
    value, (slope, slope_b) = rule.value, rule.slopes
    fixed, constant = _fixed(slope), _is_the_constant(slope, 1)  # (1.0,) for a − b; True for a·b
    both = () if callable(slope) or callable(slope_b) else (slope, slope_b)  # (1.0, −1.0) for a − b

    def operator(self, other):
        if type(other) is float:  # the most common constant, as in 1.5 * w - 0.8: the cheapest test first
            pass
        elif type(other) is int:  # 1 - w
            try:
                other = float(other)
            except OverflowError:
                raise _too_large(key, other) from None
        elif isinstance(other, Value):
            a, b = self.data, other.data
            try:
                out = value(a, b)
                local = both or (slope(a, b, out), slope_b(a, b, out))
            except _CANNOT as exc:
                return _apply_carefully(op, (self, other), (a, b), None, exc)
            if not _isfinite(out):  # (+ − · / of floats give a float: only ±∞ or NaN to refuse)
                raise _overflow(op, (a, b), out)
            steep = self._steep or other._steep or checked and not (_isfinite(local[0]) and _isfinite(local[1]))
            return _result(out, (self, other), local, key, None, steep)
        else:
            other = _constant(other, key)
            if other is NotImplemented:
                return other
        a, b = self.data, other
        try:
            out = value(a, b)
            local = fixed or ((b,) if constant else (slope(a, b, out),))
        except _CANNOT as exc:
            return _apply_carefully(op, (self,), (a, b), (None, b), exc)
        if not _isfinite(out):  # (+ − · / of floats give a float: only ±∞ or NaN to refuse)
            raise _overflow(op, (a, b), out)
        node = _new_node(Value)
        node.data = out
        node.grad = 0.0
        node.label = ""
        node.op = key
        node.inputs = (self,)
        node.local = local
        node.const = (None, b)
        node._waiting = 0
        node._steep = self._steep or checked and not _isfinite(local[0])
        return node

    return _named(operator, op, name)


def _reflected(op, name: str):
    """``other <op> self`` where ``other`` is a plain number: ``Value.__rmul__`` for 1.5 * w, ``__rsub__``, ….

    Python calls it when the number on the left does not know ``Value``. The
    number is the op's first operand, so ``self`` gets the slope of the second.
    """
    key, checked = op.name, not op.finite_local
    rule = _ops.FLOAT_RULES[key]
    if any(k == 0 for k, _ in rule.special):
        raise NotImplementedError(f"{key}: exact forms for a constant first operand are not read by _reflected")
    value, slope = rule.value, rule.slopes[1]
    fixed, constant = _fixed(slope), _is_the_constant(slope, 0)  # (−1.0,) for c − b; True for c·b

    def operator(self, other):
        if type(other) is float:
            pass
        elif type(other) is int:
            try:
                other = float(other)
            except OverflowError:
                raise _too_large(key, other) from None
        else:
            other = _constant(other, key)
            if other is NotImplemented:
                return other
        a, b = other, self.data
        try:
            out = value(a, b)
            local = fixed or ((a,) if constant else (slope(a, b, out),))
            finite = _isfinite(out)  # (a TypeError for a complex power: (−8) ** w at w = 1/3)
        except _CANNOT as exc:
            return _apply_carefully(op, (self,), (a, b), (a, None), exc)
        if not finite:
            raise _overflow(op, (a, b), out)
        node = _new_node(Value)
        node.data = out
        node.grad = 0.0
        node.label = ""
        node.op = key
        node.inputs = (self,)
        node.local = local
        node.const = (a, None)
        node._waiting = 0
        node._steep = self._steep or checked and not _isfinite(local[0])
        return node

    return _named(operator, op, name)


def _power(op, name: str):
    """``self ** exponent`` for a number exponent (``Value.__pow__``), with the table's exact forms: a ** 2 is a·a.

    A ``Value`` exponent is refused (see ``_value_exponent``); ``c ** w``
    with a number base is ``_reflected``.
    """
    key = op.name
    rule = _ops.FLOAT_RULES[key]
    value, slope = rule.value, rule.slopes[0]
    forms = {c: form for (k, c), form in rule.special.items() if k == 1}  # by exponent: 2.0 → the square

    def power(self, exponent):
        if type(exponent) is int:  # w ** 2: the most common exponent
            try:
                exponent = float(exponent)
            except OverflowError:
                raise _too_large(key, exponent) from None
        elif type(exponent) is float:
            pass
        elif isinstance(exponent, Value):
            raise _value_exponent()
        else:
            exponent = _constant(exponent, key)
            if exponent is NotImplemented:
                return exponent
        a, b = self.data, exponent
        form = forms.get(b)
        try:
            if form is None:
                out = value(a, b)
                local = (slope(a, b, out),)
                steep = self._steep or not _isfinite(local[0])  # √a at a = 0: no finite slope
            else:  # an exact form, value and slope at once: its slope is finite wherever its value is
                out, slope_here = form(a, b)
                local = (slope_here,)
                steep = self._steep
            finite = _isfinite(out)  # (a TypeError for a complex result: (−8) ** (1/3))
        except _CANNOT as exc:
            return _apply_carefully(op, (self,), (a, b), (None, b), exc)
        if not finite:
            raise _overflow(op, (a, b), out)
        node = _new_node(Value)
        node.data = out
        node.grad = 0.0
        node.label = ""
        node.op = key
        node.inputs = (self,)
        node.local = local
        node.const = (None, b)
        node._waiting = 0
        node._steep = steep
        return node

    return _named(power, op, name)


def _unary(op, name: str):
    """The function of one ``Value``: ``Value.tanh``, ``exp``, ``log``, ``sigmoid``, ``relu``, and ``-w``."""
    key, checked = op.name, not op.finite_local
    rule = _no_forms(_ops.FLOAT_RULES[key], key)
    value, slope = rule.value, rule.slopes[0]
    fixed = _fixed(slope)

    def operation(self):
        a = self.data
        try:
            out = value(a)
            local = fixed or (slope(a, out),)
        except _CANNOT as exc:
            return _apply_carefully(op, (self,), (a,), None, exc)
        if not _isfinite(out):  # (the functions of a float give a float)
            raise _overflow(op, (a,), out)
        node = _new_node(Value)
        node.data = out
        node.grad = 0.0
        node.label = ""
        node.op = key
        node.inputs = (self,)
        node.local = local
        node.const = None
        node._waiting = 0
        node._steep = self._steep or checked and not _isfinite(local[0])
        return node

    return _named(operation, op, name)


def _constant(x, op: str):
    """A plain-number operand as a float, NotImplemented for what is not a number (bools are not numbers here)."""
    if type(x) is int:  # w ** 2, 1 - w: common, and cheap to convert
        try:
            return float(x)
        except OverflowError:
            return _number(x, f"{op}: the constant")
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return NotImplemented
    return _number(x, f"{op}: the constant")


def _operand(x, op: str) -> float:
    """A plain-number operand of ``dot`` or ``sum`` as a float; a clear TypeError for anything else."""
    if type(x) is float:
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{op}: {x!r} ({type(x).__name__}) is not a number; an operand must be a Value or a real number")
    return _number(x, f"{op}: the constant")


def _data(x) -> float:
    """The number a ``dot`` operand stands for: a Value's data, or the constant itself."""
    return x.data if isinstance(x, Value) else float(x)


def _fold_overflow(name: str, terms: list) -> Exception:
    """The typed error for a ``sum`` or ``dot`` that overflowed: which term did it, as ``+`` and ``*`` would say.

    ``terms``: one tuple per term, ``(v,)`` for a term added as it is and
    ``(w, x)`` for a product w·x. Only called once the result came out
    non-finite (every operand being finite), so the replay below runs on
    the error path only: it finds the first product, or the first running
    total, that is not finite.
    """
    total = 0.0
    for k, term in enumerate(terms, 1):
        value = term[0] * term[1] if len(term) == 2 else term[0]
        what = f"term {k} of {len(terms)}, " + (f"{term[0]!r} · {term[1]!r}" if len(term) == 2 else f"{value!r}")
        if not _isfinite(value):
            return NumericalOverflowError(f"{name}: {what}, is {value!r}: the product is too large for a float "
                                          "(as * refuses it)")
        new = total + value
        if not _isfinite(new):
            return NumericalOverflowError(f"{name}: result is not finite: the running total {total!r} plus {what}, is "
                                          f"{new!r} (the terms are added in order, as + adds them)")
        total = new
    return NumericalOverflowError(f"{name}: result is not finite")  # (not reached: some term or total overflowed)


def _too_large(op: str, x: int) -> Exception:
    return NumericalOverflowError(f"{op}: the constant is too large for a float (at most about 1.8e308): got {_size(x)}")


def _value_exponent() -> TypeError:
    return TypeError(
        "Value ** Value is not supported: the exponent must be a number; "
        "for a variable exponent b write (b * a.log()).exp()"
    )


def _overflow(op, args: tuple, out) -> Exception:
    return NumericalOverflowError(f"{op.name}: result {out!r} is not finite ({_describe(args)})")


def _apply_carefully(op, inputs: tuple, args: tuple, const, exc: Exception) -> Value:
    """The op failed on these numbers: its value alone, then each input's slope alone (one that fails is infinite).

    A value that cannot be computed is refused here. A finite value whose
    slope does not exist (aᵖ at a = 0 for 0 < p < 1) makes its node, with an
    infinite local derivative that ``backward()`` refuses, naming it.
    ``const`` as in ``node.const``; ``exc`` is what the op raised.
    """
    try:
        out = _ops.evaluate(op, _ops.FLOATS, list(args), const)
        finite = _isfinite(out)
    except _CANNOT as exc2:
        raise _refusal(op, args, exc2) from None
    if not finite:
        raise NumericalOverflowError(f"{op.name}: result {out!r} is not finite ({_describe(args)})")
    local = []
    for k in range(len(args)) if const is None else [k for k, c in enumerate(const) if c is None]:
        try:
            local.append(_ops.local_derivative(op, _ops.FLOATS, k, list(args), out, const))
        except ArithmeticError:  # 1/0 inside the slope: infinitely steep here
            local.append(math.inf)
        except (ValueError, TypeError) as exc2:  # the slope is undefined here (ln of a negative base)
            raise _refusal(op, args, exc2) from None
    steep = any(x._steep for x in inputs) or not all(_isfinite(d) for d in local)
    return _result(out, inputs, tuple(local), op.name, const, steep)


def _describe(args: tuple) -> str:
    return "operands " + ", ".join(repr(x) for x in args)


def _refusal(op, args: tuple, exc: Exception) -> Exception:
    """The typed error for an operation that cannot be computed on these numbers, saying why in one line."""
    name = op.name
    if name == "/" and args[1] == 0.0:
        return ZeroDivisionError(f"/: division by zero ({args[0]!r} / 0.0)")
    if name == "log":
        return InvalidValueError(f"log: the input must be > 0, got {args[0]!r}")
    if name == "exp":
        return NumericalOverflowError(
            f"exp: exp({args[0]!r}) is too large for a float (the largest finite input is about 709.78)")
    if name == "**":
        a, p = args
        if isinstance(exc, TypeError):
            return InvalidValueError(f"**: {a!r} ** {p!r} is not a real number (a negative base needs an integer exponent)")
        if isinstance(exc, ZeroDivisionError):
            return ZeroDivisionError(f"**: 0.0 ** {p!r} is infinite (negative power of zero)")
        if isinstance(exc, ValueError) and a <= 0.0:
            return InvalidValueError(f"**: the base of c ** Value must be > 0, got {a!r}")
        return NumericalOverflowError(f"**: {a!r} ** {p!r} is too large for a float")
    if isinstance(exc, OverflowError):
        return NumericalOverflowError(f"{name}: the result is too large for a float ({_describe(args)})")
    return InvalidValueError(f"{name}: cannot be computed ({_describe(args)}: {exc})")


def _check_infinite_slopes(output: Value) -> bool:
    """Before a backward pass: may it run through the graph's infinite local derivatives, and how?

    An edge whose local derivative is infinite (√a at a = 0) sends an
    infinite gradient into its input, and from there into everything below
    it, except through a relu unit that is off: that passes on nothing
    (PyTorch's convention, see ``_backward_dag``). So the infinity is
    followed down the graph; if it can reach a leaf, the pass is refused here,
    naming the edge, before any gradient changes. Returns True when there are
    infinite slopes and every one of them is stopped by off units (the walk
    must mask), False when the graph has none (``output._steep`` is False:
    each node knows whether an infinite slope lies at or below it).
    """
    if not output._steep:
        return False
    masked = False
    safe: set = set()  # nodes whose whole graph below is known to stop an infinite gradient
    for node in output.nodes():
        if not node._steep:  # no infinite slope at this node or below it
            continue
        for k, d in enumerate(node.local):
            if _isfinite(d):
                continue
            child = node.inputs[k]
            if not _stopped_by_off_units(child, safe):
                operands = ", ".join(repr(x) for x in _ops.operands(node))
                raise NonFiniteError(
                    f"backward: the local derivative of {node.op} ({operands}; value {node.data!r}) with respect to "
                    f"its input {child.label or ''!s}{' ' if child.label else ''}(value {child.data!r}) is "
                    f"{node.local[k]!r}: the function has no finite slope there, so no gradient flows through it"
                )
            masked = True
    return masked


def _stopped_by_off_units(start: Value, safe: set) -> bool:
    """Whether an infinite gradient arriving at ``start`` is stopped, on every way down, by a relu unit that is off.

    It flows through every edge (a slope of 0 does not stop it: 0 · ∞ is
    NaN) except out of an off relu (its slope 0 is a mask). Reaching a leaf
    means a gradient we would have to report as ∞ or NaN. ``safe``: nodes
    already found to stop it, shared between calls so that no part of the
    graph is walked twice.
    """
    stack, seen = [start], set()
    while stack:
        node = stack.pop()
        if node in safe or node in seen:
            continue
        seen.add(node)
        if not node.inputs:
            return False
        if node.op == "relu" and not node.local[0]:
            continue
        stack.extend(node.inputs)
    safe |= seen
    return True


class Parameter(Value):
    """A leaf that training changes: a weight or a bias. Every other leaf is a *given* (an input, a target).

    A parameter is marked where it is made, never guessed from its label:
    ``Parameter(0.8, label="w")`` (or ``parameter(0.8, "w")``) is a weight
    whatever it is called, ``Value(0.3, label="w_fixed")`` is a given. The
    explainer ranks the parameters, the exercises ask their gradients, the
    step-through draws them as weights and ``chainrule code`` makes them the
    program's parameters. Operations on a parameter make plain ``Value``\\ s.

    ``origin``: the label of the given it was made from (``parameter(w, "w")``
    with ``w`` a lesson's argument), so that a lesson's descent knows which of
    its numbers to move; "" when it was made from a plain number.
    """

    __slots__ = ("origin",)

    def __init__(self, data, label: str = "", origin: str = ""):
        super().__init__(data, label)
        self.origin = origin


def parameter(value, label: str = ""):
    """``value`` as a parameter (a weight or bias that descent changes), labelled ``label``.

    A number gives a ``Parameter``; a ``Value`` (a lesson's given argument)
    gives a ``Parameter`` with its number that remembers where it came from
    (``origin``); a ``chainrule.Tensor`` gives a tensor leaf with
    ``requires_grad=True``, so a lesson written once builds both the scalar
    graph and its tensor form.
    """
    if isinstance(value, Value):
        return Parameter(value.data, label=label or value.label, origin=value.label)
    if isinstance(value, numbers.Real):
        return Parameter(value, label=label)
    tensor = sys.modules.get("chainrule.tensor")
    if tensor is not None and isinstance(value, tensor.Tensor):
        return tensor.Tensor(value.data, requires_grad=True, name=label or value.name)
    raise InvalidValueError(f"parameter: {value!r} is not a number; a parameter starts at a finite number")


_new_node = object.__new__


def _result(data: float, inputs: tuple, local: tuple, op: str, const=None, steep: bool = False) -> Value:
    """The node an operation returns, its slots filled directly.

    Every operation makes one node, so making nodes is the engine's hot path.
    Calling the class ``Value(...)`` goes through ``type.__call__``, which
    runs ``__init__`` as a separate frame; an ordinary function call is
    cheaper (since 3.11 Python runs a call to a Python function inside the
    same interpreter loop, without a new C-level call).
    So operations create the bare object with ``object.__new__`` and fill
    its slots here.
    """
    node = _new_node(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node.op = op
    node.inputs = inputs
    node.local = local
    node.const = const
    node._waiting = 0
    node._steep = steep
    return node


# ------------------------------------------------------------ the operators, from the table
for _name, _key in (("add", "+"), ("sub", "-"), ("mul", "*"), ("truediv", "/"), ("pow", "**")):
    _made = _power if _key == "**" else _binary
    setattr(Value, f"__{_name}__", _made(_ops.OPS[_key], f"__{_name}__"))
    setattr(Value, f"__r{_name}__", _reflected(_ops.OPS[_key], f"__r{_name}__"))
Value.__neg__ = _unary(_ops.OPS["neg"], "__neg__")
for _key in ("exp", "log", "tanh", "sigmoid", "relu"):
    setattr(Value, _key, _unary(_ops.OPS[_key], _key))


# ------------------------------------------------------------------- threads
def _serialised(backward):
    """``backward`` run under one lock, so that two threads never add into the same leaf's ``grad`` at once.

    Only installed on a free-threaded Python (3.13t without the GIL), where
    ``leaf.grad += x`` in two threads at once can lose one of the two
    additions. Under the GIL that cannot happen (see ``Value.backward``), and
    a lock would only cost time in the engine's hottest loop.
    """
    lock = threading.Lock()

    @functools.wraps(backward)
    def locked(self) -> None:
        with lock:
            backward(self)

    return locked


if not getattr(sys, "_is_gil_enabled", lambda: True)():
    Value.backward = _serialised(Value.backward)
