"""The reports' database tests run on the tool tests' migrated databases (SQLite and
PostgreSQL, a fresh schema per session)."""

from tests.tool.conftest import database_url, store  # noqa: F401
