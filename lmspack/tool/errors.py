"""The tool's error pages: every refused request gets a clear page (JSON under /api/ or when
asked for), never a traceback; an unexpected error is logged once and answered with a plain
500 page."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

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
