"""The tutorial notebooks (docs/notebooks, made from the pages by docs/make_notebooks.py).

- Each notebook is what the generator makes of its page now (both copies: docs/notebooks and the
  package data), byte for byte: the generator leaves out jupytext's version stamp and numbers the
  cell ids, so nothing needs to be ignored.
- Every notebook runs, every cell, on a real ipykernel kernel through nbclient, in a fresh working
  directory holding only ``docs`` (as tests/test_docs.py runs the pages), and each cell made from a
  page's example prints what the page shows; the cells that show a drawing, a plot or a page show it.
- ``tinygrad-ko notebooks`` copies them out of a wheel built from this tree (a real subprocess).
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import nbformat
import pytest
from nbclient import NotebookClient

from tinygrad_ko.messages import text

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "docs" / "notebooks").glob("*/*.ipynb"))


def load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


make = load("make_notebooks", ROOT / "docs" / "make_notebooks.py")
# The pages' runner: how a page's blocks and their shown output are read, and how output is compared.
runner = load("docs_runner", ROOT / "tests" / "test_docs.py")


def page_of(notebook: Path) -> Path:
    return ROOT / "docs" / notebook.parent.name / (notebook.stem + ".md")


def test_every_page_has_a_notebook_and_every_notebook_a_page() -> None:
    for lang in make.LANGS:
        pages = [page.stem for page in make.pages(lang)]
        assert len(pages) >= 12
        for out in make.OUTPUTS:
            assert sorted(path.stem for path in (out / lang).glob("*.ipynb")) == pages, out / lang


def test_the_notebooks_and_the_index_sections_are_what_the_pages_make() -> None:
    stale = make.stale()
    assert not stale, f"out of date (run python docs/make_notebooks.py): {[str(p.relative_to(ROOT)) for p in stale]}"
    for lang in make.LANGS:  # the wheel's copy is the same file as the docs' copy
        for notebook in (ROOT / "docs" / "notebooks" / lang).glob("*.ipynb"):
            assert (ROOT / "tinygrad_ko" / "notebooks" / lang / notebook.name).read_bytes() == notebook.read_bytes()


def test_a_changed_page_makes_a_different_notebook(tmp_path: Path) -> None:
    page = ROOT / "docs" / "en" / "04-layers.md"
    committed = (ROOT / "docs" / "notebooks" / "en" / "04-layers.ipynb").read_text(encoding="utf-8")
    assert make.notebook_text(page, "en") == committed
    assert make.notebook_text(page, "en") == make.notebook_text(page, "en")  # the same bytes every time
    changed = tmp_path / "en" / page.name
    changed.parent.mkdir()
    changed.write_text(page.read_text(encoding="utf-8").replace("```python\n", "```python\nx = 1\n", 1),
                       encoding="utf-8")
    assert make.notebook_text(changed, "en") != committed


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[str(p.relative_to(ROOT / "docs")) for p in NOTEBOOKS])
def test_the_committed_notebook_stores_only_the_pictures(notebook: Path) -> None:
    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    first = nb.cells[0]
    assert first.cell_type == "code" and first.metadata.get("tags") == ["install"] and "%pip install" in first.source
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert cell.execution_count is None
        if "drawing" in cell.metadata.get("tags", []) and cell.outputs:
            (output,) = cell.outputs
            assert output.output_type == "display_data" and "image/svg+xml" in output.data
        else:
            assert cell.outputs == [], f"cell {cell.id} stores outputs"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[str(p.relative_to(ROOT / "docs")) for p in NOTEBOOKS])
def test_relative_links_work_from_the_notebooks_folder(notebook: Path) -> None:
    nb = nbformat.read(notebook, as_version=4)
    targets = [target for cell in nb.cells if cell.cell_type == "markdown"
               for target in re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", cell.source)
               if "://" not in target and not target.startswith("attachment:")]
    assert targets, "the navigation line links the index"
    for target in targets:
        assert (notebook.parent / target).exists(), f"{notebook.name} links {target}, which does not exist"
    # A chapter links its neighbour's notebook, not the Markdown page.
    assert not [t for t in targets if re.fullmatch(r"\d\d-[\w-]+\.md", t)]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[str(p.relative_to(ROOT / "docs")) for p in NOTEBOOKS])
def test_screenshots_travel_inside_the_notebook(notebook: Path) -> None:
    # Colab opens a notebook alone and `tinygrad-ko notebooks` copies it out without images/: a
    # screenshot linked as ../../images/... would be a broken picture there.
    nb = nbformat.read(notebook, as_version=4)
    page = page_of(notebook).read_text(encoding="utf-8")
    drawn = make.drawings(page_of(notebook))
    screenshots = [name for name in re.findall(r"!\[[^\]]*\]\(\.\./images/([^)\s]+\.png)\)", page)
                   if name not in drawn]
    attached: dict[str, bytes] = {}
    for cell in nb.cells:
        assert not re.search(r"!\[[^\]]*\]\([^)]*images/[^)]*\.png\)", cell.source), f"cell {cell.id} links a PNG file"
        names = re.findall(r"\]\(attachment:([^)\s]+)\)", cell.source)
        assert sorted(names) == sorted(cell.get("attachments", {})), f"cell {cell.id}: links and attachments differ"
        for name in names:
            attached[name] = base64.b64decode(cell.attachments[name]["image/png"])
    assert sorted(attached) == sorted(set(screenshots))
    for name, data in attached.items():
        assert data == (ROOT / "docs" / "images" / name).read_bytes(), f"{name}: not the committed screenshot"


def test_links_are_rewritten_for_the_notebooks_folder() -> None:
    page = ROOT / "docs" / "en" / "02-chain-rule.md"
    assert make.link_target(page, "../images/steps.en.png", "en") == "../../images/steps.en.png"
    assert make.link_target(page, "../../benchmarks/RESULTS.md", "en") == "../../../benchmarks/RESULTS.md"
    assert make.link_target(page, "README.md", "en") == "../../en/README.md"
    assert make.link_target(page, "01-computational-graph.md", "en") == "01-computational-graph.ipynb"
    assert make.link_target(page, "../ko/01-computational-graph.md", "en") == "../../ko/01-computational-graph.md"


def test_console_lines_become_ipython_commands_taken_literally() -> None:
    assert make.shell_line('tinygrad-ko graph "tanh(x)" x=1 -o t.svg') == '!tinygrad-ko graph "tanh(x)" x=1 -o t.svg'
    # IPython would expand $HOME and {x} in a ! line: the page's text is kept as written.
    assert make.shell_line("tinygrad-ko graph 'a' -o $HOME{x}.svg") == "!tinygrad-ko graph 'a' -o $$HOME{{x}}.svg"
    assert make.shell_line("python -m tinygrad_ko.reference") == '!"{sys.executable}" -m tinygrad_ko.reference'
    assert make.shell_line("python docs/examples/gradient_check.py") is None  # a file of the checkout


def test_needs_torch_cells_run_only_with_torch() -> None:
    wrapped = make.needs_torch("# needs torch\nimport torch\nprint(torch.ones(1))", "en")
    out = subprocess.run([sys.executable, "-c", wrapped], capture_output=True, text=True, check=True)
    if importlib.util.find_spec("torch") is None:
        assert out.stdout == text("notebooks.cell.needs_torch", "en") + "\n"
    else:
        assert "tensor" in out.stdout


# --- running them ------------------------------------------------------------------------------

def terminal_text(output: str) -> str:
    """What a terminal shows of ``output``: ``!`` runs commands on a pty (\\r\\n ends lines, \\r rewrites one)."""
    return "\n".join(line.rsplit("\r", 1)[-1] for line in output.replace("\r\n", "\n").split("\n"))


def printed(cell: nbformat.NotebookNode) -> str:
    return "".join(output.text for output in cell.outputs if output.output_type == "stream")


def mime_types(cell: nbformat.NotebookNode) -> set[str]:
    return {mime for output in cell.outputs if output.output_type in ("display_data", "execute_result")
            for mime in output.data}


def example_cells(notebook: nbformat.NotebookNode, page: Path) -> list[tuple[object, nbformat.NotebookNode]]:
    """Each of the page's examples that the notebook runs, with the cell it became (in order)."""
    cells = iter(cell for cell in notebook.cells if cell.cell_type == "code"
                 and set(cell.metadata.get("tags", [])) <= {"console"})
    pairs = []
    for example in runner.examples(page):
        if example.kind == "console":
            commands = [line[2:] for line in example.code.splitlines() if line.startswith("$ ")]
            if None in [make.shell_line(command) for command in commands]:
                continue  # kept as Markdown
        cell = next(cells)
        assert ("console" in cell.metadata.get("tags", [])) == (example.kind == "console"), (example.line, cell.id)
        pairs.append((example, cell))
    assert next(cells, None) is None, "a code cell that no example of the page made"
    return pairs


