"""The `admin` blueprint: /admin/<context> for teachers, scoped to the platform and context of
their launch (the launch token says which). Another engineer extends it (reports, NRPS)."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template

from ..store.records import context_summary
from .context import read_db, sites
from .launch_token import require_launch

bp = Blueprint("admin", __name__)

STATUS_LABELS = {
    "not_attempted": "Not started",
    "incomplete": "In progress",
    "completed": "Completed",
    "passed": "Passed",
    "failed": "Not passed",
}


@bp.get("/admin/<int:context_id>")
@require_launch("instructor")
def context_admin(context_id: int):
    launch = g.launch
    if launch.context_id != context_id:
        abort(403, description="Your launch is for another course; open this page from there.")
    summary = context_summary(read_db(), launch.platform_id, context_id)
    if not summary:
        abort(404, description="No such course.")
    site = sites().get(launch.course_id)
    return render_template(
        "admin.html",
        context=summary["context"],
        rows=summary["rows"],
        by_status=summary["by_status"],
        status_labels=STATUS_LABELS,
        course_title=site.course.title if site else launch.course_id,
    ), {"Cache-Control": "no-store"}
