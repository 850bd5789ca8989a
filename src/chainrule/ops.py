"""What each scalar operation means, written once: its value and its local derivatives, as Python functions.

Every node of a ``Value`` graph was made by one operation of this table. An
operation is two things, side by side in ``rules`` below (as MiniTorch puts
an operation's forward and backward together):

* its **value**, a function of its operands (``operator.mul`` for a · b,
  the library's ``tanh`` for tanh a, ``lambda acc, x: acc + x`` for one
  term of a sum), and
* one **local derivative** per operand: ∂(value)/∂(operand), a function of
  the operands and of ``out``, the value itself (for eᵃ the derivative is
  ``out``: no need to compute the exponential twice), or a plain number when
  it is the same everywhere (∂(a + b)/∂a = 1).

They are the only definition of the operations in chainrule. Each consumer
calls ``rules(f)`` (``rules_for(lib)``: made once per library) with its own
*library* ``f``: the functions ``exp``, ``log``, ``tanh``, ``sigmoid``,
``relu``, ``step`` and ``constant`` (how a plain number is written in its
terms), and gets the same functions computing in its own numbers:

* the scalar engine (``scalar.Value``): plain floats and ``math``
  (``FLOATS``); each operator of ``Value`` calls these functions;
* the explainer (``explainer.symbolic``): sympy, to write ∂a/∂w = i and to
  differentiate whole costs;
* the gradient checker (``gradcheck.evaluate_graph``): floats again, to
  replay a graph with perturbed weights;
* PyTorch (``interop``): torch tensors, for an independent autograd;
* the code emitter (``chainrule.compile``, the backward pass as code):
  pieces of code, so ``a * b`` of two names is the expression ``i * w``.

Nothing here is text to be parsed: a formula is shown by calling these
functions with sympy's library (``explain``), never by reading a string.

So adding an operation is one entry in ``rules``, one in ``_TABLE`` (its
name, operands and what it means in words) and a method on ``Value`` that
makes it; a test walks every operation and every library.

How a node records an operation (the graph's public data model, see
``scalar.Value``): ``op`` (this table's key), ``inputs`` (the operands that are
``Value``s), ``local`` (one number per input: its local derivative) and
``const`` (``None`` when every operand is an input; otherwise one entry per
operand: ``None`` for the next input, or the plain number). ``operands(node)``
puts them back together.

The variadic operations ``sum`` (Σ vᵢ) and ``dot`` (Σ wᵢ·xᵢ + b) are folds:
a running total starts at 0.0 and takes each term in turn, in the order the
operands were given (the order of the additions matters for the last bit,
and every library follows it); a dot's bias is added last, as ``+`` adds.
"""

from __future__ import annotations

import math
import operator

__all__ = ["Op", "Rule", "OPS", "FUNCTIONS", "FUNCTION_FORMS", "FloatLib", "FLOATS", "FLOAT_RULES", "rules",
           "rules_for", "operands", "evaluate", "local_derivative", "fold_terms", "functions_of", "input_positions",
           "node_value", "node_local"]

# The functions an operation may call (a library supplies each of them), and how each is written:
# in Unicode text, in LaTeX, and in words (for display only).
FUNCTION_FORMS = {
    "exp": ("exp({})", r"e^{{{}}}", "the exponential"),
    "log": ("ln({})", r"\ln\left({}\right)", "the natural logarithm"),
    "tanh": ("tanh({})", r"\tanh\left({}\right)", "the hyperbolic tangent"),
    "sigmoid": ("σ({})", r"\sigma\left({}\right)", "the sigmoid 1/(1 + e⁻ˣ)"),
    "relu": ("max(0, {})", r"\max\left(0, {}\right)", "the rectifier max(0, x)"),
    "step": ("(1 if {} > 0 else 0)", r"[{} > 0]", "the slope of relu: 1 where x > 0, else 0"),
}
FUNCTIONS = tuple(FUNCTION_FORMS)


