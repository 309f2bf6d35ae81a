"""Parts of the one UI catalog (retro.i18n.CATALOG), one file per area so that areas grow apart.

Each module holds ``TEXT: dict[str, dict[str, str]]`` with keys under its own prefix; retro.i18n
merges them and refuses a key defined twice.
"""
