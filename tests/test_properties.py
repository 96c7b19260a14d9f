"""Property tests: backward() judged by central differences on random DAGs, and exact identities.

Run more examples with ``HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_properties.py``.
"""

from __future__ import annotations

import math
import sys

from hypothesis import example, given, note, target
from hypothesis import strategies as st

from tinygrad_ko import Value, gradcheck
from tinygrad_ko.testing import Expression, expressions

EPS = sys.float_info.epsilon
finite = st.floats(allow_nan=False, allow_infinity=False)


def gradients(expression: Expression, xs: tuple[float, ...], seed: float = 1.0) -> list[float]:
    values = [Value(x) for x in xs]
    expression.build(values).backward(seed)
    return [v.grad for v in values]


# --- the judge: backward() against numerical_grad ----------------------------------------


@given(sample=expressions())
def test_backward_agrees_with_numerical_gradient_on_random_dags(sample, gradient_errors) -> None:  # type: ignore[no-untyped-def]
    # gradient_errors (tests/conftest.py) collects the largest errors for the run's summary.
    expression, xs = sample
    # Hypothesis favours small examples; this steers half of the run toward larger graphs.
    target(float(expression.size), label="expression size")
    note(str(expression))
    result = gradcheck(expression, [Value(x) for x in xs])
    gradient_errors.record(result, expression.size)
    assert result, f"{expression}\n{result}"


# --- identities that hold exactly in IEEE arithmetic ----------------------------------------


@given(finite, finite)
@example(0.0, 0.0)
@example(1e308, 1e308)  # the sum overflows to inf; each gradient is still 1
@example(5e-324, -5e-324)
def test_gradient_of_a_sum_is_one_for_each_term(x: float, y: float) -> None:
    a, b = Value(x), Value(y)
    (a + b).backward()
    assert (a.grad, b.grad) == (1.0, 1.0)


@given(finite, finite)
@example(0.0, 0.0)
@example(1e308, 1e308)  # the product overflows to inf; each gradient is still the other factor
@example(5e-324, 1e-300)  # the product underflows to 0
@example(-3.5, 2.0)
def test_gradient_of_a_product_is_the_other_factor(x: float, y: float) -> None:
    a, b = Value(x), Value(y)
    (a * b).backward()
    assert (a.grad, b.grad) == (y, x)


@given(expressions(), st.integers(0, 30), st.booleans())
def test_backward_scales_exactly_with_a_power_of_two_seed(sample, k: int, negative: bool) -> None:  # type: ignore[no-untyped-def]
    # Multiplying by ±2**k is exact in binary floating point, and every gradient is
    # built from products with the seed, so the results scale exactly; the only
    # exception is digits the seed-1 pass lost to subnormal underflow (below 2.2e-308),
    # which the tolerance of |seed|·1e-300 covers and no wrong rule could hide in.
    expression, xs = sample
    target(float(expression.size), label="expression size")
    seed = (-1.0 if negative else 1.0) * 2.0**k
    for scaled, unit in zip(gradients(expression, xs, seed), gradients(expression, xs), strict=True):
        assert scaled == seed * unit or abs(scaled - seed * unit) <= abs(seed) * 1e-300


@given(expressions())
def test_zero_seed_gives_zero_gradients(sample) -> None:  # type: ignore[no-untyped-def]
    expression, xs = sample
    assert gradients(expression, xs, 0.0) == [0.0] * len(xs)


@given(st.floats(-1000.0, 1000.0))
@example(1000.0)  # exp(-1000) underflows: sigmoid is exactly 1, its gradient exactly 0
@example(-1000.0)
@example(0.0)
@example(36.7)  # 1 - s is about 1e-16 here: the book's s(1 - s) would lose relative accuracy
@example(1.0)  # where the rule switches form
def test_sigmoid_gradient_is_the_books_s_times_one_minus_s_and_accurate_in_the_tails(x: float) -> None:
    v = Value(x)
    s = v.sigmoid()
    s.backward()
    assert math.isfinite(s.data) and 0.0 <= s.data <= 1.0
    if x <= 1.0:
        assert v.grad == s.data * (1.0 - s.data)  # the book's form, bit for bit
    # Against a formula that shares nothing with the engine's: e^-|x| / (1 + e^-|x|)^2, itself
    # within a few roundings (<= 4 eps relative).  The engine's rule is within 5 ulps relative
    # everywhere (ops.py's accuracy table, measured against mpmath): past x = 1 it is s·σ(-x),
    # which keeps the tail's digits (s(1 - s) would give 0 at x = 40, where the truth is 4.2e-18).
    e = math.exp(-abs(x))
    truth = e / (1.0 + e) ** 2
    assert abs(v.grad - truth) <= 10 * EPS * truth


