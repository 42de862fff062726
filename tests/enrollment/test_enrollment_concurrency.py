"""A registration surge against a real multi-process server never overbooks or duplicates.

gunicorn runs several worker processes (each with threads) on the test database — SQLite file or
PostgreSQL — and receives concurrent enrolment requests through the JSON API.
"""

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from lms.auth import services as auth_services
from lms.catalog.models import Course
from lms.enrollment.models import Enrollment
from lms.extensions import db as _db
from tests.fixtures.servers import free_port, running

pytestmark = pytest.mark.realclock

WORKERS = 4
THREADS = 4


@pytest.fixture
def server(app):
    """gunicorn with several workers on the test database; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "LMS_CONFIG": "testing",
        "LMS_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(WORKERS),
        "--threads",
        str(THREADS),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "lms:create_app()",
    ]
    base = f"http://127.0.0.1:{port}"
    with running(
        command,
        f"{base}/api/v1/regencies",
        env,
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        wait=90,
    ):
        yield base


def _tokens(users):
    tokens = [auth_services.issue_api_token(u)[0] for u in users]
    _db.session.commit()
    return tokens


def _fire(base, course_id, tokens):
    """POST an enrolment per token, all at once; returns the status codes."""
    return _fire_pairs(base, [(course_id, token) for token in tokens])


def _fire_pairs(base, requests_to_send):
    """POST an enrolment per (course id, token), all at once; returns the status codes."""

    def one(pair):
        course_id, token = pair
        response = requests.post(
            f"{base}/api/v1/courses/{course_id}/enrollments",
            json={},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=len(requests_to_send)) as pool:
        return list(pool.map(one, requests_to_send))


def test_hundred_trainees_rush_a_ten_seat_course(server, db, create_course, create_user):
    course = create_course("language", capacity=10, waitlist=True)
    trainees = [create_user("trainee") for _ in range(100)]
    codes = _fire(server, course.id, _tokens(trainees))
    assert all(code < 500 for code in codes), codes
    assert codes.count(201) == 100, codes
    db.session.expire_all()
    rows = db.session.scalars(select(Enrollment).where(Enrollment.course_id == course.id)).all()
    enrolled = [r for r in rows if r.status == "enrolled"]
    waiting = sorted(r.waitlist_position for r in rows if r.status == "waitlisted")
    assert len(rows) == 100
    assert len(enrolled) == 10
    assert waiting == list(range(1, 91))  # positions 1..N, no gaps, no repeats
    assert db.session.get(Course, course.id).enrolled_count == 10


def test_one_trainee_sending_ten_requests_gets_one_enrolment(
    server, db, create_course, create_user
):
    course = create_course("hospitality", capacity=10)
    trainee = create_user("trainee")
    codes = _fire(server, course.id, _tokens([trainee] * 10))
    assert all(code < 500 for code in codes), codes
    assert codes.count(201) == 1 and codes.count(409) == 9, codes
    db.session.expire_all()
    count = db.session.scalar(select(func.count()).where(Enrollment.course_id == course.id))
    assert count == 1
    assert db.session.get(Course, course.id).enrolled_count == 1


def test_overlapping_courses_requested_at_once_give_one_enrolment(
    server, db, create_course, create_user
):
    """Each trainee asks for two courses that run at the same time, both requests at once: the
    overlap rule holds under the race (one 201 and one 400 per trainee)."""
    first = create_course("hospitality", capacity=50)
    second = create_course("plantation", capacity=50)
    assert first.starts_on == second.starts_on
    trainees = [create_user("trainee") for _ in range(12)]
    tokens = _tokens(trainees)
    pairs = [(course.id, token) for token in tokens for course in (first, second)]
    codes = _fire_pairs(server, pairs)
    assert all(code < 500 for code in codes), codes
    for i in range(len(trainees)):
        assert sorted(codes[2 * i : 2 * i + 2]) == [201, 400], codes
    db.session.expire_all()
    per_trainee = db.session.execute(
        select(Enrollment.user_id, func.count()).group_by(Enrollment.user_id)
    ).all()
    assert sorted(count for _user, count in per_trainee) == [1] * len(trainees)
