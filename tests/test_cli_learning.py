"""The command's --explain and --steps options, run as the installed tinygrad-ko program."""

from __future__ import annotations

import subprocess
import sysconfig
from pathlib import Path

from tinygrad_ko import explain
from tinygrad_ko.examples import apple_orange

# The console script pip installed next to this Python (the venv need not be activated).
PROGRAM = str(Path(sysconfig.get_path("scripts")) / "tinygrad-ko")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PROGRAM, *args], capture_output=True, text=True, cwd=cwd, check=False, timeout=120)


def test_demo_explain_prints_the_explanation_after_the_table(tmp_path: Path) -> None:
    done = run("demo", "--lang", "ko", "--explain", "-o", "apple.svg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    expected = str(explain(apple_orange("ko").price, "ko"))
    assert done.stdout.endswith(expected + "\n")
    assert "곱셈 노드 (*): 상류 기울기 1.1 × 국소적 미분 2 (사과 개수) → 사과의 기울기 2.2" in done.stdout


def test_graph_steps_writes_the_page(tmp_path: Path) -> None:
    done = run("graph", "x*y + relu(x)", "x=2", "y=3", "--steps", "steps.html", "-o", "g.svg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "steps.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '"phase": "backward"' in page
    assert "wrote steps.html" in done.stdout


def test_steps_needs_an_html_file_name_and_says_so_before_printing(tmp_path: Path) -> None:
    done = run("demo", "--steps", "steps.svg", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == ("tinygrad-ko: error: the step-through page is an HTML file: "
                           "end the name in .html, got 'steps.svg'\n")
    assert not (tmp_path / "steps.svg").exists()


def test_page_names_the_step_page_and_the_old_steps_still_works(tmp_path: Path) -> None:
    new = run("demo", "--page", "new.html", cwd=tmp_path)
    old = run("demo", "--steps", "old.html", cwd=tmp_path)
    assert (new.returncode, old.returncode) == (0, 0), new.stderr + old.stderr
    assert (tmp_path / "new.html").read_bytes() == (tmp_path / "old.html").read_bytes()
    assert "--page FILE.html, --steps FILE.html" in run("graph", "--help", cwd=tmp_path).stdout
