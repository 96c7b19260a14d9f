"""The chapter's layer classes (계층) on numpy arrays: the book's API, minus its bugs.

Each layer has ``forward`` (순전파) and ``backward`` (역전파) as in *Deep Learning
from Scratch* ch. 5, so a learner's code from the book runs unchanged:

>>> apple, apple_num, tax = 100, 2, 1.1
>>> mul_apple_layer, mul_tax_layer = MulLayer(), MulLayer()
>>> price = mul_tax_layer.forward(mul_apple_layer.forward(apple, apple_num), tax)
>>> dapple_price, dtax = mul_tax_layer.backward(1)
>>> dapple, dapple_num = mul_apple_layer.backward(dapple_price)
>>> price, dapple, dapple_num, dtax
(220.00000000000003, 2.2, 110.00000000000001, 200)

What differs from the book, and why:

* ``Relu.backward`` returns a new array; the book's writes zeros into the
  caller's ``dout``.
* ``Sigmoid`` and ``SoftmaxWithLoss`` never overflow: ``exp`` only ever sees
  a non-positive argument, so inputs of ±1000 give exact 0/1 probabilities and
  finite losses.  Results too small for a float round to 0 (IEEE underflow), as
  the true values would.
* ``SoftmaxWithLoss`` computes the cross-entropy error from log-softmax
  instead of ``log(y + 1e-7)``, so the loss is exact and ``backward`` is its
  true gradient (a gradient check agrees to ~1e-10); ``backward(dout)`` uses
  ``dout``, which the book's ignores.
* ``MulLayer`` and ``AddLayer`` undo numpy broadcasting in ``backward``: each
  gradient has the shape of its input.
* ``backward`` before ``forward`` raises ``RuntimeError`` (the call order is
  wrong, not a value), and a ``dout`` of the wrong shape raises ``ValueError``.

The local derivatives (국소적 미분) of multiplication, addition and the sigmoid
function are taken from :mod:`tinygrad_ko.ops`, whose rules are plain
arithmetic and so work elementwise on arrays.  ReLU's rule there is a Python
``if``; here it is the mask ``x > 0``: the same rule (derivative 0 at 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from . import ops
from .messages import LocalizedError, LocalizedTypeError, LocalizedValueError

__all__ = ["AddLayer", "Affine", "MulLayer", "Relu", "Sigmoid", "SoftmaxWithLoss", "TwoLayerNet"]

#: What a layer accepts: a Python number, a numpy scalar or an array of any shape.
ArrayLike = npt.ArrayLike
#: What a layer returns: a numpy scalar (a ``float`` subclass) for scalar input, else an array.
Array = Any


class _NotYetError(LocalizedError, RuntimeError):
    """backward() before forward(): a :class:`RuntimeError` with a message id."""


def _not_yet(layer: object) -> RuntimeError:
    return _NotYetError("learning.not_yet", name=type(layer).__name__)


def _check_dout(layer: object, dout: ArrayLike, shape: tuple[int, ...]) -> None:
    if np.shape(dout) != shape:
        raise LocalizedValueError("learning.dout_shape", layer=type(layer).__name__, expected=shape, got=np.shape(dout))


def _unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    """Sum ``grad`` down to ``shape``: the gradient of an input that numpy broadcast."""
    if np.shape(grad) == shape:
        return grad
    extra = np.ndim(grad) - len(shape)
    stretched = tuple(i + extra for i, n in enumerate(shape) if n == 1 and np.shape(grad)[i + extra] != 1)
    return np.sum(grad, axis=tuple(range(extra)) + stretched).reshape(shape)


class _BinaryLayer:
    """A two-input layer whose rule is an op of :mod:`tinygrad_ko.ops` (``op``)."""

    op: ops.Op

    def __init__(self) -> None:
        self.x: ArrayLike | None = None
        self.y: ArrayLike | None = None
        self.out: Array | None = None

    def forward(self, x: ArrayLike, y: ArrayLike) -> Array:
        """Store ``x`` and ``y`` and return the op's output (numpy broadcasting applies)."""
        self.x, self.y = x, y
        self.out = self.op.forward(x, y)
        return self.out

    def backward(self, dout: ArrayLike) -> tuple[Array, Array]:
        """Return ``(dout * ∂out/∂x, dout * ∂out/∂y)``, each summed to its input's shape."""
        x, y, out = self.x, self.y, self.out
        if x is None or y is None or out is None:
            raise _not_yet(self)
        _check_dout(self, dout, np.shape(out))
        # The op table's float rules are arithmetic, so they work on arrays as they are.
        dx, dy = (rule(x, y, out) for rule in self.op.local_for(ops.FLOATS))
        return _unbroadcast(dx * dout, np.shape(x)), _unbroadcast(dy * dout, np.shape(y))


