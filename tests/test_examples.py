"""docs/examples: the chapter's gradient check runs and backprop agrees with numerical gradients."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gradient_check_backprop_agrees_with_numerical_gradients_per_parameter() -> None:
    diffs = load("gradient_check").gradient_check()
    assert list(diffs) == ["W1", "b1", "W2", "b2"]
    # The book reports ~1e-10 .. 1e-13 and calls that agreement.  The gradients themselves
    # average 1e-3 (W1, b1, W2) and 0.16 (b2) in size here, and a broken layer shows at that
    # scale: a Relu whose backward passes everything moves W1 and b1 by ~1e-3.
    for key, diff in diffs.items():
        assert diff < 1e-7, key


def test_gradient_check_script_prints_one_line_per_parameter_as_the_book_does() -> None:
    done = subprocess.run([sys.executable, str(EXAMPLES / "gradient_check.py")],
                          capture_output=True, text=True, timeout=120, check=True)
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["W1", "b1", "W2", "b2"]
    # Each line is "W1: 8.5e-12 < 1e-07 ✓": the noise to two digits, then the verdict that holds on every CPU.
    for line in lines:
        difference, verdict = line.split(":")[1].split(maxsplit=1)
        assert float(difference) < 1e-7 and verdict == "< 1e-07 ✓", line
