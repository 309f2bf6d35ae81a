"""retro/ui/__init__.py's server start-up tuning and the gate's secrets look-up, under threads."""

from __future__ import annotations

import threading

import pytest
from streamlit import config

from retro import ui
from retro.ui import signin as ui_gate


@pytest.fixture
def lock_free(monkeypatch):
    # Whatever the test does to Streamlit's module, teardown puts the original functions back.
    monkeypatch.setattr(config, "get_option", config.get_option)
    monkeypatch.setattr(config, "_get_option_locked", config.get_option, raising=False)
    assert ui.lock_free_config_reads()
    return config


def _in_thread(fn, timeout: float = 2.0):
    """``fn()`` run in another thread: its result, or TimeoutError if it is still waiting."""
    box: dict = {}
    worker = threading.Thread(target=lambda: box.setdefault("value", fn()), daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(fn)
    return box["value"]


def test_config_reads_give_streamlits_values_without_waiting_for_its_lock(lock_free):
    locked = lock_free._get_option_locked
    names = list(lock_free.get_config_options())
    assert len(names) > 100
    assert {n: lock_free.get_option(n) for n in names} == {n: locked(n) for n in names}
    # Another thread holds Streamlit's config lock (as a thread that lost the GIL inside get_option
    # would): a read no longer queues behind it; Streamlit's own read does.
    with lock_free._config_lock:
        assert _in_thread(lambda: lock_free.get_option("global.minCachedMessageSize")) == locked(
            "global.minCachedMessageSize")
        with pytest.raises(TimeoutError):
            _in_thread(lambda: locked("global.minCachedMessageSize"), timeout=0.3)


def test_an_unknown_option_still_raises_streamlits_error(lock_free):
    with pytest.raises(RuntimeError, match="not defined"):
        lock_free.get_option("server.noSuchOption")


def test_the_switch_interval_is_short_enough_for_twenty_sessions():
    # The value serve() sets: a GIL hand-off after a DuckDB query waits at most this long.
    assert ui.SWITCH_INTERVAL <= 0.001


def test_without_a_secrets_file_the_gate_does_not_queue_on_streamlits_secrets_lock(tmp_path, monkeypatch):
    import streamlit as st

    original = config.get_option
    files = [str(tmp_path / "secrets.toml")]
    # The gate and Streamlit's secrets parser both read the option through config.get_option.
    monkeypatch.setattr(config, "get_option", lambda key: files if key == "secrets.files" else original(key))
    monkeypatch.setattr(st.secrets, "_secrets", None)
    with st.secrets._lock:  # a parse in progress elsewhere
        assert _in_thread(ui_gate._secrets) == {}
    # With a file, the gate reads it through st.secrets as before.
    (tmp_path / "secrets.toml").write_text('[passcodes]\neditor = "e-123"\n', encoding="utf-8")
    assert ui_gate._secrets()["passcodes"] == {"editor": "e-123"}
    monkeypatch.setattr(st.secrets, "_secrets", None)  # forget the test's file for the tests after this one


@pytest.mark.usefixtures("navigation_only")
def test_a_rerun_checks_the_connection_once_and_the_page_reads_the_checked_one(db_file, monkeypatch):
    """app.py checks the connection (a query) before the page runs; the page's own database() is that
    one, not a second check. Outside the run nobody is left holding it, and a page run alone checks."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from retro.db import Database

    checks = []
    real_alive = Database.alive
    monkeypatch.setattr(Database, "alive", lambda self: checks.append(self) or real_alive(self))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/trends.py").run()
    assert not at.exception, [e.value for e in at.exception]
    del checks[:]
    at.run()
    assert not at.exception and len(checks) == 1
    assert getattr(ui._this_run, "db", None) is None
    with ui.checked_for_this_run(ui.database()):
        before = len(checks)
        assert ui.database() is ui.database() and len(checks) == before
    assert getattr(ui._this_run, "db", None) is None


def test_streamlit_is_imported_only_under_retro_ui_and_its_modules_form_no_cycle():
    """The boundary is visible in the tree: everything in retro outside retro/ui/ is plain Python."""
    import ast
    from pathlib import Path

    root = Path(ui.__file__).resolve().parents[1]
    outside = []
    edges: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        rel = path.relative_to(root.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(max(node.level - 1, 0)):
                    base = base.rpartition(".")[0]
                mod = f"{base}.{node.module}" if node.level and node.module else (base if node.level else node.module)
                targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
            else:
                continue
            if any(x == "streamlit" or x.startswith("streamlit.") for x in targets) and not name.startswith("retro.ui"):
                outside.append(name)
            if name.startswith("retro.ui"):  # imports inside functions count too: no module leans on the order
                edges.setdefault(name, set()).update(x for x in targets if x.startswith("retro.ui"))
    assert outside == []
    assert "retro.ui" not in edges.get("retro.ui.signin", set())  # the sign-in gate takes text from retro.ui.text
    for a, targets in edges.items():
        for b in targets:
            assert a not in edges.get(b, set()) or a == b, f"{a} and {b} import each other"


# --------------------------------------------------------------------------- md: data is text

_WJ = "\u2060"  # the word joiner md puts inside a bare URL so remark-gfm's autolinker does not fire


@pytest.mark.parametrize("text", [
    "![x](http://127.0.0.1:9/x.png)",
    "**bold** $x^2$ http://example.com",
    "see www.example.com or HTTPS://Example.com/a?b=1",
    "mail lead@corp.cn",
    "<img src=x onerror=alert(1)>",
])
def test_md_leaves_no_markup_and_no_bare_url_for_the_autolinker(text):
    import re

    out = ui.md(text)
    # Read back as markdown reads it: a backslash before punctuation is that punctuation, the word
    # joiner is invisible. The text reads the same ...
    assert re.sub(r"\\(.)", r"\1", out).replace(_WJ, "") == text
    # ... every markup character is escaped ...
    assert not re.search(r"(?<!\\)[`*_\[\]<>$]", out)
    # ... and what remark-gfm autolinks (its own patterns, from Streamlit's bundle) is not there.
    plain = re.sub(r"\\(.)", r"\1", out)
    assert not re.search(r"(https?://|www(?=\.))[-.\w]+", plain, re.IGNORECASE)
    assert not re.search(r"[-.\w+]+@[-\w]+(?:\.[-\w]+)+", plain)


@pytest.mark.parametrize("text, expected", [
    ("- not a list", "\\- not a list"),
    ("1. not a list", "1\\. not a list"),
    ("+ x\n  2) y", "\\+ x\n  2\\) y"),
    ("---", "\\---"),
    ("销售额 2026-01", "销售额 2026-01"),
])
def test_md_keeps_a_cell_from_starting_a_list(text, expected):
    assert ui.md(text) == expected


@pytest.mark.parametrize("number", ["-5.2%", "+3.1%", "1.5", "2026-01", "1,234 万元"])
def test_md_leaves_numbers_as_they_are(number):
    assert ui.md(number) == number
