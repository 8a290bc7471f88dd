"""The LTI launch inside the platform's iframe, in Chromium, in four cookie settings (issue 16).

HTTPS on loopback with a certificate made here; the tool on https://127.0.0.1 and the test
platform (lti1p3platform, tests/tool/platform.py) on https://localhost: two sites, so in the
platform's page the tool is a third party, as in Moodle. One tool, one platform and one
Chromium profile per cookie setting for the module:

- allowed: the state cookie comes back; the course opens in the frame.
- third-party cookies blocked (a control cookie set at the top level is not sent in the
  frame): the Partitioned state cookie still comes back; sessionStorage throws in the frame,
  and lti.js keeps the token in memory and out of the address.
- no cookie at all for the tool in the platform's frame (partitioned ones and storage too,
  a per-site block): the login page offers the Storage Access API (refused here; granted,
  it still lets no cookie through), then a new window, where the course opens.
- the same browser, the platform page answering lti.capabilities / put_data / get_data
  (and sending lti_storage_target, or not): the course opens in the frame.
- cookies allowed but the login's cookies never arrive (dropped on the way; the frame's
  storage works, as Safari and Firefox partition it): the course opens in the frame.
- the same with third-party cookies blocked (the frame's storage throws): the partitioned
  cookie the login page set itself carries the proof; the course opens in the frame.

In each, a save from the course page (PUT /api/v1/attempt/state) succeeds."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from werkzeug.wrappers import Request, Response

from lmspack.store import Store
from lmspack.store.platforms import add_platform
from tests.conftest import COURSE
from tests.tool.platform import ServerThread, TestPlatform

from .conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser


def _certificate(folder: Path) -> ssl.SSLContext:
    """A self-signed certificate for localhost and 127.0.0.1 (the browser ignores its issuer)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    sans = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=2))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))  # fmt: skip
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return ctx


