"""tinygrad_ko.optim: SGD and Adam follow PyTorch's update rules.

Closed forms (always run) pin each rule on gradients whose effect can be written
down; the PyTorch comparisons run the same training steps side by side when torch
is importable (pytest.importorskip("torch"): torch is not a dependency, and the
closed-form tests cover every rule without it).
"""

from __future__ import annotations

import math

import pytest

from tinygrad_ko import Value, nn, optim


def constant_gradient_steps(opt: optim.Optimizer, w: Value, g: float, steps: int) -> list[float]:
    """Take ``steps`` steps with d(loss)/dw = g (loss = g·w) and return w after each."""
    seen = []
    for _ in range(steps):
        opt.zero_grad()
        (w * g).backward()
        opt.step()
        seen.append(w.data)
    return seen


def test_sgd_is_p_minus_lr_times_grad() -> None:
    w = Value(2.0)
    got = constant_gradient_steps(optim.SGD([w], lr=0.1), w, g=3.0, steps=3)
    assert got == pytest.approx([2.0 - 0.3, 2.0 - 0.6, 2.0 - 0.9], rel=1e-15)


def test_sgd_momentum_sums_a_geometric_series_of_past_gradients() -> None:
    w = Value(0.0)
    mu, lr, g = 0.9, 0.5, 2.0
    got = constant_gradient_steps(optim.SGD([w], lr=lr, momentum=mu), w, g=g, steps=4)
    # PyTorch: v1 = g, v_k = mu·v_(k-1) + g, so v_k = g·(1 - mu^k)/(1 - mu); p_k = -lr·sum(v_1..v_k).
    velocities = [g * (1 - mu**k) / (1 - mu) for k in range(1, 5)]
    expected = [-lr * sum(velocities[:k]) for k in range(1, 5)]
    assert got == pytest.approx(expected, rel=1e-14)


def test_sgd_weight_decay_adds_decay_times_the_weight_to_the_gradient() -> None:
    w = Value(1.0)
    opt = optim.SGD([w], lr=0.1, weight_decay=0.5)
    opt.zero_grad()
    (w * 0.0).backward()  # a zero gradient: only the decay moves w
    opt.step()
    assert w.data == pytest.approx(1.0 - 0.1 * 0.5 * 1.0, rel=1e-15)


def test_adam_with_a_constant_gradient_moves_lr_per_step() -> None:
    # With g constant, bias correction makes m̂ = g and v̂ = g² exactly (up to rounding),
    # so each step is lr·g/(|g| + eps).
    for g in (3.0, -0.02):
        w = Value(1.0)
        lr, eps = 0.01, 1e-8
        got = constant_gradient_steps(optim.Adam([w], lr=lr, eps=eps), w, g=g, steps=5)
        step = lr * g / (abs(g) + eps)
        # Rounding in m, v and their corrections: ~1e-15 relative per step.
        assert got == pytest.approx([1.0 - k * step for k in range(1, 6)], rel=1e-12)


def test_lr_is_assignable_between_steps() -> None:
    w = Value(0.0)
    opt = optim.SGD([w], lr=1.0)
    constant_gradient_steps(opt, w, g=1.0, steps=1)
    opt.lr = 0.25
    constant_gradient_steps(opt, w, g=1.0, steps=1)
    assert (opt.lr, w.data) == (0.25, -1.25)
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -0.1
    assert opt.lr == 0.25


