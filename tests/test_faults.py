"""Lock and connection faults (issue 7): real processes holding the DuckDB file lock, and a real
invalidated connection — no mocks of DuckDB.

- Another process holds the file (a second ``python -m retro``, or the app while a command-line
  import runs): the CLI and the pages say so in the user's language, with no traceback, and the
  page works again on the next rerun once the file is free — no restart.
- DuckDB invalidates a connection after a fatal error ("database has been invalidated because of a
  previous fatal error"): provoked for real by letting a CHECKPOINT fail to write (RLIMIT_FSIZE below
  the write-ahead log's size); the app then hands out a fresh connection and nothing committed is lost.
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import fresh_db  # noqa: E402 - shared AppTest helpers

from retro.i18n import CATALOG, t

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "app.py"
SAMPLE = REPO / "data" / "sample" / "retro_sample.xlsx"
CJK = re.compile(r"[\u4e00-\u9fff]")

HOLD = """
import sys
from retro.db import get_database
db = get_database(sys.argv[1])
print("holding", flush=True)
sys.stdin.read()  # until the test closes our stdin
"""


@contextmanager
def holder(db_path: Path) -> Iterator[subprocess.Popen]:
    """A second retro process that opens the database (taking DuckDB's file lock) and keeps it."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(db_path)], cwd=REPO, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "holding", proc.stderr.read()
        yield proc
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "retro", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def busy_prefix(lang: str) -> str:
    return CATALOG["safety.db_busy"][lang].split("{")[0]


def counts(db_path: Path) -> tuple[int, int]:
    import duckdb

    from retro.db import close_all

    close_all()
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute("SELECT (SELECT count(*) FROM imports), (SELECT count(*) FROM fact_rows)").fetchone()
    finally:
        con.close()


# --------------------------------------------------------------------------- a second process holds the file


def test_the_cli_says_the_file_is_held_by_another_process(tmp_path):
    from retro.bootstrap import load_sample
    from retro.db import Database

    db_path = tmp_path / "held.duckdb"
    db = Database(db_path)
    load_sample(db)
    db.close()
    before = counts(db_path)
    with holder(db_path) as proc:
        done = cli("import", str(SAMPLE), "--db", str(db_path), "--json", "--lang", "zh", "--mode", "keep")
        assert done.returncode == 3, done.stderr
        assert "Traceback" not in done.stderr + done.stdout
        result = json.loads(done.stdout)
        assert result["status"] == "error" and result["error_code"] == "database_busy"
        assert result["message"].startswith(busy_prefix("zh")) and CJK.search(result["message"])
        assert str(proc.pid) in result["message"] and str(db_path) in result["message"]
        plain = cli("backup", "--db", str(db_path), "--out", str(tmp_path / "bk"), "--lang", "en")
        assert plain.returncode == 3 and plain.stderr.strip().startswith(busy_prefix("en")), plain.stderr
        assert "Traceback" not in plain.stderr and not CJK.search(plain.stderr.replace(str(db_path), ""))
    # the holder is gone: the same command works, and nothing was written meanwhile
    assert counts(db_path) == before
    again = cli("backup", "--db", str(db_path), "--out", str(tmp_path / "bk"))
    assert again.returncode == 0, again.stderr


@pytest.mark.usefixtures("navigation_only")
def test_a_page_says_the_file_is_held_and_works_again_once_it_is_free(db_file):
    from streamlit.testing.v1 import AppTest

    fresh_db(db_file)  # the file exists, migrated (the first start's sample comes later)
    from retro.db import close_all

    close_all()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = "zh"
    with holder(db_file) as proc:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        errors = [str(e.value) for e in at.error]
        assert len(errors) == 1 and errors[0].startswith(busy_prefix("zh")) and str(proc.pid) in errors[0], errors
        assert [b.label for b in at.button] == [t("safety.retry", "zh")]
        at.button[0].click().run()  # still held: the same message, still no exception
        assert not at.exception and [str(e.value) for e in at.error] == errors
    at.button[0].click().run()  # the other process has ended: the page opens, no restart
    assert not at.exception and not at.error, [str(e.value) for e in at.error]
    assert [x.value for x in at.title] == [t("home.title", "zh")]


@pytest.mark.usefixtures("navigation_only")
def test_a_cli_import_while_the_app_holds_the_file_is_refused_clearly(db_file, tmp_path):
    """The everyday case: the dashboard is running and someone runs ``python -m retro import``."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = "en"
    at.run()  # the app opens the file (and imports the sample on this first start)
    assert not at.exception
    done = cli("import", str(SAMPLE), "--db", str(db_file), "--lang", "en")
    assert done.returncode == 3 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().startswith(busy_prefix("en")) and str(os.getpid()) in done.stderr
    at.run()
    assert not at.exception and not at.error


# --------------------------------------------------------------------------- an invalidated connection


@contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """Writes past ``limit`` bytes fail with EFBIG (SIGXFSZ ignored) — for this process, briefly."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def invalidate(db) -> str:
    """Make DuckDB invalidate ``db`` for real: a CHECKPOINT that cannot write the write-ahead log.

    A committed write leaves the log ~200 KB long; with writes past 100 KB failing, the checkpoint
    fails, which DuckDB treats as fatal. Returns the error's text."""
    from retro.db import DatabaseUnavailable

    db.set_setting("fault_probe", "x" * 200_000)  # committed: must survive the fault
    wal = Path(str(db.path) + ".wal")
    assert wal.exists() and wal.stat().st_size > 150_000, "the write did not stay in the log"
    with file_size_limit(100_000), pytest.raises(DatabaseUnavailable) as failure, db.cursor() as cur:
        cur.execute("CHECKPOINT")
    assert failure.value.code == "invalidated"
    return failure.value.params["detail"]


def test_an_invalidated_connection_is_replaced_by_a_fresh_one(tmp_path):
    from retro.db import DatabaseUnavailable, close_all, get_database

    path = tmp_path / "fatal.duckdb"
    db = get_database(path)
    detail = invalidate(db)
    assert "FATAL" in detail or "checkpoint" in detail.lower()
    assert db.broken and not db.alive()
    with pytest.raises(DatabaseUnavailable) as again:  # DuckDB refuses everything after a fatal error
        db.scalar("SELECT 1")
    assert again.value.code == "invalidated"
    fresh = get_database(path)
    assert fresh is not db and fresh.alive()
    assert fresh.get_setting("fault_probe") == "x" * 200_000  # committed before the fault: kept
    fresh.set_setting("after", "1")  # and it writes
    close_all()


@pytest.mark.usefixtures("navigation_only")
def test_the_app_reconnects_after_duckdb_invalidated_its_connection(db_file):
    from streamlit.testing.v1 import AppTest

    from retro.db import get_database

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception
    at.switch_page("pages/history.py").run()
    rows_before = len(at.dataframe[0].value)
    broken = get_database(db_file)
    invalidate(broken)
    at.run()  # the next click: a fresh connection, the same data, no restart and no error
    assert not at.exception and not at.error, [str(e.value) for e in at.error]
    assert len(at.dataframe[0].value) == rows_before
    assert get_database(db_file) is not broken


@pytest.mark.usefixtures("navigation_only")
def test_a_connection_closed_under_a_session_is_reopened(db_file):
    """Another session's restore closes every connection of the process: the next rerun reopens."""
    from streamlit.testing.v1 import AppTest

    from retro.db import get_database

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    get_database(db_file)._con.close()  # what close_all() does to a connection a page still holds
    at.run()
    assert not at.exception and not at.error
