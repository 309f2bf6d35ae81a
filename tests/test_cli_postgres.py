"""The command line (retro/cli.py: import, series, score, review, report) on PostgreSQL (issue 18):
``--db postgresql://…`` (or ``RETRO_DB`` set to the URL) prints what ``--db FILE.duckdb`` prints for the
same imports and the same review, with the same exit codes, and never the password. A real throwaway
server (tests/postgres_support.py), real workbooks through the real importer, ``python -m retro`` as a
real process; no mocks. (backup and restore: tests/test_backup_postgres.py.)

Two kinds of test:
* the sample imported through the CLI into a DuckDB file and a PostgreSQL database, a review logged on
  both, then every command run on both and compared: text output exactly, JSON numbers to 12 digits,
  the files ``report`` writes by the text they hold;
* the tests of tests/test_cli.py that read or write a database, run again here with ``--db`` a URL
  (this module's ``db_path`` is PostgreSQL's, its ``helpers.counts`` counts through retro.db, and the
  mismatch tests' totals are read in SQL both engines run)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import fixtures_build as fb
import pytest
import test_cli as T
from test_cli import (  # noqa: F401 - collected here again with this module's db_path and helpers
    test_a_bad_row_option_is_refused,
    test_a_mismatch_stores_nothing_exits_with_its_own_code_and_says_the_fix,
    test_accept_mismatch_stores_the_rows_and_the_import_says_it_was_accepted,
    test_bad_input_exit_code_and_message_on_stderr,
    test_dry_run_stores_nothing,
    test_missing_file,
    test_sheet_option_imports_only_that_sheet,
    test_snapshot_needs_a_period_then_imports_with_one,
    test_text_output_already_imported,
    test_text_output_in_chinese_with_warnings_and_reconciliation,
    test_text_output_lists_every_sheet,
)
from test_report_postgres import READERS
from test_scoring_postgres import alike

from retro import reviews as R
from retro.cli import EXIT_DB_UNAVAILABLE, main
from retro.db import close_all, get_database, redact_url
from retro.sample import SAMPLE_PATH

REPO = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- test_cli.py's tests with --db a URL


@pytest.fixture
def db_path(pg_url) -> str:
    """test_cli's ``db_path``: what its tests give ``--db`` — here a new PostgreSQL database's URL."""
    return pg_url


def _counts(url: str) -> dict[str, int]:
    """conftest's ``counts`` (it opens a DuckDB file) through retro.db, so on the URL's database."""
    db = get_database(url)
    return {table: int(db.scalar(f"SELECT count(*) FROM {table}")) for table in ("facts", "imports", "transactions")}


@pytest.fixture
def helpers(helpers):
    """conftest's helpers, ``counts`` reading the PostgreSQL database."""
    return SimpleNamespace(**{**vars(helpers), "counts": _counts})


@pytest.fixture(autouse=True)
def _portable_totals(monkeypatch):
    """test_cli's mismatch tests read the stored totals with DuckDB's ``strftime``: the same totals,
    read in SQL both engines run (the month formatted in Python)."""
    def totals(db_path) -> dict[str, float]:
        rows = T._stored(db_path, "SELECT period, sum(value) FROM fact_rows GROUP BY period")
        return {f"{p.year}-{p.month:02d}": v for p, v in rows}

    monkeypatch.setattr(T, "_stored_totals", totals)


# --------------------------------------------------------------------------- both engines, compared


run = T._run  # ``python -m retro ARGV`` in this process: exit code, stdout, stderr


@pytest.fixture(scope="module")
def engines(tmp_path_factory, postgres_server):
    """The sample imported through the CLI into a DuckDB file and a PostgreSQL database, and the same
    review logged on both (problems with 5 Whys and a fishbone, a measure with a criterion, a task, lessons)."""
    import contextlib

    duck = str(tmp_path_factory.mktemp("cli") / "cli.duckdb")
    url = postgres_server.create_database()
    for target in (duck, url):
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["import", str(SAMPLE_PATH), "--db", target, "--json"]) == 0
        db = get_database(target)
        rid = R.create_review(db, grain="month", period="2026-10")
        pid = R.add_item(db, "problem", {"title": "华东获客成本", "metric": "销售额", "severity": "high",
                                         "whys": [{"why": "为什么", "because": "渠道投放不精准"}]}, review_id=rid)
        R.add_item(db, "problem", {"title": "新客不足", "fishbone": [{"branch": "method", "cause": "素材未更新"}]},
                   review_id=rid)
        R.add_item(db, "measure", {"problem_id": pid, "title": "调整投放", "owner": "李四", "due": dt.date(2026, 11, 30),
                                   "crit_metric": "销售额", "crit_op": ">=", "crit_value": 600.0, "crit_basis": "value",
                                   "crit_period": dt.date(2026, 10, 1)}, review_id=rid, today=dt.date(2026, 11, 2))
        R.add_item(db, "task", {"goal": "Q4 华东销售 +20%", "task": "优化线上渠道", "owner": "李四",
                                "start_date": dt.date(2026, 10, 1), "end_date": dt.date(2026, 11, 30)}, review_id=rid)
        R.add_item(db, "lesson", {"kind": "lesson", "text": "旺季前锁定运价", "problem_id": pid}, review_id=rid)
        R.create_review(db, grain="quarter", period="2026-Q3")
    close_all()  # the commands open their own, as a new process does
    yield SimpleNamespace(duck=duck, url=url, password=postgres_server.password)
    close_all()
    postgres_server.drop_database(url.rsplit("/", 1)[1])


