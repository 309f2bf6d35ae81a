"""The one place that opens the database: a DuckDB file (the default), or PostgreSQL by URL.

One connection per process and path; every call gets its own cursor so Streamlit's
script threads never share one; every write runs inside a single transaction.
Schema changes are numbered migrations recorded in ``schema_migrations`` and are
safe to re-run. ``RETRO_DB`` / ``--db`` naming a ``postgresql://`` URL opens a
:class:`PostgresDatabase` instead (a connection pool, the same calls, the same
migrations; see the PostgreSQL section below and docs/postgres.md).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import duckdb
import pandas as pd

from .access import check_write, system

DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent / "data" / "retro.duckdb"


def default_db_path() -> Path:
    """``RETRO_DB`` when set, else ``data/retro.duckdb`` beside the code: a DuckDB file. What to open
    is :func:`default_db_target` (a URL too); this stays for callers that need a file."""
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
    "corrupted": the file is not a readable DuckDB database (truncated, overwritten); "unreachable":
    the PostgreSQL server refused or could not be reached (its reason in ``detail``, no password). See
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
    """A DuckDB file with the schema migrated; hand out cursors, run transactions.

    ``Database("postgresql://…")`` returns a :class:`PostgresDatabase` instead."""

    def __new__(cls, path: str | Path, *, read_only: bool = False) -> Any:
        if cls is Database and is_postgres_url(path):
            return PostgresDatabase(str(path), read_only=read_only)
        return super().__new__(cls)

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = _connect(self.path, read_only)
        self._lock = threading.Lock()
        self._version: int | None = None
        self._numbers: int | None = None
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
                self._version = self._numbers = None  # any write may have bumped them

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

    def numbers_version(self) -> int:
        """The data version of the last write that changed a number a page computes (facts, the
        catalog, targets); a review, problem or lesson edit leaves it. Caches of series and
        scorecards key on it, so typing in the review workspace keeps them warm."""
        if self._numbers is None:
            self._numbers = int(self.get_setting("numbers_version", None) or self.data_version())
        return self._numbers

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


# --------------------------------------------------------------------------- PostgreSQL
#
# RETRO_DB / --db may name a PostgreSQL database by URL (postgresql://user:pass@host:port/db) instead of
# a DuckDB file. The SQL the domain modules write stays one text per query (docs/postgres.md says why):
# the portable subset both engines run as it is, and the few differences are translated here, once per
# SQL text, by :func:`pg_statement` (schema types) and :func:`pg_placeholders` (parameter markers).
# Rules: the password is never logged, printed, kept in ``path`` or put in an error (:func:`redact_url`);
# connections come from one pool per URL; every write is one transaction (BEGIN … COMMIT, as on DuckDB);
# the data version is read from the database on each call, since other servers write it too; migrations
# take an advisory lock so two servers starting together apply each one once.

PG_SCHEMES = ("postgresql://", "postgres://")
PG_POOL_MAX = int(os.environ.get("RETRO_PG_POOL", "8"))
_MIGRATION_LOCK = 0x7265_7472_6F00  # pg_advisory_xact_lock key: "retro\0"


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(PG_SCHEMES)


# Where a company's retro keeps the PostgreSQL URL when it is not in RETRO_DB: Streamlit's secrets file
# beside the code (git-ignored, the one `make share` reads), as ``[connections.retro] url = "postgresql://…"``
# (Streamlit's own st.connection key), with the password in the URL or as ``password = "…"`` beside it.
SECRETS_PATH = DEFAULT_DB_PATH.parent.parent / ".streamlit" / "secrets.toml"


def default_db_target() -> str | Path:
    """The database to open when none is named: ``RETRO_DB`` (a PostgreSQL URL, or a DuckDB file), else
    ``[connections.retro] url`` in :data:`SECRETS_PATH`, else ``data/retro.duckdb`` beside the code.

    A URL comes back with its password when one was given (to open it with): show ``db.path`` or
    :func:`redact_url` of it, never the value itself."""
    env = os.environ.get("RETRO_DB")
    if env:
        return env if is_postgres_url(env) else Path(env).expanduser()
    return secrets_url() or DEFAULT_DB_PATH


def secrets_url(path: Path | None = None) -> str | None:
    """The ``[connections.retro]`` URL of the secrets file, the password put in when it is given beside
    it; None without a file, a table or a PostgreSQL URL (an unreadable file counts as none)."""
    import tomllib
    from urllib.parse import quote

    try:
        found = tomllib.loads((path or SECRETS_PATH).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    table = (found.get("connections") or {}).get("retro") or {}
    url = table.get("url") if isinstance(table, dict) else None
    if not is_postgres_url(url):
        return None
    password = table.get("password")
    parts = urlsplit(url)
    if password and parts.password is None:
        user, _, host = parts.netloc.rpartition("@")
        url = urlunsplit((parts.scheme, f"{user}:{quote(str(password), safe='')}@{host}", parts.path,
                          parts.query, parts.fragment))
    return url


def data_dir(target: str | Path | None = None) -> Path:
    """The folder for retro's own files beside the database (TLS certificates, backups): the DuckDB
    file's folder, or ``data/`` beside the code for a PostgreSQL database."""
    target = default_db_target() if target is None else target
    return DEFAULT_DB_PATH.parent if is_postgres_url(target) else Path(target).expanduser().parent


