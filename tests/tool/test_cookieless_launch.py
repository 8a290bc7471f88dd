"""The launch whose state cookie did not come back (issue 16), over HTTP: the login page's
proof, the completion page, and what the tool refuses. The browser side (the scripts that
keep and find the proof) is tests/browser/test_embedded_launch.py."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

from .platform import Browser, parse_form


def _login_page(b: Browser, platform, **hint) -> dict:
    """The tool's login page (not the new-window retry): its auth URL's params and proof."""
    r = b.get(platform.issuer + "/start", params=hint)
    page = b.get(r.headers["Location"])
    assert page.status_code == 200 and "lti1p3-new-tab-link" in page.text
    data = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', page.text))
    params = dict(parse_qsl(urlsplit(unescape(data["auth-url"])).query))
    assert data["state"] == params["state"] and data["proof"]
    return {**params, "proof": data["proof"]}


def _launch_fields(b: Browser, platform, **hint) -> tuple[str, dict, str]:
    params = _login_page(b, platform, **hint)
    proof = params.pop("proof")
    action, fields = b.authorize(platform, params)
    return action, fields, proof


def test_a_launch_without_its_cookie_gets_the_completion_page_and_keeps_the_login(
    tool, platform
):
    b = Browser()
    action, fields, _proof = _launch_fields(b, platform, user="cl1")
    other = Browser()  # no state cookie: as in a frame whose browser sends none
    r = other.post(action, fields)
    assert r.status_code == 200 and "launch-proof.js" in r.text, r.text[:300]
    got_action, got = parse_form(r.text)
    assert got_action == action and got["id_token"] == fields["id_token"]
    assert got["state"] == fields["state"] and got["lmspack_proof"] == ""
    assert platform.issuer in r.headers["Content-Security-Policy"]  # framable by the platform
    # nothing was used up: the browser that started the login still launches
    assert b.post(action, fields).status_code == 303


def test_the_proof_is_accepted_only_from_the_tools_own_page(tool, platform):
    b = Browser()
    action, fields, proof = _launch_fields(b, platform, user="cl2")
    attacker = Browser()  # another browser: no cookie; what it posts, it chose itself
    with_proof = {**fields, "lmspack_proof": proof}
    own = {"Origin": tool.url, "Sec-Fetch-Site": "same-origin"}
    for headers in ({}, {"Origin": "https://evil.example"},
                    {"Origin": tool.url, "Sec-Fetch-Site": "cross-site"}):  # fmt: skip
        r = attacker.post(action, with_proof, headers=headers)
        assert r.status_code == 403 and "own page" in r.text, (headers, r.text[:300])
    wrong = {**fields, "lmspack_proof": proof[:-2] + "xx"}
    r = attacker.post(action, wrong, headers=own)
    assert r.status_code == 400 and "did not come back" in r.text
    # the tool's completion page posting the proof it found: the launch goes through, once
    r = attacker.post(action, with_proof, headers=own)
    assert r.status_code == 303 and "/course/" in r.headers["Location"]
    r = attacker.post(action, with_proof, headers=own)
    assert r.status_code == 400 and "already used" in r.text


def test_a_proof_does_not_carry_another_logins_id_token(tool, platform):
    """Browser B's own proof and state with A's id_token: B's login's nonce is not A's."""
    a, b = Browser(), Browser()
    action, fields_a, _ = _launch_fields(a, platform, user="alice-cl")
    _, fields_b, proof_b = _launch_fields(b, platform, user="mallory-cl")
    mixed = {"id_token": fields_a["id_token"], "state": fields_b["state"],
             "lmspack_proof": proof_b}  # fmt: skip
    r = b.post(action, mixed, headers={"Origin": tool.url})
    assert r.status_code == 400 and "login started in another browser" in r.text
    assert a.post(action, fields_a).status_code == 303  # A's login is still A's
