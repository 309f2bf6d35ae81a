"""The one catalog of user-facing text, in 中文 and English, and locale-aware number formats."""

from __future__ import annotations

import math
from typing import Any

LANGS = ("zh", "en")

CATALOG: dict[str, dict[str, str]] = {
    # ---- app frame
    "app.title": {"zh": "运营回顾", "en": "Ops review"},
    "app.tagline": {"zh": "运营数据回顾 · 目标达成 · 问题与改进", "en": "Data review · goal attainment · problems and measures"},
    "sidebar.language": {"zh": "语言 / Language", "en": "Language / 语言"},
    "sidebar.period": {"zh": "当前周期", "en": "Active period"},
    "sidebar.no_data": {"zh": "还没有数据：先导入一个工作簿。", "en": "No data yet: import a workbook first."},
    "sidebar.data": {"zh": "{facts} 个数值 · {metrics} 个指标 · {period_min} 至 {period_max}",
                     "en": "{facts} values · {metrics} metrics · {period_min} to {period_max}"},
    "nav.home": {"zh": "概览", "en": "Overview"},
    "nav.import": {"zh": "导入数据", "en": "Import"},
    "nav.history": {"zh": "导入记录", "en": "Import history"},
    "nav.trends": {"zh": "趋势分析", "en": "Trends"},
    "nav.metrics": {"zh": "指标设置", "en": "Metrics"},
    "nav.goals": {"zh": "目标达成", "en": "Goals"},
    "nav.review": {"zh": "复盘工作区", "en": "Review"},
    "nav.report": {"zh": "导出报告", "en": "Report"},
    "nav.section.data": {"zh": "数据", "en": "Data"},
    "nav.section.review": {"zh": "复盘", "en": "Review"},
    "placeholder.title": {"zh": "即将推出", "en": "Coming in a later version"},
    "placeholder.body": {
        "zh": "这个页面在后续版本中提供：{what}。现在可以先导入数据并在「概览」中查看。",
        "en": "This page arrives in a later version: {what}. For now, import data and look at it on the Overview.",
    },
    "placeholder.trends": {"zh": "环比/同比趋势、维度拆解、留存分析与异常标注", "en": "MoM/YoY trends, breakdowns, retention and anomalies"},
    "placeholder.goals": {"zh": "计划与实际对比、达成率、偏差率与 KPI 计分卡", "en": "plan vs actual, attainment, deviation and the KPI scorecard"},
    "placeholder.review": {"zh": "问题、根因（5 Whys/鱼骨图）、改进措施与经验沉淀", "en": "problems, root causes (5 Whys / fishbone), measures and lessons"},
    "placeholder.report": {"zh": "月报导出：Excel、PDF、PPT、Markdown", "en": "the report in Excel, PDF, PowerPoint and Markdown"},
    # ---- home
    "home.title": {"zh": "概览", "en": "Overview"},
    "home.empty": {"zh": "数据库为空。到「导入数据」上传一个 Excel 或 CSV 工作簿。", "en": "The database is empty. Upload an Excel or CSV workbook on the Import page."},
    "home.sample_loaded": {"zh": "当前展示的是内置示例数据，可以在下方清除。", "en": "You are looking at the bundled sample data; clear it below."},
    "home.clear_sample": {"zh": "清除示例数据", "en": "Clear the sample data"},
    "home.sample_cleared": {"zh": "示例数据已清除。", "en": "The sample data was removed."},
    "home.load_sample": {"zh": "重新载入示例数据", "en": "Load the sample data again"},
    "home.values": {"zh": "数值", "en": "Values"},
    "home.metrics": {"zh": "指标", "en": "Metrics"},
    "home.months": {"zh": "月份数", "en": "Months"},
    "home.orders": {"zh": "交易明细行", "en": "Transaction rows"},
    "home.customers": {"zh": "客户数", "en": "Customers"},
    "home.imports": {"zh": "导入次数", "en": "Imports"},
    "home.latest": {"zh": "数据库中的指标", "en": "Metrics in the database"},
    "home.metric": {"zh": "指标", "en": "Metric"},
    "home.period": {"zh": "周期", "en": "Period"},
    "home.value": {"zh": "数值", "en": "Value"},
    "home.unit": {"zh": "单位", "en": "Unit"},
    "home.from": {"zh": "起始周期", "en": "From"},
    "home.to": {"zh": "截止周期", "en": "To"},
    "home.empty_values": {"zh": "空值", "en": "Empty"},
    "home.segments": {"zh": "细分数", "en": "Segments"},
    # ---- import page
    "import.title": {"zh": "导入数据", "en": "Import data"},
    "import.intro": {
        "zh": "上传本月的 KPI 工作簿（.xlsx / .xlsm / .xls / .csv）。系统会识别表头、月份、计划与实际、合计行，先预览再导入。",
        "en": "Upload this month's KPI workbook (.xlsx / .xlsm / .xls / .csv). Headers, months, plan vs actual and totals rows are recognised; preview, then import.",
    },
    "import.upload": {"zh": "选择或拖入工作簿", "en": "Choose or drop a workbook"},
    "import.reading": {"zh": "正在读取 {name} …", "en": "Reading {name} …"},
    "import.read_done": {"zh": "已读取 {name}：{sheets} 个工作表，{ready} 个可导入。", "en": "Read {name}: {sheets} sheets, {ready} ready to import."},
    "import.sheet": {"zh": "工作表", "en": "Sheet"},
    "import.status.ready": {"zh": "可导入", "en": "ready"},
    "import.status.skipped": {"zh": "已跳过", "en": "skipped"},
    "import.status.error": {"zh": "无法导入", "en": "cannot import"},
    "import.shape": {"zh": "识别的结构", "en": "Detected layout"},
    "import.rows": {"zh": "数值行", "en": "Rows"},
    "import.periods": {"zh": "周期", "en": "Periods"},
    "import.metrics": {"zh": "指标", "en": "Metrics"},
    "import.dimensions": {"zh": "维度", "en": "Dimensions"},
    "import.scenarios": {"zh": "口径", "en": "Scenarios"},
    "import.columns": {"zh": "列的用途（可修改）", "en": "Column roles (editable)"},
    "import.column": {"zh": "列", "en": "Column"},
    "import.header": {"zh": "表头", "en": "Header"},
    "import.role": {"zh": "用途", "en": "Role"},
    "import.detail": {"zh": "识别为", "en": "Read as"},
    "import.sample_values": {"zh": "示例值", "en": "Sample values"},
    "import.preview": {"zh": "解析结果（前 {n} 行）", "en": "Parsed rows (first {n})"},
    "import.warnings": {"zh": "提示", "en": "Notes"},
    "import.reconciliation": {"zh": "与表内合计核对", "en": "Check against the sheet's own totals"},
    "import.year": {"zh": "年份（月份表头没有年份时使用）", "en": "Year (for month headers without a year)"},
    "import.year_source": {"zh": "年份来源：{source}", "en": "Year taken from: {source}"},
    "import.period": {"zh": "这张表没有周期，属于哪个周期？", "en": "This sheet has no period: which period is it?"},
    "import.period_help": {"zh": "例如 2026-10、2026-Q3 或 2026", "en": "e.g. 2026-10, 2026-Q3 or 2026"},
    "import.metric_name": {"zh": "指标名称（表中没有指标列）", "en": "Metric name (the sheet has no metric column)"},
    "import.apply": {"zh": "按修改重新解析", "en": "Re-read with these changes"},
    "import.include": {"zh": "导入这个工作表", "en": "Import this sheet"},
    "import.overlap": {
        "zh": "数据库里已有相同指标、维度和周期的 {values} 个数值（来自 {files}，{first} 至 {last}）。",
        "en": "The database already holds {values} values for the same metrics, segments and periods (from {files}, {first} to {last}).",
    },
    "import.mode": {"zh": "重复的数据", "en": "Overlapping data"},
    "import.mode.replace": {"zh": "用新文件替换（推荐，可撤销）", "en": "Replace with this file (recommended, undoable)"},
    "import.mode.keep": {"zh": "两份都保留", "en": "Keep both"},
    "import.button": {"zh": "导入 {n} 个工作表", "en": "Import {n} sheets"},
    "import.nothing": {"zh": "没有可导入的工作表。", "en": "No sheet can be imported."},
    "import.importing": {"zh": "正在写入数据库 …", "en": "Writing to the database …"},
    "import.done": {"zh": "导入完成：{rows} 行，周期 {periods}。", "en": "Imported {rows} rows covering {periods}."},
    "import.done_replaced": {"zh": "替换了之前导入的 {n} 个数值。", "en": "Replaced {n} previously imported values."},
    "import.already": {"zh": "这个文件已经导入过（记录 #{id}），没有任何改动。", "en": "This file was already imported (import #{id}); nothing changed."},
    "import.remembered": {"zh": "已套用上次确认的列设置。", "en": "Applied the column settings you confirmed last time."},
    "import.failed": {"zh": "导入失败，数据库没有任何改动：{error}", "en": "Import failed; nothing was stored: {error}"},
    "import.viewer": {"zh": "只读模式：不能导入。", "en": "Read-only: importing is not allowed."},
    "import.encoding": {"zh": "文本编码：{encoding}", "en": "Text encoding: {encoding}"},
    "import.go_history": {"zh": "查看导入记录", "en": "See the import history"},
    "preview.row": {"zh": "行号", "en": "Row"},
    "preview.period": {"zh": "周期", "en": "Period"},
    "preview.metric": {"zh": "指标", "en": "Metric"},
    "preview.scenario": {"zh": "口径", "en": "Scenario"},
    "preview.value": {"zh": "数值", "en": "Value"},
    "preview.unit": {"zh": "单位", "en": "Unit"},
    "preview.date": {"zh": "日期", "en": "Date"},
    "preview.customer": {"zh": "客户", "en": "Customer"},
    "preview.order": {"zh": "订单", "en": "Order"},
    # ---- roles and shapes
    "role.period": {"zh": "周期", "en": "period"},
    "role.year": {"zh": "年份", "en": "year"},
    "role.dimension": {"zh": "维度", "en": "dimension"},
    "role.metric": {"zh": "指标名", "en": "metric name"},
    "role.scenario": {"zh": "口径（计划/实际）", "en": "scenario (plan/actual)"},
    "role.measure": {"zh": "数值", "en": "measure"},
    "role.unit": {"zh": "单位", "en": "unit"},
    "role.id": {"zh": "编号（客户/订单）", "en": "ID (customer/order)"},
    "role.total": {"zh": "合计列（不导入）", "en": "totals column (not imported)"},
    "role.ignore": {"zh": "忽略", "en": "ignore"},
    "shape.long": {"zh": "长表（周期 | 维度 | 指标 | 数值）", "en": "long (period | dimensions | metric | value)"},
    "shape.wide_period": {"zh": "按周期展开（每月一列）", "en": "wide by period (a column per month)"},
    "shape.wide_measure": {"zh": "按指标展开（每个指标一列）", "en": "wide by measure (a column per metric)"},
    "shape.transactions": {"zh": "交易明细（每行一笔订单）", "en": "transactions (a row per order)"},
    "shape.snapshot": {"zh": "快照（没有周期）", "en": "snapshot (no period)"},
    "scenario.actual": {"zh": "实际", "en": "actual"},
    "scenario.plan": {"zh": "计划", "en": "plan"},
    "scenario.forecast": {"zh": "预测", "en": "forecast"},
    "year_source.column": {"zh": "年份列", "en": "a year column"},
    "year_source.user": {"zh": "手动指定", "en": "you"},
    "year_source.title": {"zh": "表格标题", "en": "the sheet title"},
    "year_source.sheet": {"zh": "工作表名称", "en": "the sheet name"},
    "year_source.file": {"zh": "文件名", "en": "the file name"},
    "year_source.assumed": {"zh": "默认为今年", "en": "assumed: this year"},
    # ---- skip reasons
    "skip.hidden": {"zh": "隐藏的工作表，已跳过", "en": "hidden sheet, skipped"},
    "skip.empty": {"zh": "空工作表，已跳过", "en": "empty sheet, skipped"},
    "skip.not_selected": {"zh": "未选择", "en": "not selected"},
    "skip.already_imported": {"zh": "这个工作表已经导入过", "en": "this sheet was already imported"},
    # ---- errors (nothing stored)
    "error.empty_file": {"zh": "文件是空的。", "en": "The file is empty."},
    "error.file_too_large": {"zh": "文件太大（{size_mb} MB），上限是 {limit_mb} MB。", "en": "The file is too large ({size_mb} MB); the limit is {limit_mb} MB."},
    "error.not_a_spreadsheet": {"zh": "这不是电子表格文件（{ext}）。请上传 .xlsx、.xlsm、.xls 或 .csv。", "en": "This is not a spreadsheet ({ext}). Upload .xlsx, .xlsm, .xls or .csv."},
    "error.password_protected": {"zh": "工作簿设置了密码。请在 Excel 中取消密码后另存，再上传。", "en": "The workbook is password-protected. Remove the password in Excel, save, and upload again."},
    "error.corrupt_file": {"zh": "文件已损坏或不完整，无法读取。请重新导出后上传。", "en": "The file is damaged or incomplete and cannot be read. Export it again and upload."},
    "error.zip_bomb": {"zh": "文件解压后过大（{size_mb} MB），为安全起见拒绝读取。", "en": "The file expands to an unsafe size ({size_mb} MB) and was refused."},
    "error.too_many_cells": {"zh": "工作表「{sheet}」声明了 {cells} 个单元格，超过上限 {limit}。", "en": "Sheet “{sheet}” claims {cells} cells, over the limit of {limit}."},
    "error.no_header": {"zh": "工作表「{sheet}」找不到表头（至少两列文字标题，下方有数字）。", "en": "No header found on sheet “{sheet}” (at least two text headings with numbers below)."},
    "error.no_numeric_data": {"zh": "工作表「{sheet}」没有可导入的数字。", "en": "Sheet “{sheet}” has no numbers to import."},
    "error.needs_period": {"zh": "工作表「{sheet}」没有周期列：请指定它属于哪个周期。", "en": "Sheet “{sheet}” has no period: say which period it belongs to."},
    "error.bad_period": {"zh": "无法识别周期「{value}」，请用 2026-10、2026-Q3 或 2026 的格式。", "en": "“{value}” is not a period; use 2026-10, 2026-Q3 or 2026."},
    "error.no_such_sheet": {"zh": "没有名为「{sheet}」的工作表。现有：{sheets}。", "en": "There is no sheet named “{sheet}”. Sheets: {sheets}."},
    "error.nothing_imported": {"zh": "没有可导入的工作表。", "en": "No sheet could be imported."},
    "error.database_busy": {"zh": "数据库正被另一个程序占用，请关闭它后重试。", "en": "The database is in use by another program; close it and try again."},
    "error.unexpected": {"zh": "出现意外错误，数据库没有改动：{detail}", "en": "Unexpected error; nothing was stored: {detail}"},
    # ---- warnings
    "warn.error_cells": {"zh": "{count} 个 Excel 错误值（如 #DIV/0!、#N/A）按空值导入，不计为 0。{cells}", "en": "{count} Excel error cells (#DIV/0!, #N/A …) imported as empty, never as 0. {cells}"},
    "warn.unparsed_cells": {"zh": "{count} 个单元格不是数字，按空值导入：{examples}", "en": "{count} cells are not numbers and were imported as empty: {examples}"},
    "warn.totals_row_excluded": {"zh": "合计行（第 {rows} 行）没有导入，用于核对。", "en": "Totals row(s) {rows} left out and used for checking."},
    "warn.totals_column_excluded": {"zh": "合计列（{columns}）没有导入，用于核对。", "en": "Totals column(s) {columns} left out and used for checking."},
    "warn.subtotal_rows_excluded": {"zh": "{count} 个小计行没有导入。", "en": "{count} subtotal rows left out."},
    "warn.note_rows_excluded": {"zh": "{count} 行说明文字没有导入。", "en": "{count} note rows left out."},
    "warn.extra_tables": {"zh": "这张表下方还有 {count} 个表格（第 {rows} 行起），只导入了主表。", "en": "{count} more table(s) below the main one (from row {rows}); only the main table was imported."},
    "warn.duplicate_headers": {"zh": "表头重复：{headers}", "en": "Duplicate headers: {headers}"},
    "warn.blank_headers": {"zh": "{count} 列没有表头。", "en": "{count} columns have no header."},
    "warn.year_assumed": {"zh": "月份没有写年份，按 {year} 年导入；如不对，请在上方修改年份。", "en": "Months carry no year; imported as {year}. Change the year above if that is wrong."},
    "warn.uncached_formulas": {"zh": "{count} 个公式单元格没有保存计算结果（{cells}），按空值导入。请在 Excel 中打开并保存后重试。", "en": "{count} formula cells were saved without values ({cells}) and are empty. Open and save the file in Excel to fix."},
    "warn.ignored_columns": {"zh": "未作为数值导入的列：{columns}", "en": "Columns not imported as numbers: {columns}"},
    "warn.unparsed_periods": {"zh": "{count} 个周期无法识别：{examples}", "en": "{count} periods could not be read: {examples}"},
    "warn.rows_without_period": {"zh": "{count} 行没有可识别的周期，未导入。", "en": "{count} rows have no readable period and were left out."},
    "warn.rows_without_metric": {"zh": "部分行没有指标名，未导入。", "en": "Some rows have no metric name and were left out."},
    # ---- reconciliation
    "recon.match": {"zh": "{what}：与表内合计一致（{total}）。", "en": "{what}: matches the sheet's total ({total})."},
    "recon.mismatch": {"zh": "{what}：导入合计 {imported}，表内合计 {total}，相差 {difference}。", "en": "{what}: imported {imported}, the sheet says {total}, a difference of {difference}."},
    "recon.summary_ok": {"zh": "全部 {n} 项与表内合计一致。", "en": "All {n} checks match the sheet's totals."},
    "recon.summary_bad": {"zh": "{bad} / {n} 项与表内合计不一致。", "en": "{bad} of {n} checks differ from the sheet's totals."},
    "recon.row": {"zh": "合计行", "en": "totals row"},
    "recon.column": {"zh": "合计列", "en": "totals column"},
    # ---- history
    "history.title": {"zh": "导入记录", "en": "Import history"},
    "history.empty": {"zh": "还没有导入记录。", "en": "Nothing imported yet."},
    "history.file": {"zh": "文件", "en": "File"},
    "history.time": {"zh": "导入时间", "en": "Imported at"},
    "history.sheets": {"zh": "工作表", "en": "Sheets"},
    "history.rows": {"zh": "行数", "en": "Rows"},
    "history.periods": {"zh": "周期", "en": "Periods"},
    "history.sample": {"zh": "示例", "en": "Sample"},
    "history.replaced": {"zh": "已被后续导入替换", "en": "Replaced later"},
    "history.undo": {"zh": "撤销导入 #{id}", "en": "Undo import #{id}"},
    "history.undo_pick": {"zh": "选择要撤销的导入", "en": "Choose an import to undo"},
    "history.undo_confirm": {"zh": "确认撤销「{file}」？它导入的 {rows} 行将被删除，被它替换的数据会恢复。", "en": "Undo “{file}”? Its {rows} rows are removed and the values it replaced come back."},
    "history.undo_yes": {"zh": "确认撤销", "en": "Yes, undo it"},
    "history.undone": {"zh": "已撤销导入 #{id}。", "en": "Import #{id} was undone."},
    "history.details": {"zh": "工作表明细", "en": "Sheet details"},
}


