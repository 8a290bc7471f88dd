"""The Flask application factory of the LTI tool.

    from lmspack.tool import create_app
    app = create_app()                      # configuration from the environment
    app = create_app({"database_url": ..., "base_url": ..., "course": ...})

Blueprints: `lti` (/lti/login, /lti/launch, /lti/jwks, /lti/register, /lti/config,
/lti/deep-link), `course` (/course/<id>/<version>/...), `admin` (/admin/<context>).
The learner JSON API (/api/v1/...) is registered by `lmspack.tool.api` when present.

Per request: `db()` gives one SQLAlchemy session (closed at teardown; views commit).
Every page of a refused request is a clear 4xx HTML page, never a traceback.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from ..store import Store
from ..store.models import CacheEntry
from ..store.platforms import platform_origins
from . import csp
from .config import ToolConfig
from .launch_token import LaunchNeeded
from .no_session import NoSession
from .printable_response import PrintableResponse
from .pylti import LaunchError, LtiException, new_secret

log = logging.getLogger("lmspack.tool")

SECRET_CACHE_KEY = "lmspack:secret-key"
ORIGINS_TTL = 10.0  # seconds a worker reuses the list of platform origins for CSP


def db() -> Session:
    """The request's database session."""
    if "db" not in g:
        g.db = current_app.extensions["lmspack.store"].sessions()
    return g.db


def read_db() -> Session:
    """A session for reads. On SQLite a separate one, which never waits for a writer; on
    PostgreSQL (MVCC: readers never wait anyway) the request's session, to save a
    connection and its round trips."""
    st = current_app.extensions["lmspack.store"]
    if not st.is_sqlite:
        return db()
    if "read_db" not in g:
        g.read_db = current_app.extensions["lmspack.store"].read_sessions()
    return g.read_db


def store() -> Store:
    return current_app.extensions["lmspack.store"]


def tool_config() -> ToolConfig:
    return current_app.extensions["lmspack.config"]


def sites() -> dict:
    return current_app.extensions["lmspack.sites"]


def base_url() -> str:
    cfg = tool_config()
    return cfg.base_url or request.url_root.rstrip("/")


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

    from .course_site import load_sites

    api_base = (config.base_url or "") + "/api/v1"
    app.extensions["lmspack.sites"] = load_sites([Path(config.course)], api_base)

    if config.trusted_proxies:
        n = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)

    from .admin import bp as admin_bp
    from .course_pages import bp as course_bp
    from .lti import bp as lti_bp

    app.register_blueprint(lti_bp)
    app.register_blueprint(course_bp)
    app.register_blueprint(admin_bp)
    try:  # the learner API, written separately, plugs in here
        from .api import bp as api_bp  # type: ignore[import-not-found]
    except ImportError:
        api_bp = None
    if api_bp is not None:
        app.register_blueprint(api_bp)
    from .attendance import bp as attendance_bp  # an admin records live-session attendance
    from .certificates import bp as certificates_bp  # issue 5: verify, downloads, CPD record
    from .reports import bp as reports_bp  # issue 5: admin reports, revoke / re-issue

    app.register_blueprint(certificates_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(attendance_bp)

    @app.get("/healthz")
    def healthz():
        return {"ok": True}

    @app.teardown_appcontext
    def _close_db(exc):
        for name in ("db", "read_db"):
            session = g.pop(name, None)
            if session is not None:
                session.close()

    @app.after_request
    def _security_headers(resp):
        launch = g.get("launch")
        if launch is not None:  # any page of a launch may be framed by its own platform
            allow_framing_by_platform(launch.platform_id)
        extra = g.get("frame_ancestors_extra", [])
        scripts = []
        if request.endpoint in csp.HASHED_ENDPOINTS and resp.mimetype == "text/html":
            scripts = csp.script_hashes(resp.get_data())  # pylti1p3's own inline scripts
        policy = csp.policy([*frame_origins(), *extra], connect=_origins(config.base_url),
                            scripts=scripts)  # fmt: skip
        resp.headers.setdefault("Content-Security-Policy", policy)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        return resp

    _register_error_handlers(app)
    return app


def _origins(*urls: str | None) -> list[str]:
    from .header_cache import origin_of

    return [o for o in map(origin_of, urls) if o]


def allow_framing_by(*urls: str | None) -> None:
    """Add these URLs' origins to this response's frame-ancestors (a platform registered a
    moment ago may not be in the cached list yet)."""
    g.setdefault("frame_ancestors_extra", []).extend(_origins(*urls))


def allow_framing_by_platform(platform_id: int) -> None:
    """The launch's platform, even if it was registered after this worker's cached list was
    read (frame_origins). Every response to a request with a launch (`g.launch`) gets it."""
    from ..store.models import Platform
    from .header_cache import platform_urls

    def load(pid: int) -> tuple[str, ...] | None:
        row = read_db().execute(
            select(Platform.issuer, Platform.auth_login_url).where(Platform.id == pid)
        ).first()
        return None if row is None else tuple(row)

    try:  # kept per process as long as frame_origins' list (ORIGINS_TTL)
        urls = platform_urls(ORIGINS_TTL).get(platform_id, load)
    except Exception:  # never fail a response for its headers
        log.exception("could not read the launch's platform")
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
        except Exception:  # never fail a response for its headers
            log.exception("could not read platform origins")
        current_app.extensions["lmspack.origins"] = (now, origins)
    return origins


TITLES = {
    400: "This launch could not be accepted",
    401: "Please open this activity from your course",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    413: "Too large",
    502: "The learning platform did not answer as expected",
}


def error_page(
    status: int,
    message: str,
    *,
    title: str | None = None,
    hint: str | None = None,
    restore_launch: bool = False,
):
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return {"error": message, "status": status}, status
    html = render_template(
        "error.html",
        status=status,
        title=title or TITLES.get(status, "Something went wrong"),
        message=message,
        hint=hint,
        restore_launch=restore_launch,
    )
    return html, status, {"Cache-Control": "no-store"}


def launch_needed_page(exc: LaunchNeeded):
    """401 for a page asked for without its launch token. After a reload of a page that took
    the token out of its address (the course page, the CPD record), this page brings it back
    from the tab's sessionStorage; anywhere else it is the plain message."""
    return error_page(401, exc.description, hint=_hint(), restore_launch=True)


def _register_error_handlers(app: Flask) -> None:
    app.register_error_handler(LaunchNeeded, launch_needed_page)

    @app.errorhandler(LaunchError)
    def _launch_error(exc: LaunchError):
        return error_page(exc.status, str(exc), hint=_hint())

    @app.errorhandler(LtiException)
    def _lti_error(exc: LtiException):
        return error_page(400, f"The launch was refused: {exc}", hint=_hint())

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return error_page(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_page(
            500,
            "Something went wrong on our side. Please try again; if it keeps happening, "
            "tell your course administrator.",
            title="Something went wrong",
        )


def _hint() -> str:
    return "Go back to your course page and open the activity again."
