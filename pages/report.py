"""Report — arrives with its own issue; an honest placeholder until then."""

import streamlit as st

from retro.ui import placeholder, tr

st.title(tr("nav.report"))
st.caption(tr("placeholder.title"))
placeholder("placeholder.report")
