"""grad(), hessian() and gradgradcheck(): higher-order derivatives built from the op table's own rules."""

from __future__ import annotations

import gc
import math
import sys
import weakref
from collections.abc import Callable
from fractions import Fraction

import pytest
from hypothesis import given, note, target

from tinygrad_ko import OPS, Value, explain, grad, gradgradcheck, hessian, no_grad, to_dot, topological_order
from tinygrad_ko.functional import VALUES
from tinygrad_ko.graph import reachable
from tinygrad_ko.numerical import default_step
from tinygrad_ko.testing import Expression, expressions

EPS = sys.float_info.epsilon


# -- exact small cases -------------------------------------------------------------

def test_the_quartic_of_the_issue() -> None:
    x = Value(2.0, label="x")
    y = x**4 - 2 * x**2
    gx = grad(y, x, create_graph=True)
    # 4x³ - 4x and 12x² - 4 at x = 2: small integers, exact in floats.
    assert gx.data == 24.0 and gx.op != "" and gx.requires_grad
    assert grad(gx, x).data == 44.0
    assert x.grad == 0.0 and y.grad == 0.0  # grad() wrote no .grad
    gx.backward()  # DeZero's habit: backpropagate the derivative itself
    assert x.grad == 44.0


def test_double_backprop_dezero_step_36() -> None:
    x = Value(2.0, label="x")
    y = x**2
    gx = grad(y, x, create_graph=True)
    z = gx**3 + y  # (2x)³ + x² = 8x³ + x²: dz/dx = 24x² + 2x = 100 at x = 2
    z.backward()
    assert x.grad == 100.0


def test_hessian_of_the_issue() -> None:
    x, z = Value(2.0, label="x"), Value(3.0, label="z")
    h = hessian(x * x * z, [x, z])
    assert h == [[6.0, 4.0], [4.0, 0.0]]
    assert all(type(v) is float for row in h for v in row)
    assert hessian(x * x * z, x) == [[6.0]]  # one Value: a 1×1 matrix


def test_results_shape_and_order() -> None:
    x, y, unused = Value(3.0), Value(4.0), Value(5.0)
    out = x * y + x
    gx = grad(out, x)
    assert isinstance(gx, Value) and gx.data == 5.0 and gx.op == "" and gx.requires_grad  # a leaf
    both = grad(out, (y, unused, x))
    assert isinstance(both, tuple) and [g.data for g in both] == [3.0, 0.0, 5.0]
    assert both[1].op == "" and both[1].data == 0.0  # not depended on: Value(0.0)
    assert grad(out, [unused], create_graph=True)[0].data == 0.0


def test_grad_output_scales_like_backward_seed() -> None:
    x = Value(1.5)
    y = (x * x).tanh()
    y.backward(2.5)
    assert grad(y, x, grad_output=2.5).data == x.grad
    assert grad(y, x, grad_output=2.5, create_graph=True).data == x.grad


def test_output_as_its_own_input_and_intermediate_inputs() -> None:
    x = Value(2.0)
    assert grad(x, x).data == 1.0
    t = x * x
    y = t.exp()
    gt, gx = grad(y, [t, x], create_graph=True)
    assert gt.data == math.exp(4.0)  # dy/dt = exp(t)
    assert gx.data == math.exp(4.0) * 4.0  # dy/dx = exp(x²)·2x
    assert grad(gt, x).data == pytest.approx(math.exp(4.0) * 4.0, rel=4 * EPS)


def test_a_constant_output_has_zero_derivatives() -> None:
    x = Value(2.0)
    first = grad(3.0 * x, x, create_graph=True)  # 3, made of constants only
    assert first.data == 3.0 and not first.requires_grad
    assert grad(first, x).data == 0.0
    assert hessian(3.0 * x, [x]) == [[0.0]]
    with no_grad():
        y = x * x
    assert grad(y, x).data == 0.0


def test_each_result_is_its_own_node() -> None:
    # Both sides of an ADD receive the same upstream gradient: each input still gets its own Value.
    x, y, z = Value(1.0), Value(2.0), Value(3.0)
    gx, gy = grad((x + y) * z, [x, y], create_graph=True)
    assert gx is not gy and gx.data == gy.data == 3.0
    gx.label = "gx"
    assert gy.label == ""
    gx2, gy2 = grad(x + y, [x, y], create_graph=True)
    assert gx2 is not gy2
    # grad of x*y with respect to x is y: a new node computing it, not the input y itself.
    g = grad(x * y, x, create_graph=True)
    assert g is not y and g.data == 2.0 and grad(g, y).data == 1.0


