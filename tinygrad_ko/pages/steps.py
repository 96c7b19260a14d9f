"""The step-through page: the forward and backward passes drawn one step at a time.

:func:`write_steps` writes one self-contained HTML file (no network, no CDN):
the graph drawn once per step of :func:`~tinygrad_ko.explain` — forward values
appearing node by node, then the gradients flowing back node by node — with the
current node highlighted and the explainer's sentence under it.  Previous/next
buttons, a slider and the arrow keys move between steps.

Every frame is an SVG drawn by a real Graphviz engine (:func:`~tinygrad_ko.draw.render.run_engine`)
from :func:`~tinygrad_ko.to_dot`.  So that nodes do not jump between frames, the
graph is laid out once, with each node's label at its widest over all frames,
and every frame pins each node to that position and size (``layout=neato`` with
``pos="x,y!"`` and ``fixedsize``: both the system ``dot`` and ``graphviz-pure``
honour it).  A backward frame shows each node's gradient exactly as
:meth:`Value.backward` holds it at that moment: 0 until the node is reached, then
the running sum.
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..draw.dot import STYLES, _drawing, to_dot
from ..draw.engines import DEFAULT_TIMEOUT, run_engine
from ..engine import Value
from ..explain import _MAX_EXPRESSION, Explanation, Lang, Step, explain, sentences
from ..expr import parse_assignment
from ..graph import count_nodes, topological_order
from ..messages import LocalizedError, LocalizedTypeError, LocalizedValueError, catalog, resolve_lang, text
from ..numerical import default_step
from ..ops import OPS
from ..outputs import write_text_atomically
from ..text import format_number, is_constant
from . import jsops
from . import quiz as quiz_mode
from .render import Html, Json, page, page_words, render

__all__ = ["MAX_STEP_NODES", "Frame", "StepsPage", "step_frames", "write_steps"]

#: write_steps refuses graphs with more Value nodes than this: the page holds two
#: frames per node, each one engine run, and a learner cannot step through more.
MAX_STEP_NODES = 100

_CURRENT = {"color": "#c0392b", "penwidth": "3"}
_RECEIVING = {"color": "#e67e22", "penwidth": "2"}
# A node whose value is not computed yet: an empty dashed box of the same size.
_PENDING = {"label": "", "color": "#b0b0b0", "style": "dashed"}

@dataclass(frozen=True)
class Frame:
    """One picture of the step-through: the explainer's step and its SVG drawing.

    ``node_id`` is the DOT id of the highlighted node (as in :func:`~tinygrad_ko.to_dot`).
    """

    step: Step
    node_id: str
    svg: str


def step_frames(root: Value, lang: str | None = None, engine: str | None = None, style: str = "boxes", *,
                timeout: float | None = DEFAULT_TIMEOUT) -> list[Frame]:
    """Draw every step of ``explain(root, lang)`` with a real Graphviz engine.

    ``engine`` forces a Graphviz program (see :func:`~tinygrad_ko.draw.render.find_engine`);
    ``lang`` is None for the session's language (:func:`~tinygrad_ko.messages.resolve_lang`);
    ``style`` is that of :func:`~tinygrad_ko.to_dot` (``"book"``: the numbers on the edges);
    each engine run is stopped after ``timeout`` seconds (see :func:`~tinygrad_ko.draw.render.run_engine`).
    Raises ValueError for graphs of more than :data:`MAX_STEP_NODES` nodes.
    """
    _check_size(root)  # before explain(): a graph of millions of nodes is refused at once
    lang = _lang(lang, "step_frames")
    return _frames(root, explain(root, lang), lang, engine, style, timeout)  # explain checks root


def _frames(root: Value, explanation: Explanation, lang: Lang, engine: str | None, style: str,
            timeout: float | None) -> list[Frame]:
    """step_frames' drawings of ``explanation`` (of ``root``), which write_steps also reads for the page."""
    if style not in STYLES:
        raise LocalizedValueError("pages.style", styles=", ".join(STYLES), got=style)
    order = topological_order(root)
    # The ids to_dot gives: "v<i>" in topological order, "<id>_op" for a node's op circle.
    ids = {node: f"v{i}" for i, node in enumerate(order)}
    if style == "book":
        return _book_frames(root, explanation, ids, lang, engine, timeout)

    running = [_grads_after(explanation.backward[: k + 1]) for k in range(len(explanation.backward))]
    layout = _layout(root, _widest(order, running), engine, lang, timeout)

    frames = []
    # Constants are never computed (explain gives them no step): drawn from the start.
    computed: set[Value] = {node for node in order if is_constant(node)}
    for step in explanation.forward:
        computed.add(step.node)
        source = _frame(root, ids, layout, step, lang=lang, show_grad=False, grads=None,
                        pending=[node for node in order if node not in computed])
        frames.append(Frame(step, ids[step.node], _svg(run_engine(source, "svg", engine, timeout=timeout))))
    for step, grads in zip(explanation.backward, running, strict=True):
        source = _frame(root, ids, layout, step, lang=lang, show_grad=True, grads=grads, pending=())
        frames.append(Frame(step, ids[step.node], _svg(run_engine(source, "svg", engine, timeout=timeout))))
    return frames


