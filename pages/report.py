"""Report: the period's review report, previewed here and downloaded as Excel, PDF, PowerPoint,
Markdown or HTML. Period, report language (independent of the UI's), team name and the sections
to include are chosen above the preview; every format is rendered from the same report model
(retro/report/), once per data version and options. Downloading changes nothing, so viewers may.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from retro import metrics as M
from retro.i18n import LANGS
from retro.report import FORMATS, MEDIA_TYPES, available, cached_bytes, cached_report
from retro.report.model import SECTION_KEYS, Cards, Chart, Paragraph, Table, cell_text
from retro.ui import active_period, available_periods, database, lang, md, tr

db = database()
L = lang()
PATH = str(db.path)
VERSION = db.data_version()
st.title(tr("nav.report"))
st.caption(tr("report.page.intro"))

months = available_periods(db)
if not months:
    st.info(tr("report.page.no_data"), icon=":material/upload_file:")
    st.page_link("pages/import_data.py", label=tr("nav.import"), icon=":material/upload_file:")
    st.stop()

# --------------------------------------------------------------------------- options

# Labels computed here, not in a lambda: a format function may be called outside this run.
GRAIN_NAMES = {g: tr(f"grain.{g}") for g in ("month", "quarter")}
SECTION_NAMES = {k: tr(f"report.section.{k}") for k in SECTION_KEYS}
top = st.columns([1, 1.4, 1, 1.6])
grain = top[0].segmented_control(tr("report.page.grain"), list(GRAIN_NAMES), default="month", required=True,
                                 format_func=GRAIN_NAMES.get, key="report_grain")
options = sorted(months, reverse=True) if grain == "month" else sorted(
    {M.period_label(M.period_start(m), "quarter") for m in months}, reverse=True)
sidebar = active_period()
wanted = (sidebar if grain == "month" else M.period_label(M.period_start(sidebar), "quarter")) if sidebar else None
period = top[1].selectbox(tr("report.page.period"), options, index=options.index(wanted) if wanted in options else 0,
                          key=f"report_period_{grain}_{sidebar}")
report_lang = top[2].segmented_control(tr("report.page.lang"), list(LANGS), default=L, required=True,
                                       format_func={"zh": "中文", "en": "English"}.get, key="report_lang")
team = top[3].text_input(tr("report.page.team"), max_chars=60, key="report_team",
                         placeholder=tr("report.page.team_hint")).strip() or None
chosen = st.pills(tr("report.page.sections"), list(SECTION_KEYS), selection_mode="multi", default=list(SECTION_KEYS),
                  format_func=SECTION_NAMES.get, key="report_sections")
sections = tuple(k for k in SECTION_KEYS if k in (chosen or []))
if not sections:
    st.warning(tr("report.page.no_sections"), icon=":material/checklist:")
    st.stop()

with st.spinner(tr("report.page.building")):
    report = cached_report(PATH, VERSION, period, report_lang, sections, team)

# --------------------------------------------------------------------------- downloads

st.subheader(tr("report.page.download"))
buttons = st.columns(len(FORMATS))
for col, fmt in zip(buttons, FORMATS, strict=True):
    ready = available(fmt)
    col.download_button(
        tr(f"report.page.format.{fmt}"),
        # Rendered when clicked (in Streamlit's download thread), then cached per data version and options.
        data=(lambda fmt=fmt: cached_bytes(PATH, VERSION, period, report_lang, sections, team, fmt)) if ready else b"",
        file_name=f"{report.filename_stem}.{fmt}",
        mime=MEDIA_TYPES[fmt],
        on_click="ignore",
        disabled=not ready,
        help=tr("report.page.file", name=md(f"{report.filename_stem}.{fmt}")) if ready else tr("report.page.unavailable"),
        icon=":material/download:",
        key=f"report_dl_{fmt}",
        width="stretch",
    )

# --------------------------------------------------------------------------- the preview

st.divider()
with st.container(border=True):
    st.header(md(report.title), anchor=False)
    meta = [f"{tr('report.period')}: {report.period_label}", f"{tr('report.generated')}: {report.generated.isoformat()}"]
    if report.team:
        meta.insert(0, f"{tr('report.team')}: {md(report.team)}")
    st.caption(" · ".join(meta))
    for section in report.sections:
        st.subheader(md(section.title), anchor=False)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                st.markdown(md(block.text).replace("\n", "  \n"))
            elif isinstance(block, Cards):
                per_row = 4
                for start in range(0, len(block.cards), per_row):
                    cols = st.columns(per_row)
                    for c, card in zip(cols, block.cards[start:start + per_row], strict=False):
                        # The arrow follows the sign, the colour the direction: a cost that fell is green.
                        positive = bool(card.mom) and not card.mom.startswith("-")
                        colour = "off" if card.tone == "flat" else "normal" if (card.tone == "good") == positive else "inverse"
                        c.metric(md(card.title), md(card.value), delta=card.mom, delta_color=colour, border=True,
                                 chart_data=[v for v in card.spark if v is not None] or None,
                                 help=f"{tr('report.col.yoy')} {card.yoy}" if card.yoy else None)
            elif isinstance(block, Chart):
                st.vega_lite_chart(spec={**block.spec, "width": "container"}, width="stretch", height=340)
            elif isinstance(block, Table) and (block.rows or not any(isinstance(b, Paragraph) for b in section.blocks)):
                frame = pd.DataFrame(
                    [[cell_text(v, block.formats[j] if j < len(block.formats) else None,
                                block.units[j] if j < len(block.units) else None, report.lang) for j, v in enumerate(row)]
                     for row in block.rows],
                    columns=list(block.columns))
                st.dataframe(frame, hide_index=True, width="stretch")
