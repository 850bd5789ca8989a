"""What each scalar operation means, written once: its value, its local derivatives, how it prints.

Every node of a ``Value`` graph was made by one operation of this table. An
operation is two things:

* its **value**, a formula in its operands (``a * b``), and
* one **local derivative** per operand: ∂(value)/∂(operand), a formula in the
  operands and in ``out``, the value itself (for eᵃ the derivative is
  ``out``: no need to compute the exponential twice).

The formulas are Python expressions over the operand names and a handful of
functions (``exp``, ``log``, ``tanh``, ``sigmoid``, ``relu``, ``step``). They
are the only definition of the operations in chainrule: every consumer
evaluates these same expressions with its own *library* of those functions:

* the scalar engine (``scalar.Value``): plain floats and ``math``, compiled
  once into small Python functions (``float_rule``), so a node costs what a
  hand-written operator would;
* the explainer (``explain.symbolic``): sympy, to write ∂a/∂w = i and to
  differentiate whole costs;
* the gradient checker (``gradcheck.evaluate_graph``): floats again, to
  replay a graph with perturbed weights;
* PyTorch (``interop``): torch tensors, for an independent autograd;
* the code emitter (``chainrule.compile``, the backward pass as code): the
  expressions themselves, as text, with the graph's variable names.

So adding an operation is one entry below (and a method on ``Value`` that
makes it); a test walks every operation and every library.

How a node records an operation (the graph's public data model, see
``scalar.Value``): ``op`` (this table's key), ``inputs`` (the operands that are
``Value``s), ``local`` (one number per input: its local derivative) and
``const`` (``None`` when every operand is an input; otherwise one entry per
operand: ``None`` for the next input, or the plain number). ``operands(node)``
puts them back together.

The variadic operations ``sum`` (Σ vᵢ) and ``dot`` (Σ wᵢ·xᵢ + b) are folds:
``acc`` starts at 0.0 and takes each term in turn, in the order the operands
were given (the order of the additions matters for the last bit, and every
library follows it).
"""

from __future__ import annotations

import functools
import math

__all__ = ["Op", "OPS", "FUNCTIONS", "FloatLib", "FLOATS", "operands", "evaluate", "local_derivative",
           "float_rule", "fold_terms", "functions_of", "input_positions", "node_value", "node_local", "tree"]

# The functions a formula may call (a library supplies each of them), and how each is written:
# in Unicode text, in LaTeX, and in words.
FUNCTION_FORMS = {
    "exp": ("exp({})", r"e^{{{}}}", "the exponential"),
    "log": ("ln({})", r"\ln\left({}\right)", "the natural logarithm"),
    "tanh": ("tanh({})", r"\tanh\left({}\right)", "the hyperbolic tangent"),
    "sigmoid": ("σ({})", r"\sigma\left({}\right)", "the sigmoid 1/(1 + e⁻ˣ)"),
    "relu": ("max(0, {})", r"\max\left(0, {}\right)", "the rectifier max(0, x)"),
    "step": ("(1 if {} > 0 else 0)", r"[{} > 0]", "the slope of relu: 1 where x > 0, else 0"),
}
FUNCTIONS = tuple(FUNCTION_FORMS)
# The names a formula may use besides the functions: its operands and its own value.
_OPERAND_NAMES = ("a", "b", "acc", "w", "x", "out")


class Op:
    """One operation: its name in the graph, its operands, its value and local derivatives, how it prints.

    ``value`` and each of ``local`` are Python expressions (see the module
    docstring). ``text`` and ``latex`` print a node of this operation from
    its operands' printed forms (``{a}``, ``{b}``); ``precedence`` says how
    tightly it binds (a higher number binds tighter), for parentheses.
    ``special``: exact forms for particular constant operands (the square:
    ``a ** 2`` is computed as ``a * a``, as every library should).
    ``finite_local``: False when a local derivative can be infinite while the
    value is finite (√x at 0, 1/x near 0): the engine checks those.
    """

    __slots__ = ("name", "word", "operands", "value", "local", "text", "latex", "precedence", "doc", "special",
                 "finite_local", "variadic")

    def __init__(self, name: str, word: str, operands: tuple, value: str, local: tuple, text: str, latex: str,
                 precedence: int, doc: str, special: dict | None = None, finite_local: bool = True,
                 variadic: bool = False):
        self.name, self.word, self.operands, self.value, self.local = name, word, operands, value, local
        self.text, self.latex, self.precedence, self.doc = text, latex, precedence, doc
        self.special, self.finite_local, self.variadic = special or {}, finite_local, variadic

    def __repr__(self) -> str:
        return f"Op({self.name!r}: {self.value}; ∂ {', '.join(self.local)})"

    @property
    def arity(self) -> int | None:
        """How many operands (None: any number, for sum and dot)."""
        return None if self.variadic else len(self.operands)


