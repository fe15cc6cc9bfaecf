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
        sa.Column("phone_suffix", sa.String(4), nullable=False),
        sa.Column("created_at", _at, nullable=False),
        sa.UniqueConstraint("team_id", "phone", name="uq_contact_numbers_team_phone"),
    )
    op.create_index("ix_contact_numbers_contact", "contact_numbers", ["contact_id"])
    op.create_index("ix_contact_numbers_suffix", "contact_numbers", ["team_id", "phone_suffix"])
    op.execute("INSERT INTO contact_numbers (team_id, contact_id, phone, phone_suffix, "
               "created_at) SELECT team_id, id, phone, substr(phone, length(phone) - 3), "
               "created_at FROM contacts")
    _trigram_indexes()
    _sqlite_full_text()
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


def _trigram_indexes() -> None:
    """On PostgreSQL, names and e-mails are searched by any part ("%jane%"): trigram indexes
    make that an index lookup instead of a scan. pg_trgm ships with PostgreSQL and is a
    trusted extension; where it cannot be created the search still works, by scanning."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        return
    op.execute("CREATE INDEX ix_contacts_name_trgm ON contacts "
               "USING gin (lower(name) gin_trgm_ops)")
    op.execute("CREATE INDEX ix_contacts_email_trgm ON contacts "
               "USING gin (lower(email) gin_trgm_ops)")


_FTS_TRIGGERS = {
    "contacts_fts_ai": "AFTER INSERT ON contacts BEGIN INSERT INTO contacts_fts(rowid, name, "
                       "email) VALUES (new.id, new.name, new.email); END",
    "contacts_fts_ad": "AFTER DELETE ON contacts BEGIN INSERT INTO contacts_fts(contacts_fts, "
                       "rowid, name, email) VALUES ('delete', old.id, old.name, old.email); END",
    "contacts_fts_au": "AFTER UPDATE OF name, email ON contacts BEGIN "
                       "INSERT INTO contacts_fts(contacts_fts, rowid, name, email) "
                       "VALUES ('delete', old.id, old.name, old.email); "
                       "INSERT INTO contacts_fts(rowid, name, email) "
                       "VALUES (new.id, new.name, new.email); END",
}


def _sqlite_full_text() -> None:
    """SQLite's counterpart of the trigram indexes: an FTS5 trigram index over names and
    e-mails, kept in step by triggers. A later migration that rebuilds the contacts table
    (batch mode) must create the triggers again."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text(
                "CREATE VIRTUAL TABLE contacts_fts USING fts5(name, email, "
                "content='contacts', content_rowid='id', tokenize='trigram')"))
    except sa.exc.DBAPIError:  # an SQLite built without FTS5: search scans instead
        return
    for name, body in _FTS_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute("INSERT INTO contacts_fts(contacts_fts) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in _FTS_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS contacts_fts")
    op.execute("DROP INDEX IF EXISTS ix_contacts_email_trgm")
    op.execute("DROP INDEX IF EXISTS ix_contacts_name_trgm")
    op.drop_table("opt_outs")
    op.drop_index("ix_contact_numbers_contact", table_name="contact_numbers")
    op.drop_table("contact_numbers")
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("customer_number")
        batch.drop_column("direction")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("attributes")