# ------------------------------------------------------------ what each op computes
class Rule:
    """One operation in one library's numbers: ``value(*operands)`` and ``slopes[k]``, ∂value/∂(operand k).

    A slope is a function ``slope(*operands, out)`` (``out`` is the value),
    or a number in the library's terms when it does not depend on them.
    ``special``: exact forms for a particular constant operand,
    ``{(k, number): form}``, where ``form(*operands)`` gives the value and
    the slope of the other operand together: the square ``a ** 2`` is
    computed as ``a * a``, its slope as ``2 * a`` (as every library should).
    """

    __slots__ = ("value", "slopes", "special")

    def __init__(self, value, *slopes, special: dict | None = None):
        self.value, self.slopes, self.special = value, slopes, special or {}

    def __repr__(self) -> str:
        return f"Rule({self.value!r}, {', '.join(map(repr, self.slopes))})"


def rules(f) -> dict[str, Rule]:
    """Every operation's value and local derivatives, computed with the library ``f``.

    ``f.exp`` … ``f.step`` are the library's functions; ``zero``, ``one``
    and ``two`` are 0, 1 and 2 in its numbers (exact integers for sympy,
    floats for the engine, code for the code emitter). The names of the
    operands are those of ``OPS`` (``a``, ``b``; a fold's running total
    ``acc`` and its term). Where a value is one of Python's operators
    (``operator.mul`` is ``a * b``) or one of the library's functions, it is
    that function itself, not a lambda around it: every node of the engine
    calls it, and a call of a built-in costs less than a call of a lambda.
    """
    exp, log, tanh, sigmoid, relu, step = f.exp, f.log, f.tanh, f.sigmoid, f.relu, f.step
    zero, one, two = f.constant(0.0), f.constant(1.0), f.constant(2.0)
    return {
        #               the value           ∂/∂a                                  ∂/∂b
        "+": Rule(      operator.add,       one,                                  one),
        "-": Rule(      operator.sub,       one,                                  -one),
        "neg": Rule(    operator.neg,       -one),
        "*": Rule(      operator.mul,       lambda a, b, out: b,                  lambda a, b, out: a),
        # ∂/∂b = −a/b², computed as −(a/b)/b so that it does not overflow where a/b is finite
        "/": Rule(      operator.truediv,   lambda a, b, out: one / b,            lambda a, b, out: -(out / b)),
        "**": Rule(     operator.pow,       lambda a, b, out: b * a ** (b - one), lambda a, b, out: out * log(a),
                   special={(1, 2.0): lambda a, b: (a * a, two * a),  # a²: a·a, and its slope 2a
                            (1, 0.0): lambda a, b: (one, zero)}),  # a⁰ = 1 everywhere (even at a = 0): slope 0
        "exp": Rule(    exp,                lambda a, out: out),
        "log": Rule(    log,                lambda a, out: one / a),
        "tanh": Rule(   tanh,               lambda a, out: one - out * out),
        "sigmoid": Rule(sigmoid,            lambda a, out: out * (one - out)),
        "relu": Rule(   relu,               lambda a, out: step(a)),
        # folds: the value adds one term to the running total acc; the slopes are those of the term
        "sum": Rule(    lambda acc, x: acc + x,         one),
        "dot": Rule(    lambda acc, w, x: acc + w * x,  lambda w, x, out: x,  lambda w, x, out: w),
    }


# ------------------------------------------------------------ what each op is called
class Op:
    """One operation: its name in the graph, its operands, what it means in words.

    ``finite_local``: False when a local derivative can be infinite while the
    value is finite (√x at 0, 1/x near 0): the engine checks those.
    ``variadic``: a fold over any number of terms (``sum``, ``dot``);
    ``operands`` then names one term's operands.
    """

    __slots__ = ("name", "word", "operands", "doc", "finite_local", "variadic")

    def __init__(self, name: str, word: str, operands: tuple, doc: str, finite_local: bool = True,
                 variadic: bool = False):
        self.name, self.word, self.operands, self.doc = name, word, operands, doc
        self.finite_local, self.variadic = finite_local, variadic

    def __repr__(self) -> str:
        return f"Op({self.name!r}, {self.word}: {self.doc})"

    @property
    def arity(self) -> int | None:
        """How many operands (None: any number, for sum and dot)."""
        return None if self.variadic else len(self.operands)


