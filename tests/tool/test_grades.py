"""Grades by AGS through the outbox, against lti1p3platform's AGS service: the score arrives;
the platform down (503, connection refused, too slow) keeps rows pending with backoff and the
grade arrives exactly once when it is back; concurrent senders never send a row twice; the
CLI shows what is pending; NRPS follows Link rel="next"."""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from lmspack import grades
from lmspack.cli import main
from lmspack.store.models import CacheEntry, GradeOutbox, RosterMember, utcnow
from lmspack.tool.launch_token import verify_launch_token
from lmspack.tool.roster import cached_roster, sync_roster

from .api_client import COURSE_MODEL, complete_course, learner_api, wait_for
from .platform import bring_back, take_down

SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def _rows(tool, platform_id: int) -> list[GradeOutbox]:
    with tool.store.transaction() as s:
        return list(
            s.scalars(
                select(GradeOutbox)
                .where(GradeOutbox.platform_id == platform_id)
                .order_by(GradeOutbox.id)
            )
        )


def _platform_id(tool, api) -> int:
    return verify_launch_token(api.token, tool.app.config["SECRET_KEY"]).platform_id


def _stamps(scores: list[dict]) -> list[datetime]:
    return [datetime.fromisoformat(s["timestamp"]) for s in scores]


def test_completing_the_course_sends_the_grade(tool, platform):
    api = learner_api(tool, platform, user="g-ann", context="gc1", link="grl1")
    wrong = {COURSE_MODEL.quiz.questions[0].id: False}
    quiz = complete_course(api, correct=wrong)
    sv = platform.services

    def final():
        return [s for s in sv.scores if s.get("activityProgress") == "Completed"]

    got = wait_for(final, 15, "the final score at the platform")[-1]
    assert got["userId"] == "g-ann"
    assert got["scoreGiven"] == quiz["score"] and got["scoreMaximum"] == 100
    assert got["gradingProgress"] == "FullyGraded"
    assert got["lineitem"] == "grl1"
    # each learning outcome's result rides along as the score's comment
    for o in quiz["outcomes"]:
        assert f"{o['id']} {o['score']}%" in got["comment"]
    # every score for this user came in order, with strictly increasing timestamps
    mine = [s for s in sv.scores if s["userId"] == "g-ann"]
    stamps = _stamps(mine)
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    # before the quiz was finished nothing was graded (no scoreGiven, Pending)
    early = [s for s in mine if s["gradingProgress"] != "FullyGraded"]
    assert early and all("scoreGiven" not in s for s in early)
    assert {s["activityProgress"] for s in mine} <= {
        "Initialized",
        "Started",
        "InProgress",
        "Submitted",
        "Completed",
    }
    assert not sv.duplicates
    # the access token came from the platform's token endpoint and is cached in the database
    assert sv.token_requests >= 1
    with tool.store.transaction() as s:
        keys = s.scalars(select(CacheEntry.key).where(CacheEntry.key.like("access-token:%")))
        assert list(keys)
    pid = _platform_id(tool, api)
    # the platform has the score a moment before the sender records it as sent
    rows = wait_for(
        lambda: (r := _rows(tool, pid)) and all(x.status != "pending" for x in r) and r,
        15,
        "the outbox rows to be recorded",
    )
    assert rows and {r.status for r in rows} <= {"sent", "superseded"}
    assert rows[-1].status == "sent" and rows[-1].score_given == quiz["score"]


def test_timestamps_strictly_increase_in_whole_seconds(tool, platform, manual):
    """Four changes within a millisecond get four successive whole seconds (Moodle refuses a
    score not later, in whole seconds, than the last one it took)."""
    from lmspack.attempts import scoring

    api = learner_api(tool, platform, user="g-ts", context="gts", link="grts")
    att_id = verify_launch_token(api.token, tool.app.config["SECRET_KEY"]).attempt_id
    from lmspack.store.models import Attempt

    with tool.store.transaction() as s:
        attempt = s.get(Attempt, att_id)
        stamps = []
        for i, activity in enumerate(["Started", "InProgress", "Submitted", "Completed"]):
            res = scoring.Result("incomplete", float(i), activity, "FullyGraded", False)
            stamps.append(grades.queue_result(s, attempt, res).timestamp)
        # no change -> no row
        assert grades.queue_result(s, attempt, res) is None
    assert all(s.microsecond == 0 for s in stamps)
    assert [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:], strict=False)] == [1] * 3
    rows = _rows(tool, _platform_id(tool, api))
    assert [r.status for r in rows] == ["superseded"] * 3 + ["pending"]
    report = grades.send_pending(tool.store, timeout=5)
    assert report.sent >= 1
    assert [s["activityProgress"] for s in platform.services.scores] == ["Completed"]


