"""The preview layer: what the import page shows before anything is stored, and layouts remembered."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from retro.db import Database, close_all
from retro.ingest import Overrides, analyze_bytes, store_import
from retro.ingest.analyze import column_frame, preview_frame


@pytest.fixture
def db(tmp_path: Path):
    database = Database(tmp_path / "a.duckdb")
    yield database
    database.close()
    close_all()


def _monthly_book(path: Path, months: int, *, owner_values: tuple[str, ...] = ("张三", "李四")) -> Path:
    """区域 | 负责人 | 1月 … n月 on a sheet named 2026销售额; 负责人 is what a user may choose to ignore."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2026销售额"
    ws.append(["区域", "负责人", *[f"{m}月" for m in range(1, months + 1)]])
    for i, (region, owner) in enumerate(zip(("华东", "华南"), owner_values, strict=True)):
        ws.append([region, owner, *[100.0 * (i + 1) + m for m in range(1, months + 1)]])
    wb.save(path)
    return path


def test_preview_shows_first_rows_in_sheet_order_with_segments_as_columns(db, tmp_path):
    path = _monthly_book(tmp_path / "m.xlsx", 3)
    analysis = analyze_bytes(db, path.read_bytes(), path.name)
    frame = preview_frame(analysis.sheets[0], n=4)
    assert list(frame["row"]) == [2, 2, 2, 3]  # the sheet's rows, top first, one value per month
    assert list(frame["period"][:3]) == ["2026-01", "2026-02", "2026-03"]
    assert frame.loc[0, "区域"] == "华东" and frame.loc[0, "负责人"] == "张三"
    assert frame.loc[0, "value"] == pytest.approx(101.0)


def test_column_frame_lists_every_column_with_its_role_and_samples(db, tmp_path):
    path = _monthly_book(tmp_path / "m.xlsx", 2)
    sheet = analyze_bytes(db, path.read_bytes(), path.name).sheets[0]
    cols = column_frame(sheet)
    assert list(cols["column"]) == ["A", "B", "C", "D"]
    assert list(cols["role"]) == ["dimension", "dimension", "measure", "measure"]
    assert cols.loc[0, "samples"] == "华东 | 华南"
    assert "2026-01" in cols.loc[2, "detail"]


def test_progress_callback_sees_every_sheet(db, tmp_path):
    path = _monthly_book(tmp_path / "m.xlsx", 2)
    seen = []
    from retro.ingest import analyze_workbook
    from retro.ingest.read import read_workbook

    analyze_workbook(db, read_workbook(path.read_bytes(), path.name), on_sheet=lambda i, n, name: seen.append((i, n, name)))
    assert seen == [(0, 1, "2026销售额")]


def test_confirmed_roles_are_remembered_for_next_months_file(db, tmp_path):
    """October's file had 负责人 set to 'ignore' by the user; November's file, one month longer,
    comes in with the same choice already applied."""
    october = _monthly_book(tmp_path / "oct.xlsx", 10)
    analysis = analyze_bytes(db, october.read_bytes(), october.name)
    assert "负责人" in analysis.sheets[0].result.dimensions
    user = {"2026销售额": Overrides(roles={1: "ignore"})}
    analysis = analyze_bytes(db, october.read_bytes(), october.name, overrides=user)
    assert analysis.sheets[0].result.dimensions == ["区域"]
    store_import(db, analysis, remember=user)

    november = _monthly_book(tmp_path / "nov.xlsx", 11, owner_values=("王五", "赵六"))
    again = analyze_bytes(db, november.read_bytes(), november.name)
    sheet = again.sheets[0]
    assert sheet.remembered is True
    assert sheet.result.dimensions == ["区域"]
    assert sheet.result.periods[-1] == "2026-11"


def test_year_given_by_the_user_is_not_remembered(db, tmp_path):
    """A year typed for this year's file must not be forced onto next year's."""
    path = _monthly_book(tmp_path / "m.xlsx", 2)
    user = {"2026销售额": Overrides(roles={1: "ignore"}, year=2025)}
    analysis = analyze_bytes(db, path.read_bytes(), path.name, overrides=user)
    assert analysis.sheets[0].result.periods == ["2025-01", "2025-02"]
    store_import(db, analysis, remember=user)
    stored = db.scalar("SELECT mapping FROM layouts")
    assert Overrides.from_json(stored).year is None
