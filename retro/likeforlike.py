"""Like for like: which segments, months and days the two sides of a comparison share.

Every comparison the product makes — attainment (actual against plan) and deviation, MoM, YoY,
year to date, the breakdown's "which region drove the change", meeting mode and the report — is
decided here, so the scorecard, the report and meeting mode compare the same things.

The rules
    A comparison has two sides over spans of the same length: this side (the actuals of a period)
    and the side it is compared with (the plan of the same period, the period before, the same
    period a year earlier). The units compared are the stored segments (a fact's segment: 华东, or
    华东 × 企业版) month by month (a month's offset inside its span: a quarter's second month is
    compared with the quarter before's second month).
    * Segments are read on the dimensions both sides name: a plan by region compares with actuals
      by region × product line as regions. Neither side naming one: the totals, month by month.
    * A unit on one side only is left out of both: a region whose actual is an error cell, blank
      or late is left out of its plan too (336 of a plan of 360, never 336 of 480), and said —
      "3 of 4 regions reported (西南 missing)". A segment with actuals and nothing to compare with
      (no plan, not there the period before) is left out too, and counted ("1 without a plan").
    * A month of the compared side for which this side has no data at all is not due yet (a
      quarter in progress: two months of three) and is left out of both, said as "2 of 3 months".
    * A month still in progress — this side's last month stored by day and ending before the
      month does — cuts the compared side at the same day: its days after it are left out, and a
      plan stated for the whole month counts its share of the days (even pacing: 15 of 30 days →
      half the month's plan). An actual stated for the whole month cannot be cut: that month is
      left out of both ("through day 15": no MoM against a month stored whole).
    * Empty values (an Excel error cell stored as NULL) are no data.
    * Nothing shared: no comparison (None), never a comparison of what happens to be there.
    Sums add up the shared units; averaged metrics (rates) average the shared values.

What is compared
    Imported facts stored by day or month, unit by unit (:func:`compare`). Transactions have no
    segments that "report" (a region without orders sold nothing), only days: the period holding
    the last order date of the data, when that date is before the period's end, is in progress
    through that day (:func:`transactions_cut`), and is compared with the same days of the other
    period, and with its plan's share of the days. Derived metrics and facts stored only by quarter
    or year are compared as stored (:func:`compare` returns nothing for them).

The database does the matching: one query for a list of comparisons (:class:`Pair`), the units
and their coverage counted in SQL. No Streamlit here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .db import Database, compute_cursor, is_postgres, pg_arrow
from .i18n import t

EPS = 1e-9


@dataclass(frozen=True)
class Pair:
    """One comparison: ``metric``'s actuals over ``months`` months from ``a_start`` against
    ``scenario`` over as many months from ``b_start``. ``prorate``: a whole month of the compared
    side counts its share of the days this side has (plans); else such a month cannot be cut."""

    metric: str
    a_start: dt.date
    b_start: dt.date
    months: int = 1
    scenario: str = "actual"
    prorate: bool = False
    by: str | None = None  # the view's segments ('' for the total without)
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (dimension, values) pairs, sorted


@dataclass(frozen=True)
class Coverage:
    """What a comparison holds of what it was compared with: the words beside its numbers.

    ``expected``: segments the compared side has (None when the data has no segments to count),
    ``reported``: those this side has in full; ``missing``: the others, named; ``extra``: segments
    of this side only; ``noun``: what a segment is ('区域', '区域 × 产品线'). ``months`` of
    ``months_total`` hold data; ``through_day`` of ``days``: the last month still in progress."""

    expected: int | None
    reported: int | None
    extra: int
    missing: tuple[str, ...]
    noun: str | None
    months: int
    months_total: int
    through_day: int | None = None
    days: int | None = None
    value: float | None = None  # this side over the shared units
    base: float | None = None  # the compared side over the shared units

    @property
    def segments_complete(self) -> bool:
        return self.expected is None or (self.reported == self.expected and not self.extra)

    @property
    def in_progress(self) -> bool:
        """Not every month (or day of the last month) of the span holds data yet."""
        return self.through_day is not None or self.months < self.months_total

    @property
    def complete(self) -> bool:
        return self.segments_complete and not self.in_progress


@dataclass(frozen=True)
class Part:
    """One month of a comparison (or the whole span): this side as stored (``value``) and over
    the shared units (``value_like``); the compared side over the shared units, days cut and
    plans pro-rated (``base``), and as stored in the months compared (``base_whole``)."""

    value: float | None
    value_like: float | None
    base: float | None
    base_whole: float | None


@dataclass(frozen=True)
class Compared:
    """One view segment's comparison ('' for the total)."""

    whole: Part  # the whole span
    base_stored: float | None  # the compared side over its whole span, as stored
    coverage: Coverage
    months: dict[int, Part] = field(default_factory=dict)  # by month offset inside the span

    @property
    def value(self) -> float | None:
        return self.whole.value_like

    @property
    def base(self) -> float | None:
        return self.whole.base

    def same_as_stored(self) -> bool:
        """Both sides already hold the same units: the plain numbers are like for like."""
        return (_close(self.whole.value_like, self.whole.value) and _close(self.whole.base, self.base_stored)
                and self.coverage.through_day is None)


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= EPS * max(1.0, abs(a), abs(b))


