"""Import benchmark: retro end to end vs the bare parse (the floor) vs pandas+openpyxl.

For every generated workbook (see gen_workbooks.py) this measures, each in a fresh subprocess:

  floor   fastexcel.read_excel(path).load_sheet(0, eager=True) -> pyarrow.RecordBatch, with
          dtypes guessed and with dtypes="string"; the faster of the two is the floor
  pandas  pandas.read_excel(path, engine="openpyxl"), what a typical Streamlit app does; only
          for files of at most --pandas-max-rows data rows, larger ones are extrapolated
          linearly (by cells) from the largest measured file of the same layout
  retro   retro.cli.main(["import", path, "--db", <fresh file>, "--json"]): file bytes to
          committed DuckDB rows in a fresh DuckDB file in a temporary directory

Wall time is taken inside the child around the operation only (libraries already imported);
peak memory is the child's ru_maxrss (getrusage(RUSAGE_SELF)), reported back as JSON. Each
measurement is the best of N runs (N=3 below 1M rows, 1 at 1M; --runs overrides).

    .venv/bin/python bench/bench_import.py [--sizes 10k,100k,1M] [--layouts long,wide]
        [--runs N] [--pandas-max-rows 100k] [--no-pandas] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

import gen_workbooks as gen  # noqa: E402  (after the sys.path tweak; light: no xlsxwriter import)

# Targets from issue 2 (judged at 1M rows; shown for smaller files as an indication).
TARGET_RETRO_OVER_FLOOR = 1.3
TARGET_PANDAS_OVER_RETRO = 10.0
TARGET_MEM_RETRO_OVER_FLOOR = 2.0
TARGET_ROWS = 1_000_000

FLOOR_KINDS = ("floor-typed", "floor-string")
CHILD_TIMEOUT_S = 3600
# What (c) calls: <module>.main(["import", FILE, "--db", DB, "--json"]). --retro-module swaps in
# another implementation with the same contract (used to test this harness before retro.cli existed).
DEFAULT_RETRO_MODULE = "retro.cli"


# --------------------------------------------------------------------------------------------
# Child side: one measurement per process.
# --------------------------------------------------------------------------------------------


def _rss_mb() -> float:
    """Current resident set size of this process."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _vmhwm_mb() -> float | None:
    """Peak RSS of this process image only (not inherited across exec, unlike ru_maxrss)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _child(kind: str, path: str, result_file: str, db_path: str | None) -> int:
    import resource

    result: dict = {"kind": kind, "path": path}
    module = os.environ.get("BENCH_RETRO_MODULE", DEFAULT_RETRO_MODULE)
    if kind == "probe-retro":
        parents = {".".join(module.split(".")[: i + 1]) for i in range(module.count(".") + 1)}
        try:
            retro_main = importlib.import_module(module).main
        except ModuleNotFoundError as exc:
            if exc.name in parents:
                result.update(available=False, reason=f"module {exc.name} not found")
            else:
                result.update(available=False, reason=f"{module} failed to import: {exc!r}")
        except Exception as exc:  # a half-written importer must not stop the benchmark
            result.update(available=False, reason=f"{module} failed to import: {exc!r}")
        else:
            result.update(
                available=callable(retro_main),
                reason="" if callable(retro_main) else "retro.cli.main is not callable",
            )
        Path(result_file).write_text(json.dumps(result), encoding="utf-8")
        return 0

    # Import the libraries before the clock starts: we time the import of the file, not Python's.
    if kind in FLOOR_KINDS:
        import fastexcel
        import pyarrow  # noqa: F401  (eager=True returns a pyarrow.RecordBatch)
    elif kind == "pandas":
        import openpyxl  # noqa: F401
        import pandas as pd
    elif kind == "retro":
        import io

        # The dashboard process has these loaded already; do not time their first import when
        # the importer happens to import them lazily inside main().
        for lib in ("pyarrow", "fastexcel", "python_calamine", "duckdb", "pandas"):
            with contextlib.suppress(ImportError):
                importlib.import_module(lib)
        retro_main = importlib.import_module(module).main
    else:
        raise SystemExit(f"unknown child kind {kind!r}")

    result["rss_before_mb"] = _rss_mb()
    started = time.perf_counter()
    if kind in FLOOR_KINDS:
        reader = fastexcel.read_excel(path)
        if kind == "floor-string":
            batch = reader.load_sheet(0, eager=True, dtypes="string")
        else:
            batch = reader.load_sheet(0, eager=True)
        seconds = time.perf_counter() - started
        result.update(rows=batch.num_rows, columns=batch.num_columns, arrow_mb=batch.nbytes / 2**20)
    elif kind == "pandas":
        frame = pd.read_excel(path, engine="openpyxl")
        seconds = time.perf_counter() - started
        result.update(rows=len(frame), columns=len(frame.columns))
    else:
        out = io.StringIO()
        code: object = 0
        with contextlib.redirect_stdout(out):
            try:
                code = retro_main(["import", path, "--db", db_path, "--json"])
            except SystemExit as exc:
                code = exc.code
        seconds = time.perf_counter() - started
        text = out.getvalue()
        result["exit_code"] = code if isinstance(code, int) or code is None else str(code)
        try:
            summary = json.loads(text)
        except ValueError:
            summary = None
            result["stdout_tail"] = text[-2000:]
        if summary is not None:
            sheets = summary.get("sheets") or []
            result["rows"] = sum(int(s.get("rows") or 0) for s in sheets)
            result["sheets"] = [
                {k: s.get(k) for k in ("sheet", "status", "shape", "rows", "error")} for s in sheets
            ]
            result["warnings"] = sum(len(s.get("warnings") or []) for s in sheets)
        db = Path(db_path)
        result["db_mb"] = sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 2**20
        if code not in (0, None):
            result["error"] = f"retro import exited with {code!r}"
    result["seconds"] = seconds
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    result["vmhwm_mb"] = _vmhwm_mb()
    Path(result_file).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


# --------------------------------------------------------------------------------------------
# Parent side. Keep it light: a child's ru_maxrss includes the RSS of the parent it was
# forked from, so the parent must never import pyarrow/pandas/duckdb itself.
# --------------------------------------------------------------------------------------------


def _spawn(kind: str, path: str, timeout: float, db_dir: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-", dir=db_dir or None) as tmp:
        result_file = Path(tmp) / "result.json"
        db_path = Path(tmp) / "retro.duckdb"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
        env["RETRO_DB"] = str(db_path)  # never touch data/retro.duckdb
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            kind,
            path,
            str(result_file),
            str(db_path),
        ]
        started = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"kind": kind, "error": f"timed out after {timeout:.0f}s"}
        process_s = time.perf_counter() - started
        if proc.returncode != 0 or not result_file.exists():
            tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-12:]
            return {"kind": kind, "error": f"child exited with {proc.returncode}", "stderr_tail": tail}
        result = json.loads(result_file.read_text(encoding="utf-8"))
        result["process_s"] = process_s
        if proc.stderr.strip():
            result["stderr_tail"] = proc.stderr.strip().splitlines()[-5:]
        return result


def _best(kind: str, path: str, runs: int, timeout: float, db_dir: Path | None = None) -> dict:
    """Best (fastest) of ``runs``; peak memory is the highest seen across the runs."""
    attempts = [_spawn(kind, path, timeout, db_dir) for _ in range(runs)]
    good = [a for a in attempts if "error" not in a and "seconds" in a]
    if not good:
        return {"kind": kind, "error": attempts[-1].get("error"), "runs": attempts}
    best = dict(min(good, key=lambda a: a["seconds"]))
    best["peak_mb"] = max(a["peak_mb"] for a in good)
    best["all_seconds"] = [a.get("seconds") for a in attempts]
    best["all_peak_mb"] = [a.get("peak_mb") for a in attempts]
    best["n_runs"] = runs
    return best


def _warm_cache(path: str) -> None:
    """Read the file once so the first measured run does not pay for a cold page cache."""
    with open(path, "rb") as fh:
        while fh.read(1 << 20):
            pass


def _probe_retro(timeout: float, module: str) -> tuple[bool, str]:
    if module == DEFAULT_RETRO_MODULE and not (REPO / "retro" / "cli.py").exists():
        return False, "retro/cli.py does not exist yet"
    res = _spawn("probe-retro", "-", timeout)
    if "error" in res:
        return False, f"probe failed: {res['error']} {' | '.join(res.get('stderr_tail', []))}"
    return bool(res.get("available")), res.get("reason", "")


def _versions() -> dict:
    out = {}
    for dist in ("fastexcel", "pyarrow", "pandas", "openpyxl", "duckdb", "python-calamine", "xlsxwriter"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def _machine() -> dict:
    model = None
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), None)
    except OSError:
        pass
    mem_gb = None
    with contextlib.suppress(ValueError, OSError):
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": model,
        "memory_gb": round(mem_gb, 1) if mem_gb else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": _versions(),
    }


def _fmt_s(value: float | None, approx: bool = False) -> str:
    if value is None:
        return "n/a"
    text = f"{value:.3f}" if value < 10 else f"{value:.1f}"
    return ("~" + text) if approx else text


def _fmt_x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def _fmt_mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def _flag(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return _child(argv[1], argv[2], argv[3], argv[4] if len(argv) > 4 else None)

    parser = argparse.ArgumentParser(description="retro import benchmark (see bench/README.md)")
    parser.add_argument("--sizes", default=",".join(gen.DEFAULT_SIZES), help="e.g. 10k,100k,1M")
    parser.add_argument("--layouts", default=",".join(gen.LAYOUTS), help="long,wide")
    parser.add_argument("--runs", type=int, default=None, help="runs per measurement (default 3, 1 at 1M)")
    parser.add_argument(
        "--pandas-max-rows",
        default="100k",
        help="measure pandas+openpyxl only up to this many data rows; extrapolate above",
    )
    parser.add_argument("--no-pandas", action="store_true", help="skip pandas+openpyxl entirely")
    parser.add_argument("--no-retro", action="store_true", help="skip the retro import")
    parser.add_argument(
        "--retro-module",
        default=DEFAULT_RETRO_MODULE,
        help="module whose main() is benchmarked as (c) (default retro.cli)",
    )
    parser.add_argument("--timeout", type=float, default=CHILD_TIMEOUT_S, help="seconds per child process")
    parser.add_argument("--json", dest="json_out", type=Path, help="save raw results to this file")
    args = parser.parse_args(argv)

    sizes = [gen.parse_size(s) for s in args.sizes.split(",") if s.strip()]
    layouts = [s.strip() for s in args.layouts.split(",") if s.strip()]
    pandas_max = gen.parse_size(args.pandas_max_rows)
    machine = _machine()
    print(
        f"retro import benchmark — {machine['cpus']} CPUs ({machine['cpu_model']}), "
        f"{machine['memory_gb']} GB RAM, Python {machine['python']}"
    )
    print("versions: " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()))

    print("\nWorkbooks:")
    t0 = time.perf_counter()
    files = gen.ensure(sizes, layouts)
    print(f"  ready in {time.perf_counter() - t0:.1f}s")

    if args.no_retro:
        retro_ok, retro_reason = False, "skipped (--no-retro)"
    else:
        os.environ["BENCH_RETRO_MODULE"] = args.retro_module  # inherited by every child
        retro_ok, retro_reason = _probe_retro(args.timeout, args.retro_module)
    if not retro_ok:
        print(f"\n!! retro importer not available: {retro_reason} — measuring floor and pandas only")
    elif args.retro_module != DEFAULT_RETRO_MODULE:
        print(f"\n!! (c) is {args.retro_module}.main, NOT retro.cli: a stand-in, not retro's importer")

    db_dir = gen.OUT_DIR  # DuckDB files go on the repo's disk (bench/out, gitignored), not tmpfs
    results = []
    pandas_ref: dict[str, dict] = {}  # layout -> largest measured pandas result (for extrapolation)
    for info in sorted(files, key=lambda f: (f["long_rows_equivalent"], f["layout"])):
        path = info["path"]
        name = Path(path).name
        runs = args.runs or (1 if info["long_rows_equivalent"] >= TARGET_ROWS else 3)
        print(f"\n{name}: {info['rows']:,} rows x {info['columns']} cols, best of {runs}", flush=True)
        _warm_cache(path)
        row: dict = {"file": name, **info, "runs": runs}

        for kind in FLOOR_KINDS:
            row[kind] = r = _best(kind, path, runs, args.timeout)
            _report(kind, r)
        floors = [row[k] for k in FLOOR_KINDS if "error" not in row[k]]
        row["floor"] = min(floors, key=lambda r: r["seconds"]) if floors else None
        if row["floor"]:
            print(f"  floor = {row['floor']['kind']}")

        if args.no_pandas:
            row["pandas"] = None
        elif info["rows"] <= pandas_max:
            row["pandas"] = r = _best("pandas", path, runs, args.timeout)
            _report("pandas", r)
            if "error" not in r:
                ref = pandas_ref.get(info["layout"])
                if ref is None or info["rows"] > ref["rows"]:
                    pandas_ref[info["layout"]] = {**r, "rows": info["rows"], "file": name}
        else:
            ref = pandas_ref.get(info["layout"])
            if ref is None:  # nothing measured for this layout in this run: measure the reference
                ref_rows = pandas_max if info["layout"] == "long" else pandas_max * 24
                ref_info = gen.ensure([ref_rows], [info["layout"]], verbose=False)[0]
                if ref_info["rows"] <= pandas_max:
                    rr = _best("pandas", ref_info["path"], 1, args.timeout)
                    if "error" not in rr:
                        ref = {**rr, "rows": ref_info["rows"], "file": Path(ref_info["path"]).name}
                        pandas_ref[info["layout"]] = ref
            if ref is not None:
                factor = info["rows"] / ref["rows"]
                row["pandas"] = {
                    "kind": "pandas",
                    "extrapolated": True,
                    "from_file": ref["file"],
                    "factor": factor,
                    "seconds": ref["seconds"] * factor,
                }
                print(
                    f"  pandas        ~{row['pandas']['seconds']:.1f}s  EXTRAPOLATED linearly from "
                    f"{ref['file']} ({ref['seconds']:.2f}s x {factor:.1f}), not measured"
                )
            else:
                row["pandas"] = {"kind": "pandas", "error": "no reference measurement to extrapolate from"}

        if retro_ok:
            row["retro"] = r = _best("retro", path, runs, args.timeout, db_dir)
            _report("retro", r)
        else:
            row["retro"] = None
        results.append(row)

    _print_table(results, retro_ok, retro_reason)

    if args.json_out:
        payload = {
            "machine": machine,
            "retro_module": args.retro_module,
            "argv": argv,
            "retro_available": retro_ok,
            "retro_reason": retro_reason,
            "targets": {
                "retro_over_floor_max": TARGET_RETRO_OVER_FLOOR,
                "pandas_over_retro_min": TARGET_PANDAS_OVER_RETRO,
                "mem_retro_over_floor_max": TARGET_MEM_RETRO_OVER_FLOOR,
                "judged_at_rows": TARGET_ROWS,
            },
            "results": results,
        }
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"\nraw results saved to {args.json_out}")

    failed = [
        r["file"]
        for r in results
        if any(isinstance(r.get(k), dict) and "error" in r[k] for k in (*FLOOR_KINDS, "pandas", "retro"))
    ]
    if failed:
        print(f"\n!! some measurements failed: {', '.join(failed)} (see above / --json)")
        return 1
    return 0


def _report(kind: str, r: dict) -> None:
    if "error" in r:
        print(f"  {kind:13} ERROR: {r['error']}")
        for line in (
            r.get("stderr_tail", [])
            or [ln for a in r.get("runs", []) for ln in a.get("stderr_tail", [])][-12:]
        ):
            print(f"      {line}")
        return
    secs = ", ".join(f"{s:.3f}" for s in r["all_seconds"] if s is not None)
    extra = ""
    if r.get("rows") is not None:
        extra += f"  rows={r['rows']:,}"
    if r.get("db_mb") is not None:
        extra += f"  db={r['db_mb']:.1f}MB"
    if r.get("warnings"):
        extra += f"  warnings={r['warnings']}"
    print(
        f"  {kind:13} {r['seconds']:8.3f}s  peak {r['peak_mb']:6.0f} MB "
        f"(before op {r['rss_before_mb']:.0f} MB)  runs: [{secs}]{extra}",
        flush=True,
    )


def _print_table(results: list[dict], retro_ok: bool, retro_reason: str) -> None:
    headers = [
        "file",
        "rows",
        "floor s",
        "retro s",
        "retro/floor",
        "pandas s",
        "pandas/retro",
        "peak MB floor",
        "peak MB retro",
        "mem ratio",
        "time",
        "vs pandas",
        "memory",
    ]
    lines = []
    judged = []
    for r in results:
        floor, retro, pandas = r.get("floor"), r.get("retro"), r.get("pandas")
        floor_s = floor["seconds"] if floor else None
        retro_s = retro["seconds"] if retro and "error" not in retro else None
        pandas_s = pandas["seconds"] if pandas and "error" not in pandas else None
        floor_mb = floor["peak_mb"] if floor else None
        retro_mb = retro["peak_mb"] if retro and "error" not in retro else None
        t_ratio, p_ratio, m_ratio = (
            _ratio(retro_s, floor_s),
            _ratio(pandas_s, retro_s),
            _ratio(retro_mb, floor_mb),
        )
        flags = [
            _flag(None if t_ratio is None else t_ratio <= TARGET_RETRO_OVER_FLOOR),
            _flag(None if p_ratio is None else p_ratio >= TARGET_PANDAS_OVER_RETRO),
            _flag(None if m_ratio is None else m_ratio <= TARGET_MEM_RETRO_OVER_FLOOR),
        ]
        r["summary"] = {
            "floor_s": floor_s,
            "retro_s": retro_s,
            "pandas_s": pandas_s,
            "pandas_extrapolated": bool(pandas and pandas.get("extrapolated")),
            "retro_over_floor": t_ratio,
            "pandas_over_retro": p_ratio,
            "pandas_over_floor": _ratio(pandas_s, floor_s),
            "peak_mb_floor": floor_mb,
            "peak_mb_retro": retro_mb,
            "mem_ratio": m_ratio,
            "mem_growth_mb_floor": floor["peak_mb"] - floor["rss_before_mb"] if floor else None,
            "mem_growth_mb_retro": (
                retro["peak_mb"] - retro["rss_before_mb"] if retro and "error" not in retro else None
            ),
            "flags": dict(zip(("time", "vs_pandas", "memory"), flags, strict=True)),
        }
        if r["long_rows_equivalent"] >= TARGET_ROWS:
            judged.append((r["file"], flags))
        lines.append(
            [
                r["file"],
                f"{r['rows']:,}",
                _fmt_s(floor_s),
                _fmt_s(retro_s),
                _fmt_x(t_ratio),
                _fmt_s(pandas_s, bool(pandas and pandas.get("extrapolated"))),
                _fmt_x(p_ratio),
                _fmt_mb(floor_mb),
                _fmt_mb(retro_mb),
                _fmt_x(m_ratio),
                *flags,
            ]
        )
    widths = [max(len(h), *(len(ln[i]) for ln in lines)) if lines else len(h) for i, h in enumerate(headers)]
    print("\nResults (best of N; times in seconds; peak = child ru_maxrss)")
    print(
        "  "
        + "  ".join(
            h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    )
    print("  " + "  ".join("-" * w for w in widths))
    for ln in lines:
        print(
            "  "
            + "  ".join(
                c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(ln, widths, strict=True))
            )
        )

    print(
        f"\nTargets (issue 2, judged at {TARGET_ROWS:,} rows; flags on smaller files are indicative):"
        f"\n  time:      retro end to end <= {TARGET_RETRO_OVER_FLOOR}x the bare parse"
        f"\n  vs pandas: retro >= {TARGET_PANDAS_OVER_RETRO:.0f}x faster than pandas.read_excel(engine='openpyxl')"
        f"\n  memory:    retro peak <= {TARGET_MEM_RETRO_OVER_FLOOR}x the bare parse's peak"
    )
    if any(r.get("pandas") and r["pandas"].get("extrapolated") for r in results):
        print(
            "  ~ pandas times marked ~ are EXTRAPOLATED linearly from the largest measured file of the same"
            " layout (openpyxl is linear in cells), not measured."
        )
    for r in results:
        s = r["summary"]
        if s["pandas_over_floor"] is not None:
            print(
                f"  {r['file']}: pandas/floor = {s['pandas_over_floor']:.1f}x "
                f"(best possible pandas/retro at 1.3x the floor: {s['pandas_over_floor'] / 1.3:.1f}x)"
            )
    print(
        "  memory: peak includes the libraries loaded before the operation (floor: fastexcel+pyarrow;"
        " retro: also duckdb, pandas, ...); growth = peak - RSS just before the operation:"
    )
    for r in results:
        s = r["summary"]
        fg, rg = s["mem_growth_mb_floor"], s["mem_growth_mb_retro"]
        if fg is not None:
            both = f", retro +{rg:.0f} MB ({_fmt_x(_ratio(rg, fg))})" if rg is not None else ""
            print(f"    {r['file']}: floor +{fg:.0f} MB{both}")
    if not retro_ok:
        print(f"  retro importer not available ({retro_reason}): retro columns are n/a.")
    elif judged:
        for name, flags in judged:
            print(f"  {name}: time {flags[0]}, vs pandas {flags[1]}, memory {flags[2]}")
    else:
        print("  (no 1M-row file in this run: add 1M to --sizes to judge the targets)")


if __name__ == "__main__":
    sys.exit(main())
