"""AddLayer, the add layer of Deep Learning from Scratch, chapter 5: write its backward pass.

Run this file (python add_layer.py) or tinygrad-ko check add_layer.py to check it.
"""

import numpy as np  # noqa: F401 (there when you need it)


class AddLayer:
    def __init__(self):
        pass

    def forward(self, x, y):
        out = x + y
        return out

    def backward(self, dout):
        # dout is the derivative coming from upstream; return (dx, dy) for downstream.
        raise NotImplementedError(
            "AddLayer.backward: an add node's local derivatives are 1 and 1, so it passes the "
            "upstream derivative dout on unchanged to both inputs; return dx, dy"
        )


if __name__ == "__main__":
    from tinygrad_ko.exercises import check_layer

    report = check_layer(AddLayer, lang="en")
    print(report)
    raise SystemExit(0 if report else 1)
