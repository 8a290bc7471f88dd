"""The live sessions report from the database (shapes: reports/workshop.py). Scoped like
every report by platform_id AND the context's primary key. Four small queries: the
context's sessions, its bookings (status only), the submitted after-session evaluations
(only the measure and confidence fields, read out of the JSON in SQL), and the learners'
pre-work status and names, and attendance recorded without a booking.

A learner's evaluation counts for the session they attended (their `attended` booking; the
latest if several); evaluations of learners whose attendance was recorded another way (no
attended booking) count only in the overall line, and such a learner is not "never booked".
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..course.model import Course
from ..sessions.times import local
from ..store.certificates import Attendance
from ..store.live_sessions import LiveSession, SessionBooking
from ..store.models import Attempt, User
from . import workshop
from .data import shown_name
from .summaries import RatingStat, YesNoStat

PREWORK_DONE = ("passed", "completed")  # an attempt's status once the pre-work is complete
HELD = ("booked", "waiting", "attended", "no_show")  # a booking that was not given up


def _line(sid, label, cancelled, capacity, statuses, answers, measures, confidence):
    """A SessionLine from its bookings' statuses and its evaluations' answers."""
    return workshop.SessionLine(
        session_id=sid,
        label=label,
        cancelled=cancelled,
        capacity=capacity,
        booked=statuses.count("booked"),
        waiting=statuses.count("waiting"),
        attended=statuses.count("attended"),
        no_shows=statuses.count("no_show"),
        evaluations=len(answers),
        measures=tuple(
            YesNoStat(
                q,
                prompt,
                sum(1 for a in answers if a.get(q) in ("yes", "no")),
                sum(1 for a in answers if a.get(q) == "yes"),
            )
            for q, prompt in measures
        ),  # fmt: skip
        confidence=tuple(
            RatingStat(
                q,
                prompt,
                sum(1 for a in answers if a.get(q) in _RATINGS),
                sum(int(a[q]) for a in answers if a.get(q) in _RATINGS),
            )
            for q, prompt in confidence
        ),  # fmt: skip
    )


_RATINGS = ("1", "2", "3", "4", "5")


def _by_name(p: workshop.Person) -> tuple[str, str]:
    return p.name.casefold(), p.email


def workshop_report(
    s: Session, platform_id: int, context_pk: int, course: Course
) -> workshop.WorkshopReport:
    measures, confidence = workshop.questions_of(course)
    conn = s.connection()
    lives = conn.execute(
        select(
            LiveSession.id,
            LiveSession.starts_at,
            LiveSession.ends_at,
            LiveSession.timezone,
            LiveSession.capacity,
            LiveSession.cancelled_at.is_not(None),
        )
        .where(LiveSession.platform_id == platform_id, LiveSession.context_id == context_pk)
        .order_by(LiveSession.starts_at, LiveSession.id)
    ).all()
    labels = {sid: local(a, b, tz).text for sid, a, b, tz, _c, _x in lives}
    starts = {sid: a for sid, a, *_ in lives}
    bookings = conn.execute(
        select(SessionBooking.session_id, SessionBooking.user_id, SessionBooking.status).where(
            SessionBooking.platform_id == platform_id, SessionBooking.context_id == context_pk
        )
    ).all()
    attended_at: dict[int, int] = {}  # user -> the session they attended (the latest)
    for sid, uid, status in bookings:
        if status == "attended" and (
            uid not in attended_at or starts[sid] > starts[attended_at[uid]]
        ):
            attended_at[uid] = sid
    ids = [q for q, _p in measures + confidence]
    sent = Attempt.state["sessionEvaluationSubmitted"].as_string()
    answers_by_session: dict[int | None, list[dict[str, str]]] = {}
    seen: set[int] = set()
    for uid, *values in conn.execute(
        select(Attempt.user_id, *[Attempt.state[("sessionEvaluation", q)].as_string() for q in ids])
        .where(
            Attempt.platform_id == platform_id,
            Attempt.context_id == context_pk,
            sent.is_not(None),
        )
        .order_by(Attempt.id)
    ):
        if uid in seen:  # one evaluation per learner (sent once, in one of their attempts)
            continue
        seen.add(uid)
        given = {q: str(v) for q, v in zip(ids, values, strict=True) if v is not None}
        answers_by_session.setdefault(attended_at.get(uid), []).append(given)

    lines = tuple(
        _line(
            sid, labels[sid], cancelled, capacity,
            [st for b_sid, _u, st in bookings if b_sid == sid],
            answers_by_session.get(sid, []), measures, confidence,
        )
        for sid, _a, _b, _tz, capacity, cancelled in lives
    )  # fmt: skip
    everyone = [a for group in answers_by_session.values() for a in group]
    overall = _line(
        None, "All sessions", False, None, [st for *_x, st in bookings], everyone,
        measures, confidence,
    )  # fmt: skip

    people = conn.execute(
        select(User.id, shown_name(User), User.email, Attempt.status)
        .join(Attempt, Attempt.user_id == User.id)
        .where(
            Attempt.platform_id == platform_id,
            Attempt.context_id == context_pk,
            User.platform_id == platform_id,
        )
    ).all()
    names = {uid: (name, email or "") for uid, name, email, _st in people}
    done = {uid for uid, _n, _e, st in people if st in PREWORK_DONE}
    held = {uid for _s, uid, st in bookings if st in HELD}
    held.update(  # attendance recorded without a booking (the attendance page of old)
        conn.execute(
            select(Attendance.user_id).where(
                Attendance.platform_id == platform_id, Attendance.context_id == context_pk
            )
        ).scalars()
    )
    not_booked = sorted((workshop.Person(*names[u]) for u in done - held), key=_by_name)
    no_shows = sorted(
        (
            workshop.Person(*names.get(uid, (str(uid), "")), session=labels[sid])
            for sid, uid, st in bookings
            if st == "no_show"
        ),
        key=_by_name,
    )
    return workshop.WorkshopReport(lines, overall, tuple(not_booked), tuple(no_shows))
