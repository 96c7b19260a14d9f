"""The forward and backward passes as a readable, step-by-step trace (ko/en).

:func:`explain` walks a graph in topological order and returns every step as
data — the node, its op, its inputs, and in the backward pass the upstream
gradient (상류 기울기), the local derivatives (국소적 미분) and the gradients they
give — with one sentence per step in the book's words::

    곱셈 노드 (*): 상류 기울기 1.1 × 국소적 미분 2 (사과 개수) → 사과의 기울기 2.2

Numbers are written as the DOT exporter writes them (:func:`~tinygrad_ko.text.format_number`,
six significant digits), so the text and the drawing agree.  Everything an op
contributes (its name, symbol, local derivative and the formula shown in
parentheses) comes from the op table in :mod:`tinygrad_ko.ops`, so a new op
explains itself; its name in each language is the catalog's ``explain.op.<name>``
(:mod:`tinygrad_ko.messages`), as are the sentences.

The gradients are recomputed here from the local derivatives, in the same order
as :meth:`Value.backward` (:func:`~tinygrad_ko.graph.backward_order`), and never
written to the nodes (the walk's marks aside, which it writes under ``backward()``'s
lock, as every walk that marks does): the explanation is the same before or after
``backward()``, and equals what one ``backward()`` from zero gradients leaves on
the nodes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .engine import Value, _backward_lock
from .graph import backward_order, topological_order
from .messages import DEFAULT_LANG, LANGS, LocalizedTypeError, LocalizedValueError, catalog, resolve_lang, text
from .ops import OPS, Op
from .text import format_number, is_constant, label_text, local_derivative

__all__ = ["Explanation", "Lang", "Step", "explain", "sentences"]

#: A language of the catalogs (:data:`tinygrad_ko.messages.LANGS`): a plain ``str``, checked
#: when a call gets it, so that a third language is one catalog file and no code.
Lang = str
Phase = Literal["forward", "seed", "backward"]

# An unlabeled intermediate node is named by its expression, e.g. "(a * b) + c",
# while that stays short enough to read in one line; past this it gets a number.
_MAX_EXPRESSION = 60

# The sentences of a step, by their catalog id under "explain." (the step page's explainer fills them too).
_SENTENCES = ("input", "input_unnamed", "node", "seed", "upstream")


def sentences(lang: Lang | None = None) -> dict[str, str]:
    """The templates of explain's sentences in ``lang`` (default: the session's), by name.

    ``input``, ``input_unnamed``, ``node``, ``seed`` and ``upstream``, with ``str.format``
    placeholders, for code that writes the same sentences elsewhere (the step page's
    script).  They come from the catalogs (:mod:`tinygrad_ko.messages`).

    >>> sentences("en")["node"]
    'node {index}'
    """
    words = catalog(resolve_lang(lang, "sentences"))
    return {name: words[f"explain.{name}"] for name in _SENTENCES}


# The variables of Op.local_formula: x, y (the inputs) and out (the output).
_FORMULA_VARIABLE = re.compile(r"(?<![A-Za-z_])(x|y|out)(?![A-Za-z_])")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


@dataclass(frozen=True)
class Step:
    """One step of a pass over one node.

    ``phase`` is ``"forward"`` (the node's value is computed; leaves included),
    ``"seed"`` (the backward pass starts: the root's gradient is set) or
    ``"backward"`` (the node passes its gradient to its inputs).  For a backward
    step, ``inputs`` are the node's inputs that take a gradient (constants such as
    the 2 of ``x ** 2`` are left out), ``upstream`` is the gradient arriving at the
    node, ``local`` holds ∂node/∂input for each of those inputs, and ``gradients``
    each one's gradient right after this step (within this pass, so a reused input
    shows the running sum).
    ``text`` is the step as one sentence.
    """

    phase: Phase
    node: Value
    op: Op | None
    inputs: tuple[Value, ...]
    upstream: float | None
    local: tuple[float, ...]
    gradients: tuple[float, ...]
    text: str


@dataclass(frozen=True, repr=False)
class Explanation:
    """The steps of both passes; ``str()`` gives one line a step.

    ``forward`` lists the nodes in the order their values are computed,
    ``backward`` starts with the seed step and then follows the order of
    backpropagation.  ``names`` maps each node to the name the text uses.
    """

    root: Value
    lang: Lang
    forward: tuple[Step, ...]
    backward: tuple[Step, ...]
    names: dict[Value, str]

    @property
    def steps(self) -> tuple[Step, ...]:
        """Forward steps, then the backward ones: the order of a step-through."""
        return self.forward + self.backward

    def gradients(self) -> dict[Value, float]:
        """Every node's gradient at the end of the backward pass explained here."""
        result = {node: 0.0 for node in self.names}
        for step in self.backward:
            if step.phase == "seed":
                result[step.node] = step.upstream or 0.0
            for node, grad in zip(step.inputs, step.gradients, strict=True):
                result[node] = grad
        return result

    def _headings(self) -> tuple[str, str]:
        return text("explain.forward", self.lang), text("explain.backward", self.lang)

    def __str__(self) -> str:
        heading = self._headings()
        lines = [f"[{heading[0]}]", *(s.text for s in self.forward),
                 f"[{heading[1]}]", *(s.text for s in self.backward)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<Explanation of {self.names[self.root]!r} ({self.lang}): {len(self.forward)} forward steps, "
                f"{len(self.backward)} backward steps; print() it to read them>")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's plain-text display: the readable text, not the dataclass fields."""
        printer.text(str(self))

    def _repr_html_(self) -> str:
        """Jupyter's rich display: both passes as numbered lists (every text HTML-escaped)."""
        parts = []
        for heading, steps in zip(self._headings(), (self.forward, self.backward), strict=True):
            items = "".join(f"<li>{html.escape(step.text)}</li>" for step in steps)
            parts.append(f"<h4>{html.escape(heading)}</h4><ol>{items}</ol>")
        return f'<div class="tinygrad-ko-explanation" lang="{self.lang}">{"".join(parts)}</div>'


