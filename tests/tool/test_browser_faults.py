"""The player through a database fault, in Chromium: the learner sends the evaluation while
the tool's database is locked (the tool answers 503 with Retry-After). The player says the
work is kept and will be sent, never "sent" before the server's 2xx, sends it again by itself
once the lock is gone, and the evaluation is stored once. With no answer at all (the browser
offline) a reflection is kept and sent when the browser is back online."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lmspack.store.models import Attempt, User
from tests.browser.conftest import Learner

from .api_client import COURSE_MODEL
from .faults import locked, make_tool, migrated_template
from .test_browser_lti import (
    _context,
    _launch,
    _Top,
    in_chromium,  # noqa: F401 - the fixture
)

pytestmark = pytest.mark.browser

SENT = "Thank you. Your evaluation has been sent."


@pytest.fixture
def faulty(tmp_path):
    tool = make_tool(tmp_path, migrated_template(tmp_path))
    yield tool
    tool.stop()


def test_the_player_keeps_the_evaluation_through_a_503_and_sends_it_once(
    in_chromium,  # noqa: F811 - the fixture imported above
    faulty,
):
    in_chromium(lambda chromium: _evaluate_through_a_lock(chromium, faulty))


def _evaluate_through_a_lock(chromium, tool):
    ctx, page, errors, _ = _context(chromium)
    answers: list[tuple[str, int]] = []
    page.on("response", lambda r: answers.append((r.request.method + " " + r.url, r.status))
            if "/api/v1/" in r.url else None)  # fmt: skip
    try:
        _launch(page, tool.platform, user="fault-learner", role="learner", context="fb1",
                link="fbrl1")  # fmt: skip
        learner = Learner(_Top(page), COURSE_MODEL)
        learner.go("evaluation")
        learner.fill_evaluation("Kept through the outage.")
        status = page.locator("#lp-evaluation-status")
        notice = page.locator("#lp-notice")
        with locked(tool.path):
            refused = page.expect_response(lambda r: "/api/v1/" in r.url and r.status == 503)
            with refused as first:
                page.locator("#lp-evaluation button[type=submit]").click()
            assert first.value.headers["retry-after"] == "2"
            page.locator("#lp-evaluation-status", has_text="not sent yet").wait_for()
            assert "kept" in status.inner_text() and SENT not in status.inner_text()
            assert notice.is_visible() and "Your work is kept" in notice.inner_text()
            page.wait_for_timeout(300)  # still the lock: nothing claims to be sent
            assert SENT not in status.inner_text()
        page.locator("#lp-evaluation-status .verdict").wait_for(timeout=15_000)
        assert status.inner_text().strip() == SENT
        assert not notice.is_visible()
        # no answer at all (the browser offline): a reflection is kept and sent once back
        page_id = next(n.id for n in COURSE_MODEL.nav if COURSE_MODEL.reflections_for(n.id))
        reflection = COURSE_MODEL.reflections_for(page_id)[0]
        learner.go(page_id)
        ctx.set_offline(True)
        page.locator(f"#r-{reflection.id}").fill("Written offline.")
        page.locator(f"#r-{reflection.id}").blur()
        page.locator("#lp-notice", has_text="Your work is kept").wait_for()
        ctx.set_offline(False)
        notice.wait_for(state="hidden")
        assert not errors, errors
    finally:
        ctx.close()
    evaluations = [a for a in answers if a[0].endswith("/api/v1/evaluation")]
    assert [code for _, code in evaluations if code < 300] == [200], evaluations
    with tool.store.read_sessions() as s:
        rows = s.scalars(
            select(Attempt).join(User, User.id == Attempt.user_id)
            .where(User.sub == "fault-learner")
        ).all()  # fmt: skip
    assert len(rows) == 1
    state = rows[0].state
    assert state["evaluationSubmitted"]
    assert state["evaluation"]["comment"] == "Kept through the outage."
    assert state["evaluation"]["recommend"] == "yes"
    assert state["reflections"][reflection.id] == "Written offline."
