"""The review workspace: reviews, problems, root causes, measures, strategy tasks and lessons.

A review is a period (month, quarter or a custom range) with a title, a date, attendees and a
status (preparing → in meeting → closed). Problems, measures, strategy tasks and lessons are items
that belong to the review in which they were logged. Creating the next review links every open
measure, unresolved problem and unfinished task of the previous one into it: the item is not
copied, so its status and its history stay one thread from meeting to meeting.

Editing that people trust:
- every save is one transaction and is logged whole, before and after (``item_history``);
- deletes are soft (``deleted_at``) and can be undone;
- every item carries a ``version``: a save names the version it was based on, and a save based on
  a version someone else has since replaced raises :class:`Conflict` with both versions instead of
  overwriting theirs.

Items that stand for a KPI of a period — a problem logged for a red KPI, a success kept for one
beyond plan — carry the KPI's metric, segment and period (and grain), and are found again by these
stored fields (:func:`logged_problem`, :func:`kept_success`), never by their title: a title is
written in the language of whoever logged it.

A measure may carry an acceptance criterion tied to a metric ("获客成本 ≤ 80% of plan in
2026-09"); :func:`verify` checks it against the imported data: met, not met, no data yet, or
pending (the period has no data and the due date has not passed).

No Streamlit here: the review pages and ``python -m retro review`` both call these functions.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import likeforlike as L4L
from . import metrics as M
from . import scoring as S
from .db import Database, bump_version, quote_ident
from .i18n import format_number, t

REVIEW_GRAINS = ("month", "quarter", "custom")
REVIEW_STATUSES = ("preparing", "in_meeting", "closed")
PROBLEM_CATEGORIES = ("market", "supply_chain", "customer_service", "process", "resources", "people", "other")
SEVERITIES = ("high", "medium", "low")
PROBLEM_STATUSES = ("open", "analysing", "measures_set", "resolved")
FISHBONE = ("man", "machine", "material", "method", "environment", "measurement")  # 人机料法环测
PDCA = ("plan", "do", "check", "act")
MEASURE_STATUSES = ("planned", "in_progress", "done", "verified", "dropped")
TASK_STATUSES = ("planned", "in_progress", "done", "dropped")
LESSON_KINDS = ("success", "lesson")
CRIT_OPS = (">=", "<=", ">", "<")
CRIT_BASES = ("value", "plan")  # the value itself, or actual ÷ plan (0.8 = "≤ 80% of budget")
SOURCES = ("manual", "goals", "trends")
AGENDA = ("data", "goals", "problems", "measures", "lessons", "targets", "summary")
MAX_WHYS = 5
OPEN_MEASURES = ("planned", "in_progress", "done")  # 'done' still waits for its check
OPEN_TASKS = ("planned", "in_progress")


# ====================================================================== item kinds


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # text | longtext | choice | date | number | fraction | id | json | segment | tags
    required: bool = False
    choices: tuple[str, ...] = ()
    max_len: int = 4000


@dataclass(frozen=True)
class Kind:
    name: str
    table: str
    fields: tuple[Field, ...]
    carried: bool  # open items of this kind follow the review into the next one

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


KINDS: dict[str, Kind] = {
    "problem": Kind("problem", "problems", (
        Field("title", "text", True, max_len=200),
        Field("description", "longtext"),
        Field("category", "choice", True, PROBLEM_CATEGORIES),
        Field("severity", "choice", True, SEVERITIES),
        Field("metric", "text", max_len=200),
        Field("segment", "segment"),
        Field("period", "date"),
        Field("grain", "choice", False, ("month", "quarter", "year")),
        Field("status", "choice", True, PROBLEM_STATUSES),
        Field("whys", "json"),
        Field("fishbone", "json"),
        Field("source", "choice", True, SOURCES),
    ), carried=True),
    "measure": Kind("measure", "measures", (
        Field("problem_id", "id"),
        Field("title", "text", True, max_len=500),
        Field("owner", "text", True, max_len=100),
        Field("due", "date", True),
        Field("support", "longtext"),
        Field("acceptance", "longtext"),
        Field("pdca", "choice", True, PDCA),
        Field("status", "choice", True, MEASURE_STATUSES),
        Field("crit_metric", "text", max_len=200),
        Field("crit_op", "choice", False, CRIT_OPS),
        Field("crit_value", "number"),
        Field("crit_basis", "choice", False, CRIT_BASES),
        Field("crit_period", "date"),
        Field("crit_grain", "choice", False, ("month", "quarter", "year")),
        Field("crit_segment", "segment"),
    ), carried=True),
    "task": Kind("task", "tasks", (
        Field("goal", "text", True, max_len=500),
        Field("task", "text", True, max_len=500),
        Field("owner", "text", True, max_len=100),
        Field("start_date", "date"),
        Field("end_date", "date"),
        Field("budget", "number"),
        Field("budget_used", "number"),
        Field("people", "text", max_len=200),
        Field("acceptance", "longtext"),
        Field("progress", "fraction"),
        Field("main_problem", "longtext"),
        Field("countermeasure", "longtext"),
        Field("status", "choice", True, TASK_STATUSES),
    ), carried=True),
    "milestone": Kind("milestone", "milestones", (
        Field("task_id", "id", True),
        Field("title", "text", True, max_len=300),
        Field("planned_date", "date"),
        Field("actual_date", "date"),
        Field("progress", "fraction"),
    ), carried=False),
    "lesson": Kind("lesson", "lessons", (
        Field("kind", "choice", True, LESSON_KINDS),
        Field("title", "text", max_len=200),
        Field("text", "longtext", True),
        Field("tags", "tags", max_len=500),
        Field("problem_id", "id"),
        Field("measure_id", "id"),
        # A success kept for a KPI beyond plan: which KPI and period it is (its identity, see kept_success)
        Field("metric", "text", max_len=200),
        Field("segment", "segment"),
        Field("period", "date"),
        Field("grain", "choice", False, ("month", "quarter", "year")),
    ), carried=False),
}

DEFAULTS: dict[str, dict[str, Any]] = {
    "problem": {"category": "other", "severity": "medium", "status": "open", "source": "manual", "segment": ""},
    "measure": {"pdca": "plan", "status": "planned", "crit_segment": ""},
    "task": {"status": "planned"},
    "milestone": {},
    "lesson": {"kind": "lesson", "tags": "", "segment": ""},
}

_BOOKKEEPING = ("id", "review_id", "version", "deleted_at", "actor", "created_at", "updated_at")


# ====================================================================== errors


class ReviewError(ValueError):
    """Input that cannot be saved: a list of (field, code, params); nothing was stored."""

    def __init__(self, errors: list[tuple[str, str, dict[str, Any]]]) -> None:
        super().__init__("; ".join(f"{f}: {c}" for f, c, _ in errors))
        self.errors = errors

    def messages(self, lang: str) -> list[str]:
        return [t(f"review.error.{code}", lang, field=t(f"review.field.{f}", lang), **params)
                for f, code, params in self.errors]


class Conflict(Exception):
    """Someone saved the item after the version this save was based on. Nothing was stored."""

    def __init__(self, kind: str, item_id: int, mine: dict[str, Any], theirs: dict[str, Any]) -> None:
        super().__init__(f"{kind} {item_id} changed since version {mine.get('version')}")
        self.kind = kind
        self.item_id = item_id
        self.mine = mine  # the changes this save wanted, and the version it was based on
        self.theirs = theirs  # the item as stored now (its version, actor, updated_at included)

    @property
    def fields(self) -> list[str]:
        """The fields where this save and the stored item disagree."""
        return [k for k, v in self.mine.items() if k != "version" and not _same(v, self.theirs.get(k))]


# ====================================================================== values


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = _CONTROL.sub("", str(value)).strip()
    return text or None


def parse_date(value: Any) -> dt.date | None:
    """A date from a date, a timestamp, or 'YYYY-MM-DD' / 'YYYY/MM/DD' / 'YYYY年M月D日'; ValueError else."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?", text)
    if not m:
        raise ValueError(text)
    return dt.date(int(m[1]), int(m[2]), int(m[3]))


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")
        scale = 1.0
        if text.endswith("%"):
            text, scale = text[:-1], 0.01
        elif text.endswith("万"):
            text, scale = text[:-1], 1e4
        value = float(text) * scale
    number = float(value)
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise ValueError(value)
    return number


