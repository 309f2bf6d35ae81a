"""Who may change what: editors write, viewers only look — enforced here, not just hidden in pages.

The role of the current run lives in a context variable the UI sets at the start of every script
run; every write transaction checks it (``Database.transaction``). Bookkeeping the app does on its
own (syncing the metric catalog, the first-start sample) runs under :func:`system`.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

EDITOR, VIEWER, SYSTEM = "editor", "viewer", "system"

_role: ContextVar[str] = ContextVar("retro_role", default=EDITOR)


class ReadOnly(PermissionError):
    """A viewer tried to change something; nothing was written."""


def set_role(role: str) -> None:
    if role not in (EDITOR, VIEWER):
        raise ValueError(f"unknown role {role!r}")
    _role.set(role)


def current_role() -> str:
    return _role.get()


def check_write() -> None:
    if _role.get() == VIEWER:
        raise ReadOnly("viewers cannot change data")


@contextmanager
def system() -> Iterator[None]:
    """The app's own bookkeeping, allowed whoever is looking."""
    token = _role.set(SYSTEM)
    try:
        yield
    finally:
        _role.reset(token)


def passcodes(env: Mapping[str, str], secrets: Mapping[str, object] | None = None) -> dict[str, str]:
    """The configured passcodes: RETRO_EDITOR_PASSCODE / RETRO_VIEWER_PASSCODE, or
    ``[passcodes] editor = … viewer = …`` in .streamlit/secrets.toml. Empty: no gate (localhost use)."""
    found: dict[str, str] = {}
    table = (secrets or {}).get("passcodes") if secrets else None
    for role in (EDITOR, VIEWER):
        value = env.get(f"RETRO_{role.upper()}_PASSCODE") or (table.get(role) if isinstance(table, Mapping) else None)
        if value:
            found[role] = str(value)
    return found


def role_for(given: str, codes: Mapping[str, str]) -> str | None:
    """The role a typed passcode opens, compared in constant time; None when it opens nothing."""
    given_bytes = given.encode("utf-8")
    matched = None
    for role in (EDITOR, VIEWER):  # compare both, whatever matches first, so timing tells nothing
        code = codes.get(role)
        if code and hmac.compare_digest(given_bytes, code.encode("utf-8")) and matched is None:
            matched = role
    return matched
