"""Trends benchmark: retro's series queries with 1M stored values, against the bare DuckDB query.

The store is built once (bench/out/trends_1M.duckdb, reused): the long 1M workbook from
gen_workbooks.py imported through retro — 2M values (plan and actual), 7,200 segments.

For each query shape, in one process:
  bare    the hand-written DuckDB aggregate a reader would write for that view (no MoM/YoY,
          no catalog lookups): the floor
  retro   retro.metrics.series / breakdown / kpi_card, as the trends page calls them
Each is run once cold, then timed warm (median of --runs). Prints ms and retro/bare ratios.
Target (issue 3): each trends query warm ≤ 30 ms.

    .venv/bin/python bench/bench_trends.py [--runs 15] [--json out.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

TARGET_MS = 30.0


def build_store(path: Path) -> None:
    import gen_workbooks as gen

    from retro.db import Database
    from retro.ingest import analyze_bytes, store_import

    book = gen.ensure([gen.parse_size("1M")], ["long"])[0]["path"]
    if not Path(book).exists():
        raise SystemExit(f"{book} missing: run `.venv/bin/python bench/gen_workbooks.py --sizes 1M` first")
    started = time.perf_counter()
    db = Database(path)
    store_import(db, analyze_bytes(db, Path(book).read_bytes(), Path(book).name))
    db.close()
    print(f"built {path.name} from {Path(book).name} in {time.perf_counter() - started:.1f} s")


def timed(fn, runs: int) -> tuple[float, float]:
    started = time.perf_counter()
    fn()
    cold = (time.perf_counter() - started) * 1000
    warm = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        warm.append((time.perf_counter() - started) * 1000)
    return cold, statistics.median(warm)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json")
    args = parser.parse_args(argv)

    from retro import metrics as M
    from retro.db import Database

    store = BENCH / "out" / "trends_1M.duckdb"
    if not store.exists():
        build_store(store)
    db = Database(store)
    facts = db.scalar("SELECT count(*) FROM current_facts")
    metric = db.scalar("SELECT metric FROM current_facts GROUP BY metric ORDER BY count(*) DESC LIMIT 1")
    dim = "区域" if "区域" in M.dimensions(db) else M.dimensions(db)[0]
    value = M.dimension_values(db, dim)[0]
    last = db.scalar("SELECT max(period) FROM current_facts WHERE scenario = 'actual'")
    period = dt.date(last.year, last.month, 1)
    names = [metric]

    def bare(sql: str, params: list) -> callable:
        return lambda: db.rows(sql, params)

    base = ("FROM fact_rows f JOIN segments s ON s.dims_key = f.dims_key "
            "WHERE f.replaced_by IS NULL AND list_contains(?, f.metric) AND f.scenario = 'actual'")
    cases = [
        ("series total, month", lambda: M.series(db, metric),
         bare(f"SELECT date_trunc('month', f.period) p, sum(f.value) {base} GROUP BY 1", [names])),
        ("series by region, month", lambda: M.series(db, metric, by=dim),
         bare(f"SELECT date_trunc('month', f.period) p, s.dims[?] d, sum(f.value) {base} GROUP BY 1, 2", [dim, names])),
        ("series filtered, quarter", lambda: M.series(db, metric, grain="quarter", filters={dim: [value]}),
         bare(f"SELECT date_trunc('quarter', f.period) p, sum(f.value) {base} AND s.dims[?] = ? GROUP BY 1", [names, dim, value])),
        ("breakdown by region", lambda: M.breakdown(db, metric, period, dim),
         bare(f"SELECT s.dims[?] d, sum(f.value) {base} AND f.period = ? GROUP BY 1", [dim, names, period])),
        ("KPI card", lambda: M.kpi_card(db, metric, period),
         bare(f"SELECT date_trunc('month', f.period) p, sum(f.value) {base} GROUP BY 1", [names])),
    ]
    results = []
    print(f"store: {facts:,} current values; metric {metric!r}; dimension {dim!r}; period {period}")
    print(f"{'query':28} {'bare cold':>10} {'bare warm':>10} {'retro cold':>11} {'retro warm':>11} {'ratio':>7}  target")
    for name, retro_fn, bare_fn in cases:
        b_cold, b_warm = timed(bare_fn, args.runs)
        r_cold, r_warm = timed(retro_fn, args.runs)
        ratio = r_warm / b_warm if b_warm else float("nan")
        verdict = "PASS" if r_warm <= TARGET_MS else "MISS"
        print(f"{name:28} {b_cold:9.1f}ms {b_warm:9.1f}ms {r_cold:10.1f}ms {r_warm:10.1f}ms {ratio:6.2f}x  ≤{TARGET_MS:.0f}ms {verdict}")
        results.append({"query": name, "bare_cold_ms": b_cold, "bare_warm_ms": b_warm,
                        "retro_cold_ms": r_cold, "retro_warm_ms": r_warm, "ratio": ratio})
    db.close()
    from retro.db import close_all

    close_all()
    results += page_timings(store, metric, dim, args.runs)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


def page_timings(store: Path, metric: str, dim: str, runs: int) -> list[dict]:
    """The trends page in AppTest on the 1M store: first render, a rerun, a rerun after a grain change
    (views seen before), after a filter not seen before, and the first render after a write."""
    import os

    import streamlit.testing.v1.app_test as app_test_module
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    class NavigationOnly(PagesManager):  # as `python -m retro.ui` runs the server (see retro/ui/__init__.py)
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            PagesManager.uses_pages_directory = False

    app_test_module.PagesManager = NavigationOnly
    # The server compiles app.py and each page once (Runtime keeps one ScriptCache); AppTest makes a
    # new cache, so a recompile of both, every run (~7 ms), that no user ever waits for.
    import streamlit.testing.v1.local_script_runner as local_runner_module
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    one_cache = ScriptCache()
    app_test_module.ScriptCache = local_runner_module.ScriptCache = lambda: one_cache
    # The script run itself (the server's side: app.py and the page, in the script thread), apart
    # from AppTest's own work (polling, parsing every message into its element tree).
    from streamlit.runtime.scriptrunner import script_runner

    script_runs: list[tuple[float, float]] = []
    original_run = script_runner.ScriptRunner._run_script

    def measured_run(self, *args, **kwargs):
        started, cpu_started = time.perf_counter(), time.thread_time()
        try:
            return original_run(self, *args, **kwargs)
        finally:
            script_runs.append(((time.perf_counter() - started) * 1000, (time.thread_time() - cpu_started) * 1000))

    script_runner.ScriptRunner._run_script = measured_run
    os.environ["RETRO_DB"] = str(store)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.query_params["lang"] = "zh"
    at.run()
    # CPU time of this process beside the wall clock: on a shared, loaded machine the wall clock
    # mostly measures waiting for a core; the CPU time is what the rerun costs (DuckDB's threads included).
    cpu = {}
    started, cpu_started = time.perf_counter(), time.process_time()
    at.switch_page("pages/trends.py").run()
    first = (time.perf_counter() - started) * 1000
    cpu["first"] = (time.process_time() - cpu_started) * 1000
    assert not at.exception, [e.value for e in at.exception]

    def rerun() -> None:
        at.run()

    _, same = timed(rerun, max(3, runs // 3))
    cpu_same = []
    for _ in range(max(3, runs // 3)):
        cpu_started = time.process_time()
        rerun()
        cpu_same.append((time.process_time() - cpu_started) * 1000)
    cpu["rerun"] = statistics.median(cpu_same)
    grains = ["quarter", "month"]
    changes, cpu_changes = [], []
    del script_runs[:]
    for i in range(max(3, runs // 3)):
        control = at.segmented_control(key="trends_grain")
        started, cpu_started = time.perf_counter(), time.process_time()
        control.set_value(grains[i % 2]).run()
        changes.append((time.perf_counter() - started) * 1000)
        cpu_changes.append((time.process_time() - cpu_started) * 1000)
    changed = statistics.median(changes)
    cpu["grain change"] = statistics.median(cpu_changes)
    script_wall = statistics.median(w for w, _ in script_runs)
    script_cpu = statistics.median(c for _, c in script_runs)
    # A filter on a region not picked before in this process: no cached view, its queries run
    # (against the rollup). The grain change above returns to views seen before.
    from retro import metrics as M
    from retro.db import get_database

    db = get_database(store)
    values = M.dimension_values(db, dim)
    n = max(3, runs // 3)

    def new_filters(chosen: list[str]) -> tuple[list[float], float, float, float]:
        """Each value's rerun (AppTest, ms), and the medians of its CPU time, script run and script CPU."""
        fresh, cpu_fresh = [], []
        before = len(script_runs)
        for value in chosen:
            started, cpu_started = time.perf_counter(), time.process_time()
            at.multiselect(key=f"trends_f_{dim}").set_value([value]).run()
            fresh.append((time.perf_counter() - started) * 1000)
            cpu_fresh.append((time.process_time() - cpu_started) * 1000)
            assert not at.exception, [e.value for e in at.exception]
        runs_here = script_runs[before:]
        return (fresh, statistics.median(cpu_fresh), statistics.median(w for w, _ in runs_here),
                statistics.median(c for _, c in runs_here))

    # At quarter grain (where the grain changes left it: the cards' year to date needs the months too),
    # then at month grain, the page's default and the view the floor below is the floor of.
    fresh_q, cpu["new filter, quarter"], filter_wall_q, filter_cpu_q = new_filters(values[:n])
    at.segmented_control(key="trends_grain").set_value("month").run()
    fresh, cpu["new filter"], filter_wall, filter_cpu = new_filters(values[n:2 * n])
    new_filter, new_filter_q = statistics.median(fresh), statistics.median(fresh_q)
    floor = bare_floor(db, at.session_state["trends_metric"], dim, values[n], at.session_state["trends_by"], runs)
    # After a write (a note added and removed: the data version moves twice) every cached view and
    # the rollup are stale: the first render rebuilds what it reads.
    M.delete_annotation(db, M.add_annotation(db, metric, dt.date(2026, 1, 1), "bench"))
    after = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    after.query_params["lang"] = "zh"
    after.run()
    started, cpu_started = time.perf_counter(), time.process_time()
    after.switch_page("pages/trends.py").run()
    first_after_write = (time.perf_counter() - started) * 1000
    cpu["first after a write"] = (time.process_time() - cpu_started) * 1000
    assert not after.exception, [e.value for e in after.exception]
    print(f"{'trends page (AppTest)':28} first render {first:7.0f}ms (≤1000ms {'PASS' if first <= 1000 else 'MISS'}); "
          f"rerun {same:5.0f}ms; after a grain change {changed:5.0f}ms (≤60ms {'PASS' if changed <= 60 else 'MISS'}); "
          f"after a filter not seen before {new_filter:5.0f}ms (≤60ms {'PASS' if new_filter <= 60 else 'MISS'}), "
          f"at quarter grain {new_filter_q:5.0f}ms (≤60ms {'PASS' if new_filter_q <= 60 else 'MISS'}); "
          f"first render after a write {first_after_write:5.0f}ms")
    print(f"{'  each new filter value':28} month: " + ", ".join(f"{ms:.0f}ms" for ms in fresh) + "; quarter: "
          + ", ".join(f"{ms:.0f}ms" for ms in fresh_q)
          + f" (the first one of a dimension builds the rollup of {dim} × the breakdown)")
    print(f"{'  CPU time of the same':28} " + "; ".join(f"{k} {v:5.0f}ms" for k, v in cpu.items()))
    print(f"{'  the script run alone':28} after a grain change: {script_wall:5.0f}ms wall, {script_cpu:5.0f}ms CPU "
          f"(≤60ms {'PASS' if script_wall <= 60 else 'MISS'}; AppTest's own polling and parsing excluded)")
    print(f"{'':28} after a filter not seen before: {filter_wall:5.0f}ms wall, {filter_cpu:5.0f}ms CPU "
          f"(≤60ms {'PASS' if filter_wall <= 60 else 'MISS'}); at quarter grain {filter_wall_q:5.0f}ms wall, "
          f"{filter_cpu_q:5.0f}ms CPU (≤60ms {'PASS' if filter_wall_q <= 60 else 'MISS'})")
    print(f"{'  its bare DuckDB floor':28} {sum(floor.values()):5.0f}ms for the {len(floor)} aggregates that view needs, "
          f"hand-written, warm, one after the other ({', '.join(f'{k} {v:.1f}' for k, v in floor.items())}); "
          f"the script run is {filter_wall / sum(floor.values()):.2f}x that")
    cpu["bare floor of a new filter's view"] = sum(floor.values())
    cpu["script run after a filter not seen before, wall"] = filter_wall
    cpu["script run after a filter not seen before, CPU"] = filter_cpu
    cpu["script run after a filter not seen before at quarter grain, wall"] = filter_wall_q
    cpu["script run after a filter not seen before at quarter grain, CPU"] = filter_cpu_q
    cpu["script run after a grain change, wall"] = script_wall
    cpu["script run after a grain change, CPU"] = script_cpu
    return [{"query": "trends page first render", "retro_warm_ms": first},
            {"query": "trends page rerun", "retro_warm_ms": same},
            {"query": "trends page rerun after a grain change", "retro_warm_ms": changed},
            {"query": "trends page rerun after a filter not seen before", "retro_warm_ms": new_filter},
            {"query": "trends page rerun after a filter not seen before, quarter grain", "retro_warm_ms": new_filter_q},
            {"query": "trends page first render after a write", "retro_warm_ms": first_after_write},
            {"query": "trends page CPU time (ms)", **cpu}]


