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

import contextlib
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
        # what a team does instead: the dashboard's own pages, or PostgreSQL for imports beside it
        assert "「导入数据」" in result["message"] and "postgresql://" in result["message"], result["message"]
        plain = cli("backup", "--db", str(db_path), "--out", str(tmp_path / "bk"), "--lang", "en")
        assert plain.returncode == 3 and plain.stderr.strip().startswith(busy_prefix("en")), plain.stderr
        assert "Traceback" not in plain.stderr and not CJK.search(plain.stderr.replace(str(db_path), ""))
        assert "Import page" in plain.stderr and "PostgreSQL (RETRO_DB=postgresql://" in plain.stderr, plain.stderr
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


# --------------------------------------------------------------------------- read-only, full, damaged files (issue 19)
#
# Real faults, no mocks. Read-only: a file retro may not write — chmod for a normal user; as root
# (who writes through chmod) a tmpfs mounted here and remounted read-only. Disk full: a 1 MB tmpfs
# filled to the last byte, so DuckDB's writes meet ENOSPC. Damaged: random bytes, and a real database
# cut in half. Root with CAP_SYS_ADMIN can mount; anyone else gets chmod and no disk-full case.


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@contextmanager
def tiny_disk(tmp_path: Path, size: str = "1m") -> Iterator[Path]:
    """A real filesystem of ``size`` bytes (a tmpfs) at a folder in ``tmp_path``; unmounted after."""
    where = tmp_path / "disk"
    where.mkdir()
    if os.geteuid() != 0 or not _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)):
        pytest.skip("cannot mount a small filesystem here (needs root with CAP_SYS_ADMIN): no real full disk")
    try:
        yield where
    finally:
        from retro.db import close_all

        close_all()
        _mount("-o", "remount,rw", str(where))
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(folder: Path) -> None:
    """Write until the filesystem holding ``folder`` has no byte left (unbuffered: each write meets ENOSPC)."""
    for name, size in (("filler.bin", 65536), ("filler-2.bin", 1)):  # then the last few bytes, one at a time
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            while True:
                os.write(fd, b"\0" * size)
        except OSError:
            pass
        finally:
            os.close(fd)


@contextmanager
def read_only(path: Path, disk: Path | None = None) -> Iterator[None]:
    """``path`` (and its folder) cannot be written while the block runs: chmod, or for root the
    filesystem ``disk`` it is on remounted read-only."""
    if os.geteuid() == 0:
        assert disk is not None and _mount("-o", "remount,ro", str(disk)), "remounting read-only failed"
        try:
            yield
        finally:
            _mount("-o", "remount,rw", str(disk))
    else:
        path.chmod(0o444)
        path.parent.chmod(0o555)
        try:
            yield
        finally:
            path.parent.chmod(0o755)
            path.chmod(0o644)


def sample_copy(sample_file: Path, where: Path) -> Path:
    import shutil

    target = where / "retro.duckdb"
    shutil.copy(sample_file, target)
    return target


def page_errors(at) -> list[str]:
    assert not at.exception, [e.value for e in at.exception]
    return [str(e.value) for e in at.error]


def app_on(db_path: Path, monkeypatch, lang: str = "en"):
    from streamlit.testing.v1 import AppTest

    from retro.db import close_all

    close_all()
    monkeypatch.setenv("RETRO_DB", str(db_path))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = lang
    return at


def fault_text(code: str, lang: str, path: Path) -> str:
    from retro.ui import md

    return t(f"safety.db_{code}", lang, path=md(path))


def test_classify_names_the_fault_from_duckdbs_own_words(tmp_path):
    import duckdb

    from retro.db import classify

    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(os.urandom(20_000))
    with pytest.raises(duckdb.IOException) as raw:
        duckdb.connect(str(garbage))
    assert classify(raw.value) == "corrupted"
    assert classify('IO Error: Could not write file "x": No space left on device') == "disk_full"
    assert classify('IO Error: Cannot open file "x": Read-only file system') == "read_only"
    assert classify('IO Error: Cannot open file "x": Permission denied') == "read_only"
    assert classify("Binder Error: column x not found") is None  # a bug is not a fault: it propagates
    assert classify("File too large") is None


