"""A command's output files: checked before any work, then written all of them or none.

``tinygrad-ko train`` writes a picture and maybe a page after a training run
that can take minutes; a wrong path must stop it before the run, and a run
whose second file cannot be written must not leave its first one behind.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> check_writable(str(folder / "a.png"), "the picture").name
'a.png'
>>> check_writable(str(folder / "missing" / "a.png"), "the picture")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
tinygrad_ko.outputs.OutputPathError: cannot write the picture ...: the folder ... does not exist
>>> write_all([(folder / "a.txt", b"1", "a"), (folder / "b.txt", b"2", "b")])
>>> sorted(p.name for p in folder.iterdir())
['a.txt', 'b.txt']
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .messages import DEFAULT_LANG, LocalizedValueError, text

__all__ = ["OutputPathError", "check_writable", "link_target", "utf8_bytes", "write_all", "write_atomically",
           "write_new_file", "write_text_atomically"]


class OutputPathError(LocalizedValueError):
    """An output file that cannot be written; the message names the file and what it is.

    ``reason`` is one of ``empty``, ``folder``, ``no_folder``, ``not_folder``, ``os`` (with ``detail``,
    the system's words): the message is ``draw.path_<reason>`` of the catalogs, so a command shows it
    in its user's language with ``error.localized(lang)``.
    """

    reason: str
    name: str
    what: str
    detail: str

    def __init__(self, key: str, /, **params: Any) -> None:
        params.setdefault("detail", "")
        super().__init__(key, **params)
        self.reason = key.removeprefix("draw.path_")
        self.name, self.what, self.detail = params["name"], params["what"], params["detail"]


def link_target(path: str | os.PathLike[str]) -> Path:
    """The file that writing ``path`` replaces: ``path`` itself, or where its symbolic links lead.

    A link is followed only to a file whose name ends as ``path``'s does (``plot.png`` ->
    ``old.png``); a link to an existing file of another kind (``plot.png`` -> ``notes.txt``) is
    refused with ValueError, the file untouched: writing picture bytes over a text file is never
    what was meant.  One rule for every file the package writes.
    """
    # realpath follows every symbolic link, also to a target that does not exist yet.
    target = Path(os.path.realpath(path))
    if target.suffix.lower() != Path(path).suffix.lower() and os.path.lexists(target):
        suffix = Path(path).suffix
        if suffix:
            raise LocalizedValueError("draw.link_other_kind", name=str(path), target=str(target), suffix=suffix)
        raise LocalizedValueError("draw.link_other_kind_bare", name=str(path), target=str(target))
    return target


def check_writable(name: str, what: str) -> Path:
    """``name`` as a Path, after checking that a file can be written there; else :class:`OutputPathError`.

    ``what`` says what the file is ("the picture", "the training page"), so the
    message names it.  Checked: an empty name, a folder that does not exist or
    is a file, a name that is a folder, and a place where no file may be created
    (tried for real: a temporary file is made next to it and removed at once).
    """
    if name == "":
        raise OutputPathError("draw.path_empty", name=name, what=what)
    path = Path(name)
    folder = Path(os.path.realpath(path)).parent
    if path.is_dir():
        raise OutputPathError("draw.path_folder", name=name, what=what)
    if not folder.exists():
        raise OutputPathError("draw.path_no_folder", name=name, what=what, detail=str(folder))
    if not folder.is_dir():
        raise OutputPathError("draw.path_not_folder", name=name, what=what, detail=str(folder))
    probe = folder / f".tgk-{secrets.token_hex(6)}.tmp"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        raise OutputPathError("draw.path_os", name=name, what=what, detail=str(error.strerror)) from None
    os.unlink(probe)
    link_target(path)  # a link to a file of another kind is refused now, not after the work
    return path


def _stage(target: Path, data: bytes) -> Path:
    """Write ``data`` to a new temporary file beside ``target`` and return its path (the one writer).

    The temporary file gets ``target``'s permission bits (and, where allowed, its owner and
    group) when ``target`` exists, else 0o666 less the umask.  On any failure it is removed
    and the error goes on.
    """
    try:
        old: os.stat_result | None = os.stat(target)
    except OSError:  # nothing there yet (or unreadable: os.replace reports the real problem)
        old = None
    # A short fixed-length name, so that any name valid for the target is valid here too.
    temp = target.with_name(f".tgk-{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if old is None else stat.S_IMODE(old.st_mode))
    try:
        with os.fdopen(fd, "wb") as file:
            if old is not None:
                _keep_owner_and_mode(file.fileno(), temp, old)
            file.write(data)
    except BaseException:
        os.unlink(temp)
        raise
    return temp


def _keep_owner_and_mode(fd: int, temp: Path, old: os.stat_result) -> None:
    """Give the new file ``old``'s owner and group (where allowed) and exactly its permission bits."""
    if hasattr(os, "fchown"):
        now = os.fstat(fd)
        if (now.st_uid, now.st_gid) != (old.st_uid, old.st_gid):
            # Only root may give a file away: otherwise the new file stays the writer's.
            with contextlib.suppress(OSError):
                os.fchown(fd, old.st_uid, old.st_gid)
    # After chown, which may clear set-id bits; creating the file applied the umask to the bits.
    if hasattr(os, "fchmod"):
        os.fchmod(fd, stat.S_IMODE(old.st_mode))
    else:
        os.chmod(temp, stat.S_IMODE(old.st_mode))


