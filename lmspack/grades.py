"""The AGS outbox: a durable queue of scores for the platforms' gradebooks, with retry.

Queueing (`queue_result`) happens in the learner API's transaction, the same one that updates
the attempt: either both are committed or neither, so no result is ever lost or invented.
A row is written only when what the platform would be told changes (activityProgress,
gradingProgress, scoreGiven), with a timestamp strictly later than every earlier row for the
same user and line item (millisecond precision, the same on the wire as in the database).
Older rows not yet sent are marked `superseded`: the newest result is the one that counts.

Sending (`send_pending`) runs in any number of processes at once:

1. Claim: a short transaction takes up to `limit` due rows (status pending, next_try_at <= now,
   no live lease) and writes a lease on them (claimed_by = this call's unique id,
   claimed_until = now + lease). PostgreSQL picks the rows with SELECT ... FOR UPDATE SKIP
   LOCKED, so concurrent claimers never wait for or take each other's rows; SQLite has one
   writer at a time, so the claiming UPDATE ... WHERE (no live lease) is atomic by itself.
2. Send, with no transaction open: POST the score by pylti1p3's AssignmentsGradesService over
   a ServiceConnector whose access tokens are cached in the database (cache_entries), with an
   HTTP timeout. A row whose lease would run out before a send could finish is released, not
   sent, so a lease never expires during a send.
3. Record: UPDATE ... WHERE id = row AND claimed_by = this call (a lost lease changes nothing).
   2xx -> sent. 409 (the platform holds a newer score) -> superseded. Timeouts, connection
   errors, 401 (the cached token is dropped), 408, 429 and 5xx -> stay pending with
   exponential backoff (next_try_at), and the platform's other claimed rows wait with it.
   Other 4xx -> failed (see `lmspack grades status`; `lmspack grades retry` requeues).
   Rows older than MAX_AGE that still cannot be sent -> failed.

Where to: the link's line item from the launch's AGS claim. A platform that offers only the
line items container (no `lineitem`, with the `lineitem` scope: e.g. a Moodle activity whose
grade type is None, or one created outside deep linking on some platforms) gets a line item
made for the link: the row is queued against `<lineitems>#lmspack-link=<id>`, and the sender
finds the container's line item for the resource link (or creates it: label = link title,
scoreMaximum 100, resourceId = course id, tag "lmspack") before posting, caching its URL.

What is sent: userId (the LTI sub), scoreMaximum 100, activityProgress (Initialized, Started,
InProgress, Submitted, Completed), gradingProgress (FullyGraded once the quiz is finished,
Pending before), timestamp, and once graded scoreGiven (0-100, the last finished try) with a
comment giving each learning outcome's result ("Learning outcomes: LO1 100%, LO2 67%, ...").

Sending the same row twice (a process paused past its lease, a crash after the POST) is
harmless: the platform gets the same score with the same timestamp again.

`BackgroundSender` runs `send_pending` in a daemon thread of each web process: woken right
after a result is queued (never blocking the learner's request) and every `poll` seconds
for rows waiting on backoff. `lmspack grades send` does one pass from the command line.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.service_connector import ServiceConnector
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from .store import Store, cache
from .store.models import Attempt, GradeOutbox, Platform, ResourceLink, User, utcnow

log = logging.getLogger("lmspack.grades")

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
LINK_MARK = "#lmspack-link="  # a row's line item is to be found or made for this link
LINEITEM_TAG = "lmspack"
SCORE_MAXIMUM = 100.0
BACKOFF_BASE = 30.0  # seconds before the first retry; doubles each time
BACKOFF_MAX = 3600.0  # never wait longer than this between tries
MAX_AGE = timedelta(days=7)  # a row that still cannot be sent after this -> failed
LEASE = 120.0  # seconds a claim lasts
TEMPORARY = {401, 408, 425, 429, 500, 502, 503, 504}


# --------------------------------------------------------------------------- queueing


def _ms(dt: datetime) -> datetime:
    dt = dt.astimezone(UTC)
    return dt.replace(microsecond=dt.microsecond // 1000 * 1000)


def wire_timestamp(dt: datetime) -> str:
    """ISO 8601 with milliseconds and offset, e.g. 2026-11-26T16:00:00.123+00:00."""
    return dt.astimezone(UTC).isoformat(timespec="milliseconds")


def queue_result(session: Session, attempt, res) -> GradeOutbox | None:
    """Queue the attempt's result for AGS if it changed. Call inside the transaction that
    updates the attempt. `res` is a lmspack.tool.learner.Result. Returns the new row."""
    link = session.scalar(
        select(ResourceLink).where(
            ResourceLink.id == attempt.resource_link_id,
            ResourceLink.platform_id == attempt.platform_id,
        )
    )
    target = lineitem_target(link)
    if target is None:
        return None  # the platform offered no gradebook column for this link
    user = session.scalar(
        select(User).where(User.id == attempt.user_id, User.platform_id == attempt.platform_id)
    )
    if user is None:
        return None
    graded = res.grading == "FullyGraded" and res.score is not None
    score = float(res.score) if graded else 0.0
    last = session.scalar(
        select(GradeOutbox)
        .where(
            GradeOutbox.attempt_id == attempt.id,
            GradeOutbox.lineitem_url == target,
        )
        .order_by(GradeOutbox.timestamp.desc(), GradeOutbox.id.desc())
        .limit(1)
    )
    if last is not None and (
        last.activity_progress,
        last.grading_progress,
        last.score_given,
    ) == (res.activity, res.grading, score):
        return None
    same = (
        GradeOutbox.platform_id == attempt.platform_id,
        GradeOutbox.lineitem_url == target,
        GradeOutbox.user_sub == user.sub,
    )
    now = utcnow()
    previous = session.scalar(select(func.max(GradeOutbox.timestamp)).where(*same))
    stamp = _ms(now)
    if previous is not None and stamp <= previous:
        stamp = _ms(previous) + timedelta(milliseconds=1)
    session.execute(
        update(GradeOutbox)
        .where(
            *same,
            GradeOutbox.status == "pending",
            or_(GradeOutbox.claimed_until.is_(None), GradeOutbox.claimed_until < now),
        )
        .values(status="superseded", claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    row = GradeOutbox(
        attempt_id=attempt.id,
        platform_id=attempt.platform_id,
        lineitem_url=target,
        user_sub=user.sub,
        score_given=score,
        score_maximum=SCORE_MAXIMUM,
        activity_progress=res.activity,
        grading_progress=res.grading,
        timestamp=stamp,
        status="pending",
        tries=0,
        next_try_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def lineitem_target(link: ResourceLink | None) -> str | None:
    """Where the link's scores go: its line item, or (when the platform lets the tool manage
    line items) a marker for the one the sender finds or makes; None without AGS."""
    if link is None:
        return None
    scopes = link.ags_scopes or []
    if SCORE_SCOPE not in scopes:
        return None
    if link.ags_lineitem_url:
        return link.ags_lineitem_url
    if link.ags_lineitems_url and LINEITEM_SCOPE in scopes:
        return f"{link.ags_lineitems_url}{LINK_MARK}{link.id}"
    return None


def outcomes_comment(state: dict | None) -> str | None:
    """The per-outcome result of the try that counts, as the score's comment (AGS carries
    one score; this is how each learning outcome's result reaches the gradebook)."""
    last = (state or {}).get("last") or {}
    scores = last.get("outcomes") or {}
    parts = [f"{oid} {v}%" for oid, v in scores.items() if v is not None]
    return ("Learning outcomes: " + ", ".join(parts))[:1000] if parts else None


