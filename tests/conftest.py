"""Shared fixtures for the importer tests.

The importer is driven in-process through its CLI, exactly as automation uses it::

    rc = retro.cli.main(["import", FILE, "--db", DB, "--json", ...])

which prints one JSON object on stdout. ``run_import`` returns ``(rc, json_dict)``
and checks that no traceback escaped. Stored rows are read back through a
read-only DuckDB connection that is closed straight after (``helpers.query``).

Expected values always come from ``fixtures_build`` (the numbers written into the
cells), never from the importer's own output.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
for _p in (str(REPO_ROOT), str(TESTS_DIR)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import fixtures_build as fb  # noqa: E402

CURRENT_YEAR = dt.date.today().year
TOL = 1e-6


def _close_app_connections() -> None:
    """Let go of the app's cached DuckDB connection so a read-only one can open the file."""
    try:
        from retro import db as retro_db
    except Exception:  # pragma: no cover - the app is not there yet
        return
    close_all = getattr(retro_db, "close_all", None)
    if close_all is not None:
        close_all()


# --------------------------------------------------------------------------- database reading


def query(db: Path | str, sql: str, params: list | None = None) -> list[tuple]:
    import duckdb

    _close_app_connections()
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def counts(db: Path | str) -> dict[str, int]:
    """Row counts of the tables an import writes; a missing file counts as empty."""
    if not Path(db).exists():
        return {"facts": 0, "imports": 0, "transactions": 0}
    return {
        table: query(db, f"SELECT count(*) FROM {table}")[0][0]
        for table in ("facts", "imports", "transactions")
    }


def period_label(day: dt.date, grain: str) -> str:
    if grain == "month":
        return f"{day.year}-{day.month:02d}"
    if grain == "quarter":
        assert day.month in (1, 4, 7, 10) and day.day == 1, f"quarter period not on its first day: {day}"
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if grain == "year":
        return f"{day.year}"
    return day.isoformat()


def stored_facts(
    db: Path | str, import_id: int, sheet_name: str | None = None, current_only: bool = False
) -> list[dict]:
    """The fact rows of one import as dicts (period as a label for its grain, dims as a dict)."""
    table = "current_facts" if current_only else "facts"
    sql = (
        f"SELECT sheet_name, period, grain, metric, unit, scenario, map_keys(dims), map_values(dims), "
        f"dims_key, value, replaced_by FROM {table} WHERE import_id = ?"
    )
    params: list = [import_id]
    if sheet_name is not None:
        sql += " AND sheet_name = ?"
        params.append(sheet_name)
    out = []
    for sheet, period, grain, metric, unit, scenario, keys, values, dims_key, value, replaced_by in query(
        db, sql, params
    ):
        out.append(
            {
                "sheet": sheet,
                "period": period_label(period, grain),
                "date": period,
                "grain": grain,
                "metric": metric,
                "unit": unit,
                "scenario": scenario,
                "dims": dict(zip(keys, values, strict=True)),
                "dims_key": dims_key,
                "value": value,
                "replaced_by": replaced_by,
            }
        )
    return out


def fact_key(row: dict) -> fb.Key:
    return fb.key(row["period"], row["dims"], row["metric"], row["scenario"])


# --------------------------------------------------------------------------- JSON checks


def sheet_by_name(result: dict, name: str) -> dict:
    matches = [s for s in result["sheets"] if s["sheet"] == name]
    assert len(matches) == 1, (
        f"sheet {name!r} not reported exactly once: {[s['sheet'] for s in result['sheets']]}"
    )
    return matches[0]


def only_sheet(result: dict) -> dict:
    assert len(result["sheets"]) == 1, [s.get("sheet") for s in result["sheets"]]
    return result["sheets"][0]


def warning_codes(sheet: dict) -> set[str]:
    for w in sheet["warnings"]:
        assert isinstance(w.get("code"), str) and w["code"], w
        assert isinstance(w.get("message"), str) and w["message"].strip(), w
    return {w["code"] for w in sheet["warnings"]}


def approx_equal(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=TOL)


ALWAYS_UNEXPECTED = {"error_cells", "unparsed_cells", "year_assumed"}


