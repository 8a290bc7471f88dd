"""What every blueprint needs per request, read from the app the request runs in: the
database sessions, the store, the configuration, the course sites and the tool's base URL.
Blueprints import this, never the factory (app.py imports them)."""

from __future__ import annotations

from flask import current_app, g, request
from sqlalchemy.orm import Session

from ..lti.outbound import OutboundPolicy
from ..store import Store
from .config import ToolConfig


def db() -> Session:
    """The request's database session (closed at teardown; views commit)."""
    if "db" not in g:
        g.db = store().sessions()
    return g.db


def autocommit_db() -> Session:
    """The request's session, made as Store.autocommit_sessions (each statement commits by
    itself: no BEGIN/COMMIT round trips on PostgreSQL); call it before anything else opens
    `db()`. For a request that writes one row and needs no transaction (the login)."""
    if "db" not in g:
        g.db = store().autocommit_sessions()
    return g.db


def read_db() -> Session:
    """A session for reads. On SQLite a separate one, which never waits for a writer; on
    PostgreSQL (MVCC: readers never wait anyway) the request's session, to save a
    connection and its round trips."""
    st = store()
    if not st.is_sqlite:
        return db()
    if "read_db" not in g:
        g.read_db = st.read_sessions()
    return g.read_db


def close_sessions() -> None:
    for name in ("db", "read_db"):
        session = g.pop(name, None)
        if session is not None:
            session.close()


def store() -> Store:
    return current_app.extensions["lmspack.store"]


def tool_config() -> ToolConfig:
    return current_app.extensions["lmspack.config"]


def sites() -> dict:
    return current_app.extensions["lmspack.sites"]


def base_url() -> str:
    cfg = tool_config()
    return cfg.base_url or request.url_root.rstrip("/")


def outbound_policy() -> OutboundPolicy:
    """What the tool may fetch at addresses a platform named (see lmspack.lti.outbound)."""
    cfg = tool_config()
    return OutboundPolicy.for_tool(cfg.base_url, allow_private=cfg.allow_private_platforms)