def grade_for(row: GradeOutbox, comment: str | None = None) -> Grade:
    """The AGS score for a row. scoreGiven only once graded: a Pending result has none, so
    a gradebook never shows a 0 for work in progress."""
    g = (
        Grade()
        .set_score_maximum(row.score_maximum)
        .set_activity_progress(row.activity_progress)
        .set_grading_progress(row.grading_progress)
        .set_timestamp(wire_timestamp(row.timestamp))
        .set_user_id(row.user_sub)
    )
    if row.grading_progress == "FullyGraded":
        g.set_score_given(row.score_given)
        if comment:
            g.set_comment(comment)
    return g


# --------------------------------------------------------------------------- access tokens


class StoreServiceConnector(ServiceConnector):
    """pylti1p3's connector (it makes and signs the client_credentials JWT assertion and
    fetches the token) with access tokens cached in the database for every process. Each
    cache read or write is its own short transaction, so nothing is locked during HTTP."""

    def __init__(self, registration, requests_session, store: Store):
        super().__init__(registration, requests_session)
        self._store = store
        self._pass_memo: dict[str, str] = {}  # lives for one send pass (< one lease)

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        if scope_key in self._pass_memo:
            return self._pass_memo[scope_key]
        with self._store.sessions() as s:
            token = cache.get(s, "access-token:" + scope_key)
        if token:
            self._pass_memo[scope_key] = token
        return token

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float):
        if expires_in:
            ttl = max(int(expires_in) - 60, 1)
            with self._store.transaction() as s:
                cache.put(s, "access-token:" + scope_key, access_token, ttl)

    def forget_access_token(self, scopes: list[str]) -> None:
        from .store.models import CacheEntry

        scope_key = self._scope_key(sorted(scopes))
        self._pass_memo.pop(scope_key, None)
        key = "access-token:" + scope_key
        with self._store.transaction() as s:
            s.execute(delete(CacheEntry).where(CacheEntry.key == key))


