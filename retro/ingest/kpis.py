"""Same name, other KPI: a metric a file brings whose name is already stored from another source.

A finance workbook's "Sales" and an order export's "Sales" are two KPIs: added into one metric,
the trends show one source's values and say nothing. So when a file's metric has the name of a
stored one, and the stored values come from another layout (no earlier import of this sheet's
layout stored them; the bundled sample does not count), they are compared:

- **dimensions**: the segments they are broken down by (Region, Category … against none);
- **grain**: days or months against quarters or years only;
- **scale**: their typical sizes (the median of the absolute values) 20 times apart or more.

Dimensions and grain count only between values of one scenario: a targets file (plan) beside the
actuals is the same KPI's plan, however it is broken down; only its scale can tell it apart.

If any differs, the file's metric is **a new one by default**, named after the file so the two
are told apart ("Sales · orders"), and the preview asks (a weak reading) whether it is the same KPI
after all. The answer is an override (``Overrides.kpis``: metric → "same", or the name it is stored
under) remembered with the layout — the default too, once imported — so next month's file of this
layout is stored under the same name and not asked again. Merging the two stays possible
on the metrics page. A metric with the same dimensions, grain and scale is taken as the same KPI:
that is a continuation (last year's file beside this year's), not a clash.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import PurePath
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..db import Database, compute_cursor, registered
from .readings import Reading

SCALE_APART = 20.0


def source_name(file_name: str) -> str:
    """The file as a short name for a metric's source: 'orders_2017-03.xlsx' → 'orders'."""
    stem = PurePath(file_name).stem
    name = re.sub(r"[\s_\-.]*((19|20)\d{2}([\-_.年]?\d{1,2}月?)?|\d{1,2}月)[\s_\-.]*", " ", stem).strip(" _-.")
    return name or stem


def stored_differences(db: Database, facts: pa.Table, segments: pa.Table | None, fingerprint: str) -> dict[str, dict[str, Any]]:
    """Metric → how it differs from the stored metric of that name from another source
    ({"why": ["dimensions", …], "files": "…", "dims_old": […], "dims_new": […]}), for those that differ."""
    if facts is None or facts.num_rows == 0:
        return {}
    segs = segments if segments is not None and segments.num_rows else pa.table(
        {"dims_key": pa.array([], pa.string()), "dims": pa.array([], pa.map_(pa.string(), pa.string()))})
    # Most files bring no stored name from another source: ask that first, cheaply, and only then
    # compare (the per-metric lists below walk every value of a million-row sheet). The file's side is
    # computed by an in-memory DuckDB over its Arrow tables, the stored side by the database in SQL both
    # engines run (docs/postgres.md): a segment's dimension names are read from its dims in Python.
    metrics = pc.unique(facts["metric"]).cast(pa.string()).to_pylist()
    names = [r[0] for r in db.rows(
        """SELECT DISTINCT f.metric FROM current_facts f JOIN imports i ON i.id = f.import_id
           WHERE NOT i.is_sample AND f.metric = ANY(?)""", [metrics])]
    if not names:
        return {}
    with compute_cursor(db) as cur, registered(cur, "staged", facts.select(["metric", "grain", "value", "dims_key",
                                                                               "scenario"])), \
            registered(cur, "staged_segments", segs):
        new = {r[0]: r[1:] for r in cur.execute(
            """WITH new AS (SELECT f.metric, list_sort(list(DISTINCT f.grain)) AS grains, median(abs(f.value)) AS size,
                                   list(DISTINCT f.scenario) AS scenarios
                            FROM staged f WHERE list_contains($names, f.metric) GROUP BY 1),
                    new_dims AS (SELECT k.metric, list_sort(list_distinct(flatten(list(coalesce(map_keys(s.dims), []))))) AS dims
                                 FROM (SELECT DISTINCT metric, dims_key FROM staged WHERE list_contains($names, metric)) k
                                 LEFT JOIN staged_segments s USING (dims_key) GROUP BY 1)
               SELECT n.metric, nd.dims, n.grains, n.size, n.scenarios FROM new n LEFT JOIN new_dims nd USING (metric)""",
            {"names": names},
        ).fetchall()}
    old = db.rows(
        """SELECT f.metric, array_agg(DISTINCT f.grain ORDER BY f.grain) AS grains,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(f.value)) AS size,
                  array_agg(DISTINCT f.scenario ORDER BY f.scenario) AS scenarios,
                  array_agg(DISTINCT i.file_name ORDER BY i.file_name) AS files,
                  bool_or(coalesce(x.fingerprint = ?, false)) AS same_layout
           FROM fact_rows f JOIN imports i ON i.id = f.import_id
           LEFT JOIN import_sheets x ON x.import_id = f.import_id AND x.sheet_name = f.sheet_name
           WHERE f.replaced_by IS NULL AND NOT i.is_sample AND f.metric = ANY(?) GROUP BY f.metric ORDER BY f.metric""",
        [fingerprint, names])
    old_dims: dict[str, set[str]] = {}
    for metric, dims in db.rows(
            """SELECT k.metric, s.dims FROM (SELECT DISTINCT metric, dims_key FROM fact_rows
                                             WHERE replaced_by IS NULL AND metric = ANY(?)
                                               AND import_id IN (SELECT id FROM imports WHERE NOT is_sample)) k
               JOIN segments s ON s.dims_key = k.dims_key""", [names]):
        old_dims.setdefault(metric, set()).update(dict(dims or {}))
    rows = []
    for metric, grains_old, size_old, scenarios_old, files, same_layout in old:
        if metric not in new or same_layout:
            continue
        dims_new, grains_new, size_new, scenarios_new = new[metric]
        dims_old = sorted(old_dims[metric]) if metric in old_dims else None
        rows.append((metric, dims_new, dims_old, grains_new, list(grains_old), size_new, size_old, list(files),
                     bool(set(scenarios_new) & set(scenarios_old))))
    out = {}
    for metric, dims_new, dims_old, grains_new, grains_old, size_new, size_old, files, same_scenario in rows:
        why = []
        # A targets file beside the actuals is the same KPI's plan, by region where the actuals are by
        # region and product, by quarter where they are by month: only its scale can tell it apart.
        if same_scenario and sorted(dims_new or []) != sorted(dims_old or []):
            why.append("dimensions")
        fine = {"day", "month"}
        if same_scenario and bool(set(grains_new) & fine) != bool(set(grains_old) & fine):
            why.append("grain")
        if size_new and size_old and max(size_new, size_old) / min(size_new, size_old) >= SCALE_APART:
            why.append("scale")
        if why:
            out[metric] = {"why": why, "files": files, "dims_old": list(dims_old or []), "dims_new": list(dims_new or [])}
    return out


