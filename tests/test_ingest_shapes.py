"""The six sheet shapes the importer recognises without help (issue 2), one fixture each.

Each test imports a real .xlsx built by ``fixtures_build`` and compares the CLI's
JSON and the stored rows with the values that were written into the cells.
"""

from __future__ import annotations

import datetime as dt

import fixtures_build as fb
import pytest

# --------------------------------------------------------------------------- 1. long


@pytest.mark.parametrize(
    "builder",
    [fb.build_long_basic, fb.build_long_plan_actual, fb.build_long_scenario_column],
    ids=["metric_value", "plan_actual_columns", "scenario_column"],
)
def test_long(builder, files, run_import, db_path, helpers):
    path, truth = builder(files)
    rc, result = run_import(path)
    assert rc == 0, result
    assert result["status"] == "imported" and result["file"] == path.name
    assert isinstance(result["import_id"], int)
    assert result["error_code"] is None
    sheet = helpers.only_sheet(result)
    assert sheet["sheet"] == truth.sheet
    helpers.check_sheet(sheet, truth)
    helpers.check_db(db_path, result["import_id"], truth)


def test_long_scenarios_are_normalised(files, run_import):
    """Actuals/Budget/Forecast -> actual/plan/forecast; the scenario column is not a dimension."""
    path, truth = fb.build_long_scenario_column(files)
    _rc, result = run_import(path)
    sheet = result["sheets"][0]
    assert sheet["scenarios"] == ["actual", "forecast", "plan"]
    assert "场景" not in sheet["dimensions"] and "指标" not in sheet["dimensions"]


# --------------------------------------------------------------------------- 2. wide by period


@pytest.mark.parametrize(
    "builder",
    [
        fb.build_wide_cn_months,
        fb.build_wide_en_months_year_column,
        fb.build_wide_iso_months,
        fb.build_wide_quarters,
        fb.build_wide_date_headers,
        fb.build_wide_year_from_filename,
    ],
    ids=[
        "cn_months_year_in_sheet",
        "en_months_year_column",
        "iso_headers",
        "quarters",
        "date_headers",
        "year_in_file",
    ],
)
def test_wide_by_period(builder, files, run_import, db_path, helpers):
    path, truth = builder(files)
    rc, result = run_import(path)
    assert rc == 0, result
    assert result["status"] == "imported"
    sheet = helpers.sheet_by_name(result, truth.sheet)
    metric = helpers.check_sheet(sheet, truth)
    helpers.check_db(db_path, result["import_id"], truth, metric_name=metric)


def test_wide_quarters_stored_as_quarter_grain(files, run_import, db_path, helpers):
    path, truth = fb.build_wide_quarters(files)
    _rc, result = run_import(path)
    assert result["sheets"][0]["periods"] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    rows = helpers.query(db_path, "SELECT DISTINCT period, grain FROM facts ORDER BY period")
    assert rows == [(dt.date(2026, m, 1), "quarter") for m in (1, 4, 7, 10)]


def test_wide_year_column_is_not_a_measure(files, run_import):
    path, _truth = fb.build_wide_en_months_year_column(files)
    _rc, result = run_import(path)
    sheet = result["sheets"][0]
    assert sheet["metrics"] == ["销售额"]
    assert "年份" not in sheet["dimensions"]


def test_wide_months_without_year_assume_current_year(files, run_import, db_path, helpers):
    path, truth = fb.build_wide_no_year(files, expect_year=helpers.current_year)
    truth.warnings = {"year_assumed"}
    rc, result = run_import(path)
    assert rc == 0, result
    sheet = helpers.only_sheet(result)
    helpers.check_sheet(sheet, truth)
    helpers.check_db(db_path, result["import_id"], truth)
    msg = next(w["message"] for w in sheet["warnings"] if w["code"] == "year_assumed")
    assert str(helpers.current_year) in msg, "the warning states which year was assumed"


def test_wide_months_without_year_take_year_option(files, run_import, db_path, helpers):
    path, truth = fb.build_wide_no_year(files, expect_year=2024)
    rc, result = run_import(path, "--year", "2024")
    assert rc == 0, result
    sheet = helpers.only_sheet(result)
    helpers.check_sheet(sheet, truth)  # also: no year_assumed warning
    helpers.check_db(db_path, result["import_id"], truth)


def test_wide_empty_month_columns_are_not_periods(files, run_import, db_path, helpers):
    """A mid-year sheet with 1月…12月 headers but only Jan–Mar filled covers Jan–Mar only."""
    path, truth = fb.build_wide_partial_year(files)
    rc, result = run_import(path)
    assert rc == 0, result
    sheet = helpers.only_sheet(result)
    helpers.check_sheet(sheet, truth)
    assert sheet["periods"] == ["2026-01", "2026-02", "2026-03"]
    helpers.check_db(db_path, result["import_id"], truth)


# --------------------------------------------------------------------------- 3. wide by measure


