"""Helpers for the UI tests: a real ``streamlit run`` server, chromium, and small workbooks.

Nothing here imports Streamlit or Playwright at module level, so the AppTest tests can use the
workbook builders without the browser stack.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "app.py"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 1000}
DOCS = REPO_ROOT / "docs"

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --------------------------------------------------------------------------- workbooks


@dataclass(frozen=True)
class WideWorkbook:
    """A wide-by-month sheet (区域 | 1月 … 6月) with a 合计 row, and what it holds."""

    name: str
    data: bytes
    sheet: str
    year: int
    metric: str
    regions: dict[str, list[float]] = field(default_factory=dict)

    @property
    def months(self) -> list[str]:
        n = len(next(iter(self.regions.values())))
        return [f"{self.year}-{m:02d}" for m in range(1, n + 1)]

    @property
    def rows(self) -> int:
        return sum(len(v) for v in self.regions.values())

    def totals(self) -> list[float]:
        return [sum(col) for col in zip(*self.regions.values(), strict=True)]

    def write(self, directory: Path) -> Path:
        path = directory / self.name
        path.write_bytes(self.data)
        return path


def wide_workbook(name: str = "华东华南销售2026.xlsx", *, year: int = 2026, metric: str = "线上销售",
                  regions: dict[str, list[float]] | None = None) -> WideWorkbook:
    """A real .xlsx built with openpyxl: sheet "<year><metric>", header 区域 | 1月 … 6月, a 合计 row.

    The year is only in the sheet name (month headers carry none); the metric name is the rest
    of the sheet name.
    """
    from openpyxl import Workbook

    regions = regions or {
        "华东": [120.5, 131.0, 128.25, 140.0, 152.75, 160.0],
        "华南": [98.0, 101.5, 110.0, 115.25, 119.0, 125.5],
    }
    n = len(next(iter(regions.values())))
    wb = Workbook()
    ws = wb.active
    ws.title = f"{year}{metric}"
    ws.append(["区域", *[f"{m}月" for m in range(1, n + 1)]])
    for region, values in regions.items():
        ws.append([region, *values])
    ws.append(["合计", *[round(sum(col), 2) for col in zip(*regions.values(), strict=True)]])
    buf = io.BytesIO()
    wb.save(buf)
    return WideWorkbook(name=name, data=buf.getvalue(), sheet=ws.title, year=year, metric=metric, regions=regions)


@dataclass(frozen=True)
class CodedWorkbook:
    """One month per store (月份 | 门店序号 | 门店 | 销售额 | GMV): 门店序号 counts 1, 2, 3 …
    and GMV's 8-digit whole amounts look like codes."""

    name: str
    data: bytes
    sheet: str
    month: str
    sales: dict[str, float] = field(default_factory=dict)
    gmv: dict[str, int] = field(default_factory=dict)


def coded_workbook(month: str = "2026-02") -> CodedWorkbook:
    """GMV is read as a code column (a weak reading: fixed-width whole numbers) and 门店序号 as a row
    counter (left out), until the user says otherwise; 销售额 is a measure either way."""
    from openpyxl import Workbook

    gmv = {"徐汇店": 12345678, "西湖店": 23456789, "新街口店": 34567890, "五角场店": 45678901,
           "天河店": 56789012, "春熙路店": 67890123}
    sales = {store: 100.5 + 10 * i for i, store in enumerate(gmv)}
    wb = Workbook()
    ws = wb.active
    ws.title = "门店"
    ws.append(["月份", "门店序号", "门店", "销售额", "GMV"])
    for i, store in enumerate(gmv, start=1):
        ws.append([month, i, store, sales[store], gmv[store]])
    buf = io.BytesIO()
    wb.save(buf)
    return CodedWorkbook(name=f"门店月报{month}.xlsx", data=buf.getvalue(), sheet=ws.title, month=month,
                         sales=sales, gmv=gmv)


def pivot_workbook(months: int, name: str | None = None) -> WideWorkbook:
    """A pivot table's output typed as values (行标签 | 1月 … n月, one row per region): a helper sheet,
    left out unless taken in. Next month's file has one more month: the same layout."""
    from openpyxl import Workbook

    regions = {region: [float(base + m) for m in range(1, months + 1)]
               for region, base in (("华东", 100), ("华南", 80), ("华北", 60))}
    wb = Workbook()
    ws = wb.active
    ws.title = "销售额透视"
    ws.append(["行标签", *[f"{m}月" for m in range(1, months + 1)]])
    for region, values in regions.items():
        ws.append([region, *values])
    buf = io.BytesIO()
    wb.save(buf)
    return WideWorkbook(name=name or f"2026销售{months:02d}.xlsx", data=buf.getvalue(), sheet=ws.title,
                        year=2026, metric=ws.title, regions=regions)


