"""Builders for the importer's test files, each with its ground truth.

Every ``build_*`` function writes one small, realistic file into a directory and
returns ``(path, truth)``. The truth is computed here, from the same Python values
that were written into the cells, never from the importer's output:

* :class:`Truth` for KPI sheets: every value that must be stored, keyed by
  ``(period, dims, metric, scenario)``; rows, periods, metrics, scenarios and the
  per-metric/scenario/period totals all derive from it.
* :class:`TxnTruth` for transaction exports: one record per order.

Bad-input builders (``bad_*``) return ``(path, expected_error_code)``.

Files are written with openpyxl (the app never reads with it), the csv module, or
raw bytes. Nothing here imports the application.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font

# Stand-in for the metric name when a wide sheet has no metric column: the name is
# then derived from the sheet title and the tests only check there is exactly one.
ANY_METRIC = "*"

REGIONS = ["华东", "华南", "华北", "西南"]
CN_MONTHS = [f"{m}月" for m in range(1, 13)]
EN_MONTHS = [calendar.month_abbr[m] for m in range(1, 13)]  # Jan … Dec

Key = tuple[str, tuple[tuple[str, str], ...], str, str]  # period, dims, metric, scenario


def key(period: str, dims: dict[str, str], metric: str, scenario: str = "actual") -> Key:
    return (period, tuple(sorted(dims.items())), metric, scenario)


def month(year: int, m: int) -> str:
    return f"{year}-{m:02d}"


def excel_serial(day: dt.date) -> int:
    """Excel's 1900 date system serial number (valid after 1900-03-01)."""
    return (day - dt.date(1899, 12, 30)).days


@dataclass
class Truth:
    """What importing one KPI sheet must produce."""

    sheet: str | None  # expected sheet name in the JSON (None: CSV, whatever the app calls it)
    shape: str
    grain: str
    dimensions: list[str]
    values: dict[Key, float | None] = field(default_factory=dict)
    units: dict[str, str | None] = field(default_factory=dict)  # metric -> unit, where checked
    warnings: set[str] = field(default_factory=set)  # codes that must be reported
    row_totals: dict[str, float] = field(default_factory=dict)  # period -> sheet's totals-row value
    # the sheet's totals-column cells: (dims of the row, metric of the row, value)
    column_totals: list[tuple[dict[str, str], str, float]] = field(default_factory=list)

    def put(self, period: str, dims: dict[str, str], metric: str, scenario: str, value: float | None) -> None:
        k = key(period, dims, metric, scenario)
        assert k not in self.values, f"fixture bug: duplicate key {k}"
        self.values[k] = value

    @property
    def unnamed_metric(self) -> bool:
        return self.metrics == [ANY_METRIC]

    @property
    def rows(self) -> int:
        return len(self.values)

    @property
    def periods(self) -> list[str]:
        return sorted({k[0] for k in self.values})

    @property
    def metrics(self) -> list[str]:
        return sorted({k[2] for k in self.values})

    @property
    def scenarios(self) -> list[str]:
        return sorted({k[3] for k in self.values})

    def totals(self, metric_name: str | None = None) -> dict[tuple[str, str, str], float]:
        """Sum of the non-null values per (metric, scenario, period)."""
        out: dict[tuple[str, str, str], float] = {}
        for (period, _dims, metric, scenario), value in self.values.items():
            if value is None:
                continue
            if metric == ANY_METRIC and metric_name is not None:
                metric = metric_name
            k = (metric, scenario, period)
            out[k] = out.get(k, 0.0) + value
        return out


@dataclass
class Order:
    order_id: str
    date: dt.date
    customer_id: str
    region: str
    amount: float


@dataclass
class TxnTruth:
    sheet: str
    orders: list[Order]
    shape: str = "transactions"
    dimensions: list[str] = field(default_factory=lambda: ["区域"])
    metrics: list[str] = field(default_factory=lambda: ["金额"])

    @property
    def rows(self) -> int:
        return len(self.orders)

    @property
    def periods(self) -> list[str]:
        return sorted({month(o.date.year, o.date.month) for o in self.orders})

    def totals(self) -> dict[tuple[str, str, str], float]:
        out: dict[tuple[str, str, str], float] = {}
        for o in self.orders:
            k = ("金额", "actual", month(o.date.year, o.date.month))
            out[k] = out.get(k, 0.0) + o.amount
        return out


# --------------------------------------------------------------------------- helpers


def _rng(seed: str) -> random.Random:
    return random.Random(seed)


def _sales(rng: random.Random) -> float:
    """Sales in 万元 with one decimal, e.g. 1234.5."""
    return round(rng.uniform(300, 2500), 1)


def _count(rng: random.Random) -> int:
    return rng.randint(20, 400)


def _rate(rng: random.Random) -> float:
    return round(rng.uniform(0.55, 0.97), 3)


def _new_book(title: str) -> tuple[openpyxl.Workbook, openpyxl.worksheet.worksheet.Worksheet]:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    return wb, ws


