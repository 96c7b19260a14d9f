"""The quiz mode of the step page: the questions' data against backward(), and the page in a real Chromium."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tinygrad_ko import Value, examples, explain, topological_order, write_steps
from tinygrad_ko.messages import text
from tinygrad_ko.pages.quiz import RTOL, questions
from tinygrad_ko.text import format_number

ENGINE = "graphviz-pure"  # the embedded engine: the same drawing on every machine


def apple_orange(lang: str = "en") -> Value:
    return examples.apple_orange(lang).price


def variants(question: dict[str, Any]) -> dict[str, float]:
    return {v["reason"]: v["value"] for v in question["variants"]}


# --- the data the page gets --------------------------------------------------------------


def test_the_questions_follow_the_explainers_backward_steps_and_end_at_backwards_gradients() -> None:
    root = apple_orange()
    explanation = explain(root, "en")
    asked = questions(explanation)
    # One question per gradient a backward step passes on, in the explainer's order.
    assert [(q["step"], q["name"]) for q in asked] == [
        (k, explanation.names[node]) for k, step in enumerate(explanation.backward[1:], start=1)
        for node in step.inputs]
    # Each question's frame is its step's picture: forward steps, the seed, then the backward steps.
    assert [q["frame"] for q in asked] == [len(explanation.forward) + q["step"] for q in asked]
    root.backward()
    order = topological_order(root)[::-1]  # the page's nodes: inputs first
    last = {q["node"]: q["right"]["value"] for q in asked}  # each node's last question
    assert last == {order.index(node): node.grad for node in order if node is not root}  # bit for bit
    assert len(last) == len(asked)  # no node is asked twice here: nothing is reused


def test_the_book_s_numbers_and_the_mistakes_at_the_apple_node() -> None:
    asked = {q["name"]: q for q in questions(explain(apple_orange(), "en"))}
    apple = asked["apple"]
    assert apple["upstream"] == "1.1" and apple["partner"] == "apple count" and apple["formula"] == "y"
    assert apple["right"]["value"] == 1.1 * 2.0
    # Swapped: the gradient apple count gets (upstream x apple = 1.1 x 100); upstream left out: the local 2.
    assert variants(apple) == {"swapped": 1.1 * 100.0, "missing_upstream": 2.0}
    codes = [v["code"] for v in apple["variants"]]
    assert codes == ["swapped-inputs", "missing-upstream"]
    # At an add node, the local derivative is 1: only a forgotten upstream is a mistake with its own name.
    assert variants(asked["(apple * apple count)"]) == {"missing_upstream": 1.0}
    # The first step's upstream is 1: a forgotten upstream IS the right answer there, so it is not a mistake.
    assert "missing_upstream" not in variants(asked["tax"])


def test_a_sign_error_at_a_subtract_node_is_a_wrong_gradient_with_its_own_reason() -> None:
    x, y = Value(5.0, label="x"), Value(2.0, label="y")
    asked = {q["name"]: q for q in questions(explain((x - y) * 3.0, "en"))}
    assert asked["y"]["right"]["value"] == -3.0 and asked["y"]["formula"] == "-1"
    assert variants(asked["y"]) == {"missing_upstream": -1.0, "sign": 3.0}
    assert [v["code"] for v in asked["y"]["variants"]] == ["missing-upstream", "wrong-gradient"]
    assert variants(asked["x"]) == {"missing_upstream": 1.0, "sign": -3.0}


def test_a_reused_input_is_asked_for_its_running_sum() -> None:
    x = Value(3.0, label="x")
    y = (x * x + x) * 2.0  # the add node gives x 2; the mul node then adds 3 x 2, then 3 x 2 again
    asked = [q for q in questions(explain(y, "en")) if q["name"] == "x"]
    assert [q["right"]["value"] for q in asked] == [2.0, 8.0, 14.0]
    assert [q["sum"] for q in asked] == [False, True, True]
    assert [q["before"] for q in asked] == ["0", "2", "8"]
    # x * x: the swapped answer is the right one (both inputs are x), so it is no mistake; writing
    # this share alone (= instead of +=) is.
    assert variants(asked[1]) == {"missing_upstream": 2.0 + 3.0, "not_accumulated": 6.0}
    assert variants(asked[2]) == {"missing_upstream": 8.0 + 3.0, "not_accumulated": 6.0}
    y.backward()
    assert asked[-1]["right"]["value"] == x.grad


@pytest.mark.parametrize("build", [
    lambda a, b: a * b, lambda a, b: a - b, lambda a, b: (a * a) * b, lambda a, b: (a - b) * (a * b),
    lambda a, b: (a * b).sigmoid() - a.tanh(), lambda a, b: -(a * b) + a ** 2.0,
])
def test_no_mistake_has_the_right_answer_s_number(build: Any) -> None:
    for a, b in ((2.0, 3.0), (1.0, 1.0), (-0.5, 4.0), (0.0, 2.0)):
        x, y = Value(a, label="x"), Value(b, label="y")
        for q in questions(explain(build(x, y), "en")):
            right = q["right"]
            for variant in q["variants"]:
                assert abs(variant["value"] - right["value"]) > right["within"], (q["name"], variant)
            kept = [v["value"] for v in q["variants"]]
            assert len(set(kept)) == len(kept)


def test_the_tolerance_is_relative_to_the_terms_summed() -> None:
    asked = {q["name"]: q for q in questions(explain(apple_orange(), "en"))}
    orange = asked["orange"]["right"]
    assert orange["value"] == 3.3000000000000003
    assert orange["within"] == pytest.approx(RTOL * 3.3)
    assert abs(3.3 - orange["value"]) <= orange["within"]  # the number the page shows is right
    # Two shares that cancel: the sum is rounding noise of the terms, and 0 must count as right.
    x = Value(1.0, label="x")
    y = x * 0.1 + x * 0.2 + x * -0.3
    last = [q for q in questions(explain(y, "en")) if q["name"] == "x"][-1]["right"]
    y.backward()
    assert last["value"] == x.grad and 0.0 < abs(x.grad) < 1e-15  # 0.1 + 0.2 - 0.3 in doubles
    assert abs(0.0 - last["value"]) <= last["within"] and last["within"] >= RTOL * 0.1


def test_write_steps_refuses_a_quiz_in_the_books_style_and_a_quiz_that_is_not_a_bool(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"needs the boxes style"):
        write_steps(apple_orange(), tmp_path / "q.html", style="book", quiz=True, engine=ENGINE)
    with pytest.raises(TypeError, match=r"must be True or False, got str"):
        write_steps(apple_orange(), tmp_path / "q.html", quiz="yes", engine=ENGINE)  # type: ignore[arg-type]
    assert not (tmp_path / "q.html").exists()


def _live(page_text: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="live">(.*?)</script>', page_text, flags=re.S)
    assert found
    data: dict[str, Any] = json.loads(found[1])
    return data


def test_without_quiz_the_page_is_the_step_page(tmp_path: Path) -> None:
    plain = write_steps(apple_orange(), tmp_path / "steps.html", lang="en", engine=ENGINE).read_text("utf-8")
    assert _live(plain)["quiz"] is None and 'id="quiz"' not in plain and "pages.quiz." not in plain
    assert any(node["editable"] for node in _live(plain)["nodes"])  # the inputs are editable, as before
    quiz = write_steps(apple_orange(), tmp_path / "quiz.html", lang="en", engine=ENGINE, quiz=True).read_text("utf-8")
    assert len(_live(quiz)["quiz"]) == 8 and 'id="quiz"' in quiz
    assert not any(node["editable"] for node in _live(quiz)["nodes"])


# --- the command ---------------------------------------------------------------------------


def _command(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).with_name("tinygrad-ko")), *args], cwd=cwd,
                          capture_output=True, text=True, check=False)


def test_the_command_writes_a_quiz_page(tmp_path: Path) -> None:
    done = _command("demo", "--steps", "quiz.html", "--quiz", "--lang", "ko", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(_live((tmp_path / "quiz.html").read_text("utf-8"))["quiz"]) == 8
    done = _command("graph", "x*y - z", "x=2", "y=3", "z=1", "--page", "g.html", "--quiz", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    asked = _live((tmp_path / "g.html").read_text("utf-8"))["quiz"]
    assert [(q["name"], q["right"]["value"]) for q in asked] == [("(x * y)", 1.0), ("z", -1.0), ("x", 3.0),
                                                                 ("y", 2.0)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.html", "quiz.html"]  # a page and no drawing


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_quiz_without_a_page_is_a_usage_error(tmp_path: Path, lang: str) -> None:
    for command in (["demo"], ["graph", "x*2", "x=1"]):
        done = _command(*command, "--quiz", "--lang", lang, cwd=tmp_path)
        assert done.returncode == 2
        assert done.stderr.startswith("tinygrad-ko: ") and done.stderr.endswith(text("pages.quiz.no_page", lang) + "\n")
        assert done.stdout == "" and list(tmp_path.iterdir()) == []
    done = _command("demo", "--steps", "q.html", "--quiz", "--style", "book", cwd=tmp_path)
    assert done.returncode == 2 and "needs the boxes style" in done.stderr


def test_the_help_names_quiz(tmp_path: Path) -> None:
    for lang in ("en", "ko"):
        done = _command("demo", "--help", "--lang", lang, cwd=tmp_path)
        assert "--quiz" in done.stdout and text("pages.quiz.help", lang)[:20] in " ".join(done.stdout.split())


# --- the page in a real browser --------------------------------------------------------------


class Quiz:
    """A quiz page loaded in a tab, with the data the page got."""

    def __init__(self, browser: Any, root: Value, path: Path, lang: str) -> None:
        self.root, self.lang = root, lang
        self.file = write_steps(root, path, lang=lang, engine=ENGINE, quiz=True)
        self.questions = questions(explain(root, lang))
        order = topological_order(root)
        self.ids = [f"v{len(order) - 1 - i}" for i in range(len(order))]  # to_dot's id of each page node
        self.page = browser.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(self.file.as_uri())
        self.page.keyboard.press("End")  # as far as the page lets one step: the first question

    def answer(self, typed: str) -> str:
        self.page.fill("#quiz-answer", typed)
        self.page.press("#quiz-answer", "Enter")
        return str(self.page.inner_text("#quiz-verdict"))

    def code(self) -> str:
        return str(self.page.get_attribute("#quiz-feedback", "data-code"))

    def grad_line(self, node: int) -> str:
        """The gradient line the drawing shows in the box of the page's node ``node``."""
        texts: list[str] = self.page.evaluate("""(id) => [...[...document.querySelectorAll('#figure g.node')]
            .find((g) => g.querySelector('title').textContent === id).querySelectorAll('text')]
            .map((t) => t.textContent)""", self.ids[node])
        word = "grad " if self.lang == "en" else "기울기 "
        found = [line for line in texts if line.startswith(word)]
        assert len(found) == 1, texts
        return found[0][len(word):]

    def counter(self) -> int:
        return int(self.page.inner_text("#counter").split()[1])  # "step 11 / 14", "단계 11 / 14"

    def solve_until(self, name: str) -> dict[str, Any]:
        """Answer rightly up to the first question about ``name``, and return that question."""
        for q in self.questions:
            if q["name"] == name:
                return q
            self.answer(format_number(q["right"]["value"]))
        raise AssertionError(name)

    def close(self) -> None:
        assert self.errors == []
        assert self.requests == [self.file.as_uri()], "the page must load nothing but itself"
        self.page.close()


