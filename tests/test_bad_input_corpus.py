"""The bad-input corpus (issue 7) as one suite: every case in ``corpus_build.CASES``.

For input that must be refused: a clear message in the user's language (the catalog's 中文 and
English text, not only a code), every table of the database exactly as before (a fingerprint of
each table's rows), and the session alive (the same connection analyses a good file right after).
The importer is driven through the functions the import page calls (``read_workbook`` then
``analyze_workbook``); a subset goes through the page itself with AppTest.

For messy-but-valid input: stored through ``store_import`` as the page does, and every stored value
compared with the values written into the cells (``fixtures_build.Truth``).
"""

from __future__ import annotations

import importlib.metadata
import re
import zipfile
from pathlib import Path

import corpus_build as cb
import pytest
from conftest import fresh_db  # noqa: E402 - shared AppTest helpers

from retro.i18n import CATALOG, message_text, t

CJK = re.compile(r"[\u4e00-\u9fff]")
APP = Path(__file__).resolve().parent.parent / "app.py"
REFUSED = [c for c in cb.CASES if c.refuse]
VALID = [c for c in cb.CASES if not c.refuse]
GOOD_CSV = "月份,区域,销售额\r\n2026-01,华东,100\r\n2026-01,华南,200\r\n".encode()


def test_the_corpus_is_big_enough_and_covers_the_issue_list():
    names = {c.name for c in cb.CASES}
    assert len(cb.CASES) >= 40 and len(names) == len(cb.CASES)
    required = {
        "txt_renamed_xlsx", "png_renamed_xlsx", "password_xlsx", "password_xls", "truncated_xlsx", "corrupt_zip",
        "zip_bomb", "million_by_16384", "entity_bomb_workbook", "formula_cached_errors", "formula_no_cached_values",
        "merged_headers", "hidden_sheet_skipped", "cells_32767_chars", "control_chars_xlsx", "html_payloads",
        "sql_headers", "sql_file_name", "empty_xlsx", "header_only_xlsx", "one_row", "duplicate_headers", "csv_gbk",
        "csv_gb18030", "csv_utf_16", "csv_utf_8_sig", "mixed_types_column", "leading_zero_codes_xlsx",
    }
    assert required <= names, required - names
    assert len([c for c in cb.CASES if c.name.startswith("dates_")]) >= 5


# --------------------------------------------------------------------------- shared state


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, cb.Built]:
    """Every corpus file, built once for the module."""
    root = tmp_path_factory.mktemp("corpus")
    return {c.name: c.build(root / c.name) for c in cb.CASES}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A database that already holds a good import, for the refusals to leave alone."""
    import fixtures_build as fb

    from retro.db import Database
    from retro.ingest import analyze_bytes, store_import

    root = tmp_path_factory.mktemp("seeded")
    path, _truth = fb.build_seed(root)
    db = Database(root / "seeded.duckdb")
    store_import(db, analyze_bytes(db, path.read_bytes(), path.name), actor="corpus")
    yield db
    db.close()


def fingerprint(db) -> dict[str, tuple[int, int]]:
    """Every table's row count and an order-free hash of its rows; the sequences' next values are
    not read (reading them would advance them)."""
    tables = [r[0] for r in db.rows(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary")]
    out = {}
    for table in tables:
        quoted = '"' + table.replace('"', '""') + '"'
        out[table] = db.one(f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {quoted} t")
    return out


def analyze_as_the_page_does(db, data: bytes, name: str):
    from retro.ingest import analyze_workbook
    from retro.ingest.read import read_workbook

    return analyze_workbook(db, read_workbook(data, name))


def refusal(db, data: bytes, name: str) -> tuple[str, dict]:
    """The code and parameters the importer refuses this file with (fails when it does not refuse)."""
    from retro.ingest import ImportFailure

    try:
        analysis = analyze_as_the_page_does(db, data, name)
    except ImportFailure as failure:
        return failure.code, failure.params
    assert not analysis.ready(), f"{name} was accepted: {[(s.name, s.rows) for s in analysis.ready()]}"
    first = next((s.error for s in analysis.sheets if s.error), None)
    return (first.code, first.params) if first else ("nothing_imported", {})


def assert_clear_message(code: str, params: dict) -> None:
    """The catalog's sentence in both languages, with its parameters filled in."""
    key = f"error.{code}"
    assert key in CATALOG, key
    for lang in ("zh", "en"):
        template = CATALOG[key][lang]
        text = message_text(code, params, lang, "error")
        assert text != key and "{" not in text, text
        assert text.startswith(template.split("{")[0]), (template, text)
        assert bool(CJK.search(template)) == (lang == "zh"), template
        assert len(text) >= (5 if lang == "zh" else 15), text


