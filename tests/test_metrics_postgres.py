"""retro.metrics on PostgreSQL (issue 18): what the trends page reads on its first open — the catalog
(synced from the data), the dimensions and their values, the metrics stored together, the notes — is
the same on PostgreSQL as in a DuckDB file holding the same imports. A real throwaway server
(tests/postgres_support.py), real workbooks; no mocks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from retro import metrics as M
from retro.db import PostgresDatabase, close_all, get_database
from retro.ingest import analyze_bytes, store_import
from retro.sample import SAMPLE_PATH

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "files"
# The sample (facts with a cost heading, plans, orders with measures), bike orders (transactions only),
# a P&L pivot by Region and Account Group (cost headings as dimension values).
FILES = (SAMPLE_PATH, CORPUS / "cn_bike_orders.xlsx", CORPUS / "en_pnl_pivot_budget.xlsx")
NOW = dt.datetime(2026, 4, 2, 9, 30)


@pytest.fixture
def engines(tmp_path, pg_url):
    """The same imports in a DuckDB file and in a PostgreSQL database."""
    duck, pg = get_database(tmp_path / "same.duckdb"), get_database(pg_url)
    assert isinstance(pg, PostgresDatabase)
    for db in (duck, pg):
        for path in FILES:
            store_import(db, analyze_bytes(db, path.read_bytes(), path.name), now=NOW)
    yield duck, pg
    close_all()


def test_the_catalog_is_synced_alike_on_both_engines(engines):
    duck, pg = engines
    every = {"include_hidden": True, "include_merged": True, "include_absent": True}
    same = M.catalog(duck, **every)
    assert M.catalog(pg, **every) == same and len(same) > 20
    assert {m.source for m in same} == {"facts", "transactions"}
    assert any(m.reasons and '"dims"' in m.reasons for m in same)  # a cost heading read from a dimension value
    # an edit and a merge kept by the catalog alike (user_set, the merge target's members)
    facts = [m.name for m in same if m.source == "facts"]
    for db in engines:
        M.update_metric(db, facts[0], label_en="Renamed", direction="down")
        M.merge_metrics(db, facts[1], facts[2])
    assert M.catalog(pg, **every) == M.catalog(duck, **every)
    assert M._member_names(pg, facts[2]) == M._member_names(duck, facts[2]) == [facts[2], facts[1]]


def test_dimensions_their_values_and_metrics_together_alike_on_both_engines(engines):
    duck, pg = engines
    assert M.dimensions(pg) == M.dimensions(duck) and {"区域", "Region", "客户省份"} <= set(M.dimensions(duck))
    for dimension in M.dimensions(duck):
        assert M.dimension_values(pg, dimension) == M.dimension_values(duck, dimension), dimension
    for m in M.catalog(duck):
        assert M.dimensions(pg, m.name) == M.dimensions(duck, m.name), m.name
        for dimension in M.dimensions(duck, m.name):
            assert M.dimension_values(pg, dimension, m.name) == M.dimension_values(duck, dimension, m.name)
        if m.source == "facts":
            assert M.metrics_together(pg, m.name) == M.metrics_together(duck, m.name)
            assert M.annotations(pg, m.name).equals(M.annotations(duck, m.name))


def _same(a, b) -> bool:
    """Two series frames hold the same rows: text and dates exactly, numbers to 12 digits (the engines
    add a sum's values in their own order: 4216.999999999999 and 4217.0)."""
    import numpy as np

    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    for column in a.columns:
        x, y = a[column], b[column]
        if x.dtype.kind in "fiu" and y.dtype.kind in "fiu":
            xv, yv = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
            if not (np.isclose(xv, yv, rtol=1e-12, atol=1e-9) | (np.isnan(xv) & np.isnan(yv))).all():
                return False
        elif [repr(v) for v in x] != [repr(v) for v in y]:
            return False
    return True


@pytest.fixture
def sample_engines(tmp_path, pg_url):
    duck, pg = get_database(tmp_path / "sample.duckdb"), get_database(pg_url)
    for db in (duck, pg):
        store_import(db, analyze_bytes(db, SAMPLE_PATH.read_bytes(), SAMPLE_PATH.name), now=NOW)
    yield duck, pg
    close_all()


# Every metric of the sample but 满意度: its months hold different segments, so its MoM is worked out
# like for like (retro.likeforlike), with coverage objects whose numbers the engines add in their own
# order — compared to 12 digits in tests/test_scoring_postgres.py, with every other series again.
def test_every_series_of_the_sample_alike_on_both_engines(sample_engines):
    duck, pg = sample_engines
    names = [m.name for m in M.catalog(duck) if m.name != "满意度"]
    assert len(names) >= 10 and {"订单数", "新客户数", "回头客户数", "金额"} <= set(names)  # transactions too
    for name in names:
        by = (M.dimensions(duck, name) or [None])[0]
        for kw in ({}, {"grain": "quarter"}, {"grain": "year"}, {"by": by}, {"scenario": "plan"}):
            a, b = M.series(duck, name, **kw), M.series(pg, name, **kw)
            assert _same(a, b), (name, kw)
    growth = M.series(duck, "回头客户数", grain="quarter")
    assert growth["mom"].dropna().abs().gt(0.01).any()  # a count over a count is a fraction on both


def test_a_views_series_in_one_read_filters_and_derived_metrics_alike(sample_engines):
    duck, pg = sample_engines
    requests = [M.SeriesRequest("销售额", "month", "actual", "产品线", (("区域", ("华东", "华南")),)),
                M.SeriesRequest("成本", "month"), M.SeriesRequest("新增客户", "month"),
                M.SeriesRequest("销售额", "quarter", "plan"), M.SeriesRequest("订单数", "month", "actual", "区域")]
    for a, b in zip(M.series_many(duck, requests), M.series_many(pg, requests), strict=True):
        assert _same(a, b) and len(a)
    for db in sample_engines:
        M.define_derived(db, "毛利", "difference", "销售额", "成本")
        M.define_derived(db, "客单价", "ratio", "金额", "订单数")
        M.define_derived(db, "销售增长", "growth", "销售额")
    for name in ("毛利", "客单价", "销售增长"):
        a, b = M.series(duck, name), M.series(pg, name)
        assert _same(a, b) and a["value"].notna().any(), name


def test_the_months_the_sidebar_offers_alike_on_both_engines(engines):
    from retro.ui import _available_periods

    duck, pg = engines
    months = _available_periods(duck)
    assert _available_periods(pg) == months and len(months) > 20
    assert all(len(m) == 7 and m[4] == "-" for m in months)  # YYYY-MM, actual months first, newest first


def test_retention_cohorts_alike_on_both_engines(engines):
    duck, pg = engines
    a, b = M.cohorts(duck), M.cohorts(pg)
    assert _same(a, b) and len(a) > 12
    assert a["retention"].between(0, 1).all() and a["retention"].lt(1).any()  # a count over a count is a fraction
    filtered = {"客户省份": M.dimension_values(duck, "客户省份")[:2]}
    assert _same(M.cohorts(duck, months=3, filters=filtered), M.cohorts(pg, months=3, filters=filtered))
