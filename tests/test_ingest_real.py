"""Real workbooks read right (issue 15): one workbook per failure class, built here the way real
ones look, imported through the CLI, and checked against what their cells say."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from retro.i18n import reading_text

MONTHS = ["2026-01", "2026-02", "2026-03"]
REGIONS = {"华东": [120.0, 130.0, 125.0], "华南": [80.0, 95.0, 90.0], "华北": [60.0, 70.0, 65.0]}


def _save(wb: openpyxl.Workbook, path) -> str:
    wb.save(path)
    return str(path)


@pytest.fixture
def query(capsys, db_path):
    """``query("series", "--metric", M, ...)`` → the CLI's JSON from the import's database."""

    def _q(*args: str) -> dict:
        from retro.cli import main

        capsys.readouterr()
        rc = main([*args, "--db", str(db_path), "--json"])
        out, _ = capsys.readouterr()
        assert rc == 0, out
        return json.loads(out)

    return _q


def _value(rows: list[dict], period: str, segment: str = "") -> float | None:
    found = [r["value"] for r in rows if r["period"] == period and (r.get("segment") or "") == segment]
    return found[0] if found else None


def _readings(sheet: dict, decision: str) -> list[dict]:
    return [r for r in sheet["readings"] if r["decision"] == decision]


def _sheet(result: dict, name: str) -> dict:
    return next(s for s in result["sheets"] if s["sheet"] == name)


# ------------------------------------------------------------------ 1. totals anywhere


@pytest.mark.parametrize("where", ["top", "bottom"])
def test_an_unlabelled_sum_row_is_a_totals_row_wherever_it_stands(where, files, run_import, query):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "城市销售"
    ws.append(["城市", *MONTHS])
    sums = [sum(v[i] for v in REGIONS.values()) for i in range(3)]
    rows = [[k, *v] for k, v in REGIONS.items()]
    for row in ([[None, *sums], *rows] if where == "top" else [*rows, [None, *sums]]):
        ws.append(row)
    rc, result = run_import(_save(wb, files / f"sum_{where}.xlsx"))
    assert rc == 0, result
    sheet = result["sheets"][0]
    totals = {t["period"]: t["value"] for t in sheet["totals"]}
    assert totals == {m: pytest.approx(s) for m, s in zip(MONTHS, sums, strict=True)}  # not doubled
    found = _readings(sheet, "totals_row")
    assert found and found[0]["evidence"] == "sum", sheet["readings"]
    by = query("series", "--metric", sheet["metrics"][0], "--by", "城市")["rows"]
    assert {r["segment"] for r in by} == set(REGIONS)  # the totals row is no region


def _xlsx_with_values(path, sheets: dict[str, list[list]], table: dict | None = None, chart: str | None = None) -> str:
    """A workbook as Excel saves it: formulas with their cached results. A cell ``("=SUM(B2:B3)", 30)``
    is a formula and its value; ``table`` adds an Excel table to the first sheet; ``chart`` a chart."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if isinstance(v, tuple):
                    ws.write_formula(r, c, v[0], None, v[1])
                elif v is not None:
                    ws.write(r, c, v)
        if table and name == next(iter(sheets)):
            ws.add_table(table["ref"], table["options"])
        if chart == name:
            ch = wb.add_chart({"type": "column"})
            ch.add_series({"values": [name, 1, 1, len(rows) - 1, 1]})
            ws.insert_chart("H2", ch)
    wb.close()
    return str(path)


SHOPS = [["徐汇店", 10.0, 11.0], ["静安店", 20.0, 21.0], ["天河店", 5.0, 6.0], ["越秀店", 7.0, 8.0], ["南沙店", 1.0, 1.0]]


def test_subtotal_formulas_between_groups_are_left_out_and_the_grand_total_checks(files, run_import):
    rows = [["门店", "1月", "2月"], SHOPS[0], SHOPS[1],
            ["上海", ("=SUM(B2:B3)", 30.0), ("=SUM(C2:C3)", 32.0)], SHOPS[2], SHOPS[3], SHOPS[4],
            ["广州", ("=SUM(B5:B7)", 13.0), ("=SUM(C5:C7)", 15.0)],
            ["全部", ("=B4+B8", 43.0), ("=C4+C8", 47.0)]]
    rc, result = run_import(_xlsx_with_values(files / "subtotals.xlsx", {"门店销售": rows}), "--year", "2026")
    assert rc == 0, result
    sheet = result["sheets"][0]
    assert {t["period"]: t["value"] for t in sheet["totals"]} == {"2026-01": 43.0, "2026-02": 47.0}
    subs = _readings(sheet, "subtotal_row")
    assert [(r["params"]["row"], r["evidence"]) for r in subs] == [(4, "formula"), (8, "formula")], sheet["readings"]
    assert "=SUM(B2:B3)" in reading_text(subs[0], "en")
    assert [r["status"] for r in sheet["reconciliation"]] == ["match", "match"]  # the grand total, not 上海 + 广州 + 全部


