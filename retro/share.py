"""The link colleagues open, as a QR code: printed by ``make share`` in the terminal, and shown in the
sidebar when the dashboard is reached on a network address (a projected code is quicker to open on
a laptop or phone than a typed IP address). segno: pure Python, no dependencies, ISO 18004 codes."""

from __future__ import annotations

import io
import socket
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import segno

from . import access, guard
from .memo import shared

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", ""}


def is_shared(url: str | None) -> bool:
    """The page was opened on an address colleagues could use too (not this machine's loopback)."""
    if not url:
        return False
    return (urlsplit(url).hostname or "") not in LOCAL_HOSTS


def view_link(url: str, params: Mapping[str, str]) -> str:
    """The page's address with the view in it (period, metric, filters …), so a colleague opening it
    sees the same chart; not the language, which each browser chooses for itself."""
    kept = {k: v for k, v in params.items() if k != "lang"}
    return url + ("?" + urlencode(kept) if kept else "")


@shared(64)
def qr_png(url: str, *, scale: int = 6) -> bytes:
    """The link as a PNG QR code (error correction M: still reads from a projector's blurred pixels).
    Kept per link: the sidebar draws it on every rerun of a shared page."""
    out = io.BytesIO()
    segno.make(url, error="m", boost_error=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def lan_address() -> str | None:
    """This machine's address on the office network (the interface of its default route); None offline.
    A UDP socket's connect sends nothing: it only picks the interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def option(args: Sequence[str], name: str) -> str | None:
    """The last value of ``--name value`` / ``--name=value`` in Streamlit's command-line options."""
    found = None
    for i, arg in enumerate(args):
        if arg == f"--{name}" and i + 1 < len(args):
            found = args[i + 1]
        elif arg.startswith(f"--{name}="):
            found = arg.split("=", 1)[1]
    return found


def share_problems(env: Mapping[str, str], secrets: Mapping[str, object]) -> list[str]:
    """Why the dashboard may not be put on the network (catalog keys; empty: go ahead): a company
    sign-in must be complete (retro.access.oidc_ready_to_share), else the passcodes must pass
    retro.guard.code_problems."""
    if access.oidc_configured(secrets):
        return [] if access.oidc_ready_to_share(secrets) else ["gate.check.oidc"]
    return guard.code_problems(access.passcodes(env, secrets))


@dataclass
class Plan:
    """How ``python -m retro.ui`` starts: the options it adds, whether it is shared, what stops it."""

    args: list[str]
    shared: bool
    address: str | None = None
    link: str | None = None
    fingerprint: str | None = None
    problems: list[str] = field(default_factory=list)


def plan(args: Sequence[str], env: Mapping[str, str], secrets: Mapping[str, object], data_dir: Path,
         lan: str | None) -> Plan:
    """The server's options for ``args``: bound to loopback (``make run``) it answers to loopback
    names only; bound to another address (``make share``: 0.0.0.0) it is shared, so it also answers
    to the LAN address, serves HTTPS (RETRO_TLS_CERT/RETRO_TLS_KEY, else a certificate made in
    ``data_dir``/tls) and must pass :func:`share_problems`. Options already given win."""
    address = option(args, "server.address")
    shared_ = address not in (None, "127.0.0.1", "localhost", "::1")
    out = list(args)
    if option(args, "server.allowedHosts") is None:
        extra = [h for h in env.get("RETRO_HOSTS", "").split(",") if h.strip()]
        for host in guard.allowed_hosts(address or "127.0.0.1", lan if shared_ else None, extra):
            out += ["--server.allowedHosts", host]
    result = Plan(out, shared_, address)
    if not shared_:
        return result
    result.problems = share_problems(env, secrets)
    host = address if address not in ("0.0.0.0", "::") else lan
    if option(args, "server.sslCertFile") is None:
        cert, key = env.get("RETRO_TLS_CERT"), env.get("RETRO_TLS_KEY")
        if not (cert and key):
            from . import tls

            cert_path, key_path = tls.certificate(data_dir / "tls", host or "127.0.0.1")
            cert, key = str(cert_path), str(key_path)
        out += ["--server.sslCertFile", cert, "--server.sslKeyFile", key]
        from . import tls

        result.fingerprint = tls.fingerprint(Path(cert))
    port = option(args, "server.port") or "8501"
    result.link = f"https://{host}:{port}" if host else None
    return result


def main(argv: list[str] | None = None) -> int:
    """``python -m retro.share URL``: the QR code of URL in the terminal (``make share`` calls it)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m retro.share URL", file=sys.stderr)
        return 2
    segno.make(args[0], error="m", boost_error=False).terminal(compact=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
