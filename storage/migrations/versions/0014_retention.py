"""Retention: interactions whose transcript and media were purged keep their row, marked.

interactions.purged_at: when bot/desk/data_protection/retention.py removed the interaction's message texts,
notes and media after `[privacy] retention_days`; NULL while they are kept.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("interactions") as batch:
        batch.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("purged_at")
