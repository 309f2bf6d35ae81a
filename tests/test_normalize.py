"""Normalisation details that the shape tests do not reach: sheet offsets, merged cells, single rows."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from retro.db import Database, close_all
from retro.ingest import analyze_bytes


@pytest.fixture
def db(tmp_path: Path):
    database = Database(tmp_path / "n.duckdb")
    yield database
    database.close()
    close_all()


def _analyze(db: Database, wb: openpyxl.Workbook, path: Path):
    wb.save(path)
    return analyze_bytes(db, path.read_bytes(), path.name).sheets[0]


def _values(sheet) -> dict[tuple[str, str], float | None]:
    segments = {s["dims_key"]: dict(s["dims"]) for s in sheet.result.segments.to_pylist()}
    return {
        (segments[f["dims_key"]].get("区域", ""), f["period"].strftime("%Y-%m")): f["value"]
        for f in sheet.result.facts.to_pylist()
    }


def test_error_cell_in_a_table_that_starts_in_column_b_lands_on_its_own_cell(db, tmp_path):
    """Readers drop the empty column A; the error cell D3 must still be the 2月 value of 华东."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2026销售"
    ws["B2"], ws["C2"], ws["D2"] = "区域", "1月", "2月"
    ws["B3"], ws["C3"], ws["D3"] = "华东", 1, "#DIV/0!"
    ws["B4"], ws["C4"], ws["D4"] = "华南", 3, 4
    sheet = _analyze(db, wb, tmp_path / "offset.xlsx")
    values = _values(sheet)
    assert values[("华东", "2026-02")] is None  # stored as empty, never 0
    assert values[("华东", "2026-01")] == 1
    assert values[("华南", "2026-02")] == 4
    assert [w.code for w in sheet.result.warnings] == ["error_cells"]
    assert sheet.result.warnings[0].params["cells"] == ["D3"]


def test_region_merged_down_over_its_product_lines_is_carried_to_each_row(db, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2026"
    ws.append(["区域", "产品线", "1月"])
    ws.append(["华东", "企业版", 10])
    ws.append([None, "专业版", 20])
    ws.append(["华南", "企业版", 30])
    ws.append([None, "专业版", 40])
    ws.merge_cells("A2:A3")
    ws.merge_cells("A4:A5")
    sheet = _analyze(db, wb, tmp_path / "merged.xlsx")
    segments = sorted(tuple(sorted(dict(s["dims"]).items())) for s in sheet.result.segments.to_pylist())
    assert segments == [
        (("产品线", "专业版"), ("区域", "华东")),
        (("产品线", "专业版"), ("区域", "华南")),
        (("产品线", "企业版"), ("区域", "华东")),
        (("产品线", "企业版"), ("区域", "华南")),
    ]


def test_a_single_data_row_is_never_mistaken_for_a_totals_row(db, tmp_path):
    """With one row above it, an unlabelled last row 'equal to the sum' is just data."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2026"
    ws.append(["区域", "1月", "2月"])
    ws.append(["华东", 5, 6])
    ws.append([None, 5, 6])
    sheet = _analyze(db, wb, tmp_path / "one.xlsx")
    assert sheet.result.rows == 4
    assert "totals_row_excluded" not in [w.code for w in sheet.result.warnings]


def test_percent_text_sets_the_unit_when_the_header_has_none(db, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2026"
    ws.append(["月份", "区域", "留存率"])
    ws.append(["2026-01", "华东", "85%"])
    ws.append(["2026-02", "华东", "87.5%"])
    sheet = _analyze(db, wb, tmp_path / "pct.xlsx")
    facts = sheet.result.facts.to_pylist()
    assert sorted(f["value"] for f in facts) == [0.85, 0.875]
    assert {f["unit"] for f in facts} == {"%"}
