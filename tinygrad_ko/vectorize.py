"""vectorize(): trace a scalar graph once, run it over whole batches with numpy.

A model written with scalar :class:`~tinygrad_ko.Value` s is a graph you can see
node by node.  :func:`vectorize` turns that graph into a flat program (a list of
instructions over numbered slots, in topological order) and runs it on columns
of numbers: every slot holds one number per sample, so each instruction is one
numpy call over the whole batch instead of one Python call per sample.

>>> import numpy as np
>>> from tinygrad_ko import Value, vectorize
>>> x, w = Value(0.0, label="x"), Value(3.0, label="w")
>>> f = vectorize((w * x + 1.0).relu(), [x])     # x takes one value per sample; w is a parameter
>>> f(np.array([-1.0, 0.0, 2.0]))
array([0., 1., 7.])
>>> f.grad(np.array([-1.0, 0.0, 2.0]))           # d output / d x, per sample
(array([0., 3., 3.]),)
>>> f.backward(np.array([-1.0, 0.0, 2.0]))       # w.grad += d sum(outputs) / d w
array([0., 1., 7.])
>>> w.grad
2.0

**One rule per op.**  The program reads every op's forward and local-derivative
rule from :mod:`tinygrad_ko.ops`, for the kind of number :data:`ARRAYS` (numpy
float64 arrays): nothing here knows what an op computes.  A node that does not
depend on the inputs (it is made of parameters and constants only) holds one
Python float for the whole batch and runs the float rules, exactly as
``backward()`` does.

**Domain errors raise, as the scalar engine does.**  When an op is undefined for
some sample (``log`` of a number <= 0, division by zero, ``exp`` overflow, ...)
the call raises the exception the scalar engine raises for that sample, with the
same message, naming the first such sample: ``log: input must be greater than 0,
got -1.0 (...) [sample 3 of 10]``.  No partial result is returned and no
``.grad`` is changed.  The check costs one reduction per checked op: numpy
computes the batch with IEEE arithmetic, and only samples whose result is not
finite are handed to the scalar rule, which decides (an ``inf`` that the scalar
engine also gives, such as ``exp(inf)``, passes).

**Numbers.**  ``+ - * /`` and comparisons are IEEE 754 in numpy as in Python, so
they give the same bits.  numpy's ``exp``, ``log``, ``tanh`` and ``power`` are
its own SIMD code, not the C library's that :mod:`math` calls: on an AVX-512
machine (numpy 2.4, 200,000 random arguments each) they differ from :mod:`math`
by at most 1 ulp for exp, log and power and 3 ulps for tanh, on a few percent
of arguments (tanh: about half of them in [-1, 1]).  ``sigmoid`` is built on ``exp``.  Sums over the batch (the
parameters' gradients) are added in a different order than n separate
``backward()`` calls add them.  So results equal the scalar engine's to within a
few ulps of each node, as amplified by the graph; ``tests/test_vectorize.py``
derives the bound it checks.
"""

from __future__ import annotations

import math
import operator
import threading
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from .engine import Value, _as_float, _backward_lock
from .graph import topological_order
from .messages import DEFAULT_LANG, LocalizedError, LocalizedTypeError, LocalizedValueError
from .messages.catalogs import format_message
from .ops import FLOATS, Kind, Op

__all__ = ["ARRAYS", "Vectorized", "vectorize"]

Array = npt.NDArray[np.float64]

#: Samples run through the program at a time (at most): the memory the program
#: holds is about (arrays in use at once) x (this) x 8 bytes, whatever the batch
#: size.  Longer chunks pay less Python per sample; past ~8,000 they gain little
#: (measured on the W8 MLP) and numpy's BLAS may run a dot product of more than
#: 10,000 numbers on several threads, which on a busy machine cost far more than
#: they save (a 16,384-sample chunk ran 10x slower in a trial on 2 shared CPUs).
DEFAULT_CHUNK_SIZE = 8192

#: Batch sizes whose array views a Vectorized keeps (the most recent ones).  A
#: size's views are one small object per slot; kept for every size ever seen,
#: a loop over n = 1 ... 4000 held hundreds of MB.
_VIEW_SIZES = 8


# -- the kind of number: numpy float64 arrays ------------------------------------------

