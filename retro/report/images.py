"""Charts as PNG images for the PDF, the slides and the HTML report, with the shipped CJK font.

A fresh machine may have no CJK font at all, so the report ships one (retro/report/fonts/:
subsets of Noto Sans CJK SC under the SIL OFL, renamed "Retro Sans SC"; GB2312 in Regular and
Bold, the rest of the common CJK block in a Regular fallback; see README.md there). vl-convert is told about that directory once per process and every chart is drawn in
that family; the PDF embeds the same files, so a chart and the text around it look alike.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections import OrderedDict
from pathlib import Path

import vl_convert as vlc

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FAMILY = "Retro Sans SC"
FONT_REGULAR = FONT_DIR / "RetroSansSC-Regular.ttf"
FONT_BOLD = FONT_DIR / "RetroSansSC-Bold.ttf"
# The rarer hanzi (outside GB2312), Regular only: a fallback, loaded only where needed.
FONT_EXT = FONT_DIR / "RetroSansSCExt-Regular.ttf"
# A width of "container" has no meaning off-screen (vl-convert would draw a zero-width chart).
DEFAULT_WIDTH = 640

_lock = threading.Lock()
_registered = False
# Rendering a chart costs ~100 ms; the same spec is drawn for the HTML preview, the PDF and the
# slides of one report, so finished PNGs are kept by content hash (bounded: specs inline data).
_CACHE_SIZE = 64
_cache: OrderedDict[str, bytes] = OrderedDict()


def register_fonts() -> None:
    """Make the shipped font known to vl-convert (once per process; registration is global)."""
    global _registered
    with _lock:
        if not _registered:
            vlc.register_font_directory(str(FONT_DIR))
            _registered = True


def prepare_spec(spec: dict) -> dict:
    """The spec as it is drawn: the shipped font for every text, a fixed width."""
    spec = copy.deepcopy(spec)
    config = spec.setdefault("config", {})
    # config.font is Vega-Lite's default for titles, axes, legends and text marks alike; a
    # spec that names its own font keeps it.
    config.setdefault("font", FONT_FAMILY)
    # Opaque white, so the PDF can embed the image as JPEG without compositing an alpha channel.
    config.setdefault("background", "white")
    if spec.get("width") == "container":
        spec["width"] = DEFAULT_WIDTH
    if spec.get("height") == "container":
        spec["height"] = 260
    return spec


def chart_png(spec: dict, *, scale: float = 2.0) -> bytes:
    """A Vega-Lite spec (data inlined, e.g. altair's ``Chart.to_dict()``) drawn as PNG bytes.

    ``scale`` 2 gives a sharp image at the chart's size on paper and on a slide. No data is
    fetched from anywhere: a spec that points at a URL fails instead of reaching out.
    """
    register_fonts()
    drawn = prepare_spec(spec)
    key = hashlib.sha256(
        json.dumps([drawn, scale], sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    png = vlc.vegalite_to_png(drawn, scale=scale, allowed_base_urls=[])
    with _lock:
        _cache[key] = png
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return png


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, read from the PNG header (no decoding)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
