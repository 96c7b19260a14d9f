"""The op table: every scalar operation the engine records, defined once.

Each :class:`Op` says how to compute the output from the inputs (순전파, forward)
and what its **local derivatives** (국소적 미분) are: for ``z = x * y`` they are
``(∂z/∂x, ∂z/∂y) = (y, x)``.  The engine, the DOT exporter and the explainer all
read this table; none of them repeats an op's rule.  This module knows nothing
about :class:`~tinygrad_ko.Value` — it works on plain Python floats.

Forward functions follow Python's float semantics but raise with messages that
name the op and the operand.  Local-derivative functions never raise: where a
derivative does not exist or overflows they return ``inf`` or ``nan`` as IEEE
arithmetic would, so that ``backward()`` on a graph holding NaN just propagates it.

>>> MUL.forward(3.0, 4.0), MUL.local(3.0, 4.0, 12.0)
(12.0, (4.0, 3.0))
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ADD",
    "DIV",
    "EXP",
    "LOG",
    "MUL",
    "NEG",
    "OPS",
    "POW",
    "RELU",
    "SIGMOID",
    "SUB",
    "TANH",
    "Op",
]


@dataclass(frozen=True, slots=True)
class Op:
    """One scalar operation.

    ``forward`` takes ``arity`` floats; ``local`` takes the same floats plus the
    output and returns the local derivative (a float for unary ops, a pair for
    binary ops).  ``local_formula`` writes each local derivative in terms of
    ``x``, ``y`` (inputs) and ``out`` (the output), for people to read.
    """

    name: str
    symbol: str
    arity: int
    forward: Callable[..., float]
    local: Callable[..., Any]
    local_formula: tuple[str, ...]
    name_ko: str
    name_en: str

    def local_derivatives(self, inputs: Sequence[float], out: float) -> tuple[float, ...]:
        """The local derivative with respect to each input, one per input whatever the arity.

        >>> MUL.local_derivatives([3.0, 4.0], 12.0), NEG.local_derivatives([3.0], -3.0)
        ((4.0, 3.0), (-1.0,))
        """
        local = self.local(*inputs, out)
        return (local,) if self.arity == 1 else tuple(local)


def _fmt(x: float) -> str:
    return repr(x)


def _div(x: float, y: float) -> float:
    if y == 0.0:
        raise ZeroDivisionError(f"div: cannot divide {_fmt(x)} by zero (x / y with y = {_fmt(y)})")
    return x / y


def _pow(x: float, y: float) -> float:
    if x == 0.0 and y < 0.0:
        raise ZeroDivisionError(
            f"pow: 0.0 cannot be raised to a negative power (x ** y with x = {_fmt(x)}, y = {_fmt(y)})"
        )
    if x < 0.0 and not y.is_integer() and math.isfinite(y):
        raise ValueError(
            f"pow: a negative base to a fractional power is not a real number "
            f"(x ** y with x = {_fmt(x)}, y = {_fmt(y)}); Python would return a complex number"
        )
    try:
        result: float = x**y
    except OverflowError:
        raise OverflowError(
            f"pow: result too large for a float (x ** y with x = {_fmt(x)}, y = {_fmt(y)})"
        ) from None
    return result


def _safe_pow(x: float, y: float) -> float:
    """``x ** y`` for derivatives: ±inf instead of raising (IEEE, not Python)."""
    try:
        result: float | complex = x**y
    except ZeroDivisionError:  # 0.0 ** negative
        return math.inf
    except OverflowError:
        return -math.inf if x < 0.0 and y.is_integer() and y % 2 == 1 else math.inf
    if isinstance(result, complex):  # never reached by forward-checked inputs
        return math.nan
    return result


def _pow_local(x: float, y: float, out: float) -> tuple[float, float]:
    # d/dx x**y = y * x**(y-1); the y == 0 case is the constant 1, whose slope is 0
    # even at x == 0 where x**(y-1) would be infinite.
    dx = 0.0 if y == 0.0 else y * _safe_pow(x, y - 1.0)
    # d/dy x**y = x**y * log(x).  At x == 0 with y >= 0 the limit is 0 (PyTorch's
    # choice); for x < 0 the real derivative does not exist: NaN.
    if x > 0.0:
        dy = out * math.log(x)
    elif x == 0.0 and y >= 0.0:
        dy = 0.0
    else:
        dy = math.nan
    return dx, dy


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(
            f"exp: result too large for a float (exp(x) with x = {_fmt(x)}; exp overflows above about 709.78)"
        ) from None


def _log(x: float) -> float:
    if x <= 0.0:
        raise ValueError(f"log: input must be greater than 0, got {_fmt(x)} (log is defined for x > 0 only)")
    return math.log(x)


def _relu(x: float) -> float:
    # `x <= 0` is False for NaN, so NaN passes through as IEEE says.
    return 0.0 if x <= 0.0 else x


def _sigmoid(x: float) -> float:
    # Two branches so that exp() only ever sees a non-positive argument:
    # sigmoid(1000) == 1.0 and sigmoid(-1000) == 0.0 without overflow.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _unary(name: str, symbol: str, forward: Callable[[float], float],
           local: Callable[[float, float], float], formula: str, ko: str, en: str) -> Op:
    return Op(name, symbol, 1, forward, local, (formula,), ko, en)


def _binary(name: str, symbol: str, forward: Callable[[float, float], float],
            local: Callable[[float, float, float], tuple[float, float]],
            formula: tuple[str, str], ko: str, en: str) -> Op:
    return Op(name, symbol, 2, forward, local, formula, ko, en)


# The table.  Each line: name, symbol, forward, local derivative(s), the same as text.
ADD = _binary("add", "+", operator.add, lambda x, y, out: (1.0, 1.0), ("1", "1"),
              "덧셈 노드", "add node")
SUB = _binary("sub", "-", operator.sub, lambda x, y, out: (1.0, -1.0), ("1", "-1"),
              "뺄셈 노드", "subtract node")
MUL = _binary("mul", "*", operator.mul, lambda x, y, out: (y, x), ("y", "x"),
              "곱셈 노드", "multiply node")
DIV = _binary("div", "/", _div, lambda x, y, out: (1.0 / y, -out / y), ("1/y", "-x/y²"),
              "나눗셈 노드", "divide node")
POW = _binary("pow", "**", _pow, _pow_local, ("y·x^(y-1)", "x^y·log(x)"),
              "거듭제곱 노드", "power node")
NEG = _unary("neg", "-", operator.neg, lambda x, out: -1.0, "-1", "부호 반전 노드", "negate node")
RELU = _unary("relu", "relu", _relu, lambda x, out: 1.0 if x > 0.0 else 0.0,
              "1 if x > 0 else 0", "ReLU 노드", "ReLU node")
SIGMOID = _unary("sigmoid", "σ", _sigmoid, lambda x, out: out * (1.0 - out),
                 "out·(1-out)", "시그모이드 노드", "sigmoid node")
TANH = _unary("tanh", "tanh", math.tanh, lambda x, out: 1.0 - out * out,
              "1-out²", "tanh 노드", "tanh node")
EXP = _unary("exp", "exp", _exp, lambda x, out: out, "out", "exp 노드", "exp node")
LOG = _unary("log", "log", _log, lambda x, out: 1.0 / x, "1/x", "log 노드", "log node")

#: Every op by name, in a stable order (the order above).
OPS: dict[str, Op] = {op.name: op for op in (ADD, SUB, MUL, DIV, POW, NEG, RELU, SIGMOID, TANH, EXP, LOG)}
