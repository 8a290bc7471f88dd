"""NRPS: the course roster, fetched from the platform and kept per context for admin views.

    from lmspack.tool.roster import sync_roster, cached_roster
    result = sync_roster(store, platform_id, context_pk)     # HTTP, follows Link rel="next"
    members = cached_roster(session, platform_id, context_pk)  # what the last fetch stored

Fetching uses pylti1p3's NamesRolesProvisioningService over the same database-backed service
connector as the grade sender (client_credentials JWT assertion, access tokens cached in the
database, every HTTP call with a timeout). Pages are followed through `Link: <...>;
rel="next"` (at most MAX_PAGES, and never the same URL twice). The stored roster of the
context is replaced in one transaction, so a failed fetch leaves the previous one in place.
Every query is scoped by platform and context.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pylti1p3.names_roles import NamesRolesProvisioningService
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..lti.services import StoreServiceConnector, http_session, registration_for
from ..printable import clean
from ..store import Store
from ..store.models import Context, Platform, ResourceLink, RosterMember, utcnow

MAX_PAGES = 500


class RosterError(RuntimeError):
    pass


@dataclass(frozen=True)
class RosterResult:
    members: int
    pages: int
    fetched_at: datetime


def _memberships_url(s: Session, platform_id: int, context_pk: int) -> str:
    ctx = s.scalar(
        select(Context).where(Context.id == context_pk, Context.platform_id == platform_id)
    )
    if ctx is None:
        raise RosterError("no such context for this platform")
    url = s.scalar(
        select(ResourceLink.nrps_memberships_url)
        .where(
            ResourceLink.context_id == ctx.id,
            ResourceLink.platform_id == platform_id,
            ResourceLink.nrps_memberships_url.is_not(None),
        )
        .order_by(ResourceLink.updated_at.desc())
        .limit(1)
    )
    if not url:
        raise RosterError("the platform offered no roster service (NRPS) in this course")
    return url


def sync_roster(
    store: Store, platform_id: int, context_pk: int, *, timeout: float = 10.0
) -> RosterResult:
    with store.sessions() as s:
        url = _memberships_url(s, platform_id, context_pk)
        platform = s.get(Platform, platform_id)
        if platform is None:
            raise RosterError("the platform is no longer registered")
        registration = registration_for(s, platform)
        registration.get_kid()  # read the key while the session is open
    connector = StoreServiceConnector(registration, http_session(timeout), store)
    nrps = NamesRolesProvisioningService(connector, {"context_memberships_url": url})
    members: dict[str, dict] = {}
    seen: set[str] = set()
    pages = 0
    next_url: str | None = url
    while next_url:
        if next_url in seen or pages >= MAX_PAGES:
            raise RosterError(f"the roster's pages do not end (after {pages} pages)")
        seen.add(next_url)
        page, next_url = nrps.get_members_page(next_url)
        pages += 1
        for m in page:
            if isinstance(m, dict) and m.get("user_id"):
                members[str(m["user_id"])] = m
    now = utcnow()
    with store.transaction() as s:
        s.execute(
            delete(RosterMember).where(
                RosterMember.platform_id == platform_id, RosterMember.context_id == context_pk
            )
        )
        for sub, m in members.items():
            s.add(
                RosterMember(
                    platform_id=platform_id,
                    context_id=context_pk,
                    sub=sub[:255],
                    name=_cut(m.get("name"), 300),
                    given_name=_cut(m.get("given_name"), 200),
                    family_name=_cut(m.get("family_name"), 200),
                    email=_cut(m.get("email"), 320),
                    roles=[r for r in m.get("roles") or [] if isinstance(r, str)],
                    status=str(m.get("status") or "Active")[:20],
                    fetched_at=now,
                )
            )
    return RosterResult(members=len(members), pages=pages, fetched_at=now)


def _cut(value, n: int) -> str | None:
    """The platform's text, printable (lmspack.printable.clean) and cut to the column."""
    return clean(str(value))[:n] if value else None


def cached_roster(session: Session, platform_id: int, context_pk: int) -> list[RosterMember]:
    return list(
        session.scalars(
            select(RosterMember)
            .where(RosterMember.platform_id == platform_id, RosterMember.context_id == context_pk)
            .order_by(RosterMember.family_name, RosterMember.given_name, RosterMember.sub)
        )
    )
