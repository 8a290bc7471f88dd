"""The quiz's review settings on the tool, through real launches on SQLite and PostgreSQL:
the key can't be harvested from a first try, a genuine pass shows everything, each `reveal`
mode, the `attempts` limit, and options shuffled per try (stable within it)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from sqlalchemy import select

from lmspack.course import load_course
from lmspack.store.models import Answer
from lmspack.tool.launch_token import verify_launch_token
from tests.conftest import COURSE

from .api_client import COURSE_MODEL, Api, choice, launch_token
from .platform import Browser
from .test_launch import assert_no_answer_key

QUESTIONS = COURSE_MODEL.quiz.questions
PASS = COURSE_MODEL.pass_mark


class Recorder(Api):
    """The learner's side of the API, keeping every JSON body the tool sent."""

    bodies: list

    def call(self, method, path, json=None, token="", **kw):  # noqa: A002 - Api's name
        r = super().call(method, path, json=json, token=token, **kw)
        if r.headers.get("Content-Type", "").startswith("application/json"):
            self.bodies.append(r.json())
        return r


def launch(tool, platform, user: str, course: str | None = None) -> tuple[Recorder, str]:
    """A learner's launch: the API with its token, and the course page the tool served."""
    hint = {"user": user, "role": "learner", "context": f"ctx-{user}", "link": f"rl-{user}"}
    if course:
        hint["custom"] = json.dumps({"lmspack_course": course})
    r = Browser().launch(platform, **hint)
    assert r.status_code == 303, r.text[:300]
    location = r.headers["Location"]
    page = requests.get(urljoin(tool.url + "/", location), timeout=10)
    assert page.status_code == 200
    api = Recorder(tool.url, parse_qs(urlsplit(location).query)["t"][0])
    api.bodies = []
    return api, page.text


def strings(value) -> str:
    """Every text in a JSON value, one per line (what a harvester can read)."""
    if isinstance(value, str):
        return value + "\n"
    if isinstance(value, dict):
        return "".join(strings(k) + strings(v) for k, v in value.items())
    if isinstance(value, list):
        return "".join(strings(v) for v in value)
    return ""


def snippet(text: str) -> str:
    return text.strip()[:60]


class KeyWatch:
    """What the learner has legitimately seen so far; anything more in a body is a leak."""

    def __init__(self, course=COURSE_MODEL):
        self.course = course
        self.allowed: set[str] = set()

    def answered(self, q, response: list[str], correct: bool) -> None:
        if correct:
            self.allowed.add(snippet(q.feedback_correct))
        if correct or not q.multiple:  # a one-answer question: the note on the option chosen
            self.allowed |= {snippet(o.feedback) for o in q.options if o.id in response}

    def assert_no_leak(self, bodies: list) -> None:
        secret = set()
        for q in self.course.quiz.questions:
            secret.add(snippet(q.feedback_incorrect))
            secret |= {snippet(o.feedback) for o in q.options if o.feedback}
        secret -= self.allowed
        for body in bodies:
            text = strings(body)
            assert "correctResponse" not in json.dumps(body), body
            for s in secret:
                assert s not in text, f"leaked before the key was due: {s!r}"


def answer(api: Recorder, watch: KeyWatch | None, q, response: list[str]) -> dict:
    r = api.answer(q.id, response)
    assert r.status_code == 201, r.text
    data = r.json()
    if watch is not None:
        watch.answered(q, response, data["correct"])
        watch.assert_no_leak([data])
    return data


def harvest(results: dict[str, dict]) -> dict[str, list[str]]:
    """The retake a harvester makes from everything the tool revealed on the first try: the
    revealed key where there is one; a right answer again; the other side of a wrong
    true-false; else the next option, in the course's order, not known to be wrong."""
    picks = {}
    for q in QUESTIONS:
        got = results[q.id]
        if got.get("correctResponse"):
            picks[q.id] = list(got["correctResponse"])
        elif got["correct"]:
            picks[q.id] = list(got["response"])
        else:
            wrong = set(got["response"]) if not q.multiple else set()
            untried = [o.id for o in q.options if o.id not in wrong and [o.id] != got["response"]]
            picks[q.id] = untried[:1]
    return picks


# --------------------------------------------------------------------------- the real course


