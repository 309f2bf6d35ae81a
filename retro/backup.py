"""Backup and restore of the whole database, as Parquet files a person can also open elsewhere.

A backup is a folder: DuckDB's EXPORT DATABASE output plus a manifest of every table's row count.
Restoring builds a new database file through the migrations, loads every table into it in one
transaction, checks the counts against the manifest, and only then swaps it in — after backing up
what is being replaced, so a restore can itself be undone.

PostgreSQL (issue 18) writes and reads the same folders, so a DuckDB backup restores into PostgreSQL and
back. A backup reads every table in one snapshot (one connection, ``REPEATABLE READ READ ONLY``) into an
in-memory DuckDB migrated like a file, and lets that DuckDB export it: the same files, the same column
types (a JSONB map is a MAP again). A restore loads and checks the backup in an in-memory DuckDB first,
exactly as into a new file (a bad backup is refused there, nothing touched), then, in one transaction
that keeps other servers' writes out (``LOCK … IN EXCLUSIVE MODE``; their reads go on, seeing the replaced
data until the commit): the automatic backup of what is replaced, every table's rows deleted and loaded
again (COPY), the sequences set past the restored ids, the counts checked against the manifest, and the
data and numbers versions moved past both, so every server's caches miss. No file is swapped.

Before each destructive action (undo of an import, a restore) an automatic backup goes to
``backups/`` beside the database file; the newest :data:`KEEP_AUTOMATIC` of them are kept. The UI
offers a backup as one .zip download and restores from an uploaded one (:func:`restore_zip`).

What a failed or killed backup or restore leaves behind is removed: by the function itself when it
fails, and by :func:`clean_leftovers` at the next start — the ``<db>.restoring`` staging file, the
``retro-restore-<pid>-*`` folders an upload is unpacked into (in the temp directory) and backup
folders without a manifest. Nothing another process or a running restore still uses is touched.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import tempfile
import threading
import time
import zipfile
from pathlib import Path, PurePosixPath

import duckdb

from .access import check_write, system
from .db import (
    Database,
    DatabaseUnavailable,
    analyze_tables,
    close_all,
    copy_arrow,
    data_dir,
    held_by_another_process,
    is_postgres,
    is_postgres_url,
    quote_ident,
    quote_literal,
    redact_url,
)

MANIFEST = "retro-backup.json"
KEEP_AUTOMATIC = 10
AUTO = "auto-"  # label prefix of the automatic backups (only those are pruned)
# An uploaded backup zip: what one can hold. Parquet compresses real data ~5-10:1.
ZIP_MAX_FILES = 200
ZIP_MAX_BYTES = 2 * 1024 * 1024 * 1024
ZIP_MAX_RATIO = 200
ZIP_SUFFIXES = {".parquet", ".json", ".sql", ".csv"}
UNPACK_PREFIX = "retro-restore-"  # + "<pid>-": the process that unpacked it; gone means a leftover
STAGING = ".restoring"  # beside the database: the restored file being built
DAMAGED = ".damaged-"  # beside the database: a damaged file kept when a restore replaced it
# What this process is writing right now (another session's backup or restore): never a leftover.
_busy: set[Path] = set()
_busy_lock = threading.Lock()


class BackupError(Exception):
    """A folder that is not a usable backup; ``code`` names an i18n message."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


_TABLES = "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary ORDER BY 1"
# PostgreSQL's own: the base tables of the schema retro's tables are in (in DuckDB's byte order).
_PG_TABLES = ("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
              "AND table_type = 'BASE TABLE' ORDER BY table_name COLLATE \"C\"")


def _tables(db: Database) -> list[str]:
    return [r[0] for r in db.rows(_PG_TABLES if is_postgres(db) else _TABLES)]


def table_counts(db: Database) -> dict[str, int]:
    return {t: db.scalar(f"SELECT count(*) FROM {quote_ident(t)}") for t in _tables(db)}


def backup(db: Database, out_dir: str | Path, *, label: str = "manual", now: dt.datetime | None = None) -> Path:
    """Export every table to ``out_dir/retro-<time>-<label>/``; returns that folder."""
    return _backup(db, out_dir, label=label, now=now)


