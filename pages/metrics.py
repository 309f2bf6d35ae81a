"""Metrics: the catalog editor (names in 中文 and English, unit, aggregation, direction, category,
format, hidden), merging two names of one KPI, and derived metrics (ratio, difference, growth).

Each metric says where its direction and aggregation came from (the word of its name, its unit, the
heading its rows sit under, or the user); metrics no data has any more are not edited here, only
named, with the note that the user's settings on them are kept."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from retro import metrics as M
from retro.ui import can_edit, database, lang, md, tr

db = database()
st.title(tr("nav.metrics"))
st.caption(tr("metrics.intro"))

for kind, text in st.session_state.pop("metrics_flash", []):
    (st.success if kind == "ok" else st.error)(text, icon=":material/check_circle:" if kind == "ok" else ":material/error:")

catalog = M.catalog(db, include_hidden=True, include_merged=True)
stored = [m for m in catalog if m.source != "derived" and not m.merged_into and m.present]
absent = [m for m in M.catalog(db, include_hidden=True, include_merged=True, include_absent=True)
          if not m.present and m.source != "derived"]
if not stored:
    st.info(tr("trends.no_metrics"), icon=":material/upload_file:")
    st.page_link("pages/import_data.py", label=tr("nav.import"), icon=":material/upload_file:")
    st.stop()
label = {m.name: m.label(lang()) for m in catalog}
# Display names as dicts made in this run (AppTest calls format functions outside the run).
AGG = {v: tr(f"metrics.agg.{v}") for v in M.AGGREGATIONS}
DIRECTION = {v: tr(f"metrics.dir.{v}") for v in M.DIRECTIONS}
CATEGORY = {v: tr(f"metrics.cat.{v}") for v in M.CATEGORIES}
FORMAT = {v: tr(f"metrics.fmt.{v}") for v in M.NUMBER_FORMATS}
KIND = {v: tr(f"metrics.kind.{v}") for v in M.DERIVED_KINDS}
EDITABLE = ("label_zh", "label_en", "unit", "aggregation", "direction", "category", "number_format", "hidden")


def why(m: M.Metric) -> str:
    """Where the direction and the aggregation came from, as one line (a derived metric's are its definition's)."""
    if m.source == "derived":
        return ""
    parts = []
    for field, value in (("direction", DIRECTION[m.direction]), ("aggregation", AGG[m.aggregation])):
        reason = m.why(field)
        code = f"default_{field}" if reason.code == "default" else reason.code
        parts.append(tr(f"metrics.why.{code}", value=value, word=reason.word or "", where=reason.where or ""))
    return ("；" if lang() == "zh" else "; ").join(parts)


def flash(kind: str, text: str) -> None:
    st.session_state.setdefault("metrics_flash", []).append((kind, text))


def clean(value: object) -> object:
    """An editor cell as update_metric takes it: blank text is None."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return value.strip() or None
    return bool(value) if isinstance(value, bool) else value


# --------------------------------------------------------------------------- the catalog

st.subheader(tr("metrics.catalog"))
if not can_edit():
    st.info(tr("gate.read_only"), icon=":material/visibility:")
    st.dataframe(pd.DataFrame([{"name": m.name, "label_zh": m.label_zh, "label_en": m.label_en, "unit": m.unit,
                                "aggregation": m.aggregation, "direction": m.direction, "category": m.category,
                                "why": why(m)}
                               for m in M.catalog(db)]), hide_index=True, width="stretch")
    st.stop()
