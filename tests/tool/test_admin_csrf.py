"""CSRF tokens on the admin's state-changing forms, through real launches (SQLite and
PostgreSQL): revoke works with the page's token; without it, with a token made for another
context, another admin, another certificate or another action, with a tampered or an expired
one, it is refused (a 403 page, not a traceback) and the certificate is unchanged."""

from __future__ import annotations

import time
from unittest import mock

import jwt
import pytest
import requests
from sqlalchemy import select

from lmspack.store.certificates import Certificate

from .api_client import complete_course, form_fields, launch_token, learner_api, post_admin_form
from .workshop import finish_workshop


def ctx_of(token: str) -> int:
    return jwt.decode(token, options={"verify_signature": False})["ctx"]


def cert_row(tool, code: str) -> Certificate:
    with tool.store.sessions() as s:
        return s.scalar(select(Certificate).where(Certificate.code == code))


def certified_in(tool, platform, context: str, user: str) -> tuple[str, str, int]:
    """A learner certified in `context`; returns (code, an admin's launch token, ctx id)."""
    api = learner_api(tool, platform, user=user, context=context, link=f"{context}-l")
    complete_course(api)
    code = finish_workshop(tool, api)["code"]
    teacher = launch_token(
        platform, user=f"t-{context}", role="instructor", context=context, link=f"{context}-l"
    )
    return code, teacher, ctx_of(teacher)


def page_tokens(tool, ctx: int, code: str, teacher: str) -> dict[str, str]:
    """The CSRF token of each form on the certificate's admin page, by action."""
    page = f"/admin/{ctx}/certificates/{code}"
    html = requests.get(tool.url + page, params={"t": teacher}, timeout=20).text
    return {a: form_fields(html, f"{page}/{a}")["csrf_token"] for a in ("revoke", "reissue")}


def revoke(tool, ctx: int, code: str, teacher: str, **fields):
    return requests.post(
        f"{tool.url}/admin/{ctx}/certificates/{code}/revoke",
        params={"t": teacher},
        data={"reason": "Issued in error", **fields},
        allow_redirects=False,
        timeout=20,
    )


def assert_refused(r, tool, code: str) -> None:
    assert r.status_code == 403, (r.status_code, r.text[:300])
    assert "This form could not be accepted" in r.text and "Traceback" not in r.text
    assert "nothing was changed" in r.text
    row = cert_row(tool, code)
    assert row.revoked_at is None and row.revoked_reason is None and row.replaced_by is None


@pytest.fixture
def two_courses(tool, platform):
    a = certified_in(tool, platform, "csrf-a", "csrf-la")
    b = certified_in(tool, platform, "csrf-b", "csrf-lb")
    return a, b


def test_revoke_with_the_pages_token_works(tool, two_courses):
    (code, teacher, ctx), _ = two_courses
    token = page_tokens(tool, ctx, code, teacher)["revoke"]
    r = revoke(tool, ctx, code, teacher, csrf_token=token)
    assert r.status_code == 303, r.text[:300]
    row = cert_row(tool, code)
    assert row.revoked_at is not None and row.revoked_reason == "Issued in error"
    v = requests.get(f"{tool.url}/verify/{code}", timeout=10).text
    assert "was revoked" in v


def test_revoke_without_a_token_is_refused(tool, two_courses):
    (code, teacher, ctx), _ = two_courses
    assert_refused(revoke(tool, ctx, code, teacher), tool, code)
    assert_refused(revoke(tool, ctx, code, teacher, csrf_token=""), tool, code)


def test_a_token_for_another_context_certificate_or_action_is_refused(tool, two_courses):
    (code_a, teacher_a, ctx_a), (code_b, teacher_b, ctx_b) = two_courses
    own = page_tokens(tool, ctx_a, code_a, teacher_a)
    other = page_tokens(tool, ctx_b, code_b, teacher_b)
    # B's admin's token for B's certificate, sent with A's launch to A's certificate
    assert_refused(revoke(tool, ctx_a, code_a, teacher_a, csrf_token=other["revoke"]), tool, code_a)
    # the re-issue form's token used to revoke
    assert_refused(revoke(tool, ctx_a, code_a, teacher_a, csrf_token=own["reissue"]), tool, code_a)
    # a token made in A for B's certificate cannot be had: A's page for B's code is a 404
    r = requests.get(f"{tool.url}/admin/{ctx_a}/certificates/{code_b}", params={"t": teacher_a})
    assert r.status_code == 404
    # nor can B's token be used with B's launch on A's URL (another context: 403 first)
    r = revoke(tool, ctx_a, code_a, teacher_b, csrf_token=other["revoke"])
    assert r.status_code == 403
    assert cert_row(tool, code_a).revoked_at is None


def test_a_token_for_another_admin_is_refused(tool, platform, two_courses):
    (code, teacher, ctx), _ = two_courses
    colleague = launch_token(
        platform, user="t-csrf-other", role="instructor", context="csrf-a", link="csrf-a-l"
    )
    assert ctx_of(colleague) == ctx
    theirs = page_tokens(tool, ctx, code, colleague)["revoke"]
    assert_refused(revoke(tool, ctx, code, teacher, csrf_token=theirs), tool, code)
    # with their own launch it is theirs to use
    assert revoke(tool, ctx, code, colleague, csrf_token=theirs).status_code == 303


def test_a_tampered_or_expired_token_is_refused(tool, two_courses):
    (code, teacher, ctx), _ = two_courses
    token = page_tokens(tool, ctx, code, teacher)["revoke"]
    payload, stamp, sig = token.rsplit(".", 2)
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    for bad in (f"{payload}.{stamp}.{flipped}", token[1:], "not-a-token", token + "x"):
        assert_refused(revoke(tool, ctx, code, teacher, csrf_token=bad), tool, code)
    # made five hours ago (the default maximum age is four)
    with (
        tool.app.test_request_context(),
        mock.patch("time.time", return_value=time.time() - 5 * 3600),
    ):
        from flask import g

        from lmspack.tool.csrf import form_token
        from lmspack.tool.launch_token import verify_launch_token

        g.launch = verify_launch_token(teacher, tool.app.config["SECRET_KEY"])
        old = form_token("reports.certificate_revoke", context_id=ctx, code=code)
    r = revoke(tool, ctx, code, teacher, csrf_token=old)
    assert_refused(r, tool, code)
    assert "too old" in r.text


def test_reissue_and_roster_need_their_tokens_too(tool, two_courses):
    (code, teacher, ctx), _ = two_courses
    r = requests.post(
        f"{tool.url}/admin/{ctx}/certificates/{code}/reissue",
        params={"t": teacher},
        data={"reason": "Name corrected", "name": "Someone Else"},
        allow_redirects=False,
    )
    assert_refused(r, tool, code)
    r = requests.post(f"{tool.url}/admin/{ctx}/roster", params={"t": teacher}, timeout=20)
    assert r.status_code == 403 and "This form could not be accepted" in r.text
    page = f"/admin/{ctx}/certificates/{code}"
    r = post_admin_form(
        tool, page, page + "/reissue", teacher, {"reason": "Name corrected"}, allow_redirects=False
    )
    assert r.status_code == 303
    assert cert_row(tool, code).replaced_by is not None
