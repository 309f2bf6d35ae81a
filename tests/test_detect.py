"""retro.ingest.detect: plan/actual in headers, where the header is, what each column is, layout fingerprints."""

from __future__ import annotations

import pytest

from retro.ingest.detect import (
    ROLES,
    SheetPlan,
    classify_column,
    find_header,
    header_texts,
    layout_fingerprint,
    plan_sheet,
    resolve_year,
    scenario_of,
    serial_header_dates,
    split_scenario,
    subject_of,
    with_roles,
)

# --------------------------------------------------------------------------- scenarios


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("销售额计划", ("销售额", "plan")),
        ("计划销售额", ("销售额", "plan")),
        ("销售额-实际", ("销售额", "actual")),
        ("销售额_预算", ("销售额", "plan")),
        ("销售额（目标）", ("销售额", "plan")),
        ("新增客户完成", ("新增客户", "actual")),
        ("预测销售额", ("销售额", "forecast")),
        ("完成率", ("完成率", None)),
        ("销售额完成率", ("销售额完成率", None)),
        ("计划进度", ("计划进度", None)),
        ("目标值", ("", "plan")),
        ("实际完成", ("", "actual")),
        ("Sales Budget", ("Sales", "plan")),
        ("Revenue Actuals", ("Revenue", "actual")),
        ("销售额 Forecast", ("销售额", "forecast")),
        ("Actual", ("", "actual")),
        ("Plan Rate", ("Plan Rate", None)),
        ("满意度", ("满意度", None)),
    ],
)
def test_split_scenario(header, expected):
    assert split_scenario(header) == expected


@pytest.mark.parametrize(
    "header",
    ["计划完成率", "目标达成率", "预算执行率", "目标完成率"],
    ids=["plan_completion_rate", "target_attainment_rate", "budget_execution_rate", "target_completion_rate"],
)
def test_attainment_rates_stay_one_metric(header):
    """'计划完成率' / '目标达成率' are actual-vs-plan rates: one metric, not the plan of '完成率'.

    Same rule as '完成率' and the English 'Plan Rate', which are kept whole.
    """
    assert split_scenario(header) == (header, None)


@pytest.mark.parametrize(
    ("word", "scenario"),
    [
        ("计划", "plan"), ("目标", "plan"), ("预算", "plan"), ("Budget", "plan"), ("plan ", "plan"), (" 目标 ", "plan"),
        ("实际", "actual"), ("完成", "actual"), ("Actuals", "actual"), ("ACTUAL", "actual"),
        ("预测", "forecast"), ("Forecast", "forecast"), ("FC", "forecast"),
        ("销售额", None), ("", None), (None, None),
    ],
)
def test_scenario_of(word, scenario):
    assert scenario_of(word) == scenario


# --------------------------------------------------------------------------- header rows

MERGED_TWO_ROW = [(0, 2, 0, 3), (0, 4, 0, 5), (0, 0, 1, 0), (0, 1, 1, 1)]
TWO_ROW = [
    ["区域", "指标", "1月", None, "2月", None],
    [None, None, "计划", "实际", "计划", "实际"],
    ["华东", "销售额", "1", "2", "3", "4"],
    ["华南", "销售额", "5", "6", "7", "8"],
]


def test_header_below_title_and_note_rows():
    rows = [
        ["2026年 区域运营月报", None, None],
        ["单位：万元；数据来源：CRM", None, None],
        [None, None, None],
        ["月份", "区域", "销售额"],
        ["2026-01", "华东", "100"],
        ["2026-01", "华南", "200"],
    ]
    assert find_header(rows, [(0, 0, 0, 2)]) == [3]


def test_plain_header_in_first_row():
    assert find_header([["区域", "销售额", "新增客户"], ["华东", "100", "10"]], []) == [0]


def test_two_row_header_with_merged_month_cells():
    assert find_header(TWO_ROW, MERGED_TWO_ROW) == [0, 1]
    texts = header_texts(TWO_ROW, [0, 1], 6, MERGED_TWO_ROW)
    assert texts == [["区域"], ["指标"], ["1月", "计划"], ["1月", "实际"], ["2月", "计划"], ["2月", "实际"]]


def test_two_row_header_without_merge_info_still_spreads_the_month_over_plan_actual():
    """Some exporters write '1月' once above '计划 | 实际' without a merge record."""
    assert find_header(TWO_ROW, []) == [0, 1]
    texts = header_texts(TWO_ROW, [0, 1], 6, [])
    assert texts[3] == ["1月", "实际"] and texts[5] == ["2月", "实际"]


