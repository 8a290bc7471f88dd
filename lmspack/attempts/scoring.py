"""A learner's attempt as the server keeps it: state validation, scoring against the course
model's key, the quiz summary per learning outcome, and what the attempt's result is.

No HTTP here (that is tool/api.py) and no AGS (lmspack.grades): functions on the course
model, the attempt row and its answers, so they are easy to test and reuse.

`attempt.state` (JSON), owned by the server:

    page                 bookmark: a step id (nav ids, "results", "certificate")
    visited              step ids seen, in course order (only ever grows)
    reflections          {reflection id: text}
    evaluation           {evaluation question id: "yes"|"no"|"1".."5"|text}
    evaluationSubmitted  ISO time the evaluation was sent, or absent
    name                 the name for the certificate, when the platform gave none
    try                  the current quiz try (1, 2, ... ; a retake starts the next)
    last                 the last finished try: {try, score, passed, outcomes{id: score}, at}
    history              every finished try, oldest first (same shape as `last`); what the
                         quiz's `reveal` and `attempts` are judged by (lmspack.attempts.review)
    extraTries           tries a teacher allowed beyond `attempts`; grants lists them
                         ({tries, by, at}) (lmspack.attempts.extra_tries)
    finishedAt           ISO time the learner finished (course complete), or absent
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..course import Course
from ..course.model import Evaluation, Question
from ..printable import problem
from ..store.models import Answer, Attempt, utcnow
from . import review

MAX_TEXT = 10_000  # characters in one reflection or evaluation comment
MAX_NAME = 100
EXTRA_STEPS = ("results", "certificate")
STATE_KEYS = ("page", "visited", "reflections", "evaluation", "name")


class InputError(ValueError):
    """Bad input from the player: becomes a 4xx JSON error."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def js_round(x: float) -> int:
    """Math.round as the player does it (halves go up), so both agree on a score."""
    return int(math.floor(x + 0.5))


def steps(course: Course) -> list[str]:
    return [n.id for n in course.nav] + list(EXTRA_STEPS)


# --------------------------------------------------------------------------- state


def check_text(value: Any, what: str, limit: int = MAX_TEXT) -> str:
    """A learner's text as typed, refused (InputError) when too long or unprintable."""
    if not isinstance(value, str):
        raise InputError(f"{what} must be text")
    if len(value) > limit:
        raise InputError(f"{what} is longer than {limit} characters", 413)
    why = problem(value)
    if why:
        raise InputError(f"{what} contains {why}; please remove it")
    return value


def validate_state_update(course: Course, body: Any) -> dict[str, Any]:
    """Check a state update from the player; return the clean values (nothing escaped:
    texts are stored as typed and escaped wherever they are shown)."""
    if not isinstance(body, dict):
        raise InputError("the body must be a JSON object")
    unknown = sorted(set(body) - set(STATE_KEYS))
    if unknown:
        raise InputError("unknown field(s): " + ", ".join(unknown[:5]))
    valid_steps = steps(course)
    out: dict[str, Any] = {}
    if "page" in body:
        page = body["page"]
        if not isinstance(page, str) or page not in valid_steps:
            raise InputError("page must be one of the course's steps")
        out["page"] = page
    if "visited" in body:
        visited = body["visited"]
        if not isinstance(visited, list) or len(visited) > len(valid_steps):
            raise InputError("visited must be a list of the course's steps")
        for v in visited:
            if not isinstance(v, str) or v not in valid_steps:
                raise InputError("visited must be a list of the course's steps")
        out["visited"] = visited
    if "reflections" in body:
        refl = body["reflections"]
        ids = {r.id for r in course.reflections}
        if not isinstance(refl, dict):
            raise InputError("reflections must be an object {reflection id: text}")
        for rid, text in refl.items():
            if rid not in ids:
                raise InputError(f"no reflection {rid!r} in this course")
            check_text(text, f"reflection {rid}", MAX_TEXT)
        out["reflections"] = dict(refl)
    if "evaluation" in body:
        out["evaluation"] = validate_evaluation(course, body["evaluation"])
    if "name" in body:
        out["name"] = check_text(body["name"], "name", MAX_NAME).strip()
    return out


def validate_evaluation(
    course: Course, answers: Any, evaluation: Evaluation | None = None
) -> dict[str, str]:
    """Each answer of the pre-work's evaluation (or of `evaluation`, e.g. the one after the
    live session) checked against its question's type."""
    if not isinstance(answers, dict):
        raise InputError("evaluation must be an object {question id: answer}")
    by_id = {e.id: e for e in (evaluation or course.evaluation).questions}
    out: dict[str, str] = {}
    for eid, value in answers.items():
        e = by_id.get(eid)
        if e is None:
            raise InputError(f"no evaluation question {eid!r} in this course")
        if e.type == "yes-no":
            if value not in ("yes", "no", ""):
                raise InputError(f"evaluation {eid}: answer yes or no")
        elif e.type == "rating":
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if value not in ("1", "2", "3", "4", "5", ""):
                raise InputError(f"evaluation {eid}: a rating from 1 to 5")
        else:
            check_text(value, f"evaluation {eid}", MAX_TEXT)
        out[eid] = value
    return out


