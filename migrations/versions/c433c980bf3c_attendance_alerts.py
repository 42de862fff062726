"""attendance alerts

Revision ID: c433c980bf3c
Revises: 6d43ca6647a1
Create Date: 2026-11-27 22:26:17.660483

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c433c980bf3c'
down_revision = '6d43ca6647a1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attendance_alert_at', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_column('attendance_alert_at')