def broken_workbook(name: str = "bad.xlsx", size: int = 4096) -> tuple[str, bytes]:
    """Random bytes under a spreadsheet's name (a renamed or damaged file); fixed seed."""
    import random

    rng = random.Random(20261023)
    data = bytes(rng.getrandbits(8) for _ in range(size))
    assert not data.startswith(b"PK"), "the seed must not produce a zip signature"
    return name, data


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """The dashboard as `make run` starts it (``python -m retro.ui``), on a free localhost port, in its own process group."""

    def __init__(self, db_path: Path | str, log_path: Path, *, env: dict[str, str] | None = None,
                 args: list[str] | None = None, address: str = "127.0.0.1", https: bool = False) -> None:
        # A DuckDB file, or a postgresql:// URL (kept as text: Path() would fold its "//")
        self.db_path = db_path if str(db_path).startswith(("postgresql://", "postgres://")) else Path(db_path)
        self.log_path = Path(log_path)
        self.port = free_port()
        self.address = address  # "0.0.0.0": as `make share` binds (shared: HTTPS, passcode checks)
        self.url = f"{'https' if https else 'http'}://127.0.0.1:{self.port}"
        self._env = env or {}
        self._args = list(args or [])  # more streamlit options, e.g. ["--secrets.files", path]
        self.process: subprocess.Popen[bytes] | None = None
        self._log = None

    def start(self, timeout: float = 60.0) -> StreamlitServer:
        env = {
            **os.environ,
            **self._env,
            "RETRO_DB": str(self.db_path),
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
            "PYTHONUNBUFFERED": "1",
        }
        cmd = [
            sys.executable, "-m", "retro.ui",
            "--server.port", str(self.port),
            "--server.address", self.address,
            "--server.headless", "true",
            "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false",
            *self._args,
        ]
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2, context=unverified_tls()) as r:
                    if r.status == 200 and r.read().strip() == b"ok":
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"streamlit did not answer /_stcore/health within {timeout:.0f}s:\n{self.log()}")

    def stop(self) -> None:
        """Stop the whole process group (SIGTERM, then SIGKILL); safe to call twice."""
        p = self.process
        if p is not None and p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


def unverified_tls():
    """An SSL context that accepts the server's self-signed certificate (tests compare its fingerprint instead)."""
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def chromium_launch_kwargs() -> dict:
    return {"executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS, "headless": True}


def want_screenshots() -> bool:
    return os.environ.get("RETRO_SCREENSHOTS") == "1"


@dataclass(frozen=True)
class MismatchWorkbook:
    """区域 | 1月 | 2月 with a 合计 row, and one row (an adjustment, 调整) that the 合计 does not count:
    stored, it makes the import differ from the sheet's own totals by exactly that row."""

    name: str
    data: bytes
    sheet: str
    year: int
    metric: str
    stray_row: int  # the adjustment row, as the sheet numbers it
    totals: dict[str, float] = field(default_factory=dict)  # month label (YYYY-MM) → the 合计 row's value


def mismatch_workbook(year: int = 2026) -> MismatchWorkbook:
    from openpyxl import Workbook

    regions = {"华东": [120.0, 130.0], "华南": [80.0, 95.0], "华北": [60.0, 70.0]}
    wb = Workbook()
    ws = wb.active
    ws.title = "销售额"
    ws.append(["区域", "1月", "2月"])
    for region, values in regions.items():
        ws.append([region, *values])
    ws.append(["调整", 7.5, -2.5])  # a correction the sheet's total leaves out
    sums = [sum(v[m] for v in regions.values()) for m in range(2)]
    ws.append(["合计", *sums])
    buf = io.BytesIO()
    wb.save(buf)
    return MismatchWorkbook(name=f"区域销售{year}.xlsx", data=buf.getvalue(), sheet=ws.title, year=year, metric="销售额",
                            stray_row=5, totals={f"{year}-01": sums[0], f"{year}-02": sums[1]})


def sheet_bytes(title: str, header: list, rows: list[list]) -> bytes:
    """An .xlsx of one sheet: ``header`` then ``rows``, as typed."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def region_months(values: dict[str, list[float]], title: str = "2026销售额") -> bytes:
    """区域 | 1月 | 2月 … one row per region: a month's figures next month's file may restate."""
    months = len(next(iter(values.values())))
    return sheet_bytes(title, ["区域", *[f"{m}月" for m in range(1, months + 1)]],
                       [[region, *row] for region, row in values.items()])
