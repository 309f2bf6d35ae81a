"""retro.ingest.store: one transaction per import, replace / keep / undo, already imported, history, overlap."""

from __future__ import annotations

import datetime as dt
import json
import types

import fixtures_build as fb
import openpyxl
import pytest
from browser_support import coded_workbook, pivot_workbook, region_months

from retro import db as retro_db
from retro.db import Database
from retro.ingest import (
    Overrides,
    already_imported,
    analyze_bytes,
    data_summary,
    import_history,
    metric_inventory,
    overlap,
    store_import,
    undo_import,
)
from retro.ingest import store as store_mod

TABLES = ("imports", "import_sheets", "fact_rows", "transactions", "segments", "layouts")


@pytest.fixture
def db(request, tmp_path):
    """A DuckDB file; a PostgreSQL database (the conftest's throwaway server) for the tests marked BOTH."""
    engine = getattr(request, "param", "duckdb")
    database = Database(tmp_path / "store.duckdb" if engine == "duckdb" else request.getfixturevalue("pg_url"))
    yield database
    database.close()
    retro_db.close_all()


# The store's tests that run on each engine in turn (issue 18): the same bodies, the same assertions.
BOTH = pytest.mark.parametrize("db", ["duckdb", "postgresql"], indirect=True)


def _analysis(db: Database, path, name: str | None = None, **kw):
    return analyze_bytes(db, path.read_bytes(), name or path.name, **kw)


def _store(db: Database, path, **kw):
    return store_import(db, _analysis(db, path), **kw)


def _rows(db: Database, table: str) -> list[tuple]:
    """Every row of ``table``, sorted in Python (the same order on both engines; maps are dicts)."""
    return sorted(db.rows(f"SELECT * FROM {table}"),
                  key=lambda r: tuple(json.dumps(v, sort_keys=True, default=str, ensure_ascii=False) for v in r))


def _snapshot(db: Database) -> dict[str, list[tuple]]:
    """Every row of every table an import writes, in a stable order."""
    return {t: _rows(db, t) for t in TABLES}


def _current(db: Database) -> dict[tuple, float]:
    """(period, dims_key, metric, scenario) → value of the current facts; fails on a duplicate key."""
    out: dict[tuple, float] = {}
    for period, dims_key, metric, scenario, value in db.rows(
        "SELECT period, dims_key, metric, scenario, value FROM current_facts"
    ):
        k = (f"{period:%Y-%m}", dims_key, metric, scenario)
        assert k not in out, f"two current values for {k}"
        out[k] = value
    return out


def _truth_current(*truths: fb.Truth) -> dict[tuple, float]:
    """Later truths win, like replace mode."""
    out = {}
    for t in truths:
        for (period, dims, metric, scenario), v in t.values.items():
            dims_key = ",".join(f"{k}={v_}" for k, v_ in dims)
            out[(period, dims_key, metric, scenario)] = v
    return out


