"""vectorize(): the traced program against the scalar engine run sample by sample.

The oracle is the scalar engine itself (``Value`` and ``backward()``), one fresh
graph per sample.  The two compute the same expression with the same rules but
not always the same bits: numpy's exp, log, tanh and power are its own SIMD code
(measured on the development machine against :mod:`math`: exp, log and power
within 1 ulp, tanh within 3), and batch sums are added in another order.  So the
comparisons use a bound derived per sample by running error analysis over the
scalar graph (see :func:`reference`), not a fixed tolerance:

* every op's result is taken to carry a relative error of at most ``K`` ulps
  (``K = 4`` covers numpy's 3 and math's 1, with rounding);
* a node's forward error is what its inputs' errors become through its local
  derivatives, plus its own ``K`` ulps (first-order propagation);
* a local derivative's error is how much it moves when its arguments move by
  their forward errors (the float rule evaluated at the corners), plus ``K``
  ulps; each product and each sum of the reverse pass adds one rounding error
  of ``eps·|term|``.

Both the engine and the program are within that bound of the exact result, so
they are within twice it of each other; first-order analysis drops terms of
order ``(K·eps)²·condition``, for which a further factor 2 leaves room.  Hence
``|vectorized - scalar| <= 4 · bound``.
"""

from __future__ import annotations

import gc
import itertools
import math
import threading
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from hypothesis import given, settings, target
from hypothesis import strategies as st

from tinygrad_ko import Value, grad, topological_order, vectorize
from tinygrad_ko.ops import FLOATS, OPS
from tinygrad_ko.testing import expressions
from tinygrad_ko.vectorize import ARRAYS, DEFAULT_CHUNK_SIZE

EPS = 2.0**-52
K = 4.0  # ulps per op result (see the module docstring)
SLACK = 4.0  # both sides within the bound (2), first-order analysis (2)


# -- the scalar reference and its error bound ------------------------------------------

class Reference:
    """One sample through the scalar engine: the output, every leaf's gradient, and their error bounds."""

    def __init__(self, output: float, grads: list[float], output_bound: float, grad_bounds: list[float],
                 grad_magnitudes: list[float]) -> None:
        self.output, self.grads = output, grads
        self.output_bound, self.grad_bounds, self.grad_magnitudes = output_bound, grad_bounds, grad_magnitudes


def _local_error(name: str, position: int, args: Sequence[float], out: float, errors: Sequence[float]) -> float:
    """How far the op's float local derivative moves when its arguments and output move by their errors."""
    rule = FLOATS_LOCALS[name][position]
    exact = rule(*args, out)
    worst = 0.0
    for signs in itertools.product((-1.0, 1.0), repeat=len(args) + 1):
        moved = [a + s * e for a, s, e in zip((*args, out), signs, (*errors, errors[-1]), strict=False)]
        worst = max(worst, abs(rule(*moved) - exact))
    return worst + K * EPS * abs(exact)


FLOATS_LOCALS = {name: op.local_for(FLOATS) for name, op in OPS.items()}


#: Builds a graph on a list of leaves: Expression.build, or a derivative of one.
Build = Callable[[Sequence[Value]], Value]


