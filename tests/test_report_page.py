"""The report page through Streamlit's AppTest (driven from ``app.py``, as test_goals_page.py does).

Each test has its own database (conftest's autouse ``RETRO_DB``); the first run imports the sample.
Expected texts come from the catalog, expected numbers from ``retro.scoring`` on the same database.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import fresh_db  # noqa: E402 - shared AppTest helpers

from retro.i18n import t
from retro.report import FORMATS, available, cached_bytes

pytestmark = pytest.mark.usefixtures("navigation_only")

APP = Path(__file__).resolve().parent.parent / "app.py"
TIMEOUT = 180


def open_report(lang: str = "zh", role: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    if role:
        at.session_state["_role"] = role
    at.run()  # the first start imports the sample
    assert_clean(at)
    at.switch_page("pages/report.py").run()
    assert_clean(at)
    return at


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def downloads(at) -> dict[str, object]:
    found = at.get("download_button")
    assert len(found) == len(FORMATS), [d.proto.label for d in found]
    return {d.proto.id.rsplit("report_dl_", 1)[-1]: d.proto for d in found}


def file_name(proto) -> str:
    return proto.help.split("：", 1)[-1].split(": ", 1)[-1].replace("\\", "")


def group(at, key: str):
    return next(g for g in at.get("button_group") if g.key == key)


def test_preview_and_a_download_per_format(db_file):
    from retro import scoring as S

    at = open_report("zh")
    assert [h.value for h in at.main.header] == ["运营月报 2026-10"]
    subheaders = [s.value for s in at.main.subheader]
    for key in ("summary", "kpis", "trends", "scorecard", "outcome", "followup"):
        assert t(f"report.section.{key}", "zh") in subheaders
    buttons = downloads(at)
    for fmt in FORMATS:
        proto = buttons[fmt]
        assert proto.label == t(f"report.page.format.{fmt}", "zh")
        assert proto.disabled == (not available(fmt))
        if available(fmt):
            assert file_name(proto) == f"运营月报_2026-10.{fmt}"
    # The preview's scorecard shows the goals page's numbers.
    card = S.scorecard(fresh_db(db_file), "2026-10", forecast="seasonal")
    frames = [d.value for d in at.main.dataframe if "达成率" in d.value.columns and "得分" in d.value.columns]
    assert len(frames) == 1
    shown = dict(zip(frames[0]["指标"], frames[0]["达成率"], strict=True))
    for r in card.rows:
        if r.has_target:
            assert f"{r.attainment * 100:.1f}%" in shown.values()
    assert len(at.main.metric) >= 4


def test_report_language_team_and_sections_are_the_reports_own(db_file):
    at = open_report("zh")
    group(at, "report_lang").set_value("en").run()
    assert_clean(at)
    at.text_input(key="report_team").set_value("华东<b>运营").run()
    assert_clean(at)
    group(at, "report_sections").set_value(["scorecard", "outcome"]).run()
    assert_clean(at)
    assert at.title[0].value == t("nav.report", "zh")  # the UI stays Chinese
    assert [h.value for h in at.main.header] == ["Operations report 2026-10"]
    assert [s.value for s in at.main.subheader if s.value != t("report.page.download", "zh")] == [
        "Goal attainment", "Outcome review"]
    xlsx = downloads(at)["xlsx"]
    assert file_name(xlsx) == "华东_b_运营_ops_report_2026-10.xlsx"  # no < > in a file name
    # The bytes the button hands out (the same cached call): the workbook with those two sections.
    from openpyxl import load_workbook

    data = cached_bytes(str(fresh_db(db_file).path), fresh_db(db_file).data_version(), "2026-10", "en",
                        ("scorecard", "outcome"), "华东<b>运营", "xlsx")
    assert load_workbook(io.BytesIO(data)).sheetnames == ["Summary", "Goal attainment", "Outcome review"]


def test_quarter_and_no_sections(db_file):
    at = open_report("en")
    group(at, "report_grain").set_value("quarter").run()
    assert_clean(at)
    assert [h.value for h in at.main.header] == ["Quarterly review 2026-Q4"]
    group(at, "report_sections").set_value([]).run()
    assert_clean(at)
    assert [w.value for w in at.warning] == [t("report.page.no_sections", "en")]
    assert not at.get("download_button")


def test_a_viewer_may_download(monkeypatch, db_file):
    monkeypatch.setenv("RETRO_EDITOR_PASSCODE", "edit-me")
    monkeypatch.setenv("RETRO_VIEWER_PASSCODE", "look-only")
    at = open_report("zh", role="viewer")
    buttons = downloads(at)
    assert not buttons["xlsx"].disabled and not buttons["md"].disabled
