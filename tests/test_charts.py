"""retro.charts: the trends page's Altair charts, read through their Vega-Lite specs."""

from __future__ import annotations

import datetime as dt
import json

import altair as alt
import pandas as pd
import pytest

from retro import charts
from retro.i18n import t

PERIODS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


def _points(values=(100.0, 120.0, None, 130.0, 125.0, 150.0), last_year=(90.0, 95.0, 99.0, 101.0, 110.0, 120.0)):
    return pd.DataFrame({"period": PERIODS, "value": list(values), "last_year": list(last_year),
                         "complete": [True] * len(PERIODS)})


def _layers(chart) -> dict[str, dict]:
    """name → layer spec of a layered chart (every layer is named)."""
    spec = chart.to_dict()
    return {layer["name"]: layer for layer in spec["layer"]}


def _data(chart, layer: dict) -> list[dict]:
    """The rows a layer draws (its own data, else the chart's shared data)."""
    spec = chart.to_dict()
    data = layer.get("data") or spec["data"]
    return data["values"] if "values" in data else spec["datasets"][data["name"]]


def _all_strings(spec) -> str:
    return json.dumps(spec, ensure_ascii=False)


# --------------------------------------------------------------------------- the trend line


def test_trend_chart_has_only_the_actual_line_by_default():
    chart = charts.trend_chart(_points(), lang="zh", label="销售额", unit="万元")
    assert isinstance(chart, charts.Spec) and "layer" in chart.to_dict()
    layers = _layers(chart)
    assert set(layers) == {"line_actual"}
    actual = layers["line_actual"]
    assert actual["mark"]["type"] == "line"
    assert actual["encoding"]["x"]["field"] == "period" and actual["encoding"]["x"]["type"] == "ordinal"
    assert actual["encoding"]["x"]["scale"]["domain"] == PERIODS
    assert actual["encoding"]["y"]["field"] == "value"
    assert actual["encoding"]["y"]["title"] == "销售额（万元）"


def test_missing_period_is_a_gap_not_a_line_across_it():
    chart = charts.trend_chart(_points(), lang="zh", label="销售额", unit="万元")
    layer = _layers(chart)["line_actual"]
    assert layer["mark"]["invalid"] == "break-paths-show-domains"
    rows = {r["period"]: r["value"] for r in _data(chart, layer)}
    assert rows["2026-03"] is None  # null, never 0
    assert rows["2026-02"] == 120.0


def test_last_year_is_a_dashed_grey_layer_when_asked():
    plain = _layers(charts.trend_chart(_points(), lang="zh", label="销售额", last_year=False))
    assert "line_last_year" not in plain
    chart = charts.trend_chart(_points(), lang="zh", label="销售额", last_year=True)
    layers = _layers(chart)
    assert "line_last_year" in layers
    dash = layers["line_last_year"]["encoding"]["strokeDash"]["scale"]
    color = layers["line_last_year"]["encoding"]["color"]["scale"]
    i = dash["domain"].index(t("charts.last_year", "zh"))
    assert dash["range"][i] != [1, 0]  # dashed
    assert color["range"][i] == charts.COLORS["last_year"]
    assert [r["value"] for r in _data(chart, layers["line_last_year"])] == [90.0, 95.0, 99.0, 101.0, 110.0, 120.0]


def test_plan_is_a_dashed_layer_only_when_plan_values_exist():
    assert "line_plan" not in _layers(charts.trend_chart(_points(), lang="en", label="Sales"))
    empty_plan = pd.DataFrame({"period": PERIODS, "value": [None] * 6})
    assert "line_plan" not in _layers(charts.trend_chart(_points(), lang="en", label="Sales", plan=empty_plan))

    plan = pd.DataFrame({"period": PERIODS + ["2026-07"], "value": [110.0, 115, 120, 125, 130, 135, 140]})
    chart = charts.trend_chart(_points(), lang="en", label="Sales", plan=plan)
    layers = _layers(chart)
    assert "line_plan" in layers
    dash = layers["line_plan"]["encoding"]["strokeDash"]["scale"]
    assert dash["range"][dash["domain"].index("Plan")] != [1, 0]
    # a plan month after the last actual widens the axis for every layer
    assert layers["line_actual"]["encoding"]["x"]["scale"]["domain"][-1] == "2026-07"