def _backup(db: Database, out_dir: str | Path, *, label: str, now: dt.datetime | None = None, pg_cur=None) -> Path:
    """:func:`backup`; on PostgreSQL inside the transaction of ``pg_cur`` when given (a restore's)."""
    now = now or dt.datetime.now()
    target = Path(out_dir) / f"retro-{now:%Y%m%d-%H%M%S-%f}-{label}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with _writing(target):
        try:
            if is_postgres(db):
                if pg_cur is not None:
                    counts = _export_postgres(pg_cur, target)
                else:
                    with db.cursor() as cur:
                        # Every table in one snapshot, as on DuckDB below; a read: nothing to keep.
                        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                        try:
                            counts = _export_postgres(cur, target)
                        finally:
                            cur.execute("ROLLBACK")
            else:
                # The export and the counts in one snapshot: a page building the rollup on another thread
                # between the two made a sound backup "damaged" (168 rows counted, 144 exported).
                with db.cursor() as cur:
                    cur.execute("BEGIN TRANSACTION")
                    try:
                        cur.execute(f"EXPORT DATABASE {quote_literal(str(target))} (FORMAT parquet)")
                        counts = {t: cur.execute(f"SELECT count(*) FROM {quote_ident(t)}").fetchone()[0]
                                  for t in [r[0] for r in cur.execute(_TABLES).fetchall()]}
                    finally:
                        cur.execute("ROLLBACK")  # a read: nothing to keep
            manifest = {
                "created": now.isoformat(timespec="seconds"),
                "label": label,
                "source": redact_url(str(db.path)) if is_postgres(db) else str(db.path),
                "schema_version": max(db.applied_migrations(), default=0),
                "tables": counts,
            }
            (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        except BaseException as exc:
            shutil.rmtree(target, ignore_errors=True)  # a half-written backup is no backup: leave no folder
            if isinstance(exc, OSError) and not isinstance(exc, DatabaseUnavailable):
                from .db import classify

                code = classify(exc)  # the manifest could not be written: the disk is full or read-only
                if code is not None:
                    raise DatabaseUnavailable(code, path=str(target), detail=str(exc)[:300]) from exc
            raise
    return target


# A table retro's migrations do not make (one a person added on the server) gets a DuckDB type for each of
# its PostgreSQL columns in the backup; the rest as text. retro's own tables take the migrated types.
_PG_TO_DUCKDB = {
    "bigint": "BIGINT", "integer": "INTEGER", "smallint": "SMALLINT", "double precision": "DOUBLE",
    "real": "FLOAT", "numeric": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE", "json": "JSON", "jsonb": "JSON",
    "timestamp without time zone": "TIMESTAMP", "timestamp with time zone": "TIMESTAMPTZ",
}
_PG_ARRAY_ITEMS = {"_text": "VARCHAR", "_varchar": "VARCHAR", "_int8": "BIGINT", "_int4": "INTEGER",
                   "_float8": "DOUBLE", "_bool": "BOOLEAN", "_date": "DATE"}


def _duckdb_type(data_type: str, udt_name: str) -> str:
    if data_type == "ARRAY":
        return _PG_ARRAY_ITEMS.get(udt_name, "VARCHAR") + "[]"
    return _PG_TO_DUCKDB.get(data_type, "VARCHAR")


def _nested(duck_type: str) -> bool:
    """A type PostgreSQL holds as JSON(B) or an array and hands over as JSON text (maps, lists, structs)."""
    return duck_type.startswith(("MAP(", "STRUCT(")) or duck_type.endswith("]")


def _export_postgres(cur, target: Path) -> dict[str, int]:
    """Inside a transaction of ``cur`` (PostgreSQL): every table's rows into an in-memory DuckDB holding
    retro's migrated schema, which exports them to ``target`` as a DuckDB file's backup is exported —
    the same Parquet files with the same column types. The row counts by table.

    Each table comes over as one ``COPY (SELECT …) TO STDOUT`` in CSV (a NULL an unquoted empty field,
    an empty text a quoted one), a JSONB map and an array as JSON text that DuckDB casts back to its
    MAP or list; written to a temporary file first, so a big table is never held in memory twice."""
    cur.execute("SET LOCAL extra_float_digits = 1")  # a double's shortest text that reads back to the bit
    cur.execute("SET LOCAL DateStyle = 'ISO, YMD'")
    tables = [r[0] for r in cur.execute(_PG_TABLES).fetchall()]
    pg_columns: dict[str, list[tuple[str, str, str]]] = {}
    for table, column, data_type, udt in cur.execute(
        """SELECT table_name, column_name, data_type, udt_name FROM information_schema.columns
           WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"""
    ).fetchall():
        pg_columns.setdefault(table, []).append((column, data_type, udt))
    staging = Database(":memory:")
    try:
        with staging.cursor() as duck, _unpack_dir() as tmp:
            migrated: dict[str, dict[str, str]] = {}
            for table, column, duck_type in duck.execute(
                """SELECT c.table_name, c.column_name, c.data_type FROM duckdb_columns() c
                   JOIN duckdb_tables() t ON t.table_oid = c.table_oid ORDER BY c.column_index"""
            ).fetchall():
                migrated.setdefault(table, {})[column] = duck_type
            counts = {}
            for number, table in enumerate(tables):
                types = migrated.get(table) or {}
                columns = [(name, types.get(name) or _duckdb_type(data_type, udt))
                           for name, data_type, udt in pg_columns.get(table, [])]
                if table not in migrated:
                    duck.execute(f"CREATE TABLE {quote_ident(table)} ("
                                 + ", ".join(f"{quote_ident(n)} {t}" for n, t in columns) + ")")
                duck.execute(f"DELETE FROM {quote_ident(table)}")  # what the migrations seeded (schema_migrations)
                counts[table] = cur.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchone()[0]
                if not columns or not counts[table]:
                    continue
                select = ", ".join(
                    (f"CAST(to_json({quote_ident(n)}) AS TEXT)" if t.endswith("]")
                     else f"CAST({quote_ident(n)} AS TEXT)" if _nested(t) or t == "JSON" else quote_ident(n))
                    for n, t in columns)
                csv = Path(tmp) / f"{number}.csv"
                with csv.open("wb") as out, cur.raw.copy(
                        f"COPY (SELECT {select} FROM {quote_ident(table)}) TO STDOUT (FORMAT csv)") as copy:
                    for chunk in copy:
                        out.write(chunk)
                fields = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(columns))) + "}"
                values = ", ".join(
                    f"c{i}" if t in ("VARCHAR", "JSON")
                    else f"CAST(CAST(c{i} AS JSON) AS {t})" if _nested(t) else f"CAST(c{i} AS {t})"
                    for i, (_n, t) in enumerate(columns))
                duck.execute(
                    f"INSERT INTO {quote_ident(table)} ({', '.join(quote_ident(n) for n, _t in columns)}) "
                    f"SELECT {values} FROM read_csv(?, columns = {fields}, header = false, auto_detect = false, "
                    "delim = ',', quote = '\"', escape = '\"', allow_quoted_nulls = false)",
                    [str(csv)],
                )
                csv.unlink()
                loaded = duck.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchone()[0]
                if loaded != counts[table]:  # a row lost or split on the way: no backup rather than a wrong one
                    raise RuntimeError(f"backup of {table}: {counts[table]} rows in PostgreSQL, {loaded} read back")
            _advance_sequences(duck)  # schema.sql then starts each sequence past the ids, as a file's export does
            duck.execute(f"EXPORT DATABASE {quote_literal(str(target))} (FORMAT parquet)")
    finally:
        staging.close()
    return counts


