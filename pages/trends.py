"""Trends: one metric over time, and why it moved.

KPI cards → the line (actual, last year, plan, anomalies, notes) → the breakdown that names the
segment behind the change and says whether it is seasonal → anomalies → retention cohorts →
notes → the data. Every control lives in the URL, so a copied link opens the same view.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from altair.utils.schemapi import debug_mode

from retro import charts, export
from retro import metrics as M
from retro.db import get_database
from retro.i18n import t
from retro.ui import active_period, can_edit, database, lang, md, tr, who

db = database()
L = lang()
PATH = str(db.path)
st.title(tr("nav.trends"))

# --------------------------------------------------------------------------- cached reads
# Keyed on the database file and its data version: an import or an edit invalidates them.


@st.cache_data(show_spinner=False, max_entries=16)
def _catalog(path: str, version: int) -> list[M.Metric]:
    return M.catalog(get_database(path))


@st.cache_data(show_spinner=False, max_entries=64)
def _dimensions(path: str, version: int, metric: str | None) -> list[str]:
    return M.dimensions(get_database(path), metric)


@st.cache_data(show_spinner=False, max_entries=64)
def _values(path: str, version: int, dimension: str) -> list[str]:
    return M.dimension_values(get_database(path), dimension)


@st.cache_data(show_spinner=False, max_entries=256)
def _series(path: str, version: int, metric: str, grain: str, scenario: str = "actual", by: str | None = None,
            filters: tuple = ()) -> pd.DataFrame:
    return M.series(get_database(path), metric, grain=grain, scenario=scenario, by=by, filters=dict(filters) or None)


@st.cache_data(show_spinner=False, max_entries=128)
def _breakdown(path: str, version: int, metric: str, period: dt.date, by: str, grain: str, filters: tuple,
               compare: str) -> pd.DataFrame:
    return M.breakdown(get_database(path), metric, period, by, grain=grain, filters=dict(filters) or None, compare=compare)


@st.cache_data(show_spinner=False, max_entries=64)
def _anomalies(path: str, version: int, metric: str, grain: str, by: str | None, filters: tuple, z: float,
               mom_threshold: float | None) -> pd.DataFrame:
    frame = _series(path, version, metric, grain, "actual", by, filters)
    return M.anomalies(frame, z=z, mom_threshold=mom_threshold)


@st.cache_data(show_spinner=False, max_entries=64)
def _notes(path: str, version: int, metric: str) -> pd.DataFrame:
    return M.annotations(get_database(path), metric)


def _chart_spec(builder: str, *args, **kwargs) -> dict:
    """A chart's Vega-Lite spec. Called inside the cached views below, so it is built once per view
    and data version: building an Altair chart costs more than the rest of a rerun, and keying a
    cache on the chart's DataFrames (hashing them) cost ~80 ms a rerun on its own."""
    with debug_mode(False):  # no schema check on every intermediate object: the final spec is what counts
        return charts.inline_data(getattr(charts, builder)(*args, **kwargs).to_dict(validate=False))


def show_spec(spec: dict) -> None:
    st.vega_lite_chart(spec=spec, width="stretch")


@st.cache_data(show_spinner=False, max_entries=32)
def _cohorts(path: str, version: int, filters: tuple) -> pd.DataFrame:
    return charts.complete_cohorts(M.cohorts(get_database(path), months=12, filters=dict(filters) or None))


# --------------------------------------------------------------------------- view state in the URL

saved: dict = st.session_state.setdefault("trends_view", {})


def arrival(param: str) -> list[str] | None:
    """What the URL asks for (a shared link), else what this session showed last, else None."""
    values = st.query_params.get_all(param)
    if values:
        return values
    last = saved.get(param)
    return None if last is None else last if isinstance(last, list) else [last]


def settle(key: str, param: str, options: list, default, parse=lambda v: v) -> None:
    """Give the widget ``key`` a valid value before it is drawn: the user's, else the URL's, else ``default``."""
    if key in st.session_state:
        value = st.session_state[key]
    else:
        raw = arrival(param)
        value = parse(raw[-1]) if raw else default
    st.session_state[key] = value if value in options else default


def to_url(params: dict[str, str | list[str]]) -> None:
    """Write the view into the URL (only what changed); filters no longer set are removed."""
    for name, value in params.items():
        wanted = value if isinstance(value, list) else [value]
        if st.query_params.get_all(name) != wanted:
            st.query_params[name] = value
    for name in [k for k in st.query_params if k.startswith("f_") and k not in params]:
        del st.query_params[name]
    for name in [k for k in saved if k.startswith("f_") and k not in params]:
        del saved[name]
    saved.update(params)


def label_to_date(label: str, grain: str) -> dt.date | None:
    try:
        return M.truncate(M.period_start(label), grain)
    except ValueError:
        return None


# --------------------------------------------------------------------------- small readings


