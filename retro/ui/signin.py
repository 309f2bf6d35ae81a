"""The gate before every page: a company sign-in (st.login) when an OIDC provider is configured,
else the passcodes, else nothing (localhost use). Streamlit code; the decisions are in retro.access.

Which wins: an ``[auth]`` table in secrets.toml (Streamlit's st.login settings) replaces the
passcodes entirely — no passcode form is shown and RETRO_*_PASSCODE are ignored — so a shared
dashboard has exactly one way in. Roles of signed-in accounts come from ``[access]``
(:func:`retro.access.role_for_account`); an account on no list is refused, with a sign-out button.

The first line is the door in front of the server (retro.ui.http_gate): nobody reaches a script
run without its signed cookie. This gate is the second line: with passcodes it takes the role from
that cookie (verified here, on every run, so the role follows the connection, not a session id
someone replays), and only without one (AppTest, a server not behind the door) shows its own form,
whose wrong passcodes are slowed and logged like the sign-in page's (retro.guard.BACKOFF).

Text helpers come from retro.ui.text; retro.ui re-exports the gate functions for the pages.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import streamlit as st
from streamlit import config

from .. import access, guard

LOG = logging.getLogger("retro.gate")


def _secrets() -> dict[str, Any]:
    # Without a secrets file Streamlit takes its lock, looks for every file and raises, on each
    # access: every run of every session would queue there. A look at the paths is enough (unless
    # secrets are loaded already, e.g. handed over by AppTest).
    # (config.get_option, not st.get_option: that one was bound at import to the locked read.)
    if getattr(st.secrets, "_secrets", None) is None and not any(
            os.path.exists(path) for path in config.get_option("secrets.files")):
        return {}
    try:
        return dict(st.secrets)
    except Exception:  # noqa: BLE001 - an unreadable secrets.toml: no passcodes or sign-in from there
        return {}


def _codes(secrets: dict[str, Any]) -> dict[str, str]:
    return access.passcodes(os.environ, secrets)


def _account() -> dict[str, Any]:
    """What st.user holds for this session (the identity cookie's claims); {} outside a script run."""
    try:
        return dict(st.user.to_dict())
    except Exception:  # noqa: BLE001 - no script run context: nobody is signed in
        return {}


def _account_role(secrets: dict[str, Any]) -> str | None:
    """The signed-in account's role from [access]; None when nobody is signed in or the account is refused."""
    user = _account()
    if not user.get("is_logged_in"):
        return None
    return access.role_for_claims(user, secrets)  # a verified address from the configured issuer (and tenant)


def gate_needed() -> bool:
    """The gate will stop this run: sign-in configured and no admitted account, or passcodes
    configured and none given yet (app.py hides the navigation then)."""
    secrets = _secrets()
    if access.oidc_configured(secrets):
        return _account_role(secrets) is None
    codes = _codes(secrets)
    return bool(codes) and _cookie_role(codes) is None and st.session_state.get("_role") is None


def _cookie_role(codes: dict[str, str]) -> tuple[str, str] | None:
    """(role, name) from the door's signed cookie on this connection, when it opens a configured role."""
    try:
        value = st.context.cookies.get(guard.COOKIE)
    except Exception:  # noqa: BLE001 - no script run context: no cookie
        return None
    found = guard.verify(value)
    return found if found and found[0] in codes else None


def gate() -> str:
    """The gate, before any page runs: with sign-in or passcodes configured nobody sees a page without them.

    Called after st.navigation (hidden while locked), so the page a shared link asked for is the one
    that opens once the passcode is given (a company sign-in comes back to the home page: that is
    where Streamlit's sign-in returns). Sets this run's role for retro/ (writes are refused for
    viewers there) and returns it."""
    secrets = _secrets()
    role = _sign_in_gate(secrets) if access.oidc_configured(secrets) else _passcode_gate(_codes(secrets))
    access.set_role(role)
    return role


def _passcode_gate(codes: dict[str, str]) -> str:
    from .text import tr

    if not codes:
        return access.EDITOR
    signed = _cookie_role(codes)
    if signed is not None:  # signed in at the door: that role, whatever this session held before
        st.session_state["_role"], st.session_state["_who"] = signed[0], signed[1] or signed[0]
        return signed[0]
    role = st.session_state.get("_role")
    if role is None:
        st.title(tr("gate.title"))
        st.caption(tr("gate.body"))
        with st.form("gate"):
            given = st.text_input(tr("gate.passcode"), type="password")
            name = st.text_input(tr("gate.name"))
            if st.form_submit_button(tr("gate.enter"), type="primary"):
                client = _client()
                wait = guard.BACKOFF.wait(client)
                found = access.role_for(given, codes) if wait <= 0 else None
                if wait > 0:
                    st.error(tr("gate.wait", seconds=int(wait + 0.999)))
                elif found is None:
                    failures = guard.BACKOFF.failed(client)
                    LOG.warning(guard.failure_line(client, failures, guard.BACKOFF.wait(client), "in-page form"))
                    st.error(tr("gate.wrong"))
                else:
                    guard.BACKOFF.succeeded(client)
                    st.session_state["_role"] = found
                    st.session_state["_who"] = name.strip()[:40] or found
                    st.rerun()
        st.stop()
    return role


def _client() -> str:
    """The address guesses are counted under: the connection's IP (None on localhost: "local")."""
    try:
        return st.context.ip_address or "local"
    except Exception:  # noqa: BLE001 - no script run context (AppTest)
        return "local"


def _sign_in_gate(secrets: dict[str, Any]) -> str:
    """st.login's button until an account is signed in; then its role from [access], or a refusal."""
    from .text import md, tr

    st.session_state.pop("_role", None)  # a passcode role never applies while sign-in is configured
    user = _account()
    if not user.get("is_logged_in"):
        st.session_state.pop("_who", None)
        st.title(tr("gate.title"))
        st.caption(tr("auth.body"))
        if st.button(tr("auth.sign_in"), type="primary", icon=":material/login:", key="_sign_in"):
            st.login()  # Streamlit sends the browser to the provider; it comes back to the home page
        st.stop()
    email = user.get("email")
    refusal = access.account_refusal(user, secrets)
    role = None if refusal else access.role_for_claims(user, secrets)
    if role is None:
        st.session_state.pop("_who", None)
        st.title(tr("gate.title"))
        if refusal == "no_email":
            st.error(tr("auth.no_email"), icon=":material/no_accounts:")
        else:  # unverified, another issuer or tenant, or on no list: each says what to do
            key = {"unverified": "auth.refused_unverified", "issuer": "auth.refused_issuer",
                   "tenant": "auth.refused_tenant"}.get(refusal or "", "auth.refused")
            st.error(tr(key, who=md(email)), icon=":material/no_accounts:")
        _sign_out_button("_sign_out_refused")
        st.stop()
    st.session_state["_who"] = email.strip().lower()
    with st.sidebar:
        st.caption(tr("gate.signed_in", who=md(who()), role=tr(f"gate.role.{role}")))
        _sign_out_button("_sign_out")
    return role


def _sign_out_button(key: str) -> None:
    from .text import tr

    if st.button(tr("auth.sign_out"), icon=":material/logout:", key=key):
        st.logout()  # clears the identity cookie (and the provider's session when it offers that)
        st.stop()


def can_edit() -> bool:
    return access.current_role() != access.VIEWER


def who() -> str:
    """Who is acting, for the record kept with each change: the name given with the passcode, or the
    signed-in account's e-mail address."""
    return st.session_state.get("_who") or access.current_role()