class _writing:
    """Marks ``path`` as being written by this process for the block (see :func:`clean_leftovers`)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).resolve()

    def __enter__(self) -> None:
        with _busy_lock:
            _busy.add(self.path)

    def __exit__(self, *exc: object) -> None:
        with _busy_lock:
            _busy.discard(self.path)


def backups_dir(db_path: str | Path) -> Path:
    """Where the automatic backups of the database at ``db_path`` go: ``backups/`` beside it; for a
    PostgreSQL URL ``backups/`` in retro's own folder (:func:`retro.db.data_dir`)."""
    if is_postgres_url(db_path):
        return data_dir(db_path) / "backups"
    return Path(db_path).resolve().parent / "backups"


def automatic_backups(folder: str | Path) -> list[Path]:
    """The automatic backups in ``folder``, newest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.is_dir() and f"-{AUTO}" in p.name and (p / MANIFEST).is_file()]
    return sorted(found, key=lambda p: p.name, reverse=True)


def auto_backup(db: Database, reason: str, *, keep: int = KEEP_AUTOMATIC, folder: str | Path | None = None) -> Path:
    """Back up before a destructive action; keeps the newest ``keep`` automatic backups."""
    target = backup(db, folder or backups_dir(db.path), label=AUTO + reason)
    _prune(target.parent, keep)
    return target


def _prune(folder: Path, keep: int) -> None:
    for old in automatic_backups(folder)[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def undo_import_with_backup(db: Database, import_id: int, *, keep: int = KEEP_AUTOMATIC) -> tuple[bool, Path | None]:
    """Undo an import after an automatic backup of the database as it was (None when there was no such import)."""
    from .ingest import undo_import

    check_write()  # a viewer gets no backup written on their behalf either
    if not db.scalar("SELECT count(*) FROM imports WHERE id = ?", [import_id]):
        return False, None
    with system():
        saved = auto_backup(db, f"before-undo-{int(import_id)}", keep=keep)
    return undo_import(db, import_id), saved


def backup_zip(db: Database, out_dir: str | Path | None = None) -> tuple[str, bytes]:
    """A manual backup (editors only), written to ``out_dir`` (default: beside the database) and
    returned as one .zip (file name, bytes) for a download."""
    check_write()
    folder = backup(db, out_dir or backups_dir(db.path), label="manual")
    return f"{folder.name}.zip", zip_folder(folder)


def zip_folder(folder: str | Path) -> bytes:
    """The backup folder as a .zip whose entries sit under the folder's name."""
    folder = Path(folder)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:  # Parquet is compressed already
        for path in sorted(folder.iterdir()):
            if path.is_file():
                z.write(path, f"{folder.name}/{path.name}")
    return buf.getvalue()


