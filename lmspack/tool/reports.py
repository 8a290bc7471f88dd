"""The `reports` blueprint: admin reports and certificate management, for a launch with an
instructor or administrator role, scoped to THAT launch's platform and context.

    GET  /admin/<ctx>/completions[.csv]   every learner (NRPS roster + launched): status, score,
                                          per-outcome results, time, last activity, certificate;
                                          ?status=&group=&since=&before=&q=&sort=&desc=1&page=
    GET  /admin/<ctx>/outcomes[.csv]      outcome and question analysis (answered, share right)
    GET  /admin/<ctx>/evaluation[.csv]    share answering yes, mean ratings, comments
    GET  /admin/<ctx>/sessions-report[.csv]  live sessions: attendance, the after-session
                                          evaluation's three measures and confidence, per
                                          session and overall; pre-work done but not booked;
                                          no-shows (reports.workshop)
    GET  /admin/<ctx>/certificates.zip    the evidence pack: every valid certificate's PDF and
                                          a CSV of all (certificates.evidence), streamed, in
                                          parts of PACK_PART: ?part=N
    GET  /admin/<ctx>/certificates/<code> one certificate, with revoke and re-issue forms
    POST /admin/<ctx>/certificates/<code>/revoke   reason=, confirm=revoke (the form's checkbox)
    POST /admin/<ctx>/certificates/<code>/reissue  reason=, name= (optional correction)
    POST /admin/<ctx>/roster              fetch the roster again (NRPS)
    (live session attendance: lmspack.tool.attendance, in the same navigation)

The launch token comes as ?t= (page loads, form actions) or a bearer header. `<ctx>` must be
the token's context (else 403) and every query filters by the token's platform and context, so
a direct URL to another context or another platform's certificate gives 403 or 404. Each POST
form also carries a CSRF token bound to the launch's user and context, the action and its
URL (lmspack.tool.csrf; `csrf_token(...)` in the templates): without it, or with another
form's, nothing changes (403).
CSV is streamed (lmspack.reports.csv): UTF-8 with BOM, ISO dates, formulas neutralised.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for

from ..certificates import issue
from ..certificates.evidence import pack_chunks
from ..printable import problem
from ..reports import data, summaries, timeline
from ..reports.csv import csv_bytes
from ..reports.workshop import workshop_csv
from ..reports.workshop_data import workshop_report
from ..store.certificates import Certificate
from .admin_scope import NO_STORE, REPORT_STATUS_LABELS, link, nav, scope, scope_live, token
from .context import base_url, db, read_db, store, tool_config
from .csrf import check_form_token, form_token
from .launch_token import require_launch
from .page_chrome import page_chrome
from .roster import RosterError, sync_roster

bp = Blueprint("reports", __name__)
bp.add_app_template_global(form_token, "csrf_token")
bp.app_context_processor(page_chrome)  # every page: the stylesheets and the header

PER_PAGE = 100
COMMENTS_PER_PAGE = 50  # the CSV has them all
# Certificates per evidence-pack zip from the web. They are made one at a time in the
# request (~60-170 ms each on 2 cores): a part stays well within the worker's 60 s timeout.
PACK_PART = 200


def _csv(name: str, header, rows) -> Response:
    return Response(
        csv_bytes(header, rows),
        mimetype="text/csv",
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', **NO_STORE},
    )


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        abort(400, description=f"Not a date (YYYY-MM-DD): {value[:20]!r}.")


def _filters():
    a = request.args
    statuses = [s for s in a.getlist("status") if s]
    bad = [s for s in statuses if s not in summaries.STATUSES]
    if bad:
        abort(400, description=f"Unknown status {bad[0][:30]!r}.")
    sort = a.get("sort", "name")
    if sort not in summaries.SORT_KEYS:
        abort(400, description=f"Cannot sort by {sort[:30]!r}.")
    return {
        "status": statuses,
        "group": a.get("group", ""),
        "since": _date(a.get("since")),
        "before": _date(a.get("before")),
        "q": a.get("q", "")[:100],
        "sort": sort,
        "desc": a.get("desc") == "1",
    }


def _completion_rows(launch, ctx, course, f, *, certificate_url=None, with_outcomes=True):
    def admin_url(code: str) -> str:
        return (
            url_for("reports.certificate_admin", context_id=ctx.id, code=code)
            + "?"
            + (urlencode({"t": token()}))
        )

    report = data.completion(
        read_db(),
        launch.platform_id,
        ctx.id,
        course,
        certificate_url=certificate_url or admin_url,
        with_outcomes=with_outcomes,
    )
    rows = report.select(
        status=f["status"],
        group=f["group"] or None,
        since=f["since"],
        before=f["before"],
        search=f["q"],
        sort=f["sort"],
        descending=f["desc"],
    )
    return report, rows


def _page_of(items: Sequence[Any], per_page: int) -> tuple[Sequence[Any], int, int]:
    """The `?page=` slice of `items`: (the page's items, page number, number of pages)."""
    pages = max(1, math.ceil(len(items) / per_page))
    try:
        page = min(max(1, int(request.args.get("page", 1))), pages)
    except ValueError:
        page = 1
    return items[(page - 1) * per_page : page * per_page], page, pages


def page_url(n: int) -> str:
    """This page's address (filters kept) at page n."""
    items = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
    return request.path + "?" + urlencode([*items, ("page", n)])


@bp.get("/admin/<int:context_id>/completions")
@require_launch("instructor")
def completions(context_id: int):
    launch, ctx, course = scope(context_id)
    f = _filters()
    report, rows = _completion_rows(launch, ctx, course, f, with_outcomes=False)
    page_rows, page, pages = _page_of(rows, PER_PAGE)
    report.load_outcomes(read_db(), launch.platform_id, page_rows)
    shown = list(report.completion_rows(page_rows))
    query = {k: v for k, v in request.args.items(multi=True) if k != "page"}

    def sort_url(key: str) -> str:
        items = [(k, v) for k, v in request.args.items(multi=True) if k not in ("sort", "desc")]
        desc = "1" if f["sort"] == key and not f["desc"] else "0"
        return request.path + "?" + urlencode([*items, ("sort", key), ("desc", desc)])

    csv_url = request.path + ".csv?" + urlencode(list(request.args.items(multi=True)))
    return render_template(
        "report_completions.html",
        ctx=ctx,
        course=course,
        rows=shown,
        total=len(rows),
        all_total=len(report.rows),
        counts=report.counts(),
        head=summaries.headline(report.counts()),
        timeline=timeline.cumulative(
            *timeline.completion_dates(read_db(), launch.platform_id, ctx.id),
            today=datetime.now(UTC).date(),
        ),
        groups=report.groups,
        outcome_ids=report.outcome_ids,
        f=f,
        page=page,
        pages=pages,
        page_url=page_url,
        sort_url=sort_url,
        csv_url=csv_url,
        pack_links=_pack_links(ctx.id),
        pack_part=PACK_PART,
        query=query,
        labels=REPORT_STATUS_LABELS,
        statuses=summaries.STATUSES,
        sort_keys=summaries.SORT_KEYS,
        roster_fetched_at=report.roster_fetched_at,
        nav=nav(ctx.id),
        token=token(),
    ), NO_STORE


@bp.get("/admin/<int:context_id>/completions.csv")
@require_launch("instructor")
def completions_csv(context_id: int):
    launch, ctx, course = scope(context_id)
    # the CSV carries public verification links, not links to admin pages
    root = base_url()  # read now: the rows are made while the response streams
    report, rows = _completion_rows(
        launch, ctx, course, _filters(), certificate_url=lambda code: issue.verify_url(root, code)
    )
    header, body = summaries.completion_csv(report.completion_rows(rows), report.outcome_ids)
    return _csv(f"completions-{ctx.id}.csv", header, body)


@bp.get("/admin/<int:context_id>/outcomes")
@require_launch("instructor")
def outcomes(context_id: int):
    launch, ctx, course = scope(context_id)
    o_stats, q_stats = data.analysis(read_db(), launch.platform_id, ctx.id, course)
    return render_template(
        "report_outcomes.html",
        ctx=ctx,
        course=course,
        outcomes=o_stats,
        questions=q_stats,
        hardest=summaries.hardest(q_stats)[:5],
        nav=nav(ctx.id),
    ), NO_STORE


@bp.get("/admin/<int:context_id>/outcomes.csv")
@require_launch("instructor")
def outcomes_csv(context_id: int):
    launch, ctx, course = scope(context_id)
    o_stats, q_stats = data.analysis(read_db(), launch.platform_id, ctx.id, course)
    header, body = summaries.analysis_csv(o_stats, q_stats)
    return _csv(f"outcomes-{ctx.id}.csv", header, body)


@bp.get("/admin/<int:context_id>/evaluation")
@require_launch("instructor")
def evaluation(context_id: int):
    launch, ctx, course = scope(context_id)
    summary = data.evaluation(read_db(), launch.platform_id, ctx.id, course)
    comments, page, pages = _page_of(summary.comments, COMMENTS_PER_PAGE)
    return render_template(
        "report_evaluation.html",
        ctx=ctx,
        course=course,
        e=summary,
        comments=comments,
        first=(page - 1) * COMMENTS_PER_PAGE + 1,
        page=page,
        pages=pages,
        page_url=page_url,
        nav=nav(ctx.id),
    ), NO_STORE


@bp.get("/admin/<int:context_id>/evaluation.csv")
@require_launch("instructor")
def evaluation_csv(context_id: int):
    launch, ctx, course = scope(context_id)
    summary = data.evaluation(read_db(), launch.platform_id, ctx.id, course)
    header, body = summaries.evaluation_csv(summary)
    return _csv(f"evaluation-{ctx.id}.csv", header, body)


@bp.get("/admin/<int:context_id>/sessions-report")
@require_launch("instructor")
def workshop(context_id: int):
    launch, ctx, course = scope_live(context_id)
    report = workshop_report(read_db(), launch.platform_id, ctx.id, course)
    return render_template(
        "report_workshop.html", ctx=ctx, course=course, w=report, nav=nav(ctx.id)
    ), NO_STORE


@bp.get("/admin/<int:context_id>/sessions-report.csv")
@require_launch("instructor")
def workshop_csv_export(context_id: int):
    launch, ctx, course = scope_live(context_id)
    report = workshop_report(read_db(), launch.platform_id, ctx.id, course)
    return _csv(f"sessions-{ctx.id}.csv", *workshop_csv(report))


# --------------------------------------------------------------------------- certificates


@bp.get("/admin/<int:context_id>/certificates.zip")
@require_launch("instructor")
def certificates_zip(context_id: int):
    """The context's evidence pack: every valid certificate's PDF and a CSV of all of them,
    in parts of PACK_PART (?part=N) by learner name. Streamed while the PDFs are made here,
    one at a time (a web worker doesn't start processes; `lmspack certificates export` makes
    one zip of any size on every CPU)."""
    launch, ctx, _course = scope(context_id)
    items = issue.issued_in(read_db(), launch.platform_id, ctx.id)
    if not items:
        abort(404, description="No certificates have been issued in this course yet.")
    parts = math.ceil(len(items) / PACK_PART)
    part = request.args.get("part", "1")
    if not part.isdigit() or not 1 <= int(part) <= parts:
        abort(404, description=f"This course's certificates come in {parts} part(s).")
    n = int(part)
    name = f"certificates-{ctx.id}" + (f"-part{n}-of-{parts}" if parts > 1 else "") + ".zip"
    return Response(
        pack_chunks(items[(n - 1) * PACK_PART : n * PACK_PART], jobs=1),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"', **NO_STORE},
    )


def _pack_links(ctx_id: int) -> list[tuple[str, str]]:
    """(label, url) of the evidence pack's parts; none before a certificate is issued."""
    total = issue.count_in(read_db(), g.launch.platform_id, ctx_id)
    parts = math.ceil(total / PACK_PART)
    if parts == 1:
        return [
            (
                "Download every certificate (zip)",
                link("reports.certificates_zip", context_id=ctx_id),
            )
        ]
    return [
        (
            f"Part {n} of {parts} (zip)",
            link("reports.certificates_zip", context_id=ctx_id, part=n),
        )
        for n in range(1, parts + 1)
    ]


def _scoped_certificate(session, launch, ctx, code: str):
    cert = issue.find(session, code, platform_id=launch.platform_id, context_id=ctx.id)
    if cert is None:
        abort(404, description="No certificate with this code in this course.")
    return cert


@bp.get("/admin/<int:context_id>/certificates/<code>")
@require_launch("instructor")
def certificate_admin(context_id: int, code: str):
    launch, ctx, _course = scope(context_id)
    cert = _scoped_certificate(read_db(), launch, ctx, code)
    replacement = None
    if cert.replaced_by:
        replacement = read_db().get(Certificate, cert.replaced_by)
        if replacement is not None and replacement.platform_id != launch.platform_id:
            replacement = None
    return render_template(
        "report_certificate.html",
        ctx=ctx,
        cert=cert,
        s=issue.snapshot_of(cert),
        replacement=replacement,
        verify_url=issue.verify_url(base_url(), cert.code),
        revoke_url=link("reports.certificate_revoke", context_id=ctx.id, code=cert.code),
        reissue_url=link("reports.certificate_reissue", context_id=ctx.id, code=cert.code),
        replacement_url=(
            link("reports.certificate_admin", context_id=ctx.id, code=replacement.code)
            if replacement
            else ""
        ),
        nav=nav(ctx.id),
        done=request.args.get("done", ""),
    ), NO_STORE


def _typed(field: str, what: str, limit: int) -> str:
    """An admin's form field, refused like learner text when unprintable (NUL, controls)."""
    value = (request.form.get(field) or "").strip()
    why = problem(value)
    if why:
        abort(400, description=f"The {what} contains {why}; please remove it.")
    return value[:limit]


def _reason() -> str:
    reason = _typed("reason", "reason", 2000)
    if not reason:
        abort(400, description="Give a reason.")
    return reason


@bp.post("/admin/<int:context_id>/certificates/<code>/revoke")
@require_launch("instructor")
def certificate_revoke(context_id: int, code: str):
    launch, ctx, _course = scope(context_id)
    session = db()
    cert = _scoped_certificate(session, launch, ctx, code)
    check_form_token()
    reason = _reason()
    if request.form.get("confirm") != "revoke":  # the form's required checkbox, kept without JS
        abort(400, description="Tick the box to confirm the revocation: nothing was changed.")
    issue.revoke(session, cert, reason)
    session.commit()
    return redirect(
        link("reports.certificate_admin", context_id=ctx.id, code=cert.code, done="revoked"),
        code=303,
    )


@bp.post("/admin/<int:context_id>/certificates/<code>/reissue")
@require_launch("instructor")
def certificate_reissue(context_id: int, code: str):
    launch, ctx, course = scope(context_id)
    session = db()
    cert = _scoped_certificate(session, launch, ctx, code)
    check_form_token()
    if cert.replaced_by is not None:
        abort(409, description="This certificate was already re-issued.")
    name = _typed("name", "corrected name", 300) or None
    new = issue.reissue(
        session, cert, base_url=base_url(), reason=_reason(), learner_name=name, course=course
    )
    session.commit()
    return redirect(
        link("reports.certificate_admin", context_id=ctx.id, code=new.code, done="reissued"),
        code=303,
    )


@bp.post("/admin/<int:context_id>/roster")
@require_launch("instructor")
def roster_refresh(context_id: int):
    launch, ctx, _course = scope(context_id)
    check_form_token()
    try:
        sync_roster(store(), launch.platform_id, ctx.id, timeout=tool_config().http_timeout)
    except RosterError as exc:
        abort(502, description=f"The roster could not be fetched: {exc}.")
    return redirect(link("reports.completions", context_id=ctx.id), code=303)
