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

__all__ = ["display_width", "pad", "rpad"]


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide characters (Hangul, CJK) take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` terminal columns (left-aligned)."""
    return text + " " * (width - display_width(text))


def rpad(text: str, width: int) -> str:
    """``text`` preceded by spaces up to ``width`` terminal columns (right-aligned)."""
    return " " * (width - display_width(text)) + text
