"""The ``tinygrad-ko`` command (``python -m tinygrad_ko`` does the same).

``tinygrad-ko demo [-o FILE] [--lang ko|en]`` draws the chapter's apple/orange
example; ``tinygrad-ko graph "EXPR" NAME=VALUE ... [-o FILE]`` draws any
expression.  Both run forward and backward, print a table of every node and
write the drawing.  ``graph --order N`` chooses what is drawn: 0 the function
alone (forward only), 1 (the default) the function with its first derivatives
as grads, N >= 2 the graph of the N-th derivative (고차 미분) itself, made by
``grad(..., create_graph=True)`` and backpropagated so that it too shows data
and grad on every node.  ``tinygrad-ko train {moons,spiral,xor,digits}`` trains a
network (:mod:`tinygrad_ko.train.recipes`) and plots it (:mod:`tinygrad_ko.train.plots`).
A user's mistake is one line on stderr and exit code 2.

The command speaks ``--lang`` (the last one given), else ``$TINYGRAD_KO_LANG``, else English:
every sentence comes from the catalogs (:mod:`tinygrad_ko.messages`).  The modules:
:mod:`.parser` (argparse and the option converters), :mod:`.draw` (demo, graph), :mod:`.train`.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence

from ..datasets import MissingDependencyError
from ..draw.render import EngineError, EngineNotFoundError, EngineTimeoutError
from ..functional import derivative
from ..messages import LocalizedError, get_lang, localized, text
from ..text import table, visible_text
from .parser import MAX_ORDER, PROG, lang_of, parse
from .train import loss_text as _loss_text  # noqa: F401 (the name tests/test_train.py imports)

__all__ = ["MAX_ORDER", "derivative", "main", "table"]


def _message(error: BaseException, lang: str) -> str:
    """What to print for ``error``: its catalog sentence, or Python's own words with what failed."""
    if isinstance(error, EngineTimeoutError):
        # The command's own words: the option here is --timeout, not timeout=.
        return text("cli.timeout", lang, program=error.program, timeout=error.timeout)
    if isinstance(error, LocalizedError):
        return localized(error, lang)
    if isinstance(error, OSError):
        return text("cli.os_error", lang, detail=str(error))
    return text("cli.python_error", lang, detail=str(error))


def _runner(command: str) -> Callable[[argparse.Namespace], int]:
    """The function that runs ``command``, imported only when it runs (so ``--help`` stays quick)."""
    if command == "train":
        from .train import run_training
        return run_training
    if command == "notebooks":
        from .notebooks import run_notebooks
        return run_notebooks
    if command in ("exercise", "check"):
        from .exercise import run_check, run_exercise
        return run_exercise if command == "exercise" else run_check
    from .draw import run_drawing
    return run_drawing


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: the command line); return the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not any(arg == "--lang" or arg.startswith("--lang=") for arg in argv):
        try:
            get_lang()  # $TINYGRAD_KO_LANG naming no catalog is said, not silently English
        except LocalizedError as error:
            print(text("cli.error_line", "en", prog=PROG, message=localized(error, "en")), file=sys.stderr)
            return 2
    args = parse(argv)
    lang = args.lang if args.lang else lang_of(argv)

    def show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                     file: object = None, line: str | None = None) -> None:
        # One line, without the source location a command-line user has no use for.
        shown = localized(message, lang) if isinstance(message, BaseException) else str(message)
        print(text("cli.warning_line", lang, prog=PROG, message=shown), file=sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show_warning
        try:
            return _runner(args.command)(args)
        except KeyboardInterrupt:
            # Ctrl-C outside a training step (a drawing, a plot, a page): the files being written were removed.
            print(text("cli.interrupted_line", lang, prog=PROG), file=sys.stderr)
            return 130
        except (ValueError, TypeError, ArithmeticError, OSError, MissingDependencyError, EngineError,
                EngineNotFoundError) as error:
            # One line even when the message quotes an engine's multi-line stderr; messages quote paths
            # and input: shown as labels are, so no escape sequence reaches the terminal.
            message = "; ".join(_message(error, lang).splitlines())
            print(text("cli.error_line", lang, prog=PROG, message=visible_text(message)), file=sys.stderr)
            return 2
