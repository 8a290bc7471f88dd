"""The evaluation after the live session (evaluation.yaml's `when: after-session`) and the
learner's peer reflection from it: open to a learner once their attendance is recorded,
answered once, kept in the attempt's state beside the pre-work's evaluation:

    sessionEvaluation           {question id: "yes"|"no"|"1".."5"|text}
    sessionEvaluationSubmitted  ISO time it was sent
    sessionReflection           the peer reflection (text; may be empty)

Sending it goes through attempts.progress.record_change, the one path that issues the
certificate, so `certificate.require: [..., session-evaluation]` is checked with the other
rules there. No Flask; the caller holds the attempt's row lock and commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..attempts import progress, scoring
from ..certificates import issue
from ..course import Course
from ..store.models import Attempt, utcnow

FIELD = "q_"  # form field of a question: q_<question id>
REFLECTION_FIELD = "reflection"


class EvaluationClosed(Exception):
    """Not open to this learner (no attendance yet) or already sent."""


@dataclass(frozen=True)
class Status:
    attended: bool
    sent: bool

    @property
    def open(self) -> bool:
        return self.attended and not self.sent


def status(s: Session, attempt: Attempt) -> Status:
    st = attempt.state or {}
    attended = issue.attendance_on(s, attempt) is not None
    return Status(attended, bool(st.get("sessionEvaluationSubmitted")))


def read_form(course: Course, form: Mapping[str, str]) -> tuple[dict[str, str], str, list[str]]:
    """(answers, reflection, prompts of required questions left unanswered) from the page's
    form; an answer of the wrong kind or unprintable text raises scoring.InputError."""
    ev = course.session_evaluation
    assert ev is not None
    given = {q.id: form.get(FIELD + q.id, "") for q in ev.questions}
    answers = scoring.validate_evaluation(course, given, ev)
    answers = {k: v.strip() for k, v in answers.items()}
    reflection = ""
    if ev.reflection:
        text = form.get(REFLECTION_FIELD, "")
        reflection = scoring.check_text(text, "your reflection").strip()
    missing = [q.prompt for q in ev.questions if q.required and not answers[q.id]]
    return answers, reflection, missing


def submit(
    s: Session,
    course: Course,
    attempt: Attempt,
    answers: dict[str, str],
    reflection: str,
    *,
    base_url: str,
) -> progress.Change:
    """Store the answers and the reflection, then record the change (the certificate is
    issued there when its rules are now met)."""
    now = status(s, attempt)
    if not now.attended:
        raise EvaluationClosed("This evaluation opens once your attendance is recorded.")
    if now.sent:
        raise EvaluationClosed("You have already sent this evaluation. Thank you.")
    state = dict(attempt.state or {})
    state["sessionEvaluation"] = answers
    state["sessionReflection"] = reflection
    state["sessionEvaluationSubmitted"] = utcnow().isoformat()
    attempt.state = state
    return progress.record_change(s, course, attempt, base_url=base_url)
