"""Short-lived shared values in `cache_entries` (with expiry): pylti1p3's launch data, JWKS,
AGS/NRPS access tokens, line item URLs. In the database, so every worker and host sees them.

    put(session, key, value, ttl)   one INSERT ... ON CONFLICT DO UPDATE (ttl None: no expiry)
    get(session, key)               the value, or None when missing or expired
    take(session, key, ttl)         a short lease: True for one caller until it expires or
                                    is dropped (`drop`), across every worker and host
"""

from __future__ import annotations

import typing as t
from datetime import timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from . import logins
from .db import insert_for_session
from .models import CacheEntry, utcnow


def put(session: Session, key: str, value: t.Any, ttl: int | None) -> None:
    expires = utcnow() + timedelta(seconds=ttl) if ttl else None
    stmt = insert_for_session(session)(CacheEntry).values(key=key, value=value, expires_at=expires)
    stmt = stmt.on_conflict_do_update(
        index_elements=[CacheEntry.key], set_={"value": value, "expires_at": expires}
    )
    session.execute(stmt)


_T = CacheEntry.__table__
_GET = select(_T.c.value, _T.c.expires_at).where(_T.c.key == bindparam("key"))


def get(session: Session, key: str) -> t.Any:
    """One SELECT built once, on the session's connection (every launch reads its key set)."""
    row = session.connection().execute(_GET, {"key": key}).first()
    if row is None:
        return None
    if row.expires_at is not None and row.expires_at <= utcnow():
        return None
    return row.value


def take(session: Session, key: str, ttl: float, value: t.Any = True) -> bool:
    """Take the lease `key` for `ttl` seconds unless someone holds it: one
    INSERT ... ON CONFLICT DO UPDATE ... WHERE expired ... RETURNING, so exactly one of any
    number of concurrent callers gets True. The caller commits at once (others must see it)."""
    now = utcnow()
    expires = now + timedelta(seconds=ttl)
    stmt = insert_for_session(session)(CacheEntry).values(key=key, value=value, expires_at=expires)
    stmt = stmt.on_conflict_do_update(
        index_elements=[CacheEntry.key],
        set_={"value": value, "expires_at": expires},
        where=CacheEntry.expires_at <= now,
    ).returning(CacheEntry.key)
    return session.execute(stmt).first() is not None


def drop(session: Session, key: str) -> None:
    session.execute(delete(CacheEntry).where(CacheEntry.key == key))


def prune_expired(session: Session) -> None:
    """Delete expired cache entries and logins."""
    now = utcnow()
    session.execute(delete(CacheEntry).where(CacheEntry.expires_at <= now))
    logins.prune(session, now)
