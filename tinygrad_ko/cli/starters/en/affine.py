"""Affine, the affine layer of Deep Learning from Scratch, chapter 5: write its backward pass.

Run this file (python affine_layer.py) or tinygrad-ko check affine_layer.py to check it.
"""

import numpy as np


class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        # The gradients of the weight and the bias, set by backward.
        self.dW = None
        self.db = None

    def forward(self, x):
        self.x = x
        out = np.dot(x, self.W) + self.b
        return out

    def backward(self, dout):
        # dout is the derivative coming from upstream, one row per sample of the batch.
        raise NotImplementedError(
            "Affine.backward: dx = dout @ W.T for downstream; the weight's gradient self.dW = x.T"
            " @ dout (the shape of W); the bias was added to every sample, so self.db = the sum "
            "of dout over the batch (axis 0, the shape of b); return dx"
        )


if __name__ == "__main__":
    from tinygrad_ko.exercises import check_layer

    report = check_layer(Affine, lang="en")
    print(report)
    raise SystemExit(0 if report else 1)
