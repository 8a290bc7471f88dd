"""Database faults that are the database's state, not a bug: a lock held past the busy
timeout, a read-only file or server, a full disk, a server that can't be reached.

    fault = classify(exc)        # a Fault, or None for anything else (a real bug: a 500)
    note(fault, exc)             # one log line per kind of fault per LOG_EVERY seconds
    log_failure(log, what, exc)  # carrying on: a fault is a note(), anything else a traceback
    discard_broken_connections(engine)   # a read-only or lost connection is not reused

The app answers a Fault with 503 and Retry-After (`tool/app.py`), so the player keeps the
learner's work and sends it again; the log gets one line per fault, not a traceback per
request (one run logged 3,872 tracebacks in 20 s).
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine, event
from sqlalchemy import exc as sa_exc

log = logging.getLogger("lmspack.store")

LOG_EVERY = 60.0  # seconds between two log lines about the same kind of fault


@dataclass(frozen=True)
class Fault:
    kind: str  # "busy", "read-only", "full", "unavailable"
    retry_after: int  # seconds, for the Retry-After header
    reason: str  # what the learner and the administrator read
    reconnect: bool = False  # this connection must not be used again


BUSY = Fault("busy", 2, "the database is busy with other work")
READ_ONLY = Fault("read-only", 30, "the database can only be read just now", reconnect=True)
FULL = Fault("full", 60, "the database's disk is full")
UNAVAILABLE = Fault("unavailable", 10, "the database cannot be reached", reconnect=True)

# SQLite primary result codes (extended code & 0xFF)
_SQLITE = {5: BUSY, 6: BUSY, 8: READ_ONLY, 13: FULL, 10: UNAVAILABLE, 14: UNAVAILABLE}
# PostgreSQL SQLSTATEs, most specific first; a class (two characters) covers the rest of it
_PG = {
    "25006": READ_ONLY,  # read_only_sql_transaction (a standby, default_transaction_read_only)
    "53100": FULL,  # disk_full
    "55P03": BUSY,  # lock_not_available (lock_timeout)
    "57014": BUSY,  # query_canceled (statement_timeout)
    "40P01": BUSY,  # deadlock_detected
    "40001": BUSY,  # serialization_failure
    "53300": UNAVAILABLE,  # too_many_connections
    "08": UNAVAILABLE,  # connection exceptions
    "57P": UNAVAILABLE,  # admin/crash shutdown, cannot connect now
}


def classify(exc: BaseException) -> Fault | None:
    """The fault behind a SQLAlchemy error, or None when it is not one of these."""
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time
        return BUSY
    if not isinstance(exc, sa_exc.DBAPIError):
        return None
    return driver_fault(exc.orig) or (UNAVAILABLE if exc.connection_invalidated else None)


def driver_fault(orig: BaseException | None) -> Fault | None:
    """The fault behind a driver's (pysqlite's, psycopg's) own exception."""
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        return _SQLITE.get(code & 0xFF) if isinstance(code, int) else None
    state = getattr(orig, "sqlstate", None)
    if isinstance(state, str):
        return next((f for prefix, f in _PG.items() if state.startswith(prefix)), None)
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None and isinstance(orig, psycopg.OperationalError):
        return UNAVAILABLE  # no SQLSTATE: the server could not be reached at all
    return None


class _Throttle:
    """When each kind was last logged, and how many were not logged since."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._quiet: dict[str, int] = {}

    def due(self, kind: str) -> int | None:
        """None if this one is not to be logged; else how many were left out before it."""
        now = time.monotonic()
        with self._lock:
            last = self._last.get(kind)
            if last is not None and now - last < LOG_EVERY:
                self._quiet[kind] = self._quiet.get(kind, 0) + 1
                return None
            self._last[kind] = now
            return self._quiet.pop(kind, 0)

    def reset(self) -> None:
        with self._lock:
            self._last.clear()
            self._quiet.clear()


_throttle = _Throttle()


def note(fault: Fault, exc: BaseException, where: str = "") -> None:
    """One warning line (no traceback) per kind of fault per LOG_EVERY s in this process."""
    quiet = _throttle.due(fault.kind)
    if quiet is None:
        return
    detail = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
    more = f"; {quiet} more since the last line" if quiet else ""
    log.warning(
        "database fault (%s)%s: %s; to be tried again in %s s%s",
        fault.kind, f" on {where}" if where else "", detail, fault.retry_after, more,
    )  # fmt: skip


def log_failure(logger: logging.Logger, what: str, exc: BaseException) -> None:
    """For code that carries on after a failure: a fault is one throttled line (note), any
    other error its traceback."""
    fault = classify(exc)
    if fault is None:
        logger.exception(what)
    else:
        note(fault, exc, what)


def reset_log_throttle() -> None:
    """Forget what was logged (tests)."""
    _throttle.reset()


def discard_broken_connections(engine: Engine) -> None:
    """A connection that met a read-only database or lost its server is dropped with every
    other pooled one: SQLite opens a write-protected file read-only and stays so after the
    file is writable again (a worker that started then failed every write), and a
    PostgreSQL standby promoted, or a server restarted, needs new connections."""

    @event.listens_for(engine, "handle_error")
    def _mark(ctx) -> None:
        fault = driver_fault(ctx.original_exception)
        if fault is not None and fault.reconnect:
            ctx.is_disconnect = True
