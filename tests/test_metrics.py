"""The metric layer against hand-computed values (issue 3's correctness list)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import load_csv  # noqa: E402 - shared fixtures and helpers

from retro import metrics as M

D = dt.date


def row(frame: pd.DataFrame, period: dt.date, segment: str = "") -> pd.Series:
    hit = frame[(frame["period"] == period) & (frame["segment"] == segment)]
    assert len(hit) == 1, frame
    return hit.iloc[0]


SALES = """月份,区域,销售额(万元),留存率,成本(万元)
2025-01,华东,100,0.80,50
2025-01,华南,50,0.60,20
2025-11,华东,110,0.82,55
2025-11,华南,55,0.62,22
2025-12,华东,120,0.84,60
2025-12,华南,60,0.64,24
2026-01,华东,90,0.70,66
2026-01,华南,66,0.68,30
2026-02,华东,99,0.72,45
2026-02,华南,,0.70,25
2026-04,华东,80,0.74,40
2026-04,华南,40,0.72,20
"""


def test_mom_and_yoy_across_the_year_boundary(db, tmp_path):
    load_csv(db, tmp_path, "sales.csv", SALES)
    frame = M.series(db, "销售额")
    jan = row(frame, D(2026, 1, 1))
    assert jan["value"] == pytest.approx(156)  # 90 + 66
    assert jan["prev"] == pytest.approx(180)  # December 2025: 120 + 60
    assert jan["mom"] == pytest.approx(156 / 180 - 1)
    assert jan["last_year"] == pytest.approx(150)  # January 2025: 100 + 50
    assert jan["yoy"] == pytest.approx(156 / 150 - 1)


def test_a_missing_month_is_missing_not_zero_and_not_the_row_before(db, tmp_path):
    load_csv(db, tmp_path, "sales.csv", SALES)
    frame = M.series(db, "销售额")
    april = row(frame, D(2026, 4, 1))
    assert pd.isna(april["prev"]) and pd.isna(april["mom"])  # March has no data: no MoM
    # 华南 February is blank: the total is 华东's 99 alone, not 99 + 0 reported as a fall
    by_region = M.series(db, "销售额", by="区域")
    assert D(2026, 2, 1) not in set(by_region[by_region["segment"] == "华南"]["period"]) or pd.isna(
        row(by_region, D(2026, 2, 1), "华南")["value"]
    )


def test_rates_are_averaged_never_summed(db, tmp_path):
    load_csv(db, tmp_path, "sales.csv", SALES)
    assert M.get_metric(db, "留存率").aggregation == "avg"
    frame = M.series(db, "留存率")
    assert row(frame, D(2026, 1, 1))["value"] == pytest.approx((0.70 + 0.68) / 2)


def test_quarter_of_a_rate_is_the_average_of_its_months_and_segments(db, tmp_path):
    load_csv(db, tmp_path, "sales.csv", SALES)
    q4 = row(M.series(db, "留存率", grain="quarter"), D(2025, 10, 1))
    assert q4["value"] == pytest.approx((0.82 + 0.62 + 0.84 + 0.64) / 4)
    q4_sales = row(M.series(db, "销售额", grain="quarter"), D(2025, 10, 1))
    assert q4_sales["value"] == pytest.approx(110 + 55 + 120 + 60)
    assert q4_sales["months"] == 2 and not q4_sales["complete"]  # October missing: a partial quarter


def test_a_quarter_or_year_counts_its_distinct_months_on_either_read(db, tmp_path):
    """January and March of a quarter, in two segments each: two months (not four rows, not three
    months), so the quarter is partial; the same from the rollup and from the scan of the facts (a
    filter on three dimensions at once is read from the facts)."""
    lines = ["月份,区域,渠道,产品,销售额"]
    for month in ("2026-01", "2026-03"):
        for region in ("华东", "华南"):
            lines.append(f"{month},{region},线上,A,10")
    lines += ["2025-10,华东,线上,A,5", "2025-11,华东,线上,A,5", "2025-12,华东,线上,A,5"]
    load_csv(db, tmp_path, "gaps.csv", "\n".join(lines) + "\n")
    everyone = {"区域": ["华东", "华南"], "渠道": ["线上"], "产品": ["A"]}
    for filters in (None, everyone):
        q1 = row(M.series(db, "销售额", grain="quarter", filters=filters), D(2026, 1, 1))
        assert (q1["value"], q1["months"], q1["complete"]) == (40, 2, False)
        q4 = row(M.series(db, "销售额", grain="quarter", filters=filters), D(2025, 10, 1))
        assert (q4["months"], q4["complete"]) == (3, True)
        year = row(M.series(db, "销售额", grain="year", filters=filters), D(2026, 1, 1))
        assert (year["months"], year["complete"]) == (2, False)


def test_filters_and_breakdown(db, tmp_path):
    load_csv(db, tmp_path, "sales.csv", SALES)
    east = M.series(db, "销售额", filters={"区域": ["华东"]})
    assert row(east, D(2026, 1, 1))["value"] == pytest.approx(90)
    split = M.breakdown(db, "销售额", D(2026, 1, 1), "区域")
    by = split.set_index("segment")
    assert by.loc["华东", "change"] == pytest.approx(90 - 120)
    assert by.loc["华南", "change"] == pytest.approx(66 - 60)
    # the total fell by 24; 华东's −30 explains 125% of it, 华南's +6 offsets −25%
    assert by.loc["华东", "contribution"] == pytest.approx(-30 / -24)
    assert by.loc["华南", "contribution"] == pytest.approx(6 / -24)
    assert by.loc["华东", "share"] == pytest.approx(90 / 156)
    up, down = M.movers(split)
    assert list(up["segment"]) == ["华南"] and list(down["segment"]) == ["华东"]


def test_contribution_is_not_given_for_rates(db, tmp_path):
    load_csv(db, tmp_path, "sales.csv", SALES)
    split = M.breakdown(db, "留存率", D(2026, 1, 1), "区域")
    assert split["contribution"].isna().all() and split["share"].isna().all()


def test_direction_colours_a_rising_cost_red(db, tmp_path):
    load_csv(db, tmp_path, "sales.csv", SALES)
    assert M.get_metric(db, "成本").direction == "down"
    card = M.kpi_card(db, "成本", D(2026, 1, 1))
    assert card.mom == pytest.approx(96 / 84 - 1)  # cost rose
    assert card.tone(card.mom) == "bad"
    sales = M.kpi_card(db, "销售额", D(2026, 1, 1))
    assert sales.tone(sales.mom) == "bad" and sales.tone(0.1) == "good"


def test_year_to_date_sums_amounts_and_averages_rates(db, tmp_path):
    load_csv(db, tmp_path, "sales.csv", SALES)
    assert M.kpi_card(db, "销售额", D(2026, 2, 1)).ytd == pytest.approx(156 + 99)
    assert M.kpi_card(db, "留存率", D(2026, 2, 1)).ytd == pytest.approx(((0.70 + 0.68) / 2 + (0.72 + 0.70) / 2) / 2)


def test_derived_ratio_is_computed_from_totals_not_averaged(db, tmp_path):
    load_csv(db, tmp_path, "sales.csv", SALES)
    M.define_derived(db, "成本率", "ratio", "成本", "销售额")
    value = row(M.series(db, "成本率"), D(2026, 1, 1))["value"]
    assert value == pytest.approx((66 + 30) / (90 + 66))  # not the mean of 66/90 and 30/66
    M.define_derived(db, "毛利", "difference", "销售额", "成本")
    assert row(M.series(db, "毛利"), D(2026, 1, 1))["value"] == pytest.approx(156 - 96)
    with pytest.raises(ValueError):
        M.define_derived(db, "坏的", "ratio", "成本", None)
    assert "坏的" not in {m.name for m in M.catalog(db)}


def test_merged_metrics_count_as_one(db, tmp_path):
    load_csv(db, tmp_path, "a.csv", "月份,区域,销售额\n2026-01,华东,10\n")
    load_csv(db, tmp_path, "b.csv", "月份,区域,营收\n2026-02,华东,12\n")
    M.merge_metrics(db, "营收", "销售额")
    frame = M.series(db, "销售额")
    assert list(frame["value"]) == [10, 12]
    assert row(frame, D(2026, 2, 1))["mom"] == pytest.approx(0.2)
    assert "营收" not in {m.name for m in M.catalog(db)}


TX = """订单号,下单日期,客户ID,区域,金额(元)
O1,2026-01-05,C001,华东,100
O2,2026-01-09,C002,华南,50
O3,2026-02-03,C001,华南,70
O4,2026-02-15,C003,华东,30
O5,2026-03-02,C001,华东,20
O6,2026-03-20,C002,华南,10
""" + "".join(f"O{i},2026-03-{i % 27 + 1:02d},C1{i:02d},华北,1\n" for i in range(7, 40))


def test_distinct_customers_are_not_summed_across_segments(db, tmp_path):
    load_csv(db, tmp_path, "orders.csv", TX)
    feb_total = row(M.series(db, "客户数"), D(2026, 2, 1))["value"]
    assert feb_total == 2  # C001 and C003
    by_region = M.series(db, "客户数", by="区域", filters={"区域": ["华东", "华南"]})
    jan = by_region[by_region["period"] == D(2026, 1, 1)].set_index("segment")["value"]
    assert dict(jan) == {"华东": 1, "华南": 1}
    quarter = row(M.series(db, "客户数", grain="quarter", filters={"区域": ["华东", "华南"]}), D(2026, 1, 1))
    assert quarter["value"] == 3  # C001, C002, C003 once each, though C001 bought in both regions
    new = M.series(db, "新客户数", filters={"区域": ["华东", "华南"]}).set_index("period")["value"]
    assert dict(new) == {D(2026, 1, 1): 2, D(2026, 2, 1): 1, D(2026, 3, 1): 0}  # March: only returning ones
    returning = row(M.series(db, "回头客户数"), D(2026, 3, 1))["value"]
    assert returning == 2  # C001, C002
    assert row(M.series(db, "金额"), D(2026, 1, 1))["value"] == pytest.approx(150)


def test_cohort_retention_on_a_hand_built_table(db, tmp_path):
    load_csv(db, tmp_path, "orders.csv", TX)
    c = M.cohorts(db).set_index(["cohort", "age"])
    jan = D(2026, 1, 1)
    assert c.loc[(jan, 0), "size"] == 2 and c.loc[(jan, 0), "retention"] == 1.0
    assert c.loc[(jan, 1), "active"] == 1  # C001 in February
    assert c.loc[(jan, 2), "active"] == 2  # C001 and C002 in March
    assert c.loc[(jan, 2), "retention"] == 1.0
    feb = D(2026, 2, 1)
    assert c.loc[(feb, 0), "size"] == 1 and (feb, 1) not in c.index  # C003 never came back


def test_a_cohort_is_the_months_new_customers_also_under_a_filter(db, tmp_path):
    """A cohort's size is 新客户数 of its month, filters or not: new means the first purchase in all the
    data (as 新客户数 counts it), not the first in the filtered slice. C001 first bought in 华东 in
    January; its February order in 华南 does not make it a new 华南 customer of February."""
    load_csv(db, tmp_path, "orders.csv", TX)
    south = {"区域": ["华南"]}
    c = M.cohorts(db, filters=south).set_index(["cohort", "age"])
    jan, feb = D(2026, 1, 1), D(2026, 2, 1)
    assert c.loc[(jan, 0), "size"] == 1  # C002 only
    assert (feb, 0) not in c.index  # nobody bought for the first time in 华南 in February
    assert c.loc[(jan, 2), "active"] == 1 and c.loc[(jan, 2), "retention"] == 1.0  # C002 back in March
    for filters in (None, south, {"区域": ["华东", "华南"]}, {"区域": ["华北"]}):
        sizes = M.cohorts(db, filters=filters).query("age == 0").set_index("cohort")["size"]
        new = M.series(db, "新客户数", filters=filters).set_index("period")["value"]
        assert dict(sizes) == {p: v for p, v in new.items() if v > 0}, filters


def test_anomaly_is_the_competitor_month_not_the_seasonal_peak(db, tmp_path):
    """Two years of a December peak, and one August that falls off a cliff."""
    lines = ["月份,销售额"]
    for year in (2024, 2025, 2026):
        for month in range(1, 13):
            if year == 2026 and month > 10:
                break
            value = 100 * (1.01 ** ((year - 2024) * 12 + month)) * (1.5 if month == 12 else 1.0)
            if (year, month) == (2026, 8):
                value *= 0.7
            lines.append(f"{year}-{month:02d},{value:.2f}")
    load_csv(db, tmp_path, "s.csv", "\n".join(lines) + "\n")
    found = M.anomalies(M.series(db, "销售额"))
    # The first December has no year of history to call it seasonal; the second one does.
    assert list(found["period"]) == [D(2024, 12, 1), D(2026, 8, 1)]
    assert list(found["reason"]) == ["zscore", "yoy"]


def test_anomaly_rows_are_the_anomalies_frame_as_rows(db, tmp_path):
    """What the trends page reads (rows) and what the frame says are the same points, cells and order,
    for a segmented series with a MoM threshold too."""
    lines = ["月份,区域,销售额"]
    for region, base in (("华东", 100.0), ("华南", 80.0)):
        for i in range(30):
            year, month = 2024 + i // 12, i % 12 + 1
            value = base * (1.02 ** i) * (0.5 if (region, i) in (("华东", 20), ("华南", 25)) else 1.0)
            lines.append(f"{year}-{month:02d},{region},{value:.2f}")
    load_csv(db, tmp_path, "r.csv", "\n".join(lines) + "\n")
    frame = M.series(db, "销售额", by="区域")

    def plain(row: dict) -> dict:  # NaN compares unequal to itself: both sides say None
        return {k: None if isinstance(v, float) and v != v else v for k, v in row.items()}

    for kw, reasons in (({}, {"zscore", "yoy"}), ({"z": 2.0, "mom_threshold": 0.1}, {"zscore", "yoy", "mom"})):
        found, rows = M.anomalies(frame, **kw), M.anomaly_rows(frame, **kw)
        assert {r["reason"] for r in rows} <= reasons and {r["segment"] for r in rows} == {"华东", "华南"}
        assert [plain(r) for r in rows] == [plain(r) for r in found.to_dict("records")]
    assert M.anomaly_rows(frame.iloc[0:0]) == []


def test_trailing_window_statistics_match_pandas_rolling_per_segment():
    """The anomaly check's history (mean, sample sd and count of the 12 rows before, per segment)
    equals pandas' grouped rolling window over the shifted values, with gaps and missing values."""
    import numpy as np

    rng = np.random.default_rng(7)
    for size in (1, 5, 40, 300):
        segments = np.sort(rng.choice(["", "华东", "华南", "西北"], size=size))
        values = rng.normal(100, 30, size=size)
        values[rng.random(size) < 0.2] = np.nan
        frame = pd.DataFrame({"segment": segments, "value": values})
        past = frame.groupby("segment", sort=False)["value"].shift(1)
        rolling = past.groupby(frame["segment"], sort=False).rolling(12, min_periods=1)
        want_mean = rolling.mean().reset_index(level=0, drop=True).sort_index().to_numpy()
        want_sd = rolling.std().reset_index(level=0, drop=True).sort_index().to_numpy()
        want_n = rolling.count().reset_index(level=0, drop=True).sort_index().to_numpy()
        mean, sd, n = M._trailing_stats(values, pd.factorize(frame["segment"])[0], 12)
        np.testing.assert_allclose(mean, want_mean, rtol=1e-9, equal_nan=True)
        np.testing.assert_allclose(sd, want_sd, rtol=1e-9, equal_nan=True)
        np.testing.assert_array_equal(n, want_n)


