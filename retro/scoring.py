"""Goals: targets, attainment, deviation, status, the weighted KPI scorecard and pacing.

Targets
    Imported plans (facts with scenario 'plan', read through :func:`retro.metrics.series`) are
    targets automatically. A user target (table ``targets``, source 'user') replaces the plan for
    exactly its metric, period and segment; a quarterly or yearly one is paced into its months,
    evenly or by last year's seasonality, and then also replaces the imported plan of those months
    (the quarter view and the month views agree). Months (or quarters) that carry their own target
    keep it; the rest of the period's target is spread over the others. A total and a segment
    (华东) are separate keys: changing 华东's target does not change the total's.
    A target can be given as "+20% vs the same period last year"; it is resolved to a number when
    saved and the basis is kept. Every change is logged in ``target_log`` (nothing typed is lost;
    a deleted target can be restored).

Scoring (DOMAIN.md part 2, template table 3)
    attainment  = actual / plan (higher is better) or plan / actual (lower is better)
    deviation   = (actual − plan) / |plan|
    status      = green ≥ 100%, amber ≥ 90%, red below (thresholds per metric)
    KPI score   = attainment clamped to [0, cap] (cap 120% by default)
    overall     = Σ weight · score / Σ weight over the KPIs that have a score
    overall status = green ≥ 100%, amber ≥ 90%, red below — but never green while any KPI is red
                  (then amber at best), and the number of red KPIs is said beside the score
                  (:func:`overall_status`, ``Scorecard.red``)
    The cap limits how far one KPI beyond plan lifts the overall; it does not stop it: a red KPI at
    85.8% and one at 119.6% average 102.7%, so adding both to KPIs averaging less raises the overall
    (issue 17 saw 96.3% become 98.8%). A number that averages cannot keep a failed KPI visible; the
    status and the red count beside it do.
    A plan of 0 or below has no meaningful ratio: attainment is left empty with the reason, the
    status says whether the plan was met, and the KPI stays out of the overall score. A rate is
    scored on the rate (its metric is averaged, never summed). Actuals without a plan are
    "no target", never 0%.

Like for like (:mod:`retro.likeforlike` decides what is compared)
    Plan and actual are compared on the same segments and days. A period where some segments have
    a plan but no actual (an error cell, a blank, a late region) is scored on the segments that
    reported: their actual against their plan (336 of 360, never 336 of 480), with "3 of 4 regions
    reported" beside it (``KpiRow.coverage``); a user target for the whole is reduced by the share
    of the imported plan the missing segments held. Segments with an actual and no plan are left
    out of both. Never a false red: with the KPI's setting ``incomplete = 'skip'`` ("do not score
    incomplete periods", kept per metric in ``settings`` under ``kpi_incomplete``) such a period,
    and one still in progress, is not scored at all (status ``incomplete``, out of the overall).

Pacing
    For a quarter or a year whose actuals do not cover every month yet, the scorecard compares
    actual-to-date with plan-to-date (the months that have actuals), and forecasts the full period
    straight-line or by last year's seasonality: on track when the forecast meets the plan. A month
    whose actuals are stored by day and stop before its end is in progress the same way: the plan
    to date is the month's plan paced evenly over its days (15 of 30 days: half), the forecast
    straight-line over the days.

No Streamlit here: the goals page and ``python -m retro score`` both call these functions. Every
write is one transaction with :func:`retro.db.bump_version`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from . import likeforlike as L4L
from . import metrics as M
from .db import Database, bump_version
from .export import neutralise
from .glossary import stored_unit_label
from .i18n import t

GREEN, AMBER, CAP, WEIGHT = 1.0, 0.9, 1.2, 1.0
STATUSES = ("red", "amber", "green", "incomplete", "no_actual", "no_target")  # the scorecard's order: red first
STATUS_RANK = {s: i for i, s in enumerate(STATUSES)}
PACINGS = ("even", "seasonal")
FORECASTS = ("straight", "seasonal")
SOURCES = ("user", "import")
REASONS = ("no_target", "no_actual", "zero_plan", "negative_plan", "zero_actual", "negative_actual", "incomplete")
INCOMPLETE = ("match", "skip")  # an incomplete period: scored on what is comparable, or not scored
EPS = 1e-9
MAX_TEXT = 80
_MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}


class TargetError(ValueError):
    """Targets refused; nothing was stored. ``errors`` holds (row index, code, params) per problem."""

    def __init__(self, errors: list[tuple[int, str, dict[str, Any]]]) -> None:
        super().__init__("; ".join(f"row {i}: {code} {params}" for i, code, params in errors))
        self.errors = errors


# ====================================================================== pure scoring


def _num(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


@dataclass(frozen=True)
class Attainment:
    """Attainment of one KPI: ``value`` is None when the ratio means nothing, ``reason`` says why.

    ``met``: did the actual reach the plan in the metric's direction (None without both numbers).
    """

    value: float | None
    deviation: float | None
    met: bool | None
    reason: str | None
    direction: str = "up"


def deviation(actual: float | None, plan: float | None) -> float | None:
    """(actual − plan) / |plan|; None without a plan, an actual, or with a plan of 0."""
    a, p = _num(actual), _num(plan)
    if a is None or p is None or p == 0:
        return None
    return (a - p) / abs(p)


def attainment(actual: float | None, plan: float | None, direction: str = "up") -> Attainment:
    """actual / plan when higher is better, plan / actual when lower is better (cost, churn).

    Reasons when there is no ratio: ``no_target``, ``no_actual``, ``zero_plan`` (any actual would
    be an infinite or zero %), ``negative_plan`` (a planned loss: the ratio's sign flips its
    meaning; the deviation is still given), and for lower-is-better ``zero_actual`` /
    ``negative_actual`` (better than any positive plan).
    """
    a, p = _num(actual), _num(plan)
    up = direction != "down"
    if p is None:
        return Attainment(None, None, None, "no_target", direction)
    if a is None:
        return Attainment(None, None, None, "no_actual", direction)
    met = a >= p if up else a <= p
    dev = deviation(a, p)
    if p == 0:
        return Attainment(None, None, met, "zero_plan", direction)
    if p < 0:
        return Attainment(None, dev, met, "negative_plan", direction)
    if up:
        return Attainment(a / p, dev, met, None, direction)
    if a == 0:
        return Attainment(None, dev, True, "zero_actual", direction)
    if a < 0:
        return Attainment(None, dev, True, "negative_actual", direction)
    return Attainment(p / a, dev, met, None, direction)


def status(att: Attainment, green: float = GREEN, amber: float = AMBER) -> str:
    """'green' | 'amber' | 'red' | 'no_target' | 'no_actual' | 'incomplete' (not scored, by the setting)."""
    if att.reason in ("no_target", "no_actual", "incomplete"):
        return att.reason
    if att.value is not None:
        if att.value >= green - EPS:
            return "green"
        return "amber" if att.value >= amber - EPS else "red"
    if att.reason == "negative_plan" and att.deviation is not None:
        # No ratio, but the deviation on |plan| reads the same way: 10% short of plan is amber.
        progress = att.deviation if att.direction != "down" else -att.deviation
        if progress >= green - 1 - EPS:
            return "green"
        return "amber" if progress >= amber - 1 - EPS else "red"
    return "green" if att.met else "red"


def kpi_score(att: Attainment, cap: float = CAP) -> float | None:
    """The KPI's contribution to the overall score: attainment clamped to [0, cap].

    A lower-is-better KPI at 0 (no complaints at all) beats any positive plan: the cap. KPIs
    without a ratio otherwise (no target, zero or negative plan) have no score."""
    if att.value is not None:
        return min(max(att.value, 0.0), cap)
    if att.reason in ("zero_actual", "negative_actual"):
        return cap
    return None


def overall_status(overall: float | None, statuses: Iterable[str]) -> str | None:
    """The overall score's status: its band (green ≥ 100%, amber ≥ 90%, red below), never green while
    any KPI of ``statuses`` is red — an over-achieved KPI lifts the average, it hides no failed one.
    None without a score."""
    if overall is None:
        return None
    band = "green" if overall >= GREEN - EPS else "amber" if overall >= AMBER - EPS else "red"
    return "amber" if band == "green" and "red" in set(statuses) else band


def overall_score(items: Iterable[tuple[float | None, float | None]]) -> float | None:
    """Σ weight · score / Σ weight over (score, weight) pairs that have a score and a weight > 0.

    Weights may sum to anything: they are normalised. None when nothing can be scored."""
    pairs = [(s, float(w)) for s, w in items if s is not None and w is not None and w > 0]
    total = sum(w for _, w in pairs)
    if not pairs or total <= 0:
        return None
    return sum(s * w for s, w in pairs) / total


# ====================================================================== pacing


def pace(total: float, n: int, weights: Sequence[float | None] | None = None) -> tuple[list[float], bool]:
    """Split ``total`` over ``n`` parts by ``weights`` (last year's months), else evenly.

    Returns the parts and whether the weights were used (missing, zero or negative weights fall
    back to even pacing)."""
    usable = weights is not None and len(weights) == n and all(_num(w) is not None and w > 0 for w in weights)
    if not usable:
        return [total / n] * n, False
    s = sum(float(w) for w in weights)  # type: ignore[union-attr]
    return [total * float(w) / s for w in weights], True  # type: ignore[union-attr]


Node = tuple[str, int]  # ("year", 0) | ("quarter", 1..4) | ("month", 1..12)
YEAR: Node = ("year", 0)


def _children(node: Node) -> list[Node]:
    kind, i = node
    if kind == "year":
        return [("quarter", q) for q in range(1, 5)]
    if kind == "quarter":
        return [("month", 3 * (i - 1) + k) for k in range(1, 4)]
    return []


def _node_months(node: Node) -> list[int]:
    kind, i = node
    if kind == "year":
        return list(range(1, 13))
    if kind == "quarter":
        return [3 * (i - 1) + k for k in range(1, 4)]
    return [i]


def node_of(period: dt.date, grain: str) -> Node:
    if grain == "year":
        return YEAR
    if grain == "quarter":
        return ("quarter", (period.month - 1) // 3 + 1)
    return ("month", period.month)


@dataclass(frozen=True)
class Explicit:
    """A target stated for one node: its value, where it comes from, how to pace it."""

    value: float
    source: str  # 'user' | 'import'
    pacing: str = "even"


@dataclass(frozen=True)
class Resolved:
    value: float | None
    source: str | None  # 'user' | 'import' | 'paced' (share of a coarser target) | 'sum' (of finer ones)


def resolve_year(explicit: dict[Node, Explicit], *, is_rate: bool = False,
                 weights: dict[int, float] | None = None) -> tuple[dict[Node, Resolved], list[tuple[str, Node]]]:
    """Every month, quarter and the year's target from the targets stated at any of them.

    A stated target wins for its node. A node without one takes its share of its parent's target
    (what is left after the children that are determined on their own, paced evenly or by
    ``weights``, last year's actual per month), else the sum of its children when all of them
    have one. A rate is not split: its months inherit the quarter's rate and a quarter's rate is
    the mean of its months'. Notes: ('seasonal_fallback', node) when seasonal pacing had no full
    last year, ('over_allocated', node) when the children's own targets exceed the parent's,
    ('mismatch', node) when every child has its own target and they do not add up to the parent's.
    """
    memo: dict[Node, float | None] = {}
    notes: list[tuple[str, Node]] = []
    out: dict[Node, Resolved] = {}

    def bottom_up(node: Node) -> float | None:
        if node not in memo:
            if node in explicit:
                memo[node] = explicit[node].value
            else:
                kids = [bottom_up(k) for k in _children(node)]
                if not kids or any(v is None for v in kids):
                    memo[node] = None
                else:
                    memo[node] = sum(kids) / len(kids) if is_rate else sum(kids)  # type: ignore[arg-type]
        return memo[node]

    def walk(node: Node, given: float | None, pacing: str) -> None:
        if node in explicit:
            value, source, pacing = explicit[node].value, explicit[node].source, explicit[node].pacing
        elif given is not None:
            value, source = given, "paced"
        else:
            value = bottom_up(node)
            source = "sum" if value is not None else None
        out[node] = Resolved(value, source)
        kids = _children(node)
        if not kids:
            return
        if value is None or source == "sum":
            for k in kids:
                walk(k, None, pacing)
            return
        fixed = {k: bottom_up(k) for k in kids}
        free = [k for k in kids if fixed[k] is None]
        if is_rate:
            for k in kids:
                walk(k, value if fixed[k] is None else None, pacing)
            return
        if not free:
            if abs(sum(v for v in fixed.values() if v is not None) - value) > 1e-6 * max(1.0, abs(value)):
                notes.append(("mismatch", node))
            for k in kids:
                walk(k, None, pacing)
            return
        remainder = value - sum(v for v in fixed.values() if v is not None)
        if value >= 0 > remainder:
            notes.append(("over_allocated", node))
            remainder = 0.0
        parts_weights = None
        if pacing == "seasonal":
            month_w = [None if weights is None else _num(weights.get(m)) for m in _node_months(node)]
            if all(w is not None and w > 0 for w in month_w):
                parts_weights = [sum(weights[m] for m in _node_months(k)) for k in free]  # type: ignore[index]
            else:
                notes.append(("seasonal_fallback", node))
        if parts_weights is None:
            parts_weights = [len(_node_months(k)) for k in free]
        shares, _ = pace(remainder, len(free), parts_weights)
        share_of = dict(zip(free, shares, strict=True))
        for k in kids:
            walk(k, share_of.get(k), pacing)

    walk(YEAR, None, "even")
    return out, notes


# ====================================================================== settings


@dataclass(frozen=True)
class KpiSettings:
    metric: str
    weight: float = WEIGHT
    green: float = GREEN
    amber: float = AMBER
    cap: float = CAP
    incomplete: str = "match"  # 'skip': a period with segments missing, or in progress, is not scored


_INCOMPLETE_KEY = "kpi_incomplete"  # settings: JSON {metric: 'skip'} (the default 'match' is not stored)


def _incomplete_choices(db: Database) -> dict[str, str]:
    raw = db.get_setting(_INCOMPLETE_KEY)
    try:
        stored = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return {str(k): v for k, v in stored.items() if v in INCOMPLETE} if isinstance(stored, dict) else {}


def kpi_settings(db: Database) -> dict[str, KpiSettings]:
    """The stored settings by metric; a metric not listed uses the defaults."""
    choices = _incomplete_choices(db)
    out = {r[0]: KpiSettings(*r, incomplete=choices.get(r[0], "match"))
           for r in db.rows("SELECT metric, weight, green, amber, cap FROM kpi_settings")}
    for metric, choice in choices.items():
        out.setdefault(metric, KpiSettings(metric, incomplete=choice))
    return out


def settings_for(stored: dict[str, KpiSettings], metric: str) -> KpiSettings:
    return stored.get(metric) or KpiSettings(metric)


def check_settings(s: KpiSettings) -> str | None:
    """The error code for settings that cannot be used, else None."""
    values = [_num(x) for x in (s.weight, s.green, s.amber, s.cap)]
    if any(v is None for v in values):
        return "settings_not_number"
    weight, green, amber, cap = values
    if weight < 0:  # type: ignore[operator]
        return "weight_negative"
    if not 0 <= amber <= green:  # type: ignore[operator]
        return "amber_above_green"
    if cap < green or cap < 1:  # type: ignore[operator]
        return "cap_too_low"
    if s.incomplete not in INCOMPLETE:
        return "bad_incomplete"
    return None


def save_settings(db: Database, items: Sequence[KpiSettings], actor: str | None = None) -> int:
    """Store weights, thresholds and caps in one transaction; all refused if any is invalid."""
    errors = [(i, code, {"metric": s.metric}) for i, s in enumerate(items) if (code := check_settings(s))]
    if errors:
        raise TargetError(errors)
    known = {m.name for m in M.catalog(db, include_hidden=True, include_merged=True)}
    unknown = [(i, "unknown_metric", {"metric": s.metric}) for i, s in enumerate(items) if s.metric not in known]
    if unknown:
        raise TargetError(unknown)
    if not items:
        return 0
    choices = _incomplete_choices(db)
    for s in items:
        if s.incomplete == "match":
            choices.pop(s.metric, None)
        else:
            choices[s.metric] = s.incomplete
    with db.transaction() as cur:
        cur.execute("INSERT INTO settings VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [_INCOMPLETE_KEY, json.dumps(choices, ensure_ascii=False, sort_keys=True)])
        for s in items:
            cur.execute(
                """INSERT INTO kpi_settings (metric, weight, green, amber, cap, actor, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, current_timestamp)
                   ON CONFLICT (metric) DO UPDATE SET weight = excluded.weight, green = excluded.green,
                       amber = excluded.amber, cap = excluded.cap, actor = excluded.actor,
                       updated_at = excluded.updated_at""",
                [s.metric, float(s.weight), float(s.green), float(s.amber), float(s.cap), actor],
            )
        bump_version(cur)
    return len(items)


# ====================================================================== periods and keys


def grain_of(label: str) -> str:
    """'2026-10' → month, '2026-Q3' → quarter, '2026' → year; ValueError otherwise."""
    label = str(label).strip()
    if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", label):
        return "month"
    if re.fullmatch(r"\d{4}-Q[1-4]", label):
        return "quarter"
    if re.fullmatch(r"\d{4}", label):
        return "year"
    raise ValueError(f"not a period label: {label!r}")


def parse_period(label: str) -> tuple[dt.date, str]:
    grain = grain_of(label)
    return M.period_start(str(label).strip()), grain


def add_months(date: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` after ``date``'s month."""
    total = date.year * 12 + date.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)


def period_end(start: dt.date, grain: str) -> dt.date:
    """The last day of the period."""
    nxt = add_months(start, _MONTHS_IN[grain])
    return nxt - dt.timedelta(days=1)


def next_period(label: str) -> str:
    start, grain = parse_period(label)
    return M.period_label(add_months(start, _MONTHS_IN[grain]), grain)


def dims_key(dims: dict[str, str] | None) -> str:
    return "|".join(f"{k}={v}" for k, v in sorted((dims or {}).items()))


# ====================================================================== reading data


SeriesKey = tuple[str, str, str, str | None, dt.date, dt.date]  # metric, grain, scenario, by, start, end
SeriesMap = dict[str, dict[dt.date, pd.Series]]


def _map_of(frame: pd.DataFrame, by: str | None) -> SeriesMap:
    out: SeriesMap = {}
    for _, r in frame.iterrows():
        if _num(r["value"]) is None or (by and r["segment"] == "—"):
            continue
        out.setdefault(r["segment"], {})[r["period"]] = r
    return out


def _series_map(db: Database, metric: str, grain: str, scenario: str, by: str | None,
                start: dt.date, end: dt.date, reads: dict[SeriesKey, SeriesMap] | None = None) -> SeriesMap:
    """segment → period → the series row, for periods from ``start`` to ``end`` (both at ``grain``);
    from ``reads`` when the scorecard read it there already."""
    key = (metric, grain, scenario, by, start, end)
    if reads is not None and key in reads:
        return reads[key]
    return _map_of(M.series(db, metric, grain=grain, scenario=scenario, by=by, start=start, end=end), by)


def _series_maps(db: Database, keys: Sequence[SeriesKey]) -> dict[SeriesKey, SeriesMap]:
    """:func:`_series_map` of each key, read in one batch (``M.series_many``): a scorecard needs two
    to five series per KPI, and each query costs more in its fixed parts than in its work."""
    keys = list(dict.fromkeys(keys))
    frames = M.series_many(db, [M.SeriesRequest(k[0], k[1], k[2], k[3], (), k[4], k[5]) for k in keys])
    return {k: _map_of(f, k[3]) for k, f in zip(keys, frames, strict=True)}


def _plan_keys(metric: str, year: int, by: str | None) -> list[SeriesKey]:
    """The imported plan's series :func:`_resolve_plans` reads: the year's months, quarters and year."""
    jan = dt.date(year, 1, 1)
    return [(metric, "month", "plan", by, jan, dt.date(year, 12, 1)),
            (metric, "quarter", "plan", by, jan, dt.date(year, 10, 1)),
            (metric, "year", "plan", by, jan, jan)]


def _plan_metrics(db: Database) -> set[str]:
    """Catalog names that have imported plan facts (a merged-away name counts for its target)."""
    merged = {m.name: m.merged_into for m in M.catalog(db, include_hidden=True, include_merged=True) if m.merged_into}
    names = {r[0] for r in db.rows("SELECT DISTINCT metric FROM fact_rows WHERE replaced_by IS NULL AND scenario = 'plan'")}
    return {merged.get(n, n) for n in names}


def _user_rows(db: Database, metric: str, year: int | None = None) -> list[dict[str, Any]]:
    sql = """SELECT id, metric, grain, period, dims_key, map_keys(dims), map_values(dims), value, source, basis,
                    basis_pct, basis_value, pacing, deadline, owner, note, actor, created_at, updated_at
             FROM targets WHERE metric = ?"""
    params: list[Any] = [metric]
    if year is not None:
        sql += " AND EXTRACT(YEAR FROM period) = ?"
        params.append(year)
    return [_row_dict(r) for r in db.rows(sql + " ORDER BY period, grain, dims_key", params)]


_COLUMNS = ("id", "metric", "grain", "period", "dims_key", "dims", "value", "source", "basis", "basis_pct",
            "basis_value", "pacing", "deadline", "owner", "note", "actor", "created_at", "updated_at")


def _row_dict(r: tuple) -> dict[str, Any]:
    values = list(r)
    dims = dict(zip(values[5], values[6], strict=True))
    return dict(zip(_COLUMNS, [*values[:5], dims, *values[7:]], strict=True))


def _segment_of(dims: dict[str, str], by: str | None) -> str | None:
    """The segment a target's dims name in a view by ``by`` ('' for the total), None if another view's."""
    if not dims:
        return "" if by is None else None
    if by is not None and set(dims) == {by}:
        return dims[by]
    return None


@dataclass
class _Plans:
    """A metric's resolved targets for one year, per segment of one view."""

    resolved: dict[str, dict[Node, Resolved]] = field(default_factory=dict)
    notes: dict[str, list[tuple[str, Node]]] = field(default_factory=dict)
    meta: dict[tuple[str, Node], dict[str, Any]] = field(default_factory=dict)  # user/import rows: owner …


def _resolve_plans(db: Database, m: M.Metric, year: int, by: str | None, has_import: bool,
                   reads: dict[SeriesKey, SeriesMap] | None = None) -> _Plans:
    stated: dict[str, dict[Node, Explicit]] = {}
    if has_import:
        months, quarters, years = (_series_map(db, *key, reads=reads) for key in _plan_keys(m.name, year, by))
        for seg in set(months) | set(quarters) | set(years):
            nodes: dict[Node, Explicit] = {}
            for period, r in months.get(seg, {}).items():
                nodes[("month", period.month)] = Explicit(float(r["value"]), "import")
            have_months = {n[1] for n in nodes}
            for period, r in quarters.get(seg, {}).items():
                q = ("quarter", (period.month - 1) // 3 + 1)
                if not set(_node_months(q)) & have_months:  # a plan stated per quarter, not a sum of months
                    nodes[q] = Explicit(float(r["value"]), "import")
            if not nodes and seg in years:
                nodes[YEAR] = Explicit(float(next(iter(years[seg].values()))["value"]), "import")
            stated[seg] = nodes
    plans = _Plans()
    users: dict[str, dict[Node, dict[str, Any]]] = {}
    for row in _user_rows(db, m.name, year):
        seg = _segment_of(row["dims"], by)
        if seg is None:
            continue
        node = node_of(row["period"], row["grain"])
        plans.meta[(seg, node)] = row
        if row["source"] == "user" and _num(row["value"]) is not None:
            users.setdefault(seg, {})[node] = row
    for seg, nodes in users.items():
        mine = stated.setdefault(seg, {})
        # A user's quarter or year replaces the imported plan inside it (months and quarters).
        for node in nodes:
            if node[0] != "month":
                inside = set(_node_months(node))
                for n in [n for n, e in mine.items() if e.source == "import" and n != node and set(_node_months(n)) <= inside]:
                    del mine[n]
        for node, row in nodes.items():
            mine[node] = Explicit(float(row["value"]), "user", row["pacing"] or "even")
    for seg, nodes in stated.items():
        weights = None
        if any(e.pacing == "seasonal" for e in nodes.values()):
            weights = _last_year_weights(db, m, year, by, seg)
        plans.resolved[seg], plans.notes[seg] = resolve_year(nodes, is_rate=m.is_rate, weights=weights)
    return plans


def _last_year_weights(db: Database, m: M.Metric, year: int, by: str | None, seg: str) -> dict[int, float]:
    rows = _series_map(db, m.name, "month", "actual", by, dt.date(year - 1, 1, 1), dt.date(year - 1, 12, 1)).get(seg, {})
    return {p.month: float(r["value"]) for p, r in rows.items()}


# ====================================================================== the scorecard


@dataclass(frozen=True)
class KpiRow:
    metric: str
    segment: str  # '' for the total
    dimension: str | None
    period: dt.date
    grain: str
    direction: str
    unit: str | None
    is_rate: bool
    plan: float | None  # the plan compared: to date while the period is in progress
    actual: float | None
    attainment: float | None
    deviation: float | None
    status: str
    reason: str | None
    met: bool | None
    weight: float
    score: float | None
    capped: bool
    trend: float | None  # change of the actual on the period before (complete periods)
    target_source: str | None  # 'user' | 'import' | 'paced' | 'sum'
    owner: str | None
    deadline: dt.date | None
    target_id: int | None
    months_actual: int
    months_total: int
    in_progress: bool
    plan_full: float | None  # the whole period's plan
    forecast: float | None
    forecast_attainment: float | None
    pace: str | None  # 'on_track' | 'at_risk'
    needed_per_month: float | None
    green: float
    amber: float
    cap: float
    notes: tuple[str, ...] = ()
    pacing: str = "even"  # how the stored target behind this row is paced into months
    # What the plan and actual compared hold of the period (retro.likeforlike): "3 of 4 regions reported"
    coverage: L4L.Coverage | None = None
    through_day: int | None = None  # a month still in progress: its actuals end on this day

    @property
    def label(self) -> str:
        return M.period_label(self.period, self.grain)

    @property
    def incomplete(self) -> bool:
        """Segments missing or left out of the comparison, or the period still in progress."""
        return self.in_progress or (self.coverage is not None and not self.coverage.segments_complete)

    def coverage_text(self, lang: str) -> str:
        """What the comparison holds of the period, in words ('' when nothing is missing)."""
        return L4L.coverage_text(self.coverage, lang) if L4L.noted(self.coverage) else ""

    @property
    def has_target(self) -> bool:
        return self.status != "no_target"

    @property
    def needs_analysis(self) -> bool:
        """|deviation| beyond the metric's amber band (10%: the template's cause-analysis rule),
        or a plan of zero that was missed."""
        if self.deviation is not None:
            return abs(self.deviation) > (1 - self.amber) + EPS
        return self.status == "red"


@dataclass(frozen=True)
class Scorecard:
    period: dt.date
    grain: str
    by: str | None
    forecast_method: str
    rows: tuple[KpiRow, ...]
    overall: float | None
    segments: dict[str, float | None]  # per-segment overall score (by a dimension)

    @property
    def label(self) -> str:
        return M.period_label(self.period, self.grain)

    @property
    def in_progress(self) -> bool:
        return any(r.in_progress for r in self.rows)

    def frame(self) -> pd.DataFrame:
        rows = [asdict(r) for r in self.rows]
        return pd.DataFrame(rows, columns=[f for f in KpiRow.__dataclass_fields__])

    def needs_analysis(self) -> list[KpiRow]:
        return needs_analysis(self.rows)

    @property
    def red(self) -> int:
        """How many KPIs are red: said beside the overall score, which an over-achiever can lift."""
        return sum(1 for r in self.rows if r.status == "red")

    @property
    def overall_status(self) -> str | None:
        """:func:`overall_status` of the overall score: never green while a KPI is red."""
        return overall_status(self.overall, (r.status for r in self.rows))

    def segment_status(self, segment: str) -> str | None:
        """:func:`overall_status` of one segment's overall score (by a dimension)."""
        return overall_status(self.segments.get(segment), (r.status for r in self.rows if r.segment == segment))


def needs_analysis(rows: Iterable[KpiRow]) -> list[KpiRow]:
    """KPIs whose |deviation| is beyond their amber band (the template's 10% rule), largest first."""
    flagged = [r for r in rows if r.has_target and r.status != "no_actual" and r.needs_analysis]
    return sorted(flagged, key=lambda r: -abs(r.deviation) if r.deviation is not None else -math.inf)


def sort_rows(rows: Iterable[KpiRow]) -> list[KpiRow]:
    """Red first, then amber, green, no actual, no target; the worst attainment first inside each."""
    def key(r: KpiRow) -> tuple:
        progress = r.attainment if r.attainment is not None else (1.0 if r.met else 0.0) if r.met is not None else math.inf
        return (STATUS_RANK.get(r.status, 9), progress)  # ties keep the catalog's order

    return sorted(rows, key=key)


def scorecard(db: Database, period: str | dt.date, grain: str | None = None, *, by: str | None = None,
              forecast: str = "straight", metrics: Sequence[str] | None = None,
              include_untargeted: bool = True) -> Scorecard:
    """Every KPI of the period (by a dimension's segments when ``by``): plan, actual, attainment,
    deviation, status, weight, score, trend and pacing, red first; and the overall scores."""
    if forecast not in FORECASTS:
        raise ValueError(f"forecast must be one of {FORECASTS}")
    if isinstance(period, str):
        start, label_grain = parse_period(period)
        grain = grain or label_grain
        start = M.truncate(start, grain)
    else:
        if grain is None:
            raise ValueError("grain required with a date")
        start = M.truncate(period, grain)
    if grain not in M.GRAINS:
        raise ValueError(f"grain must be one of {M.GRAINS}")
    chosen = [m for m in M.catalog(db) if metrics is None or m.name in metrics]
    stored = kpi_settings(db)
    with_plan = _plan_metrics(db)
    with_user = {r[0] for r in db.rows("SELECT DISTINCT metric FROM targets WHERE source = 'user'")}
    rows: list[KpiRow] = []
    k = _MONTHS_IN[grain]
    # Plan against actual on the same segments and days: one query for every metric.
    compared = L4L.compare(db, [L4L.Pair(m.name, start, start, k, "plan", prorate=True) for m in chosen], by=by)
    imports = {m.name: m.name in with_plan or (m.source == "derived" and m.first_metric in with_plan
                                               and (m.second_metric is None or m.second_metric in with_plan))
               for m in chosen}
    # Every KPI's actual (and months) and imported plan in one batch of queries, not five per KPI.
    keys: list[SeriesKey] = []
    for m in chosen:
        keys.append((m.name, grain, "actual", by, start, start))
        if grain != "month":
            keys.append((m.name, "month", "actual", by, start, add_months(start, k - 1)))
        if imports[m.name]:
            keys += _plan_keys(m.name, start.year, by)
    reads = _series_maps(db, keys)
    for m, like in zip(chosen, compared, strict=True):
        has_import = imports[m.name]
        rows += _metric_rows(db, m, start, grain, by, forecast, settings_for(stored, m.name), has_import,
                             m.name in with_user or has_import, like, reads)
    if not include_untargeted:
        rows = [r for r in rows if r.has_target]
    rows = sort_rows(rows)
    overall = overall_score((r.score, r.weight) for r in rows)
    segments: dict[str, float | None] = {}
    if by:
        for seg in sorted({r.segment for r in rows}):
            segments[seg] = overall_score((r.score, r.weight) for r in rows if r.segment == seg)
    return Scorecard(start, grain, by, forecast, tuple(rows), overall, segments)


def _like_for_like(m: M.Metric, start: dt.date, resolved: dict[Node, Resolved],
                   like: L4L.Compared) -> tuple[float | None, float | None, list[int]]:
    """Actual and plan on the segments and days both have (see retro.likeforlike), and the
    calendar months compared. Month by month: where the imported plan is stated by segment, the
    target of the month (imported or the user's) counts the share of that plan the reporting
    segments hold, cut at the day a month in progress has reached; without one, the month's
    target, cut at that day."""
    cover = like.coverage
    actuals, plans, months = [], [], []
    for mo, part in sorted(like.months.items()):
        if part.value is None:
            continue  # no actual in this month: not due yet
        month = add_months(start, mo).month
        target = resolved.get(("month", month), Resolved(None, None))
        months.append(month)
        split = part.base_whole is not None and part.base is not None and abs(part.base_whole) > EPS
        if split:
            actuals.append(part.value_like)
            if target.source == "import":  # the imported plan itself: of the segments that reported
                plans.append(part.base)
                continue
            share = 1.0 if m.is_rate else part.base / part.base_whole  # type: ignore[operator]
        else:
            actuals.append(part.value)
            cut = cover.through_day is not None and mo == max(like.months)
            share = cover.through_day / cover.days if cut and not m.is_rate else 1.0  # type: ignore[operator]
        plans.append(None if target.value is None else target.value * share)
    if not actuals or any(v is None for v in actuals):
        return None, None, months
    if m.is_rate:
        actual = like.whole.value_like if like.whole.value_like is not None else like.whole.value
    else:
        actual = sum(actuals)  # type: ignore[arg-type]
    if any(v is None for v in plans):
        return actual, None, months
    plan = sum(plans) / len(plans) if m.is_rate else sum(plans)  # type: ignore[arg-type]
    return actual, plan, months


def _metric_rows(db: Database, m: M.Metric, start: dt.date, grain: str, by: str | None, forecast: str,
                 s: KpiSettings, has_import: bool, may_have_target: bool,
                 like_by_segment: dict[str, L4L.Compared] | None = None,
                 reads: dict[SeriesKey, SeriesMap] | None = None) -> list[KpiRow]:
    k = _MONTHS_IN[grain]
    last_month = add_months(start, k - 1)
    direct = _series_map(db, m.name, grain, "actual", by, start, start, reads)
    monthly = _series_map(db, m.name, "month", "actual", by, start, last_month, reads) if grain != "month" else {}
    plans = _resolve_plans(db, m, start.year, by, has_import, reads) if may_have_target else _Plans()
    node = node_of(start, grain)
    segments = sorted(set(direct) | {seg for seg, r in plans.resolved.items() if r.get(node, Resolved(None, None)).value is not None})
    if by is None:
        segments = [seg for seg in segments if seg == ""]
    last_year = None
    # Orders through the 15th of a month: to date against the plan's share of the days.
    tx_cut = L4L.transactions_cut(db, start, k) if m.source == "transactions" else None
    out = []
    for seg in segments:
        resolved = plans.resolved.get(seg, {})
        plan_full = resolved.get(node, Resolved(None, None)).value
        source = resolved.get(node, Resolved(None, None)).source
        d = direct.get(seg, {}).get(start)
        actual = None if d is None else _num(d["value"])
        trend = None if d is None else _num(d["mom"])
        months_with = sorted(p.month for p in monthly.get(seg, {}))
        if grain == "month":
            months_actual = 1 if actual is not None else 0
        elif monthly.get(seg):
            months_actual = len(months_with)
        else:  # actuals stated per quarter or year, not per month
            months_actual = k if actual is not None else 0
        like = (like_by_segment or {}).get(seg)
        cover = like.coverage if like is not None else None
        if cover is None and tx_cut is not None and actual is not None:
            cover = L4L.Coverage(None, None, 0, (), None, months=max(months_actual, 1), months_total=k,
                                 through_day=tx_cut[1], days=tx_cut[2])
        through_day = cover.through_day if cover is not None else None
        in_progress = (grain != "month" and 0 < months_actual < k) or through_day is not None
        plan, fc, fc_att, pace_state, needed, notes = plan_full, None, None, None, None, []
        # Months elapsed: a month in progress counts the share of its days it has.
        elapsed = float(months_actual) if through_day is None else months_actual - 1 + through_day / cover.days  # type: ignore[operator]
        if like is not None and actual is not None and plan_full is not None and L4L.noted(cover):
            # Segments missing or left out, or a month cut at a day: the same units on both sides.
            actual, plan, months_with = _like_for_like(m, start, resolved, like)
            if through_day is not None:
                trend = None
        elif in_progress:
            month_plans = [resolved.get(("month", mo), Resolved(None, None)).value for mo in months_with or [start.month]]
            if through_day is not None and not m.is_rate and month_plans[-1] is not None:
                month_plans[-1] *= through_day / cover.days  # type: ignore[union-attr] # the month in progress
            if plan_full is None or any(v is None for v in month_plans):
                plan = None
            else:
                plan = sum(month_plans) / len(month_plans) if m.is_rate else sum(month_plans)  # type: ignore[arg-type]
        if in_progress:
            trend = None  # a part of a period against a whole one says nothing
            if actual is not None and elapsed > 0:
                fc = actual
                if not m.is_rate:
                    fc = actual * k / elapsed
                    if forecast == "seasonal" and through_day is None:
                        if last_year is None:
                            last_year = _series_map(db, m.name, "month", "actual", by, add_months(start, -12),
                                                    add_months(last_month, -12))
                        ly = {p.month: _num(r["value"]) for p, r in last_year.get(seg, {}).items()}
                        done = [ly.get(mo) for mo in months_with]
                        whole = [ly.get(add_months(start, i).month) for i in range(k)]
                        if all(v is not None and v > 0 for v in done + whole):
                            fc = actual * sum(whole) / sum(done)  # type: ignore[arg-type]
                        else:
                            notes.append("seasonal_fallback")
                if plan_full is not None:
                    fa = attainment(fc, plan_full, m.direction)
                    fc_att = fa.value
                    pace_state = "on_track" if status(fa, s.green, s.amber) == "green" else "at_risk"
                    if not m.is_rate and k - elapsed >= 1 - EPS:
                        needed = (plan_full - actual) / (k - elapsed)
        att = attainment(actual, plan, m.direction)
        skipped = s.incomplete == "skip" and att.reason is None and (
            in_progress or (cover is not None and not cover.segments_complete))
        if skipped:  # "do not score incomplete periods": shown with its numbers, never scored
            att = Attainment(None, None, None, "incomplete", m.direction)
        st = status(att, s.green, s.amber)
        score = kpi_score(att, s.cap)
        meta = _meta_for(plans, seg, node, resolved)
        out.append(KpiRow(
            metric=m.name, segment=seg, dimension=by, period=start, grain=grain, direction=m.direction, unit=m.unit,
            is_rate=m.is_rate, plan=plan, actual=actual, attainment=att.value, deviation=att.deviation, status=st,
            reason=att.reason, met=att.met, weight=float(s.weight), score=score,
            capped=att.value is not None and att.value > s.cap + EPS, trend=trend, target_source=source,
            owner=meta.get("owner"), deadline=meta.get("deadline"), target_id=meta.get("id"),
            months_actual=months_actual, months_total=k, in_progress=in_progress, plan_full=plan_full, forecast=fc,
            forecast_attainment=fc_att, pace=pace_state, needed_per_month=needed, green=float(s.green),
            amber=float(s.amber), cap=float(s.cap),
            notes=tuple(notes) + tuple(code for code, n in plans.notes.get(seg, []) if n == node or node in _children(n)),
            pacing=(meta.get("pacing") or "even") if meta.get("id") and meta.get("grain") == grain else "even",
            coverage=cover, through_day=through_day,
        ))
    return out


def _meta_for(plans: _Plans, seg: str, node: Node, resolved: dict[Node, Resolved]) -> dict[str, Any]:
    """The stored target row behind this node: its own, else the quarter's or year's it was paced from."""
    candidates = [node]
    if node[0] == "month":
        candidates.append(("quarter", (node[1] - 1) // 3 + 1))
    if node != YEAR:
        candidates.append(YEAR)
    for candidate in candidates:
        row = plans.meta.get((seg, candidate))
        if row is not None:
            return row
    return {}


# ====================================================================== owners


@dataclass(frozen=True)
class OwnerScore:
    owner: str
    rows: tuple[KpiRow, ...]
    overall: float | None


def owner_scorecards(db: Database, period: str | dt.date, grain: str | None = None, *,
                     forecast: str = "straight") -> list[OwnerScore]:
    """Per owner of a target (user or imported plan given an owner): their KPIs and overall score."""
    base = scorecard(db, period, grain, forecast=forecast)
    views: dict[str | None, Scorecard] = {None: base}
    owned: dict[str, list[KpiRow]] = {}
    seen: set[tuple[str, str | None, str]] = set()
    for r in base.rows:
        if r.owner:
            owned.setdefault(r.owner, []).append(r)
            seen.add((r.metric, None, r.segment))
    dims = {k for (k,) in db.rows("SELECT DISTINCT unnest(map_keys(dims)) FROM targets WHERE owner IS NOT NULL")}
    for by in sorted(dims):
        card = views.setdefault(by, scorecard(db, base.period, base.grain, by=by, forecast=forecast))
        for r in card.rows:
            if r.owner and (r.metric, by, r.segment) not in seen:
                owned.setdefault(r.owner, []).append(r)
                seen.add((r.metric, by, r.segment))
    return [OwnerScore(o, tuple(sort_rows(rs)), overall_score((r.score, r.weight) for r in rs))
            for o, rs in sorted(owned.items())]


# ====================================================================== the year's plan vs actual


def year_progress(db: Database, metric: str, year: int, *, by: str | None = None, segment: str = "") -> pd.DataFrame:
    """month, plan, actual, cumulative plan and actual (summed metrics) for one year of one segment."""
    m = M.get_metric(db, metric)
    has_import = metric in _plan_metrics(db)
    plans = _resolve_plans(db, m, year, by, has_import)
    resolved = plans.resolved.get(segment, {})
    actual = _series_map(db, metric, "month", "actual", by, dt.date(year, 1, 1), dt.date(year, 12, 1)).get(segment, {})
    rows = []
    for mo in range(1, 13):
        p = dt.date(year, mo, 1)
        a = actual.get(p)
        rows.append({"period": p, "plan": resolved.get(("month", mo), Resolved(None, None)).value,
                     "actual": None if a is None else _num(a["value"])})
    frame = pd.DataFrame(rows)
    frame["plan"] = frame["plan"].astype(float)
    frame["actual"] = frame["actual"].astype(float)
    if not m.is_rate:
        frame["cum_plan"] = frame["plan"].cumsum(skipna=False)
        last = frame["actual"].last_valid_index()
        cum = frame["actual"].fillna(0).cumsum()
        frame["cum_actual"] = [c if last is not None and i <= last else None for i, c in enumerate(cum)]
        frame["cum_actual"] = frame["cum_actual"].astype(float)
    else:
        frame["cum_plan"] = float("nan")
        frame["cum_actual"] = float("nan")
    return frame


# ====================================================================== choosing a period


def period_options(db: Database, grain: str) -> list[str]:
    """Every period label at ``grain`` from the first to the last month that has actuals, plans or
    targets (gaps included), newest first."""
    lo, hi = db.one(
        """SELECT min(lo), max(hi) FROM (
               SELECT min(period) AS lo, max(period) AS hi FROM current_facts
               UNION ALL SELECT min(txn_date), max(txn_date) FROM current_transactions
               UNION ALL SELECT min(period), max(CASE grain WHEN 'year' THEN period + INTERVAL '11 month'
                                                       WHEN 'quarter' THEN period + INTERVAL '2 month'
                                                       ELSE period END) FROM targets) spans"""
    ) or (None, None)
    if lo is None or hi is None:
        return []
    day, last, out = M.truncate(pd.Timestamp(lo).date(), grain), M.truncate(pd.Timestamp(hi).date(), grain), []
    while day <= last:
        out.append(M.period_label(day, grain))
        day = add_months(day, _MONTHS_IN[grain])
    return out[::-1]


# ====================================================================== writing targets


@dataclass(frozen=True)
class TargetInput:
    """One target as entered. ``period`` is a label; its form gives the grain ('2026-Q3': quarter).

    ``vs_last_year`` (+0.2 = "+20% vs the same period last year") is used when ``value`` is None.
    ``source`` 'import' keeps the imported plan as the value and stores owner and deadline only."""

    metric: str
    period: str
    value: float | None = None
    dims: dict[str, str] | None = None
    vs_last_year: float | None = None
    owner: str | None = None
    deadline: dt.date | None = None
    pacing: str = "even"
    note: str | None = None
    source: str = "user"


@dataclass(frozen=True)
class SaveResult:
    inserted: int
    updated: int
    unchanged: int

    @property
    def saved(self) -> int:
        return self.inserted + self.updated


def last_year_value(db: Database, metric: str, period: str, dims: dict[str, str] | None = None) -> float | None:
    """The actual of the same period a year before ``period`` (complete periods only), for one segment."""
    start, grain = parse_period(period)
    before = add_months(start, -12)
    by = next(iter(dims)) if dims else None
    frame = M.series(db, metric, grain=grain, by=by, filters={k: [v] for k, v in (dims or {}).items()},
                     start=before, end=before)
    seg = (dims or {}).get(by, "") if by else ""
    hit = frame[(frame["period"] == before) & (frame["segment"] == seg)]
    if hit.empty or not bool(hit.iloc[0]["complete"]):
        return None
    return _num(hit.iloc[0]["value"])


def apply_change(reference: float, pct: float) -> float:
    """reference moved by pct of |reference|: +20% on 100 is 120, +20% on −100 (a loss) is −80."""
    return reference + abs(reference) * pct


def _clean_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _validate(db: Database, i: int, item: TargetInput, known: dict[str, M.Metric]) -> tuple[dict[str, Any] | None, list]:
    errors: list[tuple[int, str, dict[str, Any]]] = []
    if item.metric not in known:
        return None, [(i, "unknown_metric", {"metric": item.metric})]
    try:
        start, grain = parse_period(item.period)
    except ValueError:
        return None, [(i, "bad_period", {"period": item.period})]
    dims = {str(k): str(v) for k, v in (item.dims or {}).items() if _clean_text(v)}
    if len(dims) > 1:
        errors.append((i, "one_dimension", {}))
    if item.pacing not in PACINGS:
        errors.append((i, "bad_pacing", {"pacing": item.pacing}))
    if item.source not in SOURCES:
        errors.append((i, "bad_source", {"source": item.source}))
    owner, note = _clean_text(item.owner), _clean_text(item.note)
    if owner and len(owner) > MAX_TEXT or note and len(note) > 500:
        errors.append((i, "text_too_long", {"limit": MAX_TEXT}))
    deadline = item.deadline
    if deadline is not None and not isinstance(deadline, dt.date):
        errors.append((i, "bad_deadline", {}))
    if isinstance(deadline, dt.datetime):
        deadline = deadline.date()
    value, basis, basis_pct, basis_value = None, None, None, None
    if item.source == "user":
        if item.value is not None:
            value = _num(item.value)
            if value is None:
                errors.append((i, "bad_value", {"value": str(item.value)}))
        elif item.vs_last_year is not None:
            pct = _num(item.vs_last_year)
            if pct is None:
                errors.append((i, "bad_value", {"value": str(item.vs_last_year)}))
            else:
                ref = last_year_value(db, item.metric, item.period, dims)
                if ref is None:
                    errors.append((i, "no_last_year", {"metric": item.metric, "period": M.period_label(add_months(start, -12), grain)}))
                elif ref == 0:
                    errors.append((i, "zero_last_year", {"metric": item.metric}))
                else:
                    value, basis, basis_pct, basis_value = apply_change(ref, pct), "yoy", pct, ref
        else:
            errors.append((i, "value_required", {"metric": item.metric}))
    if errors:
        return None, errors
    return {"metric": item.metric, "grain": grain, "period": start, "dims_key": dims_key(dims), "dims": dims,
            "value": value, "source": item.source, "basis": basis, "basis_pct": basis_pct,
            "basis_value": basis_value, "pacing": item.pacing, "deadline": deadline, "owner": owner,
            "note": note}, []


_COMPARED = ("value", "source", "basis", "basis_pct", "basis_value", "pacing", "deadline", "owner", "note")


def upsert_targets(db: Database, items: Sequence[TargetInput], actor: str | None = None) -> SaveResult:
    """Insert or update targets by (metric, period, segment) in one transaction.

    Everything is checked first: one bad row refuses the whole save (:class:`TargetError`).
    An 'import' item on a key that already holds a user target only changes its owner and deadline.
    Each change is logged with the row before and after."""
    known = {m.name: m for m in M.catalog(db, include_hidden=True, include_merged=True)}
    clean, errors = [], []
    for i, item in enumerate(items):
        row, errs = _validate(db, i, item, known)
        errors += errs
        if row is not None:
            clean.append(row)
    keys = [(r["metric"], r["grain"], r["period"], r["dims_key"]) for r in clean]
    dupes = {k for k in keys if keys.count(k) > 1}
    errors += [(i, "duplicate", {"metric": k[0]}) for i, k in enumerate(keys) if k in dupes]
    if errors:
        raise TargetError(errors)
    inserted = updated = unchanged = 0
    if not clean:
        return SaveResult(0, 0, 0)
    with db.transaction() as cur:
        for row in clean:
            found = cur.execute(
                f"""SELECT {_select_columns()} FROM targets
                    WHERE metric = ? AND grain = ? AND period = ? AND dims_key = ?""",
                [row["metric"], row["grain"], row["period"], row["dims_key"]],
            ).fetchone()
            if found is None:
                new_id = cur.execute(
                    """INSERT INTO targets (metric, grain, period, dims_key, dims, value, source, basis, basis_pct,
                           basis_value, pacing, deadline, owner, note, actor)
                       VALUES (?, ?, ?, ?, map(?::VARCHAR[], ?::VARCHAR[]), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
                    [row["metric"], row["grain"], row["period"], row["dims_key"], list(row["dims"]),
                     list(row["dims"].values()), row["value"], row["source"], row["basis"], row["basis_pct"],
                     row["basis_value"], row["pacing"], row["deadline"], row["owner"], row["note"], actor],
                ).fetchone()[0]
                _log(cur, new_id, "insert", None, {**row, "id": new_id}, actor)
                inserted += 1
                continue
            before = _row_dict(found)
            after = dict(row)
            if row["source"] == "import" and before["source"] == "user":
                # Owner and deadline on a key whose value the user set: keep that value.
                after.update({k: before[k] for k in ("value", "source", "basis", "basis_pct", "basis_value",
                                                     "pacing", "note")})
            if all(same_value(before[k], after[k]) for k in _COMPARED):
                unchanged += 1
                continue
            cur.execute(
                """UPDATE targets SET value = ?, source = ?, basis = ?, basis_pct = ?, basis_value = ?, pacing = ?,
                       deadline = ?, owner = ?, note = ?, actor = ?, updated_at = current_timestamp WHERE id = ?""",
                [after["value"], after["source"], after["basis"], after["basis_pct"], after["basis_value"],
                 after["pacing"], after["deadline"], after["owner"], after["note"], actor, before["id"]],
            )
            _log(cur, before["id"], "update", before, {**before, **after}, actor)
            updated += 1
        if inserted or updated:
            bump_version(cur)
    return SaveResult(inserted, updated, unchanged)


def _select_columns() -> str:
    return ("id, metric, grain, period, dims_key, map_keys(dims), map_values(dims), value, source, basis, basis_pct, "
            "basis_value, pacing, deadline, owner, note, actor, created_at, updated_at")


def same_value(a: Any, b: Any) -> bool:
    """Equal as stored: floats within rounding, a timestamp as its date, NaN as None."""
    a, b = (None if isinstance(x, float) and math.isnan(x) else x for x in (a, b))
    if isinstance(a, float) or isinstance(b, float):
        fa, fb = _num(a), _num(b)
        return fa == fb or (fa is not None and fb is not None and math.isclose(fa, fb, rel_tol=1e-12, abs_tol=1e-12))
    if isinstance(a, dt.datetime):
        a = a.date()
    return a == b


def _json(row: dict[str, Any] | None) -> str | None:
    if row is None:
        return None
    return json.dumps({k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.items()},
                      ensure_ascii=False, default=str)


def _log(cur: Any, target_id: int, action: str, before: dict | None, after: dict | None, actor: str | None) -> None:
    cur.execute("INSERT INTO target_log (target_id, action, before, after, actor) VALUES (?, ?, ?, ?, ?)",
                [target_id, action, _json(before), _json(after), actor])


def delete_targets(db: Database, ids: Sequence[int], actor: str | None = None) -> int:
    """Delete targets in one transaction; each is logged whole and can be restored."""
    ids = [int(i) for i in ids]
    if not ids:
        return 0
    deleted = 0
    with db.transaction() as cur:
        for target_id in ids:
            found = cur.execute(f"SELECT {_select_columns()} FROM targets WHERE id = ?", [target_id]).fetchone()
            if found is None:
                continue
            cur.execute("DELETE FROM targets WHERE id = ?", [target_id])
            _log(cur, target_id, "delete", _row_dict(found), None, actor)
            deleted += 1
        if deleted:
            bump_version(cur)
    return deleted


def restore_target(db: Database, log_id: int, actor: str | None = None) -> int:
    """Bring back a deleted target from the log; its key must be free. The new id."""
    found = db.one("SELECT action, before FROM target_log WHERE id = ?", [int(log_id)])
    if found is None or found[0] != "delete":
        raise TargetError([(0, "not_deleted", {})])
    row = json.loads(found[1])
    with db.transaction() as cur:
        taken = cur.execute("SELECT count(*) FROM targets WHERE metric = ? AND grain = ? AND period = ? AND dims_key = ?",
                            [row["metric"], row["grain"], row["period"], row["dims_key"]]).fetchone()[0]
        if taken:
            raise TargetError([(0, "key_taken", {"metric": row["metric"]})])
        new_id = cur.execute(
            """INSERT INTO targets (metric, grain, period, dims_key, dims, value, source, basis, basis_pct, basis_value,
                   pacing, deadline, owner, note, actor)
               VALUES (?, ?, ?, ?, map(?::VARCHAR[], ?::VARCHAR[]), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
            [row["metric"], row["grain"], row["period"], row["dims_key"], list(row["dims"]), list(row["dims"].values()),
             row["value"], row["source"], row["basis"], row["basis_pct"], row["basis_value"], row["pacing"],
             row["deadline"], row["owner"], row["note"], actor],
        ).fetchone()[0]
        _log(cur, new_id, "restore", None, {**row, "id": new_id}, actor)
        bump_version(cur)
    return int(new_id)


def list_targets(db: Database) -> pd.DataFrame:
    """Every stored target, newest period first."""
    rows = [_row_dict(r) for r in db.rows(f"SELECT {_select_columns()} FROM targets ORDER BY period DESC, metric, grain, dims_key")]
    frame = pd.DataFrame(rows, columns=list(_COLUMNS))
    if not frame.empty:
        frame["label"] = [M.period_label(pd.Timestamp(p).date(), g) for p, g in zip(frame["period"], frame["grain"], strict=True)]
    else:
        frame["label"] = pd.Series(dtype=str)
    return frame


def change_log(db: Database, limit: int = 200) -> pd.DataFrame:
    return db.frame(
        "SELECT id, target_id, action, before, after, actor, logged_at FROM target_log ORDER BY id DESC LIMIT ?", [limit]
    )


# ====================================================================== typed values


_SCALE_CHARS = {"万": 1e4, "亿": 1e8, "千": 1e3, "百万": 1e6, "千万": 1e7}


def parse_target_text(text: Any, unit: str | None) -> float | None:
    """A target typed by a person, in the metric's unit: '1200' or '1200万' for 万元 → 1200;
    '15%' or '15' or '0.15' for a % metric → 0.15. None when blank; ValueError when not a number."""
    from .ingest.cells import parse_number

    if isinstance(text, int | float) and not isinstance(text, bool):
        value = _num(text)
        if value is None:
            return None
        return value / 100 if unit == "%" and abs(value) > 1 else value
    raw = _clean_text(text)
    if raw is None:
        return None
    parsed = parse_number(raw)
    if parsed.status == "blank":
        return None
    if parsed.status != "ok" or parsed.value is None:
        raise ValueError(raw)
    value = parsed.value
    has_percent = raw.rstrip().endswith(("%", "％"))
    if unit == "%" and not has_percent and abs(value) > 1:
        value /= 100
    if unit:
        prefix = next((p for p in sorted(_SCALE_CHARS, key=len, reverse=True) if unit.startswith(p)), None)
        scaled = re.search(r"(百万|千万|亿|万|千)\s*$", raw.rstrip("元 "))
        if prefix and scaled:
            value = value / _SCALE_CHARS[prefix]
    return value


# ====================================================================== the outcome review table


OUTCOME_KEYS = ("metric", "plan", "actual", "attainment", "cause", "lesson")


def outcome_rows(card: Scorecard, lang: str, labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Template table 3 (成果复盘分析表): one row per KPI with a target.

    Cause and lesson stay empty until the review workspace records them."""
    labels = labels or {}
    out = []
    for r in card.rows:
        if not r.has_target:
            continue
        name = labels.get(r.metric, r.metric)
        what = f"{r.segment} · {name}" if r.segment else name
        if r.unit and r.unit != "%" and (unit := stored_unit_label(r.unit, lang)):  # 万元 → 10k CNY in English
            what += f"（{unit}）" if lang == "zh" else f" ({unit})"
        if r.in_progress and r.through_day is None:
            what += t("goals.export.to_date", lang, months=r.months_actual, total=r.months_total)
        if r.coverage_text(lang):
            what += f"（{r.coverage_text(lang)}）" if lang == "zh" else f" ({r.coverage_text(lang)})"
        out.append({"metric": what, "plan": r.plan, "actual": r.actual, "attainment": r.attainment,
                    "unit": r.unit, "reason": r.reason, "cause": "", "lesson": ""})
    return out


def _headers(lang: str) -> list[str]:
    return [t(f"goals.export.col.{k}", lang) for k in OUTCOME_KEYS]


def _pct_text(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _value_text(value: float | None, unit: str | None) -> str:
    if value is None:
        return ""
    if unit == "%":
        return _pct_text(value)
    return f"{value:.2f}".rstrip("0").rstrip(".")


def outcome_csv(card: Scorecard, lang: str, labels: dict[str, str] | None = None) -> bytes:
    """The outcome review table as CSV (UTF-8 with BOM, so Excel keeps the Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(_headers(lang))
    for r in outcome_rows(card, lang, labels):
        att = _pct_text(r["attainment"]) if r["attainment"] is not None else t(f"goals.reason.{r['reason']}", lang) if r["reason"] else ""
        writer.writerow([neutralise(r["metric"]), _value_text(r["plan"], r["unit"]), _value_text(r["actual"], r["unit"]),
                         neutralise(att), neutralise(r["cause"]), neutralise(r["lesson"])])
    return buffer.getvalue().encode("utf-8-sig")


def outcome_xlsx(card: Scorecard, lang: str, labels: dict[str, str] | None = None) -> bytes:
    """The outcome review table as .xlsx: numbers as numbers, text never read as a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = card.label
    ws.append(_headers(lang))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8EEF7")
    for r in outcome_rows(card, lang, labels):
        att: Any = r["attainment"]
        if att is None and r["reason"]:
            att = t(f"goals.reason.{r['reason']}", lang)
        ws.append([neutralise(r["metric"]), r["plan"], r["actual"], neutralise(att), neutralise(r["cause"]),
                   neutralise(r["lesson"])])
        row = ws.max_row
        for col in (2, 3):
            if r["unit"] == "%":
                ws.cell(row, col).number_format = "0.0%"
            else:
                ws.cell(row, col).number_format = "#,##0.##"
        if isinstance(att, float):
            ws.cell(row, 4).number_format = "0.0%"
    for cells in ws.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
    for col, width in zip("ABCDEF", (34, 14, 14, 12, 36, 36), strict=True):
        ws.column_dimensions[col].width = width
    for cell in ws["E"] + ws["F"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ====================================================================== JSON for the CLI


def row_json(r: KpiRow) -> dict[str, Any]:
    return {
        "metric": r.metric, "segment": r.segment, "period": r.label, "plan": r.plan, "actual": r.actual,
        "attainment": r.attainment, "deviation": r.deviation, "status": r.status, "reason": r.reason,
        "weight": r.weight, "score": r.score, "capped": r.capped, "trend": r.trend, "target_source": r.target_source,
        "owner": r.owner, "deadline": r.deadline.isoformat() if r.deadline else None,
        "months_actual": r.months_actual, "months_total": r.months_total, "in_progress": r.in_progress,
        "plan_full": r.plan_full, "forecast": r.forecast, "forecast_attainment": r.forecast_attainment,
        "pace": r.pace, "needed_per_month": r.needed_per_month, "unit": r.unit, "direction": r.direction,
        "through_day": r.through_day, "incomplete": r.incomplete,
        "coverage": None if r.coverage is None else {
            "expected": r.coverage.expected, "reported": r.coverage.reported, "missing": list(r.coverage.missing),
            "extra": r.coverage.extra, "noun": r.coverage.noun, "months": r.coverage.months,
            "months_total": r.coverage.months_total, "through_day": r.coverage.through_day, "days": r.coverage.days},
    }


def scorecard_json(card: Scorecard) -> dict[str, Any]:
    return {"period": card.label, "grain": card.grain, "by": card.by, "forecast": card.forecast_method,
            "in_progress": card.in_progress, "overall": card.overall, "segments": card.segments,
            "rows": [row_json(r) for r in card.rows]}
