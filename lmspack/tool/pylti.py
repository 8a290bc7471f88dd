"""pylti1p3 (the pylti1p3next fork) wired to the store, with the library's gaps closed here.

- `DbToolConf`: registrations and deployments from the platforms/deployments tables; the
  tool's private key and kid from tool_keys.
- `DbLaunchDataStorage`: pylti1p3's launch-data storage in `cache_entries` (with expiry).
- `DbSessionService`: nonces in `nonces`, consumed by one DELETE (single use, atomic).
- `ToolMessageLaunch`: exp and iat required with a small leeway; `aud` may be a list and then
  `azp` must be present and match; only RS256/384/512; a JWKS without the token's kid is
  refetched once; the nonce is consumed last, after every other check passed.
- `http_session()`: outbound HTTP with a default timeout (JWKS, token endpoint, AGS, NRPS).
- `DbServiceConnector`: access tokens for AGS/NRPS cached in the database, for all workers.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import typing as t
from datetime import timedelta

import jwt
import requests
from flask import make_response
from jwcrypto.jwk import JWK
from pylti1p3.contrib.flask import FlaskCookieService, FlaskMessageLaunch, FlaskOIDCLogin
from pylti1p3.contrib.flask.request import FlaskRequest
from pylti1p3.cookies_allowed_check import CookiesAllowedCheckPage
from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.exception import LtiException, LtiKeyException, LtiMessageValidationException
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector
from pylti1p3.session import SessionService
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..store import Store, cache
from ..store import keys as tool_keys
from ..store import platforms as reg
from ..store.models import Deployment as StoreDeployment
from ..store.models import Nonce, Platform, utcnow

ALLOWED_ALGS = ("RS256", "RS384", "RS512")
NONCE_TTL = 600  # seconds between login and launch
JWKS_TTL = 3600
JWKS_REFETCH_INTERVAL = 30  # seconds between two refetches for an unknown kid


class LaunchError(LtiMessageValidationException):
    """A launch we refuse, with a message fit for the page (and a status code)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# --------------------------------------------------------------------------- HTTP


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


# --------------------------------------------------------------------------- cache


class DbLaunchDataStorage(LaunchDataStorage[t.Any]):
    """pylti1p3's launch data storage in the `cache_entries` table."""

    def __init__(self, db: Session, read: Session | None = None):
        super().__init__()
        self._db = db
        self._read = read or db

    def get_session_cookie_name(self) -> str | None:
        # Over plain HTTP (development, tests on loopback) browsers drop SameSite=None
        # cookies, so keys are not bound to a session cookie there (as pylti1p3's cache
        # storage does). Over HTTPS they are.
        if self._request is not None and not self._request.is_secure():
            return None
        return super().get_session_cookie_name()

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> t.Any:
        return cache.get(self._read, self._prepare_key(key))

    def set_value(self, key: str, value: t.Any, exp: int | None = None) -> None:
        cache.put(self._db, self._prepare_key(key), value, exp)

    def check_value(self, key: str) -> bool:
        return self.get_value(key) is not None


class DbSessionService(SessionService):
    """State and launch data in the cache table; nonces single-use in the nonces table."""

    def __init__(self, request: FlaskRequest, db: Session, read: Session | None = None):
        super().__init__(request)
        self._db = db
        storage = DbLaunchDataStorage(db, read)
        storage.set_request(request)
        self.data_storage = storage

    def check_state_is_valid(self, state: str, id_token_hash: str) -> bool:
        # pylti1p3 lets a launch whose id_token it saw before pass without the state cookie
        # (for reloads). A reload is refused anyway (the nonce is single use), so the state
        # must always match the cookie; this also saves a database read per launch.
        return False

    def save_nonce(self, nonce: str) -> None:
        self._db.add(Nonce(value=nonce, expires_at=utcnow() + timedelta(seconds=NONCE_TTL)))
        self._db.flush()

    def check_nonce(self, nonce: str) -> bool:
        """Consume the nonce: true for exactly one caller, ever."""
        res = self._db.execute(
            delete(Nonce).where(Nonce.value == nonce, Nonce.expires_at > utcnow())
        )
        return res.rowcount == 1


