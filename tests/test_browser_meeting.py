"""A whole review meeting in a real browser (issue 5's "Done when"), in Chinese and in English.

Each language gets its own ``python -m retro.ui`` server on a fresh DuckDB file (the first start
imports the bundled sample) and one chromium page that walks the meeting mode as a team would:

1. start the 2026-10 review from the meeting page and start the meeting;
2. problems: the sample's red KPI of 2026-10 by 区域 (新增客户 · 华北) is logged in one click and
   given a two-level 5-Whys chain;
3. measures: a measure for that problem, one owner, a due date typed into the date field, and an
   acceptance criterion tied to the metric (新增客户 ≥ 100% of plan in 2026-11, 区域 = 华北) —
   pending, as November has no data yet;
4. summary: the draft names the problem; a line is added, the review is closed and the next one
   (2026-11) opened — the measure comes along, still pending;
5. November's 新增客户 of 华北 is imported through the import page (a workbook built here, above
   the sample's plan), and back in the meeting the measure's check says met, with the actual;
6. after the server stops, the DuckDB file holds exactly that.

Expected numbers come from the sample's own truth (retro.sample), texts from the catalog.
DuckDB allows no reader while the server holds the file, so the stored rows are read at the end.
Screenshots (docs/screenshot-meeting-*.png, 1400×1000) are written only when RETRO_SCREENSHOTS=1.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import (
    DOCS,
    VIEWPORT,
    StreamlitServer,
    want_screenshots,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from retro import reviews as R
from retro.i18n import t
from retro.metrics import english_name

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000  # a rerun on a busy 2-core machine; the first request also imports the sample
expect.set_options(timeout=TIMEOUT_MS)

PERIOD, NEXT = "2026-10", "2026-11"
METRIC, DIM, REGION = "新增客户", "区域", "华北"
TODAY = dt.date.today()
DUE = TODAY + dt.timedelta(days=20)
WHYS = {
    "zh": [("为什么华北新增客户只完成了三分之二？", "华北地推团队两人离职，拜访量下降"),
           ("为什么离职后拜访量没有补上？", "没有交接流程，客户名单只在个人手里")],
    "en": [("Why did 华北 reach only two thirds of its new customers?", "Two field sales left, visits dropped"),
           ("Why were the visits not picked up by others?", "No handover process: client lists live with individuals")],
}
MEASURE = {"zh": ("建立华北客户交接流程，补招两名地推", "王五"),
           "en": ("Handover process for 华北 accounts, hire two field sales", "Wang Wu")}
SUMMARY_LINE = {"zh": "会议决定：华北交接流程 12 月上线。", "en": "Decided: the 华北 handover process goes live in December."}


# --------------------------------------------------------------------------- what the sample holds


def sample_numbers() -> dict[str, float]:
    """新增客户 of 华北 in the bundled sample: 2026-10 actual and plan, 2026-11 plan."""
    from retro.sample import sample_targets, sample_truth

    truth, targets = sample_truth(), sample_targets()

    def pick(frame, period: str, scenario: str) -> float:
        rows = frame[(frame["period"] == period) & (frame["region"] == REGION) & (frame["metric"] == METRIC)
                     & (frame["scenario"] == scenario)]
        assert not rows.empty, (period, scenario)
        return float(rows["value"].sum())  # the sample splits actuals by product line

    return {"actual": pick(truth, PERIOD, "actual"), "plan": pick(targets, PERIOD, "plan"),
            "next_plan": pick(targets, NEXT, "plan")}


def november_workbook(directory: Path, value: float) -> Path:
    """Long format, one row: 月份 | 区域 | 新增客户(家) = 2026-11 | 华北 | value."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "11月新增客户"
    ws.append(["月份", DIM, f"{METRIC}(家)"])
    ws.append([NEXT, REGION, value])
    buf = io.BytesIO()
    wb.save(buf)
    path = directory / "华北11月新增客户.xlsx"
    path.write_bytes(buf.getvalue())
    return path


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def server(tmp_path) -> Iterator[StreamlitServer]:
    srv = StreamlitServer(tmp_path / "retro.duckdb", tmp_path / "streamlit.log").start(timeout=120)
    try:
        yield srv
    finally:
        srv.stop()


