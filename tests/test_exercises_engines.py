"""check_value_class: each classic engine mistake gets its own finding code and nothing else; right engines none."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tinygrad_ko import Value
from tinygrad_ko.exercises import check_value_class

sys.path.insert(0, str(Path(__file__).parent / "exercise_fixtures"))
import values

BUGGY = [
    ("ReuseNotAccumulated", {"reuse-not-accumulated"}),
    ("DepthFirstVisitOrder", {"not-topological"}),
    ("BreadthFirst", {"not-topological"}),
    ("ReversedPreorder", {"not-topological"}),
    ("SwappedMul", {"swapped-inputs"}),
    ("AddIgnoresUpstream", {"missing-upstream"}),
    ("NoSeed", {"missing-upstream"}),
    ("SubSign", {"wrong-local-derivative"}),
    ("RsubBackwards", {"wrong-forward"}),
    ("SigmoidOfInput", {"sigmoid-derivative-of-input"}),
    ("ReluPassesAll", {"wrong-local-derivative"}),
    ("TanhTypo", {"exception"}),
    ("RecursiveSort", {"recursion-limit"}),
    ("RaisesInInit", {"exception"}),
    ("NoGrad", {"exception"}),
    ("NoBackward", {"exception"}),
    ("DataRaisesAfterMul", {"exception"}),
]


@pytest.mark.parametrize(("name", "expected"), BUGGY, ids=[name for name, _ in BUGGY])
def test_each_engine_mistake_gets_its_code_and_nothing_else(name: str, expected: set[str]) -> None:
    report = check_value_class(getattr(values, name))
    assert report.codes == expected, str(report)
    assert bool(report) == (expected == {"recursion-limit"})


@pytest.mark.parametrize("cls", [values.GoodValue, Value], ids=["GoodValue", "tinygrad_ko.Value"])
def test_right_engines_pass(cls: type) -> None:
    assert check_value_class(cls).findings == []


def test_micrograds_value_gets_only_the_recursion_warning() -> None:
    from micrograd.engine import Value as MicrogradValue

    report = check_value_class(MicrogradValue)
    assert report.codes == {"recursion-limit"} and bool(report)
    assert "5,000" in report.findings[0].message


@pytest.mark.parametrize("limit", [200, 100_000])
def test_the_recursion_limit_is_the_default_during_the_check_and_restored_after(limit: int) -> None:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        report = check_value_class(values.RecursiveSort)
        after = sys.getrecursionlimit()
    finally:
        sys.setrecursionlimit(old)
    assert after == limit
    assert report.codes == {"recursion-limit"}  # even where a raised limit would have let it through


def test_the_reused_node_message_says_add_not_assign() -> None:
    (finding,) = check_value_class(values.ReuseNotAccumulated).findings
    assert "x.grad = 1, expected x.grad = 2" in finding.message and "+=" in finding.message
    assert finding.message.endswith("x = 3; z = x + x; z.backward().")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_backward_that_never_seeds_the_root_is_told_so_once(lang: str) -> None:
    report = check_value_class(values.NoSeed, lang=lang)
    (finding,) = report.findings  # one mistake, one finding: not one per op it shows at
    assert finding.code == "missing-upstream"
    assert "self.grad = 1" in finding.message and "= 0" in finding.message
    assert ("chain rule" in finding.message) if lang == "en" else ("연쇄법칙" in finding.message)
    # A backward that seeds but ignores out.grad in + is the other message.
    (other,) = check_value_class(values.AddIgnoresUpstream, lang=lang).findings
    assert "self.grad = 1" not in other.message and "out.grad" in other.message


def test_the_wrong_op_is_named() -> None:
    (relu,) = check_value_class(values.ReluPassesAll).findings
    assert "ReLU node" in relu.message and "x = -2" in relu.message
    (sub,) = check_value_class(values.SubSign).findings
    assert "subtract node" in sub.message and "sign" in sub.message and "y.grad = 1.1, expected y.grad = -1.1" \
        in sub.message


def test_an_exception_names_the_learners_line() -> None:
    (finding,) = check_value_class(values.TanhTypo).findings
    lines = Path(values.__file__).read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "outt.data" in text)
    assert f"NameError: name 'outt' is not defined (values.py:{line})" in finding.message


def test_a_class_without_the_other_ops_is_checked_on_plus_and_times_only() -> None:
    class Minimal(values.GoodValue):
        pass

    for name in ("__sub__", "__truediv__", "__pow__", "__neg__", "relu", "tanh", "sigmoid", "exp", "log",
                 "__radd__", "__rmul__", "__rsub__", "__rtruediv__"):
        setattr(Minimal, name, None)
    assert check_value_class(Minimal).findings == []


def test_an_instance_instead_of_the_class_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="check_value_class"):
        check_value_class(Value(1.0))  # type: ignore[arg-type]


def test_an_error_raised_outside_the_calls_is_still_the_learners() -> None:
    (finding,) = check_value_class(values.DataRaisesAfterMul).findings
    assert finding.message.startswith("DataRaisesAfterMul raised RuntimeError: data is gone (values.py:")
