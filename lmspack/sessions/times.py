"""A session's times: planned as a local date, start and end in a zone (Europe/London by
default), stored in UTC, shown with the zone so nobody guesses whether it is GMT or BST."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Europe/London"
MAX_LENGTH = timedelta(hours=12)


class TimeError(ValueError):
    """Times a session cannot have; the message says what to change."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise TimeError(f"Unknown time zone {name[:64]!r} (e.g. Europe/London).") from exc


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`day at` in `tz`, refusing a time the clocks skip or pass twice (the change to or
    from summer time), which would otherwise be silently shifted."""
    naive = datetime.combine(day, at)
    first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        raise TimeError(
            f"{at:%H:%M} on {day.isoformat()} does not exist or happens twice in {tz.key} "
            "(the clocks change): choose another time."
        )
    return first


def to_utc(
    day: date, start: time, end: time, tz_name: str = DEFAULT_ZONE
) -> tuple[datetime, datetime]:
    """(start, end) in UTC for a session on `day` from `start` to `end` local time."""
    tz = zone(tz_name)
    starts = _local(day, start, tz)
    ends = _local(day, end, tz)
    if ends <= starts:
        raise TimeError("The session must end after it starts (on the same day).")
    if ends.astimezone(UTC) - starts.astimezone(UTC) > MAX_LENGTH:
        raise TimeError("A session can last at most 12 hours.")
    return starts.astimezone(UTC), ends.astimezone(UTC)


@dataclass(frozen=True)
class LocalTimes:
    """What a page or the CLI shows: `Thursday 10 December 2026, 09:30–12:30 GMT
    (Europe/London)`."""

    starts: datetime
    ends: datetime
    zone: str

    @property
    def day(self) -> date:
        return self.starts.date()

    @property
    def text(self) -> str:
        abbr = self.starts.tzname() or ""
        return (
            f"{self.starts:%A} {self.starts.day} {self.starts:%B %Y}, "
            f"{self.starts:%H:%M}–{self.ends:%H:%M} {abbr} ({self.zone})"
        )


def local(starts_at: datetime, ends_at: datetime, tz_name: str) -> LocalTimes:
    tz = zone(tz_name)
    return LocalTimes(starts_at.astimezone(tz), ends_at.astimezone(tz), tz_name)
