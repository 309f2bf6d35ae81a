"""The trends and metrics pages through Streamlit's AppTest, driven from ``app.py``.

Each test has its own database (conftest's autouse ``RETRO_DB``); the first run imports the
bundled sample. Expected texts come from the catalog (``retro.i18n.t``); expected numbers come
from ``retro.metrics`` on the same database, never from the page. Stored rows are read back on a
database opened after ``retro.db.close_all()``.

The sample's story: in 2026-08 East China (华东) fell because of a competitor, while the other
regions grew; the page must name 华东 as the driver and say the fall is not seasonal.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import fresh_db  # noqa: E402 - shared AppTest helpers

from retro.i18n import t

pytestmark = pytest.mark.usefixtures("navigation_only")

APP = Path(__file__).resolve().parent.parent / "app.py"
TIMEOUT = 90


def open_page(page: str, *, lang: str = "zh", period: str | None = None, **params: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    if period:
        at.query_params["period"] = period
    at.run()  # the first start imports the sample
    assert_clean(at)
    if period:
        assert at.query_params.get("period") == period
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(page).run()
    assert_clean(at)
    return at


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "Traceback" in str(e.value)]


def texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def all_text(at) -> str:
    return "\n".join(texts(at.markdown) + texts(at.caption) + texts(at.info) + texts(at.subheader))


def widget(items, label: str):
    found = [w for w in items if w.label == label]
    assert len(found) == 1, [w.label for w in items]
    return found[0]


TABLES = ("trends_table_open", "trends_breakdown_open")


def open_tables(at) -> None:
    """Open the data tables' expanders, as a click on them does (they are built only while open)."""
    for key in TABLES:
        at.session_state[key] = True
    at.run()
    assert_clean(at)


def frame_with(at, column: str):
    frames = [d.value for d in at.main.dataframe if column in d.value.columns]
    if not frames:  # perhaps in a closed table
        open_tables(at)
        frames = [d.value for d in at.main.dataframe if column in d.value.columns]
    assert frames, [list(d.value.columns) for d in at.main.dataframe]
    return frames[0]


def param(at, name: str) -> str | None:
    return at.query_params.get(name)


def chart_specs(at) -> list[dict]:
    """The Vega-Lite specs of the page's Altair charts."""
    return [json.loads(c.proto.spec) for c in at.main.get("vega_lite_chart")]


def layer_names(spec: dict) -> set[str]:
    return {layer.get("name") for layer in spec.get("layer", [])}


# --------------------------------------------------------------------------- trends: renders


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_trends_renders_with_cards_chart_breakdown_and_url(lang):
    at = open_page("pages/trends.py", lang=lang)
    assert at.title[0].value == t("nav.trends", lang)
    labels = [m.label for m in at.main.metric]
    assert len(labels) == 4 and labels[0].startswith("销售额" if lang == "zh" else "Revenue")
    assert widget(at.main.selectbox, t("trends.metric", lang)).value == "销售额"
    # every control is in the URL
    for name, value in {"metric": "销售额", "grain": "month", "by": "区域", "cmp": "mom", "ly": "0", "big": "0"}.items():
        assert param(at, name) == value, name
    assert param(at, "from") and param(at, "to")
    assert t("trends.over_time", lang, metric="销售额" if lang == "zh" else "Revenue") in texts(at.subheader)
    names = [layer_names(spec) for spec in chart_specs(at)]
    assert "line_actual" in names[0] and "line_plan" in names[0]  # the sample has a 2026 plan
    assert any("breakdown_bars" in n for n in names) and any("change_bars" in n for n in names)