def _function(name: str, local: tuple[str, ...], doc: str, **more) -> Op:
    """A function of one operand (exp, tanh, …): its value is the call, and it prints as the function does."""
    text, latex, _ = FUNCTION_FORMS[name]
    return Op(name, name, ("a",), f"{name}(a)", local, text.replace("{}", "{a}"), latex.replace("{}", "{a}"), 5, doc,
              **more)


# precedence: 1 sum, 2 product, 3 unary minus, 4 power, 5 function call / atom
_TABLE = [
    Op("+", "add", ("a", "b"), "a + b", ("1.0", "1.0"), "{a} + {b}", "{a} + {b}", 1,
       "a + b: each input moves the sum one for one."),
    Op("-", "sub", ("a", "b"), "a - b", ("1.0", "-1.0"), "{a} − {b}", "{a} - {b}", 1,
       "a − b: ∂/∂a = 1, ∂/∂b = −1."),
    Op("neg", "neg", ("a",), "-a", ("-1.0",), "−{a}", "-{a}", 3, "−a: ∂/∂a = −1."),
    Op("*", "mul", ("a", "b"), "a * b", ("b", "a"), "{a}·{b}", r"{a} \cdot {b}", 2,
       "a·b: each factor's derivative is the other factor."),
    Op("/", "div", ("a", "b"), "a / b", ("1.0 / b", "-(out / b)"), "{a}/{b}", r"\frac{{{a}}}{{{b}}}", 2,
       "a/b: ∂/∂a = 1/b, ∂/∂b = −a/b², computed as −(a/b)/b so that it does not overflow where a/b is finite.",
       finite_local=False),
    Op("**", "pow", ("a", "b"), "a ** b", ("b * a ** (b - 1.0)", "out * log(a)"), "{a}^{b}", "{a}^{{{b}}}", 4,
       "aᵇ: ∂/∂a = b·aᵇ⁻¹ (a number exponent), ∂/∂b = aᵇ·ln a (a number base > 0).",
       special={(1, 2.0): ("a * a", "2.0 * a"), (1, 0.0): ("1.0", "0.0")},
       finite_local=False),
    _function("exp", ("out",), "eᵃ: its own derivative."),
    _function("log", ("1.0 / a",), "ln a (a > 0): ∂/∂a = 1/a.", finite_local=False),
    _function("tanh", ("1.0 - out * out",), "tanh a: ∂/∂a = 1 − tanh²a."),
    _function("sigmoid", ("out * (1.0 - out)",), "σ(a) = 1/(1 + e⁻ᵃ): ∂/∂a = σ(a)(1 − σ(a))."),
    _function("relu", ("step(a)",), "max(0, a): ∂/∂a = 1 if a > 0 else 0."),
    Op("sum", "sum", ("x",), "acc + x", ("1.0",), "{terms}", "{terms}", 1,
       "Σᵢ vᵢ as one node: every term's derivative is 1.", variadic=True),
    Op("dot", "dot", ("w", "x"), "acc + w * x", ("x", "w"), "{terms}", "{terms}", 1,
       "Σᵢ wᵢ·xᵢ + b as one node (a neuron's weighted input): ∂/∂wᵢ = xᵢ, ∂/∂xᵢ = wᵢ, ∂/∂b = 1.", variadic=True),
]

OPS: dict[str, Op] = {op.name: op for op in _TABLE}


# ------------------------------------------------------------- the formulas
def _parse(source: str):
    """A formula's syntax tree, checked: only numbers, the operand names, the functions, + − * / **."""
    import ast

    tree = ast.parse(source, mode="eval").body
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id not in _OPERAND_NAMES and node.id not in FUNCTIONS:
                raise ValueError(f"formula {source!r}: unknown name {node.id!r}")
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords or len(node.args) != 1:
                raise ValueError(f"formula {source!r}: only calls of {', '.join(FUNCTIONS)} with one argument")
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, float):
                raise ValueError(f"formula {source!r}: numbers are written as floats (1.0, not 1)")
        elif not isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow,
                                   ast.USub, ast.Load)):
            raise ValueError(f"formula {source!r}: {type(node).__name__} is not allowed")
    return tree


_DOT_BIAS = "acc + b"  # the tail of a dot: the bias, whose local derivative is 1


def formulas() -> list[str]:
    """Every formula of the table: each op's value, local derivatives and special forms (tests check them all)."""
    out = []
    for op in _TABLE:
        out += [op.value, *op.local, *(s for forms in op.special.values() for s in forms)]
    return out + [_DOT_BIAS]


@functools.lru_cache(maxsize=None)
def tree(source: str):
    """The checked syntax tree of one of the table's formulas (for libraries that walk it: printers, emitters)."""
    if source not in formulas():
        raise ValueError(f"{source!r} is not a formula of the op table")
    return _parse(source)


