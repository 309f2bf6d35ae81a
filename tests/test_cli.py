"""retro.cli: the human-readable output mode, exit codes, and ``python -m retro`` as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import fixtures_build as fb
import pytest

from retro.cli import EXIT_BAD_INPUT, EXIT_OK, main

REPO = Path(__file__).resolve().parent.parent


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        rc = main(list(argv))
    except SystemExit as exc:
        rc = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return rc, out, err


def test_text_output_lists_every_sheet(capsys, files, db_path, helpers):
    path, truth = fb.build_hidden_and_empty(files)
    rc, out, err = _run(capsys, "import", str(path), "--db", str(db_path))
    assert rc == EXIT_OK == 0
    lines = out.splitlines()
    assert lines[0] == f"Imported {truth.rows} rows covering 2026-01 … 2026-01."
    assert "- 旧数据: skipped · hidden sheet, skipped" in lines
    assert "- 空白: skipped · empty sheet, skipped" in lines
    assert f"- 销售: imported · wide by measure (a column per metric) · {truth.rows} rows · 2026-01 … 2026-01" in lines
    assert err == ""
    assert helpers.counts(db_path)["facts"] == truth.rows


def test_text_output_in_chinese_with_warnings_and_reconciliation(capsys, files, db_path):
    path, truth = fb.build_totals_row(files, "合计")
    rc, out, _ = _run(capsys, "import", str(path), "--db", str(db_path), "--lang", "zh")
    assert rc == 0
    assert out.startswith(f"导入完成：{truth.rows} 行")
    assert "按周期展开" in out
    warning_lines = [line for line in out.splitlines() if line.startswith("    ! ")]
    assert any("合计行" in line for line in warning_lines), out
    recon = [line for line in out.splitlines() if line.startswith("    = ")]
    assert recon and all("一致" in line for line in recon), out


def test_text_output_already_imported(capsys, files, db_path, helpers):
    path, _ = fb.build_seed(files)
    assert _run(capsys, "import", str(path), "--db", str(db_path))[0] == 0
    before = helpers.counts(db_path)
    rc, out, _ = _run(capsys, "import", str(path), "--db", str(db_path))
    assert rc == 0
    assert out.startswith("This file was already imported (import #1); nothing changed.")
    assert helpers.counts(db_path) == before


def test_dry_run_stores_nothing(capsys, files, db_path, helpers):
    path, sheets = fb.build_two_good_sheets(files)
    rc, out, _ = _run(capsys, "import", str(path), "--db", str(db_path), "--dry-run")
    assert rc == 0
    assert "- 销售: ready" in out and "- 客户: ready" in out
    assert helpers.counts(db_path) == {"facts": 0, "imports": 0, "transactions": 0}


def test_sheet_option_imports_only_that_sheet(capsys, files, db_path, helpers):
    path, sheets = fb.build_two_good_sheets(files)
    rc, out, _ = _run(capsys, "import", str(path), "--db", str(db_path), "--sheet", "客户")
    assert rc == 0
    assert "- 销售: skipped · not selected" in out.splitlines()
    assert helpers.counts(db_path)["facts"] == sheets["客户"].rows


@pytest.mark.parametrize(
    ("make", "extra", "message"),
    [
        (lambda d: fb.bad_png_renamed(d)[0], (), "This file (.xlsx) does not contain a spreadsheet"),
        (lambda d: fb.bad_password_protected(d)[0], (), "The workbook is password-protected."),
        (lambda d: fb.build_two_good_sheets(d)[0], ("--sheet", "nope"), "There is no sheet named “nope”. Sheets: 销售, 客户."),
        (lambda d: fb.build_snapshot(d)[0], ("--period", "someday"), "“someday” is not a period"),
        (lambda d: fb.bad_text_only(d)[0], (), "has no numbers to import"),
    ],
    ids=["png", "password", "no_such_sheet", "bad_period", "no_numbers"],
)
def test_bad_input_exit_code_and_message_on_stderr(capsys, files, db_path, helpers, make, extra, message):
    path = make(files)
    rc, out, err = _run(capsys, "import", str(path), "--db", str(db_path), *extra)
    assert rc == EXIT_BAD_INPUT == 2
    assert out == ""
    assert message in err
    assert helpers.counts(db_path)["imports"] == 0


def test_missing_file(capsys, tmp_path, db_path):
    rc, out, err = _run(capsys, "import", str(tmp_path / "nope.xlsx"), "--db", str(db_path))
    assert rc == EXIT_BAD_INPUT
    assert "nope.xlsx" in err


def test_snapshot_needs_a_period_then_imports_with_one(capsys, files, db_path, helpers):
    path, truth = fb.build_snapshot(files)
    rc, _, err = _run(capsys, "import", str(path), "--db", str(db_path))
    assert rc == EXIT_BAD_INPUT
    assert "say which period it belongs to" in err
    rc, out, _ = _run(capsys, "import", str(path), "--db", str(db_path), "--period", "2026-10")
    assert rc == 0 and "2026-10 … 2026-10" in out
    assert helpers.counts(db_path)["facts"] == truth.rows


@pytest.mark.parametrize(
    "argv",
    [[], ["import"], ["export", "x"], ["import", "x.xlsx", "--mode", "merge"], ["import", "x.xlsx", "--year", "abc"]],
)
def test_usage_errors_exit_non_zero(capsys, argv):
    rc, _, err = _run(capsys, *argv)
    assert rc not in (0, None)
    assert "usage:" in err


def test_db_defaults_to_retro_db(capsys, files, tmp_path, monkeypatch, helpers):
    target = tmp_path / "via_env.duckdb"
    monkeypatch.setenv("RETRO_DB", str(target))
    path, truth = fb.build_seed(files)
    rc, _, _ = _run(capsys, "import", str(path))
    assert rc == 0
    assert helpers.counts(target)["facts"] == truth.rows


def test_python_m_retro_end_to_end(files, tmp_path, helpers):
    path, truth = fb.build_long_plan_actual(files)
    db = tmp_path / "sub.duckdb"
    env = {k: v for k, v in os.environ.items() if k != "RETRO_DB"}
    env["RETRO_DB"] = str(tmp_path / "unused.duckdb")
    proc = subprocess.run(
        [sys.executable, "-m", "retro", "import", str(path), "--db", str(db), "--json"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "imported" and result["file"] == path.name
    sheet = helpers.only_sheet(result)
    assert sheet["rows"] == truth.rows
    assert sheet["periods"] == truth.periods
    assert sheet["scenarios"] == truth.scenarios == ["actual", "plan"]
    helpers.check_totals(sheet, truth.totals())
    assert helpers.counts(db) == {"facts": truth.rows, "imports": 1, "transactions": 0}
    assert not (tmp_path / "unused.duckdb").exists()

    bad = subprocess.run(
        [sys.executable, "-m", "retro", "import", str(fb.bad_png_renamed(files)[0]), "--db", str(db)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert bad.returncode == 2
    assert "does not contain a spreadsheet" in bad.stderr and "Traceback" not in bad.stderr


# --------------------------------------------------------------------------- a sheet that differs from its own totals


def _mismatch_file(files) -> tuple[Path, object]:
    from browser_support import mismatch_workbook

    wb = mismatch_workbook(2026)
    path = files / wb.name
    path.write_bytes(wb.data)
    return path, wb


def _stored(db_path, sql: str) -> list[tuple]:
    from retro.db import get_database

    return [tuple(r) for r in get_database(db_path).rows(sql)]  # the CLI's own connection to the file


def _stored_totals(db_path) -> dict[str, float]:
    return dict(_stored(db_path, "SELECT strftime(period, '%Y-%m'), sum(value) FROM fact_rows GROUP BY 1"))


def test_a_mismatch_stores_nothing_exits_with_its_own_code_and_says_the_fix(capsys, files, db_path):
    from retro.cli import EXIT_MISMATCH

    path, wb = _mismatch_file(files)
    rc, out, err = _run(capsys, "import", str(path), "--db", str(db_path), "--json")
    assert rc == EXIT_MISMATCH
    result = json.loads(out)
    assert result["status"] == "mismatch" and result["import_id"] is None
    why = result["sheets"][0]["mismatch"]
    assert why["code"] == "stored_row" and why["rows"] == [wb.stray_row]
    assert why["fix_flags"] == [f"--skip-row {wb.sheet}:{wb.stray_row}"]
    assert f"Row {wb.stray_row} holds exactly the difference" in why["message"]
    assert _stored_totals(db_path) == {}

    # the fix it names: the row left out, the import agrees with the sheet and is stored
    rc, out, _ = _run(capsys, "import", str(path), "--db", str(db_path), "--json", "--skip-row", f"{wb.sheet}:{wb.stray_row}")
    assert rc == EXIT_OK, out
    result = json.loads(out)
    assert result["sheets"][0]["reconciled"] == "match"
    assert _stored_totals(db_path) == wb.totals
    assert _stored(db_path, "SELECT reconciled FROM imports") == [("match",)]


def test_accept_mismatch_stores_the_rows_and_the_import_says_it_was_accepted(capsys, files, db_path):
    path, wb = _mismatch_file(files)
    rc, out, _ = _run(capsys, "import", str(path), "--db", str(db_path), "--json", "--accept-mismatch")
    assert rc == EXIT_OK, out
    assert _stored_totals(db_path) == {"2026-01": wb.totals["2026-01"] + 7.5, "2026-02": wb.totals["2026-02"] - 2.5}
    assert _stored(db_path, "SELECT reconciled FROM imports") == [("accepted",)]


def test_a_bad_row_option_is_refused(capsys, files, db_path):
    path, _ = _mismatch_file(files)
    rc, out, _ = _run(capsys, "import", str(path), "--db", str(db_path), "--json", "--skip-row", "销售额")
    assert rc == EXIT_BAD_INPUT and json.loads(out)["error_code"] == "bad_option"