def change(value: float | None, base: float | None) -> float | None:
    """(value − base) / |base|; None without both or with a base of 0."""
    if value is None or base is None or base == 0:
        return None
    return (value - base) / abs(base)


# ---------------------------------------------------------------------------------- the query

# SQL both engines run (docs/postgres.md): each pair's metric names and filter values come as flat lists
# (a row each, PostgreSQL has no ragged nested arrays), a map read by a column's key (``s.dims[c.d]``) as
# retro.db translates it, months counted with EXTRACT (no datediff/last_day), aggregates spelled out.
_SQL = """
WITH pairs AS (
    SELECT unnest(CAST($pid AS INTEGER[])) AS pid, unnest(CAST($alo AS DATE[])) AS alo,
           unnest(CAST($ahi AS DATE[])) AS ahi, unnest(CAST($blo AS DATE[])) AS blo,
           unnest(CAST($bhi AS DATE[])) AS bhi, unnest(CAST($bs AS VARCHAR[])) AS bs,
           unnest(CAST($pr AS BOOLEAN[])) AS prorate, unnest(CAST($by AS VARCHAR[])) AS view_by),
names AS (SELECT unnest(CAST($npid AS INTEGER[])) AS pid, unnest(CAST($nname AS VARCHAR[])) AS metric),
filt AS (  -- a row per (pair, filter dimension, value wanted)
    SELECT unnest(CAST($qpid AS INTEGER[])) AS pid, unnest(CAST($qdim AS VARCHAR[])) AS fd,
           unnest(CAST($qval AS VARCHAR[])) AS fv),
fwant AS (SELECT pid, count(DISTINCT fd) AS nf FROM filt GROUP BY pid),
fmatch AS (  -- the segments a pair's filters keep: one of its values on every filter dimension
    SELECT q.pid, s.dims_key FROM filt q JOIN segments s ON s.dims[q.fd] = q.fv JOIN fwant w ON w.pid = q.pid
    GROUP BY q.pid, s.dims_key, w.nf HAVING count(DISTINCT q.fd) = w.nf),
sides AS (
    SELECT p.pid, 'a' AS side, n.metric, p.alo AS lo, p.ahi AS hi, 'actual' AS scenario, false AS prorate,
           p.view_by FROM pairs p JOIN names n ON n.pid = p.pid
    UNION ALL SELECT p.pid, 'b', n.metric, p.blo, p.bhi, p.bs, p.prorate, p.view_by
    FROM pairs p JOIN names n ON n.pid = p.pid),
vals AS (  -- every value of either side: its month offset in the span, its day when stored by day
    SELECT x.pid, x.side, x.prorate, f.dims_key,
           CASE WHEN x.view_by IS NULL THEN '' ELSE coalesce(s.dims[x.view_by], '—') END AS vseg,
           CAST((EXTRACT(YEAR FROM f.period) - EXTRACT(YEAR FROM x.lo)) * 12
                + EXTRACT(MONTH FROM f.period) - EXTRACT(MONTH FROM x.lo) AS BIGINT) AS mo,
           CASE WHEN f.grain = 'day' THEN CAST(EXTRACT(DAY FROM f.period) AS BIGINT) END AS d,
           CAST(EXTRACT(DAY FROM CAST(date_trunc('month', f.period) AS DATE) + INTERVAL '1 month'
                                 - INTERVAL '1 day') AS BIGINT) AS month_days, f.value
    FROM fact_rows f JOIN segments s ON s.dims_key = f.dims_key
    JOIN sides x ON f.metric = x.metric AND f.scenario = x.scenario AND f.period >= x.lo AND f.period < x.hi
    LEFT JOIN fwant w ON w.pid = x.pid LEFT JOIN fmatch m ON m.pid = x.pid AND m.dims_key = f.dims_key
    WHERE f.replaced_by IS NULL AND f.grain IN ('day', 'month') AND f.value IS NOT NULL
      AND f.metric = ANY($all_names) AND f.period >= $lo AND f.period < $hi
      AND (w.nf IS NULL OR m.dims_key IS NOT NULL)),
used AS (SELECT DISTINCT pid, side, dims_key FROM vals),
sized AS (SELECT pid, side, count(*) AS n FROM used GROUP BY pid, side),
named AS (SELECT u.pid, u.side, unnest(map_keys(s.dims)) AS d FROM used u JOIN segments s ON s.dims_key = u.dims_key),
shared_dims AS (  -- the dimensions every segment of a side names
    SELECT n.pid, n.side, n.d FROM named n JOIN sized z ON z.pid = n.pid AND z.side = n.side
    GROUP BY n.pid, n.side, n.d, z.n HAVING count(*) = z.n),
common_dims AS (  -- … and the other side too: the segments compared are read on these
    SELECT a.pid, a.d FROM shared_dims a
    JOIN shared_dims b ON a.pid = b.pid AND a.d = b.d AND a.side = 'a' AND b.side = 'b'),
common AS (SELECT pid, array_agg(d ORDER BY d) AS dims, string_agg(d, '|' ORDER BY d) AS cset
           FROM common_dims GROUP BY pid),
views AS (  -- pairs of one set of common dimensions and one view name their units alike: keyed once a view
           -- (per pair, the ordered string_agg doubled the query on DuckDB: 320 -> 600 ms at 1M values)
    SELECT p.pid, coalesce(c.cset, '') AS cset, coalesce(p.view_by, '') AS view_by
    FROM pairs p LEFT JOIN common c ON c.pid = p.pid),
view_dims AS (SELECT DISTINCT v.cset, v.view_by, d.d FROM views v JOIN common_dims d ON d.pid = v.pid),
view_segs AS (SELECT DISTINCT v.cset, v.view_by, u.dims_key FROM used u JOIN views v ON v.pid = u.pid),
view_keys AS (
    SELECT k.cset, k.view_by, k.dims_key,
           coalesce(string_agg(d.d || '=' || s.dims[d.d], '|' ORDER BY d.d), '') AS ukey,
           coalesce(string_agg(s.dims[d.d], ' · ' ORDER BY d.d) FILTER (WHERE d.d <> k.view_by), '') AS uname
    FROM view_segs k JOIN segments s ON s.dims_key = k.dims_key
    LEFT JOIN view_dims d ON d.cset = k.cset AND d.view_by = k.view_by
    GROUP BY k.cset, k.view_by, k.dims_key),
keyed AS (  -- a view's keys name its other pairs' segments too: harmless, read by (pid, dims_key)
    SELECT v.pid, k.dims_key, k.ukey, k.uname FROM views v
    JOIN view_keys k ON k.cset = v.cset AND k.view_by = v.view_by),
lastmo AS (SELECT pid, max(mo) AS cut_mo FROM vals WHERE side = 'a' GROUP BY pid),
cut AS (  -- this side's last month, stored by day and ending before the month does: the day it ends
    SELECT v.pid, l.cut_mo,  -- one month: its days are one number
           CASE WHEN bool_and(v.d IS NOT NULL) AND max(v.d) < max(v.month_days) THEN max(v.d) END AS cut_d,
           max(v.month_days) AS cut_days
    FROM vals v JOIN lastmo l ON v.pid = l.pid AND v.mo = l.cut_mo WHERE v.side = 'a' GROUP BY v.pid, l.cut_mo),
weighed AS (  -- 1 kept, 0 a day after the cut, a share of a whole month (plans), NULL: cannot be cut
    SELECT v.*, k.ukey, k.uname,
           CASE WHEN v.side = 'a' OR c.cut_d IS NULL OR v.mo <> c.cut_mo THEN 1.0
                WHEN v.d IS NOT NULL THEN CASE WHEN v.d <= c.cut_d THEN 1.0 ELSE 0.0 END
                WHEN v.prorate THEN CAST(c.cut_d AS DOUBLE) / v.month_days END AS w
    FROM vals v JOIN keyed k ON k.pid = v.pid AND k.dims_key = v.dims_key LEFT JOIN cut c ON c.pid = v.pid),
units AS (  -- a unit's name is one text (its ukey's values): min() reads it
    SELECT pid, side, vseg, ukey, min(uname) AS uname, mo,
           sum(value * w) FILTER (WHERE w > 0) AS s_w, sum(value) FILTER (WHERE w > 0) AS s,
           count(*) FILTER (WHERE w > 0) AS n, sum(value) AS whole, bool_or(w IS NULL) AS unusable
    FROM weighed GROUP BY pid, side, vseg, ukey, mo),
joined AS (
    SELECT coalesce(a.pid, b.pid) AS pid, coalesce(a.vseg, b.vseg) AS vseg, coalesce(a.ukey, b.ukey) AS ukey,
           coalesce(a.uname, b.uname) AS uname, coalesce(a.mo, b.mo) AS mo,
           coalesce(a.n, 0) > 0 AS in_a, coalesce(b.n, 0) > 0 AS in_b, coalesce(b.unusable, false) AS unusable,
           a.s AS a_s, a.n AS a_n, b.s_w AS b_sw, b.s AS b_s, b.n AS b_n, b.whole AS b_whole
    FROM (SELECT * FROM units WHERE side = 'a') a
    FULL JOIN (SELECT * FROM units WHERE side = 'b') b
      ON a.pid = b.pid AND a.vseg = b.vseg AND a.ukey = b.ukey AND a.mo = b.mo),
due AS (SELECT DISTINCT pid, vseg, mo FROM joined WHERE in_a),  -- months this side holds
kept AS (
    SELECT j.*, j.in_a AND j.in_b AND NOT j.unusable AS matched
    FROM joined j JOIN due e ON e.pid = j.pid AND e.vseg = j.vseg AND e.mo = j.mo),
segs AS (
    SELECT pid, vseg, ukey, min(uname) AS uname, bool_or(in_a) AS has_a, bool_or(in_b AND NOT unusable) AS has_b,
           bool_and(in_a OR NOT in_b OR unusable) AS all_in
    FROM kept GROUP BY pid, vseg, ukey),
cover AS (
    SELECT pid, vseg, count(*) FILTER (WHERE has_b) AS expected, count(*) FILTER (WHERE has_b AND all_in) AS reported,
           count(*) FILTER (WHERE has_a AND NOT has_b) AS extra,
           array_agg(uname ORDER BY uname) FILTER (WHERE has_b AND NOT all_in) AS missing
    FROM segs GROUP BY pid, vseg),
sums AS (
    SELECT pid, vseg, mo, sum(a_s) AS a_s, sum(a_n) AS a_n,
           sum(a_s) FILTER (WHERE matched) AS al_s, sum(a_n) FILTER (WHERE matched) AS al_n,
           sum(b_whole) AS b_whole, sum(b_n) AS b_wn,
           sum(b_sw) FILTER (WHERE matched) AS bl_sw, sum(b_s) FILTER (WHERE matched) AS bl_s,
           sum(b_n) FILTER (WHERE matched) AS bl_n
    FROM kept GROUP BY GROUPING SETS ((pid, vseg, mo), (pid, vseg))),
plain AS (SELECT pid, vseg, sum(value) AS s, count(*) AS n FROM vals WHERE side = 'b' GROUP BY pid, vseg),
held AS (SELECT pid, vseg, count(*) AS months FROM due GROUP BY pid, vseg)
SELECT s.pid, s.vseg, s.mo, s.a_s, s.a_n, s.al_s, s.al_n, s.b_whole, s.b_wn, s.bl_sw, s.bl_s, s.bl_n,
       c.expected, c.reported, c.extra, c.missing, p.s AS bp_s, p.n AS bp_n, h.months,
       CASE WHEN t.cut_d IS NOT NULL THEN t.cut_mo END AS cut_mo, t.cut_d, t.cut_days, cm.dims
FROM sums s LEFT JOIN cover c ON c.pid = s.pid AND c.vseg = s.vseg
LEFT JOIN plain p ON p.pid = s.pid AND p.vseg = s.vseg LEFT JOIN held h ON h.pid = s.pid AND h.vseg = s.vseg
LEFT JOIN cut t ON t.pid = s.pid LEFT JOIN common cm ON cm.pid = s.pid
"""


