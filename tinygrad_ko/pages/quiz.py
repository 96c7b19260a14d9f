"""The quiz mode of the step page: the questions, their right answers and the mistakes they diagnose.

In quiz mode (``write_steps(root, path, quiz=True)``) the page hides every gradient of the
backward pass until the learner types it in.  There is one question per gradient that a
backward step passes on, in the order of :func:`~tinygrad_ko.explain`'s backward steps
(the order of :meth:`Value.backward`): at the step of node ``z``, "what is the gradient
of ``x`` now?" for each input ``x`` of ``z`` that takes a gradient.  The right answer is
the explainer's own number (``Step.gradients``: bit for bit what ``backward()`` leaves).

Each question also carries the *variants*: the number a learner gets by one of the
classic mistakes, named with the codes of :mod:`tinygrad_ko.exercises` where they apply.
With ``before`` the gradient the input already holds, ``upstream`` the gradient arriving
at ``z`` and ``local`` the local derivative ∂z/∂x from the op table:

==========================  ===================================  =========================
code                        the learner's number                 where
==========================  ===================================  =========================
``swapped-inputs``          before + upstream · (the other       a multiply node
                            input's local derivative)
``missing-upstream``        before + local                       every op
``wrong-gradient`` (sign)   before - upstream · local            a subtract or negate node
``reuse-not-accumulated``   upstream · local (``=``, not ``+=``)  an input used before
==========================  ===================================  =========================

The fixed codes have no sign code for pages, so a sign error is ``wrong-gradient`` with
its own reason (``"sign"``) and sentence; any other wrong number is ``wrong-gradient``
with the general sentence.  A variant that equals the right answer (within the
tolerance) is dropped, so a right answer is never diagnosed as a mistake (at ``x * x``
the swapped answer *is* the right one; with upstream 1, so is the forgotten upstream),
and of two variants that are equal, the first in the table above is kept.

The page compares numbers only (no formula is written in the page's script): each
target is ``{"value", "within"}`` and an answer ``a`` matches when
``|a - value| <= within``.
"""

from __future__ import annotations

import math
from typing import Any

from ..explain import Explanation
from ..graph import topological_order
from ..messages import text
from ..text import format_number, local_derivative

__all__ = ["RTOL", "questions"]

#: An answer is right when it is within this fraction of the gradient (relative 1e-3).
#: The page writes every number to 6 significant digits, so an answer worked out from
#: the shown numbers carries their rounding (about 5e-6 relative each, ~1e-5 for a
#: product), and a learner who rounds the result to 4 significant digits adds up to
#: 5e-4: 1e-3 accepts both (2.2 for 2.2000000000000002, 0.1966 for 0.196612) and still
#: tells apart the mistakes, whose numbers differ by a factor (the other input, the
#: upstream gradient, -1), unless that factor is itself within 0.1% of 1.
RTOL = 1e-3


def _within(value: float, *terms: float) -> float:
    """The absolute tolerance for ``value``, a sum of ``terms``: RTOL times the largest of them.

    Relative to the terms and not only to the sum: when a reused input's two shares nearly
    cancel, the sum is rounding noise of the terms (1e-17 for 0.1 + 0.2 - 0.3), and 0 is
    then a right answer.
    """
    return RTOL * max(abs(value), *(abs(t) for t in terms))


def _number(x: float) -> float | str:
    """A float for the page's JSON: finite numbers as themselves, others as text JavaScript's Number() reads."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def _target(value: float, *terms: float) -> dict[str, float | str]:
    within = _within(value, *terms) if math.isfinite(value) and all(map(math.isfinite, terms)) else 0.0
    return {"value": _number(value), "within": within}


def _close(a: float, target: dict[str, float | str]) -> bool:
    value = float(target["value"])
    if not math.isfinite(value):
        return a == value or (math.isnan(a) and math.isnan(value))
    return abs(a - value) <= float(target["within"])


def questions(explanation: Explanation) -> list[dict[str, Any]]:
    """The quiz's questions for the backward pass explained by ``explanation``, in backward order.

    Each is a dict for the page's JSON: ``frame`` (the index of its step's picture among
    the step page's frames: forward steps, the seed, then the backward steps), ``node``
    (the input asked about, as an index into the page's nodes, inputs first), ``step``
    (its backward step, 1 for the first after the seed), the words of the question
    (``name``, ``op``, ``symbol``, ``formula``, ``partner``, ``upstream``, ``before``, as
    the page writes them), ``sum`` (the input already received a gradient in this pass),
    ``right`` (a target: ``value`` and ``within``) and ``variants`` (targets with their
    ``code`` and ``reason``).

    >>> from tinygrad_ko import Value, explain
    >>> x, y = Value(3.0, label="x"), Value(4.0, label="y")
    >>> [(q["name"], q["right"]["value"], [(v["code"], v["value"]) for v in q["variants"]])
    ...  for q in questions(explain(x * y, "en"))]
    [('x', 4.0, [('swapped-inputs', 3.0)]), ('y', 3.0, [('swapped-inputs', 4.0)])]
    """
    lang = explanation.lang
    order = topological_order(explanation.root)[::-1]  # the page's nodes: inputs first
    index = {node: i for i, node in enumerate(order)}
    names = explanation.names
    first_frame = len(explanation.forward)  # the seed's frame; backward step k is frame first_frame + k
    grads = {explanation.root: 1.0}
    received: set[object] = set()
    found = []
    for k, step in enumerate(explanation.backward[1:], start=1):
        node, op, upstream = step.node, step.op, step.upstream
        assert op is not None and upstream is not None  # a backward step, not the seed
        data = [parent.data for parent in node.parents]
        taking = [i for i, parent in enumerate(node.parents) if parent.requires_grad]  # as explain's step.inputs
        for position, parent, local, after in zip(taking, step.inputs, step.local, step.gradients, strict=True):
            before = grads.get(parent, 0.0)
            share = local * upstream
            right = _target(after, before, share)
            candidates: list[tuple[str, str, float, float]] = []  # code, reason, value, its wrong share
            partner = None
            if op.name == "mul":
                other = 1 - position
                partner = names[node.parents[other]]
                swapped = local_derivative(op, other, data, node.data) * upstream
                candidates.append(("swapped-inputs", "swapped", before + swapped, swapped))
            candidates.append(("missing-upstream", "missing_upstream", before + local, local))
            if op.name in ("sub", "neg"):
                candidates.append(("wrong-gradient", "sign", before - share, -share))
            if parent in received:
                candidates.append(("reuse-not-accumulated", "not_accumulated", share, share))
            variants: list[dict[str, Any]] = []
            for code, reason, value, wrong_share in candidates:
                if not math.isfinite(value) or _close(value, right) or any(_close(value, v) for v in variants):
                    continue
                variants.append({"code": code, "reason": reason, **_target(value, before, wrong_share)})
            found.append({
                "frame": first_frame + k, "step": k, "node": index[parent],
                "name": names[parent], "op": text(f"explain.op.{op.name}", lang), "symbol": op.symbol,
                "formula": op.local_formula[position], "partner": partner,
                "upstream": format_number(upstream), "before": format_number(before),
                "sum": parent in received, "right": right, "variants": variants,
            })
            grads[parent] = after
            received.add(parent)
    return found
