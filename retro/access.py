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
#
# An address is only as good as whoever issued it. The token's issuer (``iss``) must be the
# configured provider: ``[access] issuer``, else the [auth] server_metadata_url before
# "/.well-known/openid-configuration" (OIDC Discovery makes the issuer that prefix). Microsoft's
# multi-tenant endpoints (…/common|organizations|consumers/v2.0) sign for every Entra tenant, and any
# tenant's admin can give a user any address: there the token's tenant (``tid``) must be one of
# ``[access] tenants = ["<tenant id>"]`` (none listed: nobody gets in), and ``iss`` that tenant's.


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
    does not mark as verified when it sends ``email_verified`` (None: not sent), opens nothing.
    The issuer and tenant are checked by :func:`account_refusal`, which the app uses."""
    if not isinstance(email, str) or "@" not in email or not _verified(email_verified):
        return None
    address = email.strip().lower()
    if address in rules.get("editors", set()):
        return EDITOR
    if address in rules.get("viewers", set()) or address.rsplit("@", 1)[1] in rules.get("viewer_domains", set()):
        return VIEWER
    return None


_WELL_KNOWN = "/.well-known/openid-configuration"
MULTI_TENANT = ("common", "organizations", "consumers")  # Microsoft's endpoints for every tenant
TENANT = "{tid}"  # where the tenant goes in a multi-tenant issuer (Microsoft's own metadata spells it {tenantid})


def _verified(claim: object) -> bool:
    """``email_verified`` as providers send it: True (or "true", from some), or not sent at all (None)."""
    return claim is None or claim is True or (isinstance(claim, str) and claim.strip().lower() == "true")


def _auth_table(secrets: Mapping[str, object] | None, provider: object = None) -> Mapping[str, object]:
    auth = (secrets or {}).get("auth")
    auth = auth if isinstance(auth, Mapping) else {}
    named = auth.get(provider) if isinstance(provider, str) else None  # [auth.<provider>] for st.login(provider)
    return named if isinstance(named, Mapping) else auth


def expected_issuer(secrets: Mapping[str, object] | None, provider: object = None) -> str | None:
    """The issuer a signed-in account's token must name (see the rules above); ``{tid}`` in it stands for
    the account's tenant on a multi-tenant endpoint. None when nothing is configured to check against."""
    table = (secrets or {}).get("access")
    configured = table.get("issuer") if isinstance(table, Mapping) else None
    if isinstance(configured, str) and configured.strip():
        return configured.strip().rstrip("/")
    url = _auth_table(secrets, provider).get("server_metadata_url")
    if not isinstance(url, str) or _WELL_KNOWN not in url:
        return None
    issuer = url.split(_WELL_KNOWN, 1)[0].rstrip("/")
    head, sep, rest = issuer.partition("://")
    parts = rest.split("/")
    if "microsoftonline" in parts[0] and len(parts) > 1 and parts[1].lower() in MULTI_TENANT:
        parts[1] = TENANT
    return head + sep + "/".join(parts)


def tenants(secrets: Mapping[str, object] | None) -> set[str]:
    table = (secrets or {}).get("access")
    return _addresses(table.get("tenants")) if isinstance(table, Mapping) else set()


def account_refusal(claims: Mapping[str, object], secrets: Mapping[str, object] | None) -> str | None:
    """Why a signed-in account (its token's claims, as st.user holds them) is refused, or None: let in.

    "no_email", "unverified" (``email_verified`` sent and not true), "issuer" (not the configured
    provider), "tenant" (a tenant not in ``[access] tenants``, or none listed for a multi-tenant
    endpoint), "not_listed" (the address is on no list)."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        return "no_email"
    if not _verified(claims.get("email_verified")):
        return "unverified"
    issuer = claims.get("iss")
    expected = expected_issuer(secrets, claims.get("provider"))
    allowed = tenants(secrets)
    tid = claims.get("tid")
    tid = tid.strip().lower() if isinstance(tid, str) else None
    if expected is not None and TENANT in expected:
        if not allowed or tid not in allowed:
            return "tenant"
        expected = expected.replace(TENANT, tid)
    elif allowed and tid not in allowed:  # tenants listed for a one-tenant set-up: checked all the same
        return "tenant"
    if expected is not None and (not isinstance(issuer, str) or issuer.strip().rstrip("/").lower() != expected.lower()):
        return "issuer"
    if role_for_account(email, access_rules(secrets)) is None:
        return "not_listed"
    return None


def role_for_claims(claims: Mapping[str, object], secrets: Mapping[str, object] | None) -> str | None:
    """The role of a signed-in account from its token's claims; None: refused (:func:`account_refusal`)."""
    if account_refusal(claims, secrets) is not None:
        return None
    return role_for_account(claims.get("email"), access_rules(secrets))


def oidc_ready_to_share(secrets: Mapping[str, object] | None) -> bool:
    """What ``make share`` asks of a company sign-in set-up: Streamlit's [auth] keys and at least one editor."""
    if not oidc_configured(secrets):
        return False
    auth = (secrets or {})["auth"]
    assert isinstance(auth, Mapping)
    needed = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
    multi_tenant = TENANT in (expected_issuer(secrets) or "")  # with no tenant listed nobody could sign in
    return (all(auth.get(key) for key in needed) and bool(access_rules(secrets)["editors"])
            and not (multi_tenant and not tenants(secrets)))
