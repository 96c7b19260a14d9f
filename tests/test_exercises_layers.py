"""check_layer: each classic mistake gets its own finding code and nothing else; right layers get none."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_ko import layers
from tinygrad_ko.exercises import KINDS, check_layer

FIXTURES = Path(__file__).parent / "exercise_fixtures"
# The fixtures are learners' files: plain modules on a path, as `tinygrad-ko check` imports them.
sys.path.insert(0, str(FIXTURES))
# The study note's own layers: the one copy, which page 12 checks too.
sys.path.insert(0, str(Path(__file__).parent.parent / "docs" / "examples"))
import book_layers  # noqa: E402
import buggy_layers  # noqa: E402
import study_note_layers  # noqa: E402

PROJECT = {"mul": layers.MulLayer, "add": layers.AddLayer, "relu": layers.Relu, "sigmoid": layers.Sigmoid,
           "affine": layers.Affine, "softmax_with_loss": layers.SoftmaxWithLoss}

BUGGY = [
    ("MulSwapped", "mul", {"swapped-inputs"}),
    ("MulSwappedOnlyDx", "mul", {"swapped-inputs"}),
    ("MulMissingUpstream", "mul", {"missing-upstream"}),
    ("MulWrongForward", "mul", {"wrong-forward"}),
    ("MulReturnsOne", "mul", {"wrong-gradient"}),
    ("MulSlightlyOff", "mul", {"wrong-gradient"}),
    ("AddSubSign", "add", {"wrong-gradient"}),
    ("AddMissingUpstream", "add", {"missing-upstream"}),
    ("AddTypo", "add", {"exception"}),
    ("ReluBookBackward", "relu", {"mutates-input"}),
    ("ReluForwardInPlace", "relu", {"mutates-input"}),
    ("ReluMaskInverted", "relu", {"wrong-gradient"}),
    ("SigmoidOfInput", "sigmoid", {"sigmoid-derivative-of-input"}),
    ("SigmoidMissingUpstream", "sigmoid", {"missing-upstream"}),
    ("AffineDbNotSummed", "affine", {"wrong-shape"}),
    ("AffineDwTransposed", "affine", {"wrong-shape"}),
    ("AffineTransposedToFit", "affine", {"wrong-shape"}),
    ("AffineForgetsDw", "affine", {"wrong-gradient"}),
    ("SoftmaxNotAveraged", "softmax_with_loss", {"wrong-gradient"}),
    ("SoftmaxNoReturn", "softmax_with_loss", {"wrong-gradient"}),
    ("SoftmaxLossOff", "softmax_with_loss", {"wrong-forward"}),
    ("AffineRaisingProperty", "affine", {"exception"}),
]


def line_of(module: ModuleType, needle: str) -> int:
    """The line of ``needle`` in the fixture's file (read, so the test follows the file)."""
    lines = Path(str(module.__file__)).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if needle in line)


@pytest.mark.parametrize(("name", "kind", "expected"), BUGGY, ids=[name for name, _, _ in BUGGY])
def test_each_mistake_gets_its_code_and_nothing_else(name: str, kind: str, expected: set[str]) -> None:
    report = check_layer(getattr(buggy_layers, name), kind)
    assert report.codes == expected, str(report)
    assert bool(report) == (expected == {"mutates-input"})


@pytest.mark.parametrize("kind", KINDS)
def test_the_projects_own_layers_pass(kind: str) -> None:
    report = check_layer(PROJECT[kind])
    assert report.findings == [] and bool(report)


@pytest.mark.parametrize(("kind", "cls"), [(kind, cls) for kind, classes in book_layers.ALTERNATIVES.items()
                                           for cls in classes], ids=lambda v: getattr(v, "__name__", v))
def test_the_books_layers_written_correctly_pass(kind: str, cls: type) -> None:
    assert check_layer(cls, kind).findings == []


@settings(max_examples=60)
@given(st.sampled_from([(kind, cls) for kind, classes in book_layers.ALTERNATIVES.items() for cls in classes]),
       st.integers(0, 2**32 - 1))
def test_right_layers_in_any_form_pass_on_any_seed(layer: tuple[str, type], seed: int) -> None:
    kind, cls = layer
    report = check_layer(cls, kind, seed=seed)
    assert not report.errors, str(report)


def test_the_seeds_mul_and_add_layers_pass() -> None:
    assert check_layer(study_note_layers.MulLayer).findings == []
    assert check_layer(study_note_layers.AddLayer).findings == []


def test_the_seeds_relu_is_reported_with_its_file_and_line() -> None:
    report = check_layer(study_note_layers.Relu)
    assert report.codes == {"exception", "mutates-input"}
    (error,) = report.errors
    line = line_of(study_note_layers, "dx = douit")
    assert f"NameError: name 'douit' is not defined (study_note_layers.py:{line})" in error.message
    (warning,) = report.warnings
    assert "before [1.5, 2.5], after [0, 2.5]" in warning.message  # the caller's dout, zeroed where x <= 0
    assert "two branches" in warning.message


