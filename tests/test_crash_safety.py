"""An import killed at a random moment leaves the whole import or none of it, and what was there before.

The importer runs as its own process (``python -m retro import``), which is SIGKILLed at random
points — while Python starts, while the workbook is read, while rows are written, around the
commit. After each kill the database file is reopened as the app would open it.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import openpyxl

REPO = Path(__file__).resolve().parent.parent
TRIALS = 20


def _workbook(path: Path, rows: int, seed: int) -> int:
    """A long KPI sheet; returns the number of values it holds (plan and actual per row)."""
    rng = random.Random(seed)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("KPI明细")
    ws.append(["月份", "区域", "门店", "指标", "计划", "实际"])
    for i in range(rows):
        ws.append([f"2026-{i % 12 + 1:02d}", f"区域{i % 7}", f"店{i // 84:05d}", "销售额",
                   round(rng.uniform(10, 99), 2), round(rng.uniform(10, 99), 2)])
    wb.save(path)
    return rows * 2


def _state(db: Path) -> tuple[int, int, float]:
    con = duckdb.connect(str(db))  # read-write, as the app opens it: the WAL is replayed
    try:
        imports = con.execute("SELECT count(*) FROM imports").fetchone()[0]
        facts, total = con.execute("SELECT count(*), coalesce(sum(value), 0) FROM fact_rows").fetchone()
        return imports, facts, round(total, 4)
    finally:
        con.close()


def _run_import(file: Path, db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "retro", "import", str(file), "--db", str(db), "--json"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONHASHSEED": "0"},
    )


def test_an_import_killed_at_random_points_is_all_or_nothing(tmp_path):
    seed_file = tmp_path / "seed.xlsx"
    seed_values = _workbook(seed_file, 200, seed=1)
    big_file = tmp_path / "october.xlsx"
    big_values = _workbook(big_file, 30_000, seed=2)

    base = tmp_path / "base.duckdb"
    assert _run_import(seed_file, base).wait(timeout=120) == 0
    before = _state(base)
    assert before[:2] == (1, seed_values)

    # How long a whole import takes here, so that kills land before, during and after writing.
    probe = tmp_path / "probe.duckdb"
    shutil.copy(base, probe)
    started = time.monotonic()
    assert _run_import(big_file, probe).wait(timeout=300) == 0
    full = time.monotonic() - started
    after_full = _state(probe)
    assert after_full[:2] == (2, seed_values + big_values)

    rng = random.Random(20261123)
    outcomes = {"none": 0, "whole": 0}
    for trial in range(TRIALS):
        db = tmp_path / f"trial{trial}.duckdb"
        shutil.copy(base, db)
        proc = _run_import(big_file, db)
        time.sleep(rng.uniform(0.05, full * 1.05))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        state = _state(db)
        if state == before:
            outcomes["none"] += 1
        else:
            assert state == after_full, f"trial {trial}: a partial import survived a kill: {state}"
            outcomes["whole"] += 1
        # and the database still takes the import afterwards
        if trial % 5 == 0:
            assert _run_import(big_file, db).wait(timeout=300) == 0
            assert _state(db)[:2] == (2, seed_values + big_values)
    assert outcomes["none"] + outcomes["whole"] == TRIALS
    assert outcomes["none"] > 0, outcomes  # the kills did land mid-import
