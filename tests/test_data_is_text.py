"""Data is text (issue 19, hole 5): a metric named with markdown, maths and a bare URL, imported from
a workbook built here, reads as those characters on every page that shows metric names; no image,
link or formula is made of it. AppTest checks the strings handed to Streamlit's markdown-rendering
elements (metric labels and values, status boxes); a real browser checks what it draws.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from browser_support import XLSX_MIME

from retro.i18n import t

pytestmark = pytest.mark.usefixtures("navigation_only")

APP = Path(__file__).resolve().parent.parent / "app.py"
TIMEOUT = 120
# What an attacker puts in a header cell: a remote image (loaded by every viewer's browser), emphasis,
# KaTeX, and a bare URL remark-gfm would turn into a link.
EVIL = "![x](http://127.0.0.1:9/x.png) **bold** $x^2$ http://example.com"
EVIL_FILE = "**q3** ![f](http://127.0.0.1:9/f.png) www.example.com.xlsx"
WJ = "\u2060"


def unescaped(shown: str) -> str:
    """What markdown makes of ``shown`` as text: backslash escapes resolved."""
    return re.sub(r"\\(.)", r"\1", shown)


def reads_as(shown: str, text: str) -> bool:
    return text in unescaped(shown).replace(WJ, "")


def inert(shown: str) -> bool:
    """No markup character left unescaped, and nothing the autolinker (http://, www.) would link."""
    return (not re.search(r"(?<!\\)[\[\]*$<>`]", shown)
            and not re.search(r"(https?://|www\.)[-.\w]", unescaped(shown), re.IGNORECASE))


def evil_workbook() -> bytes:
    """月份 | 区域 | EVIL | 销售额 for two years, two regions: a wide-by-measure sheet."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "KPI"
    ws.append(["月份", "区域", EVIL, "销售额"])
    for year in (2025, 2026):
        for month in range(1, 13):
            for region, k in (("华东", 1), ("华南", 2)):
                ws.append([f"{year}-{month:02d}", region, 10 * k + month + (year - 2025), 100 * k + month])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def evil_db(db_file: Path) -> Path:
    """The app's database holding the workbook (no sample: the first start finds data)."""
    from retro.db import Database, close_all
    from retro.ingest import analyze_bytes, store_import

    db = Database(db_file)
    analysis = analyze_bytes(db, evil_workbook(), "kpi.xlsx")
    assert analysis.ready(), [s.error for s in analysis.sheets]
    store_import(db, analysis)
    assert EVIL in {r[0] for r in db.rows("SELECT DISTINCT metric FROM facts")}
    db.close()
    close_all()
    return db_file


def open_page(page: str, lang: str = "en", **params: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def evil_metrics(at) -> list:
    cards = [m for m in at.main.metric if reads_as(m.label, EVIL)]
    assert cards, [m.label for m in at.main.metric]
    return cards


def assert_cards_are_text(at) -> None:
    for card in evil_metrics(at):
        assert inert(card.label), card.label
        assert inert(str(card.value)), card.value


def test_trends_cards_show_the_metric_name_as_text(evil_db):
    at = open_page("pages/trends.py", metric=EVIL)  # a shared link to its trend
    assert_cards_are_text(at)


def test_meeting_kpi_cards_show_the_metric_name_as_text(evil_db):
    at = open_page("pages/meeting.py")
    [start] = [b for b in at.button if b.key == "meeting_create"]
    start.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert t("meeting.step.data", "en") in [h.value for h in at.header]
    assert_cards_are_text(at)


def test_report_preview_cards_show_the_metric_name_as_text(evil_db):
    at = open_page("pages/report.py")
    assert_cards_are_text(at)


def test_the_import_status_shows_the_file_name_as_text():
    at = open_page("pages/import_data.py")
    at.file_uploader[0].set_value((EVIL_FILE, evil_workbook(), XLSX_MIME)).run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [s.label for s in at.main.status]
    assert labels and all(reads_as(x, EVIL_FILE) for x in labels), labels
    assert all(inert(x) for x in labels), labels
    tabs = [tab.label for tab in at.tabs]
    assert "KPI" in " ".join(tabs)


# --------------------------------------------------------------------------- in the browser


def test_meeting_mode_loads_no_image_link_or_formula_from_a_metric_name(evil_db, tmp_path, chromium):
    """What only the browser shows: no <img> with a remote source, no <a>, no KaTeX in the KPI cards,
    and no request to the image's address; the card's label reads as the header."""
    from browser_support import VIEWPORT, StreamlitServer

    from retro import reviews as R
    from retro.db import Database, close_all

    db = Database(evil_db)
    review_id = R.create_review(db, grain="month", period="2026-12", actor="test", lang="en")
    db.close()
    close_all()

    server = StreamlitServer(evil_db, tmp_path / "server.log").start()
    try:
        page = chromium.new_page(viewport=VIEWPORT)
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(f"{server.url}/meeting?lang=en&review={review_id}&step=data")
        cards = page.locator("[data-testid=stMetric]")
        cards.first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)  # images and fonts of the cards requested by now
        labels = page.locator("[data-testid=stMetricLabel]").all_inner_texts()
        assert any(EVIL in x.replace(WJ, "") for x in labels), labels
        main = page.locator("[data-testid=stMain]")
        remote = [s for s in main.locator("img").evaluate_all("els => els.map(e => e.src)")
                  if "127.0.0.1:9" in s or "example.com" in s]
        assert not remote, remote
        links = main.locator("[data-testid=stMetric] a").evaluate_all("els => els.map(e => e.href)")
        assert not links, links
        assert main.locator("[data-testid=stMetric] .katex").count() == 0
        assert not [u for u in requested if "127.0.0.1:9" in u or "example.com" in u], requested
        page.close()
    finally:
        server.stop()
