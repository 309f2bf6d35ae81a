"""Goals: did we hit the plan? The KPI scorecard of a period, red first, with the overall score,
drill links to the trends, bullet charts, the year's cumulative plan vs actual, pacing for a period
in progress, the KPIs that need a cause analysis, the outcome review table to export, and the
targets themselves (edit this view's, set next period's SMART targets, weights and thresholds).

Every number comes from ``retro.scoring``; every write goes through it (one transaction each).
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote, urlencode

import altair as alt
import pandas as pd
import streamlit as st

from retro import charts as C
from retro import likeforlike as L4L
from retro import metrics as M
from retro import reviews as R
from retro import scoring as S
from retro.i18n import format_number, t
from retro.ui import (
    active_period,
    active_review,
    can_edit,
    database,
    lang,
    listed,
    md,
    set_active_review,
    who,
)
from retro.ui import goals as G
from retro.ui.text import column_px

db = database()
L = lang()


def tr(key: str, **params) -> str:  # the language read once a run: each read of it is a session-state look-up
    return t(key, L, **params)


def num(value: float | None, unit: str | None = None, **kw) -> str:
    return format_number(value, L, unit=unit, **kw)

PATH = str(db.path)
VERSION = db.data_version()
NUMBERS = db.numbers_version()  # series, scorecards, targets: a review or problem edit leaves them
st.title(tr("nav.goals"))
st.caption(tr("goals.intro"))

for kind, text in st.session_state.pop("goals_flash", []):
    if kind == "ok":
        st.success(text, icon=":material/check_circle:")
    else:
        st.error(text, icon=":material/error:")


def flash(kind: str, text: str) -> None:
    st.session_state.setdefault("goals_flash", []).append((kind, text))


catalog = G.catalog(PATH, NUMBERS)
by_name = {m.name: m for m in catalog}
label_of = {m.name: m.label(L) for m in catalog}
if not catalog:
    st.info(tr("goals.no_data"), icon=":material/upload_file:")
    st.page_link("pages/import_data.py", label=tr("nav.import"), icon=":material/upload_file:")
    st.stop()

STATUS_DOT = {"green": "●", "amber": "●", "red": "●", "incomplete": "◐", "no_target": "○", "no_actual": "○"}
STATUS_MD = {"green": "green", "amber": "orange", "red": "red", "incomplete": "gray", "no_target": "gray", "no_actual": "gray"}
STATUS_TEXT = {s: f"{STATUS_DOT[s]} {tr('goals.status.' + s)}" for s in S.STATUSES}
STATUS_LABEL = {s: f":{STATUS_MD[s]}[{STATUS_DOT[s]}] {tr('goals.status.' + s)}" for s in S.STATUSES}
STATUS_COLOUR = {"green": "#d8f0dd", "amber": "#fcefc7", "red": "#f9d6d5", "incomplete": "#eeeeee", "no_target": "#eeeeee",
                 "no_actual": "#eeeeee"}
SOURCE_TEXT = {s: tr("goals.source." + s) for s in ("user", "import", "paced", "sum")}
TOTAL = tr("goals.total")


def unit_of(metric: str) -> str | None:
    return by_name[metric].unit if metric in by_name else None


def value_text(value: float | None, metric: str) -> str:
    return num(value, unit_of(metric))


def pct(value: float | None, signed: bool = False) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{value * 100:+.1f}%" if signed else f"{value * 100:.1f}%"


def what(row: S.KpiRow) -> str:
    return f"{row.segment} · {label_of.get(row.metric, row.metric)}" if row.segment else label_of.get(row.metric, row.metric)


def trend_text(row: S.KpiRow) -> str:
    if row.trend is None:
        return "—"
    arrow = "↑" if row.trend > 0.0005 else "↓" if row.trend < -0.0005 else "→"
    return f"{arrow} {pct(row.trend, signed=True)}"


def trend_tone(row: S.KpiRow) -> str:
    if row.trend is None or abs(row.trend) <= 0.0005:
        return "flat"
    return "good" if (row.trend > 0) == (row.direction != "down") else "bad"


def reason_text(row: S.KpiRow) -> str:
    parts = []
    if row.coverage_text(L):  # "3 of 4 regions reported": what the attainment is worked out on
        parts.append(tr("cover.not_scored" if row.status == "incomplete" else "cover.scored", what=row.coverage_text(L)))
    if row.reason and row.reason not in ("no_target", "no_actual", "incomplete"):
        parts.append(tr("goals.reason." + row.reason))
    elif row.reason == "no_target" and row.dimension and row.metric in planned_in_total:
        parts.append(tr("goals.reason.no_target_segment", dim=row.dimension))  # a grid cell: plain text, no escapes
    if row.capped:
        parts.append(tr("goals.capped", cap=pct(row.cap)))
    for note in row.notes:
        parts.append(tr("goals.note." + note))
    return "；".join(parts) if L == "zh" else "; ".join(parts)


def trends_url(row: S.KpiRow, *, breakdown: bool) -> str:
    """A link that opens the trends page on this KPI (filters in the URL, read on arrival)."""
    params: dict[str, str] = {"metric": row.metric, "grain": row.grain, "lang": L}
    if sidebar_month:
        params["period"] = sidebar_month
    dims = [d for d in G.dimensions(PATH, NUMBERS) if d != row.dimension]
    if row.segment and row.dimension:
        params[f"f_{row.dimension}"] = row.segment
        if breakdown and dims:
            params["by"] = dims[0]
    elif breakdown:
        params["by"] = row.dimension or (dims[0] if dims else "")
    return "trends?" + urlencode(params, quote_via=quote)


# --------------------------------------------------------------------------- controls

dimensions = G.dimensions(PATH, NUMBERS)
query = st.query_params
if "goals_grain" not in st.session_state:
    st.session_state["goals_grain"] = query.get("grain") if query.get("grain") in M.GRAINS else "month"
if "goals_by" not in st.session_state:
    st.session_state["goals_by"] = query.get("by") if query.get("by") in dimensions else ""
if st.session_state["goals_by"] not in ["", *dimensions]:
    st.session_state["goals_by"] = ""

controls = st.columns([2.4, 2, 2, 3], vertical_alignment="bottom")
grain = controls[0].segmented_control(tr("goals.grain"), M.GRAINS, format_func={g: tr(f"grain.{g}") for g in M.GRAINS}.get,
                                      required=True, key="goals_grain")
options = G.options(PATH, NUMBERS, grain)
if not options:
    st.info(tr("goals.no_data"), icon=":material/upload_file:")
    st.page_link("pages/import_data.py", label=tr("nav.import"), icon=":material/upload_file:")
    st.stop()
sidebar_month = active_period()
follow = (sidebar_month, grain)
period_key = f"goals_period_{grain}"
if st.session_state.get("goals_followed") != follow or st.session_state.get(period_key) not in options:
    wanted = M.period_label(M.period_start(sidebar_month), grain) if sidebar_month else None
    arrived = query.get("gp") if st.session_state.get("goals_followed") is None else None
    st.session_state[period_key] = next((p for p in (arrived, wanted) if p in options), options[0])
    st.session_state["goals_followed"] = follow
period = controls[1].selectbox(tr("goals.period"), options, key=period_key, help=tr("goals.period_help"))
by = controls[2].selectbox(tr("goals.by"), ["", *dimensions], key="goals_by",
                           format_func={"": tr("goals.by_none"), **{d: d for d in dimensions}}.get) or None
forecast = controls[3].segmented_control(tr("goals.forecast"), S.FORECASTS, default="seasonal", required=True,
                                         format_func={f: tr("goals.forecast." + f) for f in S.FORECASTS}.get,
                                         key="goals_forecast", help=tr("goals.forecast_help"))
for name, value in (("grain", grain), ("gp", period), ("by", by or "")):
    if query.get(name) != value:
        query[name] = value

STEP = {"month": 1, "quarter": 3, "year": 12}[grain]
before_label = M.period_label(S.add_months(S.parse_period(period)[0], -STEP), grain)
# The scorecards this run reads, those not kept yet computed side by side (after a write, all of them).
G.prefetch(PATH, NUMBERS, [(period, by, forecast), (period, None, forecast)]
           + ([(before_label, None, forecast)] if before_label in options else []), (period, forecast))
card = G.card(PATH, NUMBERS, period, by, forecast)
total = card if by is None else G.card(PATH, NUMBERS, period, None, forecast)
planned_in_total = {r.metric for r in total.rows if r.has_target}
start = card.period

# --------------------------------------------------------------------------- headline

targeted = [r for r in card.rows if r.has_target]
counts = {s: sum(1 for r in card.rows if r.status == s) for s in S.STATUSES}
before = G.card(PATH, NUMBERS, before_label, None, forecast) if before_label in options else None
head = st.columns([1.8, 1, 1, 1, 1])  # the first holds the score and its status line ('● 综合预警 · 没有 KPI 未达标') on one line
delta = None
if total.overall is not None and before is not None and before.overall is not None:
    delta = tr("goals.points", n=f"{(total.overall - before.overall) * 100:+.1f}")
# The overall is an average, which a KPI beyond plan lifts: its status is never green while a KPI is
# red, and the red count stands beside it (retro.scoring, "overall status"); nor is a rise shown green then.
head[0].metric(tr("goals.overall") + (f" · {TOTAL}" if by else ""), pct(total.overall), delta=delta, help=tr("goals.overall_help"),
               delta_color="off" if total.red else "normal")
if total.overall_status:
    head[0].markdown(tr("score.beside", dot=f":{STATUS_MD[total.overall_status]}[●]",
                        status=tr(f"goals.status.{total.overall_status}"), n=total.red) if total.red else
                     tr("score.beside_none", dot=f":{STATUS_MD[total.overall_status]}[●]",
                        status=tr(f"goals.status.{total.overall_status}")))
head[1].metric(STATUS_LABEL["red"], counts["red"])
head[2].metric(STATUS_LABEL["amber"], counts["amber"])
head[3].metric(STATUS_LABEL["green"], counts["green"])
head[4].metric(STATUS_LABEL["no_target"], counts["no_target"], help=tr("goals.without_target_help"))

if card.in_progress and grain != "month":
    months = max(r.months_actual for r in card.rows if r.in_progress)
    st.info(tr("goals.in_progress", period=card.label, months=months, total={"quarter": 3, "year": 12}[grain],
               method=tr("goals.forecast." + forecast)), icon=":material/hourglass_top:")
noted = [r for r in card.rows if r.has_target and r.coverage_text(L)]
if noted:  # plan against actual on what both hold: say what is missing, where the numbers are
    st.info(tr("goals.like_for_like", items=[L4L.labelled(md(what(r)), md(r.coverage_text(L)), L)
                                             for r in noted[:8]]), icon=":material/rule:")
if not targeted:
    st.info(tr("goals.no_targets", period=card.label), icon=":material/flag:")
if by and card.segments:
    seg = pd.DataFrame([{"segment": k, "score": v} for k, v in card.segments.items() if v is not None])
    if not seg.empty:
        st.markdown(f"**{tr('goals.by_segment', dim=md(by))}**")
        seg["text"] = [pct(v) for v in seg["score"]]
        seg["band"] = [card.segment_status(k) for k in seg["segment"]]  # never green with a red KPI in it

        def segment_chart() -> alt.LayerChart:  # built only when its spec is not kept yet
            colours = alt.Scale(domain=["green", "amber", "red"], range=["#2e9e4f", "#e0a400", "#d64541"])
            bars = alt.Chart(seg).mark_bar(height=20).encode(
                x=alt.X("score:Q", title=tr("goals.col.score"), axis=alt.Axis(format="%")),
                y=alt.Y("segment:N", title=None, sort="-x"),
                color=alt.Color("band:N", scale=colours, legend=None),
                tooltip=[alt.Tooltip("segment:N", title=by), alt.Tooltip("text:N", title=tr("goals.col.score"))],
            )
            labels = bars.mark_text(align="left", dx=4).encode(text="text:N", color=alt.value("#333"))
            rule = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 3], color="#555").encode(x="x:Q")
            return (bars + labels + rule).properties(height=alt.Step(30))

        st.vega_lite_chart(spec=G.chart_spec(("segments", L, by, seg.to_json()), segment_chart), width="stretch")

# --------------------------------------------------------------------------- the scorecard

st.subheader(tr("goals.scorecard", period=card.label))
show_all = st.toggle(tr("goals.show_untargeted"), value=by is None, key=f"goals_show_all_{by is None}",
                     help=tr("goals.show_untargeted_help"))
rows = [r for r in card.rows if show_all or r.has_target]
table = pd.DataFrame([
    {
        "status": STATUS_TEXT[r.status],
        "metric": label_of.get(r.metric, r.metric),
        "segment": r.segment or tr("goals.total"),
        "plan": value_text(r.plan, r.metric),
        "actual": value_text(r.actual, r.metric),
        "attainment": float("nan") if r.attainment is None else r.attainment * 100,
        "deviation": float("nan") if r.deviation is None else r.deviation * 100,
        "trend": trend_text(r),
        "weight": r.weight,
        "score": float("nan") if r.score is None else r.score * 100,
        "owner": r.owner or "",
        "note": reason_text(r),
        "drill": trends_url(r, breakdown=False),
        "breakdown": trends_url(r, breakdown=True),
        "_status": r.status,
        "_tone": trend_tone(r),
    }
    for r in rows
])
if table.empty:
    st.caption(tr("goals.nothing", period=card.label))
else:
    tones = {"good": "color: #1e7b3a", "bad": "color: #b3261e", "flat": ""}

    def _style(frame: pd.DataFrame) -> pd.DataFrame:
        css = pd.DataFrame("", index=frame.index, columns=frame.columns)
        css["status"] = [f"background-color: {STATUS_COLOUR[s]}" for s in table["_status"]]
        css["trend"] = [tones[x] for x in table["_tone"]]
        css["attainment"] = [f"background-color: {STATUS_COLOUR[s]}" if s in ("red", "amber", "green") else ""
                             for s in table["_status"]]
        return css

    shown = table.drop(columns=["_status", "_tone"])
    if not shown["note"].str.strip().any():
        shown = shown.drop(columns=["note"])
    if not shown["owner"].str.strip().any():
        shown = shown.drop(columns=["owner"])
    if by is None:
        shown = shown.drop(columns=["segment"])
    if (shown["weight"] == 1).all():  # every KPI at the default weight: the column says nothing, and costs the links their room
        shown = shown.drop(columns=["weight"])
    percent_columns = [c for c in ("attainment", "score") if c in shown.columns]
    styled = (shown.style.apply(_style, axis=None)
              .format("{:.1f}%", subset=percent_columns, na_rep="—")
              .format("{:+.1f}%", subset=["deviation"], na_rep="—")
              .format("{:g}", subset=[c for c in ("weight",) if c in shown.columns]))
    st.dataframe(
        styled,
        hide_index=True,
        placeholder="—",
        width="stretch",
        height=min(36 * (len(shown) + 1) + 3, 640),
        column_config={
            "status": st.column_config.TextColumn(tr("goals.col.status"), pinned=True, width="small"),
            "metric": st.column_config.TextColumn(tr("goals.col.metric"), pinned=True),
            "segment": st.column_config.TextColumn(by or tr("goals.col.segment"), width="small"),
            # Sized to their longest value: "6.97M CNY" was cut to "6.97M C" at 1366 px.
            "plan": st.column_config.TextColumn(tr("goals.col.plan"), help=tr("goals.col.plan_help"),
                                                width=column_px(shown["plan"], tr("goals.col.plan"), icons=20)),
            "actual": st.column_config.TextColumn(tr("goals.col.actual"),
                                                  width=column_px(shown["actual"], tr("goals.col.actual"))),
            "attainment": st.column_config.NumberColumn(tr("goals.col.attainment"), format="%.1f%%",
                                                        help=tr("goals.col.attainment_help")),
            "deviation": st.column_config.NumberColumn(tr("goals.col.deviation"), format="%+.1f%%",
                                                       help=tr("goals.col.deviation_help")),
            "trend": st.column_config.TextColumn(tr("goals.col.trend"), help=tr("goals.col.trend_help"), width="small"),
            "weight": st.column_config.NumberColumn(tr("goals.col.weight"), format="%.2g", width="small"),
            "score": st.column_config.NumberColumn(tr("goals.col.score"), format="%.1f%%", help=tr("goals.col.score_help")),
            "owner": st.column_config.TextColumn(tr("goals.col.owner"), width="small"),
            "note": st.column_config.TextColumn(tr("goals.col.note")),
            "drill": st.column_config.LinkColumn(tr("goals.col.drill"), display_text=tr("goals.open_trend"), width="small"),
            "breakdown": st.column_config.LinkColumn(tr("goals.col.breakdown"), display_text=tr("goals.open_breakdown"),
                                                     width="small"),
        },
    )
    st.caption(tr("goals.table_help"))

# --------------------------------------------------------------------------- needs analysis

st.subheader(tr("goals.needs_analysis"))
active = active_review(db)
needs = G.needs(PATH, VERSION, NUMBERS, period, by, forecast, show_all, active.id if active else None)


def log_success(row: S.KpiRow, segment: dict[str, str]) -> None:
    """The button's callback: the success kept before the rerun, so a click costs one run, not two."""
    covering = R.review_covering(db, active_review(db), row.label)
    if R.kpi_success_kept(db, covering.id if covering else None, row, segment):
        return  # kept meanwhile (another tab, a double click)
    review_id = covering.id if covering else R.review_to_log_in(db, None, row.label, actor=who(), lang=L)
    R.add_item(db, "lesson", R.kpi_success_values(db, row, segment, L), review_id=review_id, actor=who())
    set_active_review(review_id)
    flash("ok", tr("meeting.success_kept_in", review=md(R.get_review(db, review_id).title)))


