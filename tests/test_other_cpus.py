"""The rule for numbers that come out of numpy: no test, doc page or example pins rounding noise.

A reduction (``np.sum``, a BLAS product) adds in an order that depends on the CPU's SIMD
path and numpy's build, so its last digits differ between machines: the gradient check's
``W2: 9.744e-12`` here was ``1.0e-11`` on the machine the page was written on, and the
README's test command failed on a fresh machine for it.  So such numbers are compared
against a bound a numerical analyst would defend (the method's error, with a margin), and
pages show the digits that every machine agrees on, with ``...`` for the rest.

The guard: the docs' numeric examples run again in a subprocess with numpy's dispatched
SIMD paths turned off (``NPY_DISABLE_CPU_FEATURES``), so numpy sums with its baseline
kernels, in another order.  A page or test that pins noise fails here, on this machine,
instead of on the next one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from numpy._core import _multiarray_umath

ROOT = Path(__file__).resolve().parent.parent

# The dispatched (non-baseline) features this CPU has: the ones numpy would use and can be told not to.
DISPATCHED = [name for name in _multiarray_umath.__cpu_dispatch__ if _multiarray_umath.__cpu_features__.get(name)]


@pytest.mark.skipif(not DISPATCHED, reason="numpy runs its baseline kernels on this CPU already: no other path")
def test_the_numeric_examples_hold_on_numpy_s_baseline_kernels_too() -> None:
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(DISPATCHED)}
    check = subprocess.run([sys.executable, "-c", "from numpy._core import _multiarray_umath as m; "
                            "print(sorted(k for k in m.__cpu_dispatch__ if m.__cpu_features__[k]))"],
                           env=env, capture_output=True, text=True, timeout=60, check=True)
    assert check.stdout.strip() == "[]", check.stdout  # numpy honoured the switch: no dispatched path left
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_examples.py",
         "tests/test_two_layer_net.py", "tests/test_docs.py", "-k",
         "gradient or two_layer or 06-affine or 08-higher"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout.splitlines()[-1]
