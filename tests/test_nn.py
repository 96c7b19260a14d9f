"""tinygrad_ko.nn: modules, their parameters and state_dict, and the four losses.

Losses are checked three ways: against closed-form values, against numerical
gradients (gradcheck, always run), and against PyTorch's own functions when torch
is importable (those tests use pytest.importorskip("torch"): torch is not a
dependency, and the gradcheck and closed-form tests cover the same losses without it).
"""

from __future__ import annotations

import copy
import json
import math
import pickle
import random
import re
from typing import Any

import numpy as np
import pytest

from tinygrad_ko import Value, gradcheck, nn
from tinygrad_ko.nn import MLP, binary_cross_entropy_with_logits, hinge, mse


def test_micrograd_demo_mlp_has_337_parameters_and_one_output_is_a_value() -> None:
    model = nn.MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1 == 337
    assert isinstance(model([1.0, -2.0]), Value)
    several = nn.MLP(2, [8, 3], seed=0)([Value(1.0), 2])
    assert isinstance(several, list) and len(several) == 3 and all(isinstance(v, Value) for v in several)
    assert isinstance(nn.Layer(3, 1, seed=0)([1.0, 2.0, 3.0]), Value)
    assert len(nn.Layer(3, 4, seed=0)([1.0, 2.0, 3.0])) == 4


def test_seed_makes_weights_reproducible_with_a_private_generator() -> None:
    state = random.getstate()
    a, b = nn.MLP(3, [4, 2], seed=7), nn.MLP(3, [4, 2], seed=7)
    assert random.getstate() == state  # the global generator was neither read nor advanced
    assert a.state_dict() == b.state_dict()
    assert nn.MLP(3, [4, 2], seed=8).state_dict() != a.state_dict()


def test_initialisation_is_scaled_by_fan_in_with_biases_at_zero() -> None:
    # He's uniform bound sqrt(6/nin) for ReLU neurons, LeCun's sqrt(3/nin) for the linear output layer.
    model = nn.MLP(64, [64, 64, 10], seed=0)
    for k, layer in enumerate(model.layers):
        nin = len(layer.neurons[0].w)
        bound = math.sqrt((6.0 if k < 2 else 3.0) / nin)
        weights = np.array([w.data for n in layer.neurons for w in n.w])
        assert np.all(np.abs(weights) <= bound)
        assert all(n.b.data == 0.0 for n in layer.neurons)
        # Uniform on [-b, b] has variance b²/3.  With 4096 (hidden) or 640 (output) draws the
        # sample variance's relative standard error is sqrt(0.8/n) ≈ 1.4% or 3.5%; 15% is > 4σ.
        assert weights.var() == pytest.approx(bound**2 / 3, rel=0.15)
    # Why scaled: a hidden ReLU unit's input keeps a variance of order 1 whatever the width.
    x = np.random.default_rng(1).standard_normal(64).tolist()
    pre = [n.b + sum((w * xi for w, xi in zip(n.w, x, strict=True)), Value(0.0)) for n in model.layers[0].neurons]
    assert 0.5 < float(np.var([p.data for p in pre])) < 4.0


def test_forward_is_the_weighted_sum_the_activation_and_a_linear_last_layer() -> None:
    model = nn.MLP(3, [4, 2], activation="tanh", seed=3)
    x = [0.5, -1.0, 2.0]
    # An independent computation with numpy from the same weights.
    w1 = np.array([[w.data for w in n.w] for n in model.layers[0].neurons])
    b1 = np.array([n.b.data for n in model.layers[0].neurons])
    w2 = np.array([[w.data for w in n.w] for n in model.layers[1].neurons])
    b2 = np.array([n.b.data for n in model.layers[1].neurons])
    expected = w2 @ np.tanh(w1 @ np.array(x) + b1) + b2
    got = [v.data for v in model(x)]  # type: ignore[union-attr]
    # A handful of float operations per output: agreement to a few ulps of the result's size.
    assert got == pytest.approx(expected.tolist(), rel=1e-14, abs=1e-14)
    for activation, fn in (("relu", lambda z: max(z, 0.0)), ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
                           ("linear", lambda z: z), (None, lambda z: z)):
        neuron = nn.Neuron(2, activation=activation, seed=0)
        z = neuron.b.data + neuron.w[0].data * 1.5 + neuron.w[1].data * -0.5
        assert neuron([1.5, -0.5]).data == pytest.approx(fn(z), rel=1e-15, abs=1e-15)


