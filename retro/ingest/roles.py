"""Which columns are never measures: identifiers, codes, row counters, calendar parts, running
totals and ratios derived from other columns — told by the header's words and by the values.

Rules (each decision is a :class:`Reading`):

- **Customer and order columns** by header: 客户, 客户名称, 客户ID, 会员名, 买家会员名, 社保卡号,
  手机号, Customer ID / Name, email → the customer (counted, new vs returning); 订单号, 小票号, 单号,
  Order ID, Invoice No. → the order (counted). A header that ends in a count word (客户数, 订单量,
  Orders count) is a measure, not an identifier.
- **Codes by header**: …ID, 编号, 编码, 代码, …Code, …Key, SKU, 货号, 条形码, 邮编, postal/zip, 工号,
  款台/收银台 (a till), 门店号 → a code: a segment of a KPI table, never summed.
- **Row counters and calendar parts by header**: 行, 行号, 序号, No., #, Row ID, Index; Month Number,
  Week Number, 周数 → left out.
- **Codes by values**, when the header says nothing: whole numbers counting 1, 2, 3 … down the rows
  (a row counter, unless the header names a measure: 金额, 订单数, Amount); digit strings with a leading zero and one fixed width ('05007'); whole numbers
  of one fixed width of 8 digits or more (barcodes, receipt and phone numbers). The last is weak
  (a column of large amounts could look alike): it is left out with a warning that asks.
- **Running totals** (YTD, 累计, cumulative, MTD/QTD) are derived from the months beside them: left out.
- **Derived ratios and differences** (达成率, 完成率, 偏差, 差异, Variance, % to Target) next to a plan and
  an actual are recomputed from them: left out, never stored as a plan.
- **Other periods' columns** (上月, 上期, 上年同期, 去年同期, 同期, Last Year, Prior Period, PY, LY) hold the
  value of another period, printed for comparison: stored under this sheet's period they would be a
  wrong number, and moved to their own period they would silently restate what an earlier import
  stored. Left out with a reading (the user can overrule); retro compares with the stored periods.
- **Comparisons** (同比, 环比, YoY, MoM, QoQ, vs LY) are computed from two periods' values: left out and
  recomputed (the trends page's MoM and YoY).
- **This period's columns** (本月销售额, 本期, 当月, This Month, Current Period) are the sheet's own
  period: the prefix names no metric (本月销售额 is 销售额).
"""

from __future__ import annotations

import re

from .readings import Reading

_CUSTOMER_RE = re.compile(
    r"^(客户|客户名称|客户名|客户id|客户编号|客户号|客户代码|客户编码|会员|会员名|会员名称|会员号|会员id|会员卡号|"
    r"买家|买家会员名|买家昵称|买家id|用户id|用户名|社保卡号|手机号|手机号码|手机|联系电话|"
    r"customer|customer ?(id|name|no\.?|number|code)|client|client ?(id|name)|buyer|buyer ?id|member ?id|"
    r"user ?id|e-?mail|email address|邮箱)$", re.I)
_ORDER_RE = re.compile(
    r"^(订单号|订单编号|订单id|订单|单号|单据号|小票号|小票|流水号|交易号|交易单号|发票号|"
    r"invoice|invoice ?(no\.?|id|number)|order|order ?(id|no\.?|number)|receipt ?(no\.?|id|number)|"
    r"transaction ?(id|no\.?)|txn ?id)$", re.I)
_CODE_RE = re.compile(
    r"(id$|^id\b|编号|编码|代码|(?<![a-z])code$|(?<![a-z])key$|^sku|货号|条形码|条码|barcode|邮编|邮政编码|postal|"
    r"zip ?code|^zip$|商品码|产品码|品号|物料号|货品码|(?<!密)码$|工号|员工号|款台|收银台|机号|门店号|店号|^no\.$|"
    # 'Store #', 'Branch No.', 'Account number', 'Phone': a thing's number is its code, never an amount
    # (only things: 'Calls #' or 'Visitors number' count something)
    r"\b(store|shop|branch|outlet|location|site|acct|account|invoice|po|item|sku|product|part|customer|client|"
    r"member|employee|emp|staff|ticket|case|phone|tel|route|dept|department|lot|batch|serial|vendor|supplier|"
    r"card|contract|project|job|room|seat|table|terminal|pos|till|register|vehicle|plate)\s*(#|no\.?|nr\.?|number)$|"
    r"^(phone|tel|telephone|mobile|电话|手机|联系电话)\b)", re.I)
