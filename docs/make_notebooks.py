"""Make the tutorial notebooks from the tutorial pages: one source, the Markdown page.

    python docs/make_notebooks.py           # write every notebook and the index sections
    python docs/make_notebooks.py --check   # write nothing; exit 1 if anything is out of date

Every page ``docs/{ko,en}/NN-*.md`` becomes ``docs/notebooks/{ko,en}/NN-*.ipynb`` (and the same file
under ``tinygrad_ko/notebooks/``, the copy the wheel ships for ``tinygrad-ko notebooks``;
``tests/test_notebooks.py`` holds both to this script's output). A new page needs no change here.
``jupytext`` reads the page (a ```python block is a code cell, the rest Markdown) after these
changes, made so that the notebook runs in Jupyter and in Colab as the page runs in CI:

- the first cell installs tinygrad_ko where it is missing (Colab; a checkout not installed yet),
  with the extras the page names (``tinygrad_ko[digits]``; not torch, whose cells are optional);
- a ```console block of ``$ tinygrad-ko ...`` / ``$ python ...`` lines becomes a code cell of
  ``!`` commands, its shown output a ```text block after it; a block that reads the checkout's docs/
  (``python docs/examples/...``, ``tinygrad-ko check docs/...``) stays Markdown: a notebook copied
  out or opened in Colab has no ``docs/`` beside it;
- a ``# needs torch`` block runs only where torch is importable, else it says it is skipped;
- a picture the page's own code draws (``PAGE_DRAWINGS``/``COMMAND_DRAWINGS`` in make_images.py)
  becomes a cell showing the file that code wrote, with the committed picture stored as its output
  (the only stored outputs: the notebook shows its drawings before it is run, in Colab too, where
  relative images do not load); other cells' outputs are never stored (clean diffs);
- a cell that writes a page (``.html``) or a command that writes a plot (``.png``) or a drawing is
  followed by a cell showing it inline (the page in an ``<iframe srcdoc>``: no server, no network);
- a screenshot (any other picture of ``docs/images/``) travels inside the notebook as an attachment
  of its Markdown cell (``attachment:NAME``): it shows in Colab, which opens the notebook alone, and
  in a notebook ``tinygrad-ko notebooks`` copied out, which has no ``images/`` beside it;
- relative links are rewritten to work from ``docs/notebooks/LANG/`` (a chapter links its notebook).

jupytext's own metadata (its version and format stamp) is left out, and cell ids are numbered, so
the output depends on the page only: running the script twice writes the same bytes.
"""

from __future__ import annotations

import argparse
import ast
import base64
import configparser
import importlib.util
import json
import posixpath
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import jupytext
import nbformat

from tinygrad_ko.messages import text

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
LANGS = ("ko", "en")
#: Where the notebooks go: the docs (what Colab and GitHub open) and the package data (the wheel).
OUTPUTS = (DOCS / "notebooks", ROOT / "tinygrad_ko" / "notebooks")
#: The repository on GitHub, "OWNER/NAME": the install cell's git URL and the Colab links.
#: setup.cfg names no url; set this (once) to the repository's real place, then run this script.
REPOSITORY = "OWNER/tinygrad_ko"
BRANCH = "main"
COLAB = "https://colab.research.google.com/github/{repository}/blob/{branch}/docs/notebooks/{lang}/{name}"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"

FENCE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", flags=re.M | re.S)
LINK = re.compile(r"(!?\[[^\]]*\])\(([^)\s#]+)((?:#[^)\s]*)?)\)")
PICTURE = re.compile(r"^!\[([^\]]*)\]\(\.\./images/([^)\s]+)\)[ \t]*\n?", flags=re.M)
EXTRA = re.compile(r"tinygrad_ko\[([\w,-]+)\]")
#: Extras a page may name that its notebook does not install: torch is several GB, and its
#: ``# needs torch`` cells skip cleanly without it (Colab has it already).
OPTIONAL_EXTRAS = {"torch"}
NEEDS_TORCH = "# needs torch"
SHOWN = {".svg": "drawing", ".png": "plot", ".html": "page"}
START, END = "<!-- notebooks: made by docs/make_notebooks.py -->", "<!-- /notebooks -->"


@dataclass
class Cell:
    """A code cell the page becomes, before jupytext reads it."""

    source: str
    tags: list[str] = field(default_factory=list)
    stored: dict[str, str] | None = None  # a stored display output: mime type -> data


def pages(lang: str) -> list[Path]:
    """The tutorial pages of ``lang``, in file order: every ``NN-*.md``."""
    return sorted((DOCS / lang).glob("[0-9][0-9]-*.md"))


