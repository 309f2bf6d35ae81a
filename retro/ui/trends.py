"""The trends page's cached reads and views (pages/trends.py draws them).

Every part of the page is one view in the process-wide memo (``retro.memo.shared``), keyed on the
database file, its data version and the small values that define it, never on DataFrames: built
once, shared by every session, and never mutated by the page.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import streamlit as st
from altair.utils.schemapi import debug_mode

from .. import charts
from .. import metrics as M
from ..db import get_database
from ..i18n import t
from ..ingest.restatements import restated_points
from ..memo import shared
from .text import md

# --------------------------------------------------------------------------- cached reads
# Keyed on the database file and its data version: an import or an edit makes them unreachable.


@shared(16)
def catalog(path: str, version: int) -> list[M.Metric]:
    return M.catalog(get_database(path))


@shared(64)
def together(path: str, version: int, metric: str) -> set[str]:
    return M.metrics_together(get_database(path), metric)


@shared(64)
def dimensions(path: str, version: int, metric: str | None) -> list[str]:
    return M.dimensions(get_database(path), metric)


@shared(64)
def dimension_values(path: str, version: int, dimension: str) -> list[str]:
    return M.dimension_values(get_database(path), dimension)


@shared(256)
def _series(path: str, version: int, metric: str, grain: str, scenario: str, by: str | None,
            filters: tuple) -> pd.DataFrame:
    return M.series(get_database(path), metric, grain=grain, scenario=scenario, by=by, filters=dict(filters) or None)


def series(path: str, version: int, metric: str, grain: str, scenario: str = "actual", by: str | None = None,
           filters: tuple = ()) -> pd.DataFrame:
    """A metric's series (``filters``: sorted (dimension, values) pairs), kept per data version."""
    return _series(path, version, metric, grain, scenario, by, filters)


def prefetch(path: str, version: int, wanted: list[tuple]) -> None:
    """Fetch every series of ``wanted`` (:func:`series`' arguments after the version) not kept yet,
    in one query: a new filter needs about seven at once, and each alone costs more in its fixed
    parts than in its work."""
    keys = _series.memo.reserve([(path, version, *w) for w in wanted])  # another session's wait for them
    if not keys:
        return
    try:
        frames = M.series_many(get_database(path), [M.SeriesRequest(*k[2:]) for k in keys])
    except BaseException:
        for key in keys:  # each caller computes its own, and sees the error
            _series.memo.release(key)
        raise
    for key, frame in zip(keys, frames, strict=True):
        _series.memo.put(key, frame)


def view_series(metric: str, grain: str, by: str | None, filters: tuple, cards: list[tuple[str, tuple]]) -> list[tuple]:
    """The series a trends view reads (for :func:`prefetch`): each card's (``cards``: name and its
    applicable filters), at the grain and by month for the year to date, the plan, the segments."""
    wanted = [(name, grain, "actual", None, f) for name, f in cards]
    if grain != "month":
        wanted += [(name, "month", "actual", None, f) for name, f in cards]
    wanted += [(metric, grain, "actual", None, filters), (metric, grain, "plan", None, filters)]
    if by:
        wanted.append((metric, grain, "actual", by, filters))
    return wanted


@shared(64)
def period_options(path: str, version: int, metric: str, grain: str) -> tuple[list[str], str | None]:
    """Every period label from the first to the last with actual or plan data, and the last actual's."""
    actual = series(path, version, metric, grain)
    plan = series(path, version, metric, grain, "plan")
    known = sorted(set(actual["period"]) | set(plan["period"]))
    if not known:
        return [], None
    options = charts.period_labels(known[0], known[-1], grain)
    return options, M.period_label(max(actual["period"]), grain) if not actual.empty else options[-1]


@shared(64)
def anomalies(path: str, version: int, metric: str, grain: str, by: str | None, filters: tuple, z: float,
               mom_threshold: float | None) -> list[dict]:
    frame = series(path, version, metric, grain, "actual", by, filters)
    return M.anomaly_rows(frame, z=z, mom_threshold=mom_threshold)


@shared(64)
def notes(path: str, version: int, metric: str) -> pd.DataFrame:
    return M.annotations(get_database(path), metric)


