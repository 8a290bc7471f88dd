"""Issued certificates and live-session attendance (migration 0003). Additive to models.py.

    certificates   one row per issued certificate. `code` is the public, random code (unique);
                   `snapshot` is the frozen CertificateSnapshot JSON the PDF, the badge and the
                   verification page are made from. Unique (attempt_id, seq): the automatic
                   issue is seq 1, so issuing twice (two concurrent requests) cannot make two;
                   an admin's re-issue adds seq 2, 3 ... and marks the old one revoked with
                   `replaced_by` pointing at the new one.
    attendance     a learner's attendance at the live session of a context (when the course's
                   certificate rules require it), recorded by an admin.

Tenancy as everywhere: every row carries platform_id and context_id, and every query that
serves a request filters by them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, JSONType, utcnow


class Certificate(Base):
    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("attempt_id", "seq", name="uq_certificates_attempt_seq"),
        Index("ix_certificates_platform_context", "platform_id", "context_id"),
        Index("ix_certificates_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer, default=1)
    course_id: Mapped[str] = mapped_column(String(200))
    course_version: Mapped[str] = mapped_column(String(100))
    learner_name: Mapped[str] = mapped_column(String(300))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    replaced_by: Mapped[int | None] = mapped_column(
        ForeignKey("certificates.id", ondelete="SET NULL")
    )

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class Attendance(Base):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("context_id", "user_id", name="uq_attendance_context_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    attended_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
