"""The tool's calls to a platform's services (AGS scores, line items and results; NRPS),
without Flask, so the grade sender and the roster run the same in a web process, a cron job
or `lmspack grades send`.

- `http_session(timeout)`: outbound HTTP with a default timeout on every call.
- `StoreRegistration` / `registration_for(session, platform)`: pylti1p3's Registration for a
  stored platform, signing client assertions with the tool key from the store.
- `StoreServiceConnector`: the one connector for AGS and NRPS. pylti1p3 makes and signs the
  client_credentials assertion and fetches the token; the access token is cached in the
  database (`cache_entries`) for every process and host. Each cache read or write is its own
  short transaction, so nothing is locked during HTTP. `forget_access_token` drops a token
  the platform refused (401).
"""

from __future__ import annotations

import requests
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector
from sqlalchemy import delete
from sqlalchemy.orm import Session

from ..store import Store, cache
from ..store import keys as tool_keys
from ..store.lookups import PlatformRow
from ..store.models import CacheEntry, Platform

TOKEN_PREFIX = "access-token:"


class TimeoutSession(requests.Session):
    """A requests session whose every call has a timeout unless one is given."""

    def __init__(self, timeout: float = 10.0):
        super().__init__()
        self.timeout = timeout
        self.headers["User-Agent"] = "lmspack-lti-tool"

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def http_session(timeout: float = 10.0) -> requests.Session:
    return TimeoutSession(timeout)


class StoreRegistration(Registration):
    """A pylti1p3 Registration that signs with the tool key from the store, with its kid.
    The key is read only when something is signed (deep linking, client assertions)."""

    platform_id: int | None = None
    platform_name: str = ""

    def __init__(self, db: Session | None = None):
        super().__init__()
        self._db = db
        self._signing: tool_keys.SigningKey | None = None

    def _key(self) -> tool_keys.SigningKey:
        if self._signing is None:
            assert self._db is not None, "no store session to read the tool key from"
            self._signing = tool_keys.signing_key(self._db)
        return self._signing

    def get_tool_private_key(self) -> str:
        return self._key().private_pem

    def get_kid(self) -> str:
        return self._key().kid


def registration_for(db: Session, platform: Platform | PlatformRow) -> StoreRegistration:
    r = StoreRegistration(db)
    r.set_issuer(platform.issuer).set_client_id(platform.client_id).set_key_set_url(
        platform.key_set_url
    ).set_auth_login_url(platform.auth_login_url).set_auth_token_url(platform.auth_token_url)
    if platform.auth_audience:
        r.set_auth_audience(platform.auth_audience)
    r.platform_id = platform.id
    r.platform_name = platform.name
    return r


class StoreServiceConnector(ServiceConnector):
    """pylti1p3's connector with access tokens cached in the database for every process."""

    def __init__(self, registration, requests_session, store: Store):
        super().__init__(registration, requests_session)
        self._store = store
        self._pass_memo: dict[str, str] = {}  # lives for one send pass (< one lease)

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        if scope_key in self._pass_memo:
            return self._pass_memo[scope_key]
        with self._store.sessions() as s:
            token = cache.get(s, TOKEN_PREFIX + scope_key)
        if token:
            self._pass_memo[scope_key] = token
        return token

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float):
        if expires_in:
            ttl = max(int(expires_in) - 60, 1)
            with self._store.transaction() as s:
                cache.put(s, TOKEN_PREFIX + scope_key, access_token, ttl)

    def forget_access_token(self, scopes: list[str]) -> None:
        scope_key = self._scope_key(sorted(scopes))
        self._pass_memo.pop(scope_key, None)
        with self._store.transaction() as s:
            s.execute(delete(CacheEntry).where(CacheEntry.key == TOKEN_PREFIX + scope_key))
