"""The book's layers: the engine's numbers, elementwise agreement, numerical gradients, no book bugs."""

from __future__ import annotations

import math
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

from tinygrad_ko import AddLayer, Affine, MulLayer, Relu, Sigmoid, SoftmaxWithLoss, Value, gradcheck

EPS = sys.float_info.epsilon


@contextmanager
def strict_numpy() -> Iterator[None]:
    """Every numpy warning is an error, and overflow, 0/0 and x/0 raise.

    Underflow is left to numpy's default (silent): a result too small for a float,
    like sigmoid(-1000) ≈ 5e-435, rounds to 0 because the true value does.
    """
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        yield


# --- the apple/orange example: the Value engine's numbers, exactly -------------------------


def test_apple_orange_with_layers_gives_exactly_the_engines_numbers() -> None:
    # The book's buy_apple_orange.py, line for line.
    apple, apple_num, orange, orange_num, tax = 100, 2, 150, 3, 1.1
    mul_apple_layer, mul_orange_layer = MulLayer(), MulLayer()
    add_apple_orange_layer, mul_tax_layer = AddLayer(), MulLayer()
    apple_price = mul_apple_layer.forward(apple, apple_num)
    orange_price = mul_orange_layer.forward(orange, orange_num)
    all_price = add_apple_orange_layer.forward(apple_price, orange_price)
    price = mul_tax_layer.forward(all_price, tax)
    dprice = 1
    dall_price, dtax = mul_tax_layer.backward(dprice)
    dapple_price, dorange_price = add_apple_orange_layer.backward(dall_price)
    dorange, dorange_num = mul_orange_layer.backward(dorange_price)
    dapple, dapple_num = mul_apple_layer.backward(dapple_price)

    a, n, o, m, t = Value(apple), Value(apple_num), Value(orange), Value(orange_num), Value(tax)
    total = (a * n + o * m) * t
    total.backward()
    # Same IEEE operations in the same order: equal to the last bit.
    assert price == total.data
    assert (dapple, dapple_num, dorange, dorange_num, dtax) == (a.grad, n.grad, o.grad, m.grad, t.grad)
    assert (price, dapple_num, dtax) == (715.0000000000001, 110.00000000000001, 650.0)


# --- Relu and Sigmoid agree with Value.relu() / Value.sigmoid() elementwise ------------------