def test_the_seed_1_adds_no_multiplication_nodes() -> None:
    # d(σ(x)·x)/dx = σ(x)·(1 - σ(x))·x + σ(x): the graph holds the rules' own nodes and no "× 1".
    x = Value(0.5, label="x")
    g = grad(x.sigmoid() * x, x, create_graph=True)
    assert g.op == "add"
    for node in topological_order(g):
        if node.op == "mul":
            assert all(not (p.op == "" and not p.requires_grad and p.data == 1.0) for p in node.parents)
    assert len(topological_order(g)) == 7  # x, σ, the constant 1, 1-σ, σ(1-σ), ·x, the add (σ·x is not in it)
    s = 1.0 / (1.0 + math.exp(-0.5))
    assert g.data == pytest.approx(s * (1 - s) * 0.5 + s, rel=4 * EPS)


def test_grad_reads_and_writes_no_grad() -> None:
    x, y = Value(0.7), Value(-1.2)
    out = (x * y).sigmoid() + x**2
    nodes = reachable(out)
    for i, node in enumerate(nodes):
        node.grad = 100.0 + i  # sentinels: grad() must neither read nor change them
    first = grad(out, [x, y], create_graph=True)
    hessian(out, [x, y])
    grad(out, [x, y])
    assert [node.grad for node in nodes] == [100.0 + i for i in range(len(nodes))]
    assert all(node.grad == 0.0 for g in first for node in reachable(g) if node not in set(nodes))


def test_explain_and_draw_a_derivative() -> None:
    x = Value(0.5, label="x")
    gx = grad(x.tanh(), x, create_graph=True)
    gx.backward()
    text = str(explain(gx, "en"))
    assert "tanh" in text and "x" in text
    dot = to_dot(gx).source
    assert dot.count("_op [label=") == sum(1 for n in topological_order(gx) if n.op)
    # x.grad after backward on 1 - tanh²(x) is the second derivative -2·t·(1 - t²).
    t = math.tanh(0.5)
    assert x.grad == pytest.approx(-2 * t * (1 - t * t), rel=8 * EPS)


# -- the Value kind: the op table's rules, run on Values --------------------------

SMOOTH_POINTS: dict[str, tuple[float, ...]] = {
    "add": (1.5, -2.0), "sub": (1.5, -2.0), "mul": (1.5, -2.0), "div": (1.5, -2.0), "pow": (1.5, 2.5),
    "neg": (1.5,), "relu": (1.5,), "sigmoid": (-0.7,), "tanh": (0.3,), "exp": (1.1,), "log": (2.5,),
}


@pytest.mark.parametrize("name", list(OPS))
def test_value_rules_give_the_float_rules_numbers(name: str) -> None:
    op = OPS[name]
    args = [Value(v) for v in SMOOTH_POINTS[name]]
    out = op.forward(*(a.data for a in args))
    out_node = Value(out)
    floats = op.local_derivatives([a.data for a in args], out)
    for i, rule in enumerate(op.local_for(VALUES)):
        local = rule(*args, out_node)
        got = local.data if isinstance(local, Value) else local
        assert got == floats[i], (name, i)  # the same rule, the same float operations: bit for bit


def test_derivative_graphs_never_raise_where_float_derivatives_do_not() -> None:
    # x ** 0.5 at 0: the forward is 0, the slope infinite; the float rule for pow would
    # raise on 0 ** -0.5, the derivative graph records a pow node holding inf.
    x = Value(0.0)
    g = grad(x**0.5, x, create_graph=True)
    assert g.data == math.inf
    assert any(node.op == "pow" and node.data == math.inf for node in topological_order(g))
    g.backward()  # backpropagating through it does not raise either
    # A negative base with a Value exponent: the exponent's derivative does not exist.
    b, e = Value(-2.0), Value(2.0)
    gb, ge = grad(b**e, [b, e], create_graph=True)
    assert gb.data == -4.0 and math.isnan(ge.data)
    assert not ge.requires_grad  # the rule's NaN is a constant: nothing below it to differentiate
    # 1/x at 0 cannot be built (forward raises), but d/dx of 1/y with y → 0 in a derivative can:
    z = Value(1e-300)
    assert grad(grad(1.0 / z, z, create_graph=True), z).data == math.inf


