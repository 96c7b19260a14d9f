"""The workloads, each written once as a function of a Value class.

Every function builds its inputs untimed (from a fixed seed, so both engines see
the same numbers), then times its phases with a :class:`~measure.Clock`, which
it returns.  The same code runs for every engine; only the class differs.
"""

from __future__ import annotations

import itertools
import math
import operator
import random
import tracemalloc
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from measure import Clock


def backward_after_forward(clock: Clock, output: Any) -> Clock:
    """End the forward phase at ``output``, then time ``output.backward()`` as the backward phase."""
    clock.lap("forward")
    output.backward()
    clock.lap("backward")
    return clock


def w1_wide_sum(V: Any, n: int) -> Clock:
    """W1: ``acc = acc + a_i * b_i`` for i < n; 2n op nodes, a chain n deep."""
    rng = random.Random(1)
    a = [V(rng.uniform(-1.0, 1.0)) for _ in range(n)]
    b = [V(rng.uniform(-1.0, 1.0)) for _ in range(n)]
    clock = Clock()
    acc = V(0.0)
    for x, y in zip(a, b, strict=True):
        acc = acc + x * y
    return backward_after_forward(clock, acc)


def w2_deep_chain(V: Any, blocks: int) -> Clock:
    """W2: ``y = relu(y * 1.0001 + 0.5)`` repeated; three op nodes a block, all in one chain."""
    x = V(1.0)
    clock = Clock()
    y = x
    for _ in range(blocks):
        y = (y * 1.0001 + 0.5).relu()
    return backward_after_forward(clock, y)


def deepest_chain(V: Any, upper: int) -> int:
    """The most W2 blocks whose backward() succeeds at the current recursion limit.

    Doubling, then bisection on RecursionError.  Returns ``upper`` when even that
    many blocks work (an engine without a recursion limit).
    """

    def works(blocks: int) -> bool:
        try:
            w2_deep_chain(V, blocks)
        except RecursionError:
            return False
        return True

    good, bad = 0, 1
    while bad <= upper and works(bad):
        good, bad = bad, bad * 2
    if bad > upper:
        return upper if works(upper) else _bisect(works, good, upper)
    return _bisect(works, good, bad)


def _bisect(works: Callable[[int], bool], good: int, bad: int) -> int:
    while bad - good > 1:
        mid = (good + bad) // 2
        good, bad = (mid, bad) if works(mid) else (good, mid)
    return good


def chain(V: Any, n: int) -> Clock:
    """The core issue's closing figure: ``y = y + 1.0`` repeated n times, then backward."""
    x = V(1.0)
    clock = Clock()
    y = x
    for _ in range(n):
        y = y + 1.0
    return backward_after_forward(clock, y)


def moons(n: int, seed: int = 3) -> tuple[list[list[float]], list[float]]:
    """Two interleaving half circles with noise, labels ±1 (the micrograd demo's data, made here)."""
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * rng.random()
        point = [math.cos(t), math.sin(t)] if i % 2 else [1.0 - math.cos(t), 0.5 - math.sin(t)]
        xs.append([p + rng.gauss(0.0, 0.1) for p in point])
        ys.append(1.0 if i % 2 else -1.0)
    return xs, ys


def w3_mlp_step(V: Any, points: int) -> Clock:
    """W3: one SGD step of the micrograd demo network, MLP 2→16→16→1 with relu, hinge loss."""
    rng = random.Random(2)
    sizes = [2, 16, 16, 1]
    # layers[k] is a list of neurons, each neuron a (weights, bias) pair.
    layers = [
        [([V(rng.uniform(-1.0, 1.0)) for _ in range(nin)], V(0.0)) for _ in range(nout)]
        for nin, nout in itertools.pairwise(sizes)
    ]
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]
    xs, ys = moons(points)
    clock = Clock()
    losses = []
    for row, label in zip(xs, ys, strict=True):
        h = [V(x) for x in row]
        for k, layer in enumerate(layers):
            outs = []
            for ws, b in layer:
                act = b
                for w, x in zip(ws, h, strict=True):
                    act = act + w * x
                outs.append(act.relu() if k < len(layers) - 1 else act)
            h = outs
        losses.append((1 + -label * h[0]).relu())
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in params)
    total = data_loss + reg_loss
    clock.lap("forward")
    for p in params:
        p.grad = 0.0
    total.backward()
    clock.lap("backward")
    for p in params:
        p.data -= 0.9 * p.grad
    clock.lap("update")
    return clock