def segment_key(dims: Mapping[str, str] | None) -> str:
    """{'区域': '华东'} → '区域=华东'; {} → '' — the goals page's targets use the same key."""
    return S.dims_key(dict(dims or {}))


def segment_dims(key: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (key or "").split("|"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k] = v
    return out


def _coerce(kind: Kind, values: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str, dict]]]:
    out: dict[str, Any] = {}
    errors: list[tuple[str, str, dict]] = []
    for name, raw in values.items():
        if name not in kind.names:
            continue
        f = kind.field(name)
        try:
            if f.type in ("text", "longtext"):
                value = _clean_text(raw)
                if value is not None and len(value) > f.max_len:
                    errors.append((name, "too_long", {"max": f.max_len}))
                    continue
            elif f.type == "choice":
                value = _clean_text(raw)
                if value is not None and value not in f.choices:
                    errors.append((name, "bad_choice", {"value": value}))
                    continue
            elif f.type == "date":
                value = parse_date(raw)
            elif f.type in ("number", "fraction"):
                value = _number(raw)
                if f.type == "fraction" and value is not None:
                    if value > 1 and value <= 100:
                        value = value / 100  # '60' typed in a progress cell means 60%
                    if not 0 <= value <= 1:
                        errors.append((name, "bad_fraction", {}))
                        continue
            elif f.type == "id":
                value = None if raw is None or raw == "" or (isinstance(raw, float) and math.isnan(raw)) else int(raw)
            elif f.type == "tags":
                value = ", ".join(dict.fromkeys(split_tags(_clean_text(raw))))
                if len(value) > f.max_len:
                    errors.append((name, "too_long", {"max": f.max_len}))
                    continue
            elif f.type == "segment":
                value = segment_key(raw) if isinstance(raw, Mapping) else (_clean_text(raw) or "")
            elif f.type == "json":
                value = list(raw) if raw is not None else None
            else:  # pragma: no cover - a kind declared a type this function does not know
                raise AssertionError(f.type)
        except (ValueError, TypeError, OverflowError):
            errors.append((name, "bad_" + ("date" if f.type == "date" else "number"), {"value": str(raw)[:40]}))
            continue
        out[name] = value
    return out, errors


_OWNER_SPLIT = re.compile(r"[、,，/&;；+]|\s和\s|(?<=\S)和(?=\S)|\band\b")


def _check(kind: Kind, row: dict[str, Any], *, new: bool, today: dt.date) -> list[tuple[str, str, dict]]:
    """Rules on the whole row as it would be stored."""
    errors = [(f.name, "required", {}) for f in kind.fields
              if f.required and (row.get(f.name) is None or row.get(f.name) == "")]
    if kind.name == "measure":
        owner = row.get("owner") or ""
        if owner and _OWNER_SPLIT.search(owner):
            errors.append(("owner", "one_owner", {}))
        if new and row.get("due") and row["due"] < today:
            errors.append(("due", "due_past", {"today": today.isoformat()}))
        if row.get("crit_metric"):
            if row.get("crit_op") is None:
                errors.append(("crit_op", "required", {}))
            if row.get("crit_value") is None:
                errors.append(("crit_value", "required", {}))
    if kind.name == "task" and row.get("start_date") and row.get("end_date") and row["end_date"] < row["start_date"]:
        errors.append(("end_date", "end_before_start", {}))
    if kind.name == "task":
        for name in ("budget", "budget_used"):
            if row.get(name) is not None and row[name] < 0:
                errors.append((name, "negative", {}))
    if kind.name == "problem":
        errors += _check_causes(row)
    return errors


def _check_causes(row: dict[str, Any]) -> list[tuple[str, str, dict]]:
    errors: list[tuple[str, str, dict]] = []
    whys = row.get("whys") or []
    if len(whys) > MAX_WHYS:
        errors.append(("whys", "too_many_whys", {"max": MAX_WHYS}))
    for step in whys:
        if not isinstance(step, Mapping) or not (_clean_text(step.get("why")) or _clean_text(step.get("because"))):
            errors.append(("whys", "empty_why", {}))
            break
    for cause in row.get("fishbone") or []:
        if not isinstance(cause, Mapping) or cause.get("branch") not in FISHBONE or not _clean_text(cause.get("cause")):
            errors.append(("fishbone", "bad_fishbone", {}))
            break
    return errors