# On PostgreSQL the same query is run by DuckDB over the facts it reads, fetched in one COPY: run by
# PostgreSQL 15 itself it took 15-50 s for the 70 pairs of a trends series at 2M stored values (its
# planner guesses one row for each CTE, then nests loops and sorts on disk), 4 s this way; DuckDB's own
# file 1.6 s. The facts are read by the filter the query's own WHERE starts with.
_FACTS = """SELECT dims_key, period, grain, metric, scenario, value FROM fact_rows
            WHERE replaced_by IS NULL AND grain IN ('day', 'month') AND value IS NOT NULL
              AND metric = ANY(%s) AND period >= %s AND period < %s"""


def _rows_in_duckdb(db: Any, params: dict[str, Any]) -> list[tuple]:
    import pyarrow as pa
    import pyarrow.compute as pc

    facts_schema = pa.schema([("dims_key", pa.string()), ("period", pa.date32()), ("grain", pa.string()),
                              ("metric", pa.string()), ("scenario", pa.string()), ("value", pa.float64())])
    with db.cursor() as cur:
        facts = pg_arrow(cur, _FACTS, [params["all_names"], params["lo"], params["hi"]], facts_schema)
        keys = pc.unique(facts.column("dims_key")).to_pylist()
        segment_schema = pa.schema([("dims_key", pa.string()), ("dims", pa.string())])
        segments = (pg_arrow(cur, "SELECT dims_key, CAST(dims AS TEXT) FROM segments WHERE dims_key = ANY(%s::VARCHAR[])",
                             [keys], segment_schema) if keys else segment_schema.empty_table())
    facts = facts.append_column("replaced_by", pa.nulls(facts.num_rows, pa.int64()))
    with compute_cursor(db) as con:
        con.register("fact_rows", facts)
        con.register("segment_texts", segments)
        con.execute("CREATE TEMP TABLE segments AS SELECT dims_key, CAST(CAST(dims AS JSON) AS MAP(VARCHAR, VARCHAR)) "
                    "AS dims FROM segment_texts")
        return con.execute(_SQL, params).fetchall()