def test_typed_subtotals_are_found_by_their_block_sums(files, run_import):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "门店销售"
    for row in [["门店", "1月", "2月"], SHOPS[0], SHOPS[1], ["上海", 30, 32], SHOPS[2], SHOPS[3], SHOPS[4], ["广州", 13, 15],
                ["全部", 43, 47]]:
        ws.append(row)
    rc, result = run_import(_save(wb, files / "typed_subtotals.xlsx"), "--year", "2026")
    assert rc == 0, result
    sheet = result["sheets"][0]
    assert {t["period"]: t["value"] for t in sheet["totals"]} == {"2026-01": 43.0, "2026-02": 47.0}
    subs = _readings(sheet, "subtotal_row")
    assert [(r["params"]["first"], r["params"]["last"]) for r in subs] == [(2, 3), (5, 7)]
    assert "rows 5–7" in reading_text(subs[1], "en")


def test_one_row_equal_to_the_two_above_is_no_subtotal(files, run_import):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [["区域", "1月"], ["华东", 1], ["华南", 2], ["华北", 3], ["西南", 9], ["西北", 4]]:
        ws.append(row)
    rc, result = run_import(_save(wb, files / "coincidence.xlsx"), "--year", "2026")
    assert rc == 0, result
    sheet = result["sheets"][0]
    assert sheet["totals"][0]["value"] == 19.0 and not _readings(sheet, "subtotal_row")


def test_an_excel_tables_totals_row_is_left_out_by_its_structure(files, run_import):
    rows = [["区域", "1月", "2月"], *[[k, v[0], v[1]] for k, v in REGIONS.items()]]
    # the totals row's cached results, as Excel saves them (xlsxwriter writes 0 unless told)
    table = {"ref": "A1:C5", "options": {"total_row": True, "columns": [
        {"header": "区域"}, {"header": "1月", "total_function": "sum", "total_value": 260},
        {"header": "2月", "total_function": "sum", "total_value": 295}]}}
    rc, result = run_import(_xlsx_with_values(files / "table.xlsx", {"销售": rows}, table=table), "--year", "2026")
    assert rc == 0, result
    sheet = result["sheets"][0]
    assert {t["period"]: t["value"] for t in sheet["totals"]} == {"2026-01": 260.0, "2026-02": 295.0}
    assert _readings(sheet, "totals_row"), sheet["readings"]
    assert sheet["reconciled"] == "match", sheet["reconciliation"]


def test_a_row_below_the_totals_sum_range_is_the_difference_and_named(files, run_import):
    """=SUM(B2:B4) was made before 南沙店 was added under it: the import differs by exactly that row."""
    rows = [["门店", "1月"], ["徐汇店", 10.0], ["静安店", 20.0], ["天河店", 5.0], ["南沙店", 1.0],
            ["合计", ("=SUM(B2:B4)", 35.0)]]
    path = _xlsx_with_values(files / "range.xlsx", {"门店销售": rows})
    rc, result = run_import(path, "--year", "2026")
    assert rc == 4, result  # nothing stored until it is fixed or accepted
    why = result["sheets"][0]["mismatch"]
    assert why["code"] == "outside_range" and why["rows"] == [5] and why["fix"] == {"skip_rows": [5]}, why
    assert "SUM" in why["message"] and "5" in why["message"]


def test_sum_rows_of_sections_check_their_own_rows_only(files, run_import):
    """A P&L: Net Sales =SUM of its lines, Gross Profit a line of its own, Expenses =SUM of theirs."""
    rows = [["Particulars", "Apr"], ["Gross Sales", 100.0], ["Less: Excise", -10.0], ["Net Sales", ("=SUM(B2:B3)", 90.0)],
            ["Gross Profit", 40.0], ["Rent", 5.0], ["Wages", 7.0], ["Expenses", ("=SUM(B6:B7)", 12.0)]]
    path = _xlsx_with_values(files / "pnl.xlsx", {"P&L": rows})
    rc, result = run_import(path, "--year", "2021")
    assert rc == 0, result
    sheet = result["sheets"][0]
    assert sheet["reconciled"] == "match", sheet["reconciliation"]


