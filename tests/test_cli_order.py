"""``tinygrad-ko graph --order N``: the function, its first derivatives, or the graph of the N-th derivative.

Run as a user runs it (the installed command in a subprocess) with the real Graphviz.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tinygrad_ko import Value, topological_order
from tinygrad_ko.cli import derivative
from tinygrad_ko.draw.dot import is_constant

COMMAND = Path(sys.executable).with_name("tinygrad-ko")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "TINYGRAD_KO_DOT"}
    return subprocess.run([str(COMMAND), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          encoding="utf-8", timeout=60, check=False)


def labelled_rows(stdout: str) -> dict[str, list[str]]:
    """The table's rows that have a label: label -> the other cells."""
    rows = {}
    for line in stdout.splitlines()[1:]:
        if line and not line.startswith(" ") and not line.startswith("wrote "):
            label, *cells = line.split()
            rows[label] = cells
    return rows


def test_order_2_draws_the_second_derivative_of_tanh(tmp_path: Path,
                                                      read_svg_nodes: Callable[[bytes], list[list[str]]]) -> None:
    done = run("graph", "tanh(x)", "x=1", "--order", "2", "-o", "tanh2.svg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    t = math.tanh(1.0)
    rows = labelled_rows(done.stdout)
    # The derivative's row: its value is tanh''(1) = -2t(1 - t²) (a few roundings apart).
    op, data, grad = rows["d²/dx²"]
    assert op == "*" and float(grad) == 1.0
    assert float(data) == pytest.approx(-2 * t * (1 - t * t), rel=1e-14)
    # backward() through the derivative's graph leaves tanh'''(1) = (6t² - 2)(1 - t²) on x.
    assert float(rows["x"][1]) == pytest.approx((6 * t * t - 2) * (1 - t * t), rel=1e-14)
    x = Value(1.0, label="x")
    drawn = derivative(x.tanh(), x, 2)
    assert len(done.stdout.splitlines()) == 1 + len(topological_order(drawn)) + 1  # header, nodes, "wrote"
    nodes = read_svg_nodes((tmp_path / "tanh2.svg").read_bytes())
    # A box per value and a circle per op; unlabelled constants are drawn inside their op's circle.
    drawn_nodes = topological_order(drawn)
    assert len(nodes) == sum(1 for n in drawn_nodes if not is_constant(n)) + sum(1 for n in drawn_nodes if n.op)
    assert ["d²/dx²", "data -0.6397", "grad 1"] in nodes
    assert ["x", "data 1", "grad 0.621627"] in nodes


def test_order_1_is_the_default_and_order_0_is_the_forward_pass(tmp_path: Path,
                                                                read_svg_nodes: Callable[[bytes], list[list[str]]]
                                                                ) -> None:
    default = run("graph", "x*y + x", "x=2", "y=3", "-o", "a.svg", cwd=tmp_path)
    first = run("graph", "x*y + x", "x=2", "y=3", "--order", "1", "-o", "b.svg", cwd=tmp_path)
    assert default.returncode == first.returncode == 0, default.stderr + first.stderr
    assert default.stdout.replace("a.svg", "b.svg") == first.stdout
    assert labelled_rows(first.stdout)["x"] == ["2.0", "4.0"]
    zero = run("graph", "x*y + x", "x=2", "y=3", "--order", "0", "-o", "c.svg", cwd=tmp_path)
    assert zero.returncode == 0, zero.stderr
    assert zero.stdout.splitlines()[0].split() == ["label", "op", "data"]  # no grad column
    assert labelled_rows(zero.stdout)["x"] == ["2.0"]
    assert not any(line[1].startswith("grad") for line in read_svg_nodes((tmp_path / "c.svg").read_bytes())
                   if len(line) > 1)


def test_an_order_past_a_constant_derivative_draws_the_constant(tmp_path: Path) -> None:
    done = run("graph", "x*x", "x=5", "--order", "3", "-o", "c.svg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert labelled_rows(done.stdout)["d³/dx³"][:2] == ["const", "0.0"]  # a constant: no gradient


@pytest.mark.parametrize(("args", "phrase"), [
    (["tanh(x)", "x=1", "--order", "9"], "the graph of derivative order 8 already has"),
    (["x*y", "x=1", "y=2", "--order", "2"], "--order 2 differentiates with respect to one name, and EXPR has x, y"),
    (["2*3", "--order", "2"], "and EXPR has no names"),
    (["x", "x=1", "--order", "-1"], "--order must be 0 or more, got -1"),
    (["x", "x=1", "--order", "two"], "--order must be a whole number (0, 1, 2, ...), got 'two'"),
])
def test_bad_orders_are_one_line_with_exit_code_2(tmp_path: Path, args: list[str], phrase: str) -> None:
    done = run("graph", *args, "-o", "x.svg", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and phrase in done.stderr, done.stderr
    assert not (tmp_path / "x.svg").exists()


def test_order_messages_in_korean(tmp_path: Path) -> None:
    too_big = run("graph", "tanh(x)", "x=1", "--order", "9", "--lang", "ko", cwd=tmp_path)
    assert too_big.returncode == 2
    assert "8차 미분의 계산 그래프는 노드가 이미" in too_big.stderr and "--order 7 이하를 고르세요" in too_big.stderr
    two_names = run("graph", "x*y", "x=1", "y=2", "--order", "2", "--lang", "ko", cwd=tmp_path)
    assert two_names.returncode == 2 and "--order 2는 이름 하나에 대해 미분합니다. 식의 이름: x, y" in two_names.stderr
    table = run("graph", "tanh(x)", "x=1", "--order", "2", "--lang", "ko", "-o", "t.svg", cwd=tmp_path)
    assert table.returncode == 0 and table.stdout.splitlines()[0].split() == ["이름", "연산", "값", "기울기"]


def test_an_order_past_a_constant_derivative_stops_at_once(tmp_path: Path) -> None:
    # Before: 0.3 ms per order, so --order 1000 took rounds of grad() and 10**9 days; now the
    # derivative of x*2 is a constant at order 1 and every higher one is the constant 0.
    done = run("graph", "x*2", "x=1", "--order", "1000", "--no-draw", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert labelled_rows(done.stdout)["d¹⁰⁰⁰/dx¹⁰⁰⁰"][:2] == ["const", "0.0"]
    # Drawn too: one constant box, no gradient on it.
    drawn = run("graph", "x*x", "x=3", "--order", "5", "-o", "d5.svg", cwd=tmp_path)
    assert drawn.returncode == 0, drawn.stderr
    assert labelled_rows(drawn.stdout)["d⁵/dx⁵"][:2] == ["const", "0.0"]


def test_stopping_early_gives_the_derivatives_grad_would_give(tmp_path: Path) -> None:
    # The shortcut must not change a derivative that is not yet constant: order 2 of x**3 is 6x.
    done = run("graph", "x**3", "x=2", "--order", "2", "--no-draw", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert labelled_rows(done.stdout)["d²/dx²"][1] == "12.0"


def test_an_order_above_the_cap_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    done = run("graph", "x*2", "x=1", "--order", "1000000000", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert "--order 1000000000 is more than 1000" in done.stderr and "choose --order 1000 or lower" in done.stderr
    assert done.stderr.count("\n") == 1
