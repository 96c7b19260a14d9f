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

The error messages are not retyped either: the runtime (``templates/runtime.js``,
shared by the pages) throws the catalog's ``[engine]`` messages, the ids the float
kind raises in Python (:func:`messages`; ``{x}``, ``{y}`` stand for Python's ``repr``
of the operands, which the runtime writes as Python does).

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

from ..messages import catalog, resolve_lang
from ..ops import OPS, Op
from .render import template

__all__ = ["ENGINE_MESSAGES", "JS", "JSExpr", "forward_source", "local_sources", "messages", "op_table_source",
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


# -- the engine's messages ----------------------------------------------------------------
#: The ids of the op table's domain errors (the catalog's ``[engine]`` section), which the
#: runtime ``K`` throws: the same ids the float kind raises in Python.
ENGINE_MESSAGES = ("div_zero", "pow_zero", "pow_fraction", "pow_overflow", "exp_overflow", "log_domain")


def messages(lang: str | None = None) -> dict[str, str]:
    """The messages of the float kind's checked functions in ``lang``: the catalog's templates with ``{x}`` and ``{y}``.

    They are the very ids the engine raises (``engine.log_domain``, ...), so the page and
    Python say the same sentence:

    >>> messages("en")["log_domain"]
    'log: input must be greater than 0, got {x} (log is defined for x > 0 only)'
    """
    words = catalog(resolve_lang(lang, "messages"))
    return {key: words[f"engine.{key}"] for key in ENGINE_MESSAGES}


def runtime_source() -> str:
    """The shared runtime of the pages (``templates/runtime.js``): the op runtime ``K``, ``fmt`` and the formatter.

    Its words come from the page's ``words`` element (see :func:`tinygrad_ko.pages.render.page_words`).
    """
    return template("runtime.js")
