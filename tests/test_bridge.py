"""tinygrad_ko.bridge: the same graph on JAX (always: JAX is in the test extra) and PyTorch (where installed).

The bridge is judged against the engine itself (``data``, ``backward()``, ``grad``,
``hessian``): it runs the op table's own rules on another kind of number, so the two
agree to rounding.  The independent oracle of those rules is tests/test_jax_oracle.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, note, settings

from tinygrad_ko import Value, grad, hessian, nn
from tinygrad_ko.bridge import to_jax, to_torch
from tinygrad_ko.testing import Expression, expressions

jax = pytest.importorskip("jax", reason="JAX is in the test extra: pip install -e \".[test]\"")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

# The same rules on doubles, only XLA's exp/log/tanh/pow (a few ulp from libm's) and the
# order of a few sums differ: far inside 1e-10 of the largest value over a few dozen nodes.
RTOL = 1e-10


def _close(ours: float, theirs: float, scale: float) -> bool:
    return abs(ours - theirs) <= RTOL * max(1.0, scale)


@settings(deadline=None, max_examples=30)
@given(expressions(max_inputs=3, max_ops=8))
def test_to_jax_value_and_gradient_are_the_engines(sample: tuple[Expression, tuple[float, ...]]) -> None:
    expression, xs = sample
    values = [Value(v) for v in xs]
    out = expression.build(values)
    out.backward()
    f = to_jax(out, values)
    argnums = tuple(range(len(xs)))
    theirs = jax.grad(f, argnums=argnums)(*xs)
    assert _close(out.data, float(f(*xs)), abs(out.data))
    scale = max(abs(v.grad) for v in values)
    for v, g in zip(values, theirs, strict=True):
        note(f"{expression}: engine {v.grad!r}, to_jax {float(g)!r}")
        assert _close(v.grad, float(g), scale)


@settings(deadline=None, max_examples=15)
@given(expressions(max_inputs=2, max_ops=6))
def test_to_jax_second_derivatives_are_the_engines_hessian(sample: tuple[Expression, tuple[float, ...]]) -> None:
    expression, xs = sample
    values = [Value(v) for v in xs]
    out = expression.build(values)
    ours = hessian(out, values)
    theirs = np.asarray(jax.hessian(lambda v: to_jax(out, values)(*v))(jnp.array(xs)))
    scale = float(np.max(np.abs(theirs)))
    for i, row in enumerate(ours):
        for j, value in enumerate(row):
            assert _close(value, float(theirs[i][j]), scale), f"{expression}: H[{i}][{j}]"


def test_to_jax_third_derivative_and_jit() -> None:
    x = Value(0.7)
    y = (x * x.tanh()).sigmoid() + x.exp() / (x + 2.0)
    g3 = grad(grad(grad(y, x, create_graph=True), x, create_graph=True), x)
    f = to_jax(y, [x])
    assert _close(g3.data, float(jax.jit(jax.grad(jax.grad(jax.grad(f))))(0.7)), abs(g3.data))
    assert float(jax.jit(f)(0.7)) == pytest.approx(y.data, rel=1e-14)


def test_to_jax_vmap_gives_each_samples_value_and_gradient() -> None:
    model = nn.MLP(2, [6, 1], activation="tanh", seed=1)
    x1, x2 = Value(0.0), Value(0.0)
    f = to_jax(model([x1, x2]), [x1, x2])  # type: ignore[arg-type]
    X = np.random.default_rng(0).uniform(-2, 2, size=(20, 2))
    outputs = np.asarray(jax.vmap(f)(X[:, 0], X[:, 1]))
    slopes = np.asarray(jax.vmap(jax.grad(f))(X[:, 0], X[:, 1]))
    for k, (a, b) in enumerate(X):
        p, q = Value(a), Value(b)
        out = model([p, q])
        out.backward()  # type: ignore[union-attr]
        assert _close(out.data, float(outputs[k]), abs(out.data))  # type: ignore[union-attr]
        assert _close(p.grad, float(slopes[k]), abs(p.grad))


def test_to_jax_parameters_as_inputs_give_backwards_parameter_gradients() -> None:
    model = nn.MLP(2, [4, 1], seed=0)
    params = model.parameters()
    loss = nn.hinge([model([0.5, -1.0]), model([-0.3, 0.8])], [1, -1])  # type: ignore[list-item]
    model.zero_grad()
    loss.backward()
    f = to_jax(loss, params)
    grads = jax.grad(lambda p: f(*p))(jnp.array([p.data for p in params]))
    assert float(f(*[p.data for p in params])) == pytest.approx(loss.data, rel=1e-13)
    np.testing.assert_allclose(np.asarray(grads), [p.grad for p in params], rtol=1e-12, atol=1e-14)


def test_to_jax_keeps_the_engines_choices_at_kinks() -> None:
    # relu's slope at 0 is 0 and d(x**y)/dy at x == 0, y > 0 is 0, as backward() says.
    x, y = Value(0.0), Value(2.0)
    out = x.relu() + x**y
    out.backward()
    gx, gy = jax.grad(to_jax(out, [x, y]), argnums=(0, 1))(0.0, 2.0)
    assert (float(gx), float(gy)) == (x.grad, y.grad) == (0.0, 0.0)


def test_leaves_not_given_as_inputs_are_constants_at_their_current_data() -> None:
    x, w = Value(3.0), Value(2.0)
    f = to_jax(w * x, [x])
    w.data = 100.0  # the function was made when w held 2.0
    assert float(f(5.0)) == 10.0
    assert float(jax.grad(f)(5.0)) == 2.0


def test_float32_agrees_to_single_precision() -> None:
    x = Value(0.3)
    y = (x * 3.0).tanh() * x.exp()
    f = to_jax(y, [x])
    jax.config.update("jax_enable_x64", False)
    try:
        value = f(np.float32(0.3))
    finally:
        jax.config.update("jax_enable_x64", True)
    assert value.dtype == jnp.float32
    # float32 rounds to about 6e-8 relative per op; four ops: within 1e-6, and not to 1e-10.
    assert float(value) == pytest.approx(y.data, rel=1e-6)
    assert float(value) != pytest.approx(y.data, rel=1e-10)


@pytest.mark.parametrize(("output", "inputs", "error", "message"), [
    (2.0, "x", TypeError, "output must be a Value"),
    ("a string", "x", TypeError, "output must be a Value"),
    ("y", "bare", TypeError, "inputs must be a list or tuple of Values"),
    ("y", "numbers", TypeError, r"inputs\[1\] must be a Value"),
    ("y", "none", ValueError, "inputs is empty"),
    ("y", "twice", ValueError, r"inputs\[0\] and inputs\[1\] are the same Value"),
])
def test_bad_arguments_are_refused_with_what_was_wrong(output: Any, inputs: str, error: type, message: str) -> None:
    x = Value(1.0)
    y = x * 2.0
    given_inputs = {"x": [x], "bare": x, "numbers": [x, 1.0], "none": [], "twice": [x, x]}[inputs]
    for convert in (to_jax, to_torch):
        with pytest.raises(error, match=message):
            convert(y if output == "y" else output, given_inputs)


def test_calling_with_the_wrong_number_of_arguments_says_how_many() -> None:
    x, y = Value(1.0), Value(2.0)
    with pytest.raises(TypeError, match=r"takes 2 argument\(s\).*got 1"):
        to_jax(x * y, [x, y])(1.0)


@pytest.mark.parametrize(("module", "convert", "extra"), [("jax", to_jax, "jax"), ("torch", to_torch, "torch")])
def test_a_missing_library_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch, module: str,
                                                      convert: Any, extra: str) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # what Python sees when the package is not installed
    x = Value(1.0)
    with pytest.raises(ImportError, match=rf'pip install "tinygrad_ko\[{extra}\]"'):
        convert(x * x, [x])


def test_importing_tinygrad_ko_imports_neither_jax_nor_torch() -> None:
    code = "import sys, tinygrad_ko, tinygrad_ko.bridge; print(sorted({'jax', 'torch'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# -- save / load --------------------------------------------------------------------

def test_save_and_load_give_back_the_same_floats(tmp_path: Path) -> None:
    model = nn.MLP(2, [5, 3], seed=0)
    path = tmp_path / "model.json"
    model.save(path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["format"] == "tinygrad_ko.state_dict" and saved["model"] == repr(model)
    other = nn.MLP(2, [5, 3], seed=1)
    assert other.state_dict() != model.state_dict()
    other.load(path)
    assert other.state_dict() == model.state_dict()  # bit for bit: repr round-trips a float


def test_save_refuses_a_diverged_model_and_keeps_the_old_file(tmp_path: Path) -> None:
    model = nn.MLP(1, [2, 1], seed=0)
    path = tmp_path / "model.json"
    model.save(path)
    before = path.read_bytes()
    model.parameters()[0].data = float("nan")
    with pytest.raises(ValueError, match="is nan; JSON has no nan or inf"):
        model.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]  # no temporary file left


@pytest.mark.parametrize(("content", "message"), [
    (b"\x89PNG not json", "not a JSON file written by save"),
    (b'{"w": 1.0}', "JSON but not a model written by save"),
])
def test_load_refuses_a_file_save_did_not_write(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        nn.MLP(1, [1]).load(path)


def test_load_of_another_models_file_names_the_keys(tmp_path: Path) -> None:
    nn.MLP(2, [3, 1], seed=0).save(tmp_path / "small.json")
    with pytest.raises(ValueError, match="missing"):
        nn.MLP(2, [4, 1], seed=0).load(tmp_path / "small.json")


# -- PyTorch (only where torch is installed: it is not in the test extra) ----------------

def test_to_torch_value_and_gradients_to_second_order() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is optional: pip install \"tinygrad_ko[torch]\"")
    x, y = Value(0.8), Value(1.7)
    out = (x * y).tanh() + x**y + (y / x).log() + (x - y).relu() + (-x).sigmoid() + y.exp()
    gx, gy = grad(out, [x, y], create_graph=True)
    second = [grad(gx, [x, y]), grad(gy, [x, y])]
    tx, ty = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.8, 1.7))
    result = to_torch(out, [x, y])(tx, ty)
    first = torch.autograd.grad(result, [tx, ty], create_graph=True)
    assert result.item() == pytest.approx(out.data, rel=1e-14)
    assert [t.item() for t in first] == pytest.approx([gx.data, gy.data], rel=1e-13)
    for k, t in enumerate(first):
        row = torch.autograd.grad(t, [tx, ty], retain_graph=True)
        assert [r.item() for r in row] == pytest.approx([g.data for g in second[k]], rel=1e-12)


def test_to_torch_broadcasts_a_batch_and_sums_gradients_back() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is optional: pip install \"tinygrad_ko[torch]\"")
    x, w = Value(0.0), Value(0.5)
    f = to_torch((w * x).tanh(), [x, w])
    xs = torch.linspace(-2, 2, 9, dtype=torch.float64)
    tw = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    f(xs, tw).sum().backward()
    expected = 0.0
    for v in xs.tolist():
        p, q = Value(v), Value(0.5)
        (q * p).tanh().backward()
        expected += q.grad
    assert tw.grad.shape == () and tw.grad.item() == pytest.approx(expected, rel=1e-13)


def test_mlp_to_torch_gives_the_same_outputs_and_parameter_gradients() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is optional: pip install \"tinygrad_ko[torch]\"")
    for activation in ("relu", "tanh", "sigmoid"):
        model = nn.MLP(2, [8, 8, 1], activation=activation, seed=2)
        module = model.to_torch()
        assert isinstance(module, torch.nn.Sequential)
        assert type(module[1]).__name__ == {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}[activation]
        X = [[0.5, -1.0], [1.5, 0.2], [-0.7, 0.9]]
        labels = [1, -1, 1]
        loss = nn.hinge([model(x) for x in X], labels)  # type: ignore[misc]
        model.zero_grad()
        loss.backward()
        scores = module(torch.tensor(X, dtype=torch.float64))[:, 0]
        theirs = torch.clamp(1 - torch.tensor(labels, dtype=torch.float64) * scores, min=0).mean()
        theirs.backward()
        assert theirs.item() == pytest.approx(loss.data, rel=1e-13)
        for k, layer in enumerate(model.layers):
            linear = module[2 * k]
            np.testing.assert_allclose(linear.weight.grad.numpy(), [[w.grad for w in n.w] for n in layer.neurons],
                                       rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(linear.bias.grad.numpy(), [n.b.grad for n in layer.neurons],
                                       rtol=1e-12, atol=1e-15)


def test_from_torch_brings_trained_weights_back() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is optional: pip install \"tinygrad_ko[torch]\"")
    model = nn.MLP(3, [4, 2], activation="tanh", seed=0)
    module = model.to_torch()
    with torch.no_grad():
        module[0].weight.mul_(2.0)  # "training" in torch
    back = nn.MLP.from_torch(module)
    assert repr(back) == repr(model)
    assert back.layers[0].neurons[1].w[2].data == module[0].weight[1, 2].item()
    assert nn.MLP.from_torch(model.to_torch()).state_dict() == model.state_dict()


@pytest.mark.parametrize(("build", "error", "message"), [
    ("linear_only", TypeError, "expected a torch.nn.Sequential"),
    ("two_activations", ValueError, "the modules are Linear, ReLU, Linear, Tanh, Linear"),
    ("no_bias", ValueError, "has no bias"),
    ("sizes", ValueError, "4 outputs feeds one with 3 inputs"),
    ("ends_with_activation", ValueError, "the modules are Linear, ReLU"),
])
def test_from_torch_refuses_modules_it_cannot_read(build: str, error: type, message: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is optional: pip install \"tinygrad_ko[torch]\"")
    tn = torch.nn
    module = {
        "linear_only": lambda: tn.Linear(2, 1),
        "two_activations": lambda: tn.Sequential(tn.Linear(2, 4), tn.ReLU(), tn.Linear(4, 4), tn.Tanh(),
                                                 tn.Linear(4, 1)),
        "no_bias": lambda: tn.Sequential(tn.Linear(2, 1, bias=False)),
        "sizes": lambda: tn.Sequential(tn.Linear(2, 4), tn.ReLU(), tn.Linear(3, 1)),
        "ends_with_activation": lambda: tn.Sequential(tn.Linear(2, 4), tn.ReLU()),
    }[build]()
    with pytest.raises(error, match=message):
        nn.MLP.from_torch(module)