def check_sheet(
    sheet: dict, truth: fb.Truth, *, status: str = "imported", exact_rows: bool = True
) -> str | None:
    """Compare one sheet's JSON with the truth; returns the metric name when the truth leaves it open."""
    ctx = json.dumps(sheet, ensure_ascii=False)[:3000]
    assert sheet["status"] == status, ctx
    assert sheet["shape"] == truth.shape, ctx
    if exact_rows:
        assert sheet["rows"] == truth.rows, ctx
    assert sheet["periods"] == truth.periods, ctx
    assert sorted(sheet["dimensions"]) == sorted(truth.dimensions), ctx
    metric_name = None
    if truth.unnamed_metric:
        assert len(sheet["metrics"]) == 1, ctx
        metric_name = sheet["metrics"][0]
        assert isinstance(metric_name, str) and metric_name.strip(), ctx
    else:
        assert sorted(sheet["metrics"]) == truth.metrics, ctx
    assert sheet["scenarios"] == truth.scenarios, ctx

    check_totals(sheet, truth.totals(metric_name))

    codes = warning_codes(sheet)
    missing = truth.warnings - codes
    assert not missing, f"missing warnings {missing}: {ctx}"
    unexpected = (ALWAYS_UNEXPECTED - truth.warnings) & codes
    assert not unexpected, f"unexpected warnings {unexpected}: {ctx}"
    assert sheet.get("error") is None, ctx
    return metric_name


def check_totals(sheet: dict, expected: dict[tuple[str, str, str], float]) -> None:
    got: dict[tuple[str, str, str], float | None] = {}
    for t in sheet["totals"]:
        k = (t["metric"], t["scenario"], t["period"])
        assert k not in got, f"total reported twice: {k}"
        got[k] = t["value"]
    # A group whose values are all NULL may be left out or reported as null, never as 0.
    extra = {k: v for k, v in got.items() if k not in expected}
    assert all(v is None for v in extra.values()), f"unexpected totals: {extra}"
    missing = expected.keys() - got.keys()
    assert not missing, f"totals missing for {sorted(missing)}"
    wrong = {k: (got[k], v) for k, v in expected.items() if not approx_equal(got[k], v)}
    assert not wrong, f"totals (got, expected): {wrong}"


def check_db(
    db: Path | str,
    import_id: int,
    truth: fb.Truth,
    *,
    metric_name: str | None = None,
    sheet_name: str | None = None,
    allow_null_keys: list[fb.Key] | tuple = (),
) -> list[dict]:
    """Every stored fact of the import equals the truth, and every truth value is stored.

    ``allow_null_keys``: keys that may be either absent or stored as NULL (placeholders).
    """
    rows = stored_facts(db, import_id, sheet_name)
    stored: dict[fb.Key, float | None] = {}
    for r in rows:
        k = fact_key(r)
        assert k not in stored, f"value stored twice: {k}"
        stored[k] = r["value"]
        assert r["grain"] == truth.grain, r
        assert r["replaced_by"] is None, r
    expected = {}
    for (period, dims, metric, scenario), v in truth.values.items():
        if metric == fb.ANY_METRIC:
            assert metric_name, "check_sheet returns the metric name to use"
            metric = metric_name
        expected[(period, dims, metric, scenario)] = v
    for k in allow_null_keys:
        if k in stored:
            assert stored.pop(k) is None, f"placeholder stored as a number: {k}"
    assert stored.keys() == expected.keys(), (
        f"stored but not expected: {sorted(stored.keys() - expected.keys())[:10]}; "
        f"expected but not stored: {sorted(expected.keys() - stored.keys())[:10]}"
    )
    wrong = {k: (stored[k], v) for k, v in expected.items() if not approx_equal(stored[k], v)}
    assert not wrong, f"stored values (got, expected): {list(wrong.items())[:10]}"
    for metric, unit in truth.units.items():
        units = {r["unit"] for r in rows if r["metric"] == metric}
        assert units == {unit}, f"unit of {metric}: {units}"
    return rows


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def _isolated_default_db(tmp_path, monkeypatch):
    """Nothing in a test may touch data/retro.duckdb."""
    monkeypatch.setenv("RETRO_DB", str(tmp_path / "default_env.duckdb"))
    yield
    _close_app_connections()


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "t.duckdb"


