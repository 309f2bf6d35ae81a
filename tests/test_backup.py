"""Backup and restore: a round trip gives every table back equal, and a bad backup changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retro import backup as B
from retro.bootstrap import load_sample
from retro.db import Database, close_all


@pytest.fixture
def sample_db(tmp_path: Path):
    db = Database(tmp_path / "live.duckdb")
    load_sample(db)
    yield db
    close_all()
    db.close()


def _dump(db: Database) -> dict[str, list[tuple]]:
    """Every table's rows, sorted, with maps as sorted item lists so they compare.

    All but the data and numbers versions, which a restore moves past the replaced file's (so caches miss)."""
    out = {}
    for table in B.table_counts(db):
        rows = db.rows(f'SELECT * FROM "{table}"' + (" WHERE key NOT IN ('data_version', 'numbers_version')" if table == "settings" else ""))
        out[table] = sorted((tuple(sorted(v.items()) if isinstance(v, dict) else v for v in r) for r in rows), key=repr)
    return out


def test_round_trip_gives_every_table_back_equal(sample_db, tmp_path):
    before = _dump(sample_db)
    folder = B.backup(sample_db, tmp_path / "backups")
    manifest = json.loads((folder / B.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["tables"]["fact_rows"] == len(before["fact_rows"]) > 0
    path = sample_db.path
    sample_db.close()
    safety = B.restore(path, folder, backups_dir=tmp_path / "auto")
    assert safety is not None and (safety / B.MANIFEST).is_file()  # what was replaced is kept too
    restored = Database(path)
    try:
        assert _dump(restored) == before
        # ids continue after the restored ones
        new_id = restored.scalar("SELECT nextval('import_id_seq')")
        assert new_id > max(r[0] for r in restored.rows("SELECT id FROM imports"))
    finally:
        restored.close()


def test_a_backup_made_while_another_thread_writes_counts_what_it_exported(sample_db, tmp_path):
    """A page building the rollup on another thread while a backup ran made the backup 'damaged'
    (the manifest counted 168 rows of fact_rollup, the export held 144): the restore then refused it."""
    import threading

    import duckdb

    with sample_db.transaction() as cur:
        cur.execute("CREATE TABLE noise (n BIGINT)")
    stop = threading.Event()

    def write() -> None:
        n = 0
        while not stop.is_set():
            with sample_db.transaction() as cur:
                cur.execute("INSERT INTO noise SELECT range FROM range(?, ? + 500)", [n, n])
            n += 500

    writer = threading.Thread(target=write)
    writer.start()
    try:
        folders = [B.backup(sample_db, tmp_path / "backups", label=f"b{i}") for i in range(3)]
    finally:
        stop.set()
        writer.join()
    for folder in folders:
        manifest = json.loads((folder / B.MANIFEST).read_text(encoding="utf-8"))
        exported = duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)", [str(folder / "noise.parquet")]).fetchone()[0]
        assert manifest["tables"]["noise"] == exported


def test_restore_after_changes_brings_back_the_backed_up_state(sample_db, tmp_path):
    folder = B.backup(sample_db, tmp_path / "backups")
    before = _dump(sample_db)
    from retro.bootstrap import clear_sample

    clear_sample(sample_db)
    assert sample_db.scalar("SELECT count(*) FROM fact_rows") == 0
    path = sample_db.path
    sample_db.close()
    B.restore(path, folder, backups_dir=tmp_path / "auto")
    restored = Database(path)
    try:
        assert _dump(restored) == before
    finally:
        restored.close()


def test_a_restore_never_reuses_a_data_version_the_replaced_file_had(sample_db, tmp_path):
    """Pages cache what they show per data version: after backup (v), an import (v+1) and a restore,
    the restored file must not say v or v+1 again, or a page would show the undone import's numbers."""
    folder = B.backup(sample_db, tmp_path / "backups")
    backed_up = sample_db.data_version()
    from retro.bootstrap import clear_sample

    clear_sample(sample_db)
    replaced = sample_db.data_version()
    assert replaced > backed_up
    path = sample_db.path
    sample_db.close()
    B.restore(path, folder, backups_dir=tmp_path / "auto")
    restored = Database(path)
    try:
        assert restored.data_version() == replaced + 1
        assert restored.scalar("SELECT count(*) FROM fact_rows") > 0
    finally:
        restored.close()


def test_a_damaged_backup_changes_nothing(sample_db, tmp_path):
    folder = B.backup(sample_db, tmp_path / "backups")
    before = _dump(sample_db)
    (folder / "fact_rows.parquet").unlink()
    path = sample_db.path
    sample_db.close()
    with pytest.raises(B.BackupError) as failure:
        B.restore(path, folder)
    assert failure.value.code == "backup_incomplete"
    with pytest.raises(B.BackupError) as failure:
        B.restore(path, tmp_path)  # not a backup folder at all
    assert failure.value.code == "not_a_backup"
    again = Database(path)
    try:
        assert _dump(again) == before
    finally:
        again.close()


def test_backup_and_restore_from_the_command_line(sample_db, tmp_path, capsys):
    from retro.cli import main

    before = _dump(sample_db)
    path = sample_db.path
    sample_db.close()
    close_all()
    assert main(["backup", "--db", str(path), "--out", str(tmp_path / "bk")]) == 0
    folder = Path(capsys.readouterr().out.strip())
    assert (folder / B.MANIFEST).is_file()
    close_all()
    assert main(["restore", str(folder), "--db", str(path)]) == 0
    assert "restored" in capsys.readouterr().out
    assert main(["restore", str(tmp_path), "--db", str(path)]) == 2  # not a backup: refused, unchanged
    close_all()
    again = Database(path)
    try:
        assert _dump(again) == before
    finally:
        again.close()


# --------------------------------------------------------------------------- sequences, automatic backups, zips


def _add_reviews(db: Database, n: int) -> list[int]:
    with db.transaction() as cur:
        for i in range(n):
            cur.execute("INSERT INTO reviews (title, grain, period_start, period_end) VALUES (?, 'month', DATE '2026-01-01', DATE '2026-01-31')",
                        [f"复盘 {i}"])
    return [r[0] for r in db.rows("SELECT id FROM reviews ORDER BY id")]


def test_every_sequence_continues_after_a_restore(sample_db, tmp_path):
    """Not only imports: reviews, targets, problems… draw ids from their own sequences; a restored
    database must not hand out an id its restored rows already use."""
    ids = _add_reviews(sample_db, 3)
    folder = B.backup(sample_db, tmp_path / "backups")
    path = sample_db.path
    sample_db.close()
    B.restore(path, folder, backups_dir=tmp_path / "auto")
    restored = Database(path)
    try:
        new = _add_reviews(restored, 1)  # a primary-key clash here before the fix
        assert new[-1] > max(ids)
    finally:
        restored.close()


def test_automatic_backups_keep_the_latest_n_and_leave_manual_ones(sample_db, tmp_path):
    import datetime as dt

    folder = tmp_path / "backups"
    manual = B.backup(sample_db, folder, label="manual")
    made = []
    for i in range(5):
        made.append(B.auto_backup(sample_db, f"before-undo-{i}", keep=3, folder=folder))
    kept = B.automatic_backups(folder)
    assert kept == sorted(made[-3:], reverse=True)  # newest first, the two oldest pruned
    assert manual.is_dir()
    assert all(dt.datetime.fromisoformat(B.read_manifest(k)["created"]) for k in kept)


def test_undo_makes_an_automatic_backup_first_that_brings_the_import_back(sample_db, tmp_path):
    before = _dump(sample_db)
    import_id = sample_db.scalar("SELECT max(id) FROM imports")
    undone, saved = B.undo_import_with_backup(sample_db, import_id)
    assert undone and saved is not None and saved.parent == B.backups_dir(sample_db.path)
    assert "before-undo" in saved.name and saved in B.automatic_backups(saved.parent)
    assert sample_db.scalar("SELECT count(*) FROM imports WHERE id = ?", [import_id]) == 0
    assert B.undo_import_with_backup(sample_db, 999) == (False, None)  # nothing to undo: no backup either
    path = sample_db.path
    sample_db.close()
    B.restore(path, saved, backups_dir=tmp_path / "auto")
    again = Database(path)
    try:
        assert _dump(again) == before
    finally:
        again.close()


def test_a_backup_zip_restores_every_table(sample_db, tmp_path):
    before = _dump(sample_db)
    name, data = B.backup_zip(sample_db, tmp_path / "manual")
    assert name.endswith(".zip") and (tmp_path / "manual" / name.removesuffix(".zip") / B.MANIFEST).is_file()
    assert B.zip_manifest(data)["tables"]["fact_rows"] == len(before["fact_rows"])
    from retro.bootstrap import clear_sample

    clear_sample(sample_db)
    path = sample_db.path
    sample_db.close()
    safety = B.restore_zip(path, data, backups_dir=tmp_path / "auto")
    assert safety is not None and safety.parent == tmp_path / "auto"
    again = Database(path)
    try:
        assert _dump(again) == before
    finally:
        again.close()


def _zip(entries: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in entries.items():
            z.writestr(name, content)
    return buf.getvalue()


@pytest.mark.parametrize(("entries", "code"), [
    ({"../evil.parquet": b"x", "b/retro-backup.json": b"{}"}, "zip_unsafe"),
    ({"/etc/evil.json": b"{}"}, "zip_unsafe"),
    ({"b/run.sh": b"rm -rf /", "b/retro-backup.json": b"{}"}, "zip_unsafe"),
    ({"a/b/c/deep.parquet": b"x"}, "zip_unsafe"),
    ({"b/notes.csv": b"x"}, "not_a_backup"),
    ({"b/retro-backup.json": b"not json"}, "not_a_backup"),
    (None, "zip_invalid"),
])
def test_an_unsafe_or_broken_zip_changes_nothing(sample_db, tmp_path, entries, code):
    before = _dump(sample_db)
    data = _zip(entries) if entries is not None else b"PK\x03\x04 this is no zip"
    path = sample_db.path
    sample_db.close()
    with pytest.raises(B.BackupError) as failure:
        B.restore_zip(path, data, backups_dir=tmp_path / "auto")
    assert failure.value.code == code
    assert not (tmp_path / "auto").exists()  # refused before anything was backed up or replaced
    assert not (tmp_path / "evil.parquet").exists() and not (tmp_path.parent / "evil.parquet").exists()
    again = Database(path)
    try:
        assert _dump(again) == before
    finally:
        again.close()


def test_a_viewer_can_neither_download_a_backup_nor_restore(sample_db, tmp_path):
    from retro import access

    _name, data = B.backup_zip(sample_db, tmp_path / "manual")
    access.set_role(access.VIEWER)
    try:
        with pytest.raises(access.ReadOnly):
            B.backup_zip(sample_db, tmp_path / "manual")
        with pytest.raises(access.ReadOnly):
            B.restore_zip(sample_db.path, data)
        with pytest.raises(access.ReadOnly):
            B.undo_import_with_backup(sample_db, 1)
    finally:
        access.set_role(access.EDITOR)
    assert sample_db.scalar("SELECT count(*) FROM imports") == 1


def test_every_backup_message_is_in_the_catalog():
    from retro.i18n import CATALOG

    for code in ("not_a_backup", "backup_incomplete", "backup_newer", "backup_mismatch", "zip_invalid", "zip_unsafe"):
        for lang in ("zh", "en"):
            assert CATALOG[f"safety.backup.error.{code}"][lang]


# --------------------------------------------------------------------------- the history page (AppTest)

APP = Path(__file__).resolve().parent.parent / "app.py"


def _history(lang: str = "en"):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = lang
    at.run()  # the first start imports the sample
    at.switch_page("pages/history.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.usefixtures("navigation_only")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_history_page_makes_a_backup_to_download(db_file, lang):
    from retro.i18n import t

    at = _history(lang=lang)
    folder = B.backups_dir(db_file)
    captions = [c.value for c in at.caption]
    assert any(c.startswith(t("safety.backup.where", lang, keep=B.KEEP_AUTOMATIC, folder="").split("{")[0][:20])
               for c in captions), captions
    assert not at.get("download_button")
    at.button(key="backup_make").click().run()
    assert not at.exception
    [download] = at.get("download_button")
    assert download.label == t("safety.backup.download", lang)
    name, data = at.session_state["backup_download"]
    manifest = B.zip_manifest(data)
    assert manifest["tables"]["imports"] == 1 and manifest["tables"]["fact_rows"] > 0
    assert (folder / name.removesuffix(".zip") / B.MANIFEST).is_file()  # also kept beside the database


@pytest.mark.usefixtures("navigation_only")
def test_the_history_page_checks_an_uploaded_backup_and_asks_before_restoring(db_file, tmp_path):
    from retro.i18n import t

    at = _history()
    at.button(key="backup_make").click().run()
    name, data = at.session_state["backup_download"]
    at.file_uploader(key="restore_upload0").set_value((name, data, "application/zip")).run()
    assert not at.exception and not at.error
    manifest = B.zip_manifest(data)
    summary = t("safety.restore.summary", "en", created=manifest["created"].replace("T", " "),
                tables=len(manifest["tables"]), rows="")
    assert any(c.value.startswith(summary.split(",")[0]) for c in at.caption), [c.value for c in at.caption]
    at.button(key="restore").click().run()
    assert not at.exception
    assert at.button(key="restore_yes").label == t("safety.restore.yes", "en")  # the confirmation dialog
    confirm = t("safety.restore.confirm", "en", created=manifest["created"].replace("T", " "), folder="").split("{")[0]
    assert any(m.value.startswith(confirm[:40]) for m in at.markdown), [m.value for m in at.markdown]
    # an unsafe zip is refused with its message, nothing else happens
    bad = _zip({"../evil.parquet": b"x", "b/retro-backup.json": b"{}"})
    at.file_uploader(key="restore_upload0").set_value(("evil.zip", bad, "application/zip")).run()
    assert [e.value for e in at.error] == [t("safety.backup.error.zip_unsafe", "en", name="../evil.parquet")]
    assert not [b for b in at.button if b.key == "restore"]


@pytest.mark.usefixtures("navigation_only")
def test_a_viewer_gets_no_backup_or_restore(monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("RETRO_EDITOR_PASSCODE", "edit-me")
    monkeypatch.setenv("RETRO_VIEWER_PASSCODE", "look-only")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = "en"
    at.run()
    at.text_input[0].set_value("look-only")
    at.button[0].click().run()
    at.switch_page("pages/history.py").run()
    assert not at.exception
    assert at.main.dataframe  # the history itself is shown
    assert not [b for b in at.button if b.key in ("backup_make", "undo", "restore")]
    assert not at.get("file_uploader")


@pytest.mark.browser
def test_in_the_browser_backup_download_undo_then_restore_through_the_dialog(tmp_path):
    """The whole safety net as a user meets it: download a backup, undo the only import (an automatic
    backup is made first), restore the downloaded .zip through the confirmation dialog, data back."""
    import re

    from browser_support import VIEWPORT, StreamlitServer, chromium_launch_kwargs, want_screenshots
    from playwright.sync_api import expect, sync_playwright

    from retro.i18n import t

    expect.set_options(timeout=30_000)
    lang = "en"
    db_path = tmp_path / "retro.duckdb"
    server = StreamlitServer(db_path, tmp_path / "streamlit.log").start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(**chromium_launch_kwargs())
            page = browser.new_page(viewport=VIEWPORT, locale="en-US", accept_downloads=True)
            page.set_default_timeout(30_000)
            page.goto(f"{server.url}/?lang={lang}")
            expect(page.get_by_role("heading", name=t("home.title", lang), exact=True)).to_be_visible()
            nav = page.locator("[data-testid=stSidebarNav]")
            nav.get_by_role("link", name=t("nav.history", lang), exact=True).click()
            expect(page.get_by_role("heading", name=t("history.title", lang), exact=True)).to_be_visible()
            page.get_by_role("button", name=t("safety.backup.make", lang)).click()
            with page.expect_download() as info:
                page.get_by_role("button", name=t("safety.backup.download", lang)).click()
            zip_path = tmp_path / info.value.suggested_filename
            info.value.save_as(zip_path)
            assert B.zip_manifest(zip_path.read_bytes())["tables"]["imports"] == 1
            if want_screenshots():
                from browser_support import DOCS

                page.wait_for_timeout(600)
                page.screenshot(path=str(DOCS / "screenshot-backup.png"), full_page=True)

            page.get_by_role("button", name=re.compile(re.escape(t("history.undo", lang, id=1)))).click()
            page.get_by_role("dialog").get_by_role("button", name=t("history.undo_yes", lang)).click()
            expect(page.get_by_text(t("history.empty", lang))).to_be_visible()
            expect(page.get_by_text(re.compile(re.escape(t("safety.undo.backed_up", lang, path="")[:30])))).to_be_visible()

            page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(zip_path))
            page.get_by_role("button", name=t("safety.restore.button", lang)).click()
            dialog = page.get_by_role("dialog")
            expect(dialog).to_contain_text(t("safety.restore.confirm", lang, created="", folder="").split("?")[0][:25])
            dialog.get_by_role("button", name=t("safety.restore.yes", lang)).click()
            expect(page.get_by_text(re.compile(re.escape(t("safety.restore.done", lang, path="")[:30])))).to_be_visible()
            expect(page.locator("[data-testid=stDataFrame]").first).to_be_visible()  # the history is back
            expect(page.locator("[data-testid=stException]")).to_have_count(0)
            nav.get_by_role("link", name=t("nav.trends", lang), exact=True).click()
            expect(page.get_by_role("heading", name=t("nav.trends", lang), exact=True)).to_be_visible()
            expect(page.locator("[data-testid=stException]")).to_have_count(0)
            browser.close()
    finally:
        server.stop()
    auto = B.automatic_backups(B.backups_dir(db_path))
    assert [("before-undo-1" in p.name, "before-restore" in p.name) for p in auto] == [(False, True), (True, False)]
    restored = Database(db_path)
    try:
        assert restored.scalar("SELECT count(*) FROM imports") == 1
        assert restored.scalar("SELECT count(*) FROM fact_rows") == B.zip_manifest(zip_path.read_bytes())["tables"]["fact_rows"]
    finally:
        restored.close()
