"""The catalogue's version: one row bumped at the commit of any change the public catalogue shows

Each web worker keeps the anonymous catalogue page it rendered, per query and language, with the
version it read first; the page is served again only while the version is the same (see
lms/catalog/pagecache.py).

Revision ID: 8c2c979a86d8
Revises: 9c3e7b1a2f48
Create Date: 2026-12-06 11:00:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "8c2c979a86d8"
down_revision = "9c3e7b1a2f48"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "catalog_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_version")),
    )
    op.bulk_insert(table, [{"id": 1, "version": 1}])


def downgrade():
    op.drop_table("catalog_version")