def test_anomalies_are_red_circles_with_their_reason():
    assert "anomalies" not in _layers(charts.trend_chart(_points(), lang="zh", label="销售额"))
    found = pd.DataFrame({"period": ["2026-06"], "value": [150.0], "why": ["偏离自身的同比增速趋势"]})
    chart = charts.trend_chart(_points(), lang="zh", label="销售额", anomalies=found)
    layer = _layers(chart)["anomalies"]
    assert layer["mark"]["type"] == "point" and layer["mark"]["filled"] is False
    assert layer["mark"]["color"] == charts.COLORS["anomaly"]
    assert _data(chart, layer)[0]["why"] == "偏离自身的同比增速趋势"
    assert any(tip["field"] == "why" for tip in layer["encoding"]["tooltip"])


def test_notes_are_rules_with_their_text():
    assert "notes" not in _layers(charts.trend_chart(_points(), lang="zh", label="销售额"))
    notes = pd.DataFrame({"period": ["2026-04", "2030-01"], "text": ["竞品降价，华东流失大客户", "out of range"]})
    chart = charts.trend_chart(_points(), lang="zh", label="销售额", notes=notes)
    layers = _layers(chart)
    assert layers["notes"]["mark"]["type"] == "rule"
    assert layers["note_labels"]["mark"]["type"] == "text" and layers["note_labels"]["mark"]["align"] == "left"
    late = _layers(charts.trend_chart(_points(), lang="zh", label="销售额",
                                      notes=pd.DataFrame({"period": ["2026-06"], "text": ["月底促销"]})))
    assert late["note_labels_end"]["mark"]["align"] == "right" and "note_labels" not in late
    rows = _data(chart, layers["notes"])
    assert [r["period"] for r in rows] == ["2026-04"]  # a note outside the range is not drawn
    assert rows[0]["text"] == "竞品降价，华东流失大客户"
    assert any(tip["field"] == "text" for tip in layers["notes"]["encoding"]["tooltip"])


def test_active_period_is_shaded_behind_the_lines():
    layers = charts.trend_chart(_points(), lang="zh", label="销售额", current="2026-04").to_dict()["layer"]
    assert layers[0]["name"] == "current" and layers[0]["mark"]["type"] == "rule"
    outside = _layers(charts.trend_chart(_points(), lang="zh", label="销售额", current="2030-01"))
    assert "current" not in outside


def test_incomplete_period_is_a_hollow_point_off_the_line():
    """A quarter with one month of three must not read as a collapse."""
    points = _points()
    points.loc[5, "complete"] = False
    chart = charts.trend_chart(points, lang="en", label="Sales")
    layers = _layers(chart)
    assert [r["value"] for r in _data(chart, layers["partial"])] == [150.0]
    line = {r["period"]: r["value"] for r in _data(chart, layers["line_actual"])}
    assert line["2026-06"] is None and line["2026-05"] == 125.0
    assert "partial" not in _layers(charts.trend_chart(_points(), lang="en", label="Sales"))

    frame = pd.DataFrame({"period": PERIODS, "segment": ["华东"] * 6, "value": [1.0, 2, 3, 4, 5, 0.5],
                          "complete": [True] * 5 + [False]})
    seg = charts.segment_chart(frame, lang="zh", label="销售额", dimension="区域", periods=PERIODS)
    seg_layers = _layers(seg)
    assert [r["period"] for r in _data(seg, seg_layers["partial"])] == ["2026-06"]
    assert {r["period"]: r["value"] for r in _data(seg, seg_layers["segments"])}["2026-06"] is None


