"""The inputs each layer is checked on, the right answers and the known wrong ones.

The right answers are the project's own layers (:mod:`tinygrad_ko.layers`, whose rules
are the op table's); each wrong variant is the same reference run on changed inputs
(the inputs swapped, ``dout`` replaced by ones) or a plain transformation of its result
(negated, transposed), so no formula is written twice.  The one exception is the sigmoid
mistake ``dout * x * (1 - x)``, which is the book's formula evaluated at the wrong place.

The inputs are chosen so that every variant differs from the right answer by more than
1 %: ``x != y``, ``dout`` not 1 or 0, no input 0 or ±1, ReLU's inputs on both sides of 0
(and never at 0, where any slope in [0, 1] is right), Affine's ``W`` not square in the
first case (a transposed ``dW`` has another shape) and square in the second (only the
values show it), a batch of two or more for Softmax-with-Loss (``/ N`` shows).  Cases
come smallest first, so the first case that shows a mistake is the smallest input that
shows it: the apple example's scalars, then small arrays, then random ones (the last of each
kind in a shape drawn with the seed too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import layers
from . import codes

__all__ = ["GRAD_INPUT", "Case", "Outcome", "Spec", "Variant", "reference", "spec_of"]

#: Which input each gradient belongs to (for "dx has shape ..., x has shape ...").
GRAD_INPUT = {"dx": "x", "dy": "y", "dW": "W", "db": "b"}


@dataclass(frozen=True)
class Case:
    """One input: the constructor's arguments (Affine's W, b), forward's arguments, and dout."""

    forward: tuple[tuple[str, Any], ...]
    dout: Any
    params: tuple[tuple[str, Any], ...] = ()

    def args(self) -> list[Any]:
        """Fresh copies of forward's arguments (a learner's layer may write into them)."""
        return [_copy(value) for _, value in self.forward]

    def param_args(self) -> list[Any]:
        """Fresh copies of the constructor's arguments."""
        return [_copy(value) for _, value in self.params]


@dataclass
class Outcome:
    """What a layer computed: forward's output and each gradient by name (dx, dy, dW, db)."""

    out: Any
    grads: dict[str, Any]


@dataclass(frozen=True)
class Variant:
    """A known wrong answer: its finding code, an optional hint (a message id) and its gradients."""

    code: str
    grads: dict[str, Any]
    hint: str | None = None


@dataclass(frozen=True)
class Spec:
    """How one kind of layer is called and checked."""

    kind: str
    reference: type
    grads: tuple[str, ...]  # backward's return (the first `returned`), then attributes (Affine's dW, db)
    returned: int
    cases: Callable[[np.random.Generator], list[Case]]
    variants: Callable[[Case, Outcome], list[Variant]]
    #: The magnitude of the terms of the output and of each gradient (the tolerance's scale).
    scale: Callable[[Case, Outcome], Outcome]
    #: What a right forward may differ by beyond rounding (the book's 1e-7 inside the log).
    forward_allowance: Callable[[Case, Outcome], float] = field(default=lambda case, right: 0.0)