def test_harvest_and_retake_stays_below_the_pass_mark_and_a_pass_shows_everything(tool, platform):
    api, page = launch(tool, platform, "harvester")
    assert_no_answer_key([page])
    watch = KeyWatch()
    api.get("/attempt")
    api.get("/quiz")

    # try 1: the first option everywhere
    first = {q.id: answer(api, watch, q, [q.options[0].id]) for q in QUESTIONS}
    quiz = first[QUESTIONS[-1].id]["quiz"]
    expected_first = sum(q.correct_ids == (q.options[0].id,) for q in QUESTIONS)
    assert quiz["right"] == expected_first and quiz["passed"] is False
    assert "review" not in first[QUESTIONS[-1].id]
    attempt_view = api.get("/attempt").json()
    assert attempt_view["answers"] == {
        q.id: {k: v for k, v in first[q.id].items() if k not in ("quiz", "certificate")}
        for q in QUESTIONS
    }
    watch.assert_no_leak(api.bodies)

    # try 2: everything the tool revealed, used
    retake = api.post("/quiz/retake", {})
    assert retake.status_code == 200 and retake.json()["try"] == 2
    picks = harvest(first)
    second = {q.id: answer(api, watch, q, picks[q.id]) for q in QUESTIONS}
    quiz = second[QUESTIONS[-1].id]["quiz"]
    print(
        f"\nharvest-and-retake: try 1 {first[QUESTIONS[-1].id]['quiz']['score']}%, "
        f"retake {quiz['score']}% (pass mark {PASS}%)"
    )
    assert quiz["score"] < PASS and quiz["passed"] is False
    watch.assert_no_leak(api.bodies)  # two tries in: still no key, no other option's note
    assert (quiz["reveal"], quiz["revealed"]) == ("after-pass", False)

    # a genuine pass (one question wrong): now the whole try is shown in full
    api.post("/quiz/retake", {})
    missed = next(q for q in QUESTIONS if not q.multiple and q.type != "true-false")
    for q in QUESTIONS:
        last = answer(api, None, q, choice(q, q.id != missed.id))
    assert last["quiz"]["passed"] is True and last["quiz"]["revealed"] is True
    review = last["review"]
    assert set(review) == {q.id for q in QUESTIONS}
    for q in QUESTIONS:
        full = review[q.id]
        assert full["revealed"] is True and full["correctResponse"] == list(q.correct_ids)
        assert full["options"] == {o.id: o.feedback for o in q.options if o.feedback}
    assert review[missed.id]["feedback"] == missed.feedback_incorrect
    retried = api.answer(QUESTIONS[-1].id, choice(QUESTIONS[-1], True))  # its answer was lost
    assert retried.status_code == 200 and retried.json()["review"] == review
    assert api.get("/attempt").json()["answers"] == review
    assert api.get("/quiz").json()["revealed"] is True
    limit = COURSE_MODEL.quiz.review.attempts
    assert last["quiz"]["triesLeft"] == (None if limit is None else max(0, limit - 3))


def test_after_a_pass_each_answer_of_a_new_try_comes_with_its_key(tool, platform, variant):
    api, _ = launch(tool, platform, "passed", variant("rv-pass", "reveal: after-pass\n"))
    missed = next(q for q in QUESTIONS if not q.multiple and q.type != "true-false")
    for q in QUESTIONS:
        last = answer(api, None, q, choice(q, q.id != missed.id))
    assert last["quiz"]["passed"] is True and last["quiz"]["canRetake"] is True
    assert api.post("/quiz/retake", {}).status_code == 200
    now = answer(api, None, missed, choice(missed, False))
    assert now["correctResponse"] == list(missed.correct_ids)
    assert now["feedback"] == missed.feedback_incorrect


def test_a_multiple_response_answer_names_none_of_its_options(tool, platform):
    """Notes on some of the options chosen would say which of them are right."""
    api, _ = launch(tool, platform, "multi")
    q = next(q for q in QUESTIONS if q.multiple)
    everything = [o.id for o in q.options]
    data = answer(api, KeyWatch(), q, everything)
    assert data["correct"] is False and data["options"] == {} and data["feedback"] == ""


def test_an_instructors_preview_shows_the_key_in_the_written_order(tool, platform):
    api = Api(tool.url, launch_token(platform, user="teach-q", role="instructor", context="cq"))
    quiz = api.get("/attempt").json()["quiz"]
    assert quiz["revealed"] is True
    assert quiz["order"] == {q.id: [o.id for o in q.options] for q in QUESTIONS}
    q = QUESTIONS[0]
    got = api.answer(q.id, choice(q, False)).json()
    assert got["preview"] and got["correctResponse"] == list(q.correct_ids)


def test_options_are_shuffled_per_try_and_stable_within_it(tool, platform):
    api, _ = launch(tool, platform, "shuffle")
    order = api.get("/attempt").json()["quiz"]["order"]
    assert set(order) == {q.id for q in QUESTIONS}
    for q in QUESTIONS:
        assert sorted(order[q.id]) == sorted(o.id for o in q.options)
        if q.type == "true-false":
            assert order[q.id] == ["true", "false"]
    written = {q.id: [o.id for o in q.options] for q in QUESTIONS}
    assert order != written  # 18 questions of 4 options: all in written order is 1 in 10^24
    assert api.get("/quiz").json()["order"] == order
    again, _ = launch(tool, platform, "shuffle")  # another launch, the same try
    assert again.get("/attempt").json()["quiz"]["order"] == order
    for q in QUESTIONS:
        assert answer(api, None, q, choice(q, False))["quiz"]["order"] == order
    claims = verify_launch_token(api.token, tool.app.config["SECRET_KEY"])
    with tool.store.transaction() as s:
        shown = dict(
            s.execute(
                select(Answer.question_id, Answer.shown).where(
                    Answer.attempt_id == claims.attempt_id
                )
            ).all()
        )
    assert shown == order  # what each learner saw is kept for reports
    second = api.post("/quiz/retake", {}).json()["order"]
    assert second == api.get("/attempt").json()["quiz"]["order"]
    moved = [q.id for q in QUESTIONS if second[q.id] != order[q.id]]
    assert len(moved) >= 5, moved  # fewer than 5 of 18 reshuffled alike: ~1 in 10^11