# --------------------------------------------------------------------------- sending


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    superseded: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"claimed {self.claimed}, sent {self.sent}, superseded {self.superseded}, "
            f"retrying {self.retrying}, failed {self.failed}, released {self.released}"
        )


class _Temporary(Exception):
    pass


class _Permanent(Exception):
    pass


def backoff(tries: int) -> float:
    """Seconds to wait after the `tries`-th failed try: 30 s, 60 s, 2 min ... up to 1 h,
    with +-10% jitter so processes do not retry in step."""
    delay = min(BACKOFF_BASE * 2 ** max(tries - 1, 0), BACKOFF_MAX)
    return delay * random.uniform(0.9, 1.1)


def worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def claim(store: Store, worker: str, limit: int, lease: float, now: datetime) -> list[int]:
    """Take a lease on up to `limit` due rows; return their ids (oldest first)."""
    due = (
        select(GradeOutbox.id)
        .where(
            GradeOutbox.status == "pending",
            GradeOutbox.next_try_at <= now,
            or_(GradeOutbox.claimed_until.is_(None), GradeOutbox.claimed_until < now),
        )
        .order_by(GradeOutbox.next_try_at, GradeOutbox.id)
        .limit(limit)
    )
    until = now + timedelta(seconds=lease)
    with store.transaction() as s:
        if store.is_sqlite:
            # One writer at a time: this UPDATE re-checks the predicate under the write lock.
            s.execute(
                update(GradeOutbox)
                .where(GradeOutbox.id.in_(due.scalar_subquery()))
                .values(claimed_by=worker, claimed_until=until)
                .execution_options(synchronize_session=False)
            )
        else:
            ids = list(s.scalars(due.with_for_update(skip_locked=True)))
            if ids:
                s.execute(
                    update(GradeOutbox)
                    .where(GradeOutbox.id.in_(ids))
                    .values(claimed_by=worker, claimed_until=until)
                    .execution_options(synchronize_session=False)
                )
        return list(
            s.scalars(
                select(GradeOutbox.id)
                .where(GradeOutbox.claimed_by == worker, GradeOutbox.status == "pending")
                .order_by(GradeOutbox.timestamp, GradeOutbox.id)
            )
        )


