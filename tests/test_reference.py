"""The reference engine (tinygrad_ko/reference.py) against the fast one (engine.py): equal bit for bit.

reference.py spells out every op's rule a second time, on purpose, for reading; these tests are
what keeps that copy true.  Equality is exact, not within a tolerance, because both engines do
the same IEEE operations in the same order:

- forward rules and local derivatives are the same IEEE operations (the two-branch sigmoid,
  ``out * (1 - out)``, ``y * x ** (y - 1)``, ...).  Where they are written differently the bits
  still agree: division's ∂/∂y is ``-(out / y)`` in ops.py and ``(-out) / y`` here (negation is
  exact and rounding is symmetric in sign); ops.py divides and takes powers and logs through
  IEEE helpers that return ±inf/NaN instead of raising, where the reference calls ``/``, ``**``
  and ``math.log`` directly, which is the same wherever the forward pass let a node exist
  (a divisor or log input is never 0 there) and ``pow_dx`` maps the remaining exceptions to the
  same infinities;
- the chain rule multiplies ``local * upstream`` in both (multiplication commutes exactly);
- a node's gradient is a sum of one term per use, and floating-point addition does not
  associate, so the terms must arrive in the same order: both walk the graph depth first from
  the output, visiting a node's last parent first (:func:`test_both_engines_walk_op_nodes_in_the_same_order`);
- where the engines differ in how, the result is still exact: the fast engine sets aside the
  gradients an earlier pass left, runs the pass from zero and adds them back (``pass + earlier``),
  while the reference collects the pass in a dict and adds it to ``.grad`` (``earlier + pass``);
  IEEE addition commutes exactly, so both give the same bits.

Bits are compared with ``float.hex()``, which tells 0.0 from -0.0; every NaN reads ``nan``
(neither engine promises a NaN payload).
"""

from __future__ import annotations

import gc
import math
import subprocess
import sys
import weakref
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, note, target
from hypothesis import strategies as st

from tinygrad_ko import OPS, Value, reference
from tinygrad_ko.graph import backward_order
from tinygrad_ko.testing import Expression, Sample, expressions

ENGINES = (Value, reference.Value)


def state(nodes: list[Any]) -> list[tuple[Any, ...]]:
    """Everything observable about a graph, node by node: op, data, grad, requires_grad, and each
    parent as its position in ``nodes`` or, for a constant, its own data, grad and requires_grad."""
    position = {id(n): i for i, n in enumerate(nodes)}
    rows = []
    for n in nodes:
        parents = tuple(position[id(p)] if id(p) in position else ("constant", p.data.hex(), p.grad.hex(),
                                                                   p.requires_grad) for p in n.parents)
        rows.append((n.op, n.data.hex(), n.grad.hex(), n.requires_grad, parents))
    return rows


def build_both(expression: Expression, xs: tuple[float, ...],
               trainable: tuple[bool, ...] = (True,) * 3) -> tuple[list[Any], list[Any]]:
    """The expression's nodes in each engine; input i is a constant Value unless trainable[i]."""
    fast, ref = (expression.build_nodes([engine(x, f"x{i}", requires_grad=trainable[i]) for i, x in enumerate(xs)])
                 for engine in ENGINES)
    return fast, ref


def builtin_type(error: BaseException) -> type:
    """The builtin type of ``error``: the engine raises subclasses that carry a message id
    (a LocalizedValueError is a ValueError); the reference raises Python's own."""
    return next(kind for kind in type(error).__mro__ if kind.__module__ == "builtins")


def backward(node: Any, seed: float) -> type | None:
    """Run node.backward(seed); the (builtin) type of the error it raised, if any (a constant output raises)."""
    try:
        node.backward(seed)
    except ValueError as error:
        return builtin_type(error)
    return None


def constants_untouched(nodes: list[Any]) -> bool:
    """No constant, input or operand, holds a gradient, and each op node requires grad iff a parent does."""
    every = nodes + [p for n in nodes for p in n.parents]
    return (all(n.grad == 0.0 for n in every if not n.requires_grad)
            and all(n.requires_grad == any(p.requires_grad for p in n.parents) for n in every if n.op))


# --- the differential property: random expression DAGs through both engines ---------------------


ALL_TRAINABLE = (True, True, True)


@given(expressions(max_ops=10), st.floats(-4.0, 4.0, allow_subnormal=False), st.integers(0, 9),
       # Now and then an input is a constant Value (requires_grad=False), so that whole
       # subexpressions, or the output, are constants.
       st.tuples(*[st.sampled_from([True, True, True, False])] * 3))
