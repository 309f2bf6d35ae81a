"""Streamlit components of the review workspace, shared by pages/review.py and the meeting mode.

The domain (validation, versions, carry-over, checks) is retro/reviews.py; these functions only
draw it and hand the user's input to it. Every save names the version the user started from, so
a save over someone else's change comes back as :class:`reviews.Conflict` and is shown — theirs
and mine side by side — instead of overwriting. User text is only ever shown through ``md()``
(escaped markdown) or inside st.dataframe/st.data_editor cells, never as HTML.

Forms: a saved form starts empty, a refused one keeps what was typed. Every widget of a form takes
its starting value from session state (:func:`_seed`, in the run that draws it), never from its
``key`` alone: after a save, :func:`_reset` forgets the form's keys and the next run seeds them
again, and only a value set through session state is sent to the browser. A widget whose key is
merely forgotten keeps, in the browser, what was typed into it — and sends it back with the next
click, so the next problem would inherit the last one's 5 Whys. A save that was refused (invalid
input, a conflict with someone else's save) resets nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from .. import metrics as M
from .. import reviews as R
from ..db import Database, get_database
from ..i18n import format_number, t
from . import available_periods
from .signin import can_edit, who
from .text import lang, md, tr

CONFLICTS = "review_conflicts"  # session key: saves that met someone else's newer version
FLASH = "review_flash"


# ====================================================================== small helpers


def actor() -> str:
    """Who is saving, for the item history: the name typed on the review page, else the signed-in one."""
    return (st.session_state.get("review_actor_name") or "").strip() or who()


def choice(group: str, value: str | None, lg: str | None = None) -> str:
    """A stored choice code in the user's language ('measures_set' → '已定措施').

    Widgets' format functions pass the language bound when drawn (``lg``): they are also called
    outside the script run (AppTest), where the session's language is not at hand."""
    return t(f"review.ui.{group}.{value}", lg or lang()) if value else ""


def field_label(name: str) -> str:
    return tr(f"review.field.{name}")


def flash(kind: str, text: str) -> None:
    """A message shown after the rerun that follows a save (``text`` is markdown, already escaped)."""
    st.session_state.setdefault(FLASH, []).append((kind, text))


def show_flash() -> None:
    """Messages from the last save, and an undo for the last delete.

    Always one container, however many messages: the elements below (the tabs) keep their place
    in the page, so the browser keeps the tab the user was on instead of jumping to the first."""
    with st.container():
        for kind, text in st.session_state.pop(FLASH, []):
            {"ok": st.success, "error": st.error, "info": st.info}[kind](text)
        undo = st.session_state.get("review_last_deleted")
        if undo and can_edit():
            kind, item_id, title = undo
            if st.button(tr("review.ui.undo"), key="review_undo", icon=":material/undo:"):
                _restore(kind, item_id, title)


def show_errors(error: R.ReviewError) -> None:
    """Validation messages in the user's language; they may quote user input, hence escaped."""
    st.error(tr("review.ui.errors") + "\n\n" + "\n".join(f"- {md(m)}" for m in error.messages(lang())))


def _reset(prefix: str) -> None:
    """Forget a form's widget values after a save (the next run seeds them again, see the module doc)."""
    for k in [k for k in st.session_state if str(k).startswith(prefix)]:
        del st.session_state[k]


def _seed(key: str, value: Any) -> None:
    """A widget's starting value, set once (widgets then keep what the user typed).

    Set through session state in the run that draws the widget, so the browser shows it too."""
    if key not in st.session_state:
        st.session_state[key] = value


def metric_label(db: Database, name: str | None, lg: str | None = None) -> str:
    if not name:
        return ""
    try:
        return M.get_metric(db, name).label(lg or lang())
    except KeyError:
        return name


def _unit(db: Database, name: str | None) -> str | None:
    try:
        return M.get_metric(db, name).unit if name else None
    except KeyError:
        return None


def period_text(day: dt.date | None, grain: str | None) -> str:
    return M.period_label(day, grain or "month") if day else ""


def _label_to_period(label: str | None) -> tuple[Any, str | None]:
    """'2026-10' → (2026-10-01, 'month'); '2026-Q3' → (2026-07-01, 'quarter'); text it cannot read is
    passed on as it is, so the domain names it in its message."""
    if not label:
        return None, None
    try:
        return M.period_start(label.strip()), ("quarter" if "Q" in label else "year" if len(label.strip()) == 4 else "month")
    except ValueError:
        return label, None


def segment_text(key: str | None) -> str:
    return (key or "").replace("|", ", ") or tr("review.ui.whole")


def problem_link(metric: str, segment: Mapping[str, str] | str | None, period: str, source: str) -> str:
    """The review page's address that opens the problem form filled in: for a red KPI on the goals page
    (source 'goals') or an anomaly on the trends page ('trends')."""
    seg = R.segment_key(segment) if isinstance(segment, Mapping) else (segment or "")
    return "review?" + urlencode({"log": "problem", "metric": metric, "segment": seg, "period": period, "source": source})


def preset_from_query() -> dict[str, Any] | None:
    """The problem preset carried by a link from problem_link(), if the page was opened with one."""
    q = st.query_params
    if q.get("log") != "problem":
        return None
    return {"metric": q.get("metric") or None, "segment": q.get("segment") or "", "period": q.get("period") or None,
            "source": q.get("source") if q.get("source") in R.SOURCES else "manual"}


def clear_preset_query() -> None:
    for name in ("log", "metric", "segment", "source"):
        if name in st.query_params:
            del st.query_params[name]


@st.cache_data(show_spinner=False, max_entries=256)
def _items(path: str, version: int, kind: str, review_id: int | None, deleted: bool) -> list[dict[str, Any]]:
    return R.items(get_database(path), kind, review_id, deleted=deleted)


def items(db: Database, kind: str, review_id: int | None = None, *, deleted: bool = False) -> list[dict[str, Any]]:
    """items(), read once per data version (every save bumps it): a page draws the same items in
    several tables and tabs. Each call returns its own copy."""
    return _items(str(db.path), db.data_version(), kind, review_id, deleted)


_CHECKED = ("crit_metric", "crit_op", "crit_value", "crit_basis", "crit_period", "crit_grain", "crit_segment", "due")


@st.cache_data(show_spinner=False, max_entries=1024)
def _verify(path: str, version: int, criterion: tuple, today: dt.date) -> R.Verification:
    # A check against a plan scores the period (~0.1–0.4 s; seconds on PostgreSQL at 2M values): once
    # per numbers' version — it reads the criterion (in the key) and the facts, so a review edit, which
    # bumps only the data version, leaves it — not on every rerun nor once per table the measure is in.
    return R.verify(get_database(path), dict(criterion), today)


def check(db: Database, measure: Mapping[str, Any]) -> R.Verification:
    """verify() of a measure's criterion, cached per numbers' version."""
    if not measure.get("crit_metric"):
        return R.Verification("none")
    return _verify(str(db.path), db.numbers_version(), tuple((k, measure.get(k)) for k in _CHECKED), dt.date.today())


def verification_text(db: Database, measure: Mapping[str, Any]) -> str:
    """The check of a measure's criterion: 'Met: actual 75, target 80 (2026-10)'; '' without one."""
    v = check(db, measure)
    if v.state == "none":
        return ""
    state = tr(f"review.verify.{v.state}")
    if v.actual is None and v.target is None:
        return f"{state} ({v.period})" if v.period else state
    lg = lang()
    return tr("review.ui.check_detail", state=state, period=v.period or "",
              actual=format_number(v.actual, lg, unit=v.unit) if v.actual is not None else "—",
              target=format_number(v.target, lg, unit=v.unit) if v.target is not None else "—")


