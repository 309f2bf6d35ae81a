"""Recognising a sheet's layout: where the header is, what each column holds, which shape it is.

Works on the first rows of the sheet (the head); everything here is a guess the
user can correct in the preview, and the corrected plan is remembered per layout.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from itertools import pairwise

from . import cells, context, roles
from .cells import (
    Period,
    parse_number,
    parse_period,
    period_from_any_label,
    split_unit,
    unit_in_title,
    year_in_text,
)
from .readings import Reading

HEAD_ROWS = 2000
HEADER_SCAN_ROWS = 40

ROLES = ("period", "year", "dimension", "metric", "scenario", "measure", "unit", "id", "total", "ignore")
SHAPES = ("long", "wide_period", "wide_measure", "transactions", "snapshot")

_NOTE_RE = re.compile(r"^(备注|说明|注释|批注|remarks?|notes?|comments?|描述|原因)", re.I)
# Free text beside the numbers (偏差原因, 经验/教训, Lessons): notes for the people, never segments.
_NOTE_TEXT_RE = re.compile(r"(原因|教训|经验|备注|说明|措施|对策|问题|reasons?|causes?|lessons?|remarks?|notes?|comments?|actions?)", re.I)
_RANK_RE = re.compile(r"^(排名|排序|序号|序|编号序|no\.?|#|rank|seq|s/n|行号|index)$", re.I)
_TOTAL_COL_RE = re.compile(r"^(合计|总计|总额|总和|汇总|全年|全年合计|年度合计|年合计|累计|ytd|total|sum|grand total|小计|"
                           r"summe|gesamt|insgesamt|gesamtsumme)$", re.I)
TOTAL_LABEL_RE = re.compile(r"(合计|总计|小计|汇总|总和|^total$|^grand total$|^sub ?-?total\b|\bsub ?-?total$|^sum$|^total\b|\btotal$|"
                            r"^summe$|^gesamt|^insgesamt$|^zwischensumme$)", re.I)
GRAND_TOTAL_RE = re.compile(r"^(合计|总计|汇总|总和|全部合计|total|grand total|sum|全国合计|全国|summe|gesamt|gesamtsumme|insgesamt)$", re.I)
# Rows under the data that describe it, not more of it: 平均 / 最高 / Average / Max, 环比 / 同比.
STAT_LABEL_RE = re.compile(r"^(平均|平均值|均值|平均数|月均|日均|最高|最低|最高值|最低值|最大|最小|最大值|最小值|中位数|"
                           r"average|avg\.?|mean|max|min|maximum|minimum|median|环比|同比|环比增长|同比增长|"
                           r"mom|yoy|% ?change|change %)$", re.I)
_YEAR_COL_RE = re.compile(r"^(年份|年度|年|year|fy|财年|fiscal year)$", re.I)
# A column of month (or quarter) numbers beside a year column: '月' / 'Month' over 1 … 12.
_NUMBERED_PERIOD_RE = re.compile(r"^(?:(月|月份|月度|month|mth)|(季|季度|quarter|qtr))$", re.I)
_PERIOD_COL_RE = re.compile(
    r"(月份|日期|时间|期间|年月|统计月|周期|季度|^月$|date|month|period|quarter|day|下单|交易时间|创建时间|支付时间)", re.I
)
_UNIT_COL_RE = re.compile(r"^(单位|计量单位|unit|units|uom)$", re.I)
_METRIC_COL_RE = re.compile(
    r"^(指标|指标名称|指标名|指标项|目标指标|考核指标|关键指标|项目|项目名称|科目|科目名称|会计科目|费用项目|收支项目|kpi|kpi名称|kpi name|"
    r"metric|metrics|metric name|measure|measures|measure name|indicator|item|items|line item|line items|类目|"
    r"particulars|account|accounts|account name|gl account)$", re.I)
# Segment words: a label column with these headers is a dimension even when the values name no metric.
_DIMENSION_WORDS_RE = re.compile(
    r"(区域|地区|大区|片区|省|市|城市|门店|店铺|分店|渠道|平台|产品|品类|品牌|商品|部门|团队|小组|负责人|销售员|业务员|姓名|员工|客户|"
    r"region|area|country|state|province|city|store|shop|branch|channel|platform|product|category|brand|segment|"
    r"department|team|owner|sales ?person|salesperson|rep|name|employee|customer|client|market)", re.I)
_SCENARIO_COL_RE = re.compile(r"^(场景|版本|口径|类型|数据类型|scenario|version|type|case)$", re.I)
_ID_RE = re.compile(
    r"(id$|^id|编号|编码|代码|单号|订单号|订单编号|流水号|客户号|会员号|手机号|code$|^order|^customer|^user|no\.$)", re.I
)
_CUSTOMER_RE = re.compile(r"(客户|会员|用户|买家|customer|client|member|user|buyer|account)", re.I)
_ORDER_RE = re.compile(r"(订单|单号|流水|交易|order|invoice|transaction|txn)", re.I)
_VALUE_HEADER_RE = re.compile(r"^(数值|值|数据|金额|value|amount|val|结果)$", re.I)

SCENARIO_WORDS = {
    "计划": "plan", "目标": "plan", "预算": "plan", "计划值": "plan", "目标值": "plan", "预算值": "plan",
    "plan": "plan", "budget": "plan", "target": "plan", "goal": "plan", "bud": "plan",
    "实际": "actual", "完成": "actual", "实绩": "actual", "实际值": "actual", "完成值": "actual", "实际完成": "actual",
    "actual": "actual", "actuals": "actual", "act": "actual", "achieved": "actual",
    "预测": "forecast", "预估": "forecast", "forecast": "forecast", "fcst": "forecast", "fc": "forecast",
    # 预计 beside 实际 in budget templates is what was budgeted (the plan), not a statistical forecast
    "预计": "plan", "预计值": "plan", "budgeted": "plan", "targets": "plan", "plans": "plan",
}
_SCEN_TOKENS = "计划值|目标值|预算值|实际值|完成值|实际完成|预计值|计划|目标|预算|实际|完成|实绩|预测|预估|预计"
_SCEN_SUFFIX = re.compile(r"^(.+?)[\s\-_:：/（(]*(" + _SCEN_TOKENS + r")[)）]?$")
_SCEN_PREFIX = re.compile(r"^(" + _SCEN_TOKENS + r")[\s\-_:：/]*(.+)$")
_SCEN_EN = re.compile(r"\b(plan|budget|target|actuals?|forecast|fcst)\b", re.I)
_NOT_METRIC_REST = ("率", "度", "比", "进度", "情况", "占比", "百分比")


def scenario_of(text: str | None) -> str | None:
    """'计划' → 'plan'; 'Budget' → 'plan'; '实际' → 'actual'; other words → None."""
    if text is None:
        return None
    return SCENARIO_WORDS.get(text.strip().lower())


def split_scenario(header: str) -> tuple[str, str | None]:
    """'销售额计划' → ('销售额', 'plan'); '完成率' stays a metric; 'Sales Budget' → ('Sales', 'plan')."""
    text = header.strip()
    whole = scenario_of(text)
    if whole:
        return "", whole
    if text.endswith(("率", "比", "比例", "占比", "%", "％")):
        return text, None  # 计划完成率, 目标达成率: a rate about the plan, not a plan value
    m = _SCEN_SUFFIX.match(text)
    if m and not m.group(1).endswith(("年度", "年")):
        return m.group(1).strip(), SCENARIO_WORDS[m.group(2)]
    m = _SCEN_PREFIX.match(text)
    if m and not m.group(2).startswith(_NOT_METRIC_REST):
        return m.group(2).strip(), SCENARIO_WORDS[m.group(1)]
    m = _SCEN_EN.search(text)
    if m:
        rest = (text[: m.start()] + text[m.end() :]).strip(" -_:/()")
        if rest and not rest.lower().endswith(("rate", "%")):
            return rest, SCENARIO_WORDS[m.group(1).lower()]
    return text, None


def metric_unit_scenario(header: str) -> tuple[str | None, str | None, str | None]:
    """'销售额目标（万元）' → ('销售额', '万元', 'plan'): the unit comes off first, then the scenario word."""
    base, unit = split_unit(header)
    metric, scenario = split_scenario(base)
    if unit is None and metric:
        metric, unit = split_unit(metric)  # '销售额(万元)实际': the scenario word came after the unit
    return (metric or None), unit, scenario


@dataclass
class ColumnSpec:
    index: int
    header: str
    role: str
    metric: str | None = None
    unit: str | None = None
    scenario: str | None = None
    period: str | None = None  # a Period label when the header is a period (wide layouts)
    id_kind: str | None = None  # "customer" | "order" | None
    reading: Reading | None = None  # why the column has this role, when something decided it

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["reading"] = self.reading.to_dict() if self.reading else None
        return d


@dataclass
class SheetPlan:
    sheet: str
    shape: str
    header_rows: list[int]
    start: int  # first data row
    end: int  # one past the last data row
    columns: list[ColumnSpec]
    excluded: dict[int, str] = field(default_factory=dict)  # row → "note" | "blank" | "header"
    title: str | None = None
    default_unit: str | None = None
    year: int | None = None
    year_source: str | None = None
    period: str | None = None  # the user-given period for a snapshot
    metric_name: str | None = None  # the metric of a wide-by-period sheet with no metric column
    # A section's title line above its repeated header ('成本（万元）' over the second 区域 · 1月 … row):
    # header row → the title's text. With the metric named from the title, each section is its own metric.
    section_titles: dict[int, str] = field(default_factory=dict)
    section_metrics: list[tuple[int, str, str | None]] = field(default_factory=list)  # (header row, metric, unit)
    extra_tables: list[tuple[int, int]] = field(default_factory=list)
    duplicate_headers: list[str] = field(default_factory=list)
    blank_headers: int = 0
    yearless: bool = False  # some period cell had no year ('3月'), so the sheet's year was used
    fingerprint: str = ""
    file_name: str = ""
    sheet_period: str | None = None  # the period the sheet's name gives ('????-10' for a sheet 10月份)
    day_first: bool | None = None  # slash dates ('3/4/20') are day first; None: no slash dates on the sheet
    spread: list[list[str | None]] = field(default_factory=list, repr=False)  # rows from further down a big sheet
    skip_rows: set[int] = field(default_factory=set)  # rows the user leaves out (a mismatch's fix)
    keep_rows: set[int] = field(default_factory=set)  # rows the user keeps that were read as totals
    readings: list[Reading] = field(default_factory=list)  # the sheet-level decisions and their evidence

    def of_role(self, role: str) -> list[ColumnSpec]:
        return [c for c in self.columns if c.role == role]


# ---------------------------------------------------------------- cell kinds


def _blank(v: str | None) -> bool:
    return v is None or v.strip() == ""


def cell_kind(v: str | None) -> str:
    """'blank', 'number', 'period' or 'text' for one cell read as text."""
    if _blank(v):
        return "blank"
    if parse_number(v).status == "ok":
        # A bare 4-digit year or 6-digit 202610 is a number by value; headers decide later.
        return "number"
    if parse_period(v) is not None:
        return "period"
    return "text"


def _row_integers(row: list[str | None]) -> list[int] | None:
    """The whole numbers of a row, left to right; None when one of its numbers is not whole."""
    out = []
    for v in row:
        n = parse_number(v) if not _blank(v) else None
        if n is not None and n.status == "ok":
            if n.value is None or not float(n.value).is_integer():
                return None
            out.append(int(n.value))
    return out


def _year_headers(row: list[str | None]) -> bool:
    """'2024 | 2025 | 2026' across a header: increasing whole years, not data. Years before 1990
    (a statistics table from 1961 on) need three or more, one apart."""
    years = _row_integers(row)
    if years is None or len(years) < 2 or years != sorted(set(years)) or not all(1900 <= y <= 2100 for y in years):
        return False
    return years[0] >= 1990 or (len(years) >= 3 and {b - a for a, b in pairwise(years)} == {1})


def serial_header_dates(row: list[str | None]) -> list[dt.date] | None:
    """Excel date serials typed across a header (43466 | 43497 | 43525, dates whose cells lost their
    date format): the dates, when there are two or more, increasing, and as regular as a calendar —
    one day, one week, or one month, quarter or year apart on the same day of the month. Amounts
    that happen to lie in the serial range are not that regular."""
    numbers = _row_integers(row)
    if numbers is None or len(numbers) < 2 or numbers != sorted(set(numbers)):
        return None
    dates = [cells.excel_serial_to_date(n) for n in numbers]
    if any(d is None for d in dates):
        return None
    steps = {b - a for a, b in pairwise(numbers)}
    if steps <= {1} or steps <= {7}:
        return dates
    months = {(b.year * 12 + b.month) - (a.year * 12 + a.month) for a, b in pairwise(dates)}
    same_day = len({d.day for d in dates}) == 1 or all((d + dt.timedelta(days=1)).day == 1 for d in dates)
    if same_day and len(months) == 1 and months <= {1, 3, 12}:
        return dates
    return None


def _is_headerlike(row: list[str | None]) -> bool:
    kinds = [cell_kind(v) for v in row]
    filled = [k for k in kinds if k != "blank"]
    if len(filled) < 2:
        return False
    numbers = sum(1 for k in filled if k == "number")
    if numbers > len(filled) * 0.25 and numbers < len(filled) and (_year_headers(row) or serial_header_dates(row)):
        return True
    return numbers <= len(filled) * 0.25


def _has_numbers(row: list[str | None]) -> bool:
    return any(not _blank(v) and parse_number(v).status == "ok" for v in row)  # cell_kind's "number", no period test


def _filled(row: list[str | None]) -> int:
    return sum(0 if _blank(v) else 1 for v in row)


# ---------------------------------------------------------------- header


def find_header(rows: list[list[str | None]], merged: list[tuple[int, int, int, int]]) -> list[int] | None:
    """Row indexes of the header (one or two rows), or None when no header can be found."""
    limit = min(len(rows), HEADER_SCAN_ROWS)
    widest = max((_filled(r) for r in rows[: min(len(rows), 200)]), default=0)
    for r in range(limit):
        row = rows[r]
        if not _is_headerlike(row) or _filled(row) < max(2, widest * 0.4):
            continue
        following = [x for x in rows[r + 1 : r + 8] if _filled(x) > 0]
        if not following:
            continue
        if _has_numbers(following[0]):
            return [r]
        # A second header row: no numbers in it, numbers right after it.
        nxt = r + 1
        while nxt < len(rows) and _filled(rows[nxt]) == 0:
            nxt += 1
        if nxt < len(rows) and _is_headerlike(rows[nxt]) and any(_has_numbers(x) for x in following[1:3]):
            top, bottom = rows[r], rows[nxt]
            gaps = sum(1 for a, b in zip(top, bottom, strict=False) if _blank(a) and not _blank(b))
            spans = any(m[0] == r and m[3] > m[1] for m in merged)
            if gaps or spans:
                return [r, nxt]
            # Two stacked header-like rows without spans: the lower one is the header,
            # the upper one a subtitle.
            return [nxt]
        if any(_has_numbers(x) for x in following[:4]):
            return [r]
    # Transaction exports and text-only sheets: a header row above rows of similar width.
    return None


def _with_spanning_rows_above(rows: list[list[str | None]], header: list[int],
                              merged: list[tuple[int, int, int, int]]) -> list[int]:
    """The header grown upwards by rows that belong to it: a cell merged down into the header
    ('Particulars' over three rows) or across several header columns ('Budget' over the months)."""
    out = list(header)
    while len(out) < 4 and out[0] > 0:
        r = out[0] - 1
        if _filled(rows[r]) == 0 or _has_numbers(rows[r]):
            break
        down = any(m[0] <= r < out[0] <= m[2] for m in merged)
        across = any(m[0] == r == m[2] and m[3] > m[1] for m in merged)
        # a single cell across the top is the sheet's title, not a level of the header
        if not (down or (across and _filled(rows[r]) >= 2)):
            break
        out.insert(0, r)
    return out


def header_texts(rows: list[list[str | None]], header_rows: list[int], width: int,
                 merged: list[tuple[int, int, int, int]]) -> list[list[str]]:
    """For each column, the header texts from top to bottom, merged spans filled in."""
    levels: list[list[str]] = []
    for depth, r in enumerate(header_rows):
        row = [(rows[r][c] or "").strip() if c < len(rows[r]) else "" for c in range(width)]
        if depth < len(header_rows) - 1:
            # An upper header cell spans to the right over blanks that have a lower header.
            lower = rows[header_rows[depth + 1]]
            spans = {(m[1], m[3]) for m in merged if m[0] <= r <= m[2]}
            for c0, c1 in spans:
                for c in range(max(c0, 0) + 1, min(c1 + 1, width)):
                    if not row[c]:
                        row[c] = row[max(c0, 0)]
            last = ""
            for c in range(width):
                if row[c]:
                    last = row[c]
                elif last and c < len(lower) and not _blank(lower[c]) and scenario_of(lower[c]) is not None:
                    row[c] = last
        levels.append(row)
    return [[lv[c] for lv in levels if lv[c]] for c in range(width)]


# ---------------------------------------------------------------- columns


def _period_of_header(parts: list[str], day_first: bool | None = None) -> Period | None:
    """The period a column's header names. Of stacked header levels, a year over a month, quarter or
    week without one ('2025年' merged above '1月' … '12月', then '2026年' above the next twelve) names
    that month of that year — read alone, the year made each of the 24 columns 'the year 2025/2026'."""
    found = []
    for text in parts:
        p = parse_period(text, day_first=day_first)
        if p is None:
            rest, scen = split_scenario(text)  # 'Jan Budget', '1月实际'
            p = parse_period(rest, day_first=day_first) if scen and rest else None
        if p is not None:
            found.append(p)  # a first of the month is the month when all the sheet's dates are: _months_from_dates
    if not found:
        return None
    year = next((p.year for p in found if p.grain == "year"), None)
    if found[0].grain == "year" and year is not None:
        finer = next((p for p in found[1:] if p.grain in ("month", "quarter", "week")
                      and p.year in (None, year)), None)
        if finer is not None:
            return finer if finer.year is not None else finer.with_year(year)
    return found[0]


def _looks_like_years(values: list[str]) -> bool:
    if not values:
        return False
    return sum(1 for v in values if year_of_cell(v) is not None) >= 0.9 * len(values)


def year_of_cell(v: str | None) -> int | None:
    """2025, '2025', '2025年', 'FY2025', '2025年度' → 2025; anything else → None."""
    if _blank(v):
        return None
    n = parse_number(v)
    if n.status == "ok" and n.value is not None:
        return int(n.value) if float(n.value).is_integer() and 1900 <= n.value <= 2100 else None
    p = parse_period(v)
    return p.year if p is not None and p.grain == "year" else None


def classify_column(index: int, parts: list[str], values: list[str], day_first: bool | None = None) -> ColumnSpec:
    """The role of one column from its header texts and a sample of its values; ``day_first`` is
    the sheet's order of slash dates (cells.slash_date_order)."""
    header = " / ".join(parts)
    # 本月销售额 is this sheet's 销售额: the prefix names the period, not the metric (roles.py)
    parts = [rest if (rest := roles.current_period_rest(p)) else p for p in parts]
    last = parts[-1] if parts else ""
    filled = [v for v in values if not _blank(v)]
    if not parts and not filled:
        return ColumnSpec(index, header, "ignore")
    numbers = [parse_number(v) for v in filled]
    numeric_ok = sum(1 for n in numbers if n.status in ("ok", "error"))
    numeric_ratio = numeric_ok / len(filled) if filled else 0.0
    blankish = sum(1 for n in numbers if n.status == "blank")
    numeric_like = filled and (numeric_ok + blankish) / len(filled) >= 0.6 and numeric_ok > 0
    if parts and _NOTE_RE.match(last):
        return ColumnSpec(index, header, "ignore")
    if parts and _RANK_RE.match(last.replace(" ", "")):
        return ColumnSpec(index, header, "ignore")

    if parts and any(roles.is_running_total(p) for p in parts) and (numeric_like or not filled):
        return ColumnSpec(index, header, "ignore", reading=Reading("running_total", "header", params={"header": header}))
    header_period = _period_of_header(parts, day_first)
    if parts and (numeric_like or not filled):
        # 同比/环比 are changes between two periods; 上年同期/上月 are another period's values printed
        # for comparison: neither is this period's value (a wrong number if stored as one)
        if any(roles.is_comparison(p) for p in parts):
            return ColumnSpec(index, header, "ignore", reading=Reading("comparison_column", "header", params={"header": header}))
        if header_period is None and any(roles.is_prior_period(p) for p in parts):
            return ColumnSpec(index, header, "ignore", reading=Reading("prior_period_column", "header", params={"header": header}))
    if header_period is not None and (numeric_like or not filled):
        scen = next((scenario_of(p) for p in parts if scenario_of(p)), None)
        metric = None
        unit = None
        for p in parts:
            if scenario_of(p) is not None:
                continue
            m, u, scen2 = metric_unit_scenario(p)
            scen = scen or scen2
            if parse_period(p) is None and m and parse_period(m) is None:
                metric, unit = m, u
        return ColumnSpec(index, header, "measure", metric=metric, unit=unit, scenario=scen, period=header_period.label)

    if parts and any(_TOTAL_COL_RE.match(p.replace(" ", "")) or _TOTAL_COL_RE.match(p.strip()) for p in parts) \
            and (numeric_like or not filled):
        scen = next((scenario_of(p) for p in parts if scenario_of(p)), None)
        return ColumnSpec(index, header, "total", scenario=scen)
    if parts and _YEAR_COL_RE.match(last) and _looks_like_years(filled):
        return ColumnSpec(index, header, "year")
    numbered = _NUMBERED_PERIOD_RE.match(last.strip()) if parts else None
    if numbered and filled:
        # 年 · 月 as two columns (2026 | 3): the month's number, not an amount to add up
        grain = "month" if numbered.group(1) else "quarter"
        top = 12 if grain == "month" else 4
        ints = [n.value for n in numbers if n.status == "ok" and n.value is not None and float(n.value).is_integer()]
        if len(ints) == len(filled) and all(1 <= x <= top for x in ints):
            return ColumnSpec(index, header, "period", reading=Reading(
                "numbered_periods", "values", params={"header": header, "grain": grain}))

    periods = [parse_period(v, day_first=day_first) or (Period("day", None, 0, d) if (d := cells.day_of_month(v)) else None)
               for v in filled[:500]]
    period_ratio = sum(1 for p in periods if p is not None) / len(periods) if periods else 0.0
    named_period = bool(parts) and bool(_PERIOD_COL_RE.search(last))
    if period_ratio >= 0.8 or (named_period and period_ratio >= 0.5):
        return ColumnSpec(index, header, "period")
    if named_period and filled and all(parse_number(v).status == "ok" for v in filled[:200]):
        # Excel serial dates under a date header
        serials = [parse_number(v).value or 0 for v in filled[:200]]
        if all(32874 <= s <= 73051 for s in serials):
            return ColumnSpec(index, header, "period")
    if parts and _UNIT_COL_RE.match(last) and numeric_ratio < 0.5:
        return ColumnSpec(index, header, "unit")
    if parts and _METRIC_COL_RE.match(last) and numeric_ratio < 0.5:
        return ColumnSpec(index, header, "metric")
    distinct = {v.strip().lower() for v in filled[:500]}
    # 目标 / 实际 / 达成率 down a column: the ratio rows are computed from the others (left out in normalize)
    scenario_words = {v for v in distinct if scenario_of(v)}
    if distinct and numeric_ratio < 0.5 and (
        (parts and _SCENARIO_COL_RE.match(last) and scenario_words)
        or (scenario_words and all(v in scenario_words or roles.is_derived_ratio(v) for v in distinct)
            and (len(scenario_words) >= 2 or scenario_words == distinct))
    ):
        return ColumnSpec(index, header, "scenario")
    said = roles.header_reading(last, original=last) if parts else None
    if said is not None and said[0] == "id" and numeric_like and roles.is_bare_word(last) \
            and len(distinct) < 0.9 * max(len(filled[:500]), 1):
        said = None  # '订单' over counts that repeat: the number of orders, not an order number
    if said is not None:
        role, kind, reading = said
        return ColumnSpec(index, header, role, id_kind=kind, reading=reading)
    if numeric_like:
        found = roles.values_reading(last, filled[:2000])
        if found is not None:
            return ColumnSpec(index, header, found[0], reading=found[1])
        metric, unit, scen = None, None, None
        for p in parts:
            s = scenario_of(p)
            if s:
                scen = s
                continue
            m, u, s2 = metric_unit_scenario(p)
            metric, unit = m or metric, u or unit
            scen = scen or s2
        if metric is not None and _VALUE_HEADER_RE.match(metric):
            metric = None
        return ColumnSpec(index, header, "measure", metric=metric or None, unit=unit, scenario=scen)
    if not filled:
        return ColumnSpec(index, header, "ignore")
    return ColumnSpec(index, header, "dimension")


