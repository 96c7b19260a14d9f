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
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path

__all__ = ["OutputPathError", "check_writable", "link_target", "write_all"]


class OutputPathError(ValueError):
    """An output file that cannot be written; the message names the file and what it is.

    ``reason`` is one of ``empty``, ``folder``, ``no_folder``, ``not_folder``, ``os`` (with ``detail``,
    the system's words), so that a command can say it in its user's language.
    """

    def __init__(self, message: str, reason: str, name: str, what: str, detail: str = "") -> None:
        super().__init__(message)
        self.reason, self.name, self.what, self.detail = reason, name, what, detail


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
        raise ValueError(
            f"{str(path)!r} is a symbolic link to {str(target)!r}, a file of another kind (not "
            f"{Path(path).suffix or 'without a suffix'}): refusing to write over it; remove the link or "
            f"choose another name"
        )
    return target


def check_writable(name: str, what: str) -> Path:
    """``name`` as a Path, after checking that a file can be written there; else :class:`OutputPathError`.

    ``what`` says what the file is ("the picture", "the training page"), so the
    message names it.  Checked: an empty name, a folder that does not exist or
    is a file, a name that is a folder, and a place where no file may be created
    (tried for real: a temporary file is made next to it and removed at once).
    """
    if name == "":
        raise OutputPathError(f"the file name of {what} is empty: give a name, or leave the option out "
                              "for the default", "empty", name, what)
    path = Path(name)
    folder = Path(os.path.realpath(path)).parent
    if path.is_dir():
        raise OutputPathError(f"cannot write {what} {name!r}: it is a folder; give a file name inside it",
                              "folder", name, what)
    if not folder.exists():
        raise OutputPathError(f"cannot write {what} {name!r}: the folder {str(folder)!r} does not exist",
                              "no_folder", name, what, str(folder))
    if not folder.is_dir():
        raise OutputPathError(f"cannot write {what} {name!r}: {str(folder)!r} is a file, not a folder",
                              "not_folder", name, what, str(folder))
    probe = folder / f".tgk-{secrets.token_hex(6)}.tmp"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        raise OutputPathError(f"cannot write {what} {name!r}: {error.strerror}", "os", name, what,
                              str(error.strerror)) from None
    os.unlink(probe)
    link_target(path)  # a link to a file of another kind is refused now, not after the work
    return path


def write_all(files: Sequence[tuple[Path, bytes, str]]) -> None:
    """Write every ``(path, data, what)`` or none of them.

    Each file's data first goes to a temporary file beside it; only when all
    are written do they replace their targets (:func:`os.replace`, atomic
    within a file system), so a failure (a full disk, Ctrl-C) leaves every
    target as it was.  An existing file keeps its permission bits.  A failure
    is an :class:`OutputPathError` naming the file and ``what`` it is.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, _, _ in files:
            link_target(path)  # every link is checked before any file is staged
        for path, data, what in files:
            target = link_target(path)
            temp = target.with_name(f".tgk-{secrets.token_hex(6)}.tmp")
            try:
                old_mode = stat.S_IMODE(os.stat(target).st_mode)
            except OSError:
                old_mode = None
            try:
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if old_mode is None else old_mode)
                staged.append((temp, target))
                with os.fdopen(fd, "wb") as file:
                    if old_mode is not None:
                        os.fchmod(file.fileno(), old_mode)  # creating it applied the umask
                    file.write(data)
            except OSError as error:
                raise OutputPathError(f"cannot write {what} {str(path)!r}: {error.strerror}", "os", str(path), what,
                                      str(error.strerror)) from None
        for temp, target in staged:
            os.replace(temp, target)
        staged = []
    finally:
        for temp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(temp)
