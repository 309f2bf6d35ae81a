"""Streamlit helpers shared by the pages: database, sidebar, the server. The ``retro.ui`` package
(this module, signin, text, trends, goals, review) and ``pages/`` are the only code importing
Streamlit; everything else in retro is plain Python, tested directly and used by the CLI."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from .. import access, guard
from ..bootstrap import clean_leftovers_once, ensure_first_start
from ..db import (
    Database,
    DatabaseUnavailable,
    data_dir,
    default_db_path,
    default_db_target,
    get_database,
    is_postgres_url,
)
from ..i18n import LANGS, t
from ..memo import shared
from .signin import can_edit, gate, gate_needed, who  # noqa: F401
from .text import (  # noqa: F401 - the pages take the text helpers from here
    _inert,
    error_text,
    lang,
    listed,
    md,
    num,
    reading_markdown,
    tr,
    warning_text,
)

_this_run = threading.local()  # the database app.py checked for the script run going on in this thread


def database() -> Database:
    """The process's database (:func:`retro.db.default_db_target`: RETRO_DB, a DuckDB file or a PostgreSQL
    URL, else the secrets file's ``[connections.retro]``, else data/retro.duckdb), sample loaded on a first start.

    When the file is held by another process, DuckDB invalidated the connection, or the PostgreSQL server
    cannot be reached, the page says so
    in the user's language and stops; the next rerun tries again (a fresh connection), no restart.
    Within :func:`checked_for_this_run` (app.py around the page) it is the database checked there."""
    checked = getattr(_this_run, "db", None)
    if checked is not None:
        return checked
    try:
        target = default_db_target()
        if not is_postgres_url(target):  # a killed restore's or backup's files beside the file, once per start
            clean_leftovers_once(target)
        db = get_database(target)
        if not db.alive():  # invalidated or closed since the last run (another session's restore): reopen
            db = get_database(target)
        if not st.session_state.get("_first_start_checked"):
            ensure_first_start(db)
            st.session_state["_first_start_checked"] = True
    except DatabaseUnavailable as exc:
        unavailable(exc)
    restored = st.session_state.pop("_db_restored", None)
    if restored:  # the fault page's restore worked: say from what, and where the replaced file is
        st.success(restored, icon=":material/settings_backup_restore:")
    return db


@contextmanager
def checked_for_this_run(db: Database) -> Iterator[None]:
    """While app.py runs the page, :func:`database` is ``db``, just checked by app.py: the page's own
    call does not check the connection again (a query, ~0.5 ms of every rerun). A break after the
    check surfaces as DatabaseUnavailable from the query that meets it, as it would anyway."""
    _this_run.db = db
    try:
        yield
    finally:
        _this_run.db = None


def unavailable(exc: DatabaseUnavailable) -> None:
    """Say the database cannot be used right now, and what to do — try again (a click reruns:
    reconnects) once the file is free, writable or has space; a damaged file: restore the latest
    backup, in one click for an editor — then stop."""
    st.error(tr(f"safety.db_{exc.code}", **_inert(exc.params)), icon=":material/database_off:")
    if exc.code == "corrupted":
        _offer_restore()
    st.button(tr("safety.retry"), icon=":material/refresh:", key="_db_retry")
    st.stop()


def _offer_restore() -> None:
    from ..backup import BackupError, backups_dir, latest_backup, restore

    path = default_db_path()
    found = latest_backup(path)
    if found is None:
        st.info(tr("safety.db_no_backup", folder=md(backups_dir(path))), icon=":material/backup:")
        return
    folder, manifest = found
    st.info(tr("safety.db_latest_backup", name=md(folder.name), created=manifest.get("created", "?"),
               rows=sum(int(n) for n in manifest["tables"].values())), icon=":material/backup:")
    if can_edit() and st.button(tr("safety.db_restore_latest"), type="primary", key="_db_restore_latest",
                                icon=":material/settings_backup_restore:"):
        try:
            kept = restore(path, folder)
        except (BackupError, DatabaseUnavailable) as failure:
            key = f"safety.backup.error.{failure.code}" if isinstance(failure, BackupError) else f"safety.db_{failure.code}"
            st.error(tr(key, **_inert(failure.params)))
            return
        st.cache_data.clear()  # what was cached describes the damaged file's data
        st.session_state["_db_restored"] = tr("safety.db_restored", name=md(folder.name), kept=md(kept or "—"))
        st.session_state.pop("_first_start_checked", None)
        st.rerun()


@shared(32)
def _periods_and_summary(path: str, version: int) -> tuple[list[str], tuple]:
    """The sidebar's queries scan every stored value: once per numbers' version (imports, undo, restore:
    a review edit leaves the facts as they are), not once per rerun."""
    db = get_database(path)
    summary = db.one("SELECT count(*), count(DISTINCT metric), min(period), max(period) FROM current_facts")
    return _available_periods(db), summary


def available_periods(db: Database) -> list[str]:
    """Months with data, newest first; months that only have a plan come after the actual ones."""
    return _periods_and_summary(str(db.path), db.numbers_version())[0]


def _available_periods(db: Database) -> list[str]:
    # The month as a date, written YYYY-MM here: strftime is DuckDB's, to_char PostgreSQL's.
    rows = db.rows(
        """SELECT CAST(date_trunc('month', period) AS DATE) AS month, bool_or(scenario = 'actual') AS has_actual
           FROM current_facts WHERE grain IN ('month', 'day') GROUP BY 1
           ORDER BY has_actual DESC, month DESC"""
    )
    return [f"{r[0]:%Y-%m}" for r in rows]


@shared(16)
def _reviews(path: str, version: int) -> list:
    """The reviews the sidebar offers: once per data version (every review edit bumps it), not per rerun."""
    from .. import reviews

    return reviews.reviews(get_database(path))


@shared(16)
def _defaults(path: str, version: int, today: str) -> tuple[str | None, str | None, int | None]:
    """What a new session opens on (retro.defaults: from the facts and imports alone): once per numbers'
    version and day, not per rerun."""
    from .. import defaults

    db = get_database(path)
    when = dt.date.fromisoformat(today)
    return defaults.default_period(db, when), defaults.default_metric(db), defaults.latest_import(db)


def _opening_defaults(db: Database) -> tuple[str | None, str | None, int | None]:
    return _defaults(str(db.path), db.numbers_version(), dt.date.today().isoformat())


def default_period(db: Database) -> str | None:
    """The month a session opens on when the team has none: the latest import's newest complete month
    (retro.defaults), else the newest month with actual data (the first of :func:`available_periods`)."""
    periods = available_periods(db)
    wanted = _opening_defaults(db)[0]
    return wanted if wanted in periods else (periods[0] if periods else None)


def default_metric(db: Database, names: list[str]) -> str | None:
    """The metric a page opens on: the latest import's main metric (retro.defaults) when ``names``
    offers it, else the first of ``names``."""
    wanted = _opening_defaults(db)[1]
    return wanted if wanted in names else (names[0] if names else None)


def active_period() -> str | None:
    return st.session_state.get("period")


def sidebar(db: Database) -> Any:
    """Language switch, active review and period (the team's, see retro.defaults), and what the
    database holds. Returns the sidebar's first slot, for :func:`share_link` once the page has put its
    view in the URL."""
    with st.sidebar:
        slot = st.empty()  # first: the share popover opens downwards, with room for the code
        current = lang()
        if st.session_state.get("_role"):
            st.caption(tr("gate.signed_in", who=md(who()), role=tr(f"gate.role.{access.current_role()}")))
        choice = st.segmented_control(
            t("sidebar.language", current),
            options=list(LANGS),
            format_func=lambda code: {"zh": "中文", "en": "English"}[code],
            default=current,
            key="_lang_choice",
        )
        if choice and choice != current:
            st.session_state["lang"] = choice
            st.query_params["lang"] = choice
            st.rerun()
        periods = available_periods(db)
        _follow_team(db, periods)
        _review_choice(db, periods)
        if periods:
            wanted = st.query_params.get("period") or st.session_state.get("period")
            if wanted not in periods:
                wanted = default_period(db)
            before = st.session_state.get("period")
            period = st.selectbox(tr("sidebar.period"), periods, index=periods.index(wanted),
                                  key=_picker_key("_period_choice"), help=tr("sidebar.period_help"))
            st.session_state["period"] = period
            if st.query_params.get("period") != period:
                st.query_params["period"] = period
            if before in periods and period != before:  # picked here: the team's period now
                _share(db)
            summary = _periods_and_summary(str(db.path), db.numbers_version())[1]
            st.caption(tr("sidebar.data", facts=num(summary[0], compact=False), metrics=summary[1],
                          period_min=str(summary[2])[:7], period_max=str(summary[3])[:7]))
        else:
            st.session_state["period"] = None
            st.caption(tr("sidebar.no_data"))
    return slot


def share_link(slot: Any) -> None:
    """Opened on a network address: this view's link and its QR code, to put on the projector. Drawn
    into the sidebar's first slot after the page ran, so the link has the view the page just wrote."""
    from .. import share

    url = getattr(st.context, "url", None)
    if not share.is_shared(url):
        return
    link = share.view_link(url, st.query_params.to_dict())
    with slot.container(), st.popover(tr("share.button"), icon=":material/qr_code_2:", width="stretch"):
        st.caption(tr("share.body"))
        st.code(link, language=None, wrap_lines=True)
        st.image(share.qr_png(link), width=220)


def _review_choice(db: Database, periods: list[str]) -> None:
    """The active review (newest first, or none), kept in the session, the URL (?review=ID) and,
    when chosen here, the team's view.

    Choosing one moves the active period to the review's when that period has data."""
    found = _reviews(str(db.path), db.data_version())
    if not found:  # nothing to choose yet: no picker holding only "(none)"
        st.session_state["review_id"] = None
        return
    ids = [None, *(r.id for r in found)]
    # The status first: a long title runs out of the sidebar's width ("… · In meetin" at 1366 px).
    titles = {r.id: f"{tr('review.ui.status.' + r.status)} · {r.title}" for r in found}
    wanted = st.session_state.get("review_id")  # a link's ?review= was read by _follow_team
    if wanted not in ids:
        wanted = None
    none = tr("review.ui.none")
    # A changed choice made elsewhere (set_active_review) draws a picker under a new key: a fresh
    # widget shows it, where the old one would keep the browser's previous choice and send it back.
    chosen = st.selectbox(tr("review.ui.sidebar"), ids, index=ids.index(wanted), key=_picker_key("_review_choice"),
                          format_func=lambda v: titles[v] if v else none,
                          help=tr("review.ui.sidebar_help"))
    st.session_state["review_id"] = chosen
    if chosen is None:
        st.query_params.pop("review", None)
    elif st.query_params.get("review") != str(chosen):
        st.query_params["review"] = str(chosen)
    if chosen is not None and st.session_state.get("_review_applied") != chosen:
        st.session_state["_review_applied"] = chosen
        label = next(r for r in found if r.id == chosen).metric_period
        if label in periods and st.session_state.get("period") != label:
            st.session_state["period"] = label
            st.query_params["period"] = label
            st.session_state["_picker_generation"] = st.session_state.get("_picker_generation", 0) + 1
    elif chosen is None:
        st.session_state["_review_applied"] = None
    if chosen != wanted:  # picked here: the team's review (and its period) now
        _share(db)


def _follow_team(db: Database, periods: list[str]) -> None:
    """A new session opens on the team's view (retro.defaults), a link's ?period= and ?review=
    overriding it for this session; an open session follows when another one changes the view or
    new data arrives (the latest import changes), on its next rerun."""
    from .. import defaults

    month, _metric, latest = _opening_defaults(db)
    opening = defaults.resolve(defaults.team_view(db), latest, periods, _reviews(str(db.path), db.data_version()),
                               default_period(db), latest_has_month=month in periods)
    seen = st.session_state.get("_team_token")
    if seen == opening.token:
        return
    st.session_state["_team_token"] = opening.token
    review, period, apply_review = opening.review_id, opening.period, False
    if seen is None:
        raw = st.query_params.get("review")
        if raw and raw.isdigit():
            review = int(raw)
        linked = st.query_params.get("period")
        if linked in periods:
            period = linked
        elif raw and raw.isdigit():
            apply_review = True  # a link to a review alone opens on the review's period (_review_choice)
    elif (review, period) != (st.session_state.get("review_id"), st.session_state.get("period")):
        # A fresh widget shows the new choice: the old one would keep the browser's and send it back.
        st.session_state["_picker_generation"] = st.session_state.get("_picker_generation", 0) + 1
        if seen[0] != opening.token[0] and period:
            # Only a colleague's change is said: an import or an undo here says what it did itself
            # (and a toast drawn after its st.rerun would take the place of the page's own).
            st.toast(tr("sidebar.followed_team", period=period), icon=":material/sync:")
    st.session_state["review_id"] = review
    st.session_state["_review_applied"] = None if apply_review else review
    st.session_state["period"] = period
    if period is not None and st.query_params.get("period") != period:
        st.query_params["period"] = period


def _share(db: Database, **changes: Any) -> None:
    """This session's period and review become the team's (others follow on their next rerun). An
    editor's choice only: a viewer's stays in their session, viewers change nothing."""
    from .. import defaults

    if not can_edit():
        return
    view = {"period": st.session_state.get("period"), "review_id": st.session_state.get("review_id"), **changes}
    shared_view = defaults.share_view(db, actor=who(), **view)
    st.session_state["_team_token"] = defaults.token(shared_view, shared_view.import_id)


def _picker_key(name: str) -> str:
    generation = st.session_state.get("_picker_generation", 0)
    return name if not generation else f"{name}_{generation}"


def active_review(db: Database) -> Any:
    """The review chosen in the sidebar (a ``retro.reviews.Review``), or None."""
    from .. import reviews

    review_id = st.session_state.get("review_id")
    return reviews.get_review(db, review_id) if review_id is not None else None


def set_active_review(review_id: int | None) -> None:
    """Make ``review_id`` the active review from the next run on (call st.rerun() after)."""
    from .. import reviews

    st.session_state["review_id"] = review_id
    st.session_state["_picker_generation"] = st.session_state.get("_picker_generation", 0) + 1
    if review_id is None:
        st.query_params.pop("review", None)
    else:
        st.query_params["review"] = str(review_id)
    db = database()
    review = reviews.get_review(db, review_id) if review_id is not None else None
    label = review.metric_period if review else None
    # The team's view gets the period the next run moves to (the review's, when it has data).
    _share(db, period=label if label in available_periods(db) else st.session_state.get("period"))


def placeholder(what_key: str) -> None:
    st.info(tr("placeholder.body", what=tr(what_key)), icon=":material/construction:")


APP = Path(__file__).resolve().parents[2] / "app.py"
# The favicon, served by this server: a material icon would be fetched from Google's font CDN by every browser.
ICON = Path(__file__).resolve().parent / "icon.png"
SWITCH_INTERVAL = 0.0005  # seconds; Python's default is 0.005 (see serve)


def lock_free_config_reads() -> bool:
    """Make Streamlit's ``config.get_option`` read the parsed options without its process-wide lock.

    Every element a script sends reads an option (``forward_msg_cache``), and ``get_option`` takes
    ``config._config_lock`` each time. With twenty sessions running at once, a script thread that
    loses the GIL while holding that lock makes the others queue on it, and each hand-off then waits
    for a GIL switch: in the load test (bench/README.md, session 4) nine of ten running scripts were
    parked there while the server used a third of a core. Streamlit's reviewers proposed this same
    fast path (streamlit/streamlit#2860). The options are parsed once before the server starts
    (the file watcher that could re-parse them is off in config.toml), and a value is read atomically.
    Returns False, leaving Streamlit as it is, if its internals are not the ones this was written for.
    """
    from streamlit import config

    locked = getattr(config, "_get_option_locked", config.get_option)
    if not hasattr(config, "_config_options"):
        return False

    def get_option(key: str) -> Any:
        options = config._config_options
        if not options or key not in options:  # not parsed yet, or an unknown key: Streamlit's path and error
            return locked(key)
        return options[key].value

    config._get_option_locked = locked
    config.get_option = get_option
    return True


def serve(argv: list[str] | None = None) -> None:
    """``python -m retro.ui [streamlit options]``: ``streamlit run app.py`` with Streamlit's legacy
    ``pages/`` mode off from the start, behind the door of retro.ui.http_gate.

    Streamlit 1.67 decides at start-up that a ``pages/`` folder beside the entry means the old
    automatic page list, and keeps it until a run of app.py calls st.navigation: so the first
    request after a start that opens a sub-page (a shared link to /history) would run that page
    alone, without app.py's sidebar. Turning the flag off before the server starts closes that gap.

    The server (uvicorn running Streamlit's Starlette app) answers only to this machine's names
    (and its LAN address when shared); shared (any address but loopback: ``make share``) it serves
    HTTPS, and refuses to start without a way in that passes retro.share.share_problems. It makes
    no call out (Streamlit's external-IP lookup is off) and logs no session id.
    """
    from streamlit import net_util
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    from .. import share
    from . import http_gate

    args = list(sys.argv[1:] if argv is None else argv)
    plan = share.plan(args, os.environ, _secrets_for_start(args), data_dir(), share.lan_address())
    if plan.problems:
        for key in plan.problems:
            print(f"error: {t(key, 'zh', min=guard.MIN_PASSCODE)}\n       {t(key, 'en', min=guard.MIN_PASSCODE)}",
                  file=sys.stderr)
        raise SystemExit(2)
    # The lookup of this machine's public address (checkip.amazonaws.com) that Streamlit makes to
    # print an "External URL" or to judge a cross-origin websocket: an offline app calls nobody.
    net_util.get_external_ip = lambda: None
    if not http_gate.install() and plan.shared:
        print("error: this Streamlit version cannot be put behind retro's gate; not sharing", file=sys.stderr)
        raise SystemExit(2)
    _redact_session_ids(http_gate.RedactSessionIds())
    if plan.shared and plan.link:
        print(f"==> share this link: {plan.link}  ({t('gate.tls', 'en', fingerprint=plan.fingerprint or '-')})")
        print(f"    {t('gate.tls', 'zh', fingerprint=plan.fingerprint or '-')}")
        share.main([plan.link])
    PagesManager.uses_pages_directory = False
    lock_free_config_reads()
    # Each of a run's many waits (a DuckDB query, a message handed to the event loop) gives the GIL
    # away, and taking it back can wait until the thread holding it switches: up to 5 ms by default,
    # 0.5 ms with this. Set with the other load fixes of session 4; its own share was not measured.
    sys.setswitchinterval(SWITCH_INTERVAL)
    sys.argv = ["streamlit", "run", str(APP), *plan.args]
    cli.main()


def _secrets_for_start(args: list[str]) -> dict[str, Any]:
    """The secrets file(s) Streamlit will read (``--secrets.files`` or .streamlit/secrets.toml), for
    the checks before it starts; an unreadable file counts as none (Streamlit will say so)."""
    import tomllib

    from .. import share

    given = share.option(args, "secrets.files")
    paths = [Path(given)] if given else [APP.parent / ".streamlit" / "secrets.toml"]
    merged: dict[str, Any] = {}
    for path in paths:
        try:
            merged.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return merged


def _redact_session_ids(redact: logging.Filter) -> None:
    """Every Streamlit logger, now and later, drops session ids from its lines (a reconnect logs
    "Session with id … is already connected"; whoever reads that id could resume the session)."""
    from streamlit import logger as st_logger
    from streamlit.runtime import websocket_session_manager  # noqa: F401 - its logger exists now

    for log in list(st_logger._loggers.values()):
        log.addFilter(redact)
    made = st_logger.get_logger

    def get_logger(name: str) -> logging.Logger:
        log = made(name)
        if redact not in log.filters:
            log.addFilter(redact)
        return log

    st_logger.get_logger = get_logger


RESTATED_COLUMNS = ("metric", "period", "segment", "scenario", "old", "new", "difference", "file_name")


def restated_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Restated values (retro.ingest.restatements) as the preview and the history show them."""
    out = frame[list(RESTATED_COLUMNS)].copy()
    out["scenario"] = out["scenario"].map(lambda v: tr(f"scenario.{v}") if v in ("actual", "plan", "forecast") else v)
    out["file_name"] = out["file_name"].map(lambda v: listed(v) if isinstance(v, list | tuple) or hasattr(v, "tolist") else v)
    return out.rename(columns={c: tr(f"restated.{c}") for c in RESTATED_COLUMNS})
