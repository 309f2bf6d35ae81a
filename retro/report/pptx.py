"""The report as a slide deck (python-pptx): a title slide, then the agenda in order.

Slides follow the meeting's agenda as the report's sections do: data (summary, KPI cards,
trends), attainment (scorecard, outcome review), problems, measures, next steps (follow-up,
strategy plan). Text, cards and tables are real text boxes and tables a lead can edit before the
meeting; only the charts are pictures. A table longer than a slide continues on the next one
with its header row repeated.
"""

from __future__ import annotations

import io
import math

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from retro.i18n import t
from retro.report.images import chart_png, png_size
from retro.report.model import Cards, Chart, Paragraph, Report, Section, Table, cell_text
from retro.report.pdf import clean, display_width, words

# Named, not embedded: PowerPoint and LibreOffice substitute what the viewer has.
EA_FONT = "Microsoft YaHei"
ACCENT = RGBColor(0x1F, 0x4E, 0x79)
MUTED = RGBColor(0x6E, 0x76, 0x81)
DARK = RGBColor(0x1F, 0x23, 0x28)
TONE = {"good": RGBColor(0x1A, 0x7F, 0x37), "bad": RGBColor(0xCF, 0x22, 0x2E), "flat": MUTED}
STATUS = {"green": RGBColor(0x2D, 0xA4, 0x4E), "amber": RGBColor(0xD4, 0xA7, 0x2C), "red": RGBColor(0xCF, 0x22, 0x2E)}

SLIDE_W, SLIDE_H = Inches(13.333), Inches(7.5)
LEFT = Inches(0.6)
TOP = Inches(1.35)  # below the title
WIDTH = SLIDE_W - 2 * LEFT
BOTTOM = SLIDE_H - Inches(0.45)
LAYOUT_TITLE, LAYOUT_TITLE_ONLY = 0, 5

TABLE_PT = 12
# Lines of table text a slide holds below its title (header row included).
TABLE_LINES = 14
CHART_COLUMNS, CHART_ROWS = 2, 2
CARD_COLUMNS = 4


def render(report: Report) -> bytes:
    """The report as .pptx bytes."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_W, SLIDE_H
    prs.core_properties.title = report.title
    prs.core_properties.subject = report.period_label
    _title_slide(prs, report)
    empty = [s for s in report.sections if s.empty]
    for section in report.sections:
        if not section.empty:
            _section(prs, section, report.lang)
        elif section is empty[0]:  # the sections with nothing this period: one slide says so for all
            _none_slide(prs, empty, report.lang)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def _font(run_font, size: float | None = None, *, bold: bool = False, color: RGBColor | None = None) -> None:
    if size is not None:
        run_font.size = Pt(size)
    run_font.bold = bold
    if color is not None:
        run_font.color.rgb = color
    # python-pptx sets only the Latin typeface; Chinese text takes the East Asian one.
    rpr = run_font._rPr
    ea = rpr.find(qn("a:ea"))
    if ea is None:
        ea = rpr.makeelement(qn("a:ea"), {})
        # Schema order: ln, fills, effects, highlight, uLnTx…, latin, ea, cs, sym, hlinkClick…
        latin = rpr.find(qn("a:latin"))
        if latin is not None:
            latin.addnext(ea)
        else:
            rpr.append(ea)
    ea.set("typeface", EA_FONT)


def _set_text(frame, lines: list[tuple[str, float, bool, RGBColor | None]], *, align=None) -> None:
    """Fill a text frame: one paragraph per (text, size, bold, color)."""
    frame.word_wrap = True
    for i, (text, size, bold, color) in enumerate(lines):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        if align is not None:
            para.alignment = align
        run = para.add_run()
        run.text = clean(text)
        _font(run.font, size, bold=bold, color=color)


def _title_slide(prs: Presentation, report: Report) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[LAYOUT_TITLE])
    band = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, SLIDE_W, Inches(0.35))
    band.fill.solid()
    band.fill.fore_color.rgb = ACCENT
    band.line.fill.background()
    # The layout places its placeholders for a 4:3 slide: put them on this 16:9 one.
    title = slide.shapes.title
    title.left, title.top, title.width, title.height = Inches(1.0), Inches(2.2), SLIDE_W - Inches(2.0), Inches(1.4)
    title.text_frame.text = clean(report.title)
    title.text_frame.vertical_anchor = MSO_ANCHOR.BOTTOM
    for para in title.text_frame.paragraphs:
        para.alignment = PP_ALIGN.LEFT
        for run in para.runs:
            _font(run.font, 40, bold=True, color=ACCENT)
    rule = slide.shapes.add_connector(1, Inches(1.0), Inches(3.75), Inches(3.5), Inches(3.75))
    rule.line.color.rgb = ACCENT
    rule.line.width = Pt(3)
    lines = []
    if report.team:
        lines.append(f"{t('report.team', report.lang)}：{report.team}" if report.lang == "zh"
                     else f"{t('report.team', report.lang)}: {report.team}")
    sep = "：" if report.lang == "zh" else ": "
    lines.append(f"{t('report.period', report.lang)}{sep}{report.period_label}")
    lines.append(f"{t('report.generated', report.lang)}{sep}{report.generated.isoformat()}")
    placeholder = slide.placeholders[1]
    placeholder.left, placeholder.top = Inches(1.0), Inches(4.0)
    placeholder.width, placeholder.height = SLIDE_W - Inches(2.0), Inches(1.8)
    sub = placeholder.text_frame
    sub.clear()
    _set_text(sub, [(line, 20, False, MUTED) for line in lines], align=PP_ALIGN.LEFT)


def _slide(prs: Presentation, title: str):
    slide = prs.slides.add_slide(prs.slide_layouts[LAYOUT_TITLE_ONLY])
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = LEFT, Inches(0.35), WIDTH, Inches(0.85)
    frame = shape.text_frame
    frame.text = clean(title)
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    for para in frame.paragraphs:
        para.alignment = PP_ALIGN.LEFT
        for run in para.runs:
            _font(run.font, 28, bold=True, color=ACCENT)
    line = slide.shapes.add_connector(1, LEFT, Inches(1.2), LEFT + WIDTH, Inches(1.2))
    line.line.color.rgb = ACCENT
    line.line.width = Pt(1.5)
    return slide


class _Deck:
    """Places a section's blocks on slides, opening a continuation slide when one is full."""

    def __init__(self, prs: Presentation, section: Section, lang: str) -> None:
        self.prs, self.section, self.lang = prs, section, lang
        self.slide = None
        self.y = TOP
        self.count = 0

    def new_slide(self) -> None:
        self.count += 1
        title = self.section.title if self.count == 1 else f"{self.section.title} ({self.count})"
        self.slide = _slide(self.prs, title)
        self.y = TOP

    def room(self, height: int) -> None:
        """A fresh slide unless ``height`` still fits on this one (an empty slide always takes it)."""
        if self.slide is None or (self.y > TOP and self.y + height > BOTTOM):
            self.new_slide()


