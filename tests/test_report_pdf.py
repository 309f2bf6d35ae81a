"""The PDF report (retro/report/pdf.py), opened with pypdf and pdfium as a reader would."""

from __future__ import annotations

import datetime as dt
import io
import re

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from retro.report import pdf as report_pdf
from retro.report.model import (
    Card,
    Cards,
    Chart,
    Paragraph,
    Report,
    Section,
    Table,
    build_report,
    cell_text,
)

LONG_ROWS = 60
WIDE_COLUMNS = 14
CHART_SPEC = {
    "$schema": "https://vega.github.io/schema/vega-lite/v6.4.1.json",
    "title": "新增客户趋势",
    "width": 640,
    "height": 200,
    "data": {"values": [{"月份": f"2026-{m:02d}", "客户": 300 + 7 * m} for m in range(1, 11)]},
    "mark": "line",
    "encoding": {"x": {"field": "月份", "type": "ordinal"}, "y": {"field": "客户", "type": "quantitative"}},
}


def hand_made_report() -> Report:
    """Every block kind, with the awkward cases: long and wide tables, long text, rare glyphs."""
    scorecard = Table(
        key="scorecard", title="目标达成", columns=("指标", "单位", "计划值", "实际值", "达成率", "状态"),
        rows=(("销售额", "万元", 697.0, 666.35, 0.956, "预警"), ("新增客户", "家", 336.0, 326.0, 0.9702, "预警")),
        formats=(None, None, "number", "number", "pct", None),
    )
    measures = Table(
        key="measures", title="改进措施", columns=("措施", "负责人", "截止日期", "验收标准"),
        rows=tuple(
            (f"措施{i:02d}：优化渠道投放结构" + "，并复盘每周转化" * (i % 4), f"张喆{i}",
             dt.date(2026, 11, 1 + i % 28), "转化率回到 3% 以上")
            for i in range(LONG_ROWS)
        ),
        formats=(None, None, "date", None),
    )
    wide = Table(
        key="data", title="数据明细", columns=tuple(f"第{j}列指标名称" for j in range(WIDE_COLUMNS)),
        rows=tuple(tuple(1000.5 * (i + j) for j in range(WIDE_COLUMNS)) for i in range(3)),
        formats=("number",) * WIDE_COLUMNS,
    )
    cards = Cards(cards=(
        Card("销售额", "666.35万元", "+1.8%", "+7.8%", "good", "amber", (600.0, None, 640.0, 666.35)),
        Card("获客成本", "5,017.42元", "+3.1%", None, "bad", "red", ()),
    ))
    sections = (
        Section("summary", "总结与展望", (
            Paragraph("本月销售额 666.35 万元，环比增长 1.8%。\n" + "渠道结构调整带来的效果需要持续观察，" * 30),
            Paragraph("负责人：李堃\x07（华东大区）😀"),
        )),
        Section("kpis", "核心指标", (cards,)),
        Section("trends", "趋势", (Chart("trend_1", "新增客户趋势", "line", CHART_SPEC, scorecard),)),
        Section("scorecard", "目标达成", (Paragraph("综合得分：96.3%"), scorecard)),
        Section("measures", "改进措施", (measures,)),
        Section("data", "数据明细", (wide,)),
    )
    return Report(title="运营月报 2026-10", team="华东大区", period_label="2026-10", lang="zh",
                  generated=dt.date(2026, 11, 3), sections=sections, filename_stem="华东大区_运营月报_2026-10")


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(scope="module")
def hand() -> tuple[Report, bytes, list[str]]:
    report = hand_made_report()
    data = report_pdf.render(report)
    return report, data, page_texts(data)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Report, bytes, list[str]]:
    from retro.bootstrap import load_sample
    from retro.db import Database

    db = Database(tmp_path_factory.mktemp("sample") / "sample.duckdb")
    try:
        load_sample(db)
        report = build_report(db, "2026-10", lang="zh")
    finally:
        db.close()
    data = report_pdf.render(report)
    return report, data, page_texts(data)


def test_is_an_a4_pdf_with_a_cover_and_numbered_pages(hand):
    report, data, texts = hand
    reader = PdfReader(io.BytesIO(data))
    assert data.startswith(b"%PDF-")
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)
    assert reader.metadata.title == report.title
    cover = texts[0]
    for expected in (report.title, report.team, report.period_label, report.generated.isoformat()):
        assert expected in cover
    total = len(texts)
    assert total >= 4
    for n, text in enumerate(texts, 1):
        assert re.search(rf"(^|\s){n} / {total}(\s|$)", text), f"page {n} has no page number"


def test_chinese_text_is_extractable(hand):
    report, _, texts = hand
    whole = "\n".join(texts)
    for section in report.sections:
        assert section.title in whole
    assert "本月销售额 666.35 万元，环比增长 1.8%。" in whole
    assert "华东大区" in whole


def test_cards_and_scorecard_values_are_in_the_text(hand):
    report, _, texts = hand
    whole = "\n".join(texts)
    for card in report.sections[1].blocks[0].cards:
        assert card.title in whole and card.value in whole
    scorecard = report.sections[3].blocks[1]
    for row in scorecard.rows:
        for value, fmt in zip(row, scorecard.formats, strict=True):
            assert cell_text(value, fmt, None, "zh") in whole


