"""The real-workbook corpus (../shared/corpus, issue 15): every file imports to its truths.

check.py imports each workbook with the CLI into a fresh database and checks truths worked out
from the cells (MANIFEST.md says where each file comes from and what is messy about it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECK = ROOT.parent / "shared" / "corpus" / "check.py"


def test_every_corpus_workbook_imports_to_its_truths():
    assert CHECK.exists(), f"the corpus belongs beside the checkout: {CHECK}"
    done = subprocess.run([sys.executable, str(CHECK)], cwd=ROOT, capture_output=True, text=True, timeout=1200)
    lines = done.stdout.strip().splitlines()
    failing = [line for line in lines if line.startswith("FAIL")]
    assert not failing, "\n".join(failing)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    total = len(list((CHECK.parent / "files").iterdir()))
    assert lines[-1] == f"{total}/{total} corpus files pass", lines[-1]
