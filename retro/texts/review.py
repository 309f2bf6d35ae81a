"""Catalog entries for the review area (merged into retro.i18n.CATALOG)."""

TEXT: dict[str, dict[str, str]] = {
}
