"""The one glossary of the domain's words, in 中文 and English, and how a unit reads in each language.

Rules:

- A domain word (a KPI's status, a measure's status, the review workspace, attainment, MoM …) has
  one word per language, here. Catalog entries that name it (retro.i18n and retro/texts/*) use that
  word: :data:`CATALOG_TERMS` says which entry names which term, and tests/test_glossary.py checks
  that each holds the glossary's word and that no catalog text uses a synonym listed under ``avoid``
  (黄灯/接近 for amber, 未开始 for a planned measure, 复盘工作台 …). The report, the pages and the
  exports all take their words from those catalog entries, so they cannot drift apart.
- A unit is stored as the workbook or the user wrote it (the metric catalog's unit column, mostly
  Chinese: 万元, 元, 家, 人, 单, 个, %). Chinese shows it as written. English folds the unit's scale
  into the number and names it in English (:data:`UNITS`): 666.35 万元 reads 6.66M CNY, 326 家 reads
  326 stores, 个 reads as a bare number. A unit not known here (a user's own: 箱, kg) stays as written.

Plain Python: no Streamlit, no database (every layer may import it).
"""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------------------------------- terms

# term → its word in each language, and synonyms no catalog text may use for it ("avoid_zh"/"avoid_en",
# matched as substrings; English case-insensitively). English words are lower case here: an entry
# that starts a sentence or a label capitalises them.
TERMS: dict[str, dict[str, object]] = {
    # A KPI's status against its plan (retro.scoring.status).
    "status.green": {"zh": "达标", "en": "green", "avoid_zh": ("绿灯",)},
    "status.amber": {"zh": "预警", "en": "amber", "avoid_zh": ("黄灯", "接近"), "avoid_en": ("yellow",)},
    "status.red": {"zh": "未达标", "en": "red", "avoid_zh": ("红灯",)},
    "status.no_target": {"zh": "无目标", "en": "no target"},
    "status.no_actual": {"zh": "无实际值", "en": "no actual yet"},
    "status.incomplete": {"zh": "数据不全", "en": "incomplete"},
    # A measure's (and a strategy task's) status (retro.reviews.MEASURE_STATUSES, TASK_STATUSES).
    "measure.planned": {"zh": "计划中", "en": "planned", "avoid_zh": ("未开始",)},
    "measure.in_progress": {"zh": "进行中", "en": "in progress"},
    "measure.done": {"zh": "已完成", "en": "done", "avoid_zh": ("已完成待验证",), "avoid_en": ("done, to check",)},
    "measure.verified": {"zh": "已验证", "en": "verified"},
    "measure.dropped": {"zh": "已放弃", "en": "dropped", "avoid_zh": ("已取消",)},
    # A problem's status.
    "problem.open": {"zh": "待分析", "en": "open"},
    "problem.analysing": {"zh": "分析中", "en": "analysing"},
    "problem.measures_set": {"zh": "已定措施", "en": "measures set"},
    "problem.resolved": {"zh": "已解决", "en": "resolved"},
    # A review's status.
    "review.preparing": {"zh": "准备中", "en": "preparing"},
    "review.in_meeting": {"zh": "会议中", "en": "in meeting", "avoid_en": ("in the meeting",)},
    "review.closed": {"zh": "已关闭", "en": "closed", "avoid_zh": ("已结束",)},
    # Places and things.
    "review_workspace": {"zh": "复盘工作区", "en": "review workspace", "avoid_zh": ("复盘工作台",),
                         "avoid_en": ("review workbench",)},
    "kpi": {"zh": "KPI", "en": "KPI"},
    "attainment": {"zh": "达成率", "en": "attainment"},
    "deviation": {"zh": "偏差率", "en": "deviation"},
    "plan": {"zh": "计划", "en": "plan"},
    "actual": {"zh": "实际", "en": "actual"},
    "forecast": {"zh": "预测", "en": "forecast"},
    "mom": {"zh": "环比", "en": "MoM"},
    "yoy": {"zh": "同比", "en": "YoY"},
    "problem": {"zh": "问题", "en": "problem"},
    "root_cause": {"zh": "根因", "en": "root cause", "avoid_zh": ("根本原因",)},
    "measure": {"zh": "措施", "en": "measure"},
    "lessons": {"zh": "经验教训", "en": "lessons", "avoid_zh": ("经验与教训",)},
    "lesson.success": {"zh": "成功经验", "en": "what worked"},
    "lesson.lesson": {"zh": "教训", "en": "what to avoid"},
    "severity": {"zh": "影响程度", "en": "impact"},
    "category": {"zh": "类别", "en": "category"},
    # A problem's category (retro.reviews.PROBLEM_CATEGORIES).
    "category.market": {"zh": "市场竞争", "en": "market competition", "avoid_zh": ("市场与竞争",)},
    "category.supply_chain": {"zh": "供应链", "en": "supply chain"},
    "category.customer_service": {"zh": "客户服务", "en": "customer service"},
    "category.process": {"zh": "内部流程", "en": "internal process"},
    "category.resources": {"zh": "资源", "en": "resources"},
    "category.people": {"zh": "人员", "en": "people", "avoid_zh": ("人员与组织",), "avoid_en": ("people and organisation",)},
    "category.other": {"zh": "其他", "en": "other"},
}

