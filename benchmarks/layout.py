"""Layout time of a fan-in graph, with and without the layout limits: ``python benchmarks/layout.py``.

The graph is ``x + x + ... + x`` with N copies of one leaf ``x`` (the command's
``tinygrad-ko graph -- "x+x+...+x" x=1``): one value feeding N - 1 operations
spread over a chain 2N ranks long.  Graphviz's ``dot`` turns every long edge
into a chain of virtual nodes, N² of them here, and its node placement (a
network simplex) then ran for minutes.  :data:`tinygrad_ko.draw.dot.LAYOUT_LIMITS`
bounds its iterations; this script measures both engines, the system ``dot``
and ``graphviz-pure``, on the same DOT text with the limits ("after") and
without them ("before"), in this one run:

* time to draw an SVG for N = 60 ... 500 (one run each: a layout is
  deterministic work, and these times are seconds to minutes, far above the
  noise); a run longer than ``--cap`` seconds is stopped, and larger N are
  not tried for that engine and setting;
* the largest N drawn in under 10 s with the limits, narrowed by bisection
  between the grid points;
* what the limits cost in quality: whether the docs' drawings come out byte for
  byte the same, and the drawing size and total cross-rank edge length (how far
  edges bend away from straight) of every docs drawing and of small fan-ins.

The Markdown report is printed and, in full mode, written into
``benchmarks/RESULTS.md`` between the markers below (``run.py`` keeps that part
when it rewrites the file).  ``--quick`` runs small sizes in seconds (for CI).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import re
import resource
import signal
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

from tinygrad_ko import Value, to_dot
from tinygrad_ko.draw.dot import LAYOUT_LIMITS
from tinygrad_ko.draw.render import EngineTimeoutError, find_engine, run_engine

HERE = Path(__file__).resolve().parent
START = "<!-- benchmarks/layout.py: start -->"
END = "<!-- benchmarks/layout.py: end -->"

FULL_SIZES = (60, 80, 100, 120, 150, 200, 250, 300, 400, 500)
QUICK_SIZES = (10, 20, 30)
#: The time the issue asks about: the largest N drawn in under this many seconds.
FAST = 10.0
#: Fan-ins whose drawing quality is compared (small enough to draw without the limits).
QUALITY_FANINS = (20, 40, 60)


def fan_in(n: int) -> Value:
    """``x + x + ... + x`` with ``n`` copies of one leaf, after backward()."""
    x = Value(1.0, label="x")
    y = x
    for _ in range(n - 1):
        y = y + x
    y.backward()
    return y


_LIMITS = re.compile(r" (?:" + "|".join(map(re.escape, LAYOUT_LIMITS)) + r")=\S+?(?=[ \]])")


def sources(root: Value, **options: object) -> dict[str, str]:
    """The DOT text to_dot writes ("after") and the same text without the layout limits ("before")."""
    after: str = to_dot(root, max_nodes=10_000, **options).source  # type: ignore[arg-type]
    head, _, rest = after.partition("\n\tgraph [")
    line, _, tail = rest.partition("\n")
    before = f"{head}\n\tgraph [{_LIMITS.sub('', line)}\n{tail}"
    assert all(name not in before for name in LAYOUT_LIMITS), "the limits were not removed"
    assert all(f"{name}=" in after for name in LAYOUT_LIMITS), "to_dot no longer writes the limits"
    return {"before": before, "after": after}


def engines() -> dict[str, str | None]:
    """Engine name -> program path, None when it is not installed."""
    found: dict[str, str | None] = {}
    for name in ("dot", "graphviz-pure"):
        try:
            found[name] = find_engine(name)
        except RuntimeError:
            found[name] = None
    return found


def progress(total: int, quiet: bool) -> Callable[[str], None]:
    """A progress bar (tqdm, from the bench extra) on stderr, else one line per step."""
    if importlib.util.find_spec("tqdm") is not None and not quiet:
        from tqdm import tqdm

        bar = tqdm(total=total, file=sys.stderr, unit="run")

        def step(text: str) -> None:
            bar.set_postfix_str(text)
            bar.update(1)

        return step
    done = 0

    def plain(text: str) -> None:
        nonlocal done
        done += 1
        if not quiet:
            print(f"[{done}/{total}] {text}", file=sys.stderr, flush=True)

    return plain


def timed(source: str, program: str, cap: float) -> tuple[float, float] | None:
    """(CPU seconds, wall seconds) the engine took to draw ``source`` as SVG; None when stopped after ``cap`` s.

    CPU time (user + system of the engine process) is the layout's own work: on a
    shared machine the wall time also counts the time other programs ran, and on
    an idle one the two agree.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = perf_counter()
    try:
        run_engine(source, "svg", program, timeout=cap)
    except EngineTimeoutError:
        return None
    wall = perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def shown(seconds: tuple[float, float] | None, cap: float) -> str:
    return f"{seconds[0]:.2f} s CPU ({seconds[1]:.2f} s wall)" if seconds else f"stopped after {cap:g} s wall"


