"""Defaults that follow the data (issue 16.4): what a session opens on, and the team's view.

retro-level: real DuckDB files holding the bundled sample, then workbooks built here with openpyxl
(and a CSV of orders) imported through retro.ingest, as the import page does. AppTest: sessions
driven from app.py on the same database file, as colleagues opening the same link.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from conftest import fresh_db

from retro import defaults as D
from retro import reviews as R
from retro.access import VIEWER, ReadOnly, set_role
from retro.i18n import t

APP = Path(__file__).resolve().parent.parent / "app.py"
TIMEOUT = 90
MAIN, SECOND = "新签合同额", "续约率"


@pytest.fixture
def db_file(sample_db_file) -> Path:  # the conftest fixture, holding the sample
    return sample_db_file


def workbook(months: range, *, partial: int | None = None) -> bytes:
    """A KPI sheet for 2026 by month and region: 新签合同额 in every region, 续约率 in two of three
    (so 新签合同额 has more values). ``partial``: a month holding 新签合同额 only, being filled in."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "合同"
    ws.append(["月份", "区域", "新签合同额(万元)", "续约率"])
    for m in [*months, *([partial] if partial else [])]:
        for i, region in enumerate(("华东", "华南", "华北")):
            rate = None if region == "华北" or m == partial else 0.8 + m / 100
            ws.append([f"2026-{m:02d}", region, 100.0 + m * 10 + i, rate])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def store(db, data: bytes, name: str) -> int:
    from retro.ingest import analyze_bytes, store_import

    result = store_import(db, analyze_bytes(db, data, name), actor="测试")
    assert result.status == "imported", result
    return result.import_id


# --------------------------------------------------------------------------- the default choice


def test_the_sample_alone_opens_as_before_on_its_newest_month_and_sales(db_file):
    db = fresh_db(db_file)
    assert D.default_period(db) == "2026-10"
    assert D.default_metric(db) == "销售额"


def test_a_new_workbook_for_january_to_june_opens_on_june_and_its_own_metric(db_file):
    db = fresh_db(db_file)
    imported = store(db, workbook(range(1, 7)), "合同_2026H1.xlsx")
    assert D.latest_import(db) == imported
    assert D.default_period(db) == "2026-06"  # not the sample's 2026-10
    assert D.default_metric(db) == MAIN  # the metric with the most values in that import

    from retro.ingest import undo_import

    undo_import(db, imported)  # its predecessor is the latest import again
    assert (D.default_period(db), D.default_metric(db)) == ("2026-10", "销售额")


def test_a_month_still_being_filled_in_or_not_over_is_not_complete(db_file):
    db = fresh_db(db_file)
    imported = store(db, workbook(range(1, 7), partial=7), "合同_2026-07.xlsx")
    # July holds one of the two metrics: still being filled in.
    assert D.complete_period(db, imported, dt.date(2026, 12, 3)) == "2026-06"
    # On 20 June, June has not ended: its figures are month-to-date.
    june = store(db, workbook(range(1, 7)), "合同_2026H1.xlsx")
    assert D.complete_period(db, june, dt.date(2026, 6, 20)) == "2026-05"
    assert D.complete_period(db, june, dt.date(2026, 7, 1)) == "2026-06"


def test_an_order_export_run_mid_month_opens_on_the_month_before(db_file):
    db = fresh_db(db_file)
    days = [(4, 3), (4, 28), (5, 2), (5, 30), (6, 1), (6, 20)]
    csv = "订单号,下单日期,客户ID,金额\n" + "\n".join(
        f"A{i},2026-{m:02d}-{d:02d},C{i % 4},{100 + i}" for i, (m, d) in enumerate(days))
    store(db, csv.encode("utf-8"), "orders_2026-06-20.csv")
    assert D.default_period(db) == "2026-05"  # the export reaches 20 June only
    assert D.default_metric(db) == "金额"  # its measure


# --------------------------------------------------------------------------- the team's view


def opening(db, periods: list[str]) -> D.Opening:
    """What a session shows, as retro.ui asks it."""
    month = D.default_period(db)
    return D.resolve(D.team_view(db), D.latest_import(db), periods, R.reviews(db), month or periods[0],
                     latest_has_month=month in periods)