def redact_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (what logs, errors and ``path`` show)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


# Schema types DuckDB has and PostgreSQL spells otherwise. A MAP column (dimension name → value) becomes
# JSONB, read back as a dict as DuckDB's MAP is; JSON stays JSON (the text kept as written, read back
# as a str as on DuckDB); DOUBLE is DOUBLE PRECISION. Everything else in MIGRATIONS is common SQL.
_PG_TYPES = (
    (re.compile(r"\bMAP\s*\(\s*VARCHAR\s*,\s*(VARCHAR|DOUBLE)\s*\)", re.IGNORECASE), "JSONB"),
    (re.compile(r"\bDOUBLE\b(?!\s+PRECISION)", re.IGNORECASE), "DOUBLE PRECISION"),
)


# Reading a MAP column (the stored ones are dims and measures; JSONB on PostgreSQL) has no spelling both
# engines share: the queries keep DuckDB's, in these forms only, and PostgreSQL gets its own. A key is a
# parameter (?, $name), a quoted literal or a text column (``s.dims[c.d]``); the map column an identifier,
# optionally qualified. Any other form of map access is left as it is, so PostgreSQL refuses it rather
# than reading something else.
_MAP_KEY = r"(\?|\$[A-Za-z_][A-Za-z0-9_]*|'(?:[^']|'')*'|(?:[A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*)"


def _map_column(names: str) -> str:
    return rf"((?:\b[A-Za-z_][A-Za-z0-9_]*\.)?\b(?:{names}))"


_PG_MAPS = (
    # one row per entry: the two in one select list run in step (PostgreSQL 10+), so keys and values pair
    (re.compile(rf"\bunnest\(\s*map_keys\(\s*{_map_column('dims|measures')}\s*\)\s*\)", re.IGNORECASE),
     r"(jsonb_each_text(\1)).key"),
    (re.compile(rf"\bunnest\(\s*map_values\(\s*{_map_column('dims')}\s*\)\s*\)", re.IGNORECASE),
     r"(jsonb_each_text(\1)).value"),
    (re.compile(rf"\bmap_keys\(\s*{_map_column('dims|measures')}\s*\)", re.IGNORECASE),
     r"ARRAY(SELECT jsonb_object_keys(\1))"),
    # the values in the keys' order: both walk the JSONB in its own order (targets.dims, read with map_keys)
    (re.compile(rf"\bmap_values\(\s*{_map_column('dims')}\s*\)", re.IGNORECASE),
     r"ARRAY(SELECT value FROM jsonb_each_text(\1))"),
    # a map written from two parameters, keys and values (targets.dims)
    (re.compile(rf"\bmap\(\s*{_MAP_KEY}::VARCHAR\[\]\s*,\s*{_MAP_KEY}::VARCHAR\[\]\s*\)", re.IGNORECASE),
     r"jsonb_object(CAST(\1 AS TEXT[]), CAST(\2 AS TEXT[]))"),
    (re.compile(rf"{_map_column('measures')}\[\s*{_MAP_KEY}\s*\]"), r"CAST(\1 ->> CAST(\2 AS TEXT) AS DOUBLE PRECISION)"),
    (re.compile(rf"{_map_column('dims')}\[\s*{_MAP_KEY}\s*\]"), r"(\1 ->> CAST(\2 AS TEXT))"),
)