def _third_version(files, months=(3, 4), bump=1.0):
    """Another 销售.xlsx of the overlap layout (same header), new values for ``months``."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "销售"
    ws.append(["月份", "区域", "销售额(万元)"])
    t = fb.Truth("销售", "wide_measure", "month", ["区域"])
    for m in months:
        for i, region in enumerate(("华东", "华南")):
            v = 5000.0 + 10 * m + i + bump
            ws.append([fb.month(2026, m), region, v])
            t.put(fb.month(2026, m), {"区域": region}, "销售额", "actual", v)
    path = files / "销售_v3.xlsx"
    wb.save(path)
    return path, t


# --------------------------------------------------------------------------- one transaction


class _Exploding:
    """Stands in for the json module inside store.py: fails on the ``fail_on``-th dumps call."""

    def __init__(self, fail_on: int) -> None:
        self.calls = 0
        self.fail_on = fail_on

    def dumps(self, *args, **kwargs):
        self.calls += 1
        if self.calls >= self.fail_on:
            raise RuntimeError("disk full")
        return json.dumps(*args, **kwargs)


@BOTH
def test_failure_midway_stores_nothing(db, files, monkeypatch):
    """Two sheets: the first is fully written (facts, segments, its import_sheets row) before the
    second one's mapping fails. Everything must be rolled back."""
    seed, _ = fb.build_seed(files / "seed")
    _store(db, seed)
    before = _snapshot(db)
    path, truths = fb.build_two_good_sheets(files)
    analysis = _analysis(db, path)
    assert [s.name for s in analysis.ready()] == ["销售", "客户"]

    fake = _Exploding(fail_on=4)  # 3 dumps per sheet: the second sheet's second call fails
    monkeypatch.setattr(store_mod, "json", types.SimpleNamespace(dumps=fake.dumps))
    remember = {"销售": Overrides(roles={1: "dimension"}), "客户": Overrides(roles={1: "dimension"})}
    with pytest.raises(RuntimeError, match="disk full"):
        store_import(db, analysis, remember=remember)  # the first sheet's layout is written, then undone
    assert fake.calls == 4
    assert _snapshot(db) == before

    # nothing half-written blocks the next try
    monkeypatch.setattr(store_mod, "json", json)
    assert already_imported(db, analysis.sha256) is None
    result = store_import(db, analysis)
    assert result.status == "imported"
    assert result.rows == sum(t.rows for t in truths.values())


@BOTH
def test_failure_midway_in_replace_mode_keeps_the_old_values_current(db, files, monkeypatch):
    p1, t1, p2, _ = fb.build_overlap_pair(files)
    _store(db, p1)
    before = _snapshot(db)
    analysis = _analysis(db, p2)
    monkeypatch.setattr(store_mod, "json", types.SimpleNamespace(dumps=_Exploding(fail_on=1).dumps))
    with pytest.raises(RuntimeError):
        store_import(db, analysis)
    assert _snapshot(db) == before
    assert _current(db) == _truth_current(t1)
    assert db.scalar("SELECT count(*) FROM fact_rows WHERE replaced_by IS NOT NULL") == 0


@BOTH
def test_bad_arguments_store_nothing(db, files):
    path, _ = fb.build_seed(files)
    analysis = _analysis(db, path)
    with pytest.raises(ValueError):
        store_import(db, analysis, mode="merge")
    text_path, _ = fb.bad_text_only(files)
    with pytest.raises(ValueError):
        store_import(db, _analysis(db, text_path))
    assert all(not rows for rows in _snapshot(db).values())


# --------------------------------------------------------------------------- replace, keep, undo


@BOTH
def test_replace_then_undo_restores_the_previous_values_exactly(db, files):
    p1, t1, p2, t2 = fb.build_overlap_pair(files)
    first = _store(db, p1)
    after_first = _snapshot(db)
    assert _current(db) == _truth_current(t1)

    second = _store(db, p2)
    assert second.status == "imported"
    assert second.replaced == 2  # March, two regions
    assert _current(db) == _truth_current(t1, t2)
    replaced = db.rows("SELECT period, replaced_by FROM fact_rows WHERE import_id = ? "
                       "AND replaced_by IS NOT NULL", [first.import_id])
    assert [(f"{p:%Y-%m}", r) for p, r in replaced] == [("2026-03", second.import_id)] * 2

    assert undo_import(db, second.import_id) is True
    assert _snapshot(db) == after_first
    assert _current(db) == _truth_current(t1)


@BOTH
def test_keep_mode_keeps_both(db, files):
    p1, t1, p2, t2 = fb.build_overlap_pair(files)
    _store(db, p1)
    second = _store(db, p2, mode="keep")
    assert second.replaced == 0
    assert db.scalar("SELECT count(*) FROM current_facts") == t1.rows + t2.rows
    march = db.rows("SELECT value FROM current_facts WHERE period = DATE '2026-03-01' ORDER BY value")
    expected = sorted(v for k, v in [*t1.values.items(), *t2.values.items()] if k[0] == "2026-03")
    assert [r[0] for r in march] == expected
    assert db.scalar("SELECT mode FROM imports WHERE id = ?", [second.import_id]) == "keep"


