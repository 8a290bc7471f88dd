"""Trustworthy LTI: logins (state + nonce + platform, one row per login in flight) replace the
bare nonces; registration invites; how each platform was added.

Existing platforms get `added_via = "unrecorded"`: they were added before lmspack recorded
how, when dynamic registration was open to anyone (`lmspack platform list` says so). Nonces
in flight are dropped: a login started before the upgrade has to be started again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC_DT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "logins",
        sa.Column("state", sa.String(length=255), nullable=False),
        sa.Column("nonce", sa.String(length=255), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTC_DT, nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["platforms.id"],
            name=op.f("fk_logins_platform_id_platforms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_logins")),
    )
    op.create_index(op.f("ix_logins_expires_at"), "logins", ["expires_at"])
    op.drop_index(op.f("ix_nonces_expires_at"), table_name="nonces")
    op.drop_table("nonces")

    with op.batch_alter_table("platforms") as batch:
        batch.add_column(
            sa.Column(
                "added_via", sa.String(length=20), nullable=False, server_default="unrecorded"
            )
        )
        batch.add_column(sa.Column("invite_name", sa.String(length=200), nullable=True))

    op.create_table(
        "registration_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.Column("expires_at", UTC_DT, nullable=False),
        sa.Column("used_at", UTC_DT, nullable=True),
        sa.Column("platform_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["platforms.id"],
            name=op.f("fk_registration_invites_platform_id_platforms"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_registration_invites_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("registration_invites")
    with op.batch_alter_table("platforms") as batch:
        batch.drop_column("invite_name")
        batch.drop_column("added_via")
    op.create_table(
        "nonces",
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("expires_at", UTC_DT, nullable=False),
        sa.PrimaryKeyConstraint("value", name=op.f("pk_nonces")),
    )
    op.create_index(op.f("ix_nonces_expires_at"), "nonces", ["expires_at"])
    op.drop_index(op.f("ix_logins_expires_at"), table_name="logins")
    op.drop_table("logins")
