"""The byte-checked images in docs/images are what docs/make_images.py draws today."""

from __future__ import annotations

import importlib.util
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

DOCS = Path(__file__).resolve().parent.parent / "docs"


def make_images() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_images", DOCS / "make_images.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_images_are_current() -> None:
    # graphviz-pure draws the same bytes on every machine, so any difference means
    # the drawing code (or the engine's version) changed and the docs show old pictures.
    module = make_images()
    for name, data in module.checked_images().items():
        committed = DOCS / "images" / name
        assert committed.exists(), f"docs/images/{name} is missing: run python docs/make_images.py"
        assert module.comparable(committed.read_bytes()) == module.comparable(data), (
            f"docs/images/{name} is out of date: run python docs/make_images.py")


def test_every_image_in_docs_images_is_made_by_the_script() -> None:
    module = make_images()
    made = {*module.CHECKED, *module.SCREENSHOTS, *module.LIVE_SCREENSHOTS, *module.TRAINING,
            *module.TRAINING_PAGES, *module.NEXT_STEPS, *module.QUIZ_SCREENSHOTS}
    assert {p.name for p in (DOCS / "images").iterdir()} == made


HANGUL = re.compile("[\uac00-\ud7a3]")
IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(\.\./images/([^)\s]+)\)")


def linked_images(lang: str) -> dict[str, str]:
    """Each image under docs/images a page of ``lang`` shows -> the page (relative to docs/)."""
    return {name: f"{lang}/{page.name}" for page in sorted((DOCS / lang).glob("*.md"))
            for name in IMAGE_LINK.findall(page.read_text(encoding="utf-8"))}


def svg_text(path: Path) -> str:
    return " ".join(node.text or "" for node in ET.parse(path).iter() if node.tag.endswith("text"))


def test_every_page_shows_images_in_its_own_language() -> None:
    # Issue 24: Korean pages showed English-labelled drawings (chain-rule, sigmoid-steps, ...) and
    # page 09 in Korean lacked the spiral figure the English page has.
    shown = {lang: linked_images(lang) for lang in ("ko", "en")}
    for lang, other in (("ko", "en"), ("en", "ko")):
        for name, page in shown[lang].items():
            assert f".{lang}." in name, f"docs/{page} shows {name}, which is not the {lang} version"
            if name.endswith(".svg"):
                text = svg_text(DOCS / "images" / name)
                if lang == "ko":  # 값 / 기울기 (or the book style's Hangul names), never data / grad
                    assert HANGUL.search(text), f"{name} has no Korean text"
                    assert not {"data", "grad"} & set(text.split()), f"{name} says data/grad, not 값/기울기"
                else:
                    assert not HANGUL.search(text), f"{name} has Korean text"
        # The same figures in both languages.
        assert {name.replace(f".{lang}.", ".") for name in shown[lang]} == {
            name.replace(f".{other}.", ".") for name in shown[other]}


def test_every_drawing_a_page_shows_is_drawn_by_that_page_s_code() -> None:
    # Issue 24: page 01's code drew `data 100` while the picture beside it said `값 100`. Each drawing
    # is the file a render() call (or a tinygrad-ko command) in the page writes; test_docs.py runs
    # the page and holds that file against docs/images, make_images.py draws it from the same call.
    module = make_images()
    made_by_pages = {**module.PAGE_DRAWINGS, **module.COMMAND_DRAWINGS}
    for lang in ("ko", "en"):
        for name, page in linked_images(lang).items():
            if name.endswith(".svg"):
                assert made_by_pages.get(name, ("",))[0] == page, f"docs/{page} shows {name}, not made by its code"
    for name, (page, _file) in made_by_pages.items():
        assert linked_images(page.split("/")[0]).get(name) == page, f"{name} is not shown on docs/{page}"


def test_the_edited_step_page_screenshots_show_the_page_s_own_graph() -> None:
    # The screenshots (checked by eye) are of the page that page's own write_steps() call makes.
    module = make_images()
    for name, (page, file, _row, _text) in module.LIVE_SCREENSHOTS.items():
        assert linked_images(page.split("/")[0]).get(name) == page, f"{name} is not shown on docs/{page}"
        root, options = module.page_drawing(page, file)
        assert options.get("lang", "en") == page.split("/")[0] and root.label == "z"
