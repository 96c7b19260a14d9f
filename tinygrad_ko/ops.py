"""The op table: every scalar operation the engine records, defined once.

Each :class:`Op` says how to compute the output from the inputs (순전파, forward)
and what its **local derivatives** (국소적 미분) are: for ``z = x * y`` they are
``(∂z/∂x, ∂z/∂y) = (y, x)``.  The engine, the DOT exporter and the explainer all
read this table; none of them repeats an op's rule.  This module knows nothing
about :class:`~tinygrad_ko.Value` — it works on plain Python floats.

**One rule, every kind of number.**  Each rule is written once, as a function of
a :class:`Kind` — the kind of number it will run on: Python floats (the hot path of
``backward()``), Values (``grad(..., create_graph=True)``: the derivative is itself a
graph) and numpy arrays (``vectorize``).  A rule uses arithmetic (``+ - *``, unary
``-``, which every kind has) and, for anything more, the few functions a kind
supplies: ``div``, ``pow``, ``log``, ``step``, ``where``, ``data``.  The float
forms are bound once here (``Op.forward``, ``Op.local_x``, ``Op.local_y``), so the
hot path calls plain functions.

Forward functions follow Python's float semantics but raise with messages that
name the op and the operand.  Local-derivative functions never raise: where a
derivative does not exist or overflows they return ``inf`` or ``nan`` as IEEE
arithmetic would, so that ``backward()`` on a graph holding NaN just propagates it.

**Accuracy of the local derivatives** (floats), as relative error against mpmath at 60
digits, over 20,000 random arguments per rule (magnitudes log-uniform over the whole
float range that the op accepts, both signs) plus the audit's extreme cases, counting
results that are normal floats (a subnormal result keeps fewer bits; 0 and inf must match):

=============  =============================  ==========================================
op             local derivative, as computed  worst error
=============  =============================  ==========================================
add sub neg    1, -1                          exact
mul            y, x                           exact
relu           step(x)                        exact
div            1/y; -out/y                    1.0 ulp; 1.8 ulps
exp            out                            1.0 ulp (exp's own)
log            1/x                            1.0 ulp
pow (base)     y·x^(y-1), or y·out/x where    3 ulps where y - 1 is exact (0.5 <= y <= 2,
               x^(y-1) overflows              integers); else y - 1's rounding adds up to
                                              ulp(y-1)/2·|log x| (x = 2.5e-301, y = 5.7e-17:
                                              338 ulps).  x = 5e-324, y = 1e-308: 2e15
pow (exp.)     out·log(x)                     2 ulps where out is a normal float; a
                                              subnormal out's lost bits carry over (316)
sigmoid        out·(1-out) for x <= 1,        4.3 ulps, to x = 745 (σ'(40) = 4.25e-18)
               out·σ(-x) above
tanh           1-out² for |x| <= 1,           5.1 ulps, to |x| = 372 (tanh'(20) = 1.7e-17)
               4·σ(2x)·σ(-2x) beyond
=============  =============================  ==========================================

``tests/test_ops_accuracy.py`` checks these bounds (with a margin) on fresh random inputs.

>>> MUL.forward(3.0, 4.0), MUL.local_x(3.0, 4.0, 12.0), MUL.local_y(3.0, 4.0, 12.0)
(12.0, 4.0, 3.0)
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .messages import LocalizedOverflowError, LocalizedValueError, LocalizedZeroDivisionError, text

__all__ = [
    "ADD",
    "DIV",
    "EXP",
    "FLOATS",
    "LOG",
    "MUL",
    "NEG",
    "OPS",
    "POW",
    "RELU",
    "SIGMOID",
    "SUB",
    "TANH",
    "Kind",
    "Op",
]


class Kind(Protocol):
    """A kind of number the rules can run on: what a rule needs beyond ``+ - *`` and unary ``-``.

    Forward functions (``div`` ... ``tanh``) raise, naming the op and the operand,
    where the op is undefined.  The functions for local derivatives (``ieee_div``,
    ``ieee_pow``, ``ieee_log``, ``step``) never raise: they give ``inf``/``nan`` as
    IEEE 754 arithmetic does.  ``data`` gives the plain number(s) inside a value, for
    the conditions of ``where``.  :data:`FLOATS` is the kind for Python floats; the
    engine adds Values (``tinygrad_ko.functional``) and numpy arrays (``vectorize``).
    """

    name: str
    nan: Any

    def data(self, v: Any) -> Any: ...
    def where(self, condition: Any, a: Any, b: Any) -> Any: ...
    def div(self, x: Any, y: Any) -> Any: ...
    def pow(self, x: Any, y: Any) -> Any: ...
    def exp(self, x: Any) -> Any: ...
    def log(self, x: Any) -> Any: ...
    def relu(self, x: Any) -> Any: ...
    def sigmoid(self, x: Any) -> Any: ...
    def tanh(self, x: Any) -> Any: ...
    def ieee_div(self, x: Any, y: Any) -> Any: ...
    def ieee_pow(self, x: Any, y: Any) -> Any: ...
    def ieee_log(self, x: Any) -> Any: ...
    def step(self, x: Any) -> Any: ...


@dataclass(frozen=True, slots=True)
class Op:
    """One scalar operation, defined once for every kind of number.

    ``forward_rule(kind)`` gives the forward function (``arity`` inputs);
    ``local_rule(kind)`` gives one local-derivative function per input, each
    taking the inputs and the output (``(x, out)`` or ``(x, y, out)``).
    ``local_formula`` writes each local derivative in terms of ``x``, ``y`` (the
    inputs) and ``out`` (the output), for people to read.

    The float forms are bound at import: ``forward``, ``local_x`` (∂out/∂x) and,
    for binary ops, ``local_y`` (∂out/∂y; ``None`` for unary ops).
    """

    name: str
    symbol: str
    arity: int
    forward_rule: Callable[[Kind], Callable[..., Any]]
    local_rule: Callable[[Kind], tuple[Callable[..., Any], ...]]
    local_formula: tuple[str, ...]
    name_en: str
    # Typed Any: the float rules are arithmetic, so numpy arrays pass through them too.
    forward: Callable[..., Any] = field(init=False, repr=False, compare=False)
    local_x: Callable[..., Any] = field(init=False, repr=False, compare=False)
    local_y: Callable[..., Any] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        local = self.local_rule(FLOATS)
        if len(local) != self.arity or len(self.local_formula) != self.arity:
            raise LocalizedValueError("engine.op_arity", name=self.name)
        # Frozen: the float forms are set once, here, and never change.
        object.__setattr__(self, "forward", self.forward_rule(FLOATS))
        object.__setattr__(self, "local_x", local[0])
        object.__setattr__(self, "local_y", local[1] if self.arity == 2 else None)

    def __reduce__(self) -> tuple[Callable[[str], Op], tuple[str]]:
        # Ops hold functions, which pickle cannot store: an op pickles as its name.
        return _op_named, (self.name,)

    @property
    def name_ko(self) -> str:
        """The op's name in Korean (``덧셈 노드``), from the message catalog's ``explain.op.<name>``."""
        return text(f"explain.op.{self.name}", "ko")

    def local_derivatives(self, inputs: Sequence[float], out: float) -> tuple[float, ...]:
        """The local derivative with respect to each input (floats), one per input whatever the arity.

        >>> MUL.local_derivatives([3.0, 4.0], 12.0), NEG.local_derivatives([3.0], -3.0)
        ((4.0, 3.0), (-1.0,))
        """
        if self.local_y is None:
            return (self.local_x(*inputs, out),)
        return (self.local_x(*inputs, out), self.local_y(*inputs, out))

    def local_for(self, kind: Kind) -> tuple[Callable[..., Any], ...]:
        """The local-derivative functions for another kind of number (one per input)."""
        return self.local_rule(kind)

    def forward_for(self, kind: Kind) -> Callable[..., Any]:
        """The forward function for another kind of number."""
        return self.forward_rule(kind)


def _op_named(name: str) -> Op:
    return OPS[name]


def _fmt(x: float) -> str:
    return repr(x)


# -- Python floats: the forward functions (checked) ---------------------------------

def _div(x: float, y: float) -> float:
    if y == 0.0:
        raise LocalizedZeroDivisionError("engine.div_zero", x=_fmt(x), y=_fmt(y))
    return x / y


def _pow(x: float, y: float) -> float:
    if x == 0.0 and y < 0.0:
        raise LocalizedZeroDivisionError("engine.pow_zero", x=_fmt(x), y=_fmt(y))
    # -inf to a fractional power is a real number (inf or 0), as Python says.
    if x < 0.0 and math.isfinite(x) and math.isfinite(y) and not y.is_integer():
        raise LocalizedValueError("engine.pow_fraction", x=_fmt(x), y=_fmt(y))
    try:
        result: float = x**y
    except OverflowError:
        raise LocalizedOverflowError("engine.pow_overflow", x=_fmt(x), y=_fmt(y)) from None
    return result


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise LocalizedOverflowError("engine.exp_overflow", x=_fmt(x)) from None


def _log(x: float) -> float:
    if x <= 0.0:
        raise LocalizedValueError("engine.log_domain", x=_fmt(x))
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


# -- Python floats: the functions for derivatives (IEEE 754, never raise) ------------

def _is_odd_integer(y: float) -> bool:
    return math.isfinite(y) and y.is_integer() and y % 2.0 == 1.0


def _ieee_div(x: float, y: float) -> float:
    """``x / y`` as IEEE 754 divides: ±inf for a nonzero over zero, NaN for 0/0."""
    try:
        return x / y
    except ZeroDivisionError:
        if x == 0.0 or x != x:
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)


def _ieee_pow(x: float, y: float) -> float:
    """``x ** y`` as IEEE 754 ``pow`` (C99 Annex F): ±inf instead of raising, NaN instead of complex.

    A zero's sign counts: ``pow(-0.0, -1.0)`` is ``-inf`` (an odd exponent keeps the
    sign) while ``pow(-0.0, -0.5)`` is ``+inf``.
    """
    try:
        result: float | complex = x**y
    except ZeroDivisionError:  # ±0.0 to a negative power
        return -math.inf if math.copysign(1.0, x) < 0.0 and _is_odd_integer(y) else math.inf
    except OverflowError:
        if x < 0.0 and not y.is_integer():  # too large, but not a real number either: C99 says NaN
            return math.nan
        return -math.inf if x < 0.0 and _is_odd_integer(y) else math.inf
    if isinstance(result, complex):  # a negative base to a fractional power
        return math.nan
    return result


def _ieee_log(x: float) -> float:
    """``log(x)`` as IEEE 754: ``-inf`` at 0, NaN below 0."""
    if x > 0.0:
        return math.log(x)
    return -math.inf if x == 0.0 else math.nan


def _step(x: float) -> float:
    """relu's local derivative: 1 above 0, 0 at or below 0, NaN for NaN (undefined there)."""
    return 1.0 if x > 0.0 else (0.0 if x <= 0.0 else math.nan)


