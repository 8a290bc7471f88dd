"""The snapshot freezes what a certificate certifies; JSON round-trips exactly."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from lmspack.certificates.pdf import certificate_html
from lmspack.certificates.snapshot import CertificateSnapshot, OutcomeText, hours_and_minutes

from .conftest import ISSUED


def test_snapshot_takes_everything_from_the_course(course, snapshot) -> None:
    assert snapshot.course_id == course.id
    assert snapshot.course_title == course.title
    assert snapshot.course_version == course.version
    assert snapshot.provider == course.provider
    assert snapshot.facilitators == course.facilitators
    assert snapshot.pass_mark == course.pass_mark
    assert snapshot.outcomes == tuple(OutcomeText(o.id, o.text) for o in course.outcomes)
    assert snapshot.prework_completed_on == date(2026, 11, 20)
    assert snapshot.live_session_on == date(2026, 12, 3)
    assert snapshot.prework_minutes == course.cpd.prework_minutes
    assert snapshot.live_session_minutes == course.cpd.live_session_minutes == 180
    assert snapshot.total_minutes == course.cpd.prework_minutes + 180
    assert snapshot.issued_at == ISSUED.replace(microsecond=0)
    assert snapshot.passed


def test_live_session_time_only_counts_when_attended(course, make_snapshot) -> None:
    s = make_snapshot(live_session_date=None)
    assert s.live_session_on is None and s.live_session_mode == ""
    assert s.live_session_minutes == 0
    assert s.total_minutes == s.prework_minutes == course.cpd.prework_minutes


def test_json_round_trip_is_exact_and_stable(snapshot) -> None:
    text = snapshot.to_json()
    assert CertificateSnapshot.from_json(text) == snapshot
    assert CertificateSnapshot.from_json(text).to_json() == text
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert data["format"] == 2
    assert data["issued_at"] == "2026-11-26T09:30:12Z"
    assert data["prework_completed_on"] == "2026-11-20"
    assert data["outcomes"][0] == {"id": "LO1", "text": snapshot.outcomes[0].text}
    no_live = dataclasses.replace(snapshot, live_session_on=None)
    assert CertificateSnapshot.from_json(no_live.to_json()) == no_live


def test_a_format_1_snapshot_reads_without_an_organisation(make_snapshot) -> None:
    snap = make_snapshot(organisation="Acme Council", organisation_url="https://vle.acme.test")
    data = snap.to_dict()
    assert (data["organisation"], data["organisation_url"]) == (
        "Acme Council",
        "https://vle.acme.test",
    )
    old = {k: v for k, v in data.items() if not k.startswith("organisation")} | {"format": 1}
    again = CertificateSnapshot.from_dict(old)
    assert again.organisation == again.organisation_url == ""
    assert dataclasses.replace(again, organisation="Acme Council",
                               organisation_url="https://vle.acme.test") == snap  # fmt: skip


def test_snapshot_is_immutable(snapshot) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.learner_name = "Someone else"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.outcomes[0].text = "changed"  # type: ignore[misc]
    assert isinstance(snapshot.outcomes, tuple) and isinstance(snapshot.facilitators, tuple)
    hash(snapshot)  # hashable all the way down


def test_editing_the_course_later_changes_nothing_issued(course, snapshot) -> None:
    stored = snapshot.to_json()
    edited = dataclasses.replace(
        course,
        title="A renamed course",
        pass_mark=50,
        outcomes=course.outcomes[:2],
        provider="Someone new",
    )
    assert edited.title != course.title  # the course really changed...
    again = CertificateSnapshot.from_json(stored)
    assert again == snapshot  # ...the stored certificate did not
    html = certificate_html(again)
    assert course.title in html and "A renamed course" not in html
    assert all(o.text in html for o in course.outcomes)


def test_issued_at_must_be_aware_and_is_kept_in_utc(make_snapshot) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_snapshot(issued_at=datetime(2026, 11, 26, 9, 30))
    bst = timezone(timedelta(hours=1))
    s = make_snapshot(issued_at=datetime(2026, 6, 1, 0, 30, tzinfo=bst))
    assert s.issued_at == datetime(2026, 5, 31, 23, 30, tzinfo=UTC)


def test_code_is_normalised_and_checked(make_snapshot) -> None:
    s = make_snapshot(code="k7qf 2m9x a4tb ohrc w3zn")
    assert s.code == "K7QF-2M9X-A4TB-0HRC-W3ZN"
    with pytest.raises(ValueError, match="not a certificate code"):
        make_snapshot(code="1234")


def test_bad_values_are_refused(snapshot) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(snapshot, score=101)
    with pytest.raises(ValueError):
        dataclasses.replace(snapshot, total_minutes=snapshot.total_minutes + 1)
    with pytest.raises(ValueError):
        dataclasses.replace(snapshot, learner_name="  ")
    newer = json.loads(snapshot.to_json()) | {"format": 99}
    with pytest.raises(ValueError, match="newer"):
        CertificateSnapshot.from_dict(newer)


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "0 minutes"),
        (1, "1 minute"),
        (58, "58 minutes"),
        (60, "1 hour"),
        (180, "3 hours"),
        (238, "3 hours 58 minutes"),
        (61, "1 hour 1 minute"),
    ],
)
def test_hours_and_minutes(minutes: int, text: str) -> None:
    assert hours_and_minutes(minutes) == text
