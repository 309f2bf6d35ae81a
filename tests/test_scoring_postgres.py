"""The goals page's domain on PostgreSQL (issue 18): like for like (retro.likeforlike), the scorecard,
targets and KPI settings (retro.scoring) give on PostgreSQL what they give in a DuckDB file holding the
same imports. A real throwaway server (tests/postgres_support.py), real workbooks; no mocks.

Two kinds of test:
* the sample imported into both engines, compared: the trends series with their like-for-like columns,
  like-for-like pairs with filters, and every scorecard (months, quarters, years; by nothing and by 区域;
  both forecasts) — numbers to 12 digits (each engine adds a sum's values in its own order), the rest
  exactly;
* the hand-worked tests of tests/test_scoring.py, run again here on a PostgreSQL database: the same
  bodies and the same expected numbers (the module's ``db`` and ``late_region`` fixtures below are
  PostgreSQL's)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math

import pytest

# The hand-worked tests that read or write a database, collected here again with this module's fixtures.
from test_scoring import (  # noqa: F401
    test_a_month_still_in_progress_is_scored_to_the_day,
    test_a_region_whose_actual_is_an_error_cell_is_left_out_of_its_plan,
    test_a_scorecard_reads_every_kpis_series_in_one_batch,
    test_a_users_target_for_the_whole_counts_the_share_of_the_regions_that_reported,
    test_actuals_without_a_plan_are_no_target_not_zero,
    test_imported_plan_is_the_target_and_a_user_target_overrides_it,
    test_one_bad_row_refuses_the_whole_save,
    test_outcome_table_export_neutralises_formulas,
    test_owner_on_an_imported_plan_keeps_the_plan,
    test_period_in_progress_compares_to_date_and_forecasts,
    test_rates_are_scored_on_the_rate_across_segments_and_months,
    test_seasonal_forecast_uses_last_years_shares,
    test_template_example_entered_as_targets_comes_out_exactly,
    test_thresholds_and_weights_from_the_settings,
    test_upsert_logs_and_never_loses_what_was_typed,
    test_user_quarter_target_paced_into_months_replaces_the_imported_months,
    test_with_do_not_score_incomplete_periods_the_period_is_not_scored,
)

from retro import likeforlike as L
from retro import metrics as M
from retro import scoring as S
from retro.bootstrap import load_sample
from retro.db import close_all, get_database


@pytest.fixture
def db(pg_db):
    """The imported tests' database, on the throwaway PostgreSQL (conftest's ``pg_db``)."""
    return pg_db


@pytest.fixture
def late_region(pg_late_region):
    """conftest's ``late_region`` in PostgreSQL (conftest's ``pg_late_region``)."""
    return pg_late_region


@pytest.fixture
def sample_engines(tmp_path, pg_url):
    """The sample, as the first start imports it, in a DuckDB file and in a PostgreSQL database."""
    duck, pg = get_database(tmp_path / "sample.duckdb"), get_database(pg_url)
    for database in (duck, pg):
        assert load_sample(database) is not None
    yield duck, pg
    close_all()


def alike(a, b, path: str = "") -> list[str]:
    """Where two values differ: numbers beyond 12 digits, anything else at all (dataclasses, dicts,
    lists and tuples compared item by item; a dict's keys in any order). An empty list: alike."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return [] if a == b and type(a) is type(b) else [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, int | float) and isinstance(b, int | float):
        if math.isnan(a) and math.isnan(b) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9):
            return []
        return [f"{path}: {a!r} != {b!r}"]
    if dataclasses.is_dataclass(a) and type(a) is type(b):
        return [d for f in dataclasses.fields(a) for d in alike(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")]
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):  # in any order: neither engine orders a query's rows without ORDER BY
            return [f"{path}: keys {sorted(a, key=str)} != {sorted(b, key=str)}"]
        return [d for k in a for d in alike(a[k], b[k], f"{path}[{k!r}]")]
    if isinstance(a, list | tuple) and type(a) is type(b):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in alike(x, y, f"{path}[{i}]")]
    return [] if a == b and type(a) is type(b) else [f"{path}: {a!r} != {b!r}"]


def frame_rows(frame) -> list[dict]:
    """A series frame's rows as Python values (NaN as None), for :func:`alike`."""
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in frame.astype(object).to_dict("records")]


def test_the_trends_series_with_like_for_like_columns_alike_on_both_engines(sample_engines):
    duck, pg = sample_engines
    names = [m.name for m in M.catalog(duck)]
    assert "满意度" in names  # its months hold different segments: its MoM and YoY are like for like
    covered = 0
    for name in names:
        by = (M.dimensions(duck, name) or [None])[0]
        for kw in ({}, {"grain": "quarter"}, {"grain": "year"}, {"by": by}, {"scenario": "plan"}):
            a, b = M.series(duck, name, **kw), M.series(pg, name, **kw)
            assert list(a.columns) == list(b.columns), (name, kw)
            assert not (diff := alike(frame_rows(a), frame_rows(b))), (name, kw, diff[:5])
            covered += sum(c is not None for c in a.get("cover_yoy", [])) + sum(c is not None for c in a.get("cover_mom", []))
    assert covered  # the like-for-like coverage compared, not only the plain numbers
    requests = [M.SeriesRequest("满意度", "month", "actual", "产品线", (("区域", ("华东", "华南")),)),
                M.SeriesRequest("销售额", "month", "actual", None, (("区域", ("华东",)), ("产品线", ("企业版", "标准版"))))]
    for a, b in zip(M.series_many(duck, requests), M.series_many(pg, requests), strict=True):
        assert len(a) and not (diff := alike(frame_rows(a), frame_rows(b))), diff[:5]


