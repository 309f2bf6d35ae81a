"""The review workspace's domain (retro/reviews.py) on PostgreSQL (issue 18): the tests of
tests/test_reviews.py that read or write a database, run again on a PostgreSQL database of the throwaway
server — the same bodies, the same hand-worked numbers (this module's ``db`` fixture is PostgreSQL's).
A real server (tests/postgres_support.py), real CSVs through the real importer; no mocks."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import test_reviews as T
from test_reviews import *  # noqa: F403 - every test of test_reviews.py, collected here with this db

from retro import reviews as R
from retro.cli import main

# Its DuckDB body closes the file for the CLI and names it by path; on PostgreSQL the CLI is given the
# URL itself (below), the rest of the body the same.
del test_cli_review_json  # noqa: F821


@pytest.fixture
def db(pg_db):
    """The imported tests' database, on the throwaway PostgreSQL (conftest's ``pg_db``)."""
    return pg_db


def test_cli_review_json_on_postgresql(data, capsys, pg_url):
    db = data
    rid = R.create_review(db, grain="month", period="2026-09")
    pid = R.add_item(db, "problem", {"title": "华东获客成本", "whys": [{"why": "为什么", "because": "因为"}]},
                     review_id=rid)
    R.add_item(db, "measure", T.measure(problem_id=pid, crit_metric="获客成本", crit_op="<=", crit_value=0.8,
                                        crit_basis="plan", crit_segment={"区域": "华东"}, due=dt.date(2026, 9, 30)),
               review_id=rid, today=dt.date(2026, 9, 1))
    capsys.readouterr()
    assert main(["review", "--db", pg_url, "--period", "2026-09", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["review"]["label"] == "2026-09"
    assert out["problems"][0]["whys"] == [{"why": "为什么", "because": "因为"}]
    assert out["problems"][0]["status"] == "measures_set"  # its first measure moved it on
    check = out["measures"][0]["verification"]
    assert (check["state"], check["actual"], check["target"]) == ("met", 80.0, 80.0)
    assert main(["review", "--db", pg_url, "--period", "2031-01", "--json"]) == 2