@BOTH
def test_undo_of_a_middle_import_does_not_bring_back_values_a_later_import_replaced(db, files):
    """v1 (Jan–Mar), v2 replaces March, v3 replaces March again. Undoing v2 must leave v3's March
    current and v1's March replaced: one current value per key, never two."""
    p1, t1, p2, t2 = fb.build_overlap_pair(files)
    p3, t3 = _third_version(files)
    _store(db, p1)
    second = _store(db, p2)
    _store(db, p3)
    assert _current(db) == _truth_current(t1, t2, t3)
    assert undo_import(db, second.import_id) is True
    assert _current(db) == _truth_current(t1, t3)


@BOTH
def test_undo_of_the_latest_import_after_a_middle_undo(db, files):
    p1, t1, p2, _ = fb.build_overlap_pair(files)
    p3, _ = _third_version(files)
    _store(db, p1)
    second = _store(db, p2)
    third = _store(db, p3)
    undo_import(db, third.import_id)
    undo_import(db, second.import_id)
    assert _current(db) == _truth_current(t1)


@BOTH
def test_undo_unknown_import(db):
    assert undo_import(db, 12345) is False


@BOTH
def test_transactions_replace_and_undo(db, files):
    path, truth = fb.build_transactions(files / "a")
    first = _store(db, path)
    assert db.scalar("SELECT count(*) FROM current_transactions") == truth.rows
    rows_before = _rows(db, "transactions")

    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws.cell(2, 5).value = ws.cell(2, 5).value + 1  # the corrected export of the same months
    corrected = files / "b" / "orders.xlsx"
    corrected.parent.mkdir()
    wb.save(corrected)
    second = _store(db, corrected)
    assert second.replaced == truth.rows
    assert db.scalar("SELECT count(*) FROM current_transactions") == truth.rows
    assert db.scalar("SELECT count(DISTINCT import_id) FROM current_transactions") == 1
    undo_import(db, second.import_id)
    assert _rows(db, "transactions") == rows_before
    assert db.scalar("SELECT count(*) FROM current_transactions WHERE import_id = ?", [first.import_id]) == truth.rows


# --------------------------------------------------------------------------- already imported


@BOTH
def test_identical_bytes_are_already_imported(db, files):
    path, _ = fb.build_seed(files)
    first = _store(db, path)
    before = _snapshot(db)
    assert already_imported(db, _analysis(db, path).sha256) == first.import_id
    again = store_import(db, _analysis(db, path, name="renamed copy.xlsx"))
    assert (again.status, again.import_id, again.rows) == ("already_imported", first.import_id, 0)
    assert _snapshot(db) == before


@BOTH
def test_another_sheet_of_an_imported_file_can_still_be_imported(db, files):
    """Import only 销售 (--sheet, or the page's include box), then 客户 of the same file: 客户 was never
    stored, so it must not be turned away as 'already imported'."""
    path, truths = fb.build_two_good_sheets(files)
    first = store_import(db, _analysis(db, path, sheet="销售"))
    assert first.status == "imported" and first.rows == truths["销售"].rows
    second = store_import(db, _analysis(db, path, sheet="客户"))
    assert second.status == "imported", second
    assert db.scalar("SELECT count(*) FROM current_facts WHERE sheet_name = '客户'") == truths["客户"].rows
    # and the sheet already stored is still recognised as such
    assert store_import(db, _analysis(db, path, sheet="销售")).status == "already_imported"


