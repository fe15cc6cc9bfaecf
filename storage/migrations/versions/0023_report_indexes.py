"""Indexes for reports: a period's interactions by when they were opened, and its texts by
when they were sent or received, per workspace, without reading a year of rows.

Revision ID: 0023
Revises: 0022
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_interactions_team_created", "interactions", ["team_id", "created_at"])
    op.create_index("ix_messages_team_created", "messages", ["team_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_team_created", table_name="messages")
    op.drop_index("ix_interactions_team_created", table_name="interactions")