class MulLayer(_BinaryLayer):
    """The multiply node as a layer (곱셈 계층): ``forward(x, y) = x * y``; backward gives ``(dout * y, dout * x)``.

    >>> layer = MulLayer()
    >>> layer.forward(3.0, 4.0)
    12.0
    >>> layer.backward(1.0)
    (4.0, 3.0)
    """

    op = ops.MUL


class AddLayer(_BinaryLayer):
    """The add node as a layer (덧셈 계층): ``forward(x, y) = x + y``; backward passes ``dout`` to both.

    >>> layer = AddLayer()
    >>> layer.forward(3.0, 4.0)
    7.0
    >>> layer.backward(2.0)
    (2.0, 2.0)
    """

    op = ops.ADD


class Relu:
    """The ReLU layer: ``max(x, 0)`` elementwise; the gradient passes where ``x > 0``.

    Neither ``forward`` nor ``backward`` modifies its argument.

    >>> relu = Relu()
    >>> relu.forward(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 2.])
    >>> relu.backward(np.array([5.0, 5.0, 5.0]))
    array([0., 0., 5.])
    """

    def __init__(self) -> None:
        self.mask: npt.NDArray[np.bool_] | None = None

    def forward(self, x: ArrayLike) -> Array:
        """Return ``max(x, 0)`` elementwise (NaN stays NaN, as in the engine)."""
        # The book's mask is ``x <= 0`` and zeroes dout there; ``x > 0`` is the same
        # rule as ops.RELU's local derivative (1 if x > 0 else 0) and is what passes.
        self.mask = np.greater(x, 0.0)
        return np.maximum(x, 0.0)

    def backward(self, dout: ArrayLike) -> Array:
        """Return a new array: ``dout`` where the input was positive, 0 elsewhere."""
        if self.mask is None:
            raise _not_yet(self)
        _check_dout(self, dout, self.mask.shape)
        # np.where, not dout * mask: inf * 0 would be NaN.  [()] turns a 0-d result
        # back into a scalar and leaves arrays alone.
        return np.where(self.mask, dout, 0.0)[()]


class Sigmoid:
    """The Sigmoid layer: ``1 / (1 + exp(-x))`` elementwise, stable for any input.

    >>> sigmoid = Sigmoid()
    >>> sigmoid.forward(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    >>> sigmoid.backward(np.ones(3))
    array([0.  , 0.25, 0.  ])
    """

    def __init__(self) -> None:
        self.out: Array | None = None
        self.x: Array | None = None  # the op table's rule reads x too, for the slope's tail

    def forward(self, x: ArrayLike) -> Array:
        """Return the sigmoid of ``x``; ``exp`` only sees ``-|x|``, so it never overflows."""
        self.x = np.asarray(x, dtype=np.float64)
        e = np.exp(-np.abs(x))
        # x >= 0: 1 / (1 + e^-x);  x < 0: e^x / (1 + e^x).  Both are the same
        # function; this is the two-branch form of ops.SIGMOID, elementwise.
        self.out = np.where(np.greater_equal(x, 0.0), 1.0, e) / (1.0 + e)
        return self.out

    def backward(self, dout: ArrayLike) -> Array:
        """Return ``dout * out * (1 - out)`` (as ``dout * out * σ(-x)`` past x = 1, where 1 - out cancels)."""
        if self.out is None or self.x is None:
            raise _not_yet(self)
        _check_dout(self, dout, np.shape(self.out))
        from .vectorize import ARRAYS  # the op table's rule, run on numpy arrays

        with np.errstate(all="ignore"):
            slope = ops.SIGMOID.local_for(ARRAYS)[0](self.x, self.out)
        result: Array = slope * dout  # a float for float inputs, as the other layers
        return result


