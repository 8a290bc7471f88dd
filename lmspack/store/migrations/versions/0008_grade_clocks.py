"""Grades: a clock per user and line item (`grade_clocks`), and `grade_outbox.conflicts`.

Moodle refuses (409) a score whose timestamp is not later, in whole seconds, than the last
one it accepted for that user and line item. Timestamps now come from `grade_clocks`
(max(now, last + 1) in whole seconds, one atomic upsert). Each clock starts after the latest
timestamp already queued for its user and line item, so the first score after the upgrade
is later than every earlier one. `conflicts` counts a row's 409s (it is re-sent with a newer
timestamp, a bounded number of times).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grade_clocks",
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("lineitem_url", sa.String(length=1000), nullable=False),
        sa.Column("user_sub", sa.String(length=255), nullable=False),
        sa.Column("last_second", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["platforms.id"],
            name=op.f("fk_grade_clocks_platform_id_platforms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "platform_id", "lineitem_url", "user_sub", name=op.f("pk_grade_clocks")
        ),
    )
    with op.batch_alter_table("grade_outbox") as batch:
        batch.add_column(
            sa.Column("conflicts", sa.Integer(), nullable=False, server_default="0")
        )
    bind = op.get_bind()
    outbox = sa.table(
        "grade_outbox",
        sa.column("platform_id", sa.Integer),
        sa.column("lineitem_url", sa.String),
        sa.column("user_sub", sa.String),
        sa.column("timestamp", sa.DateTime(timezone=True)),
    )
    latest = bind.execute(
        sa.select(
            outbox.c.platform_id,
            outbox.c.lineitem_url,
            outbox.c.user_sub,
            sa.func.max(outbox.c.timestamp),
        ).group_by(outbox.c.platform_id, outbox.c.lineitem_url, outbox.c.user_sub)
    ).all()
    clocks = sa.table(
        "grade_clocks",
        sa.column("platform_id", sa.Integer),
        sa.column("lineitem_url", sa.String),
        sa.column("user_sub", sa.String),
        sa.column("last_second", sa.BigInteger),
    )
    rows = []
    for platform_id, lineitem_url, user_sub, stamp in latest:
        if isinstance(stamp, str):
            stamp = datetime.fromisoformat(stamp)
        if stamp.tzinfo is None:  # SQLite keeps UTC without a zone
            stamp = stamp.replace(tzinfo=UTC)
        rows.append(
            {
                "platform_id": platform_id,
                "lineitem_url": lineitem_url,
                "user_sub": user_sub,
                "last_second": math.ceil(stamp.timestamp()),
            }
        )
    if rows:
        op.bulk_insert(clocks, rows)


def downgrade() -> None:
    with op.batch_alter_table("grade_outbox") as batch:
        batch.drop_column("conflicts")
    op.drop_table("grade_clocks")
