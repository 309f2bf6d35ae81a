"""The shared link and its QR code: only offered on a network address, carrying the view but not the
language, and the image is the QR code of exactly that link."""

from __future__ import annotations

import io

import pytest
import segno
from PIL import Image

from retro import share


@pytest.mark.parametrize(("url", "shared"), [
    (None, False), ("", False), ("http://localhost:8501/trends", False), ("http://127.0.0.1:8501/", False),
    ("http://[::1]:8501/", False), ("http://192.168.1.20:8501/trends", True), ("https://retro.corp.cn/goals", True),
])
def test_the_link_is_offered_only_on_an_address_colleagues_can_reach(url, shared):
    assert share.is_shared(url) is shared


def test_the_link_carries_the_view_but_not_the_language():
    link = share.view_link("http://192.168.1.20:8501/trends",
                           {"metric": "销售额", "grain": "month", "f_区域": "华东,华北", "lang": "zh"})
    assert link == ("http://192.168.1.20:8501/trends?metric=%E9%94%80%E5%94%AE%E9%A2%9D&grain=month"
                    "&f_%E5%8C%BA%E5%9F%9F=%E5%8D%8E%E4%B8%9C%2C%E5%8D%8E%E5%8C%97")
    assert share.view_link("http://10.0.0.5:8501/", {"lang": "en"}) == "http://10.0.0.5:8501/"


def test_the_image_is_the_qr_code_of_that_link():
    link = share.view_link("http://192.168.1.20:8501/trends", {"metric": "销售额", "by": "区域"})
    scale, border = 6, 4
    image = Image.open(io.BytesIO(share.qr_png(link, scale=scale))).convert("L")
    expected = segno.make(link, error="m", boost_error=False)
    size = len(expected.matrix)
    assert image.size == ((size + 2 * border) * scale,) * 2
    read = [[image.getpixel(((border + x) * scale + scale // 2, (border + y) * scale + scale // 2)) < 128
             for x in range(size)] for y in range(size)]
    assert read == [[bool(v) for v in row] for row in expected.matrix]
    other = segno.make(link + "x", error="m", boost_error=False)
    assert [[bool(v) for v in row] for row in other.matrix] != read  # another link draws another code


def test_make_share_prints_the_code_in_the_terminal(capsys):
    assert share.main(["http://192.168.1.20:8501"]) == 0
    printed = capsys.readouterr().out
    assert printed.count("\n") > 10 and "█" in printed
    assert share.main([]) == 2
