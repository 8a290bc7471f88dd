"""The AGS outbox rows and the clock that stamps them.

Queueing (`queue_result`) happens in the learner API's transaction, the same one that updates
the attempt: either both are committed or neither, so no result is ever lost or invented.
A row is written only when what the platform would be told changes (activityProgress,
gradingProgress, scoreGiven). Older rows of the same user and line item not yet sent are
marked `superseded`: the newest result is the one that counts, and it is still to be sent.

Timestamps: Moodle refuses (409) a score whose timestamp is not later, in whole seconds, than
the last one it accepted for that user and line item. So every timestamp comes from
`grade_clocks`: `stamp()` sets the user and line item's clock to max(now, last + 1) in whole
seconds and returns it, in one statement (INSERT ... ON CONFLICT DO UPDATE ... RETURNING).
On PostgreSQL the upsert locks the clock's row until the transaction ends, so two processes
stamping for the same learner wait for each other and never get the same second (no read,
then write); SQLite has one writer at a time. A learner who makes three changes within a
second gets three successive seconds (the last one up to two seconds ahead); the clock
catches up with real time at the next pause.

Rows also keep a lease (claimed_by, claimed_until) while a sender sends them (`claim`,
`finish`), and `conflicts`, the number of 409s they met (see sender.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from ..store import Store
from ..store.models import GradeClock, GradeOutbox, Platform, ResourceLink, User, utcnow

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
RESULT_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
LINK_MARK = "#lmspack-link="  # a row's line item is to be found or made for this link
SCORE_MAXIMUM = 100.0


# --------------------------------------------------------------------------- the clock


_STAMP: dict[str, object] = {}  # the upsert per dialect, built once (building it costs more)


def _stamp_statement(dialect: str):
    if dialect not in _STAMP:
        table = GradeClock.__table__
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert

            greatest = func.greatest
        else:
            from sqlalchemy.dialects.sqlite import insert

            greatest = func.max  # SQLite's max() of two values
        ins = insert(table).values(
            platform_id=bindparam("platform_id"),
            lineitem_url=bindparam("lineitem_url"),
            user_sub=bindparam("user_sub"),
            last_second=bindparam("wanted"),
        )
        _STAMP[dialect] = ins.on_conflict_do_update(
            index_elements=[table.c.platform_id, table.c.lineitem_url, table.c.user_sub],
            set_={"last_second": greatest(table.c.last_second + 1, ins.excluded.last_second)},
        ).returning(table.c.last_second)
    return _STAMP[dialect]


def stamp(session: Session, platform_id: int, lineitem: str, user_sub: str, now=None):
    """The next timestamp for this user and line item: a whole second later than every one
    before it, and not before `now`. Atomic across processes (one upsert)."""
    stmt = _stamp_statement(session.get_bind().dialect.name)
    second = session.execute(
        stmt,
        {
            "platform_id": platform_id,
            "lineitem_url": lineitem,
            "user_sub": user_sub,
            "wanted": int((now or utcnow()).timestamp()),
        },
    ).scalar_one()
    return datetime.fromtimestamp(second, UTC)


def wire_timestamp(dt: datetime) -> str:
    """ISO 8601 with milliseconds and offset, e.g. 2026-11-26T16:00:00.000+00:00."""
    return dt.astimezone(UTC).isoformat(timespec="milliseconds")


# --------------------------------------------------------------------------- queueing


def queue_result(session: Session, attempt, res) -> GradeOutbox | None:
    """Queue the attempt's result for AGS if it changed. Call inside the transaction that
    updates the attempt. `res` is a lmspack.attempts.scoring.Result. Returns the new row."""
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
        .where(GradeOutbox.attempt_id == attempt.id, GradeOutbox.lineitem_url == target)
        .order_by(GradeOutbox.id.desc())
        .limit(1)
    )
    if last is not None and (
        last.activity_progress,
        last.grading_progress,
        last.score_given,
    ) == (res.activity, res.grading, score):
        return None
    now = utcnow()
    when = stamp(session, attempt.platform_id, target, user.sub, now)
    session.execute(
        update(GradeOutbox)
        .where(
            *same_cell(attempt.platform_id, target, user.sub),
            GradeOutbox.status == "pending",
            or_(GradeOutbox.claimed_until.is_(None), GradeOutbox.claimed_until < now),
        )
        .values(status="superseded", claimed_by=None, claimed_until=None,
                last_error="replaced by a newer score of this learner before it was sent")
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    row = GradeOutbox(
        attempt_id=attempt.id,
        platform_id=attempt.platform_id,
        lineitem_url=target,
        user_sub=user.sub,
        score_given=score,
        score_maximum=SCORE_MAXIMUM,
        activity_progress=res.activity,
        grading_progress=res.grading,
        timestamp=when,
        status="pending",
        tries=0,
        conflicts=0,
        next_try_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def same_cell(platform_id: int, lineitem: str, user_sub: str) -> tuple:
    """Rows for one gradebook cell (user and line item)."""
    return (
        GradeOutbox.platform_id == platform_id,
        GradeOutbox.lineitem_url == lineitem,
        GradeOutbox.user_sub == user_sub,
    )


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


# --------------------------------------------------------------------------- leases


def claim(store: Store, worker: str, limit: int, lease: float, now: datetime) -> list[int]:
    """Take a lease on up to `limit` due rows; return their ids (oldest first).

    PostgreSQL picks the rows with SELECT ... FOR UPDATE SKIP LOCKED, so concurrent claimers
    never wait for or take each other's rows; SQLite has one writer at a time, so the
    claiming UPDATE ... WHERE (no live lease) is atomic by itself."""
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


def finish(store: Store, row_id: int, worker: str, **values) -> bool:
    """Record a row's outcome and end the lease, if this worker still holds it."""
    with store.transaction() as s:
        res = s.execute(
            update(GradeOutbox)
            .where(GradeOutbox.id == row_id, GradeOutbox.claimed_by == worker)
            .values(claimed_by=None, claimed_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        return res.rowcount == 1


def newer_row(session: Session, row: GradeOutbox) -> int | None:
    """A later row of ours for the same cell that is sent or still to be sent (its score
    replaces this one's), else None. Later = queued later (ids grow with queueing)."""
    return session.scalar(
        select(GradeOutbox.id)
        .where(
            *same_cell(row.platform_id, row.lineitem_url, row.user_sub),
            GradeOutbox.id > row.id,
            GradeOutbox.status.in_(("pending", "sent")),
        )
        .limit(1)
    )


def restamp(store: Store, row: GradeOutbox, worker: str, *, retry_at: datetime, **values):
    """Give a row refused with 409 a newer timestamp and put it back for `retry_at`; or, if a
    newer row of ours was queued meanwhile, mark it superseded. Returns the new status.

    The clock is stamped first: on PostgreSQL that locks the cell's clock until commit, so a
    row queued concurrently for this cell either committed before (and `newer_row` sees it)
    or waits and takes a later second than this one."""
    with store.transaction() as s:
        when = stamp(s, row.platform_id, row.lineitem_url, row.user_sub)
        if newer_row(s, row) is not None:
            values.update(status="superseded", last_error="a newer score of ours replaces it")
        else:
            values.update(timestamp=when, next_try_at=retry_at)
        s.execute(
            update(GradeOutbox)
            .where(GradeOutbox.id == row.id, GradeOutbox.claimed_by == worker)
            .values(claimed_by=None, claimed_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        return values.get("status", "pending")


# --------------------------------------------------------------------------- status


def status(store: Store, *, show: int = 20) -> dict:
    """Counts by status, and the given-up (failed) and pending rows with their reason."""
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
                "conflicts": r.conflicts,
                "next_try_at": r.next_try_at.isoformat() if r.status == "pending" else None,
                "last_error": r.last_error,
            }
            for r in rows
        ]
    return {"counts": counts, "rows": items}


def next_due(store: Store) -> datetime | None:
    """When the earliest pending row is due (for the background sender's sleep)."""
    with store.sessions() as s:
        return s.scalar(
            select(func.min(GradeOutbox.next_try_at)).where(GradeOutbox.status == "pending")
        )


def make_due(store: Store) -> int:
    """Every pending row due now, whatever its backoff (an admin after an outage)."""
    now = utcnow()
    with store.transaction() as s:
        res = s.execute(
            update(GradeOutbox)
            .where(
                GradeOutbox.status == "pending",
                GradeOutbox.next_try_at > now,
                or_(GradeOutbox.claimed_until.is_(None), GradeOutbox.claimed_until < now),
            )
            .values(next_try_at=now)
            .execution_options(synchronize_session=False)
        )
        return res.rowcount


def retry_failed(store: Store, ids: list[int] | None = None) -> int:
    """Put failed rows back in the queue (after fixing what made the platform refuse them)."""
    with store.transaction() as s:
        q = update(GradeOutbox).where(GradeOutbox.status == "failed")
        if ids:
            q = q.where(GradeOutbox.id.in_(ids))
        res = s.execute(
            q.values(status="pending", next_try_at=utcnow(), claimed_by=None, claimed_until=None,
                     conflicts=0)
        )  # fmt: skip
        return res.rowcount


def prune(store: Store, older_than: timedelta) -> int:
    """Delete sent and superseded rows older than this (the newest row of each user and
    line item is kept, for `lmspack grades status`). Returns how many went."""
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
