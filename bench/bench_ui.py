"""Speed as the room sees it (issue 17): retro's main interactions in chromium, against a bare Streamlit app.

Not a timed test (`make test` does not run it): a benchmark, run by hand (`make bench-ui`), results
in bench/README.md ("session 10: bench_ui").

Two servers, started as `make run` starts retro (``python -m retro.ui --server.headless true
--server.address 127.0.0.1 --server.port <free>``, from the repository, so .streamlit/config.toml
applies to both):
  retro  on a fresh DuckDB file in a temporary folder: the bundled sample is imported on the first start;
  bare   ``streamlit run`` of a temporary script: page one has one selectbox and one Altair line
         chart (24 months; the selectbox picks the series), page two the same chart under another
         title. Its selectbox change is the floor of an interaction, its page switch the floor of
         opening a page.
One headless /usr/bin/chromium (tests/browser_support.py's flags), a context per app, viewport
1366×768 (a projector laptop), in Chinese.

Each measurement: from the pointerdown of the click until the page is idle with the new content,
measured in the page (bench/ui_page.js): Streamlit's script state back to notRunning and its status
widget without a running icon, no DOM mutation for --quiet ms (150), and the expected new content
present and not stale (a heading naming the new metric, the step's header, the saved attendees …).
The time is that of the last DOM change before the quiet window: the moment the page settled.

Per round (--rounds, 15): a bare selectbox change and a bare page switch, then in retro: open each
page from the sidebar; trends: metric, grain, a filter (added, then removed next round), breakdown;
goals: period, then 记录问题 on the first KPI still offering it; meeting mode: two step changes;
review workspace: save (the review's attendees, through its edit form). Floors and retro are
interleaved round by round, so a busy machine slows both alike; the ratio to the floor of the
same run is the figure that matters.

    .venv/bin/python bench/bench_ui.py [--rounds 15] [--quiet 150] [--head] [--json out.json]
        [--only trends,goals,...] [--lang zh]

Output: a markdown table on stdout (progress on stderr): median, p90, ratio of each to the floor's
median, and the verdict against issue 17's targets (interaction median ≤ 2× floor and p90 ≤ 3×; a
page's open ≤ 1 s).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO))

from bench_load import free_port, machine_cpu, snapshot_head, spawn_healthy, stop_group  # noqa: E402

from tests.browser_support import chromium_launch_kwargs  # noqa: E402

PAGE_JS = (BENCH / "ui_page.js").read_text(encoding="utf-8")
VIEWPORT = {"width": 1366, "height": 768}
PYTHON = str(REPO / ".venv" / "bin" / "python")
SERVER_FLAGS = ["--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]

BARE_APP = '''
"""The floor: one selectbox and one Altair line chart (page one), the same chart on page two."""
import altair as alt
import pandas as pd
import streamlit as st

MONTHS = pd.date_range("2025-01-01", periods=24, freq="MS")
SERIES = ["alpha", "beta", "gamma", "delta"]


def chart(k: int) -> None:
    frame = pd.DataFrame({"month": MONTHS, "value": [100 + 7 * k + ((i * (k + 3)) % 11) for i in range(24)]})
    st.altair_chart(alt.Chart(frame).mark_line(point=True).encode(x="month:T", y="value:Q",
                                                                    tooltip=["month:T", "value:Q"]),
                    use_container_width=True)


def one() -> None:
    st.title("Bare one")
    pick = st.selectbox("Series", SERIES, key="series")
    st.subheader(f"shown {pick}")
    chart(SERIES.index(pick))


def two() -> None:
    st.title("Bare two")
    st.subheader("the same chart")
    chart(1)


st.navigation([st.Page(one, title="One", default=True),
               st.Page(two, title="Two", url_path="two")]).run()
'''


# --------------------------------------------------------------------------- servers


class Server:
    """A Streamlit server on a free localhost port in its own process group (stopped by its pid)."""

    def __init__(self, launcher: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cmd = [*launcher, *SERVER_FLAGS, "--server.port", str(self.port)]
        self.cwd, self.log_path = cwd, log
        self.env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> Server:
        self.process, self._log = spawn_healthy(self.cmd, self.cwd, self.env, self.log_path, self.url, timeout)
        return self

    def stop(self) -> None:
        stop_group(self.process, self._log)


# --------------------------------------------------------------------------- measuring


@dataclass
class Result:
    name: str
    kind: str  # "interaction" (floor: the bare selectbox) or "open" (floor: the bare page switch)
    ms: list[float] = field(default_factory=list)
    run_ms: list[float] = field(default_factory=list)  # script state running → notRunning (server run + deltas)
    errors: list[str] = field(default_factory=list)


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.9 * (len(ordered) - 1))))]


def js_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


class Driver:
    """One browser page on one app; ``measure`` arms the in-page watch, clicks and reads the result."""

    def __init__(self, page, args, results: dict[str, Result]) -> None:
        self.page, self.args, self.results = page, args, results

    def result(self, name: str, kind: str = "interaction") -> Result:
        return self.results.setdefault(name, Result(name, kind))

    def measure(self, name: str, act, predicate: str, kind: str = "interaction") -> float | None:
        res = self.result(name, kind)
        page = self.page
        if page.evaluate("([b, q]) => window.__ui.arm(b, q)", [predicate, self.args.quiet]):
            res.errors.append("the expected content was there before the click (not measured)")
            return None
        try:
            act()
            page.mouse.move(2, VIEWPORT["height"] - 2)  # off the charts: a Vega tooltip is not the page settling
            page.wait_for_function("() => window.__ui.watch.hit !== null", polling=50,
                                   timeout=self.args.timeout * 1000)
        except Exception as exc:  # noqa: BLE001 - a timeout is a result, not a crash of the benchmark
            res.errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
            self.shot(name)
            return None
        r = page.evaluate("() => window.__ui.result()")
        if r["down"] is None:
            res.errors.append("no pointerdown seen")
            return None
        ms = r["hit"] - r["down"]
        res.ms.append(ms)
        if r["running"] is not None and r["done"] is not None:
            res.run_ms.append(r["done"] - r["running"])
        if page.locator("[data-testid=stException]").count():
            res.errors.append("an exception box is on the page")
        return ms

    def shot(self, name: str) -> None:
        if self.args.work:
            with contextlib.suppress(Exception):
                self.page.screenshot(path=str(self.args.work / f"error-{name.replace(' ', '_')}-{int(time.time())}.png"))

    def settle(self) -> None:
        """Wait (unmeasured) until the page is idle: used after set-up clicks."""
        self.page.evaluate("([b, q]) => window.__ui.arm(b, q)", ["return true", self.args.quiet])
        self.page.wait_for_function("() => window.__ui.watch.hit !== null", polling=50, timeout=self.args.timeout * 1000)

    def select(self, name: str, label: str, value: str, predicate: str) -> float | None:
        box = self.page.get_by_role("combobox", name=label, exact=True).first

        def act() -> None:
            box.click()
            self.page.get_by_role("option", name=value, exact=True).click()

        return self.measure(name, act, predicate)

    def options(self, label: str) -> list[str]:
        box = self.page.get_by_role("combobox", name=label, exact=True).first
        box.click()
        listbox = self.page.get_by_role("listbox")
        listbox.wait_for()
        names = [s.strip() for s in listbox.get_by_role("option").all_inner_texts()]
        self.page.keyboard.press("Escape")
        return names

    def shown(self, label: str) -> str:
        return self.page.get_by_role("combobox", name=label, exact=True).first.input_value()

    def nav(self, name: str, link: str, path: str) -> float | None:
        """Open a page from the sidebar: the URL is the page's, a title heading is there, nothing is
        stale, and a run was seen or the title is another (two pages may share a title, e.g. the
        review's; a run within one frame leaves the script state unchanged)."""
        nav = self.page.locator("[data-testid=stSidebarNav]")
        if self.page.evaluate(f"() => location.pathname.replace(/\\/+$/, '') === {js_str(path.rstrip('/'))}"):
            nav.get_by_role("link").nth(1 if path.rstrip("/") == "" else 0).click()  # already there: elsewhere first
            self.settle()
        target = nav.get_by_role("link", name=link, exact=True)
        before = self.page.evaluate("() => window.__ui.h1()")
        pred = (f"return location.pathname.replace(/\\/+$/, '') === {js_str(path.rstrip('/'))} "
                "&& window.__ui.h1() !== null "
                f"&& (window.__ui.watch.running !== null || window.__ui.h1() !== {js_str(before or '')}) "
                "&& document.querySelector('[data-stale=\"true\"]') === null;")
        return self.measure(name, target.click, pred, kind="open")


# --------------------------------------------------------------------------- the walk


def bare_round(d: Driver, r: int, base: str) -> None:
    series = ["alpha", "beta", "gamma", "delta"]
    if d.page.url.rstrip("/") != base:
        d.page.goto(base)
        d.settle()
    current = d.shown("Series")
    want = next(s for s in series[r % 4:] + series if s != current)
    d.select("bare: selectbox change", "Series", want, f"return window.__ui.has('h3', {js_str('shown ' + want)});")
    d.nav("bare: page switch", "Two", "/two")
    d.nav("bare: page switch", "One", "/")


class Retro:
    def __init__(self, d: Driver, t, lang: str, base: str) -> None:
        self.d, self.t, self.lang, self.base = d, t, lang, base
        self.metrics: list[str] = []
        self.dims: list[str] = []
        self.filter_dim: str | None = None
        self.filter_values: list[str] = []
        self.periods: list[str] = []

    def tr(self, key: str, **params) -> str:
        return self.t(key, self.lang, **params)

    def open(self, key: str, path: str) -> float | None:
        return self.d.nav(f"open {key}", self.tr(f"nav.{key}"), path)

    # ---- trends

    def trends(self, r: int) -> None:
        d, tr = self.d, self.tr
        self.open("trends", "/trends")
        if not self.metrics:
            self.metrics = d.options(tr("trends.metric"))
            self.dims = [x for x in d.options(tr("trends.by")) if x != tr("trends.by_none")]
        current = d.shown(tr("trends.metric"))
        want = next(m for m in self.metrics[r % len(self.metrics):] + self.metrics if m != current)
        d.select("trends: metric", tr("trends.metric"), want,
                 f"return window.__ui.has('h3', {js_str(tr('trends.over_time', metric=want))});")
        grains = ["month", "quarter", "year"]
        checked = d.page.get_by_role("radiogroup", name=tr("trends.grain"), exact=True).locator("[aria-checked=true]")
        now = checked.inner_text().strip() if checked.count() else ""
        g = next(g for g in grains[(r + 1) % 3:] + grains if tr(f"grain.{g}") != now)
        word = tr(f"grain.{g}")
        note = tr("trends.period_note", period="\x00", grain=word.lower()).split("\x00")[-1].replace("**", "")[:12]
        button = d.page.get_by_role("radiogroup", name=tr("trends.grain"), exact=True).get_by_role("radio", name=word, exact=True)
        d.measure("trends: grain", button.click, f"return window.__ui.has('[data-testid=stCaptionContainer]', {js_str(note)});")
        self.trends_filter(r)
        current = d.shown(tr("trends.by"))
        if self.dims:
            by = next(x for x in self.dims[r % len(self.dims):] + self.dims if x != current)
            d.select("trends: breakdown", tr("trends.by"), by,
                     f"return window.__ui.has('[data-testid=stMarkdownContainer]', {js_str(tr('trends.value_share', dim=by))});")

    def trends_filter(self, r: int) -> None:
        d, tr, page = self.d, self.tr, self.d.page
        label = tr("trends.filters")
        summary = page.locator("[data-testid=stExpander] summary", has_text=label).first
        box_open = page.locator("[data-testid=stExpander] details[open] summary", has_text=label).count()
        if not box_open:
            summary.click()
            d.settle()
        if self.filter_dim is None:
            dim = next((x for x in self.dims if page.get_by_role("combobox", name=x, exact=True).count()), None)
            if dim is None:
                d.result("trends: filter").errors.append("no filter found")
                return
            self.filter_dim = dim
            self.filter_values = d.options(dim)
        dim = self.filter_dim
        clear = page.locator("[data-testid=stExpander] [data-testid=stMultiSelect] button[aria-label='Clear all']")
        if clear.count():  # last round's filter, cleared unmeasured: each round adds one value to no filter
            clear.first.click()
            d.settle()
            if not page.locator("[data-testid=stExpander] details[open] summary", has_text=label).count():
                summary.click()  # the box closes when its label's count goes away
                d.settle()
        value = self.filter_values[r % len(self.filter_values)]
        box = page.get_by_role("combobox", name=dim, exact=True).first

        def act() -> None:
            box.click()
            page.get_by_role("option", name=value, exact=True).click()

        d.measure("trends: filter", act, f"return window.__ui.has('[data-testid=stExpander] summary', {js_str(label + ' · 1')});")
        page.keyboard.press("Escape")

    # ---- goals

    def goals(self, r: int) -> None:
        d, tr, page = self.d, self.tr, self.d.page
        self.open("goals", "/goals")
        current = d.shown(tr("goals.period"))
        if not self.periods:  # the twelve periods up to the one the page opened on (later ones have no actuals)
            listed = sorted(d.options(tr("goals.period")))
            self.periods = listed[max(0, listed.index(current) - 11): listed.index(current) + 1] if current in listed else listed[-12:]
        recent = self.periods
        want = next(p for p in recent[r % len(recent):] + recent if p != current)
        d.select("goals: period", tr("goals.period"), want,
                 f"return window.__ui.has('h3', {js_str(tr('goals.scorecard', period=want))});")
        log = tr("meeting.log_problem")
        buttons = page.locator("[data-testid=stMain] button", has_text=log)
        n = buttons.count()
        if not n:
            d.result("goals: 记录问题 (log a problem)").errors.append(f"{want}: no KPI offers it")
            return
        d.measure("goals: 记录问题 (log a problem)", buttons.first.click,
                  f"return window.__ui.count('[data-testid=stMain] button', {js_str(log)}) === {n - 1};")

    # ---- meeting mode

    def meeting(self, r: int) -> None:
        d, tr, page = self.d, self.tr, self.d.page
        self.open("meeting", "/meeting")
        create = page.locator("[data-testid=stMain] button", has_text=tr("meeting.start_for", period="\x00").split("\x00")[0])
        if create.count():
            create.first.click()
            d.settle()
        steps = self.meeting_steps()
        if not steps:
            d.result("meeting: step change").errors.append("no agenda found")
            return
        group = page.get_by_role("radiogroup").filter(has=page.get_by_role("radio", name=steps[0][1], exact=True)).first
        for k in range(2):
            checked = group.locator("[aria-checked=true]")
            now = checked.inner_text().strip() if checked.count() else ""
            i = (2 * r + k) % len(steps)
            if steps[i][1] == now:
                i = (i + 1) % len(steps)
            step, label = steps[i]
            header = tr(f"meeting.step.{step}")
            d.measure("meeting: step change", group.get_by_role("radio", name=label, exact=True).click,
                      f"return window.__ui.has('[data-testid=stMain] h2', {js_str(header)});")

    def meeting_steps(self) -> list[tuple[str, str]]:
        from retro import reviews as R

        return [(s, f"{i}. {self.tr(f'meeting.step.{s}')}") for i, s in enumerate(R.AGENDA, 1)]

    # ---- review workspace

    def review(self, r: int) -> None:
        d, tr, page = self.d, self.tr, self.d.page
        self.open("review", "/review")
        label = tr("review.ui.edit_review")
        summary = page.locator("[data-testid=stExpander] summary", has_text=label).first
        if not summary.count():
            d.result("review: save").errors.append("no edit form (no active review?)")
            return
        if not page.locator("[data-testid=stExpander] details[open] summary", has_text=label).count():
            summary.click()
            d.settle()
        # The form keeps the review's version it was first drawn with for the session: after meeting
        # mode changed the review, the first save is refused as a conflict (issue 17, forms). Such a
        # save is not counted; the form then starts from the stored version and the next one saves.
        conflict = tr("review.ui.conflict", title="\x00", who="\x00", when="\x00").split("\x00")[-1][:12]
        for attempt in range(2):
            form = page.locator("[data-testid=stForm]").filter(
                has=page.get_by_label(tr("review.field.attendees"), exact=True)).first
            text = f"bench {r}.{attempt} {int(time.time() * 1000) % 100000}"
            form.get_by_label(tr("review.field.attendees"), exact=True).fill(text)
            save = form.get_by_role("button", name=tr("review.ui.save"))
            saved = (f"window.__ui.has('[data-testid=stCaptionContainer]', {js_str(text)})")
            ms = d.measure("review: save", save.click,
                           f"return {saved} || window.__ui.has('[data-testid=stAlert]', {js_str(conflict)});")
            if ms is None or page.evaluate(f"() => {saved}"):
                return
            res = d.result("review: save")
            res.ms.pop()
            if res.run_ms:
                res.run_ms.pop()
            res.errors.append("refused as a conflict with the user's own earlier change (stale form; retried)")
            if not page.locator("[data-testid=stExpander] details[open] summary", has_text=label).count():
                page.locator("[data-testid=stExpander] summary", has_text=label).first.click()
                d.settle()

    def other_pages(self) -> None:
        for key, path in (("home", "/"), ("import", "/import_data"), ("history", "/history"),
                          ("metrics", "/metrics"), ("report", "/report")):
            self.open(key, path)


# --------------------------------------------------------------------------- main


def machine_line(load_before: list[str], cpu0: tuple[float, float], cpu1: tuple[float, float], started: float,
                 what: str) -> str:
    """How loaded the machine was: the load averages before and after, its cores' busy share meanwhile."""
    return (f"machine: {os.cpu_count()} cores; load average before {' '.join(load_before)}, after "
            f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])}; whole machine busy "
            f"{(cpu1[0] - cpu0[0]) / max(cpu1[1] - cpu0[1], 1e-9) * 100:.0f}% of its cores during the "
            f"{time.monotonic() - started:.0f} s {what}")