def t(key: str, lang: str = "zh", **params: Any) -> str:
    """The text for ``key`` in ``lang``, with ``params`` filled in (lists joined)."""
    entry = CATALOG.get(key)
    if entry is None:
        return key
    template = entry.get(lang) or entry["en"]
    if not params:
        return template
    sep = "、" if lang == "zh" else ", "
    clean = {k: (sep.join(str(x) for x in v) if isinstance(v, list | tuple) else v) for k, v in params.items()}
    try:
        return template.format(**clean)
    except (KeyError, IndexError, ValueError):
        return template


def message_text(code: str, params: dict[str, Any] | None, lang: str, prefix: str) -> str:
    """A warning's or error's text from its code (``prefix`` is "warn" or "error")."""
    params = dict(params or {})
    for k, v in list(params.items()):
        if isinstance(v, float):
            params[k] = format_number(v, lang)
    if code == "year_assumed" or "cells" in params and not params.get("cells"):
        params.setdefault("cells", "")
    return t(f"{prefix}.{code}", lang, **params)


def language_from_locale(locale: str | None) -> str:
    """'zh-CN', 'zh-TW', 'zh' → 'zh'; another locale → 'en'; unknown → 'zh' (most users read Chinese)."""
    if locale and locale.lower().startswith("zh"):
        return "zh"
    return "en" if locale else "zh"