def fmt(value, m: M.Metric, lang: str | None = None) -> str:
    return charts.format_value(None if value is None or pd.isna(value) else float(value), lang or L, m.unit,
                               m.number_format)


def fmt_change(value, m: M.Metric, lang: str | None = None) -> str:
    return charts.format_change(None if value is None or pd.isna(value) else float(value), lang or L, m.unit,
                                m.number_format)


def pct(value) -> str:
    return charts.format_pct(None if value is None or pd.isna(value) else float(value))


def rate_like(m: M.Metric) -> bool:
    return charts.is_percent(m.unit, m.number_format)


def key_metrics(chosen: str, catalog: list[M.Metric]) -> list[str]:
    """The chosen metric and the first metric of up to three other key categories."""
    out, used = [chosen], {next(m.category for m in catalog if m.name == chosen)}
    for category in ("revenue", "growth", "retention", "cost", "satisfaction", "efficiency"):
        first = next((m.name for m in catalog if m.category == category), None)
        if len(out) < 4 and category not in used and first:
            out.append(first)
            used.add(category)
    return out


def applicable(filters: dict[str, list[str]], metric: str) -> tuple:
    """The filters on dimensions ``metric`` has (a filter on 渠道 means nothing to a metric without 渠道)."""
    dims = set(_dimensions(PATH, version, metric))
    return tuple(sorted((d, tuple(v)) for d, v in filters.items() if v and d in dims))


def seasonality(frame: pd.DataFrame, segment: str, period: dt.date, grain: str) -> dict | None:
    """This period's change over the period before, next to the same change a year earlier:
    alike → probably seasonal; unlike → not. None at year grain or without data."""
    if grain == "year":
        return None
    rows = frame[frame["segment"] == segment].set_index("period")
    if period not in rows.index:
        return None
    now = rows.loc[period]
    year_ago = dt.date(period.year - 1, period.month, 1)
    ly_mom = rows.loc[year_ago, "mom"] if year_ago in rows.index else None
    mom = now["mom"]
    if mom is None or pd.isna(mom):
        return None
    if ly_mom is None or pd.isna(ly_mom):
        verdict = "unknown"
    else:
        alike = (mom >= 0) == (ly_mom >= 0) and abs(mom - ly_mom) <= max(0.05, 0.5 * abs(mom))
        verdict = "yes" if alike else "not"
    return {"verdict": verdict, "mom": mom, "ly_mom": ly_mom, "yoy": now["yoy"]}


def held_months(frame: pd.DataFrame, when: dt.date) -> int | None:
    """How many months an incomplete quarter or year holds (None when the period is complete)."""
    if "complete" not in frame:
        return None
    row = frame[(frame["period"] == when) & (frame["segment"] == "")] if "segment" in frame else frame[frame["period"] == when]
    if row.empty or bool(row.iloc[0]["complete"]) or pd.isna(row.iloc[0]["complete"]):
        return None
    return int(row.iloc[0]["months"] or 0)


def complete_only(found: pd.DataFrame) -> pd.DataFrame:
    """Anomalies of complete periods only: a quarter still in progress is not a collapse."""
    return found[found["complete"].fillna(True).astype(bool)] if "complete" in found else found


def anomaly_reason(row: pd.Series, momt: float | None, lang: str) -> str:
    z = "—" if row.get("zscore") is None or pd.isna(row.get("zscore")) else f"{row['zscore']:+.1f}"
    if row["reason"] == "mom":
        return t("trends.anomaly.mom", lang, mom=pct(row["mom"]), threshold=f"{(momt or 0) * 100:.0f}%")
    return t(f"trends.anomaly.{row['reason']}", lang, z=z)


def data_table(frame: pd.DataFrame, name: str, key: str, column_config: dict | None = None) -> None:
    """A table and its downloads: CSV that Excel opens in Chinese, and .xlsx."""
    st.dataframe(frame, hide_index=True, width="stretch", column_config=column_config)
    a, b, _ = st.columns([1, 1, 4])
    a.download_button(tr("trends.download_csv"), data=lambda: export.csv_bytes(frame), file_name=f"{name}.csv",
                      mime="text/csv", icon=":material/download:", key=f"{key}_csv", on_click="ignore")
    b.download_button(tr("trends.download_xlsx"), data=lambda: export.xlsx_bytes(frame, name), file_name=f"{name}.xlsx",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      icon=":material/table_view:", key=f"{key}_xlsx", on_click="ignore")


# --------------------------------------------------------------------------- cached views
# Each part of the page is computed once per data version and view, keyed on the few small values
# that define it (never on DataFrames): a rerun, or a return to a view seen before, reads the
# finished numbers, frames and chart specs instead of redoing the pandas work.


def _metric(path: str, version: int, name: str) -> M.Metric:
    return next(x for x in _catalog(path, version) if x.name == name)


