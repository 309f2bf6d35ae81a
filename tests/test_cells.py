"""retro.ingest.cells: numbers typed as text, periods written the many ways people write them, units."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest

from retro.ingest.cells import (
    Period,
    excel_serial_to_date,
    parse_number,
    parse_period,
    period_from_any_label,
    period_from_date,
    period_from_label,
    slash_date_order,
    split_unit,
    unit_in_title,
    year_in_text,
)

# --------------------------------------------------------------------------- numbers

NUMBERS_OK = [
    ("1,234", 1234.0),
    ("(1,234)", -1234.0),
    ("85%", 0.85),
    ("12.5%", 0.125),
    ("1.2万", 12000.0),
    ("3亿", 300000000.0),
    ("1.23亿元", 123000000.0),
    ("¥1,200", 1200.0),
    ("￥1,200", 1200.0),
    ("(¥1,200)", -1200.0),
    ("-¥1,200", -1200.0),
    ("100元", 100.0),
    ("RMB 1200", 1200.0),
    ("１２３４", 1234.0),  # full-width digits
    ("１，２３４．５", 1234.5),  # full-width digits, comma and point
    ("８５％", 0.85),
    ("－５", -5.0),
    ("-5", -5.0),
    ("−5", -5.0),  # U+2212 minus sign
    ("+7", 7.0),
    ("1e3", 1000.0),
    ("1.5e-3", 0.0015),
    ("1,234,567.89", 1234567.89),
    ("  42  ", 42.0),
    (".5", 0.5),
    ("0", 0.0),
    ("50‰", 0.05),
    ("3.5 万", 35000.0),
    (1234, 1234.0),
    (12.5, 12.5),
    (0, 0.0),
]


@pytest.mark.parametrize(("cell", "value"), NUMBERS_OK)
def test_parse_number_ok(cell, value):
    got = parse_number(cell)
    assert got.status == "ok", (cell, got)
    assert got.value is not None and math.isclose(got.value, value, rel_tol=1e-12, abs_tol=1e-15), (cell, got)


def test_percent_is_exact():
    # 85% must be stored as 0.85, not 0.8500000000000001 (totals and reconciliation compare exactly)
    assert parse_number("85%").value == 0.85
    assert parse_number("7%").value == 0.07
    assert parse_number("0.1%").value == 0.001


@pytest.mark.parametrize("cell", ["—", "——", "-", "--", "–", "N/A", "n/a", "NA", "", "   ", None, "无", "/", "null", float("nan")])
def test_parse_number_blank_tokens(cell):
    got = parse_number(cell)
    assert got.status == "blank", (cell, got)
    assert got.value is None


@pytest.mark.parametrize("cell", ["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#div/0!"])
def test_parse_number_excel_errors(cell):
    got = parse_number(cell)
    assert got == parse_number(cell.upper())
    assert got.status == "error" and got.value is None, (cell, got)


@pytest.mark.parametrize("cell", ["abc", "待定", "12.3.4", "1/2", "e5", "%", "万", "--5", "1万2", True, False, "2026-01"])
def test_parse_number_unparsed(cell):
    got = parse_number(cell)
    assert got.status == "unparsed", (cell, got)
    assert got.value is None  # never a silent 0


def test_generated_numbers_round_trip():
    """Values written with thousands separators, as percents, in 万/亿, negative in brackets, full width."""
    rng = random.Random(20260101)
    fullwidth = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")
    for _ in range(2000):
        v = round(rng.uniform(-5e8, 5e8), rng.choice([0, 1, 2]))
        if rng.random() < 0.2:
            v = float(rng.randint(-999, 999))
        plain = f"{v:,.2f}" if v != int(v) else f"{int(v):,}"
        for text in (plain, f"{v:.2f}", plain.translate(fullwidth), f"¥{plain}"):
            got = parse_number(text)
            assert got.status == "ok", text
            assert math.isclose(got.value, v, rel_tol=1e-12, abs_tol=1e-9), (text, got, v)
        if v < 0:
            bracketed = f"({abs(v):,.2f})"
            assert math.isclose(parse_number(bracketed).value, v, rel_tol=1e-12), bracketed

        rate = round(rng.uniform(0, 1.5), 4)
        got = parse_number(f"{rate * 100:.2f}%")
        assert math.isclose(got.value, rate, rel_tol=1e-9, abs_tol=1e-12), (rate, got)

        wan = round(rng.uniform(0, 99999), rng.choice([0, 1, 2]))
        got = parse_number(f"{wan}万")
        assert math.isclose(got.value, wan * 1e4, rel_tol=1e-12), (wan, got)
        yi = round(rng.uniform(0, 50), 2)
        got = parse_number(f"{yi}亿")
        assert math.isclose(got.value, yi * 1e8, rel_tol=1e-12), (yi, got)


# --------------------------------------------------------------------------- periods

PERIODS = [
    (dt.datetime(2026, 10, 5, 13, 30), "day", "2026-10-05"),
    (dt.date(2026, 10, 5), "day", "2026-10-05"),
    ("2026-10-05", "day", "2026-10-05"),
    ("2026-10-05 00:00:00", "day", "2026-10-05"),
    ("2026/10/1", "day", "2026-10-01"),
    ("2026.10.05", "day", "2026-10-05"),
    ("2026年10月5日", "day", "2026-10-05"),
    ("2026年10月", "month", "2026-10"),
    ("2026年10月份", "month", "2026-10"),
    ("２０２６年１０月", "month", "2026-10"),
    ("2026-10", "month", "2026-10"),
    ("2026-1", "month", "2026-01"),
    ("2026/10", "month", "2026-10"),
    ("202610", "month", "2026-10"),
    ("10月", "month", "????-10"),
    ("10月份", "month", "????-10"),
    ("十月", "month", "????-10"),
    ("十一月", "month", "????-11"),
    ("十二月", "month", "????-12"),
    ("一月", "month", "????-01"),
    ("Jan", "month", "????-01"),
    ("January", "month", "????-01"),
    ("Sept", "month", "????-09"),
    ("Jan-26", "month", "2026-01"),
    ("Jan 2026", "month", "2026-01"),
    ("Dec-25", "month", "2025-12"),
    ("Q3", "quarter", "????-Q3"),
    ("q3", "quarter", "????-Q3"),
    ("2026Q3", "quarter", "2026-Q3"),
    ("2026-Q3", "quarter", "2026-Q3"),
    ("2026 Q3", "quarter", "2026-Q3"),
    ("Q3 2026", "quarter", "2026-Q3"),
    ("2026年第三季度", "quarter", "2026-Q3"),
    ("2026年3季度", "quarter", "2026-Q3"),
    ("第三季度", "quarter", "????-Q3"),
    ("2026年", "year", "2026"),
    ("2026年度", "year", "2026"),
    ("2026", "year", "2026"),
    ("FY2026", "year", "2026"),
]


@pytest.mark.parametrize(("cell", "grain", "label"), PERIODS)
def test_parse_period(cell, grain, label):
    p = parse_period(cell)
    assert p is not None, cell
    assert (p.grain, p.label) == (grain, label), (cell, p)


@pytest.mark.parametrize(
    "cell",
    ["华东", "销售额", "12345", None, 2026, 202610, 46023, True, "", "total", "合计",
     "2026-13", "2026-02-30", "13月", "0月", "Q5", "1月实际", "abc 2026"],
)
def test_not_a_period(cell):
    assert parse_period(cell) is None, (cell, parse_period(cell))


def test_period_label_and_start():
    assert Period("month", 2026, 10).label == "2026-10"
    assert Period("month", 2026, 10).start == dt.date(2026, 10, 1)
    assert Period("quarter", 2026, 3).label == "2026-Q3"
    assert Period("quarter", 2026, 3).start == dt.date(2026, 7, 1)
    assert Period("quarter", 2026, 4).start == dt.date(2026, 10, 1)
    assert Period("year", 2026).label == "2026"
    assert Period("year", 2026).start == dt.date(2026, 1, 1)
    assert Period("day", 2026, 2, 9).label == "2026-02-09"
    assert Period("day", 2026, 2, 9).start == dt.date(2026, 2, 9)
    assert Period("month", None, 3).label == "????-03"
    with pytest.raises(ValueError):
        _ = Period("month", None, 3).start
    assert Period("month", None, 3).with_year(2025) == Period("month", 2025, 3)


@pytest.mark.parametrize("label", ["2026", "2026-Q1", "2026-Q4", "2026-01", "2026-12", "2026-02-28"])
def test_period_label_round_trip(label):
    assert period_from_label(label).label == label


def test_period_from_label_rejects_partial_and_junk():
    for bad in ("????-03", "10月", "junk", ""):
        with pytest.raises(ValueError):
            period_from_label(bad)
    assert period_from_any_label("????-03") == Period("month", None, 3)
    assert period_from_any_label("????-Q2") == Period("quarter", None, 2)
    assert period_from_any_label("2026-03") == Period("month", 2026, 3)


def test_period_from_date():
    d = dt.date(2026, 8, 17)
    assert period_from_date(d, "month").label == "2026-08"
    assert period_from_date(d, "quarter").label == "2026-Q3"
    assert period_from_date(d, "year").label == "2026"
    assert period_from_date(d, "day").label == "2026-08-17"


def test_periods_sort_chronologically_within_a_grain():
    labels = ["2026-10", "2025-12", "2026-02", "2026-01"]
    assert [p.label for p in sorted(parse_period(x) for x in labels)] == ["2025-12", "2026-01", "2026-02", "2026-10"]


# --------------------------------------------------------------------------- units, years, serials


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("销售额(万元)", ("销售额", "万元")),
        ("销售额（万元）", ("销售额", "万元")),
        ("销售额 ( 万元 )", ("销售额", "万元")),
        ("销售额（单位：万元）", ("销售额", "万元")),
        ("销售额[万元]", ("销售额", "万元")),
        ("销售额【万元】", ("销售额", "万元")),
        ("客户数/人", ("客户数", "人")),
        ("金额/元", ("金额", "元")),
        ("留存率(%)", ("留存率", "%")),
        ("收入(含税)(万元)", ("收入(含税)", "万元")),
        ("满意度", ("满意度", None)),
        ("  满意度  ", ("满意度", None)),
        ("销售额/区域", ("销售额/区域", None)),  # not a unit after the slash
        ("(万元)", ("(万元)", None)),  # nothing left for a name: leave it alone
    ],
)
def test_split_unit(header, expected):
    assert split_unit(header) == expected


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("2026年度销售额月报（单位：万元）", 2026),
        ("2025销售额", 2025),
        ("FY2026", 2026),
        ("销售_2024-12.xlsx", 2024),
        ("报表2025-2026", 2025),
        ("1990年", 1990),
        ("2099", 2099),
        ("1989年", None),
        ("2100年", None),
        ("12026", None),
        ("123456", None),
        ("月报", None),
        ("", None),
        (None, None),
    ],
)
def test_year_in_text(text, year):
    assert year_in_text(text) == year


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("2026年度销售月报（单位：万元）", "万元"),
        ("单位: 元", "元"),
        ("单位：家；数据来源：CRM", "家"),
        ("Revenue (unit: USD)", "USD"),
        ("2026年度销售月报", None),
        (None, None),
    ],
)
def test_unit_in_title(text, unit):
    assert unit_in_title(text) == unit


def test_excel_serial_to_date_range():
    assert excel_serial_to_date(46023) == dt.date(2026, 1, 1)
    assert excel_serial_to_date(46023.75) == dt.date(2026, 1, 1)  # the time of day is dropped
    assert excel_serial_to_date(32874) == dt.date(1990, 1, 1)
    assert excel_serial_to_date(73051) == dt.date(2100, 1, 1)
    # outside 1990–2100: an amount or a count, not a date
    for serial in (32873, 73052, 0, 1, 1234, 202610, -5):
        assert excel_serial_to_date(serial) is None, serial


# --------------------------------------------------------------------------- slash dates and weeks


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("1/22/20", "2020-01-22"),
        ("7/18/2018", "2018-07-18"),
        ("22/01/2020", "2020-01-22"),  # can only be day first
        ("2/3/20", "2020-02-03"),  # either: month first, as US exports write it
        ("1/22/20 10:30", "2020-01-22"),
        ("2024-W05", "2024-W05"),
        ("2024W5", "2024-W05"),
        ("2024 week 5", "2024-W05"),
        ("W05 2024", "2024-W05"),
        ("2024年第5周", "2024-W05"),
        ("第5周", "????-W05"),
        ("Week 5", "????-W05"),
    ],
)
def test_slash_dates_and_iso_weeks(text, label):
    assert parse_period(text).label == label


def test_a_week_starts_on_its_iso_monday_and_is_stored_as_that_day():
    week = parse_period("2024-W05")
    assert week.start == dt.date(2024, 1, 29) and week.stored_grain == "day"
    assert period_from_any_label("????-W05") == Period("week", None, 5)


@pytest.mark.parametrize("text", ["W5", "13/13/2020", "2021-W53", "2024-W54", "1/32/20"])
def test_what_is_no_slash_date_or_week(text):
    assert parse_period(text) is None  # 'W5' is as often a warehouse as a week; 2021 had 52 weeks


def test_the_sheets_order_decides_an_ambiguous_slash_date():
    assert parse_period("2/3/20", day_first=True).label == "2020-03-02"
    assert parse_period("22/01/2020", day_first=False) is None
    assert slash_date_order(["1/22/20", "2/3/20"]) == (False, "strong", "1/22/20")
    assert slash_date_order(["2/3/20", "22/1/20"]) == (True, "strong", "22/1/20")
    assert slash_date_order(["2/3/20", "4/5/20"]) == (False, "weak", "2/3/20")
    assert slash_date_order(["13/1/20", "1/13/20"])[1] == "weak"  # both kinds: asked
    assert slash_date_order(["2026-01", None, "销售额"]) == (None, "strong", None)
