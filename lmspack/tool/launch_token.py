"""The launch token: what the player (and the admin pages) carry after an LTI launch.

A JWT, HS256, signed with a key derived from the app's SECRET_KEY, short-lived, bound to one
user, platform, context, resource link, attempt and role. The learner API requires it as
`Authorization: Bearer <token>` on every call:

    from lmspack.tool.launch_token import require_launch

    @bp.post("/api/v1/answers")
    @require_launch("learner")
    def answer():
        launch = g.launch            # LaunchClaims
        ... filter every query by launch.platform_id and launch.context_id ...

Claims: iss "lmspack", aud "lmspack-api", typ "launch", sub (users.id), plt (platforms.id),
ctx (contexts.id), rl (resource_links.id), att (attempts.id or null), role
("learner" | "instructor"), crs (course id), lat (when the LTI launch happened), iat, exp.

A token can be exchanged for a fresh one (`refresh_launch_token`, POST /api/v1/session) while
it is valid and until `max_age` after the launch, so a learner who leaves the course open
keeps their session, but a copied token stops working at the latest that long after launch.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import time
from dataclasses import dataclass

import jwt
from flask import abort, current_app, g, request
from werkzeug.exceptions import Unauthorized

ISSUER = "lmspack"
AUDIENCE = "lmspack-api"
ROLES = ("learner", "instructor")
DEFAULT_TTL = 4 * 3600
DEFAULT_MAX_AGE = 12 * 3600


class LaunchNeeded(Unauthorized):
    """A page asked for without a launch token: a direct visit, or a reload after the page
    took the token out of its address (the tool's 401 page then brings it back from the tab's
    sessionStorage, app.launch_needed_page)."""

    description = "This page needs a launch from your course page."


class InvalidLaunchToken(Exception):
    pass


@dataclass(frozen=True)
class LaunchClaims:
    user_id: int
    platform_id: int
    context_id: int
    resource_link_id: int
    attempt_id: int | None
    role: str
    course_id: str
    expires_at: int = 0
    launched_at: int = 0  # the LTI launch this session comes from (epoch seconds)

    @property
    def is_instructor(self) -> bool:
        return self.role == "instructor"


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"lmspack launch token v1", hashlib.sha256).digest()


def issue_launch_token(
    secret: str, claims: LaunchClaims, ttl: int = DEFAULT_TTL, max_age: int | None = None
) -> str:
    return _issue(secret, claims, ttl, max_age)[0]


def _issue(secret: str, claims: LaunchClaims, ttl: int, max_age: int | None) -> tuple[str, int]:
    """(the token, its expiry in epoch seconds)."""
    if claims.role not in ROLES:
        raise ValueError(f"unknown role {claims.role!r}")
    now = int(time.time())
    launched = claims.launched_at or now
    exp = now + ttl
    if max_age is not None:
        exp = min(exp, launched + max_age)
    payload = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "typ": "launch",
        "sub": str(claims.user_id),
        "plt": claims.platform_id,
        "ctx": claims.context_id,
        "rl": claims.resource_link_id,
        "att": claims.attempt_id,
        "role": claims.role,
        "crs": claims.course_id,
        "lat": launched,
        "iat": now,
        "exp": exp,
    }
    return jwt.encode(payload, _key(secret), algorithm="HS256"), exp


def verify_launch_token(token: str, secret: str) -> LaunchClaims:
    """Check signature, expiry, audience and shape; raise InvalidLaunchToken otherwise."""
    try:
        p = jwt.decode(
            token,
            _key(secret),
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "plt", "ctx", "rl", "role"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidLaunchToken("the launch has expired; open the activity again") from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidLaunchToken(f"invalid launch token: {exc}") from exc
    if p.get("typ") != "launch" or p.get("role") not in ROLES:
        raise InvalidLaunchToken("invalid launch token")
    try:
        return LaunchClaims(
            user_id=int(p["sub"]),
            platform_id=int(p["plt"]),
            context_id=int(p["ctx"]),
            resource_link_id=int(p["rl"]),
            attempt_id=None if p.get("att") is None else int(p["att"]),
            role=p["role"],
            course_id=str(p.get("crs", "")),
            expires_at=int(p["exp"]),
            launched_at=int(p.get("lat") or p["iat"]),
        )
    except (TypeError, ValueError) as exc:
        raise InvalidLaunchToken("invalid launch token") from exc


def refresh_launch_token(
    secret: str, claims: LaunchClaims, ttl: int = DEFAULT_TTL, max_age: int = DEFAULT_MAX_AGE
) -> tuple[str, int] | None:
    """(a new token for the same launch: same user, context, attempt, role and launch time,
    its expiry), the expiry fresh but capped at `max_age` after the launch; None once that
    has passed."""
    if time.time() >= claims.launched_at + max_age - 60:
        return None
    return _issue(secret, claims, ttl, max_age)


def token_from_request() -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return request.args.get("t") or None


def current_launch(*roles: str) -> LaunchClaims:
    """The verified launch of this request (401 without one, 403 for another role)."""
    token = token_from_request()
    if not token:
        raise LaunchNeeded()
    try:
        claims = verify_launch_token(token, current_app.config["SECRET_KEY"])
    except InvalidLaunchToken as exc:
        abort(401, description=str(exc).capitalize() + ".")
    if roles and claims.role not in roles:
        abort(403, description="Your role in this course does not give access to this page.")
    return claims


def require_launch(*roles: str):
    """Decorator: verify the launch token and put it in `g.launch`."""

    def deco(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            g.launch = current_launch(*roles)
            return view(*args, **kwargs)

        return wrapper

    return deco
