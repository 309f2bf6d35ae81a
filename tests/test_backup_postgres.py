"""Backup and restore on PostgreSQL (issue 18): the same backup folder as a DuckDB file's — the same
Parquet files with the same column types, the same manifest — so a DuckDB backup restores into
PostgreSQL and a PostgreSQL backup into a DuckDB file. A bad backup changes nothing; a restore backs up
what it replaces first, sets every sequence past the restored ids, and moves the data version past both,
which another app server (another ``PostgresDatabase``) sees. A real throwaway server
(tests/postgres_support.py), the real sample workbook; no mocks.

What may differ between the two engines' backups of the same data, and is left out of the comparisons:
the clocks' columns (``imported_at``, ``applied_at``, ``created_at``, …: each engine's own time, UTC on
PostgreSQL) and the order of a map's keys (JSONB keeps its own: maps compare as sorted items). Ids do
not differ: both draw them from sequences that start at 1."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from test_scoring_postgres import alike

from retro import backup as B
from retro import db as retro_db
from retro import scoring as S
from retro.bootstrap import clear_sample, load_sample
from retro.db import Database, PostgresDatabase, close_all, get_database

# The clocks' columns: each engine writes its own time (see the module's docstring).
STAMPS = {"imported_at", "applied_at", "created_at", "updated_at", "logged_at", "deleted_at"}
VERSIONS = ("data_version", "numbers_version")  # a restore moves them past the replaced database's
MONTH = "2026-07"


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    """A URL's automatic backups go to retro's data folder (db.data_dir): here a test's own folder."""
    monkeypatch.setattr(retro_db, "DEFAULT_DB_PATH", tmp_path / "data" / "retro.duckdb")


@pytest.fixture
def pg(pg_url):
    db = get_database(pg_url)
    assert isinstance(db, PostgresDatabase)
    yield db
    close_all()


@pytest.fixture
def engines(tmp_path, pg):
    """The sample, as the first start imports it, in a DuckDB file and in PostgreSQL."""
    duck = get_database(tmp_path / "sample.duckdb")
    for database in (duck, pg):
        assert load_sample(database) is not None
    yield duck, pg
    close_all()


@pytest.fixture
def other_pg(postgres_server):
    """A second empty database on the same server (a restore's target with fresh sequences)."""
    url = postgres_server.create_database()
    yield url
    close_all()
    postgres_server.drop_database(url.rsplit("/", 1)[1])


def _value(v):
    if isinstance(v, dict):
        return tuple(sorted(v.items()))
    if isinstance(v, list):
        return tuple(v)
    return v


def parquet_rows(folder: Path, table: str) -> list[tuple]:
    """A backup's rows of ``table`` (all but the clocks' columns), sorted, maps as sorted items."""
    con = duckdb.connect()
    try:
        cur = con.execute("SELECT * FROM read_parquet(?)", [str(folder / f"{table}.parquet")])
        names = [d[0] for d in cur.description]
        keep = [i for i, n in enumerate(names) if n not in STAMPS]
        rows = [tuple(_value(r[i]) for i in keep) for r in cur.fetchall()]
    finally:
        con.close()
    if table == "settings":
        rows = [r for r in rows if r[0] not in VERSIONS]
    return sorted(rows, key=repr)


def dump(db) -> dict[str, list[tuple]]:
    """Every table's rows as the database holds them, compared the same way (via a fresh backup's
    reading would hide what the restore wrote: read from the database itself)."""
    out = {}
    for table in B.table_counts(db):
        frame = db.frame(f'SELECT * FROM "{table}"')
        frame = frame[[c for c in frame.columns if c not in STAMPS]]
        rows = [tuple(_value(v.tolist() if hasattr(v, "tolist") and not isinstance(v, str) else v) for v in r)
                for r in frame.astype(object).where(frame.notna(), None).itertuples(index=False)]
        if table == "settings":
            rows = [r for r in rows if r[0] not in VERSIONS]
        out[table] = sorted(rows, key=repr)
    return out


