"""Forms that behave, in a real browser (issue 17, "Forms and state that behave").

A saved form starts empty and a form whose save failed keeps what was typed. Only a browser shows
the difference: Streamlit's frontend keeps a widget's typed value when the server merely forgets
the widget's key, and sends it back with the next interaction — AppTest takes the server's value
and never sees it. So: a real ``python -m retro.ui`` server on a copy of the sample with a
2026-10 review, and chromium typing into the review workspace as a user does.

1. a problem with a two-level 5-Whys chain and a fishbone cause is saved; the new-problem form is
   empty again (title, both whys and becauses, the fishbone), and a second problem saved with only
   a title stores no causes of the first;
2. a problem without a title is refused: the error is shown and every cause typed is still there;
3. a lesson is recorded; its form is empty again (title, text, tags, kind back to success);
4. a strategy task is saved; its form is empty again.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import VIEWPORT, StreamlitServer
from conftest import fresh_db
from playwright.sync_api import expect

from retro import reviews as R
from retro.i18n import t

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
expect.set_options(timeout=TIMEOUT_MS)
L = "zh"
WHYS = [("为什么华东销售额低？", "线上转化率下降"), ("为什么转化率下降？", "落地页加载慢")]
FISHBONE_MAN = "新人培训不足"


@pytest.fixture
def review_server(sample_file, tmp_path) -> Iterator[tuple[StreamlitServer, int, Path]]:
    from retro.db import close_all

    path = tmp_path / "retro.duckdb"
    close_all()
    shutil.copy(sample_file, path)
    db = fresh_db(path)
    review_id = R.create_review(db, grain="month", period="2026-10", actor="张三")
    close_all()
    srv = StreamlitServer(path, tmp_path / "streamlit.log").start(timeout=120)
    try:
        yield srv, review_id, path
    finally:
        srv.stop()


def settle(page) -> None:
    page.wait_for_timeout(300)
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_be_attached()


def type_in(field, text: str) -> None:
    field.fill(text)
    field.press("Control+Enter" if field.evaluate("e => e.tagName") == "TEXTAREA" else "Enter")
    settle(field.page)


def box(page, title_key: str):
    """The expander titled ``title_key``, opened."""
    found = page.get_by_test_id("stMain").get_by_test_id("stExpander").filter(
        has=page.locator("summary", has_text=t(title_key, L))).first
    opened(found)
    return found


def opened(expander) -> None:
    """Open ``expander`` unless its content is showing already. A rerun that was still arriving
    (the save's, then the one it asked for) may close it again: look twice."""
    content = expander.get_by_test_id("stExpanderDetails").first
    for _ in range(3):
        if not content.is_visible():
            expander.locator("summary").first.click()
            expect(content).to_be_visible()
        settle(expander.page)
        expander.page.wait_for_timeout(500)
        if content.is_visible():
            return
    raise AssertionError("the expander does not stay open")


def textbox(scope, label: str, nth: int = 0):
    return scope.get_by_role("textbox", name=label, exact=True).nth(nth)


def test_saved_forms_start_empty_and_a_refused_one_keeps_what_was_typed(chromium, review_server):
    server, review_id, path = review_server
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    main = page.get_by_test_id("stMain")
    try:
        page.goto(f"{server.url}/?lang={L}")
        expect(page.get_by_role("heading", name=t("home.title", L), exact=True)).to_be_visible()
        page.goto(f"{server.url}/review?lang={L}&review={review_id}")
        settle(page)

        # 1. A problem with two whys and a fishbone cause.
        form = box(page, "review.ui.problem.new")
        type_in(textbox(form, t("review.field.title", L)), "华东销售额未达标")
        for i, (why, because) in enumerate(WHYS):
            if i:
                form.get_by_role("button", name=t("review.ui.why_add", L)).click()
                settle(page)
            type_in(textbox(form, t("review.ui.why", L, n=i + 1)), why)
            type_in(textbox(form, t("review.ui.because", L), i), because)
        fishbone = form.get_by_test_id("stExpander").filter(has=page.locator("summary", has_text=t("review.ui.fishbone", L)))
        opened(fishbone)
        type_in(textbox(fishbone, t("review.ui.fishbone.man", L)), FISHBONE_MAN)
        form.get_by_role("button", name=t("review.ui.save", L)).click()
        expect(main.get_by_text(t("review.ui.problem.saved", L, title="华东销售额未达标"))).to_be_visible()
        settle(page)

        form = box(page, "review.ui.problem.new")
        expect(textbox(form, t("review.field.title", L))).to_have_value("")
        expect(textbox(form, t("review.ui.why", L, n=1))).to_have_value("")
        expect(textbox(form, t("review.ui.because", L))).to_have_value("")
        form.get_by_role("button", name=t("review.ui.why_add", L)).click()
        settle(page)
        expect(textbox(form, t("review.ui.why", L, n=2))).to_have_value("")
        expect(textbox(form, t("review.ui.because", L), 1)).to_have_value("")
        fishbone = form.get_by_test_id("stExpander").filter(has=page.locator("summary", has_text=t("review.ui.fishbone", L)))
        opened(fishbone)
        expect(textbox(fishbone, t("review.ui.fishbone.man", L))).to_have_value("")

        # ... and the next problem, given only a title, inherits no cause of the first.
        type_in(textbox(form, t("review.field.title", L)), "华南客单价下降")
        form.get_by_role("button", name=t("review.ui.save", L)).click()
        expect(main.get_by_text(t("review.ui.problem.saved", L, title="华南客单价下降"))).to_be_visible()
        settle(page)

        # 2. Refused (no title): the message, and every cause typed is still in the form.
        form = box(page, "review.ui.problem.new")
        type_in(textbox(form, t("review.ui.why", L, n=1)), WHYS[0][0])
        type_in(textbox(form, t("review.ui.because", L)), WHYS[0][1])
        form.get_by_role("button", name=t("review.ui.save", L)).click()
        expect(main.get_by_text(t("review.ui.errors", L))).to_be_visible()
        settle(page)
        expect(textbox(form, t("review.ui.why", L, n=1))).to_have_value(WHYS[0][0])
        expect(textbox(form, t("review.ui.because", L))).to_have_value(WHYS[0][1])

        # 3. A lesson: recorded, then its form is empty again.
        main.get_by_role("tab", name=t("review.ui.tab.lessons", L)).click()
        settle(page)
        form = box(page, "review.ui.lesson.new")
        form.get_by_role("radio", name=t("review.ui.lkind.lesson", L)).click()
        textbox(form, t("review.field.title", L)).fill("发布前没有性能检查")
        textbox(form, t("review.field.text", L)).fill("落地页改版前先压测，超过 2 秒不上线。")
        textbox(form, t("review.field.tags", L)).fill("转化率 发布")
        form.get_by_role("button", name=t("review.ui.save", L)).click()
        expect(main.get_by_text(t("review.ui.lesson.saved", L, title="发布前没有性能检查"))).to_be_visible()
        settle(page)
        form = box(page, "review.ui.lesson.new")
        for label in ("review.field.title", "review.field.text", "review.field.tags"):
            expect(textbox(form, t(label, L))).to_have_value("")
        for label in ("review.ui.lesson.link_problem", "review.ui.lesson.link_measure"):
            expect(form.get_by_role("combobox", name=t(label, L), exact=True)).to_have_value("—")
        expect(form.get_by_role("radio", name=t("review.ui.lkind.success", L))).to_be_checked()

        # 4. A strategy task: saved, then its form is empty again.
        main.get_by_role("tab", name=t("review.ui.tab.tasks", L)).click()
        settle(page)
        form = box(page, "review.ui.task.new")
        textbox(form, t("review.field.goal", L)).fill("提升线上转化")
        textbox(form, t("review.field.task", L)).fill("落地页性能优化")
        textbox(form, t("review.field.owner", L)).fill("李四")
        form.get_by_role("button", name=t("review.ui.save", L)).click()
        expect(main.get_by_text(t("review.ui.task.saved", L, title="落地页性能优化"))).to_be_visible()
        settle(page)
        form = box(page, "review.ui.task.new")
        for label in ("review.field.goal", "review.field.task", "review.field.owner"):
            expect(textbox(form, t(label, L))).to_have_value("")
        expect(page.locator("[data-testid=stException]")).to_have_count(0)
    finally:
        context.close()

    server.stop()
    db = fresh_db(path)
    first, second = sorted(R.items(db, "problem", review_id), key=lambda p: p["id"])
    assert [(w["why"], w["because"]) for w in first["whys"]] == WHYS
    assert first["fishbone"] == [{"branch": "man", "cause": FISHBONE_MAN}]
    assert (second["title"], second["whys"], second["fishbone"]) == ("华南客单价下降", [], [])
    (lesson,) = R.items(db, "lesson", review_id)
    assert (lesson["kind"], lesson["title"], lesson["tags"]) == ("lesson", "发布前没有性能检查", "转化率, 发布")
    (task,) = R.items(db, "task", review_id)
    assert (task["goal"], task["task"], task["owner"]) == ("提升线上转化", "落地页性能优化", "李四")
