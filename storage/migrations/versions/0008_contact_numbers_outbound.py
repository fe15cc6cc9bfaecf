"""Contacts with several numbers and custom attributes, outbound interactions, opt-outs.

Every existing contact's number becomes its first row in contact_numbers, so inbound texts
keep finding the same contacts.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_at = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("attributes", sa.JSON(), nullable=False,
                                   server_default="{}"))
    with op.batch_alter_table("interactions") as batch:
        batch.add_column(sa.Column("direction", sa.String(8), nullable=False,
                                   server_default="inbound"))
        batch.add_column(sa.Column("customer_number", sa.String(32), nullable=True))
    op.execute("UPDATE interactions SET customer_number = (SELECT phone FROM contacts "
               "WHERE contacts.id = interactions.contact_id)")
    op.create_table(
        "contact_numbers",
        sa.Column("id", _id, primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("contact_id", _id, sa.ForeignKey("contacts.id"), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("created_at", _at, nullable=False),
        sa.UniqueConstraint("team_id", "phone", name="uq_contact_numbers_team_phone"),
    )
    op.create_index("ix_contact_numbers_contact", "contact_numbers", ["contact_id"])
    op.execute("INSERT INTO contact_numbers (team_id, contact_id, phone, created_at) "
               "SELECT team_id, id, phone, created_at FROM contacts")
    op.create_table(
        "opt_outs",
        sa.Column("id", _id, primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("phone", sa.String(64), nullable=False),
        sa.Column("business_number", sa.String(32), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("at", _at, nullable=False),
        sa.UniqueConstraint("team_id", "phone", "business_number", name="uq_opt_outs"),
    )


def downgrade() -> None:
    op.drop_table("opt_outs")
    op.drop_index("ix_contact_numbers_contact", table_name="contact_numbers")
    op.drop_table("contact_numbers")
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("customer_number")
        batch.drop_column("direction")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("attributes")
