"""The floor study (issue 23): how fast can a CPython scalar Value be on W1?

Runs W1 (``acc = acc + a_i * b_i``, 2N op nodes, forward then backward) on the
engine and on throwaway prototypes, and prints one table: wall-clock µs per op
node (median of a few runs, this process) and instructions per op node counted
by callgrind (load-independent), each with the cyclic GC on and off.

    python benchmarks/floor.py                 # wall time and callgrind, N = 10,000
    python benchmarks/floor.py --n 10000 100000 --no-callgrind
    python benchmarks/floor.py --w7 3 --trees ../old-checkout .   # W7 steps, instructions per tree
    python benchmarks/floor.py --w7 1 --w7-peer                   # this checkout and micrograd
    python benchmarks/floor.py --lazy-where                       # sigmoid'/tanh' with a lazy where

callgrind comes from valgrind (Debian: ``apt-get install valgrind``); without it
the instruction columns say "—".  Instructions per op are the difference between
a run of the workload and a run of its set-up alone (the same leaves), divided
by 2N, so interpreter start-up and leaf creation are left out.

The prototypes are minimal: add and mul only, no checks, no labels.  Which of the
engine's promises each one keeps is stated in its docstring; only a design that
keeps them all could be adopted.
"""

from __future__ import annotations

import argparse
import gc
import operator
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
# The floor section of RESULTS.md sits between these markers; run.py keeps it when it rewrites the file.
START = "<!-- benchmarks/floor.py: start -->"
END = "<!-- benchmarks/floor.py: end -->"


class Today:
    """Today's design, minimal: two parent slots, op tables, the engine's marked walk.

    Keeps every promise (refcount freeing, backward from any node, twice) except
    the checks and locks, which cost little per op.
    """

    __slots__ = ("_a", "_b", "_mark", "_op", "data", "grad")

    def __init__(self, data: float) -> None:
        self.data, self.grad, self._op, self._a, self._b, self._mark = data, 0.0, None, None, None, None

    def __add__(self, other: Today) -> Today:
        out = object.__new__(Today)
        out.data, out.grad, out._op, out._a, out._b, out._mark = self.data + other.data, 0.0, 0, self, other, None
        return out

    def __mul__(self, other: Today) -> Today:
        out = object.__new__(Today)
        out.data, out.grad, out._op, out._a, out._b, out._mark = self.data * other.data, 0.0, 1, self, other, None
        return out

    def backward(self) -> None:
        walk = object()
        order: list[Any] = []
        stack: list[Any] = [self]
        while stack:  # post-order with an emit marker, as graph.backward_order
            node = stack.pop()
            if node is None:
                order.append(stack.pop())
                continue
            if node._mark is walk or node._op is None:
                continue
            node._mark = walk
            stack.append(node)
            stack.append(None)
            stack.append(node._b)
            stack.append(node._a)
        self.grad = 1.0
        for node in reversed(order):
            g, a, b = node.grad, node._a, node._b
            if node._op:
                a.grad += b.data * g
                b.grad += a.data * g
            else:
                a.grad += g
                b.grad += g


class SeqOrder(Today):
    """Per-backward creation order: each node takes a sequence number, backward sorts the reachable nodes by it.

    Keeps every promise (no tape: the graph is still freed by reference counting);
    costs one slot and a sort of the reached op nodes.
    """

    __slots__ = ("_seq",)
    _counter = iter(range(1 << 62))

    def __init__(self, data: float) -> None:
        super().__init__(data)
        self._seq = 0

    def __add__(self, other: Today) -> SeqOrder:
        out = object.__new__(SeqOrder)
        out.data, out.grad, out._op, out._a, out._b, out._mark = self.data + other.data, 0.0, 0, self, other, None
        out._seq = next(SeqOrder._counter)
        return out

    def __mul__(self, other: Today) -> SeqOrder:
        out = object.__new__(SeqOrder)
        out.data, out.grad, out._op, out._a, out._b, out._mark = self.data * other.data, 0.0, 1, self, other, None
        out._seq = next(SeqOrder._counter)
        return out

    def backward(self) -> None:
        walk = object()
        found = [self]
        stack = [self]
        self._mark = walk
        while stack:  # reach every op node once, in any order
            node = stack.pop()
            for p in (node._a, node._b):
                if p._op is not None and p._mark is not walk:
                    p._mark = walk
                    found.append(p)
                    stack.append(p)
        found.sort(key=operator.attrgetter("_seq"), reverse=True)
        self.grad = 1.0
        for node in found:
            g, a, b = node.grad, node._a, node._b
            if node._op:
                a.grad += b.data * g
                b.grad += a.data * g
            else:
                a.grad += g
                b.grad += g


