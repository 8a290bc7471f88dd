"""Who may frame the tool's pages (frame-ancestors) and the other security headers of every
response: the registered platforms' origins, re-read every ORIGINS_TTL seconds, and the
launch's own platform, which may have been registered after that list was read."""

from __future__ import annotations

import logging
import time

from flask import Response, current_app, g, request
from sqlalchemy import select

from ..store import faults
from ..store.models import Platform
from ..store.platforms import platform_origins
from . import csp
from .context import read_db
from .header_cache import origin_of, platform_urls

log = logging.getLogger("lmspack.tool")

ORIGINS_TTL = 10.0  # seconds a worker reuses the list of platform origins for CSP


def origins_of(*urls: str | None) -> list[str]:
    return [o for o in map(origin_of, urls) if o]


def allow_framing_by(*urls: str | None) -> None:
    """Add these URLs' origins to this response's frame-ancestors (a platform registered a
    moment ago may not be in the cached list yet)."""
    g.setdefault("frame_ancestors_extra", []).extend(origins_of(*urls))


def allow_framing_by_platform(platform_id: int) -> None:
    """The launch's platform, even if it was registered after this worker's cached list was
    read (frame_origins). Every response to a request with a launch (`g.launch`) gets it."""

    def load(pid: int) -> tuple[str, ...] | None:
        row = read_db().execute(
            select(Platform.issuer, Platform.auth_login_url).where(Platform.id == pid)
        ).first()
        return None if row is None else tuple(row)

    try:  # kept per process as long as frame_origins' list (ORIGINS_TTL)
        urls = platform_urls(ORIGINS_TTL).get(platform_id, load)
    except Exception as exc:  # never fail a response for its headers
        faults.log_failure(log, "reading the launch's platform", exc)
        return
    if urls is not None:
        allow_framing_by(*urls)


def frame_origins() -> list[str]:
    """Registered platforms' origins, re-read from the store at most every ORIGINS_TTL s."""
    stamp, origins = current_app.extensions["lmspack.origins"]
    now = time.monotonic()
    if now - stamp > ORIGINS_TTL:
        try:  # the request's own session: a second connection per request could deadlock a
            # pool whose every connection is held by a request waiting for another
            origins = platform_origins(read_db())
        except Exception as exc:  # never fail a response for its headers
            faults.log_failure(log, "reading platform origins", exc)
        current_app.extensions["lmspack.origins"] = (now, origins)
    return origins


def security_headers(resp: Response, base_url: str | None) -> Response:
    """CSP (frame-ancestors: the platforms; scripts: the tool's own files, and pylti1p3's
    inline scripts by hash on its pages), nosniff and no referrer."""
    launch = g.get("launch")
    if launch is not None:  # any page of a launch may be framed by its own platform
        allow_framing_by_platform(launch.platform_id)
    extra = g.get("frame_ancestors_extra", [])
    scripts = []
    if request.endpoint in csp.HASHED_ENDPOINTS and resp.mimetype == "text/html":
        scripts = csp.script_hashes(resp.get_data())
    policy = csp.policy([*frame_origins(), *extra], connect=origins_of(base_url), scripts=scripts)
    resp.headers.setdefault("Content-Security-Policy", policy)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "no-referrer")
    return resp
