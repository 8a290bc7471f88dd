"""The evaluation after the live session in Chromium, in the workshop's own course: once the
learner's attendance is recorded they open it from the CPD record, answer it and send it;
axe-core finds nothing on the form at 320 px."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_axe_clean, axe_violations, new_page

from .api_client import Api
from .test_browser_lti import in_chromium  # noqa: F401  (the fixture)
from .test_session_evaluation import _mark
from .test_sessions_pages import add_session, launch_token, session_ids, teacher
from .workshop import learner_post

pytestmark = pytest.mark.browser


def send_the_form(page, choice: str, minutes: str, reflection: str) -> None:
    """Answer the evaluation after the session on its page (each radio group's `choice`:
    "first" or "last"), send it, and wait for the page to say it is sent."""
    sets = page.locator("fieldset")
    for i in range(sets.count()):
        getattr(sets.nth(i).locator("input[type=radio]"), choice).check()
    page.get_by_label("really take you").fill(minutes)
    page.get_by_label("peer reflection").fill(reflection)
    page.get_by_role("button", name="Send my evaluation").click()
    page.get_by_role("status").filter(has_text="your evaluation is sent").wait_for()


def test_a_learner_evaluates_the_session_in_chromium(in_chromium, tool, platform):  # noqa: F811
    token, ctx = teacher(platform, "sev-web")
    add_session(tool, token, ctx)
    (sid,) = session_ids(tool, token, ctx)
    learner = launch_token(platform, user="sev-web-l", role="learner", context="sev-web",
                           link="sev-web-l")  # fmt: skip
    assert learner_post(tool, Api(tool.url, learner), f"/sessions/{sid}/book").status_code == 303
    _mark(tool, token, ctx, sid, "attended")
    found: dict[str, list[str]] = {}

    def run(chromium):
        ctx_b, page, errors = new_page(chromium, 320, 700)
        try:
            page.goto(f"{tool.url}/record?t={learner}")
            page.get_by_role("link", name="Evaluate the live session").click()
            page.get_by_role("heading", name="Your evaluation of the workshop").wait_for()
            found["form, 320"] = axe_violations(page)
            send_the_form(page, "last", "150", "We compared <i>first visits</i>.")
            assert page.get_by_text("We compared <i>first visits</i>.").is_visible()
            found["sent, 320"] = axe_violations(page)
            assert not errors, errors
        finally:
            ctx_b.close()

    in_chromium(run)
    assert_axe_clean(found)
