"""The op table in JavaScript, generated from the one rule per op in :mod:`tinygrad_ko.ops`.

The live pages (the step-through page with editable inputs, the training page)
recompute the forward and backward passes in the browser.  They must not carry
a second, hand-written copy of any op's rule, so this module runs each rule of
the op table on a *kind of number* whose values are JavaScript source text:
``op.forward_for(JS)(x, y)`` with ``x = JSExpr("x")`` and ``y = JSExpr("y")``
returns the expression ``"(x * y)"``.  The arithmetic a rule uses (``+ - *``,
unary ``-``, comparisons and ``&``) builds source; the kind's functions emit
calls into a small runtime, ``K`` (:data:`RUNTIME`), which implements the same
contract as :data:`tinygrad_ko.ops.FLOATS`: forward functions throw the engine's
own message where an op is undefined, derivative functions follow IEEE 754.

>>> from tinygrad_ko.ops import MUL, DIV
>>> forward_source(MUL), local_sources(MUL)
('function (x, y) { return (x * y); }', ('function (x, y, out) { return y; }', 'function (x, y, out) { return x; }'))
>>> local_sources(DIV)[1]
'function (x, y, out) { return (-K.ieee_div(out, y)); }'

The error messages are not retyped either: :func:`messages` calls the float
kind's checked functions with inputs that fail, and turns the text they raise
into templates (``{x}``, ``{y}`` stand for Python's ``repr`` of the operands,
which the runtime writes as Python does).

Where JavaScript's ``Math`` differs from Python's ``math``: ``exp``, ``log``,
``tanh`` and ``**`` are not required by either language to be correctly rounded,
and V8's implementations (fdlibm ports) may differ from the C library's by one
unit in the last place; the runtime also gives ``pow`` C99's answers where
JavaScript differs (``1 ** NaN`` and ``(-1) ** ±Infinity`` are 1 in Python).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from ..ops import FLOATS, OPS, Op

__all__ = ["FORMAT", "JS", "RUNTIME", "JSExpr", "forward_source", "local_sources", "messages", "op_table_source",
           "runtime_source"]


class JSExpr:
    """A JavaScript expression, as source text; arithmetic on it builds larger expressions."""

    __slots__ = ("source",)

    def __init__(self, source: str) -> None:
        self.source = source

    def __repr__(self) -> str:
        return f"JSExpr({self.source!r})"

    def _binary(self, symbol: str, other: Any, reflected: bool = False) -> JSExpr:
        a, b = (_js(other), self.source) if reflected else (self.source, _js(other))
        return JSExpr(f"({a} {symbol} {b})")

    def __add__(self, other: Any) -> JSExpr:
        return self._binary("+", other)

    def __radd__(self, other: Any) -> JSExpr:
        return self._binary("+", other, reflected=True)

    def __sub__(self, other: Any) -> JSExpr:
        return self._binary("-", other)

    def __rsub__(self, other: Any) -> JSExpr:
        return self._binary("-", other, reflected=True)

    def __mul__(self, other: Any) -> JSExpr:
        return self._binary("*", other)

    def __rmul__(self, other: Any) -> JSExpr:
        return self._binary("*", other, reflected=True)

    def __neg__(self) -> JSExpr:
        return JSExpr(f"(-{self.source})")

    # Comparisons build JavaScript booleans; NaN compares false in both languages.
    def __lt__(self, other: Any) -> JSExpr:
        return self._binary("<", other)

    def __le__(self, other: Any) -> JSExpr:
        return self._binary("<=", other)

    def __gt__(self, other: Any) -> JSExpr:
        return self._binary(">", other)

    def __ge__(self, other: Any) -> JSExpr:
        return self._binary(">=", other)

    def __eq__(self, other: Any) -> JSExpr:  # type: ignore[override]
        return self._binary("===", other)

    def __ne__(self, other: Any) -> JSExpr:  # type: ignore[override]
        return self._binary("!==", other)

    def __and__(self, other: Any) -> JSExpr:
        # The rules combine two comparisons with `&` (numpy arrays need it): booleans here.
        return self._binary("&&", other)

    def __rand__(self, other: Any) -> JSExpr:
        return self._binary("&&", other, reflected=True)

    __hash__ = None  # type: ignore[assignment]  # == builds source, so a JSExpr is not a dict key

    def __bool__(self) -> bool:
        # A rule that branched in Python (`if x > 0`) would silently pick one side here.
        raise TypeError(
            f"a JavaScript expression has no truth value in Python ({self.source}): an op rule must "
            "choose with kind.where(...), not with if/and/or, so that every kind of number can run it"
        )


def _js(value: Any) -> str:
    """JavaScript source for an operand: an expression, or a Python number as a literal."""
    if isinstance(value, JSExpr):
        return value.source
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        number = float(value)
        if math.isnan(number):
            return "NaN"
        if math.isinf(number):
            return "Infinity" if number > 0 else "(-Infinity)"
        # repr is the shortest text that reads back as the same double, in both languages.
        text = repr(number)
        return f"({text})" if number < 0 or text.startswith("-") else text
    raise TypeError(f"an op rule gave {type(value).__name__} ({value!r}); a rule must give numbers")


def _call(name: str, *args: Any) -> JSExpr:
    return JSExpr(f"K.{name}({', '.join(_js(a) for a in args)})")


class _JavaScript:
    """The kind whose values are JavaScript source: running a rule on it writes the rule in JavaScript."""

    name = "javascript"
    nan = JSExpr("NaN")

    @staticmethod
    def data(v: Any) -> Any:
        return v

    @staticmethod
    def where(condition: Any, a: Any, b: Any) -> JSExpr:
        return JSExpr(f"({_js(condition)} ? {_js(a)} : {_js(b)})")

    def __getattr__(self, name: str) -> Callable[..., JSExpr]:
        # div, pow, exp, log, relu, sigmoid, tanh (checked), ieee_div, ieee_pow, ieee_log,
        # step (IEEE): each one is a call into the runtime K, which defines them all.
        if name not in _RUNTIME_FUNCTIONS:
            raise AttributeError(f"the JavaScript kind has no function {name!r}")
        return lambda *args: _call(name, *args)


_RUNTIME_FUNCTIONS = frozenset(
    ("div", "pow", "exp", "log", "relu", "sigmoid", "tanh", "ieee_div", "ieee_pow", "ieee_log", "step"))

#: The kind of number whose values are JavaScript source (see the module docstring).
JS: Any = _JavaScript()


def _arguments(op: Op, with_out: bool) -> tuple[list[str], list[JSExpr]]:
    names = ["x", "y"][: op.arity] + (["out"] if with_out else [])
    return names, [JSExpr(n) for n in names]


def forward_source(op: Op) -> str:
    """The JavaScript function computing ``op``'s output, generated from its rule in the table."""
    names, args = _arguments(op, with_out=False)
    return f"function ({', '.join(names)}) {{ return {_js(op.forward_for(JS)(*args))}; }}"


