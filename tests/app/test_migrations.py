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


def test_upgrade_from_the_first_release_keeps_data(tmp_path):
    """`flask db upgrade` on a database of the previous release (with data) works."""
    import flask_migrate
    from sqlalchemy import text

    from config import TestingConfig
    from lms import create_app
    from lms.extensions import db as _db

    old = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/old.sqlite"})
    with old.app_context():
        flask_migrate.upgrade(revision="b28a23dbb209")
        with _db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (email, password_hash, name, role, active, session_version,"
                    " created_at) VALUES ('lama@example.org', 'x', 'Lama', 'staff', 1, 1,"
                    " '2026-01-01 00:00:00')"
                )
            )
        flask_migrate.upgrade()
        with _db.engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM users")).scalar() == "Lama"
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        _db.engine.dispose()
    assert head != "b28a23dbb209"
