"""tinygrad_ko.testing: the expression strategy keeps its promises; the module needs hypothesis."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from hypothesis import given, settings

from tinygrad_ko import OPS, Value
from tinygrad_ko.testing import Expression, expressions


def uses_of(expression: Expression) -> list[int]:
    counts = [0] * (expression.n_inputs + expression.size)
    for _, args in expression.nodes:
        for a in args:
            if isinstance(a, int):
                counts[a] += 1
    return counts


# --- what a drawn sample promises --------------------------------------------------------


@given(expressions(max_inputs=2, max_ops=5, max_depth=3, max_abs_input=2.0))
def test_samples_respect_the_bounds_they_were_drawn_with(sample) -> None:  # type: ignore[no-untyped-def]
    expression, xs = sample
    assert 1 <= expression.n_inputs == len(xs) <= 2
    assert 1 <= expression.size <= 5
    assert expression.depth <= 3
    assert all(abs(x) <= 2.0 for x in xs)


@given(expressions())
def test_samples_keep_every_op_away_from_its_kink_or_edge_under_small_moves(sample) -> None:  # type: ignore[no-untyped-def]
    expression, xs = sample
    assert expression.distance_to_edges(xs) >= 0.1
    for i, x in enumerate(xs):
        for sign in (-1.0, 1.0):
            moved = list(xs)
            moved[i] = x + sign * 1e-3 * max(1.0, abs(x))
            assert expression.distance_to_edges(moved) >= 0.05
            assert abs(expression.evaluate(moved)) <= 1e4


@given(expressions())
def test_build_records_the_same_numbers_as_evaluate_on_a_fresh_graph_each_time(sample) -> None:  # type: ignore[no-untyped-def]
    expression, xs = sample
    first, second = [Value(x) for x in xs], [Value(x) for x in xs]
    out1, out2 = expression.build(first), expression(*second)
    assert out1 is not out2
    assert out1.data == out2.data == expression.evaluate(xs)  # the same op-table forward rules
    out1.backward()
    out2.backward()
    assert [v.grad for v in first] == [v.grad for v in second]


def test_strategy_generates_every_op_shared_nodes_and_constants_on_both_sides() -> None:
    seen: set[str] = set()

    @settings(database=None, derandomize=True, max_examples=300)
    @given(expressions())
    def collect(sample) -> None:  # type: ignore[no-untyped-def]
        expression = sample.expression
        for op, args in expression.nodes:
            seen.add(op)
            if OPS[op].arity == 2:
                seen.update(f"constant {side}" for side in (0, 1) if isinstance(args[side], float))
        if any(n > 1 for n in uses_of(expression)[expression.n_inputs:]):
            seen.add("shared")
            assert "\nt" in f"\n{expression}"  # a shared node gets its own line "tK = ..."
        if expression.size >= 6:
            seen.add("large")

    collect()
    assert seen == {*OPS, "constant 0", "constant 1", "shared", "large"}


@given(expressions(ops=["log", "mul"]))
def test_ops_can_be_restricted(sample) -> None:  # type: ignore[no-untyped-def]
    assert {op for op, _ in sample.expression.nodes} <= {"log", "mul"}


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"ops": ["cos"]}, r"unknown ops \['cos'\]; choose from add, sub"),
        ({"ops": []}, r"unknown ops \[\]"),
        ({"max_ops": 0}, r"max_inputs, max_ops and max_depth must be ints >= 1"),
        ({"margin": 0.0}, r"margin, max_abs_input and max_magnitude must be positive"),
    ],
)
def test_expressions_rejects_bad_settings(kwargs: dict[str, object], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        expressions(**kwargs)  # type: ignore[arg-type]


# --- Expression written by hand ---------------------------------------------------------------


def test_hand_written_expression_prints_as_python_and_repr_round_trips() -> None:
    e = Expression(2, [("mul", 0, 1), ("sub", 2.0, 2), ("pow", 3, -1.0), ("neg", 4), ("add", 5, 2)])
    assert str(e) == "t2 = x0 * x1\n(-((2.0 - t2) ** (-1.0))) + t2"
    assert repr(e) == "Expression(2, [('mul', 0, 1), ('sub', 2.0, 2), ('pow', 3, -1.0), ('neg', 4), ('add', 5, 2)])"
    again = eval(repr(e), {"Expression": Expression})
    assert str(again) == str(e)
    x0, x1 = 0.5, 3.0
    t2 = x0 * x1
    assert e.evaluate([x0, x1]) == -((2.0 - t2) ** -1.0) + t2
    assert (e.size, e.depth) == (5, 5)


def test_distance_to_edges_measures_each_guarded_argument() -> None:
    e = Expression(2, [("relu", 0), ("log", 1), ("add", 2, 3)])
    assert e.distance_to_edges([-0.25, 3.0]) == 0.25
    assert e.distance_to_edges([2.0, 0.125]) == 0.125
    assert Expression(1, [("exp", 0)]).distance_to_edges([5.0]) == math.inf


@pytest.mark.parametrize(
    ("n_inputs", "nodes", "pattern"),
    [
        (0, [("add", 0, 0)], r"n_inputs must be an int >= 1, got 0"),
        (1, [], r"needs at least one op node"),
        (1, [("cos", 0)], r"node 1 has unknown op 'cos'"),
        (1, [("add", 0)], r"node 1 \(add\) needs 2 operands, got 1"),
        (1, [("add", 0, 1)], r"node 1 \(add\) has operand 1; .* earlier node \(0\.\.0\)"),
        (1, [("add", 0, "x")], r"has operand 'x'"),
        (1, [("add", 0, True)], r"has operand True"),
        (1, [("add", 1.0, 2.0)], r"node 1 \(add\) has only constants"),
    ],
)
def test_expression_rejects_malformed_nodes(n_inputs: int, nodes: list[tuple[object, ...]], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        Expression(n_inputs, nodes)


def test_build_needs_one_value_per_input() -> None:
    with pytest.raises(ValueError, match=r"needs 2 inputs, got 1"):
        Expression(2, [("mul", 0, 1)]).build([Value(1.0)])


# --- hypothesis is an extra ---------------------------------------------------------------------


def run_without_hypothesis(code: str) -> subprocess.CompletedProcess[str]:
    # A None entry in sys.modules makes `import hypothesis` fail as if it were not installed.
    return subprocess.run([sys.executable, "-c", f"import sys; sys.modules['hypothesis'] = None\n{code}"],
                          capture_output=True, text=True, timeout=60, check=False)


def test_testing_module_names_the_install_command_when_hypothesis_is_missing() -> None:
    done = run_without_hypothesis("import tinygrad_ko.testing")
    assert done.returncode != 0
    assert 'ImportError: tinygrad_ko.testing needs hypothesis, which is a test extra: ' \
           'pip install "tinygrad_ko[test]"' in done.stderr


def test_package_imports_without_hypothesis() -> None:
    done = run_without_hypothesis(
        "import tinygrad_ko; assert 'tinygrad_ko.testing' not in sys.modules; print(tinygrad_ko.gradcheck.__name__)")
    assert (done.returncode, done.stdout, done.stderr) == (0, "gradcheck\n", "")
