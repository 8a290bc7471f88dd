"""Issue 18 item 5, "one learner can break a course's reports", through real launches on
SQLite and PostgreSQL: unprintable text (lone surrogates, NUL, control characters,
noncharacters) and over-deep JSON get a clear 400 at the API; a platform's name with a lone
surrogate is cleaned; and text stored before the API refused it still renders on every page
and export (evaluation report + CSV, `lmspack report evaluation`, the CPD record as HTML, PDF
and Markdown, the facilitator's session page) and never stops a certificate being issued."""

from __future__ import annotations

import json
import re

import jwt
import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import select

from lmspack.cli import main
from lmspack.store.models import Attempt, User

from .api_client import COURSE_MODEL, complete_course, launch_token, learner_api, post_admin_form
from .platform import Browser
from .workshop import book_and_attend, finish_workshop, send_session_evaluation

BAD = {
    "lone surrogate": "Ann \ud800 wrote this",
    "NUL": "before\x00after",
    "bell": "ring \x07 ring",
    "escape": "\x1b[31mred",
    "C1 control": "next\x85line",
    "noncharacter": "end \uffff",
}
GOOD = "Tabs\tand\nnew lines, Siobhán, שלום, 😀, \u200b and =1+1 are all fine"
REFLECTION = COURSE_MODEL.reflections[0].id
COMMENT = next(
    e.id for e in COURSE_MODEL.evaluation.questions if e.type not in ("yes-no", "rating")
)


def _bodies(text: str) -> list[tuple[str, str, dict]]:
    return [
        ("PUT", "/attempt/state", {"reflections": {REFLECTION: text}}),
        ("PUT", "/attempt/state", {"name": text}),
        ("PUT", "/attempt/state", {"evaluation": {COMMENT: text}}),
        ("POST", "/evaluation", {"answers": {COMMENT: text}}),
    ]


@pytest.mark.parametrize("kind", list(BAD))
def test_unprintable_text_is_a_clear_400_in_every_field(tool, platform, kind):
    api = learner_api(tool, platform, user=f"typist-{len(kind)}-{kind[:3]}", context="pt1")
    for method, path, body in _bodies(BAD[kind]):
        r = api.call(method, path, json=body)
        assert r.status_code == 400, (kind, path, body, r.status_code, r.text[:300])
        error = r.json()["error"]
        assert "please remove it" in error.lower() and "U+" in error, error
    state = api.get("/attempt").json()["state"]
    assert not state["reflections"] and state["name"] == ""  # nothing was stored


def test_printable_text_is_still_accepted(tool, platform):
    api = learner_api(tool, platform, user="typist-good", context="pt1")
    for method, path, body in _bodies(GOOD)[:3]:
        r = api.call(method, path, json=body)
        assert r.status_code == 200, (path, r.text[:300])
    state = api.get("/attempt").json()["state"]
    assert state["reflections"][REFLECTION] == GOOD and state["name"] == GOOD.strip()


def test_a_surrogate_escape_in_the_raw_body_is_refused_too(tool, platform):
    """Not only a JSON escape: a field name, and a body of invalid UTF-8 bytes."""
    api = learner_api(tool, platform, user="typist-raw", context="pt1")
    headers = {"Content-Type": "application/json"}
    raw = b'{"reflections": {"\\udc00": "x"}}'
    r = api.call("PUT", "/attempt/state", data=raw, headers=headers)
    assert r.status_code == 400 and "field name" in r.json()["error"]
    r = api.call("PUT", "/attempt/state", data=b'{"name": "\xed\xa0\x80"}', headers=headers)
    assert r.status_code == 400 and "UTF-8" in r.json()["error"]


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "method,path",
    [
        ("PUT", "/attempt/state"),
        ("POST", "/answers"),
        ("POST", "/evaluation"),
    ],
)
def test_a_100000_deep_json_body_is_a_400(tool, platform, method, path):
    api = learner_api(tool, platform, user="nester", context="pt2")
    headers = {"Content-Type": "application/json"}
    r = api.call(method, path, data=DEEP.encode(), headers=headers)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert "nested more than" in r.json()["error"]
    nested_object = '{"name": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}"
    r = api.call(method, path, data=nested_object.encode(), headers=headers)
    assert r.status_code == 400 and "nested more than" in r.json()["error"]
    assert api.get("/attempt").status_code == 200  # the learner carries on


def test_a_platform_name_with_a_lone_surrogate_is_cleaned(tool, platform):
    r = Browser().launch(
        platform, user="sur-name", name_json=json.dumps("Zo\ud800e Smith"), context="pt3"
    )
    assert r.status_code == 303, r.text[:500]
    with tool.store.sessions() as s:
        user = s.scalar(select(User).where(User.sub == "sur-name"))
        assert (user.name, user.given_name) == ("Zo\ufffde Smith", "Zo\ufffde")


