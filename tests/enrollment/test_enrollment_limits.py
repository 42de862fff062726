"""A trainee's own enrolments and cancellations have one budget across the course page, the cancel
page and the API (ENROLMENT_CHANGE_RATE_LIMIT): each sends them a message, which the office may
pay for, so enrolling and cancelling again and again cannot make the site send message after
message. Refusals are not counted, and staff are not limited (lms.enrollment.limits)."""

from datetime import timedelta

import pytest

from config import Config
from lms.core.time import local_today
from lms.enrollment.models import Enrollment
from lms.outbox.models import OutboxMessage
from tests.fixtures.api import assert_json_error
from tests.fixtures.i18n import tr
from tests.fixtures.pages import count
from tests.fixtures.users import log_in

TOO_MANY = "Too many requests. Please wait a moment and try again."


@pytest.fixture
def limit(app, monkeypatch):
    """A budget of four changes."""
    monkeypatch.setitem(app.config, "ENROLMENT_CHANGE_RATE_LIMIT", "4 per hour")


def test_a_trainee_choosing_courses_on_registration_morning_stays_within_production_budget(
    app, monkeypatch, create_course, create_user, api_headers
):
    monkeypatch.setitem(
        app.config, "ENROLMENT_CHANGE_RATE_LIMIT", Config.ENROLMENT_CHANGE_RATE_LIMIT
    )
    trainee = create_user("trainee")
    api, headers = app.test_client(), api_headers(trainee)
    courses = [  # one after the other: none overlaps another
        create_course("language", starts_on=local_today() + timedelta(days=30 + 40 * n))
        for n in range(6)
    ]
    ids = {}

    def enrol(n):
        response = api.post(f"/api/v1/courses/{courses[n].id}/enrollments", headers=headers)
        assert response.status_code == 201, response.get_json()
        ids[n] = response.get_json()["id"]

    def give_up(n):
        assert api.delete(f"/api/v1/enrollments/{ids[n]}", headers=headers).status_code == 200

    # three courses (the most one may hold), two given up for two others, then one more change
    # of mind: nine changes in the hour
    steps = [(enrol, 0), (enrol, 1), (enrol, 2), (give_up, 0), (give_up, 1)]
    steps += [(enrol, 3), (enrol, 4), (give_up, 2), (enrol, 5)]
    for change, n in steps:
        change(n)


def _messages(trainee):
    return count(OutboxMessage, OutboxMessage.user_id == trainee.id)


def test_enrolling_and_cancelling_again_and_again_stops_at_the_budget(
    app, limit, create_course, create_user, api_headers
):
    course = create_course("hospitality", capacity=5)
    trainee = create_user("trainee")
    page = log_in(app.test_client(), trainee)
    api = app.test_client()
    headers = api_headers(trainee, "id")

    # four changes, through the page and the API alternately: each one a message
    assert page.post(f"/courses/{course.id}/enrol").status_code == 302
    first = api.get("/api/v1/me/enrollments", headers=headers).get_json()["items"][0]["id"]
    assert api.delete(f"/api/v1/enrollments/{first}", headers=headers).status_code == 200
    response = api.post(f"/api/v1/courses/{course.id}/enrollments", headers=headers)
    assert response.status_code == 201
    second = response.get_json()["id"]
    assert page.post(f"/my/enrollments/{second}/cancel").status_code == 302
    assert _messages(trainee) == 4

    # the fifth is refused, on either door, in the person's language, and sends nothing; the
    # answer says when to try again (the hour's end), the answers before said nothing of it
    assert "Retry-After" not in response.headers
    response = api.post(f"/api/v1/courses/{course.id}/enrollments", headers=headers)
    assert assert_json_error(response, 429, "rate_limited")["message"] == tr(TOO_MANY)
    assert 1 <= int(response.headers["Retry-After"]) <= 3600
    response = page.post(f"/courses/{course.id}/enrol")
    assert response.status_code == 429
    assert tr(TOO_MANY) in response.get_data(as_text=True)
    assert 1 <= int(response.headers["Retry-After"]) <= 3600
    assert count(Enrollment, Enrollment.status != "cancelled") == 0
    assert _messages(trainee) == 4

    # the pages still open; other trainees and staff are not limited
    assert page.get("/my/courses").status_code == 200
    other = create_user("trainee")
    assert log_in(app.test_client(), other).post(f"/courses/{course.id}/enrol").status_code == 302
    staff = create_user("staff")
    for _ in range(5):
        response = api.post(
            f"/api/v1/courses/{course.id}/enrollments",
            json={"user_id": trainee.id},
            headers=api_headers(staff),
        )
        assert response.status_code == 201
        cancelled = api.delete(
            f"/api/v1/enrollments/{response.get_json()['id']}", headers=api_headers(staff)
        )
        assert cancelled.status_code == 200


def test_refused_attempts_are_not_counted(app, limit, create_course, create_user, api_headers):
    course = create_course("hospitality", capacity=5)
    closed = create_course("hospitality", status="draft")
    trainee = create_user("trainee")
    api = app.test_client()
    headers = api_headers(trainee)
    for _ in range(6):  # a course not open, then enrolled already: refused, nothing sent
        assert api.post(
            f"/api/v1/courses/{closed.id}/enrollments", headers=headers
        ).status_code in (
            400,
            404,
        )
    assert api.post(f"/api/v1/courses/{course.id}/enrollments", headers=headers).status_code == 201
    for _ in range(6):
        response = api.post(f"/api/v1/courses/{course.id}/enrollments", headers=headers)
        assert response.status_code == 409
    assert _messages(trainee) == 1
