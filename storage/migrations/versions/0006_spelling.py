"""Spelling check: agent preferences, dictionaries, ignored words, held replies.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dictionary_words",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column("word", sa.String(length=100), nullable=False),
        sa.Column("added_by", sa.String(length=32), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "owner", "word", name="uq_dictionary_word"),
    )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spelling_enabled", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("spelling_language", sa.String(length=8), nullable=True))

    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("spelling_ignored", sa.JSON(), nullable=False, server_default="{}")
        )

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spelling_flags", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("spelling_flags")

    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_column("spelling_ignored")

    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("spelling_language")
        batch_op.drop_column("spelling_enabled")

    op.drop_table("dictionary_words")