def scorecard(db) -> dict:
    return S.scorecard_json(S.scorecard(db, MONTH))


def test_a_postgres_backup_is_a_duckdb_backup_of_the_same_data(engines, tmp_path, postgres_server):
    duck, pg = engines
    a, b = B.backup(duck, tmp_path / "duck"), B.backup(pg, tmp_path / "pg")
    ma, mb = B.read_manifest(a), B.read_manifest(b)
    assert mb["tables"] == ma["tables"] and ma["tables"]["fact_rows"] > 0 and ma["tables"]["transactions"] > 0
    assert mb["schema_version"] == ma["schema_version"] and mb["label"] == "manual"
    assert mb["source"] == pg.path and postgres_server.password not in json.dumps(mb)  # the URL, never its password
    assert sorted(p.name for p in b.iterdir()) == sorted(p.name for p in a.iterdir())  # schema.sql, load.sql too
    for table in ma["tables"]:
        assert pq.read_schema(b / f"{table}.parquet") == pq.read_schema(a / f"{table}.parquet"), table
        assert parquet_rows(b, table) == parquet_rows(a, table), table
    assert ma["tables"]["segments"] and isinstance(pq.read_table(b / "segments.parquet").column("dims")[0].as_py(), list)


def test_a_duckdb_backup_restores_into_postgres_and_a_postgres_backup_into_a_duckdb_file(engines, tmp_path, other_pg):
    duck, _pg = engines
    card = scorecard(duck)  # first: it builds the rollup, which the backup then holds too
    expected = dump(duck)
    assert expected["fact_rollup"] and card["rows"]
    into_pg = get_database(other_pg)
    assert into_pg.scalar("SELECT count(*) FROM fact_rows") == 0
    safety = B.restore(other_pg, B.backup(duck, tmp_path / "duck"), backups_dir=tmp_path / "auto")
    assert safety is not None and B.read_manifest(safety)["tables"]["fact_rows"] == 0  # the empty one, kept
    assert dump(into_pg) == expected
    assert not (diff := alike(scorecard(into_pg), card)), diff[:5]  # numbers to 12 digits: each engine sums in its order
    expected = dump(into_pg)  # the rollup built again for the restore's new numbers version

    folder = B.backup(into_pg, tmp_path / "pg")
    path = tmp_path / "restored.duckdb"
    B.restore(path, folder, backups_dir=tmp_path / "auto")
    back = Database(path)
    try:
        assert dump(back) == expected
        assert not (diff := alike(scorecard(back), card)), diff[:5]
    finally:
        back.close()


