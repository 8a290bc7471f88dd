"""Sending the outbox by AGS: any number of processes at once, every row until it is sent,
confirmed, replaced by a newer one of ours, or given up with a reason.

One pass (`send_pending`):

1. Claim: a short transaction takes up to `limit` due rows and writes a lease on them
   (outbox.claim).
2. Send, with no transaction open: POST the score by pylti1p3's AssignmentsGradesService over
   the token-caching StoreServiceConnector (lmspack/lti/services.py), with an HTTP timeout.
   A row whose lease would run out before a send could finish is released, not sent.
3. Record: UPDATE ... WHERE id = row AND claimed_by = this call (a lost lease changes nothing).
   - 2xx -> sent.
   - 409 (the platform holds a score whose timestamp is not earlier, in whole seconds):
     a newer row of ours for the same user and line item -> superseded (that one counts);
     else, when the launch granted the result scope, the result service is asked, and if
     the gradebook holds this very score (and comment) -> sent (confirmed); else the row
     gets a newer timestamp from the clock and is re-sent after CONFLICT_BACKOFF seconds
     (1, 2, 4 ...), at most MAX_CONFLICTS times -> failed, with the reason. A row is never
     marked done on a 409 alone.
   - Timeouts, connection errors, 401 (the cached token is dropped, one more try), 408, 429
     and 5xx -> stay pending with exponential backoff (BACKOFF_BASE doubling to
     BACKOFF_MAX), and the platform's other claimed rows wait with it. Rows older than
     MAX_AGE that still cannot be sent -> failed.
   - Other 4xx -> failed.
   Failed rows keep their reason in last_error: `lmspack grades status` lists them, `lmspack
   grades retry` requeues them, `lmspack grades send --now` sends what waits on a backoff.

Where to: the link's line item from the launch's AGS claim; a platform that offers only the
line items container (with the lineitem scope) gets a line item made for the link (label =
link title, scoreMaximum 100, resourceId = course id, tag "lmspack"), found again by resource
link id and cached.

What is sent: userId (the LTI sub), scoreMaximum 100, activityProgress, gradingProgress
(FullyGraded once the quiz is finished, Pending before), the row's timestamp (whole seconds,
from the clock), and once graded scoreGiven with a comment giving each learning outcome's
result ("Learning outcomes: LO1 100%, LO2 67%, ...").
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from sqlalchemy import select

from ..lti.services import StoreServiceConnector, http_session, registration_for
from ..store import Store, cache
from ..store.models import Attempt, GradeOutbox, Platform, ResourceLink, utcnow
from . import outbox
from .outbox import LINEITEM_SCOPE, LINK_MARK, RESULT_SCOPE, SCORE_MAXIMUM, SCORE_SCOPE

log = logging.getLogger("lmspack.grades")

LINEITEM_TAG = "lmspack"
BACKOFF_BASE = 30.0  # seconds before the first retry after an outage; doubles each time
BACKOFF_MAX = 3600.0  # never wait longer than this between tries
MAX_AGE = timedelta(days=7)  # a row that still cannot be sent after this -> failed
LEASE = 120.0  # seconds a claim lasts
TEMPORARY = {401, 408, 425, 429, 500, 502, 503, 504}
CONFLICT_BACKOFF = 1.0  # seconds before re-sending a row refused with 409; doubles each time
MAX_CONFLICTS = 6  # 409s before a row is given up (1 + 2 + 4 + 8 + 16 s of trying)
RESULTS_ACCEPT = "application/vnd.ims.lis.v2.resultcontainer+json"


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    confirmed: int = 0  # 409, and the result service shows the platform holds this score
    superseded: int = 0
    conflicts: int = 0  # 409, re-stamped, to be re-sent
    retrying: int = 0
    failed: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)

    COUNTS = ("claimed", "sent", "confirmed", "superseded", "conflicts", "retrying", "failed",
              "released")  # fmt: skip

    def add(self, other: SendReport) -> None:
        for f in self.COUNTS:
            setattr(self, f, getattr(self, f) + getattr(other, f))
        self.errors.extend(other.errors)

    def __str__(self) -> str:
        return (
            f"claimed {self.claimed}, sent {self.sent}, confirmed {self.confirmed}, "
            f"superseded {self.superseded}, re-sending after 409 {self.conflicts}, "
            f"retrying {self.retrying}, failed {self.failed}, released {self.released}"
        )


class _Temporary(Exception):
    pass


class _Permanent(Exception):
    pass


class _Conflict(Exception):
    """409: the platform holds a score for this user whose timestamp is not earlier."""


def backoff(tries: int) -> float:
    """Seconds to wait after the `tries`-th failed try: 30 s, 60 s, 2 min ... up to 1 h,
    with +-10% jitter so processes do not retry in step."""
    delay = min(BACKOFF_BASE * 2 ** max(tries - 1, 0), BACKOFF_MAX)
    return delay * random.uniform(0.9, 1.1)


def worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def grade_for(row: GradeOutbox, comment: str | None = None) -> Grade:
    """The AGS score for a row. scoreGiven only once graded: a Pending result has none, so
    a gradebook never shows a 0 for work in progress."""
    g = (
        Grade()
        .set_score_maximum(row.score_maximum)
        .set_activity_progress(row.activity_progress)
        .set_grading_progress(row.grading_progress)
        .set_timestamp(outbox.wire_timestamp(row.timestamp))
        .set_user_id(row.user_sub)
    )
    if row.grading_progress == "FullyGraded":
        g.set_score_given(row.score_given)
        if comment:
            g.set_comment(comment)
    return g


def _ags_call(connector: StoreServiceConnector, call, scopes=(SCORE_SCOPE,)):
    """Run one AGS call, sorting its failures into temporary and permanent ones and 409s.
    A 401 from the service means the cached access token was refused: it is dropped and the
    call made once more with a new one."""
    for again in (True, False):
        try:
            return call()
        except LtiServiceException as exc:
            resp = exc.response
            code = resp.status_code if resp is not None else 0
            where = resp.url if resp is not None else "the platform"
            if code == 401:
                connector.forget_access_token(list(scopes))
                if again and "access token" not in str(exc):  # not the token endpoint's 401
                    continue
            if code == 409:
                raise _Conflict() from exc
            if code in TEMPORARY or code == 0:
                raise _Temporary(f"HTTP {code} from {where}") from exc
            text = resp.text[:300] if resp is not None else str(exc)
            raise _Permanent(f"HTTP {code} from {where}: {text}") from exc
        except requests.Timeout as exc:
            raise _Temporary(f"timed out: {exc}") from exc
        except requests.RequestException as exc:
            raise _Temporary(f"{type(exc).__name__}: {exc}") from exc
        except LtiException as exc:
            raise _Permanent(str(exc)) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _resolve_lineitem(connector: StoreServiceConnector, store: Store, target: str) -> str:
    """The line item URL for a row's target: itself, or for a LINK_MARK target the line
    item found (by resource link id) or created in the container, cached in the database."""
    if LINK_MARK not in target:
        return target
    key = "lineitem:" + target
    with store.sessions() as s:
        cached = cache.get(s, key)
        link = s.get(ResourceLink, int(target.rsplit(LINK_MARK, 1)[1]))
        if link is not None:
            s.expunge(link)
    if cached:
        return cached
    if link is None:
        raise _Permanent("the resource link of this score no longer exists")
    container = target.rsplit(LINK_MARK, 1)[0]
    ags = AssignmentsGradesService(
        connector, {"scope": [LINEITEM_SCOPE, SCORE_SCOPE], "lineitems": container}
    )
    wanted = (
        LineItem()
        .set_label((link.title or link.course_id)[:250])
        .set_score_maximum(SCORE_MAXIMUM)
        .set_resource_link_id(link.resource_link_id)
        .set_resource_id(link.course_id)
        .set_tag(LINEITEM_TAG)
    )
    found = _ags_call(
        connector,
        lambda: ags.find_or_create_lineitem(wanted, find_by="resource_link_id"),
        scopes=(LINEITEM_SCOPE, SCORE_SCOPE),
    )
    url = found.get_id()
    if not url:
        raise _Permanent(f"the platform made a line item without an id at {container}")
    with store.transaction() as s:
        cache.put(s, key, url, None)
    return url


def results_url(lineitem: str, user_sub: str) -> str:
    """The AGS result service of a line item for one user: <line item path>/results."""
    parts = urlsplit(lineitem)
    query = "&".join(q for q in (parts.query, urlencode({"user_id": user_sub})) if q)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/results", query=query))


def platform_holds(connector, lineitem: str, row: GradeOutbox, comment: str | None) -> bool:
    """Whether the platform's gradebook (the AGS result service) shows this row's score for
    its user: the same score (out of the row's maximum) and, if it keeps one, our comment.
    A progress score (not graded) leaves no result to compare: never confirmed."""
    if row.grading_progress != "FullyGraded":
        return False
    url = results_url(lineitem, row.user_sub)
    resp = _ags_call(
        connector,
        lambda: connector.make_service_request([RESULT_SCOPE], url, accept=RESULTS_ACCEPT),
        scopes=(RESULT_SCOPE,),
    )
    body = resp["body"] or []
    for result in body if isinstance(body, list) else []:
        if not isinstance(result, dict) or str(result.get("userId")) != row.user_sub:
            continue
        score, maximum = result.get("resultScore"), result.get("resultMaximum") or 1.0
        if not isinstance(score, int | float) or not isinstance(maximum, int | float):
            continue
        same = abs(score / maximum * row.score_maximum - row.score_given) < 0.005
        theirs = result.get("comment")
        if same and (not theirs or not comment or theirs.strip() == comment.strip()):
            return True
    return False


def _on_conflict(store, connector, row, url, comment, scopes, worker, report) -> None:
    """A 409: superseded by a newer row of ours, confirmed by the result service, re-sent
    with a newer timestamp after a backoff, or (after MAX_CONFLICTS) given up."""
    with store.sessions() as s:
        newer = outbox.newer_row(s, row)
    if newer is not None:
        outbox.finish(store, row.id, worker, status="superseded", tries=row.tries + 1,
                      last_error=f"409; a newer score of ours (#{newer}) replaces it")  # fmt: skip
        report.superseded += 1
        return
    why = ""
    if RESULT_SCOPE in scopes:
        try:
            if platform_holds(connector, url, row, comment):
                outbox.finish(store, row.id, worker, status="sent", tries=row.tries + 1,
                              sent_at=utcnow(), conflicts=row.conflicts + 1,
                              last_error="409; the result service shows the platform holds "
                              "this score")  # fmt: skip
                report.confirmed += 1
                return
            why = "; the result service shows a different score"
        except (_Temporary, _Permanent, _Conflict) as exc:
            why = f"; the result service could not be read ({exc or '409'})"
    else:
        why = "; the platform's result service is not open to the tool, so it was re-sent"
    conflicts = row.conflicts + 1
    reason = f"409 {conflicts} times: the platform holds a score with a later timestamp{why}"
    if conflicts >= MAX_CONFLICTS:
        outbox.finish(store, row.id, worker, status="failed", tries=row.tries + 1,
                      conflicts=conflicts, last_error=f"gave up after {reason}")  # fmt: skip
        report.failed += 1
        report.errors.append(reason)
        log.error("grade %s for %s given up: %s", row.id, row.user_sub, reason)
        return
    retry_at = utcnow() + timedelta(seconds=CONFLICT_BACKOFF * 2 ** (conflicts - 1))
    state = outbox.restamp(store, row, worker, retry_at=retry_at, tries=row.tries + 1,
                           conflicts=conflicts, last_error=reason[:500])  # fmt: skip
    if state == "superseded":
        report.superseded += 1
    else:
        report.conflicts += 1


def _load(store: Store, ids: list[int]):
    """The claimed rows with what sending them needs, read in one short session."""
    with store.sessions() as s:
        rows = list(
            s.scalars(select(GradeOutbox).where(GradeOutbox.id.in_(ids)).order_by(GradeOutbox.id))
        )
        platforms = {
            p.id: p
            for p in s.scalars(
                select(Platform).where(Platform.id.in_({r.platform_id for r in rows}))
            )
        }
        attempts = {
            a.id: (a.state, a.resource_link_id)
            for a in s.execute(
                select(Attempt.id, Attempt.state, Attempt.resource_link_id).where(
                    Attempt.id.in_({r.attempt_id for r in rows})
                )
            ).all()
        }
        links = dict(
            s.execute(
                select(ResourceLink.id, ResourceLink.ags_scopes).where(
                    ResourceLink.id.in_({v[1] for v in attempts.values()})
                )
            ).all()
        )
        extra = {}
        for r in rows:
            state, link_id = attempts.get(r.attempt_id, (None, None))
            extra[r.id] = (outbox.outcomes_comment(state), links.get(link_id) or [])
        registrations = {pid: registration_for(s, p) for pid, p in platforms.items()}
        for registration in registrations.values():
            registration.get_kid()  # read the signing key now: it must not keep `s` open
        s.expunge_all()
    rows.sort(key=lambda r: (r.timestamp, r.id))
    return rows, extra, registrations


def send_pending(
    store: Store,
    *,
    limit: int = 100,
    timeout: float = 10.0,
    lease: float = LEASE,
    now: datetime | None = None,
    worker: str | None = None,
    session_factory=None,
) -> SendReport:
    """One pass: claim due rows, send them, record the outcome. Safe in many processes."""
    worker = worker or worker_id()
    now = now or utcnow()
    deadline = time.monotonic() + lease - 2 * timeout - 5  # no send may outlast the lease
    report = SendReport()
    ids = outbox.claim(store, worker, limit, lease, now)
    report.claimed = len(ids)
    if not ids:
        return report
    rows, extra, registrations = _load(store, ids)
    http = (session_factory or http_session)(timeout)
    connectors = {
        pid: StoreServiceConnector(registration, http, store)
        for pid, registration in registrations.items()
    }
    down: dict[int, tuple[datetime, str]] = {}  # platform -> (retry at, why)
    for row in rows:
        if row.platform_id in down:
            at, why = down[row.platform_id]
            outbox.finish(store, row.id, worker, next_try_at=at, last_error=f"not tried: {why}")
            report.released += 1
            continue
        if time.monotonic() > deadline:
            outbox.finish(store, row.id, worker)
            report.released += 1
            continue
        with store.sessions() as s:
            newer = outbox.newer_row(s, row)
        if newer is not None:
            outbox.finish(store, row.id, worker, status="superseded",
                          last_error=f"a newer score of ours (#{newer}) replaces it")  # fmt: skip
            report.superseded += 1
            continue
        comment, scopes = extra[row.id]
        url = row.lineitem_url
        try:
            if row.platform_id not in registrations:
                raise _Permanent("the platform is no longer registered")
            connector = connectors[row.platform_id]
            url = _resolve_lineitem(connector, store, row.lineitem_url)
            ags = AssignmentsGradesService(connector, {"scope": [SCORE_SCOPE], "lineitem": url})
            _ags_call(connector, lambda: ags.put_grade(grade_for(row, comment)))  # noqa: B023
        except _Conflict:
            _on_conflict(store, connector, row, url, comment, scopes, worker, report)
            continue
        except _Temporary as exc:
            tries = row.tries + 1
            when = max(now, utcnow())  # `now` may be a simulated clock (tests)
            if when - row.created_at > MAX_AGE:
                outbox.finish(store, row.id, worker, status="failed", tries=tries,
                              last_error=f"gave up after {MAX_AGE.days} days: {exc}")  # fmt: skip
                report.failed += 1
            else:
                at = when + timedelta(seconds=backoff(tries))
                outbox.finish(store, row.id, worker, tries=tries, next_try_at=at,
                              last_error=str(exc))  # fmt: skip
                down[row.platform_id] = (at, f"the platform was unavailable ({exc})"[:500])
                report.retrying += 1
            report.errors.append(str(exc))
            log.warning("grade %s for %s not sent, will retry: %s", row.id, row.user_sub, exc)
            continue
        except _Permanent as exc:
            outbox.finish(store, row.id, worker, status="failed", tries=row.tries + 1,
                          last_error=f"refused: {exc}")  # fmt: skip
            report.failed += 1
            report.errors.append(str(exc))
            log.error("grade %s for %s refused: %s", row.id, row.user_sub, exc)
            continue
        outbox.finish(store, row.id, worker, status="sent", tries=row.tries + 1, sent_at=utcnow(),
                      last_error=None)  # fmt: skip
        report.sent += 1
    return report


def send_all(store: Store, *, limit: int = 100, timeout: float = 10.0, **kw) -> SendReport:
    """Send until nothing due is left (bounded: at most 1000 passes)."""
    total = SendReport()
    for _ in range(1000):
        r = send_pending(store, limit=limit, timeout=timeout, **kw)
        total.add(r)
        if r.claimed < limit or r.sent + r.superseded + r.confirmed == 0:
            break
    return total