class Affine:
    """The Affine layer: ``x @ W + b``; keeps ``dW`` and ``db`` after ``backward``.

    ``W`` (shape ``(D, H)``) and ``b`` (shape ``(H,)``) are kept by reference, as in
    the book, so updating the arrays in place (``W -= lr * dW``) updates the layer.
    ``x`` may be one sample of shape ``(D,)``, a batch ``(N, D)``, or a batch of
    N-d samples ``(N, d1, d2, ...)`` with ``d1 * d2 * ... == D``, flattened as the
    book does; ``backward`` returns ``dx`` in ``x``'s shape.

    >>> layer = Affine(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -0.5]))
    >>> layer.forward(np.array([[1.0, 1.0]]))
    array([[4.5, 5.5]])
    >>> layer.backward(np.array([[1.0, 0.0]]))
    array([[1., 3.]])
    >>> layer.dW, layer.db
    (array([[1., 0.],
           [1., 0.]]), array([1., 0.]))
    """

    def __init__(self, W: npt.NDArray[Any], b: npt.NDArray[Any]) -> None:
        for name, array in (("W", W), ("b", b)):
            if not isinstance(array, np.ndarray) or array.dtype.kind not in "iuf":
                if isinstance(array, np.ndarray):
                    raise LocalizedTypeError("learning.affine_dtype", name=name, dtype=array.dtype)
                raise LocalizedTypeError("learning.affine_type", name=name, got=type(array).__name__)
        if np.ndim(W) != 2:
            raise LocalizedValueError("learning.affine_w_ndim", shape=np.shape(W))
        if np.shape(b) != (np.shape(W)[1],):
            raise LocalizedValueError("learning.affine_b_shape", n=np.shape(W)[1], w_shape=np.shape(W), got=np.shape(b))
        self.W = W
        self.b = b
        self.x: npt.NDArray[Any] | None = None
        self.original_x_shape: tuple[int, ...] | None = None
        self.dW: npt.NDArray[Any] | None = None
        self.db: npt.NDArray[Any] | None = None

    def forward(self, x: ArrayLike) -> Array:
        """Return ``x @ W + b`` for one sample or a batch (see the class docstring)."""
        x = np.asarray(x)
        n_in = self.W.shape[0]
        if x.ndim >= 2 and x.shape[0] == 0:
            raise LocalizedValueError("learning.affine_empty", shape=x.shape)
        # One sample (D,) becomes a batch of one; (N, d1, d2, ...) becomes (N, D).
        flat = x.reshape(1, -1) if x.ndim == 1 else x.reshape(len(x), -1) if x.ndim >= 2 else None
        if flat is None or flat.shape[1] != n_in:
            raise LocalizedValueError("learning.affine_inputs", n=n_in, w_shape=self.W.shape, shape=x.shape)
        self.original_x_shape = x.shape
        self.x = flat
        out = flat @ self.W + self.b
        return out[0] if x.ndim == 1 else out

    def backward(self, dout: ArrayLike) -> Array:
        """Store ``dW = x.T @ dout`` and ``db = dout summed over the batch``; return ``dx = dout @ W.T``."""
        if self.x is None or self.original_x_shape is None:
            raise _not_yet(self)
        batch = self.original_x_shape[:1] if len(self.original_x_shape) >= 2 else ()
        _check_dout(self, dout, (*batch, self.W.shape[1]))
        dout = np.reshape(dout, (len(self.x), -1))
        self.dW = self.x.T @ dout
        self.db = np.sum(dout, axis=0)
        return (dout @ self.W.T).reshape(self.original_x_shape)