def test_right_answers_reveal_each_gradient_and_ask_the_next(browser: Any, tmp_path: Path) -> None:
    quiz = Quiz(browser, apple_orange(), tmp_path / "quiz.html", "en")
    page, asked = quiz.page, quiz.questions
    explanation = explain(quiz.root, "en")
    for k, q in enumerate(asked):
        # The page waits at the question's step: no further, the gradient hidden, the sentence too.
        assert quiz.counter() == q["frame"] + 1 and page.is_disabled("#next")
        page.keyboard.press("End")
        assert quiz.counter() == q["frame"] + 1
        assert quiz.grad_line(q["node"]) == "?"
        assert page.inner_text("#text") == text("pages.quiz.hidden", "en")
        assert page.inner_text("#quiz-progress") == text("pages.quiz.progress", "en", k=k + 1, count=len(asked))
        assert page.inner_text("#quiz-question") == text(
            "pages.quiz.question", "en", op=q["op"], symbol=q["symbol"], upstream=q["upstream"], name=q["name"])
        assert page.get_attribute(f"#figure g.node:has(title:text-is('{quiz.ids[q['node']]}'))", "class") \
            .split().count("asked") == 1
        shown = format_number(q["right"]["value"])  # the digits the page writes, not the float's repr
        assert quiz.answer(shown) == text("pages.quiz.right", "en", name=q["name"], right=shown)
        last_of_step = k + 1 == len(asked) or asked[k + 1]["frame"] != q["frame"]
        if last_of_step:  # the step is done: its sentence is shown with the verdict
            step = explanation.backward[q["step"]]
            assert page.inner_text("#quiz-explained") == step.text.replace("; ", ";\n")
        if k + 1 < len(asked) and not last_of_step:
            assert quiz.grad_line(q["node"]) == shown  # revealed in the drawing, the next one still hidden
    # The end: the completion message, the form gone, every frame reachable again.
    assert page.inner_text("#quiz-question") == text("pages.quiz.done", "en", solved=8, count=8, shown=0)
    assert page.is_hidden("#quiz-form")
    assert page.inner_text("#text") == explanation.backward[-1].text.replace("; ", ";\n")
    page.keyboard.press("Home")
    page.click("#next")
    assert quiz.counter() == 2
    quiz.close()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_swapped_answer_at_a_multiply_node_is_diagnosed(browser: Any, tmp_path: Path, lang: str) -> None:
    quiz = Quiz(browser, apple_orange(lang), tmp_path / "quiz.html", lang)
    apple_name = "apple" if lang == "en" else "사과"
    q = quiz.solve_until(apple_name)
    said = quiz.answer("110")  # 1.1 x 100: what the apple count gets
    assert said == text("pages.quiz.swapped", lang, answer="110", partner=q["partner"])
    assert quiz.code() == "swapped-inputs" and quiz.page.inner_text("#quiz-code") == "swapped-inputs"
    assert quiz.grad_line(q["node"]) == "?"  # still hidden: the learner tries again
    assert quiz.answer("2.2").startswith("✓")
    quiz.close()