def make_images() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_images", DOCS / "make_images.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def drawings(page: Path) -> dict[str, str]:
    """Image -> the file the page's own code writes, for each drawing the page shows."""
    images = make_images()
    where = page.relative_to(DOCS).as_posix() if page.is_relative_to(DOCS) else ""
    return {image: file for image, (shown_on, file) in {**images.PAGE_DRAWINGS, **images.COMMAND_DRAWINGS}.items()
            if shown_on == where}


def extras(page: Path) -> list[str]:
    """The extras the page names (``tinygrad_ko[digits]``), which its install cell installs."""
    named = {extra for group in EXTRA.findall(page.read_text(encoding="utf-8")) for extra in group.split(",")}
    return sorted(named - OPTIONAL_EXTRAS)


def requirements(extra: str) -> list[str]:
    """The requirements of one of setup.cfg's extras (``scikit-learn>=1.2``)."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    lines = config["options.extras_require"][extra].splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def comment(sentence: str) -> str:
    return "\n".join("# " + line for line in sentence.splitlines())


def install_cell(page: Path, lang: str) -> Cell:
    wanted = extras(page)
    suffix = f"[{','.join(wanted)}]" if wanted else ""
    url = f"git+https://github.com/{REPOSITORY}"
    needed = [requirement for extra in wanted for requirement in requirements(extra)]
    names = [re.match(r"[A-Za-z0-9._-]+", requirement).group(0) for requirement in needed]  # type: ignore[union-attr]
    # tinygrad_ko installed without the page's extra: add what the extra brings, keep the install as it is.
    extra_lines = (f"elif {' or '.join(f'missing({json.dumps(name)})' for name in names)}:  # {', '.join(wanted)}\n"
                   f"    %pip install --quiet {' '.join(json.dumps(r) for r in needed)}\n") if needed else ""
    source = f"""{comment(text("notebooks.cell.install", lang))}
import importlib.metadata, os, sys, sysconfig
from pathlib import Path


def missing(distribution):
    try:
        importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return True
    return False


