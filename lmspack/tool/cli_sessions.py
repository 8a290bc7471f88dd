"""`lmspack sessions`: a context's live sessions from the command line (the admin page's
twin; the rules are lmspack.sessions.booking's).

    lmspack sessions add --context ID --date 2026-12-10 --start 09:30 --end 12:30 \\
        --link https://zoom.us/j/123 [--zone Europe/London] [--capacity N] [--notes TEXT]
    lmspack sessions list --context ID
    lmspack sessions cancel SESSION --context ID [--reason TEXT]
"""

from __future__ import annotations

from datetime import date, datetime, time

import click

from .cli_common import (
    context_option,
    db_option,
    find_context,
    open_store,
    platform_option,
    served_course,
)


def _day(_ctx, _param, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("give the date as YYYY-MM-DD") from None


def _time(_ctx, _param, value: str) -> time:
    try:
        return datetime.strptime(value, "%H:%M").time()
    except ValueError:
        raise click.BadParameter("give the time as HH:MM (24-hour clock)") from None


@click.group("sessions")
def sessions_group() -> None:
    """Live sessions of a course context: add, list, cancel."""


@sessions_group.command("add")
@context_option
@platform_option
@click.option("--date", "day", required=True, callback=_day, help="YYYY-MM-DD (local).")
@click.option("--start", required=True, callback=_time, help="HH:MM, local time.")
@click.option("--end", required=True, callback=_time, help="HH:MM, local time.")
@click.option("--zone", "tz", default="Europe/London", show_default=True, help="Time zone.")
@click.option("--link", "join_url", required=True, help="The joining link (Zoom, Teams).")
@click.option("--notes", default="", help="Joining notes shown to booked learners.")
@click.option(
    "--capacity", type=int, default=None, help="Places (default: course.yaml's, else 12)."
)
@click.option("--course", "course_dir", default=None, help="The course source (for --capacity).")
@db_option
def sessions_add(
    context_id, issuer, day, start, end, tz, join_url, notes, capacity, course_dir, database_url
) -> None:
    """Add a live session to the context."""
    from ..sessions import booking

    if capacity is None:
        from ..course import CourseError

        try:
            capacity = booking.default_capacity(served_course(course_dir))
        except (CourseError, OSError) as exc:
            raise click.ClickException(
                f"the course could not be read for its capacity ({exc}); give --capacity N "
                "or --course DIR"
            ) from None
    with open_store(database_url).transaction() as s:
        ctx, platform = find_context(s, context_id, issuer)
        try:
            live = booking.schedule(
                s, platform_id=platform.id, context_id=ctx.id, day=day, start=start, end=end,
                tz=tz, join_url=join_url, join_notes=notes, capacity=capacity,
                created_by="command line",
            )  # fmt: skip
        except booking.BookingError as exc:
            raise click.ClickException(str(exc)) from None
        view = booking.SessionView(live, 0, 0)
        click.echo(f"session {live.id}: {view.times.text}, {capacity} places")


@sessions_group.command("list")
@context_option
@platform_option
@db_option
def sessions_list(context_id, issuer, database_url) -> None:
    """Every session of the context: id, time, places booked, waiting list, link."""
    from ..sessions import booking

    with open_store(database_url).transaction() as s:
        ctx, platform = find_context(s, context_id, issuer)
        views = booking.sessions_of(s, platform.id, ctx.id)
        if not views:
            click.echo("no sessions")
        for v in views:
            state = "CANCELLED" if v.cancelled else f"{v.booked}/{v.session.capacity} booked"
            click.echo(
                f"{v.id}\t{v.times.text}\t{state}\t{v.waiting} waiting\t{v.session.join_url}"
            )


@sessions_group.command("cancel")
@click.argument("session_id", type=int)
@context_option
@platform_option
@click.option("--reason", default="", help="Shown to the booked learners.")
@db_option
def sessions_cancel(session_id, context_id, issuer, reason, database_url) -> None:
    """Cancel a session: its learners are told on their next visit and may book another."""
    from ..sessions import booking

    with open_store(database_url).transaction() as s:
        ctx, platform = find_context(s, context_id, issuer)
        try:
            n = booking.cancel_session(
                s, platform_id=platform.id, context_id=ctx.id, session_id=session_id,
                reason=reason,
            )  # fmt: skip
        except booking.BookingError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"session {session_id} cancelled; {n} learner(s) will be told")
