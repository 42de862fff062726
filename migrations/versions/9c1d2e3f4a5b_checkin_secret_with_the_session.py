"""check-in secret made with the session

Revision ID: 9c1d2e3f4a5b
Revises: 345247be7f2b
Create Date: 2026-12-06 05:00:00

Showing a session's check-in code used to create its secret on first view (a GET that wrote).
Every session now gets its secret when it is made; sessions made before get theirs here.
"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c1d2e3f4a5b'
down_revision = '345247be7f2b'
branch_labels = None
depends_on = None


def upgrade():
    sessions = sa.table('course_sessions', sa.column('id', sa.Integer), sa.column('checkin_secret', sa.String))
    bind = op.get_bind()
    ids = bind.execute(sa.select(sessions.c.id).where(sessions.c.checkin_secret.is_(None))).scalars().all()
    for session_id in ids:
        bind.execute(
            sessions.update().where(sessions.c.id == session_id).values(checkin_secret=secrets.token_hex(20))
        )
    with op.batch_alter_table('course_sessions', schema=None) as batch_op:
        batch_op.alter_column('checkin_secret', existing_type=sa.String(length=64), nullable=False)


def downgrade():
    with op.batch_alter_table('course_sessions', schema=None) as batch_op:
        batch_op.alter_column('checkin_secret', existing_type=sa.String(length=64), nullable=True)