@pytest.fixture
def files(tmp_path) -> Path:
    """A directory for the fixture files of one test."""
    d = tmp_path / "files"
    d.mkdir()
    return d


@pytest.fixture
def run_import(capsys, db_path):
    """``run_import(path, *extra_args, db=None) -> (rc, result)`` through ``retro.cli.main``."""

    def _run(path: Path | str, *args: str, db: Path | str | None = None) -> tuple[int, dict]:
        from retro.cli import main

        argv = ["import", str(path), "--db", str(db or db_path), "--json", *args]
        capsys.readouterr()  # drop anything printed before
        try:
            rc = main(argv)
        except SystemExit as exc:  # argparse-style exits still count as an exit code
            rc = exc.code
        out, err = capsys.readouterr()
        _close_app_connections()
        assert "Traceback" not in out and "Traceback" not in err, f"traceback escaped:\n{out}\n{err}"
        try:
            result = json.loads(out)
        except ValueError as exc:
            raise AssertionError(
                f"stdout is not one JSON object: {exc}\n--- stdout ---\n{out}\n--- stderr ---\n{err}"
            ) from exc
        assert isinstance(result, dict), out
        for k in ("file", "status", "import_id", "message", "error_code", "sheets"):
            assert k in result, f"missing key {k!r} in {out[:2000]}"
        return rc, result

    return _run


@pytest.fixture
def helpers():
    """The checking helpers of this module, for the test files."""
    return SimpleNamespace(
        query=query,
        counts=counts,
        stored_facts=stored_facts,
        fact_key=fact_key,
        sheet_by_name=sheet_by_name,
        only_sheet=only_sheet,
        warning_codes=warning_codes,
        check_sheet=check_sheet,
        check_totals=check_totals,
        check_db=check_db,
        approx_equal=approx_equal,
        current_year=CURRENT_YEAR,
    )


@pytest.fixture
def seeded_db(tmp_path, run_import):
    """A database already holding one good import (``fixtures_build.build_seed``)."""
    path, truth = fb.build_seed(tmp_path / "seed")
    db = tmp_path / "seeded.duckdb"
    rc, result = run_import(path, db=db)
    assert rc == 0 and result["status"] == "imported", result
    before = counts(db)
    assert before["facts"] == truth.rows and before["imports"] == 1, before
    return SimpleNamespace(path=db, import_id=result["import_id"], truth=truth, counts=before)


# --------------------------------------------------------------------------- AppTest


@pytest.fixture
def navigation_only(monkeypatch):
    """Make AppTest treat the app as st.navigation-only, as the server started by
    ``python -m retro.ui`` does: AppTest otherwise re-detects Streamlit's legacy ``pages/`` mode on
    every run and, from the second run on, executes the page file without app.py."""
    import streamlit.testing.v1.app_test as app_test_module
    from streamlit.runtime.pages_manager import PagesManager

    class NavigationPagesManager(PagesManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    monkeypatch.setattr(app_test_module, "PagesManager", NavigationPagesManager)
    yield
    PagesManager.uses_pages_directory = None


@pytest.fixture
def db_file() -> Path:
    """The database file the app under test uses (the autouse fixture above points RETRO_DB there)."""
    import os

    return Path(os.environ["RETRO_DB"])


@pytest.fixture(scope="session")
def sample_file(tmp_path_factory) -> Path:
    """A database holding the bundled sample, built once per run (copied per test by sample_db_file)."""
    from retro.bootstrap import ensure_first_start
    from retro.db import Database, close_all

    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    db = Database(path)
    ensure_first_start(db)
    db.close()
    close_all()
    return path


@pytest.fixture
def sample_db_file(sample_file, db_file) -> Path:
    """The app's database file, starting as a copy of the sample (no first-start import per test)."""
    import shutil

    from retro.db import close_all

    close_all()
    shutil.copy(sample_file, db_file)
    return db_file


def fresh_db(db_file: Path):
    """The database as a new process would open it (the app's connection let go first)."""
    from retro import db as retro_db

    retro_db.close_all()
    return retro_db.get_database(db_file)


# --------------------------------------------------------------------------- a database of hand-made data


@pytest.fixture
def db(tmp_path: Path):
    """A fresh DuckDB file with the schema migrated (tests override it where they need another)."""
    from retro.db import Database, close_all

    database = Database(tmp_path / "test.duckdb")
    yield database
    database.close()
    close_all()


def load_csv(db, tmp_path: Path, name: str, text: str) -> None:
    """Import a small CSV written in the test through the real importer."""
    from retro.ingest import analyze_bytes, store_import

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    analysis = analyze_bytes(db, path.read_bytes(), path.name)
    assert analysis.ready(), [s.error for s in analysis.sheets]
    store_import(db, analysis)


@pytest.fixture(scope="module")
def chromium() -> Iterator:
    """Debian's chromium through Playwright, one per test module (the browser tests share it)."""
    from browser_support import CHROMIUM, chromium_launch_kwargs
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**chromium_launch_kwargs())
        yield browser
        browser.close()


