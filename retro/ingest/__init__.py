"""Importing workbooks: read (read.py) → detect the layout (detect.py) → normalise in DuckDB
(normalize.py) → preview (analyze.py) → store in one transaction (store.py)."""

from .analyze import FileAnalysis, Overrides, SheetAnalysis, analysis_summary, analyze_bytes, analyze_sheet
from .errors import ImportFailure
from .store import ImportResult, data_summary, import_history, overlap, store_import, undo_import

__all__ = [
    "FileAnalysis", "ImportFailure", "ImportResult", "Overrides", "SheetAnalysis", "analysis_summary",
    "analyze_bytes", "analyze_sheet", "data_summary", "import_history", "overlap", "store_import", "undo_import",
]
