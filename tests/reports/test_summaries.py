"""Report computations on plain rows: completion, outcome/question analysis, evaluation."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest

from lmspack.course import load_course
from lmspack.reports.csv import BOM, csv_text
from lmspack.reports.summaries import (
    STATUSES,
    AnswerRow,
    Comment,
    EvaluationResponse,
    Item,
    LearnerProgress,
    analysis_csv,
    completion_csv,
    completion_table,
    evaluation_csv,
    evaluation_from_counts,
    evaluation_summary,
    filter_rows,
    hardest,
    item_stats_from_counts,
    items_for_course,
    outcome_analysis,
    question_analysis,
    sort_rows,
    status_counts,
    status_of,
    to_jsonable,
)

from ..conftest import COURSE

OUTCOMES = ["LO1", "LO2"]


def t(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


LEARNERS = [
    LearnerProgress("u1", "Zara Ahmed", "zara@example.org", ("Team A",)),
    LearnerProgress(
        "u2",
        "bob Brown",
        "bob@example.org",
        ("Team B",),
        launched=True,
        pages_visited=3,
        seconds_spent=1500,
        last_activity=t(10),
    ),
    LearnerProgress(
        "u3",
        "Cara Dunn",
        "cara@example.org",
        ("Team A",),
        launched=True,
        quiz_submitted=True,
        score=60,
        outcome_scores={"LO1": 0.5, "LO2": 0.75},
        seconds_spent=3000,
        last_activity=t(12),
    ),
    LearnerProgress(
        "u4",
        "Dev Patel",
        "dev@example.org",
        ("Team A", "Leads"),
        launched=True,
        quiz_submitted=True,
        score=90,
        passed=True,
        outcome_scores={"LO1": 1.0, "LO2": 0.8},
        seconds_spent=3600,
        last_activity=t(14),
    ),
    LearnerProgress(
        "u5",
        "Eve Stone",
        "eve@example.org",
        ("Team B",),
        launched=True,
        quiz_submitted=True,
        score=100,
        passed=True,
        certificate_code="K7QF-2M9X",
        outcome_scores={"LO1": 1.0, "LO2": 1.0},
        seconds_spent=3540,
        last_activity=t(20),
    ),
    LearnerProgress(
        "u6",
        "Finn Grey",
        "finn@example.org",
        (),
        on_roster=False,
        launched=True,
        quiz_submitted=True,
        score=85,
        passed=True,
        certificate_code="REVOKED-1",
        certificate_revoked=True,
        last_activity=t(21),
    ),
]


@pytest.fixture
def rows():
    return completion_table(LEARNERS, OUTCOMES, certificate_url=lambda c: f"/verify/{c}")


def test_status_of_each_case() -> None:
    assert [status_of(p) for p in LEARNERS] == [
        "not started",
        "in progress",
        "failed",
        "passed",
        "certified",
        "passed",
    ]
    assert set(STATUSES) == {"not started", "in progress", "failed", "passed", "certified"}


def test_completion_table_rows(rows) -> None:
    assert [r.name for r in rows] == [
        "bob Brown",
        "Cara Dunn",
        "Dev Patel",
        "Eve Stone",
        "Finn Grey",
        "Zara Ahmed",
    ]  # by name, case-insensitive
    eve = next(r for r in rows if r.user_id == "u5")
    assert eve.status == "certified" and eve.certificate_url == "/verify/K7QF-2M9X"
    assert eve.outcomes == (("LO1", 1.0), ("LO2", 1.0)) and eve.minutes_spent == 59
    finn = next(r for r in rows if r.user_id == "u6")
    assert finn.status == "passed" and finn.certificate_code == "" and not finn.on_roster
    zara = next(r for r in rows if r.user_id == "u1")
    assert zara.outcomes == (("LO1", None), ("LO2", None)) and zara.score is None
    assert status_counts(rows) == {
        "not started": 1,
        "in progress": 1,
        "failed": 1,
        "passed": 2,
        "certified": 1,
    }


def test_filter_by_status_group_dates_and_text(rows) -> None:
    assert {r.user_id for r in filter_rows(rows, status="passed")} == {"u4", "u6"}
    assert {r.user_id for r in filter_rows(rows, status=["failed", "certified"])} == {"u3", "u5"}
    assert {r.user_id for r in filter_rows(rows, group="Team A")} == {"u1", "u3", "u4"}
    window = filter_rows(rows, active_since=date(2026, 11, 12), active_before=date(2026, 11, 20))
    assert {r.user_id for r in window} == {"u3", "u4"}  # the 20th itself is excluded
    assert {r.user_id for r in filter_rows(rows, search="DEV")} == {"u4"}
    assert {r.user_id for r in filter_rows(rows, search="eve@")} == {"u5"}
    with pytest.raises(ValueError):
        filter_rows(rows, status="finished")


def test_sorting_puts_missing_values_last(rows) -> None:
    by_score = sort_rows(rows, "score", descending=True)
    assert [r.score for r in by_score] == [100, 90, 85, 60, None, None]
    assert [r.score for r in sort_rows(rows, "score")] == [60, 85, 90, 100, None, None]
    by_status = sort_rows(rows, "status", descending=True)
    assert [r.status for r in by_status][:2] == ["certified", "passed"]
    recent = sort_rows(rows, "last_activity", descending=True)
    assert [r.user_id for r in recent] == ["u6", "u5", "u4", "u3", "u2", "u1"]
    with pytest.raises(ValueError):
        sort_rows(rows, "password")


def test_completion_csv(rows) -> None:
    header, body = completion_csv(rows, OUTCOMES)
    parsed = list(csv.reader(io.StringIO(csv_text(header, body).removeprefix(BOM), newline="")))
    assert parsed[0][:6] == ["Name", "Email", "Groups", "Status", "Score (%)", "LO1 correct (%)"]
    cara = next(p for p in parsed if p[0] == "Cara Dunn")
    assert cara[3:7] == ["failed", "60", "50.0", "75.0"]
    assert cara[7:9] == ["50", "2026-11-12T12:00:00Z"]
    dev = next(p for p in parsed if p[0] == "Dev Patel")
    assert dev[2] == "Team A; Leads" and dev[-1] == "TRUE"


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


def test_to_jsonable(rows) -> None:
    data = json.loads(json.dumps(to_jsonable(rows)))
    eve = next(r for r in data if r["user_id"] == "u5")
    assert eve["last_activity"] == "2026-11-20T12:00:00Z"
    assert eve["outcomes"] == [["LO1", 1.0], ["LO2", 1.0]]
    stat = to_jsonable(question_analysis(ANSWERS, QUESTIONS)[1])
    assert stat == {
        "id": "q2",
        "label": "Second?",
        "answered": 2,
        "correct": 1,
        "outcome": "LO1",
        "share_correct": 0.5,
    }


def test_merge_roster_with_launches() -> None:
    from lmspack.reports.summaries import RosterMember, merge_roster

    roster = [
        RosterMember("u1", "Zara Ahmed", "zara@example.org", ("Team A",)),
        RosterMember("u2", "Bob Brown (new name)", "", ("Team C",)),
        RosterMember("u9", "Nina Never-launched"),
    ]
    merged = {p.user_id: p for p in merge_roster(roster, LEARNERS[:3])}
    assert set(merged) == {"u1", "u2", "u3", "u9"}
    assert merged["u9"].on_roster and status_of(merged["u9"]) == "not started"
    assert merged["u2"].name == "Bob Brown (new name)" and merged["u2"].groups == ("Team C",)
    assert merged["u2"].email == "bob@example.org" and merged["u2"].pages_visited == 3
    assert not merged["u3"].on_roster  # launched, but the roster no longer lists them
