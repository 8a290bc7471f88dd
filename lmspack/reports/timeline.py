"""Completion over time, for the completion page's chart: how many learners of a context had
passed the pre-work, and how many held a valid certificate, at the end of each day (or
week, or month, so a chart has at most MAX_POINTS columns). Numbers only: the template
draws them.

`completion_dates` reads one date per learner (two small GROUP BY queries, scoped by
platform and context); `cumulative` is pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..store.certificates import Certificate
from ..store.models import Attempt
from .summaries import utc

MAX_POINTS = 60


@dataclass(frozen=True)
class Point:
    day: date  # the last day of the period
    completed: int  # learners who had passed by the end of it
    certified: int  # learners holding a valid certificate by then


@dataclass(frozen=True)
class Timeline:
    unit: str  # "day" | "week" | "month"
    points: tuple[Point, ...]

    @property
    def top(self) -> int:
        """The largest count, for the chart's scale (at least 1)."""
        return max([1, *(p.completed for p in self.points), *(p.certified for p in self.points)])


def completion_dates(
    session: Session, platform_id: int, context_pk: int
) -> tuple[list[datetime], list[datetime]]:
    """(when each learner first passed, when each certified learner was first certified).
    A learner whose certificate was revoked and not re-issued is not counted as certified."""
    passed = session.execute(
        select(func.min(Attempt.completed_at))
        .where(
            Attempt.platform_id == platform_id,
            Attempt.context_id == context_pk,
            Attempt.status == "passed",
            Attempt.completed_at.is_not(None),
        )
        .group_by(Attempt.user_id)
    ).scalars()
    certified = session.execute(
        select(func.min(Certificate.issued_at))
        .where(
            Certificate.platform_id == platform_id,
            Certificate.context_id == context_pk,
            Certificate.revoked_at.is_(None),
        )
        .group_by(Certificate.user_id)
    ).scalars()
    return [d for d in passed if d is not None], [d for d in certified if d is not None]


def _period_end(day: date, unit: str) -> date:
    if unit == "day":
        return day
    if unit == "week":  # weeks end on Sunday
        return day + timedelta(days=6 - day.weekday())
    nxt = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def cumulative(
    completed: Iterable[datetime | date],
    certified: Iterable[datetime | date],
    *,
    today: date,
    max_points: int = MAX_POINTS,
) -> Timeline:
    """Running totals per period, from the period of the first date to today's. No dates at
    all: no points (the page says so instead of drawing an empty chart)."""
    done = sorted(utc(d).date() for d in completed)
    cert = sorted(utc(d).date() for d in certified)
    if not done and not cert:
        return Timeline("day", ())
    first = min(done[:1] + cert[:1])
    last = max(today, *(done[-1:] + cert[-1:]))
    span = (last - first).days + 1
    unit = "day" if span <= max_points else "week" if span <= max_points * 7 else "month"
    ends: list[date] = []
    end = _period_end(first, unit)
    while True:
        ends.append(end)
        if end >= last:
            break
        end = _period_end(end + timedelta(days=1), unit)
    points, i, j = [], 0, 0
    for end in ends:
        while i < len(done) and done[i] <= end:
            i += 1
        while j < len(cert) and cert[j] <= end:
            j += 1
        points.append(Point(end, i, j))
    return Timeline(unit, tuple(points))