def reference(build: Build, row: Sequence[float]) -> Reference:
    """Run the graph ``build`` makes on one row with the scalar engine and bound the error of each result."""
    leaves = [Value(x) for x in row]
    out = build(leaves)
    if out.requires_grad:  # a derivative can be a constant (d(x + x)/dx = 2): nothing to backpropagate
        out.backward()
    nodes = topological_order(out)  # outputs first
    forward_error: dict[Value, float] = {}
    for v in reversed(nodes):  # inputs first
        if not v.op:
            forward_error[v] = 0.0
            continue
        locals_ = OPS[v.op].local_derivatives([p.data for p in v.parents], v.data)
        # A constant or an input is exact (error 0), and the local derivative toward a
        # constant may be NaN (x ** 2.0 at x < 0 has no real d/dy): it is not read.
        forward_error[v] = sum(abs(d) * forward_error[p] for d, p in zip(locals_, v.parents, strict=True)
                               if forward_error[p]) + K * EPS * abs(v.data)
    error: dict[Value, float] = defaultdict(float)  # of each node's gradient, before its own sum's rounding
    magnitude: dict[Value, float] = defaultdict(float)  # sum of |contributions| into each node's gradient
    count: dict[Value, int] = defaultdict(int)
    for v in nodes:
        if not v.op:
            continue
        g = v.grad
        dg = 0.0 if v is out else error[v] + count[v] * EPS * magnitude[v]
        args = [p.data for p in v.parents]
        errors = [forward_error[p] for p in v.parents] + [forward_error[v]]
        locals_ = OPS[v.op].local_derivatives(args, v.data)
        for position, (p, d) in enumerate(zip(v.parents, locals_, strict=True)):
            if not p.requires_grad:
                continue
            dl = _local_error(v.op, position, args, v.data, errors)
            error[p] += dl * abs(g) + abs(d) * dg + EPS * abs(d * g)
            magnitude[p] += abs(d * g)
            count[p] += 1
    grad_bounds = [error[x] + count[x] * EPS * magnitude[x] for x in leaves]
    return Reference(out.data, [x.grad for x in leaves], forward_error[out], grad_bounds,
                     [magnitude[x] for x in leaves])


def assert_close(got: float, want: float, bound: float, what: str) -> None:
    if math.isnan(want):
        assert math.isnan(got), f"{what}: {got} where the scalar engine gives NaN"
        return
    assert abs(got - want) <= SLACK * bound + 1e-300, (
        f"{what}: vectorized {got!r}, scalar {want!r}, difference {abs(got - want):.3g} > {SLACK} x bound {bound:.3g}")


# -- the property: every result equals the scalar engine's, sample by sample ------------

def _rows(build: Build, centre: Sequence[float], varying: Sequence[int], n: int,
          seed: int) -> list[list[float]]:
    """``n`` rows near ``centre`` (moved only in the varying coordinates), each one the scalar engine can run."""
    rng = np.random.default_rng(seed)
    rows = [list(centre)]
    for _ in range(40 * n):
        if len(rows) == n:
            break
        row = list(centre)
        for i in varying:
            row[i] += 1e-3 * max(1.0, abs(row[i])) * rng.uniform(-1.0, 1.0)
        try:
            build([Value(x) for x in row])
        except (ArithmeticError, ValueError):
            continue
        rows.append(row)
    while len(rows) < n:  # the centre always works
        rows.append(list(centre))
    return rows


def check_against_scalar(build: Build, centre: Sequence[float], varying: Sequence[int], n: int,
                         seed: int, broadcast: bool, chunk_size: int) -> None:
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(centre)]
    f = vectorize(build(leaves), [leaves[i] for i in varying], chunk_size=chunk_size)
    parameters = [i for i in range(len(centre)) if i not in varying]
    rows = _rows(build, centre, varying, n, seed)
    if broadcast and varying:  # the first input is passed as one number, used for every sample
        for row in rows:
            row[varying[0]] = centre[varying[0]]
    columns: list[object] = [np.array([row[i] for row in rows]) for i in varying]
    if broadcast and varying:
        columns[0] = centre[varying[0]]
    if not any(isinstance(c, np.ndarray) for c in columns):
        n, rows = 1, rows[:1]  # numbers only (or no input at all): one sample
    refs = [reference(build, row) for row in rows]

    outputs = f(*columns)
    grads = f.grad(*columns)
    assert outputs.shape == (n,) and all(g.shape == (n,) for g in grads)
    for k, ref in enumerate(refs):
        assert_close(float(outputs[k]), ref.output, ref.output_bound, f"output of sample {k}")
        for j, i in enumerate(varying):
            assert_close(float(grads[j][k]), ref.grads[i], ref.grad_bounds[i], f"d out/d x{i}, sample {k}")

    assert all(leaf.grad == 0.0 for leaf in leaves)  # f() and f.grad() touch no .grad
    again = f.backward(*columns)
    np.testing.assert_array_equal(again, outputs)  # the same program: the same bits
    for i in parameters:
        want = math.fsum(ref.grads[i] for ref in refs)
        # Each side sums n per-sample gradients in its own order: n·eps·sum|terms| more.
        bound = sum(ref.grad_bounds[i] + n * EPS * ref.grad_magnitudes[i] for ref in refs)
        assert_close(leaves[i].grad, want, bound, f"parameter x{i}'s gradient summed over {n} samples")
    for i in varying:
        assert leaves[i].grad == 0.0  # backward() adds to the parameters only


