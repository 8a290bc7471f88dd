"""The `course` blueprint: the rendered course (lti mode) under /course/<id>/<version>/.

The launch token comes in the address (`?t=`). The player keeps it in the tab's
sessionStorage and takes it out of the address bar (lti.js), so a copied link doesn't carry
the learner's session; the page without a token brings it back from there on a reload.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, g, redirect

from .context import base_url, sites
from .launch_token import current_launch, token_from_request

bp = Blueprint("course", __name__)


@bp.get("/course/<course_id>/<version>/")
def index(course_id: str, version: str):
    site = sites().get(course_id)
    if site is None:
        abort(404, description=f"This tool does not serve the course {course_id!r}.")
    launch = g.launch = current_launch()
    if launch.course_id != course_id:
        abort(403, description="This launch is for another course.")
    token = token_from_request() or ""
    if version != site.version:  # the course was updated since the link was made
        return redirect(site.prefix + "?" + urlencode({"t": token}), code=303)
    html = site.index_html(
        {
            "token": token,
            "role": launch.role,
            "attemptId": launch.attempt_id,
            "expiresAt": launch.expires_at,
            "apiBase": base_url() + "/api/v1",
        }
    )
    return html, {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
    }


@bp.get("/course/<course_id>/<version>/<path:path>")
def asset(course_id: str, version: str, path: str):
    site = sites().get(course_id)
    if site is None or version != site.version:
        abort(404, description="No such file.")
    found = site.static(path)
    if found is None:
        abort(404, description="No such file.")
    data, mime = found
    return data, {"Content-Type": mime, "Cache-Control": "public, max-age=86400"}