def numeric_like_measure(header: str) -> bool:
    """Headers like '订单数' or '客户数' hold counts, not IDs."""
    return bool(re.search(r"(数|量|额|率|count|amount|qty|num)$", header, re.I))


# ---------------------------------------------------------------- the plan


def _text_rows_above(rows: list[list[str | None]], header_top: int) -> list[str]:
    return [" ".join(v.strip() for v in row if not _blank(v)) for row in rows[:header_top] if _filled(row)]


def _same_header(a: list[str | None], b: list[str | None]) -> bool:
    """'每月支出 | 预计 | 实际 | 差异' under '现金流量 | 预计 | 实际 | 差异': the same columns again, the first
    cell naming the next table — one table in sections, not a different table."""
    rest_a = [(v or "").strip() for v in a[1:]]
    rest_b = [(v or "").strip() for v in b[1:]]
    width = max(len(rest_a), len(rest_b))
    rest_a += [""] * (width - len(rest_a))
    rest_b += [""] * (width - len(rest_b))
    return sum(1 for x in rest_a if x) >= 2 and rest_a == rest_b


def _find_tables(rows: list[list[str | None]], start: int, width_hint: int,
                 header: list[str | None] | None = None) -> tuple[int, list[tuple[int, int]], dict[int, str]]:
    """End of the main table's body, further tables below it, and note rows inside it. A header
    that repeats the main one's columns starts a section of the same table (its row is left out)."""
    excluded: dict[int, str] = {}
    end = len(rows)
    r = start
    last_data = start - 1
    while r < len(rows):
        row = rows[r]
        n = _filled(row)
        if n == 0:
            r += 1
            continue
        if not _has_numbers(row) and n == 1:
            text = next(v for v in row if not _blank(v))
            if len(text.strip()) >= 6 or re.search(r"[:：]", text) or r > last_data + 1:
                excluded[r] = "note"
                r += 1
                continue
        if header is not None and _same_header(row, header) and _is_headerlike(row):  # the cheap test first
            excluded[r] = "header"
            r += 1
            continue
        if r > last_data + 1 and last_data >= start and _is_headerlike(row) and _filled(row) >= max(2, width_hint * 0.4):
            # A blank gap, then another header: a second table starts here.
            following = [x for x in rows[r + 1 : r + 5] if _filled(x)]
            if following and any(_has_numbers(x) for x in following):
                end = last_data + 1
                break
        last_data = r
        r += 1
    else:
        end = last_data + 1 if last_data >= start else start
    tables: list[tuple[int, int]] = []
    if end < len(rows):
        r = end
        while r < len(rows):
            if _filled(rows[r]) and _is_headerlike(rows[r]):
                s = r
                r += 1
                while r < len(rows) and _filled(rows[r]):
                    r += 1
                tables.append((s, r))
            else:
                r += 1
    excluded = {k: v for k, v in excluded.items() if k < end}
    return end, tables, excluded


