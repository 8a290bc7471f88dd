"""Learners who came to a live session without booking it: someone who booked another
session, never booked, or is on the course roster (NRPS) but never opened the activity. The
facilitator's session page lists them and adds the ticked ones as attended
(`add_walk_ins`), so attendance is taken in one place, per session. No Flask; the caller
commits.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..course import Course
from ..reports.summaries import is_learner
from ..store import records
from ..store.certificates import Attendance, Certificate
from ..store.live_sessions import LiveSession, SessionBooking
from ..store.models import Attempt, RosterMember, User
from ..store.names import learner_name
from .attendance import Taken, take_attendance
from .booking import BookingError, walk_in


def context_learners(session, platform_id: int, context_id: int, course_id: str) -> list[dict]:
    """Everyone who opened the activity in this context (status: the attempt's stored one),
    then the learners on its stored roster (NRPS) who have not: attendance at the live
    session doesn't wait for a launch.
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
                "status": attempt.status,
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
            "status": "not_attempted",
            "attended": on,
            "certificate": None,
        }
    return sorted(out.values(), key=lambda e: e["name"].casefold())


def candidates(s: Session, live: LiveSession, course_id: str) -> list[dict]:
    """The context's learners who hold no place on this session (booked, attended or
    no-show), by name: the ones the facilitator may add as attended."""
    on_it = set(
        s.scalars(
            select(SessionBooking.user_id).where(
                SessionBooking.session_id == live.id,
                SessionBooking.status.in_(("booked", "attended", "no_show")),
            )
        )
    )
    people = context_learners(s, live.platform_id, live.context_id, course_id)
    return [p for p in people if p["member"] is not None or p["id"] not in on_it]


def add_walk_ins(
    s: Session,
    course: Course | None,
    live: LiveSession,
    *,
    user_ids: list[int],
    member_ids: list[int],
    base_url: str | None,
) -> Taken:
    """Give each ticked learner a place on this session and mark them attended (their
    booking elsewhere is given up; a roster member gets their user row now). Ids that are
    not among this session's `candidates` are refused, so a page of one context can't touch
    another's learners."""
    if live.cancelled_at is not None:
        raise BookingError("This session was cancelled: there is no attendance to take.")
    allowed = candidates(s, live, course.id if course else "")
    ok_users = {p["id"] for p in allowed if p["member"] is None}
    ok_members = {p["member"] for p in allowed if p["member"] is not None}
    if not set(user_ids) <= ok_users or not set(member_ids) <= ok_members:
        raise BookingError("Only learners of this course who are not on this session can be added.")
    ids = list(dict.fromkeys(user_ids))
    if member_ids:
        ids += records.users_from_roster(
            s, live.platform_id, live.context_id, member_ids=member_ids
        ).values()
    places = [walk_in(s, live, uid) for uid in dict.fromkeys(ids)]
    return take_attendance(s, course, live, {b.id: "attended" for b in places}, base_url=base_url)