def chart_spec(builder: str, *args, **kwargs) -> dict:
    """A chart's Vega-Lite spec. Called inside the cached views below, so it is built once per view
    and data version: building an Altair chart costs more than the rest of a rerun, and keying a
    cache on the chart's DataFrames (hashing them) cost ~80 ms a rerun on its own."""
    with debug_mode(False):  # no schema check on every intermediate object: the final spec is what counts
        return charts.spec_of(getattr(charts, builder)(*args, **kwargs))


def show_spec(spec: dict) -> None:
    st.vega_lite_chart(spec=spec, width="stretch")


@shared(32)
def cohorts(path: str, version: int, filters: tuple) -> pd.DataFrame:
    return charts.complete_cohorts(M.cohorts(get_database(path), months=12, filters=dict(filters) or None))


def fmt(value, m: M.Metric, lang: str) -> str:
    return charts.format_value(None if value is None or pd.isna(value) else float(value), lang, m.unit,
                               m.number_format)


def fmt_change(value, m: M.Metric, lang: str) -> str:
    return charts.format_change(None if value is None or pd.isna(value) else float(value), lang, m.unit,
                                m.number_format)


def pct(value) -> str:
    return charts.format_pct(None if value is None or pd.isna(value) else float(value))


def rate_like(m: M.Metric) -> bool:
    return charts.is_percent(m.unit, m.number_format)


def seasonality(frame: pd.DataFrame, segment: str, period: dt.date, grain: str) -> dict | None:
    """This period's change over the period before, next to the same change a year earlier:
    alike → probably seasonal; unlike → not. None at year grain or without data."""
    if grain == "year":
        return None
    year_ago = dt.date(period.year - 1, period.month, 1)
    rows = {p: i for i, (p, s) in enumerate(zip(frame["period"].tolist(), frame["segment"].tolist(), strict=True))
            if s == segment and p in (period, year_ago)}
    if period not in rows:
        return None
    moms, yoys = frame["mom"].tolist(), frame["yoy"].tolist()
    ly_mom = moms[rows[year_ago]] if year_ago in rows else None
    mom = moms[rows[period]]
    yoy = yoys[rows[period]]
    if mom is None or pd.isna(mom):
        return None
    if ly_mom is None or pd.isna(ly_mom):
        verdict = "unknown"
    else:
        alike = (mom >= 0) == (ly_mom >= 0) and abs(mom - ly_mom) <= max(0.05, 0.5 * abs(mom))
        verdict = "yes" if alike else "not"
    return {"verdict": verdict, "mom": mom, "ly_mom": ly_mom, "yoy": yoy}


def held_months(frame: pd.DataFrame, when: dt.date) -> int | None:
    """How many months an incomplete quarter or year holds (None when the period is complete)."""
    if "complete" not in frame:
        return None
    segments = frame["segment"].tolist() if "segment" in frame else [""] * len(frame)
    at = next((i for i, (p, s) in enumerate(zip(frame["period"].tolist(), segments, strict=True))
               if p == when and s == ""), None)
    if at is None:
        return None
    complete = frame["complete"].iloc[at]
    if complete is None or complete is pd.NA or complete != complete or bool(complete):
        return None
    return int(frame["months"].iloc[at] or 0)


def anomaly_reason(row: dict, momt: float | None, lang: str) -> str:
    z = "—" if row.get("zscore") is None or pd.isna(row.get("zscore")) else f"{row['zscore']:+.1f}"
    if row["reason"] == "mom":
        return t("trends.anomaly.mom", lang, mom=pct(row["mom"]), threshold=f"{(momt or 0) * 100:.0f}%")
    return t(f"trends.anomaly.{row['reason']}", lang, z=z)


# --------------------------------------------------------------------------- cached views
# Each part of the page is computed once per data version and view, keyed on the few small values
# that define it (never on DataFrames): a rerun, or a return to a view seen before, reads the
# finished numbers, frames and chart specs instead of redoing the pandas work.


def metric_of(path: str, version: int, name: str) -> M.Metric:
    return next(x for x in catalog(path, version) if x.name == name)


