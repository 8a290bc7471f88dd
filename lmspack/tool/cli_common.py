"""What the tool's command modules share: the --database-url, --context and --platform
options, opening the store, reading the configuration and finding the context a command
names, each failing with one clear line instead of a traceback."""

from __future__ import annotations

import click

db_option = click.option(
    "--database-url",
    envvar="DATABASE_URL",
    default=None,
    help="Database URL (default: $DATABASE_URL, else sqlite:///instance/lmspack.sqlite).",
)


def open_store(url: str | None, *, migrated: bool = True):
    """The store at `url`, connected once so that a database that is missing or unreachable
    is reported here; a click error naming `lmspack db upgrade` if it is not migrated."""
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from ..store import NotMigrated, Store

    try:
        store = Store.from_url(url)
    except ArgumentError as exc:
        raise click.ClickException(
            f"the database URL is not valid ({exc}); it looks like sqlite:///path/to/file or "
            "postgresql+psycopg://user@host:5432/dbname"
        ) from None
    try:
        with store.engine.connect():
            pass
    except DBAPIError as exc:
        store.dispose()
        raise click.ClickException(cannot_connect(store.engine.url, exc)) from None
    if migrated:
        try:
            store.check_migrated()
        except NotMigrated as exc:
            raise click.ClickException(str(exc)) from exc
    return store


def cannot_connect(url, exc: Exception) -> str:
    """`cannot open the database <url, no password>: <the server's reason>`, with what to do."""
    where = url.render_as_string(hide_password=True)
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    # psycopg: 'connection failed: connection to server at "h", port p failed: <why>'
    reason = reason.rsplit("FATAL:", 1)[-1].rsplit(" failed: ", 1)[-1].strip()
    if url.get_backend_name() == "postgresql" and "does not exist" in reason:
        hint = f"create it first (e.g. `createdb {url.database}`) or fix --database-url"
    elif url.get_backend_name() == "sqlite":
        hint = "check that its folder exists and can be written"
    else:
        hint = "check --database-url / DATABASE_URL and that the server is running"
    return f"cannot open the database {where}: {reason}; {hint}"


def load_config():
    """ToolConfig.load(), with a bad LMSPACK_CONFIG file or setting reported in one line."""
    import tomllib

    from .config import ToolConfig

    try:
        return ToolConfig.load()
    except OSError as exc:
        raise click.ClickException(
            f"LMSPACK_CONFIG: cannot read {exc.filename}: {exc.strerror}"
        ) from None
    except (tomllib.TOMLDecodeError, ValueError, TypeError) as exc:
        raise click.ClickException(f"configuration: {exc}") from None


platform_option = click.option(
    "--platform",
    "issuer",
    default=None,
    help="The platform's issuer (if the context id is shared).",
)
context_option = click.option(
    "--context", "context_id", required=True, help="The context id the platform sends."
)


def find_context(session, context_id: str, issuer: str | None):
    """The (context, platform) a command names by the platform's context id."""
    from ..reports.data import contexts_by_lti_id

    found = contexts_by_lti_id(session, context_id, issuer)
    if not found:
        raise click.ClickException(
            f"No context {context_id!r}" + (f" on {issuer}" if issuer else "")
        )
    if len(found) > 1:
        issuers = ", ".join(sorted({p.issuer for _c, p in found}))
        raise click.ClickException(
            f"Context {context_id!r} exists on several platforms ({issuers}): add --platform."
        )
    return found[0]


def served_course(course_dir: str | None = None):
    """The course a command works on: `course_dir`, else the one the tool serves
    (LMSPACK_COURSE, default course_src)."""
    from pathlib import Path

    from ..course import load_course

    return load_course(Path(course_dir or load_config().course))
