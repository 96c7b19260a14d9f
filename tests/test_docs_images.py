"""The byte-checked images in docs/images are what docs/make_images.py draws today."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

DOCS = Path(__file__).resolve().parent.parent / "docs"


def make_images() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_images", DOCS / "make_images.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The embedded font subset (a data URI): its bytes depend on the fontTools (and zlib) version
# that cut it, not on the drawing; which glyphs it holds follows from the text, compared in full.
EMBEDDED_FONT = re.compile(rb"data:font/woff;base64,[A-Za-z0-9+/=]+")


def test_committed_images_are_current() -> None:
    # graphviz-pure draws the same bytes on every machine, so any difference means
    # the drawing code (or the engine's version) changed and the docs show old pictures.
    for name, data in make_images().checked_images().items():
        committed = DOCS / "images" / name
        assert committed.exists(), f"docs/images/{name} is missing: run python docs/make_images.py"
        assert EMBEDDED_FONT.sub(b"FONT", committed.read_bytes()) == EMBEDDED_FONT.sub(b"FONT", data), (
            f"docs/images/{name} is out of date: run python docs/make_images.py")


def test_every_image_in_docs_images_is_made_by_the_script() -> None:
    module = make_images()
    made = {*module.CHECKED, *module.BY_EYE, *module.SCREENSHOTS, *module.LIVE_SCREENSHOTS, *module.TRAINING,
            *module.TRAINING_PAGES, *module.NEXT_STEPS}
    assert {p.name for p in (DOCS / "images").iterdir()} == made