def test_long_table_runs_over_pages_with_its_header_repeated(hand):
    _, _, texts = hand
    pages_with_rows = [t for t in texts if re.search(r"措施\d\d：", t)]
    assert len(pages_with_rows) >= 2
    for text in pages_with_rows:
        assert re.search(r"措施\s*负责人\s*截止日期\s*验收标准", text), "a page of the table lacks its header row"
    found = {int(m) for t in pages_with_rows for m in re.findall(r"措施(\d\d)：", t)}
    assert found == set(range(LONG_ROWS))  # no row lost at a page break


def test_wide_table_and_long_text_stay_inside_the_page(hand):
    report, data, texts = hand
    wide = report.sections[5].blocks[0]
    lines = {line.strip() for text in texts for line in text.splitlines()}
    # Numbers never wrap inside their cell: each number of the last row is on one line, whole.
    numbers = [cell_text(v, f, None, "zh") for v, f in zip(wide.rows[-1], wide.formats, strict=True)]
    assert " ".join(numbers) in lines
    doc = pdfium.PdfDocument(data)
    try:
        for page in doc:
            width = page.get_width()
            textpage = page.get_textpage()
            for i in range(textpage.count_chars()):
                left, _, right, _ = textpage.get_charbox(i)
                assert left >= 0 and right <= width, "text runs off the page"
    finally:
        doc.close()


def test_rare_hanzi_come_from_the_fallback_font_and_unknown_glyphs_show_as_a_box(hand):
    _, data, texts = hand
    whole = "\n".join(texts)
    assert "李堃" in whole and "张喆1" in whole  # outside GB2312: drawn from RetroSansSCExt
    assert "\x07" not in whole  # control characters dropped
    assert "（华东大区）□" in whole  # the emoji no shipped font has is a visible box, not nothing
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in PdfReader(io.BytesIO(data)).pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any(name.endswith("+RetroSansSCExt") for name in fonts), fonts


def test_a_report_without_rare_characters_does_not_embed_the_fallback_font():
    plain = Report(title="Operations report 2026-10", team=None, period_label="2026-10", lang="en",
                   generated=dt.date(2026, 11, 3), filename_stem="ops_report_2026-10",
                   sections=(Section("summary", "Summary", (Paragraph("Revenue 6.66m, +1.8% on September."),)),))
    data = report_pdf.render(plain)
    assert b"RetroSansSCExt" not in data
    assert "Revenue 6.66m, +1.8% on September." in "\n".join(page_texts(data))


def test_sample_report_has_every_section_and_the_scorecard_values(sample):
    report, _, texts = sample
    whole = "\n".join(texts)
    assert report.title in texts[0]
    for section in report.sections:
        assert section.title in whole
    scorecard = next(b for s in report.sections for b in s.blocks if isinstance(b, Table) and b.key == "scorecard")
    assert scorecard.rows
    for row in scorecard.rows:
        for value, fmt in zip(row, scorecard.formats, strict=True):
            text = cell_text(value, fmt, None, report.lang)
            assert text in whole, text
    charts = [b for s in report.sections for b in s.blocks if isinstance(b, Chart)]
    images = sum(len([o for o in page.images]) for page in PdfReader(io.BytesIO(sample[1])).pages)
    assert images == len(charts) > 0


def test_every_section_switched_off_leaves_the_cover_alone():
    bare = Report(title="运营月报 2026-10", team=None, period_label="2026-10", lang="zh",
                  generated=dt.date(2026, 11, 3), sections=(), filename_stem="运营月报_2026-10")
    texts = page_texts(report_pdf.render(bare))
    assert len(texts) == 1 and "运营月报 2026-10" in texts[0] and "1 / 1" in texts[0]


# --------------------------------------------------------------------------- issue 17: headers and empty tables


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_english_headers_break_between_words_never_inside_one(tmp_path):
    """Every table header of the English report reads whole in the PDF's text: a header may wrap onto
    a second line between its words ('Planned / progress'), never inside one ('Deviati on %')."""
    from test_report_model import PERIOD, make_sample

    from retro.db import close_all

    db = make_sample(tmp_path / "sample.duckdb")  # with a strategy task: the progress table is there
    try:
        report = build_report(db, PERIOD, lang="en")
    finally:
        db.close()
        close_all()
    whole = _flat("\n".join(page_texts(report_pdf.render(report))))
    headers = {h for s in report.sections for b in s.blocks if isinstance(b, Table) for h in b.columns}
    assert {"Deviation %", "Attainment", "Planned progress"} <= headers
    broken = sorted(h for h in headers if _flat(h) not in whole)
    assert not broken, broken


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_empty_template_table_prints_its_line_not_a_header_bar(tmp_path, lang):
    """No strategy task was logged: the PDF says so once per table and prints none of its headers."""
    from test_report_model import PERIOD, make_causes

    from retro.db import close_all
    from retro.i18n import t

    db = make_causes(tmp_path / "causes.duckdb")
    try:
        report = build_report(db, PERIOD, lang=lang)
    finally:
        db.close()
        close_all()
    whole = _flat("\n".join(page_texts(report_pdf.render(report))))
    for key in ("report.col.goal", "report.col.resources", "report.col.planned_progress"):
        assert _flat(t(key, lang)) not in whole, key
    assert _flat(t("report.none.tasks", lang)) in whole
