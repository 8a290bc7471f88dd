"""The `sessions` blueprint: live sessions on the tool's pages. It reads the request,
calls lmspack.sessions (the rules) and renders; nothing here decides who gets a place.

Teachers (an Instructor or Administrator launch, scoped like the reports):
    GET  /admin/<ctx>/sessions                    the sessions, a form to add one
    POST /admin/<ctx>/sessions                    date, start, end, zone, link, notes, capacity
    POST /admin/<ctx>/sessions/<id>/cancel        reason
    GET  /admin/<ctx>/sessions/<id>               the facilitator's page: who is booked, their
                                                  pre-work and per-outcome results, attendance
    POST /admin/<ctx>/sessions/<id>/attendance    b<booking id>=attended|no_show ...
    POST /admin/<ctx>/sessions/<id>/walk-ins      user=<id>... member=<roster id>...: came
                                                  without booking, marked attended
    GET  /admin/<ctx>/attendance                  the old attendance page: to the sessions
Learners (their launch; the page keeps the token out of the address like the CPD record):
    GET  /sessions                                sessions with places left, their booking,
                                                  notices of changes they did not make
    POST /sessions/<id>/book                      book, move, or join the waiting list
    POST /sessions/cancel                         cancel their booking
    GET  /sessions/<id>.ics                       the invitation of the session they booked

Every POST form carries a CSRF token (lmspack.tool.csrf) bound to the launch, the action and
its URL; the launch's platform and context scope every query.
"""

from __future__ import annotations

from datetime import date, datetime, time
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from sqlalchemy import select

from ..course.model import DEFAULT_EQUIPMENT
from ..reports import data
from ..sessions import booking, walk_ins
from ..sessions.attendance import MARKS, take_attendance
from ..sessions.ics import invitation
from ..sessions.times import DEFAULT_ZONE
from ..store.live_sessions import SessionBooking
from ..store.models import User, utcnow
from .admin_scope import (
    ATTEMPT_STATUS_LABELS,
    NO_STORE,
    REPORT_STATUS_LABELS,
    nav,
    scope_live,
    token,
)
from .context import base_url, db, read_db, sites
from .csrf import check_form_token
from .launch_token import require_launch

bp = Blueprint("sessions", __name__)


def _equipment(course) -> str:
    """course.yaml's `live_session.equipment` (its default when not set)."""
    return course.live_session.equipment if course.live_session else DEFAULT_EQUIPMENT


def _refused(exc: booking.BookingError):
    abort(400, description=str(exc))


# --------------------------------------------------------------------------- teachers


def _admin_url(endpoint: str, ctx_id: int, **kw) -> str:
    return url_for(endpoint, context_id=ctx_id, t=token(), **kw)


@bp.get("/admin/<int:context_id>/sessions")
@require_launch("instructor")
def admin_sessions(context_id: int):
    launch, ctx, course = scope_live(context_id)
    return render_template(
        "sessions_admin.html",
        ctx=ctx,
        course=course,
        views=booking.sessions_of(read_db(), launch.platform_id, ctx.id),
        capacity=booking.default_capacity(course),
        zone=DEFAULT_ZONE,
        done=request.args.get("done", ""),
        nav=nav(ctx.id),
        token=token(),
        now=utcnow(),
    ), NO_STORE


def _form_day_time() -> tuple[date, time, time]:
    f = request.form
    try:
        day = date.fromisoformat(f.get("date", ""))
        start = datetime.strptime(f.get("start", ""), "%H:%M").time()
        end = datetime.strptime(f.get("end", ""), "%H:%M").time()
    except ValueError:
        abort(400, description="Give the date (YYYY-MM-DD) and the start and end (HH:MM).")
    return day, start, end


@bp.post("/admin/<int:context_id>/sessions")
@require_launch("instructor")
def admin_sessions_add(context_id: int):
    launch, ctx, course = scope_live(context_id)
    check_form_token()
    day, start, end = _form_day_time()
    try:
        capacity = int(request.form.get("capacity") or booking.default_capacity(course))
    except ValueError:
        abort(400, description="The capacity must be a whole number.")
    s = db()
    user = s.get(User, launch.user_id)
    try:
        booking.schedule(
            s, platform_id=launch.platform_id, context_id=ctx.id, day=day, start=start,
            end=end, tz=request.form.get("zone") or DEFAULT_ZONE,
            join_url=request.form.get("link", ""), join_notes=request.form.get("notes", ""),
            capacity=capacity, created_by=(user.name or user.sub) if user else "",
        )  # fmt: skip
    except booking.BookingError as exc:
        _refused(exc)
    s.commit()
    return redirect(_admin_url("sessions.admin_sessions", ctx.id, done="added"), code=303)