class LocalAtForward(Today):
    """Today's walk, with both local derivatives stored at forward time (two more slots).

    Keeps the promises; costs 16 B per node and forward work for graphs never
    differentiated.
    """

    __slots__ = ("_da", "_db")

    def __add__(self, other: Today) -> LocalAtForward:
        out = object.__new__(LocalAtForward)
        out.data, out.grad, out._op, out._a, out._b, out._mark = self.data + other.data, 0.0, 0, self, other, None
        out._da = out._db = 1.0
        return out

    def __mul__(self, other: Today) -> LocalAtForward:
        out = object.__new__(LocalAtForward)
        out.data, out.grad, out._op, out._a, out._b, out._mark = self.data * other.data, 0.0, 1, self, other, None
        out._da, out._db = other.data, self.data
        return out

    def backward(self) -> None:
        walk = object()
        order: list[Any] = []
        stack: list[Any] = [self]
        while stack:
            node = stack.pop()
            if node is None:
                order.append(stack.pop())
                continue
            if node._mark is walk or node._op is None:
                continue
            node._mark = walk
            stack.append(node)
            stack.append(None)
            stack.append(node._b)
            stack.append(node._a)
        self.grad = 1.0
        for node in reversed(order):
            g = node.grad
            node._a.grad += node._da * g
            node._b.grad += node._db * g


_TAPE: list[Any] = []


class Tape:
    """A global creation-order tape with local derivatives stored at forward time: the upper bound.

    Breaks promises: the tape keeps every graph alive until cleared (no refcount
    freeing), mixes threads, and backward from an inner node walks everything
    made before it.  Nothing leaner was found; it bounds the floor from below.
    """

    __slots__ = ("_a", "_b", "_da", "_db", "data", "grad")

    def __init__(self, data: float) -> None:
        self.data, self.grad, self._a = data, 0.0, None

    def __add__(self, other: Tape) -> Tape:
        out = object.__new__(Tape)
        out.data, out.grad, out._a, out._b, out._da, out._db = self.data + other.data, 0.0, self, other, 1.0, 1.0
        _TAPE.append(out)
        return out

    def __mul__(self, other: Tape) -> Tape:
        out = object.__new__(Tape)
        out.data, out.grad, out._a, out._b = self.data * other.data, 0.0, self, other
        out._da, out._db = other.data, self.data
        _TAPE.append(out)
        return out

    def backward(self) -> None:
        self.grad = 1.0
        for node in reversed(_TAPE):
            g = node.grad
            if g:
                node._a.grad += node._da * g
                node._b.grad += node._db * g
        _TAPE.clear()


def _engine() -> Any:
    from tinygrad_ko import Value
    return Value


def _micrograd() -> Any:
    from micrograd.engine import Value  # type: ignore[import-untyped]
    return Value


VARIANTS: dict[str, Any] = {
    "engine (tinygrad_ko.Value)": _engine,
    "today's design, minimal": lambda: Today,
    "per-backward creation order (sequence numbers, sorted)": lambda: SeqOrder,
    "local derivatives at forward time (2 more slots)": lambda: LocalAtForward,
    "global tape + forward-time derivatives (breaks promises)": lambda: Tape,
    "micrograd (peer)": _micrograd,
}


def leaves(V: Any, n: int) -> tuple[list[Any], list[Any]]:
    rng = random.Random(1)
    return [V(rng.uniform(-1.0, 1.0)) for _ in range(n)], [V(rng.uniform(-1.0, 1.0)) for _ in range(n)]


