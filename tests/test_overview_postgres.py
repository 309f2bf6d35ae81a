"""The front page (retro/overview.py) and what a session opens on (retro/defaults.py) on PostgreSQL
(issue 18): the same answers as a DuckDB file holding the same imports. A real throwaway server
(tests/postgres_support.py), the real sample and workbooks through the real importer; no mocks.

Three kinds of test:
* the sample (as the first start imports it) on both engines, compared: the headline KPIs, the main
  metrics, the changes on the month before with their driver, the latest import, the default period
  and metric — for several months — and again after workbooks and an order export are imported and
  measures logged on both, numbers to 12 digits, the rest exactly;
* the team's view kept by one app server and read by another on the same PostgreSQL database (two
  processes can share one only on PostgreSQL);
* the tests of tests/test_overview.py and tests/test_defaults.py that read or write a database (not
  the AppTest sessions), run again here on a PostgreSQL copy of the sample: the same bodies and the
  same expected answers (this module's ``sample`` and ``db_file`` fixtures are PostgreSQL's)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
import shutil

import pytest
from test_defaults import (  # noqa: F401 - collected here again with this module's db_file
    MAIN,
    store,
    test_a_month_still_being_filled_in_or_not_over_is_not_complete,
    test_a_new_workbook_for_january_to_june_opens_on_june_and_its_own_metric,
    test_a_viewer_cannot_change_the_team_view,
    test_an_order_export_run_mid_month_opens_on_the_month_before,
    test_no_view_yet_the_review_in_meeting_is_the_meetings,
    test_the_sample_alone_opens_as_before_on_its_newest_month_and_sales,
    test_the_team_view_is_kept_in_the_database_and_a_newer_import_moves_a_period_without_a_review,
    workbook,
)
from test_overview import (  # noqa: F401 - collected here again with this module's sample
    test_changes_are_the_month_before_from_the_series_window,
    test_headline_kpis_are_the_goals_pages_targeted_kpis_with_its_numbers,
    test_latest_import_and_own_data,
    test_main_metrics_start_with_the_headline_kpis,
    test_open_and_overdue_measures,
)
from test_scoring_postgres import alike

from retro import defaults as D
from retro import metrics as M
from retro import overview as O
from retro import reviews as R
from retro.bootstrap import ensure_first_start
from retro.db import Database, PostgresDatabase, close_all, get_database

# --------------------------------------------------------------------------- the sample on PostgreSQL, copied per test


@pytest.fixture(scope="module")
def pg_sample_template(postgres_server):
    """A PostgreSQL database holding the sample as the first start imports it (conftest's
    ``sample_file``), used only as the template of each test's copy: one import per module."""
    url = postgres_server.create_database()
    db = get_database(url)
    assert ensure_first_start(db)
    close_all()  # CREATE DATABASE … TEMPLATE wants no one connected to it
    yield url.rsplit("/", 1)[1]
    postgres_server.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture
def pg_sample_url(postgres_server, pg_sample_template):
    """A new database that is a copy of the sample's (PostgreSQL copies its files: ~0.1 s, not an import)."""
    import psycopg
    from psycopg import sql

    name = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_server.url(), autocommit=True) as con:
        con.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name),
                                                                    sql.Identifier(pg_sample_template)))
    yield postgres_server.url(name)
    close_all()
    postgres_server.drop_database(name)


@pytest.fixture
def sample(pg_sample_url):
    """test_overview's ``sample``: the sample, opened as a new process would open it — on PostgreSQL."""
    close_all()
    return get_database(pg_sample_url)


@pytest.fixture
def db_file(pg_sample_url) -> str:
    """test_defaults' ``db_file``: what its tests open with ``fresh_db`` — here the copy's URL."""
    return pg_sample_url


def test_a_month_with_nothing_before_it_has_no_change(sample):
    """test_overview's test of the same name, its first month read in SQL both engines run (the DuckDB
    test formats it with ``strftime``)."""
    first = M.period_label(sample.scalar("SELECT min(period) FROM current_facts WHERE scenario = 'actual'"), "month")
    changes = O.changes(sample, first, ["销售额"])
    assert changes.main[0].value is not None
    assert changes.main[0].prev is None and changes.main[0].mom is None and changes.main[0].tone == "flat"
    assert changes.movers == ()


# --------------------------------------------------------------------------- both engines, compared


@pytest.fixture(scope="module")
def engines(sample_file, tmp_path_factory, pg_sample_template, postgres_server):
    """The sample in a DuckDB file (a copy of conftest's) and in a PostgreSQL database (a copy of the
    template), for the comparisons below; they write the same things into both."""
    import psycopg
    from psycopg import sql

    path = tmp_path_factory.mktemp("overview") / "sample.duckdb"
    shutil.copy(sample_file, path)
    name = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_server.url(), autocommit=True) as con:
        con.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name),
                                                                    sql.Identifier(pg_sample_template)))
    # Opened outside retro.db's registry: the per-test fixtures' close_all() leaves them open.
    duck, pg = Database(path), PostgresDatabase(postgres_server.url(name))
    yield duck, pg
    duck.close()
    pg.close()
    postgres_server.drop_database(name)


MONTHS = ["2026-10", "2026-09", "2026-01", "2025-12", "2025-06", "2025-01"]
TODAYS = [dt.date(2026, 12, 3), dt.date(2026, 6, 20), dt.date(2026, 7, 1), dt.date(2026, 10, 31)]
STAMPS = ("created_at", "updated_at", "imported_at")  # each engine's clock (docs/postgres.md)