def log_problem(row: S.KpiRow, segment: dict[str, str]) -> None:
    """The button's callback: the problem logged before the rerun, so a click costs one run, not two."""
    covering = R.review_covering(db, active_review(db), row.label)
    if covering is not None and R.logged_problem(db, covering.id, row.metric, segment, row.period, row.grain):
        return  # logged meanwhile (another tab, a double click)
    review_id = covering.id if covering else R.review_to_log_in(db, None, row.label, actor=who(), lang=L)
    R.add_item(db, "problem", R.kpi_problem(
        row.metric, row.label, row.period, row.grain, segment=segment, what=what(row),
        detail=tr("meeting.attainment_of", attainment=pct(row.attainment)), source="goals",
        severity="high" if row.status == "red" else "medium"), review_id=review_id, actor=who())
    set_active_review(review_id)
    flash("ok", tr("meeting.problem_logged_in", review=md(R.get_review(db, review_id).title)))


if not needs.rows:
    st.caption(tr("goals.needs_none", period=card.label))
else:
    st.caption(tr("goals.needs_help"))
    for r, state in needs.rows:
        side = "below" if (r.deviation or 0) < 0 else "above"
        if r.deviation is None:
            side = "missed"
        good = r.met
        text = tr("goals.needs_row", dot=f":{STATUS_MD[r.status]}[{STATUS_DOT[r.status]}]", what=md(what(r)), deviation=pct(r.deviation, signed=True),
                  side=tr(f"goals.side.{side}"), plan=md(value_text(r.plan, r.metric)),
                  actual=md(value_text(r.actual, r.metric)),
                  verdict=tr("goals.verdict.good" if good else "goals.verdict.bad"))
        segment = {by: r.segment} if by and r.segment else {}
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.markdown(f"{text} · [{tr('goals.open_trend')}]({trends_url(r, breakdown=True)})")
        if state == "kept":
            right.caption(tr("meeting.success_logged"))
        elif state == "keep" and can_edit():
            right.button(tr("meeting.log_success"), key=f"goals_success_{r.metric}_{r.segment}", help=tr("meeting.log_success_help"),
                         icon=":material/lightbulb:", on_click=log_success, args=(r, segment))
        elif state == "logged":
            right.caption(tr("meeting.logged"))
        elif state == "log" and can_edit():
            right.button(tr("meeting.log_problem"), key=f"goals_log_{r.metric}_{r.segment}", icon=":material/report:",
                         on_click=log_problem, args=(r, segment))

