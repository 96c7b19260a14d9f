"""Value: one node of the computational graph (계산 그래프).

A :class:`Value` holds a number (``data``), the gradient that backpropagation
leaves on it (``grad``), an optional ``label``, and how it was made: the op
(``op``) and the input nodes (``parents``).  Arithmetic on Values records the
graph; :meth:`Value.backward` walks it once in topological order and applies the
chain rule (연쇄법칙) using the local derivatives from :mod:`tinygrad_ko.ops`.

Design notes (why it looks the way it does):

* A node refers only to its parents, never to a closure or its children, so a
  graph has no reference cycles and is freed by reference counting alone.
* ``__slots__`` and two parent slots instead of a tuple keep a node to one
  garbage-collected object: that is most of the speed and memory per node.
* ``backward()`` walks only the nodes that pass a gradient on (those with an
  op); leaves are collected, not ordered.  The walk marks nodes with a token
  per walk (the ``_mark`` slot) instead of filling a set as big as the graph.
* The operator methods are generated from the op table, so each op's forward
  rule and local derivatives live in one place.
* A number operand is a constant: a leaf with ``requires_grad == False``.  No
  gradient is written into it and no local derivative is computed toward it, and
  an op whose inputs are all constants records no node (as in PyTorch).
* ``backward()`` calls are serialised by one lock (two threads whose graphs share
  leaves would otherwise race on the walk marks and on ``grad +=``), and a pass
  that fails part way leaves every gradient as it was before the pass.
"""

from __future__ import annotations

import numbers
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Union

from . import ops
from .graph import backward_order, zero_grad
from .messages import LocalizedTypeError, LocalizedValueError
from .ops import OPS, Op

__all__ = ["Value", "is_grad_enabled", "no_grad"]

#: What may stand on the other side of an operator with a Value.
Operand = Union["Value", float]

_grad_enabled: ContextVar[bool] = ContextVar("tinygrad_ko_grad_enabled", default=True)
# False until the first no_grad() block is entered anywhere in the process, and
# never False again: until then no context can hold grad-disabled, so the per-op
# hot path skips reading the context variable.  A count of *open* blocks would be
# wrong: a context copied inside a block (contextvars.copy_context, an asyncio task)
# keeps grad disabled after the block has closed.
_no_grad_entered = False

# One backward() at a time in the whole process (see the module notes).
_backward_lock = threading.Lock()

_new = object.__new__

# The ops whose local derivatives backward() writes out inline, and the formulas
# it writes (∂out/∂x, ∂out/∂y), which must be the op table's: a test checks both
# the formulas and the numbers, so a change to ops.py cannot go unnoticed here.
_ADD, _MUL = ops.ADD, ops.MUL
_INLINED_LOCALS: dict[Op, tuple[str, str]] = {_ADD: ("1", "1"), _MUL: ("y", "x")}


def _describe(obj: object) -> str:
    text = repr(obj)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{text} ({type(obj).__name__})"


def _as_float(obj: object, where: str) -> float:
    """Convert an accepted number to a Python float, or raise a learner-readable error.

    Accepted: int, float, and numpy real scalars and 0-d arrays (any
    ``numbers.Real`` except bool).  ``where`` names the call, e.g. ``"Value()"``.
    """
    if type(obj) is float:
        return obj
    if isinstance(obj, bool) or type(obj).__name__ == "bool_":
        raise LocalizedTypeError("engine.not_real_bool", where=where, got=_describe(obj))
    if isinstance(obj, (str, bytes)):
        example = f"float({obj!r})" if len(obj) < 30 else "float(...)"
        raise LocalizedTypeError("engine.not_real_text", where=where, got=_describe(obj), example=example)
    if obj is None:
        raise LocalizedTypeError("engine.not_real_none", where=where, got=_describe(obj))
    if isinstance(obj, complex) or type(obj).__name__.startswith("complex"):
        raise LocalizedTypeError("engine.not_real_complex", where=where, got=_describe(obj))
    if isinstance(obj, numbers.Real):
        try:
            return float(obj)
        except OverflowError:
            digits = str(obj)
            shown = digits if len(digits) <= 24 else f"{digits[:20]}... ({len(digits)} digits)"
            raise LocalizedValueError("engine.too_large", where=where, shown=shown) from None
    if hasattr(obj, "ndim") and hasattr(obj, "dtype"):  # a numpy array, without importing numpy
        shape = getattr(obj, "shape", "?")
        if obj.ndim == 0 and getattr(obj.dtype, "kind", "") in "iuf":
            return _as_float(obj.item(), where)  # type: ignore[attr-defined]
        if obj.ndim == 0:
            raise LocalizedTypeError("engine.not_real_array0", where=where, got=_describe(obj), dtype=obj.dtype)
        raise LocalizedTypeError("engine.not_real_array", where=where, got=_describe(obj), shape=shape)
    if isinstance(obj, (list, tuple, set, frozenset, dict)):
        raise LocalizedTypeError("engine.not_real_container", where=where, got=_describe(obj))
    raise LocalizedTypeError("engine.not_real_other", where=where, got=_describe(obj))


