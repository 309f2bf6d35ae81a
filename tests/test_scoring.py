"""retro.scoring against hand-computed values (issue 4's correctness list), and property tests.

Data goes in through the real importer (small CSVs, as in test_metrics.py) and targets through
``scoring.upsert_targets``; every expected number below is worked out by hand in the comment
beside it, never taken from the code under test.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from conftest import load_csv  # noqa: E402 - shared fixtures and helpers
from hypothesis import given
from hypothesis import strategies as st

from retro import scoring as S
from retro.db import Database

D = dt.date


def row(card: S.Scorecard, metric: str, segment: str = "") -> S.KpiRow:
    hits = [r for r in card.rows if r.metric == metric and r.segment == segment]
    assert len(hits) == 1, [(r.metric, r.segment) for r in card.rows]
    return hits[0]


# =========================================================================== pure scoring


def test_template_example_east_china_sales_is_90_percent_and_amber():
    att = S.attainment(1080, 1200, "up")  # 1080万 / 1200万
    assert att.value == pytest.approx(0.9)
    assert att.deviation == pytest.approx(-0.1)  # (1080 − 1200) / 1200
    assert S.status(att) == "amber"  # ≥ 90%, < 100%
    assert S.kpi_score(att) == pytest.approx(0.9)


def test_template_example_repurchase_rate_is_120_percent():
    att = S.attainment(0.18, 0.15, "up")  # 18% / 15%
    assert att.value == pytest.approx(1.2)
    assert att.deviation == pytest.approx(0.2)  # (18 − 15) / 15
    assert S.status(att) == "green"
    assert S.kpi_score(att) == pytest.approx(1.2)  # exactly at the default cap


def test_lower_is_better_is_plan_over_actual():
    over = S.attainment(125, 100, "down")  # cost 25% over budget
    assert over.value == pytest.approx(0.8)  # 100 / 125
    assert over.deviation == pytest.approx(0.25)  # the deviation keeps its sign: actual above plan
    assert S.status(over) == "red"
    under = S.attainment(80, 100, "down")  # 20% under budget
    assert under.value == pytest.approx(1.25)  # 100 / 80
    assert S.status(under) == "green"
    assert S.kpi_score(under) == pytest.approx(1.2)  # capped
    assert S.attainment(95, 100, "down").value == pytest.approx(100 / 95)


def test_zero_plan_is_stated_not_divided():
    met = S.attainment(5, 0, "up")
    assert (met.value, met.deviation, met.reason, met.met) == (None, None, "zero_plan", True)
    assert S.status(met) == "green" and S.kpi_score(met) is None
    missed = S.attainment(-1, 0, "up")
    assert missed.reason == "zero_plan" and S.status(missed) == "red"
    complaints = S.attainment(3, 0, "down")  # a plan of zero complaints, three came in
    assert complaints.reason == "zero_plan" and complaints.value is None and S.status(complaints) == "red"


def test_negative_plan_uses_the_deviation_on_the_size_of_the_plan():
    # A planned loss of 100: losing only 80 is 20% better; losing 105 is 5% worse; 150 is 50% worse.
    better = S.attainment(-80, -100, "up")
    assert better.value is None and better.reason == "negative_plan"
    assert better.deviation == pytest.approx(0.2)  # (−80 − −100) / |−100|
    assert S.status(better) == "green" and S.kpi_score(better) is None
    assert S.status(S.attainment(-105, -100, "up")) == "amber"  # −5%: within the 10% band
    assert S.status(S.attainment(-150, -100, "up")) == "red"


def test_lower_is_better_at_zero_beats_any_plan():
    att = S.attainment(0, 5, "down")  # no complaints against a plan of 5
    assert att.value is None and att.reason == "zero_actual"
    assert S.status(att) == "green"
    assert S.kpi_score(att) == pytest.approx(S.CAP)


def test_missing_plan_or_actual_is_not_a_percentage():
    assert S.attainment(100, None).reason == "no_target"
    assert S.status(S.attainment(100, None)) == "no_target"
    assert S.attainment(100, float("nan")).reason == "no_target"
    assert S.status(S.attainment(None, 100)) == "no_actual"
    assert S.kpi_score(S.attainment(100, None)) is None


def test_thresholds_are_the_metrics():
    att = S.attainment(92, 100)
    assert S.status(att) == "amber"
    assert S.status(att, green=1.0, amber=0.95) == "red"
    assert S.status(att, green=0.9, amber=0.8) == "green"


def test_cap_keeps_one_over_achiever_from_hiding_a_failure():
    scores = [S.kpi_score(S.attainment(150, 100)), S.kpi_score(S.attainment(60, 100))]
    assert scores == [pytest.approx(1.2), pytest.approx(0.6)]
    assert S.overall_score([(s, 1) for s in scores]) == pytest.approx(0.9)  # (1.2 + 0.6) / 2, not 1.05
    assert S.kpi_score(S.attainment(150, 100), cap=1.5) == pytest.approx(1.5)


def test_weights_are_normalised():
    items = [(0.9, 1), (1.1, 3)]
    assert S.overall_score(items) == pytest.approx((0.9 * 1 + 1.1 * 3) / 4)  # 1.05
    assert S.overall_score([(0.9, 0.25), (1.1, 0.75)]) == pytest.approx(1.05)
    assert S.overall_score([(0.9, 10), (1.1, 30)]) == pytest.approx(1.05)
    assert S.overall_score([(0.9, 1), (1.1, 0)]) == pytest.approx(0.9)  # weight 0: left out
    assert S.overall_score([(None, 5), (0.8, 1)]) == pytest.approx(0.8)  # no score: left out
    assert S.overall_score([(0.9, 0)]) is None
    assert S.overall_score([]) is None


def test_a_negative_attainment_scores_zero_not_below():
    att = S.attainment(-50, 100)  # profit −50 against a plan of +100
    assert att.value == pytest.approx(-0.5)
    assert S.kpi_score(att) == 0.0


# =========================================================================== pacing (pure)


def test_quarter_target_paced_evenly_and_by_last_year():
    explicit = {("quarter", 3): S.Explicit(1200.0, "user", "even")}
    out, notes = S.resolve_year(explicit)
    assert [out[("month", m)].value for m in (7, 8, 9)] == [400.0, 400.0, 400.0]
    assert out[("month", 8)].source == "paced"
    assert out[S.YEAR].value is None  # the other quarters have no target: no year total
    assert notes == []

    seasonal = {("quarter", 3): S.Explicit(1200.0, "user", "seasonal")}
    out, notes = S.resolve_year(seasonal, weights={7: 100.0, 8: 200.0, 9: 300.0})
    assert [out[("month", m)].value for m in (7, 8, 9)] == pytest.approx([200.0, 400.0, 600.0])  # 1:2:3

    out, notes = S.resolve_year(seasonal, weights={7: 100.0, 9: 300.0})  # August missing last year
    assert [out[("month", m)].value for m in (7, 8, 9)] == pytest.approx([400.0, 400.0, 400.0])
    assert notes == [("seasonal_fallback", ("quarter", 3))]


def test_a_month_with_its_own_target_keeps_it_and_the_rest_share_the_remainder():
    explicit = {("quarter", 3): S.Explicit(1200.0, "user"), ("month", 7): S.Explicit(500.0, "user")}
    out, _ = S.resolve_year(explicit)
    assert [out[("month", m)].value for m in (7, 8, 9)] == pytest.approx([500.0, 350.0, 350.0])  # (1200−500)/2


def test_year_target_paced_to_quarters_and_months():
    out, _ = S.resolve_year({S.YEAR: S.Explicit(1200.0, "user")})
    assert out[("quarter", 2)].value == pytest.approx(300.0)
    assert out[("month", 5)].value == pytest.approx(100.0)
    # A quarter set on its own takes its share first: Q1 600, Q2–Q4 share 600 → 200 each.
    out, _ = S.resolve_year({S.YEAR: S.Explicit(1200.0, "user"), ("quarter", 1): S.Explicit(600.0, "user")})
    assert [out[("quarter", q)].value for q in (1, 2, 3, 4)] == pytest.approx([600.0, 200.0, 200.0, 200.0])
    assert out[("month", 2)].value == pytest.approx(200.0)


def test_months_add_up_to_quarters_and_year_bottom_up():
    explicit = {("month", m): S.Explicit(float(m), "import") for m in range(1, 13)}
    out, _ = S.resolve_year(explicit)
    assert out[("quarter", 1)].value == pytest.approx(6.0)  # 1 + 2 + 3
    assert out[S.YEAR].value == pytest.approx(78.0)
    assert out[S.YEAR].source == "sum"


def test_a_rate_is_not_split_but_inherited_and_averaged():
    out, _ = S.resolve_year({("quarter", 3): S.Explicit(0.9, "user")}, is_rate=True)
    assert [out[("month", m)].value for m in (7, 8, 9)] == pytest.approx([0.9, 0.9, 0.9])
    months = {("month", m): S.Explicit(v, "import") for m, v in ((1, 0.8), (2, 0.9), (3, 1.0))}
    out, _ = S.resolve_year(months, is_rate=True)
    assert out[("quarter", 1)].value == pytest.approx(0.9)  # mean, not 2.7


def test_over_allocated_months_are_flagged_and_not_negative():
    explicit = {("quarter", 3): S.Explicit(600.0, "user"), ("month", 7): S.Explicit(700.0, "user")}
    out, notes = S.resolve_year(explicit)
    assert out[("month", 8)].value == 0.0 and out[("month", 9)].value == 0.0
    assert ("over_allocated", ("quarter", 3)) in notes


def test_pace_helper():
    assert S.pace(300.0, 3) == ([100.0, 100.0, 100.0], False)
    parts, used = S.pace(300.0, 3, [1.0, 1.0, 4.0])
    assert used and parts == pytest.approx([50.0, 50.0, 200.0])
    assert S.pace(300.0, 3, [1.0, 0.0, 4.0])[1] is False


# =========================================================================== the scorecard on data

# Q3 2026 for two regions; last year's Q3 for the "+20% vs last year" and seasonal cases.
# 华东 销售额: 350 + 360 + 370 = 1080 in Q3 2026; 大客户复购率 17%, 18%, 19% → 18% (a rate: averaged).
Q3 = """月份,区域,销售额(万元),大客户复购率,成本(万元)
2025-07,华东,200,0.10,100
2025-08,华东,300,0.12,100
2025-09,华东,500,0.14,100
2025-07,华南,100,0.20,50
2025-08,华南,100,0.20,50
2025-09,华南,100,0.20,50
2026-07,华东,350,0.17,120
2026-08,华东,360,0.18,130
2026-09,华东,370,0.19,125
2026-07,华南,110,0.40,55
2026-08,华南,120,0.42,60
2026-09,华南,130,0.44,65
2026-10,华东,300,0.20,100
2026-10,华南,100,0.40,50
"""

PLAN = """月份,区域,口径,销售额(万元),成本(万元)
2026-07,华东,计划,400,110
2026-08,华东,计划,400,110
2026-09,华东,计划,400,110
2026-07,华南,计划,100,60
2026-08,华南,计划,100,60
2026-09,华南,计划,100,60
2026-10,华东,计划,500,110
2026-11,华东,计划,500,110
2026-12,华东,计划,600,110
2026-10,华南,计划,120,60
2026-11,华南,计划,120,60
2026-12,华南,计划,160,60
"""


def test_template_example_entered_as_targets_comes_out_exactly(db, tmp_path):
    load_csv(db, tmp_path, "q3.csv", Q3)
    S.upsert_targets(db, [
        S.TargetInput("销售额", "2026-Q3", S.parse_target_text("1200万", "万元"), {"区域": "华东"}),
        S.TargetInput("大客户复购率", "2026-Q3", S.parse_target_text("15%", "%"), {"区域": "华东"}),
    ], actor="test")
    card = S.scorecard(db, "2026-Q3", by="区域")
    sales = row(card, "销售额", "华东")
    assert (sales.plan, sales.actual) == (pytest.approx(1200.0), pytest.approx(1080.0))
    assert sales.attainment == pytest.approx(0.9) and sales.status == "amber"
    assert sales.deviation == pytest.approx(-0.1)
    assert sales.target_source == "user"
    repurchase = row(card, "大客户复购率", "华东")
    assert repurchase.is_rate
    assert repurchase.actual == pytest.approx(0.18)  # the mean of 17%, 18%, 19%, never their sum 54%
    assert repurchase.attainment == pytest.approx(1.2) and repurchase.status == "green"
    assert repurchase.score == pytest.approx(1.2)
    # Both KPIs weigh 1: (0.9 + 1.2) / 2 for 华东; 华南 has no target at all.
    assert card.segments["华东"] == pytest.approx(1.05)
    assert card.segments["华南"] is None
    assert row(card, "销售额", "华南").status == "no_target"


def test_actuals_without_a_plan_are_no_target_not_zero(db, tmp_path):
    load_csv(db, tmp_path, "q3.csv", Q3)
    card = S.scorecard(db, "2026-08")
    sales = row(card, "销售额")
    assert sales.actual == pytest.approx(480.0)  # 360 + 120
    assert (sales.plan, sales.attainment, sales.score, sales.status) == (None, None, None, "no_target")
    assert card.overall is None  # nothing to score, not 0%
    assert S.scorecard(db, "2026-08", include_untargeted=False).rows == ()


def test_imported_plan_is_the_target_and_a_user_target_overrides_it(db, tmp_path):
    load_csv(db, tmp_path, "q3.csv", Q3)
    load_csv(db, tmp_path, "plan.csv", PLAN)
    card = S.scorecard(db, "2026-08", by="区域")
    east = row(card, "销售额", "华东")
    assert (east.plan, east.actual, east.target_source) == (400.0, 360.0, "import")
    assert east.attainment == pytest.approx(0.9)
    cost = row(card, "成本", "华东")  # lower is better: 110 / 130
    assert cost.direction == "down" and cost.attainment == pytest.approx(110 / 130) and cost.status == "red"
    assert cost.deviation == pytest.approx(20 / 110)

    S.upsert_targets(db, [S.TargetInput("销售额", "2026-08", 450.0, {"区域": "华东"})])
    east = row(S.scorecard(db, "2026-08", by="区域"), "销售额", "华东")
    assert (east.plan, east.target_source) == (450.0, "user")
    assert east.attainment == pytest.approx(0.8)  # 360 / 450
    # The total is its own key: 400 + 100 imported, the 华东 override does not change it.
    assert row(S.scorecard(db, "2026-08"), "销售额").plan == pytest.approx(500.0)


def test_user_quarter_target_paced_into_months_replaces_the_imported_months(db, tmp_path):
    load_csv(db, tmp_path, "q3.csv", Q3)
    load_csv(db, tmp_path, "plan.csv", PLAN)
    S.upsert_targets(db, [S.TargetInput("销售额", "2026-Q3", 1500.0, {"区域": "华东"}, pacing="seasonal")])
    # Last year's 华东 Q3: 200, 300, 500 → shares 20%, 30%, 50% of 1500.
    months = [row(S.scorecard(db, f"2026-0{m}", by="区域"), "销售额", "华东") for m in (7, 8, 9)]
    assert [r.plan for r in months] == pytest.approx([300.0, 450.0, 750.0])
    assert {r.target_source for r in months} == {"paced"}
    assert row(S.scorecard(db, "2026-Q3", by="区域"), "销售额", "华东").plan == pytest.approx(1500.0)
    # 华南 keeps its imported months: 100 + 100 + 100.
    assert row(S.scorecard(db, "2026-Q3", by="区域"), "销售额", "华南").plan == pytest.approx(300.0)


def test_rates_are_scored_on_the_rate_across_segments_and_months(db, tmp_path):
    load_csv(db, tmp_path, "q3.csv", Q3)
    S.upsert_targets(db, [S.TargetInput("大客户复购率", "2026-Q3", 0.30)])
    total = row(S.scorecard(db, "2026-Q3"), "大客户复购率")
    # Six monthly rates of two regions averaged: (0.17+0.18+0.19+0.40+0.42+0.44) / 6 = 0.30
    assert total.actual == pytest.approx(0.30)
    assert total.attainment == pytest.approx(1.0)
    # Paced to a month, a quarter's rate is the month's rate (not a third of it).
    august = row(S.scorecard(db, "2026-08"), "大客户复购率")
    assert august.plan == pytest.approx(0.30) and august.actual == pytest.approx(0.30)  # (0.18 + 0.42) / 2


def test_period_in_progress_compares_to_date_and_forecasts(db, tmp_path):
    load_csv(db, tmp_path, "q3.csv", Q3)
    load_csv(db, tmp_path, "plan.csv", PLAN)
    card = S.scorecard(db, "2026-Q4", by="区域", forecast="straight")
    east = row(card, "销售额", "华东")
    assert east.in_progress and (east.months_actual, east.months_total) == (1, 3)
    assert east.plan == pytest.approx(500.0)  # October's plan only: plan to date
    assert east.actual == pytest.approx(300.0)
    assert east.attainment == pytest.approx(0.6)
    assert east.plan_full == pytest.approx(1600.0)  # 500 + 500 + 600
    assert east.forecast == pytest.approx(900.0)  # straight line: 300 × 3
    assert east.forecast_attainment == pytest.approx(900 / 1600)
    assert east.pace == "at_risk"
    assert east.needed_per_month == pytest.approx((1600 - 300) / 2)
    assert east.trend is None  # one month against a whole quarter says nothing
    south = row(card, "销售额", "华南")
    assert south.forecast == pytest.approx(300.0) and south.plan_full == pytest.approx(400.0)
    assert south.pace == "at_risk"  # 300 / 400
    # No data for last year's Q4: the seasonal forecast falls back to the straight line and says so.
    seasonal = row(S.scorecard(db, "2026-Q4", by="区域", forecast="seasonal"), "销售额", "华东")
    assert seasonal.forecast == pytest.approx(900.0) and "seasonal_fallback" in seasonal.notes


def test_seasonal_forecast_uses_last_years_shares(db, tmp_path):
    load_csv(db, tmp_path, "q3.csv", Q3)
    S.upsert_targets(db, [S.TargetInput("销售额", "2026-Q3", 1200.0, {"区域": "华东"})])
    # Score Q3 while only July is in: drop August and September by scoring a file with July alone.
    db2 = Database(tmp_path / "july.duckdb")
    try:
        load_csv(db2, tmp_path, "july.csv", "\n".join(
            line for line in Q3.splitlines() if not line.startswith(("2026-08", "2026-09", "2026-10"))) + "\n")
        S.upsert_targets(db2, [S.TargetInput("销售额", "2026-Q3", 1200.0, {"区域": "华东"})])
        east = row(S.scorecard(db2, "2026-Q3", by="区域", forecast="seasonal"), "销售额", "华东")
        # July 2025 was 200 of Q3's 1000: July 2026's 350 → 350 × 1000 / 200 = 1750.
        assert east.forecast == pytest.approx(1750.0)
        assert east.pace == "on_track"
        assert east.plan == pytest.approx(400.0)  # July's even share of 1200
    finally:
        db2.close()


def test_thresholds_and_weights_from_the_settings(db, tmp_path):
    load_csv(db, tmp_path, "q3.csv", Q3)
    load_csv(db, tmp_path, "plan.csv", PLAN)
    S.save_settings(db, [S.KpiSettings("销售额", weight=3, green=1.0, amber=0.95, cap=1.1)], actor="test")
    card = S.scorecard(db, "2026-08", by="区域")
    east = row(card, "销售额", "华东")  # 90%: amber by default, red with amber from 95%
    assert east.status == "red" and east.weight == 3
    south = row(card, "销售额", "华南")  # 120 / 100 = 120%, capped at 110%
    assert south.score == pytest.approx(1.1) and south.capped
    south_cost = row(card, "成本", "华南")  # 60 / 60 = 100%
    # 华南: (3 × 1.1 + 1 × 1.0) / 4
    assert card.segments["华南"] == pytest.approx((3 * 1.1 + 1.0) / 4)
    assert south_cost.attainment == pytest.approx(1.0)
    with pytest.raises(S.TargetError) as bad:
        S.save_settings(db, [S.KpiSettings("销售额", weight=1, green=0.9, amber=0.95, cap=1.2)])
    assert bad.value.errors[0][1] == "amber_above_green"
    with pytest.raises(S.TargetError):
        S.save_settings(db, [S.KpiSettings("销售额", weight=-1)])
    assert S.kpi_settings(db)["销售额"].weight == 3  # the refused saves changed nothing


# =========================================================================== like for like (issue 16)
# fixtures_build.build_region_error_cell: every region's plan 120 a month; actuals 100 in April and May,
# 112 in June, but 西南's June actual is #DIV/0! (stored empty). June as stored: a plan of 480 for four
# regions against actuals of 336 for three, 70% and red. Like for like: 336 of the three's 360.


def test_a_region_whose_actual_is_an_error_cell_is_left_out_of_its_plan(late_region):
    card = S.scorecard(late_region, "2026-06")
    sales = row(card, "销售额")
    assert (sales.plan, sales.actual) == (pytest.approx(360.0), pytest.approx(336.0))  # 3 × 120, 3 × 112
    assert sales.attainment == pytest.approx(336 / 360)  # 93.3%, never 336 / 480 = 70%
    assert sales.status == "amber" and sales.deviation == pytest.approx(-24 / 360)
    assert sales.plan_full == pytest.approx(480.0)  # the month's whole plan is kept beside it
    assert card.overall == pytest.approx(336 / 360)
    assert not S.needs_analysis(card.rows)  # −6.7%: within the 10% band, no false cause analysis
    cover = sales.coverage
    assert (cover.expected, cover.reported, cover.missing, cover.noun) == (4, 3, ("西南",), "区域")
    assert sales.incomplete and not sales.in_progress
    assert sales.coverage_text("zh") == "4 个区域中 3 个已报数（西南未报）"
    assert sales.coverage_text("en") == "3 of 4 区域 reported (西南 missing)"
    # The regions themselves: 西南 has no actual, the others 112 of 120.
    by = S.scorecard(late_region, "2026-06", by="区域")
    assert row(by, "销售额", "西南").status == "no_actual"
    assert (row(by, "销售额", "华东").plan, row(by, "销售额", "华东").actual) == (120.0, 112.0)
    # May is complete: nothing left out, nothing said.
    may = row(S.scorecard(late_region, "2026-05"), "销售额")
    assert (may.plan, may.actual, may.coverage_text("zh")) == (pytest.approx(480.0), pytest.approx(400.0), "")
    # The quarter: April and May of four regions, June of three — 1136 of 960 + 360 = 1320.
    q2 = row(S.scorecard(late_region, "2026-Q2"), "销售额")
    assert (q2.plan, q2.actual) == (pytest.approx(1320.0), pytest.approx(1136.0))
    assert q2.coverage_text("en") == "3 of 4 区域 reported (西南 missing)"
    assert "（4 个区域中 3 个已报数（西南未报））" in S.outcome_rows(card, "zh")[0]["metric"]
    assert S.row_json(sales)["coverage"]["missing"] == ["西南"]


def test_a_users_target_for_the_whole_counts_the_share_of_the_regions_that_reported(late_region):
    S.upsert_targets(late_region, [S.TargetInput("销售额", "2026-06", 600.0)])
    sales = row(S.scorecard(late_region, "2026-06"), "销售额")
    # 西南 held 120 of the imported 480: the three that reported stand for 360 / 480 of the 600.
    assert sales.plan == pytest.approx(600 * 360 / 480) and sales.target_source == "user"
    assert sales.attainment == pytest.approx(336 / 450)


def test_with_do_not_score_incomplete_periods_the_period_is_not_scored(late_region):
    S.save_settings(late_region, [S.KpiSettings("销售额", incomplete="skip")], actor="test")
    assert S.kpi_settings(late_region)["销售额"].incomplete == "skip"
    card = S.scorecard(late_region, "2026-06")
    sales = row(card, "销售额")
    assert (sales.status, sales.reason, sales.attainment, sales.score) == ("incomplete", "incomplete", None, None)
    assert (sales.plan, sales.actual) == (pytest.approx(360.0), pytest.approx(336.0))  # still shown
    assert card.overall is None and not S.needs_analysis(card.rows)
    assert sales.coverage_text("zh") == "4 个区域中 3 个已报数（西南未报）"
    may = row(S.scorecard(late_region, "2026-05"), "销售额")  # a complete month is scored as ever
    assert may.status == "red" and may.attainment == pytest.approx(400 / 480)
    with pytest.raises(S.TargetError) as bad:
        S.save_settings(late_region, [S.KpiSettings("销售额", incomplete="sometimes")])
    assert bad.value.errors[0][1] == "bad_incomplete"
    S.save_settings(late_region, [S.KpiSettings("销售额")], actor="test")  # back to the default
    assert row(S.scorecard(late_region, "2026-06"), "销售额").status == "amber"


def _days_csv(month_days: dict[int, int], value: int = 10) -> str:
    """区域 | 指标 | one column per day (a wide sheet by day), 华东 and 华南, ``value`` a day."""
    days = [f"2026-{m:02d}-{d:02d}" for m, n in month_days.items() for d in range(1, n + 1)]
    return "\n".join(["区域,指标," + ",".join(days)]
                     + [f"{r},销售额," + ",".join(str(value) for _ in days) for r in ("华东", "华南")]) + "\n"


def test_a_month_still_in_progress_is_scored_to_the_day(db, tmp_path):
    load_csv(db, tmp_path, "days.csv", _days_csv({5: 31, 6: 15}))  # June through the 15th
    S.upsert_targets(db, [S.TargetInput("销售额", "2026-06", 600.0)])
    june = row(S.scorecard(db, "2026-06"), "销售额")
    assert june.in_progress and june.through_day == 15
    assert june.plan == pytest.approx(600 * 15 / 30)  # the month's plan paced over its days
    assert june.actual == pytest.approx(300.0)  # 2 regions × 15 days × 10
    assert june.attainment == pytest.approx(1.0) and june.status == "green"  # not 50% and red
    assert june.forecast == pytest.approx(600.0) and june.plan_full == pytest.approx(600.0)
    assert june.trend is None
    assert june.coverage_text("en") == "through day 15 of 30"
    S.save_settings(db, [S.KpiSettings("销售额", incomplete="skip")])
    assert row(S.scorecard(db, "2026-06"), "销售额").status == "incomplete"


def test_orders_through_the_15th_are_scored_against_half_the_months_target(db, tmp_path):
    lines, n = ["日期,订单号,客户,区域,金额"], 0
    for month, last in ((5, 31), (6, 15)):
        for day in range(1, last + 1):
            for region in ("华东", "华南"):
                n += 1
                lines.append(f"2026-{month:02d}-{day:02d},O{n},C{n % 7},{region},100")
    load_csv(db, tmp_path, "orders.csv", "\n".join(lines) + "\n")
    S.upsert_targets(db, [S.TargetInput("订单数", "2026-06", 60.0)])
    orders = row(S.scorecard(db, "2026-06"), "订单数")
    assert (orders.plan, orders.actual) == (pytest.approx(30.0), pytest.approx(30.0))  # 60 × 15 / 30; 2 × 15
    assert orders.status == "green" and orders.in_progress and orders.through_day == 15
    assert orders.coverage_text("zh") == "截至 15 日（本月共 30 日）"


# =========================================================================== writing targets


def test_upsert_logs_and_never_loses_what_was_typed(db, tmp_path):
    load_csv(db, tmp_path, "q3.csv", Q3)
    version = db.data_version()
    first = S.upsert_targets(db, [S.TargetInput("销售额", "2026-Q4", 1000.0, owner="李四")], actor="a")
    assert (first.inserted, first.updated) == (1, 0)
    assert db.data_version() > version
    again = S.upsert_targets(db, [S.TargetInput("销售额", "2026-Q4", 1000.0, owner="李四")], actor="a")
    assert again.unchanged == 1 and again.saved == 0
    changed = S.upsert_targets(db, [S.TargetInput("销售额", "2026-Q4", 1100.0, owner="李四")], actor="b")
    assert changed.updated == 1
    stored = S.list_targets(db)
    assert list(stored["value"]) == [1100.0] and list(stored["actor"]) == ["b"]
    log = S.change_log(db)
    assert list(log["action"]) == ["update", "insert"]
    assert json.loads(log.iloc[0]["before"])["value"] == 1000.0  # the old value is kept in the log

    deleted = S.delete_targets(db, [int(stored.iloc[0]["id"])], actor="c")
    assert deleted == 1 and S.list_targets(db).empty
    log = S.change_log(db)
    assert log.iloc[0]["action"] == "delete"
    S.restore_target(db, int(log.iloc[0]["id"]), actor="c")
    back = S.list_targets(db)
    assert list(back["value"]) == [1100.0] and list(back["owner"]) == ["李四"]


def test_one_bad_row_refuses_the_whole_save(db, tmp_path):
    load_csv(db, tmp_path, "q3.csv", Q3)
    with pytest.raises(S.TargetError) as error:
        S.upsert_targets(db, [
            S.TargetInput("销售额", "2026-Q4", 1000.0),
            S.TargetInput("销售额", "2026-Q5", 1000.0),
            S.TargetInput("没有这个指标", "2026-10", 1.0),
            S.TargetInput("销售额", "2026-11", float("inf")),
            S.TargetInput("销售额", "2026-12"),
        ])
    codes = {(i, code) for i, code, _ in error.value.errors}
    assert codes == {(1, "bad_period"), (2, "unknown_metric"), (3, "bad_value"), (4, "value_required")}
    assert S.list_targets(db).empty


def test_plus_20_percent_on_last_year_is_resolved_to_a_number(db, tmp_path):
    load_csv(db, tmp_path, "q3.csv", Q3)
    S.upsert_targets(db, [S.TargetInput("销售额", "2026-Q3", None, {"区域": "华东"}, vs_last_year=0.20, owner="李四",
                                        deadline=D(2026, 9, 30))])
    stored = S.list_targets(db).iloc[0]
    # 华东 Q3 2025: 200 + 300 + 500 = 1000 → +20% = 1200
    assert stored["value"] == pytest.approx(1200.0)
    assert (stored["basis"], stored["basis_pct"], stored["basis_value"]) == ("yoy", pytest.approx(0.2), pytest.approx(1000.0))
    assert row(S.scorecard(db, "2026-Q3", by="区域"), "销售额", "华东").attainment == pytest.approx(0.9)  # 1080 / 1200
    owners = S.owner_scorecards(db, "2026-Q3")
    assert [o.owner for o in owners] == ["李四"] and owners[0].overall == pytest.approx(0.9)
    with pytest.raises(S.TargetError) as error:  # nothing in Q1 2025
        S.upsert_targets(db, [S.TargetInput("销售额", "2026-Q1", None, vs_last_year=0.2)])
    assert error.value.errors[0][1] == "no_last_year"
    assert S.apply_change(-100.0, 0.2) == pytest.approx(-80.0)  # a loss 20% smaller


def test_owner_on_an_imported_plan_keeps_the_plan(db, tmp_path):
    load_csv(db, tmp_path, "q3.csv", Q3)
    load_csv(db, tmp_path, "plan.csv", PLAN)
    S.upsert_targets(db, [S.TargetInput("销售额", "2026-08", None, {"区域": "华东"}, owner="王五", source="import")])
    east = row(S.scorecard(db, "2026-08", by="区域"), "销售额", "华东")
    assert (east.plan, east.target_source, east.owner) == (400.0, "import", "王五")
    assert [o.owner for o in S.owner_scorecards(db, "2026-08")] == ["王五"]


def test_parse_target_text_in_the_metrics_unit():
    assert S.parse_target_text("1200万", "万元") == pytest.approx(1200.0)
    assert S.parse_target_text("1,200", "万元") == pytest.approx(1200.0)
    assert S.parse_target_text("1.2亿", "万元") == pytest.approx(12000.0)
    assert S.parse_target_text("15%", "%") == pytest.approx(0.15)
    assert S.parse_target_text("15", "%") == pytest.approx(0.15)
    assert S.parse_target_text("0.15", "%") == pytest.approx(0.15)
    assert S.parse_target_text("", "%") is None
    with pytest.raises(ValueError):
        S.parse_target_text("lots", "万元")


# =========================================================================== export


def test_outcome_table_export_neutralises_formulas(db, tmp_path):
    load_csv(db, tmp_path, "evil.csv", """月份,区域,销售额(万元)