def test_backward_through_the_mlp_agrees_with_numerical_gradients() -> None:
    model = nn.MLP(2, [5, 5, 3], activation="tanh", seed=1)
    params = model.parameters()

    def loss(*_: Value) -> Value:
        # gradcheck steps each parameter's data in place; the model reads them.
        return nn.cross_entropy(model([0.3, -0.7]), 2)  # type: ignore[arg-type]

    result = gradcheck(loss, params)
    assert result, str(result)


def test_zero_grad_clears_every_parameter() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    out = model([1.0, 2.0])
    assert isinstance(out, Value)
    (out * out).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


@pytest.mark.parametrize(("make", "message"), [
    (lambda: nn.Neuron(0), "nin"),
    (lambda: nn.Neuron(2, activation="softmax"), "activation must be one of"),
    (lambda: nn.Layer(2, 0), "nout"),
    (lambda: nn.MLP(2, []), "nouts must be a non-empty list"),
    (lambda: nn.MLP(2, [3, 0]), "each layer size"),
    (lambda: nn.MLP(2, [3, 1], activation="linear"), "hidden layers' activation"),
    (lambda: nn.MLP(2, [3, 1], seed=1.5), "seed must be an int"),  # type: ignore[arg-type]
    (lambda: nn.MLP(2, [3, 1], seed=0)([1.0]), "the input has 1 numbers, the neuron expects 2"),
])
def test_bad_arguments_say_what_was_wrong(make: object, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        make()  # type: ignore[operator]


# -- state_dict / load_state_dict ---------------------------------------------------


def test_state_dict_names_every_parameter_with_plain_floats() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    state = model.state_dict()
    assert list(state) == [name for name, _ in model.named_parameters()]
    assert list(state)[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert list(state)[-1] == "layers.1.neurons.0.b"
    assert len(state) == len(model.parameters()) == 13
    assert all(type(v) is float for v in state.values())
    assert [state[name] for name, _ in model.named_parameters()] == [p.data for p in model.parameters()]


def test_load_state_dict_round_trips_through_pickle_and_json() -> None:
    source, target = nn.MLP(2, [4, 1], seed=0), nn.MLP(2, [4, 1], seed=1)
    params_before = target.parameters()
    for blob in (pickle.loads(pickle.dumps(source.state_dict())), json.loads(json.dumps(source.state_dict()))):
        target.load_state_dict(blob)
        assert target.state_dict() == source.state_dict()
        assert target([0.2, 0.9]).data == source([0.2, 0.9]).data  # type: ignore[union-attr]
    # Loaded in place: the same Value objects (an optimizer holding them keeps working).
    assert all(a is b for a, b in zip(params_before, target.parameters(), strict=True))
    assert copy.deepcopy(source.state_dict()) == source.state_dict()


def test_load_state_dict_refuses_missing_extra_and_non_numbers_and_changes_nothing() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    missing = dict(before)
    del missing["layers.1.neurons.0.b"]
    with pytest.raises(ValueError, match=r"missing 1 key\(s\): 'layers.1.neurons.0.b'"):
        model.load_state_dict(missing)
    extra = {**{k: 0.0 for k in before}, "layers.2.neurons.0.b": 1.0}
    with pytest.raises(ValueError, match=r"unexpected 1 key\(s\): 'layers.2.neurons.0.b'"):
        model.load_state_dict(extra)
    for bad in ("1.0", True, None, [1.0]):
        with pytest.raises(TypeError, match=r"'layers\.0\.neurons\.0\.w\.0' must be a real number"):
            model.load_state_dict({**{k: 0.0 for k in before}, "layers.0.neurons.0.w.0": bad})
    with pytest.raises(TypeError, match="expected a dict"):
        model.load_state_dict([("b", 1.0)])  # type: ignore[arg-type]
    assert model.state_dict() == before  # every refusal left the weights alone


def test_load_state_dict_not_strict_loads_the_matching_names_and_reports_the_rest() -> None:
    model = nn.Neuron(2, seed=0)
    result = model.load_state_dict({"w.0": 5.0, "w.9": 1.0}, strict=False)
    assert result == nn.IncompatibleKeys(missing_keys=["w.1", "b"], unexpected_keys=["w.9"])
    assert model.w[0].data == 5.0
    # numpy numbers load as plain floats.
    model.load_state_dict({"w.0": np.float32(0.5), "w.1": np.int64(2), "b": 1})
    assert model.state_dict() == {"w.0": 0.5, "w.1": 2.0, "b": 1.0}


# -- losses: closed forms, extremes, gradcheck --------------------------------------


def test_losses_have_their_closed_form_values() -> None:
    p, q = Value(1.0), Value(3.0)
    assert nn.mse([p, q], [0.0, 1.0]).data == (1.0 + 4.0) / 2
    assert nn.hinge([Value(2.0), Value(0.5), Value(-1.0)], [1, 1, 1]).data == pytest.approx((0 + 0.5 + 2.0) / 3)
    x = 0.7
    bce = -(0.3 * math.log(1 / (1 + math.exp(-x))) + 0.7 * math.log(1 - 1 / (1 + math.exp(-x))))
    # A few roundings in each formula: agreement to 1e-15 relative.
    assert nn.binary_cross_entropy_with_logits(Value(x), 0.3).data == pytest.approx(bce, rel=1e-15)
    logits = [0.5, -1.0, 2.0]
    log_softmax = [z - math.log(sum(math.exp(v) for v in logits)) for z in logits]
    assert nn.cross_entropy([Value(v) for v in logits], 0).data == pytest.approx(-log_softmax[0], rel=1e-15)
    batch = nn.cross_entropy([[Value(v) for v in logits], [Value(v) for v in logits]], [0, 2])
    assert batch.data == pytest.approx(-(log_softmax[0] + log_softmax[2]) / 2, rel=1e-15)


def test_cross_entropy_and_bce_stay_finite_with_exact_gradients_at_logits_of_1000() -> None:
    a, b = Value(1000.0), Value(-1000.0)
    loss = nn.cross_entropy([a, b], 1)
    loss.backward()
    # log(e^1000 + e^-1000) - (-1000) = 2000 exactly in floats; gradient softmax - onehot = (1, -1).
    assert (loss.data, a.grad, b.grad) == (2000.0, 1.0, -1.0)
    for logit, target, value, grad in ((1000.0, 0.0, 1000.0, 1.0), (-1000.0, 1.0, 1000.0, -1.0),
                                       (1000.0, 1.0, 0.0, 0.0), (-1000.0, 0.0, 0.0, 0.0)):
        x = Value(logit)
        loss = nn.binary_cross_entropy_with_logits(x, target)
        loss.backward()
        assert (loss.data, x.grad) == (value, grad)


LOSSES = {
    "mse": lambda xs: nn.mse(xs, [0.5, -1.0, 2.0]),
    "hinge": lambda xs: nn.hinge(xs, [1, -1, 1]),
    "bce": lambda xs: nn.binary_cross_entropy_with_logits(xs, [1.0, 0.0, 0.25]),
    "cross_entropy": lambda xs: nn.cross_entropy(xs, 1),
    "cross_entropy_batch": lambda xs: nn.cross_entropy([xs, xs[::-1]], [1, 0]),
}
# Away from hinge's kinks (1 - y·s = 0 at s = ±1).
POINTS = [[0.3, -0.2, 1.7], [-2.0, 0.4, 0.1], [5.0, -4.0, -0.5]]


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("point", POINTS)
def test_loss_gradients_agree_with_numerical_gradients(name: str, point: list[float]) -> None:
    xs = [Value(v) for v in point]
    result = gradcheck(lambda *v: LOSSES[name](list(v)), xs)
    assert result, str(result)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: nn.hinge([Value(1.0)], [0]), "labels must be -1 or \\+1"),
    (lambda: nn.mse([Value(1.0)], [1.0, 2.0]), "1 predictions but 2 targets"),
    (lambda: nn.binary_cross_entropy_with_logits([Value(1.0)], [1.5]), "targets must be in \\[0, 1\\]"),
    (lambda: nn.cross_entropy([Value(1.0), Value(2.0)], 2), "must be in 0..1"),
    (lambda: nn.cross_entropy([Value(1.0), Value(2.0)], True), "class index"),
    (lambda: nn.cross_entropy([[Value(1.0)], [Value(2.0)]], [0]), "2 rows of logits but 1 targets"),
    (lambda: nn.cross_entropy(Value(1.0), 0), "logits must be a list"),
    (lambda: nn.mse([], []), "empty"),
    (lambda: nn.mse("ab", [1.0]), "must be a Value or a sequence"),
])
def test_bad_loss_arguments_say_what_was_wrong(call: object, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        call()  # type: ignore[operator]


# -- PyTorch as the oracle (skipped without torch: see the module docstring) -----------

TORCH_CASES = [[0.3, -0.2, 1.7], [-2.0, 0.4, 0.1], [1000.0, -1000.0, 3.0], [-30.0, 25.0, 0.0]]


@pytest.mark.parametrize("values", TORCH_CASES)
def test_losses_and_gradients_match_pytorch(values: list[float]) -> None:
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    targets = [1.0, 0.0, 0.25]
    signs = [1.0, -1.0, 1.0]
    cases = {
        "mse": (lambda xs: nn.mse(xs, targets),
                lambda t: functional.mse_loss(t, torch.tensor(targets, dtype=torch.float64))),
        "hinge": (lambda xs: nn.hinge(xs, signs),
                  lambda t: torch.clamp(1 - torch.tensor(signs, dtype=torch.float64) * t, min=0).mean()),
        "bce": (lambda xs: nn.binary_cross_entropy_with_logits(xs, targets),
                lambda t: functional.binary_cross_entropy_with_logits(t, torch.tensor(targets, dtype=torch.float64))),
        "cross_entropy": (lambda xs: nn.cross_entropy(xs, 2),
                          lambda t: functional.cross_entropy(t.unsqueeze(0), torch.tensor([2]))),
        "cross_entropy_batch": (lambda xs: nn.cross_entropy([xs, xs[::-1]], [0, 1]),
                                lambda t: functional.cross_entropy(torch.stack([t, t.flip(0)]), torch.tensor([0, 1]))),
    }
    for name, (ours, theirs) in cases.items():
        xs = [Value(v) for v in values]
        loss = ours(xs)
        loss.backward()
        t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
        expected = theirs(t)
        expected.backward()
        # Both compute the same formulas in float64 with a different order of a few
        # operations: agreement to ~1e-15 of the loss's size; 1e-12 leaves room, and a
        # wrong formula is off by far more.
        assert loss.data == pytest.approx(expected.item(), rel=1e-12, abs=1e-12), name
        assert [x.grad for x in xs] == pytest.approx(t.grad.tolist(), rel=1e-12, abs=1e-12), name


def test_mlp_forward_and_backward_match_pytorch_with_the_same_weights() -> None:
    torch = pytest.importorskip("torch")
    model = nn.MLP(2, [16, 16, 1], seed=0)
    xs = np.random.default_rng(0).standard_normal((20, 2))
    signs = [1.0 if i % 2 else -1.0 for i in range(20)]
    loss = nn.hinge([model(x) for x in xs.tolist()], signs)  # type: ignore[misc]
    model.zero_grad()
    loss.backward()
    layers = []
    for layer in model.layers:
        w = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        layers.append((w, b))
    h = torch.tensor(xs)
    for k, (w, b) in enumerate(layers):
        h = h @ w.T + b
        if k < len(layers) - 1:
            h = torch.relu(h)
    expected = torch.clamp(1 - torch.tensor(signs, dtype=torch.float64) * h[:, 0], min=0).mean()
    expected.backward()
    # Sums of 2 to 16 products in a different order: ~1e-15 relative; 1e-12 leaves room.
    assert loss.data == pytest.approx(expected.item(), rel=1e-12)
    for layer, (w, b) in zip(model.layers, layers, strict=True):
        ours = [[wi.grad for wi in n.w] for n in layer.neurons]
        assert np.allclose(ours, w.grad.numpy(), rtol=1e-10, atol=1e-14)
        assert np.allclose([n.b.grad for n in layer.neurons], b.grad.numpy(), rtol=1e-10, atol=1e-14)


# -- issue 25: the losses keep their digits for large logits ------------------------------

def _exact_cross_entropy(row: list[float], target: int) -> float:
    import mpmath

    mpmath.mp.dps = 700  # enough to hold 1e300 + log 2 exactly enough
    xs = [mpmath.mpf(v) for v in row]
    m = max(xs)
    return float(mpmath.log(mpmath.fsum(mpmath.exp(v - m) for v in xs)) + m - xs[target])


@pytest.mark.parametrize(("row", "target"), [
    ([1e300, 1e300], 0), ([1e17, 1e17], 1), ([1e15, 1e15], 0), ([1e8, 1e8], 1), ([-1e300, -1e300], 0),
    ([1e300, -1e300], 0), ([0.0, -40.0], 0), ([3.0, 1.0, -2.0], 2), ([1e8, 1e8 + 1.0, 1e8 - 3.0], 0),
])
def test_cross_entropy_against_exact_values(row: list[float], target: int) -> None:
    pytest.importorskip("mpmath")
    got = nn.cross_entropy([Value(v) for v in row], target).data
    want = _exact_cross_entropy(row, target)
    # log of a sum of a few terms, minus a difference that is exact or correctly rounded: a few
    # roundings of the result, so 8 units of 2**-53 relative (the old form gave 0.0 for log 2).
    assert got == pytest.approx(want, rel=8 * 2.0**-53, abs=0.0), (got, want)


def _exact_bce(x: float, t: float) -> float:
    import mpmath

    mpmath.mp.dps = 60
    X = mpmath.mpf(x)
    return float(mpmath.log1p(mpmath.exp(X)) - mpmath.mpf(t) * X if x < 0 else
                 mpmath.log1p(mpmath.exp(-X)) + (1 - mpmath.mpf(t)) * X)


@pytest.mark.parametrize(("x", "t"), [(40.0, 1.0), (-40.0, 0.0), (700.0, 1.0), (1e300, 1.0), (-1e300, 0.0),
                                      (40.0, 0.0), (3.0, 0.25), (-2.0, 0.75), (0.0, 1.0), (1e-20, 1.0)])
def test_binary_cross_entropy_with_logits_against_exact_values(x: float, t: float) -> None:
    pytest.importorskip("mpmath")
    v = Value(x)
    loss = nn.binary_cross_entropy_with_logits(v, t)
    want = _exact_bce(x, t)
    assert loss.data == pytest.approx(want, rel=8 * 2.0**-53, abs=0.0), (loss.data, want)  # was 0.0 at x = 40
    loss.backward()
    slope = 1.0 / (1.0 + math.exp(-x)) - t if x >= 0 else math.exp(x) / (1.0 + math.exp(x)) - t
    # σ(x) - t: for t = 1 and large x, -σ(-x) (4.25e-18 at 40), which the old form rounded to 0.
    want_slope = -(math.exp(-x) / (1.0 + math.exp(-x))) if t == 1.0 and x > 0 else slope
    assert v.grad == pytest.approx(want_slope, rel=8 * 2.0**-53, abs=1e-300), (v.grad, want_slope)


# -- PyTorch habits (issue 24 item 5) ------------------------------------------------


@pytest.mark.parametrize("batch", [np.zeros((4, 2)), np.zeros((2, 2)), [[1.0, 2.0], [3.0, 4.0]]])
def test_a_batch_given_to_a_model_is_refused_with_the_fix(batch: object) -> None:
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(TypeError, match=r"one sample at a time: \[model\(x\) for x in X\].*vectorize"):
        model(batch)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="one sample at a time"):
        model.layers[0](batch)  # type: ignore[arg-type]


