"""Parsing single cells: numbers written as text, and periods in the many ways people write them."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

# Cells that mean "no value" on purpose; they are blanks, not parse failures.
NULL_TOKENS = frozenset({"", "-", "--", "—", "——", "–", "/", "n/a", "na", "null", "none", "nan", "无", "暂无", "空"})
EXCEL_ERRORS = frozenset({"#div/0!", "#n/a", "#value!", "#ref!", "#name?", "#num!", "#null!", "#getting_data", "#spill!", "#calc!"})

_CURRENCY = re.compile(r"[\s,，¥￥$€£]|^rmb|^cny|元$|块$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$")
_PLAIN = re.compile(r"-?\d{1,15}(\.\d{1,15})?\Z")
_SCALE = {"%": 0.01, "％": 0.01, "‰": 0.001, "千": 1e3, "k": 1e3, "万": 1e4, "w": 1e4, "百万": 1e6, "m": 1e6, "千万": 1e7, "亿": 1e8, "b": 1e9}
_SCALE_SUFFIX = re.compile(r"(百万|千万|亿|万|千|%|％|‰|k|w|m|b)$")
_FULLWIDTH = str.maketrans("０１２３４５６７８９．－＋（）", "0123456789.-+()")
# Count words after a number ('326家', '12 pcs', '3万人'): the unit is the column's, the number stays.
_COUNT_UNIT = re.compile(r"\s*(家|人|个|单|次|件|台|户|笔|位|名|张|套|pcs|pc|units?)$")


@dataclass(frozen=True)
class NumberParse:
    value: float | None
    status: str  # "ok" | "blank" | "error" | "unparsed"


def parse_number(cell: object, *, decimal_comma: bool = False) -> NumberParse:
    """A number from a cell as people type them: '1,234', '(1,234)', '85%', '1.2万', '¥1,200', '326家',
    '—'. With ``decimal_comma`` (the column's style, see :func:`number_style`), '1052,75元' is 1052.75
    and '1.234,56' is 1234.56."""
    if cell is None:
        return NumberParse(None, "blank")
    if isinstance(cell, str) and _PLAIN.match(cell):
        return NumberParse(float(cell), "ok")  # most cells: '1234', '-5', '12.5' (the rules below agree)
    if isinstance(cell, bool):
        return NumberParse(None, "unparsed")
    if isinstance(cell, int | float):
        if cell != cell:  # NaN
            return NumberParse(None, "blank")
        return NumberParse(float(cell), "ok")
    text = str(cell).strip().translate(_FULLWIDTH).lower()
    if text in NULL_TOKENS:
        return NumberParse(None, "blank")
    if text in EXCEL_ERRORS:
        return NumberParse(None, "error")
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    text = text.replace("−", "-")
    text = _COUNT_UNIT.sub("", text)
    if decimal_comma:
        text = text.replace(".", "").replace(" ", "").replace(",", ".")
    text = _CURRENCY.sub("", text)
    scale = 1.0
    match = _SCALE_SUFFIX.search(text)
    if match:
        scale = _SCALE[match.group(1)]
        text = text[: match.start()]
    text = _CURRENCY.sub("", text)
    if not _NUMBER.match(text):
        return NumberParse(None, "unparsed")
    value = float(text) * scale
    if not math.isfinite(value):  # "1e400" overflows to inf: no real KPI, and inf would poison every sum
        return NumberParse(None, "unparsed")
    if scale == 0.01:
        value = round(value, 12)  # 85% must be 0.85, not 0.8500000000000001
    return NumberParse(-value if negative else value, "ok")


_DECIMAL_COMMA = (re.compile(r"^\d{1,3}(\.\d{3})+,\d+$"), re.compile(r"^\d+,(\d{1,2}|\d{4,})$"))
_THOUSANDS_DOT = (re.compile(r"^\d{1,3}(,\d{3})+\.\d+$"), re.compile(r"^\d+\.(\d{1,2}|\d{4,})$"))
_AMBIGUOUS = re.compile(r"^\d{1,3}([,.]\d{3})+$")


def number_style(values: Iterable[str | None]) -> tuple[str, str]:
    """Whether a column's commas are decimal points, from all its cells: ('decimal_comma' | 'plain',
    'strong' | 'weak').

    '1052,75' and '3,5' (a comma, then one, two or four and more digits) and '1.234,56' say decimal
    comma; '1,234.56' and '12.5' say plain. '1,234' alone says neither: thousands, by convention. A
    column with both kinds of evidence is read plain, and the reading is weak (the preview asks)."""
    comma = plain = 0
    for v in values:
        if v is None:
            continue
        text = _CURRENCY_CHARS.sub("", _COUNT_UNIT.sub("", str(v).strip().lower().translate(_FULLWIDTH))).lstrip("+-(")
        text = text.rstrip(")%％")
        if not text or _AMBIGUOUS.match(text):
            continue
        if any(p.match(text) for p in _DECIMAL_COMMA):
            comma += 1
        elif any(p.match(text) for p in _THOUSANDS_DOT):
            plain += 1
    if comma and not plain:
        return "decimal_comma", "strong"
    if comma and plain:
        return "plain", "weak"
    return "plain", "strong"


_CURRENCY_CHARS = re.compile(r"[\s¥￥$€£]|^rmb|^cny|元$|块$|万$|亿$")


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period; ``year`` is None when the cell did not say it (e.g. '3月')."""

    grain: str  # "day" | "week" | "month" | "quarter" | "year"
    year: int | None
    number: int = 0  # month (1-12), ISO week (1-53) or quarter (1-4); 0 for a year
    day: int = 0

    @property
    def stored_grain(self) -> str:
        """The grain its values are stored under: a week is stored on its Monday, as a day (the
        dashboard rolls days up into months and quarters; a week is counted in its Monday's month)."""
        return "day" if self.grain == "week" else self.grain

    def with_year(self, year: int) -> Period:
        return Period(self.grain, year, self.number, self.day)

    @property
    def label(self) -> str:
        y = "????" if self.year is None else f"{self.year:04d}"
        if self.grain == "year":
            return y
        if self.grain == "quarter":
            return f"{y}-Q{self.number}"
        if self.grain == "week":
            return f"{y}-W{self.number:02d}"
        if self.grain == "month":
            return f"{y}-{self.number:02d}"
        return f"{y}-{self.number:02d}-{self.day:02d}"

    @property
    def start(self) -> dt.date:
        if self.year is None:
            raise ValueError(f"period {self.label} has no year")
        if self.grain == "year":
            return dt.date(self.year, 1, 1)
        if self.grain == "quarter":
            return dt.date(self.year, 3 * self.number - 2, 1)
        if self.grain == "week":
            return dt.date.fromisocalendar(self.year, self.number, 1)  # ValueError for a W53 the year lacks
        if self.grain == "month":
            return dt.date(self.year, self.number, 1)
        return dt.date(self.year, self.number, self.day)


