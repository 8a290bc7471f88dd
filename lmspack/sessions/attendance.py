"""Attendance taken on a session's page: each booked learner attended or was a no-show.

Attendance itself stays what the certificate rules read (`attendance`, one row per learner
and context, lmspack.certificates.issue.record_attendance): marking a learner attended
records it on the session's local date and issues the certificates now due; marking a
no-show keeps the booking as a no-show and removes an attendance this session had recorded
(a facilitator's correction). No Flask; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..certificates import issue
from ..course import Course
from ..store.certificates import Attendance
from ..store.live_sessions import LiveSession, SessionBooking
from .booking import BookingError
from .times import local

MARKS = ("attended", "no_show")
MARKABLE = ("booked", "attended", "no_show")


@dataclass(frozen=True)
class Taken:
    attended: int
    no_shows: int
    certificates_issued: int


def take_attendance(
    s: Session,
    course: Course | None,
    live: LiveSession,
    marks: Mapping[int, str],
    *,
    base_url: str | None,
) -> Taken:
    """Apply `marks` ({booking id: "attended" | "no_show"}) to this session's bookings.
    Bookings of other sessions, waiting-list places and cancelled bookings are refused."""
    if live.cancelled_at is not None:
        raise BookingError("This session was cancelled: there is no attendance to take.")
    if any(m not in MARKS for m in marks.values()):
        raise BookingError("Mark each learner as attended or no-show.")
    rows = {
        b.id: b
        for b in s.scalars(
            select(SessionBooking)
            .where(
                SessionBooking.id.in_(list(marks)),
                SessionBooking.session_id == live.id,
                SessionBooking.platform_id == live.platform_id,
                SessionBooking.context_id == live.context_id,
            )
            .with_for_update()
        )
    }
    if set(rows) != set(marks) or any(b.status not in MARKABLE for b in rows.values()):
        raise BookingError("Only learners booked on this session can be marked.")
    day = local(live.starts_at, live.ends_at, live.timezone).day
    came = [b.user_id for b in rows.values() if marks[b.id] == "attended"]
    undo = [
        b.user_id for b in rows.values() if marks[b.id] == "no_show" and b.status == "attended"
    ]
    for b in rows.values():
        b.status = marks[b.id]
    issued = []
    if came:
        _, issued = issue.record_attendance(
            s, course, platform_id=live.platform_id, context_id=live.context_id,
            user_ids=came, on=day, base_url=base_url,
        )  # fmt: skip
    if undo:  # only the attendance this session recorded, not another session's
        recorded_here = s.scalars(
            select(Attendance.user_id).where(
                Attendance.platform_id == live.platform_id,
                Attendance.context_id == live.context_id,
                Attendance.user_id.in_(undo),
                Attendance.attended_on == day,
            )
        ).all()
        issue.record_attendance(
            s, course, platform_id=live.platform_id, context_id=live.context_id,
            user_ids=recorded_here, on=None, base_url=base_url,
        )  # fmt: skip
    s.flush()
    return Taken(len(came), sum(1 for m in marks.values() if m == "no_show"), len(issued))
