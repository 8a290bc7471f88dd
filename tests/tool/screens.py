"""The tool's pages as Moodle shows them, for bench/screens_tool.py and the browser tests of
the admin pages: one context seeded through the real launch and API (a roster; learners who
were certified, passed after a revocation, failed, started, and never started), the URL of
every admin page and learner tool page, how to open one inside the platform's iframe, and
axe-core run in that frame."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

import jwt

from .api_client import COURSE_MODEL, complete_course, launch_token, learner_api, post_admin_form
from .workshop import add_session, book, finish_workshop

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
WIDTHS = (1280, 320)


@dataclass
class Screens:
    admin: dict[str, str]  # label -> URL
    learner: dict[str, str]
    teacher: str  # the teacher's launch token
    ctx: int  # contexts.id
    code: str  # a valid certificate's code
    revoked: str  # a revoked certificate's code
    tool: dict[str, str] = field(default_factory=dict)

    @property
    def pages(self) -> dict[str, str]:
        return {**self.admin, **self.learner, **self.tool}


def revoke(tool, screens: Screens, code: str, reason: str = "Issued in error", **extra):
    page = f"/admin/{screens.ctx}/certificates/{code}"
    data = {"reason": reason, "confirm": "revoke", **extra}
    return post_admin_form(tool, page, page + "/revoke", screens.teacher, data)


def seed(tool, platform, context: str = "scr", link: str = "scrl") -> Screens:
    """The context's learners, in every status the reports show."""
    people = [
        ("scr-cert", "Grace Okafor"),
        ("scr-rev", "Sam Patel"),
        ("scr-fail", "Ali Khan"),
        ("scr-start", "Jo Brown"),
        ("scr-none", "Mia Lee"),
        ("scr-none2", "Tom Ng"),
    ]
    platform.services.roster[context] = [
        {"user_id": u, "name": n, "roles": [LEARNER]} for u, n in people
    ]
    apis = {
        u: learner_api(tool, platform, user=u, context=context, link=link, name=n)
        for u, n in people[:4]
    }
    complete_course(apis["scr-cert"])
    complete_course(apis["scr-rev"])
    wrong = {q.id: i % 2 == 0 for i, q in enumerate(COURSE_MODEL.quiz.questions)}
    complete_course(apis["scr-fail"], correct=wrong)
    apis["scr-start"].put("/attempt/state", {"page": COURSE_MODEL.nav[1].id, "visited": []})
    sid = add_session(tool, apis["scr-cert"])  # the workshop: one session for them all
    code = finish_workshop(tool, apis["scr-cert"], sid)["code"]
    revoked = finish_workshop(tool, apis["scr-rev"], sid)["code"]
    book(tool, apis["scr-fail"], sid)  # booked, attendance not taken yet
    teacher = launch_token(platform, user="scr-t", role="instructor", context=context, link=link)
    ctx = jwt.decode(teacher, options={"verify_signature": False})["ctx"]
    screens = Screens({}, {}, teacher, ctx, code, revoked)
    r = post_admin_form(tool, f"/admin/{ctx}/completions", f"/admin/{ctx}/roster", teacher, {})
    assert r.status_code == 200, r.text[:300]
    assert revoke(tool, screens, revoked).status_code == 200
    admin = f"{tool.url}/admin/{ctx}"
    t = f"?t={teacher}"
    screens.admin.update({
        "admin overview": admin + t,
        "completion report": f"{admin}/completions{t}",
        "outcomes report": f"{admin}/outcomes{t}",
        "evaluation report": f"{admin}/evaluation{t}",
        "certificate (valid)": f"{admin}/certificates/{code}{t}",
        "certificate (revoked)": f"{admin}/certificates/{revoked}{t}",
    })
    launch = f"{platform.issuer}/start?user=scr-t&role=instructor&context={context}&link={link}"
    screens.admin["teacher launch"] = launch
    screens.admin["add the activity (deep linking)"] = launch + "&kind=deeplink"
    if COURSE_MODEL.cpd.live_session_minutes:
        screens.admin.update({
            "live sessions": f"{admin}/sessions{t}",
            "live session (facilitator)": f"{admin}/sessions/{sid}{t}",
            "live sessions report": f"{admin}/sessions-report{t}",
        })
    learner = apis["scr-cert"].token
    site = tool.app.extensions["lmspack.sites"][COURSE_MODEL.id]
    start = apis["scr-start"].token
    screens.learner.update({
        "course page": f"{tool.url}{site.prefix}?t={start}",
        "CPD record": f"{tool.url}/record?t={learner}",
        **(
            {
                "live sessions (booked)": f"{tool.url}/sessions?t={apis['scr-fail'].token}",
                "evaluation after the session": f"{tool.url}/sessions/evaluation?t={learner}",
            }
            if COURSE_MODEL.cpd.live_session_minutes
            else {}
        ),
        "verify (valid)": f"{tool.url}/verify/{code}",
        "verify (revoked)": f"{tool.url}/verify/{revoked}",
        "verify form": f"{tool.url}/verify",
        "error page": f"{admin}/completions?t={learner}",  # a learner's token: 403
    })
    screens.tool = {  # the tool's own pages, for the administrator who registers it
        "tool home": f"{tool.url}/",
        "configuration": f"{tool.url}/lti/config",
    }
    return screens


def open_framed(page, platform, url: str):
    """`url` in the platform's course page, in its iframe as wide as the window; the frame
    (its page loaded, the player ready) is returned."""
    page.goto(f"{platform.issuer}/embed?fill=1&src={quote(url, safe='')}")
    page.wait_for_load_state("load")
    frame = page.frames[1]
    if url.startswith(platform.issuer + "/start"):  # a launch: login, the platform, back
        frame.wait_for_url("**/lti/launch")
    if "/course/" in url:
        frame.locator("html.ready").wait_for(state="attached")
    else:
        frame.locator("h1").first.wait_for()
    return frame


def fit_frame(page, frame) -> None:
    """The iframe as tall as its page, for a full-page screenshot."""
    height = frame.evaluate("document.documentElement.scrollHeight")
    page.evaluate("h => { document.getElementById('tool').style.height = h + 'px'; }", height)
