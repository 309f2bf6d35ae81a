"""The report (月报 / review report): one model (model.py) rendered as xlsx, pdf, pptx, Markdown and HTML."""

from __future__ import annotations

import importlib
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
