"""W10: the moons training (100 full-batch steps) on four engines, timed in one run.

The same network (MLP 2→16→16→1, ReLU, the same initial weights), the same data (the
train command's 100 moons training points, labels -1/+1), the same loss (mean hinge
+ 1e-4·L2) and the same SGD schedule (lr 1.0 − 0.9·k/steps), run by

* the scalar engine: one graph of every point per step, ``backward()``, ``optim.SGD``;
* ``vectorize``: the per-sample loss traced once, ``f.backward`` over the batch per step;
* ``to_jax`` under ``jax.jit``: the same trace as a JAX function, ``jax.vmap`` over the
  points, ``jax.grad`` of the loss, the whole step compiled once;
* PyTorch (where importable): ``model.to_torch()``, full-batch tensors, ``torch.autograd``.

``python benchmarks/w10.py`` prints the table; ``run.py --workloads W10`` adds it to its report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_ko import Value, nn, optim, vectorize
from tinygrad_ko.train import recipes as training

STEPS = 100
ALPHA = 1e-4
SIZES = [16, 16, 1]


def data(points: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """The train command's moons training points (the first ``points``) with labels -1/+1."""
    (x_train, t_train), _ = training.data("moons", 0)
    return x_train[:points], 2.0 * t_train[:points] - 1.0


def lr_at(k: int, steps: int) -> float:
    return 1.0 - 0.9 * k / steps


def accuracy(scores: Any, y: np.ndarray) -> float:
    return float(np.mean((np.asarray(scores) > 0) == (y > 0)))


def scalar(X: np.ndarray, y: np.ndarray, steps: int, sizes: list[int]) -> tuple[list[float], float]:
    model = nn.MLP(2, sizes, seed=0)
    opt = optim.SGD(model.parameters(), lr=1.0)
    losses = []
    rows, labels = X.tolist(), y.tolist()
    for k in range(steps):
        scores = [model(row) for row in rows]
        loss = nn.hinge(scores, labels) + ALPHA * sum(p * p for p in model.parameters())  # type: ignore[arg-type]
        opt.zero_grad()
        loss.backward()
        opt.lr = lr_at(k, steps)
        opt.step()
        losses.append(loss.data)
    return losses, accuracy([model(row).data for row in rows], y)  # type: ignore[union-attr]


def _traced_term(model: nn.MLP, n: int) -> tuple[Value, list[Value]]:
    """One sample's share of the mean hinge loss, relu(1 - y·score)/n, on inputs x1, x2, y."""
    x1, x2, label = Value(0.0), Value(0.0), Value(0.0)
    score = model([x1, x2])
    return (1.0 - label * score).relu() * (1.0 / n), [x1, x2, label]  # type: ignore[operator]


def vectorized(X: np.ndarray, y: np.ndarray, steps: int, sizes: list[int]) -> tuple[list[float], float]:
    model = nn.MLP(2, sizes, seed=0)
    params = model.parameters()
    term, inputs = _traced_term(model, len(y))
    f = vectorize(term, inputs)
    opt = optim.SGD(params, lr=1.0)
    losses = []
    for k in range(steps):
        opt.zero_grad()
        data_loss = float(np.sum(f.backward(X[:, 0], X[:, 1], y)))
        for p in params:  # the L2 term's gradient, 2α·p, added by hand
            p.grad += 2.0 * ALPHA * p.data
        losses.append(data_loss + ALPHA * sum(p.data * p.data for p in params))
        opt.lr = lr_at(k, steps)
        opt.step()
    x1, x2 = Value(0.0), Value(0.0)
    g = vectorize(model([x1, x2]), [x1, x2])  # type: ignore[arg-type]
    return losses, accuracy(g(X[:, 0], X[:, 1]), y)


