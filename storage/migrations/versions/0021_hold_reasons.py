"""hold_reasons: why a held reply waits for its agent's decision (spelling, and others).

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hold_reasons", sa.JSON(), nullable=True))
    # Replies held before this version were all held by the spelling check.
    op.execute("UPDATE messages SET hold_reasons = '[\"spelling\"]' "
               "WHERE delivery_state = 'held'")


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("hold_reasons")
