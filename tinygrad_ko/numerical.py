"""Numerical differentiation (수치 미분) and the gradient check (기울기 확인).

The chapter opens with "numerical differentiation is easy to implement but
slow"; here the slow, trustworthy method judges the fast one.

* :func:`numerical_diff` is the book's central difference (중심 차분) of a
  one-variable function, exactly as written there.
* :func:`numerical_grad` is the gradient of a function of several Values, or of
  a numpy array like the book's ``numerical_gradient``, by central differences
  with a step scaled to each input's magnitude.
* :func:`gradcheck` compares ``backward()`` (or any gradient you derived) with
  :func:`numerical_grad` under ``|analytical - numerical| <= atol + rtol·|numerical|``.

>>> from tinygrad_ko import Value
>>> x, y = Value(2.0, label="x"), Value(3.0, label="y")
>>> bool(gradcheck(lambda x, y: (x * y + x).tanh(), [x, y]))
True
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from .engine import Value, no_grad
from .functional import grad, hessian
from .graph import reachable
from .messages import (
    LocalizedArithmeticError,
    LocalizedError,
    LocalizedOverflowError,
    LocalizedTypeError,
    LocalizedValueError,
    LocalizedZeroDivisionError,
    catalog,
    resolve_lang,
)
from .text import label_text, pad, rpad

__all__ = ["GradcheckEntry", "GradcheckError", "GradcheckResult", "default_step", "gradcheck",
           "gradgradcheck", "numerical_diff", "numerical_grad"]


def numerical_diff(f: Callable[[float], Any], x: float, h: float = 1e-4) -> float:
    """The book's central difference ``(f(x + h) - f(x - h)) / (2h)``.

    ``h = 1e-4`` is the book's choice: its error is about ``h²/6 · f'''(x)``
    (the truncation error of the central difference) plus ``ε·|f|/h`` from
    rounding, about 1e-9 relative for ordinary functions.

    >>> def function_1(x):
    ...     return 0.01 * x**2 + 0.1 * x
    >>> numerical_diff(function_1, 5), numerical_diff(function_1, 10)
    (0.1999999999990898, 0.2999999999986347)
    """
    _check_step(h, "numerical_diff")
    return (_number(f(x + h), "numerical_diff") - _number(f(x - h), "numerical_diff")) / (2 * h)


def default_step(dtype: npt.DTypeLike = np.float64) -> float:
    """The default relative step of :func:`numerical_grad`: the cube root of the machine epsilon.

    A central difference with step ``h`` has truncation error ``h²/6·|f'''|`` and
    rounding error about ``ε·|f|/h``; the sum is smallest near ``h = ε^(1/3)``
    (6.1e-6 for float64), where the error is about ``ε^(2/3)`` (4e-11) relative,
    for functions whose value and derivatives have the same scale.
    The book's ``h = 1e-4`` gives about 2e-9 at that scale.

    >>> round(default_step(), 8), round(default_step(np.float32), 5)
    (6.06e-06, 0.00492)
    """
    return float(np.cbrt(np.finfo(dtype).eps))


def _check_step(h: float, where: str) -> None:
    if not (isinstance(h, (int, float)) and not isinstance(h, bool) and 0 < h < math.inf):
        raise LocalizedValueError("numerical.step_invalid", where=where, h=h)


def _number(result: object, where: str) -> float:
    """``f``'s result as a float: a Value, a real number or a 0-d array; else TypeError."""
    if isinstance(result, Value):
        return result.data
    if isinstance(result, (int, float, np.integer, np.floating)) and not isinstance(result, bool):
        return float(result)
    if isinstance(result, np.ndarray) and result.ndim == 0 and result.dtype.kind in "iuf":
        return float(result)
    if isinstance(result, np.ndarray):
        raise LocalizedTypeError("numerical.not_one_number_shaped", where=where, type=type(result).__name__,
                                 shape=result.shape)
    raise LocalizedTypeError("numerical.not_one_number", where=where, type=type(result).__name__)


def _slope(f: Callable[[float], float], x: float, h: float, where: str,
           representable: Callable[[float], float] = float) -> float:
    """Central difference of ``f`` at ``x`` with a step of ``h·max(1, |x|)``.

    The quotient divides by the distance between the two points actually
    evaluated (``representable`` rounds them to the input's precision), not
    by ``2·step``: that removes the error of representing the step itself.
    Raises ValueError when ``f`` fails or is not finite at a stepped point
    (see :func:`_at_step`).
    """
    if not math.isfinite(x):
        raise LocalizedValueError("numerical.input_not_finite", where=where, x=x)
    step = h * max(1.0, abs(x))
    up, down = representable(x + step), representable(x - step)
    if not (math.isfinite(up) and math.isfinite(down)):
        raise LocalizedValueError("numerical.step_beyond_float", where=where, h=h, x=x)
    if up == down:
        raise LocalizedValueError("numerical.step_too_small", where=where, h=h, x=x)
    return (_at_step(f, up, x, h, where) - _at_step(f, down, x, h, where)) / (up - down)


def _at_step(f: Callable[[float], float], point: float, x: float, h: float, where: str) -> float:
    """``f(point)``, where ``point`` is a step away from the input ``x``; else a ValueError about ``x``.

    The user passed ``x``, not ``point``: an error raised at ``point`` only (``x``
    at the edge of ``f``'s domain) or a non-finite value there (``h`` too large)
    is reported as such, naming ``x``.  An ``f`` that fails at ``x`` itself
    raises its own error, unchanged.
    """
    try:
        value = f(point)
    except (ValueError, ArithmeticError) as error:
        f(x)  # fails too? then that error, about the user's own input, is the one to see
        # The same kind of error (ValueError, ZeroDivisionError, ...), with the message that explains it.
        kind = next(localized for builtin, localized in _EDGE_ERRORS if isinstance(error, builtin))
        raise kind("numerical.domain_edge", where=where, x=x, point=point, error=str(error)) from error
    if not math.isfinite(value):
        at_x = f(x)
        if not math.isfinite(at_x):
            raise LocalizedValueError("numerical.not_finite_at_input", where=where, value=at_x, x=x)
        raise LocalizedValueError("numerical.step_too_large", where=where, at_x=at_x, x=x, value=value, point=point,
                                  h=h, default=default_step())
    return value


# The error _at_step raises for each kind f raised, most specific first (ArithmeticError covers the rest).
_EDGE_ERRORS: tuple[tuple[type[BaseException], type[LocalizedError]], ...] = (
    (ZeroDivisionError, LocalizedZeroDivisionError),
    (OverflowError, LocalizedOverflowError),
    (ArithmeticError, LocalizedArithmeticError),
    (ValueError, LocalizedValueError),
)


@overload
def numerical_grad(f: Callable[..., Any], inputs: Sequence[Value], *, h: float | None = None) -> list[float]: ...
@overload
def numerical_grad(
    f: Callable[..., Any], inputs: npt.NDArray[Any], *, h: float | None = None
) -> npt.NDArray[np.floating[Any]]: ...


def numerical_grad(
    f: Callable[..., Any], inputs: Sequence[Value] | npt.NDArray[Any], *, h: float | None = None
) -> list[float] | npt.NDArray[np.floating[Any]]:
    """The gradient of ``f`` by central differences, one input at a time.

    Two forms:

    * ``inputs`` a list of Values: ``f(*inputs)`` must return a Value (or a
      number); each ``inputs[i].data`` is stepped in place.  Returns a list of
      floats, one per input.  ``f`` runs under :func:`~tinygrad_ko.no_grad`
      (only values are needed, not graphs).
    * ``inputs`` a numpy array ``x`` (the book's ``numerical_gradient(f, x)``):
      ``f(x)`` must return one number; each element of ``x`` is stepped in place,
      so ``f`` may also ignore its argument and read ``x`` through a closure, as
      in the book's ``lambda W: net.loss(x, t)``.  Returns an array of ``x``'s
      shape.  A non-float (e.g. integer) or read-only array cannot hold the steps:
      ``f`` then receives a float64 copy, so ``f`` must use its argument.

    The step for input ``x_i`` is ``h·max(1, |x_i|)``: relative for large inputs
    (a fixed 1e-4 is lost to rounding next to 1e12, where floats are 1.2e-4
    apart), absolute near zero.  ``h`` defaults
    to :func:`default_step` for the inputs' float type.

    ``f`` works on the inputs themselves, not on copies (closures read them), and
    they are *restored*, all of them: before every evaluation of ``f`` each
    input (every Value's ``data``, every element of the array) is put back to
    its original value, and once more at the end, even if ``f`` raises.  So an
    ``f`` that changes its input array still sees exactly one input stepped, and
    the caller's inputs end bit for bit as they were.

    A clear error instead of a meaningless number or a message about a point the
    caller never passed: when ``f`` fails a step away from an input where it
    works (the input is at the edge of its domain, e.g. ``x ** 0.5`` at 0; the
    error keeps its type), and a ValueError when ``f`` is not finite there
    (``h`` too large).

    >>> from tinygrad_ko import Value
    >>> x, y = Value(3.0), Value(4.0)
    >>> [round(g, 6) for g in numerical_grad(lambda x, y: x * y + y, [x, y])]
    [4.0, 4.0]
    >>> numerical_grad(lambda x: x[0] ** 2 + x[1] ** 2, np.array([3, 4])).round(6)
    array([6., 8.])
    """
    if isinstance(inputs, np.ndarray):
        return _array_grad(f, inputs, h)
    try:
        # Read once, here: a generator (or any one-pass iterable) would be empty after a check.
        values = None if isinstance(inputs, (Value, str, bytes)) else list(inputs)
    except TypeError:  # not iterable
        values = None
    if values is None or not all(isinstance(v, Value) for v in values):
        if isinstance(inputs, Value):
            raise LocalizedTypeError("numerical.inputs_one_value", type=type(inputs).__name__)
        raise LocalizedTypeError("numerical.inputs_not_values", type=type(inputs).__name__)
    return _values_grad(f, values, _step(h, np.float64))


def _step(h: float | None, dtype: npt.DTypeLike) -> float:
    """``h``, checked, or the default step for ``dtype`` (a non-float array is stepped as float64)."""
    if h is None:
        return default_step(dtype if np.dtype(dtype).kind == "f" else np.float64)
    _check_step(h, "numerical_grad")
    return h


def _values_grad(f: Callable[..., Any], inputs: list[Value], h: float) -> list[float]:
    originals = [v.data for v in inputs]

    def restore() -> None:
        for v, data in zip(inputs, originals, strict=True):
            v.data = data

    grads = []
    try:
        for i, v in enumerate(inputs):

            def at(x: float, v: Value = v) -> float:
                restore()  # f may have changed any input at the last evaluation
                v.data = x
                with no_grad():
                    return _number(f(*inputs), "numerical_grad")

            name = f"input {i}, {v.label!r}" if v.label else f"input {i}"
            grads.append(_slope(at, originals[i], h, f"numerical_grad ({name})"))
    finally:
        restore()
    return grads


def _array_grad(f: Callable[..., Any], x: npt.NDArray[Any], h: float | None) -> npt.NDArray[np.floating[Any]]:
    if x.dtype.kind not in "biuf":
        if x.dtype.kind == "O":
            raise LocalizedTypeError("numerical.array_of_objects", dtype=str(x.dtype))
        raise LocalizedTypeError("numerical.array_not_real", dtype=str(x.dtype))
    # Steps must be stored in the array itself (closures read it); an integer or
    # read-only array cannot hold them, so f gets a float copy instead.
    if x.dtype.kind != "f" or not x.flags.writeable:
        x = x.astype(x.dtype if x.dtype.kind == "f" else np.float64)
    h = _step(h, x.dtype)
    grad = np.zeros_like(x)
    saved = x.copy()  # the whole array: f may change any element, not only the stepped one
    try:
        for idx in np.ndindex(x.shape):

            def at(value: float, idx: tuple[int, ...] = idx) -> float:
                np.copyto(x, saved)
                x[idx] = value
                return _number(f(x), "numerical_grad")

            grad[idx] = _slope(at, float(saved[idx]), h, f"numerical_grad (x[{', '.join(map(str, idx))}])",
                               lambda v: float(x.dtype.type(v)))
    finally:
        np.copyto(x, saved)
    return grad


@dataclass(frozen=True)
class GradcheckEntry:
    """One input's line of a gradient check: both gradients, the error and what was allowed."""

    name: str
    analytical: float
    numerical: float
    error: float
    allowed: float

    @property
    def ok(self) -> bool:
        """``error <= allowed`` (False when either gradient is NaN)."""
        return self.error <= self.allowed


#: How many inputs ``str(GradcheckResult)`` lists before summarising the rest.
_SHOWN = 20


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck(..., raise_exception=True)`` on failure; the message is the report."""


@dataclass(frozen=True)
class GradcheckResult:
    """What :func:`gradcheck` found: truthy if every input passed.

    ``str(result)`` is a table with, per input, the analytical and numerical
    gradients, ``|analytical - numerical|`` and the allowed ``atol + rtol·|numerical|``.
    """

    entries: tuple[GradcheckEntry, ...]
    atol: float
    rtol: float
    h: float
    lang: str = "en"
    #: Which check made it: "gradcheck" (an entry per input) or "gradgradcheck" (per second derivative).
    check: str = "gradcheck"

    @property
    def ok(self) -> bool:
        """True if every entry passed."""
        return all(entry.ok for entry in self.entries)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def failures(self) -> tuple[GradcheckEntry, ...]:
        """The entries that did not pass."""
        return tuple(entry for entry in self.entries if not entry.ok)

    @property
    def max_error(self) -> float:
        """The largest ``|analytical - numerical|`` (0.0 for no inputs)."""
        return max((entry.error for entry in self.entries), default=0.0)

    def __str__(self) -> str:
        words = _report_words(self.lang, second=self.check != "gradcheck")
        failed = self.failures
        verdict = words["passed"] if not failed else words["failed"].format(n=len(failed), total=len(self.entries))
        lines = [
            words["rule"].format(verdict=verdict, atol=f"{self.atol:g}", rtol=f"{self.rtol:g}", h=f"{self.h:.3g}"),
            f"{pad(words['input'], 12)} {rpad(words['analytical'], 23)} {rpad(words['numerical'], 23)} "
            f"{rpad(words['difference'], 12)} {rpad(words['allowed'], 9)}  {words['ok']}",
        ]
        # Failures first, then the rest in input order, up to `shown` lines.
        ordered = [*failed, *(entry for entry in self.entries if entry.ok)]
        for entry in ordered[:_SHOWN]:
            lines.append(
                f"{pad(entry.name, 12)} {entry.analytical!r:>23} {entry.numerical!r:>23} "
                f"{entry.error:>12.3g} {entry.allowed:>9.3g}  {words['yes'] if entry.ok else words['no']}"
            )
        rest = ordered[_SHOWN:]
        if rest:
            rest_failed = sum(not entry.ok for entry in rest)
            lines.append(words["more"].format(n=len(rest)) + (words["more_failed"].format(n=rest_failed) if rest_failed
                                                                else words["more_passed"]))
        return "\n".join(lines)

    def __repr__(self) -> str:
        """The table, so that a notebook cell or the REPL ending in ``gradcheck(...)`` shows it readably."""
        return str(self)

    def _repr_html_(self) -> str:
        """The table for Jupyter, in a ``<pre>`` block so that the columns stay aligned."""
        return f"<pre>{html.escape(str(self))}</pre>"


# The report's words: catalog ids under "numerical."; gradgradcheck's report takes the "second_" ones
# where it says something else (an entry per second derivative, not per input).
_REPORT_WORDS = {"passed": "passed", "failed": "failed", "rule": "rule", "input": "column_input",
                 "analytical": "column_analytical", "numerical": "column_numerical",
                 "difference": "column_difference", "allowed": "column_allowed", "ok": "column_ok", "yes": "yes",
                 "no": "no", "more": "more", "more_failed": "more_failed", "more_passed": "more_passed"}
_SECOND_WORDS = {"failed": "second_failed", "rule": "second_rule", "input": "second_column_input",
                 "analytical": "second_column_analytical", "more": "second_more"}


def _report_words(lang: str, *, second: bool) -> dict[str, str]:
    """The report's templates in ``lang``, by the name the table uses (unfilled: ``{n}``, ``{verdict}``, ...)."""
    ids = {**_REPORT_WORDS, **_SECOND_WORDS} if second else _REPORT_WORDS
    words = catalog(lang)
    return {name: words[f"numerical.{key}"] for name, key in ids.items()}


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Value] | npt.NDArray[Any],
    *,
    analytical: Callable[..., Any] | None = None,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    h: float | None = None,
    raise_exception: bool = False,
    lang: str | None = None,
) -> GradcheckResult:
    """Compare an analytical gradient with :func:`numerical_grad`, input by input.

    Each input passes if ``|analytical - numerical| <= atol + rtol·|numerical|``,
    the rule of ``torch.autograd.gradcheck``, with its defaults:

    * ``rtol = 1e-3``: with the default step the central difference is good to
      about 1e-10 relative for ordinary functions; 1e-3 leaves room for
      strongly curved ones (truncation error ``h²/6·|f'''|`` stays below
      ``1e-3·|f'|`` while ``|f'''/f'| < 1.6e8``) yet catches every wrong rule,
      which is off by far more than 0.1%.
    * ``atol = 1e-5``: relative error means nothing for gradients near zero;
      rounding contributes about ``ε·|f|/h`` ≈ ``4e-11·|f|``, so 1e-5 suffices
      for outputs up to about 1e5 in size.

    The analytical gradient is, by default, ``backward()`` on a fresh graph
    ``f(*inputs)``: every node of that graph starts at ``grad = 0`` and gets its
    old ``grad`` back afterwards, so gradients accumulated before do not corrupt
    the check and the check leaves no gradient behind.  ``analytical`` replaces
    it with your own gradient: ``analytical(*inputs)`` returning one number per
    Value, or, for a numpy array ``x`` (where it is required), ``analytical(x)``
    returning an array of ``x``'s shape.

    Returns a :class:`GradcheckResult` (truthy on success; ``print`` it for the
    table, in ``lang``: ``"en"`` or ``"ko"``, the book's words; None, the default, is the
    session's language, :func:`tinygrad_ko.messages.set_lang`, English when nothing is set).
    ``raise_exception=True`` raises :class:`GradcheckError` with the table
    instead of returning a falsy result.

    >>> from tinygrad_ko import Value
    >>> bool(gradcheck(lambda x: x.relu(), [Value(0.0)]))  # relu's kink at 0
    False
    """
    lang = resolve_lang(lang, "gradcheck")
    if isinstance(inputs, np.ndarray):
        if analytical is None:
            raise LocalizedTypeError("numerical.array_needs_analytical")
        numerical = numerical_grad(f, inputs, h=h)
        claimed = np.asarray(analytical(inputs), dtype=np.float64)
        if claimed.shape != inputs.shape:
            raise LocalizedValueError("numerical.analytical_shape", expected=inputs.shape, got=claimed.shape)
        names = [f"x[{','.join(map(str, idx))}]" for idx in np.ndindex(inputs.shape)]
        pairs = list(zip(claimed.ravel().tolist(), numerical.ravel().tolist(), strict=True))
        step = _step(h, inputs.dtype)
    else:
        values = list(inputs)
        numerical_list = numerical_grad(f, values, h=h)
        if analytical is None:
            claimed_list = _backward_grads(f, values)
        else:
            claimed_list = [float(g) for g in analytical(*values)]
            if len(claimed_list) != len(values):
                raise LocalizedValueError("numerical.analytical_count", expected=len(values), got=len(claimed_list))
        names = [label_text(v.label) or f"inputs[{i}]" for i, v in enumerate(values)]
        pairs = list(zip(claimed_list, numerical_list, strict=True))
        step = _step(h, np.float64)
    entries = tuple(
        GradcheckEntry(name, a, n, abs(a - n), atol + rtol * abs(n)) for name, (a, n) in zip(names, pairs, strict=True)
    )
    result = GradcheckResult(entries, atol, rtol, step, lang)
    if raise_exception and not result:
        raise GradcheckError(str(result))
    return result


def _backward_grads(f: Callable[..., Value], inputs: list[Value]) -> list[float]:
    """d f(*inputs) / d inputs[i] by backward() on a fresh graph, leaving every grad as it was."""
    out = f(*inputs)
    if not isinstance(out, Value):
        raise LocalizedTypeError("numerical.gradcheck_not_value", type=type(out).__name__)
    nodes = reachable(out)
    saved = {node: node.grad for node in nodes}
    for node in nodes:
        node.grad = 0.0
    try:
        out.backward()
        # An input f does not use is not in the graph: its derivative is 0.
        return [v.grad if v in saved else 0.0 for v in inputs]
    finally:
        for node, grad in saved.items():
            node.grad = grad


def gradgradcheck(
    f: Callable[..., Any],
    *inputs: Value | Sequence[Value],
    atol: float = 1e-5,
    rtol: float = 1e-3,
    h: float | None = None,
    raise_exception: bool = False,
    lang: str | None = None,
) -> GradcheckResult:
    """Check second derivatives: :func:`~tinygrad_ko.hessian` against numerical differentiation of the first.

    ``gradgradcheck(f, x, y)`` (or ``gradgradcheck(f, [x, y])``, as :func:`gradcheck`
    takes them) compares, for every pair of inputs, the analytical
    ``∂²f/∂x_i∂x_j`` (second-order backpropagation) with the central difference,
    in ``x_j``, of the analytical first derivative ``∂f/∂x_i`` (from
    :func:`~tinygrad_ko.grad`).  So it checks exactly the step that is new: the
    derivative of a derivative graph.  The rule and the defaults are those of
    ``torch.autograd.gradgradcheck`` (``atol = 1e-5``, ``rtol = 1e-3``; see
    :func:`gradcheck` for why they fit a central difference with the default step).

    Returns a :class:`GradcheckResult` (truthy on success; ``print`` it for the
    table, one line per second derivative, in ``lang``: ``"en"`` or ``"ko"``; None is the session's).
    No ``.grad`` is touched; each input's ``data`` is stepped in place and restored bit for bit.

    >>> from tinygrad_ko import Value
    >>> x, y = Value(0.5, label="x"), Value(2.0, label="y")
    >>> bool(gradgradcheck(lambda x, y: (x * y).tanh() + x ** y, x, y))
    True
    """
    lang = resolve_lang(lang, "gradgradcheck")
    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
        candidates: Sequence[object] = inputs[0]
    else:
        candidates = inputs
    if not candidates or not all(isinstance(v, Value) for v in candidates):
        if not candidates:
            raise LocalizedTypeError("numerical.gradgrad_no_inputs")
        raise LocalizedTypeError("numerical.gradgrad_inputs", types=", ".join(type(v).__name__ for v in candidates))
    values: list[Value] = list(candidates)  # type: ignore[arg-type]  # checked just above
    step = _step(h, np.float64)

    def output() -> Value:
        out = f(*values)
        if not isinstance(out, Value):
            raise LocalizedTypeError("numerical.gradgrad_not_value", type=type(out).__name__)
        return out

    analytical = hessian(output(), values)
    names = [label_text(v.label) or f"inputs[{i}]" for i, v in enumerate(values)]
    entries = []
    for j, v in enumerate(values):
        original = v.data
        # Both points of the central difference give every first derivative at once.
        firsts: dict[float, list[float]] = {}

        def first_derivatives(x: float, v: Value = v, firsts: dict[float, list[float]] = firsts) -> list[float]:
            if x not in firsts:
                v.data = x
                firsts[x] = [g.data for g in grad(output(), values)]
            return firsts[x]

        try:
            for i in range(len(values)):
                numerical = _slope(lambda x, i=i: first_derivatives(x)[i], original, step,  # type: ignore[misc]
                                   f"gradgradcheck (input {j})")
                claimed = analytical[i][j]
                entries.append(GradcheckEntry(f"∂²/∂{names[i]}∂{names[j]}", claimed, numerical,
                                              abs(claimed - numerical), atol + rtol * abs(numerical)))
        finally:
            v.data = original
    result = GradcheckResult(tuple(entries), atol, rtol, step, lang, check="gradgradcheck")
    if raise_exception and not result:
        raise GradcheckError(str(result))
    return result