def format_number(value: float | int | None, lang: str = "zh", *, unit: str | None = None, digits: int = 2,
                  compact: bool = True) -> str:
    """'1.2万' / '3.00亿' in Chinese, '12.0K' / '1.2M' in English; rates as percents."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "—"
    if unit == "%":
        return f"{value * 100:.{max(digits - 1, 1)}f}%"
    v = float(value)
    sign = "-" if v < 0 else ""
    a = abs(v)
    if unit and unit[0] in "万亿千百":
        compact = False  # '1.2万万元' is nonsense: the unit already carries the scale
    # The unit is chosen on the rounded value: 99,999,999 is 1.00亿, not 10000.00万.
    r = round(a, digits)
    if compact and lang == "zh":
        if round(a / 1e4, digits) >= 1e4:
            text = f"{a / 1e8:.{digits}f}亿"
        elif r >= 1e4:
            text = f"{a / 1e4:.{digits}f}万"
        else:
            text = _plain(a, digits)
    elif compact and r >= 1e6:
        text = f"{a / 1e9:.{digits}f}B" if round(a / 1e6, digits) >= 1e3 else f"{a / 1e6:.{digits}f}M"
    else:
        text = _plain(a, digits)
    text = sign + text
    if unit and unit != "%":
        text += unit if lang == "zh" else f" {unit}"
    return text


def _plain(a: float, digits: int) -> str:
    if float(a).is_integer():
        return f"{int(a):,}"
    return f"{a:,.{digits}f}"
