"""The goals page's reads, in the process-wide memo (``retro.memo.shared``): keyed on the database
file and its data version, so an import or a target edit makes them unreachable. In a module, not
the page, so each memo is made once per process, not on every rerun.

After a write every view is cold, and a period change needs several scorecards at once (the period's,
its total when split, the period before for the overall's change, the owners'): :func:`prefetch`
computes those missing side by side on two threads (DuckDB and pandas release the interpreter for
most of a scorecard: ~0.4 s → ~0.2 s for two on the two-core server), each kept in its memo."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import altair as alt
import pandas as pd

from .. import metrics as M
from .. import reviews as R
from .. import scoring as S
from ..charts import Spec, spec_of
from ..db import get_database
from ..memo import keyed, shared

_specs = keyed(64)


def chart_spec(key: tuple, build: Callable[[], alt.TopLevelMixin | Spec]) -> dict:
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


@shared(16)
def targets(path: str, version: int) -> pd.DataFrame:
    """Every stored target (the "all targets" tab): read once per data version, not on every rerun."""
    return S.list_targets(get_database(path))


@shared(16)
def change_log(path: str, version: int) -> pd.DataFrame:
    return S.change_log(get_database(path))


@shared(16)
def settings(path: str, version: int) -> dict[str, S.KpiSettings]:
    return S.kpi_settings(get_database(path))


@dataclass(frozen=True)
class Needs:
    """The needs-analysis block of one scorecard: each flagged KPI with what its button offers, the
    review a problem of the period goes in, and that review's process view."""

    review_id: int | None  # the open review covering the period (the active one if it does), None if none yet
    rows: tuple[tuple[S.KpiRow, str], ...]  # (row, state): "kept" | "keep" (a success), "logged" | "log" (a problem)
    process: R.ProcessView | None  # the covering review's tasks, for a month or quarter


@shared(64)
def needs(path: str, version: int, numbers: int, label: str, by: str | None, forecast: str, show_all: bool,
          active_id: int | None) -> Needs:
    """:class:`Needs` for the scorecard ``card(path, numbers, label, by, forecast)``: one lookup of the
    covering review instead of one per KPI and rerun; every write (a problem logged) bumps ``version``,
    a problem logged leaves ``numbers`` (the scorecard stays kept)."""
    db = get_database(path)
    scored = card(path, numbers, label, by, forecast)
    active = R.get_review(db, active_id) if active_id is not None else None
    covering = R.review_covering(db, active, scored.label)
    state = []
    for r in S.needs_analysis([r for r in scored.rows if show_all or r.has_target]):
        segment = {by: r.segment} if by and r.segment else {}
        if r.status == "green":  # beyond plan: a success to keep, as in meeting mode — not a problem
            kept = R.kpi_success_kept(db, covering.id if covering else None, r, segment)
            state.append((r, "kept" if kept else "keep"))
        else:
            logged = covering is not None and R.logged_problem(db, covering.id, r.metric, segment, r.period, r.grain)
            state.append((r, "logged" if logged else "log"))
    process = R.process_view(db, covering) if covering is not None and scored.grain in ("month", "quarter") else None
    return Needs(covering.id if covering else None, tuple(state), process)


_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="retro-goals")


def prefetch(path: str, version: int, cards: list[tuple[str, str | None, str]], owners_of: tuple[str, str] | None) -> None:
    """Compute, side by side, those of the scorecards ``card(path, version, label, by, forecast)`` for
    ``cards`` and of ``owners(path, version, label, forecast)`` for ``owners_of`` that are not kept
    yet. A session asking for one of them meanwhile waits for it (``Memo.reserve``) instead of
    computing it again. A failure is raised here, and the views not computed are left to the caller."""
    jobs: list[tuple[object, Hashable, Callable[[], object]]] = []
    taken = card.memo.reserve([(path, version, *c) for c in cards])  # type: ignore[attr-defined]
    jobs += [(card.memo, k, lambda k=k: S.scorecard(get_database(path), k[2], by=k[3], forecast=k[4]))  # type: ignore[attr-defined]
             for k in taken]
    if owners_of is not None:
        for k in owners.memo.reserve([(path, version, *owners_of)]):  # type: ignore[attr-defined]
            jobs.append((owners.memo, k, lambda k=k: S.owner_scorecards(get_database(path), k[2], forecast=k[3])))  # type: ignore[attr-defined]
    if len(jobs) == 1:  # nothing to do side by side: computed here, without a thread hop
        memo, key, build = jobs[0]
        try:
            memo.put(key, build())  # type: ignore[attr-defined]
        finally:
            memo.release(key)  # type: ignore[attr-defined]
        return
    futures = [(memo, key, _pool.submit(build)) for memo, key, build in jobs]
    error: BaseException | None = None
    for memo, key, future in futures:
        try:
            memo.put(key, future.result())  # type: ignore[attr-defined]
        except BaseException as exc:  # noqa: BLE001 - every reserved key is put or released, then raised
            memo.release(key)  # type: ignore[attr-defined]
            error = error or exc
    if error is not None:
        raise error
