"""Decisions across the sheets of one workbook: which sheets are helpers rather than data, which
repeat another sheet, which share one layout, and how sheets of one layout add up.

Rules:

- **Helper sheets are not data.** A sheet is left out by default, with its reason, when it is
  - a pivot table's output: the workbook links a pivot-table part to it, or its head holds Excel's
    own pivot words ('Row Labels', '行标签', 'Sum of …', '求和项:…', 'Column Labels');
  - an Excel forecast sheet: 'Forecast(…)' headers, confidence bounds, FORECAST.ETS formulas;
  - a dashboard: charts or check boxes on it and half its numbers or more fetched from other sheets
    (a chart beside typed data, as budget templates have, is data);
  - a derived sheet: most of its numbers are formulas that look up or refer to other sheets
    (VLOOKUP, SUMIFS, HLOOKUP, 'Data'!B2);
  - a copy: (nearly) every row of it stands in another, larger sheet of the workbook, compared by
    content, not by name (a 'Working Sheet' that repeats the orders, the batch 'NewData' already
    appended to 'Data'). Of two equal sheets the later one is the copy.
  Each can be taken in by hand; its values are then imported as the user says.
- **Sheets of one layout are read alike**: the largest sheet's reading of the columns (roles and
  shape) is applied to the others, so a one-day sheet of a till export is a list of transactions
  too.
- **Sheets of one workbook never overwrite each other.** Where two sheets would store different
  values under the same key (metric, scenario, period, segment) — one sheet per store, region or
  team with no column that says which — each sheet's name becomes a segment ('工作表' / 'Sheet'),
  so the values add up and can be told apart. Where the values agree (one table shown twice, as a
  detail sheet and a summary of it), the later sheet's are kept and the import counts them as
  repeated. Transaction sheets of one layout always add up.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING

import pyarrow as pa

from ..db import quote_ident, register, registered, unregister
from . import cells
from .cells import parse_number
from .readings import Reading

if TYPE_CHECKING:
    from .analyze import SheetAnalysis
    from .read import RawSheet

_PIVOT_WORDS = re.compile(r"^(row labels|column labels|行标签|列标签|(sum|count|average|max|min) of .+|"
                          r"(求和项|计数项|平均值项|最大值项|最小值项)\s*[:：].+)$", re.I)
_FORECAST_WORDS = re.compile(r"^(forecast\s*\(.+\)|lower confidence bound.*|upper confidence bound.*|置信下限.*|置信上限.*|预测\s*[(（].+[)）])$", re.I)
_DASHBOARD_NAME = re.compile(r"(dashboard|仪表盘|看板|驾驶舱|cockpit)", re.I)
COPY_MAX_ROWS = 200_000  # above this, comparing rows costs more than a copy is likely


def _cells(sheet: RawSheet, rows: int) -> list[list[str | None]]:
    if sheet.table is None:
        return []
    head = sheet.table.slice(0, rows)
    columns = [c.to_pylist() for c in head.columns]
    return [list(r) for r in zip(*columns, strict=True)]


def _formulas(sheet: RawSheet) -> dict[tuple[int, int], str]:
    return getattr(sheet, "formulas", None) or {}


def helper_reading(sheet: RawSheet) -> Reading | None:
    """Why this sheet is a helper (pivot, forecast, dashboard, derived), or None when it is data."""
    features = getattr(sheet, "features", frozenset()) or frozenset()
    head = _cells(sheet, 12)
    words = [v.strip() for row in head for v in row if v is not None and v.strip()]
    if "pivot_table" in features:
        return Reading("helper_pivot", "structure", params={"sheet": sheet.name})
    pivot = [w for w in words if _PIVOT_WORDS.match(w)]
    if pivot:
        return Reading("helper_pivot", "header", params={"sheet": sheet.name, "words": pivot[:3]})
    formulas = _formulas(sheet)
    forecast = [w for w in words if _FORECAST_WORDS.match(w)]
    if forecast or any("FORECAST" in f.upper() for f in list(formulas.values())[:5000]):
        return Reading("helper_forecast", "header" if forecast else "formula",
                       params={"sheet": sheet.name, "words": forecast[:3]})
    numeric = _numeric_cells(sheet)
    if numeric:
        with_formula = [formulas[rc] for rc in numeric if rc in formulas]
        from_others = [f for f in with_formula if _refers_elsewhere(f)]
        if len(from_others) >= 0.6 * len(numeric) and len(numeric) >= 4:
            return Reading("helper_derived", "formula",
                           params={"sheet": sheet.name, "share": round(100 * len(from_others) / len(numeric))})
        visual = {"chart", "checkbox"} & set(features) or _DASHBOARD_NAME.search(sheet.name)
        # a chart beside typed data (a budget with its chart) is data; a dashboard's numbers are fetched
        if visual and len(from_others) >= 0.5 * len(numeric):
            return Reading("helper_dashboard", "structure" if features else "name", params={"sheet": sheet.name})
    elif _DASHBOARD_NAME.search(sheet.name) and words:
        return Reading("helper_dashboard", "name", "weak", params={"sheet": sheet.name})
    return None


def _numeric_cells(sheet: RawSheet, limit: int = 20000) -> list[tuple[int, int]]:
    """Positions of the numeric cells among the sheet's first rows (table coordinates)."""
    if sheet.table is None:
        return []
    out = []
    rows = _cells(sheet, max(1, limit // max(sheet.width, 1)))
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is not None and parse_number(v).status == "ok":
                out.append((r, c))
    return out


_LOOKUP = re.compile(r"\b(VLOOKUP|HLOOKUP|XLOOKUP|INDEX|MATCH|SUMIFS?|COUNTIFS?|AVERAGEIFS?|GETPIVOTDATA|OFFSET|INDIRECT)\s*\(", re.I)


def _refers_elsewhere(formula: str) -> bool:
    return "!" in formula or bool(_LOOKUP.search(formula))


def _signature(row: list[str | None]) -> tuple[str, ...] | None:
    cells = []
    for v in row:
        if v is None or not v.strip():
            continue
        n = parse_number(v)
        cells.append(repr(round(n.value, 6)) if n.status == "ok" and n.value is not None else v.strip().lower())
    return tuple(cells) if len(cells) >= 2 else None


def _signatures(sheet: RawSheet, trimmed: bool = False) -> Counter[tuple[str, ...]]:
    """Each row's cells as one key; with ``trimmed``, also the row without its last one or two cells
    (the copy may lack the original's totals column)."""
    rows = _cells(sheet, COPY_MAX_ROWS)
    out: Counter[tuple[str, ...]] = Counter()
    for s in (_signature(r) for r in rows):
        if s is None:
            continue
        out[s] += 1
        if trimmed:
            for cut in (1, 2):
                if len(s) - cut >= 2:
                    out[s[:-cut]] += 1
    return out


def copy_readings(sheets: list[RawSheet]) -> dict[str, Reading]:
    """Sheets whose rows (nearly) all stand in another sheet of the workbook: copies, by content."""
    usable = [s for s in sheets if s.table is not None and s.skip_reason is None and 3 <= s.height <= COPY_MAX_ROWS]
    if len(usable) < 2:
        return {}
    named = {s.name: cells.period_in_name(s.name) for s in usable}
    sigs = {s.name: _signatures(s) for s in usable}
    sizes = {name: sum(c.values()) for name, c in sigs.items()}
    wide = {s.name: _signatures(s, trimmed=True) for s in usable}
    out: dict[str, Reading] = {}
    order = {s.name: i for i, s in enumerate(usable)}
    for b in usable:
        mine = sigs[b.name]
        n = sizes[b.name]
        if n < 3:
            continue
        for a in usable:
            if a.name == b.name or a.name in out or sizes[a.name] < n:
                continue
            if sizes[a.name] == n and order[a.name] > order[b.name]:
                continue  # of two equal sheets, the later one is the copy
            if named[a.name] is not None and named[b.name] is not None and named[a.name] != named[b.name]:
                continue  # 11月份 and 12月份 with the same numbers: two months' budgets, not a copy
            inside = sum(min(k, wide[a.name].get(sig, 0)) for sig, k in mine.items())
            if inside >= 0.95 * n:
                out[b.name] = Reading("helper_copy", "content", params={"sheet": b.name, "of": a.name,
                                                                          "rows": inside, "total": n})
                break
    return out


def layout_key(analysis: SheetAnalysis) -> tuple[str, ...] | None:
    """The sheet's header words in order, periods folded: equal keys are one layout."""
    plan = analysis.plan
    if plan is None:
        return None
    return tuple("<period>" if c.period else c.header.strip().lower() for c in plan.columns)


def align_layouts(analyses: list[SheetAnalysis]) -> dict[str, SheetAnalysis]:
    """For each sheet whose reading differs from the largest sheet of its layout: that sheet, whose
    reading it should take (the caller re-plans and normalises it)."""
    groups: dict[tuple[str, ...], list[SheetAnalysis]] = {}
    for a in analyses:
        key = layout_key(a)
        if key is not None and a.raw is not None:
            groups.setdefault(key, []).append(a)
    out: dict[str, SheetAnalysis] = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        ref = max(members, key=lambda a: a.raw.height if a.raw is not None else 0)
        for a in members:
            if a is ref or ref.plan is None or a.plan is None:
                continue
            if a.plan.shape != ref.plan.shape or [c.role for c in a.plan.columns] != [c.role for c in ref.plan.columns]:
                out[a.name] = ref
    return out


def aligned_plan(plan, ref):  # noqa: ANN001, ANN201 - SheetPlan in, SheetPlan out (no import cycle)
    """``plan`` with the roles and shape of ``ref`` (a sheet of the same layout)."""
    columns = [replace(c, role=r.role, id_kind=r.id_kind, reading=r.reading) for c, r in zip(plan.columns, ref.columns, strict=True)]
    updated = replace(plan, columns=columns, shape=ref.shape, readings=list(plan.readings))
    updated.readings.append(Reading("same_layout", "structure", params={"sheet": plan.sheet, "as": ref.sheet}))
    return updated


def sheet_dimension_name(analyses: list[SheetAnalysis]) -> str:
    text = "".join(c.header for a in analyses if a.plan for c in a.plan.columns)
    return "工作表" if re.search(r"[\u4e00-\u9fff]", text) else "Sheet"


def colliding_sheets(cur, analyses: list[SheetAnalysis]) -> set[str]:  # noqa: ANN001 - a DuckDB cursor
    """Ready sheets whose facts share a key with another ready sheet's, or whose transactions share
    a layout with another's: their values would otherwise replace each other."""
    facts = [a for a in analyses if a.status == "ready" and a.result is not None and a.result.facts is not None]
    out: set[str] = set()
    if len(facts) >= 2:
        keys = pa.concat_tables([
            a.result.facts.select(["metric", "scenario", "grain", "period", "dims_key"]).append_column(
                "sheet", pa.array([a.name] * a.result.facts.num_rows, pa.string()))
            for a in facts
        ])
        keys = keys.append_column("value", pa.concat_arrays(
            [a.result.facts.column("value").combine_chunks().cast(pa.float64()) for a in facts]))
        register(cur, "sheet_keys", keys)
        try:
            # Per pair of sheets: how many keys they share, and on how many the values agree. Agreeing
            # values are one table shown twice (a summary beside its detail): the later sheet's are
            # kept, as before. Differing values are different stores or teams: told apart.
            rows = cur.execute(
                """SELECT a.sheet, b.sheet, count(*) AS shared,
                          count(*) FILTER (WHERE abs(coalesce(a.value, 0) - coalesce(b.value, 0))
                                           <= 0.005 + 1e-9 * abs(coalesce(a.value, 0))) AS same
                   FROM sheet_keys a JOIN sheet_keys b
                     ON a.sheet < b.sheet AND a.metric = b.metric AND a.scenario = b.scenario AND a.grain = b.grain
                    AND a.period = b.period AND a.dims_key = b.dims_key
                   GROUP BY ALL"""
            ).fetchall()
        finally:
            unregister(cur, "sheet_keys")
        for a, b, shared, same in rows:
            if same < 0.95 * shared:
                out |= {a, b}
    tx = [a for a in analyses if a.status == "ready" and a.result is not None and a.result.transactions is not None]
    by_layout: dict[tuple[str, ...] | None, list[SheetAnalysis]] = {}
    for a in tx:
        by_layout.setdefault(layout_key(a), []).append(a)
    for members in by_layout.values():
        if len(members) > 1:
            out |= {a.name for a in members}
    return out


def _with_columns(cur, table, exprs: dict[str, str], params: dict):  # noqa: ANN001, ANN201 - an Arrow table or a Deferred
    """``table`` with the columns named in ``exprs`` computed by those SQL expressions (over ``t_in``);
    a big sheet's rows (normalize.Deferred) are a query still, of those columns."""
    from .normalize import Deferred, _inline

    if isinstance(table, Deferred):
        names = ["row_no", "txn_date", "customer_id", "order_id", "dims", "measures"]
        select = ", ".join(f"{exprs[c]} AS {quote_ident(c)}" if c in exprs else quote_ident(c) for c in names)
        return table.over(_inline(select, params))
    select = ", ".join(f"{exprs[c]} AS {quote_ident(c)}" if c in exprs else quote_ident(c) for c in table.column_names)
    with registered(cur, "t_in", table):
        return cur.sql(f"SELECT {select} FROM t_in", params=params).to_arrow_table()


def add_sheet_dimension(cur, analysis: SheetAnalysis, name: str) -> None:  # noqa: ANN001 - a DuckDB cursor
    """Give every value of this sheet the segment ``name`` = the sheet's name."""
    r = analysis.result
    if r is None or name in r.dimensions:
        return
    key = {"dims_key": "CASE WHEN dims_key = '' THEN $p ELSE dims_key || '|' || $p END"}
    dims = {"dims": "map_concat(dims, map([$n], [$v]))"}
    if r.facts is not None:
        r.facts = _with_columns(cur, r.facts, key, {"p": f"{name}={analysis.name}"})
        if r.segments is not None:
            r.segments = _with_columns(cur, r.segments, {**key, **dims}, {"p": f"{name}={analysis.name}", "n": name, "v": analysis.name})
    if r.transactions is not None:
        r.transactions = _with_columns(cur, r.transactions, dims, {"n": name, "v": analysis.name})
    r.dimensions = [*r.dimensions, name]
    r.warnings.append(_message("sheet_dimension", {"sheet": analysis.name, "name": name}))


def _message(code: str, params: dict):  # noqa: ANN202
    from .normalize import Message

    return Message(code, params)
