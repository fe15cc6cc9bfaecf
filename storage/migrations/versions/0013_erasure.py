"""Contact erasure: opt-outs that outlive the number, and the erasures with their steps.

opt_outs.number_hash: HMAC-SHA256 of the E.164 number under the workspace's own key
(privacy_keys), set when the contact is erased; the plain number is then cleared (phone may
be NULL), yet every send check still matches the hash.
erasures / erasure_steps: one erasure, and each deletion it asked of Slack or the provider,
with how it ended, for the requester's report.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("opt_outs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number_hash", sa.String(length=64), nullable=True))
        batch_op.alter_column("phone", existing_type=sa.String(length=64), nullable=True)
    op.create_index("ix_opt_outs_team_hash", "opt_outs",
                    ["team_id", "number_hash", "business_number"])
    op.create_table(
        "privacy_keys",
        sa.Column("id", _ID, nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", name="uq_privacy_keys_team"),
    )
    op.create_table(
        "erasures",
        sa.Column("id", _ID, nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("requested_by", sa.String(length=32), nullable=True),
        sa.Column("contact_id", sa.BigInteger(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_erasures_team", "erasures", ["team_id", "id"])
    op.create_table(
        "erasure_steps",
        sa.Column("id", _ID, nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("erasure_id", _ID, sa.ForeignKey("erasures.id"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("target", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_erasure_steps_erasure", "erasure_steps", ["erasure_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_erasure_steps_erasure", table_name="erasure_steps")
    op.drop_table("erasure_steps")
    op.drop_index("ix_erasures_team", table_name="erasures")
    op.drop_table("erasures")
    op.drop_table("privacy_keys")
    op.drop_index("ix_opt_outs_team_hash", table_name="opt_outs")
    op.execute("DELETE FROM opt_outs WHERE phone IS NULL")
    with op.batch_alter_table("opt_outs", schema=None) as batch_op:
        batch_op.alter_column("phone", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("number_hash")