def _with_control_cookie(app):
    """The tool, plus /_control/set (a plain SameSite=None cookie, set at the top level) and
    /_control/echo (the cookies a request brought): the proof of what a setting blocks."""

    def wsgi(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/_control/set":
            resp = Response("set")
            resp.set_cookie("control", "1", secure=True, samesite="None")
            return resp(environ, start_response)
        if path == "/_control/echo":
            body = json.dumps(dict(Request(environ).cookies))
            return Response(body, mimetype="application/json")(environ, start_response)
        if path == "/lti/login" and "login_hint=drop-cookie" in environ.get("QUERY_STRING", ""):
            # a browser that keeps no cookie from the frame but lets it use its storage (as
            # Safari and Firefox partition it): the login's cookies never reach it
            def without_cookies(status, headers, *exc):
                kept = [(k, v) for k, v in headers if k.lower() != "set-cookie"]
                return start_response(status, kept, *exc)

            return app(environ, without_cookies)
        return app(environ, start_response)

    return wsgi


@dataclass
class Sites:
    tool_url: str
    platform: TestPlatform
    profiles: Path


@pytest.fixture(scope="module")
def sites(browser_parts: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    from lmspack.tool import create_app

    folder = tmp_path_factory.mktemp("embedded")
    tls = _certificate(folder)
    database_url = f"sqlite:///{folder / 'lmspack.sqlite'}"
    store = Store.from_url(database_url)
    store.upgrade()
    tool = ServerThread(ssl_context=tls)
    app = create_app(
        {"database_url": database_url, "base_url": tool.url, "course": str(COURSE),
         "secret_key": "embedded-" + uuid.uuid4().hex, "grades_background": False},
        store_=store,
    )  # fmt: skip
    tool.start(_with_control_cookie(app))
    platform = TestPlatform(tool.url, server=ServerThread(ssl_context=tls, host="localhost"))
    # the tool fetches the platform's keys over plain http (it would not trust the test
    # certificate); the browser sees only https
    backend = ServerThread().start(platform.app)
    args = {**platform.cli_args(), "auth_token_url": backend.url + "/token",
            "key_set_url": backend.url + "/jwks?instance=" + uuid.uuid4().hex[:8]}  # fmt: skip
    with store.transaction() as s:
        add_platform(s, **args)
    yield Sites(tool.url, platform, folder)
    backend.stop()
    platform.stop()
    tool.stop()
    store.dispose()


def _preferences(setting: str, sites: Sites) -> dict:
    if setting == "allowed":
        return {"profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False}}
    profile: dict[str, Any] = {"cookie_controls_mode": 1, "block_third_party_cookies": True}
    if setting == "no-cookies":  # the tool's site, embedded in the platform's: nothing at all
        pair = f"{sites.tool_url},{sites.platform.issuer}"
        profile["content_settings"] = {"exceptions": {"cookies": {pair: {"setting": 2}}}}
    return {"profile": profile}


@pytest.fixture(scope="module")
def chromium(browser: Any, sites: Sites):
    """`open(setting)`: a Chromium profile with that cookie setting (one per setting)."""
    opened: dict[str, Any] = {}

    def open_(setting: str):
        if setting not in opened:
            folder = sites.profiles / f"profile-{setting}"
            (folder / "Default").mkdir(parents=True)
            (folder / "Default" / "Preferences").write_text(
                json.dumps(_preferences(setting, sites))
            )
            ctx = browser.browser_type.launch_persistent_context(
                str(folder), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                ignore_https_errors=True, viewport={"width": 1280, "height": 900},
            )  # fmt: skip
            ctx.set_default_timeout(20_000)
            # the control cookie: set where the tool is the first party
            page = ctx.new_page()
            page.goto(sites.tool_url + "/_control/set")
            page.close()
            opened[setting] = ctx
        return opened[setting]

    yield open_
    for ctx in opened.values():
        ctx.close()


@dataclass
class Embedded:
    page: Any  # the platform's course page
    frame: Any  # a locator of the activity's iframe
    errors: list[str]  # script errors
    completions: list[str]  # the completion pages loaded (a launch came back without cookie)


def _open_embedded(
    ctx, sites: Sites, user: str, *, storage: bool = False, target: bool = True
) -> Embedded:
    """The platform's course page with the activity in its iframe; with `storage` the page
    answers the platform-storage messages, and with `target` too the login and the launch
    carry lti_storage_target."""
    hint = {"user": user, "role": "learner", "context": "emb", "link": "emb-" + user}
    if storage and target:
        hint["storage"] = "1"
    src = sites.platform.issuer + "/start?" + urlencode(hint)
    page = ctx.new_page()
    seen = Embedded(page, page.frame_locator("#tool"), [], [])
    page.on("pageerror", lambda exc: seen.errors.append(str(exc)))
    page.on("request", lambda r: r.url.endswith("/launch-proof.js")
            and seen.completions.append(r.url))  # fmt: skip
    query = {"src": src, "storage": "1" if storage else ""}
    page.goto(sites.platform.issuer + "/embed?" + urlencode(query))
    return seen


def _tool_frame(page):
    return next(f for f in page.frames if f.parent_frame is page.main_frame)


def _course_is_open(frame_or_page) -> None:
    frame_or_page.locator("html.ready").wait_for(state="attached")
    assert frame_or_page.locator("html").get_attribute("data-adapter") == "lti"


def _save_from_page(page, where) -> None:
    """Next page in the course: the player saves the state (PUT /api/v1/attempt/state)."""
    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/attempt/state") and r.request.method == "PUT"
    ) as saved:
        where.locator("#lp-next").click()
    assert saved.value.status == 200, saved.value.text()


def _token_not_in(url: str) -> bool:
    """lti.js took the launch token out of the address."""
    return "t" not in parse_qs(urlsplit(url).query)


def _cookies_sent(frame) -> dict:
    return frame.evaluate("fetch('/_control/echo', {credentials: 'include'}).then(r => r.json())")


def _storage_throws(frame) -> bool:
    return frame.evaluate("(() => { try { sessionStorage.length; return false; } "
                          "catch (e) { return e.name === 'SecurityError'; } })()")  # fmt: skip


@pytest.mark.parametrize("setting", ["allowed", "third-party-blocked"])
def test_the_course_opens_in_the_frame(chromium, sites, setting):
    seen = _open_embedded(chromium(setting), sites, "u-" + setting)
    page, frame = seen.page, seen.frame
    try:
        _course_is_open(frame)
        tool = _tool_frame(page)
        assert tool.url.startswith(sites.tool_url + "/course/") and _token_not_in(tool.url)
        sent = _cookies_sent(tool)
        if setting == "allowed":
            assert sent.get("control") == "1", sent
        else:  # blocked, as the control cookie shows; the partitioned state cookie came back
            assert "control" not in sent, sent
            assert _storage_throws(tool)  # lti.js carried on, the token only in memory
        _save_from_page(page, frame)
        assert not seen.errors and not seen.completions  # the state cookie came back
    finally:
        page.close()


def test_no_cookies_and_no_platform_storage_opens_a_new_window(chromium, sites):
    ctx = chromium("no-cookies")
    seen = _open_embedded(ctx, sites, "u-new-window")
    page, frame = seen.page, seen.frame
    try:
        frame.locator("#lp-login-allow").click()  # the Storage Access API: refused here
        link = frame.locator("#lti1p3-new-tab-link")
        link.wait_for(state="visible")
        assert "new window" in frame.locator("#lp-login-window").inner_text()
        tool = _tool_frame(page)
        assert _cookies_sent(tool) == {}  # nothing reaches the tool in this frame
        assert _storage_throws(tool)
        with ctx.expect_page() as opened:
            link.click()
        window = opened.value
        _course_is_open(window)
        assert _token_not_in(window.url)
        _save_from_page(window, window)
        frame.locator("#lp-login-opened").wait_for(state="visible")
        window.close()
        assert not seen.errors, seen.errors
    finally:
        page.close()


def test_a_storage_access_grant_does_not_lift_a_site_block(chromium, sites):
    """Where the site's cookies are blocked, Chromium resolves requestStorageAccess() once the
    permission is granted (Playwright's "storage-access" for every origin: given the tool's
    origin, the frame still reads "prompt") but the cookie still does not stick: the login
    page checks it and offers the new window."""
    ctx = chromium("no-cookies")
    ctx.grant_permissions(["storage-access"])
    seen = _open_embedded(ctx, sites, "u-granted")
    try:
        seen.frame.locator("#lp-login-allow").click()
        seen.frame.locator("#lti1p3-new-tab-link").wait_for(state="visible")
        tool = _tool_frame(seen.page)
        assert tool.evaluate("navigator.permissions.query({name: 'storage-access'})"
                             ".then(p => p.state)") == "granted"
        assert tool.evaluate("document.requestStorageAccess().then(() => 'resolved')") == "resolved"
        assert tool.evaluate("document.hasStorageAccess()") is False
        assert _cookies_sent(tool) == {} and not seen.errors, seen.errors
    finally:
        seen.page.close()
        ctx.clear_permissions()


@pytest.mark.parametrize("target", [True, False], ids=["lti_storage_target", "capabilities"])
def test_no_cookies_with_platform_storage_opens_in_the_frame(chromium, sites, target):
    """Offered by lti_storage_target in the login, or only by an lti.capabilities answer."""
    seen = _open_embedded(
        chromium("no-cookies"), sites, f"u-storage-{target}", storage=True, target=target
    )
    page, frame = seen.page, seen.frame
    try:
        _course_is_open(frame)
        tool = _tool_frame(page)
        assert _token_not_in(tool.url) and _cookies_sent(tool) == {}
        got = page.evaluate("window.ltiMessages")
        subjects = [m["subject"] for m in got if m["origin"] == sites.tool_url]
        assert "lti.put_data" in subjects and "lti.get_data" in subjects, got
        assert subjects[0] == "lti.capabilities", got  # asked first which frame answers
        _save_from_page(page, frame)
        assert not seen.errors, seen.errors
        assert len(seen.completions) == 1  # the launch was completed with the proof
    finally:
        page.close()


def test_a_cookie_that_does_not_come_back_is_replaced_by_the_frames_storage(chromium, sites):
    """The frame may use its storage but the login's cookie never arrives: the completion
    page finds the proof in the frame's sessionStorage."""
    seen = _open_embedded(chromium("allowed"), sites, "drop-cookie-1")
    try:
        _course_is_open(seen.frame)
        tool = _tool_frame(seen.page)
        assert _token_not_in(tool.url)
        # the tool served the completion page: the launch's state cookie did not come back
        assert len(seen.completions) == 1 and not seen.errors, seen.errors
        # the proof was used up; the token is in this frame's storage, out of the address
        keys = tool.evaluate("Object.keys(sessionStorage)")
        assert not [k for k in keys if k.startswith("lmspack-login:")], keys
        assert any(k.startswith("lmspack-launch:") for k in keys), keys
        _save_from_page(seen.page, seen.frame)
    finally:
        seen.page.close()


def test_a_dropped_cookie_where_the_frame_has_no_storage_is_replaced_by_its_own(chromium, sites):
    """Third-party cookies blocked (the frame's storage throws) and the login's cookies dropped
    on the way: the partitioned cookie the login page set itself carries the proof."""
    seen = _open_embedded(chromium("third-party-blocked"), sites, "drop-cookie-2")
    try:
        _course_is_open(seen.frame)
        tool = _tool_frame(seen.page)
        assert _token_not_in(tool.url) and _storage_throws(tool)
        assert len(seen.completions) == 1 and not seen.errors, seen.errors
        # blocked, as the control cookie shows: the proof came from the login page's own
        # cookie (no storage, no platform), used once
        sent, state = _cookies_sent(tool), sites.platform.last_launch["params"]["state"]
        assert "control" not in sent and "lmspack-login-" + state not in sent, sent
        _save_from_page(seen.page, seen.frame)
    finally:
        seen.page.close()