class SoftmaxWithLoss:
    """Softmax followed by the cross-entropy error (교차 엔트로피 오차), averaged over the batch.

    ``forward(x, t)`` takes scores ``x`` of shape ``(N, C)`` (or ``(C,)`` for one
    sample) and labels ``t``: one-hot rows of ``x``'s shape (any rows of
    probabilities summing to 1 work), or class indices of shape ``(N,)`` (or
    ``()``).  It keeps ``y`` (the softmax), ``t`` and ``loss`` as the book does.
    ``backward(dout=1)`` returns ``dout * (y - t) / N``.

    >>> layer = SoftmaxWithLoss()
    >>> float(layer.forward(np.array([[1000.0, -1000.0]]), np.array([1])))
    2000.0
    >>> layer.backward()
    array([[ 1., -1.]])
    """

    def __init__(self) -> None:
        self.loss: float | None = None
        self.y: npt.NDArray[Any] | None = None
        self.t: npt.NDArray[Any] | None = None
        self._one_hot: npt.NDArray[np.float64] | None = None

    def forward(self, x: ArrayLike, t: ArrayLike) -> float:
        """Return the mean cross-entropy error of ``softmax(x)`` against the labels ``t``."""
        x = np.asarray(x)
        t = np.asarray(t)
        if x.ndim not in (1, 2) or x.size == 0:
            raise LocalizedValueError("learning.softmax_shape", shape=x.shape)
        scores = x.reshape(-1, x.shape[-1])
        one_hot = self._labels(t, x.shape).reshape(scores.shape)
        # log-softmax = x - max - log(sum(exp(x - max))): exp only sees values <= 0,
        # and the sum is >= 1, so the log is finite.
        shifted = scores - np.max(scores, axis=1, keepdims=True)
        log_y = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        self.y = np.exp(log_y).reshape(x.shape)
        self.t = t
        self._one_hot = one_hot
        self.loss = float(-np.sum(one_hot * log_y) / len(scores))
        return self.loss

    @staticmethod
    def _labels(t: npt.NDArray[Any], shape: tuple[int, ...]) -> npt.NDArray[np.float64]:
        """The labels as rows of probabilities of ``shape``, or a ValueError saying what was wrong."""
        n_classes = shape[-1]
        if t.shape == shape:
            # numpy would turn "0"/"1" strings into numbers without a word.
            if t.dtype.kind not in "biuf":
                raise LocalizedValueError("learning.softmax_onehot_dtype", dtype=t.dtype)
            probabilities = t.astype(np.float64)
            bad = ~(np.isfinite(probabilities) & (probabilities >= 0))
            if bad.any():
                where = tuple(int(i) for i in np.argwhere(bad)[0])
                raise LocalizedValueError("learning.softmax_onehot_values", value=float(probabilities[where]),
                                          where=", ".join(map(str, where)))
            return probabilities
        if t.shape != shape[:-1]:
            raise LocalizedValueError("learning.softmax_t_shape", shape=shape, index_shape=shape[:-1], got=t.shape)
        if t.dtype.kind not in "iu":
            raise LocalizedValueError("learning.softmax_index_dtype", dtype=t.dtype)
        if t.size and (t.min() < 0 or t.max() >= n_classes):
            raise LocalizedValueError("learning.softmax_index_range", last=n_classes - 1, low=t.min(), high=t.max())
        one_hot: npt.NDArray[np.float64] = np.eye(n_classes)[t]
        return one_hot

    def backward(self, dout: float = 1) -> Array:
        """Return ``dout * (y - t) / N``, the gradient of the loss with respect to ``x``."""
        if self.y is None or self._one_hot is None:
            raise _not_yet(self)
        _check_dout(self, dout, ())
        y = self.y.reshape(self._one_hot.shape)
        # y * sum(t) - t is the exact gradient for any rows of t; for one-hot rows the
        # sum is exactly 1.0 and this is the book's y - t.
        dx = dout * (y * np.sum(self._one_hot, axis=1, keepdims=True) - self._one_hot) / len(y)
        return dx.reshape(self.y.shape)


