"""The slide deck (retro/report/pptx.py), opened with python-pptx as PowerPoint would read it."""

from __future__ import annotations

import io

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
