"""tinygrad_ko.text, the text floor: numbers, labels and widths as every view writes them."""

from __future__ import annotations

import math

import pytest

from tinygrad_ko import Value
from tinygrad_ko.draw import dot
from tinygrad_ko.ops import DIV, LOG, POW
from tinygrad_ko.text import (
    MAX_LABEL_LENGTH,
    display_width,
    format_number,
    is_constant,
    label_text,
    local_derivative,
    pad,
    rpad,
    visible_text,
)


def test_the_drawing_uses_the_text_floor_s_functions_not_copies() -> None:
    assert dot.format_number is format_number and dot.label_text is label_text
    assert dot.is_constant is is_constant and dot.MAX_LABEL_LENGTH == MAX_LABEL_LENGTH


@pytest.mark.parametrize(("x", "precision", "shown"), [
    (715.0000000000001, 6, "715"), (3.3000000000000003, 6, "3.3"), (1e-7, 6, "1e-07"),
    (715.0000000000001, None, "715.0000000000001"), (-0.0, 6, "-0"), (math.inf, 6, "inf"), (1234.5678, 2, "1.2e+03"),
])
def test_format_number_writes_significant_digits_or_the_repr(x: float, precision: int | None, shown: str) -> None:
    assert format_number(x, precision) == shown


def test_visible_text_replaces_terminal_controls_at_any_length() -> None:
    assert visible_text("\x1b[31m" + "x" * 100) == "␛[31m" + "x" * 100
    assert visible_text("a\u202eb\x7f") == "a\ufffdb␡"


def test_label_text_cuts_long_labels_and_shows_controls() -> None:
    assert label_text("x" * (MAX_LABEL_LENGTH + 5)) == "x" * (MAX_LABEL_LENGTH - 1) + "…"
    assert label_text("사과\n") == "사과␊"


def test_constants_are_leaves_that_take_no_gradient() -> None:
    x = Value(2.0, label="x")
    y = x * 3.0
    assert not is_constant(x) and not is_constant(y)
    assert is_constant(y.parents[1]) and is_constant(Value(1.0, requires_grad=False))


def test_local_derivative_computes_only_the_input_asked_for() -> None:
    # ∂(x ** y)/∂x at x = -8, y = 2 is defined; ∂/∂y would need log(-8) and is never computed.
    assert local_derivative(POW, 0, [-8.0, 2.0], 64.0) == -16.0
    assert local_derivative(DIV, 1, [1.0, 2.0], 0.5) == -0.25
    assert local_derivative(LOG, 0, [4.0], math.log(4.0)) == 0.25


def test_hangul_takes_two_columns_when_padding() -> None:
    assert display_width("소비세") == 6
    assert pad("사과", 5) == "사과 " and rpad("귤", 4) == "  귤"