def _unpack(data: bytes, into: Path) -> Path:
    """A backup zip unpacked into ``into``; the folder holding its manifest. Refuses what a backup
    never holds: paths leaving the folder, other kinds of files, too many or too large entries."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise BackupError("zip_invalid") from None
    if not infos or len(infos) > ZIP_MAX_FILES:
        raise BackupError("zip_invalid")
    total = 0
    for info in infos:
        name = PurePosixPath(info.filename)
        if info.is_dir():
            continue
        if name.is_absolute() or ".." in name.parts or len(name.parts) > 2 or "\\" in info.filename:
            raise BackupError("zip_unsafe", name=info.filename)
        if name.suffix.lower() not in ZIP_SUFFIXES:
            raise BackupError("zip_unsafe", name=info.filename)
        total += info.file_size
        if total > ZIP_MAX_BYTES or info.file_size > max(info.compress_size, 1) * ZIP_MAX_RATIO + 1_000_000:
            raise BackupError("zip_unsafe", name=info.filename)
    manifests = [PurePosixPath(i.filename) for i in infos if PurePosixPath(i.filename).name == MANIFEST]
    if len(manifests) != 1:
        raise BackupError("not_a_backup", folder="zip")
    try:
        for info in infos:
            if info.is_dir():
                continue
            target = into.joinpath(*PurePosixPath(info.filename).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise BackupError("zip_invalid") from None
    return into.joinpath(*manifests[0].parent.parts)


def _unpack_dir() -> tempfile.TemporaryDirectory:
    """Where an upload is unpacked: named after this process, so a later start knows it for a leftover
    once this process is gone (removed here on any failure, and at the end)."""
    return tempfile.TemporaryDirectory(prefix=f"{UNPACK_PREFIX}{os.getpid()}-", ignore_cleanup_errors=True)


def zip_manifest(data: bytes) -> dict:
    """The manifest of an uploaded backup zip (for the confirmation), or BackupError."""
    with _unpack_dir() as tmp:
        return read_manifest(_unpack(data, Path(tmp)))


def restore_zip(db_path: str | Path | Database, data: bytes, *, backups_dir: str | Path | None = None) -> Path | None:
    """Restore from an uploaded backup zip (editors only) into the database at ``db_path`` (a file, a
    PostgreSQL URL or database); returns the automatic backup of what it replaced."""
    check_write()
    with _unpack_dir() as tmp:
        folder = _unpack(data, Path(tmp))
        return restore(db_path, folder, backups_dir=backups_dir)


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


def restore(db_path: str | Path | Database, folder: str | Path, *, backups_dir: str | Path | None = None) -> Path | None:
    """Replace the database at ``db_path`` (a DuckDB file, or a PostgreSQL URL or database) with the
    backup in ``folder``.

    Returns the automatic backup made of the database that was replaced (None when there was none).
    Nothing changes when the backup is unusable: the new file (an in-memory DuckDB for PostgreSQL) is
    built and checked aside first.
    """
    check_write()
    folder = Path(folder)
    manifest = read_manifest(folder)
    for table in manifest["tables"]:
        if not (folder / f"{table}.parquet").is_file():
            raise BackupError("backup_incomplete", table=table)
    if is_postgres(db_path) or is_postgres_url(db_path):
        return _restore_postgres(db_path, folder, manifest, backups_dir)
    db_path = Path(db_path)
    staging = db_path.with_name(db_path.name + STAGING)
    with _writing(staging):
        return _restore(db_path, folder, manifest, staging, backups_dir)


def _load(fresh: Database, folder: Path, manifest: dict) -> None:
    """The backup in ``folder`` loaded into ``fresh`` (a new DuckDB, migrated) and checked: BackupError
    when it holds tables this retro does not know, columns or values its tables do not take, or other
    row counts than its manifest says."""
    known = set(_tables(fresh))
    unknown = set(manifest["tables"]) - known
    if unknown:
        raise BackupError("backup_newer", tables=sorted(unknown))
    with fresh.transaction() as cur:
        for table in manifest["tables"]:
            # Migrations seeded some tables (schema_migrations); the backup's rows replace them.
            cur.execute(f"DELETE FROM {quote_ident(table)}")
            try:
                cur.execute(
                    f"INSERT INTO {quote_ident(table)} BY NAME SELECT * FROM read_parquet(?)",
                    [str(folder / f"{table}.parquet")],
                )
            except (duckdb.BinderException, duckdb.ConversionException, duckdb.ConstraintException,
                    duckdb.InvalidInputException, duckdb.CatalogException) as exc:
                # Columns this retro does not have, values of another type, a file that is no Parquet.
                raise BackupError("backup_schema", table=table, detail=str(exc).splitlines()[0][:200]) from None
        _advance_sequences(cur)
    counts = table_counts(fresh)
    for table, expected in manifest["tables"].items():
        if counts.get(table) != expected:
            raise BackupError("backup_mismatch", table=table, expected=expected, found=counts.get(table))


def _restore_postgres(target: str | Database, folder: Path, manifest: dict, into: str | Path | None) -> Path:
    """:func:`restore` into a PostgreSQL database (see the module's docstring); the automatic backup of
    what it replaced (in ``into``, default :func:`backups_dir`)."""
    import psycopg

    from .db import get_database

    db = target if is_postgres(target) else get_database(str(target))
    fresh = Database(":memory:")  # the backup loaded and checked as into a new file: refused here, nothing touched
    safety = None
    try:
        _load(fresh, folder, manifest)
        tables = [t for t in _tables(fresh) if t in set(_tables(db))]
        with fresh.cursor() as duck, system(), db.transaction() as cur:
            # Other servers' writes wait from here to the commit (none lands between the automatic
            # backup and the load, or on top of the restored rows); their reads go on meanwhile.
            cur.execute("LOCK TABLE " + ", ".join(quote_ident(t) for t in tables) + " IN EXCLUSIVE MODE")
            replaced = cur.execute("SELECT value FROM settings WHERE key = 'data_version'").fetchone()
            safety = _backup(db, into or backups_dir(db.path), label=AUTO + "before-restore", pg_cur=cur)
            for table in tables:
                cur.execute(f"DELETE FROM {quote_ident(table)}")  # not TRUNCATE: readers keep their snapshot
            for table in tables:
                names = [r[0] for r in duck.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
                    [table]).fetchall()]
                rows = duck.sql(f"SELECT {', '.join(quote_ident(n) for n in names)} FROM {quote_ident(table)}")
                try:
                    copy_arrow(cur, table, rows.to_arrow_reader(100_000), names)
                except psycopg.errors.DataError as exc:  # a value PostgreSQL refuses (a NUL in a text)
                    raise BackupError("backup_schema", table=table, detail=str(exc).splitlines()[0][:200]) from None
            _advance_pg_sequences(cur)
            for table, expected in manifest["tables"].items():
                found = cur.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchone()[0]
                if found != expected:
                    raise BackupError("backup_mismatch", table=table, expected=expected, found=found)
            # As for a file: past both the replaced and the restored data version, so every cache misses,
            # on this server and on the others (they read the version from here).
            past_both = str(max(int(replaced[0]) if replaced else 0, fresh.data_version()) + 1)
            for key in ("data_version", "numbers_version"):
                cur.execute("""INSERT INTO settings VALUES (?, ?)
                               ON CONFLICT (key) DO UPDATE SET value = excluded.value""", [key, past_both])
    except BaseException:
        if safety is not None:  # made inside the transaction that failed: nothing was replaced
            shutil.rmtree(safety, ignore_errors=True)
        raise
    finally:
        fresh.close()
    _prune(safety.parent, KEEP_AUTOMATIC)
    analyze_tables(db, *tables)  # every row is new: the planner's statistics describe the replaced ones
    return safety


def _drop_staging(fresh: Database | None, staging: Path) -> None:
    if fresh is not None:
        fresh.close()
    for leftover in (staging, Path(str(staging) + ".wal")):
        leftover.unlink(missing_ok=True)


def _restore(db_path: Path, folder: Path, manifest: dict, staging: Path, backups_dir: str | Path | None) -> Path | None:
    _drop_staging(None, staging)
    fresh = None
    try:
        fresh = Database(staging)
        _load(fresh, folder, manifest)
    except BaseException:
        _drop_staging(fresh, staging)
        raise
    safety = None
    try:
        if db_path.exists():
            # DatabaseUnavailable("busy") here when another process holds the file: nothing replaced
            try:
                current = Database(db_path) if not _is_open(db_path) else None
            except DatabaseUnavailable as exc:
                if exc.code != "corrupted":
                    raise
                # A damaged file cannot be backed up: it is kept as it is beside the database instead.
                close_all()
                safety = db_path.with_name(f"{db_path.name}{DAMAGED}{dt.datetime.now():%Y%m%d-%H%M%S}")
                os.replace(db_path, safety)
                Path(str(db_path) + ".wal").unlink(missing_ok=True)
                current = None
                replaced_version = 0
            if safety is None:
                from .db import get_database

                live = current or get_database(db_path)
                with system():
                    safety = auto_backup(live, "before-restore", folder=backups_dir)
                replaced_version = live.data_version()
                if current is not None:
                    current.close()
            # The restored file must not reuse a data version the replaced one had: what was cached
            # for that version describes other data. Past both, so every cache misses.
            past_both = str(max(replaced_version, fresh.data_version()) + 1)
            with system(), fresh.transaction() as cur:
                for key in ("data_version", "numbers_version"):  # the numbers changed too
                    cur.execute(
                        """INSERT INTO settings VALUES (?, ?)
                           ON CONFLICT (key) DO UPDATE SET value = excluded.value""",
                        [key, past_both],
                    )
    except BaseException:
        _drop_staging(fresh, staging)
        raise
    fresh.close()
    close_all()
    Path(str(db_path) + ".wal").unlink(missing_ok=True)
    os.replace(staging, db_path)
    return safety


def latest_backup(db_path: str | Path) -> tuple[Path, dict] | None:
    """The newest usable backup beside the database (automatic or manual; for a PostgreSQL URL in
    :func:`backups_dir`) and its manifest, or None."""
    folder = backups_dir(db_path)
    if not folder.is_dir():
        return None
    for candidate in sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.name, reverse=True):
        try:
            return candidate, read_manifest(candidate)
        except BackupError:
            continue
    return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def clean_leftovers(db_path: str | Path, *, temp_dir: str | Path | None = None, grace: float = 600.0) -> list[Path]:
    """Remove what a killed or failed backup or restore of the database at ``db_path`` left: the
    staging file (unless a restore in this or another process still has it open), the temp folders
    of processes that are gone, and backup folders without a manifest. The removed paths.

    A temp folder of the old unnamed kind (no pid) and a manifest-less backup folder are only taken
    when older than ``grace`` seconds: a backup another process writes right now has no manifest yet."""
    removed: list[Path] = []
    with _busy_lock:
        busy = set(_busy)
    if is_postgres_url(db_path):  # no staging file on PostgreSQL: a restore loads in one transaction
        staging = Path(tempfile.gettempdir()) / "retro-no-staging-file"
    else:
        db_path = Path(db_path).resolve()
        staging = db_path.with_name(db_path.name + STAGING)
    if staging.exists() and staging not in busy and not held_by_another_process(staging):
        for leftover in (staging, Path(str(staging) + ".wal")):
            if leftover.exists():
                leftover.unlink(missing_ok=True)
                removed.append(leftover)
    elif not staging.exists() and Path(str(staging) + ".wal").exists() and staging not in busy:
        Path(str(staging) + ".wal").unlink(missing_ok=True)
        removed.append(Path(str(staging) + ".wal"))
    now = time.time()
    temp = Path(temp_dir or tempfile.gettempdir())
    for folder in temp.glob(f"{UNPACK_PREFIX}*"):
        if not folder.is_dir():
            continue
        owner = folder.name[len(UNPACK_PREFIX):].split("-", 1)[0]
        if owner.isdigit():
            if int(owner) == os.getpid() or _pid_alive(int(owner)):
                continue
        elif now - folder.stat().st_mtime < grace:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    backups = backups_dir(db_path)
    if backups.is_dir():
        for folder in backups.iterdir():
            if (folder.is_dir() and folder.resolve() not in busy and not (folder / MANIFEST).exists()
                    and (not any(folder.iterdir()) or now - folder.stat().st_mtime >= grace)):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


def _is_open(path: Path) -> bool:
    from . import db as dbmod

    return path.resolve() in dbmod._databases


def _advance_pg_sequences(cur) -> None:
    """PostgreSQL's :func:`_advance_sequences`: each sequence past the ids the restored rows use, never
    back (``setval`` is not rolled back with the transaction, and another server may have handed out
    the ids above: a sequence that only moves forward never gives one out twice)."""
    tops = _sequence_tops(
        cur,
        """SELECT table_name, column_name, column_default FROM information_schema.columns
           WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'""",
        "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema()")
    for sequence, top in tops.items():
        last, called = cur.execute(f"SELECT last_value, is_called FROM {quote_ident(sequence)}").fetchone()
        if top > (last if called else last - 1):
            cur.execute("SELECT setval(?, ?)", [quote_ident(sequence), top])


