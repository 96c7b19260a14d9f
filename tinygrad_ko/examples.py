"""The chapter's worked example, defined once for the command, the docs and the tests.

사과 2개(개당 100원)와 귤 3개(개당 150원)를 사고 소비세 10%가 붙는다:
two apples at 100 each and three oranges at 150 each, with 10% consumption tax.
"""

from __future__ import annotations

from typing import NamedTuple

from .engine import Value

__all__ = ["LANGS", "AppleOrange", "apple_orange"]

#: Languages the example's labels come in.
LANGS = ("en", "ko")

_LABELS = {
    "en": ("apple", "apple count", "orange", "orange count", "tax", "price"),
    "ko": ("사과", "사과 개수", "귤", "귤 개수", "소비세", "지불 금액"),
}


class AppleOrange(NamedTuple):
    """The example's leaves and its output, ``price = (apple * apple_count + orange * orange_count) * tax``."""

    apple: Value
    apple_count: Value
    orange: Value
    orange_count: Value
    tax: Value
    price: Value


def apple_orange(lang: str = "en") -> AppleOrange:
    """Build the apple/orange graph (forward pass only) with labels in ``lang`` ("en" or "ko").

    >>> ex = apple_orange("ko")
    >>> ex.price.backward()
    >>> ex.apple.label, ex.price.data, ex.apple.grad, ex.tax.grad
    ('사과', 715.0000000000001, 2.2, 650.0)
    """
    if lang not in _LABELS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    names = _LABELS[lang]
    apple, apple_count = Value(100, label=names[0]), Value(2, label=names[1])
    orange, orange_count = Value(150, label=names[2]), Value(3, label=names[3])
    tax = Value(1.1, label=names[4])
    price = (apple * apple_count + orange * orange_count) * tax
    price.label = names[5]
    return AppleOrange(apple, apple_count, orange, orange_count, tax, price)
