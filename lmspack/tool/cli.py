"""The tool's commands, added to the main `lmspack` group by `register(main)`:

    lmspack db upgrade
    lmspack platform add|invite|invites|list|remove|add-deployment   (cli_platforms.py)
    lmspack keys rotate [--grace-days N] [--now] | keys list
    lmspack serve [--workers N] [--bind HOST:PORT] [--dev]
    lmspack grades send [--now]|status|retry|prune
    lmspack certificates list|show|revoke|reissue|attend|export        (cli_certificates.py)
    lmspack report completions|outcomes|evaluation                     (cli_reports.py)
    lmspack attempts ...                                               (cli_attempts.py)
    lmspack sessions add|list|cancel --context ID ...                  (cli_sessions.py)

All use DATABASE_URL (default: instance/lmspack.sqlite) unless --database-url is given.
Imports are lazy so `lmspack build` does not load Flask or SQLAlchemy.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli_attempts import attempts_group
from .cli_certificates import certificates_group
from .cli_common import db_option, load_config, open_store
from .cli_platforms import platform_group
from .cli_reports import report_cmd
from .cli_sessions import sessions_group


def register(main: click.Group) -> None:
    main.add_command(db_group)
    main.add_command(platform_group)
    main.add_command(keys_group)
    main.add_command(serve)
    main.add_command(grades_group)
    main.add_command(certificates_group)
    main.add_command(report_cmd)
    main.add_command(attempts_group)
    main.add_command(sessions_group)  # issue 12: live sessions


# --------------------------------------------------------------------------- db


@click.group("db")
def db_group() -> None:
    """The tool's database."""


@db_group.command("upgrade")
@db_option
def db_upgrade(database_url: str | None) -> None:
    """Create or migrate the database to this version's schema (and make the first key)."""
    from ..store.migrate import current_revision, head_revision

    store = open_store(database_url, migrated=False)
    before = current_revision(store.engine)
    for line in store.upgrade():
        click.echo(line)
    where = store.engine.url.render_as_string(hide_password=True)
    head = head_revision()
    if before == head:
        click.echo(f"{where}: already at revision {head}")
    else:
        click.echo(f"{where}: upgraded {before or '(empty)'} -> {head}")


# --------------------------------------------------------------------------- keys


@click.group("keys")
def keys_group() -> None:
    """The tool's signing keys (published at /lti/jwks)."""


@keys_group.command("rotate")
@click.option(
    "--grace-days",
    type=float,
    default=7,
    show_default=True,
    help="Keep the previous key(s) published this long.",
)
@click.option(
    "--now",
    "sign_now",
    is_flag=True,
    help="Sign with the new key at once (a compromised key; pair with --grace-days 0). "
    "By default it is published first and signs after 5 minutes, when every platform's "
    "cached copy of the key set holds it.",
)
@db_option
def keys_rotate(grace_days: float, sign_now: bool, database_url: str | None) -> None:
    """Publish a new signing key; the previous one stays in the JWKS for the grace period."""
    from ..store import keys

    store = open_store(database_url)
    with store.transaction() as s:
        new, old = keys.rotate(s, grace_days, sign_after=0 if sign_now else keys.SIGN_AFTER)
        pruned = keys.prune_retired(s)
        when = "now" if sign_now else f"in {keys.SIGN_AFTER // 60} minutes"
        click.echo(f"New signing key {new.kid}: published now, signs {when}")
        for kid in old:
            click.echo(f"Key {kid} stays published for {grace_days:g} days after the new key signs")
        if pruned:
            click.echo(f"Deleted {pruned} key(s) past their grace period")


@keys_group.command("list")
@db_option
def keys_list(database_url: str | None) -> None:
    """List keys: which signs now, which wait to sign, which are retiring."""
    from sqlalchemy import select

    from ..store import keys
    from ..store.models import ToolKey, utcnow

    store = open_store(database_url)
    with store.transaction() as s:
        signing = keys.signing_key(s).kid
        now = utcnow()
        for k in s.scalars(select(ToolKey).order_by(ToolKey.id)):
            if k.kid == signing:
                state = "signs now"
            elif k.signs_from is not None and k.signs_from > now:
                state = f"published, signs soon ({k.signs_from:%Y-%m-%d %H:%M} UTC)"
            else:
                state = "published"
            if k.retire_after:
                state += f", retires {k.retire_after:%Y-%m-%d %H:%M} UTC"
            click.echo(f"{k.kid}  published {k.created_at:%Y-%m-%d %H:%M} UTC  {state}")