# W4's op mix.  Binary ops are the operator functions; unary ops are looked up on
# the engine's Value class, so a plan is engine-free and runs on any engine.
_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
}
_UNARY = ("relu", "sigmoid", "tanh", "exp")
_FLOAT_UNARY: dict[str, Callable[[float], float]] = {
    "relu": lambda x: max(x, 0.0),
    "sigmoid": lambda x: 0.5 * (1.0 + math.tanh(0.5 * x)),
    "tanh": math.tanh,
    "exp": math.exp,
}

Plan = tuple[list[float], list[tuple[str, int, int]]]


def random_dag_plan(ops: int, seed: int = 4, reuse: float = 0.2, leaves: int | None = None) -> Plan:
    """A fixed random DAG: leaf values and ``(op, i, j)`` steps over earlier nodes (j = -1: unary).

    Each operand is, with probability ``reuse``, any earlier node (so it gets a
    second consumer), otherwise the oldest node not consumed yet.  Values are
    simulated in floats to keep every node in [-1e6, 1e6] and every divisor away
    from 0: a unary op that would leave that range becomes ``tanh``, a binary one
    ``add`` or ``sub``.  The remaining unconsumed nodes are summed at the end, so
    backward from the last node reaches every node.

    With half the ops binary, an op consumes 1.5·(1 - reuse) waiting nodes and
    adds one, so ``ops // 5`` leaves keep the waiting queue from running dry
    (a dry queue would force extra reuse).  ``leaves`` overrides that number (W6's
    10 inputs: the queue runs dry early and later operands are drawn from all nodes).
    """
    rng = random.Random(seed)
    leaves = ops // 5 if leaves is None else leaves
    values = [rng.uniform(-2.0, 2.0) for _ in range(leaves)]
    leaf_values = list(values)
    waiting = deque(range(leaves))
    steps: list[tuple[str, int, int]] = []

    def operand() -> int:
        if waiting and rng.random() >= reuse:
            return waiting.popleft()
        return rng.randrange(len(values))

    while len(steps) < ops:
        name = rng.choice((*_BINARY, *_UNARY))
        i = operand()
        x = values[i]
        j = operand() if name in _BINARY else -1
        if name in _BINARY:
            y = values[j]
            ok = name != "div" or abs(y) > 1e-3
            result = _BINARY[name](x, y) if ok else math.inf
        else:
            result = _FLOAT_UNARY[name](x) if name != "exp" or x < 14.0 else math.inf
        if not abs(result) <= 1e6:
            # Keep the operands (each consumed node must stay consumed, or the
            # output would not reach it): for |x|, |y| <= 1e6 one of x + y, x - y
            # stays in range.
            if j < 0:
                name, result = "tanh", math.tanh(x)
            else:
                name = "sub" if abs(x - y) <= 1e6 else "add"
                result = _BINARY[name](x, y)
        steps.append((name, i, j))
        values.append(result)
        waiting.append(len(values) - 1)
    while len(waiting) > 1:
        i, j = waiting.popleft(), waiting.popleft()
        steps.append(("add", i, j))
        values.append(values[i] + values[j])
        waiting.append(len(values) - 1)
    return leaf_values, steps


def reuse_fraction(plan: Plan) -> float:
    """The share of the plan's nodes that more than one later node consumes."""
    leaf_values, steps = plan
    uses = [0] * (len(leaf_values) + len(steps))
    for _, i, j in steps:
        uses[i] += 1
        if j >= 0:
            uses[j] += 1
    return sum(u > 1 for u in uses) / len(uses)


def w4_random_dag(V: Any, plan: Plan) -> Clock:
    """W4: run a :func:`random_dag_plan` forward, then backward from its last node."""
    leaf_values, steps = plan
    unary = {name: getattr(V, name) for name in _UNARY}
    program: list[tuple[Callable[..., Any], int, int]] = [
        (_BINARY[name], i, j) if j >= 0 else (unary[name], i, j) for name, i, j in steps
    ]
    nodes = [V(x) for x in leaf_values]
    push = nodes.append
    clock = Clock()
    for fn, i, j in program:
        push(fn(nodes[i], nodes[j]) if j >= 0 else fn(nodes[i]))
    return backward_after_forward(clock, nodes[-1])


