"""Deep linking, LTI Dynamic Registration and key rotation, end to end on loopback."""

from __future__ import annotations

import json
from datetime import timedelta

import jwt
import requests
from click.testing import CliRunner
from sqlalchemy import select, update

from lmspack.cli import main
from lmspack.course import load_course
from lmspack.store.models import Deployment, Platform, ToolKey, utcnow
from tests.conftest import COURSE

from .platform import Browser, TestPlatform, parse_form

COURSE_MODEL = load_course(COURSE)


def _deep_link(tool, platform) -> tuple[Browser, dict]:
    b = Browser()
    r = b.launch(platform, user="teacher", role="instructor", kind="deeplink", context="dl1")
    assert r.status_code == 200, r.text[:800]
    assert "Choose a course to add" in r.text and COURSE_MODEL.title in r.text
    action, fields = parse_form(r.text)
    assert action == "/lti/deep-link" and fields["course"] == COURSE_MODEL.id
    answer = b.post(tool.url + action, fields)
    assert answer.status_code == 200, answer.text[:800]
    return_url, form = parse_form(answer.text)
    assert return_url == platform.issuer + "/deep_link_return"
    done = b.post(return_url, form)
    assert done.status_code == 200, done.text[:800]
    return b, {"fields": fields, "jwt": form["JWT"]}


def test_deep_linking_returns_a_resource_link_with_a_line_item(tool, platform):
    b, sent = _deep_link(tool, platform)
    # lti1p3platform validated the response's signature against our JWKS over HTTP
    (item,) = platform.content_items
    assert item["type"] == "ltiResourceLink"
    assert item["title"] == COURSE_MODEL.title
    assert item["url"] == tool.url + "/lti/launch"
    assert item["lineItem"]["scoreMaximum"] == 100
    assert item["custom"] == {"lmspack_course": COURSE_MODEL.id}
    header = jwt.get_unverified_header(sent["jwt"])
    kids = [k["kid"] for k in b.get(tool.url + "/lti/jwks").json()["keys"]]
    assert header["kid"] == kids[0]
    # the picker's ticket is single use
    again = b.post(tool.url + "/lti/deep-link", sent["fields"])
    assert again.status_code == 400 and "expired or was used" in again.text
    # and the link it made launches the course (custom param chooses it)
    r = Browser().launch(
        platform, user="stu", custom=json.dumps({"lmspack_course": COURSE_MODEL.id})
    )
    assert r.status_code == 303


def test_deep_linking_is_for_teachers_only(tool, platform):
    r = Browser().launch(platform, user="stu", role="learner", kind="deeplink")
    assert r.status_code == 403
    assert "Only teachers" in r.text


def test_dynamic_registration_with_an_invite(tool):
    p = TestPlatform(tool.url)  # not registered with the tool
    try:
        b = Browser()
        r = p.start_registration(b, tool.invite(name="Acme Council"))
        assert r.status_code == 200, r.text[:1000]
        assert "Pending" in r.text and "Acme Council" in r.text
        assert '<script src="/static/registered.js"></script>' in r.text  # no inline script
        js = requests.get(tool.url + "/static/registered.js", timeout=10).text
        assert "postMessage({ subject: 'org.imsglobal.lti.close' }, '*')" in js
        assert p.issuer in r.headers["Content-Security-Policy"]
        (sent,) = p.registration_requests
        tool_conf = sent["https://purl.imsglobal.org/spec/lti-tool-configuration"]
        assert tool_conf["domain"] == tool.url.split("//")[1]
        assert "LtiDeepLinkingRequest" in [m["type"] for m in tool_conf["messages"]]
        with tool.store.transaction() as s:
            # by issuer and client id: an earlier test platform may have had this port (and
            # so this issuer) and still be registered in the session's database
            (platform,) = s.scalars(
                select(Platform).where(
                    Platform.issuer == p.issuer, Platform.client_id == p.registered_client_id
                )
            )
            assert platform.name == "Acme Council"  # the invite's name, not the platform's
            assert (platform.added_via, platform.invite_name) == ("invite", "Acme Council")
            assert platform.auth_login_url == p.issuer + "/auth"
            assert platform.key_set_url == p.jwks_url
            deps = s.scalars(
                select(Deployment.deployment_id).where(Deployment.platform_id == platform.id)
            )
            assert list(deps) == ["dyn-deploy-1"]
        # the new registration launches (its key set fetched through the address guard)
        p.client_id, p.deployment_id = p.registered_client_id, "dyn-deploy-1"
        assert Browser().launch(p, user="new").status_code == 303
        # the URL without the platform's parameters says what it is for
        r = b.get(tool.invite())
        assert r.status_code == 400 and "openid_configuration" in r.text
    finally:
        p.stop()