@bp.post("/admin/<int:context_id>/sessions/<int:session_id>/cancel")
@require_launch("instructor")
def admin_session_cancel(context_id: int, session_id: int):
    launch, ctx, _course = scope_live(context_id)
    check_form_token()
    s = db()
    try:
        booking.cancel_session(
            s, platform_id=launch.platform_id, context_id=ctx.id, session_id=session_id,
            reason=request.form.get("reason", ""),
        )  # fmt: skip
    except booking.BookingError as exc:
        _refused(exc)
    s.commit()
    return redirect(_admin_url("sessions.admin_sessions", ctx.id, done="cancelled"), code=303)


def _session_or_404(s, launch, ctx_id: int, session_id: int):
    try:
        return booking.find_session(s, launch.platform_id, ctx_id, session_id)
    except booking.BookingError as exc:
        abort(404, description=str(exc))


@bp.get("/admin/<int:context_id>/sessions/<int:session_id>")
@require_launch("instructor")
def admin_session(context_id: int, session_id: int):
    """The facilitator's page: who is booked, whether each finished the pre-work and how
    they did per outcome (to plan the discussion), and attendance for this session."""
    launch, ctx, course = scope_live(context_id)
    s = read_db()
    live = _session_or_404(s, launch, ctx.id, session_id)
    places = booking.bookings_of(s, live)
    ids = [b.user_id for b in places]
    users = {u.id: u for u in s.scalars(select(User).where(User.id.in_(ids)))}
    report = data.completion(s, launch.platform_id, ctx.id, course)
    progress = {r.user_id: r for r in report.completion_rows()}
    waiting = sum(b.status == "waiting" for b in places)
    people = []
    for b in places:
        u = users[b.user_id]
        row = progress.get(u.sub)
        people.append({"booking": b, "user": u, "row": row,
                       "name": row.name if row else (u.name or u.sub)})  # fmt: skip
    return render_template(
        "sessions_facilitator.html",
        ctx=ctx,
        course=course,
        view=booking.SessionView(live, len(places) - waiting, waiting),
        people=people,
        outcome_ids=report.outcome_ids,
        status_labels=REPORT_STATUS_LABELS,
        walk_ins=[] if live.cancelled_at else walk_ins.candidates(s, live, course.id),
        attempt_labels=ATTEMPT_STATUS_LABELS,
        roster_fetched=report.roster_fetched_at,
        done=request.args.get("done", ""),
        counts=request.args,
        nav=nav(ctx.id),
        token=token(),
    ), NO_STORE


@bp.post("/admin/<int:context_id>/sessions/<int:session_id>/attendance")
@require_launch("instructor")
def admin_session_attendance(context_id: int, session_id: int):
    launch, ctx, course = scope_live(context_id)
    check_form_token()
    marks: dict[int, str] = {}
    for key, value in request.form.items():
        if key.startswith("b") and key[1:].isdigit() and value:
            if value not in MARKS:
                abort(400, description="Mark each learner as attended or no-show.")
            marks[int(key[1:])] = value
    if not marks:
        abort(400, description="Mark at least one learner as attended or no-show.")
    s = db()
    live = _session_or_404(s, launch, ctx.id, session_id)
    try:
        taken = take_attendance(s, course, live, marks, base_url=base_url())
    except booking.BookingError as exc:
        _refused(exc)
    s.commit()
    return redirect(
        _admin_url(
            "sessions.admin_session", ctx.id, session_id=live.id, done="attendance",
            attended=taken.attended, no_shows=taken.no_shows, issued=taken.certificates_issued,
        ),  # fmt: skip
        code=303,
    )


def _ids(name: str) -> list[int]:
    try:
        return [int(v) for v in request.form.getlist(name)][:10000]
    except ValueError:
        abort(400, description="The list of learners was not recognised.")


@bp.post("/admin/<int:context_id>/sessions/<int:session_id>/walk-ins")
@require_launch("instructor")
def admin_session_walk_ins(context_id: int, session_id: int):
    """Learners who came without booking this session: a place on it, marked attended."""
    launch, ctx, course = scope_live(context_id)
    check_form_token()
    user_ids, member_ids = _ids("user"), _ids("member")
    if not user_ids and not member_ids:
        abort(400, description="Tick at least one learner who came.")
    s = db()
    live = _session_or_404(s, launch, ctx.id, session_id)
    try:
        taken = walk_ins.add_walk_ins(
            s, course, live, user_ids=user_ids, member_ids=member_ids, base_url=base_url()
        )
    except booking.BookingError as exc:
        _refused(exc)
    s.commit()
    return redirect(
        _admin_url(
            "sessions.admin_session", ctx.id, session_id=live.id, done="walk-ins",
            attended=taken.attended, issued=taken.certificates_issued,
        ),  # fmt: skip
        code=303,
    )