def subject_of(title: str | None, sheet: str) -> str:
    """A metric name for a wide sheet with no metric column: its title or sheet name minus dates and units."""
    for text in (title, sheet):
        if not text:
            continue
        t = re.sub(r"[(（\[【].*?[)）\]】]", "", text)
        t = re.sub(r"((?:19|20)\d{2})\s*(年度|年|fy)?", "", t, flags=re.I)
        t = re.sub(r"(第?[一二三四1-4]季度|q[1-4]|\d{1,2}月|月度|月报|周报|年报|季报|报表|统计表|统计|明细表|明细|汇总表|汇总|数据|表)", "", t, flags=re.I)
        t = re.sub(r"(单位\s*[:：].*)$", "", t)
        t = t.strip(" -_:：/")
        if t:
            return t
    return sheet


def layout_fingerprint(shape: str, columns: list[ColumnSpec]) -> str:
    """Same header layout → same fingerprint, even when next month's file has one more month column."""
    tokens: list[str] = []
    for c in columns:
        token = "<period>" if c.period else c.header.strip().lower()
        if tokens and tokens[-1] == token == "<period>":
            continue
        tokens.append(token)
    return hashlib.sha1(("|".join([shape, *tokens])).encode()).hexdigest()[:16]


def plan_sheet(
    sheet: str,
    rows: list[list[str | None]],
    merged: list[tuple[int, int, int, int]],
    *,
    file_name: str = "",
    total_rows: int | None = None,
    spread: list[list[str | None]] | None = None,
) -> SheetPlan | None:
    """The detected plan for one sheet, from its head rows; None when no header is found. ``spread``
    are rows taken evenly from further down a big sheet: whether it is a list of transactions is
    read from them too, not from its first rows alone."""
    header_rows = find_header(rows, merged)
    if header_rows is None:
        return None
    header_rows = _with_spanning_rows_above(rows, header_rows, merged)
    width = max((len(r) for r in rows), default=0)
    parts = header_texts(rows, header_rows, width, merged)
    start = header_rows[-1] + 1
    end, tables, excluded = _find_tables(rows, start, _filled(rows[header_rows[-1]]),
                                         rows[header_rows[-1]] if len(header_rows) == 1 else None)
    if total_rows is not None and end == len(rows) and total_rows > len(rows):
        end = total_rows  # the body runs on past the head
    section_titles = {}
    for r in sorted(k for k, why in excluded.items() if why == "header"):
        above = next((k for k in range(r - 1, start - 1, -1) if _filled(rows[k])), None)
        if above is not None and excluded.get(above) == "note":
            section_titles[r] = next(v for v in rows[above] if not _blank(v)).strip()
    sample_rows = [rows[r] for r in range(start, min(end, len(rows), start + 1000)) if r not in excluded]
    date_readings = []
    serials = serial_header_dates(rows[header_rows[-1]])
    if serials is not None:
        parts = [[_serial_as_date(t) for t in p] for p in parts]
        date_readings.append(Reading("serial_headers", "values", params={"first": serials[0].isoformat(),
                                                                        "last": serials[-1].isoformat()}))
    day_first, order_strength, example = cells.slash_date_order([t for p in parts for t in p]
                                                                + [v for r in sample_rows[:300] for v in r])
    read_as = parse_period(example, day_first=day_first) if example else None
    if read_as is not None:
        date_readings.append(Reading("date_order", "values", order_strength,
                                     {"order": "day_first" if day_first else "month_first", "example": example,
                                      "as": read_as.label}))
    columns = []
    for c in range(width):
        values = [row[c] if c < len(row) else None for row in sample_rows]
        columns.append(classify_column(c, parts[c], values, day_first))
    week = _a_week(columns, sample_rows, day_first)
    if week is not None:
        date_readings.append(Reading("weeks_on_monday", "values", "weak",
                                     {"example": week.label, "monday": week.start.isoformat() if week.year else None}))

    taken: Counter[tuple] = Counter()
    for i, c in enumerate(columns):
        if c.role == "measure" and c.metric:
            key = (c.metric, c.scenario, c.period)
            taken[key] += 1
            if taken[key] > 1:
                columns[i] = replace(c, metric=f"{c.metric} ({taken[key]})")
    seen: Counter[str] = Counter(c.header for c in columns if c.header)
    duplicates = sorted(h for h, n in seen.items() if n > 1)
    blank_headers = sum(1 for c in columns if not c.header and c.role != "ignore")
    title_lines = _text_rows_above(rows, header_rows[0])
    title = title_lines[0] if title_lines else None
    plan = SheetPlan(
        sheet=sheet,
        shape="",
        header_rows=header_rows,
        start=start,
        end=end,
        columns=columns,
        excluded=excluded,
        title=title,
        default_unit=next((u for u in (unit_in_title(t) for t in title_lines) if u), None),
        extra_tables=tables,
        # Only where the first table's title is the one line above it: a title over a second line
        # ('销售额月报' over '华东') makes the lines above the later headers something else (a region).
        section_titles=section_titles if len(title_lines) == 1 else {},
        duplicate_headers=duplicates,
        blank_headers=blank_headers,
        file_name=file_name,
    )
    plan.day_first = day_first
    plan.spread = spread or []
    plan.readings += date_readings
    found = context.sheet_period(sheet, title_lines)
    plan.sheet_period = found.label if found is not None else None
    _read_columns_together(plan, sample_rows)
    scenario = context.sheet_scenario(sheet, title_lines)
    if scenario is not None and not plan.of_role("scenario") and any(c.scenario is None for c in plan.of_role("measure")):
        plan.columns = [replace(c, scenario=scenario[0]) if c.role == "measure" and c.scenario is None else c
                        for c in plan.columns]
        plan.readings.append(scenario[1])
    _months_from_dates(plan)
    _period_subtotal_columns(plan)
    plan.shape = infer_shape(plan, rows)
    _name_metric(plan)
    plan.fingerprint = layout_fingerprint(plan.shape, plan.columns)
    return plan


