"""Multi-workspace installs: slack_sdk's installation and OAuth state tables.

The tables are slack_sdk's own (SQLAlchemyInstallationStore, SQLAlchemyOAuthStateStore),
built from its table definitions so the store reads exactly what it expects; created here
so every instance and `smsdesk db upgrade` agree on one schema history.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _tables() -> sa.MetaData:
    metadata = sa.MetaData()
    store = SQLAlchemyInstallationStore
    store.build_installations_table(metadata, store.default_installations_table_name)
    store.build_bots_table(metadata, store.default_bots_table_name)
    states = SQLAlchemyOAuthStateStore
    states.build_oauth_states_table(metadata, states.default_table_name)
    return metadata


def upgrade() -> None:
    _tables().create_all(bind=op.get_bind())


def downgrade() -> None:
    _tables().drop_all(bind=op.get_bind())
