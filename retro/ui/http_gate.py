"""The door in front of every route of the server (Streamlit 1.67 serves on Starlette/uvicorn, an ASGI
app; this wraps it, so it sees each HTTP request and websocket handshake before Streamlit does).

With passcodes or a company sign-in configured, a client without a valid sign-in gets a small
sign-in page (zh/en, from the catalog) and nothing else: the websocket is refused before it opens
(so no session, no script run), uploads and media answer 401, only ``/_stcore/health`` (and, with a
company sign-in, Streamlit's own ``/auth/*`` and ``/oauth2callback`` routes) answer. A right passcode
sets the signed cookie of :mod:`retro.guard` (HttpOnly, SameSite=Strict, Secure over HTTPS); the
in-script gate (retro.ui.signin) reads the role from the same cookie, so people sign in once.

Always, signed in or not (also for a passcode-less ``make run``):
* a request whose Host header is not one of this server's names is refused (DNS rebinding);
* a websocket from a page of another origin is refused (before Streamlit would look the origin up);
* upload bytes are capped per request, per session and in total (retro.guard.UploadLimits),
  counting what is being received and what Streamlit holds for the pages; only editors upload.

The rules are plain Python in retro.guard; this module is only the ASGI plumbing.
"""

from __future__ import annotations

import html
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from .. import access, guard
from ..i18n import LANGS, language_from_locale, t

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

LOG = logging.getLogger("retro.gate")
SIGN_IN, SIGN_OUT = "/_retro/signin", "/_retro/signout"
OPEN_PATHS = ("/_stcore/health", "/healthz")
OIDC_PATHS = ("/auth/login", "/auth/logout", "/oauth2callback")
UPLOAD_PREFIX = "/_stcore/upload_file/"
MAX_FORM = 4096  # bytes of the sign-in form: a passcode and a name
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