@bp.get("/admin/<int:context_id>/attendance")
@require_launch("instructor")
def old_attendance_page(context_id: int):
    """Attendance is taken on each session's page now; an old bookmark lands on the list."""
    _launch, ctx, _course = scope_live(context_id)
    return redirect(_admin_url("sessions.admin_sessions", ctx.id), code=303)


# --------------------------------------------------------------------------- learners


def learner_summary(s, launch, course) -> dict | None:
    """For the CPD record page: the learner's live session (None for a course without one):
    {"url": the booking page, "view": their session or None,
    "status": "booked" | "waiting" | "attended"}."""
    if not course.cpd.live_session_minutes:
        return None
    place = booking.learner_place(s, launch.platform_id, launch.context_id, launch.user_id)
    status, view = place if place is not None else (None, None)
    return {
        "url": _learner_url(),
        "view": view,
        "status": status,
        "untold": booking.untold(s, launch.platform_id, launch.context_id, launch.user_id),
    }


def _learner_scope():
    launch = g.launch
    site = sites().get(launch.course_id)
    if site is None:
        abort(404, description="This tool no longer serves this course.")
    if not site.course.cpd.live_session_minutes:
        abort(404, description="This course has no live session.")
    return launch, site.course


def _learner_url(endpoint: str = "sessions.learner_sessions", **kw) -> str:
    return url_for(endpoint, t=token(), **kw)


@bp.get("/sessions")
@require_launch("learner")
def learner_sessions():
    launch, course = _learner_scope()
    w = db()  # taking the notices marks them as told: a short write, then reads only
    notices = booking.take_notices(w, launch.platform_id, launch.context_id, launch.user_id)
    w.commit()
    s = read_db()
    mine = booking.active_booking(s, launch.platform_id, launch.context_id, launch.user_id)
    attended = booking.attended_booking(s, launch.platform_id, launch.context_id, launch.user_id)
    if attended is not None:
        attended = booking.SessionView(
            booking.find_session(s, launch.platform_id, launch.context_id, attended.session_id),
            0, 0,
        )  # fmt: skip
    views = booking.sessions_of(
        s, launch.platform_id, launch.context_id, upcoming_only=True, with_cancelled=False
    )
    current = next((v for v in views if mine and v.id == mine.session_id), None)
    return render_template(
        "sessions_learner.html",
        course=course,
        views=views,
        mine=mine,
        current=current,
        attended=attended,
        notices=notices,
        equipment=_equipment(course),
        done=request.args.get("done", ""),
        token=token(),
        record_url=_learner_url("certificates.record_page"),
        evaluation_url=_learner_url("session_evaluation.evaluation_page"),
    ), NO_STORE


@bp.post("/sessions/<int:session_id>/book")
@require_launch("learner")
def learner_book(session_id: int):
    launch, _course = _learner_scope()
    check_form_token()
    s = db()
    try:
        b = booking.book(
            s, platform_id=launch.platform_id, context_id=launch.context_id,
            user_id=launch.user_id, session_id=session_id,
        )  # fmt: skip
    except booking.BookingError as exc:
        _refused(exc)
    s.commit()
    return redirect(_learner_url(done=b.status), code=303)


@bp.post("/sessions/cancel")
@require_launch("learner")
def learner_cancel():
    launch, _course = _learner_scope()
    check_form_token()
    s = db()
    try:
        booking.cancel_booking(
            s, platform_id=launch.platform_id, context_id=launch.context_id,
            user_id=launch.user_id,
        )  # fmt: skip
    except booking.BookingError as exc:
        _refused(exc)
    s.commit()
    return redirect(_learner_url(done="cancelled"), code=303)


@bp.get("/sessions/<int:session_id>.ics")
@require_launch("learner")
def learner_invitation(session_id: int):
    launch, course = _learner_scope()
    s = read_db()
    live = _session_or_404(s, launch, launch.context_id, session_id)
    mine = s.scalar(
        select(SessionBooking).where(
            SessionBooking.session_id == live.id,
            SessionBooking.user_id == launch.user_id,
            SessionBooking.platform_id == launch.platform_id,
            SessionBooking.status.in_(("booked", "session_cancelled")),
        )
    )
    if mine is None:
        abort(404, description="You have no place on this session.")
    body = invitation(
        live, title=course.title, uid_host=urlsplit(base_url()).hostname or "lmspack",
        equipment=_equipment(course), now=utcnow(),
    )  # fmt: skip
    return Response(
        body,
        mimetype="text/calendar",
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="live-session.ics"', **NO_STORE},
    )
