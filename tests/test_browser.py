"""The dashboard in a real browser: ``streamlit run app.py`` driven by Playwright with Debian's chromium.

One server (module scope) on a fresh DuckDB file serves the flows below, which run in file order
and build on each other: upload → preview → import → history → overview; the same file again
("already imported"); a broken file; undo through the confirmation dialog. DuckDB allows no
reader while the server holds the file, so the stored rows are checked after the server stops
(``test_database_after_the_server_stops``).

Screenshots for the README (docs/screenshot-*.png, 1400×1000) are written only when
``RETRO_SCREENSHOTS=1``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import (
    DOCS,
    VIEWPORT,
    StreamlitServer,
    broken_workbook,
    mismatch_workbook,
    want_screenshots,
    wide_workbook,
)
from playwright.sync_api import expect

from retro.i18n import message_text, t

pytestmark = pytest.mark.browser


TIMEOUT_MS = 30_000  # Streamlit reruns; the first run also imports the bundled sample
WB = wide_workbook("华东华南月报.xlsx")  # no year in the file name: it comes from the sheet "2026线上销售"
SAMPLE_FILE = "retro_sample.xlsx"
expect.set_options(timeout=TIMEOUT_MS)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[StreamlitServer]:
    d = tmp_path_factory.mktemp("browser")
    srv = StreamlitServer(d / "retro.duckdb", d / "streamlit.log").start()
    srv.workbook_path = WB.write(d)
    name, data = broken_workbook()
    srv.broken_path = d / name
    srv.broken_path.write_bytes(data)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def page(chromium, server):
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def no_exceptions(page):
    """After the test: no Streamlit exception box on the page."""
    yield
    expect(page.locator("[data-testid=stException]")).to_have_count(0)


# --------------------------------------------------------------------------- helpers


def open_app(page, server: StreamlitServer, lang: str) -> None:
    """Open the root URL first (a sub-URL as the very first request hits the legacy pages/ mode)."""
    page.goto(f"{server.url}/?lang={lang}")
    expect(page.get_by_role("heading", name=t("home.title", lang), exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_text(t("sidebar.language", lang))).to_be_visible()


def go(page, nav_key: str, title_key: str, lang: str) -> None:
    """Follow a sidebar navigation link and wait for the page's title."""
    page.locator("[data-testid=stSidebarNav]").get_by_role("link", name=t(nav_key, lang), exact=True).click()
    expect(page.get_by_role("heading", name=t(title_key, lang), exact=True)).to_be_visible(timeout=TIMEOUT_MS)


def upload(page, path: Path) -> None:
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(path))


def grid_cells(page, text: str, *, frame: int | None = None):
    """Cells of st.dataframe grids whose text is exactly ``text``.

    The grid draws on a canvas; its accessible table (cells of the rows in view) lives inside it.
    """
    frames = page.locator("[data-testid=stDataFrame]")
    scope = frames.nth(frame) if frame is not None else frames
    return scope.locator("td[role=gridcell]").filter(has_text=re.compile(rf"^\s*{re.escape(text)}\s*$"))


def screenshot(page, name: str) -> None:
    if want_screenshots():
        page.wait_for_timeout(600)  # let the grids and icons settle
        page.screenshot(path=str(DOCS / f"screenshot-{name}.png"))


# --------------------------------------------------------------------------- flows


def open_inventory(page, lang: str) -> None:
    """The overview keeps the database inventory folded below the meeting's front page: open it."""
    page.get_by_test_id("stExpander").filter(has_text=t("home.inventory", lang)).locator("summary").click()
    expect(page.get_by_test_id("stExpander").filter(has_text=t("home.inventory", lang))
           .get_by_test_id("stDataFrame")).to_be_visible(timeout=TIMEOUT_MS)


