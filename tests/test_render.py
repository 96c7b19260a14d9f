"""render, run_engine and find_engine: real files from both real Graphviz engines."""

from __future__ import annotations

import importlib
import inspect
import os
import re
import stat
import struct
import sys
import sysconfig
import time
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from tinygrad_ko import Value, render, to_dot
from tinygrad_ko.draw.dot import GRADIENT_COLOR
from tinygrad_ko.draw.render import (
    ENGINE_ENV_VAR,
    EngineError,
    EngineNotFoundError,
    EngineTimeoutError,
    draw,
    find_engine,
    run_engine,
)
from tinygrad_ko.draw.textfit import text_width
from tinygrad_ko.examples import apple_orange

# The module, not the function tinygrad_ko.render that shares its name.
render_module = importlib.import_module("tinygrad_ko.draw.render")
engines_module = importlib.import_module("tinygrad_ko.draw.engines")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"

# The book's numbers for the apple/orange example (label: data, grad), as a
# reader sees them: the drawing's default precision hides float noise.
BOOK = {
    "en": {"apple": ("100", "2.2"), "apple count": ("2", "110"), "orange": ("150", "3.3"),
           "orange count": ("3", "165"), "tax": ("1.1", "650"), "price": ("715", "1")},
    "ko": {"사과": ("100", "2.2"), "사과 개수": ("2", "110"), "귤": ("150", "3.3"),
           "귤 개수": ("3", "165"), "소비세": ("1.1", "650"), "지불 금액": ("715", "1")},
}


def apple_price(lang: str = "en") -> Value:
    price = apple_orange(lang).price
    price.backward()
    return price


