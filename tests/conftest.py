"""Test fixtures: one app per database backend, a clean database for every test, factories.

The suite runs on SQLite always and again on PostgreSQL when TEST_DATABASE_URL is set: the
session-scoped ``app`` fixture is parametrised over the backends, so every test runs once per backend.
Tests run in parallel (pytest-xdist, one worker per core): each worker has its own SQLite file and its
own PostgreSQL schema in the TEST_DATABASE_URL database.
"""

import os
from urllib.parse import quote

import flask_migrate
import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from config import TestingConfig
from lms import create_app
from lms.extensions import db as _db
from lms.extensions import limiter

pytest_plugins = [
    "tests.fixtures.clock",
    "tests.fixtures.users",
    "tests.fixtures.browser",
    "tests.fixtures.catalog",
    "tests.fixtures.enrollment",
    "tests.fixtures.attendance",
    "tests.fixtures.pages",
    "tests.fixtures.api",
    "tests.fixtures.gateways",
    "tests.fixtures.jobs",
]

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
#: tests marked ``one_database`` run on one backend only: PostgreSQL (production's database) when
#: it is set, else SQLite. Browser tests are such tests: every view they drive is tested on both
#: databases through the Flask test client; the browser adds the pages' scripts, layout and
#: accessibility, which do not depend on the database. The API's fuzzing is another: PostgreSQL is
#: the stricter judge of a generated value.
ONE_DATABASE = BROWSER_BACKEND = BACKENDS[-1]
#: reference data loaded by migrations (and the catalogue version row), kept between tests
KEEP_TABLES = {"regencies", "alembic_version", "catalog_version"}


