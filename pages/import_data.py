"""Import: upload → per-sheet preview (layout, column roles, parsed rows, notes, checks) → import."""

import hashlib
from dataclasses import replace

import pandas as pd
import streamlit as st

from retro.i18n import mismatch_text, reconciliation_text
from retro.ingest import (
    FileAnalysis,
    ImportFailure,
    Overrides,
    SheetAnalysis,
    already_imported,
    analyze_workbook,
    overlap,
    store_import,
)
from retro.ingest.analyze import column_frame, preview_frame, reread_sheet
from retro.ingest.detect import ROLES, ColumnSpec, SheetPlan
from retro.ingest.kpis import with_kpi
from retro.ingest.read import column_letters, read_workbook
from retro.ingest.readings import Reading
from retro.ingest.restatements import restated_values
from retro.ingest.roles import other_roles
from retro.ingest.store import dataset_of, imported_sheets
from retro.ui import (
    can_edit,
    database,
    error_text,
    lang,
    listed,
    md,
    num,
    reading_markdown,
    restated_frame,
    tr,
    warning_text,
    who,
)

db = database()
st.title(tr("import.title"))
st.caption(tr("import.intro"))
if not can_edit():
    st.info(tr("import.viewer"), icon=":material/visibility:")
    st.stop()

# A new key after each import empties the uploader, ready for the next file.
generation = st.session_state.get("upload_generation", 0)
# The drop zone's own words ("Drag and drop file here", "Limit 200MB per file", "Upload") are
# Streamlit's, in English, and cannot be set: the help says the same in the page's language.
uploaded = st.file_uploader(tr("import.upload"), type=["xlsx", "xlsm", "xls", "csv"], key=f"upload{generation}",
                            help=tr("import.upload_help", limit=st.get_option("server.maxUploadSize")))

done = st.session_state.pop("import_done", None)
if done:
    st.success(done, icon=":material/check_circle:")
    st.page_link("pages/history.py", label=tr("import.go_history"), icon=":material/history:")

if uploaded is None:
    st.session_state.pop("import_state", None)
    st.stop()

data = uploaded.getvalue()
key = hashlib.sha256(data).hexdigest() + uploaded.name
state = st.session_state.get("import_state")
if state is None or state["key"] != key:
    state = {"key": key, "overrides": {}, "analysis": None, "error": None}
    st.session_state["import_state"] = state
    with st.status(tr("import.reading", name=md(uploaded.name)), expanded=False) as status:
        bar = st.progress(0.0)
        try:
            workbook = read_workbook(data, uploaded.name)

            def on_sheet(i: int, n: int, name: str) -> None:
                bar.progress((i + 1) / max(n, 1), text=f"{tr('import.sheet')}: {name}")

            analysis = analyze_workbook(db, workbook, on_sheet=on_sheet)
            state["analysis"] = analysis
            status.update(
                label=tr("import.read_done", name=md(uploaded.name), sheets=len(analysis.sheets), ready=len(analysis.ready())),
                state="complete",
            )
        except ImportFailure as failure:
            state["error"] = (failure.code, failure.params)
            status.update(state="error")
        except Exception as exc:  # noqa: BLE001 - the session must survive any reader failure
            state["error"] = ("unexpected", {"detail": type(exc).__name__})
            status.update(state="error")

if state["error"]:
    code, params = state["error"]
    st.error(tr("import.failed", error=error_text(code, params)), icon=":material/error:")
    st.stop()

analysis: FileAnalysis = state["analysis"]
done_before = imported_sheets(db, analysis.sha256)
if done_before and all(s.name in done_before for s in analysis.ready()):
    st.info(tr("import.already", id=already_imported(db, analysis.sha256)), icon=":material/info:")
    st.stop()
if analysis.encoding:
    st.caption(tr("import.encoding", encoding=analysis.encoding))