# Sequences the code draws from by hand (the others are column defaults, found below).
_EXPLICIT_SEQUENCES = {"import_id_seq": ("imports", "id")}


def _advance_sequences(cur) -> None:
    """Sequences are not in the export: start each past the ids the restored rows use (every table
    whose column defaults to nextval of it: targets, reviews, problems, … — not only imports)."""
    tops = _sequence_tops(
        cur,
        """SELECT table_name, column_name, column_default FROM duckdb_columns()
           WHERE database_name = current_database() AND column_default LIKE 'nextval(%'""",
        "SELECT sequence_name FROM duckdb_sequences() WHERE database_name = current_database()")
    for sequence, top in tops.items():
        current = cur.execute(f"SELECT nextval({quote_literal(sequence)})").fetchone()[0]
        if current <= top:  # DuckDB has no setval: step the sequence past the restored ids, in one query
            cur.execute(f"SELECT max(nextval({quote_literal(sequence)})) FROM range(?)", [top - current]).fetchall()


def _sequence_tops(cur, defaults_sql: str, sequences_sql: str) -> dict[str, int]:
    """Each existing sequence and the highest id the restored rows hold in a column it numbers (its
    columns found by their ``nextval`` defaults, read by ``defaults_sql`` from the engine's catalog)."""
    uses: dict[str, set[tuple[str, str]]] = {k: {v} for k, v in _EXPLICIT_SEQUENCES.items()}
    for table, column, default in cur.execute(defaults_sql).fetchall():
        sequence = default.split("'")[1] if "'" in default else None
        if sequence:
            uses.setdefault(sequence, set()).add((table, column))
    existing = {r[0] for r in cur.execute(sequences_sql).fetchall()}
    return {sequence: max(cur.execute(f"SELECT coalesce(max({quote_ident(c)}), 0) FROM {quote_ident(t)}").fetchone()[0]
                          for t, c in columns)
            for sequence, columns in uses.items() if sequence in existing}
