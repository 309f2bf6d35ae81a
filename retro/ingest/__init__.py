"""Importing workbooks: read (read.py) → detect the layout (detect.py) → normalise in DuckDB
(normalize.py) → preview (analyze.py) → store in one transaction (store.py)."""

from .analyze import (
    FileAnalysis,
    Overrides,
    SheetAnalysis,
    analysis_summary,
    analyze_bytes,
    analyze_sheet,
    analyze_workbook,
)
from .errors import ImportFailure
from .store import (
    ImportResult,
    already_imported,
    data_summary,
    import_history,
    metric_inventory,
    overlap,
    store_import,
    undo_import,
)

__all__ = [
    "FileAnalysis", "ImportFailure", "already_imported", "ImportResult", "Overrides", "SheetAnalysis", "analysis_summary",
    "analyze_bytes", "analyze_sheet", "analyze_workbook", "data_summary", "import_history", "metric_inventory", "overlap", "store_import",
    "undo_import",
]
