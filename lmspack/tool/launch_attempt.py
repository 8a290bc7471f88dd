"""The attempt a launch token owns: found by every id the token carries (attempt, user,
platform, context, resource link, course), so a token can reach only its own learner's
attempt in its own course. The learner API and the CPD record both ask here."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..store.models import Attempt
from .launch_token import LaunchClaims


def launch_attempt(session: Session, launch: LaunchClaims, *, lock: bool = False) -> Attempt | None:
    """None for an instructor's preview (no attempt) or a token that matches none. With
    `lock`, the row is locked for writing: FOR UPDATE on PostgreSQL; on SQLite the write lock
    is taken first, so the read that follows is not a stale snapshot."""
    if launch.attempt_id is None:
        return None
    where = (
        Attempt.id == launch.attempt_id,
        Attempt.user_id == launch.user_id,
        Attempt.platform_id == launch.platform_id,
        Attempt.context_id == launch.context_id,
        Attempt.resource_link_id == launch.resource_link_id,
        Attempt.course_id == launch.course_id,
    )
    if not lock:
        return session.scalar(select(Attempt).where(*where))
    if session.get_bind().dialect.name == "postgresql":
        return session.scalar(select(Attempt).where(*where).with_for_update())
    session.execute(
        update(Attempt)
        .where(*where)
        .values(launches=Attempt.launches)
        .execution_options(synchronize_session=False)
    )
    return session.scalar(select(Attempt).where(*where))