def _check_size(root: Value) -> None:
    """Refuse a graph of more than MAX_STEP_NODES nodes, counting no further than that."""
    if isinstance(root, Value) and count_nodes(root, MAX_STEP_NODES) > MAX_STEP_NODES:
        raise LocalizedValueError("pages.too_many_nodes", limit=MAX_STEP_NODES)


def _book_frames(root: Value, explanation: Explanation, ids: dict[Value, str], lang: Lang,
                 engine: str | None, timeout: float | None) -> list[Frame]:
    """The frames in the book's style.

    Every frame is the same drawing, with the final gradients, in which the numbers not
    known at that step are transparent: the same text in the same places, so the engine
    lays every frame out alike with no pinning.  An edge's gradient appears when the op
    it enters passes its gradient back (in reverse topological order, that share is final).
    """
    final = explanation.gradients()
    known: set[Value] = {node for node in final if is_constant(node)}
    flowed: set[Value] = set()
    frames = []
    for step in explanation.steps:
        if step.phase == "forward":
            known.add(step.node)
        elif step.phase == "backward":
            flowed.add(step.node)
        dot = _drawing(root, style="book", lang=lang, grads=final, known=known, flowed=flowed,
                       seeded=step.phase != "forward")
        for node in ids:
            if node.op and node not in known:
                dot.node(f"{ids[node]}_op", style="dashed", color=_PENDING["color"])
        current = f"{ids[step.node]}_op" if step.node.op and step.phase != "seed" else ids[step.node]
        for parent in step.inputs if step.phase == "backward" else ():
            dot.node(f"{ids[parent]}_op" if parent.op else ids[parent], _attributes={"class": "receiving"},
                     fontcolor=_RECEIVING["color"], **_RECEIVING)
        dot.node(current, _attributes={"class": "current"}, fontcolor=_CURRENT["color"], **_CURRENT)
        frames.append(Frame(step, current, _svg(run_engine(dot.source, "svg", engine, timeout=timeout))))
    return frames


class StepsPage(type(Path())):  # type: ignore[misc]
    """The path of a step-through page, which Jupyter shows inline.

    It is a :class:`pathlib.Path` (``page.read_text()``, ``page.name``, ``open(page)``)
    whose ``_repr_html_`` is an ``<iframe>`` holding the page itself (``srcdoc``), so
    a notebook shows the working page with no server and no network.
    """

    #: Size of the inline frame, in CSS pixels.
    frame_width, frame_height = 960, 720

    def _repr_html_(self) -> str:
        page = html.escape(self.read_text(encoding="utf-8"), quote=True)
        return (f'<iframe srcdoc="{page}" width="{self.frame_width}" height="{self.frame_height}" '
                f'style="border: 1px solid #ddd" sandbox="allow-scripts"></iframe>')


