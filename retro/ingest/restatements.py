"""Restatements: values a workbook changes that an earlier import stored.

Next month's workbook often repeats the earlier months, and sometimes with other numbers — "last
month's number changed!". A value is *restated* when an import stores, for the same metric,
scenario, grain, period and segment, a sum other than what is stored now (within 0.005). The same
value again is an overlap, not a restatement, and is not listed.

- Before the import, :func:`restated_values` lists each value the file would replace, old → new
  with the difference (the preview shows them, the CLI's JSON lists them).
- After it, the rows it replaced stay in ``fact_rows`` (``replaced_by`` is the import), so
  :func:`import_restatements` lists the same from what is stored — the history keeps it, and undo
  brings the old values back.

The database compares (a join on the key), never a Python loop over the rows; the SQL is what both
engines run (docs/postgres.md), and a segment is labelled in Python from its dims (:func:`segment_label`).
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..db import Database, staged_rows
from .analyze import FileAnalysis
from .normalize import period_label

COLUMNS = ["sheet", "metric", "scenario", "period", "grain", "segment", "old", "new", "difference", "file_name"]
TOLERANCE = 0.005

FACT_COLUMNS = ("period", "grain", "metric", "unit", "scenario", "dims_key", "value")


def segment_label(dims: dict | None, dims_key: str | None) -> str:
    """'区域=华东 · 产品线=企业版': a segment's values in its sheet's order (the order of ``dims_key``;
    PostgreSQL's JSONB keeps a map's keys in an order of its own), '' for the total or no segment."""
    if not dims:
        return ""
    key = dims_key or ""
    items = sorted(dict(dims).items(), key=lambda kv: (key.find(f"{kv[0]}="), kv[0]))
    return " · ".join(f"{k}={v}" for k, v in items if v is not None)


def _segments(frame: pd.DataFrame) -> pd.DataFrame:
    frame["segment"] = [segment_label(d, k) for d, k in zip(frame.pop("dims"), frame.pop("dims_key"), strict=True)]
    return frame


def restated_values(db: Database, analysis: FileAnalysis, limit: int = 1000) -> pd.DataFrame:
    """The stored values this file would change, each old → new (largest change first)."""
    frames = []
    with db.cursor() as cur:
        for sheet in analysis.ready():
            facts = sheet.result.facts if sheet.result is not None else None
            if facts is None or facts.num_rows == 0:
                continue
            # a first file of its metrics restates nothing: ask that before comparing every value
            metrics = pc.unique(facts["metric"]).cast(pa.string()).to_pylist()
            if not cur.execute("SELECT 1 FROM current_facts WHERE metric = ANY(?) LIMIT 1", [metrics]).fetchone():
                continue
            with staged_rows(cur, "staged", facts, "fact_rows", FACT_COLUMNS):
                frames.append(_segments(cur.execute(
                    """WITH new AS (SELECT metric, scenario, grain, period, dims_key, sum(value) AS value
                                    FROM staged GROUP BY metric, scenario, grain, period, dims_key),
                             old AS (SELECT f.metric, f.scenario, f.grain, f.period, f.dims_key, sum(f.value) AS value,
                                            array_agg(DISTINCT i.file_name ORDER BY i.file_name) AS file_name
                                     FROM current_facts f JOIN imports i ON i.id = f.import_id
                                     WHERE (f.metric, f.scenario, f.grain, f.period, f.dims_key) IN
                                           (SELECT metric, scenario, grain, period, dims_key FROM new)
                                     GROUP BY f.metric, f.scenario, f.grain, f.period, f.dims_key)
                        SELECT $sheet AS sheet, n.metric, n.scenario, n.period, n.grain, n.dims_key, s.dims,
                               o.value AS old, n.value AS new, n.value - o.value AS difference, o.file_name
                        FROM new n JOIN old o USING (metric, scenario, grain, period, dims_key)
                        LEFT JOIN segments s ON s.dims_key = n.dims_key
                        WHERE NOT (abs(coalesce(n.value, 0) - coalesce(o.value, 0)) <= $tol
                                   AND (n.value IS NULL) = (o.value IS NULL))
                        ORDER BY abs(coalesce(n.value, 0) - coalesce(o.value, 0)) DESC, n.metric, n.period
                        LIMIT $limit""",
                    {"sheet": sheet.name, "tol": TOLERANCE, "limit": limit},
                ).df()))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return _labelled(pd.concat(frames, ignore_index=True)[COLUMNS])


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """Periods as the pages write them (2026-02, 2026-Q1, 2026-02-03), not as dates."""
    frame = frame.copy()
    frame["period"] = [period_label(g, pd.Timestamp(p).date()) for p, g in zip(frame["period"], frame["grain"], strict=True)]
    return frame


def import_restatements(db: Database, import_id: int, limit: int = 1000) -> pd.DataFrame:
    """The values ``import_id`` changed when it was stored (the rows it replaced, old → new)."""
    frame = db.frame(
        """WITH new AS (SELECT sheet_name, metric, scenario, grain, period, dims_key, sum(value) AS value
                        FROM fact_rows WHERE import_id = $id GROUP BY sheet_name, metric, scenario, grain, period, dims_key),
                 old AS (SELECT f.metric, f.scenario, f.grain, f.period, f.dims_key, sum(f.value) AS value,
                                array_agg(DISTINCT i.file_name ORDER BY i.file_name) AS file_name
                         FROM fact_rows f JOIN imports i ON i.id = f.import_id
                         WHERE f.replaced_by = $id AND f.import_id <> $id
                         GROUP BY f.metric, f.scenario, f.grain, f.period, f.dims_key)
            SELECT n.sheet_name AS sheet, n.metric, n.scenario, n.period, n.grain, n.dims_key, s.dims,
                   o.value AS old, n.value AS new, n.value - o.value AS difference, o.file_name
            FROM new n JOIN old o USING (metric, scenario, grain, period, dims_key)
            LEFT JOIN segments s ON s.dims_key = n.dims_key
            WHERE NOT (abs(coalesce(n.value, 0) - coalesce(o.value, 0)) <= $tol AND (n.value IS NULL) = (o.value IS NULL))
            ORDER BY abs(coalesce(n.value, 0) - coalesce(o.value, 0)) DESC, n.metric, n.period
            LIMIT $limit""",
        {"id": import_id, "tol": TOLERANCE, "limit": limit},
    )
    return _labelled(_segments(frame)[COLUMNS])


def restated_points(db: Database, names: list[str], grain: str) -> pd.DataFrame:
    """Periods (at ``grain``) of a summed metric's actual total that an import restated, with the
    total as it was before: the current total less what the restating imports changed
    (period: the period's first day, change: new − old). A chain of restatements counts the last."""
    return db.frame(
        """WITH cur AS (SELECT period, grain, dims_key, import_id, sum(value) AS v FROM fact_rows
                        WHERE replaced_by IS NULL AND metric = ANY($names) AND scenario = 'actual'
                        GROUP BY period, grain, dims_key, import_id),
                old AS (SELECT period, grain, dims_key, replaced_by AS by_import, sum(value) AS v FROM fact_rows
                        WHERE replaced_by IS NOT NULL AND replaced_by <> import_id AND metric = ANY($names)
                          AND scenario = 'actual' GROUP BY period, grain, dims_key, replaced_by)
           SELECT CAST(date_trunc($grain, c.period) AS DATE) AS period, sum(coalesce(c.v, 0) - coalesce(o.v, 0)) AS change
           FROM cur c JOIN old o ON o.period = c.period AND o.grain = c.grain AND o.dims_key = c.dims_key
                                 AND o.by_import = c.import_id
           WHERE abs(coalesce(c.v, 0) - coalesce(o.v, 0)) > $tol
           GROUP BY 1 ORDER BY 1""",
        {"names": names, "grain": grain, "tol": TOLERANCE},
    )