@shared(128)
def card(path: str, version: int, name: str, grain: str, filters: tuple, period: dt.date, chosen: str) -> dict:
    """One KPI card: its numbers from the cached series (no second query), year to date and sparkline."""
    km = metric_of(path, version, name)
    own = series(path, version, name, grain, "actual", None, filters)
    card = M.card_from_series(km, own, period, grain=grain)
    # Year to date through the active month, whatever the grain: Jan–Oct against Jan–Oct.
    ytd_card = card if grain == "month" else M.card_from_series(
        km, series(path, version, name, "month", "actual", None, filters), M.period_start(chosen))
    incomplete_periods = ({p for p, done in zip(own["period"].tolist(), own["complete"].tolist(), strict=True) if done is False}
                          if "complete" in own else set())
    return {"card": card, "partial": held_months(own, period), "ytd": ytd_card.ytd, "ytd_ly": ytd_card.ytd_last_year,
            "ytd_compared": ytd_card.ytd_compared,
            "spark": [v for p, v in card.spark if v is not None and p not in incomplete_periods]}


@shared(64)
def anomaly_view(path: str, version: int, metric: str, grain: str, by: str | None, filters: tuple, z: float,
                  momt: float | None, lang: str) -> list[dict]:
    """Anomalies of complete periods (a quarter still in progress is not a collapse), in the order
    found, as rows: period (label), segment, value, expected and why (the sentence saying why); what
    the charts mark and the table lists, and no more."""
    return [{"period": M.period_label(r["period"], grain), "segment": r["segment"], "value": r["value"],
             "expected": r["expected"], "why": anomaly_reason(r, momt, lang)}
            for r in anomalies(path, version, metric, grain, by, filters, z, momt) if r.get("complete") is not False]


@shared(64)
def _restated(path: str, version: int, metric: str, grain: str) -> pd.DataFrame:
    db = get_database(path)
    return restated_points(db, M._member_names(db, metric), grain)


def restated_marks(path: str, version: int, metric: str, grain: str, points: list[dict]) -> list[dict] | None:
    """The line's points an import restated, each with its value before (only for a summed metric's
    total: an average's earlier value is not the stored values' difference)."""
    m = metric_of(path, version, metric)
    if m.aggregation != "sum" or m.source != "facts":
        return None
    found = _restated(path, version, metric, grain)
    if found.empty:
        return None
    change = {M.period_label(p, grain): float(c) for p, c in zip(found["period"], found["change"], strict=True)}
    return [{"period": r["period"], "value": r["value"], "earlier": r["value"] - change[r["period"]]}
            for r in points if r["period"] in change and r["value"] is not None]


@shared(64)
def trend_view(path: str, version: int, metric: str, grain: str, filters: tuple, periods: tuple, period: dt.date,
                plabel: str, z: float, momt: float | None, last_year: bool, big: bool, lang: str) -> dict:
    """The line (actual, plan, last year, anomalies, notes) and what the page says under it."""
    m = metric_of(path, version, metric)
    actual = series(path, version, metric, grain, "actual", None, filters)
    plan = series(path, version, metric, grain, "plan", None, filters)
    points = charts.on_periods(actual, list(periods), grain)
    # The plan where it has a value on the axis (its rows are one per period, in order: no reindex).
    on_axis = set(periods)
    plan_points = [{"period": label, "value": value}
                   for label, value in zip(M.labels_of(plan, grain), plan["value"].tolist(), strict=True)
                   if label in on_axis and value == value]
    stored = notes(path, version, metric)
    note_marks = None
    if not stored.empty:
        note_marks = pd.DataFrame({"period": [M.period_label(p, grain) for p in stored["period"]], "text": stored["text"]})
        note_marks = note_marks.groupby("period", as_index=False)["text"].agg("；".join)
    partial_now = held_months(actual, period)  # months in the active quarter/year when it is still in progress
    out = {"has_values": int(actual["value"].notna().sum()), "drawn": sum(r["value"] is not None for r in points),
           "partial_now": partial_now}
    if out["has_values"] == 0 or out["drawn"] == 0:
        return out
    found = anomaly_view(path, version, metric, grain, None, filters, z, momt, lang)
    out["spec"] = chart_spec("trend_chart", points, lang=lang, label=m.label(lang), unit=m.unit,
                              number_format=m.number_format, plan=plan_points or None,
                              last_year=last_year, anomalies=found, notes=note_marks, current=plabel,
                              zero=not m.is_rate, big=big,
                              restated=restated_marks(path, version, metric, grain, points) if not filters else None)
    out["yoy_known"] = int(actual["yoy"].notna().sum())
    out["incomplete"] = [(r["period"], int(r["months"] or 0)) for r in points
                         if r["value"] is not None and r.get("complete") is False]
    out["no_last_year"] = bool(last_year and all(r.get("last_year") is None for r in points))
    out["season"] = None if partial_now is not None else seasonality(actual, "", period, grain)
    return out


