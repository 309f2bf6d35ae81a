"""The one place that opens the DuckDB file.

One connection per process and path; every call gets its own cursor so Streamlit's
script threads never share one; every write runs inside a single transaction.
Schema changes are numbered migrations recorded in ``schema_migrations`` and are
safe to re-run.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .access import check_write, system

DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent / "data" / "retro.duckdb"


def default_db_path() -> Path:
    """``RETRO_DB`` when set, else ``data/retro.duckdb`` beside the code."""
    env = os.environ.get("RETRO_DB")
    return Path(env).expanduser() if env else DEFAULT_DB_PATH


def quote_ident(name: str) -> str:
    """Quote an SQL identifier; the only way user-derived names reach SQL text."""
    if "\x00" in name:
        raise ValueError("identifier contains a NUL byte")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Quote a string literal for the few DDL spots DuckDB cannot parameterise."""
    if "\x00" in text:
        raise ValueError("literal contains a NUL byte")
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "imports, facts, transactions, layouts, settings",
        (
            "CREATE SEQUENCE IF NOT EXISTS import_id_seq START 1",
            """CREATE TABLE IF NOT EXISTS imports (
                id BIGINT PRIMARY KEY,
                file_name VARCHAR NOT NULL,
                file_sha256 VARCHAR NOT NULL,
                file_size BIGINT NOT NULL,
                imported_at TIMESTAMP NOT NULL,
                is_sample BOOLEAN NOT NULL DEFAULT false,
                mode VARCHAR NOT NULL DEFAULT 'replace',
                row_count BIGINT NOT NULL,
                period_min VARCHAR,
                period_max VARCHAR,
                sheets VARCHAR[] NOT NULL,
                actor VARCHAR
            )""",
            """CREATE TABLE IF NOT EXISTS import_sheets (
                import_id BIGINT NOT NULL,
                sheet_name VARCHAR NOT NULL,
                shape VARCHAR NOT NULL,
                fingerprint VARCHAR NOT NULL,
                mapping JSON NOT NULL,
                row_count BIGINT NOT NULL,
                periods VARCHAR[] NOT NULL,
                warnings JSON NOT NULL,
                reconciliation JSON NOT NULL,
                PRIMARY KEY (import_id, sheet_name)
            )""",
            # A segment is one combination of dimension values (区域=华东, 产品线=企业版); facts
            # name it by key, so a million facts do not each carry their own map.
            """CREATE TABLE IF NOT EXISTS segments (
                dims_key VARCHAR PRIMARY KEY,
                dims MAP(VARCHAR, VARCHAR) NOT NULL
            )""",
            # A KPI value: one metric, one scenario, one period, one segment.
            # replaced_by marks rows superseded by a later import, so undoing that
            # import brings them back instead of losing them.
            """CREATE TABLE IF NOT EXISTS fact_rows (
                import_id BIGINT NOT NULL,
                sheet_name VARCHAR NOT NULL,
                period DATE NOT NULL,
                grain VARCHAR NOT NULL,
                metric VARCHAR NOT NULL,
                unit VARCHAR,
                scenario VARCHAR NOT NULL,
                dims_key VARCHAR NOT NULL,
                value DOUBLE,
                replaced_by BIGINT
            )""",
            """CREATE OR REPLACE VIEW facts AS
                SELECT f.import_id, f.sheet_name, f.period, f.grain, f.metric, f.unit, f.scenario,
                       s.dims, f.dims_key, f.value, f.replaced_by
                FROM fact_rows f JOIN segments s ON s.dims_key = f.dims_key""",
            """CREATE TABLE IF NOT EXISTS transactions (
                import_id BIGINT NOT NULL,
                sheet_name VARCHAR NOT NULL,
                row_no BIGINT NOT NULL,
                txn_date DATE NOT NULL,
                customer_id VARCHAR,
                order_id VARCHAR,
                dims MAP(VARCHAR, VARCHAR) NOT NULL,
                measures MAP(VARCHAR, DOUBLE) NOT NULL,
                replaced_by BIGINT
            )""",
            """CREATE TABLE IF NOT EXISTS layouts (
                fingerprint VARCHAR PRIMARY KEY,
                mapping JSON NOT NULL,
                updated_at TIMESTAMP NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS settings (
                key VARCHAR PRIMARY KEY,
                value VARCHAR
            )""",
            """CREATE OR REPLACE VIEW current_facts AS
                SELECT * FROM facts WHERE replaced_by IS NULL""",
            """CREATE OR REPLACE VIEW current_transactions AS
                SELECT * FROM transactions WHERE replaced_by IS NULL""",
        ),
    ),
)


MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        2,
        "metric catalog, derived metrics, annotations, data version",
        (
            # One row per metric name as imported; the user's edits live here.
            """CREATE TABLE IF NOT EXISTS metrics (
                name VARCHAR PRIMARY KEY,
                label_zh VARCHAR,
                label_en VARCHAR,
                unit VARCHAR,
                aggregation VARCHAR NOT NULL,
                direction VARCHAR NOT NULL,
                category VARCHAR NOT NULL,
                number_format VARCHAR NOT NULL DEFAULT 'auto',
                hidden BOOLEAN NOT NULL DEFAULT false,
                merged_into VARCHAR,
                source VARCHAR NOT NULL DEFAULT 'facts',
                updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
            )""",
            """CREATE TABLE IF NOT EXISTS derived_metrics (
                name VARCHAR PRIMARY KEY,
                kind VARCHAR NOT NULL,
                first_metric VARCHAR NOT NULL,
                second_metric VARCHAR,
                unit VARCHAR,
                direction VARCHAR NOT NULL DEFAULT 'up',
                category VARCHAR NOT NULL DEFAULT 'other',
                created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
            )""",
            "CREATE SEQUENCE IF NOT EXISTS annotation_id_seq START 1",
            """CREATE TABLE IF NOT EXISTS annotations (
                id BIGINT PRIMARY KEY DEFAULT nextval('annotation_id_seq'),
                metric VARCHAR NOT NULL,
                period DATE NOT NULL,
                text VARCHAR NOT NULL,
                author VARCHAR,
                created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
            )""",
        ),
    ),
)


MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        3,
        "targets, target change log, KPI scoring settings",
        (
            # A target for one metric, period and segment. Imported plans are read from the facts
            # (scenario 'plan') and never copied here: a 'user' row replaces the plan for its key;
            # an 'import' row (value NULL) only gives an imported plan its owner and deadline.
            # dims_key is '' for the total, else 'dimension=value' pairs sorted and joined by '|'.
            "CREATE SEQUENCE IF NOT EXISTS target_id_seq START 1",
            """CREATE TABLE IF NOT EXISTS targets (
                id BIGINT PRIMARY KEY DEFAULT nextval('target_id_seq'),
                metric VARCHAR NOT NULL,
                grain VARCHAR NOT NULL,
                period DATE NOT NULL,
                dims_key VARCHAR NOT NULL,
                dims MAP(VARCHAR, VARCHAR) NOT NULL,
                value DOUBLE,
                source VARCHAR NOT NULL,
                basis VARCHAR,
                basis_pct DOUBLE,
                basis_value DOUBLE,
                pacing VARCHAR NOT NULL DEFAULT 'even',
                deadline DATE,
                owner VARCHAR,
                note VARCHAR,
                actor VARCHAR,
                created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
                updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
                UNIQUE (metric, grain, period, dims_key)
            )""",
            # Every insert, change and delete of a target with the row before and after: nothing a
            # user typed is lost, a deleted target can be restored.
            "CREATE SEQUENCE IF NOT EXISTS target_log_id_seq START 1",
            """CREATE TABLE IF NOT EXISTS target_log (
                id BIGINT PRIMARY KEY DEFAULT nextval('target_log_id_seq'),
                target_id BIGINT,
                action VARCHAR NOT NULL,
                before JSON,
                after JSON,
                actor VARCHAR,
                logged_at TIMESTAMP NOT NULL DEFAULT current_timestamp
            )""",
            # Per metric: weight in the overall score, status thresholds on attainment, score cap.
            """CREATE TABLE IF NOT EXISTS kpi_settings (
                metric VARCHAR PRIMARY KEY,
                weight DOUBLE NOT NULL DEFAULT 1.0,
                green DOUBLE NOT NULL DEFAULT 1.0,
                amber DOUBLE NOT NULL DEFAULT 0.9,
                cap DOUBLE NOT NULL DEFAULT 1.2,
                actor VARCHAR,
                updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
            )""",
        ),
    ),
)


