"""check_layer: run a learner's layer class the book's way and name the mistake it makes.

Each case (:mod:`.cases`, smallest first) is run on a fresh instance: ``cls()`` (Affine:
``cls(W, b)``), ``forward(...)``, ``backward(dout)``.  What came back is compared with the
project's own layer and, where it differs, with each known wrong variant; the first case
that shows a mistake is the one the message quotes.  A learner's code that loops forever is
out of scope: the check waits as Python would.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..messages import LocalizedTypeError, LocalizedValueError, resolve_lang, text
from . import codes
from .cases import GRAD_INPUT, Case, Outcome, Spec, Variant, reference, spec_of
from .numbers import close, shown, shown_pair
from .report import Finding, Report
from .where import described, learner_files, learner_line

__all__ = ["CLASS_NAMES", "KINDS", "check_layer"]

#: The kinds of layer check_layer knows, in the chapter's order.
KINDS: tuple[str, ...] = ("mul", "add", "relu", "sigmoid", "affine", "softmax_with_loss")
#: The book's class names and their kinds (``kind=None`` reads the class's name).
CLASS_NAMES: dict[str, str] = {"MulLayer": "mul", "AddLayer": "add", "Relu": "relu", "Sigmoid": "sigmoid",
                               "Affine": "affine", "SoftmaxWithLoss": "softmax_with_loss"}


def check_layer(cls: type, kind: str | None = None, *, lang: str | None = None, seed: int = 0) -> Report:
    """Check a learner's layer class (the book's API) and report each mistake in the book's words.

    ``kind`` is one of :data:`KINDS`; None reads it from the book's class names
    (:data:`CLASS_NAMES`).  The inputs are the apple example's scalars, then small arrays,
    then arrays drawn with ``seed``; ``dout`` is never 1 (Softmax-with-Loss, the last layer,
    gets the book's ``dout=1``).  ``lang`` is the report's language: None is the session's
    (:func:`tinygrad_ko.messages.set_lang`, else ``$TINYGRAD_KO_LANG``, else English).  The
    learner's code runs as it is; one that never returns keeps the check waiting.

    >>> from tinygrad_ko.layers import MulLayer
    >>> print(check_layer(MulLayer, lang="en"))
    MulLayer: ✓ no mistakes found
    """
    lang = resolve_lang(lang, "check_layer")
    if not isinstance(cls, type):
        raise LocalizedTypeError("exercises.not_a_class", where="check_layer", got=type(cls).__name__)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise LocalizedValueError("exercises.seed", got=seed)
    spec = spec_of(_kind_of(cls, kind))
    run = _LayerRun(cls, spec, lang)
    for case in spec.cases(np.random.default_rng(int(seed))):
        try:
            run.check(case)
        except Exception as error:
            # Raised where no check expected it (a property of the learner's that raises, say): theirs
            # when their file is in the traceback, else a mistake of this package, which must not be hidden.
            if learner_line(error, run.files) is None:
                raise
            run._raised(error, cls.__name__, case)
    return Report(cls.__name__, run.findings.values(), lang)


def _kind_of(cls: type, kind: str | None) -> str:
    if kind is None:
        if cls.__name__ in CLASS_NAMES:
            return CLASS_NAMES[cls.__name__]
        raise LocalizedValueError("exercises.kind_unknown_class", name=cls.__name__, kinds=", ".join(KINDS),
                                  names=", ".join(CLASS_NAMES))
    if kind not in KINDS:
        raise LocalizedValueError("exercises.kind_unknown", got=kind, kinds=", ".join(KINDS))
    return kind


def _snapshot(value: Any) -> Any:
    """A copy of what the learner returned, as float64 where it is numeric (their arrays may change later)."""
    if value is None:
        return None
    try:
        return np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        return value


def _numeric(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype == np.float64


def _named(values: dict[str, Any], names: list[str]) -> str:
    return ", ".join(f"{name} = {shown(values[name])}" for name in names)


def _named_pair(got: dict[str, Any], right: dict[str, Any], names: list[str]) -> tuple[str, str]:
    pairs = [shown_pair(got[name], right[name]) for name in names]
    return (", ".join(f"{name} = {g}" for name, (g, _) in zip(names, pairs, strict=True)),
            ", ".join(f"{name} = {r}" for name, (_, r) in zip(names, pairs, strict=True)))


class _LayerRun:
    """The findings about one class so far, first (smallest) case first, one per code and subject."""

    def __init__(self, cls: type, spec: Spec, lang: str) -> None:
        self.cls, self.spec, self.lang = cls, spec, lang
        self.name = cls.__name__
        self.files = learner_files(cls)
        self.findings: dict[tuple[str, str], Finding] = {}

    def _add(self, code: str, subject: str, message: str, case: Case) -> None:
        if (code, subject) in self.findings or (code == codes.EXCEPTION and any(
                key[0] == codes.EXCEPTION for key in self.findings)):
            return
        inputs = ", ".join(f"{name} = {shown(value)}" for name, value in (*case.params, *case.forward)) \
            + f", dout = {shown(case.dout)}"
        smallest = text("exercises.smallest_input", self.lang, inputs=inputs)
        self.findings[(code, subject)] = Finding.of(code, f"{message} {smallest}")

    def _raised(self, error: Exception, call: str, case: Case) -> None:
        line = learner_line(error, self.files)
        self._add(codes.EXCEPTION, "", text("exercises.exception", self.lang, call=call, error=described(error),
                                            where=f" ({line})" if line else ""), case)

    def _mutations(self, call: str, given: list[tuple[str, Any, Any]], case: Case) -> None:
        """Add a warning for each array ``(name, original, passed)`` the learner's method wrote into."""
        for name, original, passed in given:
            if isinstance(original, np.ndarray) and not np.array_equal(original, passed, equal_nan=True):
                key = "exercises.mutates_dout" if name == "dout" else "exercises.mutates_forward"
                self._add(codes.MUTATES_INPUT, name, text(key, self.lang, call=call, name=name,
                                                          before=shown(original), after=shown(passed)), case)

    def check(self, case: Case) -> None:
        """Run ``case`` on a fresh instance and add what it shows."""
        right = reference(self.spec, case)
        scale = self.spec.scale(case, right)
        construct = f"{self.name}({', '.join(name for name, _ in case.params)})"
        try:
            layer = self.cls(*case.param_args())
        except Exception as error:  # the learner's code: any mistake is a finding (not Ctrl-C)
            self._raised(error, construct, case)
            return
        arguments = case.args()
        passed = [(name, original, argument)
                  for (name, original), argument in zip(case.forward, arguments, strict=True)]
        forward = f"{self.name}.forward({', '.join(name for name, _ in case.forward)})"
        try:
            out = _snapshot(layer.forward(*arguments))
        except Exception as error:
            self._raised(error, forward, case)
            self._mutations(forward, passed, case)
            return
        self._mutations(forward, passed, case)
        self._check_forward(forward, out, right, scale, case)
        dout = _fresh(case.dout)
        backward = f"{self.name}.backward(dout)"
        try:
            returned = layer.backward(dout)
        except Exception as error:
            self._raised(error, backward, case)
            self._mutations(backward, [("dout", case.dout, dout)], case)
            return
        self._mutations(backward, [("dout", case.dout, dout)], case)
        got = self._gradients(backward, returned, layer, case)
        if got is not None:
            self._diagnose(backward, got, right, scale, case)

    def _check_forward(self, call: str, out: Any, right: Outcome, scale: Outcome, case: Case) -> None:
        if out is None:
            self._add(codes.WRONG_FORWARD, "out", text("exercises.returned_none", self.lang, call=call), case)
            return
        if not _numeric(out):
            self._add(codes.WRONG_FORWARD, "out", text("exercises.not_a_number", self.lang, call=call, name="out",
                                                       got=repr(out)), case)
            return
        allowance = self.spec.forward_allowance(case, right)
        if not close(out, right.out, scale.out, allowance):
            got, expected = shown_pair(out, right.out)
            if np.shape(out) != np.shape(right.out):
                got, expected = f"{got} (shape {np.shape(out)})", f"{expected} (shape {np.shape(right.out)})"
            self._add(codes.WRONG_FORWARD, "out", text("exercises.wrong_forward", self.lang, call=call, got=got,
                                                       expected=expected,
                                                       rule=text(f"exercises.forward_{self.spec.kind}", self.lang)),
                      case)

    def _gradients(self, call: str, returned: Any, layer: object, case: Case) -> dict[str, Any] | None:
        """The gradients by name, or None after adding the finding that says why they cannot be read."""
        spec = self.spec
        if returned is None:
            self._add(codes.WRONG_GRADIENT, "return", text("exercises.returned_none", self.lang, call=call), case)
            return None
        if spec.returned > 1:
            if not isinstance(returned, (tuple, list)) or len(returned) != spec.returned:
                self._add(codes.WRONG_GRADIENT, "return", text("exercises.backward_pair", self.lang, call=call,
                                                               got=shown(returned)), case)
                return None
            values = list(returned)
        else:
            values = [returned]
        got = dict(zip(spec.grads, values, strict=False))
        for name in spec.grads[spec.returned:]:
            value = getattr(layer, name, None)
            if value is None:
                self._add(codes.WRONG_GRADIENT, name, text("exercises.missing_attribute", self.lang, call=call,
                                                           name=f"self.{name}"), case)
                return None
            got[name] = value
        for name, value in got.items():
            got[name] = _snapshot(value)
            if not _numeric(got[name]):
                self._add(codes.WRONG_GRADIENT, name, text("exercises.not_a_number", self.lang, call=call, name=name,
                                                           got=repr(value)), case)
                return None
        return got

    def _diagnose(self, call: str, got: dict[str, Any], right: Outcome, scale: Outcome, case: Case) -> None:
        variants = self.spec.variants(case, right)
        matching_names: list[str] = []
        for name in self.spec.grads:
            if np.shape(got[name]) == np.shape(right.grads[name]):
                matching_names.append(name)
                continue
            hint = next((v.hint for v in variants if name in v.grads and v.hint
                         and close(got[name], v.grads[name], np.abs(v.grads[name]))), None)
            self._add(codes.WRONG_SHAPE, name, text("exercises.wrong_shape", self.lang, call=call, name=name,
                                                    got=np.shape(got[name]), input=GRAD_INPUT[name],
                                                    expected=np.shape(right.grads[name]),
                                                    hint=text(hint, self.lang) if hint else ""), case)
        wrong = [name for name in matching_names if not close(got[name], right.grads[name], scale.grads[name])]
        if not wrong:
            return
        variant = next((v for v in variants if self._matches(v, wrong, got, right, scale)), None)
        shown_got, shown_right = _named_pair(got, right.grads, wrong)
        subject = ",".join(wrong)
        if variant is None or variant.code == codes.WRONG_GRADIENT:
            hint = variant.hint if variant is not None else None
            message = text("exercises.wrong_gradient", self.lang, call=call, got=shown_got, expected=shown_right,
                           rule=text(f"exercises.rule_{self.spec.kind}", self.lang),
                           hint=text(hint, self.lang) if hint else "")
            self._add(codes.WRONG_GRADIENT, subject, message, case)
        elif variant.code == codes.WRONG_SHAPE:  # a transposed dW of a square W: same shape, the values show it
            self._add(codes.WRONG_SHAPE, subject, text("exercises.wrong_shape_square", self.lang, call=call,
                                                       got=shown_got, expected=shown_right), case)
        else:
            key = {codes.SWAPPED_INPUTS: "exercises.swapped_inputs",
                   codes.MISSING_UPSTREAM: "exercises.missing_upstream",
                   codes.SIGMOID_DERIVATIVE_OF_INPUT: "exercises.sigmoid_of_input"}[variant.code]
            self._add(variant.code, subject, text(key, self.lang, call=call, got=shown_got, expected=shown_right,
                                                  names=", ".join(wrong)), case)

    @staticmethod
    def _matches(variant: Variant, wrong: list[str], got: dict[str, Any], right: Outcome, scale: Outcome) -> bool:
        """Whether every wrong gradient is this variant's value (and the variant is not the right answer here)."""
        if not all(name in variant.grads for name in wrong):
            return False
        if all(close(variant.grads[name], right.grads[name], scale.grads[name]) for name in wrong):
            return False  # indistinguishable in this case
        return all(close(got[name], variant.grads[name], np.maximum(scale.grads[name], np.abs(variant.grads[name])))
                   for name in wrong)


def _fresh(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else value