def compare(db: Database, pairs: Sequence[Pair], *, by: str | None = None,
            filters: dict[str, list[str]] | None = None) -> list[dict[str, Compared]]:
    """Each pair's comparison per view segment of its ``by`` ('' for the total), in one query;
    ``by`` and ``filters`` here apply to the pairs that name none. Kept per data version.

    A pair of a metric without units to match (transactions, derived) gives an empty dict."""
    from . import metrics as M  # metrics reads this module too: imported when first used

    wanted_filters = tuple(sorted((d, tuple(v)) for d, v in (filters or {}).items() if v))
    pairs = tuple(p if p.by is not None or p.filters or (by is None and not wanted_filters)
                  else replace(p, by=by, filters=wanted_filters) for p in pairs)
    if not pairs:
        return []
    return M._remember(db, ("like for like", pairs), lambda: _compare(db, pairs))


def _compare(db: Database, pairs: tuple[Pair, ...]) -> list[dict[str, Compared]]:
    from . import metrics as M

    out: list[dict[str, Compared]] = [{} for _ in pairs]
    metrics = {p.metric: M.get_metric(db, p.metric) for p in pairs}
    wanted = [i for i, p in enumerate(pairs) if metrics[p.metric].source == "facts"]
    if not wanted:
        return out
    names = {p.metric: M._member_names(db, p.metric) for p in pairs}
    his = [(M.add_months(p.a_start, p.months), M.add_months(p.b_start, p.months)) for p in pairs]
    params: dict[str, Any] = {
        "pid": wanted,
        "alo": [pairs[i].a_start for i in wanted], "ahi": [his[i][0] for i in wanted],
        "blo": [pairs[i].b_start for i in wanted], "bhi": [his[i][1] for i in wanted],
        "bs": [pairs[i].scenario for i in wanted], "pr": [pairs[i].prorate for i in wanted],
        "by": [pairs[i].by for i in wanted],
        "npid": [i for i in wanted for _ in names[pairs[i].metric]],
        "nname": [n for i in wanted for n in names[pairs[i].metric]],
        # a filter without values keeps nothing: its NULL matches no segment
        "qpid": [i for i in wanted for _, v in pairs[i].filters for _ in (v or (None,))],
        "qdim": [d for i in wanted for d, v in pairs[i].filters for _ in (v or (None,))],
        "qval": [x for i in wanted for _, v in pairs[i].filters for x in (v or (None,))],
        "all_names": sorted({n for i in wanted for n in names[pairs[i].metric]}),
        "lo": min(min(pairs[i].a_start, pairs[i].b_start) for i in wanted),
        "hi": max(max(his[i]) for i in wanted),
    }
    rows = _rows_in_duckdb(db, params) if is_postgres(db) else db.rows(_SQL, params)
    parts: dict[tuple[int, str], dict[int | None, tuple]] = {}
    for r in rows:
        parts.setdefault((r[0], r[1]), {})[r[2]] = r
    for (pid, vseg), by_mo in parts.items():
        pair = pairs[pid]
        averaged = metrics[pair.metric].aggregation == "avg"
        whole = by_mo.get(None)
        if whole is None:
            continue
        out[pid][vseg] = _compared(whole, by_mo, pair, averaged, pair.by)
    return out


