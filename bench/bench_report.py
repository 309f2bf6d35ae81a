"""Report benchmark: the full sample report (10 trend charts) rendered in every format.

The store is the bundled sample (bench/out/report_sample.duckdb, built once). In one process:

  build        build_report alone (what every format pays before rendering)
  charts       chart_png for the report's charts, cache emptied first: the floor for every format
               that carries chart images (pdf, pptx, html)
  openpyxl     the report's tables written to a workbook with bare openpyxl (no formats, widths,
               charts): the floor for xlsx
  <format>     render(report), cold (chart cache emptied: a scheduled `python -m retro report`)
               and warm (charts already drawn: the export page after its preview)

Each timing is the median of --runs. Ratios: each format cold against `charts` (pdf/pptx/html)
or `openpyxl` (xlsx), and against `build`. Targets (issue 6): pdf ≤ 3 s, xlsx ≤ 1 s.

    .venv/bin/python bench/bench_report.py [--runs 3] [--period 2026-10] [--json out.json]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

TARGETS_S = {"pdf": 3.0, "xlsx": 1.0}
LOAD = ""


def open_store(path: Path):
    from retro.bootstrap import load_sample
    from retro.db import Database

    fresh = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(path)
    if fresh:
        load_sample(db)
    return db


CPU: dict[str, float] = {}


def timed(fn, runs: int, before=None, *, name: str | None = None) -> float:
    """Median wall seconds of ``runs`` calls, ``before`` run untimed ahead of each.

    The process CPU time (all threads, vl-convert's engine included) is kept in CPU[name]: on a
    machine shared with other work, wall time stretches with the load and CPU time does not."""
    times, cpu = [], []
    for _ in range(runs):
        if before is not None:
            before()
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    if name is not None:
        CPU[name] = statistics.median(cpu)
    return statistics.median(times)


def bare_openpyxl(report) -> bytes:
    from openpyxl import Workbook

    from retro.report.model import Table

    wb = Workbook()
    wb.remove(wb.active)
    for section in report.sections:
        for block in section.blocks:
            if isinstance(block, Table):
                ws = wb.create_sheet(block.key[:31])
                ws.append(list(block.columns))
                for row in block.rows:
                    ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--lang", default="zh", choices=("zh", "en"))
    parser.add_argument("--store", type=Path, default=BENCH / "out" / "report_sample.duckdb")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    from retro.report import images, pdf, pptx, xlsx
    from retro.report.markdown import render_html, render_md
    from retro.report.model import Chart, build_report

    global LOAD
    LOAD = " ".join(f"{x:.1f}" for x in os.getloadavg())
    db = open_store(args.store)
    try:
        started = time.perf_counter()
        report = build_report(db, args.period, lang=args.lang)
        first_build = time.perf_counter() - started
        build = timed(lambda: build_report(db, args.period, lang=args.lang), args.runs, name="build")
    finally:
        db.close()
    charts = [b for s in report.sections for b in s.blocks if isinstance(b, Chart)]

    # The first vl-convert call of a process starts its JavaScript engine: paid once, shown apart.
    started = time.perf_counter()
    images.chart_png({"mark": "point", "data": {"values": [{"x": 1}]}, "encoding": {"x": {"field": "x"}}})
    engine_start = time.perf_counter() - started

    def empty_cache() -> None:
        images._cache.clear()

    chart_time = timed(lambda: [images.chart_png(c.spec) for c in charts], args.runs, empty_cache, name="charts")
    bare_xlsx = timed(lambda: bare_openpyxl(report), args.runs, name="openpyxl")

    renderers = {
        "xlsx": xlsx.render,
        "pdf": pdf.render,
        "pptx": pptx.render,
        "html": render_html,
        "md": render_md,
    }
    results: dict[str, dict[str, float]] = {}
    sizes: dict[str, int] = {}
    for name, render in renderers.items():
        cold = timed(lambda r=render: r(report), args.runs, empty_cache, name=f"{name}_cold")
        for c in charts:  # warm: every chart already drawn once
            images.chart_png(c.spec)
        warm = timed(lambda r=render: r(report), args.runs, name=f"{name}_warm")
        out = render(report)
        sizes[name] = len(out.encode() if isinstance(out, str) else out)
        results[name] = {"cold_s": cold, "warm_s": warm,
                         "cold_cpu_s": CPU[f"{name}_cold"], "warm_cpu_s": CPU[f"{name}_warm"]}

    print(f"sample report {args.period} ({args.lang}): {len(charts)} charts, {len(report.sections)} sections; "
          f"median of {args.runs} runs")
    print(f"  load average at start: {LOAD}; wall ms (cpu ms: process CPU, all threads)")
    print(f"  build_report            {build * 1000:8.0f} ms ({CPU['build'] * 1000:.0f})   "
          f"(first call {first_build * 1000:.0f} ms)")
    print(f"  vl-convert engine start {engine_start * 1000:8.0f} ms   (once per process)")
    print(f"  charts ({len(charts)}× chart_png)  {chart_time * 1000:8.0f} ms ({CPU['charts'] * 1000:.0f})   "
          f"({chart_time / max(len(charts), 1) * 1000:.0f} ms each)")
    print(f"  bare openpyxl tables    {bare_xlsx * 1000:8.0f} ms ({CPU['openpyxl'] * 1000:.0f})")
    print()
    print(f"  {'format':6} {'cold ms':>9} {'(cpu)':>7} {'warm ms':>9} {'(cpu)':>7} {'size KB':>8}  "
          f"{'cold/floor':>10} {'(cpu)':>6} {'cold/build':>10} {'(cpu)':>6}  target")
    for name, r in results.items():
        floor_name, floor = ("openpyxl", bare_xlsx) if name == "xlsx" else ("charts", chart_time)
        if name == "md":
            floor_name, floor = "build", build
        floor_key = floor_name
        target = TARGETS_S.get(name)
        verdict = ""
        if target is not None:
            verdict = (f"≤ {target:g} s: cold {'met' if r['cold_s'] <= target else 'MISSED'}"
                       f" (cpu {'met' if r['cold_cpu_s'] <= target else 'MISSED'}), "
                       f"warm {'met' if r['warm_s'] <= target else 'MISSED'}"
                       f" (cpu {'met' if r['warm_cpu_s'] <= target else 'MISSED'})")
        print(f"  {name:6} {r['cold_s'] * 1000:9.0f} {r['cold_cpu_s'] * 1000:7.0f} {r['warm_s'] * 1000:9.0f} "
              f"{r['warm_cpu_s'] * 1000:7.0f} {sizes[name] / 1024:8.0f}  "
              f"{r['cold_s'] / floor:9.1f}× {r['cold_cpu_s'] / CPU[floor_key]:5.1f}× "
              f"{r['cold_s'] / build:9.1f}× {r['cold_cpu_s'] / CPU['build']:5.1f}×  {verdict}  (floor: {floor_name})")
    if args.json:
        args.json.write_text(json.dumps({
            "period": args.period, "lang": args.lang, "runs": args.runs, "charts": len(charts),
            "build_s": build, "engine_start_s": engine_start, "charts_s": chart_time,
            "bare_openpyxl_s": bare_xlsx, "formats": results, "sizes": sizes, "cpu_s": CPU, "load": LOAD,
        }, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