@st.cache_data(show_spinner=False, max_entries=128)
def _card(path: str, version: int, name: str, grain: str, filters: tuple, period: dt.date, chosen: str) -> dict:
    """One KPI card: its numbers from the cached series (no second query), year to date and sparkline."""
    km = _metric(path, version, name)
    own = _series(path, version, name, grain, "actual", None, filters)
    card = M.card_from_series(km, own, period, grain=grain)
    # Year to date through the active month, whatever the grain: Jan–Oct against Jan–Oct.
    ytd_card = card if grain == "month" else M.card_from_series(
        km, _series(path, version, name, "month", "actual", None, filters), M.period_start(chosen))
    incomplete_periods = set(own.loc[~own["complete"].fillna(True).astype(bool), "period"]) if "complete" in own else set()
    return {"card": card, "partial": held_months(own, period), "ytd": ytd_card.ytd, "ytd_ly": ytd_card.ytd_last_year,
            "spark": [v for p, v in card.spark if v is not None and p not in incomplete_periods]}


@st.cache_data(show_spinner=False, max_entries=64)
def _anomaly_view(path: str, version: int, metric: str, grain: str, by: str | None, filters: tuple, z: float,
                  momt: float | None, lang: str) -> pd.DataFrame:
    """Anomalies of complete periods, labelled by period, each with the sentence saying why."""
    found = complete_only(_anomalies(path, version, metric, grain, by, filters, z, momt))
    found = found.assign(period=[M.period_label(p, grain) for p in found["period"]])
    found["why"] = [anomaly_reason(r, momt, lang) for _, r in found.iterrows()]
    return found


@st.cache_data(show_spinner=False, max_entries=64)
def _trend_view(path: str, version: int, metric: str, grain: str, filters: tuple, periods: tuple, period: dt.date,
                plabel: str, z: float, momt: float | None, last_year: bool, big: bool, lang: str) -> dict:
    """The line (actual, plan, last year, anomalies, notes) and what the page says under it."""
    m = _metric(path, version, metric)
    actual = _series(path, version, metric, grain, "actual", None, filters)
    plan = _series(path, version, metric, grain, "plan", None, filters)
    points = charts.on_periods(actual, list(periods), grain)
    plan_points = charts.on_periods(plan, list(periods), grain).dropna(subset=["value"])
    notes = _notes(path, version, metric)
    note_marks = pd.DataFrame({"period": [M.period_label(p, grain) for p in notes["period"]], "text": notes["text"]})
    note_marks = note_marks.groupby("period", as_index=False)["text"].agg("；".join) if not note_marks.empty else note_marks
    partial_now = held_months(actual, period)  # months in the active quarter/year when it is still in progress
    out = {"has_values": int(actual["value"].notna().sum()), "drawn": int(points["value"].notna().sum()),
           "partial_now": partial_now}
    if out["has_values"] == 0 or out["drawn"] == 0:
        return out
    anomalies = _anomaly_view(path, version, metric, grain, None, filters, z, momt, lang)
    out["spec"] = _chart_spec("trend_chart", points, lang=lang, label=m.label(lang), unit=m.unit,
                              number_format=m.number_format, plan=plan_points if not plan_points.empty else None,
                              last_year=last_year, anomalies=anomalies, notes=note_marks, current=plabel,
                              zero=not m.is_rate, big=big)
    out["yoy_known"] = int(actual["yoy"].notna().sum())
    incomplete = points[(points["value"].notna()) & (~points["complete"].fillna(True).astype(bool))] if "complete" in points else points.iloc[0:0]
    out["incomplete"] = [(r["period"], int(r["months"] or 0)) for _, r in incomplete.iterrows()]
    out["no_last_year"] = bool(last_year and points["last_year"].notna().sum() == 0)
    out["season"] = None if partial_now is not None else seasonality(actual, "", period, grain)
    return out


@st.cache_data(show_spinner=False, max_entries=64)
def _series_table(path: str, version: int, metric: str, grain: str, by: str | None, filters: tuple, first: str,
                  last: str, lang: str) -> pd.DataFrame:
    """The line's data (the total, and each segment when broken down) as the table under it."""
    actual = _series(path, version, metric, grain, "actual", None, filters)
    table_frames = [actual.assign(segment=t("trends.total", lang))]
    if by:
        table_frames.append(_series(path, version, metric, grain, "actual", by, filters))
    table = pd.concat(table_frames, ignore_index=True)
    table = table[table["period"].map(lambda p: first <= M.period_label(p, grain) <= last)]
    return pd.DataFrame({
        t("trends.col.period", lang): [M.period_label(p, grain) for p in table["period"]],
        (by or t("trends.col.segment", lang)): table["segment"],
        t("trends.col.value", lang): table["value"],
        t("trends.cmp.mom", lang): table["mom"],
        t("trends.cmp.yoy", lang): table["yoy"],
    })