@shared(64)
def series_table(path: str, version: int, metric: str, grain: str, by: str | None, filters: tuple, first: str,
                  last: str, lang: str) -> pd.DataFrame:
    """The line's data (the total, and each segment when broken down) as the table under it."""
    actual = series(path, version, metric, grain, "actual", None, filters)
    table_frames = [actual.assign(segment=t("trends.total", lang))]
    if by:
        table_frames.append(series(path, version, metric, grain, "actual", by, filters))
    table = pd.concat(table_frames, ignore_index=True)
    table = table[table["period"].map(lambda p: first <= M.period_label(p, grain) <= last)]
    return pd.DataFrame({
        t("trends.col.period", lang): [M.period_label(p, grain) for p in table["period"]],
        (by or t("trends.col.segment", lang)): table["segment"],
        t("trends.col.value", lang): table["value"],
        t("trends.cmp.mom", lang): table["mom"],
        t("trends.cmp.yoy", lang): table["yoy"],
    })


def mover_line(arrow: str, r: dict, m: M.Metric, lang: str) -> str:
    return (f"{arrow} {md(r['segment'])} {md(fmt_change(r['change'], m, lang))}"
            + (f" ({md(pct(r['change'] / abs(r['base'])))})" if r["base"] and not rate_like(m) else ""))


@shared(64)
def breakdown_view(path: str, version: int, metric: str, grain: str, by: str, filters: tuple, compare: str,
                    period: dt.date, plabel: str, partial_now: int | None, periods: tuple, z: float,
                    momt: float | None, big: bool, lang: str) -> dict:
    """The breakdown: who drove the change (and is it seasonal), its charts, movers and table."""
    m = metric_of(path, version, metric)
    label = m.label(lang)
    segments = series(path, version, metric, grain, "actual", by, filters)
    out: dict = {"seg_anomalies": [] if segments.empty else anomaly_view(path, version, metric, grain, by, filters, z,
                                                                         momt, lang)}
    frame = M.breakdown_from_series(m, segments, period, compare=compare)
    out["empty"] = bool(frame.empty or frame["value"].notna().sum() == 0)
    if out["empty"]:
        return out
    cmp_word = t(f"trends.cmp.{compare}", lang)
    if partial_now is not None:
        # Part of a quarter against a whole one is no change: show the split, not the "drop".
        frame = frame.assign(change=float("nan"), contribution=float("nan"))
    change = frame["change"].to_numpy(dtype=float, na_value=np.nan)
    base = frame["base"].to_numpy(dtype=float, na_value=np.nan)
    contribution = frame["contribution"].to_numpy(dtype=float, na_value=np.nan)
    total_change = np.nansum(change) if not np.isnan(change).all() else np.nan
    base_total = np.nansum(base) if not np.isnan(base).all() else np.nan
    has_contribution = not np.isnan(contribution).all()
    rows = M.records(frame)
    driver = None
    if not np.isnan(total_change) and total_change != 0:
        # The first segment with the largest part of the change (or, for rates, the largest change).
        driver = rows[int(np.nanargmax(contribution if has_contribution else np.abs(change)))]
    out["driver"] = None if driver is None else driver["segment"]
    out["driver_text"] = out["season_text"] = None
    if driver is not None:
        if has_contribution:
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
    out["has_change"] = bool(not np.isnan(change).all())
    out["breakdown_spec"] = chart_spec("breakdown_chart", frame, lang=lang, label=label, dimension=by,
                                        direction=m.direction, unit=m.unit, number_format=m.number_format, big=big)
    out["change_spec"] = chart_spec("change_chart", frame, lang=lang, label=label, dimension=by, compare=compare,
                                     direction=m.direction, unit=m.unit, number_format=m.number_format,
                                     big=big) if out["has_change"] else None
    up, down = M.mover_positions(change)
    out["up"] = [mover_line("▲", rows[i], m, lang) for i in up]
    out["down"] = [mover_line("▼", rows[i], m, lang) for i in down]
    # The segments' lines over the axis: only what the chart draws, missing values empty.
    shown = set(periods)
    seg_points = [{"period": label, "segment": segment, "value": None if value != value else value, "complete": done}
                  for label, segment, value, done in zip(M.labels_of(segments, grain), segments["segment"].tolist(),
                                                         segments["value"].tolist(), segments["complete"].tolist(),
                                                         strict=True) if label in shown]
    out["segment_spec"] = chart_spec("segment_chart", seg_points, lang=lang, label=label, dimension=by,
                                      periods=list(periods), unit=m.unit, number_format=m.number_format,
                                      anomalies=out["seg_anomalies"], highlight=out["driver"], current=plabel, big=big)
    out["frame"] = frame  # its table is built when someone opens it (breakdown_table)
    return out