_COUNTER_RE = re.compile(r"^(行|行号|序号|序|no\.?|#|rank|排名|排序|seq|s/n|index|row|row ?(id|no\.?)|line ?no\.?|订单行)$", re.I)
_CALENDAR_PART_RE = re.compile(r"^(month ?(number|no\.?|num|#)|月序号|月份序号|week ?(number|no\.?|num)|周数|周次|"
                               r"day ?of ?(week|month)|weekday|星期)$", re.I)
_COUNT_END_RE = re.compile(r"(数|量|额|率|count|amount|qty|num|total|sum)$", re.I)
_RUNNING_RE = re.compile(r"(\bytd\b|year to date|累计|累积|年累|cumulative|running total|\bmtd\b|\bqtd\b)", re.I)
_DERIVED_RE = re.compile(
    r"(达成率|完成率|达成度|完成度|达成|偏差率|偏差|差异率|差异|差额|增减|"
    r"variance|\bvar\b|\bvar\.|diff|difference|% ?(to|of|vs\.?) ?(target|plan|budget)|achievement|attainment|"
    r"vs\.? ?(target|plan|budget)|\bgap\b)", re.I)


def _compact(header: str) -> str:
    return re.sub(r"\s+", " ", header.strip())


def identifier_kind(header: str) -> str | None:
    """'customer', 'order' or None, from the header's words alone."""
    h = _compact(header)
    if not h or _COUNT_END_RE.search(h) and not _ORDER_RE.match(h) and not _CUSTOMER_RE.match(h):
        return None
    if _CUSTOMER_RE.match(h):
        return "customer"
    if _ORDER_RE.match(h):
        return "order"
    return None


_CAMEL_CODE = re.compile(r"[a-z](Key|ID|Id|Code|No|Nr|Number)$")


def header_reading(header: str, original: str | None = None) -> tuple[str, str | None, Reading] | None:
    """(role, id_kind, reading) when the header alone says the column is not a measure
    (``original`` keeps the case: 'ProductKey', 'StoreID' end in a code word)."""
    h = _compact(header)
    if not h:
        return None
    kind = identifier_kind(h)
    if kind is not None:
        return "id", kind, Reading(f"{kind}_column", "header", params={"header": h})
    if _COUNTER_RE.match(h):
        return "ignore", None, Reading("row_counter", "header", params={"header": h})
    if _CALENDAR_PART_RE.match(h):
        return "ignore", None, Reading("calendar_part", "header", params={"header": h})
    if _RUNNING_RE.search(h):
        return "ignore", None, Reading("running_total", "header", params={"header": h})
    if (_CODE_RE.search(h) or _CAMEL_CODE.search(original or "")) and not _COUNT_END_RE.search(h):
        return "id", None, Reading("code_column", "header", params={"header": h})
    return None


_BARE_WORDS = {"订单", "order", "客户", "customer", "会员", "member", "买家", "buyer", "client", "小票"}


def is_bare_word(header: str) -> bool:
    """'订单' or 'Customer' alone: over numbers it may be a count (订单 = orders), not an identifier."""
    return _compact(header).lower() in _BARE_WORDS


def is_running_total(header: str) -> bool:
    return bool(_RUNNING_RE.search(header))


_PRIOR_RE = re.compile(
    r"(上月|上期|上一期|上季|上周|上年|去年|前年|同期|"
    r"\b(last|prior|previous|prev\.?) ?(year|month|period|quarter|week|fy)\b|\bsame (period|month|quarter) last year\b|"
    r"^(ly|py|pm|pp)\b|\b(ly|py)$)", re.I)