@pytest.fixture(autouse=True)
def no_engine_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests choose their engine explicitly; a TINYGRAD_KO_DOT in the caller's shell must not leak in."""
    monkeypatch.delenv(ENGINE_ENV_VAR, raising=False)


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget which engines already warned about Hangul, so this test sees the first warning."""
    monkeypatch.setattr(engines_module, "_warned_programs", set())


@pytest.mark.filterwarnings("ignore:the embedded Graphviz engine")
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_svg_shows_every_node_with_its_value_and_gradient(
    engine: str, lang: str, tmp_path: Path, read_svg_nodes: Callable[[bytes], list[list[str]]]
) -> None:
    out = render(apple_price(lang), tmp_path / "apple.svg", engine=engine)
    nodes = read_svg_nodes(out.read_bytes())  # parses the file as XML
    labelled = {texts[0]: texts[1:] for texts in nodes if len(texts) == 3}
    assert labelled == {label: [f"data {data}", f"grad {grad}"] for label, (data, grad) in BOOK[lang].items()}
    # The three unlabelled intermediate values (200, 450, 650; each passes grad 1.1 back)
    # and the four op nodes (*, *, +, *).
    assert sorted(texts for texts in nodes if len(texts) == 2) == [
        ["data 200", "grad 1.1"], ["data 450", "grad 1.1"], ["data 650", "grad 1.1"]]
    assert sorted(texts[0] for texts in nodes if len(texts) == 1) == ["*", "*", "*", "+"]


def svg_size_pt(svg: bytes) -> tuple[float, float]:
    root = ET.fromstring(svg)
    return float(root.get("width", "").removesuffix("pt")), float(root.get("height", "").removesuffix("pt"))


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"  # the first chunk, as the PNG spec requires
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_png_is_a_png_of_the_laid_out_size(engine: str, tmp_path: Path) -> None:
    price = apple_price()
    png = render(price, tmp_path / "apple.png", engine=engine).read_bytes()
    width_pt, height_pt = svg_size_pt(render(price, tmp_path / "apple.svg", engine=engine).read_bytes())
    width, height = png_size(png)
    # Both engines rasterise at the default 144 dpi: pixels = points * 144/72, rounded (±1 px).
    assert abs(width - width_pt * 144 / 72) <= 1
    assert abs(height - height_pt * 144 / 72) <= 1
    assert width > height > 100  # left-to-right layout of nine boxes and four ops


@pytest.mark.parametrize("lang", ["en", "ko"])  # ko: the embedded engine rasterises through resvg
def test_dpi_sets_the_png_resolution(engine: str, lang: str, tmp_path: Path) -> None:
    price = apple_price(lang)
    width_pt, height_pt = svg_size_pt(render(price, tmp_path / "apple.svg", engine=engine).read_bytes())
    for dpi in (96, 144, 200):
        width, height = png_size(render(price, tmp_path / f"{dpi}.png", engine=engine, dpi=dpi).read_bytes())
        assert abs(width - width_pt * dpi / 72) <= 1 and abs(height - height_pt * dpi / 72) <= 1, dpi


@pytest.mark.parametrize("dpi", [0, -1, 5, 1e9, float("nan"), "144", True])
def test_bad_dpi_is_a_value_error(dpi: object, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="dpi must be a number of pixels per inch"):
        render(apple_price(), tmp_path / "a.png", dpi=dpi)  # type: ignore[arg-type]


def test_system_graphviz_writes_pdf(tmp_path: Path) -> None:
    out = render(apple_price(), tmp_path / "apple.pdf", engine="dot")
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]


def test_embedded_engine_refuses_pdf_with_the_fix_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"cannot write 'pdf'.*install the system Graphviz for pdf"):
        render(apple_price(), tmp_path / "apple.pdf", engine="graphviz-pure")
    assert list(tmp_path.iterdir()) == []


def test_format_comes_from_the_suffix_or_the_argument(tmp_path: Path) -> None:
    price = apple_price()
    assert render(price, tmp_path / "a.PNG").read_bytes()[:8] == PNG_SIGNATURE
    assert render(price, tmp_path / "drawing", format="svg").read_bytes().startswith(b"<?xml")
    assert render(price, str(tmp_path / "b.svg"), format="svg") == tmp_path / "b.svg"


@pytest.mark.parametrize(
    ("name", "format", "message"),
    [
        ("a.png", "svg", r"ends in \.png but format='svg'"),
        ("a.gif", None, "cannot write 'gif' files; the formats are svg, png, pdf"),
        ("drawing", None, "cannot tell the format"),
        ("drawing", "bmp", "cannot write 'bmp'"),
    ],
)
def test_bad_format_is_a_value_error_and_writes_nothing(
    tmp_path: Path, name: str, format: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        render(apple_price(), tmp_path / name, format=format)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_path_raises_oserror_naming_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    target = blocker / "apple.svg"  # works as root too, unlike chmod
    with pytest.raises(NotADirectoryError) as caught:
        render(apple_price(), target)
    assert str(target) in str(caught.value)


def test_path_that_is_a_directory_raises_oserror_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "apple.svg"
    target.mkdir()
    with pytest.raises(OSError, match="cannot write the drawing") as caught:
        render(apple_price(), target)
    assert caught.value.filename == str(target)
    assert [p.name for p in tmp_path.iterdir()] == ["apple.svg"]


def crashing_engine(tmp_path: Path) -> Path:
    """A Graphviz that answers -V and -T? like dot but crashes halfway through a drawing.

    It stands in for an engine dying mid-write (out of memory, killed): the unit
    under test is render's file handling, which must not leave half a file.
    """
    script = tmp_path / "crashing-dot"
    script.write_text(
        "#!/bin/sh\n"
        'case "$1" in -V|-T\\?) exec dot "$@";; esac\n'
        "printf '<?xml version=\"1.0\"?><svg'\n"  # half a drawing on stdout
        "echo 'dot: out of memory in gvLayoutJobs' >&2\n"
        "exit 3\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_failed_render_keeps_the_old_file_and_surfaces_the_engine_stderr(tmp_path: Path) -> None:
    engine = crashing_engine(tmp_path)
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "apple.svg"
    target.write_text("the previous drawing")
    with pytest.raises(EngineError, match=r"failed \(exit code 3\): dot: out of memory in gvLayoutJobs"):
        render(apple_price(), target, engine=str(engine))
    assert target.read_text() == "the previous drawing"
    assert [p.name for p in target.parent.iterdir()] == ["apple.svg"]


def test_engine_error_carries_the_real_engine_stderr(engine: str) -> None:
    with pytest.raises(EngineError, match="syntax error"):
        run_engine("digraph { a -> }", "svg", engine)


# -- engine lookup ----------------------------------------------------------------

def generator(svg: bytes) -> str:
    """Which Graphviz wrote this SVG, from its "Generated by" comment."""
    header = svg[:400].decode()
    return "graphviz-pure" if "(graphviz-pure)" in header else "dot" if "Generated by graphviz" in header else "?"


def test_system_dot_is_preferred_when_on_path() -> None:
    assert Path(find_engine()).name == "dot"
    assert generator(run_engine("digraph { a }", "svg")) == "dot"


def test_environment_variable_chooses_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENGINE_ENV_VAR, "graphviz-pure")
    assert generator(run_engine("digraph { a }", "svg")) == "graphviz-pure"


def test_engine_argument_overrides_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENGINE_ENV_VAR, "graphviz-pure")
    assert generator(run_engine("digraph { a }", "svg", engine="dot")) == "dot"


def test_engine_can_be_a_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENGINE_ENV_VAR, "/usr/bin/dot")
    assert find_engine() == "/usr/bin/dot"


def test_without_system_graphviz_the_embedded_engine_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot, no graphviz-pure on PATH
    # Found next to this Python: where pip puts graphviz-pure, even in a venv that is not activated.
    assert Path(find_engine()).name == "graphviz-pure"
    assert generator(run_engine("digraph { a }", "svg")) == "graphviz-pure"


def test_no_engine_at_all_names_both_ways_to_install_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    # A Python whose script directories hold no graphviz-pure either.
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(sysconfig, "get_path", lambda name, *args, **kwargs: str(tmp_path))
    with pytest.raises(EngineNotFoundError, match=r"apt install graphviz.*pip install graphviz-pure"):
        find_engine()


def test_missing_forced_engine_names_where_it_came_from(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENGINE_ENV_VAR, "no-such-dot")
    with pytest.raises(EngineNotFoundError, match=f"'no-such-dot' \\(from the {ENGINE_ENV_VAR} environment"):
        find_engine()
    with pytest.raises(EngineNotFoundError, match=r"'nope' \(from engine=\)"):
        find_engine("nope")


# -- Hangul ------------------------------------------------------------------------

def test_hangul_with_system_graphviz_uses_a_cjk_font_and_does_not_warn(
    tmp_path: Path, read_svg_nodes: Callable[[bytes], list[list[str]]]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        svg = render(apple_price("ko"), tmp_path / "ko.svg", engine="dot").read_bytes()
    root = ET.fromstring(svg)
    fonts = {t.get("font-family") for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert fonts == {"Noto Sans CJK KR,Noto Sans KR,NanumGothic,sans-serif"}
    assert ["사과", "data 100", "grad 2.2"] in read_svg_nodes(svg)


@pytest.mark.usefixtures("fresh_warnings")
def test_hangul_with_the_embedded_engine_is_measured_and_embeds_nanum_gothic(
    tmp_path: Path, read_svg_nodes: Callable[[bytes], list[list[str]]]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the font comes with pip: nothing to warn about
        svg = render(apple_price("ko"), tmp_path / "ko.svg", engine="graphviz-pure").read_bytes()
    assert generator(svg) == "graphviz-pure"
    root = ET.fromstring(svg)
    assert {t.get("font-family") for t in root.iter(f"{SVG}text")} == {"NanumGothic"}
    style = "".join(s.text or "" for s in root.iter(f"{SVG}style"))
    assert "@font-face" in style and "data:font/woff;base64," in style  # the glyphs travel with the file
    assert ["사과 개수", "data 2", "grad 110"] in read_svg_nodes(svg)
    # Every box is wider than its widest line set in NanumGothic (the engine alone sized Hangul as spaces).
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "node" or group.find(f"{SVG}polygon") is None:
            continue
        xs = [float(p.split(",")[0]) for p in group.find(f"{SVG}polygon").get("points", "").split()]
        widest = max(text_width(t.text or "", float(t.get("font-size", "0"))) for t in group.iter(f"{SVG}text"))
        assert max(xs) - min(xs) > widest + 4, [t.text for t in group.iter(f"{SVG}text")]


def test_embedded_hangul_drawing_is_the_same_bytes_every_time() -> None:
    source = to_dot(apple_price("ko")).source
    assert run_engine(source, "svg", "graphviz-pure") == run_engine(source, "svg", "graphviz-pure")


@pytest.mark.usefixtures("fresh_warnings")
def test_without_the_font_package_the_embedded_engine_warns_once_naming_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(weight: str = "regular") -> Path:
        raise FileNotFoundError("the package koreanize-matplotlib is not installed; pip install koreanize-matplotlib")

    monkeypatch.setattr(engines_module, "hangul_font_path", missing)  # the environment, not the unit under test
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # so a second warning would be recorded, not deduplicated
        render(apple_price("ko"), tmp_path / "1.png", engine="graphviz-pure")
        render(apple_price("ko"), tmp_path / "2.svg", engine="graphviz-pure")
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(messages) == 1
    assert re.search(r"no Hangul.*pip install koreanize-matplotlib.*apt install graphviz fonts-noto-cjk", messages[0])
    assert png_size((tmp_path / "1.png").read_bytes())[0] > 100  # still drawn


@pytest.mark.usefixtures("fresh_warnings")
def test_ascii_labels_with_the_embedded_engine_do_not_warn(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        render(apple_price("en"), tmp_path / "en.svg", engine="graphviz-pure")


# -- Jupyter -----------------------------------------------------------------------

def test_jupyter_shows_svg_through_the_engine_lookup_without_system_graphviz(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # the graphviz package itself would find no dot now
    bundle = to_dot(apple_price())._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    svg = bundle["image/svg+xml"]
    assert generator(svg.encode()) == "graphviz-pure"
    assert "data 715" in svg


def test_jupyter_png_bundle_is_a_png() -> None:
    bundle = to_dot(apple_price())._repr_mimebundle_(include=["image/png"])
    png_size(bundle["image/png"])


def test_rendered_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)  # the common default, set so the expected mode is known
    try:
        out = render(Value(1.0), tmp_path / "one.svg")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # 0o666 minus the umask, like any new file


def test_render_returns_the_path_it_wrote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert render(Value(1.0), "one.svg") == Path("one.svg")
    assert (tmp_path / "one.svg").is_file()


# -- the book's figure style ----------------------------------------------------------

def edge_texts(svg: bytes) -> list[list[tuple[str, str]]]:
    """(text, fill colour) of each edge's label texts, in document order."""
    root = ET.fromstring(svg)
    return [[((t.text or "").strip(), t.get("fill", "black")) for t in group.iter(f"{SVG}text")]
            for group in root.iter(f"{SVG}g") if group.get("class") == "edge"]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_book_style_puts_values_and_red_gradients_on_the_edges(
    engine: str, lang: str, read_svg_nodes: Callable[[bytes], list[list[str]]]
) -> None:
    svg = draw(apple_price(lang), "svg", engine=engine, style="book", lang=lang)
    labels = BOOK[lang]
    # Every edge carries the value flowing forward and, under it in red, the gradient flowing back.
    pairs = []
    for texts in edge_texts(svg):
        (value, value_fill), (grad, grad_fill) = texts
        assert grad_fill.lower() == GRADIENT_COLOR and value_fill.lower() != GRADIENT_COLOR
        pairs.append((value, grad))
    inputs = [pair for name, pair in labels.items() if name not in ("price", "지불 금액")]
    assert sorted(pairs) == sorted([*inputs, ("200", "1.1"), ("450", "1.1"), ("650", "1.1"), ("715", "1")])
    # Inputs and the output are plain text, ops are the book's circles: no value boxes.
    nodes = read_svg_nodes(svg)
    assert sorted(texts[0] for texts in nodes if texts and texts[0] in "×+") == ["+", "×", "×", "×"]
    assert sorted(texts for texts in nodes if texts and texts[0] not in "×+") == sorted([name] for name in labels)


