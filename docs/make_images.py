"""Regenerate the images in docs/images from code.

    python docs/make_images.py            # every image
    python docs/make_images.py --checked  # only the byte-checked ones
    python docs/make_images.py --training # only the training plots (matplotlib)

Two kinds of image:

- **Checked** (``*.svg``): the drawings the pages' own code makes (each one a
  ``render()`` call or a command in a page, see ``PAGE_DRAWINGS``), drawn by the
  embedded engine ``graphviz-pure``, which gives the same bytes on every machine,
  so tests/test_docs_images.py regenerates them and compares bytes with the
  committed files, and tests/test_docs.py compares them with the files the pages write.  Text beyond ASCII (Hangul,
  σ, ∂, ①) is measured in NanumGothic and a subset of that font is embedded in
  the SVG (tinygrad_ko.draw.textfit); the test compares everything but the embedded
  font's bytes, which depend on the fontTools version that cut it.
- **By eye** (the step-through screenshots): drawn by the system Graphviz with a
  CJK font in Chromium; their bytes depend on the installed Graphviz, fonts and
  browser versions, so they are checked by looking at them.
  The training plots (``train-*.png``) are the ``tinygrad-ko train`` command's
  pictures, drawn by matplotlib with the NanumGothic font a pip package ships.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tinygrad_ko import Value, grad, to_dot, write_steps
from tinygrad_ko.draw.render import run_engine
from tinygrad_ko.examples import apple_orange

DOCS = Path(__file__).resolve().parent
IMAGES = DOCS / "images"
EMBEDDED = "graphviz-pure"

Drawing = Callable[[], tuple[Value, dict[str, Any]]]


# The pages' own code draws their pictures: each drawing below is the root and the options of a
# `render(ROOT, "FILE", ...)` call in a page, found in the page's text and run with the page's
# blocks before it.  tests/test_docs.py also holds the file each page writes against docs/images.
FENCE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", flags=re.M | re.S)


def _render_call(code: str, file: str) -> ast.Call | None:
    """The ``render(ROOT, file, ...)`` or ``write_steps(ROOT, file, ...)`` call in ``code``, if any."""
    for node in ast.walk(ast.parse(code)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("render", "write_steps")
                and len(node.args) == 2 and isinstance(node.args[1], ast.Constant) and node.args[1].value == file):
            return node
    return None


def page_drawing(page: str, file: str) -> tuple[Value, dict[str, Any]]:
    """The root and options of the page's ``render(ROOT, file, ...)`` or ``write_steps(ROOT, file, ...)``.

    The root is what the page's code up to that call made.

    ``page`` is a path under docs/ (``"ko/02-chain-rule.md"``).  The page's Python blocks run in
    order, as tests/test_docs.py runs them, in a scratch directory where ``docs`` is this folder.
    """
    blocks = [m.group(2) for m in FENCE.finditer((DOCS / page).read_text(encoding="utf-8"))
              if m.group(1) == "python"]
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as work, contextlib.redirect_stdout(io.StringIO()):
        (Path(work) / "docs").symlink_to(DOCS, target_is_directory=True)
        os.chdir(work)
        try:
            for code in blocks:
                call = _render_call(code, file)
                if call is None:
                    exec(compile(code, page, "exec"), namespace)
                    continue
                # Run the block up to the statement holding the call; the call itself is the drawing.
                lines = code.splitlines()
                exec(compile("\n".join(lines[:call.lineno - 1]), page, "exec"), namespace)
                root = eval(compile(ast.Expression(call.args[0]), page, "eval"), namespace)
                options = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg is not None}
                return root, options
        finally:
            os.chdir(here)
    raise LookupError(f"docs/{page} has no render(..., {file!r}, ...) call")


def _tanh_second_derivative(lang: str) -> tuple[Value, dict[str, Any]]:
    # Page 08 draws this with the command, `tinygrad-ko graph "tanh(x)" x=1 --order 2`: the graph of
    # tanh'' at x = 1, backpropagated, so x's grad is the third derivative (the test compares the files).
    x = Value(1.0, label="x")
    d2 = grad(grad(x.tanh(), x, create_graph=True), x, create_graph=True)
    d2.label = "d²/dx²"
    d2.backward()
    return d2, {"lang": lang}


#: The drawings the pages show: image -> (page under docs/, the file that page's code writes).
PAGE_DRAWINGS: dict[str, tuple[str, str]] = {
    "apple-forward.ko.svg": ("ko/01-computational-graph.md", "사과.svg"),
    "apple-forward.en.svg": ("en/01-computational-graph.md", "apple.svg"),
    "chain-rule.ko.svg": ("ko/02-chain-rule.md", "연쇄법칙.svg"),
    "chain-rule.en.svg": ("en/02-chain-rule.md", "chain-rule.svg"),
    "add-node.ko.svg": ("ko/03-add-mul-nodes.md", "덧셈_노드.svg"),
    "add-node.en.svg": ("en/03-add-mul-nodes.md", "add-node.svg"),
    "mul-node.ko.svg": ("ko/03-add-mul-nodes.md", "곱셈_노드.svg"),
    "mul-node.en.svg": ("en/03-add-mul-nodes.md", "mul-node.svg"),
    "apple-backward.ko.svg": ("ko/03-add-mul-nodes.md", "사과_역전파.svg"),
    "apple-backward.en.svg": ("en/03-add-mul-nodes.md", "apple-backward.svg"),
    "apple-book.ko.svg": ("ko/03-add-mul-nodes.md", "사과_책.svg"),
    "apple-book.en.svg": ("en/03-add-mul-nodes.md", "apple-book.svg"),
    "relu.ko.svg": ("ko/05-activation-layers.md", "ReLU.svg"),
    "relu.en.svg": ("en/05-activation-layers.md", "relu.svg"),
    "sigmoid-steps.ko.svg": ("ko/05-activation-layers.md", "시그모이드_네_노드.svg"),
    "sigmoid-steps.en.svg": ("en/05-activation-layers.md", "sigmoid-four-nodes.svg"),
    "sigmoid-node.ko.svg": ("ko/05-activation-layers.md", "시그모이드_한_노드.svg"),
    "sigmoid-node.en.svg": ("en/05-activation-layers.md", "sigmoid-one-node.svg"),
}

#: Drawings a page makes with the command (a ```console block), not with render().
COMMAND_DRAWINGS: dict[str, tuple[str, str]] = {
    "tanh-second-derivative.ko.svg": ("ko/08-higher-order.md", "tanh2.svg"),
    "tanh-second-derivative.en.svg": ("en/08-higher-order.md", "tanh2.svg"),
}

#: Byte-checked images: name -> drawing (root and to_dot options), drawn by graphviz-pure.
CHECKED: dict[str, Drawing] = {
    **{name: (lambda page=page, file=file: page_drawing(page, file)) for name, (page, file) in PAGE_DRAWINGS.items()},
    "tanh-second-derivative.ko.svg": lambda: _tanh_second_derivative("ko"),
    "tanh-second-derivative.en.svg": lambda: _tanh_second_derivative("en"),
}

#: Screenshots of the step-through page: (language, step shown, 0-based).
SCREENSHOTS = {"steps.ko.png": ("ko", 12), "steps.en.png": ("en", 12)}


def comparable(svg: bytes) -> bytes:
    """An SVG without its embedded font subset, whose bytes depend on the fontTools (and zlib)
    version that cut it, not on the drawing; which glyphs it holds follows from the text."""
    return EMBEDDED_FONT.sub(b"FONT", svg)


EMBEDDED_FONT = re.compile(rb"data:font/woff;base64,[A-Za-z0-9+/=]+")


def checked_images() -> dict[str, bytes]:
    """The bytes of every byte-checked image, drawn now by graphviz-pure."""
    images = {}
    for name, drawing in CHECKED.items():
        root, options = drawing()
        images[name] = run_engine(to_dot(root, **options).source, "svg", engine=EMBEDDED)
    return images


def _system_dot() -> str:
    dot = shutil.which("dot")
    fonts = subprocess.run(["fc-list", ":lang=ko"], capture_output=True, text=True, check=False).stdout
    if dot is None or not fonts.strip():
        sys.exit("make_images: the Korean images need the system Graphviz and a CJK font "
                 "(Debian: apt install graphviz fonts-noto-cjk)")
    return dot


@contextlib.contextmanager
def _chromium() -> Iterator[Any]:
    """Debian's headless Chromium through playwright (its own browser download is never used)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            yield browser
        finally:
            browser.close()


