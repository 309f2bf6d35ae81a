"""Messy real-world workbooks (issue 2): titles, totals, text numbers, error cells, odd dates,
odd headers, several tables, hidden/empty sheets, CSV encodings, re-import and replace."""

from __future__ import annotations

import re
import shutil

import fixtures_build as fb
import pytest


def _import_one(run_import, helpers, path, truth, *args, db=None):
    rc, result = run_import(path, *args, db=db)
    assert rc == 0, result
    assert result["status"] == "imported", result
    sheet = helpers.sheet_by_name(result, truth.sheet) if truth.sheet else helpers.only_sheet(result)
    return result, sheet


# --------------------------------------------------------------------------- layout noise


def test_title_and_note_rows_above_header(files, run_import, db_path, helpers):
    path, truth = fb.build_title_and_notes(files)
    result, sheet = _import_one(run_import, helpers, path, truth)
    helpers.check_sheet(sheet, truth)
    helpers.check_db(db_path, result["import_id"], truth)


@pytest.mark.parametrize("variant", ["labelled", "unlabelled"])
def test_totals_row_excluded_and_reconciled(variant, files, run_import, db_path, helpers):
    path, truth = fb.build_totals_row(files, variant)
    result, sheet = _import_one(run_import, helpers, path, truth)
    metric = helpers.check_sheet(sheet, truth)  # rows, totals: the 合计 row is not in them
    helpers.check_db(db_path, result["import_id"], truth, metric_name=metric)
    rec = [r for r in sheet["reconciliation"] if r["kind"] == "row"]
    assert {r["period"] for r in rec} == set(truth.row_totals), rec
    for r in rec:
        assert r["metric"] == metric and r["scenario"] == "actual", r
        assert r["status"] == "match", r
        assert r["sheet_total"] == pytest.approx(truth.row_totals[r["period"]], abs=1e-6)
        assert r["imported_total"] == pytest.approx(
            truth.totals(metric)[(metric, "actual", r["period"])], abs=1e-6
        )
        assert abs(r["difference"]) <= 0.005, r
        assert r["message"].strip()


def _refused_then_accepted(run_import, helpers, path, truth, db_path):
    """A sheet that differs from its own totals is not stored until the mismatch is accepted."""
    import duckdb

    rc, refused = run_import(path)
    assert rc == 4 and refused["status"] == "mismatch" and refused["import_id"] is None, refused
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM fact_rows").fetchone()[0] == 0  # nothing stored
    assert refused["sheets"][0]["mismatch"]["message"], refused
    return _import_one(run_import, helpers, path, truth, "--accept-mismatch")


def test_totals_row_mismatch_is_reported(files, run_import, helpers, db_path):
    path, truth = fb.build_totals_row(files, "mismatch")
    result, sheet = _refused_then_accepted(run_import, helpers, path, truth, db_path)
    metric = helpers.check_sheet(sheet, truth)
    rec = {r["period"]: r for r in sheet["reconciliation"] if r["kind"] == "row"}
    assert set(rec) == {"2026-01", "2026-02", "2026-03"}, sheet["reconciliation"]
    assert rec["2026-01"]["status"] == "match" and rec["2026-03"]["status"] == "match"
    bad = rec["2026-02"]
    imported = truth.totals(metric)[(metric, "actual", "2026-02")]
    assert bad["status"] == "mismatch", bad
    assert bad["sheet_total"] == pytest.approx(imported + 10, abs=1e-6)
    assert bad["imported_total"] == pytest.approx(imported, abs=1e-6)
    # The sign convention is not pinned: imported − sheet (recommended) or sheet − imported.
    assert abs(bad["difference"]) == pytest.approx(10, abs=1e-6)
    assert bad["difference"] == pytest.approx(bad["imported_total"] - bad["sheet_total"], abs=1e-6) or bad[
        "difference"
    ] == pytest.approx(bad["sheet_total"] - bad["imported_total"], abs=1e-6)
    assert "10" in bad["message"], bad


def _column_totals_views(truth) -> tuple[list[float], list[float]]:
    """The sheet's totals column seen per row, and summed per metric."""
    per_row = sorted(round(v, 2) for _dims, _metric, v in truth.column_totals)
    per_metric: dict[str, float] = {}
    for _dims, metric, v in truth.column_totals:
        per_metric[metric] = per_metric.get(metric, 0.0) + v
    return per_row, sorted(round(v, 2) for v in per_metric.values())