def _constant(data: float) -> Value:
    """A leaf for a float operand (``2.0 * x``), made without ``__init__``'s checks.

    W2-style code (``y * 1.0001 + 0.5``) makes one of these per op, so they take
    the same direct path as op nodes.
    """
    leaf = _new(Value)
    leaf.data = data
    leaf.grad = 0.0
    leaf.label = ""
    leaf._mark = None
    leaf._requires_grad = False
    leaf._op = leaf._a = leaf._b = None
    return leaf


def _recorded(op: Op, data: float, a: Value, b: Value | None = None) -> Value:
    """A node of ``op`` over ``a`` (and ``b``) holding ``data`` as given, recorded as an operator records.

    For :mod:`tinygrad_ko.functional`, whose derivative graphs hold DIV/POW/LOG
    nodes with the IEEE value (``inf``/``nan``) where the forward rule would
    raise.  Not on the operators' path: they build their nodes inline.
    """
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._mark = None
    if (a._requires_grad or (b is not None and b._requires_grad)) and not (
            _no_grad_entered and not _grad_enabled.get()):
        out._requires_grad = True
        out._op = op
        out._a = a
        out._b = b
    else:
        out._requires_grad = False
        out._op = out._a = out._b = None
    return out


def _operand(other: object, symbol: str) -> Value:
    """The Value for the non-Value side of an operator (a number becomes a leaf)."""
    if isinstance(other, Value):
        return other
    return _constant(_as_float(other, f"Value {symbol} ..."))


def _defers_to_other(other: object) -> bool:
    """True for arrays and unknown types, whose own reflected operator should run.

    numpy arrays then broadcast: ``np.array([1., 2.]) * Value(3)`` is an object
    array holding one Value per element (numpy's own rule for Python objects).
    """
    if isinstance(other, (numbers.Number, str, bytes, list, tuple, set, frozenset, dict)) or other is None:
        return False
    return getattr(other, "ndim", 0) != 0 or not hasattr(other, "ndim")


def _binary_method(op: Op, reflected: bool = False) -> Callable[[Value, Operand], Value]:
    """Build ``Value.__add__`` and friends from the op table entry ``op``."""
    forward = op.forward

    def method(self: Value, other: Operand) -> Value:
        if type(other) is not Value:
            if type(other) is float:  # the common case (2.0 * x): skip the checks below
                other = _constant(other)
            elif _defers_to_other(other):
                return NotImplemented  # type: ignore[no-any-return]
            else:
                other = _operand(other, op.symbol)
        # Two plain assignments, not `x, y = (..) if .. else (..)`: that form
        # builds a tuple on every op.
        if reflected:
            x = other
            y = self
        else:
            x = self
            y = other
        out = _new(Value)
        out.data = forward(x.data, y.data)  # computed first: a failed op leaves no node behind
        out.grad = 0.0
        out.label = ""
        out._mark = None
        if (x._requires_grad or y._requires_grad) and not (_no_grad_entered and not _grad_enabled.get()):
            out._requires_grad = True
            out._op = op
            out._a = x
            out._b = y
        else:  # constants only, or inside no_grad(): a constant result, no graph
            out._requires_grad = False
            out._op = out._a = out._b = None
        return out

    method.__name__ = f"__r{op.name}__" if reflected else f"__{op.name}__"
    # Python names the function in argument errors (pow(x, 2, 5)): say Value.__pow__.
    method.__qualname__ = f"Value.{method.__name__}"
    expression = f"other {op.symbol} self" if reflected else f"self {op.symbol} other"
    method.__doc__ = f"``{expression}``: the {op.name_en} ({op.name_ko})."
    return method