def _a_week(columns: list[ColumnSpec], sample: list[list[str | None]], day_first: bool | None) -> Period | None:
    """A week among the period headers or the period column's cells, if the sheet is by week."""
    for c in columns:
        if c.role == "measure" and c.period and "-W" in c.period:
            return period_from_any_label(c.period)
        if c.role == "period":
            for r in sample[:200]:
                p = parse_period(r[c.index], day_first=day_first) if c.index < len(r) else None
                if p is not None and p.grain == "week":
                    return p
    return None


def _serial_as_date(text: str) -> str:
    n = parse_number(text) if not _blank(text) else None
    date = cells.excel_serial_to_date(n.value) if n is not None and n.status == "ok" and n.value is not None else None
    return date.isoformat() if date is not None else text


def _months_from_dates(plan: SheetPlan) -> None:
    """Date headers that are all firsts of a month, or one per month (2021-04-21, 2021-05-31 …,
    month ends), are the months."""
    days = [c for c in plan.of_role("measure") if c.period and len(c.period) == 10]
    if days and all(c.period.endswith("-01") for c in days):
        # 2019-01-01 | 2019-02-01 (how a month header is typed as a date): months; one 2/1/20 among
        # 1/22/20, 1/23/20 … is a day like the others
        plan.columns = [replace(c, period=c.period[:7]) if c in days else c for c in plan.columns]
        return
    if len(days) < 2 or len(days) != len([c for c in plan.of_role("measure") if c.period]):
        return
    months = [c.period[:7] for c in days]
    blocks: dict[str, int] = {}
    for m in months:
        blocks[m] = blocks.get(m, 0) + 1
    # one column per month, or one per month in each of several blocks (a plan block, an actual block)
    if len(set(blocks.values())) == 1 and len(blocks) >= 2:
        plan.columns = [replace(c, period=c.period[:7]) if c in days else c for c in plan.columns]


