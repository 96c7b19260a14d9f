"""Hypothesis strategies for property-testing gradients: random expression DAGs.

:func:`expressions` draws a random :class:`Expression` over the engine's ops
(:data:`tinygrad_ko.ops.OPS`), with shared subexpressions, together with inputs
kept away from kinks and domain edges, so that a central difference is a fair
judge there.  Copy this to property-test your own code; here ``my_grads`` stands
for the function you wrote (below, the engine's own ``backward()``):

>>> from hypothesis import given, settings
>>> from tinygrad_ko import Value, gradcheck
>>> from tinygrad_ko.testing import expressions
>>>
>>> def my_grads(expression, xs):  # replace with your gradient code
...     values = [Value(x) for x in xs]
...     expression.build(values).backward()
...     return [v.grad for v in values]
>>>
>>> @settings(max_examples=20, derandomize=True, database=None)
... @given(expressions())
... def test_my_grads_agree_with_numerical(sample):
...     expression, xs = sample
...     result = gradcheck(expression, [Value(x) for x in xs],
...                        analytical=lambda *values: my_grads(expression, xs))
...     assert result, f"{expression}\\n{result}"
>>>
>>> test_my_grads_agree_with_numerical()  # pytest calls it for you

An expression can also be written by hand: operands are node numbers (the
inputs are nodes ``0 .. n_inputs-1``; each op adds the next node) or float
constants, and the last node is the output.

>>> e = Expression(2, [("mul", 0, 1), ("add", 2, 1.5), ("relu", 3), ("div", 4, 2)])
>>> print(e)
t2 = x0 * x1
(t2 + 1.5).relu() / t2
>>> e.evaluate([2.0, 3.0])
1.25

hypothesis is a test extra: ``pip install "tinygrad_ko[test]"``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - exercised in a venv without the extra
    # A plain ImportError, as Python's own import errors are (the traceback says "ImportError:"):
    # it fails an import, where no caller is there to show it in another language.
    from .messages import text

    raise ImportError(text("testing.needs_hypothesis", "en")) from error

from .engine import Value
from .messages import LocalizedValueError
from .ops import OPS

__all__ = ["Expression", "Sample", "expressions"]

#: A node's operand: the number of an earlier node, or a float constant.
Operand = int | float
#: One op node as written by hand: ``(op name, operand, ...)``.
NodeSpec = tuple[Any, ...]
#: A node of whichever engine builds the graph: tinygrad_ko's Value, or any class with its
#: operators and methods (tinygrad_ko.reference.Value, a learner's own).
V = TypeVar("V")

# How a binary op symbol is applied to Values or floats (a float on the left uses
# Value's reflected operator, as in `2.0 - x`).
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow,
}
# Constants the strategy may put into an expression: both signs, fractions and
# integers, so that `x ** 0.5`, `x ** -1.0`, `2.0 ** x` and `-0.5 * x` appear.
_CONSTANTS = (2.0, -1.0, 0.5, 3.0, -0.5, 1.5, -2.0)


def _apply_to_values(name: str, args: Sequence[Any]) -> Any:
    op = OPS[name]
    if op.arity == 2:
        return _OPERATORS[op.symbol](args[0], args[1])
    if name == "neg":
        return -args[0]
    return getattr(args[0], name)()


def _supported(name: str) -> bool:
    op = OPS[name]
    return op.symbol in _OPERATORS if op.arity == 2 else name == "neg" or hasattr(Value, name)


def _edge(name: str, args: Sequence[float], constant_exponent: bool) -> tuple[float, bool] | None:
    """The signed distance of an op's inputs from its kink or domain edge, or None if it has none.

    The bool says whether the distance must be positive (log and real powers need a
    positive argument), rather than merely away from 0 (relu, division, x ** -1).
    """
    if name == "relu":
        return args[0], False
    if name == "log":
        return args[0], True
    if name == "div":
        return args[1], False
    if name == "pow":
        base, exponent = args
        if constant_exponent and exponent.is_integer():
            return (base, False) if exponent < 0 else None
        return base, True  # a fractional or variable exponent: d/dy x**y needs log(x)
    return None


class Expression:
    """A random expression DAG that builds a fresh graph from fresh inputs, again and again.

    ``Expression(n_inputs, nodes)``: ``nodes`` is a list of ``(op name, operand, ...)``
    in order; an int operand is the number of an earlier node (inputs are
    ``0 .. n_inputs-1``), a float is a constant.  The last node is the output.
    """

    def __init__(self, n_inputs: int, nodes: Sequence[NodeSpec]) -> None:
        if not isinstance(n_inputs, int) or isinstance(n_inputs, bool) or n_inputs < 1:
            raise LocalizedValueError("testing.n_inputs", got=n_inputs)
        if not nodes:
            raise LocalizedValueError("testing.no_nodes")
        checked: list[tuple[str, tuple[Operand, ...]]] = []
        for k, node in enumerate(nodes, start=n_inputs):
            name, *args = node
            if name not in OPS or not _supported(name):
                raise LocalizedValueError("testing.unknown_op", k=k, name=name, known=", ".join(OPS))
            if len(args) != OPS[name].arity:
                raise LocalizedValueError("testing.operand_count", k=k, name=name, arity=OPS[name].arity, got=len(args))
            for a in args:
                if isinstance(a, bool) or not isinstance(a, (int, float)) or (isinstance(a, int) and not 0 <= a < k):
                    raise LocalizedValueError("testing.bad_operand", k=k, name=name, operand=a, last=k - 1)
            if all(isinstance(a, float) for a in args):
                raise LocalizedValueError("testing.only_constants", k=k, name=name)
            checked.append((name, tuple(args)))
        self.n_inputs = n_inputs
        self.nodes: tuple[tuple[str, tuple[Operand, ...]], ...] = tuple(checked)

    @property
    def size(self) -> int:
        """The number of op nodes."""
        return len(self.nodes)

    @property
    def depth(self) -> int:
        """The longest path from an input to the output, in ops."""
        depths = [0] * self.n_inputs
        for _, args in self.nodes:
            depths.append(1 + max(depths[a] for a in args if isinstance(a, int)))
        return depths[-1]

    def _run(self, inputs: Sequence[Any], apply: Callable[[str, Sequence[Any]], Any]) -> list[Any]:
        if len(inputs) != self.n_inputs:
            raise LocalizedValueError("testing.input_count", expected=self.n_inputs, got=len(inputs))
        results = list(inputs)
        for name, args in self.nodes:
            results.append(apply(name, [results[a] if isinstance(a, int) else a for a in args]))
        return results

    def build(self, values: Sequence[V]) -> V:
        """Record a fresh graph on ``values`` (one Value per input) and return its output node.

        The values may be of any class with Value's operators and methods, so the same
        expression replays on another engine, such as :mod:`tinygrad_ko.reference`.
        """
        out: V = self._run(values, _apply_to_values)[-1]
        return out

    def build_nodes(self, values: Sequence[V]) -> list[V]:
        """Record a fresh graph on ``values`` and return all its nodes in the expression's order.

        The inputs come first (``values`` themselves), then one node per op; the last is the
        output.  Two engines given the same expression return lists that match node for node:

        >>> from tinygrad_ko import reference
        >>> e = Expression(1, [("mul", 0, 0), ("add", 1, 2.0)])
        >>> [n.data for n in e.build_nodes([Value(3.0)])], [n.data for n in e.build_nodes([reference.Value(3.0)])]
        ([3.0, 9.0, 11.0], [3.0, 9.0, 11.0])
        """
        nodes: list[V] = self._run(values, _apply_to_values)
        return nodes

    def __call__(self, *values: Value) -> Value:
        """``expression(x0, x1, ...)`` is ``expression.build([x0, x1, ...])``.

        That is the ``f(*inputs)`` form :func:`~tinygrad_ko.gradcheck` calls:
        ``gradcheck(expression, [Value(x) for x in xs])``.
        """
        return self.build(values)

    def _floats(self, xs: Sequence[float]) -> list[float]:
        """Every node's value for float inputs, by the op table's forward rules (no graph)."""
        return self._run([float(x) for x in xs], lambda name, args: OPS[name].forward(*args))

    def evaluate(self, xs: Sequence[float]) -> float:
        """The output for float inputs, computed with the op table's forward rules (no graph)."""
        return self._floats(xs)[-1]

    def _edges(self, xs: Sequence[float]) -> list[tuple[float, bool]]:
        """Every guarded node's (signed distance, must be positive), in node order."""
        results = self._floats(xs)
        edges = []
        for name, args in self.nodes:
            edge = _edge(name, [results[a] if isinstance(a, int) else a for a in args],
                         constant_exponent=not isinstance(args[-1], int))
            if edge is not None:
                edges.append(edge)
        return edges

    def distance_to_edges(self, xs: Sequence[float]) -> float:
        """How far the inputs keep every op from its kink or domain edge (``inf`` if there is none).

        Measured at each guarded op's argument: relu's and log's input, the
        divisor, and the base of a power (which must be positive for a
        fractional or variable exponent).  Raises like :meth:`evaluate` if an
        op is outside its domain.
        """
        return min((abs(d) for d, _ in self._edges(xs)), default=math.inf)

    def _smooth_near(self, xs: Sequence[float], margin: float, radius: float, max_magnitude: float) -> bool:
        """True if moving any one input by ``radius·max(1, |x|)`` keeps every op on the same side of its edge."""
        centre = self._edges(xs)
        for i, x in enumerate(xs):
            for sign in (-1.0, 1.0):
                moved = list(xs)
                moved[i] = x + sign * radius * max(1.0, abs(x))
                try:
                    edges = self._edges(moved)
                    out = self.evaluate(moved)
                except (ArithmeticError, ValueError):
                    return False
                if not abs(out) <= max_magnitude:
                    return False
                for (d0, _), (d, _) in zip(centre, edges, strict=True):
                    if (d > 0) != (d0 > 0) or abs(d) < margin / 2:
                        return False
        return True

    def _live(self) -> list[bool]:
        """For every node (inputs first): does the output depend on it?"""
        live = [False] * (self.n_inputs + len(self.nodes))
        live[-1] = True
        for k in range(len(live) - 1, self.n_inputs - 1, -1):
            if live[k]:
                for a in self.nodes[k - self.n_inputs][1]:
                    if isinstance(a, int):
                        live[a] = True
        return live

    def _without_dead_nodes(self) -> Expression:
        """The same expression without the op nodes the output does not depend on (inputs stay)."""
        live = self._live()
        number = list(range(self.n_inputs))  # old node number -> new
        kept: list[NodeSpec] = []
        for k, (name, args) in enumerate(self.nodes, start=self.n_inputs):
            number.append(self.n_inputs + len(kept))
            if live[k]:
                kept.append((name, *(number[a] if isinstance(a, int) else a for a in args)))
        return Expression(self.n_inputs, kept)

    def _text(self) -> list[str]:
        live = self._live()
        uses = [0] * len(live)
        for k, (_, args) in enumerate(self.nodes, start=self.n_inputs):
            for a in args:
                if isinstance(a, int) and live[k]:
                    uses[a] += 1
        texts: list[str] = [f"x{i}" for i in range(self.n_inputs)]
        atoms = [True] * self.n_inputs
        lines = []

        def operand(a: Operand) -> str:
            if isinstance(a, float):
                return repr(a) if a >= 0 else f"({a!r})"
            return texts[a] if atoms[a] else f"({texts[a]})"

        for k, (name, args) in enumerate(self.nodes, start=self.n_inputs):
            op = OPS[name]
            if not live[k]:  # nothing to show: the output does not depend on it
                texts.append("")
                atoms.append(True)
                continue
            if op.arity == 2:
                text = f"{operand(args[0])} {op.symbol} {operand(args[1])}"
            elif name == "neg":
                text = f"-{operand(args[0])}"
            else:
                text = f"{operand(args[0])}.{name}()"
            shared = uses[k] > 1
            if shared:
                lines.append(f"t{k} = {text}")
                text = f"t{k}"
            texts.append(text)
            # A method call binds tighter than any operator: it needs no brackets.
            atoms.append(shared or (op.arity == 1 and name != "neg"))
        lines.append(texts[-1])
        return lines

    def __str__(self) -> str:
        """Python code: one line per shared subexpression ``tK = ...``, then the output expression."""
        return "\n".join(self._text())

    def __repr__(self) -> str:
        specs = ", ".join(repr((name, *args)) for name, args in self.nodes)
        return f"Expression({self.n_inputs}, [{specs}])"


