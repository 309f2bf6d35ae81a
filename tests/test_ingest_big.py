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
