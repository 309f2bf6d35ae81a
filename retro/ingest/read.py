"""Reading uploaded bytes into sheets of text cells, safely and fast.

Every cell is read as text (fastexcel with ``dtypes="string"``): a reader's type
guess must never turn a cell it did not expect into a silent null. Numbers and
periods are parsed later, where the column's role is known.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import ctypes
import hashlib
import html
import io
import itertools
import posixpath
import re
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import pyarrow as pa
import pyarrow.compute as pc
from defusedxml import DefusedXmlException, ElementTree

from .errors import ImportFailure

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_ENTRY_BYTES = 1024 * 1024 * 1024  # one part of the zip, uncompressed
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
MAX_RATIO = 100  # real sheets compress ~10:1; a bomb compresses 1000:1
BOMB_MIN_BYTES = 100 * 1024 * 1024  # below this a high ratio is harmless
MAX_CELLS = 30_000_000

XLSX_EXTS = {".xlsx", ".xlsm"}
SUPPORTED_EXTS = XLSX_EXTS | {".xls", ".csv"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class ExcelTable:
    """An Excel table's range in table coordinates (rows of the sheet, columns from origin_col)."""

    name: str
    r0: int
    c0: int
    r1: int
    c1: int
    totals_row_count: int = 0


@dataclass
class RawSheet:
    name: str
    visible: bool = True
    table: pa.Table | None = None  # string columns c0…cN, one row per sheet row
    error_cells: list[str] = field(default_factory=list)  # A1 references of Excel error cells
    uncached_formulas: list[str] = field(default_factory=list)  # formulas saved without a value
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1 in table coordinates
    origin_col: int = 0  # the sheet column of table column 0 (readers drop leading empty columns)
    skip_reason: str | None = None  # "hidden" | "empty"
    # (row, column) in table coordinates → the cell's formula without '='; a shared formula's
    # dependants carry their master's text (its function names are what the readings look at)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    tables: list[ExcelTable] = field(default_factory=list)  # Excel tables (ListObjects) on the sheet
    features: frozenset[str] = frozenset()  # "pivot_table", "chart", "checkbox": what the sheet's parts hold

    @property
    def height(self) -> int:
        return 0 if self.table is None else self.table.num_rows

    @property
    def width(self) -> int:
        return 0 if self.table is None else self.table.num_columns


@dataclass
class RawWorkbook:
    file_name: str
    sha256: str
    size: int
    kind: str  # "xlsx" | "xls" | "csv"
    sheets: list[RawSheet]
    encoding: str | None = None


