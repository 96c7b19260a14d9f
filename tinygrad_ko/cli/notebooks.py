"""``tinygrad-ko notebooks DIR [--lang ko] [--force]``: copy the tutorial notebooks out of the package.

A learner who installed tinygrad_ko from pip has no repository, so the wheel carries the notebooks
(``tinygrad_ko/notebooks/LANG/NN-*.ipynb``, made from the tutorial pages by ``docs/make_notebooks.py``).
They are copied into DIR itself, one language at a time. A notebook already in DIR that differs from
the shipped one may hold the learner's work: it is kept, and said so, unless ``--force`` is given.
Exit code 0 when DIR holds every shipped notebook, 1 when some were kept, 2 for a mistake.
"""

from __future__ import annotations

import argparse
import sys
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..messages import ENV_VAR, LANGS, LocalizedValueError, text
from ..outputs import write_atomically, write_new_file

if TYPE_CHECKING:  # only read by the type checker
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

__all__ = ["add_notebooks_command", "run_notebooks", "shipped_notebooks"]


def add_notebooks_command(commands: Any, lang: str) -> None:
    """Add the ``notebooks`` command to the parser's ``commands`` (its subparsers), its help in ``lang``."""
    command = commands.add_parser("notebooks", lang=lang, help=text("notebooks.help", lang),
                                  description=text("notebooks.help_description", lang))
    command.add_argument("dir", metavar="DIR", help=text("notebooks.help_dir", lang))
    command.add_argument("--lang", choices=LANGS, default=lang, help=text("notebooks.help_lang", lang, env=ENV_VAR))
    command.add_argument("--force", action="store_true", help=text("notebooks.help_force", lang))


def shipped_notebooks(lang: str) -> list[Traversable]:
    """The notebooks of ``lang`` that this installation carries, in chapter order."""
    folder = files("tinygrad_ko") / "notebooks" / lang
    found = sorted((item for item in folder.iterdir() if item.name.endswith(".ipynb")), key=lambda item: item.name) \
        if folder.is_dir() else []
    if not found:
        raise LocalizedValueError("notebooks.missing", lang=lang)
    return found


def run_notebooks(args: argparse.Namespace) -> int:
    """Copy the notebooks of ``args.lang`` into ``args.dir``; see the module's docstring for the exit codes."""
    lang: str = args.lang
    folder = Path(args.dir)
    if folder.exists() and not folder.is_dir():
        raise LocalizedValueError("notebooks.not_a_folder", path=str(folder))
    notebooks = shipped_notebooks(lang)
    folder.mkdir(parents=True, exist_ok=True)
    kept = 0
    for notebook in notebooks:
        data = notebook.read_bytes()
        target = folder / notebook.name
        if target.is_file() and target.read_bytes() == data:
            print(text("notebooks.unchanged", lang, path=str(target)))
            continue
        try:
            if args.force:
                write_atomically(target, data, text("notebooks.what", "en"))
            else:  # checks and creates in one step, as `exercise` does: a notebook saved meanwhile is kept too
                write_new_file(target, data, text("notebooks.what", "en"))
        except FileExistsError:
            print(text("notebooks.kept", lang, path=str(target)), file=sys.stderr)
            kept += 1
            continue
        print(text("notebooks.wrote", lang, path=str(target)))
    print(text("notebooks.summary", lang, count=len(notebooks), dir=str(folder)))
    if kept:
        print(text("notebooks.kept_summary", lang, kept=kept, count=len(notebooks)), file=sys.stderr)
        return 1
    return 0