def explain(root: Value, lang: Lang | None = None) -> Explanation:
    """Explain the forward and backward passes of the graph ending at ``root``.

    ``lang`` is ``"en"`` or ``"ko"`` (the book's Korean terms), one of
    :data:`tinygrad_ko.messages.LANGS`; None (the default) is the session's language
    (:func:`tinygrad_ko.messages.set_lang`, else ``$TINYGRAD_KO_LANG``), English when
    nothing is set, as everywhere in the package (``to_dot``, ``gradcheck``,
    ``write_steps`` and the command).  The nodes are only read, so calling this before or after
    ``backward()`` gives the same result.  Constants (numbers in the expression)
    are not inputs: they have no forward step and receive no gradient.

    >>> from tinygrad_ko import Value
    >>> apple, n, tax = Value(100, label="apple"), Value(2, label="n"), Value(1.1, label="tax")
    >>> price = apple * n * tax
    >>> print(explain(price, lang="en"))  # doctest: +NORMALIZE_WHITESPACE
    [forward]
    input apple = 100
    input n = 2
    multiply node (*): 100 (apple) * 2 (n) = 200
    input tax = 1.1
    multiply node (*): 200 (apple * n) * 1.1 (tax) = 220
    [backward]
    backward starts: gradient of ((apple * n) * tax) 1
    multiply node (*): upstream gradient 1 × local derivative 1.1 (tax) → gradient of (apple * n) 1.1;
        upstream gradient 1 × local derivative 200 (apple * n) → gradient of tax 200
    multiply node (*): upstream gradient 1.1 × local derivative 2 (n) → gradient of apple 2.2;
        upstream gradient 1.1 × local derivative 100 (apple) → gradient of n 110
    """
    if not isinstance(root, Value):
        raise LocalizedTypeError("explain.not_a_value", type=type(root).__name__)
    if lang is not None and lang not in LANGS:
        # Worded as explain has always worded it ("'ko' or 'en'"), naming every catalog.
        others = ", ".join(repr(other) for other in LANGS if other != DEFAULT_LANG)
        raise LocalizedValueError("explain.lang_unknown", others=others, default=DEFAULT_LANG, got=lang)
    lang = resolve_lang(lang, "explain")
    order = topological_order(root)
    forward_order = order[::-1]
    names, numbered = _names(forward_order, lang)
    # A constant is not an input: no "input 2" step (the op's step shows its value).
    forward = tuple(_forward_step(node, names, numbered, lang) for node in forward_order if not is_constant(node))

    grads = {node: 0.0 for node in order}
    grads[root] = 1.0
    received: set[Value] = set()  # inputs that already got a share of gradient in this pass
    seed = Step("seed", root, None, (), 1.0, (), (),
                text("explain.seed", lang, name=names[root], grad=format_number(1.0)))
    backward = [seed]
    # The op nodes in the order Value.backward visits them (graph.backward_order).  That walk
    # writes the nodes' walk marks, so it takes backward()'s lock: a backward() running on the
    # same graph in another thread would otherwise skip nodes (a wrong gradient).
    with _backward_lock:
        backward_nodes = backward_order(root)[0]
    for node in backward_nodes:
        op = OPS[node.op]
        upstream = grads[node]
        data = [parent.data for parent in node.parents]
        # Only inputs that take a gradient: a constant gets none, and (as in Value.backward)
        # its local derivative is never computed (x ** 2 at x = -3 takes no log of -3).
        taking = [i for i, parent in enumerate(node.parents) if parent.requires_grad]
        inputs = tuple(node.parents[i] for i in taking)
        local = tuple(local_derivative(op, i, data, node.data) for i in taking)
        parts, after = [], []
        # The same arithmetic, in the same order, as Value.backward: the numbers
        # here are bit-for-bit the ones a single backward() leaves on the nodes.
        for index, parent, derivative in zip(taking, inputs, local, strict=True):
            before = grads[parent]
            grads[parent] = before + derivative * upstream
            after.append(grads[parent])
            result = format_number(grads[parent])
            if parent in received:  # a reused input: show the sum the chain rule makes
                added = derivative * upstream
                sign = "-" if added < 0.0 else "+"
                result = f"{format_number(before)} {sign} {format_number(abs(added))} = {result}"
            received.add(parent)
            local_text = format_number(derivative)
            why = _why(op.local_formula[index], node.parents, node, names)
            if why == f" ({local_text})":  # a constant explains itself: "2", not "2 (2)"
                why = ""
            parts.append(text("explain.upstream", lang, grad=format_number(upstream), local=local_text, why=why,
                              name=names[parent], result=result))
        sentence = f"{_op_name(op, lang)} ({op.symbol}): " + "; ".join(parts)
        backward.append(Step("backward", node, op, inputs, upstream, local, tuple(after), sentence))
    return Explanation(root, lang, forward, tuple(backward), names)