def test_the_team_view_is_kept_in_the_database_and_a_newer_import_moves_a_period_without_a_review(db_file):
    db = fresh_db(db_file)
    periods = ["2026-10", "2026-09", "2026-08", "2026-06"]
    shared = D.share_view(db, period="2026-08", review_id=None, actor="张三")
    assert shared.revision == 1

    db = fresh_db(db_file)  # another process's first look
    view = D.team_view(db)
    assert (view.period, view.review_id, view.actor) == ("2026-08", None, "张三")
    before = opening(db, periods)
    assert before.period == "2026-08"

    store(db, workbook(range(1, 7)), "合同_2026H1.xlsx")
    after = opening(db, periods)
    assert after.period == "2026-06"  # the new data's month
    assert after.token != before.token  # open sessions follow

    # With a review active, the meeting's period holds whatever is imported meanwhile.
    review = R.create_review(db, grain="month", period="2026-08", actor="张三")
    D.share_view(db, period="2026-08", review_id=review, actor="张三")
    store(db, workbook(range(1, 8)), "合同_2026-07.xlsx")
    held = opening(db, [*periods, "2026-07"])
    assert (held.period, held.review_id) == ("2026-08", review)


def test_a_viewer_cannot_change_the_team_view(db_file):
    db = fresh_db(db_file)
    set_role(VIEWER)
    try:
        with pytest.raises(ReadOnly):
            D.share_view(db, period="2026-03", review_id=None)
    finally:
        set_role("editor")
    assert D.team_view(fresh_db(db_file)) is None


def test_no_view_yet_the_review_in_meeting_is_the_meetings(db_file):
    db = fresh_db(db_file)
    R.create_review(db, grain="month", period="2026-09", actor="张三")
    meeting = R.create_review(db, grain="month", period="2026-10", actor="张三")
    found = R.get_review(db, meeting)
    R.update_review(db, meeting, {"status": "in_meeting"}, version=found.version, actor="张三")
    assert opening(db, ["2026-10", "2026-09"]).review_id == meeting


# --------------------------------------------------------------------------- sessions on the same database


def session(lang: str = "zh", **params: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert_clean(at)
    return at


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def picker(at, name: str):
    found = [s for s in at.sidebar.selectbox if s.key.startswith(name)]
    assert found, [s.key for s in at.sidebar.selectbox]
    return found[0]


@pytest.mark.usefixtures("navigation_only")
def test_a_fresh_session_opens_on_the_review_and_period_another_one_picked(db_file):
    review = R.create_review(fresh_db(db_file), grain="month", period="2026-08", actor="张三")
    lead = session()
    assert picker(lead, "_period_choice").value == "2026-10"
    picker(lead, "_review_choice").set_value(review).run()
    assert_clean(lead)
    assert picker(lead, "_period_choice").value == "2026-08"  # the review's month

    colleague = session()  # a fresh session: the meeting's review and period, not the newest month
    assert picker(colleague, "_review_choice").value == review
    assert picker(colleague, "_period_choice").value == "2026-08"
    assert colleague.session_state["period"] == "2026-08"

    picker(lead, "_period_choice").set_value("2026-05").run()
    assert_clean(lead)
    colleague.run()  # their next click
    assert_clean(colleague)
    assert picker(colleague, "_period_choice").value == "2026-05"
    assert t("sidebar.followed_team", "zh", period="2026-05") in [x.value for x in colleague.toast]

    linked = session(period="2026-02")  # a link's ?period= wins, for that session only
    assert picker(linked, "_period_choice").value == "2026-02"
    assert picker(linked, "_review_choice").value == review
    late = session()
    assert picker(late, "_period_choice").value == "2026-05"


@pytest.mark.usefixtures("navigation_only")
def test_after_importing_january_to_june_every_page_opens_on_june(db_file):
    before = session()
    assert picker(before, "_period_choice").value == "2026-10"
    store(fresh_db(db_file), workbook(range(1, 7)), "合同_2026H1.xlsx")

    at = session()
    assert picker(at, "_period_choice").value == "2026-06"
    at.switch_page("pages/trends.py").run()
    assert_clean(at)
    metric = [s for s in at.main.selectbox if s.label == t("trends.metric", "zh")][0]
    assert metric.value == MAIN
    assert f"{MAIN} ★" in [m.label for m in at.main.metric]
    assert not [i for i in at.info if "没有数据" in str(i.value)]

    before.run()  # the session open before the import follows the new data on its next rerun
    assert_clean(before)
    assert picker(before, "_period_choice").value == "2026-06"