STAMPS = ("created_at", "updated_at", "deleted_at", "imported_at")  # each engine's clock (docs/postgres.md)


def without_stamps(value):
    if isinstance(value, dict):
        return {k: without_stamps(v) for k, v in value.items() if k not in STAMPS}
    if isinstance(value, list):
        return [without_stamps(v) for v in value]
    return value


def both(capsys, engines, *argv: str) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """The command on the DuckDB file and on the PostgreSQL URL; the password in neither output."""
    a = run(capsys, *argv, "--db", engines.duck)
    b = run(capsys, *argv, "--db", engines.url)
    assert engines.password not in b[1] + b[2]
    return a, b


def same_json(a: str, b: str) -> dict:
    x, y = without_stamps(json.loads(a)), without_stamps(json.loads(b))
    assert not (diff := alike(x, y)), diff[:5]
    return x


# (command and its options, whether it prints JSON); exit codes 0 and 2 (bad input) both compared.
COMMANDS = [
    ("series --metric 销售额 --json", True),
    ("series --metric 销售额 --by 区域 --json", True),
    ("series --metric 销售额 --grain quarter --filter 区域=华东 --json", True),
    ("series --metric 满意度 --by 产品线 --json", True),  # like for like: its months hold other segments
    ("series --metric 订单数 --grain year --json", True),  # transactions
    ("series --metric 销售额 --scenario plan", False),
    ("series --metric 销售额 --by 区域", False),
    ("series --metric 没有这个", False),
    ("series --metric 销售额 --filter 区域", False),
    ("score --period 2026-10 --json", True),
    ("score --period 2026-Q3 --by 区域 --json", True),
    ("score --period 2026 --forecast straight --json", True),
    ("score --period 2026-10 --lang zh", False),
    ("score --period 2026-11 --by 区域", False),
    ("score --period 2026-13", False),
    ("score --period 2026-10 --by 没有", False),
    ("review --json", True),
    ("review --period 2026-10 --json", True),
    ("review --period 2026-10", False),
    ("review --id 2 --lang zh", False),
    ("review --period 2031-01", False),
    ("review --period someday", False),
]


@pytest.mark.parametrize(("command", "is_json"), COMMANDS, ids=[c for c, _ in COMMANDS])
def test_every_command_prints_the_same_on_both_engines(capsys, engines, command, is_json):
    (rc, out, err), (rc_pg, out_pg, err_pg) = both(capsys, engines, *command.split())
    assert rc == rc_pg and err == err_pg
    if is_json:
        assert rc == 0
        data = same_json(out, out_pg)
        assert data.get("rows") or data.get("problems")
    else:
        assert out == out_pg
        assert out or err


@pytest.mark.parametrize("fmt", ["md", "xlsx", "pdf", "pptx"])
def test_report_writes_the_same_report_on_both_engines(capsys, engines, tmp_path, fmt):
    written = []
    for target in (engines.duck, engines.url):
        out = tmp_path / f"{len(written)}.{fmt}"
        rc, said, err = run(capsys, "report", "--period", "2026-10", "--lang", "en", "--out", str(out), "--db", target,
                            *(["--section", "summary", "--section", "outcome", "--section", "problems"] if fmt != "md" else []))
        assert rc == 0 and err == "" and said.startswith(f"{out} ({fmt}, ")
        assert engines.password not in said
        written.append(READERS[fmt](out.read_bytes()))
    assert written[0] and not (diff := alike(*written)), diff[:5]
    assert "渠道投放不精准" in str(written[1])  # the review's root cause, read from PostgreSQL


@pytest.mark.parametrize("argv", [["report", "--period", "2026-13", "--out", "x.md"],
                                  ["report", "--period", "2026-10", "--section", "nope", "--out", "x.md"]])