def _unary_method(op: Op, name: str = "") -> Callable[[Value], Value]:
    """Build ``Value.relu`` and friends (or the method ``name``) from the op table entry ``op``."""
    forward = op.forward

    def method(self: Value) -> Value:
        out = _new(Value)
        out.data = forward(self.data)
        out.grad = 0.0
        out.label = ""
        out._mark = None
        out._b = None
        if self._requires_grad and not (_no_grad_entered and not _grad_enabled.get()):
            out._requires_grad = True
            out._op = op
            out._a = self
        else:
            out._requires_grad = False
            out._op = out._a = None
        return out

    method.__name__ = name or op.name
    method.__qualname__ = f"Value.{method.__name__}"
    method.__doc__ = f"``{op.symbol}(self)``: the {op.name_en} ({op.name_ko}); local derivative {op.local_formula[0]}."
    return method


class Value:
    """A scalar in a computational graph: data, gradient, and how it was made.

    >>> apple, n, tax = Value(100, label="apple"), Value(2, label="n"), Value(1.1, label="tax")
    >>> price = apple * n * tax
    >>> price.backward()
    >>> price.data, apple.grad, n.grad, tax.grad
    (220.00000000000003, 2.2, 110.00000000000001, 200.0)
    """

    __slots__ = ("__weakref__", "_a", "_b", "_mark", "_op", "_requires_grad", "data", "grad", "label")

    data: float
    grad: float
    label: str
    _op: Op | None
    _a: Value | None
    _b: Value | None
    _mark: object  # set by graph.backward_order, read by nothing else
    _requires_grad: bool

    def __init__(self, data: float, label: str = "", *, requires_grad: bool = True) -> None:
        """Make a leaf node holding ``data`` as a Python float.

        ``data`` may be an int, a float, or a numpy real scalar or 0-d array;
        anything else (bool, str, None, complex, lists, n-d arrays) raises
        TypeError, and an int too large for a float raises ValueError.
        ``requires_grad=False`` makes a constant: backpropagation passes it by.

        >>> x, c = Value(2.0), Value(3.0, requires_grad=False)
        >>> y = x * c
        >>> y.backward()
        >>> x.grad, c.grad, c.requires_grad
        (3.0, 0.0, False)
        """
        if not isinstance(label, str):
            raise LocalizedTypeError("engine.label_type", got=_describe(label))
        if not isinstance(requires_grad, bool):
            raise LocalizedTypeError("engine.requires_grad_arg", got=_describe(requires_grad))
        self.data = _as_float(data, "Value()")
        self.grad = 0.0
        self.label = label
        self._op = None
        self._a = None
        self._b = None
        self._mark = None
        self._requires_grad = requires_grad

    # -- what the node is -------------------------------------------------
    @property
    def op(self) -> str:
        """The name of the op that made this node (``"mul"``, ``"relu"``, ...), or ``""`` for a leaf."""
        return "" if self._op is None else self._op.name

    @property
    def requires_grad(self) -> bool:
        """Whether backpropagation computes a gradient for this node (PyTorch's name).

        True for a Value you make (an input) and for every node computed from one;
        False for a constant: a number operand (the ``2`` in ``x * 2``), a
        ``Value(v, requires_grad=False)``, or a result computed from constants only
        or inside :func:`no_grad`.  Only a leaf's flag can be changed.
        """
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if not isinstance(flag, bool):
            raise LocalizedTypeError("engine.requires_grad_type", got=_describe(flag))
        if self._op is not None:
            raise LocalizedValueError("engine.requires_grad_leaf", op=self.op)
        self._requires_grad = flag

    @property
    def parents(self) -> tuple[Value, ...]:
        """The input nodes in argument order: ``(a * b).parents == (a, b)``; ``()`` for a leaf."""
        if self._a is None:
            return ()
        if self._b is None:
            return (self._a,)
        return (self._a, self._b)

    def __float__(self) -> float:
        """The data as a plain float, so that ``float(v)`` works: **the result is not in the graph**.

        Python's :mod:`math` functions call this, so ``math.exp(v)`` returns a float
        and no gradient flows back through it.  Use the Value's own methods
        (``v.exp()``, ``v.log()``, ``v.sqrt()``, ``abs(v)``) to stay in the graph.

        >>> import math
        >>> x = Value(0.0)
        >>> math.exp(x), x.exp()
        (1.0, Value(data=1.0, grad=0.0, label='', op='exp'))
        """
        return self.data

    def item(self) -> float:
        """The data as a plain float (PyTorch's ``tensor.item()``); like ``float(v)``, not in the graph."""
        return self.data

    def detach(self) -> Value:
        """A new constant leaf holding the same data (PyTorch's ``detach()``): the graph stops here.

        >>> x = Value(3.0)
        >>> y = x * x.detach()     # d y/d x is 3, not 6: the second factor is a constant
        >>> y.backward(); x.grad
        3.0
        """
        return _constant(self.data)

    def sqrt(self) -> Value:
        """``self ** 0.5``: the square root, recorded as a power node (local derivative 0.5·x^-0.5).

        >>> x = Value(4.0)
        >>> y = x.sqrt(); y.backward(); y.data, x.grad
        (2.0, 0.25)
        """
        return self ** 0.5

    def __abs__(self) -> Value:
        """``abs(v)`` = ``relu(v) + relu(-v)``: recorded with ReLU nodes, so its slope at 0 is 0 (PyTorch's).

        >>> x = Value(-3.0)
        >>> y = abs(x); y.backward(); y.data, x.grad
        (3.0, -1.0)
        """
        return self.relu() + (-self).relu()

    # -- comparisons: compare the data and give a bool (no graph, nothing to differentiate) --
    # ``==`` is deliberately left as identity: nodes are dict keys and set members in
    # every graph walk, which a data-comparing ``==`` (and the missing hash) would break.
    def _compared(self, other: object, symbol: str) -> float:
        if isinstance(other, Value):
            return other.data
        return _as_float(other, f"Value {symbol} ...")

    def __lt__(self, other: Operand) -> bool:
        """``v < other`` compares ``data`` (a Value or a number) and gives a bool; ``==`` is identity."""
        return self.data < self._compared(other, "<")

    def __le__(self, other: Operand) -> bool:
        """``v <= other`` compares ``data`` and gives a bool."""
        return self.data <= self._compared(other, "<=")

    def __gt__(self, other: Operand) -> bool:
        """``v > other`` compares ``data`` and gives a bool: ``if v > 0:`` works as in PyTorch."""
        return self.data > self._compared(other, ">")

    def __ge__(self, other: Operand) -> bool:
        """``v >= other`` compares ``data`` and gives a bool."""
        return self.data >= self._compared(other, ">=")

    def __repr__(self) -> str:
        return f"Value(data={self.data!r}, grad={self.grad!r}, label={self.label!r}, op={self.op!r})"

    # -- operators: generated from the op table -----------------------------
    __add__ = _binary_method(ops.ADD)
    __radd__ = _binary_method(ops.ADD, reflected=True)
    __sub__ = _binary_method(ops.SUB)
    __rsub__ = _binary_method(ops.SUB, reflected=True)
    __mul__ = _binary_method(ops.MUL)
    __rmul__ = _binary_method(ops.MUL, reflected=True)
    __truediv__ = _binary_method(ops.DIV)
    __rtruediv__ = _binary_method(ops.DIV, reflected=True)
    __pow__ = _binary_method(ops.POW)
    __rpow__ = _binary_method(ops.POW, reflected=True)
    __neg__ = _unary_method(ops.NEG, "__neg__")
    relu = _unary_method(ops.RELU)
    sigmoid = _unary_method(ops.SIGMOID)
    tanh = _unary_method(ops.TANH)
    exp = _unary_method(ops.EXP)
    log = _unary_method(ops.LOG)

    # -- backpropagation (역전파) -------------------------------------------
    def backward(self, grad: float = 1.0) -> None:
        """Backpropagate from this node: add d(self)/d(node) * grad to every node's ``grad``.

        The graph is ordered once, iteratively (no recursion limit), and each
        node passes its gradient to its parents through the op's local
        derivatives: ``parent.grad += local * node.grad`` (the chain rule).
        Constants (``requires_grad == False``) receive nothing.  Gradients
        accumulate across calls, as in PyTorch; use :meth:`zero_grad` to start
        again.  A ``grad`` set to ``None`` (PyTorch's way to clear it) counts as 0.
        Calls from several threads are serialised; if a pass fails part way, every
        gradient is left as it was before the pass.
        """
        seed = _as_float(grad, "backward(grad=...)")
        if not self._requires_grad:
            raise LocalizedValueError("engine.backward_constant")
        with _backward_lock:
            order, leaves = backward_order(self)
            # The loop below uses an op node's grad as this pass's upstream gradient,
            # and adds each contribution into the parents' grad, so every node must
            # start the pass at 0.  Gradients left by an earlier pass are set aside and
            # added back at the end: each pass adds its own total, as in PyTorch
            # (calling backward twice doubles, never squares).  A fresh graph (the
            # common case) pays one comparison a node for the check (a plain loop:
            # cheaper than any(map(attrgetter("grad"), ...)) here).  ``!= 0.0`` also
            # catches ``p.grad = None``, PyTorch's way to clear a gradient
            # (zero_grad(set_to_none=True)): it is set aside as 0, no gradient yet.
            carried = False
            for node in order:
                if node.grad != 0.0:
                    carried = True
                    break
            else:
                for node in leaves:
                    if node.grad != 0.0:
                        carried = True
                        break
            if carried:
                nodes = order + leaves
                earlier = [0.0 if node.grad is None else node.grad for node in nodes]
                for node in nodes:
                    node.grad = 0.0
            try:
                self.grad += seed
                for node in order:
                    g = node.grad
                    op: Op = node._op  # type: ignore[assignment]  # every node in order has an op
                    a: Value = node._a  # type: ignore[assignment]  # ... and a first parent
                    b = node._b
                    # add and mul, most of every graph, with their local derivatives
                    # written out (no call): _INLINED_LOCALS pins these lines to the
                    # op table, and tests/test_engine.py checks the two agree.
                    if op is _MUL:
                        if a._requires_grad:
                            a.grad += b.data * g  # type: ignore[union-attr]  # mul has two inputs
                        if b._requires_grad:  # type: ignore[union-attr]
                            b.grad += a.data * g  # type: ignore[union-attr]
                    elif op is _ADD:
                        if a._requires_grad:
                            a.grad += g
                        if b._requires_grad:  # type: ignore[union-attr]
                            b.grad += g  # type: ignore[union-attr]
                    elif b is None:
                        if a._requires_grad:
                            a.grad += op.local_x(a.data, node.data) * g
                    else:
                        # No local derivative toward a constant: x ** 2 at x = -3 takes no log.
                        if a._requires_grad:
                            a.grad += op.local_x(a.data, b.data, node.data) * g
                        if b._requires_grad:
                            b.grad += op.local_y(a.data, b.data, node.data) * g  # type: ignore[misc]
            except BaseException:
                # Failure atomicity: put back what the earlier passes left (0 on a fresh graph).
                if carried:
                    for node, before in zip(nodes, earlier, strict=True):
                        node.grad = before
                else:
                    for node in order + leaves:
                        node.grad = 0.0
                raise
            if carried:
                for node, before in zip(nodes, earlier, strict=True):
                    node.grad += before

    def zero_grad(self) -> None:
        """Set ``grad`` to 0.0 on this node and on every node it depends on."""
        zero_grad(self)

    # -- copying and saving ------------------------------------------------------
    # Python's own copy and pickle recurse through the parents, which fails a few
    # hundred nodes deep; these walk the graph once, iteratively, and keep sharing:
    # a node used twice is copied once.

    def __copy__(self) -> Value:
        """A new node with the same data, grad, label, op and the *same* parents."""
        twin = _new(Value)
        for slot in _STATE_SLOTS:
            setattr(twin, slot, getattr(self, slot))
        twin._mark = None
        return twin

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        """A copy of the whole graph this node depends on (sharing kept; ``memo`` as in :mod:`copy`).

        The walk stops at nodes ``memo`` already holds, so copying a list of related
        nodes (a chain's every node) copies each node once, in time linear in the graph.
        """
        for node in _inputs_first(self, lambda node: id(node) in memo):
            twin = _new(Value)
            twin.data, twin.grad, twin.label = node.data, node.grad, node.label
            twin._requires_grad, twin._op, twin._mark = node._requires_grad, node._op, None
            twin._a = None if node._a is None else memo[id(node._a)]
            twin._b = None if node._b is None else memo[id(node._b)]
            memo[id(node)] = twin
            memo.setdefault(id(memo), []).append(node)  # keep node alive while memo lives (copy's rule)
        copied: Value = memo[id(self)]
        return copied

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as a place in a table of records, inputs first (leaves as themselves, so shared).

        Loading a pickle runs code named in it: unpickle only data you trust (see
        :meth:`tinygrad_ko.nn.Module.state_dict` for a JSON-safe way to share weights).
        """
        if self._op is None:
            return _leaf, (self.data, self.grad, self.label, self._requires_grad)
        return _in_table, _table_place(self)


def is_grad_enabled() -> bool:
    """False inside a :func:`no_grad` block of the current thread or task."""
    return _grad_enabled.get()


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block, ops compute values but record no graph (results are leaves).

    The setting is context-local (``contextvars``): another thread or asyncio task
    does not see it.  Blocks nest.

    >>> x = Value(3.0)
    >>> with no_grad():
    ...     y = x * 2
    >>> y.parents, y.op
    ((), '')
    """
    global _no_grad_entered
    _no_grad_entered = True  # from now on the hot path reads the context variable
    token = _grad_enabled.set(False)
    try:
        yield
    finally:
        _grad_enabled.reset(token)


