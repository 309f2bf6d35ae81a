"""Totals rows found by evidence, not only by their labels (合计, Total: see normalize.py).

Rules, strongest first:

- **A formula**: a row whose number cells are ``SUM(…)`` / ``SUBTOTAL(9|109, …)`` formulas over the
  cells above or below it in their own columns (or sums of cells, ``=B3+B4+B5``), or the totals row
  of an Excel table (its ``totalsRowCount``), is a totals row.
- **A sum relation**: the first or the last row of the body, whatever its label, whose every number
  equals the sum of the other rows' numbers in that column (within rounding, at least one of them
  not zero, at least two other rows) is a totals row — a SUM row typed in above the data or below it.
- **Subtotals of blocks**: rows each equal to the sum of the contiguous block of rows above it (since
  the previous such row, two rows or more), in every number column, are subtotals between groups —
  when there are two of them or more and at most one row (a grand total) stands after the last. One
  such row alone is too easily a coincidence (1, 2, 3).
- **Nested totals**: of three or more totals rows, one that equals the sum of the others is the
  grand total; the others are subtotals (left out, not used for checking).
- **Sums of a section**: in a table in sections (a header repeated between them, as in budget
  templates), a row whose every number equals the sum of another section's rows is that section's
  total shown again (现金流量's 总支出 = the 每月支出 section); the other lines of such a short summary
  section (up to six rows: a net, a balance like 总现金) are computed from those totals. Both are left out,
  and not used for the reconciliation (they repeat the sections' totals rows).
- Structured references to a table's totals (``每月收入[[#Totals],[预计]]``) count as aggregates: a
  summary row built from other tables' totals is not data either.

Totals rows are left out of what is stored and used to check it (the reconciliation).
"""

from __future__ import annotations

import math
import re
from typing import Any

from .cells import parse_number
from .readings import Reading

TOLERANCE = 0.005
_AGG = re.compile(r"^\s*(SUM|SUBTOTAL)\s*\(", re.I)
_CELL = re.compile(r"\$?[A-Z]{1,3}\$?\d+")
_STRUCTURED = re.compile(r"\[#?(totals|全部|汇总)\]|\[\[#totals\]", re.I)


_RANGE = re.compile(r"^\s*(?:SUM|SUBTOTAL\s*\(\s*(?:9|109)\s*,)\s*\(?\s*\$?([A-Z]{1,3})\$?(\d+)\s*:\s*\$?([A-Z]{1,3})\$?(\d+)\s*\)\s*$", re.I)


def sum_range(text: str | None) -> tuple[int, int] | None:
    """The rows (0-based, as the sheet numbers them minus one) a ``SUM(C10:C12)`` or
    ``SUBTOTAL(9,C10:C12)`` of one column adds up; None for any other formula."""
    m = _RANGE.match(text or "")
    if not m or m.group(1).upper() != m.group(3).upper():
        return None
    a, b = int(m.group(2)) - 1, int(m.group(4)) - 1
    return (a, b) if a <= b else None


def formula_rows(sheet: Any, rows: range, columns: list[int]) -> dict[int, Reading]:
    """Rows of the body whose number cells are aggregate formulas (or a table's totals row)."""
    formulas: dict[tuple[int, int], str] = getattr(sheet, "formulas", None) or {}
    wanted = set(columns)
    hits: dict[int, list[str]] = {}
    counts: dict[int, int] = {}
    for (r, c), text in formulas.items():
        if c not in wanted or r not in rows:
            continue
        counts[r] = counts.get(r, 0) + 1
        if _AGG.match(text) or _STRUCTURED.search(text) or _only_cells_added(text):
            hits.setdefault(r, []).append(text)
    out: dict[int, Reading] = {}
    typed_rows = len(rows) - len(counts)
    for r, found in hits.items():
        if len(found) >= max(1, 0.5 * counts[r]) and typed_rows >= 1:
            out[r] = Reading("totals_row", "formula", params={"row": r + 1, "kind": "sum_formula", "formula": "=" + found[0]})
    for table in getattr(sheet, "tables", None) or []:
        n = getattr(table, "totals_row_count", 0) or 0
        r1 = getattr(table, "r1", None)
        if n and r1 is not None:
            for r in range(r1 - n + 1, r1 + 1):
                if r in rows:
                    out.setdefault(r, Reading("totals_row", "structure", params={"row": r + 1, "kind": "table_totals"}))
    return out