table = pd.DataFrame([
    {"name": m.name, "label_zh": m.label_zh or "", "label_en": m.label_en or "", "unit": m.unit or "",
     "aggregation": m.aggregation, "direction": m.direction, "category": m.category,
     "number_format": m.number_format, "hidden": bool(m.hidden), "source": tr(f"metrics.src.{m.source}"),
     "why": why(m)}
    for m in stored
])
generation = st.session_state.get("metrics_generation", 0)
with st.form("metrics_catalog", border=False):
    edited = st.data_editor(
        table,
        key=f"metrics_editor_{generation}",
        hide_index=True,
        width="stretch",
        height=min(35 * (len(table) + 1) + 12, 760),
        num_rows="fixed",
        disabled=["name", "source", "why"],
        # Widths in pixels that hold each header with its edit and help icons in both languages, and a
        # name like "Commission rate" whole (at 1366 px "small" clipped both); the table scrolls sideways.
        column_config={
            "name": st.column_config.TextColumn(tr("metrics.col.name"), pinned=True, width=150),
            "label_zh": st.column_config.TextColumn(tr("metrics.col.label_zh"), max_chars=60, width=120),
            "label_en": st.column_config.TextColumn(tr("metrics.col.label_en"), max_chars=60, width=170),
            "unit": st.column_config.TextColumn(tr("metrics.col.unit"), max_chars=12, width=70),
            "aggregation": st.column_config.SelectboxColumn(
                tr("metrics.col.aggregation"), options=M.AGGREGATIONS, required=True, width=140,
                format_func=AGG.get, help=tr("metrics.help.aggregation")),
            "direction": st.column_config.SelectboxColumn(
                tr("metrics.col.direction"), options=M.DIRECTIONS, required=True, width=140,
                format_func=DIRECTION.get, help=tr("metrics.help.direction")),
            "category": st.column_config.SelectboxColumn(
                tr("metrics.col.category"), options=M.CATEGORIES, required=True, width=115,
                format_func=CATEGORY.get),
            "number_format": st.column_config.SelectboxColumn(
                tr("metrics.col.number_format"), options=M.NUMBER_FORMATS, required=True, width=135,
                format_func=FORMAT.get),
            "hidden": st.column_config.CheckboxColumn(tr("metrics.col.hidden"), width=90),
            "source": st.column_config.TextColumn(tr("metrics.col.source"), width=115),
            "why": st.column_config.TextColumn(tr("metrics.col.why"), help=tr("metrics.help.why"), width=360),
        },
    )
    save = st.form_submit_button(tr("metrics.save"), type="primary", icon=":material/save:")
if absent:
    st.caption(tr("metrics.absent", names=[md(m.label(lang())) for m in absent]))

if save:
    saved, failed = 0, []
    for (_, before), (_, after) in zip(table.iterrows(), edited.iterrows(), strict=True):
        for field in EDITABLE:
            old, new = clean(before[field]), clean(after[field])
            if old == new:
                continue
            try:
                M.update_metric(db, before["name"], **{field: bool(new) if field == "hidden" else new})
                saved += 1
            except KeyError:
                failed.append(tr("metrics.save_failed", metric=md(before["name"]), field=tr(f"metrics.col.{field}"),
                                 error=tr("metrics.err.unknown")))
            except ValueError:
                failed.append(tr("metrics.save_failed", metric=md(before["name"]), field=tr(f"metrics.col.{field}"),
                                 error=tr("metrics.err.value")))
    if saved:
        flash("ok", tr("metrics.saved", n=saved))
    for text in failed:
        flash("error", text)
    if not saved and not failed:
        flash("ok", tr("metrics.nothing_changed"))
    st.session_state["metrics_generation"] = generation + 1  # a fresh editor shows what is stored now
    st.rerun()

# --------------------------------------------------------------------------- merge

st.subheader(tr("metrics.merge"))
st.caption(tr("metrics.merge_help"))
mergeable = [m.name for m in stored if m.source == "facts"]
with st.form("metrics_merge"):
    a, b = st.columns(2)
    source = a.selectbox(tr("metrics.merge_source"), mergeable, index=None, format_func=label.get, key="merge_source",
                         placeholder=tr("metrics.pick"))
    target = b.selectbox(tr("metrics.merge_target"), mergeable, index=None, format_func=label.get, key="merge_target",
                         placeholder=tr("metrics.pick"))
    if st.form_submit_button(tr("metrics.merge_button"), icon=":material/merge:"):
        if not source or not target or source == target:
            st.error(tr("metrics.merge_same"), icon=":material/error:")
        else:
            try:
                M.merge_metrics(db, source, target)
            except (KeyError, ValueError) as exc:
                st.error(tr("metrics.merge_failed", error=md(exc)), icon=":material/error:")
            else:
                flash("ok", tr("metrics.merged", source=md(label[source]), target=md(label[target])))
                st.rerun()

