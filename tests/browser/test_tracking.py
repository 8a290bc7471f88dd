"""The real course, built as SCORM 1.2 and 2004, completed in Chromium against scorm-again.

We assert what the LMS received: status, score, each interaction and each objective, the
bookmark and saved state (resume), failing and retaking the quiz, the size limits with long
reflections, and Moodle's stricter formats (tests/browser/moodle.py).
"""

from __future__ import annotations

import json

import pytest

from . import moodle
from .conftest import LEARNER, interactions, objectives

pytestmark = pytest.mark.browser
STANDARDS = ["scorm12", "scorm2004"]


def response(q, ids: list[str], v12: bool) -> str:
    """How a response is written: 1.2 `a,b` and t/f; 2004 `a[,]b` and true/false."""
    if q.type == "true-false":
        return ("t" if ids[0] == "true" else "f") if v12 else ids[0]
    return ("," if v12 else "[,]").join(ids)


def quiz_rows(cmi: dict) -> list[dict]:
    return [r for r in interactions(cmi) if not r["id"].startswith("evaluation.")]


def assert_evaluation(cmi: dict, course, comment: str, v12: bool) -> None:
    """The evaluation reaches the LMS as survey interactions (neutral result) after the quiz."""
    rows = [r for r in interactions(cmi) if r["id"].startswith("evaluation.")]
    assert [r["id"] for r in rows] == [f"evaluation.{e.id}" for e in course.evaluation.questions]
    key = "student_response" if v12 else "learner_response"
    for row, e in zip(rows, course.evaluation.questions, strict=True):
        assert row["result"] == "neutral"
        if e.type == "text":
            assert row["type"] == "fill-in"
            assert row[key] == (comment if v12 else f"{{lang={course.language}}}{comment}")
        else:
            assert row["type"] == "likert"
            assert row[key] == ("yes" if e.type == "yes-no" else "4")


def assert_interactions(cmi: dict, course, answers: list[tuple], v12: bool) -> None:
    """`answers`: (question, response ids, correct) in the order they were checked."""
    rows = quiz_rows(cmi)
    assert len(rows) == len(answers)
    for row, (q, ids, ok) in zip(rows, answers, strict=True):
        assert row["id"] == q.id
        assert row["type"] == ("true-false" if q.type == "true-false" else "choice")
        assert row["student_response" if v12 else "learner_response"] == response(q, ids, v12)
        assert row["result"] == ("correct" if ok else ("wrong" if v12 else "incorrect"))
        assert interactions({"interactions": row["objectives"]})[0]["id"] == q.outcome
        pattern = interactions({"interactions": row["correct_responses"]})[0]["pattern"]
        assert pattern == response(q, list(q.correct_ids), v12)
        if not v12:
            assert row["description"], "2004 interactions carry the question as description"


def assert_objectives(cmi: dict, course, scores: dict[str, int], v12: bool) -> None:
    rows = {row["id"]: row for row in objectives(cmi)}
    assert list(rows) == [o.id for o in course.outcomes]
    for oid, score in scores.items():
        row = rows[oid]
        assert row["score"]["raw"] == str(score)
        assert (row["score"]["min"], row["score"]["max"]) == ("0", "100")
        status = "passed" if score >= course.pass_mark else "failed"
        if v12:
            assert row["status"] == status
        else:
            assert row["success_status"] == status
            assert row["completion_status"] == "completed"
            assert float(row["score"]["scaled"]) == score / 100
            assert row["description"] == course.outcome(oid).text[:250]


