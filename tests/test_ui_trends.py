"""The trends page's views (retro/ui/trends.py) on the bundled sample: fetched in one batch, they are
exactly what fetching each series alone gives, and the batch leaves nothing for the page to fetch."""

from __future__ import annotations

import json

import pytest

from retro import charts
from retro import metrics as M
from retro.bootstrap import load_sample
from retro.db import Database
from retro.memo import clear_all
from retro.ui import trends as V


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    db = Database(path)
    load_sample(db)
    db.close()
    return str(path)


def _plain(value):
    """A view as JSON, its frames and specs included: what the page would draw."""
    def default(x):
        if isinstance(x, charts.Spec):
            return charts.spec_of(x)
        if hasattr(x, "to_json"):
            return json.loads(x.to_json(orient="split", date_format="iso", default_handler=str))
        if hasattr(x, "__dataclass_fields__"):
            return {k: getattr(x, k) for k in x.__dataclass_fields__}
        return str(x)
    return json.loads(json.dumps(value, default=default, sort_keys=True))


def _view(path: str, metric: str, grain: str, by: str | None, filters: tuple, prefetch: bool) -> dict:
    from retro.db import get_database

    version = get_database(path).data_version()
    catalog = V.catalog(path, version)
    cards = M.key_metrics(metric, catalog)
    options, last = V.period_options(path, version, metric, grain)
    periods = tuple(options[-24:])
    period = M.truncate(M.period_start(last), grain)
    label = M.period_label(period, grain)
    if prefetch:
        V.prefetch(path, version, V.view_series(metric, grain, by, filters, [(n, filters) for n in cards]))
        before = V._series.memo.misses
    line = V.trend_view(path, version, metric, grain, filters, periods, period, label, 2.0, None, True, False, "zh")
    shown = {
        "line": line,
        "cards": [V.card(path, version, n, grain, filters, period, last) for n in cards],
        "split": V.breakdown_view(path, version, metric, grain, by, filters, "mom", period, label,
                                  line["partial_now"], periods, 2.0, None, False, "zh") if by else None,
        "anomalies": V.anomaly_table(path, version, metric, grain, by, filters, 2.0, None, periods, "zh"),
    }
    if prefetch:  # the batch held every series the view read: none was fetched on its own
        assert V._series.memo.misses == before
    return _plain(shown)


@pytest.mark.parametrize(("metric", "grain", "by", "filters"), [
    ("销售额", "month", "区域", ()),
    ("销售额", "quarter", "产品线", (("区域", ("华东",)),)),
    ("留存率", "month", "区域", (("产品线", ("企业版", "基础版")),)),
    (M.TX_CUSTOMERS, "month", None, ()),
])
def test_a_view_from_one_batch_is_the_view_from_each_series_alone(sample, metric, grain, by, filters):
    clear_all()
    alone = _view(sample, metric, grain, by, filters, prefetch=False)
    clear_all()
    batched = _view(sample, metric, grain, by, filters, prefetch=True)
    assert batched == alone
    assert alone["line"]["has_values"] > 0 and len(alone["cards"]) >= 2