_COMPARISON_RE = re.compile(r"(同比|环比|\byoy\b|\bmom\b|\bqoq\b|\bwow\b|\by/y\b|\bm/m\b|\bvs\.? ?(ly|py|lm|pm)\b)", re.I)
_CURRENT_RE = re.compile(r"^(本月|本期|当月|当期|本周|本季度|本季|this month|this period|current (month|period)|cur\.? (month|period))\s*[-:：·]?\s*", re.I)


def is_prior_period(header: str) -> bool:
    """'上年同期', '上月销售额', 'Last Year', 'PY Sales': another period's value, printed for comparison."""
    return bool(_PRIOR_RE.search(_compact(header)))


def is_comparison(header: str) -> bool:
    """'同比', '环比增长率', 'MoM growth', 'vs LY': a change between two periods, not a value."""
    return bool(_COMPARISON_RE.search(_compact(header)))


def current_period_rest(header: str) -> str | None:
    """'本月销售额' → '销售额', '本期' → '' (this period's value, its metric named elsewhere); None when
    the header does not start with a this-period word."""
    m = _CURRENT_RE.match(_compact(header))
    return None if m is None else _compact(header)[m.end():]


def is_derived_ratio(header: str) -> bool:
    """达成率, 偏差, Variance, % to Target: computed from a plan and an actual beside it."""
    return bool(_DERIVED_RE.search(header))


_DIGITS = re.compile(r"^\d+$")
_INTEGER = re.compile(r"^[+-]?\d+(\.0+)?$")


def values_reading(header: str, values: list[str]) -> tuple[str, Reading] | None:
    """(role, reading) when a numeric column's values are a row counter or codes."""
    cells = [v.strip() for v in values if v is not None and v.strip()]
    if len(cells) < 5:
        return None
    h = _compact(header)
    digits = [v for v in cells if _DIGITS.match(v)]
    if len(digits) >= 0.95 * len(cells):  # '08*09' among 200 item codes is a typo, not a number
        widths = {len(v) for v in digits}
        if any(len(v) > 1 and v.startswith("0") for v in digits) and len(widths) == 1:
            return "id", Reading("code_column", "values", params={"header": h, "pattern": "leading_zero", "width": widths.pop()})
        width = next(iter(widths))
        if len(widths) == 1 and width >= 8 and len(set(digits)) >= 0.3 * len(digits):
            return "id", Reading("code_column", "values", "weak", {"header": h, "pattern": "fixed_width", "width": width})
    if all(_INTEGER.match(v) for v in cells) and not _COUNT_END_RE.search(h):
        # 金额 100, 101, 102 … is a measure that happens to climb; its header says so
        ints = [int(float(v)) for v in cells]
        steps = sum(1 for a, b in zip(ints, ints[1:], strict=False) if b - a == 1)
        if steps == len(ints) - 1 or (ints[0] in (0, 1) and steps >= 0.95 * (len(ints) - 1)):
            return "ignore", Reading("row_counter", "values", params={"header": h, "first": ints[0], "last": ints[-1]})
    return None


# What a column that a reading decided might be instead, offered in one click beside the reading:
# codes may be numbers after all (or say nothing a segment does not); a counter or a date part may
# be a number or a segment; notes and a repeated label may be segments; a running total, a derived
# or a totals column may be the numbers to keep; a line-item column may be a segment.
ALTERNATIVES: dict[str, tuple[str, ...]] = {
    "code_column": ("measure", "ignore"),
    "customer_column": ("measure",),
    "order_column": ("measure",),
    "row_counter": ("measure", "dimension"),
    "calendar_part": ("dimension", "measure"),
    "running_total": ("measure",),
    "derived_column": ("measure",),
    "prior_period_column": ("measure",),
    "comparison_column": ("measure",),
    "period_subtotal_column": ("measure",),
    "totals_column": ("measure",),
    "note_column": ("dimension",),
    "repeated_column": ("dimension",),
    "line_items": ("dimension",),
}


def other_roles(decision: str, role: str) -> tuple[str, ...]:
    """The roles offered instead of ``role`` for a column read by ``decision`` (none for other decisions)."""
    return tuple(r for r in ALTERNATIVES.get(decision, ()) if r != role)
