"""The report model: what a review report says, independent of the format it is rendered in.

Every renderer (xlsx, pdf, pptx, Markdown/HTML) reads the same `Report`, so the numbers in the
slides, the PDF and the workbook cannot drift apart.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from retro import likeforlike as L4L
from retro import metrics as M
from retro import scoring as S
from retro.charts import format_pct, format_value, inline_data, trend_chart
from retro.db import Database
from retro.glossary import stored_unit_label
from retro.i18n import CATALOG, format_number, t


@dataclass(frozen=True)
class Paragraph:
    text: str  # plain text, may contain newlines; renderers escape it


@dataclass(frozen=True)
class NoneNote(Paragraph):
    """'本期无…': what a template table says when it has no rows this period. No renderer draws an
    empty table (a bare header bar says nothing); a slide deck gathers these on one slide."""


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

    @property
    def empty(self) -> bool:
        """Nothing this period: the section holds only its 'none this period' line."""
        return bool(self.blocks) and all(isinstance(b, NoneNote) for b in self.blocks)


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


def cell_text(value: Any, fmt: str | None, unit: str | None, lang: str) -> str:
    """A table cell as a reader sees it ('' for nothing), for the text renderers and the preview."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str | bool):
        return str(value)
    number = _num(value)
    if number is None:
        return ""
    if fmt != "pct":
        number = round(number, 2)  # sums carry float noise (6,546,000.000000002)
    if fmt == "pct":
        return f"{number * 100:.1f}%"
    if fmt == "int":
        return f"{number:,.0f}"
    if fmt == "number":
        if unit == "%":
            return f"{number:.2f}%"
        return format_number(number, lang, unit=unit, compact=False)
    return format_number(number, lang, compact=False)


