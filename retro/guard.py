"""The rules of the door in front of a shared dashboard, in plain Python (no Streamlit, no server):

* the sign-in cookie: a role (and the name given with the passcode) signed with HMAC-SHA256 under a
  key made at start-up, with an expiry — so the server can trust a cookie it issued and nothing else;
* how guessing is slowed: after a few wrong passcodes from one address every further try waits,
  doubling up to a cap; many wrong passcodes from everywhere slow everyone down a little;
* what passcodes may be shared: at least :data:`MIN_PASSCODE` characters, editor and viewer different;
* how many upload bytes may be in the server at once, per session and in total;
* which Host headers a server answers (a foreign one is DNS rebinding or a misdirected request);
* log lines without session ids.

retro.ui.http_gate applies these in front of every route; retro.ui.signin uses the same cookie and
backoff inside the script. Nothing here logs or stores a passcode.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

COOKIE = "retro_gate"
COOKIE_HOURS = 12  # a working day: a review the next morning asks for the passcode again
MIN_PASSCODE = 6
ROLES = ("editor", "viewer")

# Made once per server process: a cookie from before a restart (or from another machine) is not
# trusted; changing the passcodes means a restart, so it also ends every old cookie.
_KEY = secrets.token_bytes(32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(role: str, name: str = "", *, now: float | None = None, hours: float = COOKIE_HOURS,
         key: bytes | None = None) -> str:
    """The cookie value that admits ``role`` (with ``name``, cut to 40 characters) until ``hours`` from now."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    issued = time.time() if now is None else now
    body = _b64(json.dumps({"r": role, "n": name.strip()[:40], "e": int(issued + hours * 3600)},
                           ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    mac = hmac.new(key or _KEY, body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def verify(value: str | None, *, now: float | None = None, key: bytes | None = None) -> tuple[str, str] | None:
    """``(role, name)`` from a cookie :func:`sign` made with this key and not yet expired; else None."""
    if not value or value.count(".") != 1 or len(value) > 1024:
        return None
    body, mac = value.split(".")
    expected = hmac.new(key or _KEY, body.encode("ascii", "replace"), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_unb64(mac), expected):
            return None
        claims = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(claims, dict) or claims.get("r") not in ROLES:
        return None
    if not isinstance(claims.get("e"), int) or claims["e"] <= (time.time() if now is None else now):
        return None
    return claims["r"], str(claims.get("n") or "")


def cookie_header(value: str, *, secure: bool, hours: float = COOKIE_HOURS) -> str:
    """The Set-Cookie header: HttpOnly (no script reads it), SameSite=Strict (no other site sends it),
    Secure over HTTPS; ``value`` "" clears it."""
    age = int(hours * 3600) if value else 0
    return (f"{COOKIE}={value}; Path=/; Max-Age={age}; HttpOnly; SameSite=Strict"
            + ("; Secure" if secure else ""))


def read_cookie(header: str | None, name: str = COOKIE) -> str | None:
    """The value of cookie ``name`` in a Cookie header (the first one), or None."""
    for part in (header or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


# --------------------------------------------------------------------------- guessing


@dataclass
class _Count:
    failures: int = 0
    last: float = 0.0


class Backoff:
    """Wrong passcodes slow the next try: from one address, after ``free`` failures each try waits
    ``base`` × 2^(failures − free) seconds, at most ``cap``; from all addresses together, after
    ``global_free`` failures every try waits likewise, at most ``global_cap`` (short, so someone
    guessing cannot lock the team out for long). Counts are forgotten ``forget`` seconds after the
    last failure; a right passcode clears its address's count. Thread-safe; remembers at most
    ``max_clients`` addresses (the oldest are dropped)."""

    def __init__(self, *, free: int = 3, base: float = 1.0, cap: float = 60.0, global_free: int = 20,
                 global_cap: float = 10.0, forget: float = 900.0, max_clients: int = 10_000) -> None:
        self.free, self.base, self.cap = free, base, cap
        self.global_free, self.global_cap, self.forget = global_free, global_cap, forget
        self.max_clients = max_clients
        self._clients: OrderedDict[str, _Count] = OrderedDict()
        self._all = _Count()
        self._lock = threading.Lock()

    def _delay(self, count: _Count, free: int, cap: float, now: float) -> float:
        if count.failures < free or now - count.last > self.forget:
            return 0.0
        delay = min(self.base * 2 ** (count.failures - free), cap)
        return max(0.0, count.last + delay - now)

    def wait(self, client: str, now: float | None = None) -> float:
        """Seconds ``client`` must still wait before its next try is looked at (0: go ahead)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            mine = self._clients.get(client)
            own = self._delay(mine, self.free, self.cap, now) if mine else 0.0
            return max(own, self._delay(self._all, self.global_free, self.global_cap, now))

    def failed(self, client: str, now: float | None = None) -> int:
        """Record a wrong passcode from ``client``; returns its failure count."""
        now = time.monotonic() if now is None else now
        with self._lock:
            mine = self._clients.pop(client, None) or _Count()
            if now - mine.last > self.forget:
                mine.failures = 0
            mine.failures += 1
            mine.last = now
            self._clients[client] = mine
            while len(self._clients) > self.max_clients:
                self._clients.popitem(last=False)
            if now - self._all.last > self.forget:
                self._all.failures = 0
            self._all.failures += 1
            self._all.last = now
            return mine.failures

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._clients.pop(client, None)


# One per process: the HTTP sign-in page and the in-script form count the same guesses.
BACKOFF = Backoff()


def failure_line(client: str, failures: int, wait: float, where: str) -> str:
    """The log line of a wrong passcode: who and how often, never what was typed."""
    return f"retro: wrong passcode from {client or 'unknown'} via {where} ({failures} in a row; next try in {wait:.0f} s)"


# --------------------------------------------------------------------------- passcodes to share


def code_problems(codes: Mapping[str, str]) -> list[str]:
    """Why these passcodes may not be shared on the network, as catalog keys (empty: fine).

    An editor passcode is needed; each passcode has at least MIN_PASSCODE characters; the viewer
    passcode differs from the editor's (equal ones would make every viewer an editor)."""
    problems = []
    editor, viewer = codes.get("editor"), codes.get("viewer")
    if not editor:
        problems.append("gate.check.no_editor")
    if any(code and len(code) < MIN_PASSCODE for code in (editor, viewer)):
        problems.append("gate.check.short")
    if editor and viewer and hmac.compare_digest(editor.encode("utf-8"), viewer.encode("utf-8")):
        problems.append("gate.check.equal")
    return problems


# --------------------------------------------------------------------------- uploads


@dataclass(frozen=True)
class UploadLimits:
    """Bytes of uploaded files the server holds at once (in flight and kept for the page)."""

    per_request: int
    per_session: int
    total: int

    @classmethod
    def for_max_mb(cls, max_upload_mb: int) -> UploadLimits:
        """From ``server.maxUploadSize``: one file of that size, two per session, four in all."""
        one = max_upload_mb * 1024 * 1024
        return cls(per_request=one, per_session=2 * one, total=4 * one)

    def refusal(self, length: int | None, session_bytes: int, total_bytes: int) -> int | None:
        """The HTTP status refusing an upload of ``length`` bytes (None: accept): 411 without a
        length, 413 over the per-request size, 429 when the session's or the server's share is full."""
        if length is None:
            return 411
        if length > self.per_request:
            return 413
        if session_bytes + length > self.per_session or total_bytes + length > self.total:
            return 429
        return None


# --------------------------------------------------------------------------- hosts


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def allowed_hosts(address: str | None, lan_ip: str | None = None, extra: Iterable[str] = ()) -> list[str]:
    """The host names a server bound to ``address`` answers to: loopback always; the LAN address
    when it listens on every address (``make share``) or on that one; plus ``extra`` (RETRO_HOSTS)."""
    hosts = list(LOOPBACK_HOSTS)
    if address and address not in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::"):
        hosts.append(address)
    if address in ("0.0.0.0", "::", None, "") and lan_ip:
        hosts.append(lan_ip)
    hosts.extend(h.strip().lower() for h in extra if h.strip())
    return list(dict.fromkeys(h.lower() for h in hosts))


def host_allowed(host_header: str | None, hosts: Iterable[str]) -> bool:
    """Whether a request's Host header (name[:port]) names one of ``hosts`` ("*" any, "*.corp.cn" its
    subdomains, as Streamlit's server.allowedHosts reads them)."""
    if not host_header:
        return False
    try:
        parts = urlsplit(f"//{host_header}")
        name, _port = parts.hostname, parts.port
    except ValueError:
        return False
    if not name or parts.username or parts.password or parts.path:
        return False
    name = name.lower().rstrip(".")
    for pattern in hosts:
        pattern = pattern.strip().lower().rstrip(".")
        if pattern == "*" or name == pattern or (pattern.startswith("*.") and name.endswith(pattern[1:])):
            return True
    return False


# --------------------------------------------------------------------------- logs


_SESSION_ID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with session ids (UUIDs) replaced: a logged id would let its reader take the session over."""
    return _SESSION_ID.sub("<session>", text)