# The review workspace (issue 5). Every item table has the same bookkeeping columns: version (bumped
# by each save, so a second editor's stale save is detected instead of overwriting), deleted_at (soft
# delete, undoable), actor and times. item_history keeps each row before and after every change.
_ITEM_COLUMNS = """review_id BIGINT,
                version INTEGER NOT NULL DEFAULT 1,
                deleted_at TIMESTAMP,
                actor VARCHAR,
                created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
                updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp"""

MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        4,
        "reviews, problems, measures, strategy tasks, milestones, lessons, item history",
        (
            "CREATE SEQUENCE IF NOT EXISTS review_id_seq START 1",
            """CREATE TABLE IF NOT EXISTS reviews (
                id BIGINT PRIMARY KEY DEFAULT nextval('review_id_seq'),
                title VARCHAR NOT NULL,
                grain VARCHAR NOT NULL,
                period_start DATE NOT NULL,
                period_end DATE NOT NULL,
                meeting_date DATE,
                attendees VARCHAR,
                status VARCHAR NOT NULL DEFAULT 'preparing',
                summary VARCHAR,
                previous_id BIGINT,
                version INTEGER NOT NULL DEFAULT 1,
                deleted_at TIMESTAMP,
                actor VARCHAR,
                created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
                updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
            )""",
            "CREATE SEQUENCE IF NOT EXISTS problem_id_seq START 1",
            f"""CREATE TABLE IF NOT EXISTS problems (
                id BIGINT PRIMARY KEY DEFAULT nextval('problem_id_seq'),
                title VARCHAR NOT NULL,
                description VARCHAR,
                category VARCHAR NOT NULL DEFAULT 'other',
                severity VARCHAR NOT NULL DEFAULT 'medium',
                metric VARCHAR,
                segment VARCHAR NOT NULL DEFAULT '',
                period DATE,
                grain VARCHAR,
                status VARCHAR NOT NULL DEFAULT 'open',
                whys JSON,
                fishbone JSON,
                source VARCHAR NOT NULL DEFAULT 'manual',
                {_ITEM_COLUMNS}
            )""",
            "CREATE SEQUENCE IF NOT EXISTS measure_id_seq START 1",
            f"""CREATE TABLE IF NOT EXISTS measures (
                id BIGINT PRIMARY KEY DEFAULT nextval('measure_id_seq'),
                problem_id BIGINT,
                title VARCHAR NOT NULL,
                owner VARCHAR NOT NULL,
                due DATE NOT NULL,
                support VARCHAR,
                acceptance VARCHAR,
                pdca VARCHAR NOT NULL DEFAULT 'plan',
                status VARCHAR NOT NULL DEFAULT 'planned',
                crit_metric VARCHAR,
                crit_op VARCHAR,
                crit_value DOUBLE,
                crit_basis VARCHAR,
                crit_period DATE,
                crit_grain VARCHAR,
                crit_segment VARCHAR NOT NULL DEFAULT '',
                {_ITEM_COLUMNS}
            )""",
            "CREATE SEQUENCE IF NOT EXISTS task_id_seq START 1",
            f"""CREATE TABLE IF NOT EXISTS tasks (
                id BIGINT PRIMARY KEY DEFAULT nextval('task_id_seq'),
                goal VARCHAR NOT NULL,
                task VARCHAR NOT NULL,
                owner VARCHAR NOT NULL,
                start_date DATE,
                end_date DATE,
                budget DOUBLE,
                budget_used DOUBLE,
                people VARCHAR,
                acceptance VARCHAR,
                progress DOUBLE,
                main_problem VARCHAR,
                countermeasure VARCHAR,
                status VARCHAR NOT NULL DEFAULT 'planned',
                {_ITEM_COLUMNS}
            )""",
            "CREATE SEQUENCE IF NOT EXISTS milestone_id_seq START 1",
            f"""CREATE TABLE IF NOT EXISTS milestones (
                id BIGINT PRIMARY KEY DEFAULT nextval('milestone_id_seq'),
                task_id BIGINT NOT NULL,
                title VARCHAR NOT NULL,
                planned_date DATE,
                actual_date DATE,
                progress DOUBLE,
                {_ITEM_COLUMNS}
            )""",
            "CREATE SEQUENCE IF NOT EXISTS lesson_id_seq START 1",
            f"""CREATE TABLE IF NOT EXISTS lessons (
                id BIGINT PRIMARY KEY DEFAULT nextval('lesson_id_seq'),
                kind VARCHAR NOT NULL,
                title VARCHAR,
                text VARCHAR NOT NULL,
                tags VARCHAR NOT NULL DEFAULT '',
                problem_id BIGINT,
                measure_id BIGINT,
                {_ITEM_COLUMNS}
            )""",
            # An open item of an earlier review shown (and checked) in a later one: the item itself is
            # not copied, so its status and history stay one thread across meetings.
            """CREATE TABLE IF NOT EXISTS review_links (
                review_id BIGINT NOT NULL,
                kind VARCHAR NOT NULL,
                item_id BIGINT NOT NULL,
                carried_from BIGINT,
                PRIMARY KEY (review_id, kind, item_id)
            )""",
            "CREATE SEQUENCE IF NOT EXISTS item_history_id_seq START 1",
            """CREATE TABLE IF NOT EXISTS item_history (
                id BIGINT PRIMARY KEY DEFAULT nextval('item_history_id_seq'),
                kind VARCHAR NOT NULL,
                item_id BIGINT NOT NULL,
                action VARCHAR NOT NULL,
                before JSON,
                after JSON,
                actor VARCHAR,
                logged_at TIMESTAMP NOT NULL DEFAULT current_timestamp
            )""",
        ),
    ),
)


MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        5,
        "monthly rollup of the facts per dimension (trends speed)",
        (
            # Current facts summed per metric, scenario, stored grain, month and one dimension's value
            # (dimension '' = the total), so a trends query reads thousands of rows, not millions.
            # Derived data only, built lazily by retro.metrics per (metric, scenario, dimension) and
            # read only while its fact_rollup_built.version is the data version (every write that
            # changes facts bumps that version in its own transaction).
            """CREATE TABLE IF NOT EXISTS fact_rollup (
                metric VARCHAR NOT NULL,
                scenario VARCHAR NOT NULL,
                grain VARCHAR NOT NULL,
                month DATE NOT NULL,
                dimension VARCHAR NOT NULL,
                dim_value VARCHAR,
                value_sum DOUBLE,
                value_count BIGINT NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS fact_rollup_built (
                metric VARCHAR NOT NULL,
                scenario VARCHAR NOT NULL,
                dimension VARCHAR NOT NULL,
                version BIGINT NOT NULL,
                PRIMARY KEY (metric, scenario, dimension)
            )""",
        ),
    ),
)


MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        6,
        "rollup per pair of dimensions (a filter on one, a breakdown by another)",
        (
            # A rollup row of a pair of dimensions has dimension 'a' + U+001F + 'b' (a < b), dim_value
            # the value of a and dim_value2 that of b: "华东's sales by product line" then reads the
            # rollup too, instead of scanning every stored value. Single dimensions leave it NULL.
            "ALTER TABLE fact_rollup ADD COLUMN IF NOT EXISTS dim_value2 VARCHAR",
        ),
    ),
)


MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        7,
        "notes imported from a sheet's note columns (偏差原因, 备注…) as annotations of their import",
        (
            # A note read from an imported row names its import (NULL: written by hand), the column
            # it came from (source, e.g. 偏差原因) and the row's segment (dims_key). Like fact_rows,
            # replaced_by marks a note superseded by a later import of the same metric, period and
            # segment; undoing an import deletes its notes and brings back the ones it replaced.
            # Hand-written notes (import_id NULL) are never touched by an import or its undo.
            "ALTER TABLE annotations ADD COLUMN IF NOT EXISTS import_id BIGINT",
            "ALTER TABLE annotations ADD COLUMN IF NOT EXISTS source VARCHAR",
            "ALTER TABLE annotations ADD COLUMN IF NOT EXISTS dims_key VARCHAR",
            "ALTER TABLE annotations ADD COLUMN IF NOT EXISTS replaced_by BIGINT",
        ),
    ),
)


MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        8,
        "whether an import agreed with its sheets' own totals",
        (
            # 'match': every totals row, totals column and SUM cell agreed with what was stored;
            # 'accepted': some sheet differed and the user confirmed it (preview, --accept-mismatch);
            # 'unchecked': the sheets had no totals to check. NULL: imported before this was kept.
            "ALTER TABLE imports ADD COLUMN IF NOT EXISTS reconciled VARCHAR",
        ),
    ),
)


MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        9,
        "which catalog settings the user set, and why each default is what it is",
        (
            # user_set: the fields of a metric the user set (label_zh, direction, merged_into…); a
            # later import never changes them, and a row with any is kept while no data has it.
            # NULL: a row from before this migration, sorted out by retro.metrics on its next sync.
            "ALTER TABLE metrics ADD COLUMN IF NOT EXISTS user_set VARCHAR[]",
            # reasons: per guessed field, what decided it ({"direction": {"code": "name", "word": "费用"}}).
            "ALTER TABLE metrics ADD COLUMN IF NOT EXISTS reasons JSON",
            # The next look at the catalog syncs it, whatever the data version: the old rows get sorted out.
            "DELETE FROM settings WHERE key = 'catalog_synced_version'",
        ),
    ),
)


MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        10,
        "the dataset an import belongs to (a name the user gives a source: 华东销售月报, 财务预算)",
        (
            # Imports of one dataset are the same source month after month; NULL before this was kept
            # (the file name stands for it).
            "ALTER TABLE imports ADD COLUMN IF NOT EXISTS dataset VARCHAR",
        ),
    ),
)


MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        11,
        "the KPI and period a success lesson was kept for (its identity, not its title)",
        (
            # A success kept for a KPI beyond plan names the KPI (metric, segment key as problems have
            # it), the period and its grain; retro.reviews.kept_success finds it by them, in whatever
            # language it was written. NULL metric: a lesson written by hand, or a success kept before
            # this migration (recognised by its title, see kept_success).
            "ALTER TABLE lessons ADD COLUMN IF NOT EXISTS metric VARCHAR",
            "ALTER TABLE lessons ADD COLUMN IF NOT EXISTS segment VARCHAR DEFAULT ''",
            "ALTER TABLE lessons ADD COLUMN IF NOT EXISTS period DATE",
            "ALTER TABLE lessons ADD COLUMN IF NOT EXISTS grain VARCHAR",
        ),
    ),
)


