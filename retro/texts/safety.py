"""Catalog entries for the safety area (merged into retro.i18n.CATALOG)."""

TEXT: dict[str, dict[str, str]] = {
    # The database cannot be opened or used (retro.db.DatabaseUnavailable): pages and the CLI.
    "safety.db_busy": {
        "zh": "数据库文件 {path} 正被另一个程序占用（{program}，进程号 {pid}）：可能是另一个 retro 服务器或命令行导入。"
              "数据没有改动。请关闭那个程序后重试。",
        "en": "The database file {path} is in use by another program ({program}, process {pid}): perhaps another "
              "retro server or a command-line import. Nothing was changed. Close that program and try again.",
    },
    "safety.db_invalidated": {
        "zh": "数据库连接出现严重错误，已断开；下次操作会自动重新连接。刚才的操作没有保存，请重试。",
        "en": "The database connection hit a fatal error and was dropped; the next action reconnects by itself. "
              "What you just did was not saved: try again.",
    },
    "safety.retry": {"zh": "重试", "en": "Try again"},
}
