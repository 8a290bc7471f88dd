"""What every admin page shares (the overview, the reports, the live sessions): the check that the
teacher's launch is for the context in the URL, the launch token carried on links and forms,
the navigation bar and the status labels.

Every admin view starts with `scoped_context` or `scope`: the URL's context must be the
launch's (else 403), and it is looked up under the launch's platform only (else 404), so a
direct URL to another context or platform shows nothing of it.
"""

from __future__ import annotations

from flask import abort, g, request, url_for

from ..course.model import Course
from ..reports.data import find_context
from ..store.models import Context
from .context import read_db, sites
from .launch_token import LaunchClaims

NO_STORE = {"Cache-Control": "no-store"}

# An attempt's stored status (attempts.status), as the overview and the session pages show it.
ATTEMPT_STATUS_LABELS = {
    "not_attempted": "Not started",
    "incomplete": "In progress",
    "completed": "Completed",
    "passed": "Passed",
    "failed": "Not passed",
}
# A learner's status in the completion report (`reports.summaries.STATUSES`).
REPORT_STATUS_LABELS = {
    "not started": "Not started",
    "in progress": "In progress",
    "failed": "Not passed",
    "passed": "Passed",
    "certified": "Certified",
}


def scoped_context(context_id: int) -> tuple[LaunchClaims, Context]:
    """The launch and its context, checked against the URL's `context_id`."""
    launch = g.launch
    if launch.context_id != context_id:
        abort(403, description="Your launch is for another course; open this page from there.")
    ctx = find_context(read_db(), launch.platform_id, context_id)
    if ctx is None:
        abort(404, description="No such course.")
    return launch, ctx


def scope(context_id: int) -> tuple[LaunchClaims, Context, Course]:
    """`scoped_context`, and the course the launch serves (404 once the tool no longer
    serves it: a report needs the course's outcomes and questions)."""
    launch, ctx = scoped_context(context_id)
    site = sites().get(launch.course_id)
    if site is None:
        abort(404, description="This tool no longer serves this course.")
    return launch, ctx, site.course


def token() -> str:
    """The launch token of this page's address, for the links and forms it makes."""
    return request.args.get("t", "")


def link(endpoint: str, **params) -> str:
    """An admin page's URL carrying this page's launch token."""
    return url_for(endpoint, **params, t=token())


def nav(context_id: int) -> list[tuple[str, str, str]]:
    """(endpoint, label, url) of the admin pages, for the navigation bar."""
    pages = [
        ("admin.context_admin", "Overview"),
        ("reports.completions", "Completion"),
        ("reports.outcomes", "Outcomes and questions"),
        ("reports.evaluation", "Evaluation"),
    ]
    site = sites().get(g.launch.course_id)
    if site is not None and site.course.cpd.live_session_minutes:
        pages.append(("sessions.admin_sessions", "Live sessions"))
        pages.append(("reports.workshop", "Live sessions report"))
    return [(e, label, link(e, context_id=context_id)) for e, label in pages]


def scope_live(context_id: int):
    """`scope`, for a course that has a live session (404 otherwise)."""
    launch, ctx, course = scope(context_id)
    if not course.cpd.live_session_minutes:
        abort(404, description="This course has no live session.")
    return launch, ctx, course