def _copy(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else value


def reference(spec: Spec, case: Case, dout: Any = None, forward: tuple[Any, ...] | None = None) -> Outcome:
    """The project's own layer on ``case`` (with another ``dout`` or other forward arguments if given)."""
    layer = spec.reference(*case.param_args())
    out = layer.forward(*(case.args() if forward is None else forward))
    returned = layer.backward(_copy(case.dout) if dout is None else dout)
    values = returned if spec.returned > 1 else (returned,)
    grads = dict(zip(spec.grads, values, strict=False))
    for name in spec.grads[spec.returned:]:
        grads[name] = getattr(layer, name)
    return Outcome(out, grads)


def _ones(case: Case) -> Any:
    return np.ones_like(case.dout) if isinstance(case.dout, np.ndarray) else 1.0


def _negated(right: Outcome) -> Variant:
    negated = {name: -np.asarray(g) for name, g in right.grads.items()}
    return Variant(codes.WRONG_GRADIENT, negated, "exercises.hint_sign")


def _readable(rng: np.random.Generator, shape: tuple[int, ...], low: int = 2, high: int = 30) -> Any:
    """Random numbers with one decimal, |v| in [low/10, high/10], never 0 or ±1: easy to read, hard to confuse."""
    magnitude = rng.integers(low, high + 1, size=shape)
    magnitude = np.where(magnitude == 10, 11, magnitude)
    return rng.choice([-1.0, 1.0], size=shape) * magnitude / 10.0


def _random_shape(rng: np.random.Generator) -> tuple[int, ...]:
    """A shape drawn with the seed: 1 to 3 axes of 1 to 4 entries (the last case, after the fixed ones)."""
    return tuple(int(n) for n in rng.integers(1, 5, size=int(rng.integers(1, 4))))


def _abs_outcome(spec: Spec, case: Case) -> Outcome:
    """The reference run on the inputs' absolute values: the sums of |terms| rounding is relative to."""
    absolute = Case(tuple((n, np.abs(v)) for n, v in case.forward), np.abs(case.dout),
                    tuple((n, np.abs(v)) for n, v in case.params))
    result = reference(spec, absolute)
    return Outcome(np.abs(result.out), {n: np.abs(g) for n, g in result.grads.items()})


def _elementwise_scale(case: Case, right: Outcome) -> Outcome:
    # One rounded product per element (ReLU: none): the result's own magnitude is the scale.
    return Outcome(np.abs(right.out), {n: np.abs(g) for n, g in right.grads.items()})


# -- multiply and add: the apple example first ---------------------------------------

def _binary_cases(apple: Case) -> Callable[[np.random.Generator], list[Case]]:
    def cases(rng: np.random.Generator) -> list[Case]:
        found = [apple]
        fixed: tuple[tuple[int, ...] | None, ...] = ((3,), (2, 3), None)
        for given in fixed:
            shape = given or _random_shape(rng)  # drawn after the fixed cases, which stay as they are
            found.append(Case((("x", _readable(rng, shape)), ("y", _readable(rng, shape))),
                              _readable(rng, shape, 12, 25)))
        return found
    return cases


def _mul_variants(case: Case, right: Outcome) -> list[Variant]:
    (_, x), (_, y) = case.forward
    swapped = reference(MUL, case, forward=(_copy(y), _copy(x))).grads  # dout * x, dout * y
    return [Variant(codes.SWAPPED_INPUTS, swapped),
            Variant(codes.MISSING_UPSTREAM, reference(MUL, case, dout=_ones(case)).grads),
            _negated(right)]


def _add_variants(case: Case, right: Outcome) -> list[Variant]:
    return [Variant(codes.MISSING_UPSTREAM, reference(ADD, case, dout=_ones(case)).grads), _negated(right)]


# The apple example (ch. 5.4): 100 won an apple, 2 apples, and upstream the tax's 1.1.
MUL: Spec = Spec("mul", layers.MulLayer, ("dx", "dy"), 2, _binary_cases(Case((("x", 100.0), ("y", 2.0)), 1.1)),
           lambda case, right: _mul_variants(case, right), lambda case, right: _abs_outcome(MUL, case))
# The apples' and the oranges' prices (200 + 450), with the tax's 1.1 from upstream.
ADD: Spec = Spec("add", layers.AddLayer, ("dx", "dy"), 2, _binary_cases(Case((("x", 200.0), ("y", 450.0)), 1.1)),
           lambda case, right: _add_variants(case, right), lambda case, right: _abs_outcome(ADD, case))


# -- ReLU and sigmoid: arrays, as the book uses them -----------------------------------

def _activation_cases(rng: np.random.Generator) -> list[Case]:
    found = [Case((("x", np.array([-0.5, 2.0])),), np.array([1.5, 2.5]))]
    fixed: tuple[tuple[int, ...] | None, ...] = ((2, 3), (3, 4), None)
    for given in fixed:
        shape = given or _random_shape(rng)
        found.append(Case((("x", _readable(rng, shape)),), _readable(rng, shape, 12, 25)))
    return found


def _relu_variants(case: Case, right: Outcome) -> list[Variant]:
    blocked = np.asarray(case.dout) - right.grads["dx"]  # dout where x <= 0: the mask inverted
    return [Variant(codes.MISSING_UPSTREAM, reference(RELU, case, dout=_ones(case)).grads),
            Variant(codes.WRONG_GRADIENT, {"dx": blocked}, "exercises.hint_mask_inverted"),
            Variant(codes.WRONG_GRADIENT, {"dx": _copy(case.dout)}, "exercises.hint_mask_missing"),
            _negated(right)]


def _sigmoid_variants(case: Case, right: Outcome) -> list[Variant]:
    ((_, x),) = case.forward
    # The book's out * (1 - out), evaluated at the input instead of the output.
    of_input = case.dout * x * (1.0 - x)
    return [Variant(codes.SIGMOID_DERIVATIVE_OF_INPUT, {"dx": of_input}),
            Variant(codes.MISSING_UPSTREAM, reference(SIGMOID, case, dout=_ones(case)).grads),
            _negated(right)]


RELU = Spec("relu", layers.Relu, ("dx",), 1, _activation_cases, _relu_variants, _elementwise_scale)
SIGMOID = Spec("sigmoid", layers.Sigmoid, ("dx",), 1, _activation_cases, _sigmoid_variants, _elementwise_scale)


# -- Affine: W not square, then square, then a larger batch -------------------------------

def _affine_cases(rng: np.random.Generator) -> list[Case]:
    found = []
    for sizes in ((1, 2, 3), (2, 3, 3), (4, 3, 2), None):
        n, d, h = sizes or tuple(int(v) for v in rng.integers(1, 7, size=3))
        found.append(Case((("x", _readable(rng, (n, d))),), _readable(rng, (n, h), 12, 25),
                          (("W", _readable(rng, (d, h))), ("b", _readable(rng, (h,))))))
    return found


def _affine_variants(case: Case, right: Outcome) -> list[Variant]:
    transposed = np.asarray(right.grads["dW"]).T
    return [Variant(codes.MISSING_UPSTREAM, reference(AFFINE, case, dout=_ones(case)).grads),
            Variant(codes.WRONG_SHAPE, {"dW": transposed}, "exercises.hint_dw_transposed"),
            Variant(codes.WRONG_SHAPE, {"db": _copy(case.dout)}, "exercises.hint_db_not_summed"),
            _negated(right)]


AFFINE: Spec = Spec("affine", layers.Affine, ("dx", "dW", "db"), 1, _affine_cases, _affine_variants,
              lambda case, right: _abs_outcome(AFFINE, case))


# -- Softmax-with-Loss: one-hot labels, a batch of two first --------------------------------

def _softmax_cases(rng: np.random.Generator) -> list[Case]:
    found = []
    for sizes in ((2, 3), (3, 4), (5, 3), None):
        n, c = sizes or (int(rng.integers(2, 9)), int(rng.integers(2, 7)))
        labels = rng.integers(0, c, size=n)
        # The book's SoftmaxWithLoss is the last layer: its dout is always 1 (its backward ignores it).
        found.append(Case((("x", _readable(rng, (n, c), 1, 20)), ("t", np.eye(c)[labels])), 1))
    return found


def _softmax_variants(case: Case, right: Outcome) -> list[Variant]:
    n = len(case.forward[0][1])
    return [Variant(codes.WRONG_GRADIENT, {"dx": right.grads["dx"] * n}, "exercises.hint_batch_mean"),
            _negated(right)]


def _softmax_scale(case: Case, right: Outcome) -> Outcome:
    # dx = (y - t) / N cancels where y is near t: rounding is relative to |y| + |t|.  The loss
    # is log(sum(exp(x))) - x[label] per sample: rounding is relative to the scores' size.
    (_, x), (_, t) = case.forward
    y = _softmax_output(x, t)
    return Outcome(float(np.max(np.abs(x))) + abs(float(right.out)) + 1.0, {"dx": (y + t) / len(y)})


def _softmax_output(x: Any, t: Any) -> Any:
    ref = layers.SoftmaxWithLoss()
    ref.forward(x, t)
    return np.asarray(ref.y)


def _softmax_allowance(case: Case, right: Outcome) -> float:
    # The book computes log(y + 1e-7) (so that y = 0 gives no -inf): that moves each sample's
    # term by at most 1e-7 / y (log is concave), which a right answer may differ by.
    (_, x), (_, t) = case.forward
    return float(np.sum(t * 1e-7 / _softmax_output(x, t)) / len(t))


SOFTMAX_WITH_LOSS = Spec("softmax_with_loss", layers.SoftmaxWithLoss, ("dx",), 1, _softmax_cases,
                         _softmax_variants, _softmax_scale, _softmax_allowance)

_SPECS = {spec.kind: spec for spec in (MUL, ADD, RELU, SIGMOID, AFFINE, SOFTMAX_WITH_LOSS)}


def spec_of(kind: str) -> Spec:
    """The spec of ``kind`` (one of :data:`~tinygrad_ko.exercises.layers.KINDS`)."""
    return _SPECS[kind]