def read_workbook(data: bytes, file_name: str) -> RawWorkbook:
    """All sheets of an uploaded file, or :class:`ImportFailure` with a reason a user can act on."""
    size = len(data)
    if size == 0:
        raise ImportFailure("empty_file")
    if size > MAX_FILE_BYTES:
        raise ImportFailure("file_too_large", size_mb=round(size / 1e6, 1), limit_mb=MAX_FILE_BYTES // 1_000_000)
    ext = PurePath(file_name).suffix.lower()
    sha = hashlib.sha256(data).hexdigest()
    if data.startswith(_OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data[:65536] or "EncryptedPackage".encode("utf-16-le") in data:
            raise ImportFailure("password_protected")
        if _xls_has_filepass(data):
            # calamine answers an encrypted .xls with "Cannot detect file format": say what it is
            raise ImportFailure("password_protected")
        sheets = _read_with_fastexcel(data, "xls")
        return RawWorkbook(file_name, sha, size, "xls", sheets)
    if data.startswith(_ZIP_MAGIC):
        sheets = _read_xlsx(data)
        return RawWorkbook(file_name, sha, size, "xlsx", sheets)
    if ext in XLSX_EXTS or ext == ".xls" or _looks_binary(data):
        raise ImportFailure("not_a_spreadsheet", ext=ext or "?")
    sheets, encoding = _read_csv(data, PurePath(file_name).stem or "csv")
    return RawWorkbook(file_name, sha, size, "csv", sheets, encoding)


def read_file(path: Path, file_name: str | None = None) -> RawWorkbook:
    """:func:`read_workbook` of the file at ``path``. A CSV is read straight from the file, a chunk
    of rows at a time: its bytes are never all in memory (a 190 MB export held them through the
    whole import). Workbooks are read from their bytes, as uploads are."""
    file_name = file_name or path.name
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(4096)
    ext = PurePath(file_name).suffix.lower()
    if size == 0 or size > MAX_FILE_BYTES or head.startswith((_OLE_MAGIC, _ZIP_MAGIC)) or ext in XLSX_EXTS \
            or ext == ".xls" or _looks_binary(head):
        return read_workbook(path.read_bytes(), file_name)
    sha = hashlib.sha256()
    for block in _blocks(path):
        sha.update(block)
    sheets, encoding = _read_csv(path, PurePath(file_name).stem or "csv")
    return RawWorkbook(file_name, sha.hexdigest(), size, "csv", sheets, encoding)


_BIFF8_BOF = b"\x09\x08\x10\x00\x00\x06\x05\x00"  # BOF record, BIFF8, workbook globals


def _xls_has_filepass(data: bytes) -> bool:
    """A FILEPASS record (0x002F) among the first records of the workbook globals: the .xls is encrypted.

    Excel writes it right after BOF (MS-XLS 2.4.117), inside the stream's first sector."""
    start = data.find(_BIFF8_BOF)
    if start < 0:
        return False
    pos = start
    for _ in range(8):
        if pos + 4 > len(data):
            return False
        typ, length = int.from_bytes(data[pos:pos + 2], "little"), int.from_bytes(data[pos + 2:pos + 4], "little")
        if typ == 0x002F:
            return True
        if typ == 0x0085:  # BOUNDSHEET: past where FILEPASS can stand
            return False
        pos += 4 + length
    return False


def _looks_binary(data: bytes) -> bool:
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text
    return b"\x00" in head or head.startswith((b"\x89PNG", b"%PDF", b"GIF8", b"\xff\xd8\xff"))


# ---------------------------------------------------------------- xlsx


def _read_xlsx(data: bytes) -> list[RawSheet]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ImportFailure("corrupt_file", detail=str(exc)[:200]) from None
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise ImportFailure("not_a_spreadsheet", ext=".zip")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_ENTRY_BYTES or (info.file_size > BOMB_MIN_BYTES and ratio > MAX_RATIO):
            raise ImportFailure("zip_bomb", part=info.filename, size_mb=info.file_size // 1_000_000)
    if total > MAX_TOTAL_BYTES:
        raise ImportFailure("zip_bomb", part="*", size_mb=total // 1_000_000)
    parts = _sheet_parts(archive)
    heads: dict[str, tuple[int, int]] = {}
    for sheet_name, part in parts.items():
        if part not in names:
            continue
        try:
            head = _read_prefix(archive, part, 4096)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise ImportFailure("corrupt_file", detail=str(exc)[:200]) from None
        dims = _dimension(head)
        if dims:
            (r0, c0), (r1, c1) = dims
            cells = (r1 - r0 + 1) * (c1 - c0 + 1)
            if cells > MAX_CELLS:
                raise ImportFailure("too_many_cells", sheet=sheet_name, cells=cells, limit=MAX_CELLS)
            heads[sheet_name] = (r0, c0)
    # The XML scan (error cells, merged ranges) runs beside the parse: both are mostly
    # native code that releases the GIL, and the scan must not add to the import time.
    with ThreadPoolExecutor(max_workers=1) as pool:
        scans = {name: pool.submit(_scan_sheet_xml, archive, part) for name, part in parts.items() if part in names}
        sheets = _read_with_fastexcel(data, "xlsx")
        for sheet in sheets:
            future = scans.get(sheet.name)
            if future is None or sheet.table is None:
                continue
            try:
                errors, uncached, merged, formulas = future.result()
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                raise ImportFailure("corrupt_file", detail=str(exc)[:200]) from None
            sheet.error_cells = errors
            sheet.uncached_formulas = uncached
            origin = heads.get(sheet.name, (0, 0))
            oc = origin[1]
            sheet.origin_col = oc
            sheet.merged = [(r0, c0 - oc, r1, c1 - oc) for (r0, c0, r1, c1) in merged]
            sheet.formulas = {(r, c - oc): f for (r, c), f in formulas.items() if c >= oc}
            tables, features = _sheet_structure(archive, names, parts[sheet.name])
            sheet.tables = [ExcelTable(t.name, t.r0, t.c0 - oc, t.r1, t.c1 - oc, t.totals_row_count) for t in tables]
            sheet.features = features
    return sheets


_REL_TYPE = re.compile(r"/(pivotTable|table|drawing|chart|ctrlProp|vmlDrawing)$")


def _part_rels(archive: zipfile.ZipFile, names: set[str], part: str) -> list[tuple[str, str]]:
    """(kind, part) of what a part's .rels file links to: 'table', 'pivotTable', 'drawing' …"""
    folder, _, base = part.rpartition("/")
    rels_part = f"{folder}/_rels/{base}.rels"
    if rels_part not in names:
        return []
    rels = _xml(archive, rels_part)
    if rels is None:  # a broken .rels only loses the structure's evidence
        return []
    out = []
    for rel in rels:
        m = _REL_TYPE.search(rel.get("Type", ""))
        target = rel.get("Target", "")
        if not m or rel.get("TargetMode") == "External":
            continue
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out.append((m.group(1), target))
    return out


_TABLE_REF = re.compile(r"^([A-Z]+)(\d+):([A-Z]+)(\d+)$")


def _sheet_structure(archive: zipfile.ZipFile, names: set[str], part: str) -> tuple[list[ExcelTable], frozenset[str]]:
    """The sheet's Excel tables and what else hangs off it: pivot tables, charts, check boxes."""
    tables: list[ExcelTable] = []
    features: set[str] = set()
    for kind, target in _part_rels(archive, names, part):
        if kind == "pivotTable":
            features.add("pivot_table")
        elif kind == "ctrlProp":
            if target in names and b"checkbox" in archive.read(target).lower():
                features.add("checkbox")
        elif kind == "vmlDrawing":
            if target in names and b"checkbox" in _read_prefix(archive, target, 1 << 20).lower():
                features.add("checkbox")
        elif kind == "drawing":
            if any(k == "chart" for k, _ in _part_rels(archive, names, target)):
                features.add("chart")
        elif kind == "table" and target in names:
            el = _xml(archive, target)
            m = _TABLE_REF.match(el.get("ref", "")) if el is not None else None
            if m:
                tables.append(ExcelTable(
                    el.get("displayName") or el.get("name") or "",
                    int(m.group(2)) - 1, column_index(m.group(1)), int(m.group(4)) - 1, column_index(m.group(3)),
                    int(el.get("totalsRowCount") or 0),
                ))
    return tables, frozenset(features)


def _xml(archive: zipfile.ZipFile, part: str):  # noqa: ANN202 - an Element
    """The one XML parse of the importer, defused: None when the part is malformed or missing."""
    try:
        return ElementTree.fromstring(archive.read(part))
    except DefusedXmlException as exc:
        # Office never declares entities: an entity bomb or an external entity (XXE), refused
        raise ImportFailure("corrupt_file", detail=f"{type(exc).__name__}: {str(exc)[:150]}") from None
    except Exception:  # noqa: BLE001 - malformed, or a part the zip lacks
        return None


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → the zip part holding its XML."""
    workbook = _xml(archive, "xl/workbook.xml")
    rels = _xml(archive, "xl/_rels/workbook.xml.rels")
    if workbook is None or rels is None:  # malformed XML: no scan, fastexcel decides
        return {}
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        target = target.lstrip("/")
        if not target.startswith("xl/"):
            target = "xl/" + target
        targets[rel.get("Id")] = target
    parts = {}
    for el in workbook.iter():
        if el.tag.endswith("}sheet"):
            rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
            if rid in targets:
                parts[el.get("name", "")] = targets[rid]
    return parts


def _read_prefix(archive: zipfile.ZipFile, part: str, n: int) -> bytes:
    with archive.open(part) as fh:
        return fh.read(n)


_DIM = re.compile(rb'<(?:\w+:)?dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_ERR_CELL = re.compile(rb'<(?:\w+:)?c r="([A-Z]+\d+)"[^>]*?t="e"')
# A formula with no value, an empty <v/> or an empty <v></v> (openpyxl writes the last).
_UNCACHED = re.compile(rb'<(?:\w+:)?c r="([A-Z]+\d+)"[^>]*>\s*<(?:\w+:)?f[^>]*(?:/>|>[^<]*</(?:\w+:)?f>)\s*(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>')
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
# A cell's formula: <f>SUM(D3:D9)</f>, a shared master <f t="shared" ref=".." si="0">…</f>, or a
# shared dependant <f t="shared" si="0"/> that repeats its master.
_FORMULA = re.compile(rb'<(?:\w+:)?c r="([A-Z]+)(\d+)"[^>]*>\s*<(?:\w+:)?f([^>]*?)(?:/>|>([^<]*)</(?:\w+:)?f>)')
_SHARED_SI = re.compile(rb'si="(\d+)"')
MAX_FORMULAS = 200_000  # beyond this the evidence is plenty; the memory (~150 bytes each) is not


def column_index(letters: str) -> int:
    """'A' → 0, 'AB' → 27."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def column_letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _dimension(head: bytes) -> tuple[tuple[int, int], tuple[int, int]] | None:
    m = _DIM.search(head)
    if not m:
        return None
    c0, r0 = column_index(m.group(1).decode()), int(m.group(2)) - 1
    if m.group(3):
        c1, r1 = column_index(m.group(3).decode()), int(m.group(4)) - 1
    else:
        c1, r1 = c0, r0
    return (r0, c0), (r1, c1)


def _scan_sheet_xml(
    archive: zipfile.ZipFile, part: str,
) -> tuple[list[str], list[str], list[tuple[int, int, int, int]], dict[tuple[int, int], str]]:
    errors: list[str] = []
    uncached: list[str] = []
    merged: list[tuple[int, int, int, int]] = []
    formulas: dict[tuple[int, int], str] = {}
    shared: dict[bytes, str] = {}
    tail = b""
    with archive.open(part) as fh:
        while True:
            chunk = fh.read(4 * 1024 * 1024)
            if not chunk:
                break
            buf = tail + chunk
            # Only cells wholly inside buf are matched; the last 512 bytes are carried over.
            cut = max(len(buf) - 512, 0)
            cut = buf.rfind(b"<", 0, cut) if cut else 0
            cut = max(cut, 0)
            scan = buf[:cut] if chunk else buf
            if b't="e"' in scan:
                errors.extend(m.group(1).decode() for m in _ERR_CELL.finditer(scan))
            if b"<f" in scan:
                uncached.extend(m.group(1).decode() for m in _UNCACHED.finditer(scan))
                _collect_formulas(scan, formulas, shared)
            if b"mergeCell " in scan:
                merged.extend(_merge(m) for m in _MERGE.finditer(scan))
            tail = buf[cut:]
    scan = tail
    errors.extend(m.group(1).decode() for m in _ERR_CELL.finditer(scan))
    uncached.extend(m.group(1).decode() for m in _UNCACHED.finditer(scan))
    merged.extend(_merge(m) for m in _MERGE.finditer(scan))
    _collect_formulas(scan, formulas, shared)
    return errors, uncached, merged, formulas


def _collect_formulas(scan: bytes, formulas: dict[tuple[int, int], str], shared: dict[bytes, str]) -> None:
    for m in _FORMULA.finditer(scan):
        if len(formulas) >= MAX_FORMULAS:
            return
        attrs, text = m.group(3), m.group(4)
        si = _SHARED_SI.search(attrs) if b"shared" in attrs else None
        if text:
            formula = html.unescape(text.decode("utf-8", "replace"))  # &lt; &amp; &#10; as Excel writes them
            if si:
                shared[si.group(1)] = formula
        elif si and si.group(1) in shared:
            formula = shared[si.group(1)]
        else:
            continue
        formulas[(int(m.group(2)) - 1, column_index(m.group(1).decode()))] = formula


def _merge(m: re.Match[bytes]) -> tuple[int, int, int, int]:
    return (
        int(m.group(2)) - 1,
        column_index(m.group(1).decode()),
        int(m.group(4)) - 1,
        column_index(m.group(3).decode()),
    )


# ---------------------------------------------------------------- fastexcel (xlsx, xls)


def _read_with_fastexcel(data: bytes, kind: str) -> list[RawSheet]:
    import fastexcel

    try:
        reader = fastexcel.read_excel(data)
        names = list(reader.sheet_names)
    except BaseException as exc:  # noqa: BLE001 - calamine panics raise PanicException (a BaseException)
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        raise _reader_failure(exc) from None
    sheets = []
    for index, name in enumerate(names):
        try:
            sheet = reader.load_sheet(index, header_row=None, dtypes="string", skip_rows=0, schema_sample_rows=1)
            visible = str(getattr(sheet, "visible", "visible")) == "visible"
            if not visible:
                sheets.append(RawSheet(name, visible=False, skip_reason="hidden"))
                continue
            table = pa.table(sheet.to_arrow()) if sheet.width else None
        except BaseException as exc:  # noqa: BLE001 - see above
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            message = str(exc).lower()
            if "empty" in message or "no data" in message or "out of bound" in message:
                sheets.append(RawSheet(name, skip_reason="empty"))
                continue
            raise _reader_failure(exc) from None
        table = _normalise_table(table)
        sheets.append(RawSheet(name, table=table, skip_reason=None if table is not None else "empty"))
    return sheets


def _reader_failure(exc: BaseException) -> ImportFailure:
    message = str(exc)
    low = message.lower()
    if "password" in low or "encrypt" in low:
        return ImportFailure("password_protected")
    return ImportFailure("corrupt_file", detail=message[:200])


def _normalise_table(table: pa.Table | None) -> pa.Table | None:
    """Columns named c0…cN, all strings, trailing blank rows dropped; None when nothing is in it."""
    if table is None or table.num_columns == 0 or table.num_rows == 0:
        return None
    columns = []
    for col in table.columns:
        if col.type != pa.string() and col.type != pa.large_string():
            col = col.cast(pa.string())
        columns.append(col)
    table = pa.table(columns, names=[f"c{i}" for i in range(len(columns))])
    if all(col.null_count == table.num_rows for col in table.columns):
        return None
    return table


# ---------------------------------------------------------------- csv
#
# A CSV is read in chunks of rows, straight from the uploaded bytes: the decoded text of the
# whole file and a Python string per cell never exist at once (a 190 MB export took 24× its
# size that way). Each chunk becomes Arrow columns at once; columns that repeat a few texts
# (月份, 区域, 产品线) are kept dictionary-encoded, a few bytes a cell instead of the text.

_CSV_ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")
CSV_CHUNK_ROWS = 65_536  # rows decoded to Python strings at a time
_DECODE_BYTES = 1 << 20  # bytes decoded at a time to check an encoding
_SNIFF_CHARS = 65536
# What str.strip() removes: trimmed in Arrow, the same characters
_WHITESPACE = "".join(chr(i) for i in range(0x3001) if chr(i).isspace())


CsvSource = bytes | Path  # an upload's bytes, or a file read from its path


def _blocks(src: CsvSource, size: int = _DECODE_BYTES) -> Iterator[bytes | memoryview]:
    """The source's bytes, ``size`` at a time."""
    if isinstance(src, Path):
        with open(src, "rb") as fh:
            while block := fh.read(size):
                yield block
        return
    view = memoryview(src)
    for at in range(0, len(view), size):
        yield view[at:at + size]


def _head(src: CsvSource, n: int = 4) -> bytes:
    return bytes(next(iter(_blocks(src, n)), b""))


def _decodes(data: CsvSource, encoding: str) -> tuple[bool, bool]:
    """(whether all of ``data`` decodes as ``encoding``, whether it holds anything but blanks),
    decoded a megabyte at a time and thrown away."""
    decoder = codecs.getincrementaldecoder(encoding)()
    blank = True
    try:
        for block in _blocks(data):
            text = decoder.decode(block)
            blank = blank and not text.strip()
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False, blank
    return True, not blank


def _csv_encoding(data: CsvSource) -> tuple[str, bool]:
    """The file's encoding, as ``data.decode`` would find it, and whether its text is not blank.
    UTF-16 with a BOM is taken at its word (a broken one fails as decoding it would)."""
    head = _head(data)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        ok, text = _decodes(data, "utf-16")
        if not ok:
            (data.read_bytes() if isinstance(data, Path) else data).decode("utf-16")  # the decoder's own error, as before
        return "utf-16", text
    candidates = _CSV_ENCODINGS if head.startswith(b"\xef\xbb\xbf") else _CSV_ENCODINGS[1:]
    for encoding in candidates:
        ok, text = _decodes(data, encoding)
        if not ok:
            continue
        # gb18030 decodes any byte string; report GBK when the text fits it
        if encoding == "gb18030" and _decodes(data, "gbk")[0]:
            encoding = "gbk"
        return encoding, text
    raise ImportFailure("not_a_spreadsheet", ext=".csv")


def _sniff_sample(data: CsvSource, encoding: str) -> str:
    """The first 64k characters of the text (what the delimiter is guessed from)."""
    decoder = codecs.getincrementaldecoder("utf-16" if encoding == "utf-16" else encoding)()
    out = ""
    for block in _blocks(data, _SNIFF_CHARS):
        out += decoder.decode(block)
        if len(out) >= _SNIFF_CHARS:
            break
    else:
        out += decoder.decode(b"", final=True)
    return out[:_SNIFF_CHARS]


# The chunks are built with the C library's allocator, not Arrow's default (mimalloc): mimalloc kept
# the freed intermediate buffers of a 190 MB file's chunks (+330 MiB after the read); the C library
# gives them back when asked (_give_back).
_POOL = pa.system_memory_pool()


def _give_back() -> None:
    """Freed memory back to the system: the C library's (glibc's ``malloc_trim``, where there is one)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to ask
        ctypes.CDLL(None).malloc_trim(0)


def _csv_chunk(rows: list[list[str]], width: int) -> list[pa.Array]:
    """One chunk of rows as ``width`` string columns: cells stripped, blanks (and missing cells) null."""
    if any(len(r) != width for r in rows):
        rows = [r + [""] * (width - len(r)) if len(r) < width else r for r in rows]
    out = []
    for values in zip(*rows, strict=True) if rows else [() for _ in range(width)]:
        col = pc.utf8_trim(pa.array(values, pa.string(), memory_pool=_POOL), characters=_WHITESPACE, memory_pool=_POOL)
        out.append(pc.if_else(pc.equal(col, "", memory_pool=_POOL), pa.scalar(None, pa.string()), col, memory_pool=_POOL))
    return out


def _compact(chunks: list[pa.Array]) -> pa.ChunkedArray:
    """A column that repeats a few texts (a month, a region) as a dictionary; others as they are."""
    first = chunks[0]
    if len(first) >= 64 and pc.count_distinct(first).as_py() <= len(first) // 8:
        return pa.chunked_array([pc.dictionary_encode(c, memory_pool=_POOL) for c in chunks])
    return pa.chunked_array(chunks, pa.string())


def _read_csv(data: CsvSource, name: str, chunk_rows: int | None = None) -> tuple[list[RawSheet], str]:
    encoding, has_text = _csv_encoding(data)
    if not has_text:
        raise ImportFailure("empty_file")
    try:
        dialect = csv.Sniffer().sniff(_sniff_sample(data, encoding), delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    # newline="\n": lines end at \n only and keep their \r, as io.StringIO(text) gave them
    raw = open(data, "rb") if isinstance(data, Path) else io.BytesIO(data)  # noqa: SIM115 - closed below
    with io.TextIOWrapper(raw, encoding=encoding, newline="\n") as stream:
        sheets = _csv_sheet(csv.reader(stream, delimiter=delimiter), name, chunk_rows)
    _give_back()
    return sheets, encoding


def _csv_sheet(reader: Iterator[list[str]], name: str, chunk_rows: int | None) -> list[RawSheet]:
    size = chunk_rows or CSV_CHUNK_ROWS
    chunks: list[list[pa.Array]] = []
    width = 0
    while True:
        rows = list(itertools.islice(reader, size))
        if not rows:
            break
        chunk_width = max(len(r) for r in rows)
        width = max(width, chunk_width)
        chunks.append(_csv_chunk(rows, chunk_width))
        del rows
    if width == 0:
        raise ImportFailure("empty_file")
    columns = []
    for i in range(width):
        # a column that starts in a later chunk (a long row further down) is null above it
        parts = [c[i] if i < len(c) else pa.nulls(len(c[0]), pa.string(), memory_pool=_POOL) for c in chunks]
        columns.append(_compact(parts))
    table = pa.table(columns, names=[f"c{i}" for i in range(width)])
    if all(col.null_count == table.num_rows for col in table.columns):
        table = None
    return [RawSheet(name, table=table, skip_reason=None if table is not None else "empty")]