def test_totals_column_excluded_and_reconciled(files, run_import, db_path, helpers):
    path, truth = fb.build_totals_column(files)
    result, sheet = _import_one(run_import, helpers, path, truth)
    helpers.check_sheet(sheet, truth)  # 12 months per row, 全年 is not a period
    helpers.check_db(db_path, result["import_id"], truth)
    rec = [r for r in sheet["reconciliation"] if r["kind"] == "column"]
    assert rec, sheet["reconciliation"]
    assert all(r["status"] == "match" and r["message"].strip() for r in rec), rec
    # One entry per row, or one per metric (its metric named); never a sum across
    # metrics of different units (万元 + 人).
    per_row, per_metric = _column_totals_views(truth)
    got = sorted(round(r["sheet_total"], 2) for r in rec)
    assert got in (per_row, per_metric), rec
    if got == per_metric and got != per_row:
        assert sorted(r["metric"] for r in rec) == ["新增客户", "销售额"], rec


def test_totals_column_mismatch_is_reported(files, run_import, helpers, db_path):
    path, truth = fb.build_totals_column(files, mismatch=True)
    _result, sheet = _refused_then_accepted(run_import, helpers, path, truth, db_path)
    helpers.check_sheet(sheet, truth)
    rec = [r for r in sheet["reconciliation"] if r["kind"] == "column"]
    bad = [r for r in rec if r["status"] == "mismatch"]
    assert len(bad) == 1, rec
    assert abs(bad[0]["difference"]) == pytest.approx(5, abs=1e-6), bad
    assert abs(bad[0]["sheet_total"] - bad[0]["imported_total"]) == pytest.approx(5, abs=1e-6), bad
    assert all(r["status"] == "match" for r in rec if r is not bad[0]), rec


def test_rank_serial_and_note_columns_ignored(files, run_import, db_path, helpers):
    path, truth = fb.build_rank_serial_notes(files)
    result, sheet = _import_one(run_import, helpers, path, truth)
    helpers.check_sheet(sheet, truth)
    assert sheet["dimensions"] == ["区域"]
    assert not {"序号", "排名", "备注"} & set(sheet["metrics"])
    helpers.check_db(db_path, result["import_id"], truth)


def test_dimension_codes_keep_leading_zeros(files, run_import, db_path, helpers):
    path, truth = fb.build_store_codes(files)
    result, sheet = _import_one(run_import, helpers, path, truth)
    helpers.check_sheet(sheet, truth)
    helpers.check_db(db_path, result["import_id"], truth)
    codes = {r[0] for r in helpers.query(db_path, "SELECT dims['门店编码'] FROM facts")}
    assert codes == {"0012", "0107", "1020"}


# --------------------------------------------------------------------------- numbers


def test_numbers_as_text_long(files, run_import, db_path, helpers):
    path, truth = fb.build_text_numbers_long(files)
    placeholders = fb.text_number_placeholder_keys()
    result, sheet = _import_one(run_import, helpers, path, truth)
    # Placeholders ("—", "-", "N/A", empty) may be stored as NULL or left out.
    assert truth.rows <= sheet["rows"] <= truth.rows + len(placeholders), sheet
    helpers.check_sheet(sheet, truth, exact_rows=False)  # also: no unparsed_cells / error_cells warning
    rows = helpers.check_db(db_path, result["import_id"], truth, allow_null_keys=placeholders)
    assert len(rows) == sheet["rows"]
    by_key = {helpers.fact_key(r): r["value"] for r in rows}
    assert by_key[fb.key("2026-03", {"区域": "华南"}, "利润")] == -1234
    assert by_key[fb.key("2026-03", {"区域": "华北"}, "留存率")] == pytest.approx(0.85)
    assert by_key[fb.key("2026-03", {"区域": "西南"}, "新增客户")] == 12000
    assert by_key[fb.key("2026-03", {"区域": "华东"}, "营收")] == 300_000_000
    assert by_key[fb.key("2026-03", {"区域": "华南"}, "销售额")] == 1200


def test_numbers_as_text_wide(files, run_import, db_path, helpers):
    """Text columns of numbers are measures, not dimensions."""
    path, truth, placeholders = fb.build_text_numbers_wide(files)
    result, sheet = _import_one(run_import, helpers, path, truth)
    assert truth.rows <= sheet["rows"] <= truth.rows + len(placeholders), sheet
    helpers.check_sheet(sheet, truth, exact_rows=False)
    assert sheet["dimensions"] == ["区域"]
    helpers.check_db(db_path, result["import_id"], truth, allow_null_keys=placeholders)