def _mean_or_sum(s: Any, n: Any, averaged: bool) -> float | None:
    if s is None or not n:
        return None
    return float(s) / float(n) if averaged else float(s)


def _part(r: tuple, averaged: bool) -> Part:
    _, _, _, a_s, a_n, al_s, al_n, b_whole, b_wn, bl_sw, bl_s, bl_n = r[:12]
    return Part(value=_mean_or_sum(a_s, a_n, averaged), value_like=_mean_or_sum(al_s, al_n, averaged),
                base=_mean_or_sum(bl_s if averaged else bl_sw, bl_n, averaged),
                base_whole=_mean_or_sum(b_whole, b_wn, averaged))


def _compared(whole: tuple, by_mo: dict[int | None, tuple], pair: Pair, averaged: bool, by: str | None) -> Compared:
    expected, reported, extra, missing, bp_s, bp_n, months, cut_mo, cut_d, cut_days, dims = whole[12:]
    noun_dims = [d for d in (dims or []) if d != by]
    noun = " × ".join(noun_dims) or None
    total = _part(whole, averaged)
    has_base = bool(bp_n)
    cover = Coverage(
        expected=int(expected) if noun and has_base else None,
        reported=int(reported) if noun and has_base else None,
        extra=int(extra or 0) if has_base else 0,
        missing=tuple(x for x in (missing or []) if x) if noun and has_base else (),
        noun=noun, months=int(months or 0), months_total=pair.months,
        through_day=int(cut_d) if cut_d is not None and cut_mo in by_mo else None,
        days=int(cut_days) if cut_d is not None and cut_mo in by_mo else None,
        value=total.value_like, base=total.base,
    )
    return Compared(whole=total, base_stored=_mean_or_sum(bp_s, bp_n, averaged), coverage=cover,
                    months={mo: _part(r, averaged) for mo, r in by_mo.items() if mo is not None})