def test_a_sheet_of_lookups_into_another_is_derived_and_left_out(files, run_import):
    data = [["门店", "1月"], *[[n, a] for n, a, _ in SHOPS]]
    derived = [["门店", "1月"], *[[n, (f"=VLOOKUP(A{i + 2},门店销售!A:C,2,0)", a)] for i, (n, a, _) in enumerate(SHOPS)]]
    path = _xlsx_with_values(files / "derived.xlsx", {"门店销售": data, "差异分析": derived})
    rc, result = run_import(path, "--year", "2026")
    assert rc == 0, result
    sheet = _sheet(result, "差异分析")
    assert sheet["status"] == "skipped" and sheet["readings"][0]["decision"] == "helper_derived", sheet
    assert sum(t["value"] for t in _sheet(result, "门店销售")["totals"]) == sum(a for _, a, _ in SHOPS)  # not twice


def test_a_budget_with_its_chart_and_own_formulas_is_data(files, run_import):
    items = [["房租", 100.0, 100.0], ["水电", 30.0, 28.0], ["网费", 10.0, 12.0]]
    rows = [["项目", "预算", "实际", "差额"], *[[n, p, a, (f"=B{i + 2}-C{i + 2}", p - a)] for i, (n, p, a) in enumerate(items)],
            ["合计", ("=SUM(B2:B4)", 140.0), ("=SUM(C2:C4)", 140.0), ("=SUM(D2:D4)", 0.0)]]
    path = _xlsx_with_values(files / "budget.xlsx", {"10月份": rows}, chart="10月份")
    from retro.ingest.read import read_workbook

    raw = read_workbook(Path(path).read_bytes(), "budget.xlsx").sheets[0]
    assert "chart" in raw.features and len(raw.formulas) >= 0.5 * 12  # a chart, and most numbers are formulas
    rc, result = run_import(path, "--year", "2026")
    assert rc == 0, result
    sheet = result["sheets"][0]
    assert sheet["status"] == "imported", sheet
    values: dict[tuple[str, str], float] = {}
    for t in sheet["totals"]:
        values[t["scenario"], t["period"]] = values.get((t["scenario"], t["period"]), 0.0) + t["value"]
    assert values == {("plan", "2026-10"): 140.0, ("actual", "2026-10"): 140.0}
    assert {t["metric"] for t in sheet["totals"]} == {"房租", "水电", "网费"}


# ------------------------------------------------------------------ 2. helper sheets


def _orders(ws) -> list[list]:
    ws.append(["订单号", "下单日期", "客户", "金额"])
    rows = [[f"SO{i:04d}", f"2026-01-{1 + i % 28:02d}", f"C{i % 7}", 100.0 + i] for i in range(40)]
    for r in rows:
        ws.append(r)
    return rows


