"""retro.bootstrap: the sample on a first start, once, and a clear button that removes all of it."""

from __future__ import annotations

import fixtures_build as fb
import pytest

from retro import db as retro_db
from retro.bootstrap import FIRST_START_KEY, clear_sample, ensure_first_start, load_sample, sample_import_ids
from retro.db import Database
from retro.ingest import analyze_bytes, store_import
from retro.sample import SAMPLE_PATH


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "boot.duckdb")
    yield database
    database.close()
    retro_db.close_all()


def _counts(db: Database) -> dict[str, int]:
    return {
        "imports": db.scalar("SELECT count(*) FROM imports"),
        "facts": db.scalar("SELECT count(*) FROM facts"),
        "fact_rows": db.scalar("SELECT count(*) FROM fact_rows"),
        "transactions": db.scalar("SELECT count(*) FROM transactions"),
        "import_sheets": db.scalar("SELECT count(*) FROM import_sheets"),
    }


def _import_user_file(db: Database, tmp_path) -> int:
    path, _ = fb.build_seed(tmp_path / "user")
    result = store_import(db, analyze_bytes(db, path.read_bytes(), path.name))
    assert result.status == "imported"
    return result.import_id


def test_first_start_imports_the_sample_once(db):
    assert SAMPLE_PATH.exists()
    assert ensure_first_start(db) is True
    counts = _counts(db)
    assert counts["imports"] == 1
    assert counts["facts"] > 0 and counts["transactions"] > 0
    (file_name, is_sample, actor), = db.rows("SELECT file_name, is_sample, actor FROM imports")
    assert file_name == SAMPLE_PATH.name and is_sample is True
    assert db.get_setting(FIRST_START_KEY) is not None

    # the second start (every later page load) changes nothing
    assert ensure_first_start(db) is False
    assert _counts(db) == counts


def test_first_start_survives_reopening_the_file(tmp_path):
    path = tmp_path / "reopen.duckdb"
    first = Database(path)
    assert ensure_first_start(first)
    counts = _counts(first)
    first.close()
    again = Database(path)
    assert ensure_first_start(again) is False
    assert _counts(again) == counts
    again.close()


def test_cleared_sample_is_not_imported_again(db):
    ensure_first_start(db)
    assert clear_sample(db) == 1
    assert ensure_first_start(db) is False
    assert _counts(db)["imports"] == 0
    assert _counts(db)["facts"] == 0


def test_clear_sample_removes_every_sample_row(db):
    ensure_first_start(db)
    (sample_id,) = sample_import_ids(db)
    segments = db.scalar("SELECT count(*) FROM segments")
    assert clear_sample(db) == 1
    assert sample_import_ids(db) == []
    assert _counts(db) == {"imports": 0, "facts": 0, "fact_rows": 0, "transactions": 0, "import_sheets": 0}
    assert db.scalar("SELECT count(*) FROM fact_rows WHERE import_id = ?", [sample_id]) == 0
    # segments are shared lookup rows and may stay
    assert db.scalar("SELECT count(*) FROM segments") <= segments
    assert clear_sample(db) == 0  # nothing left to clear


def test_clear_sample_keeps_the_users_own_imports(db, tmp_path):
    user_id = _import_user_file(db, tmp_path)
    user_rows = db.rows("SELECT * FROM fact_rows WHERE import_id = ? ORDER BY ALL", [user_id])
    sample_id = load_sample(db)
    assert sample_id is not None and sample_id != user_id
    assert sample_import_ids(db) == [sample_id]
    assert clear_sample(db) == 1
    assert db.rows("SELECT id FROM imports") == [(user_id,)]
    assert db.rows("SELECT * FROM fact_rows ORDER BY ALL") == user_rows


def test_no_sample_when_the_database_already_has_data(db, tmp_path):
    _import_user_file(db, tmp_path)
    before = _counts(db)
    assert ensure_first_start(db) is False
    assert _counts(db) == before
    assert sample_import_ids(db) == []
    assert db.get_setting(FIRST_START_KEY) is not None  # offered once, never again


def test_load_sample_twice_is_already_imported(db):
    first = load_sample(db)
    assert first is not None
    counts = _counts(db)
    assert load_sample(db) is None
    assert _counts(db) == counts


def test_sample_can_be_loaded_again_after_clearing(db):
    ensure_first_start(db)
    counts = _counts(db)
    clear_sample(db)
    assert load_sample(db) is not None
    assert _counts(db) == counts


def test_clearing_the_sample_backs_it_up_first_and_the_backup_brings_it_back(tmp_path):
    from retro import backup as B
    from retro.bootstrap import clear_sample_with_backup

    path = tmp_path / "clear.duckdb"
    db = Database(path)
    ensure_first_start(db)
    sample_rows = db.rows("SELECT * FROM fact_rows ORDER BY ALL")
    counts = _counts(db)
    assert sample_rows and B.automatic_backups(B.backups_dir(path)) == []

    removed, saved = clear_sample_with_backup(db)
    assert removed == 1 and _counts(db)["fact_rows"] == 0
    assert B.automatic_backups(B.backups_dir(path)) == [saved]  # beside the database, where undo's go
    assert saved.name.endswith(B.AUTO + "before-clear-sample")
    assert B.read_manifest(saved)["tables"]["fact_rows"] == len(sample_rows)
    assert clear_sample_with_backup(db) == (0, None)  # nothing left to clear: no empty backup either
    db.close()
    retro_db.close_all()

    B.restore(path, saved, backups_dir=tmp_path / "auto")
    back = Database(path)
    try:
        assert back.rows("SELECT * FROM fact_rows ORDER BY ALL") == sample_rows
        assert _counts(back) == counts
        assert len(sample_import_ids(back)) == 1  # still the sample: its clear button comes back
    finally:
        back.close()


def test_clear_sample_also_backs_up(db):
    from retro import backup as B

    ensure_first_start(db)
    assert clear_sample(db) == 1
    (saved,) = B.automatic_backups(B.backups_dir(db.path))
    assert B.read_manifest(saved)["tables"]["imports"] == 1


def test_a_viewer_cannot_clear_the_sample_and_no_backup_is_written(db):
    from retro import access
    from retro import backup as B

    ensure_first_start(db)
    access.set_role(access.VIEWER)
    try:
        with pytest.raises(access.ReadOnly):
            clear_sample(db)
    finally:
        access.set_role(access.EDITOR)
    assert len(sample_import_ids(db)) == 1
    assert not B.backups_dir(db.path).exists() or B.automatic_backups(B.backups_dir(db.path)) == []