def _only_cells_added(text: str) -> bool:
    """'B3+B4+B5': a sum of three or more cells and nothing else."""
    parts = text.replace(" ", "").split("+")
    return len(parts) >= 3 and all(_CELL.fullmatch(p) for p in parts)


def sum_relation_row(values: dict[int, dict[int, float]], candidates: list[int]) -> tuple[int, int] | None:
    """(row, other rows) for the first candidate whose numbers are the sums of all the other rows'.

    ``values`` is row → column → number for the body's rows (totals already found left out)."""
    for r in candidates:
        mine = values.get(r)
        if not mine or not any(abs(v) > TOLERANCE for v in mine.values()):
            continue
        others = [x for x in values if x != r]
        if len(others) < 2:
            continue
        ok = True
        for c, v in mine.items():
            total = sum(values[x].get(c, 0.0) for x in others)
            if abs(total - v) > TOLERANCE + 1e-9 * abs(v):
                ok = False
                break
        if ok:
            return r, len(others)
    return None


def block_subtotal_rows(values: dict[int, dict[int, float]]) -> dict[int, Reading]:
    """Rows equal to the sum of the block of rows above them, between groups (see the rules).

    One pass: the block's running sums are kept, so a long table costs its rows, not their square."""
    rows = sorted(values)
    found: dict[int, Reading] = {}
    block: list[int] = []
    acc: dict[int, float] = {}
    after_last = 0
    for r in rows:
        mine = values[r]
        if (len(block) >= 2 and set(mine) == set(acc) and any(abs(v) > TOLERANCE for v in mine.values())
                and all(abs(acc[c] - v) <= TOLERANCE + 1e-9 * abs(v) for c, v in mine.items())):
            found[r] = Reading("subtotal_row", "sum", params={"row": r + 1, "kind": "block_sum",
                                                              "first": block[0] + 1, "last": block[-1] + 1})
            block, acc, after_last = [], {}, 0
            continue
        block.append(r)
        after_last += 1
        for c, v in mine.items():
            acc[c] = acc.get(c, 0.0) + v
    if len(found) < 2 or after_last > 1:
        return {}
    return found


def row_numbers(cells: list[tuple[Any, ...]], decimal: set[int] | None = None) -> dict[int, dict[int, float]]:
    """(row, cell, cell, …) tuples → row → column position → number (blank and text cells left out);
    ``decimal`` are the positions whose commas are decimal points."""
    out: dict[int, dict[int, float]] = {}
    for row in cells:
        nums = {}
        for j, v in enumerate(row[1:]):
            if isinstance(v, float):
                if math.isfinite(v):
                    nums[j] = v
                continue
            n = parse_number(v, decimal_comma=bool(decimal) and j in decimal)
            if n.status == "ok" and n.value is not None:
                nums[j] = n.value
        out[row[0]] = nums
    return out


def section_sum_rows(values: dict[int, dict[int, float]], breaks: list[int]) -> dict[int, Reading]:
    """Rows that repeat another section's sum, and a summary section's remaining computed row.

    ``values`` is row → column → number; ``breaks`` are the rows where a new section starts."""
    if not breaks:
        return {}
    rows = sorted(values)
    edges = sorted(breaks)
    sections: list[list[int]] = []
    for r in rows:
        index = sum(1 for b in edges if b <= r)
        while len(sections) <= index:
            sections.append([])
        sections[index].append(r)
    sums = []
    for sec in sections:
        acc: dict[int, float] = {}
        for r in sec:
            for c, v in values[r].items():
                acc[c] = acc.get(c, 0.0) + v
        sums.append(acc)
    out: dict[int, Reading] = {}
    for i, sec in enumerate(sections):
        for r in sec:
            mine = values[r]
            if not any(abs(v) > TOLERANCE for v in mine.values()):
                continue  # a zero row repeats nothing worth leaving out
            for j, other in enumerate(sections):
                if j == i or len(other) < 2:
                    continue
                if all(abs(sums[j].get(c, 0.0) - v) <= TOLERANCE + 1e-9 * abs(v) for c, v in mine.items()):
                    out[r] = Reading("totals_row", "sum", params={"row": r + 1, "kind": "sum_relation", "count": len(other)})
                    break
        rest = [r for r in sec if r not in out and any(abs(v) > TOLERANCE for v in values[r].values())]
        if rest and any(r in out for r in sec) and len(sec) <= 6:
            # a short section that repeats other sections' totals is a summary of them: its other
            # lines (a net, a balance) are computed from those totals too
            for r in rest:
                out[r] = Reading("derived_rows", "sum", params={"rows": [r + 1], "formula": "Σ"})
    return out
