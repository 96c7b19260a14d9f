"""The step-through page: frames from real engines, pinned layout, and a real browser."""

from __future__ import annotations

import html
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tinygrad_ko import Value, examples, explain, topological_order, write_steps
from tinygrad_ko.draw.dot import GRADIENT_COLOR, format_number, label_text
from tinygrad_ko.pages.steps import MAX_STEP_NODES, Frame, step_frames

SVG = "{http://www.w3.org/2000/svg}"
ENGINES = ["dot", "graphviz-pure"]


def apple_orange(lang: str = "en") -> Value:
    return examples.apple_orange(lang).price


def nodes_of(svg: str) -> dict[str, ET.Element]:
    """Each drawn node's <g> element by its DOT id (the SVG <title>)."""
    found = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        if "node" in group.get("class", "").split():
            title = group.find(f"{SVG}title")
            assert title is not None and title.text
            found[title.text] = group
    return found


def texts(group: ET.Element) -> list[str]:
    return [t.text or "" for t in group.iter(f"{SVG}text")]


def bounding_box(group: ET.Element) -> tuple[float, float, float, float]:
    """The box around a node's outline (polygon, rounded path or ellipse)."""
    xs: list[float] = []
    ys: list[float] = []
    for shape in group:
        if shape.tag == f"{SVG}ellipse":
            cx, cy, rx, ry = (float(shape.get(k, "")) for k in ("cx", "cy", "rx", "ry"))
            xs += [cx - rx, cx + rx]
            ys += [cy - ry, cy + ry]
        elif shape.tag in (f"{SVG}polygon", f"{SVG}path"):
            numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", shape.get("points") or shape.get("d", ""))]
            xs += numbers[0::2]
            ys += numbers[1::2]
    return min(xs), min(ys), max(xs), max(ys)


# --- frames: one per step, drawn by a real engine ---------------------------------------


@pytest.fixture(scope="module", params=ENGINES)
def frames(request: pytest.FixtureRequest) -> list[Frame]:
    return step_frames(apple_orange(), "en", engine=request.param)


def test_one_frame_per_step_with_the_explainers_text(frames: list[Frame]) -> None:
    steps = explain(apple_orange(), "en").steps
    assert [f.step.text for f in frames] == [s.text for s in steps]


def test_each_frame_highlights_the_node_of_its_step(frames: list[Frame]) -> None:
    for frame in frames:
        drawn = nodes_of(frame.svg)
        current = [name for name, g in drawn.items() if "current" in g.get("class", "").split()]
        assert current == [frame.node_id]
        # The highlighted box shows the step's node: its label and its value.
        shown = texts(drawn[frame.node_id])
        node = frame.step.node
        assert f"data {format_number(node.data)}" in shown
        assert not node.label or node.label in shown


def test_nodes_keep_their_place_and_size_in_every_frame(frames: list[Frame]) -> None:
    first = {name: bounding_box(g) for name, g in nodes_of(frames[0].svg).items()}
    view_box = ET.fromstring(frames[0].svg).get("viewBox")
    for frame in frames[1:]:
        assert ET.fromstring(frame.svg).get("viewBox") == view_box
        assert {name: bounding_box(g) for name, g in nodes_of(frame.svg).items()} == first


def test_forward_values_appear_node_by_node(frames: list[Frame]) -> None:
    forward = [f for f in frames if f.step.phase == "forward"]
    for k, frame in enumerate(forward):
        shown = {name: texts(g) for name, g in nodes_of(frame.svg).items() if not name.endswith("_op")}
        computed = {f.node_id for f in forward[: k + 1]}
        assert {name for name, lines in shown.items() if lines} == computed
        assert not any(line.startswith("grad") for lines in shown.values() for line in lines)


def test_gradients_show_the_running_sums_backward_makes() -> None:
    x = Value(3.0, label="x")
    y = x * x + x  # x receives 1 from the add node first, then 3 + 3 from the mul node
    frames = step_frames(y, "en", engine="graphviz-pure")
    grads_of_x = [line for f in frames if f.step.phase != "forward"
                  for line in texts(nodes_of(f.svg)[_id_of(f, x)]) if line.startswith("grad")]
    assert grads_of_x == ["grad 0", "grad 1", "grad 7"]
    y.backward()
    assert x.grad == 7.0


def _id_of(frame: Frame, node: Value) -> str:
    for name, group in nodes_of(frame.svg).items():
        if node.label and node.label in texts(group):
            return name
    raise AssertionError(f"{node.label} is not drawn")


def test_last_frame_shows_what_backward_leaves_on_the_nodes() -> None:
    root = apple_orange()
    frames = step_frames(root, "en", engine="graphviz-pure")
    root.backward()
    last = nodes_of(frames[-1].svg)
    for frame in frames[: len(explain(root).forward)]:  # each node's id, from its forward frame
        node = frame.step.node
        assert f"grad {format_number(node.grad)}" in texts(last[frame.node_id])


