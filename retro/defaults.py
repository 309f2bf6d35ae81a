"""What a session opens on: the latest import's newest complete month and main metric, and the
view the team shares (the meeting's review and period), kept in the database.

The latest import
    The import with the highest id that still holds current values (facts or transactions no later
    import replaced). Import ids only grow, so this is the last upload still in effect; an undone
    import is gone and its predecessor is the latest again.

Its newest complete month
    The newest month with actual values from that import that is complete:

    1. it has ended: its last day is before today. The month of today (and any later one) is still
       in progress: its figures are month-to-date, or a forecast typed into the actual column;
    2. at least as many of the import's metrics have an actual value in it as in the import's month
       before it. A month where some KPIs are in and others not yet (sales counted, retention or
       satisfaction only at month end) is still being filled in. A transactions sheet counts as
       one metric; plan and forecast values do not count;
    3. when the import holds daily values or transactions, it is not the month of the last day
       they reach, unless that day is the month's last: an export run on the 20th holds its month
       up to the 20th.

    When no month passes (an import of one month still in progress), the import's newest month with
    actual values; an import with none (a plan, next year's targets) gives no month, and the caller
    keeps the newest month with actual data in the database (the default before imports counted).

Its main metric
    Among the metrics a user can pick (the catalog's visible ones; a name merged into another counts
    as the one it was merged into), those the import holds: the one with the most actual values
    in the import, then the most values of any scenario, ties going to the catalog's order (category,
    then name). An import of transactions only: its first measure in the catalog's order, else the
    order count.

The team's view
    One row of ``settings`` (``team_view``): the active period and review, the latest import when it
    was set, and a revision counted up on each change. An editor's choice in the sidebar (or a page
    making a review active) writes it; a viewer's choice stays in their session (viewers change
    nothing). A new session opens on it, a link's ``?period=``/``?review=`` overriding it for that
    session; a session whose last seen revision or latest import differs follows it on its next
    rerun. A period set before a newer import that has a complete month of its own is stale while
    the team has no active review: the new data's month is the view until someone picks again (with
    a review active, the meeting's period holds). No view stored yet: the review in meeting, if one is.
    Writing it does not bump the data version: a period change is not a data change, and a bump
    would throw away every session's cached views. On PostgreSQL, where several app servers share
    one database, every look reads it, and each choice counts one revision whichever server wrote
    the one before (a share holds the row until it commits).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import metrics as M
from .db import Database, is_postgres

TEAM_VIEW_KEY = "team_view"


# --------------------------------------------------------------------------- the latest import


def latest_import(db: Database) -> int | None:
    return db.scalar(
        """SELECT max(id) FROM imports i
           WHERE EXISTS (SELECT 1 FROM fact_rows f WHERE f.import_id = i.id AND f.replaced_by IS NULL)
              OR EXISTS (SELECT 1 FROM transactions x WHERE x.import_id = i.id AND x.replaced_by IS NULL)"""
    )


def _month_end(month: dt.date) -> dt.date:
    return M.add_months(month, 1) - dt.timedelta(days=1)


def complete_period(db: Database, import_id: int, today: dt.date | None = None) -> str | None:
    """The import's newest complete month ('2026-06'), by the rules of the module docstring."""
    today = today or dt.date.today()
    coverage: dict[dt.date, int] = {}
    last_day: dt.date | None = None
    for month, metrics, newest_day in db.rows(
        """SELECT date_trunc('month', period)::DATE, count(DISTINCT metric), max(period) FILTER (WHERE grain = 'day')
           FROM fact_rows WHERE import_id = ? AND replaced_by IS NULL AND scenario = 'actual'
             AND value IS NOT NULL AND grain IN ('month', 'day')
           GROUP BY 1""", [import_id]):
        coverage[month] = coverage.get(month, 0) + metrics
        last_day = max(filter(None, (last_day, newest_day)), default=None)
    for month, sheets, newest_day in db.rows(
        """SELECT date_trunc('month', txn_date)::DATE, count(DISTINCT sheet_name), max(txn_date)
           FROM transactions WHERE import_id = ? AND replaced_by IS NULL GROUP BY 1""", [import_id]):
        coverage[month] = coverage.get(month, 0) + sheets
        last_day = max(filter(None, (last_day, newest_day)), default=None)
    if not coverage:
        return None
    months = sorted(coverage)
    complete = []
    for i, month in enumerate(months):
        ended = _month_end(month) < today
        filled = i == 0 or coverage[month] >= coverage[months[i - 1]]
        reached = last_day is None or M.truncate(last_day, "month") != month or last_day == _month_end(month)
        if ended and filled and reached:
            complete.append(month)
    return M.period_label((complete or months)[-1], "month")


def main_metric(db: Database, import_id: int) -> str | None:
    """The import's main metric (a catalog name), by the rules of the module docstring."""
    every = M.catalog(db, include_merged=True)
    pickable = [m.name for m in M.catalog(db)]
    order = {name: i for i, name in enumerate(pickable)}
    target = {m.name: m.merged_into or m.name for m in every}
    counts: dict[str, list[int]] = {}
    for metric, actual, values in db.rows(
        """SELECT metric, count(value) FILTER (WHERE scenario = 'actual'), count(value)
           FROM fact_rows WHERE import_id = ? AND replaced_by IS NULL GROUP BY metric""", [import_id]):
        name = target.get(metric, metric)
        if name in order:
            total = counts.setdefault(name, [0, 0])
            total[0] += actual
            total[1] += values
    if counts:
        return min(counts, key=lambda n: (-counts[n][0], -counts[n][1], order[n]))
    measures = {r[0] for r in db.rows(
        """SELECT DISTINCT unnest(map_keys(measures)) FROM transactions
           WHERE import_id = ? AND replaced_by IS NULL""", [import_id])}
    has_orders = db.scalar("SELECT count(*) FROM transactions WHERE import_id = ? AND replaced_by IS NULL",
                           [import_id])
    mapped = {target.get(x, x) for x in measures}
    named = [n for n in pickable if n in mapped]
    if named:
        return named[0]
    return M.TX_ORDERS if has_orders and M.TX_ORDERS in order else None


