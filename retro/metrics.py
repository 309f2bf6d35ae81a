"""The metric layer: a catalog of metrics (guessed, then edited by the user) and their series.

Every imported metric name becomes a metric with an aggregation (a rate is averaged, never
summed), a unit, a direction (is up good?) and a category. Transactions add count metrics
(orders, customers, new and returning customers) and the sums of their amounts. Derived
metrics (ratio, difference, growth) are computed from the aggregated components.

Defaults come from meaning, and say where they came from (``Metric.why``, shown on the metrics
page): a name that says cost, expense, fee, churn, complaints, returns, refunds, defects, errors,
overdue or a deduction ("Less:") is better low; one that says saving, reduction or a return on
something is better high, cost or not; when the name says neither, a metric whose every stored row
sits under a cost heading (a segment 科目=管理费用 / Account Group=Expenses, the sheet's name, the
header of its metric column) is a cost, better low. Rates, prices, averages and amounts per unit
are averaged. Guesses are made once, when a name first arrives; a field the user set
(``user_set``) is never guessed again and never changed by an import.

The catalog follows the data. A metric is offered (:func:`catalog`) only while current data has
it (for a derived metric: its components; for a merge target: it or a metric merged into it).
When no data has a name any more — its import was undone — its row is deleted, unless the user set
something on it, it is merged into another or another into it, or a derived metric is built on it:
such a row stays, not offered, and its settings apply again when the data comes back (the same
file imported again, or another with that name); a deleted row comes back guessed afresh. A row
from before migration 9 (``user_set`` NULL) is sorted out on its next sync: a field equal to what
the rules guess now or guessed before is a default (and takes the current guess), any other value
is kept as the user's.

DuckDB does the work: one query per series, MoM and YoY by window functions whose frames are
calendar intervals, so a missing month is missing, not the row before it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import weakref
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from . import likeforlike as L4L
from .access import system
from .db import Database, DatabaseUnavailable, bump_version, quote_ident
from .ingest.cells import split_unit

AGGREGATIONS = ("sum", "avg")
DIRECTIONS = ("up", "down")
CATEGORIES = ("revenue", "growth", "retention", "satisfaction", "cost", "efficiency", "other")
GRAINS = ("month", "quarter", "year")
DERIVED_KINDS = ("ratio", "difference", "growth")
NUMBER_FORMATS = ("auto", "number", "percent", "integer")

# Transaction metrics: their names in the catalog, and how each is computed.
TX_ORDERS, TX_CUSTOMERS, TX_NEW, TX_RETURNING = "订单数", "客户数", "新客户数", "回头客户数"
TX_COUNTS = (TX_ORDERS, TX_CUSTOMERS, TX_NEW, TX_RETURNING)

_INTERVAL = {"month": "INTERVAL '1 month'", "quarter": "INTERVAL '3 months'", "year": "INTERVAL '1 year'"}

# Words that make a metric a cost: category 'cost', better low. 费 alone is a fee or an expense
# (水费, 运费, 差旅费), but not in 付费/消费/免费/收费 (paying users, customer spending, free, charging).
# 预算 is not one: a budget is the plan of whatever it budgets (the importer reads it as the plan).
_COST_RE = re.compile(
    r"(获客成本|成本|(?<![付消免收])费用?|支出|开支|开销|工资|薪资|薪酬|租金|折旧|"
    r"\bcost(?:s|ing)?\b|\bcogs\b|\bcac\b|\bcp[acm]\b|expense|\bspend|overhead|\bfees?\b|salar(?:y|ies)|"
    r"\bwages?\b|payroll|\brent\b|depreciation)", re.I)
# Other things better low: lost customers, complaints, returns, faults, errors, delays, bad debts.
_WORSE_RE = re.compile(
    r"(流失|投诉|退货|退款|差评|故障|缺陷|差错|错误|失误|逾期|坏账|未收|亏损|损耗|损失|报损|响应时间|等待时间|时长|延迟|"
    r"库存周转天数|跳出率|churn|complain|refund|\breturns?\b(?!\s+on\b)|\breturned\b|defect|latency|\berrors?\b|"
    r"\bbugs?\b|overdue|bad debt|\bloss(?:es)?\b|bounce|\bdrop(?:s|ped)?\b|abandon|掉线|\b(?:response|handle|handling|wait|waiting|resolution) time)", re.I)
# A deduction line of a P&L: "Less: Discounts", "减：退货".
_DEDUCTION_RE = re.compile(r"^\s*(?:less|减)\s*[:：]", re.I)
# Saving on a cost, or earning from it, is better high: 成本节约, cost reduction, fee income, ROAS.
# What is earned from a cost is not a cost either (会员费收入 is revenue, ROAS a return).
_EARNED = r"投入产出|回报|费收入|return on|\broi\b|\broas\b|fee income|fees? revenue"
_EARNED_RE = re.compile(f"({_EARNED})", re.I)
_BETTER_RE = re.compile(f"(节约|节省|降本|降低|saving|saved|reduction|{_EARNED})", re.I)
# A heading over a metric's rows that makes it a cost (科目=管理费用, Account Group=Expenses, a sheet
# 费用明细); the words a name gives are not all headings (工资 is one line of 费用). RE2 syntax: the
# database filters segment values with it. A cost centre (成本中心) is a department, not a cost.
_COST_HEADING = r"(成本|费用|支出|开支|cost|expense|spend|overhead|cogs)"
_COST_HEADING_RE = re.compile(_COST_HEADING, re.I)
_NOT_A_HEADING_RE = re.compile(r"(中心|cent(?:er|re))", re.I)
# Rates, scores, prices and per-unit amounts (获客成本 is cost per new customer): averaged, never summed.
# English words whole (on the name with camelCase split: ConversionRate → Conversion Rate): 'rate'
# inside Corporate sales or Generated leads, 'ratio' inside Registrations or Duration, 'per ' inside
# Shopper visits made those sums averaged.
_RATE_RE = re.compile(
    r"(率|占比|比例|满意度|评分|得分|指数|均价|平均|日均|月均|均值|中位数|客单价|单价|人均|获客成本|单客|每单|每人|投入产出比|"
    r"(?<!总)(售价|进价|成交价|原价|零售价|批发价|价格)|库存|%|"
    r"\b(nps|rates?|ratios?|scores?|percent(age)?s?|pct|arpu|aov|cac|cp[acm]|roi|roas|average|avg|mean|median|index|per|"
    r"stock level)\b|return on|(?<!total )\bprices?\b)", re.I)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _words(name: str) -> str:
    return _CAMEL.sub(" ", name)
_CATEGORY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cost", _COST_RE),
    ("retention", re.compile(r"(留存|复购|流失|续费|回头|活跃|retention|churn|repeat|returning|active)", re.I)),
    ("satisfaction", re.compile(r"(满意|投诉|评分|nps|csat|好评|差评|satisf|complain|rating)", re.I)),
    ("growth", re.compile(r"(新增|新客|增长|获客|注册|用户数|客户数|new|growth|signup|acquisition|customers|users)", re.I)),
    ("revenue", re.compile(r"(销售|营收|收入|金额|gmv|利润|毛利|订单|sales|revenue|income|profit|margin|amount|orders)", re.I)),
    ("efficiency", re.compile(r"(转化|效率|人效|周转|时长|响应|转化率|roi|投入产出|conversion|efficien|turnover|time)", re.I)),
)
# Categories whose words say "more is better" ("higher is better: the name says 销售"), where no
# cost heading says otherwise (Sales commission under Expenses is a cost); efficiency's words (周转,
# time) say nothing about which way is good.
_UP_CATEGORIES = ("revenue", "growth", "retention", "satisfaction")

# The rules as they stood before migration 9, only to tell a user's edit from an old guess on a row
# from then (see the module docstring).
_V1_DOWN_RE = re.compile(r"(成本|费用|支出|流失|投诉|退货|退款|获客成本|cac|cost|churn|complain|refund|return|响应时间|时长|延迟|差评|故障|缺陷|latency|defect|逾期|库存周转天数)", re.I)
_V1_RATE_RE = re.compile(
    r"(率|占比|比例|满意度|评分|得分|nps|rate|ratio|score|%|均价|平均|客单价|单价|人均|获客成本|单客|每单|每人|"
    r"arpu|aov|cac|average|avg|per |(?<!总)(售价|进价|成交价|原价|零售价|批发价|价格)|(?<!total )\bprice\b|库存|stock level)", re.I)
_V1_COST_RE = re.compile(r"(成本|费用|支出|预算|cost|expense|spend|cac)", re.I)


# English names for the KPIs Chinese ops teams use most, so an English UI is readable before anyone
# edits the catalog. Longest keys first: 新客户数 before 客户数.
ENGLISH_NAMES = {
    "销售额": "Revenue", "营收": "Revenue", "营业收入": "Revenue", "收入": "Income", "金额": "Amount",
    "毛利": "Gross profit", "利润": "Profit", "净利润": "Net profit", "成本": "Cost", "费用": "Expenses",
    "获客成本": "Acquisition cost", "新增客户": "New customers", "新增用户": "New users", "新客户数": "New customers (orders)",
    "回头客户数": "Returning customers", "客户数": "Customers", "用户数": "Users", "活跃用户": "Active users",
    "订单数": "Orders", "订单量": "Orders", "客单价": "Average order value", "留存率": "Retention rate",
    "复购率": "Repurchase rate", "流失率": "Churn rate", "转化率": "Conversion rate", "满意度": "Satisfaction",
    "投诉量": "Complaints", "投诉数": "Complaints", "市场份额": "Market share", "毛利率": "Gross margin",
    "投入产出比": "ROI", "增长率": "Growth rate", "用户增长率": "User growth rate", "活跃度": "Activity",
}


def english_name(name: str) -> str | None:
    return ENGLISH_NAMES.get(name.strip())


@dataclass(frozen=True)
class Reason:
    """Why a catalog field holds its value: ``code`` names a ``metrics.why.<code>`` text.

    name: a word of the name (``word``); unit: the unit (``word``); dims: every stored row has the
    heading ``word`` in dimension ``where``; sheet: every sheet it came from is called ``word``;
    column: it was listed under the header ``word``; default: nothing said otherwise; user: the user
    set it; kept: a value from before migration 9 that no rule gives (kept as the user's)."""

    code: str
    word: str | None = None
    where: str | None = None

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("code", self.code), ("word", self.word), ("where", self.where)) if v is not None}


REASON_CODES = ("name", "unit", "dims", "sheet", "column", "default", "user", "kept")


def _said(match: re.Match[str]) -> Reason:
    return Reason("name", match.group(0).strip())


def explain_direction(name: str, context: Reason | None = None) -> tuple[str, Reason]:
    """'down' for what is better low, and why. ``context``: a cost heading over every stored row of
    the metric (see :func:`_headings`); it decides unless the name says better low or high outright."""
    better = _BETTER_RE.search(name)
    if better:
        return "up", _said(better)
    for pattern in (_DEDUCTION_RE, _COST_RE, _WORSE_RE):
        found = pattern.search(name)
        if found:
            return "down", _said(found)
    if context is not None:
        return "down", context
    category, why = explain_category(name)
    if category in _UP_CATEGORIES:
        return "up", why
    return "up", Reason("default")