def _criterion(db: Database, measure: Mapping[str, Any]) -> str:
    return R.criterion_text(measure, lang(), metric_label(db, measure.get("crit_metric")) or None)


def _display(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, list):
        return "; ".join(" → ".join(str(v) for v in x.values()) if isinstance(x, Mapping) else str(x) for x in value)
    return str(value)


def _title_of(item: Mapping[str, Any]) -> str:
    return str(item.get("title") or item.get("task") or item.get("text") or f"#{item.get('id')}")[:80]


# ====================================================================== conflicts


def _remember_conflict(conflict: R.Conflict, title: str) -> None:
    st.session_state.setdefault(CONFLICTS, []).append(
        {"kind": conflict.kind, "id": conflict.item_id, "title": title, "mine": conflict.mine, "theirs": conflict.theirs})


def conflict_panel(db: Database, kinds: Sequence[str], *, key: str) -> None:
    """Saves of ``kinds`` that met a newer version: theirs (who, when) beside mine; keep or overwrite."""
    pending = st.session_state.get(CONFLICTS) or []
    for n, c in enumerate(pending):
        if c["kind"] not in kinds:
            continue
        theirs, mine = c["theirs"], c["mine"]
        when = theirs.get("updated_at")
        when = when.strftime("%Y-%m-%d %H:%M:%S") if hasattr(when, "strftime") else str(when or "")
        with st.container(border=True):
            st.warning(tr("review.ui.conflict", title=md(c["title"]), who=md(theirs.get("actor") or "?"), when=when),
                       icon=":material/sync_problem:")
            fields = [f for f in mine if f != "version"]
            st.dataframe(pd.DataFrame({
                tr("review.ui.field"): [field_label(f) for f in fields],
                tr("review.ui.conflict.theirs"): [_display(theirs.get(f)) for f in fields],
                tr("review.ui.conflict.mine"): [_display(mine.get(f)) for f in fields],
            }), hide_index=True, width="stretch")
            left, right = st.columns(2)
            if left.button(tr("review.ui.conflict.keep"), key=f"{key}_keep_{n}_{c['kind']}_{c['id']}",
                           icon=":material/undo:"):
                pending.remove(c)
                flash("info", tr("review.ui.conflict.kept"))
                st.rerun()
            if right.button(tr("review.ui.conflict.overwrite"), key=f"{key}_over_{n}_{c['kind']}_{c['id']}",
                            type="primary", icon=":material/save:"):
                pending.remove(c)
                changes = {k: v for k, v in mine.items() if k != "version"}
                _save(db, c["kind"], c["id"], changes, theirs["version"], c["title"])
                st.rerun()


def _save(db: Database, kind: str, item_id: int, changes: dict[str, Any], version: int, title: str,
          base: Mapping[str, Any] | None = None) -> bool:
    """One item's save; a conflict or invalid input is kept for the user, never forced through.

    With ``base`` (the item as the user's editor started from it), a newer version that changed
    only *other* fields — e.g. the problem's status moved on when a measure was added to it — is
    not a conflict: these changes go on top of it and nothing of theirs is touched."""
    try:
        R.update_item(db, kind, item_id, changes, version=version, actor=actor())
    except R.Conflict as conflict:
        theirs = conflict.theirs
        if base is not None and all(R._same(base.get(f), theirs.get(f)) for f in changes):
            return _save(db, kind, item_id, changes, theirs["version"], title)
        _remember_conflict(conflict, title)
        return False
    except R.ReviewError as error:
        flash("error", tr("review.ui.errors") + " " + md(title) + "\n\n"
              + "\n".join(f"- {md(m)}" for m in error.messages(lang())))
        return False
    return True


# ====================================================================== editable tables


def _edits_pending(editor_key: str) -> bool:
    state = st.session_state.get(editor_key)
    return bool(state) and any(state.get(k) for k in ("edited_rows", "added_rows", "deleted_rows"))


def item_table(db: Database, kind: str, rows: list[dict[str, Any]], build: Callable[[list[dict]], pd.DataFrame],
               config: dict[str, Any], *, key: str, editable: Sequence[str], read_only: bool = False,
               add_defaults: Mapping[str, Any] | None = None, styler: Callable[[pd.DataFrame], Any] | None = None) -> None:
    """Items as an editable table: edits are saved based on the versions the table was drawn from.

    The rows are frozen while the user has unsaved edits in the table (the versions they started
    from), and read fresh otherwise. ``add_defaults`` allows new rows (and deleting rows)."""
    gen = st.session_state.get(f"{key}_gen", 0)
    editor_key, snap_key = f"{key}_editor_{gen}", f"{key}_snap"
    if _edits_pending(editor_key) and snap_key in st.session_state:
        rows = st.session_state[snap_key]
    else:
        st.session_state[snap_key] = rows
    frame = build(rows)
    if read_only or not can_edit():
        st.dataframe(styler(frame) if styler else frame, hide_index=True, width="stretch", column_config=config,
                     key=f"{key}_view")
        return
    with st.form(f"{key}_form", border=False):
        st.data_editor(styler(frame) if styler else frame, key=editor_key, hide_index=True, width="stretch",
                       column_config=config, disabled=[c for c in frame.columns if c not in editable],
                       num_rows="dynamic" if add_defaults is not None else "fixed", placeholder="")
        submitted = st.form_submit_button(tr("review.ui.save"), type="primary", icon=":material/save:")
    if not submitted:
        return
    state = st.session_state.get(editor_key) or {}
    saved = 0
    for index, changes in (state.get("edited_rows") or {}).items():
        row = rows[int(index)]
        values = {k: v for k, v in changes.items() if k in editable}
        if values and _save(db, kind, row["id"], values, row["version"], _title_of(row), base=row):
            saved += 1
    for added in state.get("added_rows") or []:
        values = {**(add_defaults or {}), **{k: v for k, v in added.items() if k in editable}}
        try:
            R.add_item(db, kind, values, review_id=None, actor=actor())  # only milestones are added here
            saved += 1
        except R.ReviewError as error:
            flash("error", tr("review.ui.errors") + "\n\n" + "\n".join(f"- {md(m)}" for m in error.messages(lang())))
    for index in state.get("deleted_rows") or []:
        row = rows[int(index)]
        try:
            R.delete_item(db, kind, row["id"], actor=actor())
            st.session_state["review_last_deleted"] = (kind, row["id"], _title_of(row))
            saved += 1
        except R.ReviewError:
            pass  # someone deleted it first: it is gone either way
    if saved:
        flash("ok", tr("review.ui.saved"))
    elif not st.session_state.get(FLASH) and not st.session_state.get(CONFLICTS):
        flash("info", tr("review.ui.nothing_changed"))
    st.session_state[f"{key}_gen"] = gen + 1
    st.rerun()


def _selectbox_col(label: str, group: str, options: Sequence[str], **kw: Any) -> Any:
    L = lang()  # noqa: N806 - bound for the widgets' format functions, see choice()
    return st.column_config.SelectboxColumn(label, options=list(options), required=True,
                                            format_func=lambda v, g=group: choice(g, v, L), **kw)


# ====================================================================== problems


