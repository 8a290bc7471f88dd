"""The tool's Content-Security-Policy (issue 18 item 5): scripts only from the tool's own
files, on every page it serves; in real Chromium an inline script injected into the course
page does not run on the tool's origin, while the player, launched in the platform's iframe
and run through to the end, reports no CSP violation at all."""

from __future__ import annotations

import contextlib
import re

import pytest
import requests

from tests.browser.conftest import Learner

from .api_client import COURSE_MODEL, complete_course, launch_token, learner_api
from .test_browser_lti import _Top, in_chromium  # noqa: F401 - the fixture
from .workshop import finish_workshop

INLINE = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)


def directives(resp) -> dict[str, list[str]]:
    csp = resp.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}


def expire_platform_origins(tool) -> None:
    """Pages without a launch (verify, config, error pages) take the registered platforms
    from a list each worker re-reads every ORIGINS_TTL seconds; the test's platform was added
    to the database a moment ago, so start from an expired list, as a worker does after it."""
    tool.app.extensions["lmspack.origins"] = (float("-inf"), [])


def _pages(tool, platform) -> dict[str, requests.Response]:
    expire_platform_origins(tool)
    api = learner_api(tool, platform, user="csp-learner", context="csp1", link="cl1")
    complete_course(api)
    cert = finish_workshop(tool, api)
    teacher = launch_token(platform, user="csp-t", role="instructor", context="csp1", link="cl1")
    site = tool.app.extensions["lmspack.sites"][COURSE_MODEL.id]
    import jwt

    ctx = jwt.decode(teacher, options={"verify_signature": False})["ctx"]
    get = lambda path, **p: requests.get(tool.url + path, params=p, timeout=30)  # noqa: E731
    return {
        "course": get(site.prefix, t=api.token),
        "record": get("/record", t=api.token),
        "verify": requests.get(cert["urls"]["verify"], timeout=10),
        "verify form": get("/verify"),
        "admin": get(f"/admin/{ctx}", t=teacher),
        "completions": get(f"/admin/{ctx}/completions", t=teacher),
        "sessions": get(f"/admin/{ctx}/sessions", t=teacher),
        "learner sessions": get("/sessions", t=api.token),
        "config": get("/lti/config"),
        "401 page": get("/record"),
        "404 page": get("/no-such-page"),
    }


def test_every_page_has_a_strict_policy_and_no_inline_script(tool, platform):
    for name, r in _pages(tool, platform).items():
        d = directives(r)
        assert d["script-src"] == ["'self'"], (name, d)
        assert d["object-src"] == ["'none'"] and d["base-uri"] == ["'none'"], name
        assert d["frame-ancestors"][0] == "'self'" and platform.issuer in d["frame-ancestors"]
        if r.headers.get("Content-Type", "").startswith("text/html"):
            assert not INLINE.findall(r.text), (name, INLINE.findall(r.text))


def test_the_login_page_runs_only_the_tools_script_files(tool, platform):
    """The OIDC login step is the tool's own page (issue 16: it keeps the login's proof where
    the platform's frame allows): scripts from files only, no inline script, no hash."""
    from .platform import Browser

    b = Browser()
    r = b.get(platform.issuer + "/start", params={"user": "csp-login"})
    login = b.get(r.headers["Location"])
    assert login.status_code == 200 and "login-state.js" in login.text
    assert directives(login)["script-src"] == ["'self'"]
    assert not INLINE.findall(login.text), INLINE.findall(login.text)


@contextlib.contextmanager
def injected(tool, html: str):
    """The served course page, for the test, carries HTML that slipped past the checks."""
    site = tool.app.extensions["lmspack.sites"][COURSE_MODEL.id]
    head = site._index_head
    site._index_head = head.replace("<main", html + "<main", 1)
    assert site._index_head != head
    try:
        yield
    finally:
        site._index_head = head


WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""
EVIL = (
    '<script>window.__injected = "inline ran"</script>'
    '<img src="data:," alt="" onload="window.__injected = \\\'handler ran\\\'">'
    '<a id="evil-link" href="javascript:void(window.__injected=\\\'link ran\\\')">x</a>'
)


@pytest.mark.browser
def test_injected_inline_script_does_not_run_and_the_player_runs_clean(
    in_chromium,  # noqa: F811
    tool,
    platform,
):
    def run(chromium):
        ctx = chromium.new_context(viewport={"width": 1280, "height": 900})
        ctx.set_default_timeout(15_000)
        ctx.add_init_script(WATCH)
        console: list[str] = []
        try:
            # 1. HTML with inline script slipped into the course page: none of it runs
            page = ctx.new_page()
            page.on("console", lambda m: console.append(m.text))
            with injected(tool, EVIL.replace("\\'", "'")):
                token = launch_token(platform, user="csp-evil", context="csp2", link="cl2")
                site = tool.app.extensions["lmspack.sites"][COURSE_MODEL.id]
                page.goto(f"{tool.url}{site.prefix}?t={token}")
                page.locator("html.ready").wait_for(state="attached")
                page.locator("#evil-link").click()
                page.wait_for_timeout(300)
                assert page.evaluate("window.__injected") is None
                blocked = page.evaluate("window.__csp")
            assert any(v.startswith("script-src-elem") for v in blocked), blocked
            assert any(v.startswith("script-src-attr") for v in blocked), blocked
            assert any("Content Security Policy" in c for c in console), console
            page.close()

            # 2. the player in the platform's iframe, a full run through: no violation
            console.clear()
            page = ctx.new_page()
            page.on("console", lambda m: console.append(m.text))
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            token = launch_token(platform, user="csp-clean", context="csp3", link="cl3")
            page.goto(f"{platform.issuer}/embed?src={tool.url}{site.prefix}?t={token}")
            frame = page.frame_locator("#tool")
            frame.locator("html.ready").wait_for(state="attached")
            course = next(f for f in page.frames if f.url.startswith(tool.url))
            top = _Top(page)
            top.frame = top.sco = course
            Learner(top, COURSE_MODEL).complete(text_for=lambda rid: f"My {rid}")
            assert course.locator("#lp-results .checklist li.todo").count() == 0
            assert course.evaluate("window.__csp") == []
            expire_platform_origins(tool)  # /verify has no launch: the list of platforms
            for path in ("/record", "/verify"):
                course.goto(f"{tool.url}{path}?t={token}")
                course.wait_for_load_state("load")
                assert course.evaluate("window.__csp") == [], path
            assert not errors, errors
            assert not [c for c in console if "Content Security Policy" in c], console
        finally:
            ctx.close()

    in_chromium(run)
