"""retro.db: the one module that opens the DuckDB file (migrations, transactions, identifiers, paths)."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

from retro import db as retro_db
from retro.db import Database, Migration, default_db_path, get_database, quote_ident, quote_literal

TABLES = ("imports", "import_sheets", "segments", "fact_rows", "transactions", "layouts", "settings")
VIEWS = ("facts", "current_facts", "current_transactions")


@pytest.fixture(autouse=True)
def _close_databases():
    yield
    retro_db.close_all()


def _names(con: duckdb.DuckDBPyConnection, kind: str) -> set[str]:
    if kind == "table":
        return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    return {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}


def _raw(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------- migrations


def test_new_file_gets_the_whole_schema_and_records_it(tmp_path):
    path = tmp_path / "sub" / "dir" / "new.duckdb"  # parent folders are created
    db = Database(path)
    assert path.exists()
    assert db.applied_migrations() == [m.version for m in retro_db.MIGRATIONS]
    with db.cursor() as cur:
        assert set(TABLES) <= _names(cur, "table")
        assert set(VIEWS) <= _names(cur, "view")
    db.close()
    rows = _raw(path, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
    assert [r[0] for r in rows] == [m.version for m in retro_db.MIGRATIONS]
    assert all(r[1] and r[2] is not None for r in rows)


def test_reopening_applies_nothing_and_keeps_data(tmp_path):
    path = tmp_path / "re.duckdb"
    db = Database(path)
    db.set_setting("k", "v")
    with db.transaction() as cur:
        cur.execute("INSERT INTO segments VALUES ('区域=华东', MAP {'区域': '华东'})")
    stamp = db.rows("SELECT version, applied_at FROM schema_migrations")
    db.close()

    again = Database(path)
    assert again.migrate() == []  # a second explicit run is a no-op too
    assert again.rows("SELECT version, applied_at FROM schema_migrations") == stamp
    assert again.get_setting("k") == "v"
    assert again.rows("SELECT dims_key FROM segments") == [("区域=华东",)]
    again.close()


def test_migration_statements_are_safe_to_re_run(tmp_path):
    """A half-recorded history (the row lost) must not fail or wipe the data when re-applied."""
    path = tmp_path / "rerun.duckdb"
    db = Database(path)
    db.set_setting("keep", "me")
    with db.transaction() as cur:
        cur.execute("DELETE FROM schema_migrations")
    db.close()

    again = Database(path)  # re-runs migration 1 over the existing tables
    assert again.applied_migrations() == [m.version for m in retro_db.MIGRATIONS]
    assert again.get_setting("keep") == "me"
    again.close()


def test_annotations_gain_their_import_and_source_and_keep_the_hand_written_notes(tmp_path, monkeypatch):
    """Migration 7 on a file made before it: a note written by hand stays, as nobody's import."""
    path = tmp_path / "old.duckdb"
    monkeypatch.setattr(retro_db, "MIGRATIONS", tuple(m for m in retro_db.MIGRATIONS if m.version < 7))
    old = Database(path)
    with old.transaction() as cur:
        cur.execute(
            "INSERT INTO annotations (metric, period, text, author) VALUES ('销售额', DATE '2026-01-01', '促销', 'lead')"
        )
    old.close()
    monkeypatch.undo()
    db = Database(path)
    assert 7 in db.applied_migrations()
    assert db.rows("SELECT metric, text, author, import_id, source, replaced_by FROM annotations") == [
        ("销售额", "促销", "lead", None, None, None)
    ]
    with db.transaction() as cur:  # the statements are safe to run again
        for statement in next(m for m in retro_db.MIGRATIONS if m.version == 7).statements:
            cur.execute(statement)
    assert db.scalar("SELECT count(*) FROM annotations WHERE import_id IS NULL") == 1
    db.close()


def test_a_failing_migration_is_rolled_back_and_not_recorded(tmp_path, monkeypatch):
    path = tmp_path / "fail.duckdb"
    Database(path).close()
    broken = Migration(
        999,
        "broken",
        ("CREATE TABLE half_done (x INTEGER)", "INSERT INTO half_done VALUES (1)", "THIS IS NOT SQL"),
    )
    monkeypatch.setattr(retro_db, "MIGRATIONS", (*retro_db.MIGRATIONS, broken))
    with pytest.raises(duckdb.Error):
        Database(path)
    monkeypatch.undo()
    db = Database(path)
    assert 999 not in db.applied_migrations()
    with db.cursor() as cur:
        assert "half_done" not in _names(cur, "table")
    db.close()