@pytest.mark.parametrize("std", STANDARDS)
def test_complete_course_reports_everything(lms_factory, learner_for, course, std):
    lms = lms_factory(std).start()
    learner = learner_for(lms)
    # Before any work the LMS already sees an incomplete attempt.
    key = "cmi.core.lesson_status" if lms.v12 else "cmi.completion_status"
    assert lms.last(key) == "incomplete"

    learner.complete()
    learner.f.locator("#lp-cert-actions a").click()
    cert = learner.f.locator("#page-certificate")
    cert.wait_for(state="visible")
    assert learner.f.locator("#lp-cert-name").inner_text() == "Grace Okafor"  # from "Okafor, Grace"
    assert course.title in cert.inner_text()
    lms.unload()

    cmi = lms.data()
    v12 = lms.v12
    if v12:
        core = cmi["core"]
        assert core["student_name"] == LEARNER
        assert core["lesson_status"] == "passed"
        assert core["score"] == {"raw": "100", "min": "0", "max": "100"}
        assert core["exit"] == ""  # finished: no need to resume
    else:
        assert cmi["completion_status"] == "completed"
        assert cmi["success_status"] == "passed"
        assert cmi["score"] == {"scaled": "1", "raw": "100", "min": "0", "max": "100"}
        assert cmi["progress_measure"] == "1"
        assert cmi["exit"] == "normal"
        comments = interactions({"interactions": cmi["comments_from_learner"]})
        assert [c["location"] for c in comments] == [r.id for r in course.reflections]
        assert all(c["comment"].startswith("My reflection for ") for c in comments)
    answers = [(q, list(q.correct_ids), True) for q in course.quiz.questions]
    assert_interactions(cmi, course, answers, v12)
    assert_evaluation(cmi, course, "Clear and useful.", v12)
    assert_objectives(cmi, course, {o.id: 100 for o in course.outcomes}, v12)
    finish = "LMSFinish" if v12 else "Terminate"
    assert [c["fn"] for c in lms.calls()].count(finish) == 1
    assert [c["fn"] for c in lms.calls()].count("LMSInitialize" if v12 else "Initialize") == 1
    moodle.check(lms)


@pytest.mark.parametrize("std", STANDARDS)
def test_resume_returns_to_the_same_page_with_answers(lms_factory, learner_for, course, std):
    lms = lms_factory(std).start()
    learner = learner_for(lms)
    learner.complete(stop_at="quiz")
    first = course.quiz.questions[:5]
    checked = [(q, learner.answer(q, correct=i % 2 == 0), i % 2 == 0) for i, q in enumerate(first)]
    lms.unload()  # the learner closes the window halfway through the quiz
    saved = lms.data()
    assert (saved["core"]["exit"] if lms.v12 else saved["exit"]) == "suspend"
    status = saved["core"]["lesson_status"] if lms.v12 else saved["completion_status"]
    assert status == "incomplete"

    lms.start(preload=saved)  # the next launch: the LMS hands back what it stored
    learner = learner_for(lms)
    assert learner.current() == "page-quiz"
    f = learner.f
    for q, ids, ok in checked:
        for o in q.options:
            box = f.locator(f"#q-{q.id}-{o.id}")
            assert box.is_checked() == (o.id in ids)
            assert box.is_disabled()
        verdict = f.locator(f"#qfb-{q.id} .verdict").inner_text()
        assert verdict == ("Your answer is correct." if ok else "Your answer is not correct.")
    rest = course.quiz.questions[5:]
    assert not f.locator(f"#q-{rest[0].id}-{rest[0].options[0].id}").is_disabled()
    order = [n.id for n in course.nav]
    for r in course.reflections:
        if order.index(r.page) < order.index("quiz"):
            text = f.locator(f"#r-{r.id}").input_value()
            assert text == f"My reflection for {r.id}.\nA second line."
    visited = f.locator(".menu-list a.visited")
    assert visited.count() == order.index("quiz") + 1

    # Finish the quiz: the new interactions continue the LMS's numbering.
    checked += [(q, learner.answer(q), True) for q in rest]
    lms.unload()
    cmi = lms.data()
    assert_interactions(cmi, course, checked, lms.v12)
    right = sum(ok for _, _, ok in checked)
    score = round(100 * right / len(checked))
    status = "passed" if score >= course.pass_mark else "failed"
    if lms.v12:
        assert cmi["core"]["lesson_status"] == status
        assert cmi["core"]["score"]["raw"] == str(score)
    else:
        assert cmi["success_status"] == status
        assert cmi["score"]["raw"] == str(score)
    moodle.check(lms)


