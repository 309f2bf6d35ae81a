"""Every page through Streamlit's AppTest, always driven from ``app.py`` (navigation + sidebar).

Each test has its own database: conftest's autouse fixture points ``RETRO_DB`` at a fresh tmp
file and closes the app's process-wide DuckDB connection afterwards. Stored rows are read back
through conftest's ``helpers.query`` (read-only, after letting go of the app's connection).

Expected texts always come from the catalog (``retro.i18n.t``), in the language under test.

Two AppTest limits shape these tests (streamlit 1.67):
- With a ``pages/`` directory beside ``app.py``, AppTest recreates its PagesManager on every
  run and so re-detects the legacy ``pages/`` mode; from the second run on it then executes the
  page file alone, without ``app.py`` (no sidebar, no page config). A long-running server
  detects it once, and ``st.navigation`` turns it off for good. the ``navigation_only`` fixture (conftest.py) makes
  AppTest behave like the server after its first run. (The server's own first run is the real
  glitch; ``test_browser.py::test_first_request_on_a_subpage_gets_the_app_frame`` covers it.)
- AppTest has no fragment reruns, so the button *inside* ``st.dialog`` (confirm undo) cannot be
  clicked here; the browser test confirms the undo through the dialog.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from browser_support import (
    XLSX_MIME,
    broken_workbook,
    coded_workbook,
    mismatch_workbook,
    pivot_workbook,
    region_months,
    sheet_bytes,
    wide_workbook,
)

from retro.i18n import CATALOG, message_text, mismatch_text, reading_text, t
from retro.ui import md  # user text (file names) is escaped before it reaches markdown

pytestmark = pytest.mark.usefixtures("navigation_only")

APP = Path(__file__).resolve().parent.parent / "app.py"
TIMEOUT = 60

def app_pages() -> list[str]:
    """The page files app.py hands to st.navigation, in order (read from its st.Page calls)."""
    tree = ast.parse(APP.read_text(encoding="utf-8"))
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "Page"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]


# The catalog key of each page's title: these three have their own; the others use "nav.<name>".
TITLE_KEYS = {
    "pages/home.py": "home.title",
    "pages/import_data.py": "import.title",
    "pages/history.py": "history.title",
}


def title_key(page: str) -> str:
    return TITLE_KEYS.get(page, f"nav.{Path(page).stem}")


PAGES = [(page, title_key(page)) for page in app_pages()]
CATALOG_KEY = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
SAMPLE_METRICS = {"销售额", "新增客户", "留存率", "满意度", "获客成本", "成本"}


@pytest.fixture
def open_app():
    """``open_app(lang=None, page=None, locale=None)``: app.py run once (then the page), no exception."""

    def _open(lang: str | None = None, page: str | None = None, locale: str | None = None):
        from streamlit.testing.v1 import AppTest

        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        if lang is not None:
            at.query_params["lang"] = lang
        if locale is not None:
            at.context["locale"] = locale
        at.run()
        assert_clean(at)
        if page is not None and page != "pages/home.py":
            at.switch_page(page).run()
            assert_clean(at)
        return at

    return _open


# --------------------------------------------------------------------------- helpers


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "Traceback" in str(e.value)]


def texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def title(at) -> str:
    assert len(at.title) == 1, texts(at.title)
    return at.title[0].value


def dataframe_by_column(at, column: str):
    """The one dataframe on the page that has ``column``."""
    frames = [d.value for d in at.main.dataframe if column in d.value.columns]
    assert len(frames) == 1, [list(d.value.columns) for d in at.main.dataframe]
    return frames[0]


def assert_no_raw_keys(at) -> None:
    """No catalog key shown instead of its text (t() returns the key when it is missing)."""
    shown = texts(at.title) + texts(at.caption) + texts(at.info) + texts(at.markdown) + texts(at.success)
    shown += [b.label for b in at.button] + [m.label for m in at.metric] + [s.label for s in at.selectbox]
    leaked = [x for x in shown if CATALOG_KEY.match(x.strip())]
    assert not leaked, leaked


def assert_sidebar(at, lang: str, *, with_data: bool = True) -> None:
    """The global sidebar is there: the language switch on ``lang``, the period picker, the data line."""
    switch = at.sidebar.segmented_control
    assert len(switch) == 1, at.sidebar
    assert switch[0].label == t("sidebar.language", lang)
    assert switch[0].value == lang
    if with_data:
        assert [s.label for s in at.sidebar.selectbox] == [t("sidebar.period", lang)]
    else:
        assert not at.sidebar.selectbox
        assert t("sidebar.no_data", lang) in texts(at.sidebar.caption)


# --------------------------------------------------------------------------- overview


def test_first_start_shows_the_sample_banner_and_its_metrics(open_app, helpers, db_file):
    at = open_app(lang="zh")

    assert title(at) == t("home.title", "zh")
    assert t("home.sample_loaded", "zh") in texts(at.info)
    assert [b.label for b in at.main.button] == [t("home.clear_sample", "zh")]

    inventory = dataframe_by_column(at, "metric")
    assert set(inventory["metric"]) >= SAMPLE_METRICS, inventory
    # 销售额 and 新增客户 come with both an actual and a plan series; 满意度 only with actuals.
    scenarios = inventory.groupby("metric")["scenario"].agg(set).to_dict()
    assert scenarios["销售额"] == {t("scenario.actual", "zh"), t("scenario.plan", "zh")}
    assert scenarios["新增客户"] == {t("scenario.actual", "zh"), t("scenario.plan", "zh")}
    assert scenarios["满意度"] == {t("scenario.actual", "zh")}

    # The page's numbers are the database's.
    facts, metrics = helpers.query(db_file, "SELECT count(*), count(DISTINCT metric) FROM current_facts")[0]
    assert facts > 0
    assert int(inventory["values_"].sum()) == facts
    shown = {m.label: m.value for m in at.main.metric}
    assert shown[t("home.values", "zh")] == f"{facts:,}"
    assert shown[t("home.metrics", "zh")] == str(metrics)
    assert helpers.query(db_file, "SELECT count(*), bool_and(is_sample) FROM imports")[0] == (1, True)

    # Sidebar: language, the newest month with actuals as the active period.
    assert_sidebar(at, "zh")
    newest_actual = helpers.query(
        db_file, "SELECT strftime(max(period), '%Y-%m') FROM current_facts WHERE scenario = 'actual'"
    )[0][0]
    assert [s for s in at.sidebar.selectbox if s.key.startswith("_period_choice")][0].value == newest_actual
    assert at.query_params.get("period") == newest_actual


def test_clear_sample_empties_the_database_and_load_brings_it_back(open_app, helpers, db_file):
    at = open_app(lang="en")
    at.button(key="clear_sample").click().run()
    assert_clean(at)

    assert t("home.sample_cleared", "en") in texts(at.toast)
    assert t("home.empty", "en") in texts(at.info)
    assert t("home.sample_loaded", "en") not in texts(at.info)
    assert not at.main.dataframe
    assert_sidebar(at, "en", with_data=False)
    assert helpers.counts(db_file) == {"facts": 0, "imports": 0, "transactions": 0}

    # Once cleared, a new session on the same database does not bring the sample back by itself.
    again = open_app(lang="en")
    assert t("home.empty", "en") in texts(again.info)
    assert helpers.counts(db_file)["imports"] == 0

    again.button(key="load_sample").click().run()
    assert_clean(again)
    assert t("home.sample_loaded", "en") in texts(again.info)
    assert set(dataframe_by_column(again, "metric")["metric"]) >= SAMPLE_METRICS
    assert_sidebar(again, "en")
    after = helpers.counts(db_file)
    assert after["imports"] == 1 and after["facts"] > 0 and after["transactions"] > 0
    assert helpers.query(db_file, "SELECT bool_and(is_sample) FROM imports")[0][0] is True


def headline_tiles(at) -> dict[str, str]:
    """The overview's headline KPI tiles: metric label (without the status dot) → attainment shown."""
    return {m.label.split("] ", 1)[1]: m.value for m in at.main.metric if m.label.startswith(":")}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_overview_headline_attainment_is_the_goals_pages(open_app, sample_db_file, lang):
    """The front page's headline KPIs read the goals page's numbers for the same (active) period."""
    at = open_app(lang=lang)
    period = [s for s in at.sidebar.selectbox if s.key.startswith("_period_choice")][0].value
    assert t("home.heading", lang, period=period) in texts(at.subheader)
    tiles = headline_tiles(at)
    overall = metric_values(at)[t("goals.overall", lang)]

    at.switch_page("pages/goals.py").run()
    assert_clean(at)
    assert [s for s in at.main.selectbox if s.label == t("goals.period", lang)][0].value == period
    frames = [d.value for d in at.main.dataframe if "attainment" in d.value.columns and "status" in d.value.columns]
    assert len(frames) == 1
    scored = {row.metric: f"{row.attainment:.1f}%" for row in frames[0].itertuples() if row.attainment == row.attainment}
    assert tiles, "no headline KPI on the overview"
    sales = next(name for name in scored if name in ("销售额", "Revenue", "Sales"))
    assert tiles[sales] == scored[sales]
    assert {name: tiles[name] for name in tiles} == {name: scored[name] for name in tiles}
    assert metric_values(at)[t("goals.overall", lang)] == overall


