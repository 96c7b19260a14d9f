"""explain(): the numbers equal the engine's, the text is the book's, nodes stay untouched."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings

from tinygrad_ko import OPS, Value, explain, reachable
from tinygrad_ko.examples import apple_orange
from tinygrad_ko.testing import Expression, Sample, expressions

# --- the numbers: the same as one backward() -------------------------------------------
# Exact equality (or both NaN) is right: explain() applies the same local derivatives
# in the same order as Value.backward, so the IEEE arithmetic is identical.  The random
# graphs are tinygrad_ko.testing's expressions: every op, with shared subexpressions.


def labelled(sample: Sample) -> Value:
    """A fresh graph of the sample's expression, on labelled inputs."""
    return sample.expression.build([Value(x, label=f"x{i}") for i, x in enumerate(sample.inputs)])


def _same(x: float, y: float) -> bool:
    # NaN is a real gradient here: d(x ** c)/dc for a negative x, with c a constant.
    return x == y or (math.isnan(x) and math.isnan(y))


@settings(max_examples=150)
@given(expressions(max_ops=12))
def test_explained_gradients_equal_one_backward(sample: Sample) -> None:
    root = labelled(sample)
    nodes = reachable(root)
    explained = explain(root)
    assert all(node.grad == 0.0 for node in nodes), "explain() must not write gradients"
    root.backward()
    after = explain(root, lang="en")
    for node in nodes:
        assert _same(explained.gradients()[node], node.grad)
        assert _same(after.gradients()[node], node.grad), "explain() after backward() must not double-count"


@settings(max_examples=50)
@given(expressions(max_ops=12))
def test_backward_steps_follow_the_chain_rule_in_topological_order(sample: Sample) -> None:
    root = labelled(sample)
    steps = explain(root).backward
    assert steps[0].phase == "seed" and steps[0].node is root and steps[0].upstream == 1.0
    seen = {root}
    for step in steps[1:]:
        assert step.node in seen, "a node passes its gradient on only after receiving it"
        # The inputs that take a gradient: every parent but the constants.
        assert step.inputs == tuple(p for p in step.node.parents if p.requires_grad)
        assert len(step.local) == len(step.gradients) == len(step.inputs)
        seen.update(step.inputs)


def test_forward_steps_compute_every_node_after_its_inputs() -> None:
    x = Value(2.0, label="x")
    y = (x * x + x).sigmoid()
    done: set[Value] = set()
    for step in explain(y).forward:
        assert all(parent in done for parent in step.inputs)
        done.add(step.node)
    assert done == set(reachable(y))


# --- the text -------------------------------------------------------------------------


def test_apple_example_in_korean() -> None:
    text = str(explain(apple_orange("ko").price, lang="ko"))
    assert text.splitlines() == [
        "[순전파]",
        "입력 사과 = 100",
        "입력 사과 개수 = 2",
        "곱셈 노드 (*): 100 (사과) * 2 (사과 개수) = 200",
        "입력 귤 = 150",
        "입력 귤 개수 = 3",
        "곱셈 노드 (*): 150 (귤) * 3 (귤 개수) = 450",
        "덧셈 노드 (+): 200 (사과 * 사과 개수) + 450 (귤 * 귤 개수) = 650",
        "입력 소비세 = 1.1",
        "곱셈 노드 (*): 650 ((사과 * 사과 개수) + (귤 * 귤 개수)) * 1.1 (소비세) = 715 (지불 금액)",
        "[역전파]",
        "역전파 시작: 지불 금액의 기울기 1",
        "곱셈 노드 (*): 상류 기울기 1 × 국소적 미분 1.1 (소비세) → ((사과 * 사과 개수) + (귤 * 귤 개수))의 기울기 1.1; "
        "상류 기울기 1 × 국소적 미분 650 ((사과 * 사과 개수) + (귤 * 귤 개수)) → 소비세의 기울기 650",
        "덧셈 노드 (+): 상류 기울기 1.1 × 국소적 미분 1 → (사과 * 사과 개수)의 기울기 1.1; "
        "상류 기울기 1.1 × 국소적 미분 1 → (귤 * 귤 개수)의 기울기 1.1",
        "곱셈 노드 (*): 상류 기울기 1.1 × 국소적 미분 2 (사과 개수) → 사과의 기울기 2.2; "
        "상류 기울기 1.1 × 국소적 미분 100 (사과) → 사과 개수의 기울기 110",
        "곱셈 노드 (*): 상류 기울기 1.1 × 국소적 미분 3 (귤 개수) → 귤의 기울기 3.3; "
        "상류 기울기 1.1 × 국소적 미분 150 (귤) → 귤 개수의 기울기 165",
    ]


