"""Catalog entries for the safety area (merged into retro.i18n.CATALOG)."""

TEXT: dict[str, dict[str, str]] = {
    # The database cannot be opened or used (retro.db.DatabaseUnavailable): pages and the CLI.
    "safety.db_busy": {
        "zh": "数据库文件 {path} 正被另一个程序占用（{program}，进程号 {pid}）：可能是另一个 retro 服务器或命令行导入。"
              "数据没有改动。请关闭那个程序后重试。一个 DuckDB 文件同一时间只能由一个程序写入：看板开着时，请在看板的"
              "「导入数据」页导入、在「导出报告」页出报告；要让命令行导入或定时报告与看板同时运行，请改用 PostgreSQL"
              "（RETRO_DB=postgresql://…，见 README「为公司运行 retro」）。",
        "en": "The database file {path} is in use by another program ({program}, process {pid}): perhaps another "
              "retro server or a command-line import. Nothing was changed. Close that program and try again. A DuckDB "
              "file takes one writing program at a time: while the dashboard runs, import on its Import page and export "
              "on its Report page; to run command-line imports or scheduled reports beside the dashboard, use "
              "PostgreSQL (RETRO_DB=postgresql://…, see the README, \"Running retro for a company\").",
    },
    "safety.db_invalidated": {
        "zh": "数据库连接出现严重错误，已断开；下次操作会自动重新连接。刚才的操作没有保存，请重试。",
        "en": "The database connection hit a fatal error and was dropped; the next action reconnects by itself. "
              "What you just did was not saved: try again.",
    },
    "safety.db_read_only": {
        "zh": "数据库文件 {path} 现在不能写入：它所在的磁盘或文件夹是只读的，或者没有写入权限。已有的数据都还在，没有丢失；"
              "刚才的操作没有保存。请检查这个文件和文件夹的权限（或把只读的磁盘、共享盘改为可写），然后重试；"
              "也可以用 RETRO_DB 把数据库放到可写的位置。",
        "en": "The database file {path} cannot be written right now: its disk or folder is read-only, or retro has "
              "no permission to write there. Everything stored is still there, nothing was lost; what you just did "
              "was not saved. Check the permissions of the file and its folder (or make the disk or share writable), "
              "then try again — or point RETRO_DB at a writable place.",
    },
    "safety.db_disk_full": {
        "zh": "磁盘已满：数据库文件 {path} 所在的磁盘没有剩余空间。已有的数据都还在，没有丢失；刚才的操作没有保存。"
              "请腾出一些空间（例如删除不需要的大文件、清空回收站），然后重试。",
        "en": "The disk is full: there is no space left on the disk holding {path}. Everything stored is still "
              "there, nothing was lost; what you just did was not saved. Free some space (delete large files you "
              "do not need, empty the bin), then try again.",
    },
    "safety.db_corrupted": {
        "zh": "数据库文件 {path} 已损坏，无法读取（可能被截断或被别的程序覆盖）。损坏的文件会原样保留，不会被删除。"
              "请从最近的备份恢复：",
        "en": "The database file {path} is damaged and cannot be read (perhaps truncated or overwritten by another "
              "program). The damaged file is kept as it is, never deleted. Restore the latest backup:",
    },
    "safety.db_unreachable": {
        "zh": "无法连接 PostgreSQL 数据库 {path}。已有的数据都在服务器上，没有丢失；刚才的操作没有保存。"
              "请确认数据库服务器正在运行、地址和端口可以访问、用户名和密码正确（RETRO_DB、RETRO_DB_PASSWORD 或 "
              ".streamlit/secrets.toml 里的 [connections.retro]），然后重试。（服务器的回答：{detail}）",
        "en": "The PostgreSQL database {path} cannot be reached. Everything stored is still on the server, "
              "nothing was lost; what you just did was not saved. Check that the database server is running, that "
              "its address and port can be reached and that the user name and password are right (RETRO_DB, "
              "RETRO_DB_PASSWORD or [connections.retro] in .streamlit/secrets.toml), then try again. (What the "
              "server said: {detail})",
    },
    "safety.db_latest_backup": {
        "zh": "最近的备份：{name}（{created}，{rows} 行）。恢复前，现在的文件会保存在旁边。",
        "en": "The latest backup: {name} (made {created}; rows: {rows}). Before the restore, the current file "
              "is kept beside it.",
    },
    "safety.db_no_backup": {
        "zh": "{folder} 里没有备份。请从别处找回这个文件的副本，或把它移开后重新开始（会重新导入示例数据）。",
        "en": "There is no backup in {folder}. Bring back a copy of the file from elsewhere, or move it away to "
              "start again (the sample is imported anew).",
    },
    "safety.db_restore_latest": {"zh": "从最近的备份恢复", "en": "Restore the latest backup"},
    "safety.db_restored": {
        "zh": "已从备份 {name} 恢复。原来的文件保存在 {kept}。",
        "en": "Restored from the backup {name}. The file it replaced is kept at {kept}.",
    },
    "safety.retry": {"zh": "重试", "en": "Try again"},
    # Backup and restore on the import history page (editors only).
    "safety.backup.title": {"zh": "备份与恢复", "en": "Backup and restore"},
    "safety.backup.where": {
        "zh": "每次撤销导入和每次恢复之前都会自动备份整个数据库，保留最近 {keep} 份，位置：{folder}",
        "en": "Before every undo of an import and every restore, the whole database is backed up automatically; "
              "the latest {keep} are kept in {folder}",
    },
    "safety.backup.latest": {"zh": "最近一次自动备份：{name}", "en": "Latest automatic backup: {name}"},
    "safety.backup.make": {"zh": "生成备份", "en": "Make a backup"},
    "safety.backup.made": {
        "zh": "备份已生成：{tables} 张表、{rows} 行，也保存在 {folder}。",
        "en": "Backup made: {tables} {tables|table|tables}, {rows} {rows|row|rows}; also kept in {folder}.",
    },
    "safety.backup.download": {"zh": "下载备份（.zip）", "en": "Download the backup (.zip)"},
    "safety.restore.upload": {"zh": "从备份恢复：上传备份 .zip", "en": "Restore from a backup: upload its .zip"},
    "safety.restore.upload_help": {"zh": "把备份 .zip 拖到下面的框里，或点框里的 Upload 按钮选择文件（每个文件不超过 {limit} MB）。",
                                   "en": "Drop the backup .zip on the box below, or click its Upload button (at most {limit} MB a file)."},
    "safety.restore.summary": {
        "zh": "这份备份生成于 {created}：{tables} 张表、{rows} 行。",
        "en": "This backup was made on {created}: {tables} {tables|table|tables}, {rows} {rows|row|rows}.",
    },
    "safety.restore.button": {"zh": "用这份备份恢复…", "en": "Restore from this backup…"},
    "safety.restore.dialog": {"zh": "恢复整个数据库", "en": "Restore the whole database"},
    "safety.restore.confirm": {
        "zh": "确认用 {created} 的备份替换整个数据库？之后的导入和修改都会被替换。当前数据库会先自动备份到 {folder}，恢复也可以撤回。",
        "en": "Replace the whole database with the backup of {created}? Imports and changes made since then are replaced. "
              "The current database is backed up to {folder} first, so the restore can be taken back.",
    },
    "safety.restore.yes": {"zh": "确认恢复", "en": "Yes, restore"},
    "safety.restore.done": {
        "zh": "已从备份恢复。替换前的数据库已备份到 {path}。",
        "en": "Restored from the backup. The database it replaced was backed up to {path}.",
    },
    "safety.undo.backed_up": {"zh": "撤销前的数据库已自动备份到 {path}。", "en": "The database before the undo was backed up to {path}."},
    "safety.backup.error.not_a_backup": {
        "zh": "这不是 retro 的备份（缺少 retro-backup.json）。数据库没有改动。",
        "en": "This is not a retro backup (retro-backup.json is missing). The database is unchanged.",
    },
    "safety.backup.error.backup_incomplete": {
        "zh": "备份不完整：缺少表「{table}」的文件。数据库没有改动。",
        "en": "The backup is incomplete: the file of table “{table}” is missing. The database is unchanged.",
    },
    "safety.backup.error.backup_newer": {
        "zh": "这份备份来自更新版本的 retro（有未知的表：{tables}）。请先升级。数据库没有改动。",
        "en": "This backup comes from a newer retro (unknown tables: {tables}). Upgrade first. The database is unchanged.",
    },
    "safety.backup.error.backup_mismatch": {
        "zh": "备份已损坏：表「{table}」应有 {expected} 行，读到 {found} 行。数据库没有改动。",
        "en": "The backup is damaged: table “{table}” should hold {expected} {expected|row|rows}, {found} {found|was|were} read. The database is unchanged.",
    },
    "safety.backup.error.backup_schema": {
        "zh": "备份与这个版本的 retro 不匹配：表「{table}」的文件读不进来（{detail}）。数据库没有改动。",
        "en": "The backup does not match this version of retro: the file of table “{table}” cannot be loaded "
              "({detail}). The database is unchanged.",
    },
    "safety.backup.error.zip_invalid": {
        "zh": "无法打开这个 .zip 文件：它已损坏或不是 zip。数据库没有改动。",
        "en": "This .zip cannot be opened: it is damaged or not a zip. The database is unchanged.",
    },
    "safety.backup.error.zip_unsafe": {
        "zh": "这个 .zip 含有备份里不会有的内容（{name}），为安全起见拒绝。数据库没有改动。",
        "en": "This .zip holds something a backup never does ({name}) and was refused. The database is unchanged.",
    },
}
