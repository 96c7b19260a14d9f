"""numerical_diff, numerical_grad and gradcheck: accuracy, restoring inputs, reports, failures."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from tinygrad_ko import Value, gradcheck, numerical_diff, numerical_grad
from tinygrad_ko.numerical import GradcheckError, default_step
from tinygrad_ko.text import display_width

EPS = sys.float_info.epsilon


# --- numerical_diff: the book's central difference ---------------------------------------------


def function_1(x: float) -> float:
    return 0.01 * x**2 + 0.1 * x


def test_numerical_diff_gives_the_books_printed_numbers() -> None:
    # Deep Learning from Scratch ch. 4 prints these two results of numerical_diff.
    assert numerical_diff(function_1, 5) == 0.1999999999990898
    assert numerical_diff(function_1, 10) == 0.2999999999986347


@pytest.mark.parametrize("x", [-2.0, 0.5, 1.0, 3.0])
def test_numerical_diff_error_is_the_central_difference_truncation_term(x: float) -> None:
    # For exp, (e^(x+h) - e^(x-h)) / 2h = e^x·sinh(h)/h = e^x·(1 + h²/6 + ...): the error
    # is h²/6·e^x (1.7e-9 relative at h = 1e-4).  Rounding adds about ε·e^x/h ≈ 2e-12·e^x,
    # i.e. 0.13% of that term, so the error must be the term to within 1%.  A forward
    # difference would be off by h/2·e^x, 30,000 times more.
    h = 1e-4
    error = numerical_diff(math.exp, x, h) - math.exp(x)
    assert math.isclose(error, h * h / 6 * math.exp(x), rel_tol=0.01)


@pytest.mark.parametrize("h", [0.0, -1e-4, math.inf, math.nan])
def test_numerical_diff_rejects_a_step_that_is_not_positive_and_finite(h: float) -> None:
    with pytest.raises(ValueError, match=r"the step h must be a positive finite number"):
        numerical_diff(function_1, 1.0, h)


# --- numerical_grad on Values --------------------------------------------------------------------


def test_numerical_grad_of_values_is_accurate_to_about_eps_to_the_two_thirds() -> None:
    x, y = Value(0.7), Value(-1.3)
    grads = numerical_grad(lambda x, y: (x * y).tanh() + x.exp() / y, [x, y])
    t = math.tanh(0.7 * -1.3)
    exact = [(1 - t * t) * -1.3 + math.exp(0.7) / -1.3, (1 - t * t) * 0.7 - math.exp(0.7) / 1.3**2]
    # With the default step ε^(1/3) the error is of order ε^(2/3) ≈ 4e-11 times the
    # function's scale (here about 2); 1e-9 leaves a factor of ten.
    for g, e in zip(grads, exact, strict=True):
        assert abs(g - e) <= 1e-9


def test_numerical_grad_restores_inputs_bit_for_bit() -> None:
    x, y = Value(0.1), Value(1e-300)  # 0.1 + s - s != 0.1 in floating point
    numerical_grad(lambda x, y: x * x + y, [x, y])
    assert (x.data, y.data) == (0.1, 1e-300)


def test_numerical_grad_restores_inputs_when_f_raises() -> None:
    x, y = Value(2.0), Value(3.0)
    calls = 0

    def f(x: Value, y: Value) -> Value:
        nonlocal calls
        calls += 1
        if calls == 3:  # the first step of y, while y.data is stepped
            raise RuntimeError("boom")
        return x * y

    with pytest.raises(RuntimeError, match="boom"):
        numerical_grad(f, [x, y])
    assert (x.data, y.data) == (2.0, 3.0)


def test_numerical_grad_scales_the_step_with_the_input() -> None:
    # At 1e12 a float is spaced 1.2e-4 apart: the book's fixed h = 1e-4 cannot even be
    # represented there, and its result is off by tens of percent.  The scaled step
    # h·|x| is ~6e6 and the result is good to about ε^(2/3).
    x = 1e12
    book = numerical_diff(lambda v: v * v, x)
    assert abs(book - 2 * x) > 0.1 * 2 * x
    (ours,) = numerical_grad(lambda v: v * v, [Value(x)])
    assert math.isclose(ours, 2 * x, rel_tol=1e-9)


def test_numerical_grad_runs_f_without_recording_graphs() -> None:
    seen: list[tuple[Value, ...]] = []

    def f(x: Value) -> Value:
        out = x * 2
        seen.append(out.parents)
        return out

    numerical_grad(f, [Value(1.0)])
    assert seen == [(), ()]


def test_numerical_grad_of_an_unused_input_is_zero() -> None:
    assert numerical_grad(lambda x, y: x * 3, [Value(1.0), Value(2.0)])[1] == 0.0


@pytest.mark.parametrize(
    ("inputs", "pattern"),
    [
        (Value(1.0), r"inputs must be a list of Values .* put the Value in a list, e\.g\. numerical_grad\(f, \[x\]\)"),
        ([1.0, 2.0], r"inputs must be a list of Values \(f is called as f\(\*inputs\)\) or a numpy array, got list"),
    ],
)
def test_numerical_grad_rejects_inputs_that_are_not_values_or_an_array(inputs: object, pattern: str) -> None:
    with pytest.raises(TypeError, match=pattern):
        numerical_grad(lambda *v: v[0], inputs)  # type: ignore[call-overload]


def test_numerical_grad_needs_f_to_return_one_number() -> None:
    with pytest.raises(TypeError, match=r"f must return one number .* got ndarray of shape \(2,\)"):
        numerical_grad(lambda x: x * 2, np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"f must return one number .* got str"):
        numerical_grad(lambda x: "1", [Value(1.0)])


@pytest.mark.parametrize("bad", [math.inf, math.nan])
def test_numerical_grad_rejects_non_finite_inputs(bad: float) -> None:
    with pytest.raises(ValueError, match=r"numerical_grad \(input 0\): central differences need finite inputs"):
        numerical_grad(lambda x: x, [Value(bad)])


def test_numerical_grad_rejects_a_step_too_small_to_move_the_input() -> None:
    with pytest.raises(ValueError, match=r"the step h=1e-20 is too small to change an input of 1\.0"):
        numerical_grad(lambda x: x, [Value(1.0)], h=1e-20)


# --- numerical_grad on numpy arrays (the book's numerical_gradient) --------------------------------


def test_numerical_grad_of_an_integer_array_works_on_a_float_copy() -> None:
    # The book's numerical_gradient writes x + h into an int array, which truncates the step.
    x = np.array([3, 4])
    grad = numerical_grad(lambda x: x[0] ** 2 + x[1] ** 2, x)
    np.testing.assert_allclose(grad, [6.0, 8.0], rtol=1e-9)
    assert grad.dtype == np.float64
    np.testing.assert_array_equal(x, [3, 4])
    assert x.dtype.kind == "i"


def test_numerical_grad_steps_a_float_array_in_place_for_closures() -> None:
    # The book's pattern: f ignores its argument and reads the parameters it closes over.
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    before = W.copy()
    grad = numerical_grad(lambda _: float(np.sum(W**2)), W)
    np.testing.assert_allclose(grad, 2 * before, rtol=1e-9)
    np.testing.assert_array_equal(W, before)


def test_numerical_grad_of_a_read_only_float32_array_works_on_a_float32_copy() -> None:
    x = np.array([1.0, 2.0], dtype=np.float32)
    x.flags.writeable = False
    grad = numerical_grad(lambda x: float(np.sum(x * x)), x)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, [2.0, 4.0], rtol=1e-3)  # float32 step: see the float32 test


@pytest.mark.parametrize(
    ("x", "pattern"),
    [
        (np.array([1 + 2j]), r"x must be an array of real numbers, got dtype complex128$"),
        (np.array([Value(1.0)], dtype=object), r"got dtype object; for Values pass a list"),
    ],
)
def test_numerical_grad_rejects_arrays_that_are_not_real_numbers(x: np.ndarray, pattern: str) -> None:
    with pytest.raises(TypeError, match=pattern):
        numerical_grad(lambda x: 0.0, x)


def test_numerical_grad_restores_an_array_when_f_raises() -> None:
    x = np.array([0.1, 0.2, 0.3])
    calls = 0

    def f(x: np.ndarray) -> float:
        nonlocal calls
        calls += 1
        if calls == 4:  # while x[1] is stepped
            raise ArithmeticError("boom")
        return float(np.sum(x))

    with pytest.raises(ArithmeticError, match="boom"):
        numerical_grad(f, x)
    np.testing.assert_array_equal(x, [0.1, 0.2, 0.3])


def test_numerical_grad_uses_a_step_suited_to_float32() -> None:
    x = np.array([0.5, -1.5, 2.0], dtype=np.float32)
    exact = 3 * x.astype(np.float64) ** 2

    def f(x: np.ndarray) -> float:
        return float(np.sum(x**3))  # computed in float32

    grad = numerical_grad(f, x)
    assert grad.dtype == np.float32
    # With the float32 step h = ε32^(1/3) ≈ 4.9e-3 and s = h·max(1, |x|): truncation
    # s²·f'''/6 = s², rounding about ε32·|f|/s ≈ 2.8e-4; relative to 3x² >= 0.75 both
    # stay below 4e-4, so 1e-3 holds with room.
    np.testing.assert_allclose(grad, exact, rtol=1e-3)
    # The float64 step (6e-6) drowns in float32 rounding: ε32·|f|/h ≈ 0.2 in absolute terms.
    too_small = numerical_grad(f, x, h=default_step())
    assert np.max(np.abs(too_small - exact) / exact) > 10 * np.max(np.abs(grad - exact) / exact)


# --- gradcheck ------------------------------------------------------------------------------------


def test_gradcheck_passes_and_reports_both_gradients_per_input() -> None:
    x, y = Value(2.0, label="x"), Value(-0.5, label="y")
    result = gradcheck(lambda x, y: (x * y).sigmoid() * x, [x, y])
    assert result and result.ok and not result.failures
    text = str(result)
    assert text.startswith("gradcheck passed: |analytical - numerical| <= atol + rtol·|numerical|")
    assert "atol=1e-05, rtol=0.001" in text
    for entry in result.entries:
        assert entry.name in text and repr(entry.analytical) in text and repr(entry.numerical) in text
        assert entry.error == abs(entry.analytical - entry.numerical)
        assert entry.allowed == 1e-5 + 1e-3 * abs(entry.numerical)
    assert [e.name for e in result.entries] == ["x", "y"]
    assert result.max_error < 1e-9


def test_gradcheck_flags_relus_kink() -> None:
    # At 0 the engine says relu' = 0 (a convention); the central difference straddles
    # the kink and sees (h - 0) / 2h = 0.5.  gradcheck must catch the disagreement.
    result = gradcheck(lambda x: x.relu(), [Value(0.0)])
    assert not result
    (entry,) = result.failures
    assert (entry.analytical, entry.numerical) == (0.0, 0.5)
    assert str(result).startswith("gradcheck FAILED for 1 of 1 inputs")
    assert "NO" in str(result)


def test_gradcheck_catches_a_wrong_hand_derived_gradient() -> None:
    # d(x*y) = (y, x); the learner swapped them.
    x, y = Value(2.0, label="x"), Value(5.0, label="y")
    wrong = gradcheck(lambda x, y: x * y, [x, y], analytical=lambda x, y: [x.data, y.data])
    assert not wrong and [e.name for e in wrong.failures] == ["x", "y"]
    right = gradcheck(lambda x, y: x * y, [x, y], analytical=lambda x, y: [y.data, x.data])
    assert right


@pytest.mark.parametrize(("factor", "passes"), [(0.99, True), (1.01, False)])
def test_gradcheck_applies_atol_plus_rtol_times_numerical(factor: float, passes: bool) -> None:
    # f = 3x: the numerical gradient is 3 to about 1e-10, so the allowed error is
    # 1e-5 + 3e-3; 1% inside it must pass and 1% outside must fail.
    allowed = 1e-5 + 1e-3 * 3.0
    result = gradcheck(lambda x: 3 * x, [Value(0.4)], analytical=lambda x: [3.0 + factor * allowed])
    assert bool(result) is passes


def test_gradcheck_can_raise_with_the_report() -> None:
    with pytest.raises(GradcheckError, match=r"(?s)gradcheck FAILED for 1 of 1 inputs.*inputs\[0\] .* NO"):
        gradcheck(lambda x: x.relu(), [Value(0.0)], raise_exception=True)


def test_gradcheck_ignores_gradients_accumulated_before_and_leaves_them_alone() -> None:
    x, w = Value(1.5, label="x"), Value(-2.0, label="w")  # w is closed over, not an input
    x.grad, w.grad = 100.0, 7.0

    def f(x: Value) -> Value:
        return (x * w).tanh()

    first = gradcheck(f, [x])
    second = gradcheck(f, [x])  # an accumulating check would see twice the gradient here
    assert first and second
    assert first.entries[0].analytical == second.entries[0].analytical
    assert (x.grad, w.grad, x.data, w.data) == (100.0, 7.0, 1.5, -2.0)


def test_gradcheck_of_an_input_f_does_not_use_is_zero_and_passes() -> None:
    result = gradcheck(lambda x, y: x * 2, [Value(1.0), Value(2.0)])
    assert result and result.entries[1].analytical == result.entries[1].numerical == 0.0


def test_gradcheck_needs_f_to_return_a_value() -> None:
    with pytest.raises(TypeError, match=r"f\(\*inputs\) must return a Value .* got float; .* pass analytical="):
        gradcheck(lambda x: 1.0, [Value(1.0)])


def test_gradcheck_needs_one_analytical_gradient_per_input() -> None:
    with pytest.raises(ValueError, match=r"one gradient per input \(2\), got 1"):
        gradcheck(lambda x, y: x * y, [Value(1.0), Value(2.0)], analytical=lambda x, y: [1.0])


def test_gradcheck_on_an_array_needs_an_analytical_gradient_of_its_shape() -> None:
    x = np.ones((2, 3))
    with pytest.raises(TypeError, match=r"on a numpy array needs analytical="):
        gradcheck(lambda x: float(np.sum(x)), x)
    with pytest.raises(ValueError, match=r"must return an array of x's shape \(2, 3\), got \(3,\)"):
        gradcheck(lambda x: float(np.sum(x)), x, analytical=lambda x: np.ones(3))


def test_gradcheck_on_an_array_names_elements_and_summarises_long_reports() -> None:
    x = np.arange(30.0).reshape(5, 6)

    def wrong_at_0_3(x: np.ndarray) -> np.ndarray:
        g = 2 * x
        g[0, 3] += 1.0
        return g

    result = gradcheck(lambda x: float(np.sum(x**2)), x, analytical=wrong_at_0_3)
    assert [e.name for e in result.failures] == ["x[0,3]"]
    lines = str(result).splitlines()
    assert lines[0].startswith("gradcheck FAILED for 1 of 30 inputs")
    assert lines[2].startswith("x[0,3] ")  # failures first
    assert lines[-1] == "... and 10 more inputs, all passed"
    assert len(lines) == 2 + 20 + 1


def test_gradcheck_report_columns_line_up_with_hangul_labels() -> None:
    from tinygrad_ko.text import display_width

    사과, tax = Value(100.0, label="사과"), Value(1.1, label="tax")
    report = str(gradcheck(lambda a, t: a * t, [사과, tax]))
    hangul_row, ascii_row = report.splitlines()[2:4]
    assert hangul_row.startswith("사과 ") and ascii_row.startswith("tax ")
    # Every column is fixed-width, so rows line up exactly when they take the same
    # number of terminal columns; "사과" is 2 characters but 4 columns on screen.
    assert display_width(hangul_row) == display_width(ascii_row)


def test_gradcheck_reports_in_korean_with_the_book_s_words() -> None:
    result = gradcheck(lambda x: x.relu(), [Value(0.0, label="사과")], lang="ko")
    lines = str(result).splitlines()
    assert lines[0].startswith("기울기 확인 실패: 입력 1개 중 1개: |해석적 기울기 - 수치 미분|")
    assert lines[1].split() == ["입력", "해석적", "기울기", "수치", "미분", "|차이|", "허용", "오차", "통과"]
    assert lines[2].split()[0] == "사과" and lines[2].split()[-1] == "아니요"
    assert str(gradcheck(lambda x: x * 2, [Value(1.0)], lang="ko")).startswith("기울기 확인 통과")
    # The table lines up in a terminal: the header's columns end where the numbers' do.
    header, row = lines[1], lines[2]
    assert display_width(header) == display_width(row.replace("아니요", "통과"))
    with pytest.raises(ValueError, match=r"gradcheck\(lang=...\) must be one of en, ko, got 'jp'"):
        gradcheck(lambda x: x, [Value(1.0)], lang="jp")
# --- issue 15, items 7 and 12 ---

def test_numerical_grad_reads_a_generator_of_values_once() -> None:
    x, y = Value(2.0), Value(3.0)
    grads = numerical_grad(lambda a, b: a * b, (v for v in [x, y]))
    # d(xy)/dx = y = 3, d/dy = x = 2; the central difference of a product is exact up
    # to rounding of about eps·|f|/h = 2e-16·6/6e-6 ≈ 2e-10.
    assert grads == pytest.approx([3.0, 2.0], abs=1e-9)


def test_numerical_grad_refuses_what_is_not_values_or_an_array() -> None:
    for bad in (3.0, "xy", None):
        with pytest.raises(TypeError, match="inputs must be a list of Values"):
            numerical_grad(lambda a: a, bad)  # type: ignore[call-overload]


def test_an_f_that_mutates_its_array_gets_the_right_gradient_and_the_array_back() -> None:
    # f doubles its argument in place, then squares the sum: f(x) = (2·(x0 + x1))², so
    # ∂f/∂xi = 8·(x0 + x1) = 24 at (1, 2) if every evaluation sees the input, stepped once.
    def f(a: np.ndarray) -> float:
        a *= 2
        return float(a.sum() ** 2)

    x = np.array([1.0, 2.0])
    grad = numerical_grad(f, x)
    # Truncation error is 0 for a quadratic; rounding is about eps·|f|/h ≈ 2e-16·36/6e-6 ≈ 1e-9.
    np.testing.assert_allclose(grad, [24.0, 24.0], atol=1e-8)
    assert x.tobytes() == np.array([1.0, 2.0]).tobytes()  # bit for bit


def test_an_f_that_changes_its_input_values_gets_the_right_gradient_and_them_back() -> None:
    x, y = Value(1.0), Value(2.0)

    def f(a: Value, b: Value) -> Value:
        out = a * b
        a.data, b.data = 100.0, -100.0  # a careless f leaves its inputs changed
        return out

    grads = numerical_grad(f, [x, y])
    assert grads == pytest.approx([2.0, 1.0], abs=1e-9)  # rounding ≈ eps·|f|/h ≈ 1e-10, as above
    assert (x.data, y.data) == (1.0, 2.0)


def test_gradcheck_at_a_domain_edge_names_the_users_input_and_the_cause() -> None:
    x = Value(0.0, label="x")
    with pytest.raises(ValueError, match="fails at") as caught:
        gradcheck(lambda v: v**0.5, [x])
    message = str(caught.value)
    assert message.startswith("numerical_grad (input 0, 'x'): f works at the input 0.0 but fails at -6.05")
    assert "edge of f's domain" in message and "check a point inside the domain" in message
    assert x.data == 0.0
    # An f that fails at the input itself raises its own error, about that input.
    with pytest.raises(ValueError, match=r"^log: input must be greater than 0, got 0\.0"):
        gradcheck(lambda v: v.log(), [Value(0.0)])


def test_a_step_too_large_for_f_is_an_error_not_nan() -> None:
    with pytest.raises(ValueError, match=r"f is 4\.0 at the input 2\.0 but inf at 2e\+300.*h=1e\+300 is too large"):
        gradcheck(lambda v: v * v, [Value(2.0)], h=1e300)
    with pytest.raises(ValueError, match=r"x\[0\]\): f is 4\.0 at the input 2\.0 but inf .* too large"):
        numerical_grad(lambda a: float(a[0]) * float(a[0]), np.array([2.0]), h=1e300)
    with pytest.raises(ValueError, match=r"the step h=1e\+300 takes the input 10000000000\.0 beyond the largest float"):
        numerical_grad(lambda a: a, [Value(1e10)], h=1e300)
    with pytest.raises(ValueError, match=r"f is inf at the input 1e\+200 itself"):
        numerical_grad(lambda a: a * a, [Value(1e200)])


def test_gradcheck_result_shows_its_table_as_a_notebook_cell_would() -> None:
    # A notebook cell ending in gradcheck(...) shows repr (text) or _repr_html_ (Jupyter).
    x = Value(2.0, label="x<1>")
    result = gradcheck(lambda v: v * v, [x])
    assert repr(result) == str(result) and repr(result).startswith("gradcheck passed")
    assert "GradcheckEntry" not in repr(result)
    page = result._repr_html_()
    assert page.startswith("<pre>") and "x&lt;1&gt;" in page and "<1>" not in page


# --- languages: the session's language, errors with their message id ----------------------------


def test_gradcheck_lang_none_is_the_session_language(monkeypatch: pytest.MonkeyPatch) -> None:
    from tinygrad_ko import gradgradcheck, messages

    monkeypatch.delenv(messages.ENV_VAR, raising=False)
    assert str(gradcheck(lambda x: x * 2, [Value(1.0)])).startswith("gradcheck passed")
    messages.set_lang("ko")
    try:
        assert str(gradcheck(lambda x: x * 2, [Value(1.0)])).startswith("기울기 확인 통과")
        assert str(gradgradcheck(lambda x: x * x, Value(1.0))).startswith("2차 미분 확인 통과")
        assert str(gradcheck(lambda x: x * 2, [Value(1.0)], lang="en")).startswith("gradcheck passed")
    finally:
        messages.set_lang(None)
    with pytest.raises(ValueError, match=r"gradgradcheck\(lang=...\) must be one of en, ko, got 'jp'"):
        gradgradcheck(lambda x: x, Value(1.0), lang="jp")


def test_numerical_errors_carry_their_id_and_read_in_korean() -> None:
    from tinygrad_ko.messages import LocalizedError

    with pytest.raises(ValueError, match="too small") as caught:
        numerical_grad(lambda x: x, [Value(1.0)], h=1e-20)
    error = caught.value
    assert isinstance(error, LocalizedError) and error.key == "numerical.step_too_small"
    assert error.localized("ko") == ("numerical_grad (input 0): 간격 h=1e-20은 너무 작아서 입력 1.0을 바꾸지 못합니다. "
                                     "더 큰 h를 쓰세요")
    def f(x: Value) -> float:
        if x.data < 0.5:
            raise ZeroDivisionError("below one half")
        return x.data

    with pytest.raises(ZeroDivisionError) as edge:  # the kind f raised, explained
        numerical_grad(f, [Value(0.5)], h=1e-6)
    assert isinstance(edge.value, LocalizedError) and edge.value.key == "numerical.domain_edge"
    assert "정의역 경계" in edge.value.localized("ko")