def test_annotations_are_kept_and_read_back(db, tmp_path):
    load_csv(db, tmp_path, "sales.csv", SALES)
    note = M.add_annotation(db, "销售额", D(2026, 1, 1), "促销活动上线", author="editor")
    notes = M.annotations(db, "销售额")
    assert list(notes["text"]) == ["促销活动上线"] and notes.iloc[0]["period"] == D(2026, 1, 1)
    with pytest.raises(ValueError):
        M.add_annotation(db, "销售额", D(2026, 1, 1), "   ")
    M.delete_annotation(db, note)
    assert M.annotations(db, "销售额").empty


def test_editing_the_catalog(db, tmp_path):
    load_csv(db, tmp_path, "sales.csv", SALES)
    version = db.data_version()
    M.update_metric(db, "销售额", label_en="Sales", direction="up", hidden=False)
    assert M.get_metric(db, "销售额").label("en") == "Sales"
    assert M.get_metric(db, "销售额").label("zh") == "销售额"
    assert db.data_version() > version  # caches keyed on the version see the change
    with pytest.raises(ValueError):
        M.update_metric(db, "销售额", aggregation="median")
    with pytest.raises(ValueError):
        M.update_metric(db, "销售额", **{"name; DROP TABLE metrics": "x"})
    M.update_metric(db, "成本", hidden=True)
    assert "成本" not in {m.name for m in M.catalog(db)}