PREVIEW_COLUMNS = ("row", "period", "metric", "scenario", "value", "unit", "date", "customer", "order")
ROLE_LABELS = {role: tr(f"role.{role}") for role in ROLES}
LABEL_ROLES = {label: role for role, label in ROLE_LABELS.items()}
STATUS_ICON = {"ready": ":material/check_circle:", "skipped": ":material/do_not_disturb_on:", "error": ":material/error:"}
# Notes that only say what was left out are shown quietly; the rest need a look.
RESTATED_SHOWN = 1000  # restated_values' limit: beyond it, the largest changes are listed
QUIET = {"totals_row_excluded", "totals_column_excluded", "subtotal_rows_excluded", "note_rows_excluded", "ignored_columns"}
ROLE_ICON = {"measure": ":material/numbers:", "dimension": ":material/category:",
             "ignore": ":material/visibility_off:"}


def read_with(sheet: SheetAnalysis) -> Overrides:
    """What the sheet is read with now: the choices made here, else those remembered with its layout."""
    return state["overrides"].get(sheet.name) or sheet.overrides or Overrides()


def reread(sheet: SheetAnalysis, user: Overrides) -> None:
    """The sheet read again with the user's choices, kept for the import and remembered with its layout."""
    state["overrides"][sheet.name] = user
    reread_sheet(db, analysis, sheet, user)
    st.rerun()


def set_role(sheet: SheetAnalysis, index: int, role: str | None) -> None:
    """One column's role chosen (None: back to what was detected), the other choices kept."""
    user = read_with(sheet)
    roles = {i: r for i, r in user.roles.items() if i != index}
    reread(sheet, replace(user, roles=roles if role is None else {**roles, index: role}))


def mismatch_fix(sheet: SheetAnalysis, fix: dict) -> None:
    """The one-click fix a mismatch's explanation offers: leave a row out, or keep one left out."""
    user = read_with(sheet)
    for key, label in (("skip_rows", "recon.fix_skip"), ("keep_rows", "recon.fix_keep")):
        rows = fix.get(key) or []
        if rows and st.button(tr(label, rows=listed(rows)),
                              key=f"fix::{key}::{sheet.name}", icon=":material/build:"):
            reread(sheet, replace(user, **{key: sorted({*getattr(user, key), *rows})}))


def kpi_button(sheet: SheetAnalysis, reading: Reading) -> None:
    """Beside a metric named like a stored one from another source: the other answer, in one click."""
    metric = reading.params["metric"]
    same = reading.decision == "kpi_new"
    label = tr("import.kpi_same", metric=md(metric)) if same else tr("import.kpi_apart", **{"as": md(reading.params["as"])})
    if st.button(label, key=f"kpi::{sheet.name}::{metric}", icon=":material/merge:" if same else ":material/call_split:"):
        reread(sheet, with_kpi(read_with(sheet), metric, "same" if same else None))


def column_name(column: ColumnSpec) -> str:
    return md(column.header or column_letters(column.index))


def column_detail(plan: SheetPlan, column: ColumnSpec) -> str:
    """What a column is read as, in the catalog's words (never the codes 'plan', 'customer')."""
    period = column.period.replace("????", str(plan.year)) if column.period and plan.year else column.period
    scenario = tr(f"scenario.{column.scenario}") if column.scenario in ("actual", "plan", "forecast") else column.scenario
    kind = tr(f"id_kind.{column.id_kind}") if column.id_kind in ("customer", "order") else column.id_kind
    return " · ".join(str(x) for x in (column.metric, column.unit, scenario, period, kind) if x)


def role_buttons(sheet: SheetAnalysis, column: ColumnSpec, where: str) -> None:
    """Beside a column's reading: one button for each other role that reading leaves open."""
    with st.container(horizontal=True):
        for role in other_roles(column.reading.decision, column.role):
            if st.button(tr(f"import.use_as.{role}", header=column_name(column)), icon=ROLE_ICON[role],
                         key=f"use_as::{where}::{sheet.name}::{column.index}::{role}"):
                set_role(sheet, column.index, role)


def please_check(reading: Reading) -> None:
    st.warning(tr("import.please_check", text=reading_markdown(reading.to_dict())), icon=":material/help:")


