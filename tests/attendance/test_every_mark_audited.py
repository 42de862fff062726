"""Every change of a mark goes through one funnel (services.save_marks) and is audited alike,
whatever its source: one entry per mark (check-in on the page and through the API, trainer,
offline, sheet import); a roster of 40 is saved in at most five SQL statements; warnings wait
for a session's end."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.attendance import services
from lms.attendance.models import Attendance
from lms.audit.models import AuditEntry
from lms.catalog import services as catalog
from lms.core.types import utcnow
from lms.extensions import db
from lms.outbox.models import OutboxMessage
from tests.fixtures.queries import statements
from tests.fixtures.users import log_in

#: the keys every per-mark audit entry's data carries, from any source
MARK_KEYS = {"session", "enrollment", "old", "new", "source", "batch"}


def mark_entries():
    """The per-mark audit entries, oldest first (read afresh)."""
    db.session.rollback()
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "attendance").order_by(AuditEntry.id)
    ).all()


def code_of(session):
    value, _expires = services.current_checkin_code(session)
    return value


@pytest.fixture
def now_session(classroom, create_session):
    """A meeting that began two minutes ago (check-in open, within the grace period)."""
    starts = utcnow() - timedelta(minutes=2)
    return create_session(classroom.course, starts_at=starts, ends_at=starts + timedelta(hours=3))


def test_a_check_in_on_the_page_is_audited_like_a_trainer_save(client, classroom, now_session):
    trainee, other = classroom.enrollments[0], classroom.enrollments[1]
    log_in(client, classroom.trainee)
    response = client.post(f"/checkin/{now_session.id}", data={"code": code_of(now_session)})
    assert response.status_code == 200
    (entry,) = mark_entries()
    assert entry.action == "attendance.marked"
    assert entry.actor_id == classroom.trainee.id
    assert entry.data["source"] == "checkin" and entry.data["new"] == "present"
    assert entry.data["enrollment"] == trainee.id and entry.data["session"] == now_session.id
    mark = db.session.scalar(select(Attendance).where(Attendance.enrollment_id == trainee.id))
    assert entry.object_id == mark.id

    # a trainer's save writes the same shape
    services.save_marks(
        now_session, [{"enrollment_id": other.id, "status": "late"}], classroom.trainer
    )
    db.session.commit()
    first, second = mark_entries()
    assert set(first.data) == set(second.data) == MARK_KEYS
    assert second.data["source"] == "trainer"


def test_twelve_api_check_ins_leave_twelve_entries(
    client, make_classroom, create_session, api_headers
):
    room = make_classroom(12)
    starts = utcnow() - timedelta(minutes=2)
    session = create_session(room.course, starts_at=starts, ends_at=starts + timedelta(hours=3))
    for trainee in room.trainees:
        response = client.post(
            f"/api/v1/sessions/{session.id}/check-in",
            json={"code": code_of(session)},
            headers=api_headers(trainee),
        )
        assert response.status_code == 200, response.get_json()
    entries = mark_entries()
    assert len(entries) == 12
    assert {e.data["enrollment"] for e in entries} == {e.id for e in room.enrollments}
    assert {(e.action, e.data["source"]) for e in entries} == {("attendance.marked", "checkin")}
    # and the roster shows where each mark came from
    body = client.get(
        f"/api/v1/sessions/{session.id}/attendance", headers=api_headers(room.trainer)
    ).get_json()
    assert {r["source"] for r in body["records"]} == {"checkin"}


def test_offline_saves_and_changes_are_one_entry_per_mark(
    client, classroom, now_session, api_headers
):
    first, second, third = classroom.enrollments
    headers = api_headers(classroom.trainer)
    url = f"/api/v1/sessions/{now_session.id}/attendance"
    body = {
        "records": [{"enrollment_id": e.id, "status": "present"} for e in (first, second)],
        "batch_id": "off-1",
        "source": "offline",
    }
    assert client.put(url, json=body, headers=headers).get_json() == {"saved": 2}
    # the same batch again: nothing changes, nothing is written
    assert client.put(url, json=body, headers=headers).get_json() == {"saved": 0}
    body = {
        "records": [
            {"enrollment_id": first.id, "status": "present"},  # unchanged: no entry
            {"enrollment_id": second.id, "status": "absent"},
            {"enrollment_id": third.id, "status": "late", "note": "Ban bocor"},
        ],
        "batch_id": "off-2",
        "source": "offline",
    }
    assert client.put(url, json=body, headers=headers).get_json() == {"saved": 2}
    entries = mark_entries()
    assert [(e.action, e.data["enrollment"], e.data["old"], e.data["new"]) for e in entries] == [
        ("attendance.marked", first.id, None, "present"),
        ("attendance.marked", second.id, None, "present"),
        ("attendance.changed", second.id, "present", "absent"),
        ("attendance.marked", third.id, None, "late"),
    ]
    assert {e.data["source"] for e in entries} == {"offline"}
    assert [e.data["batch"] for e in entries] == ["off-1", "off-1", "off-2", "off-2"]
    assert all(
        set(e.data) == MARK_KEYS | ({"old_source"} if e.data["old"] else set()) for e in entries
    )


def test_a_sheet_import_is_one_entry_per_mark(client, classroom, add_meeting):
    yesterday = add_meeting(classroom.course, -1)
    first, second, third = classroom.enrollments
    services.save_marks(
        yesterday, [{"enrollment_id": first.id, "status": "late"}], classroom.trainer
    )
    db.session.commit()
    sheet = f"enrollment_id,status\n{first.id},hadir\n{second.id},alpa\n{third.id},izin\n"
    log_in(client, classroom.trainer)
    response = client.post(
        f"/trainer/sessions/{yesterday.id}/import",
        data={"file": (io.BytesIO(sheet.encode()), "sheet.csv")},
    )
    assert response.status_code == 302
    imported = [e for e in mark_entries() if e.data["source"] == "import"]
    assert sorted((e.action, e.data["enrollment"], e.data["new"]) for e in imported) == sorted(
        [
            ("attendance.changed", first.id, "present"),
            ("attendance.marked", second.id, "absent"),
            ("attendance.marked", third.id, "excused"),
        ]
    )


def test_a_note_change_is_audited_and_keeps_who_marked(classroom, add_meeting):
    yesterday = add_meeting(classroom.course, -1)
    me = classroom.enrollment
    services.save_marks(yesterday, [{"enrollment_id": me.id, "status": "late"}], classroom.trainer)
    db.session.commit()
    marked_at = db.session.scalar(select(Attendance.marked_at))
    services.save_marks(
        yesterday,
        [{"enrollment_id": me.id, "status": "late", "note": "Macet"}],
        classroom.staff,
        source="offline",
    )
    db.session.commit()
    mark = db.session.scalar(select(Attendance))
    assert (mark.note, mark.source, mark.marked_by_id) == ("Macet", "trainer", classroom.trainer.id)
    assert mark.marked_at == marked_at
    last = mark_entries()[-1]
    assert (last.action, last.data["old"], last.data["new"]) == (
        "attendance.note_changed",
        None,
        "Macet",
    )
    assert last.actor_id == classroom.staff.id


# --- statements -------------------------------------------------------------------------------


def count_statements(session_id, actor_id, records, **kwargs):
    """The statements save_marks sends for a request that found the session (as session_for
    does: the session and its course) and its user."""
    db.session.commit()
    db.session.expire_all()
    from lms.auth.models import User

    actor = db.session.get(User, actor_id)
    session = services.session_for(actor, session_id)
    with statements() as seen:
        saved = services.save_marks(session, records, actor, **kwargs)
        db.session.commit()
    return saved, seen


@pytest.mark.parametrize("when", ["running", "ended"])
def test_a_roster_of_forty_is_saved_in_five_statements(make_classroom, create_session, when):
    room = make_classroom(40)
    starts = utcnow() - (timedelta(minutes=30) if when == "running" else timedelta(hours=5))
    session = create_session(room.course, starts_at=starts, ends_at=starts + timedelta(hours=2))
    records = [
        {"enrollment_id": e.id, "status": "absent" if i % 5 == 0 else "present"}
        for i, e in enumerate(room.enrollments)
    ]
    saved, seen = count_statements(session.id, room.trainer.id, records, batch_id="b-40")
    assert saved == 40
    assert len(seen) <= 5, "\n".join(s[:70] for s in seen)
    # everything changes: a status for half of them, a note for the others
    changed = [
        {"enrollment_id": e.id, "status": "late" if i % 2 else r["status"], "note": "Hujan"}
        for i, (e, r) in enumerate(zip(room.enrollments, records, strict=True))
    ]
    saved, seen = count_statements(session.id, room.trainer.id, changed, batch_id="b-41")
    assert saved == 40
    assert len(seen) <= 5, "\n".join(s[:70] for s in seen)
    # still one audit entry per change
    entries = mark_entries()
    assert len(entries) == 80
    assert sum(e.action == "attendance.note_changed" for e in entries) == 20


# --- warnings wait for a session's end --------------------------------------------------------


def low_messages():
    db.session.rollback()
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "attendance_low")
    ).all()


def test_no_warning_two_minutes_into_a_session(clock, classroom, add_meeting, create_session):
    """Two sessions attended, a third began two minutes ago: counting it as absent would put the
    trainee at 67 % under an 80 % threshold; nobody is warned before it ends."""
    course = classroom.course
    catalog.update_course(course, {"attendance_threshold": 0.8})
    db.session.commit()
    me, others = classroom.enrollment, classroom.enrollments[1:]
    for day in (-3, -2):
        services.save_marks(
            add_meeting(course, day),
            [{"enrollment_id": e.id, "status": "present"} for e in classroom.enrollments],
            classroom.staff,
        )
    db.session.commit()
    starts = utcnow() - timedelta(minutes=2)
    running = create_session(course, starts_at=starts, ends_at=starts + timedelta(hours=2))
    # the trainer marks the others who are there already: a save during the session
    services.save_marks(
        running, [{"enrollment_id": e.id, "status": "present"} for e in others], classroom.trainer
    )
    assert services.alert_running_courses() == 0  # the daily check too
    db.session.commit()
    assert low_messages() == []
    db.session.refresh(me)
    assert me.attendance_alert_at is None
    # the rate shown keeps API.md's definition: the started session counts (2 of 3)
    summary = services.attendance_summary(me)
    assert (summary.held, summary.absent) == (3, 1)
    assert services.falling_behind(course) == set()

    # the session ends and the trainee never came: now they are told, once
    clock.move_to(running.ends_at + timedelta(minutes=1))
    assert services.alert_running_courses() == 1
    db.session.commit()
    (message,) = low_messages()
    assert message.user_id == classroom.trainee.id and "67%" in message.body
    assert services.falling_behind(course) == {me.id}


def test_the_trainees_page_warns_only_once_the_session_ended(
    client, english, clock, classroom, add_meeting, create_session
):
    course = classroom.course
    catalog.update_course(course, {"attendance_threshold": 0.8})
    db.session.commit()
    me = classroom.enrollment
    for day in (-3, -2):
        services.save_marks(
            add_meeting(course, day),
            [{"enrollment_id": me.id, "status": "present"}],
            classroom.staff,
        )
    db.session.commit()
    starts = utcnow() - timedelta(minutes=2)
    running = create_session(course, starts_at=starts, ends_at=starts + timedelta(hours=2))
    log_in(client, classroom.trainee)
    page = client.get(f"/my/enrollments/{me.id}/attendance").get_data(as_text=True)
    assert 'data-testid="rate">67%' in page  # the rate counts the session begun
    assert 'data-testid="below"' not in page  # the warning waits for its end
    clock.move_to(running.ends_at + timedelta(minutes=1))
    page = client.get(f"/my/enrollments/{me.id}/attendance").get_data(as_text=True)
    assert 'data-testid="below"' in page