def test_relu_second_derivative_is_zero() -> None:
    for v in (-1.5, 2.0):
        x = Value(v)
        first = grad(x.relu(), x, create_graph=True)
        assert not first.requires_grad  # step(x) is a constant
        assert grad(first, x).data == 0.0
        # relu(x)² = x² on the right and 0 on the left: second derivative 2 or 0.
        assert hessian(x.relu() * x.relu(), [x]) == [[2.0 if v > 0 else 0.0]]


# -- n-th derivatives against closed forms -----------------------------------------

def _poly_derivatives(chain: list[int], orders: int) -> list[list[Fraction]]:
    """Coefficients of P_n with d^n f/dx^n = P_n(u) where du/dx = C(u), C given by ``chain``."""
    polys = [[Fraction(0), Fraction(1)]]  # P_0(u) = u
    for _ in range(orders):
        p = polys[-1]
        dp = [k * p[k] for k in range(1, len(p))]  # P'(u)
        out = [Fraction(0)] * (len(dp) + len(chain) - 1)
        for i, a in enumerate(dp):
            for j, c in enumerate(chain):
                out[i + j] += a * c
        polys.append(out)
    return polys


def _evaluate(poly: list[Fraction], u: float) -> tuple[float, float]:
    """P(u) and the scale Σ|c_k u^k| that bounds its rounding error."""
    value = sum(float(c) * u**k for k, c in enumerate(poly))
    return value, sum(abs(float(c)) * abs(u) ** k for k, c in enumerate(poly))


def _nth(f: Callable[[Value], Value], x0: float, orders: int) -> list[Value]:
    x = Value(x0)
    derivatives = [f(x)]
    for _ in range(orders):
        derivatives.append(grad(derivatives[-1], x, create_graph=True))
    return derivatives


# tanh' = 1 - tanh², sigmoid' = σ - σ²: every derivative is a polynomial in the function itself,
# computed here with exact rational coefficients, independently of the engine.
TANH_CHAIN = [1, 0, -1]
SIGMOID_CHAIN = [0, 1, -1]


@pytest.mark.parametrize(("name", "chain", "apply"), [
    ("tanh", TANH_CHAIN, math.tanh),
    ("sigmoid", SIGMOID_CHAIN, lambda v: 1.0 / (1.0 + math.exp(-v))),
])
@pytest.mark.parametrize("x0", [-2.3, -0.4, 0.0, 0.9, 3.1])
def test_nth_derivative_of_tanh_and_sigmoid(name: str, chain: list[int], apply: Callable[[float], float],
                                            x0: float) -> None:
    polys = _poly_derivatives(chain, 5)
    derivatives = _nth(lambda x: getattr(x, name)(), x0, 5)
    u = apply(x0)
    for n in range(1, 6):
        want, scale = _evaluate(polys[n], u)
        # Both sides round each of their few hundred operations (at most 125 nodes at order 5)
        # to within ε relative to the terms involved, so they agree to about (#ops)·ε·Σ|c_k u^k|;
        # 1e-12·scale is 30 times that bound and still catches any wrong coefficient.
        assert abs(derivatives[n].data - want) <= 1e-12 * scale, (name, x0, n)


@pytest.mark.parametrize("x0", [-3.0, 0.0, 0.5, 4.0])
def test_nth_derivative_of_exp(x0: float) -> None:
    for n, d in enumerate(_nth(lambda x: x.exp(), x0, 5)):
        # Each order multiplies by exp(x) once more: n roundings of ε each.
        assert d.data == pytest.approx(math.exp(x0), rel=(n + 1) * EPS)


@pytest.mark.parametrize("x0", [0.3, 1.0, 2.5, 7.0])
def test_nth_derivative_of_log(x0: float) -> None:
    derivatives = _nth(lambda x: x.log(), x0, 5)
    for n in range(1, 6):
        want = (-1) ** (n - 1) * math.factorial(n - 1) / x0**n
        # Each order divides by x and multiplies small integers: about 4n roundings.
        assert derivatives[n].data == pytest.approx(want, rel=8 * n * EPS), n


@pytest.mark.parametrize(("base", "exponent"), [(1.7, 2.5), (0.4, -1.5), (3.0, 0.5)])
def test_nth_derivatives_of_pow_in_both_inputs(base: float, exponent: float) -> None:
    x, y = Value(base), Value(exponent)
    gx = gy = x**y
    for n in range(1, 6):
        gx = grad(gx, x, create_graph=True)
        gy = grad(gy, y, create_graph=True)
        falling = math.prod(exponent - k for k in range(n))  # y(y-1)...(y-n+1)
        # d^n/dx^n x^y = y(y-1)...(y-n+1)·x^(y-n); d^n/dy^n x^y = x^y·log(x)^n; a few ε per order.
        assert gx.data == pytest.approx(falling * base ** (exponent - n), rel=16 * n * EPS), n
        assert gy.data == pytest.approx(base**exponent * math.log(base) ** n, rel=16 * n * EPS), n