@dataclass
class Door:
    """What the gate needs to know, read when a request needs it (secrets.toml may change while
    the server runs): passcodes, whether a company sign-in replaces them, the sign-in rules."""

    codes: Callable[[], dict[str, str]]
    secrets: Callable[[], dict[str, Any]]
    hosts: list[str]
    secure: bool
    limits: guard.UploadLimits
    held: Callable[[str], tuple[int, int]] = lambda session: (0, 0)  # (session's, all) upload bytes kept
    oidc_user: Callable[[dict[str, str]], dict[str, Any]] = lambda cookies: {}
    login_url: Callable[[], str] = lambda: "/auth/login"
    backoff: guard.Backoff = field(default_factory=lambda: guard.BACKOFF)
    _cache: tuple[float, dict[str, str], dict[str, Any]] | None = None

    def config(self) -> tuple[dict[str, str], dict[str, Any]]:
        """(passcodes, secrets), read at most once a second (every asset of a page asks)."""
        now = time.monotonic()
        if self._cache is None or now - self._cache[0] > 1.0:
            secrets = self.secrets()
            self._cache = (now, self.codes(), secrets)
        return self._cache[1], self._cache[2]


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookies(header: str | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in (header or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key not in found:
            found[key] = value
    return found


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


def _lang(scope: Scope, headers: dict[str, str]) -> str:
    wanted = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [""])[0]
    if wanted in LANGS:
        return wanted
    first = (headers.get("accept-language") or "").split(",")[0].split(";")[0].strip()
    return language_from_locale(first or None)


class HttpGate:
    """ASGI middleware around Streamlit's Starlette app (see the module docstring)."""

    def __init__(self, app: App, door: Door) -> None:
        self.app, self.door = app, door
        self._lock = threading.Lock()
        self._inflight: dict[str, int] = {}  # upload bytes being received, per session

    # ------------------------------------------------------------------ who is asking

    def role(self, headers: dict[str, str]) -> str | None:
        """The signed-in role of this request: "editor"/"viewer", "refused" for a company account on
        no list (the page says so and offers to sign out), None: not signed in. With nothing
        configured (localhost use) everybody is an editor."""
        codes, secrets = self.door.config()
        cookies = _cookies(headers.get("cookie"))
        if access.oidc_configured(secrets):
            user = self.door.oidc_user(cookies)
            if not user.get("is_logged_in"):
                return None
            role = access.role_for_account(user.get("email"), access.access_rules(secrets),
                                           email_verified=user.get("email_verified"))
            return role or "refused"
        if not codes:
            return access.EDITOR
        found = guard.verify(cookies.get(guard.COOKIE))
        if found is None or found[0] not in codes:
            return None
        return found[0]

    # ------------------------------------------------------------------ the door

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        path = scope.get("path", "")
        if not guard.host_allowed(headers.get("host"), self.door.hosts):
            LOG.warning("retro: refused a request for host %r from %s", headers.get("host", "")[:80], _client(scope))
            await self._refuse(scope, receive, send, 421, "This server does not answer to that host name.")
            return
        if kind == "websocket":
            origin = headers.get("origin")
            if origin and not guard.host_allowed(urlsplit(origin).netloc, self.door.hosts):
                await self._refuse(scope, receive, send, 403, "")
                return
        if path in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        if kind == "http" and path == SIGN_IN:
            await self._sign_in(scope, receive, send, headers)
            return
        if kind == "http" and path == SIGN_OUT:
            await self._redirect(send, "/", cookie=guard.cookie_header("", secure=self.door.secure))
            return
        role = self.role(headers)
        if role is None:
            _codes, secrets = self.door.config()
            if access.oidc_configured(secrets) and path in OIDC_PATHS:
                await self.app(scope, receive, send)
            elif kind == "http" and scope["method"] in ("GET", "HEAD") and _is_page(path):
                await self._page(scope, send, headers, status=200)
            else:
                await self._refuse(scope, receive, send, 401, "Sign in first.")
            return
        if kind == "http" and scope["method"] == "PUT" and path.startswith(UPLOAD_PREFIX):
            await self._upload(scope, receive, send, headers, role)
            return
        await self.app(scope, receive, send)

    # ------------------------------------------------------------------ uploads

    async def _upload(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str], role: str) -> None:
        if role != access.EDITOR:  # viewers import nothing: no bytes of theirs are taken in
            await self._refuse(scope, receive, send, 403, "Only editors upload.")
            return
        session = path_session(scope["path"])
        try:
            length = int(headers["content-length"]) if "content-length" in headers else None
        except ValueError:
            length = None
        with self._lock:
            held_session, held_total = self.door.held(session)
            mine = self._inflight.get(session, 0) + held_session
            everyone = sum(self._inflight.values()) + held_total
            status = self.door.limits.refusal(length, mine, everyone)
            if status is None:
                self._inflight[session] = self._inflight.get(session, 0) + (length or 0)
        if status is not None:
            LOG.warning("retro: refused an upload of %s bytes from %s (%s)", length, _client(scope), status)
            await self._refuse(scope, receive, send, status, "Upload refused: too large or too many at once.")
            return
        try:
            await self.app(scope, receive, send)
        finally:
            with self._lock:
                left = self._inflight.get(session, 0) - (length or 0)
                if left > 0:
                    self._inflight[session] = left
                else:
                    self._inflight.pop(session, None)

    # ------------------------------------------------------------------ sign-in page

    async def _sign_in(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        codes, secrets = self.door.config()
        if scope["method"] != "POST" or access.oidc_configured(secrets) or not codes:
            await self._redirect(send, "/")
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > MAX_FORM:
                await self._refuse(scope, receive, send, 413, "")
                return
            if not message.get("more_body"):
                break
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        client = _client(scope)
        lang = form.get("lang") if form.get("lang") in LANGS else _lang(scope, headers)
        target = safe_next(form.get("next"))
        wait = self.door.backoff.wait(client)
        if wait > 0:
            await self._page(scope, send, headers, status=429, lang=lang, target=target,
                             error=t("gate.wait", lang, seconds=int(wait + 0.999)))
            return
        role = access.role_for(form.get("passcode", ""), codes)
        if role is None:
            failures = self.door.backoff.failed(client)
            LOG.warning(guard.failure_line(client, failures, self.door.backoff.wait(client), "sign-in page"))
            await self._page(scope, send, headers, status=401, lang=lang, target=target, error=t("gate.wrong", lang))
            return
        self.door.backoff.succeeded(client)
        value = guard.sign(role, form.get("name", ""))
        await self._redirect(send, target, cookie=guard.cookie_header(value, secure=self.door.secure))

    async def _page(self, scope: Scope, send: Send, headers: dict[str, str], *, status: int,
                    lang: str | None = None, target: str | None = None, error: str = "") -> None:
        lang = lang or _lang(scope, headers)
        if target is None:
            query = scope.get("query_string", b"").decode("latin-1")
            target = safe_next(scope.get("path", "/") + ("?" + query if query else ""))
        _codes, secrets = self.door.config()
        page = sign_in_page(lang, target, error=error, oidc_url=self.door.login_url()
                            if access.oidc_configured(secrets) else None)
        await _respond(send, status, page.encode("utf-8"), "text/html; charset=utf-8",
                       head=scope["method"] == "HEAD")

    # ------------------------------------------------------------------ answers

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, text: str) -> None:
        if scope["type"] == "websocket":
            await receive()  # websocket.connect; closing before accepting answers the handshake with 403
            await send({"type": "websocket.close", "code": 1008})
            return
        await _respond(send, status, text.encode("utf-8"), "text/plain; charset=utf-8")

    async def _redirect(self, send: Send, target: str, *, cookie: str | None = None) -> None:
        extra = [(b"location", target.encode("latin-1", "replace"))]
        if cookie:
            extra.append((b"set-cookie", cookie.encode("latin-1")))
        await _respond(send, 303, b"", "text/plain; charset=utf-8", extra=extra)