_COARSER = {"month": ("quarter", "year"), "day": ("month", "quarter", "year")}


def _period_subtotal_columns(plan: SheetPlan) -> None:
    """1月 2月 3月 Q1 4月 …: a quarter (or year) column among the months it spans is their subtotal.
    Stored beside them it would count each month twice in every quarter and year view, so it is
    left out, whether or not it adds up (the months are the data; a sheet's own sum is no new fact)."""
    dated = [(c, p) for c in plan.of_role("measure") if c.period and (p := period_from_any_label(c.period)) is not None]
    for fine, coarser in _COARSER.items():
        fines = [(c, p) for c, p in dated if p.grain == fine]
        if len(fines) < 2:
            continue
        for c, p in dated:
            if p.grain not in coarser:
                continue
            spanned = [f.header for f, q in fines if f.scenario == c.scenario and f.metric == c.metric
                       and q.year == p.year and _within(q, p)]
            if spanned:
                j = next(k for k, x in enumerate(plan.columns) if x.index == c.index)
                plan.columns[j] = replace(c, role="ignore", reading=Reading(
                    "period_subtotal_column", "header", params={"header": c.header, "first": spanned[0], "last": spanned[-1]}))
        return


def _within(inner: Period, outer: Period) -> bool:
    month = inner.number if inner.grain in ("month", "day") else 0
    if outer.grain == "year":
        return True
    if outer.grain == "quarter":
        return month and (month - 1) // 3 + 1 == outer.number
    return outer.grain == "month" and inner.grain == "day" and month == outer.number