def test_guesses():
    assert M.guess_direction("获客成本") == "down" and M.guess_direction("流失率") == "down"
    assert M.guess_direction("投诉量") == "down" and M.guess_direction("新增客户") == "up"
    assert M.guess_aggregation("转化率", None) == "avg" and M.guess_aggregation("销售额", "万元") == "sum"
    assert M.guess_aggregation("满意度", None) == "avg" and M.guess_aggregation("客单价", "元") == "avg"
    assert M.guess_aggregation("获客成本", "元") == "avg"  # a cost per customer: summing months is meaningless
    assert M.guess_aggregation("成本", "万元") == "sum"
    assert M.guess_category("留存率") == "retention" and M.guess_category("销售额") == "revenue"
    assert M.guess_category("获客成本") == "cost" and M.guess_category("满意度") == "satisfaction"


def test_growth_metric_and_its_breakdown(db, tmp_path):
    load_csv(db, tmp_path, "sales.csv", SALES)
    M.define_derived(db, "销售增长率", "growth", "销售额")
    frame = M.series(db, "销售增长率")
    assert row(frame, D(2026, 1, 1))["value"] == pytest.approx(156 / 180 - 1)
    split = M.breakdown(db, "销售增长率", D(2026, 1, 1), "区域").set_index("segment")
    assert split.loc["华东", "value"] == pytest.approx(90 / 120 - 1)
    assert split.loc["华南", "value"] == pytest.approx(66 / 60 - 1)