def test_an_answer_without_the_upstream_gradient_is_diagnosed(browser: Any, tmp_path: Path) -> None:
    quiz = Quiz(browser, apple_orange("ko"), tmp_path / "quiz.html", "ko")
    q = quiz.solve_until("사과")
    assert quiz.answer("2") == text("pages.quiz.missing_upstream", "ko", answer="2", upstream="1.1")
    assert quiz.code() == "missing-upstream"
    assert "2는 국소적 미분뿐입니다" in quiz.page.inner_text("#quiz-verdict")  # the particle after a number
    assert quiz.answer("7") == text("pages.quiz.wrong", "ko", answer="7", name=q["name"], upstream="1.1")
    assert quiz.code() == "wrong-gradient"
    quiz.close()


def test_a_sign_error_at_a_subtract_node_is_diagnosed(browser: Any, tmp_path: Path) -> None:
    x, y = Value(5.0, label="x"), Value(2.0, label="y")
    quiz = Quiz(browser, (x - y) * 3.0, tmp_path / "quiz.html", "en")
    q = quiz.solve_until("y")
    assert quiz.answer("3") == text("pages.quiz.sign", "en", answer="3", op="subtract node", name="y", formula="-1")
    assert quiz.code() == "wrong-gradient"
    assert quiz.answer("-3").startswith("✓")
    assert q["right"]["value"] == -3.0
    quiz.close()


