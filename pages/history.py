"""Import history: every import with what it brought in, undo (with confirmation and an automatic
backup first), and backup / restore of the whole database (editors only)."""

import json

import pandas as pd
import streamlit as st

from retro.backup import (
    KEEP_AUTOMATIC,
    BackupError,
    automatic_backups,
    backup_zip,
    backups_dir,
    read_manifest,
    restore_zip,
    undo_import_with_backup,
    zip_manifest,
)
from retro.i18n import reconciliation_text
from retro.ingest import import_history
from retro.ingest.restatements import import_restatements
from retro.ingest.store import import_sheets
from retro.memo import clear_all
from retro.ui import can_edit, database, lang, listed, md, num, restated_frame, tr, warning_text

db = database()
st.title(tr("history.title"))

for key in ("undo_done", "restore_done"):
    done = st.session_state.pop(key, None)
    if done:
        st.success(done, icon=":material/undo:" if key == "undo_done" else ":material/settings_backup_restore:")


def backup_error(failure: BackupError) -> str:
    params = {k: md(", ".join(v) if isinstance(v, list) else v) for k, v in failure.params.items()}
    return tr(f"safety.backup.error.{failure.code}", **params)


def manifest_rows(manifest: dict) -> int:
    return sum(int(v) for v in manifest["tables"].values())


@st.dialog(tr("safety.restore.dialog"))
def confirm_restore(data: bytes, created: str) -> None:
    st.write(tr("safety.restore.confirm", created=created, folder=md(backups_dir(db.path))))
    if st.button(tr("safety.restore.yes"), type="primary", key="restore_yes"):
        try:
            replaced = restore_zip(db.path, data)
        except BackupError as failure:
            st.error(backup_error(failure))
            return
        st.cache_data.clear()  # results cached for the replaced file must not be shown for the restored one
        clear_all()
        st.session_state["restore_done"] = tr("safety.restore.done", path=md(replaced or "—"))
        st.session_state["restore_generation"] = st.session_state.get("restore_generation", 0) + 1
        st.session_state.pop("backup_download", None)
        st.rerun()


def backup_section(*, can_back_up: bool = True) -> None:
    """Back up now (a .zip to download, also kept beside the database) and restore from an uploaded one.

    With nothing imported there is nothing to back up, but a backup can still be restored."""
    if not can_edit():
        return
    st.divider()
    st.subheader(tr("safety.backup.title"))
    folder = backups_dir(db.path)
    st.caption(tr("safety.backup.where", keep=KEEP_AUTOMATIC, folder=md(folder)))
    latest = automatic_backups(folder)
    if latest:
        st.caption(tr("safety.backup.latest", name=md(latest[0].name)))
    left, right = st.columns(2)
    with left:
        if can_back_up and st.button(tr("safety.backup.make"), icon=":material/backup:", key="backup_make"):
            name, data = backup_zip(db)
            st.session_state["backup_download"] = (name, data)
        made = st.session_state.get("backup_download")
        if made:
            name, data = made
            manifest = read_manifest(folder / name.removesuffix(".zip"))
            st.caption(tr("safety.backup.made", tables=len(manifest["tables"]),
                          rows=num(manifest_rows(manifest), compact=False), folder=md(folder)))
            st.download_button(tr("safety.backup.download"), data, file_name=name, mime="application/zip",
                               icon=":material/download:", key="backup_download_button")
    with right:
        generation = st.session_state.get("restore_generation", 0)
        uploaded = st.file_uploader(tr("safety.restore.upload"), type=["zip"], key=f"restore_upload{generation}",
                                    help=tr("safety.restore.upload_help", limit=st.get_option("server.maxUploadSize")))
        if uploaded is not None:
            data = uploaded.getvalue()
            try:
                manifest = zip_manifest(data)
            except BackupError as failure:
                st.error(backup_error(failure), icon=":material/error:")
                return
            created = str(manifest.get("created", "?")).replace("T", " ")
            st.caption(tr("safety.restore.summary", created=created, tables=len(manifest["tables"]),
                          rows=num(manifest_rows(manifest), compact=False)))
            if st.button(tr("safety.restore.button"), icon=":material/settings_backup_restore:", key="restore"):
                confirm_restore(data, created)


history = import_history(db)
if history.empty:
    st.info(tr("history.empty"), icon=":material/history:")
    st.page_link("pages/import_data.py", label=tr("nav.import"), icon=":material/upload_file:")
    backup_section(can_back_up=False)
    st.stop()

view = pd.DataFrame(
    {
        "#": history["id"],
        tr("history.dataset"): history["dataset"],
        tr("history.file"): history["file_name"],
        tr("history.time"): pd.to_datetime(history["imported_at"]).dt.strftime("%Y-%m-%d %H:%M"),
        tr("history.rows"): history["row_count"],
        tr("history.periods"): history["period_min"].fillna("—") + " – " + history["period_max"].fillna("—"),
        tr("history.sample"): history["is_sample"],
        tr("history.replaced"): history["replaced_later"],
        tr("history.reconciled"): history["reconciled"].map(
            lambda r: {"match": "✓ ", "accepted": "⚠ "}.get(r, "") + tr(f"reconciled.{r}") if isinstance(r, str) else "—"),
        # Last: a long list of sheets runs off the right edge at 1366 px, never a header (they are
        # all under "Sheet details" too).
        tr("history.sheets"): history["sheets"].map(listed),
    }
)
st.dataframe(view, hide_index=True, width="stretch", column_config={
    "#": st.column_config.NumberColumn(width=40),
    tr("history.rows"): st.column_config.NumberColumn(width=70),
    tr("history.sample"): st.column_config.CheckboxColumn(width=60),
    tr("history.replaced"): st.column_config.NumberColumn(width=80, help=tr("history.replaced_help")),
})

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
        for r in json.loads(s.reconciliation or "[]"):
            st.caption(("✓ " if r["status"] == "match" else "✗ ") + reconciliation_text(r, lang()))
    restated = import_restatements(db, int(chosen))
    if not restated.empty:
        st.markdown(tr("history.restated", n=num(len(restated), compact=False)))
        st.dataframe(restated_frame(restated), hide_index=True, width="stretch")


@st.dialog(tr("history.undo", id=int(chosen)))
def confirm_undo(import_id: int, file_name: str, rows: int) -> None:
    st.write(tr("history.undo_confirm", file=md(file_name), rows=rows))
    if st.button(tr("history.undo_yes"), type="primary", key="undo_yes"):
        _undone, saved = undo_import_with_backup(db, import_id)
        message = tr("history.undone", id=import_id)
        if saved is not None:
            message += " " + tr("safety.undo.backed_up", path=md(saved))
        st.session_state["undo_done"] = message
        st.rerun()


if can_edit() and st.button(tr("history.undo", id=int(chosen)), icon=":material/undo:", key="undo"):
    confirm_undo(int(chosen), str(row["file_name"]), int(row["row_count"]))

backup_section()
