"""The bad-input corpus (issue 7): every case a file a real user could upload, built here.

Each case is a :class:`Case`: a builder that writes one file into a directory, and either
``refuse`` (the error code the importer must answer with, nothing stored) or ``truth`` (what a
messy-but-valid file must store, as a ``fixtures_build.Truth`` computed from the values written
into the cells, never from the importer's output). ``check`` adds what a Truth cannot say (a
value's exact text, a stored file name, a warning).

Where ``fixtures_build`` already builds a case it is reused; the rest are built here with
openpyxl, xlsxwriter (control characters, formulas with cached errors), xlwt (.xls), the csv
module, or raw bytes (zip surgery for the bombs, an OLE stream patch for the encrypted .xls).
Nothing here imports the application.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import fixtures_build as fb
import openpyxl
from fixtures_build import REGIONS, Truth, key

# What a SQL injection attempt looks like in a header or a file name.
SQL_DROP = "'; DROP TABLE facts; --"
SQL_DIM = 'Robert"); DELETE FROM segments; --'
# Markup that would run or restyle if a page rendered it instead of showing it.
SCRIPT = "<script>document.title='pwned'</script>"
IMG = "<img src=x onerror=\"document.body.dataset.pwned='1'\">"
LINK = "[点我](javascript:alert(1))"
BOLD = "**华南**"
LONG_TEXT_LIMIT = 32_767  # Excel's limit on the characters of one cell


@dataclass
class Built:
    path: Path
    truth: Truth | None = None
    placeholders: list = field(default_factory=list)  # keys that may be absent or stored NULL
    expect: dict = field(default_factory=dict)  # case-specific facts for ``check``


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], Built]
    refuse: str | None = None  # the error code; None: messy but valid, ``truth`` must be stored
    what: str = ""  # one line for the report's table
    level: str = "file"  # "file": the file is refused; "sheet": it opens, no sheet can be imported
    checks: tuple[str, ...] = ()  # names of extra checks in the test module


CASES: list[Case] = []


def case(name: str, what: str, *, refuse: str | None = None, level: str = "file", checks: tuple[str, ...] = ()):
    def register(build: Callable[[Path], Built]) -> Callable[[Path], Built]:
        CASES.append(Case(name, build, refuse, what, level, checks))
        return build

    return register


def _from_fb(builder: Callable, d: Path) -> Built:
    """A fixtures_build builder returning (path, truth) or (path, truth, placeholders)."""
    out = builder(d)
    if len(out) == 3 and isinstance(out[2], list):
        return Built(out[0], out[1], out[2])
    return Built(out[0], out[1])


def _refused_fb(builder: Callable, d: Path) -> Built:
    path, _code = builder(d)
    return Built(path)


def _save(wb: openpyxl.Workbook, d: Path, name: str) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    path = d / name
    wb.save(path)
    return path


def _write(d: Path, name: str, data: bytes) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    path = d / name
    path.write_bytes(data)
    return path


def _book(title: str):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    return wb, ws


def _simple_truth(sheet: str | None, rows: list[tuple[str, str, dict[str, float | None]]], dims=("区域",)) -> Truth:
    """rows: (period, region, {metric: value}) of a wide-by-measure sheet."""
    t = Truth(sheet, "wide_measure", "month", list(dims))
    for period, region, values in rows:
        for metric, value in values.items():
            if value is not None:
                t.put(period, {dims[0]: region}, metric, "actual", value)
    return t


def _replace_part(source: bytes, part: str, new: bytes) -> bytes:
    """The same xlsx with one zip part's bytes replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, new if info.filename == part else src.read(info.filename))
    return out.getvalue()


