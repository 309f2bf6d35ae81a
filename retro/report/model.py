"""The report model: what a review report says, independent of the format it is rendered in.

Every renderer (xlsx, pdf, pptx, Markdown/HTML) reads the same `Report`, so the numbers in the
slides, the PDF and the workbook cannot drift apart.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from retro.db import Database


@dataclass(frozen=True)
class Paragraph:
    text: str  # plain text, may contain newlines; renderers escape it


@dataclass(frozen=True)
class Card:
    title: str  # metric name in the report language
    value: str  # formatted ('1,080.00万元', '18.0%')
    mom: str | None  # '+3.2%' or None
    yoy: str | None
    tone: str  # 'good' | 'bad' | 'flat' (direction-aware: a cost that rises is 'bad')
    status: str | None  # goal status 'green'|'amber'|'red'|None
    spark: tuple[float | None, ...] = ()  # last 12 periods, oldest first


@dataclass(frozen=True)
class Cards:
    cards: tuple[Card, ...]


@dataclass(frozen=True)
class Table:
    key: str  # stable id: 'scorecard', 'strategy_plan', 'progress', 'outcome', 'followup', ...
    title: str
    columns: tuple[str, ...]  # header texts in the report language
    rows: tuple[tuple[Any, ...], ...]  # raw values: str, int, float, datetime.date, None
    formats: tuple[str | None, ...]  # per column: None (text), 'int', 'number', 'pct', 'date'
    units: tuple[str | None, ...] = ()  # per column unit for 'number' columns (may be empty)


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    kind: str  # 'line' | 'bar'
    spec: dict  # Vega-Lite JSON (altair Chart.to_dict()), data inlined
    data: Table  # the numbers behind it (for native Excel charts and the data sheet)


Block = Paragraph | Cards | Table | Chart


@dataclass(frozen=True)
class Section:
    key: str  # one of SECTION_KEYS
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Report:
    title: str  # e.g. '运营月报 2026-10' / 'Operations report 2026-10'
    team: str | None
    period_label: str  # '2026-10' or '2026-Q3'
    lang: str  # 'zh' | 'en'
    generated: datetime.date
    sections: tuple[Section, ...]  # enabled sections, in agenda order
    filename_stem: str  # '运营月报_2026-10' / 'ops_report_2026-10' (team prefixed when set)


SECTION_KEYS = (
    "summary", "kpis", "trends", "scorecard", "strategy_plan", "progress", "outcome",
    "followup", "problems", "measures", "lessons", "data",
)


def build_report(
    db: Database,
    period: str,
    *,
    lang: str = "zh",
    sections: Iterable[str] | None = None,
    team: str | None = None,
    max_charts: int = 10,
) -> Report:
    """The report of one period (YYYY-MM or YYYY-Qn) from the store, in the report language."""
    raise NotImplementedError("build_report lands in the next commit")