def _save(wb: openpyxl.Workbook, directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    wb.save(path)
    return path


def _bold_header(ws, row: int = 1) -> None:
    for cell in ws[row]:
        cell.font = Font(bold=True)


# --------------------------------------------------------------------------- shape 1: long


def build_long_basic(d: Path) -> tuple[Path, Truth]:
    """月份 | 区域 | 指标 | 数值, months as text "2026-01"; no scenario info -> actual."""
    rng = _rng("long_basic")
    wb, ws = _new_book("运营数据")
    ws.append(["月份", "区域", "指标", "数值"])
    t = Truth("运营数据", "long", "month", ["区域"])
    for m in (1, 2, 3):
        for region in REGIONS[:3]:
            for metric in ("销售额", "新增客户"):
                v = _sales(rng) if metric == "销售额" else _count(rng)
                ws.append([month(2026, m), region, metric, v])
                t.put(month(2026, m), {"区域": region}, metric, "actual", v)
    _bold_header(ws)
    return _save(wb, d, "long_basic.xlsx"), t


def build_long_plan_actual(d: Path) -> tuple[Path, Truth]:
    """月份 (real Excel dates) | 区域 | 指标 | 计划 | 实际."""
    rng = _rng("long_plan_actual")
    wb, ws = _new_book("目标达成")
    ws.append(["月份", "区域", "指标", "计划", "实际"])
    t = Truth("目标达成", "long", "month", ["区域"])
    for m in (4, 5):
        for region in ("华东", "华南"):
            for metric in ("销售额", "新增客户"):
                gen = _sales if metric == "销售额" else _count
                plan, actual = gen(rng), gen(rng)
                ws.append([dt.datetime(2026, m, 1), region, metric, plan, actual])
                ws.cell(ws.max_row, 1).number_format = "yyyy-mm"
                t.put(month(2026, m), {"区域": region}, metric, "plan", plan)
                t.put(month(2026, m), {"区域": region}, metric, "actual", actual)
    return _save(wb, d, "long_plan_actual.xlsx"), t


def build_long_scenario_column(d: Path) -> tuple[Path, Truth]:
    """月份 | 区域 | 指标 | 场景 (Actuals/Budget/Forecast) | 数值."""
    rng = _rng("long_scenario")
    wb, ws = _new_book("场景数据")
    ws.append(["月份", "区域", "指标", "场景", "数值"])
    t = Truth("场景数据", "long", "month", ["区域"])
    label = {"actual": "Actuals", "plan": "Budget", "forecast": "Forecast"}
    for m in (7, 8):
        for region in ("华东", "西南"):
            for scenario in ("plan", "actual", "forecast"):
                v = _sales(rng)
                ws.append([f"2026年{m}月", region, "销售额", label[scenario], v])
                t.put(month(2026, m), {"区域": region}, "销售额", scenario, v)
    return _save(wb, d, "long_scenario.xlsx"), t


# --------------------------------------------------------------------------- shape 2: wide by period


def build_wide_cn_months(d: Path) -> tuple[Path, Truth]:
    """区域 | 1月 … 12月, year only in the sheet name "2025销售额", no metric column."""
    rng = _rng("wide_cn_months")
    wb, ws = _new_book("2025销售额")
    ws.append(["区域", *CN_MONTHS])
    t = Truth("2025销售额", "wide_period", "month", ["区域"])
    for region in REGIONS:
        row = [_sales(rng) for _ in range(12)]
        ws.append([region, *row])
        for m, v in enumerate(row, start=1):
            t.put(month(2025, m), {"区域": region}, ANY_METRIC, "actual", v)
    return _save(wb, d, "wide_cn_months.xlsx"), t


def build_wide_en_months_year_column(d: Path) -> tuple[Path, Truth]:
    """年份 | 区域 | 指标 | Jan … Dec with two years of rows."""
    rng = _rng("wide_en_year_col")
    wb, ws = _new_book("Monthly")
    ws.append(["年份", "区域", "指标", *EN_MONTHS])
    t = Truth("Monthly", "wide_period", "month", ["区域"])
    for year in (2025, 2026):
        for region in ("华东", "华南"):
            row = [_sales(rng) for _ in range(12)]
            ws.append([year, region, "销售额", *row])
            for m, v in enumerate(row, start=1):
                t.put(month(year, m), {"区域": region}, "销售额", "actual", v)
    return _save(wb, d, "wide_en_months.xlsx"), t


def build_wide_iso_months(d: Path) -> tuple[Path, Truth]:
    """区域 | 指标 | "2026-01" … "2026-06" (text headers)."""
    rng = _rng("wide_iso")
    wb, ws = _new_book("趋势")
    ws.append(["区域", "指标", *[month(2026, m) for m in range(1, 7)]])
    t = Truth("趋势", "wide_period", "month", ["区域"])
    for region in ("华东", "华北"):
        for metric in ("销售额", "新增客户"):
            gen = _sales if metric == "销售额" else _count
            row = [gen(rng) for _ in range(6)]
            ws.append([region, metric, *row])
            for m, v in enumerate(row, start=1):
                t.put(month(2026, m), {"区域": region}, metric, "actual", v)
    return _save(wb, d, "wide_iso.xlsx"), t


def build_wide_quarters(d: Path) -> tuple[Path, Truth]:
    """区域 | 指标 | Q1 … Q4, year in the sheet name "2026年季度" -> grain quarter."""
    rng = _rng("wide_quarters")
    wb, ws = _new_book("2026年季度")
    ws.append(["区域", "指标", "Q1", "Q2", "Q3", "Q4"])
    t = Truth("2026年季度", "wide_period", "quarter", ["区域"])
    for region in REGIONS[:3]:
        row = [round(_sales(rng) * 3, 1) for _ in range(4)]
        ws.append([region, "销售额", *row])
        for q, v in enumerate(row, start=1):
            t.put(f"2026-Q{q}", {"区域": region}, "销售额", "actual", v)
    return _save(wb, d, "wide_quarters.xlsx"), t


def build_wide_date_headers(d: Path) -> tuple[Path, Truth]:
    """区域 | 指标 | real Excel dates (first of each month, Jan–Jun 2026) as headers."""
    rng = _rng("wide_dates")
    wb, ws = _new_book("日期表头")
    ws.append(["区域", "指标", *[dt.datetime(2026, m, 1) for m in range(1, 7)]])
    for cell in ws[1][2:]:
        cell.number_format = "yyyy/m/d"
    t = Truth("日期表头", "wide_period", "month", ["区域"])
    for region in ("华东", "华南"):
        row = [_count(rng) for _ in range(6)]
        ws.append([region, "新增客户", *row])
        for m, v in enumerate(row, start=1):
            t.put(month(2026, m), {"区域": region}, "新增客户", "actual", v)
    return _save(wb, d, "wide_dates.xlsx"), t


def build_wide_no_year(d: Path, expect_year: int) -> tuple[Path, Truth]:
    """区域 | 指标 | 1月 … 6月 with no year anywhere (file, sheet or cells)."""
    rng = _rng("wide_no_year")
    wb, ws = _new_book("区域销售")
    ws.append(["区域", "指标", *CN_MONTHS[:6]])
    t = Truth("区域销售", "wide_period", "month", ["区域"])
    for region in ("华东", "华南", "华北"):
        row = [_sales(rng) for _ in range(6)]
        ws.append([region, "销售额", *row])
        for m, v in enumerate(row, start=1):
            t.put(month(expect_year, m), {"区域": region}, "销售额", "actual", v)
    return _save(wb, d, "no_year.xlsx"), t


def build_wide_year_from_filename(d: Path) -> tuple[Path, Truth]:
    """File "2025销售.xlsx", sheet "Sheet1", 区域 | 指标 | 1月 … 6月: the year comes from the file name."""
    rng = _rng("wide_year_file")
    wb, ws = _new_book("Sheet1")
    ws.append(["区域", "指标", *CN_MONTHS[:6]])
    t = Truth("Sheet1", "wide_period", "month", ["区域"])
    for region in ("华东", "西南"):
        row = [_sales(rng) for _ in range(6)]
        ws.append([region, "销售额", *row])
        for m, v in enumerate(row, start=1):
            t.put(month(2025, m), {"区域": region}, "销售额", "actual", v)
    return _save(wb, d, "2025销售.xlsx"), t


def build_wide_partial_year(d: Path) -> tuple[Path, Truth]:
    """A mid-year sheet "2026销售额": 区域 | 指标 | 1月 … 12月 with only Jan–Mar filled in."""
    rng = _rng("wide_partial")
    wb, ws = _new_book("2026销售额")
    ws.append(["区域", "指标", *CN_MONTHS])
    t = Truth("2026销售额", "wide_period", "month", ["区域"])
    for region in ("华东", "华南"):
        row = [_sales(rng) for _ in range(3)]
        ws.append([region, "销售额", *row, *([None] * 9)])
        for m, v in enumerate(row, start=1):
            t.put(month(2026, m), {"区域": region}, "销售额", "actual", v)
    return _save(wb, d, "wide_partial.xlsx"), t


# --------------------------------------------------------------------------- shape 3: wide by measure


def build_wide_measure(
    d: Path, *, fullwidth: bool = False, name: str = "wide_measure.xlsx"
) -> tuple[Path, Truth]:
    """月份 (Excel dates) | 区域 | 销售额(万元) | 新增客户(人) | 满意度."""
    rng = _rng("wide_measure")
    lp, rp = ("（", "）") if fullwidth else ("(", ")")
    wb, ws = _new_book("月度指标")
    ws.append(["月份", "区域", f"销售额{lp}万元{rp}", f"新增客户{lp}人{rp}", "满意度"])
    t = Truth(
        "月度指标",
        "wide_measure",
        "month",
        ["区域"],
        units={"销售额": "万元", "新增客户": "人", "满意度": None},
    )
    for m in (1, 2, 3):
        for region in REGIONS:
            sales, new, sat = _sales(rng), _count(rng), _rate(rng)
            ws.append([dt.datetime(2026, m, 1), region, sales, new, sat])
            ws.cell(ws.max_row, 1).number_format = "yyyy年m月"
            p = month(2026, m)
            t.put(p, {"区域": region}, "销售额", "actual", sales)
            t.put(p, {"区域": region}, "新增客户", "actual", new)
            t.put(p, {"区域": region}, "满意度", "actual", sat)
    return _save(wb, d, name), t


# --------------------------------------------------------------------------- shape 4: plan vs actual


def build_plan_actual_merged(d: Path) -> tuple[Path, Truth]:
    """Two-row header: merged "1月" above "计划 | 实际"; 区域/指标 merged over both rows; year in sheet name."""
    rng = _rng("merged")
    wb, ws = _new_book("2026年")
    ws.cell(1, 1, "区域")
    ws.cell(1, 2, "指标")
    ws.merge_cells("A1:A2")
    ws.merge_cells("B1:B2")
    for i, m in enumerate((1, 2, 3)):
        col = 3 + 2 * i
        ws.cell(1, col, f"{m}月")
        ws.merge_cells(start_row=1, start_column=col, end_row=1, end_column=col + 1)
        ws.cell(1, col).alignment = Alignment(horizontal="center")
        ws.cell(2, col, "计划")
        ws.cell(2, col + 1, "实际")
    t = Truth("2026年", "wide_period", "month", ["区域"])
    r = 3
    for region in ("华东", "华南"):
        for metric in ("销售额", "新增客户"):
            gen = _sales if metric == "销售额" else _count
            ws.cell(r, 1, region)
            ws.cell(r, 2, metric)
            for i, m in enumerate((1, 2, 3)):
                plan, actual = gen(rng), gen(rng)
                ws.cell(r, 3 + 2 * i, plan)
                ws.cell(r, 4 + 2 * i, actual)
                t.put(month(2026, m), {"区域": region}, metric, "plan", plan)
                t.put(month(2026, m), {"区域": region}, metric, "actual", actual)
            r += 1
    return _save(wb, d, "plan_actual_merged.xlsx"), t


def build_target_done_pairs(d: Path) -> tuple[Path, Truth]:
    """月份 | 区域 | 销售额目标 | 销售额完成 | 新增客户目标 | 新增客户完成."""
    rng = _rng("target_done")
    wb, ws = _new_book("目标完成")
    ws.append(["月份", "区域", "销售额目标", "销售额完成", "新增客户目标", "新增客户完成"])
    t = Truth("目标完成", "wide_measure", "month", ["区域"])
    for m in (9, 10):
        for region in REGIONS[:3]:
            sp, sa, np_, na = _sales(rng), _sales(rng), _count(rng), _count(rng)
            ws.append([month(2026, m), region, sp, sa, np_, na])
            p = month(2026, m)
            t.put(p, {"区域": region}, "销售额", "plan", sp)
            t.put(p, {"区域": region}, "销售额", "actual", sa)
            t.put(p, {"区域": region}, "新增客户", "plan", np_)
            t.put(p, {"区域": region}, "新增客户", "actual", na)
    return _save(wb, d, "target_done.xlsx"), t


def build_budget_actual_en(d: Path) -> tuple[Path, Truth]:
    """Sheet "FY2026": Region | Metric | Jan Budget | Jan Actual | … | Mar Actual."""
    rng = _rng("budget_actual")
    wb, ws = _new_book("FY2026")
    header = ["Region", "Metric"]
    for m in EN_MONTHS[:3]:
        header += [f"{m} Budget", f"{m} Actual"]
    ws.append(header)
    t = Truth("FY2026", "wide_period", "month", ["Region"])
    for region in ("华东", "华南", "华北"):
        row = [region, "Revenue"]
        for m in (1, 2, 3):
            budget, actual = _sales(rng), _sales(rng)
            row += [budget, actual]
            t.put(month(2026, m), {"Region": region}, "Revenue", "plan", budget)
            t.put(month(2026, m), {"Region": region}, "Revenue", "actual", actual)
        ws.append(row)
    return _save(wb, d, "budget_actual_en.xlsx"), t


# --------------------------------------------------------------------------- shape 5: transactions


def build_transactions(d: Path) -> tuple[Path, TxnTruth]:
    """订单号 | 下单日期 | 客户ID | 区域 | 金额: 50 orders over Jan–Mar 2026, IDs with leading zeros."""
    rng = _rng("transactions")
    customers = [f"{n:04d}" for n in (12, 45, 107, 230, 318, 509, 764, 1002, 1311, 2048)]
    wb, ws = _new_book("订单明细")
    ws.append(["订单号", "下单日期", "客户ID", "区域", "金额"])
    orders: list[Order] = []
    for i in range(50):
        m = 1 + i * 3 // 50  # 17 / 17 / 16 orders in months 1, 2, 3
        day = dt.date(2026, m, rng.randint(1, 28))
        o = Order(
            order_id=f"DD2026{m:02d}{i + 1:04d}",
            date=day,
            customer_id=rng.choice(customers),
            region=rng.choice(REGIONS),
            amount=round(rng.uniform(59, 4999), 2),
        )
        orders.append(o)
        ws.append([o.order_id, dt.datetime(day.year, day.month, day.day), o.customer_id, o.region, o.amount])
        ws.cell(ws.max_row, 2).number_format = "yyyy-mm-dd"
        ws.cell(ws.max_row, 3).number_format = "@"
    return _save(wb, d, "orders.xlsx"), TxnTruth("订单明细", orders)


# --------------------------------------------------------------------------- shape 6: snapshot


def build_snapshot(d: Path, period: str = "2026-10") -> tuple[Path, Truth]:
    """区域 | 门店数 | 会员数 | 满意度 with no period anywhere; truth is for ``--period period``."""
    rng = _rng("snapshot")
    wb, ws = _new_book("门店概况")
    ws.append(["区域", "门店数", "会员数", "满意度"])
    t = Truth("门店概况", "snapshot", "month", ["区域"])
    for region in REGIONS:
        stores, members, sat = rng.randint(5, 60), rng.randint(2000, 90000), _rate(rng)
        ws.append([region, stores, members, sat])
        t.put(period, {"区域": region}, "门店数", "actual", stores)
        t.put(period, {"区域": region}, "会员数", "actual", members)
        t.put(period, {"区域": region}, "满意度", "actual", sat)
    return _save(wb, d, "门店概况.xlsx"), t


# --------------------------------------------------------------------------- messy content


def build_title_and_notes(d: Path) -> tuple[Path, Truth]:
    """A title row, a note row and a blank row above the header; a footnote below the data."""
    rng = _rng("title_notes")
    wb, ws = _new_book("月报")
    ws.append(["2026年一季度 区域运营月报"])
    ws.merge_cells("A1:D1")
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["单位：万元；数据来源：CRM导出；制表：运营部"])
    ws.append([])
    ws.append(["月份", "区域", "销售额", "新增客户"])
    t = Truth("月报", "wide_measure", "month", ["区域"])
    for m in (1, 2, 3):
        for region in REGIONS[:3]:
            s, n = _sales(rng), _count(rng)
            ws.append([month(2026, m), region, s, n])
            t.put(month(2026, m), {"区域": region}, "销售额", "actual", s)
            t.put(month(2026, m), {"区域": region}, "新增客户", "actual", n)
    ws.append([])
    ws.append(["注：华南区含3月新开门店数据，新增客户口径为首次下单客户。"])
    return _save(wb, d, "title_notes.xlsx"), t