def _first_failing_sample(result: Any, scalar_rule: Callable[..., float], operands: tuple[Any, ...]) -> None:
    """Raise the scalar engine's error for the first sample whose result is not finite and where it raises.

    Only called when the batch holds a non-finite result.  Each distinct
    combination of operands is tried once (a batch of NaNs is one call).
    """
    shape = np.shape(result)
    candidates = np.flatnonzero(~np.isfinite(result))
    columns = [np.broadcast_to(np.asarray(x, dtype=np.float64), shape).ravel()[candidates] for x in operands]
    bits = np.stack([c.view(np.int64) for c in columns], axis=1)
    _, first = np.unique(bits, axis=0, return_index=True)
    for position in np.sort(first):
        args = [float(c[position]) for c in columns]
        try:
            scalar_rule(*args)
        except (ArithmeticError, ValueError) as error:
            sample = int(candidates[position])
            failure = _at_sample(error, "vectorize.at_sample", sample=sample)
            # Read by Vectorized, which renumbers the sample within the whole batch.
            failure.vectorize_sample = sample  # type: ignore[attr-defined]
            failure.vectorize_error = error  # type: ignore[attr-defined]
            raise failure from None


def _at_sample(error: BaseException, key: str, **where: int) -> BaseException:
    """``error`` again, of its type, naming the sample it came from (``key``: ``vectorize.at_sample[_of]``)."""
    if isinstance(error, LocalizedError):
        return type(error)(key, error=error, **where)
    # Not one of ours (numpy's or Python's own): its English text, numbered the same way.
    return type(error)(format_message(key, DEFAULT_LANG, error=error, **where))


def _checked(array_rule: Callable[..., Any], scalar_rule: Callable[..., float]) -> Callable[..., Any]:
    """``array_rule`` (a numpy computation with ``out=``) that raises where ``scalar_rule`` would."""

    def rule(*operands: Any, out: Array | None = None) -> Any:
        result = array_rule(*operands, out=out)
        # One reduction decides for the whole batch: a sum is finite only if every
        # element is (a sum that overflows merely sends us to the exact check).
        if not math.isfinite(np.add.reduce(result, axis=None)):
            _first_failing_sample(result, scalar_rule, operands)
        return result

    rule.__name__ = getattr(scalar_rule, "__name__", "rule").lstrip("_")
    rule.__doc__ = f"numpy form of the float rule {rule.__name__}; raises for a sample where it raises."
    return rule


def _sigmoid(x: Any, out: Array | None = None) -> Any:
    # The float rule's two branches, chosen per sample: exp() only ever sees -|x|,
    # so nothing overflows, and each branch is the same expression as for floats.
    e = np.exp(-np.abs(x))
    return np.divide(np.where(x >= 0.0, 1.0, e), 1.0 + e, out=out)


def _relu(x: Any, out: Array | None = None) -> Any:
    # maximum(x, 0.0) is the float rule's `0.0 if x <= 0.0 else x` bit for bit:
    # NaN passes through and -0.0 becomes 0.0.
    return np.maximum(x, 0.0, out=out)


def _step(x: Any) -> Any:
    # heaviside(x, 0.0): 1 above 0, 0 at or below 0, NaN for NaN, as the float rule.
    return np.heaviside(x, 0.0)


def _power(x: Any, y: Any, out: Array | None = None) -> Any:
    """``np.power`` with C99's (and Python's) answers where numpy's exponent-0.5 path differs.

    numpy computes ``x ** 0.5`` as ``sqrt(x)``, which gives ``-0.0`` at ``-0.0`` and NaN at
    ``-inf``; ``pow`` gives ``0.0`` and ``inf``, and so does the scalar engine.  Every other
    exponent agrees with ``math.pow`` on the special values (zeros, infinities, NaN, 5e-324).
    """
    result = np.power(x, y, out=out)
    half = np.equal(y, 0.5)
    if half.any():
        result = np.asarray(result)
        both = np.broadcast_to(half, result.shape)
        base = np.broadcast_to(x, result.shape)
        np.copyto(result, np.inf, where=both & (base == -np.inf))
        np.copyto(result, 0.0, where=both & (base == 0.0))
    return result


def _untyped(ufunc: Any) -> Callable[..., Any]:
    """A numpy ufunc as the kind's protocol sees it (numpy's stubs type it far more narrowly)."""
    return cast(Callable[..., Any], ufunc)


class _Arrays:
    """The kind for numpy float64 arrays (:data:`ARRAYS`): what the op table's rules need beyond arithmetic.

    The forward functions accept ``out=`` (the program's preallocated buffers)
    and raise where the float rules raise; the derivative functions are numpy's
    IEEE 754 arithmetic.  Call them inside ``np.errstate(all="ignore")`` to
    silence numpy's warnings for the values that then raise or turn into NaN
    (the program does).
    """

    name = "numpy array"
    nan = math.nan
    data = staticmethod(lambda v: v)
    where = staticmethod(_untyped(np.where))
    div = staticmethod(_checked(np.divide, FLOATS.div))
    pow = staticmethod(_checked(_power, FLOATS.pow))
    exp = staticmethod(_checked(np.exp, FLOATS.exp))
    log = staticmethod(_checked(np.log, FLOATS.log))
    relu = staticmethod(_relu)
    sigmoid = staticmethod(_sigmoid)
    tanh = staticmethod(_untyped(np.tanh))
    ieee_div = staticmethod(_untyped(np.divide))
    ieee_pow = staticmethod(_power)
    ieee_log = staticmethod(_untyped(np.log))
    step = staticmethod(_step)