# reuse: x * x gives x two uses in one node
@example(Sample(Expression(1, [("mul", 0, 0)]), (3.0,)), 1.0, 0, ALL_TRAINABLE)
# a diamond: x reaches the output along two paths (the README's example)
@example(Sample(Expression(1, [("add", 0, 1.0), ("mul", 2.0, 0), ("mul", 1, 2)]), (3.0,)), 1.0, 1, ALL_TRAINABLE)
# number constants on either side of every binary op
@example(Sample(Expression(1, [("sub", 1.5, 0), ("div", 2.0, 1), ("pow", 2.0, 2), ("pow", 3, 0.5),
                               ("mul", 4, -0.5), ("add", 5, 2.0)]), (0.75,)), -2.5, 3, ALL_TRAINABLE)
# a constant input: x0 * x1 needs a gradient, x1 ** 2 (constants only) records no graph
@example(Sample(Expression(2, [("mul", 0, 1), ("pow", 1, 2.0), ("add", 2, 3)]), (1.5, -3.0)), 1.0, 1,
         (True, False, True))
# Nodes with three uses whose gradient terms round differently when summed in another order:
# each caught a reference walk that visited parents first-to-last instead of last-to-first.
@example(Sample(Expression(3, [("add", 0, 2.0), ("neg", 3), ("add", 1, 0), ("sub", 5, 0), ("sigmoid", 4),
                               ("add", 7, 6)]), (0.0, 0.0, 0.0)), 1.0, 0, ALL_TRAINABLE)
@example(Sample(Expression(1, [("div", 0, 0), ("add", 0, -1.0), ("mul", 1, 2), ("add", 3, 3), ("add", 4, 4),
                               ("add", 5, 5)]), (3.0,)), 0.0, 2, ALL_TRAINABLE)
def test_reference_and_engine_agree_bit_for_bit_on_random_dags(
        sample: Sample, seed: float, pick: int, trainable: tuple[bool, ...]) -> None:
    expression, xs = sample
    target(float(expression.size), label="expression size")
    note(str(expression))
    fast, ref = build_both(expression, xs, trainable)
    assert state(ref) == state(fast), "forward pass"
    assert backward(ref[-1], seed) == backward(fast[-1], seed)
    assert state(ref) == state(fast), "first backward()"
    # Gradients accumulate: a second pass adds the same gradients again.
    assert backward(ref[-1], seed) == backward(fast[-1], seed)
    assert state(ref) == state(fast), "second backward()"
    # A pass from an inner op node: some nodes carry gradients from the passes above, some
    # (those outside its subgraph) are not touched.
    inner = expression.n_inputs + pick % expression.size
    assert backward(ref[inner], 1.0) == backward(fast[inner], 1.0)
    assert state(ref) == state(fast), f"backward() from node {inner}"
    assert constants_untouched(ref) and constants_untouched(fast)


@given(expressions(max_ops=10))
def test_both_engines_walk_op_nodes_in_the_same_order(sample: Sample) -> None:
    # The order decides how each node's gradient terms are summed (see the module docstring).
    expression, xs = sample
    target(float(expression.size), label="expression size")
    fast, ref = build_both(expression, xs)
    fast_ops, _ = backward_order(fast[-1])
    ref_ops = [n for n in reversed(reference.topological_order(ref[-1])) if n.op]
    position = {id(n): i for nodes in (fast, ref) for i, n in enumerate(nodes)}
    assert [position[id(n)] for n in ref_ops] == [position[id(n)] for n in fast_ops]


# --- every op, at any float, domain edges included ---------------------------------------------

any_float = st.floats(allow_subnormal=True) | st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 710.0, -1000.0])
forms = st.sampled_from(["value op value", "value op number", "number op value", "x op x"])


def run_op(engine: type, name: str, form: str, x: float, y: float) -> tuple[str, Any]:
    """Apply op ``name`` on engine's Values in the given form, backward; the outcome as comparable bits."""
    a, b = engine(x), engine(y)
    try:
        if OPS[name].arity == 1:
            out = Expression(1, [(name, 0)]).build([a])
        else:
            spec = {"value op value": (name, 0, 1), "value op number": (name, 0, y),
                    "number op value": (name, x, 1), "x op x": (name, 0, 0)}[form]
            out = Expression(2, [spec]).build([a, b])
    except (ArithmeticError, ValueError) as error:
        return "raised", builtin_type(error)
    out.backward()
    return "value", (out.data.hex(), a.grad.hex(), b.grad.hex())


