"""Issuing certificates in the store: the course's rules, issue once, revoke, re-issue.

    cert = maybe_issue(session, course, attempt, base_url=...)   # None until the rules are met
    revoke(session, cert, reason="...")
    new = reissue(session, cert, base_url=..., reason="...", learner_name="...")
    users, issued = record_attendance(session, course, platform_id=..., context_id=...,
                                      user_ids=[...], on=date(...), base_url=...)

The rules are the course's `certificate.require` (default pages + quiz + evaluation; optional
attendance at the live session). When they are met, one certificate is issued for the attempt
and never again automatically: the row has (attempt_id, seq=1) unique, inserted with ON
CONFLICT DO NOTHING, so two concurrent requests (or two workers) make exactly one; the API
also holds the attempt's row lock while it calls this. A certificate an admin revoked is not
re-issued by the rules; the admin re-issues it (seq 2, 3, ...) instead.

What a certificate says is frozen in `certificates.snapshot` at issue (CertificateSnapshot):
the PDF, the badge and the verification page are made from it, never from the live course.
It names the organisation (the platform's name) the learner came through, so a certificate
from a platform nobody recognises is visibly so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..course.model import Course
from ..store.certificates import Attendance, Certificate
from ..store.db import insert_for_session
from ..store.models import Attempt, Context, Platform, RosterMember, User
from ..store.names import learner_name
from .codes import new_code, normalise
from .snapshot import CertificateSnapshot, IssuedCertificate, snapshot_for

RULE_LABELS = {
    "pages": "read every page",
    "quiz": "passed the quiz",
    "evaluation": "sent the evaluation",
    "attendance": "attended the live session",
    "name": "given your name for the certificate",
}


def verify_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/verify/{code}"


def urls(base_url: str, code: str) -> dict[str, str]:
    b = base_url.rstrip("/")
    return {
        "verify": verify_url(b, code),
        "pdf": f"{b}/certificates/{code}.pdf",
        "badge": f"{b}/certificates/{code}.badge.json",
    }


def missing_rules(course: Course, state: dict, *, attended: bool | None = None) -> list[str]:
    """The rules of `course.certificate_rules` not met yet by an attempt's state.
    `attended` None means "not looked up": attendance is then reported missing."""
    st = state or {}
    need: list[str] = []
    for rule in course.certificate_rules:
        if rule == "pages":
            seen = set(st.get("visited") or [])
            if any(n.kind == "page" and n.id not in seen for n in course.nav):
                need.append(rule)
        elif rule == "quiz":
            last = st.get("last")
            if course.quiz.questions and not (last and last.get("passed")):
                need.append(rule)
        elif rule == "evaluation":
            if course.evaluation.questions and not st.get("evaluationSubmitted"):
                need.append(rule)
        elif rule == "attendance" and not attended:
            need.append(rule)
    return need


def attendance_on(session: Session, attempt: Attempt):
    return session.scalar(
        select(Attendance.attended_on).where(
            Attendance.platform_id == attempt.platform_id,
            Attendance.context_id == attempt.context_id,
            Attendance.user_id == attempt.user_id,
        )
    )


def for_attempt(session: Session, attempt: Attempt) -> Certificate | None:
    """The attempt's newest certificate (valid or revoked), if any."""
    return session.scalars(
        select(Certificate)
        .where(
            Certificate.attempt_id == attempt.id,
            Certificate.platform_id == attempt.platform_id,
            Certificate.context_id == attempt.context_id,
        )
        .order_by(Certificate.seq.desc())
        .limit(1)
    ).first()


def _insert(session: Session, values: dict) -> None:
    stmt = insert_for_session(session)(Certificate).values(**values)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["attempt_id", "seq"]))