def problem_form(db: Database, review: R.Review, *, preset: dict[str, Any] | None = None,
                 item: dict[str, Any] | None = None, key: str) -> int | None:
    """Log a new problem (``preset`` fills metric, segment, period and source when it comes from a red
    KPI or an anomaly) or edit ``item``. A 5-Whys chain and a fishbone. Returns the saved id."""
    L = lang()  # noqa: N806 - bound for the widgets' format functions, see choice()
    if not can_edit():
        return None
    k = f"{key}__"
    base = item
    if item is not None:
        _seed(k + "base", item)  # the version this edit started from
        base = st.session_state[k + "base"]
    if preset and not item and st.session_state.get(k + "preset") != preset:
        _reset(k)  # a new link from a red KPI or an anomaly: the form starts again from it
        st.session_state[k + "preset"] = preset
    start = base or {**R.DEFAULTS["problem"], **(preset or {})}
    if preset and not item:
        st.info(tr("review.ui.problem.from", source=choice("source", preset.get("source")),
                   metric=md(metric_label(db, preset.get("metric")) or "—"),
                   segment=md(segment_text(preset.get("segment"))), period=md(preset.get("period") or "—")),
                icon=":material/link:")
    _seed(k + "title", start.get("title") or "")
    st.text_input(field_label("title"), key=k + "title", max_chars=200)
    _seed(k + "description", start.get("description") or "")
    st.text_area(field_label("description"), key=k + "description", height=80)
    c1, c2, c3 = st.columns(3)
    _seed(k + "category", start.get("category") or "other")
    c1.selectbox(field_label("category"), R.PROBLEM_CATEGORIES, key=k + "category", format_func=lambda v: choice("category", v, L))
    _seed(k + "severity", start.get("severity") or "medium")
    c2.selectbox(field_label("severity"), R.SEVERITIES, key=k + "severity", format_func=lambda v: choice("severity", v, L))
    _seed(k + "status", start.get("status") or "open")
    c3.selectbox(field_label("status"), R.PROBLEM_STATUSES, key=k + "status", format_func=lambda v: choice("pstatus", v, L))

    # what the problem concerns: a metric, a segment, a period
    c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
    names = [m.name for m in M.catalog(db)]
    if start.get("metric") and start["metric"] not in names:
        names.append(start["metric"])
    _seed(k + "metric", start.get("metric") or "")
    c1.selectbox(field_label("metric"), ["", *names], key=k + "metric",
                 format_func=lambda v: metric_label(db, v, L) if v else t("review.ui.none", L))
    dims = R.segment_dims(start.get("segment"))
    fixed_segment = start.get("segment") if len(dims) > 1 else None
    if fixed_segment:
        c2.text_input(field_label("segment"), value=segment_text(fixed_segment), disabled=True, key=k + "segfixed")
    else:
        # The chosen metric's own dimensions and values (what its stored rows have), not every
        # workbook's; with no metric, a problem may concern any segment the data has.
        chosen = st.session_state.get(k + "metric") or None
        try:
            dimensions = M.dimensions(db, chosen)
        except KeyError:  # a metric no data has any more: only the problem's own segment is left
            dimensions = []
        first = next(iter(dims.items()), ("", ""))
        if first[0] and first[0] not in dimensions:
            dimensions.append(first[0])
        _seed(k + "dim", first[0])
        if st.session_state.get(k + "dim") not in ["", *dimensions]:
            st.session_state[k + "dim"] = ""  # another metric, without that dimension
        dim = c2.selectbox(tr("review.ui.dimension"), ["", *dimensions], key=k + "dim",
                           format_func=lambda v: v or t("review.ui.whole", L))
        try:
            values = M.dimension_values(db, dim, chosen) if dim else []
        except KeyError:
            values = []
        if first[1] and first[1] not in values and dim == first[0]:
            values.append(first[1])
        _seed(k + "dimval", first[1])
        if st.session_state.get(k + "dimval") not in ["", *values]:
            st.session_state[k + "dimval"] = ""
        c3.selectbox(tr("review.ui.dim_value"), ["", *values], key=k + "dimval", disabled=not dim,
                     format_func=lambda v: v or "—")
    periods = [p for p in dict.fromkeys([review.metric_period, *available_periods(db)]) if p]
    label = start.get("period") or (review.metric_period if base is None else None)  # a new one: this review's
    if isinstance(label, dt.date):
        label = period_text(label, start.get("grain"))
    if label and label not in periods:
        periods.insert(0, label)
    _seed(k + "period", label or "")
    c4.selectbox(field_label("period"), ["", *periods], key=k + "period", format_func=lambda v: v or "—")

    whys_editor(k, start.get("whys") or [])
    fishbone_editor(k, start.get("fishbone") or [])

    s = st.session_state
    whys = R.clean_whys([{"why": s.get(f"{k}why_{i}"), "because": s.get(f"{k}because_{i}")}
                         for i in range(s[k + "nwhy"])])
    fishbone = R.clean_fishbone([{"branch": b, "cause": line} for b in R.FISHBONE
                                 for line in (s.get(f"{k}fb_{b}") or "").splitlines()])
    hints = R.blame_hints([s.get(k + "title"), s.get(k + "description"),
                           *(w["because"] for w in whys), *(w["why"] for w in whys), *(f["cause"] for f in fishbone)],
                          R.owners(db))
    if hints:
        st.info(tr("review.ui.blame", phrases=md("」「".join(hints) if lang() == "zh" else "”, “".join(hints))),
                icon=":material/psychology:")
    if fixed_segment:
        segment = fixed_segment
    else:
        dim, value = s.get(k + "dim"), s.get(k + "dimval")
        segment = R.segment_key({dim: value}) if dim and value else ""
    period, grain = _label_to_period(s.get(k + "period"))
    values = {"title": s.get(k + "title"), "description": s.get(k + "description"), "category": s.get(k + "category"),
              "severity": s.get(k + "severity"), "status": s.get(k + "status"), "metric": s.get(k + "metric") or None,
              "segment": segment, "period": period, "grain": grain, "whys": whys, "fishbone": fishbone}
    left, right = st.columns([1, 5])
    saved = None
    if left.button(tr("review.ui.save"), key=k + "save", type="primary", icon=":material/save:"):
        try:
            if base is None:
                values["source"] = (preset or {}).get("source") or "manual"
                saved = R.add_item(db, "problem", values, review_id=review.id, actor=actor())
            else:
                changes = {n: v for n, v in values.items() if not R._same(v, base.get(n))}
                if not changes or not _save(db, "problem", base["id"], changes, base["version"], _title_of(base), base):
                    if not changes:
                        flash("info", tr("review.ui.nothing_changed"))
                    _reset(k)  # a conflict is shown with the table, theirs beside mine
                    st.rerun()
                saved = base["id"]
        except R.ReviewError as error:
            show_errors(error)
        if saved is not None:
            flash("ok", tr("review.ui.problem.saved", title=md(values["title"])))
            _reset(k)
            if preset:
                clear_preset_query()
            st.rerun()
    if base is not None and right.button(tr("review.ui.cancel"), key=k + "cancel"):
        _reset(k)
        st.rerun()
    return saved


