"""Every docstring example in the package runs, against the installed package."""

import doctest
import importlib
import pkgutil

import pytest

import tinygrad_ko

MODULES = sorted(
    name for _, name, _ in pkgutil.walk_packages(tinygrad_ko.__path__, prefix="tinygrad_ko.")
    if not name.endswith("__main__")
)


@pytest.mark.parametrize("name", ["tinygrad_ko", *MODULES])
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
