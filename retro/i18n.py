"""The one catalog of user-facing text, in 中文 and English, and locale-aware number formats."""

from __future__ import annotations

import math
import re
from typing import Any

from .glossary import unit_reading

LANGS = ("zh", "en")

CATALOG: dict[str, dict[str, str]] = {
    # ---- app frame
    "app.title": {"zh": "运营回顾", "en": "Ops review"},
    "app.tagline": {"zh": "运营数据回顾 · 目标达成 · 问题与改进", "en": "Data review · goal attainment · problems and measures"},
    "sidebar.language": {"zh": "语言 / Language", "en": "Language / 语言"},
    "sidebar.period": {"zh": "当前周期", "en": "Active period"},
    "sidebar.period_help": {
        "zh": "全组共用：在这里换周期或复盘，打开同一链接的同事下次点击时也会跟着换。新会话默认打开最近一次导入的最新完整月份。",
        "en": "Shared by the team: a period or review picked here is what colleagues on the same link see from their next click. A new session opens on the latest import's newest complete month.",
    },
    "sidebar.followed_team": {"zh": "已跟随团队视图：{period}", "en": "Following the team's view: {period}"},
    "sidebar.no_data": {"zh": "还没有数据：先导入一个工作簿。", "en": "No data yet: import a workbook first."},
    "share.button": {"zh": "分享这个视图", "en": "Share this view"},
    "share.body": {"zh": "同事打开这个链接（或扫码）就能看到同一个视图；口令或公司账号登录照常需要。",
                   "en": "Colleagues who open this link (or scan the code) see this same view; the passcode or company sign-in still applies."},
    "sidebar.data": {"zh": "{facts} 个数值 · {metrics} 个指标 · {period_min} 至 {period_max}",
                     "en": "{facts} {facts|value|values} · {metrics} {metrics|metric|metrics} · {period_min} to {period_max}"},
    "nav.home": {"zh": "概览", "en": "Overview"},
    "nav.import": {"zh": "导入数据", "en": "Import"},
    "nav.history": {"zh": "导入记录", "en": "Import history"},
    "nav.trends": {"zh": "趋势分析", "en": "Trends"},
    "nav.metrics": {"zh": "指标设置", "en": "Metrics"},
    "nav.goals": {"zh": "目标达成", "en": "Goals"},
    "nav.review": {"zh": "复盘工作区", "en": "Review workspace"},
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
    # ---- passcode gate
    "gate.title": {"zh": "运营回顾", "en": "Ops review"},
    "gate.body": {"zh": "这个看板需要口令。编辑口令可以导入和修改，查看口令只能浏览。", "en": "This dashboard needs a passcode. The editor passcode can import and change data; the viewer passcode can only look."},
    "gate.passcode": {"zh": "口令", "en": "Passcode"},
    "gate.name": {"zh": "你的名字（记录在你做的修改上，可不填）", "en": "Your name (kept with the changes you make; optional)"},
    "gate.enter": {"zh": "进入", "en": "Enter"},
    "gate.wrong": {"zh": "口令不对。", "en": "That passcode is not right."},
    "gate.signed_in": {"zh": "当前用户：{who}（{role}）", "en": "Signed in: {who} ({role})"},
    "gate.role.editor": {"zh": "编辑", "en": "editor"},
    "gate.role.viewer": {"zh": "只读", "en": "viewer"},
    "gate.role.system": {"zh": "系统", "en": "system"},
    "gate.read_only": {"zh": "只读模式：这里的修改不可用。", "en": "Read-only: changes are not available here."},
    # ---- home
    "home.title": {"zh": "概览", "en": "Overview"},
    "home.empty": {"zh": "数据库为空。到「导入数据」上传一个 Excel 或 CSV 工作簿。", "en": "The database is empty. Upload an Excel or CSV workbook on the Import page."},
    "home.sample_loaded": {"zh": "当前展示的是内置示例数据。导入自己的数据后这条提示就不再显示；示例数据可在页面底部「数据库里有什么」里清除。",
                           "en": "You are looking at the bundled sample data. Once your own data is imported this note goes; the sample can be cleared under “What the database holds” at the bottom."},
    "home.sample_viewer": {"zh": "当前展示的是内置示例数据。", "en": "You are looking at the bundled sample data."},
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
    # ---- the overview as the meeting's front page (retro/overview.py states the rules)
    "home.heading": {"zh": "{period} 本期要点", "en": "{period} at a glance"},
    "home.no_period": {"zh": "还没有带实际值的月份可以回顾。", "en": "No month with actual values to review yet."},
    "home.goals_head": {"zh": "目标达成", "en": "Goal attainment"},
    "home.counts": {"zh": "{red} 个未达标 · {amber} 个预警 · {green} 个达标", "en": "{red} red · {amber} amber · {green} green"},
    "home.no_targets": {"zh": "{period} 没有设了目标的 KPI：在「目标达成」里设定目标，或导入计划。",
                        "en": "No KPI has a target for {period}: set targets on the Goals page, or import a plan."},
    "home.kpi_caption": {"zh": "实际 {actual} · 计划 {plan}", "en": "Actual {actual} · plan {plan}"},
    "home.vs_plan": {"zh": "对计划", "en": "vs plan"},
    "home.goals_link": {"zh": "全部 KPI 与原因分析", "en": "Every KPI and the cause analysis"},
    "home.changes_head": {"zh": "与上月相比（{previous} → {period}）", "en": "Since last month ({previous} → {period})"},
    "home.no_changes": {"zh": "{previous} 没有数据，无法计算环比。", "en": "No data for {previous}: nothing to compare with."},
    "home.driver": {"zh": "{metric}的变化主要来自{dimension}「{segment}」：{change}，占总变化的 {share}。",
                    "en": "{metric} moved mostly in {dimension} “{segment}”: {change}, {share} of the change."},
    "home.driver_plain": {"zh": "{metric}的变化主要来自{dimension}「{segment}」：{change}。",
                          "en": "{metric} moved mostly in {dimension} “{segment}”: {change}."},
    "home.movers": {"zh": "其他变化最大的指标", "en": "Other metrics that moved most"},
    "home.trends_link": {"zh": "在趋势分析中查看原因", "en": "See why on the Trends page"},
    "home.measures_head": {"zh": "改进措施", "en": "Measures"},
    "home.measures_counts": {"zh": "{open} 项未关闭，其中 {overdue} 项逾期",
                             "en": "{open} open {open|measure|measures}, {overdue} overdue"},
    "home.measures_help": {"zh": "未关闭：计划中、进行中，或已完成待验收。逾期：计划中或进行中，且截止日期已过。",
                           "en": "Open: planned, in progress, or done and waiting for its check. Overdue: planned or in progress, past its due date."},
    "home.measures_none": {"zh": "没有未关闭的措施。", "en": "No open measures."},
    "home.measure_row": {"zh": "{flag}**{title}** · {owner} · 截止 {due} · {status}",
                         "en": "{flag}**{title}** · {owner} · due {due} · {status}"},
    "home.overdue": {"zh": "逾期", "en": "overdue"},
    "home.more_measures": {"zh": "还有 {n} 项，见复盘工作区。", "en": "{n} more in the review workspace."},
    "home.review_link": {"zh": "打开复盘工作区", "en": "Open the review workspace"},
    "home.import_head": {"zh": "最近一次导入", "en": "Latest import"},
    "home.import_when": {"zh": "{when} 导入", "en": "imported {when}"},
    "home.import_detail": {"zh": "{sheets} 个工作表（{names}）· {values} 个数值 · {first} 至 {last}",
                           "en": "{sheets} {sheets|sheet|sheets} ({names}) · {values} {values|value|values} · {first} to {last}"},
    "home.import_unknown": {"zh": "导入时还没有记录与表内合计的核对结果", "en": "imported before the check against its totals was kept"},
    "home.import_sample": {"zh": "（内置示例数据）", "en": "(the bundled sample)"},
    "home.history_link": {"zh": "导入记录与撤销", "en": "Import history and undo"},
    "home.inventory": {"zh": "数据库里有什么", "en": "What the database holds"},
    "home.db_path": {"zh": "数据库文件：{path}", "en": "Database file: {path}"},
    # ---- import page
    "import.title": {"zh": "导入数据", "en": "Import data"},
    "import.intro": {
        "zh": "上传本月的 KPI 工作簿（.xlsx / .xlsm / .xls / .csv）。系统会识别表头、月份、计划与实际、合计行，先预览再导入。",
        "en": "Upload this month's KPI workbook (.xlsx / .xlsm / .xls / .csv). Headers, months, plan vs actual and totals rows are recognised; preview, then import.",
    },
    "import.upload": {"zh": "选择或拖入工作簿", "en": "Choose or drop a workbook"},
    "import.upload_help": {"zh": "把文件拖到下面的框里，或点框里的 Upload 按钮选择文件。支持 .xlsx、.xlsm、.xls、.csv，每个文件不超过 {limit} MB。",
                           "en": "Drop the file on the box below, or click its Upload button. .xlsx, .xlsm, .xls or .csv, at most {limit} MB a file."},
    "id_kind.customer": {"zh": "客户编号", "en": "customer ID"},
    "id_kind.order": {"zh": "订单号", "en": "order number"},
    "import.reading": {"zh": "正在读取 {name} …", "en": "Reading {name} …"},
    "import.read_done": {"zh": "已读取 {name}：{sheets} 个工作表，{ready} 个可导入。", "en": "Read {name}: {sheets} {sheets|sheet|sheets}, {ready} ready to import."},
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
    "import.take_in": {"zh": "仍然导入这个工作表", "en": "Import this sheet anyway"},
    "import.use_as.measure": {"zh": "把「{header}」作为数值导入", "en": "Use “{header}” as a measure"},
    "import.use_as.dimension": {"zh": "把「{header}」作为维度（分组）", "en": "Use “{header}” as a segment (dimension)"},
    "import.use_as.ignore": {"zh": "不导入「{header}」", "en": "Leave “{header}” out"},
    "import.role_set": {"zh": "你把「{header}」设为：{role}。", "en": "You set “{header}” to: {role}."},
    "import.role_remembered": {"zh": "上次你把「{header}」设为：{role}。", "en": "Last time you set “{header}” to: {role}."},
    "import.role_undo": {"zh": "撤销", "en": "Undo"},
    "import.source_rows": {"zh": "来源行", "en": "Source rows"},
    "import.values_stored": {"zh": "将存入 {n} 个数值", "en": "{n} {n|value|values} to store"},
    "import.notes_kept": {"zh": "说明列的 {n} 条文字作为备注随数据保存", "en": "{n} {n|note|notes} from the text columns kept with the values"},
    "import.please_check": {"zh": "请确认：{text}", "en": "Please check: {text}"},
    "import.readings": {"zh": "读取依据（{n} 条）", "en": "How it was read ({n})"},
    "evidence.formula": {"zh": "依据：单元格公式", "en": "evidence: a formula"},
    "evidence.sum": {"zh": "依据：求和关系", "en": "evidence: a sum relation"},
    "evidence.values": {"zh": "依据：数值规律", "en": "evidence: the values' pattern"},
    "evidence.header": {"zh": "依据：表头文字", "en": "evidence: the header's words"},
    "evidence.position": {"zh": "依据：位置", "en": "evidence: the position"},
    "evidence.name": {"zh": "依据：名称", "en": "evidence: a name"},
    "evidence.content": {"zh": "依据：与其他工作表内容比对", "en": "evidence: compared with another sheet"},
    "evidence.structure": {"zh": "依据：工作簿结构", "en": "evidence: the workbook's structure"},
    "import.overlap": {
        "zh": "数据库里已有相同指标、维度和周期的 {values} 个数值（来自 {files}，{first} 至 {last}）。",
        "en": "The database already holds {values} {values|value|values} for the same metrics, segments and periods (from {files}, {first} to {last}).",
    },
    "charts.restated": {"zh": "已被重述", "en": "Restated"},
    "charts.restated_was": {"zh": "原来是 {text}", "en": "was {text}"},
    "import.restated": {"zh": "这个文件改写了已存的 {n} 个数值（重述）：替换后，图表上这些点会标出原来的值。", "en": "This file restates {n} {n|value|values} stored before: once replaced, the charts mark {n|this point|these points} with {n|its|their} earlier value."},
    "import.restated_list": {"zh": "重述的数值（{n}）：原值 → 新值", "en": "Restated values ({n}): was → now"},
    "import.restated_more": {"zh": "（只列出变化最大的 {shown} 个）", "en": "(the {shown} largest {shown|change is|changes are} listed)"},
    "restated.metric": {"zh": "指标", "en": "Metric"},
    "restated.period": {"zh": "周期", "en": "Period"},
    "restated.segment": {"zh": "维度", "en": "Segment"},
    "restated.scenario": {"zh": "口径", "en": "Scenario"},
    "restated.old": {"zh": "原值", "en": "Was"},
    "restated.new": {"zh": "新值", "en": "Now"},
    "restated.difference": {"zh": "差额", "en": "Difference"},
    "restated.file_name": {"zh": "原来的文件", "en": "Earlier file"},
    "history.restated": {"zh": "这次导入改写了 {n} 个之前的数值：", "en": "This import restated {n} earlier {n|value|values}:"},
    "import.dataset": {"zh": "数据集（这个来源的名字）", "en": "Dataset (a name for this source)"},
    "import.dataset_help": {"zh": "同一来源每月的文件归入同一个数据集，如“华东销售月报”“财务预算”；默认沿用这个版式上次的数据集，或文件名。", "en": "Each month's file of one source goes into one dataset, e.g. “East sales monthly”, “Finance budget”; by default the dataset this layout had last time, else the file's name."},
    "history.dataset": {"zh": "数据集", "en": "Dataset"},
    "import.mode": {"zh": "重复的数据", "en": "Overlapping data"},
    "import.mode.replace": {"zh": "用新文件替换（推荐，可撤销）", "en": "Replace with this file (recommended, undoable)"},
    "import.mode.keep": {"zh": "两份都保留", "en": "Keep both"},
    "import.button": {"zh": "导入 {n} 个工作表", "en": "Import {n} {n|sheet|sheets}"},
    "import.nothing": {"zh": "没有可导入的工作表。", "en": "No sheet can be imported."},
    "import.importing": {"zh": "正在写入数据库 …", "en": "Writing to the database …"},
    "import.done": {"zh": "导入完成：{rows} 行，周期 {periods}。", "en": "Imported {rows} {rows|row|rows} covering {periods}."},
    "import.done_replaced": {"zh": "替换了之前导入的 {n} 个数值。", "en": "Replaced {n} previously imported {n|value|values}."},
    "import.done_repeated": {"zh": "有 {n} 个数值同时出现在两个工作表中，保留了后一个工作表的数值。", "en": "{n} {n|value stood|values stood} on two sheets of this file; the later sheet's {n|was|were} kept."},
    "import.already": {"zh": "这个文件已经导入过（记录 #{id}），没有任何改动。", "en": "This file was already imported (import #{id}); nothing changed."},
    "import.remembered": {"zh": "已套用上次确认的列设置。", "en": "Applied the column settings you confirmed last time."},
    "import.remembered_take_in": {"zh": "已套用上次确认的设置：这个工作表看起来像辅助表，上次你选择了仍然导入，这次照样导入。",
                                  "en": "Applied what you confirmed last time: this sheet looks like a helper sheet, and you chose to import it anyway."},
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
    "error.not_a_spreadsheet": {"zh": "这个文件（{ext}）的内容不是电子表格：可能被改过扩展名，或已损坏。请上传 Excel（.xlsx、.xlsm、.xls）或 CSV 文件。", "en": "This file ({ext}) does not contain a spreadsheet: it may have been renamed or damaged. Upload an Excel (.xlsx, .xlsm, .xls) or CSV file."},
    "error.password_protected": {"zh": "工作簿设置了密码。请在 Excel 中取消密码后另存，再上传。", "en": "The workbook is password-protected. Remove the password in Excel, save, and upload again."},
    "error.corrupt_file": {"zh": "文件已损坏或不完整，无法读取。请重新导出后上传。", "en": "The file is damaged or incomplete and cannot be read. Export it again and upload."},
    "error.zip_bomb": {"zh": "文件解压后过大（{size_mb} MB），为安全起见拒绝读取。", "en": "The file expands to an unsafe size ({size_mb} MB) and was refused."},
    "error.too_many_cells": {"zh": "工作表「{sheet}」声明了 {cells} 个单元格，超过上限 {limit}。", "en": "Sheet “{sheet}” claims {cells} {cells|cell|cells}, over the limit of {limit}."},
    "error.no_header": {"zh": "工作表「{sheet}」找不到表头（至少两列文字标题，下方有数字）。", "en": "No header found on sheet “{sheet}” (at least two text headings with numbers below)."},
    "error.no_numeric_data": {"zh": "工作表「{sheet}」没有可导入的数字。", "en": "Sheet “{sheet}” has no numbers to import."},
    "error.needs_period": {"zh": "工作表「{sheet}」没有周期列：请指定它属于哪个周期。", "en": "Sheet “{sheet}” has no period: say which period it belongs to."},
    "error.bad_period": {"zh": "无法识别周期「{value}」，请用 2026-10、2026-Q3 或 2026 的格式。", "en": "“{value}” is not a period; use 2026-10, 2026-Q3 or 2026."},
    "error.no_such_sheet": {"zh": "没有名为「{sheet}」的工作表。现有：{sheets}。", "en": "There is no sheet named “{sheet}”. Sheets: {sheets}."},
    "error.nothing_imported": {"zh": "没有可导入的工作表。", "en": "No sheet could be imported."},
    "error.database_busy": {"zh": "数据库正被另一个程序占用，请关闭它后重试。", "en": "The database is in use by another program; close it and try again."},
    "error.unexpected": {"zh": "出现意外错误，数据库没有改动：{detail}", "en": "Unexpected error; nothing was stored: {detail}"},
    # ---- warnings
    "warn.error_cells": {"zh": "{count} 个 Excel 错误值（如 #DIV/0!、#N/A）按空值导入，不计为 0。{cells}", "en": "{count} Excel error {count|cell|cells} (#DIV/0!, #N/A …) imported as empty, never as 0. {cells}"},
    "warn.unparsed_cells": {"zh": "{count} 个单元格不是数字，按空值导入：{examples}", "en": "{count} {count|cell is not a number and was|cells are not numbers and were} imported as empty: {examples}"},
    "warn.totals_row_excluded": {"zh": "合计行（第 {rows} 行）没有导入，用于核对。", "en": "Totals {rows|row|rows} {rows} left out and used for checking."},
    "warn.totals_column_excluded": {"zh": "合计列（{columns}）没有导入，用于核对。", "en": "Totals {columns|column|columns} {columns} left out and used for checking."},
    "warn.subtotal_rows_excluded": {"zh": "{count} 个小计行没有导入。", "en": "{count} subtotal {count|row|rows} left out."},
    "warn.note_rows_excluded": {"zh": "{count} 行说明文字没有导入。", "en": "{count} note {count|row|rows} left out."},
    "warn.extra_tables": {"zh": "这张表下方还有 {count} 个表格（第 {rows} 行起），只导入了主表。", "en": "{count} more {count|table|tables} below the main one (from row {rows}); only the main table was imported."},
    "warn.duplicate_headers": {"zh": "表头重复：{headers}", "en": "Duplicate headers: {headers}"},
    "warn.blank_headers": {"zh": "{count} 列没有表头。", "en": "{count} {count|column has|columns have} no header."},
    "warn.year_assumed": {"zh": "月份没有写年份，按 {year} 年导入；如不对，请在上方修改年份。", "en": "Months carry no year; imported as {year}. Change the year above if that is wrong."},
    "warn.uncached_formulas": {"zh": "{count} 个公式单元格没有保存计算结果（{cells}），按空值导入。请在 Excel 中打开并保存后重试。", "en": "{count} formula {count|cell was|cells were} saved without values ({cells}) and {count|is|are} empty. Open and save the file in Excel to fix."},
    "warn.ignored_columns": {"zh": "未作为数值导入的列：{columns}", "en": "Columns not imported as numbers: {columns}"},
    "warn.unparsed_periods": {"zh": "{count} 个周期无法识别：{examples}", "en": "{count} {count|period|periods} could not be read: {examples}"},
    "warn.rows_without_period": {"zh": "{count} 行没有可识别的周期，未导入。", "en": "{count} {count|row has|rows have} no readable period and {count|was|were} left out."},
    "warn.rows_without_metric": {"zh": "部分行没有指标名，未导入。", "en": "Some rows have no metric name and were left out."},
    "warn.sheet_dimension": {"zh": "工作表「{sheet}」与本文件其他工作表的数据同名同期，已按工作表区分（维度「{name}」），相加而不互相覆盖。", "en": "Sheet “{sheet}” holds the same metrics and periods as another sheet of this file: its values carry the segment “{name}” and add up, never overwrite."},
    "warn.day_out_of_month": {"zh": "{examples} 不在该月的日期范围内，计入该月最后一天（月合计不变）。", "en": "{examples} is not a day of that month: counted on its last day (the month's total is kept)."},
    "warn.assumed": {"zh": "需要确认：{text}", "en": "Please check: {text}"},
    # ---- readings: each import decision in words, with what it rests on
    "skip.helper": {"zh": "辅助工作表，默认不导入", "en": "helper sheet, left out"},
    "reading.helper_pivot": {"zh": "「{sheet}」是数据透视表的结果（{why}），不是原始数据：默认不导入。", "en": "“{sheet}” is a pivot table's output ({why}), not data: left out."},
    "reading.helper_forecast": {"zh": "「{sheet}」是 Excel 预测工作表（{why}）：预测值不并入实际数据，默认不导入。", "en": "“{sheet}” is an Excel forecast sheet ({why}): its values never join the actuals; left out."},
    "reading.helper_dashboard": {"zh": "「{sheet}」是仪表盘（{why}），数字由公式取自其他工作表：默认不导入。", "en": "“{sheet}” is a dashboard ({why}); its numbers are formulas over other sheets: left out."},
    "reading.helper_derived": {"zh": "「{sheet}」由其他工作表计算而来（{share}% 的数字是引用其他表的公式）：默认不导入。", "en": "“{sheet}” is computed from other sheets ({share}% of its numbers are formulas over them): left out."},
    "reading.helper_copy": {"zh": "「{sheet}」的 {rows}/{total} 行与「{of}」完全相同，是它的副本：默认不导入，以免重复计数。", "en": "{rows} of {total} {total|row|rows} of “{sheet}” stand in “{of}”: a copy, left out so nothing counts twice."},
    "reading.sheet_scenario": {"zh": "{source_text}「{text}」表明这些数字是{scenario_text}。", "en": "The {source_text} “{text}” says these numbers are the {scenario_text}."},
    "reading.sheet_period": {"zh": "工作表名称「{sheet}」给出周期 {period}。", "en": "The sheet name “{sheet}” gives the period {period}."},
    "reading.metric_name": {"zh": "指标名「{name}」取自{source_text}；如不对，请改名。", "en": "The metric is named “{name}” after {source_text}; rename it if that is wrong."},
    "reading.same_layout": {"zh": "「{sheet}」与「{as}」版式相同，按同样方式读取。", "en": "“{sheet}” has the layout of “{as}” and is read the same way."},
    "reading.customer_column": {"zh": "「{header}」是客户列（按表头）：用于客户数、新老客户。", "en": "“{header}” is the customer (by its header): counted for customers, new and returning."},
    "reading.order_column": {"zh": "「{header}」是订单号（按表头）：用于订单数。", "en": "“{header}” is the order number (by its header): counted for orders."},
    "reading.code_column": {"zh": "「{header}」是编号/代码（{why}），不相加。", "en": "“{header}” holds codes ({why}), never added up."},
    "reading.row_counter": {"zh": "「{header}」是行号（{why}），不导入。", "en": "“{header}” is a row counter ({why}), left out."},
    "reading.calendar_part": {"zh": "「{header}」是日期的一部分（月序号、周数），不作为指标。", "en": "“{header}” is a part of the date (month or week number), not a metric."},
    "reading.running_total": {"zh": "「{header}」是累计值（YTD/累计），由各月推出，不再相加。", "en": "“{header}” is a running total (YTD), derived from the months: not added again."},
    "reading.period_subtotal_column": {"zh": "「{header}」是 {first}…{last} 的小计，这几个月已逐月导入，不再相加。", "en": "“{header}” is the subtotal of {first}…{last}, which are imported month by month: not added again."},
    "reading.comparison_column": {"zh": "「{header}」是两期之间的变化（同比/环比），不导入，趋势页会根据已存的各期重新计算。", "en": "“{header}” is a change between two periods (YoY, MoM): left out; the trends page computes it from the stored periods."},
    "reading.prior_period_column": {"zh": "「{header}」是另一期（上期/上年同期）的数值，只供对比，不算本期数据，不导入；需要时可改为导入。", "en": "“{header}” holds another period's value (last period, same period last year), printed for comparison: not this period's number, left out; overrule it if needed."},
    "reading.percent_despite_title_unit": {"zh": "标题写明单位「{unit}」，但「{metrics}」每格都写成百分数：按百分比（%）导入，不算作{unit}。", "en": "The title says the unit is “{unit}”, but every cell of “{metrics}” is a percentage: imported as %, not as {unit}."},
    "reading.section_metrics": {"zh": "这张表上下叠放了几张同样格式的表，各有自己的标题：第一张是「{first}」，下面的分别按标题导入为「{names}」，不并入「{first}」。", "en": "Tables of one layout are stacked on this sheet, each under its own title: the first is “{first}”, the ones below are imported as “{names}”, not added into “{first}”."},
    "reading.share_column": {"zh": "「{header}」是各行占合计的比例（加起来是 100%），由旁边的数算出：不作为指标导入。", "en": "“{header}” is each row's share of the total (they add up to 100%), worked out from the numbers beside it: not imported as a metric."},
    "reading.numbered_periods": {"zh": "「{header}」一列是月份（或季度）的序号（1、2、3 …），与年份一起确定每行的周期，不作为数值相加。", "en": "“{header}” numbers the months (or quarters) 1, 2, 3 …: with the year they give each row's period; not added up as an amount."},
    "reading.statistic_row": {"zh": "第 {row} 行「{label}」是对上面各行的统计（平均、最高、环比等），不是数据：不导入，也不用于核对。", "en": "Row {row} “{label}” describes the rows above it (an average, a maximum, a change): not data, left out and not used for checking."},
    "reading.ratio_rows": {"zh": "「{labels}」行由计划和实际算出（达成率/偏差），不导入，页面会重新计算。", "en": "The “{labels}” rows are computed from the plan and the actual (attainment, variance): left out and recomputed."},
    "reading.derived_column": {"zh": "「{header}」由计划和实际算出（达成率/偏差），不导入，页面会重新计算。", "en": "“{header}” is computed from the plan and the actual (attainment, variance): left out and recomputed."},
    "reading.note_column": {"zh": "「{header}」是说明文字，不作为维度。", "en": "“{header}” is free text (notes), not a segment."},
    "reading.repeated_column": {"zh": "「{header}」重复了「{of}」的内容，不导入。", "en": "“{header}” repeats “{of}”, left out."},
    "reading.line_items": {"zh": "数值列只写了计划/实际，所以「{header}」列的每一行是一个指标。", "en": "The value columns name only plan and actual, so each row of “{header}” is a metric."},
    "reading.subtotal_row": {"zh": "第 {row} 行{why}：是小计行，不导入（总计已包含它）。", "en": "Row {row} {why}: a subtotal, left out (the grand total holds it)."},
    "reading.totals_row": {"zh": "第 {row} 行{why}：是合计行，不导入，用于核对。", "en": "Row {row} {why}: a totals row, left out and used for checking."},
    "reading.totals_column": {"zh": "「{header}」列{why}：是合计列，不导入，用于核对。", "en": "Column “{header}” {why}: a totals column, left out and used for checking."},
    "reading.derived_rows": {"zh": "第 {rows} 行是由其他单元格计算的公式（{formula}），不导入。", "en": "Rows {rows} are formulas over other cells ({formula}), left out."},
    "reading.date_order": {"zh": "日期按{order_text}读取：{example} 是 {as}。", "en": "Dates are read {order_text}: {example} is {as}."},
    "reading.serial_headers": {"zh": "表头是 Excel 日期序号（失去了日期格式），读作日期 {first} … {last}。", "en": "The headers are Excel date serials (their date format was lost), read as the dates {first} … {last}."},
    "reading.weeks_on_monday": {"zh": "按周的数据（如 {example}）记在该周的周一，计入周一所在的月份。", "en": "Weekly figures (e.g. {example}) are stored on the week's Monday and counted in that Monday's month."},
    "order.month_first": {"zh": "月在前（美式）", "en": "month first (US style)"},
    "order.day_first": {"zh": "日在前", "en": "day first"},
    "reading.number_style": {"zh": "「{header}」的逗号是小数点（如 {example}）。", "en": "In “{header}” the comma is a decimal point (e.g. {example})."},
    "reading.number_style_mixed": {"zh": "「{header}」里既有千分位逗号又有小数逗号（如 {example}），按千分位读取。", "en": "“{header}” mixes thousands commas and decimal commas (e.g. {example}): read as thousands."},
    "why.pivot_part": {"zh": "工作簿里有数据透视表链接到它", "en": "the workbook links a pivot table to it"},
    "why.words": {"zh": "表中有 {words}", "en": "it holds {words}"},
    "why.formulas": {"zh": "公式 {words}", "en": "formulas {words}"},
    "why.charts": {"zh": "有图表或复选框", "en": "charts or check boxes on it"},
    "why.name": {"zh": "名称", "en": "its name"},
    "why.header": {"zh": "表头", "en": "its header"},
    "why.leading_zero": {"zh": "数字带前导零、位数固定，如 0501", "en": "digits with a leading zero and one width, like 0501"},
    "why.fixed_width": {"zh": "都是 {width} 位整数，像条码或单号——如果是要相加的数字，请改回数值", "en": "all {width}-digit whole numbers, like barcodes or receipt numbers — change it back if these are amounts"},
    "why.counting": {"zh": "从 {first} 数到 {last}", "en": "counting {first} to {last}"},
    "why.sum_formula": {"zh": "是求和公式 {formula}", "en": "is the formula {formula}"},
    "why.sum_relation": {"zh": "等于其他 {count} 行之和", "en": "equals the sum of the other {count} {count|row|rows}"},
    "why.block_sum": {"zh": "等于上方第 {first}–{last} 行之和", "en": "equals the sum of rows {first}–{last} above it"},
    "why.sum_columns": {"zh": "等于其他各列之和", "en": "equals the sum of the other columns"},
    "why.label": {"zh": "写着「{label}」", "en": "says “{label}”"},
    "why.table_totals": {"zh": "是 Excel 表格的汇总行", "en": "is the totals row of an Excel table"},
    "source.sheet": {"zh": "工作表名称", "en": "sheet name"},
    "source.title": {"zh": "标题", "en": "title"},
    "source.file": {"zh": "文件名", "en": "the file name"},
    "source.none": {"zh": "默认名称（表中没有指标名）", "en": "a default (the sheet names none)"},
    # ---- reconciliation
    "recon.match": {"zh": "{what}：与表内合计一致（{total}）。", "en": "{what}: matches the sheet's total ({total})."},
    "recon.mismatch": {"zh": "{what}：导入合计 {imported}，表内合计 {total}，相差 {difference}。", "en": "{what}: imported {imported}, the sheet says {total}, a difference of {difference}."},
    "recon.summary_ok": {"zh": "全部 {n} 项与表内合计一致。", "en": "All {n} {n|check matches|checks match} the sheet's totals."},
    "recon.summary_bad": {"zh": "{bad} / {n} 项与表内合计不一致。", "en": "{bad} of {n} {n|check differs|checks differ} from the sheet's totals."},
    "why_mismatch.stored_row": {"zh": "第 {rows} 行的数值正好等于差额：表内合计没有算它——可能在合计公式的范围之外，也可能是被当作数据的合计行或重复行。排除它，或核对后确认导入。", "en": "Row {rows} holds exactly the difference: the sheet's total does not count it — a row outside the total's range, or a totals or repeated row read as data. Leave it out, or check and confirm to import it."},
    "why_mismatch.outside_range": {"zh": "表内合计的公式没有包含第 {rows} 行（在求和范围之外，可能是后来加上的行）。排除它们，或核对后确认导入。", "en": "The total's own formula leaves out row {rows} (outside its SUM range, perhaps added after it). Leave them out, or check and confirm to import them."},
    "why_mismatch.stored_rows_any": {"zh": "第 {rows} 行中任一行的数值都等于差额，无法判断是哪一行。", "en": "Each of rows {rows} holds the difference; which one is meant cannot be told."},
    "why_mismatch.left_out_row": {"zh": "第 {rows} 行被当作{why_text}排除，但表内合计包含了它：要保留这一行吗？", "en": "Row {rows} was left out as a {why_text}, but the sheet's total counts it. Keep it?"},
    "why_mismatch.unread_cells": {"zh": "有 {count} 个单元格无法读取（如 #DIV/0!、文字），表内合计可能包含它们的值。请修正表格，或确认后导入。", "en": "{count} {count|cell|cells} could not be read (such as #DIV/0! or text); the sheet's total may count their values. Mend the sheet, or confirm to import."},
    "why_mismatch.scale": {"zh": "导入的数值是表内合计的 {factor} 倍（或 1/{factor}）：某列的单位或百分比读法可能不同，请检查列的单位。", "en": "What would be stored is {factor} times the sheet's total (or a {factor}th of it): a unit or a percent may be read differently. Check the columns' units."},
    "why_mismatch.rows_disagree": {"zh": "有 {count} 行的合计列不等于各期之和，如第 {rows} 行。", "en": "In {count} {count|row|rows} the totals column is not the sum of the periods, e.g. row {rows}."},
    "why_mismatch.rows_not_stored": {"zh": "第 {rows} 行有合计，但没有可导入的各期数值。", "en": "Rows {rows} have a total but no period values to store."},
    "why_mismatch.unexplained": {"zh": "找不到差额的原因：请对照表格检查，确认后才能导入。", "en": "Nothing on the sheet explains the difference: check it against the sheet; it is imported only once you confirm."},
    "why_left.totals": {"zh": "合计行", "en": "totals row"},
    "why_left.subtotal": {"zh": "小计行", "en": "subtotal row"},
    "recon.fix_skip": {"zh": "排除第 {rows} 行", "en": "Leave row {rows} out"},
    "recon.fix_keep": {"zh": "保留第 {rows} 行", "en": "Keep row {rows}"},
    "recon.accept": {"zh": "我已核对：尽管与表内合计不一致，仍然导入「{sheet}」", "en": "I have checked: import “{sheet}” although it differs from the sheet's totals"},
    "recon.gate": {"zh": "{sheets} 与表内合计不一致：修正或逐个确认后才能导入。", "en": "{sheets} differs from its own totals: fix it or confirm it before importing."},
    "reading.kpi_new": {"zh": "「{metric}」已经存在（来自 {files}），但{why_text}不同：按新指标「{as}」导入。如果是同一个指标，请点下面的按钮。", "en": "“{metric}” is already stored (from {files}) but its {why_text} differ: imported as a new metric, “{as}”. If it is the same KPI, say so below."},
    "reading.kpi_same": {"zh": "「{metric}」与 {files} 里的是同一个指标（按你的选择）。", "en": "“{metric}” is the same KPI as in {files}, as you said."},
    "kpi_why.dimensions": {"zh": "维度", "en": "dimensions"},
    "kpi_why.grain": {"zh": "周期粒度", "en": "periods"},
    "kpi_why.scale": {"zh": "数量级", "en": "scale"},
    "import.kpi_same": {"zh": "是同一个指标：并入「{metric}」", "en": "It is the same KPI: add to “{metric}”"},
    "import.kpi_apart": {"zh": "分开：作为「{as}」", "en": "Keep apart, as “{as}”"},
    "reading.kept_row": {"zh": "第 {row} 行按你的选择作为数据保留。", "en": "Row {row} is kept as data, as you chose."},
    "reading.skipped_row": {"zh": "第 {row} 行按你的选择不导入。", "en": "Row {row} is left out, as you chose."},
    "history.reconciled": {"zh": "合计核对", "en": "Totals check"},
    "reconciled.match": {"zh": "与表内合计一致", "en": "matches its totals"},
    "reconciled.accepted": {"zh": "与表内合计不一致（已确认导入）", "en": "differs from its totals (imported as confirmed)"},
    "reconciled.unchecked": {"zh": "表内无合计可核对", "en": "no totals to check"},
    "cli.mismatch": {"zh": "未导入：{sheets} 与表内合计不一致。按提示修正（--skip-row / --keep-row），或核对后加 --accept-mismatch。", "en": "Nothing imported: {sheets} differs from its own totals. Apply the fix shown (--skip-row / --keep-row), or check and add --accept-mismatch."},
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
    "history.replaced": {"zh": "已被替换", "en": "Replaced"},
    "history.replaced_help": {"zh": "这次导入的数值中，被之后的导入替换的个数。", "en": "How many of this import's values a later import replaced."},
    "history.undo": {"zh": "撤销导入 #{id}", "en": "Undo import #{id}"},
    "history.undo_pick": {"zh": "选择要撤销的导入", "en": "Choose an import to undo"},
    "history.undo_confirm": {"zh": "确认撤销「{file}」？它导入的 {rows} 行将被删除，被它替换的数据会恢复。", "en": "Undo “{file}”? Its {rows} {rows|row is|rows are} removed and the values it replaced come back."},
    "history.undo_yes": {"zh": "确认撤销", "en": "Yes, undo it"},
    "history.undone": {"zh": "已撤销导入 #{id}。", "en": "Import #{id} was undone."},
    "history.details": {"zh": "工作表明细", "en": "Sheet details"},
    # ---- trends and metrics pages
    "grain.month": {"zh": "月", "en": "Month"},
    "grain.quarter": {"zh": "季度", "en": "Quarter"},
    "grain.year": {"zh": "年", "en": "Year"},
    "trends.no_metrics": {"zh": "还没有指标：先导入一个工作簿。", "en": "No metrics yet: import a workbook first."},
    "trends.metric": {"zh": "指标", "en": "Metric"},
    "trends.grain": {"zh": "时间粒度", "en": "Grain"},
    "trends.by": {"zh": "拆解维度", "en": "Break down by"},
    "trends.by_none": {"zh": "不拆解", "en": "None"},
    "trends.compare": {"zh": "对比", "en": "Compare"},
    "trends.cmp.mom": {"zh": "环比", "en": "MoM"},
    "trends.cmp.yoy": {"zh": "同比", "en": "YoY"},
    "trends.range": {"zh": "时间范围", "en": "Period range"},
    "trends.one_period": {"zh": "只有一个周期：{period}", "en": "Only one period: {period}"},
    "trends.last_year": {"zh": "叠加去年同期", "en": "Overlay last year"},
    "trends.big": {"zh": "投影大字", "en": "Large type"},
    "trends.big_help": {"zh": "放大图表和文字，适合投影。", "en": "Bigger charts and text for a projector."},
    "trends.filters": {"zh": "筛选", "en": "Filters"},
    "trends.no_dimensions": {"zh": "这个指标没有可筛选的维度。", "en": "This metric has no dimensions to filter by."},
    "trends.all": {"zh": "全部", "en": "All"},
    "trends.no_data_metric": {"zh": "{metric} 没有可显示的周期。先导入数据。", "en": "{metric} has no periods to show. Import data first."},
    "trends.period_note": {
        "zh": "当前周期 **{period}**（按{grain}，在左侧边栏切换）：卡片和拆解都看这个周期。",
        "en": "Active period **{period}** (by {grain}; change it in the sidebar): the cards and the breakdown are for this period.",
    },
    "trends.vs_prev.month": {"zh": "环比上月", "en": "vs last month"},
    "trends.vs_prev.quarter": {"zh": "环比上季", "en": "vs previous quarter"},
    "trends.vs_prev.year": {"zh": "比上年", "en": "vs previous year"},
    "trends.ytd": {"zh": "年累计", "en": "Year to date"},
    "trends.ytd_avg": {"zh": "年内均值", "en": "Year-to-date average"},
    "trends.card_no_value": {"zh": "{period} 没有数据", "en": "No data for {period}"},
    "trends.partial_card": {"zh": "只有 {months}/{span} 个月的数据，尚不完整", "en": "Only {months} of {span} {span|month|months} so far: incomplete"},
    "trends.over_time": {"zh": "{metric} 走势", "en": "{metric} over time"},
    "trends.empty_filtered": {"zh": "{metric} 在当前筛选条件下没有数据。请放宽或清除筛选。", "en": "No {metric} data for these filters. Widen or clear the filters."},
    "trends.empty_metric": {"zh": "{metric} 还没有实际数据。", "en": "{metric} has no actual data yet."},
    "trends.empty_range": {"zh": "{first} 至 {last} 之间没有数据，请调整时间范围。", "en": "No data between {first} and {last}; widen the range."},
    "trends.too_short_mom": {"zh": "只有 {n} 个周期的数据：环比至少需要 2 个周期。", "en": "Only {n} {n|period|periods} of data: MoM needs 2."},
    "trends.too_short_yoy": {"zh": "只有 {n} 个{grain}的数据：同比至少需要 {need} 个{grain}。", "en": "Only {n} {n|period|periods} ({grain}) of data: YoY needs at least {need}."},
    "trends.partial_period": {
        "zh": "{period} 只有 {months}/{span} 个月的数据，是不完整的{grain}（图中空心点），不能直接和完整的{grain}比较。",
        "en": "{period} holds only {months} of {span} {span|month|months}: an incomplete {grain} (hollow point), not comparable with full ones.",
    },
    "trends.partial_breakdown": {
        "zh": "{period} 只有 {months}/{span} 个月的数据，和完整的上期比较没有意义：这里只显示各细分的数值与占比。要看变化，请按月查看，或在侧边栏选上一个完整周期。",
        "en": "{period} holds only {months} of {span} {span|month|months}, so a change against the full period before means nothing: only values and shares are shown. For the change, look by month or pick the last complete period in the sidebar.",
    },
    "trends.partial_short": {"zh": "周期尚不完整", "en": "period still in progress"},
    "trends.no_last_year": {"zh": "所选范围内没有去年同期的数据可叠加。", "en": "No last-year values in this range to overlay."},
    "trends.season.yes": {
        "zh": "是否季节性：**很可能是**。{period} {what} 环比 {mom}，去年同期环比 {ly_mom}，走势相近（同比 {yoy}）。",
        "en": "Seasonal? **Probably**: in {period} {what} moved {mom} on the period before, and {ly_mom} a year earlier (YoY {yoy}).",
    },
    "trends.season.not": {
        "zh": "是否季节性：**不是**。{period} {what} 环比 {mom}，而去年同期环比 {ly_mom}，走势不同（同比 {yoy}）。",
        "en": "Seasonal? **No**: in {period} {what} moved {mom} on the period before, but {ly_mom} a year earlier (YoY {yoy}).",
    },
    "trends.season.unknown": {
        "zh": "是否季节性：无法判断，{what} 缺少去年同期的数据（{period} 环比 {mom}）。",
        "en": "Seasonal? Can't tell: no data a year before {period} for {what} (it moved {mom} on the period before).",
    },
    "trends.data_table": {"zh": "数据表", "en": "Data table"},
    "trends.total": {"zh": "合计", "en": "Total"},
    "trends.col.period": {"zh": "周期", "en": "Period"},
    "trends.col.segment": {"zh": "细分", "en": "Segment"},
    "trends.col.value": {"zh": "数值", "en": "Value"},
    "trends.col.base_mom": {"zh": "上期", "en": "Previous period"},
    "trends.col.base_yoy": {"zh": "去年同期", "en": "Same period last year"},
    "trends.col.change": {"zh": "变化", "en": "Change"},
    "trends.col.share": {"zh": "占比", "en": "Share"},
    "trends.col.contribution": {"zh": "贡献度", "en": "Contribution"},
    "trends.col.expected": {"zh": "预期值", "en": "Expected"},
    "trends.col.reason": {"zh": "原因", "en": "Why"},
    "trends.breakdown_title": {"zh": "{period} 拆解：谁带来了变化", "en": "{period} breakdown: what drove the change"},
    "trends.pick_breakdown": {
        "zh": "在上方选择一个拆解维度（如区域、产品线），查看哪个细分带来了变化。",
        "en": "Pick a breakdown dimension above (region, product line …) to see which segment drove the change.",
    },
    "trends.breakdown_empty": {"zh": "{period} 没有可拆解的数据。", "en": "No data to break down in {period}."},
    "trends.no_comparison": {"zh": "这个周期没有可{cmp}比较的数据。", "en": "No {cmp} comparison data for this period."},
    "trends.driver": {
        "zh": "**{period} {metric}{cmp}变化 {total}（{pct}）**，主要来自 **{segment}**：{change}，贡献了变化的 {share}。",
        "en": "**In {period}, {metric} moved {total} ({pct}) {cmp}**: **{segment}** moved {change} and explains {share} of the change.",
    },
    "trends.driver_rate": {
        "zh": "**{period} {metric}{cmp}**：变化最大的是 **{segment}**，{change}。",
        "en": "**In {period}, {metric} {cmp}**: the biggest move is **{segment}**, {change}.",
    },
    "trends.value_share": {"zh": "各{dim}的数值与占比", "en": "Value and share by {dim}"},
    "trends.colors": {"zh": "绿色：{cmp}向好；红色：{cmp}变差（按指标方向：{direction}）。", "en": "Green: better {cmp}; red: worse {cmp} (by the metric's direction: {direction})."},
    "trends.change_contribution": {"zh": "各细分的{cmp}变化与贡献度", "en": "{cmp} change and contribution by segment"},
    "trends.movers_up": {"zh": "上升最多", "en": "Top movers up"},
    "trends.movers_down": {"zh": "下降最多", "en": "Top movers down"},
    "trends.segments_over_time": {"zh": "各{dim}走势（红圈为异常点）", "en": "Each {dim} over time (red circles: anomalies)"},
    "trends.breakdown_table": {"zh": "拆解数据表", "en": "Breakdown table"},
    "trends.anomalies": {"zh": "异常点", "en": "Anomalies"},
    "trends.z": {"zh": "偏离阈值（标准差倍数）", "en": "Threshold (standard deviations)"},
    "trends.z_help": {
        "zh": "一个点偏离自身近 12 期走势（有一年以上数据时看同比增速）超过这个倍数的标准差，就标为异常。",
        "en": "A point is flagged when it breaks from its own last 12 periods (its YoY growth once a year of history exists) by more than this many standard deviations.",
    },
    "trends.momt": {"zh": "环比突变阈值", "en": "MoM jump threshold"},
    "trends.momt_help": {"zh": "环比变化超过这个幅度也标为异常；选“关闭”则不用。", "en": "Also flag a MoM change beyond this; 'off' disables it."},
    "trends.off": {"zh": "关闭", "en": "off"},
    "trends.no_anomalies": {"zh": "{first} 至 {last} 没有发现异常点。", "en": "No anomalies between {first} and {last}."},
    "trends.anomaly.yoy": {"zh": "偏离自身的同比增速趋势（z = {z}），不是季节性波动", "en": "breaks from its own YoY growth trend (z = {z}): not seasonal"},
    "trends.anomaly.zscore": {"zh": "偏离近 12 期的均值（z = {z}）", "en": "far from its last 12 periods' average (z = {z})"},
    "trends.anomaly.mom": {"zh": "环比 {mom}，超过 ±{threshold}", "en": "MoM {mom}, beyond ±{threshold}"},
    "trends.retention": {"zh": "客户留存（按首购月份分组）", "en": "Customer retention (cohorts by first purchase month)"},
    "trends.retention_empty": {"zh": "当前筛选下没有带客户编号的交易数据。", "en": "No transactions with customer IDs for these filters."},
    "trends.retention_help": {
        "zh": "每一行是在该月首次购买的客户，每一列是之后第 N 个月仍在购买的比例。",
        "en": "Each row: the customers who first bought in that month; each column: the share still buying N months later.",
    },
    "trends.retention_trend": {"zh": "次月留存率趋势（各月新客在下个月的留存）", "en": "Month-1 retention trend (each cohort's retention one month later)"},
    # ---- what the cohorts measure, beside the retention rate a workbook reports (retro.metrics.cohorts)
    "cohort.measures": {
        "zh": "按订单明细计算的复购：每一行是当月第一次下单的新客户（括号里是人数，即当月的新客户数），每一格是其中第 N 个月又下单的比例。"
              "它和工作簿导入的留存率不是同一个数：那是源表按自己的口径报的（如老客户留存、续约），这里只看新客户之后有没有再下单，所以通常低得多。",
        "en": "Repeat buying, counted from the order rows: each row is the customers who bought for the first time that month (how many in brackets: the month's new customers), "
              "each cell the share of them who ordered again N months later. It is not the retention rate a workbook reports: that is the source's own figure, by its own "
              "definition (customers kept, contracts renewed); this only asks whether new customers order again, so it is usually far lower.",
    },
    "cohort.kpi_note": {"zh": "工作簿导入的数，按源表的口径；新客户之后有没有再下单，见下方「客户留存」。",
                        "en": "As the workbook reports it, by its own definition; whether new customers order again: see Customer retention below."},
    "cohort.row": {"zh": "{cohort}（{size} 人）", "en": "{cohort} ({size} new)"},
    "cohort.size": {"zh": "新客户数（首购当月）", "en": "New customers (cohort size)"},
    "trends.notes": {"zh": "备注", "en": "Notes"},
    "trends.notes_help": {
        "zh": "给 {metric} 的某个周期加一条备注（如“促销活动上线”），它会显示在这个指标的所有图表上。",
        "en": "Add a note to a period of {metric} (e.g. “promotion launched”); it shows on every chart of this metric.",
    },
    "trends.note_period": {"zh": "周期", "en": "Period"},
    "trends.note_text": {"zh": "备注内容", "en": "Note"},
    "trends.note_placeholder": {"zh": "例如：竞品降价，华东流失大客户", "en": "e.g. competitor price cut in East China"},
    "trends.note_add": {"zh": "添加备注", "en": "Add note"},
    "trends.note_empty": {"zh": "备注不能为空。", "en": "The note is empty."},
    "trends.note_added": {"zh": "已在 {period} 添加备注。", "en": "Note added to {period}."},
    "trends.no_notes": {"zh": "这个指标还没有备注。", "en": "No notes on this metric yet."},
    "trends.note_delete": {"zh": "删除", "en": "Delete"},
    "trends.download_csv": {"zh": "下载 CSV", "en": "Download CSV"},
    "trends.download_xlsx": {"zh": "下载 Excel", "en": "Download Excel"},
    "charts.period": {"zh": "周期", "en": "Period"},
    "charts.actual": {"zh": "实际", "en": "Actual"},
    "charts.last_year": {"zh": "去年同期", "en": "Last year"},
    "charts.plan": {"zh": "计划", "en": "Plan"},
    "charts.series": {"zh": "系列", "en": "Series"},
    "charts.partial": {"zh": "不完整周期（月份不全）", "en": "incomplete period (not all months in)"},
    "charts.note": {"zh": "备注", "en": "Note"},
    "charts.anomaly": {"zh": "异常", "en": "Anomaly"},
    "charts.share": {"zh": "占比", "en": "Share"},
    "charts.change": {"zh": "变化", "en": "Change"},
    "charts.tone.good": {"zh": "向好", "en": "better"},
    "charts.tone.bad": {"zh": "变差", "en": "worse"},
    "charts.tone.flat": {"zh": "持平", "en": "flat"},
    "charts.change_mom": {"zh": "环比变化", "en": "Change MoM"},
    "charts.change_yoy": {"zh": "同比变化", "en": "Change YoY"},
    "charts.contribution": {"zh": "贡献度", "en": "Contribution"},
    "charts.explains": {"zh": "贡献 {pct}", "en": "explains {pct}"},
    "charts.offsets": {"zh": "抵消 {pct}", "en": "offsets {pct}"},
    "charts.age": {"zh": "首购后第 N 个月", "en": "Months since first purchase"},
    "charts.cohort": {"zh": "首购月份", "en": "First purchase month"},
    "charts.retention": {"zh": "留存率", "en": "Retention"},
    "charts.active": {"zh": "仍在购买的客户", "en": "Customers still buying"},
    "charts.cohort_size": {"zh": "首购客户数", "en": "Cohort size"},
    "charts.month1_retention": {"zh": "次月留存率", "en": "Month-1 retention"},
    "metrics.intro": {
        "zh": "每个导入的指标都会自动登记。在这里改中英文名称、单位、汇总方式、方向（越高越好还是越低越好）、分类和显示格式，合并同一个指标的不同叫法，或定义派生指标。",
        "en": "Every imported metric is registered automatically. Rename it (中文 and English), set its unit, aggregation, direction (is higher better?), category and format, merge two names of the same KPI, or define derived metrics.",
    },
    "metrics.catalog": {"zh": "指标目录", "en": "Catalog"},
    "metrics.col.name": {"zh": "原始名称", "en": "Name"},
    "metrics.col.label_zh": {"zh": "中文名称", "en": "中文 label"},
    "metrics.col.label_en": {"zh": "英文名称", "en": "English label"},
    "metrics.col.unit": {"zh": "单位", "en": "Unit"},
    "metrics.col.aggregation": {"zh": "汇总方式", "en": "Aggregation"},
    "metrics.col.direction": {"zh": "方向", "en": "Direction"},
    "metrics.col.category": {"zh": "分类", "en": "Category"},
    "metrics.col.number_format": {"zh": "数字格式", "en": "Number format"},
    "metrics.col.hidden": {"zh": "隐藏", "en": "Hidden"},
    "metrics.col.source": {"zh": "来源", "en": "Source"},
    "metrics.col.why": {"zh": "默认值的依据", "en": "Where the defaults came from"},
    "metrics.help.why": {"zh": "方向和汇总方式是怎么定的：按名称、单位或数据所在的标题推断，或由你设置。你的设置不会被之后的导入改掉。",
                         "en": "How the direction and the aggregation were chosen: from the name, the unit or the heading the data sits under, or by you. A later import never changes what you set."},
    "metrics.why.name": {"zh": "{value}：名称含“{word}”", "en": "{value}: the name says {word}"},
    "metrics.why.unit": {"zh": "{value}：单位是 {word}", "en": "{value}: the unit is {word}"},
    "metrics.why.dims": {"zh": "{value}：数据都在“{word}”下（{where}）", "en": "{value}: all its rows are under “{word}” ({where})"},
    "metrics.why.sheet": {"zh": "{value}：来自工作表“{word}”", "en": "{value}: it comes from the sheet “{word}”"},
    "metrics.why.column": {"zh": "{value}：列在“{word}”下", "en": "{value}: listed under “{word}”"},
    "metrics.why.default_direction": {"zh": "{value}：名称里没有说明越低越好的词", "en": "{value}: nothing in the name says lower is better"},
    "metrics.why.default_aggregation": {"zh": "{value}：金额和数量可以相加", "en": "{value}: amounts and counts add up"},
    "metrics.why.user": {"zh": "{value}：由你设置", "en": "{value}: set by you"},
    "metrics.why.kept": {"zh": "{value}：沿用之前的设置", "en": "{value}: kept as it was set before"},
    "metrics.absent": {"zh": "这些指标现在没有数据（导入已撤销），你对它们的设置会保留，数据再导入时继续生效：{names}",
                       "en": "No data has these metrics now (their import was undone); your settings on them are kept and apply again when their data is imported: {names}"},
    "metrics.help.aggregation": {"zh": "比率、得分、均值用“平均”，金额和数量用“求和”。比率永远不会跨细分或月份相加。", "en": "Rates, scores and averages are averaged; amounts and counts are summed. A rate is never added up across segments or months."},
    "metrics.help.direction": {"zh": "成本、流失、投诉这类指标是越低越好：上升时显示为红色。", "en": "Cost, churn and complaints are better low: a rise shows red."},
    "metrics.save": {"zh": "保存修改", "en": "Save changes"},
    "metrics.saved": {"zh": "已保存 {n} 项修改。", "en": "Saved {n} {n|change|changes}."},
    "metrics.nothing_changed": {"zh": "没有需要保存的修改。", "en": "Nothing to save: no cell was changed."},
    "metrics.save_failed": {"zh": "{metric} 的“{field}”没有保存：{error}", "en": "{metric}: “{field}” was not saved: {error}"},
    "metrics.err.value": {"zh": "取值无效", "en": "not an allowed value"},
    "metrics.err.unknown": {"zh": "这个指标不存在（可能刚被撤销导入）", "en": "this metric no longer exists (an import may have been undone)"},
    "metrics.agg.sum": {"zh": "求和", "en": "sum"},
    "metrics.agg.avg": {"zh": "平均", "en": "average"},
    "metrics.dir.up": {"zh": "越高越好", "en": "higher is better"},
    "metrics.dir.down": {"zh": "越低越好", "en": "lower is better"},
    "metrics.cat.revenue": {"zh": "收入", "en": "revenue"},
    "metrics.cat.growth": {"zh": "增长", "en": "growth"},
    "metrics.cat.retention": {"zh": "留存", "en": "retention"},
    "metrics.cat.satisfaction": {"zh": "满意度", "en": "satisfaction"},
    "metrics.cat.cost": {"zh": "成本", "en": "cost"},
    "metrics.cat.efficiency": {"zh": "效率", "en": "efficiency"},
    "metrics.cat.other": {"zh": "其他", "en": "other"},
    "metrics.fmt.auto": {"zh": "自动", "en": "automatic"},
    "metrics.fmt.number": {"zh": "完整数字", "en": "full number"},
    "metrics.fmt.percent": {"zh": "百分比", "en": "percent"},
    "metrics.fmt.integer": {"zh": "整数", "en": "integer"},
    "metrics.src.facts": {"zh": "KPI 表", "en": "KPI sheet"},
    "metrics.src.transactions": {"zh": "交易明细", "en": "transactions"},
    "metrics.src.derived": {"zh": "派生", "en": "derived"},
    "metrics.merge": {"zh": "合并同一个指标的不同叫法", "en": "Merge two names of the same KPI"},
    "metrics.merge_help": {
        "zh": "不同文件里的同一个 KPI 可能叫法不同（如“营业收入”和“销售额”）。合并后，它的数值都算作目标指标的。",
        "en": "The same KPI can carry different headers across files (营业收入 and 销售额). Once merged, its values count as the target's.",
    },
    "metrics.merge_source": {"zh": "指标", "en": "Metric"},
    "metrics.merge_target": {"zh": "和这个指标是同一个", "en": "is the same KPI as"},
    "metrics.pick": {"zh": "选择指标", "en": "Choose a metric"},
    "metrics.merge_button": {"zh": "合并", "en": "Merge"},
    "metrics.merged": {"zh": "已把 {source} 合并到 {target}。", "en": "{source} now counts as {target}."},
    "metrics.merge_same": {"zh": "请选择两个不同的指标。", "en": "Choose two different metrics."},
    "metrics.merge_failed": {"zh": "无法合并：{error}", "en": "Could not merge: {error}"},
    "metrics.merged_list": {"zh": "已合并的指标", "en": "Merged metrics"},
    "metrics.no_merged": {"zh": "还没有合并过指标。", "en": "No merged metrics."},
    "metrics.merged_row": {"zh": "{source} → 计入 {target}", "en": "{source} → counts as {target}"},
    "metrics.unmerge": {"zh": "取消合并", "en": "Unmerge"},
    "metrics.unmerged": {"zh": "{source} 已恢复为独立指标。", "en": "{source} is a metric of its own again."},
    "metrics.derived": {"zh": "派生指标", "en": "Derived metrics"},
    "metrics.derived_help": {
        "zh": "由已有指标计算：比率（转化率 = 订单数 ÷ 访问数）、差值（利润 = 收入 − 成本）、增长率。先汇总各组成部分再计算，不会对比率求平均。",
        "en": "Computed from other metrics: ratio (conversion = orders ÷ visits), difference (profit = revenue − cost), growth rate. The parts are aggregated first, then combined; ratios are never averaged.",
    },
    "metrics.derived_name": {"zh": "名称", "en": "Name"},
    "metrics.derived_kind": {"zh": "类型", "en": "Kind"},
    "metrics.derived_first": {"zh": "第一个指标（分子 / 被减数）", "en": "First metric (numerator / minuend)"},
    "metrics.derived_second": {"zh": "第二个指标（分母 / 减数）", "en": "Second metric (denominator / subtrahend)"},
    "metrics.derived_none": {"zh": "（无）", "en": "(none)"},
    "metrics.derived_unit": {"zh": "单位（比率默认为 %）", "en": "Unit (a ratio defaults to %)"},
    "metrics.derived_add": {"zh": "添加派生指标", "en": "Add derived metric"},
    "metrics.derived_added": {"zh": "已添加派生指标 {name}。", "en": "Added the derived metric {name}."},
    "metrics.derived_deleted": {"zh": "已删除派生指标 {name}。", "en": "Deleted the derived metric {name}."},
    "metrics.derived_delete": {"zh": "删除", "en": "Delete"},
    "metrics.no_derived": {"zh": "还没有派生指标。", "en": "No derived metrics yet."},
    "metrics.kind.ratio": {"zh": "比率 A ÷ B", "en": "ratio A ÷ B"},
    "metrics.kind.difference": {"zh": "差值 A − B", "en": "difference A − B"},
    "metrics.kind.growth": {"zh": "增长率（A 较上期）", "en": "growth of A on the period before"},
    "metrics.err.name_required": {"zh": "请填写派生指标的名称。", "en": "Give the derived metric a name."},
    "metrics.err.second_required": {"zh": "比率和差值需要第二个指标。", "en": "A ratio or a difference needs a second metric."},
    "metrics.err.name_taken": {"zh": "已经有名为 {name} 的指标。", "en": "A metric named {name} already exists."},
    "metrics.err.same_metric": {"zh": "两个组成指标不能相同。", "en": "The two metrics must differ."},
    "metrics.err.failed": {"zh": "没有保存：{error}", "en": "Not saved: {error}"},
    # ---- goals page
    "goals.intro": {
        "zh": "计划完成了吗？每个 KPI 的计划值、实际值、达成率和偏差率，红色在前。综合得分是达成率的加权平均，单项封顶（默认 120%），超额的指标仍会把它拉高；所以只要有一个 KPI 未达标，综合得分就不显示为达标，旁边写明几个未达标。",
        "en": "Did we hit the plan? Plan, actual, attainment and deviation for every KPI, red first. The overall score is the weighted mean of attainment, each KPI capped (120% by default), so a KPI beyond plan still lifts it; that is why the overall is never shown green while any KPI is red, and the number of red KPIs stands beside it.",
    },
    "goals.no_data": {"zh": "还没有数据：先导入一个带计划或目标的工作簿。", "en": "No data yet: import a workbook with plans or targets first."},
    "goals.grain": {"zh": "周期粒度", "en": "Grain"},
    "goals.period": {"zh": "复盘周期", "en": "Review period"},
    "goals.period_help": {"zh": "默认跟随侧边栏的当前周期。", "en": "Follows the sidebar's active period unless you pick another."},
    "goals.by": {"zh": "按维度", "en": "By"},
    "goals.by_none": {"zh": "（总体）", "en": "(total)"},
    "goals.forecast": {"zh": "期末预测", "en": "Forecast"},
    "goals.forecast.straight": {"zh": "直线外推", "en": "straight-line"},
    "goals.forecast.seasonal": {"zh": "按去年季节性", "en": "by last year's seasonality"},
    "goals.forecast_help": {
        "zh": "周期尚未结束时如何预测期末值：直线外推按已过月份的平均值；按去年季节性按去年同期各月的占比（去年数据不全时改用直线外推）。",
        "en": "How a period still in progress is forecast to its end: straight-line from the months so far, or by the share last year's same months had (straight-line when last year is incomplete).",
    },
    "goals.overall": {"zh": "综合得分", "en": "Overall score"},
    "goals.overall_help": {
        "zh": "各 KPI 达成率的加权平均（权重自动归一），每项先封顶（默认 120%）、最低为 0；计划为 0 或负数的指标不计入。≥ 100% 为达标、≥ 90% 为预警、以下为未达标——但只要有 KPI 未达标，综合最多为预警。",
        "en": "Weighted mean of the KPIs' attainment (weights normalised), each capped (120% by default) and floored at 0; KPIs with a zero or negative plan are left out. Green at 100% or more, amber at 90% or more, red below — but amber at best while any KPI is red.",
    },
    "goals.points": {"zh": "{n} 个百分点（环比）", "en": "{n} {n|pt|pts} vs prior"},
    "goals.without_target_help": {"zh": "有实际值但没有计划的指标：显示为“无目标”，不算 0%。", "en": "KPIs with actuals but no plan: shown as “no target”, never as 0%."},
    "goals.in_progress": {
        "zh": "{period} 尚未结束：实际数据只覆盖 {months}/{total} 个月。表中的计划与实际都是截至目前的数，期末预测用{method}。",
        "en": "{period} is still in progress: actuals cover {months} of {total} {total|month|months}. Plan and actual below are to date; the period-end forecast is {method}.",
    },
    "goals.like_for_like": {
        "zh": "部分指标本期数据不全，计划与实际只比较双方都有的分组和天数：{items}",
        "en": "Some KPIs are incomplete this period; plan and actual compare only the segments and days both hold: {items}",
    },
    "goals.no_targets": {
        "zh": "{period} 没有任何计划或目标。可以在下方“目标设定”中录入。",
        "en": "No plan or target for {period}. Enter targets under “Targets” below.",
    },
    "goals.by_segment": {"zh": "各{dim}综合得分", "en": "Overall score by {dim}"},
    "goals.scorecard": {"zh": "{period} KPI 计分卡", "en": "{period} KPI scorecard"},
    "goals.show_untargeted": {"zh": "显示没有目标的指标", "en": "Show KPIs without a target"},
    "goals.show_untargeted_help": {"zh": "有实际值、没有计划的指标显示为“无目标”，不参与评分。", "en": "KPIs with actuals but no plan show as “no target” and are not scored."},
    "goals.total": {"zh": "总体", "en": "Total"},
    "goals.nothing": {"zh": "{period} 没有可评分的指标。", "en": "Nothing to score for {period}."},
    "goals.table_help": {
        "zh": "点击列标题可排序。达成率：越高越好的指标为实际÷计划，越低越好（成本、流失、投诉）为计划÷实际。状态：≥100% 绿，≥90% 黄，其余红（阈值可按指标修改）。",
        "en": "Click a header to sort. Attainment is actual ÷ plan, or plan ÷ actual for lower-is-better KPIs (cost, churn, complaints). Status: green ≥ 100%, amber ≥ 90%, red below (thresholds per metric).",
    },
    "goals.status.green": {"zh": "达标", "en": "green"},
    "goals.status.amber": {"zh": "预警", "en": "amber"},
    "goals.status.red": {"zh": "未达标", "en": "red"},
    "goals.status.no_target": {"zh": "无目标", "en": "no target"},
    "goals.status.no_actual": {"zh": "无实际值", "en": "no actual yet"},
    "goals.status.incomplete": {"zh": "数据不全", "en": "incomplete"},
    "goals.col.status": {"zh": "状态", "en": "Status"},
    "goals.col.metric": {"zh": "目标指标", "en": "Metric"},
    "goals.col.segment": {"zh": "细分", "en": "Segment"},
    "goals.col.plan": {"zh": "计划值", "en": "Plan"},
    "goals.col.plan_help": {"zh": "导入的计划，或手动录入的目标（手动优先）。", "en": "The imported plan, or the target entered here (which wins)."},
    "goals.col.actual": {"zh": "实际值", "en": "Actual"},
    "goals.col.attainment": {"zh": "达成率", "en": "Attainment"},
    "goals.col.attainment_help": {"zh": "越高越好：实际÷计划；越低越好：计划÷实际。", "en": "Higher is better: actual ÷ plan; lower is better: plan ÷ actual."},
    "goals.col.deviation": {"zh": "偏差率", "en": "Deviation"},
    "goals.col.deviation_help": {"zh": "（实际 − 计划）÷ |计划|。", "en": "(actual − plan) ÷ |plan|."},
    "goals.col.trend": {"zh": "环比", "en": "vs prior"},
    "goals.col.trend_help": {"zh": "实际值较上一周期的变化；绿色向好，红色变差。", "en": "The actual's change on the period before; green is better, red worse."},
    "goals.col.weight": {"zh": "权重", "en": "Weight"},
    "goals.col.score": {"zh": "得分", "en": "Score"},
    "goals.col.score_help": {"zh": "计入综合得分的达成率：封顶、最低为 0。", "en": "The attainment counted in the overall score: capped, floored at 0."},
    "goals.col.owner": {"zh": "负责人", "en": "Owner"},
    "goals.col.note": {"zh": "说明", "en": "Note"},
    "goals.col.drill": {"zh": "趋势图", "en": "Trend"},
    "goals.col.unit": {"zh": "单位", "en": "Unit"},
    "goals.col.breakdown": {"zh": "拆解", "en": "Breakdown"},
    "goals.open_trend": {"zh": "看趋势 ↗", "en": "trend ↗"},
    "goals.open_breakdown": {"zh": "看拆解 ↗", "en": "breakdown ↗"},
    "goals.reason.zero_plan": {"zh": "计划为 0，达成率无意义，按是否达到计划判断", "en": "plan is 0: no attainment %, judged by whether the plan was met"},
    "goals.reason.negative_plan": {"zh": "计划为负数（如计划亏损），达成率无意义，按偏差率判断", "en": "plan is negative (a planned loss): no attainment %, judged by the deviation"},
    "goals.reason.zero_actual": {"zh": "实际为 0，优于任何正数计划，按封顶计分", "en": "actual is 0: better than any positive plan, scored at the cap"},
    "goals.reason.negative_actual": {"zh": "实际为负数，优于计划，按封顶计分", "en": "actual is negative: better than the plan, scored at the cap"},
    "goals.reason.no_target": {"zh": "无目标", "en": "no target"},
    "goals.reason.no_actual": {"zh": "无实际值", "en": "no actual yet"},
    "goals.reason.incomplete": {"zh": "数据不全，按设置本期不计分", "en": "incomplete: not scored, as set"},
    "goals.reason.no_target_segment": {"zh": "计划没有按{dim}拆分", "en": "the plan is not split by {dim}"},
    "goals.capped": {"zh": "超过封顶 {cap}，按封顶计分", "en": "above the {cap} cap: scored at the cap"},
    "goals.note.seasonal_fallback": {"zh": "去年数据不全，改为平均分摊/直线外推", "en": "last year incomplete: paced evenly / forecast straight-line"},
    "goals.note.over_allocated": {"zh": "下级目标之和已超过本期目标", "en": "the months' own targets exceed this period's target"},
    "goals.note.mismatch": {"zh": "各月目标之和与本期目标不一致", "en": "the months' targets do not add up to this period's target"},
    "goals.needs_analysis": {"zh": "需要分析原因的指标", "en": "Needs a cause analysis"},
    "goals.needs_help": {
        "zh": "偏差超过预警线（默认 ±10%，复盘模板要求做原因分析的标准）的指标，超额完成的也列出，便于总结经验。「记录问题」把它记入本期复盘，带上指标、维度和周期。",
        "en": "KPIs whose deviation is beyond the amber band (±10% by default, the review template's rule for a cause analysis); over-achievement is listed too, to learn from. “Log a problem” adds it to this period's review with its metric, segment and period.",
    },
    "goals.needs_none": {"zh": "{period} 所有有目标的指标偏差都在预警线以内。", "en": "Every KPI with a target is within its amber band in {period}."},
    "goals.needs_row": {
        "zh": "{dot} **{what}**：偏差 {deviation}，{side}（计划 {plan}，实际 {actual}）— {verdict}",
        "en": "{dot} **{what}**: deviation {deviation}, {side} (plan {plan}, actual {actual}) — {verdict}",
    },
    "goals.side.below": {"zh": "低于计划", "en": "below plan"},
    "goals.side.above": {"zh": "高于计划", "en": "above plan"},
    "goals.side.missed": {"zh": "未达到计划", "en": "plan missed"},
    "goals.verdict.good": {"zh": "好于计划，总结经验", "en": "better than plan: what worked?"},
    "goals.verdict.bad": {"zh": "差于计划，分析原因", "en": "worse than plan: find the cause"},
    "goals.pacing": {"zh": "{period} 进度与期末预测", "en": "{period} pacing and forecast"},
    "goals.pacing_help": {
        "zh": "截至目前的实际值对比同期计划；期末预测用{method}；预测达到计划为“进度正常”，否则“有风险”。“剩余月均需完成”是完成全期计划还需要的每月平均值。",
        "en": "Actual to date against the plan for the same months; the forecast is {method}; on track when the forecast meets the plan, else at risk. “Needed per month” is what each remaining month must bring to meet the full plan.",
    },
    "goals.col.actual_to_date": {"zh": "截至目前实际", "en": "Actual to date"},
    "goals.col.plan_to_date": {"zh": "截至目前计划", "en": "Plan to date"},
    "goals.col.plan_full": {"zh": "全期计划", "en": "Full-period plan"},
    "goals.col.forecast": {"zh": "期末预测", "en": "Forecast"},
    "goals.col.forecast_attainment": {"zh": "预测达成率", "en": "Forecast attainment"},
    "goals.col.pace": {"zh": "进度", "en": "Pace"},
    "goals.col.needed": {"zh": "剩余月均需完成", "en": "Needed per month"},
    "goals.pace.on_track": {"zh": "进度正常", "en": "on track"},
    "goals.pace.at_risk": {"zh": "有风险", "en": "at risk"},
    "goals.charts": {"zh": "计划与实际", "en": "Plan vs actual"},
    "goals.bullets": {"zh": "{period} 子弹图：实际占计划的百分比", "en": "{period} bullet chart: actual as a share of plan"},
    "goals.bullet_axis": {"zh": "实际 ÷ 计划", "en": "Actual ÷ plan"},
    "goals.bullets_help": {
        "zh": "深色条为实际，黑线为计划（100%），底色为红/黄/绿区间；越低越好的指标，绿区在左边。",
        "en": "Dark bar: actual; black line: plan (100%); background: the red / amber / green bands. For lower-is-better KPIs the green band is on the left.",
    },
    "goals.bullets_forecast": {"zh": "紫色菱形为期末预测占全期计划的比例。", "en": "Purple diamond: the forecast as a share of the full-period plan."},
    "goals.bullets_empty": {"zh": "这个周期没有可画子弹图的指标（需要正数计划和实际值）。", "en": "No KPI to draw here (a bullet needs a positive plan and an actual)."},
    "goals.year_metric": {"zh": "全年累计：指标", "en": "Year to date: metric"},
    "goals.year_cumulative": {"zh": "{year} 年 {segment} {metric}：累计计划与累计实际", "en": "{year} {segment} {metric}: cumulative plan vs actual"},
    "goals.year_rate": {"zh": "{year} 年 {segment} {metric}：各月计划与实际（比率不累加）", "en": "{year} {segment} {metric}: monthly plan vs actual (a rate is not added up)"},
    "goals.year_empty": {"zh": "{year} 年没有这个指标的计划或实际。", "en": "No plan or actual for this metric in {year}."},
    "goals.month_of": {"zh": "{year} 年月份", "en": "Month of {year}"},
    "goals.series.plan": {"zh": "计划", "en": "Plan"},
    "goals.series.actual": {"zh": "实际", "en": "Actual"},
    "goals.col.period": {"zh": "周期", "en": "Period"},
    "goals.col.value": {"zh": "数值", "en": "Value"},
    "goals.owners": {"zh": "按负责人计分", "en": "Scorecard by owner"},
    "goals.owners_none": {"zh": "还没有给目标指定负责人：在下方“目标设定”中填写负责人后，这里会按人汇总得分。", "en": "No target has an owner yet: fill in owners under “Targets” below to see a score per owner."},
    "goals.col.kpis": {"zh": "指标数", "en": "KPIs"},
    "goals.col.owned": {"zh": "负责的指标", "en": "Owns"},
    "goals.export": {"zh": "成果复盘分析表", "en": "Outcome review table"},
    "goals.export_help": {
        "zh": "按复盘模板导出：目标指标 · 计划值 · 实际值 · 达成率 · 偏差原因 · 经验/教训。这里后两列留空供会上填写；「导出报告」页的同一张表会填入本期复盘记录的原因和经验。",
        "en": "Exported as the review template's table: metric · plan · actual · attainment · cause of deviation · lesson. Here the last two are left empty to fill in; the same table on the Export report page fills them from this period's review.",
    },
    "goals.download_xlsx": {"zh": "下载 Excel", "en": "Download Excel"},
    "goals.download_csv": {"zh": "下载 CSV", "en": "Download CSV"},
    "goals.export.col.metric": {"zh": "目标指标", "en": "Target metric"},
    "goals.export.col.plan": {"zh": "计划值", "en": "Plan"},
    "goals.export.col.actual": {"zh": "实际值", "en": "Actual"},
    "goals.export.col.attainment": {"zh": "达成率", "en": "Attainment"},
    "goals.export.col.cause": {"zh": "偏差原因", "en": "Cause of deviation"},
    "goals.export.col.lesson": {"zh": "经验/教训", "en": "Lesson"},
    "goals.export.to_date": {"zh": "（截至目前 {months}/{total} 个月）", "en": " (to date, {months} of {total} {total|month|months})"},
    "goals.targets": {"zh": "目标设定", "en": "Targets"},
    "goals.targets_help": {
        "zh": "导入的计划自动成为目标；在这里录入或修改的目标优先于导入的计划，保存时一次写入，修改和删除都有记录、可恢复。",
        "en": "Imported plans are targets automatically; a target entered here wins over the imported plan. Saves are all-or-nothing, and every change and delete is logged and can be restored.",
    },
    "goals.actor": {"zh": "修改人（记入修改记录，可不填）", "en": "Your name (for the change log, optional)"},
    "goals.actor_placeholder": {"zh": "例如：李四", "en": "e.g. Li Si"},
    "goals.tab.view": {"zh": "{period} 的目标", "en": "Targets of {period}"},
    "goals.tab.smart": {"zh": "设定下期目标", "en": "Set next period's target"},
    "goals.tab.all": {"zh": "全部手动目标", "en": "All targets set here"},
    "goals.tab.settings": {"zh": "权重与阈值", "en": "Weights and thresholds"},
    "goals.tab.log": {"zh": "修改记录", "en": "Change log"},
    "goals.view_help": {
        "zh": "改“目标值”即覆盖导入的计划；或填“较去年同期”按去年实际自动换算。季度/年度目标按所选方式分摊到各月。只填负责人或截止日期不会改变计划值。",
        "en": "Typing a target replaces the imported plan; or fill “vs last year” to derive it from last year's actual. Quarterly and yearly targets are paced into months as chosen. An owner or deadline alone leaves the plan as it is.",
    },
    "goals.col.source": {"zh": "来源", "en": "Source"},
    "goals.col.source_help": {"zh": "导入：来自导入的计划；手动：在这里录入；分摊：由季度/年度目标分摊；合计：由各月目标相加。", "en": "Imported plan; set here; paced from a quarterly/yearly target; or the sum of the months' targets."},
    "goals.source.user": {"zh": "手动", "en": "set here"},
    "goals.source.import": {"zh": "导入", "en": "imported"},
    "goals.source.paced": {"zh": "分摊", "en": "paced"},
    "goals.source.sum": {"zh": "各月合计", "en": "sum of months"},
    "goals.stored.user": {"zh": "手动目标", "en": "target"},
    "goals.stored.import": {"zh": "沿用导入计划", "en": "imported plan kept"},
    "goals.col.target": {"zh": "目标值", "en": "Target"},
    "goals.col.target_help": {
        "zh": "按指标的单位填写：万元指标写 1200 或 1200万；百分比指标写 15%。",
        "en": "In the metric's unit: 1200 or 1200万 for a 万元 metric; 15% for a rate.",
    },
    "goals.col.vs_last_year": {"zh": "较去年同期", "en": "vs last year"},
    "goals.col.vs_last_year_help": {"zh": "例如 20 表示比去年同期实际高 20%，保存时换算成数值。", "en": "e.g. 20 means 20% above last year's actual for the same period; turned into a number when saved."},
    "goals.col.deadline": {"zh": "截止日期", "en": "Deadline"},
    "goals.col.pacing": {"zh": "分摊方式", "en": "Pacing"},
    "goals.col.pacing_help": {"zh": "季度/年度目标如何分到各月：平均分摊，或按去年各月的实际占比。", "en": "How a quarterly or yearly target is spread over its months: evenly, or by last year's monthly shares."},
    "goals.pacing.even": {"zh": "平均分摊", "en": "evenly"},
    "goals.pacing.seasonal": {"zh": "按去年季节性", "en": "by last year's seasonality"},
    "goals.save": {"zh": "保存", "en": "Save"},
    "goals.saved": {"zh": "已保存 {n} 项。", "en": "Saved {n} {n|change|changes}."},
    "goals.nothing_changed": {"zh": "没有需要保存的修改。", "en": "Nothing to save: no cell was changed."},
    "goals.save_failed": {"zh": "{what} 没有保存：{error}", "en": "{what} was not saved: {error}"},
    "goals.err.unknown_metric": {"zh": "没有指标 {metric}", "en": "there is no metric {metric}"},
    "goals.err.bad_period": {"zh": "周期 {period} 无法识别，请用 2026-10、2026-Q3 或 2026", "en": "{period} is not a period; use 2026-10, 2026-Q3 or 2026"},
    "goals.err.one_dimension": {"zh": "一个目标只能按一个维度拆分", "en": "a target can name one dimension at most"},
    "goals.err.bad_pacing": {"zh": "分摊方式无效", "en": "not a pacing"},
    "goals.err.bad_source": {"zh": "来源无效", "en": "not a source"},
    "goals.err.bad_incomplete": {"zh": "“数据不全也计分”的设置无效", "en": "not a choice for incomplete periods"},
    "goals.err.text_too_long": {"zh": "文字太长（负责人最多 {limit} 个字）", "en": "text too long (owner at most {limit} characters)"},
    "goals.err.bad_deadline": {"zh": "截止日期无效", "en": "not a date"},
    "goals.err.bad_value": {"zh": "“{value}”不是数字", "en": "“{value}” is not a number"},
    "goals.err.value_required": {"zh": "请填写目标值或较去年同期的百分比", "en": "give a target or a change on last year"},
    "goals.err.no_last_year": {"zh": "{metric} 没有完整的去年同期（{period}）实际值，无法按去年换算", "en": "{metric} has no complete actual for {period}, the same period last year"},
    "goals.err.zero_last_year": {"zh": "{metric} 去年同期实际为 0，无法按百分比换算", "en": "{metric} was 0 in the same period last year: a percentage of it means nothing"},
    "goals.err.duplicate": {"zh": "同一指标、周期和细分录入了两次", "en": "the same metric, period and segment appears twice"},
    "goals.err.not_deleted": {"zh": "这条记录不是删除操作", "en": "that entry is not a delete"},
    "goals.err.key_taken": {"zh": "同一指标、周期和细分已有目标，先删除它再恢复", "en": "a target for the same metric, period and segment exists; delete it first"},
    "goals.err.settings_not_number": {"zh": "权重、阈值和封顶都要填数字", "en": "weight, thresholds and cap must be numbers"},
    "goals.err.weight_negative": {"zh": "权重不能为负", "en": "a weight cannot be negative"},
    "goals.err.amber_above_green": {"zh": "黄色阈值要在 0 和绿色阈值之间", "en": "the amber threshold must lie between 0 and the green one"},
    "goals.err.cap_too_low": {"zh": "封顶不能低于 100% 或绿色阈值", "en": "the cap cannot be below 100% or the green threshold"},
    "goals.err.cleared": {"zh": "目标值被清空；要删除目标，请在“全部手动目标”中勾选删除", "en": "the target was cleared; to remove a target, tick it under “All targets set here”"},
    "goals.smart_help": {
        "zh": "复盘结束时为下一期设定 SMART 目标：指标、细分、数值（或较去年同期的增幅）、截止日期、负责人。下一次复盘就按它评分。",
        "en": "At the end of a review, set next period's SMART targets: metric, segment, a value (or a change on the same period last year), deadline and owner. The next review scores against them.",
    },
    "goals.smart_period_help": {"zh": "2026-11 为月度，2026-Q1 为季度，2027 为年度目标。", "en": "2026-11 is a monthly, 2026-Q1 a quarterly, 2027 a yearly target."},
    "goals.smart_mode": {"zh": "目标写法", "en": "Target as"},
    "goals.smart_mode.value": {"zh": "数值", "en": "a value"},
    "goals.smart_mode.yoy": {"zh": "较去年同期 ±%", "en": "± % on last year"},
    "goals.smart_pct": {"zh": "较去年同期增减（%）", "en": "Change on last year (%)"},
    "goals.smart_value_placeholder": {"zh": "例如 1200 或 15%", "en": "e.g. 1200 or 15%"},
    "goals.smart_resolved": {
        "zh": "**{what}** {period}：去年同期实际 {last}，{pct} → 目标 **{value}**",
        "en": "**{what}** {period}: last year's actual {last}, {pct} → target **{value}**",
    },
    "goals.smart_save": {"zh": "保存目标", "en": "Save target"},
    "goals.smart_saved": {"zh": "已保存 {what} {period} 的目标。", "en": "Saved the {period} target for {what}."},
    "goals.all_empty": {"zh": "还没有在这里录入过目标：导入的计划直接用作目标。", "en": "No target entered here yet: the imported plans are the targets."},
    "goals.all_help": {"zh": "在这里修改或删除录入过的目标。删除前会再确认一次，删除的目标可在“修改记录”中恢复。", "en": "Change or delete the targets entered here. Deleting asks first, and a deleted target can be restored from the change log."},
    "goals.col.delete": {"zh": "删除", "en": "Delete"},
    "goals.col.basis": {"zh": "依据", "en": "Basis"},
    "goals.col.actor": {"zh": "修改人", "en": "By"},
    "goals.col.updated": {"zh": "修改时间", "en": "Updated"},
    "goals.basis": {"zh": "较去年同期 {pct}（去年 {last}）", "en": "{pct} on last year ({last})"},
    "goals.delete_selected": {"zh": "删除勾选的目标", "en": "Delete ticked targets"},
    "goals.delete_none": {"zh": "没有勾选要删除的目标。", "en": "No target is ticked."},
    "goals.delete_title": {"zh": "删除目标", "en": "Delete targets"},
    "goals.delete_confirm": {"zh": "确定删除这 {n} 个目标吗？删除后对应周期恢复使用导入的计划（如有），也可以在修改记录中恢复。", "en": "Delete {n|this|these} {n} {n|target|targets}? {n|Its period falls|Their periods fall} back to the imported plan, if any; you can restore {n|it|them} from the change log."},
    "goals.delete_yes": {"zh": "确定删除", "en": "Delete"},
    "goals.deleted": {"zh": "已删除 {n} 个目标。", "en": "Deleted {n} {n|target|targets}."},
    "goals.settings_help": {
        "zh": "权重决定指标在综合得分中的比重（自动归一，0 表示不计入）；绿色/黄色阈值决定状态；封顶限制单项得分。指标方向在“指标设置”页修改。",
        "en": "The weight sets a KPI's share of the overall score (normalised; 0 leaves it out); the green and amber thresholds set its status; the cap limits its score. A metric's direction is set on the Metrics page.",
    },
    "goals.direction_help": {"zh": "越低越好的指标按计划÷实际计算达成率。", "en": "Lower-is-better KPIs score plan ÷ actual."},
    "goals.col.green": {"zh": "绿色阈值", "en": "Green from"},
    "goals.col.amber": {"zh": "黄色阈值", "en": "Amber from"},
    "goals.col.cap": {"zh": "得分封顶", "en": "Score cap"},
    "goals.col.incomplete": {"zh": "数据不全也计分", "en": "Score incomplete periods"},
    "goals.col.incomplete_help": {
        "zh": "勾选（默认）：有分组未报数或周期未结束时，按已报的可比部分计算达成率；不勾选：这样的周期不计分。",
        "en": "Ticked (the default): a period where some segments have not reported, or still in progress, is scored on what is comparable; unticked: such a period is not scored.",
    },
    "goals.log_empty": {"zh": "还没有修改记录。", "en": "No changes yet."},
    "goals.col.when": {"zh": "时间", "en": "When"},
    "goals.col.action": {"zh": "操作", "en": "Action"},
    "goals.col.before": {"zh": "修改前", "en": "Before"},
    "goals.col.after": {"zh": "修改后", "en": "After"},
    "goals.action.insert": {"zh": "新增", "en": "added"},
    "goals.action.update": {"zh": "修改", "en": "changed"},
    "goals.action.delete": {"zh": "删除", "en": "deleted"},
    "goals.action.restore": {"zh": "恢复", "en": "restored"},
    "goals.restore_pick": {"zh": "恢复一个已删除的目标", "en": "Restore a deleted target"},
    "goals.restore": {"zh": "恢复", "en": "Restore"},
    "goals.restored": {"zh": "目标已恢复。", "en": "The target is back."},
}


