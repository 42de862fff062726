"""partner kinds for outreach: school, religious organisation, local government, community

Revision ID: a7c3e1f0b2d4
Revises: 9c1d2e3f4a5b
Create Date: 2026-12-06 05:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7c3e1f0b2d4'
down_revision = '9c1d2e3f4a5b'
branch_labels = None
depends_on = None

OLD = "kind IN ('training_centre', 'university', 'vocational_centre', 'company', 'other')"
NEW = (
    "kind IN ('training_centre', 'university', 'vocational_centre', 'company', 'school',"
    " 'religious_organisation', 'local_government', 'community', 'other')"
)


def upgrade():
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_partners_kind'), type_='check')
        batch_op.create_check_constraint('kind', NEW)


def downgrade():
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_partners_kind'), type_='check')
        batch_op.create_check_constraint('kind', OLD)
