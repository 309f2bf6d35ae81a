"""The door's rules in plain Python (retro.guard): the signed cookie, the backoff after wrong
passcodes, which passcodes may be shared, upload byte caps, Host names, session ids kept out of logs."""

from __future__ import annotations

import pytest

from retro import guard


def test_a_cookie_opens_its_role_until_it_expires_and_only_with_the_servers_key():
    value = guard.sign("viewer", "  Ann  ", now=1000.0, hours=1)
    assert guard.verify(value, now=1000.0 + 3599) == ("viewer", "Ann")
    assert guard.verify(value, now=1000.0 + 3601) is None  # expired
    assert guard.verify(guard.sign("editor", key=b"another server"), now=1000.0) is None
    body, mac = value.split(".")
    forged = guard._b64(guard._unb64(body).replace(b"viewer", b"editor"))
    assert guard.verify(f"{forged}.{mac}", now=1000.0) is None  # a viewer cannot make itself an editor
    for junk in (None, "", "a.b", "x" * 2000, "..", "e30.e30"):
        assert guard.verify(junk, now=1000.0) is None
    with pytest.raises(ValueError):
        guard.sign("system")


def test_the_cookie_header_is_httponly_strict_and_secure_over_https():
    header = guard.cookie_header("v", secure=True)
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Secure" in header
    assert "Secure" not in guard.cookie_header("v", secure=False)
    assert "Max-Age=0" in guard.cookie_header("", secure=False)
    assert guard.read_cookie("a=1; retro_gate=xyz; b=2") == "xyz"


def test_wrong_passcodes_from_one_address_wait_longer_and_longer_up_to_a_cap():
    b = guard.Backoff(free=3, base=1.0, cap=8.0, global_free=100)
    now = 0.0
    for _ in range(3):
        assert b.wait("10.0.0.9", now) == 0
        b.failed("10.0.0.9", now)
    assert b.wait("10.0.0.9", now) == 1.0  # the fourth try waits a second
    delays = []
    for _ in range(5):
        now += b.wait("10.0.0.9", now)
        b.failed("10.0.0.9", now)
        delays.append(b.wait("10.0.0.9", now))
    assert delays == [2.0, 4.0, 8.0, 8.0, 8.0]
    assert b.wait("10.0.0.10", now) == 0  # another address is not slowed by this one
    b.succeeded("10.0.0.9")
    assert b.wait("10.0.0.9", now) == 0


def test_many_wrong_passcodes_from_everywhere_slow_everyone_a_little_and_are_forgotten():
    b = guard.Backoff(free=3, global_free=5, global_cap=2.0, forget=60.0)
    for i in range(6):
        b.failed(f"10.0.0.{i}", 0.0)  # one each: no address is over its own limit
    assert 0 < b.wait("10.0.0.99", 0.0) <= 2.0
    assert b.wait("10.0.0.99", 100.0) == 0  # a minute without failures: forgotten


def test_only_long_and_distinct_passcodes_may_be_shared():
    assert guard.code_problems({"editor": "edit-me-2026", "viewer": "look-2026"}) == []
    assert guard.code_problems({"editor": "edit-me-2026"}) == []
    assert guard.code_problems({"editor": "a"}) == ["gate.check.short"]
    assert guard.code_problems({"editor": "edit-me", "viewer": "look"}) == ["gate.check.short"]
    assert guard.code_problems({"editor": "same-one", "viewer": "same-one"}) == ["gate.check.equal"]
    assert guard.code_problems({"viewer": "look-2026"}) == ["gate.check.no_editor"]


def test_upload_bytes_are_capped_per_request_session_and_server():
    limits = guard.UploadLimits.for_max_mb(1)
    mb = 1024 * 1024
    assert limits.refusal(None, 0, 0) == 411
    assert limits.refusal(mb + 1, 0, 0) == 413
    assert limits.refusal(mb, 0, 0) is None
    assert limits.refusal(mb, mb, mb) is None
    assert limits.refusal(mb, 2 * mb - 1, 2 * mb) == 429  # the session's share is full
    assert limits.refusal(10, 0, 4 * mb) == 429  # the server's is


def test_a_server_answers_to_its_own_names_only():
    run = guard.allowed_hosts("127.0.0.1")
    assert run == ["localhost", "127.0.0.1", "::1"]
    shared = guard.allowed_hosts("0.0.0.0", "192.168.1.20", ["retro.corp.cn"])
    assert shared == ["localhost", "127.0.0.1", "::1", "192.168.1.20", "retro.corp.cn"]
    assert guard.host_allowed("127.0.0.1:8501", run)
    assert guard.host_allowed("[::1]:8501", run)
    assert guard.host_allowed("LOCALHOST.", run)
    for host in (None, "", "evil.example", "127.0.0.1.evil.example", "user@127.0.0.1", "127.0.0.1:x"):
        assert not guard.host_allowed(host, run), host
    assert guard.host_allowed("192.168.1.20:8501", shared) and not guard.host_allowed("192.168.1.21", shared)
    assert guard.host_allowed("a.corp.cn", ["*.corp.cn"]) and guard.host_allowed("x", ["*"])


def test_log_lines_carry_no_session_id_and_no_passcode():
    assert guard.redact("Session with id 0f3c2a8e-1b2c-4d5e-8f90-123456789abc is already connected") == (
        "Session with id <session> is already connected")
    line = guard.failure_line("10.0.0.9", 4, 2.0, "sign-in page")
    assert "10.0.0.9" in line and "4 in a row" in line