# --------------------------------------------------------------------------- process view

st.subheader(tr("meeting.process"))
pv = needs.process
if pv is None or not pv.tasks:
    st.caption(tr("meeting.process_none"))
else:
    p1, p2, p3 = st.columns(3)
    p1.metric(tr("meeting.task_completion"), pct(pv.completion), help=tr("meeting.task_completion_help"))
    p2.metric(tr("meeting.task_progress"), pct(pv.progress))
    p3.metric(tr("meeting.budget_use"), pct(pv.budget_use),
              help=tr("meeting.budget_use_help", used=num(pv.budget_used), budget=num(pv.budget)))

# --------------------------------------------------------------------------- pacing

if card.in_progress:
    st.subheader(tr("goals.pacing", period=card.label))
    pacing_rows = [r for r in card.rows if r.in_progress and r.plan_full is not None]
    if pacing_rows:
        pacing_rows.sort(key=lambda r: (r.pace != "at_risk", r.forecast_attainment or 0.0))
        st.dataframe(pd.DataFrame([
            {
                tr("goals.col.metric"): what(r),
                tr("goals.col.actual_to_date"): value_text(r.actual, r.metric),
                tr("goals.col.plan_to_date"): value_text(r.plan, r.metric),
                tr("goals.col.plan_full"): value_text(r.plan_full, r.metric),
                tr("goals.col.forecast"): value_text(r.forecast, r.metric),
                tr("goals.col.forecast_attainment"): pct(r.forecast_attainment),
                tr("goals.col.pace"): (("● " if r.pace == "on_track" else "▲ ") + tr(f"goals.pace.{r.pace}")) if r.pace else "—",
                tr("goals.col.needed"): value_text(r.needed_per_month, r.metric),
            }
            for r in pacing_rows
        ]), hide_index=True, width="stretch")
        st.caption(tr("goals.pacing_help", method=tr("goals.forecast." + forecast)))

