"""Report and Finding, and the findings' words in both languages (the book's Korean terms, no English)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tinygrad_ko import layers
from tinygrad_ko.exercises import CODES, SEVERITY, Finding, Report, check_layer, check_value_class
from tinygrad_ko.messages import set_lang

sys.path.insert(0, str(Path(__file__).parent / "exercise_fixtures"))
sys.path.insert(0, str(Path(__file__).parent.parent / "docs" / "examples"))  # the study note's layers (page 12's)
import buggy_layers
import study_note_layers
import values

# Three English words in a row: a sentence, not code (dx = dout * y) or a finding's code.
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}\b")


def test_the_codes_are_the_issues() -> None:
    assert set(CODES) == {"exception", "wrong-forward", "swapped-inputs", "missing-upstream",
                          "sigmoid-derivative-of-input", "wrong-shape", "wrong-gradient", "mutates-input",
                          "reuse-not-accumulated", "not-topological", "wrong-local-derivative", "recursion-limit"}
    assert {code for code, severity in SEVERITY.items() if severity == "warning"} == {"mutates-input",
                                                                                       "recursion-limit"}


def test_a_report_is_true_without_errors_and_lists_errors_first() -> None:
    warning, error = Finding.of("mutates-input", "w"), Finding.of("swapped-inputs", "e")
    report = Report("MulLayer", [warning, error], lang="en")
    assert not report and report.findings == [error, warning]
    assert str(report) == ("MulLayer: ✗ errors: 1, warnings: 1\n\n✗ swapped-inputs (error): e\n\n"
                           "! mutates-input (warning): w")
    assert Report("Relu", [warning], lang="en")
    assert str(Report("Relu", [warning], lang="ko")).startswith("Relu: ✓ 오류 없음 (경고 1개)")


def test_findings_are_frozen() -> None:
    finding = Finding.of("exception", "x")
    with pytest.raises(AttributeError):
        finding.code = "other"  # type: ignore[misc]


def test_the_html_report_escapes_everything() -> None:
    hostile = type("<script>alert(1)</script>", (buggy_layers.MulSwapped,), {})
    html = check_layer(hostile, "mul")._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<li>") == 1


def test_lang_none_is_the_sessions_language() -> None:
    set_lang("ko")
    try:
        report = check_layer(buggy_layers.MulSwapped, "mul")
    finally:
        set_lang(None)
    assert "상류" in report.findings[0].message
    assert "upstream" in check_layer(buggy_layers.MulSwapped, "mul").findings[0].message


def test_an_unknown_language_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="check_layer"):
        check_layer(layers.MulLayer, lang="fr")
    with pytest.raises(ValueError, match="check_value_class"):
        check_value_class(values.GoodValue, lang="fr")


def test_the_korean_messages_use_the_books_terms() -> None:
    (swapped,) = check_layer(buggy_layers.MulSwapped, "mul", lang="ko").findings
    for term in ("상류", "하류", "국소적 미분", "입력 신호를 서로 바꾼 값", "역전파"):
        assert term in swapped.message
    (upstream,) = check_layer(buggy_layers.MulMissingUpstream, "mul", lang="ko").findings
    assert "상류에서 온 기울기" in upstream.message and "국소적 미분" in upstream.message
    (forward,) = check_layer(buggy_layers.MulWrongForward, "mul", lang="ko").findings
    assert "순전파는 x * y를 계산합니다" in forward.message
    (order,) = check_value_class(values.BreadthFirst, lang="ko").findings
    assert "위상 정렬" in order.message


LAYER_CASES = [(name, kind) for name, kind in [
    ("MulSwapped", "mul"), ("MulMissingUpstream", "mul"), ("MulWrongForward", "mul"), ("MulReturnsOne", "mul"),
    ("AddSubSign", "add"), ("ReluBookBackward", "relu"), ("ReluForwardInPlace", "relu"),
    ("ReluMaskInverted", "relu"), ("SigmoidOfInput", "sigmoid"), ("AffineDbNotSummed", "affine"),
    ("AffineDwTransposed", "affine"), ("AffineTransposedToFit", "affine"), ("AffineForgetsDw", "affine"),
    ("SoftmaxNotAveraged", "softmax_with_loss"), ("SoftmaxNoReturn", "softmax_with_loss")]]
ENGINE_CASES = ["ReuseNotAccumulated", "DepthFirstVisitOrder", "ReversedPreorder", "SwappedMul",
                "AddIgnoresUpstream", "SubSign", "RsubBackwards", "SigmoidOfInput", "ReluPassesAll", "RecursiveSort",
                "NoGrad"]


def korean_reports() -> list[Report]:
    return [*(check_layer(getattr(buggy_layers, name), kind, lang="ko") for name, kind in LAYER_CASES),
            *(check_value_class(getattr(values, name), lang="ko") for name in ENGINE_CASES)]


def test_korean_reports_hold_no_english_sentence() -> None:
    for report in korean_reports():
        assert report.findings
        for finding in report.findings:
            words = finding.message.replace("Softmax-with-Loss", "")
            assert not ENGLISH_SENTENCE.search(words), finding.message
            assert re.search("[\uac00-\ud7a3]", finding.message), finding.message


def test_both_languages_quote_the_same_input_and_gradients() -> None:
    gradient = re.compile(r"\b(?:dx|dy|dW|db) = (?:\[[^a-z]*\]|-?\d+(?:\.\d+)?(?:e[+-]\d+)?)")
    for name, kind in LAYER_CASES:
        english = check_layer(getattr(buggy_layers, name), kind, lang="en").findings
        korean = check_layer(getattr(buggy_layers, name), kind, lang="ko").findings
        assert [f.code for f in english] == [f.code for f in korean]
        for en, ko in zip(english, korean, strict=True):
            assert en.message.rsplit(": ", 1)[-1] == ko.message.rsplit(": ", 1)[-1]  # the smallest input
            assert gradient.findall(en.message) == gradient.findall(ko.message), (en.message, ko.message)


def test_the_seeds_report_in_both_languages() -> None:
    for lang in ("en", "ko"):
        reports = [check_layer(cls, lang=lang) for cls in (study_note_layers.MulLayer, study_note_layers.AddLayer,
                                                            study_note_layers.Relu)]
        assert [bool(r) for r in reports] == [True, True, False]
        assert "NameError: name 'douit' is not defined (study_note_layers.py:" in str(reports[2])
