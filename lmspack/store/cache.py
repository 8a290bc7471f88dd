"""Short-lived shared values in `cache_entries` (with expiry): pylti1p3's launch data, JWKS,
AGS/NRPS access tokens, line item URLs. In the database, so every worker and host sees them.

    put(session, key, value, ttl)   one INSERT ... ON CONFLICT DO UPDATE (ttl None: no expiry)
    get(session, key)               the value, or None when missing or expired
"""

from __future__ import annotations

import typing as t
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from .db import insert_for_session
from .models import CacheEntry, Nonce, utcnow


def put(session: Session, key: str, value: t.Any, ttl: int | None) -> None:
    expires = utcnow() + timedelta(seconds=ttl) if ttl else None
    stmt = insert_for_session(session)(CacheEntry).values(key=key, value=value, expires_at=expires)
    stmt = stmt.on_conflict_do_update(
        index_elements=[CacheEntry.key], set_={"value": value, "expires_at": expires}
    )
    session.execute(stmt)


def get(session: Session, key: str) -> t.Any:
    row = session.get(CacheEntry, key)
    if row is None:
        return None
    if row.expires_at is not None and row.expires_at <= utcnow():
        return None
    return row.value


def prune_expired(session: Session) -> None:
    """Delete expired cache entries and nonces."""
    now = utcnow()
    session.execute(delete(CacheEntry).where(CacheEntry.expires_at <= now))
    session.execute(delete(Nonce).where(Nonce.expires_at <= now))
