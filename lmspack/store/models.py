"""The tool's tables (SQLAlchemy 2, typed). The schema itself is made by Alembic migrations.

Tenancy: a *platform* is one registration (issuer + client_id), i.e. one organisation's LMS.
Every row that belongs to an organisation carries `platform_id`, and every query that serves a
request filters by platform (and by context where the data belongs to a course).

    platforms 1-n deployments
    platforms 1-n users        (platform, deployment, sub)
    platforms 1-n contexts     (platform, deployment, context id)  1-n resource_links
    users x contexts x resource_links -> attempts 1-n answers
    attempts 1-n grade_outbox  (durable AGS queue; the sender lives in lmspack/grades/)
    tool_keys, cache_entries: the tool's own keys and short-lived shared values; logins
    (logins.py) and registration_invites (invites.py) live beside their code
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType, Any: JSONType}


class Platform(Base):
    """One LMS registration: issuer + client_id (a Moodle site registers once per tool)."""

    __tablename__ = "platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_platforms_issuer_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    auth_token_url: Mapped[str] = mapped_column(String(1000))
    key_set_url: Mapped[str] = mapped_column(String(1000))
    # Optional `aud` for the client assertion at the token endpoint (defaults to the token URL).
    auth_audience: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # How it was added (0007): "hand" (`lmspack platform add`), "invite" (dynamic
    # registration with `invite_name`'s invite), "registration-key", or "unrecorded" (before
    # lmspack recorded it, when dynamic registration was open to anyone).
    added_via: Mapped[str] = mapped_column(String(20), default="hand", server_default="unrecorded")
    invite_name: Mapped[str | None] = mapped_column(String(200))

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", passive_deletes=True
    )


class Deployment(Base):
    __tablename__ = "deployments"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    platform: Mapped[Platform] = relationship(back_populates="deployments")


class ToolKey(Base):
    """The tool's RSA signing keys, all published in /lti/jwks until `retire_after` (so
    platforms holding a cached JWKS still verify what a rotated-out key signed). The newest
    live key whose `signs_from` has come (NULL: from creation) signs (lmspack.store.keys)."""

    __tablename__ = "tool_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(100), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retire_after: Mapped[datetime | None] = mapped_column()
    signs_from: Mapped[datetime | None] = mapped_column()  # 0005


class CacheEntry(Base):
    """pylti1p3's launch-data storage (state params, launch JWT bodies) and small caches
    (platform JWKS), with an expiry, shared by all workers."""

    __tablename__ = "cache_entries"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType)
    expires_at: Mapped[datetime | None] = mapped_column(index=True)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(300))
    given_name: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Context(Base):
    """A course (or other context) in the platform, e.g. a Moodle course."""

    __tablename__ = "contexts"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    label: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ResourceLink(Base):
    """One placement of the tool in a context, with the services the platform offered on the
    last launch (AGS line item URLs and scopes, NRPS memberships URL)."""

    __tablename__ = "resource_links"
    __table_args__ = (UniqueConstraint("context_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(500))
    course_id: Mapped[str] = mapped_column(String(200))
    ags_lineitem_url: Mapped[str | None] = mapped_column(String(1000))
    ags_lineitems_url: Mapped[str | None] = mapped_column(String(1000))
    ags_scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    nrps_memberships_url: Mapped[str | None] = mapped_column(String(1000))
    nrps_service_versions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


ATTEMPT_STATUSES = ("not_attempted", "incomplete", "completed", "passed", "failed")


class Attempt(Base):
    """A learner's work on one resource link. `state` holds what the player saves: current
    page, visited pages, reflections, evaluation answers (JSON)."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "context_id", "resource_link_id"),
        # Covers the completion report's columns (they lie after `state` in the row). 0006.
        Index(
            "ix_attempts_platform_context_report",
            "platform_id",
            "context_id",
            "user_id",
            "resource_link_id",
            "status",
            "score",
            "started_at",
            "updated_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"))
    resource_link_id: Mapped[int] = mapped_column(
        ForeignKey("resource_links.id", ondelete="CASCADE")
    )
    course_id: Mapped[str] = mapped_column(String(200))
    course_version: Mapped[str] = mapped_column(String(100))
    state: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    score: Mapped[float | None] = mapped_column(Float)  # 0..100
    status: Mapped[str] = mapped_column(String(20), default="not_attempted")
    launches: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
    last_launch_at: Mapped[datetime | None] = mapped_column()


class Answer(Base):
    """One submitted answer, scored on the server."""

    __tablename__ = "answers"
    __table_args__ = (Index("ix_answers_attempt_question", "attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(200))
    outcome_id: Mapped[str] = mapped_column(String(200))
    response: Mapped[Any] = mapped_column(JSONType)
    correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Which try at the quiz (a retake starts the next; earlier tries stay as history). 0002.
    quiz_try: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The question's option ids in the order this learner was shown them (shuffled per try),
    # so a report can show what they saw. Null for answers given before 0009.
    shown: Mapped[Any] = mapped_column(JSONType, nullable=True)


OUTBOX_STATUSES = ("pending", "sent", "failed", "superseded")


class GradeOutbox(Base):
    """A score to send by AGS. Written in the same transaction as the attempt; the sender
    picks rows with FOR UPDATE SKIP LOCKED (PostgreSQL) and retries with backoff."""

    __tablename__ = "grade_outbox"
    __table_args__ = (
        Index("ix_grade_outbox_status_next", "status", "next_try_at"),
        Index("ix_grade_outbox_attempt", "attempt_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    lineitem_url: Mapped[str] = mapped_column(String(1000))
    user_sub: Mapped[str] = mapped_column(String(255))
    score_given: Mapped[float] = mapped_column(Float)
    score_maximum: Mapped[float] = mapped_column(Float, default=100.0)
    activity_progress: Mapped[str] = mapped_column(String(30))
    grading_progress: Mapped[str] = mapped_column(String(30), default="FullyGraded")
    timestamp: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(10), default="pending")
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    # A sender's lease on the row while it sends (see lmspack/grades/). 0002.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column()
    # How many times the platform refused this row with 409 (re-sent newer each time). 0008.
    conflicts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class GradeClock(Base):
    """The last whole second stamped on a score for one user and line item (0008): every
    score queued or re-sent takes max(now, last + 1) in one atomic upsert, so timestamps
    for one gradebook cell strictly increase in whole seconds (Moodle's 409 rule) whatever
    the number of processes."""

    __tablename__ = "grade_clocks"

    platform_id: Mapped[int] = mapped_column(
        ForeignKey("platforms.id", ondelete="CASCADE"), primary_key=True
    )
    lineitem_url: Mapped[str] = mapped_column(String(1000), primary_key=True)
    user_sub: Mapped[str] = mapped_column(String(255), primary_key=True)
    last_second: Mapped[int] = mapped_column(BigInteger)


class RosterMember(Base):
    """A member of a context's roster as NRPS last reported it (lmspack/tool/roster.py).
    Replaced as a whole on each fetch; `fetched_at` says how fresh it is. 0002."""

    __tablename__ = "roster_members"
    __table_args__ = (UniqueConstraint("context_id", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(300))
    given_name: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(20), default="Active")
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