def test_upload_preview_import_then_history_and_overview(page, server, no_exceptions):
    lang = "zh"
    open_app(page, server, lang)
    open_inventory(page, lang)
    for metric in ("销售额", "新增客户"):
        expect(grid_cells(page, metric).first).to_be_attached()
    screenshot(page, "overview")

    go(page, "nav.import", "import.title", lang)
    upload(page, server.workbook_path)

    # The preview: the file read, its layout, the check against the 合计 row, the parsed rows.
    expect(page.get_by_text(t("import.read_done", lang, name=WB.name, sheets=1, ready=1))).to_be_visible()
    expect(page.get_by_text(f"{t('import.shape', lang)}: {t('shape.wide_period', lang)}")).to_be_visible()
    expect(page.get_by_text(t("recon.summary_ok", lang, n=len(WB.months)))).to_be_visible()
    expect(page.get_by_text(t("import.year_source", lang, source=t("year_source.sheet", lang)))).to_be_attached()
    heading = page.get_by_text(t("import.preview", lang, n=WB.rows))
    expect(heading).to_be_visible()
    screenshot(page, "import")
    heading.scroll_into_view_if_needed()
    for text in ("华东", "华南", WB.months[0], WB.months[-1], WB.metric):
        expect(grid_cells(page, text).first).to_be_attached()
    expect(grid_cells(page, "合计")).to_have_count(0)

    page.get_by_role("button", name=t("import.button", lang, n=1)).click()
    done = t("import.done", lang, rows=str(WB.rows), periods=f"{WB.months[0]} – {WB.months[-1]}")
    expect(page.get_by_text(done)).to_be_visible()
    expect(page.get_by_text(t("recon.summary_ok", lang, n=len(WB.months)))).to_have_count(0)

    # History: the file is listed, above the sample.
    page.get_by_role("link", name=t("import.go_history", lang)).click()
    expect(page.get_by_role("heading", name=t("history.title", lang), exact=True)).to_be_visible()
    expect(grid_cells(page, WB.name)).to_have_count(1)
    expect(grid_cells(page, SAMPLE_FILE)).to_have_count(1)
    screenshot(page, "history")

    # Overview: the new metric, with its 2 regions × 6 months.
    go(page, "nav.home", "home.title", lang)
    open_inventory(page, lang)
    expect(grid_cells(page, WB.metric)).to_have_count(1)
    cell = page.locator("td[role=gridcell]").filter(has_text=re.compile(rf"^\s*{WB.metric}\s*$"))
    row = page.locator("[data-testid=stDataFrame] tr").filter(has=cell)
    expect(row).to_contain_text(re.compile(rf"{WB.months[0]}\s*{WB.months[-1]}\s*2\s*{WB.rows}"))


def test_the_same_file_again_is_already_imported(page, server, no_exceptions):
    lang = "zh"
    open_app(page, server, lang)
    go(page, "nav.import", "import.title", lang)
    upload(page, server.workbook_path)
    expect(page.get_by_text(t("import.already", lang, id=2))).to_be_visible()
    expect(page.get_by_role("button", name=t("import.button", lang, n=1))).to_have_count(0)


def test_a_broken_file_gets_a_clear_message_and_the_app_keeps_working(page, server, no_exceptions):
    lang = "en"
    open_app(page, server, lang)
    go(page, "nav.import", "import.title", lang)
    upload(page, server.broken_path)
    error = message_text("not_a_spreadsheet", {"ext": ".xlsx"}, lang, "error")
    expect(page.get_by_text(t("import.failed", lang, error=error))).to_be_visible()
    expect(page.get_by_role("button", name=t("import.button", lang, n=1))).to_have_count(0)

    # The session survives: the other pages still work.
    go(page, "nav.home", "home.title", lang)
    open_inventory(page, lang)
    expect(grid_cells(page, "销售额").first).to_be_attached()
    go(page, "nav.history", "history.title", lang)
    expect(grid_cells(page, "bad.xlsx")).to_have_count(0)


def test_undo_an_import_through_the_confirmation_dialog(page, server, no_exceptions):
    lang = "zh"
    open_app(page, server, lang)
    go(page, "nav.history", "history.title", lang)
    expect(grid_cells(page, WB.name)).to_have_count(1)

    # The newest import is preselected; the dialog says what undoing it does.
    picker = page.get_by_role("combobox", name=t("history.undo_pick", lang))
    expect(picker).to_have_value(re.compile(rf"^#2 · {re.escape(WB.name)} · "))
    page.get_by_role("button", name=t("history.undo", lang, id=2)).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(t("history.undo_confirm", lang, file=WB.name, rows=WB.rows))
    dialog.get_by_role("button", name=t("history.undo_yes", lang)).click()

    expect(page.get_by_text(t("history.undone", lang, id=2))).to_be_visible()
    expect(dialog).to_have_count(0)
    expect(grid_cells(page, WB.name)).to_have_count(0)
    expect(grid_cells(page, SAMPLE_FILE)).to_have_count(1)

    go(page, "nav.home", "home.title", lang)
    open_inventory(page, lang)
    expect(grid_cells(page, "销售额").first).to_be_attached()
    expect(grid_cells(page, WB.metric)).to_have_count(0)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_overall_status_line_on_goals_fits_one_line_at_1366(page, server, no_exceptions, lang):
    """'● 综合预警 · 没有 KPI 未达标' broke over two lines under the score in a fifth of the page."""
    open_app(page, server, lang)
    go(page, "nav.goals", "nav.goals", lang)
    # '● 综合预警 · …' / '● overall amber · …', whatever the status the data before this test left
    heads = [t("score.beside_none", lang, dot="", status=t(f"goals.status.{s}", lang)).strip().split(" · ")[0]
             for s in ("red", "amber", "green")]
    words = re.compile("|".join(re.escape(h) + " · " for h in heads))
    line = page.get_by_test_id("stMarkdownContainer").filter(has_text=words).last
    expect(line).to_be_visible(timeout=TIMEOUT_MS)
    height = line.evaluate("e => e.querySelector('p').getBoundingClientRect().height")
    one_line = line.evaluate("e => parseFloat(getComputedStyle(e.querySelector('p')).lineHeight)")
    assert height < 1.5 * one_line, (height, one_line)


