"""Review — arrives with its own issue; an honest placeholder until then."""

import streamlit as st

from retro.ui import placeholder, tr

st.title(tr("nav.review"))
st.caption(tr("placeholder.title"))
placeholder("placeholder.review")