def _screenshot(lang: str, step: int, path: Path) -> None:
    with tempfile.TemporaryDirectory() as work:
        page_file = write_steps(apple_orange(lang).price, Path(work) / "steps.html", lang=lang, engine=_system_dot())
        with _chromium() as browser:
            page = browser.new_page(viewport={"width": 900, "height": 640})
            page.goto(page_file.as_uri())
            for _ in range(step):
                page.keyboard.press("ArrowRight")
            page.screenshot(path=str(path))


#: Screenshots of the step page after a learner edits an input: the page and the file its
#: write_steps() call writes, the input row and the text typed.  The graph is the page's
#: relu(x·w + b) + x; b = 2 puts relu's input exactly at its kink (2·(-1) + 2 = 0), where
#: backprop and the numerical slope disagree.
LIVE_SCREENSHOTS = {"nudge.ko.png": ("ko/02-chain-rule.md", "꺾이는_점.html", 2, "2"),
                    "nudge.en.png": ("en/02-chain-rule.md", "kink.html", 2, "2")}


def _live_screenshot(page_name: str, file: str, row: int, text: str, path: Path) -> None:
    root, options = page_drawing(page_name, file)
    with tempfile.TemporaryDirectory() as work:
        page_file = write_steps(root, Path(work) / "nudge.html", lang=options.get("lang", "en"), engine=_system_dot())
        with _chromium() as browser:
            page = browser.new_page(viewport={"width": 900, "height": 760})
            page.goto(page_file.as_uri())
            page.keyboard.press("End")  # the last backward step: every gradient drawn
            page.locator("#leaves input[type=text]").nth(row).fill(text)
            page.screenshot(path=str(path), full_page=True)


