"""The overview: the meeting's front page as plain data (``pages/home.py`` draws it).

What the room asks first, in the order the page answers it. Each rule here is what the page says.

The period
    The active period (the sidebar's month, ``retro.ui.active_period()``; the team's view, see
    retro.defaults) at month grain. It is compared with the calendar month before it; a month
    with no data before it has no change, never the change on an older month.

Headline KPIs
    The goals page's scorecard of that month (:func:`retro.scoring.scorecard`, no breakdown, the
    goals page's default forecast ``seasonal``): the KPIs with a target, in the scorecard's order
    (red first, the worst attainment first inside a status), at most :data:`HEADLINE_MAX`. Their
    attainment, deviation and status, and the overall score with the red/amber/green counts, are
    the scorecard's own numbers: the goals page shows the same for the same month.

What changed since the month before
    Every visible metric's total this month against the month before (MoM), from one
    :func:`retro.metrics.series_many` query: DuckDB's window functions take the value exactly one
    calendar month before (like for like: where the two months hold different segments the change
    is over what both hold). The main metrics are the headline KPIs, then the latest import's main
    metric and the cards the trends page puts beside it (:func:`retro.metrics.key_metrics`), at most
    :data:`MAIN_MAX`. The biggest movers are the other metrics with the largest relative change,
    at most :data:`MOVERS_MAX`. A change is good or bad by the metric's direction (a rising cost
    is bad). For the first summed main metric with dimensions, the segment that moved its total
    most, over each of its dimensions (:func:`retro.metrics.breakdown_from_series`; a rate's change
    does not add up over segments, so rates have none).

Measures
    Open: planned, in progress, or done and waiting for its check (``retro.reviews.OPEN_MEASURES``),
    in any review, not deleted. Overdue: open, not yet done (planned or in progress), and its due
    date before today (:func:`retro.reviews.is_overdue`). Overdue first, then by due date.

The latest import
    The newest row of ``imports``: file, when, sheets, values stored, the months it covers and
    whether it agreed with its sheets' own totals (``reconciled``: match, accepted, unchecked, or
    unknown before that was kept).

The sample banner
    Shown while the bundled sample is the only data: once any import that is not the sample is in
    (:func:`own_data`), the page no longer says "this is sample data".

No Streamlit here; every query is parameterised.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import defaults
from . import metrics as M
from . import reviews as R
from . import scoring as S
from .db import Database

HEADLINE_MAX = 6
MAIN_MAX = 4
MOVERS_MAX = 4
FORECAST = "seasonal"  # the goals page's default: the same numbers for the same month


@dataclass(frozen=True)
class Headline:
    """The goals page's scorecard of the month, reduced to what the front page shows."""

    period: str
    overall: float | None
    counts: dict[str, int]  # status → how many KPIs (red, amber, green, no_target …)
    rows: tuple[S.KpiRow, ...]  # the headline KPIs: targeted totals, red first


@dataclass(frozen=True)
class Change:
    metric: str
    value: float | None
    prev: float | None
    mom: float | None  # relative change on the month before (like for like)
    delta: float | None  # absolute change (this month over what both hold − last month)
    direction: str
    unit: str | None
    is_rate: bool
    number_format: str

    @property
    def tone(self) -> str:
        """'good', 'bad' or 'flat' by the metric's direction."""
        if self.delta is None or abs(self.delta) < 1e-12:
            return "flat"
        return "good" if (self.delta > 0) == (self.direction != "down") else "bad"


@dataclass(frozen=True)
class Driver:
    """The segment that moved a main metric's total most, and its share of the total's change."""

    metric: str
    dimension: str
    segment: str
    change: float
    contribution: float | None  # change / the total's change


@dataclass(frozen=True)
class Changes:
    period: str
    previous: str
    main: tuple[Change, ...]
    movers: tuple[Change, ...]
    driver: Driver | None


@dataclass(frozen=True)
class Measures:
    open: tuple[dict, ...]  # open measures, overdue first, then by due date
    overdue: int

    @property
    def count(self) -> int:
        return len(self.open)


@dataclass(frozen=True)
class LatestImport:
    id: int
    file_name: str
    dataset: str | None
    imported_at: dt.datetime
    sheets: tuple[str, ...]
    values: int
    period_min: str | None
    period_max: str | None
    reconciled: str | None  # 'match' | 'accepted' | 'unchecked' | None (before this was kept)
    is_sample: bool
    actor: str | None


def headline(db: Database, period: str) -> Headline:
    """The headline KPIs of ``period`` ('2026-10'), as the goals page scores them."""
    return headline_of(S.scorecard(db, period, forecast=FORECAST))


def headline_of(card: S.Scorecard) -> Headline:
    """:func:`headline` from a scorecard the caller has (the goals page's memoised one)."""
    counts = {s: sum(1 for r in card.rows if r.status == s) for s in S.STATUSES}
    rows = tuple(r for r in card.rows if r.has_target and not r.segment)[:HEADLINE_MAX]
    return Headline(card.label, card.overall, counts, rows)


def main_metrics(db: Database, head: Headline | None = None) -> list[str]:
    """The metrics whose change the page shows first: the headline KPIs, then the latest import's
    main metric and the trends page's cards beside it; visible ones only, at most MAIN_MAX."""
    catalog = M.catalog(db)
    names = [m.name for m in catalog]
    out = [r.metric for r in (head.rows if head else ()) if r.metric in names]
    main = defaults.default_metric(db)
    main = main if main in names else (names[0] if names else None)
    if main is not None:
        out += M.key_metrics(main, catalog, M.metrics_together(db, main))
    return list(dict.fromkeys(out))[:MAIN_MAX]


