"""retro.overview, the meeting's front page as data, on a real DuckDB file holding the bundled sample
(conftest's ``sample_db_file``). Expected numbers come from the modules the other pages read —
retro.scoring (the goals page), retro.metrics (the trends page), retro.reviews — or from SQL on the
file, never from retro.overview itself."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import fresh_db, load_csv  # noqa: E402 - shared fixtures and helpers

from retro import metrics as M
from retro import overview as O
from retro import reviews as R
from retro import scoring as S

PERIOD = "2026-10"  # the sample's newest complete month, what a session opens on


@pytest.fixture
def sample(sample_db_file):
    return fresh_db(sample_db_file)


def test_headline_kpis_are_the_goals_pages_targeted_kpis_with_its_numbers(sample):
    head = O.headline(sample, PERIOD)
    card = S.scorecard(sample, PERIOD, forecast="seasonal")  # what the goals page opens on
    targeted = [r for r in card.rows if r.has_target and not r.segment]
    assert [r.metric for r in head.rows] == [r.metric for r in targeted][:O.HEADLINE_MAX]
    assert {"销售额", "新增客户"} <= {r.metric for r in head.rows}  # the sample's plan and its 2026 targets
    for shown, scored in zip(head.rows, targeted, strict=False):
        assert (shown.attainment, shown.deviation, shown.status) == (scored.attainment, scored.deviation, scored.status)
    assert head.overall == card.overall
    assert head.counts["amber"] == sum(r.status == "amber" for r in card.rows)
    ranks = [S.STATUS_RANK[r.status] for r in head.rows]
    assert ranks == sorted(ranks), "red first"


def test_changes_are_the_month_before_from_the_series_window(sample):
    changes = O.changes(sample, PERIOD, ["销售额", "留存率"])
    assert (changes.period, changes.previous) == ("2026-10", "2026-09")
    assert [c.metric for c in changes.main] == ["销售额", "留存率"]
    sales = M.series(sample, "销售额").set_index("period")
    oct_, sep = dt.date(2026, 10, 1), dt.date(2026, 9, 1)
    shown = changes.main[0]
    assert shown.value == pytest.approx(sales.loc[oct_, "value"])
    assert shown.prev == pytest.approx(sales.loc[sep, "value"])
    assert shown.mom == pytest.approx(sales.loc[oct_, "value"] / sales.loc[sep, "value"] - 1)
    assert shown.tone == ("good" if shown.delta > 0 else "bad")
    # A rate's change is in points, the rate's own difference.
    retention = M.series(sample, "留存率").set_index("period")
    assert changes.main[1].delta == pytest.approx(retention.loc[oct_, "value"] - retention.loc[sep, "value"])

    # The movers: the other metrics, the largest relative change first.
    assert not {c.metric for c in changes.movers} & {"销售额", "留存率"}
    assert 0 < len(changes.movers) <= O.MOVERS_MAX
    moms = [abs(c.mom) for c in changes.movers]
    assert moms == sorted(moms, reverse=True)
    everything = {n: M.series(sample, n).set_index("period") for n in (m.name for m in M.catalog(sample))}
    rest = sorted((abs(f.loc[oct_, "mom"]) for n, f in everything.items()
                   if n not in ("销售额", "留存率") and oct_ in f.index and f.loc[oct_, "mom"] == f.loc[oct_, "mom"]),
                  reverse=True)
    assert moms == pytest.approx(rest[:len(moms)])

    # Where 销售额 moved: the segment with the largest change over its dimensions (the sample's 华东
    # coming back after the competitor's summer), as the trends page's breakdown says.
    driver = changes.driver
    assert (driver.metric, driver.dimension, driver.segment) == ("销售额", "区域", "华东")
    regions = M.breakdown(sample, "销售额", oct_, "区域").set_index("segment")
    assert driver.change == pytest.approx(regions.loc["华东", "change"])
    assert driver.contribution == pytest.approx(regions.loc["华东", "contribution"])


def test_a_month_with_nothing_before_it_has_no_change(sample):
    first = sample.scalar("SELECT strftime(min(period), '%Y-%m') FROM current_facts WHERE scenario = 'actual'")
    changes = O.changes(sample, first, ["销售额"])
    assert changes.main[0].value is not None
    assert changes.main[0].prev is None and changes.main[0].mom is None and changes.main[0].tone == "flat"
    assert changes.movers == ()


def test_main_metrics_start_with_the_headline_kpis(sample):
    head = O.headline(sample, PERIOD)
    main = O.main_metrics(sample, head)
    assert main[:len(head.rows)] == [r.metric for r in head.rows][:O.MAIN_MAX]
    assert len(main) == len(set(main)) <= O.MAIN_MAX


def test_open_and_overdue_measures(sample):
    monday = dt.date(2026, 11, 2)
    review = R.create_review(sample, grain="month", period=PERIOD)

    def measure(title: str, due: dt.date, status: str = "planned") -> int:
        return R.add_item(sample, "measure", {"title": title, "owner": "李四", "due": due, "status": status},
                          review_id=review, today=monday)

    late = measure("复盘华东渠道", dt.date(2026, 11, 10), "in_progress")
    soon = measure("调整投放", dt.date(2026, 11, 30))
    done = measure("客户回访", dt.date(2026, 11, 5), "done")  # done, waiting for its check: open, not overdue
    measure("旧措施", dt.date(2026, 11, 6), "verified")
    measure("放弃的", dt.date(2026, 11, 6), "dropped")
    gone = measure("删掉的", dt.date(2026, 11, 7))
    R.delete_item(sample, "measure", gone)

    plate = O.measures(sample, today=dt.date(2026, 11, 20))
    assert [m["id"] for m in plate.open] == [late, done, soon]  # overdue first, then by due date
    assert plate.count == 3 and plate.overdue == 1
    assert [m["overdue"] for m in plate.open] == [True, False, False]
    # The day it is due it is not overdue yet.
    assert O.measures(sample, today=dt.date(2026, 11, 10)).overdue == 0


def test_latest_import_and_own_data(sample, tmp_path):
    latest = O.latest_import(sample)
    assert latest.is_sample and latest.reconciled == "match"
    assert (latest.file_name, latest.values) == sample.one(
        "SELECT file_name, row_count FROM imports ORDER BY id DESC LIMIT 1")
    assert latest.sheets == tuple(sample.scalar("SELECT sheets FROM imports ORDER BY id DESC LIMIT 1"))
    assert O.own_data(sample) is False

    load_csv(sample, tmp_path, "华东月报.csv", "月份,区域,销售额\n2026-10,华东,120\n2026-10,华南,80\n")
    mine = O.latest_import(sample)
    assert mine.file_name == "华东月报.csv" and not mine.is_sample
    assert mine.values == 2 and (mine.period_min, mine.period_max) == ("2026-10", "2026-10")
    assert mine.imported_at >= latest.imported_at
    assert O.own_data(sample) is True
