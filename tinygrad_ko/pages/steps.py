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

from ..draw.dot import STYLES, _drawing, format_number, is_constant, to_dot
from ..draw.engines import DEFAULT_TIMEOUT, run_engine
from ..engine import Value
from ..explain import _MAX_EXPRESSION, _WORDS, Explanation, Lang, Step, explain
from ..graph import count_nodes, topological_order
from ..numerical import default_step
from ..ops import OPS
from ..outputs import write_text_atomically
from . import jsops

__all__ = ["MAX_STEP_NODES", "Frame", "StepsPage", "step_frames", "write_steps"]

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
           "keys": "← → 방향키로도 넘길 수 있습니다.",
           "inputs": "입력값 바꿔 보기", "reset": "처음 값으로",
           "inputs_hint": "입력값을 바꾸면 순전파와 역전파를 다시 계산합니다. 역전파로 구한 기울기 옆에 "
                          "수치 미분(중심 차분)으로 구한 기울기를 보여 줍니다.",
           "input": "입력", "grad": "기울기 (역전파)", "slope": "기울기 (수치 미분)",
           "agree": "✓ 일치", "disagree": "✗ 불일치",
           "kink": "역전파의 기울기와 수치 미분이 다릅니다: 이 입력값에서는 그래프를 미분할 수 없습니다. "
                   "예를 들어 ReLU는 x = 0에서 꺾여서 왼쪽 기울기는 0, 오른쪽 기울기는 1입니다. 역전파는 "
                   "국소적 미분으로 0을 쓰고, 중심 차분은 두 기울기의 평균을 냅니다.",
           "overflow": "여기서는 역전파의 기울기와 수치 미분을 비교할 수 없습니다: 어떤 수가 float의 최댓값"
                       "(약 1.8e308)을 넘어 무한대가 되었습니다(오버플로). 순전파의 값, 기울기, 수치 미분이 계산하는 "
                       "가까운 두 점 가운데 한 곳입니다. 더 작은 입력값을 넣어 보세요.",
           "rough": "역전파의 기울기와 수치 미분이 다릅니다: 이 입력값 근처에서 함수가 매끄럽지 않거나 너무 빨리 "
                    "변해서, 중심 차분(간격 h·max(1, |x|))이 기울기를 따라가지 못합니다.",
           "book_inputs": "책의 방식(--style book)은 수를 에지 위에 쓰는데, 이 페이지는 그 수를 고쳐 그리지 "
                          "못합니다. 입력값을 바꿔 보려면 상자 방식(기본값 --style boxes)으로 페이지를 만드세요.",
           "slope_failed": "계산할 수 없음"},
    "en": {"title": "Backpropagation step by step", "forward": "forward", "seed": "backward",
           "backward": "backward", "previous": "◀ Previous", "next": "Next ▶", "step": "step",
           "keys": "The ← and → arrow keys step too.",
           "inputs": "Change the inputs", "reset": "Reset",
           "inputs_hint": "Changing an input recomputes the forward and backward passes. Beside each gradient "
                          "from backpropagation is the numerical slope (central difference).",
           "input": "input", "grad": "gradient (backprop)", "slope": "slope (numerical)",
           "agree": "✓ agree", "disagree": "✗ disagree",
           "kink": "Backpropagation and the numerical slope disagree: the graph is not differentiable at these "
                   "inputs. ReLU, for one, has a kink at x = 0: its slope is 0 on the left and 1 on the right. "
                   "Backpropagation uses 0 as the local derivative there; the central difference averages the two.",
           "overflow": "Backpropagation and the numerical slope cannot be compared here: a number grew past the "
                       "largest float (about 1.8e308) and became infinite (overflow), in a value of the forward "
                       "pass, a gradient, or one of the two nearby points the numerical slope evaluates. Try "
                       "smaller inputs.",
           "rough": "Backpropagation and the numerical slope disagree: near these inputs the function is not smooth "
                    "or changes too fast for the central difference (step h·max(1, |x|)) to follow.",
           "book_inputs": "The book's style (--style book) writes the numbers on the edges, which this page cannot "
                          "redraw. To change the inputs, write the page in the boxes style (the default, "
                          "--style boxes).",
           "slope_failed": "cannot compute"},
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

    ``engine`` forces a Graphviz program (see :func:`~tinygrad_ko.draw.render.find_engine`);
    ``style`` is that of :func:`~tinygrad_ko.to_dot` (``"book"``: the numbers on the edges);
    each engine run is stopped after ``timeout`` seconds (see :func:`~tinygrad_ko.draw.render.run_engine`).
    Raises ValueError for graphs of more than :data:`MAX_STEP_NODES` nodes.
    """
    _check_size(root)  # before explain(): a graph of millions of nodes is refused at once
    explanation = explain(root, lang)  # checks root and lang
    if style not in STYLES:
        raise ValueError(f"step_frames(style=...) must be one of {', '.join(STYLES)}, got {style!r}")
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
        raise ValueError(
            f"this graph has more than {MAX_STEP_NODES} Value nodes; a step-through page draws two pictures per "
            f"node and is meant for at most {MAX_STEP_NODES} nodes: step through a smaller graph"
        )


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
        raise ValueError(f"the step-through page is an HTML file: end the name in .html, got {str(path)!r}")
    _check_size(root)
    frames = step_frames(root, lang, engine, style, timeout=timeout)
    # The book's style writes the numbers on the edges; the page edits the boxes' numbers only.
    live = _live(explain(root, lang), editable=style == "boxes")
    live["style"] = style  # the page says why the book's style offers no inputs
    write_text_atomically(path, _page(frames, lang, live))  # lone surrogates become U+FFFD
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
    # Imported here: cli imports this module.  The page speaks as the command does.
    from ..cli import _KOREAN, _in_korean, _parse_assignment

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
    # The command's own message for a value that is not a number (tinygrad-ko graph x=abc).
    try:
        _parse_assignment("NAME=\u0000", explanation.lang)
    except ValueError as error:
        not_a_number = str(error).replace("NAME", "{name}").replace(repr("\u0000"), "{text}")
    # Under Korean, the engine's (English) messages are put in Korean as the command puts them.
    korean = {"patterns": [[pattern.replace("(?P<", "(?<"), text] for pattern, text in _KOREAN],
              "otherwise": _in_korean("\u0000").replace("\u0000", "{message}")} if explanation.lang == "ko" else None
    return {
        "nodes": nodes,
        "root": index[root],
        "backward": [index[step.node] for step in explanation.backward[1:]],
        "ops": {name: {"symbol": op.symbol, "name": op.name_ko if explanation.lang == "ko" else op.name_en,
                       "formula": list(op.local_formula)} for name, op in OPS.items()},
        "words": _WORDS[explanation.lang],
        "maxExpression": _MAX_EXPRESSION,
        # numerical_grad's default step and gradcheck's default tolerances.
        "h": default_step(),
        "atol": 1e-5,
        "rtol": 1e-3,
        "notANumber": not_a_number,
        "korean": korean,
    }


def _page(frames: list[Frame], lang: Lang, live: dict[str, Any]) -> str:
    words = _PAGE_WORDS[lang]
    data = [{"svg": f.svg, "text": f.step.text, "phase": f.step.phase, "phaseName": words[f.step.phase],
             "node": f.node_id} for f in frames]
    # "<" escaped so that no text can close the <script> element holding the data.
    payload = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    live_payload = json.dumps(live, ensure_ascii=False, allow_nan=False).replace("<", "\\u003c")
    page_words = json.dumps({k: words[k] for k in _LIVE_WORDS}, ensure_ascii=False).replace("<", "\\u003c")
    script = (_SCRIPT.replace("__RUNTIME__", jsops.runtime_source())
              .replace("__OPS__", jsops.op_table_source()))
    return _TEMPLATE.format(lang=lang, title=html.escape(words["title"]), previous=html.escape(words["previous"]),
                            next=html.escape(words["next"]), step=html.escape(words["step"]),
                            keys=html.escape(words["keys"]), last=len(frames) - 1, frames=payload,
                            live=live_payload, words=page_words, inputs=html.escape(words["inputs"]),
                            inputs_hint=html.escape(words["inputs_hint"]), reset=html.escape(words["reset"]),
                            script=script)


_LIVE_WORDS = ("step", "input", "grad", "slope", "agree", "disagree", "slope_failed", "kink", "overflow", "rough",
               "book_inputs")

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
  #figure .editing polygon, #figure .editing path {{ stroke: #2471a3; stroke-width: 3; }}
  #controls {{ display: flex; gap: 0.75rem; align-items: center; margin: 0.75rem 0; }}
  #slider {{ flex: 1; max-width: 30rem; }}
  #phase {{ font-weight: bold; }}
  #text {{ font-size: 1.1rem; white-space: pre-line; }}
  .hint {{ color: #666; font-size: 0.9rem; }}
  #inputs table {{ border-collapse: collapse; }}
  #inputs td, #inputs th {{ padding: 0.2rem 0.6rem; text-align: left; white-space: nowrap; }}
  #inputs input[type=text] {{ width: 8rem; font: inherit; }}
  #inputs input[type=range] {{ width: 12rem; }}
  #inputs input.bad {{ border: 2px solid #c0392b; }}
  #inputs .number {{ font-family: monospace; }}
  #inputs .disagree {{ color: #c0392b; font-weight: bold; }}
  #message {{ color: #c0392b; min-height: 1.3em; }}
  #table-scroll {{ overflow-x: auto; max-width: 100%; }}
  /* A phone-sized window: smaller fields and sliders so that the table fits, buttons that wrap. */
  @media (max-width: 40rem) {{
    body {{ margin: 0.5rem; }}
    #controls {{ flex-wrap: wrap; gap: 0.4rem; }}
    #inputs td, #inputs th {{ padding: 0.15rem 0.3rem; white-space: normal; }}
    #inputs input[type=text] {{ width: 5rem; }}
    #inputs input[type=range] {{ width: 5rem; }}
  }}
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
<section id="inputs">
<h2>{inputs} <button id="reset" type="button">{reset}</button></h2>
<p class="hint">{inputs_hint}</p>
<div id="table-scroll"><table><tbody id="leaves"></tbody></table></div>
<p id="kink" class="hint" hidden></p>
<p id="message" role="alert"></p>
</section>
<script type="application/json" id="frames">{frames}</script>
<script type="application/json" id="live">{live}</script>
<script type="application/json" id="words">{words}</script>
<script>
{script}
</script>
</body>
</html>
"""