class _Floats:
    """The kind for Python floats: the hot path of ``backward()``."""

    name = "float"
    nan = math.nan
    data = staticmethod(lambda v: v)
    where = staticmethod(lambda condition, a, b: a if condition else b)
    div = staticmethod(_div)
    pow = staticmethod(_pow)
    exp = staticmethod(_exp)
    log = staticmethod(_log)
    relu = staticmethod(_relu)
    sigmoid = staticmethod(_sigmoid)
    tanh = staticmethod(math.tanh)
    ieee_div = staticmethod(_ieee_div)
    ieee_pow = staticmethod(_ieee_pow)
    ieee_log = staticmethod(_ieee_log)
    step = staticmethod(_step)


#: The kind for Python floats (the forms bound into every :class:`Op`).
FLOATS: Kind = _Floats()


# -- the rules ----------------------------------------------------------------------
# Each rule is written once, for any kind ``k``.  The lambdas take the inputs and
# the output: (x, out) for unary ops, (x, y, out) for binary ops.

def _pow_local(k: Kind) -> tuple[Callable[..., Any], Callable[..., Any]]:
    def d_base(x: Any, y: Any, out: Any) -> Any:
        # y·x^(y-1); y == 0 is the constant 1, whose slope is 0 even at x == 0 where
        # x^(y-1) would be infinite.  The intermediate x^(y-1) can overflow where the
        # derivative does not (x = 5e-324, y = 1e-308: inf, not 2e15): there, for a
        # finite nonzero x, y·out/x is the same number without the overflow.  (The
        # graph that create_graph records is y·x^(y-1), defined at x = 0 too, which
        # y·out/x is not.  `v - v != 0` is true exactly for ±inf and NaN, and reads
        # the same in every kind, JavaScript included.)
        power = k.ieee_pow(x, y - 1.0)
        pd, xd = k.data(power), k.data(x)
        overflowed = (pd - pd != 0.0) & (xd - xd == 0.0) & (xd != 0.0)
        slope = k.where(overflowed, k.ieee_div(y * out, x), y * power)
        return k.where(k.data(y) == 0.0, 0.0, slope)

    def d_exponent(x: Any, y: Any, out: Any) -> Any:
        # x^y·log(x).  At x == 0 with y >= 0 the limit is 0 (PyTorch's choice); for
        # x < 0 the real derivative does not exist: NaN.
        xd = k.data(x)
        return k.where(xd > 0.0, out * k.ieee_log(x), k.where((xd == 0.0) & (k.data(y) >= 0.0), 0.0, k.nan))

    return d_base, d_exponent