def whys_editor(k: str, start: list[dict[str, str]]) -> None:
    """why → because, one level a row, up to five; add or remove the last level."""
    st.markdown(f"**{tr('review.ui.whys')}**", help=tr("review.ui.whys_help"))
    if k + "nwhy" not in st.session_state:
        st.session_state[k + "nwhy"] = max(1, len(start))
        for i, step in enumerate(start):
            st.session_state[f"{k}why_{i}"] = step.get("why") or ""
            st.session_state[f"{k}because_{i}"] = step.get("because") or ""
    n = st.session_state[k + "nwhy"]
    for i in range(n):
        _seed(f"{k}why_{i}", "")  # an empty level too: after a save the browser must forget the last problem's
        _seed(f"{k}because_{i}", "")
        a, b = st.columns(2)
        a.text_input(tr("review.ui.why", n=i + 1), key=f"{k}why_{i}", placeholder=tr("review.ui.why_placeholder"))
        b.text_input(tr("review.ui.because"), key=f"{k}because_{i}", placeholder=tr("review.ui.because_placeholder"))
    add, remove, _ = st.columns([2, 2, 1])  # room for the labels in projector type and in English
    if add.button(tr("review.ui.why_add"), key=k + "why_add", disabled=n >= R.MAX_WHYS, icon=":material/add:"):
        st.session_state[k + "nwhy"] = n + 1
        st.rerun()
    if remove.button(tr("review.ui.why_remove"), key=k + "why_remove", disabled=n <= 1, icon=":material/remove:"):
        st.session_state[k + "nwhy"] = n - 1
        for name in (f"{k}why_{n - 1}", f"{k}because_{n - 1}"):
            st.session_state.pop(name, None)
        st.rerun()


def fishbone_editor(k: str, start: list[dict[str, str]]) -> None:
    with st.expander(tr("review.ui.fishbone"), expanded=bool(start)):
        st.caption(tr("review.ui.fishbone_help"))
        cols = st.columns(3)
        for i, branch in enumerate(R.FISHBONE):
            _seed(f"{k}fb_{branch}", "\n".join(c["cause"] for c in start if c.get("branch") == branch))
            cols[i % 3].text_area(choice("fishbone", branch), key=f"{k}fb_{branch}", height=68)


def problem_causes(problem: Mapping[str, Any]) -> None:
    """A problem's 5-Whys chain and fishbone, read-only (for everyone, viewers and the projector too)."""
    whys, fishbone = problem.get("whys") or [], problem.get("fishbone") or []
    if not whys and not fishbone:
        return
    st.markdown(f"**{tr('review.ui.problem.causes')}**")
    for i, step in enumerate(whys, 1):
        st.markdown(f"{i}. {md(step.get('why') or '…')} → **{md(step.get('because') or '…')}**")
    if fishbone:
        branches = [(b, [c["cause"] for c in fishbone if c.get("branch") == b]) for b in R.FISHBONE]
        st.markdown("  \n".join(f"**{choice('fishbone', b)}** · {md('；'.join(causes))}" for b, causes in branches if causes))


def problems_frame(db: Database, rows: list[dict[str, Any]]) -> pd.DataFrame:
    measures = items(db, "measure")
    count = {}
    for m in measures:
        if m.get("problem_id"):
            count[m["problem_id"]] = count.get(m["problem_id"], 0) + 1
    return pd.DataFrame([{
        "id": p["id"],
        "title": p["title"],
        "category": p["category"],
        "severity": p["severity"],
        "status": p["status"],
        "concerns": " · ".join(x for x in (metric_label(db, p.get("metric")), segment_text(p.get("segment")) if p.get("segment") else "",
                                           period_text(p.get("period"), p.get("grain"))) if x),
        "root": (p.get("whys") or [{}])[-1].get("because", "") if p.get("whys") else "",
        "measures": count.get(p["id"], 0),
        "carried": p.get("review_title") if p.get("carried") else "",
    } for p in rows], columns=["title", "severity", "status", "concerns", "root", "measures", "category", "carried", "id"])


def problems_table(db: Database, review: R.Review, *, key: str) -> list[dict[str, Any]]:
    rows = items(db, "problem", review.id)
    if not rows:
        st.caption(tr("review.ui.problem.none"))
        return rows
    editable = ["status"] if review.closed else ["title", "category", "severity", "status"]
    item_table(db, "problem", rows, lambda r: problems_frame(db, r), {
        "id": st.column_config.NumberColumn("#", width="small", format="%d"),
        "title": st.column_config.TextColumn(field_label("title"), max_chars=200, width="medium"),
        "category": _selectbox_col(field_label("category"), "category", R.PROBLEM_CATEGORIES),
        "severity": _selectbox_col(field_label("severity"), "severity", R.SEVERITIES, width="small"),
        "status": _selectbox_col(field_label("status"), "pstatus", R.PROBLEM_STATUSES),
        "concerns": st.column_config.TextColumn(field_label("metric")),
        "root": st.column_config.TextColumn(tr("review.ui.root_cause")),
        "measures": st.column_config.NumberColumn(tr("review.ui.kind.measure"), width="small"),
        "carried": st.column_config.TextColumn(tr("review.ui.carried")),
    }, key=key, editable=editable)
    conflict_panel(db, ("problem",), key=f"{key}_conflict")
    return rows


# ====================================================================== measures


def _criterion_for(db: Database, problem_id: int | None, k: str) -> dict[str, Any]:
    """A new measure's criterion, until the user sets one: the problem's metric and segment back at
    plan (≥ 100% of plan, or ≤ for a metric where lower is better). When the measure is moved to
    another problem before the criterion is switched on, the criterion follows it."""
    s = st.session_state
    if not s.get(k + "crit"):  # switched off: nothing seeds from it, so no query on every rerun
        if s.get(k + "crit_from", "unset") != problem_id:
            for name in ("crit_metric", "crit_op", "crit_basis", "crit_value", "crit_dim", "crit_dimval"):
                s.pop(k + name, None)
            s[k + "crit_from"] = problem_id
        return {}
    problem = R.get_item(db, "problem", problem_id) if problem_id is not None else None
    metric = next((m for m in M.catalog(db) if problem and m.name == problem.get("metric")), None)
    if metric is None:
        return {}
    segment = problem.get("segment")
    return {"crit_metric": metric.name, "crit_op": "<=" if metric.direction == "down" else ">=",
            "crit_basis": "plan", "crit_value": 1.0,
            "crit_segment": R.segment_key(segment) if isinstance(segment, dict) else segment or ""}


