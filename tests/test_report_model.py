"""retro.report.model: the report built from the bundled sample (and a review logged on it).

Expected numbers come from retro.scoring / retro.metrics on the same database (what the goals and
trends pages show), expected headers from the template (DOMAIN.md, seed 003).
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from retro import metrics as M
from retro import reviews as R
from retro import scoring as S
from retro.i18n import t
from retro.report.model import SECTION_KEYS, Cards, Chart, Paragraph, Report, Table, build_report

PERIOD = "2026-10"
# Text a spreadsheet would run as a formula, and markup: logged as review items.
PAYLOADS = ("=1+1", "+cmd|' /C calc'!A0", "-2 问题", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "<script>alert(1)</script>")
# The review workspace trims what it stores (a leading tab or CR does not survive): what reaches the report.
STORED = tuple(p.strip() for p in PAYLOADS)

TEMPLATE_ZH = {
    "strategy_plan": ("策略目标", "关键任务", "负责人", "起止时间", "资源（预算/人力）", "验收标准"),
    "progress": ("关键任务", "计划进度", "实际进度", "偏差率", "主要问题", "应对措施", "负责人"),
    "outcome": ("目标指标", "计划值", "实际值", "达成率", "偏差原因", "经验/教训"),
    "followup": ("改进事项", "措施", "负责人", "截止日期", "所需支持", "验收标准"),
}
TEMPLATE_EN = {
    "strategy_plan": ("Strategy goal", "Key task", "Owner", "Start–end", "Resources (budget / people)",
                      "Acceptance criterion"),
    "progress": ("Key task", "Planned progress", "Actual progress", "Deviation %", "Main problem", "Countermeasure", "Owner"),
    "outcome": ("Target metric", "Plan", "Actual", "Attainment", "Cause of deviation", "Lesson"),
    "followup": ("Improvement item", "Measure", "Owner", "Due date", "Support needed", "Acceptance criterion"),
}


def make_sample(path) -> object:
    """The sample imported, and a review of 2026-10 with problems, measures, a task and lessons
    (one problem per payload, so every one reaches a cell)."""
    from retro.bootstrap import load_sample
    from retro.db import Database

    db = Database(path)
    load_sample(db)
    rid = R.create_review(db, grain="month", period=PERIOD)
    R.update_review(db, rid, {"summary": "华东销售未达标，获客成本超预算。"}, version=R.get_review(db, rid).version)
    first = None
    for i, text in enumerate(PAYLOADS):
        pid = R.add_item(db, "problem", {"title": f"{text}", "category": "market", "severity": "high",
                                         "metric": "销售额" if i == 0 else None,
                                         "whys": [{"why": "为什么获客成本高", "because": "渠道投放不精准"}]}, review_id=rid)
        first = first or pid
        R.add_item(db, "measure", {"problem_id": pid, "title": text, "owner": "李四", "due": dt.date(2099, 12, 31),
                                   "acceptance": "获客成本 ≤ 预算的 80%"}, review_id=rid)
    R.add_item(db, "task", {"goal": "Q4 华东销售 +20%", "task": "优化线上渠道", "owner": "李四",
                            "start_date": dt.date(2026, 10, 1), "end_date": dt.date(2026, 11, 30), "budget": 50000,
                            "people": "1 名设计", "acceptance": "3 个平台活动上线", "progress": 0.3}, review_id=rid)
    R.add_item(db, "lesson", {"kind": "success", "text": "分层复购激励有效，可复制", "problem_id": first}, review_id=rid)
    R.add_item(db, "lesson", {"kind": "lesson", "text": "路演前没有筛选受众"}, review_id=rid)
    return db


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    from retro.db import close_all

    db = make_sample(tmp_path_factory.mktemp("report") / "sample.duckdb")
    yield db
    db.close()
    close_all()


@pytest.fixture(scope="module")
def report_zh(sample_db) -> Report:
    return build_report(sample_db, PERIOD, lang="zh")


def section(report: Report, key: str):
    found = [s for s in report.sections if s.key == key]
    assert len(found) == 1, [s.key for s in report.sections]
    return found[0]


def table(report: Report, key: str) -> Table:
    found = [b for s in report.sections for b in s.blocks if isinstance(b, Table) and b.key == key]
    assert len(found) == 1, key
    return found[0]


def test_every_section_in_agenda_order(report_zh):
    assert tuple(s.key for s in report_zh.sections) == SECTION_KEYS
    assert report_zh.title == "运营月报 2026-10" and report_zh.filename_stem == "运营月报_2026-10"
    assert report_zh.generated == dt.date.today()


def test_scorecard_equals_the_goals_scorecard(sample_db, report_zh):
    """The goals page shows S.scorecard(period, forecast='seasonal'): every number the same."""
    card = S.scorecard(sample_db, PERIOD, forecast="seasonal")
    labels = {m.name: m.label("zh") for m in M.catalog(sample_db)}
    rows = {r[0]: r for r in table(report_zh, "scorecard").rows}
    targeted = [r for r in card.rows if r.has_target]
    assert targeted, "the sample has targets"
    for r in card.rows:
        if r.actual is None and not r.has_target:
            continue
        got = rows[labels[r.metric]]
        k = 100 if r.unit == "%" else 1
        assert got[2] == (None if r.plan is None else pytest.approx(r.plan * k))
        assert got[3] == pytest.approx(r.actual * k)
        assert got[4] == (None if r.attainment is None else pytest.approx(r.attainment))
        assert got[5] == (None if r.deviation is None else pytest.approx(r.deviation))
        assert got[8] == (None if r.score is None else pytest.approx(r.score))
    overall = [b.text for b in section(report_zh, "scorecard").blocks if isinstance(b, Paragraph)][0]
    assert f"{card.overall * 100:.1f}%" in overall


@pytest.mark.parametrize("lang,expected", [("zh", TEMPLATE_ZH), ("en", TEMPLATE_EN)])
def test_four_template_tables_have_the_template_columns(sample_db, lang, expected):
    report = build_report(sample_db, PERIOD, lang=lang, sections=list(expected))
    for key, columns in expected.items():
        assert table(report, key).columns == columns


def test_review_items_fill_the_tables(report_zh):
    problems = table(report_zh, "problems")
    assert [r[0] for r in problems.rows] == list(STORED)
    assert {r[4] for r in problems.rows} == {"渠道投放不精准"}  # the last answer of the 5 Whys
    assert [r[0] for r in table(report_zh, "measures").rows] == list(STORED)
    followup = table(report_zh, "followup")
    assert followup.rows[0][:4] == (PAYLOADS[0], PAYLOADS[0], "李四", dt.date(2099, 12, 31))
    plan = table(report_zh, "strategy_plan").rows
    assert plan == (("Q4 华东销售 +20%", "优化线上渠道", "李四", "2026-10-01 – 2026-11-30", "5.00万元 / 1 名设计",
                     "3 个平台活动上线"),)
    progress = table(report_zh, "progress").rows[0]
    assert progress[2] == pytest.approx(0.3) and progress[1] == pytest.approx(30 / 60)  # even pace to 10-31
    assert progress[3] == pytest.approx(0.3 - 30 / 60)
    kinds = [r[0] for r in table(report_zh, "lessons").rows]
    assert kinds == [t("report.lesson.keep", "zh"), t("report.lesson.avoid", "zh")]
    outcome = {r[0]: r for r in table(report_zh, "outcome").rows}
    sales = outcome["销售额（万元）"]
    assert sales[4] == "渠道投放不精准" and sales[5] == "分层复购激励有效，可复制"
    summary = " ".join(b.text for b in section(report_zh, "summary").blocks if isinstance(b, Paragraph))
    assert "华东销售未达标" in summary and f"问题 {len(PAYLOADS)} 个" in summary


def test_cards_follow_the_metrics_and_their_direction(sample_db, report_zh):
    cards = [b for b in section(report_zh, "kpis").blocks if isinstance(b, Cards)][0].cards
    by_title = {c.title: c for c in cards}
    for name in ("销售额", "成本"):
        m = M.get_metric(sample_db, name)
        c = M.kpi_card(sample_db, name, M.period_start(PERIOD))
        card = by_title[m.label("zh")]
        assert card.mom == f"{c.mom * 100:+.1f}%"
        up_is_good = m.direction == "up"
        assert card.tone == ("good" if (c.mom > 0) == up_is_good else "bad")
        assert card.spark[-1] == pytest.approx(c.value) and len(card.spark) == 12
    assert by_title["销售额"].status in ("green", "amber", "red")


def test_charts_carry_their_numbers(sample_db):
    report = build_report(sample_db, PERIOD, sections=["trends"], max_charts=3)
    charts = [b for b in report.sections[0].blocks if isinstance(b, Chart)]
    assert len(charts) == 3
    first = charts[0]
    frame = M.series(sample_db, "销售额", start=M.period_start("2025-11"), end=M.period_start(PERIOD))
    assert first.data.rows[-1][0] == PERIOD and len(first.data.rows) == 12
    assert first.data.rows[-1][1] == pytest.approx(float(frame["value"].iloc[-1]))
    assert first.spec["width"] > 0 and "datasets" not in first.spec  # data inlined: renders anywhere


def test_sections_english_quarter_and_team(sample_db):
    report = build_report(sample_db, "2026-Q3", lang="en", sections=["data", "summary"], team=" 华东/运营 ")
    assert [s.key for s in report.sections] == ["summary", "data"]
    assert report.title == "Quarterly review 2026-Q3" and report.team == "华东/运营"
    assert report.filename_stem == "华东_运营_quarterly_review_2026-Q3"
    han = re.compile(r"[\u4e00-\u9fff]")
    assert not any(han.search(s.title) for s in report.sections)
    assert not any(han.search(c) for c in table(report, "data").columns)


@pytest.mark.parametrize("period,sections", [("2026-13", None), ("October", None), (PERIOD, ["nope"])])
def test_bad_options_are_refused(sample_db, period, sections):
    with pytest.raises(ValueError):
        build_report(sample_db, period, sections=sections)


def test_an_empty_database_gives_a_report_that_says_so(db):
    report = build_report(db, PERIOD)
    text = " ".join(b.text for s in report.sections for b in s.blocks if isinstance(b, Paragraph))
    assert "没有实际数据" in text
    assert all(not t.rows for s in report.sections for t in s.blocks if isinstance(t, Table))


# --------------------------------------------------------------------------- like for like (issue 16)


def paragraphs(report: Report, key: str) -> list[str]:
    return [b.text for b in section(report, key).blocks if isinstance(b, Paragraph)]


@pytest.mark.parametrize("lang,said", [("zh", "销售额：4 个区域中 3 个已报数（西南未报），按可比部分计算达成率"),
                                       ("en", "Revenue: 3 of 4 区域 reported (西南 missing); attainment on what is comparable")])
def test_a_region_that_did_not_report_is_left_out_and_said(late_region, lang, said):
    """西南's June actual is an error cell: the report scores 336 of 360 (amber), never 336 of 480
    (a red 70%), and says 3 of 4 regions reported — in the summary, the scorecard and the PDF."""
    report = build_report(late_region, "2026-06", lang=lang)
    assert any(said in p for p in paragraphs(report, "summary"))
    assert any(said in p for p in paragraphs(report, "scorecard"))
    name = "销售额" if lang == "zh" else "Revenue"
    scored = {r[0]: r for r in table(report, "scorecard").rows}[name]
    assert (scored[2], scored[3]) == (pytest.approx(360), pytest.approx(336))
    assert scored[4] == pytest.approx(336 / 360)
    assert scored[6] == t("goals.status.amber", lang)
    overall = paragraphs(report, "scorecard")[0]
    assert f"{336 / 360 * 100:.1f}%" in overall
    outcome = table(report, "outcome").rows[0]
    assert "西南" in outcome[0] and outcome[3] == pytest.approx(336 / 360)
    # The changes: June's 336 against May's 300 of the same three regions, +12%, not −16%.
    data = {r[0]: r for r in table(report, "data").rows}[name]
    assert (data[3], data[4]) == (pytest.approx(300), pytest.approx(0.12))
    assert not any("-16.0%" in p or "−16.0%" in p for p in paragraphs(report, "summary"))
    # The PDF and the Markdown say the same.
    from pypdf import PdfReader

    from retro.report import export_bytes

    pdf = "".join(page.extract_text() for page in PdfReader(io.BytesIO(export_bytes(report, "pdf"))).pages)
    assert "西南" in pdf and "93.3%" in pdf
    assert said in export_bytes(report, "md").decode("utf-8")


def test_not_scoring_incomplete_periods_shows_in_the_report(late_region):
    S.save_settings(late_region, [S.KpiSettings("销售额", incomplete="skip")])
    report = build_report(late_region, "2026-06", lang="zh")
    scored = {r[0]: r for r in table(report, "scorecard").rows}["销售额"]
    assert scored[4] is None and scored[6] == t("goals.status.incomplete", "zh")
    assert any("4 个区域中 3 个已报数（西南未报），数据不全，本期不计分" in p for p in paragraphs(report, "scorecard"))


# --------------------------------------------------------------------------- the report says the causes (issue 17)

COST_ROOT = "未锁定年度运价"  # the last answered why of the cost problem's 5 Whys
COST_LESSON = "旺季前锁定运价"  # linked to the cost problem's measure
KEPT = "会员日复购有效"  # meeting mode's "keep as a success" for the over-achieved 留存率 (tagged, no link)
BONE = "投放素材未更新"  # 新增客户's only analysis: a fishbone, logged in a quarter review of Q4


def make_causes(path) -> object:
    """The sample with a red 成本 (85.8%) and a 119% 留存率, a review of 2026-10 whose problems are
    logged as the pages log them: 成本 from the goals page (its title only: '成本 2026-10 达成率 85.8%'),
    then a second 成本 problem with the 5 Whys (the last why still unanswered), a measure and a lesson on
    that measure; 销售额 logged but not analysed; a success kept for 留存率 as meeting mode keeps one;
    新增客户's problem with a fishbone in the quarter's review."""
    from retro.bootstrap import load_sample
    from retro.db import Database

    db = Database(path)
    load_sample(db)
    S.upsert_targets(db, [S.TargetInput("成本", PERIOD, 350.0), S.TargetInput("留存率", PERIOD, 0.74)])
    rows = {r.metric: r for r in S.scorecard(db, PERIOD, forecast="seasonal").rows if r.segment == ""}
    rid = R.create_review(db, grain="month", period=PERIOD)
    for metric in ("成本", "销售额"):
        r = rows[metric]
        R.add_item(db, "problem", R.kpi_problem(metric, r.label, r.period, r.grain, what=metric,
                                                detail=f"达成率 {r.attainment * 100:.1f}%", source="goals"), review_id=rid)
    pid = R.add_item(db, "problem", {"title": "物流成本上涨", "metric": "成本", "period": rows["成本"].period,
                                     "grain": "month", "category": "supply_chain",
                                     "whys": [{"why": "为什么成本超支", "because": "物流单价上涨"},
                                              {"why": "为什么单价上涨", "because": COST_ROOT},
                                              {"why": "为什么没有锁定", "because": ""}]}, review_id=rid)
    mid = R.add_item(db, "measure", {"problem_id": pid, "title": "签年度框架协议", "owner": "王五",
                                     "due": dt.date(2099, 12, 15)}, review_id=rid)
    R.add_item(db, "lesson", {"kind": "lesson", "text": COST_LESSON, "measure_id": mid}, review_id=rid)
    R.add_item(db, "lesson", {"kind": "success", "title": "留存率 达成率 119.3%", "text": KEPT, "tags": "留存率"},
               review_id=rid)
    R.add_item(db, "lesson", {"kind": "lesson", "text": "与任何指标无关的教训"}, review_id=rid)
    qid = R.create_review(db, grain="quarter", period="2026-Q4")
    R.add_item(db, "problem", {"title": "新客不足", "metric": "新增客户", "period": rows["新增客户"].period,
                               "grain": "month", "fishbone": [{"branch": "method", "cause": BONE}]}, review_id=qid)
    return db


@pytest.fixture(scope="module")
def causes_db(tmp_path_factory):
    from retro.db import close_all

    db = make_causes(tmp_path_factory.mktemp("causes") / "causes.duckdb")
    yield db
    db.close()
    close_all()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_outcome_table_says_the_root_cause_and_the_lessons(causes_db, lang):
    """The cause column holds each KPI's root cause (the last answered why; else the fishbone), never
    a problem's title; a KPI logged but not analysed says so; the lessons column holds the lessons
    linked to the KPI's problem or measure and the success kept for it."""
    report = build_report(causes_db, PERIOD, lang=lang)
    outcome = table(report, "outcome")
    names = {m.name: m.label(lang) for m in M.catalog(causes_db)}
    rows = {r[0].split("（")[0].split(" (")[0]: r for r in outcome.rows}
    cost, sales, new, kept = (rows[names[k]] for k in ("成本", "销售额", "新增客户", "留存率"))
    assert cost[4] == COST_ROOT and cost[5] == COST_LESSON
    assert sales[4] == t("report.cause_pending", lang) and sales[5] is None
    assert BONE in new[4] and t("review.ui.fishbone.method", lang) in new[4]
    assert kept[4] is None and kept[5] == KEPT
    titles = {p["title"] for p in R.items(causes_db, "problem")}
    assert not {r[4] for r in outcome.rows} & titles  # '成本 2026-10 达成率 85.8%' is not a cause
    assert "与任何指标无关的教训" not in {r[5] for r in outcome.rows}