def test_database_after_the_server_stops(server, helpers):
    """What the flows above left in the file: the sample only (the upload was undone, nothing else stored)."""
    server.stop()
    imports = helpers.query(server.db_path, "SELECT id, file_name, is_sample FROM imports ORDER BY id")
    assert imports == [(1, SAMPLE_FILE, True)], imports
    assert helpers.query(server.db_path, "SELECT count(*) FROM fact_rows WHERE metric = ?", [WB.metric]) == [(0,)]
    assert helpers.query(server.db_path, "SELECT count(*) FROM fact_rows WHERE replaced_by = 2") == [(0,)]
    assert helpers.query(server.db_path, "SELECT count(*) FROM facts")[0][0] > 0


# --------------------------------------------------------------------------- a fresh server


@pytest.fixture
def fresh_server(tmp_path) -> Iterator[StreamlitServer]:
    srv = StreamlitServer(tmp_path / "fresh.duckdb", tmp_path / "streamlit.log").start()
    try:
        yield srv
    finally:
        srv.stop()


def test_first_request_on_a_subpage_gets_the_app_frame(chromium, fresh_server):
    """A link to /history opened right after the server (re)starts, e.g. shared in the meeting.

    It must show the app's navigation and sidebar, not Streamlit's legacy listing of pages/.
    """
    lang = "en"
    context = chromium.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(f"{fresh_server.url}/history?lang={lang}")
        expect(page.get_by_role("heading", name=t("history.title", lang), exact=True)).to_be_visible(
            timeout=TIMEOUT_MS
        )
        nav = page.locator("[data-testid=stSidebarNav]")
        expect(nav.get_by_role("link", name=t("nav.home", lang), exact=True)).to_be_visible(timeout=5_000)
        for legacy in ("app", "home", "import data"):
            expect(nav.get_by_role("link", name=legacy, exact=True)).to_have_count(0)
        expect(page.get_by_text(t("sidebar.language", lang))).to_be_visible()
        expect(page.get_by_text("Page not found")).to_have_count(0)
    finally:
        context.close()


def test_a_sheet_that_differs_from_its_totals_is_explained_fixed_in_one_click_and_then_matches(
        chromium, fresh_server, helpers):
    """Upload a workbook whose 合计 row leaves out an adjustment row → the preview says which row and
    why, the import is held → one click leaves the row out → import → what is stored is the sheet's totals."""
    lang = "zh"
    wb = mismatch_workbook(2026)
    path = fresh_server.db_path.parent / wb.name
    path.write_bytes(wb.data)
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        open_app(page, fresh_server, lang)
        go(page, "nav.import", "import.title", lang)
        upload(page, path)
        expect(page.get_by_text(t("why_mismatch.stored_row", lang, rows=str(wb.stray_row)))).to_be_visible()
        button = page.get_by_role("button", name=t("import.button", lang, n=1))
        expect(button).to_be_disabled()
        screenshot(page, "import-mismatch")
        page.get_by_role("button", name=t("recon.fix_skip", lang, rows=str(wb.stray_row))).click()
        expect(page.get_by_text(t("recon.summary_ok", lang, n=len(wb.totals)))).to_be_visible()
        expect(button).to_be_enabled()
        button.click()
        expect(page.get_by_text(t("import.done", lang, rows="6", periods="2026-01 – 2026-02"))).to_be_visible()
        expect(page.locator("[data-testid=stException]")).to_have_count(0)
    finally:
        context.close()
    fresh_server.stop()
    stored = helpers.query(fresh_server.db_path, "SELECT strftime(period, '%Y-%m'), sum(value) FROM fact_rows "
                                                 "WHERE import_id = (SELECT max(id) FROM imports) GROUP BY 1 ORDER BY 1")
    assert dict(stored) == wb.totals
    assert helpers.query(fresh_server.db_path, "SELECT reconciled FROM imports ORDER BY id DESC LIMIT 1") == [("match",)]