@pytest.mark.parametrize("shape", [(), (7,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize(
    ("layer_class", "method", "rel_tol"),
    [
        (Relu, "relu", 0.0),  # no arithmetic to round: exact
        # Same formulas; numpy's exp and math.exp may differ in the last bit, and the
        # division and the gradient's two products carry that through: a few ulps.
        (Sigmoid, "sigmoid", 8 * EPS),
    ],
)
def test_activation_layer_agrees_with_the_value_op_elementwise(
    shape: tuple[int, ...], layer_class: type[Relu | Sigmoid], method: str, rel_tol: float
) -> None:
    rng = np.random.default_rng(len(shape))
    x, dout = 5 * rng.standard_normal(shape), rng.standard_normal(shape)
    layer = layer_class()
    out, dx = layer.forward(x), layer.backward(dout)
    for idx in np.ndindex(shape):
        v = Value(x[idx])
        node = getattr(v, method)()
        node.backward(dout[idx])
        assert math.isclose(out[idx], node.data, rel_tol=rel_tol)
        assert math.isclose(dx[idx], v.grad, rel_tol=rel_tol)


def test_layers_accept_python_floats_and_return_floats() -> None:
    for layer, args in ((MulLayer(), (2.0, 3.0)), (AddLayer(), (2.0, 3.0)), (Relu(), (-2.0,)), (Sigmoid(), (0.0,))):
        out = layer.forward(*args)
        assert isinstance(out, float), type(layer).__name__
        grads = layer.backward(1.0)
        assert all(isinstance(g, float) for g in (grads if isinstance(grads, tuple) else (grads,)))


# --- the book's flaws, fixed -----------------------------------------------------------------


def test_relu_backward_never_modifies_the_callers_arrays() -> None:
    x = np.array([[-1.0, 2.0], [3.0, -4.0]])
    dout = np.array([[10.0, 20.0], [30.0, 40.0]])
    x_before, dout_before = x.copy(), dout.copy()
    layer = Relu()
    out = layer.forward(x)
    dx = layer.backward(dout)
    np.testing.assert_array_equal(dx, [[0.0, 20.0], [30.0, 0.0]])
    np.testing.assert_array_equal(dout, dout_before)  # the book's version zeroes dout in place
    np.testing.assert_array_equal(x, x_before)
    assert not np.shares_memory(dx, dout) and not np.shares_memory(out, x)


def test_relu_passes_inf_gradients_without_making_nan() -> None:
    layer = Relu()
    layer.forward(np.array([-1.0, 1.0]))
    np.testing.assert_array_equal(layer.backward(np.array([np.inf, np.inf])), [0.0, np.inf])


def test_sigmoid_is_exact_and_silent_at_plus_minus_1000() -> None:
    layer = Sigmoid()
    with strict_numpy():
        out = layer.forward(np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0]))
        dx = layer.backward(np.ones(5))
    assert out[0] == 0.0 and out[2] == 0.5 and out[4] == 1.0
    assert dx[0] == 0.0 and dx[4] == 0.0 and dx[2] == 0.25
    assert math.isclose(out[1], math.exp(-30.0) / (1 + math.exp(-30.0)), rel_tol=8 * EPS)


def test_sigmoid_keeps_float32() -> None:
    out = Sigmoid().forward(np.array([-1000.0, 0.0, 1000.0], dtype=np.float32))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [0.0, 0.5, 1.0])


def test_softmax_with_loss_is_exact_and_silent_at_plus_minus_1000() -> None:
    layer = SoftmaxWithLoss()
    x = np.array([[1000.0, -1000.0, 0.0], [1000.0, -1000.0, 0.0]])
    with strict_numpy():
        loss = layer.forward(x, np.array([0, 1]))
        dx = layer.backward()
    # log-softmax: [0, -2000, -1000] (exp(-1000) vanishes next to 1), so the loss is (0 + 2000) / 2.
    assert loss == 1000.0
    np.testing.assert_array_equal(dx, [[0.0, 0.0, 0.0], [0.5, -0.5, 0.0]])


def test_softmax_with_loss_backward_uses_dout() -> None:
    layer = SoftmaxWithLoss()
    layer.forward(np.array([[0.5, 1.0, -1.0]]), np.array([2]))
    np.testing.assert_array_equal(layer.backward(2.5), 2.5 * layer.backward(1))


def test_softmax_with_loss_matches_the_books_cross_entropy_on_ordinary_scores() -> None:
    rng = np.random.default_rng(3)
    x, labels = rng.standard_normal((4, 5)), np.array([0, 4, 2, 2])
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, labels)
    y = np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)  # the book's softmax, safe for these scores
    # The book adds 1e-7 inside the log; without it the two are the same sum of logs,
    # rounded differently: agreement to ~1e-15 relative.
    assert math.isclose(loss, -np.mean(np.log(y[np.arange(4), labels])), rel_tol=1e-14)
    np.testing.assert_allclose(layer.y, y, rtol=1e-14)
    assert layer.loss == loss
    assert layer.forward(x, np.eye(5)[labels]) == loss  # one-hot labels give the same loss


@pytest.mark.parametrize(
    "make",
    [MulLayer, AddLayer, Relu, Sigmoid, SoftmaxWithLoss, lambda: Affine(np.ones((2, 3)), np.zeros(3))],
    ids=["MulLayer", "AddLayer", "Relu", "Sigmoid", "SoftmaxWithLoss", "Affine"],
)
def test_backward_before_forward_raises_runtime_error(make: Callable[[], Any]) -> None:
    layer = make()
    name = type(layer).__name__
    with pytest.raises(RuntimeError, match=rf"^{name}\.backward\(\) was called before {name}\.forward\(\)"):
        layer.backward(1.0)


