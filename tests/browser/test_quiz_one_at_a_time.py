"""The quiz one question at a time, in a real SCORM runtime (scorm-again): its own progress
("Question 4 of 26"), Previous and Next, every question reachable from the list of questions
(which says in words which are answered), focus on the question's heading at each change,
by mouse and by keyboard alone; at the end a bar per learning outcome, its numbers in text.
The cover's Start, and Continue where you left off for a returning learner, are here too."""

from __future__ import annotations

import pytest

from .conftest import Keyboard, Learner, Lms

pytestmark = pytest.mark.browser
ACTIVE = "document.activeElement ? document.activeElement.id : ''"


def shown(lms: Lms) -> list[str]:
    return lms.sco.evaluate(
        "[...document.querySelectorAll('.question')].filter(q => !q.hidden)"
        ".map(q => q.dataset.question)"
    )


def list_item(lms: Lms, qid: str):
    return lms.frame.locator(f'.qnav a[data-question="{qid}"]')


@pytest.mark.parametrize("std", ["scorm12", "scorm2004"])
def test_by_mouse_one_at_a_time_then_a_bar_per_outcome(lms_factory, course, std):
    lms = lms_factory(std).start()
    learner = Learner(lms, course)
    f = learner.f
    qs = course.quiz.questions
    n = len(qs)
    learner.go("quiz")
    assert shown(lms) == [qs[0].id]
    assert f.locator(f"#qh-{qs[0].id}").inner_text() == f"Question 1 of {n}"
    assert f.locator("#lp-qnav-count").inner_text() == f"(0 of {n} answered)"
    assert f.locator("#lp-qprev").is_hidden() and f.locator("#lp-qnext").is_visible()
    assert list_item(lms, qs[0].id).get_attribute("aria-current") == "step"
    assert f.locator(".qnav").get_by_role("link", name="Question 1, not answered").count() == 1

    # answer the first by clicking its option's label, then Next and Previous
    wrong = next(o for o in qs[0].options if not o.correct)
    f.locator(f'label[for="q-{qs[0].id}-{wrong.id}"]').click()
    f.locator(f"#qc-{qs[0].id}").click()
    f.locator(f"#qfb-{qs[0].id} .verdict").wait_for()
    named = f.locator(".qnav").get_by_role("link", name="Question 1, answered", exact=True)
    assert named.count() == 1
    assert f.locator("#lp-qnav-count").inner_text() == f"(1 of {n} answered)"
    f.locator("#lp-qnext").click()
    assert shown(lms) == [qs[1].id] and lms.sco.evaluate(ACTIVE) == f"qh-{qs[1].id}"
    assert list_item(lms, qs[1].id).get_attribute("aria-current") == "step"
    assert list_item(lms, qs[0].id).get_attribute("aria-current") is None
    f.locator("#lp-qprev").click()
    assert shown(lms) == [qs[0].id] and lms.sco.evaluate(ACTIVE) == f"qh-{qs[0].id}"
    assert f.locator(f"#q-{qs[0].id}-{wrong.id}").is_checked()  # the answer stays shown

    # any question from the list; the last has no Next
    list_item(lms, qs[-1].id).click()
    assert shown(lms) == [qs[-1].id] and lms.sco.evaluate(ACTIVE) == f"qh-{qs[-1].id}"
    assert f.locator(f"#qh-{qs[-1].id}").inner_text() == f"Question {n} of {n}"
    assert f.locator("#lp-qnext").is_hidden()
    list_item(lms, qs[1].id).click()

    # the rest in order with Next, all right
    for i, q in enumerate(qs[1:], 1):
        assert shown(lms) == [q.id]
        for oid in q.correct_ids:
            f.locator(f'label[for="q-{q.id}-{oid}"]').click()
        f.locator(f"#qc-{q.id}").click()
        f.locator(f"#qfb-{q.id} .verdict").wait_for()
        if i < n - 1:
            f.locator("#lp-qnext").click()
    assert f.locator("#lp-qnav-count").inner_text() == f"({n} of {n} answered)"
    assert f.locator(".qnav a.done").count() == n
    result = f.locator("#lp-quiz-result")
    score = round(100 * (n - 1) / n)
    assert f"You scored {score}% ({n - 1} of {n} correct)" in result.inner_text()
    bars = result.locator(".bars li")
    assert bars.count() == len(course.outcomes)
    first = course.quiz.for_outcome(qs[0].outcome)
    pct = round(100 * (len(first) - 1) / len(first))
    row = bars.nth([o.id for o in course.outcomes].index(qs[0].outcome))
    assert f"{len(first) - 1} of {len(first)} right, {pct}%" in row.inner_text()
    widths = lms.sco.evaluate(
        "[...document.querySelectorAll('#lp-quiz-result .bar')]"
        ".map(b => [b.firstChild.getBoundingClientRect().width, b.getBoundingClientRect().width])"
    )
    fill = [round(100 * inner / outer) for inner, outer in widths]
    assert fill.count(100) == len(course.outcomes) - 1 and abs(fill[
        [o.id for o in course.outcomes].index(qs[0].outcome)] - pct) <= 1
    lms.unload()
    raw = lms.last("cmi.core.score.raw" if lms.v12 else "cmi.score.raw")
    assert raw == str(score)