# --------------------------------------------------------------------------- charts


def bullet_frame(rows: list[S.KpiRow]) -> pd.DataFrame:
    out = []
    for r in rows:
        if r.attainment is None or r.plan is None or r.plan <= 0 or r.actual is None:
            continue
        ratio = r.actual / r.plan
        if r.direction != "down":
            bands = [(0.0, r.amber, "red"), (r.amber, r.green, "amber"), (r.green, None, "green")]
        else:
            bands = [(0.0, 1 / r.green, "green"), (1 / r.green, 1 / r.amber if r.amber > 0 else None, "amber"),
                     (1 / r.amber if r.amber > 0 else None, None, "red")]
        text = f"{value_text(r.actual, r.metric)} / {value_text(r.plan, r.metric)} · {pct(r.attainment)}"
        out.append({"kpi": f"{what(r)}  {text}", "ratio": ratio, "status": r.status, "bands": bands,
                    "forecast": None if r.forecast is None or not r.plan_full else r.forecast / r.plan_full,
                    "text": text})
    return pd.DataFrame(out)


st.subheader(tr("goals.charts"))
bullets = bullet_frame([r for r in card.rows if r.has_target])
if bullets.empty:
    st.caption(tr("goals.bullets_empty"))
else:
    st.markdown(f"**{tr('goals.bullets', period=card.label)}**")
    st.vega_lite_chart(spec=G.chart_spec(("bullets", L, bullets.to_json(default_handler=str)), lambda: C.bullet_spec(
        bullets.to_dict("records"), axis_title=tr("goals.bullet_axis"), kpi_title=tr("goals.col.metric"),
        actual_title=tr("goals.col.actual"), forecast_title=tr("goals.col.forecast_attainment"))), width="stretch")
    st.caption(tr("goals.bullets_help") + (" " + tr("goals.bullets_forecast") if card.in_progress else ""))

with_target = list(dict.fromkeys(r.metric for r in card.rows if r.has_target)) or [m.name for m in catalog]
row3 = st.columns([3, 2, 5], vertical_alignment="bottom")
chosen = row3[0].selectbox(tr("goals.year_metric"), with_target, format_func=lambda n: label_of.get(n, n),
                           key="goals_year_metric")
segments = ["", *sorted({r.segment for r in card.rows if r.metric == chosen and r.segment})] if by else [""]
segment = row3[1].selectbox(by or tr("goals.col.segment"), segments, key=f"goals_year_segment_{by}",
                            format_func={x: x or TOTAL for x in segments}.get)
progress = G.progress(PATH, NUMBERS, chosen, start.year, by if segment else None, segment)
metric = by_name.get(chosen)
if progress[["plan", "actual"]].isna().all().all():
    st.caption(tr("goals.year_empty", year=start.year))
