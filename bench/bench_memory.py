"""Memory benchmark: peak RSS of the preview and the import of a large CSV (issue 19, hole 8).

Generates two CSV files of about ``--mb`` MB each (default 190) into a temporary directory:

  transactions  日期,订单号,客户,区域,产品,金额,数量 — one row per order line (a till or shop export)
  kpi           月份,门店,区域,产品线,指标,计划,实际 — a long KPI table, one row per store, product
                line, metric and month (unique keys)

and measures, each in a fresh child process (its peak = ru_maxrss of the child; the parent
imports nothing heavy, so nothing is inherited):

  bytes     the file read into memory (what an upload is) with retro's libraries imported: the floor
  duckdb    DuckDB ``read_csv(all_varchar=true)`` of the file into an in-memory table: the bare parse
  preview   ``retro.cli.main(["import", FILE, "--db", DB, "--dry-run", "--json"])``: read, detect,
            normalise, the restatement check — everything the preview page does, nothing stored
  import    ``retro.cli.main(["import", FILE, "--db", DB, "--json"])``: the same, then stored

Ratios are peak RSS ÷ file size (the issue's target: ≤ 4× at 190 MB) and ÷ the bare parse's peak.

    .venv/bin/python bench/bench_memory.py [--mb 190] [--shapes transactions,kpi]
        [--kinds bytes,duckdb,preview,import] [--runs 1] [--keep DIR] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
TARGET_OVER_FILE = 4.0
SEED = 20261203
KINDS = ("bytes", "duckdb", "preview", "import")
SHAPES = ("transactions", "kpi")

REGIONS = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"]
CITIES = ["上海", "杭州", "南京", "广州", "深圳", "北京", "天津", "武汉", "成都", "西安", "沈阳", "重庆"]
LINES = ["云服务", "企业软件", "智能硬件", "咨询服务", "培训", "运维外包", "数据平台", "安全产品"]
METRICS = ["销售额(万元)", "订单数", "新增客户", "毛利(万元)", "成本(万元)", "客单价(元)"]


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def write_transactions(path: Path, target_bytes: int) -> int:
    """Order lines over two years, in date order; returns the number of data rows."""
    rng = random.Random(SEED)
    products = [f"P{i:04d}" for i in range(2000)]
    start = date(2025, 1, 1)
    rows = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("日期,订单号,客户,区域,产品,金额,数量\n")
        size = fh.tell()
        # ~60 bytes a row: work out how many rows fill the target, spread over 730 days
        per_day = max(1, target_bytes // 62 // 730)
        order = 0
        day = 0
        while size < target_bytes:
            d = (start + timedelta(days=day % 730)).isoformat()
            lines = []
            for _ in range(per_day):
                order += 1
                qty = rng.randint(1, 9)
                lines.append(
                    f"{d},SO{order:010d},C{rng.randint(1, 400_000):07d},{rng.choice(REGIONS)},"
                    f"{rng.choice(products)},{rng.uniform(5, 3000) * qty:.2f},{qty}\n"
                )
            block = "".join(lines)
            fh.write(block)
            size += len(block.encode("utf-8"))
            rows += per_day
            day += 1
    return rows


def write_kpi(path: Path, target_bytes: int) -> int:
    """A long KPI table: month × store × product line × metric, plan and actual; unique keys."""
    rng = random.Random(SEED + 1)
    months = [f"{2024 + i // 12}-{i % 12 + 1:02d}" for i in range(36)]
    rows = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("月份,门店,区域,产品线,指标,计划,实际\n")
        size = fh.tell()
        store = 0
        while size < target_bytes:
            store += 1
            name = f"{CITIES[store % len(CITIES)]}{store:05d}店"
            region = REGIONS[store % len(REGIONS)]
            lines = []
            for month in months:
                for line in LINES:
                    for metric in METRICS:
                        plan = rng.uniform(10, 900)
                        lines.append(f"{month},{name},{region},{line},{metric},{plan:.2f},{plan * rng.gauss(1, 0.1):.2f}\n")
            block = "".join(lines)
            fh.write(block)
            size += len(block.encode("utf-8"))
            rows += len(lines)
            if size >= target_bytes:
                break
    return rows


# --------------------------------------------------------------------------------------------
# Child side: one measurement per process.
# --------------------------------------------------------------------------------------------


def _child(kind: str, path: str, result_file: str, db_path: str) -> int:
    import resource

    # What the dashboard process has loaded anyway, before the clock starts.
    import duckdb
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401

    from retro import cli

    out: dict = {"kind": kind}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    if kind == "bytes":
        data = Path(path).read_bytes()
        out["bytes"] = len(data)
    elif kind == "duckdb":
        con = duckdb.connect()
        con.execute("SET threads = 2")
        con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, all_varchar = true, header = false)", [path])
        out["rows"] = con.execute("SELECT count(*) FROM t").fetchone()[0]
    else:
        import contextlib
        import io

        args = ["import", path, "--db", db_path, "--json"] + (["--dry-run"] if kind == "preview" else [])
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            code = cli.main(args)
        text = buf.getvalue()
        try:
            payload = json.loads(text)
            out["status"] = payload.get("status")
            out["rows"] = sum(int(s.get("rows") or 0) for s in payload.get("sheets") or [])
        except ValueError:
            out["stdout_tail"] = text[-500:]
        out["code"] = code
    out["seconds"] = time.perf_counter() - started
    out["before_mb"] = before
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    Path(result_file).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    return 0


def _spawn(kind: str, path: Path, timeout: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-mem-", dir=BENCH_DIR / "out") as tmp:
        result_file = Path(tmp) / "result.json"
        db_path = Path(tmp) / "retro.duckdb"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
        env["RETRO_DB"] = str(db_path)
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(path), str(result_file), str(db_path)]
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0 or not result_file.exists():
            return {"kind": kind, "error": f"child exited with {proc.returncode}",
                    "stderr_tail": (proc.stderr or "").strip().splitlines()[-12:]}
        return json.loads(result_file.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return _child(*argv[1:5])
    parser = argparse.ArgumentParser(description="retro memory benchmark (see bench/README.md)")
    parser.add_argument("--mb", type=float, default=190.0, help="size of each generated CSV in MB (10^6 bytes)")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="write (and reuse) the CSV files in this folder")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--json", dest="json_out", type=Path)
    args = parser.parse_args(argv)
    shapes = [s for s in args.shapes.split(",") if s]
    kinds = [k for k in args.kinds.split(",") if k]
    (BENCH_DIR / "out").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-csv-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        results = []
        for shape in shapes:
            path = folder / f"{shape}_{args.mb:g}MB.csv"
            if not path.exists():
                t0 = time.perf_counter()
                rows = (write_transactions if shape == "transactions" else write_kpi)(path, int(args.mb * 1e6))
                print(f"{path.name}: {rows:,} rows written in {time.perf_counter() - t0:.0f}s", flush=True)
            size_mb = path.stat().st_size / 2**20
            print(f"\n{path.name}: {path.stat().st_size / 1e6:.0f} MB ({size_mb:.0f} MiB)", flush=True)
            row = {"shape": shape, "file": path.name, "file_mib": size_mb, "kinds": {}}
            for kind in kinds:
                runs = [_spawn(kind, path, args.timeout) for _ in range(args.runs)]
                for r in runs:
                    if "error" in r:
                        print(f"  {kind:8} ERROR {r['error']}: {' | '.join(r.get('stderr_tail', []))}")
                    else:
                        print(f"  {kind:8} {r['seconds']:7.1f}s  peak {r['peak_mb']:6.0f} MiB "
                              f"({r['peak_mb'] / size_mb:4.2f}× the file; {r['before_mb']:.0f} MiB before)"
                              + (f"  rows={r['rows']:,}" if r.get("rows") is not None else "")
                              + (f"  status={r['status']}" if r.get("status") else ""), flush=True)
                row["kinds"][kind] = runs
            results.append(row)
    print(f"\nPeak RSS (MiB), × the file's size, × the bare parse (duckdb); target ≤ {TARGET_OVER_FILE:g}× the file")
    for row in results:
        bare = [r["peak_mb"] for r in row["kinds"].get("duckdb", []) if "error" not in r]
        for kind, runs in row["kinds"].items():
            peaks = [r["peak_mb"] for r in runs if "error" not in r]
            if not peaks:
                continue
            worst = max(peaks)
            spread = f"{min(peaks):.0f}–{worst:.0f}" if len(peaks) > 1 else f"{worst:.0f}"
            flag = ("PASS" if worst <= TARGET_OVER_FILE * row["file_mib"] else "MISS") if kind in ("preview", "import") else ""
            vs_bare = f"{worst / max(bare):.2f}×" if bare else "n/a"
            secs = ", ".join(f"{r['seconds']:.1f}" for r in runs if "error" not in r)
            print(f"  {row['shape']:12} {kind:8} {spread:>11}  {worst / row['file_mib']:5.2f}× file  "
                  f"{vs_bare:>6} bare  [{secs} s]  {flag}")
    if args.json_out:
        args.json_out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
