"""Overview: the meeting's front page. For the active period, in the order the room asks: how the
headline KPIs did against their targets, what changed since last month (and where), which measures
are open or overdue, and what the latest import brought. What the database holds is at the bottom,
folded. The sample banner shows only while the bundled sample is the only data.

The rules (which KPIs are headline, what "overdue" means, which month is compared) are
retro/overview.py's; the numbers come from retro.scoring and retro.metrics, the goals page's own.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from retro import charts
from retro.bootstrap import clear_sample_with_backup, load_sample, sample_import_ids
from retro.ui import active_period, can_edit, database, lang, listed, md, num, tr
from retro.ui import goals as G
from retro.ui import overview as OV

db = database()
L = lang()
PATH = str(db.path)
VERSION = db.data_version()  # reviews and measures: every edit bumps it
NUMBERS = db.numbers_version()  # what was imported and scored: a review edit leaves it (the goals page's key too)
st.title(tr("home.title"))

STATUS_MD = {"green": "green", "amber": "orange", "red": "red"}


def clear_sample_button(where) -> None:
    if can_edit() and where.button(tr("home.clear_sample"), key="clear_sample", type="secondary", width="stretch"):
        _removed, saved = clear_sample_with_backup(db)  # an automatic backup first, as before an undo
        st.toast(tr("home.sample_cleared"))
        if saved is not None:
            st.toast(tr("safety.backup.latest", name=md(saved.name)), icon=":material/backup:")
        st.rerun()


samples = sample_import_ids(db)
own = OV.own_data(PATH, NUMBERS)
if samples and not own:  # "this is sample data" only while it is all there is; its button is in the inventory
    st.info(tr("home.sample_loaded" if can_edit() else "home.sample_viewer"), icon=":material/info:")

summary, months, inventory = OV.holdings(PATH, NUMBERS)
if summary["imports"] == 0:
    st.info(tr("home.empty"), icon=":material/upload_file:")
    c1, c2 = st.columns(2)
    c1.page_link("pages/import_data.py", label=tr("nav.import"), icon=":material/upload_file:")
    if can_edit() and c2.button(tr("home.load_sample"), key="load_sample"):
        load_sample(db)
        st.rerun()
    st.stop()

catalog = {m.name: m for m in G.catalog(PATH, NUMBERS)}


def label_of(metric: str) -> str:
    return md(catalog[metric].label(L)) if metric in catalog else md(metric)


def value_text(value: float | None, metric: str) -> str:
    m = catalog.get(metric)
    return charts.format_value(value, L, m.unit if m else None, m.number_format if m else "auto")


def change_text(change) -> str:
    """MoM as the trends cards say it: a rate in percentage points, anything else in per cent."""
    if change.is_rate and charts.is_percent(change.unit, change.number_format):
        return charts.format_change(change.delta, L, change.unit, change.number_format)
    return charts.format_pct(change.mom)


period = active_period()
if period:
    st.subheader(tr("home.heading", period=period), anchor=False)

    # ------------------------------------------------------------------ goal attainment
    head = OV.headline(PATH, NUMBERS, period)
    top = st.columns([3, 2], vertical_alignment="bottom")
    top[0].markdown(f"##### {tr('home.goals_head')}")
    top[1].page_link("pages/goals.py", label=tr("home.goals_link"), icon=":material/flag:")
    if not head.rows:
        st.info(tr("home.no_targets", period=period), icon=":material/flag:")
    else:
        tiles = st.columns(min(len(head.rows), 3) + 1)
        with tiles[0].container(border=True):
            st.metric(tr("goals.overall"), "—" if head.overall is None else f"{head.overall * 100:.1f}%",
                      help=tr("goals.overall_help"))
            st.caption(tr("home.counts", red=head.counts["red"], amber=head.counts["amber"], green=head.counts["green"]))
        for i, row in enumerate(head.rows):
            where = tiles[1 + i % (len(tiles) - 1)]
            with where.container(border=True):
                colour = STATUS_MD.get(row.status, "gray")
                deviation = None if row.deviation is None else f"{row.deviation * 100:+.1f}%"
                st.metric(f":{colour}[●] {label_of(row.metric)}",
                          "—" if row.attainment is None else f"{row.attainment * 100:.1f}%",
                          delta=deviation, delta_description=tr("home.vs_plan") if deviation else None,
                          delta_color="inverse" if row.direction == "down" else "normal")
                st.caption(f":{colour}[{tr('goals.status.' + row.status)}] · "
                           + tr("home.kpi_caption", actual=md(value_text(row.actual, row.metric)),
                                plan=md(value_text(row.plan, row.metric))))

    # ------------------------------------------------------------------ since last month
    moved = OV.changes(PATH, NUMBERS, period)
    top = st.columns([3, 2], vertical_alignment="bottom")
    top[0].markdown(f"##### {tr('home.changes_head', previous=moved.previous, period=moved.period)}")
    top[1].page_link("pages/trends.py", label=tr("home.trends_link"), icon=":material/trending_up:")
    if not any(c.prev is not None for c in moved.main + moved.movers):
        st.caption(tr("home.no_changes", previous=moved.previous))
    if moved.main:
        cards = st.columns(len(moved.main))
        for col, change in zip(cards, moved.main, strict=True):
            with col.container(border=True):
                st.metric(label_of(change.metric), md(value_text(change.value, change.metric)),
                          delta=None if change.prev is None else md(change_text(change)),
                          delta_description=tr("trends.vs_prev.month") if change.prev is not None else None,
                          delta_color="inverse" if change.direction == "down" else "normal")
    if moved.driver is not None:
        d = moved.driver
        params = {"metric": label_of(d.metric), "dimension": md(d.dimension), "segment": md(d.segment),
                  "change": md(charts.format_change(d.change, L, catalog[d.metric].unit if d.metric in catalog else None))}
        if d.contribution is not None:
            st.markdown(tr("home.driver", share=f"{d.contribution * 100:.0f}%", **params))
        else:
            st.markdown(tr("home.driver_plain", **params))
    if moved.movers:
        tone = {"good": "green", "bad": "red", "flat": "gray"}
        items = [f"{label_of(c.metric)} :{tone[c.tone]}[{'▲' if (c.delta or 0) > 0 else '▼' if (c.delta or 0) < 0 else '·'} "
                 f"{md(change_text(c))}]" for c in moved.movers]
        st.markdown(f"{tr('home.movers')}：" + " · ".join(items) if L == "zh"
                    else f"{tr('home.movers')}: " + " · ".join(items))

    # ------------------------------------------------------------------ measures and the latest import
    left, right = st.columns(2, gap="large")
    with left:
        plate = OV.measures(PATH, VERSION, dt.date.today())
        st.markdown(f"##### {tr('home.measures_head')}")
        if not plate.count:
            st.caption(tr("home.measures_none"))
        else:
            st.markdown(tr("home.measures_counts", open=plate.count, overdue=plate.overdue),
                        help=tr("home.measures_help"))
            shown = plate.open[:5]
            lines = [tr("home.measure_row", flag=f":red[**{tr('home.overdue')}**] · " if m["overdue"] else "",
                        title=md(m["title"]), owner=md(m["owner"]), due=m["due"].isoformat() if m.get("due") else "—",
                        status=tr(f"review.ui.mstatus.{m['status']}")) for m in shown]
            st.markdown("\n".join(f"- {line}" for line in lines))
            if plate.count > len(shown):
                st.caption(tr("home.more_measures", n=plate.count - len(shown)))
        st.page_link("pages/review.py", label=tr("home.review_link"), icon=":material/checklist:")
    with right:
        latest = OV.latest_import(PATH, NUMBERS)
        st.markdown(f"##### {tr('home.import_head')}")
        if latest is not None:
            st.markdown(f"**{md(latest.file_name)}**" + (f" {tr('home.import_sample')}" if latest.is_sample else "")
                        + f" · {tr('home.import_when', when=f'{latest.imported_at:%Y-%m-%d %H:%M}')}")
            st.caption(tr("home.import_detail", sheets=len(latest.sheets), names=listed([md(s) for s in latest.sheets]),
                          values=num(latest.values, compact=False),
                          first=latest.period_min or "—", last=latest.period_max or "—"))
            if latest.reconciled == "match":
                st.markdown(f":green[✓ {tr('reconciled.match')}]")
            elif latest.reconciled == "accepted":
                st.markdown(f":orange[! {tr('reconciled.accepted')}]")
            elif latest.reconciled == "unchecked":
                st.markdown(f":gray[{tr('reconciled.unchecked')}]")
            else:
                st.markdown(f":gray[{tr('home.import_unknown')}]")
        st.page_link("pages/history.py", label=tr("home.history_link"), icon=":material/history:")
else:
    st.info(tr("home.no_period"), icon=":material/calendar_month:")

# ---------------------------------------------------------------------- what the database holds

with st.expander(tr("home.inventory"), icon=":material/database:"):
    cols = st.columns(5)
    cols[0].metric(tr("home.values"), num(summary["facts"], compact=False))
    cols[1].metric(tr("home.metrics"), summary["metrics"])
    cols[2].metric(tr("home.months"), months)
    cols[2].caption(f"{str(summary['period_min'])[:7]} – {str(summary['period_max'])[:7]}" if summary["period_min"] else "—")
    cols[3].metric(tr("home.orders"), num(summary["transactions"], compact=False))
    cols[4].metric(tr("home.customers"), num(summary["customers"], compact=False))

    if not inventory.empty:
        st.markdown(f"**{tr('home.latest')}**")
        view = inventory.assign(
            scenario=inventory["scenario"].map(lambda s: tr(f"scenario.{s}") if s in ("actual", "plan", "forecast") else s),
            unit=inventory["unit"].fillna("—"),
            first_period=inventory["first_period"].astype(str).str[:7],
            last_period=inventory["last_period"].astype(str).str[:7],
        )
        st.dataframe(
            view,
            hide_index=True,
            width="stretch",
            column_config={
                "metric": tr("home.metric"),
                "scenario": tr("import.scenarios"),
                "unit": tr("home.unit"),
                "first_period": tr("home.from"),
                "last_period": tr("home.to"),
                "segments": tr("home.segments"),
                "values_": tr("home.values"),
                "empty_values": tr("home.empty_values"),
            },
        )
    st.caption(tr("home.db_path", path=md(str(db.path))))
    if samples:  # removable from here, with the user's data beside it or not
        clear_sample_button(st)
