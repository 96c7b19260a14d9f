"""Derivatives as return values: :func:`grad` (with ``create_graph``) and :func:`hessian`.

``backward()`` leaves first derivatives on the nodes (``x.grad``).  :func:`grad`
instead *returns* them, as ``torch.autograd.grad`` and ``jax.grad`` do, and never
reads or writes any node's ``grad``.  With ``create_graph=True`` each derivative
is itself a graph (계산 그래프) built from the op table's own ops, so it can be
differentiated again (고차 미분, higher-order derivatives), drawn with
:func:`~tinygrad_ko.to_dot`, explained with :func:`~tinygrad_ko.explain` and
backpropagated with ``backward()``.

No op's rule is written here.  The op table (:mod:`tinygrad_ko.ops`) writes each
local derivative once, as a function of a *kind of number*; :data:`VALUES` is the
kind whose numbers are Values, so ``op.local_for(VALUES)`` gives the same rule
building nodes instead of computing floats.  tanh's ``1 - out·out``, run on
Values, records a MUL and a SUB node whose input is the tanh node itself — and so
its derivative can be taken again, to any order.

>>> from tinygrad_ko import Value
>>> x = Value(2.0, label="x")
>>> y = x**4 - 2 * x**2
>>> gx = grad(y, x, create_graph=True)   # 4x³ - 4x
>>> gx.data, grad(gx, x).data            # 12x² - 4
(24.0, 44.0)
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from typing import Any, overload

from .engine import Value, _as_float, _backward_lock, _constant, _describe, _recorded
from .graph import backward_order
from .messages import LocalizedTypeError, LocalizedValueError
from .ops import DIV, EXP, FLOATS, LOG, OPS, POW, RELU, SIGMOID, TANH, Kind, Op

__all__ = ["VALUES", "derivative", "grad", "hessian"]

Number = Value | float


def _data(v: Number) -> float:
    return v.data if isinstance(v, Value) else v


def _as_value(v: Number) -> Value:
    """A Value for an operand: a plain float a rule returned becomes a constant."""
    return v if isinstance(v, Value) else _constant(float(v))


def _apply(op: Op, compute: Callable[..., float], *args: Number) -> Number:
    """Record ``op`` over ``args`` holding ``compute(*datas)``; floats only give a float."""
    data = compute(*map(_data, args))
    if not any(isinstance(a, Value) for a in args):
        return data
    return _recorded(op, data, *map(_as_value, args))


class _Values:
    """The kind whose numbers are Values: rules run on it build derivative graphs.

    Arithmetic (``+ - *``, unary ``-``) is Value's own operators.  The IEEE
    functions record the ordinary DIV, POW and LOG nodes but hold the value IEEE
    754 gives (``inf``/``nan``, as :data:`~tinygrad_ko.ops.FLOATS` computes it), so
    building a derivative graph never raises where the float derivative does not.
    ``step`` (relu's slope) is a constant: relu's second derivative is 0, as in PyTorch.
    """

    name = "Value"
    nan = math.nan

    def data(self, v: Number) -> float:
        return _data(v)

    def where(self, condition: Any, a: Any, b: Any) -> Any:
        return a if condition else b

    def div(self, x: Number, y: Number) -> Number:
        return _apply(DIV, FLOATS.div, x, y)

    def pow(self, x: Number, y: Number) -> Number:
        return _apply(POW, FLOATS.pow, x, y)

    def exp(self, x: Number) -> Number:
        return _apply(EXP, FLOATS.exp, x)

    def log(self, x: Number) -> Number:
        return _apply(LOG, FLOATS.log, x)

    def relu(self, x: Number) -> Number:
        return _apply(RELU, FLOATS.relu, x)

    def sigmoid(self, x: Number) -> Number:
        return _apply(SIGMOID, FLOATS.sigmoid, x)

    def tanh(self, x: Number) -> Number:
        return _apply(TANH, FLOATS.tanh, x)

    def ieee_div(self, x: Number, y: Number) -> Number:
        return _apply(DIV, FLOATS.ieee_div, x, y)

    def ieee_pow(self, x: Number, y: Number) -> Number:
        return _apply(POW, FLOATS.ieee_pow, x, y)

    def ieee_log(self, x: Number) -> Number:
        return _apply(LOG, FLOATS.ieee_log, x)

    def step(self, x: Number) -> Value:
        # A constant: the slope of relu is piecewise constant, so it has no derivative to record.
        return _constant(FLOATS.step(_data(x)))


#: The kind for Values: ``op.local_for(VALUES)`` builds a local derivative as a graph.
VALUES: Kind = _Values()

# Each op's local-derivative functions on Values, made once from the op table.
_VALUE_LOCALS: dict[str, tuple[Callable[..., Any], ...]] = {name: op.local_for(VALUES) for name, op in OPS.items()}


def _check(output: object, inputs: object, where: str) -> tuple[list[Value], bool]:
    """The inputs as a list, and whether one Value (not a sequence) was given; else a clear error."""
    if not isinstance(output, Value):
        key = "functional.output_number" if isinstance(output, (int, float)) else "functional.output_not_value"
        raise LocalizedTypeError(key, where=where, got=_describe(output))
    if isinstance(inputs, Value):
        values, single = [inputs], True
    elif isinstance(inputs, (list, tuple)):
        if not inputs:
            raise LocalizedValueError("functional.inputs_empty", where=where)
        for i, v in enumerate(inputs):
            if not isinstance(v, Value):
                raise LocalizedTypeError("functional.input_not_value", where=where, i=i, got=_describe(v))
        values, single = list(inputs), False
    else:
        raise LocalizedTypeError("functional.inputs_type", where=where, got=_describe(inputs))
    for i, v in enumerate(values):
        if not v.requires_grad:
            name = f"{v.label!r}" if v.label else ("inputs" if single else f"inputs[{i}]")
            raise LocalizedValueError("functional.input_constant", where=where, name=name)
    return values, single


def _sweep(output: Value, inputs: list[Value], seed: float, create_graph: bool) -> list[Number | None]:
    """Reverse-mode sweep from ``output``: the derivative reaching each input (None: not reached).

    Only nodes that depend on an input receive a gradient (the rest cannot pass
    one on to an input), which keeps derivative graphs small.  In the float mode
    the sums are formed as ``backward()`` forms them, in the same order, so the
    numbers are the same to the bit.
    """
    if not output.requires_grad:  # a constant: the derivative is 0 for every input
        return [None] * len(inputs)
    # backward_order writes walk marks on the nodes: take backward()'s lock for the walk.
    with _backward_lock:
        order, leaves = backward_order(output)
    targets = set(inputs)
    needed = set(targets)
    for node in reversed(order):  # inputs first
        b = node._b
        if node._a in needed or (b is not None and b in needed):
            needed.add(node)
    if not create_graph:
        grads = _float_sweep(output, order, needed, targets, seed)
        return [grads.get(v) for v in inputs]
    grads = _graph_sweep(output, order, needed, targets, seed)
    # Each result must be a node of its own: a user labels it, backpropagates it.  A
    # gradient can be a node of output's graph (that of x·y toward x is y itself), or the
    # same node for two inputs (both sides of an ADD pass g on as it is).
    original = set(order)
    original.update(leaves)
    results: list[Number | None] = []
    handed_out: set[int] = set()
    for v in inputs:
        g = grads.get(v)
        if g in original:
            g = g * _constant(1.0)  # ×1: a new node holding the same number
        elif g is not None and id(g) in handed_out:
            g = copy.copy(g)  # a twin: the same op over the same inputs
        handed_out.add(id(g))
        results.append(g)
    return results


def _float_sweep(output: Value, order: list[Value], needed: set[Value], targets: set[Value],
                 seed: float) -> dict[Value, Any]:
    """backward()'s loop, with the gradients in a dict instead of ``.grad`` (and only toward inputs)."""
    grads: dict[Value, float] = {output: 0.0 + seed}
    get, pop = grads.get, grads.pop
    for node in order:
        if node not in needed:
            continue
        g = grads[node] if node in targets else pop(node)
        op: Op = node._op  # type: ignore[assignment]  # every node in the order has an op
        a: Value = node._a  # type: ignore[assignment]
        b = node._b
        if b is None:
            if a in needed:
                grads[a] = get(a, 0.0) + op.local_x(a.data, node.data) * g
        else:
            if a in needed:
                grads[a] = get(a, 0.0) + op.local_x(a.data, b.data, node.data) * g
            if b in needed:
                grads[b] = get(b, 0.0) + op.local_y(a.data, b.data, node.data) * g  # type: ignore[misc]
    return grads


def _graph_sweep(output: Value, order: list[Value], needed: set[Value], targets: set[Value],
                 seed: float) -> dict[Value, Any]:
    """The same sweep on Values: each local derivative is the op's rule run on :data:`VALUES`."""
    root_seed = _constant(seed)
    # ×1 is exact: the output's own inputs receive their local derivative as it is, with
    # no MUL node by the seed 1 (a seed other than 1 is multiplied in).
    unit_seed = root_seed if seed == 1.0 else None
    grads: dict[Value, Any] = {output: root_seed}

    def add(parent: Value, local: Any, g: Value) -> None:
        if type(local) is float and local == 1.0:  # 1·g is g exactly (ADD's and SUB's first slope)
            contribution = g
        elif g is unit_seed and type(local) is Value:
            contribution = local
        else:
            contribution = local * g
        earlier = grads.get(parent)
        grads[parent] = contribution if earlier is None else earlier + contribution

    for node in order:
        if node not in needed:
            continue
        g = grads[node] if node in targets else grads.pop(node)
        local = _VALUE_LOCALS[node._op.name]  # type: ignore[union-attr]  # every node in the order has an op
        a: Value = node._a  # type: ignore[assignment]
        b = node._b
        if b is None:
            if a in needed:
                add(a, local[0](a, node), g)
        else:
            if a in needed:
                add(a, local[0](a, b, node), g)
            if b in needed:
                add(b, local[1](a, b, node), g)
    return grads


@overload
def grad(output: Value, inputs: Value, *, create_graph: bool = False, grad_output: float = 1.0) -> Value: ...
@overload
def grad(output: Value, inputs: Sequence[Value], *, create_graph: bool = False,
         grad_output: float = 1.0) -> tuple[Value, ...]: ...


def grad(output: Value, inputs: Value | Sequence[Value], *, create_graph: bool = False,
         grad_output: float = 1.0) -> Value | tuple[Value, ...]:
    """The derivative of ``output`` with respect to each input, returned (no ``.grad`` is read or written).

    - ``inputs`` a Value gives a Value; a list or tuple of Values gives a tuple
      in the same order.  An input ``output`` does not depend on gets ``Value(0.0)``,
      and so does every input of a constant output (``requires_grad == False``).
    - ``create_graph=False``: each result is a new leaf holding the number, the
      same number ``backward()`` would leave in ``grad``.
    - ``create_graph=True``: each result is a graph of the op table's ops over the
      nodes of ``output``'s graph, so it can be differentiated again, drawn,
      explained and backpropagated.  A derivative made from constants only (that
      of ``2 * x``, say) is a constant Value.
    - ``grad_output``: the seed, d(loss)/d(output) (default 1.0); the results are
      multiplied by it, as ``backward(grad)`` does.

    >>> from tinygrad_ko import Value
    >>> x, z = Value(2.0), Value(3.0)
    >>> gx, gz = grad(x * x * z, [x, z])
    >>> gx.data, gz.data
    (12.0, 4.0)
    >>> t = Value(0.5)
    >>> gt = grad(t.tanh(), t, create_graph=True)   # 1 - tanh(t)²: a graph
    >>> gt.op, round(grad(gt, t).data, 12)           # -2·tanh(t)·(1 - tanh(t)²)
    ('sub', -0.726861981384)
    """
    values, single = _check(output, inputs, "grad")
    if not isinstance(create_graph, bool):
        raise LocalizedTypeError("functional.create_graph_type", got=_describe(create_graph))
    seed = _as_float(grad_output, "grad(grad_output=...)")
    results = [g if isinstance(g, Value) else Value(0.0 if g is None else g)
               for g in _sweep(output, values, seed, create_graph)]
    return results[0] if single else tuple(results)


def hessian(output: Value, inputs: Value | Sequence[Value]) -> list[list[float]]:
    """The matrix of second derivatives ``H[i][j] = ∂²output/∂inputs[i]∂inputs[j]`` as lists of floats.

    By second-order backpropagation, not numerically: the first derivatives as
    graphs (``grad(..., create_graph=True)``), then one backward sweep of each.
    A single Value as ``inputs`` gives a 1×1 matrix.  No ``.grad`` is touched.

    >>> from tinygrad_ko import Value
    >>> x, z = Value(2.0, label="x"), Value(3.0, label="z")
    >>> hessian(x * x * z, [x, z])
    [[6.0, 4.0], [4.0, 0.0]]
    """
    values, _ = _check(output, inputs, "hessian")
    rows = []
    for first in _sweep(output, values, 1.0, create_graph=True):
        if not isinstance(first, Value):  # the output does not depend on this input: a row of zeros
            rows.append([0.0] * len(values))
            continue
        second = _sweep(first, values, 1.0, create_graph=False)
        rows.append([0.0 if g is None else float(g) for g in second])
    return rows


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def derivative(root: Value, x: Value, order: int, *, max_nodes: int = 1_000) -> Value:
    """The ``order``-th derivative of ``root`` with respect to ``x`` as a graph, labelled ``dⁿ/dxⁿ``.

    Raises ValueError as soon as a derivative's graph has more than ``max_nodes`` Value
    nodes (default: a drawing's limit, :data:`~tinygrad_ko.draw.dot.MAX_NODES`): each
    order's graph holds the previous one, so the higher orders would only be larger.
    Once a derivative is a constant, the higher ones are the constant 0 and are not
    computed one by one.

    >>> x = Value(1.0, label="x")
    >>> d2 = derivative(x**3, x, 2)
    >>> d2.label, d2.data
    ('d²/dx²', 6.0)
    """
    from .graph import topological_order
    from .messages import LocalizedValueError

    for n in range(1, order + 1):
        root = grad(root, x, create_graph=True)
        nodes = topological_order(root)
        if n < order and not any(node is x for node in nodes):
            # A derivative that no longer depends on x (that of x*2 at order 1) is a constant:
            # every higher one is the constant 0, said at once, not after a million rounds of grad().
            root = Value(0.0, requires_grad=False)
            break
        size = len(nodes)
        if size > max_nodes:
            raise LocalizedValueError("cli.derivative_too_large", order=n, size=f"{size:,}",
                                      limit=f"{max_nodes:,}", lower=n - 1)
    power = str(order).translate(_SUPERSCRIPTS)
    root.label = f"d{power}/d{x.label}{power}"
    return root
