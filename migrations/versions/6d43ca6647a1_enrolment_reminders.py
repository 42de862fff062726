"""enrolment reminders

Revision ID: 6d43ca6647a1
Revises: b28a23dbb209
Create Date: 2026-11-27 22:00:53.253411

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6d43ca6647a1'
down_revision = 'b28a23dbb209'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')

