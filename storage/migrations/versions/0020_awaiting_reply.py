"""interactions.awaiting_reply: the customer wrote after the agent's last reply (or Done).

Page mode's close after a reply, and the close a mandatory disposition code brings, happen
only while it is false (a conditional update), so a customer's text that arrives while the
interaction is closing keeps it open instead of being closed away unanswered. Existing rows
start false: they close as they did.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite takes it with its default): a batch would reflect the table
    # and its neighbours, whose expression index SQLAlchemy warns it cannot reflect.
    op.add_column("interactions", sa.Column("awaiting_reply", sa.Boolean(), nullable=False,
                                            server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("awaiting_reply")
