"""The outcome/question analysis and the evaluation summary as the product computes them
(`reports.data.analysis`, `reports.data.evaluation`), on real rows in SQLite and PostgreSQL,
and their CSV."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import UTC, datetime

import pytest

from lmspack.course import load_course
from lmspack.course.model import EvaluationQuestion
from lmspack.reports import data
from lmspack.reports.csv import BOM, csv_text
from lmspack.reports.summaries import analysis_csv, evaluation_csv, hardest
from lmspack.store.models import Answer, User

from ..conftest import COURSE
from .seed import Seed


def t(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture(scope="module")
def course():
    return load_course(COURSE)


def parsed(header, body) -> list[list[str]]:
    return list(csv.reader(io.StringIO(csv_text(header, body).removeprefix(BOM), newline="")))


def learners(s, seed: Seed, subs, states=None) -> dict[str, int]:
    """An attempt for each sub (with its state, if given): {sub: attempt id}."""
    out = {}
    for sub in subs:
        user = User(platform_id=seed.platform_id, deployment_id=seed.deployment_id, sub=sub)
        s.add(user)
        s.flush()
        out[sub] = seed.attempt(user.id, state=(states or {}).get(sub)).id
    return out


@pytest.fixture(scope="module")
def answered(store, course) -> tuple[int, int, list[str]]:
    """(platform id, context pk, the course's first four question ids) where u3, u4 and u5
    answered; u5 also answered a question the course no longer has."""
    q = [x.id for x in course.quiz.questions[:4]]
    answers = [
        ("u3", q[0], "LO1", True),
        ("u3", q[1], "LO1", False),
        ("u3", q[2], "LO2", True),
        ("u4", q[0], "LO1", True),
        ("u4", q[1], "LO1", True),
        ("u4", q[2], "LO2", False),
        ("u5", q[0], "LO1", True),
        ("u5", "gone", "LO9", False),
    ]
    with store.transaction() as s:
        seed = Seed(s, course)
        attempts = learners(s, seed, ["u3", "u4", "u5"])
        for sub, question, outcome, correct in answers:
            s.add(
                Answer(
                    attempt_id=attempts[sub],
                    question_id=question,
                    outcome_id=outcome,
                    response=[],
                    correct=correct,
                )
            )
    return seed.platform_id, seed.context_id, q


def test_question_analysis(store, course, answered) -> None:
    pid, cid, q = answered
    with store.read_sessions() as s:
        _outcomes, stats = data.analysis(s, pid, cid, course)
    counts = [(x.id, x.answered, x.correct) for x in stats]
    assert counts[:4] == [(q[0], 3, 3), (q[1], 2, 1), (q[2], 2, 1), (q[3], 0, 0)]
    assert counts[-1] == ("gone", 1, 0)  # after the course's questions, labelled by its id
    assert len(stats) == len(course.quiz.questions) + 1
    assert stats[0].share_correct == 1.0 and stats[1].share_correct == 0.5
    assert stats[3].share_correct is None  # nobody answered: no share, not 0%
    first = course.quiz.questions[0]
    assert stats[0].outcome == first.outcome and stats[0].label == first.prompt
    assert [x.id for x in hardest(stats)] == ["gone", q[1], q[2], q[0]]


def test_outcome_analysis(store, course, answered) -> None:
    pid, cid, _q = answered
    with store.read_sessions() as s:
        stats, _questions = data.analysis(s, pid, cid, course)
    counts = [(x.id, x.answered, x.correct) for x in stats]
    assert counts[:2] == [("LO1", 5, 4), ("LO2", 2, 1)]
    assert counts[-1] == ("LO9", 1, 0)
    assert stats[0].share_correct == pytest.approx(0.8)


def test_analysis_csv(store, course, answered) -> None:
    pid, cid, q = answered
    with store.read_sessions() as s:
        rows = parsed(*analysis_csv(*data.analysis(s, pid, cid, course)))
    assert rows[0] == ["Kind", "Id", "Outcome", "Text", "Answered", "Correct", "Share correct (%)"]
    lo1 = course.outcomes[0]
    assert rows[1] == ["outcome", "LO1", "LO1", lo1.text, "5", "4", "80.0"]
    fourth = course.quiz.questions[3]
    assert ["question", q[3], fourth.outcome, fourth.prompt, "0", "0", ""] in rows


EVALUATIONS = {  # as the learner API stores them (learner.validate_evaluation)
    "u1": {
        "evaluation": {
            "recommend": "yes",
            "useful": "yes",
            "expertise": "yes",
            "comment": "Really helpful =1+1",
        },
        "evaluationSubmitted": t(10).isoformat(),
    },
    "u2": {
        "evaluation": {"recommend": "no", "useful": "no", "expertise": "yes", "comment": "   "},
        "evaluationSubmitted": t(12).isoformat(),
    },
    "u3": {
        "evaluation": {"recommend": "yes", "useful": "yes", "comment": "More case studies please"},
        "evaluationSubmitted": t(11).isoformat(),
    },
    "u4": {"evaluation": {"recommend": "maybe"}, "evaluationSubmitted": t(13).isoformat()},
    "u5": {"evaluation": {"recommend": "no", "comment": "Not sent yet"}},  # never submitted
}


def test_evaluation_summary_with_the_course_questions(store, course) -> None:
    with store.transaction() as s:
        seed = Seed(s, course)
        learners(s, seed, EVALUATIONS, EVALUATIONS)
    with store.read_sessions() as s:
        e = data.evaluation(s, seed.platform_id, seed.context_id, course)
    assert e.responses == 4
    by_id = {y.id: y for y in e.yes_no}
    assert (by_id["recommend"].answered, by_id["recommend"].yes) == (3, 2)
    assert e.share_yes("recommend") == pytest.approx(2 / 3)
    assert e.share_yes("useful") == pytest.approx(2 / 3)
    assert e.share_yes("expertise") == 1.0
    assert by_id["useful"].prompt == "Was the content useful and informative?"
    assert [c.text for c in e.comments] == ["More case studies please", "Really helpful =1+1"]

    header, body = evaluation_csv(e)
    text = csv_text(header, body)
    assert "'=1+1" not in text  # the comment doesn't *start* with =, so it's left alone
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))
    assert rows[1][:6] == [
        "yes-no",
        "recommend",
        "Would you recommend this course to others?",
        "3",
        "2",
        "66.7",
    ]
    assert rows[-1][0] == "comment" and rows[-1][-1] == "2026-11-10T12:00:00Z"


def test_rating_questions_are_averaged(store, course) -> None:
    rating = EvaluationQuestion("stars", "rating", "How many stars?", False)
    rated = dataclasses.replace(
        course, evaluation=dataclasses.replace(course.evaluation, questions=(rating,))
    )
    sent = t(10).isoformat()
    states = {
        sub: {"evaluation": answers, "evaluationSubmitted": sent}
        for sub, answers in {
            "a": {"stars": "5"},
            "b": {"stars": "4"},
            "c": {"stars": "yes"},  # not a rating
            "d": {},
        }.items()
    }
    with store.transaction() as s:
        seed = Seed(s, course)
        learners(s, seed, states, states)
    with store.read_sessions() as s:
        e = data.evaluation(s, seed.platform_id, seed.context_id, rated)
    assert e.ratings[0].answered == 2 and e.ratings[0].mean == 4.5
