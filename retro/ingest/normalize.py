"""Turning a planned sheet into stored rows, in DuckDB.

The sheet's text cells are scanned by DuckDB as an Arrow table; Python only parses
the *distinct* period labels and the cells that a plain cast cannot read, so a
million-row sheet costs one SQL pass, not a Python loop.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..db import quote_ident, quote_literal, register, registered, unregister
from . import cells, mismatch, roles, totals
from .cells import (
    Period,
    excel_serial_to_date,
    number_style,
    parse_number,
    parse_period,
    period_from_any_label,
)
from .detect import (
    _NOTE_RE,
    GRAND_TOTAL_RE,
    STAT_LABEL_RE,
    TOTAL_LABEL_RE,
    ColumnSpec,
    SheetPlan,
    scenario_of,
    split_unit,
    year_of_cell,
)
from .errors import ImportFailure
from .read import RawSheet, column_index
from .readings import Reading

TOLERANCE = 0.005


@dataclass
class Message:
    """A warning or note for the user: a catalog key and its parameters."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Normalized:
    facts: pa.Table | None = None
    segments: pa.Table | None = None  # dims_key → dims, one row per distinct segment
    transactions: pa.Table | Deferred | None = None  # Deferred: a big sheet's (normalize.STREAM_ROWS)
    rows: int = 0  # values stored (a wide row of 12 months stores 12)
    source_rows: int = 0  # rows of the sheet they came from
    warnings: list[Message] = field(default_factory=list)
    reconciliation: list[dict[str, Any]] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    scenarios: list[str] = field(default_factory=list)
    dimensions: list[str] = field(default_factory=list)
    totals: list[dict[str, Any]] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)  # decisions made while normalising (totals rows)
    decimal_comma: set[int] = field(default_factory=set)  # columns whose commas are decimal points (cells.number_style)
    unread: dict[int, int] = field(default_factory=dict)  # column → cells that could not be read (#DIV/0!, text)
    # Why the sheet's totals disagree with what would be stored, and the fix (mismatch.py); None when they agree.
    mismatch: dict[str, Any] | None = None
    kpis_read: bool = False  # metrics named like stored ones from another source told apart (kpis.py)

    @property
    def reconciled(self) -> str:
        """'match' (every check agrees), 'mismatch', or 'unchecked' (the sheet has no totals to check)."""
        if not self.reconciliation:
            return "unchecked"
        return "match" if all(r["status"] == "match" for r in self.reconciliation) else "mismatch"
    # The text of the note columns (偏差原因, 经验/教训, 备注), one per row, metric and column: metric,
    # period, dims_key, source (the header), text ("华东 · 偏差原因: …"); stored as annotations.
    notes: list[dict[str, Any]] = field(default_factory=list)


_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


