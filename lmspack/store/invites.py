"""Registration invites (migration 0007): dynamic registration is closed unless an
administrator made an invite.

    token, invite = create(session, name="Acme Council", hours=24)   # `lmspack platform invite`
    state = look_up(session, token)         # "valid" | "used" | "expired" | "unknown", no change
    invite = consume(session, token)        # the one request that may register with it, or None
    finish(session, invite.id, outcome="registered #3 ...", platform_id=3)

Only the SHA-256 of a token is stored (a token is 256 random bits, so a fast hash is enough:
nobody can search that space), so the database, a backup or a log of it does not give a
usable invite away; every worker and host sees the same rows. `consume` is one
`UPDATE ... WHERE used_at IS NULL AND expires_at > now RETURNING` (SQLite 3.35+ and
PostgreSQL): of two requests with the same invite at the same moment exactly one gets it.
An invite is spent when a registration starts, whatever happens next (a refused or broken
registration needs a new invite), so one leaked invite buys one attempt, not a scanner.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from .models import Base, utcnow

MAX_HOURS = 24 * 30


class RegistrationInvite(Base):
    __tablename__ = "registration_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    # what the registration made of it: the platform, or why it failed
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("platforms.id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(String(500))


@dataclass(frozen=True)
class Spent:
    """The invite a registration is using."""

    id: int
    name: str | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    session: Session, *, name: str | None, hours: float, now: datetime | None = None
) -> tuple[str, RegistrationInvite]:
    """A new invite; returns the token (shown once, never stored) and the row."""
    if not 0 < hours <= MAX_HOURS:
        raise ValueError(f"an invite lasts more than 0 and at most {MAX_HOURS} hours")
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    invite = RegistrationInvite(
        token_hash=token_hash(token),
        name=(name or "").strip()[:200] or None,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(invite)
    session.flush()
    return token, invite


def find(session: Session, token: str) -> RegistrationInvite | None:
    if not token or len(token) > 200:
        return None
    return session.scalar(
        select(RegistrationInvite).where(RegistrationInvite.token_hash == token_hash(token))
    )


def state_of(invite: RegistrationInvite | None, now: datetime | None = None) -> str:
    if invite is None:
        return "unknown"
    if invite.used_at is not None:
        return "used"
    if invite.expires_at <= (now or utcnow()):
        return "expired"
    return "valid"


def consume(session: Session, token: str) -> Spent | None:
    """Spend the invite: its id and name for exactly one caller while it is valid, else None.
    The caller commits at once (before fetching anything), so the others see it spent."""
    if not token or len(token) > 200:
        return None
    now = utcnow()
    stmt = (
        update(RegistrationInvite)
        .where(
            RegistrationInvite.token_hash == token_hash(token),
            RegistrationInvite.used_at.is_(None),
            RegistrationInvite.expires_at > now,
        )
        .values(used_at=now)
        .returning(RegistrationInvite.id, RegistrationInvite.name)
    )
    row = session.execute(stmt).first()
    return None if row is None else Spent(row.id, row.name)


def finish(
    session: Session, invite_id: int, *, outcome: str, platform_id: int | None = None
) -> None:
    session.execute(
        update(RegistrationInvite)
        .where(RegistrationInvite.id == invite_id)
        .values(outcome=outcome[:500], platform_id=platform_id)
    )


def list_invites(session: Session) -> list[RegistrationInvite]:
    return list(session.scalars(select(RegistrationInvite).order_by(RegistrationInvite.id)))