def clean_whys(steps: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The 5-Whys chain as typed, with wholly empty steps dropped (a half-filled step is kept)."""
    out = []
    for step in steps:
        why, because = _clean_text(step.get("why")), _clean_text(step.get("because"))
        if why or because:
            out.append({"why": why or "", "because": because or ""})
    return out


def clean_fishbone(causes: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    out = []
    for cause in causes:
        text = _clean_text(cause.get("cause"))
        if text:
            out.append({"branch": str(cause.get("branch") or ""), "cause": text})
    return out


# Blame the cause, not a person (DOMAIN.md part 3): phrases that judge someone rather than describe
# what in the process let the problem happen. A hint, never a refusal.
_BLAME = re.compile(
    r"(能力不足|能力差|不认真|不负责|不上心|粗心|偷懒|懒惰|态度(不好|差|问题)|没做好|做得不好|做得差|表现差|失职|工作不力|"
    r"\b(lazy|careless|incompetent|sloppy|did (a )?bad(ly)?|did poorly|his fault|her fault|their fault|not competent)\b)",
    re.IGNORECASE,
)


def blame_hints(texts: Iterable[str | None], names: Iterable[str] = ()) -> list[str]:
    """The phrases in ``texts`` that blame a person (a judgement, or a named owner as the cause)."""
    found: list[str] = []
    people = [n for n in {(_clean_text(n) or "") for n in names} if len(n) >= 2]
    for text in texts:
        if not text:
            continue
        for m in _BLAME.finditer(text):
            found.append(m.group(0))
        for name in people:
            if name in text and re.search(re.escape(name) + r".{0,6}(没|未|不|错|失误|忘|didn|did not|failed|forgot)", text):
                found.append(name)
    return list(dict.fromkeys(found))


# ====================================================================== storage helpers


def _json_dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return (a is None or a == "") and (b is None or b == "")
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    return a == b


def _row(cur: Any, kind: Kind, item_id: int) -> dict[str, Any] | None:
    cols = _BOOKKEEPING + kind.names
    found = cur.execute(
        f"SELECT {', '.join(quote_ident(c) for c in cols)} FROM {quote_ident(kind.table)} WHERE id = ?", [item_id]
    ).fetchone()
    return None if found is None else _decode(kind, dict(zip(cols, found, strict=True)))


def _decode(kind: Kind, row: dict[str, Any]) -> dict[str, Any]:
    for f in kind.fields:
        if f.type == "json" and isinstance(row.get(f.name), str):
            row[f.name] = json.loads(row[f.name])
    row["item_kind"] = kind.name  # not "kind": a lesson has a field of that name (success/lesson)
    return row


def _log(cur: Any, kind: str, item_id: int, action: str, before: dict | None, after: dict | None,
         actor: str | None) -> None:
    cur.execute("INSERT INTO item_history (kind, item_id, action, before, after, actor) VALUES (?, ?, ?, ?, ?, ?)",
                [kind, item_id, action, _json_dump(before), _json_dump(after), actor])


def _kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown item kind {name!r}; one of {sorted(KINDS)}") from None


# ====================================================================== reviews


@dataclass(frozen=True)
class Review:
    id: int
    title: str
    grain: str
    period_start: dt.date
    period_end: dt.date  # the last day, inclusive
    meeting_date: dt.date | None
    attendees: str | None
    status: str
    summary: str | None
    previous_id: int | None
    version: int
    actor: str | None
    updated_at: dt.datetime | None

    @property
    def label(self) -> str:
        """'2026-10', '2026-Q3', or '2026-07-01 – 2026-09-15' for a custom range."""
        if self.grain in ("month", "quarter"):
            return M.period_label(self.period_start, self.grain)
        return f"{self.period_start.isoformat()} – {self.period_end.isoformat()}"

    @property
    def metric_grain(self) -> str:
        """The grain the data pages use for this review: a custom range is read month by month."""
        return self.grain if self.grain in ("month", "quarter") else "month"

    @property
    def metric_period(self) -> str:
        """The period label the data pages open on: the review's month or quarter, or a custom
        range's last month."""
        if self.grain in ("month", "quarter"):
            return self.label
        return M.period_label(self.period_end, "month")

    @property
    def closed(self) -> bool:
        return self.status == "closed"


_REVIEW_COLUMNS = ("id", "title", "grain", "period_start", "period_end", "meeting_date", "attendees", "status",
                   "summary", "previous_id", "version", "actor", "updated_at")


def _review(row: Sequence[Any]) -> Review:
    return Review(*row)


def period_range(grain: str, period: str | None = None, start: Any = None, end: Any = None) -> tuple[dt.date, dt.date]:
    """The first and last day of a review's period: '2026-10' (month), '2026-Q3' (quarter), or a custom range."""
    if grain in ("month", "quarter"):
        first = M.truncate(M.period_start(str(period)), grain)
        return first, M.add_months(first, 1 if grain == "month" else 3) - dt.timedelta(days=1)
    if grain != "custom":
        raise ValueError(grain)
    first, last = parse_date(start), parse_date(end)
    if first is None or last is None:
        raise ValueError("custom range needs a start and an end")
    return first, last


def default_title(grain: str, first: dt.date, last: dt.date, lang: str) -> str:
    if grain == "month":
        return t("review.title.month", lang, year=first.year, month=first.month)
    if grain == "quarter":
        return t("review.title.quarter", lang, year=first.year, quarter=(first.month - 1) // 3 + 1)
    return t("review.title.custom", lang, start=first.isoformat(), end=last.isoformat())


def create_review(db: Database, *, grain: str, period: str | None = None, start: Any = None, end: Any = None,
                  title: str | None = None, meeting_date: Any = None, attendees: str | None = None,
                  actor: str | None = None, lang: str = "zh") -> int:
    """A new review; every open item of the latest earlier review is carried into it. Its id."""
    errors: list[tuple[str, str, dict]] = []
    if grain not in REVIEW_GRAINS:
        raise ReviewError([("grain", "bad_choice", {"value": grain})])
    try:
        first, last = period_range(grain, period, start, end)
    except ValueError:
        raise ReviewError([("period", "bad_period", {"value": str(period or start or '')[:40]})]) from None
    if last < first:
        raise ReviewError([("period", "end_before_start", {})])
    try:
        meeting = parse_date(meeting_date)
    except ValueError:
        errors.append(("meeting_date", "bad_date", {"value": str(meeting_date)[:40]}))
        meeting = None
    title = _clean_text(title) or default_title(grain, first, last, lang)
    if len(title) > 200:
        errors.append(("title", "too_long", {"max": 200}))
    if errors:
        raise ReviewError(errors)
    with db.transaction() as cur:
        same = cur.execute(
            "SELECT id FROM reviews WHERE deleted_at IS NULL AND grain = ? AND period_start = ? AND period_end = ?",
            [grain, first, last]).fetchone()
        if same:
            raise ReviewError([("period", "review_exists", {"period": title})])
        previous = cur.execute(
            """SELECT id FROM reviews WHERE deleted_at IS NULL AND period_start < ?
               ORDER BY period_start DESC, id DESC LIMIT 1""", [first]).fetchone()
        previous_id = previous[0] if previous else None
        review_id = cur.execute(
            """INSERT INTO reviews (title, grain, period_start, period_end, meeting_date, attendees, previous_id, actor)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
            [title, grain, first, last, meeting, _clean_text(attendees), previous_id, actor]).fetchone()[0]
        if previous_id is not None:
            _carry_over(cur, previous_id, review_id)
        _log(cur, "review", review_id, "insert", None, {"title": title, "period": [first, last]}, actor)
        bump_version(cur, numbers=False)
    return int(review_id)


def _carry_over(cur: Any, source: int, target: int) -> None:
    rules = {"measure": ("status", OPEN_MEASURES), "problem": ("status", tuple(s for s in PROBLEM_STATUSES if s != "resolved")),
             "task": ("status", OPEN_TASKS)}
    for kind_name, (column, open_values) in rules.items():
        kind = KINDS[kind_name]
        marks = ", ".join("?" for _ in open_values)
        cur.execute(
            f"""INSERT INTO review_links (review_id, kind, item_id, carried_from)
                SELECT ?, ?, i.id, ? FROM {quote_ident(kind.table)} i
                WHERE i.deleted_at IS NULL AND {quote_ident(column)} IN ({marks})
                  AND (i.review_id = ? OR i.id IN (SELECT item_id FROM review_links WHERE review_id = ? AND kind = ?))
                ON CONFLICT DO NOTHING""",
            [target, kind_name, source, *open_values, source, source, kind_name])


def reviews(db: Database) -> list[Review]:
    """Every review, newest period first."""
    return [_review(r) for r in db.rows(
        f"SELECT {', '.join(_REVIEW_COLUMNS)} FROM reviews WHERE deleted_at IS NULL ORDER BY period_start DESC, id DESC")]


def get_review(db: Database, review_id: int) -> Review | None:
    found = db.one(f"SELECT {', '.join(_REVIEW_COLUMNS)} FROM reviews WHERE id = ? AND deleted_at IS NULL",
                   [int(review_id)])
    return None if found is None else _review(found)


def review_for_period(db: Database, label: str) -> Review | None:
    """The review of a month ('2026-10') or quarter ('2026-Q3'), if one was created."""
    grain = "quarter" if "Q" in label else "month"
    first = M.period_start(label)
    found = db.one(f"""SELECT {', '.join(_REVIEW_COLUMNS)} FROM reviews WHERE deleted_at IS NULL AND grain = ?
                       AND period_start = ? ORDER BY id DESC LIMIT 1""", [grain, first])
    return None if found is None else _review(found)


def next_period_args(review: Review) -> dict[str, Any]:
    """The period of the review that follows ``review``: the next month, quarter, or a range as long."""
    if review.grain in ("month", "quarter"):
        nxt = M.add_months(review.period_start, 1 if review.grain == "month" else 3)
        return {"grain": review.grain, "period": M.period_label(nxt, review.grain)}
    length = review.period_end - review.period_start
    start = review.period_end + dt.timedelta(days=1)
    return {"grain": "custom", "start": start, "end": start + length}


def open_next_review(db: Database, review_id: int, *, actor: str | None = None, lang: str = "zh") -> int:
    """The review after ``review_id`` (created, with its open items carried over, if it does not exist yet)."""
    review = get_review(db, review_id)
    if review is None:
        raise ReviewError([("review", "not_found", {})])
    args = next_period_args(review)
    first, last = period_range(**args)
    existing = db.scalar("""SELECT id FROM reviews WHERE deleted_at IS NULL AND grain = ? AND period_start = ?
                            AND period_end = ?""", [args["grain"], first, last])
    if existing:
        return int(existing)
    return create_review(db, **args, actor=actor, lang=lang)


_REVIEW_EDITABLE = ("title", "meeting_date", "attendees", "status", "summary")


def update_review(db: Database, review_id: int, changes: Mapping[str, Any], *, version: int,
                  actor: str | None = None) -> int:
    """Save a review's title, meeting date, attendees, status or summary. The new version."""
    clean: dict[str, Any] = {}
    errors: list[tuple[str, str, dict]] = []
    for name, value in changes.items():
        if name not in _REVIEW_EDITABLE:
            continue
        if name == "meeting_date":
            try:
                clean[name] = parse_date(value)
            except ValueError:
                errors.append((name, "bad_date", {"value": str(value)[:40]}))
        elif name == "status":
            if value not in REVIEW_STATUSES:
                errors.append((name, "bad_choice", {"value": str(value)}))
            clean[name] = value
        else:
            clean[name] = _clean_text(value)
            limit = 20000 if name == "summary" else 200 if name == "title" else 2000
            if clean[name] and len(clean[name]) > limit:
                errors.append((name, "too_long", {"max": limit}))
    if "title" in clean and not clean["title"]:
        errors.append(("title", "required", {}))
    if errors:
        raise ReviewError(errors)
    with db.transaction() as cur:
        found = cur.execute(f"SELECT {', '.join(_REVIEW_COLUMNS)} FROM reviews WHERE id = ? AND deleted_at IS NULL",
                            [int(review_id)]).fetchone()
        if found is None:
            raise ReviewError([("review", "not_found", {})])
        before = dict(zip(_REVIEW_COLUMNS, found, strict=True))
        if before["version"] != version:
            raise Conflict("review", int(review_id), {**clean, "version": version}, before)
        if not clean:
            return version
        sets = ", ".join(f"{quote_ident(k)} = ?" for k in clean)
        cur.execute(f"UPDATE reviews SET {sets}, version = version + 1, actor = ?, updated_at = current_timestamp "
                    "WHERE id = ?", [*clean.values(), actor, int(review_id)])
        _log(cur, "review", int(review_id), "update", {k: before[k] for k in clean}, clean, actor)
        bump_version(cur, numbers=False)
    return version + 1


def review_covering(db: Database, active: Review | None, label: str) -> Review | None:
    """The open review a problem of ``label``'s period belongs in: the active review when it covers
    that period, else the period's own review; None when neither exists."""
    first = M.period_start(label)
    if active is not None and not active.closed and active.period_start <= first <= active.period_end:
        return active
    return review_for_period(db, label)


def review_to_log_in(db: Database, active: Review | None, label: str, *, actor: str | None = None,
                     lang: str = "zh") -> int:
    """Where a problem seen on the data pages goes: :func:`review_covering`, or that period's review
    created (with carry-over) if there is none yet."""
    found = review_covering(db, active, label)
    if found is not None:
        return found.id
    return create_review(db, grain="quarter" if "Q" in label else "month", period=label, actor=actor, lang=lang)


def kpi_problem(metric: str, label: str, period: dt.date, grain: str, *, segment: Mapping[str, str] | None = None,
                what: str, detail: str, source: str, severity: str = "high") -> dict[str, Any]:
    """A problem's values for a red KPI or an anomaly: metric, segment and period set, a title that
    says what is off; the team adds the description and the causes."""
    return {"title": f"{what} {label} {detail}", "metric": metric, "segment": dict(segment or {}), "period": period,
            "grain": grain, "source": source, "category": "other", "severity": severity, "status": "open"}


def logged_problem(db: Database, review_id: int, metric: str, segment: Mapping[str, str] | None,
                   period: dt.date, grain: str = "month") -> int | None:
    """The problem already logged in this review for this metric, segment, period and grain, if any
    (2026-Q3 and July 2026 start on the same day: a quarter's problem is not July's)."""
    found = db.scalar(
        """SELECT id FROM problems WHERE deleted_at IS NULL AND metric = ? AND segment = ? AND period = ?
           AND coalesce(grain, 'month') = ?
           AND (review_id = ? OR id IN (SELECT item_id FROM review_links WHERE review_id = ? AND kind = 'problem'))
           ORDER BY id LIMIT 1""", [metric, segment_key(segment), period, grain, review_id, review_id])
    return None if found is None else int(found)


def kpi_success(metric: str, period: dt.date, grain: str, *, segment: Mapping[str, str] | None = None,
                title: str, text: str, tags: str = "") -> dict[str, Any]:
    """A success lesson's values for a KPI beyond plan, its KPI and period stored as its identity."""
    return {"kind": "success", "title": title, "text": text, "tags": tags, "metric": metric,
            "segment": dict(segment or {}), "period": period, "grain": grain}


def _kpi_what(db: Database, metric: str, segment_value: str | None, lang: str) -> str:
    try:
        name = M.get_metric(db, metric).label(lang)
    except KeyError:
        name = metric
    return name + (f" · {segment_value}" if segment_value else "")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def success_title(db: Database, row: S.KpiRow, lang: str) -> str:
    """'新增客户 · 西南 超额完成（达成率 123.0%）': the title of a success kept for ``row``."""
    return t("meeting.success_title", lang, what=_kpi_what(db, row.metric, row.segment, lang), attainment=_pct(row.attainment))


def kpi_success_values(db: Database, row: S.KpiRow, segment: Mapping[str, str] | None, lang: str) -> dict[str, Any]:
    """The success lesson kept for a KPI beyond plan (meeting mode, the goals page): the numbers
    written in ``lang``, what was done left to the team, the KPI and period stored as its identity."""
    text = t("meeting.success_text", lang, period=row.label, actual=format_number(row.actual, lang, unit=row.unit),
             plan=format_number(row.plan, lang, unit=row.unit), attainment=_pct(row.attainment))
    return kpi_success(row.metric, row.period, row.grain, segment=segment, title=success_title(db, row, lang), text=text,
                       tags=_kpi_what(db, row.metric, None, lang))


def kpi_success_kept(db: Database, review_id: int | None, row: S.KpiRow, segment: Mapping[str, str] | None) -> int | None:
    """:func:`kept_success` for a scorecard row; a success kept before migration 11 is known by
    its title in either language."""
    return kept_success(db, review_id, row.metric, segment, row.period, row.grain,
                        legacy_titles=[success_title(db, row, lg) for lg in ("zh", "en")])


def kept_success(db: Database, review_id: int | None, metric: str, segment: Mapping[str, str] | None,
                 period: dt.date, grain: str = "month", *, legacy_titles: Iterable[str] = ()) -> int | None:
    """The success already kept for this KPI (metric, segment), period and grain, in any review; None if none.

    A success kept before its KPI was stored (metric NULL, migration 11) is recognised by its title
    in ``review_id``: the caller names the titles it may have had, one per language."""
    titles = [x for x in dict.fromkeys(legacy_titles) if x]
    legacy = (f" OR (metric IS NULL AND review_id = ? AND title IN ({', '.join('?' for _ in titles)}))"
              if titles and review_id is not None else "")
    found = db.scalar(
        f"""SELECT id FROM lessons WHERE deleted_at IS NULL AND kind = 'success'
            AND ((metric = ? AND segment = ? AND period = ? AND coalesce(grain, 'month') = ?){legacy})
            ORDER BY id LIMIT 1""",
        [metric, segment_key(segment), period, grain, *([int(review_id), *titles] if legacy else [])])
    return None if found is None else int(found)


# ====================================================================== items


def add_item(db: Database, kind: str, values: Mapping[str, Any], *, review_id: int | None,
             actor: str | None = None, today: dt.date | None = None) -> int:
    """Store a new problem, measure, task, milestone or lesson. Its id; :class:`ReviewError` if invalid."""
    k = _kind(kind)
    today = today or dt.date.today()
    row, errors = _coerce(k, {**DEFAULTS[kind], **{n: v for n, v in values.items() if v is not None}})
    row = {**{n: None for n in k.names}, **row}
    row = _fill_criterion(row) if kind == "measure" else row
    errors += _check(k, row, new=True, today=today)
    if errors:
        raise ReviewError(errors)
    with db.transaction() as cur:
        if review_id is not None and cur.execute("SELECT count(*) FROM reviews WHERE id = ? AND deleted_at IS NULL",
                                                 [int(review_id)]).fetchone()[0] == 0:
            raise ReviewError([("review", "not_found", {})])
        _check_links(cur, k, row)
        columns = ["review_id", "actor", *k.names]
        params = [review_id, actor, *(_json_dump(row[n]) if k.field(n).type == "json" else row[n] for n in k.names)]
        item_id = cur.execute(
            f"INSERT INTO {quote_ident(k.table)} ({', '.join(quote_ident(c) for c in columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)}) RETURNING id", params).fetchone()[0]
        if kind == "measure" and row.get("problem_id"):
            # A problem that gets its first measure moves on from 'open'/'analysing' by itself, logged
            # like any change so the problem's history says when and through whom.
            problem = _row(cur, KINDS["problem"], row["problem_id"])
            if problem is not None and problem["status"] in ("open", "analysing"):
                cur.execute("""UPDATE problems SET status = 'measures_set', version = version + 1, actor = ?,
                               updated_at = current_timestamp WHERE id = ?""", [actor, row["problem_id"]])
                _log(cur, "problem", row["problem_id"], "update", problem,
                     _row(cur, KINDS["problem"], row["problem_id"]), actor)
        _log(cur, kind, int(item_id), "insert", None, _row(cur, k, int(item_id)), actor)
        bump_version(cur, numbers=False)
    return int(item_id)


def _fill_criterion(row: dict[str, Any]) -> dict[str, Any]:
    if row.get("crit_metric"):
        row["crit_basis"] = row.get("crit_basis") or "value"
        row["crit_grain"] = row.get("crit_grain") or "month"
        if row.get("crit_period") is None and row.get("due"):
            row["crit_period"] = M.truncate(row["due"], row["crit_grain"])
        elif row.get("crit_period") is not None:
            row["crit_period"] = M.truncate(row["crit_period"], row["crit_grain"])
    else:
        for name in ("crit_op", "crit_value", "crit_basis", "crit_period", "crit_grain"):
            row[name] = None
        row["crit_segment"] = ""
    return row


def _check_links(cur: Any, k: Kind, row: dict[str, Any]) -> None:
    links = {"problem_id": "problems", "measure_id": "measures", "task_id": "tasks"}
    for name, table in links.items():
        if name in k.names and row.get(name) is not None:
            alive = cur.execute(f"SELECT count(*) FROM {quote_ident(table)} WHERE id = ? AND deleted_at IS NULL",
                                [row[name]]).fetchone()[0]
            if not alive:
                raise ReviewError([(name, "link_missing", {"id": row[name]})])


def update_item(db: Database, kind: str, item_id: int, changes: Mapping[str, Any], *, version: int,
                actor: str | None = None, today: dt.date | None = None) -> int:
    """Save changes to an item based on ``version``. The new version.

    :class:`Conflict` when someone saved it since ``version`` (nothing stored; both versions in the
    exception), :class:`ReviewError` when the result would be invalid."""
    k = _kind(kind)
    today = today or dt.date.today()
    clean, errors = _coerce(k, changes)
    if errors:
        raise ReviewError(errors)
    with db.transaction() as cur:
        before = _row(cur, k, int(item_id))
        if before is None or before["deleted_at"] is not None:
            raise ReviewError([("item", "not_found", {})])
        if before["version"] != version:
            raise Conflict(kind, int(item_id), {**clean, "version": version}, before)
        after = {**{n: before[n] for n in k.names}, **clean}
        if kind == "measure":
            after = _fill_criterion(after)
        problems = _check(k, after, new=False, today=today)
        if problems:
            raise ReviewError(problems)
        _check_links(cur, k, after)
        changed = {n: after[n] for n in k.names if not _same(after[n], before[n])}
        if not changed:
            return version
        sets = ", ".join(f"{quote_ident(n)} = ?" for n in changed)
        params = [_json_dump(v) if k.field(n).type == "json" else v for n, v in changed.items()]
        cur.execute(f"UPDATE {quote_ident(k.table)} SET {sets}, version = version + 1, actor = ?, "
                    "updated_at = current_timestamp WHERE id = ?", [*params, actor, int(item_id)])
        _log(cur, kind, int(item_id), "update", before, _row(cur, k, int(item_id)), actor)
        bump_version(cur, numbers=False)
    return version + 1


def delete_item(db: Database, kind: str, item_id: int, *, actor: str | None = None) -> None:
    """Soft-delete an item (and a task's milestones with it); :func:`restore_item` undoes it."""
    _set_deleted(db, kind, item_id, deleted=True, actor=actor)


def restore_item(db: Database, kind: str, item_id: int, *, actor: str | None = None) -> None:
    _set_deleted(db, kind, item_id, deleted=False, actor=actor)


def _set_deleted(db: Database, kind: str, item_id: int, *, deleted: bool, actor: str | None) -> None:
    k = _kind(kind)
    with db.transaction() as cur:
        before = _row(cur, k, int(item_id))
        if before is None or (before["deleted_at"] is not None) == deleted:
            raise ReviewError([("item", "not_found", {})])
        cur.execute(f"UPDATE {quote_ident(k.table)} SET deleted_at = {'current_timestamp' if deleted else 'NULL'}, "
                    "version = version + 1, actor = ?, updated_at = current_timestamp WHERE id = ?", [actor, int(item_id)])
        _log(cur, kind, int(item_id), "delete" if deleted else "restore", before, _row(cur, k, int(item_id)), actor)
        bump_version(cur, numbers=False)


def get_item(db: Database, kind: str, item_id: int) -> dict[str, Any] | None:
    k = _kind(kind)
    with db.cursor() as cur:
        return _row(cur, k, int(item_id))


def items(db: Database, kind: str, review_id: int | None = None, *, deleted: bool = False) -> list[dict[str, Any]]:
    """A review's items of ``kind``: its own and those carried into it ('carried' True), oldest first.
    Every review's when ``review_id`` is None. Only the deleted ones when ``deleted``."""
    k = _kind(kind)
    cols = ", ".join(f"i.{quote_ident(c)}" for c in _BOOKKEEPING + k.names)
    where = ["i.deleted_at IS NOT NULL" if deleted else "i.deleted_at IS NULL"]
    params: list[Any] = []
    carried = "FALSE"
    if review_id is not None:
        where.append("(i.review_id = ? OR i.id IN (SELECT item_id FROM review_links WHERE review_id = ? AND kind = ?))")
        params += [int(review_id), int(review_id), kind]
        carried = f"coalesce(i.review_id <> {int(review_id)}, FALSE)"
    rows = db.rows(f"""SELECT {cols}, {carried} AS carried, r.title AS review_title
                       FROM {quote_ident(k.table)} i LEFT JOIN reviews r ON r.id = i.review_id
                       WHERE {' AND '.join(where)} ORDER BY i.id""", params)
    names = (*_BOOKKEEPING, *k.names, "carried", "review_title")
    return [_decode(k, dict(zip(names, r, strict=True))) for r in rows]


def history(db: Database, kind: str, item_id: int) -> list[dict[str, Any]]:
    """Every change of an item, newest first: action, the fields that changed (before → after), who, when."""
    out = []
    for log_id, action, before, after, actor, at in db.rows(
            """SELECT id, action, before, after, actor, logged_at FROM item_history
               WHERE kind = ? AND item_id = ? ORDER BY id DESC""", [kind, int(item_id)]):
        b = json.loads(before) if before else {}
        a = json.loads(after) if after else {}
        skip = {"version", "updated_at", "actor", "created_at", "deleted_at", "kind"}
        fields = [n for n in dict.fromkeys([*a, *b]) if n not in skip and b.get(n) != a.get(n)] if action == "update" else []
        out.append({"id": log_id, "action": action, "fields": fields,
                    "changes": {n: (b.get(n), a.get(n)) for n in fields}, "actor": actor, "at": at})
    return out


# ====================================================================== measures: due, owner, check


def is_overdue(measure: Mapping[str, Any], today: dt.date | None = None) -> bool:
    """Past its due date and not done, verified or dropped."""
    today = today or dt.date.today()
    due = measure.get("due")
    return bool(due) and due < today and measure.get("status") in ("planned", "in_progress")


def owners(db: Database) -> list[str]:
    """Everyone who owns a measure or a task, most loaded first."""
    rows = db.rows("""SELECT owner, count(*) AS n FROM (
                          SELECT owner FROM measures WHERE deleted_at IS NULL AND status NOT IN ('verified', 'dropped')
                          UNION ALL SELECT owner FROM tasks WHERE deleted_at IS NULL AND status NOT IN ('done', 'dropped'))
                      AS open_items GROUP BY owner ORDER BY n DESC, owner""")  # named: PostgreSQL requires it
    return [r[0] for r in rows]


def plate(db: Database, owner: str, today: dt.date | None = None) -> list[dict[str, Any]]:
    """What is on ``owner``'s plate: open measures across all reviews, overdue first, then by due date."""
    today = today or dt.date.today()
    mine = [m for m in items(db, "measure") if m["owner"] == owner and m["status"] not in ("verified", "dropped")]
    for m in mine:
        m["overdue"] = is_overdue(m, today)
    return sorted(mine, key=lambda m: (not m["overdue"], m["due"] or dt.date.max, m["id"]))


@dataclass(frozen=True)
class Verification:
    state: str  # none | pending | met | not_met | no_data
    actual: float | None = None
    target: float | None = None  # the number the actual is compared with (plan × value when basis is plan)
    plan: float | None = None
    period: str | None = None
    unit: str | None = None
    checked: bool = False  # the result counts (data in for the period): the loop is closed either way


_OPS = {">=": lambda a, b: a >= b - 1e-9, "<=": lambda a, b: a <= b + 1e-9, ">": lambda a, b: a > b, "<": lambda a, b: a < b}


def verify(db: Database, measure: Mapping[str, Any], today: dt.date | None = None) -> Verification:
    """Check a measure's acceptance criterion against the imported data.

    The check runs as soon as the criterion's period has (complete) data — the number is in, no need
    to wait for the due date; with no data it is 'pending' until the due date and 'no_data' after."""
    today = today or dt.date.today()
    metric, op, value = measure.get("crit_metric"), measure.get("crit_op"), measure.get("crit_value")
    if not metric or op not in _OPS or value is None:
        return Verification("none")
    grain = measure.get("crit_grain") or "month"
    period = measure.get("crit_period") or (M.truncate(measure["due"], grain) if measure.get("due") else None)
    if period is None:
        return Verification("none")
    label = M.period_label(period, grain)
    try:
        m = M.get_metric(db, metric)
    except KeyError:
        return Verification("no_data", period=label)
    dims = segment_dims(measure.get("crit_segment"))
    filters = {k: [v] for k, v in dims.items()} or None
    actual = _value_at(db, metric, grain, "actual", filters, period)
    target = float(value)
    plan = None
    if measure.get("crit_basis") == "plan":
        plan = _plan_at(db, metric, label, dims)
        target = None if plan is None else plan * float(value)
    due = measure.get("due")
    if actual is None or target is None:
        state = "no_data" if due and due < today else "pending"
        return Verification(state, actual, target, plan, label, m.unit)
    met = _OPS[op](actual, target)
    return Verification("met" if met else "not_met", actual, target, plan, label, m.unit, checked=True)


def _value_at(db: Database, metric: str, grain: str, scenario: str, filters: dict[str, list[str]] | None,
              period: dt.date) -> float | None:
    frame = M.series(db, metric, grain=grain, scenario=scenario, filters=filters, start=period, end=period)
    hit = frame[(frame["period"] == period) & frame["complete"].astype(bool)]
    if hit.empty or pd.isna(hit["value"].iloc[0]):
        return None
    return float(hit["value"].iloc[0])


def _plan_at(db: Database, metric: str, label: str, dims: dict[str, str]) -> float | None:
    by = next(iter(dims), None) if len(dims) == 1 else None
    card = S.scorecard(db, label, by=by, metrics=[metric])
    segment = dims[by] if by else ""
    for row in card.rows:
        if row.metric == metric and row.segment == segment:
            return row.plan_full if row.plan_full is not None else row.plan
    return None


def criterion_text(measure: Mapping[str, Any], lang: str, label: str | None = None) -> str:
    """'获客成本 ≤ 80% 计划（2026-09，区域=华东）' — the criterion in words; '' without one."""
    if not measure.get("crit_metric"):
        return ""
    value = measure.get("crit_value")
    op = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}.get(measure.get("crit_op") or "", "?")
    if measure.get("crit_basis") == "plan":
        target = t("review.crit.of_plan", lang, pct=f"{value * 100:g}%")
    else:
        target = format_number(value, lang, compact=False)
    where = [M.period_label(measure["crit_period"], measure.get("crit_grain") or "month")] if measure.get("crit_period") else []
    if measure.get("crit_segment"):
        where.append(measure["crit_segment"].replace("|", ", "))
    return f"{label or measure['crit_metric']} {op} {target}" + (f" ({', '.join(where)})" if where else "")


# ====================================================================== strategy tasks


@dataclass(frozen=True)
class TaskProgress:
    planned: float | None  # where the task should be by ``as_of``: by milestones, else by elapsed time
    actual: float | None
    deviation: float | None  # actual − planned, in points of progress (−0.2 = 20 points behind)
    overdue: bool


def task_progress(task: Mapping[str, Any], milestones: Sequence[Mapping[str, Any]], as_of: dt.date) -> TaskProgress:
    """Planned and actual progress of a strategy task on ``as_of`` (template table 2)."""
    dated = [m for m in milestones if m.get("planned_date")]
    if dated:
        planned = sum(1 for m in dated if m["planned_date"] <= as_of) / len(dated)
    elif task.get("start_date") and task.get("end_date"):
        span = (task["end_date"] - task["start_date"]).days
        planned = 1.0 if span <= 0 else min(max((as_of - task["start_date"]).days / span, 0.0), 1.0)
    else:
        planned = None
    actual = task.get("progress")
    if actual is None and milestones:
        marks = [m.get("progress") if m.get("progress") is not None else (1.0 if m.get("actual_date") else 0.0)
                 for m in milestones]
        actual = sum(marks) / len(marks)
    if task.get("status") == "done":
        actual = 1.0
    deviation = None if planned is None or actual is None else actual - planned
    overdue = bool(task.get("end_date")) and task["end_date"] < as_of and task.get("status") in OPEN_TASKS
    return TaskProgress(planned, actual, deviation, overdue)


@dataclass(frozen=True)
class ProcessView:
    tasks: int
    due: int  # tasks whose end date falls on or before the period's end
    done_due: int
    completion: float | None  # done ÷ due (the goals page's "key-task completion rate")
    progress: float | None  # mean actual progress
    budget: float | None
    budget_used: float | None
    budget_use: float | None  # used ÷ budget


def process_view(db: Database, review: Review) -> ProcessView:
    """Key-task completion and resource use for a review's period (DOMAIN.md part 2, the process view)."""
    tasks = [x for x in items(db, "task", review.id) if x["status"] != "dropped"]
    milestones = _milestones_by_task(db)
    as_of = review.period_end
    due = [x for x in tasks if x.get("end_date") and x["end_date"] <= as_of]
    done_due = [x for x in due if x["status"] == "done"]
    progresses = [p for x in tasks if (p := task_progress(x, milestones.get(x["id"], []), as_of).actual) is not None]
    budget = sum(x["budget"] for x in tasks if x.get("budget") is not None) if any(
        x.get("budget") is not None for x in tasks) else None
    used = sum(x["budget_used"] for x in tasks if x.get("budget_used") is not None) if any(
        x.get("budget_used") is not None for x in tasks) else None
    return ProcessView(
        tasks=len(tasks), due=len(due), done_due=len(done_due),
        completion=len(done_due) / len(due) if due else None,
        progress=sum(progresses) / len(progresses) if progresses else None,
        budget=budget, budget_used=used,
        budget_use=used / budget if budget and used is not None else None,
    )


def _milestones_by_task(db: Database) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for m in items(db, "milestone"):
        out.setdefault(m["task_id"], []).append(m)
    return out


def milestones(db: Database, task_id: int) -> list[dict[str, Any]]:
    return [m for m in items(db, "milestone") if m["task_id"] == int(task_id)]


# ====================================================================== lessons


def split_tags(text: str | None) -> list[str]:
    return [x for x in re.split(r"[\s,，、;；#]+", text or "") if x]


def search_lessons(db: Database, query: str = "", *, tags: Iterable[str] = (), kind: str | None = None) -> list[dict[str, Any]]:
    """Lessons across every review whose title, text or tags contain every word of ``query``
    (Chinese matched as substrings, no word splitting needed) and carry every tag in ``tags``."""
    words = [w for w in re.split(r"\s+", query.strip()) if w]
    where = ["l.deleted_at IS NULL"]
    params: list[Any] = []
    for w in words:
        where.append("(coalesce(l.title, '') || ' ' || l.text || ' ' || l.tags) ILIKE ? ESCAPE '\\'")
        params.append("%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    for tag in tags:
        where.append("? = ANY(regexp_split_to_array(l.tags, '[\\s,，、;；#]+'))")  # both engines run it
        params.append(tag)
    if kind:
        where.append("l.kind = ?")
        params.append(kind)
    ids = [r[0] for r in db.rows(f"SELECT l.id FROM lessons l WHERE {' AND '.join(where)} ORDER BY l.id DESC", params)]
    by_id = {x["id"]: x for x in items(db, "lesson")}
    return [by_id[i] for i in ids if i in by_id]


def all_tags(db: Database) -> list[str]:
    counts: dict[str, int] = {}
    for (text,) in db.rows("SELECT tags FROM lessons WHERE deleted_at IS NULL"):
        for tag in split_tags(text):
            counts[tag] = counts.get(tag, 0) + 1
    return sorted(counts, key=lambda x: (-counts[x], x))


# ====================================================================== summary and JSON


@dataclass
class SummaryParts:
    changes: list[str] = field(default_factory=list)
    red: list[str] = field(default_factory=list)
    coverage: list[str] = field(default_factory=list)  # "销售额：4 个区域中 3 个已报数（西南未报）"
    problems: list[str] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)


def summary_draft(db: Database, review: Review, lang: str = "zh", today: dt.date | None = None) -> str:
    """A first draft of the meeting's summary from the data: the biggest changes, the red KPIs, the
    problems and measures logged, the checks of earlier measures. The lead edits it."""
    today = today or dt.date.today()
    parts = SummaryParts()
    grain, label = review.metric_grain, review.metric_period
    period = M.period_start(label)
    movers = []
    for m in M.catalog(db):
        try:
            card = M.kpi_card(db, m.name, period, grain=grain)
        except (KeyError, ValueError):
            continue
        if card.value is not None and card.mom is not None:
            movers.append((abs(card.mom), m, card))
    for _, m, card in sorted(movers, key=lambda x: -x[0])[:3]:
        parts.changes.append(t("review.summary.change", lang, metric=m.label(lang),
                               value=format_number(card.value, lang, unit=m.unit),
                               mom=f"{card.mom * 100:+.1f}%"))
    try:
        card = S.scorecard(db, label, grain)
        for row in [r for r in card.rows if r.status == "red"][:5]:
            name = M.get_metric(db, row.metric).label(lang)
            parts.red.append(t("review.summary.red", lang, metric=name,
                               attainment=f"{row.attainment * 100:.1f}%" if row.attainment is not None else "—"))
        for row in [r for r in card.rows if r.has_target and r.coverage_text(lang)][:5]:
            name = M.get_metric(db, row.metric).label(lang)
            key = "cover.not_scored" if row.status == "incomplete" else "cover.scored"
            parts.coverage.append(L4L.labelled(name, t(key, lang, what=row.coverage_text(lang)), lang))
    except (KeyError, ValueError):
        pass
    for p in items(db, "problem", review.id):
        if not p["carried"]:
            parts.problems.append(p["title"])
    for x in items(db, "measure", review.id):
        if not x["carried"]:
            parts.measures.append(t("review.summary.measure", lang, title=x["title"], owner=x["owner"],
                                    due=x["due"].isoformat()))
        else:
            v = verify(db, x, today)
            if v.state in ("met", "not_met"):
                parts.checks.append(t("review.summary.check", lang, title=x["title"],
                                      result=t(f"review.verify.{v.state}", lang)))
    lines = [t("review.summary.head", lang, title=review.title)]
    for key, values in (("changes", parts.changes), ("red_head", parts.red), ("coverage_head", parts.coverage),
                        ("problems", parts.problems),
                        ("measures", parts.measures), ("checks", parts.checks)):
        if values:
            lines.append("")
            lines.append(t(f"review.summary.{key}", lang))
            lines += [f"- {v}" for v in values]
    if len(lines) == 1:
        lines.append(t("review.summary.empty", lang))
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def review_json(db: Database, review: Review, lang: str = "zh", today: dt.date | None = None) -> dict[str, Any]:
    """The review with its problems, measures (with the checks), strategy tasks and lessons."""
    today = today or dt.date.today()

    def clean(row: Mapping[str, Any]) -> dict[str, Any]:
        return {k: _jsonable(v) for k, v in row.items() if k not in ("deleted_at",)}

    measures = []
    for x in items(db, "measure", review.id):
        v = verify(db, x, today)
        measures.append({**clean(x), "overdue": is_overdue(x, today), "criterion": criterion_text(x, lang),
                         "verification": {"state": v.state, "actual": v.actual, "target": v.target, "plan": v.plan,
                                          "period": v.period}})
    by_task = _milestones_by_task(db)
    tasks = []
    for x in items(db, "task", review.id):
        p = task_progress(x, by_task.get(x["id"], []), review.period_end)
        tasks.append({**clean(x), "milestones": [clean(m) for m in by_task.get(x["id"], [])],
                      "planned_progress": p.planned, "actual_progress": p.actual, "deviation": p.deviation,
                      "overdue": p.overdue})
    pv = process_view(db, review)
    return {
        "review": {k: _jsonable(getattr(review, k)) for k in _REVIEW_COLUMNS} | {"label": review.label},
        "problems": [clean(x) for x in items(db, "problem", review.id)],
        "measures": measures,
        "tasks": tasks,
        "lessons": [clean(x) for x in items(db, "lesson", review.id)],
        "process": {k: _jsonable(v) for k, v in pv.__dict__.items()},
    }
