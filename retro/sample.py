"""The bundled sample workbook ``data/sample/retro_sample.xlsx`` and the ground truth behind it.

The workbook is meant to look like a real ops KPI export (title rows, merged headers, a totals
row, a note, text numbers, a hidden and an empty sheet) so that the importer and the demo are
exercised on the same mess users bring. Everything is generated from seeded RNGs, so the truth
functions here are the answer key for import tests.

Sheets, in workbook order:

``销售月报``
    Wide by month, 2026 only; the year is in the title "2026年度销售月报（单位：万元）" (A1, merged
    across A1:Z1). Row 2 is blank. Rows 3–4 are a two-row header: A3:A4 "区域" and B3:B4 "产品线"
    are merged vertically; each month "1月" … "12月" is merged over two columns (C3:D3 … Y3:Z3)
    with "计划" | "实际" below it in row 4. Rows 5–16 hold 4 regions × 3 product lines; the region
    cell is merged vertically over its three product-line rows (A5:A7, A8:A10, A11:A13, A14:A16).
    Row 17 is the totals row: "合计" merged over A17:B17, numbers (not formulas) equal to the
    column sums rounded to 2 decimals. Actual columns for 11月 and 12月 are empty (future months),
    including their totals cell. Row 18 is blank, row 19 carries the note
    "数据来源：CRM系统导出 2026-11-02".
    Carries metric 销售额 (万元): scenario ``plan`` for 2026-01…2026-12 and ``actual`` for
    2026-01…2026-10.

``KPI明细``
    Long by month, header in row 1, 288 data rows (24 months × 4 regions × 3 product lines,
    sorted by month, region, product line), actual only, 2024-11…2026-10. Columns:
    月份 (Excel date, first of month, format ``yyyy-mm``) | 区域 | 产品线 | 销售额(万元) |
    新增客户(家) | 留存率 | 满意度 | 获客成本(元) | 成本(万元).
    留存率 is a fraction with a percent format (0.853 shows as 85.3%); 满意度 is a 1–5 score.
    Two deliberately messy cells, see ``MISSING_CELL`` and ``TEXT_NUMBER_CELL``: one "—" where the
    value is missing (NaN in the truth) and one number written as text with a thousands
    separator (e.g. "3,112").

``订单明细``
    One row per order (see ``sample_orders``), header in row 1. Per month × region × product line
    the order amounts add up exactly to 销售额 actual × 10,000 元, so orders reconcile with the KPIs.

``目标2026``
    Scenario layout, header in row 1: 年份 | 月份 ("1月" … "12月" text) | 区域 | 指标 | 单位 | 版本 |
    数值. The 2026 region-level targets for 新增客户 (家), 版本 "目标" (plan) for all 12 months
    (see ``sample_targets``). Plan data that no other sheet carries, at region grain, as head
    offices hand targets out.

``辅助``
    Hidden lookup sheet (region and product-line codes, channel list). ``备用`` is empty.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

SEED = 20261123
SAMPLE_PATH = Path(__file__).resolve().parent.parent / "data" / "sample" / "retro_sample.xlsx"

REGIONS: tuple[str, ...] = ("华东", "华南", "华北", "西南")
PRODUCT_LINES: tuple[str, ...] = ("企业版", "专业版", "基础版")
CHANNELS: tuple[str, ...] = ("线上", "线下", "代理")

# 24 months ending with the last closed month before "today" (2026-11-23).
FIRST_PERIOD = (2024, 11)
N_MONTHS = 24
PLAN_YEAR = 2026
# The CRM export is dated early November, so 11月/12月 have a plan but no actual yet.
LAST_ACTUAL_MONTH_OF_PLAN_YEAR = 10

SALES_SHEET = "销售月报"
KPI_SHEET = "KPI明细"
ORDERS_SHEET = "订单明细"
TARGETS_SHEET = "目标2026"
LOOKUP_SHEET = "辅助"
SPARE_SHEET = "备用"

SALES_TITLE = f"{PLAN_YEAR}年度销售额月报（单位：万元）"
SALES_NOTE = "数据来源：CRM系统导出 2026-11-02"

# (metric, unit, KPI明细 header, decimals written). None decimals = integer cell.
KPI_METRICS: tuple[tuple[str, str, str, int | None], ...] = (
    ("销售额", "万元", "销售额(万元)", 2),
    ("新增客户", "家", "新增客户(家)", None),
    ("留存率", "%", "留存率", 3),
    ("满意度", "分", "满意度", 1),
    ("获客成本", "元", "获客成本(元)", None),
    ("成本", "万元", "成本(万元)", 2),
)

# The two export glitches in KPI明细: (period, region, product_line, metric).
MISSING_CELL = ("2025-07", "西南", "基础版", "满意度")
TEXT_NUMBER_CELL = ("2025-06", "华南", "专业版", "获客成本")

ORDER_COLUMNS: dict[str, str] = {
    "order_id": "订单号",
    "order_date": "下单日期",
    "customer_id": "客户ID",
    "region": "区域",
    "product_line": "产品线",
    "channel": "渠道",
    "amount": "金额(元)",
}

TRUTH_COLUMNS = ["period", "region", "product_line", "metric", "unit", "scenario", "value"]

# Calendar-month factors: Feb dips for 春节, Q4 is the year-end buying peak.
SEASON = {
    1: 0.96,
    2: 0.74,
    3: 1.00,
    4: 0.98,
    5: 1.01,
    6: 1.06,
    7: 0.96,
    8: 0.95,
    9: 1.04,
    10: 1.05,
    11: 1.14,
    12: 1.32,
}
REGION_SIZE = {"华东": 1.30, "华南": 1.10, "华北": 1.00, "西南": 0.60}
# Monthly growth differs so the regional trend lines are not parallel.
REGION_GROWTH = {"华东": 0.010, "华南": 0.008, "华北": 0.004, "西南": 0.018}
LINE_SALES = {"企业版": 70.0, "专业版": 40.0, "基础版": 18.0}  # 万元 per month at size 1.0
LINE_GROWTH = {"企业版": 0.000, "专业版": 0.002, "基础版": 0.006}
LINE_NEW_CUSTOMERS = {"企业版": 6.0, "专业版": 15.0, "基础版": 40.0}
LINE_RETENTION = {"企业版": 0.915, "专业版": 0.862, "基础版": 0.781}
LINE_SATISFACTION = {"企业版": 4.5, "专业版": 4.3, "基础版": 4.1}
LINE_CAC = {"企业版": 9000.0, "专业版": 3000.0, "基础版": 800.0}  # 元 per new customer
LINE_COST_RATIO = {"企业版": 0.58, "专业版": 0.64, "基础版": 0.71}
PLAN_STRETCH = 1.01

# The story: a competitor enters 华东 in 2026-08; enterprise deals are hit hardest and the
# recovery is partial by October. Keyed by period, then product line.
COMPETITOR_REGION = "华东"
COMPETITOR_HIT = {
    "2026-08": {"企业版": 0.76, "专业版": 0.80, "基础版": 0.86},
    "2026-09": {"企业版": 0.87, "专业版": 0.90, "基础版": 0.93},
    "2026-10": {"企业版": 0.93, "专业版": 0.95, "基础版": 0.97},
}

# Typical order size in 元, which sets how many orders a month's sales split into (~3,000 total).
LINE_ORDER_SIZE = {"企业版": 160_000.0, "专业版": 45_000.0, "基础版": 15_000.0}
LINE_CHANNEL_MIX = {
    "企业版": (0.10, 0.60, 0.30),
    "专业版": (0.40, 0.35, 0.25),
    "基础版": (0.75, 0.10, 0.15),
}
REPEAT_SHARE = 0.62  # share of orders from customers who already bought in the region


def _periods() -> list[tuple[int, int]]:
    year, month = FIRST_PERIOD
    out = []
    for _ in range(N_MONTHS):
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _round(value: float, decimals: int | None) -> float:
    return float(round(value, decimals or 0))


@lru_cache(maxsize=1)
def _truth() -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    rows: list[tuple[str, str, str, str, str, str, float]] = []
    for t, (year, month) in enumerate(_periods()):
        period = _label(year, month)
        for region in REGIONS:
            for line in PRODUCT_LINES:
                hit = COMPETITOR_HIT.get(period, {}).get(line, 1.0) if region == COMPETITOR_REGION else 1.0
                growth = (1 + REGION_GROWTH[region] + LINE_GROWTH[line]) ** t
                expected = LINE_SALES[line] * REGION_SIZE[region] * SEASON[month] * growth
                sales = expected * hit * rng.lognormal(0.0, 0.04)
                new_customers = rng.poisson(
                    LINE_NEW_CUSTOMERS[line] * REGION_SIZE[region] * SEASON[month] ** 0.8 * growth * hit
                )
                # A lost deal also costs goodwill, so retention and satisfaction dip with the hit.
                retention = min(
                    0.99, LINE_RETENTION[line] + 0.0015 * t - 0.2 * (1 - hit) + rng.normal(0.0, 0.008)
                )
                satisfaction = min(
                    5.0, max(1.0, LINE_SATISFACTION[line] - 1.5 * (1 - hit) + rng.normal(0.0, 0.09))
                )
                # Competitors bid up ad prices, so acquisition cost rises when sales fall.
                cac = LINE_CAC[line] * (1.005**t) / hit**1.2 * rng.lognormal(0.0, 0.06)
                cost = sales * LINE_COST_RATIO[line] * rng.lognormal(0.0, 0.03)
                values = {
                    "销售额": sales,
                    "新增客户": float(new_customers),
                    "留存率": retention,
                    "满意度": satisfaction,
                    "获客成本": cac,
                    "成本": cost,
                }
                for metric, unit, _header, decimals in KPI_METRICS:
                    value = _round(values[metric], decimals)
                    if (period, region, line, metric) == MISSING_CELL:
                        value = float("nan")
                    rows.append((period, region, line, metric, unit, "actual", value))
    # Plans are set before the year from the trend, so they carry no noise and no competitor;
    # whole 万元 because that is how targets are handed out. A separate loop keeps the RNG
    # stream of the actuals independent of the plan.
    for t, (year, month) in enumerate(_periods() + [(PLAN_YEAR, 11), (PLAN_YEAR, 12)]):
        if year != PLAN_YEAR:
            continue
        for region in REGIONS:
            for line in PRODUCT_LINES:
                growth = (1 + REGION_GROWTH[region] + LINE_GROWTH[line]) ** t
                plan = LINE_SALES[line] * REGION_SIZE[region] * SEASON[month] * growth * PLAN_STRETCH
                rows.append((_label(year, month), region, line, "销售额", "万元", "plan", _round(plan, 0)))
    df = pd.DataFrame(rows, columns=TRUTH_COLUMNS)
    order = {
        "region": {r: i for i, r in enumerate(REGIONS)},
        "product_line": {p: i for i, p in enumerate(PRODUCT_LINES)},
        "metric": {m[0]: i for i, m in enumerate(KPI_METRICS)},
        "scenario": {"actual": 0, "plan": 1},
    }
    df = df.sort_values(
        ["period", "region", "product_line", "metric", "scenario"],
        key=lambda s: s.map(order[s.name]) if s.name in order else s,
    )
    return df.reset_index(drop=True)


def sample_truth() -> pd.DataFrame:
    """Every number that ``销售月报`` and ``KPI明细`` carry, long format.

    Columns: period ('YYYY-MM'), region, product_line, metric (header name without unit), unit,
    scenario ('actual' | 'plan'), value (float, rounded exactly as written into the cell).

    - ``KPI明细``: scenario actual, 2024-11…2026-10, all six metrics (销售额 万元, 新增客户 家,
      留存率 % stored as a fraction, 满意度 分, 获客成本 元, 成本 万元) for 4 regions × 3 product
      lines. The cell written as "—" (``MISSING_CELL``) has value NaN.
    - ``销售月报``: 销售额 (万元) only; plan for 2026-01…2026-12, actual for 2026-01…2026-10.
      Its actual cells are the same numbers as KPI明细's 销售额 for those months, so they appear
      once here. The totals row is not part of the truth (it is derived).
    """
    return _truth().copy()


def sample_targets() -> pd.DataFrame:
    """The rows of ``目标2026``: 2026 新增客户 targets per region (product_line None), truth columns.

    A target is last year's same-month new customers of the region (all product lines) plus 15%,
    rounded to whole customers: targets are set before the year, from last year's actuals.
    """
    truth = _truth()
    new = truth[(truth["metric"] == "新增客户") & (truth["scenario"] == "actual")]
    by_month = new.groupby(["period", "region"])["value"].sum()
    rows = []
    for month in range(1, 13):
        base_period = _label(PLAN_YEAR - 1, month)
        for region in REGIONS:
            base = by_month.get((base_period, region))
            if base is None:  # 2025-01…2025-10 exist; Nov/Dec fall back to 2024
                base = by_month[(_label(PLAN_YEAR - 2, month), region)] * 1.1
            rows.append((_label(PLAN_YEAR, month), region, None, "新增客户", "家", "plan", float(round(base * 1.15))))
    return pd.DataFrame(rows, columns=TRUTH_COLUMNS)


@lru_cache(maxsize=1)
def _orders() -> pd.DataFrame:
    # A separate stream so changing the order model never shifts the KPI truth.
    rng = np.random.default_rng([SEED, 1])
    truth = _truth()
    sales = truth[(truth["metric"] == "销售额") & (truth["scenario"] == "actual")]
    sales_by_cell = {(r.period, r.region, r.product_line): r.value for r in sales.itertuples()}
    # Customer numbers are drawn without replacement from a sparse range so IDs look like a real
    # CRM's (gaps, many leading zeros) rather than 1, 2, 3.
    id_pool = iter(rng.permutation(np.arange(1, 40_000)))
    customers: dict[str, list[str]] = {r: [] for r in REGIONS}
    last_seen: dict[str, list[int]] = {r: [] for r in REGIONS}
    records: list[tuple[date, str, str, str, str, float]] = []
    for t, (year, month) in enumerate(_periods()):
        period = _label(year, month)
        days_in_month = (pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)).day
        for region in REGIONS:
            for line in PRODUCT_LINES:
                total_fen = int(round(sales_by_cell[(period, region, line)] * 1_000_000))
                n = max(1, int(rng.poisson(total_fen / 100 / LINE_ORDER_SIZE[line])))
                weights = rng.dirichlet(np.full(n, 4.0))
                parts = np.floor(weights * total_fen).astype(np.int64)
                parts[int(np.argmax(parts))] += total_fen - int(parts.sum())
                for fen in parts:
                    pool = customers[region]
                    if pool and rng.random() < REPEAT_SHARE:
                        # Recent buyers come back more often, which gives cohorts a decay curve.
                        recency = t - np.asarray(last_seen[region])
                        p = np.exp(-recency / 5.0)
                        k = int(rng.choice(len(pool), p=p / p.sum()))
                        last_seen[region][k] = t
                        customer = pool[k]
                    else:
                        customer = f"C{int(next(id_pool)):05d}"
                        pool.append(customer)
                        last_seen[region].append(t)
                    day = int(rng.integers(1, days_in_month + 1))
                    channel = CHANNELS[int(rng.choice(3, p=LINE_CHANNEL_MIX[line]))]
                    records.append((date(year, month, day), customer, region, line, channel, int(fen) / 100))
    df = pd.DataFrame(
        records, columns=["order_date", "customer_id", "region", "product_line", "channel", "amount"]
    )
    df = df.sort_values("order_date", kind="stable").reset_index(drop=True)
    seq = df.groupby(df["order_date"].map(lambda d: d.year)).cumcount() + 1
    df["order_id"] = [f"SO{d.year}{s:06d}" for d, s in zip(df["order_date"], seq, strict=True)]
    return df[list(ORDER_COLUMNS)]


def sample_orders() -> pd.DataFrame:
    """The rows of ``订单明细``, in sheet order.

    Columns (sheet header in brackets): order_id (订单号, text "SO2026000123"), order_date
    (下单日期, datetime.date), customer_id (客户ID, text "C00123"), region (区域), product_line
    (产品线), channel (渠道: 线上/线下/代理), amount (金额(元), 2 decimals). Per month × region ×
    product line, sum(amount) == 销售额 actual × 10,000 to the fen.
    """
    return _orders().copy()


_BOLD = Font(bold=True)
_TITLE_FONT = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_CENTER = Alignment(horizontal="center", vertical="center")
_THIN = Side(style="thin", color="A6A6A6")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_MONEY = "#,##0.00"


def _cell_value(value: float, decimals: int | None) -> float | int:
    # Counts and whole-yuan costs go in as ints, like a system export would write them.
    return int(value) if decimals is None else float(value)


def _write_sales_sheet(ws: Worksheet, truth: pd.DataFrame) -> None:
    sales = truth[(truth["metric"] == "销售额") & truth["period"].str.startswith(f"{PLAN_YEAR}-")]
    lookup = {(r.period, r.region, r.product_line, r.scenario): r.value for r in sales.itertuples()}
    last_col = 2 + 2 * 12
    ws.cell(row=1, column=1, value=SALES_TITLE).font = _TITLE_FONT
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_col)
    ws.cell(row=1, column=1).alignment = _CENTER

    for col, text in ((1, "区域"), (2, "产品线")):
        ws.cell(row=3, column=col, value=text)
        ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
    for m in range(1, 13):
        col = 3 + 2 * (m - 1)
        ws.cell(row=3, column=col, value=f"{m}月")
        ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + 1)
        ws.cell(row=4, column=col, value="计划")
        ws.cell(row=4, column=col + 1, value="实际")
    for row in (3, 4):
        for col in range(1, last_col + 1):
            cell = ws.cell(row=row, column=col)
            cell.font, cell.fill, cell.alignment, cell.border = _BOLD, _HEADER_FILL, _CENTER, _BOX

    row = 5
    sums: dict[int, float] = {}
    for region in REGIONS:
        ws.cell(row=row, column=1, value=region)
        ws.merge_cells(start_row=row, start_column=1, end_row=row + len(PRODUCT_LINES) - 1, end_column=1)
        for line in PRODUCT_LINES:
            ws.cell(row=row, column=2, value=line)
            for m in range(1, 13):
                period = _label(PLAN_YEAR, m)
                for offset, scenario in ((0, "plan"), (1, "actual")):
                    col = 3 + 2 * (m - 1) + offset
                    value = lookup.get((period, region, line, scenario))
                    if value is not None:
                        ws.cell(row=row, column=col, value=float(value))
                        sums[col] = sums.get(col, 0.0) + value
            for col in range(1, last_col + 1):
                cell = ws.cell(row=row, column=col)
                cell.border = _BOX
                if col >= 3:
                    cell.number_format = _MONEY
            ws.cell(row=row, column=1).alignment = _CENTER
            row += 1

    ws.cell(row=row, column=1, value="合计")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
    for col in range(1, last_col + 1):
        cell = ws.cell(row=row, column=col)
        if col in sums:
            # Written as numbers: many exports are pasted values, and a formula would have no
            # cached value when openpyxl writes it.
            cell.value = round(sums[col], 2)
            cell.number_format = _MONEY
        cell.font, cell.fill, cell.border = _BOLD, _TOTAL_FILL, _BOX
    ws.cell(row=row, column=1).alignment = _CENTER
    ws.cell(row=row + 2, column=1, value=SALES_NOTE).font = Font(italic=True, color="808080")

    ws.column_dimensions["A"].width = 8
    ws.column_dimensions["B"].width = 9
    for col in range(3, last_col + 1):
        ws.column_dimensions[get_column_letter(col)].width = 10
    ws.freeze_panes = "C5"


def _write_kpi_sheet(ws: Worksheet, truth: pd.DataFrame) -> None:
    actual = truth[truth["scenario"] == "actual"]
    lookup = {(r.period, r.region, r.product_line, r.metric): r.value for r in actual.itertuples()}
    headers = ["月份", "区域", "产品线"] + [m[2] for m in KPI_METRICS]
    ws.append(headers)
    for cell in ws[1]:
        cell.font, cell.fill, cell.alignment = _BOLD, _HEADER_FILL, _CENTER
    formats = {
        "销售额": _MONEY,
        "新增客户": "0",
        "留存率": "0.0%",
        "满意度": "0.0",
        "获客成本": "#,##0",
        "成本": _MONEY,
    }
    for year, month in _periods():
        period = _label(year, month)
        for region in REGIONS:
            for line in PRODUCT_LINES:
                row: list[object] = [datetime(year, month, 1), region, line]
                for metric, _unit, _header, decimals in KPI_METRICS:
                    key = (period, region, line, metric)
                    value = lookup[key]
                    if key == MISSING_CELL:
                        row.append("—")
                    elif key == TEXT_NUMBER_CELL:
                        row.append(f"{value:,.{decimals or 0}f}")
                    else:
                        row.append(_cell_value(value, decimals))
                ws.append(row)
    for r in range(2, ws.max_row + 1):
        ws.cell(row=r, column=1).number_format = "yyyy-mm"
        for i, (metric, *_rest) in enumerate(KPI_METRICS):
            ws.cell(row=r, column=4 + i).number_format = formats[metric]
    for col, width in zip("ABCDEFGHI", (10, 8, 9, 13, 13, 9, 8, 13, 11), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"


def _write_orders_sheet(ws: Worksheet, orders: pd.DataFrame) -> None:
    ws.append(list(ORDER_COLUMNS.values()))
    for cell in ws[1]:
        cell.font, cell.fill, cell.alignment = _BOLD, _HEADER_FILL, _CENTER
    for rec in orders.itertuples(index=False):
        ws.append(
            [
                rec.order_id,
                rec.order_date,
                rec.customer_id,
                rec.region,
                rec.product_line,
                rec.channel,
                float(rec.amount),
            ]
        )
    for r in range(2, ws.max_row + 1):
        ws.cell(row=r, column=2).number_format = "yyyy-mm-dd"
        ws.cell(row=r, column=7).number_format = _MONEY
    for col, width in zip("ABCDEFG", (15, 12, 10, 8, 9, 8, 13), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"


def _write_targets_sheet(ws: Worksheet, targets: pd.DataFrame) -> None:
    ws.append(["年份", "月份", "区域", "指标", "单位", "版本", "数值"])
    for cell in ws[1]:
        cell.font, cell.fill, cell.alignment = _BOLD, _HEADER_FILL, _CENTER
    version = {"plan": "目标", "actual": "实际"}
    for rec in targets.itertuples(index=False):
        year, month = (int(x) for x in rec.period.split("-"))
        ws.append(
            [year, f"{month}月", rec.region, rec.metric, rec.unit, version[rec.scenario], int(rec.value)]
        )
        ws.cell(row=ws.max_row, column=7).number_format = "0"
    ws.freeze_panes = "A2"


def _write_lookup_sheet(ws: Worksheet) -> None:
    ws.append(["类型", "名称", "编码"])
    for i, region in enumerate(REGIONS, start=1):
        ws.append(["区域", region, f"R{i:02d}"])
    for i, line in enumerate(PRODUCT_LINES, start=1):
        ws.append(["产品线", line, f"P{i:02d}"])
    for i, channel in enumerate(CHANNELS, start=1):
        ws.append(["渠道", channel, f"CH{i}"])
    ws.sheet_state = "hidden"


def write_sample_workbook(path: str | Path = SAMPLE_PATH) -> Path:
    """Write the sample workbook to ``path`` (parents created) and return the path.

    Cell values are deterministic; the zip bytes are not (openpyxl stamps the save time).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    truth = _truth()
    wb = Workbook()
    _write_sales_sheet(wb.active, truth)
    wb.active.title = SALES_SHEET
    _write_kpi_sheet(wb.create_sheet(KPI_SHEET), truth)
    _write_orders_sheet(wb.create_sheet(ORDERS_SHEET), _orders())
    _write_targets_sheet(wb.create_sheet(TARGETS_SHEET), sample_targets())
    _write_lookup_sheet(wb.create_sheet(LOOKUP_SHEET))
    wb.create_sheet(SPARE_SHEET)
    wb.properties.creator = "retro sample"
    wb.properties.created = datetime(2026, 11, 2, 9, 0, 0)
    wb.save(path)
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE_PATH
    print(write_sample_workbook(target))
