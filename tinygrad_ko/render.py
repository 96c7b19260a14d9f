"""Rendering: run a real Graphviz engine and write svg, png or pdf files.

Engine lookup (:func:`find_engine`), in order:

1. the ``engine`` argument, else the :data:`ENGINE_ENV_VAR` environment variable
   (``TINYGRAD_KO_DOT``): a program name on PATH or a path to one;
2. the system Graphviz ``dot`` on PATH;
3. ``graphviz-pure``, the Rust port of Graphviz that ``pip install tinygrad_ko``
   brings along, so a machine without Graphviz still draws.

The embedded ``graphviz-pure`` measures only ASCII text, has no Hangul glyphs
and writes no pdf.  A drawing with any other text is therefore sized, lettered
and rasterized with NanumGothic from a pip package instead (:mod:`tinygrad_ko.textfit`:
measured node sizes, the font embedded in the SVG, PNG by resvg), so Korean is
legible without the system Graphviz; asking the embedded engine for pdf is a
clear error.  PNG is drawn at ``dpi`` pixels per inch (default :data:`DEFAULT_DPI`,
sharp on high-density screens).
"""

from __future__ import annotations

import functools
import math
import os
import secrets
import shutil
import subprocess
import sys
import sysconfig
import warnings
from pathlib import Path

from .dot import MAX_NODES, to_dot
from .engine import Value
from .fonts import hangul_font_path
from .textfit import fit_source, needs_fitting, rasterize, with_font

__all__ = [
    "DEFAULT_DPI", "ENGINE_ENV_VAR", "FORMATS", "EngineError", "EngineNotFoundError", "draw", "find_engine", "render",
    "run_engine", "write_atomically",
]

#: Environment variable naming the Graphviz program to use (overridden by ``engine=``).
ENGINE_ENV_VAR = "TINYGRAD_KO_DOT"

#: Pixels per inch of PNG drawings: 1.5 times Graphviz's 96, so text stays sharp on
#: high-density (HiDPI) screens.  The apple example's PNG grows from 31 KB to 49 KB with
#: the embedded engine (680x354 to 1020x531 pixels), from 40 KB to 64 KB with the system dot.
DEFAULT_DPI = 144

#: File formats :func:`render` writes (pdf only with an engine that supports it).
FORMATS = ("svg", "png", "pdf")

_EMBEDDED = "graphviz-pure"
_INSTALL_HINT = (
    "install the system Graphviz (Debian/Ubuntu: sudo apt install graphviz fonts-noto-cjk; "
    "macOS: brew install graphviz; Windows: winget install graphviz) "
    "or the embedded engine with: pip install graphviz-pure"
)
_warned_programs: set[str] = set()


class EngineNotFoundError(RuntimeError):
    """No Graphviz engine was found (or the one asked for does not exist)."""


class EngineError(RuntimeError):
    """The Graphviz engine failed; the message holds its stderr."""


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
        where = "engine=" if engine is not None else f"the {ENGINE_ENV_VAR} environment variable"
        found = shutil.which(forced) or shutil.which(forced, path=os.pathsep.join(_script_dirs()))
        if found is None:
            raise EngineNotFoundError(
                f"the Graphviz engine {forced!r} (from {where}) was not found or is not executable; "
                f"give a program on PATH or a path to one, e.g. dot or graphviz-pure"
            )
        return found
    found = shutil.which("dot") or shutil.which(_EMBEDDED) or shutil.which(
        _EMBEDDED, path=os.pathsep.join(_script_dirs())
    )
    if found is None:
        raise EngineNotFoundError(f"no Graphviz engine found (neither dot nor graphviz-pure): {_INSTALL_HINT}")
    return found


@functools.cache
def _engine_info(program: str) -> tuple[bool, tuple[str, ...]]:
    """(is it graphviz-pure?, the output formats it writes), asked of the program itself."""
    version = subprocess.run([program, "-V"], capture_output=True, text=True, check=False)
    # Both dot and graphviz-pure answer an unknown -T with "... Use one of: fmt fmt ...".
    probe = subprocess.run([program, "-T?"], capture_output=True, text=True, check=False, input="")
    _, _, listed = probe.stderr.partition("Use one of:")
    return _EMBEDDED in version.stdout + version.stderr, tuple(listed.split())


def run_engine(source: str, format: str, engine: str | None = None, *, dpi: float = DEFAULT_DPI) -> bytes:
    """Run a Graphviz engine (see :func:`find_engine`) on DOT ``source``; return the ``format`` bytes.

    Raises ValueError when the engine cannot write ``format`` and
    :class:`EngineError`, holding the engine's stderr, when it fails.  With the
    embedded engine, text beyond ASCII (Hangul, σ, ∂) is measured and drawn in
    NanumGothic (:mod:`tinygrad_ko.textfit`).  ``dpi`` sets the resolution of
    bitmap formats (png, jpeg).

    >>> run_engine("digraph { a -> b }", "svg")[:5]
    b'<?xml'
    """
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not (math.isfinite(dpi) and 10 <= dpi <= 2400):
        raise ValueError(f"dpi must be a number of pixels per inch from 10 to 2400 (e.g. 96 or 144), got {dpi!r}")
    program = find_engine(engine)
    embedded, formats = _engine_info(program)
    if format not in formats:
        hint = " (graphviz-pure writes no pdf yet: install the system Graphviz for pdf)" if embedded else ""
        raise ValueError(
            f"the Graphviz engine {program} cannot write {format!r}; it writes: {', '.join(formats)}{hint}"
        )
    if embedded and needs_fitting(source) and _has_font(program):
        source = fit_source(source, lambda text: _run(program, text, "json", dpi))
        if format in ("svg", "png"):
            svg = with_font(_run(program, source, "svg", dpi))
            return svg if format == "svg" else rasterize(svg, dpi)
    return _run(program, source, format, dpi)


