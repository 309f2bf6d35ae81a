"""The report as an A4 PDF (fpdf2): cover, summary, KPI cards, charts, tables, page numbers.

Text is set in the shipped CJK font (retro/report/fonts, embedded as a subset), so Chinese shows
and can be copied or searched on a machine without any CJK font. Tables repeat their header row
on every page they run over, columns are sized to their content within the page width, and long
cells wrap inside their column.
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import Align, TableCellFillMode, WrapMode, XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image

from retro.i18n import t
from retro.report.images import FONT_BOLD, FONT_EXT, FONT_REGULAR, chart_png, png_size
from retro.report.model import Cards, Chart, Paragraph, Report, Section, Table, cell_text

FONT = "RetroSans"
MARGIN = 15.0  # mm
ACCENT = (31, 78, 121)  # headings, table headers
MUTED = (110, 118, 129)
RULE = (208, 215, 222)
ZEBRA = (244, 246, 248)
TONE_COLORS = {"good": (26, 127, 55), "bad": (207, 34, 46), "flat": MUTED}
STATUS_COLORS = {"green": (45, 164, 78), "amber": (212, 167, 44), "red": (207, 34, 46)}
# Drawn for a character no shipped font has (an emoji, a hanzi beyond Extension A): fpdf2 would
# drop it silently, which can change a name or a number; a visible box says something is missing.
MISSING = "\u25a1"
# Room a section heading needs below it to be worth starting on this page (mm).
MIN_SECTION_ROOM = 45.0
# C0/C1 control characters other than newline: they have no glyph and break line measuring.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """User text made safe to set: tabs as spaces, other control characters dropped."""
    return _CONTROL.sub("", str(text).replace("\t", "    ").replace("\r\n", "\n").replace("\r", "\n"))


def display_width(text: str) -> int:
    """Width in half-width units (a hanzi counts two), for sizing columns before layout."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@functools.cache
