"""The review report (retro/report/: the model and its formats) on PostgreSQL (issue 18): a report built
from a PostgreSQL database says what the same report says from a DuckDB file holding the same imports and
the same review. A real throwaway server (tests/postgres_support.py), the real sample; no mocks.

Two kinds of test:
* the sample, a red 成本, a review with problems (5 Whys, fishbone), a measure and lessons — and two
  successes kept for 留存率 as meeting mode keeps them — logged through retro.reviews on both engines
  (``test_report_model.make_causes``), then compared: the model of several periods, grains and languages
  (every section's blocks: paragraphs, cards, tables, charts — numbers to 12 digits, the rest exactly),
  the outcome table's causes and lessons, and the text a reader gets out of every format (Markdown;
  the workbook's cell values via openpyxl; the PDF's text via pypdf; the slides' text via python-pptx);
* the tests of tests/test_report_model.py that read a database, run again here on PostgreSQL: the same
  bodies and the same expected texts (this module's ``sample_db``, ``causes_db``, ``db`` and
  ``late_region`` fixtures are PostgreSQL's)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from test_report_model import (  # noqa: F401 - collected here again with this module's fixtures
    PERIOD,
    make_causes,
    make_sample,
    test_a_region_that_did_not_report_is_left_out_and_said,
    test_an_empty_database_gives_a_report_that_says_so,
    test_an_empty_template_table_says_none_this_period,
    test_bad_options_are_refused,
    test_cards_follow_the_metrics_and_their_direction,
    test_charts_carry_their_numbers,
    test_every_format_shows_the_causes_and_lessons,
    test_every_section_in_agenda_order,
    test_four_template_tables_have_the_template_columns,
    test_not_scoring_incomplete_periods_shows_in_the_report,
    test_review_items_fill_the_tables,
    test_scorecard_equals_the_goals_scorecard,
    test_sections_english_quarter_and_team,
    test_status_words_are_the_review_workspaces,
    test_the_outcome_table_says_the_root_cause_and_the_lessons,
)
from test_scoring_postgres import alike

from retro import reviews as R
from retro import scoring as S
from retro.db import PostgresDatabase, close_all
from retro.report import export_bytes
from retro.report.model import Table, build_report

# test_report_model's last test opens a DuckDB file of its own (tmp_path); its case — a success kept for
# a KPI in the quarter's review, untagged and tagged in English — is in ``causes`` below, compared.
KEPT_EN = "Member days lift repeat buying"


def _kept_successes(db) -> None:
    """test_report_model's last test's two successes kept for 留存率, in the quarter's review."""
    row = next(r for r in S.scorecard(db, PERIOD).rows if r.metric == "留存率" and r.segment == "")
    quarter = next(r.id for r in R.reviews(db) if r.label == "2026-Q4")
    R.add_item(db, "lesson", R.kpi_success("留存率", row.period, row.grain, title="Retention beyond plan",
                                           text=KEPT_EN, tags=""), review_id=quarter)
    R.add_item(db, "lesson", R.kpi_success("留存率", dt.date(2026, 9, 1), "month", title="September's",
                                           text="another month's success"), review_id=quarter)


@pytest.fixture(scope="module")
def pg_module_url(postgres_server):
    """A database of the throwaway server for this module's shared fixtures, dropped after it."""
    url = postgres_server.create_database()
    yield url
    close_all()
    postgres_server.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture(scope="module")
def causes(tmp_path_factory, pg_module_url):
    """``make_causes`` (and the kept successes) in a DuckDB file and in a PostgreSQL database."""
    duck = make_causes(tmp_path_factory.mktemp("causes") / "causes.duckdb")
    pg = make_causes(pg_module_url)
    assert isinstance(pg, PostgresDatabase)
    for db in (duck, pg):
        _kept_successes(db)
    yield duck, pg
    duck.close()
    pg.close()
    close_all()


def _made(postgres_server, make):
    """A new database on the throwaway server filled by ``make(url)``, dropped after the module."""
    url = postgres_server.create_database()
    db = make(url)
    yield db
    db.close()
    close_all()
    postgres_server.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture(scope="module")
def causes_db(postgres_server):
    """test_report_model's ``causes_db`` (``make_causes`` alone: its tests expect no more), on PostgreSQL."""
    yield from _made(postgres_server, make_causes)


@pytest.fixture(scope="module")
def sample_db(postgres_server):
    """test_report_model's ``sample_db`` (the sample and a review of 2026-10 with its payloads), on PostgreSQL."""
    yield from _made(postgres_server, make_sample)


@pytest.fixture(scope="module")
def report_zh(sample_db):
    return build_report(sample_db, PERIOD, lang="zh")


@pytest.fixture
def db(pg_db):
    """An empty migrated database on the throwaway PostgreSQL (conftest's ``pg_db``)."""
    return pg_db


@pytest.fixture
def late_region(pg_late_region):
    """conftest's ``late_region`` in PostgreSQL (conftest's ``pg_late_region``)."""
    return pg_late_region


# --------------------------------------------------------------------------- the model, compared

# (period, language): months, quarters and a year; a month with the review, one in 2025, a quarter in progress.
REPORTS = [(PERIOD, "zh"), (PERIOD, "en"), ("2025-06", "en"), ("2026-Q4", "zh"), ("2026-Q3", "en"), ("2026", "zh")]


def outcome(report) -> Table:
    return next(b for s in report.sections for b in s.blocks if isinstance(b, Table) and b.key == "outcome")