def period_from_label(label: str) -> Period:
    """Inverse of :attr:`Period.label` for full labels (YYYY, YYYY-Qn, YYYY-MM, YYYY-MM-DD)."""
    found = parse_period(label)
    if found is None or found.year is None:
        raise ValueError(f"not a period: {label!r}")
    return found


def period_from_any_label(label: str) -> Period | None:
    """Like :func:`period_from_label`, but also '????-03' / '????-Q1' (a period whose year is unknown)."""
    if label.startswith("????"):
        found = parse_period("2000" + label[4:])
        return None if found is None else Period(found.grain, None, found.number, found.day)
    return parse_period(label)


def period_from_date(date: dt.date, grain: str) -> Period:
    if grain == "year":
        return Period("year", date.year)
    if grain == "quarter":
        return Period("quarter", date.year, (date.month - 1) // 3 + 1)
    if grain == "month":
        return Period("month", date.year, date.month)
    return Period("day", date.year, date.month, date.day)


_MONTHS_EN = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
            ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
            ("oct", "october"), ("nov", "november"), ("dec", "december"),
        ]
    )
    for m in names
}
_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "十一": 11, "十二": 12}
_YEAR = r"((?:19|20)\d{2})"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # 2026-10-05, 2026/10/5, 2026.10.05, 2026-10-05 00:00:00 (how fastexcel writes date cells)
    (re.compile(_YEAR + r"[-/.](\d{1,2})[-/.](\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"), "ymd"),
    (re.compile(_YEAR + r"年(\d{1,2})月(\d{1,2})[日号]$"), "ymd"),
    (re.compile(_YEAR + r"[-/.](\d{1,2})$"), "ym"),
    (re.compile(_YEAR + r"年(\d{1,2})月(?:份)?$"), "ym"),
    (re.compile(_YEAR + r"(0[1-9]|1[0-2])$"), "ym"),  # 202610
    (re.compile(_YEAR + r"\s*[-年]?\s*q([1-4])$"), "yq"),  # 2026Q3, 2026-Q3, 2026年Q3
    (re.compile(r"q([1-4])\s*[-/ ']?\s*" + _YEAR + r"$"), "qy"),  # Q3 2026, Q3-2026
    (re.compile(_YEAR + r"年?第?([一二三四1-4])季度?$"), "yq"),  # 2026年第三季度, 2026年3季度
    (re.compile(_YEAR + r"\s*(?:年|年度|fy)?$"), "y"),
    (re.compile(r"fy\s*" + _YEAR + r"$"), "y"),
    (re.compile(r"(\d{1,2})月(?:份)?$"), "m"),
    (re.compile(r"([一二三四五六七八九十]{1,3})月(?:份)?$"), "m"),
    (re.compile(r"m(\d{1,2})$"), "m"),
    (re.compile(r"q([1-4])$"), "q"),
    (re.compile(r"第?([一二三四1-4])季度$"), "q"),
    (re.compile(r"([a-z]{3,9})\.?$"), "mon"),
    (re.compile(r"([a-z]{3,9})\.?[-\s/',]+(\d{2}|\d{4})$"), "mon_y"),  # Jan-26, Jan 2026, Jan, 2016
    (re.compile(_YEAR + r"[-\s/]+([a-z]{3,9})$"), "y_mon"),  # 2024 Jan, 2024-Jan
    # Fiscal years: 2019/20 and FY2019/20 (the second year follows the first), FY20
    (re.compile(r"(?:fy\s*)?" + _YEAR + r"\s*[/-]\s*(\d{2}|\d{4})$"), "fy_pair"),
    (re.compile(r"fy\s*(\d{2})$"), "fy2"),
    (re.compile(r"(\d{1,2})[-/ ]([a-z]{3})[-/ ](\d{2,4})$"), "dmy_en"),
    # 1/22/20, 7/18/2018 (US, month first) and 22/01/2020 (day first): which one, see slash_date_order
    (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]m)?)?$"), "slash"),
    # ISO weeks: 2024-W05, 2024W5, 2024 week 5, W05 2024, 2024年第5周; without a year only the word
    # (Week 5, wk 5, 第5周): a bare 'W5' is as often a warehouse or a wave as a week
    (re.compile(_YEAR + r"\s*[-/ ]?\s*(?:w|wk|week)\s*(\d{1,2})$"), "yw"),
    (re.compile(r"(?:w|wk|week)\s*(\d{1,2})\s*[-/ ,]\s*" + _YEAR + r"$"), "wy"),
    (re.compile(_YEAR + r"\s*年?\s*第\s*(\d{1,2})\s*周$"), "yw"),
    (re.compile(r"(?:wk|week)\s*(\d{1,2})$"), "w"),
    (re.compile(r"第\s*(\d{1,2})\s*周$"), "w"),
]


