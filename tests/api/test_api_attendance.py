"""The attendance API: a session's marks, QR check-in, check-in codes, assessments and a course's
summary, for every role, with the 400/403/404/409 answers in English and Indonesian."""

import re
from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from lms.attendance import checkin
from lms.attendance import services as attendance
from lms.attendance.models import Assessment, Attendance, AttendanceBatch
from lms.audit.models import AuditEntry
from lms.catalog import services as catalog
from lms.core.time import format_local
from lms.core.types import utcnow
from lms.enrollment import services as enrolment
from lms.enrollment.models import Enrollment
from lms.extensions import db
from lms.outbox.models import OutboxMessage
from tests.fixtures.api import assert_json_error
from tests.fixtures.attendance import ACTORS
from tests.fixtures.i18n import tr
from tests.fixtures.pages import csrf_token
from tests.fixtures.queries import statements

#: every actor: anonymous, a trainee of the course, a trainee of another course, the course's
#: trainer, a trainer of another course, staff, admin
#: who may read and mark a session, see its code, assess and read the summary
MANAGERS = {
    None: 401,
    "trainee": 403,
    "outsider": 403,
    "trainer": 200,
    "other_trainer": 404,
    "staff": 200,
    "admin": 200,
}


def marks_of(session):
    db.session.expire_all()
    return {
        a.enrollment_id: a.status
        for a in db.session.scalars(select(Attendance).where(Attendance.session_id == session.id))
    }


@pytest.fixture
def yesterday(classroom, add_meeting):
    """Yesterday's meeting: held, and its trainer may still mark it."""
    return add_meeting(classroom.course, -1)


@pytest.fixture
def now_session(classroom, create_session):
    """A meeting that began five minutes ago: check-in is open, within the grace period."""
    starts = utcnow() - timedelta(minutes=5)
    return create_session(classroom.course, starts_at=starts, ends_at=starts + timedelta(hours=3))


def url(session, tail="attendance"):
    return f"/api/v1/sessions/{session.id}/{tail}"


def roster_body(classroom, status="present"):
    """Everyone on the classroom's roster with one status."""
    return {"records": [{"enrollment_id": e.id, "status": status} for e in classroom.enrollments]}


# --- GET /api/v1/sessions/{id}/attendance ------------------------------------------------------


@pytest.mark.parametrize("who", ACTORS)
def test_read_a_roster_by_role(client, as_, classroom, yesterday, who):
    response = client.get(url(yesterday), headers=as_(who))
    if MANAGERS[who] != 200:
        assert_json_error(response, MANAGERS[who])
        return
    assert response.status_code == 200
    body = response.get_json()
    assert body["session"]["id"] == yesterday.id
    assert body["session"]["can_mark"] is True and body["session"]["refusal"] is None
    assert [r["enrollment_id"] for r in body["records"]] == [e.id for e in classroom.enrollments]
    for record, trainee in zip(body["records"], classroom.trainees, strict=True):
        assert record["trainee"] == {"id": trainee.id, "name": trainee.name}
        assert record["status"] is None
        assert record["marked_by"] is None and record["marked_at"] is None


def test_a_roster_shows_the_marks(client, as_, classroom, yesterday):
    first, second, third = classroom.enrollments
    attendance.save_marks(
        yesterday,
        [
            {"enrollment_id": first.id, "status": "late", "note": "Ban bocor"},
            {"enrollment_id": second.id, "status": "excused"},
        ],
        classroom.trainer,
    )
    db.session.commit()
    body = client.get(url(yesterday), headers=as_("staff", "id")).get_json()
    records = {r["enrollment_id"]: r for r in body["records"]}
    assert records[first.id]["status"] == "late"
    assert records[first.id]["note"] == "Ban bocor"
    assert records[first.id]["status_label"] == tr("Late", "id")
    assert records[first.id]["marked_by"] == {
        "id": classroom.trainer.id,
        "name": classroom.trainer.name,
    }
    assert records[first.id]["marked_at"] and records[first.id]["source"] == "trainer"
    assert records[second.id]["status"] == "excused"
    assert records[third.id]["status"] is None
    text = str(body)
    for trainee in classroom.trainees:  # a roster never shows contact or identity data
        assert trainee.email not in text and trainee.nik not in text and trainee.phone not in text


