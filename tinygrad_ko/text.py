"""The text floor: how numbers, labels and table cells are written, wherever they are shown.

The drawings (:mod:`tinygrad_ko.draw`), the explainer (:func:`~tinygrad_ko.explain`), the
gradient check's report (:func:`~tinygrad_ko.gradcheck`), the command's table and the pages
all write numbers with :func:`format_number` and labels with :func:`label_text`, so a
number or a label reads the same in every one of them.  Terminal tables pad with
:func:`pad` and :func:`rpad`, which count Hangul as two columns, so that rows with Korean
labels (사과, 소비세) line up.

This module is part of the core: it imports no drawing code (the explainer and the
gradient check use it without pulling in graphviz).

>>> format_number(715.0000000000001), label_text("a\\nb")
('715', 'a␊b')
>>> display_width("사과"), display_width("apple")
(4, 5)
>>> pad("사과", 6) + "|"
'사과  |'
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import Value
    from .ops import Op

__all__ = ["MAX_LABEL_LENGTH", "display_width", "format_number", "is_constant", "label_text", "local_derivative",
           "pad", "rpad", "table", "visible_text"]

#: Labels longer than this many characters are cut and end with "…".
MAX_LABEL_LENGTH = 60


def format_number(x: float, precision: int | None = 6) -> str:
    """``x`` to ``precision`` significant digits (like C's ``%g``), or in full when ``precision`` is None.

    The default hides floating-point noise a learner did not ask about:

    >>> format_number(715.0000000000001), format_number(3.3000000000000003), format_number(0.5)
    ('715', '3.3', '0.5')
    >>> format_number(715.0000000000001, precision=None)
    '715.0000000000001'
    """
    if precision is None:
        return repr(x)
    return format(x, f".{precision}g")


# Non-characters, and the bidi controls that would reorder the text around them
# (U+202E RIGHT-TO-LEFT OVERRIDE turns "exe.txt" into "txt.exe" on screen).
_UNDRAWABLE = frozenset({0xFFFE, 0xFFFF, 0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)})


def _visible(ch: str) -> str:
    """The character drawn in place of ``ch``: itself, or a stand-in for one that cannot be drawn."""
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control picture: NUL -> ␀, newline -> ␊
    if code == 0x7F:
        return "\u2421"  # ␡
    if unicodedata.category(ch) in ("Cc", "Cs") or code in _UNDRAWABLE:
        return "\ufffd"  # C1 controls, lone surrogates and non-characters cannot appear in SVG (XML)
    return ch


def visible_text(text: str) -> str:
    """``text`` with every character that cannot be shown replaced by its stand-in, at any length.

    The rule of :func:`label_text` without the cut: the command prints the paths it
    wrote through it, so a file name holding ESC or an OSC sequence cannot retitle
    or recolour the terminal.

    >>> visible_text("\\x1b]0;pwned\\x07.html")
    '␛]0;pwned␇.html'
    """
    return "".join(_visible(ch) for ch in text)


def label_text(label: str) -> str:
    """The text shown for ``label``: the one visible-form rule of the drawing, :func:`~tinygrad_ko.cli.table`
    and :func:`~tinygrad_ko.explain`.

    A label is shown on one line, at most :data:`MAX_LABEL_LENGTH` characters
    (a longer one is cut and ends with "…").  Control characters are drawn as
    their Unicode control pictures (newline as ␊, NUL as ␀, ESC as ␛, DEL as ␡), so
    none reaches a terminal; bidi controls (U+202A-U+202E, U+2066-U+2069, U+200E,
    U+200F, U+061C), which would reorder the text around them, and characters SVG
    cannot hold (C1 controls, lone surrogates, U+FFFE, U+FFFF) as �.  Everything
    else is shown as written.

    >>> label_text("a\\nb"), label_text("x" * 100) == "x" * 59 + "…"
    ('a␊b', True)
    """
    if len(label) > MAX_LABEL_LENGTH:
        label = label[: MAX_LABEL_LENGTH - 1] + "…"
    return visible_text(label)


def is_constant(node: Value) -> bool:
    """True for a leaf that takes no gradient: a number written in an expression (``x * 2``), or
    ``Value(v, requires_grad=False)``."""
    return not node.op and not node.requires_grad


def local_derivative(op: Op, index: int, inputs: Sequence[float], out: float) -> float:
    """∂out/∂(input ``index``) from the op table, computing no other input's (a constant's may be undefined).

    >>> from tinygrad_ko.ops import MUL
    >>> local_derivative(MUL, 1, [3.0, 4.0], 12.0)
    3.0
    """
    rule = op.local_x if index == 0 else op.local_y
    assert rule is not None  # index 1 only for binary ops
    derivative: float = rule(*inputs, out)
    return derivative


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide characters (Hangul, CJK) take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` terminal columns (left-aligned)."""
    return text + " " * (width - display_width(text))


def rpad(text: str, width: int) -> str:
    """``text`` preceded by spaces up to ``width`` terminal columns (right-aligned)."""
    return " " * (width - display_width(text)) + text


def table(root: Value, lang: str | None = None, *, show_grad: bool = True) -> str:
    """Every node of the graph ending at ``root``, inputs first: label, op, data and grad in full precision.

    ``show_grad=False`` leaves out the grad column (a forward pass only).  ``lang`` (default: the
    session's, :func:`~tinygrad_ko.messages.get_lang`) chooses the headers' language.

    Labels are shown as the drawing shows them (``label_text``: control characters and bidi
    overrides made visible).  A constant says ``const`` in the op column and has no gradient.

    >>> from tinygrad_ko import Value
    >>> x = Value(2.0, label="x"); y = x * x; y.backward()
    >>> print(table(y, "en"))
    label  op  data  grad
    x          2.0   4.0
           *   4.0   1.0
    """
    from .graph import topological_order
    from .messages import resolve_lang, text
    from .ops import OPS

    lang = resolve_lang(lang, "table")
    columns = 4 if show_grad else 3
    headers = tuple(text(f"cli.table.{name}", lang) for name in ("label", "op", "data", "grad"))
    constant = text("cli.table.const", lang)
    rows = [headers[:columns]]
    for node in reversed(topological_order(root)):
        op = OPS[node.op].symbol if node.op else constant if is_constant(node) else ""
        gradient = format_number(node.grad, None) if node.requires_grad else ""
        rows.append((label_text(node.label), op, format_number(node.data, None), gradient)[:columns])
    widths = [max(display_width(row[i]) for row in rows) for i in range(columns)]
    return "\n".join("  ".join(pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)