def default_period(db: Database, today: dt.date | None = None) -> str | None:
    """The latest import's newest complete month; None when there is no import or it holds no actual month."""
    latest = latest_import(db)
    return None if latest is None else complete_period(db, latest, today)


def default_metric(db: Database) -> str | None:
    """The latest import's main metric; None when there is no import."""
    latest = latest_import(db)
    return None if latest is None else main_metric(db, latest)


# --------------------------------------------------------------------------- the team's view


@dataclass(frozen=True)
class TeamView:
    period: str | None
    review_id: int | None
    import_id: int | None  # the latest import when the view was set: a newer one makes its period stale
    revision: int
    actor: str | None = None


@dataclass(frozen=True)
class Opening:
    """What a session shows: the period, the review, and a token that changes whenever the team's
    view or the latest import does (a session that saw another token follows)."""
    period: str | None
    review_id: int | None
    token: tuple


_views: weakref.WeakKeyDictionary[Database, tuple[int, TeamView | None]] = weakref.WeakKeyDictionary()
_views_lock = threading.Lock()  # a read that missed and a write: the kept copy is never older than the stored one


def _parse(raw: str | None) -> TeamView | None:
    if not raw:
        return None
    try:
        data = json.loads(raw)
        review = data.get("review")
        return TeamView(data.get("period"), int(review) if review is not None else None, data.get("import"),
                        int(data.get("revision") or 0), data.get("actor"))
    except (ValueError, TypeError, AttributeError):
        return None  # a row from elsewhere that is not ours: as if no view were stored


def team_view(db: Database) -> TeamView | None:
    """The stored view, None before anyone chose. In a DuckDB file read once per data version and
    process (every sidebar asks on every rerun); this process's writes update the kept copy, and no
    other process can write while this one holds the file. On PostgreSQL other app servers write it
    (without bumping the data version): read on every call, one row, as the data version itself is."""
    if is_postgres(db):
        return _parse(db.get_setting(TEAM_VIEW_KEY))
    version = db.data_version()
    kept = _views.get(db)
    if kept is not None and kept[0] == version:
        return kept[1]
    with _views_lock:
        view = _parse(db.get_setting(TEAM_VIEW_KEY))
        _views[db] = (version, view)
    return view


def share_view(db: Database, *, period: str | None, review_id: int | None, actor: str | None = None) -> TeamView:
    """Make ``period`` and ``review_id`` the team's view. Refused for a viewer (db.transaction)."""
    with _views_lock:
        latest = latest_import(db)
        with db.transaction() as cur:
            # Hold the row first (made when missing, left as it is): on PostgreSQL another app server's
            # share waits here until this one commits and then reads its revision, so each choice
            # counts one (read, then written, they had both counted the same one). The lock above
            # keeps one process's in turn; a DuckDB file has no other writer.
            cur.execute("INSERT INTO settings VALUES (?, NULL) ON CONFLICT (key) DO UPDATE SET value = settings.value",
                        [TEAM_VIEW_KEY])
            found = cur.execute("SELECT value FROM settings WHERE key = ?", [TEAM_VIEW_KEY]).fetchone()
            before = _parse(found[0] if found else None)
            view = TeamView(period, None if review_id is None else int(review_id), latest,
                            (before.revision if before else 0) + 1, actor)
            cur.execute(
                "INSERT INTO settings VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [TEAM_VIEW_KEY, json.dumps({"period": view.period, "review": view.review_id, "import": latest,
                                            "revision": view.revision, "actor": actor}, ensure_ascii=False)],
            )
        _views[db] = (db.data_version(), view)
    return view


def token(view: TeamView | None, latest: int | None) -> tuple:
    return (view.revision if view else 0, latest)


def resolve(view: TeamView | None, latest: int | None, periods: Sequence[str], reviews: Sequence[Any],
            default: str | None, *, latest_has_month: bool) -> Opening:
    """The period and review a session shows now (``periods``: the months with data; ``reviews``:
    retro.reviews.Review; ``default``: the month a session opens on without the team's, retro.ui's
    default_period; ``latest_has_month``: the latest import has a month of its own, see
    :func:`complete_period`).

    The team's period holds while it has data, unless an import newer than the choice brought a
    complete month of its own and the team has no active review: the meeting's review keeps its
    period when someone imports next month's file mid-meeting, a plan-only import moves nothing."""
    ids = {r.id for r in reviews}
    if view is not None:
        review = view.review_id if view.review_id in ids else None
    else:  # nobody chose yet (or a database from before the view was kept): the meeting going on
        review = next((r.id for r in reviews if r.status == "in_meeting"), None)
    newer = latest is not None and view is not None and (view.import_id or 0) < latest
    stale = newer and latest_has_month and review is None
    period = view.period if view is not None and view.period in periods and not stale else default
    return Opening(period, review, token(view, latest))
