"""What a validated launch writes: user, context, resource link, attempt (upserts).

All lookups are scoped by platform (and context), so data of one organisation is never found
from another's launch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from ..printable import clean_or_none
from .db import insert_for_session
from .models import Attempt, Context, ResourceLink, RosterMember, User, utcnow

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


@dataclass(frozen=True)
class LaunchRecord:
    """The ids a launch resolved to (what the launch token carries)."""

    user_id: int
    context_id: int
    resource_link_id: int
    attempt_id: int | None


_STATEMENTS: dict[tuple, Any] = {}


def _connection(session: Session):
    """The session's connection, for Core execution (the ORM's execute path cost more than
    the statement); what the session holds unflushed goes first, as autoflush would."""
    session.flush()
    return session.connection()


def _upsert_statement(session: Session, model, keys, values, replace, counters=(), insert_only=()):
    """INSERT ... ON CONFLICT (keys) DO UPDATE ... RETURNING id, built once per shape
    (building the `excluded` alias is most of the cost of a statement)."""
    dialect = session.get_bind().dialect.name
    shape = (dialect, model, *map(tuple, (keys, values, replace, counters, insert_only)))
    stmt = _STATEMENTS.get(shape)
    if stmt is not None:
        return stmt
    table = model.__table__
    names = [*keys, *values, *replace, *counters, *insert_only]
    names += [c for c in ("created_at", "updated_at") if c in table.c]
    stmt = insert_for_session(session)(table).values(
        {n: bindparam(n, type_=table.c[n].type) for n in names}
    )
    ex = stmt.excluded
    set_: dict[str, Any] = {n: func.coalesce(ex[n], table.c[n]) for n in values}
    set_.update({n: ex[n] for n in replace})
    set_.update({n: table.c[n] + 1 for n in counters})
    if "updated_at" in table.c:
        set_["updated_at"] = ex["updated_at"]
    stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=set_).returning(table.c.id)
    _STATEMENTS[shape] = stmt
    return stmt


def _upsert(
    session: Session,
    model,
    key: dict[str, Any],
    values: dict[str, Any],
    replace: dict[str, Any] | None = None,
) -> int:
    """One statement, race-free, on SQLite and PostgreSQL: insert the row or update it.
    In `values` a None does not overwrite a stored value; `replace` values always do."""
    replace = replace or {}
    now = utcnow()
    params = {**key, **values, **replace, "updated_at": now}
    if "created_at" in model.__table__.c:
        params["created_at"] = now
    stmt = _upsert_statement(session, model, list(key), list(values), list(replace))
    return _connection(session).execute(stmt, params).scalar_one()


def upsert_user(session: Session, platform_id: int, deployment_pk: int, claims: dict) -> int:
    return _upsert(
        session,
        User,
        {"platform_id": platform_id, "deployment_id": deployment_pk, "sub": str(claims["sub"])},
        {
            "name": clean_or_none(claims.get("name")),
            "given_name": clean_or_none(claims.get("given_name")),
            "family_name": clean_or_none(claims.get("family_name")),
            "email": clean_or_none(claims.get("email")),
        },
    )


def upsert_context(session: Session, platform_id: int, deployment_pk: int, claims: dict) -> int:
    ctx = claims.get(LTI + "context") or {}
    # A launch without a context claim (allowed by the spec) gets one per resource link.
    context_id = ctx.get("id") or "resource_link:" + str(
        (claims.get(LTI + "resource_link") or {}).get("id", "")
    )
    return _upsert(
        session,
        Context,
        {"platform_id": platform_id, "deployment_id": deployment_pk, "context_id": str(context_id)},
        {"label": clean_or_none(ctx.get("label")), "title": clean_or_none(ctx.get("title"))},
    )


def upsert_resource_link(
    session: Session, platform_id: int, context_pk: int, claims: dict, course_id: str
) -> int:
    rl = claims.get(LTI + "resource_link") or {}
    ags = claims.get(AGS_ENDPOINT) or {}
    nrps = claims.get(NRPS) or {}
    return _upsert(
        session,
        ResourceLink,
        {"context_id": context_pk, "resource_link_id": str(rl.get("id"))},
        {
            "platform_id": platform_id,
            "title": clean_or_none(rl.get("title")),
            "course_id": course_id,
        },
        # Services: the latest launch says what the platform offers now (they can go away).
        replace={
            "ags_lineitem_url": ags.get("lineitem"),
            "ags_lineitems_url": ags.get("lineitems"),
            "ags_scopes": list(ags.get("scope") or []),
            "nrps_memberships_url": nrps.get("context_memberships_url"),
            "nrps_service_versions": list(nrps.get("service_versions") or []),
        },
    )


def start_or_resume_attempt(
    session: Session,
    platform_id: int,
    user_pk: int,
    context_pk: int,
    link_pk: int,
    course_id: str,
    course_version: str,
) -> int:
    """The learner's attempt on this link: created at the first launch, resumed after
    (its launch count goes up by one)."""
    now = utcnow()
    stmt = _upsert_statement(
        session,
        Attempt,
        ["user_id", "context_id", "resource_link_id"],
        [],
        ["last_launch_at"],
        counters=["launches"],
        insert_only=["platform_id", "course_id", "course_version", "state", "status", "started_at"],
    )
    params = {
        "user_id": user_pk,
        "context_id": context_pk,
        "resource_link_id": link_pk,
        "last_launch_at": now,
        "launches": 1,
        "updated_at": now,
        "platform_id": platform_id,
        "course_id": course_id,
        "course_version": course_version,
        "state": {},
        "status": "not_attempted",
        "started_at": now,
    }
    return _connection(session).execute(stmt, params).scalar_one()


def context_summary(session: Session, platform_id: int, context_pk: int) -> dict:
    """For the admin page: who launched in this context, and their status (scoped)."""
    ctx = session.scalar(
        select(Context).where(Context.id == context_pk, Context.platform_id == platform_id)
    )
    if ctx is None:
        return {}
    rows = session.execute(
        select(Attempt, User, ResourceLink)
        .join(User, User.id == Attempt.user_id)
        .join(ResourceLink, ResourceLink.id == Attempt.resource_link_id)
        .where(Attempt.platform_id == platform_id, Attempt.context_id == ctx.id)
        .order_by(User.family_name, User.given_name, User.name, User.id)
    ).all()
    by_status = dict(
        session.execute(
            select(Attempt.status, func.count())
            .where(Attempt.platform_id == platform_id, Attempt.context_id == ctx.id)
            .group_by(Attempt.status)
        ).all()
    )
    return {"context": ctx, "rows": rows, "by_status": by_status}


def users_from_roster(
    session: Session,
    platform_id: int,
    context_pk: int,
    *,
    member_ids: list[int] | None = None,
    subs: list[str] | None = None,
) -> dict[str, int]:
    """User rows for members of the context's stored roster (NRPS), by roster row id or by
    sub, made from the roster's name and email if they never launched: {sub: user id}.

    An admin can then record what concerns them (live session attendance) before their first
    launch, which finds the same row: users are keyed by (platform, deployment, sub) and the
    deployment is the context's. Only this platform's context is looked in, so an id or sub
    from elsewhere gives nothing."""
    ctx = session.scalar(
        select(Context).where(Context.id == context_pk, Context.platform_id == platform_id)
    )
    if ctx is None or (not member_ids and not subs):
        return {}
    q = select(RosterMember).where(
        RosterMember.platform_id == platform_id, RosterMember.context_id == context_pk
    )
    if member_ids:
        q = q.where(RosterMember.id.in_(member_ids))
    if subs:
        q = q.where(RosterMember.sub.in_(subs))
    found: dict[str, int] = {}
    for m in session.scalars(q.order_by(RosterMember.id)):
        found[m.sub] = _upsert(
            session,
            User,
            {"platform_id": platform_id, "deployment_id": ctx.deployment_id, "sub": m.sub},
            {
                "name": m.name,
                "given_name": m.given_name,
                "family_name": m.family_name,
                "email": m.email,
            },
        )
    return found
