"""Grades against Moodle's whole-second rule (the test platform refuses with 409 a score
whose timestamp is not later, in whole seconds, than the grade it holds): fast learners and
double clicks keep their FullyGraded score, a 409 is re-sent with a newer timestamp or
confirmed by the result service, what is given up says why."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from lmspack import grades
from lmspack.store import Store
from lmspack.store.models import GradeOutbox
from lmspack.tool.launch_token import verify_launch_token
from tests.tool.api_client import COURSE_MODEL, choice, complete_course, learner_api, wait_for

pytestmark = pytest.mark.usefixtures("quiet_outbox")  # the counts below are this test's rows

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


WAVE = 10  # learners finishing at the same moment (50 at once is > 1 s each on 2 busy cores)


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


def _finish_fast(api, platform, link: str, user: str, sender=None) -> tuple[dict, float]:
    """The last answer (the graded score: Submitted, FullyGraded), sent at once, and straight
    after it the evaluation (the final score: Completed), as fast as a script."""
    q = COURSE_MODEL.quiz.questions[-1]
    r = api.answer(q.id, choice(q, True))
    assert r.status_code == 201, r.text
    quiz = r.json()["quiz"]
    graded_at = time.monotonic()
    if sender is not None:  # this learner's web process sends at once (a sender per process)
        grades.send_pending(sender, limit=5, timeout=5)
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


def test_fifty_learners_finishing_within_a_second_keep_every_final_score(
    tool, platform, database_url
):
    """50 learners, ten at a time, answer the last question (their graded score, sent
    straight away by their web process: Submitted, FullyGraded) and submit the evaluation
    straight after (their final score: Completed), each within a second: every final score
    arrives, once."""
    n = 50
    sender = tool.app.extensions["lmspack.grades"]
    users = [f"f50-{i}" for i in range(n)]
    apis = [learner_api(tool, platform, user=u, context="g50", link="grf50") for u in users]
    for api in apis:
        _up_to_the_last_question(api)
    pid = _platform_id(tool, apis[0])
    _settled(tool, pid)
    sender.enabled = False  # the test sends, so the sends fall between the learners' steps
    # each learner's web process has its own connections: the ten inline senders of a wave
    # must not queue for the serving tool's pool (10 connections), as one process's would
    processes = [Store.from_url(database_url) for _ in range(WAVE)]
    try:
        began, done = time.monotonic(), []
        for w in range(0, n, WAVE):  # ten at once, from the start of a second
            _at_a_second_boundary()
            wave = list(zip(apis[w : w + WAVE], users[w : w + WAVE], strict=True))
            done += _each(
                len(wave),
                lambda i, wave=wave: _finish_fast(
                    wave[i][0], platform, "grf50", wave[i][1], processes[i]
                ),
            )
        took = time.monotonic() - began
    finally:
        sender.enabled = True
        for store in processes:
            store.dispose()
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


def _send_until(tool, predicate, seconds: float = 20.0) -> grades.SendReport:
    """Run the sender (as the background thread would) until predicate() or time is up."""
    total = grades.SendReport()
    end = time.monotonic() + seconds
    while not predicate() and time.monotonic() < end:
        total.add(grades.send_all(tool.store, timeout=5))
        time.sleep(0.2)
    return total


def _row(tool, user: str) -> GradeOutbox:
    with tool.store.sessions() as s:
        return s.scalars(
            select(GradeOutbox).where(GradeOutbox.user_sub == user).order_by(GradeOutbox.id)
        ).all()[-1]


def test_a_409_is_re_sent_with_a_newer_timestamp(tool, platform, manual):
    """A teacher edited the grade in the gradebook just now (the platform's grade is 5 s
    newer than the tool's clock): the final score is refused (409), the result service shows
    another score, so it is re-sent with newer timestamps until the platform takes it."""
    sv = platform.services
    api = learner_api(tool, platform, user="c-edit", context="gce", link="grce")
    _up_to_the_last_question(api)
    grades.send_all(tool.store, timeout=5)
    sv.edit_grade("grce", "c-edit", 12.0, time.time() + 5)
    quiz, _gap = _finish_fast(api, platform, "grce", "c-edit")
    report = _send_until(tool, lambda: _finals(platform, "c-edit"))
    (final,) = _finals(platform, "c-edit")["c-edit"]
    assert final["scoreGiven"] == quiz["score"]
    assert sv.grades[("grce", "c-edit")]["resultScore"] == quiz["score"]
    assert report.conflicts >= 1 and report.confirmed == 0, report
    refused = [c for c in sv.conflicts if c["userId"] == "c-edit"]
    assert refused and all(c["timestamp"] < final["timestamp"] for c in refused)
    assert any("user_id=c-edit" in r for r in sv.results_requests)  # it looked first
    row = _row(tool, "c-edit")
    assert row.status == "sent" and row.conflicts >= 1


def test_a_409_for_a_score_already_there_is_confirmed_or_re_sent(tool, platform, manual):
    """The platform applied the score but its answer never came (too slow): the retry is a
    409. With the result scope the tool reads the gradebook, finds its score and marks the
    row sent without sending it again; without it, it re-sends with a newer timestamp (the
    same score again, harmless) and never marks the row done on the 409 alone."""
    sv = platform.services
    for user, hint in (("c-slow", {}), ("c-slow-nr", {"results": "none"})):
        api = learner_api(tool, platform, user=user, context="gcs", link=f"gr{user}", **hint)
        complete_course(api)
        sv.ags_mode, sv.slow_seconds = "slow", 1.5
        report = grades.send_all(tool.store, timeout=1)
        assert report.retrying == 1 and report.sent == 0, report
        sv.ags_mode = "up"
        wait_for(lambda u=user: [s for s in sv.scores if s["userId"] == u], 5, "the slow POST")
        assert grades.make_due(tool.store) == 1
        report = _send_until(tool, lambda u=user: _row(tool, u).status != "pending")
        applied = [s for s in sv.scores if s["userId"] == user]
        row = _row(tool, user)
        assert row.status == "sent" and row.conflicts == 1
        if user == "c-slow":
            assert report.confirmed == 1 and len(applied) == 1, report
            assert "result service" in row.last_error
        else:
            assert report.conflicts == 1 and report.sent == 1 and report.confirmed == 0
            assert len(applied) == 2 and applied[0]["scoreGiven"] == applied[1]["scoreGiven"]
            assert applied[0]["timestamp"] < applied[1]["timestamp"]
            assert not any(f"user_id={user}" in r for r in sv.results_requests)


def test_what_is_given_up_says_why_and_send_now_skips_the_backoff(
    tool, platform, manual, database_url
):
    """A grade the platform keeps refusing (a teacher's grade stamped an hour ahead) is
    re-sent MAX_CONFLICTS times, then given up; `grades status` shows it with the reason;
    `grades send --now` re-sends without waiting for the backoff."""
    from click.testing import CliRunner

    from lmspack.cli import main

    sv = platform.services
    api = learner_api(tool, platform, user="c-stuck", context="gcx", link="grcx")
    quiz = complete_course(api)
    sv.edit_grade("grcx", "c-stuck", 5.0, time.time() + 3600)
    runner, env = CliRunner(), {"DATABASE_URL": database_url}
    r = runner.invoke(main, ["grades", "send"], env=env)
    assert r.exit_code == 0 and "re-sending after 409 1" in r.output, r.output
    r = runner.invoke(main, ["grades", "send"], env=env)  # the 1 s backoff: nothing due
    assert "claimed 0" in r.output, r.output
    r = runner.invoke(main, ["grades", "status"], env=env)
    assert "1 pending" in r.output and "c-stuck" in r.output and "409 1 times" in r.output
    for _ in range(grades.MAX_CONFLICTS - 1):
        r = runner.invoke(main, ["grades", "send", "--now"], env=env)
        assert r.exit_code == 0 and "made due now" in r.output and "claimed 1" in r.output
    row = _row(tool, "c-stuck")
    assert row.status == "failed" and row.conflicts == grades.MAX_CONFLICTS
    r = runner.invoke(main, ["grades", "status"], env=env)
    assert "1 given up" in r.output and "GIVEN UP" in r.output, r.output
    assert f"reason: gave up after 409 {grades.MAX_CONFLICTS} times" in r.output
    assert "different score" in r.output  # the result service was asked each time
    assert sv.grades[("grcx", "c-stuck")]["resultScore"] == 5.0  # nothing of ours overwrote it
    # the teacher's grade is cleared; `grades retry` + `grades send` deliver it
    with sv.lock:
        sv.modified[("grcx", "c-stuck")] = int(time.time()) - 10
    assert "1 failed grade(s) requeued" in runner.invoke(main, ["grades", "retry"], env=env).output
    r = runner.invoke(main, ["grades", "send"], env=env)
    assert "sent 1" in r.output, r.output
    assert sv.grades[("grcx", "c-stuck")]["resultScore"] == quiz["score"]


def test_the_clock_never_gives_one_second_twice_under_concurrent_writers(tool, platform):
    """8 writers (each its own connection and transaction) stamp the same learner's line
    item 15 times each, at once: 120 different whole seconds (the upsert is atomic)."""
    from tests.tool.api_client import launch_token

    pid = verify_launch_token(
        launch_token(platform, user="clock", role="learner", context="gk", link="grk"),
        tool.app.config["SECRET_KEY"],
    ).platform_id
    lineitem = f"{platform.issuer}/ags/gk/lineitems/grk"

    def writer(_i: int) -> list[int]:
        got = []
        for _ in range(15):
            with tool.store.transaction() as s:
                got.append(int(grades.stamp(s, pid, lineitem, "clock").timestamp()))
        return got

    per_writer = _each(8, writer)
    seconds = [x for got in per_writer for x in got]
    assert len(set(seconds)) == len(seconds) == 120
    for got in per_writer:  # and each writer's stamps go up, a whole second at least
        assert all(b > a for a, b in zip(got, got[1:], strict=False)), got
