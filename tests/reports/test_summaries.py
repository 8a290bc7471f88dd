"""Report shapes on plain rows and counts: outcome/question analysis, evaluation, JSON.
(The completion report is tested where it is computed: test_completion.py.)"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from lmspack.course import load_course
from lmspack.reports.csv import BOM, csv_text
from lmspack.reports.summaries import (
    AnswerRow,
    Comment,
    EvaluationResponse,
    Item,
    analysis_csv,
    evaluation_csv,
    evaluation_from_counts,
    evaluation_summary,
    hardest,
    item_stats_from_counts,
    items_for_course,
    outcome_analysis,
    question_analysis,
    to_jsonable,
)

from ..conftest import COURSE


def t(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


ANSWERS = [
    AnswerRow("u3", "q1", "LO1", True),
    AnswerRow("u3", "q2", "LO1", False),
    AnswerRow("u3", "q3", "LO2", True),
    AnswerRow("u4", "q1", "LO1", True),
    AnswerRow("u4", "q2", "LO1", True),
    AnswerRow("u4", "q3", "LO2", False),
    AnswerRow("u5", "q1", "LO1", True),
    AnswerRow("u5", "gone", "LO9", False),  # a question the course no longer has
]
QUESTIONS = [
    Item("q1", "First?", "LO1"),
    Item("q2", "Second?", "LO1"),
    Item("q3", "Third?", "LO2"),
    Item("q4", "Nobody answered?", "LO2"),
]
OUTCOME_ITEMS = [Item("LO1", "Recognise"), Item("LO2", "Understand")]


def test_question_analysis() -> None:
    stats = question_analysis(ANSWERS, QUESTIONS)
    assert [(s.id, s.answered, s.correct) for s in stats] == [
        ("q1", 3, 3),
        ("q2", 2, 1),
        ("q3", 2, 1),
        ("q4", 0, 0),
        ("gone", 1, 0),
    ]
    assert stats[0].share_correct == 1.0 and stats[1].share_correct == 0.5
    assert stats[3].share_correct is None  # nobody answered: no share, not 0%
    assert stats[0].outcome == "LO1" and stats[0].label == "First?"
    assert [s.id for s in hardest(stats)] == ["gone", "q2", "q3", "q1"]


def test_outcome_analysis() -> None:
    stats = outcome_analysis(ANSWERS, OUTCOME_ITEMS)
    assert [(s.id, s.answered, s.correct) for s in stats] == [
        ("LO1", 5, 4),
        ("LO2", 2, 1),
        ("LO9", 1, 0),
    ]
    assert stats[0].share_correct == pytest.approx(0.8)


def test_sql_counts_give_the_same_shape() -> None:
    """What `SELECT question_id, COUNT(*), SUM(correct) ... GROUP BY` would hand over."""
    counts = [("q3", 2, 1), ("q1", 3, 3), ("gone", 1, 0), ("q2", 2, 1)]
    assert item_stats_from_counts(counts, QUESTIONS) == question_analysis(ANSWERS, QUESTIONS)


def test_analysis_csv() -> None:
    header, body = analysis_csv(
        outcome_analysis(ANSWERS, OUTCOME_ITEMS), question_analysis(ANSWERS, QUESTIONS)
    )
    parsed = list(csv.reader(io.StringIO(csv_text(header, body).removeprefix(BOM), newline="")))
    assert parsed[0] == [
        "Kind",
        "Id",
        "Outcome",
        "Text",
        "Answered",
        "Correct",
        "Share correct (%)",
    ]
    assert parsed[1] == ["outcome", "LO1", "LO1", "Recognise", "5", "4", "80.0"]
    assert ["question", "q4", "LO2", "Nobody answered?", "0", "0", ""] in parsed


def test_items_for_the_workshop_course() -> None:
    course = load_course(COURSE)
    outcomes, questions = items_for_course(course)
    assert [o.id for o in outcomes] == [o.id for o in course.outcomes]
    assert len(questions) == len(course.quiz.questions)
    assert {q.outcome for q in questions} == {o.id for o in outcomes}


def test_evaluation_summary_with_the_course_questions() -> None:
    course = load_course(COURSE)
    responses = [
        EvaluationResponse(
            "u1",
            {
                "recommend": True,
                "useful": "yes",
                "expertise": "Yes",
                "comment": "Really helpful =1+1",
            },
            t(10),
        ),
        EvaluationResponse(
            "u2", {"recommend": False, "useful": "no", "expertise": 1, "comment": "   "}, t(12)
        ),
        EvaluationResponse(
            "u3", {"recommend": "yes", "useful": True, "comment": "More case studies please"}, t(11)
        ),
        EvaluationResponse("u4", {"recommend": "maybe"}),
    ]
    s = evaluation_summary(responses, course.evaluation.questions)
    assert s.responses == 4
    by_id = {y.id: y for y in s.yes_no}
    assert (by_id["recommend"].answered, by_id["recommend"].yes) == (3, 2)
    assert s.share_yes("recommend") == pytest.approx(2 / 3)
    assert s.share_yes("useful") == pytest.approx(2 / 3)
    assert s.share_yes("expertise") == 1.0
    assert by_id["useful"].prompt == "Was the content useful and informative?"
    assert [c.text for c in s.comments] == ["More case studies please", "Really helpful =1+1"]
    again = evaluation_from_counts(
        4,
        [("recommend", 3, 2), ("useful", 3, 2), ("expertise", 2, 2)],
        [],
        [
            Comment("comment", "Really helpful =1+1", t(10)),
            Comment("comment", "More case studies please", t(11)),
        ],
        course.evaluation.questions,
    )
    assert again == s

    header, body = evaluation_csv(s)
    text = csv_text(header, body)
    assert "'=1+1" not in text  # the comment doesn't *start* with =, so it's left alone
    parsed = list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))
    assert parsed[1][:6] == [
        "yes-no",
        "recommend",
        "Would you recommend this course to others?",
        "3",
        "2",
        "66.7",
    ]
    assert parsed[-1][0] == "comment" and parsed[-1][-1] == "2026-11-10T12:00:00Z"


def test_rating_questions_are_averaged() -> None:
    from lmspack.reports.summaries import EvaluationQuestionInfo

    qs = [EvaluationQuestionInfo("stars", "rating", "How many stars?")]
    s = evaluation_summary(
        [
            EvaluationResponse("a", {"stars": 5}),
            EvaluationResponse("b", {"stars": 4}),
            EvaluationResponse("c", {"stars": True}),
            EvaluationResponse("d", {}),
        ],
        qs,
    )
    assert s.ratings[0].answered == 2 and s.ratings[0].mean == 4.5


def test_to_jsonable() -> None:
    stat = to_jsonable(question_analysis(ANSWERS, QUESTIONS)[1])
    assert stat == {
        "id": "q2",
        "label": "Second?",
        "answered": 2,
        "correct": 1,
        "outcome": "LO1",
        "share_correct": 0.5,
    }
