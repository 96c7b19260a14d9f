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
- Every image a page links (``![...](path)``) exists.
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
from dataclasses import dataclass
from pathlib import Path

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


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_examples_print_what_the_page_shows(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "docs").symlink_to(ROOT / "docs", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for example in examples(page):
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
