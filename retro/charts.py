"""Altair charts for the trends page, and the downloads of the tables under them.

Pure functions from frames to charts (no Streamlit here): the trends page's four as a
:class:`Spec` filled into an Altair skeleton (see "skeletons" below), the retention charts as
``alt.Chart`` / ``alt.LayerChart``; a test reads either's spec with ``to_dict()``. Every builder
takes the UI language: numbers read the way ``retro.i18n.format_number`` writes them (万/亿 in
Chinese, M/B in English, percents for rates), legend and tooltip titles come from the catalog, and
``big=True`` sizes everything for a projector. Periods are labels ('2026-08', '2026-Q3', '2026') on an ordinal axis that lists every
period of the range, so a missing month shows as a gap, never as a line across it.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Sequence
from typing import Any, ClassVar

import altair as alt
import numpy as np
import pandas as pd
from altair.utils.schemapi import debug_mode

from .glossary import unit_label, unit_reading
from .i18n import format_number, t
from .metrics import add_months

COLORS = {
    "actual": "#1f6feb",
    "plan": "#8250df",
    "last_year": "#8c959f",
    "good": "#1a7f37",
    "bad": "#cf222e",
    "flat": "#8c959f",
    "anomaly": "#d1242f",
    "note": "#bf8700",
    "partial": "#8c959f",
}
# Segment lines: distinct and readable on a projector.
SEGMENT_COLORS = ["#1f6feb", "#d1242f", "#1a7f37", "#bf8700", "#8250df", "#0a7e8c", "#e16f24", "#57606a",
                  "#bf3989", "#4d2d00"]


# --------------------------------------------------------------------------- numbers


def is_percent(unit: str | None, number_format: str = "auto") -> bool:
    return number_format == "percent" or unit == "%"


def format_value(value: float | None, lang: str, unit: str | None = None, number_format: str = "auto") -> str:
    """A metric's value as the page shows it: '654.6万元', '85.3%', '1.20M 元'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if is_percent(unit, number_format):
        return format_number(value, lang, unit="%")
    shown_unit = None if unit == "%" else unit
    if number_format == "integer":
        return format_number(round(float(value)), lang, unit=shown_unit, digits=0)
    if number_format == "number":
        return format_number(value, lang, unit=shown_unit, compact=False)
    return format_number(value, lang, unit=shown_unit)


def format_change(change: float | None, lang: str, unit: str | None = None, number_format: str = "auto") -> str:
    """A signed absolute change: '+4.85万元', '-52.98万元'; for rates in percentage points."""
    if change is None or (isinstance(change, float) and math.isnan(change)):
        return "—"
    if is_percent(unit, number_format):
        text = f"{change * 100:+.1f}" + ("个百分点" if lang == "zh" else " pp")
        return text
    text = format_value(change, lang, unit, number_format)
    return text if text.startswith("-") or change == 0 else "+" + text


def format_pct(ratio: float | None, *, signed: bool = True) -> str:
    """0.0795 → '+8.0%' (a relative change or a share)."""
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
        return "—"
    return f"{ratio * 100:+.1f}%" if signed else f"{ratio * 100:.1f}%"


def axis_title(label: str, unit: str | None, lang: str) -> str:
    unit = unit_label(unit, lang)  # English names the unit in English (retro.glossary): 万元 → CNY
    if not unit:
        return label
    return f"{label}（{unit}）" if lang == "zh" else f"{label} ({unit})"


def value_axis(unit: str | None, lang: str, number_format: str = "auto") -> dict:
    """alt.Axis arguments for a value axis: percents, or 万/亿 (zh) and M/B (en) for big numbers.

    A unit that already carries a scale (万元, 亿元) is never compacted again: 1.2万万元 is nonsense.
    """
    if is_percent(unit, number_format):
        return {"format": ".1~%"}
    reading = unit_reading(unit, lang)
    if reading is not None and reading.scale != 1:  # English folds 万元's scale in: the axis reads CNY
        scaled = f"datum.value * {reading.scale:g}"
        if number_format in ("number", "integer"):
            return {"labelExpr": f"format({scaled}, ',.2~f')"}
        return {"labelExpr": f"abs({scaled}) >= 1e9 ? format({scaled} / 1e9, ',.2~f') + 'B' : "
                             f"abs({scaled}) >= 1e6 ? format({scaled} / 1e6, ',.2~f') + 'M' : format({scaled}, ',.2~f')"}
    if number_format in ("number", "integer") or (unit and unit[0] in "万亿千百"):
        return {"format": ",.2~f"}
    v = "datum.value"
    if lang == "zh":
        expr = (f"abs({v}) >= 1e8 ? format({v} / 1e8, ',.2~f') + '亿' : "
                f"abs({v}) >= 1e4 ? format({v} / 1e4, ',.2~f') + '万' : format({v}, ',.2~f')")
    else:
        expr = (f"abs({v}) >= 1e9 ? format({v} / 1e9, ',.2~f') + 'B' : "
                f"abs({v}) >= 1e6 ? format({v} / 1e6, ',.2~f') + 'M' : format({v}, ',.2~f')")
    return {"labelExpr": expr}


def _sizes(big: bool) -> dict:
    return {
        "label": 18 if big else 12,
        "title": 20 if big else 13,
        "text": 17 if big else 11,
        "stroke": 4 if big else 2.5,
        "point": 90 if big else 45,
        "anomaly": 420 if big else 220,
    }