def test_book_style_forward_only_has_no_gradients(engine: str) -> None:
    svg = draw(apple_price(), "svg", engine=engine, style="book", show_grad=False)
    assert all(len(texts) == 1 for texts in edge_texts(svg))
    assert GRADIENT_COLOR.encode() not in svg.lower()


def test_book_style_gradient_on_each_use_of_a_reused_input_is_that_use_s_share() -> None:
    # y = x * x + x at x = 3: dy/dx = 2x + 1 = 7, made of 3 + 3 (the two uses in x * x) + 1.
    x = Value(3.0, label="x")
    y = x * x + x
    y.backward()
    svg = draw(y, "svg", engine="dot", style="book")
    from_x = sorted(grad for (value, _), (grad, _) in edge_texts(svg) if value == "3")
    assert from_x == ["1", "3", "3"] and x.grad == 7.0


def test_korean_drawing_says_value_and_gradient_in_the_book_s_words(
    engine: str, read_svg_nodes: Callable[[bytes], list[list[str]]]
) -> None:
    nodes = read_svg_nodes(draw(apple_price("ko"), "svg", engine=engine, lang="ko"))
    assert ["소비세", "값 1.1", "기울기 650"] in nodes
    assert not any(line.startswith(("data ", "grad ")) for texts in nodes for line in texts)