class TwoLayerNet:
    """The book's two-layer network (§5.7): Affine → Relu → Affine → SoftmaxWithLoss.

    The book's API: ``params`` (``W1``, ``b1``, ``W2``, ``b2``), ``layers`` (in
    order), ``last_layer``, and ``predict``, ``loss``, ``accuracy``,
    ``numerical_gradient`` (수치 미분) and ``gradient`` (오차역전파법).  The
    weights start as the book's ``weight_init_std · N(0, 1)``, drawn from a
    numpy ``Generator`` seeded with ``seed`` (the global numpy state is never
    used); the biases start at 0.  The layers hold the very arrays in
    ``params``, so an in-place update (``params[key] -= lr * grad[key]``) is
    what the network computes with next.

    >>> net = TwoLayerNet(input_size=4, hidden_size=5, output_size=3, seed=0)
    >>> x, t = np.ones((2, 4)), np.array([0, 2])
    >>> grads = net.gradient(x, t)
    >>> sorted(grads), grads["W1"].shape
    (['W1', 'W2', 'b1', 'b2'], (4, 5))
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int, weight_init_std: float = 0.01,
                 seed: int | None = None) -> None:
        for name, size in (("input_size", input_size), ("hidden_size", hidden_size), ("output_size", output_size)):
            if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
                raise LocalizedValueError("learning.twolayer_size", name=name, got=size)
        if isinstance(weight_init_std, bool) or not isinstance(weight_init_std, (int, float)) \
                or not 0.0 <= weight_init_std < np.inf:
            raise LocalizedValueError("learning.twolayer_std", got=weight_init_std)
        rng = np.random.default_rng(seed)
        self.params: dict[str, npt.NDArray[np.float64]] = {
            "W1": weight_init_std * rng.standard_normal((input_size, hidden_size)),
            "b1": np.zeros(hidden_size),
            "W2": weight_init_std * rng.standard_normal((hidden_size, output_size)),
            "b2": np.zeros(output_size),
        }
        self.layers: dict[str, Affine | Relu] = {
            "Affine1": Affine(self.params["W1"], self.params["b1"]),
            "Relu1": Relu(),
            "Affine2": Affine(self.params["W2"], self.params["b2"]),
        }
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x: ArrayLike) -> Array:
        """The scores (before softmax) for a batch ``x`` of shape ``(N, input_size)``."""
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x: ArrayLike, t: ArrayLike) -> float:
        """The mean cross-entropy error for inputs ``x`` and labels ``t`` (one-hot or class indices)."""
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x: ArrayLike, t: ArrayLike) -> float:
        """The share of samples whose highest score is the label (one-hot or class indices)."""
        y = np.argmax(self.predict(x), axis=1)
        t = np.asarray(t)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return float(np.sum(y == t) / len(y))

    def numerical_gradient(self, x: ArrayLike, t: ArrayLike) -> dict[str, Array]:
        """The loss's gradient by central differences, parameter by parameter (slow; for checking)."""
        from .numerical import numerical_grad

        def loss_w(_: Array) -> float:
            # The book's lambda W: self.loss(x, t): numerical_grad steps params[key] in place.
            return self.loss(x, t)

        return {key: numerical_grad(loss_w, self.params[key]) for key in ("W1", "b1", "W2", "b2")}

    def gradient(self, x: ArrayLike, t: ArrayLike) -> dict[str, Array]:
        """The loss's gradient by backpropagation: forward, then each layer's backward in reverse."""
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        affine1, affine2 = self.layers["Affine1"], self.layers["Affine2"]
        assert isinstance(affine1, Affine) and isinstance(affine2, Affine)
        return {"W1": affine1.dW, "b1": affine1.db, "W2": affine2.dW, "b2": affine2.db}
