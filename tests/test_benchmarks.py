"""The benchmark harness runs end to end (its timings are not judged here).

CI installs only the ``test`` extra, without micrograd or matplotlib, so the
harness runs in quick mode with tinygrad_ko in the peer's place (``--peer self``)
and without the plot: every workload, the alternation, the statistics and the
report are exercised; the micrograd adapter and the plot run with the full
command (``python benchmarks/run.py``).  Where torch is importable the quick run
measures it too, through its adapter, and the report must show its columns.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYOUT_START = "<!-- benchmarks/layout.py: start -->"
LAYOUT_END = "<!-- benchmarks/layout.py: end -->"
FLOOR_START = "<!-- benchmarks/floor.py: start -->"
FLOOR_END = "<!-- benchmarks/floor.py: end -->"


def importable(module: str) -> bool:
    """Whether ``module`` imports in the interpreter that runs the benchmark."""
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, check=False).returncode == 0


def test_quick_benchmark_writes_a_report_with_every_workload(tmp_path: Path) -> None:
    # A section benchmarks/layout.py wrote earlier survives run.py rewriting the file.
    # So does the floor study's section (written by hand from benchmarks/floor.py's table).
    layout_section = f"{LAYOUT_START}\n## Layout time: kept\n{LAYOUT_END}"
    floor_section = f"{FLOOR_START}\n## The floor: kept\n{FLOOR_END}"
    (tmp_path / "RESULTS.md").write_text(f"# old report\n\n{floor_section}\n\n{layout_section}\n",
                                         encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--peer", "self", "--no-plot",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "RESULTS.md").read_text(encoding="utf-8")
    report, _, kept = written.partition(LAYOUT_START)
    assert result.stdout.strip() == report.strip()
    assert "# old report" not in written
    assert LAYOUT_START + kept == layout_section + "\n\n" + floor_section + "\n"
    for heading in ("W1 wide sum, N = 1,000", "W2 deep chain, 3,000 blocks", "W3 MLP 2→16→16→1 step",
                    "W4 random DAG", "W5 all n partial derivatives, n = 20", "Memory, W1 forward graph",
                    "Chain y = y + 1.0, 10,000 op nodes", "W6 hessian, random DAG of 100 ops, 10 inputs",
                    "- Python: ", "- Machine: ",
                    "## W7: micrograd's demo training", "W7 demo training, 3 steps on 20 points",
                    "## W8/W9: vectorize() over a batch", "W8 MLP 2→16→16→1, n = 200 samples",
                    "W9 MLP 2→16→16→1, n = 20 samples", "W9 MLP 2→16→16→1, n = 5,000 samples",
                    "memory peak of one f.backward on a fresh program",
                    "peak resident memory one call adds (max RSS, fresh process)"):
        assert heading in report
    assert "## Results with the cyclic GC disabled" in report
    # W7's engines all start from the same weights on the same data: they must end with the same accuracy.
    w7_accuracy = next(row for row in report.splitlines() if row.startswith("| W7") and "final accuracy" in row)
    cells = [cell.strip() for cell in w7_accuracy.strip("|").split("|")]
    assert "%" in cells[2] and cells[2] == cells[3]
    assert not (tmp_path / "w5.svg").exists()  # --no-plot
    if importable("torch"):
        assert "| PyTorch | tinygrad_ko speed-up (PyTorch time / tinygrad_ko time) |" in report
        assert "| PyTorch backward() |" in report
        assert "not measurable with tracemalloc" in report
        # The PyTorch cell of a measured row holds a timing, so the adapter really ran the workload.
        w4_total = next(row for row in report.splitlines() if row.startswith("| W4 random DAG") and "| total |" in row)
        torch_cell = w4_total.split(" | ")[5]
        assert " ms (" in torch_cell and torch_cell.endswith(")")
        w8 = next(row for row in report.splitlines() if row.startswith("| W8 ") and "f.backward" in row)
        assert " ms (" in w8.split(" | ")[5]
    else:
        assert "PyTorch is not importable here" in report


def test_benchmark_refuses_to_plot_without_matplotlib_or_runs_with_it(tmp_path: Path) -> None:
    """Without --no-plot the harness either plots (matplotlib present) or says how to get it."""
    has_matplotlib = importable("matplotlib")
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--peer", "self", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    if has_matplotlib:
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "w5.svg").read_bytes().startswith(b"<?xml")
        # The Korean plot for page 07 (ko): its Hangul is drawn from NanumGothic's glyphs (matplotlib
        # names each glyph path after its font), and no glyph fell back to a box.
        korean = (tmp_path / "w5.ko.svg").read_text(encoding="utf-8")
        assert "NanumGothic" in korean and "NanumGothic" not in (tmp_path / "w5.svg").read_text(encoding="utf-8")
        assert "missing from" not in result.stderr
    else:
        assert result.returncode == 2
        assert 'pip install ".[bench]"' in result.stderr


def test_a_workload_selection_runs_only_those_and_writes_nothing_without_out(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--peer", "self", "--workloads", "w6"],
        capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "| W6 hessian, random DAG of 100 ops, 10 inputs | total |" in result.stdout
    assert "W1 wide sum" not in result.stdout and "## W5" not in result.stdout
    assert "the numerical hessian differs from ours by" in result.stdout
    bad = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--workloads", "W0"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2 and "unknown workload 'W0'; choose from W1, W2" in bad.stderr


def test_quick_layout_benchmark_measures_both_settings_and_replaces_only_its_section(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text(f"# report of run.py\n\n{LAYOUT_START}\nold figures\n{LAYOUT_END}\n\ntail\n",
                       encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "layout.py"), "--quick", "--quiet", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr
    written = results.read_text(encoding="utf-8")
    assert written.startswith("# report of run.py\n\n" + LAYOUT_START) and written.endswith(LAYOUT_END + "\n\ntail\n")
    assert "old figures" not in written and result.stdout.strip() in written
    rows = [line for line in written.splitlines() if line.startswith("| 10 |") or line.startswith("| 30 |")]
    assert len(rows) == 2
    for row in rows:
        # Every engine found has a before and an after time (seconds) and their ratio.
        cells = [c.strip() for c in row.strip("|").split("|")][1:]
        assert cells and len(cells) % 3 == 0
        for before, after, speedup in zip(cells[::3], cells[1::3], cells[2::3], strict=True):
            for measured in (before, after):  # "CPU (wall)" seconds; CPU may round to 0.00 at N = 10
                cpu, wall = re.fullmatch(r"(\d+\.\d\d) \((\d+\.\d\d)\)", measured).groups()  # type: ignore[union-attr]
                assert float(cpu) >= 0 and float(wall) > 0
            assert speedup.endswith("×") or speedup == "–"  # "–": CPU time below the clock's resolution
    # The docs' drawings are compared with and without the limits.
    assert "| docs/images/apple-backward.en.svg |" in written
