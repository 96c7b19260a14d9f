"""The training page: snapshots of the real run, controls that play, pause and step, in a real browser."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinygrad_ko.cli import main
from tinygrad_ko.pages.training import MAX_SNAPSHOTS, _inputs, _program, record, write_training_page
from tinygrad_ko.train.recipes import scores, train

STEPS = 30  # enough for the boundary to move; moons takes about 0.1 s a step


def _command(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def moons_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    work = tmp_path_factory.mktemp("train")
    code, out, err = _command("train", "moons", "--steps", str(STEPS), "-o", str(work / "moons.png"),
                              "--page", str(work / "moons.html"))
    assert code == 0, err
    return work / "moons.html", out.splitlines()


def _open(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    return page, errors, requests


def test_the_command_writes_the_page_and_prints_as_before(moons_page: tuple[Path, list[str]]) -> None:
    path, lines = moons_page
    assert lines[-2] == f"wrote {path}"
    assert re.fullmatch(r"accuracy: train \d+\.\d%, test \d+\.\d%", lines[-1])
    html = path.read_text(encoding="utf-8")
    assert not re.search(r"<(script|img|link|iframe)[^>]*(src|href)=", html, flags=re.I)


def test_the_page_holds_the_real_runs_numbers(browser: Any, moons_page: tuple[Path, list[str]]) -> None:
    path, lines = moons_page
    run = train("moons", steps=STEPS, seed=0)  # the same seed: the same run as the command's
    page, errors, requests = _open(browser, path)
    assert page.evaluate("data.losses") == run.losses
    assert page.evaluate("data.accuracies") == run.accuracies
    assert page.evaluate("data.steps") == list(range(1, STEPS + 1))
    # The last snapshot is the trained model: the page's network gives Python's scores.
    # Only + * and relu run (IEEE exact, the same order), so the scores agree bit for bit;
    # 1e-12 relative is the tolerance the issue allows for JavaScript's Math.
    js = page.evaluate("data.train.x.map((x) => scores(data.model, weights[weights.length - 1], x)[0])")
    py = scores(run.model, run.x_train).tolist()
    assert all(abs(a - b) <= 1e-12 * max(abs(a), abs(b), 1e-300) for a, b in zip(js, py, strict=True))
    assert page.evaluate("accuracy(weights.length - 1, data.train)") == run.train_accuracy
    assert page.evaluate("accuracy(weights.length - 1, data.test)") == run.test_accuracy
    # The final step shows the command's last line, word for word.
    page.locator("#position").fill(str(STEPS - 1))
    assert page.inner_text("#final") == lines[-1]
    assert f"step {STEPS} / {STEPS}" in page.inner_text("#now")
    assert errors == []
    assert requests == [path.as_uri()], "the page must load nothing but itself"
    page.close()


def test_play_pause_step_back_and_the_slider(browser: Any, moons_page: tuple[Path, list[str]]) -> None:
    path, _ = moons_page
    page, errors, _ = _open(browser, path)
    step = lambda: page.evaluate("last.step")  # noqa: E731
    assert step() == 1
    page.select_option("#speed", "50")
    page.click("#play")
    page.wait_for_function("last.step >= 5")
    page.click("#play")  # pause
    paused = step()
    page.wait_for_timeout(300)  # 15 steps' time at 50 steps/s: nothing may move
    assert step() == paused
    page.click("#step")
    assert step() == paused + 1
    page.click("#back")
    assert step() == paused
    page.locator("#position").fill("9")
    assert step() == 10
    assert page.inner_text("#final") == ""  # the final line belongs to the last step
    page.click("#play")  # plays to the end and stops there
    page.wait_for_function(f"last.step === {STEPS} && timer === null")
    assert page.inner_text("#play") == "▶ Play"
    assert errors == []
    page.close()


def test_the_clicked_points_graph_has_the_engines_numbers(browser: Any, moons_page: tuple[Path, list[str]]) -> None:
    path, _ = moons_page
    page, errors, _ = _open(browser, path)
    # moons' 2-16-16-1 MLP is too big to draw: the page says so and draws the 2-4-1 stand-in.
    assert "too big to draw" in page.inner_text("#note")
    stand_in = record("moons", steps=STEPS, hidden=(4,), seed=0)
    box = page.locator("#boundary").bounding_box()
    page.mouse.click(box["x"] + 0.3 * box["width"], box["y"] + 0.6 * box["height"])
    page.locator("#position").fill(str(STEPS - 1))
    shown = page.evaluate("({point: last.point, values: [...last.drawn.values], grads: [...last.drawn.grads]})")

    model = stand_in.run.model  # its parameters hold the last step's weights
    inputs = _inputs(shown["point"], drawn=True)
    _, outputs, position = _program(model, inputs)
    model.zero_grad()
    outputs[0].backward()
    order = sorted(position, key=position.get)  # type: ignore[arg-type]
    # Same ops, same order (Value.backward's): the numbers agree bit for bit.
    assert shown["values"] == [node.data for node in order]
    assert shown["grads"] == [node.grad for node in order]
    # ... and the drawing shows them: the output box, the gradient of x1.
    text = page.text_content("#graph")
    assert f"data {format(outputs[0].data, '.6g')}" in text
    assert f"grad {format(inputs[0].grad, '.6g')}" in text
    assert errors == []
    page.close()


def test_a_small_model_is_drawn_itself(tmp_path: Path) -> None:
    rec = record("xor", steps=3, hidden=(2,), seed=1)
    html = write_training_page(rec, tmp_path / "xor.html", lang="ko").read_text(encoding="utf-8")
    note = re.search(r'<p class="hint" id="note">(.*?)</p>', html)
    assert note is not None and note.group(1) == "그래프는 모델 그 자체입니다 (xor: MLP 2→2→1, 매개변수 9개)."


def test_long_runs_keep_evenly_spaced_snapshots() -> None:
    rec = record("xor", steps=MAX_SNAPSHOTS + 60, seed=0)
    assert len(rec.steps) == MAX_SNAPSHOTS
    assert rec.steps[0] == 1 and rec.steps[-1] == MAX_SNAPSHOTS + 60
    gaps = {b - a for a, b in zip(rec.steps, rec.steps[1:], strict=False)}
    assert gaps <= {1, 2}


def test_the_page_is_for_2d_data() -> None:
    code, out, err = _command("train", "digits", "--page", "digits.html")
    assert code == 2 and out == ""
    assert "moons, spiral, xor" in err and err.count("\n") == 1
    code, _, err = _command("train", "xor", "--steps", "2", "--page", "xor.svg")
    assert code == 2 and "end the name in .html" in err


def test_a_diverging_runs_page_is_still_written(browser: Any, tmp_path: Path) -> None:
    rec = record("xor", steps=3, hidden=(2,), seed=0)
    rec.run.losses[-1] = float("inf")  # as a run with far too large a learning rate ends
    rec.run.losses[-2] = float("nan")
    page, errors, _ = _open(browser, write_training_page(rec, tmp_path / "inf.html"))
    page.locator("#position").fill("2")
    assert "loss inf" in page.inner_text("#now")
    page.locator("#position").fill("1")
    assert "loss nan" in page.inner_text("#now")
    assert errors == []
    page.close()


def test_a_lone_surrogate_in_the_final_line_follows_the_step_pages_rule(tmp_path: Path) -> None:
    # Before: UnicodeEncodeError, while write_steps turned the same character into U+FFFD.
    from tinygrad_ko import Value, write_steps

    rec = record("xor", steps=3, hidden=(2,), seed=1)
    page = write_training_page(rec, tmp_path / "xor.html", final_line="accuracy \udcff").read_text(encoding="utf-8")
    assert '"finalLine": "accuracy \ufffd"' in page
    steps = write_steps(Value(1.0, label="x\udcff") * 2, tmp_path / "steps.html").read_text(encoding="utf-8")
    assert "x\ufffd" in steps and "\udcff" not in steps


# -- issue 24 item 6: what a learner saw on the page -----------------------------------------


@pytest.fixture(scope="module")
def spiral_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rec = record("spiral", steps=5, seed=0)
    return write_training_page(rec, tmp_path_factory.mktemp("spiral") / "spiral.html", lang="ko")


def _graph_text_heights(page: Any) -> list[float]:
    return page.evaluate("[...document.querySelectorAll('#graph text')].map((t) => t.getBoundingClientRect().height)")


def test_the_graphs_text_is_readable_at_1280_pixels(browser: Any, moons_page: tuple[Path, list[str]]) -> None:
    # Shrunk to the window, the stand-in's text was about 7 px high; drawn at Graphviz's size
    # (14 pt) and scrolled sideways, each line is a normal reading size.
    path, _ = moons_page
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(path.as_uri())
    heights = _graph_text_heights(page)
    assert heights and min(heights) >= 12, heights
    page.close()


def test_the_stand_in_is_named_where_its_output_is_shown(browser: Any, moons_page: tuple[Path, list[str]]) -> None:
    path, _ = moons_page
    page, errors, _ = _open(browser, path)
    page.locator("#position").fill(str(STEPS - 1))
    title = page.inner_text("#graph-title")
    assert "STAND-IN 2→4→1 network, not of the model" in title
    # The title gives the model's own output at the point: the real model's score, as Python computes it.
    run = train("moons", steps=STEPS, seed=0)
    point = page.evaluate("last.point")
    real = scores(run.model, np.array([point]))[0]
    assert f"the model's own output is {format(real, '.6g')}" in title
    assert "stand-in output" in page.text_content("#graph")  # on the picture itself
    assert errors == []
    page.close()


def test_no_node_shows_a_negative_zero(browser: Any, moons_page: tuple[Path, list[str]]) -> None:
    path, _ = moons_page
    page, errors, _ = _open(browser, path)
    texts = page.evaluate("""(() => { const seen = [];
        for (let k = 0; k < data.steps.length; k++) {
          show(k);
          for (const t of document.querySelectorAll('#graph text')) seen.push(t.textContent);
        }
        return seen; })()""")
    negative_zeros = [t for t in texts if re.search(r"(^|\s)-0$", t)]
    # Before, a relu's 0 times a negative weight showed "data -0" (IEEE's -0.0).
    assert negative_zeros == []
    assert errors == []
    page.close()


def test_spirals_graph_names_the_class_its_output_scores(browser: Any, spiral_page: Path) -> None:
    page, errors, _ = _open(browser, spiral_page)
    cls = page.evaluate("data[selected.set].t[selected.k]")
    assert f"(출력 {cls}: 누른 점의 클래스 {cls})" in page.inner_text("#graph-title")
    assert errors == []
    page.close()


def test_both_pages_count_steps_the_same_way(browser: Any, spiral_page: Path, tmp_path: Path) -> None:
    from tinygrad_ko import Value, write_steps
    page, _, _ = _open(browser, spiral_page)
    training = page.inner_text("#now")
    steps_page = write_steps(Value(2.0, label="x") * 3.0, tmp_path / "s.html", lang="ko", engine="graphviz-pure")
    page.goto(steps_page.as_uri())
    stepping = page.inner_text("#counter")
    assert re.match(r"단계 1 / 5 · ", training) and re.fullmatch(r"단계 1 / \d+", stepping)
    page.close()


def test_the_graphs_numbers_stay_inside_their_boxes(browser: Any, spiral_page: Path) -> None:
    page, _, _ = _open(browser, spiral_page)
    worst = page.evaluate("""(() => { let worst = 0;
        for (let k = 0; k < data.train.x.length; k += 37) {
          selected = { set: 'train', k };
          show(data.steps.length - 1);
          for (const g of document.querySelectorAll('#graph g.node')) {
            const box = g.querySelector('polygon, path, ellipse').getBBox();
            for (const t of g.querySelectorAll('text')) {
              const b = t.getBBox();
              worst = Math.max(worst, box.x - b.x, (b.x + b.width) - (box.x + box.width));
            }
          }
        }
        return worst; })()""")
    assert worst <= 0.5  # half a unit: the renderer's rounding of glyph boxes
    page.close()
