"""Errors the importer reports to the user: a code (a catalog key) and its parameters."""

from __future__ import annotations

from typing import Any


class ImportFailure(Exception):
    """Bad input. ``code`` names an i18n message; nothing was stored."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def __repr__(self) -> str:
        return f"ImportFailure({self.code!r}, {self.params!r})"
