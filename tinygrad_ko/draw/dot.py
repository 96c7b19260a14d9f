"""DOT export: the computational graph (계산 그래프) as a ``graphviz.Digraph``.

Every :class:`~tinygrad_ko.Value` reachable from the root becomes one node
showing its label, its data (순전파 값) and its grad (기울기); every op becomes
its own small circle with the op's symbol, with edges input -> op -> output.
Leaves are filled boxes, intermediate values are rounded boxes and the output
has a double border, so the three kinds differ in shape, not only in colour.

The DOT text is deterministic: node ids (``v0``, ``v1``, ...) come from the
walk order of :func:`~tinygrad_ko.topological_order`, never from ``id()``, so
the same graph always gives the same bytes.  Every label a user wrote is
escaped; no label can add attributes, nodes or HTML (see :func:`label_text`).

>>> from tinygrad_ko import Value
>>> x = Value(3.0, label="x"); y = (x * x).relu()
>>> y.backward()
>>> print(to_dot(y).source)  # doctest: +ELLIPSIS
digraph {
...
	v0 [label="data 9\\ngrad 1" ...]
	v0_op [label=relu ...]
...
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping

import graphviz
from graphviz.quoting import a_list, attr_list, quote

from ..engine import Value
from ..graph import topological_order
from ..messages import LocalizedTypeError, LocalizedValueError, resolve_lang, text
from ..ops import OPS, Op
from ..text import MAX_LABEL_LENGTH, format_number, is_constant, label_text, local_derivative
from .engines import run_engine
from .fonts import FONTNAME

# MAX_LABEL_LENGTH, format_number, is_constant and label_text live in tinygrad_ko.text; they are
# named here too because the drawing's tests and docs read them as the drawing's rules.
__all__ = ["FONTNAME", "GRADIENT_COLOR", "LAYOUT_LIMITS", "MAX_LABEL_LENGTH", "MAX_NODES", "STYLES", "GraphDrawing",
           "format_number", "is_constant", "label_text", "to_dot"]

#: :func:`to_dot` refuses graphs with more Value nodes than this unless given a
#: larger ``max_nodes``.  Layout time grows faster than the node count: a chain
#: of 1,000 Values took Graphviz 2.43 about 2 s, 2,000 took 10 s, and nobody can
#: read such a drawing anyway.
MAX_NODES = 1_000

#: Graph attributes that bound the iterations of Graphviz's two network-simplex
#: phases (ranking and node placement) to the number of nodes.  Without them one
#: value feeding many operations far apart (``x+x+...+x``) makes ``dot``'s
#: placement run for minutes (N = 80: 49 s, N = 100: over 15 min); with them it
#: takes seconds (benchmarks/layout.py).  Every drawing in the docs needs fewer
#: iterations than that and comes out byte for byte the same; wide fan-ins get
#: somewhat longer edges (see benchmarks/RESULTS.md).
LAYOUT_LIMITS = {"nslimit": "1", "nslimit1": "1"}

_RANKDIRS = ("LR", "RL", "TB", "BT")

#: Drawing styles: value boxes and op circles (the default), or the book's figures.
STYLES = ("boxes", "book")

#: The colour of gradients in the book's style (the chapter prints them in red).
GRADIENT_COLOR = "#c0392b"

# Ops whose operands cannot be swapped: their input edges are marked ① and ②.
_ORDERED = frozenset({"sub", "div", "pow"})
_COMMUTATIVE = frozenset({"add", "mul"})
_MARKS = ("①", "②")
# Op.local_formula's names for the inputs, rewritten as operand marks on the drawing.
_FORMULA_VARIABLE = re.compile(r"(?<![A-Za-z_])(x|y)(?![A-Za-z_])")
# The book's multiplication sign; the op table's symbol is Python's "*".
_BOOK_SYMBOLS = {"*": "×"}

# What each kind of node looks like: shape and border differ, not only colour,
# so a greyscale print still tells leaves, intermediate values and the output apart.
_LEAF = a_list(kwargs={"shape": "box", "style": "filled", "fillcolor": "#dcebf7"})
_INTERMEDIATE = a_list(kwargs={"shape": "box", "style": "rounded"})
_OUTPUT = a_list(kwargs={"shape": "box", "style": "filled,bold", "fillcolor": "#fde3c8", "peripheries": "2"})
_CONSTANT = a_list(kwargs={"shape": "box", "style": "dashed", "color": "#888888", "fontsize": "9"})
_BOOK_TEXT = a_list(kwargs={"shape": "plaintext", "fontsize": "12", "margin": "0.08,0.02"})
_BOOK_CONSTANT = a_list(kwargs={"shape": "plaintext", "fontsize": "10", "fontcolor": "#555555",
                                "margin": "0.08,0.02"})
_BOOK_END = a_list(kwargs={"shape": "point", "width": "0.01", "style": "invis"})
_OP = a_list(kwargs={"shape": "circle", "style": "filled", "fillcolor": "#eeeeee", "fontsize": "14", "margin": "0.02"})


def _escape(text: str) -> str:
    """``text`` as a DOT escString part that Graphviz draws literally.

    Backslashes are doubled (so ``\\N`` or a trailing backslash stays text), and
    ``&`` becomes ``&amp;`` because Graphviz decodes HTML entities in plain labels.
    Quotes are escaped by graphviz's own quoting, and :func:`graphviz.nohtml`
    (applied by the caller) keeps ``<...>`` from being read as an HTML label.
    """
    return text.replace("\\", "\\\\").replace("&", "&amp;")


def _lines(*lines: str) -> str:
    # "\n" here is DOT's escString line break, written as backslash + n.
    text: str = graphviz.nohtml("\\n".join(lines))
    return text


class GraphDrawing(graphviz.Digraph):  # type: ignore[misc]
    """A ``graphviz.Digraph`` that Jupyter displays through tinygrad_ko's engine lookup.

    ``graphviz.Digraph`` displays itself by running the system ``dot``; this
    subclass renders with :func:`tinygrad_ko.draw.engines.run_engine` instead, which
    falls back to the embedded ``graphviz-pure``, so a notebook on a machine
    without Graphviz still shows the drawing inline.
    """

    def _repr_image_svg_xml(self) -> str:

        return run_engine(self.source, "svg").decode("utf-8")

    def _repr_image_png(self) -> bytes:

        return run_engine(self.source, "png")

    def _repr_image_jpeg(self) -> bytes:

        return run_engine(self.source, "jpeg")


def _check_options(rankdir: str, precision: int | None, max_nodes: int, lang: str | None, style: str) -> str:
    """Raise for the first bad option; return ``lang`` resolved (None: the session's language)."""
    if rankdir not in _RANKDIRS:
        raise LocalizedValueError("draw.option_rankdir", choices=", ".join(_RANKDIRS), got=rankdir)
    if precision is not None and (type(precision) is not int or precision < 1):
        raise LocalizedValueError("draw.option_precision", got=precision)
    if type(max_nodes) is not int or max_nodes < 1:
        raise LocalizedValueError("draw.option_max_nodes", got=max_nodes)
    resolved = resolve_lang(lang, "to_dot")
    if style not in STYLES:
        raise LocalizedValueError("draw.option_style", choices=", ".join(STYLES), got=style)
    return resolved


def _folded(node: Value) -> bool:
    # An unlabelled constant is drawn inside its op (``** 2``, ``* 1.1``), as the book draws x²;
    # a labelled one (the user named it) is drawn as a small plain node of its own.
    return is_constant(node) and not node.label


def _op_text(op: Op, parents: tuple[Value, ...], symbol: str, precision: int | None) -> str:
    """The op's symbol with its folded constants written in place: ``** 2``, ``* 1.1``, ``1 /``."""
    shown = [format_number(p.data, precision) if _folded(p) else "" for p in parents]
    if op.arity == 1:
        return f"{symbol}({shown[0]})" if shown[0] else symbol
    left, right = shown
    if left and not right and op.name in _COMMUTATIVE:
        left, right = right, left  # 2 * x reads as the book's "×2" node
    return " ".join(part for part in (left, symbol, right) if part)


def _local_label(op: Op, index: int, local: float, parents: tuple[Value, ...], precision: int | None) -> str:
    """``∂/∂① = ② = 2``: the local derivative toward operand ``index``, operands named by position.

    A constant written inside the op is written by its value: ``x ** 2`` gives ``∂/∂① = 2·①^(2-1) = 6``.
    """
    marks = [format_number(p.data, precision) if _folded(p) else mark
             for p, mark in zip(parents, _MARKS if op.arity == 2 else ("①",), strict=True)]
    value = format_number(local, precision)
    formula = _FORMULA_VARIABLE.sub(lambda m: marks["xy".index(m.group(1))], op.local_formula[index])
    shown = value if formula == value else f"{formula} = {value}"
    return f"∂/∂{marks[index]} = {shown}"


def _edge_numbers(value: float, grad: float | None, precision: int | None, mark: str = "", *,
                  value_known: bool = True, grad_known: bool = True) -> str:
    """A book-style edge label: the forward value, and under it the gradient in red (HTML-like label).

    Only numbers from :func:`format_number` go in (digits, sign, ``e``, ``inf``, ``nan``),
    so the HTML label holds no user text.  A number not known yet (a step-through frame)
    is written in a transparent colour: it takes its place, so every frame has the same layout.
    """
    shown = format_number(value, precision)
    if not value_known:
        shown = f'<FONT COLOR="transparent">{shown}</FONT>'
    if mark:  # which operand this edge is, where the order matters: small and grey, before the value
        shown = f'<FONT POINT-SIZE="8" COLOR="#777777">{mark}</FONT> {shown}'
    rows = f"<TR><TD>{shown}</TD></TR>"
    if grad is not None:
        colour = GRADIENT_COLOR if grad_known else "transparent"
        rows += f'<TR><TD><FONT COLOR="{colour}">{format_number(grad, precision)}</FONT></TD></TR>'
    # Cell padding keeps the numbers off the arrow the label sits beside.
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{rows}</TABLE>>'


def to_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    precision: int | None = 6,
    show_grad: bool = True,
    show_local: bool = False,
    max_nodes: int = MAX_NODES,
    grads: Mapping[Value, float] | None = None,
    lang: str | None = None,
    style: str = "boxes",
) -> GraphDrawing:
    """The computational graph ending at ``root`` as a ``graphviz.Digraph``.

    - ``style``: ``"boxes"`` (the default) draws every value as a box (label,
      data, grad) and every op as a small circle; ``"book"`` draws the chapter's
      figures: ops as circles, each edge labelled with the value it carries and,
      under it in red, the gradient flowing back along it; inputs as plain text
      at the left.
    - ``lang``: ``"en"`` (data / grad) or ``"ko"`` (값 / 기울기); None (the default) is the session's
      language (:func:`tinygrad_ko.messages.set_lang`, else ``$TINYGRAD_KO_LANG``, else English).
    - ``rankdir``: ``"LR"`` (inputs on the left, the default), ``"RL"``, ``"TB"`` or ``"BT"``.
    - ``precision``: significant digits shown for data, grad and local
      derivatives (default 6, so 715.0000000000001 is shown as 715); ``None``
      shows every digit (``repr``).
    - ``show_grad``: draw gradients (default True); False draws the forward pass only.
    - ``show_local``: write each op's local derivative (국소적 미분) on the edge
      from each input, e.g. ``∂/∂① = ② = 2`` (① and ② are the op's first and second operand).
    - ``max_nodes``: refuse graphs with more Value nodes than this (default
      :data:`MAX_NODES`, 1,000) with a ValueError; pass a larger number to draw more.
    - ``grads``: the gradient to draw for each node instead of ``node.grad``
      (0 for a node not in it), e.g. a moment in the middle of a backward pass.

    Constants (numbers in an expression, ``requires_grad=False``) take no
    gradient and show none: an unlabelled one is written inside its op
    (``x ** 2`` is one ``** 2`` circle), a labelled one is a small plain node.
    Where the order of the operands matters (``-``, ``/``, ``**``) the input
    edges are marked ① and ②.

    >>> from tinygrad_ko import Value
    >>> a, b = Value(2.0, label="a"), Value(3.0, label="b")
    >>> dot = to_dot(a / b, show_grad=False)
    >>> [line.strip() for line in dot.body if "->" in line]
    ['v2 -> v0_op [headlabel="①"]', 'v1 -> v0_op [headlabel="②"]', 'v0_op -> v0']
    """
    return _drawing(root, rankdir=rankdir, precision=precision, show_grad=show_grad, show_local=show_local,
                    max_nodes=max_nodes, grads=grads, lang=lang, style=style)


