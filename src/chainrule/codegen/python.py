"""``chainrule.compile``: a graph becomes a straight-line Python function, forward pass then backward pass.

The video's graph, compiled::

    >>> w, i, y = Value(0.8, label="w"), Value(1.5, label="i"), Value(0.8, label="y")
    >>> C = ((i * w).named("a") - y) ** 2
    >>> f = chainrule.compile(C.named("C"), inputs=[i, y], params=[w])
    >>> print(f.source)
    def backprop(*, i=1.5, y=0.8, w=0.8):
        ...
        a = i * w
        t1 = a - y
        C = t1 * t1
        ...
        g_C = 1.0
        g_t1 = g_C * (2.0 * t1)  # ∂C/∂t1 = 2.0 * t1
        g_a = g_t1               # ∂t1/∂a = 1.0
        g_w += g_a * i           # ∂a/∂w = i
        return C, {"w": g_w}
    >>> f(i=1.5, y=0.8, w=0.8)
    (0.16000000000000003, {'w': 1.2000000000000002})

How it is written. The forward pass is one line per node, in the graph's
order (inputs before users): the node's value function from the op table
(``chainrule.ops``), called with the code library ``pycode.PythonLib`` on
the nodes' variable names. The backward pass is one line per edge,
``g_child += g_user * (∂user/∂child)``, the local derivative again the
table's slope function: in exactly the order ``Value.backward`` makes its
additions (``explainer.trace.replay``: the chain at the top, then Kahn's
order), so the results equal the engine's bit for bit. A node's first
contribution is written ``=``, later ones ``+=``: that is where paths meet.
The gradients of the parameters start at ``0.0`` and accumulate, as a
leaf's ``grad`` after ``zero_grad()``. Edges into nodes no parameter
depends on are left out (the gradient of an input is not asked for).

Names come from the labels through ``identifiers`` (w¹₁₁ → ``w1_11``);
nothing a label says becomes code. Data-dependent branches (relu, and its
slope) are written as the branch itself, so a compiled function stays right
for numbers that take the other branch; the source says which lines branch.

Arguments: every input, every parameter, as keyword arguments whose defaults
are the numbers in the graph (``f()`` recomputes the graph as built). When
both ``inputs`` and ``params`` are given, any other leaf is frozen at its
number. ``f(...)`` returns ``(cost, {parameter: ∂cost/∂parameter})``;
``f.function`` is the bare generated function (no checks of its arguments,
the fast path), ``f.descend(steps, learning_rate, ...)`` runs gradient
descent with the whole loop compiled, ``f.explain(...)`` prints the code with
one call's numbers.

Size: a graph that needs more than ``MAX_LINES`` lines (one per node, one per
edge; so any graph of more than a million nodes) is refused at once, before
any work: straight-line code that long takes Python minutes and gigabytes to
compile.
"""

from __future__ import annotations

import builtins
import math
import numbers

from .. import ops
from ..errors import InvalidValueError, NonFiniteError, NumericalOverflowError
from ..scalar import Value, _number
from .identifiers import Namer, identifier, shown
from .pycode import Code, PythonLib, imports, render

__all__ = ["compile", "CompiledGraph", "MAX_LINES", "Statement"]

# One line per node and one per edge: Python's compiler needs about 3 KB and 0.1 ms per line (measured on the
# moons graphs, bench/bench_scalar.py), so this bound keeps a compile under a few GB and about a minute.
MAX_LINES = 1_000_000
_COMMENT_COLUMN = 44  # comments start here (or after the code, when it is longer)
_RESERVED = frozenset({"gradients", "gradient", "name"})  # the printed program's own names (chainrule code)


