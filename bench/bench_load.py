"""Load test: N concurrent browser sessions on ONE retro server holding 1M stored values (issue 7, "Load").

Not a timed test (`make test` does not run it): a benchmark run by hand, results in bench/README.md.

The server is started as `make run` does it (``python -m retro.ui --server.headless true
--server.address 127.0.0.1 --server.port <free>``) with RETRO_DB on a copy of
bench/out/trends_1M.duckdb (built by bench_trends.build_store from the long 1M workbook when
missing: 2,000,000 values). Headless /usr/bin/chromium via Playwright (never a downloaded browser);
by default one browser process with one context per session (``--browsers K`` spreads the sessions
over K browser processes instead).

Each session has its own choices (metric, grain and breakdown on the trends page; review period and
dimension on the goals page; two sets, A and B, every field different, no two sessions alike) and
walks, per round: trends → metric → grain → breakdown → goals → period → dimension, for A then B.

Interaction latency = from the pointerdown of the click that changes the widget (or follows the nav
link) until Streamlit's run started by it has finished (``[data-testid=stApp]`` attribute
``data-test-script-state`` back to ``notRunning``) AND the new content is in the page (not stale):
the subheader naming the new metric, the caption naming the grain, the breakdown heading naming
the dimension, the scorecard heading naming the period, the score-by heading naming the dimension.
Measured inside the page (bench/load_page.js) so Playwright's round trips are not counted.

Isolation: after each page's three changes the session reads its own widgets (the displayed values,
the checked grain, the URL) and must find exactly its own choices; anything else is an ISOLATION
VIOLATION, printed loudly, and the exit code is 1.

Round 1 meets cold caches (st.cache_data is shared by all sessions); the headline p50/p95 are over
rounds ≥ 2 ("warm"), all rounds are reported too. Target: p95 at 20 sessions ≤ 2× the single-session
p95 of the same invocation.

Memory: RSS of the server process and its children (/proc), sampled every 0.25 s: before, peak
during, and at the end of each N.

Upload: at the largest N (``--upload-n``), one extra session uploads a workbook on the import page
(default bench/out/long_100k.xlsx, generated when missing) and imports it, while the N sessions keep
browsing; prints the import's own duration against the browsing latencies that overlapped it.

    .venv/bin/python bench/bench_load.py [--sessions 1,5,10,20] [--rounds 3] [--json out.json]
        [--browsers 1] [--think 0.3] [--no-upload] [--upload-file X.xlsx] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlparse

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"


def t(key: str, lang: str, **params) -> str:  # replaced by the catalog of the code under test (use_code)
    raise RuntimeError("use_code() first")


def use_code(root: Path) -> None:
    """Read UI texts from the code the server runs (retro.i18n: light, no DuckDB/pandas/Streamlit here)."""
    global t
    sys.path.insert(0, str(root))
    from retro.i18n import t as catalog_t

    t = catalog_t


def snapshot_head(dest: Path) -> Path:
    """A clean copy of the committed code (git archive HEAD): the server then runs what is committed,
    not the shared tree's half-done edits (Streamlit's file watcher would also reload modules under
    the sessions' feet whenever someone saves a file)."""
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "HEAD"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1400, "height": 1000}
LANG = "zh"
GRAINS = ("month", "quarter", "year")
TARGET_RATIO = 2.0
PAGE_JS = (BENCH / "load_page.js").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the server



def spawn_healthy(cmd: list[str], cwd: Path | str, env: dict, log_path: Path, url: str,
                  timeout: float) -> tuple[subprocess.Popen, object]:
    """A server process in its own group, its output in ``log_path``, once /_stcore/health answers 200."""
    log = open(log_path, "wb")  # noqa: SIM115 - closed by stop_group
    process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: see {log_path}")
        with (contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError, OSError),
              urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r):
            if r.status == 200:
                return process, log
        time.sleep(0.2)
    stop_group(process, log)
    raise RuntimeError(f"server not healthy within {timeout:.0f}s: see {log_path}")


