"""The rest of the workshop after the pre-work, for tests that need a certificate of the real
course (`certificate.require: [pages, quiz, attendance, session-evaluation]`).

The facilitator's part goes through the same rules the admin pages call
(lmspack.sessions.booking.schedule, lmspack.sessions.attendance.take_attendance); the
learner's through their pages (book on /sessions, then the form on /sessions/evaluation,
with its CSRF token). The pages of the facilitator are tested on their own
(test_sessions_pages.py, test_session_evaluation.py, test_browser_workshop.py).
"""

from __future__ import annotations

from datetime import date, time, timedelta

import jwt
import requests
from sqlalchemy import select

from lmspack.sessions import booking
from lmspack.sessions.attendance import take_attendance
from lmspack.store.live_sessions import SessionBooking
from lmspack.store.models import Attempt

from .api_client import Api, form_fields

PAGE = "/sessions/evaluation"


def session_answers(course, **changes) -> dict[str, str]:
    """An answer to every question of the evaluation after the session (form fields)."""
    value = {"yes-no": "yes", "rating": "4", "text": "About 2 hours"}
    out = {f"q_{q.id}": value[q.type] for q in course.session_evaluation.questions}
    return {**out, **changes}


def _attempt(tool, api: Api) -> Attempt:
    att = jwt.decode(api.token, options={"verify_signature": False})["att"]
    with tool.store.sessions() as s:
        return s.get(Attempt, att)


def add_session(tool, api: Api) -> int:
    """A new session in the learner's context, ten days ahead: its id."""
    a = _attempt(tool, api)
    with tool.store.transaction() as s:
        return booking.schedule(
            s, platform_id=a.platform_id, context_id=a.context_id,
            day=date.today() + timedelta(days=10), start=time(9, 30), end=time(12, 30),
            join_url="https://zoom.us/j/123", capacity=12,
        ).id  # fmt: skip


def learner_post(tool, api: Api, path: str, page: str = "/sessions") -> requests.Response:
    """Submit the learner's form posting to `path` on `page`, with its CSRF token."""
    html = requests.get(tool.url + page, params={"t": api.token}, timeout=20).text
    fields = form_fields(html, path)
    return requests.post(
        tool.url + path, params={"t": api.token}, data=fields, allow_redirects=False, timeout=20
    )


def book(tool, api: Api, sid: int) -> None:
    """The learner books session `sid` through their page."""
    r = learner_post(tool, api, f"/sessions/{sid}/book")
    assert r.status_code == 303, r.text[:300]


def book_and_attend(tool, api: Api, sid: int | None = None) -> int:
    """The learner booked on session `sid` (a new one when None) through their page, then
    marked attended as the facilitator's page does. Returns the session's id."""
    a = _attempt(tool, api)
    course = tool.app.extensions["lmspack.sites"][a.course_id].course
    sid = sid or add_session(tool, api)
    book(tool, api, sid)
    with tool.store.transaction() as s:
        live = booking.find_session(s, a.platform_id, a.context_id, sid)
        b = s.scalar(
            select(SessionBooking).where(
                SessionBooking.session_id == sid, SessionBooking.user_id == a.user_id
            )
        )
        take_attendance(s, course, live, {b.id: "attended"}, base_url=tool.url)
    return sid


def send_session_evaluation(
    tool, api: Api, form_html: str | None = None, **changes
) -> requests.Response:
    """The learner's evaluation after the session, sent from the form (`form_html`: the page
    as loaded earlier; a 303 when kept)."""
    a = _attempt(tool, api)
    course = tool.app.extensions["lmspack.sites"][a.course_id].course
    html = form_html or requests.get(tool.url + PAGE, params={"t": api.token}, timeout=20).text
    data = {**form_fields(html, PAGE), **session_answers(course, **changes)}
    return requests.post(
        tool.url + PAGE, params={"t": api.token}, data=data, allow_redirects=False, timeout=20
    )


def finish_workshop(tool, api: Api, sid: int | None = None) -> dict:
    """After the pre-work: booked (on session `sid`, or a new one), attended, the session
    evaluated. Returns the certificate the attempt API then shows."""
    book_and_attend(tool, api, sid)
    r = send_session_evaluation(tool, api, reflection="We talked about curiosity.")
    assert r.status_code == 303, r.text[:500]
    cert = api.get("/attempt").json()["certificate"]
    assert cert and cert["code"], cert
    return cert
