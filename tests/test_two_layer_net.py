"""layers.TwoLayerNet: the book's §5.7 network, its gradient check and its training on digits."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_ko import TwoLayerNet, datasets


def test_weights_are_the_books_gaussian_from_a_seeded_generator() -> None:
    state = np.random.get_state()
    net = TwoLayerNet(input_size=64, hidden_size=50, output_size=10, seed=0)
    assert np.array_equal(np.random.get_state()[1], state[1])  # the global numpy state is never used
    assert {k: v.shape for k, v in net.params.items()} == {"W1": (64, 50), "b1": (50,), "W2": (50, 10), "b2": (10,)}
    assert not net.params["b1"].any() and not net.params["b2"].any()
    # 3,200 draws of 0.01·N(0, 1): the sample sd is within 0.01·(1 ± 4·sqrt(1/6400)) = ±5%.
    assert net.params["W1"].std() == pytest.approx(0.01, rel=0.05)
    same, other = TwoLayerNet(64, 50, 10, seed=0), TwoLayerNet(64, 50, 10, seed=1)
    assert np.array_equal(same.params["W1"], net.params["W1"])
    assert not np.array_equal(other.params["W1"], net.params["W1"])


def test_predict_loss_and_accuracy_follow_the_layers() -> None:
    net = TwoLayerNet(3, 4, 2, weight_init_std=1.0, seed=0)
    x = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, 1.0]])
    p = net.params
    scores = np.maximum(x @ p["W1"] + p["b1"], 0.0) @ p["W2"] + p["b2"]
    assert np.allclose(net.predict(x), scores, rtol=1e-14, atol=1e-14)
    labels = np.argmax(scores, axis=1)
    one_hot = np.eye(2)[labels]
    assert net.accuracy(x, labels) == net.accuracy(x, one_hot) == 1.0
    assert net.accuracy(x, 1 - labels) == 0.0
    shifted = scores - scores.max(axis=1, keepdims=True)
    expected = -np.mean(shifted[np.arange(2), labels] - np.log(np.exp(shifted).sum(axis=1)))
    assert net.loss(x, labels) == pytest.approx(expected, rel=1e-14)
    # The layers hold the arrays in params: an in-place update changes the prediction.
    p["b2"] += np.array([100.0, -100.0])
    assert net.accuracy(x, np.zeros(2, dtype=int)) == 1.0


def test_gradient_check_backprop_against_numerical_gradient_per_parameter() -> None:
    """The book's gradient_check.py on a digits batch of 3: max |backprop - numerical| per parameter."""
    x, t = datasets.digits()
    net = TwoLayerNet(input_size=64, hidden_size=10, output_size=10, seed=0)
    grad_numerical = net.numerical_gradient(x[:3], t[:3])
    grad_backprop = net.gradient(x[:3], t[:3])
    for key in ("W1", "b1", "W2", "b2"):
        diff = np.max(np.abs(grad_backprop[key] - grad_numerical[key]))
        # Central differences with numerical_grad's step are good to ~1e-10 of the loss (2.3)
        # here; the gradients are ~1e-3 (W1, b1) to ~0.1 (b2) in size, so a wrong layer shows
        # at 1e-4 and more, and 1e-8 separates the two by four orders of magnitude.
        assert diff < 1e-8, (key, diff)
        assert np.abs(grad_backprop[key]).max() > 1e-4  # not vacuous: the gradient is not ~0


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="hidden_size must be a positive int"):
        TwoLayerNet(4, 0, 2)
    with pytest.raises(ValueError, match="weight_init_std"):
        TwoLayerNet(4, 3, 2, weight_init_std=-1.0)
