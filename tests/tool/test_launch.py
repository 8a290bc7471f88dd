"""Launches end to end over HTTP on loopback, against lti1p3platform as the platform."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from lmspack.course import load_course
from lmspack.store.models import Attempt, Context, ResourceLink, User
from lmspack.tool.launch_token import verify_launch_token
from tests.conftest import COURSE

from .platform import Browser

COURSE_MODEL = load_course(COURSE)
DATA_RE = re.compile(r'<script type="application/json" id="lmspack-data">(.*?)</script>', re.S)


def answer_key_strings() -> list[str]:
    """Every feedback text of the real course: none may reach a browser."""
    out: list[str] = []
    for q in COURSE_MODEL.quiz.questions:
        for text in (q.feedback_correct, q.feedback_incorrect):
            if text:
                out.append(text.strip()[:60])
        for o in q.options:
            if o.feedback:
                out.append(o.feedback.strip()[:60])
    return out


def assert_no_answer_key(bodies: list[str]) -> None:
    keys = answer_key_strings()
    assert keys, "the course should have feedback texts to check"
    for body in bodies:
        for text in keys:
            assert text not in body, f"feedback leaked: {text!r}"
        m = DATA_RE.search(body)
        if m:
            data = json.loads(m.group(1))
            for q in data["questions"]:
                assert "correct" not in q and "feedback" not in q, q


def test_learner_launch_serves_course_without_answer_key(tool, platform):
    b = Browser()
    r = b.launch(platform, user="ann", role="learner", context="c1", link="rl1")
    assert r.status_code == 303, r.text[:500]
    page = b.follow(r, tool.url)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors" in csp and platform.issuer in csp
    assert page.headers["Cache-Control"] == "no-store"
    html = page.text
    assert 'data-adapter="lti"' in html
    data = json.loads(DATA_RE.search(html).group(1))
    assert data["adapter"] == "lti"
    assert data["launch"]["role"] == "learner"
    assert data["launch"]["apiBase"] == tool.url + "/api/v1"
    claims = verify_launch_token(data["launch"]["token"], tool.app.config["SECRET_KEY"])
    assert claims.role == "learner" and claims.attempt_id == data["launch"]["attemptId"]

    # the assets the page references load from the versioned folder
    page_url = page.url
    for ref in re.findall(r'(?:src|href)="((?:static|media)/[^"]+)"', html):
        asset = b.get(page_url.split("?")[0] + ref)
        assert asset.status_code == 200, ref
        assert asset.headers["Cache-Control"].startswith("public")
    assert_no_answer_key(b.bodies)

    # the store has the user, context, link (with AGS and NRPS), and one attempt
    with tool.store.transaction() as s:
        user = s.get(User, claims.user_id)
        assert (user.sub, user.email, user.given_name) == ("ann", "ann@example.org", "User")
        ctx = s.get(Context, claims.context_id)
        assert ctx.title == "Course c1"
        link = s.get(ResourceLink, claims.resource_link_id)
        assert link.ags_lineitem_url == f"{platform.issuer}/ags/c1/lineitems/rl1"
        assert link.ags_lineitems_url == f"{platform.issuer}/ags/c1/lineitems"
        assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in link.ags_scopes
        assert link.nrps_memberships_url == f"{platform.issuer}/nrps/c1/memberships"
        attempt = s.get(Attempt, claims.attempt_id)
        assert attempt.launches == 1 and attempt.status == "not_attempted"
        assert attempt.course_id == COURSE_MODEL.id

    # a second launch resumes the same attempt
    r2 = Browser().launch(platform, user="ann", role="learner", context="c1", link="rl1")
    token2 = parse_qs(urlsplit(r2.headers["Location"]).query)["t"][0]
    claims2 = verify_launch_token(token2, tool.app.config["SECRET_KEY"])
    assert claims2.attempt_id == claims.attempt_id
    with tool.store.transaction() as s:
        assert s.get(Attempt, claims.attempt_id).launches == 2


def test_course_page_needs_a_launch_token(tool):
    b = Browser()
    prefix = f"/course/{COURSE_MODEL.id}/{COURSE_MODEL.version}/"
    r = b.get(tool.url + prefix)
    assert r.status_code == 401
    assert "open this activity from your course" in r.text.lower()
    r = b.get(tool.url + prefix + "?t=not-a-token")
    assert r.status_code == 401
    assert "Traceback" not in r.text


def test_instructor_launch_lands_on_teacher_page_and_admin(tool, platform):
    Browser().launch(platform, user="l1", role="learner", context="c9", link="rl9")
    Browser().launch(platform, user="l2", role="learner", context="c9", link="rl9")
    b = Browser()
    r = b.launch(platform, user="t1", role="instructor", context="c9", link="rl9")
    assert r.status_code == 200, r.text[:500]
    assert COURSE_MODEL.title in r.text
    assert "Course c9" in r.text
    assert "Learners who have opened it here: 2" in r.text
    header = r.text.split("</header>")[0]  # names the organisation the launch came from
    assert html.escape(platform.cli_args()["name"]) in header, header[-600:]
    admin = re.search(r'href="(/admin/\d+\?t=[^"]+)"', r.text).group(1)
    page = b.get(tool.url + admin.replace("&amp;", "&"))
    assert page.status_code == 200
    assert "Learners in Course c9" in page.text
    assert "User l1" in page.text and "User l2" in page.text
    assert "Not started" in page.text
    with tool.store.transaction() as s:
        teacher = s.scalar(select(User).where(User.sub == "t1"))
        assert not s.scalars(select(Attempt).where(Attempt.user_id == teacher.id)).all()
    # a learner's token does not open the admin page
    r = Browser().launch(platform, user="l1", role="learner", context="c9", link="rl9")
    token = parse_qs(urlsplit(r.headers["Location"]).query)["t"][0]
    ctx = admin.split("/")[2].split("?")[0]
    assert b.get(f"{tool.url}/admin/{ctx}", params={"t": token}).status_code == 403
    assert_no_answer_key(b.bodies)


def test_jwks_and_config_pages(tool):
    b = Browser()
    jwks = b.get(tool.url + "/lti/jwks").json()
    assert jwks["keys"] and all(k["kty"] == "RSA" and "d" not in k for k in jwks["keys"])
    page = b.get(tool.url + "/lti/config")
    assert page.status_code == 200
    for path in ("/lti/login", "/lti/launch", "/lti/jwks", "/lti/register"):
        assert tool.url + path in page.text


def test_login_by_post_and_the_cookie_check(tool, platform):
    b = Browser()
    form = {"iss": platform.issuer, "login_hint": "p1", "client_id": platform.client_id}
    r = b.post(tool.url + "/lti/login", form)
    assert r.status_code == 200 and "lti1p3-new-tab-link" in r.text  # cookie check page
    assert "Open the activity in a new window" in r.text
    r = b.post(tool.url + "/lti/login", {**form, "lti1p3_new_window": "1"})
    assert r.status_code == 302 and r.headers["Location"].startswith(platform.issuer + "/auth")


def test_teacher_preview_serves_the_course(tool, platform):
    b = Browser()
    r = b.launch(platform, user="t2", role="instructor", context="c8", link="rl8")
    preview = re.search(r'<a href="(/course/[^"]+)"', r.text).group(1).replace("&amp;", "&")
    page = b.get(tool.url + preview)
    assert page.status_code == 200
    data = json.loads(DATA_RE.search(page.text).group(1))
    assert data["launch"]["role"] == "instructor" and data["launch"]["attemptId"] is None
    assert_no_answer_key(b.bodies)


def test_the_session_is_renewed_up_to_its_maximum_age(tool, platform):
    """POST /api/v1/session swaps a valid launch token for a fresh one for the same launch
    (same user, context, attempt, role, launch time); the expiry never passes the session's
    maximum age after the launch, and past it the swap is refused."""
    import dataclasses
    import time

    import requests

    from lmspack.tool.launch_token import issue_launch_token

    from .api_client import learner_api

    secret = tool.app.config["SECRET_KEY"]
    cfg = tool.app.extensions["lmspack.config"]
    api = learner_api(tool, platform, user="renew-me", context="c-renew", link="rl-renew")
    before = verify_launch_token(api.token, secret)
    assert before.launched_at and before.expires_at - before.launched_at == cfg.token_ttl
    time.sleep(1.1)  # so the renewed token's expiry is later
    r = api.call("POST", "/session", json={})
    assert r.status_code == 200, r.text
    body = r.json()
    after = verify_launch_token(body["token"], secret)
    assert body["expiresAt"] == after.expires_at > before.expires_at
    assert dataclasses.replace(after, expires_at=0) == dataclasses.replace(before, expires_at=0)
    # the renewed token works on the API
    assert api.call("GET", "/attempt", token=body["token"]).status_code == 200
    # near the maximum age the expiry is capped at it; past it, refused
    now = int(time.time())
    near = dataclasses.replace(before, launched_at=now - cfg.session_max_age + 600)
    r = api.call("POST", "/session", json={}, token=issue_launch_token(secret, near, 60))
    assert r.status_code == 200
    capped = verify_launch_token(r.json()["token"], secret)
    assert capped.expires_at == near.launched_at + cfg.session_max_age
    old = dataclasses.replace(before, launched_at=now - cfg.session_max_age - 1)
    r = api.call("POST", "/session", json={}, token=issue_launch_token(secret, old, 60))
    assert r.status_code == 401 and "maximum length" in r.json()["error"]
    # no token, or one in the URL, is refused
    assert requests.post(f"{tool.url}/api/v1/session", timeout=10).status_code == 401
    r = requests.post(f"{tool.url}/api/v1/session", params={"t": api.token}, timeout=10)
    assert r.status_code == 401
