"""pytest plugin: record every SQL text retro runs through retro.db.Database (DuckDB) and the retro module
that ran it, for bench/sql_survey.py (docs/postgres.md). Writes $SQLCAP_OUT (/tmp/sqlcap/captured.json) at
exit as a list of {sql, count, modules}.

    PYTHONPATH=.:bench .venv/bin/python -m pytest -p sqlcap_plugin tests/test_store.py -q
"""

from __future__ import annotations

import atexit
import json
import os
import sys
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Any

OUT = Path(os.environ.get("SQLCAP_OUT", "/tmp/sqlcap/captured.json"))
SEEN: dict[str, dict[str, Any]] = defaultdict(lambda: {"count": 0, "modules": set()})


def _caller() -> str:
    """The innermost retro module on the stack other than retro.db (the tests' own SQL: retro.db)."""
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("retro") and module != "retro.db":
            return module
        frame = frame.f_back
    return "retro.db"


class Recording:
    """A DuckDB cursor that notes each SQL text before running it; everything else passes through."""

    def __init__(self, cur: Any) -> None:
        object.__setattr__(self, "_cur", cur)

    def _note(self, sql: object) -> None:
        if isinstance(sql, str):
            entry = SEEN[sql]
            entry["count"] += 1
            entry["modules"].add(_caller())

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Recording:
        self._note(sql)
        self._cur.execute(sql, *args, **kwargs)
        return self

    def executemany(self, sql: str, *args: Any, **kwargs: Any) -> Recording:
        self._note(sql)
        self._cur.executemany(sql, *args, **kwargs)
        return self

    def sql(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self._note(sql)
        return self._cur.sql(sql, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)


def pytest_configure(config: Any) -> None:
    import retro.db as retro_db

    plain = retro_db.Database.cursor

    @contextmanager
    def cursor(self: Any) -> Any:
        with plain(self) as cur:
            yield Recording(cur)

    retro_db.Database.cursor = cursor


@atexit.register
def _dump() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"sql": s, "count": v["count"], "modules": sorted(v["modules"])} for s, v in SEEN.items()]
    OUT.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
