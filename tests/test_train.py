"""The ``train`` command, run as a user runs it (a subprocess), and the training recipes behind it."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import numpy as np
import pytest

from tinygrad_ko import nn
from tinygrad_ko.train import recipes as training

COMMAND = Path(sys.executable).with_name("tinygrad-ko")
ACCURACY = re.compile(r"^accuracy: train (\d+\.\d)%, test (\d+\.\d)%$")
ACCURACY_KO = re.compile(r"^정확도: 훈련 (\d+\.\d)%, 시험 (\d+\.\d)%$")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(COMMAND), "train", *args], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", timeout=300, check=False)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def accuracies(stdout: str, pattern: re.Pattern[str] = ACCURACY) -> tuple[float, float]:
    match = pattern.match(stdout.splitlines()[-1])
    assert match, f"the last line is not the accuracy line:\n{stdout}"
    return float(match.group(1)), float(match.group(2))


def test_moons_is_micrograds_demo_and_ends_with_the_accuracy_line(tmp_path: Path) -> None:
    done = run("moons", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress bar when the output is not a terminal
    lines = done.stdout.splitlines()
    assert lines[0] == "moons: MLP 2→16→16→1, 337 parameters"
    assert re.fullmatch(r"loss: \d\.\d{4} → \d\.\d{4} after 100 steps", lines[1])
    first, last = map(float, re.findall(r"\d\.\d{4}", lines[1]))
    assert last < first / 10
    assert lines[2] == "wrote moons.png"
    train, test = accuracies(done.stdout)
    # micrograd's demo reaches 100% on its 100 training points; the 100 held-out points
    # come from the same distribution, so a boundary that generalises gets most of them.
    assert train == 100.0 and test >= 95.0
    width, height = png_size(tmp_path / "moons.png")
    assert width > 2 * height > 400


def test_the_same_seed_prints_the_same_and_another_seed_differs(tmp_path: Path) -> None:
    a = run("moons", "--steps", "15", "--seed", "3", "-o", "a.png", cwd=tmp_path)
    b = run("moons", "--steps", "15", "--seed", "3", "-o", "b.png", cwd=tmp_path)
    c = run("moons", "--steps", "15", "--seed", "4", "-o", "c.png", cwd=tmp_path)
    assert a.returncode == b.returncode == c.returncode == 0, a.stderr + b.stderr + c.stderr
    assert a.stdout.replace("a.png", "X") == b.stdout.replace("b.png", "X")
    assert a.stdout.splitlines()[1] != c.stdout.splitlines()[1]
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_korean_output_uses_the_books_words(tmp_path: Path) -> None:
    done = run("xor", "--lang", "ko", "-o", "xor.png", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "xor: MLP 2→8→1, 매개변수 33개"
    assert lines[2] == "xor.png 파일을 만들었습니다"
    train, test = accuracies(done.stdout, ACCURACY_KO)
    assert train == 100.0 and test >= 95.0  # xor's quadrants are 0.2 apart: separable
    png_size(tmp_path / "xor.png")


def test_spiral_learns_three_arms(tmp_path: Path) -> None:
    done = run("spiral", "--hidden", "16", "--lr", "0.05", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    train, test = accuracies(done.stdout)
    # Chance is 33%; a 2-16-3 network after 100 Adam steps separates the arms on nearly all points.
    assert train >= 95.0 and test >= 90.0


def test_digits_trains_the_books_two_layer_net_past_95_percent_on_held_out_digits(tmp_path: Path) -> None:
    done = run("digits", "-o", "digits.png", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "digits: TwoLayerNet 64→50→10, 3,760 parameters"
    train, test = accuracies(done.stdout)
    assert test >= 95.0 and train >= test - 5.0  # the bar for the book's training
    png_size(tmp_path / "digits.png")


@pytest.mark.parametrize(("args", "message"), [
    (["circles"], "invalid choice: 'circles' (choose from 'moons', 'spiral', 'xor', 'digits')"),
    (["moons", "--steps", "0"], "argument --steps: must be a positive whole number, got '0'"),
    (["moons", "--lr", "-1"], "argument --lr: must be a positive finite number, got '-1'"),
    (["moons", "--lr", "nan"], "argument --lr: must be a positive finite number"),
    (["moons", "--hidden", "16,x"], "argument --hidden: must be layer sizes separated by commas"),
    (["moons", "--seed", "-2"], "argument --seed: must be a whole number >= 0"),
    (["digits", "--hidden", "16,16"], "digits trains the book's TwoLayerNet, which has one hidden layer"),
    (["moons", "-o", "moons.svg"], "the output file must end in .png"),
    (["moons", "--steps", "1", "-o", "no/such/dir/m.png"], "the folder"),
    (["xor", "--batch"], "batch training runs moons and spiral, got 'xor'; train it without --batch"),
])
def test_bad_options_are_one_line_on_stderr_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = run(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("tinygrad-ko: error: ")
    assert message in done.stderr


def test_digits_without_scikit_learn_is_one_line_naming_the_pip_command(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "from tinygrad_ko.cli import main\nsys.exit(main(['train', 'digits']))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert 'pip install "tinygrad_ko[digits]"' in done.stderr


def in_a_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run the command in a real pseudo-terminal for both streams, as when a person runs it, 24×120
    like a terminal window (a fresh pty says 0 columns, and tqdm draws no bar in 0 columns)."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    process = subprocess.Popen([str(COMMAND), *args], cwd=cwd, stdin=child, stdout=child, stderr=child,
                               close_fds=True)
    os.close(child)
    chunks = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(main)
    return process.returncode, b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_sees_a_progress_bar_with_loss_and_accuracy(tmp_path: Path) -> None:
    returncode, output = in_a_terminal(["train", "xor", "--steps", "40"], tmp_path)
    assert returncode == 0, output
    assert re.search(r"xor: +\d+%\|.*\| *\d+/40", output), output
    assert "step/s" in output and "loss=" in output and "acc=" in output
    assert ACCURACY.match(output.replace("\r", "").strip().splitlines()[-1])


def test_the_progress_bar_speaks_korean_under_lang_ko(tmp_path: Path) -> None:
    returncode, output = in_a_terminal(["train", "xor", "--steps", "40", "--lang", "ko"], tmp_path)
    assert returncode == 0, output
    assert re.search(r"xor: +\d+%\|.*\| *\d+/40", output), output
    assert "단계/s" in output and "손실=" in output and "정확도=" in output
    assert "loss=" not in output and "acc=" not in output and "step/s" not in output


# -- the recipes in-process --------------------------------------------------------------


def test_on_step_sees_every_step_with_the_loss_the_run_records() -> None:
    seen: list[tuple[int, float, float]] = []
    run_ = training.train("xor", steps=6, seed=1, on_step=lambda k, model, loss, acc: seen.append((k, loss, acc)))
    assert [k for k, _, _ in seen] == [1, 2, 3, 4, 5, 6]
    assert [loss for _, loss, _ in seen] == run_.losses and [a for _, _, a in seen] == run_.accuracies
    assert isinstance(run_.model, nn.MLP)


def test_final_accuracy_is_measured_on_the_held_out_points() -> None:
    run_ = training.train("moons", steps=30, seed=0)
    predicted = training.predict(run_.model, run_.x_test)
    assert run_.test_accuracy == float(np.mean(predicted == run_.t_test))
    # train and test are disjoint draws: no test point is a training point.
    train_rows = {tuple(row) for row in run_.x_train.tolist()}
    assert not any(tuple(row) in train_rows for row in run_.x_test.tolist())


def test_moons_recipe_is_micrograds_loss_and_learning_rate_schedule() -> None:
    run_ = training.train("moons", steps=4, seed=0)
    # Replay micrograd's demo by hand from the same initial weights (same seed): the loss is
    # hinge + 1e-4·sum(p²), and step k (from 0) uses lr = 1.0 - 0.9·k/steps.
    model = nn.MLP(2, [16, 16, 1], seed=0)
    params = model.parameters()
    signs = (2 * run_.t_train - 1).tolist()
    for k in range(2):
        scores = [model(x) for x in run_.x_train.tolist()]
        hinge = sum((1 + -y * s).relu() for s, y in zip(scores, signs, strict=True)) * (1.0 / len(signs))
        total = hinge + 1e-4 * sum(p * p for p in params)
        # The same sums in a different order of additions: 1e-12 relative.
        assert run_.losses[k] == pytest.approx(total.data, rel=1e-12)
        for p in params:
            p.grad = 0.0
        total.backward()
        for p in params:
            p.data -= (1.0 - 0.9 * k / 4) * p.grad


@pytest.mark.parametrize("dataset", ["moons", "spiral"])
def test_batch_training_through_vectorize_is_the_same_run(dataset: str) -> None:
    scalar = training.train(dataset, seed=3)
    batch = training.train(dataset, seed=3, batch=True)
    # Every step classifies the same points the same way: the scores of + * relu are the
    # same bits in numpy as in Python, and the weights differ only in the last bits.
    assert batch.accuracies == scalar.accuracies
    assert (batch.train_accuracy, batch.test_accuracy) == (scalar.train_accuracy, scalar.test_accuracy)
    # Each step's gradient is the same sum added in another order (vectorize sums the batch
    # with numpy; backward() adds node by node; moons' L2 term is added after the batch),
    # a few ulps per step (spiral's exp/log: numpy's may differ from math's by an ulp or
    # three). 100 optimizer steps carry that along; measured ~4e-15 relative on every step's
    # loss for seeds 0 and 3. 1e-9 leaves room for that drift and still fails at once for a
    # wrong term (a missed 1/n or L2, a wrong label: relative errors of 1e-4 and more).
    # The weights likewise; abs=1e-12 for the weights that end near 0.
    assert len(batch.losses) == len(scalar.losses) == 100
    assert batch.losses == pytest.approx(scalar.losses, rel=1e-9, abs=0.0)
    assert [p.data for p in batch.model.parameters()] == pytest.approx(
        [p.data for p in scalar.model.parameters()], rel=1e-9, abs=1e-12)


def test_batch_prints_the_same_lines(tmp_path: Path) -> None:
    scalar = run("spiral", "--steps", "20", "-o", "a.png", cwd=tmp_path)
    batch = run("spiral", "--steps", "20", "-o", "a.png", "--batch", cwd=tmp_path)
    assert batch.returncode == 0, batch.stderr
    # The loss line is rounded to 4 digits, far coarser than the runs' differences.
    assert batch.stdout == scalar.stdout
    accuracies(batch.stdout)


def test_training_pauses_the_cyclic_gc_only_while_it_runs_even_when_a_callback_fails() -> None:
    import gc

    seen: list[bool] = []
    training.train("xor", steps=2, on_step=lambda *_: seen.append(gc.isenabled()))
    assert seen == [False, False] and gc.isenabled()

    def fail(*_: object) -> None:
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        training.train("xor", steps=2, on_step=fail)
    assert gc.isenabled()
    gc.disable()
    try:
        training.train("xor", steps=1)
        assert not gc.isenabled()  # a caller's choice is left as it was
    finally:
        gc.enable()


def test_korean_errors_under_lang_ko(tmp_path: Path) -> None:
    done = run("digits", "--hidden", "3,3", "--lang", "ko", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert done.stderr.startswith("tinygrad-ko: 오류: digits는 은닉층이 하나인 책의 TwoLayerNet을 학습합니다")
    done = run("moons", "-o", "moons.svg", "--lang", "ko", cwd=tmp_path)
    assert done.returncode == 2 and "출력 파일 이름을 .png로 끝내세요" in done.stderr
    done = run("xor", "--batch", "--lang", "ko", cwd=tmp_path)
    assert done.returncode == 2 and "--batch는 moons and spiral만 학습합니다 (받은 값 xor)" in done.stderr


# --- issue 25 -------------------------------------------------------------------------------------


def test_training_with_standard_output_closed_writes_the_picture(tmp_path: Path) -> None:
    # Before: AttributeError traceback at sys.stdout.isatty() (Python sets sys.stdout to None).
    done = subprocess.run(f'"{COMMAND}" train xor --steps 2 >&-', shell=True, cwd=tmp_path, capture_output=True,
                          text=True, encoding="utf-8", timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and (tmp_path / "xor.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_huge_loss_is_printed_with_four_significant_digits(tmp_path: Path) -> None:
    # Before: --lr 1e30 printed "loss: ... → 1000000000000000019884624838656.0000 after 3 steps".
    done = run("xor", "--steps", "3", "--lr", "1e30", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    loss_line = done.stdout.splitlines()[1]
    last = loss_line.split("→ ")[1].split(" after")[0]
    assert re.fullmatch(r"\d\.\d{3}e\+\d+|inf|nan", last), loss_line
    assert len(loss_line) < 60


def test_losses_in_the_usual_range_keep_four_decimals() -> None:
    from tinygrad_ko.cli import _loss_text

    assert [_loss_text(x) for x in (0.69314718, 12345.678, 0.0, 1e-4)] == ["0.6931", "12345.6780", "0.0000",
                                                                           "0.0001"]
    assert [_loss_text(x) for x in (1e30, 123456.7, 3.2e-7, float("inf"))] == ["1e+30", "1.235e+05", "3.2e-07",
                                                                               "inf"]


def test_train_refuses_to_write_its_png_through_a_link_to_another_kind_of_file(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes", encoding="utf-8")
    (tmp_path / "link.png").symlink_to(notes)
    done = run("xor", "--steps", "2", "-o", "link.png", cwd=tmp_path)
    assert done.returncode == 2
    assert "is a symbolic link to" in done.stderr and "refusing to write over it" in done.stderr
    assert notes.read_text(encoding="utf-8") == "my notes"
    # A link to a PNG is written through, as render does.
    old = tmp_path / "old.png"
    old.write_bytes(b"old")
    (tmp_path / "pic.png").symlink_to(old)
    assert run("xor", "--steps", "2", "-o", "pic.png", cwd=tmp_path).returncode == 0
    assert old.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and (tmp_path / "pic.png").is_symlink()


# -- issue 25: what --batch promises, checked on a sample of seeds and sizes -----------------

@pytest.mark.parametrize("dataset", ["moons", "spiral"])
@pytest.mark.parametrize("hidden", [[2, 3], [4], [8, 8]])
@pytest.mark.parametrize("seed", [0, 35])
def test_one_batch_step_gives_the_scalar_steps_parameters_to_rounding(dataset: str, hidden: list[int],
                                                                      seed: int) -> None:
    # The promise (training.train's docstring, the help, docs/*/09-training.md): the same training,
    # each step's gradient the scalar loop's sum added in another order.  From the same weights one
    # step then moves each parameter by lr·g with g a sum of n = 100-240 per-sample terms of size
    # <= ~1 (the losses' slopes, times 1/n); reordering such a sum changes it by at most
    # n·ε·Σ|terms| <= 240 · 1.1e-16 · ~3 ≈ 1e-13 absolute, so 1e-12 has a 10x margin; a wrong
    # gradient (a term dropped, a parameter missed) is off by 1e-3 or more.  Not promised: the same
    # bits, so not the same accuracy after many steps (moons --hidden 2,3 --seed 35 drifts).
    scalar = training.train(dataset, seed=seed, hidden=hidden, steps=1)
    batch = training.train(dataset, seed=seed, hidden=hidden, steps=1, batch=True)
    assert batch.losses == pytest.approx(scalar.losses, rel=1e-12, abs=0.0)
    moved = [p.data for p in scalar.model.parameters()]
    assert [p.data for p in batch.model.parameters()] == pytest.approx(moved, rel=0.0, abs=1e-12)
    assert batch.accuracies == scalar.accuracies  # the first step's accuracy is that of the same weights


def test_the_header_is_printed_before_training_starts(tmp_path: Path) -> None:
    # Before, the "moons: MLP ..." line came only after the whole run.  A run long
    # enough (20,000 moons steps: minutes) that its first line must arrive while it runs;
    # stdout is a pipe, so this also checks the line is flushed, not left in a buffer.
    process = subprocess.Popen([str(COMMAND), "train", "moons", "--steps", "20000"], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    try:
        assert process.stdout is not None
        # The header needs no training: a minute is generous even on a loaded machine.
        arrived = select.select([process.stdout], [], [], 60)[0]
        first = process.stdout.readline() if arrived else ""
        still_training = process.poll() is None
    finally:
        process.kill()
        process.communicate(timeout=60)
    assert first == "moons: MLP 2→16→16→1, 337 parameters\n"
    assert still_training


@pytest.mark.parametrize(("dataset", "hidden"), [("moons", None), ("xor", None), ("spiral", None), ("spiral", [5, 4])])
def test_the_header_before_training_names_the_model_that_is_trained(dataset: str, hidden: list[int] | None) -> None:
    run_ = training.train(dataset, steps=1, hidden=hidden)
    assert training.describe_plan(dataset, hidden) == training.describe(run_)


def test_the_digits_header_names_the_two_layer_net_that_is_trained() -> None:
    pytest.importorskip("sklearn", reason="digits needs scikit-learn (the digits extra)")
    run_ = training.train("digits", steps=1, hidden=[20])
    assert training.describe_plan("digits", [20]) == training.describe(run_)
