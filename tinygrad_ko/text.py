"""Column widths of text in a terminal, where Hangul takes two columns.

Tables printed by the command and by :func:`~tinygrad_ko.gradcheck` pad with
these, so that rows with Korean labels (사과, 소비세) line up.

>>> display_width("사과"), display_width("apple")
(4, 5)
>>> pad("사과", 6) + "|"
'사과  |'
"""

from __future__ import annotations

import unicodedata
from typing import Any

__all__ = ["display_width", "pad", "rpad", "table"]


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide characters (Hangul, CJK) take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` terminal columns (left-aligned)."""
    return text + " " * (width - display_width(text))


def rpad(text: str, width: int) -> str:
    """``text`` preceded by spaces up to ``width`` terminal columns (right-aligned)."""
    return " " * (width - display_width(text)) + text


def table(root: Any, lang: str | None = None, *, show_grad: bool = True) -> str:
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
    # After the merge with p-text, format_number, is_constant and label_text live in this module.
    from .draw.dot import format_number, is_constant, label_text
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
