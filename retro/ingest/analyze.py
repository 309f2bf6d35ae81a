"""From uploaded bytes to a per-sheet preview: read, detect, normalise — nothing stored yet."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.compute as pc

from ..db import Database, compute_cursor
from .cells import parse_number, parse_period, period_from_any_label
from .detect import HEAD_ROWS, ColumnSpec, SheetPlan, plan_sheet, resolve_year, with_roles
from .errors import ImportFailure
from .kpis import kpi_readings
from .normalize import Deferred, Message, Normalized, normalize, period_label
from .read import RawSheet, RawWorkbook, column_letters, read_file, read_workbook
from .readings import Reading
from .workbook import (
    add_sheet_dimension,
    align_layouts,
    aligned_plan,
    colliding_sheets,
    copy_readings,
    helper_reading,
    sheet_dimension_name,
)


@dataclass
class SheetAnalysis:
    name: str
    status: str  # "ready" | "skipped" | "error"
    plan: SheetPlan | None = None
    result: Normalized | None = None
    skip_reason: str | None = None
    error: Message | None = None
    raw: RawSheet | None = None
    head: list[list[str | None]] = field(default_factory=list)
    remembered: bool = False  # the plan came from a layout the user confirmed before
    reading: Reading | None = None  # why a sheet was left out as a helper (pivot, copy, …)
    overrides: Overrides | None = None  # what it was read with: the user's choices, or a remembered layout's
    taken_in: Reading | None = None  # a helper sheet imported all the same: why it looked like one

    def readings(self) -> list[Reading]:
        """Every decision about this sheet with its evidence: the sheet's own, then its columns'."""
        out = [self.reading] if self.reading else []
        if self.plan is not None:
            out += self.plan.readings
            out += [r for _, r in self.column_readings()]
        if self.result is not None:
            out += self.result.readings
        return out

    def column_readings(self) -> list[tuple[ColumnSpec, Reading]]:
        """The columns whose role a reading decided, each with that reading."""
        if self.plan is None:
            return []
        return [(c, c.reading) for c in self.plan.columns if c.reading is not None]

    def sheet_readings(self) -> list[Reading]:
        """The decisions about the sheet and its rows, without its columns'."""
        columns = {id(r) for _, r in self.column_readings()}
        return [r for r in self.readings() if id(r) not in columns]

    @property
    def rows(self) -> int:
        return self.result.rows if self.result else 0


@dataclass
class FileAnalysis:
    file_name: str
    sha256: str
    size: int
    kind: str
    sheets: list[SheetAnalysis]
    encoding: str | None = None

    def ready(self) -> list[SheetAnalysis]:
        return [s for s in self.sheets if s.status == "ready"]


@dataclass
class Overrides:
    """What the user (or the CLI) says about a sheet: column roles, the year, a snapshot's period."""

    roles: dict[int, str] = field(default_factory=dict)
    year: int | None = None
    period: str | None = None
    metric_name: str | None = None
    take_in: bool = False  # a sheet read as a helper (pivot, copy, dashboard) is imported all the same
    # Rows (as the sheet numbers them) the user leaves out or keeps against the reading, the one-click
    # fixes of a reconciliation mismatch. Never remembered with the layout: next month's rows differ.
    skip_rows: list[int] = field(default_factory=list)
    keep_rows: list[int] = field(default_factory=list)
    # A metric named like a stored one from another source (kpis.py): "same" KPI, or "new" (told apart).
    kpis: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"roles": {str(k): v for k, v in self.roles.items()}, "year": self.year,
                           "period": self.period, "metric_name": self.metric_name, "take_in": self.take_in,
                           "kpis": self.kpis},
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Overrides:
        d = json.loads(text)
        return cls({int(k): v for k, v in d.get("roles", {}).items()}, d.get("year"), d.get("period"), d.get("metric_name"),
                   bool(d.get("take_in", False)), kpis=dict(d.get("kpis") or {}))


def head_rows(sheet: RawSheet, n: int = HEAD_ROWS) -> list[list[str | None]]:
    """The first ``n`` rows as Python lists (detection looks only at these)."""
    if sheet.table is None:
        return []
    head = sheet.table.slice(0, n)
    columns = [col.to_pylist() for col in head.columns]
    return [list(row) for row in zip(*columns, strict=True)]


