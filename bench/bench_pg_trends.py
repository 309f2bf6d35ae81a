"""Trends queries on DuckDB vs PostgreSQL (issue 18), in one process, one engine after the other.

The long 1M workbook (bench/gen_workbooks.py: 2M values, plan and actual, 7,200 segments) is imported
through retro into a fresh DuckDB file and a fresh database on the tests' throwaway PostgreSQL
(tests/postgres_support.py: loopback, fsync off); then each trends query as the page calls it
(retro.metrics.series / breakdown / kpi_card, the shapes of bench/bench_trends.py) once cold (it
builds its rollup) and warm (median of --runs). Prints ms per engine and PostgreSQL / DuckDB.

    PYTHONPATH=.:tests .venv/bin/python bench/bench_pg_trends.py [--runs 9]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "tests"))

import gen_workbooks as gen  # noqa: E402
from bench_trends import timed  # noqa: E402 - one way of timing cold and warm for both benches
from postgres_support import PostgresServer  # noqa: E402

from retro import metrics as M  # noqa: E402
from retro.db import Database  # noqa: E402
from retro.ingest import analyze_bytes, store_import  # noqa: E402


def cases(db) -> list[tuple[str, object]]:
    metric = db.scalar("SELECT metric FROM current_facts GROUP BY metric ORDER BY count(*) DESC, metric LIMIT 1")
    dim = "区域" if "区域" in M.dimensions(db) else M.dimensions(db)[0]
    value = M.dimension_values(db, dim)[0]
    last = db.scalar("SELECT max(period) FROM current_facts WHERE scenario = 'actual'")
    period = dt.date(last.year, last.month, 1)
    return [
        ("catalog", lambda: M.catalog(db)),
        ("series total, month", lambda: M.series(db, metric)),
        ("series by region, month", lambda: M.series(db, metric, by=dim)),
        ("series filtered, quarter", lambda: M.series(db, metric, grain="quarter", filters={dim: [value]})),
        ("breakdown by region", lambda: M.breakdown(db, metric, period, dim)),
        ("KPI card", lambda: M.kpi_card(db, metric, period)),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    book = gen.ensure([gen.parse_size("1M")], ["long"])[0]["path"]
    data = Path(book).read_bytes()
    server = PostgresServer().start()
    figures: dict[str, dict[str, tuple[float, float]]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for engine, target in (("duckdb", Path(tmp) / "trends.duckdb"), ("postgresql", server.create_database())):
                db = Database(target)
                started = time.perf_counter()
                store_import(db, analyze_bytes(db, data, Path(book).name))
                print(f"{engine}: imported {db.scalar('SELECT count(*) FROM current_facts'):,} values in "
                      f"{time.perf_counter() - started:.1f} s", flush=True)
                for name, fn in cases(db):
                    try:
                        figures.setdefault(engine, {})[name] = timed(fn, args.runs)
                    except Exception as exc:  # noqa: BLE001 - a query not ported yet: said, not fatal
                        figures.setdefault(engine, {})[name] = None
                        print(f"{engine}: {name} failed: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
                db.close()
    finally:
        server.stop()
    print(f"{'query':26} {'DuckDB cold':>12} {'warm':>8} {'PostgreSQL cold':>16} {'warm':>8} {'warm ratio':>11}")
    for name, duck in figures["duckdb"].items():
        pg = figures["postgresql"].get(name)
        if duck is None or pg is None:
            print(f"{name:26} {'fails' if duck is None else f'{duck[0]:10.1f}ms {duck[1]:6.1f}ms'}  PostgreSQL: fails")
            continue
        (d_cold, d_warm), (p_cold, p_warm) = duck, pg
        print(f"{name:26} {d_cold:10.1f}ms {d_warm:6.1f}ms {p_cold:14.1f}ms {p_warm:6.1f}ms {p_warm / d_warm:10.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