def stop_group(process: subprocess.Popen | None, log: object) -> None:
    """SIGTERM the group this harness created for the server (by its pid), SIGKILL after 20 s."""
    if process is not None and process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    with contextlib.suppress(Exception):
        log.close()

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """retro as `make run` starts it, on a free port, in its own process group (stopped by its pid)."""

    def __init__(self, db: Path, log: Path, code: Path, *, profile: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.db, self.log_path, self.code, self.profile = db, log, code, profile
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env or {}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> Server:
        env = {**os.environ, **self.env, "RETRO_DB": str(self.db), "PYTHONUNBUFFERED": "1"}
        python = str(REPO / ".venv" / "bin" / "python")
        if self.profile:  # same server, plus a sampling profiler (bench/load_profile.py); app code untouched
            env["RETRO_LOAD_PROFILE"] = str(self.profile)
            env["RETRO_LOAD_CODE"] = str(self.code)
            launcher = [python, str(BENCH / "load_profile.py")]
        else:
            launcher = [python, "-m", "retro.ui"]
        cmd = [*launcher, "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(self.port)]
        self.process, self._log = spawn_healthy(cmd, self.code, env, self.log_path, self.url, timeout)
        return self

    def stop(self) -> None:
        stop_group(self.process, self._log)


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and all its descendants, from /proc (MB)."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total / 1024


def tree_pids(pid: int) -> set[int]:
    todo, seen = [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        with contextlib.suppress(OSError, ValueError):
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return seen


def cpu_s(pids: set[int]) -> float:
    """User + system CPU seconds of these processes (from /proc/<pid>/stat)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / tick


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values[:8]) - idle) / tick, sum(values[:8]) / tick


class CpuMeter:
    """CPU used during a phase by the server tree, by this harness's browsers/driver, and by the whole machine.

    Read before the browser contexts close (their renderer processes exit and take their CPU times along)."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.start = self._read()

    def _read(self) -> tuple[float, float, float, float, float]:
        server = tree_pids(self.server_pid)
        mine = tree_pids(os.getpid()) - server
        busy, total = machine_cpu()
        return cpu_s(server), cpu_s(mine), busy, total, time.monotonic()

    def stop(self) -> dict:
        end = self._read()
        d = [b - a for a, b in zip(self.start, end, strict=True)]
        wall = d[4] or 1
        return {"server_cpu_s": d[0], "client_cpu_s": d[1], "machine_busy_s": d[2], "wall_s": d[4],
                "others_cpu_s": max(0.0, d[2] - d[0] - d[1]), "machine_busy_pct": d[2] / d[3] * 100 if d[3] else float("nan"),
                "server_cores": d[0] / wall, "client_cores": d[1] / wall}


class MemorySampler:
    """Samples the server tree's RSS every `every` seconds in a thread; `window()` gives a phase's peak."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), tree_rss_mb(self.pid)))
            self._stop.wait(self.every)

    def peak(self, since: float, until: float | None = None) -> float:
        vals = [mb for ts, mb in self.samples if ts >= since and (until is None or ts <= until)]
        return max(vals) if vals else float("nan")


# --------------------------------------------------------------------------- the store and the file


def ensure_store() -> Path:
    store = OUT / "trends_1M.duckdb"
    if not store.exists():  # bench_trends' builder, in a child so this process stays light
        print(f"building {store} (imports the long 1M workbook, ~1-2 min)", flush=True)
        code = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; import bench_trends, gen_workbooks as g; "
                "from pathlib import Path; g.ensure([g.parse_size('1M')], ['long']); bench_trends.build_store(Path(sys.argv[3]))")
        subprocess.run([sys.executable, "-c", code, str(REPO), str(BENCH), str(store)], check=True, cwd=REPO)
    return store


def ensure_upload(path: str | None) -> Path:
    if path:
        return Path(path)
    sys.path.insert(0, str(BENCH))
    import gen_workbooks as gen

    return Path(gen.ensure([gen.parse_size("100k")], ["long"], verbose=False)[0]["path"])


# --------------------------------------------------------------------------- what each session does


@dataclass(frozen=True)
class View:
    metric: str  # the label shown in the selectbox
    grain: str
    by: str
    period: str  # goals review period (month grain)
    gby: str


@dataclass
class Options:
    metrics: list[str]
    dims: list[str]
    periods: list[str]
    gdims: list[str]


def assign_views(n: int, opts: Options) -> list[tuple[View, View]]:
    """Two views per session (A, B), every field of B different from A, no (metric, grain, by) or
    (period, gby) triple/pair used twice across sessions, so a leak between sessions shows."""
    rng = random.Random(20261123)
    triples = list(itertools.product(opts.metrics, GRAINS, opts.dims))
    pairs = list(itertools.product(opts.periods[:12], opts.gdims))  # the last 12 months: enough variety
    rng.shuffle(triples)
    rng.shuffle(pairs)
    used_t: set = set()
    used_p: set = set()

    def take(pool: list, used: set, unlike=None):
        for item in pool:
            if item not in used and (unlike is None or all(a != b for a, b in zip(item, unlike, strict=True))):
                used.add(item)
                return item
        # more sessions than distinct choices: reuse, still unlike A (the check stays per session)
        return next(item for item in pool if unlike is None or all(a != b for a, b in zip(item, unlike, strict=True)))

    out = []
    for _ in range(n):
        ta = take(triples, used_t)
        tb = take(triples, used_t, ta)
        pa = take(pairs, used_p)
        pb = take(pairs, used_p, pa)
        out.append((View(*ta, *pa), View(*tb, *pb)))
    return out


@dataclass
class Sample:
    session: int
    n: int
    round: int
    action: str
    ms: float | None  # in-page: pointerdown → run finished and content present
    py_ms: float  # harness: before the click call → condition seen (includes Playwright's round trips)
    start_ms: float | None  # pointerdown → run started (websocket + queue before the script runs)
    run_ms: float | None  # run started → run finished (script + deltas rendered)
    t0: float  # monotonic, for overlap with the import
    t1: float
    ok: bool = True
    phase: str = "browse"


@dataclass
class Phase:
    n: int
    samples: list[Sample] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    opens: list[float] = field(default_factory=list)
    cpu: dict = field(default_factory=dict)
    # Hits on new content whose run was too quick to show as a state change in the page (load_page.js).
    quick_runs: int = 0


def grain_word(g: str) -> str:
    return t(f"grain.{g}", LANG)


def strip_md(text: str) -> str:
    return text.replace("**", "")


class Session:
    def __init__(self, index: int, page, url: str, views: tuple[View, View], phase: Phase, args) -> None:
        self.i, self.page, self.url, self.views, self.phase, self.args = index, page, url, views, phase, args
        self.rng = random.Random(index)

    # ---- low level: arm the in-page watch, click, wait for the hit

    async def measure(self, action: str, rnd: int, click, checks: list[tuple[str, str]]) -> Sample | None:
        page = self.page
        await page.evaluate("(c) => window.__lt.arm(c)", checks)
        t0 = time.monotonic()
        await click()
        try:
            await page.wait_for_function("() => window.__lt.watch.hit !== null", polling=50,
                                         timeout=self.args.timeout * 1000)
        except Exception as exc:  # noqa: BLE001 - a timeout is a result, not a crash of the benchmark
            self.phase.errors.append(f"session {self.i} round {rnd} {action}: {type(exc).__name__}: {str(exc)[:160]}")
            return None
        t1 = time.monotonic()
        tl = await page.evaluate("() => { const lt = window.__lt; return {down: lt.lastDown, running: lt.firstRunning,"
                                 " done: lt.lastDone, hit: lt.watch.hit, via: lt.watch.via}; }")
        self.phase.quick_runs += tl["via"] == "content"
        down, running, hit = tl["down"], tl["running"], tl["hit"]
        ms = hit - down if down is not None else None
        start = running - down if down is not None and running is not None and running >= down else None
        run = tl["done"] - running if running is not None and tl["done"] is not None else None
        sample = Sample(self.i, self.phase.n, rnd, action, ms, (t1 - t0) * 1000, start, run, t0, t1)
        self.phase.samples.append(sample)
        if await page.locator("[data-testid=stException]").count():
            self.phase.errors.append(f"session {self.i} round {rnd} {action}: an exception box is on the page")
        if self.args.think:
            await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.args.think)
        return sample

    async def select(self, label: str, value: str, action: str, rnd: int, checks) -> None:
        box = self.page.get_by_role("combobox", name=label, exact=True)
        if await box.input_value() == value:
            return  # already shown (e.g. restored on return to the page): nothing would rerun

        async def click() -> None:
            await box.click()
            await self.page.get_by_role("option", name=value, exact=True).click()

        await self.measure(action, rnd, click, checks)

    async def segment(self, label: str, value: str, action: str, rnd: int, checks) -> None:
        button = self.page.get_by_role("radiogroup", name=label, exact=True).get_by_role("radio", name=value, exact=True)
        if await button.get_attribute("aria-checked") == "true":
            return
        await self.measure(action, rnd, button.click, checks)

    async def nav(self, name_key: str, title_key: str, rnd: int) -> None:
        link = self.page.locator("[data-testid=stSidebarNav]").get_by_role("link", name=t(name_key, LANG), exact=True)
        await self.measure(f"open {name_key.split('.')[1]}", rnd, link.click, [("h1", t(title_key, LANG))])

    # ---- the walk

    async def open(self) -> None:
        started = time.monotonic()
        await self.page.goto(f"{self.url}/?lang={LANG}", timeout=self.args.timeout * 1000)
        await self.page.wait_for_function(
            "() => window.__lt && window.__lt.runs > 0 && window.__lt.state === 'notRunning'"
            " && document.querySelector('[data-testid=stSidebarNav]') !== null", polling=50, timeout=self.args.timeout * 1000)
        self.phase.opens.append((time.monotonic() - started) * 1000)
        if self.args.passcode:
            await self.page.get_by_label(t("gate.passcode", LANG)).fill(self.args.passcode)
            await self.page.get_by_label(t("gate.name", LANG)).fill(f"load{self.i}")
            await self.measure("gate", 0, self.page.get_by_role("button", name=t("gate.enter", LANG)).click,
                               [("h1", t("home.title", LANG))])

    async def trends(self, v: View, rnd: int) -> None:
        await self.nav("nav.trends", "nav.trends", rnd)
        await self.select(t("trends.metric", LANG), v.metric, "trends metric", rnd,
                          [("h3", t("trends.over_time", LANG, metric=v.metric))])
        await self.segment(t("trends.grain", LANG), grain_word(v.grain), "trends grain", rnd,
                           [("[data-testid=stCaptionContainer]", f"（按{grain_word(v.grain)}，")])
        await self.select(t("trends.by", LANG), v.by, "trends breakdown", rnd,
                          [("[data-testid=stMarkdownContainer]", t("trends.value_share", LANG, dim=v.by))])
        await self.isolation_trends(v, rnd)

    async def goals(self, v: View, rnd: int) -> None:
        await self.nav("nav.goals", "nav.goals", rnd)
        await self.select(t("goals.period", LANG), v.period, "goals period", rnd,
                          [("h3", t("goals.scorecard", LANG, period=v.period))])
        await self.select(t("goals.by", LANG), v.gby, "goals by", rnd,
                          [("[data-testid=stMarkdownContainer]", t("goals.by_segment", LANG, dim=v.gby))])
        await self.isolation_goals(v, rnd)

    async def step(self, what: str, rnd: int, coro) -> None:
        """One page's walk; a failure is recorded (with a screenshot) and the session goes on."""
        try:
            await coro
        except Exception as exc:  # noqa: BLE001 - a broken step is a result; the other sessions go on
            self.failures += 1
            msg = f"session {self.i} round {rnd} {what}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            self.phase.errors.append(msg)
            print(f"   error: {msg}", flush=True)
            if self.args.work:
                with contextlib.suppress(Exception):
                    await self.page.screenshot(path=str(self.args.work / f"error-n{self.phase.n}-s{self.i}-r{rnd}-{what}.png"))

    async def walk(self, rounds: int = 1, *, until: asyncio.Event | None = None, first_round: int = 1) -> None:
        rnd = first_round
        self.failures = 0
        while self.failures < 5:
            for v in self.views:
                await self.step("trends", rnd, self.trends(v, rnd))
                if until is not None and until.is_set():
                    return  # the import is over: what overlapped it is measured
                await self.step("goals", rnd, self.goals(v, rnd))
                if until is not None and until.is_set():
                    return
            rnd += 1
            if until is None and rnd >= first_round + rounds:
                return

    # ---- isolation: the page shows this session's choices and nobody else's

    def violation(self, rnd: int, what: str, want: str, got: str) -> None:
        msg = f"session {self.i} round {rnd}: {what} shows {got!r}, this session chose {want!r}"
        self.phase.violations.append(msg)
        print(f"\n!!! ISOLATION VIOLATION: {msg}\n", flush=True)

    async def isolation_trends(self, v: View, rnd: int) -> None:
        p = self.page
        shown = {
            "metric": await p.get_by_role("combobox", name=t("trends.metric", LANG), exact=True).input_value(),
            "grain": await p.get_by_role("radiogroup", name=t("trends.grain", LANG), exact=True)
            .locator("[aria-checked=true]").inner_text(),
            "breakdown": await p.get_by_role("combobox", name=t("trends.by", LANG), exact=True).input_value(),
        }
        want = {"metric": v.metric, "grain": grain_word(v.grain), "breakdown": v.by}
        query = parse_qs(urlparse(p.url).query)
        shown["url grain"], want["url grain"] = (query.get("grain") or [""])[-1], v.grain
        shown["url by"], want["url by"] = (query.get("by") or [""])[-1], v.by
        heading = t("trends.over_time", LANG, metric=v.metric)
        shown["subheader"] = heading if await p.locator("h3", has_text=heading).count() else "(missing)"
        want["subheader"] = heading
        for k in want:
            if shown[k].strip() != want[k]:
                self.violation(rnd, f"trends {k}", want[k], shown[k])

    async def isolation_goals(self, v: View, rnd: int) -> None:
        p = self.page
        shown = {
            "period": await p.get_by_role("combobox", name=t("goals.period", LANG), exact=True).input_value(),
            "by": await p.get_by_role("combobox", name=t("goals.by", LANG), exact=True).input_value(),
        }
        want = {"period": v.period, "by": v.gby}
        query = parse_qs(urlparse(p.url).query)
        shown["url gp"], want["url gp"] = (query.get("gp") or [""])[-1], v.period
        shown["url by"], want["url by"] = (query.get("by") or [""])[-1], v.gby
        for k in want:
            if shown[k].strip() != want[k]:
                self.violation(rnd, f"goals {k}", want[k], shown[k])


# --------------------------------------------------------------------------- discovery


async def options_of(page, label: str) -> list[str]:
    box = page.get_by_role("combobox", name=label, exact=True)
    await box.click()
    listbox = page.get_by_role("listbox")
    await listbox.wait_for()
    names = [s.strip() for s in await listbox.get_by_role("option").all_inner_texts()]
    await page.keyboard.press("Escape")
    return names


async def discover(browser, url: str, args) -> Options:
    """What the store offers, read from the UI itself (the server holds the DuckDB file's lock)."""
    context = await browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    await context.add_init_script(PAGE_JS)
    page = await context.new_page()
    s = Session(-1, page, url, (), Phase(0), argparse.Namespace(**{**vars(args), "think": 0, "work": None}))
    await s.open()
    await s.nav("nav.trends", "nav.trends", 0)
    metrics = await options_of(page, t("trends.metric", LANG))
    dims = [d for d in await options_of(page, t("trends.by", LANG)) if d != t("trends.by_none", LANG)]
    await s.nav("nav.goals", "nav.goals", 0)
    periods = await options_of(page, t("goals.period", LANG))
    gdims = [d for d in await options_of(page, t("goals.by", LANG)) if d != t("goals.by_none", LANG)]
    await context.close()
    return Options(metrics, dims, periods, gdims)


# --------------------------------------------------------------------------- phases


async def new_session_pages(browsers, n: int, offset: int = 0) -> list:
    pages = []
    for i in range(n):
        context = await browsers[(offset + i) % len(browsers)].new_context(viewport=VIEWPORT, locale="zh-CN")
        context.set_default_timeout(60_000)
        await context.add_init_script(PAGE_JS)
        pages.append(await context.new_page())
    return pages


async def close_pages(pages) -> None:
    for p in pages:
        with contextlib.suppress(Exception):
            await p.context.close()


async def run_phase(browsers, url: str, n: int, views, args, server_pid: int) -> Phase:
    phase = Phase(n)
    pages = await new_session_pages(browsers, n)
    sessions = [Session(i, pages[i], url, views[i], phase, args) for i in range(n)]
    try:
        meter = CpuMeter(server_pid)
        await asyncio.gather(*(s.open() for s in sessions))
        await asyncio.gather(*(s.walk(args.rounds) for s in sessions))
        phase.cpu = meter.stop()
    finally:
        await close_pages(pages)
    return phase


@dataclass
class Upload:
    started: float = 0.0
    read: float = 0.0
    finished: float = 0.0
    ok: bool = False
    message: str = ""


async def uploader(page, url: str, path: Path, args, phase: Phase, delay: float) -> Upload:
    up = Upload()
    s = Session(999, page, url, (), phase, argparse.Namespace(**{**vars(args), "think": 0}))
    await s.open()
    await s.nav("nav.import", "import.title", 0)
    await asyncio.sleep(delay)  # let the browsing sessions reach their stride first
    try:
        up.started = time.monotonic()
        await page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(path))
        read_done = t("import.read_done", LANG, name=path.name, sheets=1, ready=1)
        await page.get_by_text(read_done).wait_for(timeout=args.timeout * 1000)
        up.read = time.monotonic()
        button = page.get_by_role("button", name=t("import.button", LANG, n=1))
        await button.click()
        done_prefix = t("import.done", LANG, rows="\x00", periods="").split("\x00")[0]
        await page.get_by_text(re.compile("^" + re.escape(done_prefix))).wait_for(timeout=args.timeout * 1000)
        up.finished = time.monotonic()
        up.message = (await page.get_by_text(re.compile("^" + re.escape(done_prefix))).inner_text()).strip()
        up.ok = True
    except Exception as exc:  # noqa: BLE001 - reported, the browsing results still count
        up.finished = time.monotonic()
        up.message = f"{type(exc).__name__}: {str(exc)[:300]}"
    return up


async def run_upload_phase(browsers, url: str, n: int, views, args, path: Path, server_pid: int) -> tuple[Phase, Upload]:
    phase = Phase(n)
    pages = await new_session_pages(browsers, n + 1)
    sessions = [Session(i, pages[i], url, views[i], phase, args) for i in range(n)]
    done = asyncio.Event()
    try:
        meter = CpuMeter(server_pid)
        await asyncio.gather(*(s.open() for s in sessions))

        async def upload_then_flag() -> Upload:
            try:
                return await uploader(pages[n], url, path, args, phase, args.upload_delay)
            finally:
                done.set()

        # Browsing goes on until the import is over (each session stops at its next page boundary).
        results = await asyncio.gather(upload_then_flag(), *(s.walk(until=done) for s in sessions))
        phase.cpu = meter.stop()
    finally:
        await close_pages(pages)
    for s in phase.samples:
        s.phase = "upload"
    return phase, results[0]


# --------------------------------------------------------------------------- figures


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def summarise(phase: Phase, warm_from: int = 2) -> dict:
    every = [s.ms for s in phase.samples if s.ms is not None]
    warm = [s.ms for s in phase.samples if s.ms is not None and s.round >= warm_from]
    out = {
        "n": phase.n, "interactions": len(every), "warm_interactions": len(warm),
        "p50_ms": pct(warm, 50), "p95_ms": pct(warm, 95), "max_ms": max(warm, default=float("nan")),
        "all_p50_ms": pct(every, 50), "all_p95_ms": pct(every, 95),
        "start_p50_ms": pct([s.start_ms for s in phase.samples if s.start_ms is not None and s.round >= warm_from], 50),
        "run_p50_ms": pct([s.run_ms for s in phase.samples if s.run_ms is not None and s.round >= warm_from], 50),
        "py_p50_ms": pct([s.py_ms for s in phase.samples if s.round >= warm_from], 50),
        "open_p50_ms": pct(phase.opens, 50), "open_max_ms": max(phase.opens, default=float("nan")),
        "violations": len(phase.violations), "errors": len(phase.errors), "quick_runs": phase.quick_runs, **phase.cpu,
    }
    by_action: dict[str, list[float]] = {}
    for s in phase.samples:
        if s.ms is not None and s.round >= warm_from:
            by_action.setdefault(s.action, []).append(s.ms)
    out["by_action_p50_ms"] = {a: pct(v, 50) for a, v in sorted(by_action.items())}
    return out


def fmt_ms(v: float) -> str:
    return "—" if v != v else f"{v:,.0f}"


# --------------------------------------------------------------------------- main


async def amain(args) -> int:
    from playwright.async_api import async_playwright

    if not Path(CHROMIUM).exists():
        print(f"error: {CHROMIUM} missing (make chromium installs Debian's)", file=sys.stderr)
        return 2
    sizes = [int(x) for x in args.sessions.split(",")]
    store = ensure_store()
    upload_file = None if args.no_upload else ensure_upload(args.upload_file)
    work = OUT / f"load-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}"
    work.mkdir(parents=True)
    args.work = work
    db = work / "retro.duckdb"
    shutil.copyfile(store, db)  # the upload writes: never into the shared store
    env = {"RETRO_EDITOR_PASSCODE": args.passcode} if args.passcode else {}
    profile = work / "profile.json" if args.profile or args.runs_only else None
    if args.runs_only and not args.profile:
        env["RETRO_LOAD_SAMPLER"] = "0"
    chromium = CHROMIUM
    if args.browser_nice or args.browser_idle:
        chromium = str(work / "chromium-lowered")
        lower = "chrt --idle 0" if args.browser_idle else f"nice -n {int(args.browser_nice)}"
        # Playwright starts each browser in a session of its own, and with the kernel's autogroups
        # (kernel.sched_autogroup_enabled=1, the default here) the scheduler first shares the cores
        # equally between sessions: twenty browsers got twenty shares to the server's one, whatever
        # their nice or SCHED_IDLE (which only rank tasks within a session). The session's own nice
        # (/proc/self/autogroup, 19 = weight 15 against the server's 1024) puts them behind.
        Path(chromium).write_text(f'#!/bin/sh\necho 19 > /proc/self/autogroup 2>/dev/null\nexec {lower} {CHROMIUM} "$@"\n')
        os.chmod(chromium, 0o755)
    started_at = dt.datetime.now(dt.UTC)
    print(f"load test {started_at:%Y-%m-%d %H:%M} UTC; loadavg {Path('/proc/loadavg').read_text().strip()}; "
          f"{os.cpu_count()} CPUs; sessions {sizes}; rounds {args.rounds} (+ headline over rounds ≥ 2); "
          f"browsers {args.browsers}; think {args.think}s", flush=True)
    code = snapshot_head(work / "code") if args.code == "head" else REPO
    use_code(code)
    if args.code == "head":
        head = subprocess.run(["git", "-C", str(REPO), "log", "-1", "--format=%h %s"], capture_output=True, text=True).stdout.strip()
        print(f"code under test: HEAD snapshot ({head[:100]})", flush=True)
        results_code = f"HEAD {head}"
    else:
        print("code under test: the working tree as it is now (others' uncommitted edits included)", flush=True)
        results_code = "worktree"
    server = Server(db, work / "server.log", code, profile=profile, env=env)

    def on_term(signum, frame) -> None:  # noqa: ANN001 - e.g. `timeout`: stop our server, not leave it running
        server.stop()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    server.start()
    print(f"server pid {server.process.pid} on {server.url}, RETRO_DB={db} ({db.stat().st_size / 1e6:.0f} MB)", flush=True)
    results: dict = {"code": results_code, "started_utc": started_at.isoformat(), "cpus": os.cpu_count(), "args": vars(args), "phases": [],
                     "loadavg_start": Path("/proc/loadavg").read_text().strip()}
    violations = 0
    try:
        with MemorySampler(server.process.pid) as mem:
            async with async_playwright() as pw:
                browsers = [await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
                            for _ in range(args.browsers)]
                opts = await discover(browsers[0], server.url, args)
                print(f"store offers: {len(opts.metrics)} metrics {opts.metrics}, breakdowns {opts.dims}, "
                      f"{len(opts.periods)} review periods, goal dimensions {opts.gdims}", flush=True)
                views = assign_views(max(sizes + [args.upload_n or 0]), opts)
                results["rss_idle_mb"] = tree_rss_mb(server.process.pid)
                header = (f"{'N':>3} {'interactions':>12} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p95/N=1':>8}"
                          f" {'cold p95':>9} {'start p50':>9} {'run p50':>8} {'open p50':>8} {'RSS before':>10}"
                          f" {'RSS peak':>9} {'RSS end':>8} {'loadavg':>16} {'isolation':>10}")
                rows = []
                base_p95 = base_run_p95 = None
                async def upload_phase(n: int) -> None:
                    nonlocal violations
                    print(f"\nupload: 1 session imports {upload_file.name} ({upload_file.stat().st_size / 1e6:.1f} MB)"
                          f" while {n} sessions browse", flush=True)
                    since, epoch0, prof_before = time.monotonic(), time.time(), read_profile(profile)
                    phase, upload = await run_upload_phase(browsers, server.url, n, views, args, upload_file, server.process.pid)
                    violations += len(phase.violations)
                    during = [s.ms for s in phase.samples if s.ms is not None and s.t1 >= upload.started and s.t0 <= upload.finished]
                    after = [s.ms for s in phase.samples if s.ms is not None and s.t0 > upload.finished]
                    before_up = [s.ms for s in phase.samples if s.ms is not None and s.t1 < upload.started]
                    duration = (upload.finished - upload.started) * 1000
                    same_n = next((p for p in results["phases"] if p["n"] == n), None)
                    info = {
                        "n": n, "file": str(upload_file), "ok": upload.ok, "message": upload.message,
                        "import_ms": duration, "read_ms": (upload.read - upload.started) * 1000 if upload.read else None,
                        "during_count": len(during), "during_p50_ms": pct(during, 50), "during_p95_ms": pct(during, 95),
                        "during_max_ms": max(during, default=float("nan")),
                        "before_p50_ms": pct(before_up, 50), "after_p50_ms": pct(after, 50), "after_p95_ms": pct(after, 95),
                        "browse_p95_same_n_ms": same_n["p95_ms"] if same_n else None,
                        "rss_peak_mb": mem.peak(since), "rss_end_mb": tree_rss_mb(server.process.pid),
                        "loadavg": Path("/proc/loadavg").read_text().strip(),
                        "violation_list": phase.violations, "error_list": phase.errors,
                        "samples": [vars(s) for s in phase.samples],
                    }
                    blocked = info["during_max_ms"] > duration
                    info["verdict"] = "MISS" if blocked or not upload.ok else "PASS"
                    results["upload"] = info
                    print(f"   import {'ok' if upload.ok else 'FAILED'}: {upload.message}")
                    print(f"   import's own duration {fmt_ms(duration)} ms (read+preview {fmt_ms(info['read_ms'] or float('nan'))} ms);"
                          f" {len(during)} browsing interactions overlapped it: p50 {fmt_ms(info['during_p50_ms'])},"
                          f" p95 {fmt_ms(info['during_p95_ms'])}, max {fmt_ms(info['during_max_ms'])} ms"
                          f" (browsing p95 at N={n} without upload: {fmt_ms(info['browse_p95_same_n_ms'] or float('nan'))} ms;"
                          f" after the import, cold caches: p50 {fmt_ms(info['after_p50_ms'])}, p95 {fmt_ms(info['after_p95_ms'])} ms)")
                    print(f"   not blocked beyond the import's own duration (max overlapping latency ≤ import duration):"
                          f" {info['verdict']}; RSS peak {info['rss_peak_mb']:.0f} MB; isolation"
                          f" {'OK' if not phase.violations else 'VIOLATED'}")
                    for e in phase.errors[:10]:
                        print(f"   error: {e}")
                    if profile:
                        await asyncio.sleep(6)
                        info["profile"] = profile_diff(prof_before, read_profile(profile), epoch0, time.time())
                        print_profile(info["profile"])
                        # The server's side: the script runs of the browsing sessions that overlapped the
                        # import (its own session is the one with the longest run there: the import).
                        lo, hi = epoch0 + (upload.started - since), epoch0 + (upload.finished - since)
                        runs = [r for r in read_profile(profile).get("runs", []) if r["ts"] >= lo and r["ts"] - r["ms"] / 1000 <= hi]
                        importer = max(runs, key=lambda r: r["ms"])["session"] if runs else None
                        others = [r["ms"] for r in runs if r["session"] != importer]
                        info["server_runs_during"] = {"count": len(others), "p50_ms": pct(others, 50), "p95_ms": pct(others, 95),
                                                      "max_ms": max(others, default=float("nan"))}
                        info["server_verdict"] = "MISS" if info["server_runs_during"]["max_ms"] > duration else "PASS"
                        print(f"   server side: {len(others)} script runs of the browsing sessions overlapped the import: "
                              f"p50 {fmt_ms(info['server_runs_during']['p50_ms'])}, p95 {fmt_ms(info['server_runs_during']['p95_ms'])},"
                              f" max {fmt_ms(info['server_runs_during']['max_ms'])} ms against the import's {fmt_ms(duration)} ms:"
                              f" {info['server_verdict']}")

                for n in sizes:
                    prof_before = read_profile(profile)
                    epoch0 = time.time()
                    before = tree_rss_mb(server.process.pid)
                    since = time.monotonic()
                    phase = await run_phase(browsers, server.url, n, views, args, server.process.pid)
                    summary = summarise(phase)
                    summary.update(rss_before_mb=before, rss_peak_mb=mem.peak(since), rss_end_mb=tree_rss_mb(server.process.pid),
                                   loadavg=Path("/proc/loadavg").read_text().strip(), seconds=time.monotonic() - since)
                    if n == 1:
                        base_p95 = summary["p95_ms"]
                    summary["ratio_to_n1"] = summary["p95_ms"] / base_p95 if base_p95 else float("nan")
                    violations += len(phase.violations)
                    results["phases"].append({**summary, "violation_list": phase.violations, "error_list": phase.errors,
                                              "samples": [vars(s) for s in phase.samples]})
                    row = (f"{n:>3} {summary['interactions']:>12} {fmt_ms(summary['p50_ms']):>8} {fmt_ms(summary['p95_ms']):>8}"
                           f" {fmt_ms(summary['max_ms']):>8} {summary['ratio_to_n1']:>7.2f}x {fmt_ms(summary['all_p95_ms']):>9}"
                           f" {fmt_ms(summary['start_p50_ms']):>9} {fmt_ms(summary['run_p50_ms']):>8} {fmt_ms(summary['open_p50_ms']):>8}"
                           f" {before:>9.0f}M {summary['rss_peak_mb']:>8.0f}M {summary['rss_end_mb']:>7.0f}M"
                           f" {' '.join(summary['loadavg'].split()[:3]):>16} {'OK' if not phase.violations else 'VIOLATED':>10}")
                    rows.append(row)
                    print(f"\n{header}\n{row}", flush=True)
                    print("   p50 by action (warm): " + ", ".join(f"{a} {fmt_ms(v)}" for a, v in summary["by_action_p50_ms"].items()))
                    c = phase.cpu
                    print(f"   CPU over {c['wall_s']:.0f} s: server {c['server_cpu_s']:.0f} s ({c['server_cores']:.2f} cores),"
                          f" browsers+driver {c['client_cpu_s']:.0f} s ({c['client_cores']:.2f} cores), everyone else"
                          f" {c['others_cpu_s']:.0f} s; machine busy {c['machine_busy_pct']:.0f}%;"
                          f" server CPU per interaction {c['server_cpu_s'] / max(1, summary['interactions']) * 1000:.0f} ms")
                    for e in phase.errors[:10]:
                        print(f"   error: {e}")
                    if profile:
                        await asyncio.sleep(6)  # the server dumps its profile every 5 s
                        prof = profile_diff(prof_before, read_profile(profile), epoch0, time.time())
                        if n == 1:
                            base_run_p95 = prof["run_p95_ms"]
                        prof["run_p95_ratio_to_n1"] = prof["run_p95_ms"] / base_run_p95 if base_run_p95 else float("nan")
                        results["phases"][-1]["profile"] = prof
                        print_profile(prof)
                    if args.json:  # written after every phase: a run cut short keeps what it measured
                        Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str))
                    await asyncio.sleep(2)  # let the closed sessions go before the next N's "before"
                    if upload_file is not None and n == (args.upload_n or max(sizes)):
                        await upload_phase(n)
                        if args.json:
                            Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str))

                upload_n = args.upload_n or max(sizes)
                if upload_file is not None and upload_n not in sizes:
                    await upload_phase(upload_n)
                for b in browsers:
                    await b.close()
    finally:
        server.stop()

    print(f"\n{'=' * 20} load test summary ({started_at:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs,"
          f" loadavg at start {results['loadavg_start']}) {'=' * 20}")
    print(header)
    for row in rows:
        print(row)
    last = results["phases"][-1] if results["phases"] else None
    if last and base_p95 and last["n"] != 1:
        verdict = "PASS" if last["ratio_to_n1"] <= TARGET_RATIO else "MISS"
        print(f"target: p95 at N={last['n']} ≤ {TARGET_RATIO:.0f}× the N=1 p95: {fmt_ms(last['p95_ms'])} / {fmt_ms(base_p95)} ms"
              f" = {last['ratio_to_n1']:.2f}× → {verdict}")
        results["target_verdict"] = verdict
    if violations:
        print(f"\n!!! {violations} ISOLATION VIOLATION(S): a session saw state it did not choose (see above / --json)")
    else:
        print("isolation: every session showed only its own choices (no violation)")
    results["violations"] = violations
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str))
        print(f"raw results: {args.json}")
    print(f"server log and database copy: {work}")
    if not args.keep_db:
        with contextlib.suppress(OSError):
            db.unlink()
            Path(str(db) + ".wal").unlink(missing_ok=True)
    return 1 if violations else 0


