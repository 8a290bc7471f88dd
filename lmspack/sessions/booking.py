"""The booking rules of live sessions, for the tool's pages and the CLI alike (no Flask).

    live = schedule(s, platform_id=..., context_id=..., day=..., start=..., end=...,
                    join_url="https://zoom.us/j/...", capacity=12)
    b = book(s, platform_id=..., context_id=..., user_id=..., session_id=live.id)
    b.status                      # "booked", or "waiting" when the session was full
    cancel_booking(s, ...)        # frees the place: the first on the waiting list moves in
    cancel_session(s, ...)        # every booked or waiting learner is told on their next visit

A learner holds at most one active booking (booked or waiting) per context: booking another
session moves them, and a place freed by that move goes to the next learner waiting there.

Concurrency: every change to a session's bookings first locks that session's row
(`SELECT ... FOR UPDATE` on PostgreSQL; on SQLite every writing transaction already holds
the database's write lock from its `BEGIN IMMEDIATE`), then counts places. So the count and
the new row cannot interleave with another booking's, and 30 learners asking at once for the
last 12 places get 12 places and 18 waiting-list positions, in the order the lock was
granted. When two sessions are involved (a move) they are locked in id order (no deadlock).
The partial unique index on active bookings backs the one-per-context rule.
The caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..course import Course
from ..printable import problem
from ..store.live_sessions import ACTIVE, LiveSession, SessionBooking
from ..store.models import utcnow
from .times import DEFAULT_ZONE, LocalTimes, TimeError, local, to_utc

DEFAULT_CAPACITY = 12  # course.yaml's live_session.capacity, when the course has none
MAX_CAPACITY = 1000
MAX_NOTES = 2000


def default_capacity(course: Course) -> int:
    """The places a new session offers unless the teacher says otherwise: course.yaml's
    `live_session.capacity`."""
    return course.live_session.capacity if course.live_session else DEFAULT_CAPACITY


class BookingError(ValueError):
    """A change the rules refuse; the message is for the person who asked."""


@dataclass(frozen=True)
class SessionView:
    """A session with its counts, for pages and the CLI."""

    session: LiveSession
    booked: int
    waiting: int

    @property
    def id(self) -> int:
        return self.session.id

    @property
    def places_left(self) -> int:
        return max(0, self.session.capacity - self.booked)

    @property
    def cancelled(self) -> bool:
        return self.session.cancelled_at is not None

    @property
    def times(self) -> LocalTimes:
        s = self.session
        return local(s.starts_at, s.ends_at, s.timezone)


def check_join_url(url: str) -> str:
    """The joining link (Zoom, Teams ...): http(s) with a host, no spaces; else refused, so
    a page never links to `javascript:` or a local file."""
    url = (url or "").strip()
    if not url:
        raise BookingError("Give the joining link (the Zoom or Teams address).")
    parts = urlsplit(url)
    bad = problem(url) or any(c.isspace() for c in url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or bad:
        raise BookingError("The joining link must be a web address starting https:// (or http://).")
    if len(url) > 1000:
        raise BookingError("The joining link is too long (at most 1000 characters).")
    return url


def _check_text(value: str, what: str, limit: int) -> str:
    value = (value or "").strip()
    bad = problem(value)
    if bad:
        raise BookingError(f"The {what} contain a character that cannot be shown: {bad}.")
    if len(value) > limit:
        raise BookingError(f"The {what} are too long (at most {limit} characters).")
    return value


def schedule(
    s: Session,
    *,
    platform_id: int,
    context_id: int,
    day: date,
    start: time,
    end: time,
    join_url: str,
    capacity: int,
    tz: str = DEFAULT_ZONE,
    join_notes: str = "",
    created_by: str = "",
    now: datetime | None = None,
) -> LiveSession:
    """A new session of this context. Refused: a time in the past, an end before the start,
    a link that is not http(s), a capacity outside 1..MAX_CAPACITY."""
    try:
        starts_at, ends_at = to_utc(day, start, end, tz)
    except TimeError as exc:
        raise BookingError(str(exc)) from exc
    if starts_at <= (now or utcnow()):
        raise BookingError("The session would start in the past: choose a later date or time.")
    if not 1 <= capacity <= MAX_CAPACITY:
        raise BookingError(f"The capacity must be between 1 and {MAX_CAPACITY}.")
    live = LiveSession(
        platform_id=platform_id,
        context_id=context_id,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=tz,
        join_url=check_join_url(join_url),
        join_notes=_check_text(join_notes, "joining notes", MAX_NOTES),
        capacity=capacity,
        created_by=_check_text(created_by, "name", 300),
    )
    s.add(live)
    s.flush()
    return live


def _counts(s: Session, session_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    rows = s.execute(
        select(SessionBooking.session_id, SessionBooking.status, func.count())
        .where(SessionBooking.session_id.in_(session_ids), SessionBooking.status.in_(ACTIVE))
        .group_by(SessionBooking.session_id, SessionBooking.status)
    ).all()
    out = {i: [0, 0] for i in session_ids}
    for sid, status, n in rows:
        out[sid][0 if status == "booked" else 1] = n
    return {k: (v[0], v[1]) for k, v in out.items()}


def sessions_of(
    s: Session,
    platform_id: int,
    context_id: int,
    *,
    upcoming_only: bool = False,
    with_cancelled: bool = True,
    now: datetime | None = None,
) -> list[SessionView]:
    """The context's sessions by start time, with their counts."""
    q = select(LiveSession).where(
        LiveSession.platform_id == platform_id, LiveSession.context_id == context_id
    )
    if upcoming_only:
        q = q.where(LiveSession.starts_at > (now or utcnow()))
    if not with_cancelled:
        q = q.where(LiveSession.cancelled_at.is_(None))
    rows = s.scalars(q.order_by(LiveSession.starts_at, LiveSession.id)).all()
    counts = _counts(s, [r.id for r in rows]) if rows else {}
    return [SessionView(r, *counts[r.id]) for r in rows]


