"""The book's layers (ch. 5) written correctly, as a learner would: the check must find nothing.

The only change from the book is Relu.backward, which copies dout instead of writing into it.
Alternative forms of the same functions (other summation orders, other stable softmaxes) are
below: a right answer with other rounding must pass too.
"""

import numpy as np


class MulLayer:
    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x = x
        self.y = y
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x


class AddLayer:
    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        return dout * 1, dout * 1


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx


class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out


class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.x = x
        return np.dot(x, self.W) + self.b

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx


def softmax(x):
    if x.ndim == 2:
        x = x.T
        x = x - np.max(x, axis=0)
        y = np.exp(x) / np.sum(np.exp(x), axis=0)
        return y.T
    x = x - np.max(x)
    return np.exp(x) / np.sum(np.exp(x))


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, self.t)
        return self.loss

    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        return (self.y - self.t) / batch_size


# -- the same layers in other algebraic forms (other rounding, same functions) -----------

class SigmoidTanh(Sigmoid):
    def forward(self, x):
        self.out = 0.5 * (1.0 + np.tanh(0.5 * x))
        return self.out


class SigmoidFromInput(Sigmoid):
    def forward(self, x):
        self.x = x
        self.out = np.exp(x) / (1.0 + np.exp(x))
        return self.out

    def backward(self, dout):
        e = np.exp(-self.x)
        return dout * e / (1.0 + e) ** 2


class AffineLoops(Affine):
    def backward(self, dout):
        # Sums of outer products, one sample at a time: another summation order than x.T @ dout.
        self.dW = np.zeros_like(self.W, dtype=float)
        self.db = np.zeros_like(self.b, dtype=float)
        for x_row, dout_row in zip(self.x[::-1], dout[::-1], strict=True):
            self.dW += np.outer(x_row, dout_row)
            self.db += dout_row
        return np.einsum("nh,dh->nd", dout, self.W)


class SoftmaxWithLossLogSumExp(SoftmaxWithLoss):
    def forward(self, x, t):
        self.t = t
        log_sum = np.log(np.sum(np.exp(x - x.min(axis=1, keepdims=True)), axis=1, keepdims=True))
        log_y = x - x.min(axis=1, keepdims=True) - log_sum
        self.y = np.exp(log_y)
        self.loss = float(-np.sum(t * log_y) / len(x))
        return self.loss


class ReluWhere(Relu):
    def forward(self, x):
        self.mask = x > 0
        return np.maximum(x, 0)

    def backward(self, dout):
        return np.where(self.mask, dout, 0.0)


class MulLayerReordered(MulLayer):
    def backward(self, dout):
        return self.y * dout, self.x * dout


ALTERNATIVES = {
    "mul": [MulLayer, MulLayerReordered],
    "add": [AddLayer],
    "relu": [Relu, ReluWhere],
    "sigmoid": [Sigmoid, SigmoidTanh, SigmoidFromInput],
    "affine": [Affine, AffineLoops],
    "softmax_with_loss": [SoftmaxWithLoss, SoftmaxWithLossLogSumExp],
}