def apply_state_update(course: Course, attempt: Attempt, clean: dict[str, Any]) -> None:
    state = dict(attempt.state or {})
    if "page" in clean:
        state["page"] = clean["page"]
    if "visited" in clean or "page" in clean:
        seen = set(state.get("visited") or []) | set(clean.get("visited") or [])
        if "page" in clean and clean["page"] != "certificate":
            seen.add(clean["page"])
        state["visited"] = [s for s in steps(course) if s in seen]
    if "reflections" in clean:
        state["reflections"] = {**(state.get("reflections") or {}), **clean["reflections"]}
    if "evaluation" in clean:
        state["evaluation"] = {**(state.get("evaluation") or {}), **clean["evaluation"]}
    if "name" in clean:
        state["name"] = clean["name"]
    attempt.state = state  # a new object, so SQLAlchemy sees the change


def public_state(attempt: Attempt) -> dict[str, Any]:
    st = attempt.state or {}
    return {
        "page": st.get("page"),
        "visited": list(st.get("visited") or []),
        "reflections": dict(st.get("reflections") or {}),
        "evaluation": dict(st.get("evaluation") or {}),
        "evaluationSubmitted": st.get("evaluationSubmitted"),
        "name": st.get("name", ""),
    }


def current_try(attempt: Attempt) -> int:
    return int((attempt.state or {}).get("try") or 1)


# --------------------------------------------------------------------------- answers


def question(course: Course, qid: Any) -> Question:
    if not isinstance(qid, str):
        raise InputError("question must be a question id")
    for q in course.quiz.questions:
        if q.id == qid:
            return q
    raise InputError(f"no question {qid!r} in this course", 404)


def validate_response(q: Question, options: Any) -> list[str]:
    if not isinstance(options, list) or not options:
        raise InputError("options must be a non-empty list of option ids")
    ids = [o.id for o in q.options]
    if any(not isinstance(o, str) or o not in ids for o in options):
        raise InputError(f"options must be ids of question {q.id}'s options")
    if len(set(options)) != len(options):
        raise InputError("an option is chosen twice")
    if not q.multiple and len(options) != 1:
        raise InputError(f"question {q.id} takes exactly one option")
    return [o for o in ids if o in options]  # in the question's order


def is_correct(q: Question, response: list[str]) -> bool:
    return sorted(response) == sorted(q.correct_ids)


def result_of(q: Question, response: list[str], correct: bool, shown: bool) -> dict[str, Any]:
    """What the learner sees once the answer is in: the verdict, and what the quiz's review
    settings allow of the feedback and the right answer (lmspack.attempts.review)."""
    return review.learner_result(q, response, correct, shown=shown)


def revealed(course: Course, attempt: Attempt) -> bool:
    return review.revealed(course.quiz, attempt.state or {})


def current_answers(session: Session, attempt: Attempt) -> dict[str, Answer]:
    """The answers of the current try, one per question (the first given counts)."""
    rows = session.scalars(
        select(Answer)
        .where(Answer.attempt_id == attempt.id, Answer.quiz_try == current_try(attempt))
        .order_by(Answer.id)
    )
    out: dict[str, Answer] = {}
    for row in rows:
        out.setdefault(row.question_id, row)
    return out


def answer_results(
    course: Course, answers: dict[str, Answer], shown: bool
) -> dict[str, dict[str, Any]]:
    by_id = {q.id: q for q in course.quiz.questions}
    return {
        qid: result_of(by_id[qid], list(a.response or []), bool(a.correct), shown)
        for qid, a in answers.items()
        if qid in by_id
    }


# --------------------------------------------------------------------------- summaries


@dataclass(frozen=True)
class QuizSummary:
    answered: int
    right: int
    total: int
    outcomes: list[dict[str, Any]]

    @property
    def done(self) -> bool:
        return self.total > 0 and self.answered == self.total

    @property
    def score(self) -> int:
        return js_round(100 * self.right / self.total) if self.total else 0


def summarise_try(course: Course, answers: dict[str, Answer]) -> QuizSummary:
    qs = course.quiz.questions
    answered = [q for q in qs if q.id in answers]
    right = sum(1 for q in answered if answers[q.id].correct)
    outcomes = []
    for o in course.outcomes:
        oq = [q for q in qs if q.outcome == o.id]
        oa = [q for q in oq if q.id in answers]
        ok = sum(1 for q in oa if answers[q.id].correct)
        score = js_round(100 * ok / len(oq)) if oq and oa else None
        if oq and len(oa) == len(oq):
            status = "passed" if (score or 0) >= course.pass_mark else "failed"
        else:
            status = "incomplete" if oa else "not attempted"
        outcomes.append(
            {
                "id": o.id,
                "text": o.text,
                "answered": len(oa),
                "right": ok,
                "total": len(oq),
                "score": score,
                "status": status,
            }
        )
    return QuizSummary(len(answered), right, len(qs), outcomes)


