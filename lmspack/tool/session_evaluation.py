"""The `session_evaluation` blueprint: the learner's evaluation of the live session and
their peer reflection from it (rules in lmspack.sessions.evaluation).

    GET  /sessions/evaluation?t=<token>   the form once their attendance is recorded;
                                          before that, when it opens; after, what they sent
    POST /sessions/evaluation             q_<question id>=..., reflection=... (CSRF token)

A required question left blank re-shows the form with what the learner typed and says which
(400); an answer of the wrong kind or unprintable text is a 400 naming it.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from ..attempts import scoring
from ..sessions import evaluation
from .admin_scope import NO_STORE, token
from .context import base_url, db, read_db, sites
from .csrf import check_form_token
from .launch_attempt import launch_attempt
from .launch_token import require_launch

bp = Blueprint("session_evaluation", __name__)


def _scope(s, *, lock: bool = False):
    launch = g.launch
    if launch.attempt_id is None:
        abort(403, description="An instructor's preview has no evaluation to send.")
    site = sites().get(launch.course_id)
    if site is None:
        abort(404, description="This tool no longer serves this course.")
    course = site.course
    if course.session_evaluation is None or not course.cpd.live_session_minutes:
        abort(404, description="This course asks no evaluation after a live session.")
    attempt = launch_attempt(s, launch, lock=lock)
    if attempt is None:
        abort(404, description="No attempt of this course for your launch.")
    return course, attempt


def _page(course, attempt, status, *, answers=None, reflection="", missing=(), code=200):
    state = attempt.state or {}
    return (
        render_template(
            "session_evaluation.html",
            course=course,
            ev=course.session_evaluation,
            status=status,
            answers=answers if answers is not None else dict(state.get("sessionEvaluation") or {}),
            reflection=reflection or state.get("sessionReflection") or "",
            missing=missing,
            done=request.args.get("done", ""),
            field=evaluation.FIELD,
            token=token(),
            record_url=url_for("certificates.record_page", t=token()),
        ),
        code,
        NO_STORE,
    )


@bp.get("/sessions/evaluation")
@require_launch("learner")
def evaluation_page():
    s = read_db()
    course, attempt = _scope(s)
    return _page(course, attempt, evaluation.status(s, attempt))


@bp.post("/sessions/evaluation")
@require_launch("learner")
def evaluation_send():
    s = db()
    course, attempt = _scope(s, lock=True)
    check_form_token()
    try:
        answers, reflection, missing = evaluation.read_form(course, request.form)
    except scoring.InputError as exc:
        abort(exc.status, description=str(exc))
    if missing:
        status = evaluation.status(s, attempt)
        s.rollback()
        return _page(
            course, attempt, status, answers=answers, reflection=reflection, missing=missing,
            code=400,
        )  # fmt: skip
    try:
        change = evaluation.submit(s, course, attempt, answers, reflection, base_url=base_url())
    except evaluation.EvaluationClosed as exc:
        abort(409, description=str(exc))
    s.commit()
    if change.grade_queued:
        sender = current_app.extensions.get("lmspack.grades")
        if sender is not None:
            sender.kick()
    return redirect(url_for("session_evaluation.evaluation_page", t=token(), done="sent"), 303)
