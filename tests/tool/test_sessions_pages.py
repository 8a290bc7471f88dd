"""Live sessions through real launches (SQLite and PostgreSQL): a teacher adds and cancels
sessions on the admin page and with `lmspack sessions`, a learner books, moves, cancels,
joins the waiting list and downloads the invitation, a cancelled session tells its learners,
the facilitator's page shows the pre-work and takes attendance. Forms need their CSRF
token; what teachers type is escaped; another context's sessions stay out of reach."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import icalendar
import jwt
import requests
from click.testing import CliRunner
from sqlalchemy import select

from lmspack.cli import main
from lmspack.store.certificates import Attendance
from lmspack.store.live_sessions import SessionBooking

from .api_client import complete_course, form_fields, launch_token, learner_api, post_admin_form
from .workshop import learner_post

DAY = (date.today() + timedelta(days=10)).isoformat()


def ctx_of(token: str) -> int:
    return jwt.decode(token, options={"verify_signature": False})["ctx"]


def teacher(platform, context: str) -> tuple[str, int]:
    t = launch_token(
        platform, user=f"t-{context}", role="instructor", context=context, link=f"{context}-l"
    )
    return t, ctx_of(t)


def add_session(tool, token: str, ctx: int, **fields):
    data = {
        "date": DAY,
        "start": "09:30",
        "end": "12:30",
        "zone": "Europe/London",
        "link": "https://zoom.us/j/123?pwd=x",
        "notes": "",
        "capacity": "12",
        **fields,
    }
    page = f"/admin/{ctx}/sessions"
    html = requests.get(tool.url + page, params={"t": token}, timeout=20).text
    data.update(form_fields(html, page + "?"))  # the add form (not a session's cancel form)
    return requests.post(
        tool.url + page, params={"t": token}, data=data, allow_redirects=False, timeout=20
    )


def session_ids(tool, token: str, ctx: int) -> list[int]:
    html = requests.get(f"{tool.url}/admin/{ctx}/sessions", params={"t": token}, timeout=20).text
    return sorted({int(m) for m in re.findall(rf"/admin/{ctx}/sessions/(\d+)\?", html)})


def learner_page(tool, api, path: str = "/sessions") -> str:
    r = requests.get(tool.url + path, params={"t": api.token}, timeout=20)
    assert r.status_code == 200, r.text[:300]
    return r.text


def test_a_teacher_adds_and_cancels_sessions_on_the_admin_page(tool, platform):
    token, ctx = teacher(platform, "ses-admin")
    r = add_session(tool, token, ctx, notes="<script>alert(1)</script> Passcode 42", capacity="")
    assert r.status_code == 303, r.text[:300]
    html = requests.get(f"{tool.url}/admin/{ctx}/sessions", params={"t": token}).text
    assert "09:30–12:30 GMT (Europe/London)" in html or "09:30–12:30 BST" in html
    assert "0 of 12" in html  # capacity defaulted
    (sid,) = session_ids(tool, token, ctx)
    page = requests.get(f"{tool.url}/admin/{ctx}/sessions/{sid}", params={"t": token}).text
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; Passcode 42" in page and "<script>alert" not in page
    )
    # refused: a link that is not http(s), a time the session cannot have, no CSRF token
    bad = add_session(tool, token, ctx, link="javascript:alert(1)")
    assert bad.status_code == 400 and "https://" in bad.text
    assert add_session(tool, token, ctx, start="12:00", end="11:00").status_code == 400
    r = requests.post(
        f"{tool.url}/admin/{ctx}/sessions",
        params={"t": token},
        data={"date": DAY, "start": "09:00", "end": "10:00", "link": "https://a.test"},
    )
    assert r.status_code == 403 and "security token" in r.text
    assert session_ids(tool, token, ctx) == [sid]
    cancel = f"/admin/{ctx}/sessions/{sid}/cancel"
    r = post_admin_form(
        tool, f"/admin/{ctx}/sessions", cancel, token, {"reason": "Ill"}, allow_redirects=False
    )
    assert r.status_code == 303
    html = requests.get(f"{tool.url}/admin/{ctx}/sessions", params={"t": token}).text
    assert "Cancelled</strong>: Ill" in html
    # another context's teacher: 403 on this context's URLs, 404 for its session by id
    other, other_ctx = teacher(platform, "ses-admin-other")
    assert (
        requests.get(f"{tool.url}/admin/{ctx}/sessions/{sid}", params={"t": other}).status_code
        == 403
    )
    r = requests.get(f"{tool.url}/admin/{other_ctx}/sessions/{sid}", params={"t": other})
    assert r.status_code == 404


def test_a_learner_books_moves_waits_cancels_and_gets_the_invitation(tool, platform):
    token, ctx = teacher(platform, "ses-learn")
    assert add_session(tool, token, ctx, capacity="1", notes="Passcode 42").status_code == 303
    assert add_session(tool, token, ctx, start="13:30", end="16:30").status_code == 303
    first, second = session_ids(tool, token, ctx)
    ann = learner_api(tool, platform, user="ses-ann", context="ses-learn", link="ses-learn-l")
    bob = learner_api(tool, platform, user="ses-bob", context="ses-learn", link="ses-learn-l")
    record = requests.get(f"{tool.url}/record", params={"t": ann.token}, timeout=20).text
    assert "You have not booked a live session yet" in record
    assert unescape(re.search(r'href="(/sessions\?t=[^"]+)">Book your', record).group(1)) == (
        f"/sessions?t={ann.token}"
    )
    html = learner_page(tool, ann)
    assert "1 place left" in html and "12 places left" in html
    assert learner_post(tool, ann, f"/sessions/{first}/book").status_code == 303
    html = learner_page(tool, ann)
    assert "Your session" in html and 'href="https://zoom.us/j/123?pwd=x"' in html
    assert "Passcode 42" in html and "webcam" in html and "headphones" in html
    assert "phone works but" in html
    ics = requests.get(f"{tool.url}/sessions/{first}.ics", params={"t": ann.token}, timeout=20)
    assert ics.status_code == 200 and ics.headers["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(ics.content)
    (event,) = cal.walk("VEVENT")
    assert str(event["URL"]) == "https://zoom.us/j/123?pwd=x"
    assert "Passcode 42" in str(event["DESCRIPTION"]) and "webcam" in str(event["DESCRIPTION"])
    assert event.decoded("DTSTART").isoformat().startswith(DAY)
    (alarm,) = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -timedelta(minutes=30)
    assert all(len(line) <= 75 for line in ics.content.split(b"\r\n"))
    record = requests.get(f"{tool.url}/record", params={"t": ann.token}, timeout=20).text
    assert "You are booked on" in record and "09:30–12:30" in record
    # bob: the first is full, so he joins its waiting list; not his invitation
    assert (
        learner_post(tool, bob, f"/sessions/{first}/book")
        .headers["Location"]
        .endswith("done=waiting")
    )
    assert (
        requests.get(f"{tool.url}/sessions/{first}.ics", params={"t": bob.token}).status_code == 404
    )
    # ann moves to the second session: bob moves in from the waiting list and is told once
    assert learner_post(tool, ann, f"/sessions/{second}/book").status_code == 303
    assert "moved from the waiting list" in learner_page(tool, bob)
    assert "moved from the waiting list" not in learner_page(tool, bob)
    assert "Your session" in learner_page(tool, bob)
    # ann cancels; a form without its token changes nothing
    r = requests.post(f"{tool.url}/sessions/cancel", params={"t": ann.token}, allow_redirects=False)
    assert r.status_code == 403
    assert learner_post(tool, ann, "/sessions/cancel").status_code == 303
    assert "Your session" not in learner_page(tool, ann)
    # a teacher's token is not a learner's
    assert requests.get(f"{tool.url}/sessions", params={"t": token}).status_code == 403


def test_a_cancelled_session_tells_its_learners_on_their_next_visit(tool, platform):
    token, ctx = teacher(platform, "ses-cancel")
    add_session(tool, token, ctx)
    (sid,) = session_ids(tool, token, ctx)
    cara = learner_api(tool, platform, user="ses-cara", context="ses-cancel", link="ses-cancel-l")
    learner_post(tool, cara, f"/sessions/{sid}/book")
    r = CliRunner().invoke(
        main,
        [
            "sessions",
            "cancel",
            str(sid),
            "--context",
            "ses-cancel",
            "--reason",
            "Snow",
            "--platform",
            platform.issuer,
            "--database-url",
            tool.store.engine.url.render_as_string(hide_password=False),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "1 learner(s) will be told" in r.output
    record = requests.get(f"{tool.url}/record", params={"t": cara.token}, timeout=20).text
    assert "that you booked was cancelled. Please book another" in record
    html = learner_page(tool, cara)
    assert "was cancelled: Snow" in html and "Please book another" in html
    assert "Your session" not in html
    assert "was cancelled" not in learner_page(tool, cara)


def test_lmspack_sessions_add_and_list(tool, platform):
    teacher(platform, "ses-cli")  # the context exists once someone launched
    url = tool.store.engine.url.render_as_string(hide_password=False)
    base = ["--context", "ses-cli", "--platform", platform.issuer, "--database-url", url]
    when = ["--date", DAY, "--start", "10:00", "--end", "13:00"]

    def add(*args):
        return CliRunner().invoke(main, ["sessions", "add", *base, *when, *args])

    r = add("--link", "https://teams.microsoft.com/l/x", "--capacity", "8")
    assert r.exit_code == 0, r.output
    assert re.match(r"session \d+: .* 10:00–13:00 (GMT|BST) \(Europe/London\), 8 places", r.output)
    r = CliRunner().invoke(main, ["sessions", "list", *base])
    assert "0/8 booked\t0 waiting\thttps://teams.microsoft.com/l/x" in r.output
    r = add("--link", "ftp://x.test")
    assert r.exit_code == 1 and "https://" in r.output and "Traceback" not in r.output
    r = add("--link", "https://zoom.us/j/1", "--course", "/nonexistent")
    assert r.exit_code == 1 and "give --capacity N" in r.output, r.output


def test_the_facilitator_sees_the_prework_and_takes_attendance(tool, platform):
    token, ctx = teacher(platform, "ses-fac")
    add_session(tool, token, ctx)
    (sid,) = session_ids(tool, token, ctx)
    dee = learner_api(tool, platform, user="ses-dee", context="ses-fac", link="ses-fac-l")
    eve = learner_api(tool, platform, user="ses-eve", context="ses-fac", link="ses-fac-l")
    complete_course(dee)
    for api in (dee, eve):
        assert learner_post(tool, api, f"/sessions/{sid}/book").status_code == 303
    page = f"/admin/{ctx}/sessions/{sid}"
    html = requests.get(tool.url + page, params={"t": token}).text
    rows = re.findall(r"<tr>\s*<th scope=\"row\".*?</tr>", html, re.S)
    assert len(rows) == 2
    done = next(r for r in rows if "ses-dee" in r)
    assert "Passed" in done and "100%" in done  # the certificate waits for the session
    assert any("Not started" in r or "In progress" in r for r in rows)
    bookings = {b.user_id: b.id for b in _bookings(tool, sid)}
    dee_b, eve_b = sorted(bookings.values())
    r = post_admin_form(
        tool,
        page,
        page + "/attendance",
        token,
        {f"b{dee_b}": "attended", f"b{eve_b}": "no_show"},
        allow_redirects=False,
    )
    assert r.status_code == 303, r.text[:300]
    by_id = {b.id: b for b in _bookings(tool, sid)}
    assert (by_id[dee_b].status, by_id[eve_b].status) == ("attended", "no_show")
    with tool.store.sessions() as s:
        rows = s.execute(
            select(Attendance.user_id, Attendance.attended_on).where(Attendance.context_id == ctx)
        ).all()
    assert rows == [(by_id[dee_b].user_id, date.fromisoformat(DAY))]
    # a correction: dee was a no-show after all; her attendance from this session goes
    r = post_admin_form(
        tool, page, page + "/attendance", token, {f"b{dee_b}": "no_show"}, allow_redirects=False
    )
    assert r.status_code == 303
    with tool.store.sessions() as s:
        assert s.scalars(select(Attendance).where(Attendance.context_id == ctx)).all() == []
    # a booking that is not on this session cannot be marked from it
    r = post_admin_form(tool, page, page + "/attendance", token, {"b999999": "attended"})
    assert r.status_code == 400 and "Only learners booked on this session" in r.text


def test_learners_who_came_without_booking_are_added_as_attended(tool, platform):
    """Attendance is taken on the session's page for everyone who came: a learner booked on
    another session (their place there goes to its waiting list), one who never booked,
    and one on the course roster who never opened the activity. Scoped to the context; the
    old attendance page sends teachers to the sessions."""
    learner = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
    platform.services.roster["ses-walk"] = [
        {"user_id": "ses-rosa", "name": "Rosa Roster", "roles": [learner]},
    ]
    token, ctx = teacher(platform, "ses-walk")
    add_session(tool, token, ctx)
    add_session(
        tool, token, ctx, capacity="1", date=(date.today() + timedelta(days=12)).isoformat()
    )
    sid, other = session_ids(tool, token, ctx)
    kim = learner_api(tool, platform, user="ses-kim", context="ses-walk", link="ses-walk-l")
    learner_api(tool, platform, user="ses-lee", context="ses-walk", link="ses-walk-l")
    wai = learner_api(tool, platform, user="ses-wai", context="ses-walk", link="ses-walk-l")
    complete_course(kim)
    assert learner_post(tool, kim, f"/sessions/{other}/book").status_code == 303
    assert learner_post(tool, wai, f"/sessions/{other}/book").status_code == 303  # waiting
    page = f"/admin/{ctx}/sessions/{sid}"
    r = post_admin_form(tool, f"/admin/{ctx}/completions", f"/admin/{ctx}/roster", token, {})
    assert r.status_code == 200, r.text[:300]
    html = requests.get(tool.url + page, params={"t": token}, timeout=20).text
    picks = dict(
        (name, (kind, int(i)))
        for kind, i, name in re.findall(r'<label for="walk-([um])(\d+)">([^<]+)</label>', html)
    )
    assert {"User ses-kim", "User ses-lee", "Rosa Roster"} <= set(picks)
    data = {"user": [picks["User ses-kim"][1], picks["User ses-lee"][1]],
            "member": [picks["Rosa Roster"][1]]}  # fmt: skip
    # refused: without the page's CSRF token, with a learner's token
    action = page + "/walk-ins"
    assert requests.post(tool.url + action, params={"t": token}, data=data).status_code == 403
    assert requests.post(tool.url + action, params={"t": kim.token}, data=data).status_code == 403
    r = post_admin_form(tool, page, action, token, data, allow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    assert "attended=3" in r.headers["Location"] and "issued=0" in r.headers["Location"]
    here = {b.user_id: b.status for b in _bookings(tool, sid)}
    assert sorted(here.values()) == ["attended"] * 3
    there = {b.status for b in _bookings(tool, other)}
    assert there == {"cancelled", "booked"}  # kim's place went to wai, who was waiting
    after = requests.get(tool.url + r.headers["Location"], timeout=20).text
    assert "Added as attended: 3" in after and 'for="walk-u' in after  # wai is still listed
    assert "Rosa Roster" not in after.split('id="walk-caption"')[1]
    # kim's evaluation after the session is open now, and she can't book again
    assert 'name="reflection"' in learner_page(tool, kim, "/sessions/evaluation")
    assert "You attended the live session" in learner_page(tool, kim)
    # the results page learns each learner's place from the attempt API
    live = {
        who: api.get("/attempt").json()["liveSession"] for who, api in (("kim", kim), ("wai", wai))
    }
    assert live["kim"]["status"] == "attended" and "Europe/London" in live["kim"]["when"]
    assert live["wai"]["status"] == "booked" and live["wai"]["when"] != live["kim"]["when"]
    # Rosa's first launch finds her attendance: her evaluation is open too
    rosa = learner_api(tool, platform, user="ses-rosa", context="ses-walk", link="ses-walk-l")
    assert 'name="reflection"' in learner_page(tool, rosa, "/sessions/evaluation")
    # another context's teacher can't add this context's learners from their own session
    t2, ctx2 = teacher(platform, "ses-walk2")
    add_session(tool, t2, ctx2)
    (sid2,) = session_ids(tool, t2, ctx2)
    own_api = learner_api(tool, platform, user="ses-own", context="ses-walk2", link="ses-walk2-l")
    assert own_api.get("/attempt").json()["liveSession"] == {"status": None, "when": None}
    own = f"/admin/{ctx2}/sessions/{sid2}"
    r = post_admin_form(tool, own, own + "/walk-ins", t2, {"user": [picks["User ses-lee"][1]]})
    assert r.status_code == 400 and "not on this session" in r.text
    # the old attendance page leads to the sessions
    r = requests.get(f"{tool.url}/admin/{ctx}/attendance", params={"t": token},
                     allow_redirects=False, timeout=20)  # fmt: skip
    assert r.status_code == 303 and f"/admin/{ctx}/sessions?" in r.headers["Location"]


def _bookings(tool, sid: int) -> list[SessionBooking]:
    with tool.store.sessions() as s:
        return list(s.scalars(select(SessionBooking).where(SessionBooking.session_id == sid)))