def renamed(result: Any, names: dict[str, str]) -> None:
    """The normalised result with its metrics renamed (``names``: old → new), in place."""
    if not names:
        return
    if result.facts is not None and result.facts.num_rows:
        i = result.facts.schema.get_field_index("metric")
        old = result.facts.column(i)
        if pa.types.is_dictionary(old.type):
            # A big sheet's metric is dictionary-encoded (normalize._arrow): renamed a batch at a time, kept
            # compact — its texts whole would cost a 190 MB file ~100 MiB (and index_in cannot take them).
            mapped = pa.chunked_array([_renamed_chunk(c, names) for c in old.chunks], old.type)
        else:
            new = pa.array([names.get(v, v) for v in pc.unique(old).to_pylist()], pa.string())
            mapped = pc.take(new, pc.index_in(old, value_set=pc.unique(old)))
        result.facts = result.facts.set_column(i, "metric", mapped)
    result.metrics = [names.get(m, m) for m in result.metrics]
    result.totals = [{**t, "metric": names.get(t["metric"], t["metric"])} for t in result.totals]
    for entry in result.reconciliation:
        if entry.get("metric") in names:
            entry["metric"] = names[entry["metric"]]
    result.notes = [{**n, "metric": names.get(n["metric"], n["metric"])} for n in result.notes]


def _renamed_chunk(chunk: pa.DictionaryArray, names: dict[str, str]) -> pa.DictionaryArray:
    """One dictionary-encoded chunk with its texts renamed, encoded again (two names may become one)."""
    texts = pc.take(pa.array([names.get(v, v) for v in chunk.dictionary.to_pylist()], pa.string()), chunk.indices)
    encoded = pc.dictionary_encode(texts)
    return pa.DictionaryArray.from_arrays(encoded.indices.cast(chunk.indices.type), encoded.dictionary)


def kpi_readings(db: Database, sheet: Any, file_name: str) -> None:
    """Tell apart, in ``sheet``'s result, the metrics that share a stored metric's name but not its
    kind (see the module's rules); the user's answers in ``sheet.overrides.kpis`` decide first."""
    result, plan = sheet.result, sheet.plan
    if result is None or plan is None or getattr(result, "kpis_read", False):
        return
    result.kpis_read = True
    said = getattr(sheet.overrides, "kpis", None) or {}
    differ = stored_differences(db, result.facts, result.segments, plan.fingerprint)
    names = {}
    source = source_name(file_name)
    for metric, d in sorted(differ.items()):
        answer = said.get(metric)
        params = {"metric": metric, "files": d["files"], "why": d["why"],
                  "as": answer if answer and answer != "same" else f"{metric} · {source}"}
        if answer == "same":
            result.readings.append(Reading("kpi_same", "name", "strong", params))
            continue
        names[metric] = params["as"]
        result.readings.append(Reading("kpi_new", "values", "strong" if answer else "weak", params))
    renamed(result, names)


def with_kpi(overrides: Any, metric: str, answer: str | None) -> Any:
    """``overrides`` with the answer for ``metric`` ("same", the name to store it under, or None: ask again)."""
    kpis = {k: v for k, v in (overrides.kpis or {}).items() if k != metric}
    if answer is not None:
        kpis[metric] = answer
    return replace(overrides, kpis=kpis)
