"""The report (月报 / review report): one model (model.py) rendered as xlsx, pdf, pptx, Markdown and HTML."""

from __future__ import annotations

import datetime
import functools
import importlib
import importlib.util
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Report

FORMATS = ("xlsx", "pdf", "pptx", "md", "html")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "md": "text/markdown",
    "html": "text/html",
}


def export_bytes(report: Report, fmt: str) -> bytes:
    """The report in one format. ValueError for an unknown format; ImportError (with a clear
    message) when that format's renderer is not installed in this build."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt in ("md", "html"):
        from .markdown import render

        return render(report, fmt)
    try:
        module = importlib.import_module(f"retro.report.{fmt}")
    except ImportError as exc:
        raise ImportError(f"the {fmt} renderer (retro/report/{fmt}.py) is not available: {exc}") from exc
    return module.render(report)


def cached_report(path: str, version: int, period: str, lang: str, sections: tuple[str, ...],
                  team: str | None) -> Report:
    """The report for one set of options, built once per data version and day (the page's preview
    and its downloads share it; a download renders in another thread, so this is not Streamlit's cache)."""
    return _report(path, version, period, lang, sections, team, datetime.date.today())


def cached_bytes(path: str, version: int, period: str, lang: str, sections: tuple[str, ...], team: str | None,
                 fmt: str) -> bytes:
    """One format of :func:`cached_report`'s report, rendered once per data version, day and options."""
    return _bytes(path, version, period, lang, sections, team, fmt, datetime.date.today())


@functools.lru_cache(maxsize=16)
def _report(path: str, version: int, period: str, lang: str, sections: tuple[str, ...], team: str | None,
            day: datetime.date) -> Report:
    from retro.db import get_database

    from .model import build_report

    return build_report(get_database(path), period, lang=lang, sections=sections, team=team)


@functools.lru_cache(maxsize=12)  # a PDF or an HTML with its charts is a few MB: keep a handful
def _bytes(path: str, version: int, period: str, lang: str, sections: tuple[str, ...], team: str | None, fmt: str,
           day: datetime.date) -> bytes:
    return export_bytes(_report(path, version, period, lang, sections, team, day), fmt)


def available(fmt: str) -> bool:
    """Whether this build has the renderer of ``fmt`` (pdf and pptx live in their own modules)."""
    if fmt in ("md", "html", "xlsx"):
        return True
    return importlib.util.find_spec(f"retro.report.{fmt}") is not None
