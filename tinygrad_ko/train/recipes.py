"""The training runs behind ``tinygrad-ko train``: data, model, loss, optimizer and the loop.

Four recipes, each deterministic for a given ``seed`` (data, initial weights
and mini-batches all come from it):

========  =====================================  ==============================================
data      model                                  loss and optimizer
========  =====================================  ==============================================
moons     ``nn.MLP(2, [16, 16, 1])`` (ReLU)       micrograd's demo: hinge + 1e-4·L2, SGD with
          on 100 points (100 more held out)      lr 1.0 − 0.9·k/steps, 100 full-batch steps
xor       ``nn.MLP(2, [8, 1])`` (ReLU)            binary cross-entropy (from logits), Adam 0.1
spiral    ``nn.MLP(2, [16, 3])`` (ReLU)           cross-entropy, Adam 0.05
digits    ``layers.TwoLayerNet(64, 50, 10)``      the book's §5.7 loop: mini-batches of 100,
                                                 SGD lr 0.1, gradient by backprop (numpy)
========  =====================================  ==============================================

The 2-D recipes train scalar :class:`~tinygrad_ko.Value` networks, one graph
per step over the whole training set; ``digits`` trains the book's numpy
layers.  Accuracy is the share of correctly classified points, on the
training set (훈련 데이터) after each step's forward pass, and on both sets at
the end; the held-out test set (시험 데이터) is never trained on.

>>> run = train("xor", steps=5, seed=0)
>>> len(run.losses), run.losses[-1] < run.losses[0]
(5, True)
"""

from __future__ import annotations

import gc
import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np

from .. import datasets, nn, optim
from ..engine import Value, is_grad_enabled
from ..layers import TwoLayerNet
from ..messages import LocalizedValueError, catalog, resolve_lang
from ..vectorize import vectorize

__all__ = ["DATASETS", "MAX_STEP_NODES", "RECIPES", "Recipe", "Run", "TrainingTooLargeError", "describe",
           "describe_plan", "parameter_count", "predict", "scores", "step_nodes", "train"]

#: The data sets ``train`` knows, in the order the command lists them.
DATASETS = ("moons", "spiral", "xor", "digits")


@dataclass(frozen=True)
class Recipe:
    """What a data set trains with by default (``steps``, ``lr``, ``hidden`` can be overridden)."""

    steps: int
    lr: float
    hidden: tuple[int, ...]


#: The defaults of each data set (the table in the module docstring says the rest).
RECIPES = {
    "moons": Recipe(100, 1.0, (16, 16)),
    "spiral": Recipe(100, 0.05, (16,)),
    "xor": Recipe(100, 0.1, (8,)),
    "digits": Recipe(2000, 0.1, (50,)),
}

#: micrograd demo's L2 regularisation strength for moons.
L2 = 1e-4
BATCH_SIZE = 100
#: The data sets ``train(..., batch=True)`` (``--batch``) can train through vectorize.
BATCH_DATASETS = ("moons", "spiral")
#: The most Values (or, with ``batch``, vectorize's array entries) one training step may hold at
#: once: about 1.5 GB at the ~300 bytes a scalar Value of a step's graph costs with its parents
#: tuple and gradient.  moons' default step holds some 70,000; ``hidden=(3000, 3000)`` would hold
#: 1.8 billion, which no machine here has the memory for.
MAX_STEP_NODES = 5_000_000


class TrainingTooLargeError(LocalizedValueError):
    """A training step whose graph would be larger than ``max_nodes`` (checked before it is built)."""


@dataclass
class Run:
    """A finished training run: the model, the data, and the curves."""

    dataset: str
    model: Any  # nn.MLP or layers.TwoLayerNet
    recipe: Recipe
    x_train: np.ndarray[Any, Any]
    t_train: np.ndarray[Any, Any]
    x_test: np.ndarray[Any, Any]
    t_test: np.ndarray[Any, Any]
    losses: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)  # on the training set (batch for digits), per step
    train_accuracy: float = 0.0
    test_accuracy: float = 0.0
    #: The step whose loss was not a finite number (inf or NaN), where the run stopped; the model and
    #: the curves are those of the steps before it.  None when training did not diverge.
    diverged_at: int | None = None
    diverged_loss: float | None = None
    #: True when ``stop()`` ended the run early (Ctrl-C in the command): ``len(losses)`` steps were done.
    interrupted: bool = False

    @property
    def classes(self) -> int:
        return int(max(self.t_train.max(), self.t_test.max())) + 1