def test_tooltips_carry_locale_formatted_numbers():
    points = _points(values=(1_234_567.0, 2_000_000.0, None, 3e8, 5.0, 6.0))
    zh = charts.trend_chart(points, lang="zh", label="金额", unit="元")
    en = charts.trend_chart(points, lang="en", label="Amount", unit="元")
    zh_texts = [r["text"] for r in _data(zh, _layers(zh)["line_actual"])]
    en_texts = [r["text"] for r in _data(en, _layers(en)["line_actual"])]
    assert zh_texts[0] == "123.46万元" and zh_texts[3] == "3.00亿元" and zh_texts[2] == "—"
    assert en_texts[0] == "1.23M CNY" and en_texts[3] == "300.00M CNY"  # English names the unit in English


# --------------------------------------------------------------------------- axis formats


def test_axis_format_chinese_uses_wan_and_yi():
    axis = charts.value_axis("元", "zh")
    assert "labelExpr" in axis and "'万'" in axis["labelExpr"] and "'亿'" in axis["labelExpr"]
    assert "'M'" not in axis["labelExpr"]


def test_axis_format_english_uses_m_and_b():
    axis = charts.value_axis("元", "en")
    assert "'M'" in axis["labelExpr"] and "'B'" in axis["labelExpr"]
    assert "万" not in axis["labelExpr"]


def test_axis_format_rates_are_percent_in_both_languages():
    for lang in ("zh", "en"):
        assert charts.value_axis("%", lang) == {"format": ".1~%"}
        assert charts.value_axis(None, lang, "percent") == {"format": ".1~%"}


def test_axis_format_never_scales_a_unit_that_already_carries_a_scale():
    """600 万元 is '600', not '0.06亿万元'."""
    assert charts.value_axis("万元", "zh") == {"format": ",.2~f"}
    # English folds the scale into the number instead (6.66M CNY): the axis labels scale the stored 亿元
    assert "datum.value * 1e+08" in charts.value_axis("亿元", "en")["labelExpr"]


def test_chart_axis_carries_the_language_format():
    zh = _layers(charts.trend_chart(_points(), lang="zh", label="金额", unit="元"))["line_actual"]
    en = _layers(charts.trend_chart(_points(), lang="en", label="Amount", unit="元"))["line_actual"]
    assert "万" in zh["encoding"]["y"]["axis"]["labelExpr"]
    assert "'M'" in en["encoding"]["y"]["axis"]["labelExpr"]
    rate = _layers(charts.trend_chart(_points(values=(0.8, 0.82, None, 0.85, 0.84, 0.86)), lang="zh", label="留存率",
                                      unit="%"))["line_actual"]
    assert rate["encoding"]["y"]["axis"]["format"] == ".1~%"
    assert rate["encoding"]["y"]["scale"]["zero"] is False


def test_titles_and_legend_follow_the_language():
    zh = _all_strings(charts.trend_chart(_points(), lang="zh", label="销售额", last_year=True).to_dict())
    en = _all_strings(charts.trend_chart(_points(), lang="en", label="Sales", last_year=True).to_dict())
    assert t("charts.actual", "zh") in zh and t("charts.last_year", "zh") in zh and t("charts.period", "zh") in zh
    assert t("charts.actual", "en") in en and t("charts.last_year", "en") in en and t("charts.period", "en") in en
    assert t("charts.actual", "zh") not in en


def test_big_fonts_for_the_projector():
    small = charts.trend_chart(_points(), lang="zh", label="销售额").to_dict()
    big = charts.trend_chart(_points(), lang="zh", label="销售额", big=True).to_dict()
    assert big["config"]["axis"]["labelFontSize"] > small["config"]["axis"]["labelFontSize"]
    assert big["height"] > small["height"]


# --------------------------------------------------------------------------- breakdown


