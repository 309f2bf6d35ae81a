"""Meeting mode: the active review's agenda, one step per screen, in large type for the projector.

data review → goal attainment → problems → measures → lessons → next-period targets → summary.
"""

import datetime as dt

import pandas as pd
import streamlit as st

from retro import likeforlike as L4L
from retro import metrics as M
from retro import reviews as R
from retro import scoring as S
from retro.ui import (
    active_period,
    active_review,
    can_edit,
    database,
    lang,
    md,
    num,
    set_active_review,
    tr,
    who,
)
from retro.ui import review as UR

db = database()
L = lang()
review = active_review(db)

# --------------------------------------------------------------------------- no review yet

if review is None:
    st.title(tr("meeting.title"))
    period = active_period()
    st.info(tr("meeting.no_review"), icon=":material/forum:")
    if can_edit() and period:
        grain = "quarter" if "Q" in period else "month"
        if st.button(tr("meeting.start_for", period=period), type="primary", key="meeting_create"):
            existing = R.review_for_period(db, period)
            rid = existing.id if existing else R.create_review(db, grain=grain, period=period, actor=who(), lang=L)
            set_active_review(rid)
            st.rerun()
    st.page_link("pages/review.py", label=tr("nav.review"), icon=":material/forum:")
    st.stop()

# --------------------------------------------------------------------------- frame: header, steps, type size

big = st.toggle(tr("meeting.big"), value=st.session_state.get("meeting_big", True), key="meeting_big")
if big:
    st.html("<style>html { font-size: 20px; }</style>")  # Streamlit sizes in rem: everything grows

steps = list(R.AGENDA)
if "meeting_step" not in st.session_state:  # a shared link opens on its step; afterwards the widget leads
    wanted = st.query_params.get("step")
    st.session_state["meeting_step"] = wanted if wanted in steps else steps[0]


def go(step: str) -> None:
    st.session_state["meeting_step"] = step


head, status_col = st.columns([4, 1], vertical_alignment="bottom")
head.title(md(review.title))
status_col.markdown(f"**{tr(f'meeting.status.{review.status}')}**")
if review.status == "preparing" and can_edit() and status_col.button(tr("meeting.start"), key="meeting_start"):
    R.update_review(db, review.id, {"status": "in_meeting"}, version=review.version, actor=who())
    st.rerun()
step_labels = {s: f"{i}. {tr(f'meeting.step.{s}')}" for i, s in enumerate(steps, 1)}
step = st.segmented_control(tr("meeting.agenda"), steps, format_func=step_labels.get, key="meeting_step",
                            label_visibility="collapsed") or steps[0]
st.query_params["step"] = step
index = steps.index(step)
st.progress((index + 1) / len(steps), text=tr("meeting.progress", n=index + 1, total=len(steps),
                                                  step=tr(f"meeting.step.{step}")))

editable = can_edit() and not review.closed
if review.closed:
    st.caption(tr("meeting.closed_note"))
grain, label = review.metric_grain, review.metric_period
period = M.period_start(label)
today = dt.date.today()


def pct(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value * 100:+.1f}%" if signed else f"{value * 100:.1f}%"


@st.cache_data(show_spinner=False, max_entries=16)
def _scorecard(path: str, version: int, label: str, grain: str, by: str | None) -> S.Scorecard:
    return S.scorecard(database(), label, grain, by=by)


def scorecard(by: str | None = None) -> S.Scorecard:
    return _scorecard(str(db.path), db.numbers_version(), label, grain, by)


def metric_label(name: str) -> str:
    try:
        return M.get_metric(db, name).label(L)
    except KeyError:
        return name


def kpi_what(row: S.KpiRow) -> str:
    return metric_label(row.metric) + (f" · {row.segment}" if row.segment else "")


def log_problem(row: S.KpiRow, dimension: str | None) -> int:
    """A problem for a red KPI, with its metric, segment and period set; the team fills in the rest."""
    segment = {dimension: row.segment} if dimension and row.segment else {}
    values = R.kpi_problem(row.metric, row.label, row.period, row.grain, segment=segment, what=kpi_what(row),
                           detail=tr("meeting.attainment_of", attainment=pct(row.attainment)), source="goals",
                           severity="high" if row.status == "red" else "medium")
    return R.add_item(db, "problem", values, review_id=review.id, actor=who())