@pytest.mark.parametrize(("period", "lang"), REPORTS)
def test_the_report_model_is_the_same_on_both_engines(causes, period, lang):
    duck, pg = causes
    a, b = build_report(duck, period, lang=lang), build_report(pg, period, lang=lang)
    assert [s.key for s in a.sections] == [s.key for s in b.sections]
    assert (a.title, a.period_label, a.filename_stem) == (b.title, b.period_label, b.filename_stem)
    for x, y in zip(a.sections, b.sections, strict=True):
        assert [type(k).__name__ for k in x.blocks] == [type(k).__name__ for k in y.blocks], x.key
        assert not (diff := alike(x, y)), (period, lang, x.key, diff[:5])
    shown = [r for s in a.sections for k in s.blocks if isinstance(k, Table) for r in k.rows]
    assert shown  # something compared beyond the "none this period" lines


def test_the_outcome_table_says_the_same_causes_and_lessons_on_both_engines(causes):
    """The root causes (the last answered why; the fishbone), "still to be found" for a KPI logged but
    not analysed, the lessons linked to a problem's measure, the successes kept for 留存率 (tagged in
    this review; untagged, in English, in the quarter's) — read from PostgreSQL as from DuckDB."""
    duck, pg = causes
    for lang in ("zh", "en"):
        rows = outcome(build_report(pg, PERIOD, lang=lang, sections=["outcome"])).rows
        assert not (diff := alike(outcome(build_report(duck, PERIOD, lang=lang, sections=["outcome"])).rows, rows)), diff
        causes_said = {r[4] for r in rows if r[4]}
        lessons_said = " ".join(r[5] for r in rows if r[5])
        assert "未锁定年度运价" in causes_said and any("投放素材未更新" in c for c in causes_said)
        assert {"旺季前锁定运价", "会员日复购有效", KEPT_EN} <= {x for r in rows if r[5] for x in r[5].replace("; ", "；").split("；")}
        assert "another month's success" not in lessons_said and "与任何指标无关的教训" not in lessons_said


def test_a_sum_whole_up_to_float_noise_reads_as_the_whole_number():
    """The sample's 2026 总销售额 is 4,217 added in DuckDB's order and 4216.999999999999 in PostgreSQL's
    (or the other way round, by plan): a chart's label read '4,217.00万元' beside '4,217万元'."""
    from retro.charts import format_value

    for lang in ("zh", "en"):
        for unit in ("万元", None, "元"):
            assert format_value(4216.999999999999, lang, unit) == format_value(4217.0, lang, unit), (lang, unit)
    assert format_value(4216.999999999999, "zh", "万元") == "4,217万元"
    assert format_value(4217.004, "zh", "万元") == "4,217.00万元"  # a real fraction keeps its decimals


# --------------------------------------------------------------------------- every format, compared


def markdown_text(data: bytes) -> str:
    return data.decode("utf-8")


def xlsx_cells(data: bytes) -> dict[str, list[list]]:
    """Every sheet's cell values, row by row (numbers as numbers, compared to 12 digits)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book}


def pdf_text(data: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def pptx_text(data: bytes) -> list[list[str]]:
    """Each slide's texts: its text boxes and its tables' cells, in the slide's order."""
    from pptx import Presentation

    def texts(shapes) -> list[str]:
        out = []
        for shape in shapes:
            if shape.shape_type == 6:  # a group: its shapes
                out += texts(shape.shapes)
            if shape.has_text_frame:
                out.append(shape.text_frame.text)
            if getattr(shape, "has_table", False) and shape.has_table:
                out += [cell.text for row in shape.table.rows for cell in row.cells]
        return out

    return [texts(slide.shapes) for slide in Presentation(io.BytesIO(data)).slides]


READERS = {"md": markdown_text, "xlsx": xlsx_cells, "pdf": pdf_text, "pptx": pptx_text}


@pytest.mark.parametrize(("period", "lang"), [(PERIOD, "zh")])  # in English: test_cli_postgres's report
def test_every_format_renders_on_postgresql_and_reads_as_on_duckdb(causes, period, lang):
    # Two charts: each is drawn as an image in the PDF and the slides, which their text does not hold.
    a, b = (build_report(db, period, lang=lang, max_charts=2) for db in causes)
    for fmt, read in READERS.items():
        x, y = read(export_bytes(a, fmt)), read(export_bytes(b, fmt))
        assert x and not (diff := alike(x, y)), (fmt, diff[:5])
        assert a.title in str(y), fmt  # the text read out, not an empty shell
    said = pdf_text(export_bytes(b, "pdf"))
    assert any(b.title in page for page in said)
    if period == PERIOD:
        assert any("未锁定年度运价" in page for page in said)  # the cost problem's root cause reaches the PDF


def test_the_report_pages_cached_report_opens_the_database_by_its_shown_url(causes, pg_module_url):
    """The report page names the database by ``db.path`` — on PostgreSQL the URL without its password —
    and its preview and downloads build the report from that: the same report as from the database."""
    from retro.db import get_database
    from retro.report import cached_bytes, cached_report

    db = get_database(pg_module_url)  # the page's database, opened with the password
    assert "***" in db.path and db.path != pg_module_url
    sections = ("summary", "outcome", "problems")
    shown = cached_report(db.path, db.data_version(), PERIOD, "zh", sections, None)
    assert not (diff := alike(shown.sections, build_report(causes[1], PERIOD, lang="zh", sections=sections).sections)), diff[:5]
    md = cached_bytes(db.path, db.data_version(), PERIOD, "zh", sections, None, "md").decode("utf-8")
    assert md == export_bytes(shown, "md").decode("utf-8") and "未锁定年度运价" in md