BREAKDOWN = pd.DataFrame({
    "segment": ["华南", "华东", "华北", "西南"],
    "value": [165.29, 154.10, 136.53, 112.91],
    "base": [160.44, 207.08, 138.09, 108.97],
    "change": [4.85, -52.98, -1.56, 3.94],
    "share": [0.2906, 0.2709, 0.2400, 0.1985],
    "contribution": [-0.106, 1.158, 0.034, -0.086],
})


def test_breakdown_bars_show_value_and_share_coloured_by_direction():
    chart = charts.breakdown_chart(BREAKDOWN, lang="zh", label="销售额", dimension="区域", unit="万元")
    layers = _layers(chart)
    bars = layers["breakdown_bars"]
    assert bars["mark"]["type"] == "bar"
    assert bars["encoding"]["y"]["field"] == "segment" and bars["encoding"]["x"]["field"] == "value"
    rows = {r["segment"]: r for r in _data(chart, bars)}
    assert rows["华东"]["tone"] == "bad" and rows["华南"]["tone"] == "good"
    assert rows["华东"]["label"] == "154.10万元 · 27.1%"
    # a cost that fell is good
    cost = charts.breakdown_chart(BREAKDOWN, lang="zh", label="成本", dimension="区域", unit="万元", direction="down")
    assert {r["segment"]: r["tone"] for r in _data(cost, _layers(cost)["breakdown_bars"])}["华东"] == "good"


def test_change_chart_names_what_each_segment_explains():
    chart = charts.change_chart(BREAKDOWN, lang="zh", label="销售额", dimension="区域", compare="mom", unit="万元")
    bars = _layers(chart)["change_bars"]
    rows = {r["segment"]: r for r in _data(chart, bars)}
    assert rows["华东"]["label"] == "-52.98万元 · " + t("charts.explains", "zh", pct="115.8%")
    assert rows["华南"]["label"] == "+4.85万元 · " + t("charts.offsets", "zh", pct="10.6%")
    en = charts.change_chart(BREAKDOWN, lang="en", label="Sales", dimension="Region", compare="yoy", unit="万元")
    assert t("charts.change_yoy", "en") in _all_strings(en.to_dict())


def test_change_chart_for_a_rate_reads_in_points():
    rate = BREAKDOWN.assign(change=[0.012, -0.03, 0.0, 0.005], contribution=None, share=None)
    chart = charts.change_chart(rate, lang="en", label="Retention", dimension="Region", compare="mom", unit="%")
    rows = {r["segment"]: r for r in _data(chart, _layers(chart)["change_bars"])}
    assert rows["华东"]["label"] == "-3.0 pp"
    assert rows["华北"]["tone"] == "flat"


def test_segment_chart_highlights_the_driver():
    frame = pd.DataFrame({"period": PERIODS * 2, "segment": ["华东"] * 6 + ["华南"] * 6, "value": list(range(12))})
    chart = charts.segment_chart(frame, lang="zh", label="销售额", dimension="区域", periods=PERIODS, highlight="华东")
    layer = _layers(chart)["segments"]
    rows = _data(chart, layer)
    assert {r["segment"] for r in rows if r["focus"] == "yes"} == {"华东"}
    assert layer["encoding"]["color"]["field"] == "segment"


# --------------------------------------------------------------------------- retention


def test_cohort_heatmap_is_a_rect_of_cohort_by_age():
    frame = pd.DataFrame({"cohort": ["2026-01"] * 3 + ["2026-02"] * 2, "age": [0, 1, 2, 0, 1],
                          "active": [10, 5, 3, 8, 2], "size": [10, 10, 10, 8, 8],
                          "retention": [1.0, 0.5, 0.3, 1.0, 0.25]})
    chart = charts.cohort_chart(frame, lang="zh")
    cells = _layers(chart)["cohort_cells"]
    assert cells["mark"]["type"] == "rect"
    assert cells["encoding"]["x"]["field"] == "age" and cells["encoding"]["y"]["field"] == "cohort"
    assert cells["encoding"]["color"]["field"] == "retention"
    trend = charts.retention_trend_chart(frame[frame["age"] == 1], lang="en").to_dict()
    assert trend["encoding"]["y"]["axis"]["format"] == ".0%"


