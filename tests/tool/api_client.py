"""A learner's side of the JSON API for the tests: launch through the real platform, then
call /api/v1 with the launch token, the way the player's `lti` adapter does."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from html import unescape
from urllib.parse import parse_qs, urlsplit

import requests

from lmspack.course import load_course
from tests.conftest import COURSE

from .platform import Browser, TestPlatform

COURSE_MODEL = load_course(COURSE)


def launch_token(platform: TestPlatform, **hint) -> str:
    r = Browser().launch(platform, **hint)
    if hint.get("role") == "instructor":  # the teacher page links the preview with the token
        assert r.status_code == 200, r.text[:500]
        return unescape(re.search(r'href="/course/[^"]*\?t=([^"&]+)"', r.text).group(1))
    assert r.status_code == 303, r.text[:500]
    return parse_qs(urlsplit(r.headers["Location"]).query)["t"][0]


@dataclass
class Api:
    base: str
    token: str | None

    def call(self, method: str, path: str, json=None, token: str | None = "", **kw):
        token = self.token if token == "" else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(kw.pop("headers", {}))
        return requests.request(
            method, self.base + "/api/v1" + path, json=json, headers=headers, timeout=10, **kw
        )

    def get(self, path: str, **kw):
        return self.call("GET", path, **kw)

    def put(self, path: str, json=None, **kw):
        return self.call("PUT", path, json=json, **kw)

    def post(self, path: str, json=None, **kw):
        return self.call("POST", path, json=json, **kw)

    def answer(self, qid: str, options: list[str]):
        return self.post("/answers", {"question": qid, "options": options})


def learner_api(
    tool, platform: TestPlatform, user="ann", context="c1", link="rl1", **hint
) -> Api:
    return Api(
        tool.url,
        launch_token(platform, user=user, role="learner", context=context, link=link, **hint),
    )


def choice(q, correct: bool) -> list[str]:
    if correct:
        return list(q.correct_ids)
    return [next(o.id for o in q.options if not o.correct)]


def complete_course(api: Api, *, correct=True, evaluate=True) -> dict:
    """Every page, every question (all right, or {qid: bool}), the evaluation."""
    course = COURSE_MODEL
    visited = [n.id for n in course.nav] + ["results"]
    r = api.put("/attempt/state", {"page": "results", "visited": visited})
    assert r.status_code == 200, r.text
    last = None
    for q in course.quiz.questions:
        ok = correct if isinstance(correct, bool) else correct.get(q.id, True)
        last = api.answer(q.id, choice(q, ok))
        assert last.status_code == 201, last.text
    if evaluate:
        answers = {
            e.id: ("yes" if e.type == "yes-no" else "4" if e.type == "rating" else "Useful.")
            for e in course.evaluation.questions
        }
        r = api.post("/evaluation", {"answers": answers})
        assert r.status_code == 200, r.text
    return last.json()["quiz"]


def wait_for(predicate, timeout: float = 10.0, what: str = "condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def form_fields(html: str, action: str) -> dict[str, str]:
    """The hidden fields (the CSRF token) of the page's POST form whose action contains
    `action`."""
    for m in re.finditer(r'<form method="post" action="([^"]*)">(.*?)</form>', html, re.S):
        if action in unescape(m.group(1)):
            hidden = r'<input type="hidden" name="([^"]+)" value="([^"]*)">'
            return {unescape(k): unescape(v) for k, v in re.findall(hidden, m.group(2))}
    raise AssertionError(f"no form posts to {action}")


def post_admin_form(tool, page: str, action: str, token: str, data: dict, **kw):
    """Submit an admin page's form as a browser would: load `page` (a path), take the form's
    hidden fields, POST them with `data` to `action` (a path)."""
    r = requests.get(tool.url + page, params={"t": token}, timeout=20)
    assert r.status_code == 200, r.text[:500]
    fields = form_fields(r.text, action)
    return requests.post(
        tool.url + action, params={"t": token}, data={**fields, **data}, timeout=30, **kw
    )