def local_sources(op: Op) -> tuple[str, ...]:
    """One JavaScript function per input of ``op``: its local derivative, taking ``(x, out)`` or ``(x, y, out)``."""
    names, args = _arguments(op, with_out=True)
    return tuple(f"function ({', '.join(names)}) {{ return {_js(rule(*args))}; }}" for rule in op.local_for(JS))


def op_table_source() -> str:
    """A JavaScript object literal: for every op of the table, its ``forward`` and ``local`` functions.

    ``OPS_JS.mul.forward(3, 4)`` is 12 in the page, and ``OPS_JS.mul.local[1](3, 4, 12)`` is 3.
    """
    entries = []
    for name, op in OPS.items():
        local = ", ".join(local_sources(op))
        entries.append(f"  {json.dumps(name)}: {{ forward: {forward_source(op)}, local: [{local}] }}")
    return "{\n" + ",\n".join(entries) + "\n}"


# -- the engine's messages, as templates -----------------------------------------------
# Operands that fail, chosen so that each operand's repr is text that appears nowhere
# else in the message (a message may also say "0.0" in words: pow's "0.0 cannot be raised").
_X, _Y = 1.2345678901234567, -2.5
_FAILING: dict[str, tuple[Callable[..., Any], tuple[float, ...]]] = {
    "div_zero": (FLOATS.div, (_X, -0.0)),
    "pow_zero": (FLOATS.pow, (-0.0, _Y)),
    "pow_fraction": (FLOATS.pow, (-_X, _Y)),
    "pow_overflow": (FLOATS.pow, (1e300, 7.0)),
    "exp_overflow": (FLOATS.exp, (1000.5,)),
    "log_domain": (FLOATS.log, (-_X,)),
}


def messages() -> dict[str, str]:
    """The messages of the float kind's checked functions, as templates with ``{x}`` and ``{y}``.

    Each is the text the engine raises, produced by calling the engine's own
    function (nothing is retyped here):

    >>> messages()["log_domain"]
    'log: input must be greater than 0, got {x} (log is defined for x > 0 only)'
    """
    found = {}
    for key, (function, args) in _FAILING.items():
        try:
            function(*args)
        except (ArithmeticError, ValueError) as error:
            text = str(error)
        else:  # pragma: no cover - the table changed: the runtime must change with it
            raise AssertionError(f"{key}: {function} no longer fails for {args}")
        for placeholder, arg in zip(("{x}", "{y}"), args, strict=False):
            shown = repr(arg)
            if text.count(shown) != 1:  # pragma: no cover - same: the sentinel must be unambiguous
                raise AssertionError(f"{key}: {shown} appears {text.count(shown)} times in {text!r}")
            text = text.replace(shown, placeholder)
        found[key] = text
    return found


