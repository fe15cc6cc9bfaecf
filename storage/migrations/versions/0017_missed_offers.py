"""agents.missed_offers: offers an agent let run out since they last answered one.

desk.missed_offers_not_ready sets an agent Not Ready once it reaches that many; Accept and
Reject start it again.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("missed_offers", sa.Integer(), nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("missed_offers")
