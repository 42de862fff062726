"""outbox attempts: when the channel's answer was recorded (an attempt without it was cut off)

Revision ID: 9c3e7b1a2f48
Revises: 4a1b2c3d5e6f
Create Date: 2026-12-06 10:30:00.000000

"""

from alembic import op
import sqlalchemy as sa

import lms.core.types


# revision identifiers, used by Alembic.
revision = "9c3e7b1a2f48"
down_revision = "4a1b2c3d5e6f"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("finished_at", lms.core.types.UTCDateTime(), nullable=True))
    # every attempt before this one had its answer recorded in the same commit
    op.execute("UPDATE outbox_attempts SET finished_at = attempted_at")


def downgrade():
    with op.batch_alter_table("outbox_attempts", schema=None) as batch_op:
        batch_op.drop_column("finished_at")
