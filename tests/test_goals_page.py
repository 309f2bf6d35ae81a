"""The goals page through Streamlit's AppTest (driven from ``app.py``, as test_app.py does), and
``python -m retro score`` on the bundled sample.

Each test has its own database (conftest's autouse ``RETRO_DB``); the first run imports the
sample. Expected texts come from the catalog; expected numbers from ``retro.sample.sample_truth``
(the cells written into the workbook) or from ``retro.scoring`` on the same database.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import fresh_db  # noqa: E402 - shared AppTest helpers

from retro.i18n import t

pytestmark = pytest.mark.usefixtures("navigation_only")

APP = Path(__file__).resolve().parent.parent / "app.py"
TIMEOUT = 120


def open_goals(lang: str = "zh", period: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    if period:
        at.query_params["period"] = period
    at.run()  # the first start imports the sample
    assert_clean(at)
    at.switch_page("pages/goals.py").run()
    assert_clean(at)
    return at


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "Traceback" in str(e.value)]


def texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def scorecard_frame(at, lang: str):
    frames = [d.value for d in at.main.dataframe if "attainment" in d.value.columns and "status" in d.value.columns]
    assert len(frames) == 1, [list(d.value.columns) for d in at.main.dataframe]
    return frames[0]


def view_editor(at):
    editors = [e for e in at.main.data_editor if "vs_last_year" in e.value.columns]
    assert len(editors) == 1, [list(e.value.columns) for e in at.main.data_editor]
    return editors[0]


def sales_label(db_file: Path, lang: str) -> str:
    """How the page names 销售额 in ``lang`` (the catalog may give it an English label)."""
    from retro import metrics as M

    return M.get_metric(fresh_db(db_file), "销售额").label(lang)


def open_tab(at, name: str, lang: str):
    """Switch the targets' tabs to ``name`` (smart, all, settings, log): only the open tab is built."""
    at.session_state["goals_tabs"] = t(f"goals.tab.{name}", lang)
    at.run()
    assert_clean(at)
    return at


def button(at, label: str):
    found = [b for b in at.main.button if b.label == label]
    assert found, [b.label for b in at.main.button]
    return found[0]


# --------------------------------------------------------------------------- renders


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_goals_page_shows_the_sample_scorecard(lang, db_file):
    from retro import scoring as S

    at = open_goals(lang)
    assert [x.value for x in at.title] == [t("nav.goals", lang)]
    # The period picker follows the sidebar's active period: the newest month with actuals.
    active = [s for s in at.sidebar.selectbox if s.key.startswith("_period_choice")][0].value
    period = [s for s in at.main.selectbox if s.label == t("goals.period", lang)][0]
    assert period.value == active == "2026-10"

    frame = scorecard_frame(at, lang)
    label = sales_label(db_file, lang)
    assert label in set(frame["metric"])
    if lang == "zh":
        assert label == "销售额"
    statuses = list(frame["status"])
    rank = {t(f"goals.status.{s}", lang): i for i, s in enumerate(("red", "amber", "green", "no_actual", "no_target"))}
    order = [rank[s.split(" ", 1)[1]] for s in statuses]
    assert order == sorted(order), "red rows first"
    sales = frame[frame["metric"] == label].iloc[0]

    card = S.scorecard(fresh_db(db_file), "2026-10")
    expected = next(r for r in card.rows if r.metric == "销售额")
    assert sales["attainment"] == pytest.approx(expected.attainment * 100)
    assert sales["drill"].startswith("trends?") and "metric=%E9%94%80%E5%94%AE%E9%A2%9D" in sales["drill"]
    assert "grain=month" in sales["drill"]
    overall = {m.label: m.value for m in at.main.metric}[t("goals.overall", lang)]
    assert overall == f"{card.overall * 100:.1f}%"
    # The template's outcome review table can be downloaded in both formats.
    labels = {b.label for b in at.main.get("download_button")}
    assert {t("goals.download_xlsx", lang), t("goals.download_csv", lang)} <= labels