def test_a_bad_report_option_is_refused_alike(capsys, engines, tmp_path, argv):
    argv = [a if a != "x.md" else str(tmp_path / "x.md") for a in argv]
    (rc, out, err), (rc_pg, out_pg, err_pg) = both(capsys, engines, *argv)
    assert rc == rc_pg == 2 and (out, err) == (out_pg, err_pg) and not (tmp_path / "x.md").exists()


def test_importing_again_a_dry_run_and_a_mismatch_alike_on_both_engines(capsys, engines, files):
    from browser_support import mismatch_workbook

    (rc, out, _), (rc_pg, out_pg, _) = both(capsys, engines, "import", str(SAMPLE_PATH), "--json")
    assert rc == rc_pg == 0 and same_json(out, out_pg)["status"] == "already_imported"
    path, _ = fb.build_two_good_sheets(files)
    (rc, out, _), (rc_pg, out_pg, _) = both(capsys, engines, "import", str(path), "--dry-run", "--json")
    assert rc == rc_pg == 0 and same_json(out, out_pg)["status"] == "dry_run"
    wb = mismatch_workbook(2026)
    (files / wb.name).write_bytes(wb.data)
    (rc, out, _), (rc_pg, out_pg, _) = both(capsys, engines, "import", str(files / wb.name), "--json")
    assert rc == rc_pg == 4 and same_json(out, out_pg)["status"] == "mismatch"
    (rc, out, err), (rc_pg, out_pg, err_pg) = both(capsys, engines, "import", str(files / wb.name), "--lang", "zh")
    assert rc == rc_pg == 4 and (out, err) == (out_pg, err_pg)


def test_retro_db_set_to_the_url_is_the_database_without_db(capsys, engines, monkeypatch, files):
    """``RETRO_DB=postgresql://…`` and no ``--db``: the same output as ``--db`` the URL, a new import
    stored in that database."""
    monkeypatch.setenv("RETRO_DB", engines.url)
    for argv in (["score", "--period", "2026-10", "--json"], ["review", "--period", "2026-10"],
                 ["series", "--metric", "销售额", "--by", "区域"]):
        assert run(capsys, *argv) == run(capsys, *argv, "--db", engines.url)
    path, truth = fb.build_seed(files)
    rc, out, err = run(capsys, "import", str(path), "--json")
    assert rc == 0 and json.loads(out)["status"] == "imported" and engines.password not in out + err
    assert int(get_database(engines.url).scalar("SELECT count(*) FROM imports")) == 2
    rc, out, err = run(capsys, "import", str(path))
    assert rc == 0 and out.startswith("This file was already imported (import #2)")


def test_python_m_retro_with_retro_db_the_url_prints_what_the_file_prints(engines):
    """A real process, ``RETRO_DB`` the URL: the scorecard the DuckDB file's process prints."""
    env = {k: v for k, v in os.environ.items() if k not in ("RETRO_DB", "RETRO_DB_PASSWORD", "PGPASSWORD")}
    argv = [sys.executable, "-m", "retro", "score", "--period", "2026-10", "--by", "区域", "--json"]
    on_pg = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
                           env={**env, "RETRO_DB": engines.url})
    assert on_pg.returncode == 0, on_pg.stderr
    assert engines.password not in on_pg.stdout + on_pg.stderr
    import contextlib

    with contextlib.redirect_stdout(io.StringIO()) as on_duck:
        assert main(argv[3:] + ["--db", engines.duck]) == 0
    assert json.loads(on_pg.stdout)["rows"] and same_json(on_duck.getvalue(), on_pg.stdout)


@pytest.mark.parametrize("argv", [["score", "--period", "2026-10"], ["import", "{seed}", "--json"], ["review", "--json"],
                                  ["series", "--metric", "销售额"], ["report", "--period", "2026-10", "--out", "{out}"]])
def test_a_wrong_password_exits_3_showing_the_url_without_any_password(capsys, engines, files, argv):
    """The server refuses the password: exit 3 and the URL as ``db.path`` shows it, in text and in JSON —
    neither the password given nor the right one, and no traceback."""
    wrong = engines.url.replace(engines.password, "not-the-password-" + engines.password[::-1])
    seed, _ = fb.build_seed(files)
    argv = [a.format(seed=seed, out=files / "r.md") for a in argv]
    rc, out, err = run(capsys, *argv, "--db", wrong)
    said = out + err
    assert rc == EXIT_DB_UNAVAILABLE, said
    assert redact_url(wrong) in said and "password authentication failed" in said
    assert engines.password not in said and engines.password[::-1] not in said
    if "--json" in argv:
        assert json.loads(out)["error_code"] == "database_unreachable"
    assert not (files / "r.md").exists()