def measure_form(db: Database, review: R.Review, *, problem_id: int | None = None,
                 item: dict[str, Any] | None = None, key: str, pick_problem: bool = True) -> int | None:
    """A new measure (for ``problem_id``, or picked here) or an edit of ``item``: one owner, due date,
    support, acceptance criterion, PDCA, status and an optional criterion tied to a metric.

    ``pick_problem=False``: the page has its own problem picker, and ``problem_id`` None means a
    free-standing measure (no second picker in the form)."""
    L = lang()  # noqa: N806 - bound for the widgets' format functions, see choice()
    if not can_edit():
        return None
    k = f"{key}__"
    base = item
    if item is not None:
        _seed(k + "base", item)
        base = st.session_state[k + "base"]
    start = base or {**R.DEFAULTS["measure"], "problem_id": problem_id}
    s = st.session_state
    if problem_id is None and pick_problem:
        problems = items(db, "problem", review.id)
        ids = [None, *(p["id"] for p in problems)]
        titles = {p["id"]: p["title"] for p in problems}
        _seed(k + "problem", start.get("problem_id") if start.get("problem_id") in ids else None)
        st.selectbox(tr("review.ui.measure.for"), ids, key=k + "problem",
                     format_func=lambda v: f"#{v} {titles.get(v, '')}" if v else t("review.ui.measure.free", L))
    _seed(k + "title", start.get("title") or "")
    st.text_input(tr("review.ui.kind.measure"), key=k + "title", max_chars=500)
    c1, c2, c3, c4 = st.columns([2, 2, 2, 2])
    _seed(k + "owner", start.get("owner") or "")
    c1.text_input(field_label("owner"), key=k + "owner", max_chars=100, help=tr("review.ui.owner_help"))
    known = R.owners(db)[:8]
    if known:
        def pick() -> None:
            if s.get(k + "owner_pick"):
                s[k + "owner"] = s[k + "owner_pick"]
            s[k + "owner_pick"] = None
        c1.pills(tr("review.ui.owner_suggest"), known, key=k + "owner_pick", on_change=pick, label_visibility="collapsed",
                 format_func=md)
    _seed(k + "due", start.get("due"))
    c2.date_input(field_label("due"), key=k + "due", value=None, format="YYYY-MM-DD")
    _seed(k + "pdca", start.get("pdca") or "plan")
    c3.selectbox(field_label("pdca"), R.PDCA, key=k + "pdca", format_func=lambda v: choice("pdca", v, L))
    _seed(k + "status", start.get("status") or "planned")
    c4.selectbox(field_label("status"), R.MEASURE_STATUSES, key=k + "status", format_func=lambda v: choice("mstatus", v, L))
    c1, c2 = st.columns(2)
    _seed(k + "support", start.get("support") or "")
    c1.text_area(field_label("support"), key=k + "support", height=68)
    _seed(k + "acceptance", start.get("acceptance") or "")
    c2.text_area(field_label("acceptance"), key=k + "acceptance", height=68)

    if item is None:
        linked = problem_id if problem_id is not None or not pick_problem else s.get(k + "problem")
        start = {**start, **_criterion_for(db, linked, k)}
    _seed(k + "crit", bool(start.get("crit_metric")) and item is not None)
    crit = st.toggle(tr("review.ui.crit"), key=k + "crit")
    criterion: dict[str, Any] = {"crit_metric": None}
    if crit:
        c1, c2, c3, c4, c5 = st.columns([3, 2, 3, 3, 2])  # each wide enough for its value ("≥", "100", "占计划的百分比")
        names = [m.name for m in M.catalog(db)]
        _seed(k + "crit_metric", start.get("crit_metric") if start.get("crit_metric") in names else (names[0] if names else ""))
        c1.selectbox(field_label("crit_metric"), names, key=k + "crit_metric", format_func=lambda v: metric_label(db, v, L))
        _seed(k + "crit_op", start.get("crit_op") or "<=")
        c2.selectbox(field_label("crit_op"), R.CRIT_OPS, key=k + "crit_op",
                     format_func=lambda v: {">=": "≥", "<=": "≤"}.get(v, v))
        basis_start = start.get("crit_basis") or "value"
        value_start = start.get("crit_value")
        _seed(k + "crit_basis", basis_start)
        c4.selectbox(field_label("crit_basis"), R.CRIT_BASES, key=k + "crit_basis", format_func=lambda v: choice("basis", v, L))
        _seed(k + "crit_value", value_start * 100 if value_start is not None and basis_start == "plan" else value_start)
        c3.number_input(field_label("crit_value"), key=k + "crit_value", value=None, help=tr("review.ui.crit_value_help"),
                        format="%g")
        _seed(k + "crit_period", period_text(start.get("crit_period"), start.get("crit_grain")))
        c5.text_input(field_label("crit_period"), key=k + "crit_period", help=tr("review.ui.crit_period_help"),
                      placeholder="2026-12")
        dims = M.dimensions(db, s.get(k + "crit_metric")) if s.get(k + "crit_metric") else []
        first = next(iter(R.segment_dims(start.get("crit_segment")).items()), ("", ""))
        c1, c2, _ = st.columns([2, 2, 4])
        _seed(k + "crit_dim", first[0] if first[0] in dims else "")
        dim = c1.selectbox(tr("review.ui.dimension"), ["", *dims], key=k + "crit_dim", format_func=lambda v: v or t("review.ui.whole", L))
        values = M.dimension_values(db, dim, s.get(k + "crit_metric")) if dim else []
        _seed(k + "crit_dimval", first[1])
        if s.get(k + "crit_dimval") not in ["", *values]:
            s[k + "crit_dimval"] = ""
        c2.selectbox(tr("review.ui.dim_value"), ["", *values], key=k + "crit_dimval", disabled=not dim,
                     format_func=lambda v: v or "—")
        value = s.get(k + "crit_value")
        basis = s.get(k + "crit_basis")
        period, grain = _label_to_period(s.get(k + "crit_period"))
        criterion = {"crit_metric": s.get(k + "crit_metric") or None, "crit_op": s.get(k + "crit_op"),
                     "crit_value": None if value is None else (value / 100 if basis == "plan" else value),
                     "crit_basis": basis, "crit_period": period, "crit_grain": grain,
                     "crit_segment": R.segment_key({dim: s[k + "crit_dimval"]}) if dim and s.get(k + "crit_dimval") else ""}
        if criterion["crit_value"] is not None and isinstance(period, dt.date | type(None)):
            preview = dict(criterion)
            if preview["crit_period"] is None and s.get(k + "due"):
                preview["crit_period"] = M.truncate(s[k + "due"], "month")
            st.caption(tr("review.ui.crit_preview", text=md(_criterion(db, preview))))
    values = {"problem_id": problem_id if problem_id is not None or not pick_problem else s.get(k + "problem"),
              "title": s.get(k + "title"), "owner": s.get(k + "owner"), "due": s.get(k + "due"),
              "support": s.get(k + "support"), "acceptance": s.get(k + "acceptance"), "pdca": s.get(k + "pdca"),
              "status": s.get(k + "status"), **criterion}
    left, right = st.columns([1, 5])
    if left.button(tr("review.ui.save"), key=k + "save", type="primary", icon=":material/save:"):
        saved = None
        try:
            if base is None:
                saved = R.add_item(db, "measure", values, review_id=review.id, actor=actor())
            else:
                changes = {n: v for n, v in values.items() if not R._same(v, base.get(n))}
                if changes:
                    _save(db, "measure", base["id"], changes, base["version"], _title_of(base), base)
                saved = base["id"]
        except R.ReviewError as error:
            show_errors(error)
        if saved is not None:
            if not st.session_state.get(CONFLICTS) and not st.session_state.get(FLASH):
                flash("ok", tr("review.ui.measure.saved", title=md(values["title"])))
            _reset(k)
            st.rerun()
    if base is not None and right.button(tr("review.ui.cancel"), key=k + "cancel"):
        _reset(k)
        st.rerun()
    return None


def measures_frame(db: Database, rows: list[dict[str, Any]]) -> pd.DataFrame:
    today = dt.date.today()
    problems = {p["id"]: p["title"] for p in items(db, "problem")}
    out = []
    for m in rows:
        overdue = R.is_overdue(m, today)
        out.append({
            "flag": "⚠ " + tr("review.ui.overdue_days", n=(today - m["due"]).days) if overdue else "",
            "id": m["id"],
            "title": m["title"],
            "problem": problems.get(m.get("problem_id"), "") if m.get("problem_id") else "",
            "owner": m["owner"],
            "due": m["due"],
            "status": m["status"],
            "pdca": m["pdca"],
            "acceptance": m.get("acceptance") or "",
            "criterion": _criterion(db, m),
            "check": verification_text(db, m),
            "carried": m.get("review_title") if m.get("carried") else "",
        })
    frame = pd.DataFrame(out, columns=["flag", "title", "owner", "due", "status", "check", "criterion", "acceptance",
                                       "problem", "pdca", "carried", "id"])
    frame["due"] = pd.to_datetime(frame["due"]).dt.date
    return frame