# --------------------------------------------------------------------------- other settings


def wrong_then_rest(api, course, wrong_ids: set[str]) -> dict:
    out = {}
    for q in course.quiz.questions:
        out[q.id] = answer(api, None, q, choice(q, q.id not in wrong_ids))
    return out


def test_reveal_always_shows_the_key_with_every_answer(tool, platform, variant):
    course = load_course(COURSE)
    api, page = launch(tool, platform, "always", variant("rv-always", "reveal: always\n"))
    assert_no_answer_key([page])  # the page itself never has the key
    q = QUESTIONS[0]
    got = answer(api, None, q, choice(q, False))
    assert got["revealed"] is True and got["correctResponse"] == list(q.correct_ids)
    assert got["feedback"] == q.feedback_incorrect
    assert got["options"] == {o.id: o.feedback for o in q.options if o.feedback}
    assert course.quiz.review.reveal == "after-pass"  # the real course is unchanged


def test_reveal_never_keeps_the_key_even_after_a_pass(tool, platform, variant):
    api, _ = launch(tool, platform, "never", variant("rv-never", "reveal: never\n"))
    watch = KeyWatch()
    for q in QUESTIONS:
        last = answer(api, watch, q, choice(q, q.id != QUESTIONS[0].id))
    assert last["quiz"]["passed"] is True and last["quiz"]["revealed"] is False
    assert "review" not in last
    watch.assert_no_leak(api.bodies + [api.get("/attempt").json(), api.get("/quiz").json()])


def test_after_the_last_attempt_the_key_and_no_more_tries(tool, platform, variant):
    course_id = variant("rv-last", "reveal: after-last-attempt\nattempts: 2\n")
    api, page = launch(tool, platform, "last", course_id)
    assert "you have 2 attempts" in page and "after your last attempt" in page
    watch = KeyWatch()
    wrong = {q.id for q in QUESTIONS[:6]}  # 15 of 21: 71%, not passed
    for q in QUESTIONS:
        last = answer(api, watch, q, choice(q, q.id not in wrong))
    quiz = last["quiz"]
    assert quiz["passed"] is False and quiz["revealed"] is False
    assert (quiz["attempts"], quiz["triesLeft"], quiz["canRetake"]) == (2, 1, True)
    r = api.post("/quiz/retake", {})
    assert r.status_code == 200
    assert (r.json()["try"], r.json()["triesLeft"], r.json()["canRetake"]) == (2, 0, False)
    for q in QUESTIONS[:-1]:
        answer(api, watch, q, choice(q, q.id not in wrong))
    watch.assert_no_leak(api.bodies)  # the last try is not finished yet
    last = answer(api, None, QUESTIONS[-1], choice(QUESTIONS[-1], True))
    assert last["quiz"]["revealed"] is True and set(last["review"]) == {q.id for q in QUESTIONS}
    assert last["review"][QUESTIONS[0].id]["correctResponse"] == list(QUESTIONS[0].correct_ids)
    refused = api.post("/quiz/retake", {})
    assert refused.status_code == 403
    assert refused.json()["error"] == "You have used all 2 attempts at this quiz."
    assert api.get("/quiz").json()["try"] == 2


def test_an_attempts_limit_with_the_default_reveal_keeps_the_key(tool, platform, variant):
    api, _ = launch(tool, platform, "limit", variant("rv-limit", "attempts: 2\n"))
    watch = KeyWatch()
    for n in (1, 2):
        for q in QUESTIONS:
            last = answer(api, watch, q, [q.options[0].id])
        assert last["quiz"]["try"] == n and last["quiz"]["passed"] is False
        if n == 1:
            assert api.post("/quiz/retake", {}).status_code == 200
    refused = api.post("/quiz/retake", {})
    assert refused.status_code == 403 and "all 2 attempts" in refused.json()["error"]
    watch.assert_no_leak(api.bodies)  # used up without a pass: after-pass never came


def test_one_attempt_and_no_shuffle(tool, platform, variant):
    api, page = launch(tool, platform, "once", variant("rv-once", "attempts: 1\nshuffle: false\n"))
    assert "you have one attempt" in page
    order = api.get("/attempt").json()["quiz"]["order"]
    assert order == {q.id: [o.id for o in q.options] for q in QUESTIONS}
    for q in QUESTIONS:
        last = answer(api, None, q, choice(q, True))
    assert last["quiz"]["canRetake"] is False and last["quiz"]["retake"] is False
    r = api.post("/quiz/retake", {})
    assert r.status_code == 403 and r.json()["error"] == "This quiz cannot be retaken."