@functools.lru_cache(maxsize=2)
def _config(big: bool) -> alt.Config:
    """Fonts and legend for the whole chart; given to the top-level chart as it is built
    (``configure_*`` would deep-copy every layer, which costs more than drawing it)."""
    s = _sizes(big)
    return alt.Config(
        axis=alt.AxisConfig(labelFontSize=s["label"], titleFontSize=s["title"], labelLimit=260),
        legend=alt.LegendConfig(labelFontSize=s["label"], titleFontSize=s["label"], orient="top", symbolStrokeWidth=3,
                                labelLimit=320),
        title=alt.TitleConfig(fontSize=s["title"] + 2, anchor="start"),
        view=alt.ViewConfig(strokeWidth=0),
    )


class _Datasets:
    """The named datasets, handed to Altair as one finished JSON object.

    Given a plain dict, Altair's to_dict walks every cell and tests each against a runtime protocol
    (over a second for the 1,440 rows of a 60-region segment chart); an object with ``to_dict``
    and ``_schema`` (Altair's SchemaLike) it takes as is. Validation still sees the whole spec."""

    _schema: ClassVar[dict[str, str]] = {"type": "object"}

    def __init__(self, sets: dict[str, list]) -> None:
        self._sets = sets

    def to_dict(self, *args: Any, **kwargs: Any) -> dict[str, list]:
        return self._sets


def _layer(*layers: alt.Chart, big: bool, height, sets: dict[str, list] | None = None) -> alt.LayerChart:
    """The layers as one chart; without ``sets``, a skeleton's (the datasets are a hole)."""
    return alt.LayerChart(layer=list(layers), config=_config(big), height=height, width="container",
                          datasets=_Datasets(sets) if sets is not None else _hole("datasets"))


def _x(lang: str) -> alt.X:
    """The period axis of a skeleton: every period of the range (a hole), so a gap shows as one."""
    return alt.X("period:O", scale=alt.Scale(domain=_hole("periods")),
                 axis=alt.Axis(title=t("charts.period", lang), labelAngle=-45))


# --------------------------------------------------------------------------- skeletons
#
# A chart of the trends page is the same Altair chart for every filter and period of a view: only
# its data, and a few lists read from the data (the periods on the axis, the order of the bars),
# change. Building the Altair objects and turning them into a spec costs more than the rest of a
# rerun, so each builder makes its chart once per shape (language, labels, units, size, which
# layers there are) with holes where those lists go, keeps that spec, and fills the holes and the
# datasets on every call: the same spec as building it whole, for a fraction of the time.


def _hole(name: str) -> str:
    """A placeholder Altair carries into the spec as is, compared whole: no imported text holds a NUL
    (xlsx cannot, and a text file with one is refused), and a test checks labels and cells that
    start like one are left alone."""
    return f"\x00retro-hole:{name}\x00"


def _fill(node: Any, holes: dict[str, Any]) -> Any:
    """A copy of ``node`` (a skeleton spec) with each hole (a key of ``holes``) replaced by its value,
    which is put in as it is; the skeleton is shared between views, so it is never modified."""
    if isinstance(node, dict):
        return {k: _fill(v, holes) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, holes) for v in node]
    if isinstance(node, str) and node in holes:
        return holes[node]
    return node


class Spec:
    """A finished Vega-Lite spec (datasets at the top, as Altair writes them): what a builder returns.
    ``to_dict()`` as on an Altair chart: checked against the Vega-Lite schema unless ``validate=False``
    (the page goes through :func:`spec_of`, which skips the check as it does for Altair charts)."""

    def __init__(self, spec: dict) -> None:
        self._spec = spec

    def to_dict(self, *, validate: bool = True) -> dict:
        spec = copy.deepcopy(self._spec)
        if validate:
            from altair.utils.schemapi import validate_jsonschema
            from altair.vegalite.v6.schema.core import load_schema

            validate_jsonschema(spec, load_schema())
        return spec


def _skeleton(build: Any) -> Any:
    """``build(*shape)`` → its chart's spec, kept per shape (a hashable tuple of everything but data)."""

    @functools.lru_cache(maxsize=256)
    def skeleton(*shape: Any) -> dict:
        with debug_mode(False):  # holes are not valid values: the filled spec is what the tests check
            return build(*shape).to_dict(validate=False)

    return skeleton


def _filled(skeleton: dict, sets: dict[str, list], **values: Any) -> Spec:
    return Spec(_fill(skeleton, {_hole(name): value for name, value in {**values, "datasets": sets}.items()}))


def _value_text(label: str, unit: str | None, number_format: str, lang: str) -> dict[str, Any]:
    """The holes a metric fills in a skeleton: its name (tooltips), its value axis's title and its
    labels' format. Not part of a chart's shape, so one skeleton serves every metric: a new metric
    picked is no new Altair chart to build."""
    return {"label": label, "value_title": axis_title(label, unit, lang),
            "value_axis": value_axis(unit, lang, number_format)}


def _plain(value: object) -> object:
    """A cell as JSON: None for any missing value, Python scalars, ISO dates."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
        return None if isinstance(value, float) and math.isnan(value) else value
    return value


def _named(sets: dict[str, list], name: str, frame: pd.DataFrame) -> alt.NamedData:
    """Register the rows of ``frame`` as the top-level dataset ``name`` and point a layer at it.

    Handing Altair a DataFrame makes it sanitise every column with pandas on every render, and
    inline values are deep-copied by every chained call; both cost more than the chart. These
    frames are small, so they go in as plain rows, once, at the top."""
    sets[name] = _rows(frame) if len(frame.columns) else [{}] * len(frame)
    return alt.NamedData(name=name)


def _column(column: pd.Series) -> list:
    """A column's cells as :func:`_plain` gives them, a numpy column of numbers without a call per cell."""
    cells = column.tolist()
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iub":
        return cells  # Python ints and bools, never missing
    if isinstance(column.dtype, np.dtype) and column.dtype.kind == "f":
        return [None if v != v else v for v in cells]  # NaN is the only missing float
    return [v if type(v) is str else _plain(v) for v in cells]  # text, the usual case, as it is