@lru_cache(maxsize=4096)
def pg_statement(sql: str) -> str:
    """A statement of retro's DuckDB dialect as PostgreSQL runs it: schema types (``_PG_TYPES``) and the
    reads of a MAP column (``_PG_MAPS``). Everything else must be SQL both engines run."""
    for pattern, replacement in (*_PG_MAPS, *_PG_TYPES):
        sql = pattern.sub(replacement, sql)
    return sql


_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|\?|\$[A-Za-z_][A-Za-z0-9_]*|%")


@lru_cache(maxsize=4096)
def pg_placeholders(sql: str) -> str:
    """DuckDB's ``?`` and ``$name`` parameters as psycopg's ``%s`` and ``%(name)s``; markers inside
    quoted strings, quoted identifiers and comments are left as they are. Every literal ``%`` is doubled,
    inside quotes too (psycopg reads ``%`` anywhere in the text)."""

    def swap(m: re.Match) -> str:
        token = m.group(0)
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        if token.startswith("$"):
            return f"%({token[1:]})s"
        return token.replace("%", "%%")

    return _TOKEN.sub(swap, sql)


class PgCursor:
    """A psycopg cursor that takes retro's SQL as the DuckDB cursor does: ``execute`` translates the
    statement and its parameter markers and returns the cursor, so ``cur.execute(sql, p).fetchall()``
    reads the same on both engines."""

    def __init__(self, cur: Any) -> None:
        self._cur = cur

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> PgCursor:
        text = pg_statement(sql)
        if params:
            self._cur.execute(pg_placeholders(text), params)
        else:
            self._cur.execute(text)
        return self

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> PgCursor:
        self._cur.executemany(pg_placeholders(pg_statement(sql)), params)
        return self

    def fetchall(self) -> list[tuple]:
        return self._cur.fetchall() if self._cur.description is not None else []

    def fetchone(self) -> tuple | None:
        return self._cur.fetchone() if self._cur.description is not None else None

    @property
    def description(self) -> Any:
        return self._cur.description

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    @property
    def raw(self) -> Any:
        """The psycopg cursor itself (COPY, server-specific calls)."""
        return self._cur

    def df(self) -> pd.DataFrame:
        return _pg_frame(self._cur.description, self.fetchall())

    def fetchnumpy(self) -> dict[str, Any]:
        """Columns as DuckDB's ``fetchnumpy`` types them: numbers float64/int64, booleans bool, dates and
        timestamps datetime64, the rest objects; a masked array where a column has a NULL."""
        import numpy as np

        description = self._cur.description
        frame = self.df()
        out = {}
        for d, name in zip(description or (), frame.columns, strict=False):
            column = frame[name]
            mask = column.isna().to_numpy()
            kind = {700: "float64", 701: "float64", 1700: "float64", 20: "int64", 21: "int64", 23: "int64",
                    16: "bool", 1082: "datetime64[us]", 1114: "datetime64[us]", 1184: "datetime64[us]"}.get(d.type_code)
            if kind is None:
                data = column.to_numpy(dtype=object, na_value=None)
            elif kind.startswith("datetime64"):
                data = column.to_numpy(dtype="datetime64[us]").astype(kind)
            else:
                filler = {"float64": np.nan, "int64": 0, "bool": False}[kind]
                data = column.astype(object).where(~mask, filler).to_numpy().astype(kind)
            out[name] = np.ma.masked_array(data, mask=mask) if mask.any() else data  # as DuckDB: masked if NULLs
        return out