#: The runtime the generated rules call: the same contract as the float kind
#: (tinygrad_ko.ops._Floats) — checked forward functions throw the engine's message,
#: derivative functions never throw.  It is a kind, not an op rule: no op is written here.
#: ``__MESSAGES__`` is replaced by :func:`messages`.
RUNTIME = r"""
const K = (() => {
  const M = __MESSAGES__;
  // Python's repr of a float: shortest round-trip digits, "1e-05", "3.0", "inf", "nan".
  function pyRepr(v) {
    if (Number.isNaN(v)) return "nan";
    if (v === Infinity) return "inf";
    if (v === -Infinity) return "-inf";
    if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
    const [mantissa, exponentText] = v.toExponential().split("e");
    const exponent = Number(exponentText);
    const sign = v < 0 ? "-" : "";
    const digits = mantissa.replace("-", "").replace(".", "");
    if (exponent < -4 || exponent >= 16) {
      const m = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
      return sign + m + "e" + (exponent < 0 ? "-" : "+") + String(Math.abs(exponent)).padStart(2, "0");
    }
    if (exponent < 0) return sign + "0." + "0".repeat(-exponent - 1) + digits;
    if (digits.length <= exponent + 1) return sign + digits + "0".repeat(exponent + 1 - digits.length) + ".0";
    return sign + digits.slice(0, exponent + 1) + "." + digits.slice(exponent + 1);
  }
  class EngineError extends Error {}
  function fail(key, ...operands) {
    let text = M[key];
    operands.forEach((v, i) => { text = text.replace(i === 0 ? "{x}" : "{y}", pyRepr(v)); });
    throw new EngineError(text);
  }
  // C99 Annex F pow, as Python's float ** gives it (JavaScript says NaN for these).
  function c99pow(x, y) {
    if (x === 1) return 1;
    if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
    return Math.pow(x, y);
  }
  return {
    pyRepr, EngineError,
    div(x, y) { if (y === 0) fail("div_zero", x, y); return x / y; },
    pow(x, y) {
      if (x === 0 && y < 0) fail("pow_zero", x, y);
      if (x < 0 && Number.isFinite(x) && Number.isFinite(y) && !Number.isInteger(y)) fail("pow_fraction", x, y);
      const r = c99pow(x, y);
      const overflow = !Number.isFinite(r) && !Number.isNaN(r) && Number.isFinite(x) && Number.isFinite(y);
      if (overflow) fail("pow_overflow", x, y);
      return r;
    },
    exp(x) { const r = Math.exp(x); if (r === Infinity && Number.isFinite(x)) fail("exp_overflow", x); return r; },
    log(x) { if (x <= 0) fail("log_domain", x); return Math.log(x); },
    relu(x) { return x <= 0 ? 0 : x; },
    // Two branches so that exp only sees a non-positive argument (as the float kind).
    sigmoid(x) { if (x >= 0) return 1 / (1 + Math.exp(-x)); const e = Math.exp(x); return e / (1 + e); },
    tanh(x) { return Math.tanh(x); },
    ieee_div(x, y) { return x / y; },
    ieee_pow(x, y) { return c99pow(x, y); },
    ieee_log(x) { return x > 0 ? Math.log(x) : (x === 0 ? -Infinity : NaN); },
    step(x) { return x > 0 ? 1 : (x <= 0 ? 0 : NaN); },
  };
})();
"""


#: ``fmt(v)``: numbers as the drawings and the explainer write them (:func:`tinygrad_ko.draw.dot.format_number`).
FORMAT = r"""
// Python's format(x, ".6g"), as tinygrad_ko.draw.dot.format_number writes numbers.
function fmt(v) {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const sign = v < 0 ? "-" : "";
  const a = Math.abs(v);
  let [mantissa, e] = a.toExponential(5).split("e");
  // JavaScript rounds an exact tie up, Python to even; a tie shows as 6 digits, 5, then zeros.
  const [longMantissa, longE] = a.toExponential(20).split("e");
  const long = longMantissa.replace(".", "");
  if (/^\d{6}50{14}$/.test(long) && Number(long[5]) % 2 === 0) {
    mantissa = long[0] + "." + long.slice(1, 6);
    e = longE;
  }
  const digits = mantissa.replace(".", "");
  const exponent = Number(e);
  const strip = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  if (exponent < -4 || exponent >= 6) {
    return sign + strip(digits[0] + "." + digits.slice(1)) + "e" + (exponent < 0 ? "-" : "+")
      + String(Math.abs(exponent)).padStart(2, "0");
  }
  const fixed = exponent >= 0 ? digits.slice(0, exponent + 1) + "." + digits.slice(exponent + 1)
    : "0." + "0".repeat(-exponent - 1) + digits;
  return sign + strip(fixed);
}
"""


def runtime_source() -> str:
    """:data:`RUNTIME` with the engine's messages filled in (as JSON: safe in a script), then :data:`FORMAT`."""
    data = json.dumps(messages(), ensure_ascii=False).replace("<", "\\u003c")
    return RUNTIME.replace("__MESSAGES__", data) + FORMAT
