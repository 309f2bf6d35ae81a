"""The pages on PostgreSQL against the same pages on DuckDB, in chromium, in one run (issue 18).

Not a timed test: a benchmark, run by hand, results in bench/README.md ("PostgreSQL: the pages").

Three servers, each started as `make run` starts retro (bench_ui's ``Server``):
  duckdb  ``python -m retro.ui`` on a DuckDB file in a temporary folder;
  pg      ``python -m retro.ui`` with ``RETRO_DB=postgresql://…`` on a throwaway PostgreSQL
          (tests/postgres_support.py: Debian's binaries, loopback, fsync off);
  bare    bench_ui's bare Streamlit app (one selectbox, one chart): the floor, for reference.
Both retro databases hold the same data, imported before the servers start through the same code
(the bundled sample, then --workbook: by default bench/out/long_1M.xlsx from gen_workbooks.py,
2,000,000 values), so each page reads the same rows on both engines.

The walk is bench_ui's (trends: metric, grain, filter, breakdown; goals: period, 记录问题; meeting
mode: step changes; review: save; opening every page), one chromium context per server, rounds
interleaved (bare, then the two engines in alternating order), so a busy machine slows both alike.
Each time is from the click's pointerdown until the page is idle with the new content (bench/ui_page.js).

    .venv/bin/python bench/bench_pg_ui.py [--rounds 8] [--workbook PATH | --workbook none] [--only …]

Output: a markdown table — per interaction the DuckDB and PostgreSQL medians and p90s, their ratio
(PostgreSQL / DuckDB; issue 18's target: ≤ 2×), and the bare floor beside them.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from bench_load import machine_cpu  # noqa: E402
from bench_ui import (  # noqa: E402
    BARE_APP,
    PAGE_JS,
    PYTHON,
    VIEWPORT,
    Driver,
    Result,
    Retro,
    Server,
    bare_round,
    machine_line,
    p90,
    print_not_measured,
)

from tests.browser_support import chromium_launch_kwargs  # noqa: E402

DEFAULT_WORKBOOK = BENCH / "out" / "long_1M.xlsx"


def load(target: str, workbook: Path | None) -> dict[str, float]:
    """The sample, then ``workbook``, imported into ``target``; seconds each step took."""
    from retro.bootstrap import load_sample
    from retro.db import Database, close_all
    from retro.ingest import analyze_bytes, store_import

    times = {}
    db = Database(target)
    t0 = time.perf_counter()
    load_sample(db)
    times["sample"] = time.perf_counter() - t0
    if workbook is not None:
        t0 = time.perf_counter()
        result = store_import(db, analyze_bytes(db, workbook.read_bytes(), workbook.name), actor="bench")
        assert result.status == "imported", result
        times["workbook"] = time.perf_counter() - t0
    db.close()
    close_all()
    return times


def row(name: str, kind: str, duck: Result | None, pg: Result | None, floor: float) -> str:
    if not duck or not duck.ms or not pg or not pg.ms:
        errs = sorted(set((duck.errors if duck else []) + (pg.errors if pg else [])))
        return f"| {name} | — | — | — | — | — | not measured: {'; '.join(errs)[:120]} |"
    dm, pm = statistics.median(duck.ms), statistics.median(pg.ms)
    d9, p9 = p90(duck.ms), p90(pg.ms)
    verdict = "PASS" if pm <= 2 * dm else "MISS"
    errors = len(duck.errors) + len(pg.errors)
    note = f"; {errors} not measured" if errors else ""
    return (f"| {name} | {len(duck.ms)} / {len(pg.ms)} | {dm:.0f} / {d9:.0f} | {pm:.0f} / {p9:.0f} | "
            f"**{pm / dm:.2f}×** / {p9 / d9:.2f}× | {dm / floor:.1f}× / {pm / floor:.1f}× | {verdict} (≤ 2× DuckDB){note} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--quiet", type=float, default=150, help="ms without a DOM change that count as idle")
    parser.add_argument("--timeout", type=float, default=90, help="seconds before one measurement gives up")
    parser.add_argument("--workbook", default=str(DEFAULT_WORKBOOK),
                        help="imported after the sample into both databases ('none': the sample only)")
    parser.add_argument("--only", default="trends,goals,meeting,review,pages")
    parser.add_argument("--lang", default="zh", choices=["zh", "en"])
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    workbook = None if args.workbook == "none" else Path(args.workbook)
    if workbook is not None and not workbook.is_file():
        raise SystemExit(f"{workbook} is missing: run bench/gen_workbooks.py --sizes 1M --layouts long first")

    from playwright.sync_api import sync_playwright
    from postgres_support import PostgresServer

    from retro.i18n import t

    work = Path(tempfile.mkdtemp(prefix="bench_pg_ui_"))
    args.work = work
    (work / "bare.py").write_text(BARE_APP, encoding="utf-8")
    pg_server = PostgresServer().start()
    servers: dict[str, Server] = {}
    try:
        url = pg_server.create_database("bench")
        loads = {"duckdb": load(str(work / "retro.duckdb"), workbook), "pg": load(url, workbook)}
        for engine, times in loads.items():
            print(f"{engine}: loaded in " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()), file=sys.stderr)
        servers = {
            "bare": Server([PYTHON, "-m", "streamlit", "run", str(work / "bare.py")], REPO, work / "bare.log"),
            "duckdb": Server([PYTHON, "-m", "retro.ui"], REPO, work / "duckdb.log", env={"RETRO_DB": str(work / "retro.duckdb")}),
            "pg": Server([PYTHON, "-m", "retro.ui"], REPO, work / "pg.log", env={"RETRO_DB": url}),
        }
        for s in servers.values():
            s.start()
        results: dict[str, dict[str, Result]] = {k: {} for k in servers}
        load_before = Path("/proc/loadavg").read_text().split()[:3]
        busy0, total0 = machine_cpu()
        started = time.monotonic()
        with sync_playwright() as p:
            browser = p.chromium.launch(**chromium_launch_kwargs())
            drivers, walks = {}, {}
            for name, server in servers.items():
                context = browser.new_context(viewport=VIEWPORT, locale="zh-CN" if args.lang == "zh" else "en-US")
                context.set_default_timeout(args.timeout * 1000)
                context.add_init_script(PAGE_JS)
                drivers[name] = Driver(context.new_page(), args, results[name])
                if name == "bare":
                    drivers[name].page.goto(server.url)
                else:
                    drivers[name].page.goto(f"{server.url}/?lang={args.lang}", timeout=300_000)
                    drivers[name].page.wait_for_selector("[data-testid=stSidebarNav]", timeout=300_000)
                    walks[name] = Retro(drivers[name], t, args.lang, server.url)
                drivers[name].settle()
            for r in range(args.rounds):
                t0 = time.monotonic()
                bare_round(drivers["bare"], r, servers["bare"].url)
                for engine in (("duckdb", "pg") if r % 2 == 0 else ("pg", "duckdb")):
                    walk = walks[engine]
                    for part, fn in (("trends", walk.trends), ("goals", walk.goals), ("meeting", walk.meeting),
                                     ("review", walk.review)):
                        if part in only:
                            try:
                                fn(r)
                            except Exception as exc:  # noqa: BLE001 - one broken part; the others go on
                                drivers[engine].result(f"{part}: (walk)").errors.append(f"{type(exc).__name__}: {str(exc)[:160]}")
                                print(f"   {engine} round {r} {part}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
                                      file=sys.stderr, flush=True)
                    if "pages" in only:
                        walk.other_pages()
                print(f"round {r + 1}/{args.rounds} in {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
            browser.close()
        busy1, total1 = machine_cpu()
    finally:
        for s in servers.values():
            s.stop()
        pg_server.stop()
    floors = results["bare"]
    fi = statistics.median(floors["bare: selectbox change"].ms)
    fo = statistics.median(floors["bare: page switch"].ms)
    names = sorted(set(results["duckdb"]) | set(results["pg"]))
    what = f"the sample + {workbook.name}" if workbook else "the sample"
    print(f"## bench_pg_ui: {args.rounds} rounds, {what}, viewport 1366×768, chromium headless, lang {args.lang}\n")
    print(f"Floors (bare Streamlit, same run): selectbox change {fi:.0f} ms, page switch {fo:.0f} ms. "
          "Imports before the servers started: " + "; ".join(
              f"{e} " + ", ".join(f"{k} {v:.1f} s" for k, v in ts.items()) for e, ts in loads.items()) + "\n")
    print("| what | n (DuckDB / PG) | DuckDB median / p90 ms | PostgreSQL median / p90 ms | PG ÷ DuckDB (median / p90) | ÷ floor (DuckDB / PG) | target |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name in names:
        kind = (results["duckdb"].get(name) or results["pg"].get(name)).kind
        print(row(name, kind, results["duckdb"].get(name), results["pg"].get(name), fi if kind == "interaction" else fo))
    print("\n" + machine_line(load_before, (busy0, total0), (busy1, total1), started, "walk"))
    for engine in ("duckdb", "pg"):
        print_not_measured(results[engine], f"{engine}: ")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"kept {work}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
