"""The goals page (pages/goals.py) on PostgreSQL (issue 18): every test of tests/test_goals_page.py — the
sample's scorecard, targets edited in the data editor and through the SMART form, deleted and restored,
a problem logged from a red KPI, lazy tabs — run again through AppTest driven from app.py, with
``RETRO_DB`` the URL of an empty database on the throwaway server, into which the first start imports the
sample as into an empty file (conftest's ``pg_app_db``). The same bodies; no mocks."""

from __future__ import annotations

import pytest
from test_goals_page import *  # noqa: F403 - every test of test_goals_page.py, collected here with this db_file


@pytest.fixture
def db_file(pg_app_db) -> str:
    """The app's database: a PostgreSQL URL (``fresh_db`` and ``--db`` take it as they take a file)."""
    return pg_app_db
