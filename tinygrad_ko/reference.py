"""The reference engine: backpropagation (오차역전파법) in plain Python, to read top to bottom.

The semantics of tinygrad_ko.Value (engine.py) for reading, not speed: each op's rule spelled out again, on purpose;
tests/test_reference.py holds both engines to bit-for-bit equal results."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable


class Value:
    """A node of the computational graph (계산 그래프): a number, its gradient, and how it was made."""

    def __init__(self, data: float, label: str = "", *, requires_grad: bool = True) -> None:
        if isinstance(data, bool) or not isinstance(data, numbers.Real):
            raise TypeError(f"Value() needs a real number (int or float), got {data!r}")
        self.data: float = float(data)
        self.grad: float = 0.0  # d(output)/d(this node), added by backward()
        self.label: str = label
        self.requires_grad: bool = requires_grad  # False: a constant, which never gets a gradient
        self.op: str = ""  # the op that made this node; "" for a leaf
        self.parents: tuple[Value, ...] = ()  # that op's inputs, in argument order
        self.rules: tuple[Callable[[], float], ...] = ()  # per parent: its local derivative (국소적 미분)

    # -- each op: forward (순전파) next to its local derivatives ----------------------------
    def __add__(self, other: Value | float) -> Value:  # add node (덧셈 노드): ∂(x+y)/∂x = 1, ∂/∂y = 1
        x, y = self, constant(other)
        return node(x.data + y.data, "add", (x, y), lambda: 1.0, lambda: 1.0)

    def __mul__(self, other: Value | float) -> Value:  # mul node (곱셈 노드): ∂(xy)/∂x = y, ∂/∂y = x
        x, y = self, constant(other)
        return node(x.data * y.data, "mul", (x, y), lambda: y.data, lambda: x.data)

    def __sub__(self, other: Value | float) -> Value:  # ∂(x-y)/∂x = 1, ∂/∂y = -1
        x, y = self, constant(other)
        return node(x.data - y.data, "sub", (x, y), lambda: 1.0, lambda: -1.0)

    def __truediv__(self, other: Value | float) -> Value:  # ∂(x/y)/∂x = 1/y, ∂/∂y = -x/y² = -out/y
        x, y = self, constant(other)
        out = x.data / y.data  # ZeroDivisionError if y == 0
        return node(out, "div", (x, y), lambda: 1.0 / y.data, lambda: -out / y.data)

    def __pow__(self, other: Value | float) -> Value:  # ∂(x**y)/∂x = y·x**(y-1), ∂/∂y = x**y·log(x)
        x, y = self, constant(other)
        if x.data == 0.0 and y.data < 0.0:
            raise ZeroDivisionError(f"pow: 0.0 cannot be raised to a negative power ({y.data})")
        if x.data < 0.0 and math.isfinite(x.data) and math.isfinite(y.data) and not y.data.is_integer():
            raise ValueError(f"pow: {x.data} ** {y.data} is not a real number")
        out: float = x.data**y.data  # OverflowError if too large
        return node(out, "pow", (x, y), lambda: pow_dx(x.data, y.data, out), lambda: pow_dy(x.data, y.data, out))

    # A number on the left (2 * x, 1 - x, 2 / x, 2 ** x) becomes a constant, then the same op.
    def __radd__(self, other: float) -> Value: return constant(other) + self
    def __rmul__(self, other: float) -> Value: return constant(other) * self
    def __rsub__(self, other: float) -> Value: return constant(other) - self
    def __rtruediv__(self, other: float) -> Value: return constant(other) / self
    def __rpow__(self, other: float) -> Value: return constant(other) ** self

    def __neg__(self) -> Value:  # ∂(-x)/∂x = -1
        return node(-self.data, "neg", (self,), lambda: -1.0)

    def relu(self) -> Value:  # ∂relu(x)/∂x = 1 where x > 0, 0 where x <= 0 (the kink too), NaN for NaN
        out = 0.0 if self.data <= 0.0 else self.data  # NaN passes through: NaN <= 0 is False
        return node(out, "relu", (self,), lambda: math.nan if math.isnan(self.data) else float(self.data > 0.0))

    def sigmoid(self) -> Value:  # sigmoid (시그모이드 함수): ∂σ(x)/∂x = out·(1-out), as σ(x)·σ(-x) past x = 1
        return node(sigmoid(self.data), "sigmoid", (self,), lambda: sigmoid_dx(self.data, sigmoid(self.data)))

    def tanh(self) -> Value:  # ∂tanh(x)/∂x = 1 - out², as 4·σ(2x)·σ(-2x) past |x| = 1 (tanh = 2σ(2x) - 1)
        return node(math.tanh(self.data), "tanh", (self,), lambda: tanh_dx(self.data, math.tanh(self.data)))

    def exp(self) -> Value:  # ∂exp(x)/∂x = exp(x) = out (OverflowError above x ≈ 709.78)
        out = math.exp(self.data)
        return node(out, "exp", (self,), lambda: out)

    def log(self) -> Value:  # ∂log(x)/∂x = 1/x (ValueError if x <= 0)
        return node(math.log(self.data), "log", (self,), lambda: 1.0 / self.data)

    # -- backpropagation (역전파) --------------------------------------------------------------
    def backward(self, grad: float = 1.0) -> None:
        """Add d(self)/d(node) · grad to every node's .grad, by the chain rule (연쇄법칙)."""
        if not self.requires_grad:
            raise ValueError("backward(): this Value is a constant (requires_grad=False); nothing to differentiate")
        # This pass's gradients collect in a dict, added to .grad at the end: a second backward() adds them again.
        grads = {self: float(grad)}
        for n in reversed(topological_order(self)):  # outputs first: a node is done before its inputs
            for parent, rule in zip(n.parents, n.rules, strict=True):
                if parent.requires_grad:  # a constant gets no gradient, and its rule never runs
                    grads[parent] = grads.get(parent, 0.0) + rule() * grads[n]  # local × upstream, summed
        for n, g in grads.items():
            n.grad += g