@pytest.mark.parametrize("fullwidth", [False, True], ids=["ascii_parens", "fullwidth_parens"])
def test_wide_by_measure_with_units(fullwidth, files, run_import, db_path, helpers):
    path, truth = fb.build_wide_measure(files, fullwidth=fullwidth)
    rc, result = run_import(path)
    assert rc == 0, result
    sheet = helpers.only_sheet(result)
    helpers.check_sheet(sheet, truth)
    assert sorted(sheet["metrics"]) == ["新增客户", "满意度", "销售额"]
    helpers.check_db(db_path, result["import_id"], truth)
    assert helpers.query(db_path, "SELECT DISTINCT unit FROM facts WHERE metric = '销售额'") == [("万元",)]
    assert helpers.query(db_path, "SELECT DISTINCT unit FROM facts WHERE metric = '新增客户'") == [("人",)]


# --------------------------------------------------------------------------- 4. plan vs actual


@pytest.mark.parametrize(
    "builder",
    [fb.build_plan_actual_merged, fb.build_target_done_pairs, fb.build_budget_actual_en],
    ids=["merged_two_row_header", "target_done_pairs", "budget_actual_english"],
)
def test_plan_vs_actual(builder, files, run_import, db_path, helpers):
    path, truth = builder(files)
    rc, result = run_import(path)
    assert rc == 0, result
    sheet = helpers.only_sheet(result)
    assert sheet["sheet"] == truth.sheet
    helpers.check_sheet(sheet, truth)
    assert sheet["scenarios"] == ["actual", "plan"]
    helpers.check_db(db_path, result["import_id"], truth)


def test_plan_vs_actual_merged_header_values(files, run_import, db_path, helpers):
    """Spot check one cell through SQL: 华东 / 2026-02 / 销售额 / plan (cell E3)."""
    path, truth = fb.build_plan_actual_merged(files)
    _rc, result = run_import(path)
    expected = truth.values[fb.key("2026-02", {"区域": "华东"}, "销售额", "plan")]
    got = helpers.query(
        db_path,
        "SELECT value FROM current_facts WHERE metric = '销售额' AND scenario = 'plan' "
        "AND period = DATE '2026-02-01' AND dims['区域'] = '华东'",
    )
    assert got == [(pytest.approx(expected),)]


# --------------------------------------------------------------------------- 5. transactions


def test_transactions(files, run_import, db_path, helpers):
    path, truth = fb.build_transactions(files)
    rc, result = run_import(path)
    assert rc == 0, result
    sheet = helpers.only_sheet(result)
    assert sheet["status"] == "imported", sheet
    assert sheet["shape"] == "transactions"
    assert sheet["rows"] == 50 == truth.rows
    assert sheet["periods"] == ["2026-01", "2026-02", "2026-03"] == truth.periods
    assert sheet["dimensions"] == ["区域"]
    assert sheet["metrics"] == ["金额"]
    assert sheet["scenarios"] == ["actual"]
    helpers.check_totals(sheet, truth.totals())

    rows = helpers.query(
        db_path,
        "SELECT row_no, txn_date, customer_id, order_id, dims['区域'], measures['金额'], replaced_by "
        "FROM transactions WHERE import_id = ? ORDER BY order_id",
        [result["import_id"]],
    )
    assert len(rows) == 50
    by_order = {r[3]: r for r in rows}
    assert by_order.keys() == {o.order_id for o in truth.orders}
    for o in truth.orders:
        _row_no, day, customer, _order, region, amount, replaced_by = by_order[o.order_id]
        assert day == o.date, o
        assert customer == o.customer_id, o  # text, leading zeros kept: "0012"
        assert region == o.region, o
        assert amount == pytest.approx(o.amount), o
        assert replaced_by is None
    assert len({r[0] for r in rows}) == 50, "row_no identifies each row"
    assert "0012" in {r[2] for r in rows}


def test_transactions_monthly_sums_in_sql(files, run_import, db_path, helpers):
    path, truth = fb.build_transactions(files)
    _rc, result = run_import(path)
    got = dict(
        helpers.query(
            db_path,
            "SELECT strftime(txn_date, '%Y-%m'), sum(measures['金额']) FROM current_transactions GROUP BY 1",
        )
    )
    expected = {p: v for (_m, _s, p), v in truth.totals().items()}
    assert got.keys() == expected.keys()
    for p, v in expected.items():
        assert got[p] == pytest.approx(v, abs=1e-6)


# --------------------------------------------------------------------------- 6. snapshot


def test_snapshot_needs_period(files, run_import, db_path, helpers):
    path, _truth = fb.build_snapshot(files)
    rc, result = run_import(path)
    sheet = helpers.only_sheet(result)
    assert sheet["status"] == "error", sheet
    assert sheet["error"]["code"] == "needs_period"
    assert sheet["error"]["message"].strip()
    # Nothing could be imported from the file: it is a bad input as a whole.
    assert rc == 2, result
    assert result["status"] == "error"
    assert result["error_code"] == "needs_period"
    assert helpers.counts(db_path)["facts"] == 0


