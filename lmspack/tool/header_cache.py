"""Per-process copies of what a response's headers need: the launch's platform's addresses
for `frame-ancestors` (framing.allow_framing_by_platform), re-read from the store after TTL
seconds, and the origins of the few URLs every page names (`origin_of`).

Every page of a launch (the course page, the CPD record, the API) may be framed by its own
platform; reading that platform's row on each of them cost a database round trip per page.
The copy is kept as long as the list of all platforms' origins already is (framing.ORIGINS_TTL):
a header, never a decision to accept a launch, and a platform that is new to this process is
always read from the store.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from flask import current_app

MAX_PLATFORMS = 1024  # beyond this many platforms seen by one process, start again


class PlatformUrls:
    """{platform id: (when read, its issuer and login URLs)} of one process."""

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._seen: dict[int, tuple[float, tuple[str, ...]]] = {}

    def get(
        self, platform_id: int, load: Callable[[int], tuple[str, ...] | None]
    ) -> tuple[str, ...] | None:
        """The platform's URLs from the copy if it is fresh, else from `load` (None: gone)."""
        now = time.monotonic()
        hit = self._seen.get(platform_id)
        if hit is not None and now - hit[0] <= self._ttl:
            return hit[1]
        urls = load(platform_id)
        if urls is None:
            self._seen.pop(platform_id, None)
            return None
        if len(self._seen) >= MAX_PLATFORMS:
            self._seen.clear()
        self._seen[platform_id] = (now, urls)
        return urls


def platform_urls(ttl: float) -> PlatformUrls:
    """This app's copy (made on first use)."""
    found = current_app.extensions.get("lmspack.platform_urls")
    if found is None:
        found = current_app.extensions["lmspack.platform_urls"] = PlatformUrls(ttl)
    return found


@functools.lru_cache(maxsize=1024)
def origin_of(url: str | None) -> str:
    """scheme://host[:port] of a URL, '' if it has none (a pure function of the URL)."""
    from urllib.parse import urlsplit

    p = urlsplit(url or "")
    return f"{p.scheme}://{p.netloc}" if p.scheme and p.netloc else ""