if missing("tinygrad_ko"):
    if Path("../../../tinygrad_ko/__init__.py").is_file():  # {text("notebooks.cell.checkout", lang)}
        %pip install --quiet "../../..{suffix}"
    else:
        %pip install --quiet "tinygrad_ko{suffix} @ {url}"
{extra_lines}if "google.colab" in sys.modules:
{comment(text("notebooks.cell.colab_engine", lang)).replace("# ", "    # ")}
    os.environ["TINYGRAD_KO_DOT"] = "graphviz-pure"
{comment(text("notebooks.cell.path", lang))}
os.environ["PATH"] = sysconfig.get_path("scripts") + os.pathsep + os.environ["PATH"]"""
    return Cell(source, ["install"])


def shell_line(command: str) -> str | None:
    """``command`` (a page's ``$ ...`` line) as an IPython ``!`` line, or None if a notebook cannot run it."""
    program, *args = shlex.split(command)
    # IPython expands $name and {expression} in a ! line: the page's text is taken literally.
    literal = command.replace("$", "$$").replace("{", "{{").replace("}", "}}")
    if any(arg.startswith("docs/") for arg in args):
        return None  # a notebook copied out or opened in Colab has no docs/ beside it
    if program == "tinygrad-ko":
        return "!" + literal
    if program == "python":  # `python -m ...` or a file an earlier cell wrote (page 12's starter)
        return '!"{sys.executable}"' + literal[len("python"):]
    return None


def written_files(kind: str, code: str) -> list[str]:
    """The pages, plots and drawings a block writes: its commands' file arguments, its code's file names."""
    if kind == "console":
        names = [arg for line in code.splitlines() if line.startswith("$ ") for arg in shlex.split(line[2:])]
        return [name for name in names if Path(name).suffix in SHOWN and name != "-"]
    # Python: a page is what a cell shows inline (a drawing it writes is shown where the page shows it).
    return [node.value for node in ast.walk(ast.parse(code))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.endswith(".html")]


def show_cell(file: str, lang: str, caption: str | None = None) -> Cell:
    kind = SHOWN[Path(file).suffix]
    name = json.dumps(file, ensure_ascii=False)
    if kind == "page":
        code = f"from tinygrad_ko.pages.steps import StepsPage\n\nStepsPage({name})"
    elif kind == "drawing":
        code = f"from IPython.display import SVG, display\n\ndisplay(SVG(filename={name}))"
    else:
        code = f"from IPython.display import Image, display\n\ndisplay(Image(filename={name}))"
    said = caption if caption is not None else text(f"notebooks.cell.{kind}", lang, file=file)
    return Cell(f"{comment(said)}\n{code}", [kind])


def needs_torch(code: str, lang: str) -> str:
    body = "\n".join("    " + line if line else line for line in code.splitlines())
    wrapped = (f"{NEEDS_TORCH}\nimport importlib.util\n\nif importlib.util.find_spec(\"torch\") is None:\n"
               f"    print({json.dumps(text('notebooks.cell.needs_torch', lang), ensure_ascii=False)})\n"
               f"else:\n{body}")
    ast.parse(wrapped)  # indenting keeps the code's meaning unless a string spans lines: then fail here
    return wrapped


def link_target(page: Path, target: str, lang: str) -> str:
    """A page's relative link ``target`` as seen from the notebook (``docs/notebooks/LANG/``)."""
    resolved = posixpath.normpath(posixpath.join(lang, target))  # relative to docs/
    if posixpath.dirname(resolved) == lang and re.fullmatch(r"\d\d-[\w-]+\.md", posixpath.basename(resolved)):
        return posixpath.basename(resolved)[:-3] + ".ipynb"  # a chapter: its notebook
    return posixpath.relpath(resolved, posixpath.join("notebooks", lang))


def rewrite_links(prose: str, page: Path, lang: str) -> str:
    def one(match: re.Match[str]) -> str:
        label, target, fragment = match.groups()
        if "://" in target or target.startswith(("mailto:", "attachment:")):
            return match.group(0)
        return f"{label}({link_target(page, target, lang)}{fragment})"
    return LINK.sub(one, prose)


def stored_output(image: Path) -> dict[str, str]:
    if image.suffix == ".svg":
        return {"image/svg+xml": image.read_text(encoding="utf-8"), "text/plain": "<IPython.core.display.SVG object>"}
    return {"image/png": base64.b64encode(image.read_bytes()).decode("ascii"),
            "text/plain": "<IPython.core.display.Image object>"}


def pieces(page: Path, lang: str) -> list[str | Cell]:
    """The page as Markdown text and code cells, in order."""
    source = page.read_text(encoding="utf-8")
    drawn = drawings(page)
    # Drawings a picture link shows later on the page are shown there, not after the command.
    shown_at_links = [(m.start(), drawn[m.group(2)]) for m in PICTURE.finditer(source) if m.group(2) in drawn]
    out: list[str | Cell] = [install_cell(page, lang)]

    def prose(chunk: str) -> None:
        start = 0
        for picture in PICTURE.finditer(chunk):
            if picture.group(2) in drawn:
                out.append(rewrite_links(chunk[start:picture.start()], page, lang))
                cell = show_cell(drawn[picture.group(2)], lang, caption=picture.group(1))
                cell.stored = stored_output(DOCS / "images" / picture.group(2))
                out.append(cell)
                start = picture.end()
        out.append(rewrite_links(chunk[start:], page, lang))

    position = 0
    for block in FENCE.finditer(source):
        prose(source[position:block.start()])
        position = block.end()
        kind, code = block.group(1), block.group(2)
        if kind == "python":
            out.append(Cell(needs_torch(code.rstrip("\n"), lang) if code.startswith(NEEDS_TORCH)
                            else code.rstrip("\n")))
        elif kind == "console":
            commands = [line[2:] for line in code.splitlines() if line.startswith("$ ")]
            lines = [shell_line(command) for command in commands]
            if None in lines:
                out.append(block.group(0))
                continue
            out.append(Cell("\n".join(line for line in lines if line), ["console"]))
            shown = "\n".join(line for line in code.splitlines() if not line.startswith("$ "))
            if shown.strip():
                out.append(f"\n\n```text\n{shown}\n```")
        else:
            out.append(block.group(0))
            continue
        later = {file for at, file in shown_at_links if at > block.end()}
        for file in dict.fromkeys(written_files(kind, code)):
            if file not in later:
                out.append(show_cell(file, lang))
    prose(source[position:])
    return out


def notebook(page: Path, lang: str) -> nbformat.NotebookNode:
    """The notebook of ``page`` (a docs/LANG/NN-*.md)."""
    parts = pieces(page, lang)
    cells = [part for part in parts if isinstance(part, Cell)]
    markdown, prose = [], ""
    for part in [*parts, None]:
        if isinstance(part, str):
            prose += part
            continue
        if prose.strip():
            # One Markdown cell per stretch of text: a region keeps jupytext from making a code cell
            # of a block in another language (```sh), which the page does not run either.
            markdown.append(f"<!-- #region -->\n{prose.strip()}\n<!-- #endregion -->\n\n")
        prose = ""
        if part is not None:
            meta = f" tags={json.dumps(part.tags)}" if part.tags else ""
            markdown.append(f"```python{meta}\n{part.source}\n```\n\n")
    nb = jupytext.reads("".join(markdown), fmt="md")
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert len(code_cells) == len(cells), f"{page}: jupytext read {len(code_cells)} code cells, not {len(cells)}"
    for cell, made in zip(code_cells, cells, strict=True):
        if made.stored is not None:
            cell.outputs = [nbformat.v4.new_output("display_data", data=made.stored)]
    nb.cells = [cell for cell in nb.cells if cell.cell_type != "markdown" or cell.source.strip()]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            attach_screenshots(cell)
    for number, cell in enumerate(nb.cells):
        cell.id = f"cell-{number:03d}"
        # jupytext's layout hints (lines_to_next_cell, ...) go; the tags the cells were made with stay.
        cell.metadata = {key: value for key, value in cell.metadata.items() if key == "tags"}
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}}
    nbformat.validate(nb)
    return nb


