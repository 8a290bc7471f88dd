"""The whole workshop in Chromium, through real launches, in the workshop's own course
(`certificate.require: [pages, quiz, attendance, session-evaluation]`), on SQLite and
PostgreSQL: the facilitator adds a session on the admin page; the learner, after the
pre-work, opens *Book your live session* from the course page and books; the facilitator
sees the learner's pre-work and per-outcome results and marks them attended; the course
page's results then name the session they attended; the learner opens the evaluation from
the CPD record, sends it, and the certificate is there and verifies. axe-core finds nothing
on any of these pages at 1280 and at 320 px.

(The pre-work itself is done through the learner API with the same launch's user and link:
the player's pages and quiz in Chromium are test_browser_lti.py's and tests/browser's.)"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from tests.browser.conftest import assert_axe_clean, axe_violations, new_page

from .api_client import complete_course, learner_api
from .test_browser_lti import _launch, in_chromium  # noqa: F401  (the fixture)
from .test_browser_session_evaluation import send_the_form
from .test_sessions_pages import teacher

pytestmark = pytest.mark.browser

CONTEXT, LINK, USER = "ws-web", "ws-web-l", "ws-web-ann"
DAY = date.today() + timedelta(days=9)


def _both_widths(page, found: dict, name: str) -> None:
    """axe at 1280 and 320 px, back to 1280 after."""
    found[f"{name}, 1280"] = axe_violations(page)
    page.set_viewport_size({"width": 320, "height": 700})
    found[f"{name}, 320"] = axe_violations(page)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_book_attend_evaluate_certificate_in_chromium(in_chromium, tool, platform):  # noqa: F811
    token, ctx = teacher(platform, CONTEXT)
    api = learner_api(tool, platform, user=USER, context=CONTEXT, link=LINK)
    complete_course(api)  # the pre-work: every page, the quiz passed, the feedback form
    assert api.get("/attempt").json()["certificate"] is None  # the workshop is still to come
    found: dict[str, list[str]] = {}
    seen: dict[str, str] = {}

    def run(chromium):
        fac_b, fac, fac_errors = new_page(chromium, 1280, 900)
        ctx_b, page, errors = new_page(chromium, 1280, 900)
        try:
            # the facilitator adds a session
            fac.goto(f"{tool.url}/admin/{ctx}/sessions?t={token}")
            fac.get_by_role("heading", name="Live sessions in").wait_for()
            _both_widths(fac, found, "facilitator: sessions")
            fac.get_by_label("Date").fill(DAY.isoformat())
            fac.get_by_label("Joining link").fill("https://zoom.us/j/987?pwd=abc")
            fac.get_by_label("Joining notes").fill("Passcode 42. Join 5 minutes early.")
            assert fac.get_by_label("Places").input_value() == "12"  # course.yaml's capacity
            fac.get_by_role("button", name="Add the session").click()
            fac.get_by_role("status").filter(has_text="The session was added").wait_for()

            # the learner comes back to the activity and books from the course page
            _launch(page, platform, user=USER, role="learner", context=CONTEXT, link=LINK)
            with ctx_b.expect_page() as opened:
                page.locator("#lp-tool-cert a", has_text="Book your live session").dispatch_event(
                    "click"
                )
            book = opened.value
            book.get_by_role("heading", name="Book your live session").wait_for()
            _both_widths(book, found, "learner: sessions")
            book.get_by_role("button", name="Book this session").click()
            book.get_by_role("heading", name="Your session").wait_for()
            assert book.get_by_role("link", name="https://zoom.us/j/987?pwd=abc").is_visible()
            assert book.get_by_text("Passcode 42").is_visible()
            assert book.get_by_text("webcam", exact=False).is_visible()
            ics = book.get_by_role("link", name="Add it to your calendar")
            with book.expect_download() as got:
                ics.click()
            seen["ics"] = Path(got.value.path()).read_text(encoding="utf-8")
            _both_widths(book, found, "learner: booked")

            # the facilitator's session page: the learner's pre-work and outcomes; attendance
            fac.goto(f"{tool.url}/admin/{ctx}/sessions?t={token}")
            fac.locator(f"a[href*='/admin/{ctx}/sessions/']").first.click()
            fac.get_by_text("Learners on this session (1)").wait_for()
            row = fac.locator("tbody tr").filter(has_text=USER).first
            seen["row"] = row.inner_text()
            _both_widths(fac, found, "facilitator: session")
            row.get_by_label("Attended").check()
            fac.get_by_role("button", name="Save attendance").click()
            fac.get_by_role("status").filter(has_text="1 attended").wait_for()

            # back on the course page, the results say which session they attended
            page.reload()
            page.locator("html.ready").wait_for(state="attached")
            links = page.locator("#lp-tool-cert")
            links.get_by_text("You attended the live session:").wait_for(state="attached")
            seen["results"] = links.inner_text()
            # the learner evaluates the session from the CPD record; the certificate comes
            with ctx_b.expect_page() as opened:
                page.locator("#lp-tool-cert a", has_text="Your CPD record").dispatch_event(
                    "click"
                )
            record = opened.value
            record.get_by_role("heading", name="My CPD record").wait_for()
            assert record.get_by_text("You attended the live session on").is_visible()
            record.get_by_role("link", name="Evaluate the live session").click()
            record.get_by_role("heading", name="Your evaluation of the workshop").wait_for()
            _both_widths(record, found, "learner: evaluation")
            send_the_form(record, "first", "110", "We tried <b>curious</b> openings.")
            record.goto(f"{tool.url}/record?t={api.token}")
            record.get_by_role("heading", name="My CPD record").wait_for()
            seen["code"] = record.locator("a[href*='/verify/']").first.inner_text()
            seen["record"] = record.locator("main").inner_text()
            _both_widths(record, found, "learner: record with certificate")
            assert not errors, errors
            assert not fac_errors, fac_errors
        finally:
            ctx_b.close()
            fac_b.close()

    in_chromium(run)
    assert "BEGIN:VALARM" in seen["ics"] and "https://zoom.us/j/987?pwd=abc" in seen["ics"]
    assert "Passed" in seen["row"] and "100%" in seen["row"]
    assert "(Europe/London)" in seen["results"] and str(DAY.year) in seen["results"]
    assert "We tried <b>curious</b> openings." in seen["record"]  # escaped, as typed
    cert = api.get("/attempt").json()["certificate"]
    assert cert and cert["code"] == seen["code"]
    verify = requests.get(cert["urls"]["verify"], timeout=10).text
    assert "This certificate is valid" in verify and "Live session attended" in verify
    assert_axe_clean(found)