def test_trends_answers_which_region_drove_august_and_whether_it_is_seasonal(db_file):
    """The newcomer's question on the sample: 华东 drove 2026-08's fall, and it is not seasonal."""
    from retro import metrics as M

    at = open_page("pages/trends.py", lang="en", period="2026-08")
    db = fresh_db(db_file)
    frame = M.breakdown(db, "销售额", dt.date(2026, 8, 1), "区域")
    east = frame[frame["segment"] == "华东"].iloc[0]
    assert frame["contribution"].idxmax() == east.name and east["change"] < 0

    text = all_text(at)
    assert "**华东**" in text
    assert f"{east['contribution'] * 100:.1f}%" in text
    assert "Seasonal? **No**" in text

    table = frame_with(at, t("trends.col.contribution", "en"))
    row = table[table["区域"] == "华东"].iloc[0]
    assert row[t("trends.col.change", "en")] == pytest.approx(east["change"])
    assert row[t("trends.col.contribution", "en")] == pytest.approx(east["contribution"])
    assert "▼ 华东" in "\n".join(texts(at.markdown))

    anomalies = frame_with(at, t("trends.col.reason", "en"))
    flagged = anomalies[(anomalies[t("trends.col.period", "en")] == "2026-08") & (anomalies["区域"] == "华东")]
    assert len(flagged) == 1


def test_changing_controls_updates_url_and_content():
    at = open_page("pages/trends.py", lang="zh", period="2026-08")
    widget(at.main.selectbox, t("trends.by", "zh")).set_value("产品线").run()
    assert_clean(at)
    assert param(at, "by") == "产品线"
    assert "产品线" in frame_with(at, t("trends.col.contribution", "zh")).columns

    widget(at.main.selectbox, t("trends.metric", "zh")).set_value("留存率").run()
    assert_clean(at)
    assert param(at, "metric") == "留存率"
    assert t("trends.over_time", "zh", metric="留存率") in texts(at.subheader)

    widget(at.main.segmented_control, t("trends.grain", "zh")).set_value("quarter").run()
    assert_clean(at)
    assert param(at, "grain") == "quarter"
    assert param(at, "from").count("-Q") == 1 and param(at, "to").count("-Q") == 1

    widget(at.main.segmented_control, t("trends.compare", "zh")).set_value("yoy").run()
    widget(at.main.toggle, t("trends.last_year", "zh")).set_value(True).run()
    widget(at.main.toggle, t("trends.big", "zh")).set_value(True).run()
    assert_clean(at)
    assert (param(at, "cmp"), param(at, "ly"), param(at, "big")) == ("yoy", "1", "1")

    widget(at.main.multiselect, "区域").set_value(["华东", "华南"]).run()
    assert_clean(at)
    assert param(at, "f_区域") == "华东,华南"
    widget(at.main.selectbox, t("trends.by", "zh")).set_value("区域").run()
    table = frame_with(at, t("trends.col.contribution", "zh"))
    assert set(table["区域"]) == {"华东", "华南"}


def test_breakdown_none_says_how_to_pick_one():
    at = open_page("pages/trends.py", lang="zh")
    widget(at.main.selectbox, t("trends.by", "zh")).set_value("").run()
    assert_clean(at)
    assert param(at, "by") == ""
    assert t("trends.pick_breakdown", "zh") in texts(at.info)


def test_a_shared_link_opens_the_same_view():
    at = open_page("pages/trends.py", lang="zh", period="2026-10", metric="新增客户", grain="quarter", by="产品线",
                   cmp="yoy", ly="1", **{"from": "2025-Q1", "to": "2026-Q4", "f_区域": "华东,西南"})
    assert widget(at.main.selectbox, t("trends.metric", "zh")).value == "新增客户"
    assert widget(at.main.segmented_control, t("trends.grain", "zh")).value == "quarter"
    assert widget(at.main.selectbox, t("trends.by", "zh")).value == "产品线"
    assert widget(at.main.segmented_control, t("trends.compare", "zh")).value == "yoy"
    assert widget(at.main.toggle, t("trends.last_year", "zh")).value is True
    assert widget(at.main.select_slider, t("trends.range", "zh")).value == ("2025-Q1", "2026-Q4")
    assert widget(at.main.multiselect, "区域").value == ["华东", "西南"]
    # the folded filter panel says a filter is on, from the link's first run
    assert t("trends.filters", "zh") + " · 1" in [e.label for e in at.main.expander]
    assert param(at, "metric") == "新增客户" and param(at, "f_区域") == "华东,西南"
    # 2026-Q4 holds one month (October): said, not silently drawn as a collapse
    assert t("trends.partial_card", "zh", months=1, span=3) in texts(at.caption)
    assert any("2026-Q4" in c and "1/3" in c for c in texts(at.caption))