def test_a_roster_says_when_it_is_locked(client, as_, classroom, add_meeting):
    old = add_meeting(classroom.course, 0)  # ten days ago
    body = client.get(url(old), headers=as_("trainer", "id")).get_json()
    assert body["session"]["can_mark"] is False
    with force_locale("id"):
        expected = gettext(
            "Attendance of this session was locked on %(day)s; ask the office to change it.",
            day=format_local(attendance.edit_deadline(old), "d MMM y, HH:mm"),
        )
    assert body["session"]["refusal"] == expected
    assert client.get(url(old), headers=as_("staff")).get_json()["session"]["can_mark"] is True


@pytest.mark.parametrize("who", ["trainer", "staff"])
def test_a_missing_session(client, as_, classroom, who):
    assert_json_error(client.get("/api/v1/sessions/424242/attendance", headers=as_(who)), 404)
    response = client.put(
        "/api/v1/sessions/424242/attendance", json={"records": []}, headers=as_(who)
    )
    assert_json_error(response, 404)


# --- PUT /api/v1/sessions/{id}/attendance ------------------------------------------------------


@pytest.mark.parametrize("who", ACTORS)
def test_mark_a_roster_by_role(client, as_, classroom, yesterday, who):
    response = client.put(url(yesterday), json=roster_body(classroom), headers=as_(who))
    if MANAGERS[who] != 200:
        assert_json_error(response, MANAGERS[who])
        assert marks_of(yesterday) == {}
        return
    assert response.status_code == 200
    assert response.get_json() == {"saved": 3}
    assert set(marks_of(yesterday).values()) == {"present"}
    row = db.session.scalars(select(Attendance)).first()
    assert row.marked_by_id == classroom.by_role(who).id and row.source == "trainer"


def test_changes_are_saved_and_audited(client, as_, classroom, yesterday):
    client.put(url(yesterday), json=roster_body(classroom), headers=as_("trainer"))
    body = roster_body(classroom)
    body["records"][1]["status"] = "absent"
    response = client.put(url(yesterday), json=body, headers=as_("trainer"))
    assert response.get_json() == {"saved": 1}
    (entry,) = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "attendance.changed")
    ).all()
    assert entry.actor_id == classroom.trainer.id
    assert (entry.data["old"], entry.data["new"]) == ("present", "absent")
    # the same roster again: nothing to save
    assert client.put(url(yesterday), json=body, headers=as_("trainer")).get_json() == {"saved": 0}


@pytest.mark.parametrize("lang", ["en", "id"])
def test_bad_records_refuse_the_lot(client, as_, classroom, yesterday, lang):
    first, second, third = classroom.enrollments
    outsiders = classroom.outsider  # enrolled in another course
    theirs = db.session.scalar(select(Enrollment).where(Enrollment.user_id == outsiders.id))
    body = {
        "records": [
            {"enrollment_id": first.id, "status": "present"},
            {"enrollment_id": theirs.id, "status": "present"},
            {"enrollment_id": third.id, "status": "present"},
        ]
    }
    response = client.put(url(yesterday), json=body, headers=as_("trainer", lang))
    error = assert_json_error(response, 400, "invalid")
    assert error["message"] == tr("Please correct the marked fields.", lang)
    assert error["fields"] == {
        "records.1": [tr("This trainee is not on the session's roster.", lang)]
    }
    assert marks_of(yesterday) == {}


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "records"),
        ({"records": "all present"}, "records"),
        ({"records": [{"enrollment_id": 1, "status": "hadir"}]}, "records.0.status"),
        ({"records": [{"enrollment_id": "1", "status": "present"}]}, "records.0.enrollment_id"),
        ({"records": [{"status": "present"}]}, "records.0.enrollment_id"),
        ({"records": [{"enrollment_id": 1}]}, "records.0.status"),
        ({"records": [], "batch_id": ""}, "batch_id"),
        ({"records": [], "batch_id": "x" * 65}, "batch_id"),
        ({"records": [], "source": "import"}, "source"),
    ],
)
def test_malformed_bodies(client, as_, classroom, yesterday, body, field):
    response = client.put(url(yesterday), json=body, headers=as_("trainer", "id"))
    error = assert_json_error(response, 400, "invalid")
    assert field in error["fields"], error
    assert marks_of(yesterday) == {}