def test_read_only_database_does_not_migrate_or_write(tmp_path):
    path = tmp_path / "ro.duckdb"
    Database(path).close()
    ro = Database(path, read_only=True)
    assert ro.applied_migrations() == [m.version for m in retro_db.MIGRATIONS]
    with pytest.raises(retro_db.DatabaseUnavailable) as refused:  # the page explains it (fault pages)
        ro.set_setting("x", "y")
    assert refused.value.code == "read_only"
    assert ro.get_setting("x") is None
    ro.close()


# --------------------------------------------------------------------------- transactions


class _Boom(Exception):
    pass


class _Panic(BaseException):
    """Like pyo3's PanicException: not an Exception."""


@pytest.mark.parametrize("exc_type", [_Boom, _Panic])
def test_transaction_rolls_back_everything_on_an_exception(tmp_path, exc_type):
    db = Database(tmp_path / "tx.duckdb")
    db.set_setting("before", "1")
    with pytest.raises(exc_type), db.transaction() as cur:
        cur.execute("INSERT INTO settings VALUES ('a', '1')")
        cur.execute("UPDATE settings SET value = 'changed' WHERE key = 'before'")
        cur.execute("INSERT INTO segments VALUES ('k', MAP {'区域': '华东'})")
        raise exc_type("midway")
    assert db.rows("SELECT key, value FROM settings ORDER BY key") == [("before", "1")]
    assert db.scalar("SELECT count(*) FROM segments") == 0
    # the connection is still usable afterwards
    db.set_setting("after", "2")
    assert db.get_setting("after") == "2"
    db.close()
    assert _raw(tmp_path / "tx.duckdb", "SELECT count(*) FROM settings")[0][0] == 2


def test_transaction_commits_on_success_and_is_visible_in_the_file(tmp_path):
    path = tmp_path / "ok.duckdb"
    db = Database(path)
    with db.transaction() as cur:
        cur.execute("INSERT INTO settings VALUES ('a', '1'), ('b', NULL)")
    db.close()
    assert _raw(path, "SELECT key, value FROM settings ORDER BY key") == [("a", "1"), ("b", None)]


def test_settings_upsert_and_default(tmp_path):
    db = Database(tmp_path / "s.duckdb")
    assert db.get_setting("missing") is None
    assert db.get_setting("missing", "dflt") == "dflt"
    db.set_setting("lang", "zh")
    db.set_setting("lang", "en")
    assert db.get_setting("lang") == "en"
    assert db.scalar("SELECT count(*) FROM settings WHERE key = 'lang'") == 1
    db.close()


def test_cursors_from_several_threads(tmp_path):
    """Streamlit runs scripts in threads: each call gets its own cursor on the shared connection."""
    db = Database(tmp_path / "threads.duckdb")
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for j in range(10):
                db.set_setting(f"t{i}-{j}", str(j))
                assert db.get_setting(f"t{i}-{j}") == str(j)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert db.scalar("SELECT count(*) FROM settings") == 60
    db.close()


# --------------------------------------------------------------------------- identifiers


@pytest.mark.parametrize(
    ("name", "quoted"),
    [("plain", '"plain"'), ('a"b', '"a""b"'), ('"', '""""'), ("销售额 (万元)", '"销售额 (万元)"'), ("", '""')],
)
def test_quote_ident(name, quoted):
    assert quote_ident(name) == quoted


def test_quoted_identifier_round_trips_through_duckdb(tmp_path):
    db = Database(tmp_path / "q.duckdb")
    table = quote_ident('a"b; DROP TABLE settings; --')
    column = quote_ident('列 "x"')
    with db.transaction() as cur:
        cur.execute(f"CREATE TABLE {table} ({column} INTEGER)")
        cur.execute(f"INSERT INTO {table} VALUES (7)")
    assert db.scalar(f"SELECT {column} FROM {table}") == 7
    assert db.scalar("SELECT count(*) FROM settings") == 0  # still there
    literal = quote_literal("'it's")
    assert db.scalar(f"SELECT {literal}") == "'it's"
    db.close()


def test_quote_rejects_nul():
    with pytest.raises(ValueError):
        quote_ident("a\x00b")
    with pytest.raises(ValueError):
        quote_literal("a\x00b")


# --------------------------------------------------------------------------- paths and the shared instance