def _cmap(path: str) -> frozenset[int]:
    font = TTFont(path, lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def report_texts(report: Report) -> Iterator[str]:
    """Every piece of text the report shows (numbers are formatted in ASCII and skipped)."""
    yield report.title
    yield report.team or ""
    for section in report.sections:
        yield section.title
        for block in section.blocks:
            if isinstance(block, Paragraph):
                yield block.text
            elif isinstance(block, Cards):
                for card in block.cards:
                    yield card.title
                    yield card.value
            elif isinstance(block, Chart):
                yield block.title
            elif isinstance(block, Table):
                yield block.title
                yield from block.columns
                yield from (u for u in block.units if u)
                for row in block.rows:
                    yield from (v for v in row if isinstance(v, str))


class _ReportPDF(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.report = report
        self.set_margins(MARGIN, MARGIN + 3, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN + 5)
        self.add_font(FONT, "", str(FONT_REGULAR))
        self.add_font(FONT, "B", str(FONT_BOLD))
        self.set_title(report.title)
        self.set_lang("zh-CN" if report.lang == "zh" else "en")
        self.set_creator("retro")
        self.set_subject(report.period_label)
        # Chinese has no spaces to break at: break anywhere (English keeps word breaks).
        self.wrap = WrapMode.CHAR if report.lang == "zh" else WrapMode.WORD
        self._missing: dict[int, str] = {}
        self._fonts_for(report)

    def _fonts_for(self, report: Report) -> None:
        """Load the rare-hanzi font only for a report that needs it (it costs ~0.5 s to load), and
        map what no font has to a visible box."""
        chars = {ord(ch) for text in report_texts(report) for ch in clean(text)} | {ord(ch) for ch in "0123456789/ ·"}
        rare = {cp for cp in chars - _cmap(str(FONT_REGULAR)) if cp > 0x20}
        if not rare:
            return
        ext = rare & _cmap(str(FONT_EXT))
        if ext:
            self.add_font(f"{FONT}Ext", "", str(FONT_EXT))
            self.set_fallback_fonts([f"{FONT}Ext"], exact_match=False)
        self._missing = dict.fromkeys(rare - ext, MISSING)

    def txt(self, text: object) -> str:
        """Text as it is set: cleaned of control characters, unknown glyphs made visible."""
        return clean(str(text)).translate(self._missing)

    @property
    def content_width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.set_xy(self.l_margin, 8)
        left = self.report.title if not self.report.team else f"{self.report.team} · {self.report.title}"
        self.cell(self.content_width / 2, 5, self.txt(left), align=Align.L)
        self.cell(self.content_width / 2, 5, self.report.generated.isoformat(), align=Align.R)
        self.set_draw_color(*RULE)
        self.line(self.l_margin, 14, self.w - self.r_margin, 14)
        self.set_xy(self.l_margin, self.t_margin)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"{self.page_no()} / {{nb}}", align=Align.C)
        self.set_text_color(0, 0, 0)


def render(report: Report) -> bytes:
    """The report as PDF bytes."""
    pdf = _ReportPDF(report)
    _cover(pdf, report)
    if report.sections:  # every section switched off: the cover alone
        pdf.add_page()
    for i, section in enumerate(report.sections):
        _section(pdf, section, first=i == 0)
    return bytes(pdf.output())


def _cover(pdf: _ReportPDF, report: Report) -> None:
    pdf.add_page()
    pdf.set_fill_color(*ACCENT)
    pdf.rect(0, 0, pdf.w, 12, style="F")
    pdf.set_y(80)
    pdf.set_text_color(*ACCENT)
    pdf.set_font(FONT, "B", 28)
    pdf.multi_cell(0, 13, pdf.txt(report.title), align=Align.L, wrapmode=pdf.wrap,
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.8)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + 40, pdf.get_y())
    pdf.set_line_width(0.2)
    pdf.ln(10)
    lines = []
    if report.team:
        lines.append((t("report.team", report.lang), report.team))
    lines.append((t("report.period", report.lang), report.period_label))
    lines.append((t("report.generated", report.lang), report.generated.isoformat()))
    for label, value in lines:
        pdf.set_font(FONT, "", 11)
        pdf.set_text_color(*MUTED)
        pdf.cell(28, 9, label)
        pdf.set_font(FONT, "B", 13)
        pdf.set_text_color(30, 30, 30)
        pdf.multi_cell(0, 9, pdf.txt(value), wrapmode=pdf.wrap, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    # The agenda on the cover: what the reader will find, in order.
    pdf.ln(14)
    pdf.set_font(FONT, "", 10)
    pdf.set_text_color(*MUTED)
    for n, section in enumerate(report.sections, 1):
        pdf.cell(0, 6.5, f"{n:>2}.  {pdf.txt(section.title)}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)


def _section(pdf: _ReportPDF, section: Section, *, first: bool) -> None:
    if not first:
        if pdf.will_page_break(MIN_SECTION_ROOM):
            pdf.add_page()
        else:
            pdf.ln(6)
    pdf.start_section(pdf.txt(section.title))  # a PDF outline entry (bookmark) per section
    pdf.set_font(FONT, "B", 15)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, 9, pdf.txt(section.title), wrapmode=pdf.wrap, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.4)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.set_line_width(0.2)
    pdf.ln(3)
    pdf.set_text_color(0, 0, 0)
    for block in section.blocks:
        if isinstance(block, Paragraph):
            _paragraph(pdf, block)
        elif isinstance(block, Cards):
            _cards(pdf, block, pdf.report.lang)
        elif isinstance(block, Chart):
            _chart(pdf, block)
        elif isinstance(block, Table):
            # The section heading already names a table that is its section's only subject.
            _table(pdf, block, pdf.report.lang, caption=block.title != section.title)


def _paragraph(pdf: _ReportPDF, block: Paragraph) -> None:
    pdf.set_font(FONT, "", 10.5)
    pdf.multi_cell(0, 6, pdf.txt(block.text), wrapmode=pdf.wrap, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1.5)


CARD_COLUMNS = 4
CARD_GAP = 4.0
CARD_HEIGHT = 31.0


def _cards(pdf: _ReportPDF, block: Cards, lang: str) -> None:
    width = (pdf.content_width - CARD_GAP * (CARD_COLUMNS - 1)) / CARD_COLUMNS
    mom_label, yoy_label = t("report.col.mom", lang), t("report.col.yoy", lang)
    for start in range(0, len(block.cards), CARD_COLUMNS):
        if pdf.will_page_break(CARD_HEIGHT + 2):
            pdf.add_page()
        y = pdf.get_y()
        for i, card in enumerate(block.cards[start:start + CARD_COLUMNS]):
            x = pdf.l_margin + i * (width + CARD_GAP)
            pdf.set_draw_color(*RULE)
            pdf.set_fill_color(250, 251, 252)
            pdf.rect(x, y, width, CARD_HEIGHT, style="DF", round_corners=True, corner_radius=1.5)
            if card.status in STATUS_COLORS:
                pdf.set_fill_color(*STATUS_COLORS[card.status])
                pdf.circle(x + width - 4, y + 4.5, 1.4, style="F")
            pdf.set_xy(x + 2.5, y + 2)
            pdf.set_font(FONT, "", 8)
            pdf.set_text_color(*MUTED)
            pdf.cell(width - 9, 5, _fit(pdf, pdf.txt(card.title), width - 9))
            pdf.set_xy(x + 2.5, y + 7.5)
            pdf.set_text_color(20, 20, 20)
            size = 14.0
            pdf.set_font(FONT, "B", size)
            while size > 8 and pdf.get_string_width(card.value) > width - 5:
                size -= 1
                pdf.set_font(FONT, "B", size)
            pdf.cell(width - 5, 7, pdf.txt(card.value))
            pdf.set_xy(x + 2.5, y + 15.5)
            pdf.set_font(FONT, "", 7.5)
            changes = [(mom_label, card.mom), (yoy_label, card.yoy)]
            for label, value in changes:
                if value is None:
                    continue
                pdf.set_text_color(*MUTED)
                pdf.cell(pdf.get_string_width(label) + 1, 4, label)
                pdf.set_text_color(*_change_color(value, card.tone if label == mom_label else None))
                pdf.cell(pdf.get_string_width(value) + 3, 4, value)
            _spark(pdf, card.spark, x + 2.5, y + 21.5, width - 5, 7)
        pdf.set_text_color(0, 0, 0)
        pdf.set_xy(pdf.l_margin, y + CARD_HEIGHT + CARD_GAP)
    pdf.ln(1)


def _change_color(value: str, tone: str | None) -> tuple[int, int, int]:
    # The card's tone is direction-aware for the month-on-month change; year-on-year has none.
    if tone is not None:
        return TONE_COLORS.get(tone, MUTED)
    return MUTED


def _spark(pdf: _ReportPDF, values: Sequence[float | None], x: float, y: float, w: float, h: float) -> None:
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return
    lo = min(v for _, v in points)
    hi = max(v for _, v in points)
    span = (hi - lo) or 1.0
    step = w / max(len(values) - 1, 1)
    coords = [(x + i * step, y + h - (v - lo) / span * h) for i, v in points]
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.35)
    pdf.polyline(coords)
    last_x, last_y = coords[-1]
    pdf.set_fill_color(*ACCENT)
    pdf.circle(last_x, last_y, 0.7, style="F")
    pdf.set_line_width(0.2)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """The text cut with an ellipsis to fit one line of ``width``."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


CHART_MAX_HEIGHT = 78.0  # mm


def _jpeg(png: bytes) -> bytes:
    """The chart as JPEG: fpdf2 embeds JPEG bytes as they are, while a PNG is decoded and
    deflated again (~0.1 s a chart). Charts are drawn on opaque white (images.prepare_spec), so
    dropping the alpha channel loses nothing."""
    with Image.open(io.BytesIO(png)) as img:
        rgb = img.convert("RGB")
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=88)
    return out.getvalue()


def _chart(pdf: _ReportPDF, block: Chart) -> None:
    png = chart_png(block.spec)
    px_w, px_h = png_size(png)
    width = pdf.content_width
    height = width * px_h / px_w
    if height > CHART_MAX_HEIGHT:  # narrowed to keep three charts to a page
        height = CHART_MAX_HEIGHT
        width = height * px_w / px_h
    if pdf.will_page_break(height + 2):
        pdf.add_page()
    x = pdf.l_margin + (pdf.content_width - width) / 2
    pdf.image(io.BytesIO(_jpeg(png)), x=x, y=pdf.get_y(), w=width, h=height, alt_text=pdf.txt(block.title))
    pdf.set_y(pdf.get_y() + height + 4)


TABLE_FONT = 8.5
NUMERIC = {"int", "number", "pct"}


CELL_PADDING = 3.0  # mm, left + right (the table's padding; fpdf2 adds its cell margin inside)
MIN_TABLE_FONT = 6.0
MAX_TEXT_COLUMN = 70.0  # mm; a longer text wraps inside its column


# What a line may not break inside: a run of Latin letters, digits and their punctuation (a word,
# '85.8%', 'PDCA'); a hanzi stands alone (Chinese breaks between any two).
_WORD = re.compile(r"[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+|[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def words(text: str) -> list[str]:
    """The pieces of ``text`` a wrapped line keeps whole."""
    return _WORD.findall(text)


def _column_layout(pdf: FPDF, block: Table, texts: list[list[str]], total: float) -> tuple[list[float], float]:
    """Column widths (mm) and font size for a table to fill the page width.

    Numbers never wrap: their column is as wide as the widest. A text column asks for its 90th
    percentile cell (one very long cell wraps rather than widening the column) and a header may
    take two lines, but never breaks inside a word ('Deviati / on %'): every column is at least as
    wide as its header's longest word. When the columns ask for more than the page, the font
    shrinks (down to 6 pt) before text columns are squeezed, down to those minimums; spare width
    goes to the text columns.
    """
    pdf.set_font(FONT, "", TABLE_FONT)
    extra = CELL_PADDING + 2 * pdf.c_margin + 0.3
    needs, floors, is_text = [], [], []
    for j, header in enumerate(block.columns):
        cells = sorted(
            max((pdf.get_string_width(line) for line in row[j].split("\n")), default=0.0) for row in texts
        )
        pdf.set_font(FONT, "B", TABLE_FONT)
        head = pdf.get_string_width(header)
        word = max((pdf.get_string_width(w) for w in words(header)), default=0.0)
        pdf.set_font(FONT, "", TABLE_FONT)
        head_need = max(min(head, max(head / 2, 10.0)), word)
        if block.formats[j] in NUMERIC or block.formats[j] == "date":
            need = max(cells[-1] if cells else 0.0, head_need)
            is_text.append(False)
        else:
            typical = cells[int(len(cells) * 0.9)] if cells else 0.0
            need = max(min(max(typical, head_need), MAX_TEXT_COLUMN), word)
            is_text.append(True)
        needs.append(need + extra)
        floors.append(word + extra)
    asked = sum(needs)
    size = TABLE_FONT
    if asked > total:
        size = max(MIN_TABLE_FONT, TABLE_FONT * total / asked)
        needs = [n * size / TABLE_FONT for n in needs]
        floors = [f * size / TABLE_FONT for f in floors]
        asked = sum(needs)
    if asked > total:  # still too wide at the smallest font: squeeze the text columns, not below a header word
        return _squeeze(needs, floors, is_text, total), size
    spare = total - asked
    grow = sum(n for n, text in zip(needs, is_text, strict=True) if text) or asked
    return [n + spare * n / grow if (t or grow == asked) else n for n, t in zip(needs, is_text, strict=True)], size


def _squeeze(needs: list[float], floors: list[float], is_text: list[bool], total: float) -> list[float]:
    """Widths summing to ``total``: what is over goes off the text columns in proportion to their
    room above their floor; only when that is not enough does every column shrink alike."""
    over = sum(needs) - total
    room = [n - f if text else 0.0 for n, f, text in zip(needs, floors, is_text, strict=True)]
    if sum(room) >= over:
        return [n - over * r / sum(room) for n, r in zip(needs, room, strict=True)]
    widths = [n - r for n, r in zip(needs, room, strict=True)]
    return [w * total / sum(widths) for w in widths]


def _table(pdf: _ReportPDF, block: Table, lang: str, *, caption: bool) -> None:
    units = block.units or (None,) * len(block.columns)
    texts = [
        [pdf.txt(cell_text(value, block.formats[j], units[j] if j < len(units) else None, lang))
         for j, value in enumerate(row)]
        for row in block.rows
    ]
    if caption:
        if pdf.will_page_break(20):
            pdf.add_page()
        pdf.set_font(FONT, "B", 11)
        pdf.set_text_color(*ACCENT)
        pdf.multi_cell(0, 7, pdf.txt(block.title), wrapmode=pdf.wrap, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
    if pdf.will_page_break(18):  # never a header row alone at the foot of a page
        pdf.add_page()
    widths, size = _column_layout(pdf, block, texts, pdf.content_width)
    align = tuple("RIGHT" if f in NUMERIC else "LEFT" for f in block.formats)
    pdf.set_font(FONT, "", size)
    pdf.set_draw_color(*RULE)
    # fpdf2 takes the table's base style from the current state: odd rows get this fill.
    pdf.set_fill_color(255, 255, 255)
    heading = FontFace(family=FONT, emphasis="BOLD", color=(255, 255, 255), fill_color=ACCENT, size_pt=size)
    with pdf.table(
        col_widths=widths,
        width=pdf.content_width,
        text_align=align,
        line_height=size * 0.54,
        padding=(1.2, 1.5),
        headings_style=heading,
        repeat_headings=1,
        cell_fill_color=ZEBRA,
        cell_fill_mode=TableCellFillMode.EVEN_ROWS,
        wrapmode=pdf.wrap,
        borders_layout="SINGLE_TOP_LINE" if block.rows else "NONE",
        v_align="MIDDLE",
    ) as table:
        head = table.row()
        for header in block.columns:
            head.cell(pdf.txt(header))
        for row in texts:
            line = table.row()
            for text in row:
                line.cell(text)
    pdf.ln(4)