@pytest.mark.parametrize("name", list(OPS))
@given(x=any_float, y=any_float, form=forms)
@example(x=0.0, y=0.0, form="value op value")
@example(x=-1.0, y=0.5, form="value op value")  # log(-1), (-1) ** 0.5
@example(x=0.0, y=-1.0, form="value op number")  # 0 ** -1, 0 / -1
@example(x=0.0, y=0.0, form="value op number")  # x ** 0 is the constant 1: its slope is 0, even at 0
@example(x=0.0, y=0.5, form="value op number")  # d/dx sqrt(x) at 0 is inf
@example(x=1e-300, y=-1.0, form="value op number")  # x ** (y - 1) overflows in the derivative
@example(x=-1e-120, y=-2.0, form="value op number")  # ... to -inf: a negative base and an odd y - 1
@example(x=710.0, y=2.0, form="value op value")  # exp overflows
@example(x=-1000.0, y=1000.0, form="value op value")  # sigmoid at both ends
@example(x=math.nan, y=1.0, form="value op value")
@example(x=-math.inf, y=0.5, form="value op number")  # the fast engine refuses (-inf) ** 0.5
@example(x=0.0, y=-math.inf, form="value op number")  # ... and 0 ** -inf
def test_every_op_agrees_at_any_float_or_raises_the_same_error(name: str, x: float, y: float, form: str) -> None:
    assert run_op(reference.Value, name, form, x, y) == run_op(Value, name, form, x, y)


# --- constants, errors, depth, cycles, the command -----------------------------------------------


def test_constants_get_no_gradient_and_their_local_derivative_is_never_computed() -> None:
    x = reference.Value(-3.0)
    y = x**2  # the exponent's local derivative would be 9·log(-3): it must not be computed
    y.rules = (y.rules[0], lambda: pytest.fail("the local derivative toward a constant was computed"))
    y.backward()
    two = y.parents[1]
    assert (two.requires_grad, two.grad, x.grad) == (False, 0.0, -6.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_an_op_on_constants_only_is_a_constant_and_backward_from_it_raises_value_error(engine: type) -> None:
    with pytest.raises(ValueError, match="constant"):
        engine(2.0, requires_grad=False).backward()
    product = engine(2.0, requires_grad=False) * 3
    assert (product.data, product.requires_grad, product.op, product.parents) == (6.0, False, "", ())
    with pytest.raises(ValueError, match="constant"):
        product.backward()


@pytest.mark.parametrize("bad", [True, "2", None, 1j, [1.0]])
def test_a_non_number_raises_type_error_in_both_engines(bad: object) -> None:
    for engine in ENGINES:
        with pytest.raises(TypeError):
            engine(bad)
        with pytest.raises(TypeError):
            engine(1.0) * bad  # type: ignore[operator]


def test_a_chain_150000_op_nodes_deep_runs_at_recursion_limit_1000() -> None:
    # micrograd's recursive walk fails about 1,000 nodes deep; the reference's walk is iterative.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        results = []
        for engine in ENGINES:
            x = engine(0.5)
            y = x
            for _ in range(50_000):
                y = (y * 0.999).tanh() + x  # two uses of x per step; 150,000 op nodes deep
            y.backward()
            results.append((y.data.hex(), x.grad.hex()))
    finally:
        sys.setrecursionlimit(limit)
    assert results[0] == results[1]


def test_a_reference_graph_is_freed_without_the_cyclic_gc() -> None:
    # The local-derivative rules refer to a node's inputs, never to the node itself (micrograd's
    # closures refer to `out`: a reference cycle per node), so reference counting frees a graph.
    gc.disable()
    try:
        x = reference.Value(2.0)
        y = (x * x).sigmoid() / 3 + x.exp()
        y.backward()
        output, inner = weakref.ref(y), weakref.ref(y.parents[0])
        del y
        assert output() is None and inner() is None
    finally:
        gc.enable()


def test_the_module_command_prints_the_apple_example() -> None:
    done = subprocess.run([sys.executable, "-m", "tinygrad_ko.reference"], capture_output=True, text=True,
                          check=True, timeout=60)
    # The same example on the fast engine gives the lines the command must print.
    apple, n, tax = Value(100, "apple"), Value(2, "n"), Value(1.1, "tax")
    orange, m = Value(150, "orange"), Value(3, "m")
    price = (apple * n + orange * m) * tax
    price.backward()
    expected = [f"price = {price.data}"] + [f"d price / d {v.label} = {v.grad}" for v in (apple, n, orange, m, tax)]
    assert done.stdout.splitlines() == expected
    assert "price = 715.0000000000001" in done.stdout  # the book's number, as IEEE doubles give it


def test_the_reference_stays_readable_in_five_minutes() -> None:
    # The budget: at most 150 lines, comments included.
    lines = (Path(reference.__file__).read_text(encoding="utf-8")).splitlines()
    assert len(lines) <= 150, f"reference.py has {len(lines)} lines"