def _region_rows(rng: random.Random, n_months: int) -> dict[str, list[float]]:
    while True:
        rows = {r: [_sales(rng) for _ in range(n_months)] for r in REGIONS}
        vals = list(rows.values())
        # No data row may by chance equal the sum of the rows above it.
        if all(
            any(abs(vals[i][c] - sum(v[c] for v in vals[:i])) > 0.01 for c in range(n_months))
            for i in range(2, len(vals))
        ):
            return rows


def build_totals_row(d: Path, variant: str) -> tuple[Path, Truth]:
    """Sheet "2026销售额": 区域 | 1月 | 2月 | 3月 then a totals row.

    variant "labelled": the row says 合计; "unlabelled": empty label, numbers = sums;
    "mismatch": labelled 合计, but the 2月 total is 10 more than the sum of the rows.
    """
    rng = _rng(f"totals_{variant}")
    wb, ws = _new_book("2026销售额")
    ws.append(["区域", "1月", "2月", "3月"])
    t = Truth("2026销售额", "wide_period", "month", ["区域"], warnings={"totals_row_excluded"})
    rows = _region_rows(rng, 3)
    for region, vals in rows.items():
        ws.append([region, *vals])
        for m, v in enumerate(vals, start=1):
            t.put(month(2026, m), {"区域": region}, ANY_METRIC, "actual", v)
    sums = [round(sum(v[c] for v in rows.values()), 1) for c in range(3)]
    if variant == "mismatch":
        sums[1] = round(sums[1] + 10, 1)
    label = None if variant == "unlabelled" else "合计"
    ws.append([label, *sums])
    ws.cell(ws.max_row, 1).font = Font(bold=True)
    t.row_totals = {month(2026, m): s for m, s in enumerate(sums, start=1)}
    return _save(wb, d, f"totals_{variant}.xlsx"), t


