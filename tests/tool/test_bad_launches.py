"""Every bad launch gets a 4xx HTML page with a clear message, never a traceback."""

from __future__ import annotations

import html
import time

import jwt
import pytest

from .platform import Browser, rsa_pair

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
OTHER_PRIVATE, _ = rsa_pair()


def _forged(p, c):
    return p.sign(c, key=OTHER_PRIVATE)


def _alg_none(p, c):
    return jwt.encode(c, None, algorithm="none", headers={"kid": p.kid})


def _hs256_key_confusion(p, c):
    """HS256 'signed' with the platform's public key as the secret (a classic attack)."""
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": p.kid}).encode())
    body = b64(json.dumps(c).encode())
    sig = hmac.new(p.public_key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def _expired(p, c):
    now = int(time.time())
    c.update(iat=now - 300, exp=now - 60)
    return p.sign(c)


def _no_exp(p, c):
    c.pop("exp")
    return p.sign(c)


def _no_iat(p, c):
    c.pop("iat")
    return p.sign(c)


def _future_iat(p, c):
    c["iat"] = int(time.time()) + 600
    c["exp"] = c["iat"] + 60
    return p.sign(c)


def _wrong_aud(p, c):
    c["aud"] = "someone-else"
    c.pop("azp", None)
    return p.sign(c)


def _aud_list_without_azp(p, c):
    c["aud"] = [p.client_id, "another-tool"]
    c.pop("azp", None)
    return p.sign(c)


def _wrong_azp(p, c):
    c["aud"] = [p.client_id, "another-tool"]
    c["azp"] = "another-tool"
    return p.sign(c)


def _azp_not_in_aud(p, c):
    c["aud"] = [p.client_id, "another-tool"]
    c["azp"] = "third-tool"
    return p.sign(c)


def _unknown_deployment(p, c):
    c[LTI + "deployment_id"] = "not-registered"
    return p.sign(c)


def _unknown_issuer(p, c):
    c["iss"] = "https://unknown.example"
    return p.sign(c)


def _unknown_kid(p, c):
    return p.sign(c, kid="no-such-kid")


def _no_nonce(p, c):
    c.pop("nonce")
    return p.sign(c)


def _bad_message_type(p, c):
    c[LTI + "message_type"] = "LtiSomethingElse"
    return p.sign(c)


def _no_sub(p, c):
    c.pop("sub")
    return p.sign(c)


def _target_elsewhere(p, c):
    c[LTI + "target_link_uri"] = "https://elsewhere.example/lti/launch"
    return p.sign(c)


BAD = {
    "forged signature": (_forged, "signature is not valid"),
    "alg none": (_alg_none, "accepts only"),
    "alg HS256 with the public key": (_hs256_key_confusion, "accepts only"),
    "expired": (_expired, "expired"),
    "missing exp": (_no_exp, "'exp'"),
    "missing iat": (_no_iat, "'iat'"),
    "iat in the future": (_future_iat, "issued in the future"),
    "wrong aud": (_wrong_aud, "no registration"),
    "aud list without azp": (_aud_list_without_azp, "no authorized party (azp)"),
    "wrong azp": (_wrong_azp, "no registration"),
    "azp not in aud": (_azp_not_in_aud, "azp is not one of its audiences"),
    "unknown deployment": (_unknown_deployment, "not set up for the deployment"),
    "unknown issuer": (_unknown_issuer, "no registration for the platform"),
    "unknown kid": (_unknown_kid, "has no key"),
    "no nonce": (_no_nonce, "'nonce'"),
    "unknown message type": (_bad_message_type, "refused"),
    "no sub": (_no_sub, "user (sub)"),
    "target_link_uri of another tool": (_target_elsewhere, "which is not this tool"),
}


def _assert_clear_4xx(r, text: str, status: int = 400) -> None:
    assert r.status_code == status, (r.status_code, r.text[:800])
    assert r.headers["Content-Type"].startswith("text/html")
    problem = r.text.split('class="problem">')[-1].split("</div>")[0]
    assert text.lower() in html.unescape(r.text).lower(), problem
    assert "Traceback" not in r.text


@pytest.mark.parametrize("case", list(BAD))
def test_bad_id_token(tool, platform, case):
    make, text = BAD[case]
    b = Browser()
    params = b.begin(platform, user="eve", role="learner")
    claims = platform.launch_claims(params, {"user": "eve", "role": "learner"})
    token = make(platform, claims)
    r = b.post(tool.url + "/lti/launch", {"id_token": token, "state": params["state"]})
    _assert_clear_4xx(r, text)


def test_replayed_id_token_is_refused(tool, platform):
    b = Browser()
    params = b.begin(platform, user="rex")
    action, fields = b.authorize(platform, params)
    assert b.post(action, fields).status_code == 303
    again = b.post(action, fields)
    _assert_clear_4xx(again, "already used")
    # from another browser (no state cookie) too
    other = Browser().post(action, fields)
    assert other.status_code == 400


def test_tampered_state_is_refused(tool, platform):
    b = Browser()
    params = b.begin(platform, user="sam")
    action, fields = b.authorize(platform, params)
    fields["state"] = "state-tampered"
    _assert_clear_4xx(b.post(action, fields), "did not come back to the browser")


def test_platform_error_gets_a_friendly_page(tool):
    r = Browser().post(
        tool.url + "/lti/launch",
        {"error": "login_required", "error_description": "The user is not logged in."},
    )
    _assert_clear_4xx(r, "could not complete the launch (login_required)")
    assert "The user is not logged in." in r.text


def test_launch_without_id_token(tool):
    _assert_clear_4xx(Browser().post(tool.url + "/lti/launch", {"state": "x"}), "no id_token")


def test_unknown_issuer_at_login_is_a_clear_400(tool):
    r = Browser().get(
        tool.url + "/lti/login",
        params={"iss": "https://nowhere.example", "login_hint": "1", "client_id": "zz"},
    )
    _assert_clear_4xx(r, "no registration for the platform 'https://nowhere.example'")
    r = Browser().get(tool.url + "/lti/login", params={"login_hint": "1"})
    _assert_clear_4xx(r, "login request is incomplete")


def test_login_for_another_tool_is_a_clear_400(tool, platform):
    r = Browser().get(
        tool.url + "/lti/login",
        params={
            "iss": platform.issuer,
            "client_id": platform.client_id,
            "login_hint": "1",
            "target_link_uri": "https://elsewhere.example/lti/launch",
        },
    )
    _assert_clear_4xx(r, "'https://elsewhere.example/lti/launch', which is not this tool")


def test_small_clock_skew_and_aud_list_with_azp_are_accepted(tool, platform):
    b = Browser()
    params = b.begin(platform, user="kim")
    claims = platform.launch_claims(params, {"user": "kim"})
    now = int(time.time())
    claims.update(iat=now - 62, exp=now - 2)  # expired 2 s ago, leeway is 5 s
    claims["aud"] = [platform.client_id, "another-tool"]
    claims["azp"] = platform.client_id
    r = b.post(
        tool.url + "/lti/launch", {"id_token": platform.sign(claims), "state": params["state"]}
    )
    assert r.status_code == 303, r.text[:800]


def test_platform_key_rotation_refetches_jwks_once(tool, platform):
    Browser().launch(platform, user="k0")  # the tool caches the platform's JWKS
    new_private, new_public = rsa_pair()
    from lti1p3platform.registration import Registration

    jwk = Registration.get_jwk(new_public)
    platform.extra_jwks.append(jwk)
    hits = platform.jwks_hits
    b = Browser()
    params = b.begin(platform, user="k1")
    claims = platform.launch_claims(params, {"user": "k1"})
    token = platform.sign(claims, key=new_private, kid=jwk["kid"])
    r = b.post(tool.url + "/lti/launch", {"id_token": token, "state": params["state"]})
    assert r.status_code == 303, r.text[:800]
    assert platform.jwks_hits == hits + 1


def test_unknown_kids_refetch_the_jwks_at_most_once_per_interval(tool, platform):
    hits = platform.jwks_hits
    for user in ("x1", "x2", "x3"):
        b = Browser()
        params = b.begin(platform, user=user)
        token = platform.sign(platform.launch_claims(params, {"user": user}), kid="made-up")
        r = b.post(tool.url + "/lti/launch", {"id_token": token, "state": params["state"]})
        assert r.status_code == 400
    assert platform.jwks_hits - hits == 2  # the first fetch, then one refetch, not three


# --------------------------------------------------------------------------- login binding


def test_an_id_token_from_another_browsers_login_is_refused(tool, platform):
    """Browser B, holding browser A's unused id_token, posts it with the state of a login B
    started itself: the token's nonce is not that login's, so no session as A."""
    a, b = Browser(), Browser()
    action, fields_a = a.authorize(platform, a.begin(platform, user="alice"))
    params_b = b.begin(platform, user="mallory")
    r = b.post(action, {"id_token": fields_a["id_token"], "state": params_b["state"]})
    _assert_clear_4xx(r, "login started in another browser")
    assert "Location" not in r.headers
    assert a.post(action, fields_a).status_code == 303  # A's login was left for A


def test_an_id_token_from_another_browsers_login_is_refused_behind_https(database_url, store):
    from urllib.parse import parse_qsl, urlsplit

    from lmspack.store.platforms import add_platform
    from lmspack.tool import create_app
    from tests.conftest import COURSE

    from .platform import TestPlatform

    base = "https://tool.example"
    app = create_app(
        {"database_url": database_url, "base_url": base, "course": str(COURSE),
         "secret_key": "s", "trusted_proxies": 1, "grades_background": False},
        store_=store,
    )  # fmt: skip
    p = TestPlatform(base)
    try:
        with store.transaction() as s:
            add_platform(s, **p.cli_args())
        https = {"X-Forwarded-Proto": "https"}

        def login(client, user: str) -> dict:
            query = {
                "iss": p.issuer,
                "login_hint": user,
                "client_id": p.client_id,
                "lti1p3_new_window": "1",
                "lti_message_hint": f'{{"user": "{user}"}}',
            }
            r = client.get("/lti/login", query_string=query, headers=https)
            assert r.status_code == 302, r.data[:500]
            assert all("Secure" in c for c in r.headers.getlist("Set-Cookie"))
            return dict(parse_qsl(urlsplit(r.headers["Location"]).query))

        a, b = app.test_client(), app.test_client()
        action, fields_a = Browser().authorize(p, login(a, "alice"))
        assert action == base + "/lti/launch"
        state_b = login(b, "mallory")["state"]
        r = b.post(
            "/lti/launch", data={"id_token": fields_a["id_token"], "state": state_b}, headers=https
        )
        assert r.status_code == 400, r.data[:800]
        assert b"login started in another browser" in r.data
        assert a.post("/lti/launch", data=fields_a, headers=https).status_code == 303
    finally:
        p.stop()