def _mover_line(arrow: str, r: pd.Series, m: M.Metric, lang: str) -> str:
    return (f"{arrow} {md(r['segment'])} {md(fmt_change(r['change'], m, lang))}"
            + (f" ({md(pct(r['change'] / abs(r['base'])))})" if r["base"] and not rate_like(m) else ""))


@st.cache_data(show_spinner=False, max_entries=64)
def _breakdown_view(path: str, version: int, metric: str, grain: str, by: str, filters: tuple, compare: str,
                    period: dt.date, plabel: str, partial_now: int | None, periods: tuple, z: float,
                    momt: float | None, big: bool, lang: str) -> dict:
    """The breakdown: who drove the change (and is it seasonal), its charts, movers and table."""
    m = _metric(path, version, metric)
    label = m.label(lang)
    segments = _series(path, version, metric, grain, "actual", by, filters)
    out: dict = {"seg_anomalies": pd.DataFrame() if segments.empty else
                 _anomaly_view(path, version, metric, grain, by, filters, z, momt, lang)}
    frame = _breakdown(path, version, metric, period, by, grain, filters, compare)
    out["empty"] = bool(frame.empty or frame["value"].notna().sum() == 0)
    if out["empty"]:
        return out
    cmp_word = t(f"trends.cmp.{compare}", lang)
    if partial_now is not None:
        # Part of a quarter against a whole one is no change: show the split, not the "drop".
        frame = frame.assign(change=float("nan"), contribution=float("nan"))
    total_change = frame["change"].sum(min_count=1)
    base_total = frame["base"].sum(min_count=1)
    driver = None
    if pd.notna(total_change) and total_change != 0:
        moved = frame.dropna(subset=["change"])
        if frame["contribution"].notna().any():
            driver = moved.loc[moved["contribution"].idxmax()]
        else:
            driver = moved.loc[moved["change"].abs().idxmax()]
    out["driver"] = None if driver is None else driver["segment"]
    out["driver_text"] = out["season_text"] = None
    if driver is not None:
        if frame["contribution"].notna().any():
            out["driver_text"] = t("trends.driver", lang, period=plabel, metric=md(label), cmp=cmp_word,
                                   total=md(fmt_change(total_change, m, lang)),
                                   pct=pct(total_change / abs(base_total) if base_total else None),
                                   segment=md(driver["segment"]), change=md(fmt_change(driver["change"], m, lang)),
                                   share=charts.format_pct(driver["contribution"], signed=False))
        else:
            out["driver_text"] = t("trends.driver_rate", lang, period=plabel, metric=md(label), cmp=cmp_word,
                                   segment=md(driver["segment"]), change=md(fmt_change(driver["change"], m, lang)))
        season = seasonality(segments, driver["segment"], period, grain)
        if season:
            out["season_text"] = t(f"trends.season.{season['verdict']}", lang, what=md(driver["segment"]),
                                   mom=pct(season["mom"]), ly_mom=pct(season["ly_mom"]), yoy=pct(season["yoy"]),
                                   period=plabel)
    out["has_change"] = bool(frame["change"].notna().any())
    out["breakdown_spec"] = _chart_spec("breakdown_chart", frame, lang=lang, label=label, dimension=by,
                                        direction=m.direction, unit=m.unit, number_format=m.number_format, big=big)
    out["change_spec"] = _chart_spec("change_chart", frame, lang=lang, label=label, dimension=by, compare=compare,
                                     direction=m.direction, unit=m.unit, number_format=m.number_format,
                                     big=big) if out["has_change"] else None
    up, down = M.movers(frame)
    out["up"] = [_mover_line("▲", r, m, lang) for _, r in up.iterrows()]
    out["down"] = [_mover_line("▼", r, m, lang) for _, r in down.iterrows()]
    seg_points = segments.assign(period=[M.period_label(p, grain) for p in segments["period"]])
    seg_points = seg_points[seg_points["period"].isin(list(periods))]
    out["segment_spec"] = _chart_spec("segment_chart", seg_points, lang=lang, label=label, dimension=by,
                                      periods=list(periods), unit=m.unit, number_format=m.number_format,
                                      anomalies=out["seg_anomalies"], highlight=out["driver"], current=plabel, big=big)
    out["table"] = pd.DataFrame({
        by: frame["segment"],
        t("trends.col.value", lang): frame["value"],
        t(f"trends.col.base_{compare}", lang): frame["base"],
        t("trends.col.change", lang): frame["change"],
        t("trends.col.share", lang): frame["share"],
        t("trends.col.contribution", lang): frame["contribution"],
    })
    return out


