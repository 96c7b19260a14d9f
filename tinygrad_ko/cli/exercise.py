"""``tinygrad-ko exercise`` writes a starter file; ``tinygrad-ko check`` checks a learner's own file.

``exercise KIND`` copies the starter of one of the chapter's classes (``starters/LANG/KIND.py``,
package data: the book's class with ``forward`` as the book gives it and ``backward`` left to
write, raising NotImplementedError with a hint) to ``mul_layer.py`` etc., never over an existing
file unless ``--force``.  ``check FILE.py`` imports the file under a module name of its own (so its
``if __name__ == "__main__":`` block does not run), finds the classes with the book's names and a
class named ``Value``, and prints :mod:`tinygrad_ko.exercises`' report for each.

Exit codes: 0 every class passes (warnings allowed), 1 a class has an error finding, 2 the
file cannot be read or loaded or holds none of the known classes (and every usage mistake).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import inspect
import os
import re
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

from ..messages import ENV_VAR, LANGS, LocalizedValueError, text
from ..outputs import check_writable, utf8_bytes, write_atomically, write_new_file
from ..text import visible_text

__all__ = ["CHECKED_CLASSES", "STARTERS", "Starter", "add_commands", "run_check", "run_exercise", "starter_text"]


@dataclass(frozen=True)
class Starter:
    """One exercise: the class the learner writes, the check's kind for it, the default file name."""

    class_name: str
    check_kind: str  # check_layer's kind, or "value" for check_value_class
    file_name: str


#: The exercises by the command's KIND, in the chapter's order.
STARTERS: dict[str, Starter] = {
    "mul": Starter("MulLayer", "mul", "mul_layer.py"),
    "add": Starter("AddLayer", "add", "add_layer.py"),
    "relu": Starter("Relu", "relu", "relu_layer.py"),
    "sigmoid": Starter("Sigmoid", "sigmoid", "sigmoid_layer.py"),
    "affine": Starter("Affine", "affine", "affine_layer.py"),
    "softmax": Starter("SoftmaxWithLoss", "softmax_with_loss", "softmax_layer.py"),
    "value": Starter("Value", "value", "value_class.py"),
}

#: The class names ``check`` looks for, and the check's kind of each.
CHECKED_CLASSES: dict[str, str] = {starter.class_name: starter.check_kind for starter in STARTERS.values()}

# The module name a checked file is imported under: not "__main__", so its main block stays still.
_MODULE_PREFIX = "tinygrad_ko_checked_"


def add_commands(commands: Any, lang: str) -> None:
    """Add ``exercise`` and ``check`` to the command's subparsers (``commands``), help texts in ``lang``."""
    names = ", ".join(CHECKED_CLASSES)
    exercise = commands.add_parser("exercise", lang=lang, help=text("exercises.command.help.exercise", lang),
                                   description=text("exercises.command.help.exercise_description", lang))
    exercise.add_argument("kind", choices=STARTERS, metavar="{" + ",".join(STARTERS) + "}",
                          help=text("exercises.command.help.kind", lang))
    exercise.add_argument("-o", "--output", metavar="FILE.py", help=text("exercises.command.help.output", lang))
    exercise.add_argument("--force", action="store_true", help=text("exercises.command.help.force", lang))
    exercise.add_argument("--lang", choices=LANGS, default=lang,
                          help=text("exercises.command.help.exercise_lang", lang, env=ENV_VAR))
    check = commands.add_parser("check", lang=lang, help=text("exercises.command.help.check", lang),
                                description=text("exercises.command.help.check_description", lang, names=names))
    check.add_argument("file", metavar="FILE.py", help=text("exercises.command.help.file", lang))
    # The command's name for the error lines printed here (argparse's prog is "PROG check").
    check.set_defaults(prog=check.prog.rpartition(" ")[0])
    check.add_argument("--lang", choices=LANGS, default=lang,
                       help=text("exercises.command.help.check_lang", lang, env=ENV_VAR))


def starter_text(kind: str, lang: str, file_name: str | None = None) -> str:
    """The starter file of ``kind`` in ``lang``, naming ``file_name`` where it says how to run itself.

    The name goes into the starter's docstring only when nothing in it can end or escape
    that string (a quote, a backslash, a control character); otherwise the default name stays.
    """
    starter = STARTERS[kind]
    folder = resources.files(__package__).joinpath("starters").joinpath(lang)
    source = folder.joinpath(f"{kind}.py").read_text(encoding="utf-8")
    name = Path(file_name).name if file_name else starter.file_name
    if name.isprintable() and not set(name) & {'"', "\\"}:
        source = source.replace(starter.file_name, name)
    return source


