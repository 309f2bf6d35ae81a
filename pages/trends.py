"""Trends: one metric over time, and why it moved.

KPI cards → the line (actual, last year, plan, anomalies, notes) → the breakdown that names the
segment behind the change and says whether it is seasonal → anomalies → retention cohorts →
notes → the data. Every control lives in the URL, so a copied link opens the same view.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from retro import export
from retro import likeforlike as L4L
from retro import metrics as M
from retro.i18n import t
from retro.ui import active_period, can_edit, database, default_metric, lang, md, who
from retro.ui import trends as V

db = database()
L = lang()


def tr(key: str, **params) -> str:  # the language read once a run: each read of it is a session-state look-up
    return t(key, L, **params)


PATH = str(db.path)
st.title(tr("nav.trends"))

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


def fmt(value, m: M.Metric) -> str:
    return V.fmt(value, m, L)


def applicable(filters: dict[str, list[str]], metric: str) -> tuple:
    """The filters on dimensions ``metric`` has (a filter on 渠道 means nothing to a metric without 渠道)."""
    if not any(filters.values()):
        return ()  # nothing to check: no scan for each card's metric's dimensions
    dims = set(V.dimensions(PATH, version, metric))
    return tuple(sorted((d, tuple(v)) for d, v in filters.items() if v and d in dims))


def data_table(frame: pd.DataFrame, name: str, key: str, column_config: dict | None = None) -> None:
    """A table and its downloads: CSV that Excel opens in Chinese, and .xlsx."""
    st.dataframe(frame, hide_index=True, width="stretch", column_config=column_config)
    a, b, _ = st.columns([1, 1, 4])
    a.download_button(tr("trends.download_csv"), data=lambda: export.csv_bytes(frame), file_name=f"{name}.csv",
                      mime="text/csv", icon=":material/download:", key=f"{key}_csv", on_click="ignore")
    b.download_button(tr("trends.download_xlsx"), data=lambda: export.xlsx_bytes(frame, name), file_name=f"{name}.xlsx",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      icon=":material/table_view:", key=f"{key}_xlsx", on_click="ignore")


# --------------------------------------------------------------------------- what there is

version = db.numbers_version()  # a review or problem edit changes no series
catalog = V.catalog(PATH, version)
version = db.numbers_version()  # the catalog may just have registered a new metric
if not catalog:
    st.info(tr("trends.no_metrics"), icon=":material/upload_file:")
    st.page_link("pages/import_data.py", label=tr("nav.import"), icon=":material/upload_file:")
    st.stop()
by_name = {m.name: m for m in catalog}
names = [m.name for m in catalog]

# --------------------------------------------------------------------------- controls

row1 = st.columns([3, 2.4, 2, 2], vertical_alignment="bottom")
settle("trends_metric", "metric", names, default_metric(db, names))  # the latest import's main metric
metric = row1[0].selectbox(tr("trends.metric"), names, format_func={n: by_name[n].label(L) for n in names}.get, key="trends_metric")
m = by_name[metric]
label = m.label(L)

settle("trends_grain", "grain", list(M.GRAINS), "month")
grain = row1[1].segmented_control(tr("trends.grain"), M.GRAINS, format_func={g: tr(f"grain.{g}") for g in M.GRAINS}.get,
                                  required=True, key="trends_grain")

dims = V.dimensions(PATH, version, metric)
overall = V.dimensions(PATH, version, None)
default_by = next((d for d in overall if d in dims), dims[0] if dims else "")
settle("trends_by", "by", ["", *dims], default_by)
by = row1[2].selectbox(tr("trends.by"), ["", *dims], format_func={"": tr("trends.by_none"), **{d: d for d in dims}}.get, key="trends_by") or None

settle("trends_cmp", "cmp", ["mom", "yoy"], "mom")
compare = row1[3].segmented_control(tr("trends.compare"), ("mom", "yoy"), format_func={c: tr(f"trends.cmp.{c}") for c in ("mom", "yoy")}.get,
                                    required=True, key="trends_cmp")

# The filters as the session holds them (the boxes are drawn further down, with these values).
filter_values = {dim: V.dimension_values(PATH, version, dim) for dim in dims}
for dim, values in filter_values.items():  # before the expander's label counts them: a shared link's filters too
    key = f"trends_f_{dim}"
    if key not in st.session_state:
        raw = arrival(f"f_{dim}") or []
        chosen = [v for r in raw for v in ([r] if r in values else r.split(","))]
        st.session_state[key] = [v for v in dict.fromkeys(chosen) if v in values]
    else:
        st.session_state[key] = [v for v in st.session_state[key] if v in values]
held = {dim: st.session_state[f"trends_f_{dim}"] for dim in dims}
# Every series this view reads, in one query before the first read (the periods on offer read the
# metric's unfiltered actual and plan): read one by one, each cost more in its fixed parts than in its work.
cards = M.key_metrics(metric, catalog, V.together(PATH, version, metric))
V.prefetch(PATH, version, [*V.view_series(metric, grain, by, applicable(held, metric),
                                          [(name, applicable(held, name)) for name in cards]),
                           (metric, grain, "actual", None, ()), (metric, grain, "plan", None, ())])

options, last_actual = V.period_options(PATH, version, metric, grain)
row2 = st.columns([5, 2, 2], vertical_alignment="bottom")
if options:
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
        filters[dim] = columns[i % len(columns)].multiselect(md(dim), filter_values[dim], key=f"trends_f_{dim}",
                                                             placeholder=tr("trends.all"), select_all=False)  # empty is all

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
line = V.trend_view(PATH, version, metric, grain, fkey, tuple(periods), period, plabel, z_limit, momt, show_last_year,
                   big, L)
has_values = line["has_values"]
partial_now = line["partial_now"]

st.caption(tr("trends.period_note", period=plabel, grain=tr(f"grain.{grain}").lower()))

# --------------------------------------------------------------------------- KPI cards

SPAN = {"month": 1, "quarter": 3, "year": 12}[grain]
# On a projector the numbers need the room: two cards a row.
card_columns = st.columns(len(cards)) if not big else [c for _ in range(0, len(cards), 2) for c in st.columns(2)]
for col, name in zip(card_columns, cards, strict=False):
    km = by_name[name]
    shown = V.card(PATH, version, name, grain, applicable(filters, name), period, chosen_month)
    card, partial_months, spark = shown["card"], shown["partial"], shown["spark"]
    with col.container(border=True):
        if partial_months is not None:
            delta = None  # a quarter with one month against a full one is not a change
        elif V.rate_like(km) and card.value_mom is not None and card.prev is not None:
            delta = f"{(card.value_mom - card.prev) * 100:+.1f}" + ("个百分点" if L == "zh" else " pp")
        else:
            delta = None if card.mom is None else f"{card.mom * 100:+.1f}%"
        st.metric(
            md(km.label(L)) + (" ★" if name == metric else ""),
            md(fmt(card.value, km)),
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
            lines.append(f"{tr('trends.cmp.yoy')} " + (f":{color}[{arrow} {md(V.pct(card.yoy))}]" if card.yoy is not None else "—"))
        ytd, ytd_ly = shown["ytd"], shown["ytd_ly"]
        # Against last year's year to date like for like: the months and segments both years hold.
        ytd_change = L4L.change(shown["ytd_compared"], ytd_ly)
        lines.append(f"{tr('trends.ytd_avg' if km.is_rate else 'trends.ytd')} **{md(fmt(ytd, km))}**"
                     + (f" ({tr('trends.cmp.yoy')} {md(V.pct(ytd_change))})" if ytd_change is not None else ""))
        st.markdown("  \n".join(lines))
        if card.value is None:
            st.caption(tr("trends.card_no_value", period=plabel))
        elif partial_months is not None:
            st.caption(tr("trends.partial_card", months=partial_months, span=SPAN))
        if km.category == "retention" and km.source == "facts" and M.TX_CUSTOMERS in by_name:
            st.caption(tr("cohort.kpi_note"))  # the workbook's figure, not the cohorts below (5–15% beside 88%)
        cover = next((c for c in (card.mom_cover, card.yoy_cover) if L4L.noted(c)), None)
        if cover is not None and card.value is not None:  # the changes compare what both periods hold
            st.caption(md(tr("cover.changes", what=L4L.coverage_text(cover, L))))

# --------------------------------------------------------------------------- the line

st.subheader(tr("trends.over_time", metric=md(label)))
if has_values == 0:
    st.info(tr("trends.empty_filtered" if fkey else "trends.empty_metric", metric=md(label)), icon=":material/search_off:")
elif line["drawn"] == 0:
    st.info(tr("trends.empty_range", first=first, last=last), icon=":material/search_off:")
else:
    V.show_spec(line["spec"])
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
        st.markdown(tr(f"trends.season.{total_season['verdict']}", what=md(label), mom=V.pct(total_season["mom"]),
                       ly_mom=V.pct(total_season["ly_mom"]), yoy=V.pct(total_season["yoy"]), period=plabel))

    # A table and its downloads are built only while their expander is open: most reruns never show them.
    with st.expander(tr("trends.data_table"), icon=":material/table:", key="trends_table_open",
                     on_change="rerun") as box:
        if box.open:
            data_table(V.series_table(PATH, version, metric, grain, by, fkey, first, last, L), f"{metric}_{grain}",
                       "dl_series", column_config={
                           tr("trends.cmp.mom"): st.column_config.NumberColumn(format="percent"),
                           tr("trends.cmp.yoy"): st.column_config.NumberColumn(format="percent"),
                           tr("trends.col.value"): st.column_config.NumberColumn(format="percent" if V.rate_like(m) else "localized"),
                       })

# --------------------------------------------------------------------------- breakdown

st.subheader(tr("trends.breakdown_title", period=plabel))
if not by:
    st.info(tr("trends.pick_breakdown"), icon=":material/call_split:")
else:
    split = V.breakdown_view(PATH, version, metric, grain, by, fkey, compare, period, plabel, partial_now, tuple(periods),
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
            V.show_spec(split["breakdown_spec"])
        if right is not None:
            with right:
                st.markdown(f"**{tr('trends.change_contribution', cmp=cmp_word)}**")
                V.show_spec(split["change_spec"])
        elif partial_now is None:
            st.caption(tr("trends.no_comparison", cmp=cmp_word))

        a, b = st.columns(2)
        for column, title, lines in ((a, "trends.movers_up", split["up"]), (b, "trends.movers_down", split["down"])):
            column.markdown("  \n".join([f"**{tr(title)}**", *lines]))  # one element a side: a line each
            if not lines:
                column.caption("—" if partial_now is None else tr("trends.partial_short"))

        st.markdown(f"**{tr('trends.segments_over_time', dim=md(by))}**")
        V.show_spec(split["segment_spec"])

        with st.expander(tr("trends.breakdown_table"), icon=":material/table:", key="trends_breakdown_open",
                         on_change="rerun") as box:
            if box.open:
                data_table(V.breakdown_table(split["frame"], by, compare, L), f"{metric}_{by}_{plabel}", "dl_breakdown", column_config={
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
found = V.anomaly_table(PATH, version, metric, grain, by, fkey, z_limit, momt, tuple(periods), L)
if found is None:
    st.caption(tr("trends.no_anomalies", first=first, last=last))
else:
    st.dataframe(found, hide_index=True, width="stretch")

# --------------------------------------------------------------------------- retention

tx_customers = by_name.get(M.TX_CUSTOMERS)
if tx_customers is not None and tx_customers.source == "transactions":
    # Drawn only while the box is open (two of the page's six charts, a table, its downloads): closed,
    # as it is for most metrics, they were sent and embedded again on every click. A metric about
    # customers (retention, growth) opens it when picked, as the box's default did before.
    if st.session_state.get("trends_retention_for") != metric:
        st.session_state["trends_retention_for"] = metric
        st.session_state["trends_retention_open"] = m.category in ("retention", "growth")
    with st.expander(tr("trends.retention"), icon=":material/group:", key="trends_retention_open",
                     on_change="rerun") as box:
        cohort = V.cohort_view(PATH, version, applicable(filters, M.TX_CUSTOMERS), grain, first, last, big, L) if box.open else None
        if box.open and cohort is None:
            st.info(tr("trends.retention_empty"), icon=":material/search_off:")
        elif cohort is not None:
            V.show_spec(cohort["cohort_spec"])
            st.caption(tr("cohort.measures"))  # not the 留存率 a workbook reports: say what this one is
            if cohort["trend_spec"] is not None:
                st.markdown(f"**{tr('trends.retention_trend')}**")
                V.show_spec(cohort["trend_spec"])
            with st.popover(tr("trends.data_table"), icon=":material/table:"):
                data_table(cohort["table"], "cohorts", "dl_cohorts",
                           column_config={tr("charts.retention"): st.column_config.NumberColumn(format="percent")})

# --------------------------------------------------------------------------- notes

st.subheader(tr("trends.notes"))
notes = V.notes(PATH, version, metric)
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