def _good_xlsx() -> bytes:
    """A small good workbook whose strings live in sharedStrings.xml (as Excel writes them)."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("销售")
    ws.write_row(0, 0, ["月份", "区域", "销售额"])
    ws.write_row(1, 0, ["2026-01", "华东", 100.5])
    ws.write_row(2, 0, ["2026-01", "华南", 200.25])
    wb.close()
    return buf.getvalue()


# =========================================================================== refused: not a spreadsheet


@case("txt_renamed_xlsx", "meeting notes (text) renamed to .xlsx", refuse="not_a_spreadsheet")
def _txt(d: Path) -> Built:
    return _refused_fb(fb.bad_txt_renamed, d)


@case("png_renamed_xlsx", "a PNG screenshot renamed to .xlsx", refuse="not_a_spreadsheet")
def _png(d: Path) -> Built:
    return _refused_fb(fb.bad_png_renamed, d)


@case("pdf_renamed_xls", "a PDF renamed to .xls", refuse="not_a_spreadsheet")
def _pdf(d: Path) -> Built:
    return Built(_write(d, "月报.xls", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"))


@case("docx_renamed_xlsx", "a zip that is not a workbook (a .docx renamed)", refuse="not_a_spreadsheet")
def _docx(d: Path) -> Built:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return Built(_write(d, "纪要.xlsx", buf.getvalue()))


@case("nul_bytes_csv", "a binary file (NUL bytes) named .csv", refuse="not_a_spreadsheet")
def _nul_csv(d: Path) -> Built:
    return Built(_write(d, "export.csv", b"\x00\x01\x02binary\x00" * 64))


@case("utf16_no_bom_csv", "UTF-16 text without a byte-order mark (NUL bytes, no marker)", refuse="not_a_spreadsheet")
def _utf16_nobom(d: Path) -> Built:
    return Built(_write(d, "utf16.csv", "月份,区域,销售额\r\n2026-01,华东,100\r\n".encode("utf-16-le")))


@case("sql_file_name_refused", f"file named {SQL_DROP}.xlsx holding text", refuse="not_a_spreadsheet",
      checks=("facts_table_exists",))
def _sql_name_bad(d: Path) -> Built:
    return Built(_write(d, f"{SQL_DROP}.xlsx", b"not a workbook\n"))


@case("html_file_name_refused", "file named <script>….xlsx holding a PNG", refuse="not_a_spreadsheet")
def _html_name_bad(d: Path) -> Built:
    # "/" cannot be in a file name on disk; the upload's name is what matters
    return Built(_write(d, "<script>alert(1)<_script>.xlsx", fb._png_bytes()))


# =========================================================================== refused: damaged


@case("truncated_xlsx", "an xlsx cut off halfway (interrupted download)", refuse="corrupt_file")
def _truncated(d: Path) -> Built:
    return _refused_fb(fb.bad_truncated, d)


@case("corrupt_zip", "an xlsx with flipped bytes inside sheet1.xml (CRC and deflate fail)", refuse="corrupt_file")
def _corrupt(d: Path) -> Built:
    return _refused_fb(fb.bad_corrupt_zip, d)


@case("truncated_xls", "a legacy .xls cut off after its first 1,024 bytes", refuse="corrupt_file")
def _truncated_xls(d: Path) -> Built:
    data = _xls_bytes()
    return Built(_write(d, "旧版.xls", data[:1024]))


# =========================================================================== refused: hostile


@case("zip_bomb", "sheet1.xml declares 200 MB uncompressed (~0.5 MB on disk)", refuse="zip_bomb")
def _bomb(d: Path) -> Built:
    return _refused_fb(fb.bad_zip_bomb, d)


@case("million_by_16384", "a sheet whose <dimension> claims 1,000,000 × 16,384 cells", refuse="too_many_cells")
def _huge_dim(d: Path) -> Built:
    data = fb._small_good_xlsx_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    start = sheet.index(b"<dimension ")
    end = sheet.index(b"/>", start) + 2
    sheet = sheet[:start] + b'<dimension ref="A1:XFD1000000"/>' + sheet[end:]
    return Built(_write(d, "million_rows.xlsx", _replace_part(data, "xl/worksheets/sheet1.xml", sheet)))


_LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]>"
)


def _with_doctype(xml: bytes, doctype: bytes, replace: tuple[bytes, bytes] | None = None) -> bytes:
    decl_end = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    if replace:
        assert replace[0] in xml, replace[0]
        xml = xml.replace(replace[0], replace[1], 1)
    return xml[:decl_end] + doctype + xml[decl_end:]


@case("entity_bomb_workbook", "billion-laughs entities in xl/workbook.xml (the part we parse ourselves)",
      refuse="corrupt_file")
def _bomb_workbook(d: Path) -> Built:
    data = _good_xlsx()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("xl/workbook.xml")
    xml = _with_doctype(xml, _LAUGHS, (b'name="\xe9\x94\x80\xe5\x94\xae"', b'name="&lol9;"'))
    return Built(_write(d, "laughs_workbook.xlsx", _replace_part(data, "xl/workbook.xml", xml)))


@case("entity_bomb_shared_strings", "billion-laughs entities in sharedStrings.xml (the reader's part)",
      refuse="corrupt_file")
def _bomb_strings(d: Path) -> Built:
    data = _good_xlsx()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("xl/sharedStrings.xml")
    xml = _with_doctype(xml, _LAUGHS, ("华东".encode(), b"&lol9;"))
    return Built(_write(d, "laughs_strings.xlsx", _replace_part(data, "xl/sharedStrings.xml", xml)))


@case("external_entity_xxe", "an external entity (file:///etc/passwd) in sharedStrings.xml: never read",
      refuse="corrupt_file")
def _xxe(d: Path) -> Built:
    data = _good_xlsx()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("xl/sharedStrings.xml")
    xml = _with_doctype(xml, b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', ("华东".encode(), b"&xxe;"))
    return Built(_write(d, "xxe.xlsx", _replace_part(data, "xl/sharedStrings.xml", xml)))


@case("password_xlsx", "an xlsx encrypted with a password (msoffcrypto-tool)", refuse="password_protected")
def _pw_xlsx(d: Path) -> Built:
    return _refused_fb(fb.bad_password_protected, d)


def _xls_bytes() -> bytes:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("销售")
    rows = [["月份", "区域", "销售额"], ["2026-01", "华东", 100.5], ["2026-01", "华南", 200.25]]
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


XLS_ROWS = {("2026-01", "华东"): 100.5, ("2026-01", "华南"): 200.25}


@case("password_xls", "a legacy .xls with Excel's RC4 password record (FILEPASS)", refuse="password_protected")
def _pw_xls(d: Path) -> Built:
    """The Workbook stream gets a FILEPASS record (RC4) right after BOF, as Excel writes an encrypted
    .xls; the records it displaces are written again after it, so the stream keeps its length."""
    import olefile

    d.mkdir(parents=True, exist_ok=True)
    path = d / "加密.xls"
    path.write_bytes(_xls_bytes())
    with olefile.OleFileIO(str(path)) as ole:
        stream = bytearray(ole.openstream("Workbook").read())
    records, pos = [], 0
    while len(records) < 5:
        typ, length = struct.unpack("<HH", stream[pos:pos + 4])
        records.append((typ, bytes(stream[pos + 4:pos + 4 + length])))
        pos += 4 + length
    assert records[0][0] == 0x0809 and records[4][0] == 0x005C, records  # BOF … WRITEACCESS
    filepass_body = struct.pack("<HHH", 1, 1, 1) + bytes(range(48))  # RC4: version, salt, verifier, hash
    old = b"".join(struct.pack("<HH", t, len(b)) + b for t, b in records[1:5])
    head = struct.pack("<HH", 0x002F, len(filepass_body)) + filepass_body
    head += b"".join(struct.pack("<HH", t, len(b)) + b for t, b in records[1:4])
    user = len(old) - len(head) - 4
    assert user > 0
    new = head + struct.pack("<HH", 0x005C, user) + records[4][1][:user]
    start = 4 + len(records[0][1])
    stream[start:start + len(old)] = new
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        ole.write_stream("Workbook", bytes(stream))
    return Built(path)


# =========================================================================== refused: nothing to import


@case("empty_xlsx", "a 0-byte .xlsx", refuse="empty_file")
def _empty(d: Path) -> Built:
    return _refused_fb(fb.bad_empty_file, d)


@case("empty_csv", "a 0-byte .csv", refuse="empty_file")
def _empty_csv(d: Path) -> Built:
    return Built(_write(d, "empty.csv", b""))


@case("blank_lines_csv", "a .csv of blank lines and a BOM only", refuse="empty_file")
def _blank_csv(d: Path) -> Built:
    return Built(_write(d, "blank.csv", "\ufeff\r\n  \r\n\r\n".encode()))


@case("header_only_xlsx", "a header row and nothing under it", refuse="no_numeric_data", level="sheet")
def _header_only(d: Path) -> Built:
    return _refused_fb(fb.bad_header_only, d)


@case("header_only_csv", "a .csv with only its header line", refuse="no_numeric_data", level="sheet")
def _header_only_csv(d: Path) -> Built:
    return Built(_write(d, "header_only.csv", "月份,区域,销售额,新增客户\r\n".encode()))


@case("text_only", "a sheet of problems and owners, no numbers", refuse="no_numeric_data", level="sheet")
def _text_only(d: Path) -> Built:
    return _refused_fb(fb.bad_text_only, d)


@case("numbers_only", "a grid of numbers with no header", refuse="no_header", level="sheet")
def _numbers_only(d: Path) -> Built:
    return _refused_fb(fb.bad_numbers_only, d)


@case("uncached_formulas_only", "every value a formula saved without its result", refuse="no_numeric_data",
      level="sheet")
def _formulas_only(d: Path) -> Built:
    wb, ws = _book("公式")
    ws.append(["月份", "区域", "销售额", "新增客户"])
    for i, region in enumerate(REGIONS, start=2):
        ws.append(["2026-03", region, f"=100*{i}", f"=SUM(1,{i})"])  # openpyxl stores no cached value
    return Built(_save(wb, d, "formulas_only.xlsx"))


@case("only_hidden_sheet_has_data", "the data sits on a hidden sheet; the visible one is empty",
      refuse="nothing_imported", level="sheet")
def _only_hidden(d: Path) -> Built:
    wb, visible = _book("封面")
    hidden = wb.create_sheet("数据")
    hidden.append(["月份", "区域", "销售额"])
    hidden.append(["2026-01", "华东", 123.0])
    hidden.sheet_state = "hidden"
    return Built(_save(wb, d, "hidden_only.xlsx"))


# =========================================================================== valid but messy


@case("hidden_sheet_skipped", "a hidden sheet with data beside a good one: only the visible one stored")
def _hidden(d: Path) -> Built:
    return _from_fb(fb.build_hidden_and_empty, d)


@case("merged_headers", "two-row header: merged 1月 over 计划 | 实际, merged 区域/指标")
def _merged(d: Path) -> Built:
    return _from_fb(fb.build_plan_actual_merged, d)


@case("duplicate_headers", "销售额 twice and a blank header: the first kept, both reported",
      checks=("warns:duplicate_headers",))
def _dups(d: Path) -> Built:
    built = _from_fb(fb.build_blank_and_duplicate_headers, d)
    built.expect = {"pinned_metrics_only": True}
    return built


@case("formula_cached_errors", "formulas whose cached results are #DIV/0!, #N/A, #REF!: stored empty, counted",
      checks=("warns:error_cells",))
def _formula_errors(d: Path) -> Built:
    import xlsxwriter

    d.mkdir(parents=True, exist_ok=True)
    path = d / "formula_errors.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("指标")
    ws.write_row(0, 0, ["月份", "区域", "销售额", "转化率"])
    t = Truth("指标", "wide_measure", "month", ["区域"], warnings={"error_cells"})
    errors = {("华东", "转化率"): ("=1/0", "#DIV/0!"), ("华南", "销售额"): ("=NA()", "#N/A"),
              ("华北", "转化率"): ("=#REF!*2", "#REF!")}
    for r, region in enumerate(REGIONS, start=1):
        ws.write(r, 0, "2026-02")
        ws.write(r, 1, region)
        for c, metric in ((2, "销售额"), (3, "转化率")):
            err = errors.get((region, metric))
            value = 1000.0 + r * 10 + c if metric == "销售额" else round(0.1 * r + 0.01 * c, 3)
            if err:
                ws.write_formula(r, c, err[0], None, err[1])
            else:
                ws.write_formula(r, c, f"={value}", None, value)  # a formula with its cached number
                t.put("2026-02", {"区域": region}, metric, "actual", value)
    wb.close()
    return Built(path, t, [key("2026-02", {"区域": r}, m, "actual") for (r, m) in errors])


@case("formula_no_cached_values", "some formulas saved without results (openpyxl, a script): empty, reported",
      checks=("warns:uncached_formulas",))
def _formula_uncached(d: Path) -> Built:
    wb, ws = _book("指标")
    ws.append(["月份", "区域", "销售额", "新增客户"])
    t = Truth("指标", "wide_measure", "month", ["区域"], warnings={"uncached_formulas"})
    placeholders = []
    for i, region in enumerate(REGIONS):
        sales = 500.0 + i
        ws.append(["2026-04", region, sales, "=B2*2" if i % 2 else 40 + i])
        t.put("2026-04", {"区域": region}, "销售额", "actual", sales)
        if i % 2:
            placeholders.append(key("2026-04", {"区域": region}, "新增客户", "actual"))
        else:
            t.put("2026-04", {"区域": region}, "新增客户", "actual", 40 + i)
    return Built(_save(wb, d, "uncached.xlsx"), t, placeholders)


@case("cells_32767_chars", "a 32,767-character region name and a 32,767-character note cell",
      checks=("long_dimension",))
def _long_cells(d: Path) -> Built:
    long_region = ("华东区域" * (LONG_TEXT_LIMIT // 4 + 1))[:LONG_TEXT_LIMIT]
    wb, ws = _book("长文本")
    ws.append(["月份", "区域", "销售额", "备注"])
    rows = [("2026-05", long_region, 321.5), ("2026-05", "华南", 210.0)]
    for period, region, value in rows:
        ws.append([period, region, value, "x" * LONG_TEXT_LIMIT])
    t = _simple_truth("长文本", [(p, r, {"销售额": v}) for p, r, v in rows])
    return Built(_save(wb, d, "long_cells.xlsx"), t, expect={"long": long_region})


CONTROL_REGIONS = ["华\x07东", "华南\x1b[31m", "华\u202e北", "西\u200b南"]  # bell, ANSI escape, RTL override, zero-width


@case("control_chars_xlsx", "bell, ANSI escape, RTL override, zero-width space in cells (xlsxwriter _x0007_)",
      checks=("dims_exact",))
def _control_xlsx(d: Path) -> Built:
    import xlsxwriter

    d.mkdir(parents=True, exist_ok=True)
    path = d / "control.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("控制字符")
    ws.write_row(0, 0, ["月份", "区域", "销售额"])
    rows = [("2026-06", r, 100.0 + i) for i, r in enumerate(CONTROL_REGIONS)]
    for i, row in enumerate(rows, start=1):
        ws.write_row(i, 0, row)
    wb.close()
    return Built(path, _simple_truth("控制字符", [(p, r, {"销售额": v}) for p, r, v in rows]),
                 expect={"dims": {"区域": CONTROL_REGIONS}})


@case("control_chars_csv", "the same control characters in a UTF-8 .csv", checks=("dims_exact",))
def _control_csv(d: Path) -> Built:
    rows = [("2026-06", r, 100.0 + i) for i, r in enumerate(CONTROL_REGIONS)]
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["月份", "区域", "销售额"])
    for row in rows:
        w.writerow(row)
    path = _write(d, "control.csv", buf.getvalue().encode("utf-8"))
    return Built(path, _simple_truth(None, [(p, r, {"销售额": v}) for p, r, v in rows]),
                 expect={"dims": {"区域": CONTROL_REGIONS}})


HTML_METRIC = f"销售额{IMG}"
HTML_REGIONS = [SCRIPT, LINK, BOLD, "华北<b>粗</b>"]
HTML_SHEET = "2026 <script>"


def html_payload_workbook() -> tuple[bytes, Truth]:
    """Markup in the sheet name, a header and cells; shared with the AppTest and browser checks."""
    wb, ws = _book(HTML_SHEET)
    ws.append(["月份", "区域<i>", HTML_METRIC])
    t = Truth(HTML_SHEET, "wide_measure", "month", ["区域<i>"])
    for m in (1, 2):
        for i, region in enumerate(HTML_REGIONS):
            value = 100.0 * m + i
            ws.append([f"2026-{m:02d}", region, value])
            t.put(f"2026-{m:02d}", {"区域<i>": region}, HTML_METRIC, "actual", value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), t


@case("html_payloads", "<script>, <img onerror>, a javascript: link and **markdown** in sheet name, headers, cells",
      checks=("dims_exact", "metric_exact"))
def _html(d: Path) -> Built:
    data, t = html_payload_workbook()
    return Built(_write(d, "<b onclick=alert(1)>report.xlsx", data), t,
                 expect={"dims": {"区域<i>": HTML_REGIONS}, "metric": HTML_METRIC})


@case("sql_headers", f"a metric header {SQL_DROP} and a region {SQL_DIM}: stored as text, tables intact",
      checks=("dims_exact", "metric_exact", "facts_table_exists"))
def _sql_headers(d: Path) -> Built:
    wb, ws = _book("DROP TABLE imports; --")
    ws.append(["月份", "区域", SQL_DROP])
    regions = [SQL_DIM, "华东"]
    t = Truth("DROP TABLE imports; --", "wide_measure", "month", ["区域"])
    for i, region in enumerate(regions):
        ws.append(["2026-07", region, 10.0 + i])
        t.put("2026-07", {"区域": region}, SQL_DROP, "actual", 10.0 + i)
    return Built(_save(wb, d, "sql_headers.xlsx"), t, expect={"dims": {"区域": regions}, "metric": SQL_DROP})


@case("sql_file_name", f"a good workbook named {SQL_DROP}.xlsx: the name stored exactly",
      checks=("file_name_exact", "facts_table_exists"))
def _sql_name(d: Path) -> Built:
    path, t = fb.build_long_basic(d)
    target = path.with_name(f"{SQL_DROP}.xlsx")
    path.rename(target)
    return Built(target, t, expect={"file_name": target.name})


@case("one_row", "a header and a single data row")
def _one_row(d: Path) -> Built:
    wb, ws = _book("单行")
    ws.append(["月份", "区域", "销售额"])
    ws.append(["2026-08", "华东", 888.8])
    return Built(_save(wb, d, "one_row.xlsx"), _simple_truth("单行", [("2026-08", "华东", {"销售额": 888.8})]))


def _csv_case(encoding: str) -> Callable[[Path], Built]:
    def build(d: Path) -> Built:
        path, t = fb.build_csv(d, encoding)
        return Built(path, t, expect={"encoding": encoding})

    return build


for _enc, _what in (("gbk", "a GBK .csv (Chinese Excel's default export)"),
                    ("gb18030", "a GB18030 .csv"),
                    ("utf-8-sig", "a UTF-8 .csv with a BOM"),
                    ("utf-16", "a UTF-16 .csv with its BOM (little-endian)")):
    case(f"csv_{_enc.replace('-', '_')}", _what)(_csv_case(_enc))


@case("csv_gb18030_beyond_gbk", "a GB18030 .csv with 𠮷 (outside GBK) in a name")
def _gb18030_rare(d: Path) -> Built:
    return _from_fb(fb.build_csv_gb18030_rare, d)


@case("csv_utf16_be_bom", "a UTF-16 big-endian .csv with its BOM")
def _utf16_be(d: Path) -> Built:
    rows, t = fb._csv_rows()
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(fb.CSV_HEADER)
    w.writerows(rows)
    return Built(_write(d, "utf16be.csv", b"\xfe\xff" + buf.getvalue().encode("utf-16-be")), t)


@case("csv_utf16_tab_excel_unicode_text", "Excel's “Unicode text” export: UTF-16 LE, BOM, tab-separated")
def _utf16_tab(d: Path) -> Built:
    rows, t = fb._csv_rows()
    lines = ["\t".join(fb.CSV_HEADER)] + ["\t".join(r) for r in rows]
    return Built(_write(d, "unicode_text.csv", "\r\n".join(lines).encode("utf-16")), t)


MIXED = [  # (cell as written, value it stands for or None)
    (1234.5, 1234.5), ("1,234", 1234.0), ("85%", 0.85), ("1.2万", 12000.0), ("待定", None),
    (dt.datetime(2026, 9, 1), None), (True, None), (None, None), ("  42  ", 42.0),
]


@case("mixed_types_column", "numbers, text numbers, %, 万, words, a date, a boolean and blanks in one column",
      checks=("warns:unparsed_cells",))
def _mixed(d: Path) -> Built:
    wb, ws = _book("混合")
    ws.append(["月份", "门店", "销售额"])
    t = Truth("混合", "wide_measure", "month", ["门店"], warnings={"unparsed_cells"})
    placeholders = []
    for i, (cell, value) in enumerate(MIXED):
        store = f"店{i:02d}"
        ws.append(["2026-09", store, cell])
        if value is None:
            placeholders.append(key("2026-09", {"门店": store}, "销售额", "actual"))
        else:
            t.put("2026-09", {"门店": store}, "销售额", "actual", value)
    return Built(_save(wb, d, "mixed.xlsx"), t, placeholders)


def _date_case(form: str) -> Callable[[Path], Built]:
    def build(d: Path) -> Built:
        return _from_fb(lambda dd: fb.build_date_form(dd, form), d)

    return build


for _form, _what in (("excel_date", "real Excel dates (yyyy-mm-dd format)"),
                     ("excel_serial", "Excel serial numbers (46266)"),
                     ("cn_year_month", "2026年9月"),
                     ("iso_month", "2026-09"),
                     ("slash_date", "2026/09/01"),
                     ("quarter_cn", "2026年第二季度")):
    case(f"dates_{_form}", f"dates as {_what}")(_date_case(_form))


@case("leading_zero_codes_xlsx", "store codes 0012, 0107 typed as text: kept with their zeros",
      checks=("dims_exact",))
def _codes_xlsx(d: Path) -> Built:
    built = _from_fb(fb.build_store_codes, d)
    built.expect = {"dims": {"门店编码": ["0012", "0107", "1020"]}}
    return built


@case("leading_zero_codes_csv", "store codes 0012, 00305 in a .csv: kept as text", checks=("dims_exact",))
def _codes_csv(d: Path) -> Built:
    codes = ["0012", "00305", "7"]
    lines = ["月份,门店编码,销售额"] + [f"2026-10,{c},{100 + i}" for i, c in enumerate(codes)]
    t = Truth(None, "wide_measure", "month", ["门店编码"])
    for i, c in enumerate(codes):
        t.put("2026-10", {"门店编码": c}, "销售额", "actual", 100.0 + i)
    return Built(_write(d, "codes.csv", "\r\n".join(lines).encode()), t, expect={"dims": {"门店编码": codes}})


@case("numbers_as_text", "“1,234”, “(1,234)”, “85%”, “1.2万”, “3亿”, “¥1,200”, “—”, “N/A” as text")
def _text_numbers(d: Path) -> Built:
    path, t = fb.build_text_numbers_long(d)
    return Built(path, t, fb.text_number_placeholder_keys())


@case("legacy_xls", "a real .xls (BIFF8, xlwt)")
def _xls(d: Path) -> Built:
    t = _simple_truth("销售", [(p, r, {"销售额": v}) for (p, r), v in XLS_ROWS.items()])
    return Built(_write(d, "旧版.xls", _xls_bytes()), t)


@case("xls_named_xlsx", "a .xls saved under a .xlsx name: read by its content")
def _xls_as_xlsx(d: Path) -> Built:
    t = _simple_truth("销售", [(p, r, {"销售额": v}) for (p, r), v in XLS_ROWS.items()])
    return Built(_write(d, "renamed.xlsx", _xls_bytes()), t)


@case("xlsx_named_csv", "an .xlsx saved under a .csv name: read by its content")
def _xlsx_as_csv(d: Path) -> Built:
    t = _simple_truth("销售", [(p, r, {"销售额": v}) for (p, r), v in XLS_ROWS.items()])
    return Built(_write(d, "export.csv", _good_xlsx()), t)


EXTREMES = [  # (cell, value or None): text that a float parser would take for infinity or NaN must stay empty
    (1e15, 1e15), (-2.5e9, -2.5e9), (1e-9, 1e-9), ("1e400", None), ("NaN", None), ("inf", None),
    ("-Infinity", None), (0, 0.0),
]


@case("extreme_numbers", "1e15, -2.5e9, 1e-9, 0 kept; “1e400”, “NaN”, “inf”, “-Infinity” never stored as numbers",
      checks=("finite_values",))
def _extremes(d: Path) -> Built:
    wb, ws = _book("极值")
    ws.append(["月份", "门店", "销售额"])
    t = Truth("极值", "wide_measure", "month", ["门店"])
    placeholders = []
    for i, (cell, value) in enumerate(EXTREMES):
        store = f"店{i}"
        ws.append(["2026-11", store, cell])
        if value is None:
            placeholders.append(key("2026-11", {"门店": store}, "销售额", "actual"))
        else:
            t.put("2026-11", {"门店": store}, "销售额", "actual", value)
    return Built(_save(wb, d, "extremes.xlsx"), t, placeholders)


@case("emoji_and_rare_chars", "emoji and characters outside the BMP in headers and cells", checks=("dims_exact",))
def _emoji(d: Path) -> Built:
    regions = ["华东🚀", "𠮷野家"]
    wb, ws = _book("表情")
    ws.append(["月份", "区域📍", "销售额💰"])
    t = Truth("表情", "wide_measure", "month", ["区域📍"])
    for i, region in enumerate(regions):
        ws.append(["2026-12", region, 50.0 + i])
        t.put("2026-12", {"区域📍": region}, "销售额💰", "actual", 50.0 + i)
    return Built(_save(wb, d, "emoji.xlsx"), t, expect={"dims": {"区域📍": regions}})


def by_name(name: str) -> Case:
    return next(c for c in CASES if c.name == name)
