"""The drawing and training floors speak through the catalog: errors carry ids, the writer names its file."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from tinygrad_ko import Value, to_dot
from tinygrad_ko.draw.engines import EngineNotFoundError, EngineTimeoutError, find_engine
from tinygrad_ko.messages import set_lang
from tinygrad_ko.outputs import OutputPathError, check_writable, write_atomically
from tinygrad_ko.train.plots import plot_words
from tinygrad_ko.train.recipes import train


def test_a_write_failure_names_what_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "page.html"
    folder.mkdir()
    with pytest.raises(OSError, match="cannot write the training page: ") as caught:
        write_atomically(folder, b"<html>", "the training page")
    assert caught.value.filename == str(folder)
    with pytest.raises(OSError, match="cannot write the drawing: "):
        write_atomically(folder, b"<svg/>")


def test_output_path_errors_are_localized_and_keep_their_reason(tmp_path: Path) -> None:
    with pytest.raises(OutputPathError) as caught:
        check_writable(str(tmp_path / "missing" / "a.png"), "the picture")
    error = caught.value
    assert (error.reason, error.what, error.detail) == ("no_folder", "the picture", str(tmp_path / "missing"))
    assert "폴더가 없습니다" in error.localized("ko")
    again = pickle.loads(pickle.dumps(error))
    assert (again.reason, str(again)) == (error.reason, str(error))


def test_engine_errors_carry_their_id_and_read_in_korean(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(EngineNotFoundError) as caught:
        find_engine("no-such-graphviz")
    assert isinstance(caught.value, RuntimeError) and caught.value.key == "draw.engine_not_found_argument"
    assert "(from engine=)" in str(caught.value) and "찾을 수 없거나" in caught.value.localized("ko")
    stopped = pickle.loads(pickle.dumps(EngineTimeoutError("draw.engine_timeout", program="dot", timeout=0.5)))
    assert (stopped.program, stopped.timeout) == ("dot", 0.5)
    assert stopped.localized("ko").startswith("Graphviz 엔진(dot)을 0.5초 뒤에 멈췄습니다")


def test_the_drawing_words_follow_the_session_language() -> None:
    x = Value(2.0, label="x")
    y = x * x
    y.backward()
    assert to_dot(y).source == to_dot(y, lang="en").source
    set_lang("ko")
    try:
        assert to_dot(y).source == to_dot(y, lang="ko").source
        assert "기울기" in to_dot(y).source
    finally:
        set_lang(None)


def test_the_plot_words_come_from_the_catalog() -> None:
    assert plot_words("en")["boundary"].format(name="moons") == "moons: decision boundary"
    assert plot_words("ko")["wrong"].format(p=3, t=5) == "3 (정답 5)"
    with pytest.raises(ValueError, match=r"plot_run\(lang=\.\.\.\) must be one of en, ko"):
        plot_words("fr")


def test_recipe_errors_keep_their_english_and_read_in_korean() -> None:
    expected = "unknown data set 'circles'; choose one of moons, spiral, xor, digits"
    with pytest.raises(ValueError, match=expected) as caught:
        train("circles")
    assert "알 수 없는 데이터셋" in caught.value.localized("ko")  # type: ignore[attr-defined]
