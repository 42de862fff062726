"""Models and migrations agree, and the migrations run down and up again."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from lms.regions.models import Regency


def test_models_match_migrations(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_regencies_of_lampung_are_seeded_as_data(db):
    names = db.session.scalars(select(Regency.name)).all()
    assert len(names) == 15
    assert {"Lampung Timur", "Lampung Tengah", "Lampung Selatan", "Kota Bandar Lampung"} <= set(
        names
    )