# --- bounded layout time (issue 15, item 1) ---

def fan_in(n: int) -> Value:
    """x + x + ... + x with n copies of one leaf: the shape whose layout time explodes in Graphviz."""
    x = Value(1.0, label="x")
    y = x
    for _ in range(n - 1):
        y = y + x
    y.backward()
    return y


def test_engine_is_stopped_after_the_timeout_on_a_pathological_graph(engine: str, tmp_path: Path) -> None:
    # N = 250, the most the command accepts: even with the layout limits both engines
    # need seconds, so a 0.3 s timeout must stop them.
    target = tmp_path / "fan.svg"
    started = time.perf_counter()
    with pytest.raises(EngineTimeoutError) as caught:
        render(fan_in(250), target, engine=engine, timeout=0.3)
    elapsed = time.perf_counter() - started
    # to_dot of 500 nodes takes milliseconds; 5 s leaves room for a loaded machine
    # while still far below the engine's own time without a timeout.
    assert elapsed < 5, elapsed
    message = str(caught.value)
    assert "timeout=" in message and "0.3 s" in message and "takes too long" in message
    assert caught.value.timeout == 0.3 and isinstance(caught.value, EngineError)
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_timeout_returns_at_once_when_the_engine_started_a_program_holding_its_output(tmp_path: Path) -> None:
    # A wrapper script (what TINYGRAD_KO_DOT may name) whose child outlives it and keeps
    # the engine's stdout open: waiting for the end of the output would wait for the child.
    wrapper = tmp_path / "slow-wrapper"
    wrapper.write_text(f'#!/bin/sh\ncase "$1" in -Tsvg) sleep 20 ;; *) exec {find_engine("dot")} "$@" ;; esac\n')
    wrapper.chmod(0o755)
    started = time.perf_counter()
    with pytest.raises(EngineTimeoutError):
        run_engine("digraph { a -> b }", "svg", str(wrapper), timeout=0.3)
    assert time.perf_counter() - started < 5  # not the 20 s the child sleeps


