"""Backup and restore on DuckDB vs PostgreSQL (issue 18), in one process, one run after another.

For the sample (imported fresh into each engine) and, when given, a DuckDB file holding a big import
(e.g. bench/out/trends_1M.duckdb, which bench_pg_trends.py leaves: bench/out/long_1M.xlsx imported,
2M values): a DuckDB file's backup, the restore of that backup into PostgreSQL, PostgreSQL's backup of
it, and that backup's restore into a new DuckDB file — each --runs times (best and all, seconds).
PostgreSQL is the throwaway server of the tests (tests/postgres_support.py: loopback, fsync off).

    PYTHONPATH=.:tests .venv/bin/python bench/bench_pg_backup.py [--big bench/out/trends_1M.duckdb] [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from postgres_support import PostgresServer  # noqa: E402

from retro import backup as B  # noqa: E402
from retro.bootstrap import load_sample  # noqa: E402
from retro.db import close_all, get_database  # noqa: E402


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - started, out


def measure(server: PostgresServer, source: Path | None, runs: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {k: [] for k in ("duckdb backup", "restore into postgresql",
                                                       "postgresql backup", "restore into duckdb")}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            path = tmp / "source.duckdb"
            if source is None:
                load_sample(get_database(path))
            else:
                shutil.copyfile(source, path)
            duck = get_database(path)
            seconds, folder = timed(B.backup, duck, tmp / "duck")
            figures["duckdb backup"].append(seconds)
            url = server.create_database()
            pg = get_database(url)
            figures["restore into postgresql"].append(timed(B.restore, url, folder, backups_dir=tmp / "auto")[0])
            seconds, folder = timed(B.backup, pg, tmp / "pg")
            figures["postgresql backup"].append(seconds)
            figures["restore into duckdb"].append(timed(B.restore, tmp / "back.duckdb", folder, backups_dir=tmp / "auto")[0])
            rows = B.read_manifest(folder)["tables"]
            close_all()
            server.drop_database(url.rsplit("/", 1)[1])
    print(f"  fact_rows {rows['fact_rows']:,}, transactions {rows['transactions']:,}, all rows {sum(rows.values()):,}")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--big", type=Path, help="a DuckDB file holding a big import")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    server = PostgresServer().start()
    try:
        for name, source in (("sample", None), *([(args.big.name, args.big)] if args.big else [])):
            print(name)
            for step, seconds in measure(server, source, args.runs).items():
                print(f"  {step:26s} best {min(seconds):6.2f} s   ({', '.join(f'{s:.2f}' for s in seconds)})")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