def test_a_bad_status_is_named_in_indonesian(client, as_, classroom, yesterday):
    body = {"records": [{"enrollment_id": classroom.enrollment.id, "status": "hadir"}]}
    error = assert_json_error(
        client.put(url(yesterday), json=body, headers=as_("staff", "id")), 400
    )
    assert error["fields"]["records.0.status"] == [tr("Not a valid choice.", "id")]


def test_not_json_is_a_400(client, as_, classroom, yesterday):
    headers = {**as_("trainer"), "Content-Type": "application/json"}
    response = client.put(url(yesterday), data="{records: [", headers=headers)
    assert_json_error(response, 400)


def test_a_batch_sent_twice_is_applied_once(client, as_, classroom, yesterday):
    body = {**roster_body(classroom), "batch_id": "6f1c7a7e-2f55-4c59-9d6b-0d7f3f3f7a10"}
    assert client.put(url(yesterday), json=body, headers=as_("trainer")).get_json() == {"saved": 3}
    resend = {**roster_body(classroom, "absent"), "batch_id": body["batch_id"]}
    response = client.put(url(yesterday), json=resend, headers=as_("trainer"))
    assert response.status_code == 200 and response.get_json() == {"saved": 0}
    assert set(marks_of(yesterday).values()) == {"present"}
    assert db.session.scalar(select(func.count()).select_from(AttendanceBatch)) == 1
    sources = set(db.session.scalars(select(Attendance.source)))
    assert sources == {"trainer"}  # a batch id makes a retry safe; it says nothing of the source


def test_the_client_may_name_the_source(client, as_, classroom, yesterday):
    body = {**roster_body(classroom), "batch_id": "b-1", "source": "offline"}
    client.put(url(yesterday), json=body, headers=as_("trainer"))
    assert set(db.session.scalars(select(Attendance.source))) == {"offline"}


@pytest.mark.parametrize("lang", ["en", "id"])
def test_the_edit_lock(client, as_, classroom, add_meeting, lang):
    old = add_meeting(classroom.course, 0)  # ten days ago: locked for trainers
    response = client.put(url(old), json=roster_body(classroom), headers=as_("trainer", lang))
    error = assert_json_error(response, 403, "forbidden")
    with force_locale(lang):
        expected = gettext(
            "Attendance of this session was locked on %(day)s; ask the office to change it.",
            day=format_local(attendance.edit_deadline(old), "d MMM y, HH:mm"),
        )
    assert error["message"] == expected
    assert marks_of(old) == {}
    for who in ("staff", "admin"):
        response = client.put(url(old), json=roster_body(classroom), headers=as_(who))
        assert response.status_code == 200


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_later_session_cannot_be_marked(client, as_, classroom, add_meeting, lang):
    later = add_meeting(classroom.course, 12)
    for who in ("trainer", "staff"):
        response = client.put(url(later), json=roster_body(classroom), headers=as_(who, lang))
        error = assert_json_error(response, 403, "forbidden")
        assert error["message"] == tr("Attendance can be marked from the day of the session.", lang)
    assert marks_of(later) == {}


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_cancelled_session_cannot_be_marked(client, as_, classroom, yesterday, lang):
    catalog.cancel_session(yesterday, "Banjir")
    db.session.commit()
    response = client.put(url(yesterday), json=roster_body(classroom), headers=as_("staff", lang))
    error = assert_json_error(response, 403)
    assert error["message"] == tr("This session was cancelled.", lang)


