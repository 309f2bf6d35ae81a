"""The overview's reads, in the process-wide memo (``retro.memo.shared``), keyed on the database
file and its data version (a review edit bumps it too), so an import or a saved measure makes them
unreachable. The headline comes from the goals page's own memoised scorecard (``retro.ui.goals.card``):
one computation, the same numbers on both pages."""

from __future__ import annotations

import datetime as dt

from .. import overview as O
from ..db import get_database
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