def _finish(store: Store, row_id: int, worker: str, **values) -> bool:
    with store.transaction() as s:
        res = s.execute(
            update(GradeOutbox)
            .where(GradeOutbox.id == row_id, GradeOutbox.claimed_by == worker)
            .values(claimed_by=None, claimed_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        return res.rowcount == 1


def _newer_exists(store: Store, row: GradeOutbox) -> bool:
    with store.sessions() as s:
        return (
            s.scalar(
                select(GradeOutbox.id)
                .where(
                    GradeOutbox.platform_id == row.platform_id,
                    GradeOutbox.lineitem_url == row.lineitem_url,
                    GradeOutbox.user_sub == row.user_sub,
                    GradeOutbox.timestamp > row.timestamp,
                    GradeOutbox.status.in_(("pending", "sent")),
                )
                .limit(1)
            )
            is not None
        )


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


def _ags_call(connector: StoreServiceConnector, call, scopes=(SCORE_SCOPE,)):
    """Run one AGS call, sorting its failures into temporary and permanent ones. A 401 from
    the service means the cached access token was refused: it is dropped and the call made
    once more with a new one."""
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
            if code == 409:  # the platform holds a newer score
                raise _Permanent("409") from exc
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


def _post(
    connector: StoreServiceConnector, row: GradeOutbox, comment=None, *, url: str | None = None
) -> None:
    ags = AssignmentsGradesService(
        connector, {"scope": [SCORE_SCOPE], "lineitem": url or row.lineitem_url}
    )
    _ags_call(connector, lambda: ags.put_grade(grade_for(row, comment)))


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
    from .tool.pylti import http_session, registration_for

    worker = worker or worker_id()
    now = now or utcnow()
    started = time.monotonic()
    # stop starting sends once a send might outlast the lease
    deadline = started + lease - 2 * timeout - 5
    report = SendReport()
    ids = claim(store, worker, limit, lease, now)
    report.claimed = len(ids)
    if not ids:
        return report
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
        states = dict(
            s.execute(
                select(Attempt.id, Attempt.state).where(
                    Attempt.id.in_({r.attempt_id for r in rows})
                )
            ).all()
        )
        comments = {r.id: outcomes_comment(states.get(r.attempt_id)) for r in rows}
        registrations = {pid: registration_for(s, p) for pid, p in platforms.items()}
        for r in registrations.values():
            r.get_kid()  # read the signing key now: the registration must not keep `s` open
        s.expunge_all()
    rows.sort(key=lambda r: (r.timestamp, r.id))
    http = (session_factory or http_session)(timeout)
    connectors = {
        pid: StoreServiceConnector(reg, http, store) for pid, reg in registrations.items()
    }
    down: dict[int, tuple[datetime, str]] = {}  # platform -> (retry at, why)
    for row in rows:
        if row.platform_id in down:
            at, why = down[row.platform_id]
            _finish(store, row.id, worker, next_try_at=at, last_error=f"not tried: {why}")
            report.released += 1
            continue
        if time.monotonic() > deadline:
            _finish(store, row.id, worker)
            report.released += 1
            continue
        if _newer_exists(store, row):
            _finish(store, row.id, worker, status="superseded")
            report.superseded += 1
            continue
        reg = registrations.get(row.platform_id)
        try:
            if reg is None:
                raise _Permanent("the platform is no longer registered")
            connector = connectors[row.platform_id]
            url = _resolve_lineitem(connector, store, row.lineitem_url)
            _post(connector, row, comments.get(row.id), url=url)
        except _Temporary as exc:
            tries = row.tries + 1
            when = max(now, utcnow())  # `now` may be a simulated clock (tests)
            if when - row.created_at > MAX_AGE:
                _finish(store, row.id, worker, status="failed", tries=tries, last_error=str(exc))
                report.failed += 1
            else:
                at = when + timedelta(seconds=backoff(tries))
                _finish(store, row.id, worker, tries=tries, next_try_at=at, last_error=str(exc))
                down[row.platform_id] = (at, f"the platform was unavailable ({exc})"[:500])
                report.retrying += 1
            report.errors.append(str(exc))
            log.warning("grade %s for %s not sent, will retry: %s", row.id, row.user_sub, exc)
            continue
        except _Permanent as exc:
            if str(exc) == "409":
                _finish(
                    store,
                    row.id,
                    worker,
                    status="superseded",
                    tries=row.tries + 1,
                    last_error="the platform holds a newer score (409)",
                )
                report.superseded += 1
            else:
                _finish(
                    store, row.id, worker, status="failed", tries=row.tries + 1, last_error=str(exc)
                )
                report.failed += 1
                report.errors.append(str(exc))
                log.error("grade %s for %s refused: %s", row.id, row.user_sub, exc)
            continue
        _finish(store, row.id, worker, status="sent", tries=row.tries + 1, sent_at=utcnow(),
                last_error=None)  # fmt: skip
        report.sent += 1
    return report


def send_all(store: Store, *, limit: int = 100, timeout: float = 10.0, **kw) -> SendReport:
    """Send until nothing due is left (bounded: at most 1000 passes)."""
    total = SendReport()
    for _ in range(1000):
        r = send_pending(store, limit=limit, timeout=timeout, **kw)
        for f in ("claimed", "sent", "superseded", "retrying", "failed", "released"):
            setattr(total, f, getattr(total, f) + getattr(r, f))
        total.errors.extend(r.errors)
        if r.claimed < limit or r.sent + r.superseded == 0:
            break
    return total


# --------------------------------------------------------------------------- status


def status(store: Store, *, show: int = 20) -> dict:
    """Counts by status, and the pending and failed rows with their last error."""
    with store.sessions() as s:
        counts = dict(
            s.execute(select(GradeOutbox.status, func.count()).group_by(GradeOutbox.status)).all()
        )
        rows = list(
            s.scalars(
                select(GradeOutbox)
                .where(GradeOutbox.status.in_(("pending", "failed")))
                .order_by(GradeOutbox.status, GradeOutbox.next_try_at, GradeOutbox.id)
                .limit(show)
            )
        )
        names = dict(s.execute(select(Platform.id, Platform.name)).all())
        items = [
            {
                "id": r.id,
                "status": r.status,
                "platform": names.get(r.platform_id, r.platform_id),
                "user": r.user_sub,
                "lineitem": r.lineitem_url,
                "score": r.score_given if r.grading_progress == "FullyGraded" else None,
                "activity": r.activity_progress,
                "grading": r.grading_progress,
                "tries": r.tries,
                "next_try_at": r.next_try_at.isoformat() if r.status == "pending" else None,
                "last_error": r.last_error,
            }
            for r in rows
        ]
    return {"counts": counts, "rows": items}


def retry_failed(store: Store, ids: list[int] | None = None) -> int:
    """Put failed rows back in the queue (after fixing what made the platform refuse them)."""
    with store.transaction() as s:
        q = update(GradeOutbox).where(GradeOutbox.status == "failed")
        if ids:
            q = q.where(GradeOutbox.id.in_(ids))
        res = s.execute(
            q.values(status="pending", next_try_at=utcnow(), claimed_by=None, claimed_until=None)
        )
        return res.rowcount


def prune(store: Store, older_than: timedelta) -> int:
    """Delete sent and superseded rows older than this (the newest row of each user and
    line item is kept, so timestamps keep increasing). Returns how many went."""
    cutoff = utcnow() - older_than
    with store.transaction() as s:
        newest = (
            select(func.max(GradeOutbox.id))
            .group_by(GradeOutbox.platform_id, GradeOutbox.lineitem_url, GradeOutbox.user_sub)
            .scalar_subquery()
        )
        res = s.execute(
            delete(GradeOutbox)
            .where(
                GradeOutbox.status.in_(("sent", "superseded")),
                GradeOutbox.created_at < cutoff,
                GradeOutbox.id.not_in(newest),
            )
            .execution_options(synchronize_session=False)
        )
        return res.rowcount


# --------------------------------------------------------------------------- background


class BackgroundSender:
    """A daemon thread per web process: sends right after `kick()` and every `poll` s."""

    def __init__(self, store: Store, *, timeout: float = 10.0, poll: float = 60.0):
        self.store = store
        self.timeout = timeout
        self.poll = poll
        self.enabled = True
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self.passes = 0

    def kick(self) -> None:
        if not self.enabled:
            return
        self._ensure_thread()
        self._wake.set()

    def ensure_started(self) -> None:
        """Start polling in this process (called on requests; cheap once running), so rows
        waiting on backoff are retried even when no learner is active here."""
        if self.enabled and (self._thread is None or self._pid != os.getpid()):
            self._ensure_thread()

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._pid = os.getpid()
                self._wake = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, name="lmspack-grades", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.poll)
            self._wake.clear()
            if not self.enabled:
                continue
            try:
                send_all(self.store, timeout=self.timeout)
            except Exception:  # never let the thread die; the next pass retries
                log.exception("sending grades failed")
            self.passes += 1
