"""Writing an analysed file into the database, the import history, and undo.

Each import is one transaction: every sheet's rows, the history entry and the
remembered layouts commit together or not at all.

One SQL text per statement on both engines (docs/postgres.md): the staged rows of a sheet — Arrow
tables the in-process DuckDB of ``normalize`` computed — are visible as ``staged`` through
:func:`_staged` (registered on DuckDB; COPY'd into a temporary table on PostgreSQL), and every
statement over them is in the SQL both engines run (no ``GROUP BY ALL``, no struct rows, ``= ANY(?)``
for a list parameter, the changed-row count through :func:`retro.db.changed_rows`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from ..db import Database, analyze_tables, bump_version, changed_rows, is_postgres, staged_rows
from .analyze import FileAnalysis, Overrides
from .kpis import source_name
from .normalize import Deferred, Message, staged

# The columns of each staged table the statements below read, and the stored table whose types they take.
FACT_COLUMNS = ("period", "grain", "metric", "unit", "scenario", "dims_key", "value")
TRANSACTION_COLUMNS = ("row_no", "txn_date", "customer_id", "order_id", "dims", "measures")
NOTE_COLUMNS = ("metric", "period", "dims_key", "source", "text")
SEGMENT_COLUMNS = ("dims_key", "dims")


@dataclass
class ImportResult:
    status: str  # "imported" | "already_imported"
    import_id: int | None
    rows: int = 0
    replaced: int = 0  # earlier imports' values this import replaced
    repeated: int = 0  # values that stood on two sheets of this file; the later sheet's were kept


def _json_default(o: Any) -> Any:
    if isinstance(o, Message):
        return {"code": o.code, "params": o.params}
    if isinstance(o, dt.date):
        return o.isoformat()
    return str(o)


def _notes_table(notes: list[dict[str, Any]]) -> pa.Table:
    return pa.table({
        "metric": pa.array([n["metric"] for n in notes], pa.string()),
        "period": pa.array([n["period"] for n in notes], pa.date32()),
        "dims_key": pa.array([n["dims_key"] for n in notes], pa.string()),
        "source": pa.array([n["source"] for n in notes], pa.string()),
        "text": pa.array([n["text"] for n in notes], pa.string()),
    })


@contextlib.contextmanager
def _staged(cur: Any, name: str, rows: pa.Table | Deferred, like: str, columns: tuple[str, ...]) -> Iterator[None]:
    """``rows`` visible to SQL as ``name`` for the block, on either engine. DuckDB: as normalize.staged
    does it (an Arrow table registered, a Deferred query a view over its tables). PostgreSQL: COPY'd
    into a temporary table with ``like``'s types (retro.db.staged_rows); a Deferred query is run by an
    in-memory DuckDB (compute, not storage) and streamed a batch at a time."""
    if not is_postgres(cur):
        with staged(cur, name, rows):
            yield
        return
    if not isinstance(rows, Deferred):
        with staged_rows(cur, name, rows, like, columns):
            yield
        return
    con = duckdb.connect()
    try:
        for key, table in rows.tables.items():
            con.register(key, table)
        select = ", ".join(f'd."{c}"' for c in columns)
        reader = con.sql(f"SELECT {select} FROM ({rows.sql}) d").to_arrow_reader(100_000)
        with staged_rows(cur, name, reader, like, columns):
            yield
    finally:
        con.close()


def already_imported(db: Database, sha256: str) -> int | None:
    """The id of an import of exactly these bytes still in the history, if any."""
    return db.scalar("SELECT id FROM imports WHERE file_sha256 = ? ORDER BY id LIMIT 1", [sha256])


def imported_sheets(db: Database, sha256: str) -> set[str]:
    """Sheets of exactly these bytes imported before (one sheet may have been imported alone)."""
    rows = db.rows(
        "SELECT s.sheet_name FROM import_sheets s JOIN imports i ON i.id = s.import_id WHERE i.file_sha256 = ?",
        [sha256],
    )
    return {r[0] for r in rows}


def overlap(db: Database, analysis: FileAnalysis) -> pd.DataFrame:
    """Stored values this file would replace: per earlier import, how many values and which periods."""
    frames = []
    with db.cursor() as cur:
        for s in analysis.ready():
            if s.result is None:
                continue
            if s.result.facts is not None:
                with _staged(cur, "staged", s.result.facts, "fact_rows", FACT_COLUMNS):
                    frames.append(
                        cur.execute(
                            """SELECT f.import_id, i.file_name, count(*) AS values_,
                                      min(f.period) AS first_period, max(f.period) AS last_period
                               FROM current_facts f JOIN imports i ON i.id = f.import_id
                               WHERE EXISTS (SELECT 1 FROM staged s WHERE s.metric = f.metric AND s.scenario = f.scenario
                                             AND s.grain = f.grain AND s.period = f.period AND s.dims_key = f.dims_key)
                               GROUP BY f.import_id, i.file_name"""
                        ).df()
                    )
            if s.result.transactions is not None and s.plan is not None:
                with _staged(cur, "staged", s.result.transactions, "transactions", TRANSACTION_COLUMNS):
                    frames.append(
                        cur.execute(
                            """SELECT t.import_id, i.file_name, count(*) AS values_,
                                      min(t.txn_date) AS first_period, max(t.txn_date) AS last_period
                               FROM current_transactions t JOIN imports i ON i.id = t.import_id
                               JOIN import_sheets s ON s.import_id = t.import_id AND s.sheet_name = t.sheet_name
                               WHERE s.fingerprint = ? AND date_trunc('month', t.txn_date) IN
                                     (SELECT DISTINCT date_trunc('month', txn_date) FROM staged)
                               GROUP BY t.import_id, i.file_name""",
                            [s.plan.fingerprint],
                        ).df()
                    )
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=["import_id", "file_name", "values_", "first_period", "last_period"])
    return pd.concat(frames).groupby(["import_id", "file_name"], as_index=False).agg(
        values_=("values_", "sum"), first_period=("first_period", "min"), last_period=("last_period", "max")
    )


def dataset_of(db: Database, analysis: FileAnalysis) -> str:
    """The dataset a file belongs to unless the user names one: the dataset of the last import of one
    of its sheets' layouts (next month's file of a source), else the file's name without its dates."""
    prints = [s.plan.fingerprint for s in analysis.ready() if s.plan is not None]
    earlier = db.scalar(
        """SELECT i.dataset FROM imports i JOIN import_sheets x ON x.import_id = i.id
           WHERE x.fingerprint = ANY(?) AND i.dataset IS NOT NULL AND NOT i.is_sample
           ORDER BY i.id DESC LIMIT 1""", [prints]) if prints else None
    return earlier or source_name(analysis.file_name)


