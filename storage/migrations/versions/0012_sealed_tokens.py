"""Room for sealed tokens: slack_sdk's token columns become TEXT.

A Fernet ciphertext (bot/slack/installations.py) is about 1.4 times its token plus 73
characters, so a rotating token (about 150 characters) no longer fits slack_sdk's
VARCHAR(200). Existing plaintext tokens are sealed by the app at its next start, with the
key from SMSDESK_ENCRYPTION_KEY (a migration has no key).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS = {
    "slack_bots": ("bot_token", "bot_refresh_token"),
    "slack_installations": ("bot_token", "bot_refresh_token", "user_token",
                            "user_refresh_token"),
}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.Text(), existing_type=sa.String(200),
                                   existing_nullable=True)


def downgrade() -> None:
    # Ciphertexts longer than 200 characters would not fit back: refuse rather than cut them.
    for table, columns in COLUMNS.items():
        for column in columns:
            longest = op.get_bind().execute(
                sa.text(f"SELECT max(length({column})) FROM {table}")).scalar()
            if longest and longest > 200:
                raise RuntimeError(f"{table}.{column} holds values longer than 200 "
                                   "characters (sealed tokens): delete the installations "
                                   "first")
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.String(200), existing_type=sa.Text(),
                                   existing_nullable=True)