def _totals_columns_by_sum(plan: SheetPlan, sample: list[list[str | None]]) -> None:
    """A number column that equals, row by row, the sum of the period columns beside it is a totals
    column, whatever its header says."""
    measures = plan.of_role("measure")
    if len(measures) < 3 or not sample:
        return
    if all(c.period for c in measures):
        return  # no column without a period to be their total: nothing to parse
    texts = {c.index: [r[c.index] if c.index < len(r) else None for r in sample] for c in measures}
    # each column in its own style: '2.033,25' beside '1.052,75' and '980,5' is their sum
    decimal = {i for i, col in texts.items() if cells.number_style(col)[0] == "decimal_comma"}
    values = {i: [parse_number(v, decimal_comma=i in decimal).value for v in col] for i, col in texts.items()}
    for c in measures:
        if c.period:
            continue
        # Only month columns: Revenue = Cost + Profit side by side is three metrics, not a total.
        parts = [m for m in measures if m.index != c.index and m.period and m.scenario == c.scenario]
        if len(parts) < 2:
            continue
        rows, hits = 0, 0
        for i, v in enumerate(values[c.index]):
            row_cells = [values[m.index][i] for m in parts]
            if v is None or all(x is None for x in row_cells):
                continue
            rows += 1
            total = sum(x for x in row_cells if x is not None)
            hits += abs(total - v) <= 0.005 + 1e-9 * abs(v) and abs(v) > 0.005
        if rows >= 2 and hits >= 0.95 * rows:
            j = next(k for k, x in enumerate(plan.columns) if x.index == c.index)
            plan.columns[j] = replace(c, role="total", reading=Reading(
                "totals_column", "sum", params={"header": c.header, "kind": "sum_columns"}))
            return