def test_a_quarter_in_progress_is_not_shown_as_a_collapse():
    """2026-Q4 holds October only: no MoM arrow, no anomaly, no "drop" in the breakdown."""
    at = open_page("pages/trends.py", lang="en", period="2026-10", grain="quarter")
    star = at.main.metric[0]
    assert star.label.endswith("★") and not star.proto.delta
    assert t("trends.partial_card", "en", months=1, span=3) in texts(at.caption)
    assert t("trends.partial_breakdown", "en", period="2026-Q4", months=1, span=3) in texts(at.warning)
    assert "Seasonal?" not in all_text(at)
    anomalies = [d.value for d in at.main.dataframe if t("trends.col.reason", "en") in d.value.columns]
    assert not anomalies or "2026-Q4" not in set(anomalies[0][t("trends.col.period", "en")])
    # the line stops at Q3; Q4 is a hollow point of its own
    line = chart_specs(at)[0]
    layers = {layer["name"]: layer for layer in line["layer"]}
    assert [r["period"] for r in layers["partial"]["data"]["values"]][-1] == "2026-Q4"
    actual = {r["period"]: r["value"] for r in layers["line_actual"]["data"]["values"]}
    assert actual["2026-Q4"] is None and actual["2026-Q3"] is not None


def test_a_link_with_unknown_values_falls_back_to_defaults():
    at = open_page("pages/trends.py", lang="en", metric="no such metric", grain="week", by="nope", cmp="x",
                   **{"from": "garbage", "f_区域": "火星"})
    assert widget(at.main.selectbox, t("trends.metric", "en")).value == "销售额"
    assert param(at, "grain") == "month" and param(at, "by") == "区域" and param(at, "cmp") == "mom"
    assert param(at, "f_区域") is None


def _import_small_metric(db_file: Path) -> None:
    """线上销售: six months of 2026 for 华东 and 华南 only (another region has no rows)."""
    from browser_support import wide_workbook

    from retro.ingest import analyze_bytes, store_import

    wb = wide_workbook()
    db = fresh_db(db_file)
    store_import(db, analyze_bytes(db, wb.data, wb.name))


def test_empty_and_short_series_say_why(db_file):
    open_page("pages/home.py", lang="zh")
    _import_small_metric(db_file)
    at = open_page("pages/trends.py", lang="zh", period="2026-06", metric="线上销售", by="")
    assert widget(at.main.selectbox, t("trends.metric", "zh")).value == "线上销售"
    # six months: MoM yes, YoY needs 13
    assert t("trends.too_short_yoy", "zh", n=6, need=13, grain=t("grain.month", "zh")) in texts(at.caption)

    at = open_page("pages/trends.py", lang="en", period="2026-06", metric="线上销售", **{"f_区域": "华北"})
    assert t("trends.empty_filtered", "en", metric="线上销售") in texts(at.info)
    assert not any("line_actual" in layer_names(spec) for spec in chart_specs(at))


def test_annotation_is_stored_and_drawn(db_file):
    from retro import metrics as M

    at = open_page("pages/trends.py", lang="zh", period="2026-08")
    widget(at.main.selectbox, t("trends.note_period", "zh")).set_value("2026-08")
    widget(at.main.text_input, t("trends.note_text", "zh")).input("竞品降价，华东流失大客户")
    [button] = [b for b in at.main.button if b.label == t("trends.note_add", "zh")]
    button.click().run()
    assert_clean(at)
    assert any("竞品降价" in m for m in texts(at.markdown))
    line = chart_specs(at)[0]
    assert "notes" in layer_names(line)
    notes_layer = next(layer for layer in line["layer"] if layer.get("name") == "notes")
    assert notes_layer["data"]["values"] == [{"period": "2026-08", "text": "竞品降价，华东流失大客户",
                                               "short": "竞品降价，华东流失大客户"}]

    notes = M.annotations(fresh_db(db_file), "销售额")
    assert list(notes["text"]) == ["竞品降价，华东流失大客户"]
    assert notes["period"].iloc[0] == dt.date(2026, 8, 1)