def analyze_bytes(
    db: Database,
    data: bytes,
    file_name: str,
    *,
    sheet: str | None = None,
    year: int | None = None,
    period: str | None = None,
    overrides: dict[str, Overrides] | None = None,
    today: dt.date | None = None,
) -> FileAnalysis:
    """Read and analyse every sheet. Raises :class:`ImportFailure` when the file itself is unusable."""
    workbook = read_workbook(data, file_name)
    return analyze_workbook(db, workbook, sheet=sheet, year=year, period=period, overrides=overrides, today=today)


def analyze_file(
    db: Database,
    path: Path,
    *,
    sheet: str | None = None,
    year: int | None = None,
    period: str | None = None,
    overrides: dict[str, Overrides] | None = None,
    today: dt.date | None = None,
) -> FileAnalysis:
    """:func:`analyze_bytes` of the file at ``path``, a CSV read from the file without holding its bytes."""
    workbook = read_file(path)
    return analyze_workbook(db, workbook, sheet=sheet, year=year, period=period, overrides=overrides, today=today)


def analyze_workbook(
    db: Database,
    workbook: RawWorkbook,
    *,
    sheet: str | None = None,
    year: int | None = None,
    period: str | None = None,
    overrides: dict[str, Overrides] | None = None,
    today: dt.date | None = None,
    on_sheet: Callable[[int, int, str], None] | None = None,
) -> FileAnalysis:
    """Analyse every sheet; ``on_sheet(i, n, name)`` is called before each, for a progress bar."""
    overrides = overrides or {}
    today = today or dt.date.today()
    if period is not None:
        p = parse_period(period)
        if p is None or p.year is None:
            raise ImportFailure("bad_period", value=period)
    if sheet is not None and sheet not in [s.name for s in workbook.sheets]:
        raise ImportFailure("no_such_sheet", sheet=sheet, sheets=[s.name for s in workbook.sheets])
    result = FileAnalysis(workbook.file_name, workbook.sha256, workbook.size, workbook.kind, [], workbook.encoding)
    candidates = [s for s in workbook.sheets if s.skip_reason is None and s.table is not None]
    helpers = {s.name: r for s in candidates if (r := helper_reading(s)) is not None}
    helpers.update(copy_readings([s for s in candidates if s.name not in helpers]))
    for i, raw in enumerate(workbook.sheets):
        if on_sheet is not None:
            on_sheet(i, len(workbook.sheets), raw.name)
        if sheet is not None and raw.name != sheet:
            result.sheets.append(SheetAnalysis(raw.name, "skipped", skip_reason="not_selected"))
            continue
        if raw.skip_reason:
            result.sheets.append(SheetAnalysis(raw.name, "skipped", skip_reason=raw.skip_reason))
            continue
        user = overrides.get(raw.name)
        if raw.name in helpers and sheet != raw.name:
            # A helper is left out unless the user takes it in, now or with this layout before.
            said = user or remembered_overrides(db, sheet_fingerprint(raw, workbook.file_name))
            if said is None or not said.take_in:
                result.sheets.append(SheetAnalysis(raw.name, "skipped", skip_reason="helper", raw=raw,
                                                   reading=helpers[raw.name]))
                continue
        analysis = analyze_sheet(db, raw, workbook.file_name, user=user, year=year, period=period,
                                 today=today)
        analysis.taken_in = helpers.get(raw.name)
        result.sheets.append(analysis)
    read_sheets_together(db, result)
    return result


def read_sheets_together(db: Database, analysis: FileAnalysis) -> None:
    """Sheets of one layout read alike; sheets that would overwrite each other told apart (again
    after the user changed one sheet's reading: it is idempotent)."""
    for name, ref in align_layouts([s for s in analysis.sheets if s.status == "ready"]).items():
        i = next(k for k, s in enumerate(analysis.sheets) if s.name == name)
        a = analysis.sheets[i]
        if a.remembered or a.raw is None or a.plan is None or ref.plan is None:
            continue
        plan = aligned_plan(a.plan, ref.plan)
        try:
            with compute_cursor(db) as cur:
                a.result = normalize(cur, a.raw, plan)
            a.plan = plan
        except ImportFailure:
            continue  # the sheet's own reading stands
    ready = [s for s in analysis.sheets if s.status == "ready"]
    with compute_cursor(db) as cur:
        colliding = colliding_sheets(cur, ready)
        if colliding:
            name = sheet_dimension_name(ready)
            for s in ready:
                if s.name in colliding:
                    add_sheet_dimension(cur, s, name)
    for s in ready:
        kpi_readings(db, s, analysis.file_name)