# How many periods the trend charts and sparklines go back.
HISTORY = {"month": 12, "quarter": 8, "year": 5}
# Chart size in the spec: a fixed width, because 'container' has no meaning in a PDF or a slide.
CHART_WIDTH, CHART_HEIGHT = 640, 260
MAX_CARDS = 8
_UNSAFE_FILE_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def build_report(
    db: Database,
    period: str,
    *,
    lang: str = "zh",
    sections: Iterable[str] | None = None,
    team: str | None = None,
    max_charts: int = 10,
) -> Report:
    """The report of one period (YYYY-MM or YYYY-Qn) from the store, in the report language.

    ``sections``: the keys to include (agenda order is kept whatever order they come in); None for all.
    Raises ValueError for a period label that is not YYYY-MM / YYYY-Qn / YYYY or an unknown section.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    start, grain = S.parse_period(period)
    label = M.period_label(start, grain)
    wanted = set(SECTION_KEYS if sections is None else sections)
    unknown = wanted - set(SECTION_KEYS)
    if unknown:
        raise ValueError(f"unknown sections {sorted(unknown)}; sections: {', '.join(SECTION_KEYS)}")
    team = _clean_team(team)
    ctx = _Context(db, start, grain, label, lang, max_charts)
    builders = {
        "summary": ctx.summary, "kpis": ctx.kpis, "trends": ctx.trends, "scorecard": ctx.scorecard_section,
        "strategy_plan": ctx.strategy_plan, "progress": ctx.progress, "outcome": ctx.outcome,
        "followup": ctx.followup, "problems": ctx.problems, "measures": ctx.measures, "lessons": ctx.lessons,
        "data": ctx.data,
    }
    built = tuple(Section(key, t(f"report.section.{key}", lang), tuple(builders[key]()))
                  for key in SECTION_KEYS if key in wanted)
    title = t(f"report.title.{grain}", lang, period=label)
    stem = f"{t(f'report.file.{grain}', lang)}_{label}"
    if team:
        stem = f"{_UNSAFE_FILE_CHARS.sub('_', team).strip(' ._')}_{stem}"
    return Report(title=title, team=team, period_label=label, lang=lang, generated=datetime.date.today(),
                  sections=built, filename_stem=stem)


def _clean_team(team: str | None) -> str | None:
    if team is None:
        return None
    team = " ".join(team.split())[:60]  # one line: it goes on a cover and into a file name
    return team or None


def _num(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def _code_text(prefix: str, code: str | None, lang: str) -> str | None:
    """A stored code (status, category) in words when the catalog has them, else the code itself."""
    if code is None:
        return None
    key = f"{prefix}.{code}"
    return t(key, lang) if key in CATALOG else code


class _Context:
    """What the sections share: the scorecard, the metrics chosen for cards and charts, their series."""

    def __init__(self, db: Database, start: datetime.date, grain: str, label: str, lang: str, max_charts: int) -> None:
        self.db, self.start, self.grain, self.label, self.lang = db, start, grain, label, lang
        self.max_charts = max(0, int(max_charts))
        self.history = HISTORY[grain]  # periods back in charts and sparklines: a year, two years of quarters
        self._card: S.Scorecard | None = None
        self._series: dict[str, pd.DataFrame] = {}
        self._plans: dict[str, pd.DataFrame] = {}
        self.catalog = M.catalog(db)
        self.by_name = {m.name: m for m in self.catalog}
        self._review_loaded = False
        self._review: dict[str, Any] = {}

    # ------------------------------------------------------------------ shared reads

    @property
    def card(self) -> S.Scorecard:
        # The goals page's defaults (seasonal forecast, no breakdown), so the numbers are the page's.
        if self._card is None:
            self._card = S.scorecard(self.db, self.label, forecast="seasonal")
        return self._card

    def total_rows(self) -> dict[str, S.KpiRow]:
        return {r.metric: r for r in self.card.rows if r.segment == ""}

    def label_of(self, metric: str) -> str:
        m = self.by_name.get(metric)
        return m.label(self.lang) if m else metric

    def series(self, metric: str) -> pd.DataFrame:
        if metric not in self._series:
            first = M.add_months(self.start, -_months(self.grain) * self.history)
            frame = M.series(self.db, metric, grain=self.grain, start=min(first, datetime.date(self.start.year - 1, 1, 1)),
                             end=self.start)
            self._series[metric] = frame[frame["segment"] == ""]
        return self._series[metric]

    def plan_series(self, metric: str) -> pd.DataFrame:
        if metric not in self._plans:
            first = M.add_months(self.start, -_months(self.grain) * (self.history - 1))
            try:
                frame = M.series(self.db, metric, grain=self.grain, scenario="plan", start=first, end=self.start)
                frame = frame[frame["segment"] == ""]
            except Exception:  # noqa: BLE001 - a metric without plan facts (transactions, derived) has no plan line
                frame = pd.DataFrame(columns=["period", "value"])
            self._plans[metric] = frame
        return self._plans[metric]

    def chosen(self) -> list[M.Metric]:
        """The metrics a report leads with: those with a target, then imported KPIs, derived, transactions.

        Only metrics with a value in the period (a report of numbers that are not there says nothing)."""
        rows = self.total_rows()
        rank = {"facts": 1, "derived": 2, "transactions": 3}
        out = [m for m in self.catalog if rows.get(m.name) is not None and rows[m.name].actual is not None]
        return sorted(out, key=lambda m: (0 if rows[m.name].has_target else rank.get(m.source, 4)))

    def report_card(self, m: M.Metric) -> Card:
        c = M.card_from_series(m, self.series(m.name), self.start, grain=self.grain, spark_periods=self.history)
        row = self.total_rows().get(m.name)
        status = row.status if row is not None and row.status in ("green", "amber", "red") else None
        return Card(
            title=m.label(self.lang),
            value=format_value(c.value, self.lang, m.unit, m.number_format),
            mom=None if c.mom is None else format_pct(c.mom),
            yoy=None if c.yoy is None else format_pct(c.yoy),
            tone=c.tone(c.mom),
            status=status,
            spark=tuple(v for _, v in c.spark),
        )

    # ------------------------------------------------------------------ sections

    def summary(self) -> list[Block]:
        L, card = self.lang, self.card
        blocks: list[Block] = []
        review = self.review()
        if review.get("summary"):
            blocks.append(Paragraph(t("report.summary.review", L, text=review["summary"])))
        targeted = [r for r in card.rows if r.has_target and r.segment == ""]
        if not any(r.actual is not None for r in card.rows):
            blocks.append(Paragraph(t("report.summary.no_data", L, period=self.label)))
        elif targeted:
            count = {s: sum(r.status == s for r in targeted) for s in ("green", "amber", "red")}
            score = "—" if card.overall is None else format_pct(card.overall, signed=False)
            text = t("report.summary.score", L, period=self.label, score=score, targeted=len(targeted), **count)
            if card.in_progress:
                text += " " + t("report.summary.in_progress", L)
            blocks.append(Paragraph(text))
            blocks += self.coverage_notes()
            flagged = [r for r in card.needs_analysis() if r.segment == ""]
            if flagged:
                items = [f"{self.label_of(r.metric)}（{format_pct(r.deviation)}）" if L == "zh"
                         else f"{self.label_of(r.metric)} ({format_pct(r.deviation)})" for r in flagged]
                blocks.append(Paragraph(t("report.summary.needs_analysis", L, items=items)))
            else:
                blocks.append(Paragraph(t("report.summary.none_flagged", L)))
        else:
            blocks.append(Paragraph(t("report.summary.no_targets", L, period=self.label)))
        movers = []
        for m in self.chosen()[:MAX_CARDS]:  # the KPIs the report leads with, not every order count
            c = M.card_from_series(m, self.series(m.name), self.start, grain=self.grain, spark_periods=1)
            if c.mom is not None:
                movers.append((abs(c.mom), m, c))
        movers.sort(key=lambda x: -x[0])
        if movers:
            changes = [L4L.labelled(m.label(L), L4L.coverage_text(c.mom_cover, L), L)
                       for _, m, c in movers[:3] if L4L.noted(c.mom_cover)]
            items = []
            for _, m, c in movers[:3]:
                word = t("report.summary.better" if c.tone(c.mom) == "good" else "report.summary.worse", L)
                items.append(f"{m.label(L)} {format_pct(c.mom)}（{word}）" if L == "zh"
                             else f"{m.label(L)} {format_pct(c.mom)} ({word})")
            blocks.append(Paragraph(t("report.summary.movers", L, items=items)))
            if changes:  # the changes above compare what both months hold: say what is missing
                blocks.append(Paragraph(t("report.changes_like_for_like", L, items=changes)))
        if review.get("problems") or review.get("measures"):
            open_measures = sum(1 for x in review.get("measures", []) if x.get("status") in ("planned", "in_progress"))
            blocks.append(Paragraph(t("report.summary.problems", L, problems=len(review.get("problems", [])),
                                      measures=len(review.get("measures", [])), open=open_measures)))
        return blocks

    def kpis(self) -> list[Block]:
        cards = tuple(self.report_card(m) for m in self.chosen()[:MAX_CARDS])
        return [Cards(cards)] if cards else [Paragraph(t("report.summary.no_data", self.lang, period=self.label))]

    def trends(self) -> list[Block]:
        charts: list[Block] = []
        for i, m in enumerate(self.chosen()[: self.max_charts]):
            charts.append(self.trend(i, m))
        return charts or [Paragraph(t("report.no_charts", self.lang))]

    def trend(self, i: int, m: M.Metric) -> Chart:
        L = self.lang
        frame = self.series(m.name)
        periods = [M.period_label(M.add_months(self.start, -_months(self.grain) * k), self.grain)
                   for k in range(self.history - 1, -1, -1)]
        by_label = {M.period_label(p, self.grain): r for p, r in zip(frame["period"], frame.itertuples(), strict=True)}
        points = pd.DataFrame({
            "period": periods,
            "value": [_num(by_label[p].value) if p in by_label else None for p in periods],
            "last_year": [_num(by_label[p].last_year) if p in by_label else None for p in periods],
            "complete": [bool(by_label[p].complete) if p in by_label else True for p in periods],
        })
        points["value"] = points["value"].astype(float)
        points["last_year"] = points["last_year"].astype(float)
        row = self.total_rows().get(m.name)
        # Only a KPI with a target can have a plan line: the others skip a query.
        plan_frame = self.plan_series(m.name) if row is not None and row.has_target else pd.DataFrame(
            {"period": [], "value": []})
        plan_by = {M.period_label(p, self.grain): _num(v) for p, v in zip(plan_frame["period"], plan_frame["value"], strict=True)}
        plan = pd.DataFrame({"period": periods, "value": [plan_by.get(p) for p in periods]}).astype({"value": float})
        has_plan = plan["value"].notna().any()
        label = m.label(L)
        chart = trend_chart(points, lang=L, label=label, unit=m.unit, number_format=m.number_format,
                            plan=plan if has_plan else None, last_year=True, current=self.label, height=CHART_HEIGHT)
        # No JSON-schema validation: the builder is tested, and validating costs more than building.
        spec = inline_data(chart.to_dict(validate=False))
        spec["width"] = CHART_WIDTH
        spec["title"] = label
        rate = m.unit == "%" or m.number_format == "percent"
        fmt = "pct" if rate else "number"
        unit = None if rate else m.unit
        columns = [t("charts.period", L), t("charts.actual", L), t("charts.last_year", L)]
        rows = [[p, _num(v), _num(ly)] for p, v, ly in zip(periods, points["value"], points["last_year"], strict=True)]
        if has_plan:
            columns.append(t("charts.plan", L))
            for r, v in zip(rows, plan["value"], strict=True):
                r.append(_num(v))
        data = Table(key=f"trend_{i + 1}", title=label, columns=tuple(columns), rows=tuple(tuple(r) for r in rows),
                     formats=(None,) + (fmt,) * (len(columns) - 1), units=(None,) + (unit,) * (len(columns) - 1))
        return Chart(key=f"trend_{i + 1}", title=label, kind="line", spec=spec, data=data)

    def scorecard_section(self) -> list[Block]:
        L, card = self.lang, self.card
        rows = []
        for r in card.rows:
            if r.actual is None and not r.has_target:
                continue
            rate = r.unit == "%"
            # A rate's plan and actual are fractions: shown as percentage points beside a '%' unit,
            # because one column holds amounts of several units.
            k = 100.0 if rate else 1.0
            rows.append((
                f"{r.segment} · {self.label_of(r.metric)}" if r.segment else self.label_of(r.metric),
                stored_unit_label(r.unit, L),  # the values stay in the stored unit: 10k CNY, never 万元 in English
                None if r.plan is None else r.plan * k,
                None if r.actual is None else r.actual * k,
                r.attainment,
                r.deviation,
                t(f"goals.status.{r.status}", L),
                r.weight if r.has_target else None,
                r.score,
            ))
        columns = (t("report.col.kpi", L), t("report.col.unit", L), t("goals.col.plan", L), t("goals.col.actual", L),
                   t("goals.col.attainment", L), t("goals.col.deviation", L), t("goals.col.status", L),
                   t("goals.col.weight", L), t("goals.col.score", L))
        table = Table("scorecard", t("report.section.scorecard", L), columns, tuple(rows),
                      (None, None, "number", "number", "pct", "pct", None, "number", "pct"))
        score = "—" if card.overall is None else format_pct(card.overall, signed=False)
        blocks: list[Block] = [Paragraph(t("report.overall", L, score=score))]
        if card.in_progress:
            blocks.append(Paragraph(t("report.summary.in_progress", L)))
        blocks += self.coverage_notes()
        return [*blocks, table]

    def coverage_notes(self) -> list[Block]:
        """'销售额：4 个区域中 3 个已报数（西南未报）' for each KPI scored on what reported (or not scored)."""
        L = self.lang
        noted = [r for r in self.card.rows if r.has_target and r.coverage_text(L)]
        if not noted:
            return []
        items = [L4L.labelled(f"{r.segment} · {self.label_of(r.metric)}" if r.segment else self.label_of(r.metric),
                              t("cover.not_scored" if r.status == "incomplete" else "cover.scored", L, what=r.coverage_text(L)), L)
                 for r in noted]
        return [Paragraph(t("report.like_for_like", L, items=items))]

    def outcome(self) -> list[Block]:
        L = self.lang
        labels = {m.name: m.label(L) for m in self.catalog}
        notes = self.kpi_notes()
        rows = []
        for r, kpi in zip(S.outcome_rows(self.card, L, labels), [x for x in self.card.rows if x.has_target], strict=True):
            rate = r["unit"] == "%"
            k = 100.0 if rate else 1.0
            att: Any = r["attainment"]
            if att is None and r["reason"]:
                att = t(f"goals.reason.{r['reason']}", L)
            cause, lesson = notes.get((kpi.metric, kpi.segment), (None, None))
            rows.append((r["metric"] + ("（%）" if rate and L == "zh" else " (%)" if rate else ""),
                         None if r["plan"] is None else r["plan"] * k, None if r["actual"] is None else r["actual"] * k,
                         att, cause or r["cause"] or None, lesson or r["lesson"] or None))
        columns = tuple(t(f"goals.export.col.{k}", L) for k in S.OUTCOME_KEYS)
        table = Table("outcome", t("report.section.outcome", L), columns, tuple(rows),
                      (None, "number", "number", "pct", None, None))
        return _or_none(table, "report.none.outcome", L)

    def kpi_notes(self) -> dict[tuple[str, str], tuple[str | None, str | None]]:
        """(metric, segment) → (cause, lesson) of the outcome table, from the review workspace.

        The cause is the root cause of the problems logged against the KPI for this period (the last
        answered why of each 5 Whys, else its fishbone), never a problem's title: a problem logged
        without either says its cause is still to be found. The lesson is every lesson linked to one
        of those problems, or to a measure of them (or a measure whose criterion is the KPI), the
        successes kept for the KPI in this period (they store its metric, segment, period and grain),
        and lessons of this period's review linked to nothing, tagged with the KPI's name."""
        from retro import reviews as R

        L = self.lang
        first, last = self.start, self.period_end()
        finer = {"month": ("month",), "quarter": ("month", "quarter"), "year": ("month", "quarter", "year")}[self.grain]
        own = self.review()
        own_ids = {x["id"] for x in own.get("problems", [])}
        by_kpi: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for p in R.items(self.db, "problem"):
            if not p.get("metric"):
                continue
            when = p.get("period")
            if when is not None:
                if not first <= when <= last or (p.get("grain") or "month") not in finer:
                    continue  # another period's problem (one carried into this review included)
            elif p["id"] not in own_ids:
                continue
            by_kpi.setdefault((p["metric"], _segment_text(p.get("segment"))), []).append(p)
        pid_kpi = {p["id"]: key for key, ps in by_kpi.items() for p in ps}
        measure_kpi: dict[int, set[tuple[str, str]]] = {}
        for x in R.items(self.db, "measure"):
            keys = {pid_kpi[x["problem_id"]]} if x.get("problem_id") in pid_kpi else set()
            when = x.get("crit_period")
            if x.get("crit_metric") and when is not None and first <= when <= last:
                keys.add((x["crit_metric"], _segment_text(x.get("crit_segment"))))
            if keys:
                measure_kpi[x["id"]] = keys
        # What a tag may call a targeted KPI: its name and its labels in both languages, as tag words.
        tag_names = {(r.metric, r.segment): [R.split_tags(n) for n in self.names_of(r.metric)]
                     for r in self.card.rows if r.has_target and r.segment == ""}
        this_review = {x["id"] for x in own.get("lessons", [])}
        lessons: dict[tuple[str, str], list[str]] = {}
        for x in R.items(self.db, "lesson"):
            keys = {pid_kpi[x["problem_id"]]} if x.get("problem_id") in pid_kpi else set()
            keys |= measure_kpi.get(x.get("measure_id"), set())
            when = x.get("period")
            if x.get("metric") and when is not None and first <= when <= last and (x.get("grain") or "month") in finer:
                keys.add((x["metric"], _segment_text(x.get("segment"))))  # a success kept for the KPI names it
            if not keys and not x.get("problem_id") and not x.get("measure_id") and x["id"] in this_review:
                keys = _tagged(R.split_tags(x.get("tags")), tag_names)
            text = str(x.get("text") or x.get("title") or "").strip()
            for key in keys:
                lessons.setdefault(key, []).append(text)
        sep = "；" if L == "zh" else "; "
        out: dict[tuple[str, str], tuple[str | None, str | None]] = {}
        for key, ps in by_kpi.items():
            causes = [c for c in dict.fromkeys(root_cause(p, L) for p in ps) if c]
            cause = sep.join(causes) if causes else t("report.cause_pending", L)
            said = [x for x in dict.fromkeys(lessons.get(key, [])) if x]
            out[key] = (cause, sep.join(said) or None)
        for key, said in lessons.items():  # a KPI without a problem: a success kept, a measure's criterion
            if key not in out:
                out[key] = (None, sep.join(x for x in dict.fromkeys(said) if x) or None)
        return out

    def names_of(self, metric: str) -> tuple[str, ...]:
        """The metric's name and its labels in both languages (what a lesson's tags may name it by)."""
        m = self.by_name.get(metric)
        return tuple(dict.fromkeys([metric, *((m.label("zh"), m.label("en")) if m else ())]))

    def strategy_plan(self) -> list[Block]:
        L = self.lang
        rows = tuple((x.get("goal"), x.get("task"), x.get("owner"), _span(x.get("start_date"), x.get("end_date")),
                      _resources(x.get("budget"), x.get("people"), L), x.get("acceptance"))
                     for x in self.review().get("tasks", []))
        columns = tuple(t(f"report.col.{k}", L) for k in ("goal", "task", "owner", "period", "resources", "acceptance"))
        return _or_none(Table("strategy_plan", t("report.section.strategy_plan", L), columns, rows, (None,) * 6),
                        "report.none.tasks", L)

    def progress(self) -> list[Block]:
        L = self.lang
        rows = []
        for x in self.review().get("tasks", []):
            rows.append((x.get("task"), x.get("planned_progress"), x.get("actual_progress"), x.get("deviation"),
                         x.get("main_problem"), x.get("countermeasure"), x.get("owner")))
        columns = tuple(t(f"report.col.{k}", L) for k in ("task", "planned_progress", "actual_progress",
                                                          "progress_deviation", "main_problem", "countermeasure", "owner"))
        return _or_none(Table("progress", t("report.section.progress", L), columns, tuple(rows),
                              (None, "pct", "pct", "pct", None, None, None)), "report.none.tasks", L)

    def followup(self) -> list[Block]:
        L = self.lang
        problems = {p["id"]: p.get("title") for p in self.review().get("problems", [])}
        rows = tuple((problems.get(x.get("problem_id")) or x.get("title"), x.get("title"), x.get("owner"), x.get("due"),
                      x.get("support"), x.get("acceptance"))
                     for x in self.review().get("measures", []))
        columns = tuple(t(f"report.col.{k}", L) for k in ("item", "measure", "owner", "due", "support", "acceptance"))
        return _or_none(Table("followup", t("report.section.followup", L), columns, rows,
                              (None, None, None, "date", None, None)), "report.none.measures", L)

    def problems(self) -> list[Block]:
        L = self.lang
        # Codes in the words the review workspace shows them in (one glossary: retro/glossary.py).
        rows = tuple((x.get("title"), _code_text("review.ui.category", x.get("category"), L),
                      _code_text("review.ui.severity", x.get("severity"), L),
                      self.label_of(x["metric"]) if x.get("metric") else None, root_cause(x, L),
                      _code_text("review.ui.pstatus", x.get("status"), L))
                     for x in self.review().get("problems", []))
        columns = tuple(t(f"report.col.{k}", L) for k in ("problem", "category", "severity", "metric", "root_cause",
                                                          "status"))
        return _or_none(Table("problems", t("report.section.problems", L), columns, rows, (None,) * 6),
                        "report.none.problems", L)

    def measures(self) -> list[Block]:
        L = self.lang
        rows = tuple((x.get("title"), x.get("owner"), x.get("due"), x.get("acceptance"),
                      _code_text("review.ui.pdca", x.get("pdca"), L), _code_text("review.ui.mstatus", x.get("status"), L))
                     for x in self.review().get("measures", []))
        columns = tuple(t(f"report.col.{k}", L) for k in ("measure", "owner", "due", "acceptance", "pdca", "status"))
        return _or_none(Table("measures", t("report.section.measures", L), columns, rows,
                              (None, None, "date", None, None, None)), "report.none.measures", L)

    def lessons(self) -> list[Block]:
        L = self.lang
        kinds = {"success": "report.lesson.keep", "lesson": "report.lesson.avoid"}
        rows = tuple((t(kinds.get(x.get("lesson_kind"), "report.lesson.other"), L), x.get("title"), x.get("text"), x.get("tags") or None)
                     for x in self.review().get("lessons", []))
        columns = tuple(t(f"report.col.{k}", L) for k in ("kind", "lesson_title", "lesson_text", "tags"))
        return _or_none(Table("lessons", t("report.section.lessons", L), columns, rows, (None,) * 4),
                        "report.none.lessons", L)

    def data(self) -> list[Block]:
        L = self.lang
        rows = []
        for m in self.chosen():
            c = M.card_from_series(m, self.series(m.name), self.start, grain=self.grain, spark_periods=1)
            rate = m.unit == "%" or m.number_format == "percent"
            k = 100.0 if rate else 1.0

            def scaled(v: float | None, k: float = k) -> float | None:
                return None if v is None else v * k

            rows.append((m.label(L), "%" if rate else stored_unit_label(m.unit, L), scaled(c.value), scaled(c.prev), c.mom,
                         scaled(c.last_year), c.yoy, scaled(c.ytd)))
        pop = "report.col.mom" if self.grain == "month" else "report.col.pop"
        columns = tuple(t(k, L) for k in ("report.col.kpi", "report.col.unit", "report.col.value", "report.col.prev", pop,
                                          "report.col.last_year", "report.col.yoy", "report.col.ytd"))
        return [Table("data", t("report.section.data", L), columns, tuple(rows),
                      (None, None, "number", "number", "pct", "number", "pct", "number"))]

    # ------------------------------------------------------------------ the review workspace

    def period_end(self) -> datetime.date:
        return S.period_end(self.start, self.grain)

    def review(self) -> dict[str, Any]:
        if not self._review_loaded:
            self._review = _review_items(self.db, self.label)
            self._review_loaded = True
        return self._review


def _months(grain: str) -> int:
    return {"month": 1, "quarter": 3, "year": 12}[grain]


def _or_none(table: Table, none_key: str, lang: str) -> list[Block]:
    """The table, or for an empty one the sentence that says there is none this period: no format
    prints a bare header row or gives it a slide of its own."""
    return [table] if table.rows else [NoneNote(t(none_key, lang))]


def _span(start: Any, end: Any) -> str | None:
    if start is None and end is None:
        return None
    return f"{start.isoformat() if start else '…'} – {end.isoformat() if end else '…'}"


def _resources(budget: Any, people: Any, lang: str) -> str | None:
    parts = []
    if _num(budget) is not None:
        parts.append(format_value(_num(budget), lang, "元"))
    if people:
        parts.append(str(people))
    return " / ".join(parts) or None


def root_cause(problem: dict[str, Any], lang: str = "zh") -> str | None:
    """A problem's root cause: the last answered why of its 5 Whys (a why still without its
    'because' is a question, not a cause); else its fishbone's causes; else None. Never its title
    or description: they say what went wrong, not why."""
    whys = problem.get("whys")
    if isinstance(whys, list):
        answers = [str(w.get("because") or "").strip() for w in whys if isinstance(w, dict)]
        answers = [a for a in answers if a]
        if answers:
            return answers[-1]
    bone = problem.get("fishbone")
    if isinstance(bone, list):
        sep = "：" if lang == "zh" else ": "
        causes = [f"{_code_text('review.ui.fishbone', str(c.get('branch')), lang)}{sep}{str(c.get('cause')).strip()}"
                  for c in bone if isinstance(c, dict) and str(c.get("cause") or "").strip()]
        if causes:
            return "；".join(causes) if lang == "zh" else "; ".join(causes)
    return None


def _tagged(tags: list[str], names: dict[tuple[str, str], list[list[str]]]) -> set[tuple[str, str]]:
    """The KPIs a lesson's tags name: one of a KPI's names, its words in a row among the tags. A name
    inside a longer one that matched ('New customers' in 'New customers (orders)') does not count."""
    found: dict[tuple[str, str], list[str]] = {}
    for key, options in names.items():
        matched = [w for w in options if w and _runs(tags, w)]
        if matched:
            found[key] = max(matched, key=len)
    return {key for key, words in found.items()
            if not any(len(other) > len(words) and _runs(other, words) for other in found.values())}


def _runs(tags: list[str], words: list[str]) -> bool:
    """Whether ``words`` appear in ``tags`` one after another."""
    n = len(words)
    return any(tags[i:i + n] == words for i in range(len(tags) - n + 1))


def _review_items(db: Database, label: str) -> dict[str, Any]:
    """The review of the period (its summary, problems, measures, strategy tasks with their progress,
    lessons) from the review workspace; empty when no review of this period was held."""
    from retro import reviews as R

    review = R.review_for_period(db, label)
    if review is None:
        return {}
    out: dict[str, Any] = {"summary": (review.summary or "").strip() or None}
    for kind, key in (("problem", "problems"), ("measure", "measures"), ("task", "tasks"), ("lesson", "lessons")):
        out[key] = R.items(db, kind, review.id)
    if out["lessons"]:
        # reviews.items() names the item kind in the row's 'kind', which hides a lesson's own kind
        # (success / lesson): read that column itself.
        ids = [int(x["id"]) for x in out["lessons"]]
        own = dict(db.rows(f"SELECT id, kind FROM lessons WHERE id IN ({', '.join('?' for _ in ids)})", ids))
        for x in out["lessons"]:
            x["lesson_kind"] = own.get(x["id"])
    out["measures"].sort(key=lambda x: (x.get("due") or datetime.date.max, x["id"]))
    for task in out["tasks"]:
        progress = R.task_progress(task, R.milestones(db, task["id"]), review.period_end)
        task["planned_progress"], task["actual_progress"], task["deviation"] = (progress.planned, progress.actual,
                                                                                progress.deviation)
    return out


def _segment_text(key: str | None) -> str:
    """A stored segment key ('区域=华东') as the scorecard names a segment ('华东'); '' for the total."""
    if not key:
        return ""
    return "|".join(part.split("=", 1)[-1] for part in str(key).split("|"))


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)