def test_snapshot_with_period_option(files, run_import, db_path, helpers):
    path, truth = fb.build_snapshot(files, period="2026-10")
    rc, result = run_import(path, "--period", "2026-10")
    assert rc == 0, result
    sheet = helpers.only_sheet(result)
    helpers.check_sheet(sheet, truth)
    helpers.check_db(db_path, result["import_id"], truth)


# --------------------------------------------------------------------------- CLI options


def test_dry_run_analyses_and_stores_nothing(files, run_import, seeded_db, helpers):
    path, truth = fb.build_long_basic(files)
    rc, result = run_import(path, "--dry-run", db=seeded_db.path)
    assert rc == 0, result
    assert result["status"] == "dry_run"
    assert result["import_id"] is None
    sheet = helpers.only_sheet(result)
    assert sheet["shape"] == truth.shape
    assert sheet["rows"] == truth.rows
    assert sheet["periods"] == truth.periods
    helpers.check_totals(sheet, truth.totals())
    assert helpers.counts(seeded_db.path) == seeded_db.counts


def test_sheet_option_imports_only_that_sheet(files, run_import, db_path, helpers):
    path, truths = fb.build_two_good_sheets(files)
    rc, result = run_import(path, "--sheet", "客户")
    assert rc == 0, result
    helpers.check_sheet(helpers.sheet_by_name(result, "客户"), truths["客户"])
    assert all(s["status"] != "imported" for s in result["sheets"] if s["sheet"] != "客户")
    assert helpers.query(db_path, "SELECT DISTINCT sheet_name FROM facts") == [("客户",)]
    helpers.check_db(db_path, result["import_id"], truths["客户"])


# --------------------------------------------------------------------------- the fixtures themselves


def test_fixtures_open_with_calamine(tmp_path):
    """Guard against fixture bugs: every workbook opens with python-calamine and holds the truth's numbers."""
    from python_calamine import CalamineWorkbook

    builders = [
        fb.build_long_basic,
        fb.build_long_plan_actual,
        fb.build_long_scenario_column,
        fb.build_wide_cn_months,
        fb.build_wide_en_months_year_column,
        fb.build_wide_iso_months,
        fb.build_wide_quarters,
        fb.build_wide_date_headers,
        lambda d: fb.build_wide_no_year(d, 2026),
        fb.build_wide_year_from_filename,
        fb.build_wide_partial_year,
        fb.build_wide_measure,
        fb.build_plan_actual_merged,
        fb.build_target_done_pairs,
        fb.build_budget_actual_en,
        fb.build_snapshot,
        fb.build_title_and_notes,
        lambda d: fb.build_totals_row(d, "labelled"),
        lambda d: fb.build_totals_row(d, "unlabelled"),
        lambda d: fb.build_totals_row(d, "mismatch"),
        fb.build_totals_column,
        fb.build_rank_serial_notes,
        fb.build_store_codes,
        fb.build_blank_and_duplicate_headers,
        fb.build_blank_rows_middle,
        fb.build_two_tables,
        fb.build_hidden_and_empty,
        fb.build_good_and_text_sheets,
        *[lambda d, f=form: fb.build_date_form(d, f) for form in fb.DATE_FORMS],
        lambda d: fb.build_error_cells(d)[:2],
        lambda d: fb.build_unparsed_cells(d)[:2],
    ]
    for i, builder in enumerate(builders):
        path, truth = builder(tmp_path / str(i))
        wb = CalamineWorkbook.from_path(str(path))
        cells = wb.get_sheet_by_name(truth.sheet).to_python()
        numbers = [c for row in cells for c in row if isinstance(c, int | float)]
        for v in truth.values.values():
            if v is not None:
                assert any(abs(n - v) < 1e-9 for n in numbers), (path.name, v)
    path, txn = fb.build_transactions(tmp_path)
    cells = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(txn.sheet).to_python()
    assert len(cells) == 51
    assert [row[2] for row in cells[1:]] == [o.customer_id for o in txn.orders]
    assert sum(row[4] for row in cells[1:]) == pytest.approx(sum(o.amount for o in txn.orders))


def test_wide_by_year_headers(tmp_path, run_import, db_path, helpers):
    """区域 | 指标 | 2024 | 2025 | 2026: whole years as column headers are periods, not data."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "年度对比"
    ws.append(["区域", "指标", 2024, 2025, 2026])
    ws.append(["华东", "销售额", 1200.5, 1350.0, 1500.25])
    ws.append(["华南", "销售额", 900.0, 950.5, 990.0])
    path = tmp_path / "years.xlsx"
    wb.save(path)
    rc, result = run_import(path)
    assert rc == 0, result
    sheet = result["sheets"][0]
    assert sheet["shape"] == "wide_period"
    assert sheet["periods"] == ["2024", "2025", "2026"]
    totals = {(t["period"]): t["value"] for t in sheet["totals"]}
    assert totals == {"2024": pytest.approx(2100.5), "2025": pytest.approx(2300.5), "2026": pytest.approx(2490.25)}
    grains = helpers.query(db_path, "SELECT DISTINCT grain FROM facts")
    assert grains == [("year",)]
