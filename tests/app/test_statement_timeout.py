"""A statement that runs, or waits for a lock, too long is cancelled in the web processes
(PostgreSQL's ``statement_timeout``): the request is answered 503 "try again in a minute" in the
person's language and rolled back whole, and its thread and connection are free again; without
the limit a lock some session never lets go held every request that needed it for good.
Migrations, jobs and commands keep no limit (lms.core.postgres.limit_statements, gunicorn.conf.py).
"""

import os
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func, select, text

from lms.audit.models import AuditEntry
from lms.catalog.models import Course
from lms.core.outage import RETRY_AFTER
from lms.enrollment.models import Enrollment
from lms.extensions import db
from lms.outbox.models import OutboxMessage
from tests.fixtures.i18n import tr
from tests.fixtures.users import log_in

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MESSAGE = "Latih cannot be reached for a moment. Please try again in a minute."
#: seconds the tests' web app lets a statement run
LIMIT = 0.5
#: seconds after which the held lock is let go anyway: without the limit the request then
#: succeeds (and the test fails) instead of waiting for ever
HELD_AT_MOST = 8


@pytest.fixture
def postgres_only(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's; SQLite is the demo's database")


def _setting(app, name):
    with app.app_context():
        return db.session.execute(text(f"SHOW {name}")).scalar()


def test_each_connection_of_a_limited_app_has_the_limit_and_keeps_its_url_options(
    postgres_only, app, make_app
):
    limited = make_app(DATABASE_STATEMENT_TIMEOUT=1.5)
    assert _setting(limited, "statement_timeout") == "1500ms"
    # the URL's own options (the tests' search path, commits not waiting) are still applied
    assert _setting(limited, "search_path") == _setting(app, "search_path")
    assert _setting(limited, "synchronous_commit") == "off"
    assert _setting(make_app(), "statement_timeout") == "0"  # migrations, jobs, commands


@pytest.mark.one_database
@pytest.mark.parametrize(
    ("environment", "expected"),
    [({}, "30"), ({"GUNICORN_STATEMENT_TIMEOUT": "12"}, "12")],
    ids=["default", "set"],
)
def test_gunicorn_gives_the_web_processes_the_limit(environment, expected):
    """gunicorn.conf.py sets it for the app it serves, and only there."""
    read = (
        "import os, runpy; runpy.run_path('gunicorn.conf.py'); "
        "print(os.environ['LMS_DATABASE_STATEMENT_TIMEOUT'])"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GUNICORN_", "LMS_DATABASE_STATEMENT_TIMEOUT"))
    }
    result = subprocess.run(
        [sys.executable, "-c", read],
        env={**env, **environment},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == expected


@pytest.fixture
def held_course(postgres_only, make_app, create_course):
    """(an app whose statements may run LIMIT seconds, a published course whose row another
    session holds locked, a function that lets it go). The other session is what a stuck
    transaction is: an administrator's psql left open, a report that hung."""
    limited = make_app(DATABASE_STATEMENT_TIMEOUT=LIMIT, PROPAGATE_EXCEPTIONS=False)
    course = create_course("hospitality", capacity=5)
    db.session.commit()
    holder = db.engine.raw_connection()
    holder.cursor().execute("SELECT id FROM courses WHERE id = %s FOR UPDATE", (course.id,))
    released = threading.Event()

    def release():
        if not released.is_set():
            released.set()
            holder.rollback()

    timer = threading.Timer(HELD_AT_MOST, release)
    timer.start()
    yield limited, course, release
    timer.cancel()
    release()
    holder.close()


def _nothing_written(course, trainee):
    db.session.rollback()
    assert db.session.scalar(select(Course.enrolled_count).where(Course.id == course.id)) == 0
    assert not db.session.scalars(select(Enrollment).where(Enrollment.user_id == trainee.id)).all()
    assert not db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.user_id == trainee.id)
    )
    assert not db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action.like("enrollment%"), AuditEntry.actor_id == trainee.id)
    )


def test_an_enrolment_behind_a_lock_held_too_long_is_answered_503_and_leaves_nothing(
    held_course, create_user, api_headers
):
    limited, course, release = held_course
    trainee = create_user("trainee")
    db.session.commit()
    client = limited.test_client()
    url = f"/api/v1/courses/{course.id}/enrollments"

    began = time.monotonic()
    response = client.post(url, headers=api_headers(trainee, "id"))
    assert time.monotonic() - began < HELD_AT_MOST - 1
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.headers["Retry-After"] == str(RETRY_AFTER)
    assert response.get_json()["error"] == {
        "code": "unavailable",
        "message": tr(MESSAGE),
        "fields": {},
    }
    _nothing_written(course, trainee)

    page = log_in(limited.test_client(), trainee).post(f"/courses/{course.id}/enrol")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == str(RETRY_AFTER)
    assert tr(MESSAGE) in page.get_data(as_text=True)  # Indonesian by default
    _nothing_written(course, trainee)

    release()  # the lock let go: the same request succeeds, once
    response = client.post(url, headers=api_headers(trainee, "id"))
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    db.session.rollback()
    assert db.session.scalar(select(Course.enrolled_count).where(Course.id == course.id)) == 1


def test_a_download_waits_as_long_as_it_takes(postgres_only, make_app, create_course, dummy_staff):
    """An export is long by design (its first batch waits for the whole sort of a year's
    records): the limit is lifted for it. Here it waits behind a table lock (a migration's)
    longer than the limit, where a page is answered 503, and arrives whole."""
    limited = make_app(DATABASE_STATEMENT_TIMEOUT=LIMIT, PROPAGATE_EXCEPTIONS=False)
    codes = {create_course("hospitality").code for _ in range(3)}
    db.session.commit()
    client = log_in(limited.test_client(), dummy_staff)
    holder = db.engine.raw_connection()
    try:
        holder.cursor().execute("LOCK TABLE courses IN ACCESS EXCLUSIVE MODE")
        timer = threading.Timer(3 * LIMIT, holder.rollback)
        timer.start()
        page = client.get("/courses/")
        assert page.status_code == 503
        began = time.monotonic()
        download = client.get("/exports/courses.csv")
        body = download.get_data(as_text=True)
        waited = time.monotonic() - began
        timer.join()
    finally:
        holder.close()
    assert download.status_code == 200
    assert waited > LIMIT
    assert {line.split(",")[0] for line in body.lstrip("\ufeff").splitlines()[1:]} == codes