# Which catalog entry names which term: the entry's text holds the term's word in both languages.
CATALOG_TERMS: dict[str, str] = {
    **{f"goals.status.{s}": f"status.{s}" for s in ("green", "amber", "red", "no_target", "no_actual", "incomplete")},
    **{f"meeting.kpi.{s}": f"status.{s}" for s in ("green", "amber", "red", "no_target", "incomplete")},
    "meeting.kpi.no_actual": "status.no_actual",
    **{f"meeting.{s}": f"status.{s}" for s in ("green", "amber", "red")},
    **{f"review.ui.mstatus.{s}": f"measure.{s}" for s in ("planned", "in_progress", "done", "verified", "dropped")},
    **{f"report.measure_status.{s}": f"measure.{s}" for s in ("planned", "in_progress", "done", "verified", "dropped")},
    **{f"review.ui.tstatus.{s}": f"measure.{s}" for s in ("planned", "in_progress", "done", "dropped")},
    **{f"{p}.{s}": f"problem.{s}" for p in ("review.ui.pstatus", "meeting.pstatus", "report.problem_status")
       for s in ("open", "analysing", "measures_set", "resolved")},
    **{f"{p}.{s}": f"review.{s}" for p in ("review.ui.status", "meeting.status") for s in ("preparing", "in_meeting", "closed")},
    **{f"{p}.{s}": f"category.{s}" for p in ("review.ui.category", "report.category")
       for s in ("market", "supply_chain", "customer_service", "process", "resources", "people", "other")},
    "review.ui.lkind.success": "lesson.success",
    "review.ui.lkind.lesson": "lesson.lesson",
    "report.lesson.keep": "lesson.success",
    "report.lesson.avoid": "lesson.lesson",
    "review.field.severity": "severity",
    "report.col.severity": "severity",
    "review.field.category": "category",
    "report.col.category": "category",
    "review.ui.root_cause": "root_cause",
    "report.col.root_cause": "root_cause",
    "goals.col.attainment": "attainment",
    "goals.col.deviation": "deviation",
    "meeting.col.attainment": "attainment",
    "meeting.col.deviation": "deviation",
    "goals.forecast": "forecast",
    "trends.cmp.mom": "mom",
    "trends.cmp.yoy": "yoy",
    "meeting.mom": "mom",
    "meeting.yoy": "yoy",
    "report.col.mom": "mom",
    "report.col.yoy": "yoy",
    "nav.review": "review_workspace",
    "report.none_logged": "review_workspace",
    "meeting.step.lessons": "lessons",
    "review.ui.tab.lessons": "lessons",
    "report.section.lessons": "lessons",
    "report.section.problems": "root_cause",
}


def word(term: str, lang: str) -> str:
    """The glossary's word for ``term`` in ``lang`` (English in lower case)."""
    entry = TERMS[term]
    return str(entry.get(lang) or entry["en"])


def avoided(term: str, lang: str) -> tuple[str, ...]:
    """The synonyms of ``term`` that no catalog text may use in ``lang``."""
    return tuple(TERMS[term].get(f"avoid_{lang}", ()))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------- units


