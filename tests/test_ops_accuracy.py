"""The op table's local derivatives against mpmath (60 digits), on every kind of number.

The oracle is the audit's: relative error against mpmath over random and extreme inputs,
in units of 2**-53 (half an ulp at 1, the unit ops.py states its bounds in).  A rule built
from a few correctly rounded operations errs by a few such units; the bounds below are
ops.py's measured worst cases with a margin of about 1.5x, far below what a cancelling
form loses (out·(1-out) is 100% off at x = 40, 1 - out² at x = 20).
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from tinygrad_ko import Value, grad, vectorize
from tinygrad_ko.ops import POW, SIGMOID, TANH

mpmath = pytest.importorskip("mpmath")
mpmath.mp.dps = 60
UNIT = 2.0**-53
SMALLEST_NORMAL = 2.2250738585072014e-308


def _sigmoid_slope(x: float) -> object:
    s = 1 / (1 + mpmath.exp(-mpmath.mpf(x)))
    return s * (1 / (1 + mpmath.exp(mpmath.mpf(x))))


def _tanh_slope(x: float) -> object:
    return mpmath.sech(mpmath.mpf(x)) ** 2


def _pow_base_slope(x: float, y: float) -> object:
    return mpmath.mpf(y) * mpmath.mpf(x) ** (mpmath.mpf(y) - 1)


def _units(got: float, exact: object) -> float:
    """Relative error in units of 2**-53; results whose exact value is not a normal float are skipped (0)."""
    want = float(exact)  # type: ignore[arg-type]
    if not SMALLEST_NORMAL <= abs(want) < math.inf:
        return 0.0
    return float(abs((mpmath.mpf(got) - exact) / exact)) / UNIT  # type: ignore[operator]


# The audit's cases: the exact slope is tiny but a normal float, and the old forms gave 0 or inf.
AUDIT = [("sigmoid", 40.0), ("sigmoid", 35.0), ("sigmoid", -40.0), ("tanh", 20.0), ("tanh", -20.0),
         ("tanh", 300.0)]


@pytest.mark.parametrize(("name", "x"), AUDIT)
def test_saturating_slopes_keep_their_digits_on_floats_values_and_arrays(name: str, x: float) -> None:
    exact = _sigmoid_slope(x) if name == "sigmoid" else _tanh_slope(x)
    op = SIGMOID if name == "sigmoid" else TANH
    on_floats = op.local_x(x, op.forward(x))
    v = Value(x)
    on_values = grad(getattr(v, name)(), v, create_graph=True).data  # the Value kind
    on_arrays = vectorize(getattr(v, name)(), [v]).grad(np.array([x]))[0][0]  # the numpy kind
    for got in (on_floats, on_values, on_arrays):
        assert _units(float(got), exact) <= 8, (name, x, got, float(exact))


def test_sigmoid_and_tanh_slopes_over_random_inputs() -> None:
    rng = random.Random(25)
    worst = {"sigmoid": 0.0, "tanh": 0.0}
    for _ in range(3000):
        x = rng.choice([-1.0, 1.0]) * 10.0 ** rng.uniform(-6, 2.87)  # to |x| ≈ 740
        worst["sigmoid"] = max(worst["sigmoid"], _units(SIGMOID.local_x(x, SIGMOID.forward(x)), _sigmoid_slope(x)))
        worst["tanh"] = max(worst["tanh"], _units(TANH.local_x(x, TANH.forward(x)), _tanh_slope(x)))
    # ops.py: 4.3 and 5.1 units measured over 20,000 inputs.
    assert worst["sigmoid"] <= 7 and worst["tanh"] <= 8, worst


@pytest.mark.parametrize(("x", "y"), [(5e-324, 1e-308), (1e-300, 0.5), (3.0, 2.0), (2.5e-301, 1.5),
                                      (1e300, 1.001), (-2.0, 3.0), (7.0, -2.0)])
def test_pow_base_slope_without_the_intermediate_overflow(x: float, y: float) -> None:
    out = POW.forward(x, y)
    exact = _pow_base_slope(x, y)
    assert _units(POW.local_x(x, y, out), exact) <= 4, (x, y, POW.local_x(x, y, out), float(exact))
    vx, vy = Value(x), Value(y)
    assert _units(grad(vx**vy, vx, create_graph=True).data, exact) <= 4
    assert _units(float(vectorize(vx**vy, [vx]).grad(np.array([x]))[0][0]), exact) <= 4


def test_pow_base_slope_over_random_inputs() -> None:
    rng = random.Random(26)
    worst = 0.0
    for _ in range(3000):
        # y in [0.5, 2] or an integer: y - 1 is exact, so only the rule's own roundings count
        # (elsewhere y - 1's rounding adds ulp(y-1)/2·|log x|, as ops.py states).
        x = 10.0 ** rng.uniform(-323, 300)
        y = rng.uniform(0.5, 2.0) if rng.random() < 0.7 else float(rng.randint(-40, 40))
        try:
            out = POW.forward(x, y)
        except (OverflowError, ZeroDivisionError):
            continue
        worst = max(worst, _units(POW.local_x(x, y, out), _pow_base_slope(x, y)))
    assert worst <= 4, worst  # ops.py: 3 units


def test_pow_base_slope_keeps_ieee_answers_at_zero_and_for_the_constant_exponent() -> None:
    assert POW.local_x(0.0, 2.0, 0.0) == 0.0  # 2·0^1
    assert POW.local_x(0.0, 0.5, 0.0) == math.inf  # 0.5·0^-0.5
    assert POW.local_x(0.0, 0.0, 1.0) == 0.0  # x^0 is the constant 1
    assert POW.local_x(-2.0, 3.0, -8.0) == 12.0
    assert POW.local_x(math.inf, 2.0, math.inf) == math.inf
