"""The report as Markdown (for chat tools) and as one self-contained HTML file (for email).

User text (metric names, problems, measures, the team) is escaped in both: a problem titled
``<script>`` or ``[click](http://…)`` arrives as those characters, never as markup or a link.
The HTML carries its charts as PNG data: URIs (``retro.report.images.chart_png``) when that
renderer is installed, and the numbers behind each chart as a table otherwise.
"""

from __future__ import annotations

import base64
import html
import re

from retro.i18n import t

from .model import Card, Cards, Chart, Paragraph, Report, Table, cell_text

_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|<>~$!])")
_SPARK = "▁▂▃▄▅▆▇█"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _md(text: object) -> str:
    """Plain text made inert Markdown mid-line: no emphasis, links, images, HTML or table breaks."""
    return _MD_SPECIAL.sub(r"\\\1", _CONTROL.sub("", str(text)))


def _md_line(text: str) -> str:
    """A paragraph line: also no list, numbered list, quote or heading underline where it starts."""
    text = re.sub(r"^(\s*)([-+>]\s|[=-]+\s*$)", r"\1\\\2", _md(text))
    return re.sub(r"^(\s*\d+)([.)]\s)", r"\1\\\2", text)  # '1. x' → '1\. x': the escape goes on the dot


def _md_cell(text: str) -> str:
    return _md(text).replace("\r", " ").replace("\n", " ")


def sparkline(values: tuple[float | None, ...]) -> str:
    """▁▃▅█ blocks for a series (a gap for a missing value), for text-only channels."""
    present = [v for v in values if v is not None]
    if not present:
        return ""
    lo, hi = min(present), max(present)
    span = hi - lo or 1.0
    return "".join(" " if v is None else _SPARK[min(7, int((v - lo) / span * 7.999))] for v in values)


def _pop(report: Report) -> str:
    """'环比' / 'MoM' for a month; 'vs previous' for a quarter (the change on the period before)."""
    return t("report.col.mom" if "Q" not in report.period_label else "report.col.pop", report.lang)


def _card_line(card: Card, lang: str, pop: str) -> str:
    parts = [f"**{_md(card.title)}** {_md(card.value)}"]
    if card.mom:
        parts.append(f"{pop} {_md(card.mom)}")
    if card.yoy:
        parts.append(f"{t('report.col.yoy', lang)} {_md(card.yoy)}")
    if card.status:
        parts.append(t(f"goals.status.{card.status}", lang))
    spark = sparkline(card.spark)
    if spark:
        parts.append(f"`{spark}`")
    return "- " + " · ".join(parts)


def _md_table(table: Table, lang: str) -> list[str]:
    header = "| " + " | ".join(_md_cell(c) for c in table.columns) + " |"
    rule = "|" + "|".join(" --- " for _ in table.columns) + "|"
    lines = [header, rule]
    for row in table.rows:
        cells = [cell_text(v, _at(table.formats, j), _at(table.units, j), lang) for j, v in enumerate(row)]
        lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
    return lines


def _at(items: tuple, j: int):
    return items[j] if j < len(items) else None


def render_md(report: Report) -> str:
    """The report as Markdown; charts as a sparkline with the latest value."""
    L = report.lang
    out = [f"# {_md(report.title)}", ""]
    meta = [f"{t('report.period', L)}: {_md(report.period_label)}",
            f"{t('report.generated', L)}: {report.generated.isoformat()}"]
    if report.team:
        meta.insert(0, f"{t('report.team', L)}: {_md(report.team)}")
    out += [" · ".join(meta), ""]
    for section in report.sections:
        out += [f"## {_md(section.title)}", ""]
        for block in section.blocks:
            if isinstance(block, Paragraph):
                out += [_md_line(line) for line in block.text.split("\n")] + [""]
            elif isinstance(block, Cards):
                out += [_card_line(c, L, _pop(report)) for c in block.cards] + [""]
            elif isinstance(block, Chart):
                out.append(_chart_line(block, L))
                if block is section.blocks[-1]:
                    out.append("")
            elif isinstance(block, Table) and _shown_table(block, section.blocks):
                out += _md_table(block, L) + [""]
    return "\n".join(out).rstrip() + "\n"


def _shown_table(table: Table, blocks: tuple) -> bool:
    """An empty table is left out where a sentence already says nothing was logged."""
    return bool(table.rows) or not any(isinstance(b, Paragraph) for b in blocks)


def _chart_line(chart: Chart, lang: str) -> str:
    data = chart.data
    values = tuple(r[1] if isinstance(r[1], int | float) else None for r in data.rows)
    last = next(((r[0], r[1]) for r in reversed(data.rows) if r[1] is not None), None)
    text = f"- **{_md(chart.title)}** `{sparkline(values)}`"
    if last:
        text += f" {_md(cell_text(last[1], _at(data.formats, 1), _at(data.units, 1), lang))} ({_md(last[0])})"
    return text