class DatabaseUnavailable(Exception):
    """The database cannot be used right now; ``code`` names a ``safety.db_<code>`` message.

    "busy": another process holds the file (DuckDB locks it for one writing process);
    "invalidated": DuckDB invalidated the connection after a fatal error (it is reopened on the
    next :func:`get_database`); "read_only": the file or its folder cannot be written (a read-only
    disk or mount, no permission); "disk_full": no space left for the file or its write-ahead log;
    "corrupted": the file is not a readable DuckDB database (truncated, overwritten). See
    :func:`classify`: nothing committed is lost in any of them."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(f"{code}: {params.get('detail') or params.get('path')}")
        self.code = code
        self.params = params


_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (.*?) \(PID (\d+)\)")
# What DuckDB's I/O errors say (its own words, or the operating system's strerror it quotes) for each
# fault a person can do something about. File too large (EFBIG) is a process limit, not a full disk.
_FAULTS = (
    ("read_only", re.compile(r"read-only file system|permission denied|operation not permitted|"
                             r"attached in read-only mode", re.IGNORECASE)),
    ("disk_full", re.compile(r"no space left on device|disk quota exceeded|not enough space", re.IGNORECASE)),
    ("corrupted", re.compile(r"not a valid duckdb database file|could not read enough bytes|checksum|corrupt|"
                             r"database file with version number|failed to read database header", re.IGNORECASE)),
)


def classify(error: BaseException | str) -> str | None:
    """The :class:`DatabaseUnavailable` code a DuckDB error means ("read_only", "disk_full",
    "corrupted"), or None for an error that is none of them (a bug: it propagates as it is)."""
    text = str(error)
    for code, pattern in _FAULTS:
        if pattern.search(text):
            return code
    return None


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" not in text.lower():
            code = classify(text)
            if code is None:
                raise
            raise DatabaseUnavailable(code, path=str(path), detail=text[:300]) from None
        found = _LOCK_HOLDER.search(text)
        raise DatabaseUnavailable(
            "busy", path=str(path), program=Path(found.group(1)).name if found else "?",
            pid=found.group(2) if found else "?", detail=text[:300],
        ) from None


def held_by_another_process(path: str | Path) -> bool:
    """Another process has the DuckDB file at ``path`` open (its lock is taken): leave the file alone."""
    try:
        duckdb.connect(str(path), read_only=True).close()
    except duckdb.Error as exc:
        return "lock" in str(exc).lower()
    return False


class Database:
    """A DuckDB file with the schema migrated; hand out cursors, run transactions."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = _connect(self.path, read_only)
        self._lock = threading.Lock()
        self._version: int | None = None
        # Set when DuckDB invalidated this connection (a fatal error) or it was closed: get_database
        # then hands out a fresh one instead of this.
        self.broken = False
        if not read_only:
            self.migrate()

    def close(self) -> None:
        self.broken = True
        self._con.close()

    def alive(self) -> bool:
        """The connection still answers (False once DuckDB invalidated it or it was closed)."""
        if self.broken:
            return False
        try:
            with self.cursor() as cur:
                cur.execute("SELECT 1").fetchall()
        except DatabaseUnavailable:
            return False
        return True

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        try:
            cur = self._con.cursor()
        except (duckdb.FatalException, duckdb.ConnectionException) as exc:
            self.broken = True
            raise DatabaseUnavailable("invalidated", path=str(self.path), detail=str(exc)[:300]) from exc
        try:
            yield cur
        except duckdb.FatalException as exc:
            # DuckDB refuses every later call on this database until it is reopened; the fault that
            # caused it (a full disk, …) names the message, so the page says what to do about it.
            self.broken = True
            raise DatabaseUnavailable(classify(exc) or "invalidated", path=str(self.path),
                                      detail=str(exc)[:300]) from exc
        except (duckdb.IOException, duckdb.PermissionException, duckdb.InvalidInputException,
                duckdb.TransactionException) as exc:  # a COMMIT that cannot write its log: TransactionException
            code = classify(exc)  # a write that found the disk full or the file read-only: rolled back
            if code is None:
                raise
            raise DatabaseUnavailable(code, path=str(self.path), detail=str(exc)[:300]) from exc
        except duckdb.ConnectionException as exc:
            self.broken = True
            raise DatabaseUnavailable("invalidated", path=str(self.path), detail=str(exc)[:300]) from exc
        finally:
            with suppress(duckdb.Error):  # closing a cursor of a dead connection: nothing left to release
                cur.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write: everything inside commits together or not at all. Refused for a viewer."""
        check_write()
        with self.cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")
            finally:
                self._version = None  # any write may have bumped it

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple]:
        with self.cursor() as cur:
            return cur.execute(sql, params or []).fetchall()

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> tuple | None:
        with self.cursor() as cur:
            return cur.execute(sql, params or []).fetchone()

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def frame(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
        with self.cursor() as cur:
            return cur.execute(sql, params or []).df()

    def arrays(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> dict[str, Any]:
        """The result as numpy arrays by column (masked where NULL): for a caller that builds its own
        frame, ~2 ms sooner than :meth:`frame` for a few hundred rows."""
        with self.cursor() as cur:
            return cur.execute(sql, params or []).fetchnumpy()

    def applied_migrations(self) -> list[int]:
        return [r[0] for r in self.rows("SELECT version FROM schema_migrations ORDER BY version")]

    def migrate(self) -> list[int]:
        """Apply the migrations not yet recorded; each in its own transaction."""
        with self._lock:
            with self.cursor() as cur:
                cur.execute(
                    """CREATE TABLE IF NOT EXISTS schema_migrations (
                        version INTEGER PRIMARY KEY,
                        name VARCHAR NOT NULL,
                        applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp
                    )"""
                )
            done = set(self.applied_migrations())
            applied = []
            for migration in MIGRATIONS:
                if migration.version in done:
                    continue
                with system(), self.transaction() as cur:
                    for statement in migration.statements:
                        cur.execute(statement)
                    cur.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                        [migration.version, migration.name],
                    )
                applied.append(migration.version)
            return applied

    def data_version(self) -> int:
        """Bumped by every write that changes what pages show; caches key on it.

        Read once and kept until the next write transaction of this process: this process owns
        the file (DuckDB lets no other process write it meanwhile)."""
        if self._version is None:
            self._version = int(self.get_setting("data_version", "0") or 0)
        return self._version

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar("SELECT value FROM settings WHERE key = ?", [key])
        return default if value is None else value

    def set_setting(self, key: str, value: str | None) -> None:
        """Internal bookkeeping (versions, first start): written whoever is looking."""
        with system(), self.transaction() as cur:
            cur.execute(
                "INSERT INTO settings VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )


def bump_version(cur: duckdb.DuckDBPyConnection) -> None:
    """Inside a write's transaction: what pages show has changed, so cached results are stale."""
    cur.execute(
        """INSERT INTO settings VALUES ('data_version', '1')
           ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS VARCHAR)"""
    )


