"""Agent tools: transfers, dispositions, contact e-mail, the Standard Response Library.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "standard_responses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "name", name="uq_responses_team_name"),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))

    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disposition", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("disposition_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("disposition_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("done_requested_by", sa.String(length=32), nullable=True))

    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="route")
        )
        batch_op.add_column(sa.Column("from_user_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_column("reason")
        batch_op.drop_column("from_user_id")
        batch_op.drop_column("kind")

    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_column("done_requested_by")
        batch_op.drop_column("disposition_at")
        batch_op.drop_column("disposition_by")
        batch_op.drop_column("disposition")

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("email")

    op.drop_table("standard_responses")