def _rows(frame: pd.DataFrame | list[dict] | None) -> list[dict]:
    """A frame's rows as the dicts :func:`_named` would put in the spec (cells as :func:`_plain` gives
    them). The trends builders work on these: a few hundred rows, where each pandas call costs more
    than the Python it replaces. Rows given as rows (cells already plain) are copied, so a builder
    can add to its own."""
    if isinstance(frame, list):
        return [dict(r) for r in frame]
    if frame is None or frame.empty:
        return []
    columns = [str(c) for c in frame.columns]
    values = [_column(frame.iloc[:, i]) for i in range(len(columns))]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _text(value: float | None, lang: str, unit: str | None, number_format: str) -> str:
    return format_value(None if value is None else float(value), lang, unit, number_format)


def _in_progress(row: dict) -> bool:
    """A period with fewer months than the grain (``complete`` False; missing counts as complete)."""
    return row.get("complete") is False


def spec_of(chart: alt.TopLevelMixin | Spec) -> dict:
    """A chart's finished Vega-Lite spec, its data inlined, without Altair's schema check.

    The check walks the whole spec with jsonschema on every call: on the goals page it was half of
    a rerun's CPU. The builders here are tested on their specs, so the check adds nothing at run time."""
    if isinstance(chart, Spec):
        return inline_data(chart._spec)
    with debug_mode(False):
        return inline_data(chart.to_dict(validate=False))


def inline_data(spec: dict) -> dict:
    """A spec with its named datasets written into the layers that use them: a front end that
    would convert every named dataset (Streamlit turns each into an Arrow table per render) has
    nothing to convert. ``spec`` is a ``to_dict()`` result; a new dict is returned."""
    datasets = spec.get("datasets") or {}
    out = {k: v for k, v in spec.items() if k != "datasets"}

    def fix(node: dict) -> dict:
        node = dict(node)
        data = node.get("data")
        if isinstance(data, dict) and "name" in data and data["name"] in datasets:
            node["data"] = {"values": datasets[data["name"]]}
        if "layer" in node:
            node["layer"] = [fix(layer) for layer in node["layer"]]
        return node

    return fix(out)


# --------------------------------------------------------------------------- the trend line


def trend_chart(points: pd.DataFrame | list[dict], *, lang: str, label: str, unit: str | None = None,
                number_format: str = "auto", plan: pd.DataFrame | list[dict] | None = None, last_year: bool = False,
                anomalies: pd.DataFrame | list[dict] | None = None, notes: pd.DataFrame | None = None,
                current: str | None = None, zero: bool | None = None, big: bool = False,
                height: int | None = None, restated: list[dict] | None = None) -> Spec:
    """The metric over time: actual (solid), last year (dashed grey, when ``last_year``), plan
    (dashed, when ``plan`` has values), anomalies (red circles), notes (a rule with the note).

    ``points``: period (label, every period of the range, in order), value (NaN when missing),
    and optionally last_year and complete (False for a period with fewer months than the grain).
    ``plan``: period, value. ``anomalies``: period, value, why (text). ``notes``: period, text.
    ``current``: the active period, shaded. ``zero``: start the axis at 0 (default for amounts
    and counts; rates and scores zoom in). ``restated``: period, value, earlier — points a later
    import changed, marked with their earlier value in the tooltip.
    """
    sets: dict[str, list] = {}
    rows, plan_rows = _rows(points), _rows(plan)
    periods = [r["period"] for r in rows]
    if plan_rows:
        periods = sorted(set(periods) | {r["period"] for r in plan_rows})
    names = {"actual": t("charts.actual", lang), "last_year": t("charts.last_year", lang), "plan": t("charts.plan", lang)}

    def line(key: str, source: list[dict], column: str, hide_partial: bool = False) -> list[dict]:
        out = []
        for r in source:
            value = None if hide_partial and _in_progress(r) else r[column]
            value = None if value is None else float(value)
            out.append({"period": r["period"], "series": names[key], "value": value,
                        "text": _text(value, lang, unit, number_format)})
        return out

    # A period still in progress is not joined to the line (it would read as a collapse): it is a
    # hollow point of its own, below.
    lines = {"actual": line("actual", rows, "value", hide_partial=True)}
    if last_year and rows and "last_year" in rows[0] and any(r["last_year"] is not None for r in rows):
        lines["last_year"] = line("last_year", rows, "last_year")
    if any(r["value"] is not None for r in plan_rows):
        lines["plan"] = line("plan", plan_rows, "value")
    shown = list(lines)

    has_current = _current_data(sets, current, periods)
    for key in shown:
        sets[f"line_{key}"] = lines[key]
    partial = [{**r, "text": _text(r["value"], lang, unit, number_format), "why": t("charts.partial", lang)}
               for r in rows if _in_progress(r) and r["value"] is not None]
    has_partial = any(_in_progress(r) for r in rows)
    if has_partial:
        sets["partial"] = partial
    has_anomalies = _anomaly_marks(sets, anomalies, periods, lang, unit, number_format)
    marked = [{"period": r["period"], "value": float(r["value"]), "text": _text(float(r["value"]), lang, unit, number_format),
               "earlier": t("charts.restated_was", lang, text=_text(float(r["earlier"]), lang, unit, number_format))}
              for r in restated or [] if r["period"] in set(periods)]
    if marked:
        sets["restated"] = marked
    note_parts: tuple[str, ...] = ()
    marks = [r for r in _rows(notes) if r["period"] in set(periods)]
    if marks:
        marks = [{**r, "short": r["text"] if len(r["text"]) <= 14 else r["text"][:13] + "…"} for r in marks]
        sets["notes"] = marks
        # A note in the last third of the axis reads leftwards, so it is not cut at the edge.
        late = [periods.index(r["period"]) >= len(periods) * 2 / 3 for r in marks]
        for name, part in (("note_labels", [r for r, x in zip(marks, late, strict=True) if not x]),
                           ("note_labels_end", [r for r, x in zip(marks, late, strict=True) if x])):
            if part:
                sets[name] = part
                note_parts += (name,)
    zero_axis = not is_percent(unit, number_format) if zero is None else zero
    skeleton = _trend_skeleton(lang, big, height or (460 if big else 340), tuple(shown), has_current, has_partial,
                               has_anomalies, bool("notes" in sets), note_parts, bool(marked))
    return _filled(skeleton, sets, periods=periods, **_value_text(label, unit, number_format, lang), zero=zero_axis)