@BOTH
def test_undone_file_can_be_imported_again(db, files):
    path, truth = fb.build_seed(files)
    first = _store(db, path)
    undo_import(db, first.import_id)
    assert already_imported(db, _analysis(db, path).sha256) is None
    again = _store(db, path)
    assert again.status == "imported" and again.import_id != first.import_id
    assert db.scalar("SELECT count(*) FROM current_facts") == truth.rows


# --------------------------------------------------------------------------- history and overlap


@BOTH
def test_import_history(db, files):
    p1, t1, p2, t2 = fb.build_overlap_pair(files)
    when = dt.datetime(2026, 11, 2, 9, 30)
    first = _store(db, p1, actor="tester", now=when)
    second = _store(db, p2, now=when + dt.timedelta(hours=1))
    history = import_history(db)
    assert list(history.columns) == [
        "id", "file_name", "imported_at", "sheets", "row_count", "period_min", "period_max",
        "is_sample", "mode", "actor", "reconciled", "dataset", "replaced_later",
    ]
    assert list(history["id"]) == [second.import_id, first.import_id]  # newest first
    old = history[history["id"] == first.import_id].iloc[0]
    assert old["file_name"] == "销售_v1.xlsx"
    assert list(old["sheets"]) == ["销售"]
    assert old["row_count"] == t1.rows
    assert (old["period_min"], old["period_max"]) == ("2026-01", "2026-03")
    assert old["imported_at"] == when
    assert old["actor"] == "tester" and not old["is_sample"] and old["mode"] == "replace"
    assert old["replaced_later"] == 2
    new = history[history["id"] == second.import_id].iloc[0]
    assert new["row_count"] == t2.rows and new["replaced_later"] == 0


@BOTH
def test_import_sheets_record_the_mapping(db, files):
    path, _ = fb.build_seed(files)
    result = _store(db, path)
    shape, fingerprint, mapping, warnings = db.one(
        "SELECT shape, fingerprint, mapping, warnings FROM import_sheets WHERE import_id = ?", [result.import_id]
    )
    assert shape == "wide_measure" and len(fingerprint) == 16
    mapping = json.loads(mapping)
    assert mapping["shape"] == "wide_measure"
    assert [c["role"] for c in mapping["columns"]] == ["period", "dimension", "measure", "measure", "measure"]
    assert isinstance(json.loads(warnings), list)


@BOTH
def test_overlap_reports_the_earlier_file(db, files):
    p1, _, p2, _ = fb.build_overlap_pair(files)
    assert overlap(db, _analysis(db, p1)).empty
    first = _store(db, p1)
    found = overlap(db, _analysis(db, p2))
    assert len(found) == 1
    row = found.iloc[0]
    assert row["import_id"] == first.import_id
    assert row["file_name"] == "销售_v1.xlsx"
    assert row["values_"] == 2
    assert str(row["first_period"])[:7] == str(row["last_period"])[:7] == "2026-03"


@BOTH
def test_overlap_of_a_file_with_other_periods_is_empty(db, files):
    p1, _, _, _ = fb.build_overlap_pair(files)
    _store(db, p1)
    other, _ = _third_version(files, months=(7, 8))
    assert overlap(db, _analysis(db, other)).empty


@BOTH
def test_overlap_for_transactions_of_the_same_layout(db, files):
    path, truth = fb.build_transactions(files / "a")
    first = _store(db, path)
    wb = openpyxl.load_workbook(path)
    wb.active.cell(2, 5).value = 1.0
    again = files / "b.xlsx"
    wb.save(again)
    found = overlap(db, _analysis(db, again))
    assert list(found["import_id"]) == [first.import_id]
    assert found.iloc[0]["values_"] == truth.rows


@BOTH
def test_data_summary_and_inventory(db, files):
    path, truth = fb.build_seed(files)
    _store(db, path)
    summary = data_summary(db)
    assert summary["facts"] == truth.rows and summary["imports"] == 1 and summary["transactions"] == 0
    assert summary["metrics"] == len(truth.metrics)
    inventory = metric_inventory(db)
    assert sorted(inventory["metric"]) == truth.metrics
    units = dict(zip(inventory["metric"], inventory["unit"], strict=True))
    assert units["销售额"] == "万元" and units["新增客户"] == "人"