@dataclass(frozen=True)
class Unit:
    """How a stored unit reads in English: the scale folded into the number, and the noun after it."""

    scale: float
    one: str  # the English noun after 1 ('' for none: 个 is a bare count)
    other: str  # after any other number

    def noun(self, value: float | None) -> str:
        return self.one if value is not None and abs(value) == 1 else self.other


# The base units; a scale prefix (万, 亿, 千, 百万) in front of one of them is read too (万元, 亿元, 万人).
_BASE: dict[str, tuple[str, str]] = {
    "元": ("CNY", "CNY"),
    "人民币": ("CNY", "CNY"),
    "美元": ("USD", "USD"),
    "家": ("store", "stores"),
    "店": ("store", "stores"),
    "门店": ("store", "stores"),
    "人": ("person", "people"),
    "名": ("person", "people"),
    "位": ("person", "people"),
    "人次": ("visit", "visits"),
    "单": ("order", "orders"),
    "笔": ("transaction", "transactions"),
    "件": ("item", "items"),
    "台": ("unit", "units"),
    "户": ("household", "households"),
    "次": ("time", "times"),
    "个": ("", ""),
    "项": ("", ""),
    "天": ("day", "days"),
    "日": ("day", "days"),
    "小时": ("hour", "hours"),
    "分钟": ("minute", "minutes"),
    "分": ("point", "points"),
    "": ("", ""),
}
_SCALES = (("百万", 1e6), ("千万", 1e7), ("万", 1e4), ("亿", 1e8), ("千", 1e3))


def _read(unit: str) -> Unit | None:
    """The English reading of a stored unit, or None when it is not one known here."""
    unit = unit.strip()
    if "/" in unit:  # 元/人 → CNY per person
        top, _, bottom = unit.partition("/")
        head, below = _read(top), _BASE.get(bottom.strip())
        if head is None or below is None or not below[0]:
            return None
        noun = f"{head.other} per {below[0]}".strip()
        return Unit(head.scale, noun, noun)
    if unit in _BASE and unit:
        return Unit(1.0, *_BASE[unit])
    for prefix, scale in _SCALES:
        if unit.startswith(prefix) and unit[len(prefix):] in _BASE:
            return Unit(scale, *_BASE[unit[len(prefix):]])
    return None


UNITS: dict[str, Unit] = {u: r for u in ("元", "万元", "亿元", "千元", "百万元", "家", "人", "万人", "单", "笔", "个",
                                         "件", "次", "万", "亿") if (r := _read(u)) is not None}


def unit_reading(unit: str | None, lang: str) -> Unit | None:
    """How ``unit`` reads in ``lang``: None when it is shown as written (Chinese, a rate, a unit not known)."""
    if lang == "zh" or not unit or unit == "%":
        return None
    return UNITS.get(unit) or _read(unit)


def unit_label(unit: str | None, lang: str) -> str:
    """A unit as an axis title or a unit column names it: 万元 (zh), CNY (en, numbers scaled by
    :func:`in_unit`), '' for a bare count (个 in English), a unit not known as written."""
    if not unit:
        return ""
    reading = unit_reading(unit, lang)
    return unit if reading is None else reading.other


def in_unit(value: float | None, unit: str | None, lang: str) -> float | None:
    """A stored value in the unit :func:`unit_label` names: 666.35 (万元) → 6,663,500 (CNY) in English."""
    reading = unit_reading(unit, lang)
    if value is None or reading is None:
        return value
    return value * reading.scale


_SCALE_WORDS = {1e3: "k", 1e4: "10k", 1e6: "M", 1e7: "10M", 1e8: "100M"}


def stored_unit_label(unit: str | None, lang: str) -> str:
    """A unit beside numbers kept in the stored unit (a unit column, an editor of targets): 万元 (zh),
    10k CNY (en: the number is not scaled, so the label carries the scale), stores, '' for 个."""
    if not unit:
        return ""
    reading = unit_reading(unit, lang)
    if reading is None:
        return unit
    if reading.scale == 1:
        return reading.other
    return f"{_SCALE_WORDS.get(reading.scale, f'×{reading.scale:g}')} {reading.other}".strip()
