"""Passcodes and the viewer role: the gate blocks every page, and viewers' writes are refused in retro/."""

from __future__ import annotations

from pathlib import Path

import pytest

from retro import access
from retro.i18n import t

APP = Path(__file__).resolve().parent.parent / "app.py"
pytestmark = pytest.mark.usefixtures("navigation_only")


@pytest.fixture(autouse=True)
def _editor_again():
    yield
    access.set_role(access.EDITOR)


def test_passcodes_come_from_the_environment_or_secrets():
    assert access.passcodes({}) == {}
    env = {"RETRO_EDITOR_PASSCODE": "e-123", "RETRO_VIEWER_PASSCODE": "v-456"}
    assert access.passcodes(env) == {"editor": "e-123", "viewer": "v-456"}
    assert access.passcodes({}, {"passcodes": {"viewer": "v"}}) == {"viewer": "v"}


def test_a_passcode_opens_its_role_only():
    codes = {"editor": "e-123", "viewer": "v-456"}
    assert access.role_for("e-123", codes) == "editor"
    assert access.role_for("v-456", codes) == "viewer"
    assert access.role_for("", codes) is None and access.role_for("e-12", codes) is None
    assert access.role_for("e-123", {"viewer": "v-456"}) is None


def test_a_viewer_changes_nothing_even_past_the_pages(db, tmp_path):
    from conftest import load_csv

    load_csv(db, tmp_path, "a.csv", "月份,区域,销售额\n2026-01,华东,10\n")
    before = db.scalar("SELECT count(*) FROM fact_rows")
    access.set_role(access.VIEWER)
    with pytest.raises(access.ReadOnly):
        load_csv(db, tmp_path, "b.csv", "月份,区域,销售额\n2026-02,华东,12\n")
    from retro import metrics as M

    with pytest.raises(access.ReadOnly):
        M.add_annotation(db, "销售额", __import__("datetime").date(2026, 1, 1), "note")
    assert db.scalar("SELECT count(*) FROM fact_rows") == before
    assert M.series(db, "销售额")["value"].tolist() == [10]  # reading works (and syncs the catalog)


def _app(monkeypatch, **env):
    from streamlit.testing.v1 import AppTest

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = "en"
    return at.run()


def _enter(at, passcode: str):
    at.text_input[0].set_value(passcode)
    at.button[0].click()
    return at.run()


CODES = {"RETRO_EDITOR_PASSCODE": "edit-me", "RETRO_VIEWER_PASSCODE": "look-only"}


def test_the_gate_blocks_every_page_until_a_passcode(monkeypatch):
    at = _app(monkeypatch, **CODES)
    assert [x.value for x in at.title] == [t("gate.title", "en")]
    assert not at.sidebar.selectbox and not at.main.dataframe  # no data before the gate
    at.switch_page("pages/history.py").run()
    assert [x.value for x in at.title] == [t("gate.title", "en")]  # a page opened directly is gated too
    _enter(at, "wrong")
    assert t("gate.wrong", "en") in [e.value for e in at.error]
    assert [x.value for x in at.title] == [t("gate.title", "en")]


def test_a_viewer_sees_the_data_but_no_upload_or_undo(monkeypatch):
    at = _enter(_app(monkeypatch, **CODES), "look-only")
    assert at.title[0].value == t("nav.home", "en") or at.title[0].value == t("home.title", "en")
    assert not [b for b in at.button if b.key == "clear_sample"]
    at.switch_page("pages/import_data.py").run()
    assert not at.get("file_uploader")
    assert t("import.viewer", "en") in [i.value for i in at.info]
    at.switch_page("pages/history.py").run()
    assert not [b for b in at.button if b.key == "undo"]


def test_an_editor_can_upload(monkeypatch):
    at = _enter(_app(monkeypatch, **CODES), "edit-me")
    at.switch_page("pages/import_data.py").run()
    assert at.get("file_uploader")
    assert not at.exception