@given(finite)
@example(0.0)  # relu's kink: the gradient is 0 there, as in PyTorch and JAX
@example(-0.0)
@example(5e-324)
@example(-5e-324)
def test_relu_gradient_is_one_above_zero_and_zero_elsewhere(x: float) -> None:
    v = Value(x)
    out = v.relu()
    out.backward()
    assert out.data == max(x, 0.0)
    assert v.grad == (1.0 if x > 0.0 else 0.0)


# --- rewritten twins -------------------------------------------------------------------


@given(st.floats(-1e150, 1e150))
@example(0.0)
@example(-0.0)
@example(1e150)
@example(1e-160)  # the square is subnormal
@example(5e-324)  # the square underflows to 0
def test_x_times_x_and_x_squared_agree(x: float) -> None:
    a, b = Value(x), Value(x)
    p, q = a * a, b**2
    p.backward()
    q.backward()
    # Both gradients are exactly 2x: x + x, and 2.0 * x**1.0 with x**1.0 == x exactly.
    assert a.grad == b.grad == 2.0 * x
    # x * x is correctly rounded and pow is within one ulp (glibc's is correctly rounded).
    assert math.isclose(p.data, q.data, rel_tol=EPS, abs_tol=5e-324)


@given(finite, finite)
@example(1e308, -1e308)  # both overflow to inf
def test_a_minus_b_and_a_plus_minus_b_agree_exactly(x: float, y: float) -> None:
    a1, b1, a2, b2 = Value(x), Value(y), Value(x), Value(y)
    d1, d2 = a1 - b1, a2 + (-b2)
    d1.backward()
    d2.backward()
    # IEEE subtraction is defined as addition of the negation: identical bits.
    assert d1.data == d2.data or (math.isnan(d1.data) and math.isnan(d2.data))
    assert (a1.grad, b1.grad) == (a2.grad, b2.grad) == (1.0, -1.0)


magnitudes = st.floats(1e-100, 1e100)


@given(magnitudes, magnitudes, st.booleans(), st.booleans())
@example(1e100, 1e-100, False, True)
@example(1e-100, 1e100, True, False)
@example(3.0, 7.0, False, False)
def test_a_over_b_and_a_times_b_to_the_minus_one_agree(x: float, y: float, neg_x: bool, neg_y: bool) -> None:
    x, y = -x if neg_x else x, -y if neg_y else y
    a1, b1, a2, b2 = Value(x), Value(y), Value(x), Value(y)
    q1, q2 = a1 / b1, a2 * b2**-1
    q1.backward()
    q2.backward()
    # Magnitudes stay within 1e±300, so no step underflows or overflows.  Each side
    # rounds at most three times (pow within 1 ulp, i.e. eps relative; * and / within
    # half an ulp): the sides differ by at most about 2.5 eps relative.
    assert math.isclose(q1.data, q2.data, rel_tol=4 * EPS)
    assert math.isclose(a1.grad, a2.grad, rel_tol=4 * EPS)
    assert math.isclose(b1.grad, b2.grad, rel_tol=4 * EPS)


# --- scale: the step grows with the input -------------------------------------------------


@given(st.floats(1e-150, 1e150), st.floats(1.0, 1e150), st.booleans(), st.sampled_from(["mul", "div"]))
@example(1e150, 1e150, False, "mul")
@example(1e-150, 1e150, True, "div")
@example(1e150, 1.0, False, "div")
@example(1e-150, 1.0, True, "mul")
def test_gradcheck_passes_at_very_large_and_very_small_magnitudes(x: float, y: float, negative: bool,
                                                                   op: str) -> None:
    # The step h·max(1, |x|) is relative for large inputs; near 0 it is absolute,
    # which is why the divisor stays >= 1 here: 1/y with |y| < h varies faster than
    # any central difference with that step can follow.
    x = -x if negative else x
    f = (lambda a, b: a * b) if op == "mul" else (lambda a, b: a / b)
    result = gradcheck(f, [Value(x), Value(y)])
    assert result, str(result)