_PG_DATES = {1082, 1114, 1184}  # date, timestamp, timestamptz
_PG_INTS = {20, 21, 23}
_PG_ARRAYS = {1000, 1005, 1007, 1009, 1015, 1016, 1021, 1022, 1182}  # bool, int, text, varchar, float, date []


def _pg_frame(description: Any, rows: list[tuple]) -> pd.DataFrame:
    """Rows as DuckDB's ``.df()`` types them: dates and timestamps datetime64[us], integers with a NULL
    pandas' Int64, the rest as pandas infers them."""
    import numpy as np

    if description is None:
        return pd.DataFrame()
    names = [d.name for d in description]
    frame = pd.DataFrame.from_records(rows, columns=names, coerce_float=True)
    for i, d in enumerate(description):
        name = names[i]
        if d.type_code in _PG_DATES:
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[us]")
        elif d.type_code in _PG_INTS:
            frame[name] = frame[name].astype("Int64" if frame[name].isna().any() else "int64")
        elif d.type_code in (700, 701):
            frame[name] = frame[name].astype("float64")
        elif d.type_code in _PG_ARRAYS:  # DuckDB's .df() gives a list as a numpy array of objects
            frame[name] = frame[name].map(lambda v: v if v is None else np.array(v, dtype=object))
    return frame


def _configure_pg(con: Any) -> None:
    """Each pooled connection: autocommit (BEGIN/COMMIT are retro's, as on DuckDB), JSON read back as
    text as DuckDB returns it, UTC session time zone, doubles written as their shortest exact text
    (PostgreSQL 12+'s default, said so a server's setting cannot round what COPY hands over)."""
    from psycopg.types.string import TextLoader

    con.autocommit = True
    con.adapters.register_loader("json", TextLoader)
    con.execute("SET TIME ZONE 'UTC'")
    con.execute("SET extra_float_digits = 1")