def test_common_kpis_get_an_english_name_and_keep_their_own(db, tmp_path):
    load_csv(db, tmp_path, "sales.csv", SALES)
    sales = M.get_metric(db, "销售额")
    assert sales.label("en") == "Revenue" and sales.label("zh") == "销售额"
    M.update_metric(db, "销售额", label_en="Net sales")
    assert M.get_metric(db, "销售额").label("en") == "Net sales"


# --------------------------------------------------------------------------- the rollup (speed, same numbers)


def _scanned(monkeypatch, fn):
    """``fn()`` computed by scanning the facts, the rollup bypassed."""
    with monkeypatch.context() as patched:
        patched.setattr(M, "_rollup_sql", lambda *a, **kw: None)
        return fn()


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    key = [c for c in ("segment", "period") if c in a]
    pd.testing.assert_frame_equal(a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True),
                                  check_exact=False, rtol=1e-12)


def _rollup_stamps(db) -> set[tuple[str, str, str, int]]:
    return set(db.rows("SELECT metric, scenario, dimension, version FROM fact_rollup_built"))


def test_rollup_gives_the_numbers_the_scan_gives(db, tmp_path, monkeypatch):
    load_csv(db, tmp_path, "sales.csv", SALES)
    # quarter totals beside the months of 销售额 (the months win), and a metric kept by quarter only
    load_csv(db, tmp_path, "quarters.csv", "季度,区域,销售额(万元),线索数\n2026-Q1,华东,300,30\n2026-Q1,华南,150,12\n"
                                           "2025-Q4,华东,280,25\n")
    views = [
        *(lambda g=g, n=n, by=by: M.series(db, n, grain=g, by=by)
          for g in M.GRAINS for n in ("销售额", "线索数") for by in (None, "区域")),
        lambda: M.series(db, "销售额"),
        lambda: M.series(db, "销售额", by="区域"),
        lambda: M.series(db, "留存率", by="区域", grain="quarter"),
        lambda: M.series(db, "销售额", grain="year", filters={"区域": ["华南"]}),
        lambda: M.series(db, "成本", by="区域", filters={"区域": ["华东"]}, start=D(2026, 1, 1), end=D(2026, 4, 1)),
        lambda: M.series(db, "销售额", scenario="plan"),
        lambda: M.breakdown(db, "销售额", D(2026, 1, 1), "区域", compare="yoy"),
        lambda: M.breakdown(db, "留存率", D(2026, 2, 1), "区域"),
        lambda: M.kpi_card(db, "成本", D(2026, 2, 1)),
    ]
    for view in views:
        rolled, scanned = view(), _scanned(monkeypatch, view)
        if isinstance(rolled, pd.DataFrame):
            _same(rolled, scanned)
        else:  # a card: value, changes, year to date and sparkline
            assert (rolled.value, rolled.mom, rolled.yoy, rolled.ytd) == pytest.approx(
                (scanned.value, scanned.mom, scanned.yoy, scanned.ytd), nan_ok=True)
            assert [p for p, _ in rolled.spark] == [p for p, _ in scanned.spark]
            assert [v for _, v in rolled.spark] == pytest.approx([v for _, v in scanned.spark])
    version = db.data_version()
    # the views above read the rollup: the total and 区域 of each metric, stamped with this data version
    assert {("销售额", "actual", "", version), ("销售额", "actual", "区域", version),
            ("留存率", "actual", "区域", version)} <= _rollup_stamps(db)


PAIRS = """月份,区域,产品线,渠道,销售额(万元),留存率
2025-01,华东,企业版,直销,100,0.80
2025-01,华东,标准版,渠道,40,0.50
2025-01,华南,企业版,直销,50,0.60
2026-01,华东,企业版,直销,90,0.70
2026-01,华东,标准版,直销,30,0.40
2026-01,华南,标准版,渠道,66,0.68
2026-02,华东,企业版,渠道,99,0.72
2026-02,华南,企业版,直销,,0.70
2026-02,华南,标准版,渠道,20,0.30
"""


def test_a_filter_on_one_dimension_and_a_breakdown_by_another_read_the_pair_rollup(db, tmp_path, monkeypatch):
    load_csv(db, tmp_path, "pairs.csv", PAIRS)
    views = [
        lambda: M.series(db, "销售额", by="产品线", filters={"区域": ["华东"]}),
        lambda: M.series(db, "销售额", by="区域", filters={"产品线": ["标准版"]}, grain="quarter"),
        lambda: M.series(db, "留存率", by="产品线", filters={"区域": ["华南"]}),
        lambda: M.series(db, "销售额", filters={"区域": ["华东", "华南"], "产品线": ["企业版"]}, grain="year"),
        lambda: M.series(db, "销售额", by="产品线", filters={"区域": ["华东"], "产品线": ["企业版"]}),
        lambda: M.breakdown(db, "销售额", D(2026, 1, 1), "产品线", filters={"区域": ["华东"]}, compare="yoy"),
        lambda: M.series(db, "销售额", by="渠道", filters={"区域": ["华东"], "产品线": ["企业版"]}),  # three: scanned
    ]
    for view in views:
        _same(view(), _scanned(monkeypatch, view))
    # hand-checked: 华东 by product line, January 2026 against January 2025
    east = M.series(db, "销售额", by="产品线", filters={"区域": ["华东"]})
    assert row(east, D(2026, 1, 1), "企业版")["value"] == pytest.approx(90)
    assert row(east, D(2026, 1, 1), "企业版")["yoy"] == pytest.approx(-0.1)
    assert row(east, D(2026, 1, 1), "标准版")["value"] == pytest.approx(30)
    # a rate is averaged over the stored values of the slice, never summed: 华南 标准版 (0.68 + 0.30) / 2 in no month
    south = M.series(db, "留存率", by="产品线", filters={"区域": ["华南"]})
    assert row(south, D(2026, 2, 1), "标准版")["value"] == pytest.approx(0.30)
    assert row(south, D(2026, 2, 1), "企业版")["value"] == pytest.approx(0.70)
    version = db.data_version()
    stamps = _rollup_stamps(db)
    assert ("销售额", "actual", M.PAIR_SEP.join(["产品线", "区域"]), version) in stamps
    assert ("留存率", "actual", M.PAIR_SEP.join(["产品线", "区域"]), version) in stamps
    assert not any(d.count(M.PAIR_SEP) > 1 for _, _, d, _ in stamps)  # three dimensions are never rolled up


