"""Downloads a spreadsheet opens safely: CSV with a BOM for Chinese, .xlsx with text kept as text.

Every table a user downloads goes through here, so a cell from an upload that starts with
= + - @ (a formula to a spreadsheet) is written as text everywhere.
"""

from __future__ import annotations

import csv
import io
import math

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula gets a leading quote ('=cmd|…)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.columns = [str(neutralise(str(c))) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV that Excel opens with Chinese intact (UTF-8 with a BOM), formulas neutralised."""
    buffer = io.StringIO()
    _safe(frame).to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    """An .xlsx of the table, text cells that look like formulas stored as text."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "".join(ch for ch in sheet if ch not in "[]:*?/\\")[:31] or "data"
    safe = _safe(frame)
    ws.append([str(c) for c in safe.columns])
    for row in safe.itertuples(index=False):
        ws.append([_cell(v) for v in row])
    for cells in ws.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _cell(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return value.item()
    return value