def quiz_view(
    course: Course, attempt: Attempt, summary: QuizSummary, order: dict[str, list[str]]
) -> dict[str, Any]:
    """The quiz as the API reports it: this try (with its options' `order`), the last
    finished try (which counts), and what the review settings allow now."""
    last = (attempt.state or {}).get("last")
    now = current_try(attempt)
    return {
        "try": now,
        "answered": summary.answered,
        "right": summary.right,
        "total": summary.total,
        "done": summary.done,
        "outcomes": summary.outcomes,
        "score": last["score"] if last else None,
        "passed": bool(last and last["passed"]),
        "passMark": course.pass_mark,
        "last": last,
        **review.review_view(course.quiz, now, revealed(course, attempt), attempt.state or {}),
        "order": order,
    }


def preview_quiz(course: Course, order: dict[str, list[str]]) -> dict[str, Any]:
    """An instructor's preview: a first try with nothing answered, everything revealed."""
    empty = summarise_try(course, {})
    return {
        "try": 1,
        "answered": 0,
        "right": 0,
        "total": empty.total,
        "done": False,
        "outcomes": empty.outcomes,
        "score": None,
        "passed": False,
        "passMark": course.pass_mark,
        "last": None,
        **review.review_view(course.quiz, 1, True, {}),
        "order": order,
    }


def record_answer(
    session: Session,
    course: Course,
    attempt: Attempt,
    q: Question,
    response: list[str],
    correct: bool,
    shown_order: list[str],
) -> dict[str, Any]:
    """Store a new answer of the current try (with the order its options were shown in) and
    finish the try with the last one. Returns what the learner sees, with `review` (every
    answer of the try, in full) when this answer is what reveals the key."""
    session.add(
        Answer(
            attempt_id=attempt.id,
            question_id=q.id,
            outcome_id=q.outcome,
            response=response,
            correct=correct,
            quiz_try=current_try(attempt),
            answered_at=utcnow(),
            shown=shown_order,
        )
    )
    session.flush()
    answers = current_answers(session, attempt)
    summary = summarise_try(course, answers)
    was_shown = revealed(course, attempt)
    if summary.done:
        record_finished_try(course, attempt, summary)
    shown = revealed(course, attempt)
    out = result_of(q, response, correct, shown)
    if shown and not was_shown:  # e.g. this answer passed the quiz: show the whole try
        out["review"] = answer_results(course, answers, True)
    return out


def record_finished_try(course: Course, attempt: Attempt, summary: QuizSummary) -> None:
    state = dict(attempt.state or {})
    last = {
        "try": current_try(attempt),
        "score": summary.score,
        "passed": summary.score >= course.pass_mark,
        "outcomes": {o["id"]: o["score"] for o in summary.outcomes},
        "at": utcnow().isoformat(),
    }
    state["last"] = last
    state["history"] = [*(state.get("history") or []), last]
    attempt.state = state


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class Result:
    """What the attempt's result is now: the attempt's status and what AGS is told."""

    status: str  # attempts.status
    score: float | None  # 0..100, the last finished try
    activity: str  # Initialized | Started | InProgress | Submitted | Completed
    grading: str  # FullyGraded once the quiz is finished, else Pending
    completed: bool


def completed(course: Course, attempt: Attempt) -> bool:
    st = attempt.state or {}
    seen = set(st.get("visited") or [])
    for item in course.nav:
        if item.kind == "page" and item.id not in seen:
            return False
        if item.kind == "quiz" and not st.get("last"):
            return False
        if (
            item.kind == "evaluation"
            and course.evaluation.questions
            and not st.get("evaluationSubmitted")
        ):
            return False
    return True


def result(course: Course, attempt: Attempt, summary: QuizSummary) -> Result:
    st = attempt.state or {}
    last = st.get("last")
    done = completed(course, attempt)
    has_quiz = any(n.kind == "quiz" for n in course.nav)
    if done:
        activity = "Completed"
    elif summary.answered and not summary.done:
        activity = "InProgress"
    elif last:
        activity = "Submitted"
    elif summary.answered or st.get("reflections") or st.get("evaluation"):
        activity = "InProgress"
    elif st.get("visited"):
        activity = "Started"
    else:
        activity = "Initialized"
    if last:
        status = "passed" if last["passed"] else "failed"
    elif done and not has_quiz:
        status = "completed"
    elif activity == "Initialized":
        status = "not_attempted"
    else:
        status = "incomplete"
    return Result(
        status=status,
        score=float(last["score"]) if last else None,
        activity=activity,
        grading="FullyGraded" if last else "Pending",
        completed=done,
    )


def apply_result(attempt: Attempt, res: Result) -> None:
    attempt.status = res.status
    attempt.score = res.score
    if res.completed and attempt.completed_at is None:
        attempt.completed_at = utcnow()
