"""The figures `lmspack check` reports about a course."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .course.model import Course


def summarise(course: Course) -> dict[str, Any]:
    per_outcome = {o.id: len(course.quiz.for_outcome(o.id)) for o in course.outcomes}
    return {
        "id": course.id,
        "title": course.title,
        "version": course.version,
        "pages": len(course.pages),
        "steps": len(course.nav),
        "minutes": course.minutes,
        "words": sum(p.words for p in course.pages),
        "questions": len(course.quiz.questions),
        "questions_per_outcome": per_outcome,
        "question_types": dict(sorted(Counter(q.type for q in course.quiz.questions).items())),
        "outcomes": len(course.outcomes),
        "pass_mark": course.pass_mark,
        "review": {
            "reveal": course.quiz.review.reveal,
            "attempts": course.quiz.review.attempts,
            "shuffled_questions": sum(
                1 for q in course.quiz.questions if q.shuffle and course.quiz.review.shuffle
            ),
        },
        "reflections": len(course.reflections),
        "evaluation_questions": len(course.evaluation.questions),
        "media_files": len(course.media),
        "cpd_minutes": {
            "prework": course.cpd.prework_minutes,
            "live_session": course.cpd.live_session_minutes,
        },
    }
