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
