"""The Flask application factory of the LTI tool: configuration, the store, the extensions
(course sites, the grade sender) and the blueprints. Nothing imports this module but the
entry points (`lmspack.tool.create_app`, the CLI, the WSGI server): what a blueprint needs per
request is in `context`, error pages in `errors`, response headers in `framing`.

    from lmspack.tool import create_app
    app = create_app()                      # configuration from the environment
    app = create_app({"database_url": ..., "base_url": ..., "course": ...})

Blueprints: `lti` (/lti/login, /lti/launch, /lti/jwks, /lti/register, /lti/config,
/lti/deep-link), `course` (/course/<id>/<version>/...), `api` (/api/v1/...), `admin`,
`reports` (/admin/<context>/...), `certificates` (/verify, /certificates,
/record, /issuer), `home` (/, /favicon.ico, /healthz).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import grades
from ..store import Store
from ..store.models import CacheEntry
from .admin import bp as admin_bp
from .api import bp as api_bp
from .certificates import bp as certificates_bp
from .config import ToolConfig
from .context import close_sessions
from .course_pages import bp as course_bp
from .course_site import load_sites
from .errors import register_error_handlers
from .framing import security_headers
from .home import bp as home_bp
from .lti import bp as lti_bp
from .no_session import NoSession
from .printable_response import PrintableResponse
from .pylti import new_secret
from .reports import bp as reports_bp
from .session_evaluation import bp as session_evaluation_bp
from .sessions import bp as sessions_bp

SECRET_CACHE_KEY = "lmspack:secret-key"
BLUEPRINTS = (
    home_bp, lti_bp, course_bp, admin_bp, api_bp, certificates_bp, reports_bp,
    sessions_bp,  # issue 12: live sessions and bookings
    session_evaluation_bp,  # issue 12: the evaluation after the session
)


def _secret_from_store(st: Store) -> str:
    """A secret shared by every worker, made once and kept in the database."""
    with st.transaction() as s:
        row = s.get(CacheEntry, SECRET_CACHE_KEY)
        if row is not None:
            return str(row.value)
    try:
        with st.transaction() as s:
            s.add(CacheEntry(key=SECRET_CACHE_KEY, value=new_secret(), expires_at=None))
    except Exception:  # another worker made it first
        pass
    with st.transaction() as s:
        return str(s.get(CacheEntry, SECRET_CACHE_KEY).value)


def _grade_sender(app: Flask, st: Store, config: ToolConfig) -> grades.BackgroundSender:
    """One per web process: sends a grade as soon as it is queued and what waits on a backoff
    when it is due (started by the process's first request, so a forked worker has its own)."""
    sender = grades.BackgroundSender(
        st, timeout=config.http_timeout, poll=float(app.config["GRADES_POLL_SECONDS"])
    )
    sender.enabled = bool(app.config["GRADES_BACKGROUND"])
    app.before_request(sender.ensure_started)
    return sender


def create_app(config: ToolConfig | dict[str, Any] | None = None, *, store_: Store | None = None):
    if config is None:
        config = ToolConfig.load()
    elif isinstance(config, dict):
        config = ToolConfig.from_mapping(config)

    st = store_ or Store.from_url(config.database_url or None)
    st.check_migrated()  # raises NotMigrated with a message saying what to run

    app = Flask(__name__)
    app.response_class = PrintableResponse  # stored odd text never makes a page fail
    app.session_interface = NoSession()  # nothing is kept in Flask's cookie session
    app.config.update(config.extra)
    app.config.setdefault("GRADES_BACKGROUND", config.grades_background)
    app.config.setdefault("GRADES_POLL_SECONDS", config.grades_poll_seconds)
    app.config["SECRET_KEY"] = config.secret_key or _secret_from_store(st)
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    app.extensions["lmspack.store"] = st
    app.extensions["lmspack.config"] = config
    app.extensions["lmspack.origins"] = (0.0, [])
    api_base = (config.base_url or "") + "/api/v1"
    app.extensions["lmspack.sites"] = load_sites([Path(config.course)], api_base)
    app.extensions["lmspack.grades"] = _grade_sender(app, st, config)

    if config.trusted_proxies:
        n = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)

    for bp in BLUEPRINTS:
        app.register_blueprint(bp)

    app.teardown_appcontext(lambda exc: close_sessions())
    app.after_request(lambda resp: security_headers(resp, config.base_url))
    register_error_handlers(app)
    return app