def _cn_or_int(text: str) -> int:
    return _CN_NUM[text] if text in _CN_NUM else int(text)


def parse_period(cell: object, *, day_first: bool | None = None) -> Period | None:
    """A period from a header or a cell; None when the cell is not a period.

    Bare numbers are not periods here (a year column or an Excel serial date is
    recognised by the caller, which knows the column's context). A slash date 'a/b/y' is read
    month first ('1/22/20'), or day first when ``day_first`` (the sheet's order, from all its
    cells: :func:`slash_date_order`); left None, a cell that can only be day first ('22/01/2020')
    is read so and any other month first.
    """
    if cell is None or isinstance(cell, bool):
        return None
    if isinstance(cell, dt.datetime | dt.date):
        return Period("day", cell.year, cell.month, cell.day)
    if isinstance(cell, int | float):
        return None
    text = str(cell).strip().lower().translate(_FULLWIDTH)
    if not text or len(text) > 40:
        return None
    for pattern, kind in _PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        g = m.groups()
        try:
            if kind == "ymd":
                d = dt.date(int(g[0]), int(g[1]), int(g[2]))
                return Period("day", d.year, d.month, d.day)
            if kind == "ym":
                month = int(g[1])
                if not 1 <= month <= 12:
                    continue  # '2019/20' is a fiscal year, further down
                return Period("month", int(g[0]), month)
            if kind == "yq":
                return Period("quarter", int(g[0]), _cn_or_int(g[1]))
            if kind == "qy":
                return Period("quarter", int(g[1]), int(g[0]))
            if kind == "y":
                return Period("year", int(g[0]))
            if kind == "m":
                month = _cn_or_int(g[0])
                return Period("month", None, month) if 1 <= month <= 12 else None
            if kind == "q":
                return Period("quarter", None, _cn_or_int(g[0]))
            if kind == "mon":
                month = _MONTHS_EN.get(g[0])
                return Period("month", None, month) if month else None
            if kind == "mon_y":
                month = _MONTHS_EN.get(g[0])
                if not month:
                    return None
                year = int(g[1]) if len(g[1]) == 4 else 2000 + int(g[1])
                return Period("month", year, month)
            if kind == "y_mon":
                month = _MONTHS_EN.get(g[1])
                return Period("month", int(g[0]), month) if month else None
            if kind == "fy_pair":
                first, second = int(g[0]), int(g[1])
                if second % 100 != (first + 1) % 100:
                    return None  # '2019/12' was read as a month above; '2019/13' is nothing
                return Period("year", first)  # a fiscal year is stored under its first calendar year
            if kind == "fy2":
                return Period("year", 2000 + int(g[0]))
            if kind == "slash":
                a, b = int(g[0]), int(g[1])
                year = int(g[2]) if len(g[2]) == 4 else 2000 + int(g[2])
                first = day_first if day_first is not None else a > 12
                month, day = (b, a) if first else (a, b)
                d = dt.date(year, month, day)
                return Period("day", d.year, d.month, d.day)
            if kind in ("yw", "wy", "w"):
                year = int(g[0]) if kind == "yw" else int(g[1]) if kind == "wy" else None
                week = int(g[1]) if kind == "yw" else int(g[0])
                if not 1 <= week <= 53:
                    return None
                found = Period("week", year, week)
                if year is not None:
                    found.start  # noqa: B018 - W53 of a 52-week year is no week: ValueError below
                return found
            if kind == "dmy_en":
                month = _MONTHS_EN.get(g[1])
                if not month:
                    return None
                year = int(g[2]) if len(g[2]) == 4 else 2000 + int(g[2])
                d = dt.date(year, month, int(g[0]))
                return Period("day", d.year, d.month, d.day)
        except (ValueError, KeyError):
            return None
    return None


