"""A platform's key set (JWKS): cached in the store for every worker and host, kept as long as
the platform's Cache-Control says (within bounds), fetched by one request at a time.

    sets = KeySets(store, http, read=session, timeout=10)
    cached = sets.get(url)                 # a CachedKeySet: cached, else fetched
    newer = sets.refresh(url, cached)      # a copy fetched after `cached`, or None

- Lifetime: `max-age` clamped to [MIN_TTL, MAX_TTL]; `no-store`/`no-cache` give MIN_TTL (a
  platform that asks for no caching still gets at most one fetch a minute per key set from
  us, and a key it replaces is picked up at once by `refresh`); no header: DEFAULT_TTL.
- Single flight: on a miss, the request that takes the lease `jwks-lease:<url>` (one
  statement, `cache.take`) fetches; the others poll the cache until the copy arrives (or
  the fetch failed, which is kept FAILURE_TTL seconds so that they, and the next requests,
  answer at once instead of queueing on a platform that is down). A burst of launches at a
  cold cache makes one fetch per key set, whatever the number of workers and hosts. Before
  it fetches or waits, a request ends its read transaction (`read.commit()`: it has only
  read), so no waiting request holds a database connection (the fetching one needs one to
  publish the copy) or, on SQLite, an old snapshot.
- `refresh` (an unknown kid, or a known kid whose signature failed: the platform replaced
  the key under the same kid) refetches at most once per REFETCH_INTERVAL per key set, so
  tokens with made-up kids can't make us hammer the platform; a request that finds the
  refetch already done uses that copy.
"""

from __future__ import annotations

import hashlib
import time
import typing as t
from collections.abc import Callable
from dataclasses import dataclass

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store import Store, cache
from ..store.models import CacheEntry, utcnow
from .outbound import OutboundError, fetch_json

MIN_TTL = 60
DEFAULT_TTL = 3600
MAX_TTL = 86400
REFETCH_INTERVAL = 30  # seconds between two refetches of one key set
FAILURE_TTL = 5  # seconds a failed fetch is remembered
MAX_BYTES = 256 * 1024


class KeySetError(Exception):
    def __init__(self, message: str, status: int = 502):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class CachedKeySet:
    keys: list[dict]
    fetched_at: float  # Unix seconds


def lifetime(cache_control: str | None) -> int:
    """Seconds to keep a key set served with this Cache-Control header."""
    directives: dict[str, str] = {}
    for part in (cache_control or "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            directives[name.strip().lower()] = value.strip().strip('"')
    if "no-store" in directives or "no-cache" in directives:
        return MIN_TTL
    age = directives.get("max-age")
    if age is None or not age.isdigit():
        return DEFAULT_TTL
    return max(MIN_TTL, min(MAX_TTL, int(age)))


def _names(url: str) -> tuple[str, str, str]:
    h = hashlib.sha256(url.encode()).hexdigest()
    return "jwks:" + h, "jwks-lease:" + h, "jwks-failed:" + h


def _as_cached(value: t.Any) -> CachedKeySet | None:
    # entries of older versions held the bare JWKS: taken as a miss
    if isinstance(value, dict) and isinstance(value.get("keys"), list) and "at" in value:
        return CachedKeySet(value["keys"], float(value["at"]))
    return None


class KeySets:
    def __init__(
        self,
        store: Store,
        http: requests.Session,
        *,
        read: Session | None = None,
        timeout: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._store = store
        self._http = http
        # the request's read session (nothing written yet): the first look costs no new one
        self._read = read
        self._timeout = timeout
        self._sleep = sleep

    def get(self, url: str) -> CachedKeySet:
        key = _names(url)[0]
        if self._read is not None:
            found = _as_cached(cache.get(self._read, key))
            if found is not None:
                return found
        found = self._load(url, newer_than=None, may_fetch=True)
        assert found is not None
        return found

    def refresh(self, url: str, seen: CachedKeySet) -> CachedKeySet | None:
        """A copy fetched after `seen`; None if the key set was refetched less than
        REFETCH_INTERVAL ago and nothing newer than `seen` is to be had."""
        key = _names(url)[0]
        with self._store.transaction() as s:
            mine = cache.take(s, "jwks-refetch:" + key[5:], REFETCH_INTERVAL)
        return self._load(url, newer_than=seen.fetched_at, may_fetch=mine)

    # ------------------------------------------------------------------ single flight
    def _look(self, url: str) -> tuple[CachedKeySet | None, str | None, bool]:
        """(the cached copy, a recent failure's message, whether a fetch is under way), in
        one query on a fresh session (a long-lived one could keep seeing an old snapshot)."""
        key, lease, failed = _names(url)
        now = utcnow()
        with self._store.read_sessions() as s:
            rows = s.execute(
                select(CacheEntry.key, CacheEntry.value).where(
                    CacheEntry.key.in_([key, lease, failed]),
                    (CacheEntry.expires_at.is_(None)) | (CacheEntry.expires_at > now),
                )
            ).all()
        found = dict(rows)
        message = found.get(failed)
        return (
            _as_cached(found.get(key)),
            message if isinstance(message, str) else None,
            (lease in found),
        )

    def _load(self, url: str, *, newer_than: float | None, may_fetch: bool):
        _key, lease, _failed = _names(url)
        if self._read is not None:
            self._read.commit()
        deadline = time.monotonic() + self._timeout + 2
        delay = 0.01
        while True:
            cached, failure, fetching = self._look(url)
            if cached is not None and (newer_than is None or cached.fetched_at > newer_than):
                return cached
            if failure is not None:
                raise KeySetError(failure)
            if not fetching:
                if not may_fetch and newer_than is not None:
                    return None  # refetched a moment ago; nothing newer is coming
                with self._store.transaction() as s:
                    taken = cache.take(s, lease, self._timeout + 5)
                if taken:
                    return self._fetch(url)
            if time.monotonic() > deadline:
                raise KeySetError(
                    "The platform's public keys are still being fetched by another request; "
                    "please try again in a moment.",
                    503,
                )
            self._sleep(delay)
            delay = min(delay * 2, 0.1)

    def _fetch(self, url: str) -> CachedKeySet:
        key, lease, failed = _names(url)
        try:
            data, ttl = self._get(url)
        except KeySetError as exc:
            with self._store.transaction() as s:
                cache.put(s, failed, str(exc), FAILURE_TTL)
                cache.drop(s, lease)
            raise
        found = CachedKeySet(data["keys"], time.time())
        with self._store.transaction() as s:
            cache.put(s, key, {"keys": found.keys, "at": found.fetched_at}, ttl)
            cache.drop(s, lease)
        return found

    def _get(self, url: str) -> tuple[dict, int]:
        try:
            answer = fetch_json(
                self._http,
                "GET",
                url,
                limit=MAX_BYTES,
                timeout=self._timeout,
                headers={"Accept": "application/json"},
            )
        except OutboundError as exc:
            raise KeySetError(f"The platform's public keys at {url[:200]} {exc}.") from None
        if not isinstance(answer.data.get("keys"), list):
            raise KeySetError(f"The platform's key set at {url[:200]} is not a JWKS.")
        return answer.data, lifetime(answer.headers.get("Cache-Control"))
