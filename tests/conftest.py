"""Shared test settings and helpers: hypothesis profiles, both Graphviz engines, SVG reading,
the browser of the page tests, and the gradient-error figure printed at the end of a run."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from tinygrad_ko.numerical import GradcheckResult

# "ci" (the default) is derandomized, so every run tries the same examples and a
# failure reproduces; 300 examples per property test unless a test sets its own.
# HYPOTHESIS_PROFILE=dev explores new examples each run; HYPOTHESIS_PROFILE=thorough
# explores 5,000 per property test, for hunting.
settings.register_profile("ci", max_examples=300, derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.register_profile("thorough", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

#: The two real engines every rendering test runs with: the system Graphviz
#: (CI installs Debian's) and the embedded graphviz-pure (a pip dependency).
ENGINES = ("dot", "graphviz-pure")

SVG = "{http://www.w3.org/2000/svg}"

#: The page tests' browser: Debian's Chromium (playwright's own download is never used).
CHROMIUM = os.environ.get("TINYGRAD_KO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for one test module (the step, quiz and training pages run in it)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"the browser test needs Chromium at {CHROMIUM} (Debian: apt install chromium)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """Each real Graphviz engine in turn."""
    name: str = request.param
    return name


def svg_nodes(svg: bytes) -> list[list[str]]:
    """The text lines of each node of a Graphviz SVG, parsed as XML, in document order."""
    root = ET.fromstring(svg)
    return [
        [text.text or "" for text in group.iter(f"{SVG}text")]
        for group in root.iter(f"{SVG}g")
        if group.get("class") == "node"
    ]


@pytest.fixture
def read_svg_nodes() -> Callable[[bytes], list[list[str]]]:
    """:func:`svg_nodes`, for test modules (conftest is not importable under importlib mode)."""
    return svg_nodes


class GradientErrors:
    """The largest analytical-vs-numerical errors over every gradcheck a test recorded."""

    def __init__(self) -> None:
        self.checks = 0
        self.multi_op = 0
        self.largest = 0
        self.gradients = 0
        self.max_abs = 0.0
        self.max_rel = 0.0
        self.max_share = 0.0

    def record(self, result: GradcheckResult, size: int) -> None:
        """Add one gradient check of an expression with ``size`` ops."""
        self.checks += 1
        self.multi_op += size > 1
        self.largest = max(self.largest, size)
        for entry in result.entries:
            self.gradients += 1
            self.max_abs = max(self.max_abs, entry.error)
            self.max_share = max(self.max_share, entry.error / entry.allowed)
            # Relative error means something only where the tolerance is relative,
            # i.e. where rtol·|numerical| outweighs atol.
            if result.rtol * abs(entry.numerical) > result.atol:
                self.max_rel = max(self.max_rel, entry.error / abs(entry.numerical))

    def summary(self) -> str:
        return (
            f"gradient check over {self.checks} random expressions ({self.multi_op} with 2 to {self.largest} ops, "
            f"{self.gradients} gradients): "
            f"largest |analytical - numerical| {self.max_abs:.3g}, largest relative error {self.max_rel:.3g} "
            f"(where |numerical| > atol/rtol), largest share of the allowed error {self.max_share:.3g}"
        )


_ERRORS = pytest.StashKey[GradientErrors]()


@pytest.fixture(scope="session")
def gradient_errors(request: pytest.FixtureRequest) -> GradientErrors:
    """A session-wide recorder; its summary is printed at the end of the run."""
    recorder = GradientErrors()
    request.config.stash[_ERRORS] = recorder
    return recorder


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    recorder = config.stash.get(_ERRORS, None)
    if recorder is not None and recorder.checks:
        terminalreporter.write_line(recorder.summary())
