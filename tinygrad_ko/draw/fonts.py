"""Where to find a font with Hangul glyphs on a machine that has nothing but pip.

The pip package ``koreanize-matplotlib`` ships NanumGothic (SIL Open Font License)
as plain TTF files.  We only read those files: importing that package would change
matplotlib's global settings (and it imports ``distutils``, gone in Python 3.12), so
the package directory is located with :func:`importlib.util.find_spec`, which runs
none of its code.  The drawing engine and the training plots both use this font.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ..messages import LocalizedError, LocalizedValueError

__all__ = ["FONTNAME", "HANGUL_FONT_FAMILY", "FontNotFoundError", "hangul_font_path"]

#: Fonts tried in order by the drawings.  Hangul needs a CJK font (Noto Sans CJK with the system
#: Graphviz); SVG viewers read the same list as a CSS font-family fallback.
FONTNAME = "Noto Sans CJK KR,Noto Sans KR,NanumGothic,sans-serif"

#: The family name inside the TTF file (what SVG ``font-family`` and matplotlib use).
HANGUL_FONT_FAMILY = "NanumGothic"


class FontNotFoundError(LocalizedError, FileNotFoundError):
    """No Hangul font is installed; the message names the package to install (a FileNotFoundError)."""


def hangul_font_path(weight: str = "regular") -> Path:
    """The path of a NanumGothic TTF file shipped by the ``koreanize-matplotlib`` package.

    ``weight`` is ``"regular"`` or ``"bold"``.  Raises :class:`FontNotFoundError` (a FileNotFoundError)
    naming the package to install when it is missing.

    >>> hangul_font_path().name
    'NanumGothic.ttf'
    """
    files = {"regular": "NanumGothic.ttf", "bold": "NanumGothicBold.ttf"}
    if weight not in files:
        raise LocalizedValueError("draw.font_weight", choices=sorted(files), got=weight)
    spec = importlib.util.find_spec("koreanize_matplotlib")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = Path(location) / "fonts" / files[weight]
        if path.is_file():
            return path
    raise FontNotFoundError("draw.no_hangul_font")
