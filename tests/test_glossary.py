"""One vocabulary: the catalog names each domain word as retro/glossary.py says, in both languages,
and English reads units and counts as English does."""

from __future__ import annotations

import pytest

from retro import glossary as G
from retro.charts import axis_title, format_value, value_axis
from retro.i18n import CATALOG, LANGS, format_number, t


def test_every_term_has_both_languages() -> None:
    for term, entry in G.TERMS.items():
        assert entry.get("zh") and entry.get("en"), term


@pytest.mark.parametrize("key", sorted(G.CATALOG_TERMS))
def test_catalog_entry_uses_the_glossary_word(key: str) -> None:
    term = G.CATALOG_TERMS[key]
    assert key in CATALOG, f"{key} is named in glossary.CATALOG_TERMS but not in the catalog"
    for lang in LANGS:
        text = CATALOG[key][lang]
        assert G.word(term, lang).lower() in text.lower(), f"{key} ({lang}) = {text!r} does not say {G.word(term, lang)!r}"


def test_no_catalog_text_uses_a_synonym() -> None:
    found = []
    for key, entry in CATALOG.items():
        for lang in LANGS:
            text = entry.get(lang, "")
            for term in G.TERMS:
                for synonym in G.avoided(term, lang):
                    if (synonym in text) if lang == "zh" else (synonym.lower() in text.lower()):
                        found.append(f"{key} ({lang}) says {synonym!r} for {term} ({G.word(term, lang)!r})")
    assert not found, "\n".join(found)


def test_one_status_word_across_goals_meeting_and_report() -> None:
    # amber was 预警 on Goals, 接近 and 黄灯 in meeting mode; a measure 计划中 in the UI, 未开始 in the PDF
    assert "预警" in t("meeting.kpi.amber", "zh") and "预警" == t("goals.status.amber", "zh") == t("meeting.amber", "zh")
    assert t("review.ui.mstatus.planned", "zh") == t("report.measure_status.planned", "zh") == "计划中"
    assert "复盘工作区" in t("report.none_logged", "zh")


# ---------------------------------------------------------------------------------------- units


@pytest.mark.parametrize(("value", "unit", "en", "zh"), [
    (666.35, "万元", "6.66M CNY", "666.35万元"),
    (326, "家", "326 stores", "326家"),
    (1, "家", "1 store", "1家"),
    (6_660_000, "元", "6.66M CNY", "666.00万元"),
    (48, "人", "48 people", "48人"),
    (12, "个", "12", "12个"),
    (85.5, "元/人", "85.50 CNY per person", "85.50元/人"),
    (3, "箱", "3 箱", "3箱"),  # a user's own unit stays as written
    (5, "kg", "5 kg", "5kg"),
])
def test_units_read_in_the_language(value: float, unit: str, en: str, zh: str) -> None:
    assert format_number(value, "en", unit=unit) == en
    assert format_number(value, "zh", unit=unit) == zh


def test_english_report_cells_are_exact_and_in_cny() -> None:
    assert format_number(666.35, "en", unit="万元", compact=False) == "6,663,500 CNY"


def test_chart_axes_and_tooltips_read_english_units() -> None:
    assert axis_title("Sales", "万元", "en") == "Sales (CNY)"
    assert axis_title("New customers", "家", "en") == "New customers (stores)"
    assert axis_title("Orders", "个", "en") == "Orders"
    assert axis_title("销售额", "万元", "zh") == "销售额（万元）"
    assert format_value(666.35, "en", "万元") == "6.66M CNY"
    # the axis labels scale 万元 into CNY (the data stay in the stored unit)
    expr = value_axis("万元", "en")["labelExpr"]
    assert "10000" in expr and "'M'" in expr
    assert value_axis("万元", "zh") == {"format": ",.2~f"}


# ---------------------------------------------------------------------------------------- plurals


def test_counts_read_singular_and_plural() -> None:
    assert t("import.button", "en", n=1) == "Import 1 sheet"
    assert t("import.button", "en", n=3) == "Import 3 sheets"
    assert t("import.read_done", "en", name="a.xlsx", sheets=1, ready=1) == "Read a.xlsx: 1 sheet, 1 ready to import."
    assert t("review.ui.overdue_n", "en", n=1) == "1 measure is overdue."
    assert t("review.ui.overdue_n", "en", n=2) == "2 measures are overdue."
    assert t("report.summary.problems", "en", problems=1, measures=1, open=0).startswith("1 problem and 1 measure ")
    assert t("warn.totals_row_excluded", "en", rows=[7]) == "Totals row 7 left out and used for checking."
    assert t("import.button", "zh", n=1) == "导入 1 个工作表"


def test_no_english_count_sentence_is_left_without_a_plural() -> None:
    """An English count followed by a plural noun ('{n} sheets') always says '{n|sheet|sheets}'."""
    import re

    bare = re.compile(r"\{(\w+)\} (?:[a-z]+ )?(sheets|rows|values|measures|problems|targets|changes|cells|columns|"
                      r"tables|items|months|periods|checks|notes|metrics)\b")
    left = [f"{k}: {v['en']}" for k, v in CATALOG.items() if bare.search(v.get("en", "")) and
            "{" + bare.search(v["en"])[1] + "|" not in v["en"]]
    assert not left, "\n".join(left)
    assert not [k for k, v in CATALOG.items() if "(s)" in v.get("en", "")]


def test_a_unit_beside_unscaled_numbers_keeps_its_scale_in_english() -> None:
    assert G.stored_unit_label("万元", "en") == "10k CNY"
    assert G.stored_unit_label("亿元", "en") == "100M CNY"
    assert G.stored_unit_label("家", "en") == "stores"
    assert G.stored_unit_label("万元", "zh") == "万元"
    assert G.stored_unit_label("箱", "en") == "箱"
