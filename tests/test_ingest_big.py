"""The big-file path of the importer (issue 19, hole 8): a CSV read in chunks of rows, and a sheet of
``normalize.STREAM_ROWS`` rows or more normalised over views, with its results fetched in batches,
stores exactly what the in-memory path stores. Forced here on small files (thresholds lowered), so
the suite covers the path without a 190 MB file."""

from __future__ import annotations

import csv
import io

import pyarrow as pa
import pytest

from retro import db as retro_db
from retro.db import Database
from retro.ingest import analyze_bytes, store_import
from retro.ingest import normalize as normalize_mod
from retro.ingest import read as read_mod
from retro.ingest.analyze import preview_frame

STORED = {
    "fact_rows": "SELECT metric, scenario, grain, period, dims_key, value, unit FROM fact_rows",
    "segments": "SELECT dims_key, dims::VARCHAR FROM segments",
    "transactions": "SELECT row_no, txn_date, customer_id, order_id, dims::VARCHAR, measures::VARCHAR FROM transactions",
    "annotations": "SELECT metric, period, text FROM annotations",
}


def _csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8")


def _kpi_file() -> bytes:
    """A long KPI table with a title line, a blank under a merged-looking region, odd numbers, a
    note column, a ragged row and a totals row: what the streaming path must read alike."""
    rows = [["2026年区域经营指标"], ["月份", "区域", "指标", "计划", "实际", "备注"]]
    for m in range(1, 7):
        for i, region in enumerate(["华东", "华南", "华北"]):
            rows.append([f"2026-{m:02d}", "" if i == 1 and m == 3 else region, "销售额(万元)",
                         f"{100 + m * 10 + i}", f"{'1,' if m == 2 else ''}{95 + m * 11 + i}.5", "促销" if m == 4 else ""])
            rows.append([f"2026-{m:02d}", region, "毛利率", f"{30 + i}%", f" {28 + m}% "])
    rows.append(["2026-06", "西南", "销售额(万元)", "50", "55", "", "尾注"])
    return _csv(rows)


def _transactions_file() -> bytes:
    rows = [["日期", "订单号", "客户", "区域", "产品", "金额", "数量"]]
    for i in range(400):
        rows.append([f"2026-{1 + i % 6:02d}-{1 + i % 27:02d}", f"SO{i:06d}", f"C{i % 37:04d}",
                     ["华东", "华南", "华北"][i % 3], f"P{i % 11}", f"{(i * 7.31) % 900:.2f}", str(1 + i % 4)])
    rows.append(["", "SO999999", "C0001", "华东", "P1", "10", "1"])  # no date: left out, with a warning
    return _csv(rows)


def _stored(tmp_path, name: str, data: bytes) -> tuple[dict[str, list], list, object]:
    database = Database(tmp_path / f"{name}.duckdb")
    try:
        analysis = analyze_bytes(database, data, "经营.csv")
        (sheet,) = analysis.ready()
        store_import(database, analysis, actor="test")
        stored = {t: database.rows(sql + " ORDER BY ALL") for t, sql in STORED.items()}
        result = sheet.result
        summary = [result.rows, result.source_rows, result.periods, result.metrics, result.dimensions,
                   result.totals, [(w.code, w.params) for w in result.warnings], result.reconciliation,
                   analysis.encoding, preview_frame(sheet).to_dict("records")]
        return stored, summary, sheet
    finally:
        database.close()
        retro_db.close_all()


@pytest.mark.parametrize("make", [_kpi_file, _transactions_file], ids=["kpi", "transactions"])
def test_big_file_path_stores_what_the_in_memory_path_stores(tmp_path, monkeypatch, make):
    data = make()
    small, small_summary, _ = _stored(tmp_path, "memory", data)
    assert any(small.values())

    monkeypatch.setattr(read_mod, "CSV_CHUNK_ROWS", 7)  # chunks of 7 rows: the ragged row lands in a later one
    monkeypatch.setattr(normalize_mod, "STREAM_ROWS", 1)
    monkeypatch.setattr(normalize_mod, "BATCH_ROWS", 5)
    big, big_summary, sheet = _stored(tmp_path, "streamed", data)

    assert sheet.raw.table.column(0).num_chunks > 1  # the file was read in chunks
    result = sheet.result
    if result.facts is not None:  # and the results fetched in batches, their repeated texts compact
        assert pa.types.is_dictionary(result.facts.schema.field("dims_key").type)
        assert pa.types.is_dictionary(result.facts.schema.field("metric").type)
    else:  # a big sheet's transactions are never held: a query over its cells, run by the store and the preview
        assert isinstance(result.transactions, normalize_mod.Deferred)
    assert big == small
    # The preview's totals are sums DuckDB adds in no fixed order: equal to the cent, not to the last bit.
    assert _rounded(big_summary) == _rounded(small_summary)


