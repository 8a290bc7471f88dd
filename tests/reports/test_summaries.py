"""The report shapes that take no database: stats from counts, the course's items, JSON.
(The reports as computed from the database: test_completion.py and test_analysis.py.)"""

from __future__ import annotations

import json

from lmspack.course import load_course
from lmspack.reports.summaries import (
    Comment,
    Item,
    ItemStat,
    evaluation_from_counts,
    item_stats_from_counts,
    items_for_course,
    to_jsonable,
)

from ..conftest import COURSE

QUESTIONS = [
    Item("q1", "First?", "LO1"),
    Item("q2", "Second?", "LO1"),
    Item("q3", "Third?", "LO2"),
    Item("q4", "Nobody answered?", "LO2"),
]


def test_counts_come_out_in_the_items_order() -> None:
    """What `SELECT question_id, COUNT(*), SUM(correct) ... GROUP BY` hands over, in any
    order: the items' order, zeros for items nobody answered, then ids the course lost."""
    counts = [("q3", 2, 1), ("q1", 3, 3), ("gone", 1, 0), ("q2", 2, 1)]
    assert item_stats_from_counts(counts, QUESTIONS) == [
        ItemStat("q1", "First?", 3, 3, "LO1"),
        ItemStat("q2", "Second?", 2, 1, "LO1"),
        ItemStat("q3", "Third?", 2, 1, "LO2"),
        ItemStat("q4", "Nobody answered?", 0, 0, "LO2"),
        ItemStat("gone", "gone", 1, 0),
    ]


def test_items_for_the_workshop_course() -> None:
    course = load_course(COURSE)
    outcomes, questions = items_for_course(course)
    assert [o.id for o in outcomes] == [o.id for o in course.outcomes]
    assert len(questions) == len(course.quiz.questions)
    assert {q.outcome for q in questions} == {o.id for o in outcomes}


def test_evaluation_counts_follow_the_course_questions() -> None:
    course = load_course(COURSE)
    early, late = Comment("comment", "Early", None), Comment("comment", "Late", None)
    s = evaluation_from_counts(
        2, [("useful", 2, 1)], [], [early, late], course.evaluation.questions
    )
    assert [y.id for y in s.yes_no] == [
        q.id for q in course.evaluation.questions if q.type == "yes-no"
    ]
    assert s.share_yes("useful") == 0.5 and s.share_yes("recommend") is None  # none answered
    assert s.comments == (early, late)


def test_to_jsonable() -> None:
    stat = to_jsonable(ItemStat("q2", "Second?", 2, 1, "LO1"))
    assert json.loads(json.dumps(stat)) == {
        "id": "q2",
        "label": "Second?",
        "answered": 2,
        "correct": 1,
        "outcome": "LO1",
        "share_correct": 0.5,
    }