#: The kind for numpy float64 arrays, the one :func:`vectorize` runs the op table's rules on.
ARRAYS: Kind = _Arrays()

# Python's arithmetic operators (the rules for + - * and unary -) spelled as numpy
# ufuncs, which can write into a preallocated buffer.
_UFUNCS: dict[Callable[..., Any], Callable[..., Any]] = {
    operator.add: np.add, operator.sub: np.subtract, operator.mul: np.multiply, operator.neg: np.negative,
}
_WRITES_INTO_OUT = {*_UFUNCS.values(), ARRAYS.div, ARRAYS.pow, ARRAYS.exp, ARRAYS.log, ARRAYS.relu,
                    ARRAYS.sigmoid, ARRAYS.tanh}


class _Probe(np.ndarray):
    """An array that notes whether a rule reads it: any numpy operation on it, or being returned."""

    read = False

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return getattr(ufunc, method)(*_plain(inputs), **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return func(*_plain(args), **dict(zip(kwargs, _plain(tuple(kwargs.values())), strict=True)))


def _plain(values: tuple[Any, ...]) -> list[Any]:
    plain = []
    for v in values:
        if isinstance(v, _Probe):
            v.read = True
            v = v.view(np.ndarray)
        plain.append(v)
    return plain


def _inspect_local(rule: Callable[..., Any], arity: int) -> tuple[float | None, tuple[bool, ...]]:
    """What a local-derivative rule does with its arguments (the inputs, then the output).

    Returns the number it gives whatever its arguments (add's 1.0), or None; and,
    per argument, whether it reads it.  Found by calling the rule once on probe
    arrays: the program then skips the call of a constant rule (and, for 1.0, the
    multiplication), and keeps for the reverse pass only the values rules read.
    """
    probes = [np.array([0.25 + k]).view(_Probe) for k in range(arity + 1)]
    with np.errstate(all="ignore"):
        result = rule(*probes)
    for probe in probes:
        if result is probe:
            probe.read = True
    reads = tuple(probe.read for probe in probes)
    if isinstance(result, (int, float)) and not isinstance(result, bool):
        return float(result), reads
    return None, reads


ArrayRules = tuple[Callable[..., Any], tuple[tuple[Callable[..., Any], float | None, tuple[bool, ...]], ...]]
_ARRAY_RULES: dict[str, ArrayRules] = {}


def _array_rules(op: Op) -> ArrayRules:
    """An op's rules for arrays, made and inspected once per op (by name: hashing an Op hashes its
    functions): the forward function (a ufunc for + - * and unary -), and per input its
    local-derivative function with what :func:`_inspect_local` found."""
    rules = _ARRAY_RULES.get(op.name)
    if rules is None:
        forward = op.forward_for(ARRAYS)
        locals_ = tuple((rule, *_inspect_local(rule, op.arity)) for rule in op.local_for(ARRAYS))
        rules = _ARRAY_RULES[op.name] = (_UFUNCS.get(forward, forward), locals_)
    return rules


def _describe(obj: object) -> str:
    text = repr(obj)
    return f"{text[:37]}... ({type(obj).__name__})" if len(text) > 40 else f"{text} ({type(obj).__name__})"


# -- the program ---------------------------------------------------------------------------

# Forward instructions: (code, function, out slot, a slot, b slot or -1).
_ARRAY_OP, _ARRAY_CALL = 0, 1
# Backward instructions, see Vectorized._compile_backward.
(_ASSIGN_LOCAL, _ADD_LOCAL, _SUM_LOCAL, _ASSIGN_SCALED, _ADD_SCALED, _SUM_SCALED, _FLOAT_LOCAL,
 _END) = range(8)


class Vectorized:
    """A traced graph, ready to run over batches: ``f(*columns)``, ``f.grad(...)``, ``f.backward(...)``.

    Made by :func:`vectorize`.  ``inputs`` are the leaves that take one value per
    sample (in column order), ``parameters`` the other leaves that require
    grad: their ``.data`` is read at every call, and :meth:`backward` adds to
    their ``.grad``.  Calls are serialised by a lock (the buffers are shared).
    """

    def __init__(self, output: Value, inputs: Sequence[Value], chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        nodes = topological_order(output)
        nodes.reverse()  # inputs first: each node after its parents
        index = {node: i for i, node in enumerate(nodes)}
        self.inputs: tuple[Value, ...] = tuple(inputs)
        self._input_slots = [index.get(x, -1) for x in self.inputs]
        is_input = set(self._input_slots)
        varying = [False] * len(nodes)
        parameters: list[int] = []
        self._constants: list[tuple[int, float]] = []  # captured now: constants are constants
        # Nodes made of parameters and constants only never depend on an input, so
        # they all run first, on floats; then the array ops run.
        self._float_forward: list[tuple[Callable[..., Any], int, int, int]] = []
        self._forward: list[tuple[int, Callable[..., Any], int, int, int]] = []
        self._parents: list[tuple[int, ...]] = []
        # The float operands of array ops, also held as 0-d arrays (a box per slot, at
        # index len(nodes) + k): numpy takes a Python float operand about 2 µs slower
        # per call, which at ~600 calls per batch is most of a small batch's time.
        self._boxes: list[tuple[int, int, Array]] = []
        self._array_args = [(-1, -1)] * len(nodes)
        boxed: dict[int, int] = {}

        def box(slot: int) -> int:
            if varying[slot]:
                return slot
            if slot not in boxed:
                boxed[slot] = len(nodes) + len(self._boxes)
                self._boxes.append((slot, boxed[slot], np.zeros(())))
            return boxed[slot]

        for i, node in enumerate(nodes):
            op = node._op
            if op is None:
                self._parents.append(())
                if i in is_input:
                    varying[i] = True
                elif node.requires_grad:
                    parameters.append(i)
                else:
                    self._constants.append((i, node.data))
                continue
            slots = tuple(index[p] for p in node.parents)
            self._parents.append(slots)
            a, b = slots[0], slots[1] if len(slots) == 2 else -1
            varying[i] = any(varying[s] for s in slots)
            if not varying[i]:
                self._float_forward.append((op.forward, i, a, b))
                continue
            a, b = box(a), b if b < 0 else box(b)
            self._array_args[i] = (a, b)
            rule = _array_rules(op)[0]
            code = _ARRAY_OP if rule in _WRITES_INTO_OUT else _ARRAY_CALL
            self._forward.append((code, rule, i, a, b))
        self._nodes = nodes
        self._varying = varying
        self._plan_value_arrays(is_input)
        self._parameter_slots = parameters
        self.parameters: tuple[Value, ...] = tuple(nodes[i] for i in parameters)
        self._root = len(nodes) - 1
        self._chunk_size = chunk_size
        # The reused arrays (see _workspace), made at the first call.
        self._capacity = 0
        self._value_arrays: list[Any] = []
        self._adjoint_arrays: list[Array] = []
        self._scratch: Array = np.empty(0)
        self._views: dict[int, tuple[list[Any], list[Array], Array]] = {}
        self._backward_programs: dict[tuple[Any, ...], tuple[list[tuple[Any, ...]], int]] = {}
        self._lock = threading.Lock()

    def _plan_value_arrays(self, inputs: set[int]) -> None:
        """Give each varying slot an array, sharing arrays between values that are never needed together.

        A value is kept to the end of the forward pass if it is an input, the
        output, or an argument some local-derivative rule reads in the reverse
        pass (probed, see :func:`_inspect_local`); any other value lives only
        until its last consumer has run, and its array then serves a later node.
        In an MLP that drops the add chains and products of every neuron: the
        arrays in use at once, and with them the memory and the cache traffic,
        fall from one per node to about one per neuron.
        """
        nodes, varying = self._nodes, self._varying
        kept = [varying[i] and (i in inputs or i == len(nodes) - 1) for i in range(len(nodes))]
        uses = [0] * len(nodes)
        for i, slots in enumerate(self._parents):
            if not varying[i] or not slots:
                continue
            op = nodes[i]._op
            assert op is not None
            for s in slots:
                uses[s] += 1
            arguments = (*slots, i)
            for position, parent in enumerate(slots):
                if nodes[parent].requires_grad:
                    _, _, reads = _array_rules(op)[1][position]
                    for argument, read in zip(arguments, reads, strict=True):
                        kept[argument] = kept[argument] or (read and varying[argument])
        array_of = [-1] * len(nodes)
        free: list[int] = []
        count = 0

        def take() -> int:
            nonlocal count
            if free:
                return free.pop()
            count += 1
            return count - 1

        for i in sorted(inputs - {-1}):
            array_of[i] = take()
        for code, _, o, a, b in self._forward:
            if code == _ARRAY_OP:
                array_of[o] = take()  # before the operands are let go: out never overlaps an input
            for s in (a,) if b < 0 else (a, b):
                if s < len(nodes) and varying[s]:
                    uses[s] -= 1
                    if uses[s] == 0 and not kept[s] and array_of[s] >= 0:
                        free.append(array_of[s])
        self._array_of = array_of
        self._array_count = count

    def __repr__(self) -> str:
        ops = sum(1 for node in self._nodes if node._op is not None)
        return (f"<vectorized graph: {ops} ops, {len(self.inputs)} inputs, "
                f"{len(self.parameters)} parameters, {len(self._constants)} constants>")

    # -- the public calls -------------------------------------------------------------
    def __call__(self, *columns: Any) -> Array:
        """The output for every sample, shape (n,): one column per input, in the order given to vectorize.

        A column is a 1-D array of numbers (all the same length n) or a single
        number, used for every sample.
        """
        return self._run(columns, mode="")[0]

    def grad(self, *columns: Any) -> tuple[Array, ...]:
        """Per-sample d output / d input for every input, each shape (n,); no ``.grad`` is touched.

        An input the output does not depend on, or a leaf with
        ``requires_grad=False`` (which ``backward()`` never differentiates
        toward), gets zeros.
        """
        return self._run(columns, mode="grad")[1]

    def backward(self, *columns: Any) -> Array:
        """Add to each parameter's ``.grad`` the gradient of the sum of the n outputs; return the outputs.

        The same as building the n scalar graphs, adding their outputs and
        calling ``backward()`` on the sum (batch training with the scalar
        model's own parameters).  Inputs' ``.grad`` are not touched.  If an op
        fails for some sample, no ``.grad`` changes.
        """
        outputs, _, sums = self._run(columns, mode="backward")
        # Under backward()'s lock, as the scalar engine adds: two threads adding into a shared
        # parameter would otherwise lose contributions.  Every new gradient is computed before
        # any is written, so a failure (a .grad someone set to a non-number) changes none.
        # requires_grad is read now, not at tracing: a parameter frozen since gets nothing.
        with _backward_lock:
            params = [self._nodes[slot] for slot in self._parameter_slots]
            totals = [p.grad + total for p, total in zip(params, sums, strict=True)]
            for p, total in zip(params, totals, strict=True):
                if p._requires_grad:
                    p.grad = total
        return outputs

    # -- checking the columns -------------------------------------------------------------
    def _columns(self, columns: Sequence[Any]) -> tuple[list[Array | float], int]:
        if len(columns) != len(self.inputs):
            names = ", ".join(x.label or f"input {k}" for k, x in enumerate(self.inputs)) or "none"
            raise LocalizedTypeError("vectorize.column_count", expected=len(self.inputs), names=names, got=len(columns))
        checked: list[Array | float] = []
        n = -1
        for k, column in enumerate(columns):
            place = {"k": k, "name": self.inputs[k].label or k}
            if isinstance(column, Value):
                raise LocalizedTypeError("vectorize.column_value", **place)
            if isinstance(column, np.ma.MaskedArray):
                # np.asarray would drop the mask and compute the hidden values as if they were data.
                raise LocalizedTypeError("vectorize.column_masked", **place)
            try:
                array = np.asarray(column)
            except Exception as error:  # ragged lists and the like
                raise LocalizedValueError("vectorize.column_not_numbers", **place, error=error) from None
            if array.dtype.kind == "O":  # Python ints beyond int64 (2**70), Fractions, ...: as Value() takes them
                what = f"column {k} (input {place['name']})"
                array = np.array([_as_float(v, what) for v in array.ravel()], dtype=np.float64).reshape(array.shape)
            if array.dtype.kind not in "iuf":
                key = {"b": "vectorize.column_bool", "c": "vectorize.column_complex", "U": "vectorize.column_text",
                       "S": "vectorize.column_text"}.get(array.dtype.kind, "vectorize.column_dtype")
                raise LocalizedTypeError(key, **place, dtype=array.dtype)
            if array.ndim == 0:
                checked.append(float(array))
                continue
            if array.ndim != 1:
                raise LocalizedValueError("vectorize.column_ndim", **place, shape=array.shape)
            if n >= 0 and array.shape[0] != n:
                lengths = [np.shape(c)[0] if np.ndim(c) == 1 else "a number" for c in columns]
                raise LocalizedValueError("vectorize.column_lengths", lengths=lengths)
            n = array.shape[0]
            checked.append(array.astype(np.float64, copy=False))
        return checked, max(n, 1) if n < 0 else n

    # -- running ------------------------------------------------------------------------------
    def _workspace(self, size: int, adjoints: int) -> tuple[list[Any], list[Array], Array]:
        """The arrays for a chunk of ``size`` samples: one per varying slot, ``adjoints`` gradient arrays
        (the first all ones) and a scratch array; allocated once at the largest chunk size and reused
        by every call (a shorter chunk uses views of the same memory)."""
        if size > self._capacity or adjoints > len(self._adjoint_arrays):
            capacity = max(size, self._capacity)
            if capacity != self._capacity:
                arrays = [np.empty(capacity) for _ in range(self._array_count)]
                self._value_arrays = [arrays[k] if k >= 0 else None for k in self._array_of]
                self._value_arrays += [None] * len(self._boxes)
                self._adjoint_arrays = []
                self._scratch = np.empty(capacity)
            self._adjoint_arrays += [np.empty(capacity) for _ in range(adjoints - len(self._adjoint_arrays))]
            self._adjoint_arrays[0].fill(1.0)  # the seed: d(sum of outputs) / d(each output) = 1
            self._capacity = capacity
            self._views.clear()
        views = self._views.get(size)
        if views is None or len(views[1]) < adjoints:
            if len(self._views) >= _VIEW_SIZES:
                del self._views[next(iter(self._views))]  # the oldest size
            if size == self._capacity:
                views = (self._value_arrays, self._adjoint_arrays, self._scratch)
            else:
                views = ([None if a is None else a[:size] for a in self._value_arrays],
                         [a[:size] for a in self._adjoint_arrays], self._scratch[:size])
            self._views[size] = views
        return views

    def _check_constants(self) -> None:
        """Refuse a call after a constant leaf was given ``requires_grad = True`` (its value was captured)."""
        for slot, _ in self._constants:
            node = self._nodes[slot]
            if node._requires_grad:
                raise LocalizedValueError("vectorize.constant_traced", name=node.label or repr(node.data))

    def _run(self, columns: Sequence[Any], mode: str) -> tuple[Array, tuple[Array, ...], list[float]]:
        self._check_constants()
        checked, n = self._columns(columns)
        with self._lock, np.errstate(all="ignore"):
            outputs = np.empty(n)
            grads = tuple(np.zeros(n) for _ in self.inputs) if mode == "grad" else ()
            sums = [0.0] * len(self._parameter_slots)
            program: list[tuple[Any, ...]] = []
            adjoints = 1
            if mode:
                program, adjoints = self._backward_program(mode)
            # Chunks of equal length (10,000 samples at 8,192: two of 5,000, not 8,192 + 1,808).
            chunks = -(-n // self._chunk_size)
            step = -(-n // chunks) if n else 1
            for start in range(0, n, step):
                stop = min(start + step, n)
                arrays, gradient_arrays, scratch = self._workspace(stop - start, adjoints)
                try:
                    values = self._run_forward(arrays, checked, start, stop)
                except (ArithmeticError, ValueError) as error:
                    if getattr(error, "vectorize_sample", None) is None:
                        raise
                    raise self._first_failure(error, checked, start, n, adjoints) from None
                root = values[self._root]
                outputs[start:stop] = root
                if mode:
                    gradients, scalars = self._run_backward(program, gradient_arrays, scratch, values, stop - start)
                    if mode == "grad":
                        for grad, slot in zip(grads, self._input_slots, strict=True):
                            if slot >= 0 and gradients[slot] is not None:
                                grad[start:stop] = gradients[slot]
                    else:
                        for k, slot in enumerate(self._parameter_slots):
                            sums[k] += scalars[slot]
        return outputs, grads, sums

    def _first_failure(self, error: BaseException, columns: list[Array | float], start: int, n: int,
                       adjoints: int) -> BaseException:
        """The error a loop over the samples would raise: that of the first sample that fails at any op.

        ``error`` names the first sample failing at the first op that fails for some
        sample; an earlier sample may still fail at a later op.  So the samples before
        it run again, until a prefix runs clean: each retry is shorter than the last.
        """
        sample: int = error.vectorize_sample  # type: ignore[attr-defined]
        while sample > 0:
            arrays = self._workspace(sample, adjoints)[0]
            try:
                self._run_forward(arrays, columns, start, start + sample)
            except (ArithmeticError, ValueError) as earlier:
                if getattr(earlier, "vectorize_sample", None) is None:
                    return earlier
                error, sample = earlier, earlier.vectorize_sample  # type: ignore[union-attr]
                continue
            break
        return _at_sample(getattr(error, "vectorize_error", error), "vectorize.at_sample_of",
                          sample=start + sample, n=n)

    def _run_forward(self, arrays: list[Any], columns: list[Array | float], start: int, stop: int) -> list[Any]:
        values = arrays[:]  # the reused arrays, then the numbers of the other slots
        for slot, column in zip(self._input_slots, columns, strict=True):
            if slot >= 0:
                # Copied into the program's own array: contiguous, and the caller's is never written.
                values[slot][...] = column if isinstance(column, float) else column[start:stop]
        for slot, number in self._constants:
            values[slot] = number
        nodes = self._nodes
        for slot in self._parameter_slots:
            values[slot] = nodes[slot].data  # read at every call: optimizer steps are seen
        for fn, o, a, b in self._float_forward:  # the float rules, as in the scalar engine
            values[o] = fn(values[a]) if b < 0 else fn(values[a], values[b])
        for slot, k, box in self._boxes:
            box[()] = values[slot]
            values[k] = box
        for code, fn, o, a, b in self._forward:
            if code == _ARRAY_OP:
                if b < 0:
                    fn(values[a], out=values[o])
                else:
                    fn(values[a], values[b], out=values[o])
            else:  # an array rule that makes its own result
                values[o] = fn(values[a]) if b < 0 else fn(values[a], values[b])
        return values

    # -- backward -------------------------------------------------------------------------
    def _backward_program(self, mode: str) -> tuple[list[tuple[Any, ...]], int]:
        # Keyed by the inputs' requires_grad as they are now: grad() reads the flags at call time.
        key = (mode, *(x._requires_grad for x in self.inputs)) if mode == "grad" else (mode,)
        program = self._backward_programs.get(key)
        if program is None:
            program = self._backward_programs[key] = self._compile_backward(mode)
        return program

    def _compile_backward(self, mode: str) -> tuple[list[tuple[Any, ...]], int]:
        """The reverse pass as instructions, with each node's gradient array chosen once, here.

        Which nodes need a gradient: the targets (inputs that require grad for
        ``grad``, parameters for ``backward``) and every op node with a parent
        that needs one; nothing flows toward constants.  A varying node's
        gradient is an array (``g``, one number per sample); a node made of
        parameters and constants only has one number for the whole batch, so
        what flows into it is summed over the samples (``dot(local, g)``).

        Arrays are planned, not allocated, per node: a node that receives a
        single contribution ``1.0 * g`` (most add nodes) shares the array of the
        node that gives it; other nodes get an array from a pool that takes back
        each node's array once the node has passed its gradient on.  Only a
        node's own array is ever written, so sharing is safe.  Returns the
        instructions and how many gradient arrays they use.
        """
        nodes, parents, varying = self._nodes, self._parents, self._varying
        if mode == "grad":
            targets = {s for s, x in zip(self._input_slots, self.inputs, strict=True) if s >= 0 and x.requires_grad}
        else:
            targets = set(self._parameter_slots)
        needs = [False] * len(nodes)
        for i, slots in enumerate(parents):
            needs[i] = i in targets or any(needs[s] for s in slots)
        incoming = [0] * len(nodes)
        for i, slots in enumerate(parents):
            if needs[i]:
                for s in slots:
                    incoming[s] += needs[s]
        program: list[tuple[Any, ...]] = []
        buffer_of = [-1] * len(nodes)
        users: dict[int, int] = {}  # array -> nodes still holding it
        free: list[int] = []
        count = 1  # array 0 is the seed, all ones, never written
        received = [0] * len(nodes)
        root = self._root
        if not needs[root]:
            return program, count
        buffer_of[root] = 0
        users[0] = 1

        def new_buffer() -> int:
            nonlocal count
            if free:
                return free.pop()
            count += 1
            return count - 1

        for v in range(len(nodes) - 1, -1, -1):
            slots = parents[v]
            if not needs[v] or not slots:
                continue
            op = nodes[v]._op
            assert op is not None
            pair = (slots[0], slots[1] if len(slots) == 2 else -1)  # float operands
            if not varying[v]:
                for position, p in enumerate(slots):
                    if needs[p]:
                        local = op.local_x if position == 0 else op.local_y
                        program.append((_FLOAT_LOCAL, local, v, p, *pair))
                continue
            g = buffer_of[v]
            pair = self._array_args[v]  # the same operands as arrays (floats in 0-d boxes)
            rules = _array_rules(op)[1]
            for position, p in enumerate(slots):
                if not needs[p]:
                    continue
                rule, constant, _ = rules[position]
                if not varying[p]:
                    if constant is not None:
                        program.append((_SUM_SCALED, constant, g, p))
                    else:
                        program.append((_SUM_LOCAL, rule, g, p, v, *pair))
                    continue
                first = received[p] == 0
                received[p] += 1
                if first and constant == 1.0 and incoming[p] == 1:
                    buffer_of[p] = g  # p's gradient is g itself: share the array
                    users[g] += 1
                    continue
                if first:
                    buffer_of[p] = new_buffer()
                    users[buffer_of[p]] = 1
                target = buffer_of[p]
                if constant is not None:
                    program.append((_ASSIGN_SCALED if first else _ADD_SCALED, constant, g, target))
                else:
                    program.append((_ASSIGN_LOCAL if first else _ADD_LOCAL, rule, g, target, v, *pair))
            users[g] -= 1
            if users[g] == 0 and g != 0:
                free.append(g)
        program.append((_END, buffer_of))
        return program, count

    def _run_backward(self, program: list[tuple[Any, ...]], arrays: list[Array], scratch: Array,
                      values: list[Any], size: int) -> tuple[list[Any], list[float]]:
        """Run the reverse pass of one chunk: the gradient array of every varying node that needs one,
        and the batch-summed gradient of every node made of parameters and constants."""
        scalars = [0.0] * len(values)
        if not self._varying[self._root]:
            scalars[self._root] = float(size)  # n equal outputs: the sum's gradient is n per output's
        multiply, add, dot, total = np.multiply, np.add, np.dot, np.add.reduce
        for instruction in program:
            code = instruction[0]
            if code <= _ADD_LOCAL:  # a local derivative that reads the node: local * g into an array
                _, rule, g, target, v, a, b = instruction
                local = rule(values[a], values[v]) if b < 0 else rule(values[a], values[b], values[v])
                if code == _ASSIGN_LOCAL:
                    multiply(local, arrays[g], out=arrays[target])
                else:
                    multiply(local, arrays[g], out=scratch)
                    add(arrays[target], scratch, out=arrays[target])
            elif code == _SUM_LOCAL:  # ... summed over the batch into a node made of parameters
                _, rule, g, p, v, a, b = instruction
                local = rule(values[a], values[v]) if b < 0 else rule(values[a], values[b], values[v])
                if isinstance(local, np.ndarray) and local.ndim == 1:
                    scalars[p] += float(dot(local, arrays[g]))
                else:
                    scalars[p] += float(local) * float(total(arrays[g]))
            elif code == _ASSIGN_SCALED:  # a local derivative that is a number (add's 1, sub's -1)
                _, constant, g, target = instruction
                multiply(constant, arrays[g], out=arrays[target])
            elif code == _ADD_SCALED:
                _, constant, g, target = instruction
                if constant == 1.0:
                    add(arrays[target], arrays[g], out=arrays[target])
                else:
                    multiply(constant, arrays[g], out=scratch)
                    add(arrays[target], scratch, out=arrays[target])
            elif code == _SUM_SCALED:
                _, constant, g, p = instruction
                scalars[p] += constant * float(total(arrays[g]))
            elif code == _FLOAT_LOCAL:  # between nodes made of parameters: the float rules, as backward()
                _, local_rule, v, p, a, b = instruction
                local = local_rule(values[a], values[v]) if b < 0 else local_rule(values[a], values[b], values[v])
                scalars[p] += local * scalars[v]
            else:  # _END: the last instruction names each node's array
                buffer_of = instruction[1]
                return [arrays[k] if k >= 0 else None for k in buffer_of], scalars
        return [None] * len(values), scalars


def vectorize(output: Value, inputs: Sequence[Value], *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Vectorized:
    """Trace the graph of ``output`` once into a program that runs it over batches of samples.

    ``inputs`` are leaves of the graph that take one value per sample: the
    program's columns, in this order.  Every other leaf that requires grad is a
    parameter, read at each call (so after ``optimizer.step()`` the next call
    sees the new weights, without tracing again); leaves that do not require
    grad (the ``2`` in ``x * 2``) are constants, captured now.  Samples run
    ``chunk_size`` at a time, which bounds the memory the program holds.

    >>> import numpy as np
    >>> from tinygrad_ko import Value, vectorize
    >>> x1, x2 = Value(0.0, label="x1"), Value(0.0, label="x2")
    >>> f = vectorize(x1 * x2 + x1, [x1, x2])
    >>> f(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    array([ 4., 10.])
    >>> f.grad(np.array([1.0, 2.0]), 3.0)          # a number is used for every sample
    (array([4., 4.]), array([1., 2.]))
    """
    if not isinstance(output, Value):
        key = "vectorize.output_list" if isinstance(output, (list, tuple)) else "vectorize.output_not_value"
        raise LocalizedTypeError(key, got=_describe(output))
    if isinstance(inputs, Value) or not isinstance(inputs, (list, tuple)):
        raise LocalizedTypeError("vectorize.inputs_type", got=_describe(inputs))
    seen: set[Value] = set()
    for k, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise LocalizedTypeError("vectorize.input_not_value", k=k, got=_describe(x))
        if x._op is not None:
            raise LocalizedValueError("vectorize.input_not_leaf", k=k, label=x.label or "no label", op=x.op)
        if x in seen:
            raise LocalizedValueError("vectorize.input_twice", k=k, label=x.label or "no label")
        seen.add(x)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise LocalizedValueError("vectorize.chunk_size", got=chunk_size)
    return Vectorized(output, inputs, chunk_size)
