"""``tinygrad-ko exercise`` and ``tinygrad-ko check``, run as a learner runs them: in subprocesses.

The starters are written by the installed command and run with ``python``; the checked files are
real files on disk, imported by the real command, checked by the real :mod:`tinygrad_ko.exercises`.
"""

from __future__ import annotations

import ast
import configparser
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import tinygrad_ko
from tinygrad_ko.cli.exercise import CHECKED_CLASSES, STARTERS
from tinygrad_ko.messages import LANGS

COMMAND = Path(sys.executable).with_name("tinygrad-ko")
ROOT = Path(__file__).resolve().parent.parent
STARTER_FOLDER = Path(tinygrad_ko.__file__).parent / "cli" / "starters"
HANGUL = re.compile("[\uac00-\ud7a3]")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed command in ``cwd``, with no language from the environment (English unless --lang)."""
    env = {key: value for key, value in os.environ.items() if key != "TINYGRAD_KO_LANG"}
    return subprocess.run([str(COMMAND), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          encoding="utf-8", timeout=120, check=False)


def run_python(file: Path) -> subprocess.CompletedProcess[str]:
    """``python FILE`` as the learner runs a starter, from the file's folder."""
    env = {key: value for key, value in os.environ.items() if key != "TINYGRAD_KO_LANG"}
    return subprocess.run([sys.executable, file.name], cwd=file.parent, env=env, capture_output=True, text=True,
                          encoding="utf-8", timeout=120, check=False)


# The right backward of each starter, for each `raise NotImplementedError(...)` in it, in file order.
SOLUTIONS: dict[str, list[str]] = {
    "mul": ["dx = dout * self.y\ndy = dout * self.x\nreturn dx, dy"],
    "add": ["dx = dout * 1\ndy = dout * 1\nreturn dx, dy"],
    "relu": ["dx = np.where(self.mask, 0.0, dout)\nreturn dx"],
    "sigmoid": ["dx = dout * (1.0 - self.out) * self.out\nreturn dx"],
    "affine": ["dx = np.dot(dout, self.W.T)\nself.dW = np.dot(self.x.T, dout)\nself.db = np.sum(dout, axis=0)\n"
               "return dx"],
    "softmax": ["y = self.y.reshape(-1, self.y.shape[-1])\nt = np.asarray(self.t)\n"
                "if t.size != y.size:  # class indices: one-hot them\n"
                "    t = np.eye(y.shape[1])[t.reshape(-1)]\n"
                "dx = dout * (y - t.reshape(y.shape)) / y.shape[0]\nreturn dx.reshape(self.y.shape)"],
    "value": ["self.grad += out.grad\nother.grad += out.grad",
              "self.grad += other.data * out.grad\nother.grad += self.data * out.grad",
              # Iterative, so that a 5,000-deep chain needs no recursion.
              "order, seen, stack = [], set(), [(self, False)]\n"
              "while stack:\n"
              "    node, done = stack.pop()\n"
              "    if done:\n"
              "        order.append(node)\n"
              "    elif id(node) not in seen:\n"
              "        seen.add(id(node))\n"
              "        stack.append((node, True))\n"
              "        stack.extend((child, False) for child in node._prev)\n"
              "self.grad = 1.0\n"
              "for node in reversed(order):\n"
              "    node._backward()"],
}


def completed(source: str, bodies: list[str]) -> str:
    """``source`` with each ``raise NotImplementedError(...)`` statement replaced by the next body."""
    raises = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Raise)
              and isinstance(node.exc, ast.Call) and getattr(node.exc.func, "id", "") == "NotImplementedError"]
    raises.sort(key=lambda node: node.lineno)
    assert len(raises) == len(bodies), f"{len(raises)} places to fill, {len(bodies)} bodies"
    lines = source.splitlines()
    for node, body in reversed(list(zip(raises, bodies, strict=True))):
        assert node.end_lineno is not None
        lines[node.lineno - 1:node.end_lineno] = textwrap.indent(body, " " * node.col_offset).splitlines()
    return "\n".join(lines) + "\n"


