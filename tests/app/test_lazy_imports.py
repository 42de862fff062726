"""A web worker does not carry the libraries only some pages use (ReportLab, Pillow, segno,
cryptography, zxcvbn and its word lists, openpyxl, lxml, pygal, RQ, email-validator, Alembic and
Flask-Migrate): they are imported on first use. Nor, on PostgreSQL, SQLite's driver. These tests
keep the memory a worker saves (bench/README.md, "Worker memory") without measuring memory."""

import pytest

from tests.fixtures.scripts import run_script

#: the scripts build their own apps (on SQLite, and on an unreachable PostgreSQL), whatever the
#: backend of the test: run on one
pytestmark = pytest.mark.one_database

HEAVY = (
    "reportlab",
    "PIL",
    "segno",
    "cryptography",
    "zxcvbn",
    "openpyxl",
    "lxml",
    "pygal",
    "rq",
    "email_validator",
    "alembic",
    "flask_migrate",
)

SCRIPT = """
import json, sys
from config import TestingConfig
from lms import create_app
app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
before = sorted({m.split(".")[0] for m in sys.modules})
import flask_migrate
with app.app_context():
    flask_migrate.upgrade()  # the migrations still run (Flask-Migrate imported then)
print(json.dumps(before))
"""

PAGES = """
import json, sys
from config import TestingConfig
from lms import create_app
from lms.extensions import db
app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite:///%s"})
with app.app_context():
    import flask_migrate
    flask_migrate.upgrade()
    db.session.remove()
for name in [m for m in sys.modules if m.split(".")[0] in ("alembic", "flask_migrate")]:
    del sys.modules[name]
client = app.test_client()
statuses = [client.get(p).status_code for p in ("/", "/courses/", "/courses/?q=x", "/login", "/register")]
print(json.dumps([statuses, sorted({m.split(".")[0] for m in sys.modules})]))
"""


POSTGRES = """
import json, sys
from config import TestingConfig
from lms import create_app
# never connected: building the app opens no connection
app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:1/none"})
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def _run(script):
    return run_script(script, {"PATH": "/usr/bin:/bin", "LMS_CONFIG": "testing"})


def test_the_app_starts_without_the_heavy_libraries():
    loaded = _run(SCRIPT)
    assert not set(HEAVY) & set(loaded), set(HEAVY) & set(loaded)


def test_public_pages_do_not_load_them(tmp_path):
    statuses, loaded = _run(PAGES % (tmp_path / "lazy.sqlite"))
    assert all(status < 400 for status in statuses), statuses
    assert not set(HEAVY) & set(loaded), set(HEAVY) & set(loaded)


def test_on_postgresql_sqlite_is_not_loaded():
    loaded = _run(POSTGRES)
    assert "psycopg" in loaded
    assert not {"sqlite3", "_sqlite3", *HEAVY} & set(loaded), {"sqlite3", *HEAVY} & set(loaded)
