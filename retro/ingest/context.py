"""What a sheet's name, its title and the file's name say about all of its numbers: the
scenario (a sheet called Budget, Targets, 预算, 计划), the period (sheets 1月 … 12月, 10月份, 2019)
and, where no column or header names the metric, the metric's name.

Rules:

- A **scenario** is read from the sheet name first, then from the title lines above the header,
  when one of them is a scenario word on its own or as a word of it ('Budget', 'Targets',
  'AdventureWorks Budget Data', '2024年销售目标', '公司预算'). It applies only to the measures that
  do not say their own scenario (a '实际' column under a '公司预算' title stays actual). Evidence:
  the name (strong when the name is the bare word, weak when the word is part of a longer title).
- A **period** in the sheet name ('1月', '10月份', '2019', 'Jan') gives a snapshot its period and
  day-of-month cells ('1号') their month; the year still comes from the usual sources.
- A **metric name** is never a scenario word, a period or a generic sheet name (Sheet1, DATA,
  Analysis 2): those are stripped from the title, the sheet name and the file name in turn; when
  nothing is left the reading is weak and the preview asks for a name.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from . import cells
from .cells import Period
from .readings import Reading

_SCENARIO_NAMES = {
    "budget": "plan", "budgets": "plan", "target": "plan", "targets": "plan", "plan": "plan", "plans": "plan",
    "goal": "plan", "goals": "plan", "预算": "plan", "计划": "plan", "目标": "plan", "预计": "plan",
    "forecast": "forecast", "forecasts": "forecast", "预测": "forecast",
    "actual": "actual", "actuals": "actual", "实际": "actual", "完成": "actual",
}
_WORD = re.compile(r"[a-z]+|[\u4e00-\u9fff]+", re.I)
_CN_SCENARIO = re.compile(r"(预算|计划|目标|预测|实际)")
_GENERIC = re.compile(
    r"^(sheet|sheets|data|dataset|datasets|raw|raw data|table|tables|workbook|file|report|reports|analysis|summary|"
    r"working|work|copy|new|final|draft|output|input|export|vs|and|by|of|the|year|years|month|months|monthly|"
    r"yearly|annual|quarterly|en|cn|xlsx|xls|csv)\d*$|^\d+$", re.I)  # 'Sheet1' and 'Data2' are generic too


def scenario_in_name(text: str | None) -> tuple[str, bool] | None:
    """(scenario, whole) when ``text`` names one scenario; ``whole`` when it is the bare word."""
    if not text:
        return None
    clean = text.strip().lower()
    bare = re.sub(r"[\s_\-:：()（）\d年度]+", "", clean)
    if bare in _SCENARIO_NAMES:
        return _SCENARIO_NAMES[bare], True
    found = {_SCENARIO_NAMES[w] for w in (m.group(0).lower() for m in _WORD.finditer(clean)) if w in _SCENARIO_NAMES}
    found |= {_SCENARIO_NAMES[m.group(1)] for m in _CN_SCENARIO.finditer(clean)}
    if len(found) == 1:
        return found.pop(), False
    return None


def sheet_scenario(sheet: str, title_lines: list[str]) -> tuple[str, Reading] | None:
    """The scenario the sheet's name or its title gives every measure that has none of its own."""
    for source, text in (("sheet", sheet), *(("title", t) for t in title_lines[:3])):
        found = scenario_in_name(text)
        if found is not None:
            scenario, whole = found
            return scenario, Reading("sheet_scenario", "name", "strong" if whole else "weak",
                                     {"scenario": scenario, "source": source, "text": text.strip()})
    return None


def sheet_period(sheet: str, title_lines: list[str]) -> Period | None:
    """The month, quarter or year a sheet's name (or its title) names, year or not."""
    for text in (sheet, *title_lines[:3]):
        found = cells.period_in_name(text)
        if found is not None:
            return found
    return None


def _strip(text: str) -> str:
    t = re.sub(r"[(（\[【].*?[)）\]】]", " ", text)
    t = re.sub(r"((?:19|20)\d{2})\s*(年度|年|fy)?", " ", t, flags=re.I)
    t = re.sub(r"(第?[一二三四1-4]季度|q[1-4]|\d{1,2}月份?|月度|月报|周报|年报|季报|报表|统计表|统计|明细表|明细|汇总表|汇总|数据|表)",
               " ", t, flags=re.I)
    t = re.sub(r"(单位\s*[:：].*)$", " ", t)
    t = _CN_SCENARIO.sub(" ", t)
    words = [w for w in re.split(r"[\s_\-:：/.,，]+", t) if w]
    words = [w for w in words if w.lower() not in _SCENARIO_NAMES and not _GENERIC.match(w)]
    return " ".join(words).strip()


def metric_subject(title: str | None, sheet: str, file_name: str) -> tuple[str, Reading]:
    """A metric name for a sheet whose columns are periods only: the title, the sheet or the file name."""
    for source, text in (("title", title), ("sheet", sheet), ("file", PurePath(file_name).stem if file_name else None)):
        if not text:
            continue
        name = _strip(text)
        if name:
            strength = "strong" if source == "title" else "weak"
            return name, Reading("metric_name", "name", strength, {"name": name, "source": source})
    fallback = "数值" if re.search(r"[\u4e00-\u9fff]", f"{title or ''}{sheet}{file_name}") else "Value"
    return fallback, Reading("metric_name", "name", "weak", {"name": fallback, "source": "none"})
