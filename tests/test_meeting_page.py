"""Meeting mode (pages/meeting.py) through AppTest, driven from app.py, on the bundled sample.

One meeting from start to close: start the review for the active period, walk the agenda, log a
problem from a red KPI with a 5-Whys chain, see a measure with its check, write the summary from
the draft, close the review and open the next one with the open items carried over.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import fresh_db  # noqa: E402 - shared AppTest helpers

from retro import reviews as R
from retro.i18n import t

pytestmark = pytest.mark.usefixtures("navigation_only")

APP = Path(__file__).resolve().parent.parent / "app.py"
TIMEOUT = 120


def open_meeting(lang: str = "zh", period: str = "2026-08"):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    at.query_params["period"] = period
    at.run()  # the first start imports the sample
    at.switch_page("pages/meeting.py").run()
    assert_clean(at)
    return at


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def button(at, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, (label, [b.label for b in at.button])
    return found[0]


def step(at, name: str):
    at.button_group(key="meeting_step").set_value(name).run()
    assert_clean(at)
    return at


def markdown(at) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def test_a_whole_meeting_in_chinese(db_file: Path):
    at = open_meeting("zh", "2026-08")
    assert t("meeting.no_review", "zh") in [i.value for i in at.info]
    button(at, t("meeting.start_for", "zh", period="2026-08")).click().run()
    assert_clean(at)
    assert at.title[0].value == "2026年8月运营复盘"
    button(at, t("meeting.start", "zh")).click().run()
    assert t("meeting.status.in_meeting", "zh") in markdown(at)

    # 1. data: the month's cards with MoM.
    assert at.metric and any(m.label == "销售额" for m in at.metric)

    # 3. problems: 华东 销售额 is red in 2026-08 (154.10 of 203 万元): log it with one click.
    step(at, "problems")
    assert at.selectbox(key="meeting_by").value == "区域"
    log = [b for b in at.button if b.label == t("meeting.log_problem", "zh")]
    assert log, "no red KPI offered"
    db = fresh_db(db_file)
    review = R.review_for_period(db, "2026-08")
    east = next(b for b in log if "华东" in markdown(at))
    east.click().run()
    assert_clean(at)
    problems = R.items(db, "problem", review.id)
    assert len(problems) == 1 and problems[0]["source"] == "goals" and problems[0]["period"] == dt.date(2026, 8, 1)
    problem = problems[0]
    # The logged KPI offers no second button; its problem opens, ready for the causes.
    assert len([b for b in at.button if b.label == t("meeting.log_problem", "zh")]) == len(log) - 1
    k = f"meeting_p{problem['id']}__"
    at.text_input(key=f"{k}why_0").input("为什么华东销售额只完成 76%？")
    at.text_input(key=f"{k}because_0").input("新客获取不足，线上投放预算被削减")
    at.run()
    button(at, t("review.ui.save", "zh")).click().run()
    assert_clean(at)
    stored = R.get_item(db, "problem", problem["id"])
    assert stored["whys"] == [{"why": "为什么华东销售额只完成 76%？", "because": "新客获取不足，线上投放预算被削减"}]

    # 4. measures: one tied to the metric, checked against the data once its month is in.
    mid = R.add_item(db, "measure", {"problem_id": problem["id"], "title": "恢复华东线上投放", "owner": "李四",
                                     "due": dt.date.today() + dt.timedelta(days=20), "crit_metric": problem["metric"],
                                     "crit_op": ">=", "crit_value": 1.0, "crit_basis": "plan",
                                     "crit_period": dt.date(2026, 9, 1), "crit_segment": problem["segment"]},
                     review_id=review.id, actor="test")
    step(at, "measures")
    frames = [d.value for d in at.dataframe] + [e.value for e in at.data_editor]
    assert any("恢复华东线上投放" in frame.to_string() for frame in frames)

    # 7. summary: the draft names the problem and the measure; saved, then the review is closed.
    step(at, "summary")
    draft = at.text_area[0].value
    assert problem["title"] in draft and "恢复华东线上投放" in draft
    at.text_area[0].input(draft + "\n下月重点：华东新客。").run()
    button(at, t("meeting.close", "zh")).click().run()
    assert_clean(at)
    closed = R.get_review(db, review.id)
    assert closed.closed and closed.summary.endswith("下月重点：华东新客。")

    # The next review: opened from here, active, with the problem and the measure carried over.
    button(at, t("meeting.open_next", "zh")).click().run()
    assert_clean(at)
    assert at.title[0].value == "2026年9月运营复盘"
    nxt = R.review_for_period(db, "2026-09")
    assert [m["id"] for m in R.items(db, "measure", nxt.id)] == [mid]
    assert R.items(db, "measure", nxt.id)[0]["carried"]
    step(at, "measures")
    frames = [d.value for d in at.dataframe] + [e.value for e in at.data_editor]
    shown = "\n".join(frame.to_string() for frame in frames)
    check = R.verify(db, R.get_item(db, "measure", mid))
    assert check.state in ("met", "not_met")  # the sample holds September: the loop closes
    assert t(f"review.verify.{check.state}", "zh") in shown


def test_every_step_renders_in_english_for_a_viewer(db_file: Path, monkeypatch):
    at = open_meeting("en", "2026-10")
    button(at, t("meeting.start_for", "en", period="2026-10")).click().run()
    for name in R.AGENDA:
        step(at, name)
        assert at.header[0].value == t(f"meeting.step.{name}", "en")
    assert "Main changes:" in at.text_area[0].value
    # A viewer: the same steps, nothing to press that writes.
    monkeypatch.setenv("RETRO_EDITOR_PASSCODE", "ed-1234")
    monkeypatch.setenv("RETRO_VIEWER_PASSCODE", "view-5678")
    from streamlit.testing.v1 import AppTest

    review = R.review_for_period(fresh_db(db_file), "2026-10")
    viewer = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    viewer.query_params["lang"] = "en"
    viewer.query_params["review"] = str(review.id)  # a shared link to the review
    viewer.run()
    viewer.text_input[0].set_value("view-5678")
    viewer.button[0].click()
    viewer.run()
    viewer.switch_page("pages/meeting.py").run()
    assert_clean(viewer)
    for name in ("problems", "summary"):
        step(viewer, name)
        labels = {b.label for b in viewer.button}
        assert t("meeting.log_problem", "en") not in labels and t("meeting.close", "en") not in labels
    assert viewer.text_area[0].disabled


def test_a_kpi_beyond_plan_is_kept_as_a_success_and_a_measure_starts_from_its_problems_kpi(db_file: Path):
    at = open_meeting("zh", "2026-08")
    button(at, t("meeting.start_for", "zh", period="2026-08")).click().run()
    db = fresh_db(db_file)
    review = R.review_for_period(db, "2026-08")
    step(at, "problems")
    # 西南 新增客户 is at 123% of plan in 2026-08: a success to keep, not a problem to log.
    success = [b for b in at.button if b.label == t("meeting.log_success", "zh")]
    problems = [b for b in at.button if b.label == t("meeting.log_problem", "zh")]
    assert len(success) == 1 and problems
    success[0].click().run()
    assert_clean(at)
    (lesson,) = R.items(db, "lesson", review.id)
    assert lesson["kind"] == "success" and "新增客户 · 西南" in lesson["title"] and "123" in lesson["title"]
    assert "2026-08" in lesson["text"] and "达成率" in lesson["text"]
    assert not [b for b in at.button if b.label == t("meeting.log_success", "zh")]
    assert t("meeting.success_logged", "zh") in [str(c.value) for c in at.caption]
    assert len([b for b in at.button if b.label == t("meeting.log_problem", "zh")]) == len(problems)

    # A red KPI logged as a problem: its measure's criterion starts as "back to plan" on that KPI.
    problems[-1].click().run()  # the last flagged rows are the segments'
    (problem,) = R.items(db, "problem", review.id)
    assert problem["segment"]
    step(at, "measures")
    k = "meeting_new_measure__"
    assert at.selectbox(key="meeting_measure_problem").value == problem["id"]
    at.toggle(key=k + "crit").set_value(True).run()
    assert_clean(at)
    dim, value = next(iter(R.segment_dims(problem["segment"]).items()))
    assert (at.selectbox(key=k + "crit_metric").value, at.selectbox(key=k + "crit_op").value,
            at.selectbox(key=k + "crit_basis").value, at.number_input(key=k + "crit_value").value,
            at.selectbox(key=k + "crit_dim").value, at.selectbox(key=k + "crit_dimval").value) == (
        problem["metric"], ">=", "plan", 100, dim, value)
    # Free-standing: the page's picker says so, and the form draws no second one.
    at.toggle(key=k + "crit").set_value(False).run()
    at.selectbox(key="meeting_measure_problem").set_value(None).run()
    assert_clean(at)
    assert not [s for s in at.selectbox if s.key == k + "problem"]


def test_a_region_that_did_not_report_is_said_and_never_a_false_red(db_file: Path, files: Path, run_import):
    """西南's June actual is an Excel error cell (fixtures_build.build_region_error_cell): meeting
    mode scores June on the three regions that reported (336 of 360: amber, not a red 70%), says
    "3 of 4 regions reported", and compares June with May on those three (+12%, not −16%)."""
    import fixtures_build as fb

    path, _ = fb.build_region_error_cell(files)
    rc, result = run_import(path, db=db_file)
    assert rc == 0 and result["status"] == "imported", result
    said = "3 of 4 区域 reported (西南 missing)"
    at = open_meeting("en", "2026-06")
    button(at, t("meeting.start_for", "en", period="2026-06")).click().run()
    assert_clean(at)

    # 1. data: the card's MoM on the regions both months hold, and what is missing beside it.
    revenue = next(m for m in at.metric if m.label == "Revenue")
    assert revenue.delta == "+12.0%"
    assert any(said in c.value for c in at.caption), [c.value for c in at.caption]

    # 2. goal attainment: no red, 93.3% on what reported, and the words.
    step(at, "goals")
    counts = {m.label: m.value for m in at.metric}
    assert counts[t("meeting.red", "en")] == "0" and counts[t("meeting.amber", "en")] == "1"
    assert counts[t("meeting.overall", "en")] == "93.3%"
    shown = at.dataframe[0].value
    assert list(shown[t("meeting.col.attainment", "en")]) == ["93.3%"]
    assert list(shown[t("meeting.col.plan", "en")]) != list(shown[t("meeting.col.actual", "en")])
    assert any(said in i.value for i in at.info), [i.value for i in at.info]

    # 3. problems: nothing off beyond its threshold, so nothing to log.
    step(at, "problems")
    assert t("meeting.no_red", "en", period="2026-06") in [c.value for c in at.caption]

    # 7. summary: the draft says it too.
    step(at, "summary")
    assert said in at.text_area[0].value


def test_a_success_kept_in_one_language_is_kept_in_the_other_and_on_the_goals_page(db_file: Path):
    """Whether a KPI beyond plan was kept as a success is its KPI and period, not its title's words:
    kept in Chinese, meeting mode in English and the goals page show it kept, and offer neither
    another success nor a problem for it."""
    at = open_meeting("zh", "2026-08")
    button(at, t("meeting.start_for", "zh", period="2026-08")).click().run()
    step(at, "problems")
    button(at, t("meeting.log_success", "zh")).click().run()  # 西南 新增客户, 123% of plan
    assert_clean(at)
    db = fresh_db(db_file)
    (lesson,) = R.items(db, "lesson", R.review_for_period(db, "2026-08").id)
    assert (lesson["metric"], lesson["segment"], lesson["period"], lesson["grain"]) == (
        "新增客户", "区域=西南", dt.date(2026, 8, 1), "month")

    english = open_meeting("en", "2026-08")
    step(english, "problems")
    assert not [b for b in english.button if b.label == t("meeting.log_success", "en")]
    assert t("meeting.success_logged", "en") in [str(c.value) for c in english.caption]

    from streamlit.testing.v1 import AppTest

    goals = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    goals.query_params.update({"lang": "en", "period": "2026-08", "by": "区域"})
    goals.run()
    goals.switch_page("pages/goals.py").run()
    assert_clean(goals)
    keys = [b.key for b in goals.main.button]
    assert not [k for k in keys if k and k.endswith("_新增客户_西南")], keys  # neither a problem nor a second success
    assert t("meeting.success_logged", "en") in [str(c.value) for c in goals.main.caption]
    assert len(R.items(fresh_db(db_file), "lesson")) == 1