@_skeleton
def _trend_skeleton(lang: str, big: bool, height: int, shown: tuple[str, ...], has_current: bool, has_partial: bool,
                    has_anomalies: bool, has_notes: bool, note_parts: tuple[str, ...],
                    has_restated: bool = False) -> alt.LayerChart:
    s = _sizes(big)
    label = _hole("label")
    names = {"actual": t("charts.actual", lang), "last_year": t("charts.last_year", lang), "plan": t("charts.plan", lang)}
    domain = [names[k] for k in shown]
    # One legend of line samples: the colour and the dash share the field, so Vega-Lite merges them.
    legend = alt.Legend(title=None, symbolType="stroke", symbolStrokeWidth=3, symbolSize=400)
    color = alt.Color("series:N", scale=alt.Scale(domain=domain, range=[COLORS[k] for k in shown]), legend=legend)
    dash = alt.StrokeDash("series:N", scale=alt.Scale(domain=domain, range=[[1, 0] if k == "actual" else [7, 5] for k in shown]),
                          legend=legend)
    y = alt.Y("value:Q", title=_hole("value_title"), axis=_hole("value_axis"), scale=alt.Scale(zero=_hole("zero")))
    tooltip = [alt.Tooltip("period:O", title=t("charts.period", lang)), alt.Tooltip("series:N", title=t("charts.series", lang)),
               alt.Tooltip("text:N", title=label)]
    x = _x(lang)

    layers: list[alt.Chart] = _current_layer(x, big) if has_current else []
    for key in shown:
        layers.append(
            alt.Chart(alt.NamedData(name=f"line_{key}"), name=f"line_{key}")
            .mark_line(strokeWidth=s["stroke"] if key == "actual" else s["stroke"] - 0.5,
                       invalid="break-paths-show-domains",
                       point=alt.OverlayMarkDef(size=s["point"], filled=True) if key == "actual" else False)
            .encode(x=x, y=y, color=color, strokeDash=dash, tooltip=tooltip)
        )
    if has_partial:
        layers.append(
            alt.Chart(alt.NamedData(name="partial"), name="partial")
            .mark_point(shape="circle", filled=True, color="white", stroke=COLORS["partial"], strokeWidth=2.5,
                        size=s["anomaly"] * 0.6)
            .encode(x=x, y=alt.Y("value:Q"), tooltip=[alt.Tooltip("period:O", title=t("charts.period", lang)),
                                                      alt.Tooltip("text:N", title=label),
                                                      alt.Tooltip("why:N", title=t("charts.note", lang))])
        )
    if has_anomalies:
        layers.append(
            alt.Chart(alt.NamedData(name="anomalies"), name="anomalies")
            .mark_point(shape="circle", filled=False, color=COLORS["anomaly"], strokeWidth=3, size=s["anomaly"])
            .encode(x=x, y=alt.Y("value:Q"),
                    tooltip=[alt.Tooltip("period:O", title=t("charts.period", lang)), alt.Tooltip("text:N", title=label),
                             alt.Tooltip("why:N", title=t("charts.anomaly", lang))])
        )
    if has_restated:
        layers.append(
            alt.Chart(alt.NamedData(name="restated"), name="restated")
            .mark_point(shape="diamond", filled=False, color=COLORS["note"], strokeWidth=2.5, size=s["anomaly"] * 0.8)
            .encode(x=x, y=alt.Y("value:Q"),
                    tooltip=[alt.Tooltip("period:O", title=t("charts.period", lang)), alt.Tooltip("text:N", title=label),
                             alt.Tooltip("earlier:N", title=t("charts.restated", lang))])
        )
    if has_notes:
        tip = [alt.Tooltip("period:O", title=t("charts.period", lang)), alt.Tooltip("text:N", title=t("charts.note", lang))]
        layers.append(
            alt.Chart(alt.NamedData(name="notes"), name="notes")
            .mark_rule(color=COLORS["note"], strokeWidth=2 if not big else 3, strokeDash=[3, 3])
            .encode(x=x, tooltip=tip)
        )
        for name in note_parts:
            align, dx = ("left", 4) if name == "note_labels" else ("right", -4)
            layers.append(
                alt.Chart(alt.NamedData(name=name), name=name)
                .mark_text(color=COLORS["note"], align=align, dx=dx, dy=8, fontSize=s["text"], fontWeight="bold")
                .encode(x=x, y=alt.YValue(0), text=alt.Text("short:N"), tooltip=tip)
            )
    return _layer(*layers, big=big, height=height)