def changes(db: Database, period: str, main: list[str] | None = None) -> Changes:
    """Every visible metric's month against the month before; the main ones, the biggest movers
    among the rest, and the segment behind the first main metric's change (see the module's rules)."""
    month = M.truncate(M.period_start(period), "month")
    previous = M.period_label(M.add_months(month, -1), "month")
    catalog = {m.name: m for m in M.catalog(db)}
    main = [n for n in (main if main is not None else main_metrics(db)) if n in catalog]
    names = list(catalog)
    driver_of = next(((n, d) for n in main if catalog[n].source != "derived" and not catalog[n].is_rate
                      for d in [M.dimensions(db, n)] if d), None)
    requests = [M.SeriesRequest(n, "month", "actual", None, (), month, month) for n in names]
    if driver_of:
        requests += [M.SeriesRequest(driver_of[0], "month", "actual", d, (), month, month) for d in driver_of[1]]
    frames = M.series_many(db, requests) if requests else []
    totals = _month_rows(frames[:len(names)], names, month)
    rows = {}
    for name, value, prev, mom, delta in zip(totals["metric"], totals["value"], totals["prev"], totals["mom"],
                                             totals["delta"], strict=True):
        m = catalog[name]
        rows[name] = Change(name, _num(value), _num(prev), _num(mom), _num(delta), m.direction, m.unit, m.is_rate,
                            m.number_format)
    shown_main = tuple(rows[n] for n in main if n in rows)
    others = totals[~totals["metric"].isin(main) & totals["mom"].notna()]
    order = others["mom"].abs().sort_values(ascending=False, kind="stable").index[:MOVERS_MAX]
    movers = tuple(rows[n] for n in others.loc[order, "metric"])
    found = [_driver(catalog[driver_of[0]], d, f, month) for d, f in zip(driver_of[1], frames[len(names):], strict=True)
             ] if driver_of else []
    found = [d for d in found if d is not None]
    driver = max(found, key=lambda d: abs(d.change)) if found else None  # first dimension on a tie
    return Changes(M.period_label(month, "month"), previous, shown_main, movers, driver)


def _month_rows(frames: list[pd.DataFrame], names: list[str], month: dt.date) -> pd.DataFrame:
    """One row per metric holding ``month``: value, prev, mom and the absolute change like for like."""
    columns = ["metric", "value", "prev", "mom", "delta"]
    if not frames:
        return pd.DataFrame(columns=columns)
    frame = pd.concat([f.assign(metric=n) for f, n in zip(frames, names, strict=True)], ignore_index=True)
    frame = frame[(frame["period"] == month) & (frame["segment"] == "") & frame["value"].notna()]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    covers = frame["cover_mom"] if "cover_mom" in frame else pd.Series([None] * len(frame), index=frame.index)
    compared = [c.value if c is not None and c.value is not None else v
                for c, v in zip(covers.tolist(), frame["value"].tolist(), strict=True)]
    prev = frame["prev"].astype(float)
    delta = np.asarray(compared, dtype=float) - prev.to_numpy()
    return pd.DataFrame({"metric": frame["metric"].to_numpy(), "value": frame["value"].astype(float).to_numpy(),
                         "prev": prev.to_numpy(), "mom": frame["mom"].astype(float).to_numpy(), "delta": delta},
                        index=frame["metric"].to_numpy())


def _driver(m: M.Metric, dimension: str, segments: pd.DataFrame, month: dt.date) -> Driver | None:
    parts = M.breakdown_from_series(m, segments, month, compare="mom")
    parts = parts[parts["change"].notna()]
    if parts.empty or parts["change"].abs().max() < 1e-12:
        return None
    top = parts.loc[parts["change"].abs().idxmax()]
    contribution = top["contribution"] if "contribution" in parts and top["contribution"] is not None else None
    return Driver(m.name, dimension, str(top["segment"]), float(top["change"]), _num(contribution))


def measures(db: Database, today: dt.date | None = None) -> Measures:
    """The open measures of every review, overdue first, then by due date (see the module's rules)."""
    today = today or dt.date.today()
    found = [dict(m, overdue=R.is_overdue(m, today)) for m in R.items(db, "measure")
             if m.get("status") in R.OPEN_MEASURES]
    found.sort(key=lambda m: (not m["overdue"], m.get("due") or dt.date.max, m["id"]))
    return Measures(tuple(found), sum(1 for m in found if m["overdue"]))


def latest_import(db: Database) -> LatestImport | None:
    """The newest import: what it brought, and whether its sheets' own totals agreed."""
    row = db.one(
        """SELECT id, file_name, dataset, imported_at, sheets, row_count, period_min, period_max, reconciled,
                  is_sample, actor
           FROM imports ORDER BY id DESC LIMIT 1""")
    if row is None:
        return None
    return LatestImport(int(row[0]), row[1], row[2], row[3], tuple(row[4] or ()), int(row[5]), row[6], row[7], row[8],
                        bool(row[9]), row[10])


def own_data(db: Database) -> bool:
    """True once any import is not the bundled sample: the sample banner is no longer shown."""
    return bool(db.scalar("SELECT count(*) FROM imports WHERE NOT is_sample"))


def _num(value: object) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else f
