"""The live sessions report's shapes: per session and overall, attendance (booked, attended,
no-show) and the after-session evaluation's three published measures (would recommend,
content useful and informative, valued the expertise) as the share answering yes, with
counts, and confidence before/after (mean of 1-5, n); then the people to follow up: who
completed the pre-work but never booked, and who booked but did not attend. The SQL is in
reports/sessions_data.py; the CSV is `workshop_csv`, for lmspack.reports.csv.

The measures are the after-session evaluation's questions with these ids (their wording is
the course's): a course without one simply has no such column.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .summaries import RatingStat, YesNoStat

MEASURES = ("recommend", "useful", "expertise")  # yes-no questions of the after-session form
CONFIDENCE = ("confidence_before", "confidence_after")  # rating (1-5) questions


@dataclass(frozen=True)
class SessionLine:
    """One session (or, with session_id None, every session together)."""

    session_id: int | None
    label: str  # the session's local start and end, with its zone; "All sessions"
    cancelled: bool
    capacity: int | None
    booked: int  # holding a place, attendance not yet taken
    waiting: int  # on the waiting list (moved in, in order, when a place frees)
    attended: int
    no_shows: int
    evaluations: int  # after-session evaluations sent by learners who attended it
    measures: tuple[YesNoStat, ...]  # the three published measures
    confidence: tuple[RatingStat, ...]  # before and after, 1-5

    @property
    def share_attended(self) -> float | None:
        """Of those whose attendance was taken, the share who came."""
        marked = self.attended + self.no_shows
        return self.attended / marked if marked else None


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    session: str = ""  # the session they missed (no-shows)


@dataclass(frozen=True)
class WorkshopReport:
    sessions: tuple[SessionLine, ...]
    overall: SessionLine
    prework_not_booked: tuple[Person, ...]
    no_shows: tuple[Person, ...]


def _pct(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def workshop_csv(report: WorkshopReport) -> tuple[list[str], Iterator[list[Any]]]:
    """One row per session, then the overall row, then one per person to follow up."""
    measures = [m.id for m in report.overall.measures]
    confidence = [c.id for c in report.overall.confidence]
    header = [
        "Kind",
        "Session",
        "Cancelled",
        "Capacity",
        "Booked (not yet marked)",
        "Waiting list",
        "Attended",
        "No-show",
        "Attended (%)",
        "Evaluations",
        *[f"{m} {part}" for m in measures for part in ("answered", "yes", "yes (%)")],
        *[f"{c} {part}" for c in confidence for part in ("n", "mean")],
        "Name",
        "Email",
    ]
    width = len(header)

    def line(kind: str, s: SessionLine) -> list[Any]:
        return [
            kind,
            s.label,
            s.cancelled,
            s.capacity,
            s.booked,
            s.waiting,
            s.attended,
            s.no_shows,
            _pct(s.share_attended),
            s.evaluations,
            *[v for m in s.measures for v in (m.answered, m.yes, _pct(m.share_yes))],
            *[
                v
                for c in s.confidence
                for v in (c.answered, None if c.mean is None else round(c.mean, 2))
            ],
            None,
            None,
        ]

    def person(kind: str, p: Person) -> list[Any]:
        return [kind, p.session or None, *[None] * (width - 4), p.name, p.email]

    def body() -> Iterator[list[Any]]:
        for s in report.sessions:
            yield line("session", s)
        yield line("overall", report.overall)
        for p in report.no_shows:
            yield person("no-show", p)
        for p in report.prework_not_booked:
            yield person("pre-work done, not booked", p)

    return header, body()


def questions_of(course: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(measures, confidence questions) of the course's after-session evaluation, as
    (id, prompt), in MEASURES and CONFIDENCE order."""
    ev = course.session_evaluation
    by_id = {q.id: q for q in (ev.questions if ev else ())}

    def pick(ids: Sequence[str], kind: str) -> list[tuple[str, str]]:
        return [(i, by_id[i].prompt) for i in ids if i in by_id and by_id[i].type == kind]

    return pick(MEASURES, "yes-no"), pick(CONFIDENCE, "rating")


def totals(lines: Sequence[SessionLine]) -> tuple[int, int, int]:
    """(booked, attended, no-shows) over these lines."""
    return (
        sum(s.booked for s in lines),
        sum(s.attended for s in lines),
        sum(s.no_shows for s in lines),
    )