def w5_function(V: Any, n: int) -> tuple[list[Any], Callable[..., Any]]:
    """W5's inputs and f: ``sum_i sigmoid(w_i·x_i) + sum_i x_i·x_{i+1}``.

    The pairwise products are of neighbours, so one forward pass is O(n) and the
    2n passes of numerical differentiation are O(n²) (all pairs would make each
    pass O(n²) and the n = 1000 case hours long).
    """
    rng = random.Random(5)
    ws = [rng.uniform(-1.0, 1.0) for _ in range(n)]
    inputs = [V(rng.uniform(-1.0, 1.0)) for _ in range(n)]

    def f(*xs: Any) -> Any:
        total = (ws[0] * xs[0]).sigmoid()
        for w, x in zip(ws[1:], xs[1:], strict=True):
            total = total + (w * x).sigmoid()
        for x, y in itertools.pairwise(xs):
            total = total + x * y
        return total

    return inputs, f


def w5_backprop(V: Any, n: int) -> Clock:
    """W5, fast side: every partial derivative of f by one forward and one backward()."""
    inputs, f = w5_function(V, n)
    clock = Clock()
    f(*inputs).backward()
    grads = [x.grad for x in inputs]
    clock.lap("total")
    assert len(grads) == n
    return clock


def w5_numerical(V: Any, n: int, numerical_grad: Callable[..., Sequence[float]]) -> Clock:
    """W5, slow side: the same derivatives by central differences (2n forward passes)."""
    inputs, f = w5_function(V, n)
    clock = Clock()
    grads = numerical_grad(f, inputs)
    clock.lap("total")
    assert len(grads) == n
    return clock


# -- W6: the hessian of a random DAG ---------------------------------------------------

#: W6's inputs: the hessian is W6_INPUTS × W6_INPUTS.
W6_INPUTS = 10


def w6_plan(ops: int) -> Plan:
    """W6's graph: a :func:`random_dag_plan` of ``ops`` ops over :data:`W6_INPUTS` leaves."""
    return random_dag_plan(ops, seed=6, leaves=W6_INPUTS)


def run_plan(V: Any, nodes: list[Any], steps: Sequence[tuple[str, int, int]]) -> Any:
    """Run a plan's steps on ``nodes`` (the leaves, extended in place); return the last node.

    ``V`` is the class whose unbound methods are the unary ops: a Value class, or
    ``torch.Tensor`` (which has ``relu``, ``sigmoid``, ``tanh`` and ``exp`` too).
    """
    unary = {name: getattr(V, name) for name in _UNARY}
    push = nodes.append
    for name, i, j in steps:
        push(_BINARY[name](nodes[i], nodes[j]) if j >= 0 else unary[name](nodes[i]))
    return nodes[-1]


def w6_hessian(V: Any, hessian: Callable[[Any, Sequence[Any]], list[list[float]]], plan: Plan,
               out: list[list[list[float]]] | None = None) -> Clock:
    """W6 with our engine: the forward pass, then ``hessian(output, inputs)`` (second-order backprop)."""
    leaf_values, steps = plan
    inputs = [V(x) for x in leaf_values]
    clock = Clock()
    output = run_plan(V, list(inputs), steps)
    clock.lap("forward")
    h = hessian(output, inputs)
    clock.lap("hessian")
    if out is not None:
        out.append(h)
    return clock


def w6_torch(torch: Any, plan: Plan, out: list[list[list[float]]] | None = None) -> Clock:
    """W6 with PyTorch: ``torch.autograd.functional.hessian`` of the same graph over a 1-d tensor of the inputs.

    torch's function runs the forward pass itself, then one backward pass per input
    through the gradient's graph (``create_graph=True``), as ours does.
    """
    leaf_values, steps = plan
    x = torch.tensor(leaf_values, dtype=torch.float64)

    def f(v: Any) -> Any:
        return run_plan(torch.Tensor, list(v.unbind()), steps)

    clock = Clock()
    h = torch.autograd.functional.hessian(f, x)
    clock.lap("total")
    if out is not None:
        out.append(h.tolist())
    return clock


