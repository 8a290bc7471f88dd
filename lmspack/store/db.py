"""Engine and sessions: SQLite by default (one file, WAL), PostgreSQL through DATABASE_URL.

Everything the tool remembers between two requests lives here, never in a process's memory,
so any gunicorn worker (or another host sharing one PostgreSQL) can take the next request.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from .faults import discard_broken_connections

DEFAULT_SQLITE = Path("instance") / "lmspack.sqlite"
IDLE_PING = 5.0  # seconds a pooled PostgreSQL connection may rest before it is pinged


def database_url(url: str | None = None) -> str:
    """The database to use: the argument, else $DATABASE_URL, else instance/lmspack.sqlite."""
    url = url or os.environ.get("DATABASE_URL") or ""
    if not url:
        return f"sqlite:///{DEFAULT_SQLITE}"
    # Heroku-style and bare postgres URLs mean psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(
    url: str | None = None,
    *,
    busy_timeout: float = 10.0,
    idle_ping: float = IDLE_PING,
    **kwargs,
) -> Engine:
    """An engine with the settings the tool relies on (WAL, busy timeout, foreign keys).
    `busy_timeout`: seconds a SQLite write waits for the lock before it is a fault (503).
    `idle_ping`: seconds after which a PostgreSQL connection is pinged before use."""
    url = database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": busy_timeout, "check_same_thread": False}, **kwargs
        )
        event.listen(engine, "connect", partial(_sqlite_pragmas, busy_ms=int(busy_timeout * 1000)))
        discard_broken_connections(engine)
        # pysqlite's own transaction handling is switched off (see _sqlite_pragmas) and every
        # transaction takes the write lock up front: a deferred transaction that read and then
        # writes after another writer committed fails at once (SQLITE_BUSY_SNAPSHOT) instead
        # of waiting; BEGIN IMMEDIATE waits (busy_timeout) and SAVEPOINTs work.
        # Sessions made with READ_ONLY (Store.read_sessions) start a plain BEGIN instead: in
        # WAL mode a reader never waits for a writer (e.g. /lti/jwks while a write is open).
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # Per process: a sync worker needs 1-2 connections, a gthread worker about its threads
    # + 1; at most 10 each keeps 5 workers well under PostgreSQL's default max_connections.
    kwargs.setdefault("pool_size", 5)
    kwargs.setdefault("max_overflow", 5)
    engine = create_engine(url, **kwargs)
    discard_broken_connections(engine)
    if not kwargs.get("pool_pre_ping"):
        ping_when_idle(engine, idle_ping)
    return engine


def ping_when_idle(engine: Engine, idle: float) -> None:
    """SQLAlchemy's pool_pre_ping, for connections that rested `idle` seconds or more.

    pool_pre_ping costs a round trip at every checkout: two per launch (issue 15). A
    connection in use a moment ago is as good as the answer it got then; one that rested
    (the server may have restarted, a proxy may have dropped it) is pinged as before and,
    if the ping fails, replaced before the request sees it. A server lost in the last
    `idle` seconds fails the one statement that meets it: discard_broken_connections then
    drops the pool and the request is a 503 that the player sends again."""

    @event.listens_for(engine, "checkin")
    def _rested_from(_dbapi_conn, record) -> None:
        if record is not None:
            record.info["lmspack_checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn, record, _proxy) -> None:
        since = record.info.get("lmspack_checked_in")
        if since is None or time.monotonic() - since < idle:
            return  # new, or in use a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise sa_exc.DisconnectionError("the pooled connection is gone") from exc
        if not alive:
            raise sa_exc.DisconnectionError("the pooled connection is gone")


READ_ONLY = "lmspack_read_only"


def _sqlite_begin(conn) -> None:
    read_only = conn.get_execution_options().get(READ_ONLY)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _decode_text(raw: bytes) -> str:
    """SQLite text as str even when it is not valid UTF-8: json_extract() turns a stored
    "\\ud800" escape into bytes no UTF-8 decoder takes, and pysqlite would then fail the whole
    query (a report for every teacher). Such bytes become U+FFFD instead; measured cost
    0.33 us per text value over pysqlite's built-in decoder."""
    return raw.decode("utf-8", "replace")


def _sqlite_pragmas(dbapi_conn, _record, busy_ms: int = 10000) -> None:
    dbapi_conn.isolation_level = None  # autocommit at the driver; SQLAlchemy emits BEGIN
    dbapi_conn.text_factory = _decode_text
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={busy_ms}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def insert_for(dialect: str):
    """The dialect's `insert` (with ON CONFLICT ... DO UPDATE / DO NOTHING): the store's
    upserts are single statements on both databases."""
    return pg_insert if dialect == "postgresql" else sqlite_insert


def insert_for_session(session: Session):
    return insert_for(session.get_bind().dialect.name)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with factory() as session, session.begin():
        yield session