def reading_line(reading: Reading) -> str:
    return f"{reading_markdown(reading.to_dict())} *({tr('evidence.' + reading.evidence)})*"


tabs = st.tabs([f"{STATUS_ICON[s.status]} {md(s.name)}" for s in analysis.sheets])
include: dict[str, bool] = {}
accepted: dict[str, bool] = {}  # sheets whose mismatch with their own totals the user confirmed
for tab, sheet in zip(tabs, analysis.sheets, strict=True):
    with tab:
        if sheet.status == "skipped":
            st.caption(tr(f"skip.{sheet.skip_reason}"))
            if sheet.reading is not None:
                st.info(reading_markdown(sheet.reading.to_dict()), icon=":material/filter_alt_off:")
                if sheet.raw is not None and st.button(tr("import.take_in"), key=f"take_in::{sheet.name}",
                                                       icon=":material/add_circle:"):
                    reread(sheet, Overrides(take_in=True))
            continue
        if sheet.name in done_before:
            st.caption(tr("skip.already_imported"))
            continue
        if sheet.error is not None:
            st.warning(error_text(sheet.error.code, sheet.error.params), icon=":material/warning:")
        plan = sheet.plan
        result = sheet.result
        if sheet.remembered:
            st.caption(tr("import.remembered_take_in" if sheet.taken_in else "import.remembered"))
        if plan is not None:
            shape = tr("shape." + plan.shape) if plan.shape else "—"
            year = f" · {tr('import.year_source', source=tr(f'year_source.{plan.year_source}'))} ({plan.year})" \
                if plan.year_source and (plan.yearless or any(c.period and c.period.startswith("????") for c in plan.columns)) else ""
            st.markdown(f"**{tr('import.shape')}:** {shape}{year}")
        if result is not None and sheet.status == "ready":
            c = st.columns(4)
            c[0].metric(tr("import.source_rows"), num(result.source_rows, compact=False))
            c[0].caption(tr("import.values_stored", n=num(result.rows, compact=False)))
            c[1].metric(tr("import.periods"), len(result.periods))
            c[1].caption(f"{result.periods[0]} – {result.periods[-1]}" if result.periods else "—")
            c[2].metric(tr("import.metrics"), len(result.metrics))
            c[3].metric(tr("import.dimensions"), len(result.dimensions))
            if result.notes:
                c[3].caption(tr("import.notes_kept", n=num(len(result.notes), compact=False)))
            st.caption(
                " · ".join(
                    [
                        f"{tr('import.metrics')}: " + listed(md(m) for m in result.metrics[:12]),
                        f"{tr('import.dimensions')}: " + (listed(md(d) for d in result.dimensions) or "—"),
                        f"{tr('import.scenarios')}: " + listed(tr(f"scenario.{s}") if s in ("actual", "plan", "forecast") else md(s) for s in result.scenarios),
                    ]
                )
            )
            include[sheet.name] = st.checkbox(tr("import.include"), value=True, key=f"include::{sheet.name}")
        # Each decision with its evidence; a column's comes with a button for each other role it could
        # have. A column the user gave a role says so instead, with an undo.
        chosen = read_with(sheet).roles if plan is not None else {}
        sheet_readings = sheet.sheet_readings()
        column_readings = [(c, r) for c, r in sheet.column_readings() if c.index not in chosen]
        for r in sheet_readings:
            if r.weak:
                please_check(r)
            if r.decision in ("kpi_new", "kpi_same"):
                kpi_button(sheet, r)
        for c, r in column_readings:
            if r.weak:
                please_check(r)
                role_buttons(sheet, c, "check")
        for c in plan.columns if plan is not None else []:
            if c.index in chosen:
                said = "import.role_remembered" if sheet.remembered else "import.role_set"
                with st.container(horizontal=True, vertical_alignment="center"):
                    role = ROLE_LABELS[chosen[c.index]]
                    st.caption(tr(said, header=column_name(c), role=role), width="content")
                    if st.button(tr("import.role_undo"), key=f"undo_role::{sheet.name}::{c.index}",
                                 icon=":material/undo:", type="tertiary"):
                        set_role(sheet, c.index, None)
        if sheet_readings or column_readings:
            n = len(sheet_readings) + len(column_readings)
            with st.expander(tr("import.readings", n=n), expanded=False):
                if sheet_readings:
                    st.markdown("\n".join(f"- {reading_line(r)}" for r in sheet_readings))
                for c, r in column_readings:
                    st.markdown(f"- {reading_line(r)}")
                    role_buttons(sheet, c, "list")

        if plan is not None:
            with st.expander(tr("import.columns"), expanded=sheet.status == "error"), st.form(key=f"roles::{sheet.name}"):
                cols = column_frame(sheet)
                cols["role"] = cols["role"].map(ROLE_LABELS)
                cols["detail"] = [column_detail(plan, c) for c in plan.columns]
                edited = st.data_editor(
                    cols,
                    hide_index=True,
                    width="stretch",
                    disabled=["index", "column", "header", "detail", "samples"],
                    column_order=["column", "header", "role", "detail", "samples"],
                    column_config={
                        "column": st.column_config.TextColumn(tr("import.column"), width="small"),
                        "header": tr("import.header"),
                        "role": st.column_config.SelectboxColumn(
                            tr("import.role"), options=list(ROLE_LABELS.values()), required=True
                        ),
                        "detail": tr("import.detail"),
                        "samples": tr("import.sample_values"),
                    },
                    key=f"editor::{sheet.name}",
                )
                a, b, c3 = st.columns(3)
                year = a.number_input(tr("import.year"), min_value=1990, max_value=2100, value=plan.year or 2026, step=1)
                period = b.text_input(tr("import.period"), value=plan.period or "", help=tr("import.period_help"))
                metric_name = c3.text_input(tr("import.metric_name"), value=plan.metric_name or "",
                                            disabled=plan.shape != "wide_period")
                if st.form_submit_button(tr("import.apply"), icon=":material/refresh:"):
                    roles = {int(r["index"]): LABEL_ROLES[r["role"]] for _, r in edited.iterrows()}
                    detected = {c.index: c.role for c in plan.columns}
                    changed = {i: role for i, role in roles.items() if detected.get(i) != role}
                    previous = read_with(sheet)  # a helper taken in stays taken in
                    reread(sheet, replace(
                        previous,
                        roles={**previous.roles, **changed},
                        year=int(year) if int(year) != plan.year or plan.year_source in ("user", "assumed") else None,
                        period=period.strip() or None,
                        metric_name=metric_name.strip() or None if plan.shape == "wide_period" else None,
                    ))

        if result is None:
            continue
        for w in result.warnings:
            if w.code not in QUIET:
                st.warning(warning_text(w.code, w.params), icon=":material/warning:")
        quiet = [warning_text(w.code, w.params) for w in result.warnings if w.code in QUIET]
        if quiet:
            st.info("\n".join(f"- {q}" for q in quiet), icon=":material/info:")
        if result.reconciliation:
            bad = [r for r in result.reconciliation if r["status"] != "match"]
            n = len(result.reconciliation)
            if bad:
                st.error(tr("recon.summary_bad", bad=len(bad), n=n) + "\n\n" + mismatch_text(result.mismatch, lang()),
                         icon=":material/rule:")
                mismatch_fix(sheet, (result.mismatch or {}).get("fix") or {})
                accepted[sheet.name] = st.checkbox(tr("recon.accept", sheet=md(sheet.name)), key=f"accept::{sheet.name}")
            else:
                st.success(tr("recon.summary_ok", n=n), icon=":material/task_alt:")
            with st.expander(tr("import.reconciliation"), expanded=bool(bad)):
                for r in result.reconciliation:
                    st.text(("✓ " if r["status"] == "match" else "✗ ") + reconciliation_text(r, lang()))
        frame = preview_frame(sheet)
        if not frame.empty:
            if "unit" in frame:
                frame["unit"] = frame["unit"].fillna("")
            if "scenario" in frame:
                frame["scenario"] = frame["scenario"].map(lambda v: tr(f"scenario.{v}") if v in ("actual", "plan", "forecast") else v)
            frame = frame.rename(columns={k: tr(f"preview.{k}") for k in PREVIEW_COLUMNS if k in frame})
            st.markdown(f"**{tr('import.preview', n=len(frame))}**")
            st.dataframe(frame, hide_index=True, width="stretch")