def _overdue_style(frame: pd.DataFrame) -> Any:
    if not frame["flag"].astype(bool).any():
        return frame  # a Styler costs a render; only worth it when something is flagged

    def row_style(row: pd.Series) -> list[str]:
        bad = bool(row["flag"])
        return ["background-color: #fde2e1; color: #a61b1b; font-weight: 600" if bad and c == "flag" else "" for c in row.index]
    return frame.style.apply(row_style, axis=1)


def measures_config() -> dict[str, Any]:
    return {
        "flag": st.column_config.TextColumn(tr("review.ui.state"), width=90),
        "id": st.column_config.NumberColumn("#", width="small", format="%d"),
        "title": st.column_config.TextColumn(tr("review.ui.kind.measure"), max_chars=500, width="medium"),
        "problem": st.column_config.TextColumn(field_label("problem_id")),
        "owner": st.column_config.TextColumn(field_label("owner"), max_chars=100, help=tr("review.ui.owner_help")),
        "due": st.column_config.DateColumn(field_label("due"), format="YYYY-MM-DD"),
        "status": _selectbox_col(field_label("status"), "mstatus", R.MEASURE_STATUSES),
        "pdca": _selectbox_col(field_label("pdca"), "pdca", R.PDCA, width="small"),
        "acceptance": st.column_config.TextColumn(field_label("acceptance")),
        "criterion": st.column_config.TextColumn(tr("review.ui.criterion")),
        "check": st.column_config.TextColumn(tr("review.ui.check")),
        "carried": st.column_config.TextColumn(tr("review.ui.carried")),
    }


def measures_table(db: Database, review: R.Review, *, key: str, problem_id: int | None = None,
                   rows: list[dict[str, Any]] | None = None, read_only: bool = False) -> list[dict[str, Any]]:
    """Measures with owner, due date, status, overdue flag, criterion and its check; editable in place
    (for a closed review only the status). Conflicting saves are shown right below."""
    if rows is None:
        rows = items(db, "measure", review.id)
        if problem_id is not None:
            rows = [m for m in rows if m.get("problem_id") == problem_id]
    if not rows:
        st.caption(tr("review.ui.measure.none"))
    else:
        overdue = sum(R.is_overdue(m) for m in rows)
        if overdue:
            st.warning(tr("review.ui.overdue_n", n=overdue), icon=":material/schedule:")
        editable = ["status"] if review.closed else ["title", "owner", "due", "status", "pdca", "acceptance"]
        item_table(db, "measure", rows, lambda r: measures_frame(db, r), measures_config(), key=key,
                   editable=editable, read_only=read_only, styler=_overdue_style)
        if can_edit() and not read_only:
            st.caption(tr("review.ui.table_help"))
    conflict_panel(db, ("measure",), key=f"{key}_conflict")
    return rows


# ====================================================================== item actions, history, bin


def item_actions(db: Database, kind: str, rows: list[dict[str, Any]], *, key: str, label: str,
                 tools: bool = True) -> dict[str, Any] | None:
    """Pick one of ``rows``; with ``tools`` its history and (for editors) an undoable delete follow
    right away, else call :func:`item_tools` where they belong. The picked item."""
    by_id = {r["id"]: r for r in rows}
    picked = st.selectbox(label, [None, *by_id], key=f"{key}_pick",
                          format_func=lambda v: f"#{v} {_title_of(by_id[v])}" if v else "—")
    item = by_id.get(picked)
    if item and tools:
        item_tools(db, kind, item, key=key)
    return item


def item_tools(db: Database, kind: str, item: dict[str, Any], *, key: str) -> None:
    """An item's change history, and a delete button (undoable, and restorable from the bin)."""
    with st.expander(tr("review.ui.history.title"), icon=":material/history:"):
        history_view(db, kind, item["id"])
    if can_edit() and st.button(tr("review.ui.delete"), key=f"{key}_delete_{item['id']}", icon=":material/delete:"):
        try:
            R.delete_item(db, kind, item["id"], actor=actor())
            st.session_state["review_last_deleted"] = (kind, item["id"], _title_of(item))
            flash("ok", tr("review.ui.deleted", title=md(_title_of(item))))
        except R.ReviewError as error:
            flash("error", "\n".join(md(m) for m in error.messages(lang())))
        st.session_state.pop(f"{key}_pick", None)
        st.rerun()


def _restore(kind: str, item_id: int, title: str) -> None:
    from . import database

    try:
        R.restore_item(database(), kind, item_id, actor=actor())
        flash("ok", tr("review.ui.restored", title=md(title)))
    except R.ReviewError as error:
        flash("error", "\n".join(md(m) for m in error.messages(lang())))
    if st.session_state.get("review_last_deleted", (None, None))[:2] == (kind, item_id):
        st.session_state.pop("review_last_deleted", None)
    st.rerun()


def history_view(db: Database, kind: str, item_id: int) -> None:
    """What changed, when and by whom, newest first."""
    log = R.history(db, kind, item_id)
    if not log:
        st.caption(tr("review.ui.history.none"))
        return
    st.dataframe(pd.DataFrame({
        tr("review.ui.history.when"): [str(e["at"])[:19] for e in log],
        tr("review.ui.history.who"): [e["actor"] or "" for e in log],
        tr("review.ui.history.action"): [tr(f"review.ui.history.{e['action']}") for e in log],
        tr("review.ui.history.changes"): ["; ".join(f"{field_label(f)}: {_display(b)} → {_display(a)}"
                                                    for f, (b, a) in e["changes"].items()) for e in log],
    }), hide_index=True, width="stretch")


def history_section(db: Database, review: R.Review, *, key: str) -> None:
    L = lang()  # noqa: N806 - bound for the widgets' format functions, see choice()
    kinds = ("problem", "measure", "task", "lesson")
    titles = {(kd, x["id"]): _title_of(x) for kd in kinds for x in items(db, kd, review.id)}
    options = list(titles)
    picked = st.selectbox(tr("review.ui.history.pick"), [None, *options], key=f"{key}_pick",
                          format_func=lambda v: f"{choice('kind', v[0], L)} #{v[1]} {titles[v]}" if v else "—")
    if picked:
        history_view(db, *picked)


def deleted_section(db: Database, review: R.Review, *, key: str) -> None:
    """Recently deleted items of this review, newest first, each with a restore button."""
    st.subheader(tr("review.ui.bin"))
    task_ids = {x["id"] for x in items(db, "task", review.id)}
    gone = [x for kd in ("problem", "measure", "task", "milestone", "lesson") for x in
            (items(db, kd, review.id if kd != "milestone" else None, deleted=True))
            if kd != "milestone" or x.get("task_id") in task_ids]
    gone.sort(key=lambda x: x["deleted_at"], reverse=True)
    if not gone:
        st.caption(tr("review.ui.bin.empty"))
        return
    for x in gone[:20]:
        c1, c2, c3 = st.columns([1, 6, 1])
        c1.markdown(choice("kind", x["item_kind"]))
        c2.markdown(f"{md(_title_of(x))}  \n:gray[{str(x['deleted_at'])[:19]} · {md(x.get('actor') or '')}]")
        if can_edit() and c3.button(tr("review.ui.restore"), key=f"{key}_restore_{x['item_kind']}_{x['id']}",
                                    icon=":material/restore_from_trash:"):
            _restore(x["item_kind"], x["id"], _title_of(x))


