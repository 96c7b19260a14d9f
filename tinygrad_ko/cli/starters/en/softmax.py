"""SoftmaxWithLoss, the output layer of Deep Learning from Scratch, chapter 5: write its backward pass.

Run this file (python softmax_layer.py) or tinygrad-ko check softmax_layer.py to check it.
"""

import numpy as np


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)  # against overflow: the result is the same
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:  # one-hot labels: the index of each sample's 1
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t])) / batch_size


class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None  # the softmax output
        self.t = None  # the labels (one-hot, or class indices)

    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, self.t)
        return self.loss

    def backward(self, dout=1):
        # dout is the derivative coming from upstream (1 when the loss is the end of the graph).
        raise NotImplementedError(
            "SoftmaxWithLoss.backward: the derivative of the mean loss with respect to x is (y - "
            "t) / batch_size (with one-hot t; for class indices subtract 1 at each sample's "
            "label), times the upstream derivative dout; return dx"
        )


if __name__ == "__main__":
    from tinygrad_ko.exercises import check_layer

    report = check_layer(SoftmaxWithLoss, lang="en")
    print(report)
    raise SystemExit(0 if report else 1)
