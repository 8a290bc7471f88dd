"""The whole course in Chromium through the LTI tool: launched from the test platform
(lti1p3platform), completed by a learner with the `lti` adapter (the server scores every
answer), resumed on "another device", and the grade arrives at the platform's AGS endpoint.
axe-core (WCAG 2.2 AA tags) finds nothing on the tool's own pages."""

from __future__ import annotations

import contextlib
import threading

import pytest

from tests.browser.conftest import (
    AXE,
    CHROMIUM,
    CHROMIUM_ARGS,
    Learner,
    assert_axe_clean,
    axe_violations,
)
from tests.conftest import require

from .api_client import COURSE_MODEL, wait_for
from .test_launch import answer_key_strings

pytestmark = pytest.mark.browser


@pytest.fixture
def in_chromium():
    """Run `fn(browser)` with Debian's Chromium, in a thread of its own: tests/browser keeps
    a sync Playwright open on the main thread for the session, and Playwright's sync API
    runs one instance per thread."""
    require(CHROMIUM.is_file(), f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    require(AXE.is_file(), "npm packages missing: run `npm ci` (axe-core)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        require(False, "the Python package playwright is not installed")

    def run(fn):
        failure: list[BaseException] = []

        def main():
            try:
                with sync_playwright() as p:
                    b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                    try:
                        fn(b)
                    finally:
                        b.close()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
                failure.append(exc)

        t = threading.Thread(target=main, name="chromium")
        t.start()
        t.join(300)
        assert not t.is_alive(), "the Chromium test did not finish in 5 minutes"
        if failure:
            raise failure[0]

    return run


class _Top:
    """What tests/browser's Learner drives: here the course is the top page, not a frame."""

    def __init__(self, page):
        self.page = page
        self.frame = page
        self.sco = page


def _context(chromium):
    ctx = chromium.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    bodies: list[tuple[str, str]] = []

    def keep(resp):
        if "/api/v1/" in resp.url or "/course/" in resp.url:
            with contextlib.suppress(Exception):  # a redirect has no body
                bodies.append((resp.request.method + " " + resp.url, resp.text()))

    page.on("response", keep)
    return ctx, page, errors, bodies


def _launch(page, platform, **hint):
    page.goto(platform.issuer + "/start?" + "&".join(f"{k}={v}" for k, v in hint.items()))
    page.locator("html.ready").wait_for(state="attached")
    assert page.evaluate("document.documentElement.dataset.adapter") == "lti"


def test_learner_completes_the_course_in_chromium_and_the_grade_arrives(
    in_chromium, tool, platform
):
    in_chromium(lambda chromium: _complete_course(chromium, tool, platform))


def _complete_course(chromium, tool, platform):
    user = "chromium-learner"
    ctx, page, errors, bodies = _context(chromium)
    try:
        _launch(page, platform, user=user, role="learner", context="bc1", link="brl1")
        learner = Learner(_Top(page), COURSE_MODEL)
        qs = COURSE_MODEL.quiz.questions
        # one wrong answer first time round: 20 of 21 -> 95%
        learner.complete(correct={qs[0].id: False}, text_for=lambda rid: f"<b>{rid}</b> & me")
        results = page.locator("#lp-results").inner_text()
        assert page.locator("#lp-results .checklist li.todo").count() == 0, results
        expected = int(100 * (len(qs) - 1) / len(qs) + 0.5)
        assert f"{expected}%" in results

        def final():
            return [
                s
                for s in platform.services.scores
                if s["userId"] == user and s["activityProgress"] == "Completed"
            ]

        got = wait_for(final, 20, "the grade at the platform")[-1]
        assert got["scoreGiven"] == expected and got["gradingProgress"] == "FullyGraded"
        assert not platform.services.duplicates
        # the reflections went to the server as typed, and were shown escaped
        assert page.locator("#lp-results dd").first.inner_text().startswith("<b>")
        assert not errors, errors
        # nothing the browser got before its first answer carried the key or any feedback
        first = next(i for i, (what, _) in enumerate(bodies) if what.startswith("POST") and
                     what.endswith("/api/v1/answers"))  # fmt: skip
        assert first >= 2  # at least the course page and GET /attempt came before
        for what, body in bodies[:first]:
            for text in answer_key_strings():
                assert text not in body, what
            if "/api/v1/" in what:
                assert "correctResponse" not in body and '"feedback"' not in body, what
    finally:
        ctx.close()

    # another device: a new browser context resumes at the results, answers restored
    ctx, page, errors, _ = _context(chromium)
    try:
        _launch(page, platform, user=user, role="learner", context="bc1", link="brl1")
        assert page.locator("#page-results").is_visible()
        page.locator(f"#qfb-{qs[0].id} .verdict").wait_for(state="attached")
        assert "not correct" in page.locator(f"#qfb-{qs[0].id} .verdict").inner_text()
        assert page.locator(f"#r-{COURSE_MODEL.reflections[0].id}").input_value().startswith("<b>")
        # there, retake the quiz and get everything right: the new score replaces the old
        learner = Learner(_Top(page), COURSE_MODEL)
        learner.go(COURSE_MODEL.nav[0].id)  # the cover offers to go on where they got to
        assert page.locator("#lp-continue").get_attribute("href") == "#page-results"
        assert page.locator("#lp-continue").is_visible() and page.locator("#lp-start").is_hidden()
        learner.go("quiz")
        page.locator("#lp-retake").click()
        for q in qs:
            learner.answer(q, True)
        assert "You scored 100%" in page.locator("#lp-quiz-result").inner_text()

        def hundred():
            return [
                s
                for s in platform.services.scores
                if s["userId"] == user and s.get("scoreGiven") == 100
            ]

        wait_for(hundred, 20, "the retake's score at the platform")
        mine = [s for s in platform.services.scores if s["userId"] == user]
        assert mine[-1]["scoreGiven"] == 100 and mine[-1]["activityProgress"] == "Completed"
        assert not errors, errors
    finally:
        ctx.close()


def test_the_launch_token_leaves_the_address_bar(in_chromium, tool, platform):
    in_chromium(lambda chromium: _token_out_of_address(chromium, tool, platform))


def _token_out_of_address(chromium, tool, platform):
    """After a launch the course page's address has no token (a copied link doesn't carry
    the learner's session); a reload in the same tab carries on from sessionStorage; the
    same address in a new tab asks for a launch from the course page."""
    ctx, page, errors, _ = _context(chromium)
    try:
        _launch(page, platform, user="addr-learner", role="learner", context="bc3", link="brl3")
        assert "/course/" in page.url and "t=" not in page.url, page.url
        stored = page.evaluate(
            "sessionStorage.getItem('lmspack-launch:' + location.pathname)"
        )
        assert stored and stored.count(".") == 2  # the launch token (a JWT)
        learner = Learner(_Top(page), COURSE_MODEL)
        second = COURSE_MODEL.nav[1].id
        learner.go(second)
        page.reload()
        page.locator("html.ready").wait_for(state="attached")
        assert page.evaluate("document.documentElement.dataset.adapter") == "lti"
        assert "t=" not in page.url and f"#page-{second}" in page.url, page.url
        assert page.locator(f"#page-{second}").is_visible()
        assert "session has ended" not in page.locator("body").inner_text()
        address = page.url
        other = ctx.new_page()  # a new tab: its own sessionStorage, no token
        resp = other.goto(address)
        assert resp.status == 401
        assert "open this activity from your course" in other.locator("h1").inner_text().lower()
        # a stored token that no longer works: one try with it, then the message, no loop
        other.evaluate("sessionStorage.setItem('lmspack-launch:' + location.pathname, 'stale')")
        visits: list[str] = []
        other.on("framenavigated", lambda f: visits.append(f.url) if f.parent_frame is None else 0)
        other.reload()
        other.wait_for_url("**t=stale**")
        other.wait_for_load_state("load")
        assert "invalid launch token" in other.locator("body").inner_text().lower()
        assert [u for u in visits if "t=stale" in u] == [other.url]
        assert not errors, errors
    finally:
        ctx.close()


def test_an_open_course_page_renews_its_token(in_chromium, tool, platform):
    """With 12-second launch tokens, the open page swaps its token before it runs out: well
    after the first one expired, the learner's work still saves, and no "session has ended"
    notice appears."""
    cfg = tool.app.extensions["lmspack.config"]
    ttl = cfg.token_ttl
    cfg.token_ttl = 12
    try:
        in_chromium(lambda chromium: _renewal(chromium, tool, platform))
    finally:
        cfg.token_ttl = ttl


def _renewal(chromium, tool, platform):
    import time

    import requests

    ctx, page, errors, _ = _context(chromium)
    try:
        _launch(page, platform, user="renewer", role="learner", context="bc4", link="brl4")
        key = "sessionStorage.getItem('lmspack-launch:' + location.pathname)"
        first = page.evaluate(key)
        launched = time.monotonic()
        page.wait_for_function(f"() => {key} !== {first!r}", timeout=15_000)  # no eval: CSP
        while time.monotonic() - launched < 14:  # the first token has expired by now
            page.wait_for_timeout(500)
        expired = requests.get(
            f"{tool.url}/api/v1/attempt", headers={"Authorization": f"Bearer {first}"}, timeout=10
        )
        assert expired.status_code == 401
        # the CPD record link, made before the renewal, opens with the current token
        with ctx.expect_page() as opened:
            page.locator("#lp-tool-cert a", has_text="Your CPD record").dispatch_event("click")
        record = opened.value
        record.wait_for_load_state()
        assert record.locator("h1").inner_text() == "My CPD record"
        record.close()
        # so does the live-session booking page (the course has a live session)
        with ctx.expect_page() as opened:
            page.locator("#lp-tool-cert a", has_text="Book your live session").dispatch_event(
                "click"
            )
        sessions = opened.value
        sessions.wait_for_load_state()
        assert "live session" in sessions.locator("h1").inner_text().lower()
        sessions.close()
        learner = Learner(_Top(page), COURSE_MODEL)
        second = COURSE_MODEL.nav[1].id
        with page.expect_response(lambda r: r.url.endswith("/api/v1/attempt/state")) as saved:
            learner.go(second)
        assert saved.value.status == 200
        assert "session has ended" not in page.locator("body").inner_text()
        now = page.evaluate(key)
        state = requests.get(
            f"{tool.url}/api/v1/attempt", headers={"Authorization": f"Bearer {now}"}, timeout=10
        ).json()["state"]
        assert state["page"] == second
        assert not errors, errors
    finally:
        ctx.close()


def test_axe_on_the_tools_pages(in_chromium, tool, platform):
    in_chromium(lambda chromium: _axe_pages(chromium, tool, platform))


def _axe_pages(chromium, tool, platform):
    ctx, page, errors, _ = _context(chromium)
    found: dict[str, list[str]] = {}
    try:
        _launch(page, platform, user="axe-learner", role="learner", context="ax", link="axl")
        found["course page after launch"] = axe_violations(page)
        page.goto(platform.issuer + "/start?user=axe-teacher&role=instructor&context=ax&link=axl")
        page.get_by_text("Learners and results").wait_for()
        found["teacher launch page"] = axe_violations(page)
        page.get_by_text("Learners and results").click()
        page.locator("h1").wait_for()
        found["admin page"] = axe_violations(page)
        page.goto(tool.url + "/lti/config")
        found["config page"] = axe_violations(page)
        resp = page.goto(tool.url + f"/course/{COURSE_MODEL.id}/{COURSE_MODEL.version}/?t=expired")
        assert resp.status == 401
        found["error page"] = axe_violations(page)
        assert not errors, errors
    finally:
        ctx.close()
    assert_axe_clean(found)
