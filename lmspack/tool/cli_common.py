"""What the tool's command modules share: the --database-url option and opening the store."""

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
