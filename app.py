"""retro — the entry point: navigation over pages/, the shared sidebar, nothing else."""

import streamlit as st

from retro.db import DatabaseUnavailable
from retro.ui import (
    ICON,
    checked_for_this_run,
    database,
    gate,
    gate_needed,
    lang,
    share_link,
    sidebar,
    tr,
    unavailable,
)

st.set_page_config(page_title="retro · 运营回顾", page_icon=str(ICON), layout="wide")  # a local file: no icon CDN

lang()
locked = gate_needed()

pages = {
    tr("nav.section.data"): [
        st.Page("pages/home.py", title=tr("nav.home"), icon=":material/dashboard:", default=True),
        st.Page("pages/import_data.py", title=tr("nav.import"), icon=":material/upload_file:", url_path="import_data"),
        st.Page("pages/history.py", title=tr("nav.history"), icon=":material/history:", url_path="history"),
        st.Page("pages/trends.py", title=tr("nav.trends"), icon=":material/trending_up:", url_path="trends"),
        st.Page("pages/metrics.py", title=tr("nav.metrics"), icon=":material/tune:", url_path="metrics"),
    ],
    tr("nav.section.review"): [
        st.Page("pages/goals.py", title=tr("nav.goals"), icon=":material/flag:", url_path="goals"),
        st.Page("pages/review.py", title=tr("nav.review"), icon=":material/forum:", url_path="review"),
        st.Page("pages/meeting.py", title=tr("nav.meeting"), icon=":material/co_present:", url_path="meeting"),
        st.Page("pages/report.py", title=tr("nav.report"), icon=":material/description:", url_path="report"),
    ],
}
page = st.navigation(pages, position="hidden" if locked else "sidebar")
gate()  # with passcodes or company sign-in configured, nothing below runs for someone not let in
db = database()
try:
    with checked_for_this_run(db):
        slot = sidebar(db)
        page.run()
        share_link(slot)
except DatabaseUnavailable as exc:  # the connection broke mid-run: say so; the next click reconnects
    unavailable(exc)