def test_the_site_may_mark_with_the_login_session(client, login, classroom, yesterday):
    login(classroom.trainer)
    token = csrf_token(client)
    body = roster_body(classroom)
    assert client.put(url(yesterday), json=body).status_code == 401  # a cookie alone: no
    assert client.put(url(yesterday), json=body, headers={"X-CSRFToken": "forged"}).status_code == (
        401
    )
    assert marks_of(yesterday) == {}
    response = client.put(url(yesterday), json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json() == {"saved": 3}
    read = client.get(url(yesterday), headers={"X-CSRFToken": token})
    assert read.status_code == 200
    assert {r["status"] for r in read.get_json()["records"]} == {"present"}


def test_the_session_cookie_of_another_trainer_is_not_enough(client, login, classroom, yesterday):
    login(classroom.other_trainer)
    token = csrf_token(client)
    response = client.put(
        url(yesterday), json=roster_body(classroom), headers={"X-CSRFToken": token}
    )
    assert_json_error(response, 404)


def test_a_trainee_falling_behind_is_told(client, as_, classroom, add_meeting):
    catalog.update_course(classroom.course, {"attendance_threshold": 0.8})
    db.session.commit()
    me = classroom.enrollment
    for day, status in ((-2, "present"), (-1, "absent")):
        session = add_meeting(classroom.course, day)
        body = roster_body(classroom)
        body["records"][0]["status"] = status
        assert client.put(url(session), json=body, headers=as_("trainer")).status_code == 200
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "attendance_low")
    ).all()
    assert [m.user_id for m in messages] == [me.user_id]
    db.session.refresh(me)
    assert me.attendance_alert_at is not None


def test_saving_a_roster_does_not_grow_with_it(client, as_, make_classroom, add_meeting):
    counts = {}
    for size in (10, 40):
        room = make_classroom(size)
        session = add_meeting(room.course, -1)
        headers = as_(room.trainer)
        body = {"records": [{"enrollment_id": e.id, "status": "present"} for e in room.enrollments]}
        changed = {
            "records": [
                {"enrollment_id": e.id, "status": "late", "note": "Hujan"} for e in room.enrollments
            ],
            "batch_id": f"batch-{size}",
        }
        with statements() as new:
            assert client.put(url(session), json=body, headers=headers).get_json() == {
                "saved": size
            }
        with statements() as updated:
            assert client.put(url(session), json=changed, headers=headers).get_json() == {
                "saved": size
            }
        counts[size] = (len(new), len(updated))
    assert counts[10] == counts[40], counts


# --- POST /api/v1/sessions/{id}/check-in -------------------------------------------------------


def current_code(session):
    code, _expires = attendance.current_checkin_code(session)
    db.session.commit()
    return code


@pytest.mark.parametrize(
    "who, status",
    [
        (None, 401),
        ("trainee", 200),
        ("outsider", 404),
        ("trainer", 403),
        ("other_trainer", 403),
        ("staff", 403),
        ("admin", 403),
    ],
)
def test_check_in_by_role(client, as_, classroom, now_session, who, status):
    body = {"code": current_code(now_session)}
    response = client.post(url(now_session, "check-in"), json=body, headers=as_(who))
    if status != 200:
        assert_json_error(response, status)
        assert marks_of(now_session) == {}
        return
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["status"] == "present" and answer["session_id"] == now_session.id
    assert marks_of(now_session) == {classroom.enrollment.id: "present"}
    row = db.session.scalars(select(Attendance)).one()
    assert row.source == "checkin" and row.marked_by_id == classroom.trainee.id


def test_check_in_past_the_grace_period_is_late(client, as_, classroom, create_session):
    starts = utcnow() - timedelta(minutes=40)
    session = create_session(
        classroom.course, starts_at=starts, ends_at=starts + timedelta(hours=2)
    )
    body = {"code": current_code(session)}
    response = client.post(url(session, "check-in"), json=body, headers=as_("trainee", "id"))
    assert response.get_json()["status"] == "late"
    assert response.get_json()["status_label"] == tr("Late", "id")


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_wrong_code(client, as_, classroom, now_session, lang):
    good = current_code(now_session)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = client.post(
        url(now_session, "check-in"), json={"code": wrong}, headers=as_("trainee", lang)
    )
    error = assert_json_error(response, 400, "bad_code")
    assert error["message"] == tr(
        "This code is wrong or has expired. Scan the code on the trainer's screen again.", lang
    )
    assert error["fields"] == {"code": [tr("This code is wrong or has expired.", lang)]}
    assert marks_of(now_session) == {}