def log_success(row: S.KpiRow, segment: dict[str, str]) -> int:
    """A success lesson for a KPI well beyond plan: the numbers written, what was done left to the team;
    its KPI and period stored, so that it is known as kept in any language (retro.reviews.kept_success)."""
    return R.add_item(db, "lesson", R.kpi_success_values(db, row, segment, L), review_id=review.id, actor=who())


# --------------------------------------------------------------------------- 1. data review

if step == "data":
    st.header(tr("meeting.step.data"))
    st.caption(tr("meeting.data_help", period=label))
    shown = [m for m in M.catalog(db) if m.source != "derived"][:8]
    cards = []
    for m in shown:
        card = M.kpi_card(db, m.name, period, grain=grain)
        if card.value is not None:
            cards.append((m, card))
    if not cards:
        st.info(tr("meeting.no_data", period=label))
    per_row = 3 if big else 4  # in projector type four cards a row cut the numbers ('666.35…')
    for start in range(0, len(cards), per_row):
        cols = st.columns(per_row)
        for col, (m, card) in zip(cols, cards[start:start + per_row], strict=False):
            with col.container(border=True):
                st.metric(md(m.label(L)), md(num(card.value, m.unit)), delta=None if card.mom is None else pct(card.mom, True),
                          delta_color="inverse" if m.direction == "down" else "normal",
                          delta_description=tr("meeting.mom"), chart_data=[v for _, v in card.spark if v is not None] or None,
                          chart_type="area")
                if card.yoy is not None:
                    tone = {"good": "green", "bad": "red", "flat": "gray"}[card.tone(card.yoy)]
                    st.markdown(f"{tr('meeting.yoy')} :{tone}[{md(pct(card.yoy, True))}]")
                cover = next((c for c in (card.mom_cover, card.yoy_cover) if L4L.noted(c)), None)
                if cover is not None:  # the changes compare what both periods hold: say what is missing
                    st.caption(md(tr("cover.changes", what=L4L.coverage_text(cover, L))))
    st.page_link("pages/trends.py", label=tr("meeting.open_trends"), icon=":material/trending_up:")

# --------------------------------------------------------------------------- 2. goal attainment

elif step == "goals":
    st.header(tr("meeting.step.goals"))
    card = scorecard()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(tr("meeting.overall"), pct(card.overall), help=tr("goals.overall_help"))
    if card.overall_status:  # never green while a KPI is red, its red count beside it (retro.scoring)
        dot = {"green": ":green[●]", "amber": ":orange[●]", "red": ":red[●]"}[card.overall_status]
        status = tr(f"goals.status.{card.overall_status}")
        c1.markdown(tr("score.beside", dot=dot, status=status, n=card.red) if card.red else
                    tr("score.beside_none", dot=dot, status=status))
    counts = {s: sum(1 for r in card.rows if r.status == s) for s in ("red", "amber", "green")}
    c2.metric(tr("meeting.red"), counts["red"])
    c3.metric(tr("meeting.amber"), counts["amber"])
    c4.metric(tr("meeting.green"), counts["green"])
    rows = [r for r in card.rows if r.has_target]
    if rows:
        status_col = tr("meeting.col.status")
        table = pd.DataFrame([{
            status_col: tr(f"meeting.kpi.{r.status}"),
            tr("meeting.col.metric"): metric_label(r.metric),
            tr("meeting.col.plan"): num(r.plan, r.unit),
            tr("meeting.col.actual"): num(r.actual, r.unit),
            tr("meeting.col.attainment"): pct(r.attainment),
            tr("meeting.col.deviation"): pct(r.deviation, True),
        } for r in rows])
        shade = {"red": "#f9d6d5", "amber": "#fcefc7", "green": "#d8f0dd"}  # the goals page's colours
        colours = [f"background-color: {shade[r.status]}" if r.status in shade else "" for r in rows]
        st.dataframe(table.style.apply(lambda _: colours, subset=[status_col]), hide_index=True, width="stretch")
        noted = [r for r in rows if r.coverage_text(L)]
        if noted:  # "3 of 4 regions reported": attainment on what both plan and actual hold
            st.info(md(tr("goals.like_for_like", items=[L4L.labelled(kpi_what(r), r.coverage_text(L), L)
                                                        for r in noted[:8]])), icon=":material/rule:")
    else:
        st.info(tr("meeting.no_targets", period=label))
    pv = R.process_view(db, review)
    st.subheader(tr("meeting.process"))
    if not pv.tasks:
        st.caption(tr("meeting.process_none"))
    else:
        p1, p2, p3 = st.columns(3)
        p1.metric(tr("meeting.task_completion"), pct(pv.completion), help=tr("meeting.task_completion_help"))
        p2.metric(tr("meeting.task_progress"), pct(pv.progress))
        p3.metric(tr("meeting.budget_use"), pct(pv.budget_use),
                  help=tr("meeting.budget_use_help", used=num(pv.budget_used), budget=num(pv.budget)))
    st.page_link("pages/goals.py", label=tr("meeting.open_goals"), icon=":material/flag:")

