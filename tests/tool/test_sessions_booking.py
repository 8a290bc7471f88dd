"""The booking rules of live sessions (lmspack.sessions.booking) on a real SQLite and a real
PostgreSQL: places and the waiting list under concurrency, moves, cancellations and the
promotion order, a cancelled session, refused times and links."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from lmspack.sessions import booking
from lmspack.sessions.booking import BookingError
from lmspack.sessions.times import TimeError, local, to_utc
from lmspack.store.live_sessions import SessionBooking
from lmspack.store.models import Context, Deployment, User
from lmspack.store.platforms import add_platform

SOON = date.today() + timedelta(days=7)


def _place(store, learners: int):
    """A platform, a context and `learners` users: (platform id, context id, user ids)."""
    tag = uuid.uuid4().hex[:8]
    with store.transaction() as s:
        p = add_platform(
            s, name="Sessions", issuer=f"https://{tag}.test", client_id="c",
            auth_login_url="https://l.test/a", auth_token_url="https://l.test/t",
            key_set_url="https://l.test/k", deployment_ids=["1"],
        )  # fmt: skip
        dep = s.scalar(select(Deployment).where(Deployment.platform_id == p.id))
        ctx = Context(platform_id=p.id, deployment_id=dep.id, context_id=f"ctx-{tag}")
        users = [User(platform_id=p.id, deployment_id=dep.id, sub=f"u{i}") for i in range(learners)]
        s.add_all([ctx, *users])
        s.flush()
        return p.id, ctx.id, [u.id for u in users]


def _session(store, pid, cid, capacity=12, day=SOON, at=time(9, 30)):
    end = time(at.hour + 3, at.minute)
    with store.transaction() as s:
        return booking.schedule(
            s, platform_id=pid, context_id=cid, day=day, start=at, end=end,
            join_url="https://zoom.us/j/123", capacity=capacity,
        ).id  # fmt: skip


def _book(store, pid, cid, uid, sid):
    with store.transaction() as s:
        return booking.book(s, platform_id=pid, context_id=cid, user_id=uid, session_id=sid).status


def _statuses(store, sid) -> dict[int, str]:
    with store.sessions() as s:
        rows = s.scalars(select(SessionBooking).where(SessionBooking.session_id == sid))
        return {b.user_id: b.status for b in rows if b.status != "cancelled"}


def test_thirty_learners_booking_the_last_twelve_places_at_once(store):
    """Capacity 14, two places taken: 30 learners book at the same moment, each in its own
    transaction and connection. Exactly 12 get a place and 18 wait, in distinct positions."""
    pid, cid, users = _place(store, 32)
    sid = _session(store, pid, cid, capacity=14)
    for uid in users[:2]:
        assert _book(store, pid, cid, uid, sid) == "booked"
    barrier = threading.Barrier(30)
    results: list[str] = []
    errors: list[BaseException] = []

    def go(uid):
        try:
            barrier.wait()
            results.append(_book(store, pid, cid, uid, sid))
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(u,)) for u in users[2:]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == ["booked"] * 12 + ["waiting"] * 18
    with store.sessions() as s:
        view = booking.sessions_of(s, pid, cid)[0]
        assert (view.booked, view.waiting, view.places_left) == (14, 18, 0)
        seqs = [b.queue_seq for b in booking.bookings_of(s, view.session)]
        assert len(set(seqs)) == 32


def test_cancelling_moves_the_waiting_list_in_order_and_moving_frees_a_place(store):
    pid, cid, (a, b, c, d, e) = _place(store, 5)
    full = _session(store, pid, cid, capacity=2)
    other = _session(store, pid, cid, capacity=2, at=time(13, 0))
    assert [_book(store, pid, cid, u, full) for u in (a, b, c, d)] == [
        "booked", "booked", "waiting", "waiting",
    ]  # fmt: skip
    with store.transaction() as s:  # a cancels: c (first waiting) moves in, not d
        moved = booking.cancel_booking(s, platform_id=pid, context_id=cid, user_id=a)
        assert [m.user_id for m in moved] == [c]
    assert _statuses(store, full) == {b: "booked", c: "booked", d: "waiting"}
    assert _book(store, pid, cid, b, other) == "booked"  # b moves: d moves in
    assert _statuses(store, full) == {c: "booked", d: "booked"}
    assert _statuses(store, other) == {b: "booked"}
    assert _book(store, pid, cid, e, full) == "waiting"
    # a learner with a place cannot swap it for a waiting-list position by moving
    with pytest.raises(BookingError, match="keep your place"):
        _book(store, pid, cid, b, full)
    assert _book(store, pid, cid, b, other) == "booked"  # booking the same again: no change
    # a waiting learner may move to a session with a place
    assert _book(store, pid, cid, e, other) == "booked"
    assert _statuses(store, full) == {c: "booked", d: "booked"}
    with store.sessions() as s:  # each learner holds one active booking in the context
        assert booking.active_booking(s, pid, cid, e).session_id == other


def test_a_cancelled_session_frees_its_learners_and_tells_them_once(store):
    pid, cid, (a, b, c) = _place(store, 3)
    sid = _session(store, pid, cid, capacity=1)
    later = _session(store, pid, cid, capacity=5, day=SOON + timedelta(days=1))
    _book(store, pid, cid, a, sid)
    _book(store, pid, cid, b, sid)  # waiting
    with store.transaction() as s:
        n = booking.cancel_session(s, platform_id=pid, context_id=cid, session_id=sid,
                                   reason="Facilitator ill")  # fmt: skip
        assert n == 2
        with pytest.raises(BookingError, match="already cancelled"):
            booking.cancel_session(s, platform_id=pid, context_id=cid, session_id=sid)
    with pytest.raises(BookingError, match="cancelled"):
        _book(store, pid, cid, c, sid)
    with store.transaction() as s:
        told = booking.take_notices(s, pid, cid, a)
        assert [(n.kind, n.session.id) for n in told] == [("cancelled", sid)]
        assert booking.active_booking(s, pid, cid, a) is None
    with store.transaction() as s:
        assert booking.take_notices(s, pid, cid, a) == []  # only once
    assert _book(store, pid, cid, a, later) == "booked"  # free to rebook


def test_a_learner_moved_in_from_the_waiting_list_is_told(store):
    pid, cid, (a, b) = _place(store, 2)
    sid = _session(store, pid, cid, capacity=1)
    _book(store, pid, cid, a, sid)
    _book(store, pid, cid, b, sid)
    with store.transaction() as s:
        assert booking.take_notices(s, pid, cid, b) == []  # their own booking: nothing new
        booking.cancel_booking(s, platform_id=pid, context_id=cid, user_id=a)
    with store.transaction() as s:
        assert [n.kind for n in booking.take_notices(s, pid, cid, b)] == ["promoted"]


def test_who_attended_cannot_book_again_but_a_no_show_can(store):
    from lmspack.sessions.attendance import take_attendance

    pid, cid, (a, b) = _place(store, 2)
    sid = _session(store, pid, cid)
    later = _session(store, pid, cid, day=SOON + timedelta(days=2))
    _book(store, pid, cid, a, sid)
    _book(store, pid, cid, b, sid)
    with store.transaction() as s:
        live = booking.find_session(s, pid, cid, sid)
        ids = {x.user_id: x.id for x in s.scalars(
            select(SessionBooking).where(SessionBooking.session_id == sid))}  # fmt: skip
        take_attendance(s, None, live, {ids[a]: "attended", ids[b]: "no_show"}, base_url=None)
    with pytest.raises(BookingError, match="attended the live session already"):
        _book(store, pid, cid, a, later)
    assert _book(store, pid, cid, b, later) == "booked"  # missed it: books another
    assert _statuses(store, later) == {b: "booked"}


def test_past_sessions_cannot_be_booked_or_scheduled(store):
    pid, cid, (a,) = _place(store, 1)
    sid = _session(store, pid, cid)
    past = datetime.now(UTC) + timedelta(days=30)
    with store.transaction() as s, pytest.raises(BookingError, match="already started"):
        booking.book(s, platform_id=pid, context_id=cid, user_id=a, session_id=sid, now=past)
    with store.transaction() as s, pytest.raises(BookingError, match="past"):
        booking.schedule(
            s, platform_id=pid, context_id=cid, day=date.today() - timedelta(days=1),
            start=time(9), end=time(10), join_url="https://zoom.us/j/1", capacity=12,
        )  # fmt: skip


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "file:///etc/passwd", "zoom.us/j/1", "https://", "https://a b.test",
     "https://zoom.us/\x00", "data:text/html,x", ""],
)  # fmt: skip
def test_only_http_joining_links_are_kept(url):
    with pytest.raises(BookingError):
        booking.check_join_url(url)


def test_times_are_kept_in_utc_and_shown_with_the_zone():
    # 10 December: GMT; 10 June: BST (UTC+1)
    starts, ends = to_utc(date(2026, 12, 10), time(9, 30), time(12, 30))
    assert starts == datetime(2026, 12, 10, 9, 30, tzinfo=UTC)
    summer, _ = to_utc(date(2027, 6, 10), time(9, 30), time(12, 30))
    assert summer == datetime(2027, 6, 10, 8, 30, tzinfo=UTC)
    shown = local(starts, ends, "Europe/London").text
    assert shown == "Thursday 10 December 2026, 09:30–12:30 GMT (Europe/London)"
    with pytest.raises(TimeError, match="clocks change"):  # 01:30 on 28 March 2027 never happens
        to_utc(date(2027, 3, 28), time(1, 30), time(3, 0))
    with pytest.raises(TimeError, match="end after"):
        to_utc(date(2026, 12, 10), time(12), time(9))
    with pytest.raises(TimeError, match="Unknown time zone"):
        to_utc(date(2026, 12, 10), time(9), time(10), "Mars/Olympus")


def test_new_sessions_offer_course_yamls_capacity(tmp_path):
    import shutil

    from lmspack.course import load_course
    from tests.conftest import COURSE

    shutil.copytree(COURSE, tmp_path / "c")
    yaml = tmp_path / "c" / "course.yaml"
    yaml.write_text(yaml.read_text().replace("  capacity: 12\n", "  capacity: 8\n"))
    course = load_course(tmp_path / "c")
    assert (course.live_session.capacity, course.cpd.live_session_minutes) == (8, 180)
    assert booking.default_capacity(course) == 8
    yaml.write_text(yaml.read_text().replace("  capacity: 8\n", ""))
    assert booking.default_capacity(load_course(tmp_path / "c")) == 12
