"""The link colleagues open, as a QR code: printed by ``make share`` in the terminal, and shown in the
sidebar when the dashboard is reached on a network address (a projected code is quicker to open on
a laptop or phone than a typed IP address). segno: pure Python, no dependencies, ISO 18004 codes."""

from __future__ import annotations

import io
import sys
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

import segno

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