def jax_jit(X: np.ndarray, y: np.ndarray, steps: int, sizes: list[int]) -> tuple[list[float], float, float]:
    """Also returns the seconds of the first step (tracing and XLA compilation)."""
    import jax

    jax.config.update("jax_enable_x64", True)
    from tinygrad_ko.bridge import to_jax

    jnp = jax.numpy
    model = nn.MLP(2, sizes, seed=0)
    params = model.parameters()
    term, inputs = _traced_term(model, len(y))
    f = to_jax(term, [*inputs, *params])
    x1, x2 = Value(0.0), Value(0.0)
    score = to_jax(model([x1, x2]), [x1, x2, *params])  # type: ignore[arg-type]

    def loss(p: Any) -> Any:
        per_sample = jax.vmap(lambda a, b, c: f(a, b, c, *p))(X[:, 0], X[:, 1], y)
        return jnp.sum(per_sample) + ALPHA * jnp.sum(p * p)

    @jax.jit
    def step(p: Any, lr: Any) -> tuple[Any, Any]:
        value, g = jax.value_and_grad(loss)(p)
        return p - lr * g, value

    p = jnp.array([q.data for q in params])
    losses = []
    start = time.perf_counter()
    for k in range(steps):
        p, value = step(p, lr_at(k, steps))
        if k == 0:
            value.block_until_ready()
            first = time.perf_counter() - start
        losses.append(float(value))
    scores = jax.vmap(lambda a, b: score(a, b, *p))(X[:, 0], X[:, 1])
    return losses, accuracy(scores, y), first


def pytorch(X: np.ndarray, y: np.ndarray, steps: int, sizes: list[int]) -> tuple[list[float], float]:
    import torch

    module = nn.MLP(2, sizes, seed=0).to_torch()
    inputs, labels = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    losses = []
    for k in range(steps):
        scores = module(inputs)[:, 0]
        loss = torch.relu(1.0 - labels * scores).mean() + ALPHA * sum((p * p).sum() for p in module.parameters())
        module.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in module.parameters():
                p -= lr_at(k, steps) * p.grad
        losses.append(loss.item())
    with torch.no_grad():
        return losses, accuracy(module(inputs)[:, 0].numpy(), y)


def run(steps: int = STEPS, points: int = 100, sizes: list[int] | None = None
        ) -> list[tuple[str, float, float, list[float], str]]:
    """Each engine once: (name, seconds, final training accuracy, losses, remark)."""
    X, y = data(points)
    sizes = sizes or SIZES
    results = []
    engines: list[tuple[str, Callable[..., Any]]] = [("tinygrad_ko scalar engine", scalar),
                                                     ("tinygrad_ko vectorize", vectorized)]
    try:
        import jax  # noqa: F401
        engines.append(("to_jax + jax.jit", jax_jit))
    except ImportError:
        pass
    try:
        import torch
        torch.set_num_threads(1)
        engines.append(("PyTorch (MLP.to_torch)", pytorch))
    except ImportError:
        pass
    for name, train in engines:
        start = time.perf_counter()
        out = train(X, y, steps, sizes)
        seconds = time.perf_counter() - start
        remark = f"of which {out[2]:.2f} s the first step (trace + XLA compile)" if len(out) == 3 else ""
        results.append((name, seconds, out[1], out[0], remark))
    return results


def section(results: list[tuple[str, float, float, list[float], str]]) -> str:
    """W10's section of RESULTS.md."""
    scalar_seconds = results[0][1]
    steps = len(results[0][3])
    lines = [f"## W10: moons training, {steps} full-batch steps, on {len(results)} engines", "",
             "| engine | time | vs scalar engine | final loss | training accuracy | note |",
             "|---|---|---|---|---|---|"]
    for name, seconds, acc, losses, remark in results:
        lines.append(f"| {name} | {seconds:.2f} s | {scalar_seconds / seconds:.1f}× | {losses[-1]:.6f} | "
                     f"{acc:.0%} | {remark} |")
    spread = max(abs(r[3][-1] - results[0][3][-1]) for r in results)
    lines += ["", f"The final losses agree to {spread:.1e} (same weights, same rules, float64). "
              'Where each wins and why: the scalar engine builds and walks one Python object per node and '
              'sample, every step; vectorize runs the traced program once per step with one numpy call per '
              "node over the whole batch; PyTorch's `Linear` layers are three matrix products per step. to_jax"
              ' traces the scalar graph (one custom-JVP op per node, about 700 for 2-16-16-1) and XLA compiles'
              " the vmapped step once: the first step's compile dominates a run this short, and the compiled "
              'step is still a graph of hundreds of tiny elementwise ops, not matrix products, so for a model '
              'like this one the JAX route pays off only on long runs, big batches or accelerators; written '
              "directly with `jnp` matrix products it would be PyTorch's kind of program.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(section(run()))
