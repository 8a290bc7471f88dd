"""The tool's configuration: environment variables, or a TOML file named by LMSPACK_CONFIG.

Settings (environment variable: meaning, default):

- LMSPACK_BASE_URL: public base URL, e.g. https://lti.example.org (default: from the request)
- DATABASE_URL: sqlite:///path or postgresql+psycopg://... (default: instance/lmspack.sqlite)
- SECRET_KEY: signs launch tokens (default: one is made once and kept in the database)
- LMSPACK_TRUSTED_PROXIES: number of reverse proxies in front, for ProxyFix (default 0)
- LMSPACK_COURSE: the course source folder to serve (default course_src)
- LMSPACK_TOKEN_TTL: launch token lifetime in seconds (default 14400); the course page
  renews it while it is open, up to
- LMSPACK_SESSION_MAX_AGE: seconds after the LTI launch that a session can last (default 43200)
- LMSPACK_JWT_LEEWAY: clock skew allowed on id_token exp/iat, seconds (default 15)
- LMSPACK_HTTP_TIMEOUT: timeout of outbound calls (JWKS, registration, AGS), s (default 10)
- LMSPACK_COOKIE_CHECK: the login page that keeps the login's proof where the platform's
  frame allows, with the new-window fallback (default 1; 0: a plain redirect, cookie only)
- LMSPACK_REGISTRATION_KEY: dynamic registration is closed unless the URL carries an invite
  (`lmspack platform invite`) or, if this is set, ?key=<it> (a key that does not run out;
  an invite is single use and expires, so prefer invites) (default: unset)
- LMSPACK_ALLOW_PRIVATE_PLATFORMS: registration may fetch from private, loopback and
  link-local addresses (a Moodle on the organisation's network) (default 0: public only;
  loopback is allowed when LMSPACK_BASE_URL itself is on loopback)
- LMSPACK_GRADES_BACKGROUND: each web process sends queued grades in a background thread
  (default 1; with 0, run `lmspack grades send` from cron or a separate process)
- LMSPACK_GRADES_POLL_SECONDS: the longest that thread sleeps between looks for grades due a
  retry (default 60; it also wakes when the earliest one is due)

The file (TOML) uses the same names in lower case without the LMSPACK_ prefix:
`base_url`, `database_url`, `secret_key`, `trusted_proxies`, `course`, ...; environment
variables win over the file.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

ENV = {
    "base_url": "LMSPACK_BASE_URL",
    "database_url": "DATABASE_URL",
    "secret_key": "SECRET_KEY",
    "trusted_proxies": "LMSPACK_TRUSTED_PROXIES",
    "course": "LMSPACK_COURSE",
    "token_ttl": "LMSPACK_TOKEN_TTL",
    "session_max_age": "LMSPACK_SESSION_MAX_AGE",
    "jwt_leeway": "LMSPACK_JWT_LEEWAY",
    "http_timeout": "LMSPACK_HTTP_TIMEOUT",
    "cookie_check": "LMSPACK_COOKIE_CHECK",
    "registration_key": "LMSPACK_REGISTRATION_KEY",
    "allow_private_platforms": "LMSPACK_ALLOW_PRIVATE_PLATFORMS",
    "grades_background": "LMSPACK_GRADES_BACKGROUND",
    "grades_poll_seconds": "LMSPACK_GRADES_POLL_SECONDS",
}


@dataclass
class ToolConfig:
    base_url: str = ""
    database_url: str = ""
    secret_key: str = ""
    trusted_proxies: int = 0
    course: str = "course_src"
    token_ttl: int = 4 * 3600
    session_max_age: int = 12 * 3600
    jwt_leeway: int = 15
    http_timeout: float = 10.0
    cookie_check: bool = True
    registration_key: str = ""
    allow_private_platforms: bool = False
    grades_background: bool = True
    grades_poll_seconds: float = 60.0
    extra: dict = field(default_factory=dict)  # passed to Flask's app.config

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, file: str | Path | None = None):
        env = os.environ if env is None else env
        values: dict = {}
        file = file or env.get("LMSPACK_CONFIG")
        if file:
            with open(file, "rb") as fh:
                values.update(tomllib.load(fh))
        for name, var in ENV.items():
            if env.get(var) not in (None, ""):
                values[name] = env[var]
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping) -> ToolConfig:
        known = {f.name: f for f in fields(cls)}
        kwargs: dict = {}
        for k, v in values.items():
            if k not in known:
                raise ValueError(f"unknown setting {k!r}")
            kind = known[k].type
            if kind == "int":
                v = int(v)
            elif kind == "float":
                v = float(v)
            elif kind == "bool" and isinstance(v, str):
                v = v.strip().lower() not in ("0", "false", "no", "off", "")
            kwargs[k] = v
        cfg = cls(**kwargs)
        cfg.base_url = cfg.base_url.rstrip("/")
        return cfg