# ====================================================================== strategy tasks


def tasks_frame(db: Database, review: R.Review, rows: list[dict[str, Any]]) -> pd.DataFrame:
    by_task: dict[int, list] = {}
    for m in items(db, "milestone"):
        by_task.setdefault(m["task_id"], []).append(m)
    as_of = min(dt.date.today(), review.period_end) if review.period_end >= dt.date.today() else review.period_end
    out = []
    for x in rows:
        p = R.task_progress(x, by_task.get(x["id"], []), as_of)
        out.append({"flag": f"⚠ {tr('review.ui.overdue')}" if p.overdue else "", "id": x["id"], "goal": x["goal"],
                    "task": x["task"], "owner": x["owner"], "start_date": x.get("start_date"), "end_date": x.get("end_date"),
                    "budget": x.get("budget"), "budget_used": x.get("budget_used"), "people": x.get("people") or "",
                    "acceptance": x.get("acceptance") or "", "progress": x.get("progress"),
                    "planned": p.planned, "actual": p.actual, "deviation": p.deviation,
                    "main_problem": x.get("main_problem") or "", "countermeasure": x.get("countermeasure") or "",
                    "status": x["status"], "carried": x.get("review_title") if x.get("carried") else ""})
    cols = ["flag", "id", "goal", "task", "owner", "start_date", "end_date", "budget", "budget_used", "people", "acceptance",
            "progress", "planned", "actual", "deviation", "main_problem", "countermeasure", "status", "carried"]
    frame = pd.DataFrame(out, columns=cols)
    for c in ("start_date", "end_date"):
        frame[c] = pd.to_datetime(frame[c]).dt.date
    for c in ("budget", "budget_used", "progress", "planned", "actual", "deviation"):
        frame[c] = frame[c].astype(float)
    return frame


def task_section(db: Database, review: R.Review, *, key: str) -> None:
    """Template tables 1 and 2: the plan (goal, task, owner, dates, resources, acceptance) and its
    tracking (planned vs actual progress, deviation, main problem, countermeasure); milestones."""
    pv = R.process_view(db, review)
    pct = lambda v: f"{v * 100:.0f}%" if v is not None else "—"  # noqa: E731
    st.caption(tr("review.ui.process", completion=pct(pv.completion), progress=pct(pv.progress), budget=pct(pv.budget_use)))
    rows = items(db, "task", review.id)
    if not rows:
        st.caption(tr("review.ui.task.none"))
    else:
        config = {
            "flag": st.column_config.TextColumn(tr("review.ui.state"), width=90),
            "id": st.column_config.NumberColumn("#", width="small", format="%d"),
            "goal": st.column_config.TextColumn(field_label("goal"), max_chars=500),
            "task": st.column_config.TextColumn(field_label("task"), max_chars=500),
            "owner": st.column_config.TextColumn(field_label("owner"), max_chars=100),
            "start_date": st.column_config.DateColumn(field_label("start_date"), format="YYYY-MM-DD"),
            "end_date": st.column_config.DateColumn(field_label("end_date"), format="YYYY-MM-DD"),
            "budget": st.column_config.NumberColumn(field_label("budget"), min_value=0.0, help=tr("review.ui.budget_help")),
            "budget_used": st.column_config.NumberColumn(field_label("budget_used"), min_value=0.0),
            "people": st.column_config.TextColumn(field_label("people")),
            "acceptance": st.column_config.TextColumn(field_label("acceptance")),
            "progress": st.column_config.NumberColumn(field_label("progress"), format="percent", min_value=0.0, max_value=1.0),
            "planned": st.column_config.NumberColumn(tr("review.ui.task.planned"), format="percent"),
            "actual": st.column_config.NumberColumn(tr("review.ui.task.actual"), format="percent"),
            "deviation": st.column_config.NumberColumn(tr("review.ui.task.deviation"), format="percent"),
            "main_problem": st.column_config.TextColumn(field_label("main_problem")),
            "countermeasure": st.column_config.TextColumn(field_label("countermeasure")),
            "status": _selectbox_col(field_label("status"), "tstatus", R.TASK_STATUSES),
            "carried": st.column_config.TextColumn(tr("review.ui.carried")),
        }
        # Two tables, as in the template: the plan (table 1), then its tracking (table 2).
        plan_cols = ["goal", "task", "owner", "start_date", "end_date", "budget", "budget_used", "people", "acceptance",
                     "carried", "id"]
        track_cols = ["task", "flag", "status", "progress", "planned", "actual", "deviation", "main_problem",
                      "countermeasure", "owner"]
        st.markdown(f"**{tr('review.ui.task.table1')}**")
        item_table(db, "task", rows, lambda r: tasks_frame(db, review, r)[plan_cols], config, key=f"{key}_plan",
                   editable=[] if review.closed else plan_cols[:-2])
        st.markdown(f"**{tr('review.ui.task.table2')}**")
        item_table(db, "task", rows, lambda r: tasks_frame(db, review, r)[track_cols], config, key=f"{key}_track",
                   editable=["status"] if review.closed else ["status", "progress", "main_problem", "countermeasure"],
                   styler=_overdue_style)
        conflict_panel(db, ("task", "milestone"), key=f"{key}_conflict")
        task = item_actions(db, "task", rows, key=f"{key}_act", label=tr("review.ui.task.pick"))
        if task:
            milestones_table(db, review, task, key=f"{key}_ms_{task['id']}")
    if can_edit() and not review.closed:
        with st.expander(tr("review.ui.task.new"), icon=":material/add_task:"):
            task_form(db, review, key=f"{key}_new")


def milestones_table(db: Database, review: R.Review, task: dict[str, Any], *, key: str) -> None:
    st.markdown(f"**{tr('review.ui.task.milestones', task=md(task['task']))}**")
    rows = [m for m in items(db, "milestone") if m["task_id"] == task["id"]]

    def build(rs: list[dict]) -> pd.DataFrame:
        frame = pd.DataFrame([{"title": m["title"], "planned_date": m.get("planned_date"), "actual_date": m.get("actual_date"),
                               "progress": m.get("progress")} for m in rs],
                             columns=["title", "planned_date", "actual_date", "progress"])
        for c in ("planned_date", "actual_date"):
            frame[c] = pd.to_datetime(frame[c]).dt.date
        frame["progress"] = frame["progress"].astype(float)
        return frame

    item_table(db, "milestone", rows, build, {
        "title": st.column_config.TextColumn(field_label("title"), max_chars=300, required=True),
        "planned_date": st.column_config.DateColumn(field_label("planned_date"), format="YYYY-MM-DD"),
        "actual_date": st.column_config.DateColumn(field_label("actual_date"), format="YYYY-MM-DD"),
        "progress": st.column_config.NumberColumn(field_label("progress"), format="percent", min_value=0.0, max_value=1.0),
    }, key=key, editable=["title", "planned_date", "actual_date", "progress"], read_only=review.closed,
        add_defaults={"task_id": task["id"]})
    if can_edit() and not review.closed:
        st.caption(tr("review.ui.task.ms_help"))


