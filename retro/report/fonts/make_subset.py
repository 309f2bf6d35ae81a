"""Rebuild the shipped CJK font subset (run by hand; the outputs are committed).

    .venv/bin/python retro/report/fonts/make_subset.py [/path/to/NotoSansCJK-Regular.ttc] [...Bold.ttc]

Source: Noto Sans CJK SC 2.004 (SIL OFL 1.1), as shipped by Debian's fonts-noto-cjk in
/usr/share/fonts/opentype/noto/ (face index 2 of the collection is SC). Kept: ASCII, Latin-1,
general punctuation, CJK symbols and punctuation, full-width forms, a few arrows/shapes the report
uses, and every character of GB2312 (6,763 hanzi + its symbols): RetroSansSC-{Regular,Bold}.ttf, loaded for every PDF.
RetroSansSCExt-Regular.ttf holds the rest of the CJK Unified Ideographs (U+4E00-U+9FFF) and
Extension A, for rarer characters (names such as 喆 堃 玥): the PDF loads it only when the report
has such a character, and vl-convert falls back to it glyph by glyph. The family is renamed (a subset is a Modified Version
under the OFL) so it never collides with an installed Noto Sans CJK.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

HERE = Path(__file__).resolve().parent
FAMILY = "Retro Sans SC"
PS_FAMILY = "RetroSansSC"
SC_FACE = 2  # index of Noto Sans CJK SC inside NotoSansCJK-*.ttc


def gb2312_chars() -> set[str]:
    chars = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):  # holes in the code table
                chars.add(bytes((hi, lo)).decode("gb2312"))
    return chars


def wanted_codepoints() -> set[int]:
    cps = {ord(c) for c in gb2312_chars()}
    for lo, hi in ((0x20, 0x7E), (0xA0, 0xFF), (0x2000, 0x206F), (0x2190, 0x2199),
                   (0x25A0, 0x25CF), (0x3000, 0x303F), (0xFF00, 0xFFEF)):
        cps.update(range(lo, hi + 1))
    cps.update((0x20AC, 0x2103, 0x2116, 0x2122, 0x2212, 0x2264, 0x2265, 0x2605, 0x2606, 0x2713, 0x2717))
    return cps


def rare_codepoints() -> set[int]:
    """The rest of the CJK Unified Ideographs block and Extension A (names, rare words)."""
    return (set(range(0x3400, 0x4DC0)) | set(range(0x4E00, 0xA000))) - wanted_codepoints()


def build(src: str, style: str, codepoints: set[int], family: str = FAMILY, ps_family: str = PS_FAMILY) -> Path:
    font = TTFont(src, fontNumber=SC_FACE)
    opts = subset.Options()
    opts.layout_features = ["kern", "liga", "locl", "palt", "halt"]
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.hinting = False
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=codepoints)
    sub.subset(font)
    name = font["name"]
    ps_name = f"{ps_family}-{style}"
    for rec in list(name.names):
        if rec.nameID in (1, 16):
            name.setName(family, rec.nameID, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 4:
            name.setName(f"{family} {style}" if style != "Regular" else family,
                         rec.nameID, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 6:
            name.setName(ps_name, rec.nameID, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 3:
            name.setName(f"{ps_name};subset of Noto Sans CJK SC 2.004", rec.nameID,
                         rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID in (17, 2) and style == "Bold":
            name.setName("Bold", rec.nameID, rec.platformID, rec.platEncID, rec.langID)
    # Localised (e.g. Chinese/Japanese) family names would still say Noto Sans CJK: drop them.
    name.names = [r for r in name.names if not (r.nameID in (1, 4, 16) and r.langID not in (0, 0x409))]
    to_truetype(font)
    out = HERE / f"{ps_name}.ttf"
    font.save(out)
    store_glyph_names(out)
    return out


def store_glyph_names(path: Path) -> None:
    """Write glyph names into the font (post format 2). Without them (format 3) fontTools makes
    them up from the cmap every time the font is opened: ~0.2 s per font per PDF in fpdf2."""
    font = TTFont(path)
    order = font.getGlyphOrder()  # uniXXXX names derived from the cmap
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.save(path)


def to_truetype(font: TTFont) -> None:
    """CFF (cubic) outlines to TrueType (quadratic) ones, in place (fontTools' otf2ttf recipe).

    fpdf2 embeds a CFF font with an encoding pypdf cannot decode (extracted text comes out with a
    NUL before each character) and spends a second per document compiling the CFF subset; a
    TrueType font takes its well-trodden CIDFontType2 path, faster and readable by every extractor.
    """
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        tt_pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(tt_pen, max_err=1.0, reverse_direction=True))
        glyf.glyphs[name] = tt_pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyf.glyphs.items():
        advance, _ = hmtx.metrics[name]
        hmtx.metrics[name] = (advance, getattr(glyph, "xMin", 0))
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in ("maxZones",):
        setattr(maxp, field, 1)
    for field in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, field, 0)
    font["maxp"] = maxp
    post = font["post"]
    post.formatType = 3.0  # CID names mean nothing; store_glyph_names writes cmap-based ones
    post.extraNames = []
    post.mapping = {}
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


if __name__ == "__main__":
    regular = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
    bold = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
    for out in (build(regular, "Regular", wanted_codepoints()), build(bold, "Bold", wanted_codepoints()),
                build(regular, "Regular", rare_codepoints(), f"{FAMILY} Ext", f"{PS_FAMILY}Ext")):
        print(out, out.stat().st_size)
