"""The completion report as the product computes it (`reports.data.completion`), on real
rows in SQLite and PostgreSQL: who is listed, each learner's status, filtering, sorting, the
CSV and the JSON."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from lmspack.course import load_course
from lmspack.reports import data
from lmspack.reports.csv import BOM, csv_text
from lmspack.reports.summaries import STATUSES, completion_csv, to_jsonable
from lmspack.store.certificates import Certificate
from lmspack.store.models import RosterMember, User

from ..conftest import COURSE
from .seed import Seed

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
TEACHER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def t(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


# sub: (launch name, email, [(link title, status, score, outcomes %, seconds, last active)],
#       certificate (code, revoked), on the roster as (name, email) or None)
LEARNERS = {
    "u1": ("Zara Ahmed", "zara@example.org", [], None, ("Zara Ahmed", "zara@example.org")),
    "u2": (
        "Bob Old-name",
        "bob@example.org",
        [("Team B", "incomplete", None, None, 1500, t(10))],
        None,
        ("bob Brown", ""),  # the roster's name wins; its empty email keeps the launch's
    ),
    "u3": (
        "Cara Dunn",
        "cara@example.org",
        [("Team A", "failed", 60, {"LO1": 50, "LO2": 75}, 3000, t(12))],
        None,
        ("Cara Dunn", "cara@example.org"),
    ),
    "u4": (
        "Dev Patel",
        "dev@example.org",
        [
            ("Team A", "passed", 90, {"LO1": 100, "LO2": 80}, 3600, t(14)),
            ("Leads", "incomplete", None, None, 60, t(13)),
        ],
        None,
        ("Dev Patel", "dev@example.org"),
    ),
    "u5": (
        "Eve Stone",
        "eve@example.org",
        [("Team B", "passed", 100, {"LO1": 100, "LO2": 100}, 3540, t(20))],
        ("K7QF-2M9X", False),
        ("Eve Stone", "eve@example.org"),
    ),
    "u6": (
        "Finn Grey",
        "finn@example.org",
        [(None, "passed", 85, None, 0, t(21))],
        ("REVOKED-1", True),
        None,  # launched, but the roster no longer lists them
    ),
}


@pytest.fixture(scope="module")
def course():
    return load_course(COURSE)


@pytest.fixture(scope="module")
def scope(store, course) -> tuple[int, int]:
    """(platform id, context pk) of a context holding LEARNERS and a teacher on its roster;
    a context with the same id on another platform holds a learner who must not show."""
    with store.transaction() as s:
        here, elsewhere = Seed(s, course), Seed(s, course, "Another platform")
        for sub, (name, email, attempts, cert, roster) in LEARNERS.items():
            user = User(
                platform_id=here.platform_id,
                deployment_id=here.deployment_id,
                sub=sub,
                name=name,
                email=email,
            )
            s.add(user)
            s.flush()
            for title, status, score, outcomes, seconds, last in attempts:
                attempt = here.attempt(
                    user.id,
                    link=title,
                    status=status,
                    score=score,
                    state={"last": {"outcomes": outcomes}} if outcomes else {},
                    started=last - timedelta(seconds=seconds),
                    updated=last,
                )
                if cert and status == "passed":
                    s.add(
                        Certificate(
                            code=f"{cert[0]}-{uuid.uuid4().hex[:8]}",
                            platform_id=here.platform_id,
                            context_id=here.context_id,
                            user_id=user.id,
                            attempt_id=attempt.id,
                            course_id=course.id,
                            course_version=course.version,
                            learner_name=name,
                            snapshot={},
                            issued_at=last,
                            revoked_at=last if cert[1] else None,
                        )
                    )
            if roster:
                s.add(
                    RosterMember(
                        platform_id=here.platform_id,
                        context_id=here.context_id,
                        sub=sub,
                        name=roster[0],
                        email=roster[1],
                        roles=[LEARNER],
                    )
                )
        s.add(
            RosterMember(
                platform_id=here.platform_id,
                context_id=here.context_id,
                sub="t1",
                name="Tess",
                roles=[TEACHER],
            )
        )
        stranger = User(
            platform_id=elsewhere.platform_id,
            deployment_id=elsewhere.deployment_id,
            sub="u1",
            name="Other",
        )
        s.add(stranger)
        s.flush()
        elsewhere.attempt(stranger.id, link="Team A", status="passed", score=99)
    return here.platform_id, here.context_id


@pytest.fixture
def report(store, scope, course) -> data.Completion:
    pid, cid = scope
    with store.read_sessions() as s:
        return data.completion(
            s, pid, cid, course, certificate_url=lambda c: f"/verify/{c.split('-')[0]}"
        )


def subs(rep: data.Completion, rows) -> set[str]:
    return {r[data.SUB] for r in rows}


def test_status_of_each_case(report) -> None:
    rows = {r.user_id: r for r in report.completion_rows()}
    assert {sub: r.status for sub, r in rows.items()} == {
        "u1": "not started",  # on the roster only
        "u2": "in progress",
        "u3": "failed",
        "u4": "passed",  # the attempt that ranks highest counts
        "u5": "certified",
        "u6": "passed",  # the certificate was revoked
    }
    assert set(STATUSES) == {"not started", "in progress", "failed", "passed", "certified"}


def test_completion_rows(report) -> None:
    rows = list(report.completion_rows())
    assert [r.name for r in rows] == [
        "bob Brown",
        "Cara Dunn",
        "Dev Patel",
        "Eve Stone",
        "Finn Grey",
        "Zara Ahmed",
    ]  # by name, case-insensitive; no teacher, nobody of the other platform
    eve = next(r for r in rows if r.user_id == "u5")
    assert eve.status == "certified" and eve.certificate_url == "/verify/K7QF"
    assert eve.outcomes[:2] == (("LO1", 1.0), ("LO2", 1.0)) and eve.minutes_spent == 59
    finn = next(r for r in rows if r.user_id == "u6")
    assert finn.status == "passed" and finn.certificate_code == "" and not finn.on_roster
    zara = next(r for r in rows if r.user_id == "u1")
    assert all(share is None for _o, share in zara.outcomes) and zara.score is None
    dev = next(r for r in rows if r.user_id == "u4")
    assert set(dev.groups) == {"Team A", "Leads"} and dev.last_activity == t(14)
    assert report.counts() == {
        "not started": 1,
        "in progress": 1,
        "failed": 1,
        "passed": 2,
        "certified": 1,
    }


def test_the_roster_and_the_launches_are_merged(report) -> None:
    rows = {r.user_id: r for r in report.completion_rows()}
    assert set(rows) == {"u1", "u2", "u3", "u4", "u5", "u6"}
    assert rows["u1"].on_roster and rows["u1"].status == "not started"
    assert rows["u2"].name == "bob Brown" and rows["u2"].email == "bob@example.org"
    assert rows["u2"].on_roster and rows["u2"].minutes_spent == 25
    assert not rows["u6"].on_roster  # launched, but the roster no longer lists them


def test_filter_by_status_group_dates_and_text(report) -> None:
    assert subs(report, report.select(status=["passed"])) == {"u4", "u6"}
    assert subs(report, report.select(status=["failed", "certified"])) == {"u3", "u5"}
    assert subs(report, report.select(group="Team A")) == {"u3", "u4"}
    window = report.select(since=date(2026, 11, 12), before=date(2026, 11, 20))
    assert subs(report, window) == {"u3", "u4"}  # the 20th itself is excluded
    assert subs(report, report.select(search="DEV")) == {"u4"}
    assert subs(report, report.select(search="eve@")) == {"u5"}
    with pytest.raises(ValueError):
        report.select(status=["finished"])


def test_sorting_puts_missing_values_last(report) -> None:
    def column(rows, index):
        return [r[index] for r in rows]

    by_score = report.select(sort="score", descending=True)
    assert column(by_score, data.SCORE) == [100, 90, 85, 60, None, None]
    assert column(report.select(sort="score"), data.SCORE) == [60, 85, 90, 100, None, None]
    by_status = report.select(sort="status", descending=True)
    assert column(by_status, data.STATUS)[:2] == ["certified", "passed"]
    recent = report.select(sort="last_activity", descending=True)
    assert column(recent, data.SUB) == ["u6", "u5", "u4", "u3", "u2", "u1"]
    with pytest.raises(ValueError):
        report.select(sort="password")


def test_completion_csv(report) -> None:
    header, body = completion_csv(report.completion_rows(), report.outcome_ids)
    parsed = list(csv.reader(io.StringIO(csv_text(header, body).removeprefix(BOM), newline="")))
    assert parsed[0][:6] == ["Name", "Email", "Groups", "Status", "Score (%)", "LO1 correct (%)"]
    cara = next(p for p in parsed if p[0] == "Cara Dunn")
    width = len(report.outcome_ids)
    assert cara[3:7] == ["failed", "60", "50.0", "75.0"]
    assert cara[5 + width : 7 + width] == ["50", "2026-11-12T12:00:00Z"]
    dev = next(p for p in parsed if p[0] == "Dev Patel")
    assert set(dev[2].split("; ")) == {"Team A", "Leads"} and dev[-1] == "TRUE"


def test_to_jsonable(report) -> None:
    rows = json.loads(json.dumps(to_jsonable(list(report.completion_rows()))))
    eve = next(r for r in rows if r["user_id"] == "u5")
    assert eve["last_activity"] == "2026-11-20T12:00:00Z"
    assert eve["outcomes"][:2] == [["LO1", 1.0], ["LO2", 1.0]]
