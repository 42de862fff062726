"""Excuse requests: a trainee asks for leave before a session ends; the course's trainers or
staff accept (the mark becomes excused through save_marks, source ``excuse``, audited) or
decline with a note; the trainee is told either way. Services and the API, for every role."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.attendance import excuses
from lms.attendance import services as attendance
from lms.attendance.excuses import ExcuseRequest
from lms.attendance.models import Attendance
from lms.audit.models import AuditEntry
from lms.catalog import services as catalog
from lms.core.types import utcnow
from lms.enrollment import services as enrolment
from lms.errors import Conflict, InvalidInput, NotFound
from lms.extensions import db
from lms.outbox.models import OutboxMessage
from tests.fixtures.api import assert_json_error


@pytest.fixture
def upcoming(classroom, create_session):
    """A meeting that starts in two days (08:00 WIB-ish): leave may be asked for."""
    starts = utcnow() + timedelta(days=2)
    return create_session(classroom.course, starts_at=starts, ends_at=starts + timedelta(hours=3))


def _mark(session, enrollment):
    db.session.expire_all()
    return db.session.scalar(
        select(Attendance).where(
            Attendance.session_id == session.id, Attendance.enrollment_id == enrollment.id
        )
    )


# --- services ----------------------------------------------------------------------------------


def test_accepting_marks_the_trainee_excused_audited_and_tells_them(classroom, upcoming):
    excuse = excuses.request_leave(upcoming.id, classroom.trainee, "  Medical check-up  ")
    db.session.commit()
    assert (excuse.status, excuse.reason) == ("requested", "Medical check-up")
    # a session in two days: trainers may not mark it yet, an accepted excuse may
    assert attendance.marking_refusal(classroom.trainer, upcoming) is not None
    excuses.decide(excuse, classroom.trainer, accept=True, note="Get well")
    db.session.commit()
    mark = _mark(upcoming, classroom.enrollment)
    assert (mark.status, mark.source, mark.note) == ("excused", "excuse", "Get well")
    assert mark.marked_by_id == classroom.trainer.id
    assert (excuse.status, excuse.decided_by_id, excuse.note) == (
        "accepted",
        classroom.trainer.id,
        "Get well",
    )
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert "excuse.requested" in actions and "excuse.accepted" in actions
    assert "attendance.saved" in actions
    message = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.user_id == classroom.trainee.id)
        .order_by(OutboxMessage.id)
    ).all()[-1]
    assert message.kind == "excuse_accepted"
    assert "Get well" in message.body


def test_the_reason_is_the_marks_note_when_accepted_without_one(classroom, upcoming):
    excuse = excuses.request_leave(upcoming.id, classroom.trainee, "Visa appointment")
    excuses.decide(excuse, classroom.staff, accept=True)
    db.session.commit()
    assert _mark(upcoming, classroom.enrollment).note == "Visa appointment"


def test_declining_leaves_the_marks_alone_and_tells_the_trainee(classroom, upcoming):
    excuse = excuses.request_leave(upcoming.id, classroom.trainee, "Wedding")
    excuses.decide(excuse, classroom.staff, accept=False, note="Exam day: please come")
    db.session.commit()
    assert _mark(upcoming, classroom.enrollment) is None
    assert excuse.status == "declined"
    message = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.user_id == classroom.trainee.id)
        .order_by(OutboxMessage.id)
    ).all()[-1]
    assert message.kind == "excuse_declined" and "Exam day" in message.body
    with pytest.raises(Conflict):
        excuses.decide(excuse, classroom.staff, accept=True)


def test_one_open_request_per_session_and_a_new_one_after_a_decision(classroom, upcoming):
    first = excuses.request_leave(upcoming.id, classroom.trainee, "Sick")
    with pytest.raises(Conflict):
        excuses.request_leave(upcoming.id, classroom.trainee, "Still sick")
    excuses.decide(first, classroom.staff, accept=False)
    second = excuses.request_leave(upcoming.id, classroom.trainee, "Doctor's letter attached")
    db.session.commit()
    assert second.id != first.id and second.is_open


def test_no_leave_after_the_end_without_a_reason_or_from_a_foreign_session(
    classroom, upcoming, add_meeting, clock
):
    with pytest.raises(InvalidInput):
        excuses.request_leave(upcoming.id, classroom.trainee, "   ")
    with pytest.raises(NotFound):
        excuses.request_leave(upcoming.id, classroom.outsider, "Sick")
    yesterday = add_meeting(classroom.course, -1)
    with pytest.raises(InvalidInput) as refused:
        excuses.request_leave(yesterday.id, classroom.trainee, "Sick")
    assert refused.value.code == "closed"
    # during the session it is still possible
    clock.move_to(upcoming.starts_at + timedelta(minutes=30))
    assert excuses.request_leave(upcoming.id, classroom.trainee, "Called away").is_open
    catalog.cancel_session(upcoming, "Flood", actor=classroom.staff)
    with pytest.raises(InvalidInput):
        excuses.request_leave(upcoming.id, classroom.trainees[1], "Sick")


def test_a_cancelled_enrolment_cannot_be_excused(classroom, upcoming):
    excuse = excuses.request_leave(upcoming.id, classroom.trainee, "Sick")
    enrolment.cancel(classroom.enrollment, actor=classroom.staff)
    with pytest.raises(InvalidInput):
        excuses.decide(excuse, classroom.staff, accept=True)


# --- the API -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, status",
    [(None, 401), ("trainee", 201), ("outsider", 404), ("trainer", 403), ("staff", 403)],
)
def test_api_request_leave_by_role(client, as_, upcoming, who, status):
    response = client.post(
        f"/api/v1/sessions/{upcoming.id}/excuses", json={"reason": "Sick"}, headers=as_(who)
    )
    assert response.status_code == status, response.get_data(as_text=True)
    if status == 201:
        body = response.get_json()
        assert body["status"] == "requested" and body["reason"] == "Sick"
        assert body["session_id"] == upcoming.id


def test_api_request_leave_twice_is_409_and_bad_bodies_400(client, as_, upcoming):
    url = f"/api/v1/sessions/{upcoming.id}/excuses"
    assert client.post(url, json={"reason": "Sick"}, headers=as_("trainee")).status_code == 201
    assert_json_error(
        client.post(url, json={"reason": "Sick"}, headers=as_("trainee")), 409, "already_requested"
    )
    error = assert_json_error(client.post(url, json={}, headers=as_("trainee")), 400)
    assert "reason" in error["fields"]
    error = assert_json_error(
        client.post(url, json={"reason": ""}, headers=as_("trainee", "id")), 400
    )
    assert error["message"] == "Sebutkan mengapa Anda tidak dapat hadir."
    assert_json_error(
        client.post(
            "/api/v1/sessions/999999/excuses", json={"reason": "x"}, headers=as_("trainee")
        ),
        404,
    )


@pytest.mark.parametrize(
    "who, status",
    [
        (None, 401),
        ("trainee", 403),
        ("outsider", 403),
        ("trainer", 200),
        ("other_trainer", 404),
        ("staff", 200),
        ("admin", 200),
    ],
)
def test_api_course_requests_by_role(client, as_, classroom, upcoming, who, status):
    excuses.request_leave(upcoming.id, classroom.trainee, "Sick")
    db.session.commit()
    response = client.get(
        f"/api/v1/courses/{classroom.course.id}/excuses?status=requested", headers=as_(who)
    )
    assert response.status_code == status
    if status == 200:
        (item,) = response.get_json()["items"]
        assert item["trainee"] == {"id": classroom.trainee.id, "name": classroom.trainee.name}
        assert item["enrollment_id"] == classroom.enrollment.id
        assert item["status"] == "requested" and item["decided_by"] is None


def test_api_status_filter(client, as_, classroom, upcoming):
    excuse = excuses.request_leave(upcoming.id, classroom.trainee, "Sick")
    excuses.decide(excuse, classroom.staff, accept=False)
    db.session.commit()
    url = f"/api/v1/courses/{classroom.course.id}/excuses"
    assert client.get(url + "?status=requested", headers=as_("staff")).get_json()["items"] == []
    assert len(client.get(url, headers=as_("staff")).get_json()["items"]) == 1
    assert_json_error(client.get(url + "?status=maybe", headers=as_("staff")), 400)


@pytest.mark.parametrize(
    "who, status",
    [
        (None, 401),
        ("trainee", 403),
        ("outsider", 403),
        ("trainer", 200),
        ("other_trainer", 404),
        ("staff", 200),
    ],
)
def test_api_accept_by_role(client, as_, classroom, upcoming, who, status):
    excuse = excuses.request_leave(upcoming.id, classroom.trainee, "Sick")
    db.session.commit()
    response = client.post(
        f"/api/v1/excuses/{excuse.id}/accept", json={"note": "ok"}, headers=as_(who)
    )
    assert response.status_code == status, response.get_data(as_text=True)
    mark = _mark(upcoming, classroom.enrollment)
    if status == 200:
        body = response.get_json()
        assert body["status"] == "accepted" and body["note"] == "ok"
        assert body["decided_by"]["id"] == classroom.by_role(who).id
        assert (mark.status, mark.source) == ("excused", "excuse")
    else:
        assert mark is None


def test_api_decline_then_accept_is_409_and_unknown_is_404(client, as_, classroom, upcoming):
    excuse = excuses.request_leave(upcoming.id, classroom.trainee, "Sick")
    db.session.commit()
    response = client.post(
        f"/api/v1/excuses/{excuse.id}/decline", json={"note": "Exam"}, headers=as_("trainer")
    )
    assert response.status_code == 200 and response.get_json()["status"] == "declined"
    assert_json_error(
        client.post(f"/api/v1/excuses/{excuse.id}/accept", json={}, headers=as_("trainer")),
        409,
        "already_decided",
    )
    assert_json_error(
        client.post("/api/v1/excuses/999999/accept", json={}, headers=as_("staff")), 404
    )
    assert db.session.scalar(select(ExcuseRequest.status)) == "declined"


def test_the_attendance_api_shows_the_excuse_source(client, as_, classroom, create_session):
    starts = utcnow() - timedelta(minutes=10)
    today = create_session(classroom.course, starts_at=starts, ends_at=starts + timedelta(hours=2))
    excuse = excuses.request_leave(today.id, classroom.trainee, "Sick")
    excuses.decide(excuse, classroom.trainer, accept=True)
    db.session.commit()
    records = client.get(
        f"/api/v1/sessions/{today.id}/attendance", headers=as_("trainer")
    ).get_json()["records"]
    (record,) = [r for r in records if r["enrollment_id"] == classroom.enrollment.id]
    assert (record["status"], record["source"]) == ("excused", "excuse")


def test_a_trainees_requests_are_in_their_data_and_erased_with_it(classroom, upcoming):
    from lms.privacy import services as privacy

    excuse = excuses.request_leave(upcoming.id, classroom.trainee, "Cek kesehatan paru")
    excuses.decide(excuse, classroom.staff, accept=False, note="Ujian akhir")
    db.session.commit()
    (exported,) = privacy.personal_data(classroom.trainee)["excuse_requests"]
    assert (exported["reason"], exported["status"], exported["note"]) == (
        "Cek kesehatan paru",
        "declined",
        "Ujian akhir",
    )
    privacy.anonymise(classroom.trainee, classroom.staff)
    db.session.commit()
    db.session.expire_all()
    erased = db.session.get(ExcuseRequest, excuse.id)
    assert (erased.reason, erased.note, erased.status) == ("", None, "declined")
    notes = [
        e.data.get("note")
        for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "excuse_request")
        )
    ]
    assert "Ujian akhir" not in notes