def write_steps(root: Value, path: str | os.PathLike[str], *, lang: str | None = None,
                engine: str | None = None, style: str = "boxes",
                timeout: float | None = DEFAULT_TIMEOUT, quiz: bool = False) -> StepsPage:
    """Write the step-through page of the graph ending at ``root`` to ``path`` (one HTML file).

    ``quiz=True`` makes it a quiz: every gradient of the backward pass stays hidden until
    the learner types it in, node by node in backward order, and a wrong answer is
    diagnosed (swapped inputs, upstream forgotten, a wrong sign, ...; see
    :mod:`tinygrad_ko.pages.quiz`); the quiz needs the boxes style.
    ``style="book"`` draws the frames in the book's style (see :func:`~tinygrad_ko.to_dot`);
    ``lang`` is None for the session's language (:func:`~tinygrad_ko.messages.resolve_lang`).
    ``engine`` and ``timeout`` (seconds per engine run) are those of
    :func:`~tinygrad_ko.draw.render.run_engine`; the file is written as by
    :func:`~tinygrad_ko.outputs.write_text_atomically`.
    Returns the path as a :class:`StepsPage`: in Jupyter, the page shows inline.

    >>> import tempfile, pathlib
    >>> from tinygrad_ko import Value
    >>> x = Value(3.0, label="x"); y = x * x
    >>> page = write_steps(y, pathlib.Path(tempfile.mkdtemp()) / "steps.html")
    >>> page.name, page.read_text(encoding="utf-8").count('"phase": "forward"')  # x, then x * x
    ('steps.html', 2)
    >>> page._repr_html_().startswith("<iframe srcdoc=")
    True
    """
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise LocalizedValueError("pages.steps_not_html", path=str(path))
    if not isinstance(quiz, bool):
        raise LocalizedTypeError("pages.quiz.not_bool", got=type(quiz).__name__)
    if quiz and style == "book":  # the book's style writes the gradients on the edges, which the quiz cannot hide
        raise LocalizedValueError("pages.quiz.book_style")
    _check_size(root)
    lang = _lang(lang, "write_steps")
    explanation = explain(root, lang)  # checks root; one explanation for the frames, the inputs and the quiz
    frames = _frames(root, explanation, lang, engine, style, timeout)
    # The book's style writes the numbers on the edges; the page edits the boxes' numbers only.
    # A quiz asks about the numbers drawn: editing the inputs would change its answers.
    live = _live(explanation, editable=style == "boxes" and not quiz)
    live["style"] = style  # the page says why the book's style offers no inputs
    live["quiz"] = quiz_mode.questions(explanation) if quiz else None
    write_text_atomically(path, _page(frames, lang, live, quiz))  # lone surrogates become U+FFFD
    return StepsPage(path)


def _lang(lang: str | None, where: str) -> Lang:
    """``lang`` checked, or the session's language (:func:`~tinygrad_ko.messages.resolve_lang`)."""
    return resolve_lang(lang, where)


def _grads_after(steps: Collection[Step]) -> dict[Value, float]:
    """Each node's gradient once ``steps`` (the start of a backward pass) have run."""
    grads: dict[Value, float] = {}
    for step in steps:
        if step.phase == "seed" and step.upstream is not None:
            grads[step.node] = step.upstream
        grads.update(zip(step.inputs, step.gradients, strict=True))
    return grads


def _widest(order: list[Value], running: list[dict[Value, float]]) -> dict[Value, float]:
    """For each node, the gradient among all frames whose text is longest."""
    return {node: max((grads.get(node, 0.0) for grads in running), key=lambda g: len(format_number(g)))
            for node in order}


def _layout(root: Value, grads: Mapping[Value, float], engine: str | None,
            lang: Lang, timeout: float | None) -> dict[str, tuple[str, str, str]]:
    """Position, width and height (Graphviz units) of every node, laid out once by the engine."""
    laid_out = json.loads(run_engine(to_dot(root, grads=grads, lang=lang).source, "json", engine, timeout=timeout))
    return {obj["name"]: (obj["pos"], obj["width"], obj["height"]) for obj in laid_out.get("objects", [])}


def _frame(root: Value, ids: dict[Value, str], layout: dict[str, tuple[str, str, str]], step: Step, *, lang: Lang,
           show_grad: bool, grads: Mapping[Value, float] | None, pending: Collection[Value]) -> str:
    """The DOT source of one frame: to_dot's drawing, pinned to the layout, with highlights."""
    dot = to_dot(root, show_grad=show_grad, grads=grads, lang=lang)  # the drawing speaks the page's language
    # Later statements add to a node's attributes in DOT, so these amend to_dot's drawing.
    dot.attr("graph", layout="neato", inputscale="72")
    for name, (pos, width, height) in layout.items():
        dot.node(name, pos=f"{pos}!", width=width, height=height, fixedsize="true")
    for node in pending:
        # Intermediate values are rounded boxes in to_dot's drawing: keep the corners.
        rounded = "rounded," if node.op and node is not root else ""
        dot.node(ids[node], **{**_PENDING, "style": rounded + "dashed"})
        if node.op:
            dot.node(f"{ids[node]}_op", style="dashed", color=_PENDING["color"])
    if step.phase == "backward":
        for parent in step.inputs:
            dot.node(ids[parent], _attributes={"class": "receiving"}, **_RECEIVING)
    current = ids[step.node]
    dot.node(current, _attributes={"class": "current"}, **_CURRENT)
    if step.node.op and step.phase != "seed":
        dot.node(f"{current}_op", _attributes={"class": "current-op"}, **_CURRENT)
    source: str = dot.source
    return source


