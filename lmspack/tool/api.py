"""The learner JSON API, which the player's `lti` adapter calls (blueprint `api`, /api/v1).

Every call needs the launch token in `Authorization: Bearer <token>` (a token in the URL is
not accepted here). The token names the user, platform, context, resource link and attempt,
and every query filters by all of them: there are no ids in these URLs, so nothing of one
platform or context can be asked for from another. Errors are JSON: {"error", "status"}.
No CSRF token is needed here (unlike the admin's forms, lmspack.tool.csrf): no cookie or
URL token authenticates these calls, only the bearer header, which a browser never sends by
itself and a page on another site cannot set without a CORS preflight this tool never allows.

    GET  /api/v1/attempt         the attempt: state (page, visited, reflections, evaluation),
                                 the current try's answers with their results, the quiz
                                 summary, status, score and the learner's name
    PUT  /api/v1/attempt/state   save state: any of {page, visited, reflections, evaluation,
                                 name}; visited only grows; texts up to 10,000 characters
    POST /api/v1/answers         {"question": id, "options": [option ids]} -> the server
                                 scores it: {correct, revealed, feedback, options{id: feedback},
                                 correctResponse (once revealed), quiz}, and `review` (every
                                 answer of the try, in full) when this answer reveals the key.
                                 The same answer again gets the same result (a retried
                                 request; with `review` once the key is revealed); another
                                 answer to an answered question is 409 until a retake.
    GET  /api/v1/quiz            the quiz summary: this try (answered, right, per outcome, the
                                 options' `order`), the last finished try, which counts (score
                                 0-100, passed), and the review settings (reveal, revealed,
                                 attempts, triesLeft, canRetake)
    POST /api/v1/quiz/retake     start the next try (the current one must be finished; 403
                                 once `attempts` are used up); earlier tries stay as history
    POST /api/v1/evaluation      send the evaluation: {"answers": {...}} (optional, merged);
                                 400 listing the required questions still unanswered
    POST /api/v1/finish          the learner leaves; records when the course is complete
    POST /api/v1/session         a fresh launch token for this launch: {token, expiresAt}
                                 (401 once the session is LMSPACK_SESSION_MAX_AGE old)

When a call that changes the attempt meets the course's certificate rules, the
certificate is issued in the same transaction (lmspack.attempts.progress, once per attempt);
GET /attempt and the responses of those calls carry `certificate`: null or {code, issuedAt,
revoked, urls{verify, pdf, badge}}.

The answer key and the feedback never leave the server before an answer is submitted, and
the right answers and the other options' feedback not before the quiz's `reveal` setting
allows (lmspack.attempts.review): until then a wrong answer gets the note on the option chosen.
Learner text is stored as typed (printable text only: lmspack.printable; a body nested too
deep or holding a lone surrogate or control character is a 400) and escaped wherever shown.

Instructors (a launch with no attempt) get a preview: answers are scored, nothing is stored.

Each call that changes the attempt locks its row first (PostgreSQL: SELECT ... FOR UPDATE;
SQLite: the write lock), updates it and queues the AGS result (lmspack.grades) in the same
transaction, then wakes the background grade sender after the commit. Flask settings (the
tool config's `extra`): GRADES_BACKGROUND (default true: each web process sends grades in a
daemon thread) and GRADES_POLL_SECONDS (default 60: how often it looks for due retries).
"""

from __future__ import annotations

import functools
from typing import Any

from flask import Blueprint, abort, current_app, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..attempts import progress, review, scoring, shuffle
from ..sessions import booking
from ..store.models import Attempt, User, utcnow
from ..store.names import learner_name
from .certificates import attempt_certificate, certificate_view
from .context import base_url, db, sites, tool_config
from .json_input import BodyError, parse_body
from .launch_attempt import launch_attempt
from .launch_token import LaunchClaims, current_launch, refresh_launch_token

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_BODY = 256 * 1024


@bp.after_request
def _no_store(resp):
    resp.headers["Cache-Control"] = "no-store"
    return resp


# --------------------------------------------------------------------------- helpers


def api_launch(view):
    """Verify the bearer token (header only) and put the claims in g.launch."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        auth = request.headers.get("Authorization", "")
        if auth[:7].lower() != "bearer " or not auth[7:].strip():
            abort(401, description="This call needs the launch token (Authorization: Bearer).")
        g.launch = current_launch()
        return view(*args, **kwargs)

    return wrapper


def _course(launch: LaunchClaims):
    site = sites().get(launch.course_id)
    if site is None:
        abort(404, description="This tool no longer serves this course.")
    return site.course


def _json_body() -> Any:
    """The body, parsed with a depth limit and every string checked (lmspack.tool.json_input)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        abort(413, description=f"The request is larger than {MAX_BODY // 1024} KB.")
    if not request.is_json:
        abort(400, description="The body must be JSON (Content-Type: application/json).")
    try:
        return parse_body(request.get_data(cache=False), max_bytes=MAX_BODY)
    except BodyError as exc:
        abort(exc.status, description=str(exc))


