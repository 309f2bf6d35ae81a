"""The bundled sample: imported on a first start so the dashboard is never empty, and removable
(after an automatic backup, like every destructive action)."""

from __future__ import annotations

import threading
from pathlib import Path

from .access import check_write, system
from .backup import KEEP_AUTOMATIC, auto_backup, clean_leftovers
from .db import Database
from .ingest import analyze_bytes, store_import, undo_import
from .sample import SAMPLE_PATH

FIRST_START_KEY = "sample_offered"
_cleaned: set[Path] = set()  # databases whose leftovers this process has cleaned up (once per start)
_cleaned_lock = threading.Lock()


def clean_leftovers_once(db_path: Path) -> list[Path]:
    """At start, before the database is opened: what a killed backup or restore left (see
    retro.backup.clean_leftovers) is removed, once per process — it also frees the disk space a
    full disk may lack. The removed paths; [] on later calls or when nothing could be removed."""
    resolved = Path(db_path).resolve()
    with _cleaned_lock:
        if resolved in _cleaned:
            return []
        _cleaned.add(resolved)
    try:
        return clean_leftovers(resolved)
    except OSError:  # a read-only folder: nothing to clean there now; the page says what is wrong
        return []


def load_sample(db: Database, path: Path = SAMPLE_PATH) -> int | None:
    """Import the sample workbook, marked as sample; the import id (None when already there)."""
    analysis = analyze_bytes(db, path.read_bytes(), path.name)
    result = store_import(db, analysis, is_sample=True, actor="sample")
    return result.import_id if result.status == "imported" else None


def ensure_first_start(db: Database) -> bool:
    """On the very first start with an empty database, import the sample. True when it did."""
    if db.get_setting(FIRST_START_KEY) is not None:
        return False
    has_data = db.scalar("SELECT count(*) FROM imports") > 0
    if not has_data:
        with system():  # the first visitor may be a viewer: the sample is the app's, not theirs
            load_sample(db)
    # Once offered, never again: a user who cleared the sample keeps an empty database.
    db.set_setting(FIRST_START_KEY, "1")
    return not has_data


def sample_import_ids(db: Database) -> list[int]:
    return [r[0] for r in db.rows("SELECT id FROM imports WHERE is_sample ORDER BY id")]


def clear_sample(db: Database) -> int:
    """Undo every sample import, after an automatic backup of the database as it was; the number removed."""
    return clear_sample_with_backup(db)[0]


def clear_sample_with_backup(db: Database, *, keep: int = KEEP_AUTOMATIC) -> tuple[int, Path | None]:
    """Back the database up (``backups/`` beside it, as before an undo or a restore), then undo every
    sample import: (number removed, the backup; None when there was no sample and nothing was done)."""
    check_write()  # a viewer gets no backup written on their behalf either
    ids = sample_import_ids(db)
    if not ids:
        return 0, None
    with system():
        saved = auto_backup(db, "before-clear-sample", keep=keep)
    for import_id in ids:
        undo_import(db, import_id)
    return len(ids), saved