def test_rollup_follows_an_import_and_its_undo(db, tmp_path):
    from retro.ingest import import_history, undo_import

    load_csv(db, tmp_path, "sales.csv", SALES)
    assert row(M.series(db, "销售额"), D(2026, 1, 1))["value"] == pytest.approx(156)
    assert row(M.series(db, "销售额", by="区域"), D(2026, 1, 1), "华东")["value"] == pytest.approx(90)
    # a corrected January for 华东 replaces the stored 90, and a new region appears
    load_csv(db, tmp_path, "fix.csv", "月份,区域,销售额(万元)\n2026-01,华东,200\n2026-01,西南,10\n")
    assert row(M.series(db, "销售额"), D(2026, 1, 1))["value"] == pytest.approx(200 + 66 + 10)
    by_region = M.series(db, "销售额", by="区域")
    assert row(by_region, D(2026, 1, 1), "华东")["value"] == pytest.approx(200)
    assert row(by_region, D(2026, 1, 1), "西南")["value"] == pytest.approx(10)
    assert M.breakdown(db, "销售额", D(2026, 1, 1), "区域").set_index("segment")["value"].to_dict() == pytest.approx(
        {"华东": 200, "华南": 66, "西南": 10})
    # undo: the 90 comes back, 西南 is gone, and nothing of the correction survives in the rollup's answers
    latest = int(import_history(db)["id"].max())
    assert undo_import(db, latest)
    assert row(M.series(db, "销售额"), D(2026, 1, 1))["value"] == pytest.approx(156)
    by_region = M.series(db, "销售额", by="区域")
    assert row(by_region, D(2026, 1, 1), "华东")["value"] == pytest.approx(90)
    assert "西南" not in set(by_region["segment"])
    assert M.series(db, "销售额", filters={"区域": ["西南"]}).empty
    assert ("销售额", "actual", "区域", db.data_version()) in _rollup_stamps(db)


def test_a_rollup_built_for_an_older_data_version_is_never_read(db, tmp_path):
    load_csv(db, tmp_path, "sales.csv", SALES)
    assert row(M.series(db, "销售额"), D(2026, 1, 1))["value"] == pytest.approx(156)
    # Corrupt the built rollup, then make any write (a note): the stamp is now old, so the
    # rollup is rebuilt from the facts before it is read again.
    with db.transaction() as cur:
        cur.execute("UPDATE fact_rollup SET value_sum = -1")
    M.add_annotation(db, "销售额", D(2026, 1, 1), "note")
    assert row(M.series(db, "销售额"), D(2026, 1, 1))["value"] == pytest.approx(156)
    assert not db.rows("SELECT 1 FROM fact_rollup WHERE value_sum = -1 AND metric = '销售额' AND dimension = ''")


def test_a_read_only_database_scans_the_facts(db, tmp_path):
    from retro.db import Database

    load_csv(db, tmp_path, "sales.csv", SALES)
    expected = M.series(db, "销售额", by="区域")
    with db.transaction() as cur:  # as if nothing had been built yet
        cur.execute("DELETE FROM fact_rollup")
        cur.execute("DELETE FROM fact_rollup_built")
    db.close()
    reader = Database(tmp_path / "test.duckdb", read_only=True)
    try:
        _same(M.series(reader, "销售额", by="区域"), expected)
    finally:
        reader.close()


def test_key_metrics_are_the_chosen_one_then_one_per_other_key_category(db, tmp_path):
    load_csv(db, tmp_path, "sales.csv", SALES)
    catalog = M.catalog(db)
    assert {m.name: m.category for m in catalog if m.name in ("销售额", "留存率", "成本")} == {
        "销售额": "revenue", "留存率": "retention", "成本": "cost"}
    assert M.key_metrics("成本", catalog) == ["成本", "销售额", "留存率"]
    assert M.key_metrics("销售额", catalog) == ["销售额", "留存率", "成本"]


def test_many_series_in_one_query_are_each_the_series_alone(db, tmp_path):
    """The trends page fetches a view's series in one query: every kind of metric, grain, scenario,
    breakdown, filter and span must come back exactly as its own query gives it."""
    load_csv(db, tmp_path, "sales.csv", SALES)
    load_csv(db, tmp_path, "orders.csv", TX)
    load_csv(db, tmp_path, "plan.csv", "月份,区域,销售额计划(万元)\n2026-01,华东,95\n2026-02,华东,100\n")
    M.define_derived(db, "成本率", "ratio", "成本", "销售额")
    M.define_derived(db, "销售增长率", "growth", "销售额")
    east = (("区域", ("华东",)),)
    requests = [
        M.SeriesRequest("销售额"), M.SeriesRequest("销售额", "quarter"), M.SeriesRequest("销售额", "year"),
        M.SeriesRequest("留存率", "quarter", by="区域"), M.SeriesRequest("销售额", filters=east),
        M.SeriesRequest("销售额", scenario="plan"), M.SeriesRequest("成本率", by="区域"), M.SeriesRequest("销售增长率"),
        M.SeriesRequest("客户数", "quarter", filters=(("区域", ("华东", "华南")),)), M.SeriesRequest("新客户数"),
        M.SeriesRequest("客户数", scenario="plan"),  # transactions have no plan: empty, not an error
        M.SeriesRequest("销售额", start=D(2026, 1, 1), end=D(2026, 2, 1)),
        M.SeriesRequest("销售额", "quarter", by="区域", start=D(2026, 1, 1), end=D(2026, 1, 1)),
        # read alike, in one read of the rollup: a sum, a rate (averaged) and a sum again, and one twice
        M.SeriesRequest("留存率"), M.SeriesRequest("成本"), M.SeriesRequest("销售额"),
        M.SeriesRequest("留存率", filters=east), M.SeriesRequest("成本", filters=east),
    ]
    together = M.series_many(db, requests)
    assert len(together) == len(requests)
    for request, frame in zip(requests, together, strict=True):
        alone = M.series(db, request.metric, grain=request.grain, scenario=request.scenario, by=request.by,
                         filters={d: list(v) for d, v in request.filters}, start=request.start, end=request.end)
        pd.testing.assert_frame_equal(frame, alone, check_dtype=False, obj=str(request))
    assert together[10].empty
    assert row(together[13], D(2026, 1, 1))["value"] == pytest.approx((0.70 + 0.68) / 2)  # averaged, not summed
    assert row(together[14], D(2026, 1, 1))["value"] == pytest.approx(66 + 30)
    assert row(together[0], D(2026, 1, 1))["mom"] == pytest.approx(156 / 180 - 1)  # and right, not just alike
    assert list(together[11]["period"]) == [D(2026, 1, 1), D(2026, 2, 1)]
    assert row(together[11], D(2026, 1, 1))["last_year"] == pytest.approx(150)  # read from before the span
    assert M.series_many(db, []) == []