def _svg(data: bytes) -> str:
    """The ``<svg>`` element of an engine's SVG file (no XML prolog or DOCTYPE inside HTML)."""
    text = data.decode("utf-8")
    return text[text.index("<svg"):]


def _number(x: float) -> float | str:
    """A float for the page's JSON: finite numbers as themselves, others as text JavaScript's Number() reads."""
    if x != x:
        return "NaN"
    if x in (math.inf, -math.inf):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def _live(explanation: Explanation, editable: bool = True) -> dict[str, Any]:
    """What the page needs to recompute both passes when a learner edits an input.

    The graph as data (each node's op and parents, inputs first), which leaves
    the learner may edit (those that require grad; constants are not
    editable), the backward order of :meth:`Value.backward`, and the words
    :func:`~tinygrad_ko.explain` writes its sentences with.  The op rules
    themselves travel as JavaScript generated from the op table
    (:mod:`tinygrad_ko.pages.jsops`).  ``editable=False`` offers no input to edit.
    """
    root = explanation.root
    order = topological_order(root)[::-1]  # inputs first: the order values are computed
    index = {node: i for i, node in enumerate(order)}
    ids = {node: f"v{len(order) - 1 - i}" for i, node in enumerate(order)}  # to_dot's ids
    nodes = []
    for node in order:
        nodes.append({
            "id": ids[node], "op": node.op or None, "parents": [index[p] for p in node.parents],
            "data": _number(node.data), "requiresGrad": node.requires_grad,
            "editable": editable and not node.op and node.requires_grad,
            # Labeled nodes keep the name explain gives them; the others are named by value or expression.
            "label": explanation.names[node] if node.label else "",
        })
    # The command's own message for a value that is not a number (tinygrad-ko graph x=abc): its id
    # and which of its fields are the name and the text, from the reader's own error.
    try:
        parse_assignment("NAME=\u0000")
    except LocalizedError as error:
        fields = {value: field for field, value in error.params.items() if isinstance(value, str)}
        not_a_number = {"template": catalog(explanation.lang)[error.key], "name": fields["NAME"],
                        "text": fields["\u0000"]}
    return {
        "nodes": nodes,
        "root": index[root],
        "backward": [index[step.node] for step in explanation.backward[1:]],
        "ops": {name: {"symbol": op.symbol, "name": op.name_ko if explanation.lang == "ko" else op.name_en,
                       "formula": list(op.local_formula)} for name, op in OPS.items()},
        "words": sentences(explanation.lang),
        "maxExpression": _MAX_EXPRESSION,
        # numerical_grad's default step and gradcheck's default tolerances.
        "h": default_step(),
        "atol": 1e-5,
        "rtol": 1e-3,
        "notANumber": not_a_number,
    }


def _page(frames: list[Frame], lang: Lang, live: dict[str, Any], quiz: bool = False) -> str:
    def word(key: str) -> str:
        return text(f"pages.steps.{key}", lang)

    data = [{"svg": f.svg, "text": f.step.text, "phase": f.step.phase, "phaseName": word(f.step.phase),
             "node": f.node_id} for f in frames]
    words = page_words(lang, ("pages.steps.", "engine.", *(("pages.quiz.",) if quiz else ())))
    section = Html("")
    if quiz:
        def ask(key: str, **params: Any) -> str:
            return text(f"pages.quiz.{key}", lang, **params)

        section = render("quiz.html", heading=ask("heading"), intro=ask("intro"), answer=ask("answer"),
                         check=ask("check"), show=ask("show"),
                         tolerance=ask("tolerance", percent=f"{quiz_mode.RTOL * 100:g}", rtol=f"{quiz_mode.RTOL:g}"))
    title = text("pages.quiz.title", lang) if quiz else word("title")
    return str(page("steps", lang=lang, title=title, words=words, ops=jsops.op_table_source(),
                    modes=("quiz",) if quiz else (), quiz=section,
                    previous=word("previous"), next=word("next"), step=word("step"), keys=word("keys"),
                    last=len(frames) - 1, frames=Json(data), live=Json(live), inputs=word("inputs"),
                    inputs_hint=word("inputs_hint"), reset=word("reset")))