def test_error_cells_are_null_and_counted(files, run_import, db_path, helpers):
    path, truth, n_errors = fb.build_error_cells(files)
    result, sheet = _import_one(run_import, helpers, path, truth)
    helpers.check_sheet(sheet, truth)  # rows include the 3 NULLs; totals leave them out
    warning = next(w for w in sheet["warnings"] if w["code"] == "error_cells")
    assert re.search(rf"(?<!\d){n_errors}(?!\d)", warning["message"]), warning
    rows = helpers.check_db(db_path, result["import_id"], truth)  # stored as NULL, never 0
    assert sum(r["value"] is None for r in rows) == n_errors
    assert not any(r["value"] == 0 for r in rows)


def test_unparsed_text_is_null_and_counted(files, run_import, db_path, helpers):
    path, truth, bad_keys = fb.build_unparsed_cells(files)
    result, sheet = _import_one(run_import, helpers, path, truth)
    assert truth.rows <= sheet["rows"] <= truth.rows + len(bad_keys), sheet
    helpers.check_sheet(sheet, truth, exact_rows=False)
    warning = next(w for w in sheet["warnings"] if w["code"] == "unparsed_cells")
    assert re.search(rf"(?<!\d){len(bad_keys)}(?!\d)", warning["message"]), warning
    helpers.check_db(db_path, result["import_id"], truth, allow_null_keys=bad_keys)


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize("form", sorted(fb.DATE_FORMS))
def test_date_forms(form, files, run_import, db_path, helpers):
    path, truth = fb.build_date_form(files, form)
    result, sheet = _import_one(run_import, helpers, path, truth)
    helpers.check_sheet(sheet, truth)  # no year_assumed either: the year is in the cells or the sheet name
    assert sheet["periods"] == fb.DATE_FORMS[form][3]
    helpers.check_db(db_path, result["import_id"], truth)


# --------------------------------------------------------------------------- headers, rows, tables, sheets


def test_blank_and_duplicate_headers(files, run_import, db_path, helpers):
    path, truth = fb.build_blank_and_duplicate_headers(files)
    result, sheet = _import_one(run_import, helpers, path, truth)
    codes = helpers.warning_codes(sheet)
    assert {"duplicate_headers", "blank_headers"} <= codes, sheet["warnings"]
    assert sheet["shape"] == "wide_measure"
    assert sheet["periods"] == ["2026-06"]
    assert {"销售额", "新增客户"} <= set(sheet["metrics"])
    totals = {(t["metric"], t["scenario"], t["period"]): t["value"] for t in sheet["totals"]}
    for k, v in truth.totals().items():
        assert totals[k] == pytest.approx(v), k  # 销售额 is the first of the two columns
    stored = {helpers.fact_key(r): r["value"] for r in helpers.stored_facts(db_path, result["import_id"])}
    for k, v in truth.values.items():
        assert stored[k] == pytest.approx(v), k


def test_blank_rows_in_the_middle(files, run_import, db_path, helpers):
    path, truth = fb.build_blank_rows_middle(files)
    result, sheet = _import_one(run_import, helpers, path, truth)
    helpers.check_sheet(sheet, truth)
    assert "extra_tables" not in helpers.warning_codes(sheet)
    helpers.check_db(db_path, result["import_id"], truth)


def test_two_tables_on_one_sheet(files, run_import, db_path, helpers):
    path, truth = fb.build_two_tables(files)
    result, sheet = _import_one(run_import, helpers, path, truth)
    helpers.check_sheet(sheet, truth)  # the main table only: 12 values, no 渠道/占比
    assert "占比" not in sheet["metrics"] and "渠道" not in sheet["dimensions"]
    helpers.check_db(db_path, result["import_id"], truth)


def test_hidden_and_empty_sheets_skipped(files, run_import, db_path, helpers):
    path, truth = fb.build_hidden_and_empty(files)
    result, sheet = _import_one(run_import, helpers, path, truth)
    assert [s["sheet"] for s in result["sheets"]] == ["旧数据", "空白", "销售"], (
        "every sheet listed, in order"
    )
    hidden = helpers.sheet_by_name(result, "旧数据")
    empty = helpers.sheet_by_name(result, "空白")
    assert (hidden["status"], hidden["skip_reason"]) == ("skipped", "hidden")
    assert (empty["status"], empty["skip_reason"]) == ("skipped", "empty")
    helpers.check_sheet(sheet, truth)
    helpers.check_db(db_path, result["import_id"], truth)
    assert helpers.query(db_path, "SELECT DISTINCT sheet_name FROM facts") == [("销售",)]


def test_text_only_sheet_beside_good_sheet_does_not_block(files, run_import, db_path, helpers):
    path, truth = fb.build_good_and_text_sheets(files)
    result, sheet = _import_one(run_import, helpers, path, truth)
    helpers.check_sheet(sheet, truth)
    notes = helpers.sheet_by_name(result, "问题清单")
    assert notes["status"] in ("skipped", "error"), notes  # not pinned which
    helpers.check_db(db_path, result["import_id"], truth)


