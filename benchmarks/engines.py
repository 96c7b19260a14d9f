"""The engines the benchmarks compare: tinygrad_ko and its peers.

Every workload is written once against a Value class.  An :class:`Engine` names
that class and what the reader should know about it.  micrograd 0.1.0 (the
pinned peer) has ``relu`` but no ``sigmoid``, ``tanh`` or ``exp``, which W4 and
W5 need; :func:`micrograd` adds them to its Value class in micrograd's own style
(a ``_backward`` closure per node, a ``set`` of children), so the peer pays what
its design costs and nothing more.
"""

from __future__ import annotations

import importlib.metadata
import math
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


def torch_status() -> str:
    """PyTorch's version when importable, else the word ``absent``."""
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return "absent"