chosen = [s for s in analysis.ready() if include.get(s.name, True) and s.name not in done_before]
# A sheet that differs from its own totals goes in only once it is fixed or confirmed (a wrong number is worse than none).
unconfirmed = [s.name for s in chosen if s.result is not None and s.result.reconciled == "mismatch" and not accepted.get(s.name)]
if not chosen:
    st.info(tr("import.nothing"), icon=":material/block:")
    st.stop()

to_store = FileAnalysis(analysis.file_name, analysis.sha256, analysis.size, analysis.kind, chosen, analysis.encoding)
clash = overlap(db, to_store)
mode = "replace"
if not clash.empty:
    st.warning(
        tr(
            "import.overlap",
            values=int(clash["values_"].sum()),
            files=listed(md(f) for f in clash["file_name"]),
            first=str(pd.to_datetime(clash["first_period"]).min().date())[:7],
            last=str(pd.to_datetime(clash["last_period"]).max().date())[:7],
        ),
        icon=":material/content_copy:",
    )
    mode = st.radio(
        tr("import.mode"),
        ["replace", "keep"],
        format_func=lambda m: tr(f"import.mode.{m}"),
        horizontal=True,
        key="import_mode",
    )

# compared once per reading of the chosen sheets, not on every rerun of the page
restated_key = tuple(id(s.result) for s in chosen)
if state.get("restated_key") != restated_key:
    state["restated_key"], state["restated"] = restated_key, restated_values(db, to_store)
