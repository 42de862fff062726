"""privacy consent and anonymisation

Revision ID: 0ad3c8f880ba
Revises: c433c980bf3c
Create Date: 2026-11-27 22:46:03.073075

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0ad3c8f880ba'
down_revision = 'c433c980bf3c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('consent_version', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
        batch_op.drop_column('consent_version')
        batch_op.drop_column('consent_at')

