"""Two app servers on one PostgreSQL, an editor on each, in a real browser (issue 18).

A company runs several ``python -m retro.ui`` processes behind a load balancer, all on one
PostgreSQL database. Here: the throwaway server of tests/postgres_support.py holding the bundled
sample and a 2026-10 review with one problem, two real ``python -m retro.ui`` processes on it, and one
chromium context on each — as two colleagues on two laptops reaching two servers.

1. an edit saved through server 1 shows on server 2 at its next rerun (the data version lives in the
   database, not in a process);
2. two editors change the same problem's title from the same version: the second save, on the
   other server, shows the conflict with both versions and overwrites nothing until its editor
   chooses "overwrite with mine";
3. a command-line import held inside its transaction (at its last statement) blocks neither server:
   pages open and rerun meanwhile; once it commits, both servers show it at their next rerun.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from browser_support import REPO_ROOT, VIEWPORT, StreamlitServer, wide_workbook
from playwright.sync_api import expect

from retro import reviews as R
from retro.i18n import t

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
expect.set_options(timeout=TIMEOUT_MS)
L = "zh"
TITLE = "华东销售额未达标"


@pytest.fixture(scope="module")
def two_servers(postgres_server, tmp_path_factory) -> Iterator[dict]:
    from retro.bootstrap import load_sample
    from retro.db import Database, close_all

    url = postgres_server.create_database()
    db = Database(url)
    load_sample(db)
    review = R.create_review(db, grain="month", period="2026-10", actor="张三")
    problem = R.add_item(db, "problem", {"title": TITLE, "category": "market"}, review_id=review, actor="张三")
    db.close()
    close_all()
    logs = tmp_path_factory.mktemp("two-servers")
    servers = []
    try:
        for n in (1, 2):
            servers.append(StreamlitServer(url, logs / f"server{n}.log").start(timeout=120))
        yield {"url": url, "servers": servers, "review": review, "problem": problem, "dir": logs}
    finally:
        for s in servers:
            s.stop()
        postgres_server.drop_database(url.rsplit("/", 1)[1])


def stored(url: str, problem: int) -> dict:
    from retro.db import Database

    db = Database(url)
    try:
        return R.get_item(db, "problem", problem)
    finally:
        db.close()


def settle(page) -> None:
    page.wait_for_timeout(300)
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_be_attached()


def open_review(chromium, server: StreamlitServer, review: int, name: str):
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{server.url}/?lang={L}")  # the root first: a sub-URL as the very first request
    expect(page.get_by_role("heading", name=t("home.title", L), exact=True)).to_be_visible()
    page.goto(f"{server.url}/review?lang={L}&review={review}")
    expect(problems_grid(page)).to_be_visible()
    settle(page)
    sign(page, name)
    return context, page


def sign(page, name: str) -> None:
    """Type the editor's name (what the change log records): also a plain rerun of the page."""
    box = page.get_by_role("textbox", name=t("review.ui.actor", L), exact=True)
    box.fill(name)
    box.press("Enter")
    settle(page)


def problems_grid(page):
    return page.get_by_test_id("stMain").get_by_test_id("stDataFrame").first


def grid_text(page) -> str:
    return " ".join(problems_grid(page).locator("td[role=gridcell]").all_inner_texts())


def edit_title(page, text: str) -> None:
    """Double-click the first problem's title cell (the grid is a canvas: its top-left column), type, save."""
    box = problems_grid(page).bounding_box()
    page.mouse.dblclick(box["x"] + 60, box["y"] + 36 + 17)  # header row 35 px, then the first row
    field = page.locator("textarea.gdg-input")
    expect(field).to_be_visible()
    field.fill(text)
    field.press("Enter")
    page.wait_for_timeout(300)
    page.get_by_test_id("stMain").get_by_role("button", name=t("review.ui.save", L), exact=True).first.click()
    settle(page)


def test_an_edit_through_one_server_shows_on_the_other_at_its_next_rerun(chromium, two_servers):
    s1, s2 = two_servers["servers"]
    ca, a = open_review(chromium, s1, two_servers["review"], "王五")
    cb, b = open_review(chromium, s2, two_servers["review"], "赵六")
    try:
        before = stored(two_servers["url"], two_servers["problem"])["title"]
        assert before in grid_text(b)
        edit_title(a, "华东销售额低于计划8%")
        expect(a.get_by_text(t("review.ui.saved", L), exact=True)).to_be_visible()
        assert stored(two_servers["url"], two_servers["problem"])["title"] == "华东销售额低于计划8%"
        assert "华东销售额低于计划8%" not in grid_text(b)  # nothing pushed: B has not rerun yet
        sign(b, "赵六 ")  # B's next rerun, on the other process
        expect(problems_grid(b).locator("td[role=gridcell]").filter(has_text="华东销售额低于计划8%")).to_have_count(1)
    finally:
        ca.close()
        cb.close()


