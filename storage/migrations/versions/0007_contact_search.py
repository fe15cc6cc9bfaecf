"""Contact search and history: indexes on lower(name) and e-mail per team, and on a
contact's interactions.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_contacts_team_name_lower", "contacts",
                    ["team_id", sa.text("lower(name)")])
    op.create_index("ix_contacts_team_email", "contacts", ["team_id", "email"])
    op.create_index("ix_interactions_contact", "interactions",
                    ["team_id", "contact_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_interactions_contact", table_name="interactions")
    op.drop_index("ix_contacts_team_email", table_name="contacts")
    op.drop_index("ix_contacts_team_name_lower", table_name="contacts")