else:
    rate = metric is not None and metric.is_rate
    long = []
    for r in progress.itertuples():
        month = f"{r.period.month:02d}"
        plan_v, actual_v = (r.plan, r.actual) if rate else (r.cum_plan, r.cum_actual)
        if pd.notna(plan_v):
            long.append({"month": month, "series": tr("goals.series.plan"), "value": plan_v, "text": value_text(plan_v, chosen)})
        if pd.notna(actual_v):
            long.append({"month": month, "series": tr("goals.series.actual"), "value": actual_v, "text": value_text(actual_v, chosen)})
    lines = pd.DataFrame(long)

    def year_chart() -> alt.LayerChart:  # built only when its spec is not kept yet
        colour = alt.Scale(domain=[tr("goals.series.plan"), tr("goals.series.actual")], range=["#8a8f98", "#1f6fd1"])
        dash = alt.Scale(domain=[tr("goals.series.plan"), tr("goals.series.actual")], range=[[6, 4], [1, 0]])
        base = alt.Chart(lines).encode(
            x=alt.X("month:O", title=tr("goals.month_of", year=start.year), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title=f"{label_of.get(chosen, chosen)}" + (f" ({unit_of(chosen)})" if unit_of(chosen) else ""),
                    axis=alt.Axis(format="%" if unit_of(chosen) == "%" else ",.0f")),
            color=alt.Color("series:N", scale=colour, title=None, legend=alt.Legend(orient="top")),
            strokeDash=alt.StrokeDash("series:N", scale=dash, legend=None),
            tooltip=[alt.Tooltip("month:O", title=tr("goals.col.period")), alt.Tooltip("series:N", title=" "),
                     alt.Tooltip("text:N", title=tr("goals.col.value"))],
        )
        return (base.mark_line(strokeWidth=2.5) + base.mark_point(filled=True, size=40)).properties(height=300)

    title = tr("goals.year_rate" if rate else "goals.year_cumulative", metric=label_of.get(chosen, chosen),
               segment=segment or tr("goals.total"), year=start.year)
    st.markdown(f"**{md(title)}**")
    year_key = ("year", L, lines.to_json(), label_of.get(chosen, chosen), unit_of(chosen), start.year)
    st.vega_lite_chart(spec=G.chart_spec(year_key, year_chart), width="stretch")

# --------------------------------------------------------------------------- owners

owners = G.owners(PATH, NUMBERS, period, forecast)
st.subheader(tr("goals.owners"))
if not owners:
    st.caption(tr("goals.owners_none"))
else:
    st.dataframe(pd.DataFrame([
        {tr("goals.col.owner"): o.owner, tr("goals.col.score"): pct(o.overall),
         tr("goals.col.kpis"): len(o.rows),
         STATUS_TEXT["red"]: sum(1 for r in o.rows if r.status == "red"),
         tr("goals.col.owned"): listed(what(r) for r in o.rows)}
        for o in owners
    ]), hide_index=True, width="stretch")

# --------------------------------------------------------------------------- export