# --------------------------------------------------------------------------- tool config


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


def registration_for(db: Session, platform: Platform) -> StoreRegistration:
    r = StoreRegistration(db)
    r.set_issuer(platform.issuer).set_client_id(platform.client_id).set_key_set_url(
        platform.key_set_url
    ).set_auth_login_url(platform.auth_login_url).set_auth_token_url(platform.auth_token_url)
    if platform.auth_audience:
        r.set_auth_audience(platform.auth_audience)
    r.platform_id = platform.id
    r.platform_name = platform.name
    return r


class DbToolConf(ToolConfAbstract[FlaskRequest]):
    """Registrations from the store (read-only use of `db`; `Store.read_sessions` is fine).
    One issuer may have several client ids."""

    def __init__(self, db: Session):
        super().__init__()
        self._db = db
        self.platform: Platform | None = None  # the last platform found (for the caller)
        self._found: dict[tuple[str, str | None], Platform | None] = {}
        self.deployment: StoreDeployment | None = None  # the one validate_deployment found

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def _find_platform(self, iss: str, client_id: str | None) -> Platform | None:
        key = (iss, client_id)
        if key not in self._found:  # pylti1p3 asks several times per request
            self._found[key] = reg.find_platform(self._db, iss, client_id)
        return self._found[key]

    def _registration(self, iss: str, client_id: str | None) -> StoreRegistration | None:
        platform = self._find_platform(iss, client_id)
        if platform is None:
            return None
        self.platform = platform
        return registration_for(self._db, platform)

    def find_registration_by_issuer(self, iss: str, *args, **kwargs):
        return self._registration(iss, None)

    def find_registration_by_params(self, iss: str, client_id: str, *args, **kwargs):
        return self._registration(iss, client_id or None)

    def find_deployment(self, iss: str, deployment_id: str):
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        platform = self.platform
        if (
            platform is None
            or platform.issuer != iss
            or (client_id and platform.client_id != client_id)
        ):
            platform = reg.find_platform(self._db, iss, client_id)
        if platform is None or not deployment_id:
            return None
        dep = reg.find_deployment(self._db, platform.id, str(deployment_id))
        if dep is None:
            return None
        self.deployment = dep
        return LtiDeployment().set_deployment_id(dep.deployment_id)

    def get_jwks(self, iss=None, client_id=None, **kwargs):
        return tool_keys.published_jwks(self._db)


# --------------------------------------------------------------------------- login


COOKIE_MAIN = "Your browser blocks the cookies this activity needs inside the course page."
COOKIE_CLICK = "Open the activity in a new window"
COOKIE_LOADING = "Loading the activity…"


class ToolCookieService(FlaskCookieService):
    """Cookies that survive Moodle's iframe: Secure; SameSite=None; Partitioned over HTTPS."""


class ToolOIDCLogin(FlaskOIDCLogin):
    def get_cookies_allowed_js_check(self):
        protocol, params = self.get_cookies_allowed_js_check_params()
        page = CookiesAllowedCheckPage(
            params,
            protocol,
            self._cookies_unavailable_msg_main_text,
            self._cookies_unavailable_msg_click_text,
            self._cookies_check_loading_text,
        )
        html = page.get_html().replace("<title></title>", "<title>Opening the activity</title>")
        resp = make_response(html)
        resp.headers["Cache-Control"] = "no-store"
        return resp


# --------------------------------------------------------------------------- launch

_PEM_CACHE: dict[str, str] = {}  # JWK JSON -> PEM (content-addressed, so never stale)


def _jwk_to_pem(key: dict) -> str:
    text = json.dumps(key, sort_keys=True)
    pem = _PEM_CACHE.get(text)
    if pem is None:
        try:
            pem = JWK.from_json(text).export_to_pem().decode()
        except (ValueError, TypeError) as exc:
            raise LtiKeyException("The platform's public key could not be read.") from exc
        if len(_PEM_CACHE) > 256:
            _PEM_CACHE.clear()
        _PEM_CACHE[text] = pem
    return pem


