"""Rendering: the drawing of a :class:`~tinygrad_ko.Value`'s graph as svg, png or pdf bytes or a file.

:func:`draw` makes the DOT text (:func:`~tinygrad_ko.draw.dot.to_dot`) and runs a
Graphviz engine on it (:mod:`tinygrad_ko.draw.engines`, which also says how an engine
is found); :func:`render` writes the result to a file, atomically
(:func:`tinygrad_ko.outputs.write_atomically`).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..engine import Value
from ..messages import LocalizedValueError
from ..outputs import write_atomically
from .dot import MAX_NODES, to_dot
from .engines import (
    DEFAULT_DPI,
    DEFAULT_TIMEOUT,
    ENGINE_ENV_VAR,
    MAX_PIXELS,
    MAX_TIMEOUT,
    EngineError,
    EngineNotFoundError,
    EngineTimeoutError,
    check_timeout,
    find_engine,
    run_engine,
)

__all__ = [
    "DEFAULT_DPI", "DEFAULT_TIMEOUT", "ENGINE_ENV_VAR", "FORMATS", "MAX_PIXELS", "MAX_TIMEOUT", "EngineError",
    "EngineNotFoundError", "EngineTimeoutError", "draw", "find_engine", "render", "run_engine",
]

#: File formats :func:`render` writes (pdf only with an engine that supports it).
FORMATS = ("svg", "png", "pdf")


def _format_for(path: Path, format: str | None) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if format is None:
        if not suffix:
            raise LocalizedValueError("draw.format_unknown", name=str(path))
        format = suffix
    elif suffix and suffix != format:
        raise LocalizedValueError("draw.format_mismatch", name=str(path), suffix=suffix, format=format)
    if format not in FORMATS:
        raise LocalizedValueError("draw.format_cannot_write", format=format, formats=", ".join(FORMATS))
    return format


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
    lang: str | None = None,
    style: str = "boxes",
    dpi: float = DEFAULT_DPI,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Path:
    """Draw the graph ending at ``root`` into the file ``path``; return the path written.

    The format (svg, png or pdf) comes from the file name's suffix unless
    ``format`` is given; a suffix that disagrees with ``format`` is a ValueError.
    The file is written atomically: a failed render leaves no half-written file.
    A symbolic link at ``path`` is followed and an existing file keeps its
    permissions (see :func:`~tinygrad_ko.outputs.write_atomically`, also for hard links).
    ``engine`` forces a Graphviz program (see :func:`find_engine`); the engine is
    stopped after ``timeout`` seconds (default :data:`DEFAULT_TIMEOUT`, ``None``
    for no limit) with :class:`EngineTimeoutError`; ``dpi`` is the resolution of
    a png (default 144); the other options are those of
    :func:`~tinygrad_ko.to_dot` (``style="book"`` for the chapter's figures,
    ``lang="ko"`` for 값 / 기울기, None for the session's language).

    >>> import tempfile, pathlib
    >>> from tinygrad_ko import Value
    >>> x = Value(2.0, label="x"); y = x * x; y.backward()
    >>> out = render(y, pathlib.Path(tempfile.mkdtemp()) / "square.svg")
    >>> out.name, out.read_bytes()[:5]
    ('square.svg', b'<?xml')
    """
    path = Path(path)
    chosen = _format_for(path, format)
    check_timeout(timeout, "render")
    write_atomically(path, draw(root, chosen, engine=engine, rankdir=rankdir, precision=precision,
                                show_grad=show_grad, show_local=show_local, max_nodes=max_nodes, lang=lang,
                                style=style, dpi=dpi, timeout=timeout))
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
    lang: str | None = None,
    style: str = "boxes",
    dpi: float = DEFAULT_DPI,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> bytes:
    """The drawing :func:`render` would write, as bytes (svg, png or pdf), without a file.

    >>> from tinygrad_ko import Value
    >>> draw(Value(2.0, label="x") * 3, "svg")[:5]
    b'<?xml'
    """
    if format not in FORMATS:
        raise LocalizedValueError("draw.format_cannot_draw", format=format, formats=", ".join(FORMATS))
    dot = to_dot(root, rankdir=rankdir, precision=precision, show_grad=show_grad, show_local=show_local,
                 max_nodes=max_nodes, lang=lang, style=style)
    return run_engine(dot.source, format, engine, dpi=dpi, timeout=timeout)