@pytest.mark.parametrize("outage", ["503", "refused", "slow"])
def test_platform_down_then_back_loses_nothing(tool, platform, manual, outage):
    sv = platform.services
    api = learner_api(tool, platform, user=f"g-down-{outage}", context="gd", link="grd")
    pid = _platform_id(tool, api)
    if outage == "refused":
        take_down(platform)
    else:
        sv.ags_mode = outage
        sv.slow_seconds = 2.5
    quiz = complete_course(api)
    rows = [r for r in _rows(tool, pid) if r.status == "pending"]
    assert len(rows) == 1 and rows[0].activity_progress == "Completed"  # older ones superseded

    # an hour of outage: every pass fails, the row stays pending, the waits grow to 1 h
    now = utcnow()
    waits = []
    for _ in range(8):
        report = grades.send_pending(tool.store, timeout=1, now=now)
        (row,) = [r for r in _rows(tool, pid) if r.status == "pending"]
        if report.claimed:
            waits.append((row.next_try_at - now).total_seconds())
        assert row.last_error
        now = row.next_try_at + timedelta(seconds=1)
    assert row.tries >= 6
    assert waits == sorted(waits) or max(waits) > 3000  # exponential, capped at BACKOFF_MAX
    assert waits[0] < 40 and max(waits) <= grades.BACKOFF_MAX * 1.1
    applied = [s for s in sv.scores if s["userId"] == f"g-down-{outage}"]
    if outage == "slow":  # the platform did apply it, we just never heard back
        assert len(applied) == 1
    else:
        assert applied == []

    # the platform is back
    if outage == "refused":
        bring_back(platform)
    sv.ags_mode = "up"
    report = grades.send_pending(tool.store, timeout=5, now=now)
    # the slow platform applied the score, so the re-send is a 409, and its result service
    # shows the score is there: confirmed, not sent again
    assert (report.confirmed if outage == "slow" else report.sent) == 1, report
    applied = [s for s in sv.scores if s["userId"] == f"g-down-{outage}"]
    assert len(applied) == 1, applied  # exactly once
    assert applied[0]["scoreGiven"] == quiz["score"]
    assert applied[0]["activityProgress"] == "Completed"
    assert [r.status for r in _rows(tool, pid)][-1] == "sent"
    if outage == "slow":  # the retry was refused as a duplicate (409), harmlessly
        assert [d["userId"] for d in sv.duplicates].count(f"g-down-{outage}") >= 1
    # nothing left to send
    assert not [r for r in _rows(tool, pid) if r.status == "pending"]


def test_sending_twice_is_harmless(tool, platform, manual):
    api = learner_api(tool, platform, user="g-twice", context="gt", link="grt")
    complete_course(api)
    grades.send_all(tool.store, timeout=5)
    sv = platform.services
    before = dict(sv.results)
    (last,) = [r for r in _rows(tool, _platform_id(tool, api)) if r.status == "sent"][-1:]
    with tool.store.transaction() as s:
        s.execute(update(GradeOutbox).where(GradeOutbox.id == last.id).values(status="pending"))
    report = grades.send_pending(tool.store, timeout=5)
    assert report.confirmed == 1 and report.sent == 0, report  # 409, then the result service
    assert sv.results == before
    assert len(sv.duplicates) == 1


def _bulk_rows(tool, platform, n: int, tag: str) -> int:
    """n pending rows for n different users of one platform (one real attempt for the FK)."""
    api = learner_api(tool, platform, user=f"{tag}-0", context="gb", link="grb")
    claims = verify_launch_token(api.token, tool.app.config["SECRET_KEY"])
    now = utcnow()
    with tool.store.transaction() as s:
        for i in range(n):
            s.add(
                GradeOutbox(
                    attempt_id=claims.attempt_id,
                    platform_id=claims.platform_id,
                    lineitem_url=f"{platform.issuer}/ags/gb/lineitems/grb",
                    user_sub=f"{tag}-{i}",
                    score_given=float(i % 101),
                    score_maximum=100.0,
                    activity_progress="Completed",
                    grading_progress="FullyGraded",
                    timestamp=now,
                    status="pending",
                    tries=0,
                    next_try_at=now,
                    created_at=now,
                )
            )
    return claims.platform_id


