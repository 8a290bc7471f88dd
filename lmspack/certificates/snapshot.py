"""What an issued certificate certifies, frozen at the moment of issue.

The tool stores `CertificateSnapshot.to_json()` with the certificate. The PDF, the Open Badge
and the public verification page are all made from the snapshot, never from the live course,
so editing the course, its outcomes or the template later never changes what an issued
certificate says.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

from ..course.model import Course
from .codes import normalise

FORMAT = 2  # bump when the JSON shape changes; from_json reads every older format
# 2: `organisation` and `organisation_url`, the platform the learner completed the course
#    through (a format 1 snapshot has neither: "")


@dataclass(frozen=True)
class OutcomeText:
    id: str
    text: str


@dataclass(frozen=True)
class CertificateSnapshot:
    learner_name: str
    course_id: str
    course_title: str
    course_version: str
    language: str
    provider: str
    facilitators: tuple[str, ...]
    prework_completed_on: date
    live_session_on: date | None
    live_session_mode: str
    prework_minutes: int
    live_session_minutes: int
    total_minutes: int
    outcomes: tuple[OutcomeText, ...]
    score: int  # percent, 0..100
    pass_mark: int  # percent
    code: str
    verify_url: str
    issued_at: datetime  # UTC, whole seconds
    # The organisation whose learning platform the learner took the course through (the
    # platform's name, as the tool's administrator added or invited it) and its address.
    organisation: str = ""
    organisation_url: str = ""

    def __post_init__(self) -> None:
        if not self.learner_name.strip():
            raise ValueError("a certificate needs the learner's name")
        if self.issued_at.tzinfo is None:
            raise ValueError("issued_at must be timezone-aware")
        object.__setattr__(self, "issued_at", self.issued_at.astimezone(UTC).replace(microsecond=0))
        object.__setattr__(self, "facilitators", tuple(self.facilitators))
        object.__setattr__(
            self,
            "outcomes",
            tuple(o if isinstance(o, OutcomeText) else OutcomeText(**o) for o in self.outcomes),
        )
        if self.total_minutes != self.prework_minutes + self.live_session_minutes:
            raise ValueError("total_minutes must be pre-work plus live session minutes")
        if not 0 <= self.score <= 100 or not 0 <= self.pass_mark <= 100:
            raise ValueError("score and pass mark are percentages")
        canonical = normalise(self.code)
        if canonical is None:
            raise ValueError(f"not a certificate code: {self.code!r}")
        object.__setattr__(self, "code", canonical)

    @property
    def passed(self) -> bool:
        return self.score >= self.pass_mark

    @property
    def issued_on(self) -> date:
        return self.issued_at.date()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": FORMAT}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = value.strftime("%Y-%m-%dT%H:%M:%SZ")
            elif isinstance(value, date):
                value = value.isoformat()
            elif f.name == "outcomes":
                value = [{"id": o.id, "text": o.text} for o in value]
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    def to_json(self) -> str:
        """Stable text: sorted keys, no whitespace, UTF-8 kept readable."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CertificateSnapshot:
        data = dict(data)
        version = data.pop("format", FORMAT)
        if version > FORMAT:
            raise ValueError(f"certificate snapshot format {version} is newer than this lmspack")
        live = data.get("live_session_on")
        return cls(
            **{
                **data,
                "facilitators": tuple(data["facilitators"]),
                "outcomes": tuple(OutcomeText(o["id"], o["text"]) for o in data["outcomes"]),
                "prework_completed_on": date.fromisoformat(data["prework_completed_on"]),
                "live_session_on": date.fromisoformat(live) if live else None,
                "issued_at": datetime.fromisoformat(data["issued_at"].replace("Z", "+00:00")),
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> CertificateSnapshot:
        return cls.from_dict(json.loads(text))


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.date()
    return value


def snapshot_for(
    course: Course,
    *,
    learner_name: str,
    completed_at: date | datetime,
    score: int,
    code: str,
    verify_url: str,
    issued_at: datetime,
    live_session_date: date | datetime | None = None,
    organisation: str = "",
    organisation_url: str = "",
) -> CertificateSnapshot:
    """Freeze what a certificate for `course` certifies.

    Live-session CPD time is only counted when a live session date is given (the learner
    attended): a certificate issued after the pre-work alone claims the pre-work time only.
    """
    live = _as_date(live_session_date) if live_session_date is not None else None
    live_minutes = course.cpd.live_session_minutes if live else 0
    return CertificateSnapshot(
        learner_name=learner_name.strip(),
        course_id=course.id,
        course_title=course.title,
        course_version=course.version,
        language=course.language,
        provider=course.provider,
        facilitators=tuple(course.facilitators),
        prework_completed_on=_as_date(completed_at),
        live_session_on=live,
        live_session_mode=course.cpd.live_session_mode if live else "",
        prework_minutes=course.cpd.prework_minutes,
        live_session_minutes=live_minutes,
        total_minutes=course.cpd.prework_minutes + live_minutes,
        outcomes=tuple(OutcomeText(o.id, o.text) for o in course.outcomes),
        score=int(score),
        pass_mark=course.pass_mark,
        code=code,
        verify_url=verify_url,
        issued_at=issued_at,
        organisation=organisation.strip(),
        organisation_url=organisation_url,
    )


def hours_and_minutes(minutes: int) -> str:
    """58 -> '58 minutes', 180 -> '3 hours', 238 -> '3 hours 58 minutes'."""
    h, m = divmod(int(minutes), 60)
    parts = []
    if h:
        parts.append(f"{h} hour" + ("s" if h != 1 else ""))
    if m or not h:
        parts.append(f"{m} minute" + ("s" if m != 1 else ""))
    return " ".join(parts)


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate as stored: what it certifies and whether it still stands (an evidence
    pack lists both kinds)."""

    snapshot: CertificateSnapshot
    revoked_at: datetime | None = None