# --------------------------------------------------------------------------- layouts remembered


@BOTH
def test_a_helper_sheet_taken_in_is_taken_in_again_next_month(db):
    """March's pivot output was imported anyway; April's file of the same layout is imported
    without asking again, as a sheet read with the remembered layout, and adds April."""
    march, april = pivot_workbook(3), pivot_workbook(4)
    sheet = march.sheet
    assert analyze_bytes(db, march.data, march.name).sheets[0].skip_reason == "helper"
    user = {sheet: Overrides(take_in=True)}
    store_import(db, analyze_bytes(db, march.data, march.name, overrides=user), remember=user)

    again = analyze_bytes(db, april.data, april.name).sheets[0]
    assert again.status == "ready" and again.remembered
    assert again.taken_in is not None and again.taken_in.decision == "helper_pivot"
    store_import(db, analyze_bytes(db, april.data, april.name))
    assert _current(db) == {
        (m, f"行标签={region}", march.metric, "actual"): values[i]
        for region, values in april.regions.items()
        for i, m in enumerate(april.months)
    }


@BOTH
def test_choices_all_taken_back_are_forgotten(db):
    """A layout remembered with a role; next month the user takes the choice back: the month after
    is read as detected again."""
    feb, mar, apr = coded_workbook("2026-02"), coded_workbook("2026-03"), coded_workbook("2026-04")
    sheet = feb.sheet
    user = {sheet: Overrides(roles={4: "measure"})}
    store_import(db, analyze_bytes(db, feb.data, feb.name, overrides=user), remember=user)
    assert "GMV" in analyze_bytes(db, mar.data, mar.name).sheets[0].result.metrics
    back = {sheet: Overrides()}
    store_import(db, analyze_bytes(db, mar.data, mar.name, overrides=back), remember=back)
    fresh = analyze_bytes(db, apr.data, apr.name).sheets[0]
    assert not fresh.remembered and fresh.result.metrics == ["销售额"]


# --------------------------------------------------------------------------- undo leaves nothing behind (issue 16)


def _book(files, name: str, header: list, rows: list[list]):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(header)
    for r in rows:
        ws.append(r)
    path = files / name
    wb.save(path)
    return path


def _sales_book(files):
    return _book(files, "销售.xlsx", ["月份", "区域", "销售额(万元)"],
                 [[fb.month(2026, m), region, 100.0 + m] for m in (1, 2, 3) for region in ("华东", "华南")])


def _orders_book(files, name: str = "orders.xlsx"):
    """Another workbook: its own metrics (Refunds, Late fees) and its own dimension (Currency)."""
    return _book(files, name, ["Month", "Currency", "Refunds", "Late fees"],
                 [[fb.month(2026, m), c, 5.0 + m, 2.0] for m in (1, 2, 3) for c in ("USD", "EUR")])


@BOTH
def test_undo_takes_away_the_metrics_and_dimensions_only_it_brought(db, files):
    from retro import metrics as M

    _store(db, _sales_book(files))
    orders = _store(db, _orders_book(files))
    assert {m.name for m in M.catalog(db)} == {"销售额", "Refunds", "Late fees"}
    assert set(M.dimensions(db)) == {"区域", "Currency"}
    assert M.dimensions(db, "销售额") == ["区域"]  # a metric's own dimensions, not every workbook's
    assert undo_import(db, orders.import_id)
    assert [m.name for m in M.catalog(db, include_hidden=True, include_merged=True, include_absent=True)] == ["销售额"]
    assert db.rows("SELECT name FROM metrics") == [("销售额",)]
    assert M.dimensions(db) == ["区域"]
    with pytest.raises(KeyError):
        M.get_metric(db, "Refunds")
    # the same file imported again: its metrics come back, guessed as the first time
    _store(db, _orders_book(files))
    refunds = M.get_metric(db, "Refunds")
    assert refunds.present and refunds.direction == "down" and refunds.why("direction") == M.Reason("name", "Refund")