@settings(max_examples=200)
@given(sample=expressions(), data=st.data())
def test_every_result_equals_the_scalar_engine_sample_by_sample(sample: object, data: st.DataObject) -> None:
    expression, xs = sample  # type: ignore[misc]
    target(float(expression.size))  # steer the run toward larger graphs (half the draws are one op)
    varying = data.draw(st.lists(st.sampled_from(range(len(xs))), unique=True, max_size=len(xs)), label="inputs")
    check_against_scalar(
        expression.build, xs, varying,
        n=data.draw(st.sampled_from([1, 2, 5, 33]), label="n"),
        seed=data.draw(st.integers(0, 2**32 - 1), label="seed"),
        broadcast=data.draw(st.booleans(), label="broadcast"),
        chunk_size=data.draw(st.sampled_from([DEFAULT_CHUNK_SIZE, 2, 3]), label="chunk_size"),
    )


@pytest.mark.parametrize("name", list(OPS))
@settings(max_examples=20)
@given(data=st.data())
def test_each_op_equals_the_scalar_engine(name: str, data: st.DataObject) -> None:
    expression, xs = data.draw(expressions(ops=[name], max_ops=4), label="sample")
    check_against_scalar(expression.build, xs, list(range(len(xs))), n=data.draw(st.sampled_from([1, 7]), label="n"),
                         seed=data.draw(st.integers(0, 2**32 - 1), label="seed"), broadcast=False,
                         chunk_size=DEFAULT_CHUNK_SIZE)


@settings(max_examples=60)
@given(sample=expressions(max_ops=5), data=st.data())
def test_a_derivative_graph_from_grad_with_create_graph_vectorizes(sample: object, data: st.DataObject) -> None:
    # grad(..., create_graph=True) gives the derivative as a graph of the op table's
    # ops: vectorized, its output is dy/dx0 per sample and f.grad the hessian's row.
    expression, xs = sample  # type: ignore[misc]

    def derivative(leaves: Sequence[Value]) -> Value:
        out: Value = grad(expression.build(leaves), leaves[0], create_graph=True)
        return out

    check_against_scalar(derivative, xs, list(range(len(xs))), n=data.draw(st.sampled_from([1, 6]), label="n"),
                         seed=data.draw(st.integers(0, 2**32 - 1), label="seed"), broadcast=False,
                         chunk_size=DEFAULT_CHUNK_SIZE)


def test_second_derivatives_of_a_quartic_per_sample() -> None:
    x = Value(2.0, label="x")
    f = vectorize(grad(x**4 - 2 * x**2, x, create_graph=True), [x])  # 4x³ - 4x, then 12x² - 4
    xs = np.array([-2.0, -1.0, 0.0, 0.5, 2.0])
    np.testing.assert_array_equal(f(xs), 4 * xs**3 - 4 * xs)  # small integers and halves: exact
    np.testing.assert_array_equal(f.grad(xs)[0], 12 * xs**2 - 4)


def test_ieee_ops_give_the_same_bits_as_the_float_rules() -> None:
    # + - * / and relu are IEEE 754 operations in numpy as in Python: no ulp to allow.
    rng = np.random.default_rng(7)
    x, y = rng.normal(0.0, 10.0, 1000), rng.normal(0.0, 10.0, 1000)
    x[:3] = [-0.0, 0.0, np.nan]
    for name in ("add", "sub", "mul", "div", "neg", "relu"):
        op = OPS[name]
        args = (x,) if op.arity == 1 else (x, y)
        got = op.forward_for(ARRAYS)(*args)
        want = np.array([op.forward(*map(float, column)) for column in zip(*args, strict=True)])
        np.testing.assert_array_equal(got, want, err_msg=name)
        assert np.array_equal(np.signbit(got), np.signbit(want)), name


# -- batch shapes, parameters, constants ----------------------------------------------