_STATE_SLOTS = ("data", "grad", "label", "_requires_grad", "_op", "_a", "_b")


def _leaf(data: float, grad: float, label: str, requires_grad: bool) -> Value:
    """Unpickle a leaf (its data checked as Value() checks it)."""
    if type(grad) is not float or type(label) is not str or type(requires_grad) is not bool:
        raise LocalizedValueError("engine.unpickle_leaf", grad=type(grad).__name__, label=type(label).__name__,
                                   requires_grad=type(requires_grad).__name__)
    leaf = Value(data, label, requires_grad=requires_grad)
    leaf.grad = grad
    return leaf


def _inputs_first(root: Value, known: Callable[[Value], bool]) -> list[Value]:
    """The nodes ``root`` depends on that are not ``known``, inputs first; the walk stops at known nodes.

    Iterative (no recursion limit); each node is expanded once, so the cost is that of the new nodes.
    """
    order: list[Value] = []
    done: set[Value] = set()
    stack = [root]
    while stack:
        node = stack[-1]
        if node in done or known(node):
            stack.pop()
            continue
        pending = [p for p in (node._b, node._a) if p is not None and p not in done and not known(p)]
        if pending:
            stack.extend(pending)  # _a on top: inputs in argument order
            continue
        stack.pop()
        done.add(node)
        order.append(node)
    return order


