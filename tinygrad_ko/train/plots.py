"""Pictures of a training run (matplotlib): the decision boundary or the predicted digits, beside the curves.

Hangul needs a font that has it, and a machine with nothing but pip has none
of its own: the NanumGothic file that the ``koreanize-matplotlib`` package
ships is registered with matplotlib's font manager (see
:mod:`tinygrad_ko.draw.fonts`) and used inside ``rc_context`` for this figure only;
matplotlib's global settings are never changed.  The figure is made with
:class:`matplotlib.figure.Figure`, not pyplot, so no GUI backend or global
figure state is involved.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..draw.fonts import HANGUL_FONT_FAMILY, hangul_font_path
from ..messages import catalog, resolve_lang
from ..outputs import write_atomically
from .recipes import Run, parameter_count, predict, scores

__all__ = ["GRID_BUDGET", "GRID_MAX", "boundary_grid", "grid_size", "plot_png", "plot_run", "plot_words"]

#: How many parameter-multiplications the decision boundary's grid may cost.
#: Each grid point is one forward pass of scalar Values (no graph kept, about
#: one multiplication per parameter): 600,000 is about 0.3 s, a 42×42 grid for
#: moons' 337 parameters and a finer one for smaller networks.
GRID_BUDGET = 600_000
#: The grid is never finer than this many points a side.
GRID_MAX = 100


def grid_size(parameters: int) -> int:
    """Points per side of the boundary grid for a network with ``parameters`` parameters (see GRID_BUDGET)."""
    return max(10, min(GRID_MAX, int(math.sqrt(GRID_BUDGET / max(1, parameters)))))

# The plot's words, ids of the catalogs' [train] table (tinygrad_ko.messages).
_WORD_IDS = ("boundary", "loss", "accuracy", "step", "train", "test", "digits", "pred", "wrong", "legend_train",
             "legend_test", "batch")


def plot_words(lang: str | None = None) -> dict[str, str]:
    """The plot's titles and labels in ``lang`` (None: the session's language), keyed as the plot uses them.

    >>> plot_words("ko")["loss"]
    '손실 함수 값'
    """
    resolved = resolve_lang(lang, "plot_run")
    return {word: catalog(resolved)[f"train.plot_{word}"] for word in _WORD_IDS}


_registered: set[Path] = set()


def _font_family() -> list[str]:
    """DejaVu Sans (matplotlib's own), then NanumGothic (registered once per process) for Hangul.

    matplotlib falls back glyph by glyph along this list.  NanumGothic second,
    not first: log-scale tick labels are mathtext, whose minus sign (U+2212)
    NanumGothic lacks, and with it first matplotlib warns and draws a box.
    """
    from matplotlib import font_manager

    path = hangul_font_path()
    if path not in _registered:
        font_manager.fontManager.addfont(str(path))
        _registered.add(path)
    return ["DejaVu Sans", HANGUL_FONT_FAMILY]


def boundary_grid(run: Run, size: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any],
                                                         np.ndarray[Any, Any]]:
    """``(xx, yy, zz)``: a ``size × size`` grid over the data (with a margin) and the model's output there.

    ``zz`` is the score where the model has one output (the boundary is where
    it crosses 0, which contouring interpolates smoothly between grid points),
    else the predicted class.
    """
    x = np.concatenate([run.x_train, run.x_test])
    low, high = x.min(axis=0) - 0.3, x.max(axis=0) + 0.3
    xx, yy = np.meshgrid(np.linspace(low[0], high[0], size), np.linspace(low[1], high[1], size))
    out = scores(run.model, np.column_stack([xx.ravel(), yy.ravel()]))
    zz = out if out.ndim == 1 else np.argmax(out, axis=1)
    return xx, yy, zz.reshape(xx.shape)


def plot_run(run: Run, path: str | Path, lang: str | None = None, grid: int | None = None) -> Path:
    """Write one PNG of ``run``: the boundary and data (2-D sets) or test digits with predictions (digits), then the
    loss and accuracy curves, titled in ``lang`` (None: the session's language).
    ``grid`` is the boundary grid's points a side (default: :func:`grid_size`).
    The file is written atomically and a symbolic link is followed only to a .png file
    (:func:`~tinygrad_ko.outputs.write_atomically`, as for drawings).  Returns the path written."""
    path = Path(path)
    # Through the atomic writer, as every file the package writes: an interrupted call
    # leaves the old picture whole, never a truncated one over it.
    write_atomically(path, plot_png(run, lang, grid), "the training plot")
    return path


def plot_png(run: Run, lang: str | None = None, grid: int | None = None) -> bytes:
    """The PNG bytes :func:`plot_run` writes (so that a command can write all its files or none)."""
    words = plot_words(lang)  # the language is checked before matplotlib is imported
    import matplotlib
    from matplotlib.figure import Figure

    png = io.BytesIO()
    with matplotlib.rc_context({"font.family": _font_family(), "font.size": 10}):
        fig = Figure(figsize=(13.5, 4.2), layout="constrained")
        panels: Any = fig.subfigures(1, 3, width_ratios=[1.15, 1, 1])
        left, loss_ax, acc_ax = panels
        if run.dataset == "digits":
            _digits(left, run, words)
        else:
            size = grid or grid_size(parameter_count(run.model))
            _boundary(left.add_subplot(), run, words, size)
        _curves(loss_ax.add_subplot(), acc_ax.add_subplot(), run, words)
        fig.savefig(png, format="png", dpi=100)
    return png.getvalue()


def _boundary(ax: Any, run: Run, words: dict[str, str], grid: int) -> None:
    from matplotlib.colors import ListedColormap

    classes = run.classes
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"][:classes]
    xx, yy, zz = boundary_grid(run, grid)
    cmap = ListedColormap(colors)
    if classes == 2:
        # One output: a score; the boundary is where it crosses 0, interpolated between grid points.
        # A model stopped as its training diverged may score inf or NaN: drawn at the extremes (NaN on 0).
        zz = np.nan_to_num(zz, nan=0.0, posinf=1e300, neginf=-1e300)
        reach = float(np.abs(zz).max()) + 1.0
        ax.contourf(xx, yy, zz, levels=[-reach, 0.0, reach], cmap=cmap, alpha=0.25)
        ax.contour(xx, yy, zz, levels=[0.0], colors="k", linewidths=0.8)
    else:
        # Classes: one cell per grid point (contouring class numbers would invent a
        # thin band of class 1 wherever classes 0 and 2 meet).
        ax.pcolormesh(xx, yy, zz, cmap=cmap, vmin=-0.5, vmax=classes - 0.5, alpha=0.25, shading="nearest")
    for c in range(classes):
        train, test = run.x_train[run.t_train == c], run.x_test[run.t_test == c]
        ax.scatter(train[:, 0], train[:, 1], s=22, color=colors[c], edgecolors="k", linewidths=0.5,
                   label=f"{words['legend_train']} {c}")
        ax.scatter(test[:, 0], test[:, 1], s=22, facecolors="none", edgecolors=colors[c], linewidths=1.0,
                   label=f"{words['legend_test']} {c}")
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_title(words["boundary"].format(name=run.dataset))
    ax.legend(fontsize=7, loc="lower right", ncol=classes, framealpha=0.8)


def _digits(subfig: Any, run: Run, words: dict[str, str], rows: int = 3, cols: int = 5) -> None:
    predicted = predict(run.model, run.x_test)
    subfig.suptitle(words["digits"])
    axes = subfig.subplots(rows, cols)
    # The first few mistakes (red, with the label) among the first test digits: what a learner wants to see.
    wrong = np.flatnonzero(predicted != run.t_test)[: (rows * cols) // 3]
    right = np.flatnonzero(predicted == run.t_test)[: rows * cols - len(wrong)]
    for i, ax in zip(sorted([*wrong, *right]), axes.ravel(), strict=False):
        ax.imshow(run.x_test[i].reshape(8, 8), cmap="gray_r", interpolation="nearest")
        p, t = int(predicted[i]), int(run.t_test[i])
        correct = p == t
        ax.set_title((words["pred"] if correct else words["wrong"]).format(p=p, t=t), fontsize=9,
                     color="black" if correct else "#d62728")
        ax.set_xticks([])
        ax.set_yticks([])


def _curves(loss_ax: Any, acc_ax: Any, run: Run, words: dict[str, str]) -> None:
    steps = np.arange(1, len(run.losses) + 1)
    loss_ax.plot(steps, run.losses, color="#1f77b4")
    loss_ax.set_yscale("log")
    loss_ax.set_xlabel(words["step"])
    loss_ax.set_title(words["loss"])
    loss_ax.grid(True, alpha=0.3)
    # digits measures each step on its mini-batch; the 2-D sets on the whole training set.
    batch = f" ({words['batch']})" if run.dataset == "digits" else ""
    acc_ax.plot(steps, np.asarray(run.accuracies) * 100.0, color="#2ca02c", label=words["train"] + batch)
    acc_ax.axhline(run.test_accuracy * 100.0, color="#d62728", linestyle="--",
                   label=f"{words['test']}: {run.test_accuracy:.1%}")
    acc_ax.set_ylim(0, 102)
    acc_ax.set_xlabel(words["step"])
    acc_ax.set_title(words["accuracy"] + " (%)")
    acc_ax.legend(loc="lower right")
    acc_ax.grid(True, alpha=0.3)