def test_like_for_like_pairs_alike_on_both_engines(sample_engines):
    duck, pg = sample_engines
    pairs = [
        L.Pair("满意度", dt.date(2026, 7, 1), dt.date(2025, 7, 1)),  # a segment of this side only
        L.Pair("满意度", dt.date(2026, 3, 1), dt.date(2026, 2, 1), by="区域"),
        L.Pair("销售额", dt.date(2026, 1, 1), dt.date(2026, 1, 1), 3, "plan", True, "区域", (("产品线", ("企业版",)),)),
        L.Pair("销售额", dt.date(2026, 1, 1), dt.date(2025, 1, 1), 12, filters=(("区域", ("华东", "华北")),)),
        L.Pair("销售额", dt.date(2026, 1, 1), dt.date(2025, 1, 1), 3, by="区域", filters=(("产品线", ()),)),  # keeps nothing
        L.Pair("订单数", dt.date(2026, 1, 1), dt.date(2025, 1, 1)),  # transactions: nothing to match
    ]
    a, b = L.compare(duck, pairs), L.compare(pg, pairs)
    assert not (diff := alike(a, b)), diff[:5]
    assert a[0][""].coverage.extra == 1 and a[0][""].coverage.noun
    assert set(a[2]) >= {"华东", "华南"} and a[4] == {} and a[5] == {}


def test_like_for_like_over_months_without_values_is_nothing_on_both_engines(sample_engines):
    """No fact in the span at all (on PostgreSQL DuckDB then computes over an empty read): no comparison."""
    duck, pg = sample_engines
    pairs = [L.Pair("销售额", dt.date(2031, 1, 1), dt.date(2030, 1, 1), 3, by="区域")]
    assert L.compare(duck, pairs) == L.compare(pg, pairs) == [{}]


SAMPLE_PERIODS = ["2025-06", "2026-01", "2026-07", "2026-10", "2026-12", "2025-Q4", "2026-Q3", "2026-Q4", "2025", "2026"]


def test_every_scorecard_of_the_sample_alike_on_both_engines(sample_engines):
    duck, pg = sample_engines
    for period in SAMPLE_PERIODS:
        for by in (None, "区域"):
            for forecast in ("straight", "seasonal"):
                a = S.scorecard_json(S.scorecard(duck, period, by=by, forecast=forecast))
                b = S.scorecard_json(S.scorecard(pg, period, by=by, forecast=forecast))
                assert a["rows"] and not (diff := alike(a, b)), (period, by, forecast, diff[:5])
    assert S.period_options(pg, "month") == S.period_options(duck, "month")
    assert S.period_options(pg, "year") == S.period_options(duck, "year")


def test_a_target_upserted_on_postgres_shows_in_the_scorecard_as_on_duckdb(sample_engines):
    duck, pg = sample_engines
    items = [S.TargetInput("销售额", "2026-Q4", 1500.0, {"区域": "华东"}, pacing="seasonal", owner="王芳"),
             S.TargetInput("销售额", "2026-11", 9999.0),
             S.TargetInput("满意度", "2026-Q4", None, vs_last_year=0.05, owner="李雷")]
    settings = [S.KpiSettings("销售额", weight=3.0, green=1.05, amber=0.9, cap=1.3, incomplete="skip")]
    for database in sample_engines:
        assert S.upsert_targets(database, items, actor="test") == S.SaveResult(3, 0, 0)
        assert S.save_settings(database, settings, actor="test") == 1
    assert S.kpi_settings(pg) == S.kpi_settings(duck) and S.kpi_settings(pg)["销售额"].incomplete == "skip"
    november = [r for r in S.scorecard(pg, "2026-11").rows if r.metric == "销售额"]
    assert [(r.plan, r.target_source) for r in november] == [(9999.0, "user")]
    east = [r for r in S.scorecard(pg, "2026-Q4", by="区域").rows if r.metric == "销售额" and r.segment == "华东"]
    assert [(r.plan_full, r.target_source, r.owner) for r in east] == [(1500.0, "user", "王芳")]  # Q4 in progress
    for period, by in (("2026-11", None), ("2026-Q4", "区域"), ("2026-10", "区域"), ("2026", None)):
        a, b = S.scorecard_json(S.scorecard(duck, period, by=by)), S.scorecard_json(S.scorecard(pg, period, by=by))
        assert not (diff := alike(a, b)), (period, by, diff[:5])
    stamps = ["created_at", "updated_at"]  # each engine's clock
    listed = S.list_targets(pg)
    assert not (diff := alike(frame_rows(S.list_targets(duck).drop(columns=stamps)), frame_rows(listed.drop(columns=stamps))))
    assert sorted(str(d) for d in listed["dims"]) == ["{'区域': '华东'}", "{}", "{}"]
    # an update, a delete and its undo, alike
    for database in sample_engines:
        assert S.upsert_targets(database, [S.TargetInput("销售额", "2026-11", 8000.0)]).updated == 1
        target = int(S.list_targets(database).query("label == '2026-11'")["id"].iloc[0])
        assert S.delete_targets(database, [target]) == 1
        log_id = int(S.change_log(database)["id"].iloc[0])
        S.restore_target(database, log_id)
    restored = json.loads(S.change_log(pg)["after"].iloc[0])
    assert (restored["metric"], restored["value"]) == ("销售额", 8000.0)
    a = S.scorecard_json(S.scorecard(duck, "2026-11"))
    assert not (diff := alike(a, S.scorecard_json(S.scorecard(pg, "2026-11")))), diff[:5]
    assert [r["plan"] for r in a["rows"] if r["metric"] == "销售额"] == [8000.0]