def build_totals_column(d: Path, *, mismatch: bool = False) -> tuple[Path, Truth]:
    """区域 | 指标 | 1月 … 12月 | 全年, sheet "2026经营"; 全年 = sum of the row.

    With ``mismatch``, 华南/销售额's 全年 is written 5 more than the sum of its months.
    """
    rng = _rng("totals_col")
    wb, ws = _new_book("2026经营")
    ws.append(["区域", "指标", *CN_MONTHS, "全年"])
    t = Truth("2026经营", "wide_period", "month", ["区域"], warnings={"totals_column_excluded"})
    for region in ("华东", "华南"):
        for metric in ("销售额", "新增客户"):
            gen = _sales if metric == "销售额" else _count
            row = [gen(rng) for _ in range(12)]
            total = round(sum(row), 1)
            if mismatch and (region, metric) == ("华南", "销售额"):
                total = round(total + 5, 1)
            ws.append([region, metric, *row, total])
            t.column_totals.append(({"区域": region}, metric, total))
            for m, v in enumerate(row, start=1):
                t.put(month(2026, m), {"区域": region}, metric, "actual", v)
    name = "totals_column_mismatch.xlsx" if mismatch else "totals_column.xlsx"
    return _save(wb, d, name), t


def build_rank_serial_notes(d: Path) -> tuple[Path, Truth]:
    """序号 | 月份 | 区域 | 销售额(万元) | 新增客户 | 排名 | 备注 — 序号/排名/备注 are not measures."""
    rng = _rng("rank")
    wb, ws = _new_book("排名")
    ws.append(["序号", "月份", "区域", "销售额(万元)", "新增客户", "排名", "备注"])
    t = Truth("排名", "wide_measure", "month", ["区域"], units={"销售额": "万元"})
    data = [(r, _sales(rng), _count(rng)) for r in REGIONS]
    ranks = {r: i + 1 for i, (r, _s, _n) in enumerate(sorted(data, key=lambda x: -x[1]))}
    notes = {"华东": "大促拉动", "华北": "新店开业", "西南": None, "华南": None}
    for i, (region, s, n) in enumerate(data, start=1):
        ws.append([i, "2026-03", region, s, n, ranks[region], notes[region]])
        t.put("2026-03", {"区域": region}, "销售额", "actual", s)
        t.put("2026-03", {"区域": region}, "新增客户", "actual", n)
    return _save(wb, d, "rank_serial_notes.xlsx"), t