def explain_aggregation(name: str, unit: str | None) -> tuple[str, Reason]:
    """Rates, scores, prices, averages and amounts per unit (元/人) are averaged; amounts and counts summed."""
    found = _RATE_RE.search(_words(name))
    if found:
        return "avg", _said(found)
    if unit and (unit == "%" or _RATE_RE.search(_words(unit)) or "/" in unit or "每" in unit):
        return "avg", Reason("unit", unit)
    return "sum", Reason("default")


def explain_category(name: str, context: Reason | None = None) -> tuple[str, Reason]:
    found = None if _EARNED_RE.search(name) else _COST_RE.search(name)
    if found:
        return "cost", _said(found)
    if context is not None:
        return "cost", context
    for category, pattern in _CATEGORY_RULES[1:]:  # cost: above
        found = pattern.search(name)
        if found:
            return category, _said(found)
    return "other", Reason("default")


def guess_direction(name: str) -> str:
    """'down' for things that are better low (cost, churn, complaints, acquisition cost)."""
    return explain_direction(name)[0]


def guess_aggregation(name: str, unit: str | None) -> str:
    """Rates, scores and averages are averaged; amounts and counts are summed."""
    return explain_aggregation(name, unit)[0]


def guess_category(name: str) -> str:
    return explain_category(name)[0]


def guess_unit(name: str, unit: str | None) -> str | None:
    if unit:
        return unit
    return "%" if re.search(r"(率|占比|比例|rate|ratio)$", name, re.I) else None


def _v1_guesses(name: str, unit: str | None) -> dict[str, str]:
    """What the rules before migration 9 guessed for a name (direction, aggregation, category)."""
    aggregation = "avg" if unit == "%" or _V1_RATE_RE.search(name) or (unit and _V1_RATE_RE.search(unit)) else "sum"
    category = "cost" if _V1_COST_RE.search(name) else next(
        (c for c, p in _CATEGORY_RULES[1:] if p.search(name)), "other")
    return {"direction": "down" if _V1_DOWN_RE.search(name) else "up", "aggregation": aggregation, "category": category}


@dataclass(frozen=True)
class Metric:
    name: str
    label_zh: str | None
    label_en: str | None
    unit: str | None
    aggregation: str
    direction: str
    category: str
    number_format: str
    hidden: bool
    merged_into: str | None
    source: str  # "facts" | "transactions" | "derived"
    kind: str | None = None  # derived: ratio | difference | growth
    first_metric: str | None = None
    second_metric: str | None = None
    user_set: tuple[str, ...] = ()  # the fields the user set
    reasons: str | None = None  # JSON: per guessed field, its Reason
    present: bool = True  # current data has it (only such metrics are offered)

    def label(self, lang: str) -> str:
        chosen = self.label_zh if lang == "zh" else self.label_en
        return chosen or self.name

    @property
    def is_rate(self) -> bool:
        return self.aggregation == "avg" or self.unit == "%" or self.kind == "ratio"

    def why(self, field: str) -> Reason:
        """Where ``field``'s value came from: the user, or what decided the guess."""
        stored = json.loads(self.reasons).get(field) if self.reasons else None
        if field in self.user_set:
            return Reason("kept") if stored and stored.get("code") == "kept" else Reason("user")
        return Reason(**stored) if stored else Reason("default")


# ---------------------------------------------------------------- the catalog

# Every catalog field a user can set (merged_into by a merge); a row with any of them set is kept
# while no data has its name.
USER_FIELDS = ("label_zh", "label_en", "unit", "aggregation", "direction", "category", "number_format", "hidden",
               "merged_into")
_GUESSED = ("aggregation", "direction", "category")
_TX_UNITS = {TX_ORDERS: "单", TX_CUSTOMERS: "人", TX_NEW: "人", TX_RETURNING: "人"}


def sync_catalog(db: Database) -> list[str]:
    """Make the catalog follow the data: add every name data brought in that the catalog does not
    know (guessed), delete the rows whose data is gone and which hold nothing of the user's, sort
    out rows from before migration 9. Returns the names added.

    Scanning the facts is skipped while the data version is the one last synced."""
    version = db.numbers_version()
    if _synced.get(str(db.path)) == version or db.get_setting("catalog_synced_version") == str(version):
        _synced[str(db.path)] = version
        return []
    with _sync_lock:  # two sessions' first looks after an import would add and delete the same rows
        version = db.numbers_version()
        if _synced.get(str(db.path)) == version:
            return []
        added = _sync_catalog(db)
        db.set_setting("catalog_synced_version", str(db.numbers_version()))
        _synced[str(db.path)] = db.numbers_version()
    return added


_synced: dict[str, int] = {}
_sync_lock = threading.Lock()


def _stored_names(db: Database) -> dict[str, tuple[str | None, float | None, str]]:
    """Every metric name current data has → (a stored unit, the largest |value|, source): the facts'
    metrics, then the transactions' counts and measures. Once per data version."""
    def compute() -> dict[str, tuple[str | None, float | None, str]]:
        out = {name: (unit, biggest, "facts") for name, unit, biggest in db.rows(
            """SELECT metric, min(unit), max(abs(value))
               FROM fact_rows WHERE replaced_by IS NULL GROUP BY metric""")}
        has_tx = db.one("SELECT count(*), count(customer_id) FROM transactions WHERE replaced_by IS NULL")
        if has_tx and has_tx[0]:
            names = [TX_ORDERS] + ([TX_CUSTOMERS, TX_NEW, TX_RETURNING] if has_tx[1] else [])
            names += [m[0] for m in db.rows(
                "SELECT DISTINCT unnest(map_keys(measures)) FROM transactions WHERE replaced_by IS NULL ORDER BY 1")]
            for n in names:
                out.setdefault(n, (None, None, "transactions"))
        return out
    return _remember(db, ("stored names",), compute)


def _fact_unit(name: str, unit: str | None, biggest: float | None) -> str | None:
    unit = guess_unit(name, unit)
    if unit is None and guess_aggregation(name, None) == "avg" and biggest is not None and biggest <= 1.0 and "率" in name:
        unit = "%"
    return unit


def _guesses(name: str, unit: str | None, heading: Reason | None) -> dict[str, tuple[str, Reason]]:
    return {"aggregation": explain_aggregation(name, unit), "direction": explain_direction(name, heading),
            "category": explain_category(name, heading)}


def _sync_catalog(db: Database) -> list[str]:
    stored = _stored_names(db)
    rows = {r[0]: r for r in db.rows(
        f"SELECT name, user_set, {', '.join(USER_FIELDS)} FROM metrics")}
    new = [n for n in stored if n not in rows]
    legacy = [n for n, r in rows.items() if r[1] is None]
    headings = _headings(db, [n for n in (*new, *legacy) if n in stored and stored[n][2] == "facts"])
    tx_units = ({**_TX_UNITS, **_transaction_units(db)}
                if any(n in stored and stored[n][2] == "transactions" for n in (*new, *legacy)) else {})
    inserts = []
    for name in new:
        unit, biggest, source = stored[name]
        unit = _fact_unit(name, unit, biggest) if source == "facts" else tx_units.get(name)
        guesses = _guesses(name, unit, headings.get(name))
        inserts.append([name, english_name(name), unit, *(guesses[f][0] for f in _GUESSED), source,
                        json.dumps({f: guesses[f][1].to_dict() for f in _GUESSED}, ensure_ascii=False)])
    adopted = {}
    for name in legacy:
        fact = stored.get(name)
        unit_now = None if fact is None else _fact_unit(name, fact[0], fact[1]) if fact[2] == "facts" else tx_units.get(name)
        adopted[name] = _adopt(name, dict(zip(USER_FIELDS, rows[name][2:], strict=True)), fact is not None, unit_now,
                               headings.get(name))
    # A row others point at stays: a merge's target (its members' values count as its own) and the
    # components of a derived metric (its series reads them).
    pointed = {r[-1] for r in rows.values() if r[-1]} | {n for pair in db.rows(
        "SELECT first_metric, second_metric FROM derived_metrics") for n in pair if n}
    gone = [n for n, r in rows.items() if n not in stored and n not in pointed
            and not (adopted[n][0] if n in adopted else r[1])]
    if not inserts and not adopted and not gone:
        return []
    with system(), db.transaction() as cur:  # the catalog follows the data, whoever is looking
        for values in inserts:
            cur.execute(
                """INSERT INTO metrics (name, label_en, unit, aggregation, direction, category, source, reasons, user_set)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING""", [*values, []])
        for name, (user_set, reasons, updates) in adopted.items():
            # Field names from _GUESSED, never from data.
            sets = "".join(f", {quote_ident(f)} = ?" for f in updates)
            cur.execute(f"UPDATE metrics SET user_set = ?, reasons = ?{sets} WHERE name = ? AND user_set IS NULL",
                        [user_set, json.dumps(reasons, ensure_ascii=False), *updates.values(), name])
        if gone:
            cur.execute("DELETE FROM metrics WHERE name = ANY(?)", [gone])
        bump_version(cur)
    # Only the catalog changed: the names the data holds are the same at the new version.
    _memo.setdefault(db, {})[(db.numbers_version(), "stored names")] = stored
    return new


def _adopt(name: str, row: dict[str, Any], present: bool, unit_now: str | None,
           heading: Reason | None) -> tuple[list[str], dict[str, dict[str, str]], dict[str, str]]:
    """A row from before migration 9: (the fields taken as the user's, the reasons, the guessed
    fields to update). A value the rules give now or gave then is a default and takes today's
    guess; any other is kept as the user's. A unit is judged only while data has the name."""
    kept = {"code": "kept"}
    defaults = {"label_zh": None, "label_en": english_name(name), "number_format": "auto", "hidden": False,
                "merged_into": None}
    user_set = [f for f, value in defaults.items() if row[f] != value]
    if present and row["unit"] != unit_now:
        user_set.append("unit")
    reasons = {f: kept for f in user_set}
    now, before = _guesses(name, row["unit"], heading), _v1_guesses(name, row["unit"])
    updates = {}
    for field in _GUESSED:
        value, why = now[field]
        if row[field] in (value, before[field]):
            reasons[field] = why.to_dict()
            if row[field] != value:
                updates[field] = value
        else:
            user_set.append(field)
            reasons[field] = kept
    return user_set, reasons, updates


