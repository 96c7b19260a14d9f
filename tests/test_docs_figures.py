"""The benchmark figures page 10 quotes are the ones benchmarks/RESULTS.md holds (ko and en).

Page 10 explains the fast engine with measured numbers.  They were once left behind when
RESULTS.md was regenerated; now a regenerated RESULTS.md fails this test until the page
quotes its new figures.  Numbers are compared as the text RESULTS.md prints (its medians,
rounded to three digits), so there is no tolerance to choose: the page copies the table.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RESULTS = (ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8")


def default_gc_rows() -> dict[tuple[str, str], list[str]]:
    """The table "Results with the default cyclic GC": (workload, figure) -> the other cells."""
    section = RESULTS.split("## Results with the default cyclic GC", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and not set(cells[0]) <= {"-", " "} and cells[0] != "workload":
            rows[(cells[0], cells[1])] = cells[2:]
    return rows


def median(cell: str) -> str:
    """``6.09 ms (4.69–8.82)`` -> ``6.09 ms``; ``7.4×`` -> ``7.4``."""
    return cell.split(" (", 1)[0].removesuffix("×")


ROWS = default_gc_rows()
W1 = "W1 wide sum, N = 10,000"


def figures() -> dict[str, str]:
    memory = ROWS[("Memory, W1 forward graph, N = 100,000", "bytes per op node (tracemalloc)")]
    total, in_gc = ROWS[(W1, "total")], ROWS[(W1, "of the total: in cyclic GC collections")]
    return {
        "memory_ours": memory[0], "memory_peer": memory[1], "memory_share": memory[2].split(" ", 1)[0],
        "gc_ours": median(in_gc[0]), "gc_peer": median(in_gc[1]),
        "total_ours": median(total[0]), "total_peer": median(total[1]),
        "deep": median(ROWS[("W2 deep chain, 300,000 blocks (900,000 op nodes deep)", "total")][0]),
        "linearity": ROWS[("W2 deep chain", "time(300,000) / time(100,000)")][0],
        "w1": median(total[2]),
        "w3": median(ROWS[("W3 MLP 2→16→16→1 step, 100 points", "total")][2]),
        "w4": median(ROWS[("W4 random DAG, 100,000 ops", "total")][2]),
    }


QUOTES = {
    "en": ["the fast engine holds {memory_ours} per op node, micrograd {memory_peer} ({memory_share})",
           "the cyclic GC takes {gc_ours} of tinygrad_ko's {total_ours} and {gc_peer} of micrograd's {total_peer}",
           "backpropagated in {deep} at Python's default recursion limit",
           "three times the depth takes {linearity} times as long",
           "{w1} times faster than micrograd on W1 (N = 10,000), {w3} times on a training step",
           "and {w4} times on a random graph of 100,000 ops (W4)"],
    "ko": ["빠른 엔진은 연산 노드당 {memory_ours}, micrograd는 {memory_peer}를 씁니다({memory_share})",
           "tinygrad_ko의 {total_ours} 중 {gc_ours}, micrograd의 {total_peer} 중 {gc_peer}를 차지합니다",
           "기본 재귀 한도에서 {deep_ko}에 만들고",
           "시간은 {linearity}배가 됩니다",
           "W1(N = 10,000)에서 {w1}배", "한 단계(W3)에서 {w3}배", "무작위 그래프(W4)에서 {w4}배"],
}


def test_the_table_has_every_row_the_page_quotes() -> None:
    numbers = figures()
    assert all(re.fullmatch(r"[\d.,]+( (ms|s|B))?%?", value) for value in numbers.values()), numbers


@pytest.mark.parametrize("lang", sorted(QUOTES))
def test_page_10_quotes_the_committed_results(lang: str) -> None:
    page = (ROOT / "docs" / lang / "10-build-your-own.md").read_text(encoding="utf-8")
    flowing = re.sub(r"\s+", " ", page)  # the page wraps its lines anywhere
    numbers = figures()
    numbers["deep_ko"] = numbers["deep"].removesuffix(" s") + "초"
    for quote in QUOTES[lang]:
        expected = quote.format(**numbers)
        assert expected in flowing, f"docs/{lang}/10-build-your-own.md should say: {expected!r} (RESULTS.md)"