def _damage(folder: Path, how: str, tmp_path: Path) -> Path:
    if how == "not_a_backup":
        return tmp_path
    manifest = json.loads((folder / B.MANIFEST).read_text(encoding="utf-8"))
    if how == "backup_incomplete":
        (folder / "fact_rows.parquet").unlink()
    elif how == "backup_newer":
        manifest["tables"]["from_a_newer_retro"] = 0
        duckdb.connect().execute(f"COPY (SELECT 1 AS n) TO '{folder / 'from_a_newer_retro.parquet'}' (FORMAT parquet)")
    elif how == "backup_schema":
        duckdb.connect().execute(f"COPY (SELECT 'x' AS no_such_column) TO '{folder / 'fact_rows.parquet'}' (FORMAT parquet)")
    elif how == "backup_mismatch":
        manifest["tables"]["fact_rows"] += 1
    (folder / B.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return folder


@pytest.mark.parametrize("how", ["not_a_backup", "backup_incomplete", "backup_newer", "backup_schema", "backup_mismatch"])
def test_a_bad_backup_changes_nothing_in_postgres(engines, tmp_path, how):
    duck, pg = engines
    folder = _damage(B.backup(duck, tmp_path / "duck"), how, tmp_path)
    clear_sample(pg)  # so what a restore would bring back differs from what is there
    before, version, numbers = dump(pg), pg.data_version(), pg.numbers_version()
    with pytest.raises(B.BackupError) as failure:
        B.restore(pg.path, folder, backups_dir=tmp_path / "auto")
    assert failure.value.code == how
    assert dump(pg) == before and (pg.data_version(), pg.numbers_version()) == (version, numbers)
    assert not (tmp_path / "auto").exists()  # refused before anything was backed up or replaced


def test_the_restores_automatic_backup_of_postgres_brings_the_replaced_data_back(engines, tmp_path):
    _duck, pg = engines
    with_sample = B.backup(pg, tmp_path / "pg")
    clear_sample(pg)
    cleared = dump(pg)
    assert not cleared["fact_rows"]
    safety = B.restore(pg.path, with_sample)  # into backups_dir: the data folder for a URL
    assert safety.parent == B.backups_dir(pg.path) == tmp_path / "data" / "backups"
    assert "before-restore" in safety.name and safety in B.automatic_backups(safety.parent)
    assert B.read_manifest(safety)["tables"]["fact_rows"] == 0
    assert pg.scalar("SELECT count(*) FROM fact_rows") == B.read_manifest(with_sample)["tables"]["fact_rows"]
    assert B.latest_backup(pg.path)[0] == safety
    B.restore(pg.path, safety)
    assert dump(pg) == cleared


def test_ids_drawn_after_a_restore_into_postgres_do_not_collide(engines, tmp_path, other_pg):
    duck, _pg = engines
    with duck.transaction() as cur:
        for i in range(3):
            cur.execute("INSERT INTO reviews (title, grain, period_start, period_end) "
                        "VALUES (?, 'month', DATE '2026-01-01', DATE '2026-01-31')", [f"复盘 {i}"])
    assert S.upsert_targets(duck, [S.TargetInput("销售额", "2026-11", 9999.0), S.TargetInput("销售额", "2026-12", 1.0)],
                            actor="test").inserted == 2
    into = get_database(other_pg)  # a fresh database: every sequence at 1
    B.restore(other_pg, B.backup(duck, tmp_path / "duck"), backups_dir=tmp_path / "auto")
    with into.transaction() as cur:  # a primary-key clash here without the sequences set
        cur.execute("INSERT INTO reviews (title, grain, period_start, period_end) "
                    "VALUES ('新', 'month', DATE '2026-02-01', DATE '2026-02-28')")
    assert S.upsert_targets(into, [S.TargetInput("销售额", "2026-10", 5.0)], actor="test").inserted == 1
    assert into.scalar("SELECT max(id) FROM reviews") == 4 and into.scalar("SELECT count(DISTINCT id) FROM targets") == 3
    assert into.scalar("SELECT nextval('import_id_seq')") > into.scalar("SELECT max(id) FROM imports")


def test_undo_of_an_import_on_postgres_backs_up_first_and_the_backup_brings_it_back(engines):
    _duck, pg = engines
    before = dump(pg)
    import_id = pg.scalar("SELECT max(id) FROM imports")
    undone, saved = B.undo_import_with_backup(pg, import_id)
    assert undone and saved.parent == B.backups_dir(pg.path) and "before-undo" in saved.name
    assert pg.scalar("SELECT count(*) FROM imports") == 0 and pg.scalar("SELECT count(*) FROM fact_rows") == 0
    assert B.read_manifest(saved)["tables"]["imports"] == 1
    B.restore(pg.path, saved)
    assert dump(pg) == before


def test_a_backup_zip_of_postgres_restores_and_leftovers_are_cleaned(engines, tmp_path):
    _duck, pg = engines
    before = dump(pg)
    name, data = B.backup_zip(pg)
    assert (B.backups_dir(pg.path) / name.removesuffix(".zip") / B.MANIFEST).is_file()
    clear_sample(pg)
    B.restore_zip(pg.path, data)
    assert dump(pg) == before
    half = B.backups_dir(pg.path) / "retro-20260101-000000-000000-killed"
    half.mkdir()
    assert half in B.clean_leftovers(pg.path, temp_dir=tmp_path / "temp")  # an empty folder: no backup


def test_backup_and_restore_of_a_url_from_the_command_line(engines, tmp_path, capsys, postgres_server, pg_url):
    from retro.cli import main

    _duck, pg = engines
    url = pg_url  # with its password
    before = dump(pg)
    capsys.readouterr()
    assert main(["backup", "--db", url, "--out", str(tmp_path / "bk")]) == 0
    said = capsys.readouterr()
    folder = Path(said.out.strip())
    assert B.read_manifest(folder)["tables"]["imports"] == 1
    clear_sample(pg)
    assert main(["restore", str(folder), "--db", url]) == 0
    said = said.out + said.err + "".join(capsys.readouterr())
    assert "restored postgresql://" in said and postgres_server.password not in said
    assert dump(pg) == before
    assert main(["restore", str(tmp_path), "--db", url]) == 2  # not a backup: refused, unchanged
    assert postgres_server.password not in "".join(capsys.readouterr())
    assert dump(pg) == before


def test_another_app_server_sees_a_restore_at_once_and_keeps_reading_throughout(engines, tmp_path, pg_url):
    _duck, pg = engines
    folder = B.backup(pg, tmp_path / "pg")
    backed_up = pg.data_version()
    clear_sample(pg)
    other = PostgresDatabase(pg_url)  # a second app server: its own pool
    try:
        seen_version = other.data_version()  # what its caches are keyed on now
        assert seen_version > backed_up and other.scalar("SELECT count(*) FROM fact_rows") == 0
        full = B.read_manifest(folder)["tables"]["fact_rows"]
        counts, stop = [], threading.Event()

        def read() -> None:
            while not stop.is_set():
                counts.append(other.scalar("SELECT count(*) FROM fact_rows"))

        reader = threading.Thread(target=read)
        reader.start()
        try:
            B.restore(pg.path, folder, backups_dir=tmp_path / "auto")
        finally:
            stop.set()
            reader.join()
        assert counts and set(counts) <= {0, full}  # all or nothing, never half a restore; never refused
        assert other.data_version() == seen_version + 1 > backed_up  # past both: every cache misses
        assert other.numbers_version() == other.data_version()
        assert other.scalar("SELECT count(*) FROM fact_rows") == full
    finally:
        other.close()


@pytest.mark.usefixtures("navigation_only")
def test_the_history_page_backs_up_and_offers_a_restore_on_postgres(pg_url, monkeypatch, postgres_server):
    """The history page on a PostgreSQL database: a backup to download, kept in the data folder; an
    uploaded backup checked and its restore asked for (AppTest cannot click inside a dialog: the undo and
    the restore themselves are the API tests above, the same calls the dialogs make)."""
    from streamlit.testing.v1 import AppTest

    from retro.i18n import t

    monkeypatch.setenv("RETRO_DB", pg_url)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=90)
    at.query_params["lang"] = "en"
    at.run()  # the first start imports the sample
    at.switch_page("pages/history.py").run()
    assert not at.exception, [e.value for e in at.exception]
    folder = B.backups_dir(get_database(pg_url).path)
    where = t("safety.backup.where", "en", keep=B.KEEP_AUTOMATIC, folder="").split("{")[0][:20]
    assert any(c.value.startswith(where) and "backups" in c.value for c in at.caption), [c.value for c in at.caption]
    at.button(key="backup_make").click().run()
    assert not at.exception, [e.value for e in at.exception]
    name, data = at.session_state["backup_download"]
    assert B.zip_manifest(data)["tables"]["imports"] == 1 and (folder / name.removesuffix(".zip") / B.MANIFEST).is_file()
    assert at.get("download_button")

    at.file_uploader(key="restore_upload0").set_value((name, data, "application/zip")).run()
    assert not at.exception and not at.error
    at.button(key="restore").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.button(key="restore_yes").label == t("safety.restore.yes", "en")  # the confirmation dialog
    shown = "".join(str(e.value) for e in [*at.caption, *at.markdown, *at.error])
    assert postgres_server.password not in shown