def _name_metric(plan: SheetPlan) -> None:
    if plan.shape in ("wide_period", "snapshot", "wide_measure") and not plan.of_role("metric") \
            and not all(c.metric for c in plan.of_role("measure")):
        plan.metric_name, reading = context.metric_subject(plan.title, plan.sheet, plan.file_name)
        if plan.shape == "wide_period" or reading.weak:
            plan.readings = [r for r in plan.readings if r.decision != "metric_name"] + [reading]
        plan.section_metrics = []
        if plan.section_titles and reading.params.get("source") == "title":
            # Tables stacked on one sheet, each under its own title ('销售额（万元）' … '成本（万元）'):
            # the metric the first title names is the first table's only; each title names its own.
            for row, text in sorted(plan.section_titles.items()):
                name, _ = context.metric_subject(text, plan.sheet, plan.file_name)
                plan.section_metrics.append((row, name, split_unit(text)[1] or unit_in_title(text)))
            if any(name != plan.metric_name for _, name, _ in plan.section_metrics):
                plan.readings.append(Reading("section_metrics", "header", params={
                    "first": plan.metric_name, "names": " / ".join(dict.fromkeys(n for _, n, _ in plan.section_metrics))}))
            else:
                plan.section_metrics = []  # every section repeats the first one's title: one metric


_SHARE_RE = re.compile(r"(占比|比重|份额|构成|结构比|share|% ?of ?total|mix)", re.I)


def _share_columns(plan: SheetPlan, sample: list[list[str | None]]) -> None:
    """'渠道 · 销售额 · 占比 (60%, 40%, 合计 100%)': a share of the rows' total, worked out from the column
    beside it, is no metric of its own — stored, it was a metric '占比' averaged across channels. Left
    out when its header says share and its values add up to one whole (with or without a 100% totals row)."""
    for i, c in enumerate(plan.columns):
        if c.role != "measure" or c.period or not c.header or not _SHARE_RE.search(c.header.split(" / ")[-1]):
            continue  # a month's column is a period's values, whatever its header's words
        values = [parse_number(r[c.index]) for r in sample if c.index < len(r) and not _blank(r[c.index])]
        shares = [v.value for v in values if v.status == "ok" and v.value is not None]
        if len(shares) < 2 or len(shares) < 0.9 * len(values) or any(not -0.001 <= x <= 1.001 for x in shares):
            continue
        total = sum(shares)
        if abs(total - 1) <= 0.011 or (abs(total - 2) <= 0.022 and any(abs(x - 1) <= 0.001 for x in shares)):
            plan.columns[i] = replace(c, role="ignore", metric=None, reading=Reading(
                "share_column", "sum", params={"header": c.header}))


