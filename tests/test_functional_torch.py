"""hessian() against an independent oracle: PyTorch's ``torch.autograd.functional.hessian``.

PyTorch is not a test dependency (CI installs the ``test`` extra only), so this module
runs where torch is importable (``pip install torch``, a CPU build) and is skipped elsewhere;
tests/test_functional.py judges the same hessians against numerical differentiation.
"""

from __future__ import annotations

import pytest
from hypothesis import given, note

from tinygrad_ko import Value, hessian
from tinygrad_ko.testing import Expression, expressions

torch = pytest.importorskip("torch", reason="PyTorch is the oracle here: pip install torch to run this module")


@given(expressions(max_inputs=3, max_ops=8))
def test_hessian_agrees_with_pytorch(sample: tuple[Expression, tuple[float, ...]]) -> None:
    expression, xs = sample
    values = [Value(v) for v in xs]
    ours = hessian(expression.build(values), values)
    theirs = torch.autograd.functional.hessian(lambda v: expression.build(list(v.unbind())),
                                               torch.tensor(xs, dtype=torch.float64)).tolist()
    scale = max(1.0, *(abs(v) for row in theirs for v in row))
    for i, row in enumerate(ours):
        for j, value in enumerate(row):
            note(f"{expression}\nH[{i}][{j}]: ours {value!r}, PyTorch {theirs[i][j]!r}")
            # The same derivative rules in exact arithmetic, summed in a different order (and
            # torch's sigmoid, tanh and pow are other implementations): they differ by rounding
            # only, a few ε per node of at most a few dozen, times the largest entry.
            assert abs(value - theirs[i][j]) <= 1e-12 * scale