def _sigmoid_local(k: Kind) -> tuple[Callable[..., Any]]:
    def d_sigmoid(x: Any, out: Any) -> Any:
        # σ'(x) = out·(1-out) = σ(x)·σ(-x).  1 - out cancels for large x (it is 0 from
        # x ≈ 37 on, where the slope is still 1e-16): past x = 1, σ(-x) is computed
        # directly.  Up to 1 the book's form is as accurate (1 - out carries out's
        # rounding times e^x <= 2.7), and its graph (create_graph) is the one the docs draw.
        return k.where(k.data(x) <= 1.0, out * (1.0 - out), out * k.sigmoid(-x))

    return (d_sigmoid,)


def _tanh_local(k: Kind) -> tuple[Callable[..., Any]]:
    def d_tanh(x: Any, out: Any) -> Any:
        # tanh'(x) = 1 - out² = 4·σ(2x)·σ(-2x) (tanh(x) = 2σ(2x) - 1).  1 - out² cancels
        # in the tails (0 from |x| ≈ 19 on, where the slope is 1e-16); the sigmoids do
        # not.  For |x| <= 1 the book's form is as accurate (out's rounding times
        # 2out²/(1 - out²) <= 2.8), and its graph is the one the docs draw.
        xd = k.data(x)
        return k.where((xd <= 1.0) & (xd >= -1.0), 1.0 - out * out, 4.0 * k.sigmoid(2.0 * x) * k.sigmoid(-2.0 * x))

    return (d_tanh,)


