"""A metric named like a stored one from another source (retro/ingest/kpis.py)."""

from __future__ import annotations

import pytest
from browser_support import sheet_bytes

from retro.ingest import analyze_bytes, store_import
from retro.ingest.kpis import source_name, with_kpi

FINANCE = sheet_bytes("Finance", ["Month", "Sales", "COGS"], [["2017-01", 1_200_000, 800_000], ["2017-02", 1_300_000, 850_000]])


def _orders(month: str, rows: list[tuple[str, float]]) -> bytes:
    return sheet_bytes("Orders", ["Order Date", "Region", "Sales"], [[f"{month}-0{i + 3}", r, v] for i, (r, v) in enumerate(rows)])


def _kpi(sheet) -> list[tuple[str, str, dict]]:
    return [(r.decision, r.strength, r.params) for r in sheet.result.readings if r.decision.startswith("kpi")]


@pytest.mark.parametrize(("file_name", "name"), [("orders_2017-02.xlsx", "orders"), ("华东销售2026年3月.xlsx", "华东销售"),
                                                 ("2026.xlsx", "2026")])
def test_a_source_is_named_after_its_file_without_its_dates(file_name, name):
    assert source_name(file_name) == name


def test_same_name_other_dimensions_and_scale_is_a_new_metric_told_apart_and_asked(db):
    store_import(db, analyze_bytes(db, FINANCE, "finance 2017.xlsx"))
    orders = analyze_bytes(db, _orders("2017-02", [("East", 120.5), ("West", 80.0)]), "orders_2017-02.xlsx")
    sheet = orders.sheets[0]
    assert sheet.result.metrics == ["Sales · orders"]
    [(decision, strength, params)] = _kpi(sheet)
    assert (decision, strength, params["files"]) == ("kpi_new", "weak", ["finance 2017.xlsx"])
    assert set(params["why"]) == {"dimensions", "scale"}
    store_import(db, orders)
    # the finance Sales is untouched: the trends of 2017 still show the finance values alone
    assert db.rows("SELECT metric, sum(value) FROM current_facts GROUP BY 1 ORDER BY 1") == [
        ("COGS", 1_650_000.0), ("Sales", 2_500_000.0), ("Sales · orders", 200.5)]

    # next month's export of the same layout: stored under the name it got, not asked again
    march = analyze_bytes(db, _orders("2017-03", [("East", 10.0), ("West", 8.0)]), "orders March.xlsx")
    assert march.sheets[0].result.metrics == ["Sales · orders"]
    assert [(d, s) for d, s, _ in _kpi(march.sheets[0])] == [("kpi_new", "strong")]


def test_the_user_says_it_is_the_same_kpi_and_it_is_stored_under_the_one_name(db):
    store_import(db, analyze_bytes(db, FINANCE, "finance 2017.xlsx"))
    orders = analyze_bytes(db, _orders("2017-02", [("East", 120.5)]), "orders.xlsx")
    sheet = orders.sheets[0]
    from retro.ingest.analyze import Overrides, reread_sheet

    redone = reread_sheet(db, orders, sheet, with_kpi(sheet.overrides or Overrides(), "Sales", "same"))
    assert redone.result.metrics == ["Sales"]
    assert [d for d, _, _ in _kpi(redone)] == ["kpi_same"]


def test_the_same_kind_of_metric_from_another_file_is_a_continuation(db):
    store_import(db, analyze_bytes(db, sheet_bytes("2016", ["Month", "Sales"], [["2016-11", 1_000_000], ["2016-12", 1_100_000]]),
                                   "finance 2016.xlsx"))
    finance = analyze_bytes(db, FINANCE, "finance 2017 v2.xlsx")
    assert "Sales" in finance.sheets[0].result.metrics and not _kpi(finance.sheets[0])


def test_the_bundled_sample_never_makes_a_users_metric_another(db):
    """The sample's 销售额 is demo data: a user's 销售额 by 区域 keeps its name."""
    from retro.bootstrap import ensure_first_start

    assert ensure_first_start(db)
    assert db.scalar("SELECT count(*) FROM current_facts WHERE metric = '销售额'") > 0
    book = sheet_bytes("2026销售额", ["区域", "1月", "2月"], [["华东", 1.0, 2.0], ["华南", 3.0, 4.0]])
    sheet = analyze_bytes(db, book, "区域.xlsx").sheets[0]
    assert sheet.result.metrics == ["销售额"] and not _kpi(sheet)


def test_an_import_belongs_to_a_dataset_named_by_the_user_or_after_its_source(db):
    from retro.ingest import import_history

    store_import(db, analyze_bytes(db, FINANCE, "finance 2017.xlsx"), dataset="财务预算")
    store_import(db, analyze_bytes(db, _orders("2017-02", [("East", 1.0)]), "orders_2017-02.xlsx"))
    # next month's export of the orders layout: the dataset its layout had last time
    store_import(db, analyze_bytes(db, _orders("2017-03", [("East", 2.0)]), "export (3).xlsx"))
    history = import_history(db)
    assert list(history["dataset"]) == ["orders", "orders", "财务预算"]


def test_a_targets_file_beside_the_actuals_is_the_same_kpis_plan(db):
    """Actuals by region and product, targets by region only, in another file: plan and actual pair up."""
    actual = sheet_bytes("2026实际", ["月份", "区域", "产品", "销售额"],
                   [["2026-01", "华东", "A", 60.0], ["2026-01", "华东", "B", 40.0], ["2026-01", "华南", "A", 50.0]])
    store_import(db, analyze_bytes(db, actual, "actual.xlsx"))
    targets = sheet_bytes("2026目标", ["月份", "区域", "销售额目标"], [["2026-01", "华东", 110.0], ["2026-01", "华南", 55.0]])
    sheet = analyze_bytes(db, targets, "targets.xlsx").sheets[0]
    assert sheet.result.metrics == ["销售额"] and not _kpi(sheet), (sheet.result.metrics, _kpi(sheet))