def test_a_review_edit_leaves_the_overviews_numbers_cached_and_an_import_refreshes_them(open_app, sample_db_file,
                                                                                        tmp_path):
    """A review edit bumps the data version, not the numbers: the overview's headline (the goals page's
    memoised scorecard) and what the database holds are not computed again (seconds on PostgreSQL at 2M
    values), the measures are; an import changes the numbers and the inventory shows it."""
    from conftest import fresh_db, load_csv

    from retro import reviews as R
    from retro.ui import goals as G
    from retro.ui import overview as OV

    at = open_app(lang="zh")
    values = t("home.values", "zh")
    before = metric_values(at)[values]
    built = (OV.holdings.memo.misses, G.card.memo.misses, OV.measures.memo.misses)
    R.create_review(fresh_db(sample_db_file), grain="month", period="2026-10", actor="张三")
    at.run()
    assert_clean(at)
    assert (OV.holdings.memo.misses, G.card.memo.misses) == built[:2]
    assert OV.measures.memo.misses == built[2] + 1  # the page did read the new data version
    load_csv(fresh_db(sample_db_file), tmp_path, "新指标.csv", "月份,新增门店\n2026-09,3\n2026-10,5\n")
    at.run()
    assert_clean(at)
    assert OV.holdings.memo.misses == built[0] + 1
    assert metric_values(at)[values] != before