def test_a_reused_input_that_is_not_accumulated_is_diagnosed(browser: Any, tmp_path: Path) -> None:
    x = Value(3.0, label="x")
    quiz = Quiz(browser, x * x + x, tmp_path / "quiz.html", "en")
    quiz.solve_until("(x * x)")
    quiz.answer("1")  # (x * x) gets 1
    assert quiz.answer("1").startswith("✓")  # x gets 1 from the add node
    assert quiz.page.inner_text("#quiz-question") == text(
        "pages.quiz.question_sum", "en", op="multiply node", symbol="*", upstream="1", name="x", before="1")
    assert quiz.answer("3") == text("pages.quiz.not_accumulated", "en", answer="3", name="x", before="1")
    assert quiz.code() == "reuse-not-accumulated"
    assert quiz.answer("4").startswith("✓")
    assert quiz.grad_line(quiz.questions[2]["node"]) == "4"  # the box holds the sum so far; 7 comes next
    assert quiz.answer("7").startswith("✓")
    quiz.close()


def test_the_answer_is_read_as_a_decimal_number_and_text_is_refused(browser: Any, tmp_path: Path) -> None:
    x, z = Value(2.0, label="x"), Value(4.0, label="z")
    quiz = Quiz(browser, x * -1.5 + z * 0.001, tmp_path / "quiz.html", "en")
    for typed in ("abc", "2,2", "1/2", "1.1.1", "__import__('os')", "0x10"):
        assert quiz.answer(typed) == text("pages.quiz.not_a_number", "en", text=typed)
        assert quiz.code() == ""
    assert quiz.answer("  ") == text("pages.quiz.empty", "en")
    assert [q["right"]["value"] for q in quiz.questions] == [1.0, 1.0, -1.5, 0.001]
    for typed in (" 1 ", "+1", "-1.5", "1e-3"):
        assert quiz.answer(typed).startswith("✓"), typed
    assert quiz.page.inner_text("#quiz-question").startswith("✓")  # done
    quiz.close()


