"""Catalog entries for the report area (merged into retro.i18n.CATALOG)."""

TEXT: dict[str, dict[str, str]] = {
}