def test_the_sample_banner_goes_once_the_users_own_data_is_in(open_app, sample_db_file, tmp_path):
    at = open_app(lang="zh")
    assert t("home.sample_loaded", "zh") in texts(at.info)
    from conftest import fresh_db, load_csv

    load_csv(fresh_db(sample_db_file), tmp_path, "华东月报.csv", "月份,区域,销售额\n2026-10,华东,120\n2026-10,华南,80\n")
    at = open_app(lang="zh")
    assert t("home.sample_loaded", "zh") not in texts(at.info)
    assert t("home.sample_viewer", "zh") not in texts(at.info)
    # The sample can still be removed, from the inventory at the bottom; the latest import is the user's.
    assert [b.label for b in at.main.button] == [t("home.clear_sample", "zh")]
    assert any("华东月报.csv" in x for x in texts(at.markdown))


def test_the_overview_lists_overdue_measures_first(open_app, sample_db_file):
    import datetime as dt

    from conftest import fresh_db

    from retro import reviews as R

    db = fresh_db(sample_db_file)
    review = R.create_review(db, grain="month", period="2026-10")
    long_ago = dt.date.today() - dt.timedelta(days=30)
    for title, due in (("下月再看", dt.date.today() + dt.timedelta(days=20)), ("复盘华东渠道", long_ago + dt.timedelta(days=3))):
        R.add_item(db, "measure", {"title": title, "owner": "李四", "due": due}, review_id=review, today=long_ago)
    at = open_app(lang="zh")
    assert t("home.measures_counts", "zh", open=2, overdue=1) in texts(at.markdown)
    listing = next(x for x in texts(at.markdown) if "复盘华东渠道" in x)
    assert listing.index("复盘华东渠道") < listing.index("下月再看")
    assert t("home.overdue", "zh") in listing.split("\n")[0]


# --------------------------------------------------------------------------- every page, both languages


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_renders_in_both_languages(open_app, lang):
    at = open_app(lang=lang)
    for page, key in PAGES:
        at.switch_page(page).run()
        assert_clean(at)
        assert title(at) == t(key, lang), page
        assert_sidebar(at, lang)
        assert_no_raw_keys(at)
        if t("placeholder.title", lang) in texts(at.caption):
            # An honest placeholder: says what is coming, in the page's language.
            before, _, after = t("placeholder.body", lang, what="\x00").partition("\x00")
            assert any(i.startswith(before) and i.endswith(after) for i in texts(at.info)), page


def test_every_page_of_the_app_is_covered():
    assert len(PAGES) >= 7, PAGES
    for page in ("pages/home.py", "pages/import_data.py", "pages/history.py", "pages/trends.py",
                 "pages/goals.py", "pages/review.py", "pages/report.py"):
        assert page in dict(PAGES), page
    for page, _ in PAGES:
        assert (APP.parent / page).is_file(), page


def test_catalog_has_both_languages_for_every_page_title():
    for _, key in PAGES:
        assert CATALOG[key]["zh"].strip() and CATALOG[key]["en"].strip(), key
        assert CATALOG[key]["zh"] != CATALOG[key]["en"], key


@pytest.mark.parametrize(("locale", "lang"), [("zh-CN", "zh"), ("zh-TW", "zh"), ("en-US", "en"), ("de-DE", "en")])
def test_language_follows_the_browser_locale(open_app, locale, lang):
    at = open_app(locale=locale)
    assert title(at) == t("home.title", lang)
    assert_sidebar(at, lang)