@pytest.fixture
def late_region(files, run_import, db_path):
    """``fixtures_build.build_region_error_cell`` imported through the CLI: four regions' 销售额
    plan and actual for 2026-04…06, 西南's June actual an error cell. The open Database."""
    from retro.db import Database

    path, truth = fb.build_region_error_cell(files)
    rc, result = run_import(path)
    assert rc == 0 and result["status"] == "imported", result
    assert "error_cells" in warning_codes(only_sheet(result))
    database = Database(db_path)
    yield database
    database.close()


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def postgres_server() -> Iterator:
    """One throwaway PostgreSQL per test run (tests/postgres_support.py), started on first use and
    stopped at the end. Missing binaries fail the test with how to install them; never a skip."""
    from postgres_support import PostgresMissing, PostgresServer

    try:
        server = PostgresServer().start()
    except PostgresMissing as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server) -> str:
    """The URL (with its password) of the throwaway server's ``postgres`` database."""
    return postgres_server.url()


@pytest.fixture
def pg_url(postgres_server) -> Iterator[str]:
    """A new empty database on the throwaway server for one test, dropped after it."""
    from retro.db import close_all

    url = postgres_server.create_database()
    yield url
    close_all()
    postgres_server.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture(scope="session")
def pg_sample_template(postgres_server) -> str:
    """A database holding the bundled sample after a first start (as ``sample_file`` is for DuckDB),
    built once per run; nobody stays connected, so tests copy it (``CREATE DATABASE … TEMPLATE``)."""
    from retro.bootstrap import ensure_first_start
    from retro.db import Database, close_all

    url = postgres_server.create_database("sample_template")
    db = Database(url)
    ensure_first_start(db)
    db.close()
    close_all()
    return "sample_template"


@pytest.fixture
def pg_app_db(pg_url, monkeypatch) -> str:
    """The app under test on an empty PostgreSQL database (as ``db_file`` is for DuckDB): ``RETRO_DB`` set
    to its URL, which a page module's ``db_file`` fixture returns instead of a file (``get_database`` and
    ``--db`` take either). The app's first start imports the sample into it, as into an empty file."""
    monkeypatch.setenv("RETRO_DB", pg_url)
    return pg_url


@pytest.fixture
def pg_app_sample_db(postgres_server, pg_sample_template, monkeypatch) -> Iterator[str]:
    """The same with the sample already in (as ``sample_db_file`` is for DuckDB): a fresh copy of the
    sample database made after a first start."""
    from retro.db import close_all

    url = postgres_server.create_database(template=pg_sample_template)
    monkeypatch.setenv("RETRO_DB", url)
    yield url
    close_all()
    postgres_server.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture
def pg_late_region(files, pg_db):
    """``late_region`` in PostgreSQL: the same workbook through the same importer (not the CLI)."""
    from retro.ingest import analyze_bytes, store_import

    path, _ = fb.build_region_error_cell(files)
    analysis = analyze_bytes(pg_db, path.read_bytes(), path.name)
    assert analysis.ready()
    store_import(pg_db, analysis)
    return pg_db


@pytest.fixture
def pg_db(pg_url):
    """That database opened through retro (migrated): what a module's ``db`` fixture is to run its tests on PostgreSQL."""
    from retro.db import Database, PostgresDatabase, close_all

    database = Database(pg_url)
    assert isinstance(database, PostgresDatabase)
    yield database
    database.close()
    close_all()