@dataclass
class Timing:
    engine: str
    setting: str
    n: int
    seconds: tuple[float, float] | None  # (CPU, wall); None: over the cap; absent from the table: not tried


def time_grid(sizes: Sequence[int], found: dict[str, str | None], cap: float,
              step: Callable[[str], None]) -> list[Timing]:
    results = []
    graphs = {n: sources(fan_in(n)) for n in sizes}
    for engine, program in found.items():
        if program is None:
            continue
        for setting in ("before", "after"):
            for n in sizes:
                seconds = timed(graphs[n][setting], program, cap)
                results.append(Timing(engine, setting, n, seconds))
                step(f"{engine} {setting} N={n}: {shown(seconds, cap)}")
                if seconds is None:
                    break  # a larger N only takes longer
    return results


def largest_fast(engine: str, program: str, grid: list[Timing], cap: float, step: Callable[[str], None]) -> str:
    """The largest N drawn in under FAST CPU seconds with the limits, narrowed between grid points."""
    runs = [t for t in grid if t.engine == engine and t.setting == "after"]

    def fast(seconds: tuple[float, float] | None) -> bool:
        return seconds is not None and seconds[0] < FAST

    low = max((t.n for t in runs if fast(t.seconds)), default=None)
    if low is None:
        return f"none of the sizes tried (smallest: {runs[0].n})"
    high = min((t.n for t in runs if not fast(t.seconds) and t.n > low), default=None)
    if high is None:
        return f"≥ {low} (every size tried)"
    # Bisection to within 10 nodes, each probe one run.
    while high - low > 10:
        middle = (low + high) // 2
        seconds = timed(sources(fan_in(middle))["after"], program, cap)
        step(f"{engine} after N={middle}: {shown(seconds, cap)}")
        low, high = (middle, high) if fast(seconds) else (low, middle)
    return f"{low} (N = {high} took {FAST:g} s or more)"


def plain_layout(source: str, program: str) -> tuple[float, float, float]:
    """(width, height, total cross-rank edge length), in inches, from the engine's ``plain`` output.

    The cross-rank length is the sum over edges of how far the head is from the
    tail across the ranks (vertically for the default left-to-right drawing):
    0 for straight edges; it is what the placement phase minimises.
    """
    text = run_engine(source, "plain", program).decode("utf-8")
    positions: dict[str, tuple[float, float]] = {}
    width = height = bend = 0.0
    for line in text.splitlines():
        fields = line.split()
        if fields[0] == "graph":
            width, height = float(fields[2]), float(fields[3])
        elif fields[0] == "node":
            positions[fields[1]] = (float(fields[2]), float(fields[3]))
        elif fields[0] == "edge":
            bend += abs(positions[fields[1]][1] - positions[fields[2]][1])
    return width, height, bend


def drawings(quick: bool) -> Iterator[tuple[str, Value, dict[str, object]]]:
    """The docs' drawings (docs/make_images.py) and small fan-ins: name, root, to_dot options."""
    spec = importlib.util.spec_from_file_location("make_images", HERE.parent / "docs" / "make_images.py")
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, drawing in module.CHECKED.items():
            root, options = drawing()
            yield f"docs/images/{name}", root, options
    for n in QUICK_SIZES if quick else QUALITY_FANINS:
        yield f"fan-in N = {n}", fan_in(n), {}


def quality_rows(found: dict[str, str | None], quick: bool, step: Callable[[str], None]) -> list[str]:
    rows = []
    for name, root, options in drawings(quick):
        graph = sources(root, **options)
        for engine, program in found.items():
            if program is None:
                continue
            same = run_engine(graph["before"], "svg", program) == run_engine(graph["after"], "svg", program)
            (w0, h0, b0), (w1, h1, b1) = (plain_layout(graph[s], program) for s in ("before", "after"))
            change = "0%" if b0 == b1 else f"{(b1 - b0) / b0:+.0%}" if b0 else "n/a"
            rows.append(f"| {name} | {engine} | {'yes' if same else 'no'} | {w0:.1f} × {h0:.1f} | "
                        f"{w1:.1f} × {h1:.1f} | {b0:.1f} | {b1:.1f} | {change} |")
            step(f"quality {name} {engine}")
    return rows


def cell(grid: list[Timing], engine: str, setting: str, n: int, cap: float) -> str:
    for t in grid:
        if (t.engine, t.setting, t.n) == (engine, setting, n):
            return f"{t.seconds[0]:.2f} ({t.seconds[1]:.2f})" if t.seconds else f"stopped at {cap:g} wall"
    return "not run"


def ratio(grid: list[Timing], engine: str, n: int, cap: float) -> str:
    """CPU time before / CPU time after (a lower bound where "before" was stopped)."""
    times = {t.setting: t.seconds for t in grid if (t.engine, t.n) == (engine, n)}
    if "before" not in times or not times.get("after"):
        return "–"
    before, after = times["before"], times["after"]
    assert after is not None
    if before is None:
        return f"> {cap / after[1]:.0f}×"  # the stopped run used at most cap seconds of CPU
    if after[0] == 0:  # below the clock's resolution
        return "–"
    return f"{before[0] / after[0]:.1f}×"