@pytest.mark.parametrize("std", STANDARDS)
def test_fail_then_retake_and_pass(lms_factory, learner_for, course, std):
    lms = lms_factory(std).start()
    learner = learner_for(lms)
    learner.go("quiz")
    qs = course.quiz.questions
    wrong = {q.id for q in qs[::3]}  # every third question wrong: about 67% < 80%
    first = [(q, learner.answer(q, q.id not in wrong), q.id not in wrong) for q in qs]
    result = learner.f.locator("#lp-quiz-result")
    assert "You have not passed yet." in result.inner_text()
    score = round(100 * (len(qs) - len(wrong)) / len(qs))
    if lms.v12:
        assert lms.last("cmi.core.lesson_status") == "failed"
        assert lms.last("cmi.core.score.raw") == str(score)
    else:
        assert lms.last("cmi.success_status") == "failed"
        assert lms.last("cmi.completion_status") == "incomplete"  # pages not all read yet
        assert lms.last("cmi.score.scaled") == str(score / 100)
    per_outcome = {}
    for o in course.outcomes:
        oq = course.quiz.for_outcome(o.id)
        per_outcome[o.id] = round(100 * sum(q.id not in wrong for q in oq) / len(oq))
    cmi = lms.data()
    assert_objectives(cmi, course, per_outcome, lms.v12)

    # Retake: answers clear, the history of interactions stays and grows.
    learner.f.locator("#lp-retake").click()
    assert not learner.f.locator(f"#q-{qs[0].id}-{qs[0].options[0].id}").is_checked()
    second = [(q, learner.answer(q), True) for q in qs]
    assert "You passed." in result.inner_text()
    lms.unload()
    cmi = lms.data()
    assert_interactions(cmi, course, first + second, lms.v12)
    assert_objectives(cmi, course, {o.id: 100 for o in course.outcomes}, lms.v12)
    if lms.v12:
        assert cmi["core"]["lesson_status"] == "passed"
        assert cmi["core"]["exit"] == "suspend"  # pages and evaluation still to do
    else:
        assert cmi["success_status"] == "passed"
        assert cmi["completion_status"] == "incomplete"
        assert cmi["exit"] == "suspend"
    moodle.check(lms)


LONG = (
    'She said "no" — twice.\n' + 'Ça va? Reflection text with a quote " and a backslash \\. ' * 200
)


@pytest.mark.parametrize("std", STANDARDS)
def test_long_reflections_fit_the_limits_and_come_back(lms_factory, learner_for, course, std):
    """A full course state: every page, every answer, and every reflection and the evaluation
    comment filled to the brim. Nothing goes over a limit and every text comes back."""
    lms = lms_factory(std).start()
    learner = learner_for(lms)
    f = learner.f
    learner.complete(text_for=lambda rid: LONG, comment=LONG)
    kept = {r.id: f.locator(f"#r-{r.id}").input_value() for r in course.reflections}
    kept.update(
        {
            e.id: f.locator(f"#e-{e.id}").input_value()
            for e in course.evaluation.questions
            if e.type == "text"
        }
    )
    assert all(200 <= len(text) < len(LONG) for text in kept.values())  # maxlength applies
    lms.unload()
    saved = lms.data()
    suspend = saved["suspend_data"]
    if lms.v12:
        assert len(suspend) <= 4096
        assert len(saved["comments"]) <= 4096
        print(
            f"\nSCORM 1.2 full state: suspend_data {len(suspend)} chars, "
            f"cmi.comments {len(saved['comments'])} chars, "
            f"{len(kept[course.reflections[0].id])} chars per text box"
        )
    else:
        assert len(suspend) <= 64000
        comments = interactions({"interactions": saved["comments_from_learner"]})
        assert len(comments) == len(course.reflections)
        assert all(len(c["comment"]) <= 4000 for c in comments)
    json.loads(suspend)
    moodle.check(lms)

    lms.start(preload=saved)
    for rid, text in kept.items():
        prefix = "r-" if rid in {r.id for r in course.reflections} else "e-"
        assert f.locator(f"#{prefix}{rid}").input_value() == text, rid