# --------------------------------------------------------------------------- serve


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="HOST:PORT")
@click.option("--workers", type=int, default=None, help="gunicorn workers (default 2×CPU+1).")
@click.option(
    "--threads",
    type=int,
    default=1,
    show_default=True,
    help="Threads per worker (>1: gthread workers; 1: sync workers, fastest on few CPUs "
    "behind a buffering proxy).",
)
@click.option("--dev", is_flag=True, help="Flask's development server (never in production).")
@click.option("--course", "-c", default=None, help="Course folder (default $LMSPACK_COURSE).")
@db_option
def serve(bind, workers, threads, dev, course, database_url) -> None:
    """Run the LTI 1.3 tool (gunicorn; --dev for Flask's server)."""
    from ..store import NotMigrated

    cfg = load_config()
    overrides = {}
    if database_url:
        cfg.database_url = overrides["database_url"] = database_url
    if course:
        cfg.course = overrides["course"] = course
    host, _, port = bind.rpartition(":")
    if not port.isdigit() or not 0 <= int(port) < 65536:
        raise click.BadParameter(f"{bind!r} is not HOST:PORT", param_hint="--bind")
    _check_course(Path(cfg.course))
    _check_port(host or "127.0.0.1", int(port))
    store = open_store(cfg.database_url or None, migrated=False)
    try:
        store.check_migrated()
    except NotMigrated as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(1)
    store.dispose()
    if dev:
        from .app import create_app

        create_app(cfg).run(host=host or "127.0.0.1", port=int(port), debug=False)
        return
    from .server import default_workers, run_gunicorn

    run_gunicorn(bind, workers or default_workers(), threads, overrides)


def _check_course(course_dir: Path) -> None:
    """Refuse to start on a course that does not load (each worker would fail to boot)."""
    from ..course import CourseError, load_course
    from ..course.report import problem_lines

    try:
        load_course(course_dir)
    except CourseError as exc:
        lines = [problem_lines(p, course_dir)[0] for p in exc.problems]
        if len(lines) == 1:
            raise click.ClickException(f"cannot serve {course_dir}: {lines[0]}") from None
        click.secho(f"Cannot serve {course_dir}: fix these first.", fg="red", err=True)
        for line in lines:
            click.echo(f"  {line}", err=True)
        sys.exit(1)


def _check_port(host: str, port: int) -> None:
    """One line now, rather than gunicorn's five retries and ten log lines, for a port that
    another program holds (or that this user may not bind)."""
    import os
    import socket

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        why = os.strerror(exc.errno) if exc.errno else str(exc)
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {why} "
            "(is another server using it? choose another with --bind HOST:PORT)"
        ) from None


# --------------------------------------------------------------------------- grades


@click.group("grades")
def grades_group() -> None:
    """Scores waiting to be sent to the platforms' gradebooks (AGS)."""


@grades_group.command("send")
@click.option("--limit", type=int, default=100, show_default=True, help="Rows per pass.")
@click.option("--timeout", type=float, default=None, help="HTTP timeout, s (default config).")
@click.option(
    "--now",
    "due_now",
    is_flag=True,
    help="Send every pending grade now, without waiting for its backoff (after an outage).",
)
@db_option
def grades_send(limit: int, timeout: float | None, due_now: bool, database_url: str | None):
    """Send what is due now, once (safe alongside running servers; cron-friendly)."""
    from ..grades import make_due, send_all

    store = open_store(database_url)
    if due_now:
        click.echo(f"{make_due(store)} grade(s) waiting on a backoff made due now")
    report = send_all(store, limit=limit, timeout=timeout or load_config().http_timeout)
    click.echo(f"Grades: {report}")
    for err in dict.fromkeys(report.errors):
        click.echo(f"  {err}", err=True)


@grades_group.command("status")
@click.option("--json", "as_json", is_flag=True)
@click.option("--show", type=int, default=20, show_default=True, help="Rows to list.")
@db_option
def grades_status(as_json: bool, show: int, database_url: str | None) -> None:
    """What was given up (with the reason) and what is still pending, with the last error."""
    import json

    from ..grades import status

    data = status(open_store(database_url), show=show)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    counts = data["counts"]
    click.echo(
        f"Grades: {counts.get('pending', 0)} pending, {counts.get('failed', 0)} given up "
        f"(failed), {counts.get('sent', 0)} sent, {counts.get('superseded', 0)} superseded "
        "(a newer score of the same learner was sent instead)"
    )
    if counts.get("failed"):
        click.echo(
            "Given up: fix the cause, then `lmspack grades retry` (all, or the ids) and "
            "`lmspack grades send`."
        )
    for r in data["rows"]:
        score = "-" if r["score"] is None else f"{r['score']:g}"
        when = f" next try {r['next_try_at'][:19]}Z" if r["next_try_at"] else ""
        label = "GIVEN UP" if r["status"] == "failed" else r["status"]
        click.echo(
            f"#{r['id']} {label} {r['platform']} user {r['user']} score {score} "
            f"{r['activity']}/{r['grading']} tries {r['tries']}{when}"
        )
        if r["last_error"]:
            why = "reason" if r["status"] == "failed" else "last error"
            click.echo(f"    {why}: {r['last_error'][:300]}")


@grades_group.command("prune")
@click.option("--days", type=float, default=90, show_default=True)
@db_option
def grades_prune(days: float, database_url: str | None) -> None:
    """Delete sent and superseded grades older than DAYS (the latest per learner stays)."""
    from datetime import timedelta

    from ..grades import prune

    n = prune(open_store(database_url), timedelta(days=days))
    click.echo(f"{n} old grade row(s) deleted")


@grades_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@db_option
def grades_retry(ids: tuple[int, ...], database_url: str | None) -> None:
    """Put failed rows (all, or IDS) back in the queue."""
    from ..grades import retry_failed

    n = retry_failed(open_store(database_url), list(ids) or None)
    click.echo(f"{n} failed grade(s) requeued")