# --------------------------------------------------------------------------- CSV encodings


def _comparable(sheet: dict) -> dict:
    keep = ("status", "shape", "rows", "periods", "dimensions", "metrics", "scenarios")
    out = {k: sheet[k] for k in keep}
    out["totals"] = sorted(
        (t["metric"], t["scenario"], t["period"], round(t["value"], 6)) for t in sheet["totals"]
    )
    return out


def test_csv_encodings_give_identical_results(tmp_path, run_import, helpers):
    seen = {}
    for encoding in ("utf-8", "utf-8-sig", "gbk", "gb18030"):
        path, truth = fb.build_csv(tmp_path / "files", encoding)
        db = tmp_path / f"{encoding}.duckdb"
        rc, result = run_import(path, db=db)
        assert rc == 0, (encoding, result)
        assert result["status"] == "imported", (encoding, result)
        sheet = helpers.only_sheet(result)
        helpers.check_sheet(sheet, truth)
        helpers.check_db(db, result["import_id"], truth)
        seen[encoding] = _comparable(sheet)
    first = seen["utf-8"]
    for encoding, got in seen.items():
        assert got == first, encoding


def test_csv_gb18030_beyond_gbk(files, run_import, db_path, helpers):
    path, truth = fb.build_csv_gb18030_rare(files)
    result, sheet = _import_one(run_import, helpers, path, truth)
    helpers.check_sheet(sheet, truth)
    helpers.check_db(db_path, result["import_id"], truth)
    owners = {r[0] for r in helpers.query(db_path, "SELECT dims['负责人'] FROM facts")}
    assert "李𠮷" in owners


# --------------------------------------------------------------------------- units


def test_units_kept(files, run_import, db_path, helpers):
    path, truth = fb.build_wide_measure(files)
    _import_one(run_import, helpers, path, truth)
    assert helpers.query(db_path, "SELECT DISTINCT unit FROM facts WHERE metric = '销售额'") == [("万元",)]
    assert helpers.query(db_path, "SELECT DISTINCT unit FROM facts WHERE metric = '满意度'") == [(None,)]


# --------------------------------------------------------------------------- re-import and replace


def test_same_file_twice_is_already_imported(files, run_import, db_path, helpers):
    path, truth = fb.build_wide_measure(files)
    first, _sheet = _import_one(run_import, helpers, path, truth)
    before = helpers.counts(db_path)
    rc, again = run_import(path)
    assert rc == 0, again
    assert again["status"] == "already_imported"
    assert again["message"] and again["message"].strip()
    assert again["import_id"] in (None, first["import_id"])
    assert helpers.counts(db_path) == before

    # The same bytes under another name are the same file.
    copy = files / "copy" / "本月指标.xlsx"
    copy.parent.mkdir()
    shutil.copyfile(path, copy)
    rc, third = run_import(copy)
    assert rc == 0 and third["status"] == "already_imported", third
    assert helpers.counts(db_path) == before


def test_overlapping_file_replaces_earlier_values(files, run_import, db_path, helpers):
    p1, t1, p2, t2 = fb.build_overlap_pair(files)
    r1, _s1 = _import_one(run_import, helpers, p1, t1)
    r2, s2 = _import_one(run_import, helpers, p2, t2)
    helpers.check_sheet(s2, t2)
    id1, id2 = r1["import_id"], r2["import_id"]
    assert id1 != id2

    current = {
        helpers.fact_key(r): r["value"]
        for imp in (id1, id2)
        for r in helpers.stored_facts(db_path, imp, current_only=True)
    }
    expected = {k: v for k, v in t1.values.items() if k[0] != "2026-03"} | t2.values
    assert current.keys() == expected.keys()
    for k, v in expected.items():
        assert current[k] == pytest.approx(v), k

    per_period = dict(
        helpers.query(
            db_path,
            "SELECT strftime(period, '%Y-%m'), count(*) FROM current_facts WHERE metric = '销售额' GROUP BY 1",
        )
    )
    assert per_period == {"2026-01": 2, "2026-02": 2, "2026-03": 2, "2026-04": 2}

    for r in helpers.stored_facts(db_path, id1):
        if r["period"] == "2026-03":
            assert r["replaced_by"] == id2, r
        else:
            assert r["replaced_by"] is None, r
    assert all(r["replaced_by"] is None for r in helpers.stored_facts(db_path, id2))


# --------------------------------------------------------------------------- other periods beside this one