def test_the_line_is_the_learners_not_numpys() -> None:
    class Affine(book_layers.Affine):
        def backward(self, dout):  # type: ignore[no-untyped-def]
            return np.dot(dout, self.W)  # W, not W.T: numpy raises the shape error

    report = check_layer(Affine)
    # W (2, 3) does not fit dout (1, 3): numpy raises inside np.dot; the square W of the next
    # case fits, and the values are wrong there.
    assert report.codes == {"exception", "wrong-gradient"}
    (finding,) = (f for f in report.findings if f.code == "exception")
    assert finding.message.startswith("Affine.backward(dout) raised ValueError: shapes (1,3) and (2,3) not aligned")
    assert f"(test_exercises_layers.py:{line_of(sys.modules[__name__], 'np.dot(dout, self.W)  #')})" \
        in finding.message


def test_the_message_quotes_the_smallest_input_and_both_numbers() -> None:
    (finding,) = check_layer(buggy_layers.MulSwapped, "mul").findings
    assert "dx = 110, dy = 2.2" in finding.message and "dx = 2.2, dy = 110" in finding.message
    assert finding.message.endswith("The smallest input that shows it: x = 100, y = 2, dout = 1.1.")


def test_a_square_w_hides_the_shape_but_not_the_transpose() -> None:
    (finding,) = check_layer(buggy_layers.AffineTransposedToFit, "affine").findings
    assert "transpose" in finding.message and "square" in finding.message
    assert "W = [[" in finding.message  # the case of the square W is the one quoted


def test_numbers_differing_past_rounding_are_shown_with_enough_digits() -> None:
    (finding,) = check_layer(buggy_layers.MulSlightlyOff, "mul").findings
    assert "returned dx = 2.200000022, expected dx = 2.2." in finding.message


def test_rounding_noise_far_inside_the_tolerance_passes() -> None:
    assert check_layer(buggy_layers.MulRoundingNoise, "mul").findings == []


def test_kind_comes_from_the_books_class_name() -> None:
    with pytest.raises(ValueError, match=r"MulSwapped.*kind=.*mul, add, relu, sigmoid, affine, softmax_with_loss"):
        check_layer(buggy_layers.MulSwapped)
    with pytest.raises(ValueError, match="kind must be one of mul, add"):
        check_layer(buggy_layers.MulSwapped, "multiply")


@pytest.mark.parametrize("bad", [1.5, -1, True, "0"])
def test_a_bad_seed_is_a_value_error(bad: object) -> None:
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        check_layer(layers.MulLayer, seed=bad)  # type: ignore[arg-type]


def test_an_instance_instead_of_the_class_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"class itself.*MulLayer"):
        check_layer(layers.MulLayer())  # type: ignore[arg-type]


def test_a_constructor_that_raises_is_a_finding() -> None:
    class MulLayer:
        def __init__(self, name):  # type: ignore[no-untyped-def]
            self.name = name

    report = check_layer(MulLayer)
    (finding,) = report.findings
    assert finding.code == "exception" and "MulLayer() raised TypeError" in finding.message


def test_ctrl_c_is_not_a_finding() -> None:
    class MulLayer(book_layers.MulLayer):
        def forward(self, x, y):  # type: ignore[no-untyped-def]
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        check_layer(MulLayer)


def test_the_check_leaves_numpys_global_random_state_alone() -> None:
    np.random.seed(5)
    expected = np.random.random()
    np.random.seed(5)
    check_layer(layers.Affine)
    assert np.random.random() == expected


def test_the_books_1e_7_inside_the_log_passes_but_a_larger_shift_does_not() -> None:
    assert check_layer(book_layers.SoftmaxWithLoss).findings == []  # log(y + 1e-7)
    (finding,) = check_layer(buggy_layers.SoftmaxLossOff, "softmax_with_loss").findings  # log(y + 1e-3)
    assert finding.code == "wrong-forward" and "returned 0.877905, expected 0.880342" in finding.message


def test_an_error_raised_outside_the_calls_is_still_the_learners() -> None:
    (finding,) = check_layer(buggy_layers.AffineRaisingProperty, "affine").findings
    line = line_of(buggy_layers, 'raise ValueError("db is computed later")')
    assert f"ValueError: db is computed later (buggy_layers.py:{line})" in finding.message


def test_a_mistake_of_the_checker_itself_is_not_blamed_on_the_learner(monkeypatch: pytest.MonkeyPatch) -> None:
    from tinygrad_ko.exercises import layers as checks

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in the checker")

    monkeypatch.setattr(checks._LayerRun, "_diagnose", broken)
    with pytest.raises(RuntimeError, match="a bug in the checker"):
        check_layer(layers.MulLayer)
