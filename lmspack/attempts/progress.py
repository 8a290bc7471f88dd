"""The one place a learner's result changes: after an attempt's state or answers changed, its
result is recomputed, the grade queued for the gradebook and the certificate issued when it is
due, all in the caller's transaction (the attempt row locked), so they commit together or not
at all. No Flask: the tool's API calls it, and the base URL for the certificate's links is
passed in."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from .. import grades
from ..certificates import issue
from ..course import Course
from ..store import faults
from ..store.certificates import Certificate
from ..store.models import Attempt, utcnow
from . import scoring

log = logging.getLogger("lmspack.attempts")


@dataclass(frozen=True)
class Change:
    result: scoring.Result
    summary: Any  # the current try's summary per learning outcome (scoring.summarise_try)
    grade_queued: bool  # a score waits in the outbox: wake the sender after the commit
    certificate: Certificate | None


def record_change(session: Session, course: Course, attempt: Attempt, *, base_url: str) -> Change:
    answers = scoring.current_answers(session, attempt)
    summary = scoring.summarise_try(course, answers)
    res = scoring.result(course, attempt, summary)
    scoring.apply_result(attempt, res)
    attempt.updated_at = utcnow()
    row = grades.queue_result(session, attempt, res)
    certificate = _issue_when_due(session, course, attempt, base_url)
    return Change(res, summary, row is not None, certificate)


def _issue_when_due(
    session: Session, course: Course, attempt: Attempt, base_url: str
) -> Certificate | None:
    """The certificate once the course's rules are met (issued once). A failure here is
    logged and never loses the learner's saved work or their grade."""
    try:
        with session.begin_nested():
            return issue.maybe_issue(session, course, attempt, base_url=base_url)
    except Exception as exc:  # a database fault is one throttled line, anything else a traceback
        faults.log_failure(log, f"issuing the certificate of attempt {attempt.id}", exc)
        return None
