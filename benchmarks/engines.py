"""The engines the benchmarks compare: tinygrad_ko and its peers.

Every workload is written once against a Value class.  An :class:`Engine` names
that class and what the reader should know about it.  micrograd 0.1.0 (the
pinned peer) has ``relu`` but no ``sigmoid``, ``tanh`` or ``exp``, which W4 and
W5 need; :func:`micrograd` adds them to its Value class in micrograd's own style
(a ``_backward`` closure per node, a ``set`` of children), so the peer pays what
its design costs and nothing more.  :func:`pytorch` is PyTorch, when importable,
through a thin adapter over 0-d tensors.
"""

from __future__ import annotations

import importlib.metadata
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Engine:
    """One engine under test: a display name, its Value class and its version."""

    name: str
    value: Any
    version: str
    #: True when backward() recurses (micrograd): deep graphs then need a raised
    #: recursion limit, and W2 reports the deepest chain it manages without one.
    recursive_backward: bool


def tinygrad_ko() -> Engine:
    """Our engine."""
    import tinygrad_ko as package

    return Engine("tinygrad_ko", package.Value, package.__version__, recursive_backward=False)


def micrograd() -> Engine:
    """micrograd from the ``bench`` extra, with the three ops it lacks added in its own style."""
    try:
        from micrograd.engine import Value  # type: ignore[import-untyped]
    except ImportError:
        raise SystemExit(
            "micrograd is not installed; install the peer with: pip install \".[bench]\" "
            "(or run with --peer self to measure tinygrad_ko against itself)"
        ) from None
    version = importlib.metadata.version("micrograd")

    def exp(self: Any) -> Any:
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def tanh(self: Any) -> Any:
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self: Any) -> Any:
        x = self.data
        # The same overflow-free branches as tinygrad_ko, so both engines compute
        # the same numbers on the same inputs.
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0.0 else math.exp(x) / (1.0 + math.exp(x))
        out = Value(s, (self,), "sigmoid")

        def _backward() -> None:
            self.grad += s * (1 - s) * out.grad

        out._backward = _backward
        return out

    for name, method in (("exp", exp), ("tanh", tanh), ("sigmoid", sigmoid)):
        if not hasattr(Value, name):  # a later micrograd might bring its own: keep it
            setattr(Value, name, method)
    return Engine("micrograd", Value, version, recursive_backward=True)


def pytorch() -> Engine | None:
    """PyTorch through a thin Value adapter, or None when torch is not importable.

    Each Value holds one 0-d float64 tensor that requires grad; every op is the
    tensor op, so torch's own autograd records the graph and runs backward().
    The adapter adds one small Python object and one call per op, the least a
    program written for scalar Values (``data`` and ``grad`` as floats) pays
    to run on torch.  ``grad`` is read on leaves (made by ``Value(x)``), as in
    torch, where a non-leaf keeps no gradient.
    """
    try:
        import torch
    except ImportError:
        return None
    # One thread, as the Python engines have.  On 0-d tensors torch's intra-op
    # pool would not split the work anyway; this keeps it off a shared CPU.
    torch.set_num_threads(1)
    float64, no_grad, tensor = torch.float64, torch.no_grad, torch.tensor
    new = object.__new__

    def wrap(t: Any) -> Any:
        out = new(Value)
        out.t = t
        return out

    def binary(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def method(self: Any, other: Any) -> Any:
            return wrap(fn(self.t, other.t if type(other) is Value else other))

        return method

    def reflected(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        # Python calls the reflected form only when the left operand is not a Value.
        return lambda self, other: wrap(fn(other, self.t))

    def unary(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return lambda self: wrap(fn(self.t))

    class Value:
        """A scalar as a 0-d float64 tensor with ``requires_grad``."""

        __slots__ = ("t",)
        t: Any  # the tensor; Any because torch's Tensor.backward() has no type annotations

        def __init__(self, data: float) -> None:
            self.t = tensor(float(data), dtype=float64, requires_grad=True)

        @property
        def data(self) -> float:
            return float(self.t.item())

        @data.setter
        def data(self, x: float) -> None:
            with no_grad():
                self.t.fill_(x)

        @property
        def grad(self) -> float:
            g = self.t.grad
            return 0.0 if g is None else float(g.item())

        @grad.setter
        def grad(self, g: float) -> None:
            # None is torch's own "no gradient yet" (what optimizer.zero_grad() leaves).
            self.t.grad = None if g == 0.0 else tensor(float(g), dtype=float64)

        def backward(self) -> None:
            self.t.backward()

        __add__, __radd__ = binary(operator.add), reflected(operator.add)
        __sub__, __rsub__ = binary(operator.sub), reflected(operator.sub)
        __mul__, __rmul__ = binary(operator.mul), reflected(operator.mul)
        __truediv__, __rtruediv__ = binary(operator.truediv), reflected(operator.truediv)
        __pow__, __rpow__ = binary(operator.pow), reflected(operator.pow)
        __neg__ = unary(operator.neg)
        relu, sigmoid, tanh = unary(torch.relu), unary(torch.sigmoid), unary(torch.tanh)
        exp, log = unary(torch.exp), unary(torch.log)

    return Engine("PyTorch", Value, torch.__version__, recursive_backward=False)
