"""Every sentence a user reads, keyed by id: one catalog file per language.

The catalogs are TOML files beside this module (``en.toml``, ``ko.toml``): a table per
module or page, one ``id = "sentence"`` line per message, with ``str.format``
placeholders (``{name}``, ``{value!r}``, ``{seconds:g}``).  A third language (the book's
original is Japanese) is one more file, ``ja.toml``: :data:`LANGS` is read from the
files present, and the test suite checks that every id has every language with the
same placeholders.

Korean particles follow the word before them: a placeholder written ``{name:을/를}``
renders as the value followed by 을 after a final consonant and 를 after a vowel
(``x를``, ``사과를``, ``귤을``), so no sentence has to hedge with ``을(를)``.  The pairs
are 을/를, 이/가, 은/는, 과/와, 으로/로 and 이에요/예요 (see :func:`particle`).

The language of a call is its ``lang`` argument when given, else the session's:
:func:`set_lang` (in Python), else the ``TINYGRAD_KO_LANG`` environment variable,
else English, the language of the API and of Python's own messages.

>>> text("lang.unknown", "en", where="explain", got="fr", langs="en, ko")
"explain(lang=...) must be one of en, ko, got 'fr'"
>>> text("lang.unknown", "ko", where="explain", got="fr", langs="en, ko")
"explain(lang=...)는 en, ko 중 하나여야 합니다. 받은 값: 'fr'"
"""

from __future__ import annotations

import os
from typing import Any

from .catalogs import DEFAULT_LANG, LANGS, catalog, format_message, particle
from .errors import (
    LocalizedArithmeticError,
    LocalizedError,
    LocalizedImportError,
    LocalizedOverflowError,
    LocalizedRuntimeError,
    LocalizedTypeError,
    LocalizedUserWarning,
    LocalizedValueError,
    LocalizedZeroDivisionError,
)

__all__ = [
    "DEFAULT_LANG",
    "ENV_VAR",
    "LANGS",
    "LocalizedArithmeticError",
    "LocalizedError",
    "LocalizedImportError",
    "LocalizedOverflowError",
    "LocalizedRuntimeError",
    "LocalizedTypeError",
    "LocalizedUserWarning",
    "LocalizedValueError",
    "LocalizedZeroDivisionError",
    "catalog",
    "check_lang",
    "get_lang",
    "localized",
    "particle",
    "resolve_lang",
    "set_lang",
    "text",
]

#: The environment variable that sets the session's language (``TINYGRAD_KO_LANG=ko``).
ENV_VAR = "TINYGRAD_KO_LANG"


def text(key: str, lang: str | None = None, /, **params: Any) -> str:
    """The message ``key`` in ``lang`` (default: the session's, :func:`get_lang`), filled with ``params``.

    An id missing from a catalog is a programming error: :class:`KeyError` names it.
    """
    return format_message(key, resolve_lang(lang), **params)


def check_lang(lang: object, where: str) -> str:
    """``lang`` when it is one of :data:`LANGS`, else a ValueError naming ``where`` and the choices."""
    if isinstance(lang, str) and lang in LANGS:
        return lang
    raise LocalizedValueError("lang.unknown", where=where, got=lang, langs=", ".join(LANGS))


_session_lang: str | None = None


def set_lang(lang: str | None) -> None:
    """Make ``lang`` the language of every call without a ``lang`` argument (None: back to the default).

    The command's ``--lang`` and :data:`ENV_VAR` do the same for a command line.

    >>> set_lang("ko"); text("lang.unknown", where="f", got=1, langs="en, ko")
    'f(lang=...)는 en, ko 중 하나여야 합니다. 받은 값: 1'
    >>> set_lang(None)
    """
    global _session_lang
    _session_lang = None if lang is None else check_lang(lang, "set_lang")


def get_lang() -> str:
    """The session's language: :func:`set_lang`'s, else ``$TINYGRAD_KO_LANG``, else English.

    An environment variable naming no catalog is an error that says so (not silently English).
    """
    if _session_lang is not None:
        return _session_lang
    from_env = os.environ.get(ENV_VAR, "")
    return check_lang(from_env, ENV_VAR) if from_env else DEFAULT_LANG


def resolve_lang(lang: str | None, where: str = "lang") -> str:
    """``lang`` checked (:func:`check_lang`), or the session's language when it is None."""
    return get_lang() if lang is None else check_lang(lang, where)


def localized(error: BaseException, lang: str | None = None) -> str:
    """What to show for ``error`` in ``lang``: its catalog message, or ``str(error)`` for Python's own errors."""
    if isinstance(error, LocalizedError):
        return error.localized(resolve_lang(lang))
    return str(error)
