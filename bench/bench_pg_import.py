"""Import on DuckDB vs PostgreSQL (issue 18), in one process, one run after another.

For each workbook: analyse it (read + normalise: an in-process DuckDB on both engines) and store it
(retro.ingest.store.store_import: registered Arrow scans into the DuckDB file; COPY into temporary
tables and INSERT … SELECT on PostgreSQL), into a fresh database each run; best and all of --runs.
PostgreSQL is the throwaway server of the tests (tests/postgres_support.py: loopback, fsync off).

    PYTHONPATH=.:tests .venv/bin/python bench/bench_pg_import.py [FILE ...] [--runs 3]
    (default files: the bundled sample; bench/gen_workbooks.py makes bench/out/long_1M.xlsx & co.)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from postgres_support import PostgresServer  # noqa: E402

from retro.db import Database  # noqa: E402
from retro.ingest import analyze_bytes, store_import  # noqa: E402
from retro.sample import SAMPLE_PATH  # noqa: E402


def one(db, data: bytes, name: str) -> tuple[float, float, int]:
    started = time.perf_counter()
    analysis = analyze_bytes(db, data, name)
    analysed = time.perf_counter()
    result = store_import(db, analysis)
    return analysed - started, time.perf_counter() - analysed, result.rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    files = args.files or [SAMPLE_PATH]
    server = PostgresServer().start()
    try:
        for path in files:
            data = path.read_bytes()
            for engine in ("duckdb", "postgresql"):
                figures = []
                for _ in range(args.runs):
                    with tempfile.TemporaryDirectory() as tmp:
                        url = server.create_database() if engine == "postgresql" else None
                        db = Database(url or Path(tmp) / "bench.duckdb")
                        figures.append(one(db, data, path.name))
                        db.close()
                        if url:
                            server.drop_database(url.rsplit("/", 1)[1])
                rows = figures[0][2]
                stores = ", ".join(f"{s:.2f}" for _, s, _ in figures)
                analyses = ", ".join(f"{a:.2f}" for a, _, _ in figures)
                print(f"{path.name}\t{engine}\t{rows:,} rows\tanalyse {analyses} s\tstore {stores} s\t"
                      f"best total {min(a + s for a, s, _ in figures):.2f} s", flush=True)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