# --------------------------------------------------------------------------- breakdown


def breakdown_chart(frame: pd.DataFrame, *, lang: str, label: str, dimension: str, direction: str = "up",
                    unit: str | None = None, number_format: str = "auto", big: bool = False) -> Spec:
    """Horizontal bars per segment: the value, labelled with its share; coloured by whether the
    segment's change is good (green) or bad (red) for this metric's direction.

    ``frame``: segment, value, change, share (share may be empty for rates).
    """
    sets: dict[str, list] = {}
    data = [r for r in _rows(frame) if r["value"] is not None]
    has_share = any(r.get("share") is not None for r in data)
    for r in data:
        r["value"] = float(r["value"])
        r["tone"] = _tone(r["change"], direction)
        r["tone_text"] = t(f"charts.tone.{r['tone']}", lang)
        r["text"] = _text(r["value"], lang, unit, number_format)
        r["share_text"] = format_pct(r.get("share"), signed=False) if has_share else ""
        r["label"] = f"{r['text']} · {r['share_text']}" if r["share_text"] and r["share_text"] != "—" else r["text"]
        r["change_text"] = format_change(None if r["change"] is None else float(r["change"]), lang, unit, number_format)
    sets["breakdown_bars"] = data
    order = [r["segment"] for r in sorted(data, key=lambda r: -r["value"])]
    return _filled(_breakdown_skeleton(lang, big), sets, order=order, dimension=dimension,
                   **_value_text(label, unit, number_format, lang))


@_skeleton
def _breakdown_skeleton(lang: str, big: bool) -> alt.LayerChart:
    s = _sizes(big)
    label, dimension = _hole("label"), _hole("dimension")
    y = alt.Y("segment:N", sort=_hole("order"), title=dimension, axis=alt.Axis(labelFontWeight="bold"))
    tone_scale = alt.Scale(domain=["good", "bad", "flat"], range=[COLORS["good"], COLORS["bad"], COLORS["flat"]])
    tooltip = [alt.Tooltip("segment:N", title=dimension), alt.Tooltip("text:N", title=label),
               alt.Tooltip("share_text:N", title=t("charts.share", lang)),
               alt.Tooltip("change_text:N", title=t("charts.change", lang))]
    bars = alt.Chart(alt.NamedData(name="breakdown_bars"), name="breakdown_bars").mark_bar(cornerRadiusEnd=3, opacity=0.85).encode(
        x=alt.X("value:Q", title=_hole("value_title"), axis=_hole("value_axis")),
        y=y, color=alt.Color("tone:N", scale=tone_scale, legend=None), tooltip=tooltip)
    text = alt.Chart(alt.NamedData(name="breakdown_bars"), name="breakdown_labels").mark_text(align="left", dx=5, fontSize=s["text"], color="#24292f") \
        .encode(x=alt.X("value:Q"), y=y, text=alt.Text("label:N"))
    return _layer(bars, text, big=big, height=alt.Step(52 if big else 36))


def change_chart(frame: pd.DataFrame, *, lang: str, label: str, dimension: str, compare: str, direction: str = "up",
                 unit: str | None = None, number_format: str = "auto", big: bool = False) -> Spec:
    """Each segment's change against the comparison period (diverging bars), labelled with the
    change and the part of the total change it explains ("−52.98万元 · 116%").

    ``frame``: segment, change, contribution (empty for rates).
    """
    sets: dict[str, list] = {}
    data = [r for r in _rows(frame) if r["change"] is not None]
    for r in data:
        r["change"] = float(r["change"])
        r["tone"] = _tone(r["change"], direction)
        r["change_text"] = format_change(r["change"], lang, unit, number_format)
        c = r.get("contribution")
        r["contribution_text"] = "" if c is None else t("charts.explains" if c >= 0 else "charts.offsets", lang,
                                                        pct=format_pct(abs(c), signed=False))
        r["label"] = f"{r['change_text']} · {r['contribution_text']}" if r["contribution_text"] else r["change_text"]
    order = [r["segment"] for r in sorted(data, key=lambda r: r["change"])]
    # Every label sits right of its bar's end or of zero, so the left side needs no room for text.
    lowest = min([r["change"] for r in data] + [0.0]) if data else 0.0
    highest = max([r["change"] for r in data] + [0.0]) if data else 1.0
    span = (highest - lowest) or 1.0
    sets["change_bars"] = data
    sets["change_labels"] = [{**r, "label_at": max(r["change"], 0.0)} for r in data]
    sets["zero_rule"] = [{"zero": 0}]
    change_title = t(f"charts.change_{compare}", lang)
    points = "百分点" if lang == "zh" else "pp"
    percent = is_percent(unit, number_format)
    return _filled(_change_skeleton(lang, compare, big), sets, order=order,
                   domain=[lowest - span * 0.05, highest + span * 1.1], dimension=dimension,
                   change_title=axis_title(change_title, points if percent else unit, lang),
                   change_axis={"labelExpr": "format(datum.value * 100, '+.1~f')"} if percent
                   else value_axis(unit, lang, number_format))