def _rounded(value):
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_rounded(v) for v in value)
    return value


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "utf-16"])
def test_a_csv_read_from_its_path_is_what_its_bytes_give(tmp_path, monkeypatch, encoding):
    """The CLI reads a CSV from its path, a chunk at a time, never holding its bytes: the same sheet,
    encoding, checksum and size as the upload of those bytes."""
    monkeypatch.setattr(read_mod, "CSV_CHUNK_ROWS", 7)
    data = _kpi_file().decode("utf-8").encode(encoding)
    path = tmp_path / "经营.csv"
    path.write_bytes(data)
    from_bytes = read_mod.read_workbook(data, path.name)
    from_path = read_mod.read_file(path)
    assert (from_path.sha256, from_path.size, from_path.kind, from_path.encoding) == \
        (from_bytes.sha256, from_bytes.size, from_bytes.kind, from_bytes.encoding)
    assert from_path.sheets[0].table.equals(from_bytes.sheets[0].table)


def _value_bytes(table: pa.Table) -> int:
    """The bytes one value of ``table`` takes beside its dictionaries: each column's width (a
    dictionary-encoded column's: its indices')."""
    return sum((f.type.index_type if pa.types.is_dictionary(f.type) else f.type).bit_width // 8 for f in table.schema)


def test_a_big_sheets_values_are_held_in_narrow_columns(tmp_path, monkeypatch):
    """Issue 19, hole 8: the 5.4M values of a 190 MB KPI table, held in Arrow, were most of its peak
    (48 bytes a value). Their row and column numbers, and the indices of their repeated texts, are now
    as narrow as they can be: 26 bytes a value (period 4, value 8, row 4, column 2, grain and scenario 1,
    metric and unit 2, the segment 2) — and the stored rows are the same (the test above)."""
    monkeypatch.setattr(normalize_mod, "STREAM_ROWS", 1)
    monkeypatch.setattr(normalize_mod, "BATCH_ROWS", 5)
    database = Database(tmp_path / "narrow.duckdb")
    try:
        (sheet,) = analyze_bytes(database, _kpi_file(), "经营.csv").ready()
    finally:
        database.close()
        retro_db.close_all()
    facts = sheet.result.facts
    assert facts.column("row_no").num_chunks > 1  # fetched in batches
    assert _value_bytes(facts) == 26
    assert sheet.result.source_rows == 37  # rows counted without a hash of every value


def test_a_batch_with_more_texts_than_narrow_indices_hold_widens_its_column(monkeypatch):
    """A column whose indices are to be one byte, with a batch of more distinct texts than a byte
    holds: every batch of it gets four-byte indices, and the texts are what the query gave."""
    import duckdb

    monkeypatch.setattr(normalize_mod, "BATCH_ROWS", 200)
    con = duckdb.connect()
    try:
        sql = "SELECT i, CASE WHEN i < 200 THEN 'a' || (i % 3) ELSE (i % 150)::VARCHAR END AS t FROM range(600) r(i) ORDER BY i"
        plain = con.sql(sql).fetchall()
        few = normalize_mod._arrow(con, sql.replace("i < 200", "i < 600"), big=True, compact={"t": pa.int8()})
        many = normalize_mod._arrow(con, sql, big=True, compact={"t": pa.int8()})
    finally:
        con.close()
    assert few.schema.field("t").type == pa.dictionary(pa.int8(), pa.string())
    assert many.column("t").num_chunks == 3
    assert many.schema.field("t").type == pa.dictionary(pa.int32(), pa.string())
    assert list(zip(many.column("i").to_pylist(), many.column("t").to_pylist(), strict=True)) == plain


def test_a_big_sheets_metric_named_like_another_sources_is_renamed_as_in_memory(tmp_path, monkeypatch):
    """A stored 销售额 from another file (by month only, in yuan): the KPI table's 销售额 (by region, in
    万元) is a new metric, "销售额 · 经营", on the big path too — its compact metric column renamed
    (it raised ArrowTypeError in kpis.renamed) — and the stored rows are the in-memory path's."""
    finance = _csv([["月份", "销售额"]] + [[f"2026-{m:02d}", str(9_000_000 + m)] for m in range(1, 7)])

    def stored(name: str) -> tuple[list, list]:
        database = Database(tmp_path / f"{name}.duckdb")
        try:
            store_import(database, analyze_bytes(database, finance, "finance.csv"), actor="test")
            analysis = analyze_bytes(database, _kpi_file(), "经营.csv")
            (sheet,) = analysis.ready()
            store_import(database, analysis, actor="test")
            return sheet.result.metrics, database.rows(STORED["fact_rows"] + " ORDER BY ALL")
        finally:
            database.close()
            retro_db.close_all()

    small = stored("memory")
    monkeypatch.setattr(normalize_mod, "STREAM_ROWS", 1)
    monkeypatch.setattr(normalize_mod, "BATCH_ROWS", 5)
    big = stored("streamed")
    assert "销售额 · 经营" in small[0]
    assert big == small
