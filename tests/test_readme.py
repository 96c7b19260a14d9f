"""The README's Python examples run and print what their comments say."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def expected_prints(block: str) -> list[str]:
    """The comment after each print(...) line, up to ':' or '=' explanations."""
    shown = []
    for line in block.splitlines():
        if line.startswith("print(") and "#" in line:
            comment = line.split("#", 1)[1].strip()
            shown.append(re.split(r"[:=] ", comment)[0].strip())
    return shown


@pytest.mark.parametrize("block", python_blocks())
def test_readme_example_prints_what_it_says(block: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # examples that write drawings write them here
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, str(README), "exec"), {})
    printed = [line.strip() for line in out.getvalue().splitlines()]
    assert printed == expected_prints(block)


def test_readme_has_python_examples() -> None:
    assert len(python_blocks()) >= 2