def mlp_and_inputs() -> tuple[Value, Value, Value, list[Value]]:
    x1, x2 = Value(0.5, label="x1"), Value(-0.5, label="x2")
    w = [Value(v, label=f"w{i}") for i, v in enumerate((0.3, -0.7, 1.1, 0.4, -0.2))]
    h1 = (w[0] * x1 + w[1] * x2 + 0.1).tanh()
    h2 = (w[2] * x1 - w[3] * x2).relu()
    return h1 * w[4] + h2.sigmoid(), x1, x2, w


def test_one_sample_and_numbers_broadcast() -> None:
    y, x1, x2, _w = mlp_and_inputs()
    f = vectorize(y, [x1, x2])
    assert f(np.array([0.5]), np.array([-0.5])).shape == (1,)
    assert f(np.array([0.5]), np.array([-0.5]))[0] == y.data  # the traced sample: the same number
    assert f(0.5, -0.5).shape == (1,)  # numbers only: one sample
    np.testing.assert_array_equal(f(np.array([0.5, 0.5]), -0.5), f(np.array([0.5, 0.5]), np.array([-0.5, -0.5])))
    assert f(np.array([]), np.array([])).shape == (0,)
    gs = f.grad([1, 2, 3], [4, 5, 6])  # lists and ints are columns too
    assert [g.shape for g in gs] == [(3,), (3,)]


def test_an_input_the_output_does_not_use_gets_zeros() -> None:
    x, unused = Value(1.0), Value(2.0)
    f = vectorize(x * 3.0, [x, unused])
    dx, dunused = f.grad(np.array([1.0, 2.0]), np.array([5.0, 6.0]))
    np.testing.assert_array_equal(dx, [3.0, 3.0])
    np.testing.assert_array_equal(dunused, [0.0, 0.0])


def test_an_input_that_does_not_require_grad_gets_zeros_as_in_backward() -> None:
    x, w = Value(1.0, requires_grad=False), Value(2.0)
    y = w * x
    f = vectorize(y, [x])
    (dx,) = f.grad(np.array([1.0, 2.0]))
    y.backward()
    assert x.grad == 0.0  # the scalar engine leaves it alone ...
    np.testing.assert_array_equal(dx, [0.0, 0.0])  # ... and so does vectorize


def test_output_that_is_an_input_a_parameter_or_made_of_parameters() -> None:
    x, w = Value(1.0), Value(3.0)
    f = vectorize(x, [x])
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [1.0, 2.0])
    np.testing.assert_array_equal(f.grad(np.array([1.0, 2.0]))[0], [1.0, 1.0])
    g = vectorize((w * w).exp(), [x])  # the output does not depend on x
    np.testing.assert_array_equal(g(np.array([1.0, 2.0, 3.0])), [math.exp(9.0)] * 3)
    g.backward(np.array([1.0, 2.0, 3.0]))
    assert w.grad == pytest.approx(3 * 2 * 3.0 * math.exp(9.0), rel=4 * EPS)  # three samples of 2w·exp(w²)


def test_parameters_are_read_at_each_call_and_constants_are_captured() -> None:
    x, w = Value(1.0), Value(2.0)
    c = Value(10.0, requires_grad=False)
    f = vectorize(w * x + c, [x])
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [12.0, 14.0])
    w.data = 5.0  # as optimizer.step() does
    c.data = 0.0  # a constant is a constant: captured when traced
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [15.0, 20.0])
    assert f.parameters == (w,) and f.inputs == (x,)


def test_backward_accumulates_like_backward_on_the_sum() -> None:
    y, x1, x2, w = mlp_and_inputs()
    X = np.random.default_rng(1).uniform(-1.0, 1.0, (50, 2))
    f = vectorize(y, [x1, x2])
    f.backward(X[:, 0], X[:, 1])
    once = [p.grad for p in w]
    f.backward(X[:, 0], X[:, 1])
    assert [p.grad for p in w] == [2 * g for g in once]  # x + x == 2x exactly
    assert x1.grad == 0.0 and x2.grad == 0.0
    # The sum of the 50 scalar graphs, backward() once.
    for p in w:
        p.grad = 0.0
    samples = []
    for a, b in X:
        u1, u2 = Value(a), Value(b)
        samples.append(y_of(w, u1, u2))
    total = samples[0]
    for s in samples[1:]:
        total = total + s
    total.backward()
    for p, g in zip(w, once, strict=True):
        # 50 samples' gradients of size <= ~1 summed in two orders: 50·eps·sum|terms| <= 1e-13.
        assert p.grad == pytest.approx(g, rel=1e-12, abs=1e-13)


