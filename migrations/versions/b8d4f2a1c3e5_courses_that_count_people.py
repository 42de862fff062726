"""courses that count people: no capacity or registration window; people reached per session

Revision ID: b8d4f2a1c3e5
Revises: a7c3e1f0b2d4
Create Date: 2026-12-06 05:40:00

A course of a type that does not enrol (an outreach event) has no seats and no registration
window. Trainers and staff record how many people a session of such a course reached.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d4f2a1c3e5'
down_revision = 'a7c3e1f0b2d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.alter_column('capacity', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('registration_opens_at', existing_type=sa.DateTime(), nullable=True)
        batch_op.alter_column('registration_closes_at', existing_type=sa.DateTime(), nullable=True)
    with op.batch_alter_table('course_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('people_reached', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('people_reached', 'people_reached IS NULL OR people_reached >= 0')


def downgrade():
    with op.batch_alter_table('course_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_course_sessions_people_reached'), type_='check')
        batch_op.drop_column('people_reached')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.alter_column('registration_closes_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.alter_column('registration_opens_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.alter_column('capacity', existing_type=sa.Integer(), nullable=False)
