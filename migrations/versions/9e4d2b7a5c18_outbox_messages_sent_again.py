"""Outbox messages can be sent again by staff after they failed on every channel

``resent_at``: when staff last sent the message again; the attempts before it no longer count
(every channel that reaches the person is tried afresh, at the address the account has now), and
it is part of the idempotency key, so that a gateway that refused the earlier copy takes this one.

Revision ID: 9e4d2b7a5c18
Revises: 3f6b8d2e1a7c
Create Date: 2026-12-07 06:50:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "9e4d2b7a5c18"
down_revision = "3f6b8d2e1a7c"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("resent_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_column("resent_at")