def import_reconciled(sheets: list) -> str:
    """'accepted' when a stored sheet differs from its own totals (it got here only by a confirmation),
    'match' when every checked sheet agrees, 'unchecked' when no sheet had totals to check."""
    states = {s.result.reconciled for s in sheets if s.result is not None}
    if "mismatch" in states:
        return "accepted"
    return "match" if "match" in states else "unchecked"


def store_import(
    db: Database,
    analysis: FileAnalysis,
    *,
    mode: str = "replace",
    is_sample: bool = False,
    actor: str | None = None,
    remember: dict[str, Overrides] | None = None,
    now: dt.datetime | None = None,
    dataset: str | None = None,
) -> ImportResult:
    """Store every ready sheet in one transaction. ``mode`` is "replace" (default) or "keep";
    ``dataset`` names the source it belongs to (default: :func:`dataset_of`)."""
    if mode not in ("replace", "keep"):
        raise ValueError(f"mode must be replace or keep, not {mode!r}")
    done = imported_sheets(db, analysis.sha256)
    ready = [s for s in analysis.ready() if s.result is not None and s.plan is not None]
    if not ready:
        raise ValueError("nothing to import")
    if all(s.name in done for s in ready):
        return ImportResult("already_imported", already_imported(db, analysis.sha256))
    ready = [s for s in ready if s.name not in done]
    now = now or dt.datetime.now()
    periods = sorted({p for s in ready for p in s.result.periods})
    total_rows = sum(s.rows for s in ready)
    replaced = 0
    dataset_name = (dataset or "").strip() or dataset_of(db, analysis)
    with db.transaction() as cur:
        import_id = cur.execute("SELECT nextval('import_id_seq')").fetchone()[0]
        cur.execute(
            """INSERT INTO imports (id, file_name, file_sha256, file_size, imported_at, is_sample, mode,
                                    row_count, period_min, period_max, sheets, actor, reconciled, dataset)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [import_id, analysis.file_name, analysis.sha256, analysis.size, now, is_sample, mode, total_rows,
             periods[0] if periods else None, periods[-1] if periods else None, [s.name for s in ready], actor,
             import_reconciled(ready), dataset_name],
        )
        for s in ready:
            result, plan = s.result, s.plan
            if result.facts is not None:
                with _staged(cur, "staged", result.facts, "fact_rows", FACT_COLUMNS):
                    if mode == "replace":
                        replaced += changed_rows(cur.execute(
                            # Only the values of a period stored already are looked for (a distinct list of
                            # every value of a big file cost more memory than anything else in storing it).
                            """UPDATE fact_rows f SET replaced_by = $id
                               FROM (SELECT DISTINCT metric, scenario, grain, period, dims_key FROM staged
                                     WHERE (metric, scenario, grain, period) IN
                                           (SELECT DISTINCT metric, scenario, grain, period FROM fact_rows
                                            WHERE replaced_by IS NULL)) s
                               WHERE f.replaced_by IS NULL AND f.metric = s.metric AND f.scenario = s.scenario
                                 AND f.grain = s.grain AND f.period = s.period AND f.dims_key = s.dims_key""",
                            {"id": import_id},
                        ))
                        # The notes an earlier import read beside the values replaced go with them (undo
                        # brings them back); notes written by hand (import_id NULL) are never touched.
                        cur.execute(
                            """UPDATE annotations a SET replaced_by = $id
                               FROM (SELECT DISTINCT metric, period, dims_key FROM staged
                                     WHERE (metric, period) IN (SELECT DISTINCT metric, period FROM annotations
                                                                WHERE replaced_by IS NULL AND import_id IS NOT NULL)) s
                               WHERE a.replaced_by IS NULL AND a.import_id IS NOT NULL AND a.import_id <> $id
                                 AND a.metric = s.metric AND a.period = s.period AND a.dims_key = s.dims_key""",
                            {"id": import_id},
                        )
                    cur.execute(
                        """INSERT INTO fact_rows (import_id, sheet_name, period, grain, metric, unit, scenario, dims_key, value)
                           SELECT $id, $sheet, period, grain, metric, unit, scenario, dims_key, value FROM staged""",
                        {"id": import_id, "sheet": s.name},
                    )
                if result.notes:
                    with _staged(cur, "staged_notes", _notes_table(result.notes), "annotations", NOTE_COLUMNS):
                        cur.execute(
                            """INSERT INTO annotations (metric, period, text, author, created_at, import_id, source, dims_key)
                               SELECT metric, period, text, $actor, $now, $id, source, dims_key FROM staged_notes""",
                            {"id": import_id, "actor": actor, "now": now},
                        )
                if result.segments is not None:
                    with _staged(cur, "staged_segments", result.segments, "segments", SEGMENT_COLUMNS):
                        cur.execute("INSERT INTO segments SELECT dims_key, dims FROM staged_segments ON CONFLICT DO NOTHING")
            if result.transactions is not None:
                with _staged(cur, "staged", result.transactions, "transactions", TRANSACTION_COLUMNS):
                    if mode == "replace":
                        replaced += changed_rows(cur.execute(
                            """UPDATE transactions t SET replaced_by = $id
                               FROM import_sheets s
                               WHERE t.replaced_by IS NULL AND t.import_id <> $id AND s.import_id = t.import_id AND s.sheet_name = t.sheet_name
                                 AND s.fingerprint = $fp
                                 AND date_trunc('month', t.txn_date) IN (SELECT DISTINCT date_trunc('month', txn_date) FROM staged)""",
                            {"id": import_id, "fp": plan.fingerprint},
                        ))
                    cur.execute(
                        """INSERT INTO transactions (import_id, sheet_name, row_no, txn_date, customer_id, order_id, dims, measures)
                           SELECT $id, $sheet, row_no, txn_date, customer_id, order_id, dims, measures FROM staged""",
                        {"id": import_id, "sheet": s.name},
                    )
            mapping = {
                "shape": plan.shape,
                "header_rows": plan.header_rows,
                "columns": [c.to_dict() for c in plan.columns],
                "year": plan.year,
                "year_source": plan.year_source,
                "period": plan.period,
                "metric_name": plan.metric_name,
            }
            cur.execute(
                "INSERT INTO import_sheets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [import_id, s.name, plan.shape, plan.fingerprint, json.dumps(mapping, ensure_ascii=False),
                 result.rows, result.periods, json.dumps(result.warnings, default=_json_default, ensure_ascii=False),
                 json.dumps(result.reconciliation, default=_json_default, ensure_ascii=False)],
            )
            user = (remember or {}).get(s.name)
            # A metric told apart from a stored one of its name keeps the name it got (kpis.py).
            told_apart = {r.params["metric"]: r.params["as"] for r in result.readings if r.decision == "kpi_new"}
            if told_apart:
                base = user or s.overrides or Overrides()
                user = replace(base, kpis={**(base.kpis or {}), **told_apart})
            # The year is not remembered: next year's file of the same layout needs another one. A
            # helper sheet taken in is taken in again; choices all taken back leave nothing to remember.
            if user is not None and (user.roles or user.metric_name or user.take_in or user.kpis):
                cur.execute(
                    """INSERT INTO layouts VALUES (?, ?, ?)
                       ON CONFLICT (fingerprint) DO UPDATE SET mapping = excluded.mapping, updated_at = excluded.updated_at""",
                    [plan.fingerprint,
                     Overrides(user.roles, None, None, user.metric_name, user.take_in, kpis=user.kpis).to_json(), now],
                )
            elif user is not None:
                cur.execute("DELETE FROM layouts WHERE fingerprint = ?", [plan.fingerprint])
        repeated = cur.execute(
            "SELECT count(*) FROM fact_rows WHERE import_id = ? AND replaced_by = ?", [import_id, import_id]
        ).fetchone()[0]
        bump_version(cur)
    analyze_tables(db, "fact_rows", "segments", "transactions", "annotations")
    return ImportResult("imported", import_id, total_rows, replaced - repeated, repeated)


def undo_import(db: Database, import_id: int) -> bool:
    """Remove an import and bring back the values it had replaced. False when there is no such import."""
    with db.transaction() as cur:
        if cur.execute("SELECT count(*) FROM imports WHERE id = ?", [import_id]).fetchone()[0] == 0:
            return False
        cur.execute("DELETE FROM fact_rows WHERE import_id = ?", [import_id])
        cur.execute("DELETE FROM transactions WHERE import_id = ?", [import_id])
        cur.execute("DELETE FROM annotations WHERE import_id = ?", [import_id])
        # What this import had replaced comes back — unless a later import replaced the same
        # values too: then that one, the earliest, is their replacement now.
        cur.execute(
            """UPDATE fact_rows f SET replaced_by = (
                   SELECT min(g.import_id) FROM fact_rows g JOIN imports i ON i.id = g.import_id
                   WHERE i.mode = 'replace' AND g.import_id > $id AND g.import_id > f.import_id
                     AND g.metric = f.metric AND g.scenario = f.scenario AND g.grain = f.grain
                     AND g.period = f.period AND g.dims_key = f.dims_key)
               WHERE f.replaced_by = $id""",
            {"id": import_id},
        )
        cur.execute(
            """UPDATE annotations a SET replaced_by = (
                   SELECT min(g.import_id) FROM fact_rows g JOIN imports i ON i.id = g.import_id
                   WHERE i.mode = 'replace' AND g.import_id > $id AND g.import_id > a.import_id
                     AND g.metric = a.metric AND g.period = a.period AND g.dims_key = a.dims_key)
               WHERE a.replaced_by = $id AND a.import_id IS NOT NULL""",
            {"id": import_id},
        )
        cur.execute(
            """UPDATE transactions t SET replaced_by = (
                   SELECT min(u.import_id) FROM transactions u
                   JOIN imports i ON i.id = u.import_id
                   JOIN import_sheets su ON su.import_id = u.import_id AND su.sheet_name = u.sheet_name
                   JOIN import_sheets st ON st.import_id = t.import_id AND st.sheet_name = t.sheet_name
                   WHERE i.mode = 'replace' AND u.import_id > $id AND u.import_id > t.import_id
                     AND su.fingerprint = st.fingerprint
                     AND date_trunc('month', u.txn_date) = date_trunc('month', t.txn_date))
               WHERE t.replaced_by = $id""",
            {"id": import_id},
        )
        cur.execute("DELETE FROM import_sheets WHERE import_id = ?", [import_id])
        cur.execute("DELETE FROM imports WHERE id = ?", [import_id])
        bump_version(cur)
    return True


def import_history(db: Database) -> pd.DataFrame:
    """One row per import, newest first, with what it still contributes."""
    return db.frame(
        """SELECT i.id, i.file_name, i.imported_at, i.sheets, i.row_count, i.period_min, i.period_max,
                  i.is_sample, i.mode, i.actor, i.reconciled, coalesce(i.dataset, i.file_name) AS dataset,
                  (SELECT count(*) FROM fact_rows f WHERE f.import_id = i.id AND f.replaced_by <> i.id)
                + (SELECT count(*) FROM transactions t WHERE t.import_id = i.id AND t.replaced_by <> i.id) AS replaced_later
           FROM imports i ORDER BY i.id DESC"""
    )


def import_sheets(db: Database, import_id: int) -> pd.DataFrame:
    return db.frame(
        "SELECT sheet_name, shape, row_count, periods, warnings, reconciliation FROM import_sheets WHERE import_id = ? ORDER BY sheet_name",
        [import_id],
    )


def data_summary(db: Database) -> dict[str, Any]:
    """What the store holds now: counts, period range, metrics — for the sidebar and the home page."""
    row = db.one(
        """SELECT count(*), min(period), max(period), count(DISTINCT metric) FROM current_facts"""
    )
    tx = db.one("SELECT count(*), min(txn_date), max(txn_date), count(DISTINCT customer_id) FROM current_transactions")
    imports = db.scalar("SELECT count(*) FROM imports")
    return {
        "facts": row[0], "period_min": row[1], "period_max": row[2], "metrics": row[3],
        "transactions": tx[0], "txn_min": tx[1], "txn_max": tx[2], "customers": tx[3],
        "imports": imports,
    }


def metric_inventory(db: Database) -> pd.DataFrame:
    """Per metric and scenario: unit, the periods covered, how many segments and values are stored."""
    return db.frame(
        """SELECT metric, scenario, min(unit) AS unit,
                  min(period) AS first_period, max(period) AS last_period,
                  count(DISTINCT dims_key) AS segments, count(*) AS values_,
                  count(*) FILTER (WHERE value IS NULL) AS empty_values
           FROM current_facts GROUP BY metric, scenario ORDER BY metric, scenario"""
    )