def w1(V: Any, a: list[Any], b: list[Any]) -> float:
    """Forward and backward of W1 on the given leaves; returns the seconds taken."""
    started = time.perf_counter()
    acc = V(0.0)
    for x, y in zip(a, b, strict=True):
        acc = acc + x * y
    acc.backward()
    elapsed = time.perf_counter() - started
    del acc
    _TAPE.clear()
    return elapsed


def wall(V: Any, n: int, gc_on: bool, reps: int) -> float:
    """Median µs per op node over ``reps`` runs."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * n + 1000))  # micrograd recurses
    times = []
    for _ in range(reps):
        a, b = leaves(V, n)
        gc.collect()
        if not gc_on:
            gc.disable()
        try:
            times.append(w1(V, a, b))
        finally:
            gc.enable()
    return statistics.median(times) * 1e6 / (2 * n)


def instructions(name: str, n: int, gc_on: bool) -> float | None:
    """callgrind instructions per op node (workload run minus set-up run), or None without valgrind."""
    if shutil.which("valgrind") is None:
        return None
    counts = []
    for phase in ("setup", "run"):
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, str(HERE), "--count", name, str(n), "on" if gc_on else "off", phase]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        found = re.search(r"Collected : (\d+)", done.stderr)
        if found is None:
            raise RuntimeError(f"no instruction count from callgrind:\n{done.stderr[-2000:]}")
        counts.append(int(found.group(1)))
    return (counts[1] - counts[0]) / (2 * n)


def gc_traversals(V: Any, n: int) -> tuple[float, int]:
    """Objects the cyclic GC examines per op node during W1, and how many full collections ran.

    Load-independent: each collection examines every object of the generations it
    collects (counted with ``gc.get_objects`` at its start, outside the workload's
    own cost).  The growth with N is the GC's share of the forward time.
    """
    a, b = leaves(V, n)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * n + 1000))
    gc.collect()
    examined = 0
    full = 0

    def record(phase: str, info: dict[str, int]) -> None:
        nonlocal examined, full
        if phase == "start":
            generation = info["generation"]
            full += generation == 2
            examined += sum(len(gc.get_objects(generation=g)) for g in range(generation + 1))

    gc.callbacks.append(record)
    try:
        w1(V, a, b)
    finally:
        gc.callbacks.remove(record)
    return examined / (2 * n), full


def count_child(name: str, n: int, gc_on: bool, phase: str) -> None:
    """The body run under callgrind: imports, leaves, and (phase "run") the workload once."""
    V = VARIANTS[name]()
    a, b = leaves(V, n)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * n + 1000))
    gc.collect()
    if not gc_on:
        gc.disable()
    if phase == "run":
        w1(V, a, b)


def w7_instructions(tree: Path, steps: int, data: Path, kit: str = "tinygrad_ko") -> tuple[float, str]:
    """callgrind instructions per W7 training step with the tinygrad_ko of checkout ``tree``, and its path.

    W7's own code (benchmarks/workloads.py: the demo kit and loop) runs on the
    tinygrad_ko found first on ``PYTHONPATH=tree``; a run of 0 steps (imports,
    model, data) is subtracted.  Load-independent, so two checkouts can be compared
    on a busy machine (the wall-clock W7 of run.py cannot tell a slower machine from
    slower code).
    """
    counts, where = [], ""
    for n in (0, steps):
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, str(HERE), "--count-w7", str(data), str(n), kit]
        env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
        done = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
        found = re.search(r"Collected : (\d+)", done.stderr)
        if found is None:
            raise RuntimeError(f"no instruction count from callgrind:\n{done.stderr[-2000:]}")
        counts.append(int(found.group(1)))
        where = done.stdout.strip()
    return (counts[1] - counts[0]) / steps, where


def count_w7_child(data: Path, steps: int, kit_name: str) -> None:
    """The body run under callgrind for --w7: W7's kit (``tinygrad_ko`` or ``micrograd``) for ``steps`` steps."""
    import json

    import workloads

    import tinygrad_ko

    saved = json.loads(data.read_text(encoding="utf-8"))
    kit = workloads.micrograd_demo_kit() if kit_name == "micrograd" else workloads.tinygrad_ko_demo_kit()
    w7 = workloads.W7Data(saved["x"], saved["y"], saved["x"][:1], saved["y"][:1], saved["w"])
    accuracy: dict[str, float] = {}
    gc.collect()
    workloads.w7_demo_training(kit, w7, steps, accuracy)
    print("micrograd 0.1.0 (peer)" if kit_name == "micrograd" else Path(tinygrad_ko.__file__).parent.parent)


