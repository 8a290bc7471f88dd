"""What the tool's command modules share: the --database-url, --context and --platform
options, opening the store and finding the context a command names."""

from __future__ import annotations

import click

db_option = click.option(
    "--database-url",
    envvar="DATABASE_URL",
    default=None,
    help="Database URL (default: $DATABASE_URL, else sqlite:///instance/lmspack.sqlite).",
)


def open_store(url: str | None, *, migrated: bool = True):
    """The store at `url`; a click error naming `lmspack db upgrade` if it is not migrated."""
    from ..store import NotMigrated, Store

    store = Store.from_url(url)
    if migrated:
        try:
            store.check_migrated()
        except NotMigrated as exc:
            raise click.ClickException(str(exc)) from exc
    return store


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