def test_tanh_graph_sizes_grow_but_stay_drawable() -> None:
    sizes = [len(topological_order(d)) for d in _nth(lambda x: x.tanh(), 1.0, 5)[1:]]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1] <= 1000
    assert sizes[0] == 5  # 1 - t·t over t = tanh(x): x, tanh, mul, the constant 1, sub


# -- hessians of random DAGs against numerical differentiation ----------------------

def _first_derivatives(expression: Expression, xs: list[float]) -> list[float]:
    values = [Value(v) for v in xs]
    return [g.data for g in grad(expression.build(values), values, create_graph=True)]


@given(expressions(max_inputs=3, max_ops=8))
def test_hessian_of_random_dags_matches_numerical_differentiation_of_grad(sample: tuple[Expression, tuple[float, ...]]
                                                                         ) -> None:
    expression, xs = sample
    target(float(expression.size), label="expression size")
    values = [Value(v) for v in xs]
    h = hessian(expression.build(values), values)
    first = _first_derivatives(expression, list(xs))
    step = default_step()
    for j, xj in enumerate(xs):
        up, down = list(xs), list(xs)
        up[j] = xj + step * max(1.0, abs(xj))
        down[j] = xj - step * max(1.0, abs(xj))
        g_up, g_down = _first_derivatives(expression, up), _first_derivatives(expression, down)
        for i in range(len(xs)):
            numerical = (g_up[i] - g_down[i]) / (up[j] - down[j])
            # The central difference of the first derivative errs by h²/6·|∂⁴f| (truncation) plus
            # ε·|∂f|/h ≈ 4e-11·|∂f| (rounding, h = 6e-6); gradcheck's rtol 1e-3 covers the first,
            # an atol of 1e-6 per unit of gradient size the second, 20,000 times over.
            scale = 1.0 + max(map(abs, first))
            note(f"{expression}\nH[{i}][{j}] = {h[i][j]!r}, numerical {numerical!r}")
            assert abs(h[i][j] - numerical) <= 1e-6 * scale + 1e-3 * abs(numerical)


@given(expressions(max_inputs=3, max_ops=8))
def test_grad_without_graph_equals_backward_bit_for_bit(sample: tuple[Expression, tuple[float, ...]]) -> None:
    expression, xs = sample
    values = [Value(v) for v in xs]
    out = expression.build(values)
    ours = [g.data for g in grad(out, values)]
    with_graph = [g.data for g in grad(out, values, create_graph=True)]
    out.backward()
    assert ours == [v.grad for v in values]
    assert with_graph == [v.grad for v in values]


# -- gradgradcheck --------------------------------------------------------------------

@pytest.mark.parametrize("name", list(OPS))
def test_gradgradcheck_every_op(name: str) -> None:
    op = OPS[name]
    args = [Value(v, label=f"x{i}") for i, v in enumerate(SMOOTH_POINTS[name])]
    symbol = {"add": "__add__", "sub": "__sub__", "mul": "__mul__", "div": "__truediv__", "pow": "__pow__",
              "neg": "__neg__"}.get(name, name)
    result = gradgradcheck(lambda *vs: getattr(vs[0], symbol)(*vs[1:]), *args)
    assert result, str(result)
    assert len(result.entries) == op.arity**2
    # The op composed with itself-like products, so that mixed second derivatives are not trivially 0.
    result = gradgradcheck(lambda *vs: getattr(vs[0], symbol)(*vs[1:]) * vs[0], args)
    assert result, str(result)


