"""Several tool processes on one database: two `lmspack serve` instances, each with its
background sender, share the outbox and the grade clocks. 1,000 queued grades are each
delivered once; learners whose requests land on either instance in turn get timestamps that
strictly increase in whole seconds and keep every final score."""

from __future__ import annotations

import time
from contextlib import ExitStack
from datetime import datetime

import pytest
import requests
from sqlalchemy import func, select

from lmspack import grades
from lmspack.store.models import GradeOutbox, utcnow
from lmspack.tool.launch_token import verify_launch_token
from tests.tool.api_client import Api, complete_course, learner_api, wait_for
from tests.tool.serve_process import free_port, serve_env, serving


class _Instances(Api):
    """A learner's API calls, each to the next instance in turn (a load balancer)."""

    def __init__(self, bases: list[str], token: str):
        super().__init__(bases[0], token)
        self.bases = bases
        self.calls = 0

    def call(self, method, path, json=None, token="", **kw):
        self.base = self.bases[self.calls % len(self.bases)]
        self.calls += 1
        return super().call(method, path, json=json, token=token, **kw)


@pytest.fixture
def instances(tool, database_url, tmp_path):
    """Two `lmspack serve` (gunicorn, one worker each) on the tests' database and secret."""
    with ExitStack() as stack:
        urls = []
        for i in range(2):
            port = free_port()
            env = serve_env(
                database_url,
                f"http://127.0.0.1:{port}",
                SECRET_KEY=tool.app.config["SECRET_KEY"],
                LMSPACK_GRADES_POLL_SECONDS="1",
            )
            log = tmp_path / f"serve{i}.log"
            # healthy means its background sender has started too
            urls.append(stack.enter_context(serving(port, ["--workers", "1"], env, log)))
        yield urls


def test_two_serve_instances_deliver_a_thousand_grades_once(tool, platform, instances):
    n = 1000
    inline = tool.app.extensions["lmspack.grades"]
    inline.enabled = False  # only the two instances send
    try:
        # learners whose calls alternate between the instances (their rows, their clocks)
        learners = {
            f"mp-{i}": _Instances(
                instances, learner_api(tool, platform, user=f"mp-{i}", context="gmp",
                                       link="grmp").token  # fmt: skip
            )
            for i in range(4)
        }
        claims = verify_launch_token(learners["mp-0"].token, tool.app.config["SECRET_KEY"])
        lineitem = f"{platform.issuer}/ags/gmp/lineitems/grmp"
        with tool.store.transaction() as s:
            for i in range(n):
                user = f"bulk-{i}"
                s.add(
                    GradeOutbox(
                        attempt_id=claims.attempt_id,
                        platform_id=claims.platform_id,
                        lineitem_url=lineitem,
                        user_sub=user,
                        score_given=float(i % 101),
                        score_maximum=100.0,
                        activity_progress="Completed",
                        grading_progress="FullyGraded",
                        timestamp=grades.stamp(s, claims.platform_id, lineitem, user),
                        status="pending",
                        tries=0,
                        conflicts=0,
                        next_try_at=utcnow(),
                        created_at=utcnow(),
                    )
                )
        began = time.monotonic()
        for url in instances:  # wake both senders (a request starts one; it polls each 1 s)
            requests.get(url + "/healthz", timeout=5)
        quizzes = {user: complete_course(api) for user, api in learners.items()}

        def settled():
            with tool.store.sessions() as s:
                left = s.scalar(
                    select(func.count())
                    .select_from(GradeOutbox)
                    .where(
                        GradeOutbox.platform_id == claims.platform_id,
                        GradeOutbox.status == "pending",
                    )
                )
            return left == 0

        wait_for(settled, 90, "both instances to send every grade")
        took = time.monotonic() - began
    finally:
        inline.enabled = True
    sv = platform.services
    bulk = sorted(s["userId"] for s in sv.scores if s["userId"].startswith("bulk-"))
    assert bulk == sorted(f"bulk-{i}" for i in range(n)), "not each exactly once"
    assert not [c for c in sv.conflicts if c["userId"].startswith("bulk-")]
    with tool.store.sessions() as s:
        rows = list(
            s.scalars(select(GradeOutbox).where(GradeOutbox.platform_id == claims.platform_id))
        )
    assert {r.status for r in rows if r.user_sub.startswith("bulk-")} == {"sent"}
    assert all(r.tries == 1 for r in rows if r.user_sub.startswith("bulk-"))
    assert {r.claimed_by for r in rows} == {None}
    for user, quiz in quizzes.items():
        mine = [s for s in sv.scores if s["userId"] == user]
        stamps = [datetime.fromisoformat(s["timestamp"]) for s in mine]
        assert stamps == sorted(stamps) and len({int(t.timestamp()) for t in stamps}) == len(
            stamps
        )
        finals = [s for s in mine if s["activityProgress"] == "Completed"]
        assert len(finals) == 1 and finals[0]["scoreGiven"] == quiz["score"], mine
    assert took < 60, f"{n} grades took {took:.1f} s"