def _monthly_report(path, rows, header):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2026年5月"
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_last_years_and_last_months_columns_are_not_added_to_this_month(tmp_path, run_import, db_path, helpers):
    """区域 · 本月销售额 · 上年同期 · 同比 · 上月 · 环比 · a 合计 row: only 本月 is May's sales; the others
    were stored as metrics of May (上年同期 = 250 'in May 2026') and the 同比 cell of the 合计 row
    made the sheet 'differ from its own totals'."""
    path = _monthly_report(tmp_path / "月报.xlsx", [
        ["华东", 120, 100, "20.0%", 110, "9.1%"],
        ["华南", 90, 100, "-10.0%", 95, "-5.3%"],
        ["华北", 60, 50, "20.0%", 62, "-3.2%"],
        ["合计", 270, 250, "8.0%", 267, "1.1%"],
    ], ["区域", "本月销售额", "上年同期", "同比", "上月", "环比"])
    rc, result = run_import(path)
    assert rc == 0 and result["status"] == "imported", result
    sheet = helpers.only_sheet(result)
    assert sheet["metrics"] == ["销售额"]
    assert sheet["totals"] == [{"metric": "销售额", "scenario": "actual", "period": "2026-05", "value": 270.0}]
    assert sheet["reconciled"] == "match"
    decided = {r["decision"] for r in sheet["readings"]}
    assert {"prior_period_column", "comparison_column"} <= decided
    stored = helpers.query(db_path, "SELECT metric, sum(value) FROM current_facts GROUP BY 1")
    assert stored == [("销售额", 270.0)]


def test_this_and_previous_period_columns_of_a_kpi_list(tmp_path, run_import, db_path, helpers):
    """指标 · 本期 · 上期 · 环比增长率 · 去年同期 · 同比增长率: 新增客户 was stored as 330.291 (120 + 110 + 100
    + 9.1% + 20%) — every column added into this period."""
    path = _monthly_report(tmp_path / "kpi.xlsx", [
        ["销售额（万元）", 560, 520, "7.7%", 480, "16.7%"],
        ["新增客户", 120, 110, "9.1%", 100, "20%"],
    ], ["指标", "本期", "上期", "环比增长率", "去年同期", "同比增长率"])
    rc, result = run_import(path)
    assert rc == 0 and result["status"] == "imported", result
    got = {t["metric"]: t["value"] for t in helpers.only_sheet(result)["totals"]}
    assert got == {"销售额": 560.0, "新增客户": 120.0}


def test_a_totals_column_saved_without_values_is_not_a_mismatch(tmp_path, run_import, db_path, helpers):
    """A workbook written by a script keeps =SUM(...) without cached values: the 合计 column read as 0
    made the import refuse ('the sheet says 0'). Unreadable totals are no check; readable ones still are."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2025年"
    ws.append(["区域", "1月", "2月", "3月", "合计"])
    ws.append(["华东", 10, 20, 30, "=SUM(B2:D2)"])
    ws.append(["华南", 1, 2, 3, "=SUM(B3:D3)"])
    ws.append(["华北", 5, 5, 5, 16])  # a typed total that is wrong by 1: still caught
    path = tmp_path / "generated.xlsx"
    wb.save(path)
    rc, refused = run_import(path)
    assert rc == 4 and refused["status"] == "mismatch", refused
    check = [r for r in helpers.only_sheet(refused)["reconciliation"] if r["kind"] == "column"]
    assert [(r["sheet_total"], r["imported_total"]) for r in check] == [(16.0, 15.0)]  # only 华北 is checked

    ws["E4"] = "=SUM(B4:D4)"
    wb.save(path)
    rc, result = run_import(path)
    assert rc == 0 and result["status"] == "imported", result
    sheet = helpers.only_sheet(result)
    assert sheet["reconciled"] == "unchecked"
    assert sum(t["value"] for t in sheet["totals"]) == 81.0
    assert any(w["code"] == "uncached_formulas" for w in sheet["warnings"])


def test_quarter_columns_among_the_months_are_not_stored_beside_them(tmp_path, run_import, db_path, helpers):
    """门店 · 1月 2月 3月 Q1 4月 … Q4 · 全年: the Q columns were stored as quarter values beside the months
    (984 = twice the year) and the 全年 check then refused the sheet."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2025"
    header = ["门店"]
    for q in range(4):
        header += [f"{3 * q + m + 1}月" for m in range(3)] + [f"Q{q + 1}"]
    ws.append(header + ["全年"])
    for store, base in (("一店", 10), ("二店", 20)):
        row, year = [store], 0
        for q in range(4):
            months = [base + 3 * q + m for m in range(3)]
            row += months + [sum(months)]
            year += sum(months)
        ws.append(row + [year])
    path = tmp_path / "门店月度.xlsx"
    wb.save(path)
    rc, result = run_import(path)
    assert rc == 0 and result["status"] == "imported", result
    sheet = helpers.only_sheet(result)
    assert sheet["reconciled"] == "match"
    assert {t["period"] for t in sheet["totals"]} == {f"2025-{m:02d}" for m in range(1, 13)}
    assert sum(t["value"] for t in sheet["totals"]) == 492.0
    assert sum(r["decision"] == "period_subtotal_column" for r in sheet["readings"]) == 4
    assert helpers.query(db_path, "SELECT count(*) FROM current_facts WHERE grain <> 'month'") == [(0,)]


