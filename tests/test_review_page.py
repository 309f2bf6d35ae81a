"""The review workspace (pages/review.py, retro/ui/review.py) through AppTest driven from app.py.

One database with the bundled sample is built per module and copied for each test (the import is
the slow part); reviews and items are then set up through retro.reviews, as another session or the
meeting page would, and the page is driven as a user does. Expected texts come from the catalog and
from retro.reviews on the same database, never from the page itself.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from conftest import fresh_db  # noqa: E402 - shared AppTest helpers

from retro import reviews as R
from retro.i18n import t

pytestmark = pytest.mark.usefixtures("navigation_only")

APP = Path(__file__).resolve().parent.parent / "app.py"
TIMEOUT = 120
TODAY = dt.date.today()
LATER = TODAY + dt.timedelta(days=30)


@pytest.fixture
def db_file(sample_db_file) -> Path:  # the conftest fixture, holding the sample
    return sample_db_file


def open_page(lang: str = "zh", review: int | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    if review is not None:
        at.query_params["review"] = str(review)
    at.switch_page("pages/review.py")
    at.run()
    assert_clean(at)
    return at


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def widget(at, kind: str, key: str):
    found = [w for w in getattr(at.main, kind) if w.key == key]
    assert found, (key, [w.key for w in getattr(at.main, kind)])
    return found[0]


def click(at, key: str):
    widget(at, "button", key).click()
    at.run()
    assert_clean(at)
    return at


def editor(at, column: str):
    found = [e for e in at.main.data_editor if column in e.value.columns]
    assert len(found) >= 1, [list(e.value.columns) for e in at.main.data_editor]
    return found[0]


def seed(db_file: Path, *, measure: bool = False, period: str = "2026-10") -> dict[str, int]:
    db = fresh_db(db_file)
    ids = {"review": R.create_review(db, grain="month", period=period, actor="张三")}
    ids["problem"] = R.add_item(db, "problem", {"title": "华东销售额未达标", "category": "market"},
                                review_id=ids["review"], actor="张三")
    if measure:
        ids["measure"] = R.add_item(db, "measure", {"problem_id": ids["problem"], "title": "优化落地页", "owner": "李四",
                                                    "due": LATER}, review_id=ids["review"], actor="张三")
    return ids


# --------------------------------------------------------------------------- the main flow


def test_create_a_review_log_a_problem_with_five_whys_and_a_measure_checked_against_the_data(db_file):
    at = open_page("zh")
    assert t("review.ui.no_review", "zh") in texts(at.info)
    click(at, "rv_new_create")  # the active period: the sample's newest month
    db = fresh_db(db_file)
    (review,) = R.reviews(db)
    assert review.label == "2026-10"
    assert [x.value for x in at.title] == [review.title]
    assert [s for s in at.sidebar.selectbox if s.key.startswith("_review_choice")][0].value == review.id
    assert str(review.id) in at.query_params["review"]  # ?review=ID: the link opens this review

    # a problem, with a two-level 5-Whys chain
    widget(at, "text_input", "rv_problem_new__title").input("华东销售额未达标")
    widget(at, "selectbox", "rv_problem_new__metric").set_value("销售额")
    widget(at, "text_input", "rv_problem_new__why_0").input("为什么销售额低？")
    widget(at, "text_input", "rv_problem_new__because_0").input("线上转化率下降")
    click(at, "rv_problem_new__why_add")
    widget(at, "text_input", "rv_problem_new__why_1").input("为什么转化率下降？")
    widget(at, "text_input", "rv_problem_new__because_1").input("落地页加载慢，发布流程没有性能检查")
    at.run()
    click(at, "rv_problem_new__save")
    (problem,) = R.items(fresh_db(db_file), "problem", review.id)
    assert problem["title"] == "华东销售额未达标" and problem["metric"] == "销售额"
    assert problem["whys"] == [{"why": "为什么销售额低？", "because": "线上转化率下降"},
                               {"why": "为什么转化率下降？", "because": "落地页加载慢，发布流程没有性能检查"}]
    assert t("review.ui.problem.saved", "zh", title="华东销售额未达标") in texts(at.success)

    # a measure whose acceptance criterion is tied to the metric: ≥ 90% of plan in 2026-10
    k = "rv_measure_new__"
    widget(at, "selectbox", k + "problem").set_value(problem["id"])
    widget(at, "text_input", k + "title").input("发布前加入页面性能检查")
    widget(at, "text_input", k + "owner").input("李四")
    widget(at, "date_input", k + "due").set_value(LATER)
    widget(at, "toggle", k + "crit").set_value(True)
    at.run()
    widget(at, "selectbox", k + "crit_metric").set_value("销售额")
    widget(at, "selectbox", k + "crit_op").set_value(">=")
    widget(at, "number_input", k + "crit_value").set_value(90)
    widget(at, "selectbox", k + "crit_basis").set_value("plan")
    widget(at, "text_input", k + "crit_period").input("2026-10")
    at.run()
    assert_clean(at)
    criterion = R.criterion_text({"crit_metric": "销售额", "crit_op": ">=", "crit_value": 0.9, "crit_basis": "plan",
                                  "crit_period": dt.date(2026, 10, 1), "crit_grain": "month"}, "zh")
    assert t("review.ui.crit_preview", "zh", text=criterion) in texts(at.caption)
    click(at, k + "save")
    db = fresh_db(db_file)
    (measure,) = R.items(db, "measure", review.id)
    assert (measure["owner"], measure["due"], measure["problem_id"]) == ("李四", LATER, problem["id"])
    assert (measure["crit_metric"], measure["crit_op"], measure["crit_value"], measure["crit_basis"],
            measure["crit_period"]) == ("销售额", ">=", pytest.approx(0.9), "plan", dt.date(2026, 10, 1))
    # the data for 2026-10 is in: the check is shown with actual against target
    check = R.verify(db, measure)
    assert check.state in ("met", "not_met") and check.actual is not None and check.target is not None
    shown = editor(at, "check")
    row = shown.value[shown.value["title"] == "发布前加入页面性能检查"].iloc[0]
    assert row["check"].startswith(t(f"review.verify.{check.state}", "zh"))
    assert row["criterion"] == criterion
    assert R.get_item(db, "problem", problem["id"])["status"] == "measures_set"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_invalid_measure_shows_every_message_in_the_users_language_and_stores_nothing(db_file, lang):
    ids = seed(db_file)
    at = open_page(lang, ids["review"])
    k = "rv_measure_new__"
    widget(at, "text_input", k + "title").input("Fix the landing page")
    widget(at, "text_input", k + "owner").input("张三、李四")
    widget(at, "date_input", k + "due").set_value(TODAY - dt.timedelta(days=3))
    at.run()
    click(at, k + "save")
    shown = "\n".join(texts(at.error))
    assert t("review.error.one_owner", lang) in shown
    assert t("review.error.due_past", lang, today=dt.date.today().isoformat()) in shown

    widget(at, "text_input", k + "owner").input("")
    at.run()
    click(at, k + "save")
    shown = "\n".join(texts(at.error))
    assert t("review.error.required", lang, field=t("review.field.owner", lang)) in shown
    assert R.items(fresh_db(db_file), "measure") == []


# --------------------------------------------------------------------------- trust: conflicts, deletes


def test_a_save_over_someone_elses_change_shows_both_versions_and_overwrites_nothing(db_file):
    ids = seed(db_file, measure=True)
    mine, theirs = open_page("en", ids["review"]), open_page("en", ids["review"])
    widget(theirs, "text_input", "review_actor_name").input("Wang Wu")
    theirs.run()
    table = editor(theirs, "owner")
    theirs.session_state[table.key] = {"edited_rows": {0: {"title": "Compress images before release"}},
                                       "added_rows": [], "deleted_rows": []}
    theirs.run()
    click(theirs, "FormSubmitter:rv_measures_form-" + t("review.ui.save", "en"))

    table = editor(mine, "owner")  # drawn before their save
    mine.session_state[table.key] = {"edited_rows": {0: {"title": "Lazy-load images", "owner": "Zhao Liu"}},
                                     "added_rows": [], "deleted_rows": []}
    mine.run()
    click(mine, "FormSubmitter:rv_measures_form-" + t("review.ui.save", "en"))
    warning = [w for w in texts(mine.warning) if "Wang Wu" in w]
    assert warning, texts(mine.warning)
    stored = R.get_item(fresh_db(db_file), "measure", ids["measure"])
    assert (stored["title"], stored["owner"], stored["actor"]) == ("Compress images before release", "李四", "Wang Wu")
    both = [d.value for d in mine.main.dataframe if t("review.ui.conflict.theirs", "en") in d.value.columns]
    assert both, "both versions shown"
    side = both[0].set_index(t("review.ui.field", "en"))
    title = t("review.field.title", "en")
    assert side.loc[title, t("review.ui.conflict.theirs", "en")] == "Compress images before release"
    assert side.loc[title, t("review.ui.conflict.mine", "en")] == "Lazy-load images"

    # the user decides: mine, saved over the version now stored
    over = [b for b in mine.main.button if b.label == t("review.ui.conflict.overwrite", "en")]
    over[0].click()
    mine.run()
    assert_clean(mine)
    stored = R.get_item(fresh_db(db_file), "measure", ids["measure"])
    assert (stored["title"], stored["owner"]) == ("Lazy-load images", "Zhao Liu")
    log = R.history(fresh_db(db_file), "measure", ids["measure"])
    assert [e["action"] for e in log] == ["update", "update", "insert"]


def test_a_change_to_other_fields_meanwhile_is_kept_under_mine_without_a_conflict(db_file):
    ids = seed(db_file)
    at = open_page("en", ids["review"])
    table = editor(at, "severity")
    # meanwhile a measure is added to the problem: its status moves on to 'measures set' (a new version)
    R.add_item(fresh_db(db_file), "measure", {"problem_id": ids["problem"], "title": "Fix", "owner": "Li Si", "due": LATER},
               review_id=ids["review"], actor="Wang Wu")
    at.session_state[table.key] = {"edited_rows": {0: {"title": "East China sales 8% below plan"}},
                                   "added_rows": [], "deleted_rows": []}
    at.run()
    click(at, "FormSubmitter:rv_problems_form-" + t("review.ui.save", "en"))
    stored = R.get_item(fresh_db(db_file), "problem", ids["problem"])
    assert (stored["title"], stored["status"]) == ("East China sales 8% below plan", "measures_set")
    assert not [w for w in texts(at.warning) if "Wang Wu" in w or "?" in w]
    assert t("review.ui.saved", "en") in texts(at.success)


def test_a_deleted_problem_can_be_undone_and_restored_from_the_bin(db_file):
    ids = seed(db_file)
    at = open_page("zh", ids["review"])
    widget(at, "selectbox", "rv_problem_act_pick").set_value(ids["problem"])
    at.run()
    click(at, f"rv_problem_act_delete_{ids['problem']}")
    assert R.items(fresh_db(db_file), "problem", ids["review"]) == []
    assert t("review.ui.deleted", "zh", title="华东销售额未达标") in texts(at.success)
    assert not [e for e in at.main.data_editor if "severity" in e.value.columns]  # gone from the table
    click(at, "review_undo")
    assert [p["id"] for p in R.items(fresh_db(db_file), "problem", ids["review"])] == [ids["problem"]]

    R.delete_item(fresh_db(db_file), "problem", ids["problem"])
    at.run()
    click(at, f"rv_bin_restore_problem_{ids['problem']}")
    assert [p["id"] for p in R.items(fresh_db(db_file), "problem", ids["review"])] == [ids["problem"]]
    actions = [e["action"] for e in R.history(fresh_db(db_file), "problem", ids["problem"])]
    assert actions == ["restore", "delete", "restore", "delete", "insert"]


def test_a_problem_logged_from_a_red_kpi_arrives_filled_in(db_file):
    from retro.ui.review import problem_link

    ids = seed(db_file)
    link = problem_link("销售额", {"区域": "华东"}, "2026-10", "goals")
    at = open_page("en", ids["review"])
    query = dict(x.split("=", 1) for x in link.split("?", 1)[1].split("&"))
    from urllib.parse import unquote_plus

    for name, value in query.items():
        at.query_params[name] = unquote_plus(value)
    at.run()
    assert_clean(at)
    k = "rv_problem_new__"
    assert widget(at, "selectbox", k + "metric").value == "销售额"
    assert (widget(at, "selectbox", k + "dim").value, widget(at, "selectbox", k + "dimval").value) == ("区域", "华东")
    assert widget(at, "selectbox", k + "period").value == "2026-10"
    widget(at, "text_input", k + "title").input("East China sales 8% below plan")
    at.run()
    click(at, k + "save")
    new = [p for p in R.items(fresh_db(db_file), "problem", ids["review"]) if p["id"] != ids["problem"]]
    assert [(p["metric"], p["segment"], p["period"], p["grain"], p["source"]) for p in new] == [
        ("销售额", "区域=华东", dt.date(2026, 10, 1), "month", "goals")]


def test_next_review_carries_the_open_measure_and_the_sidebar_follows_the_review(db_file):
    ids = seed(db_file, measure=True, period="2026-08")
    at = open_page("en", ids["review"])
    assert [s for s in at.sidebar.selectbox if s.key.startswith("_period_choice")][0].value == "2026-08"  # the review's period
    at.main.segmented_control(key=f"rv_status_{ids['review']}_1").set_value("closed").run()
    assert_clean(at)
    assert R.get_review(fresh_db(db_file), ids["review"]).closed
    assert t("review.ui.closed_note", "en") in texts(at.warning)
    assert not [w for w in at.main.text_input if (w.key or "").startswith("rv_problem_new__")]  # no new items
    click(at, "rv_next")
    db = fresh_db(db_file)
    nxt = R.review_for_period(db, "2026-09")
    assert nxt is not None and [s for s in at.sidebar.selectbox if s.key.startswith("_review_choice")][0].value == nxt.id
    assert [s for s in at.sidebar.selectbox if s.key.startswith("_period_choice")][0].value == "2026-09"
    table = editor(at, "owner")
    row = table.value[table.value["title"] == "优化落地页"].iloc[0]
    assert row["carried"] == R.get_review(db, ids["review"]).title


# --------------------------------------------------------------------------- lessons, viewers, markup


def test_lessons_are_found_by_chinese_text_and_by_tag_across_reviews(db_file):
    ids = seed(db_file)
    db = fresh_db(db_file)
    older = R.create_review(db, grain="month", period="2026-07")
    R.add_item(db, "lesson", {"kind": "success", "title": "大客户分层", "text": "转介绍激励让大客户复购率提升", "tags": "复购 大客户"},
               review_id=older)
    R.add_item(db, "lesson", {"kind": "lesson", "text": "路演前没有筛选受众，获客成本超支", "tags": "获客"},
               review_id=ids["review"])
    at = open_page("zh", ids["review"])
    assert t("review.ui.lesson.found", "zh", n=2) in texts(at.caption)
    widget(at, "text_input", "rv_lessons_q").input("复购率")
    at.run()
    assert t("review.ui.lesson.found", "zh", n=1) in texts(at.caption)
    found = [d.value for d in at.main.dataframe if t("review.field.tags", "zh") in d.value.columns][0]
    assert list(found[t("review.field.title", "zh")]) == ["大客户分层"]
    widget(at, "text_input", "rv_lessons_q").input("")
    widget(at, "multiselect", "rv_lessons_tags").set_value(["获客"])
    at.run()
    found = [d.value for d in at.main.dataframe if t("review.field.tags", "zh") in d.value.columns][0]
    assert list(found[t("review.field.text", "zh")]) == ["路演前没有筛选受众，获客成本超支"]


def test_a_viewer_sees_the_review_without_any_edit_control(db_file, monkeypatch):
    ids = seed(db_file, measure=True)
    monkeypatch.setenv("RETRO_EDITOR_PASSCODE", "edit-me")
    monkeypatch.setenv("RETRO_VIEWER_PASSCODE", "look-only")
    at = open_page("en", ids["review"])
    at.text_input[0].set_value("look-only")
    at.button[0].click()
    at.run()
    assert_clean(at)
    assert [x.value for x in at.title] == [R.get_review(fresh_db(db_file), ids["review"]).title]
    assert t("review.ui.read_only", "en") in texts(at.info)
    assert not at.main.data_editor and not at.main.text_area and not at.main.date_input
    assert not at.main.button and not at.main.get("form_submit_button")
    shown = [d.value for d in at.main.dataframe if "owner" in d.value.columns]
    assert shown and list(shown[0]["title"]) == ["优化落地页"]


def test_markup_in_a_problem_title_is_shown_as_text(db_file):
    db_ids = seed(db_file)
    db = fresh_db(db_file)
    evil = "<script>alert(1)</script> **bold** [link](http://x.example)"
    R.update_item(db, "problem", db_ids["problem"], {"title": evil, "whys": [{"why": "<img src=x onerror=alert(1)>",
                                                                              "because": "_it_"}]}, version=1)
    at = open_page("zh", db_ids["review"])
    widget(at, "selectbox", "rv_problem_act_pick").set_value(db_ids["problem"])
    at.run()
    assert_clean(at)
    table = [e.value for e in at.main.data_editor if "severity" in e.value.columns][0]
    assert list(table["title"]) == [evil]  # a cell holds the text as typed
    rendered = "\n".join(texts(at.markdown) + texts(at.subheader))
    assert not re.search(r"(?<!\\)[<>]", rendered), "every angle bracket from user text is escaped"
    assert r"\<script\>alert(1)\</script\>" in rendered and r"\*\*bold\*\*" in rendered
    assert r"\[link\](http" in rendered and r"\<img src=x onerror=alert(1)\>" in rendered
    for element in [*at.markdown, *at.subheader]:
        assert not getattr(element.proto, "allow_html", False)


# --------------------------------------------------------------------------- the chosen metric's segments (issue 16)


def test_the_problem_form_offers_the_dimensions_and_values_of_the_chosen_metric_only(db_file, tmp_path):
    """Another workbook brings its own dimensions (Currency): a problem about 销售额 is not offered
    them, nor the orders' 渠道; a problem about that workbook's metric is offered its Currency."""
    import openpyxl

    from retro import metrics as M
    from retro.ingest import analyze_bytes, store_import

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Orders"
    ws.append(["Month", "Currency", "Refunds"])
    for m in (9, 10):
        for currency in ("USD", "EUR"):
            ws.append([f"2026-{m:02d}", currency, 5.0 + m])
    path = tmp_path / "orders.xlsx"
    wb.save(path)
    db = fresh_db(db_file)
    store_import(db, analyze_bytes(db, path.read_bytes(), path.name))
    ids = seed(db_file)
    assert {"Currency", "渠道"} <= set(M.dimensions(fresh_db(db_file)))  # every workbook's, together

    at = open_page("zh", review=ids["review"])
    k = "rv_problem_new__"
    whole = t("review.ui.whole", "zh")  # the options as shown: "" is the whole, or no value ("—")
    widget(at, "selectbox", k + "metric").set_value("销售额")
    at.run()
    assert_clean(at)
    assert widget(at, "selectbox", k + "dim").options == [whole, *M.dimensions(fresh_db(db_file), "销售额")]
    assert set(widget(at, "selectbox", k + "dim").options) == {whole, "产品线", "区域"}
    widget(at, "selectbox", k + "dim").set_value("区域")
    at.run()
    assert widget(at, "selectbox", k + "dimval").options == ["—", *M.dimension_values(fresh_db(db_file), "区域", "销售额")]

    widget(at, "selectbox", k + "metric").set_value("Refunds")
    at.run()
    assert_clean(at)
    assert widget(at, "selectbox", k + "dim").options == [whole, "Currency"]
    assert widget(at, "selectbox", k + "dim").value == ""  # 区域 is not one of Refunds' dimensions
    widget(at, "selectbox", k + "dim").set_value("Currency")
    at.run()
    assert widget(at, "selectbox", k + "dimval").options == ["—", "EUR", "USD"]


def test_editing_the_review_after_its_status_changed_is_no_conflict(db_file):
    """The edit form kept the review's version from its first draw: after the status was set (here, or
    in meeting mode by another session) saving the attendees met 'changed by someone else meanwhile'."""
    ids = seed(db_file)
    at = open_page("en", ids["review"])
    db = fresh_db(db_file)
    drawn = R.get_review(db, ids["review"]).version
    R.update_review(db, ids["review"], {"status": "in_meeting"}, version=drawn, actor="王五")
    field = next(w for w in at.main.text_input if w.label == t("review.field.attendees", "en"))
    field.set_value("张三, 李四")
    click(at, f"FormSubmitter:rv_edit_{ids['review']}_{drawn}-" + t("review.ui.save", "en"))
    stored = R.get_review(fresh_db(db_file), ids["review"])
    assert (stored.attendees, stored.status) == ("张三, 李四", "in_meeting")
    assert t("review.ui.saved", "en") in texts(at.success)


def test_editing_the_review_after_someone_else_renamed_it_is_a_conflict(db_file):
    ids = seed(db_file)
    at = open_page("en", ids["review"])
    db = fresh_db(db_file)
    drawn = R.get_review(db, ids["review"]).version
    R.update_review(db, ids["review"], {"title": "他们的标题"}, version=drawn, actor="王五")
    field = next(w for w in at.main.text_input if w.label == t("review.field.attendees", "en"))
    field.set_value("张三, 李四")
    click(at, f"FormSubmitter:rv_edit_{ids['review']}_{drawn}-" + t("review.ui.save", "en"))
    stored = R.get_review(fresh_db(db_file), ids["review"])
    assert stored.title == "他们的标题" and stored.attendees != "张三, 李四"
    assert any("王五" in e for e in texts(at.error))