def test_empty_annotation_is_refused(db_file):
    from retro import metrics as M

    at = open_page("pages/trends.py", lang="en")
    [button] = [b for b in at.main.button if b.label == t("trends.note_add", "en")]
    button.click().run()
    assert t("trends.note_empty", "en") in texts(at.error)
    assert M.annotations(fresh_db(db_file), "销售额").empty


def test_annotation_delete(db_file):
    from retro import metrics as M

    at = open_page("pages/trends.py", lang="en")  # the sample is in from here on
    db = fresh_db(db_file)
    M.add_annotation(db, "销售额", dt.date(2026, 3, 1), "promotion launched")
    at.run()
    [delete] = [b for b in at.main.button if b.label == t("trends.note_delete", "en")]
    delete.click().run()
    assert_clean(at)
    assert M.annotations(fresh_db(db_file), "销售额").empty


def _shown(at) -> tuple:
    """What the page shows: texts, chart specs and tables (the parts the cached views produce)."""
    return (all_text(at), [m.value for m in at.main.metric], chart_specs(at),
            [d.value.to_json() for d in at.main.dataframe])


def test_views_are_cached_per_view_a_return_shows_the_same_and_a_change_is_never_stale():
    """Each part of the page is cached on the values that define it: changing one shows the new
    view (not the cached one), returning shows exactly what was shown before."""
    at = open_page("pages/trends.py", lang="en", period="2026-08")
    open_tables(at)
    first = _shown(at)
    widget(at.main.segmented_control, t("trends.compare", "en")).set_value("yoy").run()
    assert_clean(at)
    assert t("trends.col.base_yoy", "en") in frame_with(at, t("trends.col.contribution", "en")).columns
    assert _shown(at) != first
    widget(at.main.multiselect, "区域").set_value(["华南"]).run()
    assert set(frame_with(at, t("trends.col.contribution", "en"))["区域"]) == {"华南"}
    widget(at.main.multiselect, "区域").set_value([]).run()
    widget(at.main.segmented_control, t("trends.grain", "en")).set_value("quarter").run()
    assert _shown(at)[2] != first[2]
    widget(at.main.segmented_control, t("trends.grain", "en")).set_value("month").run()
    widget(at.main.segmented_control, t("trends.compare", "en")).set_value("mom").run()
    assert_clean(at)
    assert _shown(at) == first


@pytest.mark.parametrize("filtered", [False, True])
def test_a_new_metric_reads_all_its_series_in_one_batch(monkeypatch, filtered):
    """Picking a metric not seen before reads every series of its view in one query (issue 17): the
    periods on offer, the cards, the line and the breakdown, with a filter on or not; no series is
    read on its own, as the periods on offer once did before the batch (two queries more a click)."""
    from retro import metrics as M

    at = open_page("pages/trends.py", lang="zh")
    if filtered:
        widget(at.main.multiselect, "区域").set_value(["华南"]).run()
        assert_clean(at)
    alone, batches = [], []
    series, series_many = M.series, M.series_many
    monkeypatch.setattr(M, "series", lambda *a, **k: alone.append(a[1]) or series(*a, **k))
    monkeypatch.setattr(M, "series_many", lambda db, wanted: batches.append(len(wanted)) or series_many(db, wanted))
    widget(at.main.selectbox, t("trends.metric", "zh")).set_value("成本").run()
    assert_clean(at)
    assert t("trends.over_time", "zh", metric="成本") in texts(at.subheader)
    assert alone == [] and len(batches) == 1, (alone, batches)


# --------------------------------------------------------------------------- metrics page


def test_metrics_page_renders_in_both_languages():
    for lang in ("zh", "en"):
        at = open_page("pages/metrics.py", lang=lang)
        assert at.title[0].value == t("nav.metrics", lang)
        [editor] = at.main.data_editor
        assert "销售额" in list(editor.value["name"])