def _merge_parts() -> None:
    # Imported here, not at the top: the parts are plain data and import nothing back.
    from retro.texts import auth, coverage, meeting, report, review, safety

    for part in (review, meeting, report, safety, auth, coverage):
        clash = CATALOG.keys() & part.TEXT.keys()
        if clash:
            raise RuntimeError(f"catalog keys defined twice: {sorted(clash)}")
        CATALOG.update(part.TEXT)


_merge_parts()


# A word that follows a count in English: "{n|sheet|sheets}" is "sheet" when the parameter n is 1
# (or a list of one), else "sheets". Chinese needs none ("{n} 个工作表").
_PLURAL = re.compile(r"\{(\w+)\|([^{}|]*)\|([^{}|]*)\}")


def _plural(template: str, params: dict[str, Any]) -> str:
    def one(m: re.Match[str]) -> str:
        n = params.get(m[1])
        if isinstance(n, list | tuple):
            n = len(n)
        elif isinstance(n, str):  # a count already formatted ("1", "1,200")
            n = n.replace(",", "").strip()
            n = 1 if n == "1" else None
        return m[2] if n == 1 else m[3]
    return _PLURAL.sub(one, template)


def t(key: str, lang: str = "zh", **params: Any) -> str:
    """The text for ``key`` in ``lang``, with ``params`` filled in (lists joined, plurals chosen)."""
    entry = CATALOG.get(key)
    if entry is None:
        return key
    template = entry.get(lang) or entry["en"]
    if "|" in template:
        template = _plural(template, params)
    if not params:
        return template
    clean = {k: (joined(v, lang) if isinstance(v, list | tuple) else v) for k, v in params.items()}
    try:
        return template.format(**clean)
    except (KeyError, IndexError, ValueError):
        return template


