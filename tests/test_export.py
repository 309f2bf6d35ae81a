"""retro.export: downloads open in Excel with Chinese intact and never run a cell as a formula."""

from __future__ import annotations

import csv
import io

import pandas as pd
from openpyxl import load_workbook

from retro import export

HOSTILE = pd.DataFrame({
    "区域": ["华东", "=HYPERLINK(\"http://x\",\"点我\")", "+1+2", "-3", "@SUM(A1)", "西南"],
    "数值": [154.1, 1.0, 2.0, 3.0, 4.0, -5.5],
})


def test_csv_opens_in_excel_with_chinese_and_no_formulas():
    data = export.csv_bytes(HOSTILE)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads Chinese right
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["区域", "数值"]
    cells = [r[0] for r in rows[1:]]
    assert cells[0] == "华东" and cells[-1] == "西南"
    for cell in cells[1:5]:
        assert cell.startswith("'"), cell
    assert rows[-1][1] == "-5.5"  # numbers stay numbers


def test_xlsx_has_no_formula_cells():
    wb = load_workbook(io.BytesIO(export.xlsx_bytes(HOSTILE, "销售额/区域")))
    ws = wb.active
    assert ws.title == "销售额区域"
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0] == ["区域", "数值"]
    for row in ws.iter_rows(min_row=2):
        assert row[0].data_type == "s"
        assert not str(row[0].value).startswith(("=", "+", "-", "@")), row[0].value
    assert values[1] == ["华东", 154.1] and values[-1] == ["西南", -5.5]


def test_neutralise_leaves_plain_text_and_numbers_alone():
    assert export.neutralise("华东") == "华东"
    assert export.neutralise(-3) == -3
    assert export.neutralise("=1+1") == "'=1+1"
