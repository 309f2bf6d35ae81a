"""retro.ingest.read: every sheet listed, cells as text, CSV encodings, and bad files refused with a code."""

from __future__ import annotations

import csv
import io
import zipfile

import fastexcel
import fixtures_build as fb
import openpyxl
import pytest

from retro.ingest import read
from retro.ingest.errors import ImportFailure
from retro.ingest.read import column_index, column_letters, read_workbook


def _xlsx(build) -> bytes:
    wb = openpyxl.Workbook()
    build(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rows(sheet) -> list[list[str | None]]:
    cols = [c.to_pylist() for c in sheet.table.columns]
    return [list(r) for r in zip(*cols, strict=True)]


def _failure(data: bytes, name: str) -> ImportFailure:
    with pytest.raises(ImportFailure) as info:
        read_workbook(data, name)
    return info.value


# --------------------------------------------------------------------------- xlsx


def test_hidden_and_empty_sheets_are_listed_with_a_reason(files):
    path, _ = fb.build_hidden_and_empty(files)
    wb = read_workbook(path.read_bytes(), path.name)
    assert wb.kind == "xlsx" and wb.file_name == "hidden_empty.xlsx"
    assert [s.name for s in wb.sheets] == ["旧数据", "空白", "销售"]
    by = {s.name: s for s in wb.sheets}
    assert by["旧数据"].skip_reason == "hidden" and not by["旧数据"].visible
    assert by["空白"].skip_reason == "empty" and by["空白"].table is None
    assert by["销售"].skip_reason is None
    assert (by["销售"].height, by["销售"].width) == (5, 4)
    assert _rows(by["销售"])[0] == ["月份", "区域", "销售额", "新增客户"]


def test_very_hidden_sheet_is_skipped_too():
    def build(wb):
        wb.active.title = "可见"
        wb.active.append(["区域", "销售额"])
        wb.active.append(["华东", 1])
        secret = wb.create_sheet("机密")
        secret.append(["区域", "销售额"])
        secret.append(["华东", 2])
        secret.sheet_state = "veryHidden"

    wb = read_workbook(_xlsx(build), "x.xlsx")
    assert [(s.name, s.skip_reason) for s in wb.sheets] == [("可见", None), ("机密", "hidden")]


def test_every_cell_is_text_and_no_type_guess_drops_cells():
    """A column of numbers with text further down must keep the text (readers null it by default)."""

    def build(wb):
        ws = wb.active
        ws.append(["区域", "销售额", "客户ID"])
        for i in range(30):
            ws.append(["华东", 100 + i, f"{i:04d}"])
        ws.append(["华南", "待定", "0099"])
        ws.append(["华北", "1,234", "A-7"])

    sheet = read_workbook(_xlsx(build), "x.xlsx").sheets[0]
    rows = _rows(sheet)
    assert rows[-2] == ["华南", "待定", "0099"]
    assert rows[-1] == ["华北", "1,234", "A-7"]
    assert rows[1][2] == "0000"  # leading zeros kept
    assert all(isinstance(v, str) for r in rows for v in r if v is not None)


def test_error_cells_listed_with_their_a1_refs(files):
    def build(wb):
        ws = wb.active
        ws.append(["月份", "区域", "销售额", "转化率"])
        ws.append(["2026-01", "华东", 100, "#DIV/0!"])
        ws.append(["2026-01", "华南", "#N/A", 0.5])
        ws.append(["2026-01", "华北", "#REF!", "#VALUE!"])

    sheet = read_workbook(_xlsx(build), "err.xlsx").sheets[0]
    assert sorted(sheet.error_cells) == ["C3", "C4", "D2", "D4"]


def test_error_cells_of_the_fixture(files):
    path, _, n_errors = fb.build_error_cells(files)
    sheet = read_workbook(path.read_bytes(), path.name).sheets[0]
    assert len(sheet.error_cells) == n_errors == 3
    assert sorted(sheet.error_cells) == ["C3", "D8", "E9"]


def test_merged_ranges_in_table_coordinates(files):
    path, _ = fb.build_plan_actual_merged(files)
    sheet = read_workbook(path.read_bytes(), path.name).sheets[0]
    # (first row, first col, last row, last col), 0-based
    assert sorted(sheet.merged) == [(0, 0, 1, 0), (0, 1, 1, 1), (0, 2, 0, 3), (0, 4, 0, 5), (0, 6, 0, 7)]
    rows = _rows(sheet)
    assert rows[0][2] == "1月" and rows[0][3] is None and rows[1][2:4] == ["计划", "实际"]


def test_merged_ranges_follow_a_sheet_that_starts_right_of_column_a():
    def build(wb):
        ws = wb.active
        ws["B3"] = "区域"
        ws["C3"] = "1月"
        ws.merge_cells("C3:D3")
        ws["C4"], ws["D4"] = "计划", "实际"
        ws["B5"], ws["C5"], ws["D5"] = "华东", 1, 2

    sheet = read_workbook(_xlsx(build), "x.xlsx").sheets[0]
    rows = _rows(sheet)
    (r0, c0, r1, c1), = sheet.merged
    assert rows[r0][c0] == "1月" and c1 == c0 + 1 and r1 == r0
    assert rows[r0 + 1][c0:c1 + 1] == ["计划", "实际"]


def test_formula_saved_without_a_value_is_reported():
    def build(wb):
        ws = wb.active
        ws.append(["区域", "销售额"])
        ws.append(["华东", 100])
        ws.append(["华南", "=B2*2"])  # openpyxl saves no cached value

    sheet = read_workbook(_xlsx(build), "x.xlsx").sheets[0]
    assert sheet.uncached_formulas == ["B3"]


def _rewrite(data: bytes, edits: dict[str, bytes]) -> bytes:
    """The workbook's zip with some parts replaced or added (what Excel writes and openpyxl does not)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename not in edits:
                out.writestr(info, src.read(info.filename))
        for name, content in edits.items():
            out.writestr(name, content)
    return buf.getvalue()


def _grid(ws) -> None:
    ws["C3"], ws["D3"], ws["E3"] = "区域", "1月", "2月"
    ws["C4"], ws["D4"], ws["E4"] = "华东", 1, 2
    ws["C5"], ws["D5"], ws["E5"] = "华南", 3, 4
    ws["C6"], ws["D6"], ws["E6"] = "合计", "=SUM(D4:D5)", "=SUM(E4:E5)"


def test_formulas_are_read_in_table_coordinates():
    sheet = read_workbook(_xlsx(lambda wb: _grid(wb.active)), "f.xlsx").sheets[0]
    assert sheet.origin_col == 2
    assert sheet.formulas == {(5, 1): "SUM(D4:D5)", (5, 2): "SUM(E4:E5)"}


def test_a_shared_formulas_dependants_carry_the_masters_text():
    data = _xlsx(lambda wb: _grid(wb.active))
    part = "xl/worksheets/sheet1.xml"
    xml = zipfile.ZipFile(io.BytesIO(data)).read(part)
    xml = xml.replace(b"<f>SUM(D4:D5)</f>", b'<f t="shared" ref="D6:E6" si="0">SUM(D4:D5)</f>')
    xml = xml.replace(b"<f>SUM(E4:E5)</f>", b'<f t="shared" si="0"/>')
    sheet = read_workbook(_rewrite(data, {part: xml}), "f.xlsx").sheets[0]
    assert sheet.formulas == {(5, 1): "SUM(D4:D5)", (5, 2): "SUM(D4:D5)"}


def test_excel_tables_and_their_totals_rows_are_read():
    from openpyxl.worksheet.table import Table

    def build(wb):
        _grid(wb.active)
        table = Table(displayName="销售表", ref="C3:E6")
        table.totalsRowCount = 1
        wb.active.add_table(table)

    sheet = read_workbook(_xlsx(build), "t.xlsx").sheets[0]
    assert [(t.name, t.r0, t.c0, t.r1, t.c1, t.totals_row_count) for t in sheet.tables] == [("销售表", 2, 0, 5, 2, 1)]


def test_a_pivot_table_part_and_a_chart_are_features_of_their_sheet():
    from openpyxl.chart import BarChart, Reference

    def build(wb):
        _grid(wb.active)
        chart = BarChart()
        chart.add_data(Reference(wb.active, min_col=4, min_row=3, max_row=5))
        wb.active.add_chart(chart, "H2")
        wb.create_sheet("透视")["A1"] = "x"

    data = _xlsx(build)
    rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/pivotTable" Target="../pivotTables/pivotTable1.xml"/></Relationships>')
    sheets = {s.name: s for s in read_workbook(_rewrite(data, {"xl/worksheets/_rels/sheet2.xml.rels": rels}), "p.xlsx").sheets}
    assert sheets["Sheet"].features == frozenset({"chart"})
    assert sheets["透视"].features == frozenset({"pivot_table"})


def test_an_external_entity_in_a_sheets_relationships_is_refused():
    data = _xlsx(lambda wb: _grid(wb.active))
    rels = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="t" Target="&x;"/></Relationships>')
    failure = _failure(_rewrite(data, {"xl/worksheets/_rels/sheet1.xml.rels": rels}), "x.xlsx")
    assert failure.code == "corrupt_file" and "root:" not in repr(failure.params)


def test_same_bytes_same_sha(files):
    path, _ = fb.build_seed(files)
    data = path.read_bytes()
    a, b = read_workbook(data, "a.xlsx"), read_workbook(data, "b.xlsx")
    assert a.sha256 == b.sha256 and len(a.sha256) == 64
    assert a.size == len(data)


# --------------------------------------------------------------------------- csv

CSV_TEXT = "月份,区域,销售额\r\n2026-01,华东,\"1,234.5\"\r\n2026-01,华南,980\r\n"


@pytest.mark.parametrize(
    ("encoding", "reported"),
    [("utf-8-sig", "utf-8-sig"), ("gbk", "gbk"), ("utf-16", "utf-16")],
)
def test_csv_encodings(encoding, reported):
    wb = read_workbook(CSV_TEXT.encode(encoding), "区域销售.csv")
    assert wb.kind == "csv" and wb.encoding == reported
    (sheet,) = wb.sheets
    assert sheet.name == "区域销售"
    assert _rows(sheet) == [["月份", "区域", "销售额"], ["2026-01", "华东", "1,234.5"], ["2026-01", "华南", "980"]]


def test_csv_plain_utf8_reported_as_utf8():
    """The import page shows the encoding: a file without a BOM is UTF-8, not 'UTF-8 with BOM'."""
    wb = read_workbook(CSV_TEXT.encode("utf-8"), "区域销售.csv")
    assert _rows(wb.sheets[0])[0] == ["月份", "区域", "销售额"]
    assert wb.encoding == "utf-8"


def test_csv_gb18030_outside_gbk(files):
    path, _ = fb.build_csv_gb18030_rare(files)
    wb = read_workbook(path.read_bytes(), path.name)
    assert wb.encoding == "gb18030"
    assert ["2026-08", "华东", "李𠮷", "1520.5"] in _rows(wb.sheets[0])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_fixture_encodings_read_the_same(files, encoding):
    path, truth = fb.build_csv(files, encoding)
    rows = _rows(read_workbook(path.read_bytes(), path.name).sheets[0])
    assert rows[0] == fb.CSV_HEADER
    assert len(rows) == 1 + len(truth.values) // 2


def test_semicolon_delimited_csv():
    text = "月份;区域;销售额;新增客户\n2026-01;华东;1234.5;12\n2026-02;华南;99;7\n"
    rows = _rows(read_workbook(text.encode(), "semi.csv").sheets[0])
    assert rows == [["月份", "区域", "销售额", "新增客户"], ["2026-01", "华东", "1234.5", "12"], ["2026-02", "华南", "99", "7"]]


def test_tab_delimited_csv():
    rows = _rows(read_workbook("区域\t销售额\n华东\t1\n华南\t2\n".encode(), "tab.csv").sheets[0])
    assert rows == [["区域", "销售额"], ["华东", "1"], ["华南", "2"]]


def test_csv_with_a_title_line_and_ragged_rows():
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(["2026年区域销售报表"])
    w.writerow(["月份", "区域", "销售额", "新增客户"])
    w.writerow(["2026-01", "华东", "100", "5"])
    w.writerow(["2026-01", "华南", "200"])  # short row
    w.writerow(["2026-02", "华北", "300", "7", "额外"])  # long row
    sheet = read_workbook(buf.getvalue().encode("utf-8"), "ragged.csv").sheets[0]
    rows = _rows(sheet)
    assert sheet.width == 5
    assert rows[0] == ["2026年区域销售报表", None, None, None, None]
    assert rows[1] == ["月份", "区域", "销售额", "新增客户", None]
    assert rows[3] == ["2026-01", "华南", "200", None, None]
    assert rows[4] == ["2026-02", "华北", "300", "7", "额外"]


def test_csv_keeps_leading_zeros_and_strips_blanks():
    rows = _rows(read_workbook("客户ID,金额\n0012 , 5\n,\n0045,6\n".encode(), "c.csv").sheets[0])
    assert rows == [["客户ID", "金额"], ["0012", "5"], [None, None], ["0045", "6"]]


# --------------------------------------------------------------------------- bad files


def test_empty_file():
    assert _failure(b"", "x.xlsx").code == "empty_file"
    assert _failure(b"", "x.csv").code == "empty_file"
    assert _failure(b"  \r\n \n", "blank.csv").code == "empty_file"


def test_png_renamed_to_xlsx(files):
    path, code = fb.bad_png_renamed(files)
    assert _failure(path.read_bytes(), path.name).code == code == "not_a_spreadsheet"
    assert _failure(path.read_bytes(), "shot.csv").code == "not_a_spreadsheet"  # binary, whatever the name


def test_text_renamed_to_xlsx(files):
    path, code = fb.bad_txt_renamed(files)
    failure = _failure(path.read_bytes(), path.name)
    assert failure.code == code == "not_a_spreadsheet"
    assert failure.params.get("ext") == ".xlsx"


def test_zip_that_is_not_a_workbook():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    assert _failure(buf.getvalue(), "archive.xlsx").code == "not_a_spreadsheet"


@pytest.mark.parametrize("builder", [fb.bad_truncated, fb.bad_corrupt_zip])
def test_corrupt_xlsx(files, builder):
    path, code = builder(files)
    assert _failure(path.read_bytes(), path.name).code == code == "corrupt_file"


def test_zip_bomb_refused_before_any_parsing(files, monkeypatch):
    """A small bomb (20 MB inflated) against lowered limits; the real 200 MB one is in test_ingest_bad_input."""
    monkeypatch.setattr(read, "BOMB_MIN_BYTES", 10 * 1024 * 1024)
    called = []
    monkeypatch.setattr(fastexcel, "read_excel", lambda *a, **k: called.append(1))
    good = fb._small_good_xlsx_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info, src.read(info.filename))
        dst.writestr("xl/worksheets/sheet1.xml", b"<worksheet>" + b" " * (20 * 1024 * 1024) + b"</worksheet>")
    failure = _failure(buf.getvalue(), "bomb.xlsx")
    assert failure.code == "zip_bomb"
    assert failure.params["part"] == "xl/worksheets/sheet1.xml"
    assert not called


def test_zip_bomb_by_total_size(monkeypatch):
    monkeypatch.setattr(read, "MAX_TOTAL_BYTES", 1000)
    assert _failure(fb._small_good_xlsx_bytes(), "x.xlsx").code == "zip_bomb"


def test_ordinary_workbook_is_not_a_bomb():
    wb = read_workbook(fb._small_good_xlsx_bytes(200), "fine.xlsx")
    assert wb.sheets[0].height == 201


def test_too_many_cells(files):
    path, code = fb.bad_too_many_cells(files)
    failure = _failure(path.read_bytes(), path.name)
    assert failure.code == code == "too_many_cells"
    assert failure.params["sheet"] == "销售"
    assert failure.params["cells"] == 16384 * 1048576


def test_file_too_large(monkeypatch):
    data = fb._small_good_xlsx_bytes()
    monkeypatch.setattr(read, "MAX_FILE_BYTES", len(data) - 1)
    assert _failure(data, "big.xlsx").code == "file_too_large"
    assert _failure(b"a,b\n1,2\n" * 10_000, "big.csv").code == "file_too_large"
    monkeypatch.setattr(read, "MAX_FILE_BYTES", len(data))
    assert read_workbook(data, "ok.xlsx").sheets  # exactly at the limit is fine


def test_password_protected(files):
    path, code = fb.bad_password_protected(files)
    assert _failure(path.read_bytes(), path.name).code == code == "password_protected"
    assert _failure(path.read_bytes(), "renamed.xls").code == "password_protected"


class PanicException(BaseException):  # what pyo3 raises when the Rust reader panics
    pass


def test_reader_panic_on_open_becomes_corrupt_file(monkeypatch):
    def panic(*args, **kwargs):
        raise PanicException("called `Option::unwrap()` on a `None` value")

    monkeypatch.setattr(fastexcel, "read_excel", panic)
    failure = _failure(fb._small_good_xlsx_bytes(), "x.xlsx")
    assert failure.code == "corrupt_file"


def test_reader_panic_on_a_sheet_becomes_corrupt_file(monkeypatch):
    real = fastexcel.read_excel

    class Reader:
        def __init__(self, data):
            self._real = real(data)
            self.sheet_names = self._real.sheet_names

        def load_sheet(self, *args, **kwargs):
            raise PanicException("index out of range: the len is 3 but the index is 7")

    monkeypatch.setattr(fastexcel, "read_excel", Reader)
    assert _failure(fb._small_good_xlsx_bytes(), "x.xlsx").code == "corrupt_file"


def test_keyboard_interrupt_is_not_swallowed(monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(fastexcel, "read_excel", interrupt)
    with pytest.raises(KeyboardInterrupt):
        read_workbook(fb._small_good_xlsx_bytes(), "x.xlsx")


def test_reader_error_mentioning_a_password(monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("Workbook is encrypted")

    monkeypatch.setattr(fastexcel, "read_excel", fail)
    assert _failure(fb._small_good_xlsx_bytes(), "x.xlsx").code == "password_protected"


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(("letters", "index"), [("A", 0), ("Z", 25), ("AA", 26), ("AB", 27), ("AZ", 51), ("XFD", 16383)])
def test_column_letters_round_trip(letters, index):
    assert column_index(letters) == index
    assert column_letters(index) == letters


def test_legacy_xls_is_read(tmp_path):
    """A real .xls (BIFF8, written by xlwt): sheets, text cells and numbers come through."""
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("2026销售")
    for j, h in enumerate(["区域", "1月", "2月"]):
        ws.write(0, j, h)
    ws.write(1, 0, "华东")
    ws.write(1, 1, 12.5)
    ws.write(1, 2, 13)
    ws.write(2, 0, "0012")
    hidden = wb.add_sheet("备用")
    hidden.write(0, 0, "x")
    hidden.visibility = 1
    path = tmp_path / "old.xls"
    wb.save(str(path))
    book = read_workbook(path.read_bytes(), path.name)
    assert book.kind == "xls"
    sheet = book.sheets[0]
    assert sheet.name == "2026销售"
    assert sheet.table.column("c0").to_pylist()[:3] == ["区域", "华东", "0012"]
    assert [float(v) for v in sheet.table.column("c1").to_pylist()[1:2]] == [12.5]
    assert book.sheets[1].skip_reason == "hidden"
