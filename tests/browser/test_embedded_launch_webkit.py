"""The LTI launch inside the platform's iframe in WebKit (WebKitGTK, Debian's webkit2gtk-driver),
with third-party cookies blocked as Safari blocks them (issue 16).

The sites of test_embedded_launch.py (tool on https://127.0.0.1, platform on https://localhost,
a certificate made at test time), driven over the W3C WebDriver protocol (webdriver.py), in
two MiniBrowser settings:

- allowed (cookie policy "always"): the control cookie and the state cookie come back.
- third-party cookies blocked (Intelligent Tracking Prevention on): the frame gets no cookie
  at all (the control cookie set at the top level is not sent) but its storage works,
  partitioned by the top-level site as in Safari: the login page keeps its proof there, the
  completion page (launch-proof.js) proves it.

In both the course opens in the frame, with no new window, and a save from it succeeds.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from ..conftest import require
from .test_embedded_launch import Sites, sites  # noqa: F401 - the module fixture, reused
from .webdriver import Session, webkit_driver, xvfb

pytestmark = pytest.mark.browser

# MiniBrowser's own options. Blocked: ITP blocks every third-party cookie, as Safari does (the
# policy "no-third-party" alone, MiniBrowser's default, still sends a cookie the site set as
# first party, and only keeps the frame from setting new ones); allowed: the control
SETTINGS = {
    "allowed": ["--automation", "--cookies-policy=always"],
    "third-party-blocked": ["--automation", "--enable-itp", "--cookies-policy=no-third-party"],
}
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
def webkit(webkit_parts: None, sites: Sites) -> Iterator[Callable[[str], Session]]:  # noqa: F811
    """`open(setting)`: a new MiniBrowser session in that setting (one at a time: the previous
    one is closed), the control cookie set where the tool is the first party."""
    with xvfb() as display, webkit_driver(display) as base:
        opened: list[Session] = []

        def open_(setting: str) -> Session:
            while opened:
                opened.pop().close()
            options = {"args": SETTINGS[setting]}
            s = Session(base, {"acceptInsecureCerts": True, "webkitgtk:browserOptions": options})
            opened.append(s)
            s.resize(1280, 1000)  # the platform's 1200x850 frame, whole (see Session.click)
            s.go(sites.tool_url + "/_control/set")
            assert s.run(ECHO) == {"control": "1"}  # kept at the top level
            return s

        try:
            yield open_
        finally:
            for s in opened:
                s.close()


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_the_course_opens_in_the_frame(webkit, sites: Sites, setting: str):  # noqa: F811
    s = webkit(setting)
    hint = {"user": "u-wk-" + setting, "role": "learner", "context": "emb", "link": "wk-" + setting}
    src = sites.platform.issuer + "/start?" + urlencode(hint)
    s.go(sites.platform.issuer + "/embed?" + urlencode({"src": src, "storage": ""}))
    s.frame("#tool")
    s.wait("return document.documentElement.classList.contains('ready')")
    assert s.run("return document.documentElement.dataset.adapter") == "lti"
    url = s.run("return location.href")
    assert url.startswith(sites.tool_url + "/course/"), url
    assert "t" not in parse_qs(urlsplit(url).query)  # lti.js took the token out of the address
    keys = s.run("return Object.keys(sessionStorage)")
    assert any(k.startswith("lmspack-launch:") for k in keys), keys  # the token, kept there
    login_keys = [k for k in keys if k.startswith("lmspack-login:")]
    sent = s.run(ECHO)
    if setting == "allowed":
        assert sent.get("control") == "1", sent
        assert login_keys, keys  # the state cookie came back: the stored proof was not needed
    else:  # not even the control cookie reaches the frame; its storage works (partitioned)
        assert sent == {}, sent
        assert s.run("return document.hasStorageAccess()") is False
        assert not login_keys, keys  # the completion page used the frame's proof up
    s.run(WATCH_SAVES)
    s.click("#lp-next")
    assert s.wait("return window.lpSaves.length && window.lpSaves") == [200]
    s.frame(None)
    assert len(s.windows()) == 1  # no new window
