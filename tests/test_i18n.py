"""retro.i18n: one catalog, complete in both languages, covering every key the code asks for; number formats."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from retro.i18n import CATALOG, LANGS, format_number, language_from_locale, message_text, t
from retro.ingest.detect import ROLES, SCENARIO_WORDS, SHAPES
from retro.ingest.roles import ALTERNATIVES

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "retro").rglob("*.py")])
INGEST = sorted((ROOT / "retro" / "ingest").glob("*.py"))


def _placeholders(template: str) -> set[str]:
    # "{n|sheet|sheets}" is the English plural of the count n, not a field of its own
    return {field.split("|")[0] for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def _source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the catalog itself


def test_every_entry_has_both_languages():
    assert LANGS == ("zh", "en")
    for key, entry in CATALOG.items():
        assert set(entry) == {"zh", "en"}, key
        for lang in LANGS:
            assert isinstance(entry[lang], str) and entry[lang].strip(), (key, lang)


def test_placeholders_identical_in_both_languages():
    for key, entry in CATALOG.items():
        assert _placeholders(entry["zh"]) == _placeholders(entry["en"]), key


def test_chinese_text_is_chinese():
    """A zh entry copied from English by mistake shows up as an untranslated string in the UI."""
    han = re.compile(r"[\u4e00-\u9fff]")
    for key, entry in CATALOG.items():
        assert han.search(entry["zh"]), (key, entry["zh"])


# --------------------------------------------------------------------------- keys used by the code


# tr("import.title") but not tr("shape." + plan.shape), whose families are checked below
_LITERAL_KEY = re.compile(r"""\b(?:tr|t)\(\s*["']([a-z_][\w.]*\w)["']\s*[,)]""")
_PLACEHOLDER_CALL = re.compile(r"""placeholder\(\s*["']([a-z_][\w.]*)["']""")


def test_literal_keys_exist():
    used: dict[str, str] = {}
    for path in SOURCES:
        text = _source(path)
        for rx in (_LITERAL_KEY, _PLACEHOLDER_CALL):
            for key in rx.findall(text):
                used.setdefault(key, path.name)
    assert len(used) > 50  # the scan did find the pages' keys
    missing = {k: f for k, f in used.items() if k not in CATALOG}
    assert not missing, missing


def test_key_families_built_at_runtime_exist():
    """Keys made with f-strings: role.{role}, shape.{shape}, scenario.{s}, skip.{reason}, …"""
    families: dict[str, set[str]] = {
        "role": set(ROLES),
        "shape": set(SHAPES),
        "scenario": set(SCENARIO_WORDS.values()),
        "import.mode": {"replace", "keep"},
        "recon": {"row", "column", "match", "mismatch"},
        "year_source": {"column", "user", "title", "sheet", "file", "assumed"},
        "import.use_as": {role for roles in ALTERNATIVES.values() for role in roles},  # one-click roles
    }
    reasons = set()
    for path in INGEST:
        reasons |= set(re.findall(r"""skip_reason\s*=\s*["'](\w+)["']""", _source(path)))
    assert {"hidden", "empty", "not_selected"} <= reasons
    families["skip"] = reasons
    sources = "\n".join(_source(p) for p in INGEST)
    families["year_source"] |= set(re.findall(r"""year_source\s*=\s*[^\n]*?["'](\w+)["']\s*$""", sources, re.M))
    page = _source(ROOT / "pages" / "import_data.py")
    m = re.search(r"PREVIEW_COLUMNS\s*=\s*\(([^)]*)\)", page)
    assert m, "PREVIEW_COLUMNS not found"
    families["preview"] = set(re.findall(r"""["'](\w+)["']""", m.group(1)))
    missing = sorted(f"{prefix}.{name}" for prefix, names in families.items() for name in names
                     if f"{prefix}.{name}" not in CATALOG)
    assert not missing, missing


def _code_calls(paths: list[Path], func: str) -> list[tuple[str, set[str] | None, str]]:
    """(code, parameter names or None when not literal, file) of every ``func("code", …)`` call."""
    out = []
    for path in paths:
        tree = ast.parse(_source(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == func):
                continue
            if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
                continue
            params: set[str] | None = {k.arg for k in node.keywords if k.arg}
            if len(node.args) > 1:
                arg = node.args[1]
                if isinstance(arg, ast.Dict) and all(isinstance(k, ast.Constant) for k in arg.keys):
                    params |= {k.value for k in arg.keys}
                else:
                    params = None
            if any(k.arg is None for k in node.keywords):
                params = None
            out.append((node.args[0].value, params, path.name))
    return out


def test_import_failure_codes_have_error_messages_with_their_parameters():
    calls = _code_calls(INGEST, "ImportFailure")
    assert len(calls) >= 10
    for code, params, where in calls:
        key = f"error.{code}"
        assert key in CATALOG, (key, where)
        if params is not None:
            for lang in LANGS:
                missing = _placeholders(CATALOG[key][lang]) - params
                assert not missing, (key, lang, missing, where)


def test_message_codes_have_texts_with_their_parameters():
    calls = _code_calls(INGEST, "Message")
    assert len(calls) >= 10
    for code, params, where in calls:
        keys = [k for k in (f"warn.{code}", f"error.{code}") if k in CATALOG]
        assert keys, (code, where)
        if params is not None:
            for key in keys:
                for lang in LANGS:
                    missing = _placeholders(CATALOG[key][lang]) - params - {"cells"}
                    assert not missing, (key, lang, missing, where)


def test_codes_the_cli_and_analysis_name_outright():
    for code in ("no_header", "no_numeric_data", "nothing_imported", "unexpected", "database_busy"):
        assert f"error.{code}" in CATALOG, code


# --------------------------------------------------------------------------- t() and message_text()


def test_t_fills_parameters_and_joins_lists():
    assert t("import.done", "en", rows=12, periods="2026-01 … 2026-03") == "Imported 12 rows covering 2026-01 … 2026-03."
    assert t("warn.duplicate_headers", "zh", headers=["销售额", "区域"]) == "表头重复：销售额、区域"
    assert t("warn.duplicate_headers", "en", headers=["a", "b"]) == "Duplicate headers: a, b"


def test_t_unknown_key_and_missing_parameter_do_not_crash():
    assert t("no.such.key", "zh") == "no.such.key"
    text = t("import.done", "en", rows=1)  # periods missing: the template, not an exception
    assert "Imported" in text


def test_message_text_formats_float_params_for_the_language():
    text = message_text("file_too_large", {"size_mb": 523.4, "limit_mb": 200}, "en", "error")
    assert text == "The file is too large (523.40 MB); the limit is 200 MB."
    zh = message_text("error_cells", {"count": 3, "cells": []}, "zh", "warn")
    assert zh.startswith("3 个 Excel 错误值") and "{" not in zh
    assert "{" not in message_text("year_assumed", {"year": 2026}, "zh", "warn")


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("value", "lang", "kwargs", "text"),
    [
        (12345, "zh", {}, "1.23万"),
        (300000000, "zh", {}, "3.00亿"),
        (9999, "zh", {}, "9,999"),
        (10000, "zh", {}, "1.00万"),
        (-12345, "zh", {}, "-1.23万"),
        (-300000000, "zh", {}, "-3.00亿"),
        (1234.5, "zh", {}, "1,234.50"),
        (12345, "zh", {"compact": False}, "12,345"),
        (1234.5, "zh", {"unit": "万元"}, "1,234.50万元"),
        (1_200_000, "en", {}, "1.20M"),
        (1_200_000, "en", {"digits": 1}, "1.2M"),
        (2_500_000_000, "en", {}, "2.50B"),
        (12000, "en", {}, "12,000"),
        (-1234.5, "en", {}, "-1,234.50"),
        (-5, "en", {}, "-5"),
        (0, "en", {}, "0"),
        (1234.5, "en", {"unit": "USD"}, "1,234.50 USD"),
        (0.853, "zh", {"unit": "%"}, "85.3%"),
        (0.853, "en", {"unit": "%"}, "85.3%"),
        (-0.05, "en", {"unit": "%"}, "-5.0%"),
        (None, "zh", {}, "—"),
        (None, "en", {"unit": "%"}, "—"),
        (float("nan"), "zh", {}, "—"),
        (float("inf"), "en", {}, "—"),
    ],
)
def test_format_number(value, lang, kwargs, text):
    assert format_number(value, lang, **kwargs) == text


@pytest.mark.parametrize(
    ("value", "lang", "text"),
    [
        (99_999_999, "zh", "1.00亿"),
        (99_999_960, "zh", "1.00亿"),
        (-99_999_999, "zh", "-1.00亿"),
        (999_999_999, "en", "1.00B"),
        (9_999_999, "en", "10.00M"),
    ],
    ids=["zh_just_under_yi", "zh_rounds_up_to_yi", "zh_negative_under_yi", "en_just_under_billion", "en_ten_million"],
)
def test_format_number_at_unit_boundaries(value, lang, text):
    """A value that rounds up to the next unit reads '1.00亿', never '10000.00万'."""
    assert format_number(value, lang) == text


@pytest.mark.parametrize(
    ("locale", "lang"),
    [("zh-CN", "zh"), ("zh-TW", "zh"), ("zh", "zh"), ("ZH-cn", "zh"), ("zh-Hans-CN", "zh"),
     ("en-US", "en"), ("en", "en"), ("fr-FR", "en"), ("ja-JP", "en"), ("de", "en")],
)
def test_language_from_locale(locale, lang):
    assert language_from_locale(locale) == lang


def test_language_without_a_locale_is_a_supported_language():
    assert language_from_locale(None) in LANGS
    assert language_from_locale("") == language_from_locale(None)


def test_a_list_reads_as_its_language_lists_things():
    from retro.i18n import joined, mismatch_text

    assert joined(["华东", "华南"], "zh") == "华东、华南"
    assert joined(["East", "South"], "en") == "East, South"  # no Chinese 、 inside an English sentence
    why = {"code": "stored_rows_any", "rows": [3, 4], "fix": None}
    assert "3, 4" in mismatch_text(why, "en") and "3、4" in mismatch_text(why, "zh")
    assert "finance.xlsx, orders.xlsx" in t("reading.kpi_new", "en", metric="Sales", files=["finance.xlsx", "orders.xlsx"],
                                             why_text="scale", **{"as": "Sales · x"})


# --------------------------------------------------------------------------- pages in English (AppTest)

APP = ROOT / "app.py"
CJK_UNIT = re.compile(r"\d\s*(万元|元|家|人|单)(?![\u4e00-\u9fff])")


def _english(page: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = "en"
    at.run()
    if page != "pages/home.py":
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _shown(at) -> list[str]:
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error", "text"):
        out += [str(e.value) for e in getattr(at, kind)]
    out += [f"{m.label} {m.value} {m.delta or ''}" for m in at.metric]
    out += [b.label for b in at.button] + [s.label for s in at.selectbox] + [e.label for e in at.expander]
    return out


@pytest.mark.usefixtures("navigation_only", "sample_db_file")
@pytest.mark.parametrize("page", ["pages/trends.py", "pages/goals.py"])
def test_english_pages_show_english_units_and_separators(page):
    """'666.35 万元', '326 家' and '、' were on the English cards, breakdown and goals: now '6.66M CNY', '326 stores'."""
    shown = _shown(_english(page))
    assert not [x for x in shown if CJK_UNIT.search(x)], [x for x in shown if CJK_UNIT.search(x)][:5]
    assert not [x for x in shown if "、" in x], [x for x in shown if "、" in x][:5]
    if page == "pages/trends.py":
        assert any("M CNY" in x for x in shown) and any("stores" in x for x in shown)


@pytest.mark.usefixtures("navigation_only")
def test_english_import_counts_one_sheet_and_names_the_id_columns(tmp_path):
    """'Import 1 sheets' and 'Read …: 1 sheets' were on the page; the 'Read as' column said 'order'/'customer'."""
    import fixtures_build as fb
    from browser_support import XLSX_MIME

    path, _ = fb.build_transactions(tmp_path)
    at = _english("pages/import_data.py")
    assert at.file_uploader[0].help  # the drop zone's English is explained in the page's language
    at.file_uploader[0].set_value((path.name, path.read_bytes(), XLSX_MIME)).run()
    assert not at.exception
    assert at.button(key="do_import").label == "Import 1 sheet"
    assert [s.label for s in at.status] == [f"Read {path.name}: 1 sheet, 1 ready to import."]
    shown = _shown(at) + [str(s.label) for s in at.status]
    assert not [x for x in shown if re.search(r"\b1 (sheets|values|rows|measures)\b", x)]
    columns = next(d.value for d in at.dataframe if "detail" in d.value.columns)
    details = dict(zip(columns["header"], columns["detail"], strict=True))
    assert details["订单号"] == t("id_kind.order", "en") and details["客户ID"] == t("id_kind.customer", "en")
    assert not {"order", "customer"} & set(details.values())


def _widget_calls(name: str) -> list[tuple[str, int, set[str], ast.Call]]:
    out = []
    for path in sorted([*(ROOT / "pages").glob("*.py"), *(ROOT / "retro" / "ui").glob("*.py")]):
        for node in ast.walk(ast.parse(_source(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name:
                out.append((path.name, node.lineno, {k.arg for k in node.keywords if k.arg}, node))
    return out


def test_widgets_say_their_placeholder_in_the_page_language():
    """Streamlit's own English ('Choose options', 'Select all', 'Choose an option') is set where it can be."""
    bare = [f"{f}:{n}" for f, n, kw, _ in _widget_calls("multiselect") if not {"placeholder", "select_all"} <= kw]
    assert not bare, bare
    unset = [f"{f}:{n}" for f, n, kw, call in _widget_calls("selectbox")
             if any(k.arg == "index" and isinstance(k.value, ast.Constant) and k.value.value is None for k in call.keywords)
             and "placeholder" not in kw]
    assert not unset, unset
    # The drop zone's own words cannot be set: each uploader's help says them in the page's language.
    assert all("help" in kw for _, _, kw, _ in _widget_calls("file_uploader"))


@pytest.mark.usefixtures("navigation_only", "sample_db_file")
def test_trends_filters_read_chinese_when_empty():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = "zh"
    at.run()
    at.switch_page("pages/trends.py").run()
    assert not at.exception
    assert at.multiselect
    for m in at.multiselect:
        assert m.proto.placeholder == t("trends.all", "zh")
        assert m.proto.select_all == 0  # no English "Select all" in the list


def _header_px(label: str) -> float:
    """A header's width as the grid draws it: a hanzi about 14 px, a Latin letter about 7.5 px, 16 px padding."""
    return sum(14 if "\u3000" <= ch <= "\u9fff" else 7.5 for ch in label) + 16


@pytest.mark.usefixtures("navigation_only", "sample_db_file")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_metric_catalog_headers_and_names_fit_at_1366(lang):
    """'Aggrega…', 'Categor…', 'Numbe…' and names like 'Commissio…' were clipped at 1366 px ('small' columns)."""
    import json

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/metrics.py").run()
    editor = next(d for d in at.dataframe if "aggregation" in d.value.columns)
    config = json.loads(editor.proto.columns)
    for column, c in config.items():
        if column.startswith("_"):  # the hidden index
            continue
        width = c.get("width")
        assert isinstance(width, int), (column, width)
        icons = (0 if c.get("disabled") else 20) + (20 if c.get("help") else 0)
        assert width >= _header_px(c["label"]) + icons, (column, c["label"], width)
    assert config["name"]["width"] >= _header_px("Commission rate")


@pytest.mark.usefixtures("navigation_only", "sample_db_file")
def test_history_keeps_its_headers_in_view_and_the_sidebar_shows_the_review_status(db_file):
    from streamlit.testing.v1 import AppTest

    from retro import reviews as R
    from retro.db import Database, close_all

    db = Database(db_file)
    rid = R.create_review(db, grain="month", period="2026-10")
    R.update_review(db, rid, {"status": "in_meeting"}, version=R.get_review(db, rid).version)
    db.close()
    close_all()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page("pages/history.py").run()
    history = next(d.value for d in at.dataframe if t("history.file", "en") in d.value.columns)
    assert list(history.columns)[-1] == t("history.sheets", "en")  # a long list runs off the edge, not a header
    picker = next(s for s in at.sidebar.selectbox if s.label == t("review.ui.sidebar", "en"))
    shown = picker.format_func(rid) if hasattr(picker, "format_func") else str(picker.value)
    assert shown.startswith(t("review.ui.status.in_meeting", "en")), shown
