"""Regenerate the images in docs/images from code.

    python docs/make_images.py            # every image
    python docs/make_images.py --checked  # only the byte-checked ones
    python docs/make_images.py --training # only the training plots (matplotlib)

Two kinds of image:

- **Checked** (``*.svg``): drawn by the embedded engine ``graphviz-pure``, which
  gives the same bytes on every machine, so tests/test_docs_images.py regenerates
  them and compares bytes with the committed files.  Text beyond ASCII (Hangul,
  σ, ∂, ①) is measured in NanumGothic and a subset of that font is embedded in
  the SVG (tinygrad_ko.textfit); the test compares everything but the embedded
  font's bytes, which depend on the fontTools version that cut it.
- **By eye** (``*.ko.png`` and the step-through screenshots): drawn by the system
  Graphviz with a CJK font, and screenshots come from Chromium; their bytes depend
  on the installed Graphviz, fonts and browser versions, so they are checked by
  looking at them.
  The training plots (``train-*.png``) are the ``tinygrad-ko train`` command's
  pictures, drawn by matplotlib with the NanumGothic font a pip package ships.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tinygrad_ko import Value, grad, to_dot, write_steps
from tinygrad_ko.examples import apple_orange
from tinygrad_ko.render import run_engine

IMAGES = Path(__file__).resolve().parent / "images"
EMBEDDED = "graphviz-pure"

Drawing = Callable[[], tuple[Value, dict[str, Any]]]


def _apple(lang: str, backward: bool) -> tuple[Value, dict[str, Any]]:
    price = apple_orange(lang).price
    if backward:
        price.backward()
    return price, {"show_grad": backward, "show_local": backward, "lang": lang}


def _apple_book(lang: str) -> tuple[Value, dict[str, Any]]:
    # The chapter's figure of the apple example: values over the arrows, gradients in red under them.
    price = apple_orange(lang).price
    price.backward()
    return price, {"style": "book", "lang": lang}


def _add_node() -> tuple[Value, dict[str, Any]]:
    # The book's figure: 10 + 5 = 15, and an upstream gradient of 1.3 flows back.
    x, y = Value(10, label="x"), Value(5, label="y")
    z = x + y
    z.label = "z"
    z.backward(1.3)
    return z, {"show_local": True}


def _mul_node() -> tuple[Value, dict[str, Any]]:
    x, y = Value(10, label="x"), Value(5, label="y")
    z = x * y
    z.label = "z"
    z.backward(1.3)
    return z, {"show_local": True}


def _chain_rule() -> tuple[Value, dict[str, Any]]:
    # z = t ** 2 with t = x + y: the book's first chain-rule example.
    x, y = Value(1, label="x"), Value(2, label="y")
    t = x + y
    t.label = "t"
    z = t**2
    z.label = "z"
    z.backward()
    return z, {"show_local": True}


def _relu() -> tuple[Value, dict[str, Any]]:
    a, b = Value(3, label="a"), Value(-2, label="b")
    y = a.relu() + b.relu()
    y.label = "y"
    y.backward()
    return y, {"show_local": True}


def _sigmoid_steps() -> tuple[Value, dict[str, Any]]:
    # The sigmoid built from the book's four nodes: ×(-1), exp, +1, and 1/x.
    x = Value(1.0, label="x")
    y = 1 / (1 + (-x).exp())
    y.label = "y"
    y.backward()
    return y, {"show_local": True}


def _sigmoid_node() -> tuple[Value, dict[str, Any]]:
    x = Value(1.0, label="x")
    y = x.sigmoid()
    y.label = "y"
    y.backward()
    return y, {"show_local": True}


def _tanh_second_derivative() -> tuple[Value, dict[str, Any]]:
    # What `tinygrad-ko graph "tanh(x)" x=1 --order 2` draws: the graph of tanh'' at x = 1,
    # backpropagated, so x's grad is the third derivative.
    x = Value(1.0, label="x")
    d2 = grad(grad(x.tanh(), x, create_graph=True), x, create_graph=True)
    d2.label = "d²/dx²"
    d2.backward()
    return d2, {}


#: Byte-checked images: name -> drawing (root and to_dot options), drawn by graphviz-pure.
CHECKED: dict[str, Drawing] = {
    "apple-forward.en.svg": lambda: _apple("en", backward=False),
    "apple-backward.en.svg": lambda: _apple("en", backward=True),
    "add-node.svg": _add_node,
    "mul-node.svg": _mul_node,
    "chain-rule.svg": _chain_rule,
    "relu.svg": _relu,
    "sigmoid-steps.svg": _sigmoid_steps,
    "sigmoid-node.svg": _sigmoid_node,
    "apple-book.en.svg": lambda: _apple_book("en"),
    "apple-book.ko.svg": lambda: _apple_book("ko"),
    "tanh-second-derivative.svg": _tanh_second_derivative,
}

#: Korean drawings, made with the system Graphviz and a CJK font and checked by eye.
BY_EYE: dict[str, Drawing] = {
    "apple-forward.ko.png": lambda: _apple("ko", backward=False),
    "apple-backward.ko.png": lambda: _apple("ko", backward=True),
}

#: Screenshots of the step-through page: (language, step shown, 0-based).
SCREENSHOTS = {"steps.ko.png": ("ko", 12), "steps.en.png": ("en", 12)}


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


def _screenshot(lang: str, step: int, path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as work:
        page_file = write_steps(apple_orange(lang).price, Path(work) / "steps.html", lang=lang, engine=_system_dot())
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--no-first-run"])
            page = browser.new_page(viewport={"width": 900, "height": 640})
            page.goto(page_file.as_uri())
            for _ in range(step):
                page.keyboard.press("ArrowRight")
            page.screenshot(path=str(path))
            browser.close()


def _kink_graph(lang: str) -> Value:
    """A ReLU neuron plus a skip: relu(x·w + b) + x, drawn on the page where the learner edits b."""
    names = {"ko": ("입력 x", "가중치 w", "편향 b"), "en": ("x", "w", "b")}[lang]
    x, w, b = Value(2.0, label=names[0]), Value(-1.0, label=names[1]), Value(3.0, label=names[2])
    z = (x * w + b).relu() + x
    z.label = "z"
    return z


#: Screenshots of the step page after a learner edits an input: (language, input row, text typed).
#: b = 2 puts relu's input exactly at its kink (2·(-1) + 2 = 0), where backprop and the
#: numerical slope disagree.
LIVE_SCREENSHOTS = {"nudge.ko.png": ("ko", 2, "2"), "nudge.en.png": ("en", 2, "2")}


def _live_screenshot(lang: str, row: int, text: str, path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as work:
        page_file = write_steps(_kink_graph(lang), Path(work) / "nudge.html", lang=lang, engine=_system_dot())
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--no-first-run"])
            page = browser.new_page(viewport={"width": 900, "height": 760})
            page.goto(page_file.as_uri())
            page.keyboard.press("End")  # the last backward step: every gradient drawn
            page.locator("#leaves input[type=text]").nth(row).fill(text)
            page.screenshot(path=str(path), full_page=True)
            browser.close()


#: The train command's pictures: name -> (data set, language); the same runs as the command's defaults.
TRAINING = {
    "train-moons.en.png": ("moons", "en"),
    "train-moons.ko.png": ("moons", "ko"),
    "train-spiral.en.png": ("spiral", "en"),
    "train-digits.en.png": ("digits", "en"),
    "train-digits.ko.png": ("digits", "ko"),
}


def write_training(out: Path) -> list[Path]:
    """Train each data set once (default recipe, seed 0) and write its plot in each language asked for."""
    from tinygrad_ko.plots import plot_run
    from tinygrad_ko.training import train

    runs = {name: train(name) for name in dict.fromkeys(dataset for dataset, _ in TRAINING.values())}
    return [plot_run(runs[dataset], out / name, lang=lang) for name, (dataset, lang) in TRAINING.items()]


#: Screenshots of the training page (moons, the command's default run): language -> file.
#: Taken at step 20, with a point clicked, while the boundary is still bending.
TRAINING_PAGES = {"train-page.en.png": "en", "train-page.ko.png": "ko"}


def write_training_pages(out: Path) -> list[Path]:
    """Record the moons run once and screenshot its training page in each language."""
    from playwright.sync_api import sync_playwright

    from tinygrad_ko.trainpage import record, write_training_page

    recording = record("moons")
    written = []
    with tempfile.TemporaryDirectory() as work, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
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
        browser.close()
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

    from tinygrad_ko.plots import _font_family

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
    dot = _system_dot()
    for name, drawing in BY_EYE.items():
        root, options = drawing()
        (out / name).write_bytes(run_engine(to_dot(root, **options).source, "png", engine=dot))
        written.append(out / name)
    for name, (lang, step) in SCREENSHOTS.items():
        _screenshot(lang, step, out / name)
        written.append(out / name)
    for name, (lang, row, text) in LIVE_SCREENSHOTS.items():
        _live_screenshot(lang, row, text, out / name)
        written.append(out / name)
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
    args = parser.parse_args()
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