def test_an_expired_code(app, client, as_, classroom, now_session):
    period = app.config["CHECKIN_CODE_PERIOD"]
    secret = now_session.checkin_secret
    db.session.commit()
    old = checkin.current_code(secret, utcnow() - timedelta(seconds=3 * period))[0]
    response = client.post(url(now_session, "check-in"), json={"code": old}, headers=as_("trainee"))
    assert_json_error(response, 400, "bad_code")


def test_a_code_of_another_session(client, as_, classroom, now_session, create_session):
    starts = now_session.starts_at + timedelta(minutes=1)
    other = create_session(classroom.course, starts_at=starts, ends_at=starts + timedelta(hours=1))
    now_session.checkin_secret, other.checkin_secret = "00" * 20, "11" * 20
    db.session.commit()
    foreign = current_code(other)
    response = client.post(
        url(now_session, "check-in"), json={"code": foreign}, headers=as_("trainee")
    )
    assert_json_error(response, 400, "bad_code")


@pytest.mark.parametrize("lang", ["en", "id"])
def test_check_in_outside_the_window(client, as_, classroom, yesterday, lang):
    body = {"code": current_code(yesterday)}
    response = client.post(url(yesterday, "check-in"), json=body, headers=as_("trainee", lang))
    error = assert_json_error(response, 400, "outside_window")
    assert error["fields"] == {"code": [tr("Check-in is closed now.", lang)]}
    opens, closes = attendance.checkin_window(yesterday)
    with force_locale(lang):
        expected = gettext(
            "Check-in is open from %(start)s to %(end)s.",
            start=format_local(opens, "d MMM, HH:mm"),
            end=format_local(closes, "HH:mm"),
        )
    assert error["message"] == expected


@pytest.mark.parametrize("lang", ["en", "id"])
def test_one_check_in_per_session(client, as_, classroom, now_session, lang):
    body = {"code": current_code(now_session)}
    assert client.post(
        url(now_session, "check-in"), json=body, headers=as_("trainee")
    ).status_code == (200)
    response = client.post(url(now_session, "check-in"), json=body, headers=as_("trainee", lang))
    error = assert_json_error(response, 409, "already_marked")
    with force_locale(lang):
        expected = gettext(
            "You are already marked %(status)s for this session.", status=gettext("Present")
        )
    assert error["message"] == expected
    assert len(marks_of(now_session)) == 1


def test_a_trainer_mark_stands(client, as_, classroom, now_session):
    body = {"records": [{"enrollment_id": classroom.enrollment.id, "status": "absent"}]}
    client.put(url(now_session), json=body, headers=as_("trainer"))
    code = {"code": current_code(now_session)}
    response = client.post(url(now_session, "check-in"), json=code, headers=as_("trainee"))
    assert_json_error(response, 409, "already_marked")
    assert marks_of(now_session) == {classroom.enrollment.id: "absent"}


def test_a_trainer_overrides_a_check_in(client, as_, classroom, now_session):
    code = {"code": current_code(now_session)}
    client.post(url(now_session, "check-in"), json=code, headers=as_("trainee"))
    body = {"records": [{"enrollment_id": classroom.enrollment.id, "status": "excused"}]}
    assert client.put(url(now_session), json=body, headers=as_("trainer")).get_json() == {
        "saved": 1
    }
    records = client.get(url(now_session), headers=as_("trainer")).get_json()["records"]
    mine = next(r for r in records if r["enrollment_id"] == classroom.enrollment.id)
    assert mine["status"] == "excused" and mine["source"] == "trainer"
    assert mine["marked_by"]["id"] == classroom.trainer.id


def test_the_whole_roster_sent_again_keeps_the_check_ins(client, as_, classroom, now_session):
    """A client that sends every row (the same status for a trainee who checked in) keeps the
    check-in as it was: who marked it, when and how; it counts only the new marks."""
    me = classroom.enrollment
    code = {"code": current_code(now_session)}
    assert (
        client.post(url(now_session, "check-in"), json=code, headers=as_("trainee")).status_code
        == 200
    )
    checked_in = db.session.scalars(select(Attendance)).one()
    when = checked_in.marked_at
    body = roster_body(classroom)  # everyone present, the one who checked in too
    for batch in (None, "resend-1"):
        sent = {**body, "batch_id": batch} if batch else body
        saved = client.put(url(now_session), json=sent, headers=as_("trainer")).get_json()
        assert saved == {"saved": 2 if batch is None else 0}
    db.session.expire_all()
    mine = db.session.scalars(select(Attendance).where(Attendance.enrollment_id == me.id)).one()
    assert (mine.status, mine.source, mine.marked_by_id) == ("present", "checkin", me.user_id)
    assert mine.marked_at == when
    changed = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("attendance.%changed"))
    ).all()
    assert changed == []