def breakdown_table(frame: pd.DataFrame, by: str, compare: str, lang: str) -> pd.DataFrame:
    """The breakdown (:func:`breakdown_view`'s 'frame') as the table under it, its headers in ``lang``."""
    return pd.DataFrame({
        by: frame["segment"],
        t("trends.col.value", lang): frame["value"],
        t(f"trends.col.base_{compare}", lang): frame["base"],
        t("trends.col.change", lang): frame["change"],
        t("trends.col.share", lang): frame["share"],
        t("trends.col.contribution", lang): frame["contribution"],
    })


@shared(64)
def anomaly_table(path: str, version: int, metric: str, grain: str, by: str | None, filters: tuple, z: float,
                   momt: float | None, periods: tuple, lang: str) -> pd.DataFrame | None:
    """Every anomaly of the shown periods, the total's first, newest first (None when there is none)."""
    m = metric_of(path, version, metric)
    total = t("trends.total", lang)
    found = [{**r, "segment": total} for r in anomaly_view(path, version, metric, grain, None, filters, z, momt, lang)]
    if by and not series(path, version, metric, grain, "actual", by, filters).empty:
        found += anomaly_view(path, version, metric, grain, by, filters, z, momt, lang)
    shown = set(periods)
    found = [r for r in found if r["period"] in shown]
    if not found:
        return None
    found.sort(key=lambda r: (r["segment"] != total, r["segment"]))  # the total's first, then by name …
    found.sort(key=lambda r: r["period"], reverse=True)  # … within each period, newest first (stable)
    return pd.DataFrame({
        t("trends.col.period", lang): [r["period"] for r in found],
        (by or t("trends.col.segment", lang)): [r["segment"] for r in found],
        t("trends.col.value", lang): [fmt(r["value"], m, lang) for r in found],
        t("trends.col.expected", lang): [fmt(r["expected"], m, lang) for r in found],
        t("trends.col.reason", lang): [r["why"] for r in found],
    })


@shared(32)
def cohort_view(path: str, version: int, filters: tuple, grain: str, first: str, last: str, big: bool,
                 lang: str) -> dict | None:
    """The cohort heatmap, the month-1 retention trend and their table (None without cohorts).

    Each heatmap row names its cohort's size beside its month ("2026-10（67 人）"): 5–15% reads
    differently for 40 customers than for 4,000, and the size is the month's new customers."""
    cohort_frame = cohorts(path, version, filters)
    if cohort_frame.empty:
        return None
    cohort_frame = cohort_frame.assign(cohort=[M.period_label(c, "month") for c in cohort_frame["cohort"]])
    if grain == "month":
        cohort_frame = cohort_frame[cohort_frame["cohort"].between(first, last)]
    month1 = cohort_frame[cohort_frame["age"] == 1][["cohort", "retention"]]
    sizes = cohort_frame.groupby("cohort")["size"].first()
    row_label = {c: t("cohort.row", lang, cohort=c, size=f"{int(n):,}") for c, n in sizes.items()}
    rows = cohort_frame.assign(cohort=cohort_frame["cohort"].map(row_label))
    return {
        "cohort_spec": chart_spec("cohort_chart", rows, lang=lang, big=big),
        "trend_spec": chart_spec("retention_trend_chart", month1, lang=lang, big=big) if len(month1) >= 2 else None,
        "table": pd.DataFrame({
            t("charts.cohort", lang): cohort_frame["cohort"],
            t("cohort.size", lang): cohort_frame["size"],
            t("charts.age", lang): cohort_frame["age"],
            t("charts.active", lang): cohort_frame["active"],
            t("charts.retention", lang): cohort_frame["retention"],
        }),
    }