def test_breakdown_from_a_series_is_the_breakdown(db, tmp_path):
    """The page derives the breakdown from the segments' series it draws anyway: the same table as
    the breakdown's own query, ties in name order."""
    load_csv(db, tmp_path, "sales.csv", SALES)
    load_csv(db, tmp_path, "more.csv", "月份,区域,销售额(万元)\n2026-01,华北,66\n2025-12,华北,70\n")
    segments = M.series(db, "销售额", by="区域")
    for compare in ("mom", "yoy"):
        frame = M.breakdown_from_series(M.get_metric(db, "销售额"), segments, D(2026, 1, 1), compare=compare)
        assert frame.equals(M.breakdown(db, "销售额", D(2026, 1, 1), "区域", compare=compare))
    mom = M.breakdown_from_series(M.get_metric(db, "销售额"), segments, D(2026, 1, 1))
    assert list(mom["segment"]) == ["华东", "华北", "华南"]  # 华北 and 华南 both 66: by name
    assert mom.set_index("segment").loc["华东", "base"] == pytest.approx(120)
    assert mom["change"].sum() == pytest.approx(222 - 250)
    assert mom.set_index("segment").loc["华东", "contribution"] == pytest.approx(-30 / -28)


# --------------------------------------------------------------------------- defaults from meaning (issue 16)


def _workbook(path, sheets: dict[str, list[list]]):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def _import(db, path, **kw) -> int:
    from retro.ingest import analyze_bytes, store_import

    analysis = analyze_bytes(db, path.read_bytes(), path.name)
    assert analysis.ready(), [s.error for s in analysis.sheets]
    return store_import(db, analysis, **kw).import_id


# A P&L exported as a long table: seven expense accounts whose names say nothing about cost, one
# account of the cost of goods sold, and a revenue account; the account group says which is which.
EXPENSES = ("Travel", "Postage", "Staff", "Stationery", "Telephony", "Training", "Motor Vehicle")


def _pnl(tmp_path, months=(1, 2, 3), name="pnl.xlsx"):
    rows = [["月份", "Account Group", "Account", "Actual"]]
    for m in months:
        rows += [[f"2026-{m:02d}", "Expenses", account, 100.0 * (i + 1) + m] for i, account in enumerate(EXPENSES)]
        rows += [[f"2026-{m:02d}", "Cost of Goods Sold", "Freight", 80.0 + m],
                 [f"2026-{m:02d}", "Revenue", "Consultancy Income", 2000.0 + m]]
    return _workbook(tmp_path / name, {"P&L": rows})


def _kpis(tmp_path, months=(1, 2, 3), name="kpi.xlsx", bump=0.0):
    header = ["月份", "区域", "管理费用(万元)", "获客成本(元)", "退款金额(元)", "投诉量", "流失率", "付费用户数",
              "成本节约(万元)", "客单价(元)", "Cost per lead"]
    rows = [header]
    for m in months:
        for r in ("华东", "华南"):
            rows.append([f"2026-{m:02d}", r, 10 + m + bump, 80, 5, 3, 0.05, 1000, 2, 150, 12])
    return _workbook(tmp_path / name, {"KPI": rows})


def test_costs_expenses_and_complaints_default_to_lower_is_better_and_say_why(db, tmp_path):
    _import(db, _pnl(tmp_path))
    _import(db, _kpis(tmp_path))
    by_name = {m.name: m for m in M.catalog(db)}
    for account in EXPENSES:  # the issue: these were 'higher is better', so rising costs showed green
        m = by_name[account]
        assert (m.direction, m.category) == ("down", "cost"), account
        assert m.why("direction") == M.Reason("dims", "Expenses", "Account Group")
    assert by_name["Freight"].why("direction") == M.Reason("dims", "Cost of Goods Sold", "Account Group")
    assert (by_name["Consultancy Income"].direction, by_name["Consultancy Income"].why("direction")) == (
        "up", M.Reason("name", "Income"))
    expected = {  # name → (direction, the word that decided it)
        "管理费用": ("down", "费用"), "获客成本": ("down", "获客成本"), "退款金额": ("down", "退款"),
        "投诉量": ("down", "投诉"), "流失率": ("down", "流失"), "Cost per lead": ("down", "Cost"),
        "成本节约": ("up", "节约"),  # saving on a cost is better high
        "付费用户数": ("up", "用户数"),  # 付费 is paying, not a fee
    }
    for name, (direction, word) in expected.items():
        assert (by_name[name].direction, by_name[name].why("direction")) == (direction, M.Reason("name", word)), name
    assert by_name["客单价"].why("direction") == M.Reason("default")
    # rates, prices and amounts per unit are averaged; amounts are summed
    assert {n: by_name[n].aggregation for n in ("流失率", "客单价", "获客成本", "Cost per lead", "管理费用", "Travel")} == {
        "流失率": "avg", "客单价": "avg", "获客成本": "avg", "Cost per lead": "avg", "管理费用": "sum", "Travel": "sum"}
    assert by_name["流失率"].why("aggregation") == M.Reason("name", "率")
    assert by_name["Travel"].why("aggregation") == M.Reason("default")
    # what the direction is for: a rising expense is bad
    card = M.kpi_card(db, "Travel", D(2026, 3, 1))
    assert card.mom > 0 and card.tone(card.mom) == "bad"


