"""The step-through page: the forward and backward passes drawn one step at a time.

:func:`write_steps` writes one self-contained HTML file (no network, no CDN):
the graph drawn once per step of :func:`~tinygrad_ko.explain` — forward values
appearing node by node, then the gradients flowing back node by node — with the
current node highlighted and the explainer's sentence under it.  Previous/next
buttons, a slider and the arrow keys move between steps.

Every frame is an SVG drawn by a real Graphviz engine (:func:`~tinygrad_ko.render.run_engine`)
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
import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from .dot import STYLES, _drawing, format_number, is_constant, to_dot
from .engine import Value
from .explain import Explanation, Lang, Step, explain
from .graph import topological_order
from .render import DEFAULT_TIMEOUT, run_engine, write_atomically

__all__ = ["MAX_STEP_NODES", "Frame", "StepsPage", "step_frames", "write_steps"]

_SURROGATE = re.compile("[\ud800-\udfff]")

#: write_steps refuses graphs with more Value nodes than this: the page holds two
#: frames per node, each one engine run, and a learner cannot step through more.
MAX_STEP_NODES = 100

_CURRENT = {"color": "#c0392b", "penwidth": "3"}
_RECEIVING = {"color": "#e67e22", "penwidth": "2"}
# A node whose value is not computed yet: an empty dashed box of the same size.
_PENDING = {"label": "", "color": "#b0b0b0", "style": "dashed"}

_PAGE_WORDS = {
    "ko": {"title": "역전파 단계별 보기", "forward": "순전파", "seed": "역전파", "backward": "역전파",
           "previous": "◀ 이전", "next": "다음 ▶", "step": "단계",
           "keys": "← → 방향키로도 넘길 수 있습니다."},
    "en": {"title": "Backpropagation step by step", "forward": "forward", "seed": "backward",
           "backward": "backward", "previous": "◀ Previous", "next": "Next ▶", "step": "step",
           "keys": "The ← and → arrow keys step too."},
}


@dataclass(frozen=True)
class Frame:
    """One picture of the step-through: the explainer's step and its SVG drawing.

    ``node_id`` is the DOT id of the highlighted node (as in :func:`~tinygrad_ko.to_dot`).
    """

    step: Step
    node_id: str
    svg: str


def step_frames(root: Value, lang: Lang = "en", engine: str | None = None, style: str = "boxes", *,
                timeout: float | None = DEFAULT_TIMEOUT) -> list[Frame]:
    """Draw every step of ``explain(root, lang)`` with a real Graphviz engine.

    ``engine`` forces a Graphviz program (see :func:`~tinygrad_ko.render.find_engine`);
    ``style`` is that of :func:`~tinygrad_ko.to_dot` (``"book"``: the numbers on the edges);
    each engine run is stopped after ``timeout`` seconds (see :func:`~tinygrad_ko.render.run_engine`).
    Raises ValueError for graphs of more than :data:`MAX_STEP_NODES` nodes.
    """
    explanation = explain(root, lang)  # checks root and lang
    if style not in STYLES:
        raise ValueError(f"step_frames(style=...) must be one of {', '.join(STYLES)}, got {style!r}")
    order = topological_order(root)
    if len(order) > MAX_STEP_NODES:
        raise ValueError(
            f"this graph has {len(order):,} Value nodes; a step-through page draws two pictures per node "
            f"and is meant for at most {MAX_STEP_NODES} nodes: step through a smaller graph"
        )
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


def write_steps(root: Value, path: str | os.PathLike[str], *, lang: Lang = "en",
                engine: str | None = None, style: str = "boxes",
                timeout: float | None = DEFAULT_TIMEOUT) -> StepsPage:
    """Write the step-through page of the graph ending at ``root`` to ``path`` (one HTML file).

    ``style="book"`` draws the frames in the book's style (see :func:`~tinygrad_ko.to_dot`).
    ``engine`` and ``timeout`` (seconds per engine run) are those of
    :func:`~tinygrad_ko.render.run_engine`; the file is written as by
    :func:`~tinygrad_ko.render.write_atomically`.
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
        raise ValueError(f"the step-through page is an HTML file: end the name in .html, got {str(path)!r}")
    frames = step_frames(root, lang, engine, style, timeout=timeout)
    # A lone surrogate (e.g. a label decoded with surrogateescape) cannot be UTF-8:
    # it becomes U+FFFD, the stand-in the drawings use for it (dot.label_text).
    write_atomically(path, _SURROGATE.sub("\ufffd", _page(frames, lang)).encode("utf-8"))
    return StepsPage(path)


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