@pytest.mark.parametrize(
    "rows",
    [
        [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"]],  # numbers, no headings
        [["问题", "原因", "负责人"], ["慢", "人少", "王五"], ["贵", "渠道", "李四"]],  # text, no numbers
        [["区域", "销售额"]],  # a header with nothing below
        [],
    ],
)
def test_no_header(rows):
    assert find_header(rows, []) is None


# --------------------------------------------------------------------------- column roles


def _role(parts, values):
    return classify_column(0, parts, values)


@pytest.mark.parametrize(
    ("parts", "values", "role"),
    [
        (["月份"], ["2026-01", "2026-02", "2026-03"], "period"),
        (["日期"], ["2026/1/5", "2026/1/9", "2026/2/1"], "period"),
        (["下单日期"], ["46023", "46024", "46030"], "period"),  # Excel serials under a date header
        (["年份"], ["2025", "2026", "2026"], "year"),
        (["区域"], ["华东", "华南", "华北"], "dimension"),
        (["产品线"], ["企业版", "标准版", "企业版"], "dimension"),
        (["指标"], ["销售额", "新增客户", "销售额"], "metric"),
        (["场景"], ["Actuals", "Budget", "Forecast"], "scenario"),
        (["版本"], ["计划", "实际", "计划"], "scenario"),
        (["销售额(万元)"], ["1,234", "2345.5", "(12)"], "measure"),
        (["订单数"], ["10", "20", "30"], "measure"),
        (["客户ID"], ["0012", "0045", "0107"], "id"),
        (["订单号"], ["DD1", "DD2", "DD3"], "id"),
        (["合计"], ["100", "200", "300"], "total"),
        (["全年"], ["100", "200", "300"], "total"),
        (["Total"], ["100", "200", "300"], "total"),
        (["排名"], ["1", "2", "3"], "ignore"),
        (["序号"], ["1", "2", "3"], "ignore"),
        (["No."], ["1", "2", "3"], "ignore"),
        (["备注"], ["好", "需跟进", "一般"], "ignore"),
        (["备注"], ["1", "2", "3"], "ignore"),  # even when the notes happen to be numbers
        ([], [], "ignore"),
        (["区域"], [None, "", None], "ignore"),  # a header over an empty column
    ],
)
def test_classify_column_roles(parts, values, role):
    got = _role(parts, values)
    assert got.role == role, got
    assert got.role in ROLES


def test_measure_carries_metric_unit_and_scenario():
    c = _role(["满意度"], ["4.5", "4.7"])
    assert (c.role, c.metric, c.unit, c.scenario) == ("measure", "满意度", None, None)
    c = _role(["数值"], ["1", "2"])  # a generic value column names no metric
    assert (c.role, c.metric) == ("measure", None)


def test_period_headers_make_period_measures():
    c = _role(["1月"], ["1", "2", None])
    assert (c.role, c.period, c.scenario) == ("measure", "????-01", None)
    c = _role(["2026-03"], ["1", "2"])
    assert (c.role, c.period) == ("measure", "2026-03")
    c = _role(["1月", "计划"], ["1", "2"])
    assert (c.role, c.period, c.scenario) == ("measure", "????-01", "plan")
    c = _role(["Jan Budget"], ["1", "2"])
    assert (c.role, c.period, c.scenario) == ("measure", "????-01", "plan")
    c = _role(["2026-01-01 00:00:00"], ["1", "2"])  # a real Excel date header: a day, until the sheet says
    assert (c.role, c.period) == ("measure", "2026-01-01")


def test_firsts_of_the_month_are_months_unless_the_other_dates_are_days():
    months = plan_sheet("s", [["门店", "2026-01-01 00:00:00", "2026-02-01 00:00:00"], ["A", "1", "2"], ["B", "3", "4"]], [])
    assert [c.period for c in months.of_role("measure")] == ["2026-01", "2026-02"]
    days = plan_sheet("s", [["Region", "1/30/20", "1/31/20", "2/1/20"], ["A", "1", "2", "3"], ["B", "3", "4", "5"]], [])
    assert [c.period for c in days.of_role("measure")] == ["2020-01-30", "2020-01-31", "2020-02-01"]


@pytest.mark.parametrize(
    ("header", "metric", "unit", "scenario"),
    [
        ("销售额计划(万元)", "销售额", "万元", "plan"),
        ("销售额实际(万元)", "销售额", "万元", "actual"),
        ("销售额目标（万元）", "销售额", "万元", "plan"),
        ("新增客户目标(家)", "新增客户", "家", "plan"),
        ("Revenue Budget (k)", "Revenue", "k", "plan"),
        ("计划销售额(万元)", "销售额", "万元", "plan"),
        ("销售额(万元)实际", "销售额", "万元", "actual"),
        ("销售额（万元）-计划", "销售额", "万元", "plan"),
    ],
    ids=["sales_plan_wanyuan", "sales_actual_wanyuan", "sales_target_fullwidth", "new_customers_target",
         "revenue_budget_k", "plan_prefix_then_unit", "unit_then_actual_suffix", "unit_then_dash_plan"],
)
def test_metric_unit_and_scenario_in_one_header(header, metric, unit, scenario):
    """'销售额计划(万元) | 销售额实际(万元)' is a plan/actual pair of one metric with a unit."""
    c = _role([header], ["100", "200"])
    assert (c.role, c.metric, c.unit, c.scenario) == ("measure", metric, unit, scenario)


def test_id_kind():
    assert _role(["客户ID"], ["0012", "0045"]).id_kind == "customer"
    assert _role(["会员号"], ["M000123", "M000456"]).id_kind == "customer"
    assert _role(["订单号"], ["DD1", "DD2"]).id_kind == "order"


# --------------------------------------------------------------------------- whole-sheet plans and fingerprints


def _wide(months: int) -> list[list[str | None]]:
    header = ["区域", "指标", *[f"{m}月" for m in range(1, months + 1)]]
    body = [[region, "销售额", *[str(100 + m) for m in range(months)]] for region in ("华东", "华南", "华北")]
    return [header, *body]


def test_fingerprint_stable_when_a_month_column_is_added():
    six = plan_sheet("2026销售额", _wide(6), [])
    seven = plan_sheet("2026销售额", _wide(7), [])
    assert six.shape == seven.shape == "wide_period"
    assert six.fingerprint == seven.fingerprint
    assert six.fingerprint == layout_fingerprint(six.shape, six.columns)


def test_fingerprint_stable_for_plan_actual_pairs_when_a_month_is_added():
    three = [
        ["区域", "1月", None, "2月", None, "3月", None],
        [None, "计划", "实际", "计划", "实际", "计划", "实际"],
        ["华东", "1", "2", "3", "4", "5", "6"],
    ]
    two = [row[:5] for row in three]
    a = plan_sheet("s", three, [(0, 1, 0, 2), (0, 3, 0, 4), (0, 5, 0, 6)])
    b = plan_sheet("s", two, [(0, 1, 0, 2), (0, 3, 0, 4)])
    assert a.fingerprint == b.fingerprint


def test_fingerprint_changes_with_a_different_layout():
    base = plan_sheet("s", [["月份", "区域", "销售额"], ["2026-01", "华东", "1"], ["2026-02", "华东", "2"]], [])
    other = plan_sheet("s", [["月份", "区域", "新增客户"], ["2026-01", "华东", "1"], ["2026-02", "华东", "2"]], [])
    more = plan_sheet(
        "s", [["月份", "区域", "产品线", "销售额"], ["2026-01", "华东", "A", "1"], ["2026-02", "华东", "B", "2"]], []
    )
    assert len({base.fingerprint, other.fingerprint, more.fingerprint}) == 3


def test_plan_of_a_two_row_plan_actual_header():
    plan = plan_sheet("2026年", TWO_ROW, MERGED_TWO_ROW)
    assert plan.shape == "wide_period"
    assert plan.header_rows == [0, 1] and plan.start == 2
    got = [(c.role, c.period, c.scenario) for c in plan.columns]
    assert got == [
        ("dimension", None, None),
        ("metric", None, None),
        ("measure", "????-01", "plan"),
        ("measure", "????-01", "actual"),
        ("measure", "????-02", "plan"),
        ("measure", "????-02", "actual"),
    ]


def test_plan_with_title_rows_keeps_title_and_unit():
    rows = [
        ["2026年度销售额月报（单位：万元）", None, None],
        [None, None, None],
        ["区域", "1月", "2月"],
        ["华东", "1", "2"],
        ["华南", "3", "4"],
    ]
    plan = plan_sheet("Sheet1", rows, [(0, 0, 0, 2)])
    assert plan.header_rows == [2]
    assert plan.title == "2026年度销售额月报（单位：万元）"
    assert plan.default_unit == "万元"
    assert plan.metric_name == "销售额"  # no metric column: named after the title
    assert plan.shape == "wide_period"


def test_plan_shapes():
    long = plan_sheet("s", [["月份", "区域", "指标", "数值"], ["2026-01", "华东", "销售额", "1"],
                            ["2026-01", "华东", "新增客户", "2"]], [])
    assert long.shape == "long"
    measure = plan_sheet("s", [["月份", "区域", "销售额", "新增客户"], ["2026-01", "华东", "1", "2"],
                               ["2026-02", "华东", "3", "4"]], [])
    assert measure.shape == "wide_measure"
    snapshot = plan_sheet("s", [["区域", "门店数", "会员数"], ["华东", "10", "2000"], ["华南", "12", "3100"]], [])
    assert snapshot.shape == "snapshot"
    orders = [["订单号", "下单日期", "客户ID", "区域", "金额"]]
    for i in range(30):
        orders.append([f"DD{i:04d}", f"2026-01-{i % 28 + 1:02d}", f"{i % 7:04d}", "华东", f"{100 + i}.5"])
    assert plan_sheet("s", orders, []).shape == "transactions"


def test_no_header_gives_no_plan():
    assert plan_sheet("s", [["1", "2"], ["3", "4"]], []) is None


def test_with_roles_reshapes_but_keeps_the_fingerprint():
    rows = [["月份", "区域", "门店编码", "销售额"], ["2026-01", "华东", "S01", "1"], ["2026-01", "华南", "S02", "2"]]
    plan = plan_sheet("s", rows, [])
    roles = {c.index: c.role for c in plan.columns}
    assert roles[2] == "id"
    changed = with_roles(plan, {2: "dimension"}, rows)
    assert changed.columns[2].role == "dimension"
    assert changed.fingerprint == plan.fingerprint  # remembered under the layout the file shows
    as_measure = with_roles(plan, {1: "ignore", 2: "measure"}, rows)
    assert as_measure.columns[2].role == "measure" and as_measure.columns[2].metric == "门店编码"


def _plan(title=None, sheet="Sheet1", with_year_column=False) -> SheetPlan:
    rows = [["年份", "区域", "1月"], ["2026", "华东", "1"]] if with_year_column else [["区域", "1月"], ["华东", "1"]]
    plan = plan_sheet(sheet, rows, [])
    plan.title = title
    return plan


def test_resolve_year_order_of_sources():
    p = _plan(title="2024年报表", sheet="2025销售")
    resolve_year(p, "2023.xlsx", None, 2030)
    assert (p.year, p.year_source) == (2024, "title")
    p = _plan(sheet="2025销售")
    resolve_year(p, "2023.xlsx", None, 2030)
    assert (p.year, p.year_source) == (2025, "sheet")
    p = _plan()
    resolve_year(p, "2023销售.xlsx", None, 2030)
    assert (p.year, p.year_source) == (2023, "file")
    p = _plan()
    resolve_year(p, "销售.xlsx", None, 2030)
    assert (p.year, p.year_source) == (2030, "assumed")
    p = _plan(title="2024年报表")
    resolve_year(p, "2023.xlsx", 2019, 2030)
    assert (p.year, p.year_source) == (2019, "user")  # the user's word wins
    p = _plan(with_year_column=True)
    resolve_year(p, "2023.xlsx", None, 2030)
    assert p.year_source == "column"


# --------------------------------------------------------------------------- subject


@pytest.mark.parametrize(
    ("title", "sheet", "subject"),
    [
        ("2026年度销售额月报（单位：万元）", "x", "销售额"),
        (None, "2025销售额", "销售额"),
        ("", "2026新增客户统计", "新增客户"),
        (None, "2026年", "2026年"),  # nothing left: the sheet name as it is
    ],
)
def test_subject_of(title, sheet, subject):
    assert subject_of(title, sheet) == subject


# --------------------------------------------------------------------------- year columns written as text


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("年份", ["2025", "2026", "2026"]),
        ("年份", ["2025年", "2026年", "2026年"]),
        ("年度", ["FY2025", "FY2026", "FY2026"]),
        ("Year", ["2025", "2026", "2026"]),
    ],
    ids=["plain", "with_nian", "fy_prefix", "english"],
)
def test_year_column(header, values):
    assert classify_column(0, [header], values).role == "year"


