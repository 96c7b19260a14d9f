"""The house plan holds: floors import only downwards, nothing imports the command, no import circles.

The import graph is read from the source with ast, lazy imports inside functions included (a circle
hidden in a function is still a circle); imports under ``if TYPE_CHECKING:`` are left out (they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tinygrad_ko

PACKAGE = Path(tinygrad_ko.__file__).parent
FLOORS = ("draw", "train", "pages", "cli")
# What each floor may not import.  The core (every other module but __init__, __main__ and the two
# re-exports at their documented old paths) imports none of the floors.
FORBIDDEN = {
    "core": set(FLOORS),
    "draw": {"train", "pages", "cli"},
    "train": {"pages", "cli"},
    "pages": {"cli"},
    "cli": set(),
}
ENTRY_POINTS = {"tinygrad_ko", "tinygrad_ko.__main__", "tinygrad_ko.trainpage", "tinygrad_ko.jsops"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The tinygrad_ko modules that ``path`` imports anywhere (TYPE_CHECKING blocks excepted)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                 and "TYPE_CHECKING" in ast.unparse(block.test) for node in ast.walk(block)}
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join([*base, node.module] if node.module else base) if node.level else node.module or ""
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {module for module in found if module in MODULES and module != name}


MODULES = {module_name(path) for path in PACKAGE.rglob("*.py")}
GRAPH = {module_name(path): imports_of(path) for path in PACKAGE.rglob("*.py")}


def floor_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in FLOORS else "cli" if module == "tinygrad_ko.cli" else "core"


def test_the_graph_is_read() -> None:
    assert "tinygrad_ko.ops" in GRAPH["tinygrad_ko.engine"]  # the reader sees relative imports at all


@pytest.mark.parametrize("module", sorted(set(GRAPH) - ENTRY_POINTS))
def test_each_module_imports_only_downwards(module: str) -> None:
    upward = sorted(target for target in GRAPH[module] if floor_of(target) in FORBIDDEN[floor_of(module)])
    assert not upward, f"{module} ({floor_of(module)}) imports {upward}"


def test_no_import_circles() -> None:
    # Tarjan's strongly connected components, iteratively (no recursion limit in a test either).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    circles: list[list[str]] = []
    for start in sorted(GRAPH):
        if start in index:
            continue
        work = [(start, iter(sorted(GRAPH[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(GRAPH[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        circles.append(sorted(component))
    assert not circles, f"import circles: {circles}"