def test_the_engine_process_is_gone_after_a_timeout(tmp_path: Path) -> None:
    source = to_dot(fan_in(250)).source
    before = engine_children()
    with pytest.raises(EngineTimeoutError):
        run_engine(source, "svg", "dot", timeout=0.3)
    assert engine_children() == before  # killed and reaped: no zombie, no orphan


def engine_children() -> set[int]:
    """The pids of this process's children (running or zombie), from /proc (Linux)."""
    children = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid():
                children.add(int(entry.name))
    return children


def test_default_timeout_applies_and_none_means_no_limit(tmp_path: Path) -> None:
    assert render_module.DEFAULT_TIMEOUT == 30.0
    assert inspect.signature(render).parameters["timeout"].default == render_module.DEFAULT_TIMEOUT
    assert inspect.signature(run_engine).parameters["timeout"].default == render_module.DEFAULT_TIMEOUT
    assert render(apple_price(), tmp_path / "a.svg", timeout=None).read_bytes().startswith(b"<?xml")


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "10", True])
def test_bad_timeout_is_a_value_error_naming_the_option(bad: object, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"render\(timeout=\.\.\.\) must be a positive number of seconds"):
        render(apple_price(), tmp_path / "a.svg", timeout=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"run_engine\(timeout=\.\.\.\)"):
        run_engine("digraph { a }", "svg", timeout=bad)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_to_dot_bounds_the_layout_iterations() -> None:
    # The fan-in's layout time is bounded by nslimit/nslimit1 in the DOT text itself,
    # so every program that draws to_dot's output gets it (benchmarks/layout.py measures it).
    graph_line = to_dot(fan_in(3)).source.splitlines()[1]
    assert "nslimit=1 " in graph_line and "nslimit1=1 " in graph_line