def w6_numerical(V: Any, no_grad: Callable[[], Any], plan: Plan,
                 out: list[list[list[float]]] | None = None) -> Clock:
    """W6 by numerical differentiation: second central differences of the output (forward passes only).

    ``H[i][j] ≈ (f(+h_i,+h_j) - f(+h_i,-h_j) - f(-h_i,+h_j) + f(-h_i,-h_j)) / (4·h_i·h_j)``
    for i <= j (the matrix is symmetric): 2n(n+1) forward passes, run under
    ``no_grad`` (values only), with ``h_i = ε^(1/4)·max(1, |x_i|)``, the step that
    balances this formula's truncation and rounding errors.
    """
    leaf_values, steps = plan
    n = len(leaf_values)
    step = [2.0**-13 * max(1.0, abs(x)) for x in leaf_values]  # ε^(1/4) = 2^-13 for float64

    def f(xs: list[float]) -> float:
        with no_grad():
            return float(run_plan(V, [V(x) for x in xs], steps).data)

    def at(i: int, si: float, j: int, sj: float) -> float:
        xs = list(leaf_values)
        xs[i] += si * step[i]
        xs[j] += sj * step[j]
        return f(xs)

    clock = Clock()
    h = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            value = (at(i, 1, j, 1) - at(i, 1, j, -1) - at(i, -1, j, 1) + at(i, -1, j, -1)) / (4 * step[i] * step[j])
            h[i][j] = h[j][i] = value
    clock.lap("total")
    if out is not None:
        out.append(h)
    return clock


def max_relative_difference(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]) -> float:
    """The largest ``|a - b|`` over the matrices, relative to the largest ``|b|`` entry."""
    scale = max(abs(v) for row in b for v in row) or 1.0
    return max(abs(x - y) for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True)) / scale