def test_concurrent_senders_never_send_a_row_twice(tool, platform, manual):
    n, senders = 60, 4
    pid = _bulk_rows(tool, platform, n, "bulk")
    start = threading.Barrier(senders)
    errors: list[BaseException] = []

    def run():
        try:
            start.wait()
            for _ in range(200):
                if grades.send_pending(tool.store, limit=3, timeout=5).claimed == 0:
                    break
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    sv = platform.services
    users = [s["userId"] for s in sv.scores if s["userId"].startswith("bulk-")]
    assert sorted(users) == sorted(f"bulk-{i}" for i in range(n))  # each exactly once
    assert not sv.duplicates
    assert sv.attempts == n  # not one POST more
    rows = [r for r in _rows(tool, pid) if r.user_sub.startswith("bulk-")]
    assert {r.status for r in rows} == {"sent"} and all(r.tries == 1 for r in rows)
    assert all(r.claimed_by is None for r in rows)


def test_grades_cli_status_send_retry(tool, platform, manual, database_url):
    api = learner_api(tool, platform, user="g-cli", context="gcli", link="grcli")
    platform.services.ags_mode = "503"
    complete_course(api)
    runner = CliRunner()
    env = {"DATABASE_URL": database_url}
    r = runner.invoke(main, ["grades", "send", "--timeout", "2"], env=env)
    assert r.exit_code == 0, r.output
    assert "retrying" in r.output
    r = runner.invoke(main, ["grades", "status"], env=env)
    assert r.exit_code == 0, r.output
    assert "pending" in r.output and "g-cli" in r.output and "HTTP 503" in r.output
    pid = _platform_id(tool, api)
    with tool.store.transaction() as s:  # make it due now
        s.execute(
            update(GradeOutbox)
            .where(GradeOutbox.platform_id == pid, GradeOutbox.status == "pending")
            .values(next_try_at=utcnow(), status="failed")
        )
    r = runner.invoke(main, ["grades", "status", "--json"], env=env)
    assert '"failed"' in r.output
    platform.services.ags_mode = "up"
    r = runner.invoke(main, ["grades", "retry"], env=env)
    assert r.exit_code == 0 and "requeued" in r.output
    r = runner.invoke(main, ["grades", "send"], env=env)
    assert r.exit_code == 0, r.output
    assert [s for s in platform.services.scores if s["userId"] == "g-cli"]
    # prune: old sent/superseded rows go, the newest of each learner stays
    with tool.store.transaction() as s:
        s.execute(
            update(GradeOutbox)
            .where(GradeOutbox.platform_id == pid)
            .values(created_at=utcnow() - timedelta(days=100))
        )
    r = runner.invoke(main, ["grades", "prune", "--days", "90"], env=env)
    assert r.exit_code == 0 and "deleted" in r.output, r.output
    left = _rows(tool, pid)
    assert len(left) == 1 and left[0].status == "sent"


def test_nrps_roster_follows_link_next(tool, platform):
    members = [
        {
            "user_id": f"m{i}",
            "name": f"Member {i}",
            "given_name": "Member",
            "family_name": f"{i:02d}",
            "email": f"m{i}@example.org",
            "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
        }
        for i in range(5)
    ]
    platform.services.roster["nc1"] = members
    platform.services.page_size = 3  # two pages
    api = learner_api(tool, platform, user="m0", context="nc1", link="nrl1")
    claims = verify_launch_token(api.token, tool.app.config["SECRET_KEY"])
    result = sync_roster(tool.store, claims.platform_id, claims.context_id, timeout=5)
    assert (result.members, result.pages) == (5, 2)
    assert len(platform.services.nrps_requests) == 2
    assert "page=2" in platform.services.nrps_requests[1]
    with tool.store.transaction() as s:
        rows = cached_roster(s, claims.platform_id, claims.context_id)
        assert [r.sub for r in rows] == [f"m{i}" for i in range(5)]
        assert rows[0].email == "m0@example.org" and rows[0].roles
        # scoped: another context of the same platform sees none of them
        assert cached_roster(s, claims.platform_id, claims.context_id + 10_000) == []
    # a second fetch replaces the roster (someone left)
    platform.services.roster["nc1"] = members[:4]
    assert sync_roster(tool.store, claims.platform_id, claims.context_id, timeout=5).members == 4
    with tool.store.transaction() as s:
        n = s.scalars(
            select(RosterMember).where(RosterMember.context_id == claims.context_id)
        ).all()
        assert len(n) == 4