def analyze_sheet(
    db: Database,
    raw: RawSheet,
    file_name: str,
    *,
    user: Overrides | None = None,
    year: int | None = None,
    period: str | None = None,
    today: dt.date | None = None,
) -> SheetAnalysis:
    """One sheet's plan and normalised rows; errors become a sheet-level error, not an exception."""
    today = today or dt.date.today()
    head = layout_head(raw)
    analysis = SheetAnalysis(raw.name, "ready", raw=raw, head=head)
    plan = plan_sheet(raw.name, head, raw.merged, file_name=file_name, total_rows=raw.height, spread=spread_rows(raw, len(head)))
    if plan is None:
        # Numbers without headings: no header. Headings (or text) without numbers: nothing to import.
        has_numbers = any(parse_number(v).status == "ok" for row in head for v in row if v is not None)
        code = "no_header" if has_numbers else "no_numeric_data"
        analysis.status, analysis.error = "error", Message(code, {"sheet": raw.name})
        return analysis
    if user is None:
        remembered = remembered_overrides(db, plan.fingerprint)
        if remembered is not None:
            user, analysis.remembered = remembered, True
    analysis.overrides = user
    if user and user.roles:
        plan = with_roles(plan, user.roles, head)
    if user and (user.skip_rows or user.keep_rows):
        plan.skip_rows = {r - 1 for r in user.skip_rows}
        plan.keep_rows = {r - 1 for r in user.keep_rows}
    if user and user.metric_name:
        plan.metric_name = user.metric_name
    resolve_year(plan, file_name, (user.year if user and user.year else None) or year, today.year)
    plan.period = (user.period if user and user.period else None) or period
    if plan.period is None and plan.shape == "snapshot" and plan.sheet_period:
        named = period_from_any_label(plan.sheet_period)
        if named is not None:
            named = named if named.year is not None else named.with_year(plan.year)
            plan.period = named.label
            plan.readings.append(Reading("sheet_period", "name", "weak" if plan.year_source == "assumed" else "strong",
                                         {"period": named.label, "sheet": raw.name}))
    analysis.plan = plan
    try:
        with compute_cursor(db) as cur:
            analysis.result = normalize(cur, raw, plan)
    except ImportFailure as failure:
        analysis.status, analysis.error = "error", Message(failure.code, failure.params)
        return analysis
    if analysis.result.rows == 0:
        analysis.status, analysis.error = "error", Message("no_numeric_data", {"sheet": raw.name})
    return analysis