def _section(prs: Presentation, section: Section, lang: str) -> None:
    deck = _Deck(prs, section, lang)
    charts_on_slide = 0
    chart_top = TOP
    for block in section.blocks:
        if isinstance(block, Paragraph):
            _paragraph(deck, block)
        elif isinstance(block, Cards):
            _cards(deck, block)
        elif isinstance(block, Chart):
            if deck.slide is None or charts_on_slide == CHART_COLUMNS * CHART_ROWS:
                if deck.slide is None or charts_on_slide:
                    deck.new_slide()
                charts_on_slide = 0
                chart_top = deck.y
            _chart(deck, block, charts_on_slide, chart_top)
            charts_on_slide += 1
        elif isinstance(block, Table):
            _table(deck, block, caption=block.title != section.title)
    if deck.slide is None:  # a section with nothing in it still has its slide in the agenda
        deck.new_slide()


def _none_slide(prs: Presentation, sections: list[Section], lang: str) -> None:
    """One slide for every section with nothing this period, each named with its line, instead of a
    slide each that would hold a bare sentence (or a table's header and nothing under it)."""
    slide = _slide(prs, t("report.none.slide", lang))
    box = slide.shapes.add_textbox(LEFT, TOP, WIDTH, BOTTOM - TOP)
    frame = box.text_frame
    frame.word_wrap = True
    for i, section in enumerate(sections):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.space_after = Pt(10)
        head = para.add_run()
        head.text = clean(section.title) + ("：" if lang == "zh" else ": ")
        _font(head.font, 18, bold=True, color=ACCENT)
        for block in section.blocks:
            run = para.add_run()
            run.text = clean(block.text)
            _font(run.font, 18, color=DARK)


def _paragraph(deck: _Deck, block: Paragraph) -> None:
    text = clean(block.text)
    width_chars = WIDTH / Pt(16) * 2  # half-width units per line at 16 pt
    lines = sum(max(1, math.ceil(display_width(line) / width_chars)) for line in text.split("\n"))
    height = Pt(16 * 1.5 * lines + 10)
    deck.room(height)
    box = deck.slide.shapes.add_textbox(LEFT, deck.y, WIDTH, height)
    _set_text(box.text_frame, [(line, 16, False, DARK) for line in text.split("\n")])
    deck.y += height + Inches(0.05)


