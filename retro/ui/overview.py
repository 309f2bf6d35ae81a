"""The overview's reads, in the process-wide memo (``retro.memo.shared``), keyed on the database
file and a version: the numbers' version for what imports and targets change (the headline, the
changes, the latest import, what the database holds — a review edit leaves them, as it leaves the goals
page's scorecard), the data version for the measures (every review edit bumps it). The headline comes from the goals page's own memoised scorecard (``retro.ui.goals.card``):
one computation, the same numbers on both pages."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from .. import overview as O
from ..db import get_database
from ..ingest import data_summary, metric_inventory
from ..memo import shared
from . import goals as G


def headline(path: str, version: int, period: str) -> O.Headline:
    return O.headline_of(G.card(path, version, period, None, O.FORECAST))


@shared(16)
def changes(path: str, version: int, period: str) -> O.Changes:
    db = get_database(path)
    return O.changes(db, period, O.main_metrics(db, headline(path, version, period)))


@shared(8)
def measures(path: str, version: int, today: dt.date) -> O.Measures:
    return O.measures(get_database(path), today)


@shared(8)
def latest_import(path: str, version: int) -> O.LatestImport | None:
    return O.latest_import(get_database(path))


@shared(8)
def own_data(path: str, version: int) -> bool:
    return O.own_data(get_database(path))


@shared(8)
def holdings(path: str, numbers: int) -> tuple[dict, int, pd.DataFrame]:
    """What the database holds (the folded inventory): its counts, how many months, and per metric and
    scenario. Each scans every stored value: ~2 s on PostgreSQL at 2M values, so once per version."""
    db = get_database(path)
    months = db.scalar("SELECT count(DISTINCT date_trunc('month', period)) FROM current_facts")
    return data_summary(db), months, metric_inventory(db)
