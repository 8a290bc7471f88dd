"""evaluation.yaml with more than one evaluation (`when: after-prework | after-session`):
the workshop's course uses it, today's single form still loads as the pre-work's, and each
mistake is reported at its place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lmspack.course import CourseError, load_course
from tests.conftest import COURSE
from tests.test_load_errors import edit
from tests.test_schema import AS_LIST, SCAFFOLD_EVALUATION

SESSION = """  - when: after-session
    minutes: 4
    questions:
      - {id: recommend, type: yes-no, prompt: Would you recommend it?}
    reflection: What did you take from the group?
"""


def test_the_workshop_asks_its_own_evaluation_after_the_session() -> None:
    course = load_course(COURSE)
    assert [q.id for q in course.evaluation.questions] == [
        "recommend", "useful", "expertise", "comment"
    ]  # fmt: skip
    after = course.session_evaluation
    assert after is not None
    types = {q.id: q.type for q in after.questions}
    assert {k: types[k] for k in ("recommend", "useful", "expertise", "apply")} == dict.fromkeys(
        ("recommend", "useful", "expertise", "apply"), "yes-no"
    )
    assert types["confidence_before"] == types["confidence_after"] == "rating"
    assert "psychologists" in next(q.prompt for q in after.questions if q.id == "expertise")
    assert {"prework_minutes", "comment"} <= set(types)
    assert after.reflection.startswith("Your peer reflection")


def test_the_single_form_is_the_prework_evaluation(course_copy: Path) -> None:
    course = load_course(course_copy)
    assert course.session_evaluation is None
    assert [q.id for q in course.evaluation.questions] == ["recommend", "useful", "comment"]


def test_the_list_form_reads_both(course_copy: Path) -> None:
    edit(course_copy / "evaluation.yaml", SCAFFOLD_EVALUATION, AS_LIST + SESSION)
    edit(course_copy / "course.yaml", "cpd: {}", "cpd: {}\nlive_session: {minutes: 90}")
    edit(
        course_copy / "course.yaml",
        "cpd: {}",
        "certificate: {require: [pages, quiz, attendance, session-evaluation]}\ncpd: {}",
    )
    course = load_course(course_copy)
    assert [q.id for q in course.evaluation.questions] == ["recommend", "useful", "comment"]
    assert course.session_evaluation is not None
    assert course.session_evaluation.reflection == "What did you take from the group?"
    assert course.certificate_rules[-1] == "session-evaluation"


def problems(course_copy: Path) -> list[str]:
    with pytest.raises(CourseError) as info:
        load_course(course_copy)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("text", "course_yaml", "message"),
    [
        (AS_LIST + SESSION + SESSION, "", r"evaluations\[2\]\.when: a second after-session"),
        (SESSION, "", r"evaluation.yaml:\d+: evaluations: no `when: after-prework`"),
        (
            AS_LIST + "    reflection: Why?\n",
            "",
            r"evaluations\[0\]\.reflection: only the after-session",
        ),
        (
            AS_LIST,
            "certificate: {require: [pages, session-evaluation]}\n",
            r"course.yaml:\d+: certificate: require: session-evaluation needs a `when: after-s",
        ),
        (
            AS_LIST + SESSION,
            "certificate: {require: [session-evaluation]}\n",
            r"certificate: require: session-evaluation needs a live_session",
        ),
    ],
    ids=["twice", "no-prework", "prework-reflection", "rule-without-it", "rule-without-live"],
)
def test_mistakes_in_the_list_form(
    course_copy: Path, text: str, course_yaml: str, message: str
) -> None:
    body = text if text.startswith("evaluations:") else "evaluations:\n" + text
    edit(course_copy / "evaluation.yaml", SCAFFOLD_EVALUATION, body)
    if course_yaml:
        edit(course_copy / "course.yaml", "cpd: {}", course_yaml + "cpd: {}")
    found = problems(course_copy)
    assert any(re.search(message, p) for p in found), found
