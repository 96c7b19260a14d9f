"""Errors that carry their message id, so each place that shows one can show it in its reader's language.

Each is a real builtin exception (``except ValueError`` catches :class:`LocalizedValueError`)
whose ``str()`` is the English sentence, as Python's own errors are.  It also keeps the
message's ``key`` and ``params``: the command and the pages render ``error.localized("ko")``
from the catalog (:mod:`tinygrad_ko.messages`) and never parse English text back.

>>> error = LocalizedValueError("lang.unknown", where="explain", got="fr", langs="en, ko")
>>> isinstance(error, ValueError), error.key
(True, 'lang.unknown')
>>> str(error)
"explain(lang=...) must be one of en, ko, got 'fr'"
"""

from __future__ import annotations

from typing import Any

from .catalogs import DEFAULT_LANG, format_message

__all__ = [
    "LocalizedArithmeticError",
    "LocalizedError",
    "LocalizedImportError",
    "LocalizedOverflowError",
    "LocalizedRuntimeError",
    "LocalizedTypeError",
    "LocalizedUserWarning",
    "LocalizedValueError",
    "LocalizedZeroDivisionError",
]


class LocalizedError(Exception):
    """The mixin: an exception made from a message id and its parameters (English ``str()``)."""

    key: str
    params: dict[str, Any]

    def __init__(self, key: str, /, **params: Any) -> None:
        super().__init__(format_message(key, DEFAULT_LANG, **params))
        self.key = key
        self.params = params

    def localized(self, lang: str) -> str:
        """The message in ``lang`` (one of :data:`~tinygrad_ko.messages.LANGS`).

        A parameter that is itself a localized error (a batch's failing sample carries the
        op's error) is shown in the same language.
        """
        params = {name: value.localized(lang) if isinstance(value, LocalizedError) else value
                  for name, value in self.params.items()}
        return format_message(self.key, lang, **params)

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception pickles its args (the English text); rebuild from the id instead.
        return (_rebuild, (type(self), self.key, self.params))


def _rebuild(cls: type[LocalizedError], key: str, params: dict[str, Any]) -> LocalizedError:
    return cls(key, **params)


class LocalizedValueError(LocalizedError, ValueError):
    """A :class:`ValueError` with a message id."""


class LocalizedTypeError(LocalizedError, TypeError):
    """A :class:`TypeError` with a message id."""


class LocalizedArithmeticError(LocalizedError, ArithmeticError):
    """An :class:`ArithmeticError` with a message id."""


class LocalizedOverflowError(LocalizedError, OverflowError):
    """An :class:`OverflowError` with a message id."""


class LocalizedZeroDivisionError(LocalizedError, ZeroDivisionError):
    """A :class:`ZeroDivisionError` with a message id."""


class LocalizedRuntimeError(LocalizedError, RuntimeError):
    """A :class:`RuntimeError` with a message id."""


class LocalizedImportError(LocalizedError, ImportError):
    """An :class:`ImportError` with a message id."""


class LocalizedUserWarning(LocalizedError, UserWarning):
    """A :class:`UserWarning` with a message id: ``warnings.warn(LocalizedUserWarning(key, ...))``."""
