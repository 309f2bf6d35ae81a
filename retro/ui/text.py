"""Text for the page: the UI language, catalog lookups, numbers, and user text made inert markdown.

Every string from a workbook or a user goes through :func:`md` before a markdown-rendering element
shows it; catalog texts with such parameters through :func:`warning_text`, :func:`error_text` or
:func:`reading_markdown`, which escape the parameters and not the catalog's own markup.
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from ..i18n import LANGS, format_number, language_from_locale, message_text, t

# What can make markdown out of plain text mid-sentence: emphasis, code, links and images
# (brackets), HTML (angle brackets), tables, strikethrough, maths, headings.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|<>~$])")
# What makes a block of a line's start: a list item ("- ", "+ ", "1. ", "1) "), a rule or a setext
# underline ("---", "==="); "-5%" or "1.5" starts none and is left as it is.
_MD_LINE_START = re.compile(r"^([ \t]*)([-+=](?=[-+=\s]|$)|\d{1,9}(?=[.)](?:\s|$)))", re.MULTILINE)
# Where remark-gfm (Streamlit's markdown) turns bare text into a link: "http(s)://", "www." and
# "name@domain". Its autolinker runs on the text after escapes are resolved, so a backslash does not
# stop it; a word joiner (U+2060, invisible, no line break) inside the pattern does, the text reading
# the same.
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
_WORD_JOINER = "\u2060"


def md(text: object) -> str:
    """User text made inert for markdown elements: no links (bare URLs and addresses included),
    images, emphasis, maths, lists or HTML from a cell; it reads the same."""
    escaped = _MD_SPECIAL.sub(r"\\\1", str(text))
    escaped = _MD_LINE_START.sub(lambda m: m[1] + ("\\" + m[2] if not m[2].isdigit() else m[2] + "\\"), escaped)
    return _AUTOLINK.sub(_WORD_JOINER, escaped)


def lang() -> str:
    """The UI language: the sidebar choice, else ?lang= in the URL, else the browser's locale."""
    if "lang" not in st.session_state:
        from_url = st.query_params.get("lang")
        if from_url in LANGS:
            st.session_state["lang"] = from_url
        else:
            locale = getattr(st.context, "locale", None)
            st.session_state["lang"] = language_from_locale(locale)
    return st.session_state["lang"]


def tr(key: str, **params: Any) -> str:
    return t(key, lang(), **params)


def num(value: float | None, unit: str | None = None, **kw: Any) -> str:
    return format_number(value, lang(), unit=unit, **kw)


def _inert(params: dict[str, Any]) -> dict[str, Any]:
    """Message parameters carry cell text and headers from the upload: make them inert markdown."""
    def one(v: Any) -> Any:
        if isinstance(v, str):
            return md(v)
        if isinstance(v, list | tuple):
            return [one(x) for x in v]
        return v
    return {k: one(v) for k, v in (params or {}).items()}


def warning_text(code: str, params: dict[str, Any]) -> str:
    """A warning for st.warning/st.info (which render markdown), user text escaped."""
    return message_text(code, _inert(params), lang(), "warn")


# Reading parameters that name a catalog entry (why.<pattern>, why.<kind>, source.<source>, …), never
# cell text: escaped, 'fixed_width' would be 'fixed\\_width' and its sentence the bare key.
_READING_CODES = ("pattern", "kind", "source", "scenario", "order")


def reading_markdown(reading: dict[str, Any]) -> str:
    """An import decision in words, for markdown elements (cell text from the upload made inert)."""
    from ..i18n import reading_text

    params = reading.get("params") or {}
    codes = {k: params[k] for k in _READING_CODES if isinstance(params.get(k), str)}
    return reading_text({**reading, "params": {**_inert(params), **codes}}, lang())


def error_text(code: str, params: dict[str, Any]) -> str:
    return message_text(code, _inert(params), lang(), "error")


def listed(items: Any) -> str:
    """A list joined as the page's language lists things (、 or a comma)."""
    from ..i18n import joined

    return joined(items, lang())


def column_px(texts: Any, header: str = "", *, icons: int = 0, least: int = 60) -> int:
    """A grid column's width in pixels that shows its longest text and its header unclipped.

    The grid draws a hanzi about 14 px wide, a Latin letter or digit about 7 px, with 16 px of
    padding; ``icons`` adds room for a help or edit icon in the header.
    """
    def px(text: str) -> float:
        return sum(14 if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" else 7 for ch in text) + 16

    widest = max((px(str(x)) for x in texts if x is not None), default=0)
    return int(max(widest, px(header) + icons, least))
