"""pylti1p3 (the pylti1p3next fork) wired to the store, with the library's gaps closed here.

- `DbToolConf`: registrations and deployments from the platforms/deployments tables; the
  tool's private key and kid from tool_keys.
- `DbLaunchDataStorage`: pylti1p3's launch-data storage in `cache_entries` (with expiry).
- `DbSessionService`: each login's state, nonce and platform as one row in `logins`
  (`store.logins`), which the launch consumes atomically; the launch's checks are in
  message_launch.py.
- `http_session()`, `registration_for()`: from lmspack/lti/services.py (Flask-free, shared
  with the grade sender and the roster), imported here for the launch.
"""

from __future__ import annotations

import secrets
import typing as t
from dataclasses import dataclass

from pylti1p3.contrib.flask import FlaskCookieService, FlaskOIDCLogin
from pylti1p3.contrib.flask.request import FlaskRequest
from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.exception import LtiException, LtiMessageValidationException
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.session import SessionService
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..lti.services import StoreRegistration, http_session, registration_for
from ..store import cache, logins, lookups
from ..store import keys as tool_keys
from ..store.lookups import PlatformRow
from ..store.models import Platform

ALLOWED_ALGS = ("RS256", "RS384", "RS512")
LOGIN_TTL = 600  # seconds between login and launch


class LaunchError(LtiMessageValidationException):
    """A launch we refuse, with a message fit for the page (and a status code)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# --------------------------------------------------------------------------- cache


class DbLaunchDataStorage(LaunchDataStorage[t.Any]):
    """pylti1p3's launch data storage in the `cache_entries` table."""

    def __init__(self, db: Session, read: Session | None = None, *, cookie_optional=False):
        super().__init__()
        self._db = db
        self._read = read or db
        self._cookie_optional = cookie_optional  # at the launch: see get_session_cookie_name

    def get_session_cookie_name(self) -> str | None:
        # Over plain HTTP (development, tests on loopback) browsers drop SameSite=None
        # cookies, so keys are not bound to a session cookie there (as pylti1p3's cache
        # storage does). Over HTTPS they are, except at a launch that brought no session
        # cookie (a platform's frame that sends the tool no cookie: its state is
        # proved another way, embedded.py); the deep-linking ticket still guards that data.
        if self._request is not None and not self._request.is_secure():
            return None
        name = super().get_session_cookie_name()
        cookie = f"{ToolCookieService._cookie_prefix}-{name}"
        if self._cookie_optional and self._request is not None and not self._request.get_cookie(
            cookie
        ):
            return None
        return name

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> t.Any:
        return cache.get(self._read, self._prepare_key(key))

    def set_value(self, key: str, value: t.Any, exp: int | None = None) -> None:
        cache.put(self._db, self._prepare_key(key), value, exp)

    def check_value(self, key: str) -> bool:
        return self.get_value(key) is not None


class DbSessionService(SessionService):
    """Launch data in the cache table; each login (state, nonce, platform) in `logins`.

    pylti1p3's login calls `save_nonce(nonce)` and then, because /lti/login passes the
    platform on to the launch (`pass_params_to_launch`), `save_state_params(state,
    {"platform_id": ...})`: the two become one row. The launch takes that row back by its
    state (`consume_login`)."""

    def __init__(self, request: FlaskRequest, db: Session, read: Session | None = None):
        super().__init__(request)
        self._db = db
        self._nonce: str | None = None
        storage = DbLaunchDataStorage(db, read)
        storage.set_request(request)
        self.data_storage = storage

    def check_state_is_valid(self, state: str, id_token_hash: str) -> bool:
        # pylti1p3 lets a launch whose id_token it saw before pass without the state cookie
        # (for reloads). A reload is refused anyway (the login is single use), so the state
        # must always match the cookie; this also saves a database read per launch.
        return False

    def save_nonce(self, nonce: str) -> None:
        self._nonce = nonce

    def save_state_params(self, state: str, params: dict) -> None:
        if self._nonce is None or not isinstance(params.get("platform_id"), int):
            raise LtiException("login: the nonce and platform must come before the state")
        logins.save(
            self._db,
            state=state,
            nonce=self._nonce,
            platform_id=params["platform_id"],
            ttl=LOGIN_TTL,
        )
        self._nonce = None

    def get_state_params(self, state: str) -> dict:
        return {}  # nothing else is carried from the login to the launch

    def check_nonce(self, nonce: str) -> bool:
        raise NotImplementedError("the launch checks the nonce against its login")

    def consume_login(self, state: str) -> logins.LoginRecord | None:
        """The login `state` names, taken (single use, atomic); None if there is none."""
        if not state or not isinstance(state, str) or len(state) > 255:
            return None
        return logins.consume(self._db, state)


# --------------------------------------------------------------------------- tool config


@dataclass(frozen=True, slots=True)
class DeploymentRef:
    """The deployment a launch names: its row id and its platform-given id."""

    id: int
    deployment_id: str


class DbToolConf(ToolConfAbstract[FlaskRequest]):
    """Registrations from the store (read-only use of `db`; `Store.read_sessions` is fine).
    One issuer may have several client ids."""

    def __init__(self, db: Session):
        super().__init__()
        self._db = db
        self.platform: PlatformRow | None = None  # the last platform found (for the caller)
        self._found: dict[tuple[str, str | None], PlatformRow | None] = {}
        self.deployment: DeploymentRef | None = None  # the one validate_deployment found
        # A launch names its deployment before its registration is looked up: then both are
        # read in one statement (ToolMessageLaunch.validate_registration sets it).
        self.deployment_hint: str | None = None
        self._deployments: dict[tuple[int, str], int | None] = {}

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def _find_platform(self, iss: str, client_id: str | None) -> PlatformRow | None:
        key = (iss, client_id)
        if key not in self._found and self.deployment_hint is not None:
            found, pk = lookups.find_platform_and_deployment(
                self._db, iss, client_id, self.deployment_hint
            )
            if found is not None:
                self._deployments[(found.id, self.deployment_hint)] = pk
            self._found[key] = found
        if key not in self._found:  # pylti1p3 asks several times per request
            self._found[key] = lookups.find_platform(self._db, iss, client_id)
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
            platform = self._find_platform(iss, client_id)
        if platform is None or not deployment_id:
            return None
        known = (platform.id, str(deployment_id))
        if known in self._deployments:
            pk = self._deployments[known]
        else:
            pk = lookups.deployment_pk(self._db, platform.id, str(deployment_id))
        if pk is None:
            return None
        self.deployment = DeploymentRef(pk, str(deployment_id))
        return LtiDeployment().set_deployment_id(str(deployment_id))

    def get_jwks(self, iss=None, client_id=None, **kwargs):
        return tool_keys.published_jwks(self._db)


# --------------------------------------------------------------------------- login


class ToolCookieService(FlaskCookieService):
    """Cookies that survive Moodle's iframe: Secure; SameSite=None; Partitioned over HTTPS."""


class ToolOIDCLogin(FlaskOIDCLogin):
    """pylti1p3's login; its answer in the platform's frame is embedded.login_page."""


def new_secret() -> str:
    return secrets.token_urlsafe(48)


def platform_by_id(db: Session, platform_id: int) -> Platform | None:
    return db.scalar(select(Platform).where(Platform.id == platform_id))


__all__ = [
    "DbLaunchDataStorage",
    "DbSessionService",
    "DbToolConf",
    "LaunchError",
    "LtiException",
    "StoreRegistration",
    "ToolOIDCLogin",
    "http_session",
    "registration_for",
]