def spread_rows(raw: RawSheet, after: int, n: int = 1000) -> list[list[str | None]]:
    """Up to ``n`` rows spread evenly over the sheet below its first ``after`` rows: what a time-sorted
    export holds further down (its first rows may cover a day or two of months of transactions)."""
    rest = raw.height - after
    if raw.table is None or rest <= 0:
        return []
    step = max(1, rest // n)
    picked = raw.table.take(list(range(after, raw.height, step))[:n])
    return [list(row) for row in zip(*(col.to_pylist() for col in picked.columns), strict=True)]


def layout_head(raw: RawSheet) -> list[list[str | None]]:
    """The rows the layout is read from. A big sheet is one long table: its first rows tell the
    layout; a small one is read whole so that notes, second tables and totals anywhere in it are found."""
    return head_rows(raw, HEAD_ROWS if raw.height <= 5 * HEAD_ROWS else 300)


def sheet_fingerprint(raw: RawSheet, file_name: str) -> str | None:
    """The sheet's layout as remembered in ``layouts`` (None when no header is found)."""
    head = layout_head(raw)
    plan = plan_sheet(raw.name, head, raw.merged, file_name=file_name, total_rows=raw.height, spread=spread_rows(raw, len(head)))
    return plan.fingerprint if plan is not None else None


def remembered_overrides(db: Database, fingerprint: str | None) -> Overrides | None:
    if not fingerprint:
        return None
    text = db.scalar("SELECT mapping FROM layouts WHERE fingerprint = ?", [fingerprint])
    return Overrides.from_json(text) if text else None


def reread_sheet(db: Database, analysis: FileAnalysis, sheet: SheetAnalysis,
                 user: Overrides) -> SheetAnalysis:
    """``sheet`` read again with the user's choices, in its place in ``analysis`` (sheets of one
    layout read alike again); a helper sheet taken in keeps why it looked like one."""
    if sheet.raw is None:
        raise ValueError(f"sheet {sheet.name!r} has no cells to read again")
    redone = analyze_sheet(db, sheet.raw, analysis.file_name, user=user)
    redone.taken_in = (sheet.taken_in or sheet.reading) if user.take_in else None
    analysis.sheets[analysis.sheets.index(sheet)] = redone
    read_sheets_together(db, analysis)
    return redone


def analysis_summary(analysis: FileAnalysis) -> dict[str, Any]:
    """The per-sheet facts the CLI prints and the UI shows (messages untranslated)."""
    sheets = []
    for s in analysis.sheets:
        r = s.result
        sheets.append(
            {
                "sheet": s.name,
                "status": s.status,
                "shape": s.plan.shape if s.plan else None,
                "rows": s.rows,
                "source_rows": r.source_rows if r else 0,
                "periods": r.periods if r else [],
                "dimensions": r.dimensions if r else [],
                "metrics": r.metrics if r else [],
                "scenarios": r.scenarios if r else [],
                "totals": r.totals if r else [],
                "notes": len(r.notes) if r else 0,  # note-column texts kept as annotations
                "warnings": list(r.warnings) if r else [],
                "reconciliation": r.reconciliation if r else [],
                "reconciled": r.reconciled if r else "unchecked",
                "mismatch": r.mismatch if r else None,
                "error": s.error,
                "skip_reason": s.skip_reason,
                "readings": [r.to_dict() for r in s.readings()],
            }
        )
    return {"file": analysis.file_name, "sheets": sheets}


def preview_frame(sheet: SheetAnalysis, n: int = 50) -> pd.DataFrame:
    """The first ``n`` parsed rows as the user should check them: segments as columns."""
    r = sheet.result
    if r is None:
        return pd.DataFrame()
    if r.transactions is not None:
        t = r.transactions.head(n) if isinstance(r.transactions, Deferred) else r.transactions.slice(0, n).to_pylist()
        rows = [{"row": x["row_no"] + 1, "date": x["txn_date"], "customer": x["customer_id"], "order": x["order_id"],
                 **dict(x["dims"]), **dict(x["measures"])} for x in t]
        return pd.DataFrame(rows)
    if r.facts is None:
        return pd.DataFrame()
    # Stored order is whatever DuckDB produced; the preview shows the sheet's first rows.
    first = pc.select_k_unstable(r.facts, k=min(n, r.facts.num_rows),
                                 sort_keys=[("row_no", "ascending"), ("src_col", "ascending")])
    facts = r.facts.take(first).to_pylist()
    segments = {x["dims_key"]: dict(x["dims"]) for x in r.segments.to_pylist()} if r.segments is not None else {}
    rows = []
    for x in facts:
        rows.append({"row": x["row_no"] + 1, "period": period_label(x["grain"], x["period"]), **segments.get(x["dims_key"], {}),
                     "metric": x["metric"], "scenario": x["scenario"], "value": x["value"], "unit": x["unit"]})
    return pd.DataFrame(rows)


def column_frame(sheet: SheetAnalysis, samples: int = 3) -> pd.DataFrame:
    """One row per column: letter, header, role, what it is read as, a few sample values."""
    plan = sheet.plan
    if plan is None:
        return pd.DataFrame(columns=["index", "column", "header", "role", "detail", "samples"])
    body = [row for i, row in enumerate(sheet.head) if plan.start <= i < plan.end and i not in plan.excluded]
    out = []
    for c in plan.columns:
        values = [row[c.index] for row in body if c.index < len(row) and row[c.index] not in (None, "")][:samples]
        period = c.period.replace("????", str(plan.year)) if c.period and plan.year else c.period
        detail = " · ".join(str(x) for x in (c.metric, c.unit, c.scenario, period, c.id_kind) if x)
        out.append({"index": c.index, "column": column_letters(c.index), "header": c.header, "role": c.role,
                    "detail": detail, "samples": " | ".join(str(v) for v in values)})
    return pd.DataFrame(out)
