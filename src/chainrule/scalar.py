"""``Value``: a scalar that remembers how it was computed, and backpropagation.

The video's network in five lines::

    w = Value(0.8, label="w")          # the weight we train
    a = 1.5 * w                        # activation  a = i·w
    C = (a - 0.8) ** 2                 # cost        C = (a − y)²
    C.backward()                       # chain rule: dC/dw = dC/da · da/dw
    w.grad                             # 2(a − y)·i = 2(1.2 − 0.8)·1.5 = 1.2

How it works. Every operation creates a new node that keeps

* ``_edges``: one pair ``(input, local derivative)`` for each ``Value`` it
  was computed from, where the local derivative is a plain number: the
  derivative of this node with respect to that input (for ``a = i·w``:
  ∂a/∂w = i = 1.5), and
* ``_op`` / ``_const``: which operation it was, and any plain-number operand,
  so that explanations can write the formula back.

That is the whole graph. The chain rule then says that the derivative of the
cost with respect to any node is the sum, over every path from that node to
the cost, of the product of the local derivatives along the path.
``backward()`` computes exactly that sum without listing the paths: it visits
the nodes from the cost back to the leaves and hands each node's gradient to
its inputs, multiplied by the local derivative of the edge between them.
Where paths meet (a node used twice), the contributions add up.

Nodes hold numbers, not closures, so a finished graph is a tree of plain
references (no reference cycles): Python frees it the moment the last name
pointing at it goes away, without waiting for the cycle collector. And
because the factors are data, ``chainrule.explain`` can read every one of
them back and show the derivation.

Only the standard library is used, so the engine can be read without numpy.
"""

from __future__ import annotations

from math import exp as _exp, isfinite as _isfinite, log as _log, tanh as _tanh

from .anomaly import _state as _ANOMALY
from .errors import InvalidValueError, NumericalOverflowError

__all__ = ["Value"]

_NUMBER = (int, float)


def _number(x, what: str) -> float:
    """Check that ``x`` is a finite real number and return it as a float."""
    if isinstance(x, bool) or not isinstance(x, _NUMBER):
        try:
            import numbers

            if isinstance(x, bool) or not isinstance(x, numbers.Real):
                raise TypeError
            x = float(x)
        except (TypeError, ValueError):
            raise TypeError(f"{what} must be a real number, got {x!r} ({type(x).__name__})") from None
    x = float(x)
    if not _isfinite(x):
        raise InvalidValueError(f"{what} must be a finite number, got {x!r}")
    return x


