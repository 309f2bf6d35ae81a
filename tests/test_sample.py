"""The bundled sample workbook: deterministic, self-consistent, and in step with the committed file."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from retro import sample
from retro.sample import (
    KPI_METRICS,
    PRODUCT_LINES,
    REGIONS,
    sample_orders,
    sample_targets,
    sample_truth,
    write_sample_workbook,
)

ALL_MONTHS = [str(p) for p in pd.period_range("2024-11", "2026-10", freq="M")]


def _snapshot(path: Path) -> dict[str, dict]:
    """Everything an importer can see: values, number formats, merges, visibility."""
    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            "state": ws.sheet_state,
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "cells": [tuple((c.value, c.number_format) for c in row) for row in ws.iter_rows()],
        }
    return out


@pytest.fixture(scope="module")
def workbook_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample_workbook(tmp_path_factory.mktemp("sample") / "retro_sample.xlsx")


@pytest.fixture(scope="module")
def snapshot(workbook_path: Path) -> dict[str, dict]:
    return _snapshot(workbook_path)


def _values(snapshot: dict[str, dict], sheet: str) -> list[tuple]:
    return [tuple(v for v, _fmt in row) for row in snapshot[sheet]["cells"]]


def test_write_is_deterministic(tmp_path: Path, snapshot: dict[str, dict]) -> None:
    again = write_sample_workbook(tmp_path / "again.xlsx")
    assert _snapshot(again) == snapshot


def test_committed_sample_matches_fresh_write(snapshot: dict[str, dict]) -> None:
    committed = sample.SAMPLE_PATH
    assert committed.exists(), "run `python -m retro.sample` to generate the sample workbook"
    assert _snapshot(committed) == snapshot, "sample workbook is stale: run `python -m retro.sample`"


def test_workbook_is_small(workbook_path: Path) -> None:
    assert workbook_path.stat().st_size < 400_000


def test_sheet_order_hidden_and_empty_sheets(workbook_path: Path) -> None:
    wb = load_workbook(workbook_path)
    assert wb.sheetnames == ["销售月报", "KPI明细", "订单明细", "目标2026", "辅助", "备用"]
    assert wb["辅助"].sheet_state == "hidden"
    assert all(wb[name].sheet_state == "visible" for name in wb.sheetnames if name != "辅助")
    spare = wb["备用"]
    assert spare.max_row == 1 and spare.max_column == 1 and spare["A1"].value is None


def test_sales_sheet_layout(snapshot: dict[str, dict]) -> None:
    rows = _values(snapshot, "销售月报")
    assert rows[0][0] == "2026年度销售额月报（单位：万元）"
    assert all(v is None for v in rows[1])
    assert rows[2][:4] == ("区域", "产品线", "1月", None)
    assert rows[2][24] == "12月"
    assert rows[3][2:] == ("计划", "实际") * 12
    assert rows[16][0] == "合计"
    assert all(v is None for v in rows[17])
    assert rows[18][0] == "数据来源：CRM系统导出 2026-11-02"
    assert len(rows) == 19
    merged = snapshot["销售月报"]["merged"]
    for rng in ("A1:Z1", "A3:A4", "B3:B4", "C3:D3", "Y3:Z3", "A5:A7", "A14:A16", "A17:B17"):
        assert rng in merged


def test_sales_totals_row_equals_sum_of_rows_above(snapshot: dict[str, dict]) -> None:
    rows = _values(snapshot, "销售月报")
    data, totals = rows[4:16], rows[16]
    for col in range(2, len(totals)):
        column = [r[col] for r in data]
        if all(v is None for v in column):
            # Future months (11月/12月 actual) are blank, and so is their total.
            assert totals[col] is None
            continue
        assert all(isinstance(v, int | float) for v in column)
        assert isinstance(totals[col], int | float)
        assert round(sum(column), 2) == pytest.approx(totals[col], abs=1e-9)


def test_sales_sheet_matches_truth(snapshot: dict[str, dict]) -> None:
    truth = sample_truth()
    sales = truth[(truth["metric"] == "销售额") & truth["period"].str.startswith("2026-")]
    expected = {(r.period, r.region, r.product_line, r.scenario): r.value for r in sales.itertuples()}
    rows = _values(snapshot, "销售月报")
    seen = {}
    region = None
    for row in rows[4:16]:
        region = row[0] or region  # region cells are merged over their product lines
        for m in range(1, 13):
            for offset, scenario in ((0, "plan"), (1, "actual")):
                value = row[2 + 2 * (m - 1) + offset]
                if value is not None:
                    seen[(f"2026-{m:02d}", region, row[1], scenario)] = value
    assert seen == pytest.approx(expected)
    assert len([k for k in expected if k[3] == "plan"]) == 12 * 12
    assert len([k for k in expected if k[3] == "actual"]) == 10 * 12


def test_kpi_sheet_matches_truth(snapshot: dict[str, dict]) -> None:
    truth = sample_truth()
    actual = truth[truth["scenario"] == "actual"]
    expected = {(r.period, r.region, r.product_line, r.metric): r.value for r in actual.itertuples()}
    rows = snapshot["KPI明细"]["cells"]
    header = tuple(v for v, _ in rows[0])
    assert header == (
        "月份",
        "区域",
        "产品线",
        "销售额(万元)",
        "新增客户(家)",
        "留存率",
        "满意度",
        "获客成本(元)",
        "成本(万元)",
    )
    assert len(rows) == 1 + 24 * 12
    text_cells = {}
    for row in rows[1:]:
        (month, month_fmt), (region, _), (line, _) = row[:3]
        assert month_fmt == "yyyy-mm" and month.day == 1
        period = f"{month.year:04d}-{month.month:02d}"
        for (metric, *_rest), (value, fmt) in zip(KPI_METRICS, row[3:], strict=True):
            want = expected[(period, region, line, metric)]
            if isinstance(value, str):
                text_cells[(period, region, line, metric)] = value
                continue
            assert value == pytest.approx(want), (period, region, line, metric)
            if metric == "留存率":
                assert fmt == "0.0%" and 0 < value < 1
            if metric == "满意度":
                assert 1 <= value <= 5
    assert text_cells == {
        sample.MISSING_CELL: "—",
        sample.TEXT_NUMBER_CELL: text_cells[sample.TEXT_NUMBER_CELL],
    }
    text_number = text_cells[sample.TEXT_NUMBER_CELL]
    assert re.fullmatch(r"\d{1,3}(,\d{3})+", text_number)
    assert float(text_number.replace(",", "")) == expected[sample.TEXT_NUMBER_CELL]
    assert math.isnan(expected[sample.MISSING_CELL])


def test_truth_covers_kpi_grid() -> None:
    truth = sample_truth()
    assert list(truth.columns) == ["period", "region", "product_line", "metric", "unit", "scenario", "value"]
    assert not truth.duplicated(["period", "region", "product_line", "metric", "scenario"]).any()
    actual = truth[truth["scenario"] == "actual"]
    for metric, unit, _header, _decimals in KPI_METRICS:
        rows = actual[actual["metric"] == metric]
        assert set(rows["unit"]) == {unit}
        assert sorted(rows["period"].unique()) == ALL_MONTHS
        assert set(rows["region"]) == set(REGIONS) and set(rows["product_line"]) == set(PRODUCT_LINES)
        assert len(rows) == 24 * 4 * 3
    plan = truth[truth["scenario"] == "plan"]
    assert set(plan["metric"]) == {"销售额"}
    assert sorted(plan["period"].unique()) == [f"2026-{m:02d}" for m in range(1, 13)]
    assert truth["value"].isna().sum() == 1


def test_targets_sheet_matches_truth(snapshot: dict[str, dict]) -> None:
    rows = _values(snapshot, "目标2026")
    assert rows[0] == ("年份", "月份", "区域", "指标", "单位", "版本", "数值")
    targets = sample_targets()
    assert len(rows) - 1 == len(targets) == 12 * 4
    for row, t in zip(rows[1:], targets.itertuples(), strict=True):
        assert row[:6] == (2026, f"{int(t.period[5:])}月", t.region, "新增客户", "家", "目标")
        assert row[6] == pytest.approx(t.value)
    # A target is last year's same month plus 15%, so it is reachable but not given.
    truth = sample_truth()
    new = truth[(truth["metric"] == "新增客户") & (truth["period"] == "2025-03")]
    east = new[new["region"] == "华东"]["value"].sum()
    target = targets[(targets["period"] == "2026-03") & (targets["region"] == "华东")]["value"].item()
    assert target == round(east * 1.15)


def test_orders_sheet_keeps_leading_zeros_and_text_ids(workbook_path: Path) -> None:
    ws = load_workbook(workbook_path)["订单明细"]
    assert [c.value for c in ws[1]] == ["订单号", "下单日期", "客户ID", "区域", "产品线", "渠道", "金额(元)"]
    ids = []
    for order_cell, date_cell, customer_cell in ws.iter_rows(min_row=2, max_col=3):
        assert customer_cell.data_type == "s" and order_cell.data_type == "s"
        assert date_cell.is_date
        ids.append(customer_cell.value)
    assert all(re.fullmatch(r"C\d{5}", i) for i in ids)
    assert sum(i.startswith("C0") for i in ids) > 50
    orders = sample_orders()
    assert ids == list(orders["customer_id"])


def test_orders_shape_and_reconciliation() -> None:
    orders = sample_orders()
    assert 2_500 <= len(orders) <= 3_500
    assert orders["order_id"].is_unique
    assert orders["order_id"].str.fullmatch(r"SO20(24|25|26)\d{6}").all()
    assert set(orders["channel"]) == {"线上", "线下", "代理"}
    # Customers come back across months, so retention cohorts have something to show.
    months_per_customer = orders.groupby("customer_id")["order_date"].apply(
        lambda s: len({(d.year, d.month) for d in s})
    )
    assert (months_per_customer > 1).mean() > 0.3
    truth = sample_truth()
    sales = truth[(truth["metric"] == "销售额") & (truth["scenario"] == "actual")]
    expected = sales.set_index(["period", "region", "product_line"])["value"]
    period = orders["order_date"].map(lambda d: f"{d.year:04d}-{d.month:02d}")
    by_cell = orders.groupby([period, orders["region"], orders["product_line"]])["amount"].sum()
    got = (by_cell / 10_000).round(2)
    got.index.names = expected.index.names
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)


def test_story_huadong_august_drop() -> None:
    truth = sample_truth()
    east = truth[(truth["region"] == "华东") & (truth["metric"] == "销售额") & (truth["period"] == "2026-08")]
    by_scenario = east.groupby("scenario")["value"].sum()
    attainment = by_scenario["actual"] / by_scenario["plan"]
    assert 0.7 < attainment < 0.85
    others = truth[
        (truth["region"] != "华东") & (truth["metric"] == "销售额") & (truth["period"] == "2026-08")
    ]
    other = others.groupby("scenario")["value"].sum()
    assert other["actual"] / other["plan"] > 0.9