class Sample(NamedTuple):
    """What :func:`expressions` draws: an expression and inputs where it is smooth."""

    expression: Expression
    inputs: tuple[float, ...]


def expressions(
    *,
    max_inputs: int = 3,
    max_ops: int = 8,
    max_depth: int = 5,
    max_abs_input: float = 4.0,
    margin: float = 0.1,
    max_magnitude: float = 1e4,
    ops: Sequence[str] | None = None,
) -> st.SearchStrategy[Sample]:
    """A hypothesis strategy of :class:`Sample`: a random expression DAG and inputs for it.

    The expression has 1..``max_inputs`` inputs and 1..``max_ops`` op nodes
    drawn from ``ops`` (default: every op of :data:`~tinygrad_ko.ops.OPS`),
    at most ``max_depth`` ops deep; nodes are reused by later nodes (shared
    subexpressions) and constants appear on either side of an operator.

    The inputs lie in ``[-max_abs_input, max_abs_input]`` and keep the graph
    smooth around them:

    * every relu input, log input, divisor and power base is at least
      ``margin`` from its kink or edge (a power base must be positive for a
      fractional or variable exponent);
    * every node's value is finite and at most ``max_magnitude`` in size, so
      ``exp`` cannot overflow;
    * moving any one input by ``1e-3·max(1, |x|)`` keeps every op on the same
      side of its edge (by at least ``margin / 2``) — 160 times the default step
      of :func:`~tinygrad_ko.numerical_grad`, so central differences never
      straddle a kink.

    Hypothesis favours small examples (about half are a single op); calling
    ``hypothesis.target(float(sample.expression.size))`` in your test steers
    the rest of the run toward larger graphs.  The module docstring shows a
    complete property test.
    """
    names = list(OPS) if ops is None else list(ops)
    unknown = [name for name in names if name not in OPS or not _supported(name)]
    if unknown or not names:
        raise LocalizedValueError("testing.unknown_ops", unknown=unknown or names, known=", ".join(OPS))
    if not (isinstance(max_inputs, int) and max_inputs >= 1 and isinstance(max_ops, int) and max_ops >= 1
            and isinstance(max_depth, int) and max_depth >= 1):
        raise LocalizedValueError("testing.sizes")
    if not (margin > 0 and max_abs_input > 0 and max_magnitude > 0):
        raise LocalizedValueError("testing.bounds")
    inputs = st.floats(-max_abs_input, max_abs_input, allow_nan=False, allow_subnormal=False)

    @st.composite
    def draw_sample(draw: st.DrawFn) -> Sample:
        n = draw(st.integers(1, max_inputs))
        xs = tuple(draw(st.lists(inputs, min_size=n, max_size=n)))
        values: list[float] = list(xs)
        depths = [0] * n
        used: set[int] = set()
        nodes: list[NodeSpec] = []
        for _ in range(draw(st.integers(1, max_ops))):
            # A few tries per node; an op that would leave the smooth region is
            # redrawn, which rejects far fewer examples than filtering at the end.
            for _attempt in range(5):
                node = _draw_node(draw, names, depths, used, max_depth)
                value = _checked_value(node, values, margin, max_magnitude)
                if value is not None:
                    operands = [a for a in node[1:] if isinstance(a, int)]
                    nodes.append(node)
                    values.append(value)
                    depths.append(1 + max(depths[a] for a in operands))
                    used.update(operands)
                    break
        assume(nodes)
        expression = Expression(n, nodes)._without_dead_nodes()
        assume(expression._smooth_near(xs, margin, 1e-3, max_magnitude))
        return Sample(expression, xs)

    return draw_sample()


