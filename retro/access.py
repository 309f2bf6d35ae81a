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


# --------------------------------------------------------------------------- company sign-in (OIDC)
#
# With an ``[auth]`` table in secrets.toml (Streamlit's own keys: redirect_uri, cookie_secret,
# client_id, client_secret, server_metadata_url) people sign in with their company account
# (st.login) instead of typing a passcode; the passcodes are then not asked for at all. Which role
# a signed-in account gets is decided here, from ``[access]``:
#
#     [access]
#     editors = ["lead@corp.cn"]            # these addresses import and change data
#     viewers = ["cfo@corp.cn"]             # these only look
#     viewer_domains = ["corp.cn"]          # ... and so does everyone at these domains
#
# Addresses and domains compare case-insensitively; a domain matches the part after the "@"
# exactly (not its subdomains). An account on no list is refused: nobody becomes a viewer unless
# the configuration says so. An account whose provider says its e-mail is not verified is refused.


def oidc_configured(secrets: Mapping[str, object] | None) -> bool:
    """An ``[auth]`` table is in the secrets: sign-in with st.login replaces the passcodes."""
    table = (secrets or {}).get("auth")
    return isinstance(table, Mapping) and bool(table)


def _addresses(value: object) -> set[str]:
    """A list (or one string) of addresses or domains from the config, trimmed and lower-cased."""
    items = [value] if isinstance(value, str) else value if isinstance(value, list | tuple) else []
    return {str(item).strip().lower().lstrip("@") for item in items if str(item).strip()}


def access_rules(secrets: Mapping[str, object] | None) -> dict[str, set[str]]:
    """The ``[access]`` table as sets: editors, viewers (addresses) and viewer_domains; empty when absent."""
    table = (secrets or {}).get("access")
    table = table if isinstance(table, Mapping) else {}
    return {key: _addresses(table.get(key)) for key in ("editors", "viewers", "viewer_domains")}


def role_for_account(email: object, rules: Mapping[str, set[str]], *, email_verified: object = None) -> str | None:
    """The role a signed-in account gets from ``rules`` (see :func:`access_rules`); None: refused.

    Editors win over viewers when an address is on both lists. No address, or one the provider
    marks as not verified (``email_verified`` false), opens nothing."""
    if not isinstance(email, str) or "@" not in email or email_verified is False:
        return None
    address = email.strip().lower()
    if address in rules.get("editors", set()):
        return EDITOR
    if address in rules.get("viewers", set()) or address.rsplit("@", 1)[1] in rules.get("viewer_domains", set()):
        return VIEWER
    return None


def oidc_ready_to_share(secrets: Mapping[str, object] | None) -> bool:
    """What ``make share`` asks of a company sign-in set-up: Streamlit's [auth] keys and at least one editor."""
    if not oidc_configured(secrets):
        return False
    auth = (secrets or {})["auth"]
    assert isinstance(auth, Mapping)
    needed = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
    return all(auth.get(key) for key in needed) and bool(access_rules(secrets)["editors"])