def _cards(deck: _Deck, block: Cards) -> None:
    gap = Inches(0.2)
    width = int((WIDTH - gap * (CARD_COLUMNS - 1)) / CARD_COLUMNS)
    height = Inches(1.45)
    mom, yoy = t("report.col.mom", deck.lang), t("report.col.yoy", deck.lang)
    for start in range(0, len(block.cards), CARD_COLUMNS):
        deck.room(height)
        for i, card in enumerate(block.cards[start:start + CARD_COLUMNS]):
            x = LEFT + i * (width + gap)
            box = deck.slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, x, deck.y, width, height)
            box.adjustments[0] = 0.08
            box.fill.solid()
            box.fill.fore_color.rgb = RGBColor(0xF7, 0xF8, 0xFA)
            box.line.color.rgb = STATUS.get(card.status, RGBColor(0xD0, 0xD7, 0xDE))
            box.line.width = Pt(2.25 if card.status in STATUS else 1)
            box.shadow.inherit = False
            frame = box.text_frame
            frame.margin_left = frame.margin_right = Inches(0.15)
            frame.vertical_anchor = MSO_ANCHOR.TOP
            changes = "   ".join(f"{label} {value}" for label, value in ((mom, card.mom), (yoy, card.yoy)) if value)
            inner = width - frame.margin_left - frame.margin_right
            # Each line kept to one line: a value that wrapped ('5,017.42 / CNY') ran out of its card.
            _set_text(frame, [
                (card.title, _fit_size(card.title, inner, 13, 9), False, MUTED),
                (card.value, _fit_size(card.value, inner, 24, 12, bold=True), True, DARK),
                (changes, _fit_size(changes, inner, 12, 8), False, TONE.get(card.tone, MUTED) if card.mom else MUTED),
            ], align=PP_ALIGN.LEFT)
        deck.y += height + gap


def _chart(deck: _Deck, block: Chart, index: int, top: int) -> None:
    """The ``index``-th chart of a slide whose chart grid starts at ``top``."""
    png = chart_png(block.spec)
    px_w, px_h = png_size(png)
    gap = Inches(0.2)
    cell_w = (WIDTH - gap * (CHART_COLUMNS - 1)) // CHART_COLUMNS
    cell_h = (BOTTOM - top - gap * (CHART_ROWS - 1)) // CHART_ROWS
    height = cell_h
    width = int(height * px_w / px_h)
    if width > cell_w:
        width = cell_w
        height = int(width * px_h / px_w)
    col, row = index % CHART_COLUMNS, index // CHART_COLUMNS
    x = LEFT + col * (cell_w + gap) + (cell_w - width) // 2
    y = top + row * (cell_h + gap)
    pic = deck.slide.shapes.add_picture(io.BytesIO(png), x, y, width, height)
    pic.name = clean(block.title)
    # Alt text for screen readers and for search in the deck.
    pic._element.nvPicPr.cNvPr.set("descr", clean(block.title))
    deck.y = max(deck.y, y + height + gap)


CELL_PAD = Inches(0.2)  # the cell's left + right margins, with a little slack
MIN_TABLE_PT = 9


def _per_char(size: float) -> float:
    return Pt(size) / 2  # a half-width unit (half an em) at that size, in EMU


def _units(text: str) -> float:
    """Width in half-em units as a viewer's font sets it: a hanzi is one em, while Latin letters
    and digits run wider than half an em in the usual substitutes (DejaVu Sans digits: 0.64 em)."""
    return display_width(text) + 0.3 * sum(1 for ch in text if ord(ch) < 0x2E80)


def _fit_size(text: str, width: int, size: float, smallest: float, *, bold: bool = False) -> float:
    """The largest font size up to ``size`` (not below ``smallest``) at which ``text`` takes one line
    of ``width`` EMU, as _units measures it (bold runs ~10% wider)."""
    need = _units(clean(text)) * (1.1 if bold else 1.0) * _per_char(1.0)
    if need <= 0:
        return size
    return max(smallest, min(size, math.floor(width / need * 2) / 2))


def _row_lines(texts: list[str], widths: list[int], size: float = TABLE_PT) -> int:
    per_char = _per_char(size)
    lines = 1
    for text, width in zip(texts, widths, strict=True):
        usable = max(width - CELL_PAD, per_char)
        for line in text.split("\n") or [""]:
            lines = max(lines, math.ceil(_units(line) * per_char / usable) or 1)
    return lines


