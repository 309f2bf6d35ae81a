"""How much of retro's SQL is DuckDB's own, and what sqlglot makes of it (issue 18; docs/postgres.md).

Input: the SQL texts retro ran during a test run, one JSON list of {sql, count, modules}, recorded by
bench/sqlcap_plugin.py, a pytest plugin that wraps retro.db.Database.cursor (``--captured``).
Output: per module, statements and the DuckDB-only constructs they use; sqlglot's duckdb→postgres
transpile time (cold, and cached per SQL text); and whether PostgreSQL 15 accepts each transpiled
statement (PREPARE against the migrated schema on a throwaway server, tests/postgres_support.py).

    PYTHONPATH=.:tests .venv/bin/python bench/sql_survey.py --captured /tmp/sqlcap/captured.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import re
import time
from collections import Counter, defaultdict
from functools import lru_cache

import psycopg
import sqlglot

# A construct: (name, pattern). Patterns look at SQL text only (strings and comments included: a rough
# count, good enough to see where the work is).
CONSTRUCTS: tuple[tuple[str, str], ...] = (
    ("MAP type / map_* functions / MAP {..}", r"\bMAP\s*[({]|\bmap_(keys|values|extract|from_entries|entries)\b|\belement_at\b"),
    ("lists: VARCHAR[] / list_* / [..] literals / unnest", r"\[\]|\blist_[a-z_]+\(|\blist\(|\bunnest\(|\blen\(|\barray_length\b"),
    ("struct / {'k': v} literals / struct_pack", r"\bstruct_pack\b|\bSTRUCT\b|\{'"),
    ("JSON functions (json_extract, ->>, ::JSON)", r"\bjson_[a-z_]+\(|->>|::JSON\b|\bto_json\(|\bCAST\([^)]*AS JSON\)"),
    ("arg_max/arg_min/max_by", r"\barg_(max|min)\b|\b(max|min)_by\b"),
    ("QUALIFY", r"\bQUALIFY\b"),
    ("GROUP BY ALL / ORDER BY ALL", r"\b(GROUP|ORDER) BY ALL\b"),
    ("SELECT * EXCLUDE/REPLACE", r"\*\s*(EXCLUDE|REPLACE)\b"),
    ("INSERT OR REPLACE/IGNORE", r"\bINSERT OR (REPLACE|IGNORE)\b"),
    ("INSERT .. ON CONFLICT", r"\bON CONFLICT\b"),
    ("sequences nextval()", r"\bnextval\("),
    ("date functions (date_trunc, strftime, make_date, date_part)", r"\b(date_trunc|strftime|strptime|make_date|date_part|last_day|date_diff|datediff|epoch)\("),
    ("regexp_*", r"\bregexp_[a-z_]+\("),
    ("COPY / read_parquet / read_csv / ATTACH", r"\bCOPY\b|\bread_(parquet|csv[a-z_]*)\(|\bATTACH\b|\bEXPORT DATABASE\b"),
    ("DuckDB catalog (duckdb_tables(), PRAGMA)", r"\bduckdb_[a-z_]+\(|\bPRAGMA\b"),
    ("CREATE TEMP TABLE/VIEW AS, CREATE OR REPLACE TABLE", r"\bCREATE (OR REPLACE )?TEMP(ORARY)? (TABLE|VIEW)\b|\bCREATE OR REPLACE TABLE\b"),
    ("$name parameters", r"\$[a-z_][a-z0-9_]*"),
    ("? parameters", r"\?"),
    ("window functions OVER (..)", r"\bOVER\s*\("),
    ("FILTER (WHERE ..)", r"\bFILTER\s*\(\s*WHERE\b"),
    ("IS [NOT] DISTINCT FROM", r"\bIS (NOT )?DISTINCT FROM\b"),
    ("casts with ::", r"::"),
)
PORTABLE_ONLY = {"? parameters", "window functions OVER (..)", "FILTER (WHERE ..)", "IS [NOT] DISTINCT FROM",
                 "INSERT .. ON CONFLICT", "casts with ::", "sequences nextval()"}


# Modules whose SQL reads Arrow tables registered on the cursor or temporary staging tables: DuckDB as the
# compute engine for a workbook being read, not the store.
STAGING = {"retro.ingest.normalize", "retro.ingest.workbook", "retro.backup"}


def constructs_of(sql: str) -> list[str]:
    return [name for name, pattern in CONSTRUCTS if re.search(pattern, sql, re.IGNORECASE)]


def transpile(sql: str) -> str:
    return sqlglot.transpile(sql, read="duckdb", write="postgres")[0]


cached_transpile = lru_cache(maxsize=4096)(transpile)


def numbered(sql: str) -> str:
    """psycopg's ``%s`` / ``%(name)s`` (what sqlglot writes for ``?`` / ``$name``) as ``$1…$n`` for
    PREPARE; ``%%`` back to ``%``."""
    names: dict[str, int] = {}
    n = 0

    def nxt(m: re.Match) -> str:
        nonlocal n
        if m.group(0) == "%%":
            return "%"
        name = m.group(1)
        if name is None or name not in names:
            n += 1
            if name is not None:
                names[name] = n
            return f"${n}"
        return f"${names[name]}"

    return re.sub(r"%%|%\((\w+)\)s|%s", nxt, sql)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--captured", default="/tmp/sqlcap/captured.json")
    ap.add_argument("--modules", default="retro.metrics,retro.ingest.store,retro.reviews,retro.scoring,"
                                           "retro.backup,retro.defaults,retro.overview,retro.likeforlike,"
                                           "retro.ingest.restatements,retro.ingest.kpis,retro.bootstrap,"
                                           "retro.ingest.normalize,retro.ingest.workbook,retro.cli,retro.ui")
    ap.add_argument("--examples", action="store_true", help="one statement per kind of refusal")
    args = ap.parse_args()
    wanted = args.modules.split(",")
    with open(args.captured, encoding="utf-8") as f:
        captured = json.load(f)
    by_module: dict[str, list[str]] = defaultdict(list)
    for entry in captured:
        module = next((m for m in entry["modules"] if m in wanted), None)
        if module is not None:
            by_module[module].append(entry["sql"])

    print("## statements per module (distinct SQL texts run by the tests) and DuckDB-only constructs\n")
    totals: Counter = Counter()
    duck_only_total = 0
    for module in wanted:
        texts = by_module.get(module, [])
        if not texts:
            continue
        per = Counter(c for t in texts for c in constructs_of(t))
        duck = sum(1 for t in texts if set(constructs_of(t)) - PORTABLE_ONLY)
        duck_only_total += duck
        totals.update(per)
        print(f"{module}: {len(texts)} statements, {duck} with a DuckDB-only construct")
    print(f"\nall: {sum(len(v) for v in by_module.values())} statements, {duck_only_total} DuckDB-only\n")
    for name, n in totals.most_common():
        print(f"  {n:4d}  {name}")

    from postgres_support import PostgresServer

    from retro.db import MIGRATIONS, pg_statement  # the schema as retro.db ports it

    texts = [t for m in wanted for t in by_module.get(m, [])]
    warned: set[str] = set()  # sqlglot logs what it dropped (IGNORE NULLS…): the output runs but means less

    class _Warned(logging.Handler):
        current = ""

        def emit(self, record: logging.LogRecord) -> None:
            warned.add(self.current)

    handler = _Warned()
    logging.getLogger("sqlglot").addHandler(handler)
    logging.getLogger("sqlglot").propagate = False
    start = time.perf_counter()
    out: dict[str, str | None] = {}
    fail_transpile = 0
    for t in texts:
        handler.current = t
        try:
            out[t] = transpile(t)
        except Exception:  # noqa: BLE001 - counting what sqlglot cannot read
            out[t] = None
            fail_transpile += 1
    cold = (time.perf_counter() - start) * 1000
    for t in texts:  # fill the cache, then time a cached pass
        with contextlib.suppress(Exception):
            cached_transpile(t)
    start = time.perf_counter()
    for t in texts:
        with contextlib.suppress(Exception):
            cached_transpile(t)
    warm = (time.perf_counter() - start) * 1000
    sizes = sorted(len(t) for t in texts)
    print(f"\n## sqlglot {sqlglot.__version__} duckdb→postgres: {len(texts)} statements, {fail_transpile} not readable")
    print(f"  cold: {cold:.0f} ms in all, {cold / max(1, len(texts)):.2f} ms per statement "
          f"(median {sizes[len(sizes) // 2]} chars, longest {sizes[-1]})")
    print(f"  cached per SQL text: {warm * 1000 / max(1, len(texts)):.1f} µs per statement")

    results: dict[str, Counter] = defaultdict(Counter)
    errors: Counter = Counter()
    examples: dict[str, tuple[str, str]] = {}
    with PostgresServer() as server:
        url = server.create_database("survey")
        # prepare_threshold None: psycopg would otherwise prepare the repeated DEALLOCATE ALL itself
        with psycopg.connect(url, autocommit=True, prepare_threshold=None) as con:
            con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT)")
            for m in MIGRATIONS:
                for s in m.statements:
                    con.execute(pg_statement(s))
            for module in wanted:
                for t in by_module.get(module, []):
                    pg = out[t]
                    if pg is None:
                        results[module]["unreadable"] += 1
                        continue
                    try:
                        con.execute("DEALLOCATE ALL")
                        if re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|CHECKPOINT)\b", pg, re.IGNORECASE):
                            pass  # transaction control: nothing to check
                        elif re.match(r"\s*(CREATE|ALTER|DROP|SET|COPY|INSTALL|LOAD|ATTACH|DETACH)\b", pg,
                                      re.IGNORECASE):
                            try:  # not preparable: run it in a transaction that is rolled back
                                con.execute("BEGIN")
                                con.execute(pg)
                            finally:
                                con.execute("ROLLBACK")
                        else:
                            con.execute(f"PREPARE q AS {numbered(pg)}")
                        if t in warned:
                            results[module]["accepted, with a construct dropped (warned)"] += 1
                        elif re.search(r"\b(GROUP|ORDER) BY ALL\b", pg, re.IGNORECASE):
                            results[module]["accepted, BY ALL read as a column named all"] += 1
                        else:
                            results[module]["accepted"] += 1
                    except psycopg.Error as exc:
                        msg = str(exc).splitlines()[0]
                        kind = re.sub(r'"[^"]*"', '"…"', msg)[:80]
                        if "syntax error" in msg:
                            near = re.search(r'near "([^"]*)"', msg)
                            kind = f"syntax error near {near.group(1)[:20] if near else 'end'}"
                        if "could not determine data type of parameter" in msg:
                            results[module]["parameter type unknown"] += 1
                        elif re.search(r'relation "(staged|_|tmp|raw|norm|r_|sheet|restored|bk)', msg) or (
                                "does not exist" in msg and "relation" in msg and module in STAGING):
                            results[module]["staging table (Arrow / temp)"] += 1
                        else:
                            results[module]["refused"] += 1
                            errors[kind] += 1
                            examples.setdefault(kind, (t, pg))
    print("\n## PostgreSQL 15 on the transpiled statements (PREPARE against the migrated schema)\n")
    for module in wanted:
        if module in results:
            print(f"{module}: " + ", ".join(f"{k} {v}" for k, v in sorted(results[module].items())))
    print("\nwhy refused (most common):")
    for kind, n in errors.most_common(15):
        print(f"  {n:4d}  {kind}")
    if args.examples:
        for kind, (duck, pg) in examples.items():
            print(f"\n--- {kind}\nduckdb:   {' '.join(duck.split())[:400]}\npostgres: {' '.join(pg.split())[:400]}")


if __name__ == "__main__":
    main()