class Value:
    """A scalar node of a computation graph: ``data``, ``grad`` and how it was made.

    ``backward()`` fills ``grad`` of every node that the output depends on
    with d(output)/d(node). Gradients of intermediate nodes are recomputed
    from zero at each call; gradients of leaves (the nodes you created
    yourself, such as weights) accumulate across calls, as in PyTorch, until
    you reset them with ``zero_grad()``.
    """

    __slots__ = ("data", "grad", "label", "_edges", "_op", "_const", "_waiting", "__weakref__")

    def __init__(self, data, label: str = "", _edges: tuple = (), _op: str = "", _const=None):
        if _op:  # an operation's result (the operations themselves use the faster _result below)
            _check_result(data, _edges, _op, _const)
        else:
            data = _number(data, "Value data")
        self.data = data
        self.grad = 0.0
        self.label = label
        self._edges = _edges
        self._op = _op
        self._const = _const
        self._waiting = 0  # used by backward() only: see there

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

    # --------------------------------------------------------------- arithmetic
    # Each operation returns a new node with its edges: (input, local
    # derivative) pairs. A plain number taking part is a constant: it is kept
    # in ``_const`` (for explanations) but is not a node of the graph.
    #
    # The operand checks start with ``type(other) is float``: a plain float
    # constant, as in ``1.5 * w - 0.8``, is the most common case and that test
    # is the cheapest (``isinstance`` and ``float()`` cost a call each).

    def __add__(self, other):
        """a + b:  ∂/∂a = 1,  ∂/∂b = 1."""
        if type(other) is not float:
            if isinstance(other, Value):
                return _result(self.data + other.data, ((self, 1.0), (other, 1.0)), "+")
            if not isinstance(other, _NUMBER):
                return NotImplemented
            other = float(other)
        return _result(self.data + other, ((self, 1.0),), "+", other)

    __radd__ = __add__

    def __sub__(self, other):
        """a − b:  ∂/∂a = 1,  ∂/∂b = −1."""
        if type(other) is not float:
            if isinstance(other, Value):
                return _result(self.data - other.data, ((self, 1.0), (other, -1.0)), "-")
            if not isinstance(other, _NUMBER):
                return NotImplemented
            other = float(other)
        return _result(self.data - other, ((self, 1.0),), "-", other)

    def __rsub__(self, other):
        """c − a:  ∂/∂a = −1."""
        if type(other) is not float:
            if not isinstance(other, _NUMBER):
                return NotImplemented
            other = float(other)
        return _result(other - self.data, ((self, -1.0),), "rsub", other)

    def __neg__(self):
        """−a:  ∂/∂a = −1."""
        return _result(-self.data, ((self, -1.0),), "neg")

    def __mul__(self, other):
        """a · b:  ∂/∂a = b,  ∂/∂b = a."""
        if type(other) is not float:
            if isinstance(other, Value):
                return _result(self.data * other.data, ((self, other.data), (other, self.data)), "*")
            if not isinstance(other, _NUMBER):
                return NotImplemented
            other = float(other)
        return _result(self.data * other, ((self, other),), "*", other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        """a / b:  ∂/∂a = 1/b,  ∂/∂b = −a/b²."""
        if isinstance(other, Value):
            b = other.data
            if b == 0.0:
                raise ZeroDivisionError(f"/: division by zero ({self.data!r} / 0.0)")
            return _result(self.data / b, ((self, 1.0 / b), (other, -self.data / (b * b))), "/")
        if isinstance(other, _NUMBER):
            c = float(other)
            if c == 0.0:
                raise ZeroDivisionError(f"/: division by zero ({self.data!r} / 0)")
            return _result(self.data / c, ((self, 1.0 / c),), "/", c)
        return NotImplemented

    def __rtruediv__(self, other):
        """c / a:  ∂/∂a = −c/a²."""
        if isinstance(other, _NUMBER):
            a, c = self.data, float(other)
            if a == 0.0:
                raise ZeroDivisionError(f"/: division by zero ({c!r} / 0.0)")
            return _result(c / a, ((self, -c / (a * a)),), "rdiv", c)
        return NotImplemented

    def __pow__(self, exponent):
        """aᵖ for a number p:  ∂/∂a = p·aᵖ⁻¹."""
        a = self.data
        if type(exponent) is int and exponent == 2:  # the square of every squared-error cost: the common case
            return _result(a * a, ((self, 2.0 * a),), "**", 2.0)
        if type(exponent) is not float:
            if isinstance(exponent, Value):
                raise TypeError(
                    "Value ** Value is not supported: the exponent must be a number; "
                    "for a variable exponent b write (b * a.log()).exp()"
                )
            if not isinstance(exponent, _NUMBER):
                return NotImplemented
        p = float(exponent)
        if p == 2.0:  # kept exact: a·a, not a ** 2.0
            return _result(a * a, ((self, 2.0 * a),), "**", 2.0)
        try:
            out = a**p
            local = p * a ** (p - 1.0) if p != 0.0 else 0.0
        except OverflowError:
            raise NumericalOverflowError(f"**: {a!r} ** {p!r} is too large for a float") from None
        except ZeroDivisionError:
            raise ZeroDivisionError(f"**: 0.0 ** {p!r} is infinite (negative power of zero)") from None
        if isinstance(out, complex) or isinstance(local, complex):
            raise InvalidValueError(
                f"**: {a!r} ** {p!r} is not a real number (a negative base needs an integer exponent)"
            )
        return _result(out, ((self, local),), "**", p)

    def __rpow__(self, base):
        """cᵃ for a number c > 0:  ∂/∂a = cᵃ·ln c."""
        if not isinstance(base, _NUMBER):
            return NotImplemented
        c = float(base)
        if c <= 0.0:
            raise InvalidValueError(f"**: the base of c ** Value must be > 0, got {base!r}")
        try:
            out = c**self.data
        except OverflowError:
            raise NumericalOverflowError(f"**: {base!r} ** {self.data!r} is too large for a float") from None
        return _result(out, ((self, out * _log(c)),), "rpow", c)

    # ---------------------------------------------------------------- functions
    def exp(self):
        """eᵃ:  ∂/∂a = eᵃ."""
        try:
            out = _exp(self.data)
        except OverflowError:
            raise NumericalOverflowError(
                f"exp: exp({self.data!r}) is too large for a float (the largest finite input is about 709.78)"
            ) from None
        return _result(out, ((self, out),), "exp")

    def log(self):
        """ln a (a > 0):  ∂/∂a = 1/a."""
        a = self.data
        if a <= 0.0:
            raise InvalidValueError(f"log: the input must be > 0, got {a!r}")
        return _result(_log(a), ((self, 1.0 / a),), "log")

    def tanh(self):
        """tanh a:  ∂/∂a = 1 − tanh²a."""
        t = _tanh(self.data)
        return _result(t, ((self, 1.0 - t * t),), "tanh")

    def sigmoid(self):
        """σ(a) = 1/(1 + e⁻ᵃ):  ∂/∂a = σ(a)(1 − σ(a)).

        Computed as eᵃ/(1 + eᵃ) for negative a, so that e⁻ᵃ never overflows.
        """
        a = self.data
        if a >= 0.0:
            s = 1.0 / (1.0 + _exp(-a))
        else:
            e = _exp(a)
            s = e / (1.0 + e)
        return _result(s, ((self, s * (1.0 - s)),), "sigmoid")

    def relu(self):
        """max(0, a):  ∂/∂a = 1 if a > 0 else 0."""
        a = self.data
        if a > 0.0:
            return _result(a, ((self, 1.0),), "relu")
        return _result(0.0, ((self, 0.0),), "relu")

    @staticmethod
    def dot(weights, inputs, bias=0.0) -> "Value":
        """z = Σᵢ wᵢ·xᵢ + b as one node: ∂z/∂wᵢ = xᵢ, ∂z/∂xᵢ = wᵢ, ∂z/∂b = 1.

        A neuron's weighted input in one node instead of 2n small ones. Any of
        ``weights``, ``inputs`` and ``bias`` may be plain numbers (constants).
        """
        weights = tuple(weights)
        inputs = tuple(inputs)
        if len(weights) != len(inputs):
            raise InvalidValueError(
                f"dot: got {len(weights)} weights for {len(inputs)} inputs; they must be the same length"
            )
        edges = []
        total = 0.0
        for w, x in zip(weights, inputs):
            if isinstance(w, Value):
                if isinstance(x, Value):
                    total += w.data * x.data
                    edges.append((w, x.data))
                    edges.append((x, w.data))
                else:
                    total += w.data * x
                    edges.append((w, float(x)))
            elif isinstance(x, Value):
                total += w * x.data
                edges.append((x, float(w)))
            else:
                total += w * x
        if isinstance(bias, Value):
            total += bias.data
            edges.append((bias, 1.0))
        else:
            total += bias
        return _result(total, tuple(edges), "dot", (weights, inputs, bias))

    @staticmethod
    def sum(values) -> "Value":
        """Σᵢ vᵢ as one node: ∂/∂vᵢ = 1 for every term (plain numbers are constants)."""
        edges, total, const = [], 0.0, 0.0
        for v in values:
            if isinstance(v, Value):
                edges.append((v, 1.0))
                total += v.data
            else:
                total += v
                const += v
        return _result(total, tuple(edges), "sum", const)

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
        """
        edges = self._edges
        if not edges:  # backward() on a leaf: d(self)/d(self) = 1, accumulated like every leaf
            self.grad += 1.0
            return
        self.grad = 1.0  # d(self)/d(self)
        node = self
        while len(edges) == 1:  # 1. the chain at the top
            (child, local), = edges
            edges = child._edges
            if not edges:  # a leaf: accumulate, and the walk is over
                child.grad += local * node.grad
                break
            child.grad = local * node.grad  # an intermediate node: its gradient starts afresh at every call
            node = child
        else:
            _backward_dag(node)
        if _ANOMALY.depth:  # inside chainrule.detect_anomaly(): name the first non-finite gradient
            from .anomaly import check_scalar_backward

            check_scalar_backward(self)

    # ------------------------------------------------------------- inspection
    @property
    def inputs(self) -> tuple["Value", ...]:
        """The nodes this one was computed from (empty for a leaf)."""
        return tuple(child for child, _ in self._edges)

    @property
    def op(self) -> str:
        """The operation that made this node ('' for a leaf)."""
        return self._op

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
            for child, _ in reversed(node._edges):
                if child not in seen:
                    stack.append((child, False))
        return order

    def edges(self) -> list[tuple["Value", "Value", float]]:
        """Every edge ``(input, node, local derivative)`` of the graph that ends here."""
        return [(child, node, local) for node in self.nodes() for child, local in node._edges]

    # Jupyter shows a Value as its drawn graph (when the drawing module and graphviz are there).
    def _repr_svg_(self):
        try:
            from .viz.graph import draw
        except ImportError:
            return None
        from .errors import MissingDependencyError

        try:
            return draw(self, format="svg")
        except MissingDependencyError:  # no graphviz binary: Jupyter falls back to the text repr
            return None


def _backward_dag(root: Value) -> None:
    """Step 2 of ``Value.backward``: Kahn's order below ``root``, whose gradient is complete."""
    try:
        stack = [root]
        while stack:  # count the users of every intermediate node
            for child, _ in stack.pop()._edges:
                if child._edges:
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
            for child, local in node._edges:
                child.grad += local * g
                if child._edges:
                    n = child._waiting - 1
                    child._waiting = n
                    if not n:  # every user has passed its share: the child's gradient is complete
                        ready.append(child)
    except BaseException:  # interrupted (Ctrl-C): leave no count behind for the next call
        for node in root.nodes():
            node._waiting = 0
        raise


# ------------------------------------------------------------- result nodes
def _check_result(data: float, edges: tuple, op: str, const) -> None:
    """Refuse an inf/NaN result here, where we still know which operation produced it."""
    if not _isfinite(data):
        raise NumericalOverflowError(
            f"{op}: result {data!r} is not finite (inputs "
            f"{', '.join(repr(v.data) for v, _ in edges)}"
            f"{'' if const is None or op == 'dot' else f', constant {const!r}'})"
        )


_new_node = object.__new__


def _result(data: float, edges: tuple, op: str, const=None) -> Value:
    """The node an operation returns: the same as ``Value(data, "", edges, op, const)``, only faster.

    Every operation makes one node, so making nodes is the engine's hot path.
    Calling the class ``Value(...)`` goes through ``type.__call__``, which
    runs ``__init__`` as a separate frame; an ordinary function call is
    cheaper (since 3.11 Python runs a call to a Python function inside the
    same interpreter loop, without a new C-level call).
    So operations create the bare object with ``object.__new__`` and fill
    its slots here.
    """
    if not _isfinite(data):
        _check_result(data, edges, op, const)  # raises, naming the operation
    node = _new_node(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node._edges = edges
    node._op = op
    node._const = const
    node._waiting = 0
    return node