def load() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def report(sizes: Sequence[int], grid: list[Timing], found: dict[str, str | None], fastest: dict[str, str],
           quality: Iterable[str], cap: float, loads: tuple[str, str], quick: bool) -> str:
    present = [e for e, p in found.items() if p is not None]
    absent = [e for e, p in found.items() if p is None]
    limits = ", ".join(f"{k}={v}" for k, v in LAYOUT_LIMITS.items())
    versions = []
    for engine in present:
        program = found[engine]
        assert program is not None
        done = subprocess.run([program, "-V"], capture_output=True, text=True, check=False)
        versions.append((done.stdout + done.stderr).strip().replace("\n", " "))
    lines = [
        START,
        "## Layout time: the fan-in graph x + x + ... + x (benchmarks/layout.py)",
        "",
        f"Regenerate with `python benchmarks/layout.py` (about 20 minutes); it rewrites only this section. "
        f"Mode: {'quick' if quick else 'full'}; date {datetime.date.today().isoformat()}; load average (1 min) "
        f"{loads[0]} at the start, {loads[1]} at the end on {os.cpu_count()} CPUs (other work on the machine "
        f"makes the times noisier).",
        "",
        f"- Engines: {'; '.join(versions)}" + (f"; not installed: {', '.join(absent)}" if absent else ""),
        f"- \"after\" is to_dot's DOT text, which sets `{limits}` (tinygrad_ko.draw.dot.LAYOUT_LIMITS); "
        f"\"before\" is the same text without them.  Each cell: CPU seconds of the engine process to draw an SVG, "
        f"with the wall "
        f"seconds in parentheses (one run each; CPU time is the layout's own work, while wall time also counts "
        f"other programs on a shared machine; on an idle one they agree).  A run over {cap:g} s wall is stopped "
        "(\"stopped\") and larger N are not tried (\"not run\").  Speed-up: CPU before / CPU after (for a "
        "stopped run, a lower bound from the cap and the wall time after).",
        "",
        "| N | " + " | ".join(f"{e} before, s | {e} after, s | {e} speed-up" for e in present) + " |",
        "| --- |" + " --- | --- | --- |" * len(present),
    ]
    for n in sizes:
        lines.append(f"| {n} | " + " | ".join(
            f"{cell(grid, e, 'before', n, cap)} | {cell(grid, e, 'after', n, cap)} | {ratio(grid, e, n, cap)}"
            for e in present) + " |")
    lines += ["", f"Largest N drawn in under {FAST:g} s (CPU) with the limits:"]
    lines += [f"- {engine}: {fastest[engine]}" for engine in present]
    lines += [
        "",
        "The command accepts at most 500 parts in an expression, so N ≤ 250 copies of x there.",
        "",
        "### What the limits cost in quality",
        "",
        "Same bytes: the SVG with the limits is byte for byte the one without.  Size is the drawing's "
        "width × height in inches; edge length is the total cross-rank length of the edges in inches (how far "
        "edges bend away from straight: what node placement minimises; lower is better).",
        "",
        "| drawing | engine | same bytes | size before | size after | edge length before | edge length after "
        "| change |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *quality,
        END,
    ]
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Put ``section`` into ``path`` in place of the previous one, else at the end."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if START in text and END in text:
        before, _, rest = text.partition(START)
        _, _, after = rest.partition(END)
        text = before + section.rstrip("\n") + after
    else:
        text = (text.rstrip("\n") + "\n\n" if text else "") + section
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the script in seconds")
    parser.add_argument("--cap", type=float, default=None,
                        help="stop a run after this many seconds, wall time (default: 120, quick: 20)")
    parser.add_argument("--out", type=Path, default=None,
                        help="directory whose RESULTS.md gets the section (default: benchmarks/, not with --quick)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    args = parser.parse_args(argv)
    # The Korean docs drawings are compared with graphviz-pure too: same bytes is the point, not the glyphs.
    warnings.filterwarnings("ignore", message="the embedded Graphviz engine")
    # Stopped with SIGTERM, exit through Python so that run_engine stops the engine it runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    cap = args.cap or (20.0 if args.quick else 120.0)
    out = args.out or (None if args.quick else HERE)
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    found = engines()
    if not any(found.values()):
        parser.error("no Graphviz engine: install graphviz (system dot) or pip install graphviz-pure")
    present = [e for e, p in found.items() if p is not None]
    step = progress(len(present) * (2 * len(sizes) + 2 * 14), args.quiet)
    loads = load()
    grid = time_grid(sizes, found, cap, step)
    fastest = {}
    for engine in present:
        program = found[engine]
        assert program is not None
        fastest[engine] = largest_fast(engine, program, grid, cap, step)
    quality = quality_rows(found, args.quick, step)
    text = report(sizes, grid, found, fastest, quality, cap, (loads, load()), args.quick)
    print(text)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        write_section(out / "RESULTS.md", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