def test_a_user_id_with_a_lone_surrogate_is_a_clear_400(tool, platform):
    """A name can be cleaned; a user id can't (it is the platform's key for the learner)."""
    r = Browser().launch(platform, user_json=json.dumps("id-\ud800"), context="pt3")
    assert r.status_code == 400, r.text[:500]
    assert "user id (sub) contains a lone surrogate" in r.text


# --------------------------------------------------------------------------- stored text


def _stored_bad(store) -> str:
    """Text the API refuses now but an older version stored: SQLite's JSON kept a lone
    surrogate (and NUL) as escapes; PostgreSQL's jsonb refused those, not the controls."""
    if store.is_sqlite:
        return "Bad \ud800 text\x00 \x07 end"
    return "Bad \x07 text \x1b \x85 \uffff end"


def _plant(tool, sub: str, **state) -> None:
    """Write text straight into a learner's attempt, as an older version would have."""
    with tool.store.transaction() as s:
        attempt = s.scalar(select(Attempt).join(User).where(User.sub == sub))
        attempt.state = {**(attempt.state or {}), **state}


def _ctx(token: str) -> int:
    return jwt.decode(token, options={"verify_signature": False})["ctx"]


def test_stored_unprintable_text_renders_on_every_page_and_export(tool, platform, database_url):
    bad = _stored_bad(tool.store)
    api = learner_api(tool, platform, user="old-bad", context="pt4", link="rl4", name_json="null")
    complete_course(api)
    evaluation = {**(api.get("/attempt").json()["state"]["evaluation"]), COMMENT: bad}
    _plant(tool, "old-bad", reflections={REFLECTION: bad}, evaluation=evaluation)
    sid = book_and_attend(tool, api)
    teacher = launch_token(platform, user="t-pt4", role="instructor", context="pt4", link="rl4")
    ctx = _ctx(teacher)
    pages = ("evaluation", "evaluation.csv", "completions", "completions.csv", f"sessions/{sid}")
    for page in pages:
        r = requests.get(f"{tool.url}/admin/{ctx}/{page}", params={"t": teacher}, timeout=20)
        assert r.status_code == 200, (page, r.status_code, r.text[:300])
        r.content.decode("utf-8")  # valid UTF-8
        if page.startswith("evaluation"):
            assert "Bad " in r.text, page
            assert "\x07" not in r.text and "\x00" not in r.text
    for path in ("/record", "/record.md", "/record.pdf"):
        r = requests.get(tool.url + path, params={"t": api.token}, timeout=30)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
    base = ["--context", "pt4", "--platform", platform.issuer, "--database-url", database_url]
    for fmt in ("csv", "json"):
        r = CliRunner().invoke(main, ["report", "evaluation", *base, "--format", fmt])
        assert r.exit_code == 0, (fmt, r.output, r.exception)
        assert "Bad " in r.stdout_bytes.decode("utf-8"), fmt


def test_a_stored_unprintable_name_still_gets_its_certificate(tool, platform):
    """The platform sent no name; the name typed for the certificate holds bad text."""
    bad = _stored_bad(tool.store)
    api = learner_api(tool, platform, user="old-name", context="pt5", link="rl5", name_json="null")
    _plant(tool, "old-name", name=bad)
    teacher = launch_token(platform, user="t-pt5", role="instructor", context="pt5", link="rl5")
    complete_course(api)
    sid = book_and_attend(tool, api)
    r = requests.get(
        f"{tool.url}/admin/{_ctx(teacher)}/sessions/{sid}", params={"t": teacher}, timeout=20
    )
    assert r.status_code == 200, r.text[:300]
    assert send_session_evaluation(tool, api).status_code == 303
    cert = api.get("/attempt").json()["certificate"]
    assert cert is not None, "no certificate was issued"
    page = requests.get(cert["urls"]["verify"], timeout=10)
    assert page.status_code == 200 and re.search(r"Bad .{0,3}text", page.text)
    for url in (cert["urls"]["pdf"], cert["urls"]["badge"]):
        assert requests.get(url, timeout=30).status_code == 200, url


def test_an_admins_unprintable_reason_is_a_clear_400(tool, platform):
    api = learner_api(tool, platform, user="revokee", context="pt6", link="rl6")
    complete_course(api)
    code = finish_workshop(tool, api)["code"]
    teacher = launch_token(platform, user="t-pt6", role="instructor", context="pt6", link="rl6")
    page = f"/admin/{_ctx(teacher)}/certificates/{code}"
    for bad in ("Wrong\x00 learner", "Wrong \x07learner"):
        r = post_admin_form(tool, page, page + "/revoke", teacher, {"reason": bad})
        assert r.status_code == 400 and "please remove it" in r.text, r.text[:300]
        r = post_admin_form(tool, page, page + "/reissue", teacher,
                            {"reason": "Name fix", "name": bad})  # fmt: skip
        assert r.status_code == 400 and "corrected name contains" in r.text, r.text[:300]
    assert api.get("/attempt").json()["certificate"]["revoked"] is False
