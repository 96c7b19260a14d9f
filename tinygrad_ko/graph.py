"""Walks over the computational graph (계산 그래프): topological order, reachable
nodes, the order backpropagation uses, and zero_grad.

Every walk here uses an explicit stack, never recursion, so a chain a million
nodes deep works at Python's default recursion limit.  The walks read only a
node's two parent slots (``_a``, ``_b``) and its op, so they serve the engine,
the DOT exporter and the explainer alike; :func:`backward_order`, the one that
runs on every ``backward()``, also marks the nodes it has seen (``_mark``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import Value

__all__ = ["backward_order", "count_nodes", "reachable", "topological_order", "zero_grad"]

# Pushed after a node on the stack: when popped, every parent of that node has
# been emitted, so the node itself can be emitted (post-order without recursion).
_EMIT = object()


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each once, outputs before their inputs.

    The first element is ``root``; a node always comes before all of its parents,
    which is the order backpropagation (역전파) needs.

    Read backwards (inputs first), the order is the expression as written, in
    postfix: for a node ``n`` whose inputs are ``a`` and ``b`` in argument order,
    ``topological_order(n)[::-1]`` is ``topological_order(a)[::-1]``, then the
    nodes of ``topological_order(b)[::-1]`` not already in it (in that order),
    then ``n``; with one input ``a`` it is ``topological_order(a)[::-1]`` then
    ``n``.  So the first input's whole subgraph comes before the second's, and
    a node both inputs use is listed once, in the first input's part.

    >>> from tinygrad_ko import Value
    >>> x = Value(2.0, label="x"); y = x * x
    >>> [n.label or n.op for n in topological_order(y)]
    ['mul', 'x']
    >>> a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    >>> [n.label or n.op for n in reversed(topological_order((a + b) * c))]
    ['a', 'b', 'add', 'c', 'mul']
    """
    visited: set[Value] = set()
    order: list[Value] = []
    stack: list[object] = [root]
    # Local aliases: this loop runs once per node of graphs with millions of nodes.
    mark, push, pop, emit = visited.add, stack.append, stack.pop, order.append
    while stack:
        node = pop()
        if node is _EMIT:
            emit(pop())  # type: ignore[arg-type]
            continue
        if node in visited:
            continue
        mark(node)  # type: ignore[arg-type]
        push(node)
        push(_EMIT)
        # The second input is pushed first so that the first is walked first:
        # read inputs-first, the order is the order the expression was written in.
        b = node._b  # type: ignore[attr-defined]
        if b is not None and b not in visited:
            push(b)
        a = node._a  # type: ignore[attr-defined]
        if a is not None and a not in visited:
            push(a)
    order.reverse()
    return order


def count_nodes(root: Value, limit: int) -> int:
    """How many nodes ``root`` depends on (itself included), counting no further than ``limit + 1``.

    A size check costs at most ``limit + 1`` steps, so a function that refuses graphs
    above a limit can say so before any work, however large the graph is.

    >>> from tinygrad_ko import Value
    >>> x = Value(2.0); y = x * x + x
    >>> count_nodes(y, 10), count_nodes(y, 1)
    (3, 2)
    """
    seen: set[Value] = {root}
    stack = [root]
    while stack and len(seen) <= limit:
        node = stack.pop()
        for parent in (node._a, node._b):
            if parent is not None and parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return min(len(seen), limit + 1)


def backward_order(root: Value) -> tuple[list[Value], list[Value]]:
    """The op nodes ``root`` depends on in backpropagation order, and the leaves.

    The first list holds every node that has an op, ``root`` first, each before
    all of its parents: the nodes whose gradient :meth:`Value.backward` passes
    on.  The second holds the leaves (nodes without an op), which only receive.
    Either list may be empty; each node appears once.

    >>> from tinygrad_ko import Value
    >>> x = Value(2.0, label="x"); y = (x * x).relu()
    >>> ops, leaves = backward_order(y)
    >>> [n.op for n in ops], [n.label for n in leaves]
    (['relu', 'mul'], ['x'])
    """
    # This runs once per backward() over graphs of millions of nodes, so it is the
    # leanest walk here: leaves are never pushed, and "seen in this walk" is a
    # per-walk token stored on the node (one slot compare) instead of a set
    # (hashing, and a set as big as the graph).  Two walks over shared nodes at
    # the same time would overwrite each other's tokens: Value.backward() holds a
    # lock around its call, so call this only from there or from one thread.
    walk = object()
    order: list[Value] = []
    leaves: list[Value] = []
    root._mark = walk
    if root._op is None:
        return order, [root]
    stack: list[Any] = [root, _EMIT]
    push, pop, emit, keep = stack.append, stack.pop, order.append, leaves.append
    node: Any = root
    while True:
        a = node._a
        if a._mark is not walk:
            if a._op is None:
                a._mark = walk
                keep(a)
            else:
                push(a)
        b = node._b
        if b is not None and b._mark is not walk:
            if b._op is None:
                b._mark = walk
                keep(b)
            else:
                push(b)
        # Pop until an op node not yet expanded turns up (expand it: mark it, and
        # push it under an _EMIT so it is emitted once all its parents are).
        while stack:
            node = pop()
            if node is _EMIT:
                emit(pop())
            elif node._mark is not walk:
                node._mark = walk
                push(node)
                push(_EMIT)
                break
        else:
            order.reverse()
            return order, leaves


def reachable(root: Value) -> list[Value]:
    """Every node ``root`` depends on (itself included), each once, in walk order.

    Cheaper than :func:`topological_order` when the order does not matter.
    """
    seen = {root}
    stack = [root]
    found = [root]
    while stack:
        node = stack.pop()
        for parent in (node._a, node._b):
            if parent is not None and parent not in seen:
                seen.add(parent)
                found.append(parent)
                stack.append(parent)
    return found


def zero_grad(root: Value) -> None:
    """Set ``grad`` to 0.0 on ``root`` and on every node it depends on."""
    for node in reachable(root):
        node.grad = 0.0
