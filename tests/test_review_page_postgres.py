"""The review workspace (pages/review.py) on PostgreSQL (issue 18): every test of tests/test_review_page.py —
problems with their 5-Whys, measures checked against the data, conflicts with someone else's save, deletes
undone and restored, lessons, tasks — run again through AppTest driven from app.py, with ``RETRO_DB`` a URL
of the throwaway server holding the sample (conftest's ``pg_app_sample_db``). The same bodies; no mocks."""

from __future__ import annotations

import pytest
from test_review_page import *  # noqa: F403 - every test of test_review_page.py, collected here with this db_file


@pytest.fixture
def db_file(pg_app_sample_db) -> str:
    """The app's database: a PostgreSQL URL (``fresh_db`` takes it as it takes a file)."""
    return pg_app_sample_db
