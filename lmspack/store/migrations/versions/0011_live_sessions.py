"""Live sessions of a context and learners' bookings with a waiting list
(lmspack.store.live_sessions, rules in lmspack.sessions.booking). Additive only.

Revision ID: 0011_live_sessions
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_live_sessions"
down_revision = "0010"
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('booked', 'waiting')")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    stamp = sa.DateTime(timezone=True)
    op.create_table(
        "live_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", stamp, nullable=False),
        sa.Column("ends_at", stamp, nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("join_url", sa.String(length=1000), nullable=False),
        sa.Column("join_notes", sa.Text(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("created_by", sa.String(length=300), nullable=False),
        sa.Column("cancelled_at", stamp, nullable=True),
        sa.Column("cancelled_reason", sa.Text(), nullable=True),
        _fk("live_sessions", "platform_id", "platforms"),
        _fk("live_sessions", "context_id", "contexts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_sessions")),
    )
    op.create_index(
        "ix_live_sessions_context_start", "live_sessions", ["context_id", "starts_at"]
    )
    op.create_table(
        "session_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("queue_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("updated_at", stamp, nullable=False),
        sa.Column("promoted_at", stamp, nullable=True),
        sa.Column("notified_at", stamp, nullable=True),
        _fk("session_bookings", "platform_id", "platforms"),
        _fk("session_bookings", "context_id", "contexts"),
        _fk("session_bookings", "session_id", "live_sessions"),
        _fk("session_bookings", "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_bookings")),
    )
    op.create_index(
        "ix_session_bookings_session_status",
        "session_bookings",
        ["session_id", "status", "queue_seq"],
    )
    op.create_index(
        "uq_session_bookings_active",
        "session_bookings",
        ["context_id", "user_id"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )


def downgrade() -> None:
    op.drop_index("uq_session_bookings_active", table_name="session_bookings")
    op.drop_index("ix_session_bookings_session_status", table_name="session_bookings")
    op.drop_table("session_bookings")
    op.drop_index("ix_live_sessions_context_start", table_name="live_sessions")
    op.drop_table("live_sessions")
