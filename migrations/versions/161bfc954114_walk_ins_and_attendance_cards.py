"""walk-ins and attendance cards

Revision ID: 161bfc954114
Revises: c7a9e2d41b60
Create Date: 2026-12-06 07:10:50

A trainer adds people who walk in to a session: their enrolment carries the origin ``walk_in``,
the walk-in itself is recorded (with the client's batch id, so that a resend adds nobody twice),
and a walk-in known by phone only has no e-mail address yet. Every trainee gets an attendance
card with a random short code (trainees made before get theirs here); a card scan and a walk-in
are two more sources of a mark.
"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '161bfc954114'
down_revision = "c7a9e2d41b60"
branch_labels = None
depends_on = None

SOURCES_OLD = "source IN ('trainer', 'checkin', 'offline', 'import', 'excuse')"
SOURCES_NEW = "source IN ('trainer', 'checkin', 'offline', 'import', 'walk_in', 'scan', 'excuse')"
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def upgrade():
    op.create_table('attendance_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_attendance_cards_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_cards')),
    sa.UniqueConstraint('code', name=op.f('uq_attendance_cards_code'))
    )
    with op.batch_alter_table('attendance_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_cards_user_id'), ['user_id'], unique=False)

    op.create_table('walk_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.String(length=64), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('created_user', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_walk_ins_added_by_id_users')),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'], name=op.f('fk_walk_ins_enrollment_id_enrollments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['course_sessions.id'], name=op.f('fk_walk_ins_session_id_course_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_walk_ins_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_walk_ins')),
    sa.UniqueConstraint('batch_id', name=op.f('uq_walk_ins_batch_id'))
    )
    with op.batch_alter_table('walk_ins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_walk_ins_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_walk_ins_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=16), server_default='registration', nullable=False))
        batch_op.create_check_constraint('origin', "origin IN ('registration', 'walk_in')")

    # users.email became nullable with the message channels (c4a11e1s0001)
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attendance_source'), type_='check')
        batch_op.create_check_constraint('source', SOURCES_NEW)

    # a card for every trainee there is
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('role', sa.String))
    cards = sa.table(
        'attendance_cards',
        sa.column('user_id', sa.Integer),
        sa.column('code', sa.String),
        sa.column('created_at', sa.DateTime),
    )
    bind = op.get_bind()
    ids = bind.execute(sa.select(users.c.id).where(users.c.role == 'trainee')).scalars().all()
    now = bind.execute(sa.select(sa.func.current_timestamp())).scalar()
    used = set()
    rows = []
    for user_id in ids:
        code = ''.join(secrets.choice(ALPHABET) for _ in range(8))
        while code in used:
            code = ''.join(secrets.choice(ALPHABET) for _ in range(8))
        used.add(code)
        rows.append({'user_id': user_id, 'code': code, 'created_at': now})
    if rows:
        op.bulk_insert(cards, rows)


def downgrade():
    op.execute("DELETE FROM attendance WHERE source IN ('walk_in', 'scan')")
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attendance_source'), type_='check')
        batch_op.create_check_constraint('source', SOURCES_OLD)

    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_enrollments_origin'), type_='check')
        batch_op.drop_column('origin')

    with op.batch_alter_table('walk_ins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_walk_ins_user_id'))
        batch_op.drop_index(batch_op.f('ix_walk_ins_session_id'))

    op.drop_table('walk_ins')
    with op.batch_alter_table('attendance_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_cards_user_id'))

    op.drop_table('attendance_cards')