def test_by_keyboard_through_the_list_and_previous_next(lms_factory, course):
    lms = lms_factory("scorm2004").start(hash="#page-quiz")
    sco, kb = lms.sco, lms.page.keyboard
    qs = course.quiz.questions

    keys = Keyboard(lms)
    tab_to = keys.tab_to

    def tab_to_item(qid: str) -> None:
        for _ in range(80):
            if sco.evaluate("document.activeElement.dataset.question || ''") == qid:
                return
            kb.press("Tab")
        raise AssertionError(f"could not reach question {qid} in the list")

    lms.frame.locator("#page-quiz").wait_for()
    sco.evaluate("document.getElementById('h-quiz').focus()")
    tab_to_item(qs[2].id)
    kb.press("Enter")
    assert sco.evaluate(ACTIVE) == f"qh-{qs[2].id}" and shown(lms) == [qs[2].id]
    q = qs[2]
    keys.answer(q)
    tab_to("lp-qnext")
    kb.press("Enter")
    assert sco.evaluate(ACTIVE) == f"qh-{qs[3].id}" and shown(lms) == [qs[3].id]
    tab_to("lp-qprev")
    kb.press("Enter")
    assert sco.evaluate(ACTIVE) == f"qh-{q.id}" and shown(lms) == [q.id]
    named = lms.frame.locator(".qnav").get_by_role("link", name="Question 3, answered", exact=True)
    assert named.get_attribute("data-question") == q.id
    # a list item reached with Tab shows a visible focus ring
    tab_to_item(qs[0].id)
    ring = sco.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert ring == "solid"


def test_the_cover_starts_and_a_returning_learner_continues(page, server, course):
    lms = Lms(page, server, "scorm2004", pkg="cover").start()
    learner = Learner(lms, course)
    f = learner.f
    image = f.locator(".cover-image")
    assert image.is_visible() and image.get_attribute("alt").startswith("Overlapping circles")
    assert lms.sco.evaluate("document.querySelector('.cover-image').naturalWidth") > 0
    assert f.locator("#lp-continue").is_hidden()
    f.locator("#lp-start").click()
    f.locator(f"#page-{course.nav[1].id}").wait_for(state="visible")
    learner.go(course.nav[3].id)
    learner.go(course.nav[2].id)  # back a page: the bookmark; the furthest page is nav[3]
    lms.unload()
    lms.start(preload=lms.data())
    assert learner.current() == f"page-{course.nav[2].id}"  # resumed at the bookmark
    learner.go(course.nav[0].id)
    go = f.locator("#lp-continue")
    assert go.is_visible() and go.inner_text() == "Continue where you left off"
    assert f.locator("#lp-start").is_hidden()
    where = f.locator("#lp-continue-where").inner_text()
    assert where == f"Page 4 of {len(course.nav) + 1}: {course.nav[3].title}"
    go.click()
    f.locator(f"#page-{course.nav[3].id}").wait_for(state="visible")
    assert lms.sco.evaluate(ACTIVE) == f"h-{course.nav[3].id}"
