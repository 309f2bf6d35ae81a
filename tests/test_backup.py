"""Backup and restore: a round trip gives every table back equal, and a bad backup changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retro import backup as B
from retro.bootstrap import load_sample
from retro.db import Database, close_all


@pytest.fixture
def sample_db(tmp_path: Path):
    db = Database(tmp_path / "live.duckdb")
    load_sample(db)
    yield db
    close_all()
    db.close()


def _dump(db: Database) -> dict[str, list[tuple]]:
    """Every table's rows, sorted, with maps as sorted item lists so they compare."""
    out = {}
    for table in B.table_counts(db):
        rows = db.rows(f'SELECT * FROM "{table}"')
        out[table] = sorted((tuple(sorted(v.items()) if isinstance(v, dict) else v for v in r) for r in rows), key=repr)
    return out


def test_round_trip_gives_every_table_back_equal(sample_db, tmp_path):
    before = _dump(sample_db)
    folder = B.backup(sample_db, tmp_path / "backups")
    manifest = json.loads((folder / B.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["tables"]["fact_rows"] == len(before["fact_rows"]) > 0
    path = sample_db.path
    sample_db.close()
    safety = B.restore(path, folder, backups_dir=tmp_path / "auto")
    assert safety is not None and (safety / B.MANIFEST).is_file()  # what was replaced is kept too
    restored = Database(path)
    try:
        assert _dump(restored) == before
        # ids continue after the restored ones
        new_id = restored.scalar("SELECT nextval('import_id_seq')")
        assert new_id > max(r[0] for r in restored.rows("SELECT id FROM imports"))
    finally:
        restored.close()


def test_restore_after_changes_brings_back_the_backed_up_state(sample_db, tmp_path):
    folder = B.backup(sample_db, tmp_path / "backups")
    before = _dump(sample_db)
    from retro.bootstrap import clear_sample

    clear_sample(sample_db)
    assert sample_db.scalar("SELECT count(*) FROM fact_rows") == 0
    path = sample_db.path
    sample_db.close()
    B.restore(path, folder, backups_dir=tmp_path / "auto")
    restored = Database(path)
    try:
        assert _dump(restored) == before
    finally:
        restored.close()


def test_a_damaged_backup_changes_nothing(sample_db, tmp_path):
    folder = B.backup(sample_db, tmp_path / "backups")
    before = _dump(sample_db)
    (folder / "fact_rows.parquet").unlink()
    path = sample_db.path
    sample_db.close()
    with pytest.raises(B.BackupError) as failure:
        B.restore(path, folder)
    assert failure.value.code == "backup_incomplete"
    with pytest.raises(B.BackupError) as failure:
        B.restore(path, tmp_path)  # not a backup folder at all
    assert failure.value.code == "not_a_backup"
    again = Database(path)
    try:
        assert _dump(again) == before
    finally:
        again.close()


def test_backup_and_restore_from_the_command_line(sample_db, tmp_path, capsys):
    from retro.cli import main

    before = _dump(sample_db)
    path = sample_db.path
    sample_db.close()
    close_all()
    assert main(["backup", "--db", str(path), "--out", str(tmp_path / "bk")]) == 0
    folder = Path(capsys.readouterr().out.strip())
    assert (folder / B.MANIFEST).is_file()
    close_all()
    assert main(["restore", str(folder), "--db", str(path)]) == 0
    assert "restored" in capsys.readouterr().out
    assert main(["restore", str(tmp_path), "--db", str(path)]) == 2  # not a backup: refused, unchanged
    close_all()
    again = Database(path)
    try:
        assert _dump(again) == before
    finally:
        again.close()