def test_show_me_reveals_the_answer_and_the_explainers_sentence(browser: Any, tmp_path: Path) -> None:
    quiz = Quiz(browser, apple_orange(), tmp_path / "quiz.html", "en")
    page = quiz.page
    first, second = quiz.questions[:2]  # the first step passes gradients to two inputs
    page.click("#quiz-show")
    step = explain(quiz.root, "en").backward[1]
    assert page.inner_text("#quiz-explained") == step.text.replace("; ", ";\n")
    assert page.inner_text("#quiz-verdict") == " ".join(
        text("pages.quiz.shown", "en", name=q["name"], right=format_number(q["right"]["value"]))
        for q in (first, second))
    assert quiz.counter() == quiz.questions[2]["frame"] + 1  # on to the next step's question
    for q in quiz.questions[2:]:
        quiz.answer(format_number(q["right"]["value"]))
    assert page.inner_text("#quiz-question") == text("pages.quiz.done", "en", solved=6, count=8, shown=2)
    quiz.close()


def test_labels_cannot_break_out_of_the_quiz(browser: Any, tmp_path: Path) -> None:
    evil = '</script><script>window.hacked = 1</script><img src=x onerror="window.hacked = 2">"\''
    x, y = Value(2.0, label=evil), Value(3.0, label="y")
    quiz = Quiz(browser, x * y, tmp_path / "evil.html", "en")
    q = quiz.questions[0]
    assert quiz.page.inner_text("#quiz-question") == text(
        "pages.quiz.question", "en", op="multiply node", symbol="*", upstream="1", name=q["name"])
    assert evil[:20] in q["name"]
    assert quiz.answer("2").startswith("✗")  # swapped: names the other input, y
    assert quiz.answer("3").startswith("✓")
    assert quiz.answer("3") == text("pages.quiz.swapped", "en", answer="3", partner=q["name"])
    assert quiz.page.evaluate("window.hacked") is None
    assert quiz.page.evaluate("document.querySelectorAll('img').length") == 0
    quiz.close()
