"""The message catalogs: every id in every language with the same placeholders, every id the code
uses exists, and no user-facing Korean sentence lives outside the catalogs."""

from __future__ import annotations

import ast
import pickle
import re
import string
from pathlib import Path

import pytest

import tinygrad_ko
from tinygrad_ko import messages
from tinygrad_ko.messages import (
    LANGS,
    LocalizedError,
    LocalizedTypeError,
    LocalizedValueError,
    catalog,
    localized,
    particle,
    text,
)

PACKAGE = Path(tinygrad_ko.__file__).parent
HANGUL = re.compile("[\uac00-\ud7a3]")
# Korean that is data, not a sentence for the reader.  A file listed here must say why:
# catalogs.py holds the particle pairs (을/를, ...), grammar the formatter picks from, not sentences.
KOREAN_ALLOWED: set[str] = {"catalogs.py"}
# Folders of files that are Korean as a whole.  cli/starters/ko holds the `exercise` command's Korean
# starter files: code the learner reads and completes, whose comments and NotImplementedError hints are
# written Korean.  A whole file per language reads (and is reviewed) as the learner sees it, which
# sentences stitched in from the catalog would not; tests/test_cli_exercise.py holds each Korean
# starter to its English one (the same code, only the words differ).
KOREAN_FOLDERS_ALLOWED: set[str] = {"cli/starters/ko"}


def placeholders(template: str) -> set[str]:
    """The field names of a template (``{name!r}`` and ``{name:을/를}`` both give ``name``)."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def test_english_first_and_korean_there() -> None:
    assert LANGS[0] == "en" and "ko" in LANGS


@pytest.mark.parametrize("lang", LANGS[1:])
def test_every_id_has_every_language(lang: str) -> None:
    english, other = set(catalog("en")), set(catalog(lang))
    assert not english - other, f"{lang} lacks {sorted(english - other)}"
    assert not other - english, f"{lang} has ids English lacks: {sorted(other - english)}"


@pytest.mark.parametrize("lang", LANGS[1:])
def test_translations_use_the_same_placeholders(lang: str) -> None:
    wrong = {key: (placeholders(template), placeholders(catalog(lang)[key]))
             for key, template in catalog("en").items() if placeholders(template) != placeholders(catalog(lang)[key])}
    assert not wrong, wrong


def used_ids() -> dict[str, str]:
    """Each message id the package passes as a literal to text() or a Localized error, with where."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name == "text" or name.startswith("Localized"):
                key = node.args[0].value
                if isinstance(key, str):
                    found[key] = f"{path.relative_to(PACKAGE)}:{node.lineno}"
    return found


def test_every_id_the_code_uses_exists() -> None:
    ids = used_ids()
    assert "lang.unknown" in ids  # the scan finds calls at all
    missing = {key: where for key, where in ids.items() if key not in catalog("en")}
    assert not missing, missing


def korean_literals(path: Path) -> list[str]:
    """Hangul string literals of a Python file that are not docstrings (comments are not literals)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [f"{path.name}:{node.lineno}: {node.value[:40]!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            and HANGUL.search(node.value)]


def test_no_korean_sentence_outside_the_catalogs() -> None:
    assert all((PACKAGE / folder).is_dir() for folder in KOREAN_FOLDERS_ALLOWED)  # no stale allowance
    found = [line for path in sorted(PACKAGE.rglob("*.py")) if path.name not in KOREAN_ALLOWED
             and path.parent.relative_to(PACKAGE).as_posix() not in KOREAN_FOLDERS_ALLOWED
             for line in korean_literals(path)]
    found += [f"{path.relative_to(PACKAGE)}: {line.strip()[:40]!r}"
              for path in sorted(PACKAGE.rglob("*")) if path.suffix in {".html", ".js", ".css"}
              for line in path.read_text(encoding="utf-8").splitlines() if HANGUL.search(line)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(("word", "pair", "expected"), [
    ("사과", "을/를", "를"), ("귤", "을/를", "을"), ("기울기", "이/가", "가"), ("값", "이/가", "이"),
    ("노드", "은/는", "는"), ("입력", "은/는", "은"), ("x", "과/와", "와"), ("n", "과/와", "과"),
    ("물", "으로/로", "로"), ("값", "으로/로", "으로"), ("1", "으로/로", "로"), ("3", "으로/로", "으로"),
    ("'귤'", "을/를", "을"), ("2", "을/를", "를"), ("0", "이/가", "이"),
])
def test_korean_particles_follow_the_final_sound(word: str, pair: str, expected: str) -> None:
    assert particle(word, pair) == expected


def test_errors_are_builtin_types_with_english_str_and_their_id() -> None:
    error = LocalizedValueError("lang.unknown", where="explain", got="fr", langs="en, ko")
    assert isinstance(error, ValueError) and isinstance(error, LocalizedError)
    assert str(error) == "explain(lang=...) must be one of en, ko, got 'fr'"
    assert error.localized("ko") == text("lang.unknown", "ko", where="explain", got="fr", langs="en, ko")
    assert localized(error, "ko") != str(error) and localized(KeyError("k"), "ko") == "'k'"
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is LocalizedValueError and again.key == error.key and str(again) == str(error)
    assert isinstance(LocalizedTypeError("lang.unknown", where="w", got=1, langs="en"), TypeError)


def test_an_error_inside_an_error_speaks_the_same_language() -> None:
    inner = LocalizedValueError("lang.unknown", where="inner", got="fr", langs="en, ko")
    outer = LocalizedValueError("lang.unknown", where="outer", got=inner, langs="en, ko")
    assert text("lang.unknown", "ko", where="inner", got="fr", langs="en, ko") in outer.localized("ko")


def test_session_language_from_set_lang_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(messages.ENV_VAR, raising=False)
    assert messages.get_lang() == "en"
    monkeypatch.setenv(messages.ENV_VAR, "ko")
    assert messages.get_lang() == "ko"
    messages.set_lang("en")
    try:
        assert messages.get_lang() == "en"  # set_lang wins over the environment
    finally:
        messages.set_lang(None)
    monkeypatch.setenv(messages.ENV_VAR, "klingon")
    with pytest.raises(ValueError, match="TINYGRAD_KO_LANG"):
        messages.get_lang()
    with pytest.raises(ValueError, match="set_lang"):
        messages.set_lang("fr")