class Statement:
    """One line of the emitted body: ``target op expr  # comment``.

    ``op``: "=" or "+="; ``edge``: for a backward line, ``(user, k)``: the
    edge from the user's k-th input, the user given by its index in
    ``cost.nodes()`` (the ids of ``explainer.trace``). ``pass_``: "forward",
    "backward" or "setup".
    """

    __slots__ = ("target", "op", "expr", "comment", "edge", "pass_", "_code")

    def __init__(self, target: str, op: str, expr: Code, comment: str = "", edge=None, pass_: str = "forward"):
        self.target, self.op, self.expr, self.comment, self.edge, self.pass_ = target, op, expr, comment, edge, pass_
        self._code = None

    def code(self) -> str:
        if self._code is None:
            self._code = f"{self.target} {self.op} {render(self.expr)}"
        return self._code

    def line(self, column: int = 0) -> str:
        code = self.code()
        if not self.comment:
            return code
        return f"{code.ljust(column)}  # {self.comment}"

    def __repr__(self) -> str:
        return f"Statement({self.line()!r})"


# ------------------------------------------------------------------ the graph
def _order(cost: Value) -> list[Value]:
    """``cost.nodes()``, after a bounded count: a graph too large for straight-line code is refused first."""
    seen = {id(cost)}
    stack = [cost]
    lines = 1
    while stack:
        node = stack.pop()
        lines += len(node.inputs)  # one line per edge...
        for child in node.inputs:
            if id(child) not in seen:
                seen.add(id(child))
                lines += 1  # ...and one per node
                stack.append(child)
        if lines > MAX_LINES:
            raise InvalidValueError(
                f"compile: the graph needs more than {MAX_LINES:,} lines of straight-line code (one per node and one "
                f"per edge; {len(seen):,} nodes met so far): Python would take minutes and gigabytes to compile it. "
                "Use the engine (backward()), or compile a smaller piece")
    return cost.nodes()


def _leaf_list(what: str, given, order_index: dict) -> list[Value]:
    out, seen = [], set()
    for x in given:
        if not isinstance(x, Value):
            raise InvalidValueError(f"compile: {what} must be Values of the graph, got {x!r} ({type(x).__name__})")
        if x.op:
            raise InvalidValueError(f"compile: {what} must be leaves; {x!r} is computed (by {x.op!r})")
        if x not in order_index:
            raise InvalidValueError(f"compile: {x!r} in {what} is not a leaf of this cost's graph")
        if x in seen:
            raise InvalidValueError(f"compile: {x!r} appears twice in {what}")
        seen.add(x)
        out.append(x)
    return out


def _roles(order: list[Value], index: dict, inputs, params):
    """(inputs, params, frozen leaves), by the rules of the module docstring."""
    leaves = [n for n in order if not n.op]
    if inputs is not None and isinstance(inputs, Value) or params is not None and isinstance(params, Value):
        raise InvalidValueError("compile: inputs and params are lists of Values (write params=[w], not params=w)")
    ins = _leaf_list("inputs", inputs, index) if inputs is not None else None
    pars = _leaf_list("params", params, index) if params is not None else None
    if ins is not None and pars is not None:
        both = set(ins) & set(pars)
        if both:
            raise InvalidValueError(f"compile: {next(iter(both))!r} is both an input and a parameter")
        taken = set(ins) | set(pars)
        return ins, pars, [n for n in leaves if n not in taken]
    if ins is None and pars is None:
        return [], leaves, []
    if pars is None:
        rest = set(ins)
        return ins, [n for n in leaves if n not in rest], []
    rest = set(pars)
    return [n for n in leaves if n not in rest], pars, []