def y_of(w: list[Value], x1: Value, x2: Value) -> Value:
    h1 = (w[0] * x1 + w[1] * x2 + 0.1).tanh()
    h2 = (w[2] * x1 - w[3] * x2).relu()
    return h1 * w[4] + h2.sigmoid()


def test_results_are_new_arrays_and_columns_are_never_written() -> None:
    y, x1, x2, _ = mlp_and_inputs()
    f = vectorize(y, [x1, x2])
    a, b = np.array([0.1, 0.2, 0.3]), np.array([0.4, 0.5, 0.6])
    a0, b0 = a.copy(), b.copy()
    first = f(a, b)
    kept = first.copy()
    f(b, a)
    np.testing.assert_array_equal(first, kept)
    grads = f.grad(a, b)
    kept_grads = [g.copy() for g in grads]
    f.grad(b, a)
    for g, k in zip(grads, kept_grads, strict=True):
        np.testing.assert_array_equal(g, k)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)


def test_strided_and_integer_columns() -> None:
    y, x1, x2, _ = mlp_and_inputs()
    f = vectorize(y, [x1, x2])
    X = np.random.default_rng(2).uniform(-1.0, 1.0, (20, 2))
    np.testing.assert_array_equal(f(X[:, 0], X[:, 1]), f(X[:, 0].copy(), X[:, 1].copy()))
    np.testing.assert_array_equal(f(np.arange(3), np.arange(3)), f(np.arange(3.0), np.arange(3.0)))
    np.testing.assert_array_equal(f(np.arange(3, dtype=np.float32), 1), f(np.arange(3.0), 1.0))


def test_chunks_give_the_same_bits_as_one_pass() -> None:
    y, x1, x2, _w = mlp_and_inputs()
    X = np.random.default_rng(3).uniform(-1.0, 1.0, (1001, 2))
    whole, chunked = vectorize(y, [x1, x2]), vectorize(y, [x1, x2], chunk_size=100)
    np.testing.assert_array_equal(whole(X[:, 0], X[:, 1]), chunked(X[:, 0], X[:, 1]))
    for a, b in zip(whole.grad(X[:, 0], X[:, 1]), chunked.grad(X[:, 0], X[:, 1]), strict=True):
        np.testing.assert_array_equal(a, b)


def test_buffers_are_reused_between_calls_of_the_same_size() -> None:
    y, x1, x2, _ = mlp_and_inputs()
    f = vectorize(y, [x1, x2])
    n = 20_000
    X = np.random.default_rng(4).uniform(-1.0, 1.0, (n, 2))
    gc.collect()
    tracemalloc.start()
    try:
        f.backward(X[:, 0], X[:, 1])
        first = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        f.backward(X[:, 0], X[:, 1])
        second = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    # The second call allocates its outputs (n floats) and a few temporaries of one
    # chunk (numpy's results of the rules that make new arrays), not its arrays again.
    chunk = -(-n // -(-n // DEFAULT_CHUNK_SIZE)) * 8  # bytes in one of the equal chunks
    assert second <= n * 8 + 8 * chunk, (first, second)
    assert first > second + 10 * chunk


def test_a_deep_chain_runs_at_the_default_recursion_limit() -> None:
    x = Value(1.0)
    y = x
    for _ in range(20_000):
        y = (y * 1.0001 + 0.5).relu()
    f = vectorize(y, [x])
    ys = f(np.array([1.0, 2.0]))
    assert ys[0] == y.data
    (dx,) = f.grad(np.array([1.0, 2.0]))
    y.backward()
    assert dx[0] == pytest.approx(x.grad, rel=1e-12)  # 40,000 roundings of size eps on a product of 1.0001s


def test_calls_from_two_threads_are_serialised() -> None:
    y, x1, x2, _ = mlp_and_inputs()
    f = vectorize(y, [x1, x2])
    X = np.random.default_rng(5).uniform(-1.0, 1.0, (5000, 2))
    want = f(X[:, 0], X[:, 1])
    results: list[np.ndarray] = []

    def work() -> None:
        for _ in range(20):
            results.append(f(X[:, 0], X[:, 1]))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, want)