def read_profile(path: Path | None) -> dict:
    if not path or not path.exists():
        return {}
    with contextlib.suppress(OSError, ValueError):
        return json.loads(path.read_text())
    return {}


def profile_diff(a: dict, b: dict, t0: float, t1: float) -> dict:
    """What the server's sampler saw between two dumps (a phase), and the script runs in [t0, t1]."""
    def diff(key: str) -> dict:
        before = dict(a.get(key) or {})
        after = b.get(key) or {}
        return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0) > 0}

    top_a = dict(map(tuple, a.get("top") or []))
    top = sorted(((f, n - top_a.get(f, 0)) for f, n in (b.get("top") or [])), key=lambda x: -x[1])  # approximate: top-40 lists
    runs = [r for r in b.get("runs") or [] if t0 <= r["ts"] <= t1]
    return {"interval_ms": b.get("interval_ms"), "categories": diff("categories"), "top": top[:15],
            "busy_script_threads_histogram": diff("busy_script_threads_histogram"),
            "runs": len(runs), "run_p50_ms": pct([r["ms"] for r in runs], 50), "run_p95_ms": pct([r["ms"] for r in runs], 95),
            "run_cpu_p50_ms": pct([r["thread_cpu_ms"] for r in runs], 50)}


def print_profile(prof: dict) -> None:
    ratio = prof.get("run_p95_ratio_to_n1")
    print(f"   server: {prof['runs']} script runs, wall p50 {fmt_ms(prof['run_p50_ms'])} / p95 {fmt_ms(prof['run_p95_ms'])} ms"
          + (f" ({ratio:.2f}x the N=1 p95)" if ratio is not None and ratio == ratio else "")
          + f", the run's own thread CPU p50 {fmt_ms(prof['run_cpu_p50_ms'])} ms")
    if not prof.get("categories"):
        return
    print("   server CPU by category:")
    total = sum(prof["categories"].values()) or 1
    for k, v in sorted(prof["categories"].items(), key=lambda kv: -kv[1]):
        print(f"     {k:58} {v:7.1f} s {v / total * 100:5.1f}%")
    hist = prof.get("busy_script_threads_histogram") or {}
    print("     script threads busy at once (share of samples): "
          + ", ".join(f"{k}: {v / (sum(hist.values()) or 1) * 100:.0f}%" for k, v in sorted(hist.items(), key=lambda kv: int(kv[0]))))
    print("     top innermost frames (CPU s): " + "; ".join(f"{f} {n:.1f}" for f, n in prof.get("top", [])[:8]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="1,5,10,20", help="comma-separated N (default 1,5,10,20); include 1 for the ratio")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per session (each: view A then B); default 3")
    parser.add_argument("--browsers", type=int, default=1, help="browser processes the sessions are spread over (default 1)")
    parser.add_argument("--think", type=float, default=0.3, help="mean pause after each interaction, s (default 0.3)")
    parser.add_argument("--timeout", type=float, default=180, help="per interaction, s")
    parser.add_argument("--no-upload", action="store_true")
    parser.add_argument("--upload-file", help="workbook to import (default bench/out/long_100k.xlsx)")
    parser.add_argument("--upload-n", type=int, default=0, help="browsing sessions during the upload (default the largest N)")
    parser.add_argument("--upload-delay", type=float, default=5.0, help="s of browsing before the upload starts")
    parser.add_argument("--passcode", help="set RETRO_EDITOR_PASSCODE on the server and pass the gate in every session")
    parser.add_argument("--profile", action="store_true", help="run the server under bench/load_profile.py's sampler")
    parser.add_argument("--runs-only", action="store_true",
                        help="time the server's script runs (load_profile.py without its sampler: no profiling cost)")
    parser.add_argument("--browser-idle", action="store_true",
                        help="run chromium as SCHED_IDLE (chrt --idle 0) in an autogroup of nice 19: it gets a core "
                             "only when the server needs none")
    parser.add_argument("--browser-nice", type=int, default=0,
                        help="run chromium under nice -n K, so the server gets the cores first, as on a laptop "
                             "whose colleagues' browsers run on their own machines (default 0)")
    parser.add_argument("--code", choices=("head", "worktree"), default="head",
                        help="serve a clean snapshot of HEAD (default) or the working tree as it is")
    parser.add_argument("--keep-db", action="store_true", help="keep the database copy under bench/out/load-*/")
    parser.add_argument("--json", help="write every sample and figure here")
    args = parser.parse_args(argv)
    return asyncio.run(amain(args))


if __name__ == "__main__":
    raise SystemExit(main())