# --------------------------------------------------------------------------- helpers


def settle(page) -> None:
    """Wait for Streamlit's script run to finish (the attribute flips a moment after an action)."""
    page.wait_for_timeout(300)
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_be_attached()


def type_in(field, text: str) -> None:
    """Type into a text input and commit it (Enter), as a user does before moving on."""
    field.fill(text)
    field.press("Enter")
    settle(field.page)


def choose(scope, label: str, option: str) -> None:
    """Pick ``option`` in the select box labelled ``label`` (its list opens in a portal outside ``scope``)."""
    box = scope.get_by_role("combobox", name=label, exact=True)
    wanted = scope.page.get_by_role("option", name=option, exact=True)
    for _ in range(3):  # a rerun that lands just after the click closes the list again
        box.click()
        try:
            wanted.click(timeout=10_000)
            break
        except PlaywrightTimeout:
            box.press("Escape")
            settle(scope.page)
    else:
        raise AssertionError(f"no option {option!r} in {label!r}")
    settle(scope.page)
    expect(box).to_have_value(option)


def go_step(page, step: str, lang: str, n: int) -> None:
    page.get_by_test_id("stMain").get_by_role("radio", name=f"{n}. {t(f'meeting.step.{step}', lang)}",
                                              exact=True).click()
    expect(page.get_by_role("heading", name=t(f"meeting.step.{step}", lang), exact=True)).to_be_visible()
    settle(page)


def nav(page, nav_key: str, title_key: str, lang: str) -> None:
    page.locator("[data-testid=stSidebarNav]").get_by_role("link", name=t(nav_key, lang), exact=True).click()
    expect(page.get_by_role("heading", name=t(title_key, lang), exact=True)).to_be_visible()
    settle(page)


def grid_row(page, text: str):
    """The row of an st.dataframe / st.data_editor grid holding a cell that contains ``text``."""
    cell = page.locator("td[role=gridcell]").filter(has_text=text)  # relative to the row
    return page.locator("[data-testid=stDataFrame] tr").filter(has=cell)


def screenshot(page, name: str, top=None) -> None:
    """docs/screenshot-<name>.png of the viewport, scrolled so that ``top`` starts it."""
    if want_screenshots():
        if top is not None:
            top.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(800)  # let the grids and icons settle
        page.screenshot(path=str(DOCS / f"screenshot-{name}.png"))


# --------------------------------------------------------------------------- the flow's parts


def open_page(chromium, lang: str):
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN" if lang == "zh" else "en-US")
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def start_meeting(page, server: StreamlitServer, lang: str) -> str:
    """Start the 2026-10 review from the meeting page, then the meeting; the review's title."""
    main = page.get_by_test_id("stMain")
    # The root URL first (a sub-URL as the very first request hits the legacy pages/ mode).
    page.goto(f"{server.url}/?lang={lang}")
    expect(page.get_by_role("heading", name=t("home.title", lang), exact=True)).to_be_visible()
    page.goto(f"{server.url}/meeting?lang={lang}&period={PERIOD}")
    expect(main.get_by_text(t("meeting.no_review", lang))).to_be_visible()
    main.get_by_role("button", name=t("meeting.start_for", lang, period=PERIOD)).click()
    main.get_by_role("button", name=t("meeting.start", lang), exact=True).click()
    expect(main.get_by_text(t("meeting.status.in_meeting", lang), exact=True)).to_be_visible()
    title = main.get_by_role("heading", level=1).inner_text()
    assert "2026" in title and ("10" in title or "Oct" in title), title
    settle(page)
    return title