# --------------------------------------------------------------------------- 3. problems

elif step == "problems":
    st.header(tr("meeting.step.problems"))
    dims = M.dimensions(db)
    by = st.selectbox(tr("meeting.by"), [None, *dims], format_func=lambda d: tr("meeting.total") if d is None else d,
                      index=1 if dims else 0, key="meeting_by")
    flagged = S.needs_analysis(scorecard().rows) + (S.needs_analysis(scorecard(by).rows) if by else [])
    problems = R.items(db, "problem", review.id)
    st.subheader(tr("meeting.red_kpis"))
    if not flagged:
        st.caption(tr("meeting.no_red", period=label))
    for i, row in enumerate(flagged):
        dimension = by if row.segment else None
        segment = {dimension: row.segment} if dimension else {}
        left, right = st.columns([4, 1], vertical_alignment="center")
        dot = {"red": ":red[●]", "amber": ":orange[●]", "green": ":green[●]"}.get(row.status, ":gray[○]")
        left.markdown(f"{dot} **{md(kpi_what(row))}** — {tr('meeting.attainment_of', attainment=pct(row.attainment))} · "
                      f"{md(num(row.actual, row.unit))} / {md(num(row.plan, row.unit))}"
                      + (f" · {md(row.coverage_text(L))}" if row.coverage_text(L) else ""))
        if row.status == "green":  # beyond plan by more than 10%: what went right is a lesson to keep
            if R.kpi_success_kept(db, review.id, row, segment):
                right.caption(tr("meeting.success_logged"))
            elif editable and right.button(tr("meeting.log_success"), key=f"success_{i}",
                                           help=tr("meeting.log_success_help")):
                log_success(row, segment)
                st.toast(tr("meeting.success_logged_toast"))
                st.rerun()
        elif R.logged_problem(db, review.id, row.metric, segment, row.period, row.grain):
            right.caption(tr("meeting.logged"))
        elif editable and right.button(tr("meeting.log_problem"), key=f"log_{i}"):
            pid = log_problem(row, dimension)
            st.session_state["meeting_focus_problem"] = pid
            st.toast(tr("meeting.problem_logged"))
            st.rerun()
    st.subheader(tr("meeting.problems_of", n=len(problems)))
    focus = st.session_state.get("meeting_focus_problem")
    for p in problems:
        badge = tr("meeting.carried") if p["carried"] else ""
        status = tr("meeting.pstatus." + p["status"])
        with st.expander(f"{md(p['title'])} · {status} {badge}", expanded=p["id"] == focus):
            if editable:
                UR.problem_form(db, review, item=p, key=f"meeting_p{p['id']}")
            else:
                UR.problem_causes(p)
    if editable:
        with st.expander(tr("meeting.new_problem"), expanded=not problems and not flagged):
            UR.problem_form(db, review, key="meeting_new_problem")

# --------------------------------------------------------------------------- 4. measures

elif step == "measures":
    st.header(tr("meeting.step.measures"))
    UR.measures_table(db, review, key="meeting_measures", read_only=not editable)
    if editable:
        problems = R.items(db, "problem", review.id)
        choices = [None, *[p["id"] for p in problems]]
        titles = {p["id"]: p["title"] for p in problems}
        default = st.session_state.get("meeting_focus_problem")
        pid = st.selectbox(tr("meeting.for_problem"), choices, index=choices.index(default) if default in choices else 0,
                           format_func=lambda i: tr("meeting.free_standing") if i is None else f"#{i} {titles[i]}",
                           key="meeting_measure_problem")
        with st.container(border=True):
            st.markdown(f"**{tr('meeting.new_measure')}**")
            UR.measure_form(db, review, problem_id=pid, key="meeting_new_measure", pick_problem=False)