def test_backward_rejects_dout_of_the_wrong_shape() -> None:
    layer = Relu()
    layer.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"dout must have the shape of forward\(\)'s output \(2, 3\), got \(3,\)"):
        layer.backward(np.zeros(3))


def test_mul_and_add_layers_undo_broadcasting_in_backward() -> None:
    x, y = np.array([[1.0], [2.0]]), np.array([10.0, 20.0, 30.0])  # (2, 1) * (3,) -> (2, 3)
    dout = np.arange(6.0).reshape(2, 3)
    mul = MulLayer()
    mul.forward(x, y)
    dx, dy = mul.backward(dout)
    np.testing.assert_array_equal(dx, (dout * y).sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(dy, (dout * x).sum(axis=0))
    add = AddLayer()
    add.forward(2.0, y)
    dx, dy = add.backward(np.ones(3))
    assert dx == 3.0 and dy.shape == (3,)


# --- Affine and SoftmaxWithLoss against numerical gradients ---------------------------------


def affine_case(x_shape: tuple[int, ...], n_out: int, seed: int) -> tuple[Affine, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    one_sample = len(x_shape) == 1
    n_in = x_shape[0] if one_sample else int(np.prod(x_shape[1:]))
    out_shape = (n_out,) if one_sample else (x_shape[0], n_out)
    layer = Affine(rng.standard_normal((n_in, n_out)), rng.standard_normal(n_out))
    return layer, rng.standard_normal(x_shape), rng.standard_normal(out_shape)


@pytest.mark.parametrize("x_shape", [(5,), (3, 5), (2, 3, 2, 2)], ids=["one sample", "batch", "4-d batch"])
def test_affine_gradients_agree_with_numerical_gradients(x_shape: tuple[int, ...]) -> None:
    layer, x, dout = affine_case(x_shape, 4, seed=len(x_shape))

    def loss(_: np.ndarray) -> float:  # L = sum(out * dout), so dL/dout = dout
        return float(np.sum(layer.forward(x) * dout))

    layer.forward(x)
    dx = layer.backward(dout)
    assert dx.shape == x.shape
    dW, db = layer.dW, layer.db
    assert gradcheck(loss, x, analytical=lambda _: dx, raise_exception=True)
    assert gradcheck(loss, layer.W, analytical=lambda _: dW, raise_exception=True)
    assert gradcheck(loss, layer.b, analytical=lambda _: db, raise_exception=True)


def test_affine_keeps_its_parameters_by_reference() -> None:
    W, b = np.ones((2, 2)), np.zeros(2)
    layer = Affine(W, b)
    W -= 0.5  # an in-place update, as an optimiser does
    np.testing.assert_array_equal(layer.forward(np.array([[1.0, 1.0]])), [[1.0, 1.0]])


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda: Affine(np.ones(3), np.zeros(3)), r"W must be 2-d .* got shape \(3,\)"),
        (lambda: Affine(np.ones((2, 3)), np.zeros(2)), r"b must have shape \(3,\), .* got \(2,\)"),
        (lambda: Affine(np.ones((2, 3)), np.zeros(3)).forward(np.ones((4, 5))),
         r"each sample needs 2 numbers .* got x of shape \(4, 5\)"),
        (lambda: Affine(np.ones((2, 3)), np.zeros(3)).forward(np.float64(1.0)), r"got x of shape \(\)"),
    ],
)
def test_affine_rejects_mismatched_shapes_with_a_message(make: Callable[[], Any], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        make()


@pytest.mark.parametrize("labels", ["index", "one-hot"])
@pytest.mark.parametrize("x_shape", [(4,), (3, 4)], ids=["one sample", "batch"])
def test_softmax_with_loss_gradient_agrees_with_numerical_gradient(labels: str, x_shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(4)
    x = 3 * rng.standard_normal(x_shape)
    index = rng.integers(0, 4, size=x_shape[:-1])
    t = index if labels == "index" else np.eye(4)[index]
    layer = SoftmaxWithLoss()
    layer.forward(x, t)
    dx = layer.backward(1.0)
    assert dx.shape == x.shape
    assert gradcheck(lambda x: layer.forward(x, t), x, analytical=lambda _: dx, raise_exception=True)


@pytest.mark.parametrize(
    ("t", "pattern"),
    [
        (np.array([0, 1]), r"t must be one-hot of x's shape \(3, 4\) or class indices of shape \(3,\)"),
        (np.array([0.0, 1.0, 2.0]), r"class indices must be integers, got dtype float64"),
        (np.array([0, 4, 1]), r"class indices must be in 0\.\.3, got 0\.\.4"),
        (np.array([-1, 0, 1]), r"class indices must be in 0\.\.3, got -1\.\.1"),
    ],
)
def test_softmax_with_loss_rejects_bad_labels_with_a_message(t: np.ndarray, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        SoftmaxWithLoss().forward(np.zeros((3, 4)), t)


def test_softmax_with_loss_rejects_scores_that_are_not_a_batch() -> None:
    with pytest.raises(ValueError, match=r"x must be scores of shape \(N, C\) or \(C,\).*got shape \(2, 2, 2\)"):
        SoftmaxWithLoss().forward(np.zeros((2, 2, 2)), np.zeros((2, 2), dtype=int))


# --- issue 15, item 12: clear errors instead of late or raw ones ---

@pytest.mark.parametrize(("W", "b", "name", "got"), [
    ([[1.0, 2.0], [3.0, 4.0]], np.zeros(2), "W", "got list"),
    (np.ones((2, 2)), [0.0, 0.0], "b", "got list"),
    (np.array([["1", "2"]]), np.zeros(2), "W", "got an array of dtype <U1"),
])
def test_affine_needs_numpy_arrays_it_can_keep_by_reference(W: object, b: object, name: str, got: str) -> None:
    with pytest.raises(TypeError, match=rf"Affine\(W, b\): {name} must be a numpy array of numbers, {got}: .*"
                                        rf"pass np\.array\({name}, dtype=float\)"):
        Affine(W, b)  # type: ignore[arg-type]


def test_affine_refuses_an_empty_batch_clearly() -> None:
    layer = Affine(np.ones((2, 3)), np.zeros(3))
    for shape in [(0, 2), (0, 1, 2)]:
        with pytest.raises(ValueError, match=rf"the batch is empty \(x has shape {re.escape(str(shape))}\)"):
            layer.forward(np.zeros(shape))


def test_one_hot_labels_must_be_numbers() -> None:
    with pytest.raises(ValueError, match=r"one-hot labels must be numbers, got dtype <U1"):
        SoftmaxWithLoss().forward(np.zeros((1, 2)), np.array([["0", "1"]]))
    # Boolean one-hot rows are numbers (0 and 1).
    assert SoftmaxWithLoss().forward(np.zeros((1, 2)), np.array([[True, False]])) == pytest.approx(math.log(2))


@pytest.mark.parametrize(("t", "bad", "where"), [
    ([[1.5, -0.5, 0.0]], "-0.5", "t[0, 1]"),
    ([[0.0, 1.0, 0.0], [np.nan, 0.5, 0.5]], "nan", "t[1, 0]"),
    ([[np.inf, 0.0, 0.0]], "inf", "t[0, 0]"),
])
def test_one_hot_labels_must_be_probabilities(t: list[list[float]], bad: str, where: str) -> None:
    with pytest.raises(ValueError, match=rf"probabilities \(finite, >= 0\), got {bad} at {re.escape(where)}"):
        SoftmaxWithLoss().forward(np.zeros((len(t), 3)), np.array(t))
