"""The train command under faults: sizes it cannot hold, divergence, bad output paths, Ctrl-C.

Each test runs the real console script in a subprocess (real files, real signals) and
pins what the issue measured on the old code: a 12 GB step, matplotlib's NaN error, ten
seconds of training before a bad path was noticed, a half-written pair of outputs and a
KeyboardInterrupt traceback.
"""

from __future__ import annotations

import fcntl
import math
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tinygrad_ko.graph import topological_order
from tinygrad_ko.outputs import OutputPathError, check_writable, write_all
from tinygrad_ko.train import recipes as training

COMMAND = Path(sys.executable).with_name("tinygrad-ko")
PNG = b"\x89PNG\r\n\x1a\n"


def run(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(COMMAND), *args], cwd=cwd, capture_output=True, text=True, encoding="utf-8",
                          timeout=timeout, check=False)


# -- the size guard -------------------------------------------------------------------------


def test_a_step_too_large_is_refused_before_it_is_built(tmp_path: Path) -> None:
    # The old code built this graph: over 60 s and 12 GB before it was killed.  The guard
    # answers from the estimate alone, so 60 s is a bound no machine gets near.
    done = run("train", "moons", "--hidden", "3000,3000", "--steps", "1", cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    message = done.stderr.strip()
    assert "\n" not in message
    for part in ("MLP 2→3000→3000→1", "1,821,030,802", "max_nodes=5,000,000", "--max-nodes 1821030802",
                 "--batch", "--hidden"):
        assert part in message, part
    assert list(tmp_path.iterdir()) == []


def test_a_batch_run_has_a_bound_too_and_the_limit_can_be_raised(tmp_path: Path) -> None:
    done = run("train", "moons", "--hidden", "3000,3000", "--batch", "--lang", "ko", cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert "max_nodes=5,000,000" in done.stderr and "--max-nodes" in done.stderr and "노드" in done.stderr
    with pytest.raises(training.TrainingTooLargeError, match="max_nodes=1,000"):
        training.train("xor", steps=1, max_nodes=1_000)
    assert len(training.train("xor", steps=1, max_nodes=100_000).losses) == 1


@pytest.mark.parametrize(("dataset", "hidden", "batch"), [("moons", (16, 16), False), ("xor", (8,), False),
                                                           ("spiral", (16,), False)])
def test_the_estimate_is_close_to_the_graph_a_step_really_builds(dataset: str, hidden: tuple[int, ...],
                                                                 batch: bool) -> None:
    # Count the Values of one real step's loss graph (inputs and constants included).
    counted: list[int] = []
    run_ = training.Run(dataset, None, training.Recipe(1, 0.1, hidden),
                        *[a for pair in training.data(dataset, 0) for a in pair])
    samples = len(run_.t_train)
    if batch:
        samples = 1  # a batch step traces one sample; the estimate multiplies by the rows
    from tinygrad_ko import nn

    model = nn.MLP(2, [*hidden, 3 if dataset == "spiral" else 1], seed=0)
    xs = run_.x_train.tolist()[:samples]
    labels = run_.t_train.tolist()[:samples]
    scores = [model(x) for x in xs]
    if dataset == "moons":
        loss = nn.hinge(scores, [2.0 * t - 1.0 for t in labels])  # type: ignore[arg-type]
        if not batch:
            loss = loss + 1e-4 * training._sum_of_squares(model.parameters())
    elif dataset == "xor":
        loss = nn.binary_cross_entropy_with_logits(scores, labels)  # type: ignore[arg-type]
    else:
        loss = nn.cross_entropy(scores, labels)  # type: ignore[arg-type]
    counted.append(len(topological_order(loss)))
    estimate = training.step_nodes(dataset, hidden, samples, batch=batch)
    # An estimate for a guard, not an exact count: within 25% either way is what a limit needs.
    assert 0.75 < estimate / counted[0] < 1.25, (estimate, counted[0])


# -- divergence -----------------------------------------------------------------------------


def test_a_diverging_run_stops_at_the_first_non_finite_loss_and_writes_the_finite_steps(tmp_path: Path) -> None:
    # The old code trained 100 NaN steps and died in matplotlib ("lower_level and upper_level cannot be NaN").
    done = run("train", "moons", "--lr", "1e308", "--page", "p.html", "-o", "p.png", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "diverged" in done.stderr and "step 2" in done.stderr and "--lr" in done.stderr
    assert "1 finite step" in done.stderr
    assert "after 1 steps" in done.stdout
    assert (tmp_path / "p.png").read_bytes()[:8] == PNG
    assert "<!DOCTYPE html>" in (tmp_path / "p.html").read_text(encoding="utf-8")
    run_ = training.train("moons", lr=1e308)
    assert run_.diverged_at == 2 and len(run_.losses) == 1 and all(math.isfinite(x) for x in run_.losses)


def test_divergence_is_said_in_korean_under_lang_ko(tmp_path: Path) -> None:
    done = run("train", "xor", "--lr", "1e308", "--lang", "ko", "-o", "k.png", cwd=tmp_path)
    assert done.returncode == 1
    assert "학습이 발산했습니다" in done.stderr and "--lr" in done.stderr and "Traceback" not in done.stderr


# -- output paths, checked first ------------------------------------------------------------


@pytest.mark.parametrize("where", ["/nonexistent/x.png", "folder.png", "/proc/x.png", "file.txt/x.png", ""])
def test_a_bad_output_path_is_refused_before_training(tmp_path: Path, where: str) -> None:
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "file.txt").write_text("x")
    # 100,000 steps take many minutes: an answer within the time-out means no training happened.
    done = run("train", "moons", "--steps", "100000", "-o", where, cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "picture" in done.stderr, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "folder.png"]


def test_a_bad_page_path_names_the_page_and_leaves_no_picture(tmp_path: Path) -> None:
    # The old code wrote x2.png, then failed with "cannot write the drawing: ... '/proc/nope.html'".
    done = run("train", "xor", "--steps", "2", "--page", "/proc/nope.html", "-o", "x2.png", cwd=tmp_path)
    assert done.returncode == 2
    assert "the training page '/proc/nope.html'" in done.stderr and "drawing" not in done.stderr
    assert list(tmp_path.iterdir()) == []
    ko = run("train", "xor", "--page", "", "--lang", "ko", cwd=tmp_path)
    assert ko.returncode == 2 and "학습 페이지" in ko.stderr


@pytest.mark.parametrize("args", [["demo", "-o", ""], ["graph", "x*x", "x=2", "-o", ""],
                                  ["graph", "x*x", "x=2", "--steps", ""], ["train", "xor", "-o", ""]])
def test_an_empty_file_name_is_refused_not_read_as_the_default(tmp_path: Path, args: list[str]) -> None:
    done = run(*args, cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and "empty" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_write_all_leaves_every_target_as_it_was_when_one_file_fails(tmp_path: Path) -> None:
    first = tmp_path / "a.png"
    first.write_bytes(b"old")
    with pytest.raises(OutputPathError, match=r"the page '/proc/nope\.html'"):
        write_all([(first, b"new", "the picture"), (Path("/proc/nope.html"), b"x", "the page")])
    assert first.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["a.png"]
    with pytest.raises(OutputPathError, match="is a folder"):
        check_writable(str(tmp_path), "the picture")


# -- Ctrl-C ---------------------------------------------------------------------------------


def _run_on_a_terminal(args: list[str], cwd: Path, ready: str, env: dict[str, str] | None = None
                       ) -> tuple[int, str]:
    """Run the command on a pseudo-terminal, send SIGINT once ``ready`` has been printed; (exit code, output)."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 160, 0, 0))
    process = subprocess.Popen([str(COMMAND), *args], cwd=cwd, stdin=child, stdout=child, stderr=child,
                               close_fds=True, env=env)
    os.close(child)
    output = b""
    sent = False
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if not sent and re.search(ready.encode(), output):
                process.send_signal(signal.SIGINT)
                sent = True
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)
    assert sent, output.decode("utf-8", "replace")
    return code, output.decode("utf-8", "replace")


def test_ctrl_c_during_training_stops_after_the_step_and_writes_the_steps_done(tmp_path: Path) -> None:
    # The old code printed a KeyboardInterrupt traceback from inside training.py / layers.py.
    # tqdm's bar shows "N/100000" once a step is done: interrupt then.
    code, output = _run_on_a_terminal(["train", "xor", "--steps", "100000", "--page", "i.html", "-o", "i.png"],
                                      tmp_path, r"[1-9]\d*/100000")
    assert code == 130, output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output
    assert "interrupted at step " in output and " of 100000" in output and "step(s) done" in output
    assert (tmp_path / "i.png").read_bytes()[:8] == PNG
    assert (tmp_path / "i.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["i.html", "i.png"]  # no temporary file left


def test_ctrl_c_while_an_engine_draws_removes_the_temporary_file(tmp_path: Path) -> None:
    # A stand-in for a slow Graphviz layout: an engine that leaves a mark beside the output folder and sleeps.
    marker = tmp_path / "engine-started"
    engine = tmp_path / "slow-dot"
    engine.write_text(f"#!/bin/sh\ntouch '{marker}'\nexec sleep 60\n")
    engine.chmod(0o755)
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "TINYGRAD_KO_DOT": str(engine)}
    process = subprocess.Popen([str(COMMAND), "graph", "x*x", "x=2", "-o", "g.svg"], cwd=out, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not marker.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert marker.exists(), process.communicate(timeout=60)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    assert list(out.iterdir()) == []
