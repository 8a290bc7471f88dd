"""The review settings in a SCORM package, in Chromium against scorm-again: the key ships in
the package (a documented limit), but the player shows it only as `reveal` allows, limits
`attempts`, and shuffles each try's options from a seed kept in suspend_data."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from lmspack.build import build_packages
from lmspack.course import load_course
from tests.conftest import quiz_with_settings

from .conftest import COURSE_DIR, Lms

pytestmark = pytest.mark.browser


def snippet(html: str) -> str:
    """The first words of an HTML text, as the browser shows them."""
    from html import unescape
    from re import sub

    return unescape(sub(r"<[^>]+>", "", html)).strip()[:50]


def option_order(lms: Lms, qid: str) -> list[str]:
    return lms.sco.evaluate(
        "qid => [...document.querySelectorAll('#question-' + qid + ' .option')]"
        ".map(o => o.dataset.option)",
        qid,
    )


def question_text(lms: Lms, qid: str) -> str:
    return lms.frame.locator(f"#question-{qid}").inner_text()


def test_the_package_keeps_the_key_back_until_a_pass(lms_factory, learner_for, course):
    lms = lms_factory("scorm12").start()
    learner = learner_for(lms)
    learner.go("quiz")
    qs = course.quiz.questions
    single = qs[0]
    multiple = next(q for q in qs if q.multiple)
    learner.answer(single, correct=False)
    learner.answer(multiple, correct=False)
    chosen = next(o for o in single.options if not o.correct)
    text = question_text(lms, single.id)
    assert snippet(chosen.feedback) in text  # why the option chosen is not the best response
    assert "Correct answer." not in text and snippet(single.feedback_incorrect) not in text
    for o in single.options:
        if o.id != chosen.id:
            assert snippet(o.feedback) not in text, o.id
    assert "shown once you have passed" in text
    text = question_text(lms, multiple.id)
    assert all(snippet(o.feedback) not in text for o in multiple.options)
    assert lms.frame.locator(f"#question-{single.id} .option.right").count() == 0

    # the rest right: 19 of 21 (90%) passes, and every question now shows everything
    for q in qs:
        if q.id not in (single.id, multiple.id):
            learner.answer(q, correct=True)
    result = lms.frame.locator("#lp-quiz-result").inner_text()
    assert "You passed." in result and "now shown with each question" in result
    for q in (single, multiple):
        text = question_text(lms, q.id)
        assert snippet(q.feedback_incorrect) in text
        assert all(snippet(o.feedback) in text for o in q.options if o.feedback)
        right = lms.frame.locator(f"#question-{q.id} .option.right")
        assert sorted(right.evaluate_all("els => els.map(e => e.dataset.option)")) == sorted(
            q.correct_ids
        )
    # the LMS still gets each interaction's correct response, for its own reports
    assert lms.last("cmi.interactions.0.correct_responses.0.pattern") == ",".join(
        single.correct_ids
    )
    lms.unload()
    assert json.loads(lms.data()["suspend_data"])["p"] == 1


def test_options_are_shuffled_per_try_and_come_back_in_the_same_order(
    lms_factory, learner_for, course
):
    lms = lms_factory("scorm2004").start()
    learner = learner_for(lms)
    learner.go("quiz")
    qs = course.quiz.questions
    first = {q.id: option_order(lms, q.id) for q in qs}
    written = {q.id: [o.id for o in q.options] for q in qs}
    assert all(sorted(first[q.id]) == sorted(written[q.id]) for q in qs)
    assert all(first[q.id] == ["true", "false"] for q in qs if q.type == "true-false")
    assert first != written
    for q in qs[:3]:
        learner.answer(q, correct=False)
    lms.unload()
    saved = lms.data()
    assert isinstance(json.loads(saved["suspend_data"])["sh"], int)
    lms.start(preload=saved)  # resume: the same try, the same order
    learner = learner_for(lms)
    assert {q.id: option_order(lms, q.id) for q in qs} == first
    for q in qs[3:]:
        learner.answer(q, correct=False)
    learner.f.locator("#lp-retake").click()
    second = {q.id: option_order(lms, q.id) for q in qs}
    moved = [q.id for q in qs if second[q.id] != first[q.id]]
    assert len(moved) >= 5, moved
    assert not learner.f.locator(f"#q-{qs[0].id}-{qs[0].options[0].id}").is_checked()


@pytest.fixture
def limited_package(site_root: Path, tmp_path: Path) -> str:
    """The real course with `attempts: 2` and `reveal: after-last-attempt`, as SCORM 1.2."""
    folder = tmp_path / "course_src"
    shutil.copytree(COURSE_DIR, folder)
    quiz = folder / "quiz.yaml"
    settings = "reveal: after-last-attempt\nattempts: 2\n"
    quiz.write_text(quiz_with_settings(quiz.read_text(), settings))
    data = build_packages(load_course(folder), ["scorm12"])["scorm12"][0]
    target = site_root / "pkg" / "scorm12-two-attempts"
    shutil.rmtree(target, ignore_errors=True)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(target)
    return target.name


def test_two_attempts_then_the_key(page, server, learner_for, course, limited_package):
    lms = Lms(page, server, "scorm12", pkg=limited_package).start()
    learner = learner_for(lms)
    learner.go("quiz")
    assert "you have 2 attempts" in learner.f.locator("#page-quiz .hint").first.inner_text()
    qs = course.quiz.questions
    for q in qs:
        learner.answer(q, correct=False)
    result = learner.f.locator("#lp-quiz-result")
    assert "You have one more attempt." in result.inner_text()
    assert "Correct answer." not in question_text(lms, qs[0].id)
    learner.f.locator("#lp-retake").click()
    assert "This is attempt 2 of 2." in result.inner_text()
    for q in qs:
        learner.answer(q, correct=False)
    assert "You have used all 2 attempts at this quiz." in result.inner_text()
    assert learner.f.locator("#lp-retake").is_hidden()
    assert "Correct answer." in question_text(lms, qs[0].id)  # after the last attempt
    assert "now shown with each question" in result.inner_text()
    lms.unload()
    lms.start(preload=lms.data())  # and so it stays after a resume
    learner = learner_for(lms)
    assert "Correct answer." in question_text(lms, qs[0].id)
    assert learner.f.locator("#lp-retake").is_hidden()