def joined(items: Any, lang: str) -> str:
    """A list as a sentence lists it: 华东、华南 in Chinese, East, South in English."""
    return ("、" if lang == "zh" else ", ").join(str(x) for x in items)


def message_text(code: str, params: dict[str, Any] | None, lang: str, prefix: str) -> str:
    """A warning's or error's text from its code (``prefix`` is "warn" or "error")."""
    params = dict(params or {})
    for k, v in list(params.items()):
        if isinstance(v, float):
            params[k] = format_number(v, lang)
    if code == "year_assumed" or "cells" in params and not params.get("cells"):
        params.setdefault("cells", "")
    return t(f"{prefix}.{code}", lang, **params)


def reading_text(reading: dict[str, Any], lang: str) -> str:
    """One import decision as a sentence: what was decided and what it rests on."""
    params = dict(reading.get("params") or {})
    decision = reading["decision"]
    evidence = reading.get("evidence")
    if decision.startswith("helper_"):
        if evidence == "structure":
            why = t("why.charts" if decision == "helper_dashboard" else "why.pivot_part", lang)
        elif evidence == "name":
            why = t("why.name", lang)
        else:
            why = t("why.formulas" if evidence == "formula" else "why.words", lang, words=params.get("words") or "")
        params.setdefault("why", why)
    if decision == "code_column":
        pattern = params.get("pattern")
        params["why"] = t(f"why.{pattern}", lang, **params) if pattern else t("why.header", lang)
    if decision == "row_counter":
        params["why"] = t("why.counting", lang, **params) if "first" in params else t("why.header", lang)
    if decision in ("totals_row", "totals_column", "subtotal_row") and "why" not in params:
        kind = params.get("kind", "label")
        params["why"] = t(f"why.{kind}", lang, **params)
    if "source" in params:
        params["source_text"] = t(f"source.{params['source']}", lang)
    if "scenario" in params:
        params["scenario_text"] = t(f"scenario.{params['scenario']}", lang)
    if decision in ("kpi_new", "kpi_same"):
        params["why_text"] = joined((t(f"kpi_why.{w}", lang) for w in params.get("why") or []), lang)
    if decision == "date_order":
        params["order_text"] = t(f"order.{params.get('order', 'month_first')}", lang)
    return t(f"reading.{decision}", lang, **params)


