"""Generate the benchmark KPI workbooks into bench/out/ (gitignored).

Two layouts, three sizes each (sizes are *long-format rows*):

* long  ``月份 | 区域 | 产品线 | 渠道 | 指标 | 计划 | 实际``: one row per month, region,
  product line, channel and metric; 月份 is a real Excel date (a date-formatted number).
* wide  ``区域 | 产品线 | 渠道 | 指标 | 2025-01 … 2026-12``: the same data pivoted by month
  (one value per month, the actuals), so ``wide rows = long rows / 24``.

Written with xlsxwriter in ``constant_memory`` mode, so memory stays flat even at 1M rows.
Note that in that mode xlsxwriter writes strings inline (``t="inlineStr"``), not through the
shared-strings table that Excel itself uses; readers handle both, but the parse cost differs a
little from a workbook saved by Excel.

Files are reused when a sidecar ``<file>.params.json`` shows they were generated with the same
parameters; delete bench/out/ (or pass ``--force``) to regenerate.

    .venv/bin/python bench/gen_workbooks.py [--sizes 10k,100k,1M] [--layouts long,wide] [--force]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import date
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent / "out"

# Bump when the content of the generated files changes, so stale files are regenerated.
GENERATOR_VERSION = 1
SEED = 20260101
DEFAULT_SIZES = ("10k", "100k", "1M")
LAYOUTS = ("long", "wide")

MONTHS = [date(2025 + i // 12, i % 12 + 1, 1) for i in range(24)]
MONTH_HEADERS = [m.strftime("%Y-%m") for m in MONTHS]
EXCEL_EPOCH = date(1899, 12, 30)

# 60 cities as 区域, 8 channels, 15 product lines: 7,200 combinations, x 6 metrics x 24 months
# = 1,036,800 possible long rows, so every size up to 1M has unique keys.
REGIONS = [
    "上海",
    "杭州",
    "南京",
    "苏州",
    "宁波",
    "合肥",
    "无锡",
    "温州",
    "常州",
    "南通",
    "北京",
    "天津",
    "石家庄",
    "太原",
    "呼和浩特",
    "济南",
    "青岛",
    "烟台",
    "潍坊",
    "唐山",
    "广州",
    "深圳",
    "东莞",
    "佛山",
    "厦门",
    "福州",
    "泉州",
    "南宁",
    "海口",
    "珠海",
    "武汉",
    "长沙",
    "郑州",
    "南昌",
    "洛阳",
    "襄阳",
    "宜昌",
    "株洲",
    "赣州",
    "开封",
    "成都",
    "重庆",
    "西安",
    "昆明",
    "贵阳",
    "兰州",
    "乌鲁木齐",
    "银川",
    "西宁",
    "拉萨",
    "沈阳",
    "大连",
    "长春",
    "哈尔滨",
    "吉林",
    "鞍山",
    "大庆",
    "齐齐哈尔",
    "锦州",
    "营口",
]
CHANNELS = ["直销", "经销", "电商", "代理", "门店", "小程序", "电话销售", "大客户"]
PRODUCT_LINES = [
    "云服务",
    "企业软件",
    "智能硬件",
    "咨询服务",
    "培训",
    "运维外包",
    "数据平台",
    "安全产品",
    "SaaS订阅",
    "IoT设备",
    "移动应用",
    "广告营销",
    "支付服务",
    "物流服务",
    "金融科技",
]
# name, (low, high) monthly plan base per combination, decimals, Excel number format
METRICS = [
    ("销售额(万元)", (40.0, 600.0), 2, "#,##0.00"),
    ("订单数", (150.0, 5000.0), 0, "#,##0"),
    ("新增客户", (10.0, 400.0), 0, "#,##0"),
    ("客户留存率", (0.62, 0.93), 4, "0.0%"),
    ("满意度", (3.6, 4.7), 2, "0.00"),
    ("成本(万元)", (30.0, 450.0), 2, "#,##0.00"),
]
# Spring Festival dip in Feb, 618 bump in Jun, Double 11 and year-end peak.
SEASON = [0.97, 0.78, 1.0, 1.0, 1.03, 1.12, 0.98, 0.97, 1.02, 1.04, 1.22, 1.18]
LEVEL_METRICS = {"客户留存率", "满意度"}  # rates and scores: no seasonality or growth

LONG_HEADER = ["月份", "区域", "产品线", "渠道", "指标", "计划", "实际"]
WIDE_HEADER = ["区域", "产品线", "渠道", "指标", *MONTH_HEADERS]


def parse_size(label: str) -> int:
    """``10k`` -> 10_000, ``1M`` -> 1_000_000, ``2500`` -> 2500."""
    text = label.strip().lower().replace("_", "")
    mult = 1
    if text.endswith("k"):
        mult, text = 1_000, text[:-1]
    elif text.endswith("m"):
        mult, text = 1_000_000, text[:-1]
    value = int(float(text) * mult)
    if value <= 0:
        raise ValueError(f"size must be positive: {label!r}")
    return value


def size_label(rows: int) -> str:
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    if rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return str(rows)


def target_rows(layout: str, long_rows: int) -> int:
    """Data rows in the file (header excluded)."""
    return long_rows if layout == "long" else max(1, round(long_rows / 24))


def params_for(layout: str, long_rows: int) -> dict:
    return {
        "generator_version": GENERATOR_VERSION,
        "seed": SEED,
        "layout": layout,
        "size": size_label(long_rows),
        "long_rows_equivalent": long_rows,
        "rows": target_rows(layout, long_rows),
        "columns": len(LONG_HEADER) if layout == "long" else len(WIDE_HEADER),
    }


def path_for(layout: str, long_rows: int, out_dir: Path = OUT_DIR) -> Path:
    return out_dir / f"{layout}_{size_label(long_rows)}.xlsx"


def _combo(index: int) -> tuple[str, str, str]:
    region = REGIONS[index % len(REGIONS)]
    channel = CHANNELS[(index // len(REGIONS)) % len(CHANNELS)]
    product = PRODUCT_LINES[(index // (len(REGIONS) * len(CHANNELS))) % len(PRODUCT_LINES)]
    return region, product, channel


def _plan_series(rng: random.Random, metric_idx: int) -> list[float]:
    """24 monthly plan values for one combination and metric."""
    name, (low, high), _, _ = METRICS[metric_idx]
    base = rng.uniform(low, high)
    if name in LEVEL_METRICS:
        return [
            min(base + rng.uniform(-0.01, 0.01) * base, 0.99 if name == "客户留存率" else 5.0) for _ in MONTHS
        ]
    return [base * SEASON[m.month - 1] * (1.15 if m.year == 2026 else 1.0) for m in MONTHS]


def _actual(rng: random.Random, metric_idx: int, plan: float) -> float:
    name = METRICS[metric_idx][0]
    if name == "客户留存率":
        return min(plan + rng.gauss(0.0, 0.025), 0.995)
    if name == "满意度":
        return min(plan + rng.gauss(0.0, 0.15), 5.0)
    return plan * rng.gauss(1.0, 0.09)


def _round(metric_idx: int, value: float) -> float:
    decimals = METRICS[metric_idx][2]
    return round(value) if decimals == 0 else round(value, decimals)


def _write_long(wb, ws, rows: int, rng: random.Random) -> None:
    header_fmt = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    date_fmt = wb.add_format({"num_format": 'yyyy"年"m"月"'})
    metric_fmts = [wb.add_format({"num_format": m[3]}) for m in METRICS]
    ws.set_column(0, 0, 11)
    ws.set_column(1, 4, 13)
    ws.set_column(5, 6, 12)
    ws.freeze_panes(1, 0)
    for col, name in enumerate(LONG_HEADER):
        ws.write_string(0, col, name, header_fmt)

    serials = [(m - EXCEL_EPOCH).days for m in MONTHS]
    n_metrics = len(METRICS)
    per_combo = n_metrics * len(MONTHS)
    write_number, write_string = ws.write_number, ws.write_string
    row = 1
    combo = 0
    while row <= rows:
        region, product, channel = _combo(combo)
        plans = [_plan_series(rng, k) for k in range(n_metrics)]
        # month-major inside a combination: every metric for 2025-01, then 2025-02, ...
        for i in range(min(per_combo, rows - row + 1)):
            month, k = divmod(i, n_metrics)
            plan = plans[k][month]
            fmt = metric_fmts[k]
            write_number(row, 0, serials[month], date_fmt)
            write_string(row, 1, region)
            write_string(row, 2, product)
            write_string(row, 3, channel)
            write_string(row, 4, METRICS[k][0])
            write_number(row, 5, _round(k, plan), fmt)
            write_number(row, 6, _round(k, _actual(rng, k, plan)), fmt)
            row += 1
        combo += 1


def _write_wide(wb, ws, rows: int, rng: random.Random) -> None:
    header_fmt = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    metric_fmts = [wb.add_format({"num_format": m[3]}) for m in METRICS]
    ws.set_column(0, 3, 13)
    ws.set_column(4, 4 + len(MONTHS) - 1, 10)
    ws.freeze_panes(1, 4)
    for col, name in enumerate(WIDE_HEADER):
        ws.write_string(0, col, name, header_fmt)

    n_metrics = len(METRICS)
    write_number, write_string = ws.write_number, ws.write_string
    for r in range(rows):
        combo, k = divmod(r, n_metrics)
        region, product, channel = _combo(combo)
        row = r + 1
        write_string(row, 0, region)
        write_string(row, 1, product)
        write_string(row, 2, channel)
        write_string(row, 3, METRICS[k][0])
        fmt = metric_fmts[k]
        for month, plan in enumerate(_plan_series(rng, k)):
            write_number(row, 4 + month, _round(k, _actual(rng, k, plan)), fmt)


def _is_current(path: Path, params: dict) -> bool:
    sidecar = path.with_name(path.name + ".params.json")
    if not (path.exists() and sidecar.exists()):
        return False
    try:
        saved = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return saved.get("params") == params and saved.get("size_bytes") == path.stat().st_size


def generate(layout: str, long_rows: int, out_dir: Path = OUT_DIR, force: bool = False) -> dict:
    """Write one workbook unless an identical one exists. Returns its description."""
    import xlsxwriter  # dev dependency; imported here so importing this module stays light

    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    params = params_for(layout, long_rows)
    path = path_for(layout, long_rows, out_dir)
    info = {"path": str(path), **params}
    if not force and _is_current(path, params):
        return {**info, "generated": False, "seconds": 0.0, "size_bytes": path.stat().st_size}

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.xlsx")
    started = time.perf_counter()
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "tmpdir": str(out_dir)})
    wb.set_properties({"title": f"KPI benchmark ({layout}, {params['size']})", "author": "retro bench"})
    ws = wb.add_worksheet("KPI明细" if layout == "long" else "月度实际")
    rng = random.Random(f"{SEED}-{layout}")
    if layout == "long":
        _write_long(wb, ws, params["rows"], rng)
    else:
        _write_wide(wb, ws, params["rows"], rng)
    wb.close()
    os.replace(tmp, path)
    seconds = time.perf_counter() - started
    size = path.stat().st_size
    sidecar = path.with_name(path.name + ".params.json")
    sidecar.write_text(
        json.dumps({"params": params, "size_bytes": size}, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return {**info, "generated": True, "seconds": seconds, "size_bytes": size}


def ensure(
    sizes: list[int], layouts: list[str], out_dir: Path = OUT_DIR, force: bool = False, verbose: bool = True
) -> list[dict]:
    """Make sure every (layout, size) workbook exists; return their descriptions."""
    results = []
    for long_rows in sizes:
        for layout in layouts:
            if verbose:
                print(f"  {layout:4} {size_label(long_rows):>4}: ", end="", flush=True)
            info = generate(layout, long_rows, out_dir, force)
            if verbose:
                what = f"generated in {info['seconds']:.1f}s" if info["generated"] else "reused"
                print(
                    f"{what:22} {info['rows']:>9,} rows x {info['columns']} cols, "
                    f"{info['size_bytes'] / 1e6:7.1f} MB  {info['path']}",
                    flush=True,
                )
            results.append(info)
    return results


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(DEFAULT_SIZES), help="comma-separated, e.g. 10k,100k,1M")
    parser.add_argument("--layouts", default=",".join(LAYOUTS), help="long,wide")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--force", action="store_true", help="regenerate even if files are current")
    args = parser.parse_args(argv)
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    layouts = [s.strip() for s in args.layouts.split(",") if s.strip()]
    started = time.perf_counter()
    print(f"Generating benchmark workbooks into {args.out}")
    ensure(sizes, layouts, args.out, args.force)
    print(f"Done in {time.perf_counter() - started:.1f}s (generator peak RSS {_peak_mb():.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