def test_complete_cohorts_fills_observable_zeros_only():
    frame = pd.DataFrame({"cohort": [dt.date(2026, 1, 1)] * 2 + [dt.date(2026, 2, 1)] * 2 + [dt.date(2026, 3, 1)],
                          "age": [0, 2, 0, 1, 0], "active": [10, 3, 8, 2, 5], "size": [10, 10, 8, 8, 5],
                          "retention": [1.0, 0.3, 1.0, 0.25, 1.0]})
    out = charts.complete_cohorts(frame)
    cells = {(c, a): r for c, a, r in zip(out["cohort"], out["age"], out["retention"], strict=True)}
    assert cells[(dt.date(2026, 1, 1), 1)] == 0.0  # January's month 1 (February) was observed: nobody came back
    assert (dt.date(2026, 2, 1), 2) not in cells  # April is after the data: unknown, not 0
    assert (dt.date(2026, 3, 1), 1) not in cells


# --------------------------------------------------------------------------- periods


def test_period_labels_list_every_period_including_gaps():
    assert charts.period_labels(dt.date(2025, 11, 1), dt.date(2026, 2, 1), "month") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert charts.period_labels(dt.date(2025, 8, 1), dt.date(2026, 1, 1), "quarter") == ["2025-Q3", "2025-Q4", "2026-Q1"]
    assert charts.period_labels(dt.date(2024, 5, 1), dt.date(2026, 1, 1), "year") == ["2024", "2025", "2026"]


def test_on_periods_reindexes_a_series_onto_the_range():
    frame = pd.DataFrame({"period": [dt.date(2026, 1, 1), dt.date(2026, 3, 1)], "value": [1.0, 3.0]})
    out = charts.on_periods(frame, ["2026-01", "2026-02", "2026-03"], "month")
    assert out == [{"period": "2026-01", "value": 1.0}, {"period": "2026-02", "value": None},
                   {"period": "2026-03", "value": 3.0}]


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(("value", "lang", "unit", "fmt", "text"), [
    (654.6, "zh", "万元", "auto", "654.60万元"),
    (0.853, "zh", "%", "auto", "85.3%"),
    (0.853, "en", None, "percent", "85.3%"),
    (1234.56, "en", "人", "integer", "1,235 people"),
    (123456.0, "zh", "元", "number", "123,456元"),
    (123456.0, "zh", "元", "auto", "12.35万元"),
    (None, "zh", "元", "auto", "—"),
])
def test_format_value(value, lang, unit, fmt, text):
    assert charts.format_value(value, lang, unit, fmt) == text


def test_format_change_is_signed_and_rates_are_points():
    assert charts.format_change(4.85, "zh", "万元") == "+4.85万元"
    assert charts.format_change(-52.98, "zh", "万元") == "-52.98万元"
    assert charts.format_change(-0.01, "zh", "%") == "-1.0个百分点"
    assert charts.format_change(0.012, "en", "%") == "+1.2 pp"
    assert charts.format_pct(0.0795) == "+8.0%"


def test_inline_data_moves_named_datasets_into_their_layers():
    found = pd.DataFrame({"period": ["2026-06"], "value": [150.0], "why": ["z"]})
    spec = charts.trend_chart(_points(), lang="zh", label="销售额", anomalies=found).to_dict()
    inline = charts.inline_data(spec)
    assert "datasets" not in inline and "datasets" in spec
    layers = {layer["name"]: layer for layer in inline["layer"]}
    assert layers["anomalies"]["data"] == {"values": [{"period": "2026-06", "value": 150.0, "why": "z", "text": "150"}]}
    assert len(layers["line_actual"]["data"]["values"]) == len(PERIODS)
    alt.LayerChart.from_dict(inline)  # still a valid Vega-Lite spec