class _Table:
    """The records of the op nodes of one pickle dump: every Value in a dump points into these tables.

    Pickling ``[n0, n1, ..., n1999]`` (a chain's every node) used to write each node's
    whole graph again, quadratic in size and time, and loaded nodes shared between two
    roots as two copies.  Now the first op node pickled writes its graph's records in a
    table; a later node already in a table is just its place there, and a later graph
    names the nodes an earlier table holds as (table, place).  Pickle's memo writes each
    table once per dump, so each node is written once and loads as one object.
    Leaves are records as themselves, shared by pickle's memo with any other container.
    """

    __slots__ = ("__weakref__", "nodes", "records")

    def __init__(self, records: list[Any], nodes: list[Value]) -> None:
        self.records = records
        self.nodes = nodes

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild_table, (self.records,)


# Per thread: the tables made while pickling, by id of each node they hold.  A table
# lives as long as the pickle dump that holds it in its memo; entries of dead tables
# are dropped when the next dump starts.
_tables = threading.local()


def _table_place(root: Value) -> tuple[_Table, int]:
    """The table holding ``root`` (made now, with the nodes no live table holds yet) and its place there."""
    index: dict[int, tuple[weakref.ref[_Table], int]] = getattr(_tables, "index", {})
    if not any(ref() is not None for ref, _ in index.values()):
        index = _tables.index = {}  # the previous dump is over: forget it

    def held(node: Value) -> tuple[_Table, int] | None:
        entry = index.get(id(node))
        table = None if entry is None else entry[0]()
        # A live table keeps its nodes alive, so their ids cannot have been reused.
        return None if table is None or table.nodes[entry[1]] is not node else (table, entry[1])  # type: ignore[index]

    found = held(root)
    if found is not None:
        return found
    new = _inputs_first(root, lambda node: node._op is None or held(node) is not None)
    table = _Table([], [])
    ref = weakref.ref(table)
    place: dict[Value, int] = {}

    def slot(node: Value) -> int:
        if node not in place:  # a leaf, or a node of an earlier table
            earlier = held(node)
            table.records.append(node if earlier is None else earlier)
            place[node] = len(table.nodes)
            table.nodes.append(node)
        return place[node]

    for node in new:
        a = slot(node._a)  # type: ignore[arg-type]  # op nodes have _a
        b = -1 if node._b is None else slot(node._b)
        table.records.append((node._op.name, a, b, node.data, node.grad, node.label))  # type: ignore[union-attr]
        place[node] = len(table.nodes)
        table.nodes.append(node)
        index[id(node)] = (ref, place[node])
    return table, place[root]