def test_apple_example_in_english() -> None:
    text = str(explain(apple_orange("en").price, lang="en"))
    assert text.splitlines() == [
        "[forward]",
        "input apple = 100",
        "input apple count = 2",
        "multiply node (*): 100 (apple) * 2 (apple count) = 200",
        "input orange = 150",
        "input orange count = 3",
        "multiply node (*): 150 (orange) * 3 (orange count) = 450",
        "add node (+): 200 (apple * apple count) + 450 (orange * orange count) = 650",
        "input tax = 1.1",
        "multiply node (*): 650 ((apple * apple count) + (orange * orange count)) * 1.1 (tax) = 715 (price)",
        "[backward]",
        "backward starts: gradient of price 1",
        "multiply node (*): upstream gradient 1 × local derivative 1.1 (tax) → gradient of "
        "((apple * apple count) + (orange * orange count)) 1.1; upstream gradient 1 × local derivative 650 "
        "((apple * apple count) + (orange * orange count)) → gradient of tax 650",
        "add node (+): upstream gradient 1.1 × local derivative 1 → gradient of (apple * apple count) 1.1; "
        "upstream gradient 1.1 × local derivative 1 → gradient of (orange * orange count) 1.1",
        "multiply node (*): upstream gradient 1.1 × local derivative 2 (apple count) → gradient of apple 2.2; "
        "upstream gradient 1.1 × local derivative 100 (apple) → gradient of apple count 110",
        "multiply node (*): upstream gradient 1.1 × local derivative 3 (orange count) → gradient of orange 3.3; "
        "upstream gradient 1.1 × local derivative 150 (orange) → gradient of orange count 165",
    ]


def test_a_reused_input_shows_the_sum_of_its_gradients() -> None:
    x = Value(3.0, label="x")
    (step,) = explain(x * x, lang="ko").backward[1:]
    assert step.gradients == (3.0, 6.0)
    assert step.text.endswith("→ x의 기울기 3 + 3 = 6")


def test_a_reused_input_shows_the_sum_even_when_the_first_share_is_zero() -> None:
    x = Value(-1.0, label="x")
    text = str(explain(x.relu() + x * 2.0, lang="en"))
    assert "local derivative 2 → gradient of x 0 + 2 = 2" in text


def test_a_negative_contribution_is_subtracted_in_the_text() -> None:
    x = Value(2.0, label="x")
    text = str(explain(x - x * 0.5, lang="en"))
    assert "gradient of x 1 - 0.5 = 0.5" in text


@pytest.mark.parametrize("op", sorted(OPS))
def test_every_op_explains_itself_from_the_op_table(op: str) -> None:
    x, y = Value(0.7, label="x"), Value(1.3, label="y")
    entry = OPS[op]
    node = Expression(2, [(op, 0, 1) if entry.arity == 2 else (op, 0)]).build([x, y])
    ko, en = explain(node, lang="ko").backward[1].text, explain(node, lang="en").backward[1].text
    assert ko.startswith(f"{entry.name_ko} ({entry.symbol}): ")
    assert en.startswith(f"{entry.name_en} ({entry.symbol}): ")
    assert ko.count("국소적 미분") == en.count("local derivative") == entry.arity


def test_local_formula_names_the_inputs() -> None:
    x, y = Value(3.0, label="x"), Value(4.0, label="귤 개수")
    text = str(explain(x / y, lang="ko"))
    assert "국소적 미분 0.25 (1/(귤 개수))" in text
    assert "국소적 미분 -0.1875 (-x/(귤 개수)²)" in text


def test_long_expressions_are_numbered_where_they_are_computed() -> None:
    z = Value(1.5, label="x")
    for _ in range(6):
        z = z * z + 1
    explanation = explain(z, lang="en")
    introduced: set[str] = set()
    for index, step in enumerate(explanation.forward, start=1):
        name = explanation.names[step.node]
        mentioned = set(re.findall(r"node \d+", step.text))
        assert mentioned - {name} <= introduced, "a number is used only after the line that computes it"
        if name.startswith("node "):
            assert name == f"node {index}" and step.text.endswith(f" ({name})")
            introduced.add(name)
    assert introduced


def test_a_leaf_alone_is_explained() -> None:
    x = Value(5.0, label="x")
    assert str(explain(x, lang="ko")).splitlines() == [
        "[순전파]", "입력 x = 5", "[역전파]", "역전파 시작: x의 기울기 1"]


def test_bad_arguments_are_named() -> None:
    with pytest.raises(TypeError, match=r"explain\(\) needs a Value .*got float"):
        explain(3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"lang=.*'ko' or 'en', got 'jp'"):
        explain(Value(1.0), lang="jp")  # type: ignore[arg-type]


def test_english_is_the_default_language_as_everywhere_in_the_package() -> None:
    x = Value(5.0, label="x")
    assert str(explain(x)) == str(explain(x, lang="en"))


def test_labels_are_shown_in_the_drawing_s_visible_form() -> None:
    # ESC would start a terminal escape sequence, U+202E would reverse the text after it.
    x = Value(2.0, label="x\x1b[2J\u202eevil")
    text = str(explain(x * 3.0, lang="en"))
    assert "\x1b" not in text and "\u202e" not in text
    assert "x␛[2J\ufffdevil" in text