# The study note's own classes, as the note writes them (two-space indents, Relu.backward writing into
# the caller's dout and returning douit): the one copy page 12 checks too.
SEED = (ROOT / "docs" / "examples" / "study_note_layers.py").read_text(encoding="utf-8")
DOUIT_LINE = next(n for n, line in enumerate(SEED.splitlines(), 1) if line.strip().startswith("dx = douit"))


# --- exercise: the starters -------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", list(STARTERS))
def test_each_starter_runs_as_written_and_reports_not_implemented(kind: str, lang: str, tmp_path: Path) -> None:
    done = run("exercise", kind, "--lang", lang, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    starter = tmp_path / STARTERS[kind].file_name
    assert starter.name in done.stdout and done.stderr == ""
    source = starter.read_text(encoding="utf-8")
    assert f"class {STARTERS[kind].class_name}" in source and 'if __name__ == "__main__":' in source
    assert bool(HANGUL.search(source)) == (lang == "ko")  # comments and hint in the chosen language
    ran = run_python(starter)
    # The report, not a traceback: the check caught the NotImplementedError and says so.
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "Traceback" not in ran.stderr and "NotImplementedError" in ran.stdout, ran.stdout + ran.stderr
    assert "exception" in ran.stdout


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", list(STARTERS))
def test_a_starter_completed_correctly_passes(kind: str, lang: str, tmp_path: Path) -> None:
    assert run("exercise", kind, "--lang", lang, "-o", "mine.py", cwd=tmp_path).returncode == 0
    mine = tmp_path / "mine.py"
    mine.write_text(completed(mine.read_text(encoding="utf-8"), SOLUTIONS[kind]), encoding="utf-8")
    ran = run_python(mine)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "NotImplementedError" not in ran.stdout
    checked = run("check", "mine.py", "--lang", lang, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_starter_says_how_to_run_it_under_the_name_given(tmp_path: Path) -> None:
    assert run("exercise", "relu", "-o", "내_relu.py", cwd=tmp_path).returncode == 0
    source = (tmp_path / "내_relu.py").read_text(encoding="utf-8")
    assert "python 내_relu.py" in source and "relu_layer.py" not in source


def test_a_file_name_that_could_break_the_starter_is_not_written_into_it(tmp_path: Path) -> None:
    # A quote or a backslash in the name would end the docstring (or start an escape) if copied into it.
    for name in ('a"""b.py', "a\\N.py"):
        done = run("exercise", "mul", "-o", name, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        source = (tmp_path / name).read_text(encoding="utf-8")
        compile(source, name, "exec")  # still Python
        assert "mul_layer.py" in source


def test_an_existing_file_is_never_overwritten_without_force(tmp_path: Path) -> None:
    mine = tmp_path / "mul_layer.py"
    mine.write_text("# my work\n", encoding="utf-8")
    done = run("exercise", "mul", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert "mul_layer.py" in done.stderr and "--force" in done.stderr
    assert mine.read_text(encoding="utf-8") == "# my work\n"
    korean = run("exercise", "mul", "--lang", "ko", cwd=tmp_path)
    assert korean.returncode == 2 and HANGUL.search(korean.stderr) and "--force" in korean.stderr
    assert mine.read_text(encoding="utf-8") == "# my work\n"
    forced = run("exercise", "mul", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "class MulLayer" in mine.read_text(encoding="utf-8")
    assert [path.name for path in tmp_path.iterdir()] == ["mul_layer.py"]  # no temporary file left


def test_a_dangling_link_counts_as_an_existing_file(tmp_path: Path) -> None:
    (tmp_path / "mul_layer.py").symlink_to(tmp_path / "elsewhere.py")
    assert run("exercise", "mul", cwd=tmp_path).returncode == 2
    assert not (tmp_path / "elsewhere.py").exists()


@pytest.mark.parametrize(("output", "words"), [("notes.txt", ".py"), ("missing/mul.py", "missing"),
                                               ("", ".py")])
def test_a_starter_name_that_cannot_be_written_is_refused(output: str, words: str, tmp_path: Path) -> None:
    done = run("exercise", "mul", "-o", output, cwd=tmp_path)
    assert done.returncode == 2 and words in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_kind_lists_the_kinds(tmp_path: Path) -> None:
    done = run("exercise", "conv", cwd=tmp_path)
    assert done.returncode == 2 and all(kind in done.stderr for kind in STARTERS)


def starter_code(path: Path) -> str:
    """The starter's code without its words: docstrings, comments and strings made empty."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.dump(tree)  # comments are not in the tree


@pytest.mark.parametrize("kind", list(STARTERS))
def test_every_language_has_the_same_starter_code(kind: str) -> None:
    english = STARTER_FOLDER / "en" / f"{kind}.py"
    for lang in LANGS[1:]:
        assert starter_code(STARTER_FOLDER / lang / f"{kind}.py") == starter_code(english), (kind, lang)
    assert not HANGUL.search(english.read_text(encoding="utf-8"))


def test_the_starters_are_package_data() -> None:
    # A wheel ships exactly what setup.cfg's package_data names (verified once with `pip wheel .`):
    # every starter must match its pattern, or the installed command would have none.
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    # Each language's folder is a package of its own (namespace discovery) with its own patterns.
    shipped = set()
    for lang in LANGS:
        entry = config["options.package_data"][f"tinygrad_ko.cli.starters.{lang}"]
        patterns = [p.strip() for p in re.split(r"[,\n]", entry) if p.strip()]
        shipped |= {path for pattern in patterns for path in (STARTER_FOLDER / lang).glob(pattern)}
    starters = set(STARTER_FOLDER.rglob("*.py"))
    assert starters and starters <= shipped
    assert {(path.parent.name, path.stem) for path in starters} == {(lang, kind) for lang in LANGS for kind in STARTERS}


# --- check: the learner's own file ---------------------------------------------------------------

def reports(stdout: str) -> dict[str, str]:
    """The printed reports by class name: each from its headline (``Relu: ...``) to the next one."""
    headline = re.compile(rf"^({'|'.join(CHECKED_CLASSES)}): ", flags=re.M)
    starts = [(match.start(), match.group(1)) for match in headline.finditer(stdout)]
    ends = [start for start, _ in starts[1:]] + [len(stdout)]
    found = {name: stdout[start:end] for (start, name), end in zip(starts, ends, strict=True)}
    assert len(found) == len(starts), f"a class reported twice: {stdout}"
    return found


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(source, encoding="utf-8")
    return path


def correct_file(folder: Path) -> Path:
    """One file with every class of the chapter (and a Value), each right: the starters completed."""
    parts = []
    for kind, bodies in SOLUTIONS.items():
        source = (STARTER_FOLDER / "en" / f"{kind}.py").read_text(encoding="utf-8")
        code = completed(source, bodies).split('if __name__ == "__main__":')[0]
        parts.append(code.split('"""', 2)[2])  # without the module docstring
    return write(folder, "my_layers.py", "\n\n".join(parts))


def test_check_passes_a_correct_file_with_one_report_per_class(tmp_path: Path) -> None:
    correct_file(tmp_path)
    done = run("check", "my_layers.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    found = reports(done.stdout)
    assert list(found) == list(CHECKED_CLASSES)  # one report each, in the file's order
    assert all("✓" in report for report in found.values()), done.stdout


def test_check_finds_the_seeds_relu_mistake_with_its_line(tmp_path: Path) -> None:
    write(tmp_path, "my_layers.py", SEED)
    done = run("check", "my_layers.py", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    found = reports(done.stdout)
    assert list(found) == ["MulLayer", "AddLayer", "Relu"]
    relu = found["Relu"]
    assert "exception" in relu and "douit" in relu and f"my_layers.py:{DOUIT_LINE}" in relu
    for name in ("MulLayer", "AddLayer"):  # the seed's other classes are right
        assert "✓" in found[name], found[name]


def test_check_speaks_korean_under_lang_ko(tmp_path: Path) -> None:
    write(tmp_path, "my_layers.py", SEED)
    done = run("check", "my_layers.py", "--lang", "ko", cwd=tmp_path)
    assert done.returncode == 1
    relu = reports(done.stdout)["Relu"]
    assert HANGUL.search(relu) and "douit" in relu and f"my_layers.py:{DOUIT_LINE}" in relu
    missing = run("check", "nothere.py", "--lang", "ko", cwd=tmp_path)
    assert missing.returncode == 2 and HANGUL.search(missing.stderr)


def test_check_shows_a_syntax_error_as_python_does(tmp_path: Path) -> None:
    write(tmp_path, "broken.py", "class Relu:\n    def forward(self, x):\n        return (x\n\n    def f(self):\n")
    done = run("check", "broken.py", cwd=tmp_path)
    python = subprocess.run([sys.executable, "broken.py"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert 'broken.py", line 3' in done.stderr and "SyntaxError" in done.stderr
    # The same lines Python prints (its own header line aside): the code and the caret under it.
    shown = [line for line in python.stderr.splitlines() if line.strip()][1:]
    assert shown and all(line in done.stderr.splitlines() for line in shown), (python.stderr, done.stderr)


def test_check_shows_an_exception_raised_while_importing_with_the_learners_line(tmp_path: Path) -> None:
    write(tmp_path, "raises.py", "import numpy as np\n\nclass Relu:\n    pass\n\nscale = 1 / 0\n")
    done = run("check", "raises.py", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert 'raises.py", line 6, in <module>' in done.stderr and "scale = 1 / 0" in done.stderr
    assert "ZeroDivisionError: division by zero" in done.stderr
    assert "importlib" not in done.stderr  # the learner's frames only, not the loader's


def test_check_reports_an_exit_while_importing(tmp_path: Path) -> None:
    write(tmp_path, "exits.py", "import sys\nclass Relu:\n    pass\nsys.exit(3)\n")
    done = run("check", "exits.py", cwd=tmp_path)
    assert done.returncode == 2 and "SystemExit: 3" in done.stderr and "line 4" in done.stderr


def test_check_lists_the_names_it_looks_for_when_none_is_there(tmp_path: Path) -> None:
    # A function named like a class is not a class; the file's other names are not the book's.
    write(tmp_path, "other.py", "class ReLU:\n    pass\n\ndef Relu(x):\n    return x\n")
    done = run("check", "other.py", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert all(name in done.stderr for name in CHECKED_CLASSES), done.stderr


@pytest.mark.parametrize(("make", "words"), [
    (lambda folder: folder / "missing.py", "does not exist"),
    (lambda folder: folder, "folder"),
    (lambda folder: write(folder, "layers.txt", "class Relu:\n    pass\n"), ".py"),
])
def test_check_refuses_what_is_not_a_python_file(make: Callable[[Path], Path], words: str, tmp_path: Path) -> None:
    path = make(tmp_path)
    done = run("check", str(path), cwd=tmp_path)
    assert done.returncode == 2 and words in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr


def test_check_does_not_run_the_main_block_but_lets_the_files_prints_through(tmp_path: Path) -> None:
    starter = tmp_path / "mul_layer.py"
    assert run("exercise", "mul", cwd=tmp_path).returncode == 0
    source = completed(starter.read_text(encoding="utf-8"), SOLUTIONS["mul"])
    source = source.replace("class MulLayer:", 'print("hello from my file")\n\n\nclass MulLayer:')
    source += '    open("main-block-ran", "w").close()\n'
    starter.write_text(source, encoding="utf-8")
    done = run("check", "mul_layer.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("hello from my file\n")
    assert not (tmp_path / "main-block-ran").exists()
    assert not (tmp_path / "__pycache__").exists()  # nothing left beside the learner's file


def test_check_imports_a_module_beside_the_file_as_python_would(tmp_path: Path) -> None:
    folder = tmp_path / "ch05"
    folder.mkdir()
    write(folder, "helpers.py", "def twice(v):\n    return v * 2\n")
    write(folder, "layers.py", "from helpers import twice\n\n"
          "class AddLayer:\n    def forward(self, x, y):\n        return x + y\n\n"
          "    def backward(self, dout):\n        return twice(dout) / 2, dout * 1\n")
    done = run("check", "ch05/layers.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_help_says_it_runs_the_file(tmp_path: Path) -> None:
    done = run("check", "--help", cwd=tmp_path)
    assert done.returncode == 0 and "runs the code" in done.stdout
    assert all(name in " ".join(done.stdout.split()) for name in CHECKED_CLASSES)