class PostgresDatabase:
    """A PostgreSQL database with the schema migrated; the same calls as :class:`Database`.

    ``path`` is the URL with the password hidden: callers use it as a cache key and to name the
    database; :func:`get_database` maps it back to this object."""

    def __init__(self, url: str, *, read_only: bool = False, pool_max: int = PG_POOL_MAX) -> None:
        import psycopg
        from psycopg_pool import ConnectionPool

        self._psycopg = psycopg
        parts = urlsplit(url)
        self._secret = parts.password or os.environ.get("RETRO_DB_PASSWORD") or ""
        self.path = redact_url(url)
        self.read_only = read_only
        kwargs: dict[str, Any] = {"connect_timeout": 10, "application_name": "retro"}
        if parts.password is None and os.environ.get("RETRO_DB_PASSWORD"):
            kwargs["password"] = os.environ["RETRO_DB_PASSWORD"]
        if read_only:
            kwargs["options"] = "-c default_transaction_read_only=on"
        self._lock = threading.Lock()
        self.broken = False
        # One direct attempt first: a wrong password or a server that is down says so at once (the pool
        # would retry until its timeout), in the server's words with the password hidden.
        try:
            psycopg.connect(url, **kwargs).close()
        except psycopg.Error as exc:
            raise DatabaseUnavailable("unreachable", path=self.path, detail=self._hide(str(exc).strip())[:300]) from None
        self._pool = ConnectionPool(url, min_size=1, max_size=pool_max, kwargs=kwargs, configure=_configure_pg,
                                    open=False, name="retro")
        try:
            self._pool.open(wait=True, timeout=15)
        except Exception as exc:  # psycopg_pool.PoolTimeout: gone between the attempt and the pool
            self._pool.close()
            raise DatabaseUnavailable("unreachable", path=self.path, detail=self._hide(str(exc))[:300]) from None
        if not read_only:
            self.migrate()

    def __repr__(self) -> str:
        return f"PostgresDatabase({self.path!r})"

    def _hide(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    def close(self) -> None:
        self.broken = True
        self._pool.close()

    def alive(self) -> bool:
        if self.broken:
            return False
        try:
            self.rows("SELECT 1")
        except DatabaseUnavailable:
            return False
        return True

    @contextmanager
    def cursor(self) -> Iterator[PgCursor]:
        psycopg = self._psycopg
        try:
            with self._pool.connection(timeout=30) as con, con.cursor() as cur:
                yield PgCursor(cur)
        except psycopg.errors.ReadOnlySqlTransaction as exc:
            raise DatabaseUnavailable("read_only", path=self.path, detail=self._hide(str(exc))[:300]) from exc
        except psycopg.errors.DiskFull as exc:
            raise DatabaseUnavailable("disk_full", path=self.path, detail=self._hide(str(exc))[:300]) from exc
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            # The server went away or refused us: the pool drops the connection and opens a new one.
            if isinstance(exc, psycopg.errors.QueryCanceled | psycopg.errors.LockNotAvailable):
                raise
            raise DatabaseUnavailable("unreachable", path=self.path, detail=self._hide(str(exc))[:300]) from exc
        except Exception as exc:  # noqa: BLE001 - hide the password in whatever psycopg says, keep the type
            if self._secret and self._secret in str(exc):
                try:
                    hidden = type(exc)(self._hide(str(exc)))
                except Exception:  # noqa: BLE001 - a type that takes other arguments
                    hidden = RuntimeError(self._hide(str(exc)))
                raise hidden from None
            raise

    @contextmanager
    def transaction(self) -> Iterator[PgCursor]:
        """One write: everything inside commits together or not at all. Refused for a viewer."""
        check_write()
        with self.cursor() as cur:
            cur.execute("BEGIN")
            try:
                yield cur
            except BaseException:
                with suppress(Exception):  # a dead connection rolls back by itself
                    cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple]:
        with self.cursor() as cur:
            return cur.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> tuple | None:
        with self.cursor() as cur:
            return cur.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def frame(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
        with self.cursor() as cur:
            return cur.execute(sql, params).df()

    def arrays(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> dict[str, Any]:
        with self.cursor() as cur:
            return cur.execute(sql, params).fetchnumpy()

    def applied_migrations(self) -> list[int]:
        return [r[0] for r in self.rows("SELECT version FROM schema_migrations ORDER BY version")]

    def migrate(self) -> list[int]:
        """Apply the migrations not yet recorded, each in its own transaction under an advisory lock:
        a second server starting at the same time waits, then finds them applied."""
        with self._lock:
            with system(), self.transaction() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(?)", [_MIGRATION_LOCK])
                cur.execute(
                    """CREATE TABLE IF NOT EXISTS schema_migrations (
                        version INTEGER PRIMARY KEY,
                        name VARCHAR NOT NULL,
                        applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp
                    )"""
                )
            applied = []
            for migration in MIGRATIONS:
                with system(), self.transaction() as cur:
                    cur.execute("SELECT pg_advisory_xact_lock(?)", [_MIGRATION_LOCK])
                    if cur.execute("SELECT 1 FROM schema_migrations WHERE version = ?",
                                   [migration.version]).fetchone():
                        continue
                    for statement in migration.statements:
                        cur.execute(statement)
                    cur.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                                [migration.version, migration.name])
                applied.append(migration.version)
            return applied

    def data_version(self) -> int:
        """Bumped by every write that changes what pages show; read from the database on every call
        (one indexed row), since another app server may have written since."""
        return int(self.get_setting("data_version", "0") or 0)

    def numbers_version(self) -> int:
        """See :meth:`Database.numbers_version`; read from the database on every call."""
        return int(self.get_setting("numbers_version", None) or self.data_version())

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



def bump_version(cur: duckdb.DuckDBPyConnection, *, numbers: bool = True) -> None:
    """Inside a write's transaction: what pages show has changed, so cached results are stale.
    ``numbers=False`` for a write that changes no computed number (a review, problem, measure or
    lesson): series and scorecards cached by ``numbers_version`` stay valid."""
    cur.execute(
        """INSERT INTO settings VALUES ('data_version', '1')
           ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS VARCHAR)"""
    )
    if numbers:  # the numbers' version is the data version of their last change: never reused
        cur.execute(
            """INSERT INTO settings SELECT 'numbers_version', value FROM settings WHERE key = 'data_version'
               ON CONFLICT (key) DO UPDATE SET value = excluded.value"""
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


def pg_arrow(cur: Any, select: str, params: Sequence[Any], schema: Any) -> Any:
    """The rows of ``select`` (PostgreSQL, ``%s`` parameters) as an Arrow table of ``schema``: one
    ``COPY (…) TO STDOUT`` in CSV parsed by Arrow — ~1 s a million rows, where fetching them as Python
    tuples takes several. Doubles come as their shortest exact text (``extra_float_digits = 1``), so
    they read back to the bit (each connection's setting); a NULL is an unquoted empty field, an empty text
    a quoted one."""
    import io

    import pyarrow.csv as pa_csv

    buf = io.BytesIO()
    with cur.raw.copy(f"COPY ({select}) TO STDOUT (FORMAT csv)", params) as copy:
        for chunk in copy:
            buf.write(chunk)
    if not buf.tell():  # no rows: Arrow reads no table from an empty text
        return schema.empty_table()
    buf.seek(0)
    return pa_csv.read_csv(
        buf,
        read_options=pa_csv.ReadOptions(column_names=schema.names),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(column_types=schema, strings_can_be_null=True,
                                              quoted_strings_can_be_null=False, null_values=[""]),
    ).cast(schema)


def copy_arrow(cur: Any, table: str, data: Any, columns: Sequence[str] | None = None) -> int:
    """Inside a transaction: bulk-load the Arrow table ``data`` (or a ``RecordBatchReader``: read a
    batch at a time) into ``table`` (its columns by name, or ``columns``), on either engine. DuckDB scans
    it registered on the cursor; PostgreSQL gets it by ``COPY … FROM STDIN`` as CSV written by Arrow (a
    NULL is an unquoted empty field, an empty string a quoted one), a MAP or struct column as its JSON
    text, a list as an array literal. The row count."""
    import pyarrow as pa

    names = list(columns or data.schema.names)
    cols = ", ".join(quote_ident(n) for n in names)
    if not isinstance(cur, PgCursor):
        if isinstance(data, pa.RecordBatchReader):
            data = data.read_all()
        data = data.select(names)
        with registered(cur, "_copy_arrow", data):
            cur.execute(f"INSERT INTO {quote_ident(table)} ({cols}) SELECT {cols} FROM _copy_arrow")
        return data.num_rows
    import pyarrow.csv as pa_csv

    batches = data if isinstance(data, pa.RecordBatchReader) else data.to_batches(max_chunksize=100_000)
    options = pa_csv.WriteOptions(include_header=False, batch_size=16384)
    rows = 0
    with cur.raw.copy(f"COPY {quote_ident(table)} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy:
        for batch in batches:
            part = pa.Table.from_batches([batch]).select(names)
            part = pa.table({n: _pg_copyable(part.column(n)) for n in names})
            sink = pa.BufferOutputStream()
            pa_csv.write_csv(part, sink, options)
            copy.write(sink.getvalue().to_pybytes())
            rows += part.num_rows
    return rows


@contextmanager
def staged_rows(cur: Any, name: str, data: Any, like: str, columns: Sequence[str]) -> Iterator[None]:
    """``columns`` of the Arrow table ``data`` (or record batches) visible to SQL as ``name`` for the
    block, so ``INSERT … SELECT … FROM name`` reads the same on both engines. DuckDB scans the table
    registered on the cursor (zero copy); PostgreSQL gets a temporary table with the types those columns
    have in the table ``like`` (no constraints), filled by :func:`copy_arrow` and analysed (a temporary
    table has no statistics otherwise, and a join on a million rows then gets a guessed plan), dropped
    after the block (rolled back with the transaction when it fails)."""
    if not isinstance(cur, PgCursor):
        with registered(cur, name, data):
            yield
        return
    cols = ", ".join(quote_ident(c) for c in columns)
    cur.execute(f"CREATE TEMP TABLE {quote_ident(name)} AS SELECT {cols} FROM {quote_ident(like)} WITH NO DATA")
    try:
        copy_arrow(cur, name, data, columns)
        cur.execute(f"ANALYZE {quote_ident(name)}")
        yield
    finally:
        with suppress(Exception):  # an aborted transaction: its rollback drops the table
            cur.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")


@contextmanager
def compute_cursor(db: Any) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB cursor to compute on (reading a workbook, normalising its sheets over registered Arrow
    tables): the database's own on DuckDB, as before; an in-memory DuckDB for a PostgreSQL database,
    which stores what was computed (retro.ingest.store) but does not compute it."""
    if not isinstance(db, PostgresDatabase):
        with db.cursor() as cur:
            yield cur
        return
    con = duckdb.connect()
    try:
        yield con
    finally:
        con.close()


def analyze_tables(db: Any, *tables: str) -> None:
    """After a bulk write on PostgreSQL: refresh the planner's statistics of ``tables`` now, not when
    autovacuum gets to it. Without them, right after the first import of 2M values, the rollup's
    INSERT … SELECT (serial: PostgreSQL 15 runs no INSERT in parallel) joined 166,667 facts to the
    segments by a nested loop over a scan: 31.5 s, 0.6 s once analysed. Nothing to do on DuckDB."""
    if isinstance(db, PostgresDatabase) and tables:
        with db.cursor() as cur:
            cur.execute("ANALYZE " + ", ".join(quote_ident(t) for t in tables))


def changed_rows(cur: Any) -> int:
    """The rows the ``UPDATE``/``DELETE`` just executed on ``cur`` changed: DuckDB returns the count as a
    row, PostgreSQL as the command's status."""
    if isinstance(cur, PgCursor):
        return max(cur.rowcount, 0)
    return cur.fetchone()[0]


def is_postgres(db_or_cur: Any) -> bool:
    """``db_or_cur`` (a database or one of its cursors) is PostgreSQL."""
    return isinstance(db_or_cur, PostgresDatabase | PgCursor)


def _pg_copyable(column: Any) -> Any:
    """A column as PostgreSQL's CSV COPY reads it: maps and structs as JSON text, lists as array
    literals, dictionary-encoded values decoded; everything else as Arrow writes it."""
    import pyarrow as pa

    kind = column.type
    if pa.types.is_dictionary(kind):
        return column.cast(kind.value_type)
    if pa.types.is_map(kind) or pa.types.is_struct(kind):
        # DuckDB writes the JSON (doubles in their shortest exact form): ~1 µs a row, where to_pylist and
        # json.dumps took ~30 µs (15,092 orders with two maps each: 0.90 -> 0.08 s).
        con = duckdb.connect()
        try:
            con.register("c", pa.table({"v": column}))
            return con.sql("SELECT CAST(to_json(v) AS VARCHAR) AS v FROM c").to_arrow_table().column(0)
        finally:
            con.close()
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return pa.array([None if v is None else _pg_array_literal(v) for v in column.to_pylist()], pa.string())
    return column


def _pg_array_literal(values: Sequence[Any]) -> str:
    def item(v: Any) -> str:
        if v is None:
            return "NULL"
        text = str(v).replace("\\", "\\\\").replace('"', '\\"')
        return f'"{text}"'

    return "{" + ",".join(item(v) for v in values) + "}"


_databases: dict[Path | str, Database | PostgresDatabase] = {}
_databases_lock = threading.Lock()


def get_database(path: str | Path | None = None) -> Database:
    """The process's single Database for ``path`` (default: :func:`default_db_target`): a DuckDB file,
    or a PostgreSQL URL (with its password, or as ``db.path`` shows it once opened)."""
    target = path if path else default_db_target()
    if is_postgres_url(target):
        return _get_postgres(str(target))
    resolved = Path(target).expanduser().resolve()
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


def _get_postgres(url: str) -> Any:
    key = redact_url(url)
    with _databases_lock:
        db = _databases.get(key)
        if db is not None and db.broken:
            del _databases[key]
            db = None
        if db is None:
            db = PostgresDatabase(url)
            _databases[key] = db
        return db


def close_all() -> None:
    with _databases_lock:
        for db in _databases.values():
            db.close()
        _databases.clear()