def build_store_codes(d: Path) -> tuple[Path, Truth]:
    """月份 | 门店编码 (text, leading zeros) | 门店 | 销售额(万元)."""
    rng = _rng("stores")
    wb, ws = _new_book("门店")
    ws.append(["月份", "门店编码", "门店", "销售额(万元)"])
    t = Truth("门店", "wide_measure", "month", ["门店编码", "门店"])
    for code, name in (("0012", "上海徐汇店"), ("0107", "杭州西湖店"), ("1020", "南京新街口店")):
        s = _sales(rng)
        ws.append(["2026-02", code, name, s])
        ws.cell(ws.max_row, 2).number_format = "@"
        t.put("2026-02", {"门店编码": code, "门店": name}, "销售额", "actual", s)
    return _save(wb, d, "store_codes.xlsx"), t


# Text forms of numbers in a long table: (region, metric, text, parsed value or None)
TEXT_NUMBER_ROWS: list[tuple[str, str, str | None, float | None]] = [
    ("华东", "销售额", "1,234", 1234.0),
    ("华南", "利润", "(1,234)", -1234.0),
    ("华北", "留存率", "85%", 0.85),
    ("西南", "留存率", "12.5%", 0.125),
    ("西南", "新增客户", "1.2万", 12000.0),
    ("华东", "营收", "3亿", 300000000.0),
    ("华南", "销售额", "¥1,200", 1200.0),
    ("华北", "销售额", "1,234.56", 1234.56),
    ("华北", "利润", "—", None),
    ("西南", "利润", "-", None),
    ("华东", "利润", "N/A", None),
    ("华南", "留存率", None, None),  # empty cell
]


def build_text_numbers_long(d: Path) -> tuple[Path, Truth]:
    """月份 | 区域 | 指标 | 数值 where every value is text: "1,234", "(1,234)", "85%", "1.2万", "3亿", …

    The truth holds only the non-null values; placeholders ("—", "-", "N/A", empty)
    are listed in ``placeholder_keys`` and may be absent or stored as NULL.
    """
    wb, ws = _new_book("文本数字")
    ws.append(["月份", "区域", "指标", "数值"])
    t = Truth("文本数字", "long", "month", ["区域"])
    for region, metric, text, value in TEXT_NUMBER_ROWS:
        ws.append(["2026-03", region, metric, text])
        if value is not None:
            t.put("2026-03", {"区域": region}, metric, "actual", value)
    return _save(wb, d, "text_numbers_long.xlsx"), t


def text_number_placeholder_keys() -> list[Key]:
    return [key("2026-03", {"区域": r}, m, "actual") for r, m, _t, v in TEXT_NUMBER_ROWS if v is None]


def build_text_numbers_wide(d: Path) -> tuple[Path, Truth, list[Key]]:
    """月份 | 区域 | 销售额(万元) | 新增客户 | 转化率 with every number stored as text."""
    wb, ws = _new_book("文本指标")
    ws.append(["月份", "区域", "销售额(万元)", "新增客户", "转化率"])
    rows = [
        ("华东", ("1,234.5", 1234.5), ("1.2万", 12000.0), ("12.5%", 0.125)),
        ("华南", ("¥2,000", 2000.0), ("3,456", 3456.0), ("8%", 0.08)),
        ("华北", ("(300)", -300.0), ("980", 980.0), ("—", None)),
        ("西南", ("2,100", 2100.0), ("-", None), ("N/A", None)),
    ]
    t = Truth("文本指标", "wide_measure", "month", ["区域"], units={"销售额": "万元"})
    placeholders: list[Key] = []
    for region, *cells in rows:
        ws.append(["2026-04", region, *[c[0] for c in cells]])
        for metric, (_text, value) in zip(("销售额", "新增客户", "转化率"), cells, strict=True):
            if value is None:
                placeholders.append(key("2026-04", {"区域": region}, metric, "actual"))
            else:
                t.put("2026-04", {"区域": region}, metric, "actual", value)
    return _save(wb, d, "text_numbers_wide.xlsx"), t, placeholders


def build_error_cells(d: Path) -> tuple[Path, Truth, int]:
    """月份 | 区域 | 销售额(万元) | 转化率 | 获客成本 with three Excel error cells (stored NULL)."""
    rng = _rng("errors")
    wb, ws = _new_book("指标")
    ws.append(["月份", "区域", "销售额(万元)", "转化率", "获客成本"])
    t = Truth("指标", "wide_measure", "month", ["区域"], warnings={"error_cells"})
    errors = {
        (2, "华北", "转化率"): "#DIV/0!",
        (2, "西南", "获客成本"): "#N/A",
        (1, "华南", "销售额"): "#REF!",
    }
    for m in (1, 2):
        for region in REGIONS:
            row: list = [month(2026, m), region]
            for metric, gen in (("销售额", _sales), ("转化率", _rate), ("获客成本", _count)):
                err = errors.get((m, region, metric))
                v = gen(rng)
                row.append(err if err else v)
                t.put(month(2026, m), {"区域": region}, metric, "actual", None if err else v)
            ws.append(row)
    return _save(wb, d, "error_cells.xlsx"), t, len(errors)


def build_unparsed_cells(d: Path) -> tuple[Path, Truth, list[Key]]:
    """月份 | 区域 | 销售额 | 新增客户 with two unparseable texts ("abc", "待定") in numeric columns."""
    rng = _rng("unparsed")
    wb, ws = _new_book("指标")
    ws.append(["月份", "区域", "销售额", "新增客户"])
    t = Truth("指标", "wide_measure", "month", ["区域"], warnings={"unparsed_cells"})
    bad = {("华南", "销售额"): "abc", ("华北", "新增客户"): "待定"}
    bad_keys: list[Key] = []
    for region in REGIONS:
        row: list = ["2026-05", region]
        for metric, gen in (("销售额", _sales), ("新增客户", _count)):
            text = bad.get((region, metric))
            if text:
                row.append(text)
                bad_keys.append(key("2026-05", {"区域": region}, metric, "actual"))
            else:
                v = gen(rng)
                row.append(v)
                t.put("2026-05", {"区域": region}, metric, "actual", v)
        ws.append(row)
    return _save(wb, d, "unparsed.xlsx"), t, bad_keys