def test_target_actual_and_attainment_rows_under_each_metric(tmp_path, run_import, db_path, helpers):
    """指标 · 类别 (目标 / 实际 / 达成率) · 1月 2月 3月: every row was stored as actual and added up
    (销售额 660.978 = targets + actuals + rates); now a plan, an actual, and the rates left out."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2026"
    ws.append(["指标", "类别", "1月", "2月", "3月"])
    ws.append(["销售额", "目标", 100, 110, 120])
    ws.append([None, "实际", 95, 115, 118])
    ws.append([None, "达成率", "95%", "104.5%", "98.3%"])
    ws.append(["新客数", "目标", 50, 50, 60])
    ws.append([None, "实际", 48, 52, 61])
    ws.append([None, "达成率", "96%", "104%", "101.7%"])
    path = tmp_path / "目标完成.xlsx"
    wb.save(path)
    rc, result = run_import(path)
    assert rc == 0 and result["status"] == "imported", result
    sheet = helpers.only_sheet(result)
    got: dict = {}
    for t in sheet["totals"]:
        got[(t["metric"], t["scenario"])] = got.get((t["metric"], t["scenario"]), 0) + t["value"]
    assert got == {("销售额", "plan"): 330, ("销售额", "actual"): 328, ("新客数", "plan"): 160, ("新客数", "actual"): 161}
    assert any(r["decision"] == "ratio_rows" for r in sheet["readings"])


def test_an_average_columns_totals_cell_is_not_checked_as_a_sum(tmp_path, run_import, db_path, helpers):
    """序号 · 门店 · 销售额 · 客流量 · 客单价 with the 合计 row right under the header: its 客单价 is 3000 / 150
    = 20, not 20 + 20 + 20; the sheet was refused as 'differing from its own totals'."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2026年2月"
    ws.append(["序号", "门店", "销售额", "客流量", "客单价"])
    ws.append([None, "合计", 3000, 150, 20])
    for i, (store, sales, visits) in enumerate((("A店", 1000, 50), ("B店", 1200, 60), ("C店", 800, 40))):
        ws.append([i + 1, store, sales, visits, round(sales / visits, 2)])
    path = tmp_path / "门店.xlsx"
    wb.save(path)
    rc, result = run_import(path)
    assert rc == 0 and result["status"] == "imported", result
    sheet = helpers.only_sheet(result)
    assert sheet["reconciled"] == "match"
    assert {r["column"] for r in sheet["reconciliation"]} == {"销售额", "客流量"}  # the sums still checked
    got = {t["metric"]: t["value"] for t in sheet["totals"]}
    assert got["销售额"] == 3000 and got["客流量"] == 150


