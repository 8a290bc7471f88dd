"""Rate-limit counters shared by all workers and hosts (the public verification page counts
look-ups per client address here, not in each process's memory). Additive only.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("window_ends", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limits")),
    )
    op.create_index(op.f("ix_rate_limits_window_ends"), "rate_limits", ["window_ends"])


def downgrade() -> None:
    op.drop_index(op.f("ix_rate_limits_window_ends"), table_name="rate_limits")
    op.drop_table("rate_limits")