def bare_floor(db, metric: str, dim: str, value: str, by: str, runs: int) -> dict[str, float]:
    """Warm ms of the hand-written DuckDB aggregates a filter on ``dim`` = ``value`` makes the
    trends page compute for ``metric`` broken down by ``by`` (the page's defaults), at month grain:
    the series of the four KPI cards' metrics (metrics.key_metrics, as the page picks them), the
    plan line, the segments of the breakdown and the breakdown's two periods. Nothing a page could
    do with the same queries is faster than running them."""
    from retro import metrics as M

    cards = M.key_metrics(metric, M.catalog(db))
    last = db.scalar("SELECT max(period) FROM current_facts WHERE scenario = 'actual' AND metric = ?", [metric])
    period = dt.date(last.year, last.month, 1)
    base = ("FROM fact_rows f JOIN segments s ON s.dims_key = f.dims_key "
            "WHERE f.replaced_by IS NULL AND f.metric = ? AND f.scenario = ? AND s.dims[?] = ?")
    queries = {f"card {name}": (f"SELECT date_trunc('month', f.period) p, sum(f.value) {base} GROUP BY 1",
                                [name, "actual", dim, value]) for name in cards}
    queries["plan"] = (f"SELECT date_trunc('month', f.period) p, sum(f.value) {base} GROUP BY 1", [metric, "plan", dim, value])
    queries["segments"] = (f"SELECT date_trunc('month', f.period) p, s.dims[?] d, sum(f.value) {base} GROUP BY 1, 2",
                           [by, metric, "actual", dim, value])
    queries["breakdown"] = (f"SELECT f.period, s.dims[?] d, sum(f.value) {base} AND f.period IN (?, ?) GROUP BY 1, 2",
                            [by, metric, "actual", dim, value, period, dt.date(period.year - (period.month == 1),
                                                                               (period.month - 2) % 12 + 1, 1)])
    return {name: timed(lambda sql=sql, params=params: db.rows(sql, params), runs)[1] for name, (sql, params) in queries.items()}


if __name__ == "__main__":
    raise SystemExit(main())