def topological_order(root: Value) -> list[Value]:
    """Every node root depends on, once each, each after its parents: a topological sort (위상 정렬), iterative (a
    recursive walk dies ~1,000 nodes deep). A node is pushed to visit its parents (last first, as graph.py), then out"""
    order: list[Value] = []
    visited: set[Value] = set()
    stack = [(root, False)]
    while stack:
        n, parents_done = stack.pop()
        if parents_done:
            order.append(n)
        elif n not in visited:
            visited.add(n)
            stack.append((n, True))
            stack.extend((parent, False) for parent in n.parents)
    return order


def node(data: float, op: str, parents: tuple[Value, ...], *rules: Callable[[], float]) -> Value:
    """An op's output, which remembers its inputs and their local derivatives; on constants only, a constant."""
    out = Value(data, requires_grad=any(p.requires_grad for p in parents))
    if out.requires_grad:
        out.op, out.parents, out.rules = op, parents, rules
    return out


def constant(x: Value | float) -> Value:  # a number next to a Value (the 2 in x * 2): a leaf that gets no gradient
    return x if isinstance(x, Value) else Value(x, requires_grad=False)


def sigmoid(x: float) -> float: return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))
def sigmoid_dx(x: float, out: float) -> float: return out * (1 - out) if x <= 1 else out * sigmoid(-x)
def tanh_dx(x: float, t: float) -> float: return 1 - t * t if abs(x) <= 1 else 4 * sigmoid(2 * x) * sigmoid(-2 * x)


def pow_dx(x: float, y: float, out: float) -> float:  # y·x**(y-1); 0 if y == 0 (x**0: the constant 1); ±inf if
    try:  # Python raises; y·out/x where only x**(y-1) overflows (x = 5e-324, y = 1e-308: 2e15, not inf)
        power = 0.0 if y == 0.0 else float(x ** (y - 1.0))
    except (ZeroDivisionError, OverflowError):
        power = -math.inf if x < 0.0 and (y - 1.0) % 2.0 == 1.0 else math.inf
    if y == 0.0:
        return 0.0
    return y * power if math.isfinite(power) or x == 0.0 or not math.isfinite(x) else y * out / x


def pow_dy(x: float, y: float, out: float) -> float:
    """x**y·log(x); at x == 0 the limit 0 (for y >= 0, as PyTorch); no real derivative for x < 0."""
    return out * math.log(x) if x > 0.0 else 0.0 if x == 0.0 and y >= 0.0 else math.nan


if __name__ == "__main__":  # the book's apple and orange example (사과와 귤), chapter 5
    apple, n, tax = Value(100, "apple"), Value(2, "n"), Value(1.1, "tax")
    orange, m = Value(150, "orange"), Value(3, "m")
    price = (apple * n + orange * m) * tax
    price.backward()
    print(f"price = {price.data}", *(f"d price / d {v.label} = {v.grad}" for v in (apple, n, orange, m, tax)), sep="\n")