# The page's program.  Not a format string: braces are JavaScript's own.
_SCRIPT = r"""
"use strict";
__RUNTIME__
// Every op's forward and local derivatives, generated from the op table (tinygrad_ko/ops.py).
const OPS_JS = __OPS__;
const frames = JSON.parse(document.getElementById("frames").textContent);
const live = JSON.parse(document.getElementById("live").textContent);
const words = JSON.parse(document.getElementById("words").textContent);
const num = (v) => (typeof v === "string" ? Number(v) : v);
const nodes = live.nodes.map((n) => ({ ...n, data: num(n.data) }));
const figure = document.getElementById("figure");
const slider = document.getElementById("slider");
const previous = document.getElementById("previous");
const next = document.getElementById("next");
const message = document.getElementById("message");
const editable = nodes.map((n, i) => i).filter((i) => nodes[i].editable);
let current = 0;
let state = null;  // the last good computation: {values, data, running, grads, slopes, texts}

// Python's repr of a str, for the command's message about text that is not a number.
function strRepr(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0);
    if (ch === "\\" || ch === quote) out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += "\\x" + code.toString(16).padStart(2, "0");
    else out += ch;
  }
  return quote + out + quote;
}

const fill = (template, values) => template.replace(/\{(\w+)\}/g, (m, key) => values[key]);

// The forward pass: every node's value from the inputs' values (throws K.EngineError).
function forward(values) {
  const data = new Array(nodes.length);
  nodes.forEach((n, i) => {
    if (!n.op) data[i] = n.editable ? values[i] : n.data;
    else data[i] = OPS_JS[n.op].forward(...n.parents.map((p) => data[p]));
  });
  return data;
}

// The backward pass, in Value.backward's order and with its arithmetic: grads after each step.
function backward(data) {
  const grads = new Array(nodes.length).fill(0);
  grads[live.root] = 0 + 1;
  const running = [grads.slice()];
  for (const i of live.backward) {
    const n = nodes[i];
    const g = grads[i];
    const local = OPS_JS[n.op].local;
    const args = [...n.parents.map((p) => data[p]), data[i]];
    n.parents.forEach((p, k) => {
      if (nodes[p].requiresGrad) grads[p] += local[k](...args) * g;
    });
    running.push(grads.slice());
  }
  return running;
}

// The numerical slope of the output in one input: numerical_grad's central difference,
// and whether a number on the way became infinite (the two points, or the output at them).
const infinite = (v) => Math.abs(v) === Infinity;
function slope(values, i) {
  const x = values[i];
  if (!Number.isFinite(x)) return { value: NaN, overflowed: infinite(x) };
  const step = live.h * Math.max(1, Math.abs(x));
  const up = x + step, down = x - step;
  const at = (v) => { const moved = values.slice(); moved[i] = v; return forward(moved)[live.root]; };
  try {
    const high = at(up), low = at(down);
    return { value: (high - low) / (up - down), overflowed: [up, down, high, low].some(infinite) };
  } catch (error) {  // one side leaves the op's domain (log near 0): no slope
    if (error instanceof K.EngineError) return { value: NaN, overflowed: infinite(up) || infinite(down) };
    throw error;
  }
}

// The explainer's sentences (tinygrad_ko.explain) for the current numbers.
function sentences(data, running) {
  const W = live.words;
  const bare = (name) => (name.startsWith("(") && name.endsWith(")") ? name.slice(1, -1) : name);
  const names = [];
  let index = 0;  // the node's forward step: constants have none
  nodes.forEach((n, i) => {
    if (n.op || n.requiresGrad) index++;
    if (n.label) { names[i] = n.label; return; }
    if (!n.op) { names[i] = fmt(data[i]); return; }
    const op = live.ops[n.op];
    const operands = n.parents.map((p) => names[p]);
    const expression = operands.length === 1 ? op.symbol + "(" + bare(operands[0]) + ")"
      : "(" + operands[0] + " " + op.symbol + " " + operands[1] + ")";
    names[i] = [...expression].length <= live.maxExpression ? expression : fill(W.node, { index });
  });
  const prefix = W.node.split("{")[0];
  const numbered = (name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length));
  const valueAndName = (p) => { const v = fmt(data[p]); return names[p] === v ? v : v + " (" + bare(names[p]) + ")"; };
  const texts = {};
  nodes.forEach((n, i) => {
    const value = fmt(data[i]);
    if (!n.op) {
      let text = fill(W.input, { name: names[i], value });
      if (names[i] === value) text = text.split(" = ")[0];
      texts["forward " + i] = text;
      return;
    }
    const op = live.ops[n.op];
    const shown = n.parents.map(valueAndName);
    const computation = shown.length === 1 ? op.symbol + "(" + shown[0] + ")"
      : shown[0] + " " + op.symbol + " " + shown[1];
    let text = op.name + " (" + op.symbol + "): " + computation + " = " + value;
    if (n.label || numbered(names[i])) text += " (" + names[i] + ")";
    texts["forward " + i] = text;
  });
  texts.seed = fill(W.seed, { name: names[live.root], grad: fmt(1) });
  const why = (formula, i) => {
    if (/^-?\d+(\.\d+)?$/.test(formula)) return "";
    const n = nodes[i];
    const bound = { x: n.parents[0], out: i };
    if (n.parents.length > 1) bound.y = n.parents[1];
    if (formula in bound) return " (" + bare(names[bound[formula]]) + ")";
    return " (" + formula.replace(/(?<![A-Za-z_])(x|y|out)(?![A-Za-z_])/g, (m, v) => {
      const name = names[bound[v]];
      return name.includes(" ") && !name.startsWith("(") ? "(" + name + ")" : name;
    }) + ")";
  };
  const received = new Set();
  live.backward.forEach((i, k) => {
    const n = nodes[i];
    const op = live.ops[n.op];
    const before = running[k];
    const upstream = before[i];
    const args = [...n.parents.map((p) => data[p]), data[i]];
    const grads = before.slice();
    const parts = [];
    n.parents.forEach((p, index) => {
      if (!nodes[p].requiresGrad) return;
      const derivative = OPS_JS[n.op].local[index](...args);
      const was = grads[p];
      grads[p] = was + derivative * upstream;
      let result = fmt(grads[p]);
      if (received.has(p)) {
        const added = derivative * upstream;
        result = fmt(was) + " " + (added < 0 ? "-" : "+") + " " + fmt(Math.abs(added)) + " = " + result;
      }
      received.add(p);
      const localText = fmt(derivative);
      let reason = why(op.formula[index], i);
      if (reason === " (" + localText + ")") reason = "";
      parts.push(fill(W.upstream, { grad: fmt(upstream), local: localText, why: reason, name: names[p], result }));
    });
    texts["backward " + k] = op.name + " (" + op.symbol + "): " + parts.join("; ");
  });
  return texts;
}

function compute(values) {
  const data = forward(values);  // throws on a bad value: nothing below runs
  const running = backward(data);
  const slopes = {};
  const grads = running[running.length - 1];
  // Overflow makes the two gradients disagree whatever the graph: the page names it before a kink.
  let overflowed = data.some(infinite) || grads.some(infinite);
  for (const i of editable) {
    const found = slope(values, i);
    slopes[i] = found.value;
    overflowed = overflowed || found.overflowed;
  }
  return { values, data, running, grads, slopes, overflowed, texts: sentences(data, running) };
}

// The drawing's number lines: the label (if any), then data, then grad; the words before
// the number ("data ", "grad ") stay as drawn, only the number changes.
function redrawNumbers(frame) {
  const index = Object.fromEntries(nodes.map((n, i) => [n.id, i]));
  const backwardStep = frame.phase === "forward" ? null : frame.backwardIndex;
  for (const group of figure.querySelectorAll("g.node")) {
    const i = index[group.querySelector("title").textContent];
    if (i === undefined) continue;  // an op circle
    if (!nodes[i].op && !nodes[i].requiresGrad) continue;  // a constant never changes
    const lines = group.querySelectorAll("text");
    const first = nodes[i].label ? 1 : 0;
    const shape = group.querySelector("polygon, path, ellipse");
    const set = (line, v) => {
      if (!line) return;
      line.textContent = line.textContent.slice(0, line.textContent.lastIndexOf(" ") + 1) + fmt(v);
      fitLine(line, shape);
    };
    if (lines.length > first) set(lines[first], state.data[i]);
    if (backwardStep !== null && lines.length > first + 1) set(lines[first + 1], state.running[backwardStep][i]);
  }
}

// A box was laid out for the first numbers: a longer number is narrowed to the box
// (SVG's textLength) rather than run past its border.
function fitLine(line, shape) {
  line.removeAttribute("textLength");
  line.removeAttribute("lengthAdjust");
  if (!shape) return;
  const room = shape.getBBox().width - 6;  // Graphviz keeps about this margin inside a box
  if (room > 0 && line.getComputedTextLength() > room) {
    line.setAttribute("textLength", String(room));
    line.setAttribute("lengthAdjust", "spacingAndGlyphs");
  }
}

let edited = false;
let forwardCount = 0;
frames.forEach((frame) => {
  if (frame.phase === "forward") frame.forwardIndex = forwardCount++;
});
let backwardCount = 0;
frames.forEach((frame) => {
  if (frame.phase !== "forward") frame.backwardIndex = backwardCount++;
});
// The forward steps name nodes in the order explain() computes them.
const forwardNodes = [];
frames.forEach((frame) => {
  if (frame.phase === "forward") forwardNodes.push(nodes.findIndex((n) => n.id === frame.node));
});

function show(index) {
  current = Math.max(0, Math.min(frames.length - 1, index));
  const frame = frames[current];
  figure.innerHTML = frame.svg;  // SVG written by Graphviz: labels arrive XML-escaped
  figure.dataset.node = frame.node;
  let text = frame.text;
  if (edited) {
    redrawNumbers(frame);
    text = frame.phase === "forward" ? state.texts["forward " + forwardNodes[frame.forwardIndex]]
      : frame.phase === "seed" ? state.texts.seed : state.texts["backward " + (frame.backwardIndex - 1)];
  }
  markEditing();
  document.getElementById("phase").textContent = frame.phaseName;
  // One line per input of the node: the explainer separates them with "; ".
  document.getElementById("text").textContent = text.split("; ").join(";\n");
  document.getElementById("counter").textContent = words.step + " " + (current + 1) + " / " + frames.length;
  slider.value = String(current);
  previous.disabled = current === 0;
  next.disabled = current === frames.length - 1;
}

// -- the inputs a learner can edit --------------------------------------------------
const rows = {};
let focused = null;
function markEditing() {
  for (const group of figure.querySelectorAll("g.node")) {
    const id = group.querySelector("title").textContent;
    group.classList.toggle("editing", focused !== null && id === nodes[focused].id);
  }
}
function sliderRange(x) {
  const width = 2 * Math.max(1, Math.abs(x));
  return { min: x - width, max: x + width, step: width / 200 };
}
function parse(text) {
  // What Python's float() reads, in decimal: an optional sign, digits, a point, an exponent.
  if (/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text)) return Number(text);
  return null;
}
function showNumbers() {
  let disagree = false;
  for (const i of editable) {
    const row = rows[i];
    const grad = state.grads[i], numerical = state.slopes[i];
    row.grad.textContent = fmt(grad);
    row.slope.textContent = Number.isNaN(numerical) ? words.slope_failed : fmt(numerical);
    const agree = Math.abs(grad - numerical) <= live.atol + live.rtol * Math.abs(numerical);
    row.verdict.textContent = agree ? words.agree : words.disagree;
    row.verdict.className = agree ? "agree" : "disagree";
    disagree = disagree || !agree;
  }
  // The disagreement's real cause: overflow, else ReLU's kink (the one op with a corner), else
  // a function too steep or rough here for the central difference.
  const kink = document.getElementById("kink");
  kink.textContent = state.overflowed ? words.overflow
    : nodes.some((n) => n.op === "relu") ? words.kink : words.rough;
  kink.hidden = !disagree;
}
// The command's rule (tinygrad_ko.cli._in_korean): the first pattern that matches the whole message.
function localized(text) {
  if (!live.korean) return text;
  for (const [pattern, korean] of live.korean.patterns) {
    const match = new RegExp("^(?:" + pattern + ")$", "s").exec(text);
    if (match) return fill(korean, match.groups || {});
  }
  return fill(live.korean.otherwise, { message: text });
}
function edit(i, text, from) {
  const value = parse(text);
  const name = rows[i].name;
  if (value === null) {
    message.textContent = live.notANumber.replace("{name}", name).replace("{text}", strRepr(text));
    rows[i].field.classList.add("bad");
    return false;
  }
  const values = state.values.slice();
  values[i] = value;
  let next;
  try {
    next = compute(values);
  } catch (error) {
    if (!(error instanceof K.EngineError)) throw error;
    message.textContent = localized(error.message);  // the engine's words; the last good state stays drawn
    rows[i].field.classList.add("bad");
    return false;
  }
  state = next;
  edited = true;
  message.textContent = "";
  for (const j of editable) {
    rows[j].field.classList.remove("bad");
    if (j !== i) rows[j].field.value = String(state.values[j]);  // drop a bad text left in another field
  }
  if (from !== "field") rows[i].field.value = String(value);
  if (from !== "slider" && Number.isFinite(value)) {
    const range = sliderRange(value);
    Object.assign(rows[i].range, { min: range.min, max: range.max, step: range.step });
    rows[i].range.value = String(value);
  }
  showNumbers();
  show(current);
  return true;
}
function buildInputs() {
  const body = document.getElementById("leaves");
  const head = document.createElement("tr");
  for (const word of [words.input, "", "", words.grad, words.slope, ""]) {
    const th = document.createElement("th");
    th.textContent = word;
    head.append(th);
  }
  body.append(head);
  editable.forEach((i, k) => {
    const tr = document.createElement("tr");
    tr.dataset.node = nodes[i].id;
    const name = nodes[i].label || fill(words.input + " {k}", { k: k + 1 });
    const cells = Array.from({ length: 6 }, () => document.createElement("td"));
    cells[0].textContent = name;
    const field = document.createElement("input");
    field.type = "text";
    field.value = String(nodes[i].data);
    field.setAttribute("aria-label", name);
    const range = document.createElement("input");
    range.type = "range";
    Object.assign(range, sliderRange(nodes[i].data));
    range.value = String(nodes[i].data);
    range.setAttribute("aria-label", name);
    cells[1].append(field);
    cells[2].append(range);
    cells[3].className = cells[4].className = "number";
    tr.append(...cells);
    body.append(tr);
    rows[i] = { name, field, range, grad: cells[3], slope: cells[4], verdict: cells[5] };
    field.addEventListener("input", () => edit(i, field.value, "field"));
    range.addEventListener("input", () => edit(i, range.value, "slider"));
    for (const element of [field, range]) {
      element.addEventListener("focus", () => { focused = i; markEditing(); });
      element.addEventListener("blur", () => { focused = null; markEditing(); });
    }
  });
}
const initial = nodes.map((n) => n.data);
try {
  state = compute(initial);
} catch (error) {  // only if JavaScript's Math lands on the other side of an edge than Python's
  message.textContent = error.message;
  throw error;
}
buildInputs();
showNumbers();
// The book's style offers no inputs: the section stays, saying why, instead of vanishing.
const bookStyle = live.style === "book" && nodes.some((n) => !n.op && n.requiresGrad);
document.getElementById("inputs").hidden = editable.length === 0 && !bookStyle;
if (bookStyle) {
  for (const id of ["reset", "table-scroll"]) document.getElementById(id).hidden = true;
  document.querySelector("#inputs .hint").textContent = words.book_inputs;
}
document.getElementById("reset").addEventListener("click", () => {
  state = compute(initial);
  edited = false;
  message.textContent = "";
  for (const i of editable) {
    rows[i].field.value = String(initial[i]);
    rows[i].field.classList.remove("bad");
    Object.assign(rows[i].range, sliderRange(initial[i]));
    rows[i].range.value = String(initial[i]);
  }
  showNumbers();
  show(current);
});

previous.addEventListener("click", () => show(current - 1));
next.addEventListener("click", () => show(current + 1));
slider.addEventListener("input", () => show(Number(slider.value)));
document.addEventListener("keydown", (event) => {
  if (event.target.tagName === "INPUT") return;  // sliders and fields handle their own keys
  if (event.key === "ArrowRight") show(current + 1);
  else if (event.key === "ArrowLeft") show(current - 1);
  else if (event.key === "Home") show(0);
  else if (event.key === "End") show(frames.length - 1);
  else return;
  event.preventDefault();
});
show(0);
"""