def test_url_language_wins_over_the_locale(open_app):
    at = open_app(lang="en", locale="zh-CN")
    assert title(at) == t("home.title", "en")


def test_sidebar_language_switch_changes_the_page_language(open_app):
    at = open_app(lang="zh", page="pages/import_data.py")
    assert title(at) == t("import.title", "zh")

    at.sidebar.segmented_control[0].set_value("en").run()
    assert_clean(at)
    assert title(at) == t("import.title", "en")
    assert at.file_uploader[0].label == t("import.upload", "en")
    assert at.query_params.get("lang") == "en"
    assert_sidebar(at, "en")

    # The choice sticks when moving to another page, and switches back.
    at.switch_page("pages/history.py").run()
    assert title(at) == t("history.title", "en")
    at.sidebar.segmented_control[0].set_value("zh").run()
    assert_clean(at)
    assert title(at) == t("history.title", "zh")
    assert at.query_params.get("lang") == "zh"


def test_period_picker_sets_the_active_period(open_app):
    at = open_app(lang="en")
    picker = [s for s in at.sidebar.selectbox if s.key.startswith("_period_choice")][0]
    options = picker.options
    assert len(options) > 12
    assert picker.value == options[0]
    older = options[3]
    assert older < options[0]
    [s for s in at.sidebar.selectbox if s.key.startswith("_period_choice")][0].set_value(older).run()
    assert_clean(at)
    assert at.session_state["period"] == older
    assert at.query_params.get("period") == older
    at.switch_page("pages/history.py").run()
    assert [s for s in at.sidebar.selectbox if s.key.startswith("_period_choice")][0].value == older


# --------------------------------------------------------------------------- import page


def test_import_page_without_a_file(open_app):
    at = open_app(lang="zh", page="pages/import_data.py")
    assert title(at) == t("import.title", "zh")
    assert t("import.intro", "zh") in texts(at.caption)
    uploader = at.file_uploader
    assert len(uploader) == 1 and uploader[0].label == t("import.upload", "zh")
    assert {"xlsx", "xlsm", "xls", "csv"} <= {x.lstrip(".") for x in uploader[0].allowed_type}
    assert not at.main.button and not at.error and not at.main.dataframe


def test_import_page_previews_and_imports_a_workbook(open_app, helpers, db_file):
    wb = wide_workbook()
    at = open_app(lang="zh", page="pages/import_data.py")
    before = helpers.counts(db_file)

    at.file_uploader[0].set_value((wb.name, wb.data, XLSX_MIME)).run()
    assert_clean(at)

    # The preview: layout, the year's source, the checks against the 合计 row, the parsed rows.
    layout = f"**{t('import.shape', 'zh')}:** {t('shape.wide_period', 'zh')}"
    year = t("import.year_source", "zh", source=t("year_source.sheet", "zh"))
    assert any(m.startswith(layout) and year in m and "(2026)" in m for m in texts(at.markdown))
    assert t("recon.summary_ok", "zh", n=len(wb.months)) in texts(at.success)
    assert not at.error
    metrics = {m.label: m.value for m in at.main.metric}
    # Rows are the sheet's rows (one per region); the values stored are counted beside them.
    assert metrics[t("import.source_rows", "zh")] == str(len(wb.regions))
    assert t("import.values_stored", "zh", n=wb.rows) in texts(at.caption)
    assert metrics[t("import.metrics", "zh")] == "1"
    assert metrics[t("import.dimensions", "zh")] == "1"
    assert any(t("import.preview", "zh", n=wb.rows) in m for m in texts(at.markdown))

    rows = dataframe_by_column(at, "区域")
    assert len(rows) == wb.rows
    assert set(rows["区域"]) == set(wb.regions), rows  # the 合计 row is left out
    period_col = t("preview.period", "zh")
    for region, values in wb.regions.items():
        mine = rows[rows["区域"] == region].sort_values(period_col)
        assert list(mine[period_col]) == wb.months
        assert [float(v) for v in mine[t("preview.value", "zh")]] == values
    assert set(rows[t("preview.metric", "zh")]) == {wb.metric}

    assert helpers.counts(db_file) == before, "the preview must not store anything"

    button = at.button(key="do_import")
    assert button.label == t("import.button", "zh", n=1)
    button.click().run()
    assert_clean(at)
    done = t("import.done", "zh", rows=str(wb.rows), periods=f"{wb.months[0]} – {wb.months[-1]}")
    assert done in texts(at.success)
    assert not at.main.dataframe, "the uploader is emptied after an import"

    stored = helpers.query(
        db_file,
        """SELECT dims['区域'], strftime(period, '%Y-%m'), value FROM current_facts
           WHERE metric = ? AND scenario = 'actual' ORDER BY 1, 2""",
        [wb.metric],
    )
    expected = sorted(
        (region, month, value)
        for region, values in wb.regions.items()
        for month, value in zip(wb.months, values, strict=True)
    )
    assert stored == expected
    imports = helpers.query(db_file, "SELECT id, file_name, row_count, is_sample FROM imports ORDER BY id")
    assert imports[-1][1:] == (wb.name, wb.rows, False)
    new_id = imports[-1][0]

    # The new file is on the history page and its metric on the overview.
    at.switch_page("pages/history.py").run()
    assert_clean(at)
    history = dataframe_by_column(at, t("history.file", "zh"))
    assert wb.name in set(history[t("history.file", "zh")])
    at.switch_page("pages/home.py").run()
    assert wb.metric in set(dataframe_by_column(at, "metric")["metric"])

    # The same bytes again: "already imported", nothing stored.
    at.switch_page("pages/import_data.py").run()
    after_first = helpers.counts(db_file)
    at.file_uploader[0].set_value((wb.name, wb.data, XLSX_MIME)).run()
    assert_clean(at)
    assert t("import.already", "zh", id=new_id) in texts(at.info)
    assert not at.main.button
    assert helpers.counts(db_file) == after_first


