"""Comparing a learner's numbers with the right ones, and writing numbers into messages.

**The tolerance.**  Every check runs in float64 (unit roundoff u = 2**-53 ≈ 1.1e-16).  A
right answer computed another way differs from ours by rounding only: a sum of n products
in another order by at most about n·u times the sum of the terms' magnitudes (Higham's γ_n;
n <= 8 here, Affine's dW), ``1 - out`` in the sigmoid's slope by e^|x|·u relative (|x| <= 3
in the inputs: 20 u), a softmax shifted by another constant by a few u per class.  So a
gradient passes when ``|got - right| <= RTOL · scale`` elementwise, where ``scale`` is the
magnitude of the terms it is made of (for a product, the product itself; for Affine, the
same products of absolute values).  RTOL = 1e-10 is about 10**6 u: a thousand times the
largest rounding above, and far below the smallest gap between the right answer and any
wrong variant (the inputs are chosen so that they differ by more than 1 %).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["RTOL", "close", "shown", "shown_pair"]

#: The relative tolerance of every comparison (see the module's docstring).
RTOL = 1e-10
# Expected zeros (ReLU's blocked entries) have a scale of 0: a right answer is an exact
# zero (or -0.0); the smallest normal float keeps a subnormal result from failing.
_FLOOR = float(np.finfo(np.float64).tiny)


def close(got: Any, right: Any, scale: Any, extra: Any = 0.0) -> bool:
    """Whether ``got`` equals ``right`` within ``RTOL · scale`` (+ ``extra``) elementwise, shapes equal.

    NaN in ``got`` where ``right`` is finite never passes.
    """
    got_array, right_array = np.asarray(got, dtype=np.float64), np.asarray(right, dtype=np.float64)
    if got_array.shape != right_array.shape:
        return False
    bound = RTOL * np.abs(np.asarray(scale, dtype=np.float64)) + _FLOOR + extra
    return bool(np.all(np.abs(got_array - right_array) <= bound))


def _fixed(value: npt.NDArray[np.float64], digits: int) -> str:
    if value.ndim == 0:
        return _scalar(float(value), digits)
    # One line, however many rows: a message is a sentence, not a table.
    return np.array2string(value, separator=", ", max_line_width=10**6,
                           formatter={"float_kind": lambda v: _scalar(float(v), digits)}).replace(",\n", ",") \
        .replace("\n", "")


def _scalar(value: float, digits: int) -> str:
    return f"{value:.{digits}g}"


def shown(value: Any, digits: int = 6) -> str:
    """A number or array as a learner reads it: 6 significant digits (``2.2``, ``[0, 2.5]``)."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return repr(value)
    return _fixed(array, digits)


def shown_pair(got: Any, right: Any) -> tuple[str, str]:
    """``got`` and ``right`` with just enough digits (6 to 17) that they do not read the same."""
    for digits in (6, 10, 17):
        pair = shown(got, digits), shown(right, digits)
        if pair[0] != pair[1]:
            break
    return pair
