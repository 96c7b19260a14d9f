"""Repetitions, alternation and summary statistics for the benchmark runs."""

from __future__ import annotations

import contextlib
import gc
import statistics
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

Phases = dict[str, float]


@dataclass
class Timings:
    """Every measured repetition of one run, phase by phase (seconds)."""

    phases: dict[str, list[float]] = field(default_factory=dict)

    def add(self, sample: Phases) -> None:
        if len(sample) > 1:
            sample = {**sample, "total": sum(sample.values())}
        for name, seconds in sample.items():
            self.phases.setdefault(name, []).append(seconds)

    def median(self, phase: str = "total") -> float:
        return statistics.median(self.phases[phase])

    def spread(self, phase: str = "total") -> tuple[float, float]:
        return min(self.phases[phase]), max(self.phases[phase])


def alternate(runs: dict[str, Callable[[], Phases]], *, reps: int, warmup: int,
              gc_enabled: bool) -> dict[str, Timings]:
    """Run each callable ``warmup + reps`` times, interleaved A B A B, keeping the last ``reps``.

    The heap is collected (untimed) before every run, so no engine pays for the
    garbage another left behind; micrograd's graphs hold reference cycles that
    only the cyclic GC frees.  During the run the GC is either at its default
    (as users run it) or disabled.
    """
    results = {name: Timings() for name in runs}
    for rep in range(warmup + reps):
        for name, run in runs.items():
            sample = run_once(run, gc_enabled=gc_enabled)
            if rep >= warmup:
                results[name].add(sample)
    return results


def run_once(run: Callable[[], Phases], *, gc_enabled: bool) -> Phases:
    """One run on a freshly collected heap, with the cyclic GC on (default) or off."""
    gc.collect()
    if gc_enabled:
        return run()
    gc.disable()
    try:
        return run()
    finally:
        gc.enable()


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