@pytest.mark.usefixtures("navigation_only")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_read_only_database_file_gets_a_page_that_says_what_to_do(sample_file, tmp_path, monkeypatch, lang):
    with tiny_disk(tmp_path, "16m") if os.geteuid() == 0 else contextlib.nullcontext(tmp_path) as disk:
        db_path = sample_copy(sample_file, disk)
        before = counts(db_path)
        with read_only(db_path, disk):
            at = app_on(db_path, monkeypatch, lang)
            at.run()
            errors = page_errors(at)
            assert errors == [fault_text("read_only", lang, db_path)], errors
            assert [b.label for b in at.button] == [t("safety.retry", lang)]
            at.switch_page("pages/trends.py").run()  # every page: the same page, no traceback
            assert page_errors(at) == errors
        at.button[0].click().run()  # writable again: the dashboard opens, no restart
        assert not page_errors(at)
        assert counts(db_path) == before  # nothing lost


@pytest.mark.usefixtures("navigation_only")
def test_a_full_disk_gets_a_page_that_says_free_space_and_nothing_was_lost(sample_file, tmp_path, monkeypatch):
    with tiny_disk(tmp_path, "8m") as disk:
        db_path = sample_copy(sample_file, disk)
        before = counts(db_path)
        fill(disk)
        at = app_on(db_path, monkeypatch, "zh")
        at.run()
        errors = page_errors(at)
        assert errors == [fault_text("disk_full", "zh", db_path)], errors
        assert "磁盘已满" in errors[0] and "没有丢失" in errors[0]
        for filler in disk.glob("filler*.bin"):
            filler.unlink()  # space freed: Try again opens the dashboard
        at.button(key="_db_retry").click().run()
        assert not page_errors(at)
        assert counts(db_path) == before


@pytest.mark.usefixtures("navigation_only")
def test_a_write_that_meets_a_full_disk_says_so_and_keeps_what_was_stored(sample_file, tmp_path, monkeypatch):
    """The disk fills up while the dashboard is open: the next write (an undo's backup) is refused with
    the full-disk page, no half-written backup folder is left, and the data is as it was."""
    with tiny_disk(tmp_path, "12m") as disk:
        db_path = sample_copy(sample_file, disk)
        before = counts(db_path)
        at = app_on(db_path, monkeypatch, "en")
        at.run()
        assert not page_errors(at)
        fill(disk)
        at.button(key="clear_sample").click().run()  # backs up first: EXPORT DATABASE meets ENOSPC
        errors = page_errors(at)
        assert len(errors) == 1 and errors[0].startswith(CATALOG["safety.db_disk_full"]["en"].split("{")[0]), errors
        backups = db_path.parent / "backups"
        assert not backups.exists() or not [p for p in backups.iterdir() if p.is_dir()]  # no empty folder left
        for filler in disk.glob("filler*.bin"):
            filler.unlink()
        assert counts(db_path) == before