class Client(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    Without this, a request would reuse the test's app context and share its ``g`` and its
    database session, which hides bugs (a cached login, objects that were never committed).
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def _postgresql_uri(worker):
    """The test database, seen through this worker's own schema.

    Commits need not wait for the disk (``synchronous_commit=off``): a crash loses only test data.
    """
    base = os.environ["TEST_DATABASE_URL"]
    options = quote(f"-csearch_path=latih_{worker} -csynchronous_commit=off")
    return f"{base}{'&' if '?' in base else '?'}options={options}"


def _reset_schema(app):
    """Start from an empty database, then build it with the migrations (never create_all)."""
    with app.app_context():
        if _db.engine.dialect.name == "postgresql":
            with _db.engine.begin() as conn:
                schema = conn.execute(text("SHOW search_path")).scalar()
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                conn.execute(text(f"CREATE SCHEMA {schema}"))
        flask_migrate.upgrade()


def _build_app(backend, tmp_path_factory, worker_id):
    """The application on a fresh database of ``backend``, built by ``flask db upgrade``."""
    if backend == "sqlite":
        uri = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    else:
        uri = _postgresql_uri(worker_id)
    key = tmp_path_factory.mktemp("keys") / "certificate-signing-key.pem"
    files = tmp_path_factory.mktemp("job-files")
    app = create_app(
        TestingConfig,
        {
            "SQLALCHEMY_DATABASE_URI": uri,
            "CERTIFICATE_KEY_FILE": str(key),
            "JOBS_FILE_DIR": str(files),
        },
    )
    app.test_client_class = Client
    _reset_schema(app)
    return app


@pytest.fixture(scope="session")
def _apps(tmp_path_factory, worker_id):
    """The apps of this test process, one per backend, each built once on first use.

    The ``app`` fixture below only picks one: a process that runs a PostgreSQL test between two
    SQLite ones (the slow tests run first, see ``pytest_collection_modifyitems``) does not build
    an app and migrate its database again each time the backend changes.
    """
    built = {}

    def _get(backend):
        if backend not in built:
            built[backend] = _build_app(backend, tmp_path_factory, worker_id)
        return built[backend]

    yield _get
    for app in built.values():
        with app.app_context():
            _db.engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def app(request, _apps):
    """The application, on a fresh database built by ``flask db upgrade``."""
    return _apps(request.param)


#: a table with at least this many rows is emptied with TRUNCATE, not DELETE
MANY_ROWS = 1000


def _clean(app):
    """Delete every row but the reference data, and start the ids from 1 again.

    On PostgreSQL only the tables that hold rows are emptied, with DELETE: a TRUNCATE of every
    table costs a tenth of a second, which over the whole suite is minutes. But a DELETE checks
    each row's foreign keys one by one (100,000 users: half a minute), so once a table holds
    MANY_ROWS, the tables that hold rows go in one TRUNCATE instead (CASCADE: with them the empty
    tables that refer to them, which TRUNCATE must name or cascade to).
    """
    with app.app_context():
        tables = [t for t in _db.metadata.sorted_tables if t.name not in KEEP_TABLES]
        with _db.engine.begin() as conn:
            postgresql = conn.dialect.name == "postgresql"
            if postgresql:
                # how many rows each table holds, counted up to MANY_ROWS
                probe = " UNION ALL ".join(
                    f"SELECT '{t.name}', (SELECT count(*) FROM "
                    f"(SELECT 1 FROM {t.name} LIMIT {MANY_ROWS}) AS rows)"
                    for t in tables
                )
                filled = {name: rows for name, rows in conn.execute(text(probe)) if rows}
                tables = [t for t in tables if t.name in filled]
                if tables and max(filled.values()) >= MANY_ROWS:
                    names = ", ".join(t.name for t in tables)
                    conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                    return
            for table in reversed(tables):
                conn.execute(table.delete())
                if postgresql and table.autoincrement_column is not None:
                    conn.execute(
                        text("SELECT setval(pg_get_serial_sequence(:t, :c), 1, false)"),
                        {"t": table.name, "c": table.autoincrement_column.name},
                    )


@pytest.fixture(autouse=True)
def db(app, clock):
    """An app context with a clean database for each test; rows are wiped afterwards."""
    with app.app_context():
        yield _db
        _db.session.rollback()
        _db.session.remove()
    _clean(app)
    limiter.reset()


@pytest.fixture
def make_app(app):
    """Build another app on the test database (other settings, other plugins); disposed after."""
    made = []

    def _make(**overrides):
        other = create_app(
            TestingConfig,
            {
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "CERTIFICATE_KEY_FILE": app.config["CERTIFICATE_KEY_FILE"],
                "JOBS_FILE_DIR": app.config["JOBS_FILE_DIR"],
                **overrides,
            },
        )
        other.test_client_class = Client
        made.append(other)
        return other

    yield _make
    for other in made:
        with other.app_context():
            _db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _backend(item):
    """The database backend a test runs on (None for a test without the app)."""
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("app") if callspec else None


#: tests that take seconds (figures of a run on a loaded 2-core machine, 6 December 2026), by
#: node id prefix: they start first (``pytest_collection_modifyitems``), so that none of them
#: starts last and leaves the other workers idle at the end. An entry that grows stale only
#: changes the order in which tests run.
SLOW_FIRST = {
    "tests/api/test_api_fuzz.py::": 60,
    "tests/browser/test_main_pages.py::": 35,
    "tests/exports/test_exports.py::test_a_100000_row_xlsx_export_stays": 25,
    "tests/exports/test_exports.py::test_a_100000_row_csv_export": 12,
    "tests/imports/test_import_jobs.py::test_kill_drill": 20,
    "tests/browser/test_accessibility.py::": 15,
    "tests/enrollment/test_enrollment_concurrency.py::": 12,
    "tests/app/test_gunicorn.py::": 10,
    "tests/app/test_nginx.py::test_restarting": 12,
    "tests/app/test_nginx.py::": 6,
    "tests/attendance/test_every_mark_audited.py::test_a_roster_of_forty": 10,
    "tests/jobs/test_worker.py::test_kill_drill": 9,
    "tests/certificates/test_signing_key.py::test_a_command_that_signs": 8,
    "tests/browser/": 6,
    "tests/app/test_demo.py::": 6,
    "tests/app/test_access_matrix.py::": 6,
    "tests/app/test_lazy_imports.py::": 6,
    "tests/ops/test_metrics.py::test_gunicorn": 6,
    "tests/certificates/test_migration.py::": 5,
    "tests/imports/test_imports.py::test_importing_the_same_file_again": 5,
    "tests/attendance/test_attendance_rules.py::test_saving_a_roster_does_not_grow": 5,
    "tests/api/test_api_attendance.py::test_saving_a_roster_does_not_grow": 4,
    "tests/attendance/test_outreach.py::test_a_year_of_outreach": 4,
}


def _expected_seconds(item):
    """The seconds SLOW_FIRST expects of a test (its longest matching prefix), 0 if not listed."""
    matches = [prefix for prefix in SLOW_FIRST if item.nodeid.startswith(prefix)]
    return SLOW_FIRST[max(matches, key=len)] if matches else 0


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Browser tests and tests marked ``one_database`` run on ONE_DATABASE only; their copies on
    the other database are deselected (the run's header counts them). Then the slow tests move
    to the front, the slowest first (the rest keep their order): with ``--dist load`` each worker
    starts on the longest ones, and the run ends on short tests that spread evenly."""
    other = [
        item
        for item in items
        if (item.get_closest_marker("browser") or item.get_closest_marker("one_database"))
        and _backend(item) not in (None, ONE_DATABASE)
    ]
    if other:
        dropped = set(map(id, other))
        items[:] = [item for item in items if id(item) not in dropped]
        config.hook.pytest_deselected(items=other)
    items.sort(key=_expected_seconds, reverse=True)


def _is_browser(report):
    return "browser" in report.keywords


def pytest_terminal_summary(terminalreporter):
    """Say which databases and how many browser tests ran, so a CI log shows they were not skipped."""
    passed = terminalreporter.stats.get("passed", [])
    skipped = terminalreporter.stats.get("skipped", [])
    lines = []
    for backend in BACKENDS:
        count = sum(1 for r in passed if f"[{backend}" in r.nodeid and not _is_browser(r))
        lines.append(f"{backend}: {count} passed")
    browser = sum(1 for r in passed if _is_browser(r))
    browser_skipped = sum(1 for r in skipped if _is_browser(r))
    lines.append(
        f"browser (Chromium, on {BROWSER_BACKEND}): {browser} passed, {browser_skipped} skipped"
    )
    terminalreporter.write_sep("-", "Latih test run: " + "; ".join(lines))


def pytest_xdist_auto_num_workers(config):
    """``-n auto``: one worker more than the cores. Many tests wait rather than compute (a gunicorn
    or job worker subprocess, Chromium, PostgreSQL), and with one worker per core the run kept
    about a third of the machine idle."""
    return (os.cpu_count() or 1) + 1
