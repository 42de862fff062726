"""certificates that last: validity per course, expiry, reminders, public revocation category

Revision ID: c7e2a9d41f06
Revises: d7a1f3c5e9b2
Create Date: 2026-12-06 07:30:00

A course may set how many months its certificates stay valid; a certificate carries the day it
expires and when its holder was reminded. A revocation gets a public category (the staff's note
stays private); revocations made before this have none, so they become ``withdrawn``, or
``superseded`` when a corrected certificate replaced them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7e2a9d41f06'
down_revision = "d7a1f3c5e9b2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_validity_months', sa.Integer(), nullable=True))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revocation_category', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('expires_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('expiry_reminded_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_certificates_expires_on'), ['expires_on'], unique=False)
        batch_op.create_check_constraint(
            'revocation_category',
            "revocation_category IS NULL OR revocation_category IN "
            "('error', 'fraud', 'withdrawn', 'superseded')",
        )
    op.execute(
        "UPDATE certificates SET revocation_category = 'superseded' "
        "WHERE revoked_at IS NOT NULL AND replaced_by_id IS NOT NULL"
    )
    op.execute(
        "UPDATE certificates SET revocation_category = 'withdrawn' "
        "WHERE revoked_at IS NOT NULL AND revocation_category IS NULL"
    )


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_certificates_revocation_category'), type_='check')
        batch_op.drop_index(batch_op.f('ix_certificates_expires_on'))
        batch_op.drop_column('expiry_reminded_at')
        batch_op.drop_column('expires_on')
        batch_op.drop_column('revocation_category')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('certificate_validity_months')