def _forms(op: Op, const) -> tuple[str, tuple[str, ...]]:
    """The value and local formulas for a node whose constant operands are ``const`` (a special form where one matches).

    ``const``: None (every operand is an input) or one entry per operand,
    None for an input and the number for a constant (``node.const``).
    """
    if const is not None:
        for (k, constant), (value, *local) in op.special.items():
            if k < len(const) and const[k] is not None and const[k] == constant:
                return value, tuple(local) + op.local[len(local):]
    return op.value, op.local


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
    """Plain floats: the functions of the formulas, from ``math``, as the scalar engine computes them."""

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


def functions_of(lib) -> dict:
    """name -> function, for every function a formula may call, from ``lib``."""
    return {name: getattr(lib, name) for name in FUNCTIONS}


def _eval(source: str, lib, names: dict):
    """Evaluate one formula with ``lib``'s functions and constants, and the operands' values in ``names``.

    The formula's numbers go through ``lib.constant`` too (sympy keeps them exact: 2, not 2.0).
    """
    code, numbers = _compiled(source)
    env = functions_of(lib)
    for k, x in enumerate(numbers):
        env[f"_k{k}"] = lib.constant(x)
    return eval(code, env, names)  # noqa: S307 - only the table's own, checked formulas


@functools.lru_cache(maxsize=None)
def _compiled(source: str):
    """A formula compiled once, its numbers turned into names (_k0, _k1, …) that a library binds to its constants."""
    import ast

    numbers: list[float] = []

    class Numbers(ast.NodeTransformer):
        def visit_Constant(self, node):
            numbers.append(node.value)
            return ast.copy_location(ast.Name(f"_k{len(numbers) - 1}", ast.Load()), node)

    body = Numbers().visit(tree(source))
    expression = ast.fix_missing_locations(ast.Expression(body))
    return compile(expression, f"<ops {source}>", "eval"), tuple(numbers)


def evaluate(op: Op, lib, args: list, const=None):
    """The value of ``op`` on ``args`` (operands already in ``lib``'s terms); ``const`` as in ``node.const``."""
    if op.variadic:
        terms, tail = fold_terms(op, args)
        acc = lib.constant(0.0)
        for term in terms:
            acc = _eval(op.value, lib, dict(zip(op.operands, term), acc=acc))
        if tail is not None:
            acc = _eval(_DOT_BIAS, lib, {"acc": acc, "b": tail})
        return acc
    value, _ = _forms(op, const)
    return _eval(value, lib, dict(zip(op.operands, args)))


def local_derivative(op: Op, lib, k: int, args: list, out, const=None):
    """∂(value)/∂(operand k) for ``op`` on ``args``, in ``lib``'s terms; ``out`` is the value."""
    if op.variadic:
        terms, tail = fold_terms(op, args)
        width = len(op.operands)
        if tail is not None and k == len(args) - 1:
            return lib.constant(1.0)
        term, slot = terms[k // width], k % width
        return _eval(op.local[slot], lib, dict(zip(op.operands, term), out=out))
    _, local = _forms(op, const)
    return _eval(local[k], lib, dict(zip(op.operands, args), out=out))


# ------------------------------------------------------- the engine's rules
_RULES: dict = {}


def float_rule(op: Op, mask: tuple[bool, ...], constants: tuple = ()):
    """The scalar engine's function for ``op``: ``rule(*operand values) -> (value, locals of the inputs)``.

    ``mask[k]`` says whether operand k is a ``Value`` (it gets a local
    derivative) or a plain number. The function is the table's formulas
    compiled once into straight Python (``out = a * b; return out, (b, a)``),
    so calling it costs what a hand-written operator costs. ``constants``:
    ``(k, number)`` of a constant operand whose special form applies (the
    square). ``rule.value`` and ``rule.locals`` compute the value alone and
    each local derivative alone (``slope(*operands, out)``), for the engine's
    careful path when the rule raises.
    """
    key = (op.name, mask, constants)
    rule = _RULES.get(key)
    if rule is None:
        const = [None] * len(op.operands)
        for k, c in constants:
            const[k] = c
        value, local = _forms(op, const if constants else None)
        params = ", ".join(op.operands)
        slopes = [local[k] for k, is_input in enumerate(mask) if is_input]
        source = (f"def rule({params}):\n    out = {value}\n    return out, ({', '.join(slopes)},)\n"
                  f"def value({params}):\n    return {value}\n")
        source += "".join(f"def slope{k}({params}, out):\n    return {d}\n" for k, d in enumerate(slopes))
        namespace = functions_of(FLOATS)
        exec(compile(source, f"<ops.float_rule {op.word}>", "exec"), namespace)  # noqa: S102 - the table's formulas
        rule = _RULES[key] = namespace["rule"]
        rule.value = namespace["value"]  # for the careful path: the value alone, then each slope alone
        rule.locals = tuple(namespace[f"slope{k}"] for k in range(len(slopes)))
    return rule


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
