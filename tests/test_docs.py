"""Every example in README.md and docs/ runs, and prints exactly the output shown.

The convention (written up for authors in docs/README.md):

- A ```python block runs.  The blocks of one page run in order in one namespace,
  like a notebook, in a fresh working directory that holds only ``docs`` (the
  repository's docs folder), so files a page writes go nowhere else and a
  command written for the repository root (``python docs/examples/...``) works.
- Its output is shown either in a ```text block right after it (nothing but
  blank lines between), or as ``# -> OUTPUT`` comments, one per printed line,
  never both.  The block's whole stdout must equal what is shown; a block that
  shows nothing must print nothing.
- A ```console block runs each ``$ COMMAND`` line (``tinygrad-ko ...`` or
  ``python ...``, split like a shell would but never run by one); the lines up
  to the next ``$`` are its output (stdout, then stderr).
- In shown output, ``...`` inside a line matches any text (as doctest's ELLIPSIS),
  for what differs between machines, such as the Graphviz engine's path.
- Other blocks (```sh install commands, ```dot, ...) are not run.
- A ```python block whose first line is ``# needs torch`` runs only where PyTorch is
  importable (it is not in the test extra); later blocks must not depend on it.
- Every image a page links (``![...](path)``) exists.  A drawing a page shows is the file its own
  code (a ``render()`` call or a command before the picture) writes: docs/make_images.py lists
  which file, and the run holds that file against the picture.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import shlex
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", flags=re.M | re.S)
NEEDS_TORCH = "# needs torch"
SHOWN_INLINE = re.compile(r"#\s*->\s?(.*)$")
# The console script pip installed next to this Python (the venv need not be activated).
PROGRAMS = {"tinygrad-ko": str(Path(sysconfig.get_path("scripts")) / "tinygrad-ko"), "python": sys.executable}


@dataclass(frozen=True)
class Example:
    kind: str
    code: str
    shown: str | None  # the ```text block after it, if any
    line: int


def examples(page: Path) -> list[Example]:
    text = page.read_text(encoding="utf-8")
    blocks = list(FENCE.finditer(text))
    found = []
    for i, block in enumerate(blocks):
        kind = block.group(1)
        if kind not in ("python", "console"):
            continue
        after = blocks[i + 1] if i + 1 < len(blocks) else None
        shown = None
        if after is not None and after.group(1) == "text" and not text[block.end():after.start()].strip():
            shown = after.group(2)
        found.append(Example(kind, block.group(2), shown, text.count("\n", 0, block.start()) + 1))
    return found


def matches(output: str, shown: str) -> bool:
    """``output`` equals ``shown`` line by line, ignoring trailing spaces, with ``...`` as a wildcard."""
    got = [line.rstrip() for line in output.rstrip("\n").splitlines()]
    want = [line.rstrip() for line in shown.rstrip("\n").splitlines()]
    if len(got) != len(want):
        return False
    for have, expected in zip(got, want, strict=True):
        pattern = ".*".join(re.escape(part) for part in expected.split("..."))
        if not re.fullmatch(pattern, have):
            return False
    return True


def expected_output(example: Example) -> str:
    inline = [m.group(1).rstrip() for line in example.code.splitlines() if (m := SHOWN_INLINE.search(line))]
    assert not (inline and example.shown is not None), \
        f"line {example.line}: show the output as '# ->' comments or in a text block, not both"
    return example.shown if example.shown is not None else "\n".join(inline)


def run_python(example: Example, namespace: dict[str, object], page: Path) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(example.code, f"{page.name}:{example.line}", "exec"), namespace)
    return out.getvalue()


def run_console(example: Example) -> None:
    commands: list[tuple[str, list[str]]] = []
    for line in example.code.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        else:
            assert commands, f"line {example.line}: a console block starts with '$ COMMAND'"
            commands[-1][1].append(line)
    for command, shown in commands:
        program, *args = shlex.split(command)
        assert program in PROGRAMS, f"line {example.line}: docs may run only {', '.join(PROGRAMS)}, not {program}"
        done = subprocess.run([PROGRAMS[program], *args], capture_output=True, text=True, check=False, timeout=120)
        output = done.stdout + done.stderr
        assert matches(output, "\n".join(shown)), (
            f"line {example.line}: $ {command}\n--- shown ---\n" + "\n".join(shown) + f"\n--- printed ---\n{output}")


def make_images() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_images", ROOT / "docs" / "make_images.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def drawings_shown(page: Path) -> list[tuple[int, str, str]]:
    """(line of the image link, image, file the page's code writes) for each drawing the page shows."""
    module = make_images()
    made = {**module.PAGE_DRAWINGS, **module.COMMAND_DRAWINGS}
    where = str(page.relative_to(ROOT / "docs")) if page.is_relative_to(ROOT / "docs") else ""
    text = page.read_text(encoding="utf-8")
    return [(text.count("\n", 0, link.start()) + 1, link.group(1), made[link.group(1)][1])
            for link in re.finditer(r"!\[[^\]]*\]\(\.\./images/([^)\s]+)\)", text)
            if made.get(link.group(1), ("",))[0] == where]


def check_drawing(page: Path, image: str, file: Path, comparable: Callable[[bytes], bytes]) -> None:
    assert file.exists(), f"{page.name} shows {image}, but its code before the picture wrote no {file.name}"
    assert comparable(file.read_bytes()) == comparable((ROOT / "docs" / "images" / image).read_bytes()), (
        f"{page.name}: the picture {image} is not what the page's code draws ({file.name}): "
        "change the code or run python docs/make_images.py")


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_examples_print_what_the_page_shows(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "docs").symlink_to(ROOT / "docs", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    pending = drawings_shown(page)
    if pending:
        # The embedded engine draws the same bytes on every machine: the files the page writes are
        # then comparable with the committed pictures (Issue 24: the code must make the picture it shows).
        monkeypatch.setenv("TINYGRAD_KO_DOT", "graphviz-pure")
        comparable = make_images().comparable
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for example in [*examples(page), None]:
        while pending and (example is None or pending[0][0] < example.line):
            _, image, file = pending.pop(0)
            check_drawing(page, image, tmp_path / file, comparable)
        if example is None:
            break
        if example.kind == "console":
            run_console(example)
            continue
        if example.code.startswith(NEEDS_TORCH) and importlib.util.find_spec("torch") is None:
            continue  # the one optional library: the page says so where it uses it
        output = run_python(example, namespace, page)
        shown = expected_output(example)
        assert matches(output, shown), (
            f"{page.name} line {example.line}\n--- shown ---\n{shown}\n--- printed ---\n{output}")


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_linked_images_and_pages_exist(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links {target}, which does not exist"


def test_the_runner_notices_a_wrong_example(tmp_path: Path) -> None:
    page = tmp_path / "wrong.md"
    page.write_text("```python\nprint(1 + 1)  # -> 3\n```\n\n```python\nprint('a')\n```\n```text\na\n```\n",
                    encoding="utf-8")
    first, second = examples(page)
    namespace: dict[str, object] = {}
    assert not matches(run_python(first, namespace, page), expected_output(first))
    assert matches(run_python(second, namespace, page), expected_output(second))
    assert matches("engine: /usr/bin/dot", "engine: ...") and not matches("a\nb", "a")


def test_every_page_has_examples() -> None:
    for page in PAGES:
        if page.parent.name in ("ko", "en") and page.name != "README.md":
            assert examples(page), f"{page.relative_to(ROOT)} has no runnable example"


# --- navigation: every chapter links its true previous and next, as the index lists them -----

NAV_WORDS = {"ko": ("이전", "다음"), "en": ("Previous", "Next")}
CHAPTER = re.compile(r"\]\((\d\d-[\w-]+\.md)\)")


def chapter_order(lang: str) -> list[str]:
    """The chapters in the order the language's index (docs/LANG/README.md) lists them, each once."""
    index = (ROOT / "docs" / lang / "README.md").read_text(encoding="utf-8")
    return list(dict.fromkeys(CHAPTER.findall(index)))


def nav_links(page: Path, lang: str) -> dict[str, str | None]:
    """The page's "previous" and "next" targets, read from its navigation line (the one linking the index)."""
    (line,) = [line for line in page.read_text(encoding="utf-8").splitlines()[:6] if "](README.md)" in line]
    found: dict[str, str | None] = {}
    for word in NAV_WORDS[lang]:
        match = re.search(rf"{word}: \[[^\]]*\]\(([^)]+)\)", line)
        found[word] = match.group(1) if match else None
    return found


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_following_next_from_the_first_chapter_reaches_every_chapter_in_order(lang: str) -> None:
    # Issue 24: page 08's "next" went to api.md and page 09's "previous" to 07, so pages 9-11 were unreachable.
    order = chapter_order(lang)
    assert order[0] == "01-computational-graph.md" and len(order) >= 11
    previous_word, next_word = NAV_WORDS[lang]
    walked, page, before = [], order[0], None
    while page is not None:
        assert page not in walked, f"docs/{lang}: 'next' loops back to {page}"
        links = nav_links(ROOT / "docs" / lang / page, lang)
        assert links[previous_word] == before, f"docs/{lang}/{page}: '{previous_word}' should link {before}"
        walked.append(page)
        before, page = page, links[next_word]
    assert walked == order
    # The reference pages are not chapters: they link the index and name no previous or next chapter.
    for reference in ("api.md", "glossary.md"):
        path = ROOT / "docs" / lang / reference
        assert set(CHAPTER.findall(path.read_text(encoding="utf-8").splitlines()[2])) == set()


def test_korean_pages_call_a_leaf_by_one_word() -> None:
    # The glossary's word is 잎 노드; the docs once also said 말단 노드, 리프 and 잎(leaf).
    for page in sorted((ROOT / "docs" / "ko").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        if page.name != "glossary.md":
            for other in ("말단 노드", "리프", "잎(leaf)"):
                assert other not in text, f"docs/ko/{page.name} says {other!r}; the glossary's word is 잎 노드"
    assert "| 잎 노드 | leaf" in (ROOT / "docs" / "ko" / "glossary.md").read_text(encoding="utf-8")


def shown_output(example: Example) -> str:
    if example.kind == "console":
        return "\n".join(line for line in example.code.splitlines() if not line.startswith("$ "))
    return expected_output(example)


def test_korean_pages_show_korean_output() -> None:
    # Issue 24: page 08's Korean gradgradcheck example printed the English table (no lang="ko").
    # The sentences of explain(), gradcheck(), gradgradcheck(), table() and the command's lines, in English:
    english = ("passed", "failed", "analytical", "gradient of", "upstream gradient", "[forward]", "[backward]",
               "wrote ", "label  op")
    for page in sorted((ROOT / "docs" / "ko").glob("*.md")):
        for example in examples(page):
            for line in shown_output(example).splitlines():
                if line.lstrip().startswith("#"):  # a comment in a console block's code is code
                    continue
                found = [word for word in english if word in line]
                assert not found, f"docs/ko/{page.name} line {example.line} shows English output: {line!r}"