2026-08,=HYPERLINK("http://x"),90
2026-08,@SUM(A1),50
""")
    S.upsert_targets(db, [S.TargetInput("销售额", "2026-08", 100.0, {"区域": '=HYPERLINK("http://x")'}),
                          S.TargetInput("销售额", "2026-08", 50.0, {"区域": "@SUM(A1)"})])
    card = S.scorecard(db, "2026-08", by="区域")
    text = S.outcome_csv(card, "zh").decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["目标指标", "计划值", "实际值", "达成率", "偏差原因", "经验/教训"]
    cells = {r[0]: r for r in table[1:]}
    assert set(cells) == {"'=HYPERLINK(\"http://x\") · 销售额（万元）", "'@SUM(A1) · 销售额（万元）"}
    assert cells["'=HYPERLINK(\"http://x\") · 销售额（万元）"][1:4] == ["100", "90", "90.0%"]
    assert all(r[4] == "" and r[5] == "" for r in table[1:])

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(S.outcome_xlsx(card, "en")))
    ws = wb.active
    assert [c.value for c in ws[1]] == ["Target metric", "Plan", "Actual", "Attainment", "Cause of deviation", "Lesson"]
    firsts = [ws.cell(r, 1) for r in range(2, ws.max_row + 1)]
    assert all(c.data_type == "s" and c.value.startswith("'") for c in firsts)
    numbers = {ws.cell(r, 1).value: (ws.cell(r, 2).value, ws.cell(r, 3).value, ws.cell(r, 4).value) for r in range(2, ws.max_row + 1)}
    assert numbers["'@SUM(A1) · 销售额 (10k CNY)"] == (50, 50, pytest.approx(1.0))


# =========================================================================== properties


@given(
    plan=st.floats(min_value=0.01, max_value=1e9, allow_nan=False),
    a1=st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    a2=st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
)
def test_attainment_rises_with_actual_when_higher_is_better(plan, a1, a2):
    lo, hi = sorted((a1, a2))
    att_lo, att_hi = S.attainment(lo, plan, "up"), S.attainment(hi, plan, "up")
    assert att_lo.value <= att_hi.value
    assert S.kpi_score(att_lo) <= S.kpi_score(att_hi)


@given(
    plan=st.floats(min_value=0.01, max_value=1e9, allow_nan=False),
    a1=st.floats(min_value=0.0, max_value=1e9, allow_nan=False),
    a2=st.floats(min_value=0.0, max_value=1e9, allow_nan=False),
)
def test_attainment_falls_with_actual_when_lower_is_better(plan, a1, a2):
    lo, hi = sorted((a1, a2))
    att_lo, att_hi = S.attainment(lo, plan, "down"), S.attainment(hi, plan, "down")
    if lo > 0:
        assert att_lo.value >= att_hi.value
    # Scores too, including an actual of 0 (better than any plan: the cap).
    assert S.kpi_score(att_lo) >= S.kpi_score(att_hi)
    rank = {"green": 2, "amber": 1, "red": 0}
    assert rank[S.status(att_lo)] >= rank[S.status(att_hi)]


@given(st.lists(st.tuples(st.floats(min_value=-5, max_value=5, allow_nan=False),
                          st.floats(min_value=0.001, max_value=1000, allow_nan=False)), min_size=1, max_size=20),
       st.floats(min_value=1.0, max_value=3.0))
def test_overall_score_lies_between_the_capped_kpi_scores(items, cap):
    scores = [(min(max(a, 0.0), cap), w) for a, w in items]
    overall = S.overall_score(scores)
    assert min(s for s, _ in scores) - 1e-9 <= overall <= max(s for s, _ in scores) + 1e-9
    assert 0.0 <= overall <= cap + 1e-9


def test_an_over_achiever_lifts_the_overall_but_never_turns_it_green_past_a_red_kpi():
    """Issue 17: a red KPI (85.8%) and one at 119.6% added to three at 96.3% raise the overall,
    (3 × 96.3 + 85.8 + 119.6) / 5 = 98.86%: the number averages. The status keeps the red visible."""
    before = [(0.963, 1.0)] * 3
    after = [*before, (S.kpi_score(S.attainment(85.8, 100)), 1.0), (S.kpi_score(S.attainment(119.6, 100)), 1.0)]
    assert S.overall_score(before) == pytest.approx(0.963)
    assert S.overall_score(after) == pytest.approx(0.9886)
    assert S.status(S.attainment(85.8, 100)) == "red"
    assert S.overall_status(S.overall_score(after), ["amber"] * 3 + ["red", "green"]) == "amber"
    # at or past 100% the overall is green only without a red KPI; below its bands hold as for a KPI
    assert S.overall_status(1.02, ["green", "red"]) == "amber"
    assert S.overall_status(1.02, ["green", "amber", "no_target"]) == "green"
    assert S.overall_status(0.95, ["red", "green"]) == "amber"
    assert S.overall_status(0.85, ["green"]) == "red"
    assert S.overall_status(None, ["red"]) is None


def test_a_scorecard_reads_every_kpis_series_in_one_batch(db, tmp_path, monkeypatch):
    """Each KPI read its actual, its months and its imported plan's months, quarters and year in
    queries of their own (five per KPI): the goals page took a second a period on the sample. The
    batch must give the same card as KPI-by-KPI reads."""
    from retro import metrics as M

    load_csv(db, tmp_path, "q3.csv", Q3)
    one_by_one = S.scorecard(db, "2026-Q3", by="区域")
    one_by_one_reads = []
    monkeypatch.setattr(S, "_series_maps", lambda db, keys: {})  # every series read where it is used
    real = M.series_many
    monkeypatch.setattr(M, "series_many", lambda db, requests: one_by_one_reads.append(len(requests)) or real(db, requests))
    assert S.scorecard(db, "2026-Q3", by="区域") == one_by_one
    monkeypatch.undo()
    batches = []
    monkeypatch.setattr(M, "series_many", lambda db, requests: batches.append(len(requests)) or real(db, requests))
    card = S.scorecard(db, "2026-Q3", by="区域")
    assert card == one_by_one
    kpis = len({r.metric for r in card.rows})
    assert len(batches) == 1 and batches[0] >= 2 * kpis, batches  # an actual and its months per KPI at least
    assert len(one_by_one_reads) >= 2 * kpis
