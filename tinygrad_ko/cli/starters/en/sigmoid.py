"""Sigmoid, the sigmoid layer of Deep Learning from Scratch, chapter 5: write its backward pass.

Run this file (python sigmoid_layer.py) or tinygrad-ko check sigmoid_layer.py to check it.
"""

import numpy as np


class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        out = 1 / (1 + np.exp(-x))
        # Keep the output: the sigmoid's derivative is written with it.
        self.out = out
        return out

    def backward(self, dout):
        # dout is the derivative coming from upstream; return dx for downstream.
        raise NotImplementedError(
            "Sigmoid.backward: the local derivative of y = sigmoid(x) is y * (1 - y), written "
            "with the OUTPUT y (self.out), not the input; multiply the upstream derivative dout "
            "by it; return dx"
        )


if __name__ == "__main__":
    from tinygrad_ko.exercises import check_layer

    report = check_layer(Sigmoid, lang="en")
    print(report)
    raise SystemExit(0 if report else 1)