def test_two_years_side_by_side_under_merged_year_headers(tmp_path, run_import, db_path, helpers):
    """区域 · 2025年 (merged over 1月…12月) · 2026年 (merged over 1月…12月), with a 合计 row: every month
    of both years, each region's cells where they stand; before, all 24 columns were 'the year'."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "销售额"
    ws.append(["区域", "2025年", *[None] * 11, "2026年", *[None] * 11])
    ws.merge_cells(start_row=1, start_column=2, end_row=1, end_column=13)
    ws.merge_cells(start_row=1, start_column=14, end_row=1, end_column=25)
    ws.append([None, *[f"{m}月" for m in range(1, 13)] * 2])
    east, south = [100 + m for m in range(24)], [50 + 2 * m for m in range(24)]
    ws.append(["华东", *east])
    ws.append(["华南", *south])
    ws.append(["合计", *[a + b for a, b in zip(east, south, strict=True)]])
    path = tmp_path / "两年.xlsx"
    wb.save(path)
    rc, result = run_import(path)
    assert rc == 0 and result["status"] == "imported", result
    rows = helpers.query(db_path, "SELECT strftime(period, '%Y-%m'), grain, dims['区域'], value FROM facts "
                                  "WHERE replaced_by IS NULL ORDER BY 1, 3")
    months = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)]
    assert {r[1] for r in rows} == {"month"}
    assert [(r[0], r[2], r[3]) for r in rows] == [
        x for i, mo in enumerate(months) for x in ((mo, "华东", east[i]), (mo, "华南", south[i]))]
    assert helpers.only_sheet(result)["reconciled"] == "match"


def test_a_percentage_row_under_a_title_unit_is_a_percentage(tmp_path, run_import, db_path, helpers):
    """'2026年1-3月运营指标（单位：万元）' over 营收, 毛利率 ('35%', '36%', '34%') and 订单数: 毛利率 was
    stored as 0.35 万元, and every page showed it so."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "KPI"
    ws.append(["2026年1-3月运营指标（单位：万元）"])
    ws.append(["指标", "1月", "2月", "3月"])
    ws.append(["营收", 100, 120, 130])
    ws.append(["毛利率", "35%", "36%", "34%"])
    path = tmp_path / "运营指标.xlsx"
    wb.save(path)
    rc, result = run_import(path)
    assert rc == 0 and result["status"] == "imported", result
    got = {(r[0], r[1]): r[2] for r in helpers.query(
        db_path, "SELECT metric, unit, round(sum(value), 6) FROM fact_rows WHERE replaced_by IS NULL GROUP BY ALL")}
    assert got == {("营收", "万元"): 350, ("毛利率", "%"): 1.05}
    assert any(r["decision"] == "percent_despite_title_unit" for r in helpers.only_sheet(result)["readings"])


def test_tables_stacked_under_their_own_titles_are_their_own_metrics(tmp_path, run_import, db_path, helpers):
    """'销售额（万元）' over 区域 · 1月 · 2月 · 3月, then '成本（万元）' over the same header: the cost rows were
    added into 销售额 (华东 517 = 330 sales + 187 cost). A title over two lines ('月报' over '华东')
    names no section: its later lines stay what they were."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "月报"
    for title, east, south in (("销售额（万元）", [100, 110, 120], [80, 85, 90]), ("成本（万元）", [60, 62, 65], [50, 52, 55])):
        ws.append([title])
        ws.append(["区域", "1月", "2月", "3月"])
        ws.append(["华东", *east])
        ws.append(["华南", *south])
        ws.append(["合计", *[a + b for a, b in zip(east, south, strict=True)]])
        ws.append([])
    path = tmp_path / "2026年月报.xlsx"
    wb.save(path)
    rc, result = run_import(path)
    assert rc == 0 and result["status"] == "imported", result
    got = {(r[0], r[1], r[2]): r[3] for r in helpers.query(
        db_path, "SELECT metric, unit, dims['区域'], sum(value) FROM facts WHERE replaced_by IS NULL GROUP BY ALL")}
    assert got == {("销售额", "万元", "华东"): 330, ("销售额", "万元", "华南"): 255,
                   ("成本", "万元", "华东"): 187, ("成本", "万元", "华南"): 157}
    sheet = helpers.only_sheet(result)
    assert any(r["decision"] == "section_metrics" for r in sheet["readings"])
    # each table's 合计 checks its own rows under its own name (not 290 = 180 + 110 as 销售额's January)
    checks = {(e["metric"], e["period"]): e["sheet_total"] for e in sheet["reconciliation"] if e["kind"] == "row"}
    assert checks == {("销售额", "2026-01"): 180, ("销售额", "2026-02"): 195, ("销售额", "2026-03"): 210,
                      ("成本", "2026-01"): 110, ("成本", "2026-02"): 114, ("成本", "2026-03"): 120}
    assert sheet["reconciled"] == "match"

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "门店"
    ws.append(["2026年销售额月报"])
    for region, a, b in (("华东", [10, 11, 12], [20, 21, 22]), ("华南", [30, 31, 32], [40, 41, 42])):
        ws.append([region])
        ws.append(["门店", "1月", "2月", "3月"])
        ws.append([f"{region}一店", *a])
        ws.append([f"{region}二店", *b])
    path = tmp_path / "门店月报.xlsx"
    wb.save(path)
    rc, result = run_import(path, db=tmp_path / "regions.duckdb")
    assert rc == 0, result
    assert not any(r["decision"] == "section_metrics" for r in helpers.only_sheet(result)["readings"])
    assert {r[0] for r in helpers.query(tmp_path / "regions.duckdb", "SELECT DISTINCT metric FROM fact_rows")} == {"销售额"}


def test_a_share_column_that_adds_up_to_the_whole_is_no_metric(tmp_path, run_import, db_path, helpers):
    """渠道 · 销售额 · 占比 · 订单数 with 占比 60% / 40% and a 合计 row of 100%: 占比 was stored as a metric of
    its own (and averaged on the pages); a 占比 that does not add up to a whole stays a metric."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2026年3月"
    ws.append(["渠道", "销售额", "占比", "订单数", "线上占比"])
    ws.append(["华东", 600, "60%", 300, "35%"])
    ws.append(["华南", 400, "40%", 100, "42%"])
    ws.append(["合计", 1000, "100%", 400, None])
    path = tmp_path / "渠道.xlsx"
    wb.save(path)
    rc, result = run_import(path)
    assert rc == 0 and result["status"] == "imported", result
    metrics = {r[0] for r in helpers.query(db_path, "SELECT DISTINCT metric FROM fact_rows")}
    assert metrics == {"销售额", "订单数", "线上占比"}
    assert any(r["decision"] == "share_column" and r["params"]["header"] == "占比"
               for r in helpers.only_sheet(result)["readings"])


