"""The catalog files and the formatting of one message: ids to sentences, placeholders, Korean particles.

Korean particles follow the word before them: a placeholder written ``{name:을/를}``
renders as the value followed by 을 after a final consonant and 를 after a vowel
(``x를``, ``사과를``, ``귤을``), so no sentence has to hedge with ``을(를)``.  The pairs
are 을/를, 이/가, 은/는, 과/와, 으로/로 and 이에요/예요 (see :func:`particle`).
"""

from __future__ import annotations

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

__all__ = ["DEFAULT_LANG", "LANGS", "catalog", "format_message", "particle"]

#: The language when nothing else is asked for.
DEFAULT_LANG = "en"


def _catalog_names() -> tuple[str, ...]:
    names = sorted(entry.name[: -len(".toml")] for entry in resources.files(__package__).iterdir()
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
        raise ValueError(f"no message catalog for {lang!r}; the catalogs are {', '.join(LANGS)}")
    with resources.files(__package__).joinpath(f"{lang}.toml").open("rb") as file:
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


def format_message(key: str, lang: str, /, **params: Any) -> str:
    """The message ``key`` in ``lang`` (one of :data:`LANGS`), filled with ``params``.

    An id missing from a catalog is a programming error: :class:`KeyError` names it.
    """
    try:
        template = catalog(lang)[key]
    except KeyError:
        raise KeyError(f"no message {key!r} in the {lang} catalog") from None
    return _FORMATTER.vformat(template, (), params)
