"""Metrics — the catalog editor arrives with the metrics issue; an honest placeholder until then."""

import streamlit as st

from retro.ui import placeholder, tr

st.title(tr("nav.metrics"))
st.caption(tr("placeholder.title"))
placeholder("placeholder.trends")
