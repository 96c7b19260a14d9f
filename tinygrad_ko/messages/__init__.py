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
import string
import sys
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "DEFAULT_LANG",
    "ENV_VAR",
    "LANGS",
    "catalog",
    "check_lang",
    "get_lang",
    "particle",
    "resolve_lang",
    "set_lang",
    "text",
]

#: The environment variable that sets the session's language (``TINYGRAD_KO_LANG=ko``).
ENV_VAR = "TINYGRAD_KO_LANG"
#: The language when nothing else is asked for.
DEFAULT_LANG = "en"


def _catalog_names() -> tuple[str, ...]:
    names = sorted(entry.name[: -len(".toml")] for entry in resources.files(__name__).iterdir()
                   if entry.name.endswith(".toml"))
    # English first: it is the default and the language of str() of every error.
    return tuple(sorted(names, key=lambda name: name != DEFAULT_LANG))


#: The languages there is a catalog for, English first.
LANGS: tuple[str, ...] = _catalog_names()


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, key + "."))
        elif isinstance(value, str):
            flat[key] = value
        else:  # pragma: no cover - a malformed catalog file; the test suite reads every file
            raise TypeError(f"message {key!r} is not a string: {value!r}")
    return flat


@cache
def catalog(lang: str) -> Mapping[str, str]:
    """Every message of ``lang`` by id (``"cli.assignment"``); read once from ``LANG.toml``."""
    if lang not in LANGS:
        raise ValueError(text("lang.unknown", DEFAULT_LANG, where="catalog", got=lang, langs=", ".join(LANGS)))
    with resources.files(__name__).joinpath(f"{lang}.toml").open("rb") as file:
        return _flatten(tomllib.load(file))


# The Korean particle pairs: (after a final consonant, after a vowel).  으로/로 also takes 로
# after ㄹ.  A word that does not end in a Hangul syllable is read aloud: a digit by its
# Korean name, a Latin letter by its English name (엘, 엠, 엔 end in a consonant).
_PARTICLES = {"을/를": ("을", "를"), "이/가": ("이", "가"), "은/는": ("은", "는"), "과/와": ("과", "와"),
              "으로/로": ("으로", "로"), "이에요/예요": ("이에요", "예요")}
_CONSONANT_DIGITS = {"0": True, "1": True, "2": False, "3": True, "4": False, "5": False, "6": True,
                     "7": True, "8": True, "9": False}
_RIEUL_DIGITS = frozenset("178")
_CONSONANT_LETTERS = frozenset("lmnLMN")
_SILENT_END = " \t'\"`)]}>»」』.,:;!?…"


def particle(word: str, pair: str) -> str:
    """The particle of ``pair`` (``"을/를"``, ``"이/가"``, ...) that follows ``word``.

    >>> particle("사과", "을/를"), particle("귤", "을/를"), particle("x", "이/가"), particle("1", "으로/로")
    ('를', '을', '가', '로')
    """
    after_consonant, after_vowel = _PARTICLES[pair]
    last = word.rstrip(_SILENT_END)[-1:]
    if not last:
        return after_vowel
    if "가" <= last <= "힣":
        final = (ord(last) - ord("가")) % 28
        rieul = final == 8
        has_final = final != 0
    elif last in _CONSONANT_DIGITS:
        has_final, rieul = _CONSONANT_DIGITS[last], last in _RIEUL_DIGITS
    else:
        has_final, rieul = last in _CONSONANT_LETTERS, last in "lL"
    if pair == "으로/로" and rieul:
        return after_vowel
    return after_consonant if has_final else after_vowel


class _Formatter(string.Formatter):
    """``str.format`` plus the particle specs: ``{name:을/를}`` is the value, then its particle."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec in _PARTICLES:
            shown = format(value)
            return shown + particle(shown, format_spec)
        return str(super().format_field(value, format_spec))


_FORMATTER = _Formatter()


def text(key: str, lang: str | None = None, /, **params: Any) -> str:
    """The message ``key`` in ``lang`` (default: the session's, :func:`get_lang`), filled with ``params``.

    An id missing from a catalog is a programming error: :class:`KeyError` names it.
    """
    lang = resolve_lang(lang)
    try:
        template = catalog(lang)[key]
    except KeyError:
        raise KeyError(f"no message {key!r} in the {lang} catalog") from None
    return _FORMATTER.vformat(template, (), params)


def check_lang(lang: object, where: str) -> str:
    """``lang`` when it is one of :data:`LANGS`, else a ValueError naming ``where`` and the choices."""
    if isinstance(lang, str) and lang in LANGS:
        return lang
    # Imported here: errors builds on this module (messages is the floor both stand on).
    from ..errors import LocalizedValueError

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
