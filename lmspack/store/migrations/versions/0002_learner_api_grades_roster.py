"""Learner API, grade sender and roster: answers.quiz_try (retakes keep history),
grade_outbox.claimed_by/claimed_until (a sender's lease), an index to find an attempt's
last grade, and roster_members (NRPS). Additive only.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quiz_try", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("grade_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_grade_outbox_attempt", ["attempt_id"], unique=False)

    op.create_table(
        "roster_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.Integer(), nullable=False),
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("given_name", sa.String(length=200), nullable=True),
        sa.Column("family_name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column(
            "roles", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["context_id"],
            ["contexts.id"],
            name=op.f("fk_roster_members_context_id_contexts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["platforms.id"],
            name=op.f("fk_roster_members_platform_id_platforms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_members")),
        sa.UniqueConstraint("context_id", "sub", name=op.f("uq_roster_members_context_id")),
    )


def downgrade() -> None:
    op.drop_table("roster_members")
    with op.batch_alter_table("grade_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_grade_outbox_attempt")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_column("quiz_try")