# --------------------------------------------------------------------------- refused


@pytest.mark.parametrize("case", REFUSED, ids=[c.name for c in REFUSED])
def test_refused_with_a_clear_message_and_nothing_changed(case, built, seeded):
    b = built[case.name]
    before = fingerprint(seeded)
    code, params = refusal(seeded, b.path.read_bytes(), b.path.name)
    assert code == case.refuse, (code, params)
    assert_clear_message(code, params)
    assert fingerprint(seeded) == before
    # the session is alive: the same connection takes the next (good) file
    assert analyze_as_the_page_does(seeded, GOOD_CSV, "next.csv").ready()
    assert "root:" not in repr(params)  # nothing of /etc/passwd (the XXE case) reached a message


def test_defusedxml_is_installed_and_guards_every_xml_parse_in_the_importer():
    """The importer parses workbook XML itself in one place (``_xml``: the sheet list, relationships,
    table parts); that parse is defusedxml's,
    and no module of retro/ingest imports another XML parser. Sheet XML is only scanned with regular
    expressions (which expand nothing); cell values are read by calamine, which refuses a DTD."""
    assert importlib.metadata.version("defusedxml")
    ingest = Path(__file__).resolve().parent.parent / "retro" / "ingest"
    parsers = re.compile(r"^\s*(?:import|from)\s+(xml\b|lxml|xml\.|defusedxml|openpyxl|bs4|html5lib)", re.M)
    found = {p.name: parsers.findall(p.read_text(encoding="utf-8")) for p in ingest.glob("*.py")}
    assert {name: mods for name, mods in found.items() if mods} == {"read.py": ["defusedxml"]}
    source = (ingest / "read.py").read_text(encoding="utf-8")
    assert source.count("ElementTree.fromstring(") == 1  # in _xml, defused, and every part goes through it
    assert source.count("_xml(archive") >= 4


def test_an_entity_bomb_is_stopped_by_defusedxml_before_any_expansion(built, seeded):
    b = built["entity_bomb_workbook"]
    code, params = refusal(seeded, b.path.read_bytes(), b.path.name)
    assert code == "corrupt_file" and params["detail"].startswith("EntitiesForbidden"), params
    with zipfile.ZipFile(b.path) as z:
        assert b"<!ENTITY lol9" in z.read("xl/workbook.xml")  # the bomb is really in the file


# --------------------------------------------------------------------------- valid but messy


@pytest.mark.parametrize("case", VALID, ids=[c.name for c in VALID])
def test_messy_but_valid_input_stores_the_right_numbers(case, built, tmp_path, helpers):
    from retro.db import get_database
    from retro.ingest import store_import

    b = built[case.name]
    db_path = tmp_path / "valid.duckdb"
    db = get_database(db_path)
    analysis = analyze_as_the_page_does(db, b.path.read_bytes(), b.path.name)
    ready = analysis.ready()
    assert len(ready) == 1, [(s.name, s.status, s.error) for s in analysis.sheets]
    codes = {w.code for w in ready[0].result.warnings}
    assert b.truth.warnings <= codes, (b.truth.warnings, codes)
    if b.truth.sheet is not None:
        assert ready[0].name == b.truth.sheet
    stored = store_import(db, analysis, actor="corpus")
    assert stored.status == "imported" and stored.rows >= b.truth.rows
    if b.expect.get("pinned_metrics_only"):
        # what the app names the second 销售额 and the blank-header column is its own business
        rows = [r for r in helpers.stored_facts(db_path, stored.import_id) if r["metric"] in b.truth.metrics]
        got = {helpers.fact_key(r): r["value"] for r in rows}
        assert got.keys() == b.truth.values.keys()
        assert all(helpers.approx_equal(got[k], v) for k, v in b.truth.values.items()), got
    else:
        helpers.check_db(db_path, stored.import_id, b.truth, allow_null_keys=b.placeholders)
    for check in case.checks:
        CHECKS.get(check, lambda *a: None)(db_path, stored.import_id, b, helpers)


def _facts_table_exists(db_path, import_id, b, helpers):
    tables = {r[0] for r in helpers.query(db_path, "SELECT table_name FROM duckdb_tables()")}
    assert {"fact_rows", "imports", "segments"} <= tables


def _file_name_exact(db_path, import_id, b, helpers):
    stored = helpers.query(db_path, "SELECT file_name FROM imports WHERE id = ?", [import_id])[0][0]
    assert stored == b.expect["file_name"]


def _finite_values(db_path, import_id, b, helpers):
    bad = helpers.query(db_path, "SELECT count(*) FROM fact_rows WHERE isinf(value) OR isnan(value)")[0][0]
    assert bad == 0


