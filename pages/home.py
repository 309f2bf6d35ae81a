"""Overview: what the database holds, and the bundled sample's banner."""

import streamlit as st

from retro.bootstrap import clear_sample_with_backup, load_sample, sample_import_ids
from retro.ingest import data_summary, metric_inventory
from retro.ui import can_edit, database, md, num, tr

db = database()
st.title(tr("home.title"))
st.caption(tr("app.tagline"))

samples = sample_import_ids(db)
if samples:
    with st.container(border=True):
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.info(tr("home.sample_loaded" if can_edit() else "home.sample_viewer"), icon=":material/info:")
        if can_edit() and right.button(tr("home.clear_sample"), key="clear_sample", type="secondary", width="stretch"):
            _removed, saved = clear_sample_with_backup(db)  # an automatic backup first, as before an undo
            st.toast(tr("home.sample_cleared"))
            if saved is not None:
                st.toast(tr("safety.backup.latest", name=md(saved.name)), icon=":material/backup:")
            st.rerun()

summary = data_summary(db)
if summary["imports"] == 0:
    st.info(tr("home.empty"), icon=":material/upload_file:")
    c1, c2 = st.columns(2)
    c1.page_link("pages/import_data.py", label=tr("nav.import"), icon=":material/upload_file:")
    if can_edit() and c2.button(tr("home.load_sample"), key="load_sample"):
        load_sample(db)
        st.rerun()
    st.stop()

cols = st.columns(5)
cols[0].metric(tr("home.values"), num(summary["facts"], compact=False))
cols[1].metric(tr("home.metrics"), summary["metrics"])
months = db.scalar("SELECT count(DISTINCT date_trunc('month', period)) FROM current_facts")
cols[2].metric(tr("home.months"), months)
cols[2].caption(f"{str(summary['period_min'])[:7]} – {str(summary['period_max'])[:7]}" if summary["period_min"] else "—")
cols[3].metric(tr("home.orders"), num(summary["transactions"], compact=False))
cols[4].metric(tr("home.customers"), num(summary["customers"], compact=False))

inventory = metric_inventory(db)
if not inventory.empty:
    st.subheader(tr("home.latest"))
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
st.caption(md(str(db.path)))
