"""Shared test settings and helpers: hypothesis profiles, both Graphviz engines, SVG reading."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from hypothesis import settings

# "ci" (the default) is derandomized, so every run tries the same examples and a
# failure reproduces; HYPOTHESIS_PROFILE=dev explores new examples each run.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

#: The two real engines every rendering test runs with: the system Graphviz
#: (CI installs Debian's) and the embedded graphviz-pure (a pip dependency).
ENGINES = ("dot", "graphviz-pure")

SVG = "{http://www.w3.org/2000/svg}"


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
