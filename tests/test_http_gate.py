"""The door in front of the server (issue 19, holes 1–4, 6 and the upload caps of 8), each against a real
``python -m retro.ui`` process, with raw HTTP (http.client) and websocket (websockets) clients on
127.0.0.1 as someone else on the office network would use them, and chromium for the sign-in page.

Each test names the hole it closes; before the door each of them failed (the websocket opened and
took uploads before any passcode, guesses were neither slowed nor logged, ``make share`` served plain
HTTP and logged session ids, any Host header was served, the start looked up the external IP).
"""

from __future__ import annotations

import asyncio
import http.client
import re
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import VIEWPORT, StreamlitServer, chromium_launch_kwargs, unverified_tls

from retro import guard, tls
from retro.i18n import t

pytestmark = pytest.mark.browser

EDITOR_CODE, VIEWER_CODE = "edit-me-2026", "look-only-2026"
CODES = {"RETRO_EDITOR_PASSCODE": EDITOR_CODE, "RETRO_VIEWER_PASSCODE": VIEWER_CODE}


# --------------------------------------------------------------------------- raw clients


def request(srv: StreamlitServer, method: str, path: str, *, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    parts = urllib.parse.urlsplit(srv.url)
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=30, context=unverified_tls())
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        conn.close()


def sign_in(srv: StreamlitServer, code: str, name: str = "") -> tuple[int, str | None, dict[str, str], bytes]:
    """POST the sign-in page's form; (status, the retro_gate cookie or None, headers, body)."""
    form = urllib.parse.urlencode({"passcode": code, "name": name, "next": "/", "lang": "en"}).encode()
    status, headers, body = request(srv, "POST", "/_retro/signin", body=form,
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    cookie = guard.read_cookie(headers.get("set-cookie", "").split(";")[0], guard.COOKIE)
    return status, cookie, headers, body


def xsrf_cookie(srv: StreamlitServer, cookies: str) -> str:
    """The _streamlit_xsrf cookie Streamlit's frontend gets from /_stcore/health."""
    status, headers, _ = request(srv, "GET", "/_stcore/health", headers={"Cookie": cookies})
    assert status == 200
    found = re.search(r"_streamlit_xsrf=([^;]+)", headers.get("set-cookie", ""))
    assert found, headers
    return found.group(1)


async def _session(srv: StreamlitServer, cookies: str, xsrf: str | None, *, existing: str | None = None,
                   host: str | None = None, origin: str | None = None):
    """Open Streamlit's websocket as its frontend does and ask for a run; (socket, session id)."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    ws_url = srv.url.replace("http", "ws", 1) + "/_stcore/stream"
    extra = {}
    if host:  # a name that resolves to this machine (DNS rebinding): the socket goes to 127.0.0.1
        ws_url = ws_url.replace(f"127.0.0.1:{srv.port}", host)
        extra["sock"] = socket.create_connection(("127.0.0.1", srv.port))
    protocols = ["streamlit", xsrf or "none", *([existing] if existing else [])]
    headers = {"Cookie": cookies}
    ws = await websockets.connect(ws_url, additional_headers=headers, subprotocols=protocols, **extra,
                                  origin=origin or f"http://127.0.0.1:{srv.port}",
                                  ssl=unverified_tls() if srv.url.startswith("https") else None,
                                  open_timeout=20, max_size=None)
    back = BackMsg()
    back.rerun_script.SetInParent()
    await ws.send(back.SerializeToString())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        msg = ForwardMsg()
        msg.ParseFromString(await asyncio.wait_for(ws.recv(), 30))
        if msg.WhichOneof("type") == "new_session":
            return ws, msg.new_session.initialize.session_id
    raise AssertionError("no NewSession message")


def websocket_refused(srv: StreamlitServer, cookies: str = "", **kw) -> int | None:
    """The HTTP status the websocket handshake was refused with; None when it opened."""
    import websockets

    async def attempt():
        try:
            ws, _sid = await _session(srv, cookies, None, **kw)
        except websockets.exceptions.InvalidStatus as exc:
            return exc.response.status_code
        await ws.close()
        return None

    return asyncio.run(attempt())


def multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = "retro-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def upload(srv: StreamlitServer, session: str, cookies: str, xsrf: str, data: bytes, file_id: str = "f1") -> int:
    body, kind = multipart("big.csv", data)
    status, _h, _b = request(srv, "PUT", f"/_stcore/upload_file/{session}/{file_id}", body=body,
                             headers={"Cookie": cookies, "X-Xsrftoken": xsrf, "Content-Type": kind})
    return status


# --------------------------------------------------------------------------- servers


@pytest.fixture(scope="module")
def gated(tmp_path_factory) -> Iterator[StreamlitServer]:
    """Passcodes on, as on localhost with RETRO_*_PASSCODE set; uploads capped at 1 MB a file."""
    d = tmp_path_factory.mktemp("gated")
    srv = StreamlitServer(d / "retro.duckdb", d / "streamlit.log", env=CODES, args=["--server.maxUploadSize", "1"])
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def open_server(tmp_path_factory) -> Iterator[StreamlitServer]:
    """`make run`: no passcodes, localhost."""
    d = tmp_path_factory.mktemp("open")
    srv = StreamlitServer(d / "retro.duckdb", d / "streamlit.log")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


# --------------------------------------------------------------------------- hole 1


def test_hole1_nothing_is_served_before_the_passcode(gated):
    # health answers (a monitor needs it); everything else is the sign-in page or a refusal
    assert request(gated, "GET", "/_stcore/health")[0] == 200
    status, headers, body = request(gated, "GET", "/trends?period=2026-01&lang=en")
    page = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert t("gate.passcode", "en") in page and "<script" not in page and "streamlit" not in page.lower()
    assert 'value="/trends?period=2026-01&amp;lang=en"' in page  # the link opens where it pointed once signed in
    assert websocket_refused(gated) == 403  # no websocket: no session, no script run
    body, kind = multipart("big.csv", b"x" * 50_000)
    for method, path in (("PUT", "/_stcore/upload_file/any-session/f1"), ("GET", "/media/abc.png"),
                         ("GET", "/_stcore/host-config"), ("GET", "/static/js/index.js")):
        assert request(gated, method, path, body=body if method == "PUT" else None,
                       headers={"Content-Type": kind})[0] == 401, path
    # a forged cookie opens nothing either
    forged = guard.sign("editor", key=b"not the server's key")
    assert websocket_refused(gated, f"{guard.COOKIE}={forged}") == 403


def test_hole1_signed_in_the_socket_opens_and_only_editors_upload(gated):
    status, cookie, headers, _ = sign_in(gated, EDITOR_CODE, "Lead")
    assert status == 303 and cookie
    set_cookie = headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    cookies = f"{guard.COOKIE}={cookie}"
    xsrf = xsrf_cookie(gated, cookies)
    cookies += f"; _streamlit_xsrf={xsrf}"

    async def editor():
        ws, sid = await _session(gated, cookies, xsrf)
        try:
            return upload(gated, sid, cookies, xsrf, b"a,b\n1,2\n")
        finally:
            await ws.close()

    assert asyncio.run(editor()) == 204
    _s, viewer_cookie, _h, _b = sign_in(gated, VIEWER_CODE)
    viewer = f"{guard.COOKIE}={viewer_cookie}; _streamlit_xsrf={xsrf}"

    async def as_viewer():
        ws, sid = await _session(gated, viewer, xsrf)
        try:
            return upload(gated, sid, viewer, xsrf, b"a,b\n1,2\n")
        finally:
            await ws.close()

    assert asyncio.run(as_viewer()) == 403  # viewers import nothing: their bytes are not taken in


# --------------------------------------------------------------------------- hole 8 (upload caps)


def test_hole8_upload_bytes_are_capped_per_request_and_per_session(gated):
    _s, cookie, _h, _b = sign_in(gated, EDITOR_CODE)
    cookies = f"{guard.COOKIE}={cookie}"
    xsrf = xsrf_cookie(gated, cookies)
    cookies += f"; _streamlit_xsrf={xsrf}"
    chunk = b"1,2\n" * 200_000  # 0.8 MB: under the 1 MB a file, two fit a session's 2 MB, three do not

    async def run():
        ws, sid = await _session(gated, cookies, xsrf)
        try:
            too_big = upload(gated, sid, cookies, xsrf, b"x" * (1024 * 1024 + 10), "big")
            kept = [upload(gated, sid, cookies, xsrf, chunk, f"f{i}") for i in range(3)]
            # no length: the server cannot know what it takes in before it has it
            parts = urllib.parse.urlsplit(gated.url)
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            conn.putrequest("PUT", f"/_stcore/upload_file/{sid}/chunked")
            for k, v in {"Cookie": cookies, "X-Xsrftoken": xsrf, "Transfer-Encoding": "chunked"}.items():
                conn.putheader(k, v)
            conn.endheaders()
            conn.send(b"5\r\nhello\r\n0\r\n\r\n")
            chunked = conn.getresponse().status
            conn.close()
            return too_big, kept, chunked
        finally:
            await ws.close()

    too_big, kept, chunked = asyncio.run(run())
    assert too_big == 413
    assert kept == [204, 204, 429]
    assert chunked == 411


# --------------------------------------------------------------------------- hole 2


def test_hole2_guesses_are_slowed_and_logged(tmp_path):
    srv = StreamlitServer(tmp_path / "retro.duckdb", tmp_path / "streamlit.log", env=CODES)
    srv.start()
    try:
        statuses = [sign_in(srv, f"guess-{i}")[0] for i in range(5)]
        assert statuses[:3] == [401, 401, 401]  # three free tries, then the next waits
        assert statuses[3:] == [429, 429]
        status, cookie, _h, body = sign_in(srv, EDITOR_CODE)  # even the right one waits its turn
        assert status == 429 and cookie is None
        assert t("gate.wait", "en", seconds=1).split("1")[0] in body.decode()
        time.sleep(1.2)
        status, cookie, _h, _b = sign_in(srv, EDITOR_CODE)
        assert status == 303 and cookie
        time.sleep(0.5)
        log = srv.log_path.read_text()
        lines = [line for line in log.splitlines() if "wrong passcode from 127.0.0.1" in line]
        assert len(lines) == 3, log
        assert "guess-" not in log and EDITOR_CODE not in log
    finally:
        srv.stop()


@pytest.mark.parametrize(("codes", "key"), [
    ({"RETRO_EDITOR_PASSCODE": "abc", "RETRO_VIEWER_PASSCODE": "look-only-2026"}, "gate.check.short"),
    ({"RETRO_EDITOR_PASSCODE": "same-code-1", "RETRO_VIEWER_PASSCODE": "same-code-1"}, "gate.check.equal"),
    ({}, "gate.check.no_editor"),
])
def test_hole2_sharing_refuses_weak_passcodes(tmp_path, codes, key):
    srv = StreamlitServer(tmp_path / "retro.duckdb", tmp_path / "streamlit.log", env=codes, address="0.0.0.0",
                          https=True)
    with pytest.raises(RuntimeError, match="exited with 2"):
        srv.start(timeout=30)
    assert t(key, "en", min=guard.MIN_PASSCODE) in srv.log()


# --------------------------------------------------------------------------- hole 3


def test_hole3_sharing_serves_https_with_the_printed_certificate_and_logs_no_session_id(tmp_path):
    srv = StreamlitServer(tmp_path / "retro.duckdb", tmp_path / "streamlit.log", env=CODES, address="0.0.0.0",
                          https=True)
    srv.start()
    try:
        cert = tmp_path / "tls" / "retro-cert.pem"
        assert cert.exists() and (tmp_path / "tls" / "retro-key.pem").stat().st_mode & 0o077 == 0
        pem = ssl.get_server_certificate(("127.0.0.1", srv.port))
        assert ssl.PEM_cert_to_DER_cert(pem) == ssl.PEM_cert_to_DER_cert(cert.read_text())
        assert tls.fingerprint(cert) in srv.log()  # printed beside the link for colleagues to compare
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as plain:  # cleartext: no answer
            plain.sendall(b"GET /_stcore/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            try:
                reply = plain.recv(100)
            except OSError:
                reply = b""
        assert not reply.startswith(b"HTTP/1.1 200")
        status, cookie, headers, _ = sign_in(srv, EDITOR_CODE)
        assert status == 303 and "Secure" in headers["set-cookie"]
        cookies = f"{guard.COOKIE}={cookie}"
        xsrf = xsrf_cookie(srv, cookies)
        cookies += f"; _streamlit_xsrf={xsrf}"

        async def reconnect():
            first, sid = await _session(srv, cookies, xsrf)
            second, again = await _session(srv, cookies, xsrf, existing=sid)  # a second tab: "already connected"
            await first.close()
            await second.close()
            return sid, again

        sid, again = asyncio.run(reconnect())
        assert again == sid
        time.sleep(0.5)
        log = srv.log_path.read_text()
        assert "already connected" in log and sid not in log
    finally:
        srv.stop()


# --------------------------------------------------------------------------- hole 4


def test_hole4_a_foreign_host_name_is_refused(open_server):
    srv = open_server
    assert request(srv, "GET", "/", headers={"Host": f"127.0.0.1:{srv.port}"})[0] == 200
    assert request(srv, "GET", "/", headers={"Host": f"localhost:{srv.port}"})[0] == 200
    for host in (f"rebind.attacker.example:{srv.port}", "evil", f"192.168.1.20:{srv.port}"):
        assert request(srv, "GET", "/", headers={"Host": host})[0] == 421, host
        assert websocket_refused(srv, host=host) == 403, host
    # a page of another origin opening the socket of a passcode-less dashboard
    assert websocket_refused(srv, origin="http://rebind.attacker.example") == 403
    assert websocket_refused(srv) is None  # the dashboard's own page still connects


# --------------------------------------------------------------------------- hole 6


class _Listener:
    """A TCP listener standing in for the internet (the server's HTTP(S)_PROXY): it records every
    connection; an offline app makes none."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.seen: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.seen.append(conn.recv(200))
                except OSError:
                    self.seen.append(b"")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def test_hole6_no_call_out_at_start_or_on_a_cross_origin_socket(tmp_path):
    internet = _Listener()
    proxy = f"http://127.0.0.1:{internet.port}"
    srv = StreamlitServer(tmp_path / "retro.duckdb", tmp_path / "streamlit.log", address="0.0.0.0", https=True,
                          env={**CODES, "HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "http_proxy": proxy,
                               "https_proxy": proxy, "NO_PROXY": "", "no_proxy": ""})
    try:
        srv.start()
        websocket_refused(srv, origin="http://elsewhere.example")
        time.sleep(1.5)
        assert internet.seen == [], internet.seen
        assert "External URL" not in srv.log()
    finally:
        srv.stop()
        internet.close()


def test_hole6_the_page_fetches_nothing_from_elsewhere(open_server):
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(**chromium_launch_kwargs())
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.on("request", lambda r: requested.append(r.url))
            page.goto(f"{open_server.url}/?lang=en")
            page.get_by_role("heading", name=t("home.title", "en"), exact=True).wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            icon = page.evaluate("() => [...document.querySelectorAll('link[rel*=icon]')].map(l => l.href)")
        finally:
            browser.close()
    foreign = [u for u in requested if not u.startswith((open_server.url, "data:", "blob:"))]
    assert foreign == []
    assert icon and all(h.startswith(open_server.url) or h.startswith("data:") for h in icon), icon


# --------------------------------------------------------------------------- the sign-in page


def test_the_sign_in_page_lets_a_viewer_in_once_and_the_page_trusts_it(gated):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(**chromium_launch_kwargs())
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(f"{gated.url}/?lang=en")
            expect(page.get_by_role("heading", name=t("gate.title", "en"))).to_be_visible()
            page.get_by_label(t("gate.passcode", "en")).fill("not-it-at-all")
            page.get_by_role("button", name=t("gate.enter", "en")).click()
            expect(page.get_by_role("alert")).to_have_text(t("gate.wrong", "en"))
            page.get_by_role("link", name="中文").click()
            expect(page.get_by_role("button", name=t("gate.enter", "zh"))).to_be_visible()
            page.get_by_label(t("gate.passcode", "zh")).fill(VIEWER_CODE)
            page.get_by_label(t("gate.name", "zh")).fill("Ann")
            page.get_by_role("button", name=t("gate.enter", "zh")).click()
            sidebar = page.locator("[data-testid=stSidebar]")
            expect(sidebar.get_by_text(t("gate.signed_in", "zh", who="Ann", role=t("gate.role.viewer", "zh")))
                   ).to_be_visible(timeout=60_000)
            expect(page.get_by_label(t("gate.passcode", "zh"))).to_have_count(0)  # asked once, at the door
            cookies = {c["name"]: c for c in page.context.cookies()}
            assert cookies[guard.COOKIE]["httpOnly"] and cookies[guard.COOKIE]["sameSite"] == "Strict"
        finally:
            browser.close()


def test_the_certificate_is_made_once_per_address(tmp_path):
    cert, key = tls.certificate(tmp_path, "192.168.1.20")
    first = tls.fingerprint(cert)
    assert tls.certificate(tmp_path, "192.168.1.20") == (cert, key) and tls.fingerprint(cert) == first
    tls.certificate(tmp_path, "192.168.1.21")  # the laptop moved: a certificate for the new address
    assert tls.fingerprint(cert) != first
    assert Path(key).stat().st_mode & 0o777 == 0o600