def run_and_compare(nb: nbformat.NotebookNode, page: Path, lang: str, workdir: Path) -> list[str]:
    """Run every cell of ``nb`` in ``workdir``; what differs from ``page`` (empty: nothing)."""
    # A real kernel of this Python (the kernelspec "python3" runs sys.executable); a failing cell raises.
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
    problems = []
    if printed(nb.cells[0]) != "":
        problems.append("the install cell installs nothing where tinygrad_ko is installed")
    for example, cell in example_cells(nb, page):
        if example.kind == "console":
            shown = "\n".join(line for line in example.code.splitlines() if not line.startswith("$ "))
            output = terminal_text(printed(cell))
        elif example.code.startswith(make.NEEDS_TORCH) and importlib.util.find_spec("torch") is None:
            shown, output = text("notebooks.cell.needs_torch", lang), printed(cell)
        else:
            shown, output = runner.expected_output(example), printed(cell)
        if not runner.matches(output, shown):
            problems.append(f"the cell of {page.name} line {example.line}\n--- shown ---\n{shown}\n"
                            f"--- printed ---\n{output}")
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "drawing" in tags and "image/svg+xml" not in mime_types(cell):
            problems.append(f"no SVG shown by {cell.source!r}")
        if "plot" in tags and "image/png" not in mime_types(cell):
            problems.append(f"no PNG shown by {cell.source!r}")
        if "page" in tags:
            html = [output.data["text/html"] for output in cell.outputs if "text/html" in output.get("data", {})]
            # The whole page inside the frame: Colab's sandboxed output loads no file and no server.
            if not (len(html) == 1 and html[0].startswith("<iframe srcdoc=") and "&lt;script" in html[0]
                    and 'src="http' not in html[0]):
                problems.append(f"no inline page shown by {cell.source!r}")
    return problems


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[str(p.relative_to(ROOT / "docs")) for p in NOTEBOOKS])
def test_every_cell_runs_and_prints_what_the_page_shows(notebook: Path, tmp_path: Path) -> None:
    (tmp_path / "docs").symlink_to(ROOT / "docs", target_is_directory=True)
    nb = nbformat.read(notebook, as_version=4)
    problems = run_and_compare(nb, page_of(notebook), notebook.parent.name, tmp_path)
    assert not problems, f"{notebook.name}: " + "\n".join(problems)