async def _respond(send: Send, status: int, body: bytes, content_type: str, *,
                   extra: Iterable[tuple[bytes, bytes]] = (), head: bool = False) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"),
               (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
               (b"content-security-policy", CSP.encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


def _is_page(path: str) -> bool:
    """A page address (/, /trends …) gets the sign-in page; Streamlit's API, media and assets a 401."""
    if path.startswith(("/_stcore", "/media", "/component", "/static", "/app/static", "/_retro", "/auth")):
        return False
    return "." not in path.rsplit("/", 1)[-1]


def path_session(path: str) -> str:
    """The session id of /_stcore/upload_file/<session>/<file>."""
    return path[len(UPLOAD_PREFIX):].split("/", 1)[0]


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this server only (no //host, no scheme)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 2000:
        return "/"
    if any(ord(c) < 32 for c in value) or value.startswith(SIGN_IN):
        return "/"
    return value


def sign_in_page(lang: str, target: str, *, error: str = "", oidc_url: str | None = None) -> str:
    """The whole page an unauthenticated browser gets: no script, no external resource."""
    e = html.escape
    other = "en" if lang == "zh" else "zh"
    switch = f'<a href="/?lang={other}" lang="{other}">{"English" if other == "en" else "中文"}</a>'
    if oidc_url is not None:
        form = (f'<p>{e(t("auth.body", lang))}</p>'
                f'<p><a class="button" href="{e(oidc_url)}" role="button">{e(t("auth.sign_in", lang))}</a></p>')
    else:
        form = (f'<p>{e(t("gate.body", lang))}</p>'
                f'{f"<p class=error role=alert>{e(error)}</p>" if error else ""}'
                f'<form method="post" action="{SIGN_IN}">'
                f'<input type="hidden" name="next" value="{e(target)}"><input type="hidden" name="lang" value="{lang}">'
                f'<label>{e(t("gate.passcode", lang))}<input type="password" name="passcode" required '
                f'autocomplete="current-password" autofocus></label>'
                f'<label>{e(t("gate.name", lang))}<input type="text" name="name" maxlength="40" autocomplete="name"></label>'
                f'<button type="submit">{e(t("gate.enter", lang))}</button></form>')
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>{e(t("gate.title", lang))}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#262730}}
label{{display:block;margin:1rem 0;font-size:.9rem}}input{{display:block;width:100%;padding:.5rem;margin-top:.3rem;
box-sizing:border-box;font-size:1rem}}button,.button{{background:#ff4b4b;color:#fff;border:0;border-radius:.4rem;
padding:.6rem 1.2rem;font-size:1rem;text-decoration:none;display:inline-block;cursor:pointer}}
.error{{color:#b00020}}nav{{text-align:right;font-size:.9rem}}</style></head>
<body><nav>{switch}</nav><main><h1>{e(t("gate.title", lang))}</h1>{form}</main></body></html>
"""


# --------------------------------------------------------------------------- Streamlit's side


def streamlit_door(*, hosts: list[str], secure: bool, max_upload_mb: int) -> Door:
    """The Door of this process: passcodes and secrets as the in-script gate reads them, Streamlit's
    identity cookie for a company sign-in, the upload bytes its file manager holds."""
    from streamlit.runtime import Runtime

    from .signin import _codes, _secrets

    def held(session: str) -> tuple[int, int]:
        if not Runtime.exists():
            return 0, 0
        manager = Runtime.instance().uploaded_file_mgr
        storage = getattr(manager, "file_storage", {})
        try:
            sizes = {sid: sum(len(rec.data) for rec in files.values()) for sid, files in list(storage.items())}
        except (AttributeError, RuntimeError):  # another layout, or changed while counting
            return 0, 0
        return sizes.get(session, 0), sum(sizes.values())

    def oidc_user(cookies: dict[str, str]) -> dict[str, Any]:
        from streamlit.web.server.server_util import AUTH_COOKIE_NAME
        from streamlit.web.server.starlette.starlette_websocket import _get_signed_cookie_with_chunks

        try:
            raw = _get_signed_cookie_with_chunks(cookies, AUTH_COOKIE_NAME)
            return json.loads(raw) if raw else {}
        except Exception:  # noqa: BLE001 - an unreadable or forged identity cookie: not signed in
            return {}

    def login_url() -> str:
        from streamlit.auth_util import encode_provider_token

        return f"/auth/login?provider={quote(encode_provider_token('default'))}"

    return Door(codes=lambda: _codes(_secrets()), secrets=_secrets, hosts=hosts, secure=secure,
                limits=guard.UploadLimits.for_max_mb(max_upload_mb), held=held, oidc_user=oidc_user,
                login_url=login_url)


def install(door: Callable[[], Door] | None = None) -> bool:
    """Wrap the app Streamlit's uvicorn server builds (streamlit run builds it in
    ``starlette_server.create_starlette_app``) in :class:`HttpGate`; the Door is made then, from
    the loaded config (``door`` overrides). False when the installed Streamlit has no such factory:
    the caller must then refuse to share."""
    try:
        from streamlit.web.server.starlette import starlette_server
    except ImportError:
        return False
    build = getattr(starlette_server, "create_starlette_app", None)
    if build is None:
        return False
    if getattr(build, "_retro_gate", False):
        return True

    def gated(runtime: Any) -> Any:
        from streamlit import config

        made = door() if door else streamlit_door(
            hosts=list(config.get_option("server.allowedHosts") or ["*"]),
            secure=bool(config.get_option("server.sslCertFile")),
            max_upload_mb=int(config.get_option("server.maxUploadSize")))
        return HttpGate(build(runtime), made)

    gated._retro_gate = True  # type: ignore[attr-defined]
    starlette_server.create_starlette_app = gated
    return True


class RedactSessionIds(logging.Filter):
    """Log records with session ids (UUIDs) blanked: a reader of the log could resume the session."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = guard.redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