def test_default_db_path_follows_retro_db(monkeypatch, tmp_path):
    monkeypatch.setenv("RETRO_DB", str(tmp_path / "env.duckdb"))
    assert default_db_path() == tmp_path / "env.duckdb"
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("RETRO_DB", "~/home.duckdb")
    assert default_db_path() == tmp_path / "home.duckdb"


def test_default_db_path_without_env_is_data_retro_duckdb(monkeypatch):
    monkeypatch.delenv("RETRO_DB", raising=False)
    repo = Path(retro_db.__file__).resolve().parent.parent
    assert default_db_path() == repo / "data" / "retro.duckdb"
    monkeypatch.setenv("RETRO_DB", "")  # an empty value means "not set"
    assert default_db_path() == repo / "data" / "retro.duckdb"


def test_get_database_returns_one_object_per_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = get_database(tmp_path / "one.duckdb")
    assert get_database(str(tmp_path / "one.duckdb")) is a
    assert get_database("one.duckdb") is a  # relative to the working directory
    assert get_database(tmp_path / "sub" / ".." / "one.duckdb") is a
    b = get_database(tmp_path / "two.duckdb")
    assert b is not a
    assert b.path != a.path


def test_get_database_without_path_uses_retro_db(tmp_path, monkeypatch):
    monkeypatch.setenv("RETRO_DB", str(tmp_path / "from_env.duckdb"))
    db = get_database()
    assert db.path == (tmp_path / "from_env.duckdb").resolve()
    assert get_database(tmp_path / "from_env.duckdb") is db
    assert (tmp_path / "from_env.duckdb").exists()


def test_close_all_releases_the_file(tmp_path):
    path = tmp_path / "lock.duckdb"
    first = get_database(path)
    first.set_setting("x", "1")
    retro_db.close_all()
    # another connection (here read-only) can open the file once the app let go
    assert _raw(path, "SELECT value FROM settings WHERE key = 'x'") == [("1",)]
    second = get_database(path)
    assert second is not first
    assert second.get_setting("x") == "1"


def test_success_lessons_gain_their_kpi_and_the_ones_kept_before_are_still_recognised(tmp_path, monkeypatch):
    """Migration 11 on a file made before it: a success kept then (found by its title only) is
    still found as that KPI's success, in its review; one kept now is found by its KPI and period."""
    import datetime as dt

    from retro import reviews as R

    path = tmp_path / "old.duckdb"
    monkeypatch.setattr(retro_db, "MIGRATIONS", tuple(m for m in retro_db.MIGRATIONS if m.version < 11))
    old = Database(path)
    with old.transaction() as cur:
        cur.execute("""INSERT INTO reviews (title, grain, period_start, period_end)
                       VALUES ('2026年8月运营复盘', 'month', DATE '2026-08-01', DATE '2026-08-31')""")
        cur.execute("""INSERT INTO lessons (review_id, kind, title, text, tags)
                       VALUES (1, 'success', '新增客户 · 西南 超额完成（达成率 123.0%）', '2026-08：…', '新增客户')""")
    old.close()
    monkeypatch.undo()
    db = Database(path)
    assert 11 in db.applied_migrations()
    assert db.rows("SELECT title, metric, segment, period, grain FROM lessons") == [
        ("新增客户 · 西南 超额完成（达成率 123.0%）", None, "", None, None)]
    with db.transaction() as cur:  # the statements are safe to run again
        for statement in next(m for m in retro_db.MIGRATIONS if m.version == 11).statements:
            cur.execute(statement)
    august, west = dt.date(2026, 8, 1), {"区域": "西南"}
    titles = ["新增客户 · 西南 超额完成（达成率 123.0%）", "New customers · 西南 beyond plan (123.0% of plan)"]
    assert R.kept_success(db, 1, "新增客户", west, august, "month", legacy_titles=titles) == 1
    assert R.kept_success(db, 1, "新增客户", west, august, "month", legacy_titles=titles[1:]) is None
    assert R.kept_success(db, 2, "新增客户", west, august, "month", legacy_titles=titles) is None  # another review
    kept = R.add_item(db, "lesson", R.kpi_success("销售额", august, "month", segment=west, title="Revenue · 西南 beyond plan",
                                                   text="…"), review_id=1)
    assert R.kept_success(db, None, "销售额", west, august, "month") == kept  # by its KPI, whatever the title
    assert R.kept_success(db, None, "销售额", {}, august, "month") is None
    assert R.kept_success(db, None, "销售额", west, august, "quarter") is None
    db.close()