def test_import_page_rejects_a_broken_file_and_keeps_working(open_app, helpers, db_file):
    name, data = broken_workbook()
    at = open_app(lang="en", page="pages/import_data.py")
    before = helpers.counts(db_file)

    at.file_uploader[0].set_value((name, data, XLSX_MIME)).run()
    assert_clean(at)
    error = message_text("not_a_spreadsheet", {"ext": ".xlsx"}, "en", "error")
    assert texts(at.error) == [t("import.failed", "en", error=error)]
    assert not at.main.button
    assert helpers.counts(db_file) == before

    # A truncated real workbook: damaged, also refused without storing anything.
    good = wide_workbook()
    at.file_uploader[0].set_value(("truncated.xlsx", good.data[: len(good.data) // 2], XLSX_MIME)).run()
    assert_clean(at)
    assert len(at.error) == 1 and at.error[0].value.startswith(t("import.failed", "en", error=""))
    assert helpers.counts(db_file) == before

    at.switch_page("pages/home.py").run()
    assert_clean(at)
    assert title(at) == t("home.title", "en")
    assert set(dataframe_by_column(at, "metric")["metric"]) >= SAMPLE_METRICS


def buttons_labelled(at, label: str) -> list:
    return [b for b in at.main.button if b.label == label]


def metric_values(at) -> dict[str, str]:
    return {m.label: m.value for m in at.main.metric}


def test_a_weak_reading_offers_the_other_role_in_one_click(open_app, helpers, db_file):
    """GMV's 8-digit amounts look like codes: the preview asks, and one click beside the question
    makes GMV a measure; the choice is shown, imported, and applied again to next month's file."""
    lang = "en"
    wb = coded_workbook("2026-02")
    at = open_app(lang=lang, page="pages/import_data.py")
    at.file_uploader[0].set_value((wb.name, wb.data, XLSX_MIME)).run()
    assert_clean(at)
    codes = reading_text({"decision": "code_column", "evidence": "values",
                          "params": {"header": "GMV", "pattern": "fixed_width", "width": 8}}, lang)
    assert t("import.please_check", lang, text=codes) in texts(at.warning), texts(at.warning)
    assert metric_values(at)[t("import.metrics", lang)] == "1"
    metrics_col, value_col = t("preview.metric", lang), t("preview.value", lang)
    assert set(dataframe_by_column(at, metrics_col)[metrics_col]) == {"销售额"}

    use = buttons_labelled(at, t("import.use_as.measure", lang, header="GMV"))
    assert use, [b.label for b in at.main.button]
    use[0].click().run()
    assert_clean(at)
    # Re-read: GMV is a metric now, the question is answered, the choice is said with an undo.
    assert metric_values(at)[t("import.metrics", lang)] == "2"
    assert not [w for w in texts(at.warning) if "GMV" in w]
    set_by_user = t("import.role_set", lang, header="GMV", role=t("role.measure", lang))
    assert set_by_user in texts(at.caption)
    assert buttons_labelled(at, t("import.role_undo", lang))
    rows = dataframe_by_column(at, metrics_col)
    gmv = rows[rows[metrics_col] == "GMV"]
    assert sorted(float(v) for v in gmv[value_col]) == sorted(float(v) for v in wb.gmv.values())

    at.button(key="do_import").click().run()
    assert_clean(at)
    stored = helpers.query(
        db_file, "SELECT dims['门店'], value FROM current_facts WHERE metric = 'GMV' ORDER BY 1")
    assert stored == sorted((store, float(v)) for store, v in wb.gmv.items())

    # Next month's file of the same layout: GMV is a measure again, said as last time's choice.
    march = coded_workbook("2026-03")
    at.file_uploader[0].set_value((march.name, march.data, XLSX_MIME)).run()
    assert_clean(at)
    assert t("import.remembered", lang) in texts(at.caption)
    assert t("import.role_remembered", lang, header="GMV", role=t("role.measure", lang)) in texts(at.caption)
    assert metric_values(at)[t("import.metrics", lang)] == "2"
    # Undo: GMV is read as detected again, and the question is back with its buttons.
    buttons_labelled(at, t("import.role_undo", lang))[0].click().run()
    assert_clean(at)
    assert metric_values(at)[t("import.metrics", lang)] == "1"
    assert t("import.please_check", lang, text=codes) in texts(at.warning)
    assert buttons_labelled(at, t("import.use_as.measure", lang, header="GMV"))


def test_a_row_counter_becomes_a_segment_from_the_list_of_readings(open_app):
    """门店序号 counts 1 … 6 and is left out; beside that reading in "How it was read", one click
    makes it a segment: a third dimension, a column of the parsed rows."""
    lang = "zh"
    wb = coded_workbook()
    at = open_app(lang=lang, page="pages/import_data.py")
    at.file_uploader[0].set_value((wb.name, wb.data, XLSX_MIME)).run()
    assert_clean(at)
    counter = reading_text({"decision": "row_counter", "evidence": "values",
                            "params": {"header": "门店序号", "first": 1, "last": len(wb.gmv)}}, lang)
    assert any(counter in m for m in texts(at.markdown)), texts(at.markdown)
    dimensions = t("import.dimensions", lang)
    assert metric_values(at)[dimensions] == "2"  # 门店, and GMV read as a code
    assert "门店序号" not in dataframe_by_column(at, t("preview.value", lang)).columns
    # A strong reading: no question asked, but the other roles are offered beside it.
    assert not [w for w in texts(at.warning) if "门店序号" in w]
    assert buttons_labelled(at, t("import.use_as.measure", lang, header="门店序号"))
    segment = buttons_labelled(at, t("import.use_as.dimension", lang, header="门店序号"))
    assert len(segment) == 1
    segment[0].click().run()
    assert_clean(at)
    assert metric_values(at)[dimensions] == "3"
    segment_set = t("import.role_set", lang, header="门店序号", role=t("role.dimension", lang))
    assert segment_set in texts(at.caption)
    rows = dataframe_by_column(at, "门店序号")
    assert sorted(rows["门店序号"].astype(int)) == list(range(1, len(wb.gmv) + 1))
    assert not any(counter in m for m in texts(at.markdown))


def test_a_helper_sheet_taken_in_is_taken_in_again_next_month(open_app, helpers, db_file):
    lang = "zh"
    march = pivot_workbook(3)
    at = open_app(lang=lang, page="pages/import_data.py")
    at.file_uploader[0].set_value((march.name, march.data, XLSX_MIME)).run()
    assert_clean(at)
    assert t("skip.helper", lang) in texts(at.caption)
    assert t("import.nothing", lang) in texts(at.info)
    at.button(key=f"take_in::{march.sheet}").click().run()
    assert_clean(at)
    at.button(key="do_import").click().run()
    assert_clean(at)

    april = pivot_workbook(4)
    at.file_uploader[0].set_value((april.name, april.data, XLSX_MIME)).run()
    assert_clean(at)
    assert t("import.remembered_take_in", lang) in texts(at.caption)
    assert t("skip.helper", lang) not in texts(at.caption)
    assert not [b for b in at.main.button if b.key == f"take_in::{march.sheet}"]
    button = at.button(key="do_import")
    assert button.label == t("import.button", lang, n=1)
    button.click().run()
    assert_clean(at)
    stored = helpers.query(
        db_file,
        "SELECT dims['行标签'], value FROM current_facts WHERE metric = ? AND period = '2026-04-01' ORDER BY 1",
        [april.metric])
    assert stored == sorted((region, values[-1]) for region, values in april.regions.items())


# --------------------------------------------------------------------------- history page


def test_history_lists_the_sample_and_undo_asks_for_confirmation(open_app, helpers, db_file):
    at = open_app(lang="en", page="pages/history.py")
    assert title(at) == t("history.title", "en")
    history = dataframe_by_column(at, t("history.file", "en"))
    assert list(history[t("history.file", "en")]) == ["retro_sample.xlsx"]
    assert bool(history[t("history.sample", "en")].iloc[0]) is True
    import_id, rows = helpers.query(db_file, "SELECT id, row_count FROM imports")[0]
    assert int(history[t("history.rows", "en")].iloc[0]) == rows

    undo = at.button(key="undo")
    assert undo.label == t("history.undo", "en", id=import_id)
    undo.click().run()
    assert_clean(at)
    # The confirmation dialog: what will happen, and the button that does it.
    confirm = t("history.undo_confirm", "en", file=md("retro_sample.xlsx"), rows=rows)
    assert any(confirm in m for m in texts(at.markdown)), texts(at.markdown)
    assert at.button(key="undo_yes").label == t("history.undo_yes", "en")
    # Opening the dialog changes nothing.
    assert helpers.counts(db_file)["imports"] == 1


def test_history_page_when_nothing_is_imported(open_app):
    at = open_app(lang="zh")
    at.button(key="clear_sample").click().run()
    at.switch_page("pages/history.py").run()
    assert_clean(at)
    assert t("history.empty", "zh") in texts(at.info)
    assert not at.main.dataframe and not at.main.button


def test_history_does_not_count_an_import_as_replaced_by_itself(open_app, helpers, db_file):
    """With the sample as the only import, nothing has been "replaced by a later import".

    The sample's 销售月报 and KPI明细 sheets both carry the same 销售额 actuals for 2026-01…10;
    one sheet's values standing in for the other's inside one file is not a later replacement.
    """
    at = open_app(lang="en", page="pages/history.py")
    history = dataframe_by_column(at, t("history.file", "en"))
    assert len(history) == 1
    self_replaced = helpers.query(db_file, "SELECT count(*) FROM fact_rows WHERE replaced_by = import_id")[0][0]
    assert int(history[t("history.replaced", "en")].iloc[0]) == 0, (
        f"{self_replaced} rows of the only import are shown as replaced by a later import"
    )


def test_markup_in_an_upload_is_shown_as_text(open_app):
    """Sheet names, headers and cells are data: a script tag or a link in them never becomes markup."""
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2026 <script>"  # Excel allows < > in sheet names, not [ ] or *
    ws.append(["区域", "1月", "2月", "备注<b>"])
    ws.append(["华东", 1, "[click](javascript:alert(1))", "<img src=x onerror=alert(1)>"])
    ws.append(["**华南**", 3, 4, ""])
    ws.append(["华北", 5, 6, ""])
    ws.append(["西南", 7, 8, ""])
    buf = io.BytesIO()
    wb.save(buf)
    at = open_app(lang="en", page="pages/import_data.py")
    at.file_uploader[0].set_value(("<b>report</b>.xlsx", buf.getvalue(), XLSX_MIME)).run()
    assert_clean(at)
    rendered = texts(at.markdown) + texts(at.caption) + texts(at.warning) + texts(at.info) + [
        tab.label for tab in at.tabs]
    joined = "\n".join(rendered)
    assert "[click](javascript" not in joined and "\\[click\\]" in joined  # the unparsed cell, quoted escaped
    assert "<img" not in joined and "<b>" not in joined
    assert "<script>" not in joined and "\\<script\\>" in joined  # the sheet name, escaped, in its tab label


# --------------------------------------------------------------------------- the reconciliation gate


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_sheet_that_differs_from_its_totals_says_why_offers_the_fix_and_is_not_imported_unconfirmed(
        open_app, helpers, db_file, lang):
    wb = mismatch_workbook(2026)
    at = open_app(lang=lang, page="pages/import_data.py")
    before = helpers.counts(db_file)
    at.file_uploader[0].set_value((wb.name, wb.data, XLSX_MIME)).run()
    assert_clean(at)
    why = {"code": "stored_row", "rows": [wb.stray_row], "fix": {"skip_rows": [wb.stray_row]}}
    assert any(mismatch_text(why, lang) in e for e in texts(at.error)), texts(at.error)
    assert at.button(key="do_import").disabled  # not imported without a fix or a confirmation
    assert t("recon.gate", lang, sheets=f"“{wb.sheet}”") in texts(at.warning)

    # a confirmation alone lets it in (not taken here): the checkbox enables the button
    at.checkbox(key=f"accept::{wb.sheet}").check().run()
    assert not at.button(key="do_import").disabled
    at.checkbox(key=f"accept::{wb.sheet}").uncheck().run()
    assert at.button(key="do_import").disabled

    # the one-click fix: the row left out, the sheet agrees with its totals, the import goes in
    fix = t("recon.fix_skip", lang, rows=str(wb.stray_row))
    buttons_labelled(at, fix)[0].click().run()
    assert_clean(at)
    assert not at.error
    assert t("reading.skipped_row", lang, row=wb.stray_row) in "\n".join(texts(at.markdown)), texts(at.markdown)
    assert not at.button(key="do_import").disabled
    assert helpers.counts(db_file) == before
    at.button(key="do_import").click().run()
    assert_clean(at)
    stored = helpers.query(db_file, "SELECT strftime(period, '%Y-%m'), sum(value) FROM current_facts "
                                    "WHERE import_id = (SELECT max(id) FROM imports) GROUP BY 1 ORDER BY 1")
    assert dict(stored) == wb.totals  # the numbers match the sheet's own totals

    at.switch_page("pages/history.py").run()
    assert_clean(at)
    history = dataframe_by_column(at, t("history.reconciled", lang))
    assert ("✓ " + t("reconciled.match", lang)) in set(history[t("history.reconciled", lang)])


# --------------------------------------------------------------------------- restatements


def test_a_restated_month_is_listed_in_the_preview_and_kept_in_the_history(open_app, helpers, db_file):
    lang = "zh"  # AppTest formats the overlap radio's options in the test's process, where the language is zh
    at = open_app(lang=lang, page="pages/import_data.py")
    at.file_uploader[0].set_value(("feb.xlsx", region_months({"华东": [10, 20], "华南": [5, 6]}, "2026门店销售"), XLSX_MIME)).run()
    at.button(key="do_import").click().run()
    assert_clean(at)
    march = region_months({"华东": [10, 25, 30], "华南": [5, 6, 7]}, "2026门店销售")
    at.file_uploader[0].set_value(("mar.xlsx", march, XLSX_MIME)).run()
    assert_clean(at)
    assert any(w.startswith(t("import.restated", lang, n="1")) for w in texts(at.warning)), texts(at.warning)
    listed = dataframe_by_column(at, t("restated.old", lang))
    row = listed.iloc[0]
    assert (row[t("restated.period", lang)], row[t("restated.old", lang)], row[t("restated.new", lang)],
            row[t("restated.difference", lang)], row[t("restated.file_name", lang)]) == ("2026-02", 20.0, 25.0, 5.0, "feb.xlsx")
    at.button(key="do_import").click().run()
    assert_clean(at)

    at.switch_page("pages/history.py").run()
    assert_clean(at)
    assert t("history.restated", lang, n="1") in texts(at.markdown)
    kept = dataframe_by_column(at, t("restated.new", lang))
    assert kept.iloc[0][t("restated.new", lang)] == 25.0 and kept.iloc[0][t("restated.old", lang)] == 20.0


    # the trends line marks the restated month with what it was before (the total: 25 + 6 then 20 + 6)
    import json

    at.query_params["metric"] = "门店销售"
    at.query_params["from"], at.query_params["to"] = "2026-01", "2026-03"
    at.switch_page("pages/trends.py").run()
    assert_clean(at)
    charts_ = at.main.get("vega_lite_chart")
    trend = [c for c in charts_ if "restated" in {layer.get("name") for layer in json.loads(c.proto.spec).get("layer", [])}]
    assert len(trend) == 1, [json.loads(c.proto.spec).get("layer") for c in charts_][:1]
    drawn = json.dumps(json.loads(trend[0].proto.spec), ensure_ascii=False) + str(trend[0].proto.datasets)
    assert t("charts.restated_was", lang, text="26") in drawn  # February's earlier total, 20 + 6


# --------------------------------------------------------------------------- same name, other KPI


def test_a_metric_named_like_another_sources_is_told_apart_and_one_click_makes_it_the_same(open_app, db_file):
    lang = "en"
    at = open_app(lang=lang, page="pages/import_data.py")
    finance = sheet_bytes("Finance", ["Month", "Sales"], [["2017-01", 1_200_000], ["2017-02", 1_300_000]])
    at.file_uploader[0].set_value(("finance.xlsx", finance, XLSX_MIME)).run()
    at.button(key="do_import").click().run()
    assert_clean(at)
    orders = sheet_bytes("Orders", ["Order Date", "Region", "Sales"], [["2017-02-03", "East", 120.5], ["2017-02-04", "West", 80.0]])
    at.file_uploader[0].set_value(("orders.xlsx", orders, XLSX_MIME)).run()
    assert_clean(at)
    said = reading_text({"decision": "kpi_new", "evidence": "values", "strength": "weak",
                         "params": {"metric": "Sales", "files": "finance.xlsx", "why": ["dimensions", "scale"],
                                    "as": "Sales · orders"}}, lang)
    assert any(said in w for w in texts(at.warning)), texts(at.warning)
    assert set(dataframe_by_column(at, t("preview.metric", lang))[t("preview.metric", lang)]) == {"Sales · orders"}
    buttons_labelled(at, t("import.kpi_same", lang, metric="Sales"))[0].click().run()
    assert_clean(at)
    assert set(dataframe_by_column(at, t("preview.metric", lang))[t("preview.metric", lang)]) == {"Sales"}
    assert buttons_labelled(at, t("import.kpi_apart", lang, **{"as": "Sales · orders"}))