@BOTH
def test_a_metric_the_user_edited_outlives_the_undo_unoffered_and_comes_back_with_its_settings(db, files):
    from retro import metrics as M

    _store(db, _sales_book(files))
    orders = _store(db, _orders_book(files))
    M.update_metric(db, "Late fees", label_zh="滞纳金", direction="up")
    assert undo_import(db, orders.import_id)
    assert {m.name for m in M.catalog(db, include_hidden=True, include_merged=True)} == {"销售额"}  # not offered
    kept = M.get_metric(db, "Late fees")
    assert not kept.present and (kept.label_zh, kept.direction) == ("滞纳金", "up")
    assert "Refunds" not in {r[0] for r in db.rows("SELECT name FROM metrics")}  # nothing of the user's: gone
    _store(db, _orders_book(files, "orders_again.xlsx"))
    back = next(m for m in M.catalog(db) if m.name == "Late fees")
    assert (back.label_zh, back.direction, back.why("direction")) == ("滞纳金", "up", M.Reason("user"))


@BOTH
def test_undo_keeps_a_merge_target_and_a_derived_metrics_component(db, files):
    """Rows other settings point at stay: the values merged into a target still count as its own,
    and a derived metric's series reads its components."""
    from retro import metrics as M

    _store(db, _sales_book(files))
    orders = _store(db, _orders_book(files))
    M.merge_metrics(db, "销售额", "Refunds")  # (as a user would merge two names of one KPI)
    M.define_derived(db, "滞纳金占比", "ratio", "Late fees", "Refunds")
    assert undo_import(db, orders.import_id)
    names = {r[0] for r in db.rows("SELECT name FROM metrics")}
    assert names == {"销售额", "Refunds", "Late fees"}
    offered = {m.name for m in M.catalog(db)}
    assert "Refunds" in offered  # 销售额's values count as its own
    assert "Late fees" not in offered and "滞纳金占比" not in offered  # no data, nor has the ratio
    M.unmerge_metric(db, "销售额")
    M.delete_derived(db, "滞纳金占比")
    assert {m.name for m in M.catalog(db)} == {"销售额"}  # the catalog's next look lets the two rows go
    assert {r[0] for r in db.rows("SELECT name FROM metrics")} == {"销售额"}


# --------------------------------------------------------------------------- restatements


@BOTH
def test_a_restated_month_is_listed_old_to_new_before_and_after_the_import(db):
    from retro.ingest import analyze_bytes
    from retro.ingest.restatements import import_restatements, restated_values

    store_import(db, analyze_bytes(db, region_months({"华东": [10, 20], "华南": [5, 6]}), "2月.xlsx"))
    march = analyze_bytes(db, region_months({"华东": [10, 22, 30], "华南": [5, 6, 7]}), "3月.xlsx")
    before = restated_values(db, march)
    # 华东's February changed; January and 华南 came again unchanged: an overlap, not a restatement
    assert before[["metric", "period", "segment", "old", "new", "difference"]].values.tolist() == [
        ["销售额", "2026-02", "区域=华东", 20.0, 22.0, 2.0]]  # the year is no part of the name
    assert [list(files) for files in before["file_name"]] == [["2月.xlsx"]]
    stored = store_import(db, march)
    after = import_restatements(db, stored.import_id)
    assert after[["period", "segment", "old", "new"]].values.tolist() == [["2026-02", "区域=华东", 20.0, 22.0]]
    again = analyze_bytes(db, region_months({"华东": [10, 22, 30], "华南": [5, 6, 8]}), "3月修订.xlsx")
    assert restated_values(db, again)[["period", "old", "new"]].values.tolist() == [["2026-03", 7.0, 8.0]]