# -- domain errors: as the scalar engine, naming the first bad sample --------------------

def scalar_error(build: object, x: float) -> BaseException:
    with pytest.raises((ArithmeticError, ValueError)) as info:
        build(Value(x))  # type: ignore[operator]
    return info.value


@pytest.mark.parametrize(("build", "bad", "error"), [
    (lambda x: x.log(), -3.0, ValueError),
    (lambda x: x.log(), 0.0, ValueError),
    (lambda x: 1.0 / x, 0.0, ZeroDivisionError),
    (lambda x: x.exp(), 1000.0, OverflowError),
    (lambda x: x ** 0.5, -2.0, ValueError),
    (lambda x: x ** -1.0, 0.0, ZeroDivisionError),
    (lambda x: x ** 3.0, 1e200, OverflowError),
])
def test_a_domain_error_names_the_first_bad_sample(build: object, bad: float, error: type[Exception]) -> None:
    x = Value(1.0)
    f = vectorize(build(x), [x])  # type: ignore[operator]
    column = np.array([1.0, 2.0, bad, 3.0, bad])
    with pytest.raises(error) as info:
        f(column)
    assert str(info.value) == f"{scalar_error(build, bad)} [sample 2 of 5]"


def test_the_sample_is_counted_in_the_whole_batch_across_chunks() -> None:
    x = Value(1.0)
    f = vectorize(x.log(), [x], chunk_size=4)
    column = np.ones(10)
    column[9] = -1.0
    with pytest.raises(ValueError, match=r"got -1\.0 .*\[sample 9 of 10\]$"):
        f(column)


def test_a_failed_backward_changes_no_grad() -> None:
    x, w = Value(1.0), Value(2.0)
    f = vectorize((w * x).log(), [x], chunk_size=2)
    w.grad = 0.5
    with pytest.raises(ValueError, match=r"\[sample 5 of 6\]"):
        f.backward(np.array([1.0, 2.0, 3.0, 4.0, 5.0, -1.0]))
    assert w.grad == 0.5


def test_non_finite_values_pass_where_the_scalar_engine_passes_them() -> None:
    x = Value(1.0)
    f = vectorize(x.exp() + x.log(), [x])
    out = f(np.array([np.inf, np.nan, 1.0]))
    assert out[0] == math.inf and math.isnan(out[1]) and out[2] == math.e
    with pytest.raises(ValueError, match=r"got -inf .*\[sample 0 of 1\]"):
        f(np.array([-np.inf]))  # log(-inf) raises in the scalar engine too


# -- bad arguments -------------------------------------------------------------------------