def _draw_node(draw: st.DrawFn, names: list[str], depths: list[int], used: set[int], max_depth: int) -> NodeSpec:
    name = draw(st.sampled_from(names))
    eligible = [k for k, d in enumerate(depths) if d < max_depth]
    unused = [k for k in eligible if k not in used] or eligible
    # Operands favour the newest node and nodes nothing uses yet, so the output tends
    # to depend on the whole graph; drawing from every node is what makes nodes shared.
    nodes = st.one_of(st.just(eligible[-1]), st.sampled_from(unused), st.sampled_from(eligible))
    first = draw(nodes)
    if OPS[name].arity == 1:
        return (name, first)
    second = draw(st.one_of(nodes, st.sampled_from(_CONSTANTS)))
    return (name, second, first) if draw(st.booleans()) else (name, first, second)


def _checked_value(node: NodeSpec, values: list[float], margin: float, max_magnitude: float) -> float | None:
    """The node's value if it is finite, not too large and away from its op's edge; else None."""
    name, *args = node
    operands = [values[a] if isinstance(a, int) else a for a in args]
    try:
        value = OPS[name].forward(*operands)
    except (ArithmeticError, ValueError):
        return None
    edge = _edge(name, operands, constant_exponent=not isinstance(args[-1], int))
    if edge is not None:
        distance, positive = edge
        if (distance < margin) if positive else (abs(distance) < margin):
            return None
    return value if abs(value) <= max_magnitude else None