def mismatch_text(why: dict[str, Any] | None, lang: str) -> str:
    """Why a sheet's totals disagree with what would be stored, as a sentence (retro/ingest/mismatch.py)."""
    why = why or {"code": "unexplained"}
    params = {**why, "rows": joined(why.get("rows") or [], lang)}
    if "why" in why:
        params["why_text"] = t(f"why_left.{why['why']}", lang)
    return t(f"why_mismatch.{why['code']}", lang, **params)


def reconciliation_text(entry: dict[str, Any], lang: str) -> str:
    """One check against a sheet's own totals, as a sentence (the CLI prints it, the import page shows it)."""
    what = " · ".join(str(x) for x in (t(f"recon.{entry['kind']}", lang), entry.get("metric"), entry.get("period"),
                                      t(f"scenario.{entry['scenario']}", lang) if entry.get("scenario") else None) if x)
    return t(
        f"recon.{entry['status']}",
        lang,
        what=what,
        total=format_number(entry["sheet_total"], lang, compact=False),
        imported=format_number(entry["imported_total"], lang, compact=False),
        difference=format_number(entry["difference"], lang, compact=False),
    )


def language_from_locale(locale: str | None) -> str:
    """'zh-CN', 'zh-TW', 'zh' → 'zh'; another locale → 'en'; unknown → 'zh' (most users read Chinese)."""
    if locale and locale.lower().startswith("zh"):
        return "zh"
    return "en" if locale else "zh"


