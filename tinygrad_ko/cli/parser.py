"""The command line's parser: argparse in the user's language, and the option converters written once.

Every sentence argparse prints comes from the catalogs' ``[cli]`` section.  argparse's own
fixed templates (``usage: ``, ``invalid choice: ...``, ``the following arguments are
required: ...``) are translated by their msgid, as gettext does for any program that
installs a translation: while the parser runs, argparse's ``_`` looks the msgid up in
:data:`ARGPARSE_IDS` (the English catalog holds argparse's msgid itself).  No text of
ours or of argparse is parsed back.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

from ..draw.dot import STYLES
from ..draw.render import DEFAULT_DPI, DEFAULT_TIMEOUT, ENGINE_ENV_VAR, FORMATS, MAX_TIMEOUT
from ..expr import FUNCTIONS
from ..messages import ENV_VAR, LANGS, text

__all__ = ["ARGPARSE_IDS", "MAX_ORDER", "PROG", "build_parser", "lang_of", "parse"]

PROG = "tinygrad-ko"

#: The highest ``--order``.  Each order's graph holds the previous one, so a derivative
#: that keeps changing passes the drawing's MAX_NODES long before this; one that becomes
#: a constant stops early (see :func:`~tinygrad_ko.functional.derivative`).
MAX_ORDER = 1_000

#: argparse's msgids (its fixed English templates) and their ids in the catalogs.
ARGPARSE_IDS = {
    "usage: ": "cli.argparse.usage",
    "options": "cli.argparse.options",
    "positional arguments": "cli.argparse.positional",
    "show this help message and exit": "cli.argparse.help",
    "argument %(argument_name)s: %(message)s": "cli.argparse.argument",
    "invalid choice: %(value)r (choose from %(choices)s)": "cli.argparse.choice",
    "invalid %(type)s value: %(value)r": "cli.argparse.invalid",
    "the following arguments are required: %s": "cli.argparse.required",
    "expected one argument": "cli.argparse.one",
    "expected at most one argument": "cli.argparse.at_most_one",
    "expected at least one argument": "cli.argparse.at_least_one",
    "ambiguous option: %(option)s could match %(matches)s": "cli.argparse.ambiguous",
    "ignored explicit argument %r": "cli.argparse.ignored",
    "not allowed with argument %s": "cli.argparse.not_allowed",
}


@contextmanager
def _argparse_in(lang: str) -> Iterator[None]:
    """While the block runs, argparse's templates are the catalog's (gettext's msgid lookup)."""
    if lang == "en":
        yield
        return
    english = argparse._  # type: ignore[attr-defined]

    def translate(msgid: str) -> str:
        key = ARGPARSE_IDS.get(msgid)
        return english(msgid) if key is None else text(key, lang)

    argparse._ = translate  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._ = english  # type: ignore[attr-defined]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr (exit code 2), not usage text."""

    def __init__(self, *args: Any, lang: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lang = lang

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None) -> tuple[argparse.Namespace, list[str]]:
        with _argparse_in(self.lang):
            return super().parse_known_args(args, namespace)

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:
            # argparse reads an expression such as "-x*2" as an option: say where it goes.
            key = "cli.unrecognized_dash" if any(arg.startswith("-") for arg in extra) else "cli.unrecognized"
            self.error(text(key, self.lang, args=" ".join(extra), prog=PROG))
        return parsed

    def format_help(self) -> str:
        with _argparse_in(self.lang):
            return super().format_help()

    def format_usage(self) -> str:
        with _argparse_in(self.lang):
            return super().format_usage()

    def error(self, message: str) -> NoReturn:
        self.exit(2, text("cli.usage_error", self.lang, prog=PROG, message=message, command=self.prog) + "\n")


T = TypeVar("T")


def _converter(read: Callable[[str], T], checks: Sequence[tuple[Callable[[T], bool], str]], lang: str,
               unreadable: str, name: str, **params: Any) -> Callable[[str], T]:
    """An option's type: ``read`` the text, then each check in turn; each failure is its catalog sentence."""

    def convert(given: str) -> T:
        try:
            value = read(given)
        except ValueError:
            raise argparse.ArgumentTypeError(text(unreadable, lang, got=given, **params)) from None
        for accept, key in checks:
            if not accept(value):
                raise argparse.ArgumentTypeError(text(key, lang, got=given, value=value, **params))
        return value

    convert.__name__ = name  # argparse names a converter by its __name__
    return convert


def _float_or_nan(given: str) -> float:
    try:
        return float(given)
    except ValueError:
        return math.nan


def _sizes(given: str) -> tuple[int, ...]:
    return tuple(int(part) for part in given.split(","))


def _converters(lang: str) -> dict[str, Callable[[str], Any]]:
    positive = _converter(int, [(lambda n: n >= 1, "cli.option.positive_int")], lang, "cli.option.positive_int",
                          "positive_int")
    seed = _converter(int, [(lambda n: n >= 0, "cli.option.seed")], lang, "cli.option.seed", "seed")
    lr = _converter(float, [(lambda v: 0.0 < v < math.inf, "cli.option.lr_range")], lang, "cli.option.lr", "lr")
    hidden = _converter(_sizes, [(lambda sizes: all(n >= 1 for n in sizes), "cli.option.hidden_positive")], lang,
                        "cli.option.hidden", "hidden")
    seconds = _converter(_float_or_nan, [(lambda v: v == 0 or 0 < v <= MAX_TIMEOUT, "cli.option.seconds")], lang,
                         "cli.option.seconds", "seconds", limit=f"{MAX_TIMEOUT:,.0f}")
    order = _converter(int, [(lambda n: n >= 0, "cli.option.order_negative"),
                             (lambda n: n <= MAX_ORDER, "cli.option.order_too_high")], lang,
                       "cli.option.order", "order", limit=MAX_ORDER)

    def timeout(given: str) -> float | None:
        return seconds(given) or None  # 0: no limit

    return {"positive": positive, "seed": seed, "lr": lr, "hidden": hidden, "timeout": timeout, "order": order}


def build_parser(lang: str = "en") -> argparse.ArgumentParser:
    """The whole command's parser, every help text in ``lang``."""
    # argparse names its option group and -h's help when a parser is made: in lang, too.
    with _argparse_in(lang):
        return _build_parser(lang)


def _build_parser(lang: str) -> argparse.ArgumentParser:
    from ..train.recipes import DATASETS, MAX_STEP_NODES, RECIPES

    convert = _converters(lang)
    parser = _Parser(prog=PROG, lang=lang, description=text("cli.help.description", lang, env=ENGINE_ENV_VAR))
    commands = parser.add_subparsers(dest="command", required=True)
    formats = "/".join(FORMATS)
    demo = commands.add_parser("demo", lang=lang, help=text("cli.help.demo", lang),
                               description=text("cli.help.demo_description", lang))
    graph = commands.add_parser("graph", lang=lang, help=text("cli.help.graph", lang),
                                description=text("cli.help.graph_description", lang,
                                                 functions=", ".join(FUNCTIONS), prog=PROG))
    graph.add_argument("expr", metavar="EXPR", help=text("cli.help.expr", lang))
    graph.add_argument("values", nargs="*", metavar="NAME=VALUE", help=text("cli.help.values", lang))
    graph.add_argument("--order", type=convert["order"], default=1, metavar="N", help=text("cli.help.order", lang))
    for command, default in ((demo, "apple.svg"), (graph, "graph.svg")):
        command.add_argument("-o", "--output", metavar="FILE",
                             help=text("cli.help.output", lang, formats=formats, default=default))
        command.add_argument("--no-draw", action="store_true", help=text("cli.help.no_draw", lang))
        command.add_argument("--lang", choices=LANGS, default=lang, help=text("cli.help.lang", lang, env=ENV_VAR))
        command.add_argument("--style", choices=STYLES, default="boxes", help=text("cli.help.style", lang))
        command.add_argument("--dpi", type=float, default=DEFAULT_DPI,
                             help=text("cli.help.dpi", lang, default=DEFAULT_DPI))
        command.add_argument("--explain", action="store_true", help=text("cli.help.explain", lang))
        # --page as in train; --steps, its first name, still works (train's --steps is a count).
        command.add_argument("--page", "--steps", dest="page", metavar="FILE.html", help=text("cli.help.page", lang))
        command.add_argument("--quiz", action="store_true", help=text("pages.quiz.help", lang))
        command.add_argument("--timeout", type=convert["timeout"], default=DEFAULT_TIMEOUT, metavar="SECONDS",
                             help=text("cli.help.timeout", lang, default=f"{DEFAULT_TIMEOUT:g}"))
    defaults = "; ".join(text("cli.help.train_default", lang, name=name, steps=r.steps, lr=f"{r.lr:g}",
                              hidden=",".join(map(str, r.hidden))) for name, r in RECIPES.items())
    train = commands.add_parser("train", lang=lang, help=text("cli.help.train", lang),
                                description=text("cli.help.train_description", lang, defaults=defaults))
    train.add_argument("dataset", choices=DATASETS, metavar="{" + ",".join(DATASETS) + "}",
                       help=text("cli.help.dataset", lang))
    train.add_argument("-o", "--output", metavar="FILE.png", help=text("cli.help.train_output", lang))
    train.add_argument("--steps", type=convert["positive"], help=text("cli.help.steps", lang))
    train.add_argument("--lr", type=convert["lr"], help=text("cli.help.lr", lang))
    train.add_argument("--hidden", type=convert["hidden"], metavar="16,16", help=text("cli.help.hidden", lang))
    train.add_argument("--seed", type=convert["seed"], default=0, help=text("cli.help.seed", lang))
    train.add_argument("--lang", choices=LANGS, default=lang, help=text("cli.help.train_lang", lang, env=ENV_VAR))
    train.add_argument("--page", metavar="FILE.html", help=text("cli.help.train_page", lang))
    train.add_argument("--batch", action="store_true", help=text("cli.help.batch", lang))
    train.add_argument("--max-nodes", type=convert["positive"], default=MAX_STEP_NODES, metavar="N",
                       help=text("cli.help.max_nodes", lang, default=f"{MAX_STEP_NODES:,}"))
    # Commands of other modules are added here, one line each (they keep their options beside their code).
    from .notebooks import add_notebooks_command
    add_notebooks_command(commands, lang)
    from .exercise import add_commands as add_exercise_commands
    add_exercise_commands(commands, lang)

    commands.metavar = "{" + ",".join(commands.choices) + "}"
    return parser


def lang_of(argv: Sequence[str]) -> str:
    """The --lang asked for, read before argparse runs, so that its own messages speak that language too.

    The last one counts, as it does for argparse: ``--lang ko --lang en`` is English throughout.
    Without --lang, the session's language (``$TINYGRAD_KO_LANG``); an unknown value there is
    English here (the command then reports it through --lang's own check).
    """
    args = list(argv)
    lang = os.environ.get(ENV_VAR, "")
    lang = lang if lang in LANGS else "en"
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args) and args[i + 1] in LANGS:
            lang = args[i + 1]
        if arg.startswith("--lang=") and arg[len("--lang="):] in LANGS:
            lang = arg[len("--lang="):]
    return lang


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """``argv`` read by the parser in the language it asks for (:func:`lang_of`)."""
    return build_parser(lang_of(argv)).parse_args(argv)