def _attempt(session: Session, launch: LaunchClaims, *, lock: bool) -> Attempt:
    """The token's attempt (launch_attempt); locked for writing."""
    if launch.attempt_id is None:
        abort(403, description="This launch has no attempt (an instructor's preview).")
    attempt = launch_attempt(session, launch, lock=lock)
    if attempt is None:
        abort(403, description="This launch does not match an attempt here.")
    return attempt


def _preview(launch: LaunchClaims) -> bool:
    return launch.attempt_id is None and launch.is_instructor


def _order(course, attempt: Attempt) -> dict[str, list[str]]:
    """This try's order of every question's options (stable while the try lasts)."""
    secret = current_app.config["SECRET_KEY"]
    return shuffle.try_orders(secret, attempt.id, scoring.current_try(attempt), course.quiz)


def _commit_with_result(session: Session, course, attempt: Attempt) -> dict:
    """Recompute the attempt's result (grade queued, certificate when due), commit, wake the
    sender."""
    change = progress.record_change(session, course, attempt, base_url=base_url())
    session.commit()
    if change.grade_queued:
        sender = current_app.extensions.get("lmspack.grades")
        if sender is not None:
            sender.kick()
    res = change.result
    return {
        "status": res.status,
        "score": res.score,
        "completed": res.completed,
        "quiz": scoring.quiz_view(course, attempt, change.summary, _order(course, attempt)),
        "certificate": certificate_view(change.certificate),
    }


def _learner_name(session: Session, launch: LaunchClaims) -> str:
    user = session.scalar(
        select(User).where(User.id == launch.user_id, User.platform_id == launch.platform_id)
    )
    return learner_name(user)  # the platform's name only: the player asks for one without it


def _input(fn, *args):
    try:
        return fn(*args)
    except scoring.InputError as exc:
        abort(exc.status, description=str(exc))


# --------------------------------------------------------------------------- endpoints


@bp.post("/session")
@api_launch
def renew_session():
    """A fresh launch token for this launch, while the course page stays open (lti.js asks
    before the current one runs out). 401 once the session is older than its maximum age."""
    launch: LaunchClaims = g.launch
    cfg = tool_config()
    renewed = refresh_launch_token(
        current_app.config["SECRET_KEY"], launch, cfg.token_ttl, cfg.session_max_age
    )
    if renewed is None:
        abort(
            401,
            description="This session has reached its maximum length; open the activity "
            "again from your course page.",
        )
    token, expires_at = renewed
    return {"token": token, "expiresAt": expires_at}


@bp.get("/attempt")
@api_launch
def get_attempt():
    launch: LaunchClaims = g.launch
    course = _course(launch)
    session = db()
    name = _learner_name(session, launch)
    if _preview(launch):
        return jsonify(
            {
                "preview": True,
                "learner": {"name": name},
                "state": {"page": None, "visited": [], "reflections": {}, "evaluation": {}},
                "answers": {},
                "quiz": scoring.preview_quiz(course, shuffle.written_orders(course.quiz)),
            }
        )
    attempt = _attempt(session, launch, lock=False)
    answers = scoring.current_answers(session, attempt)
    summary = scoring.summarise_try(course, answers)
    return jsonify(
        {
            "preview": False,
            "attempt": {
                "id": attempt.id,
                "status": attempt.status,
                "score": attempt.score,
                "startedAt": attempt.started_at.isoformat(),
                "completedAt": attempt.completed_at.isoformat() if attempt.completed_at else None,
            },
            "learner": {"name": name},
            "state": scoring.public_state(attempt),
            "answers": scoring.answer_results(course, answers, scoring.revealed(course, attempt)),
            "quiz": scoring.quiz_view(course, attempt, summary, _order(course, attempt)),
            "completed": scoring.completed(course, attempt),
            "certificate": attempt_certificate(session, attempt),
            "liveSession": _live_session(session, launch, course),
        }
    )


def _live_session(session: Session, launch: LaunchClaims, course) -> dict | None:
    """The learner's place on the live session, for the results page (None: the course has
    none). `when` is the session's local time with its zone."""
    if not course.cpd.live_session_minutes:
        return None
    place = booking.learner_place(session, launch.platform_id, launch.context_id, launch.user_id)
    if place is None:
        return {"status": None, "when": None}
    status, view = place
    return {"status": status, "when": view.times.text}


@bp.put("/attempt/state")
@api_launch
def save_state():
    launch: LaunchClaims = g.launch
    course = _course(launch)
    clean = _input(scoring.validate_state_update, course, _json_body())
    if _preview(launch):
        return jsonify({"preview": True, "saved": False})
    session = db()
    attempt = _attempt(session, launch, lock=True)
    scoring.apply_state_update(course, attempt, clean)
    out = _commit_with_result(session, course, attempt)
    return jsonify(
        {
            "saved": True,
            "status": out["status"],
            "completed": out["completed"],
            "certificate": out["certificate"],
        }
    )


