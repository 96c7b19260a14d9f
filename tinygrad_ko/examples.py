"""The chapter's worked example, defined once for the command, the docs and the tests.

사과 2개(개당 100원)와 귤 3개(개당 150원)를 사고 소비세 10%가 붙는다:
two apples at 100 each and three oranges at 150 each, with 10% consumption tax.
"""

from __future__ import annotations

from typing import NamedTuple

from .engine import Value
from .messages import LANGS, resolve_lang, text

__all__ = ["LANGS", "AppleOrange", "apple_orange"]

# The labels' ids in the catalogs' [examples] section, in the order the graph uses them.
_LABELS = ("apple", "apple_count", "orange", "orange_count", "tax", "price")


class AppleOrange(NamedTuple):
    """The example's leaves and its output, ``price = (apple * apple_count + orange * orange_count) * tax``."""

    apple: Value
    apple_count: Value
    orange: Value
    orange_count: Value
    tax: Value
    price: Value


def apple_orange(lang: str | None = None) -> AppleOrange:
    """Build the apple/orange graph (forward pass only) with labels in ``lang`` (one of :data:`LANGS`).

    ``None`` is the session's language (:func:`tinygrad_ko.messages.set_lang`, else English).

    >>> ex = apple_orange("ko")
    >>> ex.price.backward()
    >>> ex.apple.label, ex.price.data, ex.apple.grad, ex.tax.grad
    ('사과', 715.0000000000001, 2.2, 650.0)
    """
    lang = resolve_lang(lang, "apple_orange")
    names = [text(f"examples.{name}", lang) for name in _LABELS]
    apple, apple_count = Value(100, label=names[0]), Value(2, label=names[1])
    orange, orange_count = Value(150, label=names[2]), Value(3, label=names[3])
    tax = Value(1.1, label=names[4])
    price = (apple * apple_count + orange * orange_count) * tax
    price.label = names[5]
    return AppleOrange(apple, apple_count, orange, orange_count, tax, price)
