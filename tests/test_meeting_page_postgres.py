"""Meeting mode (pages/meeting.py) on PostgreSQL (issue 18): every test of tests/test_meeting_page.py —
one meeting from start to close in Chinese, every step in English for a viewer, a success kept in one
language and seen in the other, a region that did not report — run again through AppTest driven from
app.py, with ``RETRO_DB`` the URL of an empty database on the throwaway server, into which the first start imports
the sample as into an empty file (conftest's ``pg_app_db``).
The same bodies and the same expectations; no mocks."""

from __future__ import annotations

import pytest
from test_meeting_page import *  # noqa: F403 - every test of test_meeting_page.py, collected here with this db_file


@pytest.fixture
def db_file(pg_app_db) -> str:
    """The app's database: a PostgreSQL URL (``fresh_db`` and ``--db`` take it as they take a file)."""
    return pg_app_db