def data(dataset: str, seed: int) -> tuple[datasets.Data, datasets.Data]:
    """The training and test sets of ``dataset``: ``(x_train, t_train), (x_test, t_test)``."""
    if dataset == "moons":
        return datasets.split(*datasets.moons(200, noise=0.1, seed=seed), test_fraction=0.5, seed=seed)
    if dataset == "xor":
        return datasets.split(*datasets.xor(200, noise=0.0, seed=seed), test_fraction=0.5, seed=seed)
    if dataset == "spiral":
        return datasets.split(*datasets.spiral(100, 3, seed=seed), test_fraction=0.2, seed=seed)
    if dataset == "digits":
        return datasets.split(*datasets.digits(), test_fraction=0.2, seed=seed)
    raise LocalizedValueError("train.unknown_dataset", dataset=dataset, choices=", ".join(DATASETS))


def predict(model: Any, x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The predicted class of each row of ``x`` (a 2-D set's MLP, or a TwoLayerNet).

    An MLP with one output predicts class 1 where its score is > 0; with
    several, the class of the largest score (see :func:`scores`).
    """
    classes: np.ndarray[Any, Any]
    if isinstance(model, TwoLayerNet):
        classes = np.argmax(model.predict(x), axis=1)
    else:
        out = scores(model, x)
        classes = (out > 0.0).astype(np.int64) if out.ndim == 1 else np.argmax(out, axis=1)
    return classes


def _parameters_word(parameters: str | None, lang: str | None, where: str) -> str:
    """The template that words a parameter count (``{n}``): ``parameters``, else the catalog's in ``lang``."""
    return catalog(resolve_lang(lang, where))["train.parameters"] if parameters is None else parameters


def parameter_count(model: Any) -> int:
    """How many numbers the model learns (an MLP's Values, or the entries of a TwoLayerNet's arrays)."""
    if isinstance(model, TwoLayerNet):
        return sum(int(p.size) for p in model.params.values())
    return len(model.parameters())


def describe(run: Run, parameters: str | None = None, *, lang: str | None = None) -> str:
    """One line naming the data, the model's shape and its parameter count, e.g.
    ``moons: MLP 2→16→16→1, 337 parameters``; ``parameters`` words the count (``{n}``), by default
    the catalog's ``train.parameters`` in ``lang`` (None: the session's language)."""
    parameters = _parameters_word(parameters, lang, "describe")
    model = run.model
    if isinstance(model, TwoLayerNet):
        name, sizes = "TwoLayerNet", [model.params["W1"].shape[0], *(model.params[k].shape[1] for k in ("W1", "W2"))]
    else:
        name, sizes = "MLP", [2, *(len(layer.neurons) for layer in model.layers)]
    count = parameters.format(n=f"{parameter_count(model):,}")
    return f"{run.dataset}: {name} {'→'.join(map(str, sizes))}, {count}"


# Inputs and outputs of each data set's model, for the header printed before training
# (``train`` builds the model from the data; tests check both agree).
_MODEL_ENDS = {"moons": (2, 1), "xor": (2, 1), "spiral": (2, 3), "digits": (64, 10)}


def describe_plan(dataset: str, hidden: Sequence[int] | None = None, parameters: str | None = None, *,
                  lang: str | None = None) -> str:
    """The line :func:`describe` gives for ``train(dataset, hidden=hidden)``'s run, before training it.

    >>> describe_plan("moons")
    'moons: MLP 2→16→16→1, 337 parameters'
    >>> describe_plan("moons", lang="ko")
    'moons: MLP 2→16→16→1, 매개변수 337개'
    """
    parameters = _parameters_word(parameters, lang, "describe_plan")
    if dataset not in RECIPES:
        raise LocalizedValueError("train.unknown_dataset", dataset=dataset, choices=", ".join(DATASETS))
    nin, nout = _MODEL_ENDS[dataset]
    layers = tuple(RECIPES[dataset].hidden if hidden is None else hidden)
    if dataset == "digits" and len(layers) != 1:  # no header for a model train() refuses
        raise LocalizedValueError("train.one_hidden_layer", got=",".join(map(str, layers)))
    sizes = [nin, *layers, nout]
    name = "TwoLayerNet" if dataset == "digits" else "MLP"
    count = sum((a + 1) * b for a, b in itertools.pairwise(sizes))  # weights and a bias per unit
    return f"{dataset}: {name} {'→'.join(map(str, sizes))}, {parameters.format(n=f'{count:,}')}"


def scores(model: nn.MLP, x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The MLP's outputs for each row of ``x`` as floats, shape ``(n,)`` for one output or ``(n, C)``.

    The model's graph is built once on one input Value per column and run over
    all the rows with :func:`~tinygrad_ko.vectorize` (one numpy call per node, not
    one graph per row): the same rules, so the same numbers (to the last bit for
    ``+ * relu``), which makes a fine decision-boundary grid cheap.
    """
    if not is_grad_enabled():  # inside no_grad() no graph can be traced: one forward pass per row
        rows = [model(row) for row in x.tolist()]
        return np.array([[v.data for v in r] if isinstance(r, list) else r.data for r in rows])
    inputs = [Value(0.0) for _ in range(x.shape[1])]
    out = model(inputs)
    columns = [x[:, k] for k in range(x.shape[1])]
    if isinstance(out, list):
        values: np.ndarray[Any, Any] = np.column_stack([vectorize(o, inputs)(*columns) for o in out])
        return values
    single: np.ndarray[Any, Any] = vectorize(out, inputs)(*columns)
    return single


def step_nodes(dataset: str, hidden: Sequence[int], samples: int, *, batch: bool = False) -> int:
    """About how many Values one training step of an MLP holds at once: the estimate the size guard uses.

    A neuron with ``nin`` inputs makes ``2·nin + 2`` Values per sample (a product and a sum per weight,
    the bias, the activation); the loss adds a few per output.  A scalar step builds that for every
    sample (plus moons' L2 term, two per parameter); a ``batch`` step traces one sample and holds an
    array entry per Value and per sample of a vectorize chunk.

    >>> step_nodes("moons", (16, 16), 100)
    68674
    """
    outputs = 3 if dataset == "spiral" else 1
    sizes = [2, *hidden, outputs]
    per_sample = sum(nout * (2 * nin + 2) for nin, nout in pairwise(sizes)) + 6 * outputs
    parameters = sum(nout * (nin + 1) for nin, nout in pairwise(sizes))
    if batch:
        from ..vectorize import DEFAULT_CHUNK_SIZE

        return per_sample * min(samples, DEFAULT_CHUNK_SIZE)
    return per_sample * samples + (2 * parameters if dataset == "moons" else 0)


class _Diverged(Exception):
    def __init__(self, step: int, loss: float) -> None:
        super().__init__(step, loss)
        self.step, self.loss = step, loss


class _Interrupted(Exception):
    pass


def _check_finite(step: int, loss: float) -> None:
    """Stop a run at the first step whose loss is inf or NaN: every later step would be NaN too."""
    if not math.isfinite(loss):
        raise _Diverged(step, loss)


def _class_of(out: Value | list[Value]) -> int:
    if isinstance(out, Value):
        return int(out.data > 0.0)
    scores = [v.data for v in out]
    return scores.index(max(scores))


def _accuracy(model: Any, x: np.ndarray[Any, Any], t: np.ndarray[Any, Any]) -> float:
    return float(np.mean(predict(model, x) == t))


OnStep = Callable[[int, Any, float, float], None]


def train(dataset: str, *, steps: int | None = None, lr: float | None = None,
          hidden: Sequence[int] | None = None, seed: int = 0, progress: bool = False,
          on_step: OnStep | None = None, batch: bool = False, on_start: Callable[[], None] | None = None,
          max_nodes: int = MAX_STEP_NODES, stop: Callable[[], bool] | None = None, lang: str | None = None) -> Run:
    """Train ``dataset``'s recipe and return the :class:`Run`.

    ``steps``, ``lr`` and ``hidden`` (hidden layer sizes; one for ``digits``)
    override the recipe's.  ``progress`` shows a tqdm bar with the loss and
    accuracy, worded in ``lang`` (None: the session's language).
    ``on_step(step, model, loss, accuracy)`` is called after each update (step
    counts from 1), e.g. to keep snapshots of the weights;
    ``on_start()`` once the arguments are checked and the data loaded, just before
    the first step (the command prints its header there).
    ``batch=True`` (moons and spiral) traces one sample's loss once and runs it
    over the training set with :func:`~tinygrad_ko.vectorize` at every step: the
    same recipe, the same starting weights and the same rules per sample.  What it
    promises: each step's gradient is the scalar loop's sum added in another order
    (numpy's), so one step from the same weights gives the same parameters to about
    1e-12 (``tests/test_train.py`` checks this over seeds and sizes).  What it does
    not: the same bits, and so not the same run forever; training can amplify a
    last-bit difference (a dead unit's bias whose exact gradient is 0 ends at ±1e-17,
    a unit on relu's kink), and then the runs drift apart (``moons --hidden 2,3
    --seed 35``: 87% and 86% after 40 steps; 17 of 18 runs in a sweep kept the same
    accuracy at every step).

    Before any graph is built, a step's size is estimated (:func:`step_nodes`); above ``max_nodes``
    (default :data:`MAX_STEP_NODES`) it is a :class:`TrainingTooLargeError` naming the estimate.
    A run whose loss becomes inf or NaN stops at that step (``Run.diverged_at``; the model and the
    curves are those of the finite steps).  ``stop()``, asked after each step, ends the run early
    when it returns True (``Run.interrupted``).
    """
    if dataset not in RECIPES:
        raise LocalizedValueError("train.unknown_dataset", dataset=dataset, choices=", ".join(DATASETS))
    if batch and dataset not in BATCH_DATASETS:
        raise LocalizedValueError("train.batch_datasets", choices=" and ".join(BATCH_DATASETS), dataset=dataset)
    recipe = RECIPES[dataset]
    steps = recipe.steps if steps is None else steps
    lr = recipe.lr if lr is None else lr
    sizes = tuple(recipe.hidden if hidden is None else hidden)
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0.0 < lr < float("inf"):
        raise LocalizedValueError("train.option_lr", got=lr)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise LocalizedValueError("train.option_steps", got=steps)
    if not sizes or any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in sizes):
        raise LocalizedValueError("train.option_hidden", got=hidden)
    if dataset == "digits" and len(sizes) != 1:
        raise LocalizedValueError("train.one_hidden_layer", got=",".join(map(str, sizes)))
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise LocalizedValueError("train.option_max_nodes", got=max_nodes)
    words = catalog(resolve_lang(lang, "train"))
    used = Recipe(steps, lr, sizes)
    (x_train, t_train), (x_test, t_test) = data(dataset, seed)
    if dataset != "digits":  # digits trains numpy arrays, no graph
        estimate = step_nodes(dataset, sizes, len(t_train), batch=batch)
        if estimate > max_nodes:
            shape = "→".join(map(str, [2, *sizes, 3 if dataset == "spiral" else 1]))
            key = ("train.too_large_batched" if batch else
                   "train.too_large_unbatched" if dataset in BATCH_DATASETS else "train.too_large")
            raise TrainingTooLargeError(key, shape=shape, points=len(t_train), estimate=estimate, limit=max_nodes)
    run = Run(dataset, None, used, x_train, t_train, x_test, t_test)
    if on_start is not None:
        on_start()
    from tqdm import tqdm

    with tqdm(total=steps, disable=not progress, desc=dataset, unit=words["train.progress_unit"], leave=False) as bar:
        def report(step: int, model: Any, loss: float, accuracy: float) -> None:
            run.losses.append(loss)
            run.accuracies.append(accuracy)
            figures = {words["train.progress_loss"]: f"{loss:.4f}", words["train.progress_accuracy"]: f"{accuracy:.1%}"}
            bar.set_postfix(figures, refresh=False)
            bar.update()
            if on_step is not None:
                on_step(step, model, loss, accuracy)
            if stop is not None and step < steps and stop():
                raise _Interrupted

        try:
            if dataset == "digits":
                _train_digits(run, seed, report)
            else:
                with _cyclic_gc_paused():
                    (_train_mlp_batch if batch else _train_mlp)(run, seed, report)
        except _Diverged as diverged:
            run.diverged_at, run.diverged_loss = diverged.step, diverged.loss
        except _Interrupted:
            run.interrupted = True
    run.train_accuracy = _accuracy(run.model, x_train, t_train)
    run.test_accuracy = _accuracy(run.model, x_test, t_test)
    return run


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block, then restore it (even on error).

    A step's graph is some 65,000 Values that the cyclic GC walks again and again
    while the step runs (a third of moons' training time) and never frees: a
    graph holds no reference cycles (a node refers only to its parents), so
    reference counting frees it the moment the step drops it.  Memory stays
    bounded; only garbage with cycles made meanwhile (by an ``on_step``
    callback, say) waits until the block ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _train_mlp(run: Run, seed: int, report: OnStep) -> nn.MLP:
    recipe = run.recipe
    outputs = 1 if run.dataset != "spiral" else run.classes
    model = run.model = nn.MLP(2, [*recipe.hidden, outputs], activation="relu", seed=seed)
    params = model.parameters()
    xs = run.x_train.tolist()  # Python floats: the fast path of Value's operators
    labels = run.t_train.tolist()
    if run.dataset == "moons":
        optimizer: optim.Optimizer = optim.SGD(params, lr=recipe.lr)
        signs = [2.0 * t - 1.0 for t in labels]  # hinge wants -1/+1
    else:
        optimizer = optim.Adam(params, lr=recipe.lr)
    for k in range(recipe.steps):
        scores = [model(x) for x in xs]
        if run.dataset == "moons":
            # micrograd's demo: max-margin loss, L2 on every weight, lr from 1.0 down to 0.1.
            loss = nn.hinge(scores, signs) + L2 * _sum_of_squares(params)  # type: ignore[arg-type]
            optimizer.lr = recipe.lr * (1.0 - 0.9 * k / recipe.steps)
        elif run.dataset == "xor":
            loss = nn.binary_cross_entropy_with_logits(scores, labels)  # type: ignore[arg-type]
        else:
            loss = nn.cross_entropy(scores, labels)  # type: ignore[arg-type]
        _check_finite(k + 1, loss.data)
        accuracy = sum(_class_of(s) == t for s, t in zip(scores, labels, strict=True)) / len(labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        report(k + 1, model, loss.data, accuracy)
        # Free this step's graph now, not when the next step's is already built:
        # two live graphs double what the cyclic GC walks.
        del scores, loss
    return model


def _train_mlp_batch(run: Run, seed: int, report: OnStep) -> nn.MLP:
    """:func:`_train_mlp`'s recipe with one traced graph per sample run over the whole training set.

    The graph of one sample's loss term (times 1/n, as the mean scales it) has the
    features and the label as vectorize's input columns and the model's Values as
    its parameters, so ``f.backward`` adds to each ``.grad`` the gradient of the
    mean loss.  The scalar recipe subtracts each sample's largest score in
    cross_entropy as a constant; here that constant is a column too, computed
    from this step's scores.  Moons' L2 term is a small scalar graph of the
    parameters, backpropagated after the batch.
    """
    recipe = run.recipe
    outputs = 1 if run.dataset != "spiral" else run.classes
    model = run.model = nn.MLP(2, [*recipe.hidden, outputs], activation="relu", seed=seed)
    params = model.parameters()
    n = len(run.t_train)
    mean = 1.0 / n if n > 1 else 1.0  # nn's _mean: (sum of terms) * (1/n)
    x = [Value(0.0, label="x1"), Value(0.0, label="x2")]
    out = model(x)
    score_values = out if isinstance(out, list) else [out]
    score_fns = [vectorize(s, x) for s in score_values]
    columns = [run.x_train[:, 0], run.x_train[:, 1]]
    labels = run.t_train
    if run.dataset == "moons":
        optimizer: optim.Optimizer = optim.SGD(params, lr=recipe.lr)
        y = Value(0.0, label="y")  # the label as -1/+1, as hinge wants
        term = (1.0 - y * score_values[0]).relu()
        inputs, label_columns = [*x, y], [2.0 * labels - 1.0]
    else:
        optimizer = optim.Adam(params, lr=recipe.lr)
        # The label one-hot, one column per class, picks row[index] exactly (it adds only 0·s and 1·s);
        # m is the sample's largest score, as in nn.cross_entropy.
        onehot = [Value(0.0, label=f"t{c}") for c in range(outputs)]
        m = Value(0.0, label="m")
        total = (score_values[0] - m).exp()
        for s in score_values[1:]:
            total = total + (s - m).exp()
        picked = onehot[0] * score_values[0]
        for t, s in zip(onehot[1:], score_values[1:], strict=True):
            picked = picked + t * s
        term = total.log() - (picked - m)  # nn.cross_entropy's order: nothing large cancels
        inputs, label_columns = [*x, *onehot, m], [(labels == c).astype(np.float64) for c in range(outputs)]
    loss_fn = vectorize(term * mean, inputs)
    for k in range(recipe.steps):
        score_columns = np.column_stack([f(*columns) for f in score_fns])
        if run.dataset == "moons":
            classes = (score_columns[:, 0] > 0.0).astype(np.int64)
            extra = label_columns
            optimizer.lr = recipe.lr * (1.0 - 0.9 * k / recipe.steps)
        else:
            classes = np.argmax(score_columns, axis=1)  # the first largest, as _class_of
            extra = [*label_columns, score_columns.max(axis=1)]
        optimizer.zero_grad()
        loss = float(np.sum(loss_fn.backward(*columns, *extra)))
        if run.dataset == "moons":
            l2 = L2 * _sum_of_squares(params)
            l2.backward()
            loss += l2.data
        _check_finite(k + 1, loss)  # before the update, which would make the parameters NaN
        accuracy = float(np.mean(classes == labels))
        optimizer.step()
        report(k + 1, model, loss, accuracy)
    return model


def _sum_of_squares(params: list[Value]) -> Value:
    total = params[0] * params[0]
    for p in params[1:]:
        total = total + p * p
    return total


def _train_digits(run: Run, seed: int, report: OnStep) -> TwoLayerNet:
    """The book's §5.7 loop (train_neuralnet.py): a random mini-batch, backprop, ``W -= lr·grad``."""
    recipe = run.recipe
    net = run.model = TwoLayerNet(run.x_train.shape[1], recipe.hidden[0], run.classes, seed=seed)
    rng = np.random.default_rng(seed)
    batch = min(BATCH_SIZE, len(run.x_train))
    for k in range(recipe.steps):
        mask = rng.choice(len(run.x_train), batch)
        x_batch, t_batch = run.x_train[mask], run.t_train[mask]
        grad = net.gradient(x_batch, t_batch)
        loss = net.last_layer.loss  # gradient() ran the forward pass on this batch
        _check_finite(k + 1, float(loss))  # type: ignore[arg-type]
        accuracy = float(np.mean(np.argmax(net.last_layer.y, axis=1) == t_batch))  # type: ignore[arg-type]
        for key in ("W1", "b1", "W2", "b2"):
            net.params[key] -= recipe.lr * grad[key]
        report(k + 1, net, float(loss), accuracy)  # type: ignore[arg-type]
    return net