def test_a_breakdown_of_more_segments_than_colours_is_a_valid_chart():
    """Eleven cities: the line colours come from Vega-Lite's scheme (no "range": null, which is not
    a valid spec), and every segment is on the scale."""
    cities = [f"城市{i:02d}" for i in range(11)]
    frame = pd.DataFrame({"period": PERIODS * 11, "segment": [c for c in cities for _ in PERIODS], "value": range(66)})
    chart = charts.segment_chart(frame, lang="zh", label="销售额", dimension="城市", periods=PERIODS)
    scale = _layers(chart)["segments"]["encoding"]["color"]["scale"]  # to_dict() checks the spec against the schema
    assert scale["domain"] == cities and "range" not in scale
    assert _layers(chart)["segments"]["encoding"]["color"]["legend"]["columns"] == 6  # wraps, not cut at the edge


def test_charts_of_the_same_shape_share_the_skeleton_but_never_their_data():
    """Two views of one shape (another filter): each spec has its own rows and its own axis; the
    first one is not changed by building the second."""
    first = charts.trend_chart(_points(), lang="zh", label="销售额", unit="万元")
    before = first.to_dict()
    later = _points(values=(1.0, 2.0, 3.0, 4.0, 5.0, 6.0))
    later["period"] = [f"2027-0{i}" for i in range(1, 7)]
    second = charts.trend_chart(later, lang="zh", label="销售额", unit="万元").to_dict()
    assert first.to_dict() == before
    assert second["layer"][0]["encoding"]["x"]["scale"]["domain"] == list(later["period"])
    assert [r["value"] for r in second["datasets"]["line_actual"]] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert before["layer"][0]["encoding"]["x"]["scale"]["domain"] == PERIODS


def test_labels_and_cells_are_never_taken_for_a_skeletons_holes():
    """Whatever a header or a cell holds, the filled spec carries it as it is."""
    odd = "\x00periods"
    points = _points()
    points["period"] = [odd if i == 0 else p for i, p in enumerate(PERIODS)]
    spec = charts.trend_chart(points, lang="zh", label=odd, unit="万元").to_dict()
    assert spec["layer"][0]["encoding"]["y"]["title"].startswith(odd)
    assert spec["datasets"]["line_actual"][0]["period"] == odd
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"][0] == odd


def _bullet_rows(forecast=None):
    return [
        {"kpi": "成本  430 / 350 · 81.4%", "ratio": 430 / 350, "text": "430 / 350 · 81.4%", "forecast": None,
         "bands": [(0.0, 1 / 1.0, "green"), (1 / 1.0, 1 / 0.9, "amber"), (1 / 0.9, None, "red")]},
        {"kpi": "销售额  666 / 697 · 95.6%", "ratio": 666 / 697, "text": "666 / 697 · 95.6%", "forecast": forecast,
         "bands": [(0.0, 0.9, "red"), (0.9, 1.0, "amber"), (1.0, None, "green")]},
    ]


def test_bullet_chart_is_a_valid_spec_with_bands_bars_and_the_plan_rule():
    spec = charts.bullet_spec(_bullet_rows(), axis_title="达成率", kpi_title="指标", actual_title="实际值",
                         forecast_title="预测达成率").to_dict(validate=True)  # checked against Vega-Lite's schema
    bands, bars, rule = spec["layer"]
    assert [r["kpi"] for r in bars["data"]["values"]] == bars["encoding"]["y"]["sort"]  # the scorecard's order
    assert [b["ratio_shown"] for b in bars["data"]["values"]] == pytest.approx([430 / 350, 666 / 697])
    top = bands["encoding"]["x"]["scale"]["domain"][1]
    assert top == pytest.approx(430 / 350 * 1.08)  # the largest bar with a margin (at least 130 %)
    sales = [b for b in bands["data"]["values"] if b["kpi"].startswith("销售额")]
    assert [(b["lo"], b["hi"], b["band"]) for b in sales] == [(0.0, 0.9, "red"), (0.9, 1.0, "amber"), (1.0, top, "green")]
    assert rule["data"]["values"] == [{"x": 1.0}] and rule["mark"]["type"] == "rule"
    assert bands["encoding"]["x"]["axis"]["title"] == "达成率"