def test_quarter_in_progress_is_scored_to_date_with_a_forecast():
    at = open_goals("en")
    at.main.segmented_control[0].set_value("quarter").run()
    assert_clean(at)
    period = [s for s in at.main.selectbox if s.label == t("goals.period", "en")][0]
    assert period.value == "2026-Q4"
    assert any(t("goals.in_progress", "en", period="2026-Q4", months=1, total=3,
                 method=t("goals.forecast.seasonal", "en")) == i for i in texts(at.info))
    assert t("goals.pacing", "en", period="2026-Q4") in texts(at.subheader)


def test_by_region_scores_each_segment_and_lists_what_needs_analysis():
    at = open_goals("zh", period="2026-08")
    by = [s for s in at.main.selectbox if s.label == t("goals.by", "zh")][0]
    by.set_value("区域").run()
    assert_clean(at)
    frame = scorecard_frame(at, "zh")
    east = frame[(frame["metric"] == "销售额") & (frame["segment"] == "华东")].iloc[0]
    assert east["status"].endswith(t("goals.status.red", "zh"))
    assert "f_%E5%8C%BA%E5%9F%9F=%E5%8D%8E%E4%B8%9C" in east["drill"]  # f_区域=华东
    flagged = [m for m in texts(at.markdown) if "华东 · 销售额" in m]
    assert flagged and t("goals.side.below", "zh") in flagged[0]


def test_logging_a_problem_shows_at_once_and_a_problem_logged_elsewhere_at_the_next_rerun(db_file):
    """The needs-analysis block is kept per data version (retro.ui.goals.needs): a problem logged by
    the button, and one logged by someone else meanwhile (meeting mode, another session), each show
    as 已记录 on the very next run, the button gone — never a stale 记录问题 that would log it twice."""
    from retro import reviews as R

    at = open_goals("zh", period="2026-08")
    [s for s in at.main.selectbox if s.key == "goals_by"][0].set_value("区域").run()
    log = [b for b in at.main.button if b.label == t("meeting.log_problem", "zh")]
    assert len(log) >= 2, [b.label for b in at.main.button]
    at.run()  # a rerun on the same data: read from the memo, the same buttons
    assert len([b for b in at.main.button if b.label == t("meeting.log_problem", "zh")]) == len(log)

    log[0].click().run()  # the callback logs it; the run that follows shows it logged
    assert_clean(at)
    assert len([b for b in at.main.button if b.label == t("meeting.log_problem", "zh")]) == len(log) - 1
    assert t("meeting.logged", "zh") in texts(at.main.caption)
    assert any(t("meeting.problem_logged_in", "zh", review="\x00").split("\x00")[0] in x for x in texts(at.success))
    db = fresh_db(db_file)
    review = R.review_for_period(db, "2026-08")
    assert review is not None and len(R.items(db, "problem", review.id)) == 1

    # Someone else logs the next one: this session's next rerun knows it.
    remaining = [b for b in at.main.button if b.label == t("meeting.log_problem", "zh")]
    metric, segment = remaining[0].key.removeprefix("goals_log_").split("_", 1)
    R.add_item(db, "problem", R.kpi_problem(metric, "2026-08", R.M.period_start("2026-08"), "month",
                                            segment={"区域": segment}, what=f"{segment} · {metric}", detail="", source="goals"),
               review_id=review.id, actor="someone else")
    at.run()
    assert_clean(at)
    assert len([b for b in at.main.button if b.label == t("meeting.log_problem", "zh")]) == len(remaining) - 1
    assert remaining[0].key not in [b.key for b in at.main.button]


# --------------------------------------------------------------------------- editing