def _page(frames: list[Frame], lang: Lang) -> str:
    words = _PAGE_WORDS[lang]
    data = [{"svg": f.svg, "text": f.step.text, "phase": f.step.phase, "phaseName": words[f.step.phase],
             "node": f.node_id} for f in frames]
    # "<" escaped so that no text can close the <script> element holding the data.
    payload = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    return _TEMPLATE.format(lang=lang, title=html.escape(words["title"]), previous=html.escape(words["previous"]),
                            next=html.escape(words["next"]), step=html.escape(words["step"]),
                            keys=html.escape(words["keys"]), last=len(frames) - 1, frames=payload)


_TEMPLATE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  body {{ font-family: "Noto Sans CJK KR", "Noto Sans KR", NanumGothic, sans-serif; margin: 1.5rem; color: #222; }}
  #figure svg {{ max-width: 100%; height: auto; }}
  #figure .current-op ellipse, #figure .current polygon {{ filter: drop-shadow(0 0 3px #c0392b); }}
  #controls {{ display: flex; gap: 0.75rem; align-items: center; margin: 0.75rem 0; }}
  #slider {{ flex: 1; max-width: 30rem; }}
  #phase {{ font-weight: bold; }}
  #text {{ font-size: 1.1rem; white-space: pre-line; }}
  .hint {{ color: #666; font-size: 0.9rem; }}
</style>
</head>
<body>
<h1>{title}</h1>
<div id="controls">
  <button id="previous" type="button">{previous}</button>
  <input id="slider" type="range" min="0" max="{last}" value="0" aria-label="{step}">
  <button id="next" type="button">{next}</button>
  <span id="counter"></span>
</div>
<figure id="figure"></figure>
<p><span id="phase"></span>: <span id="text"></span></p>
<p class="hint">{keys}</p>
<script type="application/json" id="frames">{frames}</script>
<script>
"use strict";
const frames = JSON.parse(document.getElementById("frames").textContent);
const figure = document.getElementById("figure");
const slider = document.getElementById("slider");
const previous = document.getElementById("previous");
const next = document.getElementById("next");
let current = 0;
function show(index) {{
  current = Math.max(0, Math.min(frames.length - 1, index));
  const frame = frames[current];
  figure.innerHTML = frame.svg;  // SVG written by Graphviz: labels arrive XML-escaped
  figure.dataset.node = frame.node;
  document.getElementById("phase").textContent = frame.phaseName;
  // One line per input of the node: the explainer separates them with "; ".
  document.getElementById("text").textContent = frame.text.split("; ").join(";\\n");
  document.getElementById("counter").textContent = "{step} " + (current + 1) + " / " + frames.length;
  slider.value = String(current);
  previous.disabled = current === 0;
  next.disabled = current === frames.length - 1;
}}
previous.addEventListener("click", () => show(current - 1));
next.addEventListener("click", () => show(current + 1));
slider.addEventListener("input", () => show(Number(slider.value)));
document.addEventListener("keydown", (event) => {{
  if (event.target === slider) return;  // the slider moves itself with the arrow keys
  if (event.key === "ArrowRight") show(current + 1);
  else if (event.key === "ArrowLeft") show(current - 1);
  else if (event.key === "Home") show(0);
  else if (event.key === "End") show(frames.length - 1);
  else return;
  event.preventDefault();
}});
show(0);
</script>
</body>
</html>
"""
