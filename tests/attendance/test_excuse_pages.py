"""Excuse request pages: the trainee's leave form from their attendance page, the open requests
on the roster and on the staff course page with accept / decline, for every role."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.attendance import excuses
from lms.attendance.excuses import ExcuseRequest
from lms.attendance.models import Attendance
from lms.core.types import utcnow
from lms.enrollment import groups
from lms.extensions import db
from lms.outbox.models import OutboxMessage
from tests.fixtures.pages import text
from tests.fixtures.users import log_in


@pytest.fixture
def upcoming(classroom, create_session):
    starts = utcnow() + timedelta(days=2)
    return create_session(
        classroom.course, starts_at=starts, ends_at=starts + timedelta(hours=3), topic="Tata boga"
    )


def _leave_url(classroom, session, enrollment=None):
    enrollment = enrollment or classroom.enrollment
    return f"/my/enrollments/{enrollment.id}/sessions/{session.id}/leave"


def test_the_attendance_page_offers_leave_for_coming_meetings(client, classroom, upcoming):
    log_in(client, classroom.trainee)
    page = client.get(f"/my/enrollments/{classroom.enrollment.id}/attendance")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert f'data-testid="coming-{upcoming.id}"' in body
    assert _leave_url(classroom, upcoming) in body
    # Indonesian is the default
    assert "Ajukan izin" in text(page)


def test_asking_for_leave_from_the_page(client, classroom, upcoming):
    log_in(client, classroom.trainee)
    url = _leave_url(classroom, upcoming)
    assert client.get(url, headers={"Accept-Language": "en"}).status_code == 200
    empty = client.post(url, data={"reason": ""}, headers={"Accept-Language": "en"})
    assert empty.status_code == 400
    done = client.post(url, data={"reason": "Medical check-up"})
    assert done.status_code == 302
    excuse = db.session.scalar(select(ExcuseRequest))
    assert (excuse.status, excuse.reason) == ("requested", "Medical check-up")
    page = client.get(f"/my/enrollments/{classroom.enrollment.id}/attendance")
    assert "Menunggu keputusan" in text(page)
    # asked already: the form says so instead of a second form
    again = client.get(url, headers={"Accept-Language": "en"})
    assert 'data-testid="pending"' in again.get_data(as_text=True)
    assert client.post(url, data={"reason": "Again"}).status_code == 400
    assert db.session.scalar(select(db.func.count(ExcuseRequest.id))) == 1


def test_leave_pages_of_others_are_404(client, classroom, upcoming, make_classroom, create_session):
    other = make_classroom(1)
    starts = utcnow() + timedelta(days=1)
    foreign = create_session(other.course, starts_at=starts, ends_at=starts + timedelta(hours=2))
    log_in(client, classroom.trainees[1])
    # another trainee's enrolment
    assert client.get(_leave_url(classroom, upcoming)).status_code == 404
    # a session of another course
    assert client.get(_leave_url(classroom, foreign, classroom.enrollments[1])).status_code == 404
    log_in(client, classroom.trainer)
    assert client.get(_leave_url(classroom, upcoming)).status_code == 403


def test_a_meeting_of_another_group_cannot_be_asked_leave_from(client, classroom, create_session):
    a = groups.create_group(classroom.course, "A", actor=classroom.staff)
    b = groups.create_group(classroom.course, "B", actor=classroom.staff)
    groups.place(classroom.enrollment, a.id)
    db.session.commit()
    starts = utcnow() + timedelta(days=1)
    for_b = create_session(
        classroom.course, starts_at=starts, ends_at=starts + timedelta(hours=2), group=b
    )
    log_in(client, classroom.trainee)
    assert client.get(_leave_url(classroom, for_b)).status_code == 404
    page = client.get(f"/my/enrollments/{classroom.enrollment.id}/attendance")
    assert f'data-testid="coming-{for_b.id}"' not in page.get_data(as_text=True)


def test_the_roster_shows_open_requests_and_the_trainer_accepts(
    client, classroom, upcoming, create_session
):
    excuse = excuses.request_leave(upcoming.id, classroom.trainee, "Visa appointment")
    starts = utcnow() - timedelta(minutes=5)
    today = create_session(classroom.course, starts_at=starts, ends_at=starts + timedelta(hours=2))
    db.session.commit()
    log_in(client, classroom.trainer)
    roster = client.get(
        f"/trainer/sessions/{today.id}/roster", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert f'data-testid="excuse-{excuse.id}"' in roster and "Visa appointment" in roster
    response = client.post(
        f"/trainer/excuses/{excuse.id}/decide",
        data={
            "accept": "1",
            "note": "Semoga lancar",
            "next": f"/trainer/sessions/{today.id}/roster",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/trainer/sessions/{today.id}/roster")
    db.session.expire_all()
    mark = db.session.scalar(select(Attendance).where(Attendance.session_id == upcoming.id))
    assert (mark.status, mark.source, mark.note) == ("excused", "excuse", "Semoga lancar")
    assert db.session.get(ExcuseRequest, excuse.id).status == "accepted"
    message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()[-1]
    assert message.user_id == classroom.trainee.id and message.kind == "excuse_accepted"


def test_staff_decline_from_the_course_page(client, classroom, upcoming):
    excuse = excuses.request_leave(upcoming.id, classroom.trainee, "Family wedding")
    db.session.commit()
    log_in(client, classroom.staff)
    page = client.get(f"/manage/courses/{classroom.course.id}", headers={"Accept-Language": "en"})
    assert f'data-testid="excuse-{excuse.id}"' in page.get_data(as_text=True)
    response = client.post(
        f"/trainer/excuses/{excuse.id}/decide",
        data={"decline": "1", "note": "Ujian akhir", "next": "//evil.example/"},
    )
    # a next that leaves the site is replaced by the roster of the request's session
    assert response.headers["Location"].endswith(f"/trainer/sessions/{upcoming.id}/roster")
    db.session.expire_all()
    assert db.session.get(ExcuseRequest, excuse.id).status == "declined"
    assert db.session.scalar(select(Attendance)) is None
    message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()[-1]
    assert message.kind == "excuse_declined" and "Ujian akhir" in message.body
    # decided already: the flash says so, nothing changes
    again = client.post(f"/trainer/excuses/{excuse.id}/decide", data={"accept": "1"})
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(ExcuseRequest, excuse.id).status == "declined"


@pytest.mark.parametrize("who, status", [("trainee", 403), ("other_trainer", 404)])
def test_only_the_courses_trainers_and_staff_decide(client, classroom, upcoming, who, status):
    excuse = excuses.request_leave(upcoming.id, classroom.trainee, "Sick")
    db.session.commit()
    log_in(client, classroom.by_role(who))
    response = client.post(f"/trainer/excuses/{excuse.id}/decide", data={"accept": "1"})
    assert response.status_code == status
    db.session.expire_all()
    assert db.session.get(ExcuseRequest, excuse.id).status == "requested"
