"""Review workspace: the active review's problems (with 5 Whys and fishbone), measures (checked
against the data), strategy tasks, lessons, what is on each owner's plate, history and the bin."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from retro import metrics as M
from retro import reviews as R
from retro.i18n import t
from retro.ui import (
    active_period,
    active_review,
    available_periods,
    can_edit,
    database,
    lang,
    md,
    set_active_review,
    tr,
)
from retro.ui import review as U

db = database()
L = lang()  # bound into the widgets' format functions (AppTest calls them outside the run)
review = active_review(db)

st.title(md(review.title) if review else tr("nav.review"), anchor=False)
U.show_flash()


def create_review_form() -> None:
    """A review for the active period (month or quarter), or a custom range.

    Its fields start from session state (retro.ui.review's module doc): once a review is created
    they are forgotten and seeded again, so the browser shows the form empty, not the last title."""
    for name, blank in (("rv_new_grain", "month"), ("rv_new_title", ""), ("rv_new_meeting", None),
                        ("rv_new_attendees", "")):
        if name not in st.session_state:
            st.session_state[name] = blank
    c1, c2 = st.columns([2, 3])
    grain = c1.segmented_control(tr("review.ui.grain"), R.REVIEW_GRAINS, key="rv_new_grain",
                                 format_func=lambda v: t(f"review.ui.grain.{v}", L)) or "month"
    months = available_periods(db)
    period = start = end = None
    if grain == "month":
        options = list(dict.fromkeys([p for p in (active_period(), *months) if p]))
        if not options:
            options = [M.period_label(dt.date.today(), "month")]
        period = c2.selectbox(tr("review.ui.period"), options, key="rv_new_month")
    elif grain == "quarter":
        options = list(dict.fromkeys(M.period_label(M.period_start(p), "quarter") for p in
                                     [p for p in (active_period(), *months) if p] or [M.period_label(dt.date.today(), "month")]))
        period = c2.selectbox(tr("review.ui.period"), options, key="rv_new_quarter")
    else:
        picked = c2.date_input(tr("review.ui.range"), value=(), key="rv_new_range", format="YYYY-MM-DD")
        if isinstance(picked, tuple) and len(picked) == 2:
            start, end = picked
    try:
        first, last = R.period_range(grain, period, start, end)
        default = R.default_title(grain, first, last, lang())
    except (ValueError, TypeError):
        default = ""
    c1, c2, c3 = st.columns([3, 2, 3])
    title = c1.text_input(tr("review.field.title"), key="rv_new_title", placeholder=tr("review.ui.title_placeholder", title=default),
                          max_chars=200)
    meeting = c2.date_input(tr("review.field.meeting_date"), value=None, key="rv_new_meeting", format="YYYY-MM-DD")
    attendees = c3.text_input(tr("review.field.attendees"), key="rv_new_attendees",
                              placeholder=tr("review.ui.attendees_placeholder"))
    if st.button(tr("review.ui.create_button"), type="primary", icon=":material/add:", key="rv_new_create"):
        try:
            new_id = R.create_review(db, grain=grain, period=period, start=start, end=end, title=title or None,
                                     meeting_date=meeting, attendees=attendees, actor=U.actor(), lang=lang())
        except R.ReviewError as error:
            U.show_errors(error)
            return
        created = R.get_review(db, new_id)
        carried = sum(len([x for x in U.items(db, kd, new_id) if x["carried"]]) for kd in ("problem", "measure", "task"))
        U.flash("ok", tr("review.ui.created", title=md(created.title), n=carried))
        set_active_review(new_id)
        for name in [k for k in st.session_state if str(k).startswith("rv_new_")]:
            del st.session_state[name]
        st.rerun()


if review is None:
    st.caption(tr("review.ui.caption"))
    st.info(tr("review.ui.no_review"), icon=":material/forum:")
    if can_edit():
        with st.container(border=True):
            st.markdown(f"**{tr('review.ui.create')}**")
            create_review_form()
    else:
        st.info(tr("review.ui.read_only"), icon=":material/visibility:")
    st.stop()

# --------------------------------------------------------------------------- the review's header

st.caption(tr("review.ui.header", period=review.label, status=tr(f"review.ui.status.{review.status}"),
              date=review.meeting_date.isoformat() if review.meeting_date else "—", attendees=md(review.attendees or "—")))
if review.closed:
    st.warning(tr("review.ui.closed_note"), icon=":material/lock:")
if not can_edit():
    st.info(tr("review.ui.read_only"), icon=":material/visibility:")
else:
    head = st.columns([3, 2, 2], vertical_alignment="bottom")
    head[0].text_input(tr("review.ui.actor"), key="review_actor_name", max_chars=40)
    status = head[1].segmented_control(tr("review.field.status"), R.REVIEW_STATUSES, default=review.status,
                                       key=f"rv_status_{review.id}_{review.version}",
                                       format_func=lambda v: t(f"review.ui.status.{v}", L))
    if status and status != review.status:
        try:
            R.update_review(db, review.id, {"status": status}, version=review.version, actor=U.actor())
            U.flash("ok", tr("review.ui.saved"))
        except R.Conflict as conflict:  # someone changed the review since this page was drawn: theirs stays
            U.flash("error", tr("review.ui.conflict", title=md(review.title), who=md(conflict.theirs.get("actor") or "?"),
                                when=str(conflict.theirs.get("updated_at") or "")[:19]))
        st.rerun()
    if head[2].button(tr("review.ui.next"), help=tr("review.ui.next_help"), icon=":material/skip_next:", key="rv_next"):
        next_id = R.open_next_review(db, review.id, actor=U.actor(), lang=lang())
        U.flash("ok", tr("review.ui.next_opened", title=md(R.get_review(db, next_id).title)))
        set_active_review(next_id)
        st.rerun()
    with st.expander(tr("review.ui.edit_review"), icon=":material/edit:"):
        base_key = f"rv_edit_base_{review.id}"
        base = st.session_state.setdefault(base_key, review)
        with st.form(f"rv_edit_{review.id}_{base.version}", border=False):
            c1, c2, c3 = st.columns([3, 2, 3])
            title = c1.text_input(tr("review.field.title"), value=base.title, max_chars=200)
            meeting = c2.date_input(tr("review.field.meeting_date"), value=base.meeting_date, format="YYYY-MM-DD")
            attendees = c3.text_input(tr("review.field.attendees"), value=base.attendees or "")
            saved = st.form_submit_button(tr("review.ui.save"), type="primary", icon=":material/save:")
        if saved:
            try:
                # A newer version that changed none of the form's fields (the status, set here or in
                # meeting mode) is no one else's edit of them; saving over it is no conflict.
                untouched = all(getattr(base, f) == getattr(review, f) for f in ("title", "meeting_date", "attendees"))
                R.update_review(db, review.id, {"title": title, "meeting_date": meeting, "attendees": attendees},
                                version=review.version if untouched else base.version, actor=U.actor())
                U.flash("ok", tr("review.ui.saved"))
            except R.Conflict as conflict:
                U.flash("error", tr("review.ui.conflict", title=md(base.title), who=md(conflict.theirs.get("actor") or "?"),
                                    when=str(conflict.theirs.get("updated_at") or "")[:19]))
            except R.ReviewError as error:
                U.flash("error", "\n".join(md(m) for m in error.messages(lang())))
            st.session_state.pop(base_key, None)
            st.rerun()
    with st.expander(tr("review.ui.create"), icon=":material/add:"):
        create_review_form()

# --------------------------------------------------------------------------- the work

problems = U.items(db, "problem", review.id)
measures = U.items(db, "measure", review.id)
preset = U.preset_from_query()
# Labels without counts: a label that changes when an item is added makes the browser show the first tab.
tabs = st.tabs([tr("review.ui.tab.problems"), tr("review.ui.tab.measures"), tr("review.ui.tab.tasks"),
                tr("review.ui.tab.lessons"), tr("review.ui.tab.plate"), tr("review.ui.tab.history")])
open_items = can_edit() and not review.closed

with tabs[0]:
    if open_items:
        with st.expander(tr("review.ui.problem.new"), expanded=preset is not None or not problems, icon=":material/add_circle:"):
            U.problem_form(db, review, preset=preset, key="rv_problem_new")
    U.problems_table(db, review, key="rv_problems")
    if problems:
        picked = U.item_actions(db, "problem", problems, key="rv_problem_act", label=tr("review.ui.problem.pick"),
                                tools=False)
        if picked:
            with st.container(border=True):
                st.subheader(md(picked["title"]), anchor=False)
                U.problem_causes(picked)
                st.markdown(f"**{tr('review.ui.kind.measure')}**")
                U.measures_table(db, review, problem_id=picked["id"], key=f"rv_problem_measures_{picked['id']}")
                if open_items:
                    with st.expander(tr("review.ui.measure.new"), icon=":material/add_task:"):
                        U.measure_form(db, review, problem_id=picked["id"], key=f"rv_problem_measure_new_{picked['id']}")
                    with st.expander(tr("review.ui.problem.edit"), icon=":material/edit:"):
                        U.problem_form(db, review, item=picked, key=f"rv_problem_edit_{picked['id']}")
                U.item_tools(db, "problem", picked, key="rv_problem_act")

with tabs[1]:
    U.measures_table(db, review, key="rv_measures", rows=measures)
    if open_items:
        with st.expander(tr("review.ui.measure.new"), expanded=not measures, icon=":material/add_task:"):
            U.measure_form(db, review, key="rv_measure_new")
    if measures:
        picked = U.item_actions(db, "measure", measures, key="rv_measure_act", label=tr("review.ui.measure.pick"))
        if picked and open_items:
            with st.expander(tr("review.ui.measure.edit"), icon=":material/edit:"):
                U.measure_form(db, review, item=picked, key=f"rv_measure_edit_{picked['id']}")

with tabs[2]:
    st.subheader(tr("review.ui.task.plan"))
    U.task_section(db, review, key="rv_tasks")

with tabs[3]:
    U.lessons_section(db, review, key="rv_lessons")

with tabs[4]:
    U.plate_view(db, key="rv_plate")

with tabs[5]:
    U.history_section(db, review, key="rv_history")
    U.deleted_section(db, review, key="rv_bin")
