"""A session's invitation as an iCalendar file (RFC 5545), written here: one event, in UTC
(no VTIMEZONE needed; calendars show it in the reader's own zone), with the joining link as
LOCATION and URL, the notes and equipment in the description, and a display reminder.

Written rather than built with a library: it is one fixed event of a dozen properties, and
the two rules that matter (TEXT escaping, 3.3.11; folding at 75 octets without splitting a
UTF-8 character, 3.1) are a few lines. The tests read the file back with `icalendar`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..printable import clean
from ..store.live_sessions import LiveSession
from .times import local

REMINDER = timedelta(minutes=30)


def _text(value: str) -> str:
    """A TEXT value: backslash, semicolon, comma escaped; line ends as \\n."""
    value = clean(value).replace("\r\n", "\n").replace("\r", "\n")
    for a, b in (("\\", "\\\\"), (";", "\\;"), (",", "\\,"), ("\n", "\\n")):
        value = value.replace(a, b)
    return value


def _fold(line: str) -> str:
    """Lines longer than 75 octets go on continuation lines (CRLF + space)."""
    out, cur = [], b""
    for ch in line:
        enc = ch.encode()
        if len(cur) + len(enc) > (75 if not out else 74):
            out.append(cur.decode())
            cur = b""
        cur += enc
    out.append(cur.decode())
    return "\r\n ".join(out)


def _utc(when: datetime) -> str:
    return when.strftime("%Y%m%dT%H%M%SZ")


def invitation(
    live: LiveSession,
    *,
    title: str,
    uid_host: str,
    equipment: str,
    now: datetime,
) -> bytes:
    """The .ics bytes of this session (STATUS:CANCELLED once it is cancelled)."""
    times = local(live.starts_at, live.ends_at, live.timezone)
    description = "\n\n".join(
        p
        for p in (
            f"{times.text}.",
            f"Join: {live.join_url}",
            live.join_notes,
            f"What you need: {equipment}",
        )
        if p
    )
    cancelled = live.cancelled_at is not None
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//lmspack//live sessions//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:live-session-{live.id}@{uid_host}",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(live.starts_at)}",
        f"DTEND:{_utc(live.ends_at)}",
        f"SUMMARY:{_text(title + ' (live session)')}",
        f"LOCATION:{_text(live.join_url)}",
        f"URL:{live.join_url}",
        f"DESCRIPTION:{_text(description)}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        f"SEQUENCE:{1 if cancelled else 0}",
    ]
    if not cancelled:
        minutes = int(REMINDER.total_seconds() // 60)
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{_text(f'{title}: the live session starts in {minutes} minutes')}",
            f"TRIGGER:-PT{minutes}M",
            "END:VALARM",
        ]
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()