def format_number(value: float | int | None, lang: str = "zh", *, unit: str | None = None, digits: int = 2,
                  compact: bool = True) -> str:
    """'1.2万' / '3.00亿' in Chinese, '1.2M' in English; rates as percents; a unit as the language
    reads it ('666.35万元' in Chinese, '6.66M CNY' in English: retro.glossary)."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "—"
    if unit == "%":
        return f"{value * 100:.{max(digits - 1, 1)}f}%"
    reading = unit_reading(unit, lang)
    if reading is not None:
        # English folds the unit's scale into the number and names it in English (retro.glossary):
        # 666.35 万元 → 6.66M CNY, 326 家 → 326 stores, 12 个 → 12.
        scaled = round(float(value) * reading.scale, digits + 4)  # 13.18 × 1e4 is 131800.00000000001
        text = format_number(scaled, lang, digits=digits, compact=compact)
        noun = reading.noun(scaled)
        return f"{text} {noun}" if noun else text
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
    # Whole up to float noise: a sum of 4,217 added in another order is 4216.999999999999 (each engine
    # adds in its own, docs/postgres.md), and read '4,217.00' beside the other's '4,217'.
    if float(round(a, digits + 4)).is_integer():
        return f"{round(a):,}"
    return f"{a:,.{digits}f}"