def test_one_sample_as_a_1d_array_still_works() -> None:
    model = MLP(2, [3, 1], seed=0)
    assert model(np.array([0.5, -1.0])).data == model([0.5, -1.0]).data  # type: ignore[union-attr]


@pytest.mark.parametrize("loss", [mse, hinge, binary_cross_entropy_with_logits])
def test_losses_take_value_targets_and_keep_them_in_the_graph(loss: Any) -> None:
    from tinygrad_ko import vectorize
    p, t = Value(0.0), Value(0.0)
    traced = vectorize(loss(p * 1.5, t), [p, t])
    ps = np.array([0.3, -2.0, 1.0])
    ts = np.array([1.0, -1.0, 1.0]) if loss is hinge else np.array([1.0, 0.0, 1.0])
    scalar = [loss(Value(a) * 1.5, b).data for a, b in zip(ps, ts, strict=True)]
    # The traced program and the scalar engine run the same ops; numpy's exp/log may
    # differ from math's by an ulp or two, so allow a few ulps of these O(1) numbers.
    np.testing.assert_allclose(traced(ps, ts), scalar, rtol=1e-14, atol=1e-15)
    # a Value target receives its gradient: d mse/dt = -2(p - t)
    if loss is mse:
        p2, t2 = Value(2.0), Value(0.5)
        mse(p2, t2).backward()
        assert t2.grad == -3.0


# -- issue 18 / 25: load_state_dict refuses what no other entry point accepts ------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 10**400], ids=["nan", "inf", "-inf", "10**400"])
def test_load_state_dict_refuses_a_non_finite_or_too_large_value_naming_the_key(bad: float) -> None:
    model = MLP(2, [2, 1], seed=0)
    state = model.state_dict()
    key = next(iter(state))
    before = [p.data for p in model.parameters()]
    # Before: nan and inf were loaded silently, 10**400 raised a bare OverflowError.
    with pytest.raises(ValueError, match=re.escape(key)):
        model.load_state_dict({**state, key: bad})
    assert [p.data for p in model.parameters()] == before  # nothing changed


@pytest.mark.parametrize("strict", [0, 1, "no", None])
def test_load_state_dict_takes_only_a_bool_for_strict(strict: object) -> None:
    # Before: strict=0 was silently non-strict and strict="no" strict, by truthiness.
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(TypeError, match="strict must be True or False"):
        model.load_state_dict(model.state_dict(), strict=strict)  # type: ignore[arg-type]