def find_session(s: Session, platform_id: int, context_id: int, session_id: int) -> LiveSession:
    live = s.scalar(
        select(LiveSession).where(
            LiveSession.id == session_id,
            LiveSession.platform_id == platform_id,
            LiveSession.context_id == context_id,
        )
    )
    if live is None:
        raise BookingError("There is no such session in this course.")
    return live


def _lock(s: Session, platform_id: int, context_id: int, ids: set[int]) -> dict[int, LiveSession]:
    """Lock these sessions' rows in id order (see the module's note on concurrency)."""
    out = {}
    for sid in sorted(ids):
        live = s.scalar(
            select(LiveSession)
            .where(
                LiveSession.id == sid,
                LiveSession.platform_id == platform_id,
                LiveSession.context_id == context_id,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if live is None:
            raise BookingError("There is no such session in this course.")
        out[sid] = live
    return out


def attended_booking(s: Session, platform_id: int, context_id: int, user_id: int):
    """The booking of the session the learner attended in this context, or None."""
    return s.scalar(
        select(SessionBooking)
        .where(
            SessionBooking.platform_id == platform_id,
            SessionBooking.context_id == context_id,
            SessionBooking.user_id == user_id,
            SessionBooking.status == "attended",
        )
        .order_by(SessionBooking.id.desc())
        .limit(1)
    )


def learner_place(
    s: Session, platform_id: int, context_id: int, user_id: int
) -> tuple[str, SessionView] | None:
    """The learner's place for the results page and the CPD record: ("booked" | "waiting" |
    "attended", that session), or None when they hold none."""
    mine = active_booking(s, platform_id, context_id, user_id) or attended_booking(
        s, platform_id, context_id, user_id
    )
    if mine is None:
        return None
    return mine.status, SessionView(find_session(s, platform_id, context_id, mine.session_id), 0, 0)


def active_booking(s: Session, platform_id: int, context_id: int, user_id: int):
    """The learner's booked or waiting booking in this context, or None."""
    return s.scalar(
        select(SessionBooking).where(
            SessionBooking.platform_id == platform_id,
            SessionBooking.context_id == context_id,
            SessionBooking.user_id == user_id,
            SessionBooking.status.in_(ACTIVE),
        )
    )


def _booked_count(s: Session, session_id: int) -> int:
    return s.scalar(
        select(func.count()).where(
            SessionBooking.session_id == session_id, SessionBooking.status == "booked"
        )
    )


def _open(live: LiveSession, now: datetime) -> None:
    if live.cancelled_at is not None:
        raise BookingError("That session has been cancelled: choose another.")
    if live.starts_at <= now:
        raise BookingError("That session has already started: choose a later one.")


def promote(s: Session, live: LiveSession, now: datetime | None = None) -> list[SessionBooking]:
    """Fill the session's free places from its waiting list, first come first served. The
    session's row must be locked (book / cancel_booking do it)."""
    now = now or utcnow()
    if live.cancelled_at is not None or live.starts_at <= now:
        return []
    free = live.capacity - _booked_count(s, live.id)
    if free <= 0:
        return []
    moved = s.scalars(
        select(SessionBooking)
        .where(SessionBooking.session_id == live.id, SessionBooking.status == "waiting")
        .order_by(SessionBooking.queue_seq, SessionBooking.id)
        .limit(free)
    ).all()
    for b in moved:
        b.status, b.promoted_at, b.notified_at = "booked", now, None
    s.flush()
    return list(moved)


def book(
    s: Session,
    *,
    platform_id: int,
    context_id: int,
    user_id: int,
    session_id: int,
    now: datetime | None = None,
) -> SessionBooking:
    """Book the learner on the session: a place if there is one, else its waiting list. A
    learner already booked elsewhere in the context is moved (their old place goes to the
    next on that waiting list); moving from a place to a full session is refused (they
    would lose the place for a waiting-list position: cancel first to do that). A learner
    who attended a session of the context has had theirs and is refused; a no-show may
    book again."""
    now = now or utcnow()
    if attended_booking(s, platform_id, context_id, user_id) is not None:
        raise BookingError(
            "You have attended the live session already, so there is no need to book another."
        )
    current = active_booking(s, platform_id, context_id, user_id)
    if current is not None and current.session_id == session_id:
        return current
    ids = {session_id} | ({current.session_id} if current is not None else set())
    locked = _lock(s, platform_id, context_id, ids)
    live = locked[session_id]
    _open(live, now)
    if current is not None:
        s.refresh(current)
    if current is not None and current.status not in ACTIVE:
        current = None  # changed while we waited for the lock (another tab of theirs)
    full = _booked_count(s, session_id) >= live.capacity
    if current is not None:
        if current.status == "booked" and full:
            raise BookingError(
                "That session is full, so you keep your place on the one you booked. To "
                "join its waiting list instead, cancel your booking first."
            )
        old = locked[current.session_id]
        if old.starts_at <= now and current.status == "booked":
            raise BookingError("Your session has already started, so it cannot be moved.")
        _give_up(s, current, old, now)
    return _add(s, live, user_id, "waiting" if full else "booked", now)


def _give_up(s: Session, current: SessionBooking, its_session: LiveSession, now) -> list:
    """Cancel the learner's booking or waiting-list place; a place it held goes to the next
    on that session's waiting list (its row must be locked). Returns whom it moved in."""
    was_booked = current.status == "booked"
    current.status = "cancelled"
    s.flush()
    return promote(s, its_session, now) if was_booked else []


def _add(s: Session, live: LiveSession, user_id: int, status: str, now) -> SessionBooking:
    """A new booking at the end of the session's queue (its row must be locked)."""
    seq = s.scalar(
        select(func.coalesce(func.max(SessionBooking.queue_seq), 0)).where(
            SessionBooking.session_id == live.id
        )
    )
    place = SessionBooking(
        platform_id=live.platform_id, context_id=live.context_id, session_id=live.id,
        user_id=user_id, status=status, queue_seq=seq + 1, notified_at=now,
    )  # fmt: skip
    s.add(place)
    s.flush()
    return place


def walk_in(
    s: Session, live: LiveSession, user_id: int, now: datetime | None = None
) -> SessionBooking:
    """A place on `live` for a learner who came without booking it, for the facilitator to
    mark attended: given even when the session is full (they were there). A booking or
    waiting-list place they held on another session of the context is given up, and that
    session's waiting list moves in. Their booking on this session, if any, is returned."""
    now = now or utcnow()
    current = active_booking(s, live.platform_id, live.context_id, user_id)
    here = s.scalar(
        select(SessionBooking)
        .where(
            SessionBooking.session_id == live.id,
            SessionBooking.user_id == user_id,
            SessionBooking.status.in_((*ACTIVE, "attended", "no_show")),
        )
        .order_by(SessionBooking.id.desc())
        .limit(1)
    )
    if here is not None and here.status != "waiting":
        return here
    ids = {live.id} | ({current.session_id} if current is not None else set())
    locked = _lock(s, live.platform_id, live.context_id, ids)
    if current is not None:
        s.refresh(current)
        if current.status in ACTIVE:  # a place here was returned above: this is elsewhere,
            _give_up(s, current, locked[current.session_id], now)  # or waiting here
    return _add(s, live, user_id, "booked", now)


def cancel_booking(
    s: Session, *, platform_id: int, context_id: int, user_id: int, now: datetime | None = None
) -> list[SessionBooking]:
    """Cancel the learner's booking or waiting-list place; returns whom it moved in."""
    now = now or utcnow()
    current = active_booking(s, platform_id, context_id, user_id)
    if current is None:
        raise BookingError("You have no booking to cancel.")
    live = _lock(s, platform_id, context_id, {current.session_id})[current.session_id]
    s.refresh(current)
    if current.status not in ACTIVE:
        return []
    if current.status == "booked" and live.starts_at <= now:
        raise BookingError("Your session has already started, so it cannot be cancelled here.")
    return _give_up(s, current, live, now)


def cancel_session(
    s: Session,
    *,
    platform_id: int,
    context_id: int,
    session_id: int,
    reason: str = "",
    now: datetime | None = None,
) -> int:
    """Cancel the session: its booked and waiting learners are freed to book another and
    are told on their next visit. Returns how many were affected."""
    now = now or utcnow()
    live = _lock(s, platform_id, context_id, {session_id})[session_id]
    if live.cancelled_at is not None:
        raise BookingError("That session is already cancelled.")
    live.cancelled_at = now
    live.cancelled_reason = _check_text(reason, "reason", MAX_NOTES)
    affected = s.scalars(
        select(SessionBooking).where(
            SessionBooking.session_id == session_id, SessionBooking.status.in_(ACTIVE)
        )
    ).all()
    for b in affected:
        b.status, b.notified_at = "session_cancelled", None
    s.flush()
    return len(affected)


@dataclass(frozen=True)
class Notice:
    """A change the learner did not make themselves, shown once on their next visit."""

    kind: str  # "cancelled" | "promoted"
    session: SessionView


def untold(s: Session, platform_id: int, context_id: int, user_id: int) -> list[Notice]:
    """The learner's changes not yet shown to them (a session cancelled, a waiting-list
    place turned into a booking), without marking them."""
    return [
        Notice(kind, SessionView(live, 0, 0))
        for kind, _b, live in _untold(s, platform_id, context_id, user_id)
    ]


def _untold(s: Session, platform_id: int, context_id: int, user_id: int):
    rows = s.execute(
        select(SessionBooking, LiveSession)
        .join(LiveSession, LiveSession.id == SessionBooking.session_id)
        .where(
            SessionBooking.platform_id == platform_id,
            SessionBooking.context_id == context_id,
            SessionBooking.user_id == user_id,
            SessionBooking.notified_at.is_(None),
            SessionBooking.status.in_(("session_cancelled", "booked")),
        )
        .order_by(SessionBooking.id)
    ).all()
    return [
        ("cancelled" if b.status == "session_cancelled" else "promoted", b, live)
        for b, live in rows
    ]


def take_notices(
    s: Session, platform_id: int, context_id: int, user_id: int, now: datetime | None = None
) -> list[Notice]:
    """`untold`, marked as told (the booking page shows them once)."""
    out = []
    for kind, b, live in _untold(s, platform_id, context_id, user_id):
        out.append(Notice(kind, SessionView(live, 0, 0)))
        b.notified_at = now or utcnow()
    s.flush()
    return out


def bookings_of(s: Session, live: LiveSession) -> list[SessionBooking]:
    """Everyone on the session (booked, waiting, attended, no-show; not the cancelled), booked
    first, then the waiting list in its order."""
    rows = s.scalars(
        select(SessionBooking)
        .where(
            SessionBooking.session_id == live.id,
            SessionBooking.platform_id == live.platform_id,
            SessionBooking.status.in_((*ACTIVE, "attended", "no_show")),
        )
        .order_by(SessionBooking.queue_seq, SessionBooking.id)
    ).all()
    return sorted(rows, key=lambda b: b.status == "waiting")