def _read_columns_together(plan: SheetPlan, sample: list[list[str | None]]) -> None:
    """Decisions that need the columns side by side: a line-item column, ratios derived from a plan
    and an actual, a label column that repeats another, free-text note columns."""
    measures = plan.of_role("measure")
    scenarios = {c.scenario for c in measures}
    if {"plan", "actual"} <= scenarios:
        for i, c in enumerate(plan.columns):
            if c.role == "measure" and c.scenario is None and roles.is_derived_ratio(c.header):
                plan.columns[i] = replace(c, role="ignore", metric=None,
                                          reading=Reading("derived_column", "header", params={"header": c.header}))
    _share_columns(plan, sample)
    numbered = [c for c in plan.columns if c.role == "period" and c.reading is not None
                and c.reading.decision == "numbered_periods"]
    if numbered and (len(numbered) > 1 or len(plan.of_role("period")) > 1):
        # Beside a date column (or another numbered one) a month's number is a part of the date, not the period
        for i, c in enumerate(plan.columns):
            if c in numbered:
                plan.columns[i] = replace(c, role="ignore", reading=Reading("calendar_part", "header", params={"header": c.header}))
    labels = [c for c in plan.columns if c.role == "dimension"]
    for i, c in enumerate(plan.columns):
        if c.role == "dimension" and c.header and _NOTE_TEXT_RE.search(c.header.split(" / ")[-1]) \
                and not _DIMENSION_WORDS_RE.search(c.header):
            plan.columns[i] = replace(c, role="ignore", reading=Reading("note_column", "header", params={"header": c.header}))
    for c in labels:
        for other in labels:
            if other.index >= c.index:
                break
            pairs = [(r[c.index] if c.index < len(r) else None, r[other.index] if other.index < len(r) else None)
                     for r in sample]
            pairs = [(a, b) for a, b in pairs if not _blank(a)]
            if len(pairs) >= 3 and sum(1 for a, b in pairs if b is not None and a.strip() == b.strip()) >= 0.95 * len(pairs):
                j = next(k for k, x in enumerate(plan.columns) if x.index == c.index)
                plan.columns[j] = replace(c, role="ignore", reading=Reading(
                    "repeated_column", "values", params={"header": c.header, "of": other.header}))
                break
    _totals_columns_by_sum(plan, sample)
    measures = plan.of_role("measure")
    labels = [c for c in plan.columns if c.role == "dimension"]
    if measures and not plan.of_role("metric") and all(c.metric is None and c.scenario for c in measures) \
            and len(labels) == 1 and not plan.of_role("period") and not any(c.period for c in measures):
        # '每月支出 | 预计 | 实际': the value columns name only scenarios, so each row names its metric
        label = labels[0]
        word = label.header.split(" / ")[-1] if label.header else ""
        if not _DIMENSION_WORDS_RE.search(word):
            j = next(k for k, x in enumerate(plan.columns) if x.index == label.index)
            plan.columns[j] = replace(label, role="metric", reading=Reading(
                "line_items", "header", "weak", {"header": label.header}))


def infer_shape(plan: SheetPlan, rows: list[list[str | None]]) -> str:
    measures = plan.of_role("measure")
    if any(c.period for c in measures):
        return "wide_period"
    period_cols = plan.of_role("period")
    if period_cols:
        col = period_cols[0].index
        sample = [rows[r][col] for r in range(plan.start, min(plan.end, len(rows))) if col < len(rows[r])]
        sample += [r[col] for r in plan.spread if col < len(r)]
        body_rows = max(len(sample), plan.end - plan.start)
        periods = [p for p in (parse_period(v, day_first=plan.day_first) for v in sample) if p is not None]
        serial_days = 0
        if not periods:
            # Excel serial dates: treat as days
            nums = [parse_number(v).value for v in sample if parse_number(v).status == "ok"]
            serial_days = len({int(n) for n in nums if n is not None})
        days = [p for p in periods if p.grain == "day"]
        distinct_days = {(p.year, p.number, p.day) for p in days}
        daily = (days and any(p.day != 1 for p in days) and len(distinct_days) >= 5) or serial_days >= 28
        if daily and (plan.of_role("id") or body_rows >= 200 or len(distinct_days) >= 28):
            return "transactions"
        keyed = [c for c in plan.of_role("id") if c.id_kind in ("order", "customer")]
        distinct_periods = len({p.label for p in periods}) or serial_days
        if keyed and body_rows >= 20 and body_rows >= 3 * max(distinct_periods, 1):
            # An order or customer column with many rows per date: a till export of one day is
            # still a list of transactions, however few days it covers.
            return "transactions"
        if plan.of_role("metric"):
            return "long"
        return "wide_measure"
    if plan.of_role("metric"):
        return "snapshot"
    return "snapshot"


def with_roles(plan: SheetPlan, roles: dict[int, str], rows: list[list[str | None]]) -> SheetPlan:
    """The plan with the user's role choices applied (role changes re-derive the shape)."""
    columns = []
    for c in plan.columns:
        role = roles.get(c.index, c.role)
        if role == c.role:
            columns.append(c)
            continue
        if role == "measure" and c.metric is None and not c.period:
            metric, unit, scen = metric_unit_scenario(c.header.split(" / ")[-1]) if c.header else (None, None, None)
            columns.append(replace(c, role=role, metric=metric, unit=unit, scenario=scen))
        else:
            columns.append(replace(c, role=role))
    updated = replace(plan, columns=columns)
    updated.shape = infer_shape(updated, rows)
    if not updated.metric_name:
        _name_metric(updated)
    updated.fingerprint = plan.fingerprint  # remembered under the layout as the file shows it
    return updated


def resolve_year(plan: SheetPlan, file_name: str, user_year: int | None, current_year: int) -> None:
    """Where a year-less period (e.g. '3月') takes its year from; the first source that has one."""
    if plan.of_role("year"):
        plan.year, plan.year_source = user_year, "column"
        return
    if user_year:
        plan.year, plan.year_source = user_year, "user"
        return
    for source, text in (("title", plan.title), ("sheet", plan.sheet), ("file", file_name)):
        y = year_in_text(text)
        if y:
            plan.year, plan.year_source = y, source
            return
    plan.year, plan.year_source = current_year, "assumed"
