"""Where in the learner's own file an exception was raised: the innermost frame of their code.

A traceback from a learner's layer runs through this package (the call), their file (the
mistake) and often numpy (where a shape error surfaces).  The line to show is the
innermost one in *their* file: the files their class's methods were defined in.
"""

from __future__ import annotations

import inspect
import os
import traceback
from types import TracebackType

__all__ = ["described", "learner_files", "learner_line"]


def learner_files(cls: type) -> set[str]:
    """The files the methods of ``cls`` (and of its bases, but ``object``'s) were written in."""
    files: set[str] = set()
    for klass in inspect.getmro(cls):
        for member in vars(klass).values():
            function = getattr(member, "__func__", member)  # staticmethod, classmethod
            if isinstance(member, property):
                function = member.fget
            code = getattr(function, "__code__", None)
            if code is not None:
                files.add(code.co_filename)
    return files


def learner_line(error: BaseException, files: set[str]) -> str | None:
    """``"my_layers.py:27"`` for the innermost frame of ``error``'s traceback in ``files``, else None."""
    tb: TracebackType | None = error.__traceback__
    found: str | None = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename in files:
            found = f"{os.path.basename(frame.f_code.co_filename)}:{lineno}"
    return found


def described(error: BaseException) -> str:
    """``"NameError: name 'douit' is not defined"``: the type and the text, as Python's last line shows them."""
    return "".join(traceback.format_exception_only(type(error), error)).strip()