@bp.post("/answers")
@api_launch
def submit_answer():
    launch: LaunchClaims = g.launch
    course = _course(launch)
    body = _json_body()
    if not isinstance(body, dict):
        abort(400, description="The body must be a JSON object {question, options}.")
    q = _input(scoring.question, course, body.get("question"))
    response = _input(scoring.validate_response, q, body.get("options"))
    correct = scoring.is_correct(q, response)
    if _preview(launch):
        return jsonify({**scoring.result_of(q, response, correct, True), "preview": True})
    session = db()
    attempt = _attempt(session, launch, lock=True)
    answers = scoring.current_answers(session, attempt)
    before = answers.get(q.id)
    if before is not None:
        if sorted(before.response or []) != sorted(response):
            abort(409, description="This question is already answered; retake the quiz first.")
        session.rollback()
        summary = scoring.summarise_try(course, answers)
        shown = scoring.revealed(course, attempt)
        again = {
            **scoring.result_of(q, list(before.response), bool(before.correct), shown),
            "quiz": scoring.quiz_view(course, attempt, summary, _order(course, attempt)),
        }
        if shown:  # a retried request for the answer that revealed the key gets the whole try
            again["review"] = scoring.answer_results(course, answers, True)
        return jsonify(again)
    shown_order = _order(course, attempt)[q.id]
    result = scoring.record_answer(session, course, attempt, q, response, correct, shown_order)
    out = _commit_with_result(session, course, attempt)
    return jsonify({**result, "quiz": out["quiz"], "certificate": out["certificate"]}), 201


@bp.get("/quiz")
@api_launch
def get_quiz():
    launch: LaunchClaims = g.launch
    course = _course(launch)
    if _preview(launch):
        abort(403, description="An instructor's preview keeps no quiz result.")
    session = db()
    attempt = _attempt(session, launch, lock=False)
    summary = scoring.summarise_try(course, scoring.current_answers(session, attempt))
    return jsonify(scoring.quiz_view(course, attempt, summary, _order(course, attempt)))


@bp.post("/quiz/retake")
@api_launch
def retake():
    launch: LaunchClaims = g.launch
    course = _course(launch)
    if not course.quiz.retake:
        abort(403, description="This quiz cannot be retaken.")
    if _preview(launch):
        preview = scoring.preview_quiz(course, shuffle.written_orders(course.quiz))
        return jsonify({**preview, "preview": True})
    session = db()
    attempt = _attempt(session, launch, lock=True)
    summary = scoring.summarise_try(course, scoring.current_answers(session, attempt))
    if summary.answered == 0:  # already a fresh try (a repeated request): nothing to do
        session.rollback()
        return jsonify(scoring.quiz_view(course, attempt, summary, _order(course, attempt)))
    refusal = review.retake_refusal(
        course.quiz, scoring.current_try(attempt), attempt.state or {}
    )
    if refusal:
        abort(403, description=refusal)
    if not summary.done:
        abort(409, description="Answer every question of this try before retaking the quiz.")
    attempt.state = {**(attempt.state or {}), "try": scoring.current_try(attempt) + 1}
    out = _commit_with_result(session, course, attempt)
    return jsonify(out["quiz"])


@bp.post("/evaluation")
@api_launch
def submit_evaluation():
    launch: LaunchClaims = g.launch
    course = _course(launch)
    body = _json_body()
    if not isinstance(body, dict) or set(body) - {"answers"}:
        abort(400, description='The body must be {"answers": {question id: answer}}.')
    given = _input(scoring.validate_evaluation, course, body.get("answers", {}))
    if _preview(launch):
        return jsonify({"preview": True})
    session = db()
    attempt = _attempt(session, launch, lock=True)
    scoring.apply_state_update(course, attempt, {"evaluation": given})
    answers = (attempt.state or {}).get("evaluation") or {}
    missing = [
        e.id
        for e in course.evaluation.questions
        if e.required and not str(answers.get(e.id, "")).strip()
    ]
    if missing:
        session.rollback()
        return jsonify(
            {"error": "Some required questions have no answer.", "status": 400, "missing": missing}
        ), 400
    state = dict(attempt.state)
    state.setdefault("evaluationSubmitted", utcnow().isoformat())
    attempt.state = state
    out = _commit_with_result(session, course, attempt)
    return jsonify(
        {
            "submitted": True,
            "status": out["status"],
            "completed": out["completed"],
            "certificate": out["certificate"],
        }
    )


@bp.post("/finish")
@api_launch
def finish():
    launch: LaunchClaims = g.launch
    course = _course(launch)
    if _preview(launch):
        return jsonify({"preview": True})
    session = db()
    attempt = _attempt(session, launch, lock=True)
    done = scoring.completed(course, attempt)
    state = dict(attempt.state or {})
    state["exitedAt"] = utcnow().isoformat()
    if done:
        state.setdefault("finishedAt", state["exitedAt"])
    attempt.state = state
    out = _commit_with_result(session, course, attempt)
    return jsonify(
        {
            "completed": out["completed"],
            "status": out["status"],
            "score": out["score"],
            "certificate": out["certificate"],
        }
    )