def test_more_meanings_of_better_low_and_averaged():
    for name in ("水费", "Merchant Fees", "COGS", "Less: Discounts", "Administrative Overheads", "差错率", "逾期账款",
                 "Returns", "Call Drop Rate", "Ad spend", "Defects"):
        assert M.guess_direction(name) == "down", name
    for name in ("Returning customers", "Return on ad spend", "会员费收入", "消费金额", "成本降低额", "Gross Profit"):
        assert M.guess_direction(name) == "up", name
    assert M.guess_category("会员费收入") == "revenue" and M.guess_category("差旅费") == "cost"
    for name in ("日均销售额", "Unit price", "Average handle time", "ROI", "满意度指数"):
        assert M.guess_aggregation(name, None) == "avg", name
    assert M.guess_aggregation("人力成本", "元/人") == "avg"  # an amount per person
    assert M.explain_aggregation("人力成本", "元/人")[1] == M.Reason("unit", "元/人")
    assert M.guess_aggregation("Deal Value", "$") == "sum"


def test_a_users_setting_wins_over_every_later_import(db, tmp_path):
    _import(db, _kpis(tmp_path))
    M.update_metric(db, "管理费用", direction="up", aggregation="avg")
    M.update_metric(db, "投诉量", label_en="Complaints (count)")
    # the next months, and a corrected file replacing the first one's months
    _import(db, _kpis(tmp_path, months=(4, 5), name="kpi_next.xlsx"))
    latest = _import(db, _kpis(tmp_path, name="kpi_fixed.xlsx", bump=1.0))
    from retro.ingest import undo_import

    assert undo_import(db, latest)
    cost = M.get_metric(db, "管理费用")
    assert (cost.direction, cost.aggregation) == ("up", "avg")
    assert cost.why("direction") == M.Reason("user") and cost.why("aggregation") == M.Reason("user")
    assert cost.why("category") == M.Reason("name", "费用")  # not set by the user: still the guess's reason
    assert M.get_metric(db, "投诉量").label_en == "Complaints (count)"
    assert M.get_metric(db, "投诉量").direction == "down"


def test_a_catalog_from_before_migration_9_takes_the_new_defaults_and_keeps_what_the_user_changed(db, tmp_path):
    """Rows written before the catalog recorded who set what: a value the old rules guessed is a
    default (the expense account turns 'lower is better'), any other value is the user's."""
    from retro.db import bump_version

    _import(db, _pnl(tmp_path))
    M.catalog(db)  # the catalog takes the names in on its first look
    with db.transaction() as cur:  # the rows as the old rules left them, and one the user changed
        cur.execute("UPDATE metrics SET user_set = NULL, reasons = NULL")
        cur.execute("UPDATE metrics SET direction = 'up', category = 'other' WHERE name = 'Travel'")
        cur.execute("UPDATE metrics SET direction = 'down', label_zh = '咨询收入' WHERE name = 'Consultancy Income'")
        bump_version(cur)
    travel, income = M.get_metric(db, "Travel"), M.get_metric(db, "Consultancy Income")
    assert (travel.direction, travel.category, travel.user_set) == ("down", "cost", ())
    assert travel.why("direction") == M.Reason("dims", "Expenses", "Account Group")
    assert (income.direction, income.label_zh) == ("down", "咨询收入")
    assert set(income.user_set) == {"direction", "label_zh"} and income.why("direction") == M.Reason("kept")
    M.update_metric(db, "Consultancy Income", direction="up")
    assert M.get_metric(db, "Consultancy Income").why("direction") == M.Reason("user")


def test_every_reason_has_its_text():
    from retro.i18n import CATALOG

    codes = [c for c in M.REASON_CODES if c != "default"] + ["default_direction", "default_aggregation"]
    assert not [c for c in codes if f"metrics.why.{c}" not in CATALOG]


def test_dimension_values_of_one_metric_are_the_values_its_rows_have(db, tmp_path):
    load_csv(db, tmp_path, "sales.csv", SALES)
    load_csv(db, tmp_path, "west.csv", "月份,区域,退货率\n2026-01,西南,0.1\n2026-01,西北,0.2\n")
    assert M.dimension_values(db, "区域") == sorted(["华东", "华南", "西南", "西北"])
    assert M.dimension_values(db, "区域", "销售额") == ["华东", "华南"]
    assert M.dimension_values(db, "区域", "退货率") == ["西北", "西南"]


# --------------------------------------------------------------------------- like for like (issue 16)
# fixtures_build.build_region_error_cell: four regions' 销售额, 100 each in May, 112 each in June but
# 西南's June actual is #DIV/0! (stored empty). June 336 against May 400 would read −16%; on the three
# regions both months hold it is 336 against 300: +12%.


def test_mom_compares_the_regions_both_months_hold(late_region):
    frame = M.series(late_region, "销售额")
    june = row(frame, D(2026, 6, 1))
    assert june["value"] == pytest.approx(336)  # what is there, as stored
    assert june["prev"] == pytest.approx(300)  # May of the three regions June has
    assert june["mom"] == pytest.approx(336 / 300 - 1)  # +12%, not 336 / 400 − 1
    cover = june["cover_mom"]
    assert (cover.reported, cover.expected, cover.missing) == (3, 4, ("西南",))
    assert row(frame, D(2026, 5, 1))["cover_mom"] is None  # April and May hold the same: nothing said
    card = M.kpi_card(late_region, "销售额", D(2026, 6, 1))
    assert card.mom == pytest.approx(0.12) and card.mom_cover == cover and card.value_mom == pytest.approx(336)
    # The breakdown by region: 西南 has no June, the rest +12 each; the total's change is theirs.
    split = M.breakdown(late_region, "销售额", D(2026, 6, 1), "区域")
    assert list(split["segment"]) == ["华东", "华北", "华南"]
    assert split["change"].sum() == pytest.approx(36)
    # The rollup and the scan of the facts (a filter on every region) agree.
    everyone = M.series(late_region, "销售额", filters={"区域": ["华东", "华北", "华南", "西南"]})
    assert row(everyone, D(2026, 6, 1))["mom"] == pytest.approx(0.12)