# ------------------------------------------------------------------ emission
class _Emitter:
    def __init__(self, cost: Value, inputs, params, name: str):
        order = _order(cost)
        index = {node: k for k, node in enumerate(order)}
        self.cost, self.order, self.index = cost, order, index
        self.inputs, self.params, self.frozen = _roles(order, index, inputs, params)
        namer = Namer(prefixes=("g_",), reserved=_RESERVED)
        self.function_name = namer.take(name)
        namer.take("descend")
        labelled = namer.labelled([node.label for node in order])
        self.names = {}
        for node, text in zip(order, labelled):
            self.names[node] = text or namer.temporary("t")
        self.refs = {node: Code.name(name, self._spill) for node, name in self.names.items()}
        self.grad_refs: dict = {}
        self._templates: dict = {}
        self.namer = namer
        self.body: list[Statement] = []
        self.lib = PythonLib(spill=self._spill)
        self.branches: list[str] = []

    def _spill(self, code: Code) -> Code:
        """Write a deep expression as a statement of its own (the same operations, in the same order)."""
        temp = self.namer.temporary("s")
        self.body.append(Statement(temp, "=", code, "the first terms of a long sum", pass_=self._pass))
        return Code.name(temp, self._spill)

    def ref(self, node: Value) -> Code:
        return self.refs[node]

    def _operands(self, node: Value) -> list[Code]:
        const = node.const
        if const is None:
            return [self.ref(child) for child in node.inputs]
        it = iter(node.inputs)
        return [self.ref(next(it)) if c is None else self.lib.constant(c) for c in const]

    def local(self, node: Value, k: int, positions: list[int], args: list[Code]) -> Code:
        """∂node/∂(its k-th input) as code: the table's slope function (``ops.local_derivative``).

        A fold's local derivative depends on its own term only (``ops.local_derivative``
        reads the term and, for the tail of a dot, nothing): it is given that
        term alone, so a node of n terms costs n, not n², to write. And most
        local derivatives are one of the operands or a number (∂(w·x)/∂w = x,
        ∂(a + b)/∂a = 1): each slope is called once per (operation,
        operand, constants) with stand-in names, and when it comes out as one
        of them, the operand itself is the answer; anything else is evaluated
        with the real operands.
        """
        op = ops.OPS[node.op]
        p = positions[k]
        const = node.const
        if op.variadic:
            width, tail = len(op.operands), op.name == "dot"
            if tail and p == len(args) - 1:
                args, p = [args[-1], args[-1]], 1  # the tail alone: its local derivative is 1.0
            else:
                start = p - p % width
                args, p = args[start:start + width] + ([args[-1]] if tail else []), p % width
            const = None
            key = (node.op, p, len(args), tuple(a.is_number for a in args))
        else:
            key = (node.op, p, const is not None and tuple(c is None or c for c in const))
        out = self.ref(node)
        template = self._templates.get(key)
        if template is None:
            stand_ins = [Code.name(f"_{j}") for j in range(len(args))]
            try:
                template = ops.local_derivative(op, self.lib, p, stand_ins, Code.name("_out"), const)
            except ValueError:  # a slope that cannot take stand-ins (relu of a number): always in full
                template = Code.name("?")
            self._templates[key] = template
        if template.is_number:
            return template
        if template.kind == "name" and template.value.startswith("_"):
            return out if template.value == "_out" else args[int(template.value[1:])]
        return ops.local_derivative(op, self.lib, p, args, out, const)

    def emit(self) -> None:
        from ..explainer.trace import replay

        names = self.names
        self._pass = "setup"
        for leaf in self.frozen:
            self.body.append(Statement(names[leaf], "=", Code.number(leaf.data), "fixed: neither an input nor a parameter",
                                       pass_="setup"))
        self._pass = "forward"
        for node in self.order:
            if not node.op:
                continue
            expr = ops.node_value(node, self.lib, [self.ref(child) for child in node.inputs])
            comment = ""
            if node.op == "relu":
                comment = "relu: the branch is taken anew at every call"
                self.branches.append(names[node])
            self.body.append(Statement(names[node], "=", expr, comment))

        needs: dict[Value, bool] = {}
        wanted = set(self.params)
        for node in self.order:
            needs[node] = node in wanted or any(needs[child] for child in node.inputs)
        self.needs = needs
        self._pass = "backward"
        cost = self.cost
        for n, p in enumerate(self.params):
            note = "a parameter's gradient starts at 0; each path adds to it" if n == 0 else ""
            self.body.append(Statement(f"g_{names[p]}", "=", Code.number(0.0), note, pass_="backward"))
        if not cost.inputs:
            if cost in wanted:
                self.body.append(Statement(f"g_{names[cost]}", "+=", Code.number(1.0), f"∂{names[cost]}/∂{names[cost]}",
                                           pass_="backward"))
            return
        if not needs[cost]:
            return
        self.body.append(Statement(f"g_{names[cost]}", "=", Code.number(1.0), f"∂{names[cost]}/∂{names[cost]} = 1",
                                   pass_="backward"))
        assigned = set(wanted)
        positions_of: dict[Value, tuple] = {}
        for user, k, _ in replay(cost):
            child = user.inputs[k]
            if not needs[child]:
                continue
            cached = positions_of.get(user)
            if cached is None:
                cached = positions_of[user] = (ops.input_positions(user), self._operands(user))
            local = self.local(user, k, *cached)
            g_user = self.grad_refs.get(user)
            if g_user is None:
                g_user = self.grad_refs[user] = Code.name(f"g_{names[user]}")
            op = "+=" if child in assigned else "="
            if local.is_number and local.value == 1.0:  # 1.0 · g is g exactly
                contribution = g_user
            elif local.is_number and local.value == -1.0:  # x + (−1.0 · g) is x − g exactly
                contribution, op = (g_user, "-=") if op == "+=" else (-g_user, op)
            else:
                contribution = g_user * local
            target = f"g_{names[child]}"
            assigned.add(child)
            comment = f"∂{names[user]}/∂{names[child]} = {render(local)}"
            self.body.append(Statement(target, op, contribution, comment, edge=(self.index[user], k), pass_="backward"))