def compare_w7(trees: list[Path], steps: int, peer: bool) -> None:
    """Print instructions per W7 step for each checkout (the data made by this checkout's w7_data)."""
    import json
    import tempfile

    import workloads

    w7 = workloads.w7_data(100)
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "w7.json"
        data.write_text(json.dumps({"x": w7.x_train, "y": w7.y_train, "w": w7.weights}), encoding="utf-8")
        print(f"| checkout | instructions per W7 step (100 points, {steps} steps counted) |")
        print("|---|---|")
        rows = [(tree, "tinygrad_ko") for tree in trees] + ([(trees[-1], "micrograd")] if peer else [])
        for tree, kit in rows:
            per_step, where = w7_instructions(tree, steps, data, kit)
            print(f"| {where} | {per_step / 1e6:,.1f} M |", flush=True)


def _where_variants() -> dict[str, tuple[Any, Any]]:
    """sigmoid' and tanh' as ops.py computes them ("now") and with a lazy ``where`` ("lazy"), with their ops."""
    from tinygrad_ko import ops

    k = ops.FLOATS

    def lazy(condition: bool, then: Any, otherwise: Any) -> Any:
        return then() if condition else otherwise()

    def sigmoid_lazy(x: float, out: float) -> Any:
        return lazy(k.data(x) <= 1.0, lambda: out * (1.0 - out), lambda: out * k.sigmoid(-x))

    def tanh_lazy(x: float, out: float) -> Any:
        xd = k.data(x)
        return lazy((xd <= 1.0) & (xd >= -1.0), lambda: 1.0 - out * out,
                    lambda: 4.0 * k.sigmoid(2.0 * x) * k.sigmoid(-2.0 * x))

    return {"sigmoid now": (ops.SIGMOID, ops.SIGMOID.local_x), "sigmoid lazy": (ops.SIGMOID, sigmoid_lazy),
            "tanh now": (ops.TANH, ops.TANH.local_x), "tanh lazy": (ops.TANH, tanh_lazy)}


def _where_pairs(op: Any, low: float, high: float, calls: int) -> list[tuple[float, float]]:
    rng = random.Random(3)
    xs = [rng.uniform(low, high) for _ in range(calls)]
    return [(x, op.forward(x)) for x in xs]


def lazy_where(ranges: list[tuple[float, float]], calls: int = 20_000, reps: int = 5) -> None:
    """Print sigmoid' and tanh' per call, as ops.py computes them and with a lazy ``where``.

    The rules compute both branches of ``k.where`` (the tail forms cost an ``exp``); the
    prototype passes them as zero-argument functions, so only the chosen one runs.  Both give
    the same bits (checked on every input).  Each cell: callgrind instructions per call (a
    run of ``calls`` calls minus a run of none) and the best wall time of ``reps`` runs.
    """
    variants = _where_variants()
    print("| x drawn from | " + " | ".join(variants) + " |")
    print("|---|" + "---|" * len(variants))
    for low, high in ranges:
        cells = []
        for name, (op, f) in variants.items():
            pairs = _where_pairs(op, low, high, calls)
            assert all(f(x, o) == op.local_x(x, o) for x, o in pairs)
            best = min(_seconds(f, pairs) for _ in range(reps))
            ins = _where_instructions(name, low, high, calls)
            cells.append(f"{ins:,.0f} instr, {best / calls * 1e9:,.0f} ns" if ins is not None
                         else f"{best / calls * 1e9:,.0f} ns")
        print(f"| [{low:g}, {high:g}] | " + " | ".join(cells) + " |", flush=True)


