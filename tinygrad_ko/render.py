"""Rendering: run a real Graphviz engine and write svg, png or pdf files.

Engine lookup (:func:`find_engine`), in order:

1. the ``engine`` argument, else the :data:`ENGINE_ENV_VAR` environment variable
   (``TINYGRAD_KO_DOT``): a program name on PATH or a path to one;
2. the system Graphviz ``dot`` on PATH;
3. ``graphviz-pure``, the Rust port of Graphviz that ``pip install tinygrad_ko``
   brings along, so a machine without Graphviz still draws.

The embedded ``graphviz-pure`` has no Hangul glyphs and writes no pdf: Korean
labels then come with a warning naming the fix (install the system Graphviz
and a CJK font), and asking it for pdf is a clear error.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import shutil
import subprocess
import sys
import sysconfig
import warnings
from pathlib import Path

from .dot import MAX_NODES, to_dot
from .engine import Value

__all__ = [
    "ENGINE_ENV_VAR", "FORMATS", "EngineError", "EngineNotFoundError", "find_engine", "render", "run_engine",
    "write_atomically",
]

#: Environment variable naming the Graphviz program to use (overridden by ``engine=``).
ENGINE_ENV_VAR = "TINYGRAD_KO_DOT"

#: File formats :func:`render` writes (pdf only with an engine that supports it).
FORMATS = ("svg", "png", "pdf")

_EMBEDDED = "graphviz-pure"
_INSTALL_HINT = (
    "install the system Graphviz (Debian/Ubuntu: sudo apt install graphviz fonts-noto-cjk; "
    "macOS: brew install graphviz; Windows: winget install graphviz) "
    "or the embedded engine with: pip install graphviz-pure"
)
# Hangul Jamo, CJK radicals to CJK ideographs, Hangul Jamo extended-A, Hangul
# syllables and Jamo extended-B, CJK compatibility ideographs, full-width forms.
_CJK = re.compile("[\u1100-\u11ff\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff00-\uffef]")
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


def run_engine(source: str, format: str, engine: str | None = None) -> bytes:
    """Run a Graphviz engine (see :func:`find_engine`) on DOT ``source``; return the ``format`` bytes.

    Raises ValueError when the engine cannot write ``format`` and
    :class:`EngineError`, holding the engine's stderr, when it fails.  With the
    embedded engine and Hangul (CJK) text, warns once that it will draw boxes.

    >>> run_engine("digraph { a -> b }", "svg")[:5]
    b'<?xml'
    """
    program = find_engine(engine)
    embedded, formats = _engine_info(program)
    if format not in formats:
        hint = " (graphviz-pure writes no pdf yet: install the system Graphviz for pdf)" if embedded else ""
        raise ValueError(
            f"the Graphviz engine {program} cannot write {format!r}; it writes: {', '.join(formats)}{hint}"
        )
    if embedded and program not in _warned_programs and _CJK.search(source):
        _warned_programs.add(program)
        warnings.warn(
            f"the embedded Graphviz engine ({program}) has no Hangul (CJK) glyphs, so Korean text "
            f"is drawn as boxes; install the system Graphviz and a CJK font (Debian/Ubuntu: "
            f"sudo apt install graphviz fonts-noto-cjk; macOS: brew install graphviz) and it is used instead",
            UserWarning,
            stacklevel=2,
        )
    done = subprocess.run([program, f"-T{format}"], input=source.encode("utf-8"), capture_output=True, check=False)
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace").strip()
        raise EngineError(f"the Graphviz engine {program} failed (exit code {done.returncode}): {stderr}")
    return done.stdout


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
) -> Path:
    """Draw the graph ending at ``root`` into the file ``path``; return the path written.

    The format (svg, png or pdf) comes from the file name's suffix unless
    ``format`` is given; a suffix that disagrees with ``format`` is a ValueError.
    The file is written atomically: a failed render leaves no half-written file.
    ``engine`` forces a Graphviz program (see :func:`find_engine`); the other
    options are those of :func:`~tinygrad_ko.to_dot`.

    >>> import tempfile, pathlib
    >>> from tinygrad_ko import Value
    >>> x = Value(2.0, label="x"); y = x * x; y.backward()
    >>> out = render(y, pathlib.Path(tempfile.mkdtemp()) / "square.svg")
    >>> out.name, out.read_bytes()[:5]
    ('square.svg', b'<?xml')
    """
    path = Path(path)
    chosen = _format_for(path, format)
    dot = to_dot(
        root, rankdir=rankdir, precision=precision, show_grad=show_grad, show_local=show_local, max_nodes=max_nodes
    )
    write_atomically(path, run_engine(dot.source, chosen, engine))
    return path
