"""The retention cohorts on the trends page beside the 留存率 card (issue 17): the sample's cohorts
show 5–25% of a month's new customers ordering again a month later while the 留存率 card shows
~88%. They measure different things, and the page says so under each; each cohort row names its
size (the month's new customers, as 新客户数 counts them), in the heatmap and in its table.

Driven from app.py through AppTest (as test_trends_page.py does), on a copy of the sample database.
Expected numbers come from retro.metrics on the same file; texts from the catalog.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import fresh_db  # noqa: E402 - shared AppTest helpers

from retro import metrics as M
from retro.i18n import t

pytestmark = pytest.mark.usefixtures("navigation_only", "sample_db_file")

APP = Path(__file__).resolve().parent.parent / "app.py"


def open_trends(lang: str, metric: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/trends.py")
    at.query_params["metric"] = metric
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def cohort_cells(at) -> dict:
    """The heatmap's cell layer (Streamlit inlines the chart's datasets into its layers' data)."""
    specs = [json.loads(c.proto.spec) for c in at.main.get("vega_lite_chart")]
    found = [layer for s in specs for layer in s.get("layer", []) if layer.get("name") == "cohort_cells"]
    assert len(found) == 1, [[layer.get("name") for layer in s.get("layer", [])] for s in specs]
    return found[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_cohort_names_its_size_and_the_page_says_what_each_retention_measures(sample_db_file, lang):
    db = fresh_db(sample_db_file)
    retention = next(m for m in M.catalog(db) if m.category == "retention" and m.source == "facts")  # 留存率
    new = M.series(db, M.TX_NEW).set_index("period")["value"]
    at = open_trends(lang, retention.name)
    assert at.session_state["trends_retention_open"] is True  # a retention metric opens the cohorts

    captions = [c.value for c in at.main.caption]
    assert t("cohort.measures", lang) in captions  # under the cohorts: repeat buying of new customers
    assert t("cohort.kpi_note", lang) in captions  # under the 留存率 card: the workbook's own figure

    # The heatmap's rows: "2026-10（67 人）", the size being that month's 新客户数.
    cells = cohort_cells(at)
    rows = {r["cohort"] for r in cells["data"]["values"]}
    october = t("cohort.row", lang, cohort="2026-10", size=f"{int(new.loc[dt.date(2026, 10, 1)]):,}")
    assert october in rows
    sizes = {r["cohort"]: r["size"] for r in cells["data"]["values"]}
    assert sizes[october] == new.loc[dt.date(2026, 10, 1)]
    assert {"cohort", "size"} <= {f["field"] for f in cells["encoding"]["tooltip"]}

    # The table beside it: the size column, each cohort's 新客户数.
    frames = [d.value for d in at.main.dataframe if t("cohort.size", lang) in d.value.columns]
    assert len(frames) == 1
    table = frames[0].groupby(t("charts.cohort", lang))[t("cohort.size", lang)].first()
    expected = {M.period_label(p, "month"): v for p, v in new.items() if M.period_label(p, "month") in table.index}
    assert len(expected) == len(table) and dict(table) == expected
