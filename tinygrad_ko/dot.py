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

import unicodedata
from collections.abc import Mapping

import graphviz
from graphviz.quoting import a_list, attr_list, quote

from .engine import Value
from .graph import topological_order
from .ops import OPS

__all__ = [
    "FONTNAME", "LAYOUT_LIMITS", "MAX_LABEL_LENGTH", "MAX_NODES", "GraphDrawing", "format_number", "label_text",
    "to_dot",
]

#: Labels longer than this many characters are cut and end with "…".
MAX_LABEL_LENGTH = 60

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

#: Fonts tried in order.  Hangul needs a CJK font (Noto Sans CJK with the system
#: Graphviz); SVG viewers read the same list as a CSS font-family fallback.
FONTNAME = "Noto Sans CJK KR,Noto Sans KR,NanumGothic,sans-serif"

_RANKDIRS = ("LR", "RL", "TB", "BT")

# What each kind of node looks like: shape and border differ, not only colour,
# so a greyscale print still tells leaves, intermediate values and the output apart.
_LEAF = a_list(kwargs={"shape": "box", "style": "filled", "fillcolor": "#dcebf7"})
_INTERMEDIATE = a_list(kwargs={"shape": "box", "style": "rounded"})
_OUTPUT = a_list(kwargs={"shape": "box", "style": "filled,bold", "fillcolor": "#fde3c8", "peripheries": "2"})
_OP = a_list(kwargs={"shape": "circle", "style": "filled", "fillcolor": "#eeeeee", "fontsize": "14", "margin": "0.02"})


def format_number(x: float, precision: int | None = 6) -> str:
    """``x`` to ``precision`` significant digits (like C's ``%g``), or in full when ``precision`` is None.

    The default hides floating-point noise a learner did not ask about:

    >>> format_number(715.0000000000001), format_number(3.3000000000000003), format_number(0.5)
    ('715', '3.3', '0.5')
    >>> format_number(715.0000000000001, precision=None)
    '715.0000000000001'
    """
    if precision is None:
        return repr(x)
    return format(x, f".{precision}g")


def _visible(ch: str) -> str:
    """The character drawn in place of ``ch``: itself, or a stand-in for one that cannot be drawn."""
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control picture: NUL -> ␀, newline -> ␊
    if code == 0x7F:
        return "\u2421"  # ␡
    if unicodedata.category(ch) in ("Cc", "Cs") or code in (0xFFFE, 0xFFFF):
        return "\ufffd"  # C1 controls, lone surrogates and non-characters cannot appear in SVG (XML)
    return ch