def test_bad_outputs_and_inputs_say_what_to_pass() -> None:
    x = Value(1.0, label="x")
    y = x * 2.0
    with pytest.raises(TypeError, match=r"output must be a Value, got 3\.0"):
        vectorize(3.0, [x])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"one output at a time, e\.g\. vectorize\(outputs\[0\], inputs\)"):
        vectorize([y, y], [x])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"inputs must be a list of Values.*vectorize\(y, \[x\]\)"):
        vectorize(y, x)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="input 0 must be a Value"):
        vectorize(y, [1.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"input 0 \(no label\) was made by 'mul', so it is not a leaf"):
        vectorize(y * 3.0, [y])
    with pytest.raises(ValueError, match=r"input 1 \(x\) is listed twice"):
        vectorize(y, [x, x])
    with pytest.raises(ValueError, match=r"chunk_size=\.\.\.\) must be an int >= 1, got 0"):
        vectorize(y, [x], chunk_size=0)


def test_bad_columns_say_what_to_pass() -> None:
    x1, x2 = Value(1.0, label="x1"), Value(2.0, label="x2")
    f = vectorize(x1 * x2, [x1, x2])
    with pytest.raises(TypeError, match=r"expected 2 columns, one per input \(x1, x2\), got 1"):
        f(np.ones(3))
    with pytest.raises(TypeError, match="expected 2 columns"):
        f.grad(np.ones(3), np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"different lengths \[3, 4\]"):
        f(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match=r"must be 1-D .*got shape \(3, 2\).*f\(X\[:, 0\], X\[:, 1\]\)"):
        f(np.ones((3, 2)), np.ones(3))
    with pytest.raises(TypeError, match=r"column 0 \(input x1\) must hold real numbers, got dtype bool"):
        f(np.array([True, False]), np.ones(2))
    with pytest.raises(TypeError, match="complex"):
        f(np.ones(2) * 1j, np.ones(2))
    with pytest.raises(TypeError, match="convert the text first"):
        f(np.array(["1", "2"]), np.ones(2))
    with pytest.raises(TypeError, match=r"column 1 \(input x2\) is a Value"):
        f(np.ones(2), x2)
    with pytest.raises(TypeError, match=r"column 0 \(input x1\) needs a real number, got Value"):
        f(np.array([x1, x2], dtype=object), np.ones(2))
    with pytest.raises(ValueError, match="not an array of numbers"):
        f([[1.0, 2.0], [3.0]], np.ones(2))


def test_the_train_commands_scores_equal_the_models_own_forward_passes() -> None:
    # training.scores (the decision-boundary grid, the accuracies) runs the model through
    # vectorize; an MLP of + * relu gives the scalar engine's numbers bit for bit.
    from tinygrad_ko import nn, no_grad
    from tinygrad_ko.train.recipes import scores

    X = np.random.default_rng(6).uniform(-2.0, 2.0, (50, 2))
    for outputs in (1, 3):
        model = nn.MLP(2, [8, 8, outputs], seed=1)
        want = np.array([[v.data for v in out] if isinstance(out, list) else out.data
                         for out in (model(row) for row in X.tolist())])
        np.testing.assert_array_equal(scores(model, X), want)
        with no_grad():  # no graph to trace there: row by row, the same numbers
            np.testing.assert_array_equal(scores(model, X), want)


# -- issue 25: threads, frozen parameters, sqrt, the first failing sample, the view cache, columns ----

def test_backward_adds_to_parameters_under_the_engine_lock() -> None:
    from tinygrad_ko.engine import _backward_lock

    x, w = Value(0.0, label="x"), Value(2.0, label="w")
    f = vectorize(w * x, [x])
    worker = threading.Thread(target=lambda: f.backward(np.array([1.0, 2.0])))
    with _backward_lock:
        worker.start()
        worker.join(timeout=0.5)
        assert worker.is_alive() and w.grad == 0.0  # waiting for the lock, not adding
    worker.join(timeout=60)
    assert w.grad == 3.0


def test_backward_from_several_threads_loses_no_contribution() -> None:
    import sys

    x, w = Value(0.0, label="x"), Value(2.0, label="w")
    f = vectorize(w * x + w, [x])
    column = np.array([1.0, 2.0, 3.0])  # each call adds 1+2+3 + 3 = 9 to w.grad (exact integers)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # 1,065 of 3,000 contributions were lost at this interval
    try:
        threads = [threading.Thread(target=lambda: [f.backward(column) for _ in range(300)]) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        sys.setswitchinterval(interval)
    assert w.grad == 4 * 300 * 9.0


def test_backward_changes_no_grad_when_one_cannot_be_added() -> None:
    x, a, b = Value(0.0, label="x"), Value(2.0, label="a"), Value(3.0, label="b")
    f = vectorize(a * x + b * x, [x])
    a.grad, b.grad = 1.0, "not a number"  # type: ignore[assignment]
    with pytest.raises(TypeError):
        f.backward(np.array([1.0]))
    assert a.grad == 1.0 and b.grad == "not a number"


def test_a_parameter_frozen_after_tracing_gets_no_gradient() -> None:
    x, w = Value(0.0, label="x"), Value(2.0, label="w")
    f = vectorize(w * x, [x])
    w.requires_grad = False  # as the scalar engine would see it now
    f.backward(np.array([1.0, 2.0]))
    y = w * Value(1.0)
    y.backward()
    assert w.grad == 0.0  # was 3.0
    w.requires_grad = True
    f.backward(np.array([1.0, 2.0]))
    assert w.grad == 3.0


def test_grad_reads_the_inputs_requires_grad_at_call_time() -> None:
    x = Value(0.0, label="x")
    f = vectorize(x * x, [x])
    assert f.grad(np.array([3.0]))[0].tolist() == [6.0]
    x.requires_grad = False
    assert f.grad(np.array([3.0]))[0].tolist() == [0.0]


def test_a_constant_given_requires_grad_after_tracing_is_refused() -> None:
    x, c = Value(0.0, label="x"), Value(2.0, label="c", requires_grad=False)
    f = vectorize(c * x, [x])
    c.requires_grad = True
    with pytest.raises(ValueError, match=r"the constant c was given requires_grad=True after tracing.*vectorize"):
        f.backward(np.array([1.0]))


def test_square_root_by_power_equals_the_scalar_engine_at_minus_inf_and_minus_zero() -> None:
    # numpy computes x ** 0.5 as sqrt(x): nan at -inf and -0.0 at -0.0; pow (and the scalar
    # engine) give inf and 0.0.
    x = Value(1.0, label="x")
    f = vectorize(x**0.5, [x])
    column = np.array([-np.inf, -0.0, 0.0, 4.0, np.inf])
    scalar = [(Value(v) ** 0.5).data for v in column]
    assert [float(v).hex() for v in f(column)] == [v.hex() for v in scalar] == [
        math.inf.hex(), (0.0).hex(), (0.0).hex(), (2.0).hex(), math.inf.hex()]
    # ... and the slope of x ** 1.5, whose x ** 0.5 runs on arrays in the reverse pass.
    g = vectorize(x**1.5, [x]).grad(np.array([-0.0, 4.0]))[0]
    want = []
    for v in (-0.0, 4.0):
        leaf = Value(v)
        (leaf**1.5).backward()
        want.append(leaf.grad)
    assert [float(v).hex() for v in g] == [v.hex() for v in want]


def test_the_domain_error_names_the_first_failing_sample_whatever_the_op() -> None:
    # Sample 1 fails at the log, sample 3 at the division before it in the program: a loop over the
    # samples raises for sample 1 (the log), not sample 3 (the first failure of the first failing op).
    x = Value(1.0, label="x")
    f = vectorize(1.0 / (x - 3.0) + (x + 5.0).log(), [x])
    column = np.array([0.0, -7.0, 1.0, 3.0])
    with pytest.raises(ValueError, match=r"^log: .*\[sample 1 of 4\]$") as caught:
        f(column)
    def scalar_loop() -> None:
        for v in column:
            1.0 / (Value(v) - 3.0) + (Value(v) + 5.0).log()

    with pytest.raises(ValueError) as scalar:  # noqa: PT011  # the scalar loop's first failure: sample 1's log
        scalar_loop()
    assert str(caught.value).startswith(str(scalar.value))


def test_the_views_kept_per_batch_size_are_bounded() -> None:
    x = Value(0.0, label="x")
    y = x
    for _ in range(200):
        y = (y * 1.001 + x).relu()
    f = vectorize(y, [x])
    f(np.ones(2000))  # the arrays at their largest
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(1, 1001):
            f(np.ones(n))
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # One batch size's views are ~400 array views of ~100 bytes: 40 kB.  Kept for all 1,000 sizes
    # they were ~40 MB; a bounded cache holds a few sizes' worth (1 MB is 25 of them).
    assert grown < 1_000_000, grown


def test_a_number_column_too_large_for_int64_or_a_fraction_is_a_number() -> None:
    from fractions import Fraction

    x = Value(0.0, label="x")
    f = vectorize(x * 1.0, [x])
    assert f(2**70).tolist() == [float(2**70)]  # as Value(2**70)
    assert f(Fraction(1, 4)).tolist() == [0.25]
    assert f(np.array([2**70, Fraction(1, 2)], dtype=object)).tolist() == [float(2**70), 0.5]
    with pytest.raises(ValueError, match="too large for a float"):
        f(10**400)
    with pytest.raises(TypeError, match="needs a real number"):
        f(np.array(["a"], dtype=object))


def test_a_masked_column_is_refused() -> None:
    x = Value(0.0, label="x")
    f = vectorize(x * 1.0, [x])
    with pytest.raises(TypeError, match=r"masked array.*compressed\(\).*filled"):
        f(np.ma.masked_array([1.0, 2.0], mask=[False, True]))
