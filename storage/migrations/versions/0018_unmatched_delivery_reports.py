"""unmatched_delivery_reports: delivery reports that came before their send was recorded.

Twilio's status callback can overtake its answer to the send request; the report is kept
here by the provider's message id for a few minutes and applied when the send is recorded.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "unmatched_delivery_reports",
        sa.Column("id", _ID, nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_sid", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.String(length=32), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_unmatched_delivery_reports_sid", "unmatched_delivery_reports",
                    ["provider", "provider_sid"])
    op.create_index("ix_unmatched_delivery_reports_received", "unmatched_delivery_reports",
                    ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_unmatched_delivery_reports_received",
                  table_name="unmatched_delivery_reports")
    op.drop_index("ix_unmatched_delivery_reports_sid", table_name="unmatched_delivery_reports")
    op.drop_table("unmatched_delivery_reports")
