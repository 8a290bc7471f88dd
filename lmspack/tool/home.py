"""The tool's own addresses: `/` (what this is, and where its administrator's configuration
page is), `/favicon.ico`, and `/healthz`, which checks that the database takes a write (a
worker whose database became read-only must not be reported healthy)."""

from __future__ import annotations

import os

from flask import Blueprint, current_app, render_template, send_from_directory
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ..store import cache, faults
from ..store.models import utcnow
from .context import sites, store

bp = Blueprint("home", __name__)

HEARTBEAT_KEY = "lmspack:heartbeat"


@bp.get("/")
def index():
    titles = [site.course.title for site in sites().values()]
    return render_template("home.html", titles=titles), {"Cache-Control": "no-store"}


@bp.get("/favicon.ico")
def favicon():
    resp = send_from_directory(current_app.static_folder, "favicon.ico", max_age=86400)
    resp.mimetype = "image/vnd.microsoft.icon"
    return resp


@bp.get("/healthz")
def healthz():
    fault = _heartbeat()
    if fault is None:
        return {"ok": True}, {"Cache-Control": "no-store"}
    body = {"ok": False, "fault": fault.kind, "error": fault.reason}
    return body, 503, {"Retry-After": str(fault.retry_after), "Cache-Control": "no-store"}


def _heartbeat() -> faults.Fault | None:
    """Update the heartbeat row in a transaction of its own. A fault that dropped its
    connection (read-only, lost server) is tried once more on a new one: the old connection
    may be all that is wrong (SQLite keeps a file it opened read-only so)."""
    for last in (False, True):
        try:
            with store().transaction() as s:
                value = {"at": utcnow().isoformat(), "pid": os.getpid()}
                cache.put(s, HEARTBEAT_KEY, value, None)
            return None
        except (DBAPIError, PoolTimeout) as exc:
            fault = faults.classify(exc)
            if fault is None:
                raise
            if last or not fault.reconnect:
                faults.note(fault, exc, "GET /healthz")
                return fault
    return None
