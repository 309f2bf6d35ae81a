"""retro.ingest.store on PostgreSQL (issue 18): a workbook imported into PostgreSQL stores exactly what
the same import stores in a DuckDB file — the same rows, the same values — for the bundled sample and
workbooks of the shared corpus, through the store and through the CLI. A real throwaway server
(tests/postgres_support.py), real files; no mocks."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from retro import cli
from retro.db import PostgresDatabase, close_all, get_database
from retro.ingest import analyze_bytes, import_history, metric_inventory, overlap, store_import, undo_import
from retro.ingest.store import data_summary, dataset_of
from retro.sample import SAMPLE_PATH

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "files"
# (file, CLI flags as the corpus truths give them): a KPI workbook, a plan by month, orders (transactions
# with their dimension and measure maps, ~1 MB), a GBK CSV read from its path.
CORPUS_FILES = (
    ("en_saas_kpi_monthly.xlsx", []),
    ("cn_company_budget_monthly.xlsx", ["--year", "2017"]),
    ("cn_bike_orders.xlsx", []),
    ("cn_orders_filldown_gbk.csv", []),
)
# Every table an import writes; the timestamps an import writes are its own clock's, compared apart.
TABLES = ("imports", "import_sheets", "fact_rows", "transactions", "segments", "layouts", "annotations")
NOW = dt.datetime(2026, 4, 2, 9, 30, 1, 250000)


def _sortable(row: tuple) -> tuple:
    return tuple(json.dumps(v, sort_keys=True, default=str, ensure_ascii=False) for v in row)


def stored(db, *, clock: bool = True) -> dict[str, list[tuple]]:
    """Every row of every table an import writes, in one order on both engines (sorted in Python: the
    engines sort text alike only under the C collation). ``clock=False`` blanks the timestamps."""
    out = {}
    for table in TABLES:
        rows = db.rows(f"SELECT * FROM {table}")
        if not clock:
            rows = [tuple(None if isinstance(v, dt.datetime) else v for v in r) for r in rows]
        out[table] = sorted(rows, key=_sortable)
    return out


@pytest.fixture
def engines(tmp_path, pg_url):
    """A fresh DuckDB file and a fresh PostgreSQL database, each the process's one for its name."""
    duck, pg = get_database(tmp_path / "same.duckdb"), get_database(pg_url)
    assert isinstance(pg, PostgresDatabase)
    yield duck, pg
    close_all()


def _import(db, path: Path, **kw):
    return store_import(db, analyze_bytes(db, path.read_bytes(), path.name), now=NOW, **kw)


def test_the_sample_is_stored_alike_on_both_engines(engines):
    duck, pg = engines
    results = [_import(db, SAMPLE_PATH, is_sample=True, actor="sample") for db in engines]
    assert results[0] == results[1] and results[0].rows > 4000
    same = stored(duck)
    assert stored(pg) == same
    assert len(same["fact_rows"]) > 2000 and len(same["transactions"]) > 2000 and same["segments"]
    assert all(isinstance(r[6], dict) and isinstance(r[7], dict) and r[7] for r in same["transactions"])  # the maps
    assert data_summary(pg) == data_summary(duck)
    for query in (import_history, metric_inventory):
        assert query(pg).astype(str).equals(query(duck).astype(str)), query.__name__

    # The same file again, as a replace: every value replaced alike, the counts alike; then undone.
    again = [analyze_bytes(db, SAMPLE_PATH.read_bytes(), "again.xlsx") for db in engines]
    assert overlap(pg, again[1]).astype(str).equals(overlap(duck, again[0]).astype(str))
    assert len(overlap(pg, again[1])) == 1
    assert dataset_of(pg, again[1]) == dataset_of(duck, again[0])
    before = stored(pg)
    renamed = [store_import(db, a, now=NOW, mode="replace") for db, a in zip(engines, again, strict=True)]
    assert renamed[0].status == "already_imported" == renamed[1].status  # the same bytes
    assert stored(pg) == before == stored(duck)


@pytest.mark.parametrize(("name", "flags"), CORPUS_FILES, ids=[f for f, _ in CORPUS_FILES])
def test_a_corpus_workbook_imported_by_the_cli_is_stored_alike_on_both_engines(engines, name, flags, capsys):
    duck, pg = engines
    outputs = []
    for target in (str(duck.path), pg_target(pg)):
        capsys.readouterr()
        rc = cli.main(["import", str(CORPUS / name), "--db", target, "--json", *flags])
        out = json.loads(capsys.readouterr().out)
        assert rc == cli.EXIT_OK, out
        outputs.append(out)
    assert outputs[1] == outputs[0]
    same = stored(duck, clock=False)
    assert stored(pg, clock=False) == same and (same["fact_rows"] or same["transactions"])


def pg_target(pg: PostgresDatabase) -> str:
    """The URL the CLI is given: the one shown (no password) names the database open in this process."""
    assert "***" in pg.path
    return pg.path


