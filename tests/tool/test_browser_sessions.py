"""A learner books a live session in Chromium (after a real launch): the booking page, the
booked session with its joining link and equipment notes; axe-core finds nothing on the
learner's page and on the teacher's sessions and facilitator pages, at 1280 and 320 px
(the teacher's at 320; the live sessions report at both)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_axe_clean, axe_violations, new_page

from .test_browser_lti import in_chromium  # noqa: F401  (the fixture)
from .test_sessions_pages import add_session, launch_token, session_ids, teacher

pytestmark = pytest.mark.browser


def test_a_learner_books_a_session_in_chromium(in_chromium, tool, platform):  # noqa: F811
    token, ctx = teacher(platform, "ses-web")
    assert add_session(tool, token, ctx, notes="Passcode <b>42</b>").status_code == 303
    (sid,) = session_ids(tool, token, ctx)
    learner = launch_token(platform, user="ses-web-l", role="learner", context="ses-web",
                           link="ses-web-l")  # fmt: skip
    found: dict[str, list[str]] = {}

    def run(chromium):
        ctx_b, page, errors = new_page(chromium, 1280, 900)
        try:
            page.goto(f"{tool.url}/sessions?t={learner}")
            page.get_by_role("heading", name="Book your live session").wait_for()
            assert "t=" not in page.url  # the token left the address bar
            found["learner, 1280"] = axe_violations(page)
            page.get_by_role("button", name="Book").click()
            page.get_by_role("heading", name="Your session").wait_for()
            link = page.get_by_role("link", name="https://zoom.us/j/123?pwd=x")
            assert link.get_attribute("href") == "https://zoom.us/j/123?pwd=x"
            assert page.get_by_text("Passcode <b>42</b>").is_visible()  # shown, not markup
            assert page.get_by_text("webcam", exact=False).is_visible()
            page.set_viewport_size({"width": 320, "height": 700})
            found["learner booked, 320"] = axe_violations(page)
            # the teacher's pages at the narrow width, where tables and forms break first
            page.goto(f"{tool.url}/admin/{ctx}/sessions?t={token}")
            found["teacher sessions, 320"] = axe_violations(page)
            page.goto(f"{tool.url}/admin/{ctx}/sessions/{sid}?t={token}")
            page.get_by_text("Learners on this session (1)").wait_for()
            found["facilitator, 320"] = axe_violations(page)
            page.goto(f"{tool.url}/admin/{ctx}/sessions-report?t={token}")
            page.get_by_role("heading", name="Booked but did not attend").wait_for()
            found["sessions report, 320"] = axe_violations(page)
            page.set_viewport_size({"width": 1280, "height": 900})
            found["sessions report, 1280"] = axe_violations(page)
            assert not errors, errors
        finally:
            ctx_b.close()

    in_chromium(run)
    assert_axe_clean(found)