#: Screenshots of the step page's quiz mode (apple/orange): file -> (language, what is typed).
#: The right answers up to the apple, then the apple count's gradient (a swapped answer, 1.1 x 100),
#: diagnosed; the -done picture answers every question.
QUIZ_SCREENSHOTS = {"quiz.en.png": ("en", "110"), "quiz.ko.png": ("ko", "110"),
                    "quiz-done.en.png": ("en", None), "quiz-done.ko.png": ("ko", None)}


def write_quiz_screenshots(out: Path) -> list[Path]:
    """Screenshot the quiz page in each language: a wrong answer diagnosed, and the end."""
    from tinygrad_ko.examples import apple_orange as example
    from tinygrad_ko.explain import explain
    from tinygrad_ko.pages.quiz import questions
    from tinygrad_ko.text import format_number

    written = []
    with tempfile.TemporaryDirectory() as work, _chromium() as browser:
        for name, (lang, wrong) in QUIZ_SCREENSHOTS.items():
            root = example(lang).price
            page_file = write_steps(root, Path(work) / f"{lang}.html", lang=lang, engine=_system_dot(), quiz=True)
            page = browser.new_page(viewport={"width": 900, "height": 900})
            page.goto(page_file.as_uri())
            page.keyboard.press("End")  # as far as the quiz lets one step: the first question
            apple = example(lang).apple.label
            for q in questions(explain(root, lang)):
                if wrong is not None and q["name"] == apple:
                    break
                page.fill("#quiz-answer", format_number(q["right"]["value"]))
                page.press("#quiz-answer", "Enter")
            if wrong is not None:
                page.fill("#quiz-answer", wrong)
                page.press("#quiz-answer", "Enter")
            page.screenshot(path=str(out / name), full_page=True)
            written.append(out / name)
            page.close()
    return written


#: The train command's pictures: name -> (data set, language); the same runs as the command's defaults.
TRAINING = {
    "train-moons.en.png": ("moons", "en"),
    "train-moons.ko.png": ("moons", "ko"),
    "train-spiral.en.png": ("spiral", "en"),
    "train-spiral.ko.png": ("spiral", "ko"),
    "train-digits.en.png": ("digits", "en"),
    "train-digits.ko.png": ("digits", "ko"),
}


def write_training(out: Path) -> list[Path]:
    """Train each data set once (default recipe, seed 0) and write its plot in each language asked for."""
    from tinygrad_ko.train.plots import plot_run
    from tinygrad_ko.train.recipes import train

    runs = {name: train(name) for name in dict.fromkeys(dataset for dataset, _ in TRAINING.values())}
    return [plot_run(runs[dataset], out / name, lang=lang) for name, (dataset, lang) in TRAINING.items()]


#: Screenshots of the training page (moons, the command's default run): language -> file.
#: Taken at step 20, with a point clicked, while the boundary is still bending.
TRAINING_PAGES = {"train-page.en.png": "en", "train-page.ko.png": "ko"}


