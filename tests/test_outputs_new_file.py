"""write_new_file: a learner's file is never overwritten, not even by a file made after the check.

Real files in a temporary folder.  The one stand-in is a file system without hard
links (os.link raising EPERM, as on FAT and some network mounts), which this
machine does not have: it takes the O_EXCL path, whose promise is the same.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from tinygrad_ko.outputs import check_writable, write_new_file


def test_a_new_file_gets_the_data_and_the_usual_mode(tmp_path: Path) -> None:
    target = tmp_path / "relu_layer.py"
    write_new_file(target, b"class Relu: ...\n", "the starter")
    assert target.read_bytes() == b"class Relu: ...\n"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert target.stat().st_nlink == 1  # the staged temporary name is gone
    assert [p.name for p in tmp_path.iterdir()] == ["relu_layer.py"]


def test_a_file_made_after_the_check_is_kept(tmp_path: Path) -> None:
    # The race write_new_file closes: the name is free when checked, taken when written.
    target = check_writable(str(tmp_path / "mul_layer.py"), "the starter")
    assert not target.exists()
    target.write_text("# my work, saved a moment ago\n", encoding="utf-8")
    with pytest.raises(FileExistsError):
        write_new_file(target, b"starter\n", "the starter")
    assert target.read_text(encoding="utf-8") == "# my work, saved a moment ago\n"
    assert [p.name for p in tmp_path.iterdir()] == ["mul_layer.py"]


def test_a_link_that_leads_nowhere_counts_as_there(tmp_path: Path) -> None:
    link = tmp_path / "mul_layer.py"
    link.symlink_to(tmp_path / "elsewhere.py")
    with pytest.raises(FileExistsError):
        write_new_file(link, b"starter\n", "the starter")
    assert link.is_symlink() and not (tmp_path / "elsewhere.py").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mul_layer.py"]


def test_without_hard_links_the_file_is_created_exclusively(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "add_layer.py"
    write_new_file(target, b"class AddLayer: ...\n", "the starter")
    assert target.read_bytes() == b"class AddLayer: ...\n"
    with pytest.raises(FileExistsError):
        write_new_file(target, b"again\n", "the starter")
    assert target.read_bytes() == b"class AddLayer: ...\n"
    assert [p.name for p in tmp_path.iterdir()] == ["add_layer.py"]


def test_a_folder_that_cannot_be_written_names_what_was_being_written(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        write_new_file(tmp_path / "missing" / "x.py", b"x", "the starter")
    assert "the starter" in str(caught.value) and caught.value.filename == str(tmp_path / "missing" / "x.py")


def test_a_write_that_fails_half_way_leaves_no_file_to_be_taken_for_the_learners(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The O_EXCL path writes in place; if the write fails (a full disk), the file it made is removed.
    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, file: object) -> None:
            self.file = file

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.file.close()  # type: ignore[attr-defined]

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "link", no_links)
    monkeypatch.setattr(os, "fdopen", lambda fd, mode: FullDisk(real_fdopen(fd, mode)) if mode == "wb" and
                        not os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp") else real_fdopen(fd, mode))
    with pytest.raises(OSError, match="the starter") as caught:
        write_new_file(tmp_path / "sigmoid_layer.py", b"class Sigmoid: ...\n", "the starter")
    assert caught.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []
