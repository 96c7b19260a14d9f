"""The chapter's gradient check (기울기 확인), done for real.

A two-layer network (Affine → Relu → Affine → SoftmaxWithLoss) on synthetic data
made with numpy, as in the book's ``gradient_check.py``: the gradients from
backpropagation (오차역전파법) are compared with numerical ones (수치 미분),
and the mean absolute difference per parameter is printed against a bound.

The differences are rounding noise (about 1e-11): their digits change with the
CPU's SIMD path and numpy's summation order, so the script prints them to two
digits and says whether each is below ``BOUND``; only that verdict is the same
on every machine.

Run it:  python docs/examples/gradient_check.py
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import numpy.typing as npt

from tinygrad_ko import Affine, Relu, SoftmaxWithLoss, numerical_grad

Array = npt.NDArray[np.float64]

#: Agreement means a difference far below the gradients' own size (~1e-3 here): the central
#: difference's error is ~h² = 1e-8 times a third derivative, plus rounding ~1e-16/h = 1e-12,
#: while a wrong layer is off by the size of the gradient itself.
BOUND = 1e-7


class TwoLayerNet:
    """The book's TwoLayerNet (ch. 5), built from tinygrad_ko's layers."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int, rng: np.random.Generator,
                 weight_init_std: float = 0.01) -> None:
        self.params: dict[str, Array] = {
            "W1": weight_init_std * rng.standard_normal((input_size, hidden_size)),
            "b1": np.zeros(hidden_size),
            "W2": weight_init_std * rng.standard_normal((hidden_size, output_size)),
            "b2": np.zeros(output_size),
        }
        # The layers hold the very arrays in self.params, so stepping a parameter in
        # place (as numerical_grad does) changes what the network computes.
        self.layers: OrderedDict[str, Any] = OrderedDict()
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"])
        self.layers["Relu1"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x: Array) -> Array:
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x: Array, t: Array) -> float:
        return self.last_layer.forward(self.predict(x), t)

    def numerical_gradient(self, x: Array, t: Array) -> dict[str, Array]:
        def loss_w(_: Array) -> float:
            return self.loss(x, t)

        return {key: numerical_grad(loss_w, self.params[key]) for key in ("W1", "b1", "W2", "b2")}

    def gradient(self, x: Array, t: Array) -> dict[str, Array]:
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        return {"W1": self.layers["Affine1"].dW, "b1": self.layers["Affine1"].db,
                "W2": self.layers["Affine2"].dW, "b2": self.layers["Affine2"].db}


def synthetic_batch(rng: np.random.Generator, batch_size: int, input_size: int, n_classes: int
                    ) -> tuple[Array, Array]:
    """Inputs in [0, 1) like normalised pixels, and one-hot labels."""
    x = rng.random((batch_size, input_size))
    t = np.eye(n_classes)[rng.integers(0, n_classes, size=batch_size)]
    return x, t


def gradient_check(seed: int = 0) -> dict[str, float]:
    """Mean |backprop - numerical| per parameter of a small TwoLayerNet on a batch of 3."""
    rng = np.random.default_rng(seed)
    # The book uses 784-50-10 on MNIST; 20-10-5 keeps the 2·265 loss evaluations fast.
    network = TwoLayerNet(input_size=20, hidden_size=10, output_size=5, rng=rng)
    x_batch, t_batch = synthetic_batch(rng, batch_size=3, input_size=20, n_classes=5)
    grad_numerical = network.numerical_gradient(x_batch, t_batch)
    grad_backprop = network.gradient(x_batch, t_batch)
    return {key: float(np.average(np.abs(grad_backprop[key] - grad_numerical[key]))) for key in grad_numerical}


def main() -> None:
    for key, diff in gradient_check().items():
        verdict = f"< {BOUND:g} ✓" if diff < BOUND else f">= {BOUND:g} ✗ backprop and numerical disagree"
        print(f"{key}: {diff:.1e} {verdict}")


if __name__ == "__main__":
    main()
