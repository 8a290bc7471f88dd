"""Who may frame the tool's pages (frame-ancestors) and the other security headers of every
response: the registered platforms' origins, re-read every ORIGINS_TTL seconds, and the
launch's own platform, which may have been registered after that list was read."""

from __future__ import annotations

import functools
import logging
import time
from urllib.parse import urlsplit

from flask import Response, current_app, g, request

from ..store import faults
from ..store.platforms import platform_origins
from . import csp
from .context import read_db

log = logging.getLogger("lmspack.tool")

ORIGINS_TTL = 10.0  # seconds a worker reuses the list of platform origins for CSP


@functools.lru_cache(maxsize=1024)
def origin_of(url: str | None) -> str:
    """scheme://host[:port] of a URL, '' if it has none (a pure function of the URL, and every
    page names the same few)."""
    p = urlsplit(url or "")
    return f"{p.scheme}://{p.netloc}" if p.scheme and p.netloc else ""


def origins_of(*urls: str | None) -> list[str]:
    return [o for o in map(origin_of, urls) if o]


def allow_framing_by(*urls: str | None) -> None:
    """Add these URLs' origins to this response's frame-ancestors (a platform registered a
    moment ago may not be in the cached list yet)."""
    g.setdefault("frame_ancestors_extra", []).extend(origins_of(*urls))


def frame_origins(launch_platform: int | None = None) -> list[str]:
    """Registered platforms' origins, re-read from the store at most every ORIGINS_TTL s, and
    at once when a launch's platform is not in the list (registered after it was read), so
    every page of a launch may be framed by its own platform."""
    stamp, origins = current_app.extensions["lmspack.origins"]
    ids = current_app.extensions.get("lmspack.origin_platforms", frozenset())
    now = time.monotonic()
    if now - stamp > ORIGINS_TTL or (launch_platform is not None and launch_platform not in ids):
        try:  # the request's own session: a second connection per request could deadlock a
            # pool whose every connection is held by a request waiting for another
            ids, origins = platform_origins(read_db())
        except Exception as exc:  # never fail a response for its headers
            faults.log_failure(log, "reading platform origins", exc)
        current_app.extensions["lmspack.origins"] = (now, origins)
        current_app.extensions["lmspack.origin_platforms"] = ids
    return origins


def security_headers(resp: Response, base_url: str | None) -> Response:
    """CSP (frame-ancestors: the platforms; scripts: the tool's own files, and pylti1p3's
    inline scripts by hash on its pages), nosniff and no referrer."""
    launch = g.get("launch")
    extra = g.get("frame_ancestors_extra", [])
    scripts = []
    if request.endpoint in csp.HASHED_ENDPOINTS and resp.mimetype == "text/html":
        scripts = csp.script_hashes(resp.get_data())
    launch_platform = launch.platform_id if launch is not None else None
    ancestors = [*frame_origins(launch_platform), *extra]
    policy = csp.policy(ancestors, connect=origins_of(base_url), scripts=scripts)
    resp.headers.setdefault("Content-Security-Policy", policy)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "no-referrer")
    return resp
