"""The `admin` blueprint: /admin/<context>, the overview for teachers of who launched and
their status, scoped to the platform and context of their launch (the launch token says
which). The reports (reports.py) and attendance (attendance.py) share its scope check."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..store.records import context_summary
from .admin_scope import ATTEMPT_STATUS_LABELS, NO_STORE, nav, scoped_context
from .context import read_db, sites
from .launch_token import require_launch

bp = Blueprint("admin", __name__)


@bp.get("/admin/<int:context_id>")
@require_launch("instructor")
def context_admin(context_id: int):
    launch, ctx = scoped_context(context_id)
    summary = context_summary(read_db(), launch.platform_id, ctx.id)
    site = sites().get(launch.course_id)
    return render_template(
        "admin.html",
        context=summary["context"],
        rows=summary["rows"],
        by_status=summary["by_status"],
        status_labels=ATTEMPT_STATUS_LABELS,
        course_title=site.course.title if site else launch.course_id,
        nav=nav(ctx.id),
    ), NO_STORE
