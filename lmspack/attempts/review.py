"""What a learner may see of the answer key, and when (quiz.yaml `reveal`, `attempts`).

Until `reveal` allows, a result says whether the answer is right and, for a wrong answer to a
one-answer question, the note on the option chosen (why it is not the best response). The
right answer, the other options' notes and the question's `feedback.incorrect` (which usually
explains the right answer) wait. A multiple-response question shows no option notes for a
wrong answer: notes on some of the options chosen would name which of them are right.

`state` is the attempt's saved state as the server keeps it (lmspack.attempts.scoring):
`history` lists the finished tries ({try, score, passed, ...}), `try` is the current one, and
`extraTries` counts the tries a teacher allowed beyond `attempts` (lmspack.attempts.extra_tries):
a learner who ran out is not locked out of the certificate for good.
"""

from __future__ import annotations

from typing import Any

from ..course.model import Question, Quiz


def finished_tries(state: dict[str, Any]) -> list[dict[str, Any]]:
    return list(state.get("history") or [])


def extra_tries(state: dict[str, Any]) -> int:
    return int(state.get("extraTries") or 0)


def allowed_tries(quiz: Quiz, state: dict[str, Any]) -> int | None:
    """The quiz's `attempts` plus any a teacher allowed this learner (None: no limit)."""
    limit = quiz.review.attempts
    return None if limit is None else limit + extra_tries(state)


def revealed(quiz: Quiz, state: dict[str, Any]) -> bool:
    """Whether the right answers and every option's note may be shown now. An extra try
    hides them again until it is finished, as a new last attempt."""
    mode = quiz.review.reveal
    if mode == "always":
        return True
    if mode == "after-pass":
        return any(t.get("passed") for t in finished_tries(state))
    if mode == "after-last-attempt":
        limit = allowed_tries(quiz, state)
        return limit is not None and len(finished_tries(state)) >= limit
    return False


def tries_left(quiz: Quiz, current_try: int, state: dict[str, Any]) -> int | None:
    """Tries still to start after the current one (None: no limit)."""
    limit = allowed_tries(quiz, state)
    return None if limit is None else max(0, limit - current_try)


def retake_refusal(quiz: Quiz, current_try: int, state: dict[str, Any]) -> str | None:
    """Why the next try may not start (None: it may)."""
    limit = allowed_tries(quiz, state)
    if not quiz.retake or (limit == 1 and not extra_tries(state)):
        return "This quiz cannot be retaken."
    if limit is not None and current_try >= limit:
        return f"You have used all {limit} attempts at this quiz."
    return None


def review_view(
    quiz: Quiz, current_try: int, shown: bool, state: dict[str, Any]
) -> dict[str, Any]:
    """The review settings and where the current try stands with them, for the API;
    `canRetake`: another try may start once this one is finished."""
    return {
        "retake": quiz.retake,
        "attempts": allowed_tries(quiz, state),
        "triesLeft": tries_left(quiz, current_try, state),
        "canRetake": retake_refusal(quiz, current_try, state) is None,
        "reveal": quiz.review.reveal,
        "revealed": shown,
    }


def learner_result(
    q: Question, response: list[str], correct: bool, *, shown: bool
) -> dict[str, Any]:
    """What the learner sees once an answer is in; `shown`: the key may be revealed."""
    out: dict[str, Any] = {
        "question": q.id,
        "response": list(response),
        "correct": correct,
        "revealed": shown,
    }
    if shown:
        out["feedback"] = q.feedback_correct if correct else q.feedback_incorrect
        out["options"] = {o.id: o.feedback for o in q.options if o.feedback}
        out["correctResponse"] = list(q.correct_ids)
        return out
    out["feedback"] = q.feedback_correct if correct else ""
    noted = response if correct or not q.multiple else []
    out["options"] = {o.id: o.feedback for o in q.options if o.id in noted and o.feedback}
    return out
