"""Hangul (and any non-ASCII text) with the embedded engine, on a machine with nothing but pip.

The embedded ``graphviz-pure`` knows the widths of ASCII letters in three fonts
only (Arimo, Cousine, Tinos), sizes every other character as a space, and draws
PNG text with fonts that have no Hangul: a Korean label comes out as boxes in a
box too narrow for it.  With a real font file at hand (NanumGothic, which the pip
package ``koreanize-matplotlib`` ships; see :mod:`tinygrad_ko.draw.fonts`) this module
fixes all three:

1. **Measure.**  The engine lays the graph out once (``-Tjson``); every node's
   text lines are measured again with NanumGothic's advance widths (read with
   fontTools), and each box is given the width its text really needs
   (``width=... fixedsize=true``; other shapes only grow).  The drawing's own
   font is measured as Cousine meanwhile, whose digits are as wide as
   NanumGothic's (0.600 vs 0.606 em), so number labels on edges get room too.
2. **Name and embed the font.**  The SVG's text names NanumGothic, and the glyphs
   it uses are embedded as a subset font (``@font-face`` with a data URI, a few
   KB), so a browser without any Korean font draws the same letters.
3. **Rasterize.**  PNG is made from that SVG by resvg (the ``resvg-py`` wheel),
   with the TTF file loaded, at the ``dpi`` asked for.

The result is deterministic: the same DOT source gives the same bytes.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import json
import re
from collections.abc import Callable
from typing import Any

from graphviz.quoting import quote

from .fonts import FONTNAME, HANGUL_FONT_FAMILY, hangul_font_path

__all__ = ["fit_source", "needs_fitting", "rasterize", "text_width", "with_font"]

# The font the drawing's text is measured in while the engine lays it out: the
# embedded engine's monospace, whose ASCII letters are 0.6 em like NanumGothic's digits.
_MEASURE_AS = "Cousine"
# Shapes whose width is the text's width plus margins: they get exactly what the text needs.
_BOXES = {"box", "rect", "rectangle", "square", "plaintext", "plain", "none", "underline", "note", "tab", "folder"}
_FONT_FAMILY = re.compile(r'font-family="[^"]*"')
_TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", flags=re.S)
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")


def needs_fitting(source: str) -> bool:
    """True if ``source`` holds text the embedded engine cannot measure or draw (anything beyond ASCII)."""
    return not source.isascii()


@functools.cache
def _metrics() -> tuple[dict[int, int], float]:
    """NanumGothic's advance width per code point (font units) and its units per em."""
    from fontTools.ttLib import TTFont

    font = TTFont(hangul_font_path(), lazy=True)
    cmap = font.getBestCmap()
    advances = font["hmtx"].metrics
    widths = {code: advances[glyph][0] for code, glyph in cmap.items()}
    return widths, float(font["head"].unitsPerEm)


def text_width(text: str, size: float) -> float:
    """Width in points of ``text`` set in NanumGothic at ``size`` points (advance widths, no kerning).

    A character the font lacks counts as one em, wider than any it has, so the
    box is never too narrow for the fallback font that draws it.

    >>> round(text_width("사과", 10.0), 2), round(text_width("715", 10.0), 2)
    (18.8, 18.18)
    """
    widths, units = _metrics()
    return sum(widths.get(ord(ch), units) for ch in text) * size / units


def fit_source(source: str, layout: Callable[[str], bytes]) -> str:
    """``source`` with each node sized for its text in NanumGothic.

    ``layout`` runs the embedded engine with ``-Tjson`` on a DOT source.  Nodes
    already ``fixedsize`` (pinned by the caller) are left alone.
    """
    measuring = source.replace(quote(FONTNAME), _MEASURE_AS)
    laid_out: dict[str, Any] = json.loads(layout(measuring))
    amendments = []
    for obj in laid_out.get("objects", []):
        if "width" not in obj or str(obj.get("fixedsize", "false")).lower() == "true":
            continue  # a subgraph, or a node whose size the caller fixed
        size, measured, real = 14.0, [], []
        for op in obj.get("_ldraw_", []):
            if op.get("op") == "F":
                size = float(op["size"])
            elif op.get("op") == "T":
                measured.append(float(op["width"]))
                real.append(text_width(op["text"], size))
        if not real:
            continue
        width = float(obj["width"]) * 72.0
        needed = width - max(measured) + max(real)
        if obj.get("shape", "ellipse") in _BOXES:
            attrs = f"width={needed / 72.0:.4f} height={obj['height']} fixedsize=true"
        elif needed > width:
            attrs = f"width={needed / 72.0:.4f}"  # a minimum: the shape keeps its proportions
        else:
            continue
        amendments.append(f"\t{quote(obj['name'])} [{attrs}]\n")
    # Later statements add to a node's attributes in DOT: append before the graph's closing brace.
    body, brace, _ = measuring.rstrip().rpartition("}")
    return body + "".join(amendments) + brace + "\n"


def with_font(svg: bytes) -> bytes:
    """The engine's SVG with every text in NanumGothic, and the glyphs it uses embedded (a subset font)."""
    text = svg.decode("utf-8")
    text = _FONT_FAMILY.sub(f'font-family="{HANGUL_FONT_FAMILY}"', text)
    used = "".join(sorted({ch for m in _TEXT.finditer(text) for ch in html.unescape(m.group(1))}))
    opening = _SVG_OPEN.search(text)
    if opening is None or not used:
        return text.encode("utf-8")
    face = (f"<defs><style>@font-face {{ font-family: \"{HANGUL_FONT_FAMILY}\"; "
            f"src: url(data:font/woff;base64,{_subset(used)}) format(\"woff\"); }}</style></defs>\n")
    return (text[: opening.end()] + "\n" + face + text[opening.end():]).encode("utf-8")


@functools.lru_cache(maxsize=64)
def _subset(characters: str) -> str:
    """NanumGothic cut down to ``characters``, as base64 WOFF (zlib, no extra dependency)."""
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff"
    options.name_IDs = ["*"]  # keep the OFL notice and the family name
    options.notdef_outline = True
    # Visual TrueType's hinting sources: useless in a subset, and fontTools logs each one it drops.
    options.drop_tables += ["TSI0", "TSI1", "TSI2", "TSI3", "TSI5"]
    font = subset.load_font(str(hangul_font_path()), options)
    font.recalcTimestamp = False  # the same drawing gives the same bytes
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    return base64.b64encode(out.getvalue()).decode("ascii")


def rasterize(svg: bytes, dpi: float) -> bytes:
    """PNG bytes of ``svg`` drawn by resvg with NanumGothic loaded from its file, at ``dpi`` pixels per inch."""
    import resvg_py

    fonts = [str(hangul_font_path(weight)) for weight in ("regular", "bold")]
    return bytes(resvg_py.svg_to_bytes(svg_string=svg.decode("utf-8"), font_files=fonts, dpi=float(dpi),
                                       sans_serif_family=HANGUL_FONT_FAMILY))

