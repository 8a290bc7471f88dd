"""The `attendance` blueprint: an admin records who attended the live session.

    GET  /admin/<ctx>/attendance   learners who opened the activity or are on the roster
    POST /admin/<ctx>/attendance   user=<id>... member=<roster id>... date=YYYY-MM-DD
                                   action=record|remove

For courses with a live session. When the course's certificate rules include attendance, a
learner who has finished the pre-work gets the certificate as soon as attendance is recorded
(lmspack.certificates.issue.record_attendance), not at their next visit. Scoped and
protected like the reports: the launch's platform and context only, and a CSRF token on the
form (lmspack.tool.csrf).
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import func, select

from ..certificates import issue
from ..reports.summaries import is_learner
from ..store import records
from ..store.certificates import Attendance, Certificate
from ..store.models import Attempt, RosterMember, User
from ..store.names import learner_name
from .admin_scope import ATTEMPT_STATUS_LABELS, NO_STORE, nav, scope_live, token
from .context import base_url, db, read_db
from .csrf import check_form_token
from .launch_token import require_launch

bp = Blueprint("attendance", __name__)


def _learners(session, platform_id: int, context_id: int, course_id: str) -> list[dict]:
    """Everyone who opened the activity in this context, then the learners on its stored
    roster (NRPS) who have not: attendance at the live session doesn't wait for a launch.
    Each with attendance and certificate. A roster-only entry is ticked by its roster row
    (`member`), the others by user (`user`)."""
    rows = session.execute(
        select(Attempt, User)
        .join(User, User.id == Attempt.user_id)
        .where(
            Attempt.platform_id == platform_id,
            Attempt.context_id == context_id,
            Attempt.course_id == course_id,
            User.platform_id == platform_id,
        )
        .order_by(Attempt.id)
    ).all()
    attended: dict[str, tuple[int, date]] = {
        sub: (uid, on)
        for uid, sub, on in session.execute(
            select(Attendance.user_id, User.sub, Attendance.attended_on)
            .join(User, User.id == Attendance.user_id)
            .where(
                Attendance.platform_id == platform_id,
                Attendance.context_id == context_id,
                User.platform_id == platform_id,
            )
        )
    }
    certs: dict[int, Certificate] = {}
    for c in session.scalars(
        select(Certificate)
        .where(Certificate.platform_id == platform_id, Certificate.context_id == context_id)
        .order_by(Certificate.seq)
    ):
        certs[c.attempt_id] = c  # the newest per attempt
    out: dict[str, dict] = {}
    for attempt, user in rows:
        cert = certs.get(attempt.id)
        entry = out.setdefault(
            user.sub,
            {
                "id": user.id,
                "member": None,
                "name": learner_name(user, attempt.state) or user.sub,
                "email": user.email or "",
                "status": ATTEMPT_STATUS_LABELS.get(attempt.status, attempt.status),
                "attended": (attended.get(user.sub) or (None, None))[1],
                "certificate": None,
            },
        )
        if cert is not None and cert.revoked_at is None:
            entry["certificate"] = cert.code
    for m in session.scalars(
        select(RosterMember)
        .where(RosterMember.platform_id == platform_id, RosterMember.context_id == context_id)
        .order_by(RosterMember.id)
    ):
        if m.sub in out or not is_learner(m.roles):
            continue
        uid, on = attended.get(m.sub) or (None, None)
        out[m.sub] = {
            "id": uid,
            "member": None if uid else m.id,
            "name": learner_name(m, None) or m.sub,
            "email": m.email or "",
            "status": ATTEMPT_STATUS_LABELS["not_attempted"],
            "attended": on,
            "certificate": None,
        }
    return sorted(out.values(), key=lambda e: e["name"].casefold())


@bp.get("/admin/<int:context_id>/attendance")
@require_launch("instructor")
def attendance(context_id: int):
    launch, ctx, course = scope_live(context_id)
    return render_template(
        "attendance.html",
        ctx=ctx,
        course=course,
        learners=_learners(read_db(), launch.platform_id, ctx.id, course.id),
        roster_fetched_at=read_db().scalar(
            select(func.max(RosterMember.fetched_at)).where(
                RosterMember.platform_id == launch.platform_id,
                RosterMember.context_id == ctx.id,
            )
        ),
        needs_attendance="attendance" in course.certificate_rules,
        today=date.today().isoformat(),
        done=request.args.get("done", ""),
        recorded=request.args.get("n", ""),
        issued=request.args.get("issued", ""),
        nav=nav(ctx.id),
        token=token(),
    ), NO_STORE


@bp.post("/admin/<int:context_id>/attendance")
@require_launch("instructor")
def attendance_record(context_id: int):
    launch, ctx, course = scope_live(context_id)
    check_form_token()
    action = request.form.get("action", "record")
    if action not in ("record", "remove"):
        abort(400, description="Choose to record or to remove attendance.")
    try:
        user_ids = [int(u) for u in request.form.getlist("user")][:10000]
        member_ids = [int(m) for m in request.form.getlist("member")][:10000]
    except ValueError:
        abort(400, description="The list of learners was not recognised.")
    if not user_ids and not member_ids:
        abort(400, description="Tick at least one learner.")
    on = None
    if action == "record":
        try:
            on = date.fromisoformat(request.form.get("date", ""))
        except ValueError:
            abort(400, description="Give the date of the live session (YYYY-MM-DD).")
    session = db()
    if member_ids and action == "record":  # roster members who never launched
        user_ids += records.users_from_roster(
            session, launch.platform_id, ctx.id, member_ids=member_ids
        ).values()
    recorded, issued = issue.record_attendance(
        session,
        course,
        platform_id=launch.platform_id,
        context_id=ctx.id,
        user_ids=user_ids,
        on=on,
        base_url=base_url(),
    )
    session.commit()
    return redirect(
        url_for(
            "attendance.attendance",
            context_id=ctx.id,
            t=token(),
            done=action,
            n=len(recorded),
            issued=len(issued),
        ),
        code=303,
    )
