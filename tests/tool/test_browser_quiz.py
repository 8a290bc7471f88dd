"""The review settings in Chromium through the LTI tool: the player shows what the server
allows (the note on the option chosen, the whole key after a pass), in the server's order of
the options for each try, and says so when the server refuses a retake."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from lmspack.cli import main
from tests.browser.conftest import Learner

from .api_client import COURSE_MODEL, Api, choice, launch_token
from .test_browser_lti import _context, _launch, _Top, in_chromium  # noqa: F401 - a fixture
from .test_quiz_review import snippet

pytestmark = pytest.mark.browser
QUESTIONS = COURSE_MODEL.quiz.questions


def dom_order(page, qid: str) -> list[str]:
    return page.evaluate(
        "qid => [...document.querySelectorAll('#question-' + qid + ' .option')]"
        ".map(o => o.dataset.option)",
        qid,
    )


def server_order(bodies, method: str, path: str) -> dict:
    """The options' order in the tool's last answer to `method path`."""
    body = next(b for w, b in reversed(bodies) if w.startswith(method) and w.endswith(path))
    data = json.loads(body)
    return (data.get("quiz") or data)["order"]


def test_the_player_shows_what_the_server_allows_in_its_order(in_chromium, tool, platform):  # noqa: F811
    in_chromium(lambda chromium: _review_in_chromium(chromium, platform))


def _review_in_chromium(chromium, platform):
    ctx, page, errors, bodies = _context(chromium)
    try:
        _launch(page, platform, user="cq-learner", role="learner", context="cq1", link="cqrl1")
        learner = Learner(_Top(page), COURSE_MODEL)
        learner.go("quiz")
        order = server_order(bodies, "GET", "/api/v1/attempt")
        assert {q.id: dom_order(page, q.id) for q in QUESTIONS} == order
        q0 = QUESTIONS[0]
        learner.answer(q0, correct=False)
        text = page.locator(f"#question-{q0.id}").inner_text()
        chosen = next(o for o in q0.options if not o.correct)
        assert snippet(chosen.feedback) in text and "Correct answer." not in text
        assert snippet(q0.feedback_incorrect) not in text
        assert "shown once you have passed" in text
        for q in QUESTIONS[1:]:
            learner.answer(q, correct=True)
        result = page.locator("#lp-quiz-result").inner_text()
        assert "You passed." in result and "now shown with each question" in result
        text = page.locator(f"#question-{q0.id}").inner_text()
        assert "Correct answer." in text and snippet(q0.feedback_incorrect) in text
        assert all(snippet(o.feedback) in text for o in q0.options if o.feedback)
        with page.expect_response(lambda r: r.url.endswith("/api/v1/quiz/retake")) as got:
            page.locator("#lp-retake").click()
        second = got.value.json()["order"]
        page.wait_for_function("() => !document.querySelector('.question input').disabled")
        assert {q.id: dom_order(page, q.id) for q in QUESTIONS} == second
        assert sum(second[q.id] != order[q.id] for q in QUESTIONS) >= 5
        assert not errors, errors
    finally:
        ctx.close()


def test_a_retake_the_server_refuses_is_explained(
    in_chromium,  # noqa: F811 - a fixture
    tool,
    platform,
    variant,
    tmp_path,
    database_url,
):
    course_id = variant("cq-two", "attempts: 2\n")
    custom = json.dumps({"lmspack_course": course_id})
    hint = {"user": "cq-two", "role": "learner", "context": "cq2", "link": "cqrl2"}

    def grant() -> None:  # the teacher allows another try (lmspack attempts grant)
        r = CliRunner().invoke(main, [
            "attempts", "grant", "--context", "cq2", "--user", "cq-two",
            "--course", str(tmp_path / course_id), "--database-url", database_url,
        ])
        assert r.exit_code == 0, r.output

    in_chromium(
        lambda chromium: _refused_in_chromium(chromium, tool, platform, hint, custom, grant)
    )


def _refused_in_chromium(chromium, tool, platform, hint, custom, grant):
    ctx, page, errors, _ = _context(chromium)
    try:
        _launch(page, platform, custom=custom, **hint)
        learner = Learner(_Top(page), COURSE_MODEL)
        learner.go("quiz")
        for q in QUESTIONS:
            learner.answer(q, correct=False)
        result = page.locator("#lp-quiz-result")
        assert "You have one more attempt." in result.inner_text()
        assert page.locator("#lp-retake").is_visible()
        # meanwhile, on another device, the learner takes (and finishes) the second attempt
        other = Api(tool.url, launch_token(platform, custom=custom, **hint))
        assert other.post("/quiz/retake", {}).status_code == 200
        for q in QUESTIONS:
            assert other.answer(q.id, choice(q, False)).status_code == 201
        page.locator("#lp-retake").click()
        error = page.locator("#lp-quiz-result .form-error")
        error.wait_for()
        assert error.inner_text() == "You have used all 2 attempts at this quiz."
        assert page.locator("#lp-retake").is_hidden()
        # the page's answers stay as they were: nothing was reset for a refused retake
        assert page.locator(f"#q-{QUESTIONS[0].id}-{QUESTIONS[0].options[0].id}").is_disabled()
        # the teacher allows a third try: the player counts the server's tries, not the package's
        grant()
        _launch(page, platform, custom=custom, **hint)
        learner = Learner(_Top(page), COURSE_MODEL)
        learner.go("quiz")
        result = page.locator("#lp-quiz-result")
        result.wait_for()
        assert "You have one more attempt." in result.inner_text()
        assert page.locator("#lp-retake").is_visible()
        page.locator("#lp-retake").click()
        page.wait_for_function("() => !document.querySelector('.question input').disabled")
        learner.answer(QUESTIONS[0], correct=False)
        assert "This is attempt 3 of 3." in page.locator("#lp-quiz-result").inner_text()
        assert not errors, errors
    finally:
        ctx.close()