def _run(cur: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """Execute with only the named parameters the statement uses (DuckDB rejects extras)."""
    used = set(_PARAM.findall(sql))
    return cur.execute(sql, {k: v for k, v in (params or {}).items() if k in used})


def _arrow(cur: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None,
           big: bool = False, compact: dict[str, pa.DataType] | None = None) -> pa.Table:
    """The query's rows as Arrow. For a big sheet they come in batches, and the ``compact`` columns
    (a few texts repeated: grain, unit, the segment's key) are dictionary-encoded batch by batch,
    their indices of the integer type given (int8: one byte a value, not four) unless a batch has
    more distinct texts than it holds — then int32, for every batch of that column: the whole result
    never stands twice, as DuckDB's rows and as Arrow's."""
    used = set(_PARAM.findall(sql))
    rel = cur.sql(sql, params={k: v for k, v in (params or {}).items() if k in used})
    if not big:
        return rel.to_arrow_table()
    compact = compact or {}
    reader = rel.to_arrow_reader(BATCH_ROWS)
    names = reader.schema.names
    chunks: list[list[pa.Array]] = [[] for _ in names]
    for batch in reader:
        for k, (name, col) in enumerate(zip(names, batch.columns, strict=True)):
            # Every column copied out of the batch (the others too): DuckDB frees a batch's buffers
            # all at once, so one column kept kept the batch's texts too (3x the facts' size at 190 MB).
            chunks[k].append(_encoded(col, compact[name]) if name in compact else pa.concat_arrays([col]))
    if not chunks[0]:
        return reader.schema.empty_table()
    columns = []
    for k, name in enumerate(names):
        if name in compact and len({c.type for c in chunks[k]}) > 1:  # a batch needed int32: all of them int32
            chunks[k] = [pa.DictionaryArray.from_arrays(c.indices.cast(pa.int32()), c.dictionary) for c in chunks[k]]
        columns.append(pa.chunked_array(chunks[k]))
        chunks[k] = []
    return pa.Table.from_arrays(columns, names=names)


def _encoded(col: pa.Array, index: pa.DataType) -> pa.DictionaryArray:
    """``col`` dictionary-encoded, its indices of type ``index`` if its distinct texts fit in it, else int32."""
    encoded = pc.dictionary_encode(col)
    if index == pa.int32() or len(encoded.dictionary) > np.iinfo(index.to_pandas_dtype()).max:
        return encoded
    return pa.DictionaryArray.from_arrays(encoded.indices.cast(index), encoded.dictionary)


def _distinct_rows(rows: pa.ChunkedArray, height: int) -> int:
    """How many distinct row numbers (0 ≤ r < ``height``) ``rows`` holds: a flag a row of the sheet,
    where ``pc.unique`` built a hash of every value (issue 19: +224 MiB for a 190 MB CSV's 5.4M values)."""
    seen = np.zeros(height, dtype=np.bool_)
    for chunk in rows.chunks:
        seen[chunk.to_numpy(zero_copy_only=False)] = True
    return int(np.count_nonzero(seen))


# Sheets of this many rows or more are normalised without copying their cells into DuckDB tables:
# the cleaned rows are a view over the sheet, and results come in batches (issue 19: a 190 MB CSV
# peaked at 24x its size). Below it the copies are kept: they make a million-row sheet faster.
STREAM_ROWS = 2_000_000
# Rows a batch: DuckDB's batch in flight and its texts stand beside the values kept (the KPI table at
# 190 MB: 262,144 rows a batch peaked 703 MiB in the facts' fetch, 65,536 rows 624 MiB, no slower).
BATCH_ROWS = 65_536


def _big(sheet: RawSheet) -> bool:
    return sheet.height >= STREAM_ROWS


def _stage(cur: duckdb.DuckDBPyConnection, name: str, sql: str, params: dict[str, Any] | None, big: bool) -> None:
    """``name`` as the rows of ``sql``: a temporary table, or for a big sheet a view. A view takes no
    parameters: their values are written into it as typed literals (integers and lists of them, dates,
    and texts — a metric's or a column's name from the file — quoted by ``db.quote_literal``)."""
    if not big:
        _run(cur, f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}", params)
        return
    _drop(cur, name)
    _run(cur, f"CREATE OR REPLACE TEMP VIEW {name} AS {_inline(sql, params)}")


def _inline(sql: str, params: dict[str, Any] | None) -> str:
    """``sql`` with its ``$name`` parameters written in as typed literals (for a view)."""

    def literal(m: re.Match[str]) -> str:
        v = (params or {})[m.group(1)]
        if v is None:
            return "NULL::VARCHAR"
        if isinstance(v, str):
            return f"{quote_literal(v)}::VARCHAR"
        if type(v) is dt.date:
            return f"DATE '{v.isoformat()}'"
        if type(v) is int:
            return f"{v:d}"
        if isinstance(v, list) and all(type(x) is int for x in v):
            return f"[{', '.join(f'{x:d}' for x in v)}]::BIGINT[]"
        raise TypeError(f"${m.group(1)} is no integer, list of integers, date or text")

    return _PARAM.sub(literal, sql)


@dataclass
class Deferred:
    """A big sheet's transactions as a query over its cells (issue 19, hole 8), run by each reader —
    the store inserts from it, the preview takes its first rows — instead of rows held in memory
    (~120 bytes a row with their two maps). The query reads ``tables`` (the sheet's cells, and the
    periods and numbers Python read) as the views named by their keys; its values are literals."""

    sql: str
    tables: dict[str, pa.Table]
    num_rows: int = 0

    def over(self, select: str, where: str = "") -> Deferred:
        """These rows with ``select`` (over ``d``, this query's rows) and the filter ``where``."""
        return Deferred(f"SELECT {select} FROM ({self.sql}) d {where}", self.tables, self.num_rows)

    def head(self, n: int) -> list[dict[str, Any]]:
        """The first ``n`` rows of the sheet, as ``pa.Table.to_pylist`` gives them."""
        con = duckdb.connect()
        try:
            for name, table in self.tables.items():
                con.register(name, table)
            return con.sql(f"SELECT * FROM ({self.sql}) d ORDER BY row_no LIMIT {n:d}").to_arrow_table().to_pylist()
        finally:
            con.close()


@contextlib.contextmanager
def staged(cur: duckdb.DuckDBPyConnection, name: str, rows: pa.Table | Deferred) -> Iterator[None]:
    """``rows`` visible to SQL as ``name`` for the block: an Arrow table registered, or a
    :class:`Deferred` query as a view over its tables."""
    if isinstance(rows, pa.Table):
        with registered(cur, name, rows):
            yield
        return
    for key, table in rows.tables.items():
        register(cur, key, table)
    try:
        _run(cur, f"CREATE OR REPLACE TEMP VIEW {quote_ident(name)} AS {rows.sql}")
        yield
    finally:
        cur.execute("SELECT 1").fetchall()
        cur.execute(f"DROP VIEW IF EXISTS {quote_ident(name)}")
        for key in rows.tables:
            unregister(cur, key)


def _drop(cur: duckdb.DuckDBPyConnection, *names: str) -> None:
    for name in names:
        for kind in ("TABLE", "VIEW"):
            with contextlib.suppress(duckdb.Error):  # the other kind of the same name
                _run(cur, f"DROP {kind} IF EXISTS {name}")


def _col(c: ColumnSpec | int) -> str:
    return quote_ident(f"c{c.index if isinstance(c, ColumnSpec) else c}")


def _clean(expr: str) -> str:
    return f"NULLIF(trim({expr}), '')"


def dimension_columns(plan: SheetPlan) -> list[ColumnSpec]:
    """Segment columns; in a KPI table a code column (门店编码) is a segment too."""
    roles = ("dimension",) if plan.shape == "transactions" else ("dimension", "id")
    return [c for c in plan.columns if c.role in roles]


def dimension_names(plan: SheetPlan) -> list[str]:
    names: list[str] = []
    for c in dimension_columns(plan):
        base = c.header.split(" / ")[-1] if c.header else f"列{c.index + 1}"
        name, n = base, 2
        while name in names:
            name, n = f"{base} ({n})", n + 1
        names.append(name)
    return names


def _grid(sheet: RawSheet) -> pa.Table:
    table = sheet.table
    assert table is not None
    return table.append_column("__r", pa.array(np.arange(table.num_rows, dtype=np.int64)))


def _error_positions(sheet: RawSheet, origin_col: int) -> dict[int, list[int]]:
    """Error cells by table column → table rows."""
    by_col: dict[int, list[int]] = {}
    for ref in sheet.error_cells:
        m = re.match(r"([A-Z]+)(\d+)$", ref)
        if not m:
            continue
        by_col.setdefault(column_index(m.group(1)) - origin_col, []).append(int(m.group(2)) - 1)
    return by_col


def normalize(cur: duckdb.DuckDBPyConnection, sheet: RawSheet, plan: SheetPlan) -> Normalized:
    """The rows this sheet stores under ``plan``, with warnings, totals and reconciliation."""
    out = Normalized()
    grid = _grid(sheet)
    register(cur, "grid", grid)
    try:
        measures = plan.of_role("measure")
        if plan.shape != "transactions" and not measures:
            raise ImportFailure("no_numeric_data", sheet=plan.sheet)
        base, base_params = _row_filter(plan, measures)
        totals_rows, sub_rows = _label_total_rows(cur, plan, base, base_params)
        stat_rows = {r: x for r, x in _label_stat_rows(cur, plan, base, base_params).items()
                     if r not in totals_rows and r not in sub_rows and r not in plan.keep_rows}
        out.readings += [Reading("statistic_row", "header", params={"row": r + 1, "label": x}) for r, x in sorted(stat_rows.items())]
        excluded = set(totals_rows) | set(sub_rows) | set(stat_rows)
        if plan.shape != "transactions":
            found, blocks = _evidenced_total_rows(cur, sheet, plan, measures, base, base_params, excluded)
            for r, reading in found.items():
                totals_rows.append(r)
                excluded.add(r)
                out.readings.append(reading)
            for r, reading in blocks.items():
                sub_rows.append(r)
                excluded.add(r)
                out.readings.append(reading)
            totals_rows.sort()
            nested = set(_nested_subtotals(cur, measures, totals_rows))
            if nested:
                totals_rows[:] = [r for r in totals_rows if r not in nested]
                sub_rows.extend(sorted(nested))
                out.readings = [replace(x, decision="subtotal_row") if x.decision == "totals_row" and (x.params.get("row") or 0) - 1 in nested
                                else x for x in out.readings]
            sections = [r for r, why in plan.excluded.items() if why == "header"]
            if sections and plan.end - plan.start <= 5000:
                body = _run(cur, f"SELECT g.__r, {', '.join(_col(c) for c in measures)} FROM grid g WHERE {base} "
                                 "AND NOT list_contains($excluded, g.__r)", {**base_params, "excluded": sorted(excluded)}).fetchall()
                for r, reading in totals.section_sum_rows(totals.row_numbers(body), sections).items():
                    sub_rows.append(r)
                    excluded.add(r)
                    out.readings.append(reading)
        if plan.keep_rows:
            kept = plan.keep_rows & excluded
            totals_rows[:] = [r for r in totals_rows if r not in kept]
            sub_rows[:] = [r for r in sub_rows if r not in kept]
            excluded -= kept
            out.readings = [x for x in out.readings if (x.params.get("row") or 0) - 1 not in kept]
            out.readings += [Reading("kept_row", "position", params={"row": r + 1}) for r in sorted(kept)]
        out.readings += [Reading("skipped_row", "position", params={"row": r + 1}) for r in sorted(plan.skip_rows)]
        where = base + " AND NOT list_contains($excluded, g.__r)"
        params = {**base_params, "excluded": sorted(excluded)}
        if plan.shape == "transactions":
            _transactions(cur, sheet, plan, where, params, out, grid)
        else:
            _facts(cur, sheet, plan, measures, where, params, out)
            _reconcile(cur, plan, measures, totals_rows, where, params, out,
                       left_out={**{r: "subtotal" for r in sub_rows}, **{r: "totals" for r in totals_rows}},
                       formulas=sheet.formulas)
        if sub_rows:
            out.warnings.append(Message("subtotal_rows_excluded", {"count": len(sub_rows)}))
        if totals_rows:
            out.warnings.append(Message("totals_row_excluded", {"count": len(totals_rows), "rows": [r + 1 for r in totals_rows][:10]}))
        if plan.of_role("total"):
            out.warnings.append(Message("totals_column_excluded", {"columns": [c.header for c in plan.of_role("total")]}))
        notes = [r for r, why in plan.excluded.items() if why == "note"]
        if notes:
            out.warnings.append(Message("note_rows_excluded", {"count": len(notes)}))
        if plan.extra_tables:
            out.warnings.append(Message("extra_tables", {"count": len(plan.extra_tables), "rows": [s + 1 for s, _ in plan.extra_tables]}))
        if plan.duplicate_headers:
            out.warnings.append(Message("duplicate_headers", {"headers": plan.duplicate_headers}))
        if plan.blank_headers:
            out.warnings.append(Message("blank_headers", {"count": plan.blank_headers}))
        if plan.year_source == "assumed" and _uses_year(plan, sheet):
            out.warnings.append(Message("year_assumed", {"year": plan.year}))
        if sheet.uncached_formulas:
            out.warnings.append(Message("uncached_formulas", {"count": len(sheet.uncached_formulas), "cells": sheet.uncached_formulas[:10]}))
        ignored = [c.header for c in plan.of_role("ignore") if c.header]
        if plan.shape == "wide_period":  # Lat and Long beside the days: not by period, so not stored
            ignored += [c.header for c in measures if not c.period and c.header]
        if ignored:
            out.warnings.append(Message("ignored_columns", {"columns": ignored}))
    finally:
        unregister(cur, "grid")
        if _big(sheet):
            pa.default_memory_pool().release_unused()  # the batches' and copies' freed buffers, back to the system
    return out


def _uses_year(plan: SheetPlan, sheet: RawSheet) -> bool:
    """Whether some period of this sheet had no year written (only then the assumed year matters)."""
    if plan.shape == "wide_period":
        return any(c.period and c.period.startswith("????") for c in plan.of_role("measure"))
    return bool(plan.of_role("period")) and plan.yearless


def _row_filter(plan: SheetPlan, measures: list[ColumnSpec]) -> tuple[str, dict[str, Any]]:
    skip = sorted(set(plan.excluded) | plan.skip_rows)
    where = "g.__r >= $start AND g.__r < $end AND NOT list_contains($skip, g.__r)"
    if measures and plan.shape != "transactions":
        where += " AND NOT (" + " AND ".join(f"{_clean(_col(c))} IS NULL" for c in measures) + ")"
    elif plan.shape == "transactions":
        period = plan.of_role("period")[0]
        where += f" AND {_clean(_col(period))} IS NOT NULL"
    return where, {"start": plan.start, "end": plan.end, "skip": skip}


def _label_columns(plan: SheetPlan) -> list[ColumnSpec]:
    return [c for c in plan.columns if c.role in ("dimension", "metric", "period", "id", "scenario", "year")]


def _labelled_rows(cur, plan: SheetPlan, where: str, params: dict, matches: Callable[[str], Any],
                   limit: int) -> list[tuple[int, list[str]]]:
    """(row, its label texts) of the rows one of whose label cells ``matches``."""
    labels = _label_columns(plan)
    if not labels or plan.shape == "transactions":
        return []
    # Labels repeat (a few regions, a few months): test each distinct text once, in Python.
    lists = _run(cur, f"SELECT {', '.join(f'list(DISTINCT trim({_col(c)}))' for c in labels)} FROM grid g WHERE {where}",
                 params).fetchone()
    hits = {c.index: [t for t in texts or [] if t and matches(t)] for c, texts in zip(labels, lists, strict=True)}
    hits = {i: v for i, v in hits.items() if v}
    if not hits:
        return []
    cond = " OR ".join(f"list_contains($h{i}, trim({_col(i)}))" for i in hits)
    sql = f"SELECT g.__r, {', '.join(_col(c) for c in labels)} FROM grid g WHERE {where} AND ({cond}) ORDER BY g.__r LIMIT {limit:d}"
    rows = _run(cur, sql, {**params, **{f"h{i}": v for i, v in hits.items()}}).fetchall()
    return [(row[0], [str(v).strip() for v in row[1:] if v is not None and str(v).strip()]) for row in rows]


def _label_total_rows(cur, plan: SheetPlan, where: str, params: dict) -> tuple[list[int], list[int]]:
    grand, sub = [], []
    for r, texts in _labelled_rows(cur, plan, where, params, TOTAL_LABEL_RE.search, 100_000):
        if not any(TOTAL_LABEL_RE.search(t) for t in texts):
            continue  # regexp flavour differences: Python decides
        (grand if any(GRAND_TOTAL_RE.match(t) for t in texts) else sub).append(r)
    return grand, sub


def _label_stat_rows(cur, plan: SheetPlan, where: str, params: dict) -> dict[int, str]:
    """Rows whose label says they describe the rows above (平均, 最高, Average, 环比): {row: label}.
    Added in, an average row inflated every month by a third; they are left out and not checked."""
    return {r: next(t for t in texts if STAT_LABEL_RE.match(t))
            for r, texts in _labelled_rows(cur, plan, where, params, STAT_LABEL_RE.match, 1000)
            if any(STAT_LABEL_RE.match(t) for t in texts)}


def _evidenced_total_rows(cur, sheet: RawSheet, plan: SheetPlan, measures: list[ColumnSpec], where: str, params: dict,
                          excluded: set[int]) -> tuple[dict[int, Reading], dict[int, Reading]]:
    """Totals rows told by a formula, a table's totals row, or a sum relation, and subtotals of blocks
    (totals.py): ({row: reading} of totals, {row: reading} of subtotals)."""
    body = range(plan.start, plan.end)
    found = {r: x for r, x in totals.formula_rows(sheet, body, [c.index for c in measures]).items() if r not in excluded}
    skip = sorted(excluded | set(found))
    blocks: dict[int, Reading] = {}
    if plan.end - plan.start <= 5000:
        # cast in the database: parsing every cell in Python cost a 4,000-row wide sheet a second
        nums = ", ".join(f"coalesce(TRY_CAST({_col(c)} AS DOUBLE), TRY_CAST(replace({_col(c)}, ',', '') AS DOUBLE))" for c in measures)
        cells = _run(cur, f"SELECT g.__r, {nums} FROM grid g WHERE {where} "
                          "AND NOT list_contains($excluded, g.__r) ORDER BY g.__r", {**params, "excluded": skip}).fetchall()
        blocks = totals.block_subtotal_rows(totals.row_numbers(cells))
        skip = sorted(set(skip) | set(blocks))
    ends = _run(cur, f"SELECT min(g.__r), max(g.__r), count(*) FROM grid g WHERE {where} AND NOT list_contains($excluded, g.__r)",
                {**params, "excluded": skip}).fetchone()
    if ends is None or ends[2] < 3:
        return found, blocks
    first, last, count = ends
    cells = _run(cur, f"SELECT g.__r, {', '.join(_col(c) for c in measures)} FROM grid g WHERE g.__r IN ($a, $b)",
                 {"a": first, "b": last}).fetchall()
    sums, decimal = _column_sums(cur, measures, where, {**params, "excluded": skip})
    candidates = totals.row_numbers(cells, decimal={j for j, c in enumerate(measures) if c.index in decimal})
    for r in (first, last):
        mine = candidates.get(r) or {}
        if not mine or not any(abs(v) > totals.TOLERANCE for v in mine.values()):
            continue
        if len(mine) < 2 and count < 4:
            continue  # one number over two rows: too easily a coincidence
        if all(abs((sums.get(measures[j].index, 0.0) - v) - v) <= TOLERANCE + 1e-9 * abs(v) for j, v in mine.items()) \
                and not _rows_with_a_period_of_their_own(cur, plan, where, {**params, "excluded": skip}, (r,)):
            found[r] = Reading("totals_row", "sum", params={"row": r + 1, "kind": "sum_relation", "count": count - 1})
            break
    return found, blocks


def _rows_with_a_period_of_their_own(cur, plan: SheetPlan, where: str, params: dict, rows: tuple[int, ...]) -> set[int]:
    """Of ``rows``, those whose period cell is a period no other row has ('2024年第3周' after the
    first two weeks): that row is its period's data, whatever its numbers add up to."""
    period_cols = plan.of_role("period")
    if not period_cols:
        return set()
    col = _col(period_cols[0])
    found = _run(cur, f"""SELECT g.__r, trim(g.{col}) FROM grid g WHERE list_contains($rows, g.__r)
                             AND trim(g.{col}) IN (SELECT trim(g.{col}) FROM grid g WHERE {where}
                                                   AND NOT list_contains($excluded, g.__r) GROUP BY 1 HAVING count(*) = 1)""",
                 {**params, "rows": list(rows)}).fetchall()
    return {r for r, text in found if text and _parse_period_cell(text, _sheet_month(plan), plan.day_first) is not None}


def _nested_subtotals(cur, measures: list[ColumnSpec], rows: list[int]) -> list[int]:
    """The totals rows inside a grand total: when one of three or more totals rows equals the sum of
    the others (上海 and 广州 =SUM of their shops, 全部 = 上海 + 广州), the others are subtotals, and
    only the grand total checks what is stored."""
    if len(rows) < 3 or not measures:
        return []
    cells = _run(cur, f"SELECT g.__r, {', '.join(_col(c) for c in measures)} FROM grid g WHERE list_contains($rows, g.__r)",
                 {"rows": rows}).fetchall()
    values = totals.row_numbers(cells)
    found = totals.sum_relation_row(values, sorted(values, reverse=True))
    return [] if found is None else [r for r in rows if r != found[0]]


def _column_sums(cur, cols: list[ColumnSpec], where: str, params: dict) -> tuple[dict[int, float], set[int]]:
    """Per column, the sum of the numbers in the included rows, and the columns whose commas are
    decimal points: DuckDB sums what casts, and Python parses each distinct odd text ('1,234',
    '85%', '1052,75') once in its column's style (cells.number_style), weighted by how often it stands there."""
    if not cols:
        return {}, set()
    rows_where = f"{where} AND NOT list_contains($excluded, g.__r)"
    cast = {c.index: f"TRY_CAST({_col(c)} AS DOUBLE)" for c in cols}
    sums = _run(cur, "SELECT " + ", ".join(f"sum({e}) FILTER (WHERE isfinite({e}))" for e in cast.values())
                + f" FROM grid g WHERE {rows_where}", params).fetchone()
    out = {i: float(v or 0.0) for i, v in zip(cast, sums, strict=True)}
    odd = " UNION ALL ".join(
        f"SELECT {c.index} AS col, {_col(c)} AS raw, count(*) AS n FROM grid g WHERE {rows_where} "
        f"AND {_col(c)} IS NOT NULL AND NOT coalesce(isfinite({cast[c.index]}), false) GROUP BY raw"
        for c in cols
    )
    by_col: dict[int, list[tuple[str, int]]] = {}
    for col, raw, n in _run(cur, odd, params).fetchall():
        by_col.setdefault(col, []).append((raw, n))
    decimal = {col for col, texts in by_col.items() if number_style(raw for raw, _ in texts)[0] == "decimal_comma"}
    for col, texts in by_col.items():
        for raw, n in texts:
            value = parse_number(raw, decimal_comma=col in decimal).value
            if value is not None:
                out[col] += value * n
    return out, decimal


# ---------------------------------------------------------------- periods


def _with_year(period: Period | None, year: int | None) -> Period | None:
    """A period that did not say its year ('3月') takes ``year``, else this year."""
    if period is None or period.year is not None:
        return period
    found = period.with_year(year or dt.date.today().year)
    if found.grain == "week":
        try:
            found.start  # noqa: B018 - 'Week 53' in a year of 52 weeks is no period
        except ValueError:
            return None
    return found


def _numbered(text: str | None, grain: str) -> Period | None:
    """'3' in a column of month (or quarter) numbers: that month of the row's year (detect, numbered_periods)."""
    n = parse_number(text) if text is not None else None
    if n is None or n.status != "ok" or n.value is None or not float(n.value).is_integer():
        return None
    number = int(n.value)
    return Period(grain, None, number) if 1 <= number <= (12 if grain == "month" else 4) else None


def _parse_period_cell(text: str | None, month: Period | None = None, day_first: bool | None = None) -> Period | None:
    """A period cell; ``month`` (the sheet's own, from its name) places a bare day ('1号') in it;
    ``day_first`` is the sheet's order of slash dates."""
    if text is None:
        return None
    period = parse_period(text, day_first=day_first)
    if period is not None:
        return period
    day = cells.day_of_month(text)
    if day is not None and month is not None and month.grain == "month":
        if month.year is not None:
            # '31号' on a sheet of 30 days: the row still belongs to the sheet's month (its total
            # must stay whole), so it is counted on the month's last day, with a warning.
            day = min(day, calendar.monthrange(month.year, month.number)[1])
        return Period("day", month.year, month.number, day)
    n = parse_number(text)
    if n.status == "ok" and n.value is not None:
        date = excel_serial_to_date(n.value)
        if date is not None:
            return Period("day", date.year, date.month, date.day)
    return None


def _sheet_month(plan: SheetPlan) -> Period | None:
    p = period_from_any_label(plan.sheet_period) if plan.sheet_period else None
    if p is not None and p.year is None and plan.year:
        p = p.with_year(plan.year)
    return p


# ---------------------------------------------------------------- facts


def _facts(cur, sheet: RawSheet, plan: SheetPlan, measures: list[ColumnSpec], where: str, params: dict, out: Normalized) -> None:
    dims = dimension_columns(plan)
    names = dimension_names(plan)
    metric_col = (plan.of_role("metric") or [None])[0]
    scen_col = (plan.of_role("scenario") or [None])[0]
    unit_col = (plan.of_role("unit") or [None])[0]
    errors_by_col = _error_positions(sheet, sheet.origin_col)

    # Merged cells in exports leave blanks under a dimension or period: carry the value down.
    carried = [*dims, *([metric_col] if metric_col else []), *plan.of_role("period"), *plan.of_role("year")]
    body = sheet.table.slice(plan.start, max(plan.end - plan.start, 0))
    select_cols = ", ".join(
        f"last_value({_clean(_col(c))} IGNORE NULLS) OVER (ORDER BY g.__r ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS {_col(c)}"
        if body.column(c.index).null_count else f"{_clean(_col(c))} AS {_col(c)}"  # no gaps: no window to pay for
        for c in carried
    )
    others = [*measures, *([scen_col] if scen_col else []), *([unit_col] if unit_col else [])]
    select_cols = ", ".join(filter(None, [select_cols, ", ".join(_col(c) for c in others), "g.__r"]))
    big = _big(sheet)
    _stage(cur, "rows_in", f"SELECT {select_cols} FROM grid g WHERE {where} AND NOT list_contains($excluded, g.__r)", params, big)

    if plan.shape in ("long", "wide_measure"):
        ptext, ykey = _period_map_rows(cur, plan, out)
        period_join = f"LEFT JOIN pmap pm ON pm.p = {ptext.replace('g.', 'ri.')} AND pm.y = {ykey.replace('g.', 'ri.')}"
        period_expr, grain_expr = "pm.d", "pm.grain"
    else:
        period_join = ""
        if plan.shape == "snapshot":
            if not plan.period:
                raise ImportFailure("needs_period", sheet=plan.sheet)
            snap = parse_period(plan.period)
            if snap is None or snap.year is None:
                raise ImportFailure("bad_period", value=plan.period)
            period_expr, grain_expr = "$snap_date", "$snap_grain"
            params = {**params, "snap_date": snap.start, "snap_grain": snap.grain}
        else:
            period_expr, grain_expr = None, None  # per column, below

    metric_join = ""
    if metric_col is not None:
        texts = [r[0] for r in _run(cur, f"SELECT DISTINCT {_col(metric_col)} FROM rows_in WHERE {_col(metric_col)} IS NOT NULL").fetchall()]
        mm = [split_unit(t) for t in texts]
        register(cur, "mmap", pa.table({"t": pa.array(texts, pa.string()), "metric": pa.array([m for m, _ in mm], pa.string()),
                                       "unit": pa.array([u for _, u in mm], pa.string())}))
        metric_join = f"LEFT JOIN mmap mm ON mm.t = ri.{_col(metric_col)}"
    scen_join = ""
    if scen_col is not None:
        texts = [r[0] for r in _run(cur, f"SELECT DISTINCT {_clean(_col(scen_col))} FROM rows_in").fetchall() if r[0] is not None]
        # 目标 / 实际 / 达成率 rows under each metric: the 达成率 row is computed from the two above it
        derived = [t for t in texts if scenario_of(t) is None and roles.is_derived_ratio(t)]
        register(cur, "smap", pa.table({"t": pa.array(texts, pa.string()),
                                       "s": pa.array([scenario_of(t) or t.strip().lower() for t in texts], pa.string()),
                                       "derived": pa.array([t in derived for t in texts], pa.bool_())}))
        scen_join = f"LEFT JOIN smap sm ON sm.t = {_clean('ri.' + _col(scen_col))}"
        if derived:
            out.readings.append(Reading("ratio_rows", "header", params={"labels": " / ".join(derived[:3])}))

    key_params = {f"dk{i}": n for i, n in enumerate(names)}
    dims_key = "concat_ws('|', " + ", ".join(f"$dk{i} || '=' || coalesce(ri.{_col(c)}, '')" for i, c in enumerate(dims)) + ")" if dims else "''"
    dims_map = ("map([" + ", ".join(f"$dk{i}" for i in range(len(names))) + "], [" + ", ".join(f"ri.{_col(c)}" for c in dims) + "])") if dims else "map([]::VARCHAR[], []::VARCHAR[])"
    # Maps are costly to build: one per distinct segment, not one per value.
    group = ", ".join(f"ri.{_col(c)}" for c in dims)
    out.segments = _arrow(
        cur,
        f"SELECT {dims_key} AS dims_key, {dims_map} AS dims FROM rows_in ri" + (f" GROUP BY {group}" if dims else " LIMIT 1"),
        key_params,
    )

    selects = []
    col_params: dict[str, Any] = {}
    for c in measures:
        i = c.index
        if metric_col is not None:
            metric_expr = "mm.metric"
            unit_expr = f"coalesce(mm.unit, $u{i})"
        elif plan.section_metrics and not c.metric:
            # Tables stacked under their own titles: a row's metric is its section's (detect._name_metric).
            metric_expr = "CASE " + " ".join(f"WHEN ri.__r > $sr{k} THEN $sm{k}" for k in reversed(range(len(plan.section_metrics)))) + f" ELSE $m{i} END"
            unit_expr = "CASE " + " ".join(f"WHEN ri.__r > $sr{k} THEN $su{k}" for k in reversed(range(len(plan.section_metrics)))) + f" ELSE $u{i} END"
            for k, (row, name, unit) in enumerate(plan.section_metrics):
                col_params.update({f"sr{k}": row, f"sm{k}": name, f"su{k}": unit or plan.default_unit})
        else:
            metric_expr = f"$m{i}"
            unit_expr = f"$u{i}"
        if unit_col is not None:
            unit_expr = f"coalesce({_clean('ri.' + _col(unit_col))}, {unit_expr})"
        col_params[f"m{i}"] = c.metric or plan.metric_name or plan.sheet
        col_params[f"u{i}"] = c.unit or plan.default_unit or (split_unit(plan.title)[1] if plan.section_metrics and plan.title else None)
        scenario_expr = f"$s{i}" if c.scenario else ("coalesce(sm.s, 'actual')" if scen_col is not None else "'actual'")
        col_params[f"s{i}"] = c.scenario
        if plan.shape == "wide_period":
            period = period_from_any_label(c.period) if c.period else None
            if period is None:
                continue
            year_col = (plan.of_role("year") or [None])[0]
            col_params[f"pg{i}"] = period.stored_grain
            g_expr = f"$pg{i}"
            if period.year is None and year_col is not None and period.grain != "week":
                # '3月' under a 年份 column: each row's own year.
                first_month = period.number if period.grain == "month" else 3 * period.number - 2 if period.grain == "quarter" else 1
                col_params[f"pm{i}"] = first_month
                # '2026', '2026.0', '2026年', 'FY2026': the four digits are the year
                p_expr = f"make_date(TRY_CAST(regexp_extract(ri.{_col(year_col)}, '(19|20)[0-9][0-9]') AS INTEGER), $pm{i}, 1)"
            else:
                period = _with_year(period, plan.year)
                if period is None:
                    continue
                col_params[f"pd{i}"] = period.start
                p_expr = f"$pd{i}"
        else:
            p_expr, g_expr = period_expr, grain_expr
        err_rows = errors_by_col.get(i, [])
        col_params[f"e{i}"] = err_rows
        selects.append(
            f"SELECT ri.__r AS row_no, {i} AS src_col, {p_expr} AS period, {g_expr} AS grain, {metric_expr} AS metric, "
            f"{unit_expr} AS unit, {scenario_expr} AS scenario, {dims_key} AS dims_key, "
            f"{_clean('ri.' + _col(c))} AS raw, list_contains($e{i}, ri.__r) AS is_error "
            f"FROM rows_in ri {period_join} {metric_join} {scen_join} "
            f"WHERE ({_clean('ri.' + _col(c))} IS NOT NULL OR list_contains($e{i}, ri.__r))"
            + (" AND NOT coalesce(sm.derived, false)" if scen_col is not None else "")
        )
    if not selects:
        raise ImportFailure("no_numeric_data", sheet=plan.sheet)
    if big:
        # One value a cell: a copy of them cost a 190 MB file ~120 bytes a value. A view instead,
        # read again by each query below; its values without a period or a metric filtered out.
        _stage(cur, "long_all", " UNION ALL ".join(selects), {**params, **col_params, **key_params}, big)
        dropped, no_metric = _run(cur, "SELECT count(*) FILTER (WHERE period IS NULL), "
                                       "count(*) FILTER (WHERE period IS NOT NULL AND metric IS NULL) FROM long_all").fetchone()
        _stage(cur, "long", "SELECT * FROM long_all WHERE period IS NOT NULL AND metric IS NOT NULL", None, big)
        if dropped:
            out.warnings.append(Message("rows_without_period", {"count": dropped}))
        if no_metric:
            out.warnings.append(Message("rows_without_metric", {}))
    else:
        _run(cur, "CREATE OR REPLACE TEMP TABLE long AS " + " UNION ALL ".join(selects), {**params, **col_params, **key_params})
        dropped = _run(cur, "SELECT count(*) FROM long WHERE period IS NULL").fetchone()[0]
        if dropped:
            _run(cur, "DELETE FROM long WHERE period IS NULL")
            out.warnings.append(Message("rows_without_period", {"count": dropped}))
        if _run(cur, "SELECT count(*) FROM long WHERE metric IS NULL").fetchone()[0]:
            _run(cur, "DELETE FROM long WHERE metric IS NULL")
            out.warnings.append(Message("rows_without_metric", {}))

    nmap, percent_cols, comma = _number_map(cur, "long")
    percent_metrics: list[str] = []
    if plan.default_unit and plan.default_unit != "%":
        # The title's '单位：万元' is the sheet's money: a metric written '35%' in every cell is a
        # percentage, not 0.35 万元.
        percent_metrics = [r[0] for r in _run(cur, "SELECT metric FROM long WHERE raw IS NOT NULL GROUP BY metric "
                                                   "HAVING bool_and(regexp_matches(raw, '[%％]$'))").fetchall()]
        if percent_metrics:
            out.readings.append(Reading("percent_despite_title_unit", "values",
                                        params={"unit": plan.default_unit, "metrics": " / ".join(percent_metrics[:3])}))
    out.readings += _number_readings(plan, comma)
    out.decimal_comma = {col for col, (_, strength) in comma.items() if strength == "strong"}
    register(cur, "nmap", nmap)
    src_type = "SMALLINT" if sheet.width <= np.iinfo(np.int16).max else "INTEGER"
    facts = _arrow(cur,
        f"""SELECT l.period, l.grain, l.metric,
                  CASE WHEN list_contains($pm, l.metric) OR (l.unit IS NULL AND list_contains($pct, l.src_col)) THEN '%'
                       ELSE l.unit END AS unit,
                  l.scenario, l.dims_key,
                  CASE WHEN isfinite(TRY_CAST(l.raw AS DOUBLE)) THEN TRY_CAST(l.raw AS DOUBLE) ELSE n.value END AS value,
                  l.src_col::{src_type} AS src_col, l.row_no::INTEGER AS row_no
           FROM long l LEFT JOIN nmap n ON n.raw = l.raw AND n.src_col = l.src_col""",
        # A value's row and column in 4 and 2 bytes, not 8; a few grains and scenarios, more metrics and
        # units, the segments (one key a segment): the narrowest indices that hold them (issue 19).
        {"pct": percent_cols, "pm": percent_metrics}, big=big,
        compact={"grain": pa.int8(), "scenario": pa.int8(), "metric": pa.int16(), "unit": pa.int16(),
                 "dims_key": pa.int16() if out.segments.num_rows <= np.iinfo(np.int16).max else pa.int32()},
    )
    stats = _run(cur,
        """SELECT count(*) FILTER (WHERE l.is_error OR n.status = 'error'),
                  count(*) FILTER (WHERE n.status = 'unparsed')
           FROM long l LEFT JOIN nmap n ON n.raw = l.raw AND n.src_col = l.src_col"""
    ).fetchone()
    if stats[0] or stats[1]:
        out.unread = dict(_run(cur,
            """SELECT l.src_col, count(*) FROM long l LEFT JOIN nmap n ON n.raw = l.raw AND n.src_col = l.src_col
               WHERE l.is_error OR n.status IN ('error', 'unparsed') GROUP BY 1""").fetchall())
    if stats[0]:
        out.warnings.append(Message("error_cells", {"count": stats[0], "cells": sheet.error_cells[:10]}))
    if stats[1]:
        examples = [r[0] for r in _run(cur, "SELECT raw FROM nmap WHERE status = 'unparsed' LIMIT 5").fetchall()]
        out.warnings.append(Message("unparsed_cells", {"count": stats[1], "examples": examples}))
    out.facts = facts
    out.rows = facts.num_rows
    out.source_rows = _distinct_rows(facts.column("row_no"), sheet.height) if facts.num_rows else 0
    out.dimensions = names
    _summarise_facts(cur, out)
    out.notes = _row_notes(cur, plan, facts, dims)
    _drop(cur, "long", "long_all", "rows_in")
    for view in ("pmap", "mmap", "smap", "nmap"):
        with contextlib.suppress(duckdb.Error):  # not every shape registers every map
            unregister(cur, view)


def note_columns(plan: SheetPlan) -> list[ColumnSpec]:
    """Free-text columns beside the numbers (偏差原因, 经验/教训, 备注, Comments): left out of the values
    and segments, their text kept as notes on the row's metric and period."""
    return [c for c in plan.columns if c.role == "ignore" and c.header and (
        (c.reading is not None and c.reading.decision == "note_column")
        or (c.reading is None and _NOTE_RE.match(c.header.split(" / ")[-1])))]


def _row_notes(cur, plan: SheetPlan, facts: pa.Table, dims: list[ColumnSpec]) -> list[dict[str, Any]]:
    """Each note column's non-blank text, once per row and metric of that row's stored values, on the
    row's period (a wide row of months: its last). The row's segment leads the text ("华东 · 偏差原因:
    …"): an annotation has no dimensions."""
    cols = note_columns(plan)
    if not cols or not facts.num_rows:
        return []
    segment = [f"ri.{_col(c)}" for c in dims]
    selects, params = [], {}
    for k, c in enumerate(cols):
        params[f"nh{k}"], params[f"ns{k}"] = c.header.split(" / ")[-1], c.header
        text = _clean(f"g.{_col(c)}")
        parts = [*segment, f"$nh{k} || ': ' || {text}"]
        label = f"concat_ws(' · ', {', '.join(parts)})"
        selects.append(
            f"SELECT f.metric, max(f.period) AS period, f.dims_key, $ns{k} AS source, any_value({label}) AS text, "
            f"f.row_no, {k} AS col FROM nfacts f JOIN grid g ON g.__r = f.row_no JOIN rows_in ri ON ri.__r = f.row_no "
            f"WHERE {text} IS NOT NULL GROUP BY f.row_no, f.metric, f.dims_key"
        )
    with registered(cur, "nfacts", facts.select(["row_no", "metric", "period", "dims_key"])):
        rows = _run(cur, "SELECT metric, period, dims_key, source, text FROM (" + " UNION ALL ".join(selects) + ") "
                         "GROUP BY ALL ORDER BY min(row_no), min(col), metric", params).fetchall()
    return [{"metric": m, "period": p, "dims_key": d, "source": s, "text": t} for m, p, d, s, t in rows]


def _period_map_rows(cur, plan: SheetPlan, out: Normalized) -> tuple[str, str]:
    """The period map over ``rows_in`` (after carrying merged period cells down)."""
    period_col = plan.of_role("period")[0]
    year_cols = plan.of_role("year")
    ptext = f"g.{_col(period_col)}"
    ytext = f"coalesce(g.{_col(year_cols[0])}, '')" if year_cols else "''"
    distinct = _run(cur, f"SELECT DISTINCT {ptext}, {ytext} FROM rows_in g").fetchall()
    parsed = []
    yearless = False
    numbered = period_col.reading.params.get("grain") if period_col.reading is not None \
        and period_col.reading.decision == "numbered_periods" else None
    for p, y in distinct:
        period = _parse_period_cell(p, _sheet_month(plan), plan.day_first) if numbered is None else _numbered(p, numbered)
        yearless = yearless or (period is not None and period.year is None)
        period = _with_year(period, year_of_cell(y) or plan.year)
        parsed.append((p, y, period.start if period else None, period.grain if period else None))
    plan.yearless = yearless
    moved = [p for p, _, d, _ in parsed if d is not None and (n := cells.day_of_month(p)) is not None and d.day != n]
    if moved:
        out.warnings.append(Message("day_out_of_month", {"count": len(moved), "examples": moved[:5]}))
    grains = {g for *_, g in parsed if g}
    if grains == {"day"} and all(d is None or d.day == 1 for _, _, d, _ in parsed):
        parsed = [(p, y, d, "month" if d else None) for p, y, d, _ in parsed]
    parsed = [(p, y, d, "day" if g == "week" else g) for p, y, d, g in parsed]  # a week is stored on its Monday
    bad = [p for p, _, d, _ in parsed if d is None and p is not None]
    if bad:
        out.warnings.append(Message("unparsed_periods", {"count": len(bad), "examples": bad[:5]}))
    register(cur,
        "pmap",
        pa.table({
            "p": pa.array([p for p, *_ in parsed], pa.string()),
            "y": pa.array([y for _, y, *_ in parsed], pa.string()),
            "d": pa.array([d for _, _, d, _ in parsed], pa.date32()),
            "grain": pa.array([g for *_, g in parsed], pa.string()),
        }),
    )
    return ptext, ytext


def _number_map(cur, table: str) -> tuple[pa.Table, list[int], dict[int, tuple[str, str]]]:
    """Cells a plain cast cannot read ('1,234', '85%', '1.2万', '—', '#N/A', '1052,75元'), parsed once
    each per column: whether a column's commas are decimal points is decided from all its cells
    (cells.number_style), never cell by cell. Also: the columns written in percent, and the columns
    read with a decimal comma or mixing both styles (column → (an example, the reading's strength))."""
    rows = _run(cur,
        f"SELECT DISTINCT raw, src_col FROM {quote_ident(table)} "
        "WHERE raw IS NOT NULL AND NOT coalesce(isfinite(TRY_CAST(raw AS DOUBLE)), false)"
    ).fetchall()
    by_col: dict[int, list[str]] = {}
    for raw, src in rows:
        by_col.setdefault(src, []).append(raw)
    comma: dict[int, tuple[str, str]] = {}
    raws, cols, values, statuses = [], [], [], []
    percent_cols: set[int] = set()
    for src, texts in by_col.items():
        style, strength = number_style(texts)
        decimal = style == "decimal_comma"
        if decimal or strength == "weak":
            example = next((t for t in texts if "," in t), texts[0])
            comma[src] = (example, strength if decimal else "weak")
        for raw in texts:
            parsed = parse_number(raw, decimal_comma=decimal)
            raws.append(raw)
            cols.append(src)
            values.append(parsed.value)
            statuses.append(parsed.status)
            if raw.rstrip().endswith(("%", "％")) and parsed.status == "ok":
                percent_cols.add(src)
    nmap = pa.table({
        "raw": pa.array(raws, pa.string()),
        "src_col": pa.array(cols, pa.int64()),
        "value": pa.array(values, pa.float64()),
        "status": pa.array(statuses, pa.string()),
    })
    return nmap, sorted(percent_cols), comma


def _number_readings(plan: SheetPlan, comma: dict[int, tuple[str, str]]) -> list[Reading]:
    headers = {c.index: c.header for c in plan.columns}
    out = []
    for col, (example, strength) in sorted(comma.items()):
        decision = "number_style" if strength == "strong" else "number_style_mixed"
        out.append(Reading(decision, "values", strength, {"header": headers.get(col, ""), "example": example}))
    return out


def _summarise_facts(cur, out: Normalized) -> None:
    register(cur, "staged", out.facts)
    try:
        totals = _run(cur,
            """SELECT metric, scenario, grain, period, sum(value) AS value
               FROM staged GROUP BY ALL ORDER BY metric, scenario, period"""
        ).fetchall()
        out.totals = [
            {"metric": m, "scenario": s, "period": period_label(g, p), "value": v}
            for m, s, g, p, v in totals
        ]
        out.periods = sorted({t["period"] for t in out.totals})
        out.metrics = list(dict.fromkeys(r[0] for r in _run(cur, "SELECT metric FROM staged GROUP BY metric ORDER BY min(src_col), metric").fetchall()))
        out.scenarios = sorted(r[0] for r in _run(cur, "SELECT DISTINCT scenario FROM staged").fetchall())
    finally:
        unregister(cur, "staged")


def period_label(grain: str, date: dt.date) -> str:
    if grain == "year":
        return f"{date.year:04d}"
    if grain == "quarter":
        return f"{date.year:04d}-Q{(date.month - 1) // 3 + 1}"
    if grain == "month":
        return f"{date.year:04d}-{date.month:02d}"
    return date.isoformat()


# ---------------------------------------------------------------- reconciliation


def _reconcile(cur, plan: SheetPlan, measures: list[ColumnSpec], totals_rows: list[int], where: str, params: dict, out: Normalized,
               left_out: dict[int, str] | None = None, formulas: dict[tuple[int, int], str] | None = None) -> None:
    """Checks of what would be stored against the sheet's own totals: its totals rows (a row whose
    cells are ``SUM`` of a range checks the stored rows of that range; several such rows are
    sections of the sheet, and rows outside them are no part of the check; one such row is the
    sheet's total, and stored rows outside its range are the difference), and its totals columns."""
    if out.facts is None:
        return
    register(cur, "staged", out.facts)
    try:
        sums = dict(_run(cur, "SELECT src_col, sum(value) FROM staged GROUP BY src_col").fetchall())
    finally:
        unregister(cur, "staged")
    if totals_rows:
        cols = ", ".join(_col(c) for c in measures)
        rows = _run(cur, f"SELECT g.__r, {cols} FROM grid g WHERE list_contains($rows, g.__r)", {"rows": totals_rows}).fetchall()
        outside: dict[int, list[int]] = {}
        for j, c in enumerate(measures):
            if _averaged(c.metric or plan.metric_name, c.unit) and not plan.of_role("metric"):
                continue  # 客单价's totals cell is an average or a ratio of totals, never a sum: no sum check
            # the totals row in the column's own style: '5.263,75' under '1052,75' cells is 5263.75
            vals = [parse_number(r[j + 1], decimal_comma=c.index in out.decimal_comma).value for r in rows]
            vals = [v for v in vals if v is not None]
            if not vals:
                continue
            if plan.section_metrics and not c.metric:
                # Tables stacked under their own titles: each section's totals check its own rows, under its own metric
                out.reconciliation += _section_entries(cur, plan, c, j, rows, out)
                continue
            sheet_total = sum(vals)
            imported = float(sums.get(c.index) or 0.0)
            ranges = [totals.sum_range((formulas or {}).get((r[0], c.index))) for r in rows if r[j + 1] is not None]
            if ranges and all(ranges):
                with registered(cur, "staged", out.facts):
                    cond = " OR ".join(f"row_no BETWEEN {a:d} AND {b:d}" for a, b in ranges)
                    in_range = float(_run(cur, f"SELECT coalesce(sum(value), 0) FROM staged WHERE src_col = $c AND ({cond})",
                                          {"c": c.index}).fetchone()[0])
                    if len(ranges) == 1 and not mismatch.close(in_range, imported):
                        beyond = _run(cur, f"SELECT DISTINCT row_no FROM staged WHERE src_col = $c AND NOT ({cond}) "
                                           "ORDER BY 1 LIMIT 6", {"c": c.index}).fetchall()
                        outside[c.index] = [r + 1 for (r,) in beyond]
                if len(ranges) > 1:
                    imported = in_range  # sections: each SUM checks its own rows, the lines between them are their own
            out.reconciliation.append(_entry("row", plan, c, sheet_total, imported))
        bad = [e for e in out.reconciliation if e["kind"] == "row" and e["status"] == "mismatch"]
        if bad:
            out.mismatch = _row_mismatch(cur, measures, bad, left_out or {}, out)
            beyond = sorted({r for rows_ in outside.values() for r in rows_})
            if beyond and out.mismatch["code"] in ("unexplained", "stored_row", "stored_rows_any"):
                # the total's own formula leaves these rows out: a row added under a SUM made before it
                out.mismatch = {"code": "outside_range", "rows": beyond[:5], "count": len(beyond),
                                "fix": {"skip_rows": beyond} if len(beyond) <= 5 else None}
            for e in bad:
                e["explanation"] = out.mismatch
    for t in plan.of_role("total"):
        same = [c.index for c in measures if c.period and (t.scenario is None or c.scenario == t.scenario)]
        if not same:
            continue
        texts = _run(cur, f"SELECT g.__r, {_col(t)} FROM grid g WHERE {where} AND NOT list_contains($excluded, g.__r)", params).fetchall()
        decimal = number_style(v for _, v in texts)[0] == "decimal_comma"
        row_totals = {r: parse_number(v, decimal_comma=decimal).value for r, v in texts}
        with registered(cur, "staged", out.facts):
            imported = dict(_run(cur, "SELECT metric, sum(value) FROM staged WHERE list_contains($cols, src_col) GROUP BY metric",
                                 {"cols": same}).fetchall())
            row_metric = _run(cur, "SELECT DISTINCT row_no, metric FROM staged WHERE list_contains($cols, src_col)",
                              {"cols": same}).fetchall()
        # Per metric: a 全年 column next to 销售额 and 新增客户 rows never adds 万元 to 人. A row whose
        # total cannot be read (a formula saved without its value, #REF!) is no part of the check: read
        # as 0 it made every such sheet "differ from its own totals"; no readable total, no check.
        sheet_totals: dict[str, float] = {}
        checked: dict[str, list[int]] = {}
        for row_no, metric in row_metric:
            if row_totals.get(row_no) is not None:
                sheet_totals[metric] = sheet_totals.get(metric, 0.0) + row_totals[row_no]
                checked.setdefault(metric, []).append(row_no)
        if any(len(rows_) < sum(1 for _, m in row_metric if m == metric) for metric, rows_ in checked.items()):
            with registered(cur, "staged", out.facts):
                imported = {metric: _run(cur, "SELECT sum(value) FROM staged WHERE list_contains($cols, src_col) "
                                              "AND list_contains($rows, row_no)", {"cols": same, "rows": rows_}).fetchone()[0]
                            for metric, rows_ in checked.items()}
        scenarios = {c.scenario for c in measures if c.index in same}
        scenario = t.scenario or (next(iter(scenarios)) if len(scenarios) == 1 else None)
        why = None
        for metric, sheet_total in sheet_totals.items():
            if _averaged(metric, None):
                continue  # a 全年 cell of 转化率 is the year's rate, not the months added
            entry = _entry("column", plan, t, sheet_total, float(imported.get(metric) or 0.0), scenario=scenario or "actual")
            entry["metric"] = metric
            if entry["status"] == "mismatch":
                if why is None:
                    with registered(cur, "staged", out.facts):
                        row_sums = dict(_run(cur, "SELECT row_no, sum(value) FROM staged WHERE list_contains($cols, src_col) GROUP BY 1",
                                             {"cols": same}).fetchall())
                    why = mismatch.column_explanation({r: v for r, v in row_totals.items() if v is not None}, row_sums) or {}
                entry["explanation"] = why or None
                out.mismatch = out.mismatch or why or {"code": "unexplained", "rows": []}
            out.reconciliation.append(entry)


def _section_entries(cur, plan: SheetPlan, c: ColumnSpec, j: int, rows: list[tuple], out: Normalized) -> list[dict[str, Any]]:
    """The totals-row checks of one column on a sheet of stacked tables (detect._name_metric): per
    section, its totals rows against its stored rows, named by the section's metric."""
    starts = [(plan.start - 1, plan.metric_name)] + [(r, name) for r, name, _ in plan.section_metrics]
    entries = []
    for k, (first, metric) in enumerate(starts):
        last = starts[k + 1][0] if k + 1 < len(starts) else plan.end
        vals = [parse_number(r[j + 1], decimal_comma=c.index in out.decimal_comma).value
                for r in rows if first < r[0] < last]
        vals = [v for v in vals if v is not None]
        if not vals:
            continue
        with registered(cur, "staged", out.facts):
            imported = float(_run(cur, "SELECT coalesce(sum(value), 0) FROM staged WHERE src_col = $c AND row_no > $a "
                                       "AND row_no < $b", {"c": c.index, "a": first, "b": last}).fetchone()[0])
        entry = _entry("row", plan, c, sum(vals), imported)
        entry["metric"] = metric
        entries.append(entry)
    return entries


def _averaged(metric: str | None, unit: str | None) -> bool:
    """A rate, price or average (metrics.guess_aggregation): the sheet's total of it is no sum."""
    from ..metrics import guess_aggregation  # metrics imports the ingest package: imported when used

    return bool(metric) and guess_aggregation(metric, unit) == "avg"


def _row_mismatch(cur, measures: list[ColumnSpec], bad: list[dict[str, Any]], left_out: dict[int, str],
                  out: Normalized) -> dict[str, Any]:
    """Why the totals rows disagree with what would be stored (mismatch.py): the rows to be stored that
    hold the difference, the rows left out that hold what is missing, the cells that could not be read."""
    by_header = {c.header: c for c in measures}
    pairs = [(by_header[e["column"]], e) for e in bad if e["column"] in by_header]
    cols = [c for c, _ in pairs]
    differences = {c.index: e["difference"] for c, e in pairs}
    totals_of = {c.index: (e["sheet_total"], e["imported_total"]) for c, e in pairs}
    stored: dict[int, set[int]] = {}
    with registered(cur, "staged", out.facts):
        for col, diff in differences.items():
            rows = _run(cur, "SELECT DISTINCT row_no FROM staged WHERE src_col = $c AND abs(value - $d) <= $tol LIMIT 50",
                        {"c": col, "d": diff, "tol": mismatch.TOLERANCE + 1e-9 * abs(diff)}).fetchall()
            stored[col] = {r + 1 for (r,) in rows}
    values: dict[int, tuple[str, dict[int, float]]] = {}
    if left_out and cols:
        picked = sorted(left_out)[:10_000]
        cells = _run(cur, f"SELECT g.__r, {', '.join(_col(c) for c in cols)} FROM grid g WHERE list_contains($rows, g.__r)",
                     {"rows": picked}).fetchall()
        positions = {j for j, c in enumerate(cols) if c.index in out.decimal_comma}
        for r, nums in totals.row_numbers(cells, decimal=positions).items():
            values[r + 1] = (left_out[r], {cols[j].index: v for j, v in nums.items()})
    found = mismatch.row_explanation(differences, stored, values, out.unread, totals_of)
    return found or {"code": "unexplained", "rows": []}


def _entry(kind: str, plan: SheetPlan, c: ColumnSpec, sheet_total: float, imported: float, scenario: str | None = None) -> dict[str, Any]:
    diff = imported - sheet_total
    ok = abs(diff) <= TOLERANCE + 1e-9 * abs(sheet_total)
    period = None
    if c.period:
        p = period_from_any_label(c.period)
        if p is not None and p.year is None and plan.year:
            p = p.with_year(plan.year)
        period = p.label if p else None
    return {
        "kind": kind,
        "column": c.header,
        "metric": c.metric or plan.metric_name if kind == "row" else plan.metric_name or c.metric,
        "scenario": scenario if kind == "column" else (c.scenario or "actual"),
        "period": period,
        "sheet_total": round(sheet_total, 6),
        "imported_total": round(imported, 6),
        "difference": round(diff, 6),
        "status": "match" if ok else "mismatch",
    }


# ---------------------------------------------------------------- transactions


def _transactions(cur, sheet: RawSheet, plan: SheetPlan, where: str, params: dict, out: Normalized, grid: pa.Table) -> None:
    period_col = plan.of_role("period")[0]
    ids = plan.of_role("id")
    customer = next((c for c in ids if c.id_kind == "customer"), None)
    order = next((c for c in ids if c.id_kind == "order"), None) or next((c for c in ids if c is not customer and c.id_kind is None), None)
    dims = plan.of_role("dimension") + [c for c in ids if c is not customer and c is not order]
    names = dimension_names(plan) + [c.header for c in ids if c is not customer and c is not order]
    measures = plan.of_role("measure")
    cols = [period_col, *dims, *measures] + ([customer] if customer else []) + ([order] if order else [])
    big = _big(sheet)

    def rows_in(source: str) -> str:
        return (f"SELECT g.__r, {', '.join(_clean(_col(c)) + ' AS ' + _col(c) for c in cols)} "
                f"FROM {source} g WHERE {where} AND NOT list_contains($excluded, g.__r)")

    _stage(cur, "rows_in", rows_in("grid"), params, big)
    distinct = [r[0] for r in _run(cur, f"SELECT DISTINCT {_col(period_col)} FROM rows_in").fetchall()]
    periods = [_with_year(_parse_period_cell(text, _sheet_month(plan), plan.day_first), plan.year) for text in distinct]
    dates = [p.start if p is not None else None for p in periods]
    pmap = pa.table({"p": pa.array(distinct, pa.string()), "d": pa.array(dates, pa.date32())})
    register(cur, "pmap", pmap)
    # Measures: a long view of (row, measure, raw) to parse the odd cells once.
    if measures:
        _stage(cur, "long",
            " UNION ALL ".join(f"SELECT __r AS row_no, {c.index} AS src_col, {_col(c)} AS raw FROM rows_in" for c in measures),
            None, big,
        )
        nmap, _, comma = _number_map(cur, "long")
        out.readings += _number_readings(plan, comma)
    else:
        nmap = pa.table({"raw": pa.array([], pa.string()), "src_col": pa.array([], pa.int64()),
                         "value": pa.array([], pa.float64()), "status": pa.array([], pa.string())})
    register(cur, "nmap", nmap)
    key_params = {f"dk{i}": n for i, n in enumerate(names)}
    mnames = [split_unit(c.header.split(" / ")[-1])[0] or c.header for c in measures]
    m_params = {f"mk{i}": n for i, n in enumerate(mnames)}

    def query(rows: str, pmap: str, nmap: str) -> str:
        value_exprs = []
        joins = []
        for i, c in enumerate(measures):
            joins.append(f"LEFT JOIN {nmap} n{i} ON n{i}.raw = ri.{_col(c)} AND n{i}.src_col = {c.index}")
            value_exprs.append(f"CASE WHEN isfinite(TRY_CAST(ri.{_col(c)} AS DOUBLE)) THEN TRY_CAST(ri.{_col(c)} AS DOUBLE) ELSE n{i}.value END")
        dims_map = ("map([" + ", ".join(f"$dk{i}" for i in range(len(names))) + "], [" + ", ".join(f"ri.{_col(c)}" for c in dims) + "])") if dims else "map([]::VARCHAR[], []::VARCHAR[])"
        measures_map = ("map([" + ", ".join(f"$mk{i}" for i in range(len(mnames))) + "], [" + ", ".join(value_exprs) + "])") if measures else "map([]::VARCHAR[], []::DOUBLE[])"
        return f"""SELECT ri.__r AS row_no, pm.d AS txn_date,
                   {('ri.' + _col(customer)) if customer else 'NULL::VARCHAR'} AS customer_id,
                   {('ri.' + _col(order)) if order else 'NULL::VARCHAR'} AS order_id,
                   {dims_map} AS dims, {measures_map} AS measures
            FROM {rows} ri LEFT JOIN {pmap} pm ON pm.p = ri.{_col(period_col)} {' '.join(joins)}"""

    table: pa.Table | Deferred
    if big:
        # Not fetched: the rows (maps and all) are a query over the cells, run by whoever reads them.
        sql = query(f"({_inline(rows_in('dgrid'), params)})", "dpmap", "dnmap")
        table = Deferred(_inline(sql, {**key_params, **m_params}), {"dgrid": grid, "dpmap": pmap, "dnmap": nmap})
    else:
        table = _arrow(cur, query("rows_in", "pmap", "nmap") + " ORDER BY ri.__r", {**key_params, **m_params})
    with staged(cur, "tx", table):
        missing = _run(cur, "SELECT count(*) FROM tx WHERE txn_date IS NULL").fetchone()[0]
    if missing:
        out.warnings.append(Message("rows_without_period", {"count": missing}))
        if isinstance(table, Deferred):
            table = table.over("*", "WHERE txn_date IS NOT NULL")
        else:
            with staged(cur, "tx", table):
                table = _arrow(cur, "SELECT * FROM tx WHERE txn_date IS NOT NULL ORDER BY row_no")
    with staged(cur, "tx", table):
        if isinstance(table, Deferred):
            table.num_rows = _run(cur, "SELECT count(*) FROM tx").fetchone()[0]
        totals = []
        for name in mnames:
            totals += [
                {"metric": name, "scenario": "actual", "period": f"{y:04d}-{m:02d}", "value": v}
                for y, m, v in _run(cur,
                    "SELECT year(txn_date), month(txn_date), sum(measures[$k]) FROM tx GROUP BY ALL ORDER BY 1, 2",
                    {"k": name},
                ).fetchall()
            ]
        months = [f"{y:04d}-{m:02d}" for y, m in _run(cur, "SELECT DISTINCT year(txn_date), month(txn_date) FROM tx ORDER BY 1, 2").fetchall()]
        stats = _run(cur, "SELECT count(*) FILTER (WHERE status = 'unparsed') FROM nmap").fetchone()
    if stats and stats[0]:
        out.warnings.append(Message("unparsed_cells", {"count": stats[0], "examples": []}))
    out.transactions = table
    out.rows = out.source_rows = table.num_rows
    out.periods = months
    out.metrics = mnames
    out.scenarios = ["actual"] if measures else []
    out.dimensions = names
    out.totals = totals
    _drop(cur, "rows_in", "long")
    for view in ("pmap", "nmap"):
        unregister(cur, view)
