"""tinygrad_ko.train.plots: Hangul with the font a pip package ships, no global matplotlib changes."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from tinygrad_ko.draw.fonts import hangul_font_path
from tinygrad_ko.train import plots
from tinygrad_ko.train import recipes as training


@pytest.fixture(scope="module")
def xor_run() -> training.Run:
    return training.train("xor", steps=3, seed=0)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_glyph_is_found_and_global_settings_stay_as_they_were(
        xor_run: training.Run, lang: str, tmp_path: Path) -> None:
    before = dict(matplotlib.rcParams)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = plots.plot_run(xor_run, tmp_path / "xor.png", lang=lang)
    # matplotlib warns "Glyph ... missing from font(s)" for every character it cannot draw.
    assert not [w for w in caught if "glyph" in str(w.message).lower()], [str(w.message) for w in caught]
    assert dict(matplotlib.rcParams) == before
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1350, 420)


def test_the_hangul_font_is_the_shipped_nanum_gothic_registered_with_matplotlib(xor_run: training.Run,
                                                                                tmp_path: Path) -> None:
    from matplotlib import font_manager

    plots.plot_run(xor_run, tmp_path / "x.png", lang="ko")
    registered = {Path(f.fname) for f in font_manager.fontManager.ttflist if f.name == "NanumGothic"}
    assert hangul_font_path() in registered
    # koreanize_matplotlib is only read from, never imported (importing it changes global settings).
    assert "koreanize_matplotlib" not in sys.modules


def test_importing_the_package_loads_neither_matplotlib_nor_tqdm() -> None:
    code = "import sys, tinygrad_ko; print('matplotlib' in sys.modules, 'tqdm' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.split() == ["False", "False"]


def test_boundary_grid_reads_the_model_at_every_grid_point(xor_run: training.Run) -> None:
    xx, yy, zz = plots.boundary_grid(xor_run, 7)
    assert xx.shape == yy.shape == zz.shape == (7, 7)
    expected = training.scores(xor_run.model, np.column_stack([xx.ravel(), yy.ravel()]))
    assert np.array_equal(zz.ravel(), expected)
    # The grid covers every data point.
    everything = np.concatenate([xor_run.x_train, xor_run.x_test])
    assert xx.min() < everything[:, 0].min() and xx.max() > everything[:, 0].max()
    assert yy.min() < everything[:, 1].min() and yy.max() > everything[:, 1].max()


def test_grid_size_keeps_the_cost_bounded() -> None:
    assert plots.grid_size(337) == 42  # moons' MLP: sqrt(600,000 / 337)
    assert plots.grid_size(33) == plots.GRID_MAX
    assert plots.grid_size(10**7) == 10


def test_plot_run_replaces_the_file_atomically(xor_run: training.Run, tmp_path: Path) -> None:
    # Before: savefig(path) rewrote the file in place, so an interrupt left a truncated file over the old
    # one.  Through the atomic writer the new picture is a new file: a hard link to the old one keeps the
    # old bytes (written in place, it would see the new ones), and no temporary file is left.
    target = tmp_path / "run.png"
    target.write_bytes(b"old picture")
    keeper = tmp_path / "keeper"
    os.link(target, keeper)
    plots.plot_run(xor_run, target)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert keeper.read_bytes() == b"old picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keeper", "run.png"]