def _long_dimension(db_path, import_id, b, helpers):
    lengths = {r[0] for r in helpers.query(db_path, "SELECT DISTINCT length(dims['区域']) FROM facts")}
    assert cb.LONG_TEXT_LIMIT in lengths


CHECKS = {"facts_table_exists": _facts_table_exists, "file_name_exact": _file_name_exact,
          "finite_values": _finite_values, "long_dimension": _long_dimension}


def test_every_named_check_exists():
    named = {c for case in cb.CASES for c in case.checks if not c.startswith("warns:")}
    assert named <= set(CHECKS) | {"dims_exact", "metric_exact"}  # those two: the Truth's keys are exact text


# --------------------------------------------------------------------------- through the import page


PAGE_CASES = [("txt_renamed_xlsx", "zh"), ("password_xls", "en"), ("zip_bomb", "zh"),
              ("entity_bomb_workbook", "en"), ("sql_file_name_refused", "zh"), ("header_only_csv", "en")]


def _open_import_page(lang: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/import_data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.usefixtures("navigation_only")
@pytest.mark.parametrize(("name", "lang"), PAGE_CASES)
def test_the_import_page_says_why_and_stays_alive(name, lang, built, db_file):
    from retro.ui import md

    b = built[name]
    at = _open_import_page(lang)
    before = fingerprint(fresh_db(db_file))
    at.file_uploader[0].set_value((b.path.name, b.path.read_bytes(), "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [x.value for x in at.title] == [t("import.title", lang)]  # the page still renders
    code, params = refusal(fresh_db(db_file), b.path.read_bytes(), b.path.name)
    expected = message_text(code, {k: md(v) if isinstance(v, str) else v for k, v in params.items()}, lang, "error")
    shown = [str(e.value) for e in at.error] + [str(w.value) for w in at.warning]
    assert any(expected in s for s in shown), (expected, shown)
    assert fingerprint(fresh_db(db_file)) == before
    # the same session goes on: the next file is read and previewed
    at.file_uploader[0].set_value(("next.csv", GOOD_CSV, "text/csv")).run()
    assert not at.exception and not at.error, [str(e.value) for e in at.error]
    assert [b for b in at.button if b.key == "do_import"], "the good file's import button is missing"


# --------------------------------------------------------------------------- markup shown as text, everywhere

# A payload fragment left as markup: "<script" not preceded by the backslash md() puts before "<",
# a link or bold that markdown would render.
LIVE_MARKUP = re.compile(r"(?<!\\)<(?:script|img|b|i)\b|(?<!\\)\]\(javascript|(?<![\\*])\*\*华南(?<!\\)\*\*")
PAYLOAD_BITS = ("script", "onerror", "javascript", "华南", "pwned")


def shown_texts(at) -> tuple[list[str], list[str], list[str]]:
    """(text that Streamlit renders as markdown, raw HTML blocks, values shown in grids)."""
    markdown = [str(e.value) for kind in ("markdown", "caption", "info", "warning", "error", "success",
                                         "title", "header", "subheader") for e in at.get(kind)]
    markdown += [tab.label for tab in at.tabs] + [e.label for e in at.expander]
    markdown += [str(m.label) for m in at.metric] + [str(m.value) for m in at.metric]
    for kind in ("button", "selectbox", "multiselect", "radio", "checkbox", "text_input", "number_input",
                 "button_group", "toggle", "download_button"):
        markdown += [str(getattr(w, "label", "")) for w in at.get(kind)]
    html = [str(e.proto) for e in at.get("html")]
    html += [str(e.value) for e in at.get("markdown") if getattr(e, "allow_html", False)]
    html += [str(e.value) for e in at.get("caption") if getattr(e, "allow_html", False)]
    # grids (st.dataframe, st.data_editor) and select options are drawn as plain text
    grids = [str(v) for d in at.dataframe for v in d.value.astype(str).to_numpy().ravel()]
    grids += [str(c) for d in at.dataframe for c in d.value.columns]
    grids += [str(o) for kind in ("selectbox", "multiselect") for w in at.get(kind) for o in w.options]
    return markdown, html, grids


def assert_payload_is_text(at, where: str) -> None:
    assert not at.exception, [e.value for e in at.exception]
    markdown, html, grids = shown_texts(at)
    live = [x for x in markdown if LIVE_MARKUP.search(x)]
    assert not live, (where, live)
    leaked = [x for x in html if any(bit in x for bit in PAYLOAD_BITS)]
    assert not leaked, (where, leaked)
    escaped = [x for x in markdown if "\\<script" in x or "\\<img" in x or "\\*\\*华南" in x]
    in_grids = [x for x in grids if "<script>" in x or "<img" in x]
    assert escaped or in_grids, f"{where}: the payload is not shown at all, so this check proves nothing"


def _payload_app(db_file, *, imported: bool):
    """The app on a database holding nothing but (when ``imported``) the payload workbook."""
    from streamlit.testing.v1 import AppTest

    from retro.ingest import analyze_bytes, store_import

    db = fresh_db(db_file)
    db.set_setting("sample_offered", "1")  # no sample: the payload is the only data
    if imported:
        data, _truth = cb.html_payload_workbook()
        store_import(db, analyze_bytes(db, data, "<b onclick=alert(1)>report.xlsx"), actor=cb.SCRIPT)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.usefixtures("navigation_only")
def test_markup_payloads_render_as_text_on_the_import_metrics_and_history_pages(db_file):
    data, _truth = cb.html_payload_workbook()
    at = _payload_app(db_file, imported=False)
    at.switch_page("pages/import_data.py").run()
    at.file_uploader[0].set_value(("<b onclick=alert(1)>report.xlsx", data, "application/octet-stream")).run()
    assert_payload_is_text(at, "import preview")
    [button] = [b for b in at.button if b.key == "do_import"]
    button.click().run()
    assert [s.value for s in at.success], "the import did not finish"
    for page in ("pages/metrics.py", "pages/history.py", "pages/home.py", "pages/goals.py"):
        at.switch_page(page).run()
        assert_payload_is_text(at, page)


@pytest.mark.usefixtures("navigation_only")
def test_markup_payloads_render_as_text_on_the_trends_page(db_file):
    at = _payload_app(db_file, imported=True)
    at.switch_page("pages/trends.py").run()
    assert_payload_is_text(at, "trends")


@pytest.mark.browser
def test_in_a_real_browser_no_payload_runs_and_no_element_is_injected(tmp_path):
    """The pages a payload reaches, in chromium: no dialog, no script run, no <img onerror> or <b> from
    the data in the DOM, and the payload visible as text."""
    from browser_support import VIEWPORT, StreamlitServer, chromium_launch_kwargs
    from playwright.sync_api import expect, sync_playwright

    from retro.db import close_all, get_database
    from retro.ingest import analyze_bytes, store_import

    expect.set_options(timeout=30_000)  # a rerun of a page may take seconds on a busy machine
    data, _truth = cb.html_payload_workbook()
    db_path = tmp_path / "payload.duckdb"
    db = get_database(db_path)
    db.set_setting("sample_offered", "1")
    store_import(db, analyze_bytes(db, data, "<b onclick=alert(1)>report.xlsx"), actor="corpus")
    close_all()
    upload = tmp_path / "again <img src=x onerror=alert(2)>.xlsx"
    upload.write_bytes(data[:-1] + data[-1:])  # the same workbook: its preview says "already imported"

    server = StreamlitServer(db_path, tmp_path / "streamlit.log").start()
    dialogs: list[str] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(**chromium_launch_kwargs())
            page = browser.new_page(viewport=VIEWPORT, locale="en-US")
            page.set_default_timeout(30_000)
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{server.url}/?lang=en")
            expect(page.get_by_role("heading", name=t("home.title", "en"), exact=True)).to_be_visible()
            for nav, title_key in (("nav.trends", "nav.trends"), ("nav.metrics", "nav.metrics"),
                                   ("nav.history", "history.title"), ("nav.home", "home.title")):
                page.locator("[data-testid=stSidebarNav]").get_by_role("link", name=t(nav, "en"), exact=True).click()
                expect(page.get_by_role("heading", name=t(title_key, "en"), exact=True)).to_be_visible()
                page.wait_for_timeout(800)  # let charts, cards and grids draw
                state = page.evaluate("""() => ({
                    title: document.title,
                    pwned: document.body.dataset.pwned || null,
                    imgs: document.querySelectorAll('img[src="x"]').length,
                    scripts: [...document.scripts].filter(s => s.textContent.includes('pwned')).length,
                    bolds: [...document.querySelectorAll('b, strong')].filter(b => b.textContent.trim() === '粗').length,  // the payload's own <b>粗</b>
                    links: [...document.querySelectorAll('a')].filter(a => a.href.includes('alert(')).map(a => a.outerHTML),
                })""")
                assert state == {"title": state["title"], "pwned": None, "imgs": 0, "scripts": 0, "bolds": 0,
                                 "links": []}, (nav, state)
                assert state["title"] != "pwned", nav
            expect(page.locator("[data-testid=stException]")).to_have_count(0)
            page.locator("[data-testid=stSidebarNav]").get_by_role("link", name=t("nav.import", "en"), exact=True).click()
            page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(upload))
            expect(page.get_by_text(upload.name).first).to_be_visible()  # the file name, shown as text
            assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
            browser.close()
    finally:
        server.stop()
    assert dialogs == []