st.markdown(f"**{tr('metrics.merged_list')}**")
merged = [m for m in catalog if m.merged_into]
if not merged:
    st.caption(tr("metrics.no_merged"))
for m in merged:
    a, b = st.columns([5, 1], vertical_alignment="center")
    a.markdown(tr("metrics.merged_row", source=md(label[m.name]), target=md(label.get(m.merged_into, m.merged_into))))
    if b.button(tr("metrics.unmerge"), key=f"unmerge_{m.name}", icon=":material/call_split:", type="tertiary"):
        M.unmerge_metric(db, m.name)
        flash("ok", tr("metrics.unmerged", source=md(label[m.name])))
        st.rerun()

# --------------------------------------------------------------------------- derived metrics

st.subheader(tr("metrics.derived"))
st.caption(tr("metrics.derived_help"))
parts = [m.name for m in stored]
known = {m.name for m in catalog}
form_generation = st.session_state.get("derived_generation", 0)
with st.form(f"metrics_derived_{form_generation}"):
    a, b, c = st.columns([2, 2, 1])
    name = a.text_input(tr("metrics.derived_name"), max_chars=60, key=f"derived_name_{form_generation}")
    kind = b.selectbox(tr("metrics.derived_kind"), M.DERIVED_KINDS, format_func=KIND.get,
                       key=f"derived_kind_{form_generation}")
    unit = c.text_input(tr("metrics.derived_unit"), max_chars=12, key=f"derived_unit_{form_generation}")
    a, b = st.columns(2)
    first = a.selectbox(tr("metrics.derived_first"), parts, format_func=label.get, key=f"derived_first_{form_generation}")
    second = b.selectbox(tr("metrics.derived_second"), ["", *parts], format_func={"": tr("metrics.derived_none"), **label}.get,
                         key=f"derived_second_{form_generation}")
    a, b = st.columns(2)
    direction = a.selectbox(tr("metrics.col.direction"), M.DIRECTIONS, format_func=DIRECTION.get,
                            key=f"derived_direction_{form_generation}")
    category = b.selectbox(tr("metrics.col.category"), M.CATEGORIES, format_func=CATEGORY.get,
                           key=f"derived_category_{form_generation}")
    if st.form_submit_button(tr("metrics.derived_add"), icon=":material/functions:"):
        problems = []
        if not name.strip():
            problems.append(tr("metrics.err.name_required"))
        elif name.strip() in known:
            problems.append(tr("metrics.err.name_taken", name=md(name.strip())))
        if kind != "growth" and not second:
            problems.append(tr("metrics.err.second_required"))
        elif kind != "growth" and second == first:
            problems.append(tr("metrics.err.same_metric"))
        for text in problems:
            st.error(text, icon=":material/error:")
        if not problems:
            try:
                M.define_derived(db, name, kind, first, second or None, unit=unit.strip() or None,
                                 direction=direction, category=category)
            except (KeyError, ValueError) as exc:
                st.error(tr("metrics.err.failed", error=md(exc)), icon=":material/error:")
            else:
                flash("ok", tr("metrics.derived_added", name=md(name.strip())))
                st.session_state["derived_generation"] = form_generation + 1
                st.rerun()

derived = [m for m in catalog if m.source == "derived"]
if not derived:
    st.caption(tr("metrics.no_derived"))
SYMBOL = {"ratio": "÷", "difference": "−"}
for m in derived:
    a, b = st.columns([5, 1], vertical_alignment="center")
    if m.kind == "growth":
        formula = f"{md(label.get(m.first_metric, m.first_metric))} · {tr('metrics.kind.growth')}"
    else:
        formula = (f"{md(label.get(m.first_metric, m.first_metric))} {SYMBOL[m.kind]} "
                   f"{md(label.get(m.second_metric, m.second_metric))}")
    a.markdown(f"**{md(m.name)}** = {formula}" + (f" · {md(m.unit)}" if m.unit else "")
               + f" · {DIRECTION[m.direction]} · {CATEGORY[m.category]}")
    if b.button(tr("metrics.derived_delete"), key=f"derived_delete_{m.name}", icon=":material/delete:", type="tertiary"):
        M.delete_derived(db, m.name)
        flash("ok", tr("metrics.derived_deleted", name=md(m.name)))
        st.rerun()