@_skeleton
def _change_skeleton(lang: str, compare: str, big: bool) -> alt.LayerChart:
    s = _sizes(big)
    dimension = _hole("dimension")
    y = alt.Y("segment:N", sort=_hole("order"), title=dimension, axis=alt.Axis(labelFontWeight="bold"))
    tone_scale = alt.Scale(domain=["good", "bad", "flat"], range=[COLORS["good"], COLORS["bad"], COLORS["flat"]])
    change_title = t(f"charts.change_{compare}", lang)
    tooltip = [alt.Tooltip("segment:N", title=dimension), alt.Tooltip("change_text:N", title=change_title),
               alt.Tooltip("contribution_text:N", title=t("charts.contribution", lang))]
    x = alt.X("change:Q", title=_hole("change_title"), scale=alt.Scale(domain=_hole("domain"), nice=False),
              axis=_hole("change_axis"))
    bars = alt.Chart(alt.NamedData(name="change_bars"), name="change_bars").mark_bar(cornerRadiusEnd=3).encode(
        x=x, y=y, color=alt.Color("tone:N", scale=tone_scale, legend=None), tooltip=tooltip)
    labels = alt.Chart(alt.NamedData(name="change_labels"), name="change_labels") \
        .mark_text(align="left", dx=5, fontSize=s["text"], color="#24292f") \
        .encode(x=alt.X("label_at:Q"), y=y, text=alt.Text("label:N"))
    zero = alt.Chart(alt.NamedData(name="zero_rule"), name="zero_rule").mark_rule(color="#57606a").encode(x=alt.X("zero:Q"))
    return _layer(bars, labels, zero, big=big, height=alt.Step(52 if big else 36))


def segment_chart(frame: pd.DataFrame | list[dict], *, lang: str, label: str, dimension: str, periods: Sequence[str],
                  unit: str | None = None, number_format: str = "auto", anomalies: pd.DataFrame | list[dict] | None = None,
                  highlight: str | None = None, current: str | None = None, big: bool = False) -> Spec:
    """One line per segment over the range; ``highlight`` (the segment that drove the change) is
    drawn thick, the others thin; ``current`` (the active period) is shaded. ``frame``: period, segment, value."""
    sets: dict[str, list] = {}
    # Only what the lines draw: a segment chart holds every segment's every period, and each column more
    # is more to serialise on every render and to parse in every browser.
    data = _rows(frame if isinstance(frame, list) else frame[[c for c in ("period", "segment", "value", "complete") if c in frame]])
    partial = []
    for r in data:
        r["value"] = None if r["value"] is None else float(r["value"])
        r["text"] = _text(r["value"], lang, unit, number_format)
        if _in_progress(r):
            if r["value"] is not None:
                partial.append({"period": r["period"], "segment": r["segment"], "value": r["value"], "text": r["text"],
                                "why": t("charts.partial", lang)})
            r["value"] = None  # not joined to the line: a hollow point
        r.pop("complete", None)
        r["focus"] = "yes" if not highlight or r["segment"] == highlight else "no"
    segments = sorted({r["segment"] for r in data})
    has_current = _current_data(sets, current, periods)
    sets["segments"] = data
    if partial:
        sets["partial"] = partial
    has_anomalies = _anomaly_marks(sets, anomalies, periods, lang, unit, number_format)
    # Up to ten segments get the projector-readable colours; more take Vega-Lite's own scheme.
    colours = len(segments) if len(segments) <= len(SEGMENT_COLORS) else None
    skeleton = _segment_skeleton(lang, big, colours, has_current, bool(partial), has_anomalies)
    return _filled(skeleton, sets, periods=list(periods), segments=segments, dimension=dimension,
                   **_value_text(label, unit, number_format, lang))


@_skeleton
def _segment_skeleton(lang: str, big: bool, colours: int | None, has_current: bool, has_partial: bool,
                      has_anomalies: bool) -> alt.LayerChart:
    s = _sizes(big)
    label, dimension = _hole("label"), _hole("dimension")
    # More segments than colours: the legend wraps in rows of six instead of running past the edge.
    color = alt.Color("segment:N", title=dimension,
                      scale=alt.Scale(domain=_hole("segments"),
                                      range=SEGMENT_COLORS[: max(1, colours)] if colours is not None else alt.Undefined),
                      legend=alt.Legend(columns=6) if colours is None else alt.Undefined)
    x = _x(lang)
    y = alt.Y("value:Q", title=_hole("value_title"), axis=_hole("value_axis"), scale=alt.Scale(zero=False))
    tooltip = [alt.Tooltip("period:O", title=t("charts.period", lang)), alt.Tooltip("segment:N", title=dimension),
               alt.Tooltip("text:N", title=label)]
    lines = alt.Chart(alt.NamedData(name="segments"), name="segments").mark_line(invalid="break-paths-show-domains", point=True).encode(
        x=x, y=y, color=color, tooltip=tooltip,
        strokeWidth=alt.StrokeWidth("focus:O", scale=alt.Scale(domain=["yes", "no"], range=[s["stroke"] + 1, 1.5]), legend=None),
        opacity=alt.Opacity("focus:O", scale=alt.Scale(domain=["yes", "no"], range=[1.0, 0.55]), legend=None))
    layers = [*(_current_layer(x, big) if has_current else []), lines]
    if has_partial:
        layers.append(
            alt.Chart(alt.NamedData(name="partial"), name="partial")
            .mark_point(shape="circle", filled=True, color="white", strokeWidth=2, size=s["point"] * 2)
            .encode(x=x, y=alt.Y("value:Q"), stroke=color, tooltip=[
                alt.Tooltip("period:O", title=t("charts.period", lang)), alt.Tooltip("segment:N", title=dimension),
                alt.Tooltip("text:N", title=label), alt.Tooltip("why:N", title=t("charts.note", lang))]))
    if has_anomalies:
        layers.append(
            alt.Chart(alt.NamedData(name="anomalies"), name="anomalies")
            .mark_point(shape="circle", filled=False, color=COLORS["anomaly"], strokeWidth=3, size=s["anomaly"])
            .encode(x=x, y=alt.Y("value:Q"), tooltip=[alt.Tooltip("period:O", title=t("charts.period", lang)),
                                              alt.Tooltip("segment:N", title=dimension),
                                              alt.Tooltip("text:N", title=label),
                                              alt.Tooltip("why:N", title=t("charts.anomaly", lang))]))
    # the wrapped legend's rows come out of the chart's height: give them room
    return _layer(*layers, big=big, height=(400 if big else 300) + (80 if colours is None else 0))


