"""OIDC logins in flight (migration 0007): one row per login, keyed by its state.

    save(session, state=..., nonce=..., platform_id=..., ttl=600)    at /lti/login
    login = consume(session, state)                                   at /lti/launch

The launch finds its login by the state the browser brings back (from the state cookie, or,
where no cookie comes back in the platform's frame, once the tool's own page has shown the
login's proof from this browser: `pending` finds the row without taking it, tool/embedded.py)
and takes the row with one `DELETE ... RETURNING` (SQLite 3.35+ and PostgreSQL): the state
and its nonce are used up together, by exactly one request, even across workers and hosts.
The caller then checks that the id_token's nonce is this login's nonce and that the token
comes from this login's platform. The delete is part of the launch's transaction, so a launch
refused by a later check rolls it back and leaves the login to its rightful owner.
On PostgreSQL the table is UNLOGGED (migration 0012): emptied by a crash, its writes skip the
WAL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, bindparam, delete, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .models import Base, utcnow


class Login(Base):
    """A login's state and nonce, and the platform it was started for."""

    __tablename__ = "logins"

    state: Mapped[str] = mapped_column(String(255), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(255))
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(index=True)


@dataclass(frozen=True)
class LoginRecord:
    nonce: str
    platform_id: int


_TABLE = Login.__table__
_SAVE = insert(_TABLE).values(
    state=bindparam("state"),
    nonce=bindparam("nonce"),
    platform_id=bindparam("platform_id"),
    expires_at=bindparam("expires_at", type_=_TABLE.c.expires_at.type),
)
_CONSUME = (
    delete(_TABLE)
    .where(_TABLE.c.state == bindparam("state"), _TABLE.c.expires_at > bindparam("now"))
    .returning(_TABLE.c.nonce, _TABLE.c.platform_id)
)


def save(session: Session, *, state: str, nonce: str, platform_id: int, ttl: int) -> None:
    """One INSERT, built once (Core, on the session's connection: the login's hot path)."""
    session.connection().execute(
        _SAVE,
        {
            "state": state,
            "nonce": nonce,
            "platform_id": platform_id,
            "expires_at": utcnow() + timedelta(seconds=ttl),
        },
    )


def consume(session: Session, state: str) -> LoginRecord | None:
    """Take the unexpired login of `state`: its record for exactly one caller, else None."""
    row = session.connection().execute(_CONSUME, {"state": state, "now": utcnow()}).first()
    return None if row is None else LoginRecord(row.nonce, row.platform_id)


def pending(session: Session, state: str) -> LoginRecord | None:
    """The unexpired login of `state`, left in place: the launch asks for its proof first."""
    stmt = select(Login.nonce, Login.platform_id).where(
        Login.state == state, Login.expires_at > utcnow()
    )
    row = session.execute(stmt).first()
    return None if row is None else LoginRecord(row.nonce, row.platform_id)


def prune(session: Session, now: datetime | None = None) -> int:
    result = session.execute(delete(Login).where(Login.expires_at <= (now or utcnow())))
    return result.rowcount or 0