def test_fan_in_the_command_accepts_draws_in_seconds_with_the_system_dot(tmp_path: Path) -> None:
    # Without the layout limits N = 100 ran over 15 minutes; with them N = 250 (the
    # most the command accepts) takes about 7 s on a loaded 2-CPU machine.  N = 100
    # takes about 0.5 s: the default timeout (30 s) is 60 times that.
    out = render(fan_in(100), tmp_path / "fan.svg", engine="dot")
    assert out.read_bytes().startswith(b"<?xml")


# --- atomic writes that keep names, modes and links (issue 15, item 8) ---

def test_longest_valid_file_name_can_be_written(tmp_path: Path) -> None:
    # 250 characters: valid on every common file system (limit 255), so the
    # temporary name must not be the target's name plus a suffix.
    name = "a" * 246 + ".svg"
    assert render(Value(1.0), tmp_path / name).name == name
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_overwriting_keeps_the_file_mode(tmp_path: Path) -> None:
    target = tmp_path / "private.svg"
    target.write_bytes(b"old")
    target.chmod(0o600)
    render(Value(1.0), target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_bytes().startswith(b"<?xml")
    target.chmod(0o640)
    render(Value(2.0), target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_symlink_is_written_through_to_its_target(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "drawing.svg"
    real.write_bytes(b"old")
    real.chmod(0o600)
    link = tmp_path / "link.svg"
    link.symlink_to(real)
    render(Value(1.0), link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes().startswith(b"<?xml") and stat.S_IMODE(real.stat().st_mode) == 0o600
    # No temporary file is left next to the link or the target.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.svg", "real"]
    assert [p.name for p in (tmp_path / "real").iterdir()] == ["drawing.svg"]


def test_a_dangling_symlink_gets_its_target_created(tmp_path: Path) -> None:
    link = tmp_path / "link.svg"
    link.symlink_to(tmp_path / "new.svg")
    render(Value(1.0), link)
    assert link.is_symlink() and (tmp_path / "new.svg").read_bytes().startswith(b"<?xml")


def test_other_hard_links_keep_the_old_contents(tmp_path: Path) -> None:
    # Documented behaviour: the write is a new file moved into place (that is what
    # makes it atomic), so another name of the old file still shows the old drawing.
    target = tmp_path / "drawing.svg"
    target.write_bytes(b"old")
    other = tmp_path / "other-name.svg"
    os.link(target, other)
    render(Value(1.0), target)
    assert other.read_bytes() == b"old" and target.read_bytes().startswith(b"<?xml")
    assert target.stat().st_nlink == 1


# --- issue 25: raster size, symlinks to other kinds of file, the timeout bound ---------------------


def _sum_of_products(terms: int) -> Value:
    x = Value(1.0, label="x")
    total = Value(0.0, label="z")
    for i in range(terms):
        total = total + x * Value(float(i), label=f"c{i}")
    total.backward()
    return total


def test_a_png_too_large_for_image_viewers_is_refused_before_it_is_drawn(tmp_path: Path, engine: str) -> None:
    # 45 terms at 2400 dpi were a 32767x14604 px, 1.9 GB PNG; viewers refuse such "decompression bombs".
    target = tmp_path / "big.png"
    with pytest.raises(ValueError, match=r"this PNG would be \d+×\d+ pixels at 2400 dpi, more than the "
                                         r"89,478,485 .*draw it as SVG.*lower the dpi \(--dpi\) to \d+ or less"):
        render(_sum_of_products(45), target, engine=engine, dpi=2400)
    assert not target.exists()


def test_the_dpi_the_refusal_suggests_gives_a_png_within_the_limit(tmp_path: Path) -> None:
    root = _sum_of_products(45)
    with pytest.raises(ValueError, match=r"to (\d+) or less") as refused:
        render(root, tmp_path / "big.png", engine="dot", dpi=2400)
    suggested = int(re.search(r"to (\d+) or less", str(refused.value))[1])  # type: ignore[index]
    png = render(root, tmp_path / "fits.png", engine="dot", dpi=suggested).read_bytes()
    width, height = struct.unpack(">II", png[16:24])
    assert width * height <= render_module.MAX_PIXELS
    # Well above the suggestion the picture is refused again: the suggestion is near the limit, not far below.
    with pytest.raises(ValueError, match=r"this PNG would be (\d+)×(\d+)"):
        render(root, tmp_path / "again.png", engine="dot", dpi=suggested + 40)


def test_a_wide_fan_in_at_the_default_dpi_is_refused_with_the_svg_hint(tmp_path: Path) -> None:
    # issue 24: a 200-term fan-in wrote a 32766x10535 px PNG that image viewers refuse.
    with pytest.raises(ValueError, match=r"at 144 dpi, more than the 89,478,485 .*draw it as SVG"):
        render(_sum_of_products(80), tmp_path / "fan.png", engine="dot")
    assert render(_sum_of_products(80), tmp_path / "fan.svg", engine="dot").read_bytes().startswith(b"<?xml")


def test_the_estimated_size_is_the_size_graphviz_draws(tmp_path: Path, engine: str) -> None:
    root = _sum_of_products(3)
    svg = render_module.draw(root, "svg", engine=engine)
    png = render(root, tmp_path / "small.png", engine=engine, dpi=300).read_bytes()
    width, height = struct.unpack(">II", png[16:24])
    size = re.search(rb'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    assert size is not None
    # Graphviz rounds each side to whole pixels (and may add one for the border).
    assert abs(float(size[1]) / 72 * 300 - width) <= 2 and abs(float(size[2]) / 72 * 300 - height) <= 2


def test_a_symlink_to_a_file_of_another_kind_is_refused_and_left_alone(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes", encoding="utf-8")
    link = tmp_path / "link.svg"
    link.symlink_to(notes)
    with pytest.raises(ValueError, match=r"is a symbolic link to .*notes\.txt.*refusing to write over it"):
        render(Value(1.0), link)
    assert notes.read_text(encoding="utf-8") == "my notes" and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.svg", "notes.txt"]


@pytest.mark.parametrize("timeout", [1e9, 1e20, 1e308, 86_400.5])
def test_a_timeout_beyond_a_day_is_refused_by_the_option_check(timeout: float) -> None:
    with pytest.raises(ValueError, match=r"render\(timeout=\.\.\.\) must be a positive number of seconds up to "
                                         r"86,400 \(a day\)"):
        render(Value(1.0), "never.svg", timeout=timeout)
    assert not Path("never.svg").exists()