def test_every_format_shows_the_causes_and_lessons(causes_db):
    import zipfile

    from openpyxl import load_workbook
    from pypdf import PdfReader

    from retro.report import export_bytes

    report = build_report(causes_db, PERIOD, lang="zh", sections=["outcome"])
    pdf = "".join(p.extract_text() for p in PdfReader(io.BytesIO(export_bytes(report, "pdf"))).pages)
    with zipfile.ZipFile(io.BytesIO(export_bytes(report, "pptx"))) as deck:
        slides = "".join(deck.read(n).decode("utf-8") for n in deck.namelist() if n.startswith("ppt/slides/slide"))
    book = load_workbook(io.BytesIO(export_bytes(report, "xlsx")))
    cells = {c.value for ws in book for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    texts = {"pdf": pdf, "pptx": slides, "xlsx": "\n".join(cells), "md": export_bytes(report, "md").decode(),
             "html": export_bytes(report, "html").decode()}
    for fmt, text in texts.items():
        for said in (COST_ROOT, COST_LESSON, KEPT, BONE, t("report.cause_pending", "zh")):
            assert said in text, (fmt, said)
        assert "达成率 85.8%" not in text, fmt  # the goals problem's title is not its cause


def test_status_words_are_the_review_workspaces(causes_db):
    """A measure's and a problem's status read as the review workspace names them (one glossary)."""
    for lang in ("zh", "en"):
        report = build_report(causes_db, PERIOD, lang=lang, sections=["problems", "measures"])
        assert table(report, "measures").rows[0][5] == t("review.ui.mstatus.planned", lang)
        statuses = {r[5] for r in table(report, "problems").rows}
        assert statuses <= {t(f"review.ui.pstatus.{s}", lang) for s in R.PROBLEM_STATUSES}
        categories = {r[1] for r in table(report, "problems").rows}
        assert t("review.ui.category.supply_chain", lang) in categories


NONE_KEYS = {"strategy_plan": "report.none.tasks", "progress": "report.none.tasks", "followup": "report.none.measures",
             "problems": "report.none.problems", "measures": "report.none.measures", "lessons": "report.none.lessons"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_empty_template_table_says_none_this_period(causes_db, lang):
    """No strategy task was logged: the two task tables hold no empty table (a bare header row) but
    the one line that says there is none this period; a period without a review says so for all."""
    report = build_report(causes_db, PERIOD, lang=lang)
    for key in ("strategy_plan", "progress"):
        s = section(report, key)
        assert s.empty and not [b for b in s.blocks if isinstance(b, Table)]
        assert [b.text for b in s.blocks] == [t(NONE_KEYS[key], lang)]
    bare = build_report(causes_db, "2026-09", lang=lang)
    for key, none in NONE_KEYS.items():
        assert [b.text for b in section(bare, key).blocks] == [t(none, lang)], key
    assert not section(report, "outcome").empty and not section(report, "scorecard").empty


def test_a_success_kept_for_a_kpi_is_its_lesson_whatever_its_tags_and_review(tmp_path):
    """Meeting mode keeps a success with its KPI stored (metric, segment, period, grain) and tags the
    team may change; the outcome table linked it only by tags in this period's own review, so one kept
    in English (tags 'Retention rate'), untagged, or in the quarter's review left the lessons empty."""
    from retro.bootstrap import load_sample
    from retro.db import Database

    db = Database(tmp_path / "kept.duckdb")
    load_sample(db)
    S.upsert_targets(db, [S.TargetInput("留存率", PERIOD, 0.74)])
    row = next(r for r in S.scorecard(db, PERIOD).rows if r.metric == "留存率" and r.segment == "")
    R.create_review(db, grain="month", period=PERIOD)
    quarter = R.create_review(db, grain="quarter", period="2026-Q4")
    R.add_item(db, "lesson", R.kpi_success("留存率", row.period, row.grain, title="Retention beyond plan",
                                           text="Member days lift repeat buying", tags=""), review_id=quarter)
    R.add_item(db, "lesson", R.kpi_success("留存率", dt.date(2026, 9, 1), "month", title="September's",
                                           text="another month's success"), review_id=quarter)
    for lang in ("zh", "en"):
        outcome = table(build_report(db, PERIOD, lang=lang), "outcome")
        label = M.get_metric(db, "留存率").label(lang)
        kept = next(r for r in outcome.rows if r[0].startswith(label))
        assert kept[5] == "Member days lift repeat buying", kept
    db.close()