def test_editing_a_label_and_saving_changes_the_catalog(db_file):
    from retro import metrics as M

    at = open_page("pages/metrics.py", lang="en")
    [editor] = at.main.data_editor
    row = list(editor.value["name"]).index("销售额")
    at.session_state[editor.key] = {"edited_rows": {row: {"label_en": "Sales revenue", "direction": "up"}},
                                    "added_rows": [], "deleted_rows": []}
    at.run()
    [save] = [b for b in at.main.button if b.label == t("metrics.save", "en")]
    save.click().run()
    assert_clean(at)
    assert t("metrics.saved", "en", n=1) in texts(at.success)
    sales = M.get_metric(fresh_db(db_file), "销售额")
    assert sales.label_en == "Sales revenue" and sales.label("en") == "Sales revenue"


def test_merge_and_unmerge(db_file):
    from retro import metrics as M

    at = open_page("pages/metrics.py", lang="zh")
    widget(at.main.selectbox, t("metrics.merge_source", "zh")).set_value("成本")
    widget(at.main.selectbox, t("metrics.merge_target", "zh")).set_value("获客成本")
    [merge] = [b for b in at.main.button if b.label == t("metrics.merge_button", "zh")]
    merge.click().run()
    assert_clean(at)
    assert M.get_metric(fresh_db(db_file), "成本").merged_into == "获客成本"

    at.run()
    [unmerge] = [b for b in at.main.button if b.label == t("metrics.unmerge", "zh")]
    unmerge.click().run()
    assert_clean(at)
    assert M.get_metric(fresh_db(db_file), "成本").merged_into is None


def test_merge_a_metric_into_itself_is_refused(db_file):
    from retro import metrics as M

    at = open_page("pages/metrics.py", lang="en")
    widget(at.main.selectbox, t("metrics.merge_source", "en")).set_value("成本")
    widget(at.main.selectbox, t("metrics.merge_target", "en")).set_value("成本")
    [merge] = [b for b in at.main.button if b.label == t("metrics.merge_button", "en")]
    merge.click().run()
    assert t("metrics.merge_same", "en") in texts(at.error)
    assert M.get_metric(fresh_db(db_file), "成本").merged_into is None


def _derived_form(at, lang: str, *, name: str, kind: str, first: str, second: str = "", unit: str = ""):
    widget(at.main.text_input, t("metrics.derived_name", lang)).input(name)
    widget(at.main.selectbox, t("metrics.derived_kind", lang)).set_value(kind)
    widget(at.main.selectbox, t("metrics.derived_first", lang)).set_value(first)
    widget(at.main.selectbox, t("metrics.derived_second", lang)).set_value(second)
    widget(at.main.text_input, t("metrics.derived_unit", lang)).input(unit)
    [add] = [b for b in at.main.button if b.label == t("metrics.derived_add", lang)]
    return add.click().run()


def test_derived_ratio_is_defined_and_charted(db_file):
    from retro import metrics as M

    at = open_page("pages/metrics.py", lang="zh")
    _derived_form(at, "zh", name="利润率", kind="difference", first="销售额", second="成本", unit="万元")
    assert_clean(at)
    profit = M.get_metric(fresh_db(db_file), "利润率")
    assert (profit.kind, profit.first_metric, profit.second_metric, profit.unit) == ("difference", "销售额", "成本", "万元")
    assert t("metrics.derived_added", "zh", name="利润率") in texts(at.success)

    at = open_page("pages/trends.py", lang="zh", metric="利润率", period="2026-08")
    assert widget(at.main.selectbox, t("trends.metric", "zh")).value == "利润率"
    assert t("trends.over_time", "zh", metric="利润率") in texts(at.subheader)


def test_ratio_without_second_metric_shows_an_error_and_stores_nothing(db_file):
    from retro import metrics as M

    at = open_page("pages/metrics.py", lang="en")
    _derived_form(at, "en", name="conversion", kind="ratio", first="订单数", second="")
    assert t("metrics.err.second_required", "en") in texts(at.error)
    names = {m.name for m in M.catalog(fresh_db(db_file))}
    assert "conversion" not in names