def log_red_kpi(page, lang: str, whys: list[tuple[str, str]]) -> None:
    """Step 问题分析: 新增客户 · 华北 is red by 区域 (the default); log it, fill its 5 Whys, save."""
    main = page.get_by_test_id("stMain")
    numbers = sample_numbers()
    attainment = numbers["actual"] / numbers["plan"]
    assert attainment < 0.9, "the sample's 华北 新增客户 of 2026-10 is meant to be red"
    go_step(page, "problems", lang, 3)
    expect(main.get_by_role("combobox", name=t("meeting.by", lang), exact=True)).to_have_value(DIM)
    row = main.get_by_test_id("stHorizontalBlock").filter(has_text=f"{metric_label(lang)} · {REGION}")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"{attainment * 100:.1f}%")
    row.get_by_role("button", name=t("meeting.log_problem", lang)).click()
    expect(row.get_by_text(t("meeting.logged", lang))).to_be_visible()
    expect(main.get_by_role("heading", name=t("meeting.problems_of", lang, n=1))).to_be_visible()
    box = main.get_by_test_id("stExpander").filter(has=page.locator("summary", has_text=REGION))
    expect(box).to_have_count(1)  # the logged problem's box is open, ready for the causes
    expect(box.get_by_role("textbox", name=t("review.field.title", lang), exact=True)).to_have_value(
        re.compile(re.escape(REGION)))
    for i, (why, because) in enumerate(whys):
        if i:
            box.get_by_role("button", name=t("review.ui.why_add", lang)).click()
        field = box.get_by_role("textbox", name=t("review.ui.why", lang, n=i + 1), exact=True)
        expect(field).to_be_visible()
        type_in(field, why)
        type_in(box.get_by_role("textbox", name=t("review.ui.because", lang), exact=True).nth(i), because)
    screenshot(page, f"meeting-problems-{lang}", box)
    box.get_by_role("button", name=t("review.ui.save", lang)).click()
    expect(main.get_by_text(t("review.ui.problem.saved", lang, title=""))).to_be_visible()
    settle(page)


def metric_label(lang: str) -> str:
    return METRIC if lang == "zh" else english_name(METRIC)  # as the page labels it


# --------------------------------------------------------------------------- the meeting