def _in_table(table: _Table, place: int) -> Value:
    """Unpickle an op node: its place in a table."""
    if not isinstance(table, _Table) or type(place) is not int or not 0 <= place < len(table.nodes):
        raise LocalizedValueError("engine.unpickle_place")
    return table.nodes[place]


def _rebuild_table(records: list[Any]) -> _Table:
    """Unpickle a table written by :class:`_Table`."""
    nodes = _rebuild_nodes(records)
    return _Table([], nodes)


def _rebuild(records: list[Any]) -> Value:
    """Unpickle a graph written by earlier versions' :meth:`Value.__reduce__`: the last record is the root."""
    return _rebuild_nodes(records)[-1]


def _rebuild_nodes(records: list[Any]) -> list[Value]:
    """The nodes the records describe, each checked: a record that makes no sense is a ValueError."""
    if type(records) is not list or not records:
        raise LocalizedValueError("engine.unpickle_records", got=type(records).__name__)
    nodes: list[Value] = []
    for i, record in enumerate(records):
        if isinstance(record, Value):
            nodes.append(record)
            continue
        if type(record) is tuple and len(record) == 2:
            nodes.append(_in_table(*record))
            continue
        problem = _bad_record(record, len(nodes), i)
        if problem is not None:
            raise problem
        name, a, b, data, grad, label = record
        node = _new(Value)
        node.data, node.grad, node.label, node._mark = data, grad, label, None
        node._requires_grad, node._op = True, OPS[name]
        node._a = nodes[a]
        node._b = None if b < 0 else nodes[b]
        nodes.append(node)
    return nodes


def _bad_record(record: Any, known: int, i: int) -> LocalizedValueError | None:
    """What is wrong with op node record ``i`` (``known`` nodes come before it), or None."""
    if type(record) is not tuple or len(record) != 6:
        return LocalizedValueError("engine.record_fields", i=i)
    name, a, b, data, grad, label = record
    if type(name) is not str or name not in OPS:
        return LocalizedValueError("engine.record_op", i=i, name=name)
    arity = OPS[name].arity
    for position in (a, b) if arity == 2 else (a,):
        if type(position) is not int or not 0 <= position < known:
            return LocalizedValueError("engine.record_input", i=i, name=name, position=position, known=known)
    if arity == 1 and b != -1:
        return LocalizedValueError("engine.record_arity", i=i, name=name)
    if type(data) is not float or type(grad) is not float:
        return LocalizedValueError("engine.record_floats", i=i, data=type(data).__name__, grad=type(grad).__name__)
    if type(label) is not str:
        return LocalizedValueError("engine.record_label", i=i, label=type(label).__name__)
    return None