st.subheader(tr("goals.export"))
st.caption(tr("goals.export_help"))
exports = st.columns([1, 1, 4])
stem = f"outcome_review_{card.label}" + (f"_{by}" if by else "")
# Built when clicked, not on every rerun (on_click="ignore": the download does not rerun the page).
exports[0].download_button(tr("goals.download_xlsx"), lambda: S.outcome_xlsx(card, L, label_of), file_name=f"{stem}.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           icon=":material/table_view:", key="goals_xlsx", disabled=not targeted, on_click="ignore")
exports[1].download_button(tr("goals.download_csv"), lambda: S.outcome_csv(card, L, label_of), file_name=f"{stem}.csv",
                           mime="text/csv", icon=":material/download:", key="goals_csv", disabled=not targeted,
                           on_click="ignore")

# --------------------------------------------------------------------------- targets

st.divider()
st.subheader(tr("goals.targets"))
st.caption(tr("goals.targets_help"))
if not can_edit():
    st.info(tr("gate.read_only"), icon=":material/visibility:")
    st.stop()
actor = st.text_input(tr("goals.actor"), key="goals_actor", max_chars=40, placeholder=tr("goals.actor_placeholder"),
                      value=who() if st.session_state.get("_role") else "").strip() or "ui"
# Tabs that track which one is open, so a rerun (a period picked above) builds only its editors.
tabs = st.tabs([tr("goals.tab.view", period=card.label), tr("goals.tab.smart"), tr("goals.tab.all"),
                tr("goals.tab.settings"), tr("goals.tab.log")], key="goals_tabs", on_change="rerun")
PACING_TEXT = {p: tr("goals.pacing." + p) for p in S.PACINGS}


def editable_text(value: float | None, metric: str) -> str:
    if value is None:
        return ""
    if unit_of(metric) == "%":
        return f"{value * 100:.4g}%"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def report_errors(error: S.TargetError, names: list[str]) -> None:
    for i, code, params in error.errors:
        where = names[i] if 0 <= i < len(names) else ""
        flash("error", tr("goals.save_failed", what=md(where), error=tr("goals.err." + code, **{k: md(v) for k, v in params.items()})))


# ---- tab 1: this view's targets
with tabs[0]:
    if tabs[0].open:  # lazy: a hidden tab's editors are not built on every rerun
        st.caption(tr("goals.view_help"))
        view_rows = list(card.rows)
        generation = st.session_state.get("goals_generation", 0)
        editor_table = pd.DataFrame([
            {
                "metric": label_of.get(r.metric, r.metric),
                "segment": r.segment or tr("goals.total"),
                "period": card.label,
                "source": SOURCE_TEXT.get(r.target_source or "", "—"),
                "target": editable_text(r.plan_full, r.metric),
                "unit": r.unit or "",
                "vs_last_year": float("nan"),
                "owner": r.owner or "",
                "deadline": r.deadline,
                "pacing": r.pacing,
            }
            for r in view_rows
        ], columns=["metric", "segment", "period", "source", "target", "unit", "vs_last_year", "owner", "deadline", "pacing"])
        editor_table["vs_last_year"] = editor_table["vs_last_year"].astype(float)
        editor_table["deadline"] = pd.to_datetime(editor_table["deadline"]).dt.date
        with st.form("goals_view_form", border=False):
            edited = st.data_editor(
                editor_table,
                key=f"goals_view_editor_{generation}_{card.label}_{by}",
                placeholder="",
                hide_index=True,
                width="stretch",
                num_rows="fixed",
                column_order=[c for c in editor_table.columns if grain != "month" or c != "pacing"],
                disabled=["metric", "segment", "period", "source", "unit"],
                column_config={
                    "metric": st.column_config.TextColumn(tr("goals.col.metric"), pinned=True),
                    "segment": st.column_config.TextColumn(by or tr("goals.col.segment")),
                    "period": st.column_config.TextColumn(tr("goals.col.period"), width="small"),
                    "source": st.column_config.TextColumn(tr("goals.col.source"), width="small", help=tr("goals.col.source_help")),
                    "target": st.column_config.TextColumn(tr("goals.col.target"), help=tr("goals.col.target_help"), max_chars=30),
                    "unit": st.column_config.TextColumn(tr("goals.col.unit"), width="small"),
                    "vs_last_year": st.column_config.NumberColumn(tr("goals.col.vs_last_year"), format="%+.1f%%",
                                                                  help=tr("goals.col.vs_last_year_help"), min_value=-100.0,
                                                                  max_value=1000.0),
                    "owner": st.column_config.TextColumn(tr("goals.col.owner"), max_chars=S.MAX_TEXT),
                    "deadline": st.column_config.DateColumn(tr("goals.col.deadline")),
                    "pacing": st.column_config.SelectboxColumn(tr("goals.col.pacing"), options=list(S.PACINGS), required=True,
                                                               format_func=PACING_TEXT.get, help=tr("goals.col.pacing_help")),
                },
            )
            save_view = st.form_submit_button(tr("goals.save"), type="primary", icon=":material/save:")

        if save_view:
            items, names, problems = [], [], []
            for r, (_, before_row), (_, after_row) in zip(view_rows, editor_table.iterrows(), edited.iterrows(), strict=True):
                changed = {c for c in ("target", "vs_last_year", "owner", "deadline", "pacing")
                           if not S.same_value(None if pd.isna(before_row[c]) else before_row[c], None if pd.isna(after_row[c]) else after_row[c])}
                if not changed:
                    continue
                dims = {by: r.segment} if by and r.segment else None
                owner = str(after_row["owner"] or "").strip() or None
                deadline = None if pd.isna(after_row["deadline"]) else pd.Timestamp(after_row["deadline"]).date()
                pacing = after_row["pacing"] if after_row["pacing"] in S.PACINGS else "even"
                name = what(r)
                vs = after_row["vs_last_year"]
                if "vs_last_year" in changed and not pd.isna(vs):
                    item = S.TargetInput(r.metric, card.label, None, dims, float(vs) / 100, owner, deadline, pacing)
                elif "target" in changed:
                    try:
                        value = S.parse_target_text(after_row["target"], unit_of(r.metric))
                    except ValueError:
                        problems.append(tr("goals.save_failed", what=md(name), error=tr("goals.err.bad_value", value=md(after_row["target"]))))
                        continue
                    if value is None:
                        problems.append(tr("goals.save_failed", what=md(name), error=tr("goals.err.cleared")))
                        continue
                    item = S.TargetInput(r.metric, card.label, value, dims, None, owner, deadline, pacing)
                elif r.target_source == "user":
                    item = S.TargetInput(r.metric, card.label, r.plan_full, dims, None, owner, deadline, pacing)
                else:  # owner, deadline or pacing on an imported or derived plan: the plan stays the value
                    item = S.TargetInput(r.metric, card.label, None, dims, None, owner, deadline, pacing, source="import")
                items.append(item)
                names.append(name)
            for text in problems:
                flash("error", text)
            if items:
                try:
                    result = S.upsert_targets(db, items, actor=actor)
                    flash("ok", tr("goals.saved", n=result.saved))
                except S.TargetError as error:
                    report_errors(error, names)
            elif not problems:
                flash("ok", tr("goals.nothing_changed"))
            st.session_state["goals_generation"] = generation + 1
            st.rerun()

# ---- tab 2: SMART targets for the next period
with tabs[1]:
    if tabs[1].open:  # lazy: a hidden tab's editors are not built on every rerun
        st.caption(tr("goals.smart_help"))
        upcoming = [card.label]
        for _ in range(3):
            upcoming.append(S.next_period(upcoming[-1]))
        # Next period at the other grains too: a quarterly or yearly SMART target from a monthly view.
        for other in M.GRAINS:
            if other != grain:
                upcoming.append(S.next_period(M.period_label(start, other)))
        upcoming = list(dict.fromkeys(upcoming))
        c1, c2, c3 = st.columns(3)
        s_metric = c1.selectbox(tr("goals.col.metric"), [m.name for m in catalog], format_func=lambda n: label_of.get(n, n),
                                key="goals_smart_metric")
        s_period = c2.selectbox(tr("goals.col.period"), upcoming, index=1, key="goals_smart_period",
                                help=tr("goals.smart_period_help"))
        s_dim = c3.selectbox(tr("goals.by"), ["", *dimensions], key="goals_smart_dim",
                             format_func={"": tr("goals.by_none"), **{d: d for d in dimensions}}.get)
        c4, c5, c6 = st.columns(3)
        s_segments = G.values(PATH, NUMBERS, s_dim) if s_dim else [""]
        s_segment = c4.selectbox(tr("goals.col.segment"), s_segments, key=f"goals_smart_segment_{s_dim}",
                                 format_func={x: x or TOTAL for x in s_segments}.get)
        s_mode = c5.segmented_control(tr("goals.smart_mode"), ("value", "yoy"), default="value", required=True,
                                      format_func={"value": tr("goals.smart_mode.value"), "yoy": tr("goals.smart_mode.yoy")}.get,
                                      key="goals_smart_mode")
        for name in ("goals_smart_value", "goals_smart_owner"):  # seeded, so that clearing them after a save
            if name not in st.session_state:  # reaches the browser too (retro.ui.review's module doc)
                st.session_state[name] = ""
        if s_mode == "yoy":
            s_pct = c6.number_input(tr("goals.smart_pct"), value=20.0, step=5.0, format="%.1f", key="goals_smart_pct")
            s_text = None
        else:
            s_text = c6.text_input(tr("goals.col.target"), key="goals_smart_value", help=tr("goals.col.target_help"),
                                   placeholder=tr("goals.smart_value_placeholder"))
            s_pct = None
        c7, c8, c9 = st.columns(3)
        p_start, p_grain = S.parse_period(s_period)
        s_deadline = c7.date_input(tr("goals.col.deadline"), value=S.period_end(p_start, p_grain), key=f"goals_smart_deadline_{s_period}")
        s_owner = c8.text_input(tr("goals.col.owner"), key="goals_smart_owner", max_chars=S.MAX_TEXT)
        s_pacing = c9.selectbox(tr("goals.col.pacing"), list(S.PACINGS), format_func=PACING_TEXT.get, key="goals_smart_pacing",
                                disabled=p_grain == "month", help=tr("goals.col.pacing_help"))
        dims = {s_dim: s_segment} if s_dim and s_segment else None
        what_text = f"{s_segment} · {label_of.get(s_metric, s_metric)}" if dims else label_of.get(s_metric, s_metric)
        preview = None
        if s_mode == "yoy":
            ref = S.last_year_value(db, s_metric, s_period, dims)
            if ref is None:
                st.warning(tr("goals.err.no_last_year", metric=md(what_text), period=S.add_months(p_start, -12).strftime("%Y") if p_grain == "year"
                              else M.period_label(S.add_months(p_start, -12), p_grain)), icon=":material/warning:")
            elif ref == 0:
                st.warning(tr("goals.err.zero_last_year", metric=md(what_text)), icon=":material/warning:")
            else:
                preview = S.apply_change(ref, (s_pct or 0) / 100)
                st.markdown(tr("goals.smart_resolved", what=md(what_text), period=s_period, pct=f"{s_pct:+.1f}%",
                               last=md(value_text(ref, s_metric)), value=md(value_text(preview, s_metric))))
        if st.button(tr("goals.smart_save"), type="primary", icon=":material/flag:", key="goals_smart_save"):
            try:
                value = S.parse_target_text(s_text, unit_of(s_metric)) if s_mode == "value" else None
            except ValueError:
                value = None
                flash("error", tr("goals.save_failed", what=md(what_text), error=tr("goals.err.bad_value", value=md(s_text or ""))))
            else:
                item = S.TargetInput(s_metric, s_period, value, dims, (s_pct or 0) / 100 if s_mode == "yoy" else None,
                                     s_owner.strip() or None, s_deadline, s_pacing if p_grain != "month" else "even")
                try:
                    S.upsert_targets(db, [item], actor=actor)
                    flash("ok", tr("goals.smart_saved", what=md(what_text), period=s_period))
                    for name in ("goals_smart_value", "goals_smart_owner"):  # saved: the next target starts empty
                        st.session_state.pop(name, None)
                except S.TargetError as error:
                    report_errors(error, [what_text])
            st.rerun()

# ---- tab 3: every target a user set
with tabs[2]:
    if tabs[2].open:  # lazy: a hidden tab's editors are not built on every rerun
        stored = G.targets(PATH, NUMBERS)
        if stored.empty:
            st.caption(tr("goals.all_empty"))
        else:
            st.caption(tr("goals.all_help"))
            all_generation = st.session_state.get("goals_all_generation", 0)
            listing = pd.DataFrame({
                "delete": False,
                "metric": [label_of.get(n, n) for n in stored["metric"]],
                "segment": [" · ".join(f"{k}={v}" for k, v in d.items()) or tr("goals.total") for d in stored["dims"]],
                "period": stored["label"],
                "source": [tr("goals.stored." + s) for s in stored["source"]],
                "target": [editable_text(None if pd.isna(v) else float(v), n) for v, n in zip(stored["value"], stored["metric"], strict=True)],
                "basis": [tr("goals.basis", pct=f"{p * 100:+.1f}%", last=value_text(b, n)) if s == "yoy" else ""
                          for s, p, b, n in zip(stored["basis"], stored["basis_pct"], stored["basis_value"], stored["metric"], strict=True)],
                "owner": stored["owner"].fillna(""),
                "deadline": pd.to_datetime(stored["deadline"]).dt.date,
                "pacing": stored["pacing"],
                "actor": stored["actor"].fillna(""),
                "updated": pd.to_datetime(stored["updated_at"]).dt.strftime("%Y-%m-%d %H:%M"),
            })
            with st.form("goals_all_form", border=False):
                all_edited = st.data_editor(
                    listing, key=f"goals_all_editor_{all_generation}", hide_index=True, width="stretch", num_rows="fixed", placeholder="",
                    disabled=["metric", "segment", "period", "source", "basis", "actor", "updated"],
                    column_config={
                        "delete": st.column_config.CheckboxColumn(tr("goals.col.delete"), width="small"),
                        "metric": st.column_config.TextColumn(tr("goals.col.metric")),
                        "segment": st.column_config.TextColumn(tr("goals.col.segment")),
                        "period": st.column_config.TextColumn(tr("goals.col.period"), width="small"),
                        "source": st.column_config.TextColumn(tr("goals.col.source"), width="small"),
                        "target": st.column_config.TextColumn(tr("goals.col.target"), help=tr("goals.col.target_help")),
                        "basis": st.column_config.TextColumn(tr("goals.col.basis")),
                        "owner": st.column_config.TextColumn(tr("goals.col.owner"), max_chars=S.MAX_TEXT),
                        "deadline": st.column_config.DateColumn(tr("goals.col.deadline")),
                        "pacing": st.column_config.SelectboxColumn(tr("goals.col.pacing"), options=list(S.PACINGS), required=True,
                                                                   format_func=PACING_TEXT.get),
                        "actor": st.column_config.TextColumn(tr("goals.col.actor"), width="small"),
                        "updated": st.column_config.TextColumn(tr("goals.col.updated"), width="small"),
                    },
                )
                b1, b2 = st.columns([1, 1])
                save_all = b1.form_submit_button(tr("goals.save"), type="primary", icon=":material/save:")
                delete_all = b2.form_submit_button(tr("goals.delete_selected"), icon=":material/delete:")

            if save_all:
                items, names = [], []
                for (i, row), (_, new) in zip(stored.iterrows(), all_edited.iterrows(), strict=True):
                    old = listing.loc[i]
                    changed = [c for c in ("target", "owner", "deadline", "pacing")
                               if not S.same_value(None if pd.isna(old[c]) else old[c], None if pd.isna(new[c]) else new[c])]
                    if not changed:
                        continue
                    name = f"{new['segment']} · {new['metric']} · {new['period']}"
                    try:
                        value = S.parse_target_text(new["target"], unit_of(row["metric"]))
                    except ValueError:
                        flash("error", tr("goals.save_failed", what=md(name), error=tr("goals.err.bad_value", value=md(new["target"]))))
                        continue
                    if row["source"] == "user" and value is None:
                        flash("error", tr("goals.save_failed", what=md(name), error=tr("goals.err.cleared")))
                        continue
                    items.append(S.TargetInput(
                        row["metric"], row["label"], value if row["source"] == "user" else None, dict(row["dims"]) or None,
                        None, str(new["owner"] or "").strip() or None,
                        None if pd.isna(new["deadline"]) else pd.Timestamp(new["deadline"]).date(),
                        new["pacing"] if new["pacing"] in S.PACINGS else "even", row["note"], row["source"]))
                    names.append(name)
                if items:
                    try:
                        result = S.upsert_targets(db, items, actor=actor)
                        flash("ok", tr("goals.saved", n=result.saved))
                    except S.TargetError as error:
                        report_errors(error, names)
                st.session_state["goals_all_generation"] = all_generation + 1
                st.rerun()

            @st.dialog(tr("goals.delete_title"))
            def confirm_delete(ids: list[int], names: list[str]) -> None:
                st.write(tr("goals.delete_confirm", n=len(ids)))
                for name in names:
                    st.markdown(f"- {md(name)}")
                if st.button(tr("goals.delete_yes"), type="primary", key="goals_delete_yes"):
                    deleted = S.delete_targets(db, ids, actor=actor)
                    flash("ok", tr("goals.deleted", n=deleted))
                    st.session_state["goals_all_generation"] = st.session_state.get("goals_all_generation", 0) + 1
                    st.rerun()

            if delete_all:
                picked = all_edited.index[all_edited["delete"].fillna(False).astype(bool)].tolist()
                if not picked:
                    st.warning(tr("goals.delete_none"), icon=":material/info:")
                else:
                    confirm_delete([int(stored.loc[i, "id"]) for i in picked],
                                   [f"{listing.loc[i, 'segment']} · {listing.loc[i, 'metric']} · {listing.loc[i, 'period']}" for i in picked])

# ---- tab 4: weights, thresholds, caps
with tabs[3]:
    if tabs[3].open:  # lazy: a hidden tab's editors are not built on every rerun
        st.caption(tr("goals.settings_help"))
        saved_settings = G.settings(PATH, NUMBERS)
        settings_generation = st.session_state.get("goals_settings_generation", 0)
        names_here = list(dict.fromkeys([r.metric for r in total.rows if r.has_target] + [m.name for m in catalog]))
        settings_table = pd.DataFrame([
            {"metric": label_of.get(n, n), "direction": tr("metrics.dir." + by_name[n].direction),
             "weight": S.settings_for(saved_settings, n).weight,
             "green": S.settings_for(saved_settings, n).green * 100,
             "amber": S.settings_for(saved_settings, n).amber * 100,
             "cap": S.settings_for(saved_settings, n).cap * 100,
             "incomplete": S.settings_for(saved_settings, n).incomplete == "match"}
            for n in names_here if n in by_name
        ])
        with st.form("goals_settings_form", border=False):
            settings_edited = st.data_editor(
                settings_table, key=f"goals_settings_editor_{settings_generation}", hide_index=True, width="stretch",
                num_rows="fixed", disabled=["metric", "direction"],
                column_config={
                    "metric": st.column_config.TextColumn(tr("goals.col.metric")),
                    "direction": st.column_config.TextColumn(tr("metrics.col.direction"), help=tr("goals.direction_help")),
                    "weight": st.column_config.NumberColumn(tr("goals.col.weight"), min_value=0.0, step=0.5, format="%.2f"),
                    "green": st.column_config.NumberColumn(tr("goals.col.green"), min_value=0.0, step=1.0, format="%.0f%%"),
                    "amber": st.column_config.NumberColumn(tr("goals.col.amber"), min_value=0.0, step=1.0, format="%.0f%%"),
                    "cap": st.column_config.NumberColumn(tr("goals.col.cap"), min_value=100.0, step=5.0, format="%.0f%%"),
                    "incomplete": st.column_config.CheckboxColumn(tr("goals.col.incomplete"),
                                                                  help=tr("goals.col.incomplete_help")),
                },
            )
            save_settings = st.form_submit_button(tr("goals.save"), type="primary", icon=":material/save:")
        if save_settings:
            changed = []
            for n, (_, old), (_, new) in zip([n for n in names_here if n in by_name], settings_table.iterrows(),
                                             settings_edited.iterrows(), strict=True):
                if any(not S.same_value(float(old[c]), None if pd.isna(new[c]) else float(new[c])) for c in ("weight", "green", "amber", "cap")) \
                        or bool(old["incomplete"]) != bool(new["incomplete"]):
                    values = [None if pd.isna(new[c]) else float(new[c]) for c in ("weight", "green", "amber", "cap")]
                    changed.append(S.KpiSettings(n, values[0], *(None if v is None else v / 100 for v in values[1:]),  # type: ignore[arg-type]
                                                 incomplete="match" if bool(new["incomplete"]) else "skip"))
            if changed:
                try:
                    S.save_settings(db, changed, actor=actor)
                    flash("ok", tr("goals.saved", n=len(changed)))
                except S.TargetError as error:
                    report_errors(error, [label_of.get(s.metric, s.metric) for s in changed])
            else:
                flash("ok", tr("goals.nothing_changed"))
            st.session_state["goals_settings_generation"] = settings_generation + 1
            st.rerun()

# ---- tab 5: the change log, and restoring a deleted target
with tabs[4]:
    if tabs[4].open:  # lazy: a hidden tab's editors are not built on every rerun
        log = G.change_log(PATH, VERSION)
        if log.empty:
            st.caption(tr("goals.log_empty"))
        else:
            def describe(raw: str | None) -> str:
                if not raw:
                    return ""
                row = json.loads(raw)
                dims = " · ".join(f"{k}={v}" for k, v in (row.get("dims") or {}).items())
                period_text = M.period_label(dt.date.fromisoformat(row["period"]), row["grain"])
                value = value_text(row.get("value"), row["metric"]) if row.get("value") is not None else tr("goals.stored.import")
                owner = f" · {row['owner']}" if row.get("owner") else ""
                return f"{label_of.get(row['metric'], row['metric'])} {dims} {period_text}: {value}{owner}"

            st.dataframe(pd.DataFrame({
                tr("goals.col.when"): pd.to_datetime(log["logged_at"]).dt.strftime("%Y-%m-%d %H:%M"),
                tr("goals.col.action"): [tr("goals.action." + a) for a in log["action"]],
                tr("goals.col.before"): [describe(b) for b in log["before"]],
                tr("goals.col.after"): [describe(a) for a in log["after"]],
                tr("goals.col.actor"): log["actor"].fillna(""),
            }), hide_index=True, width="stretch")
            deleted = log[log["action"] == "delete"]
            if not deleted.empty:
                pick = st.selectbox(tr("goals.restore_pick"), deleted["id"].tolist(), key="goals_restore_pick",
                                    format_func={i: describe(b) for i, b in zip(deleted["id"], deleted["before"], strict=True)}.get)
                if st.button(tr("goals.restore"), icon=":material/restore:", key="goals_restore"):
                    try:
                        S.restore_target(db, int(pick), actor=actor)
                        flash("ok", tr("goals.restored"))
                    except S.TargetError as error:
                        report_errors(error, [""])
                    st.rerun()