def test_a_cell_printing_something_else_is_noticed(tmp_path: Path) -> None:
    page = tmp_path / "en" / "01-wrong.md"
    page.parent.mkdir()
    page.write_text("# 1. Wrong\n\n```python\nprint(1 + 1)  # -> 3\n```\n\n```console\n$ tinygrad-ko demo --no-draw\n"
                    "label\n```\n\n```python\nprint('a')\n```\n```text\na\n```\n", encoding="utf-8")
    nb = make.notebook(page, "en")
    problems = run_and_compare(nb, page, "en", tmp_path)
    assert len(problems) == 2, problems
    assert "line 3" in problems[0] and "--- printed ---\n2" in problems[0]
    assert "line 7" in problems[1] and "apple count" in problems[1]


def test_the_key_cells_are_there() -> None:
    # The checks above look at drawings, plots and pages: each kind is in the notebooks.
    tags = {tag for notebook in NOTEBOOKS for cell in nbformat.read(notebook, as_version=4).cells
            for tag in cell.metadata.get("tags", [])}
    assert {"install", "console", "drawing", "plot", "page"} <= tags


# --- tinygrad-ko notebooks, from a wheel --------------------------------------------------------

@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of this tree, unpacked: the package as pip installs it."""
    work = tmp_path_factory.mktemp("wheel")
    tree = work / "tree"
    shutil.copytree(ROOT / "tinygrad_ko", tree / "tinygrad_ko", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work / "dist"), str(tree)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = (work / "dist").glob("*.whl")
    site = work / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def notebooks_command(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("TINYGRAD_KO_LANG", None)
    return subprocess.run([sys.executable, "-m", "tinygrad_ko", "notebooks", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120, check=False)


def test_the_wheel_ships_every_notebook(installed: Path) -> None:
    where = subprocess.run([sys.executable, "-c", "import tinygrad_ko; print(tinygrad_ko.__file__)"],
                           capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(installed)},
                           cwd=installed.parent, check=True)
    assert Path(where.stdout.strip()).is_relative_to(installed)  # the unpacked wheel, not this tree
    for notebook in NOTEBOOKS:
        shipped = installed / "tinygrad_ko" / "notebooks" / notebook.parent.name / notebook.name
        assert shipped.read_bytes() == notebook.read_bytes()


def test_the_command_copies_the_notebooks_and_keeps_edited_ones(installed: Path, tmp_path: Path) -> None:
    korean = sorted((ROOT / "docs" / "notebooks" / "ko").glob("*.ipynb"))
    done = notebooks_command(installed, "tutorial", "--lang", "ko", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "tutorial"
    assert sorted(p.name for p in out.iterdir()) == [p.name for p in korean]
    assert all((out / p.name).read_bytes() == p.read_bytes() for p in korean)
    assert done.stdout.splitlines()[0] == text("notebooks.wrote", "ko", path=str(Path("tutorial") / korean[0].name))
    assert done.stdout.splitlines()[-1] == text("notebooks.summary", "ko", count=len(korean), dir="tutorial")

    # A learner's edit survives a second copy; the command says so and exits 1.
    edited = out / korean[0].name
    mine = json.loads(edited.read_text(encoding="utf-8"))
    mine["cells"][1]["source"] = "my notes"
    edited.write_text(json.dumps(mine), encoding="utf-8")
    again = notebooks_command(installed, "tutorial", "--lang", "ko", cwd=tmp_path)
    assert again.returncode == 1
    assert text("notebooks.kept", "ko", path=str(Path("tutorial") / korean[0].name)) in again.stderr.splitlines()
    assert json.loads(edited.read_text(encoding="utf-8"))["cells"][1]["source"] == "my notes"
    assert text("notebooks.unchanged", "ko", path=str(Path("tutorial") / korean[1].name)) in again.stdout.splitlines()

    forced = notebooks_command(installed, "tutorial", "--lang", "ko", "--force", cwd=tmp_path)
    assert forced.returncode == 0 and edited.read_bytes() == korean[0].read_bytes()


def test_the_command_speaks_english_by_default_and_refuses_a_file(installed: Path, tmp_path: Path) -> None:
    english = sorted((ROOT / "docs" / "notebooks" / "en").glob("*.ipynb"))
    done = notebooks_command(installed, "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in sorted((tmp_path / "out").iterdir())] == [p.name for p in english]
    (tmp_path / "file").write_text("x", encoding="utf-8")
    refused = notebooks_command(installed, "file", "--lang", "ko", cwd=tmp_path)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.splitlines() == [text("cli.error_line", "ko", prog="tinygrad-ko",
                                                message=text("notebooks.not_a_folder", "ko", path="file"))]
    assert (tmp_path / "file").read_text(encoding="utf-8") == "x"
