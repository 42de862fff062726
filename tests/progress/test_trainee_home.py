"""The trainee's home says what comes next in each enrolment: the next meeting (course, date,
time, place), the enrolment's state, attendance against the course's threshold, and a ready
certificate or why a finished course gave none."""

import re
from datetime import time, timedelta
from html import unescape

import pytest

from lms.attendance import services as attendance
from lms.certificates import services as certificates
from lms.core.time import combine_local, local_today
from lms.extensions import db
from lms.progress.services import next_steps
from tests.certificates.test_certificate_views import build_finished_course
from tests.fixtures.enrollment import enroll
from tests.fixtures.i18n import tr
from tests.fixtures.pages import text


def _step(response, enrollment):
    """The visible text of one enrolment's card on the home page."""
    html = response.get_data(as_text=True)
    start = html.index(f'data-testid="step-{enrollment.id}"')
    end = html.find('data-testid="step-', start + 10)
    card = html[start : end if end > 0 else len(html)]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", card)).split())


@pytest.fixture
def finished(create_partner, create_user, create_course, create_session):
    course = build_finished_course(create_partner, create_user, create_course, create_session)
    certificates.issue(course.course, course.staff)
    db.session.commit()
    return course


@pytest.mark.parametrize("role", [None, "trainer", "staff", "admin"])
def test_only_a_trainee_sees_next_steps(client, login, users_by_role, role):
    if role:
        login(users_by_role[role])
    response = client.get("/")
    assert response.status_code == 200
    assert 'data-testid="next-steps"' not in response.get_data(as_text=True)


def test_a_trainee_without_courses_is_pointed_to_the_catalogue(client, login, dummy_trainee):
    login(dummy_trainee)
    response = client.get("/")
    assert 'data-testid="no-steps"' in response.get_data(as_text=True)
    assert tr("Find a course") in text(response)


@pytest.mark.parametrize("locale", ["id", "en"])
def test_the_next_meeting_with_date_time_and_place(
    client, login, create_user, create_course, create_session, locale
):
    trainee = create_user("trainee", locale=locale)
    course = create_course(location="BLK Metro", title="Tata Boga", title_en="Catering")
    day = course.starts_on
    create_session(
        course, combine_local(day, time(8)), combine_local(day, time(12)), location="Ruang 2"
    )
    later = day + timedelta(days=1)
    create_session(course, combine_local(later, time(8)), combine_local(later, time(12)))
    enrollment = enroll(trainee, course)
    login(trainee)
    response = client.get("/")
    card = _step(response, enrollment)
    assert ("Tata Boga" if locale == "id" else "Catering") in card
    assert tr("Next meeting", locale) in card
    assert str(day.day) in card and str(day.year) in card
    assert ("08.00–12.00" if locale == "id" else "08:00–12:00") in card
    assert "Ruang 2" in card
    assert tr("Enrolled", locale) in card or enrollment.status_label in card


def test_pending_and_waitlisted_states(client, login, create_user, create_course):
    trainee = create_user("trainee", locale="en")
    asked = create_course(requires_approval=True)
    full = create_course(
        capacity=1,
        starts_on=local_today() + timedelta(days=200),
        ends_on=local_today() + timedelta(days=210),
    )
    enroll(create_user("trainee"), full)
    enroll(create_user("trainee"), full)  # first on the waitlist
    pending = enroll(trainee, asked)
    waiting = enroll(trainee, full)
    login(trainee)
    response = client.get("/")
    assert "Your request awaits the approval of the office." in _step(response, pending)
    assert "You are on the waitlist: position 2." in _step(response, waiting)


def test_attendance_against_the_threshold(client, login, classroom, add_meeting):
    course, trainee, enrollment = classroom.course, classroom.trainee, classroom.enrollment
    sessions = [add_meeting(course, day=-d) for d in (3, 2, 1)]
    for n, session in enumerate(sessions):
        status = "present" if n == 0 else "absent"
        attendance.save_marks(
            session, [{"enrollment_id": enrollment.id, "status": status}], classroom.staff
        )
    db.session.commit()
    login(trainee)
    trainee.locale = "en"
    db.session.commit()
    card = _step(client.get("/"), enrollment)
    assert "Attendance: 33% (at least 80% needed)" in card
    assert "This is below what the course requires for a certificate." in card


def test_finished_courses_give_the_certificate_or_the_reason(client, login, finished):
    for enrollment in finished.enrollments:
        enrollment.user.locale = "en"
    db.session.commit()
    ready, absent, unassessed = finished.ready[0], finished.absent, finished.unassessed
    login(ready.user)
    response = client.get("/")
    card = _step(response, ready)
    assert "Your certificate is ready." in card
    cert = certificates.valid_certificate(ready)
    assert f'/my/certificates/{cert.id}/pdf"' in response.get_data(as_text=True)
    assert client.get(f"/my/certificates/{cert.id}/pdf").status_code == 200

    client.post("/logout")
    login(absent.user)
    card = _step(client.get("/"), absent)
    assert "This course gave you no certificate, because:" in card
    assert "Attendance is 25%, below the required 80%." in card

    client.post("/logout")
    login(unassessed.user)
    card = _step(client.get("/"), unassessed)
    assert "The final assessment has no result yet." in card


def test_the_service_orders_active_before_finished(finished, create_course):
    trainee = finished.absent.user
    current = create_course()
    enroll(trainee, current)
    steps = next_steps(trainee)
    assert [s.phase for s in steps] == ["active", "finished"]
    assert steps[1].below and steps[1].no_certificate_reasons
