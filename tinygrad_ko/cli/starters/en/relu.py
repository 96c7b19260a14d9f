"""Relu, the ReLU layer of Deep Learning from Scratch, chapter 5: write its backward pass.

Run this file (python relu_layer.py) or tinygrad-ko check relu_layer.py to check it.
"""

import numpy as np


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        # mask is True where the input was 0 or less: there the switch is off.
        self.mask = x <= 0
        out = np.where(self.mask, 0.0, x)  # a new array: the caller's x stays as it was
        return out

    def backward(self, dout):
        # dout is the derivative coming from upstream; return dx for downstream.
        raise NotImplementedError(
            "Relu.backward: where the forward input was > 0 the upstream derivative dout flows on"
            " unchanged, where it was <= 0 (self.mask) it stops (0); build a new array, do not "
            "write into the caller's dout; return dx"
        )


if __name__ == "__main__":
    from tinygrad_ko.exercises import check_layer

    report = check_layer(Relu, lang="en")
    print(report)
    raise SystemExit(0 if report else 1)
