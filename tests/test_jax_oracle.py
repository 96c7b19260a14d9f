"""JAX as the always-running independent oracle: derivatives, losses, optimizers, vectorize.

JAX is in the ``test`` extra (its CPU wheel is small), so these run everywhere the
suite runs, unlike the PyTorch-oracle tests.  Every oracle here is written directly in
``jax.numpy`` from the mathematical definition, never through ``tinygrad_ko.bridge``:
a wrong rule in the op table would show up as a disagreement, not be copied.
64-bit mode is on, so both sides compute in IEEE doubles.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from tinygrad_ko import Value, hessian, nn, optim, vectorize
from tinygrad_ko.testing import Expression, expressions

jax = pytest.importorskip("jax", reason="JAX is in the test extra: pip install -e \".[test]\"")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

# Each op as its textbook definition in jax.numpy (not the op table's rules).
_JNP: dict[str, Callable[..., Any]] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a**b, "neg": lambda a: -a,
    "relu": lambda a: jnp.maximum(a, 0.0), "sigmoid": lambda a: 1.0 / (1.0 + jnp.exp(-a)),
    "tanh": jnp.tanh, "exp": jnp.exp, "log": jnp.log,
}


def _jax_function(expression: Expression) -> Callable[[Any], Any]:
    """The expression as a function of one vector of inputs, in plain jax.numpy."""
    def f(xs: Any) -> Any:
        values = [xs[i] for i in range(expression.n_inputs)]
        for name, args in expression.nodes:
            values.append(_JNP[name](*(values[a] if isinstance(a, int) else a for a in args)))
        return values[-1]
    return f


def _close(ours: float, theirs: float, scale: float) -> bool:
    # Two implementations of the same math in doubles: XLA's exp/log/tanh/pow differ from
    # libm's by a few ulp and the sums run in another order, over at most a few dozen
    # nodes (each inside the strategy's 1e4 magnitude bound), so they agree to far better
    # than 1e-10 of the largest entry; a wrong rule is off by O(1) of it.
    return abs(ours - theirs) <= 1e-10 * scale


@settings(deadline=None, max_examples=40)
@given(expressions(max_inputs=3, max_ops=8))
def test_first_derivatives_of_random_graphs_agree_with_jax_grad(sample: tuple[Expression, tuple[float, ...]]) -> None:
    expression, xs = sample
    values = [Value(v) for v in xs]
    out = expression.build(values)
    out.backward()
    f = _jax_function(expression)
    theirs = np.asarray(jax.grad(f)(jnp.array(xs, dtype=jnp.float64)))
    assert _close(out.data, float(f(jnp.array(xs))), max(1.0, abs(out.data)))
    scale = max(1.0, *(abs(float(v)) for v in theirs))
    for i, v in enumerate(values):
        note(f"{expression}\nd/dx{i}: ours {v.grad!r}, JAX {theirs[i]!r}")
        assert _close(v.grad, float(theirs[i]), scale)


@settings(deadline=None, max_examples=25)
@given(expressions(max_inputs=3, max_ops=6))
def test_second_derivatives_of_random_graphs_agree_with_jax_hessian(
        sample: tuple[Expression, tuple[float, ...]]) -> None:
    expression, xs = sample
    values = [Value(v) for v in xs]
    ours = hessian(expression.build(values), values)
    theirs = np.asarray(jax.hessian(_jax_function(expression))(jnp.array(xs, dtype=jnp.float64)))
    scale = max(1.0, float(np.max(np.abs(theirs))))
    for i, row in enumerate(ours):
        for j, value in enumerate(row):
            note(f"{expression}\nH[{i}][{j}]: ours {value!r}, JAX {theirs[i][j]!r}")
            assert _close(value, float(theirs[i][j]), scale)


# -- losses ---------------------------------------------------------------------------

def _jax_losses(n: int) -> list[tuple[str, Callable[[list[Value]], Value], Callable[[Any], Any]]]:
    targets = [0.3 * k - 0.5 for k in range(n)]
    labels = [1.0 if k % 2 else -1.0 for k in range(n)]
    probabilities = [k / max(1, n - 1) for k in range(n)]
    t, y, p = jnp.array(targets), jnp.array(labels), jnp.array(probabilities)
    return [
        ("mse", lambda v: nn.mse(v, targets), lambda s: jnp.mean((s - t) ** 2)),
        ("hinge", lambda v: nn.hinge(v, labels), lambda s: jnp.mean(jnp.maximum(0.0, 1.0 - y * s))),
        # BCE with logits: -[p·log σ(s) + (1-p)·log(1-σ(s))] = log(1 + e^s) - p·s.
        ("bce", lambda v: nn.binary_cross_entropy_with_logits(v, probabilities),
         lambda s: jnp.mean(jnp.logaddexp(0.0, s) - p * s)),
        # Cross-entropy of softmax against class 1: log Σ e^s - s[1].
        ("cross_entropy", lambda v: nn.cross_entropy(v, 1), lambda s: jax.scipy.special.logsumexp(s) - s[1]),
    ]


@settings(deadline=None, max_examples=40)
@given(st.lists(st.floats(-5.0, 5.0), min_size=2, max_size=6))
def test_losses_and_their_gradients_agree_with_jax(scores: list[float]) -> None:
    # Keep hinge away from its kink at y·s == 1, where the slope is a choice, not a fact.
    scores = [s if abs(abs(s) - 1.0) > 1e-3 else s + 0.01 for s in scores]
    for name, ours_of, theirs_of in _jax_losses(len(scores)):
        values = [Value(s) for s in scores]
        loss = ours_of(values)
        loss.backward()
        s = jnp.array(scores)
        expected, grads = float(theirs_of(s)), np.asarray(jax.grad(theirs_of)(s))
        # Losses of at most six terms of size <= e^5: rounding only, relative to the size.
        assert loss.data == pytest.approx(expected, rel=1e-12, abs=1e-13), name
        assert [v.grad for v in values] == pytest.approx(list(grads), rel=1e-11, abs=1e-13), name


# -- optimizers: PyTorch's documented update rules, written in jax.numpy --------------

def _loss(params: Sequence[Any]) -> Any:
    a, b, c = params[0], params[1], params[2]
    return a**2 * b + (b - 1) ** 2 + jnp.tanh(a * c) + c**4 if not isinstance(a, Value) else \
        a**2 * b + (b - 1) ** 2 + (a * c).tanh() + c**4


def _jax_sgd(start: list[float], steps: int, lr: float, momentum: float = 0.0,
             weight_decay: float = 0.0) -> list[list[float]]:
    # torch.optim.SGD: g += λθ; b = μb + g (b = g on the first step); θ -= lr·b.
    theta, buf, seen = jnp.array(start), None, []
    for _ in range(steps):
        g = jax.grad(_loss)(theta) + weight_decay * theta
        if momentum:
            buf = g if buf is None else momentum * buf + g
            g = buf
        theta = theta - lr * g
        seen.append([float(v) for v in theta])
    return seen


def _jax_adam(start: list[float], steps: int, lr: float, betas: tuple[float, float] = (0.9, 0.999),
              eps: float = 1e-8) -> list[list[float]]:
    # torch.optim.Adam: m = β1·m + (1-β1)g; v = β2·v + (1-β2)g²; θ -= lr·m̂/(sqrt(v̂) + ε).
    theta, m, v, seen = jnp.array(start), jnp.zeros(3), jnp.zeros(3), []
    b1, b2 = betas
    for t in range(1, steps + 1):
        g = jax.grad(_loss)(theta)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        theta = theta - lr * (m / (1 - b1**t)) / (jnp.sqrt(v / (1 - b2**t)) + eps)
        seen.append([float(x) for x in theta])
    return seen


@pytest.mark.parametrize(("name", "kwargs"), [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.1, "betas": (0.5, 0.9), "eps": 1e-6}),
])
def test_optimizer_steps_agree_with_the_rules_in_jax(name: str, kwargs: dict[str, Any]) -> None:
    start, steps = [0.8, -0.3, 0.6], 30
    params = [Value(v) for v in start]
    opt = getattr(optim, name)(params, **kwargs)
    ours = []
    for _ in range(steps):
        opt.zero_grad()
        _loss(params).backward()
        opt.step()
        ours.append([p.data for p in params])
    theirs = (_jax_sgd if name == "SGD" else _jax_adam)(start, steps, **kwargs)
    # The same formulas arranged a little differently (torch's lerp for Adam's m, for
    # one): rounding differences of ~1e-16 that 30 steps of a smooth problem keep below 1e-10.
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == pytest.approx(b, rel=1e-10, abs=1e-12), f"step {k + 1}"


# -- vectorize ------------------------------------------------------------------------

def test_vectorize_outputs_and_gradients_agree_with_jax_vmap_of_grad() -> None:
    model = nn.MLP(2, [8, 8, 1], activation="tanh", seed=3)
    x1, x2 = Value(0.0), Value(0.0)
    f = vectorize(model([x1, x2]), [x1, x2])  # type: ignore[arg-type]
    rng = np.random.default_rng(0)
    X = rng.uniform(-2.0, 2.0, size=(64, 2))

    def jax_model(x: Any) -> Any:  # the same network in jax.numpy, from its weights
        h = x
        for k, layer in enumerate(model.layers):
            w = jnp.array([[wi.data for wi in n.w] for n in layer.neurons])
            b = jnp.array([n.b.data for n in layer.neurons])
            h = w @ h + b
            h = jnp.tanh(h) if k < len(model.layers) - 1 else h
        return h[0]

    outputs, grads = f(X[:, 0], X[:, 1]), f.grad(X[:, 0], X[:, 1])
    expected = np.asarray(jax.vmap(jax_model)(jnp.array(X)))
    expected_grads = np.asarray(jax.vmap(jax.grad(jax_model))(jnp.array(X)))
    # Sums of 8 products in another order (BLAS's): rounding of ~1e-16 per term.
    np.testing.assert_allclose(outputs, expected, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(np.stack(grads, axis=1), expected_grads, rtol=1e-11, atol=1e-13)


def test_the_oracle_catches_a_wrong_rule() -> None:
    # The oracle is independent: a tanh whose derivative were 1 - out (not 1 - out²) differs.
    wrong = 1.0 - math.tanh(0.7)
    right = float(jax.grad(jnp.tanh)(0.7))
    assert not _close(wrong, right, 1.0)
