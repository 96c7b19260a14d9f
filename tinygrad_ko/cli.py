"""The ``tinygrad-ko`` command (``python -m tinygrad_ko`` does the same).

``tinygrad-ko demo [-o FILE] [--lang ko|en]`` draws the chapter's apple/orange
example; ``tinygrad-ko graph "EXPR" NAME=VALUE ... [-o FILE]`` draws any
expression.  Both run forward and backward, print a table of every node and
write the drawing.  A user's mistake is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import math
import sys
import unicodedata
import warnings
from collections.abc import Sequence
from typing import NoReturn

from .dot import format_number
from .engine import Value
from .examples import LANGS, apple_orange
from .explain import explain
from .expr import FUNCTIONS, build
from .graph import topological_order
from .ops import OPS
from .render import (
    DEFAULT_TIMEOUT,
    ENGINE_ENV_VAR,
    FORMATS,
    EngineError,
    EngineNotFoundError,
    EngineTimeoutError,
    find_engine,
    render,
)
from .steps import write_steps
from .textwidth import display_width, pad

__all__ = ["main"]

PROG = "tinygrad-ko"

_HEADERS = {"en": ("label", "op", "data", "grad"), "ko": ("이름", "연산", "값", "기울기")}
_WROTE = {
    "en": "wrote {path} (Graphviz engine: {engine})",
    "ko": "{path} 파일을 만들었습니다 (Graphviz 엔진: {engine})",
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr (exit code 2), not usage text."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments: -"):
            # argparse reads an expression such as "-x*2" as an option.
            message += f'; an EXPR starting with - goes after --, options before it: {PROG} graph -o FILE -- "-x*2" x=3'
        self.exit(2, f"{PROG}: error: {message} (see {self.prog} --help)\n")


def table(root: Value, lang: str = "en") -> str:
    """Every node of the graph ending at ``root``, inputs first: label, op, data and grad in full precision.

    >>> from tinygrad_ko import Value
    >>> x = Value(2.0, label="x"); y = x * x; y.backward()
    >>> print(table(y))
    label  op  data  grad
    x          2.0   4.0
           *   4.0   1.0
    """
    rows = [_HEADERS[lang]]
    for node in reversed(topological_order(root)):
        op = OPS[node.op].symbol if node.op else ""
        rows.append((node.label, op, format_number(node.data, None), format_number(node.grad, None)))
    widths = [max(display_width(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join(pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def _parse_assignment(text: str) -> tuple[str, float]:
    name, sep, number = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise ValueError(f"{text!r} is not NAME=VALUE (e.g. x=3 or 사과=100)")
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"the value of {name} is not a number: {number!r}") from None
    if not math.isfinite(value):
        # float() reads "nan", "inf" and 1e999 (as inf) without a word.
        raise ValueError(f"the value of {name} is not a finite number: {number!r}; give a number between "
                         f"about -1.8e308 and 1.8e308 (inf and nan are not allowed)")
    return name, value


def _seconds(text: str) -> float | None:
    """The --timeout value: seconds (a positive number), or None for 0 (no limit)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value == 0 or 0 < value < math.inf):
        raise argparse.ArgumentTypeError(f"must be a number of seconds (0 for no limit), got {text!r}")
    return value or None


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Draw a computational graph (계산 그래프) with every forward value "
                     f"and gradient. The Graphviz engine is the system dot, else graphviz-pure; "
                     f"set {ENGINE_ENV_VAR} to choose another.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{demo,graph}")
    formats = "/".join(FORMATS)
    demo = commands.add_parser("demo", help="the chapter's apple/orange example (사과와 귤)",
                               description="Draw the chapter's apple/orange example, forward and backward.")
    demo.add_argument("-o", "--output", default="apple.svg", metavar="FILE",
                      help=f"the drawing to write, {formats} by its suffix (default: apple.svg)")
    demo.add_argument("--lang", choices=LANGS, default="en", help="language of the labels and table (default: en)")
    graph = commands.add_parser(
        "graph", help="draw any expression, e.g. graph \"x*y + relu(x)\" x=2 y=3",
        description=f"Compute EXPR forward and backward and draw it. EXPR may use numbers, names, "
                    f"+ - * / **, unary - and {', '.join(FUNCTIONS)}. An EXPR that starts with - goes after --, "
                    f'with any options before it: {PROG} graph -o out.svg -- "-x*2" x=3',
    )
    graph.add_argument("expr", metavar="EXPR", help='the expression, e.g. "(사과*사과_개수 + 귤*귤_개수)*소비세"')
    graph.add_argument("values", nargs="*", metavar="NAME=VALUE", help="a number for every name in EXPR")
    graph.add_argument("-o", "--output", default="graph.svg", metavar="FILE",
                       help=f"the drawing to write, {formats} by its suffix (default: graph.svg)")
    graph.add_argument("--lang", choices=LANGS, default="en",
                       help="language of the table, --explain and --steps (default: en)")
    for command in (demo, graph):
        command.add_argument("--explain", action="store_true",
                             help="also print the forward and backward passes one step a line (in --lang)")
        command.add_argument("--steps", metavar="FILE.html",
                             help="also write a step-through page: one HTML file, no network needed")
        command.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                             help=f"stop the Graphviz engine after SECONDS per drawing (default: {DEFAULT_TIMEOUT:g}; "
                                  f"0: no limit)")
    return parser


def _run(args: argparse.Namespace) -> None:
    if args.command == "demo":
        root = apple_orange(args.lang).price
    else:
        values: dict[str, float] = {}
        spelled: dict[str, str] = {}  # each name as Python reads it (NFKC) -> as typed
        for text in args.values:
            name, number = _parse_assignment(text)
            key = unicodedata.normalize("NFKC", name)
            if key in spelled:
                raise ValueError(f"{name} is given a value twice" if spelled[key] == name else
                                 f"{spelled[key]} and {name} are the same name (equal after NFKC normalisation, "
                                 f"as Python compares names): give {key} one value")
            values[name], spelled[key] = number, name
        root, _ = build(args.expr, values)
    root.backward()
    # render first: a bad path is reported without a table before it
    path = render(root, args.output, timeout=args.timeout)
    page = write_steps(root, args.steps, lang=args.lang, timeout=args.timeout) if args.steps else None
    print(table(root, args.lang))
    print(_WROTE[args.lang].format(path=path, engine=find_engine()))
    if args.explain:
        print(explain(root, args.lang))
    if page is not None:
        print(_WROTE[args.lang].format(path=page, engine=find_engine()))


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: object = None, line: str | None = None) -> None:
    # One line, without the source location a command-line user has no use for.
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: the command line); return the exit code."""
    args = _parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            _run(args)
        except EngineTimeoutError as error:
            print(f"{PROG}: error: the Graphviz engine {error.program} was stopped after {error.timeout:g} s "
                  f"(--timeout {error.timeout:g}): laying out this graph takes too long. Layout time grows steeply "
                  f"with a graph's size, above all when one value feeds many operations far apart (e.g. x+x+...+x); "
                  f"draw a smaller expression, or allow more time with a larger --timeout SECONDS (0: no limit)",
                  file=sys.stderr)
            return 2
        except (ValueError, TypeError, ArithmeticError, OSError, EngineError, EngineNotFoundError) as error:
            # One line even when the message quotes an engine's multi-line stderr.
            print(f"{PROG}: error: {'; '.join(str(error).splitlines())}", file=sys.stderr)
            return 2
    return 0