def test_without_an_lms_the_course_still_works(page, server, learner_for, course):
    """No API anywhere up the frames: a notice, and progress kept in the browser."""
    page.goto(f"{server}/pkg/scorm12/index.html")
    notice = page.locator("#lp-notice")
    notice.wait_for(state="visible")
    assert "Not connected" in notice.inner_text()
    page.locator("#lp-next").click()
    page.locator(f"#page-{course.nav[1].id}").wait_for(state="visible")
    page.reload()
    page.locator(f"#page-{course.nav[1].id}").wait_for(state="visible")


def test_preview_panel_lists_what_an_lms_would_receive(lms_factory, learner_for, course):
    lms = lms_factory("local").start()
    learner = learner_for(lms)
    learner.go("quiz")
    q = course.quiz.questions[0]
    learner.answer(q)
    f = learner.f
    f.locator("#lp-lms > summary").click()
    log = f.locator("#lp-lms-log").inner_text()
    assert 'cmi.location = "quiz"' in log
    assert f'cmi.interactions.0.id = "{q.id}"' in log
    assert "Commit" in log
    assert not lms.calls(), "preview must not talk to an LMS"


def test_links_hash_title_and_focus(page, server, course):
    """In-content links between pages, #page-<id> addresses, document.title and focus."""
    page.goto(f"{server}/pkg/local/index.html#page-{course.nav[2].id}")
    page.locator("html.ready").wait_for(state="attached")
    assert page.locator(f"#page-{course.nav[2].id}").is_visible()
    assert page.locator("#lp-progress").inner_text() == f"Page 3 of {len(course.nav) + 1}"
    link = page.locator("main .content a[href^='#page-']").first
    source = link.evaluate("a => a.closest('section').id")
    target = link.get_attribute("href").removeprefix("#page-")
    page.locator(f'.menu-list a[data-step="{source.removeprefix("page-")}"]').evaluate(
        "a => a.click()"
    )
    link.click()
    assert page.locator(f"#page-{target}").is_visible()
    assert page.locator("main > section.step:visible").count() == 1
    assert page.evaluate("location.hash") == f"#page-{target}"
    assert page.evaluate("document.activeElement.id") == f"h-{target}"
    title = next(n.title for n in course.nav if n.id == target)
    assert page.title().startswith(title)
    assert course.title in page.title()


@pytest.mark.parametrize("std", STANDARDS)
def test_package_in_a_new_window_finds_the_api_through_opener(page, server, course, std):
    """Moodle's "New window" display: no parent frame holds the API, window.opener does."""
    page.goto(f"{server}/harness.html")
    with page.context.expect_page() as popup_info:
        page.evaluate(
            "([s, src]) => lmsStart(s, src, null, 'Okafor, Grace', true)",
            [std, f"/pkg/{std}/index.html"],
        )
    popup = popup_info.value
    popup.locator("html.ready").wait_for(state="attached")
    assert popup.evaluate("window.parent === window && !!window.opener")
    popup.get_by_role("button", name="Next").first.click()
    init = "LMSInitialize" if std == "scorm12" else "Initialize"
    location = "cmi.core.lesson_location" if std == "scorm12" else "cmi.location"
    page.wait_for_function(
        "([loc, want]) => lmsCalls.some(c => c.key === loc && c.value === want)",
        arg=[location, course.nav[1].id],
    )
    calls = page.evaluate("lmsCalls")
    assert [c["fn"] for c in calls].count(init) == 1
    assert not popup.locator("#lp-notice").is_visible(), "no 'LMS not found' notice"
    popup.close()


@pytest.mark.parametrize("std", STANDARDS)
def test_hiding_the_page_commits(lms_factory, learner_for, std):
    """Phones and tab switches may never fire unload: a hidden page commits what it has."""
    lms = lms_factory(std).start()
    commit = "LMSCommit" if lms.v12 else "Commit"
    before = [c["fn"] for c in lms.calls()].count(commit)
    lms.sco.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    lms.page.wait_for_function(
        "([fn, n]) => lmsCalls.filter(c => c.fn === fn).length > n", arg=[commit, before]
    )
    assert lms.last("cmi.core.session_time" if lms.v12 else "cmi.session_time")
