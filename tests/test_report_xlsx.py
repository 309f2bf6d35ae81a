"""retro.report.xlsx: the workbook opened with openpyxl — sheets, the scorecard's numbers, the template
columns, native charts, number formats, frozen headers; text never a formula; Excel-illegal control
characters removed and noted. And ``python -m retro report`` writing it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from test_report_model import PAYLOADS, PERIOD, STORED, TEMPLATE_ZH, make_sample

from retro import metrics as M
from retro import scoring as S
from retro.i18n import t
from retro.report import available
from retro.report import xlsx as X
from retro.report.model import Chart, Paragraph, Report, Section, Table, build_report


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    from retro.db import close_all

    db = make_sample(tmp_path_factory.mktemp("xlsx") / "sample.duckdb")
    yield db
    db.close()
    close_all()


@pytest.fixture(scope="module")
def report(sample_db):
    return build_report(sample_db, PERIOD, lang="zh", team="华东运营")


@pytest.fixture(scope="module")
def book(report):
    return load_workbook(io.BytesIO(X.render(report)))


def header_row(ws) -> int:
    """The frozen header: the row above the freeze pane."""
    assert ws.freeze_panes, ws.title
    return ws[ws.freeze_panes].row - 1


def table_of(ws) -> tuple[tuple, list[tuple]]:
    row = header_row(ws)
    rows = list(ws.iter_rows(min_row=row, values_only=True))
    width = len([c for c in rows[0] if c is not None])
    return tuple(rows[0][:width]), [r[:width] for r in rows[1:] if any(v is not None for v in r)]


def test_a_sheet_per_section(book, report):
    assert book.sheetnames[0] == "总结与展望"
    expected = [s.title for s in report.sections if s.key not in ("summary", "kpis")]
    assert book.sheetnames[1:] == expected
    cover = book["总结与展望"]
    assert cover["A1"].value == "运营月报 2026-10"
    texts = [c.value for row in cover.iter_rows() for c in row if isinstance(c.value, str)]
    assert "华东运营" in texts and any("华东销售未达标" in x for x in texts)


def test_scorecard_sheet_equals_the_goals_scorecard(book, sample_db):
    card = S.scorecard(sample_db, PERIOD, forecast="seasonal")
    labels = {m.name: m.label("zh") for m in M.catalog(sample_db)}
    header, rows = table_of(book["目标达成"])
    assert header == ("指标", "单位", "计划值", "实际值", "达成率", "偏差率", "状态", "权重", "得分")
    by_name = {r[0]: r for r in rows}
    checked = 0
    for r in card.rows:
        if not r.has_target:
            continue
        got = by_name[labels[r.metric]]
        assert got[2] == pytest.approx(r.plan) and got[3] == pytest.approx(r.actual)
        assert got[4] == pytest.approx(r.attainment) and got[8] == pytest.approx(r.score)
        checked += 1
    assert checked >= 2
    ws = book["目标达成"]
    first = header_row(ws) + 1
    assert ws.cell(first, 5).number_format == "0.0%"
    assert "万元" in ws.cell(first, 3).number_format  # 销售额 (万元) leads the sample's scorecard


def test_template_sheets_have_the_template_columns(book):
    for key, columns in TEMPLATE_ZH.items():
        title = {"strategy_plan": "策略执行计划表", "progress": "执行进度跟踪表", "outcome": "成果复盘分析表",
                 "followup": "后续行动计划表"}[key]
        header, rows = table_of(book[title])
        assert header == columns
        assert rows, key
    header, rows = table_of(book["后续行动计划表"])
    assert rows[0][3] == dt.datetime(2099, 12, 31)  # a real date cell


def test_native_charts_for_the_trends(book, report):
    charts = [b for s in report.sections for b in s.blocks if isinstance(b, Chart)]
    ws = book["趋势"]
    assert len(ws._charts) == len(charts) == 10
    periods = [c.value for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("20")]
    assert PERIOD in periods


def test_column_widths_fit_chinese(book):
    ws = book["问题与根因"]
    header = header_row(ws)
    # 根本原因 holds '渠道投放不精准' (7 CJK characters = 14 columns of width)
    col = [c.column_letter for c in ws[header] if c.value == t("report.col.root_cause", "zh")][0]
    assert ws.column_dimensions[col].width >= 14


def test_payloads_come_back_as_text(book):
    for title in ("问题与根因", "改进措施"):
        _, rows = table_of(book[title])
        got = [r[0] for r in rows]
        assert len(got) == len(STORED)
        for value, payload in zip(got, STORED, strict=True):
            assert not str(value).startswith(("=", "+", "-", "@", "\t", "\r")), value
            assert str(value).lstrip("'") == payload
    ws = book["问题与根因"]
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)


def _one_table_report(values: list[str]) -> Report:
    table = Table("problems", "问题", ("问题",), tuple((v,) for v in values), (None,))
    return Report("运营月报 2026-10", "=HYPERLINK(\"x\")", "2026-10", "zh", dt.date(2026, 11, 1),
                  (Section("summary", "总结与展望", (Paragraph("=cmd"),)), Section("problems", "问题与根因", (table,))),
                  "运营月报_2026-10")


def test_payload_corpus_and_control_characters():
    controls = "".join(chr(c) for c in range(32))
    values = [*PAYLOADS, f"a{controls}b", "\x00=1+1", "ok"]
    data = X.render(_one_table_report(values))
    book = load_workbook(io.BytesIO(data))
    ws = book["问题与根因"]
    _, rows = table_of(ws)
    got = [r[0] for r in rows]
    for value in got:
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    for original, value in zip(values[:len(PAYLOADS)], got, strict=False):
        assert value.lstrip("'") == original
    # Tab, newline and CR are legal in a cell; every other C0 control is dropped, the rest kept.
    assert got[len(PAYLOADS)] == "a\t\n\rb"
    assert got[len(PAYLOADS) + 1] == "'=1+1"  # the NUL removed first, then the formula neutralised
    assert got[-1] == "ok"
    cover = book["总结与展望"]
    texts = [c.value for row in cover.iter_rows() for c in row if isinstance(c.value, str)]
    assert "'=HYPERLINK(\"x\")" in texts and "'=cmd" in texts
    removed = 29 + 1  # 32 controls minus tab, LF, CR; and the NUL before '=1+1'
    assert any(f"已删除 {removed} 个" in x for x in texts), texts
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)


def test_cli_writes_the_workbook(sample_db, tmp_path, capsys):
    from retro.cli import main

    path = str(sample_db.path)
    out = tmp_path / "月报.xlsx"
    assert main(["report", "--db", path, "--period", PERIOD, "--out", str(out), "--section", "scorecard",
                 "--section", "outcome", "--team", "华东"]) == 0
    book = load_workbook(out)
    assert book.sheetnames == ["总结与展望", "目标达成", "成果复盘分析表"]
    assert main(["report", "--db", path, "--period", "2026-13", "--out", str(tmp_path / "x.xlsx")]) == 2
    assert main(["report", "--db", path, "--period", PERIOD, "--section", "nope", "--out", str(tmp_path / "y.xlsx")]) == 2
    assert not (tmp_path / "x.xlsx").exists() and not (tmp_path / "y.xlsx").exists()
    pdf = tmp_path / "r.pdf"
    rc = main(["report", "--db", path, "--period", PERIOD, "--format", "pdf", "--section", "scorecard", "--out", str(pdf)])
    assert rc == (0 if available("pdf") else 2) and pdf.exists() == available("pdf")
    err = capsys.readouterr().err
    assert "Traceback" not in err


def test_an_empty_template_sheet_says_none_this_period(tmp_path):
    """No strategy task was logged: its sheets hold the line that says so, not a bare header row."""
    from test_report_model import make_causes

    from retro.db import close_all

    db = make_causes(tmp_path / "causes.duckdb")
    try:
        report = build_report(db, PERIOD, lang="zh")
    finally:
        db.close()
        close_all()
    book = load_workbook(io.BytesIO(X.render(report)))
    for title in ("策略执行计划表", "执行进度跟踪表"):
        ws = book[title]
        values = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
        assert values == [title, t("report.none.tasks", "zh")], values
        assert not ws.freeze_panes


def test_the_english_workbook_names_units_in_english_with_their_scale(sample_db):
    """English readers see 10k CNY / stores beside the stored (unscaled) numbers, never 万元 or 家,
    in the unit column, the cells' number formats and the charts' axis titles."""
    book = load_workbook(io.BytesIO(X.render(build_report(sample_db, PERIOD, lang="en"))))
    texts, formats = [], []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                if isinstance(cell.value, int | float):
                    formats.append(cell.number_format)
        for chart in ws._charts:
            title = chart.y_axis.title
            if title is not None:
                texts.extend(r.t for p in title.tx.rich.p for r in (p.r or []))
    chinese_units = ("万元", "家", "元")
    assert not [x for x in texts if x in chinese_units or any(f"（{u}）" in x for u in chinese_units)]
    assert not [f for f in formats if any(u in f for u in chinese_units)]
    assert "10k CNY" in texts  # 销售额 is kept in 万元: its unit column says so in English
    assert any('" 10k CNY"' in f for f in formats)