@st.cache_data(show_spinner=False, max_entries=64)
def _anomaly_table(path: str, version: int, metric: str, grain: str, by: str | None, filters: tuple, z: float,
                   momt: float | None, periods: tuple, lang: str) -> pd.DataFrame | None:
    """Every anomaly of the shown periods, the total's first, newest first (None when there is none)."""
    m = _metric(path, version, metric)
    total = _anomaly_view(path, version, metric, grain, None, filters, z, momt, lang)
    listed = [total.assign(segment=t("trends.total", lang))]
    if by and not _series(path, version, metric, grain, "actual", by, filters).empty:
        listed.append(_anomaly_view(path, version, metric, grain, by, filters, z, momt, lang))
    found = pd.concat([f for f in listed if not f.empty], ignore_index=True) if any(not f.empty for f in listed) else pd.DataFrame()
    if not found.empty:
        found = found[found["period"].isin(list(periods))]
    if found.empty:
        return None
    found = found.assign(_total=found["segment"] != t("trends.total", lang))
    found = found.sort_values(["period", "_total", "segment"], ascending=[False, True, True])
    return pd.DataFrame({
        t("trends.col.period", lang): found["period"],
        (by or t("trends.col.segment", lang)): found["segment"],
        t("trends.col.value", lang): [fmt(v, m, lang) for v in found["value"]],
        t("trends.col.expected", lang): [fmt(v, m, lang) for v in found["expected"]],
        t("trends.col.reason", lang): found["why"],
    })


@st.cache_data(show_spinner=False, max_entries=32)
def _cohort_view(path: str, version: int, filters: tuple, grain: str, first: str, last: str, big: bool,
                 lang: str) -> dict | None:
    """The cohort heatmap, the month-1 retention trend and their table (None without cohorts)."""
    cohort_frame = _cohorts(path, version, filters)
    if cohort_frame.empty:
        return None
    cohort_frame = cohort_frame.assign(cohort=[M.period_label(c, "month") for c in cohort_frame["cohort"]])
    if grain == "month":
        cohort_frame = cohort_frame[cohort_frame["cohort"].between(first, last)]
    month1 = cohort_frame[cohort_frame["age"] == 1][["cohort", "retention"]]
    return {
        "cohort_spec": _chart_spec("cohort_chart", cohort_frame, lang=lang, big=big),
        "trend_spec": _chart_spec("retention_trend_chart", month1, lang=lang, big=big) if len(month1) >= 2 else None,
        "table": pd.DataFrame({
            t("charts.cohort", lang): cohort_frame["cohort"],
            t("charts.age", lang): cohort_frame["age"],
            t("charts.active", lang): cohort_frame["active"],
            t("charts.cohort_size", lang): cohort_frame["size"],
            t("charts.retention", lang): cohort_frame["retention"],
        }),
    }


# --------------------------------------------------------------------------- what there is

version = db.data_version()
catalog = _catalog(PATH, version)
version = db.data_version()  # the catalog may just have registered a new metric
if not catalog:
    st.info(tr("trends.no_metrics"), icon=":material/upload_file:")
    st.page_link("pages/import_data.py", label=tr("nav.import"), icon=":material/upload_file:")
    st.stop()
by_name = {m.name: m for m in catalog}
names = [m.name for m in catalog]

# --------------------------------------------------------------------------- controls

row1 = st.columns([3, 2.4, 2, 2], vertical_alignment="bottom")
settle("trends_metric", "metric", names, names[0])
metric = row1[0].selectbox(tr("trends.metric"), names, format_func={n: by_name[n].label(L) for n in names}.get, key="trends_metric")
m = by_name[metric]
label = m.label(L)

settle("trends_grain", "grain", list(M.GRAINS), "month")
grain = row1[1].segmented_control(tr("trends.grain"), M.GRAINS, format_func={g: tr(f"grain.{g}") for g in M.GRAINS}.get,
                                  required=True, key="trends_grain")

dims = _dimensions(PATH, version, metric)
overall = _dimensions(PATH, version, None)
default_by = next((d for d in overall if d in dims), dims[0] if dims else "")
settle("trends_by", "by", ["", *dims], default_by)
by = row1[2].selectbox(tr("trends.by"), ["", *dims], format_func={"": tr("trends.by_none"), **{d: d for d in dims}}.get, key="trends_by") or None

settle("trends_cmp", "cmp", ["mom", "yoy"], "mom")
compare = row1[3].segmented_control(tr("trends.compare"), ("mom", "yoy"), format_func={c: tr(f"trends.cmp.{c}") for c in ("mom", "yoy")}.get,
                                    required=True, key="trends_cmp")