def task_form(db: Database, review: R.Review, *, key: str) -> None:
    L = lang()  # noqa: N806 - bound for the widgets' format functions, see choice()
    k = f"{key}__"
    for name, blank in (("goal", ""), ("task", ""), ("owner", ""), ("start", None), ("end", None), ("budget", None),
                        ("people", ""), ("status", R.TASK_STATUSES[0]), ("acceptance", "")):
        _seed(k + name, blank)  # every field: a saved form starts empty in the browser too
    with st.form(k + "form", border=False):
        c1, c2, c3 = st.columns([3, 3, 2])
        goal = c1.text_input(field_label("goal"), key=k + "goal", max_chars=500)
        task = c2.text_input(field_label("task"), key=k + "task", max_chars=500)
        owner = c3.text_input(field_label("owner"), key=k + "owner", max_chars=100)
        c1, c2, c3, c4, c5 = st.columns(5)
        start = c1.date_input(field_label("start_date"), value=None, key=k + "start", format="YYYY-MM-DD")
        end = c2.date_input(field_label("end_date"), value=None, key=k + "end", format="YYYY-MM-DD")
        budget = c3.number_input(field_label("budget"), value=None, min_value=0.0, key=k + "budget",
                                 help=tr("review.ui.budget_help"))
        people = c4.text_input(field_label("people"), key=k + "people", max_chars=200)
        status = c5.selectbox(field_label("status"), R.TASK_STATUSES, key=k + "status", format_func=lambda v: choice("tstatus", v, L))
        acceptance = st.text_input(field_label("acceptance"), key=k + "acceptance")
        submitted = st.form_submit_button(tr("review.ui.save"), type="primary", icon=":material/save:")
    if submitted:
        values = {"goal": goal, "task": task, "owner": owner, "start_date": start, "end_date": end, "budget": budget,
                  "people": people, "status": status, "acceptance": acceptance}
        try:
            R.add_item(db, "task", values, review_id=review.id, actor=actor())
        except R.ReviewError as error:
            show_errors(error)
            return
        flash("ok", tr("review.ui.task.saved", title=md(task)))
        _reset(k)
        st.rerun()


# ====================================================================== lessons


def lesson_form(db: Database, review: R.Review, *, key: str) -> None:
    L = lang()  # noqa: N806 - bound for the widgets' format functions, see choice()
    if not can_edit():
        return
    k = f"{key}__"
    problems = {p["id"]: p["title"] for p in items(db, "problem", review.id)}
    measures = {m["id"]: m["title"] for m in items(db, "measure", review.id)}
    # Every field seeded: a saved form starts empty in the browser too. No link is 0, not None (a
    # selectbox whose value is None shows its placeholder, not the option "—"); ids start at 1.
    for name, blank in (("kind", "success"), ("title", ""), ("text", ""), ("tags", ""), ("problem", 0), ("measure", 0)):
        _seed(k + name, blank)
    for name, known in (("problem", problems), ("measure", measures)):
        if st.session_state[k + name] not in (0, *known):
            st.session_state[k + name] = 0  # deleted meanwhile
    with st.form(k + "form", border=False):
        c1, c2 = st.columns([2, 3])
        kind = c1.segmented_control(field_label("kind"), R.LESSON_KINDS, key=k + "kind",
                                    format_func=lambda v: choice("lkind", v, L))
        title = c2.text_input(field_label("title"), key=k + "title", max_chars=200)
        text = st.text_area(field_label("text"), key=k + "text", height=80)
        c1, c2, c3 = st.columns(3)
        tags = c1.text_input(field_label("tags"), key=k + "tags", help=tr("review.ui.lesson.tags_help"), max_chars=500)
        problem = c2.selectbox(tr("review.ui.lesson.link_problem"), [0, *problems], key=k + "problem",
                               format_func=lambda v: f"#{v} {problems[v]}" if v else "—") or None
        measure = c3.selectbox(tr("review.ui.lesson.link_measure"), [0, *measures], key=k + "measure",
                               format_func=lambda v: f"#{v} {measures[v]}" if v else "—") or None
        submitted = st.form_submit_button(tr("review.ui.save"), type="primary", icon=":material/save:")
    if submitted:
        values = {"kind": kind or "lesson", "title": title, "text": text, "tags": " ".join(R.split_tags(tags)),
                  "problem_id": problem, "measure_id": measure}
        try:
            R.add_item(db, "lesson", values, review_id=review.id, actor=actor())
        except R.ReviewError as error:
            show_errors(error)
            return
        flash("ok", tr("review.ui.lesson.saved", title=md(title or text[:40])))
        _reset(k)
        st.rerun()


def lessons_section(db: Database, review: R.Review | None, *, key: str) -> None:
    """Record a success or lesson for ``review``; search every review's lessons (full text and tags)."""
    L = lang()  # noqa: N806 - bound for the widgets' format functions, see choice()
    if review is not None and can_edit() and not review.closed:
        with st.expander(tr("review.ui.lesson.new"), icon=":material/lightbulb:"):
            lesson_form(db, review, key=f"{key}_new")
    st.subheader(tr("review.ui.lesson.kb"))
    c1, c2, c3 = st.columns([3, 3, 2])
    query = c1.text_input(tr("review.ui.lesson.search"), key=f"{key}_q")
    # Empty means every tag: no Streamlit "Choose options" / "Select all" in English on a Chinese page.
    tags = c2.multiselect(tr("review.ui.lesson.tags_filter"), R.all_tags(db), key=f"{key}_tags",
                          placeholder=t("review.ui.lesson.all", L), select_all=False)
    kind = c3.selectbox(tr("review.ui.lesson.kind_filter"), [None, *R.LESSON_KINDS], key=f"{key}_kind",
                        format_func=lambda v: choice("lkind", v, L) if v else t("review.ui.lesson.all", L))
    found = R.search_lessons(db, query or "", tags=tags, kind=kind)
    st.caption(tr("review.ui.lesson.found", n=len(found)))
    if found:
        st.dataframe(pd.DataFrame({
            field_label("kind"): [choice("lkind", x["kind"]).split("（")[0].split(" (")[0] for x in found],
            field_label("title"): [x.get("title") or "" for x in found],
            field_label("text"): [x["text"] for x in found],
            field_label("tags"): [x.get("tags") or "" for x in found],
            field_label("review"): [x.get("review_title") or "" for x in found],
        }), hide_index=True, width="stretch")
        if review is not None and can_edit():
            item_actions(db, "lesson", [x for x in found if x.get("review_id") == review.id], key=f"{key}_act",
                         label=tr("review.ui.lesson.pick"))


# ====================================================================== by owner


def plate_view(db: Database, *, key: str) -> None:
    """What is on one person's plate: their open measures across every review, overdue first."""
    people = R.owners(db)
    if not people:
        st.caption(tr("review.ui.plate.nobody"))
        return
    me = actor()
    _seed(f"{key}_owner", me if me in people else people[0])
    owner = st.selectbox(tr("review.ui.plate.owner"), people, key=f"{key}_owner")
    st.caption(tr("review.ui.plate.help"))
    mine = R.plate(db, owner)
    if not mine:
        st.caption(tr("review.ui.plate.empty"))
        return
    frame = measures_frame(db, mine)
    frame["carried"] = [m.get("review_title") or "" for m in mine]
    config = measures_config() | {"carried": st.column_config.TextColumn(field_label("review"))}
    st.dataframe(_overdue_style(frame), hide_index=True, width="stretch", column_config=config,
                 column_order=[c for c in frame.columns if c not in ("owner", "id")])  # the owner is picked above