def label_text(label: str) -> str:
    """The text drawn for ``label``: what a user sees in the picture.

    A label is drawn on one line, at most :data:`MAX_LABEL_LENGTH` characters
    (a longer one is cut and ends with "…").  Control characters are drawn as
    their Unicode control pictures (newline as ␊, NUL as ␀, DEL as ␡); other
    characters SVG cannot hold (C1 controls, lone surrogates, U+FFFE, U+FFFF)
    as �.  Everything else is drawn as written.

    >>> label_text("a\\nb"), label_text("x" * 100) == "x" * 59 + "…"
    ('a␊b', True)
    """
    if len(label) > MAX_LABEL_LENGTH:
        label = label[: MAX_LABEL_LENGTH - 1] + "…"
    return "".join(_visible(ch) for ch in label)


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
    subclass renders with :func:`tinygrad_ko.render.run_engine` instead, which
    falls back to the embedded ``graphviz-pure``, so a notebook on a machine
    without Graphviz still shows the drawing inline.
    """

    def _repr_image_svg_xml(self) -> str:
        # Imported here: render.py imports this module for to_dot.
        from .render import run_engine

        return run_engine(self.source, "svg").decode("utf-8")

    def _repr_image_png(self) -> bytes:
        from .render import run_engine

        return run_engine(self.source, "png")

    def _repr_image_jpeg(self) -> bytes:
        from .render import run_engine

        return run_engine(self.source, "jpeg")


def _check_options(rankdir: str, precision: int | None, max_nodes: int) -> None:
    if rankdir not in _RANKDIRS:
        raise ValueError(f"to_dot(rankdir=...) must be one of {', '.join(_RANKDIRS)}, got {rankdir!r}")
    if precision is not None and (type(precision) is not int or precision < 1):
        raise ValueError(
            f"to_dot(precision=...) must be a whole number of significant digits (1 or more) "
            f"or None for full precision, got {precision!r}"
        )
    if type(max_nodes) is not int or max_nodes < 1:
        raise ValueError(f"to_dot(max_nodes=...) must be a whole number of nodes (1 or more), got {max_nodes!r}")


def to_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    precision: int | None = 6,
    show_grad: bool = True,
    show_local: bool = False,
    max_nodes: int = MAX_NODES,
    grads: Mapping[Value, float] | None = None,
) -> GraphDrawing:
    """The computational graph ending at ``root`` as a ``graphviz.Digraph``.

    - ``rankdir``: ``"LR"`` (inputs on the left, the default), ``"RL"``, ``"TB"`` or ``"BT"``.
    - ``precision``: significant digits shown for data, grad and local
      derivatives (default 6, so 715.0000000000001 is shown as 715); ``None``
      shows every digit (``repr``).
    - ``show_grad``: draw each node's grad (default True); False draws the forward pass only.
    - ``show_local``: write each op's local derivative (국소적 미분) on the edge
      from each input, as in the book's backward figures, e.g. ``∂/∂x = y = 2``.
    - ``max_nodes``: refuse graphs with more Value nodes than this (default
      :data:`MAX_NODES`, 1,000) with a ValueError; pass a larger number to draw more.
    - ``grads``: the gradient to draw for each node instead of ``node.grad``
      (0 for a node not in it), e.g. a moment in the middle of a backward pass.

    >>> from tinygrad_ko import Value
    >>> a, b = Value(2.0, label="a"), Value(3.0, label="b")
    >>> dot = to_dot(a * b, show_grad=False)
    >>> [line.strip() for line in dot.body if "->" in line]
    ['v2 -> v0_op [headlabel=x]', 'v1 -> v0_op [headlabel=y]', 'v0_op -> v0']
    """
    if not isinstance(root, Value):
        raise TypeError(f"to_dot() needs a Value, got {type(root).__name__}: draw the Value your computation returned")
    _check_options(rankdir, precision, max_nodes)
    nodes = topological_order(root)
    if len(nodes) > max_nodes:
        raise ValueError(
            f"this graph has {len(nodes):,} Value nodes, more than max_nodes={max_nodes:,}; "
            f"Graphviz's layout time grows steeply with size and such a drawing is unreadable. "
            f"Draw a smaller graph, or pass max_nodes={len(nodes)} (or more) to draw it anyway."
        )
    ids = {node: f"v{i}" for i, node in enumerate(nodes)}
    dot = GraphDrawing(
        graph_attr={"rankdir": rankdir, "fontname": FONTNAME, "nodesep": "0.3", "ranksep": "0.35", **LAYOUT_LIMITS},
        node_attr={"fontname": FONTNAME, "fontsize": "11"},
        edge_attr={"fontname": FONTNAME, "fontsize": "9", "arrowsize": "0.7", "fontcolor": "#8b1a1a",
                   "labelfontsize": "8", "labelfontcolor": "#555555", "labeldistance": "1.6"},
    )
    # Lines are appended to dot.body directly, quoted by graphviz's own quote():
    # the same DOT that dot.node()/dot.edge() write, without re-quoting the fixed
    # style attributes for each of up to 100,000s of nodes (most of the time spent).
    body = dot.body
    for node in nodes:
        name = ids[node]
        lines = [_escape(label_text(node.label))] if node.label else []
        lines.append(f"data {format_number(node.data, precision)}")
        if show_grad:
            grad = node.grad if grads is None else grads.get(node, 0.0)
            lines.append(f"grad {format_number(grad, precision)}")
        op = OPS[node.op] if node.op else None
        style = _OUTPUT if node is root else _LEAF if op is None else _INTERMEDIATE
        body.append(f"\t{name} [label={quote(_lines(*lines))} {style}]\n")
        if op is None:
            continue
        body.append(f"\t{name}_op [label={quote(_lines(_escape(op.symbol)))} {_OP}]\n")
        parents = node.parents
        if show_local:
            locals_ = op.local_derivatives([parent.data for parent in parents], node.data)
        for i, parent in enumerate(parents):
            role = "xy"[i]
            attrs = {}
            if op.arity == 2 and not show_local:
                # Which input is x and which is y matters for -, / and **
                # (with show_local, the edge label "∂/∂x = ..." says it).
                attrs["headlabel"] = role
            if show_local:
                value = format_number(locals_[i], precision)
                formula = op.local_formula[i]
                shown = value if formula == value else f"{formula} = {value}"
                attrs["label"] = _lines(_escape(f"∂/∂{role} = {shown}"))
            body.append(f"\t{ids[parent]} -> {name}_op{attr_list(kwargs=attrs)}\n")
        body.append(f"\t{name}_op -> {name}\n")
    return dot