def test_gradgradcheck_finds_a_wrong_second_derivative_and_prints_a_table() -> None:
    # relu(x)² at its kink: the second derivative the rules give (2·step(0)² = 0) is not the
    # numerical slope of 2·relu(x) there (1): gradgradcheck must say so.
    x = Value(0.0, label="x")
    result = gradgradcheck(lambda x: x.relu() * x.relu(), x)
    assert not result
    text = str(result)
    assert text.startswith("gradgradcheck FAILED for 1 of 1 second derivatives")
    assert "∂²/∂x∂x" in text and "derivative" in text.splitlines()[1]
    with pytest.raises(Exception, match="gradgradcheck FAILED"):
        gradgradcheck(lambda x: x.relu() * x.relu(), [x], raise_exception=True)
    assert x.data == 0.0 and x.grad == 0.0
    korean = str(gradgradcheck(lambda x: x.relu() * x.relu(), x, lang="ko"))
    assert korean.startswith("2차 미분 확인 실패: 2차 미분 1개 중 1개")
    with pytest.raises(ValueError, match=r"gradgradcheck\(lang=\.\.\.\) must be one of en, ko"):
        gradgradcheck(lambda x: x * x, x, lang="fr")


# -- deep chains and memory -------------------------------------------------------------

def test_second_derivative_of_a_50000_op_chain_at_the_default_recursion_limit() -> None:
    assert sys.getrecursionlimit() <= 1000 + 100  # pytest may add a little; far below 50,000
    n = 50_000
    x = Value(0.5)
    y = x
    # Forward mode by hand, in floats: t_k = tanh(t_{k-1}), d_k = (1 - t_k²)·d_{k-1},
    # s_k = (1 - t_k²)·s_{k-1} - 2·t_k·(1 - t_k²)·d_{k-1}² (the chain rule twice).
    t, d, s = 0.5, 1.0, 0.0
    for _ in range(n):
        y = y.tanh()
        new_t = math.tanh(t)
        slope = 1.0 - new_t * new_t
        t, d, s = new_t, slope * d, slope * s - 2.0 * new_t * slope * d * d
    first = grad(y, x, create_graph=True)
    second = grad(first, x, create_graph=True)
    third_by_backward = second  # and backward() through the whole derivative graph
    third_by_backward.backward()
    # 50,000 steps each rounding a few times: relative error about 50,000·4ε ≈ 4e-11.
    assert first.data == pytest.approx(d, rel=1e-9)
    assert second.data == pytest.approx(s, rel=1e-9)
    assert math.isfinite(x.grad) and x.grad != 0.0


def test_a_gradient_graph_holds_no_reference_cycles() -> None:
    gc.collect()
    gc.disable()
    try:
        x, w = Value(0.8, label="x"), Value(-1.3, label="w")
        y = ((x * w).tanh() + x**3 / w).sigmoid()
        original = set(reachable(y))
        gx = grad(y, x, create_graph=True)
        gxx = grad(gx, x, create_graph=True)
        gxx.backward()
        new_nodes = [weakref.ref(n) for n in reachable(gxx) if n not in original]
        assert len(new_nodes) > 10
        del gx, gxx, original
        assert all(ref() is None for ref in new_nodes)  # freed by reference counting alone
        every = [weakref.ref(n) for n in reachable(y)]
        hessian(y, [x, w])  # its temporary graphs too
        del y, x, w
        assert all(ref() is None for ref in every)
    finally:
        gc.enable()


# -- bad input ---------------------------------------------------------------------------

def test_bad_inputs_say_what_to_pass() -> None:
    x = Value(2.0, label="x")
    y = x * x
    with pytest.raises(TypeError, match=r"grad: output must be a Value, got 3\.0 \(float\).*compute it from Values"):
        grad(3.0, x)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"inputs must be a Value or a list or tuple of Values, got 3\.0"):
        grad(y, 3.0)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match=r"inputs is empty.*grad\(y, \[x, z\]\)"):
        grad(y, [])
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a Value, got 3\.0"):
        grad(y, [x, 3.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="list or tuple"):
        grad(y, {x})  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"create_graph=\.\.\.\) must be True or False"):
        grad(y, x, create_graph="yes")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"grad\(grad_output=\.\.\.\) needs a real number"):
        grad(y, x, grad_output="1")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match=r"input 'c' is a constant \(requires_grad=False\).*Value\(v\)"):
        grad(y, Value(1.0, label="c", requires_grad=False))
    with pytest.raises(TypeError, match="hessian: output must be a Value"):
        hessian(2.0, [x])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"hessian: inputs is empty"):
        hessian(y, ())
    with pytest.raises(TypeError, match=r"inputs must be Values, as gradgradcheck\(f, x, y\)"):
        gradgradcheck(lambda x: x)
    with pytest.raises(TypeError, match="inputs must be Values"):
        gradgradcheck(lambda x: x, 3.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="f\\(\\*inputs\\) must return a Value built from its inputs, got float"):
        gradgradcheck(lambda x: 3.0, x)
