"""The migration of certificates that last: revocations made before it get a public category."""

import flask_migrate
from sqlalchemy import text

from config import TestingConfig
from lms import create_app
from lms.extensions import db as _db

BEFORE = "b8d4f2a1c3e5"
ROW = (
    "INSERT INTO certificates (id, enrollment_id, serial, code, issued_at, revoked_at,"
    " revoked_reason, replaced_by_id, claims, signature, key_id) VALUES"
    " (:id, :id, :serial, :code, '2026-01-05 03:00:00', :revoked_at, :reason, :replaced_by,"
    " '{}', 'x', 'k')"
)


def test_old_revocations_get_a_public_category(tmp_path):
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/old.db"})
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE)
        with _db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            rows = [
                (1, None, None, None),  # valid
                (2, "2026-02-01 03:00:00", "Nama salah", 3),  # replaced by a correction
                (3, None, None, None),  # the correction
                (4, "2026-03-01 03:00:00", "Ditarik", None),  # revoked
            ]
            for id_, revoked_at, reason, replaced_by in rows:
                conn.execute(
                    text(ROW),
                    {
                        "id": id_,
                        "serial": f"LPG/HSP/2026/{id_:05d}",
                        "code": f"CODE{id_:08d}",
                        "revoked_at": revoked_at,
                        "reason": reason,
                        "replaced_by": replaced_by,
                    },
                )
            conn.commit()
        flask_migrate.upgrade()
        with _db.engine.connect() as conn:
            found = dict(
                conn.execute(text("SELECT id, revocation_category FROM certificates")).all()
            )
            expires = conn.execute(text("SELECT expires_on FROM certificates")).scalars().all()
        flask_migrate.downgrade(revision=BEFORE)
        flask_migrate.upgrade()
        _db.engine.dispose()
    assert found == {1: None, 2: "superseded", 3: None, 4: "withdrawn"}
    assert expires == [None] * 4