def memory_per_op_node(V: Any, n: int) -> float:
    """Bytes that W1's forward graph holds per op node (tracemalloc), leaves excluded."""
    rng = random.Random(1)
    a = [V(rng.uniform(-1.0, 1.0)) for _ in range(n)]
    b = [V(rng.uniform(-1.0, 1.0)) for _ in range(n)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        acc = V(0.0)
        for x, y in zip(a, b, strict=True):
            acc = acc + x * y
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del acc
    return held / (2 * n)



# -- W7: micrograd's demo training -------------------------------------------------------

#: The demo network: 2 inputs, two hidden layers of 16 ReLU neurons, one linear output.
W7_SIZES = (2, 16, 16, 1)
#: micrograd's demo: L2 regularisation strength.
W7_ALPHA = 1e-4


@dataclass(frozen=True)
class W7Data:
    """The moons data of ``tinygrad-ko train moons`` (labels -1/+1) and the demo's initial weights."""

    x_train: list[list[float]]
    y_train: list[float]
    x_test: list[list[float]]
    y_test: list[float]
    weights: list[float]  # micrograd's parameter order: per neuron its weights, then its bias


def w7_data(points: int, seed: int = 0) -> W7Data:
    """The train command's moons split (``tinygrad_ko.train.recipes.data``), the first ``points`` training points.

    The initial weights are micrograd's initialisation (uniform on [-1, 1], biases 0)
    from a fixed seed, so every engine starts from the same network.
    """
    from tinygrad_ko.train import recipes as training

    (x_train, t_train), (x_test, t_test) = training.data("moons", seed)
    rng = random.Random(seed)
    weights = [value for nin, nout in itertools.pairwise(W7_SIZES) for _ in range(nout)
               for value in (*(rng.uniform(-1.0, 1.0) for _ in range(nin)), 0.0)]
    return W7Data(x_train[:points].tolist(), (2.0 * t_train[:points] - 1.0).tolist(),
                  x_test.tolist(), (2.0 * t_test - 1.0).tolist(), weights)


@dataclass
class DemoKit:
    """One engine's way of running the demo: the model, its inputs, its loss and its update."""

    model: Callable[[Any], Any]
    params: list[Any]
    inputs: Callable[[list[float]], Any]  # one data row as the model takes it
    loss: Callable[[list[Any], list[float]], Any]
    zero_grad: Callable[[], None]
    update: Callable[[float], None]  # one SGD step with this learning rate


def w7_demo_training(kit: DemoKit, data: W7Data, steps: int, accuracy: dict[str, float]) -> Clock:
    """W7: micrograd's demo loop, ``steps`` full-batch steps of hinge + L2 loss with lr 1.0 − 0.9·k/steps.

    The final accuracies on the training and the held-out points are left in
    ``accuracy`` (computed after the clock stops).
    """
    for p, w in zip(kit.params, data.weights, strict=True):
        p.data = w
    xs = [kit.inputs(row) for row in data.x_train]
    clock = Clock()
    for k in range(steps):
        scores = [kit.model(x) for x in xs]
        loss = kit.loss(scores, data.y_train)
        clock.lap("forward")
        kit.zero_grad()
        loss.backward()
        clock.lap("backward")
        kit.update(1.0 - 0.9 * k / steps)
        clock.lap("update")
        del scores, loss  # the same for every engine: the step's graph is garbage from here
    for name, rows, labels in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
        right = sum((kit.model(kit.inputs(row)).data > 0) == (y > 0) for row, y in zip(rows, labels, strict=True))
        accuracy[name] = right / len(labels)
    return clock


def micrograd_demo_kit() -> DemoKit:
    """micrograd's own ``nn.MLP`` and the demo notebook's loss and update, as written there."""
    from micrograd.engine import Value  # type: ignore[import-untyped]
    from micrograd.nn import MLP  # type: ignore[import-untyped]

    model = MLP(W7_SIZES[0], list(W7_SIZES[1:]))
    params = model.parameters()

    def loss(scores: list[Any], ys: list[float]) -> Any:
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(ys, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = W7_ALPHA * sum(p * p for p in params)
        return data_loss + reg_loss

    def update(lr: float) -> None:
        for p in params:
            p.data -= lr * p.grad

    return DemoKit(model, params, lambda row: list(map(Value, row)), loss, model.zero_grad, update)


def tinygrad_ko_demo_kit() -> DemoKit:
    """tinygrad_ko's ``nn.MLP``, ``nn.hinge`` and ``optim.SGD``: what ``tinygrad-ko train moons`` runs."""
    from tinygrad_ko import nn, optim

    model = nn.MLP(W7_SIZES[0], list(W7_SIZES[1:]), seed=0)
    params = model.parameters()
    sgd = optim.SGD(params, lr=1.0)

    def loss(scores: list[Any], ys: list[float]) -> Any:
        reg = params[0] * params[0]
        for p in params[1:]:
            reg = reg + p * p
        return nn.hinge(scores, ys) + W7_ALPHA * reg

    def update(lr: float) -> None:
        sgd.lr = lr
        sgd.step()

    return DemoKit(model, params, lambda row: row, loss, sgd.zero_grad, update)


def scalar_demo_kit(V: Any) -> DemoKit:
    """micrograd's nn (Neuron, Layer, MLP) written over any Value class: for PyTorch's 0-d tensors."""
    layers = [[([V(0.0) for _ in range(nin)], V(0.0)) for _ in range(nout)]
              for nin, nout in itertools.pairwise(W7_SIZES)]
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]
    last = len(layers) - 1

    def model(x: list[Any]) -> Any:
        for k, layer in enumerate(layers):
            outs = [sum((w * xi for w, xi in zip(ws, x, strict=True)), b) for ws, b in layer]
            x = [o.relu() for o in outs] if k < last else outs
        return x[0]

    def loss(scores: list[Any], ys: list[float]) -> Any:
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(ys, scores, strict=True)]
        return sum(losses) * (1.0 / len(losses)) + W7_ALPHA * sum(p * p for p in params)

    def zero_grad() -> None:
        for p in params:
            p.grad = 0.0

    def update(lr: float) -> None:
        for p in params:
            p.data -= lr * p.grad

    return DemoKit(model, params, lambda row: row, loss, zero_grad, update)


# -- W8/W9: vectorize() against the scalar engine's loop and PyTorch on 1-D tensors -------------

#: W8/W9's network: micrograd's demo MLP, 2 -> 16 -> 16 -> 1 with relu on the hidden layers.
MLP_SIZES = (2, 16, 16, 1)
#: (weights, bias) of each neuron, layer by layer, as plain floats.
Weights = list[list[tuple[list[float], float]]]


def mlp_weights(seed: int = 8) -> Weights:
    """W8/W9's weights (337 numbers), the same for every engine."""
    rng = random.Random(seed)
    return [[([rng.uniform(-1.0, 1.0) for _ in range(nin)], rng.uniform(-0.1, 0.1)) for _ in range(nout)]
            for nin, nout in itertools.pairwise(MLP_SIZES)]


