"""Rebuild the shipped CJK font subset (run by hand; the outputs are committed).

    .venv/bin/python retro/report/fonts/make_subset.py [/path/to/NotoSansCJK-Regular.ttc] [...Bold.ttc]

Source: Noto Sans CJK SC 2.004 (SIL OFL 1.1), as shipped by Debian's fonts-noto-cjk in
/usr/share/fonts/opentype/noto/ (face index 2 of the collection is SC). Kept: ASCII, Latin-1,
general punctuation, CJK symbols and punctuation, full-width forms, a few arrows/shapes the report
uses, and every character of GB2312 (6,763 hanzi + its symbols). A rarer character (outside
GB2312) is not in the font: the PDF shows a blank there (its text stays extractable) and a chart
falls back to whatever system font has it. The family is renamed (a subset is a Modified Version
under the OFL) so it never collides with an installed Noto Sans CJK.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

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


def build(src: str, style: str) -> Path:
    font = TTFont(src, fontNumber=SC_FACE)
    opts = subset.Options()
    opts.layout_features = ["kern", "liga", "locl", "palt", "halt"]
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.hinting = False
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=wanted_codepoints())
    sub.subset(font)
    name = font["name"]
    ps_name = f"{PS_FAMILY}-{style}"
    for rec in list(name.names):
        if rec.nameID in (1, 16):
            name.setName(FAMILY, rec.nameID, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 4:
            name.setName(f"{FAMILY} {style}" if style != "Regular" else FAMILY,
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
    cff = font["CFF "].cff
    cff.fontNames = [ps_name]
    top = cff.topDictIndex[0]
    top.FullName = ps_name
    top.FamilyName = FAMILY
    out = HERE / f"{ps_name}.otf"
    font.save(out)
    return out


if __name__ == "__main__":
    regular = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
    bold = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
    for path, style in ((regular, "Regular"), (bold, "Bold")):
        out = build(path, style)
        print(out, out.stat().st_size)
