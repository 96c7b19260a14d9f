"""Neural networks of scalar Values: ``Module``, ``Neuron``, ``Layer``, ``MLP`` and losses.

Every weight is a :class:`~tinygrad_ko.Value`, so a network's output is one
computational graph (계산 그래프) that ``backward()`` differentiates like any
other; an optimizer (:mod:`tinygrad_ko.optim`) then moves the weights against
their gradients (기울기).  The shape is micrograd's ``nn.py``: a neuron is a
weighted sum plus a bias, a layer is a list of neurons, an MLP a list of
layers, and ``parameters()`` flattens the tree.

>>> from tinygrad_ko import nn
>>> model = nn.MLP(2, [16, 16, 1], seed=0)
>>> len(model.parameters())
337
>>> score = model([0.5, -1.0])          # one output: a Value
>>> loss = nn.hinge([score], [1])
>>> model.zero_grad(); loss.backward()
>>> any(p.grad != 0.0 for p in model.parameters())
True

**Initialisation.** A weight is drawn uniformly from ``[-b, b]`` with
``b = gain·sqrt(3/nin)``, so its variance is ``gain²/nin`` and the weighted
sum of ``nin`` inputs of unit size has about unit variance whatever the width
(LeCun's scaling; with ``gain = sqrt(2)`` for ReLU neurons, whose output keeps
half the variance, it is He's).  Biases start at 0.  micrograd draws every
weight from ``[-1, 1]`` whatever ``nin``: fine for its 2-16-16-1 demo, but the
variance of a weighted sum then grows with the width (about ``nin/3``), and an
``MLP(64, [64, 64, 10])`` starts with saturated tanh/sigmoid units and huge
scores.  PyTorch's ``nn.Linear`` uses ``b = 1/sqrt(nin)`` (a third of this
variance), which shrinks the signal layer by layer in a deep ReLU stack.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import random
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from .engine import Value
from .messages import LocalizedTypeError, LocalizedValueError

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "IncompatibleKeys",
    "Layer",
    "Module",
    "Neuron",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge",
    "mse",
]

#: What a network accepts as one input: numbers or Values.
Input = Sequence[Value | float]
#: A seed (int), a shared random.Random, or None (fresh, unpredictable weights).
Seed = int | random.Random | None

# The "format" field of a file written by Module.save.
_SAVE_FORMAT = "tinygrad_ko.state_dict"

#: The activation functions (활성화 함수) a neuron may apply; "linear" applies none.
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
# Weight scale per activation: He's sqrt(2) for ReLU, 1 elsewhere (see the module docstring).
_GAIN = {"relu": math.sqrt(2.0), "tanh": 1.0, "sigmoid": 1.0, "linear": 1.0}


def _check_activation(activation: str | None, where: str) -> str:
    name = "linear" if activation is None else activation
    if name not in ACTIVATIONS:
        raise LocalizedValueError("learning.activation", where=where, choices=", ".join(map(repr, ACTIVATIONS)),
                                  got=activation)
    return name


def _check_size(n: object, what: str, where: str) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or int(n) < 1:
        raise LocalizedValueError("learning.size", where=where, what=what, got=n)
    return int(n)


def _rng(seed: Seed, where: str) -> random.Random:
    """A private generator: the global ``random`` state is never read or changed."""
    if isinstance(seed, random.Random):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        return random.Random(seed)
    raise LocalizedTypeError("learning.seed", where=where, got=type(seed).__name__)


def _as_real(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise LocalizedTypeError("learning.not_real", where=where, got=value, type=type(value).__name__)
    try:
        number = float(value)
    except OverflowError:  # an int such as 10**400
        raise LocalizedValueError("learning.state_too_large", where=where, digits=len(str(abs(value)))) from None
    if not math.isfinite(number):
        raise LocalizedValueError("learning.state_not_finite", where=where, got=number)
    return number


def _check_one_sample(x: object, where: str) -> None:
    """Refuse a batch (a 2-d array, a list of rows) where one sample is expected, saying what to do.

    Only the shape and the first element are looked at: the check costs nothing per weight.
    """
    ndim = getattr(x, "ndim", None)
    if ndim is not None and ndim != 1:
        raise LocalizedTypeError("learning.batch_shape", where=where, shape=getattr(x, "shape", "?"))
    if isinstance(x, (str, bytes)) or not (isinstance(x, Sequence) or ndim == 1):
        raise LocalizedTypeError("learning.not_sample", where=where, got=type(x).__name__)
    items: Sequence[object] = x  # type: ignore[assignment]  # a Sequence or a 1-d array, checked above
    if len(items) and not isinstance(items[0], (Value, numbers.Real)) and (
            isinstance(items[0], Sequence) or hasattr(items[0], "ndim")):
        raise LocalizedTypeError("learning.batch_rows", where=where, rows=len(items))

class IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` with ``strict=False`` found missing and unexpected."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """The base class: a tree of parameters (매개변수) with names.

    A subclass implements :meth:`named_parameters`; everything else follows
    from it.  Names are dotted paths, as in PyTorch: ``"layers.0.neurons.3.w.1"``
    is weight 1 of neuron 3 of the first layer.
    """

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter with its dotted name, in a fixed order."""
        return []

    def parameters(self) -> list[Value]:
        """Every parameter, in the order of :meth:`named_parameters` (what an optimizer takes)."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0.0 (gradients accumulate, as in PyTorch)."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """Every parameter's value as a plain float, by name: picklable, JSON-able, copyable.

        To share weights, write this dict as JSON (``json.dump(model.state_dict(), file)``):
        loading JSON reads only data, while loading a pickle runs code the pickle names,
        so unpickle only files you trust (your own).

        >>> from tinygrad_ko import nn
        >>> neuron = nn.Neuron(2, seed=0)
        >>> sorted(neuron.state_dict())
        ['b', 'w.0', 'w.1']
        """
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state_dict: Mapping[str, float], strict: bool = True) -> IncompatibleKeys:
        """Set every parameter's ``data`` from ``state_dict`` (names as :meth:`state_dict` gives them).

        The parameters stay the same Value objects (an optimizer holding them
        keeps working); their ``grad`` is left alone.  With ``strict`` (the
        default), a missing or an unexpected name is a ``ValueError`` listing
        them; with ``strict=False`` the names that match are loaded and the
        others are returned.  A value that is not a real number is a
        ``TypeError``; inf, nan and an int too large for a float are a
        ``ValueError`` naming the key (unlike PyTorch, which loads them: every
        other entry point of tinygrad_ko refuses non-finite numbers too).
        ``strict`` must be a bool.  Nothing is changed unless every check passes.
        """
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(strict, bool):  # strict=0 or strict="no" would be read by truthiness
            raise LocalizedTypeError("learning.strict_not_bool", where=where, got=strict)
        if not isinstance(state_dict, Mapping):
            raise LocalizedTypeError("learning.state_dict_type", where=where, got=type(state_dict).__name__)
        named = self.named_parameters()
        names = {name for name, _ in named}
        missing = [name for name, _ in named if name not in state_dict]
        unexpected = [str(key) for key in state_dict if key not in names]
        if strict and (missing or unexpected):
            key = ("learning.state_dict_both" if missing and unexpected else
                   "learning.state_dict_missing" if missing else "learning.state_dict_unexpected")
            raise LocalizedValueError(key, where=where, n_missing=len(missing), missing=_some(missing),
                                      n_unexpected=len(unexpected), unexpected=_some(unexpected))
        values = [(p, _as_real(state_dict[name], f"{where}: the value of {name!r}"))
                  for name, p in named if name in state_dict]
        for p, value in values:
            p.data = value
        return IncompatibleKeys(missing, unexpected)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`state_dict` to ``path`` as a JSON file (what ``torch.save(model.state_dict())`` is for).

        The file is a JSON object ``{"format": "tinygrad_ko.state_dict", "version": 1,
        "model": "<the model's repr>", "state_dict": {name: value, ...}}``; each value is
        written with Python's shortest round-trip form, so :meth:`load` gives back the same
        floats bit for bit.  A weight that is ``nan`` or ``inf`` (a training that diverged)
        is refused with ``ValueError``, since standard JSON has no such numbers.  The file
        is replaced atomically: a failed save leaves any earlier file whole.

        >>> import tempfile, os
        >>> from tinygrad_ko import nn
        >>> model = nn.MLP(2, [4, 1], seed=0)
        >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
        >>> model.save(path)
        >>> copy = nn.MLP(2, [4, 1], seed=1); _ = copy.load(path)
        >>> copy.state_dict() == model.state_dict()
        True
        """
        where = f"{type(self).__name__}.save"
        state = self.state_dict()
        for name, value in state.items():
            if not math.isfinite(value):
                raise LocalizedValueError("learning.save_not_finite", where=where, name=name, value=value)
        text = json.dumps({"format": _SAVE_FORMAT, "version": 1, "model": repr(self), "state_dict": state},
                          indent=1)
        target = Path(path)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text + "\n")
            os.replace(temporary, target)
        except BaseException:
            os.unlink(temporary)
            raise

    def load(self, path: str | os.PathLike[str], strict: bool = True) -> IncompatibleKeys:
        """Load parameters saved by :meth:`save` (see :meth:`load_state_dict` for ``strict``).

        A file that is not such a JSON file is a ``ValueError`` saying what it is.
        """
        where = f"{type(self).__name__}.load"
        try:
            saved: Any = json.loads(Path(path).read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise LocalizedValueError("learning.load_not_json", where=where, path=os.fspath(path),
                                      error=error) from None
        if not isinstance(saved, dict) or saved.get("format") != _SAVE_FORMAT or "state_dict" not in saved:
            raise LocalizedValueError("learning.load_not_model", where=where, path=os.fspath(path),
                                      format=_SAVE_FORMAT)
        return self.load_state_dict(saved["state_dict"], strict=strict)


def _some(keys: list[str], shown: int = 5) -> str:
    text = ", ".join(map(repr, keys[:shown]))
    return text + (f", ... ({len(keys) - shown} more)" if len(keys) > shown else "")


class Neuron(Module):
    """One neuron: ``activation(w·x + b)`` over ``nin`` inputs.

    ``activation`` is ``"relu"`` (the default), ``"tanh"``, ``"sigmoid"`` or
    ``"linear"`` (``None`` too).  ``seed`` (an int or a shared ``random.Random``)
    makes the initial weights reproducible; see the module docstring for the
    initialisation.

    >>> n = Neuron(2, activation="linear", seed=0)
    >>> n.w[0].data, n.w[1].data = 2.0, -1.0
    >>> n([3.0, 4.0]).data
    2.0
    """

    def __init__(self, nin: int, activation: str | None = "relu", seed: Seed = None) -> None:
        nin = _check_size(nin, "nin (the number of inputs)", "Neuron")
        self.activation = _check_activation(activation, "Neuron")
        rng = _rng(seed, "Neuron")
        bound = _GAIN[self.activation] * math.sqrt(3.0 / nin)
        self.w = [Value(rng.uniform(-bound, bound)) for _ in range(nin)]
        self.b = Value(0.0)

    def __call__(self, x: Input) -> Value:
        """The neuron's output for one input ``x`` of ``nin`` numbers or Values."""
        w = self.w
        _check_one_sample(x, "Neuron")
        if len(x) != len(w):
            raise LocalizedValueError("learning.neuron_inputs", got=len(x), expected=len(w))
        # b + w0·x0 + w1·x1 + ...: a chain of adds, the order micrograd's sum(..., b) uses.
        act = self.b
        for wi, xi in zip(w, x, strict=False):  # lengths checked above
            act = act + wi * xi
        activation = self.activation
        if activation == "relu":
            return act.relu()
        if activation == "tanh":
            return act.tanh()
        if activation == "sigmoid":
            return act.sigmoid()
        return act

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``w.0``, ``w.1``, ..., then ``b``."""
        return [*((f"w.{i}", wi) for i, wi in enumerate(self.w)), ("b", self.b)]

    def parameters(self) -> list[Value]:
        """The weights, then the bias (as micrograd)."""
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons that read the same input.

    Called with one input, it returns a Value when ``nout == 1``, else a list
    of ``nout`` Values.

    >>> layer = Layer(3, 2, seed=0)
    >>> len(layer([1.0, 2.0, 3.0])), len(layer.parameters())
    (2, 8)
    """

    def __init__(self, nin: int, nout: int, activation: str | None = "relu", seed: Seed = None) -> None:
        nout = _check_size(nout, "nout (the number of neurons)", "Layer")
        rng = _rng(seed, "Layer")
        self.neurons = [Neuron(nin, activation, rng) for _ in range(nout)]

    def outputs(self, x: Input) -> list[Value]:
        """Every neuron's output for ``x``, always as a list."""
        _check_one_sample(x, "Layer")
        return [n(x) for n in self.neurons]

    def __call__(self, x: Input) -> Value | list[Value]:
        out = self.outputs(x)
        return out[0] if len(out) == 1 else out

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``neurons.J.NAME`` for each neuron J, in order."""
        return [(f"neurons.{j}.{name}", p) for j, n in enumerate(self.neurons) for name, p in n.named_parameters()]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        first = self.neurons[0]
        return f"Layer({len(first.w)}, {len(self.neurons)}, activation={first.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: ``nin`` inputs, then one layer per entry of ``nouts``.

    Hidden layers apply ``activation`` (``"relu"``, ``"tanh"`` or ``"sigmoid"``);
    the last layer is linear, as in micrograd, so its outputs are scores
    (logits) for a loss to judge.  ``seed`` makes the initial weights
    reproducible with a private ``random.Random`` (the global state is untouched).

    >>> model = MLP(2, [16, 16, 1], seed=0)
    >>> model
    MLP(2, [16, 16, 1], activation='relu')
    >>> len(model.parameters()), type(model([1.0, 2.0])).__name__
    (337, 'Value')
    >>> len(MLP(2, [8, 3], seed=0)([1.0, 2.0]))   # three outputs: a list
    3
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu", seed: Seed = None) -> None:
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Iterable) or not list(nouts):
            raise LocalizedValueError("learning.mlp_nouts", got=nouts)
        if activation is None or _check_activation(activation, "MLP") == "linear":
            raise LocalizedValueError("learning.mlp_activation", got=activation)
        sizes = [_check_size(nin, "nin (the number of inputs)", "MLP"),
                 *(_check_size(n, "each layer size in nouts", "MLP") for n in nouts)]
        rng = _rng(seed, "MLP")
        last = len(sizes) - 2
        self.activation = activation
        self.layers = [Layer(sizes[k], sizes[k + 1], activation if k < last else "linear", rng)
                       for k in range(len(sizes) - 1)]

    def __call__(self, x: Input) -> Value | list[Value]:
        """The network's output for one input: a Value if the last layer has one neuron, else a list.

        One sample at a time, as in micrograd; for a batch, call it per row or
        :func:`~tinygrad_ko.vectorize` the graph.
        """
        _check_one_sample(x, "MLP")
        h = self.layers[0].outputs(x)
        for layer in self.layers[1:]:
            h = layer.outputs(h)
        return h[0] if len(h) == 1 else h

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``layers.K.neurons.J.NAME`` for each layer K, in order."""
        return [(f"layers.{k}.{name}", p)
                for k, layer in enumerate(self.layers) for name, p in layer.named_parameters()]

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def to_torch(self) -> Any:
        """This model as a float64 ``torch.nn.Sequential`` of ``Linear`` layers and the activation, same weights.

        ``Linear(nin, nout)`` holds layer K's neuron J's weights in row J of ``weight``
        and its bias in ``bias[J]``; between two Linears comes ``ReLU``, ``Tanh`` or
        ``Sigmoid``.  The module gives the same outputs (for a batch: one row per sample)
        and, for the same loss, the same parameter gradients; training it changes only
        the module (:meth:`from_torch` brings the weights back).  Needs PyTorch
        (``pip install "tinygrad_ko[torch]"``).
        """
        from .bridge import mlp_to_torch

        return mlp_to_torch(self)

    @classmethod
    def from_torch(cls, module: Any) -> MLP:
        """A new MLP with the sizes, activation and weights of a ``torch.nn.Sequential`` like :meth:`to_torch` makes.

        The module must be Linear, activation, Linear, ..., Linear with one activation
        (``ReLU``, ``Tanh`` or ``Sigmoid``) throughout and biases on; anything else is a
        ``TypeError`` (not a Sequential) or ``ValueError`` saying which module differs.
        """
        from .bridge import mlp_from_torch

        return mlp_from_torch(module, cls)

    def __repr__(self) -> str:
        nouts = [len(layer.neurons) for layer in self.layers]
        return f"MLP({len(self.layers[0].neurons[0].w)}, {nouts}, activation={self.activation!r})"


# -- losses (손실 함수) ---------------------------------------------------------


def _as_values(xs: object, what: str, where: str) -> list[Value]:
    """One Value, or a sequence of Values/numbers, as a list of Values."""
    if isinstance(xs, Value):
        return [xs]
    if isinstance(xs, (str, bytes)) or not isinstance(xs, Iterable):
        raise LocalizedTypeError("learning.scores_type", where=where, what=what, got=type(xs).__name__)
    out = [x if isinstance(x, Value) else Value(x) for x in xs]
    if not out:
        raise LocalizedValueError("learning.scores_empty", where=where, what=what)
    return out


def _as_targets(ts: object, n: int, where: str) -> list[float | Value]:
    """The targets as numbers or Values, one per prediction.

    A Value target stays a Value, so the loss's graph depends on it: a loss traced
    by :func:`~tinygrad_ko.vectorize` with the target as an input then reads each
    sample's target (a number would be baked in as a constant).
    """
    items = [ts] if isinstance(ts, (numbers.Real, Value)) else ts
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise LocalizedTypeError("learning.targets_type", where=where, got=type(ts).__name__)
    out = [t if isinstance(t, Value) else _as_real(t, f"{where}: each target") for t in items]
    if len(out) != n:
        raise LocalizedValueError("learning.targets_count", where=where, n=n, got=len(out))
    return out


def _numbers(ts: list[float | Value]) -> list[float]:
    """The number targets, for the range checks.

    Value targets are left out: in a traced loss their number is a placeholder that
    each sample replaces, so no check at trace time could mean anything.
    """
    return [t for t in ts if not isinstance(t, Value)]


def _mean(terms: list[Value]) -> Value:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total * (1.0 / len(terms)) if len(terms) > 1 else total


def mse(predictions: Value | Sequence[Value], targets: float | Value | Sequence[float | Value]) -> Value:
    """The mean squared error ``mean((p - t)²)`` (PyTorch's ``mse_loss``).

    Targets may be numbers or Values (a Value target stays in the graph, so a loss
    traced by :func:`~tinygrad_ko.vectorize` reads each sample's target; the same
    holds for :func:`hinge` and :func:`binary_cross_entropy_with_logits`, which
    check the range of number targets only).

    >>> from tinygrad_ko import Value
    >>> mse([Value(1.0), Value(3.0)], [0.0, 1.0]).data
    2.5
    """
    ps = _as_values(predictions, "predictions", "mse")
    ts = _as_targets(targets, len(ps), "mse")
    terms = []
    for p, t in zip(ps, ts, strict=True):
        d = p - t
        terms.append(d * d)
    return _mean(terms)


def hinge(scores: Value | Sequence[Value], labels: float | Value | Sequence[float | Value]) -> Value:
    """micrograd's max-margin loss: ``mean(relu(1 - y·s))`` with labels ``y`` of -1 or +1.

    A score on the right side of 0 by a margin of 1 or more costs nothing.

    >>> from tinygrad_ko import Value
    >>> hinge([Value(2.0), Value(0.5)], [1, 1]).data   # (0 + 0.5) / 2
    0.25
    """
    ss = _as_values(scores, "scores", "hinge")
    ys = _as_targets(labels, len(ss), "hinge")
    bad = [y for y in _numbers(ys) if y not in (-1.0, 1.0)]
    if bad:
        raise LocalizedValueError("learning.hinge_labels", got=bad[0])
    return _mean([(1.0 - y * s).relu() for s, y in zip(ss, ys, strict=True)])


def binary_cross_entropy_with_logits(logits: Value | Sequence[Value],
                                     targets: float | Value | Sequence[float | Value]) -> Value:
    """``mean(-t·log σ(x) - (1-t)·log(1-σ(x)))`` from logits ``x``, targets ``t`` in [0, 1] (PyTorch's).

    Computed as ``log(1 + exp(x)) - t·x`` with ``exp`` only ever seeing
    ``-|x|``: finite for logits of ±1000, where σ itself rounds to 0 or 1.
    Both branches below are the same function, so the gradient is the true
    ``σ(x) - t`` either side of 0.

    >>> from tinygrad_ko import Value
    >>> round(binary_cross_entropy_with_logits(Value(0.0), 1.0).data, 6)   # log 2
    0.693147
    >>> binary_cross_entropy_with_logits(Value(-1000.0), 1.0).data
    1000.0
    """
    xs = _as_values(logits, "logits", "binary_cross_entropy_with_logits")
    ts = _as_targets(targets, len(xs), "binary_cross_entropy_with_logits")
    bad = [t for t in _numbers(ts) if not 0.0 <= t <= 1.0]
    if bad:
        raise LocalizedValueError("learning.bce_targets", got=bad[0])
    terms = []
    for x, t in zip(xs, ts, strict=True):
        # log(1 + e^x) - t·x with exp seeing only -|x| and no two large terms cancelling:
        # (1-t)·x + log(1 + e^-x) for x >= 0, -t·x + log(1 + e^x) below (both parts >= 0).
        # (x + log(1 + e^-x) - t·x lost everything at x = 40, t = 1: 40 - 40 = 0, not 4.25e-18.)
        if x.data >= 0.0:
            e = (-x).exp()
            # A Value target always stays in the graph (a traced loss); a number target of 1 or 0 adds no node.
            linear = x * (1.0 - t) if isinstance(t, Value) else None if t == 1.0 else (x if t == 0.0 else x * (1.0 - t))
        else:
            e = x.exp()
            linear = x * -t if isinstance(t, Value) else None if t == 0.0 else x * -t
        tail = _log1p(e)
        terms.append(tail if linear is None else linear + tail)
    return _mean(terms)


def _log1p(u: Value) -> Value:
    """``log(1 + u)`` for ``u`` in [0, 1], with the value of ``math.log1p(u)``.

    ``1 + u`` rounds away most of a small ``u`` (all of it below 1.1e-16), so
    ``log(1 + u)`` alone is 0 where the answer is ``u``.  The graph keeps the
    ``log(1 + u)`` node, whose slope ``1/(1 + u)`` is accurate, and adds the
    difference to ``log1p(u)`` as a constant: the value is right, the gradient
    unchanged (a constant has none).
    """
    out = (1.0 + u).log()
    correction = math.log1p(u.data) - out.data
    return out + correction if correction else out


def cross_entropy(logits: Sequence[Value] | Sequence[Sequence[Value]], target: int | Sequence[int]) -> Value:
    """The cross-entropy error (교차 엔트로피 오차) of softmax(logits) against class indices (PyTorch's).

    ``logits`` are one sample's C scores with ``target`` a class index, or a
    batch (a list of such lists) with one index per sample (the mean is
    returned).  Computed as ``logsumexp(x) - x[target]`` with the largest
    score subtracted first (a constant, so the gradient is still
    ``softmax(x) - onehot(target)``): finite for logits of ±1000.

    >>> from tinygrad_ko import Value
    >>> round(cross_entropy([Value(0.0), Value(0.0)], 1).data, 6)   # log 2
    0.693147
    >>> cross_entropy([Value(1000.0), Value(-1000.0)], 1).data
    2000.0
    """
    where = "cross_entropy"
    if isinstance(logits, (Value, str, bytes)) or not isinstance(logits, Sequence):
        raise LocalizedTypeError("learning.logits_type", where=where, got=type(logits).__name__)
    if not logits:
        raise LocalizedValueError("learning.logits_empty", where=where)
    batched = not isinstance(logits[0], (Value, numbers.Real))
    rows = [_as_values(row, "each row of logits", where) for row in (logits if batched else [logits])]
    targets = target if batched else [target]
    if isinstance(targets, (str, bytes)) or not isinstance(targets, Iterable):
        raise LocalizedTypeError("learning.batch_targets_type", where=where, got=type(target).__name__)
    classes: list[object] = list(targets)
    if len(classes) != len(rows):
        raise LocalizedValueError("learning.batch_targets_count", where=where, rows=len(rows), got=len(classes))
    terms = []
    for row, cls in zip(rows, classes, strict=True):
        if isinstance(cls, bool) or not isinstance(cls, numbers.Integral):
            raise LocalizedTypeError("learning.target_not_index", where=where, got=cls)
        index = int(cls)
        if not 0 <= index < len(row):
            raise LocalizedValueError("learning.target_range", where=where, last=len(row) - 1, got=cls)
        # log(Σ e^(x_i - m)) - (x_t - m): the shifted scores, both parts >= 0, so nothing
        # large cancels.  (log(Σ) + m - x_t lost the loss: at two logits of 1e300,
        # log 2 + 1e300 is 1e300, and 1e300 - 1e300 = 0, not log 2.)
        m = max(x.data for x in row)
        top = next(k for k, x in enumerate(row) if x.data == m)
        shifted = [x - m for x in row]
        total = shifted[0].exp()
        for d in shifted[1:]:
            total = total + d.exp()
        # Σ is 1 + (the other terms), and log(1 + small) needs log1p's accuracy: the
        # same constant correction as _log1p, from the other terms summed exactly.
        log_total = total.log()
        rest = math.fsum(math.exp(d.data) for k, d in enumerate(shifted) if k != top)
        correction = math.log1p(rest) - log_total.data
        if correction:
            log_total = log_total + correction
        terms.append(log_total - shifted[index])
    return _mean(terms)
