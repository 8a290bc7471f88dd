"""Alembic, driven from code: `lmspack db upgrade` and the server's start-up check.

The migrations ship inside the package (lmspack/store/migrations), so an installed wheel
can upgrade its database without an alembic.ini next to it.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class NotMigrated(RuntimeError):
    """The database schema is missing or older than this version of lmspack."""


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Back to `revision` ("base": no tables), e.g. to run an older lmspack again."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def check_migrated(engine: Engine) -> None:
    """Raise NotMigrated with a message that says what to run."""
    try:
        current = current_revision(engine)
    except Exception as exc:  # unreachable database: say so plainly
        raise NotMigrated(f"cannot open the database {engine.url!r}: {exc}") from exc
    head = head_revision()
    if current != head:
        where = engine.url.render_as_string(hide_password=True)
        state = "has no lmspack tables" if current is None else f"is at revision {current}"
        raise NotMigrated(
            f"The database {where} {state}; this lmspack needs revision {head}. "
            "Run `lmspack db upgrade` first (with the same DATABASE_URL)."
        )
