"""When each tool key starts signing (publish-before-sign rotation). Additive only; existing
keys get NULL, which means "from when it was made".

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tool_keys") as batch:
        batch.add_column(sa.Column("signs_from", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tool_keys") as batch:
        batch.drop_column("signs_from")