def test_replace_and_undo_alike_on_both_engines(engines, tmp_path):
    import fixtures_build as fb

    p1, _, p2, _ = fb.build_overlap_pair(tmp_path)
    tx, truth = fb.build_transactions(tmp_path / "tx")
    steps = []
    for db in engines:
        first = _import(db, p1)
        second = _import(db, p2)
        orders = _import(db, tx)
        steps.append((first, second, orders, stored(db)))
        assert undo_import(db, second.import_id) and undo_import(db, 999) is False
        kept = store_import(db, analyze_bytes(db, p2.read_bytes(), "销售_v2 kept.xlsx"), now=NOW, mode="keep")
        steps.append((kept, stored(db)))
    assert steps[0][:3] == steps[2][:3] and steps[0][1].replaced == 2  # March, two regions
    assert steps[0][3] == steps[2][3] and steps[1] == steps[3]
    assert steps[1][0].replaced == 0 and steps[1][0].status == "imported"  # keep: both Marches current
    assert len([r for r in steps[0][3]["transactions"]]) == truth.rows


def test_a_failed_import_on_postgresql_stores_nothing_and_leaves_no_staged_table(engines, tmp_path, monkeypatch):
    import types

    import fixtures_build as fb

    from retro.ingest import store as store_mod

    _, pg = engines
    p1, _, p2, _ = fb.build_overlap_pair(tmp_path)
    _import(pg, p1)
    before = stored(pg)
    analysis = analyze_bytes(pg, p2.read_bytes(), p2.name)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store_mod, "json", types.SimpleNamespace(dumps=fail))
    with pytest.raises(RuntimeError, match="disk full"):
        store_import(pg, analysis)
    assert stored(pg) == before
    assert pg.scalar("SELECT count(*) FROM pg_class WHERE relpersistence = 't' AND relkind = 'r'") == 0
    monkeypatch.setattr(store_mod, "json", json)
    assert store_import(pg, analysis).replaced == 2


def test_a_metric_named_like_another_sources_and_restated_values_alike_on_both_engines(engines, tmp_path):
    """The two reads of what is stored while a file is analysed (retro.ingest.kpis: a name stored from
    another source; retro.ingest.restatements: the values the file changes) answer alike."""
    import fixtures_build as fb
    from browser_support import sheet_bytes

    from retro.ingest.restatements import import_restatements, restated_values

    finance = sheet_bytes("Finance", ["Month", "Sales", "COGS"], [["2017-01", 1_200_000, 800_000],
                                                                  ["2017-02", 1_300_000, 850_000]])
    orders = sheet_bytes("Orders", ["Order Date", "Region", "Sales"], [["2017-02-03", "East", 120.5],
                                                                      ["2017-02-04", "West", 80.0]])
    readings = []
    for db in engines:
        store_import(db, analyze_bytes(db, finance, "finance 2017.xlsx"), now=NOW)
        sheet = analyze_bytes(db, orders, "orders_2017-02.xlsx").sheets[0]
        readings.append([(r.decision, r.strength, r.params) for r in sheet.result.readings
                         if r.decision.startswith("kpi")])
        assert sheet.result.metrics == ["Sales · orders"]
    assert readings[0] == readings[1] and readings[0][0][0] == "kpi_new"
    assert set(readings[0][0][2]["why"]) == {"dimensions", "scale"}

    p1, _, p2, _ = fb.build_overlap_pair(tmp_path)
    before, after = [], []
    for db in engines:
        _import(db, p1)
        analysis = analyze_bytes(db, p2.read_bytes(), p2.name)
        before.append(restated_values(db, analysis))
        after.append(import_restatements(db, store_import(db, analysis, now=NOW).import_id))
    assert len(before[0]) == 2 and before[0]["segment"].str.startswith("区域=").all()
    assert before[1].astype(str).equals(before[0].astype(str))
    assert after[1].astype(str).equals(after[0].astype(str)) and len(after[0]) == 2


def test_a_big_sheets_transactions_streamed_from_their_query_are_stored_alike(engines, monkeypatch):
    """A sheet past normalize.STREAM_ROWS keeps its transactions as a query over its cells
    (normalize.Deferred); on PostgreSQL an in-memory DuckDB runs it and COPY takes its batches."""
    from retro.ingest import normalize
    from retro.ingest.normalize import Deferred

    monkeypatch.setattr(normalize, "STREAM_ROWS", 1)  # every sheet is 'big'
    path = CORPUS / "cn_bike_orders.xlsx"
    for db in engines:
        analysis = analyze_bytes(db, path.read_bytes(), path.name)
        assert any(isinstance(s.result.transactions, Deferred) for s in analysis.ready())
        store_import(db, analysis, now=NOW)
    duck, pg = engines
    same = stored(duck)
    assert stored(pg) == same and len(same["transactions"]) > 1000
