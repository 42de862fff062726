"""Outbox messages remember the request (or job) that wrote them

The delivery's log lines carry that id, so that one id follows a registration from its request
to the message reaching the person.

Revision ID: 3f6b8d2e1a7c
Revises: 8c2c979a86d8
Create Date: 2026-12-06 13:45:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "3f6b8d2e1a7c"
down_revision = "8c2c979a86d8"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_column("request_id")
