"""jobs.outcome_unknown: an earlier run of the job may have done its calls unrecorded.

Set when a job is claimed again after its process died mid-run or its call got no answer;
kept until the job is done, so a run that is put back before it could look (paced, rate
limited) still looks next time. See bot/worker/posted_once.py.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("outcome_unknown", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("outcome_unknown")
