"""Answers: the order the question's options were shown in (`answers.shown`).

Options are shuffled for every try at the quiz; the order of each answered question is kept
with the answer, so a report can show what the learner saw. Older answers keep null: they
were shown in the order the course wrote them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.add_column(
            sa.Column("shown", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.drop_column("shown")