def test_jupyter_shows_the_readable_text_and_html() -> None:
    x = Value(2.0, label="<b>x</b>")
    explanation = explain(x * 3.0, lang="ko")

    class Printer:  # what IPython's pretty printer offers _repr_pretty_: a text() method
        def __init__(self) -> None:
            self.written = ""

        def text(self, text: str) -> None:
            self.written += text

    printer = Printer()
    explanation._repr_pretty_(printer, False)
    assert printer.written == str(explanation)
    page = explanation._repr_html_()
    assert "<h4>순전파</h4>" in page and "<h4>역전파</h4>" in page
    assert page.count("<li>") == len(explanation.steps)
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page  # labels are text, not markup
    assert repr(explanation).startswith("<Explanation of ") and "2 forward steps" in repr(explanation)


def test_constants_have_no_input_step_and_receive_no_gradient() -> None:
    # The book's sigmoid as four nodes: the 1s are constants, not inputs (issue 11).
    x = Value(1.0, label="x")
    y = 1 / (1 + (-x).exp())
    text = str(explain(y, lang="ko"))
    assert "입력 1" not in text and "1의 기울기" not in text
    assert text.splitlines()[1] == "입력 x = 1"
    (first,) = [s for s in explain(x**2, lang="en").backward if s.phase == "backward"]
    assert first.inputs == (x,) and first.text == (
        "power node (**): upstream gradient 1 × local derivative 2 (2·x^(2-1)) → gradient of x 2")


# -- explain() and backward() in two threads (issue 25) ---------------------------------

def test_explain_takes_the_backward_lock_for_its_marking_walk() -> None:
    # explain() walks the graph with backward_order, which writes the nodes' walk marks; a
    # backward() on the same graph in another thread then skipped nodes (+3.5% on a gradient in
    # 1-4 of 300 passes).  The walk must take backward()'s lock: while the test holds it,
    # explain() cannot finish, and once it is released explain() does.
    import threading

    from tinygrad_ko.engine import _backward_lock

    x = Value(2.0, label="x")
    y = (x * x + x).tanh()
    done: list[object] = []
    worker = threading.Thread(target=lambda: done.append(explain(y, "en")))
    with _backward_lock:
        worker.start()
        worker.join(timeout=0.5)
        assert worker.is_alive() and not done  # waiting for the lock, not walking
    worker.join(timeout=60)
    assert not worker.is_alive() and len(done) == 1


def test_explain_and_backward_in_threads_give_the_single_thread_gradient() -> None:
    import sys
    import threading

    x = Value(0.3, label="x")
    y = x
    for _ in range(60):
        y = (y * 1.01 + x).tanh() + y * 0.5
    y.backward()
    want = x.grad
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: the race showed at this interval
    try:
        stop = threading.Event()

        def explaining() -> None:
            while not stop.is_set():
                explain(y, "en")

        worker = threading.Thread(target=explaining)
        worker.start()
        try:
            for _ in range(40):
                x.grad = 0.0
                y.zero_grad()
                y.backward()
                # The same operations in the same order as the single-threaded pass: the same bits.
                assert x.grad == want
        finally:
            stop.set()
            worker.join(timeout=60)
    finally:
        sys.setswitchinterval(interval)


# --- languages: the catalogs' words, the session's language -------------------------------------


def test_lang_none_is_the_session_language(monkeypatch: pytest.MonkeyPatch) -> None:
    from tinygrad_ko import messages

    monkeypatch.delenv(messages.ENV_VAR, raising=False)
    x = Value(2.0, label="x")
    assert str(explain(x * x)) == str(explain(x * x, lang="en"))
    messages.set_lang("ko")
    try:
        assert str(explain(x * x)) == str(explain(x * x, lang="ko"))
        assert explain(x * x).lang == "ko"
        assert str(explain(x * x, lang="en")).startswith("[forward]")  # an explicit lang wins
    finally:
        messages.set_lang(None)
    monkeypatch.setenv(messages.ENV_VAR, "ko")
    assert str(explain(x * x)).startswith("[순전파]")


def test_every_op_s_name_comes_from_the_catalog_in_every_language() -> None:
    from tinygrad_ko.messages import LANGS, text

    for name, op in OPS.items():
        assert text(f"explain.op.{name}", "en") == op.name_en
        assert text(f"explain.op.{name}", "ko") == op.name_ko
        for lang in LANGS:
            assert text(f"explain.op.{name}", lang)


def test_explain_s_errors_carry_their_message_id() -> None:
    from tinygrad_ko.messages import LocalizedError

    with pytest.raises(TypeError) as caught:
        explain(1.0)  # type: ignore[arg-type]
    assert isinstance(caught.value, LocalizedError) and caught.value.key == "explain.not_a_value"
    assert caught.value.localized("ko") == "explain()에는 Value(계산의 출력)가 필요합니다. 받은 값: float"
    with pytest.raises(ValueError, match="got 'jp'") as wrong:
        explain(Value(1.0), lang="jp")
    assert isinstance(wrong.value, LocalizedError) and "'jp'" in wrong.value.localized("ko")


def test_the_step_page_gets_the_same_sentences() -> None:
    from tinygrad_ko.explain import sentences

    assert sentences("ko")["seed"] == "역전파 시작: {name}의 기울기 {grad}"
    assert sentences("en")["input"].format(name="x", value="2") == "input x = 2"