def mlp(layers: list[list[tuple[list[Any], Any]]], h: Sequence[Any], relu: Callable[[Any], Any]) -> Any:
    """The MLP written with scalar weights: ``b + w1·x1 + w2·x2 + ...`` per neuron, one op per ``+`` and ``*``.

    The same code builds the scalar engine's graph (Values), the graph that
    vectorize traces, and PyTorch's graph over 1-D tensors (each weight a 0-d
    tensor), so all three run the same elementwise graph: 640 ops.
    """
    for k, layer in enumerate(layers):
        outs = []
        for ws, b in layer:
            act = b
            for w, x in zip(ws, h, strict=True):
                act = act + w * x
            outs.append(relu(act) if k < len(layers) - 1 else act)
        h = outs
    return h[0]


def batch(n: int, seed: int = 9) -> Any:
    """n points in [-2, 2]², shape (n, 2) (numpy, imported here: the other workloads need none)."""
    import numpy as np

    return np.random.default_rng(seed).uniform(-2.0, 2.0, (n, 2))


def w8_scalar_loop(V: Any, weights: Weights, X: Any) -> Clock:
    """The scalar engine, sample by sample: a graph and backward() per sample; grads add up to the batch sum."""
    layers = [[([V(w) for w in ws], V(b)) for ws, b in layer] for layer in weights]
    rows = X.tolist()
    clock = Clock()
    for x1, x2 in rows:
        mlp(layers, [V(x1), V(x2)], lambda a: a.relu()).backward()
    clock.lap("total")
    return clock


def w8_trace(V: Any, vectorize: Callable[..., Any], weights: Weights) -> tuple[Any, Clock]:
    """Build the graph once on two input Values and trace it: the program W8 runs, and the time that took."""
    layers = [[([V(w) for w in ws], V(b)) for ws, b in layer] for layer in weights]
    x1, x2 = V(0.0), V(0.0)
    clock = Clock()
    f = vectorize(mlp(layers, [x1, x2], lambda a: a.relu()), [x1, x2])
    clock.lap("total")
    return f, clock


def w8_vectorized(f: Any, X: Any) -> Clock:
    """One ``f.backward`` over the batch: the outputs and the parameters' gradients summed over the samples."""
    columns = X[:, 0], X[:, 1]
    clock = Clock()
    f.backward(*columns)
    clock.lap("total")
    return clock


def w8_torch(torch: Any, weights: Weights, X: Any) -> Clock:
    """PyTorch eager on the same elementwise graph: 0-d float64 weights, 1-D float64 inputs of length n."""
    def param(x: float) -> Any:
        return torch.tensor(x, dtype=torch.float64, requires_grad=True)

    layers = [[([param(w) for w in ws], param(b)) for ws, b in layer] for layer in weights]
    columns = [torch.from_numpy(X[:, k].copy()) for k in range(2)]
    clock = Clock()
    mlp(layers, columns, torch.relu).sum().backward()
    clock.lap("total")
    return clock


def w9_memory_peak(f: Any, X: Any) -> int:
    """Bytes that one ``f.backward`` on a fresh program allocates at its peak (tracemalloc sees numpy's arrays)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        f.backward(X[:, 0], X[:, 1])
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return peak


def _status_kib(field: str) -> int:
    """A memory figure of this process from /proc/self/status (Linux), in KiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def rss_growth(engine: str, n: int) -> int:
    """Bytes by which one f.backward (``ours``) or one torch forward + backward (``torch``) over n samples
    raises this process's resident memory at its peak; run it in a fresh process (``python workloads.py rss ...``).

    The resident memory sees every allocation, torch's C++ ones too, which tracemalloc does not.  The
    peak (VmHWM) is reset just before the call (Linux's clear_refs), so set-up does not count.
    """
    from tinygrad_ko import Value, vectorize

    weights, X = mlp_weights(), batch(n)
    if engine == "torch":
        import torch

        torch.set_num_threads(1)
        w8_torch(torch, weights, batch(10))  # torch's own start-up allocations, before measuring
    else:
        f, _ = w8_trace(Value, vectorize, weights)
    with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
        clear.write("5")  # reset the peak to the current resident size
    before = _status_kib("VmRSS")
    if engine == "torch":
        w8_torch(torch, weights, X)
    else:
        f.backward(X[:, 0], X[:, 1])
    return (_status_kib("VmHWM") - before) * 1024


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["rss"]:
        print(rss_growth(sys.argv[2], int(sys.argv[3])))