#: A picture of docs/images as a notebook's Markdown links it (after rewrite_links).
SCREENSHOT = re.compile(r"(!\[[^\]]*\])\(\.\./\.\./images/([^)\s/]+\.png)\)")


def attach_screenshots(cell: nbformat.NotebookNode) -> None:
    """Put every docs/images PNG the Markdown ``cell`` shows into the cell (``attachment:NAME``)."""
    attachments: dict[str, dict[str, str]] = {}

    def one(match: re.Match[str]) -> str:
        name = match.group(2)
        attachments[name] = {"image/png": base64.b64encode((DOCS / "images" / name).read_bytes()).decode("ascii")}
        return f"{match.group(1)}(attachment:{name})"

    cell.source = SCREENSHOT.sub(one, cell.source)
    if attachments:
        cell.attachments = attachments


def notebook_text(page: Path, lang: str) -> str:
    return nbformat.writes(notebook(page, lang)) + "\n"


def title(page: Path) -> str:
    return page.read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()


def colab(lang: str, name: str) -> str:
    url = COLAB.format(repository=REPOSITORY, branch=BRANCH, lang=lang, name=name)
    return f"[![{text('notebooks.index.colab', lang)}]({BADGE})]({url})"


def index_section(lang: str) -> str:
    """The notebooks section of docs/LANG/README.md."""
    rows = [f"| {title(page)} | [{page.stem}.ipynb](../notebooks/{lang}/{page.stem}.ipynb) | "
            f"{colab(lang, page.stem + '.ipynb')} |" for page in pages(lang)]
    head = text("notebooks.index.head", lang)
    return "\n".join([text("notebooks.index.intro", lang), "", head, "|---|---|---|", *rows])


def readme_section() -> str:
    """The notebooks section of the README: each chapter in both languages."""
    numbers = sorted({page.name[:2] for lang in LANGS for page in pages(lang)})
    rows = []
    for number in numbers:
        cells = []
        for lang in LANGS:
            found = [page for page in pages(lang) if page.name[:2] == number]
            cells.append(" ".join(f"[{page.stem}](docs/notebooks/{lang}/{page.stem}.ipynb) "
                                  f"{colab(lang, page.stem + '.ipynb')}" for page in found))
        rows.append(f"| {number} | {' | '.join(cells)} |")
    head = text("notebooks.index.readme_head", "en")
    return "\n".join([text("notebooks.index.readme_intro", "en"), "", head, "|---|---|---|", *rows])


def with_section(document: str, section: str, where: Path) -> str:
    if START not in document or END not in document:
        raise SystemExit(f"{where}: no notebooks section (the lines {START} and {END})")
    before, rest = document.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{section}\n{END}{after}"


def outputs() -> dict[Path, str]:
    """Every file this script writes, with its text."""
    made: dict[Path, str] = {}
    for lang in LANGS:
        for page in pages(lang):
            content = notebook_text(page, lang)
            for out in OUTPUTS:
                made[out / lang / f"{page.stem}.ipynb"] = content
        index = DOCS / lang / "README.md"
        made[index] = with_section(index.read_text(encoding="utf-8"), index_section(lang), index)
    readme = ROOT / "README.md"
    made[readme] = with_section(readme.read_text(encoding="utf-8"), readme_section(), readme)
    return made


def stale() -> list[Path]:
    """Files that differ from what this script makes, and notebooks no page makes."""
    made = outputs()
    found = [path for path, content in made.items()
             if not path.exists() or path.read_text(encoding="utf-8") != content]
    found += [path for out in OUTPUTS for path in sorted(out.glob("*/*.ipynb")) if path not in made]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    if args.check:
        found = stale()
        for path in found:
            print(f"out of date: {path.relative_to(ROOT)}", file=sys.stderr)
        return 1 if found else 0
    made = outputs()
    for out in OUTPUTS:
        for path in out.glob("*/*.ipynb"):
            if path not in made:
                path.unlink()  # its page is gone
    for path, content in made.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
