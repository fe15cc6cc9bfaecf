"""Queues, supervisor cards, user-group members.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "group_members",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("group_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "group_id", "user_id", name="uq_group_members"),
    )
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("queue", sa.String(length=64), nullable=False, server_default="SMS")
        )
        batch_op.add_column(sa.Column("supervisor_channel", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("supervisor_ts", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("everyone_declined_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_column("everyone_declined_at")
        batch_op.drop_column("supervisor_ts")
        batch_op.drop_column("supervisor_channel")
        batch_op.drop_column("queue")

    op.drop_table("group_members")