def without_stamps(value):
    if isinstance(value, dict):
        return {k: without_stamps(v) for k, v in value.items() if k not in STAMPS}
    if isinstance(value, list | tuple):
        return type(value)(without_stamps(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return without_stamps({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    return value


def front_page(db, months: list[str] = MONTHS) -> dict:
    """What the front page and a new session read, for each of ``months``."""
    out: dict = {"latest": without_stamps(O.latest_import(db)), "own_data": O.own_data(db),
                 "latest_id": D.latest_import(db), "default_metric": D.default_metric(db),
                 "defaults": [D.default_period(db, today) for today in TODAYS]}
    latest = D.latest_import(db)
    out["complete"] = [D.complete_period(db, latest, today) for today in TODAYS]
    out["main_metric"] = D.main_metric(db, latest)
    for month in months:
        head = O.headline(db, month)
        out[month] = {"headline": head, "main": O.main_metrics(db, head), "changes": O.changes(db, month)}
    return out


def test_the_front_page_and_the_defaults_alike_on_both_engines(engines):
    duck, pg = engines
    a, b = front_page(duck), front_page(pg)
    assert not (diff := alike(a, b)), diff[:5]
    assert a["2026-10"]["headline"].rows and a["2026-10"]["changes"].driver is not None  # something to compare
    assert (a["default_metric"], a["defaults"][0]) == ("销售额", "2026-10")


def test_after_imports_and_measures_the_front_page_and_the_defaults_alike_on_both_engines(engines, tmp_path):
    """A KPI workbook with a month being filled in, then an order export run mid-month (transactions
    only: the main metric is its measure), and open, done and overdue measures in a review."""
    duck, pg = engines
    orders = "订单号,下单日期,客户ID,金额\n" + "\n".join(
        f"A{i},2026-{m:02d}-{d:02d},C{i % 4},{100 + i}" for i, (m, d) in enumerate([(4, 3), (4, 28), (5, 2), (6, 20)]))
    monday = dt.date(2026, 11, 2)
    for db in engines:
        store(db, workbook(range(1, 7), partial=7), "合同_2026-07.xlsx")
        assert D.default_metric(db) == MAIN
        review = R.create_review(db, grain="month", period="2026-10")
        for title, due, status in (("复盘华东渠道", dt.date(2026, 11, 10), "in_progress"),
                                   ("调整投放", dt.date(2026, 11, 30), "planned"),
                                   ("客户回访", dt.date(2026, 11, 5), "done"), ("旧措施", dt.date(2026, 11, 6), "verified")):
            R.add_item(db, "measure", {"title": title, "owner": "李四", "due": due, "status": status},
                       review_id=review, today=monday)
    assert not (diff := alike(front_page(duck, MONTHS[:2]), front_page(pg, MONTHS[:2]))), diff[:5]
    for today in (dt.date(2026, 11, 20), dt.date(2026, 11, 10)):
        x, y = O.measures(duck, today), O.measures(pg, today)
        assert x.count == 3 and not (diff := alike(without_stamps(x), without_stamps(y))), diff[:5]
    for db in engines:
        store(db, orders.encode("utf-8"), "orders_2026-06-20.csv")
        assert D.default_period(db) == "2026-05"  # the export reaches 20 June only
    assert not (diff := alike(front_page(duck, MONTHS[:2]), front_page(pg, MONTHS[:2]))), diff[:5]


# --------------------------------------------------------------------------- two app servers, one database


def test_a_view_shared_on_one_app_server_is_the_view_on_another(pg_sample_url):
    """Two app servers on one PostgreSQL database (each its own retro.db.PostgresDatabase, as two
    processes have): the team's view one shares is what the other opens on at its next look. Sharing a
    view does not bump the data version, so a copy kept per data version (right for a DuckDB file, which
    one process holds) kept showing the other server the view from before."""
    close_all()
    first, second = PostgresDatabase(pg_sample_url), PostgresDatabase(pg_sample_url)
    try:
        assert D.team_view(second) is None  # its first look, before anyone chose
        D.share_view(first, period="2026-08", review_id=None, actor="张三")
        seen = D.team_view(second)
        assert seen is not None and (seen.period, seen.actor, seen.revision) == ("2026-08", "张三", 1)
        D.share_view(second, period="2026-09", review_id=None, actor="李四")
        assert (D.team_view(first).period, D.team_view(first).revision) == ("2026-09", 2)
        assert D.token(D.team_view(first), D.latest_import(first)) == D.token(D.team_view(second),
                                                                             D.latest_import(second))
    finally:
        first.close()
        second.close()


def test_views_shared_at_once_on_two_app_servers_each_count_a_revision(pg_sample_url):
    """Two app servers (two processes) sharing views at the same moment: every choice is a new revision
    (a session follows a revision it has not seen), none counted twice — the revision is read and
    written in one transaction that holds the row, so the second server waits for the first and
    counts on from it. (Inside one process a lock already keeps them in turn.)"""
    import subprocess
    import sys
    from pathlib import Path

    close_all()
    first = PostgresDatabase(pg_sample_url)
    try:
        D.share_view(first, period="2026-01", review_id=None)  # the row exists: both contend for it
        each = 40
        script = ("import sys; from retro import defaults as D; from retro.db import PostgresDatabase; "
                  "db = PostgresDatabase(sys.argv[1]); print('ready', flush=True); sys.stdin.readline(); "
                  f"[D.share_view(db, period=sys.argv[2], review_id=None) for _ in range({each})]; db.close()")
        root = Path(__file__).resolve().parent.parent
        procs = [subprocess.Popen([sys.executable, "-c", script, pg_sample_url, period], cwd=root, text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for period in ("2026-08", "2026-09")]
        for proc in procs:  # both connected and migrated-checked: then go together
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
        assert D.team_view(first).revision == 1 + 2 * each
    finally:
        first.close()