def _run(program: str, source: str, format: str, dpi: float) -> bytes:
    command = [program, f"-T{format}"]
    if format in ("png", "jpeg", "jpg", "gif", "bmp"):
        command.append(f"-Gdpi={dpi:g}")
    done = subprocess.run(command, input=source.encode("utf-8"), capture_output=True, check=False)
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace").strip()
        raise EngineError(f"the Graphviz engine {program} failed (exit code {done.returncode}): {stderr}")
    return done.stdout


def _has_font(program: str) -> bool:
    """True if NanumGothic is installed; else warn once that the embedded engine draws Hangul as boxes."""
    try:
        hangul_font_path()
    except FileNotFoundError as missing:
        if program not in _warned_programs:
            _warned_programs.add(program)
            warnings.warn(
                f"the embedded Graphviz engine ({program}) has no Hangul (CJK) glyphs and {missing}; "
                f"until then Korean text is drawn as boxes (or install the system Graphviz and a CJK font: "
                f"Debian/Ubuntu: sudo apt install graphviz fonts-noto-cjk)",
                UserWarning,
                stacklevel=3,
            )
        return False
    return True


def _format_for(path: Path, format: str | None) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if format is None:
        if not suffix:
            raise ValueError(
                f"cannot tell the format of {str(path)!r}: end the name in .svg, .png or .pdf, or pass format="
            )
        format = suffix
    elif suffix and suffix != format:
        raise ValueError(f"the file name {str(path)!r} ends in .{suffix} but format={format!r} was asked for")
    if format not in FORMATS:
        raise ValueError(f"cannot write {format!r} files; the formats are {', '.join(FORMATS)}")
    return format


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a part."""
    # A temporary file in the same directory (os.replace is atomic only within one
    # file system), created with mode 0o666 so the umask applies as for any new
    # file; tempfile.mkstemp would leave the drawing readable by its owner only.
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as error:
        raise type(error)(error.errno, f"cannot write the drawing: {error.strerror}", str(path)) from None
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temp, path)
    except OSError as error:
        os.unlink(temp)
        raise type(error)(error.errno, f"cannot write the drawing: {error.strerror}", str(path)) from None
    except BaseException:
        os.unlink(temp)
        raise


def render(
    root: Value,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    engine: str | None = None,
    rankdir: str = "LR",
    precision: int | None = 6,
    show_grad: bool = True,
    show_local: bool = False,
    max_nodes: int = MAX_NODES,
    lang: str = "en",
    style: str = "boxes",
    dpi: float = DEFAULT_DPI,
) -> Path:
    """Draw the graph ending at ``root`` into the file ``path``; return the path written.

    The format (svg, png or pdf) comes from the file name's suffix unless
    ``format`` is given; a suffix that disagrees with ``format`` is a ValueError.
    The file is written atomically: a failed render leaves no half-written file.
    ``engine`` forces a Graphviz program (see :func:`find_engine`); ``dpi`` is the
    resolution of a png (default 144); the other options are those of
    :func:`~tinygrad_ko.to_dot` (``style="book"`` for the chapter's figures,
    ``lang="ko"`` for 값 / 기울기).

    >>> import tempfile, pathlib
    >>> from tinygrad_ko import Value
    >>> x = Value(2.0, label="x"); y = x * x; y.backward()
    >>> out = render(y, pathlib.Path(tempfile.mkdtemp()) / "square.svg")
    >>> out.name, out.read_bytes()[:5]
    ('square.svg', b'<?xml')
    """
    path = Path(path)
    chosen = _format_for(path, format)
    write_atomically(path, draw(root, chosen, engine=engine, rankdir=rankdir, precision=precision,
                                show_grad=show_grad, show_local=show_local, max_nodes=max_nodes, lang=lang,
                                style=style, dpi=dpi))
    return path


def draw(
    root: Value,
    format: str = "svg",
    *,
    engine: str | None = None,
    rankdir: str = "LR",
    precision: int | None = 6,
    show_grad: bool = True,
    show_local: bool = False,
    max_nodes: int = MAX_NODES,
    lang: str = "en",
    style: str = "boxes",
    dpi: float = DEFAULT_DPI,
) -> bytes:
    """The drawing :func:`render` would write, as bytes (svg, png or pdf), without a file.

    >>> from tinygrad_ko import Value
    >>> draw(Value(2.0, label="x") * 3, "svg")[:5]
    b'<?xml'
    """
    if format not in FORMATS:
        raise ValueError(f"cannot draw {format!r}; the formats are {', '.join(FORMATS)}")
    dot = to_dot(root, rankdir=rankdir, precision=precision, show_grad=show_grad, show_local=show_local,
                 max_nodes=max_nodes, lang=lang, style=style)
    return run_engine(dot.source, format, engine, dpi=dpi)