def write_atomically(path: Path, data: bytes, what: str = "the drawing") -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a part.

    The data goes to a temporary file next to the target, which then replaces it
    (:func:`os.replace`, atomic within one file system).  So:

    * a symbolic link at ``path`` is followed (:func:`link_target`): the file it points
      to is replaced and the link stays a link; a link to a file of another kind is
      refused with ValueError, the file untouched;
    * a file that exists keeps its permission bits (and, where the system allows
      it, its owner and group); a new file gets 0o666 less the umask, as usual;
    * the file is a new one on disk: other hard links to the old file keep the old
      contents (the name ``path`` no longer shares them).

    A failure is the system's OSError (same type, ``filename`` ``path``) whose message
    says ``what`` could not be written (``"the drawing"``, ``"the training page"``).
    """
    target = link_target(path)
    try:
        temp = _stage(target, data)
        try:
            os.replace(temp, target)
        except BaseException:
            os.unlink(temp)
            raise
    except OSError as error:
        message = text("draw.cannot_write", DEFAULT_LANG, what=what, reason=error.strerror)
        raise type(error)(error.errno, message, str(path)) from None


def write_new_file(path: Path, data: bytes, what: str) -> None:
    """Write ``data`` to ``path`` only if nothing is there: FileExistsError otherwise, nothing changed.

    For files a learner edits (an exercise's starter): the check and the creation are
    one step, so a file made by someone else between a check and the write is never
    overwritten.  The data is staged beside ``path`` and then hard-linked to the name
    (a link never replaces an existing name), so readers see no file or the whole file.
    Where the file system has no hard links, the file is created exclusively
    (``O_EXCL``) and written in place.  Anything at ``path``, a symbolic link included
    (even one that leads nowhere), counts as there.  Other failures are the system's
    OSError, its message naming ``what``.
    """
    path = Path(path)
    try:
        temp = _stage(path, data)
        try:
            os.link(temp, path, follow_symlinks=False)
        except FileExistsError:
            raise
        except OSError:  # no hard links here (some network and FAT file systems)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            try:
                with os.fdopen(fd, "wb") as file:
                    file.write(data)
            except BaseException:
                os.unlink(path)  # ours (O_EXCL made it): no half-written starter is left to be "already there"
                raise
        finally:
            os.unlink(temp)
    except FileExistsError:
        raise
    except OSError as error:
        message = text("draw.cannot_write", DEFAULT_LANG, what=what, reason=error.strerror)
        raise type(error)(error.errno, message, str(path)) from None


def write_text_atomically(path: Path, text: str, what: str = "the page") -> None:
    """Write ``text`` as UTF-8 (:func:`utf8_bytes`) with :func:`write_atomically`; every page goes this way."""
    write_atomically(path, utf8_bytes(text), what)


def utf8_bytes(text: str) -> bytes:
    """``text`` as UTF-8, the one rule for every page the package writes.

    A lone surrogate (e.g. from a name decoded with ``surrogateescape``) cannot be
    UTF-8: it becomes U+FFFD, the stand-in the drawings use for it, instead of
    failing with UnicodeEncodeError.

    >>> utf8_bytes("a" + chr(0xDCFF))
    b'a\\xef\\xbf\\xbd'
    """
    return _SURROGATE.sub("\ufffd", text).encode("utf-8")


_SURROGATE = re.compile("[\ud800-\udfff]")


def write_all(files: Sequence[tuple[Path, bytes, str]]) -> None:
    """Write every ``(path, data, what)`` or none of them.

    Each file's data first goes to a temporary file beside it (the writer of
    :func:`write_atomically`); only when all are written do they replace their
    targets (:func:`os.replace`, atomic within a file system), so a failure (a
    full disk, Ctrl-C) leaves every target as it was.  An existing file keeps its
    permission bits.  A failure is an :class:`OutputPathError` naming the file and
    ``what`` it is.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, _, _ in files:
            link_target(path)  # every link is checked before any file is staged
        for path, data, what in files:
            target = link_target(path)
            try:
                staged.append((_stage(target, data), target))
            except OSError as error:
                raise OutputPathError("draw.path_os", name=str(path), what=what,
                                      detail=str(error.strerror)) from None
        for temp, target in staged:
            os.replace(temp, target)
        staged = []
    finally:
        for temp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(temp)
