"""MulLayer, the multiply layer of Deep Learning from Scratch, chapter 5: write its backward pass.

Run this file (python mul_layer.py) or tinygrad-ko check mul_layer.py to check it.
"""

import numpy as np  # noqa: F401 (there when you need it)


class MulLayer:
    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        # Forward: keep both inputs, the backward pass needs them.
        self.x = x
        self.y = y
        out = x * y
        return out

    def backward(self, dout):
        # dout is the derivative coming from upstream; return (dx, dy) for downstream.
        raise NotImplementedError(
            "MulLayer.backward: a multiply node passes the upstream derivative dout on times the "
            "OTHER input (the inputs swapped): dx = dout * y, dy = dout * x; return dx, dy"
        )


if __name__ == "__main__":
    from tinygrad_ko.exercises import check_layer

    report = check_layer(MulLayer, lang="en")
    print(report)
    raise SystemExit(0 if report else 1)