def run_exercise(args: argparse.Namespace) -> int:
    """``tinygrad-ko exercise KIND``: write the starter file; a user's mistake is a Localized error."""
    lang = args.lang
    starter = STARTERS[args.kind]
    name = starter.file_name if args.output is None else args.output
    if not name.lower().endswith(".py"):
        raise LocalizedValueError("exercises.command.output_not_py", name=name)
    path = check_writable(name, text("exercises.command.what_starter", lang))
    source = utf8_bytes(starter_text(args.kind, lang, name))
    what = text("exercises.command.what_starter", lang)
    if args.force:
        write_atomically(path, source, what)
    else:
        # One step that checks and creates: a file made since the check above is kept too.
        try:
            write_new_file(path, source, what)
        except FileExistsError:
            raise LocalizedValueError("exercises.command.exists", name=name) from None
    print(text("exercises.command.wrote", lang, path=visible_text(name), class_name=starter.class_name))
    return 0


def _python_path(name: str) -> Path:
    """``name`` as the .py file to check; a missing file, a folder or another kind of file is a ValueError."""
    path = Path(name)
    if path.is_dir():
        raise LocalizedValueError("exercises.command.check_folder", name=name)
    if not path.exists():
        raise LocalizedValueError("exercises.command.check_missing", name=name)
    if path.suffix.lower() != ".py":
        raise LocalizedValueError("exercises.command.check_not_py", name=name)
    return path


@contextlib.contextmanager
def _as_a_script(path: Path) -> Iterator[None]:
    """While the file is imported: its folder first on sys.path and sys.argv its name, as ``python FILE``
    would have them (a learner's file may import a module beside it), and no __pycache__ left beside it."""
    saved = list(sys.path), list(sys.argv), sys.dont_write_bytecode
    sys.path.insert(0, str(path.resolve().parent))
    sys.argv[:] = [str(path)]
    sys.dont_write_bytecode = True
    try:
        yield
    finally:
        sys.path[:], sys.argv[:], sys.dont_write_bytecode = saved


def _learners_traceback(error: BaseException, path: Path) -> str:
    """The traceback Python would print for ``error``, from the first line of the learner's file on."""
    frames = traceback.extract_tb(error.__traceback__)
    mine = os.path.realpath(path)
    start = next((i for i, frame in enumerate(frames) if os.path.realpath(frame.filename) == mine), len(frames))
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames[start:])] if start < len(frames) \
        else []
    return "".join([*lines, *traceback.format_exception_only(type(error), error)]).rstrip("\n")


def _say(prog: str, lang: str, message: str) -> None:
    """``message`` on stderr as the command's error line; Python's own lines follow it unchanged."""
    # Every line through visible_text, as the command's other messages: the learner's code is quoted.
    line = text("cli.error_line", lang, prog=prog, message=message)
    print("\n".join(visible_text(part) for part in line.splitlines()), file=sys.stderr)


def _load(path: Path, lang: str, prog: str) -> ModuleType | None:
    """The learner's file imported as a module, or None after saying on stderr why it could not be."""
    module_name = _MODULE_PREFIX + re.sub(r"\W", "_", path.stem)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py path always has a source loader
        raise LocalizedValueError("exercises.command.check_not_py", name=str(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # so that the learner's dataclasses and pickles find their module
    with _as_a_script(path):
        try:
            spec.loader.exec_module(module)
        except SyntaxError as error:  # also a file that is not UTF-8, and IndentationError
            shown = "".join(traceback.format_exception_only(type(error), error)).rstrip("\n")
            _say(prog, lang, text("exercises.command.syntax_error", lang, name=visible_text(str(path)), python=shown))
            return None
        except (Exception, SystemExit) as error:  # the learner's code raised (or exited) while importing
            if isinstance(error, OSError) and error.filename is not None and \
                    os.path.realpath(error.filename) == os.path.realpath(path):
                raise  # the file itself cannot be read: the command's one-line OS error
            _say(prog, lang, text("exercises.command.import_error", lang, name=visible_text(str(path)),
                                  python=_learners_traceback(error, path)))
            return None
    return module


def _known_classes(module: ModuleType) -> list[tuple[str, type]]:
    """The classes under the checked names, in the order the file defines (or imports) them."""
    return [(name, value) for name, value in vars(module).items() if name in CHECKED_CLASSES and inspect.isclass(value)]


def run_check(args: argparse.Namespace) -> int:
    """``tinygrad-ko check FILE.py``: import the file, check each known class, print a report for each."""
    lang = args.lang
    path = _python_path(args.file)
    module = _load(path, lang, args.prog)
    if module is None:
        return 2
    found = _known_classes(module)
    if not found:
        raise LocalizedValueError("exercises.command.no_class", name=str(path), names=", ".join(CHECKED_CLASSES))
    from ..exercises import check_layer, check_value_class

    failed = 0
    for number, (name, cls) in enumerate(found):
        kind = CHECKED_CLASSES[name]
        report = check_value_class(cls, lang=lang) if kind == "value" else check_layer(cls, kind, lang=lang)
        if number:
            print()
        print(report)  # its headline names the class
        failed += not report
    return 1 if failed else 0