actual_all = _series(PATH, version, metric, grain)
plan_all = _series(PATH, version, metric, grain, "plan")
known = sorted(set(actual_all["period"]) | set(plan_all["period"]))
row2 = st.columns([5, 2, 2], vertical_alignment="bottom")
if known:
    options = charts.period_labels(known[0], known[-1], grain)
    last_actual = M.period_label(max(actual_all["period"]), grain) if not actual_all.empty else options[-1]
    span = {"month": 24, "quarter": 12, "year": 10}[grain]
    end_default = options[-1]
    start_default = options[max(0, options.index(last_actual) - span + 1)]
    range_key = f"trends_range_{grain}"
    if range_key not in st.session_state:
        start_raw, end_raw = arrival("from"), arrival("to")
        start = label_to_date(start_raw[-1], grain) if start_raw else None
        end = label_to_date(end_raw[-1], grain) if end_raw else None
        wanted = (M.period_label(start, grain) if start else start_default, M.period_label(end, grain) if end else end_default)
    else:
        wanted = st.session_state[range_key]
    if not (isinstance(wanted, tuple | list) and len(wanted) == 2 and all(w in options for w in wanted)
            and options.index(wanted[0]) <= options.index(wanted[1])):
        wanted = (start_default, end_default)
    st.session_state[range_key] = tuple(wanted)
    if len(options) > 1:
        first, last = row2[0].select_slider(tr("trends.range"), options=options, key=range_key)
    else:
        first = last = options[0]
        row2[0].caption(tr("trends.one_period", period=first))
else:
    first = last = None

settle("trends_ly", "ly", [True, False], False, parse=lambda v: v == "1")
show_last_year = row2[1].toggle(tr("trends.last_year"), key="trends_ly")
settle("trends_big", "big", [True, False], False, parse=lambda v: v == "1")
big = row2[2].toggle(tr("trends.big"), key="trends_big", help=tr("trends.big_help"))

filters: dict[str, list[str]] = {}
active_filters = sum(1 for d in dims if st.session_state.get(f"trends_f_{d}"))
with st.expander(tr("trends.filters") + (f" · {active_filters}" if active_filters else ""), icon=":material/filter_alt:"):
    if not dims:
        st.caption(tr("trends.no_dimensions"))
    columns = st.columns(max(1, min(len(dims), 4)))
    for i, dim in enumerate(dims):
        col = columns[i % len(columns)]
        values = _values(PATH, version, dim)
        key = f"trends_f_{dim}"
        if key not in st.session_state:
            raw = arrival(f"f_{dim}") or []
            chosen = [v for r in raw for v in ([r] if r in values else r.split(","))]
            st.session_state[key] = [v for v in dict.fromkeys(chosen) if v in values]
        else:
            st.session_state[key] = [v for v in st.session_state[key] if v in values]
        filters[dim] = col.multiselect(md(dim), values, key=key, placeholder=tr("trends.all"))

fkey = applicable(filters, metric)
view = {"metric": metric, "grain": grain, "by": by or "", "cmp": compare, "ly": "1" if show_last_year else "0",
        "big": "1" if big else "0"}
if first:
    view.update({"from": first, "to": last})
for dim, values in filters.items():
    if values:
        view[f"f_{dim}"] = values if any("," in v for v in values) else ",".join(values)
to_url(view)

if big:
    st.html("<style>html { font-size: 19px; }</style>")  # Streamlit sizes in rem: everything grows

# --------------------------------------------------------------------------- the active period

chosen_month = active_period()
if not chosen_month or not first:
    st.info(tr("trends.no_data_metric", metric=md(label)), icon=":material/info:")
    st.stop()
period = M.truncate(M.period_start(chosen_month), grain)
plabel = M.period_label(period, grain)
periods = options[options.index(first): options.index(last) + 1]
settle("trends_z", "z", [1.5, 2.0, 2.5, 3.0, 3.5, 4.0], 2.0, parse=lambda v: float(v) if v.replace(".", "", 1).isdigit() else 2.0)
settle("trends_momt", "momt", list(range(0, 101, 5)), 0, parse=lambda v: int(v) if v.isdigit() else 0)
z_limit = st.session_state["trends_z"]
momt = st.session_state["trends_momt"] / 100 or None
line = _trend_view(PATH, version, metric, grain, fkey, tuple(periods), period, plabel, z_limit, momt, show_last_year,
                   big, L)
has_values = line["has_values"]
partial_now = line["partial_now"]

st.caption(tr("trends.period_note", period=plabel, grain=tr(f"grain.{grain}").lower()))

# --------------------------------------------------------------------------- KPI cards

