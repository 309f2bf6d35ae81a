"""The slide deck (retro/report/pptx.py), opened with python-pptx as PowerPoint would read it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn
from test_report_pdf import LONG_ROWS, hand_made_report

from retro.report import pptx as report_pptx
from retro.report.model import Cards, Chart, Table, build_report, cell_text


def slide_texts(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if shape.has_table:
            parts.extend(cell.text for row in shape.table.rows for cell in row.cells)
    return "\n".join(parts)


def tables(slide) -> list:
    return [shape.table for shape in slide.shapes if shape.has_table]


def table_rows(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


@pytest.fixture(scope="module")
def hand():
    report = hand_made_report()
    return report, Presentation(io.BytesIO(report_pptx.render(report)))


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from retro.bootstrap import load_sample
    from retro.db import Database

    db = Database(tmp_path_factory.mktemp("sample") / "sample.duckdb")
    try:
        load_sample(db)
        report = build_report(db, "2026-10", lang="en")
    finally:
        db.close()
    return report, Presentation(io.BytesIO(report_pptx.render(report)))


def test_title_slide_then_one_slide_per_section_in_agenda_order(hand):
    report, prs = hand
    slides = list(prs.slides)
    assert slides[0].shapes.title.text == report.title
    cover = slide_texts(slides[0])
    assert report.team in cover and report.period_label in cover and report.generated.isoformat() in cover
    titles = [s.shapes.title.text for s in slides[1:]]
    firsts = [t for t in titles if not t.endswith(")")]
    assert firsts == [s.title for s in report.sections]
    assert prs.slide_width > prs.slide_height  # 16:9


def test_text_is_editable_not_pictures(hand):
    report, prs = hand
    kpi_slide = next(s for s in prs.slides if s.shapes.title.text == "核心指标")
    text = slide_texts(kpi_slide)
    for card in report.sections[1].blocks[0].cards:
        assert card.title in text and card.value in text
    assert not any(sh.shape_type == MSO_SHAPE_TYPE.PICTURE for sh in kpi_slide.shapes)
    summary = slide_texts(next(s for s in prs.slides if s.shapes.title.text == "总结与展望"))
    assert "本月销售额 666.35 万元，环比增长 1.8%。" in summary
    assert "\x07" not in summary


def test_chinese_runs_name_an_east_asian_font(hand):
    _, prs = hand
    runs = [r for s in prs.slides for sh in s.shapes if sh.has_text_frame
            for p in sh.text_frame.paragraphs for r in p.runs if r.text]
    assert runs
    for run in runs:
        ea = run.font._rPr.find(qn("a:ea"))
        assert ea is not None and ea.get("typeface") == report_pptx.EA_FONT


def test_scorecard_is_a_native_table_with_the_values(hand):
    report, prs = hand
    scorecard = report.sections[3].blocks[1]
    slide = next(s for s in prs.slides if s.shapes.title.text == "目标达成")
    (table,) = tables(slide)
    rows = table_rows(table)
    assert tuple(rows[0]) == scorecard.columns
    expected = [[cell_text(v, f, None, "zh") for v, f in zip(row, scorecard.formats, strict=True)]
                for row in scorecard.rows]
    assert rows[1:] == expected


def test_long_table_continues_on_further_slides_with_its_header(hand):
    report, prs = hand
    measures = report.sections[4].blocks[0]
    slides = [s for s in prs.slides if s.shapes.title.text.startswith("改进措施")]
    assert len(slides) >= 2
    seen = []
    for slide in slides:
        (table,) = tables(slide)
        rows = table_rows(table)
        assert tuple(rows[0]) == measures.columns
        seen.extend(r[0] for r in rows[1:])
    assert seen == [row[0] for row in measures.rows]
    assert len(seen) == LONG_ROWS


def test_charts_are_pictures(hand):
    report, prs = hand
    charts = [b for s in report.sections for b in s.blocks if isinstance(b, Chart)]
    pictures = [sh for s in prs.slides for sh in s.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == len(charts)
    assert pictures[0].image.content_type == "image/png"
    assert pictures[0]._element.nvPicPr.cNvPr.get("descr") == charts[0].title


def test_sample_deck_in_english(sample):
    report, prs = sample
    slides = list(prs.slides)
    assert slides[0].shapes.title.text == report.title
    titles = [s.shapes.title.text for s in slides[1:]]
    for section in report.sections:
        if section.empty:  # nothing this period: named on the one slide that says so, not a slide of its own
            assert section.title not in titles
            assert section.title in slide_texts(slides[1:][titles.index("Nothing logged this period")])
        else:
            assert section.title in titles
    charts = [b for s in report.sections for b in s.blocks if isinstance(b, Chart)]
    pictures = [sh for s in slides for sh in s.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == len(charts) > 0
    scorecard = next(b for s in report.sections for b in s.blocks if isinstance(b, Table) and b.key == "scorecard")
    deck_cells = {c for s in slides for t in tables(s) for row in table_rows(t) for c in row}
    for row in scorecard.rows:
        for value, fmt in zip(row, scorecard.formats, strict=True):
            assert cell_text(value, fmt, None, "en") in deck_cells
    cards = next(b for s in report.sections for b in s.blocks if isinstance(b, Cards))
    kpi_text = "\n".join(slide_texts(s) for s in slides)
    assert all(card.value in kpi_text for card in cards.cards)


# --------------------------------------------------------------------------- issue 17: what a slide shows

BOLD = Path(report_pptx.__file__).parent / "fonts" / "RetroSansSC-Bold.ttf"
# The sans a viewer without the deck's fonts falls back to (LibreOffice on Debian): wider than most.
DEJAVU_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def text_width(text: str, font: Path, size_pt: float) -> int:
    """EMU the text takes on one line in ``font`` at ``size_pt``."""
    from PIL import ImageFont

    return int(ImageFont.truetype(str(font), 1000).getlength(text) / 1000 * size_pt * 12700)


@pytest.fixture(scope="module")
def causes_deck(tmp_path_factory):
    from test_report_model import PERIOD, make_causes

    from retro.db import close_all

    db = make_causes(tmp_path_factory.mktemp("causes") / "causes.duckdb")
    try:
        report = build_report(db, PERIOD, lang="en")
    finally:
        db.close()
        close_all()
    return report, Presentation(io.BytesIO(report_pptx.render(report)))


def test_empty_sections_share_one_slide_and_no_table_is_a_bare_header(causes_deck):
    """No strategy task this period: its two tables get no slide each (a header bar and nothing under
    it) but one line each on the one slide that names what is empty; every table has rows."""
    report, prs = causes_deck
    slides = list(prs.slides)[1:]
    titles = [s.shapes.title.text for s in slides]
    empty = [s for s in report.sections if s.empty]
    assert [s.key for s in empty] == ["strategy_plan", "progress"]
    assert titles.count("Nothing logged this period") == 1
    text = slide_texts(slides[titles.index("Nothing logged this period")])
    for section in empty:
        assert section.title not in titles and section.title in text
        assert section.blocks[0].text in text
    for slide in slides:
        for table in tables(slide):
            assert len(table.rows) > 1, slide.shapes.title.text
    full = [s for s in report.sections if not s.empty]
    assert len([t for t in titles if not t.endswith(")")]) == len(full) + 1


@pytest.fixture(scope="module")
def review_deck(tmp_path_factory):
    """The English deck of the sample with a review logged (every template table has rows)."""
    from test_report_model import PERIOD, make_sample

    from retro.db import close_all

    db = make_sample(tmp_path_factory.mktemp("review") / "sample.duckdb")
    try:
        report = build_report(db, PERIOD, lang="en")
    finally:
        db.close()
        close_all()
    return report, Presentation(io.BytesIO(report_pptx.render(report)))


def test_table_headers_are_never_narrower_than_their_longest_word(review_deck):
    """'Attainment' wrapped as 'Attainme / nt' (LibreOffice, which sets Latin text in DejaVu Sans when the
    deck's fonts are missing): each header column holds its longest word on one line, in the report's
    own bold font and in that wider fallback."""
    _, prs = review_deck
    checked = 0
    for slide in prs.slides:
        for table in tables(slide):
            for j, cell in enumerate(table.rows[0].cells):
                run = cell.text_frame.paragraphs[0].runs[0]
                room = table.columns[j].width - cell.margin_left - cell.margin_right
                for font in (BOLD, DEJAVU_BOLD):
                    longest = max(text_width(w, font, run.font.size.pt) for w in run.text.split())
                    assert longest <= room, (slide.shapes.title.text, run.text, font.name)
                checked += 1
    assert checked > 50


def test_a_card_value_stays_on_one_line_of_its_card():
    """'5,017.42 CNY' at 24 pt wrapped inside its card and ran out of it: the value is set at a size
    at which it takes one line, measured in the wide fallback sans a viewer may use."""
    from test_report_pdf import hand_made_report

    from retro.report.model import Card, Section

    report = hand_made_report()
    cards = Cards(cards=tuple(Card(f"KPI {i}", value, "+1.0%", "-2.0%", "good", None, ())
                              for i, value in enumerate(("5,017.42 CNY", "60,113,800 CNY", "1,234,567.89万元", "88.3%"))))
    report = type(report)(**{**report.__dict__, "sections": (Section("kpis", "Key metrics", (cards,)),)})
    prs = Presentation(io.BytesIO(report_pptx.render(report)))
    boxes = [sh for sh in list(prs.slides)[1].shapes if sh.has_text_frame and len(sh.text_frame.paragraphs) == 3]
    assert len(boxes) == 4
    for box in boxes:
        frame = box.text_frame
        # A rounded rectangle sets its text inside the corner: inset 0.29 × the corner's radius each side.
        inset = 2 * int(min(box.width, box.height) * box.adjustments[0] * 0.29289)
        room = box.width - frame.margin_left - frame.margin_right - inset
        value = frame.paragraphs[1].runs[0]
        assert text_width(value.text, DEJAVU_BOLD, value.font.size.pt) <= room, value.text
        assert value.font.size.pt >= 12
