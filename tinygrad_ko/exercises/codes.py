"""The finding codes, defined once: the checks, the ``check`` command and the quiz page use these strings.

Each code names one mistake a learner makes when writing backpropagation by hand.  The
severity says whether the code is wrong (``"error"``) or right but fragile (``"warning"``:
the book's own ``Relu`` writes into the caller's ``dout``; micrograd's recursive sort
cannot walk a deep graph).
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "CODES",
    "ERROR",
    "EXCEPTION",
    "MISSING_UPSTREAM",
    "MUTATES_INPUT",
    "NOT_TOPOLOGICAL",
    "RECURSION_LIMIT",
    "REUSE_NOT_ACCUMULATED",
    "SEVERITY",
    "SIGMOID_DERIVATIVE_OF_INPUT",
    "SWAPPED_INPUTS",
    "WARNING",
    "WRONG_FORWARD",
    "WRONG_GRADIENT",
    "WRONG_LOCAL_DERIVATIVE",
    "WRONG_SHAPE",
    "Severity",
]

Severity = Literal["error", "warning"]
ERROR: Final = "error"
WARNING: Final = "warning"

EXCEPTION: Final = "exception"
WRONG_FORWARD: Final = "wrong-forward"
SWAPPED_INPUTS: Final = "swapped-inputs"
MISSING_UPSTREAM: Final = "missing-upstream"
SIGMOID_DERIVATIVE_OF_INPUT: Final = "sigmoid-derivative-of-input"
WRONG_SHAPE: Final = "wrong-shape"
WRONG_GRADIENT: Final = "wrong-gradient"
MUTATES_INPUT: Final = "mutates-input"
REUSE_NOT_ACCUMULATED: Final = "reuse-not-accumulated"
NOT_TOPOLOGICAL: Final = "not-topological"
WRONG_LOCAL_DERIVATIVE: Final = "wrong-local-derivative"
RECURSION_LIMIT: Final = "recursion-limit"

#: Every code and its severity, in the order a report lists them.
SEVERITY: Final[dict[str, Severity]] = {
    EXCEPTION: "error",
    WRONG_FORWARD: "error",
    SWAPPED_INPUTS: "error",
    MISSING_UPSTREAM: "error",
    SIGMOID_DERIVATIVE_OF_INPUT: "error",
    WRONG_SHAPE: "error",
    WRONG_GRADIENT: "error",
    REUSE_NOT_ACCUMULATED: "error",
    NOT_TOPOLOGICAL: "error",
    WRONG_LOCAL_DERIVATIVE: "error",
    MUTATES_INPUT: "warning",
    RECURSION_LIMIT: "warning",
}

#: Every finding code, in the order a report lists them.
CODES: Final[tuple[str, ...]] = tuple(SEVERITY)