def _where_instructions(name: str, low: float, high: float, calls: int) -> float | None:
    if shutil.which("valgrind") is None:
        return None
    counts = []
    for n in (0, calls):
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, str(HERE),
               "--count-where", name, str(low), str(high), str(n)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        found = re.search(r"Collected : (\d+)", done.stderr)
        if found is None:
            raise RuntimeError(f"no instruction count from callgrind:\n{done.stderr[-2000:]}")
        counts.append(int(found.group(1)))
    return (counts[1] - counts[0]) / calls


def count_where_child(name: str, low: float, high: float, calls: int) -> None:
    """The body run under callgrind for --lazy-where: the inputs for ``calls`` (always made), then the calls."""
    op, f = _where_variants()[name]
    pairs = _where_pairs(op, low, high, max(calls, 20_000))
    for x, out in pairs[:calls]:
        f(x, out)


def _seconds(f: Any, pairs: list[tuple[float, float]]) -> float:
    started = time.perf_counter()
    for x, out in pairs:
        f(x, out)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000], help="W1 sizes (products)")
    parser.add_argument("--reps", type=int, default=5, help="wall-clock runs per cell (median)")
    parser.add_argument("--no-callgrind", action="store_true", help="wall time only")
    parser.add_argument("--only", nargs="*", default=None, help="variants whose name starts with these words")
    parser.add_argument("--gc", type=int, nargs="*", default=None,
                        help="instead: objects the cyclic GC examines per op node at these W1 sizes (engine only)")
    parser.add_argument("--w7", type=int, metavar="STEPS", default=None,
                        help="instead: callgrind instructions per W7 training step, for each of --trees")
    parser.add_argument("--trees", type=Path, nargs="+", default=[HERE.parent.parent],
                        help="checkouts whose tinygrad_ko --w7 runs (default: this one)")
    parser.add_argument("--count", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--lazy-where", action="store_true",
                        help="instead: sigmoid' and tanh' per call, as ops.py computes them and with a lazy where")
    parser.add_argument("--w7-peer", action="store_true", help="with --w7: micrograd's W7 step counted too")
    parser.add_argument("--count-w7", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--count-where", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count_w7:
        count_w7_child(Path(args.count_w7[0]), int(args.count_w7[1]), args.count_w7[2])
        return
    if args.count_where:
        name, low, high, calls = args.count_where
        count_where_child(name, float(low), float(high), int(calls))
        return
    if args.lazy_where:
        lazy_where([(-1.0, 1.0), (-4.0, 4.0), (1.5, 4.0)])
        return
    if args.w7 is not None:
        if shutil.which("valgrind") is None:
            parser.error("--w7 counts instructions with callgrind: install valgrind (apt-get install valgrind)")
        if args.w7 < 1:
            parser.error("--w7 needs at least 1 step")
        compare_w7(args.trees, args.w7, args.w7_peer)
        return
    if args.count:
        name, n, gc_on, phase = args.count
        count_child(name, int(n), gc_on == "on", phase)
        return
    if args.gc is not None:
        print("| N | objects examined by the cyclic GC per op node | full collections |")
        print("|---|---|---|")
        for n in args.gc or [10_000, 100_000, 1_000_000]:
            per_op, full = gc_traversals(_engine(), n)
            print(f"| {n:,} | {per_op:.1f} | {full} |", flush=True)
        return
    names = [k for k in VARIANTS if args.only is None or any(k.startswith(w) for w in args.only)]
    print("| variant | N | µs/op GC on | µs/op GC off | instr/op GC on | instr/op GC off |")
    print("|---|---|---|---|---|---|")
    for n in args.n:
        for name in names:
            V = VARIANTS[name]()
            cells = [f"{wall(V, n, g, args.reps):.2f}" for g in (True, False)]
            for g in (True, False):
                ins = None if args.no_callgrind else instructions(name, n, g)
                cells.append("—" if ins is None else f"{ins:,.0f}")
            print(f"| {name} | {n:,} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