def _anomaly_marks(sets: dict[str, list], anomalies: pd.DataFrame | list[dict] | None, periods: Sequence[str],
                   lang: str, unit: str | None, number_format: str) -> bool:
    """The anomalies on the axis as the "anomalies" dataset, each with its value's text; False when
    there are none to draw (the chart then has no anomaly layer). Only what the marks and their
    tooltips show goes into the spec."""
    rows = anomalies if isinstance(anomalies, list) else _rows(anomalies)
    if not rows:
        return False
    on_axis = set(periods)
    shown = [k for k in ("period", "segment", "value", "why") if k in rows[0]]
    sets["anomalies"] = [{**{k: r[k] for k in shown}, "text": _text(r["value"], lang, unit, number_format)}
                         for r in rows if r["period"] in on_axis]
    return True


def _current_data(sets: dict[str, list], current: str | None, periods: Sequence[str]) -> bool:
    """The active period's row for :func:`_current_layer`; False when it is not on the axis."""
    if not current or current not in periods:
        return False
    sets["current"] = [{"period": current}]
    return True


def _current_layer(x: alt.X, big: bool) -> list[alt.Chart]:
    """A soft band behind the active period, so the cards and the breakdown can be found on the line."""
    return [alt.Chart(alt.NamedData(name="current"), name="current")
            .mark_rule(color="#d0d7de", opacity=0.55, strokeWidth=26 if big else 18).encode(x=x)]


def _tone(change: float | None, direction: str) -> str:
    if change is None or pd.isna(change) or abs(float(change)) < 1e-12:
        return "flat"
    return "good" if (float(change) > 0) == (direction != "down") else "bad"


# --------------------------------------------------------------------------- retention


def cohort_chart(frame: pd.DataFrame, *, lang: str, big: bool = False) -> alt.LayerChart:
    """Cohort retention heatmap: first-purchase month (rows) × months since (columns), the share
    of the cohort still buying. ``frame``: cohort (label), age, retention, active, size."""
    s = _sizes(big)
    sets: dict[str, list] = {}
    data = frame.copy()
    data["pct"] = [format_pct(v, signed=False) for v in data["retention"]]
    cohorts = sorted(data["cohort"].unique())
    ages = sorted(int(a) for a in data["age"].unique())
    x = alt.X("age:O", title=t("charts.age", lang), scale=alt.Scale(domain=ages), axis=alt.Axis(labelAngle=0))
    y = alt.Y("cohort:O", title=t("charts.cohort", lang), scale=alt.Scale(domain=cohorts))
    tooltip = [alt.Tooltip("cohort:O", title=t("charts.cohort", lang)), alt.Tooltip("age:O", title=t("charts.age", lang)),
               alt.Tooltip("pct:N", title=t("charts.retention", lang)), alt.Tooltip("active:Q", title=t("charts.active", lang)),
               alt.Tooltip("size:Q", title=t("charts.cohort_size", lang))]
    cells = alt.Chart(_named(sets, "cohort_cells", data), name="cohort_cells").mark_rect().encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.Color("retention:Q", title=t("charts.retention", lang), scale=alt.Scale(scheme="blues", domain=[0, 1]),
                        legend=alt.Legend(format=".0%")))
    labelled = data[data["age"] > 0].assign(ink=lambda d: ["light" if r > 0.5 else "dark" for r in d["retention"]])
    text = alt.Chart(_named(sets, "cohort_labels", labelled), name="cohort_labels").mark_text(fontSize=s["text"] - 1).encode(
        x=x, y=y, text=alt.Text("pct:N"),
        color=alt.Color("ink:N", scale=alt.Scale(domain=["light", "dark"], range=["white", "#24292f"]), legend=None))
    return _layer(cells, text, big=big, height=alt.Step(30 if big else 22), sets=sets)