def _op_of(node: Value) -> Op | None:
    return OPS[node.op] if node.op else None


def _op_name(op: Op, lang: Lang) -> str:
    return text(f"explain.op.{op.name}", lang)


def _names(forward_order: Sequence[Value], lang: Lang) -> tuple[dict[Value, str], set[Value]]:
    """How the text calls each node: its label, else its expression, else a number; and the numbered nodes.

    Leaves without a label are constants as far as a reader can tell, so they are
    called by their value.  A binary expression keeps its parentheses, so that a
    sentence such as ``(a * b)의 기울기`` cannot be misread.  Parents come before
    children in ``forward_order``.
    """
    names: dict[Value, str] = {}
    numbered: set[Value] = set()
    index = 0  # the node's forward step: constants have none (explain gives them no step)
    for node in forward_order:
        index += not is_constant(node)
        op = _op_of(node)
        if node.label:
            names[node] = label_text(node.label)  # the drawing's visible form: no raw control characters
        elif op is None:
            names[node] = format_number(node.data)
        else:
            operands = [names[parent] for parent in node.parents]
            expression = (f"{op.symbol}({_bare(operands[0])})" if op.arity == 1
                          else f"({operands[0]} {op.symbol} {operands[1]})")
            if len(expression) <= _MAX_EXPRESSION:
                names[node] = expression
            else:
                names[node] = text("explain.node", lang, index=index)
                numbered.add(node)
    return names, numbered


def _bare(name: str) -> str:
    """A name without its outer parentheses, for places that add their own."""
    return name[1:-1] if name.startswith("(") and name.endswith(")") else name


def _forward_step(node: Value, names: dict[Value, str], numbered: set[Value], lang: Lang) -> Step:
    op = _op_of(node)
    inputs = node.parents
    value = format_number(node.data)
    if op is None:
        if names[node] == value:  # called by its value: "input 2", not "input 2 = 2"
            sentence = text("explain.input_unnamed", lang, value=value)
        else:
            sentence = text("explain.input", lang, name=names[node], value=value)
        return Step("forward", node, None, (), None, (), (), sentence)
    shown = [_value_and_name(parent, names) for parent in inputs]
    computation = f"{op.symbol}({shown[0]})" if op.arity == 1 else f"{shown[0]} {op.symbol} {shown[1]}"
    sentence = f"{_op_name(op, lang)} ({op.symbol}): {computation} = {value}"
    if node.label or node in numbered:  # names the reader cannot infer
        sentence += f" ({names[node]})"
    return Step("forward", node, op, inputs, None, (), (), sentence)


def _value_and_name(node: Value, names: dict[Value, str]) -> str:
    """``2 (n)``; a constant is just its value, not ``2 (2)``."""
    value = format_number(node.data)
    return value if names[node] == value else f"{value} ({_bare(names[node])})"


def _why(formula: str, inputs: tuple[Value, ...], node: Value, names: dict[Value, str]) -> str:
    """Where a local derivative comes from: `` (사과 개수)`` for ``y``, nothing for ``1``."""
    if _NUMBER.fullmatch(formula):
        return ""
    bound = {"x": inputs[0], "out": node}
    if len(inputs) > 1:
        bound["y"] = inputs[1]
    if formula in bound:
        return f" ({_bare(names[bound[formula]])})"

    def substitute(match: re.Match[str]) -> str:
        name = names[bound[match.group(1)]]
        return f"({name})" if " " in name and not name.startswith("(") else name

    return f" ({_FORMULA_VARIABLE.sub(substitute, formula)})"