def _table(deck: _Deck, block: Table, *, caption: bool) -> None:
    units = block.units or (None,) * len(block.columns)
    texts = [
        [clean(cell_text(v, block.formats[j], units[j] if j < len(units) else None, deck.lang)) for j, v in enumerate(row)]
        for row in block.rows
    ]
    widths, size = _column_layout(block, texts)
    header_lines = _row_lines([clean(h) for h in block.columns], widths, size)
    # Split the rows into chunks that fit a slide, the header row repeated on each.
    chunks: list[list[list[str]]] = [[]]
    used = header_lines
    budget = TABLE_LINES - _lines_used(deck)
    for row in texts:
        need = _row_lines(row, widths, size)
        if chunks[-1] and used + need > budget:
            chunks.append([])
            used = header_lines
            budget = TABLE_LINES
        chunks[-1].append(row)
        used += need
    for n, chunk in enumerate(chunks):
        if n > 0:
            deck.new_slide()
        if caption and n == 0:
            deck.room(Inches(1.2))
            box = deck.slide.shapes.add_textbox(LEFT, deck.y, WIDTH, Inches(0.45))
            _set_text(box.text_frame, [(block.title, 16, True, ACCENT)])
            deck.y += Inches(0.5)
        deck.room(Inches(0.8))
        rows = len(chunk) + 1
        row_h = Pt(size * 1.25 + 10)
        shape = deck.slide.shapes.add_table(rows, len(block.columns), LEFT, deck.y, WIDTH, row_h * rows)
        table = shape.table
        for j, width in enumerate(widths):
            table.columns[j].width = Emu(width)
        for i in range(rows):
            table.rows[i].height = row_h
        for j, header in enumerate(block.columns):
            _cell(table.cell(0, j), header, size, bold=True, align=_align(block.formats[j]))
        for i, row in enumerate(chunk, 1):
            for j, text in enumerate(row):
                _cell(table.cell(i, j), text, size, align=_align(block.formats[j]))
        lines = header_lines + sum(_row_lines(r, widths, size) for r in chunk)
        deck.y += Pt(size * 1.25 * lines + 10 * rows) + Inches(0.2)


def _column_layout(block: Table, texts: list[list[str]]) -> tuple[list[int], float]:
    """Column widths (EMU) and font size: numbers and dates never wrap (their column is as wide
    as the widest); spare width goes to every column in proportion; a table too wide for the
    slide gets a smaller font (down to 9 pt) first, then its text columns wrap. No column is
    narrower than its header's longest word: a header wraps between words, never inside one
    ('Attainme / nt')."""
    fixed = [block.formats[j] in ("int", "number", "pct", "date") for j in range(len(block.columns))]
    units, floors = [], []
    for j, header in enumerate(block.columns):
        longest = max((_units(line) for r in texts for line in r[j].split("\n")), default=0)
        head = _units(header)
        # Bold runs ~10% wider than the regular text _units measures.
        word = max((_units(w) for w in words(header)), default=0) * 1.1
        # A header of up to four hanzi stays on one line; a longer one may take two.
        head_need = max(head if head <= 8 else max(8, head / 2), word)
        units.append(max(longest, head_need, 4) if fixed[j] else max(min(max(head, longest, 6), 40), word))
        floors.append(word)
    pads = CELL_PAD * len(units)
    natural = sum(units) * _per_char(TABLE_PT) + pads
    size = float(TABLE_PT)
    if natural > WIDTH:
        size = max(MIN_TABLE_PT, TABLE_PT * (WIDTH - pads) / (natural - pads))
    need = [u * _per_char(size) + CELL_PAD for u in units]
    floor = [f * _per_char(size) + CELL_PAD for f in floors]
    if sum(need) <= WIDTH:  # room to spare: every column grows in proportion
        return [int(WIDTH * n / sum(need)) for n in need], size
    # Too wide: the text columns give up what is over, in proportion to their room above a header word.
    over = sum(need) - WIDTH
    room = [0.0 if f else max(n - lo, 0.0) for n, lo, f in zip(need, floor, fixed, strict=True)]
    if sum(room) >= over:
        return [int(n - over * r / sum(room)) for n, r in zip(need, room, strict=True)], size
    widths = [n - r for n, r in zip(need, room, strict=True)]
    return [int(WIDTH * w / sum(widths)) for w in widths], size


def _lines_used(deck: _Deck) -> int:
    """Table lines already taken on the current slide by what is above."""
    if deck.slide is None:
        return 0
    return int((deck.y - TOP) / Pt(TABLE_PT * 1.25 + 10))


def _align(fmt: str | None):
    return PP_ALIGN.RIGHT if fmt in ("int", "number", "pct") else PP_ALIGN.LEFT


def _cell(cell, text: str, size: float = TABLE_PT, *, bold: bool = False, align=PP_ALIGN.LEFT) -> None:
    cell.margin_left = cell.margin_right = Inches(0.08)
    cell.margin_top = cell.margin_bottom = Inches(0.04)
    cell.vertical_anchor = MSO_ANCHOR.MIDDLE
    frame = cell.text_frame
    frame.word_wrap = True
    para = frame.paragraphs[0]
    para.alignment = align
    run = para.add_run()
    run.text = clean(text)
    _font(run.font, size, bold=bold)