@contextmanager
def registered(cur: duckdb.DuckDBPyConnection, name: str, table: Any) -> Iterator[None]:
    """An Arrow table visible to SQL as ``name`` for the duration of the block."""
    register(cur, name, table)
    try:
        yield
    finally:
        unregister(cur, name)


def register(cur: duckdb.DuckDBPyConnection, name: str, table: Any) -> None:
    # fetchone() leaves a result open, and DuckDB 2 refuses to (un)register while one is.
    cur.execute("SELECT 1").fetchall()
    cur.register(name, table)


def unregister(cur: duckdb.DuckDBPyConnection, name: str) -> None:
    # DuckDB refuses to drop a view while a result that read it is still open.
    cur.execute("SELECT 1").fetchall()
    cur.unregister(name)


_databases: dict[Path, Database] = {}
_databases_lock = threading.Lock()


def get_database(path: str | Path | None = None) -> Database:
    """The process's single Database for ``path`` (default: :func:`default_db_path`)."""
    resolved = Path(path).expanduser().resolve() if path else default_db_path().resolve()
    with _databases_lock:
        db = _databases.get(resolved)
        if db is not None and db.broken:
            # A fatal error invalidated it (or it was closed): reopen instead of failing until a restart.
            with suppress(duckdb.Error):
                db._con.close()
            del _databases[resolved]
            db = None
        if db is None:
            db = Database(resolved)  # DatabaseUnavailable("busy") when another process holds the file
            _databases[resolved] = db
        return db


def close_all() -> None:
    with _databases_lock:
        for db in _databases.values():
            db.close()
        _databases.clear()