def test_derived_name_required_and_unique(db_file):
    from retro import metrics as M

    at = open_page("pages/metrics.py", lang="zh")
    _derived_form(at, "zh", name=" ", kind="growth", first="销售额")
    assert t("metrics.err.name_required", "zh") in texts(at.error)
    _derived_form(at, "zh", name="销售额", kind="growth", first="销售额")
    assert t("metrics.err.name_taken", "zh", name="销售额") in texts(at.error)
    assert not [m for m in M.catalog(fresh_db(db_file)) if m.source == "derived"]


def test_delete_derived(db_file):
    from retro import metrics as M

    open_page("pages/metrics.py", lang="en")
    M.define_derived(fresh_db(db_file), "Sales growth", "growth", "销售额")
    at = open_page("pages/metrics.py", lang="en")
    [delete] = [b for b in at.main.button if b.label == t("metrics.derived_delete", "en")]
    delete.click().run()
    assert_clean(at)
    assert not [m for m in M.catalog(fresh_db(db_file)) if m.source == "derived"]


def test_catalog_has_the_keys_the_pages_build_at_runtime():
    """Keys made with f-strings (grain.{g}, metrics.cat.{c} …) that test_i18n's literal scan cannot see."""
    from retro import metrics as M
    from retro.i18n import CATALOG

    families = {
        "grain": M.GRAINS, "trends.cmp": ("mom", "yoy"), "trends.vs_prev": M.GRAINS,
        "trends.season": ("yes", "not", "unknown"), "trends.anomaly": ("yoy", "zscore", "mom"),
        "trends.col": ("base_mom", "base_yoy"), "charts.tone": ("good", "bad", "flat"),
        "charts": ("change_mom", "change_yoy"), "metrics.agg": M.AGGREGATIONS, "metrics.dir": M.DIRECTIONS,
        "metrics.cat": M.CATEGORIES, "metrics.fmt": M.NUMBER_FORMATS, "metrics.kind": M.DERIVED_KINDS,
        "metrics.src": ("facts", "transactions", "derived"),
        "metrics.col": ("label_zh", "label_en", "unit", "aggregation", "direction", "category", "number_format", "hidden"),
    }
    missing = [f"{prefix}.{name}" for prefix, names in families.items() for name in names
               if f"{prefix}.{name}" not in CATALOG]
    assert not missing, missing


def test_data_tables_are_built_only_while_their_expander_is_open(db_file):
    """Closed (the default), the series and breakdown tables send nothing; opened, they show the
    series the CLI prints and the breakdown, with their downloads."""
    from retro import metrics as M

    at = open_page("pages/trends.py", lang="en", period="2026-08")
    columns = [list(d.value.columns) for d in at.main.dataframe]
    assert not [c for c in columns if t("trends.col.contribution", "en") in c or t("trends.cmp.mom", "en") in c]
    cohort_downloads = [b.key for b in at.main.get("download_button")]
    assert all(k.startswith("dl_cohorts") for k in cohort_downloads), cohort_downloads
    open_tables(at)
    table = frame_with(at, t("trends.cmp.mom", "en"))
    total = table[table["区域"] == t("trends.total", "en")] if "区域" in table else table
    series = M.series(fresh_db(db_file), "销售额")
    expected = series.set_index("period")["value"]
    shown = total.set_index(t("trends.col.period", "en"))[t("trends.col.value", "en")]
    assert shown.loc["2026-08"] == pytest.approx(expected.loc[dt.date(2026, 8, 1)])
    assert t("trends.col.contribution", "en") in frame_with(at, t("trends.col.contribution", "en")).columns
    assert {b.key for b in at.main.get("download_button")} - set(cohort_downloads) == {
        "dl_series_csv", "dl_series_xlsx", "dl_breakdown_csv", "dl_breakdown_xlsx"}


def test_every_transactions_metric_opens_on_the_trends_page(db_file):
    """Metrics counted from the orders sheet (customers, new customers, amount …) have no plan: the
    page draws them without one (the plan's query used to fail on them, and the page with it)."""
    from retro import metrics as M

    open_page("pages/trends.py", lang="zh")
    names = [m.name for m in M.catalog(fresh_db(db_file)) if m.source == "transactions"]
    assert M.TX_CUSTOMERS in names and len(names) >= 4, names
    for name in names:
        at = open_page("pages/trends.py", lang="zh", metric=name)
        assert at.session_state["trends_metric"] == name
        assert at.main.metric[0].label == f"{name} ★"
        assert at.main.metric[0].value != "—"
        assert chart_specs(at), name


