"""`/` says what this is and where the administrator's configuration page is, and
`/favicon.ico` is an icon: a visitor or a browser's own request no longer meets a 404."""

from __future__ import annotations

import struct
from html.parser import HTMLParser

import requests

from .api_client import COURSE_MODEL


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href", ""))


def test_the_root_says_what_this_is_and_links_the_configuration_page(tool):
    r = requests.get(tool.url + "/", timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert "lmspack LTI tool" in r.text and COURSE_MODEL.title in r.text
    links = _Links()
    links.feed(r.text)
    assert "/lti/config" in links.hrefs
    assert requests.get(tool.url + links.hrefs[-1], timeout=10).status_code == 200


def test_favicon_is_an_icon(tool):
    r = requests.get(tool.url + "/favicon.ico", timeout=10)
    assert r.status_code == 200, r.text[:200]
    assert r.headers["Content-Type"] == "image/vnd.microsoft.icon"
    reserved, kind, count = struct.unpack("<HHH", r.content[:6])  # ICONDIR
    assert (reserved, kind) == (0, 1) and count >= 1
    sizes = set()
    for i in range(count):  # ICONDIRENTRY: width, height (0 = 256), ..., size, offset
        w, h, _c, _r, _p, _b, size, offset = struct.unpack(
            "<BBBBHHII", r.content[6 + 16 * i : 22 + 16 * i]
        )
        assert offset + size <= len(r.content)
        assert r.content[offset : offset + 8] == b"\x89PNG\r\n\x1a\n"
        sizes.add((w, h))
    assert {(16, 16), (32, 32)} <= sizes