# name -> (period header, two period cells, sheet name, expected periods, grain)
DATE_FORMS: dict[str, tuple[str, list, str, list[str], str]] = {
    "excel_date": (
        "月份",
        [dt.datetime(2026, 9, 1), dt.datetime(2026, 10, 1)],
        "数据",
        ["2026-09", "2026-10"],
        "month",
    ),
    "excel_serial": (
        "日期",
        [excel_serial(dt.date(2026, 9, 1)), excel_serial(dt.date(2026, 10, 1))],
        "数据",
        ["2026-09", "2026-10"],
        "month",
    ),
    "cn_year_month": ("月份", ["2026年9月", "2026年10月"], "数据", ["2026-09", "2026-10"], "month"),
    "iso_month": ("月份", ["2026-09", "2026-10"], "数据", ["2026-09", "2026-10"], "month"),
    "slash_date": ("日期", ["2026/09/01", "2026/10/01"], "数据", ["2026-09", "2026-10"], "month"),
    "month_only": ("月份", ["9月", "10月"], "2026年销售", ["2026-09", "2026-10"], "month"),
    "quarter_compact": ("季度", ["2026Q2", "2026Q3"], "数据", ["2026-Q2", "2026-Q3"], "quarter"),
    "quarter_cn": ("季度", ["2026年第二季度", "2026年第三季度"], "数据", ["2026-Q2", "2026-Q3"], "quarter"),
}


def build_date_form(d: Path, form: str) -> tuple[Path, Truth]:
    """<period column> | 区域 | 销售额(万元), the period written in one of DATE_FORMS."""
    header, cells, sheet, periods, grain = DATE_FORMS[form]
    rng = _rng(f"date_{form}")
    wb, ws = _new_book(sheet)
    ws.append([header, "区域", "销售额(万元)"])
    t = Truth(sheet, "wide_measure", grain, ["区域"])
    for cell, period in zip(cells, periods, strict=True):
        for region in ("华东", "华南"):
            v = _sales(rng)
            ws.append([cell, region, v])
            if isinstance(cell, dt.datetime):
                ws.cell(ws.max_row, 1).number_format = "yyyy-mm-dd"
            t.put(period, {"区域": region}, "销售额", "actual", v)
    return _save(wb, d, f"dates_{form}.xlsx"), t


def build_blank_and_duplicate_headers(d: Path) -> tuple[Path, Truth]:
    """月份 | 区域 | 销售额 | 销售额 | <blank> | 新增客户.

    The truth pins only 销售额 (the first of the duplicates) and 新增客户; what the
    app calls the second 销售额 and the blank-header column is not pinned.
    """
    rng = _rng("dup_headers")
    wb, ws = _new_book("数据")
    ws.append(["月份", "区域", "销售额", "销售额", None, "新增客户"])
    t = Truth("数据", "wide_measure", "month", ["区域"], warnings={"duplicate_headers", "blank_headers"})
    for region in REGIONS[:3]:
        s1, s2, blank, n = _sales(rng), _sales(rng), _count(rng), _count(rng)
        ws.append(["2026-06", region, s1, s2, blank, n])
        t.put("2026-06", {"区域": region}, "销售额", "actual", s1)
        t.put("2026-06", {"区域": region}, "新增客户", "actual", n)
    return _save(wb, d, "dup_headers.xlsx"), t


def build_blank_rows_middle(d: Path) -> tuple[Path, Truth]:
    """月份 | 区域 | 销售额 | 新增客户 with one blank row and then two blank rows inside the data."""
    rng = _rng("blank_rows")
    wb, ws = _new_book("数据")
    ws.append(["月份", "区域", "销售额", "新增客户"])
    t = Truth("数据", "wide_measure", "month", ["区域"])
    for m in (1, 2, 3):
        for region in REGIONS[:2]:
            s, n = _sales(rng), _count(rng)
            ws.append([month(2026, m), region, s, n])
            t.put(month(2026, m), {"区域": region}, "销售额", "actual", s)
            t.put(month(2026, m), {"区域": region}, "新增客户", "actual", n)
        if m == 1:
            ws.append([])
        elif m == 2:
            ws.append([])
            ws.append([])
    return _save(wb, d, "blank_rows.xlsx"), t


def build_two_tables(d: Path) -> tuple[Path, Truth]:
    """Main table (12 values) on top; below, after two blank rows, a small 渠道占比 table."""
    rng = _rng("two_tables")
    wb, ws = _new_book("月报")
    ws.append(["月份", "区域", "销售额", "新增客户"])
    t = Truth("月报", "wide_measure", "month", ["区域"], warnings={"extra_tables"})
    for m in (1, 2):
        for region in REGIONS[:3]:
            s, n = _sales(rng), _count(rng)
            ws.append([month(2026, m), region, s, n])
            t.put(month(2026, m), {"区域": region}, "销售额", "actual", s)
            t.put(month(2026, m), {"区域": region}, "新增客户", "actual", n)
    ws.append([])
    ws.append([])
    ws.append(["渠道占比"])
    ws.append(["渠道", "占比"])
    for channel, share in (("线上", "45%"), ("门店", "40%"), ("分销", "15%")):
        ws.append([channel, share])
    return _save(wb, d, "two_tables.xlsx"), t


def build_hidden_and_empty(d: Path) -> tuple[Path, Truth]:
    """Sheets: 旧数据 (hidden, has data), 空白 (empty), 销售 (good)."""
    rng = _rng("hidden")
    wb, hidden = _new_book("旧数据")
    hidden.append(["月份", "区域", "销售额"])
    hidden.append(["2025-12", "华东", 999.9])
    hidden.sheet_state = "hidden"
    wb.create_sheet("空白")
    ws = wb.create_sheet("销售")
    ws.append(["月份", "区域", "销售额", "新增客户"])
    t = Truth("销售", "wide_measure", "month", ["区域"])
    for region in REGIONS:
        s, n = _sales(rng), _count(rng)
        ws.append(["2026-01", region, s, n])
        t.put("2026-01", {"区域": region}, "销售额", "actual", s)
        t.put("2026-01", {"区域": region}, "新增客户", "actual", n)
    wb.active = 2
    return _save(wb, d, "hidden_empty.xlsx"), t


def build_two_good_sheets(d: Path) -> tuple[Path, dict[str, Truth]]:
    """Two importable sheets, 销售 and 客户, for --sheet."""
    rng = _rng("two_sheets")
    wb, ws1 = _new_book("销售")
    ws1.append(["月份", "区域", "销售额(万元)"])
    t1 = Truth("销售", "wide_measure", "month", ["区域"])
    for region in REGIONS[:2]:
        s = _sales(rng)
        ws1.append(["2026-02", region, s])
        t1.put("2026-02", {"区域": region}, "销售额", "actual", s)
    ws2 = wb.create_sheet("客户")
    ws2.append(["月份", "区域", "新增客户", "留存率"])
    t2 = Truth("客户", "wide_measure", "month", ["区域"])
    for region in REGIONS[:2]:
        n, r = _count(rng), _rate(rng)
        ws2.append(["2026-02", region, n, r])
        t2.put("2026-02", {"区域": region}, "新增客户", "actual", n)
        t2.put("2026-02", {"区域": region}, "留存率", "actual", r)
    return _save(wb, d, "two_sheets.xlsx"), {"销售": t1, "客户": t2}