def _headings(db: Database, names: list[str]) -> dict[str, Reason]:
    """The cost heading every stored row of each of ``names`` sits under, where there is one: a
    dimension value of each of its segments (科目=管理费用), else the header of the column its names
    were read from (on every sheet), else the name of every sheet it came from."""
    if not names:
        return {}
    out: dict[str, Reason] = {}
    totals: dict[str, int] = {}
    hits: dict[str, list[tuple[int, str, str]]] = {}
    for metric, k, v, n, total in db.rows(
        """WITH f AS (SELECT DISTINCT metric, dims_key FROM fact_rows
                      WHERE replaced_by IS NULL AND metric = ANY($names)),
                pairs AS (SELECT dims_key, unnest(map_keys(dims)) AS k, unnest(map_values(dims)) AS v FROM segments
                          WHERE dims_key IN (SELECT dims_key FROM f)),
                hit AS (SELECT DISTINCT ON (f.metric, f.dims_key) f.metric, f.dims_key, p.k, p.v
                        FROM f JOIN pairs p ON p.dims_key = f.dims_key
                        WHERE (p.v ~* $heading) AND NOT (p.v ~* $centre) ORDER BY f.metric, f.dims_key, p.k)
           SELECT h.metric, h.k, h.v, count(*), (SELECT count(*) FROM f WHERE f.metric = h.metric)
           FROM hit h GROUP BY h.metric, h.k, h.v""",
        {"names": names, "heading": _COST_HEADING, "centre": _NOT_A_HEADING_RE.pattern},
    ):
        totals[metric] = total
        hits.setdefault(metric, []).append((n, k, v))
    for metric, found in hits.items():
        if sum(n for n, _, _ in found) == totals[metric]:  # every segment is under a cost heading
            _, k, v = max(found, key=lambda x: (x[0], x[1], x[2]))
            out[metric] = Reason("dims", v, k)
    columns: dict[str, list[str | None]] = {}
    sheets: dict[str, set[str]] = {}
    for metric, sheet, mapping in db.rows(
        """SELECT DISTINCT f.metric, f.sheet_name, CAST(s.mapping AS VARCHAR)
           FROM (SELECT DISTINCT metric, import_id, sheet_name FROM fact_rows
                 WHERE replaced_by IS NULL AND metric = ANY(?)) f
           JOIN import_sheets s ON s.import_id = f.import_id AND s.sheet_name = f.sheet_name""", [names]):
        sheets.setdefault(metric, set()).add(sheet)
        headers = [c.get("header") for c in json.loads(mapping).get("columns", []) if c.get("role") == "metric"]
        columns.setdefault(metric, []).append(next((h for h in headers if h and _COST_HEADING_RE.search(h)), None))
    for metric in names:
        if metric in out:
            continue
        listed = columns.get(metric) or [None]
        if all(listed):
            out[metric] = Reason("column", listed[0])
            continue
        named = sorted(sheets.get(metric) or [])
        if named and all(_COST_HEADING_RE.search(s) and not _NOT_A_HEADING_RE.search(s) for s in named):
            out[metric] = Reason("sheet", named[0])
    return out


def _transaction_units(db: Database) -> dict[str, str]:
    """'金额(元)' kept its unit in the import's column mapping; the measures map has only '金额'."""
    units: dict[str, str] = {}
    for (mapping,) in db.rows("SELECT mapping FROM import_sheets WHERE shape = 'transactions'"):
        for column in json.loads(mapping).get("columns", []):
            if column.get("role") == "measure" and column.get("unit"):
                name = split_unit(column["header"].split(" / ")[-1])[0]
                units.setdefault(name, column["unit"])
    return units


_memo: weakref.WeakKeyDictionary[Database, dict[tuple, Any]] = weakref.WeakKeyDictionary()


def _remember(db: Database, key: tuple, compute: Any) -> Any:
    """A per-process memo keyed on the database's numbers version: every write that changes a number
    invalidates it (a review or problem edit does not: :func:`retro.db.bump_version`).

    Kept per Database object, not per path: a restored file reopened at the same path starts empty."""
    memo = _memo.setdefault(db, {})
    full = (db.numbers_version(), *key)
    if full not in memo:
        if len(memo) > 512:
            memo.clear()
        memo[full] = compute()
    return memo[full]


def _current_dims(db: Database) -> list[tuple[str, str | None]]:
    """(dimension, value) of every segment the current facts use, one pair per segment and
    dimension: one scan of the facts per data version, shared by the dimension lookups (each
    scanned every fact for itself before). Flat pairs: DuckDB hands maps to Python slowly."""
    return _remember(db, ("current dims",), lambda: db.rows(
        """SELECT unnest(map_keys(s.dims)), unnest(map_values(s.dims)) FROM segments s
           WHERE s.dims_key IN (SELECT DISTINCT dims_key FROM fact_rows WHERE replaced_by IS NULL)"""))


def catalog(db: Database, *, include_hidden: bool = False, include_merged: bool = False,
            include_absent: bool = False) -> list[Metric]:
    """The metrics a user can pick, derived ones included; merged-away names, and names no current
    data has (kept for the user's settings on them), only on request."""
    sync_catalog(db)
    every = _remember(db, ("catalog",), lambda: _load_catalog(db))
    return [m for m in every if (include_hidden or not m.hidden) and (include_merged or not m.merged_into)
            and (include_absent or m.present)]


def _load_catalog(db: Database) -> list[Metric]:
    rows = db.rows(
        """SELECT name, label_zh, label_en, unit, aggregation, direction, category, number_format, hidden,
                  merged_into, source, user_set, reasons FROM metrics ORDER BY
                  CASE category WHEN 'revenue' THEN 0 WHEN 'growth' THEN 1 WHEN 'retention' THEN 2
                                WHEN 'satisfaction' THEN 3 WHEN 'cost' THEN 4 WHEN 'efficiency' THEN 5 ELSE 6 END,
                  source, name"""
    )
    stored = _stored_names(db)
    # A merge target has data when a metric merged into it has (its values count as the target's).
    present = set(stored) | {r[9] for r in rows if r[9] and r[0] in stored}
    out = [Metric(*r[:11], user_set=tuple(r[11] or ()), reasons=r[12], present=r[0] in present) for r in rows]
    for name, kind, first, second, unit, direction, category in db.rows(
        "SELECT name, kind, first_metric, second_metric, unit, direction, category FROM derived_metrics ORDER BY name"
    ):
        agg = "avg" if kind in ("ratio", "growth") else "sum"
        out.append(Metric(name, None, None, unit, agg, direction, category, "auto", False, None, "derived", kind, first, second,
                          present=first in present and (second is None or second in present)))
    return out


def get_metric(db: Database, name: str) -> Metric:
    for m in catalog(db, include_hidden=True, include_merged=True, include_absent=True):
        if m.name == name:
            return m
    raise KeyError(name)


_EDITABLE = {"label_zh", "label_en", "unit", "aggregation", "direction", "category", "number_format", "hidden"}


def update_metric(db: Database, name: str, **changes: Any) -> None:
    """Change how a metric is named, shown and aggregated; unknown fields or values are refused."""
    bad = set(changes) - _EDITABLE
    if bad:
        raise ValueError(f"cannot change {sorted(bad)}")
    checks = {"aggregation": AGGREGATIONS, "direction": DIRECTIONS, "category": CATEGORIES, "number_format": NUMBER_FORMATS}
    for key, allowed in checks.items():
        if key in changes and changes[key] not in allowed:
            raise ValueError(f"{key} must be one of {allowed}")
    if not changes:
        return
    sync_catalog(db)
    with db.transaction() as cur:
        row = cur.execute("SELECT user_set, reasons FROM metrics WHERE name = ?", [name]).fetchone()
        if row is None:
            raise KeyError(name)
        for key, value in changes.items():
            if isinstance(value, str) and key in ("label_zh", "label_en", "unit"):
                value = value.strip() or None
            # Column names come from the fixed set above, never from the caller's text.
            cur.execute(f"UPDATE metrics SET {quote_ident(key)} = ?, updated_at = current_timestamp WHERE name = ?",
                        [value, name])
        _mark_set(cur, name, row, set_now=changes)
        bump_version(cur)


def _mark_set(cur: duckdb.DuckDBPyConnection, name: str, row: tuple, *, set_now: Any = (), unset: Any = ()) -> None:
    """Record which fields the user has set on ``name`` (no import changes them; the row outlives its
    data): ``set_now`` joins them, ``unset`` leaves them. Their guessed reasons go."""
    fields = [f for f in (row[0] or []) if f not in unset]
    fields += [f for f in set_now if f not in fields]
    reasons = {f: why for f, why in json.loads(row[1] or "{}").items() if f not in set_now}
    cur.execute("UPDATE metrics SET user_set = ?, reasons = ? WHERE name = ?",
                [fields, json.dumps(reasons, ensure_ascii=False), name])


def merge_metrics(db: Database, source: str, target: str) -> None:
    """``source`` is the same KPI as ``target`` under another header: its values count as target's."""
    if source == target:
        raise ValueError("a metric cannot be merged into itself")
    sync_catalog(db)
    with db.transaction() as cur:
        names = {r[0]: r[1] for r in cur.execute("SELECT name, merged_into FROM metrics WHERE name IN (?, ?)", [source, target]).fetchall()}
        if source not in names or target not in names:
            raise KeyError(source if source not in names else target)
        if names[target] is not None:
            raise ValueError("the target is itself merged into another metric")
        cur.execute("UPDATE metrics SET merged_into = ? WHERE name = ?", [target, source])
        cur.execute("UPDATE metrics SET merged_into = ? WHERE merged_into = ?", [target, source])
        _mark_set(cur, source, cur.execute("SELECT user_set, reasons FROM metrics WHERE name = ?", [source]).fetchone(),
                  set_now=("merged_into",))
        bump_version(cur)


def unmerge_metric(db: Database, name: str) -> None:
    with db.transaction() as cur:
        cur.execute("UPDATE metrics SET merged_into = NULL WHERE name = ?", [name])
        row = cur.execute("SELECT user_set, reasons FROM metrics WHERE name = ?", [name]).fetchone()
        if row is not None:  # not merged is the default again: nothing of the user's left in that field
            _mark_set(cur, name, row, unset=("merged_into",))
        bump_version(cur)


def define_derived(db: Database, name: str, kind: str, first: str, second: str | None = None, *,
                   unit: str | None = None, direction: str = "up", category: str = "other") -> None:
    """A metric computed from others: ratio (first / second), difference (first − second), growth of first."""
    name = name.strip()
    if not name:
        raise ValueError("name required")
    if kind not in DERIVED_KINDS:
        raise ValueError(f"kind must be one of {DERIVED_KINDS}")
    if kind != "growth" and not second:
        raise ValueError("a ratio or a difference needs two metrics")
    every = catalog(db, include_hidden=True, include_merged=True, include_absent=True)
    known = {m.name for m in every if m.present}
    for needed in (first, second) if kind != "growth" else (first,):
        if needed not in known:
            raise KeyError(needed)
    if name in {m.name for m in every}:  # a name kept without data would come back as two metrics
        raise ValueError(f"a metric named {name!r} exists")
    if kind == "ratio" and unit is None:
        unit = "%"
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO derived_metrics (name, kind, first_metric, second_metric, unit, direction, category) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [name, kind, first, second if kind != "growth" else None, unit, direction, category],
        )
        bump_version(cur)