def test_which_product_drove_the_change_is_not_a_region_that_did_not_report(db, tmp_path):
    # 西南's June 企业版 is blank: by product line, 企业版 must not "fall" by 西南's May.
    load_csv(db, tmp_path, "lines.csv", """月份,区域,产品线,销售额(万元)
2026-05,华东,企业版,100
2026-05,西南,企业版,100
2026-05,华东,标准版,100
2026-05,西南,标准版,100
2026-06,华东,企业版,110
2026-06,西南,企业版,
2026-06,华东,标准版,100
2026-06,西南,标准版,100
""")
    split = M.breakdown(db, "销售额", D(2026, 6, 1), "产品线").set_index("segment")
    assert split.loc["企业版", "base"] == pytest.approx(100)  # 华东's May only
    assert split.loc["企业版", "change"] == pytest.approx(10)  # +10, not 110 − 200 = −90
    assert split.loc["标准版", "change"] == pytest.approx(0)
    assert split.loc["企业版", "contribution"] == pytest.approx(1.0)  # all of the +10
    total = row(M.series(db, "销售额"), D(2026, 6, 1))
    assert (total["prev"], total["mom"]) == (pytest.approx(300), pytest.approx(10 / 300))
    assert total["cover_mom"].missing == ("企业版 · 西南",)  # its dimensions in name order: 产品线, 区域
    assert total["cover_mom"].noun == "产品线 × 区域"


def test_a_month_in_progress_is_compared_with_the_same_days(db, tmp_path):
    days = [f"2026-05-{d:02d}" for d in range(1, 32)] + [f"2026-06-{d:02d}" for d in range(1, 16)]
    load_csv(db, tmp_path, "days.csv", "\n".join(["区域,指标," + ",".join(days)] + [
        f"{r},销售额," + ",".join("10" for _ in days) for r in ("华东", "华南")]) + "\n")
    june = row(M.series(db, "销售额"), D(2026, 6, 1))
    assert june["value"] == pytest.approx(300) and june["prev"] == pytest.approx(300)  # May 1–15, not 620
    assert june["mom"] == pytest.approx(0.0)
    assert (june["cover_mom"].through_day, june["cover_mom"].days) == (15, 30)
    # A month stored whole cannot be cut at a day: no MoM against it rather than a false one.
    load_csv(db, tmp_path, "visits.csv", "月份,区域,访客数\n2026-05,华东,3100\n2026-05,华南,3100\n")
    load_csv(db, tmp_path, "visit_days.csv", "\n".join(
        ["区域,指标," + ",".join(days[31:])] + [f"{r},访客数," + ",".join("100" for _ in days[31:]) for r in ("华东", "华南")]) + "\n")
    M.merge_metrics(db, "访客数 · visit_days", "访客数")  # another grain: imported apart, one KPI all the same
    visits = row(M.series(db, "访客数"), D(2026, 6, 1))
    assert visits["value"] == pytest.approx(3000) and pd.isna(visits["mom"]) and pd.isna(visits["prev"])


def test_orders_of_a_month_in_progress_are_compared_with_the_same_days(db, tmp_path):
    lines, n = ["日期,订单号,客户,区域,金额"], 0
    for year, month, last in ((2025, 6, 30), (2026, 5, 31), (2026, 6, 15)):
        for day in range(1, last + 1):
            n += 1
            lines.append(f"{year}-{month:02d}-{day:02d},O{n},C{n % 5},华东,100")
    load_csv(db, tmp_path, "orders.csv", "\n".join(lines) + "\n")
    card = M.kpi_card(db, "订单数", D(2026, 6, 1))
    assert card.value == 15 and card.prev == pytest.approx(15)  # May 1–15, not all 31 days
    assert card.mom == pytest.approx(0.0) and card.mom_cover.through_day == 15
    assert card.last_year == pytest.approx(15) and card.yoy == pytest.approx(0.0)  # June 1–15 of 2025
    # Year to date like for like: June 2026 to the 15th against June 2025 to the 15th.
    assert card.ytd_compared == pytest.approx(15) and card.ytd_last_year == pytest.approx(15)


def test_the_cards_beside_a_metric_come_from_the_workbook_it_came_in_with(db):
    """A finance workbook's 营业收入 shows its own 成本 card, not another workbook's cost line."""
    from browser_support import sheet_bytes as book

    from retro.ingest import analyze_bytes, store_import

    store_import(db, analyze_bytes(db, book("门店", ["月份", "门店", "获客成本"], [["2026-01", "A", 30.0]]), "门店.xlsx"))
    store_import(db, analyze_bytes(db, book("财务", ["月份", "营业收入", "营业成本"], [["2026-01", 900.0, 600.0]]), "财务.xlsx"))
    catalog = M.catalog(db)
    together = M.metrics_together(db, "营业收入")
    assert together == {"营业收入", "营业成本"}
    cards = M.key_metrics("营业收入", catalog, together)
    assert "营业成本" in cards and "获客成本" not in cards, cards


@pytest.mark.parametrize(("name", "aggregation"), [
    # 'rate', 'ratio' and 'per ' inside other words made these sums averaged (a quarter of
    # Corporate sales showed the months' mean)
    ("Corporate sales", "sum"), ("Generated leads", "sum"), ("New registrations", "sum"),
    ("Call Duration", "sum"), ("Shopper visits", "sum"), ("Operations cost", "sum"),
    ("Conversion rate", "avg"), ("ConversionRate", "avg"), ("Call Drop Rate (%)", "avg"),
    ("Sales per store", "avg"), ("CSAT Score", "avg"), ("Unit price", "avg"), ("Total price", "sum"),
    ("客单价", "avg"), ("留存率", "avg"), ("销售额", "sum"),
])
def test_only_whole_words_make_a_metric_averaged(name, aggregation):
    assert M.guess_aggregation(name, None) == aggregation
