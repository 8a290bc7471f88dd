"""A teacher allows a learner more quiz tries than quiz.yaml's `attempts`.

With a limit on tries, a learner who used them all without passing could never reach the
certificate in LTI mode; Moodle's quiz has user overrides for the same reason. The grant is
kept in the attempt's server-owned state (the player cannot write `extraTries`: it is not
one of the state keys it may send), with who allowed it and when, so reports can show it.
If the quiz revealed its answers after the last attempt, the learner has seen them: the
caller is told, so that it can say so to the teacher.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..course.model import Quiz
from ..store.models import Attempt, utcnow
from . import review

MAX_EXTRA = 20


class GrantRefused(ValueError):
    """The quiz has no limit to lift, or the number asked for is out of range."""


@dataclass(frozen=True)
class Grant:
    allowed: int  # tries in all, after the grant
    used: int  # finished tries
    key_was_shown: bool  # the answers were revealed before this grant


def grant_tries(quiz: Quiz, attempt: Attempt, tries: int, *, by: str) -> Grant:
    """Allow `tries` more tries on this attempt; the attempt's row must be locked by the caller."""
    state = dict(attempt.state or {})
    if tries < 1 or review.extra_tries(state) + tries > MAX_EXTRA:
        raise GrantRefused(f"Allow between 1 and {MAX_EXTRA} extra tries in all.")
    if quiz.review.attempts is None:
        raise GrantRefused("This quiz has no limit on tries: there is nothing to allow.")
    if not quiz.retake:
        raise GrantRefused("This quiz cannot be retaken (quiz.yaml `retake: false`).")
    state = dict(attempt.state or {})
    if not tries >= 1 or review.extra_tries(state) + tries > MAX_EXTRA:
        raise GrantRefused(f"Allow between 1 and {MAX_EXTRA} extra tries in all.")
    shown = review.revealed(quiz, state)
    state["extraTries"] = review.extra_tries(state) + tries
    state["grants"] = [
        *(state.get("grants") or []),
        {"tries": tries, "by": by, "at": utcnow().isoformat(timespec="seconds")},
    ]
    attempt.state = state  # a new object, so SQLAlchemy sees the change
    return Grant(
        allowed=review.allowed_tries(quiz, state) or 0,
        used=len(review.finished_tries(state)),
        key_was_shown=shown,
    )