def test_bullet_chart_cuts_a_bar_at_300_percent_and_draws_a_forecast_only_when_there_is_one():
    rows = _bullet_rows(forecast=1.08)
    rows[0]["ratio"] = 5.0
    spec = charts.bullet_spec(rows, axis_title="a", kpi_title="k", actual_title="v", forecast_title="f").to_dict(validate=True)
    assert len(spec["layer"]) == 4
    bars, forecast = spec["layer"][1], spec["layer"][3]
    assert bars["data"]["values"][0]["ratio_shown"] == 3.0  # the axis ends at 300 %
    assert forecast["data"]["values"] == [{"kpi": rows[1]["kpi"], "forecast": 1.08, "fc_shown": 1.08}]
    assert forecast["mark"]["shape"] == "diamond"


def test_one_skeleton_serves_every_metric_its_titles_and_formats_filled_in():
    """Picking another metric (another name, unit, format, dimension) builds no new Altair chart
    (issue 17: a skeleton cost ~13 ms, four a metric change): the metric's text goes into the
    skeleton's holes, and each spec still reads as its own metric's."""
    frame = pd.DataFrame({"segment": ["华东", "华南"], "value": [10.0, 20.0], "change": [-1.0, 2.0], "share": [0.3, 0.7],
                          "contribution": [-0.5, 1.5]})
    segments = pd.DataFrame({"period": PERIODS * 2, "segment": ["华东"] * 6 + ["华南"] * 6, "value": range(12)})
    skeletons = (charts._trend_skeleton, charts._breakdown_skeleton, charts._change_skeleton, charts._segment_skeleton)

    def build(label: str, unit: str | None, number_format: str, dimension: str) -> list[dict]:
        return [charts.trend_chart(_points(), lang="en", label=label, unit=unit, number_format=number_format).to_dict(),
                charts.breakdown_chart(frame, lang="en", label=label, dimension=dimension, unit=unit,
                                       number_format=number_format).to_dict(),
                charts.change_chart(frame, lang="en", label=label, dimension=dimension, compare="mom", unit=unit,
                                    number_format=number_format).to_dict(),
                charts.segment_chart(segments, lang="en", label=label, dimension=dimension, periods=PERIODS, unit=unit,
                                     number_format=number_format).to_dict()]

    build("Revenue", "万元", "auto", "区域")
    built = [s.cache_info().misses for s in skeletons]
    trend, bars, change, lines = build("Conversion", "%", "auto", "渠道")  # to_dict() checks each against the schema
    assert [s.cache_info().misses for s in skeletons] == built  # no new chart built
    assert trend["layer"][0]["encoding"]["y"]["title"] == "Conversion (%)"
    assert trend["layer"][0]["encoding"]["y"]["axis"] == {"format": ".1~%"}
    assert {tip["title"] for layer in trend["layer"] for tip in layer["encoding"].get("tooltip", [])} >= {"Conversion"}
    assert bars["layer"][0]["encoding"]["y"]["title"] == "渠道" and bars["layer"][0]["encoding"]["x"]["title"] == "Conversion (%)"
    assert change["layer"][0]["encoding"]["x"]["title"] == f"{t('charts.change_mom', 'en')} (pp)"
    assert change["layer"][0]["encoding"]["x"]["axis"] == {"labelExpr": "format(datum.value * 100, '+.1~f')"}
    assert lines["layer"][0]["encoding"]["color"]["title"] == "渠道" and lines["layer"][0]["encoding"]["y"]["title"] == "Conversion (%)"
    revenue = build("Revenue", "万元", "auto", "区域")[0]["layer"][0]["encoding"]["y"]
    assert revenue["title"] == f"Revenue ({charts.unit_label('万元', 'en')})" and "labelExpr" in revenue["axis"]
