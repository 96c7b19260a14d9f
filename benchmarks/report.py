"""Formatting the results: the Markdown table, the machine description, the W5 plot."""

from __future__ import annotations

import datetime
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from measure import Timings

#: Display units: name -> seconds per unit.
UNITS = {"s": 1.0, "ms": 1e-3, "µs": 1e-6}


@dataclass(frozen=True)
class Stat:
    """A median with its min–max, in a display unit."""

    median: float
    low: float
    high: float
    unit: str

    @classmethod
    def of(cls, timings: Timings, phase: str = "total", unit: str = "ms", per: float = 1.0) -> Stat:
        scale = UNITS[unit] * per
        low, high = timings.spread(phase)
        return cls(timings.median(phase) / scale, low / scale, high / scale, unit)

    def __str__(self) -> str:
        return f"{_num(self.median)} {self.unit} ({_num(self.low)}–{_num(self.high)})"


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure for our engine and the peer, their ratio, and the same against PyTorch."""

    workload: str
    figure: str
    ours: Stat | str
    peer: Stat | str
    ratio: str
    torch: Stat | str = "not run"
    torch_ratio: str = "—"


def row(workload: str, figure: str, ours: Stat, peer: Stat | str, torch: Stat | None = None, *,
        ratios: bool = True) -> Row:
    """A Row with our speed-up over each peer that has a Stat (a text cell, e.g. an error, gets none)."""

    def ratio(other: Stat | str | None) -> str:
        return speedup(other, ours) if ratios and isinstance(other, Stat) else "—"

    return Row(workload, figure, ours, peer, ratio(peer), torch or "not run", ratio(torch))


def _num(x: float) -> str:
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def speedup(peer: Stat, ours: Stat) -> str:
    """How many times faster ours is (peer median / our median)."""
    return f"{peer.median / ours.median:.1f}×"


def table(rows: Sequence[Row], ours: str, peer: str, ratio: str, torch: tuple[str, str] | None = None) -> str:
    """A Markdown table of the rows; ``torch`` names the two PyTorch columns, None leaves them out."""
    headers = ["workload", "figure", ours, peer, ratio, *(torch or ())]
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    for r in rows:
        cells = [r.workload, r.figure, r.ours, r.peer, r.ratio, *((r.torch, r.torch_ratio) if torch else ())]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(lines)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what platform reports."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load() -> str:
    """The 1-minute load average, or "unknown" where the OS has none."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def machine(versions: dict[str, str]) -> list[str]:
    """Bullet lines describing where and with what the numbers were measured."""
    return [
        f"- Machine: {cpu_model()}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}",
        f"- Python: {platform.python_implementation()} {platform.python_version()}",
        "- Packages: " + ", ".join(f"{name} {version}" for name, version in versions.items()),
        f"- Date: {datetime.date.today().isoformat()}",
    ]


# The plot's words.  The benchmarks are scripts beside the package, not part of it, so their few
# words stay here rather than in the package's message catalogs; the Korean uses the book's terms.
W5_WORDS = {
    "en": {"x": "n (inputs)", "y": "seconds for all n partial derivatives",
           "title": "W5: backprop vs numerical differentiation",
           "backprop": "{engine} backward()", "numerical": "{engine} numerical_grad (2n forward passes)",
           "torch": "{engine} backward() (0-d tensors)"},
    "ko": {"x": "n (입력 개수)", "y": "편미분 n개를 모두 구하는 데 걸린 시간(초)",
           "title": "W5: 오차역전파법과 수치 미분",
           "backprop": "{engine} backward()", "numerical": "{engine} numerical_grad (순전파 2n번)",
           "torch": "{engine} backward() (0차원 텐서)"},
}


def plot_w5(points: dict[tuple[str, str], dict[int, Timings]], path: Path, lang: str = "en") -> None:
    """Log-log plot of W5: seconds against n for each (engine, method) (median, min–max bars), worded in ``lang``.

    The SVG is deterministic (fixed hash salt, no date; text drawn as paths, matplotlib's
    default), so regenerating it with the same numbers gives the same bytes.  Korean text is
    drawn in the NanumGothic that tinygrad_ko's fonts module finds (the koreanize-matplotlib file).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    from tinygrad_ko.draw.fonts import HANGUL_FONT_FAMILY, hangul_font_path

    words = W5_WORDS[lang]
    font_manager.fontManager.addfont(str(hangul_font_path()))
    matplotlib.rcParams["svg.hashsalt"] = "tinygrad_ko-benchmarks"
    # DejaVu Sans first: log-scale tick labels use U+2212, which NanumGothic lacks.
    with matplotlib.rc_context({"font.family": ["DejaVu Sans", HANGUL_FONT_FAMILY]}):
        fig, ax = plt.subplots(figsize=(6.0, 4.2))
        for ((engine, method), series), marker in zip(points.items(), "os^", strict=False):
            label = words[method].format(engine=engine)
            ns = sorted(series)
            med = [series[n].median() for n in ns]
            low = [m - series[n].spread()[0] for n, m in zip(ns, med, strict=True)]
            high = [series[n].spread()[1] - m for n, m in zip(ns, med, strict=True)]
            ax.errorbar(ns, med, yerr=[low, high], marker=marker, capsize=3, label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(words["x"])
        ax.set_ylabel(words["y"])
        ax.set_title(words["title"])
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(path, format="svg", metadata={"Date": None})
        plt.close(fig)
