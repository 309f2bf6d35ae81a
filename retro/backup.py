"""Backup and restore of the whole database, as Parquet files a person can also open elsewhere.

A backup is a folder: DuckDB's EXPORT DATABASE output plus a manifest of every table's row count.
Restoring builds a new database file through the migrations, loads every table into it in one
transaction, checks the counts against the manifest, and only then swaps it in — after backing up
what is being replaced, so a restore can itself be undone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from .db import Database, close_all, quote_ident, quote_literal

MANIFEST = "retro-backup.json"


class BackupError(Exception):
    """A folder that is not a usable backup; ``code`` names an i18n message."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def _tables(db: Database) -> list[str]:
    return [r[0] for r in db.rows(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary ORDER BY 1")]


def table_counts(db: Database) -> dict[str, int]:
    return {t: db.scalar(f"SELECT count(*) FROM {quote_ident(t)}") for t in _tables(db)}


def backup(db: Database, out_dir: str | Path, *, label: str = "manual", now: dt.datetime | None = None) -> Path:
    """Export every table to ``out_dir/retro-<time>-<label>/``; returns that folder."""
    now = now or dt.datetime.now()
    target = Path(out_dir) / f"retro-{now:%Y%m%d-%H%M%S-%f}-{label}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with db.cursor() as cur:
        cur.execute(f"EXPORT DATABASE {quote_literal(str(target))} (FORMAT parquet)")
    manifest = {
        "created": now.isoformat(timespec="seconds"),
        "label": label,
        "source": str(db.path),
        "schema_version": max(db.applied_migrations(), default=0),
        "tables": table_counts(db),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return target


def read_manifest(folder: str | Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise BackupError("not_a_backup", folder=str(folder))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError("not_a_backup", folder=str(folder)) from None
    if not isinstance(manifest.get("tables"), dict):
        raise BackupError("not_a_backup", folder=str(folder))
    return manifest


def restore(db_path: str | Path, folder: str | Path, *, backups_dir: str | Path | None = None) -> Path | None:
    """Replace the database at ``db_path`` with the backup in ``folder``.

    Returns the automatic backup made of the database that was replaced (None when there was none).
    Nothing changes when the backup is unusable: the new file is built and checked aside first.
    """
    db_path = Path(db_path)
    folder = Path(folder)
    manifest = read_manifest(folder)
    for table in manifest["tables"]:
        if not (folder / f"{table}.parquet").is_file():
            raise BackupError("backup_incomplete", table=table)
    staging = db_path.with_name(db_path.name + ".restoring")
    for leftover in (staging, Path(str(staging) + ".wal")):
        leftover.unlink(missing_ok=True)
    fresh = Database(staging)
    try:
        known = set(_tables(fresh))
        unknown = set(manifest["tables"]) - known
        if unknown:
            raise BackupError("backup_newer", tables=sorted(unknown))
        with fresh.transaction() as cur:
            for table in manifest["tables"]:
                # Migrations seeded some tables (schema_migrations); the backup's rows replace them.
                cur.execute(f"DELETE FROM {quote_ident(table)}")
                cur.execute(
                    f"INSERT INTO {quote_ident(table)} BY NAME SELECT * FROM read_parquet(?)",
                    [str(folder / f"{table}.parquet")],
                )
            _advance_sequences(cur)
        counts = table_counts(fresh)
        for table, expected in manifest["tables"].items():
            if counts.get(table) != expected:
                raise BackupError("backup_mismatch", table=table, expected=expected, found=counts.get(table))
    except BaseException:
        fresh.close()
        staging.unlink(missing_ok=True)
        raise
    fresh.close()
    safety = None
    if db_path.exists():
        current = Database(db_path) if not _is_open(db_path) else None
        from .db import get_database

        live = current or get_database(db_path)
        safety = backup(live, backups_dir or db_path.parent / "backups", label="before-restore")
        if current is not None:
            current.close()
    close_all()
    Path(str(db_path) + ".wal").unlink(missing_ok=True)
    os.replace(staging, db_path)
    return safety


def _is_open(path: Path) -> bool:
    from . import db as dbmod

    return path.resolve() in dbmod._databases


def _advance_sequences(cur) -> None:
    """Sequences are not in the export: start them past the ids the restored rows use."""
    for sequence, table in (("import_id_seq", "imports"), ("annotation_id_seq", "annotations")):
        exists = cur.execute("SELECT count(*) FROM duckdb_sequences() WHERE sequence_name = ?", [sequence]).fetchone()[0]
        if not exists:
            continue
        top = cur.execute(f"SELECT coalesce(max(id), 0) FROM {quote_ident(table)}").fetchone()[0]
        current = cur.execute(f"SELECT nextval({quote_literal(sequence)})").fetchone()[0]
        while current <= top:  # DuckDB has no setval: step the sequence past the restored ids
            current = cur.execute(f"SELECT nextval({quote_literal(sequence)})").fetchone()[0]
