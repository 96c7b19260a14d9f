"""The small graphs a learner's engine is checked on, each with its expression as the message shows it.

Each program builds a graph from named leaves with any Value class (the learner's, or
the project's own :class:`tinygrad_ko.Value`, whose op table gives the right answers).
The upstream gradient ``g = 1.1`` (the apple example's tax) multiplies the op's output, so
an op that ignores the gradient coming from upstream shows; ``x != y`` and no input is
0 or 1, so swapped inputs and flipped signs show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["DIAMOND", "OP_PROGRAMS", "PLAIN", "REUSE", "UPSTREAM", "Program"]


@dataclass(frozen=True)
class Program:
    """A graph: ``build(leaves)`` returns its root; ``checked`` are the leaves whose gradients are judged."""

    expression: str
    leaves: tuple[tuple[str, float], ...]
    build: Callable[[dict[str, Any]], Any]
    op: str  # the op table's name of the op it checks ("" for a graph of several)
    needs: str = ""  # the attribute the class must have for the program to run ("" for + and *)
    checked: tuple[str, ...] = ("x", "y")

    @property
    def root(self) -> str:
        """The name of the root, the last assignment of the expression (``z``, ``L``)."""
        return self.expression.rsplit(";", 1)[-1].split("=", 1)[0].strip()

    def inputs(self, **changed: float) -> dict[str, float]:
        """The leaves' numbers, some changed (the variants' inputs)."""
        return {**dict(self.leaves), **changed}


_G = 1.1  # the upstream gradient: the apple example's tax

#: x * y and x + y alone (seeded with 1 by backward()): the local derivatives of the two ops every engine has.
PLAIN = (
    Program("z = x * y", (("x", 100.0), ("y", 2.0)), lambda v: v["x"] * v["y"], "mul"),
    Program("z = x + y", (("x", 200.0), ("y", 450.0)), lambda v: v["x"] + v["y"], "add"),
)
#: The same with an upstream gradient g (the apple example: the tax multiplies the price).
UPSTREAM = (
    Program("z = (x * y) * g", (("x", 100.0), ("y", 2.0), ("g", _G)), lambda v: (v["x"] * v["y"]) * v["g"], "mul"),
    Program("z = (x + y) * g", (("x", 200.0), ("y", 450.0), ("g", _G)), lambda v: (v["x"] + v["y"]) * v["g"], "add"),
)
#: A node used twice: its gradient is the sum of both uses'.
REUSE = (
    Program("z = x + x", (("x", 3.0),), lambda v: v["x"] + v["x"], "add", checked=("x",)),
    Program("z = x * x", (("x", 3.0),), lambda v: v["x"] * v["x"], "mul", checked=("x",)),
)


def _diamond(v: dict[str, Any]) -> Any:
    h = v["x"] * v["y"]
    k = v["p"] * v["q"]
    return h * v["u"] + h * v["v"] + k + k * v["u"] * v["v"] * v["q"]


#: Two diamonds in one graph.  h feeds two nodes side by side: a depth-first walk that runs
#: each node's _backward when it first reaches it passes h's gradient on after one of them.
#: k feeds L at depth 2 and, through a chain, at depth 4: a breadth-first walk passes k's
#: gradient on before the chain's part arrives.  Only a topological order is right on both.
DIAMOND = Program("h = x * y; k = p * q; L = h * u + h * v + k + k * u * v * q",
                  (("x", 2.0), ("y", 3.0), ("p", 2.5), ("q", 0.5), ("u", 1.5), ("v", -0.5)), _diamond, "",
                  checked=("x", "y", "p", "q", "u", "v"))


def _unary(name: str, x: float) -> Program:
    return Program(f"z = x.{name}() * g", (("x", x), ("g", _G)), lambda v: getattr(v["x"], name)() * v["g"],
                   name, name, checked=("x",))


#: One program per op a class may have (the attribute it needs), reversed operands last.
OP_PROGRAMS = (
    Program("z = (x - y) * g", (("x", 100.0), ("y", 2.0), ("g", _G)), lambda v: (v["x"] - v["y"]) * v["g"],
            "sub", "__sub__"),
    Program("z = (x / y) * g", (("x", 100.0), ("y", 2.0), ("g", _G)), lambda v: (v["x"] / v["y"]) * v["g"],
            "div", "__truediv__"),
    Program("z = (x ** 3) * g", (("x", 2.0), ("g", _G)), lambda v: (v["x"] ** 3) * v["g"], "pow", "__pow__",
            checked=("x",)),
    Program("z = (-x) * g", (("x", 2.0), ("g", _G)), lambda v: (-v["x"]) * v["g"], "neg", "__neg__", checked=("x",)),
    _unary("relu", 1.5),
    _unary("relu", -2.0),
    _unary("tanh", 0.5),
    _unary("sigmoid", 0.5),
    _unary("exp", 0.5),
    _unary("log", 2.0),
    Program("z = (2 * x) * g", (("x", 3.0), ("g", _G)), lambda v: (2 * v["x"]) * v["g"], "mul", "__rmul__",
            checked=("x",)),
    Program("z = (2 + x) * g", (("x", 3.0), ("g", _G)), lambda v: (2 + v["x"]) * v["g"], "add", "__radd__",
            checked=("x",)),
    Program("z = (2 - x) * g", (("x", 3.0), ("g", _G)), lambda v: (2 - v["x"]) * v["g"], "sub", "__rsub__",
            checked=("x",)),
    Program("z = (2 / x) * g", (("x", 4.0), ("g", _G)), lambda v: (2 / v["x"]) * v["g"], "div", "__rtruediv__",
            checked=("x",)),
)