def test_graphs_too_big_to_step_through_are_refused() -> None:
    y = Value(1.0)
    for _ in range(MAX_STEP_NODES):
        y = y + 1.0
    with pytest.raises(ValueError, match=r"at most 100 nodes"):
        step_frames(y)


# --- the page --------------------------------------------------------------------------


def test_page_is_one_self_contained_file(tmp_path: Path) -> None:
    html = write_steps(apple_orange(), tmp_path / "steps.html", lang="en", engine="graphviz-pure").read_text("utf-8")
    assert not re.search(r"<(script|img|link|iframe)[^>]*(src|href)=", html, flags=re.I)
    assert "@import" not in html and "url(" not in html


# --- a real browser: headless Chromium (conftest's browser fixture) ------------------------


def test_stepping_through_the_page_in_a_browser(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = apple_orange("ko")
    frames = step_frames(root, "ko")
    page_file = write_steps(root, tmp_path / "steps.html", lang="ko")
    page = browser.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(page_file.as_uri())

    assert page.is_disabled("#previous")
    for k, frame in enumerate(frames):
        assert page.inner_text("#counter") == f"단계 {k + 1} / {len(frames)}"
        assert page.inner_text("#text") == frame.step.text.replace("; ", ";\n")
        assert page.inner_text("#phase") == ("순전파" if frame.step.phase == "forward" else "역전파")
        assert page.text_content("#figure g.node.current > title") == frame.node_id
        if k < len(frames) - 1:
            page.click("#next")
    assert page.is_disabled("#next")

    page.keyboard.press("ArrowLeft")
    assert page.inner_text("#counter") == f"단계 {len(frames) - 1} / {len(frames)}"
    page.keyboard.press("Home")
    assert page.text_content("#figure g.node.current > title") == frames[0].node_id
    page.keyboard.press("ArrowRight")
    assert page.inner_text("#text") == frames[1].step.text
    page.locator("#slider").fill("9")
    assert page.text_content("#figure g.node.current > title") == frames[9].node_id

    assert errors == []
    assert requests == [page_file.as_uri()], "the page must load nothing but itself"
    page.close()


def test_labels_cannot_break_out_of_the_page(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    evil = '</script><script>window.hacked = 1</script><img src=x onerror="window.hacked = 2">'
    x = Value(2.0, label=evil)
    root = x * 3.0
    steps = explain(root, "en").steps
    page_file = write_steps(root, tmp_path / "evil.html", lang="en", engine="graphviz-pure")
    page = browser.new_page()
    page.goto(page_file.as_uri())
    # Every step's text goes into the page, so step through all of them (whichever
    # step names x first): each is shown as plain text, and none runs or adds markup.
    shown = []
    for k in range(len(steps)):
        if k:
            page.keyboard.press("ArrowRight")
        shown.append(page.inner_text("#text"))
    assert shown == [step.text.replace("; ", ";\n") for step in steps]
    assert any(label_text(evil) in text for text in shown)  # as drawn: cut at 60 characters
    assert page.evaluate("window.hacked") is None
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    page.close()


def test_the_page_shows_inline_in_jupyter(tmp_path: Path) -> None:
    x = Value(3.0, label="x")
    page = write_steps(x * x, tmp_path / "steps.html", engine="graphviz-pure")
    assert isinstance(page, Path) and page == tmp_path / "steps.html"  # still a path, as before
    shown = page._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and shown.endswith("</iframe>")
    # The whole page travels in srcdoc, escaped once: the frame needs no server and no file access.
    inner = html.unescape(shown[len('<iframe srcdoc="'):shown.index('" width=')])
    assert inner == page.read_text(encoding="utf-8")


@pytest.mark.parametrize("engine", ENGINES)
def test_korean_frames_say_value_and_gradient_in_korean(engine: str) -> None:
    frames = step_frames(apple_orange("ko"), "ko", engine=engine)
    last = nodes_of(frames[-1].svg)
    shown = [texts(group) for group in last.values()]
    assert ["소비세", "값 1.1", "기울기 650"] in shown
    assert not any(line.startswith(("data ", "grad ")) for lines in shown for line in lines)


def test_constants_are_drawn_from_the_first_frame_and_never_highlighted() -> None:
    # x ** 2 * 3: the 2 and the 3 are written inside their ops, never a step of their own.
    x = Value(2.0, label="x")
    frames = step_frames(x**2 * 3, "en", engine="graphviz-pure")
    assert [f.step.phase for f in frames] == ["forward"] * 3 + ["seed"] + ["backward"] * 2  # x, ** 2, * 3
    assert {f.node_id for f in frames} == {"v0", "v2", "v4"}  # the output, x ** 2 and x: no constant
    ops = {name: texts(group) for name, group in nodes_of(frames[0].svg).items() if name.endswith("_op")}
    assert ops == {"v0_op": ["* 3"], "v2_op": ["** 2"]}


def visible_edge_numbers(svg: str) -> list[str]:
    """The numbers on the edges that can be seen: not transparent (dot writes it as #fffffe)."""
    root = ET.fromstring(svg)
    return sorted((t.text or "").strip() for g in root.iter(f"{SVG}g") if g.get("class") == "edge"
                  for t in g.iter(f"{SVG}text") if t.get("fill", "black").lower() not in ("transparent", "#fffffe"))


@pytest.mark.parametrize("engine", ENGINES)
def test_book_style_frames_reveal_the_numbers_step_by_step_in_one_layout(engine: str) -> None:
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    product = x * y
    z = product + 1.5
    frames = step_frames(z, "en", engine=engine, style="book")
    assert [f.step.text for f in frames] == [s.text for s in explain(z, "en").steps]
    # Every frame is one drawing: only colours differ, so every node stays where it was.
    positions = [{name: [(t.get("x"), t.get("y")) for t in g.iter(f"{SVG}text")] for name, g in nodes_of(f.svg).items()}
                 for f in frames]
    assert all(p == positions[0] for p in positions)
    shown = [visible_edge_numbers(f.svg) for f in frames]
    assert shown[0] == ["2"]                        # input x: its value on its edge
    assert shown[1] == ["2", "3"]                   # input y
    assert shown[2] == ["2", "3", "6"]              # x * y = 6
    assert shown[3] == ["2", "3", "6", "7.5"]       # + 1.5 = 7.5: the forward pass is done
    assert shown[4] == ["1", "2", "3", "6", "7.5"]  # the seed: gradient 1 on the output's edge
    assert shown[5] == ["1", "1", "2", "3", "6", "7.5"]             # + passes 1 back to x * y
    assert shown[6] == ["1", "1", "2", "2", "3", "3", "6", "7.5"]   # * passes 3 to x and 2 to y
    ids = {node: f"v{i}" for i, node in enumerate(topological_order(z))}  # to_dot's ids
    ops = [f"{ids[product]}_op", f"{ids[z]}_op"]
    # Highlighted: the inputs (plain text), the ops computing, the output at the seed, the ops passing back.
    assert [f.node_id for f in frames] == [ids[x], ids[y], *ops, ids[z], *ops[::-1]]
    red = [(t.text or "").strip() for g in ET.fromstring(frames[4].svg).iter(f"{SVG}g") if g.get("class") == "edge"
           for t in g.iter(f"{SVG}text") if t.get("fill", "").lower() == GRADIENT_COLOR]
    assert red == ["1"]  # the seed's gradient, in the book's red


def test_book_style_page_from_the_command(tmp_path: Path) -> None:
    done = subprocess.run([str(Path(sys.executable).with_name("tinygrad-ko")), "demo", "--style", "book",
                           "--steps", "book.html"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "book.html").read_text(encoding="utf-8")
    assert page.count('"phase": "backward"') == 4 and "headlabel" not in page
    assert list(tmp_path.iterdir()) == [tmp_path / "book.html"]  # --steps without -o: no drawing
def test_a_lone_surrogate_label_is_written_as_the_replacement_character(tmp_path: Path) -> None:
    # A label decoded with surrogateescape; render draws such a character as U+FFFD,
    # and the page must be writable too (UTF-8 cannot hold a lone surrogate).
    x = Value(2.0, label="a\udcffb")
    page = write_steps(x * x, tmp_path / "steps.html", lang="en")
    text = page.read_text(encoding="utf-8")
    assert "a\ufffdb" in text and "\udcff" not in text


def test_a_graph_too_big_to_step_through_is_refused_before_any_work(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: write_steps ran explain() on the whole graph first (a 300k-node graph: 15 s and 347 MB
    # before the refusal).  Now the size is counted first, no further than the limit.
    from tinygrad_ko.pages import steps

    explained: list[Value] = []
    real_explain = steps.explain
    monkeypatch.setattr(steps, "explain", lambda root, lang="en": explained.append(root) or real_explain(root, lang))
    y = Value(1.0)
    for _ in range(200_000):
        y = y + 1.0
    with pytest.raises(ValueError, match=r"more than 100 Value nodes; a step-through page .* at most 100 nodes"):
        write_steps(y, tmp_path / "big.html")
    with pytest.raises(ValueError, match=r"more than 100 Value nodes"):
        step_frames(y)
    assert explained == [] and not (tmp_path / "big.html").exists()


def test_the_step_count_is_exact_at_the_limit() -> None:
    y = Value(1.0, label="x")
    while len(topological_order(y)) < MAX_STEP_NODES:
        y = y * 1.0 if len(topological_order(y)) + 2 <= MAX_STEP_NODES else y.relu()
    assert len(topological_order(y)) == MAX_STEP_NODES
    assert len(step_frames(y, engine="graphviz-pure")) == len(explain(y).forward) + len(explain(y).backward)
