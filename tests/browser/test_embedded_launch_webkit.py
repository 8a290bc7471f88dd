"""The LTI launch inside the platform's iframe in WebKit (WebKitGTK, Debian's webkit2gtk-driver),
with third-party cookies blocked as Safari blocks them (issue 16).

The sites of test_embedded_launch.py (tool on https://127.0.0.1, platform on https://localhost,
a certificate made at test time), driven over the W3C WebDriver protocol (webdriver.py):
MiniBrowser with Intelligent Tracking Prevention on and the cookie policy "no third party".
There the frame gets no cookie at all (the control cookie set at the top level is not sent,
and the login's state cookie does not come back) but its storage works, partitioned by the
top-level site as in Safari: the login page keeps its proof there, the completion page
(launch-proof.js) proves it, and the course opens in the frame; a save from it succeeds.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from ..conftest import require
from .test_embedded_launch import Sites, sites  # noqa: F401 - the module fixture, reused
from .webdriver import Session, webkit_driver, xvfb

pytestmark = pytest.mark.browser

# MiniBrowser's own options: ITP blocks third-party cookies as Safari does; the accept policy
# "no-third-party" is MiniBrowser's default, stated so that it cannot change unseen
BLOCKED = ["--automation", "--enable-itp", "--cookies-policy=no-third-party"]
ECHO = "return fetch('/_control/echo', {credentials: 'include'}).then(r => r.json())"
# the frame's saves of the state, with their status (lti.js calls window.fetch)
WATCH_SAVES = """window.lpSaves = []; const f = window.fetch;
window.fetch = (url, init) => f(url, init).then((r) => {
  if (String(url).endsWith('/api/v1/attempt/state') && init && init.method === 'PUT')
    window.lpSaves.push(r.status);
  return r; });"""


@pytest.fixture(scope="module")
def webkit_parts() -> None:
    require(
        shutil.which("WebKitWebDriver") is not None and shutil.which("Xvfb") is not None,
        "WebKitWebDriver or Xvfb not found (apt-get install webkit2gtk-driver xvfb)",
    )


@pytest.fixture(scope="module")
def webkit(webkit_parts: None, sites: Sites) -> Iterator[Session]:  # noqa: F811 - the fixture
    with xvfb() as display, webkit_driver(display) as base:
        s = Session(base, {"acceptInsecureCerts": True,
                           "webkitgtk:browserOptions": {"args": BLOCKED}})  # fmt: skip
        try:
            s.resize(1280, 1000)  # the platform's 1200x850 frame, whole (see Session.click)
            s.go(sites.tool_url + "/_control/set")  # the control cookie, first party
            assert s.run(ECHO) == {"control": "1"}  # it is kept at the top level
            yield s
        finally:
            s.close()


def test_the_course_opens_in_the_frame_from_the_frames_storage(webkit: Session, sites: Sites):  # noqa: F811
    s = webkit
    hint = {"user": "u-webkit", "role": "learner", "context": "emb", "link": "emb-webkit"}
    src = sites.platform.issuer + "/start?" + urlencode(hint)
    s.go(sites.platform.issuer + "/embed?" + urlencode({"src": src, "storage": ""}))
    s.frame("#tool")
    s.wait("return document.documentElement.classList.contains('ready')")
    assert s.run("return document.documentElement.dataset.adapter") == "lti"
    url = s.run("return location.href")
    assert url.startswith(sites.tool_url + "/course/"), url
    assert "t" not in parse_qs(urlsplit(url).query)  # lti.js took the token out of the address
    assert s.run(ECHO) == {}  # blocked: not even the control cookie reaches the frame
    assert s.run("return document.hasStorageAccess()") is False
    # the proof was kept in the frame's storage and used up; the token is kept there too
    keys = s.run("return Object.keys(sessionStorage)")
    assert not [k for k in keys if k.startswith("lmspack-login:")], keys
    assert any(k.startswith("lmspack-launch:") for k in keys), keys
    s.run(WATCH_SAVES)
    s.click("#lp-next")
    assert s.wait("return window.lpSaves.length && window.lpSaves") == [200]
    s.frame(None)
    assert len(s.windows()) == 1  # no new window
