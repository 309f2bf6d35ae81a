"""Report chart images: Vega-Lite to PNG in the shipped CJK font (retro/report/images.py)."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from PIL import Image

from retro.report import images

SPEC = {
    "$schema": "https://vega.github.io/schema/vega-lite/v6.4.1.json",
    "title": "销售额趋势（万元）",
    "width": "container",
    "height": 160,
    "data": {"values": [{"月份": m, "销售额": v} for m, v in (("一月", 620), ("二月", 540), ("三月", 710))]},
    "mark": "bar",
    "encoding": {"x": {"field": "月份", "type": "nominal"}, "y": {"field": "销售额", "type": "quantitative"}},
}


def _image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("L")


def _ink(img: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Dark pixels in a region: text drawn there leaves ink, missing glyphs leave none."""
    return sum(1 for p in img.crop(box).get_flattened_data() if p < 128)


@pytest.fixture(scope="module")
def png() -> bytes:
    return images.chart_png(SPEC)


def test_png_is_a_real_chart_at_the_requested_scale(png):
    img = _image(png)
    assert png.startswith(b"\x89PNG")
    assert images.png_size(png) == img.size
    # "container" width has no meaning off-screen; the chart gets a real width, drawn at scale 2.
    assert img.size[0] >= 2 * images.DEFAULT_WIDTH
    assert len(set(img.get_flattened_data())) > 10  # bars, axes, anti-aliased text: not a blank image
    smaller = images.chart_png(SPEC, scale=1.0)
    assert images.png_size(smaller)[0] < img.size[0]


def test_chinese_title_is_drawn_in_the_shipped_font(png):
    """The family name exists only in retro/report/fonts: ink in the title band means vl-convert
    found the shipped font; without registering it, the same spec draws no text at all."""
    img = _image(png)
    title_band = (0, 0, img.size[0], 50)
    assert _ink(img, title_band) > 500

    script = (
        "import json, sys, vl_convert as v\n"
        "from retro.report.images import prepare_spec\n"
        "spec = prepare_spec(json.loads(sys.argv[1]))\n"
        "sys.stdout.buffer.write(v.vegalite_to_png(spec, scale=2))\n"
    )
    bare = subprocess.run([sys.executable, "-c", script, json.dumps(SPEC)], capture_output=True, check=True,
                          cwd=images.FONT_DIR.parents[2]).stdout
    assert _ink(_image(bare), title_band) == 0


def test_spec_font_is_the_shipped_family_unless_the_spec_names_one():
    assert images.prepare_spec(SPEC)["config"]["font"] == images.FONT_FAMILY
    own = dict(SPEC, config={"font": "Serif"})
    assert images.prepare_spec(own)["config"]["font"] == "Serif"
    assert "config" not in SPEC  # the caller's spec is left as it was


def test_rare_hanzi_outside_gb2312_is_drawn_from_the_fallback_font():
    """喆 and 堃 (common in names) are not in GB2312, so not in the main font. A missing glyph is
    drawn as the same empty box whatever the character: two different characters giving two
    different images means real glyphs (on a machine without CJK fonts, from RetroSansSCExt)."""
    from fontTools.ttLib import TTFont

    for path, has in ((images.FONT_REGULAR, False), (images.FONT_EXT, True)):
        cmap = TTFont(path, lazy=True).getBestCmap()
        assert all((ord(ch) in cmap) is has for ch in "喆堃"), path.name
    first, second = (_image(images.chart_png(dict(SPEC, title=ch * 6))) for ch in "喆堃")
    band = (0, 0, first.size[0], 50)
    assert _ink(first, band) > 300
    assert first.crop(band).tobytes() != second.crop(band).tobytes()


def test_data_urls_are_not_fetched():
    spec = dict(SPEC, data={"url": "http://127.0.0.1:9/data.json"})
    with pytest.raises(ValueError, match="not allowed"):
        images.chart_png(spec)