restated = state["restated"]
if not restated.empty:
    shown = len(restated)
    st.warning(tr("import.restated", n=num(shown, compact=False))
               + (" " + tr("import.restated_more", shown=shown) if shown >= RESTATED_SHOWN else ""), icon=":material/history_edu:")
    with st.expander(tr("import.restated_list", n=num(shown, compact=False)), expanded=shown <= 12):
        st.dataframe(restated_frame(restated), hide_index=True, width="stretch")
dataset = st.text_input(tr("import.dataset"), value=dataset_of(db, to_store), help=tr("import.dataset_help"),
                        key=f"dataset::{analysis.sha256}", max_chars=80)
if unconfirmed:
    st.warning(tr("recon.gate", sheets=listed(f"“{md(n)}”" for n in unconfirmed)), icon=":material/rule:")
if st.button(tr("import.button", n=len(chosen)), type="primary", icon=":material/download:", key="do_import",
             disabled=bool(unconfirmed)):
    try:
        with st.spinner(tr("import.importing")):
            stored = store_import(db, to_store, mode=mode, actor=who(), remember=state["overrides"], dataset=dataset)
    except Exception as exc:  # noqa: BLE001 - one transaction: nothing was stored, say so
        st.error(tr("import.failed", error=error_text("unexpected", {"detail": type(exc).__name__})))
        st.stop()
    if stored.status == "already_imported":
        st.session_state["import_done"] = tr("import.already", id=stored.import_id)
    else:
        periods = sorted({p for s in chosen for p in s.result.periods})
        message = tr("import.done", rows=num(stored.rows, compact=False), periods=f"{periods[0]} – {periods[-1]}" if periods else "—")
        if stored.replaced:
            message += " " + tr("import.done_replaced", n=stored.replaced)
        if stored.repeated:
            message += " " + tr("import.done_repeated", n=stored.repeated)
        st.session_state["import_done"] = message
    st.session_state.pop("import_state", None)
    st.session_state["upload_generation"] = st.session_state.get("upload_generation", 0) + 1
    st.rerun()
