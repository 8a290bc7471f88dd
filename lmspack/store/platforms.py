"""Registering platforms (LMS sites) and their deployments: used by the CLI and by
LTI Dynamic Registration. Nobody edits a JSON file."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .models import Deployment, Platform


class PlatformError(ValueError):
    pass


def _check_url(name: str, url: str) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PlatformError(f"{name} must be an http(s) URL, got {url!r}")
    return url


def add_platform(
    session: Session,
    *,
    name: str,
    issuer: str,
    client_id: str,
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    deployment_ids: list[str] | tuple[str, ...] = (),
    auth_audience: str | None = None,
    added_via: str = "hand",
    invite_name: str | None = None,
) -> Platform:
    _check_url("issuer", issuer)
    _check_url("auth URL", auth_login_url)
    _check_url("token URL", auth_token_url)
    _check_url("JWKS URL", key_set_url)
    if not client_id:
        raise PlatformError("client id must not be empty")
    existing = find_platform(session, issuer, client_id)
    if existing is not None:
        raise PlatformError(
            f"a platform with issuer {issuer} and client id {client_id} exists "
            f"(#{existing.id} {existing.name})"
        )
    platform = Platform(
        name=name,
        issuer=issuer,
        client_id=client_id,
        auth_login_url=auth_login_url,
        auth_token_url=auth_token_url,
        key_set_url=key_set_url,
        auth_audience=auth_audience,
        added_via=added_via,
        invite_name=invite_name,
    )
    session.add(platform)
    session.flush()
    for dep in deployment_ids:
        add_deployment(session, platform, dep)
    return platform


def add_deployment(session: Session, platform: Platform, deployment_id: str) -> Deployment:
    if not deployment_id:
        raise PlatformError("deployment id must not be empty")
    found = session.scalar(
        select(Deployment).where(
            Deployment.platform_id == platform.id, Deployment.deployment_id == deployment_id
        )
    )
    if found is not None:
        return found
    dep = Deployment(platform_id=platform.id, deployment_id=deployment_id)
    session.add(dep)
    session.flush()
    return dep


def find_platform(session: Session, issuer: str, client_id: str | None) -> Platform | None:
    q = select(Platform).where(Platform.issuer == issuer)
    if client_id is not None:
        return session.scalar(q.where(Platform.client_id == client_id))
    rows = list(session.scalars(q.limit(2)))
    return rows[0] if len(rows) == 1 else None


def find_deployment(session: Session, platform_id: int, deployment_id: str) -> Deployment | None:
    return session.scalar(
        select(Deployment).where(
            Deployment.platform_id == platform_id, Deployment.deployment_id == deployment_id
        )
    )


def get_platform(session: Session, ref: str) -> Platform:
    """A platform by numeric id or by exact name."""
    q = select(Platform)
    platform = (
        session.get(Platform, int(ref))
        if ref.isdigit()
        else session.scalar(q.where(Platform.name == ref))
    )
    if platform is None:
        raise PlatformError(f"no platform {ref!r} (use the id or the name from `platform list`)")
    return platform


def list_platforms(session: Session) -> list[Platform]:
    return list(
        session.scalars(
            select(Platform).options(selectinload(Platform.deployments)).order_by(Platform.id)
        )
    )


def how_added(platform: Platform) -> str:
    """How the platform was added, for people: `lmspack platform list`, the admin pages."""
    when = f"{platform.created_at:%Y-%m-%d %H:%M} UTC"
    if platform.added_via == "hand":
        return f"added by hand (lmspack platform add) on {when}"
    if platform.added_via == "invite":
        named = f" {platform.invite_name!r}" if platform.invite_name else " (unnamed)"
        return f"added by dynamic registration with the invite{named} on {when}"
    if platform.added_via == "registration-key":
        return f"added by dynamic registration with LMSPACK_REGISTRATION_KEY on {when}"
    return (
        f"added on {when}, before lmspack recorded how (dynamic registration was open to "
        "anyone then: check that you know this platform)"
    )


def platform_origins(session: Session) -> tuple[frozenset[int], list[str]]:
    """Origins allowed to frame the tool: every registered issuer and login URL origin, and
    the ids of the platforms they come from (so a caller can tell a list that predates a
    platform)."""
    ids: set[int] = set()
    origins: set[str] = set()
    for pid, issuer, login in session.execute(
        select(Platform.id, Platform.issuer, Platform.auth_login_url)
    ):
        ids.add(pid)
        for url in (issuer, login):
            p = urlsplit(url)
            if p.scheme and p.netloc:
                origins.add(f"{p.scheme}://{p.netloc}")
    return frozenset(ids), sorted(origins)
