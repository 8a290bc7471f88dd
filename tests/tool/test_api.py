"""The learner JSON API over HTTP: auth and tenancy, server-side scoring of the real course,
retake, evaluation, resume on another device, input validation."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from lmspack.store.models import Answer, Attempt
from lmspack.tool.launch_token import issue_launch_token, verify_launch_token

from .api_client import COURSE_MODEL, Api, choice, complete_course, launch_token, learner_api
from .test_launch import answer_key_strings

QUESTIONS = COURSE_MODEL.quiz.questions


def _claims(tool, token):
    return verify_launch_token(token, tool.app.config["SECRET_KEY"])


# --------------------------------------------------------------------------- auth


def test_every_endpoint_needs_a_valid_token(tool, platform):
    api = learner_api(tool, platform, user="auth1")
    calls = [
        ("GET", "/attempt", None),
        ("PUT", "/attempt/state", {"page": "welcome"}),
        ("POST", "/answers", {"question": QUESTIONS[0].id, "options": ["a"]}),
        ("GET", "/quiz", None),
        ("POST", "/quiz/retake", {}),
        ("POST", "/evaluation", {"answers": {}}),
        ("POST", "/finish", {}),
    ]
    other_secret = issue_launch_token("another-secret-" + "x" * 32, _claims(tool, api.token))
    # signed with the tool's own secret: refused for its expiry alone
    expired = issue_launch_token(tool.app.config["SECRET_KEY"], _claims(tool, api.token), -60)
    for method, path, body in calls:
        assert api.call(method, path, json=body, token=None).status_code == 401, path
        r = api.call(method, path, json=body, token="not-a-token")
        assert r.status_code == 401 and r.json()["error"], path
        assert api.call(method, path, json=body, token=other_secret).status_code == 401
        r = api.call(method, path, json=body, token=expired)
        assert r.status_code == 401 and "expired" in r.json()["error"], path
    # the token in the URL (as the course page takes it) is not accepted by the API
    r = api.call("GET", "/attempt", token=None, params={"t": api.token})
    assert r.status_code == 401
    assert "Traceback" not in r.text


def test_another_tenants_or_contexts_attempt_is_unreachable(tool, platform):
    from .platform import TestPlatform

    mine = learner_api(tool, platform, user="t-ann", context="cA", link="rlA")
    other_ctx = learner_api(tool, platform, user="t-ann", context="cB", link="rlB")
    other = TestPlatform(tool.url)
    try:
        tool.register(other)
        theirs = learner_api(tool, other, user="t-ann", context="cA", link="rlA")
        assert mine.put("/attempt/state", {"page": "power"}).status_code == 200
        a, b, c = (_claims(tool, x.token) for x in (mine, other_ctx, theirs))
        assert len({a.attempt_id, b.attempt_id, c.attempt_id}) == 3
        assert len({a.platform_id, c.platform_id}) == 2
        secret = tool.app.config["SECRET_KEY"]
        # Tokens the tool would never issue: one claim swapped for another tenant's/context's.
        forged = [
            a.__class__(**{**a.__dict__, "attempt_id": c.attempt_id}),  # other platform's attempt
            a.__class__(**{**a.__dict__, "attempt_id": b.attempt_id}),  # other context's attempt
            a.__class__(**{**a.__dict__, "platform_id": c.platform_id}),
            a.__class__(**{**a.__dict__, "context_id": b.context_id}),
            a.__class__(**{**a.__dict__, "resource_link_id": b.resource_link_id}),
            a.__class__(**{**a.__dict__, "user_id": c.user_id}),
            a.__class__(**{**a.__dict__, "course_id": "another-course"}),
        ]
        for claims in forged:
            token = issue_launch_token(secret, claims)
            for method, path, body in [
                ("GET", "/attempt", None),
                ("PUT", "/attempt/state", {"page": "welcome"}),
                ("POST", "/answers", {"question": QUESTIONS[0].id, "options": ["a"]}),
            ]:
                r = mine.call(method, path, json=body, token=token)
                assert r.status_code in (403, 404), (claims, path, r.status_code)
        # each sees only its own state
        assert mine.get("/attempt").json()["state"]["page"] == "power"
        assert other_ctx.get("/attempt").json()["state"]["page"] is None
        assert theirs.get("/attempt").json()["state"]["page"] is None
    finally:
        other.stop()


def test_no_answer_key_or_feedback_before_an_answer(tool, platform):
    api = learner_api(tool, platform, user="key1")
    bodies = [api.get("/attempt").text, api.get("/quiz").text]
    bodies.append(api.put("/attempt/state", {"page": "quiz"}).text)
    for body in bodies:
        for text in answer_key_strings():
            assert text not in body
        assert "correctResponse" not in body and "feedback" not in body
    # after a wrong answer, only the note on the option chosen: not the right answer, not
    # the question's `incorrect` feedback (it explains the right answer), not other options'
    q = QUESTIONS[0]
    r = api.answer(q.id, choice(q, False))
    assert r.status_code == 201
    data = r.json()
    assert data["correct"] is False and data["revealed"] is False
    assert data["feedback"] == "" and "correctResponse" not in data
    chosen = choice(q, False)[0]
    assert data["options"] == {o.id: o.feedback for o in q.options if o.id == chosen and o.feedback}
    full = api.get("/attempt").text
    others = answer_key_strings()
    own = {o.feedback.strip()[:60] for o in q.options if o.id == chosen}
    for text in others:
        if text not in own:
            assert text not in full, text
    assert list(json.loads(full)["answers"]) == [q.id]


# --------------------------------------------------------------------------- scoring


def test_server_scores_the_real_course_pass_and_per_outcome(tool, platform):
    api = learner_api(tool, platform, user="score1")
    wrong = {QUESTIONS[0].id: False, QUESTIONS[1].id: False}  # all right but two
    quiz = complete_course(api, correct=wrong)
    total = len(QUESTIONS)
    expected = int(100 * (total - 2) / total + 0.5)
    assert quiz["done"] and quiz["right"] == total - 2
    assert quiz["score"] == expected and quiz["passed"] is (expected >= COURSE_MODEL.pass_mark)
    by_outcome = {o["id"]: o for o in quiz["outcomes"]}
    assert set(by_outcome) == {o.id for o in COURSE_MODEL.outcomes}
    for o in COURSE_MODEL.outcomes:
        qs = COURSE_MODEL.quiz.for_outcome(o.id)
        right = sum(1 for q in qs if q.id not in wrong)
        assert by_outcome[o.id]["total"] == len(qs)
        assert by_outcome[o.id]["right"] == right
        assert by_outcome[o.id]["score"] == int(100 * right / len(qs) + 0.5)
        status = "passed" if by_outcome[o.id]["score"] >= COURSE_MODEL.pass_mark else "failed"
        assert by_outcome[o.id]["status"] == status
    state = api.get("/attempt").json()
    assert state["completed"] is True
    assert state["attempt"]["status"] == ("passed" if quiz["passed"] else "failed")
    assert state["attempt"]["score"] == expected
    with tool.store.transaction() as s:
        att = s.get(Attempt, _claims(tool, api.token).attempt_id)
        assert att.completed_at is not None and att.score == expected


def test_failing_then_retake_keeps_history(tool, platform):
    api = learner_api(tool, platform, user="retake1")
    # wrong on every question of one outcome -> below the pass mark
    lo = COURSE_MODEL.outcomes[0].id
    wrong = {q.id: False for q in QUESTIONS if q.outcome == lo}
    wrong.update({q.id: False for q in QUESTIONS[-3:]})
    quiz = complete_course(api, correct=wrong, evaluate=False)
    assert quiz["passed"] is False and quiz["score"] < COURSE_MODEL.pass_mark
    assert {o["id"]: o["status"] for o in quiz["outcomes"]}[lo] == "failed"
    # answering again before a retake is refused; the same answer again is idempotent
    q = QUESTIONS[0]
    assert api.answer(q.id, choice(q, True)).status_code == 409
    again = api.answer(q.id, choice(q, False))
    assert again.status_code == 200 and again.json()["correct"] is False

    r = api.post("/quiz/retake", {})
    assert r.status_code == 200, r.text
    assert r.json()["try"] == 2 and r.json()["answered"] == 0
    assert r.json()["score"] == quiz["score"]  # the last finished try still counts
    assert api.post("/quiz/retake", {}).json()["try"] == 2  # a repeated request: no-op
    state = api.get("/attempt").json()
    assert state["answers"] == {}
    for q in QUESTIONS[:-1]:
        assert api.answer(q.id, choice(q, True)).status_code == 201
    assert api.post("/quiz/retake", {}).status_code == 409  # this try is not finished
    last = api.answer(QUESTIONS[-1].id, choice(QUESTIONS[-1], True)).json()["quiz"]
    assert last["score"] == 100 and last["passed"] is True and last["try"] == 2
    assert [h["score"] for h in _state(tool, api)["history"]] == [quiz["score"], 100]
    with tool.store.transaction() as s:
        tries = s.scalars(
            select(Answer.quiz_try).where(Answer.attempt_id == _claims(tool, api.token).attempt_id)
        ).all()
        assert sorted(set(tries)) == [1, 2] and len(tries) == 2 * len(QUESTIONS)


def _state(tool, api: Api) -> dict:
    with tool.store.transaction() as s:
        return dict(s.get(Attempt, _claims(tool, api.token).attempt_id).state)


# --------------------------------------------------------------------------- state, resume


def test_state_resumes_on_another_device(tool, platform):
    first = learner_api(tool, platform, user="res1", context="cR", link="rlR")
    refl = COURSE_MODEL.reflections[0]
    text = '<script>alert("x")</script> & my "thoughts"\nsecond line'
    r = first.put(
        "/attempt/state",
        {
            "page": "power",
            "visited": ["welcome", "what-resistance-looks-like"],
            "reflections": {refl.id: text},
            "evaluation": {"recommend": "yes", "comment": "ok"},
        },
    )
    assert r.status_code == 200, r.text
    q = QUESTIONS[3]
    first.answer(q.id, choice(q, True))
    # a new launch (another browser, another device) gets everything back
    second = learner_api(tool, platform, user="res1", context="cR", link="rlR")
    data = second.get("/attempt").json()
    assert data["state"]["page"] == "power"
    assert data["state"]["visited"] == ["welcome", "what-resistance-looks-like", "power"]
    assert data["state"]["reflections"][refl.id] == text  # stored as typed, not escaped
    assert data["state"]["evaluation"] == {"recommend": "yes", "comment": "ok"}
    assert data["answers"][q.id]["correct"] is True
    assert data["answers"][q.id]["feedback"] == q.feedback_correct
    assert data["quiz"]["answered"] == 1
    assert data["learner"]["name"] == "User res1"
    # visited only grows
    second.put("/attempt/state", {"visited": ["welcome"]})
    assert second.get("/attempt").json()["state"]["visited"][:2] == [
        "welcome",
        "what-resistance-looks-like",
    ]


@pytest.mark.parametrize(
    "body, status",
    [
        ({"page": "nope"}, 400),
        ({"page": 3}, 400),
        ({"visited": "welcome"}, 400),
        ({"visited": ["welcome", "nope"]}, 400),
        ({"reflections": {"nope": "x"}}, 400),
        ({"reflections": {"r-forms-of-resistance": 5}}, 400),
        ({"reflections": {"r-forms-of-resistance": "x" * 10_001}}, 413),
        ({"evaluation": {"recommend": "maybe"}}, 400),
        ({"evaluation": {"nope": "yes"}}, 400),
        ({"name": ["x"]}, 400),
        ({"admin": True}, 400),
        (["page"], 400),
    ],
)
def test_bad_state_is_refused(tool, platform, body, status):
    api = learner_api(tool, platform, user="bad-state")
    r = api.put("/attempt/state", body)
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/json") and r.json()["error"]


def test_bad_answers_and_bodies_are_refused(tool, platform):
    api = learner_api(tool, platform, user="bad-ans")
    single = next(q for q in QUESTIONS if not q.multiple)
    cases = [
        ({"question": "nope", "options": ["a"]}, 404),
        ({"question": single.id, "options": []}, 400),
        ({"question": single.id, "options": "a"}, 400),
        ({"question": single.id, "options": ["zz"]}, 400),
        ({"question": single.id, "options": [o.id for o in single.options[:2]]}, 400),
        ({"question": 5, "options": ["a"]}, 400),
    ]
    for body, status in cases:
        r = api.post("/answers", body)
        assert r.status_code == status, (body, r.text)
        assert r.json()["error"]
    r = api.call("POST", "/answers", data="not json", headers={"Content-Type": "text/plain"})
    assert r.status_code == 400
    r = api.post("/evaluation", {"answers": {"recommend": "yes"}})
    assert r.status_code == 400 and "useful" in r.json()["missing"]
    assert api.call("DELETE", "/attempt").status_code == 405
    big = api.put("/attempt/state", {"name": "x" * 300_000})
    assert big.status_code == 413


def test_instructor_preview_scores_without_storing(tool, platform):
    token = launch_token(platform, user="teach1", role="instructor", context="cP", link="rlP")
    api = Api(tool.url, token)
    q = QUESTIONS[0]
    r = api.answer(q.id, choice(q, True))
    assert r.status_code == 200 and r.json()["correct"] is True and r.json()["preview"]
    assert api.get("/attempt").json()["preview"] is True
    assert api.put("/attempt/state", {"page": "power"}).json()["saved"] is False


def test_the_same_answer_sent_at_once_is_stored_once(tool, platform):
    """A double click or a retried request: the attempt row is locked, so one answer row."""
    import threading

    api = learner_api(tool, platform, user="race1")
    q = QUESTIONS[5]
    codes: list[int] = []
    go = threading.Barrier(8)

    def send():
        go.wait()
        codes.append(api.answer(q.id, choice(q, True)).status_code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(codes) == [200] * 7 + [201]
    with tool.store.transaction() as s:
        rows = s.scalars(
            select(Answer).where(Answer.attempt_id == _claims(tool, api.token).attempt_id)
        ).all()
        assert len(rows) == 1
