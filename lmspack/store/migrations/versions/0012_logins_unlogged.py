"""PostgreSQL: the logins table is UNLOGGED (issue 15). A login in flight (state, nonce,
platform) lives ten minutes and is worthless after a crash, which is when PostgreSQL empties
an unlogged table; its writes skip the WAL, and a transaction that wrote only to it commits
without waiting for a WAL flush, which the login got before by a `SET LOCAL
synchronous_commit = off` round trip of its own. Not replicated to a standby either: after a
failover the learners with a login in flight open the activity again. SQLite: nothing.

Revision ID: 0012
Revises: 0011_live_sessions
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0012_logins_unlogged"
down_revision = "0011_live_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE logins SET UNLOGGED")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE logins SET LOGGED")
