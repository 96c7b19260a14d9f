"""textfit: Hangul measured, embedded and rasterized for the embedded engine, with real files and engines."""

from __future__ import annotations

import base64
import io
import json
import re
import struct
import subprocess

from fontTools.ttLib import TTFont

from tinygrad_ko.draw.fonts import hangul_font_path
from tinygrad_ko.draw.render import find_engine, run_engine
from tinygrad_ko.draw.textfit import fit_source, rasterize, text_width, with_font

EMBEDDED = "graphviz-pure"


def raw(source: str, format: str) -> bytes:
    """The embedded engine's own output, without tinygrad_ko's fitting."""
    done = subprocess.run([find_engine(EMBEDDED), f"-T{format}"], input=source.encode(), capture_output=True,
                          check=True)
    return done.stdout


def layout_json(source: str) -> bytes:
    """What fit_source is given to read: the engine's -Tjson."""
    return raw(source, "json")


def test_text_width_reads_the_font_s_advance_widths() -> None:
    font = TTFont(hangul_font_path())
    units = font["head"].unitsPerEm
    advance = font["hmtx"][font.getBestCmap()[ord("사")]][0]
    # Exact: a sum of advance widths scaled to the size (no kerning, no rounding).
    assert text_width("사사", 12.0) == 2 * advance * 12.0 / units
    # A Hangul syllable is about a full em; the engine alone counted it as a few spaces.
    assert 0.9 * 12 < text_width("사", 12.0) <= 12
    # A character the font lacks counts as one em, so a fallback font still fits.
    assert text_width("\u2400", 10.0) == 10.0


def test_boxes_get_the_width_their_text_needs_and_pinned_nodes_keep_theirs() -> None:
    source = ('digraph { a [label="지불 금액 소비세" shape=box fontsize=11]; '
              'b [label="소비세" shape=box fontsize=11 width=3 fixedsize=true]; a -> b }')
    fitted = fit_source(source, layout_json)
    laid_out = json.loads(run_engine(fitted, "json", EMBEDDED))
    width = {obj["name"]: float(obj["width"]) * 72 for obj in laid_out["objects"]}
    needed = text_width("지불 금액 소비세", 11.0)
    assert needed < width["a"] < needed + 30  # the text plus the box's margins (16 pt in Graphviz)
    assert width["b"] == 3 * 72  # fixedsize by the caller (the step page pins its layout): untouched


def test_svg_names_nanum_gothic_and_carries_exactly_the_glyphs_it_uses() -> None:
    svg = with_font(raw('digraph { a [label="사과 2"] }', "svg"))
    text = svg.decode()
    assert set(re.findall(r'font-family="([^"]*)"', text)) == {"NanumGothic"}
    (data,) = re.findall(r"data:font/woff;base64,([A-Za-z0-9+/=]+)", text)
    subset = TTFont(io.BytesIO(base64.b64decode(data)))
    assert {"사", "과", "2", " "} <= {chr(c) for c in subset.getBestCmap()}
    assert len(subset.getBestCmap()) < 10  # a subset: the full font has about 17,000 characters
    assert len(data) < 20_000


def test_rasterize_draws_at_the_asked_resolution() -> None:
    svg = with_font(raw('digraph { a [label="사과"] }', "svg"))
    width_pt = float(re.search(rb'width="([\d.]+)pt"', svg).group(1))  # type: ignore[union-attr]
    for dpi in (72, 144):
        png = rasterize(svg, dpi)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert abs(struct.unpack(">I", png[16:20])[0] - width_pt * dpi / 72) <= 1