def test_a_new_note_alone_keeps_the_mark_and_is_audited(client, as_, classroom, now_session):
    me = classroom.enrollment
    code = {"code": current_code(now_session)}
    assert (
        client.post(url(now_session, "check-in"), json=code, headers=as_("trainee")).status_code
        == 200
    )
    body = {"records": [{"enrollment_id": me.id, "status": "present", "note": "Datang bersama"}]}
    assert client.put(url(now_session), json=body, headers=as_("trainer")).get_json() == {
        "saved": 1
    }
    db.session.expire_all()
    mine = db.session.scalars(select(Attendance)).one()
    assert (mine.status, mine.source, mine.note) == ("present", "checkin", "Datang bersama")
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "attendance.note_changed")
    ).one()
    assert entry.actor_id == classroom.trainer.id
    assert (entry.data["old"], entry.data["new"]) == (None, "Datang bersama")


@pytest.mark.parametrize("lang", ["en", "id"])
def test_check_in_to_a_cancelled_session(client, as_, classroom, now_session, lang):
    body = {"code": current_code(now_session)}
    catalog.cancel_session(now_session, "Listrik padam")
    db.session.commit()
    response = client.post(url(now_session, "check-in"), json=body, headers=as_("trainee", lang))
    error = assert_json_error(response, 400, "cancelled")
    assert error["message"] == tr("This session was cancelled.", lang)


@pytest.mark.parametrize("body", [{}, {"code": 123456}, {"code": None}])
def test_check_in_needs_a_code(client, as_, classroom, now_session, body):
    response = client.post(url(now_session, "check-in"), json=body, headers=as_("trainee", "id"))
    error = assert_json_error(response, 400, "invalid")
    assert "code" in error["fields"]


@pytest.mark.parametrize("lang", ["en", "id"])
def test_check_in_when_not_enrolled(client, as_, classroom, now_session, lang):
    body = {"code": current_code(now_session)}
    response = client.post(url(now_session, "check-in"), json=body, headers=as_("outsider", lang))
    error = assert_json_error(response, 404, "not_found")
    assert error["message"] == tr(
        "This session does not exist, or you are not enrolled in its course.", lang
    )


def test_check_in_to_a_missing_session(client, as_, classroom):
    response = client.post(
        "/api/v1/sessions/8080/check-in", json={"code": "123456"}, headers=as_("trainee")
    )
    assert_json_error(response, 404)


def test_no_warning_during_a_session_the_rate_counts_it(
    client, as_, classroom, add_meeting, now_session
):
    """Five minutes into a session nobody is warned for it (warnings count ended sessions
    only), while the rate the API shows counts it from its start (API.md)."""
    me = classroom.enrollment
    catalog.update_course(classroom.course, {"attendance_threshold": 0.6})
    db.session.commit()
    first, second = add_meeting(classroom.course, -3), add_meeting(classroom.course, -2)
    for session, status in ((first, "present"), (second, "present")):
        others = [{"enrollment_id": e.id, "status": "present"} for e in classroom.enrollments[1:]]
        attendance.save_marks(
            session, [{"enrollment_id": me.id, "status": status}, *others], classroom.staff
        )
    db.session.commit()
    # a save of the running session with me absent so far: the rate drops to 2 of 3 ...
    attendance.save_marks(
        now_session, [{"enrollment_id": me.id, "status": "absent"}], classroom.staff
    )
    attendance.alert_running_courses()
    db.session.commit()
    summary = client.get(
        f"/api/v1/courses/{classroom.course.id}/attendance-summary", headers=as_("staff")
    ).get_json()
    mine = next(i for i in summary["items"] if i["enrollment_id"] == me.id)
    assert mine["held"] == 3 and mine["absent"] == 1
    # ... and with a threshold above it, the rate is below, yet nobody was told
    catalog.update_course(classroom.course, {"attendance_threshold": 0.9})
    db.session.commit()
    assert attendance.alert_running_courses() == 0
    db.session.commit()
    db.session.refresh(me)
    assert me.attendance_alert_at is None
    assert attendance.falling_behind(classroom.course) == set()