def last_order_day(db: Database) -> dt.date | None:
    """The last order date of the transactions when it is not its month's last day (a month in
    progress), else None. Kept per data version."""
    from . import metrics as M

    def find() -> dt.date | None:
        latest = db.scalar("SELECT max(txn_date) FROM current_transactions")
        if latest is None:
            return None
        latest = latest if isinstance(latest, dt.date) else dt.date.fromisoformat(str(latest)[:10])
        return None if (latest + dt.timedelta(days=1)).day == 1 else latest

    return M._remember(db, ("last order day",), find)


def transactions_cut(db: Database, start: dt.date, months: int) -> tuple[int, int, int] | None:
    """(month offset, day, days in that month) where a span of ``months`` from ``start`` holds the
    last order date of the transactions and that date is not its month's last; None otherwise."""
    from . import metrics as M

    latest = last_order_day(db)
    if latest is None or not start <= latest < M.add_months(start, months):
        return None
    days = (M.add_months(latest, 1) - dt.timedelta(days=1)).day
    return (latest.year * 12 + latest.month) - (start.year * 12 + start.month), latest.day, days


def cut_span(start: dt.date, cut: tuple[int, int, int]) -> tuple[dt.date, dt.date]:
    """[from, to) of the days a span from ``start`` holds through ``cut`` (transactions_cut's)."""
    from . import metrics as M

    month_offset, day, _ = cut
    return start, M.add_months(start, month_offset) + dt.timedelta(days=day)


