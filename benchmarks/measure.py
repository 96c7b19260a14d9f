"""Repetitions, alternation and summary statistics for the benchmark runs."""

from __future__ import annotations

import contextlib
import gc
import statistics
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from time import perf_counter
from typing import TypeVar

Phases = dict[str, float]
K = TypeVar("K")


class Clock:
    """Times a workload's phases: made at the start of the timed part, ``lap`` at the end of each phase."""

    def __init__(self) -> None:
        self.started = self.last = perf_counter()
        self.phases: Phases = {}

    def lap(self, phase: str) -> None:
        """End a phase; a phase lapped again (a loop's steps) adds up."""
        now = perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - self.last
        self.last = now


@dataclass
class Timings:
    """Every measured repetition of one run, phase by phase (seconds)."""

    phases: dict[str, list[float]] = field(default_factory=dict)

    def add(self, sample: Phases, in_gc: float) -> None:
        """Record one run's phases (their sum is ``total``) and its seconds in cyclic GC (``gc``)."""
        if len(sample) > 1:
            sample = {**sample, "total": sum(sample.values())}
        for name, seconds in {**sample, "gc": in_gc}.items():
            self.phases.setdefault(name, []).append(seconds)

    def median(self, phase: str = "total") -> float:
        return statistics.median(self.phases[phase])

    def spread(self, phase: str = "total") -> tuple[float, float]:
        return min(self.phases[phase]), max(self.phases[phase])


def alternate(runs: Mapping[K, Callable[[], Clock]], *, reps: int, warmup: int,
              gc_enabled: bool) -> dict[K, Timings]:
    """Run each callable ``warmup + reps`` times, interleaved A B A B, keeping the last ``reps``.

    The heap is collected (untimed) before every run, so no engine pays for the
    garbage another left behind; micrograd's graphs hold reference cycles that
    only the cyclic GC frees.  During the run the GC is either at its default
    (as users run it) or disabled.
    """
    results = {name: Timings() for name in runs}
    for rep in range(warmup + reps):
        for name, run in runs.items():
            phases, in_gc = run_once(run, gc_enabled=gc_enabled)
            if rep >= warmup:
                results[name].add(phases, in_gc)
    return results


def run_once(run: Callable[[], Clock], *, gc_enabled: bool) -> tuple[Phases, float]:
    """One run on a freshly collected heap, with the cyclic GC on (default) or off.

    Returns the run's phases and the seconds that cyclic GC collections took
    inside its timed phases (from ``gc.callbacks``; the untimed set-up, which
    also collects, is left out), which shows what the GC costs each engine.
    """
    gc.collect()
    collections: list[tuple[float, float]] = []
    started = 0.0

    def record(phase: str, info: dict[str, int]) -> None:
        nonlocal started
        if phase == "start":
            started = perf_counter()
        else:
            collections.append((started, perf_counter()))

    gc.callbacks.append(record)
    if not gc_enabled:
        gc.disable()
    try:
        clock = run()
    finally:
        gc.enable()
        gc.callbacks.remove(record)
    in_gc = sum(max(0.0, min(stop, clock.last) - max(start, clock.started)) for start, stop in collections)
    return clock.phases, in_gc


@contextlib.contextmanager
def recursion_limit(limit: int) -> Iterator[None]:
    """Temporarily set the recursion limit.

    micrograd's backward() recurses once per node of depth, so wide sums and
    random DAGs (thousands deep) need a raised limit to run at all; W2 alone is
    measured at the default limit.
    """
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        yield
    finally:
        sys.setrecursionlimit(before)