# --- GET /api/v1/sessions/{id}/check-in-code ---------------------------------------------------


@pytest.mark.parametrize("who", ACTORS)
def test_check_in_code_by_role(app, client, as_, classroom, now_session, who):
    response = client.get(url(now_session, "check-in-code"), headers=as_(who))
    if MANAGERS[who] != 200:
        assert_json_error(response, MANAGERS[who])
        return
    assert response.status_code == 200
    body = response.get_json()
    assert re.fullmatch(r"\d{6}", body["code"])
    period = app.config["CHECKIN_CODE_PERIOD"]
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires.utcoffset() is not None
    assert period - 5 < (expires - utcnow()).total_seconds() <= 2 * period + 1
    # the code shown works for a trainee of the course
    check = client.post(
        url(now_session, "check-in"), json={"code": body["code"]}, headers=as_("trainee")
    )
    assert check.status_code == 200


def test_the_code_stays_while_its_period_lasts(client, as_, classroom, now_session):
    first = client.get(url(now_session, "check-in-code"), headers=as_("trainer")).get_json()
    again = client.get(url(now_session, "check-in-code"), headers=as_("staff")).get_json()
    if first["expires_at"] == again["expires_at"]:  # not across a rotation
        assert first["code"] == again["code"]


def test_check_in_code_of_a_missing_session(client, as_, classroom):
    assert_json_error(client.get("/api/v1/sessions/777/check-in-code", headers=as_("staff")), 404)


# --- PUT /api/v1/enrollments/{id}/assessment ---------------------------------------------------


def assess_url(enrollment):
    return f"/api/v1/enrollments/{enrollment.id}/assessment"


@pytest.mark.parametrize("who", ACTORS)
def test_assess_by_role(client, as_, classroom, who):
    me = classroom.enrollment
    response = client.put(assess_url(me), json={"score": 82.5}, headers=as_(who))
    if MANAGERS[who] != 200:
        assert_json_error(response, MANAGERS[who])
        assert db.session.scalar(select(func.count()).select_from(Assessment)) == 0
        return
    assert response.status_code == 200
    body = response.get_json()
    assert body["enrollment_id"] == me.id
    assert body["score"] == 82.5 and body["competent"] is None
    actor = classroom.by_role(who)
    assert body["assessed_by"] == {"id": actor.id, "name": actor.name}
    row = db.session.scalar(select(Assessment))
    assert (row.score, row.competent, row.assessed_by_id) == (82.5, None, actor.id)


def test_competent_or_not_yet(client, as_, classroom):
    me = classroom.enrollment
    body = client.put(assess_url(me), json={"competent": False}, headers=as_("trainer")).get_json()
    assert body["competent"] is False and body["passed"] is False
    body = client.put(
        assess_url(me), json={"competent": True, "score": 90}, headers=as_("trainer")
    ).get_json()
    assert body["competent"] is True and body["score"] == 90 and body["passed"] is True
    assert db.session.scalar(select(func.count()).select_from(Assessment)) == 1
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "assessment.recorded").order_by(AuditEntry.id)
    ).all()
    assert len(entries) == 2 and entries[1].data["old"] == {"score": None, "competent": False}


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize(
    "body, field, msgid",
    [
        ({"score": 101}, "score", "Enter a score from 0 to 100."),
        ({"score": -0.5}, "score", "Enter a score from 0 to 100."),
        ({}, "score", "Give a score or say whether the trainee is competent."),
        (
            {"score": None, "competent": None},
            "score",
            "Give a score or say whether the trainee is competent.",
        ),
        ({"score": "banyak"}, "score", "Not a valid number."),
        ({"competent": "ya"}, "competent", "Not a valid boolean."),
        ({"competent": 1}, "competent", "Not a valid boolean."),
    ],
)
def test_assessment_validation(client, as_, classroom, body, field, msgid, lang):
    response = client.put(assess_url(classroom.enrollment), json=body, headers=as_("trainer", lang))
    error = assert_json_error(response, 400, "invalid")
    assert error["fields"][field] == [tr(msgid, lang)]
    assert db.session.scalar(select(func.count()).select_from(Assessment)) == 0


