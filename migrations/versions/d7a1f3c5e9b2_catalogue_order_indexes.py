"""Catalogue order indexes: (starts_on, id), alone and after the type or the partner

The catalogue pages by position (newest start first, the id breaking ties): these indexes serve
that order, so a page reads 21 index entries whatever the number of courses. They replace the
single-column indexes on starts_on, type_key and partner_id (the composite ones serve those
lookups too).

Revision ID: d7a1f3c5e9b2
Revises: c4a11e1s0001
Create Date: 2026-12-06 07:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "d7a1f3c5e9b2"
down_revision = "c4a11e1s0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_courses_starts_on_id", "courses", ["starts_on", "id"])
    op.create_index("ix_courses_type_starts_on_id", "courses", ["type_key", "starts_on", "id"])
    op.create_index(
        "ix_courses_partner_starts_on_id", "courses", ["partner_id", "starts_on", "id"]
    )
    op.drop_index("ix_courses_starts_on", table_name="courses")
    op.drop_index("ix_courses_type_key", table_name="courses")
    op.drop_index("ix_courses_partner_id", table_name="courses")


def downgrade():
    op.create_index("ix_courses_partner_id", "courses", ["partner_id"])
    op.create_index("ix_courses_type_key", "courses", ["type_key"])
    op.create_index("ix_courses_starts_on", "courses", ["starts_on"])
    op.drop_index("ix_courses_partner_starts_on_id", table_name="courses")
    op.drop_index("ix_courses_type_starts_on_id", table_name="courses")
    op.drop_index("ix_courses_starts_on_id", table_name="courses")