_TABLE = [
    Op("+", "add", ("a", "b"), "a + b: each input moves the sum one for one."),
    Op("-", "sub", ("a", "b"), "a − b: ∂/∂a = 1, ∂/∂b = −1."),
    Op("neg", "neg", ("a",), "−a: ∂/∂a = −1."),
    Op("*", "mul", ("a", "b"), "a·b: each factor's derivative is the other factor."),
    Op("/", "div", ("a", "b"),
       "a/b: ∂/∂a = 1/b, ∂/∂b = −a/b², computed as −(a/b)/b so that it does not overflow where a/b is finite.",
       finite_local=False),
    Op("**", "pow", ("a", "b"), "aᵇ: ∂/∂a = b·aᵇ⁻¹ (a number exponent), ∂/∂b = aᵇ·ln a (a number base > 0).",
       finite_local=False),
    Op("exp", "exp", ("a",), "eᵃ: its own derivative."),
    Op("log", "log", ("a",), "ln a (a > 0): ∂/∂a = 1/a.", finite_local=False),
    Op("tanh", "tanh", ("a",), "tanh a: ∂/∂a = 1 − tanh²a."),
    Op("sigmoid", "sigmoid", ("a",), "σ(a) = 1/(1 + e⁻ᵃ): ∂/∂a = σ(a)(1 − σ(a))."),
    Op("relu", "relu", ("a",), "max(0, a): ∂/∂a = 1 if a > 0 else 0."),
    Op("sum", "sum", ("x",), "Σᵢ vᵢ as one node: every term's derivative is 1.", variadic=True),
    Op("dot", "dot", ("w", "x"), "Σᵢ wᵢ·xᵢ + b as one node (a neuron's weighted input): ∂/∂wᵢ = xᵢ, ∂/∂xᵢ = wᵢ, "
       "∂/∂b = 1.", variadic=True),
]

OPS: dict[str, Op] = {op.name: op for op in _TABLE}


# ----------------------------------------------------------- the operands
def operands(node) -> list:
    """Every operand of ``node`` in order: its inputs (``Value``s) and its plain-number constants."""
    const = node.const
    if const is None:
        return list(node.inputs)
    it = iter(node.inputs)
    return [next(it) if c is None else c for c in const]


def fold_terms(op: Op, args: list) -> tuple[list[tuple], object]:
    """A variadic op's terms and tail: sum → ([(x,), …], None); dot → ([(w, x), …], bias)."""
    if op.name == "sum":
        return [(x,) for x in args], None
    pairs = [(args[k], args[k + 1]) for k in range(0, len(args) - 1, 2)]
    return pairs, args[-1]


# ---------------------------------------------------------------- libraries
class FloatLib:
    """Plain floats: the functions of the operations, from ``math``, as the scalar engine computes them."""

    exp = staticmethod(math.exp)
    log = staticmethod(math.log)
    tanh = staticmethod(math.tanh)

    @staticmethod
    def sigmoid(a: float) -> float:
        """1/(1 + e⁻ᵃ), as eᵃ/(1 + eᵃ) for negative a so that e⁻ᵃ never overflows."""
        if a >= 0.0:
            return 1.0 / (1.0 + math.exp(-a))
        e = math.exp(a)
        return e / (1.0 + e)

    @staticmethod
    def relu(a: float) -> float:
        return a if a > 0.0 else 0.0

    @staticmethod
    def step(a: float) -> float:
        """The slope of relu: 1 where a > 0, else 0 (0 at the kink, as PyTorch)."""
        return 1.0 if a > 0.0 else 0.0

    @staticmethod
    def constant(x: float) -> float:
        return float(x)


FLOATS = FloatLib()
FLOAT_RULES = rules(FLOATS)  # the engine's: what ``Value``'s operators call
FLOATS._op_rules = FLOAT_RULES