def _signing_kid(tool, platform) -> str:
    """The kid of what the tool signs (the platform verifies a deep-linking response)."""
    _b, sent = _deep_link(tool, platform)
    return jwt.get_unverified_header(sent["jwt"])["kid"]


def _age_keys(tool, seconds: float) -> None:
    """Move every key's publication back in time, as if `seconds` had passed."""
    with tool.store.transaction() as s:
        for k in s.scalars(select(ToolKey)):
            k.created_at -= timedelta(seconds=seconds)
            for when in ("retire_after", "signs_from"):
                if getattr(k, when) is not None:
                    setattr(k, when, getattr(k, when) - timedelta(seconds=seconds))


def test_key_rotation_publishes_first_signs_later_keeps_the_old_key(
    tool, platform, database_url
):
    b = Browser()
    _age_keys(tool, 3600)  # the tool has run for an hour
    before = [k["kid"] for k in b.get(tool.url + "/lti/jwks").json()["keys"]]
    assert _signing_kid(tool, platform) in before
    res = CliRunner().invoke(
        main, ["keys", "rotate", "--grace-days", "2", "--database-url", database_url]
    )
    assert res.exit_code == 0, res.output
    assert "signs in 5 minutes" in res.output
    after = [k["kid"] for k in b.get(tool.url + "/lti/jwks").json()["keys"]]
    new = after[0]
    assert new not in before and set(before) <= set(after)
    listing = CliRunner().invoke(main, ["keys", "list", "--database-url", database_url])
    assert f"{new}  published" in listing.output and "signs soon" in listing.output
    # published, not yet signing: a platform's cached key set may not hold it yet
    assert _signing_kid(tool, platform) in before
    # once a cached key set (max-age 300 s) has expired everywhere, the new key signs
    _age_keys(tool, 301)
    assert _signing_kid(tool, platform) == new
    # after the grace period the old keys are gone from the JWKS
    with tool.store.transaction() as s:
        s.execute(
            update(ToolKey)
            .where(ToolKey.kid.in_(before))
            .values(retire_after=utcnow() - timedelta(seconds=1))
        )
    final = [k["kid"] for k in b.get(tool.url + "/lti/jwks").json()["keys"]]
    assert new in final and not set(before) & set(final)


def test_client_assertion_gets_an_access_token_and_it_is_cached(tool, platform):
    """What the AGS sender and NRPS rely on: our key signs the client assertion, the platform
    checks it against /lti/jwks over HTTP, and the token is cached in the database."""
    from lmspack.lti.services import StoreServiceConnector, http_session, registration_for
    from lmspack.store.platforms import find_platform

    scope = ["https://purl.imsglobal.org/spec/lti-ags/scope/score"]
    with tool.store.transaction() as s:
        reg = registration_for(s, find_platform(s, platform.issuer, platform.client_id))
        reg.get_kid()
    token = StoreServiceConnector(reg, http_session(5), tool.store).get_access_token(scope)
    assert token and token.count(".") == 2
    with tool.store.transaction() as s:
        reg = registration_for(s, find_platform(s, platform.issuer, platform.client_id))
        reg.get_kid()
    platform.stop()  # a cached token needs no platform
    assert StoreServiceConnector(reg, http_session(5), tool.store).get_access_token(scope) == token


def test_key_rotation_now_for_a_compromised_key(tool, platform, database_url):
    b = Browser()
    _age_keys(tool, 3600)
    before = {k["kid"] for k in b.get(tool.url + "/lti/jwks").json()["keys"]}
    res = CliRunner().invoke(
        main,
        ["keys", "rotate", "--now", "--grace-days", "0", "--database-url", database_url],
    )
    assert res.exit_code == 0, res.output
    after = [k["kid"] for k in b.get(tool.url + "/lti/jwks").json()["keys"]]
    assert len(after) == 1 and after[0] not in before  # the old key left the key set
    assert _signing_kid(tool, platform) == after[0]
