"""The tool's error pages: every refused request gets a clear page (JSON under /api/ or when
asked for), never a traceback; an unexpected error is logged once and answered with a plain
500 page."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, g, make_response, render_template, request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from ..store import faults
from .launch_token import LaunchNeeded
from .pylti import LaunchError, LtiException

log = logging.getLogger("lmspack.tool")


TITLES = {
    400: "This launch could not be accepted",
    401: "Please open this activity from your course",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    413: "Too large",
    502: "The learning platform did not answer as expected",
    503: "Please try again in a moment",
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_page(
    status: int,
    message: str,
    *,
    title: str | None = None,
    hint: str | None = None,
    restore_launch: bool = False,
):
    if wants_json():
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


def register_error_handlers(app: Flask) -> None:
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

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def _database_error(exc: Exception):
        fault = faults.classify(exc)
        if fault is None:
            return _unexpected(exc)
        faults.note(fault, exc, f"{request.method} {request.path}")
        return fault_page(fault)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_page(
            500,
            "Something went wrong on our side. Please try again; if it keeps happening, "
            "tell your course administrator.",
            title="Something went wrong",
        )


def fault_page(fault: faults.Fault):
    """503 with Retry-After for a database fault: nothing was saved, and sending the same
    again later will work (the player does so by itself). The request's session is rolled
    back first, so what still reads from it (the response's headers) does not fail too."""
    for name in ("db", "read_db"):
        session = g.get(name)
        if session is not None:
            with contextlib.suppress(Exception):  # a lost connection: teardown closes it
                session.rollback()
    if wants_json():  # the player sends it again by itself after Retry-After
        message = (
            f"This could not be saved just now: {fault.reason}. Nothing was changed; "
            f"send it again in {fault.retry_after} s."
        )
        body = {"error": message, "status": 503, "fault": fault.kind}
        resp = make_response({**body, "retryAfter": fault.retry_after}, 503)
    else:
        message = (
            f"This could not be saved just now: {fault.reason}. Nothing was changed. Please "
            f"try again in a minute: reload this page, or open the activity again from your "
            f"course page."
        )
        resp = make_response(error_page(503, message))
    resp.headers["Retry-After"] = str(fault.retry_after)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _hint() -> str:
    return "Go back to your course page and open the activity again."
