"""Import history: every import with what it brought in, and undo (with confirmation)."""

import json

import pandas as pd
import streamlit as st

from retro.ingest import import_history, undo_import
from retro.ingest.store import import_sheets
from retro.ui import can_edit, database, md, tr, warning_text

db = database()
st.title(tr("history.title"))

done = st.session_state.pop("undo_done", None)
if done:
    st.success(done, icon=":material/undo:")

history = import_history(db)
if history.empty:
    st.info(tr("history.empty"), icon=":material/history:")
    st.page_link("pages/import_data.py", label=tr("nav.import"), icon=":material/upload_file:")
    st.stop()

view = pd.DataFrame(
    {
        "#": history["id"],
        tr("history.file"): history["file_name"],
        tr("history.time"): pd.to_datetime(history["imported_at"]).dt.strftime("%Y-%m-%d %H:%M"),
        tr("history.sheets"): history["sheets"].map(lambda s: "、".join(s)),
        tr("history.rows"): history["row_count"],
        tr("history.periods"): history["period_min"].fillna("—") + " – " + history["period_max"].fillna("—"),
        tr("history.sample"): history["is_sample"],
        tr("history.replaced"): history["replaced_later"],
    }
)
st.dataframe(view, hide_index=True, width="stretch")

ids = history["id"].tolist()
labels = {int(r.id): f"#{r.id} · {r.file_name} · {pd.to_datetime(r.imported_at):%Y-%m-%d %H:%M}" for r in history.itertuples()}
chosen = st.selectbox(tr("history.undo_pick"), ids, format_func=lambda i: labels[int(i)], key="history_pick")
row = history[history["id"] == chosen].iloc[0]

with st.expander(tr("history.details"), expanded=False):
    sheets = import_sheets(db, int(chosen))
    for s in sheets.itertuples():
        st.markdown(f"**{md(s.sheet_name)}** · {tr('shape.' + s.shape)} · {s.row_count} · "
                    f"{(s.periods[0] + ' – ' + s.periods[-1]) if len(s.periods) else '—'}")
        for w in json.loads(s.warnings):
            st.caption(warning_text(w["code"], w["params"]))


@st.dialog(tr("history.undo", id=int(chosen)))
def confirm_undo(import_id: int, file_name: str, rows: int) -> None:
    st.write(tr("history.undo_confirm", file=md(file_name), rows=rows))
    if st.button(tr("history.undo_yes"), type="primary", key="undo_yes"):
        undo_import(db, import_id)
        st.session_state["undo_done"] = tr("history.undone", id=import_id)
        st.rerun()


if can_edit() and st.button(tr("history.undo", id=int(chosen)), icon=":material/undo:", key="undo"):
    confirm_undo(int(chosen), str(row["file_name"]), int(row["row_count"]))