def build_good_and_text_sheets(d: Path) -> tuple[Path, Truth]:
    """A good 销售 sheet plus a 问题清单 sheet of text only (problems, causes, owners)."""
    rng = _rng("good_text")
    wb, ws = _new_book("销售")
    ws.append(["月份", "区域", "销售额"])
    t = Truth("销售", "wide_measure", "month", ["区域"])
    for region in REGIONS[:3]:
        s = _sales(rng)
        ws.append(["2026-03", region, s])
        t.put("2026-03", {"区域": region}, "销售额", "actual", s)
    notes = wb.create_sheet("问题清单")
    _fill_text_only(notes)
    return _save(wb, d, "good_and_text.xlsx"), t


# --------------------------------------------------------------------------- CSV


CSV_HEADER = ["月份", "区域", "销售额(万元)", "新增客户"]


def _csv_rows() -> tuple[list[list[str]], Truth]:
    rng = _rng("csv")
    rows: list[list[str]] = []
    t = Truth(None, "wide_measure", "month", ["区域"], units={"销售额": "万元"})
    for m in (1, 2):
        for region in REGIONS[:3]:
            s, n = _sales(rng), _count(rng)
            s_text = f"{s:,.1f}" if s >= 1000 else f"{s:.1f}"  # "1,234.5" is quoted by the csv module
            rows.append([month(2026, m), region, s_text, str(n)])
            t.put(month(2026, m), {"区域": region}, "销售额", "actual", s)
            t.put(month(2026, m), {"区域": region}, "新增客户", "actual", n)
    return rows, t


def build_csv(d: Path, encoding: str) -> tuple[Path, Truth]:
    """区域销售.csv with Chinese headers in ``encoding`` (utf-8, utf-8-sig, gbk, gb18030)."""
    rows, t = _csv_rows()
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    w.writerows(rows)
    sub = d / encoding
    sub.mkdir(parents=True, exist_ok=True)
    path = sub / "区域销售.csv"
    path.write_bytes(buf.getvalue().encode(encoding))
    return path, t