def test_editing_a_target_in_the_data_editor_stores_it(db_file):
    from retro import scoring as S

    at = open_goals("zh")
    editor = view_editor(at)
    row = list(editor.value["metric"]).index(sales_label(db_file, "zh"))
    at.session_state[editor.key] = {"edited_rows": {row: {"target": "700", "owner": "李四"}},
                                    "added_rows": [], "deleted_rows": []}
    at.run()
    button(at, t("goals.save", "zh")).click().run()
    assert_clean(at)
    assert t("goals.saved", "zh", n=1) in texts(at.success)

    db = fresh_db(db_file)
    stored = S.list_targets(db)
    assert len(stored) == 1
    saved = stored.iloc[0]
    assert (saved["metric"], saved["label"], saved["value"], saved["source"], saved["owner"]) == (
        "销售额", "2026-10", 700.0, "user", "李四")
    assert dict(saved["dims"]) == {}
    scored = next(r for r in S.scorecard(db, "2026-10").rows if r.metric == "销售额")
    assert scored.plan == 700.0 and scored.target_source == "user" and scored.owner == "李四"
    log = S.change_log(db)
    assert list(log["action"]) == ["insert"]


def test_owner_alone_on_an_imported_plan_keeps_the_plan(db_file):
    from retro import scoring as S

    at = open_goals("en")
    editor = view_editor(at)
    row = list(editor.value["metric"]).index(sales_label(db_file, "en"))
    at.session_state[editor.key] = {"edited_rows": {row: {"owner": "Li Si"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    button(at, t("goals.save", "en")).click().run()
    assert_clean(at)
    db = fresh_db(db_file)
    stored = S.list_targets(db).iloc[0]
    assert stored["source"] == "import" and stored["owner"] == "Li Si"
    assert stored["value"] is None or stored["value"] != stored["value"]  # NULL: the imported plan stays
    scored = next(r for r in S.scorecard(db, "2026-10").rows if r.metric == "销售额")
    assert (scored.target_source, scored.owner) == ("import", "Li Si")
    assert scored.plan == pytest.approx(S.parse_target_text(editor.value["target"].iloc[row], "万元"))
    assert [o.owner for o in S.owner_scorecards(db, "2026-10")] == ["Li Si"]


def test_an_unreadable_target_is_refused_and_nothing_is_stored(db_file):
    from retro import scoring as S

    at = open_goals("en")
    editor = view_editor(at)
    row = list(editor.value["metric"]).index(sales_label(db_file, "en"))
    at.session_state[editor.key] = {"edited_rows": {row: {"target": "a lot"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    button(at, t("goals.save", "en")).click().run()
    assert_clean(at)
    assert any("a lot" in e for e in texts(at.error))
    assert S.list_targets(fresh_db(db_file)).empty


def test_smart_target_plus_20_percent_on_last_year(db_file):
    from retro import scoring as S
    from retro.sample import sample_truth

    at = open_tab(open_goals("zh"), "smart", "zh")
    [mode] = [s for s in at.main.segmented_control if s.label == t("goals.smart_mode", "zh")]
    mode.set_value("yoy").run()
    [pct] = [n for n in at.main.number_input if n.label == t("goals.smart_pct", "zh")]
    pct.set_value(20.0).run()
    [owner] = [x for x in at.main.text_input if x.label == t("goals.col.owner", "zh")]
    owner.set_value("李四").run()
    button(at, t("goals.smart_save", "zh")).click().run()
    assert_clean(at)
    stored = S.list_targets(fresh_db(db_file)).iloc[0]
    truth = sample_truth()
    last = truth[(truth["period"] == "2025-11") & (truth["metric"] == "销售额") & (truth["scenario"] == "actual")]["value"].sum()
    assert stored["label"] == "2026-11" and stored["owner"] == "李四"
    assert stored["value"] == pytest.approx(last * 1.2)
    assert stored["basis"] == "yoy" and stored["basis_value"] == pytest.approx(last)


def test_deleting_a_target_asks_first(db_file):
    from retro import scoring as S

    at = open_goals("en")
    S.upsert_targets(fresh_db(db_file), [S.TargetInput("销售额", "2026-12", 900.0)], actor="test")
    open_tab(at, "all", "en")
    editors = [e for e in at.main.data_editor if "delete" in e.value.columns]
    assert len(editors) == 1
    at.session_state[editors[0].key] = {"edited_rows": {0: {"delete": True}}, "added_rows": [], "deleted_rows": []}
    at.run()
    button(at, t("goals.delete_selected", "en")).click().run()
    assert_clean(at)
    assert any(t("goals.delete_confirm", "en", n=1) in m for m in texts(at.markdown))
    assert len(S.list_targets(fresh_db(db_file))) == 1  # opening the dialog deletes nothing


# --------------------------------------------------------------------------- CLI


def test_cli_score_attainment_equals_the_samples_cells(tmp_path, capsys):
    from retro.bootstrap import load_sample
    from retro.cli import main
    from retro.db import close_all, get_database
    from retro.sample import sample_truth

    path = tmp_path / "cli.duckdb"
    load_sample(get_database(path))
    close_all()
    capsys.readouterr()
    assert main(["score", "--db", str(path), "--period", "2026-08", "--by", "区域", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["period"] == "2026-08" and out["grain"] == "month" and out["by"] == "区域"

    truth = sample_truth()
    cells = truth[(truth["period"] == "2026-08") & (truth["region"] == "华东") & (truth["metric"] == "销售额")]
    actual = cells[cells["scenario"] == "actual"]["value"].sum()  # 华东's three product lines
    plan = cells[cells["scenario"] == "plan"]["value"].sum()
    [east] = [r for r in out["rows"] if r["metric"] == "销售额" and r["segment"] == "华东"]
    assert east["actual"] == pytest.approx(actual) and east["plan"] == pytest.approx(plan)
    assert east["attainment"] == pytest.approx(actual / plan)
    assert east["deviation"] == pytest.approx((actual - plan) / plan)
    assert east["status"] == "red"  # the competitor's August: below 90%
    assert east["score"] == pytest.approx(actual / plan)
    assert set(out["segments"]) == {"华东", "华南", "华北", "西南"}
    for row in out["rows"]:
        assert {"metric", "segment", "plan", "actual", "attainment", "deviation", "status", "weight", "score"} <= set(row)

    # Text output and a bad period.
    assert main(["score", "--db", str(path), "--period", "2026-Q3"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == "2026-Q3" and "overall" in text.splitlines()[-1]
    assert main(["score", "--db", str(path), "--period", "2026-13"]) == 2
    close_all()


def test_a_region_that_did_not_report_is_scored_on_those_that_did(db_file: Path, files: Path, run_import):
    """西南's June actual is an error cell: the scorecard says 3 of 4 regions reported and scores
    336 of 360 (amber); the settings offer "score incomplete periods", on by default."""
    import fixtures_build as fb

    path, _ = fb.build_region_error_cell(files)
    rc, result = run_import(path, db=db_file)
    assert rc == 0, result
    at = open_goals("zh", "2026-06")
    said = "4 个区域中 3 个已报数（西南未报）"
    assert any(said in i for i in texts(at.info)), texts(at.info)
    frame = scorecard_frame(at, "zh")
    assert list(frame["attainment"]) == [pytest.approx(336 / 360 * 100)]
    assert said in frame["note"].iloc[0] and "按可比部分计算达成率" in frame["note"].iloc[0]
    open_tab(at, "settings", "zh")
    editors = [e for e in at.main.data_editor if "incomplete" in e.value.columns]
    assert len(editors) == 1 and list(editors[0].value["incomplete"]) == [True]


def test_a_kpi_beyond_plan_lifts_the_overall_but_the_red_one_stays_beside_it(db_file):
    """Issue 17: a red KPI (85.8%) and one at 119.6% added to 2026-07's two KPIs (99.6%, 103.4%)
    raise the overall above 100% — the average cannot keep the red visible, so the score is shown
    amber, not green, with "1 KPI red" beside it, and its rise is not coloured as good news."""
    from retro import scoring as S

    at = open_goals("en", "2026-07")
    db = fresh_db(db_file)
    actual = {r.metric: r.actual for r in S.scorecard(db, "2026-07").rows}
    S.upsert_targets(db, [  # 成本 is lower-is-better: plan / actual = 85.8%; 满意度 actual / plan = 119.6%
        S.TargetInput("成本", "2026-07", actual["成本"] * 0.858),
        S.TargetInput("满意度", "2026-07", actual["满意度"] / 1.196),
    ], actor="test")
    card = S.scorecard(db, "2026-07")
    assert card.overall > 1.0 and card.red == 1  # the average went up past 100% with a red KPI in it
    at.run()
    assert_clean(at)
    overall = next(m for m in at.main.metric if m.label == t("goals.overall", "en"))
    assert overall.value == f"{card.overall * 100:.1f}%"
    beside = t("score.beside", "en", dot=":orange[●]", status=t("goals.status.amber", "en"), n=1)
    assert beside in texts(at.main.markdown), texts(at.main.markdown)[:6]
    assert "1 KPI red" in beside


def test_the_scorecard_shows_plan_and_actual_whole_and_the_weight_only_when_one_is_set(db_file):
    """At 1366 px in English the plan read '6.97M C' (a fixed column too narrow for '6.97M CNY'), and a
    weight column of 1s pushed the breakdown links off the grid."""
    from retro import scoring as S
    from retro.ui.text import column_px

    at = open_goals("en")
    grid = next(d for d in at.main.dataframe if "attainment" in d.value.columns and "status" in d.value.columns)
    config = json.loads(grid.proto.columns)
    frame = grid.value
    for column in ("plan", "actual"):
        longest = max((v for v in frame[column] if isinstance(v, str)), key=len)
        assert config[column]["width"] >= column_px([longest]), (column, longest, config[column])
    assert "6.97M CNY" in set(frame["plan"])
    assert "weight" not in frame.columns

    db = fresh_db(db_file)
    S.save_settings(db, [S.KpiSettings("销售额", weight=2.0)])
    at = open_goals("en")
    assert "weight" in scorecard_frame(at, "en").columns


def test_a_grid_cell_shows_a_dimension_name_as_written(db_file: Path, files: Path, run_import):
    """The note cell said 'the plan is not split by Sales\\_Region': markdown escapes in a grid cell,
    which shows text as it is."""
    from retro import scoring as S

    path = files / "regions.csv"
    path.write_text("月份,Sales_Region,销售额\n2026-01,East,100\n2026-01,West,50\n", encoding="utf-8")
    rc, result = run_import(path, db=db_file)
    assert rc == 0, result
    S.upsert_targets(fresh_db(db_file), [S.TargetInput("销售额", "2026-01", 160.0)])
    at = open_goals("en", "2026-01")
    [s for s in at.main.selectbox if s.label == t("goals.by", "en")][0].set_value("Sales_Region").run()
    [w for w in at.main.toggle if w.label == t("goals.show_untargeted", "en")][0].set_value(True).run()
    assert_clean(at)
    notes = set(scorecard_frame(at, "en")["note"])
    assert t("goals.reason.no_target_segment", "en", dim="Sales_Region") in ";".join(notes), notes


def test_only_the_open_targets_tab_is_built(db_file):
    """Every rerun (a period picked) built all five tabs' editors, the change log and the all-targets
    list, though one is shown: the tabs track which is open and build only it."""
    from retro import scoring as S

    at = open_goals("en")
    S.upsert_targets(fresh_db(db_file), [S.TargetInput("销售额", "2026-12", 900.0)], actor="test")
    at.run()
    editors = lambda: {c for e in at.main.data_editor for c in e.value.columns}  # noqa: E731
    assert "vs_last_year" in editors() and "delete" not in editors() and "cap" not in editors()
    open_tab(at, "all", "en")
    assert "delete" in editors() and "vs_last_year" not in editors()
    open_tab(at, "settings", "en")
    assert "cap" in editors() and "delete" not in editors()