class ToolMessageLaunch(FlaskMessageLaunch):
    leeway: int = 15

    def __init__(
        self,
        request,
        tool_config: DbToolConf,
        *,
        db: Session,
        leeway: int,
        read: Session | None = None,
        cache_store: Store | None = None,
        **kw,
    ):
        super().__init__(request, tool_config, **kw)
        self._db = db  # writes: the nonce
        self._read = read or db  # reads (on SQLite they take no write lock)
        self._cache_store = cache_store  # JWKS cache writes, kept even if the launch fails
        self.leeway = leeway

    def _cache_put(self, key: str, value: t.Any, ttl: int) -> None:
        if self._cache_store is None:
            cache.put(self._db, key, value, ttl)
            return
        with self._cache_store.transaction() as s:
            cache.put(s, key, value, ttl)

    # aud / azp ------------------------------------------------------------
    def get_client_id(self) -> str:
        body = self._get_jwt_body()
        aud = body.get("aud")
        azp = body.get("azp")
        if isinstance(aud, list):
            if not aud or not all(isinstance(a, str) for a in aud):
                raise LaunchError("The id_token's audience (aud) is empty or malformed.")
            if len(aud) > 1 and not azp:
                raise LaunchError(
                    "The id_token names several audiences (aud) but no authorized party (azp)."
                )
            if azp is not None:
                if azp not in aud:
                    raise LaunchError("The id_token's azp is not one of its audiences (aud).")
                return azp
            return aud[0]
        if not isinstance(aud, str) or not aud:
            raise LaunchError("The id_token has no audience (aud).")
        if azp is not None and azp != aud:
            raise LaunchError("The id_token's authorized party (azp) does not match its aud.")
        return aud

    # header ---------------------------------------------------------------
    def validate_header(self) -> ToolMessageLaunch:
        header = self._jwt.get("header") or {}
        alg = header.get("alg")
        if alg not in ALLOWED_ALGS:
            raise LaunchError(
                f"The id_token is signed with {alg!r}; this tool accepts only "
                + ", ".join(ALLOWED_ALGS)
                + "."
            )
        if not header.get("kid"):
            raise LaunchError("The id_token's header has no key id (kid).")
        return self

    # keys -----------------------------------------------------------------
    def _fetch_jwks(self, url: str, *, refresh: bool) -> dict:
        key = "jwks:" + hashlib.sha256(url.encode()).hexdigest()
        if not refresh:
            cached = cache.get(self._read, key)
            if cached:
                return cached
        try:
            resp = self._requests_session.get(url)
            resp.raise_for_status()
            data = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise LaunchError(
                f"The platform's public keys could not be fetched from {url}: {exc}", 502
            ) from exc
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise LaunchError(f"The platform's key set at {url} is not a JWKS.", 502)
        self._cache_put(key, data, JWKS_TTL)
        return data

    def get_public_key(self) -> tuple[str, str]:
        assert self._registration is not None
        url = self._registration.get_key_set_url() or ""
        header = self._jwt.get("header") or {}
        kid, alg = header.get("kid"), header.get("alg")

        def find(keyset: dict) -> dict | None:
            for k in keyset.get("keys", []):
                if k.get("kid") == kid and k.get("alg", alg) == alg:
                    return k
            return None

        found = find(self._fetch_jwks(url, refresh=False))
        if found is None:
            # The platform may have rotated its keys: refetch once. Tokens with made-up kids
            # must not make us fetch on every request: at most one refetch per
            # JWKS_REFETCH_INTERVAL for each key set.
            marker = "jwks-refetched:" + hashlib.sha256(url.encode()).hexdigest()
            if cache.get(self._read, marker) is None:
                self._cache_put(marker, True, JWKS_REFETCH_INTERVAL)
                found = find(self._fetch_jwks(url, refresh=True))
        if found is None:
            raise LaunchError(f"The platform's key set has no key {kid!r} for {alg}.")
        return _jwk_to_pem(found), alg

    # signature and claims -------------------------------------------------
    def validate_jwt_signature(self) -> ToolMessageLaunch:
        public_key, alg = self.get_public_key()
        client_id = self.get_client_id()
        try:
            jwt.decode(
                self._get_id_token(),
                public_key,
                algorithms=[alg],
                audience=client_id,
                issuer=self.get_iss(),
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "nonce"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise LaunchError("The launch has expired (exp is in the past).") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise LaunchError(f"The id_token lacks the required claim {exc.claim!r}.") from exc
        except jwt.ImmatureSignatureError as exc:
            raise LaunchError("The id_token was issued in the future (iat).") from exc
        except jwt.InvalidSignatureError as exc:
            raise LaunchError("The id_token's signature is not valid.") from exc
        except jwt.InvalidTokenError as exc:
            raise LaunchError(f"The id_token is not valid: {exc}.") from exc
        return self

    def validate_deployment(self) -> ToolMessageLaunch:
        try:
            return super().validate_deployment()
        except LtiMessageValidationException as exc:
            raise LaunchError(
                f"This tool is not set up for the deployment "
                f"{self._get_deployment_id()!r} of this platform. An administrator can add it "
                "with `lmspack platform add-deployment`."
            ) from exc

    def validate_registration(self) -> ToolMessageLaunch:
        try:
            return super().validate_registration()
        except LtiMessageValidationException as exc:
            if isinstance(exc, LaunchError):
                raise
            raise LaunchError(
                f"This tool has no registration for the platform {self.get_iss()!r} with "
                f"client id {self.get_client_id()!r}."
            ) from exc

    def validate_nonce(self) -> ToolMessageLaunch:
        nonce = self._get_jwt_body().get("nonce")
        if not nonce or not isinstance(nonce, str):
            raise LaunchError("The id_token has no nonce.")
        if not self._session_service.check_nonce(nonce):
            raise LaunchError(
                "This launch was already used or has expired (nonce). "
                "Open the activity again from your course page."
            )
        return self

    def validate_state(self) -> ToolMessageLaunch:
        try:
            return super().validate_state()
        except LtiMessageValidationException as exc:
            raise LaunchError(
                "The launch did not come back to the browser that started it (state). "
                "If your browser blocks cookies in embedded pages, open the activity in a "
                "new window."
            ) from exc

    def save_launch_data(self) -> ToolMessageLaunch:
        # Only deep linking needs the launch again (the picker posts back); a resource link
        # launch is written to the store instead.
        if self.is_deep_link_launch():
            self._session_service.save_launch_data(self._launch_id, self._jwt["body"])
        return self

    def validate(self) -> ToolMessageLaunch:
        if self._restored:
            raise LtiMessageValidationException("A restored launch can't be validated.")
        self._validated = True
        try:
            self.validate_state()
            self.validate_jwt_format()
            self.validate_header()
            self.validate_registration()
            self.validate_jwt_signature()
            self.validate_deployment()
            self.validate_message()
            self.validate_nonce()  # last: a launch that fails a check leaves its nonce
            self.save_launch_data()
        except Exception:
            self._validated = False
            raise
        return self


# --------------------------------------------------------------------------- services


class DbServiceConnector(ServiceConnector):
    """Access tokens for AGS/NRPS cached in the database (shared by all workers).

    Use it with a store session: `DbServiceConnector(registration, http_session(), db=session)`.
    """

    def __init__(self, registration, requests_session=None, *, db: Session | None = None):
        super().__init__(registration, requests_session or http_session())
        self._db = db

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        if self._db is None:
            return None
        return cache.get(self._db, "access-token:" + scope_key)

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float):
        if self._db is not None and expires_in:
            ttl = max(int(expires_in) - 60, 1)
            cache.put(self._db, "access-token:" + scope_key, access_token, ttl)


def new_secret() -> str:
    return secrets.token_urlsafe(48)


def platform_by_id(db: Session, platform_id: int) -> Platform | None:
    return db.scalar(select(Platform).where(Platform.id == platform_id))


__all__ = [
    "DbLaunchDataStorage",
    "DbServiceConnector",
    "DbSessionService",
    "DbToolConf",
    "LaunchError",
    "LtiException",
    "ToolMessageLaunch",
    "ToolOIDCLogin",
    "http_session",
    "registration_for",
]