# ---------------------------------------------------------------------- HTML

_CSS = """
body{font-family:"Noto Sans SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;color:#1f2328;
max-width:960px;margin:24px auto;padding:0 16px;line-height:1.55}
h1{font-size:26px;margin-bottom:4px}h2{font-size:20px;border-bottom:2px solid #d0d7de;padding-bottom:4px;margin-top:32px}
.meta{color:#57606a;margin-bottom:16px}p{white-space:pre-wrap;margin:6px 0}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #d0d7de;border-radius:8px;padding:10px 12px;min-width:150px}
.card .t{color:#57606a;font-size:13px}.card .v{font-size:22px;font-weight:600}.card .c{font-size:12px}
.good{color:#1a7f37}.bad{color:#cf222e}.flat{color:#57606a}
.st-green{border-left:5px solid #1a7f37}.st-amber{border-left:5px solid #bf8700}.st-red{border-left:5px solid #cf222e}
table{border-collapse:collapse;margin:8px 0 16px;font-size:14px}th,td{border:1px solid #d0d7de;padding:4px 8px;vertical-align:top}
th{background:#eef2f7;text-align:left}td.n{text-align:right;white-space:nowrap}
figure{margin:12px 0}figure img{max-width:100%}figcaption{font-weight:600}
"""


def _h(text: object) -> str:
    return html.escape(_CONTROL.sub("", str(text)), quote=True)


def _chart_png(chart: Chart) -> bytes | None:
    """The chart as a PNG when the image renderer is there (it arrives with the PDF)."""
    try:
        from .images import chart_png
    except ImportError:
        return None
    try:
        return chart_png(chart.spec, scale=1.5)  # sharp enough in a mail, a third lighter than 2x
    except Exception:  # noqa: BLE001 - a chart that cannot be drawn falls back to its numbers
        return None


def _html_table(table: Table, lang: str) -> str:
    head = "".join(f"<th>{_h(c)}</th>" for c in table.columns)
    rows = []
    for row in table.rows:
        cells = []
        for j, v in enumerate(row):
            text = cell_text(v, _at(table.formats, j), _at(table.units, j), lang)
            numeric = isinstance(v, int | float) and not isinstance(v, bool)
            cells.append(f'<td class="n">{_h(text)}</td>' if numeric else f"<td>{_h(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _html_card(card: Card, lang: str, pop: str) -> str:
    status = f" st-{card.status}" if card.status else ""
    changes = []
    if card.mom:
        changes.append(f'<span class="{_h(card.tone)}">{_h(pop)} {_h(card.mom)}</span>')
    if card.yoy:
        changes.append(f'<span>{_h(t("report.col.yoy", lang))} {_h(card.yoy)}</span>')
    return (f'<div class="card{status}"><div class="t">{_h(card.title)}</div><div class="v">{_h(card.value)}</div>'
            f'<div class="c">{" · ".join(changes)}</div></div>')


def render_html(report: Report, *, images: bool = True) -> str:
    """One self-contained HTML page (inline CSS, charts as data: URIs); every text escaped."""
    L = report.lang
    parts = [f'<!DOCTYPE html><html lang="{"zh-CN" if L == "zh" else "en"}"><head><meta charset="utf-8">',
             f"<title>{_h(report.title)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{_h(report.title)}</h1>"]
    meta = [f"{_h(t('report.period', L))}: {_h(report.period_label)}",
            f"{_h(t('report.generated', L))}: {report.generated.isoformat()}"]
    if report.team:
        meta.insert(0, f"{_h(t('report.team', L))}: {_h(report.team)}")
    parts.append(f'<div class="meta">{" · ".join(meta)}</div>')
    for section in report.sections:
        parts.append(f'<section id="{_h(section.key)}"><h2>{_h(section.title)}</h2>')
        for block in section.blocks:
            if isinstance(block, Paragraph):
                parts.append(f"<p>{_h(block.text)}</p>")
            elif isinstance(block, Cards):
                parts.append('<div class="cards">' + "".join(_html_card(c, L, _pop(report)) for c in block.cards) + "</div>")
            elif isinstance(block, Chart):
                png = _chart_png(block) if images else None
                if png:
                    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
                    parts.append(f'<figure><img alt="{_h(block.title)}" src="{uri}"></figure>')
                else:
                    parts.append(f"<figure><figcaption>{_h(block.title)}</figcaption>{_html_table(block.data, L)}</figure>")
            elif isinstance(block, Table) and _shown_table(block, section.blocks):
                parts.append(_html_table(block, L))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def render(report: Report, fmt: str = "html") -> bytes:
    """``fmt`` 'html' (default) or 'md', as UTF-8 bytes."""
    if fmt == "md":
        return render_md(report).encode("utf-8")
    if fmt == "html":
        return render_html(report).encode("utf-8")
    raise ValueError(f"fmt must be 'html' or 'md', not {fmt!r}")