def test_a_sheet_that_copies_another_is_left_out_and_can_be_taken_in(files, run_import, db_path, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Orders"
    rows = _orders(ws)
    copy = wb.create_sheet("Working Sheet")
    copy.append(["订单号", "下单日期", "客户", "金额"])
    for r in rows[:30]:
        copy.append(r)
    path = _save(wb, files / "orders_copy.xlsx")
    rc, result = run_import(path)
    assert rc == 0, result
    working = _sheet(result, "Working Sheet")
    assert working["status"] == "skipped" and working["skip_reason"] == "helper", working
    reading = working["readings"][0]
    assert reading["decision"] == "helper_copy" and reading["params"]["of"] == "Orders"
    total = sum(t["value"] for t in _sheet(result, "Orders")["totals"] if t["metric"] == "金额")
    assert total == pytest.approx(sum(r[3] for r in rows))
    rc, again = run_import(path, "--include-sheet", "Working Sheet", "--dry-run", db=tmp_path / "other.duckdb")
    assert rc == 0 and _sheet(again, "Working Sheet")["status"] == "ready", again


def test_pivot_output_and_forecast_sheets_are_not_data(files, run_import):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Month", "Region", "Total_Sales"])
    for i, m in enumerate(MONTHS):
        for j, region in enumerate(["East", "West"]):
            ws.append([m, region, 100.0 + 10 * i + j])
    pivot = wb.create_sheet("Pivot")
    pivot.append(["Sum of Total_Sales", "Column Labels"])
    pivot.append(["Row Labels", "East", "West", "Grand Total"])
    for i, m in enumerate(MONTHS):
        pivot.append([m, 100.0 + 10 * i, 101.0 + 10 * i, 201.0 + 20 * i])
    forecast = wb.create_sheet("Forecast")
    forecast.append(["Timeline", "Total_Sales", "Forecast(Total_Sales)", "Lower Confidence Bound(Total_Sales)"])
    for i, m in enumerate(["2026-04", "2026-05"]):
        forecast.append([m, None, 250.0 + i, 200.0 + i])
    rc, result = run_import(_save(wb, files / "helpers.xlsx"))
    assert rc == 0, result
    assert _sheet(result, "Pivot")["readings"][0]["decision"] == "helper_pivot"
    assert _sheet(result, "Forecast")["readings"][0]["decision"] == "helper_forecast"
    for name in ("Pivot", "Forecast"):
        assert _sheet(result, name)["status"] == "skipped"
    data = _sheet(result, "Data")
    assert sum(t["value"] for t in data["totals"]) == pytest.approx(sum(100.0 + 10 * i + j for i in range(3) for j in range(2)))


# ------------------------------------------------------------------ 3. sheets never overwrite each other


def test_shop_sheets_of_one_layout_add_up(files, run_import, query):
    wb = openpyxl.Workbook()
    shops = {"店A": [10.0, 11.0, 12.0], "店B": [20.0, 21.0, 22.0], "店C": [30.0, 31.0, 32.0]}
    for i, (shop, values) in enumerate(shops.items()):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = shop
        ws.append(["月份", "销售额"])
        for m, v in zip(MONTHS, values, strict=True):
            ws.append([m, v])
    rc, result = run_import(_save(wb, files / "shops.xlsx"))
    assert rc == 0, result
    assert all(s["status"] == "imported" for s in result["sheets"]), result
    assert all("sheet_dimension" in {w["code"] for w in s["warnings"]} for s in result["sheets"])
    rows = query("series", "--metric", "销售额")["rows"]
    assert _value(rows, "2026-01") == pytest.approx(60.0)
    by = query("series", "--metric", "销售额", "--by", "工作表")["rows"]
    assert _value(by, "2026-02", "店B") == pytest.approx(21.0)


# ------------------------------------------------------------------ 4. the metric-name column


def test_an_account_column_names_the_metrics(files, run_import):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Finance"
    ws.append(["Month", "Account", "Amount"])
    accounts = {"Sales": 1e6, "COGS": 4e5, "Payroll": 1.2e5}
    for m in MONTHS:
        for account, base in accounts.items():
            ws.append([m, account, base])
    rc, result = run_import(_save(wb, files / "accounts.xlsx"))
    assert rc == 0, result
    sheet = result["sheets"][0]
    assert set(sheet["metrics"]) == set(accounts)  # never one metric with revenue and costs added up
    assert "Account" not in sheet["dimensions"]


def test_the_outcome_review_table_imports_three_metrics_with_plan_and_actual(files, run_import, query):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "成果复盘"
    ws.append(["目标指标", "目标值", "实际值", "达成率", "偏差原因", "经验/教训"])
    ws.append(["华东销售额", 12000000, 10800000, "90%", "获客成本超预算30%", "精准定位路演人群"])
    ws.append(["大客户复购率", "15%", "18%", "120%", "转介绍激励", "复制分层运营"])
    ws.append(["新客户数", 500, 430, "86%", "渠道投放延迟", "提前锁定资源"])
    rc, result = run_import(_save(wb, files / "outcome.xlsx"), "--period", "2026-09")
    assert rc == 0, result
    sheet = result["sheets"][0]
    assert set(sheet["metrics"]) == {"华东销售额", "大客户复购率", "新客户数"}
    assert sheet["dimensions"] == []  # 偏差原因 and 经验/教训 are notes, not segments
    assert {r["params"]["header"] for r in _readings(sheet, "note_column")} == {"偏差原因", "经验/教训"}
    assert _readings(sheet, "derived_column")[0]["params"]["header"] == "达成率"
    rows = query("score", "--period", "2026-09")["rows"]
    east = next(r for r in rows if r["metric"] == "华东销售额")
    assert east["plan"] == pytest.approx(12000000) and east["actual"] == pytest.approx(10800000)
    assert sheet["notes"] == 6  # the text of 偏差原因 and 经验/教训, kept as notes


def _outcome_review(path, cause: str, lesson: str | None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "成果复盘"
    ws.append(["目标指标", "目标值", "实际值", "达成率", "偏差原因", "经验/教训"])
    ws.append(["华东销售额", 12000000, 10800000, "90%", cause, lesson])
    ws.append(["新客户数", 500, 430, "86%", "渠道投放延迟", "  "])  # a blank lesson is no note
    wb.save(path)
    return path


def _notes(db, metric: str) -> list[tuple]:
    from retro import metrics as M

    return [(n.period.isoformat(), n.source if isinstance(n.source, str) else None, n.text)
            for n in M.annotations(db, metric).itertuples()]


def test_the_outcome_review_notes_are_kept_on_their_metric_and_undone_with_their_import(files, db):
    import datetime as dt

    from retro import metrics as M
    from retro.ingest import analysis_summary, analyze_bytes, store_import, undo_import

    mine = M.add_annotation(db, "华东销售额", dt.date(2026, 9, 1), "会上补充：九月有两场路演取消", author="lead")
    first_file = _outcome_review(files / "outcome.xlsx", "获客成本超预算30%", "精准定位路演人群")
    analysis = analyze_bytes(db, first_file.read_bytes(), first_file.name, period="2026-09")
    assert analysis_summary(analysis)["sheets"][0]["notes"] == 3
    first = store_import(db, analysis, actor="lead")
    assert _notes(db, "华东销售额") == [
        ("2026-09-01", None, "会上补充：九月有两场路演取消"),
        ("2026-09-01", "偏差原因", "偏差原因: 获客成本超预算30%"),
        ("2026-09-01", "经验/教训", "经验/教训: 精准定位路演人群"),
    ]
    assert _notes(db, "新客户数") == [("2026-09-01", "偏差原因", "偏差原因: 渠道投放延迟")]

    # A corrected file for the same month replaces the values and the notes read with them.
    second_file = _outcome_review(files / "outcome v2.xlsx", "获客成本超预算25%", None)
    second = store_import(db, analyze_bytes(db, second_file.read_bytes(), second_file.name, period="2026-09"))
    assert _notes(db, "华东销售额") == [
        ("2026-09-01", None, "会上补充：九月有两场路演取消"),
        ("2026-09-01", "偏差原因", "偏差原因: 获客成本超预算25%"),
    ]
    assert undo_import(db, second.import_id)  # the first file's notes come back with its values
    assert [text for *_, text in _notes(db, "华东销售额")] == [
        "会上补充：九月有两场路演取消", "偏差原因: 获客成本超预算30%", "经验/教训: 精准定位路演人群"]
    assert undo_import(db, first.import_id)
    assert _notes(db, "华东销售额") == [("2026-09-01", None, "会上补充：九月有两场路演取消")]
    assert _notes(db, "新客户数") == []
    assert db.scalar("SELECT author FROM annotations WHERE id = ?", [mine]) == "lead"


def test_a_note_in_a_sheet_by_region_keeps_its_region_in_the_text(files, db):
    from retro.ingest import analyze_bytes, store_import

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "区域月报"
    ws.append(["区域", "月份", "销售额", "备注"])
    ws.append(["华东", "2026-01", 120, "春节促销"])
    ws.append(["华南", "2026-01", 80, None])
    ws.append(["华东", "2026-02", 130, "断货两周"])
    path = files / "regions.xlsx"
    wb.save(path)
    store_import(db, analyze_bytes(db, path.read_bytes(), path.name))
    assert _notes(db, "销售额") == [("2026-01-01", "备注", "华东 · 备注: 春节促销"),
                                   ("2026-02-01", "备注", "华东 · 备注: 断货两周")]


def test_a_budget_template_sheet_takes_its_month_from_the_sheet_name(files, run_import):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "10月份"
    ws.append(["公司预算"])
    ws.append([])
    ws.append(["每月支出", "预计", "实际", "差异"])
    ws.append(["办公座椅", 6192.8, 6192.8, 0])
    ws.append(["采暖费", 10758.08, 0, 10758.08])
    ws.append(["总计", 16950.88, 6192.8, 10758.08])
    rc, result = run_import(_save(wb, files / "budget.xlsx"), "--year", "2017")
    assert rc == 0, result
    sheet = result["sheets"][0]
    assert sheet["periods"] == ["2017-10"], sheet
    totals = {(t["metric"], t["scenario"]): t["value"] for t in sheet["totals"]}
    assert totals == {("办公座椅", "plan"): pytest.approx(6192.8), ("办公座椅", "actual"): pytest.approx(6192.8),
                      ("采暖费", "plan"): pytest.approx(10758.08), ("采暖费", "actual"): 0}
    assert _readings(sheet, "sheet_period")


# ------------------------------------------------------------------ 5. plan from the sheet name


def test_a_targets_sheet_is_the_plan_of_the_actual_sheet_beside_it(files, run_import, query):
    wb = openpyxl.Workbook()
    people = {"Andria": ([73818.0, 51628.5], [75300.0, 52100.0]), "Barr": ([49412.25, 40252.5], [47400.0, 45500.0])}
    import datetime as dt

    for k, title in enumerate(("Actual", "Targets")):
        ws = wb.active if k == 0 else wb.create_sheet()
        ws.title = title
        ws.append(["Sales Person", dt.datetime(2023, 1, 1), dt.datetime(2023, 2, 1)])
        for name, values in people.items():
            ws.append([name, *values[k]])
    rc, result = run_import(_save(wb, files / "targets.xlsx"))
    assert rc == 0, result
    assert _sheet(result, "Targets")["scenarios"] == ["plan"]
    assert _sheet(result, "Actual")["metrics"] == _sheet(result, "Targets")["metrics"]
    rows = query("score", "--period", "2023-01")["rows"]
    assert any(r["plan"] == pytest.approx(75300 + 47400) and r["actual"] == pytest.approx(73818 + 49412.25) for r in rows), rows


# ------------------------------------------------------------------ 6–7. IDs, codes, customers, orders


def test_codes_and_counters_are_never_measures_and_prices_are_averaged(files, run_import, query):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "小票"
    ws.append(["行", "款台", "小票号", "商品码", "条形码", "销售日期", "数量", "售价", "金额"])
    lines = []
    for i in range(30):
        receipt = 9900000980 + i // 3
        qty, price = 1 + i % 4, [20.0, 85.0, 8.0][i % 3]
        lines.append((receipt, qty, price))
        ws.append([i + 1, 99, str(receipt), f"{5000 + i % 9:05d}", str(6900000000000 + i), "2010-09-07", qty, price, qty * price])
    rc, result = run_import(_save(wb, files / "pos.xlsx"))
    assert rc == 0, result
    sheet = result["sheets"][0]
    assert sheet["shape"] == "transactions", sheet
    assert set(sheet["metrics"]) == {"数量", "售价", "金额"}
    month = query("series", "--metric", "售价")["rows"]
    assert 8.0 <= _value(month, "2010-09") <= 85.0  # averaged, not the sum of 30 prices
    orders = query("series", "--metric", "订单数")["rows"]
    assert _value(orders, "2010-09") == len({r for r, _, _ in lines})


def test_customer_names_count_customers(files, run_import, query):
    wb = openpyxl.Workbook()
    ws = wb.active
    names = ["NOYON", "Sanilux", "台叙", "NOYON", "Aman", "台叙"] * 4
    ws.append(["订单号", "客户名称", "总金额", "订单日期"])
    for i, name in enumerate(names):
        ws.append([f"CL{i:03d}", name, 1000.0 + i, f"2026-01-{1 + i:02d}"])
    rc, result = run_import(_save(wb, files / "customers.xlsx"))
    assert rc == 0, result
    assert _value(query("series", "--metric", "客户数")["rows"], "2026-01") == len(set(names))


# ------------------------------------------------------------------ 8–9. numbers, days, running totals


def test_a_decimal_comma_column_is_read_as_decimals(files, run_import):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "价格"
    ws.append(["月份", "门店", "销售额"])
    cells = {"2026-01": ["1052,75元", "33,5元"], "2026-02": ["1.234,56元", "10,25元"]}
    for m, values in cells.items():
        for shop, v in zip(["A", "B"], values, strict=True):
            ws.append([m, shop, v])
    rc, result = run_import(_save(wb, files / "comma.xlsx"))
    assert rc == 0, result
    sheet = result["sheets"][0]
    totals = {t["period"]: t["value"] for t in sheet["totals"]}
    assert totals == {"2026-01": pytest.approx(1086.25), "2026-02": pytest.approx(1244.81)}
    assert _readings(sheet, "number_style")


def test_a_decimal_comma_sheets_totals_are_read_in_its_style_and_check(files, run_import):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Umsatz"
    ws.append(["Filiale", "Jan", "Feb", "Gesamt"])
    ws.append(["Berlin", "1.052,75", "980,5", "2.033,25"])
    ws.append(["Hamburg", "33,5", "41,25", "74,75"])
    ws.append(["Summe", "1.086,25", "1.021,75", "2.108,00"])
    rc, result = run_import(_save(wb, files / "umsatz.xlsx"), "--year", "2026")
    assert rc == 0, result
    sheet = result["sheets"][0]
    assert {t["period"]: t["value"] for t in sheet["totals"]} == {"2026-01": pytest.approx(1086.25), "2026-02": pytest.approx(1021.75)}
    checks = sheet["reconciliation"]
    assert {r["kind"] for r in checks} == {"row", "column"} and all(r["status"] == "match" for r in checks), checks
    assert {round(r["sheet_total"], 2) for r in checks if r["kind"] == "row"} == {1086.25, 1021.75}


def test_month_sheets_with_day_cells_take_the_month_from_the_sheet(files, run_import):
    wb = openpyxl.Workbook()
    for k, name in enumerate(("1月", "2月")):
        ws = wb.active if k == 0 else wb.create_sheet()
        ws.title = name
        ws.append(["日期", "服装名称", "销售量"])
        for d in range(1, 29):
            ws.append([f"{d}号", ["羽绒服", "风衣"][d % 2], 10 * (k + 1)])
    rc, result = run_import(_save(wb, files / "days.xlsx"), "--year", "2020")
    assert rc == 0, result
    months = {}
    for s in result["sheets"]:
        for t in s["totals"]:
            months[t["period"][:7]] = months.get(t["period"][:7], 0) + t["value"]
    assert months == {"2020-01": 280, "2020-02": 560}


def test_a_ytd_block_beside_the_months_is_not_added(files, run_import):
    import datetime as dt

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Budget"
    ends = [dt.datetime(2021, 4, 30), dt.datetime(2021, 5, 31), dt.datetime(2021, 6, 30)]
    ws.append(["Particulars", None, None, None, None, None, None, None])
    ws.append([None, "Budget", None, None, None, "Budget YTD", None, None])
    ws.append([None, *ends, None, *ends])
    monthly = {"Gross Sales": [115, 117, 119], "Net Sales": [105, 102, 109]}
    for name, values in monthly.items():
        running = [sum(values[: i + 1]) for i in range(3)]
        ws.append([name, *values, None, *running])
    ws.merge_cells("A1:A3")
    ws.merge_cells("B2:D2")
    ws.merge_cells("F2:H2")
    rc, result = run_import(_save(wb, files / "ytd.xlsx"))
    assert rc == 0, result
    sheet = result["sheets"][0]
    totals = {(t["metric"], t["period"]): t["value"] for t in sheet["totals"]}
    assert totals[("Gross Sales", "2021-04")] == 115 and totals[("Gross Sales", "2021-06")] == 119
    assert all(t["scenario"] == "plan" for t in sheet["totals"])
    assert _readings(sheet, "running_total")


def test_us_date_headers_are_days_read_month_first(files, run_import):
    """A time series exported from the US (the JHU COVID layout): '1/22/20' headers, Lat and Long beside them."""
    path = files / "time_series.csv"
    path.write_text(
        "Province/State,Country/Region,Lat,Long,1/22/20,1/23/20,1/31/20,2/1/20,2/2/20\n"
        ",China,30.59,114.31,444,444,5806,7153,11177\n"
        ",Italy,41.87,12.56,0,0,2,2,2\n"
        "Ontario,Canada,51.25,-85.32,0,0,1,1,1\n",
        encoding="utf-8",
    )
    rc, result = run_import(str(path))
    assert rc == 0, result
    sheet = result["sheets"][0]
    # 2/1/20 beside the other days is February 1st, a day like them, not the month of February
    assert sheet["periods"] == ["2020-01-22", "2020-01-23", "2020-01-31", "2020-02-01", "2020-02-02"]
    totals = {t["period"]: t["value"] for t in sheet["totals"]}
    assert totals["2020-02-01"] == 7156 and totals["2020-01-31"] == 5809
    order = _readings(sheet, "date_order")
    assert order and order[0]["strength"] == "strong" and order[0]["params"]["order"] == "month_first"
    ignored = next(w for w in sheet["warnings"] if w["code"] == "ignored_columns")
    assert "Lat" in ignored["message"] and "Long" in ignored["message"]  # said, not silently dropped


def test_day_first_dates_are_told_by_one_day_over_twelve(files, run_import):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sales"
    ws.append(["Date", "Store", "Sales"])
    for d, v in (("03/02/2020", 10), ("04/02/2020", 20), ("13/02/2020", 30), ("02/03/2020", 40)):
        ws.append([d, "London", v])
    rc, result = run_import(_save(wb, files / "uk.xlsx"))
    assert rc == 0, result
    sheet = result["sheets"][0]
    by_month: dict[str, float] = {}
    for t in sheet["totals"]:
        by_month[t["period"][:7]] = by_month.get(t["period"][:7], 0) + t["value"]
    assert by_month == {"2020-02": 60, "2020-03": 40}  # 03/02 is February 3rd, 02/03 March 2nd
    assert _readings(sheet, "date_order")[0]["params"]["order"] == "day_first"


def test_slash_dates_that_could_be_either_order_are_asked(files, run_import):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Region", "1/2/2020", "1/3/2020", "1/4/2020"])
    ws.append(["North", 1, 2, 3])
    ws.append(["South", 4, 5, 6])
    rc, result = run_import(_save(wb, files / "either.xlsx"), "--dry-run")
    assert rc == 0, result
    sheet = result["sheets"][0]
    order = _readings(sheet, "date_order")[0]
    assert order["strength"] == "weak" and order["params"]["as"] == "2020-01-02"
    assumed = [w for w in sheet["warnings"] if w["code"] == "assumed" and w["decision"] == "date_order"]
    assert assumed and "1/2/2020" in assumed[0]["message"]


def test_years_typed_as_numbers_across_the_header_are_periods(files, run_import):
    """A statistics table from 1961 on (FAO, World Bank): the years are numbers in the header row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Production"
    years = list(range(1961, 1971))
    ws.append(["Area", "Item", *years])
    ws.append(["China", "Wheat", *[100 + i for i in range(10)]])
    ws.append(["India", "Wheat", *[50 + i for i in range(10)]])
    rc, result = run_import(_save(wb, files / "fao.xlsx"))
    assert rc == 0, result
    sheet = result["sheets"][0]
    assert sheet["periods"] == [str(y) for y in years]
    totals = {t["period"]: t["value"] for t in sheet["totals"]}
    assert totals["1961"] == 150 and totals["1970"] == 168


def test_excel_serials_across_the_header_are_dates(files, run_import):
    """Month headers that lost their date format: 43466 | 43497 | 43525 are 2019-01-01, -02-01, -03-01."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "门店销售"
    ws.append(["门店", 43466, 43497, 43525])
    ws.append(["A店", 1, 2, 3])
    ws.append(["B店", 5, 6, 7])
    rc, result = run_import(_save(wb, files / "serials.xlsx"))
    assert rc == 0, result
    sheet = result["sheets"][0]
    assert sheet["periods"] == ["2019-01", "2019-02", "2019-03"]
    assert {t["period"]: t["value"] for t in sheet["totals"]}["2019-02"] == 8
    assert _readings(sheet, "serial_headers")[0]["params"]["first"] == "2019-01-01"
    assert sheet["metrics"] == ["门店销售"]  # named after the sheet, which names it


def test_iso_weeks_are_stored_on_their_monday_and_said(files, run_import, query):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Weekly"
    ws.append(["Week", "Sales"])
    for w, v in (("2024-W04", 10), ("2024-W05", 20), ("2024-W06", 30)):  # W05 starts on Monday 29 January
        ws.append([w, v])
    rc, result = run_import(_save(wb, files / "weeks.xlsx"))
    assert rc == 0, result
    sheet = result["sheets"][0]
    assert sheet["periods"] == ["2024-01-22", "2024-01-29", "2024-02-05"]
    # no week is taken for a totals row: 30 = 10 + 20, but 2024-W06 is a week of its own
    assert sum(t["value"] for t in sheet["totals"]) == 60
    weeks = _readings(sheet, "weeks_on_monday")
    assert weeks and weeks[0]["strength"] == "weak"
    rows = query("series", "--metric", "Sales")["rows"]
    assert _value(rows, "2024-01") == 30 and _value(rows, "2024-02") == 30


def test_a_time_sorted_export_is_a_transaction_list_though_its_first_rows_cover_two_days(files, run_import, query):
    """12,000 till lines over 60 days, oldest first: the first 300 rows the layout is read from hold two days."""
    import datetime as dt

    path = files / "till.csv"
    lines, amounts = ["日期,门店,商品,金额"], {}
    for i in range(12_000):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=i * 60 // 12_000)
        amount = 10 + i % 37
        amounts[day.isoformat()[:7]] = amounts.get(day.isoformat()[:7], 0) + amount
        lines.append(f"{day.isoformat()},{['上海店', '北京店'][i % 2]},{['咖啡', '茶', '蛋糕'][i % 3]},{amount}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rc, result = run_import(str(path))
    assert rc == 0, result
    sheet = result["sheets"][0]
    assert sheet["shape"] == "transactions" and sheet["source_rows"] == 12_000, sheet
    rows = query("series", "--metric", "金额")["rows"]
    assert _value(rows, "2024-01") == amounts["2024-01"] and _value(rows, "2024-02") == amounts["2024-02"]


# ------------------------------------------------------------------ 11. the preview says why, in both languages


def test_every_reading_reads_in_both_languages(files, run_import):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Orders"
    _orders(ws)
    copy = wb.create_sheet("Copy")
    _orders(copy)
    rc, result = run_import(_save(wb, files / "both.xlsx"))
    readings = [r for s in result["sheets"] for r in s["readings"]]
    assert {r["decision"] for r in readings} >= {"helper_copy", "order_column"}
    for r in readings:
        for lang in ("zh", "en"):
            text = reading_text(r, lang)
            assert text and "{" not in text and not text.startswith("reading."), (lang, r, text)