def _signature(names: list[str], defaults: list[float], extra: str = "") -> str:
    args = [f"{n}={d!r}" for n, d in zip(names, defaults)]
    head = f"{extra}*, " if args else extra.rstrip(", ")
    one_line = head + ", ".join(args)
    if len(one_line) <= 80:
        return one_line
    return "\n" + "".join(f"    {a},\n" for a in ([extra.rstrip(', ')] if extra else []) + ["*"] + args)


def _return_line(before: str, items: list[tuple[str, str]], after: str = "") -> str:
    """``return before{"w": g_w, …}after``, one entry per line when it would be long."""
    entries = [f'"{key}": {value}' for key, value in items]
    line = f"    return {before}{{{', '.join(entries)}}}{after}\n"
    if len(line) <= 100:
        return line
    return f"    return {before}{{\n" + "".join(f"        {e},\n" for e in entries) + f"    }}{after}\n"


def _column(statements: list[Statement]) -> int:
    widths = [len(s.code()) for s in statements if s.comment]
    return min(max(widths, default=0), _COMMENT_COLUMN)


def _body_lines(statements: list[Statement], indent: str) -> list[str]:
    column = _column(statements)
    return [indent + s.line(column) for s in statements]


# ------------------------------------------------------------------ the result
class CompiledGraph:
    """A graph compiled to Python: ``f(**values) -> (cost, gradients)``, its ``source``, ``explain``, ``descend``.

    See the module docstring. Attributes: ``source`` (the program, runnable
    as printed), ``function`` (the bare generated function), ``name``,
    ``arguments`` (its keyword arguments, in order), ``parameters`` (those
    whose gradient it returns), ``labels`` (identifier → the label it was
    made from), ``node_names`` (each node's identifier, by its index in
    ``cost.nodes()``), ``branches`` (the nodes whose branch is chosen at each call),
    ``n_nodes``, ``n_edges`` (of the graph) and ``statements``.
    """

    def __init__(self, emitter: _Emitter):
        names = emitter.names
        self.name = emitter.function_name
        self.cost_name = names[emitter.cost]
        self.statements = emitter.body
        self.inputs = tuple(names[x] for x in emitter.inputs)
        self.parameters = tuple(names[p] for p in emitter.params)
        self.arguments = self.inputs + self.parameters
        self.defaults = {names[x]: x.data for x in emitter.inputs + emitter.params}
        self.labels = {names[node]: node.label for node in emitter.order if node.label}
        self.node_names = [names[node] for node in emitter.order]  # by the node's index in cost.nodes()
        self.branches = tuple(emitter.branches)
        self.n_nodes = len(emitter.order)
        self.n_edges = sum(len(node.inputs) for node in emitter.order)
        self._used = emitter.lib.used
        self._edge_lines = None
        self.source = self._program()
        self.function = self._load(self.source, self.name)
        self._arg_set = frozenset(self.arguments)
        self._descend = {}

    # ------------------------------------------------------------ source
    def _docstring(self) -> str:
        n = len(self.parameters)
        wrt = ", ".join(self.parameters) if 0 < n <= 4 else f"its {n} parameters" if n else "nothing"
        return (f'"""{self.cost_name} and its gradient with respect to {wrt}: the forward pass, then the\n'
                f'    backward pass, one line per edge (chainrule.compile)."""')

    def _names_comment(self) -> list[str]:
        lines = []
        for ident, label in self.labels.items():
            text = shown(label)
            if text is not None and text != ident:
                lines.append(f"{ident} is {text}")
        if not lines:
            return []
        out, row = [], "# names: "
        for item in lines:
            if len(row) + len(item) > 100 and row != "# names: ":
                out.append(row.rstrip(", "))
                row = "#        "
            row += item + ", "
        out.append(row.rstrip(", "))
        return out

    def _program(self) -> str:
        head = imports(self._used)
        parts = [head + ("\n\n" if head else "")]
        parts.append(f"def {self.name}({_signature(list(self.arguments), [self.defaults[a] for a in self.arguments])}):\n")
        parts.append(f"    {self._docstring()}\n")
        parts.extend(f"    {line}\n" for line in self._names_comment())
        parts.extend(self._sections(self.statements, "    ", "".join(parts).count("\n")))
        parts.append(_return_line(self.cost_name + ", ", [(p, f"g_{p}") for p in self.parameters]))
        return "".join(parts)

    def _sections(self, statements: list[Statement], indent: str, first_line: int = 0) -> list[str]:
        """The statements under their section titles; records each statement's line number (from ``first_line``)."""
        out = []
        line_numbers = []
        titles = {"setup": "leaves held fixed", "forward": "forward pass: each node from its inputs",
                  "backward": f"backward pass: g_x is ∂{self.cost_name}/∂x, from {self.cost_name} back to the parameters"}
        current = None
        for line, s in zip(_body_lines(statements, indent), statements):
            if s.pass_ != current:
                current = s.pass_
                out.append(f"{indent}# {titles[current]}\n")
            out.append(line + "\n")
            line_numbers.append(first_line + len(out))
        self._line_numbers = line_numbers
        return out

    @staticmethod
    def _load(source: str, name: str):
        namespace: dict = {"__name__": f"chainrule.compiled.{name}"}
        code = builtins.compile(source, f"<chainrule.compile {name}>", "exec")
        exec(code, namespace)  # noqa: S102 - code made only by the op table's functions and checked identifiers
        return namespace[name]

    # ------------------------------------------------------------ calling
    def _values(self, values: dict) -> dict:
        unknown = [k for k in values if k not in self._arg_set]
        if unknown:
            raise InvalidValueError(f"{self.name}: no argument called {unknown[0]!r}; the arguments are "
                                    f"{', '.join(self.arguments) or 'none'}")
        return {key: _number(x, f"{self.name}: {key}") for key, x in values.items()}  # the engine's own check

    def _failure(self, exc: Exception, source: str) -> Exception:
        """The error of a failed call, naming the line of the generated code where it happened."""
        tb, lineno = exc.__traceback__, None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename.startswith("<chainrule.compile"):
                lineno = tb.tb_lineno
            tb = tb.tb_next
        where = ""
        if lineno is not None:
            lines = source.splitlines()
            if 0 < lineno <= len(lines):
                where = f", at `{lines[lineno - 1].strip().split('  #')[0]}`"
        message = f"{self.name}: {exc}{where}"
        if isinstance(exc, OverflowError):
            return NumericalOverflowError(message)
        if isinstance(exc, ZeroDivisionError):
            return ZeroDivisionError(message)
        return InvalidValueError(message)

    def _checked(self, cost: float, grads: dict):
        if not math.isfinite(cost):
            raise NonFiniteError(f"{self.name}: the cost {self.cost_name} is {cost!r} (a value overflowed)")
        for key, g in grads.items():
            if not math.isfinite(g):
                raise NonFiniteError(f"{self.name}: ∂{self.cost_name}/∂{key} is {g!r} (a value overflowed)")
        return cost, grads

    def __call__(self, **values):
        """``(cost, {parameter: ∂cost/∂parameter})`` at ``values`` (the graph's numbers for any not given)."""
        values = self._values(values)
        try:
            cost, grads = self.function(**values)
        except (ArithmeticError, ValueError) as exc:
            raise self._failure(exc, self.source) from None
        return self._checked(cost, grads)

    # ------------------------------------------------------------ explain
    def explain(self, **values) -> str:
        """The code with the numbers of one call (at ``values``): each line, then what it computed."""
        values = {**self.defaults, **self._values(values)}
        env: dict = {"__builtins__": {}}
        env.update(ops.functions_of(ops.FLOATS))
        env.update(values)
        width = max((len(s.code()) for s in self.statements), default=0)
        width = min(width, _COMMENT_COLUMN)
        out = [f"{self.name}({', '.join(f'{k}={values[k]!r}' for k in self.arguments)})"]
        current = None
        for s in self.statements:
            if s.pass_ != current:
                current = s.pass_
                out.append(f"# {s.pass_} pass" if current != "setup" else "# leaves held fixed")
            before = env.get(s.target)
            numbers_ = render(s.expr, env)
            try:
                exec(builtins.compile(s.code(), "<chainrule.explain>", "exec"), env)  # noqa: S102 - our own line
            except (ArithmeticError, ValueError) as exc:
                out.append(f"{s.code()}  # {exc}")
                break
            after = env[s.target]
            if s.expr.is_number and s.op == "=":
                out.append(s.line(width))
                continue
            shown_numbers = f"{_short(before)} + {numbers_}" if s.op == "+=" else numbers_
            note = f"{s.comment}: " if s.comment and s.pass_ == "backward" else ""
            result = _short(after)
            text = f"{note}{shown_numbers}" if shown_numbers == result else f"{note}{shown_numbers} = {result}"
            out.append(f"{s.code().ljust(width)}  # {text}")
        else:
            out.append(f"return {self.cost_name} = {_short(env[self.cost_name])}, "
                       + "{" + ", ".join(f'"{p}": {_short(env["g_" + p])}' for p in self.parameters) + "}")
        return "\n".join(out) + "\n"

    # ------------------------------------------------------------ descend
    def descend(self, steps: int, learning_rate: float, record: bool = False, **values):
        """Gradient descent with the whole loop compiled: ``steps`` updates p ← p − learning_rate · ∂cost/∂p.

        Each step is the engine's step exactly (forward, backward from zeroed
        gradients, ``p.data -= learning_rate * p.grad``), so the weights equal
        the engine's bit for bit. Returns ``(parameters, costs)``: the final
        parameter values, and with ``record`` the cost before each update.
        """
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise InvalidValueError(f"descend: steps must be a whole number >= 0, got {steps!r}")
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real) or not math.isfinite(
                float(learning_rate)):
            raise InvalidValueError(f"descend: learning_rate must be a finite number, got {learning_rate!r}")
        values = self._values(values)
        record = bool(record)
        if record not in self._descend:
            source = self._descend_program(record)
            self._descend[record] = (source, self._load(source, "descend"))
        source, function = self._descend[record]
        try:
            params, costs = function(steps, float(learning_rate), **values)
        except (ArithmeticError, ValueError) as exc:
            raise self._failure(exc, source) from None
        for key, x in params.items():
            if not math.isfinite(x):
                raise NonFiniteError(f"descend: the parameter {key} became {x!r}: the descent diverged "
                                     f"(try a smaller learning_rate)")
        return params, costs

    def descend_source(self, record: bool = False) -> str:
        """The source of the compiled descent loop (see ``descend``)."""
        return self._descend_program(record)

    def _descend_program(self, record: bool) -> str:
        # the loop needs the backward lines, the forward lines they read, and the cost only when recording
        needed = {f"g_{p}" for p in self.parameters}
        needed |= set(self.parameters)
        if record:
            needed.add(self.cost_name)
        kept = []
        for s in reversed(self.statements):
            if s.target in needed or s.pass_ == "backward":
                kept.append(s)
                needed |= _names_in(s.expr)
        kept.reverse()
        head = imports(self._used)
        sig = _signature(list(self.arguments), [self.defaults[a] for a in self.arguments], "steps, learning_rate, ")
        parts = [head + ("\n\n" if head else ""), f"def descend({sig}):\n",
                 f'    """`steps` steps of gradient descent on {self.cost_name} with respect to '
                 f'{", ".join(self.parameters) or "nothing"} (chainrule.compile)."""\n', "    costs = []\n",
                 "    for step_number in range(steps):\n"]
        setup = [s for s in kept if s.pass_ == "setup"]
        if setup:
            parts[-2:-2] = [line + "\n" for line in _body_lines(setup, "    ")]
        loop = [s for s in kept if s.pass_ != "setup"]
        first_backward = next((k for k, s in enumerate(loop) if s.pass_ == "backward"), len(loop))
        lines = _body_lines(loop, "        ")
        parts.extend(line + "\n" for line in lines[:first_backward])
        if record:
            parts.append(f"        costs.append({self.cost_name})\n")
        parts.extend(line + "\n" for line in lines[first_backward:])
        parts.extend(f"        {p} -= learning_rate * g_{p}\n" for p in self.parameters)
        parts.append(_return_line("", [(p, p) for p in self.parameters], ", costs"))
        return "".join(parts)

    # ------------------------------------------------------------ the edges
    def edge_lines(self) -> dict:
        """``(user id, k) -> (the line of code that performs that edge's step of the backward pass, its line number)``.

        Ids as in ``explainer.trace`` (a node's index in ``cost.nodes()``); the
        line number counts from 1 in ``source``. Only edges into nodes some
        parameter depends on have a line.
        """
        if self._edge_lines is None:
            self._edge_lines = {s.edge: (s.line(), self._line_numbers[k]) for k, s in enumerate(self.statements)
                                if s.edge is not None}
        return self._edge_lines

    def __repr__(self) -> str:
        shown_args = ", ".join(self.arguments[:6]) + (", …" if len(self.arguments) > 6 else "")
        return (f"<compiled {self.name}({shown_args}): {self.n_nodes} nodes, {self.n_edges} edges, "
                f"{len(self.source.splitlines())} lines>")