def test_sender_processes_at_once_never_send_a_row_twice(tool, platform, manual, database_url):
    """The same with separate processes (`lmspack grades send`), as cron or several hosts."""
    import os
    import subprocess
    import sys

    n = 40
    pid = _bulk_rows(tool, platform, n, "proc")
    platform.services.ags_mode = "slow"  # 50 ms a score, so the processes overlap
    platform.services.slow_seconds = 0.05
    env = {**os.environ, "DATABASE_URL": database_url}
    cmd = [sys.executable, "-m", "lmspack", "grades", "send", "--limit", "2", "--timeout", "5"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    sent = [int(re.search(r"sent (\d+)", out).group(1)) for out in outs]
    assert sum(sent) == n, outs
    assert sum(1 for k in sent if k) >= 2, f"the processes did not overlap: {sent}"
    sv = platform.services
    users = sorted(s["userId"] for s in sv.scores if s["userId"].startswith("proc-"))
    assert users == sorted(f"proc-{i}" for i in range(n))
    assert not sv.duplicates and sv.attempts == n
    rows = [r for r in _rows(tool, pid) if r.user_sub.startswith("proc-")]
    assert {r.status for r in rows} == {"sent"}


def test_migrations_match_the_models(store):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from lmspack.store.models import Base

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_a_refused_access_token_is_replaced(tool, platform, manual):
    """The token cached in the database is refused (401): it is dropped, a new one is
    fetched from the token endpoint, and the score goes through in the same pass."""
    api = learner_api(tool, platform, user="g-401", context="g401", link="gr401")
    complete_course(api)
    grades.send_all(tool.store, timeout=5)  # caches a token
    key = "access-token:" + hashlib.md5(f"{platform.issuer}|{SCORE}".encode()).hexdigest()
    with tool.store.transaction() as s:
        assert s.get(CacheEntry, key) is not None
        s.execute(
            update(CacheEntry)
            .where(CacheEntry.key == key)
            .values(value="not-a-token", expires_at=utcnow() + timedelta(hours=1))
        )
        s.execute(
            update(GradeOutbox)
            .where(GradeOutbox.platform_id == _platform_id(tool, api))
            .where(GradeOutbox.status == "sent")
            .values(status="pending", timestamp=utcnow() + timedelta(seconds=5))  # a new score
        )
    before = platform.services.token_requests
    report = grades.send_pending(tool.store, timeout=5)
    assert report.sent >= 1 and report.retrying == 0
    assert platform.services.token_requests == before + 1
    with tool.store.transaction() as s:
        assert s.get(CacheEntry, key).value != "not-a-token"


def test_without_a_line_item_the_tool_makes_one_for_the_link(tool, platform, manual):
    """A platform that offers only the line items container (and the lineitem scope) gets a
    line item made for the link, once; scores go to it."""
    sv = platform.services
    def learner(user: str):
        return learner_api(
            tool, platform, user=user, context="gnoli", link="rl-noli", lineitem="none"
        )

    api = learner("g-noli")
    quiz = complete_course(api)
    rows = _rows(tool, _platform_id(tool, api))
    mine = [r for r in rows if r.user_sub == "g-noli"]
    assert mine and all(grades.LINK_MARK in r.lineitem_url for r in mine)
    report = grades.send_pending(tool.store, timeout=5)
    assert report.sent >= 1 and not report.errors, report.errors
    made = sv.lineitems["gnoli"]
    assert len(made) == 1
    item = made[0]
    assert item["resourceLinkId"] == "rl-noli" and item["scoreMaximum"] == 100
    assert item["resourceId"] == COURSE_MODEL.id and item["tag"] == "lmspack"
    assert item["label"] == "Pre-work (rl-noli)"  # the link's title
    final = [s for s in sv.scores if s["userId"] == "g-noli" and "scoreGiven" in s][-1]
    assert final["lineitem"] == "made-1" and final["scoreGiven"] == quiz["score"]
    # a second learner on the same link: the line item's URL comes from the cache
    asked = len(sv.lineitem_requests)
    complete_course(learner("g-noli2"))
    assert grades.send_pending(tool.store, timeout=5).sent >= 1
    assert len(sv.lineitem_requests) == asked
    # with the cache gone (another tool host, say) it is found in the container, not made again
    with tool.store.transaction() as s:
        s.execute(delete(CacheEntry).where(CacheEntry.key.like("lineitem:%")))
    complete_course(learner("g-noli3"))
    assert grades.send_pending(tool.store, timeout=5).sent >= 1
    methods = [r.split(" ")[0] for r in sv.lineitem_requests]
    assert methods.count("POST") == 1 and methods.count("GET") == 2
    assert len(sv.lineitems["gnoli"]) == 1
    assert {s["lineitem"] for s in sv.scores if s["userId"].startswith("g-noli")} == {"made-1"}
