"""topological_order: a valid order for backpropagation that, read inputs first, follows the expression."""

from __future__ import annotations

from hypothesis import given, settings

from tinygrad_ko import Value, topological_order
from tinygrad_ko.examples import apple_orange
from tinygrad_ko.testing import Sample, expressions


def names(nodes: list[Value]) -> list[str]:
    return [n.label or n.op or str(n.data) for n in nodes]


def inputs_first(node: Value) -> list[Value]:
    return topological_order(node)[::-1]


def every_node(root: Value) -> list[Value]:
    """The nodes of ``root``'s graph, found without topological_order (so it is judged, not trusted)."""
    found, stack = {root}, [root]
    while stack:
        for parent in stack.pop().parents:
            if parent not in found:
                found.add(parent)
                stack.append(parent)
    return list(found)


def test_apple_example_reads_as_the_expression_is_written() -> None:
    price = apple_orange("en").price  # (apple * apple_count + orange * orange_count) * tax
    assert names(inputs_first(price)) == [
        "apple", "apple count", "mul", "orange", "orange count", "mul", "add", "tax", "price"]


def test_a_node_both_inputs_use_is_listed_once_where_the_first_input_uses_it() -> None:
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    assert names(inputs_first(x * y + x.relu())) == ["x", "y", "mul", "relu", "add"]
    assert names(inputs_first(x.relu() + x * y)) == ["x", "relu", "y", "mul", "add"]


def test_a_constant_written_first_is_listed_first() -> None:
    x = Value(1.0, label="x")
    assert names(inputs_first(1 / (1 + (-x).exp()))) == ["1.0", "1.0", "x", "neg", "exp", "add", "div"]


@settings(max_examples=150)
@given(expressions(max_ops=12))
def test_every_node_once_each_before_its_inputs(sample: Sample) -> None:
    root = sample.expression.build([Value(x) for x in sample.inputs])
    order = topological_order(root)
    assert order[0] is root
    assert len(order) == len(set(order)) and set(order) == set(every_node(root))
    position = {node: i for i, node in enumerate(order)}
    assert all(position[node] < position[parent] for node in order for parent in node.parents)


@settings(max_examples=150)
@given(expressions(max_ops=12))
def test_first_input_subgraph_comes_first_when_read_inputs_first(sample: Sample) -> None:
    # The guarantee in topological_order's docstring, checked at every node of random DAGs
    # (shared nodes, constants on either side): a node's inputs-first list is its first
    # input's list, then what the second input adds, then the node.  Holding at every
    # node, this pins the whole order: the expression's postfix reading.
    root = sample.expression.build([Value(x) for x in sample.inputs])
    for node in every_node(root):
        expected: list[Value] = []
        for parent in node.parents:
            expected += [n for n in inputs_first(parent) if n not in expected]
        assert inputs_first(node) == [*expected, node]
