"""Live sessions of a course context: scheduling, booking with a waiting list, invitations,
attendance. No Flask here: the tool's blueprint and the CLI call these with a SQLAlchemy
session and commit.

    times.py       a session's local date and times <-> UTC, shown with the zone
    booking.py     schedule, book / move / cancel, waiting-list promotion, cancel a session
    ics.py         the .ics invitation (RFC 5545) with a reminder
    attendance.py  attended / no-show per session, through the certificate rules
"""