def test_a_whole_meeting_in_chinese_closes_the_loop(chromium, server, tmp_path):
    L = "zh"  # noqa: N806 - short, used on every line
    numbers = sample_numbers()
    november = numbers["next_plan"] + 5  # meets "≥ 100% of plan"
    upload = november_workbook(tmp_path, november)
    why, measure = WHYS[L], MEASURE[L]
    context, page = open_page(chromium, L)
    main = page.get_by_test_id("stMain")
    title = main.get_by_role("heading", level=1)
    try:
        # 1-2. Start the 2026-10 review; log the red KPI with a two-level 5-Whys chain.
        first_title = start_meeting(page, server, L)
        log_red_kpi(page, L, why)

        # 3. Measures: one for the problem, tied to 新增客户 of 华北 in November.
        go_step(page, "measures", L, 4)
        expect(main.get_by_text(t("review.ui.measure.none", L))).to_be_visible()
        picker = main.get_by_role("combobox", name=t("meeting.for_problem", L), exact=True)
        picker.click()
        page.get_by_role("option").filter(has_text=REGION).click()
        settle(page)
        expect(picker).to_have_value(re.compile(rf"^#\d+ .*{REGION}"))
        type_in(main.get_by_role("textbox", name=t("review.ui.kind.measure", L), exact=True), measure[0])
        type_in(main.get_by_role("textbox", name=t("review.field.owner", L), exact=True), measure[1])
        main.get_by_role("spinbutton", name=f"year, {t('review.field.due', L)}").click()
        page.keyboard.type(DUE.strftime("%Y%m%d"))  # the date field's segments advance by themselves
        page.keyboard.press("Tab")
        settle(page)
        main.get_by_text(t("review.ui.crit", L), exact=True).click()
        expect(main.get_by_role("combobox", name=t("review.field.crit_metric", L), exact=True)).to_be_visible()
        settle(page)
        choose(main, t("review.field.crit_metric", L), metric_label(L))
        choose(main, t("review.field.crit_op", L), "≥")
        choose(main, t("review.field.crit_basis", L), t("review.ui.basis.plan", L))
        type_in(main.get_by_role("spinbutton", name=t("review.field.crit_value", L), exact=True), "100")
        type_in(main.get_by_role("textbox", name=t("review.field.crit_period", L), exact=True), NEXT)
        choose(main, t("review.ui.dimension", L), DIM)
        choose(main, t("review.ui.dim_value", L), REGION)
        expect(main.get_by_text(re.compile(re.escape(f"{NEXT}, {DIM}={REGION}")))).to_be_visible()  # the preview
        main.get_by_role("button", name=t("review.ui.save", L)).click()
        expect(main.get_by_text(t("review.ui.measure.saved", L, title=measure[0]))).to_be_visible()
        row = grid_row(page, measure[0])
        expect(row).to_have_count(1)
        expect(row).to_contain_text(measure[1])
        expect(row).to_contain_text(DUE.isoformat())
        expect(row).to_contain_text(t("review.verify.pending", L))
        settle(page)

        # 4. Summary: the draft names the problem; a line added; close; open the next review.
        go_step(page, "summary", L, 7)
        area = main.get_by_role("textbox", name=t("meeting.summary", L))
        expect(area).to_have_value(re.compile(re.escape(REGION)))
        draft = area.input_value()
        area.fill(draft + "\n" + SUMMARY_LINE[L])
        area.press("Control+Enter")
        settle(page)
        main.get_by_role("button", name=t("meeting.close", L)).click()
        expect(main.get_by_text(t("meeting.status.closed", L), exact=True)).to_be_visible()
        expect(area).to_be_disabled()
        main.get_by_role("button", name=t("meeting.open_next", L)).click()
        expect(title).not_to_have_text(first_title)
        second_title = title.inner_text()
        assert "2026" in second_title and ("11" in second_title or "Nov" in second_title), second_title
        # The next meeting starts at the agenda's first step, and the sidebar names the review it shows.
        expect(main.get_by_role("heading", name=t("meeting.step.data", L), exact=True)).to_be_visible()
        expect(page.get_by_test_id("stSidebar").get_by_role("combobox", name=t("review.ui.sidebar", L))).to_have_value(
            re.compile(" · " + re.escape(second_title) + "$"), timeout=15_000)  # its status first, then the title
        settle(page)
        go_step(page, "measures", L, 4)
        row = grid_row(page, measure[0])
        expect(row).to_have_count(1)
        # (its "carried from" column is scrolled out of the grid's accessible rows; stored links checked below)
        expect(row).to_contain_text(t("review.verify.pending", L))

        # 5. November's number through the import page; back in the meeting, the check is met.
        nav(page, "nav.import", "import.title", L)
        page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(upload))
        page.get_by_role("button", name=t("import.button", L, n=1)).click()
        expect(page.get_by_text(t("import.done", L, rows="1", periods=f"{NEXT} – {NEXT}"))).to_be_visible()
        page.locator("[data-testid=stSidebarNav]").get_by_role("link", name=t("nav.meeting", L), exact=True).click()
        expect(title).to_have_text(second_title)
        settle(page)
        go_step(page, "measures", L, 4)
        row = grid_row(page, measure[0])
        expect(row).to_contain_text(t("review.verify.met", L))
        expect(row).to_contain_text(re.compile(rf"{november:g}\s*(家)?"))
        screenshot(page, f"meeting-measures-{L}", main.get_by_role("heading", name=t("meeting.step.measures", L)))
        expect(page.locator("[data-testid=stException]")).to_have_count(0)
    finally:
        context.close()

    # 6. What the file holds, read after the server let go of it.
    server.stop()
    check_database(server.db_path, L, why, measure, numbers, november)