def _drawing(
    root: Value,
    *,
    rankdir: str = "LR",
    precision: int | None = 6,
    show_grad: bool = True,
    show_local: bool = False,
    max_nodes: int = MAX_NODES,
    grads: Mapping[Value, float] | None = None,
    lang: str | None = None,
    style: str = "boxes",
    known: Collection[Value] | None = None,
    flowed: Collection[Value] | None = None,
    seeded: bool = True,
) -> GraphDrawing:
    """:func:`to_dot`, and for the book style's step-through frames: ``known`` are the nodes
    whose value is computed so far, ``flowed`` those that have passed their gradient back to
    their inputs (None: all), ``seeded`` whether the output's gradient is set; the other
    numbers are drawn transparent, in their places."""
    if not isinstance(root, Value):
        raise LocalizedTypeError("draw.not_a_value", type=type(root).__name__)
    lang = _check_options(rankdir, precision, max_nodes, lang, style)
    nodes = topological_order(root)
    if len(nodes) > max_nodes:
        raise LocalizedValueError("draw.too_many_nodes", count=len(nodes), limit=max_nodes)
    ids = {node: f"v{i}" for i, node in enumerate(nodes)}
    book = style == "book"
    dot = GraphDrawing(
        graph_attr={"rankdir": rankdir, "fontname": FONTNAME, "nodesep": "0.3",
                    "ranksep": "0.5" if book else "0.35", **LAYOUT_LIMITS},
        node_attr={"fontname": FONTNAME, "fontsize": "11"},
        edge_attr={"fontname": FONTNAME, "fontsize": "10" if book else "9", "arrowsize": "0.7",
                   "fontcolor": "#222222" if book else "#8b1a1a", "labelfontsize": "9",
                   "labelfontcolor": "#555555", "labeldistance": "2", "labelangle": "-35"},
    )

    def grad_of(node: Value) -> float:
        return node.grad if grads is None else grads.get(node, 0.0)

    data_word, grad_word = text("draw.word_data", lang), text("draw.word_grad", lang)
    # Lines are appended to dot.body directly, quoted by graphviz's own quote():
    # the same DOT that dot.node()/dot.edge() write, without re-quoting the fixed
    # style attributes for each of up to 100,000s of nodes (most of the time spent).
    body = dot.body
    for node in nodes:
        name = ids[node]
        op = OPS[node.op] if node.op else None
        if op is None and _folded(node) and node is not root:
            continue
        if book:
            _book_node(body, node, name, op, root, precision, show_grad, grad_of)
        else:
            lines = [_escape(label_text(node.label))] if node.label else []
            lines.append(f"{data_word} {format_number(node.data, precision)}")
            if show_grad and node.requires_grad:
                lines.append(f"{grad_word} {format_number(grad_of(node), precision)}")
            kind = (_OUTPUT if node is root else _CONSTANT if is_constant(node)
                    else _LEAF if op is None else _INTERMEDIATE)
            body.append(f"\t{name} [label={quote(_lines(*lines))} {kind}]\n")
        if op is None:
            continue
        parents = node.parents
        symbol = _BOOK_SYMBOLS.get(op.symbol, op.symbol) if book else op.symbol
        body.append(f"\t{name}_op [label={quote(_lines(_escape(_op_text(op, parents, symbol, precision))))} {_OP}]\n")
        drawn = [i for i, parent in enumerate(parents) if not _folded(parent)]
        ordered = op.name in _ORDERED and len(drawn) == 2
        data = [parent.data for parent in parents]
        for i in drawn:
            parent = parents[i]
            attrs: dict[str, str] = {}
            if ordered and not show_local and not book:
                attrs["headlabel"] = _MARKS[i]
            if show_local and parent.requires_grad:
                local = local_derivative(op, i, data, node.data)
                attrs["label"] = _lines(_escape(_local_label(op, i, local, parents, precision)))
            if book:
                # The gradient this edge carries back: the chain rule's share for this use of parent.
                share = (local_derivative(op, i, data, node.data) * grad_of(node)
                         if show_grad and parent.requires_grad else None)
                attrs["label"] = _edge_numbers(parent.data, share, precision, _MARKS[i] if ordered else "",
                                               value_known=known is None or parent in known,
                                               grad_known=flowed is None or node in flowed)
                tail = ids[parent] if not parent.op else f"{ids[parent]}_op"
            else:
                tail = ids[parent]
            body.append(f"\t{tail} -> {name}_op{attr_list(kwargs=attrs)}\n")
        if not book:
            body.append(f"\t{name}_op -> {name}\n")
        elif node is root:
            shown = grad_of(node) if show_grad and node.requires_grad else None
            last = attr_list(kwargs={"label": _edge_numbers(node.data, shown, precision,
                                                            value_known=known is None or node in known,
                                                            grad_known=seeded)})
            body.append(f"\t{name}_op -> {name}{last}\n")
    return dot


def _book_node(body: list[str], node: Value, name: str, op: Op | None, root: Value, precision: int | None,
               show_grad: bool, grad_of: Callable[[Value], float]) -> None:
    """The nodes of a value in the book's style: plain text for an input or the output, nothing for an op's result."""
    if op is not None and node is not root:
        return  # an intermediate value is the edge leaving its op
    text = _escape(label_text(node.label)) if node.label else ""
    if op is None and (not text or node is root):
        # An unlabelled input is called by its value; a lone leaf shows its value too.
        number = format_number(node.data, precision)
        text = f"{text} = {number}" if text else number
    style = _BOOK_CONSTANT if is_constant(node) else _BOOK_TEXT
    if op is not None and not text:
        style = _BOOK_END  # the arrow out of the last op ends in an invisible point
    body.append(f"\t{name} [label={quote(_lines(text))} {style}]\n")