def functions_of(lib) -> dict:
    """name -> function, for every function an operation may call, from ``lib``."""
    return {name: getattr(lib, name) for name in FUNCTIONS}


def rules_for(lib) -> dict[str, Rule]:
    """``rules(lib)``, made once per library object and kept on it (``lib._op_rules``), so it goes when ``lib`` goes.

    (A library without a ``__dict__`` gets them afresh at every call. The
    table lives on the library rather than in a cache keyed by it: its
    functions may be the library's own bound methods, which would keep the
    library, and whatever it holds, alive in such a cache forever.)
    """
    memo = getattr(lib, "__dict__", None)
    if memo is None:
        return rules(lib)
    found = memo.get("_op_rules")  # (from the object itself: never a fallback __getattr__'s answer)
    if found is None:
        found = memo["_op_rules"] = rules(lib)
    return found


def _special(rule: Rule, const):
    """The exact form for a node whose constant operands are ``const`` (``Rule.special``), or None.

    ``const``: None (every operand is an input) or one entry per operand,
    None for an input and the number for a constant (``node.const``).
    """
    if const is not None and rule.special:
        for (k, constant), form in rule.special.items():
            if k < len(const) and const[k] is not None and const[k] == constant:
                return form
    return None


def _slope(slope, args, out):
    """A local derivative: the slope function called on the operands and the value, or the number it is."""
    return slope(*args, out) if callable(slope) else slope


def evaluate(op: Op, lib, args: list, const=None):
    """The value of ``op`` on ``args`` (operands already in ``lib``'s terms); ``const`` as in ``node.const``."""
    table = rules_for(lib)
    if op.variadic:
        terms, tail = fold_terms(op, args)
        value = table[op.name].value
        acc = lib.constant(0.0)
        for term in terms:
            acc = value(acc, *term)
        if tail is not None:  # a dot's bias, added last as + adds it
            acc = table["+"].value(acc, tail)
        return acc
    rule = table[op.name]
    form = _special(rule, const)
    return rule.value(*args) if form is None else form(*args)[0]


def local_derivative(op: Op, lib, k: int, args: list, out, const=None):
    """∂(value)/∂(operand k) for ``op`` on ``args``, in ``lib``'s terms; ``out`` is the value.

    A fold's local derivative reads its own term only (and a dot's bias, the
    last operand, has the slope of ``+``).
    """
    table = rules_for(lib)
    if op.variadic:
        terms, tail = fold_terms(op, args)
        if tail is not None and k == len(args) - 1:
            return table["+"].slopes[1]
        width = len(op.operands)
        term, slot = terms[k // width], k % width
        return _slope(table[op.name].slopes[slot], term, out)
    rule = table[op.name]
    form = _special(rule, const)
    return _slope(rule.slopes[k], args, out) if form is None else form(*args)[1]


# ---------------------------------------------------------------- nodes
def input_positions(node) -> list[int]:
    """For each input of ``node``, its position among the operands (an input is where ``const`` has None)."""
    const = node.const
    if const is None:
        return list(range(len(node.inputs)))
    return [k for k, c in enumerate(const) if c is None]


def _args(node, lib, inputs: list) -> list:
    """The node's operands in ``lib``'s terms: the given values of its inputs, and its constants via ``lib.constant``."""
    const = node.const
    if const is None:
        return list(inputs)
    it = iter(inputs)
    return [next(it) if c is None else lib.constant(c) for c in const]


def node_value(node, lib, inputs: list):
    """The value of ``node``'s operation in ``lib``'s terms, given its inputs' values in those terms."""
    return evaluate(OPS[node.op], lib, _args(node, lib, inputs), node.const)


def node_local(node, lib, k: int, inputs: list, out):
    """∂node/∂(its k-th input) in ``lib``'s terms; ``out`` is the node's value in those terms."""
    return local_derivative(OPS[node.op], lib, input_positions(node)[k], _args(node, lib, inputs), out, node.const)