def test_the_meeting_in_english_every_step_and_a_problem(chromium, server):
    """The shorter English run (both full runs take over three minutes here): every agenda step renders
    in English, the red KPI is logged with its 5 Whys, and the summary draft names it."""
    L = "en"  # noqa: N806
    why = WHYS[L][:1]
    context, page = open_page(chromium, L)
    main = page.get_by_test_id("stMain")
    try:
        start_meeting(page, server, L)
        expect(main.get_by_role("heading", name=t("meeting.step.data", L), exact=True)).to_be_visible()
        log_red_kpi(page, L, why)
        for n, step in enumerate(R.AGENDA, 1):
            go_step(page, step, L, n)  # from data on: no click lands on the step already chosen
            expect(main.get_by_text(t("meeting.progress", L, n=n, total=len(R.AGENDA), step=t(f"meeting.step.{step}", L))))\
                .to_be_visible()
        area = main.get_by_role("textbox", name=t("meeting.summary", L))
        expect(area).to_have_value(re.compile(re.escape(REGION)))
        expect(page.locator("[data-testid=stException]")).to_have_count(0)
    finally:
        context.close()

    server.stop()
    db = fresh_database(server.db_path)
    try:
        review = R.review_for_period(db, PERIOD)
        (problem,) = R.items(db, "problem", review.id)
        assert (problem["source"], problem["metric"], problem["segment"]) == ("goals", METRIC, f"{DIM}={REGION}")
        assert problem["whys"] == [{"why": w, "because": b} for w, b in why]
    finally:
        db.close()


def fresh_database(path: Path):
    from retro.db import Database, close_all

    close_all()
    return Database(path)


def check_database(path: Path, lang: str, why, measure, numbers, november) -> None:
    db = fresh_database(path)
    try:
        first, second = R.review_for_period(db, PERIOD), R.review_for_period(db, NEXT)
        assert first is not None and second is not None
        assert first.status == "closed" and first.summary.rstrip().endswith(SUMMARY_LINE[lang])
        assert REGION in first.summary
        assert second.previous_id == first.id and second.status != "closed"

        (problem,) = R.items(db, "problem", first.id)
        assert (problem["source"], problem["metric"], problem["segment"]) == ("goals", METRIC, f"{DIM}={REGION}")
        assert problem["period"] == dt.date(2026, 10, 1) and problem["grain"] == "month"
        assert problem["whys"] == [{"why": w, "because": b} for w, b in why]

        (m,) = R.items(db, "measure", first.id)
        assert m["problem_id"] == problem["id"] and (m["title"], m["owner"]) == measure and m["due"] == DUE
        assert (m["crit_metric"], m["crit_op"], m["crit_basis"]) == (METRIC, ">=", "plan")
        assert m["crit_value"] == pytest.approx(1.0)
        assert (m["crit_period"], m["crit_grain"], m["crit_segment"]) == (dt.date(2026, 11, 1), "month", f"{DIM}={REGION}")

        links = db.rows("SELECT kind, item_id, carried_from FROM review_links WHERE review_id = ? ORDER BY kind",
                        [second.id])
        assert ("measure", m["id"], first.id) in links and ("problem", problem["id"], first.id) in links, links
        carried = R.items(db, "measure", second.id)
        assert [x["id"] for x in carried] == [m["id"]] and carried[0]["carried"]

        check = R.verify(db, m)
        assert check.state == "met", check
        assert check.actual == pytest.approx(november) and check.target == pytest.approx(numbers["next_plan"])
        imported = db.rows("SELECT file_name, is_sample FROM imports ORDER BY id")
        assert len(imported) == 2 and imported[1] == ("华北11月新增客户.xlsx", False), imported
    finally:
        db.close()