def build_csv_gb18030_rare(d: Path) -> tuple[Path, Truth]:
    """GB18030 CSV whose 负责人 column holds a character outside GBK (𠮷, U+20BB7)."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["月份", "区域", "负责人", "销售额"])
    t = Truth(None, "wide_measure", "month", ["区域", "负责人"])
    for region, owner, s in (("华东", "李𠮷", 1520.5), ("华南", "王芳", 980.0), ("华北", "张伟", 1333.3)):
        w.writerow(["2026-08", region, owner, f"{s}"])
        t.put("2026-08", {"区域": region, "负责人": owner}, "销售额", "actual", s)
    d.mkdir(parents=True, exist_ok=True)
    path = d / "负责人业绩.csv"
    data = buf.getvalue().encode("gb18030")
    # Guard the fixture: this must not be decodable as UTF-8 nor as GBK.
    for enc in ("utf-8", "gbk"):
        try:
            data.decode(enc)
        except UnicodeDecodeError:
            pass
        else:  # pragma: no cover - fixture guard
            raise AssertionError(f"fixture bug: gb18030 bytes decode as {enc}")
    path.write_bytes(data)
    return path, t


# --------------------------------------------------------------------------- re-import and replace


def build_overlap_pair(d: Path) -> tuple[Path, Truth, Path, Truth]:
    """Two versions of 销售.xlsx: v1 covers 2026-01…03, v2 covers 2026-03…04 with new March values."""
    rng = _rng("overlap")

    def one(name: str, months: tuple[int, ...]) -> tuple[Path, Truth]:
        wb, ws = _new_book("销售")
        ws.append(["月份", "区域", "销售额(万元)"])
        t = Truth("销售", "wide_measure", "month", ["区域"], units={"销售额": "万元"})
        for m in months:
            for region in ("华东", "华南"):
                v = _sales(rng)
                ws.append([month(2026, m), region, v])
                t.put(month(2026, m), {"区域": region}, "销售额", "actual", v)
        return _save(wb, d, name), t

    p1, t1 = one("销售_v1.xlsx", (1, 2, 3))
    p2, t2 = one("销售_v2.xlsx", (3, 4))
    march1 = {k: v for k, v in t1.values.items() if k[0] == "2026-03"}
    march2 = {k: v for k, v in t2.values.items() if k[0] == "2026-03"}
    assert march1.keys() == march2.keys() and all(march1[k] != march2[k] for k in march1)
    return p1, t1, p2, t2


def build_seed(d: Path) -> tuple[Path, Truth]:
    """The good file that ``seeded_db`` imports first."""
    return build_wide_measure(d, name="seed_kpi.xlsx")


# --------------------------------------------------------------------------- bad input


def _small_good_xlsx_bytes(rows: int = 5) -> bytes:
    rng = _rng("small_good")
    wb, ws = _new_book("销售")
    ws.append(["月份", "区域", "销售额", "新增客户"])
    for i in range(rows):
        ws.append([month(2026, 1 + i % 12), REGIONS[i % 4], _sales(rng), _count(rng)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def bad_txt_renamed(d: Path) -> tuple[Path, str]:
    d.mkdir(parents=True, exist_ok=True)
    path = d / "notes.xlsx"
    path.write_text("会议纪要\n1. 华东销售额未达标\n2. 下月目标：新增客户500\n", encoding="utf-8")
    return path, "not_a_spreadsheet"


def _png_bytes() -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def bad_png_renamed(d: Path) -> tuple[Path, str]:
    d.mkdir(parents=True, exist_ok=True)
    path = d / "screenshot.xlsx"
    path.write_bytes(_png_bytes())
    return path, "not_a_spreadsheet"


def bad_truncated(d: Path) -> tuple[Path, str]:
    d.mkdir(parents=True, exist_ok=True)
    data = _small_good_xlsx_bytes(60)
    path = d / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path, "corrupt_file"


def bad_corrupt_zip(d: Path) -> tuple[Path, str]:
    """A whole xlsx whose sheet1.xml compressed bytes are flipped in the middle (CRC and deflate fail)."""
    d.mkdir(parents=True, exist_ok=True)
    data = bytearray(_small_good_xlsx_bytes(200))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    # Local header: 30 fixed bytes, then the name and the extra field.
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    mid = start + info.compress_size // 2
    for i in range(mid - 32, mid + 32):
        data[i] ^= 0xFF
    path = d / "corrupt.xlsx"
    path.write_bytes(bytes(data))
    return path, "corrupt_file"


ZIP_BOMB_ENTRY_SIZE = 200 * 1024 * 1024


def bad_zip_bomb(d: Path) -> tuple[Path, str]:
    """A valid-looking xlsx whose sheet1.xml declares 200 MB uncompressed (~0.5 MB compressed)."""
    d.mkdir(parents=True, exist_ok=True)
    path = d / "bomb.xlsx"
    with (
        zipfile.ZipFile(io.BytesIO(_small_good_xlsx_bytes())) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                continue
            dst.writestr(info, src.read(info.filename))
        with dst.open("xl/worksheets/sheet1.xml", "w") as f:
            f.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<sheetData><row r="1">'
            )
            chunk = b'<c r="A1"><v>0</v></c>' * 65536
            written = 0
            while written < ZIP_BOMB_ENTRY_SIZE:
                f.write(chunk)
                written += len(chunk)
    return path, "zip_bomb"


def bad_too_many_cells(d: Path) -> tuple[Path, str]:
    """A normal small xlsx whose sheet1.xml <dimension> claims A1:XFD1048576 (~17 billion cells)."""
    d.mkdir(parents=True, exist_ok=True)
    path = d / "huge_dimension.xlsx"
    with (
        zipfile.ZipFile(io.BytesIO(_small_good_xlsx_bytes())) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                start = data.index(b"<dimension ")
                end = data.index(b"/>", start) + 2
                data = data[:start] + b'<dimension ref="A1:XFD1048576"/>' + data[end:]
            dst.writestr(info, data)
    return path, "too_many_cells"


def bad_password_protected(d: Path) -> tuple[Path, str]:
    """A real xlsx encrypted with msoffcrypto-tool (password 1234): an OLE/CFB container."""
    from msoffcrypto.format.ooxml import OOXMLFile

    d.mkdir(parents=True, exist_ok=True)
    path = d / "protected.xlsx"
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(_small_good_xlsx_bytes())).encrypt("1234", out)
    path.write_bytes(out.getvalue())
    return path, "password_protected"


def bad_empty_file(d: Path, suffix: str = ".xlsx") -> tuple[Path, str]:
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"empty{suffix}"
    path.write_bytes(b"")
    return path, "empty_file"


FILE_SIZE_LIMIT_ASSUMED = 512 * 1024 * 1024


def bad_file_too_large(d: Path) -> tuple[Path, str]:
    """A sparse file just over 512 MiB (a real xlsx at the start, zeros after); no disk used."""
    d.mkdir(parents=True, exist_ok=True)
    path = d / "huge.xlsx"
    with path.open("wb") as f:
        f.write(_small_good_xlsx_bytes())
        f.truncate(FILE_SIZE_LIMIT_ASSUMED + 1)
    return path, "file_too_large"


def bad_header_only(d: Path) -> tuple[Path, str]:
    wb, ws = _new_book("销售")
    ws.append(["月份", "区域", "销售额(万元)", "新增客户"])
    return _save(wb, d, "header_only.xlsx"), "no_numeric_data"


def _fill_text_only(ws) -> None:
    ws.append(["问题", "原因分析", "改进措施", "负责人", "截止日期"])
    ws.append(["华东获客成本超预算", "投放渠道过于分散", "集中投放两个主渠道", "李四", "下月底"])
    ws.append(["客服响应慢", "夜班人手不足", "增加夜班轮值", "王五", "两周内"])
    ws.append(["新品到货延迟", "供应商排产变更", "增加备选供应商", "赵六", "季度末"])


def bad_text_only(d: Path) -> tuple[Path, str]:
    wb, ws = _new_book("问题清单")
    _fill_text_only(ws)
    return _save(wb, d, "text_only.xlsx"), "no_numeric_data"


def bad_numbers_only(d: Path) -> tuple[Path, str]:
    """A grid of numbers with no header row at all."""
    rng = _rng("numbers_only")
    wb, ws = _new_book("Sheet1")
    for _ in range(6):
        ws.append([_sales(rng) for _ in range(5)])
    return _save(wb, d, "numbers_only.xlsx"), "no_header"


BAD_INPUTS: dict[str, Callable[[Path], tuple[Path, str]]] = {
    "txt_renamed": bad_txt_renamed,
    "png_renamed": bad_png_renamed,
    "truncated": bad_truncated,
    "corrupt_zip": bad_corrupt_zip,
    "zip_bomb": bad_zip_bomb,
    "too_many_cells": bad_too_many_cells,
    "password_protected": bad_password_protected,
    "empty_file": bad_empty_file,
    "file_too_large": bad_file_too_large,
    "header_only": bad_header_only,
    "text_only": bad_text_only,
    "numbers_only": bad_numbers_only,
}

# Which of the bad inputs are problems of a sheet (the file itself opens fine).
SHEET_LEVEL_BAD = {"header_only", "text_only", "numbers_only"}


# --------------------------------------------------------------------------- like for like (issue 16)

LATE_PLAN = 120.0  # every region's monthly plan (万元)
LATE_ACTUAL = {4: 100.0, 5: 100.0, 6: 112.0}  # every region's actual per month …
LATE_REGION, LATE_MONTH = "西南", 6  # … but 西南's June, an Excel error cell


def build_region_error_cell(d: Path) -> tuple[Path, Truth]:
    """Two-row header: merged "4月" … "6月" above "计划 | 实际"; 区域 and 指标 merged over both rows;
    year in the sheet name. Four regions' 销售额 plan and actual, every plan 120 and every actual
    as ``LATE_ACTUAL``, except 西南's June actual: "#DIV/0!" (stored empty). June: a plan of 480
    for four regions, actuals of 336 for three (the plan of those three: 360)."""
    wb, ws = _new_book("2026年")
    ws.cell(1, 1, "区域")
    ws.cell(1, 2, "指标")
    ws.merge_cells("A1:A2")
    ws.merge_cells("B1:B2")
    months = sorted(LATE_ACTUAL)
    for i, m in enumerate(months):
        col = 3 + 2 * i
        ws.cell(1, col, f"{m}月")
        ws.merge_cells(start_row=1, start_column=col, end_row=1, end_column=col + 1)
        ws.cell(1, col).alignment = Alignment(horizontal="center")
        ws.cell(2, col, "计划")
        ws.cell(2, col + 1, "实际")
    t = Truth("2026年", "wide_period", "month", ["区域"], warnings={"error_cells"})
    for r, region in enumerate(REGIONS, start=3):
        ws.cell(r, 1, region)
        ws.cell(r, 2, "销售额")
        for i, m in enumerate(months):
            late = (region, m) == (LATE_REGION, LATE_MONTH)
            ws.cell(r, 3 + 2 * i, LATE_PLAN)
            ws.cell(r, 4 + 2 * i, "#DIV/0!" if late else LATE_ACTUAL[m])
            t.put(month(2026, m), {"区域": region}, "销售额", "plan", LATE_PLAN)
            t.put(month(2026, m), {"区域": region}, "销售额", "actual", None if late else LATE_ACTUAL[m])
    return _save(wb, d, "region_error_cell.xlsx"), t