def test_zero_grad_clears_every_parameter() -> None:
    a, b = Value(1.0), Value(2.0)
    opt = optim.Adam([a, b])
    (a * b).backward()
    opt.zero_grad()
    assert (a.grad, b.grad) == (0.0, 0.0)


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: optim.SGD(p, lr=-0.1), r"lr \(the learning rate\) must be in a finite number >= 0, got -0.1"),
    (lambda p: optim.SGD(p, lr=math.nan), "lr"),
    (lambda p: optim.SGD(p, lr=math.inf), "lr"),
    (lambda p: optim.SGD(p, lr="0.1"), "lr .* must be a number"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), "momentum"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), "weight_decay"),
    (lambda p: optim.Adam(p, betas=(0.9, 1.0)), r"betas\[1\] must be in \[0, 1\)"),
    (lambda p: optim.Adam(p, betas=(-0.1, 0.999)), r"betas\[0\]"),
    (lambda p: optim.Adam(p, betas=(0.9,)), "betas must be a pair"),
    (lambda p: optim.Adam(p, eps=-1e-8), "eps"),
    (lambda p: optim.Adam([]), "empty parameter list"),
    (lambda p: optim.Adam([p[0], p[0]]), "more than once"),
    (lambda p: optim.SGD([1.0], lr=0.1), "every parameter must be a Value"),
    (lambda p: optim.SGD(p[0], lr=0.1), "got one Value"),
])
def test_bad_hyper_parameters_are_refused_with_the_name(make: object, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        make([Value(1.0)])  # type: ignore[operator]


def test_training_a_small_mlp_lowers_the_loss() -> None:
    xs = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    ys = [-1.0, 1.0, 1.0, -1.0]  # XOR
    for make in (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: optim.Adam(ps, lr=0.05)):
        model = nn.MLP(2, [8, 1], seed=0)
        opt = make(model.parameters())
        first = last = None
        for _ in range(60):
            loss = nn.hinge([model(x) for x in xs], ys)  # type: ignore[misc]
            opt.zero_grad()
            loss.backward()
            opt.step()
            first = loss.data if first is None else first
            last = loss.data
        assert last is not None and first is not None and last < 0.5 * first


# -- PyTorch as the oracle ------------------------------------------------------------


def _torch_run(torch: object, make_opt: str, kwargs: dict[str, object], start: list[float],
               steps: int) -> list[list[float]]:
    t = torch.tensor(start, dtype=torch.float64, requires_grad=True)  # type: ignore[attr-defined]
    opt = getattr(torch.optim, make_opt)([t], **kwargs)  # type: ignore[attr-defined]
    seen = []
    for _ in range(steps):
        opt.zero_grad()
        loss = (t[0] ** 2 * t[1] + (t[1] - 1) ** 2 + (t[0] * t[2]).tanh() + t[2] ** 4).sum()
        loss.backward()
        opt.step()
        seen.append(t.detach().tolist())
    return seen


def _our_run(make_opt: str, kwargs: dict[str, object], start: list[float], steps: int) -> list[list[float]]:
    ps = [Value(v) for v in start]
    opt = getattr(optim, make_opt)(ps, **kwargs)
    seen = []
    for _ in range(steps):
        opt.zero_grad()
        a, b, c = ps
        loss = a**2 * b + (b - 1) ** 2 + (a * c).tanh() + c**4
        loss.backward()
        opt.step()
        seen.append([p.data for p in ps])
    return seen


@pytest.mark.parametrize(("name", "kwargs"), [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.1, "betas": (0.5, 0.9), "eps": 1e-6}),
    ("Adam", {"lr": 0.1, "betas": (0.3, 0.99)}),  # 1 - beta1 >= 0.5: lerp's other form
])
def test_steps_match_pytorch(name: str, kwargs: dict[str, object]) -> None:
    torch = pytest.importorskip("torch")
    start = [0.8, -0.3, 0.6]
    ours, theirs = _our_run(name, kwargs, start, 30), _torch_run(torch, name, kwargs, start, 30)
    # Same rule in the same arrangement; the gradients differ only in rounding
    # (~1e-16 relative), which 30 steps of a smooth problem cannot grow past 1e-12.
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-14), f"step {k + 1}"


# -- issue 25: all-or-nothing steps and the arguments' checks ------------------------------

def test_adam_refuses_eps_zero() -> None:
    # eps = 0 was accepted, and step() then divided 0 by 0 for a parameter whose gradient is 0,
    # half-way through the parameters.
    with pytest.raises(ValueError, match="Adam: eps must be greater than 0, got 0"):
        optim.Adam([Value(1.0)], eps=0)


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    lambda ps: optim.Adam(ps, lr=0.1),
])
def test_a_step_that_fails_part_way_changes_nothing(make: object) -> None:
    params = [Value(1.0), Value(2.0), Value(3.0)]
    opt = make(params)  # type: ignore[operator]
    for p in params:
        p.grad = 0.5
    opt.step()  # a first, good step: the momentum and moment estimates exist
    state = [p.data for p in params], copy_state(opt)
    params[0].grad, params[1].grad, params[2].grad = 0.25, 0.25, "oops"  # type: ignore[assignment]
    with pytest.raises(TypeError):
        opt.step()
    assert ([p.data for p in params], copy_state(opt)) == state


def copy_state(opt: optim.Optimizer) -> tuple[object, ...]:
    return tuple(list(x) if isinstance(x, list) else x for x in (
        getattr(opt, "velocity", None), getattr(opt, "m", None), getattr(opt, "v", None), getattr(opt, "t", None)))


def test_a_learning_rate_too_large_for_a_float_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"SGD: lr \(the learning rate\) must be a finite number, got an int too "
                                         r"large for a float \(401 digits\)"):
        optim.SGD([Value(1.0)], lr=10**400)


def test_adam_betas_from_a_generator_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match=r"Adam: betas must be a pair \(beta1, beta2\)"):
        optim.Adam([Value(1.0)], betas=(b for b in (0.9, 0.999)))  # type: ignore[arg-type]
    assert optim.Adam([Value(1.0)], betas=[0.8, 0.99]).betas == (0.8, 0.99)
