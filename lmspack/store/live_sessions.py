"""Live sessions and their bookings (migration 0011_live_sessions). Additive to models.py.

    live_sessions     one scheduled live session of a context: start and end (UTC, with the
                      zone it was planned in, shown to everyone), the joining link and notes,
                      its capacity; `cancelled_at` once a teacher cancels it.
    session_bookings  a learner's place on a session: status `booked` or `waiting` (in
                      `queue_seq` order) while active; `cancelled` (by the learner, or moved),
                      `session_cancelled` (the teacher cancelled the session: `notified_at`
                      says whether the learner has been told), `attended`, `no_show`.
                      At most one active booking per learner and context (a partial unique
                      index, so two requests of one learner cannot both hold a place).

The rules live in lmspack.sessions.booking; tenancy as everywhere: every row carries
platform_id and context_id, and every query that serves a request filters by them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, utcnow

ACTIVE = ("booked", "waiting")
BOOKING_STATUSES = (*ACTIVE, "cancelled", "session_cancelled", "attended", "no_show")
_ACTIVE_SQL = text("status IN ('booked', 'waiting')")


class LiveSession(Base):
    __tablename__ = "live_sessions"
    __table_args__ = (Index("ix_live_sessions_context_start", "context_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    join_url: Mapped[str] = mapped_column(String(1000))
    join_notes: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(300), default="")
    cancelled_at: Mapped[datetime | None] = mapped_column()
    cancelled_reason: Mapped[str | None] = mapped_column(Text)


class SessionBooking(Base):
    __tablename__ = "session_bookings"
    __table_args__ = (
        Index("ix_session_bookings_session_status", "session_id", "status", "queue_seq"),
        Index(
            "uq_session_bookings_active",
            "context_id",
            "user_id",
            unique=True,
            sqlite_where=_ACTIVE_SQL,
            postgresql_where=_ACTIVE_SQL,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    # order on the session: a waiting learner with the lowest number is moved in first
    queue_seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # when a learner moved from the waiting list to a place (shown once on their next visit)
    promoted_at: Mapped[datetime | None] = mapped_column()
    # when the learner was told of a change they did not make (session cancelled, promoted)
    notified_at: Mapped[datetime | None] = mapped_column()
