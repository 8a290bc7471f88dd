"""`lmspack attempts`: a teacher's actions on a learner's attempt from the command line."""

from __future__ import annotations

import click

from .cli_common import (
    context_option,
    db_option,
    find_context,
    open_store,
    platform_option,
    served_course,
)


@click.group("attempts")
def attempts_group() -> None:
    """Learners' attempts: allow another quiz try."""


@attempts_group.command("grant")
@context_option
@platform_option
@click.option("--user", "sub", required=True, help="The learner's user id (sub) on the platform.")
@click.option("--tries", default=1, show_default=True, type=int, help="Extra tries to allow.")
@click.option("--by", default="command line", show_default=True, help="Who allowed it (kept).")
@click.option(
    "--course",
    "course_dir",
    default=None,
    help="The course source the tool serves (default LMSPACK_COURSE, else course_src).",
)
@db_option
def attempts_grant(context_id, issuer, sub, tries, by, course_dir, database_url) -> None:
    """Allow a learner more quiz tries than quiz.yaml's `attempts`, e.g. one who used them all
    without passing. The player offers the retake at the learner's next answer or visit."""
    from sqlalchemy import select

    from ..attempts.extra_tries import GrantRefused, grant_tries
    from ..store.models import Attempt, User

    course = served_course(course_dir)
    with open_store(database_url).transaction() as s:
        ctx, platform = find_context(s, context_id, issuer)
        attempts = s.scalars(
            select(Attempt)
            .join(User, User.id == Attempt.user_id)
            .where(
                Attempt.platform_id == platform.id,
                Attempt.context_id == ctx.id,
                Attempt.course_id == course.id,
                User.platform_id == platform.id,
                User.sub == sub,
            )
            .order_by(Attempt.id)
            .with_for_update()
        ).all()
        if not attempts:
            raise click.ClickException(
                f"{sub!r} has not opened {course.id} in context {context_id!r}."
            )
        for attempt in attempts:
            try:
                g = grant_tries(course.quiz, attempt, tries, by=by)
            except GrantRefused as exc:
                raise click.ClickException(str(exc)) from exc
            click.echo(f"{sub}: {g.used} of {g.allowed} tries used")
            if g.key_was_shown:
                click.echo(
                    "  note: the quiz showed this learner the answers after their last try"
                )
