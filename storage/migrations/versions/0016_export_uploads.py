"""export_uploads: the contact export files the app uploaded to Slack DMs.

Each row is one file (its Slack id) holding one contact's data; erasing the contact deletes
the file through an erasure step (files.delete) and the row with the rest.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "export_uploads",
        sa.Column("id", _ID, nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("contact_id", sa.BigInteger(), nullable=False),
        sa.Column("requested_by", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("file_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_export_uploads_contact", "export_uploads", ["team_id", "contact_id"])


def downgrade() -> None:
    op.drop_index("ix_export_uploads_contact", table_name="export_uploads")
    op.drop_table("export_uploads")