@pytest.mark.parametrize("lang", ["en", "id"])
def test_only_enrolled_trainees_are_assessed(client, as_, classroom, lang):
    gone = classroom.enrollments[2]
    enrolment.cancel(gone, actor=classroom.staff)
    db.session.commit()
    response = client.put(assess_url(gone), json={"score": 70}, headers=as_("trainer", lang))
    error = assert_json_error(response, 409, "not_enrolled")
    assert error["message"] == tr("Only an enrolled trainee can be assessed.", lang)


def test_assess_a_missing_enrolment(client, as_, classroom):
    response = client.put(
        "/api/v1/enrollments/31337/assessment", json={"score": 1}, headers=as_("staff")
    )
    assert_json_error(response, 404)


def test_a_trainer_cannot_assess_in_another_course(client, as_, classroom):
    theirs = db.session.scalar(
        select(Enrollment).where(Enrollment.user_id == classroom.outsider.id)
    )
    response = client.put(assess_url(theirs), json={"score": 70}, headers=as_("trainer"))
    assert_json_error(response, 404)


# --- GET /api/v1/courses/{id}/attendance-summary ----------------------------------------------


def summary_url(course):
    return f"/api/v1/courses/{course.id}/attendance-summary"


@pytest.mark.parametrize("who", ACTORS)
def test_summary_by_role(client, as_, classroom, who):
    response = client.get(summary_url(classroom.course), headers=as_(who))
    if MANAGERS[who] != 200:
        assert_json_error(response, MANAGERS[who])
        return
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [i["enrollment_id"] for i in items] == [e.id for e in classroom.enrollments]
    for item in items:  # nothing held yet
        assert (item["held"], item["rate"]) == (0, None)


def test_summary_figures(client, as_, classroom, add_meeting):
    course = classroom.course
    first, second, third = classroom.enrollments
    sessions = [add_meeting(course, day) for day in range(4)]
    marks = [
        ("present", "late", "excused"),
        ("present", "absent", "excused"),
        ("late", "absent", None),
        ("excused", None, None),
    ]
    for session, statuses in zip(sessions, marks, strict=True):
        records = [
            {"enrollment_id": e.id, "status": s}
            for e, s in zip(classroom.enrollments, statuses, strict=True)
            if s is not None
        ]
        attendance.save_marks(session, records, classroom.staff)
    add_meeting(course, 15)  # not held yet
    called_off = add_meeting(course, 5)
    catalog.cancel_session(called_off, "Libur")
    db.session.commit()

    body = client.get(summary_url(course), headers=as_("trainer")).get_json()
    items = {i["enrollment_id"]: i for i in body["items"]}
    assert items[first.id] == {
        **items[first.id],
        "held": 4,
        "present": 2,
        "late": 1,
        "excused": 1,
        "absent": 0,
        "rate": 1.0,
    }
    assert items[first.id]["trainee"] == {"id": first.user.id, "name": first.user.name}
    assert (items[second.id]["late"], items[second.id]["absent"]) == (1, 3)
    assert items[second.id]["rate"] == pytest.approx(1 / 4)
    assert (items[third.id]["excused"], items[third.id]["absent"]) == (2, 2)
    assert items[third.id]["rate"] == 0.0
    assert body["total"] == 3


def test_summary_of_a_missing_course(client, as_, classroom):
    assert_json_error(
        client.get("/api/v1/courses/9999/attendance-summary", headers=as_("staff")), 404
    )


# --- the contract's paths are documented --------------------------------------------------------


def test_openapi_documents_the_attendance_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    expected = {
        "/api/v1/sessions/{session_id}/attendance": {"get", "put"},
        "/api/v1/sessions/{session_id}/check-in": {"post"},
        "/api/v1/sessions/{session_id}/check-in-code": {"get"},
        "/api/v1/enrollments/{enrollment_id}/assessment": {"put"},
        "/api/v1/courses/{course_id}/attendance-summary": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