# ---------------------------------------------------------------------------------- in words


def coverage_text(cover: Coverage | None, lang: str = "zh") -> str:
    """'4 个区域中 3 个已报数（西南未报）' / '3 of 4 区域 reported (西南 missing)', with the
    days or months a period still in progress holds; '' when the comparison is complete."""
    if cover is None:
        return ""
    noun = cover.noun or t("cover.segments", lang)
    parts = []
    if cover.expected is not None and cover.reported is not None and cover.reported < cover.expected:
        text = t("cover.reported", lang, reported=cover.reported, expected=cover.expected, noun=noun)
        if cover.missing:
            shown = list(cover.missing[:5]) + (["…"] if len(cover.missing) > 5 else [])
            text += t("cover.missing", lang, names=shown)
        parts.append(text)
    if cover.extra:
        parts.append(t("cover.extra", lang, n=cover.extra, noun=noun))
    if cover.through_day is not None:
        parts.append(t("cover.through_day", lang, day=cover.through_day, days=cover.days))
    if cover.months < cover.months_total and cover.months:
        parts.append(t("cover.months", lang, months=cover.months, total=cover.months_total))
    return ("；" if lang == "zh" else "; ").join(parts)


def labelled(what: str, text: str, lang: str = "zh") -> str:
    """'销售额：4 个区域中 3 个已报数' — a KPI's name before what is said of it."""
    return f"{what}：{text}" if lang == "zh" else f"{what}: {text}"


def noted(cover: Coverage | None) -> bool:
    """Worth saying beside the numbers: segments missing or left out, or a month cut at a day."""
    return cover is not None and (not cover.segments_complete or cover.through_day is not None)