def test_year_column_written_as_text_gives_each_row_its_year(files, run_import):
    """年份 = '2025年' / '2026年' beside 1月 | 2月: the rows belong to their own years, not both to
    the assumed current year (which would store two values for each 2026 month)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["年份", "区域", "指标", "1月", "2月"])
    ws.append(["2025年", "华东", "销售额", 1.0, 2.0])
    ws.append(["2026年", "华东", "销售额", 3.0, 4.0])
    path = files / "years.xlsx"
    wb.save(path)
    rc, result = run_import(path, "--dry-run")
    assert rc == 0, result
    (sheet,) = result["sheets"]
    assert sheet["periods"] == ["2025-01", "2025-02", "2026-01", "2026-02"], sheet
    totals = {t["period"]: t["value"] for t in sheet["totals"]}
    assert totals == {"2025-01": 1.0, "2025-02": 2.0, "2026-01": 3.0, "2026-02": 4.0}
    assert "year_assumed" not in {w["code"] for w in sheet["warnings"]}


def test_excel_serials_are_header_dates_only_when_as_regular_as_a_calendar():
    import datetime as dt

    assert serial_header_dates(["门店", "43466", "43497", "43525"]) == [dt.date(2019, 1, 1), dt.date(2019, 2, 1), dt.date(2019, 3, 1)]
    assert serial_header_dates(["Day", "43466", "43467", "43468"]) is not None  # daily
    assert serial_header_dates(["Week", "43466", "43473", "43480"]) is not None  # weekly
    assert serial_header_dates(["A", "40000", "41234", "45678"]) is None  # amounts in the range
    assert serial_header_dates(["A", "43497", "43466"]) is None  # not increasing
    assert serial_header_dates(["A", "1", "2", "3"]) is None  # before 1990


def test_numeric_years_before_1990_are_a_header_when_consecutive():
    head = plan_sheet("s", [["Area", "1961", "1962", "1963"], ["China", "1", "2", "3"], ["India", "4", "5", "6"]], [])
    assert [c.period for c in head.of_role("measure")] == ["1961", "1962", "1963"]
    assert find_header([["Area", "1950", "1980", "2010"], ["China", "1", "2", "3"]], []) is None  # not years one apart


# --------------------------------------------------------------------------- other periods' columns


@pytest.mark.parametrize("header", ["上年同期", "去年同期销售额", "上月", "上期", "Last Year", "PY Sales", "Previous Month"])
def test_another_periods_column_is_left_out_with_a_reading(header):
    spec = classify_column(3, [header], ["100", "120", "90"])
    assert spec.role == "ignore" and spec.reading is not None
    assert spec.reading.decision == "prior_period_column"


@pytest.mark.parametrize("header", ["同比", "环比增长率", "同比增长", "MoM growth", "YoY %", "vs LY"])
def test_a_change_between_periods_is_left_out(header):
    spec = classify_column(3, [header], ["8.0%", "-2.1%", "12%"])
    assert spec.role == "ignore" and spec.reading is not None
    assert spec.reading.decision == "comparison_column"


def test_this_periods_prefix_names_no_metric():
    spec = classify_column(1, ["本月销售额"], ["120", "90", "60"])
    assert spec.role == "measure" and spec.metric == "销售额"
    assert spec.header == "本月销售额"  # what the preview shows is the sheet's own header


@pytest.mark.parametrize(("parts", "period"), [
    (["2025年", "1月"], "2025-01"), (["2026年", "12月"], "2026-12"), (["2025", "Q3"], "2025-Q3"),
    (["FY2025", "Mar"], "2025-03"), (["2025年", "2025-02"], "2025-02"), (["2025年", "销售额"], "2025"),
    (["2025年"], "2025"), (["1月"], "????-01"),
])
def test_a_year_over_its_months_names_each_months_year(parts, period):
    """'2025年' merged above '1月'…'12月' (then '2026年' above the next twelve) read as the year 2025 for
    each of the 24 columns: 24 values stored under two years, the months lost."""
    spec = classify_column(1, parts, ["100", "120", "90"])
    assert spec.role == "measure" and spec.period == period, spec


@pytest.mark.parametrize("header", ["Store #", "Store#", "Branch No.", "Account number", "Item No", "Phone", "手机"])
def test_a_things_number_is_its_code_not_an_amount(header):
    """'Store #' (101, 205) was summed as a metric, 306 a month."""
    assert classify_column(2, [header], ["101", "205", "101", "205"]).role == "id"


@pytest.mark.parametrize("header", ["Total number", "Number of visitors", "Visitors", "Avg number", "Calls #", "Sales #"])
def test_a_count_named_number_stays_a_measure(header):
    assert classify_column(2, [header], ["101", "205", "99", "230"]).role == "measure"
