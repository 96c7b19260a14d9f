"""``tinygrad-ko train``: train a network (:mod:`tinygrad_ko.train.recipes`) and plot it."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..messages import LocalizedValueError, catalog, text
from ..outputs import OutputPathError, check_writable, write_all
from ..text import format_number, visible_text
from .parser import PROG

__all__ = ["loss_text", "run_training"]


def loss_text(loss: float) -> str:
    """A loss as the train command prints it: four decimals in the usual range, else 4 significant digits.

    ``--lr 1e30`` makes losses of 1e30 and more, which four decimals would print with 40 digits.
    """
    if loss == 0.0 or 1e-4 <= abs(loss) < 1e5:
        return f"{loss:.4f}"
    return format_number(loss, 4)


def _is_terminal(stream: Any) -> bool:
    """True if ``stream`` is an open terminal (it is None when the shell closed it: ``>&-``)."""
    return stream is not None and stream.isatty()


def _checked_path(name: str, what: str, lang: str) -> Path:
    """``check_writable`` naming the file in the user's language (``what``: the id of its name).

    Its OutputPathError is a Localized error of the draw floor's catalog section (``draw.path_*``),
    shown by :func:`~tinygrad_ko.cli.main` in the user's language.
    """
    return check_writable(name, text(what, lang))


@contextmanager
def _ctrl_c_ends_the_step() -> Iterator[Callable[[], bool]]:
    """While the block runs, Ctrl-C asks the training loop to stop after the current step.

    The first SIGINT only sets a flag (read by the loop after each step); a
    second one raises KeyboardInterrupt as usual, for a step that takes too long.
    """
    pressed = []

    def handler(signum: int, frame: object) -> None:
        pressed.append(signum)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: Ctrl-C keeps its usual meaning
        yield lambda: False
        return
    try:
        yield lambda: bool(pressed)
    finally:
        signal.signal(signal.SIGINT, previous)


def run_training(args: argparse.Namespace) -> int:
    """The train command: exit code 0, 1 (diverged) or 130 (Ctrl-C); a user's mistake is a Localized error."""
    from ..train.plots import plot_png
    from ..train.recipes import RECIPES, describe_plan, train

    lang = args.lang
    output = f"{args.dataset}.png" if args.output is None else args.output
    if output != "" and not output.lower().endswith(".png"):
        raise LocalizedValueError("cli.png", output=output)
    # Every output path is checked before training, which can take minutes.
    output_path = _checked_path(output, "cli.picture", lang)
    page_path = None
    if args.page is not None:
        if args.page != "" and not args.page.lower().endswith((".html", ".htm")):
            raise LocalizedValueError("cli.html", page=args.page)
        page_path = _checked_path(args.page, "cli.page", lang)
    # The bar goes to stderr; only when both streams are a terminal (not when output is piped or logged).
    progress = _is_terminal(sys.stdout) and _is_terminal(sys.stderr)

    def header() -> None:
        # What is about to be trained, once train() has accepted the options and before the
        # (maybe long) training; flushed, so that a pipe sees it at once too.
        print(describe_plan(args.dataset, args.hidden, catalog(lang)["cli.train.params"]), flush=True)

    options = {"steps": args.steps, "lr": args.lr, "hidden": args.hidden, "seed": args.seed, "progress": progress,
               "batch": args.batch, "max_nodes": args.max_nodes, "on_start": header, "lang": lang}
    recording = None
    with _ctrl_c_ends_the_step() as stop:
        if page_path is not None:
            from ..pages.training import record, training_page

            recording = record(args.dataset, **options, stop=stop)
            run = recording.run
        else:
            run = train(args.dataset, **options, stop=stop)
    done = len(run.losses)
    problem = kept = ""
    if run.diverged_at is not None:
        lr, default = run.recipe.lr, RECIPES[run.dataset].lr
        problem = text("cli.train.diverged", lang, step=run.diverged_at, loss=run.diverged_loss, lr=lr,
                       smaller=default if lr > default else lr / 10)
        kept = text("cli.train.diverged_kept", lang, done=done)
    elif run.interrupted:
        problem = text("cli.train.interrupted", lang, done=done, steps=run.recipe.steps)
        kept = text("cli.train.interrupted_kept", lang, done=done)
    exit_code = 1 if run.diverged_at is not None else 130 if run.interrupted else 0
    if done == 0:  # diverged at the first step: no curve, no model worth drawing
        print(text("cli.train.nothing_line", lang, prog=PROG, problem=problem), file=sys.stderr)
        return exit_code
    print(text("cli.train.loss", lang, first=loss_text(run.losses[0]), last=loss_text(run.losses[-1]), steps=done))
    accuracy = text("cli.train.accuracy", lang, train=run.train_accuracy, test=run.test_accuracy)
    files = [(output_path, plot_png(run, lang=lang), text("cli.picture", lang))]
    if recording is not None and page_path is not None:
        # The page shows the same last line the command prints.
        files.append((page_path, training_page(recording, lang=lang, final_line=accuracy), text("cli.page", lang)))
    try:
        write_all(files)  # all of them or none
    except OutputPathError as error:
        if len(files) > 1:
            raise LocalizedValueError("cli.path_none_written", what=error.what, name=error.name,
                                      detail=error.detail) from None
        raise
    for path, _, _ in files:
        print(text("cli.train.wrote", lang, path=visible_text(str(path))))
    print(accuracy)
    if problem:
        key = "cli.train.problem_error" if exit_code == 1 else "cli.train.problem_warning"
        print(text(key, lang, prog=PROG, problem=problem, kept=kept), file=sys.stderr)
    return exit_code