_SLASH = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(?:\d{4}|\d{2})\b")


def slash_date_order(texts: Iterable[str | None]) -> tuple[bool | None, str, str | None]:
    """Whether the slash dates among ``texts`` are day first: (day_first, 'strong' | 'weak', an
    example cell that shows it).

    A first number over 12 ('22/01/2020') says day first, a second one over 12 ('1/22/20') says
    month first, and one such cell decides for all (2/3/20 beside 1/22/20 is February 3rd). With
    no such cell, or with both kinds, the dates are read month first (as US exports write them),
    and the reading is weak: the preview asks. (None, 'strong', None) when no text is a slash date."""
    day = month = 0
    first = day_example = month_example = None
    for text in texts:
        m = _SLASH.match(text) if isinstance(text, str) and "/" in text else None
        if m is None:
            continue
        first = first or text
        a, b = int(m.group(1)), int(m.group(2))
        if a > 12:
            day, day_example = day + 1, day_example or text
        if b > 12:
            month, month_example = month + 1, month_example or text
    if first is None:
        return None, "strong", None
    if day and not month:
        return True, "strong", day_example
    if month and not day:
        return False, "strong", month_example
    return False, "weak", first


def excel_serial_to_date(serial: float) -> dt.date | None:
    """Excel's 1900 date system; only the plausible range 1990–2100 is accepted."""
    if not 32874 <= serial <= 73051:
        return None
    return dt.date(1899, 12, 30) + dt.timedelta(days=int(serial))