def _op(name: str, symbol: str, arity: int, forward: Callable[[Kind], Callable[..., Any]],
        local: Callable[[Kind], tuple[Callable[..., Any], ...]], formula: tuple[str, ...],
        en: str) -> Op:
    return Op(name, symbol, arity, forward, local, formula, en)


# The table.  Each entry: name, symbol, arity, forward, local derivative(s), the same as text.
ADD = _op("add", "+", 2, lambda k: operator.add,
          lambda k: (lambda x, y, out: 1.0, lambda x, y, out: 1.0), ("1", "1"), "add node")
SUB = _op("sub", "-", 2, lambda k: operator.sub,
          lambda k: (lambda x, y, out: 1.0, lambda x, y, out: -1.0), ("1", "-1"), "subtract node")
MUL = _op("mul", "*", 2, lambda k: operator.mul,
          lambda k: (lambda x, y, out: y, lambda x, y, out: x), ("y", "x"), "multiply node")
DIV = _op("div", "/", 2, lambda k: k.div,
          lambda k: (lambda x, y, out: k.ieee_div(1.0, y), lambda x, y, out: -k.ieee_div(out, y)),
          ("1/y", "-x/y²"), "divide node")
POW = _op("pow", "**", 2, lambda k: k.pow, _pow_local, ("y·x^(y-1)", "x^y·log(x)"), "power node")
NEG = _op("neg", "-", 1, lambda k: operator.neg, lambda k: (lambda x, out: -1.0,), ("-1",),
          "negate node")
RELU = _op("relu", "relu", 1, lambda k: k.relu, lambda k: (lambda x, out: k.step(x),), ("1 if x > 0 else 0",),
           "ReLU node")
# sigmoid's and tanh's formulas are the book's; past |x| = 1 the rules compute the same
# functions in forms that stay accurate in the tails (see _sigmoid_local and _tanh_local).
SIGMOID = _op("sigmoid", "σ", 1, lambda k: k.sigmoid, _sigmoid_local, ("out·(1-out)",), "sigmoid node")
TANH = _op("tanh", "tanh", 1, lambda k: k.tanh, _tanh_local, ("1-out²",), "tanh node")
EXP = _op("exp", "exp", 1, lambda k: k.exp, lambda k: (lambda x, out: out,), ("out",), "exp node")
LOG = _op("log", "log", 1, lambda k: k.log, lambda k: (lambda x, out: k.ieee_div(1.0, x),), ("1/x",),
          "log node")

#: Every op by name, in a stable order (the order above).
OPS: dict[str, Op] = {op.name: op for op in (ADD, SUB, MUL, DIV, POW, NEG, RELU, SIGMOID, TANH, EXP, LOG)}