def print_not_measured(results: dict[str, Result], prefix: str = "") -> None:
    """Why measurements are missing (stderr): each result's distinct errors."""
    for name, res in results.items():
        if res.errors:
            print(f"- {prefix}{name}: {len(res.errors)} not measured: {'; '.join(sorted(set(res.errors)))[:300]}",
                  file=sys.stderr)


def table(results: dict[str, Result], floors: dict[str, Result], first_opens: dict[str, float]) -> str:
    floor_i, floor_o = floors["interaction"], floors["open"]
    fi = statistics.median(floor_i.ms) if floor_i.ms else float("nan")
    fo = statistics.median(floor_o.ms) if floor_o.ms else float("nan")
    lines = ["| what | n | median ms | p90 ms | median / floor | p90 / floor | server run ms (median) | target |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for res in results.values():
        if not res.ms:
            lines.append(f"| {res.name} | 0 | — | — | — | — | — | not measured: {'; '.join(sorted(set(res.errors)))[:120]} |")
            continue
        med, hi = statistics.median(res.ms), p90(res.ms)
        floor = fi if res.kind == "interaction" else fo
        run = f"{statistics.median(res.run_ms):.0f}" if res.run_ms else "—"
        if res.name.startswith("bare"):
            verdict = "floor"
        elif res.kind == "interaction":
            verdict = "PASS" if med <= 2 * floor and hi <= 3 * floor else "MISS"
            verdict += " (≤2×, p90 ≤3×)"
        else:
            first = first_opens.get(res.name)
            verdict = ("PASS" if med <= 1000 else "MISS") + " (≤1000 ms)"
            if first is not None:
                verdict += f"; first of the session {first:.0f} ms"
        errors = f"; {len(res.errors)} not measured" if res.errors else ""
        lines.append(f"| {res.name} | {len(res.ms)} | {med:.0f} | {hi:.0f} | {med / floor:.2f}× | {hi / floor:.2f}× | "
                     f"{run} | {verdict}{errors} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quiet", type=float, default=150, help="ms without a DOM change that count as idle")
    parser.add_argument("--timeout", type=float, default=60, help="seconds before one measurement gives up")
    parser.add_argument("--head", action="store_true", help="serve a clean copy of HEAD (git archive), not the working tree")
    parser.add_argument("--only", default="trends,goals,meeting,review,pages",
                        help="parts of retro's walk: trends,goals,meeting,review,pages")
    parser.add_argument("--lang", default="zh", choices=["zh", "en"])
    parser.add_argument("--json")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, screenshots of failures)")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))

    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="bench_ui_"))
    args.work = work
    code = snapshot_head(work / "code") if args.head else REPO
    sys.path.insert(0, str(code))
    from retro.i18n import t

    (work / "bare.py").write_text(BARE_APP, encoding="utf-8")
    retro = Server([PYTHON, "-m", "retro.ui"], code, work / "retro.log", env={"RETRO_DB": str(work / "retro.duckdb")})
    bare = Server([PYTHON, "-m", "streamlit", "run", str(work / "bare.py")], REPO, work / "bare.log")
    results: dict[str, Result] = {}
    floors = {"interaction": Result("bare: selectbox change", "interaction"), "open": Result("bare: page switch", "open")}
    results.update({f.name: f for f in floors.values()})
    first_opens: dict[str, float] = {}
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    busy0, total0 = machine_cpu()
    started = time.monotonic()
    try:
        retro.start()
        bare.start()
        print(f"retro {retro.url} (code: {code}), bare {bare.url}, work {work}", file=sys.stderr, flush=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(**chromium_launch_kwargs())
            pages = []
            for _ in range(2):
                context = browser.new_context(viewport=VIEWPORT, locale="zh-CN" if args.lang == "zh" else "en-US")
                context.set_default_timeout(args.timeout * 1000)
                context.add_init_script(PAGE_JS)
                pages.append(context.new_page())
            bd, rd = Driver(pages[0], args, results), Driver(pages[1], args, results)
            bd.page.goto(bare.url)
            bd.settle()
            opened = time.monotonic()
            rd.page.goto(f"{retro.url}/?lang={args.lang}", timeout=180_000)
            rd.page.wait_for_selector("[data-testid=stSidebarNav]", timeout=180_000)
            rd.settle()
            print(f"retro's first page (sample imported on first start) idle after {time.monotonic() - opened:.1f} s",
                  file=sys.stderr, flush=True)
            walk = Retro(rd, t, args.lang, retro.url)
            for r in range(args.rounds):
                t0 = time.monotonic()
                bare_round(bd, r, bare.url)
                for part, fn in (("trends", walk.trends), ("goals", walk.goals), ("meeting", walk.meeting),
                                 ("review", walk.review)):
                    if part in only:
                        try:
                            fn(r)
                        except Exception as exc:  # noqa: BLE001 - one broken part; the others go on
                            rd.result(f"{part}: (walk)").errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
                            rd.shot(part)
                            print(f"   round {r} {part}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
                                  file=sys.stderr, flush=True)
                if "pages" in only:
                    walk.other_pages()
                if r == 0:
                    first_opens = {name: res.ms[0] for name, res in results.items() if res.kind == "open" and res.ms
                                   and not name.startswith("bare")}
                print(f"round {r + 1}/{args.rounds} in {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
            browser.close()
    finally:
        retro.stop()
        bare.stop()
    busy1, total1 = machine_cpu()
    order = [f.name for f in floors.values()]
    ordered = {**{k: results[k] for k in order}, **{k: v for k, v in sorted(results.items()) if k not in order}}
    print(f"## bench_ui: {args.rounds} rounds, viewport 1366×768, chromium headless, quiet {args.quiet:.0f} ms, lang {args.lang}\n")
    print(table(ordered, floors, first_opens))
    print("\n" + machine_line(load_before, (busy0, total0), (busy1, total1), started,
                              "run (this bench's servers and browser included)"))
    print_not_measured(ordered)
    if args.json:
        Path(args.json).write_text(json.dumps({k: {"kind": v.kind, "ms": v.ms, "run_ms": v.run_ms, "errors": v.errors}
                                               for k, v in ordered.items()}, indent=1, ensure_ascii=False))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"kept {work}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