def retention_trend_chart(frame: pd.DataFrame, *, lang: str, big: bool = False) -> alt.Chart:
    """Month-1 retention of each cohort: is keeping new customers getting better?
    ``frame``: cohort (label), retention."""
    s = _sizes(big)
    sets: dict[str, list] = {}
    data = frame.copy()
    data["pct"] = [format_pct(v, signed=False) for v in data["retention"]]
    return alt.Chart(_named(sets, "retention_trend", data), name="retention_trend", config=_config(big), datasets=sets,
                     height=320 if big else 240, width="container") \
        .mark_line(point=True, strokeWidth=s["stroke"], color=COLORS["actual"]).encode(
        x=alt.X("cohort:O", title=t("charts.cohort", lang), axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("retention:Q", title=t("charts.month1_retention", lang), axis=alt.Axis(format=".0%"),
                scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("cohort:O", title=t("charts.cohort", lang)),
                 alt.Tooltip("pct:N", title=t("charts.month1_retention", lang))],
    )


def complete_cohorts(frame: pd.DataFrame) -> pd.DataFrame:
    """Cohort cells that could be observed but had nobody active are 0%, not missing; cells after
    the last month of data stay missing. ``frame`` as retro.metrics.cohorts returns it."""
    if frame.empty:
        return frame
    last = max(add_months(c, int(a)) for c, a in zip(frame["cohort"], frame["age"], strict=True))
    sizes = frame.groupby("cohort")["size"].first()
    max_age = int(frame["age"].max())
    have = {(c, int(a)) for c, a in zip(frame["cohort"], frame["age"], strict=True)}
    extra = [{"cohort": c, "age": a, "active": 0, "size": int(sizes[c]), "retention": 0.0}
             for c in sizes.index for a in range(max_age + 1)
             if (c, a) not in have and add_months(c, a) <= last]
    out = pd.concat([frame, pd.DataFrame(extra, columns=frame.columns)], ignore_index=True) if extra else frame.copy()
    return out.sort_values(["cohort", "age"]).reset_index(drop=True)


# --------------------------------------------------------------------------- periods


def period_labels(start, end, grain: str) -> list[str]:
    """Every period label from ``start`` to ``end`` (dates) at ``grain``, gaps included."""
    from .metrics import period_label, truncate

    step = {"month": 1, "quarter": 3, "year": 12}[grain]
    day, last, out = truncate(start, grain), truncate(end, grain), []
    while day <= last:
        out.append(period_label(day, grain))
        day = add_months(day, step)
    return out


def on_periods(frame: pd.DataFrame, periods: Sequence[str], grain: str) -> list[dict]:
    """One row per period of ``periods`` (labels) for a one-segment series frame, a missing period's
    cells empty (None): what trend_chart draws. Each row's 'period' is its label, not its date."""
    from .metrics import labels_of

    # What a chart can hold (JSON): not the like-for-like covers beside the numbers.
    columns = [str(c) for c in frame.columns if c not in ("period", "cover_mom", "cover_yoy")]
    cells = [_column(frame[c]) for c in columns]
    by_label: dict[str, dict] = {}
    for label, *row in zip(labels_of(frame, grain), *cells, strict=True):
        by_label.setdefault(label, dict(zip(columns, row, strict=True)))
    empty = dict.fromkeys(columns)
    return [{"period": p, **by_label.get(p, empty)} for p in periods]


_BAND_COLOURS = {"red": "#f6cfcd", "amber": "#fbe7b0", "green": "#cfeedd"}


def bullet_spec(rows: Sequence[dict[str, Any]], *, axis_title: str, kpi_title: str, actual_title: str,
                forecast_title: str) -> Spec:
    """Goal attainment as bullet bars: per KPI its red/amber/green bands, actual ÷ plan as a dark bar,
    the plan as a rule at 100 % and, for a period in progress, the forecast as a diamond.

    ``rows``: ``kpi`` (the label, with its numbers), ``ratio`` (actual ÷ plan), ``bands`` (lo, hi, band)
    with hi None for open-ended, ``text`` and ``forecast`` (forecast ÷ plan or None). The axis runs
    from 0 to 130 % or the largest ratio with a margin, at most 300 %; beyond it a bar is cut.
    Written as a Vega-Lite spec, not through Altair: it is drawn anew for every period picked, and
    Altair's objects took ~80 ms a chart to build."""
    ratios = [float(r["ratio"]) for r in rows]
    forecasts = [float(r["forecast"]) for r in rows if r.get("forecast") is not None and not _missing(r["forecast"])]
    top = min(max(1.3, max(ratios, default=0) * 1.08, max(forecasts, default=0) * 1.08), 3.0)
    y = {"field": "kpi", "type": "nominal", "sort": [r["kpi"] for r in rows], "title": None,
         "axis": {"labelLimit": 420, "labelFontSize": 12, "labelPadding": 8}}
    bands = [{"kpi": r["kpi"], "lo": lo, "hi": top if hi is None else min(hi, top), "band": name}
             for r in rows for lo, hi, name in r["bands"] if lo is not None]
    bars = [{"kpi": r["kpi"], "ratio_shown": min(float(r["ratio"]), top), "text": r["text"]} for r in rows]
    layers: list[dict[str, Any]] = [
        {"data": {"values": bands}, "mark": {"type": "bar", "height": 28},
         "encoding": {"x": {"field": "lo", "type": "quantitative", "scale": {"domain": [0, top], "clamp": True},
                            "axis": {"format": "%", "title": axis_title}},
                      "x2": {"field": "hi"}, "y": y,
                      "color": {"field": "band", "type": "nominal", "legend": None,
                                "scale": {"domain": list(_BAND_COLOURS), "range": list(_BAND_COLOURS.values())}}}},
        {"data": {"values": bars}, "mark": {"type": "bar", "height": 11, "color": "#2f3e4e"},
         "encoding": {"x": {"field": "ratio_shown", "type": "quantitative"}, "y": y,
                      "tooltip": [{"field": "kpi", "type": "nominal", "title": kpi_title},
                                  {"field": "text", "type": "nominal", "title": actual_title}]}},
        {"data": {"values": [{"x": 1.0}]}, "mark": {"type": "rule", "color": "#111", "strokeWidth": 2},
         "encoding": {"x": {"field": "x", "type": "quantitative"}}},
    ]
    shown = [{"kpi": r["kpi"], "forecast": float(r["forecast"]), "fc_shown": min(float(r["forecast"]), top)}
             for r in rows if r.get("forecast") is not None and not _missing(r["forecast"])]
    if shown:
        layers.append({"data": {"values": shown},
                       "mark": {"type": "point", "shape": "diamond", "size": 90, "filled": False, "color": "#7a4bd1",
                                "strokeWidth": 2},
                       "encoding": {"x": {"field": "fc_shown", "type": "quantitative"}, "y": y,
                                    "tooltip": [{"field": "forecast", "type": "quantitative", "title": forecast_title,
                                                 "format": ".1%"}]}})
    return Spec({"height": {"step": 44}, "layer": layers})


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
