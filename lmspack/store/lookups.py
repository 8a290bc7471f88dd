"""The launch's reads of platforms and deployments as plain Core statements, built once.

Login and launch look the registration up on every request; through the ORM (a statement
built per call, an identity map, instances) that cost about as much as the rest of the
request's SQL together (issue 15). Nothing is kept between requests: each call reads the
row as it is now, so a platform or deployment removed or changed is seen by every worker at
its next request.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from .models import Deployment, Platform


@dataclass(frozen=True, slots=True)
class PlatformRow:
    """A platforms row, read-only (the attributes of models.Platform the launch uses)."""

    id: int
    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    auth_audience: str | None
    added_via: str


_P = Platform.__table__
_D = Deployment.__table__
_COLUMNS = [_P.c[name] for name in PlatformRow.__slots__]
_BY_CLIENT = select(*_COLUMNS).where(
    _P.c.issuer == bindparam("iss"), _P.c.client_id == bindparam("client")
)
_BY_ISSUER = select(*_COLUMNS).where(_P.c.issuer == bindparam("iss")).limit(2)
_DEPLOYMENT = select(_D.c.id).where(
    _D.c.platform_id == bindparam("platform"), _D.c.deployment_id == bindparam("deployment")
)


_JOINED = _P.outerjoin(
    _D, (_D.c.platform_id == _P.c.id) & (_D.c.deployment_id == bindparam("deployment"))
)
_WITH_DEPLOYMENT = {  # the launch names its deployment: both rows in one statement
    True: select(*_COLUMNS, _D.c.id)
    .select_from(_JOINED)
    .where(_P.c.issuer == bindparam("iss"), _P.c.client_id == bindparam("client")),
    False: select(*_COLUMNS, _D.c.id)
    .select_from(_JOINED)
    .where(_P.c.issuer == bindparam("iss"))
    .limit(2),
}


def find_platform(session: Session, issuer: str, client_id: str | None) -> PlatformRow | None:
    """The platform of (issuer, client id); without a client id, the issuer's only one."""
    conn = session.connection()
    if client_id is not None:
        row = conn.execute(_BY_CLIENT, {"iss": issuer, "client": client_id}).first()
        return None if row is None else PlatformRow(*row)
    rows = conn.execute(_BY_ISSUER, {"iss": issuer}).all()
    return PlatformRow(*rows[0]) if len(rows) == 1 else None


def find_platform_and_deployment(
    session: Session, issuer: str, client_id: str | None, deployment_id: str
) -> tuple[PlatformRow | None, int | None]:
    """find_platform, and deployment_pk of that platform's `deployment_id` (None: not
    registered) read with it."""
    params = {"iss": issuer, "client": client_id, "deployment": deployment_id}
    rows = session.connection().execute(_WITH_DEPLOYMENT[client_id is not None], params).all()
    if len(rows) != 1:
        return None, None
    *platform, pk = rows[0]
    return PlatformRow(*platform), pk


def deployment_pk(session: Session, platform_id: int, deployment_id: str) -> int | None:
    """deployments.id of the platform's deployment `deployment_id`, or None."""
    conn = session.connection()
    return conn.execute(
        _DEPLOYMENT, {"platform": platform_id, "deployment": deployment_id}
    ).scalar()