cards = key_metrics(metric, catalog)
SPAN = {"month": 1, "quarter": 3, "year": 12}[grain]
# On a projector the numbers need the room: two cards a row.
card_columns = st.columns(len(cards)) if not big else [c for _ in range(0, len(cards), 2) for c in st.columns(2)]
for col, name in zip(card_columns, cards, strict=False):
    km = by_name[name]
    shown = _card(PATH, version, name, grain, applicable(filters, name), period, chosen_month)
    card, partial_months, spark = shown["card"], shown["partial"], shown["spark"]
    with col.container(border=True):
        if partial_months is not None:
            delta = None  # a quarter with one month against a full one is not a change
        elif rate_like(km) and card.value is not None and card.prev is not None:
            delta = f"{(card.value - card.prev) * 100:+.1f}" + ("个百分点" if L == "zh" else " pp")
        else:
            delta = None if card.mom is None else f"{card.mom * 100:+.1f}%"
        st.metric(
            km.label(L) + (" ★" if name == metric else ""),
            fmt(card.value, km),
            delta=delta,
            delta_color="inverse" if km.direction == "down" else "normal",
            delta_description=tr(f"trends.vs_prev.{grain}") if delta else None,
            chart_data=spark or None,
            chart_type="area",
        )
        lines = []
        if partial_months is None:
            color = {"good": "green", "bad": "red", "flat": "gray"}[card.tone(card.yoy)]
            arrow = "▲" if (card.yoy or 0) > 0 else "▼" if (card.yoy or 0) < 0 else "·"
            lines.append(f"{tr('trends.cmp.yoy')} " + (f":{color}[{arrow} {md(pct(card.yoy))}]" if card.yoy is not None else "—"))
        ytd, ytd_ly = shown["ytd"], shown["ytd_ly"]
        ytd_change = None if ytd is None or not ytd_ly else (ytd - ytd_ly) / abs(ytd_ly)
        lines.append(f"{tr('trends.ytd_avg' if km.is_rate else 'trends.ytd')} **{md(fmt(ytd, km))}**"
                     + (f" ({tr('trends.cmp.yoy')} {md(pct(ytd_change))})" if ytd_change is not None else ""))
        st.markdown("  \n".join(lines))
        if card.value is None:
            st.caption(tr("trends.card_no_value", period=plabel))
        elif partial_months is not None:
            st.caption(tr("trends.partial_card", months=partial_months, span=SPAN))

# --------------------------------------------------------------------------- the line

st.subheader(tr("trends.over_time", metric=md(label)))
if has_values == 0:
    st.info(tr("trends.empty_filtered" if fkey else "trends.empty_metric", metric=md(label)), icon=":material/search_off:")
elif line["drawn"] == 0:
    st.info(tr("trends.empty_range", first=first, last=last), icon=":material/search_off:")
else:
    show_spec(line["spec"])
    need = {"month": 13, "quarter": 5, "year": 2}[grain]
    if has_values < 2:
        st.caption(tr("trends.too_short_mom", n=int(has_values)))
    elif line["yoy_known"] == 0:
        st.caption(tr("trends.too_short_yoy", n=int(has_values), need=need, grain=tr(f"grain.{grain}").lower()))
    for shown_period, held in line["incomplete"]:
        st.caption(tr("trends.partial_period", period=shown_period, months=held,
                      span={"quarter": 3, "year": 12}.get(grain, 1), grain=tr(f"grain.{grain}").lower()))
    if line["no_last_year"]:
        st.caption(tr("trends.no_last_year"))
    total_season = line["season"]
    if total_season:
        st.markdown(tr(f"trends.season.{total_season['verdict']}", what=md(label), mom=pct(total_season["mom"]),
                       ly_mom=pct(total_season["ly_mom"]), yoy=pct(total_season["yoy"]), period=plabel))

    with st.expander(tr("trends.data_table"), icon=":material/table:"):
        data_table(_series_table(PATH, version, metric, grain, by, fkey, first, last, L), f"{metric}_{grain}",
                   "dl_series", column_config={
                       tr("trends.cmp.mom"): st.column_config.NumberColumn(format="percent"),
                       tr("trends.cmp.yoy"): st.column_config.NumberColumn(format="percent"),
                       tr("trends.col.value"): st.column_config.NumberColumn(format="percent" if rate_like(m) else "localized"),
                   })

# --------------------------------------------------------------------------- breakdown

st.subheader(tr("trends.breakdown_title", period=plabel))
if not by:
    st.info(tr("trends.pick_breakdown"), icon=":material/call_split:")