def write_training_pages(out: Path) -> list[Path]:
    """Record the moons run once and screenshot its training page in each language."""
    from tinygrad_ko.pages.training import record, write_training_page

    recording = record("moons")
    written = []
    with tempfile.TemporaryDirectory() as work, _chromium() as browser:
        for name, lang in TRAINING_PAGES.items():
            page_file = write_training_page(recording, Path(work) / f"{lang}.html", lang=lang, engine=_system_dot())
            page = browser.new_page(viewport={"width": 1000, "height": 900})
            page.goto(page_file.as_uri())
            page.locator("#position").fill("19")
            box = page.locator("#boundary").bounding_box()
            assert box is not None
            page.mouse.click(box["x"] + 0.42 * box["width"], box["y"] + 0.5 * box["height"])
            page.screenshot(path=str(out / name), full_page=True)
            written.append(out / name)
    return written


#: Page 13's side-by-side loss curves: file -> (language, the three panels' titles, axis labels).
NEXT_STEPS = {
    "next-steps-loss.en.png": ("en", ("tinygrad_ko (scalar engine)", "JAX (to_jax + jax.jit)",
                                      "PyTorch (MLP.to_torch)"), ("step", "loss")),
    "next-steps-loss.ko.png": ("ko", ("tinygrad_ko (스칼라 엔진)", "JAX (to_jax + jax.jit)", "PyTorch (MLP.to_torch)"),
                               ("단계", "손실")),
}


def write_next_steps(out: Path) -> list[Path]:
    """Run page 13's own examples (English page) and plot the three loss curves they record, side by side.

    The curves are the page's variables ``here``, ``in_jax`` and ``in_torch``, so the picture
    is of exactly the code the page shows (PyTorch must be importable to make it).
    """
    import contextlib
    import io
    import os
    import re

    from matplotlib import rc_context
    from matplotlib.figure import Figure

    from tinygrad_ko.train.plots import _font_family

    page = (Path(__file__).resolve().parent / "en" / "13-next-steps.md").read_text(encoding="utf-8")
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    with tempfile.TemporaryDirectory() as work, contextlib.redirect_stdout(io.StringIO()):
        here = os.getcwd()
        os.chdir(work)
        try:
            for block in re.findall(r"^```python\n(.*?)^```", page, flags=re.M | re.S):
                exec(compile(block, "13-next-steps.md", "exec"), namespace)
        finally:
            os.chdir(here)
    curves = [namespace["here"], namespace["in_jax"], namespace["in_torch"]]
    written = []
    for name, (_lang, titles, (xlabel, ylabel)) in NEXT_STEPS.items():
        with rc_context({"font.family": _font_family(), "font.size": 10}):
            figure = Figure(figsize=(10, 3.2), layout="constrained")
            axes = figure.subplots(1, 3, sharey=True)
            for ax, title, curve, color in zip(axes, titles, curves, ("C0", "C1", "C2"), strict=True):
                ax.plot(range(1, len(curve) + 1), curve, color=color)
                ax.set_title(title)
                ax.set_xlabel(xlabel)
                ax.grid(alpha=0.3)
            axes[0].set_ylabel(ylabel)
            figure.savefig(out / name, dpi=110)
        written.append(out / name)
    return written


def write(out: Path, checked_only: bool) -> list[Path]:
    """Write the images into ``out``; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in checked_images().items():
        (out / name).write_bytes(data)
        written.append(out / name)
    if checked_only:
        return written
    for name, (lang, step) in SCREENSHOTS.items():
        _screenshot(lang, step, out / name)
        written.append(out / name)
    for name, (page_name, file, row, text) in LIVE_SCREENSHOTS.items():
        _live_screenshot(page_name, file, row, text, out / name)
        written.append(out / name)
    written += write_quiz_screenshots(out)
    written += write_training(out)
    written += write_training_pages(out)
    written += write_next_steps(out)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=IMAGES, help="where to write (default: docs/images)")
    parser.add_argument("--checked", action="store_true", help="only the byte-checked images")
    parser.add_argument("--training", action="store_true", help="only the training plots")
    parser.add_argument("--next-steps", action="store_true", help="only page 13's loss curves (needs torch)")
    parser.add_argument("--quiz", action="store_true", help="only the quiz page's screenshots")
    args = parser.parse_args()
    if args.quiz:
        args.out.mkdir(parents=True, exist_ok=True)
        for path in write_quiz_screenshots(args.out):
            print(path)
        return
    if args.next_steps:
        args.out.mkdir(parents=True, exist_ok=True)
        for path in write_next_steps(args.out):
            print(path)
        return
    if args.training:
        args.out.mkdir(parents=True, exist_ok=True)
    for path in write_training(args.out) if args.training else write(args.out, args.checked):
        print(path)


if __name__ == "__main__":
    main()