# --------------------------------------------------------------------------- numbers that prove themselves (issue 16)


def test_the_metrics_page_says_where_each_default_came_from(db_file):
    at = open_page("pages/metrics.py", lang="en")
    [editor] = at.main.data_editor
    why = dict(zip(editor.value["name"], editor.value["why"], strict=True))
    lower, higher = t("metrics.dir.down", "en"), t("metrics.dir.up", "en")
    summed, averaged = t("metrics.agg.sum", "en"), t("metrics.agg.avg", "en")
    assert why["成本"] == "; ".join([t("metrics.why.name", "en", value=lower, word="成本"),
                                   t("metrics.why.default_aggregation", "en", value=summed)])
    assert why["留存率"] == "; ".join([t("metrics.why.name", "en", value=higher, word="留存"),
                                    t("metrics.why.name", "en", value=averaged, word="率")])
    # the user's choice says so, and stays theirs
    row = list(editor.value["name"]).index("成本")
    at.session_state[editor.key] = {"edited_rows": {row: {"direction": "up"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    [save] = [b for b in at.main.button if b.label == t("metrics.save", "en")]
    save.click().run()
    assert_clean(at)
    at.sidebar.segmented_control[0].set_value("zh").run()  # the language switch
    assert_clean(at)
    [editor] = at.main.data_editor
    why = dict(zip(editor.value["name"], editor.value["why"], strict=True))
    assert why["成本"].startswith(t("metrics.why.user", "zh", value=t("metrics.dir.up", "zh")) + "；")


def test_after_an_undo_the_trends_picker_no_longer_offers_the_metric(db_file, tmp_path):
    import openpyxl

    from retro.backup import undo_import_with_backup
    from retro.ingest import analyze_bytes, store_import

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "退款"
    ws.append(["月份", "区域", "退款金额(元)"])
    for m in (7, 8):
        for region in ("华东", "华南"):
            ws.append([f"2026-{m:02d}", region, 300.0 + m])
    path = tmp_path / "refunds.xlsx"
    wb.save(path)

    at = open_page("pages/trends.py", lang="zh")
    db = fresh_db(db_file)
    imported = store_import(db, analyze_bytes(db, path.read_bytes(), path.name)).import_id
    at.run()
    assert_clean(at)
    assert "退款金额" in widget(at.main.selectbox, t("trends.metric", "zh")).options
    undone, _ = undo_import_with_backup(fresh_db(db_file), imported)
    assert undone
    at.run()
    assert_clean(at)
    options = widget(at.main.selectbox, t("trends.metric", "zh")).options
    assert "退款金额" not in options and "销售额" in options


# --------------------------------------------------------------------------- speed as the room sees it (issue 17)


def test_the_retention_cohorts_are_drawn_only_while_their_box_is_open(db_file):
    """Closed (a metric not about customers), the cohort heatmap, the retention trend and their table
    are not sent: each rerun embedded two charts nobody saw. Opened, they are there; a metric about
    customers (retention) opens the box when picked."""
    from retro import metrics as M

    cohort_title = t("charts.cohort", "en")
    at = open_page("pages/trends.py", lang="en", metric="销售额")
    closed = chart_specs(at)
    assert not [s for s in closed if cohort_title in json.dumps(s, ensure_ascii=False)]
    assert not [b for b in at.main.get("download_button") if b.key.startswith("dl_cohorts")]
    at.session_state["trends_retention_open"] = True  # as a click on the box does (it reruns)
    at.run()
    assert_clean(at)
    opened = chart_specs(at)
    assert len(opened) == len(closed) + 2
    assert [b for b in at.main.get("download_button") if b.key.startswith("dl_cohorts")]
    retention = next(m.name for m in M.catalog(fresh_db(db_file)) if m.category == "retention")
    at = open_page("pages/trends.py", lang="en", metric=retention)
    assert at.session_state["trends_retention_open"] is True
    assert len(chart_specs(at)) >= 2
