"""Catalog entries for the safety area (merged into retro.i18n.CATALOG)."""

TEXT: dict[str, dict[str, str]] = {
}