# --------------------------------------------------------------------------- 5. lessons

elif step == "lessons":
    st.header(tr("meeting.step.lessons"))
    UR.lessons_section(db, review, key="meeting_lessons")

# --------------------------------------------------------------------------- 6. next-period targets

elif step == "targets":
    nxt_args = R.next_period_args(review)
    nxt_label = nxt_args.get("period") or M.period_label(nxt_args["start"], "month")
    st.header(tr("meeting.step.targets"))
    st.caption(tr("meeting.targets_help", period=nxt_label))
    try:
        nxt = S.scorecard(db, nxt_label)
        targets = [r for r in nxt.rows if r.plan_full is not None or r.plan is not None]
    except (KeyError, ValueError):
        targets = []
    if targets:
        st.dataframe(pd.DataFrame([{
            tr("meeting.col.metric"): metric_label(r.metric),
            tr("meeting.col.plan"): num(r.plan_full if r.plan_full is not None else r.plan, r.unit),
            tr("meeting.col.source"): tr(f"meeting.source.{r.target_source or 'none'}"),
            tr("meeting.col.owner"): r.owner or "",
        } for r in targets]), hide_index=True, width="stretch")
    else:
        st.info(tr("meeting.no_next_targets", period=nxt_label))
    st.page_link("pages/goals.py", label=tr("meeting.set_targets"), icon=":material/flag:")

# --------------------------------------------------------------------------- 7. summary

elif step == "summary":
    st.header(tr("meeting.step.summary"))
    draft_key = f"meeting_summary_{review.id}_{review.version}"
    if draft_key not in st.session_state:
        st.session_state[draft_key] = review.summary or R.summary_draft(db, review, L)
    text = st.text_area(tr("meeting.summary"), key=draft_key, height=320, disabled=not editable,
                        help=tr("meeting.summary_help"))
    if editable:
        c1, c2, c3 = st.columns(3)
        if c1.button(tr("meeting.save_summary"), type="primary", key="meeting_save_summary"):
            try:
                R.update_review(db, review.id, {"summary": text}, version=review.version, actor=who())
                st.toast(tr("meeting.saved"))
                st.rerun()
            except R.Conflict:
                st.error(tr("meeting.summary_conflict"))
                st.text_area(tr("meeting.theirs"), value=R.get_review(db, review.id).summary or "", disabled=True)
            except R.ReviewError as error:
                for message in error.messages(L):
                    st.error(message)

        def redraft() -> None:  # a callback: it runs before the text area exists again
            st.session_state[draft_key] = R.summary_draft(db, review, L)

        c2.button(tr("meeting.redraft"), key="meeting_redraft", help=tr("meeting.redraft_help"), on_click=redraft)
        if c3.button(tr("meeting.close"), key="meeting_close"):
            try:
                R.update_review(db, review.id, {"summary": text, "status": "closed"}, version=review.version, actor=who())
                st.rerun()
            except R.Conflict:
                st.error(tr("meeting.summary_conflict"))
    if review.closed and can_edit() and st.button(tr("meeting.open_next"), type="primary", key="meeting_next"):
        nid = R.open_next_review(db, review.id, actor=who(), lang=L)
        set_active_review(nid)
        st.session_state.pop("meeting_step", None)  # the next meeting starts at the first step,
        st.query_params.pop("step", None)  # not at the one the URL still names
        st.rerun()

# --------------------------------------------------------------------------- previous / next

UR.show_flash()  # what the forms above saved (or the undo of a row deleted in a table), next to them
st.divider()
back, _, forward = st.columns([1, 3, 1])
if index > 0:
    back.button(f"← {tr(f'meeting.step.{steps[index - 1]}')}", key="meeting_back", on_click=go, args=(steps[index - 1],),
                width="stretch")
if index < len(steps) - 1:
    forward.button(f"{tr(f'meeting.step.{steps[index + 1]}')} →", key="meeting_forward", on_click=go,
                   args=(steps[index + 1],), type="primary", width="stretch")