def maybe_issue(
    session: Session,
    course: Course,
    attempt: Attempt,
    *,
    base_url: str,
    now: datetime | None = None,
) -> Certificate | None:
    """Issue the attempt's certificate if the rules are met and none was issued yet; return
    the attempt's certificate (None while the rules are not met). Cheap when nothing is
    due: the rules are checked on the state first, the store only asked after."""
    if attempt.id is None or course.id != attempt.course_id:
        return None
    needs_attendance = "attendance" in course.certificate_rules
    if missing_rules(course, attempt.state, attended=True if needs_attendance else None):
        return None
    existing = for_attempt(session, attempt)
    if existing is not None:
        return existing
    attended = attendance_on(session, attempt)
    if needs_attendance and attended is None:
        return None
    found = session.execute(
        select(User, Platform.name, Platform.issuer)
        .join(Platform, Platform.id == User.platform_id)
        .where(User.id == attempt.user_id, User.platform_id == attempt.platform_id)
    ).first()
    user, organisation, organisation_url = found if found is not None else (None, "", "")
    name = learner_name(user, attempt.state)
    if not name:
        return None  # the player asks for a name when the platform sent none
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    last = (attempt.state or {}).get("last") or {}
    score = last.get("score", attempt.score if attempt.score is not None else 0)
    code = new_code()
    snap = snapshot_for(
        course,
        learner_name=name,
        completed_at=attempt.completed_at or now,
        score=int(round(float(score or 0))),
        code=code,
        verify_url=verify_url(base_url, code),
        issued_at=now,
        live_session_date=attended,
        organisation=organisation,
        organisation_url=organisation_url,
    )
    _insert(
        session,
        {
            "code": snap.code,
            "platform_id": attempt.platform_id,
            "context_id": attempt.context_id,
            "user_id": attempt.user_id,
            "attempt_id": attempt.id,
            "seq": 1,
            "course_id": course.id,
            "course_version": course.version,
            "learner_name": name[:300],
            "snapshot": snap.to_dict(),
            "issued_at": now,
        },
    )
    return for_attempt(session, attempt)


def snapshot_of(cert: Certificate) -> CertificateSnapshot:
    return CertificateSnapshot.from_dict(cert.snapshot)


def find(
    session: Session,
    code: str,
    *,
    platform_id: int | None = None,
    context_id: int | None = None,
) -> Certificate | None:
    """A certificate by its code as typed (normalised first): an equality lookup on the
    unique index of the canonical code, scoped to a platform/context when given."""
    canonical = normalise(code)
    if canonical is None:
        return None
    q = select(Certificate).where(Certificate.code == canonical)
    if platform_id is not None:
        q = q.where(Certificate.platform_id == platform_id)
    if context_id is not None:
        q = q.where(Certificate.context_id == context_id)
    return session.scalar(q)


def count_in(session: Session, platform_id: int, context_id: int) -> int:
    """How many certificates `issued_in` would list."""
    return session.scalar(
        select(func.count())
        .select_from(Certificate)
        .where(Certificate.platform_id == platform_id, Certificate.context_id == context_id)
    )


def issued_in(session: Session, platform_id: int, context_id: int) -> list[IssuedCertificate]:
    """Every certificate of one platform's context, valid and revoked, by learner name: what
    an evidence pack (evidence.py) holds."""
    rows = session.execute(
        select(Certificate.snapshot, Certificate.revoked_at)
        .where(Certificate.platform_id == platform_id, Certificate.context_id == context_id)
        .order_by(Certificate.learner_name, Certificate.issued_at, Certificate.id)
    )
    return [
        IssuedCertificate(CertificateSnapshot.from_dict(snap), revoked) for snap, revoked in rows
    ]


def revoke(session: Session, cert: Certificate, reason: str, *, now: datetime | None = None):
    if cert.revoked_at is None:
        cert.revoked_at = now or datetime.now(UTC)
    cert.revoked_reason = (reason or "").strip()[:2000] or cert.revoked_reason or "Revoked"
    return cert


