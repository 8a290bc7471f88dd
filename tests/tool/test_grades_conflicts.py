"""Grades against Moodle's whole-second rule (the test platform refuses with 409 a score
whose timestamp is not later, in whole seconds, than the grade it holds): fast learners and
double clicks keep their FullyGraded score, a 409 is re-sent with a newer timestamp or
confirmed by the result service, what is given up says why."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from lmspack import grades
from lmspack.store.models import GradeOutbox
from lmspack.tool.launch_token import verify_launch_token

from .api_client import COURSE_MODEL, choice, learner_api, wait_for

EVALUATION = {
    e.id: ("yes" if e.type == "yes-no" else "4" if e.type == "rating" else "Useful.")
    for e in COURSE_MODEL.evaluation.questions
}


def _platform_id(tool, api) -> int:
    return verify_launch_token(api.token, tool.app.config["SECRET_KEY"]).platform_id


def _settled(tool, platform_id: int):
    """The outbox rows of a platform once none is pending (the background sender is done)."""

    def done():
        with tool.store.transaction() as s:
            rows = list(
                s.scalars(select(GradeOutbox).where(GradeOutbox.platform_id == platform_id))
            )
        return rows if rows and all(r.status != "pending" for r in rows) else None

    return wait_for(done, 60, "the outbox to settle")


def _finals(platform, prefix: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for s in platform.services.scores:
        final = (s["gradingProgress"], s["activityProgress"]) == ("FullyGraded", "Completed")
        if str(s["userId"]).startswith(prefix) and final:
            out.setdefault(str(s["userId"]), []).append(s)
    return out


def _at_a_second_boundary() -> None:
    """Sleep to the start of the next whole second, so what follows shares one second."""
    time.sleep(1 - time.time() % 1 + 0.01)


def _up_to_the_last_question(api) -> None:
    """Every page and every question but the last (progress: Started, InProgress)."""
    visited = [n.id for n in COURSE_MODEL.nav] + ["results"]
    r = api.put("/attempt/state", {"page": "results", "visited": visited})
    assert r.status_code == 200, r.text
    for q in COURSE_MODEL.quiz.questions[:-1]:
        assert api.answer(q.id, choice(q, True)).status_code == 201


def _finish_fast(api, platform, link: str, user: str, tool=None) -> tuple[dict, float]:
    """The last answer (the graded score: Submitted, FullyGraded), sent at once, and straight
    after it the evaluation (the final score: Completed), as fast as a script."""
    q = COURSE_MODEL.quiz.questions[-1]
    r = api.answer(q.id, choice(q, True))
    assert r.status_code == 201, r.text
    quiz = r.json()["quiz"]
    graded_at = time.monotonic()
    if tool is not None:  # this learner's web process sends at once (a sender per process)
        grades.send_pending(tool.store, limit=5, timeout=5)
    end = time.monotonic() + 0.6  # the sender is quick (not always: a busy machine)
    while time.monotonic() < end:
        got = platform.services.results.get((link, user))
        if got and got["gradingProgress"] == "FullyGraded":
            break
        time.sleep(0.005)
    r = api.post("/evaluation", {"answers": EVALUATION})
    assert r.status_code == 200 and r.json()["completed"], r.text
    return quiz, time.monotonic() - graded_at


def _each(n: int, fn) -> list:
    """fn(i) for i < n in n threads at once; their results in order."""
    out: list = [None] * n
    errors: list[BaseException] = []
    start = threading.Barrier(n)

    def run(i: int) -> None:
        try:
            start.wait()
            out[i] = fn(i)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]
    return out


def test_fifty_learners_finishing_within_a_second_keep_every_final_score(tool, platform):
    """50 learners answer the last question at once (their graded score, sent straight
    away: Submitted, FullyGraded) and submit the evaluation straight after (their final
    score: Completed), all within about a second: every final score arrives, once."""
    n = 50
    sender = tool.app.extensions["lmspack.grades"]
    users = [f"f50-{i}" for i in range(n)]
    apis = [learner_api(tool, platform, user=u, context="g50", link="grf50") for u in users]
    for api in apis:
        _up_to_the_last_question(api)
    pid = _platform_id(tool, apis[0])
    _settled(tool, pid)
    sender.enabled = False  # the test sends, so the sends fall between the learners' steps
    try:
        _at_a_second_boundary()
        began = time.monotonic()
        done = _each(n, lambda i: _finish_fast(apis[i], platform, "grf50", users[i], tool))
        took = time.monotonic() - began
    finally:
        sender.enabled = True
    quizzes = [quiz for quiz, _gap in done]
    gaps = sorted(gap for _quiz, gap in done)
    sender.kick()
    _settled(tool, pid)
    finals = _finals(platform, "f50-")
    lost = sorted(set(users) - set(finals))
    assert not lost, (
        f"{len(lost)} of {n} final scores lost: {lost[:5]} (the last answers and evaluations "
        f"took {took:.2f} s; median graded-to-final gap {gaps[n // 2]:.2f} s)"
    )
    for user, quiz in zip(users, quizzes, strict=True):
        (got,) = finals[user]  # once
        assert got["scoreGiven"] == quiz["score"]
        # and it is what the gradebook shows now
        assert platform.services.grades[("grf50", user)]["resultScore"] == quiz["score"]


def test_a_quick_learner_keeps_the_fully_graded_score(tool, platform):
    """One learner at a script's pace, five times: the graded score is sent at once and the
    final score follows within the same second; every final score arrives."""
    apis = [
        learner_api(tool, platform, user=f"quick-{i}", context="gq", link="grq") for i in range(5)
    ]
    quizzes = {}
    for i, api in enumerate(apis):
        _up_to_the_last_question(api)
        _at_a_second_boundary()
        quizzes[f"quick-{i}"] = _finish_fast(api, platform, "grq", f"quick-{i}")[0]
    _settled(tool, _platform_id(tool, apis[0]))
    finals = _finals(platform, "quick-")
    lost = sorted(set(quizzes) - set(finals))
    assert not lost, f"{len(lost)} of 5 final scores lost: {lost}"
    for user, quiz in quizzes.items():
        (got,) = finals[user]
        assert got["scoreGiven"] == quiz["score"]
