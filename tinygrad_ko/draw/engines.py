"""Graphviz engines: find one, run it on DOT source, stop it when it takes too long.

Engine lookup (:func:`find_engine`), in order:

1. the ``engine`` argument, else the :data:`ENGINE_ENV_VAR` environment variable
   (``TINYGRAD_KO_DOT``): a program name on PATH or a path to one;
2. the system Graphviz ``dot`` on PATH;
3. ``graphviz-pure``, the Rust port of Graphviz that ``pip install tinygrad_ko``
   brings along, so a machine without Graphviz still draws.

The embedded ``graphviz-pure`` measures only ASCII text, has no Hangul glyphs
and writes no pdf.  A drawing with any other text is therefore sized, lettered
and rasterized with NanumGothic from a pip package instead (:mod:`tinygrad_ko.draw.textfit`:
measured node sizes, the font embedded in the SVG, PNG by resvg), so Korean is
legible without the system Graphviz; asking the embedded engine for pdf is a
clear error.  PNG is drawn at ``dpi`` pixels per inch (default :data:`DEFAULT_DPI`,
sharp on high-density screens).  This module knows DOT only as text: it imports
nothing of :mod:`tinygrad_ko.draw.dot`.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import warnings
from typing import Any

from ..messages import LocalizedRuntimeError, LocalizedUserWarning, LocalizedValueError
from .fonts import hangul_font_path
from .textfit import fit_source, needs_fitting, rasterize, with_font

__all__ = [
    "DEFAULT_DPI", "DEFAULT_TIMEOUT", "ENGINE_ENV_VAR", "MAX_PIXELS", "MAX_TIMEOUT", "EngineError",
    "EngineNotFoundError", "EngineTimeoutError", "check_timeout", "find_engine", "run_engine",
]

#: Environment variable naming the Graphviz program to use (overridden by ``engine=``).
ENGINE_ENV_VAR = "TINYGRAD_KO_DOT"

#: Pixels per inch of PNG drawings: 1.5 times Graphviz's 96, so text stays sharp on
#: high-density (HiDPI) screens.  The apple example's PNG grows from 31 KB to 49 KB with
#: the embedded engine (680x354 to 1020x531 pixels), from 40 KB to 64 KB with the system dot.
DEFAULT_DPI = 144

#: The most pixels a PNG drawing may have (width times height): Pillow's
#: ``Image.MAX_IMAGE_PIXELS``, above which it (and the viewers built on it) warns of a
#: "decompression bomb" and refuses twice as many; a 200-term fan-in at the default dpi
#: was 32766×10535 pixels, and the 45-term sum at 2400 dpi 32767×14604 pixels, 1.9 GB
#: and 29 s to make.  SVG has no such limit.  The size is read from the layout, before
#: any pixel is drawn.
MAX_PIXELS = 89_478_485

#: Seconds a Graphviz engine may run on one drawing before it is stopped
#: (:func:`run_engine`'s ``timeout``).  Every drawing of the docs takes well under
#: a second.  The slowest shape the command accepts, ``x+x+...+x`` with 250 copies
#: of x, takes the system ``dot`` about 7 s and ``graphviz-pure`` about 20 s on an
#: idle machine with the layout limits of :data:`~tinygrad_ko.draw.dot.LAYOUT_LIMITS`
#: (benchmarks/layout.py); without them it took minutes to hours.
DEFAULT_TIMEOUT = 30.0

#: The longest ``timeout`` accepted, in seconds (a day).  Longer waits are what
#: ``None`` (the command's ``--timeout 0``) is for; beyond about 24 days the operating
#: system's wait calls cannot even hold the number.
MAX_TIMEOUT = 86_400.0

_EMBEDDED = "graphviz-pure"
_warned_programs: set[str] = set()


class EngineNotFoundError(LocalizedRuntimeError):
    """No Graphviz engine was found (or the one asked for does not exist)."""


class EngineError(LocalizedRuntimeError):
    """The Graphviz engine failed; the message holds its stderr."""


class EngineTimeoutError(EngineError):
    """The Graphviz engine ran longer than ``timeout`` seconds and was stopped.

    ``program`` is the engine that was stopped and ``timeout`` the limit in seconds
    (the message's parameters of the same names).
    """

    program: str
    timeout: float

    def __init__(self, key: str, /, **params: Any) -> None:
        super().__init__(key, **params)
        self.program = params["program"]
        self.timeout = params["timeout"]


def _script_dirs() -> list[str]:
    # The directory of this Python's console scripts: pip puts graphviz-pure there,
    # and it is not on PATH when a venv's python is run without activating the venv.
    dirs = [sysconfig.get_path("scripts"), os.path.dirname(sys.executable)]
    return list(dict.fromkeys(d for d in dirs if d))


def find_engine(engine: str | None = None) -> str:
    """The path of the Graphviz program to run (see the module docstring for the order).

    ``engine`` (else the ``TINYGRAD_KO_DOT`` environment variable) forces a
    program: a name looked up on PATH, or a path.  Raises
    :class:`EngineNotFoundError` naming both ways to install one when none is found.
    """
    forced = engine if engine is not None else os.environ.get(ENGINE_ENV_VAR) or None
    if forced is not None:
        found = shutil.which(forced) or shutil.which(forced, path=os.pathsep.join(_script_dirs()))
        if found is None:
            if engine is not None:
                raise EngineNotFoundError("draw.engine_not_found_argument", engine=forced)
            raise EngineNotFoundError("draw.engine_not_found_env", engine=forced, var=ENGINE_ENV_VAR)
        return found
    found = shutil.which("dot") or shutil.which(_EMBEDDED) or shutil.which(
        _EMBEDDED, path=os.pathsep.join(_script_dirs())
    )
    if found is None:
        raise EngineNotFoundError("draw.no_engine")
    return found


@functools.cache
def _engine_info(program: str) -> tuple[bool, tuple[str, ...]]:
    """(is it graphviz-pure?, the output formats it writes), asked of the program itself."""
    # Bounded like the drawing itself: a program that hangs here is not a working engine.
    version = subprocess.run([program, "-V"], capture_output=True, text=True, check=False, timeout=DEFAULT_TIMEOUT)
    # Both dot and graphviz-pure answer an unknown -T with "... Use one of: fmt fmt ...".
    probe = subprocess.run([program, "-T?"], capture_output=True, text=True, check=False, input="",
                           timeout=DEFAULT_TIMEOUT)
    _, _, listed = probe.stderr.partition("Use one of:")
    return _EMBEDDED in version.stdout + version.stderr, tuple(listed.split())


def check_timeout(timeout: float | None, where: str) -> None:
    """Raise ValueError unless ``timeout`` is None or a number of seconds in (0, :data:`MAX_TIMEOUT`]."""
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= MAX_TIMEOUT:
        raise LocalizedValueError("draw.option_timeout", where=where, limit=MAX_TIMEOUT, got=timeout)


def run_engine(source: str, format: str, engine: str | None = None, *, dpi: float = DEFAULT_DPI,
               timeout: float | None = DEFAULT_TIMEOUT) -> bytes:
    """Run a Graphviz engine (see :func:`find_engine`) on DOT ``source``; return the ``format`` bytes.

    The engine is stopped after ``timeout`` seconds in all (default
    :data:`DEFAULT_TIMEOUT`; ``None`` waits for ever) and :class:`EngineTimeoutError`
    says so: Graphviz's layout time grows steeply with some graph shapes.
    Raises ValueError when the engine cannot write ``format`` and
    :class:`EngineError`, holding the engine's stderr, when it fails.  With the
    embedded engine, text beyond ASCII (Hangul, σ, ∂) is measured and drawn in
    NanumGothic (:mod:`tinygrad_ko.draw.textfit`).  ``dpi`` sets the resolution of
    bitmap formats (png, jpeg).

    >>> run_engine("digraph { a -> b }", "svg")[:5]
    b'<?xml'
    """
    check_timeout(timeout, "run_engine")
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not (math.isfinite(dpi) and 10 <= dpi <= 2400):
        raise LocalizedValueError("draw.option_dpi", got=dpi)
    program = find_engine(engine)
    try:
        embedded, formats = _engine_info(program)
    except subprocess.TimeoutExpired:
        raise EngineError("draw.engine_silent", program=program, seconds=DEFAULT_TIMEOUT, var=ENGINE_ENV_VAR) from None
    if format not in formats:
        raise LocalizedValueError("draw.engine_format_embedded" if embedded else "draw.engine_format",
                                  program=program, format=format, formats=", ".join(formats))
    # One limit for the whole drawing: fitting the text runs the engine twice.
    limit = _Limit(program, timeout)
    if embedded and needs_fitting(source) and _has_font(program):
        source = fit_source(source, lambda text: _run(program, text, "json", dpi, limit))
        if format in ("svg", "png"):
            svg = with_font(_run(program, source, "svg", dpi, limit))
            if format == "svg":
                return svg
            _check_raster(svg, dpi)
            return rasterize(svg, dpi)
    if format == "png":
        # The layout once more as SVG, to know the picture's size before the engine draws the pixels.
        _check_raster(_run(program, source, "svg", dpi, limit), dpi)
    return _run(program, source, format, dpi, limit)


_SVG_SIZE = re.compile(rb'<svg width="([\d.]+)pt" height="([\d.]+)pt"')
# Graphviz draws a bitmap at most this many pixels a side.
_GRAPHVIZ_MAX_SIDE = 32767


def _check_raster(svg: bytes, dpi: float) -> None:
    """Raise ValueError if the PNG of ``svg`` at ``dpi`` would have more than MAX_PIXELS pixels."""
    size = _SVG_SIZE.search(svg)
    if size is None:  # no size to read: nothing to refuse
        return
    points_w, points_h = float(size[1]), float(size[2])
    # Graphviz shrinks a bitmap wider or taller than its limit, keeping the proportions.
    scale = min(dpi / 72, _GRAPHVIZ_MAX_SIDE / max(1.0, points_w, points_h))
    width, height = round(points_w * scale), round(points_h * scale)
    if width * height <= MAX_PIXELS:
        return
    fitting = math.floor(72 * math.sqrt(MAX_PIXELS / max(1.0, points_w * points_h)))
    if fitting >= 10:
        raise LocalizedValueError("draw.png_too_large_lower", width=width, height=height, dpi=dpi, limit=MAX_PIXELS,
                                  fitting=fitting)
    raise LocalizedValueError("draw.png_too_large", width=width, height=height, dpi=dpi, limit=MAX_PIXELS)


class _Limit:
    """The time left of one drawing's ``timeout`` (None: no limit)."""

    def __init__(self, program: str, timeout: float | None) -> None:
        self.program = program
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout

    def left(self) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def exceeded(self) -> EngineTimeoutError:
        assert self.timeout is not None  # only a limit can be exceeded
        return EngineTimeoutError("draw.engine_timeout", program=self.program, timeout=self.timeout)


def _run(program: str, source: str, format: str, dpi: float, limit: _Limit) -> bytes:
    command = [program, f"-T{format}"]
    if format in ("png", "jpeg", "jpg", "gif", "bmp"):
        command.append(f"-Gdpi={dpi:g}")
    try:
        done = _communicate(command, source.encode("utf-8"), limit.left())
    except subprocess.TimeoutExpired:
        raise limit.exceeded() from None
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace").strip()
        raise EngineError("draw.engine_failed", program=program, code=done.returncode, stderr=stderr)
    return done.stdout


def _communicate(command: list[str], data: bytes, timeout: float | None) -> subprocess.CompletedProcess[bytes]:
    """Run ``command`` on ``data``; on timeout (or any interruption) kill it and return at once.

    The engine stays in the caller's process group, so Ctrl-C or a signal to the
    group (a CI job's time limit) stops it too.
    """
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        stdout, stderr = process.communicate(data, timeout=timeout)
    except BaseException:  # TimeoutExpired, KeyboardInterrupt, ...: leave no engine running
        process.kill()
        process.wait()
        # Not communicate(): a program the engine started (a wrapper script's child)
        # may hold the pipes open for as long as it runs.  Closed, its next write fails.
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):  # e.g. unwritten input to a dead process
                    stream.close()
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _has_font(program: str) -> bool:
    """True if NanumGothic is installed; else warn once that the embedded engine draws Hangul as boxes."""
    try:
        hangul_font_path()
    except FileNotFoundError as missing:
        if program not in _warned_programs:
            _warned_programs.add(program)
            # A warning with its id (English str()): the command shows it in its reader's language,
            # and so does localized(warning, lang); the font's own error inside is shown the same way.
            warnings.warn(LocalizedUserWarning("draw.no_hangul_glyphs", program=program, missing=missing),
                          stacklevel=3)
        return False
    return True