else:
    split = _breakdown_view(PATH, version, metric, grain, by, fkey, compare, period, plabel, partial_now, tuple(periods),
                            z_limit, momt, big, L)
    if split["empty"]:
        st.info(tr("trends.breakdown_empty", period=plabel), icon=":material/search_off:")
    else:
        cmp_word = tr(f"trends.cmp.{compare}")
        if partial_now is not None:
            # Part of a quarter against a whole one is no change: show the split, not the "drop".
            st.warning(tr("trends.partial_breakdown", period=plabel, months=partial_now, span=SPAN),
                       icon=":material/hourglass_top:")
        if split["driver"] is None and partial_now is None:
            st.caption(tr("trends.no_comparison", cmp=cmp_word))
        elif split["driver"] is not None:
            st.markdown(split["driver_text"])
            if split["season_text"]:
                st.markdown(split["season_text"])

        has_change = split["has_change"]
        left, right = st.columns(2) if has_change else (st.container(), None)
        with left:
            st.markdown(f"**{tr('trends.value_share', dim=md(by))}**")
            if has_change:
                st.caption(tr("trends.colors", cmp=cmp_word, direction=tr(f"metrics.dir.{m.direction}")))
            show_spec(split["breakdown_spec"])
        if right is not None:
            with right:
                st.markdown(f"**{tr('trends.change_contribution', cmp=cmp_word)}**")
                show_spec(split["change_spec"])
        elif partial_now is None:
            st.caption(tr("trends.no_comparison", cmp=cmp_word))

        a, b = st.columns(2)
        a.markdown(f"**{tr('trends.movers_up')}**")
        for text in split["up"]:
            a.markdown(text)
        if not split["up"]:
            a.caption("—" if partial_now is None else tr("trends.partial_short"))
        b.markdown(f"**{tr('trends.movers_down')}**")
        for text in split["down"]:
            b.markdown(text)
        if not split["down"]:
            b.caption("—" if partial_now is None else tr("trends.partial_short"))

        st.markdown(f"**{tr('trends.segments_over_time', dim=md(by))}**")
        show_spec(split["segment_spec"])

        with st.expander(tr("trends.breakdown_table"), icon=":material/table:"):
            data_table(split["table"], f"{metric}_{by}_{plabel}", "dl_breakdown", column_config={
                tr("trends.col.share"): st.column_config.NumberColumn(format="percent"),
                tr("trends.col.contribution"): st.column_config.NumberColumn(format="percent"),
            })

# --------------------------------------------------------------------------- anomalies

st.subheader(tr("trends.anomalies"))
c1, c2, _ = st.columns([2, 2, 3])
c1.select_slider(tr("trends.z"), options=[1.5, 2.0, 2.5, 3.0, 3.5, 4.0], key="trends_z", help=tr("trends.z_help"))
c2.select_slider(tr("trends.momt"), options=list(range(0, 101, 5)), key="trends_momt",
                 format_func={v: tr("trends.off") if v == 0 else f"±{v}%" for v in range(0, 101, 5)}.get, help=tr("trends.momt_help"))
to_url({**view, "z": f"{z_limit:g}", "momt": str(int(st.session_state["trends_momt"]))})
found = _anomaly_table(PATH, version, metric, grain, by, fkey, z_limit, momt, tuple(periods), L)
if found is None:
    st.caption(tr("trends.no_anomalies", first=first, last=last))
else:
    st.dataframe(found, hide_index=True, width="stretch")

# --------------------------------------------------------------------------- retention

tx_customers = by_name.get(M.TX_CUSTOMERS)
if tx_customers is not None and tx_customers.source == "transactions":
    with st.expander(tr("trends.retention"), expanded=m.category in ("retention", "growth"), icon=":material/group:"):
        cohort = _cohort_view(PATH, version, applicable(filters, M.TX_CUSTOMERS), grain, first, last, big, L)
        if cohort is None:
            st.info(tr("trends.retention_empty"), icon=":material/search_off:")
        else:
            st.caption(tr("trends.retention_help"))
            show_spec(cohort["cohort_spec"])
            if cohort["trend_spec"] is not None:
                st.markdown(f"**{tr('trends.retention_trend')}**")
                show_spec(cohort["trend_spec"])
            with st.popover(tr("trends.data_table"), icon=":material/table:"):
                data_table(cohort["table"], "cohorts", "dl_cohorts",
                           column_config={tr("charts.retention"): st.column_config.NumberColumn(format="percent")})

# --------------------------------------------------------------------------- notes

st.subheader(tr("trends.notes"))
notes = _notes(PATH, version, metric)
st.caption(tr("trends.notes_help", metric=md(label)))
if can_edit():  # viewers read the notes; adding one is a change
    with st.form("trends_note", clear_on_submit=True, border=True):
        a, b = st.columns([1, 4], vertical_alignment="bottom")
        note_period = a.selectbox(tr("trends.note_period"), periods[::-1],
                                  index=(periods[::-1].index(plabel) if plabel in periods else 0), key="trends_note_period")
        note_text = b.text_input(tr("trends.note_text"), max_chars=500, placeholder=tr("trends.note_placeholder"),
                                 key="trends_note_text")
        if st.form_submit_button(tr("trends.note_add"), icon=":material/add_comment:"):
            if not note_text.strip():
                st.error(tr("trends.note_empty"), icon=":material/error:")
            else:
                M.add_annotation(db, metric, M.period_start(note_period), note_text, author=who())
                st.toast(tr("trends.note_added", period=note_period))
                st.rerun()
if notes.empty:
    st.caption(tr("trends.no_notes"))
for note in notes.itertuples():
    a, b = st.columns([6, 1], vertical_alignment="center")
    a.markdown(f"**{M.period_label(note.period, grain)}** · {md(note.text)}")
    if can_edit() and b.button(tr("trends.note_delete"), key=f"trends_note_del_{note.id}", icon=":material/delete:",
                               type="tertiary"):
        M.delete_annotation(db, int(note.id))
        st.rerun()
