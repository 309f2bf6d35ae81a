"""The goals page's reads, in the process-wide memo (``retro.memo.shared``): keyed on the database
file and its data version, so an import or a target edit makes them unreachable. In a module, not
the page, so each memo is made once per process, not on every rerun."""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import pandas as pd

from .. import metrics as M
from .. import scoring as S
from ..charts import spec_of
from ..db import get_database
from ..memo import keyed, shared

_specs = keyed(64)


def chart_spec(key: tuple, build: Callable[[], alt.TopLevelMixin]) -> dict:
    """A chart's Vega-Lite spec, built once per ``key``: the page passes the JSON of the chart's rows and
    everything else the chart shows (language, labels). Building it cost most of a warm rerun."""
    return _specs(key, lambda: spec_of(build()))


@shared(64)
def card(path: str, version: int, label: str, by: str | None, forecast: str) -> S.Scorecard:
    return S.scorecard(get_database(path), label, by=by, forecast=forecast)


@shared(16)
def owners(path: str, version: int, label: str, forecast: str) -> list[S.OwnerScore]:
    return S.owner_scorecards(get_database(path), label, forecast=forecast)


@shared(32)
def progress(path: str, version: int, metric: str, year: int, by: str | None, segment: str) -> pd.DataFrame:
    return S.year_progress(get_database(path), metric, year, by=by, segment=segment)


@shared(16)
def options(path: str, version: int, grain: str) -> list[str]:
    return S.period_options(get_database(path), grain)


@shared(8)
def catalog(path: str, version: int) -> list[M.Metric]:
    return M.catalog(get_database(path))


@shared(32)
def dimensions(path: str, version: int) -> list[str]:
    return M.dimensions(get_database(path))


@shared(64)
def values(path: str, version: int, dimension: str) -> list[str]:
    return M.dimension_values(get_database(path), dimension)
