"""The Slack delivery scheduler: job priorities and coalescing keys.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False,
                                   server_default="1"))
        batch.add_column(sa.Column("coalesce_key", sa.String(96), nullable=True))
    op.create_index("ix_jobs_coalesce", "jobs", ["coalesce_key", "state"])


def downgrade() -> None:
    op.drop_index("ix_jobs_coalesce", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("coalesce_key")
        batch.drop_column("priority")
