"""The report as an Excel workbook: one sheet per section, native Excel charts for the trends.

Written with openpyxl (already the project's writer, so no second Excel library at runtime).
Every text cell goes through ``_text``: control characters Excel refuses are removed (and counted,
so the summary sheet can say so), text a spreadsheet would run as a formula is neutralised and the
cell is typed as a string whatever it says.
"""

from __future__ import annotations

import datetime
import io
import re
import unicodedata
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from retro.export import neutralise
from retro.glossary import stored_unit_label
from retro.i18n import t

from .model import Cards, Chart, Paragraph, Report, Section, Table

# What openpyxl (and Excel) refuse inside a cell: C0 controls except tab, newline and carriage return.
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
HEADER_FILL = PatternFill("solid", fgColor="DCE6F2")
TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True)
THIN = Side(style="thin", color="B7C3D0")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
MAX_WIDTH = 60  # a wider column is wrapped instead
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_VALUE_COLUMNS = ("goals.col.plan", "goals.col.actual", "report.col.value", "report.col.prev", "report.col.last_year",
                  "report.col.ytd")
_STATUS_FILL = {"green": "D8F0DD", "amber": "FCEFC7", "red": "F9D6D5"}


class _Writer:
    def __init__(self, report: Report) -> None:
        self.report = report
        self.lang = report.lang
        self.removed = 0  # control characters dropped from the text
        self.wb = Workbook()
        self.wb.remove(self.wb.active)
        self.names: set[str] = set()

    # ------------------------------------------------------------------ cells

    def _text(self, value: str) -> str:
        cleaned, n = ILLEGAL.subn("", value)
        self.removed += n
        return str(neutralise(cleaned))

    def put(self, ws: Worksheet, row: int, col: int, value: Any, number_format: str | None = None):
        if isinstance(value, str):
            cell = ws.cell(row, col, self._text(value))
            cell.data_type = "s"  # never a formula, whatever the text says
        else:
            if isinstance(value, datetime.datetime):
                value = value.replace(tzinfo=None)
            cell = ws.cell(row, col, value)
            if number_format and value is not None:
                cell.number_format = number_format
        return cell

    def sheet(self, title: str) -> Worksheet:
        name = _SHEET_BAD.sub("_", ILLEGAL.sub("", title)).strip("'")[:31] or "sheet"
        base, i = name, 2
        while name.lower() in self.names:
            name = f"{base[:28]}~{i}"
            i += 1
        self.names.add(name.lower())
        ws = self.wb.create_sheet(name)
        # Printed (or saved as PDF from Excel) one page wide, landscape: a report sheet, not a grid.
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        return ws

    # ------------------------------------------------------------------ blocks

    def paragraph(self, ws: Worksheet, row: int, text: str, width_cols: int = 8) -> int:
        cell = self.put(ws, row, 1, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if width_cols > 1:
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width_cols)
        # A merged cell does not grow with its text: give long paragraphs the height they need.
        lines = sum(max(1, _display_width(part) // 110 + 1) for part in text.split("\n"))
        ws.row_dimensions[row].height = max(15, 15 * lines)
        return row + 1

    def table(self, ws: Worksheet, row: int, table: Table, *, freeze: bool) -> int:
        """The table's header at ``row``, its rows below; returns the row after it."""
        for j, header in enumerate(table.columns, start=1):
            cell = self.put(ws, row, j, header)
            cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        if freeze:
            ws.freeze_panes = ws.cell(row + 1, 1)
        unit_col = _unit_column(table, self.lang)
        status_col = _status_column(table, self.lang)
        status_words = {t(f"goals.status.{s}", self.lang): s for s in _STATUS_FILL}
        # Counts (家, 人, 单) read as whole numbers: decimals only where some value has them, decided
        # per column, or per row where one column holds several units.
        whole_cols = [all(_whole(r[j]) for r in table.rows if j < len(r)) for j in range(len(table.columns))]
        # In a table of several metrics the unit column names each row's unit; it applies to the
        # metric's own values (plan, actual, this period …), not to a weight or a score.
        value_headers = {t(k, self.lang) for k in _VALUE_COLUMNS}
        valued = [h in value_headers for h in table.columns]
        for i, values in enumerate(table.rows, start=row + 1):
            row_unit = values[unit_col] if unit_col is not None else None
            whole_row = all(_whole(v) for v, f in zip(values, table.formats, strict=False) if f == "number")
            for j, value in enumerate(values, start=1):
                fmt = table.formats[j - 1] if j - 1 < len(table.formats) else None
                unit = table.units[j - 1] if j - 1 < len(table.units) else None
                # A column of one metric (its unit given per column) decides as a column; a table of
                # several metrics (units per row, or in the names) decides per row.
                whole = whole_cols[j - 1] if table.units else whole_row
                cell = self.put(ws, i, j, value,
                                _number_format(fmt, unit or (row_unit if valued[j - 1] else None), whole=whole,
                                               lang=self.lang))
                cell.border = BORDER
                if fmt is None:
                    cell.alignment = WRAP
            if status_col is not None and values[status_col] in status_words:
                fill = PatternFill("solid", fgColor=_STATUS_FILL[status_words[values[status_col]]])
                ws.cell(i, status_col + 1).fill = fill
        self.widths(ws, table)
        return row + 1 + len(table.rows)

    def widths(self, ws: Worksheet, table: Table) -> None:
        for j, header in enumerate(table.columns, start=1):
            fmt = table.formats[j - 1] if j - 1 < len(table.formats) else None
            unit = table.units[j - 1] if j - 1 < len(table.units) else None
            widest = max([_display_width(header)] + [_display_width(_shown(r[j - 1], fmt, unit))
                                                    for r in table.rows if j - 1 < len(r)])
            letter = get_column_letter(j)
            current = ws.column_dimensions[letter].width or 0
            ws.column_dimensions[letter].width = max(current, min(MAX_WIDTH, widest + 3), 8)

    # ------------------------------------------------------------------ sheets

    def cover(self, summary: Section | None, kpis: Section | None) -> Worksheet:
        r, L = self.report, self.lang
        ws = self.sheet(summary.title if summary else t("report.section.summary", L))
        self.put(ws, 1, 1, r.title).font = TITLE_FONT
        row = 2
        for key, value in (("report.team", r.team), ("report.period", r.period_label),
                           ("report.generated", r.generated)):
            if value is None:
                continue
            self.put(ws, row, 1, t(key, L)).font = HEADER_FONT
            self.put(ws, row, 2, value, "yyyy-mm-dd").alignment = Alignment(horizontal="left")
            row += 1
        row += 1
        if summary:
            for block in summary.blocks:
                if isinstance(block, Paragraph):
                    row = self.paragraph(ws, row, block.text)
            row += 1
        if kpis:
            for block in kpis.blocks:
                if isinstance(block, Cards):
                    self.put(ws, row, 1, kpis.title).font = Font(bold=True, size=12)
                    cards = Table("cards", kpis.title,
                                  (t("report.col.kpi", L), t("report.col.value", L),
                                   t("report.col.pop" if "Q" in r.period_label else "report.col.mom", L),
                                   t("report.col.yoy", L), t("goals.col.status", L)),
                                  tuple((c.title, c.value, _change(c.mom), _change(c.yoy),
                                         t(f"goals.status.{c.status}", L) if c.status else None) for c in block.cards),
                                  (None, None, "change", "change", None))
                    row = self.table(ws, row + 1, cards, freeze=False) + 1
                elif isinstance(block, Paragraph):
                    row = self.paragraph(ws, row, block.text)
        ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 16)
        self.summary_ws, self.summary_row = ws, row
        return ws

    def section_sheet(self, section: Section) -> None:
        ws = self.sheet(section.title)
        self.put(ws, 1, 1, section.title).font = TITLE_FONT
        row = 2
        tables = [b for b in section.blocks if isinstance(b, Table)]
        for block in section.blocks:
            if isinstance(block, Paragraph):
                row = self.paragraph(ws, row, block.text, width_cols=max(1, len(tables[0].columns) if tables else 8))
        row += 1 if row == 2 else 0
        first = True
        for block in tables:
            row = self.table(ws, row, block, freeze=first) + 1
            first = False

    def trends_sheet(self, section: Section) -> None:
        """Each chart's numbers as a small table, with a native Excel line chart beside it."""
        ws = self.sheet(section.title)
        self.put(ws, 1, 1, section.title).font = TITLE_FONT
        row = 3
        for block in section.blocks:
            if isinstance(block, Paragraph):
                row = self.paragraph(ws, row, block.text)
                continue
            if not isinstance(block, Chart):
                continue
            data = block.data
            self.put(ws, row, 1, block.title).font = Font(bold=True, size=12)
            top = row + 1
            end = self.table(ws, top, data, freeze=False)
            chart = LineChart()
            chart.title = self._text(block.title)
            chart.height, chart.width = 7.5, 16
            chart.y_axis.title = self._text(_axis_title(data, self.lang))
            chart.y_axis.numFmt = _number_format(data.formats[1], data.units[1] if len(data.units) > 1 else None,
                                                 whole=True, lang=self.lang) or "General"
            chart.y_axis.delete = False
            chart.x_axis.delete = False
            values = Reference(ws, min_col=2, max_col=len(data.columns), min_row=top, max_row=end - 1)
            chart.add_data(values, titles_from_data=True)
            chart.set_categories(Reference(ws, min_col=1, min_row=top + 1, max_row=end - 1))
            # The page's colours: actual blue and solid; last year grey and plan purple, dashed.
            for s, colour in zip(chart.series, ("1F6FEB", "8C959F", "8250DF"), strict=False):
                s.smooth = False
                s.graphicalProperties.line.solidFill = colour
                s.graphicalProperties.line.width = 28575 if colour == "1F6FEB" else 19050  # EMU: 2.25 / 1.5 pt
                if colour != "1F6FEB":
                    s.graphicalProperties.line.dashStyle = "dash"
            ws.add_chart(chart, f"{get_column_letter(len(data.columns) + 2)}{row}")
            row = max(end + 1, row + 16)

    def notes(self) -> None:
        if self.removed and hasattr(self, "summary_ws"):
            self.paragraph(self.summary_ws, self.summary_row + 1,
                           t("report.xlsx.removed", self.lang, count=self.removed))

    def render(self) -> bytes:
        by_key = {s.key: s for s in self.report.sections}
        self.cover(by_key.get("summary"), by_key.get("kpis"))
        for section in self.report.sections:
            if section.key in ("summary", "kpis"):
                continue
            if section.key == "trends":
                self.trends_sheet(section)
            else:
                self.section_sheet(section)
        # Counted over every sheet, so the note goes last; a removal in the note itself cannot happen.
        self.notes()
        self.wb.properties.title = self._text(self.report.title)
        self.wb.properties.creator = "retro"
        buffer = io.BytesIO()
        self.wb.save(buffer)
        return buffer.getvalue()


def render(report: Report) -> bytes:
    """The report as .xlsx bytes."""
    return _Writer(report).render()


def removed_characters(report: Report) -> int:
    """How many control characters the workbook of ``report`` drops (the summary sheet notes it)."""
    w = _Writer(report)
    w.render()
    return w.removed


# ---------------------------------------------------------------------- helpers


def _change(text: str | None) -> float | str | None:
    """'+1.8%' → 0.018, so a change is a number in the workbook (and not text a quote had to guard)."""
    if text and _CHANGE.fullmatch(text):
        return float(text[:-1]) / 100
    return text


_CHANGE = re.compile(r"[+-]?\d+(\.\d+)?%")


def _whole(value: Any) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return True
    return abs(value - round(value)) <= 1e-9 * max(1.0, abs(value))  # sums carry float noise


def _number_format(fmt: str | None, unit: str | None, *, whole: bool = False, lang: str = "zh") -> str | None:
    # Excel shows the stored value, unscaled: its unit named with the scale (万元 in Chinese, 10k CNY in
    # English, after a space as English writes units).
    if fmt == "change":
        return "+0.0%;-0.0%;0.0%"
    if fmt == "pct":
        return "0.0%"
    if fmt == "int":
        return "#,##0"
    if fmt == "date":
        return "yyyy-mm-dd"
    if fmt == "number":
        digits = "#,##0" if whole else "#,##0.00"
        if unit == "%":
            return '0.00"%"'  # a rate shown in percentage points in a column of mixed units
        if unit:
            label = stored_unit_label(unit, lang).replace('"', "")
            return digits + '"' + ("" if lang == "zh" else " ") + label + '"' if label else digits
        return digits
    return None


def _unit_column(table: Table, lang: str) -> int | None:
    header = t("report.col.unit", lang)
    return table.columns.index(header) if header in table.columns else None


def _status_column(table: Table, lang: str) -> int | None:
    header = t("goals.col.status", lang)
    return table.columns.index(header) if header in table.columns and table.key == "scorecard" else None


def _axis_title(data: Table, lang: str) -> str:
    unit = stored_unit_label(data.units[1] if len(data.units) > 1 else None, lang)
    if not unit:
        return data.title
    return f"{data.title}（{unit}）" if lang == "zh" else f"{data.title} ({unit})"


def _display_width(text: str) -> int:
    """Columns a text takes on screen: CJK (wide) characters count double; the longest line counts."""
    return max((sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
                for line in str(text).split("\n")), default=0)


def _shown(value: Any, fmt: str | None, unit: str | None) -> str:
    """Roughly how Excel shows a value, for the column width."""
    if value is None:
        return ""
    if isinstance(value, float | int) and not isinstance(value, bool):
        if fmt == "pct":
            return f"{value * 100:.1f}%"
        return f"{value:,.2f}" + (unit or "")
    if isinstance(value, datetime.date):
        return "2026-01-01"
    return str(value)
