"""Why a sheet's own totals disagree with what would be stored, and the fix to offer.

A reconciliation check (normalize.py) compares a sheet's totals — its totals rows, its totals
column, its ``=SUM(…)`` cells — with the sum of what would be stored. When they disagree, the
difference is looked at before anything is said:

- **a stored row**: one row among those to be stored holds exactly the difference in every column
  that disagrees — a totals or repeated row the reading took for data. Fix: leave that row out.
- **a row left out**: one row the reading left out (as a totals, subtotal or note row) holds exactly
  what is missing in every such column — the sheet's total counts it. Fix: keep that row.
- **unread cells**: the stored sum is short, and the column has cells that could not be read
  (``#DIV/0!``, text): their value is unknown, so the difference may be theirs. No fix: the sheet
  needs mending, or the mismatch is accepted.
- **scale**: what is stored is 100, 1,000 or 10,000 times the sheet's total (or that much less):
  a unit or a percent read differently. No fix here: the column's unit is checked.
- **rows disagree** (a totals column): the rows whose totals cell differs from the sum of their
  period cells are named.

Anything else is *unexplained*. Explained or not, a mismatch stops the import until it is fixed or
accepted (the preview asks for a confirmation, the CLI exits with its own code unless
``--accept-mismatch``): a wrong number is worse than a refusal. Rows are numbered as the sheet
numbers them (1 = its first row).
"""

from __future__ import annotations

from typing import Any

TOLERANCE = 0.005
SCALES = (100.0, 1000.0, 10000.0)


def close(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE + 1e-9 * max(abs(a), abs(b))


def row_explanation(
    differences: dict[int, float],
    stored_matches: dict[int, set[int]],
    left_out: dict[int, tuple[str, dict[int, float]]],
    unread: dict[int, int],
    totals: dict[int, tuple[float, float]],
) -> dict[str, Any] | None:
    """One explanation for a sheet's disagreeing totals-row checks, or None when nothing explains them.

    ``differences``: column → stored minus the sheet's total, for the columns that disagree;
    ``stored_matches``: column → the rows to be stored whose value there equals the difference;
    ``left_out``: row → (why it was left out, column → its value) for the rows the reading left out;
    ``unread``: column → cells that could not be read; ``totals``: column → (sheet total, stored)."""
    if not differences:
        return None
    columns = list(differences)
    common = set.intersection(*(stored_matches.get(c, set()) for c in columns))
    if len(common) == 1:
        row = next(iter(common))
        return {"code": "stored_row", "rows": [row], "fix": {"skip_rows": [row]}}
    missing = [r for r, (_, values) in sorted(left_out.items())
               if all(c in values and close(values[c], -differences[c]) for c in columns)]
    if len(missing) == 1:
        why = left_out[missing[0]][0]
        return {"code": "left_out_row", "rows": missing, "why": why, "fix": {"keep_rows": missing}}
    short = [c for c in columns if differences[c] < 0 and unread.get(c)]
    if short and len(short) == len(columns):
        return {"code": "unread_cells", "count": sum(unread[c] for c in short), "rows": []}
    for factor in SCALES:
        if all(t and (close(s, t * factor) or close(s * factor, t)) for t, s in (totals[c] for c in columns)):
            sheet_total, stored = totals[columns[0]]
            return {"code": "scale", "factor": int(factor), "more": abs(stored) > abs(sheet_total), "rows": []}
    if len(common) > 1:
        rows = sorted(common)[:5]
        return {"code": "stored_rows_any", "rows": rows, "fix": None}
    return None


def column_explanation(row_totals: dict[int, float], row_sums: dict[int, float]) -> dict[str, Any] | None:
    """For a totals column that disagrees: the rows whose totals cell is not the sum of their period cells."""
    rows = sorted(r for r, total in row_totals.items() if r in row_sums and not close(total, row_sums[r]))
    missing = sorted(r for r, total in row_totals.items() if r not in row_sums and total and abs(total) > TOLERANCE)
    if rows:
        return {"code": "rows_disagree", "rows": [r + 1 for r in rows[:5]], "count": len(rows)}
    if missing:
        return {"code": "rows_not_stored", "rows": [r + 1 for r in missing[:5]], "count": len(missing)}
    return None