def reissue(
    session: Session,
    cert: Certificate,
    *,
    base_url: str,
    reason: str,
    learner_name: str | None = None,
    course: Course | None = None,
    now: datetime | None = None,
) -> Certificate:
    """A new certificate (new code, new issue date) certifying what the old one did (its
    snapshot, optionally with a corrected name); the old one is revoked and points to it.

    With `course` (the course the certificate is for): when the learner's live-session
    attendance was recorded after the old certificate was issued, the new one adds the live
    session (date, mode, CPD time from the course); nothing else is taken from the course."""
    if cert.replaced_by is not None:
        raise ValueError("this certificate was already re-issued")
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    code = new_code()
    old = snapshot_of(cert)
    changes: dict = {}
    if course is not None and course.id == old.course_id and old.live_session_on is None:
        attended = session.scalar(
            select(Attendance.attended_on).where(
                Attendance.platform_id == cert.platform_id,
                Attendance.context_id == cert.context_id,
                Attendance.user_id == cert.user_id,
            )
        )
        if attended is not None and course.cpd.live_session_minutes:
            live = course.cpd.live_session_minutes
            changes = {
                "live_session_on": attended,
                "live_session_mode": course.cpd.live_session_mode,
                "live_session_minutes": live,
                "total_minutes": old.prework_minutes + live,
            }
    snap = replace(
        old,
        code=code,
        verify_url=verify_url(base_url, code),
        issued_at=now,
        learner_name=(learner_name or old.learner_name).strip(),
        **changes,
    )
    seq = (
        session.scalar(
            select(func.max(Certificate.seq)).where(Certificate.attempt_id == cert.attempt_id)
        )
        or 0
    ) + 1
    new = Certificate(
        code=snap.code,
        platform_id=cert.platform_id,
        context_id=cert.context_id,
        user_id=cert.user_id,
        attempt_id=cert.attempt_id,
        seq=seq,
        course_id=cert.course_id,
        course_version=cert.course_version,
        learner_name=snap.learner_name[:300],
        snapshot=snap.to_dict(),
        issued_at=now,
    )
    session.add(new)
    session.flush()
    revoke(session, cert, reason or "Re-issued", now=now)
    cert.replaced_by = new.id
    return new


def record_attendance(
    session: Session,
    course: Course | None,
    *,
    platform_id: int,
    context_id: int,
    user_ids: Iterable[int],
    on: date | None,
    base_url: str | None,
) -> tuple[list[int], list[Certificate]]:
    """Record that these learners attended the context's live session `on` that day (or,
    with `on` None, remove their attendance), then issue the certificates that are now due,
    so a learner who finished the pre-work before the session need not come back for it.

    Only learners who launched in this platform's context, or who are on its stored roster
    (see `records.users_from_roster`), count; the others are ignored.
    Without `course` or `base_url` (the verification link needs it) nothing is issued here:
    the learner's next visit issues it. Returns (the user ids recorded, the certificates issued
    now)."""
    wanted = {int(u) for u in user_ids}
    if not wanted:
        return [], []
    launched = select(Attempt.user_id).where(
        Attempt.platform_id == platform_id,
        Attempt.context_id == context_id,
        Attempt.user_id.in_(wanted),
    )
    on_roster = (
        select(User.id)
        .join(Context, Context.deployment_id == User.deployment_id)
        .join(
            RosterMember,
            (RosterMember.context_id == Context.id) & (RosterMember.sub == User.sub),
        )
        .where(
            Context.id == context_id,
            Context.platform_id == platform_id,
            RosterMember.platform_id == platform_id,
            User.platform_id == platform_id,
            User.id.in_(wanted),
        )
    )
    known = sorted(set(session.scalars(launched)) | set(session.scalars(on_roster)))
    rows = {
        a.user_id: a
        for a in session.scalars(
            select(Attendance).where(
                Attendance.platform_id == platform_id,
                Attendance.context_id == context_id,
                Attendance.user_id.in_(known),
            )
        )
    }
    for uid in known:
        row = rows.get(uid)
        if on is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(
                Attendance(
                    platform_id=platform_id, context_id=context_id, user_id=uid, attended_on=on
                )
            )
        else:
            row.attended_on = on
    session.flush()
    issued: list[Certificate] = []
    if on is None or not base_url or course is None or "attendance" not in course.certificate_rules:
        return known, issued
    attempts = session.scalars(
        select(Attempt)
        .where(
            Attempt.platform_id == platform_id,
            Attempt.context_id == context_id,
            Attempt.user_id.in_(known),
            Attempt.course_id == course.id,
        )
        .order_by(Attempt.id)
    )
    for attempt in attempts:
        if for_attempt(session, attempt) is not None:
            continue
        cert = maybe_issue(session, course, attempt, base_url=base_url)
        if cert is not None:
            issued.append(cert)
    return known, issued
