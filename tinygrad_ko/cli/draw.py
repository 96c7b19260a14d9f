"""``tinygrad-ko demo`` and ``tinygrad-ko graph``: compute, print the table, draw, explain, write a page."""

from __future__ import annotations

import argparse
import sys
import unicodedata

from ..draw.dot import MAX_NODES
from ..draw.render import draw, find_engine, render
from ..engine import Value
from ..examples import apple_orange
from ..explain import explain
from ..expr import build, parse_assignment
from ..functional import derivative
from ..messages import LocalizedValueError, text
from ..pages.steps import write_steps
from ..text import table, visible_text

__all__ = ["run_drawing"]


def _values(assignments: list[str]) -> dict[str, float]:
    values: dict[str, float] = {}
    spelled: dict[str, str] = {}  # each name as Python reads it (NFKC) -> as typed
    for assignment in assignments:
        name, number = parse_assignment(assignment)
        key = unicodedata.normalize("NFKC", name)  # the name as Python reads it: ｘ is x
        if key in spelled:
            if spelled[key] == name:
                raise LocalizedValueError("cli.twice", name=name)
            raise LocalizedValueError("cli.same_name", first=spelled[key], name=name, key=key)
        values[name], spelled[key] = number, name
    return values


def run_drawing(args: argparse.Namespace) -> int:
    """The demo and graph commands; a user's mistake is a Localized error (the caller prints it)."""
    lang = args.lang
    for option, given in (("-o/--output", args.output), ("--page/--steps", args.page)):
        if given == "":  # not the default name, and not "no file"
            raise LocalizedValueError("cli.empty", option=option)
    if args.quiz and not args.page:  # the quiz is a mode of the step page: no page, no quiz
        raise LocalizedValueError("pages.quiz.no_page")
    if args.no_draw and args.output is not None:
        raise LocalizedValueError("cli.no_draw")
    if args.output == "-" and sys.stdout is None:
        raise LocalizedValueError("cli.closed_stdout")
    output = args.output
    if output is None and not (args.no_draw or args.explain or args.page):
        output = "apple.svg" if args.command == "demo" else "graph.svg"
    root: Value
    if args.command == "demo":
        root = apple_orange(lang).price
    else:
        root, leaves = build(args.expr, _values(args.values))
        if args.order >= 2:
            if len(leaves) != 1:
                if leaves:
                    raise LocalizedValueError("cli.order_names", order=args.order, names=", ".join(leaves))
                raise LocalizedValueError("cli.order_no_names", order=args.order)
            root = derivative(root, next(iter(leaves.values())), args.order, max_nodes=MAX_NODES)
    order = getattr(args, "order", 1)  # demo has no --order: today's drawing
    if order >= 1 and root.requires_grad:  # a constant derivative (that of x*x at order 3) has no graph to walk
        root.backward()
    options = {"lang": lang, "style": args.style, "dpi": args.dpi, "show_grad": order >= 1, "timeout": args.timeout}
    # With -o -, standard output holds the SVG alone; the text goes to standard error.
    text_out = sys.stderr if output == "-" else sys.stdout
    path = None
    if output == "-":
        svg = draw(root, "svg", **options)  # first: a failure is reported without a table before it
    elif output is not None:
        path = render(root, output, **options)
    page = (write_steps(root, args.page, lang=lang, style=args.style, timeout=args.timeout, quiz=args.quiz)
            if args.page else None)
    print(table(root, lang, show_grad=order >= 1), file=text_out)
    if path is not None:
        print(text("cli.wrote_drawing", lang, path=visible_text(str(path)), engine=visible_text(find_engine())),
              file=text_out)
    if args.explain:
        print(explain(root, lang), file=text_out)
    if page is not None:
        print(text("cli.wrote_drawing", lang, path=visible_text(str(page)), engine=visible_text(find_engine())),
              file=text_out)
    if output == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(svg)
        sys.stdout.buffer.flush()
    return 0