def delete_derived(db: Database, name: str) -> None:
    with db.transaction() as cur:
        cur.execute("DELETE FROM derived_metrics WHERE name = ?", [name])
        bump_version(cur)


# ---------------------------------------------------------------- dimensions


def dimensions(db: Database, metric: str | None = None) -> list[str]:
    """Dimension names present in the data (for one metric, when given), most used first."""
    if metric is None:
        # How many segments (of the facts, and distinct ones of the transactions) name each dimension.
        counts = Counter(k for k, _ in _current_dims(db))
        for (keys,) in db.rows("SELECT map_keys(dims) FROM (SELECT DISTINCT dims FROM transactions WHERE replaced_by IS NULL) t"):
            counts.update(keys)
        return [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    m = get_metric(db, metric)
    if m.source == "transactions":
        return [r[0] for r in db.rows(
            "SELECT DISTINCT unnest(map_keys(dims)) AS k FROM (SELECT DISTINCT dims FROM current_transactions) t ORDER BY k")]
    if m.source == "derived":
        first = dimensions(db, m.first_metric)
        return [d for d in first if m.second_metric is None or d in dimensions(db, m.second_metric)]
    names = _member_names(db, m.name)
    rows = db.rows(
        """SELECT k FROM (SELECT DISTINCT unnest(map_keys(s.dims)) AS k FROM segments s
           WHERE s.dims_key IN (SELECT DISTINCT dims_key FROM fact_rows WHERE replaced_by IS NULL AND metric = ANY(?))) d
           ORDER BY k""",
        [names],
    )
    return [r[0] for r in rows]


def dimension_values(db: Database, dimension: str, metric: str | None = None) -> list[str]:
    """The values of ``dimension`` in the current data (in ``metric``'s stored rows, when given)."""
    if metric is None:
        found = {v for k, v in _current_dims(db) if k == dimension}
        found |= {r[0] for r in db.rows(
            "SELECT DISTINCT dims[?] FROM (SELECT DISTINCT dims FROM transactions WHERE replaced_by IS NULL) t", [dimension])}
    else:
        m = get_metric(db, metric)
        if m.source == "derived":  # its series pairs the components' segments: values both have
            values = set(dimension_values(db, dimension, m.first_metric))
            return sorted(values & set(dimension_values(db, dimension, m.second_metric)) if m.second_metric else values)
        if m.source == "transactions":
            sql = "SELECT DISTINCT dims[$d] FROM (SELECT DISTINCT dims FROM current_transactions) t"
        else:
            sql = """SELECT DISTINCT s.dims[$d] FROM segments s WHERE s.dims_key IN
                     (SELECT DISTINCT dims_key FROM fact_rows WHERE replaced_by IS NULL AND metric = ANY($names))"""
        names = _member_names(db, m.name)
        found = set(_remember(db, ("dimension values", dimension, tuple(names), m.source), lambda: [r[0] for r in db.rows(
            sql, {"d": dimension, **({"names": names} if m.source == "facts" else {})})]))
    return sorted(v for v in found if v is not None)  # code point order, as DuckDB orders VARCHAR


# ---------------------------------------------------------------- series


def _member_names(db: Database, name: str) -> list[str]:
    """A metric and every metric merged into it."""
    return [name] + [m.name for m in catalog(db, include_hidden=True, include_merged=True, include_absent=True)
                     if m.merged_into == name]


def _fact_grains(db: Database, names: list[str], scenario: str, grain: str) -> list[str]:
    """Which stored grains feed a series at ``grain``: the finest the metric has, so that a
    sheet of months and a sheet of quarter totals for the same metric are not added together."""
    have = _remember(db, ("grains", tuple(names), scenario), lambda: {r[0] for r in db.rows(
        "SELECT DISTINCT grain FROM fact_rows WHERE replaced_by IS NULL AND metric = ANY(?) AND scenario = ?",
        [names, scenario])})
    return _finest(have, grain)


def _finest(have: set[str], grain: str) -> list[str]:
    order = ["day", "month", "quarter", "year"]
    usable = order[: order.index(grain) + 1] if grain in order else order
    for finest in usable:
        if finest in have:
            return ["day", "month"] if finest in ("day", "month") else [finest]
    return []


def _filters_sql(filters: dict[str, list[str]] | None, dims_expr: str, prefix: str) -> tuple[str, dict[str, Any]]:
    sql, params = "", {}
    for i, (dim, values) in enumerate((filters or {}).items()):
        if not values:
            continue
        sql += f" AND {dims_expr}[${prefix}fk{i}] = ANY(${prefix}fv{i})"
        params[f"{prefix}fk{i}"] = dim
        params[f"{prefix}fv{i}"] = list(values)
    return sql, params


def _agg_sql(db: Database, m: Metric, *, grain: str, scenario: str, by: str | None,
             filters: dict[str, list[str]] | None, prefix: str,
             span: tuple[dt.date | None, dt.date | None] = (None, None)) -> tuple[str, dict[str, Any]]:
    """SQL for (p, segment, value, months): one metric aggregated to ``grain`` per segment.

    ``span`` (from, to-exclusive) bounds the rows read, so one period's view does not scan years."""
    params: dict[str, Any] = {f"{prefix}grain": grain, f"{prefix}lo": span[0], f"{prefix}hi": span[1]}
    if m.source == "transactions":
        seg = f"coalesce(t.dims[${prefix}by], '—')" if by else "''"
        if by:
            params[f"{prefix}by"] = by
        where, fparams = _filters_sql(filters, "t.dims", prefix)
        where += f" AND (CAST(${prefix}lo AS DATE) IS NULL OR t.txn_date >= ${prefix}lo) AND (CAST(${prefix}hi AS DATE) IS NULL OR t.txn_date < ${prefix}hi)"
        params.update(fparams)
        if scenario != "actual":  # no plan in transactions; no parameters either (DuckDB refuses unused ones)
            return "SELECT NULL::DATE AS p, NULL::VARCHAR AS segment, NULL::DOUBLE AS value, NULL::BIGINT AS months, NULL::BIGINT AS n WHERE false", {}
        period = f"CAST(date_trunc(${prefix}grain, t.txn_date) AS TIMESTAMP)"
        if m.name == TX_ORDERS:
            value = "count(DISTINCT coalesce(t.order_id, t.import_id::VARCHAR || ':' || t.row_no::VARCHAR))"
        elif m.name == TX_CUSTOMERS:
            value = "count(DISTINCT t.customer_id)"
        elif m.name in (TX_NEW, TX_RETURNING):
            # New: the customer's first purchase ever (in all data, not just the filtered slice).
            cond = "=" if m.name == TX_NEW else "<"
            value = f"count(DISTINCT t.customer_id) FILTER (WHERE date_trunc(${prefix}grain, f.first_date) {cond} {period})"
            sql = (f"SELECT {period} AS p, {seg} AS segment, {value} AS value, "
                   f"count(DISTINCT date_trunc('month', t.txn_date)) AS months, NULL::BIGINT AS n FROM current_transactions t "
                   f"JOIN (SELECT customer_id, min(txn_date) AS first_date FROM current_transactions "
                   f"WHERE customer_id IS NOT NULL GROUP BY customer_id) f ON f.customer_id = t.customer_id "
                   f"WHERE true {where} GROUP BY p, segment")
            return sql, params
        else:
            params[f"{prefix}measure"] = m.name
            value = f"{'avg' if m.aggregation == 'avg' else 'sum'}(t.measures[${prefix}measure])"
        months = "1" if grain == "month" else "count(DISTINCT date_trunc('month', t.txn_date))"
        sql = (f"SELECT {period} AS p, {seg} AS segment, {value} AS value, {months} AS months, NULL::BIGINT AS n "
               f"FROM current_transactions t WHERE true {where} GROUP BY p, segment")
        return sql, params
    names = _member_names(db, m.name)
    rolled = _rollup_sql(db, [(m, names)], grain=grain, scenario=scenario, by=by, filters=filters, prefix=prefix,
                         span=span)
    if rolled is not None:
        return rolled
    grains = _fact_grains(db, names, scenario, grain) or ["none"]
    params.update({f"{prefix}scenario": scenario})
    # IN over bound values, not list_contains: DuckDB filters the scan with it far faster.
    params.update({f"{prefix}n{i}": n for i, n in enumerate(names)})
    params.update({f"{prefix}g{i}": g for i, g in enumerate(grains)})
    in_names = ", ".join(f"${prefix}n{i}" for i in range(len(names)))
    in_grains = ", ".join(f"${prefix}g{i}" for i in range(len(grains)))
    seg = f"coalesce(s.dims[${prefix}by], '—')" if by else "''"
    if by:
        params[f"{prefix}by"] = by
    where, fparams = _filters_sql(filters, "s.dims", prefix)
    where += f" AND (CAST(${prefix}lo AS DATE) IS NULL OR f.period >= ${prefix}lo) AND (CAST(${prefix}hi AS DATE) IS NULL OR f.period < ${prefix}hi)"
    params.update(fparams)
    agg = "avg" if m.aggregation == "avg" else "sum"
    # How many months a quarter or year holds (a month holds one: not worth counting).
    months = "1" if grain == "month" else f"CASE WHEN bool_and(f.grain IN ('day', 'month')) THEN {_months_held('f.period')} END"
    sql = (
        f"SELECT CAST(date_trunc(${prefix}grain, f.period) AS TIMESTAMP) AS p, {seg} AS segment, {agg}(f.value) AS value, "
        f"{months} AS months, "
        f"count(f.value) AS n "
        f"FROM fact_rows f JOIN segments s ON s.dims_key = f.dims_key "
        f"WHERE f.replaced_by IS NULL AND f.metric IN ({in_names}) AND f.scenario = ${prefix}scenario "
        f"AND f.grain IN ({in_grains}) {where} GROUP BY p, segment"
    )
    return sql, params


def _months_held(date: str) -> str:
    """SQL counting the distinct calendar months of ``date`` in a quarter's or a year's group (all in
    one year): one bit per month, OR-ed, then counted. A plain aggregate, where count(DISTINCT …)
    made DuckDB plan a distinct aggregation per series: ~3 ms of each quarter view's query."""
    # (EXTRACT and a BIT(12) cast: what both engines run; BIGINT, as count() gives)
    return f"CAST(bit_count(CAST(bit_or(1 << (CAST(EXTRACT(MONTH FROM {date}) AS INTEGER) - 1)) AS BIT(12))) AS BIGINT)"


# ---------------------------------------------------------------- the rollup
#
# fact_rollup (migration 5) holds the current facts summed per metric, scenario, stored grain, month
# and the value of one dimension (dimension '' = the total), or of a pair of dimensions (migration 6):
# a trends view with no breakdown, or a breakdown and filters on at most two dimensions ("华东 by
# product line"), reads a few thousand rows instead of every stored value.
# It is derived data, built lazily per (metric, scenario, dimension) by the same scan the view would
# have run (so building costs no more than not having it), stamped with the data version read in
# the build's own transaction, and read only while that stamp is the current data version: every
# write that changes facts bumps the version in its transaction, so a stale rollup is never used.

# Joins the two dimensions of a pair's rollup key (a unit separator: never part of a header people type).
PAIR_SEP = "\x1f"
_rollup_built: weakref.WeakKeyDictionary[Database, dict[tuple[str, str, str], int]] = weakref.WeakKeyDictionary()
_rollup_broken: weakref.WeakKeyDictionary[Database, int] = weakref.WeakKeyDictionary()
_rollup_lock = threading.Lock()


def _rollup_ready(db: Database, names: list[str], scenario: str, dimension: str) -> bool:
    """True when the rollup holds ``names`` × ``scenario`` × ``dimension`` at the current data
    version, building what is missing; False when it cannot be used (a read-only file, a write
    that raced the build): the caller scans the facts."""
    version = db.numbers_version()
    wanted = [(n, scenario, dimension) for n in names]
    if _rollup_broken.get(db) == version:
        return False
    built = _rollup_built.setdefault(db, {})
    if all(built.get(k) == version for k in wanted):
        return True
    with _rollup_lock:
        version = db.numbers_version()
        try:
            stamps = dict(((m, s, d), v) for m, s, d, v in db.rows(
                "SELECT metric, scenario, dimension, version FROM fact_rollup_built WHERE metric = ANY(?)",
                [names]))
            missing = [k for k in wanted if stamps.get(k) != version]
            if missing:
                stamped = _build_rollup(db, missing)
                stamps.update(dict.fromkeys(missing, stamped))
        except duckdb.Error:  # a file from before migration 5
            _rollup_broken[db] = version
            return False
        except DatabaseUnavailable as exc:
            # The rollup is a cache: a read-only file, or a disk too full to write it, is read by
            # scanning the facts; any other fault is the page's to explain.
            if exc.code not in ("read_only", "disk_full"):
                raise
            _rollup_broken[db] = version
            return False
        if db.numbers_version() != version:
            return False  # a write landed meanwhile: built again on the next call, scanned this time
        built.update({k: v for k, v in stamps.items() if v == version})
        return all(built.get(k) == version for k in wanted)


def _build_rollup(db: Database, keys: list[tuple[str, str, str]]) -> int:
    """(Re)build the rollup rows of ``keys`` from the current facts; returns the data version they match."""
    with system(), db.transaction() as cur:  # bookkeeping, built for whoever is looking
        # Read inside the build's transaction: the stamp names exactly the facts summed.
        row = cur.execute("""SELECT coalesce((SELECT value FROM settings WHERE key = 'numbers_version'),
                                             (SELECT value FROM settings WHERE key = 'data_version'))""").fetchone()
        version = int(row[0] or 0) if row and row[0] is not None else 0
        for metric, scenario, dimension in keys:
            params = {"m": metric, "s": scenario, "d": dimension}
            cur.execute("DELETE FROM fact_rollup WHERE metric = $m AND scenario = $s AND dimension = $d", params)
            pair = dimension.split(PAIR_SEP)
            if len(pair) == 2:
                params.update({"a": pair[0], "b": pair[1]})
                value, value2 = "s.dims[$a]", "s.dims[$b]"
            else:
                value, value2 = ("s.dims[$d]" if dimension else "NULL::VARCHAR"), "NULL::VARCHAR"
            cur.execute(
                f"""INSERT INTO fact_rollup (metric, scenario, grain, month, dimension, dim_value, dim_value2,
                                             value_sum, value_count)
                    SELECT f.metric, f.scenario, f.grain, CAST(date_trunc('month', f.period) AS DATE), $d, {value},
                           {value2}, sum(f.value), count(f.value)
                    FROM fact_rows f JOIN segments s ON s.dims_key = f.dims_key
                    WHERE f.replaced_by IS NULL AND f.metric = $m AND f.scenario = $s
                    GROUP BY 1, 2, 3, 4, 5, 6, 7""", params)
            cur.execute(
                """INSERT INTO fact_rollup_built VALUES ($m, $s, $d, $v)
                   ON CONFLICT (metric, scenario, dimension) DO UPDATE SET version = excluded.version""",
                {"m": metric, "s": scenario, "d": dimension, "v": version})
    return version


def _rollup_sql(db: Database, metrics: list[tuple[Metric, list[str]]], *, grain: str, scenario: str,
                by: str | None, filters: dict[str, list[str]] | None, prefix: str,
                span: tuple[dt.date | None, dt.date | None]) -> tuple[str, dict[str, Any]] | None:
    """The same (p, segment, value, months) as the scan of the facts, from the rollup, for each of
    ``metrics`` (a metric and its member names); with more than one, a first column ``w`` says which
    (its index), so a view's card metrics are one read. None when the view needs more than two
    dimensions at once (or the rollup is unusable): the caller scans."""
    wanted = sorted({d for d, values in (filters or {}).items() if values} | ({by} if by else set()))
    if len(wanted) > 2 or any(PAIR_SEP in d for d in wanted) or any(d is not None and d.day != 1 for d in span):
        return None
    # The rollup's columns holding each wanted dimension's value: one dimension in dim_value, a pair
    # (sorted) in dim_value and dim_value2.
    column = dict(zip(wanted, ("r.dim_value", "r.dim_value2"), strict=False))
    dim = PAIR_SEP.join(wanted)
    if not all(_rollup_ready(db, names, scenario, dim) for _, names in metrics):
        return None
    params: dict[str, Any] = {f"{prefix}grain": grain, f"{prefix}lo": span[0], f"{prefix}hi": span[1],
                              f"{prefix}scenario": scenario, f"{prefix}dim": dim}
    reads, which, averaged = [], [], []
    for j, (m, names) in enumerate(metrics):
        # The stored grains, as _fact_grains finds them in the facts: every current fact is in the
        # rollup of each dimension (a fact's segment is stored with it, and segments are never deleted).
        have = _remember(db, ("rollup grains", tuple(names), scenario, dim), lambda names=names: {r[0] for r in db.rows(
            "SELECT DISTINCT grain FROM fact_rollup WHERE dimension = ? AND scenario = ? AND metric = ANY(?)",
            [dim, scenario, names])})
        grains = _finest(have, grain) or ["none"]
        params.update({f"{prefix}n{j}_{i}": n for i, n in enumerate(names)})
        params.update({f"{prefix}g{j}_{i}": g for i, g in enumerate(grains)})
        in_names = ", ".join(f"${prefix}n{j}_{i}" for i in range(len(names)))
        in_grains = ", ".join(f"${prefix}g{j}_{i}" for i in range(len(grains)))
        reads.append(f"(r.metric IN ({in_names}) AND r.grain IN ({in_grains}))")
        which.append(f"WHEN r.metric IN ({in_names}) THEN {j}")
        if m.aggregation == "avg":
            averaged.append(j)
    seg = f"coalesce({column[by]}, '—')" if by else "''"
    # A span starting on the first of a month keeps the same facts as the month it names.
    where = f" AND (CAST(${prefix}lo AS DATE) IS NULL OR r.month >= ${prefix}lo) AND (CAST(${prefix}hi AS DATE) IS NULL OR r.month < ${prefix}hi)"
    for i, (filtered, values) in enumerate((filters or {}).items()):
        if values:  # on one of the rollup's own dimensions (checked above): a missing value (NULL) never matches
            where += f" AND {column[filtered]} = ANY(${prefix}fv{i})"
            params[f"{prefix}fv{i}"] = list(values)
    # avg over the facts = their sum over their count (NULL values count in neither).
    mean, total = "sum(r.value_sum) / nullif(sum(r.value_count), 0)", "sum(r.value_sum)"
    w = f"CASE {' '.join(which)} END" if len(metrics) > 1 else None
    if not averaged or len(averaged) == len(metrics):
        value = mean if averaged else total
    else:  # sums and rates in one read: each group is one metric's
        value = f"CASE WHEN min({w}) IN ({', '.join(map(str, averaged))}) THEN {mean} ELSE {total} END"
    months = "1" if grain == "month" else f"CASE WHEN bool_and(r.grain IN ('day', 'month')) THEN {_months_held('r.month')} END"
    sql = (
        f"SELECT {f'{w} AS w, ' if w else ''}CAST(date_trunc(${prefix}grain, r.month) AS TIMESTAMP) AS p, {seg} AS segment, "
        f"{value} AS value, {months} AS months, sum(r.value_count) AS n "
        f"FROM fact_rollup r WHERE r.dimension = ${prefix}dim AND r.scenario = ${prefix}scenario "
        f"AND ({' OR '.join(reads)}) {where} GROUP BY {'w, ' if w else ''}p, segment"
    )
    return sql, params


def _metric_sql(db: Database, m: Metric, **kw: Any) -> tuple[str, dict[str, Any]]:
    """(p, segment, value) for any metric, derived ones from their aggregated components."""
    if m.source != "derived":
        return _agg_sql(db, m, prefix="a_", **kw)
    first = get_metric(db, m.first_metric)
    if m.kind == "growth":
        lo, hi = kw.get("span", (None, None))
        if lo is not None:  # growth needs the period before the first one shown
            kw = {**kw, "span": (add_months(lo, -_MONTHS[kw["grain"]]), hi)}
    a_sql, a_params = _agg_sql(db, first, prefix="a_", **kw)
    if m.kind == "growth":
        interval = _INTERVAL[kw["grain"]]
        sql = (f"SELECT p, segment, CAST(value - prev AS DOUBLE) / abs(prev) AS value, months, NULL::BIGINT AS n FROM ("
               f"SELECT p, segment, value, months, first_value(value) OVER (PARTITION BY segment ORDER BY p "
               f"RANGE BETWEEN {interval} PRECEDING AND {interval} PRECEDING) AS prev FROM ({a_sql}) a) g WHERE prev <> 0")
        return sql, a_params
    second = get_metric(db, m.second_metric)
    b_sql, b_params = _agg_sql(db, second, prefix="b_", **kw)
    # (a count over a count is a fraction: PostgreSQL's / of two integers drops it, DuckDB's does not)
    expr = "CAST(a.value AS DOUBLE) / b.value" if m.kind == "ratio" else "a.value - b.value"
    cond = " AND b.value <> 0" if m.kind == "ratio" else ""
    sql = (f"SELECT a.p, a.segment, {expr} AS value, least(a.months, b.months) AS months, NULL::BIGINT AS n FROM ({a_sql}) a JOIN ({b_sql}) b "
           f"ON a.p = b.p AND a.segment = b.segment WHERE true{cond}")
    return sql, {**a_params, **b_params}


@dataclass(frozen=True)
class SeriesRequest:
    """One series, as :func:`series` takes it (``filters`` as sorted (dimension, values) pairs, hashable)."""

    metric: str
    grain: str = "month"
    scenario: str = "actual"
    by: str | None = None
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None


def series(db: Database, metric: str, *, grain: str = "month", scenario: str = "actual", by: str | None = None,
           filters: dict[str, list[str]] | None = None, start: dt.date | None = None,
           end: dt.date | None = None) -> pd.DataFrame:
    """period, segment, value, prev (the period before), mom, last_year, yoy, months, complete.

    ``segment`` is '' for the total when ``by`` is None. MoM compares with the calendar period
    before (missing → empty, never the row before); YoY with the same period a year earlier.
    ``months`` is how many months of data a quarter or year holds; ``complete`` is False for a
    period still in progress (a quarter with one month), which must not read as a collapse.
    MoM and YoY are like for like (retro.likeforlike): where the two periods hold different
    segments (a region's error cell, a late region) or days, ``prev`` and ``last_year`` are the
    other period over what both hold, and ``cover_mom`` / ``cover_yoy`` say what was compared
    (``Coverage``: "3 of 4 regions reported", its ``value`` this period over the same); None
    where both periods hold the same.
    """
    wanted = tuple(sorted((d, tuple(v)) for d, v in (filters or {}).items() if v))
    return series_many(db, [SeriesRequest(metric, grain, scenario, by, wanted, start, end)])[0]


def series_many(db: Database, requests: Sequence[SeriesRequest]) -> list[pd.DataFrame]:
    """:func:`series` of each request, in one query: a view needs several (the KPI cards, the plan,
    the breakdown's segments) and each query costs more in its fixed parts than in its work."""
    if not requests:
        return []
    parts, params, done = [], {}, set()

    def span(r: SeriesRequest) -> tuple[dt.date | None, dt.date | None]:
        """Read from a year and a period before ``start`` (MoM and YoY need them) to the end."""
        return (add_months(truncate(r.start, r.grain), -12 - _MONTHS[r.grain]) if r.start else None,
                add_months(truncate(r.end, r.grain), _MONTHS[r.grain]) if r.end else None)

    for r in requests:
        if r.grain not in GRAINS:
            raise ValueError(f"grain must be one of {GRAINS}")
    # Stored metrics read alike (the KPI cards: grain, scenario, filters) are one read of the rollup.
    # (A metric read twice, or one merged into another, reads alone: each row must go to one request.)
    alike: dict[tuple, list[int]] = {}
    names_of = {}
    for i, r in enumerate(requests):
        if get_metric(db, r.metric).source in ("transactions", "derived"):
            continue
        names_of[i] = _member_names(db, r.metric)
        group = alike.setdefault((r.grain, r.scenario, r.by, r.filters, r.start, r.end), [])
        if not any(set(names_of[i]) & set(names_of[j]) for j in group):
            group.append(i)
    for g, group in enumerate(g for g in alike.values() if len(g) > 1):
        r = requests[group[0]]
        metrics = [(get_metric(db, requests[i].metric), names_of[i]) for i in group]
        rolled = _rollup_sql(db, metrics, grain=r.grain, scenario=r.scenario, by=r.by, filters=dict(r.filters) or None,
                             prefix=f"g{g}_", span=span(r))
        if rolled is None:
            continue
        sql, rolled_params = rolled
        which = " ".join(f"WHEN {j} THEN {i}" for j, i in enumerate(group))
        parts.append(f"SELECT CASE w {which} END AS q, {_MONTHS[r.grain]} AS step, CAST($g{g}_start AS DATE) AS lo, "
                     f"CAST($g{g}_end AS DATE) AS hi, p, segment, value, months, n FROM ({sql}) r WHERE p IS NOT NULL")
        params.update({**rolled_params, f"g{g}_start": r.start, f"g{g}_end": r.end})
        done.update(group)
    for i, r in enumerate(requests):
        if i in done:
            continue
        m = get_metric(db, r.metric)
        base, base_params = _metric_sql(db, m, grain=r.grain, scenario=r.scenario, by=r.by,
                                        filters=dict(r.filters) or None, span=span(r))
        base = re.sub(r"[$](a_|b_)", lambda found, i=i: f"$q{i}_{found.group(1)}", base)  # parameters of its own
        parts.append(f"SELECT {i} AS q, {_MONTHS[r.grain]} AS step, CAST($q{i}_start AS DATE) AS lo, "
                     f"CAST($q{i}_end AS DATE) AS hi, p, segment, value, months, n FROM ({base}) r WHERE p IS NOT NULL")
        params.update({f"q{i}_{k}": v for k, v in base_params.items()})
        params.update({f"q{i}_start": r.start, f"q{i}_end": r.end})
    # MoM and YoY by window functions over each request's segments: the value exactly one period (of
    # the request's grain) and one year before, so a missing period is missing, never the row before.
    # A window's frame is fixed, so one per grain in the batch, each row taking its grain's.
    window = "PARTITION BY q, segment ORDER BY p RANGE BETWEEN {0} PRECEDING AND {0} PRECEDING"
    steps = sorted({_MONTHS[r.grain] for r in requests})

    def before(column: str) -> str:
        previous = {step: f"first_value({column}) OVER ({window.format(_INTERVAL[_GRAIN_OF[step]])})" for step in steps}
        return (previous[steps[0]] if len(steps) == 1 else
                "CASE step " + " ".join(f"WHEN {step} THEN {expr}" for step, expr in previous.items()) + " END")

    def year_before(column: str) -> str:
        return f"first_value({column}) OVER ({window.format(_INTERVAL['year'])})"

    # ``n`` counts the stored values of a row (facts only): two periods holding as many are taken to
    # hold the same segments; where they differ, the change is worked out like for like below. A
    # period short of months (a quarter in progress) is said to be by ``complete`` instead.
    arrays = db.arrays(
        f"""WITH base AS ({" UNION ALL ".join(parts)}),
            framed AS (
                SELECT *, {before("value")} AS prev, {before("n")} AS prev_n, {before("months")} AS prev_months,
                       {year_before("value")} AS last_year, {year_before("n")} AS year_n,
                       {year_before("months")} AS year_months
                FROM base),
            unpacked AS (
                SELECT *, coalesce(prev_months, step) >= step AND coalesce(months, step) >= step AS whole_mom,
                       coalesce(year_months, step) >= step AND coalesce(months, step) >= step AS whole_yoy
                FROM framed)
            SELECT q, p AS period, segment, value, prev,
                   CASE WHEN prev IS NULL OR prev = 0 THEN NULL ELSE CAST(value - prev AS DOUBLE) / abs(prev) END AS mom,
                   last_year,
                   CASE WHEN last_year IS NULL OR last_year = 0 THEN NULL
                        ELSE CAST(value - last_year AS DOUBLE) / abs(last_year) END AS yoy,
                   months, months IS NULL OR months >= step AS complete,
                   prev IS NOT NULL AND whole_mom AND n IS DISTINCT FROM prev_n AS recheck_mom,
                   last_year IS NOT NULL AND whole_yoy AND n IS DISTINCT FROM year_n AS recheck_yoy
            FROM unpacked
            WHERE (lo IS NULL OR p >= lo) AND (hi IS NULL OR p <= hi)
            ORDER BY q, segment, p""", params)
    # The frame built here from numpy: dates as datetime.date, text as Python strings (pandas' Arrow
    # strings cost more than they save on frames this small), NULL as NaN (None for text).
    columns = {}
    for name, cells in arrays.items():
        if isinstance(cells, np.ma.MaskedArray):
            cells = (cells.astype(float).filled(np.nan) if cells.dtype.kind in "iuf"
                     else cells.astype(object).filled(None))
        columns[name] = cells
    columns["period"] = columns["period"].astype("datetime64[D]").astype(object)
    _like_for_like(db, requests, columns)
    frame = pd.DataFrame({name: pd.Series(cells, dtype=object) if cells.dtype == object else cells
                          for name, cells in columns.items()})
    # Column labels as Python strings too: with pandas 3's Arrow-backed label index, each frame["value"]
    # a view makes costs ~4 µs more (a few hundred of them a view).
    frame.columns = pd.Index(list(frame.columns), dtype=object)
    if len(requests) == 1:
        return [frame.drop(columns="q")]
    bounds = np.searchsorted(frame.pop("q").to_numpy(), np.arange(len(requests) + 1), side="left")
    return [frame.iloc[bounds[i]:bounds[i + 1]].reset_index(drop=True) for i in range(len(requests))]


_MONTHS = {"month": 1, "quarter": 3, "year": 12}
_GRAIN_OF = {months: grain for grain, months in _MONTHS.items()}


def _like_for_like(db: Database, requests: Sequence[SeriesRequest], columns: dict[str, np.ndarray]) -> None:
    """MoM and YoY like for like (retro.likeforlike), in place: where a row's period and the one it
    is compared with hold different segments or days, ``prev``/``last_year`` become the other
    period over the units both hold and ``mom``/``yoy`` the change over them; ``cover_mom`` and
    ``cover_yoy`` say what was compared (None where both periods hold the same)."""
    recheck = {"mom": np.asarray(columns.pop("recheck_mom"), dtype=bool),
               "yoy": np.asarray(columns.pop("recheck_yoy"), dtype=bool)}
    for name in ("prev", "mom", "last_year", "yoy"):  # counts come as integers: patched with fractions, NaN
        if columns[name].dtype.kind in "iu":
            columns[name] = columns[name].astype(float)
    size = len(columns["value"])
    covers = {"mom": np.full(size, None, dtype=object), "yoy": np.full(size, None, dtype=object)}
    columns["cover_mom"], columns["cover_yoy"] = covers["mom"], covers["yoy"]
    _transactions_to_date(db, requests, columns, covers)
    flagged = np.flatnonzero(recheck["mom"] | recheck["yoy"])
    if not len(flagged):
        return
    base_of, change_of = {"mom": "prev", "yoy": "last_year"}, {"mom": "mom", "yoy": "yoy"}
    # Every request's periods in one query: each period compared once, whatever its segments.
    pairs: dict[L4L.Pair, int] = {}
    wanted: list[tuple[int, str, int]] = []
    for i in flagged:
        r = requests[int(columns["q"][i])]
        if r.scenario != "actual" or get_metric(db, r.metric).source != "facts":
            continue
        step, period = _MONTHS[r.grain], columns["period"][i]
        for kind in ("mom", "yoy"):
            if recheck[kind][i]:
                pair = L4L.Pair(r.metric, period, add_months(period, -(step if kind == "mom" else 12)), step,
                                by=r.by, filters=r.filters)
                wanted.append((int(i), kind, pairs.setdefault(pair, len(pairs))))
    if not pairs:
        return
    found = L4L.compare(db, list(pairs))
    for i, kind, at in wanted:
        like = found[at].get(columns["segment"][i])
        if like is None or like.same_as_stored():
            continue
        columns[base_of[kind]][i] = np.nan if like.base is None else like.base
        value = L4L.change(like.value, like.base)
        columns[change_of[kind]][i] = np.nan if value is None else value
        covers[kind][i] = like.coverage


def _transactions_to_date(db: Database, requests: Sequence[SeriesRequest], columns: dict[str, np.ndarray],
                          covers: dict[str, np.ndarray]) -> None:
    """The period holding the last order date, when that is before the period's end, against the
    same days of the period before and of last year's (retro.likeforlike.transactions_cut)."""
    if L4L.last_order_day(db) is None:  # the orders end with a month: nothing in progress
        return
    for q, r in enumerate(requests):
        if r.scenario != "actual" or get_metric(db, r.metric).source != "transactions":
            continue
        rows = np.flatnonzero(columns["q"] == q)
        if not len(rows):
            continue
        step = _MONTHS[r.grain]
        last = columns["period"][rows].max()
        cut = L4L.transactions_cut(db, last, step)
        if cut is None:
            continue
        at = [int(i) for i in rows if columns["period"][i] == last]
        m = get_metric(db, r.metric)
        for kind, base_column, change_column in (("mom", "prev", "mom"), ("yoy", "last_year", "yoy")):
            start = add_months(last, -(step if kind == "mom" else 12))
            sql, params = _metric_sql(db, m, grain=r.grain, scenario="actual", by=r.by,
                                      filters=dict(r.filters) or None, span=L4L.cut_span(start, cut))
            before = dict(db.rows(f"SELECT segment, value FROM ({sql}) r WHERE p IS NOT NULL", params))
            for i in at:
                value = None if np.isnan(columns["value"][i]) else float(columns["value"][i])
                base = before.get(columns["segment"][i])
                base = None if base is None else float(base)
                columns[base_column][i] = np.nan if base is None else base
                change = L4L.change(value, base)
                columns[change_column][i] = np.nan if change is None else change
                covers[kind][i] = L4L.Coverage(None, None, 0, (), None, months=cut[0] + 1, months_total=step,
                                               through_day=cut[1], days=cut[2], value=value, base=base)


def add_months(date: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` after (or before) ``date``'s month."""
    total = date.year * 12 + date.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)


def period_start(label: str) -> dt.date:
    """'2026-10' → 2026-10-01; '2026-Q3' → 2026-07-01; '2026' → 2026-01-01."""
    if re.fullmatch(r"\d{4}-\d{2}", label):
        return dt.date(int(label[:4]), int(label[5:]), 1)
    if re.fullmatch(r"\d{4}-Q[1-4]", label):
        return dt.date(int(label[:4]), 3 * int(label[-1]) - 2, 1)
    if re.fullmatch(r"\d{4}", label):
        return dt.date(int(label), 1, 1)
    raise ValueError(f"not a period label: {label!r}")


def period_label(date: dt.date, grain: str) -> str:
    if grain == "year":
        return f"{date.year:04d}"
    if grain == "quarter":
        return f"{date.year:04d}-Q{(date.month - 1) // 3 + 1}"
    return f"{date.year:04d}-{date.month:02d}"


def labels_of(frame: pd.DataFrame, grain: str) -> list[str]:
    """Each row's period as its label ('2026-08', '2026-Q3'), each distinct date formatted once."""
    dates = frame["period"].tolist()
    names = {p: period_label(p, grain) for p in set(dates)}
    return [names[p] for p in dates]


def truncate(date: dt.date, grain: str) -> dt.date:
    if grain == "year":
        return dt.date(date.year, 1, 1)
    if grain == "quarter":
        return dt.date(date.year, 3 * ((date.month - 1) // 3) + 1, 1)
    return dt.date(date.year, date.month, 1)


@dataclass(frozen=True)
class Card:
    metric: str
    period: dt.date
    value: float | None
    prev: float | None
    mom: float | None
    last_year: float | None
    yoy: float | None
    ytd: float | None
    ytd_last_year: float | None
    spark: list[tuple[dt.date, float | None]]
    direction: str
    unit: str | None
    # Like for like (retro.likeforlike): what the MoM and YoY compared, None when both periods hold
    # the same; this year to date over the months and segments last year's has (ytd_last_year's).
    mom_cover: L4L.Coverage | None = None
    yoy_cover: L4L.Coverage | None = None
    ytd_compared: float | None = None

    @property
    def value_mom(self) -> float | None:
        """This period's value over what the period before holds too (the value, when alike)."""
        return self.mom_cover.value if self.mom_cover is not None else self.value

    @property
    def ytd_change(self) -> float | None:
        return L4L.change(self.ytd_compared, self.ytd_last_year)

    def tone(self, change: float | None) -> str:
        """'good', 'bad' or 'flat' for a change, by the metric's direction (a rising cost is bad)."""
        if change is None or abs(change) < 1e-12:
            return "flat"
        up_is_good = self.direction != "down"
        return "good" if (change > 0) == up_is_good else "bad"


def kpi_card(db: Database, metric: str, period: dt.date, *, grain: str = "month",
             filters: dict[str, list[str]] | None = None, spark_periods: int = 12) -> Card:
    """Value, MoM, YoY, year-to-date and a sparkline for one metric at one period."""
    period = truncate(period, grain)
    spark_from = add_months(period, -_MONTHS[grain] * spark_periods)
    frame = series(db, metric, grain=grain, filters=filters, start=min(spark_from, dt.date(period.year - 1, 1, 1)),
                   end=period)
    return card_from_series(get_metric(db, metric), frame, period, grain=grain, spark_periods=spark_periods)


def key_metrics(chosen: str, catalog: list[Metric], together: set[str] | None = None) -> list[str]:
    """The KPI cards beside a chosen metric: it, and the first metric of up to three other key
    categories — taken from ``together`` (the metrics that came in with it, :func:`metrics_together`)
    first, so a finance workbook's cards are not an order export's; others only to fill up."""
    out, used = [chosen], {next(m.category for m in catalog if m.name == chosen)}
    ranked = ([m for m in catalog if m.name in together] + [m for m in catalog if m.name not in together]
              if together else catalog)
    for category in ("revenue", "growth", "retention", "cost", "satisfaction", "efficiency"):
        first = next((m.name for m in ranked if m.category == category and m.name != chosen), None)
        if len(out) < 4 and category not in used and first:
            out.append(first)
            used.add(category)
    return out


def metrics_together(db: Database, name: str) -> set[str]:
    """The metrics stored by the imports that stored ``name`` (or a metric merged into it): what
    belongs together on a page beside it."""
    names = _member_names(db, name)
    rows = db.rows(
        """SELECT DISTINCT metric FROM fact_rows WHERE replaced_by IS NULL AND import_id IN
               (SELECT DISTINCT import_id FROM fact_rows WHERE replaced_by IS NULL AND metric = ANY(?))""",
        [names])
    return {r[0] for r in rows}


def card_from_series(m: Metric, frame: pd.DataFrame, period: dt.date, *, grain: str = "month",
                     spark_periods: int = 12) -> Card:
    """The card of ``period`` from a total series the caller already has (no query)."""
    period = truncate(period, grain)
    spark_from = add_months(period, -_MONTHS[grain] * spark_periods)
    # Plain lists: a card reads a few dozen rows, and pandas' per-call costs were most of its time.
    keep = [s == "" for s in frame["segment"].tolist()] if "segment" in frame else [True] * len(frame)
    periods = [p for p, k in zip(frame["period"].tolist(), keep, strict=True) if k]

    def cells(col: str) -> list[float | None]:
        return [None if v is None or v is pd.NA or v != v else float(v)
                for v, k in zip(frame[col].tolist(), keep, strict=True) if k]

    values = cells("value")
    at = periods.index(period) if period in periods else None

    def get(col: str) -> float | None:
        return None if at is None else (values if col == "value" else cells(col))[at]

    spark = [(p, v) for p, v in zip(periods, values, strict=True) if spark_from < p <= period]
    ytd = _ytd(periods, values, m, period)
    # Year to date against last year's like for like: the periods both years hold, each over the
    # segments both hold (the YoY of each period, summed or averaged).
    def objects(col: str) -> list[Any]:
        if col not in frame:
            return [None] * len(periods)
        return [c for c, k in zip(frame[col].tolist(), keep, strict=True) if k]

    covers, last_years = objects("cover_yoy"), cells("last_year")
    start = dt.date(period.year, 1, 1)
    now, then = [], []
    for i, p in enumerate(periods):
        if start <= p <= period and values[i] is not None and last_years[i] is not None:
            now.append(covers[i].value if covers[i] is not None else values[i])
            then.append(last_years[i])
    ytd_compared = _total(now, m) if now and None not in now else None
    ytd_ly = _total(then, m) if ytd_compared is not None else None
    return Card(m.name, period, get("value"), get("prev"), get("mom"), get("last_year"), get("yoy"),
                ytd, ytd_ly, spark, m.direction, m.unit,
                mom_cover=None if at is None else objects("cover_mom")[at],
                yoy_cover=None if at is None else covers[at], ytd_compared=ytd_compared)


def _total(values: list[float | None], m: Metric) -> float:
    return float(np.mean(values) if m.is_rate else np.sum(values))


def _ytd(periods: list[dt.date], values: list[float | None], m: Metric, period: dt.date) -> float | None:
    start = dt.date(period.year, 1, 1)
    ytd = [v for p, v in zip(periods, values, strict=True) if start <= p <= period and v is not None]
    if not ytd:
        return None
    return _total(ytd, m)


def breakdown(db: Database, metric: str, period: dt.date, by: str, *, grain: str = "month",
              filters: dict[str, list[str]] | None = None, compare: str = "mom") -> pd.DataFrame:
    """Per segment of ``by``: value, the comparison value, change, share of the total, and the
    segment's contribution to the total's change ("华东 −120万 explains 80% of the drop").

    Contribution is only additive for summed metrics; for rates it is left empty. Reads only the
    periods compared, not the whole history.
    """
    period = truncate(period, grain)
    segments = series(db, metric, grain=grain, by=by, filters=filters, start=period, end=period)
    return breakdown_from_series(get_metric(db, metric), segments, period, compare=compare)


def breakdown_from_series(m: Metric, segments: pd.DataFrame, period: dt.date, *, compare: str = "mom") -> pd.DataFrame:
    """:func:`breakdown` from a by-segment :func:`series` the caller already has (the page draws it
    anyway): each segment's row at ``period``, compared with the period before (``prev``) or a
    year before (``last_year``)."""
    base_column = "prev" if compare == "mom" else "last_year"
    values = segments["value"].to_numpy(dtype=float, na_value=np.nan)
    at = [i for i, p in enumerate(segments["period"].tolist()) if p == period and not np.isnan(values[i])]
    names = segments["segment"].tolist()
    # Largest first, ties by name: the same order on every run (the old join's followed DuckDB's threads).
    at.sort(key=lambda i: (-values[i], names[i]))
    value = values[at]
    base = segments[base_column].to_numpy(dtype=float, na_value=np.nan)[at]
    # Like for like: each segment's value over what the period compared with holds too.
    cover_column = "cover_mom" if compare == "mom" else "cover_yoy"
    if cover_column in segments:
        covers = segments[cover_column].tolist()
        compared = np.array([values[i] if covers[i] is None or covers[i].value is None else covers[i].value
                             for i in at], dtype=float)
    else:
        compared = value
    change = compared - base
    total = value.sum() if len(value) else np.nan
    known = change[~np.isnan(change)]
    total_change = known.sum() if len(known) else np.nan
    return pd.DataFrame({
        "segment": np.array([names[i] for i in at], dtype=object), "value": value, "base": base, "change": change,
        "share": value / total if not m.is_rate and total else None,
        "contribution": change / total_change if not m.is_rate and total_change and not np.isnan(total_change) else None,
    })


def movers(frame: pd.DataFrame, n: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``n`` segments that rose most and fell most, from a :func:`breakdown` frame."""
    up, down = mover_positions(frame["change"].to_numpy(dtype=float, na_value=np.nan), n)
    return frame.iloc[up].reset_index(drop=True), frame.iloc[down].reset_index(drop=True)


def mover_positions(change: np.ndarray, n: int = 3) -> tuple[list[int], list[int]]:
    """The positions of the ``n`` largest rises and of the ``n`` largest falls in ``change`` (NaN is
    neither), largest first. Stable sorts, as pandas' sort of the same column: equal changes keep
    their order."""
    up = sorted(np.flatnonzero(change > 0), key=lambda i: -change[i])[:n]
    down = sorted(np.flatnonzero(change < 0), key=lambda i: change[i])[:n]
    return [int(i) for i in up], [int(i) for i in down]


SEASONAL_YOY = 0.2


def _trailing_stats(values: np.ndarray, codes: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, sample standard deviation and count of the non-missing values among the ``window`` rows
    before each row of the same segment (rows sorted by segment, then period; ``codes`` numbers the
    segments). One array operation for every segment at once: the anomaly check runs on every new
    view, and pandas' grouped rolling windows were most of its time."""
    rows = np.arange(len(values))
    before = rows[:, None] + np.arange(-window, 0)[None, :]
    inside = before >= 0
    before = np.where(inside, before, 0)
    same = inside & (codes[before] == codes[:, None])
    past = np.where(same, values[before], np.nan)
    n = np.sum(~np.isnan(past), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.nansum(past, axis=1)
        mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
        squares = np.nansum((past - mean[:, None]) ** 2, axis=1)
        sd = np.where(n > 1, np.sqrt(squares / np.maximum(n - 1, 1)), np.nan)
    return mean, sd, n


def anomalies(frame: pd.DataFrame, *, window: int = 12, z: float = 3.0, min_history: int = 6,
              mom_threshold: float | None = None) -> pd.DataFrame:
    """Points that break from their own recent trend, with 'expected', 'zscore' and 'reason' columns.

    Where a year of history exists the test runs on YoY growth, so a December peak that every
    December has is not an anomaly but a competitor's August is ('yoy'). Otherwise a value beyond
    ``z`` standard deviations of the previous ``window`` periods is ('zscore'), unless it is within
    ±20% of the same period last year (seasonal). With
    ``mom_threshold`` (e.g. 0.3), a MoM change beyond ±30% is flagged too ('mom').
    """
    if frame.empty:
        return pd.DataFrame(columns=[*frame.columns, "expected", "zscore", "reason"])
    rows, expected, zscore, reason = _flagged(frame, window, z, min_history, mom_threshold)
    out = frame.iloc[rows].reset_index(drop=True)
    out["expected"] = np.array(expected, dtype=float)
    out["zscore"] = zscore
    out["reason"] = np.array(reason, dtype=object)
    return out


def anomaly_rows(frame: pd.DataFrame, *, window: int = 12, z: float = 3.0, min_history: int = 6,
                 mom_threshold: float | None = None) -> list[dict]:
    """:func:`anomalies` as rows (a dict of each flagged row's cells, 'expected', 'zscore' and
    'reason'), for a caller that reads a few cells of a few rows: the trends page, on every new view,
    where building the frame cost more than finding the points."""
    if frame.empty:
        return []
    rows, expected, zscore, reason = _flagged(frame, window, z, min_history, mom_threshold)
    return [{**row, "expected": e, "zscore": zs, "reason": why}
            for row, e, zs, why in zip(records(frame, rows), expected, zscore, reason, strict=True)]


def records(frame: pd.DataFrame, positions: Sequence[int] | None = None) -> list[dict]:
    """A frame's rows (those at ``positions``, when given) as dicts of their cells as they are: a column
    read once each, where ``to_dict("records")`` boxes every cell (0.8 ms for 34 anomalies)."""
    columns = {name: frame[name].tolist() for name in frame.columns}
    at = range(len(frame)) if positions is None else positions
    return [{name: cells[i] for name, cells in columns.items()} for i in at]


def _flagged(frame: pd.DataFrame, window: int, z: float, min_history: int,
             mom_threshold: float | None) -> tuple[list[int], list[float], list[float | None], list[str]]:
    """The anomalies of a non-empty series frame (see :func:`anomalies`): their row positions, by period
    then segment, with each one's expected value, z-score (None when there is none) and reason."""
    # Sorted by segment then period, in Python: a pandas sort of a few hundred rows cost more than the test.
    segments, periods = frame["segment"].tolist(), frame["period"].tolist()
    order = np.array(sorted(range(len(frame)), key=lambda i: (segments[i], periods[i])))
    code_of: dict[str, int] = {}
    codes = np.array([code_of.setdefault(segments[i], len(code_of)) for i in order])

    def column(name: str) -> np.ndarray:
        if name not in frame:
            return np.full(len(frame), np.nan)
        return frame[name].to_numpy(dtype=float, na_value=np.nan)[order]

    value, yoy, last_year, mom = column("value"), column("yoy"), column("last_year"), column("mom")
    v_mean, v_sd, v_n = _trailing_stats(value, codes, window)
    g_mean, g_sd, g_n = _trailing_stats(yoy, codes, window) if "yoy" in frame else (yoy, yoy, np.zeros(len(frame)))
    with np.errstate(invalid="ignore", divide="ignore"):
        by_growth = (g_n >= min_history) & ~np.isnan(yoy)
        z_growth = (yoy - g_mean) / np.where(g_sd > 0, g_sd, np.nan)
        z_value = (value - v_mean) / np.where(v_sd > 0, v_sd, np.nan)
        zscore = np.where(by_growth, z_growth, np.where(v_n >= min_history, z_value, np.nan))
        expected = np.where(by_growth, last_year * (1 + g_mean), np.where(v_n >= min_history, v_mean, np.nan))
        beyond = np.abs(zscore) > z
        # Far from the last months but close to the same month last year: seasonal, not an anomaly.
        seasonal = ~np.isnan(yoy) & (np.abs(yoy) < SEASONAL_YOY)
        reason = np.full(len(frame), None, dtype=object)
        reason[by_growth & beyond] = "yoy"
        reason[~by_growth & (v_n >= min_history) & beyond & ~seasonal] = "zscore"
        if mom_threshold is not None and "mom" in frame:
            reason[(reason == None) & (np.abs(mom) > mom_threshold)] = "mom"  # noqa: E711 - elementwise
    flagged = sorted(np.flatnonzero((reason != None) & ~np.isnan(value)),  # noqa: E711 - elementwise
                     key=lambda k: (periods[order[k]], segments[order[k]]))
    return ([int(order[k]) for k in flagged], [float(expected[k]) for k in flagged],
            [None if np.isnan(zscore[k]) else float(zscore[k]) for k in flagged], [reason[k] for k in flagged])


# ---------------------------------------------------------------- annotations


def add_annotation(db: Database, metric: str, period: dt.date, text: str, author: str | None = None) -> int:
    text = (text or "").strip()
    if not text:
        raise ValueError("empty note")
    if len(text) > 500:
        raise ValueError("note longer than 500 characters")
    with db.transaction() as cur:
        new_id = cur.execute(
            "INSERT INTO annotations (metric, period, text, author) VALUES (?, ?, ?, ?) RETURNING id",
            [metric, period, text, author],
        ).fetchone()[0]
        bump_version(cur)
    return int(new_id)


def delete_annotation(db: Database, annotation_id: int) -> None:
    with db.transaction() as cur:
        cur.execute("DELETE FROM annotations WHERE id = ?", [annotation_id])
        bump_version(cur)


def annotations(db: Database, metric: str) -> pd.DataFrame:
    """Notes on a metric (and on the metrics merged into it), oldest period first: written by hand
    (import_id NULL) or read from an import's note column (source: its header), not replaced since."""
    frame = db.frame(
        "SELECT id, metric, period, text, author, created_at, import_id, source FROM annotations "
        "WHERE metric = ANY(?) AND replaced_by IS NULL ORDER BY period, id",
        [_member_names(db, metric)],
    )
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    return frame


# ---------------------------------------------------------------- retention cohorts


def cohorts(db: Database, *, months: int = 12, filters: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """Monthly cohort retention from transactions: cohort (first month), age (months since), customers
    active at that age, cohort size, and the retention rate (active / size).

    What it measures: of the customers who bought for the first time in a month, the share who
    bought again N months later — repeat buying, counted from the order rows. It is not a retention
    KPI a workbook reports (a 留存率 column is the source's own figure, by its own definition).
    A cohort is the month's new customers as 新客户数 counts them: the first purchase in all the
    data, not in the filtered slice. Under a filter, a cohort holds the month's new customers who
    bought in the slice that month, and they are active at an age when they bought in the slice
    then. (Before, the first purchase was looked for in the slice only: a customer who moved from
    one product line to another was counted as a new customer of the second, and the cohorts'
    sizes disagreed with 新客户数 under the same filter.)"""
    where, params = _filters_sql(filters, "t.dims", "c_")
    sql = f"""
        WITH everyone AS (SELECT customer_id, CAST(date_trunc('month', min(txn_date)) AS TIMESTAMP) AS cohort
                          FROM current_transactions
                          WHERE customer_id IS NOT NULL GROUP BY customer_id),
        tx AS (SELECT DISTINCT t.customer_id, CAST(date_trunc('month', t.txn_date) AS TIMESTAMP) AS m
               FROM current_transactions t
               WHERE t.customer_id IS NOT NULL {where}),
        first AS (SELECT e.customer_id, e.cohort FROM everyone e JOIN tx ON tx.customer_id = e.customer_id
                  AND tx.m = e.cohort),
        active AS (SELECT f.cohort, tx.customer_id,  -- months apart, as datediff('month') counts them
                          CAST((EXTRACT(YEAR FROM tx.m) - EXTRACT(YEAR FROM f.cohort)) * 12
                               + EXTRACT(MONTH FROM tx.m) - EXTRACT(MONTH FROM f.cohort) AS BIGINT) AS age
                   FROM tx JOIN first f USING (customer_id)),
        sizes AS (SELECT cohort, count(*) AS size FROM first GROUP BY cohort)
        SELECT a.cohort, a.age, count(*) AS active, s.size, CAST(count(*) AS DOUBLE) / s.size AS retention
        FROM active a JOIN sizes s USING (cohort)
        WHERE a.age <= $c_months
        GROUP BY a.cohort, a.age, s.size ORDER BY a.cohort, a.age"""
    frame = db.frame(sql, {**params, "c_months": months})
    frame["cohort"] = pd.to_datetime(frame["cohort"]).dt.date
    return frame