def _names_in(code: Code) -> set[str]:
    out, stack = set(), [code]
    while stack:
        c = stack.pop()
        if c.kind == "name":
            out.add(c.value)
        stack.extend(c.args)
    return out


def _short(x) -> str:
    if not isinstance(x, float):
        return repr(x)
    text = f"{x:.6g}"
    return text


def compile(cost: Value, inputs=None, params=None, *, name: str = "backprop") -> CompiledGraph:  # noqa: A001
    """The graph ending at ``cost`` as a straight-line Python function (see the module docstring).

    ``inputs``: leaves passed in but not differentiated (data: i, y);
    ``params``: leaves whose gradient is returned (weights: w). Either may be
    left out: then it is every other leaf (both left out: every leaf is a
    parameter, as ``backward()`` fills every leaf's grad). ``name``: the
    generated function's name, a plain identifier.
    """
    if not isinstance(cost, Value):
        raise InvalidValueError(f"compile: the cost must be a Value, got {cost!r} ({type(cost).__name__})")
    if not isinstance(name, str) or identifier(name) != name or name == "descend":
        raise InvalidValueError(f"compile: name must be a plain identifier (letters, digits, _), got {name!r}")
    emitter = _Emitter(cost, inputs, params, name)
    emitter.emit()
    return CompiledGraph(emitter)