def test_year_and_month_number_columns_give_each_rows_month(tmp_path, run_import, db_path, helpers):
    """年 · 月 · 门店编号 · 门店 · 销售额 with 月 holding 1, 2, 3: the sheet was refused as having no period
    (月 read as an amount). Beside a date column a month number stays a part of the date."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "门店月度"
    ws.append(["年", "月", "门店编号", "门店", "销售额"])
    sales = {}
    for m in (1, 2, 3):
        for code, store, base in ((10023, "一店", 100), (10057, "二店", 200)):
            ws.append([2025 if m == 1 else 2026, m, code, store, base + m])
            sales[(2025 if m == 1 else 2026, m)] = sales.get((2025 if m == 1 else 2026, m), 0) + base + m
    path = tmp_path / "门店月度.xlsx"
    wb.save(path)
    rc, result = run_import(path)
    assert rc == 0 and result["status"] == "imported", result
    got = {(r[0], r[1]): r[2] for r in helpers.query(
        db_path, "SELECT year(period), month(period), sum(value) FROM fact_rows WHERE metric = '销售额' "
                 "AND grain = 'month' GROUP BY ALL")}
    assert got == sales
    assert {r[0] for r in helpers.query(db_path, "SELECT DISTINCT metric FROM fact_rows")} == {"销售额"}

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "订单"
    ws.append(["日期", "月", "订单号", "金额"])
    for day, amount in ((3, 10.0), (17, 20.0), (28, 30.0)):
        ws.append([f"2026-02-{day:02d}", 2, f"A{day}", amount])
    path = tmp_path / "订单.xlsx"
    wb.save(path)
    rc, result = run_import(path, db=tmp_path / "orders.duckdb")
    assert rc == 0 and result["status"] == "imported", result
    stored = helpers.query(tmp_path / "orders.duckdb", "SELECT metric, day(period), value FROM fact_rows ORDER BY 2")
    assert [(d, v) for _, d, v in stored] == [(3, 10.0), (17, 20.0), (28, 30.0)]  # by day; the 月 column (2, 2, 2) not summed
    assert "月" not in {m for m, _, _ in stored}


@pytest.mark.parametrize(("labels", "month_totals"), [
    (["平均", "最高", "环比"], [360, 370, 390]),
    (["Average", "Max"], [360, 370, 390]),
])
def test_average_and_maximum_rows_under_the_data_are_left_out(tmp_path, run_import, db_path, helpers, labels, month_totals):
    """门店 × 1月…3月, a 合计 row, then 平均 / 最高 / 环比 rows: they were added in (every month a third too
    much), so the sheet was refused as differing from its own totals."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "门店"
    ws.append(["门店", "1月", "2月", "3月"])
    stores = [("A店", 100, 110, 120), ("B店", 200, 190, 180), ("C店", 60, 70, 90)]
    for r in stores:
        ws.append(list(r))
    ws.append(["合计", *month_totals])
    extra = {"平均": [120, 123.33, 130], "Average": [120, 123.33, 130], "最高": [200, 190, 180], "Max": [200, 190, 180],
             "环比": [None, "2.8%", "5.4%"]}
    for label in labels:
        ws.append([label, *extra[label]])
    path = tmp_path / "2026年门店销售.xlsx"
    wb.save(path)
    rc, result = run_import(path)
    assert rc == 0 and result["status"] == "imported", result
    got = [r[1] for r in helpers.query(db_path, "SELECT month(period), sum(value) FROM fact_rows GROUP BY 1 ORDER BY 1")]
    assert got == month_totals
    sheet = helpers.only_sheet(result)
    assert sheet["reconciled"] == "match"
    assert [r["params"]["label"] for r in sheet["readings"] if r["decision"] == "statistic_row"] == labels
