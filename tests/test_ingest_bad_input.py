"""Bad input (issue 2): a clear message, a stable error code, exit code 2, no traceback,
and the database exactly as it was (checked on a database that already holds an import)."""

from __future__ import annotations

import re
import tracemalloc

import fixtures_build as fb
import pytest

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("case", sorted(fb.BAD_INPUTS))
def test_bad_input_rejected_and_db_unchanged(case, files, run_import, seeded_db, helpers):
    path, code = fb.BAD_INPUTS[case](files)
    rc, result = run_import(path, db=seeded_db.path)
    assert rc == 2, result
    assert result["status"] == "error", result
    assert result["error_code"] == code, result
    assert isinstance(result["message"], str) and result["message"].strip(), result
    assert result["import_id"] is None, result
    assert result["file"] == path.name
    if case in fb.SHEET_LEVEL_BAD:
        sheet = helpers.only_sheet(result)
        assert sheet["status"] == "error", sheet
        assert sheet["error"]["code"] == code, sheet
        assert sheet["error"]["message"].strip()
    assert helpers.counts(seeded_db.path) == seeded_db.counts


@pytest.mark.parametrize("case", ["png_renamed", "corrupt_zip", "text_only"])
def test_bad_input_dry_run_same_answer(case, files, run_import, seeded_db):
    path, code = fb.BAD_INPUTS[case](files)
    rc, result = run_import(path, "--dry-run", db=seeded_db.path)
    assert (rc, result["status"], result["error_code"]) == (2, "error", code), result


def test_empty_csv(files, run_import, seeded_db, helpers):
    path, code = fb.bad_empty_file(files, suffix=".csv")
    rc, result = run_import(path, db=seeded_db.path)
    assert (rc, result["status"], result["error_code"]) == (2, "error", code), result
    assert helpers.counts(seeded_db.path) == seeded_db.counts


def test_message_in_chinese_with_lang_zh(files, run_import, seeded_db, helpers):
    path, code = fb.bad_png_renamed(files)
    rc, result = run_import(path, "--lang", "zh", db=seeded_db.path)
    assert rc == 2 and result["error_code"] == code, result  # codes never translated
    assert CJK.search(result["message"]), result["message"]
    assert helpers.counts(seeded_db.path) == seeded_db.counts


def test_message_in_english_by_default(files, run_import, seeded_db):
    path, _code = fb.bad_png_renamed(files)
    _rc, result = run_import(path, db=seeded_db.path)
    assert not CJK.search(result["message"]), result["message"]


def test_sheet_error_message_in_chinese(files, run_import, seeded_db):
    path, code = fb.bad_text_only(files)
    _rc, result = run_import(path, "--lang", "zh", db=seeded_db.path)
    sheet = result["sheets"][0]
    assert sheet["error"]["code"] == code
    assert CJK.search(sheet["error"]["message"].replace("问题清单", "")), sheet["error"]


def test_zip_bomb_rejected_before_inflating(files, run_import, seeded_db):
    """The directory's declared sizes are checked first: the 200 MB member is never inflated, so
    the refusal allocates a small fraction of it (measured, not timed: a busy machine is slow)."""
    path, code = fb.bad_zip_bomb(files)
    assert path.stat().st_size < 2 * 1024 * 1024
    tracemalloc.start()
    try:
        rc, result = run_import(path, db=seeded_db.path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (rc, result["error_code"]) == (2, code), result
    assert peak < 40 * 1024 * 1024, f"{peak / 2**20:.0f} MB allocated: the bomb was inflated"


def test_bad_file_then_good_file_still_imports(files, run_import, seeded_db, helpers):
    """A failure leaves nothing half-open: the next import in the same process works."""
    bad, _code = fb.bad_corrupt_zip(files)
    rc, _result = run_import(bad, db=seeded_db.path)
    assert rc == 2
    path, truth = fb.build_long_basic(files)
    rc, result = run_import(path, db=seeded_db.path)
    assert rc == 0 and result["status"] == "imported", result
    helpers.check_db(seeded_db.path, result["import_id"], truth)
    after = helpers.counts(seeded_db.path)
    assert after["facts"] == seeded_db.counts["facts"] + truth.rows
    assert after["imports"] == seeded_db.counts["imports"] + 1


def test_missing_file(tmp_path, run_import, seeded_db, helpers):
    rc, result = run_import(tmp_path / "nope.xlsx", db=seeded_db.path)
    assert rc == 2 and result["status"] == "error", result
    assert result["message"].strip()
    assert helpers.counts(seeded_db.path) == seeded_db.counts
