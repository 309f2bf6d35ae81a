"""retro.report.markdown: Markdown for chat and self-contained HTML for email, user text escaped."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from test_report_model import PERIOD, make_sample

from retro import scoring as S
from retro.report.markdown import render_html, render_md, sparkline
from retro.report.model import Paragraph, Report, Section, Table, build_report


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    from retro.db import close_all

    db = make_sample(tmp_path_factory.mktemp("md") / "sample.duckdb")
    yield db
    db.close()
    close_all()


@pytest.fixture(scope="module")
def report(sample_db):
    return build_report(sample_db, PERIOD, lang="zh", team="<b>华东</b>", max_charts=2)


def hostile() -> Report:
    table = Table("problems", "问题", ("问题", "[列](http://evil)"),
                  (("<script>alert(1)</script>", "[点我](http://evil.example)"), ("a|b\nc", "**粗**")), (None, None))
    return Report("运营月报 2026-10", "<img src=x onerror=alert(1)>", "2026-10", "zh", dt.date(2026, 11, 1),
                  (Section("problems", "问题与根因", (Paragraph("# 标题\n- 列表\n1. 编号\n<script>x</script>"), table)),),
                  "运营月报_2026-10")


def test_html_escapes_user_text():
    html = render_html(hostile())
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="http://evil' not in html


def test_markdown_escapes_user_text():
    md = render_md(hostile())
    assert "<script>" not in md and "](http://evil" not in md.replace("\\]", "")
    assert "\\<script\\>" in md and "\\[点我\\]" in md
    # A cell's pipe and newline do not break the table; a paragraph's markdown stays text.
    assert "a\\|b c" in md
    assert "\\# 标题" in md and "\\- 列表" in md and "1\\. 编号" in md


def test_html_is_self_contained(report):
    html = render_html(report)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert html.count("<section") == len(report.sections)
    assert "&lt;b&gt;华东&lt;/b&gt;" in html


def test_html_charts_are_inlined_images_when_the_image_renderer_is_there(report):
    from retro.report import available

    html = render_html(report)
    images = re.findall(r'src="data:image/png;base64,', html)
    try:
        import retro.report.images  # noqa: F401
        has_images = True
    except ImportError:
        has_images = False
    assert available("html")
    assert len(images) == (2 if has_images else 0)
    if not has_images:
        assert html.count("<figure>") == 2


def test_markdown_carries_the_numbers(sample_db, report):
    md = render_md(report)
    card = S.scorecard(sample_db, PERIOD, forecast="seasonal")
    sales = next(r for r in card.rows if r.metric == "销售额")
    assert f"| 销售额 | 万元 | {sales.plan:,.0f} |" in md or f"| 销售额 | 万元 | {sales.plan:,.2f} |" in md
    assert f"{sales.attainment * 100:.1f}%" in md
    assert md.startswith("# 运营月报 2026-10\n")
    for s in report.sections:
        assert f"## {s.title}" in md


def test_sparkline():
    assert sparkline((1.0, 2.0, None, 3.0)) == "▁▄ █"
    assert sparkline(()) == "" and sparkline((None,)) == ""


def test_cli_writes_markdown_and_html(sample_db, tmp_path):
    from retro.cli import main

    for fmt in ("md", "html"):
        out = tmp_path / f"r.{fmt}"
        # Charts are left out here: drawing them is the HTML test's business, not the CLI's.
        assert main(["report", "--db", str(sample_db.path), "--period", PERIOD, "--lang", "en", "--section", "summary",
                     "--section", "scorecard", "--out", str(out)]) == 0
        text = out.read_text(encoding="utf-8")
        assert "Operations report 2026-10" in text and "Goal attainment" in text and "Key metrics" not in text