@pytest.mark.usefixtures("navigation_only")
@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_file_offers_the_latest_backup_and_restores_it_in_one_click(sample_file, tmp_path, monkeypatch,
                                                                             damage):
    from retro.backup import backup, backups_dir
    from retro.db import Database, close_all

    db_path = sample_copy(sample_file, tmp_path)
    before = counts(db_path)
    db = Database(db_path)
    saved = backup(db, backups_dir(db_path), label="auto-before-undo-1")
    db.close()
    close_all()
    if damage == "garbage":
        db_path.write_bytes(os.urandom(200_000))
    else:
        with open(db_path, "r+b") as f:
            f.truncate(db_path.stat().st_size // 2)
    damaged = db_path.read_bytes()
    at = app_on(db_path, monkeypatch, "en")
    at.run()
    errors = page_errors(at)
    assert errors == [fault_text("corrupted", "en", db_path)], errors
    from retro.ui import md

    assert any(saved.name in str(i.value) or md(saved.name) in str(i.value) for i in at.info), [i.value for i in at.info]
    at.button(key="_db_restore_latest").click().run()
    assert not page_errors(at)
    assert [x.value for x in at.title] == [t("home.title", "en")]
    assert counts(db_path) == before  # the backup's data is back
    kept = [p for p in tmp_path.iterdir() if ".damaged-" in p.name]
    assert len(kept) == 1 and kept[0].read_bytes() == damaged  # the damaged file is kept, not deleted
    assert any(md(saved.name) in str(s.value) for s in at.success), [s.value for s in at.success]


@pytest.mark.usefixtures("navigation_only")
def test_a_damaged_file_without_a_backup_says_so(tmp_path, monkeypatch):
    db_path = tmp_path / "retro.duckdb"
    db_path.write_bytes(os.urandom(50_000))
    at = app_on(db_path, monkeypatch, "zh")
    at.run()
    assert page_errors(at) == [fault_text("corrupted", "zh", db_path)]
    assert not [b for b in at.button if b.key == "_db_restore_latest"]
    assert len(at.info) == 1 and "没有备份" in str(at.info[0].value)


def test_a_backup_whose_parquet_does_not_match_is_refused_and_changes_nothing(sample_file, tmp_path):
    import duckdb

    from retro.backup import BackupError, backup, restore
    from retro.db import Database, close_all

    db_path = sample_copy(sample_file, tmp_path)
    before = counts(db_path)
    db = Database(db_path)
    folder = backup(db, tmp_path / "bk")
    db.close()
    close_all()
    # The settings table's file replaced by one of another shape (columns this retro does not have).
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 1 AS nothing_like_it, 'x' AS other) TO '{folder / 'settings.parquet'}' (FORMAT parquet)")
    con.close()
    with pytest.raises(BackupError) as refused:
        restore(db_path, folder)
    assert refused.value.code == "backup_schema" and refused.value.params["table"] == "settings"
    text = t("safety.backup.error.backup_schema", "zh", **refused.value.params)
    assert "数据库没有改动" in text
    assert counts(db_path) == before
    assert not list(tmp_path.glob("*.restoring*"))  # the staging file went with the failure


KILLED_RESTORE = """
import os, signal, sys
from pathlib import Path
import retro.backup as B
data = Path(sys.argv[2]).read_bytes()
real = B._restore
def stop_midway(*args, **kw):  # the staging file and the unpacked upload exist: killed right here
    print("restoring", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
B._restore = stop_midway
B.restore_zip(sys.argv[1], data)
"""


def test_a_killed_restores_leftovers_are_removed_at_the_next_start(sample_file, tmp_path):
    import tempfile

    from retro import bootstrap
    from retro.backup import backup_zip
    from retro.db import Database, close_all

    db_path = sample_copy(sample_file, tmp_path)
    db = Database(db_path)
    name, data = backup_zip(db, tmp_path / "bk")
    db.close()
    close_all()
    upload = tmp_path / name
    upload.write_bytes(data)
    staging = db_path.with_name(db_path.name + ".restoring")
    staging.write_bytes(b"half a restored file")  # what a restore killed while loading leaves
    empty = db_path.parent / "backups" / "retro-20260101-000000-000000-auto-before-undo-3"
    empty.mkdir(parents=True)  # a backup killed before its first file
    killed = subprocess.Popen([sys.executable, "-c", KILLED_RESTORE, str(db_path), str(upload)], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL and "restoring" in out, err
    unpacked = list(Path(tempfile.gettempdir()).glob(f"retro-restore-{killed.pid}-*"))
    assert unpacked and staging.exists()  # the killed restore's upload, unpacked, and its staging file
    removed = bootstrap.clean_leftovers_once(db_path)  # the next start
    assert staging in removed and not staging.exists()
    assert empty in removed and not empty.exists()
    assert all(p in removed and not p.exists() for p in unpacked)
    assert (tmp_path / "bk").is_dir() and [p for p in (tmp_path / "bk").iterdir()]  # a real backup is kept
    assert bootstrap.clean_leftovers_once(db_path) == []  # once per start


def test_leftovers_of_a_restore_still_running_elsewhere_are_left_alone(tmp_path):
    from retro.backup import clean_leftovers
    from retro.db import Database, close_all

    db_path = tmp_path / "retro.duckdb"
    staging = db_path.with_name(db_path.name + ".restoring")
    Database(staging).close()
    close_all()
    with holder(staging):  # another process has the staging file open: a restore in progress
        assert staging not in clean_leftovers(db_path)
        assert staging.exists()
    assert staging in clean_leftovers(db_path)