def year_in_text(text: str | None) -> int | None:
    """The first plausible year (1990–2099) written in a title, sheet or file name."""
    if not text:
        return None
    m = re.search(r"(?<!\d)((?:19[9]|20\d)\d)(?!\d)", text)
    return int(m.group(1)) if m else None


_UNIT_IN_BRACKETS = re.compile(r"\s*[(（\[【]\s*(?:单位\s*[:：]\s*)?([^()（）\[\]【】]{1,12})\s*[)）\]】]\s*$")
_UNIT_AFTER_SLASH = re.compile(r"\s*[/／]\s*(万元|元|亿元|千元|人|家|个|次|单|件|%|天|小时|分钟|分)\s*$")


_ARITHMETIC = re.compile(r"^[\d\s.,+\-*/×÷=]+$")


def split_unit(header: str) -> tuple[str, str | None]:
    """'销售额(万元)' → ('销售额', '万元'); '满意度' → ('满意度', None)."""
    text = header.strip()
    for pattern in (_UNIT_IN_BRACKETS, _UNIT_AFTER_SLASH):
        m = pattern.search(text)
        if m and m.start() > 0:
            inside = m.group(1).strip()
            if _ARITHMETIC.match(inside):
                return text[: m.start()].strip(), None  # '兼职工资（5000+2000）': the sum's parts, not a unit
            return text[: m.start()].strip(), inside
    return text, None


def unit_in_title(text: str | None) -> str | None:
    """'2026年度销售月报（单位：万元）' → '万元'."""
    if not text:
        return None
    m = re.search(r"单位\s*[:：]\s*([^\s)）,，;；]{1,8})", text) or re.search(r"unit\s*[:：]\s*([^\s),;]{1,12})", text, re.I)
    return m.group(1) if m else None


_DAY_OF_MONTH = re.compile(r"^第?\s*(\d{1,2})\s*[号日天]$")


def day_of_month(text: str | None) -> int | None:
    """'1号', '31日', '第1天' → the day of a month the cell does not name (1–31); else None."""
    if text is None:
        return None
    m = _DAY_OF_MONTH.match(str(text).strip().translate(_FULLWIDTH))
    if not m:
        return None
    day = int(m.group(1))
    return day if 1 <= day <= 31 else None


_NAME_YM = re.compile(_YEAR + r"\s*年\s*(\d{1,2})\s*月")
_NAME_MONTH = re.compile(r"(?<![\d.])(\d{1,2})\s*月份?")
_NAME_CN_MONTH = re.compile(r"(十[一二]|[一二三四五六七八九十])月份?")
_NAME_YEAR = re.compile(r"(?<![\d.])" + _YEAR + r"(?:\s*年度?)?(?![\d.])")


def period_in_name(text: str | None) -> Period | None:
    """The month, quarter or year a sheet name or title names: '1月', '10月份', '2020年3月销售',
    '2019', 'Jan', 'Q3'. A digit that is part of a code or a counter ('Sheet2', 'Analysis 2') is not a
    period; a name that is itself a whole period is read as one."""
    if not text:
        return None
    clean = str(text).strip()
    whole = parse_period(clean)
    if whole is not None and whole.grain != "day":
        return whole
    m = _NAME_YM.search(clean)
    if m and 1 <= int(m.group(2)) <= 12:
        return Period("month", int(m.group(1)), int(m.group(2)))
    year = _NAME_YEAR.search(clean)
    y = int(year.group(1)) if year else None
    m = _NAME_MONTH.search(clean)
    if m and 1 <= int(m.group(1)) <= 12:
        return Period("month", y, int(m.group(1)))
    m = _NAME_CN_MONTH.search(clean)
    if m:
        return Period("month", y, _CN_NUM[m.group(1)])
    if year and not re.search(r"\d", clean[: year.start()] + clean[year.end():]):
        return Period("year", y)
    return None
