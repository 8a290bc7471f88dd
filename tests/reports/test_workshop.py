"""The live sessions report (`reports.workshop_data.workshop_report`) on real rows in SQLite
and PostgreSQL: sessions scheduled, booked, cancelled and marked through lmspack.sessions,
after-session evaluations in the attempt state as the tool stores them. Every figure below
is worked out by hand from the table in `workshop`."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from lmspack.certificates import issue
from lmspack.course import load_course
from lmspack.reports.csv import BOM, csv_text
from lmspack.reports.workshop import workshop_csv
from lmspack.reports.workshop_data import workshop_report
from lmspack.sessions import booking
from lmspack.sessions.attendance import take_attendance
from lmspack.store.models import User

from ..conftest import COURSE
from .seed import Seed

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)  # before every session: booking is open
# sub: (attempt status, session letter or "", mark, after-session answers or None)
#   answers: recommend, useful, expertise, confidence before, after ("" = not answered)
PEOPLE = {
    "a1": ("passed", "A", "attended", ("yes", "yes", "yes", "2", "4")),
    "a2": ("passed", "A", "attended", ("yes", "no", "yes", "3", "5")),
    "a3": ("passed", "A", "attended", ("no", "yes", "yes", "1", "3")),
    "a4": ("passed", "A", "attended", None),
    "a5": ("passed", "A", "no_show", None),
    "b1": ("passed", "B", "attended", ("yes", "yes", "no", "2", "5")),
    "b2": ("passed", "B", "attended", ("yes", "yes", "yes", "", "4")),
    "b3": ("passed", "B", "", None),  # booked, attendance not yet taken
    "w1": ("passed", "B", "", None),  # B has 3 places: on its waiting list
    "c1": ("passed", "C", "", None),  # C is cancelled: free to rebook, not yet
    "x1": ("passed", "", "", ("yes", "no", "no", "4", "4")),  # attendance recorded elsewhere
    "p1": ("passed", "", "", None),  # pre-work done, never booked
    "p2": ("completed", "cancel", "", None),  # booked on A, then cancelled
    "p3": ("incomplete", "", "", None),  # pre-work not done: not listed
}
KEYS = ("recommend", "useful", "expertise", "confidence_before", "confidence_after")


@pytest.fixture(scope="module")
def workshop(store):
    course = load_course(COURSE)
    with store.transaction() as s:
        seed = Seed(s, course, "Workshop")
        where = {"platform_id": seed.platform_id, "context_id": seed.context_id}
        lives = {
            letter: booking.schedule(
                s, **where, day=date(2026, 12, day), start=time(9, 30), end=time(12, 30),
                join_url="https://zoom.us/j/1", capacity=3 if letter == "B" else 12, now=NOW,
            )
            for letter, day in (("A", 8), ("B", 15), ("C", 22))
        }  # fmt: skip
        marks: dict[str, dict[int, str]] = {"A": {}, "B": {}}
        for sub, (status, letter, mark, answers) in PEOPLE.items():
            user = User(
                platform_id=seed.platform_id, deployment_id=seed.deployment_id, sub=sub,
                name=f"Learner {sub.upper()}", email=f"{sub}@council.test",
            )  # fmt: skip
            s.add(user)
            s.flush()
            state = {}
            if answers:
                state = {
                    "sessionEvaluation": {k: v for k, v in zip(KEYS, answers, strict=True) if v},
                    "sessionEvaluationSubmitted": "2026-12-16T10:00:00+00:00",
                }
            seed.attempt(user.id, status=status, state=state)
            if letter:
                b = booking.book(
                    s, **where, user_id=user.id,
                    session_id=lives["A" if letter == "cancel" else letter].id, now=NOW,
                )  # fmt: skip
                if letter == "cancel":
                    booking.cancel_booking(s, **where, user_id=user.id, now=NOW)
                elif mark:
                    marks[letter][b.id] = mark
        x1 = s.scalar(select(User.id).where(User.platform_id == seed.platform_id, User.sub == "x1"))
        issue.record_attendance(
            s, None, **where, user_ids=[x1], on=date(2026, 12, 1), base_url=None
        )
        for letter, m in marks.items():
            take_attendance(s, None, lives[letter], m, base_url=None)
        booking.cancel_session(s, **where, session_id=lives["C"].id, now=NOW)
    with store.read_sessions() as s:
        return workshop_report(s, seed.platform_id, seed.context_id, course)


def shares(line) -> list:
    return [(m.answered, m.yes, round(m.share_yes * 100, 1)) for m in line.measures]


def test_the_three_measures_per_session_and_overall(workshop) -> None:
    a, b, c = workshop.sessions
    assert [m.id for m in a.measures] == ["recommend", "useful", "expertise"]
    assert a.evaluations == 3  # a4 attended but has not sent it
    assert shares(a) == [(3, 2, 66.7), (3, 2, 66.7), (3, 3, 100.0)]
    assert shares(b) == [(2, 2, 100.0), (2, 2, 100.0), (2, 1, 50.0)]
    assert c.evaluations == 0 and all(m.share_yes is None for m in c.measures)  # not 0%
    o = workshop.overall
    assert o.evaluations == 6  # x1's counts overall, with no session to put it under
    assert shares(o) == [(6, 5, 83.3), (6, 4, 66.7), (6, 4, 66.7)]


def test_confidence_before_and_after(workshop) -> None:
    a, b, _c = workshop.sessions
    o = workshop.overall
    assert [(x.id, x.answered, x.mean) for x in a.confidence] == [
        ("confidence_before", 3, 2.0),  # (2+3+1)/3
        ("confidence_after", 3, 4.0),  # (4+5+3)/3
    ]
    assert [(x.answered, x.mean) for x in b.confidence] == [(1, 2.0), (2, 4.5)]
    assert [(x.answered, x.total) for x in o.confidence] == [(5, 12), (6, 25)]
    assert round(o.confidence[0].mean, 2) == 2.4 and round(o.confidence[1].mean, 2) == 4.17


def test_attendance_per_session_and_overall(workshop) -> None:
    a, b, c = workshop.sessions
    assert (a.booked, a.attended, a.no_shows, a.share_attended) == (0, 4, 1, 0.8)
    assert (b.booked, b.attended, b.no_shows, b.share_attended) == (1, 2, 0, 1.0)
    assert (a.waiting, b.waiting, c.waiting) == (0, 1, 0)
    assert c.cancelled and (c.booked, c.attended, c.no_shows) == (0, 0, 0)
    assert c.share_attended is None and a.capacity == 12
    o = workshop.overall
    assert (o.booked, o.waiting, o.attended, o.no_shows) == (1, 1, 6, 1)
    assert round(o.share_attended * 100, 1) == 85.7  # 6 of 7 marked
    assert "Europe/London" in a.label and "09:30" in a.label


def test_who_to_follow_up(workshop) -> None:
    # c1's session was cancelled and p2 cancelled: neither holds a place; p3 has not
    # finished; x1's attendance was recorded without a booking
    assert [p.email for p in workshop.prework_not_booked] == [
        "c1@council.test",
        "p1@council.test",
        "p2@council.test",
    ]
    assert [(p.name, p.session) for p in workshop.no_shows] == [
        ("Learner A5", workshop.sessions[0].label)
    ]


def test_the_csv(workshop) -> None:
    text = csv_text(*workshop_csv(workshop))
    assert text.startswith(BOM)
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))
    head = rows[0]
    col = {h: i for i, h in enumerate(head)}
    kinds = [r[0] for r in rows[1:]]
    assert kinds == ["session"] * 3 + ["overall", "no-show"] + ["pre-work done, not booked"] * 3
    overall = rows[4]
    assert [r[col["Waiting list"]] for r in rows[1:5]] == ["0", "1", "0", "1"]
    assert overall[col["recommend yes (%)"]] == "83.3"
    assert overall[col["useful answered"]] == "6" and overall[col["useful yes"]] == "4"
    assert overall[col["expertise yes (%)"]] == "66.7"
    assert overall[col["confidence_after mean"]] == "4.17"
    assert overall[col["confidence_before n"]] == "5"
    assert overall[col["Attended (%)"]] == "85.7"
    assert rows[3][col["Cancelled"]] == "TRUE" and rows[3][col["expertise yes (%)"]] == ""
    assert rows[5][col["Email"]] == "a5@council.test"
    assert all(len(r) == len(head) for r in rows)