def test_a_conflicting_save_on_the_other_server_shows_both_versions_and_overwrites_nothing(chromium, two_servers):
    s1, s2 = two_servers["servers"]
    ca, a = open_review(chromium, s1, two_servers["review"], "王五")
    cb, b = open_review(chromium, s2, two_servers["review"], "赵六")  # both drawn from the same version
    try:
        edit_title(a, "华东线上转化率下降")
        expect(a.get_by_text(t("review.ui.saved", L), exact=True)).to_be_visible()

        edit_title(b, "华东门店客流下降")  # from the version before A's save
        warning = b.get_by_test_id("stAlert").filter(has_text="王五")
        expect(warning).to_be_visible()
        side = b.get_by_test_id("stMain").get_by_test_id("stDataFrame").filter(
            has=b.locator("th").filter(has_text=t("review.ui.conflict.theirs", L)))
        expect(side).to_have_count(1)  # theirs beside mine, field by field
        expect(side.locator("th").filter(has_text=t("review.ui.conflict.mine", L))).to_have_count(1)
        expect(side.locator("td[role=gridcell]").filter(has_text="华东线上转化率下降")).to_have_count(1)
        expect(side.locator("td[role=gridcell]").filter(has_text="华东门店客流下降")).to_have_count(1)
        item = stored(two_servers["url"], two_servers["problem"])
        assert (item["title"], item["actor"]) == ("华东线上转化率下降", "王五")  # theirs kept

        b.get_by_role("button", name=t("review.ui.conflict.overwrite", L), exact=True).click()
        settle(b)
        item = stored(two_servers["url"], two_servers["problem"])
        assert (item["title"], item["actor"]) == ("华东门店客流下降", "赵六")
        sign(a, "王五 ")
        expect(problems_grid(a).locator("td[role=gridcell]").filter(has_text="华东门店客流下降")).to_have_count(1)
    finally:
        ca.close()
        cb.close()


def _waiting_on_a_lock(url: str) -> bool:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        return bool(con.execute(
            """SELECT count(*) FROM pg_stat_activity
               WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%settings%'"""
        ).fetchone()[0])


def test_an_import_inside_its_transaction_blocks_neither_server(chromium, two_servers):
    import psycopg

    url = two_servers["url"]
    s1, s2 = two_servers["servers"]
    wb = wide_workbook("华东华南线上销售.xlsx", metric="线上销售")
    path = wb.write(two_servers["dir"])
    ca, a = open_review(chromium, s1, two_servers["review"], "王五")
    cb, b = open_review(chromium, s2, two_servers["review"], "赵六")
    # Hold the data-version row: the import writes every row, then waits at its last statement
    # (bump_version) with its transaction open — the longest an import holds its locks.
    holder = psycopg.connect(url)
    holder.execute("SELECT value FROM settings WHERE key = 'data_version' FOR UPDATE")
    cli = subprocess.Popen([sys.executable, "-m", "retro", "import", str(path), "--db", url, "--json"],
                           cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not _waiting_on_a_lock(url):
            assert cli.poll() is None, cli.communicate()
            assert time.monotonic() < deadline, "the import never reached its last statement"
            time.sleep(0.2)
        # Meanwhile, on both servers: pages open and rerun, the numbers are the ones before the import.
        for page, server in ((a, s1), (b, s2)):
            page.goto(f"{server.url}/trends?lang={L}")
            expect(page.get_by_role("heading", name=t("nav.trends", L), exact=True)).to_be_visible()
            settle(page)
            page.goto(f"{server.url}/history?lang={L}")
            expect(page.get_by_role("heading", name=t("history.title", L), exact=True)).to_be_visible()
            settle(page)
            expect(page.locator("td[role=gridcell]").filter(has_text=wb.name)).to_have_count(0)
        assert cli.poll() is None and _waiting_on_a_lock(url)  # still inside its transaction all along
        holder.rollback()
        out, err = cli.communicate(timeout=120)
        assert cli.returncode == 0, err.decode()
        assert urlparse(url).password not in (out + err).decode()
        for page in (a, b):
            page.reload()
            expect(page.get_by_role("heading", name=t("history.title", L), exact=True)).to_be_visible()
            expect(page.locator("td[role=gridcell]").filter(has_text=wb.name)).to_have_count(1)
    finally:
        holder.close()
        if cli.poll() is None:
            cli.kill()
        ca.close()
        cb.close()
