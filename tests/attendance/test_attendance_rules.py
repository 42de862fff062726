"""Attendance rules as service calls (no HTTP): the rate formula, the check-in window, grace and
rotating codes, one check-in per session, the trainer's override, the edit lock, audit entries,
all-or-nothing saves, batch idempotency, the paper-sheet import, alerts, assessments, and a
roster save whose number of SQL statements does not grow with the roster."""

from datetime import UTC, datetime, time, timedelta

import pytest
from flask_babel import gettext
from sqlalchemy import func, select

from lms.attendance import checkin
from lms.attendance import services as attendance
from lms.attendance.models import Assessment, Attendance, AttendanceBatch
from lms.audit.models import AuditEntry
from lms.catalog import services as catalog
from lms.core.time import combine_local, local_today
from lms.enrollment import services as enrolment
from lms.errors import Conflict, Forbidden, InvalidInput, NotFound
from lms.extensions import db
from lms.outbox.models import OutboxMessage
from tests.fixtures.queries import statements

#: RFC 4226, appendix D: the secret "12345678901234567890" and its first codes
RFC_SECRET = "3132333435363738393031323334353637383930"
RFC_CODES = ["755224", "287082", "359152", "969429", "338314"]


# --- helpers ----------------------------------------------------------------------------------


def mark(session, enrollment, status, source="trainer", note=None):
    """Write a mark directly (also where the services would refuse: a future session)."""
    db.session.add(
        Attendance(
            session_id=session.id,
            enrollment_id=enrollment.id,
            status=status,
            source=source,
            note=note,
        )
    )
    db.session.commit()


def marks_of(session):
    """{enrolment id: (status, source, note)} of a session, read fresh."""
    db.session.expire_all()
    return {
        a.enrollment_id: (a.status, a.source, a.note)
        for a in db.session.scalars(select(Attendance).where(Attendance.session_id == session.id))
    }


def audits(action):
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    ).all()


def row(n):
    """The key of a sheet's row in an import's error report (in the current language)."""
    return gettext("row %(n)s", n=n)


def figures(summary):
    return (summary.held, summary.present, summary.late, summary.excused, summary.absent)


def summary_in_course(course, enrollment, now=None):
    """The enrolment's summary as the course's summary computes it (another query path)."""
    return {e.id: s for e, s in attendance.course_summaries(course, now)}[enrollment.id]


def everyone(classroom, status, **extra):
    return [{"enrollment_id": e.id, "status": status, **extra} for e in classroom.enrollments]


def period_start(moment, period):
    """The start of the code period ``moment`` falls in."""
    seconds = int(moment.timestamp()) // period * period
    return datetime.fromtimestamp(seconds, UTC)


@pytest.fixture
def today_session(classroom, add_meeting):
    """A meeting today, 08:00-12:00 WIB; the tests pass their own ``now``."""
    return add_meeting(classroom.course)


@pytest.fixture
def yesterday(classroom, add_meeting):
    """Yesterday's meeting, held and within the trainers' edit period."""
    return add_meeting(classroom.course, -1)


# --- the rate formula -------------------------------------------------------------------------


def test_rate_counts_held_sessions_only(classroom, add_meeting):
    course, me = classroom.course, classroom.enrollment
    held = [add_meeting(course, day) for day in range(4)]
    mark(held[0], me, "present")
    mark(held[1], me, "late")
    mark(held[2], me, "excused")
    # held[3] is held and not marked: absent
    future = add_meeting(course, 15)
    mark(future, me, "present")  # marked ahead: not held, counts nowhere
    called_off = add_meeting(course, 5)
    mark(called_off, me, "present")
    catalog.cancel_session(called_off, "Banjir")
    db.session.commit()

    for summary in (attendance.attendance_summary(me), summary_in_course(course, me)):
        assert figures(summary) == (4, 1, 1, 1, 1)
        # (present + late) / (held - excused) = 2 / 3
        assert summary.rate == pytest.approx(2 / 3)


def test_a_session_is_held_once_its_start_has_passed(classroom, today_session):
    me = classroom.enrollment
    mark(today_session, me, "present")
    before = today_session.starts_at - timedelta(seconds=1)
    for summary in (
        attendance.attendance_summary(me, now=before),
        summary_in_course(classroom.course, me, now=before),
    ):
        assert summary.held == 0 and summary.rate is None
    at_start = today_session.starts_at
    for summary in (
        attendance.attendance_summary(me, now=at_start),
        summary_in_course(classroom.course, me, now=at_start),
    ):
        assert figures(summary) == (1, 1, 0, 0, 0) and summary.rate == 1.0


def test_an_unmarked_held_session_is_absent(classroom, add_meeting):
    course, me = classroom.course, classroom.enrollment
    first, second = add_meeting(course, 0), add_meeting(course, 1)
    mark(first, me, "present")
    del second  # nobody marked it
    for summary in (attendance.attendance_summary(me), summary_in_course(course, me)):
        assert figures(summary) == (2, 1, 0, 0, 1)
        assert summary.rate == pytest.approx(0.5)


def test_marks_of_other_trainees_do_not_count(classroom, add_meeting):
    course = classroom.course
    session = add_meeting(course, 0)
    mark(session, classroom.enrollments[1], "present")
    me = classroom.enrollment
    for summary in (attendance.attendance_summary(me), summary_in_course(course, me)):
        assert figures(summary) == (1, 0, 0, 0, 1) and summary.rate == 0.0


def test_no_held_session_gives_no_rate(classroom, add_meeting):
    course, me = classroom.course, classroom.enrollment
    mark(add_meeting(course, 14), me, "present")
    called_off = add_meeting(course, 2)
    catalog.cancel_session(called_off, "Libur nasional")
    db.session.commit()
    for summary in (attendance.attendance_summary(me), summary_in_course(course, me)):
        assert summary.held == 0
        assert summary.rate is None


def test_every_held_session_excused_gives_no_rate(classroom, add_meeting):
    course, me = classroom.course, classroom.enrollment
    for day in range(2):
        mark(add_meeting(course, day), me, "excused")
    for summary in (attendance.attendance_summary(me), summary_in_course(course, me)):
        assert summary.held == 2 and summary.excused == 2
        assert summary.rate is None


# --- the check-in window and the grace period --------------------------------------------------


def code_at(session, now):
    return attendance.current_checkin_code(session, now)[0]


def try_check_in(session, user, now):
    return attendance.check_in(session, user, code_at(session, now), now=now)


def test_check_in_opens_before_the_start(app, classroom, today_session):
    before = timedelta(minutes=app.config["CHECKIN_OPENS_BEFORE_MINUTES"])
    opens = today_session.starts_at - before
    with pytest.raises(InvalidInput) as refused:
        try_check_in(today_session, classroom.trainees[0], opens - timedelta(seconds=1))
    assert refused.value.code == "outside_window"
    assert "code" in refused.value.fields
    assert try_check_in(today_session, classroom.trainees[0], opens).status == "present"


def test_check_in_closes_at_the_end(classroom, today_session):
    closes = today_session.ends_at
    assert try_check_in(today_session, classroom.trainees[0], closes).status == "late"
    with pytest.raises(InvalidInput) as refused:
        try_check_in(today_session, classroom.trainees[1], closes + timedelta(seconds=1))
    assert refused.value.code == "outside_window"
    assert set(marks_of(today_session)) == {classroom.enrollments[0].id}


def test_the_window_follows_the_setting(app, monkeypatch, classroom, today_session):
    monkeypatch.setitem(app.config, "CHECKIN_OPENS_BEFORE_MINUTES", 5)
    opens, closes = attendance.checkin_window(today_session)
    assert opens == today_session.starts_at - timedelta(minutes=5)
    assert closes == today_session.ends_at
    with pytest.raises(InvalidInput):
        try_check_in(
            today_session, classroom.trainee, today_session.starts_at - timedelta(minutes=6)
        )


def test_grace_period_present_then_late(app, classroom, today_session):
    grace = timedelta(minutes=app.config["CHECKIN_GRACE_MINUTES"])
    first, second, third = classroom.trainees
    start = today_session.starts_at
    assert try_check_in(today_session, first, start - timedelta(minutes=10)).status == "present"
    assert try_check_in(today_session, second, start + grace).status == "present"
    assert try_check_in(today_session, third, start + grace + timedelta(seconds=1)).status == "late"
    assert {s for s, source, _n in marks_of(today_session).values()} == {"present", "late"}
    assert {source for _s, source, _n in marks_of(today_session).values()} == {"checkin"}


def test_grace_period_follows_the_setting(app, monkeypatch, classroom, today_session):
    monkeypatch.setitem(app.config, "CHECKIN_GRACE_MINUTES", 0)
    one_second_in = today_session.starts_at + timedelta(seconds=1)
    late = try_check_in(today_session, classroom.trainee, one_second_in)
    assert late.status == "late"


def test_no_check_in_to_a_cancelled_session(classroom, today_session):
    now = today_session.starts_at
    code = code_at(today_session, now)
    catalog.cancel_session(today_session, "Hujan deras")
    db.session.commit()
    with pytest.raises(InvalidInput) as refused:
        attendance.check_in(today_session, classroom.trainee, code, now=now)
    assert refused.value.code == "cancelled"


def test_only_a_trainee_of_the_course_checks_in(classroom, today_session):
    now = today_session.starts_at
    with pytest.raises(NotFound):
        try_check_in(today_session, classroom.outsider, now)
    cancelled = classroom.enrollments[1]
    enrolment.cancel(cancelled, actor=classroom.staff)
    db.session.commit()
    with pytest.raises(NotFound):
        try_check_in(today_session, cancelled.user, now)
    assert marks_of(today_session) == {}


# --- rotating codes ---------------------------------------------------------------------------


def test_codes_are_hotp(app):
    assert [checkin.code_for(RFC_SECRET, c) for c in range(5)] == RFC_CODES


def test_code_rotates_every_period(app):
    period = app.config["CHECKIN_CODE_PERIOD"]
    start = period_start(datetime(2026, 7, 1, 1, 0, 7, tzinfo=UTC), period)
    code, expires = checkin.current_code(RFC_SECRET, start)
    assert checkin.current_code(RFC_SECRET, start + timedelta(seconds=period - 1))[0] == code
    assert checkin.current_code(RFC_SECRET, start + timedelta(seconds=period))[0] != code
    # shown during its own period, accepted through the next one
    assert expires == start + timedelta(seconds=2 * period)


def test_the_previous_code_works_two_back_do_not(app):
    period = app.config["CHECKIN_CODE_PERIOD"]
    start = period_start(datetime(2026, 7, 1, 1, 0, 7, tzinfo=UTC), period)
    code, expires = checkin.current_code(RFC_SECRET, start)
    assert checkin.code_is_valid(RFC_SECRET, code, start)
    assert checkin.code_is_valid(RFC_SECRET, code, start + timedelta(seconds=period))
    assert checkin.code_is_valid(RFC_SECRET, code, expires - timedelta(seconds=1))
    assert not checkin.code_is_valid(RFC_SECRET, code, expires)
    assert not checkin.code_is_valid(RFC_SECRET, code, start + timedelta(seconds=2 * period))
    # nor a code of the future
    upcoming = checkin.current_code(RFC_SECRET, start + timedelta(seconds=period))[0]
    assert not checkin.code_is_valid(RFC_SECRET, upcoming, start)


def test_the_period_follows_the_setting(app, monkeypatch):
    monkeypatch.setitem(app.config, "CHECKIN_CODE_PERIOD", 60)
    start = datetime(2026, 7, 1, 1, 0, 0, tzinfo=UTC)
    code, expires = checkin.current_code(RFC_SECRET, start)
    assert expires == start + timedelta(seconds=120)
    assert checkin.code_is_valid(RFC_SECRET, code, start + timedelta(seconds=119))
    assert not checkin.code_is_valid(RFC_SECRET, code, start + timedelta(seconds=120))


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", None])
def test_malformed_codes_are_refused(app, typed):
    assert not checkin.code_is_valid(RFC_SECRET, typed, datetime(2026, 7, 1, tzinfo=UTC))


def test_a_typed_code_may_carry_spaces(app):
    now = datetime(2026, 7, 1, tzinfo=UTC)
    code = checkin.current_code(RFC_SECRET, now)[0]
    assert checkin.code_is_valid(RFC_SECRET, f" {code[:3]} {code[3:]} ", now)


def test_check_in_with_an_expired_code(app, classroom, today_session):
    period = app.config["CHECKIN_CODE_PERIOD"]
    shown_at = period_start(today_session.starts_at, period)
    code, expires = attendance.current_checkin_code(today_session, shown_at)
    first, second = classroom.trainees[:2]
    later = shown_at + timedelta(seconds=period)
    assert attendance.check_in(today_session, first, code, now=later).status == "present"
    with pytest.raises(InvalidInput) as refused:
        attendance.check_in(today_session, second, code, now=expires)
    assert refused.value.code == "bad_code"
    assert "code" in refused.value.fields


def test_a_code_of_another_session_fails(classroom, today_session, add_meeting):
    other = add_meeting(classroom.course, start=time(13, 0))
    today_session.checkin_secret = "00" * 20
    other.checkin_secret = "11" * 20
    db.session.commit()
    now = today_session.starts_at
    foreign = attendance.current_checkin_code(other, now)[0]
    assert foreign != attendance.current_checkin_code(today_session, now)[0]
    with pytest.raises(InvalidInput) as refused:
        attendance.check_in(today_session, classroom.trainee, foreign, now=now)
    assert refused.value.code == "bad_code"


def test_every_session_has_its_own_secret_from_the_start(classroom, today_session, add_meeting):
    other = add_meeting(classroom.course, start=time(13, 0))
    secrets = {today_session.checkin_secret, other.checkin_secret}
    assert len(secrets) == 2
    assert all(len(bytes.fromhex(s)) >= 16 for s in secrets)
    now = today_session.starts_at
    code = attendance.current_checkin_code(today_session, now)[0]
    assert code == checkin.current_code(today_session.checkin_secret, now)[0]


# --- one check-in per session, and the trainer's override ------------------------------------


def test_one_check_in_per_session(classroom, today_session):
    now = today_session.starts_at
    try_check_in(today_session, classroom.trainee, now)
    with pytest.raises(Conflict) as twice:
        try_check_in(today_session, classroom.trainee, now + timedelta(minutes=1))
    assert twice.value.code == "already_marked"
    assert len(marks_of(today_session)) == 1


def test_a_trainer_mark_stands_against_a_later_check_in(classroom, yesterday):
    attendance.save_marks(
        yesterday,
        [{"enrollment_id": classroom.enrollment.id, "status": "absent"}],
        classroom.trainer,
    )
    db.session.commit()
    with pytest.raises(Conflict):
        try_check_in(yesterday, classroom.trainee, yesterday.starts_at)
    assert marks_of(yesterday)[classroom.enrollment.id][:2] == ("absent", "trainer")


def test_a_trainer_overrides_a_check_in(classroom, yesterday):
    me = classroom.enrollment
    try_check_in(yesterday, classroom.trainee, yesterday.starts_at)
    db.session.commit()
    assert marks_of(yesterday)[me.id][:2] == ("present", "checkin")

    saved = attendance.save_marks(
        yesterday, [{"enrollment_id": me.id, "status": "late"}], classroom.trainer
    )
    db.session.commit()
    assert saved == 1
    assert marks_of(yesterday)[me.id][:2] == ("late", "trainer")
    row = db.session.scalar(select(Attendance).where(Attendance.enrollment_id == me.id))
    assert row.marked_by_id == classroom.trainer.id
    (entry,) = audits("attendance.changed")
    assert entry.actor_id == classroom.trainer.id
    assert entry.object_id == row.id
    assert entry.data["old"] == "present" and entry.data["new"] == "late"
    assert entry.data["old_source"] == "checkin"


# --- the edit lock ----------------------------------------------------------------------------


def present(classroom):
    return everyone(classroom, "present")


def test_trainers_may_edit_until_the_deadline(app, classroom, yesterday):
    days = app.config["ATTENDANCE_EDIT_DAYS"]
    deadline = yesterday.ends_at + timedelta(days=days)
    assert attendance.edit_deadline(yesterday) == deadline
    assert attendance.marking_refusal(classroom.trainer, yesterday, deadline) is None
    assert attendance.save_marks(yesterday, present(classroom), classroom.trainer, now=deadline)
    db.session.commit()
    after = deadline + timedelta(seconds=1)
    assert attendance.marking_refusal(classroom.trainer, yesterday, after)
    with pytest.raises(Forbidden):
        attendance.save_marks(
            yesterday, everyone(classroom, "absent"), classroom.trainer, now=after
        )
    assert {s for s, *_ in marks_of(yesterday).values()} == {"present"}
    # the office may still correct it
    for office in (classroom.staff, classroom.admin):
        assert attendance.marking_refusal(office, yesterday, after + timedelta(days=300)) is None
    changed = attendance.save_marks(
        yesterday, everyone(classroom, "excused"), classroom.staff, now=after + timedelta(days=30)
    )
    assert changed == 3


def test_the_lock_follows_the_setting(app, monkeypatch, classroom, add_meeting):
    session = add_meeting(classroom.course, -5)  # ended five days ago
    assert attendance.marking_refusal(classroom.trainer, session)  # the default is 3 days
    monkeypatch.setitem(app.config, "ATTENDANCE_EDIT_DAYS", 7)
    assert attendance.marking_refusal(classroom.trainer, session) is None
    assert attendance.save_marks(session, present(classroom), classroom.trainer) == 3


def test_a_session_of_a_later_day_cannot_be_marked(classroom, add_meeting):
    tomorrow = add_meeting(classroom.course, 11)
    for actor in (classroom.trainer, classroom.staff):
        assert attendance.marking_refusal(actor, tomorrow)
        with pytest.raises(Forbidden):
            attendance.save_marks(tomorrow, present(classroom), actor)
    assert marks_of(tomorrow) == {}


def test_a_session_can_be_marked_from_its_day(classroom, today_session):
    morning = combine_local(local_today(), time(6, 0))  # before the 08:00 start
    assert attendance.marking_refusal(classroom.trainer, today_session, morning) is None
    the_day_before = morning - timedelta(days=1)
    assert attendance.marking_refusal(classroom.trainer, today_session, the_day_before)


def test_a_cancelled_session_cannot_be_marked(classroom, yesterday):
    catalog.cancel_session(yesterday, "Libur")
    db.session.commit()
    for actor in (classroom.trainer, classroom.staff, classroom.admin):
        with pytest.raises(Forbidden):
            attendance.save_marks(yesterday, present(classroom), actor)
    assert marks_of(yesterday) == {}


# --- audit entries ----------------------------------------------------------------------------


def test_changed_marks_are_audited(classroom, yesterday):
    first, second, third = classroom.enrollments
    assert attendance.save_marks(yesterday, present(classroom), classroom.trainer) == 3
    db.session.commit()
    assert audits("attendance.changed") == []  # new marks are not edits
    (saved,) = audits("attendance.saved")
    assert saved.actor_id == classroom.trainer.id and saved.data["new"] == 3

    records = present(classroom)
    records[1]["status"] = "absent"
    records[2]["status"] = "excused"
    assert attendance.save_marks(yesterday, records, classroom.staff) == 2
    db.session.commit()
    entries = audits("attendance.changed")
    assert [(e.data["enrollment"], e.data["old"], e.data["new"]) for e in entries] == [
        (second.id, "present", "absent"),
        (third.id, "present", "excused"),
    ]
    assert {e.actor_id for e in entries} == {classroom.staff.id}
    assert all(e.at is not None and e.data["session"] == yesterday.id for e in entries)
    # the same roster again changes nothing and writes nothing
    assert attendance.save_marks(yesterday, records, classroom.staff) == 0
    assert len(audits("attendance.changed")) == 2 and len(audits("attendance.saved")) == 2


def test_a_note_is_kept_unless_sent(classroom, yesterday):
    me = classroom.enrollment.id
    attendance.save_marks(
        yesterday, [{"enrollment_id": me, "status": "excused", "note": "Sakit"}], classroom.trainer
    )
    attendance.save_marks(
        yesterday, [{"enrollment_id": me, "status": "excused"}], classroom.trainer
    )
    assert marks_of(yesterday)[me] == ("excused", "trainer", "Sakit")
    attendance.save_marks(
        yesterday, [{"enrollment_id": me, "status": "excused", "note": ""}], classroom.trainer
    )
    assert marks_of(yesterday)[me] == ("excused", "trainer", None)


# --- all or nothing ---------------------------------------------------------------------------


def test_a_bad_record_refuses_the_lot(classroom, yesterday, create_user):
    first, second, third = classroom.enrollments
    attendance.save_marks(
        yesterday, [{"enrollment_id": first.id, "status": "late"}], classroom.trainer
    )
    db.session.commit()
    cancelled = enrolment.enroll(create_user("trainee"), classroom.course, bypass_window=True)
    enrolment.cancel(cancelled, actor=classroom.staff)
    db.session.commit()
    records = [
        {"enrollment_id": first.id, "status": "present"},
        {"enrollment_id": second.id, "status": "hadir"},  # not a status of the API
        {"enrollment_id": third.id, "status": "present"},
        {"enrollment_id": cancelled.id, "status": "present"},  # no longer on the roster
        {"enrollment_id": 987654, "status": "present"},
        {"enrollment_id": third.id, "status": "absent"},  # twice
        {"enrollment_id": second.id, "status": "present", "note": "x" * 301},
    ]
    with pytest.raises(InvalidInput) as refused:
        attendance.save_marks(yesterday, records, classroom.trainer)
    assert set(refused.value.fields) == {
        "records.1",
        "records.3",
        "records.4",
        "records.5",
        "records.6",
    }
    db.session.rollback()
    assert marks_of(yesterday) == {first.id: ("late", "trainer", None)}
    assert len(audits("attendance.saved")) == 1


@pytest.mark.parametrize(
    "record",
    [
        {"enrollment_id": "1", "status": "present"},
        {"enrollment_id": True, "status": "present"},
        {"enrollment_id": [1], "status": "present"},
        {"status": "present"},
        "present",
    ],
)
def test_malformed_records_are_bad_input(classroom, yesterday, record):
    with pytest.raises(InvalidInput) as refused:
        attendance.save_marks(yesterday, [record], classroom.trainer)
    assert set(refused.value.fields) == {"records.0"}


# --- batch ids --------------------------------------------------------------------------------


def test_the_same_batch_is_applied_once(classroom, yesterday):
    assert (
        attendance.save_marks(yesterday, present(classroom), classroom.trainer, batch_id="b-1") == 3
    )
    db.session.commit()
    before = marks_of(yesterday)
    # the resend differs (the client changed its queue): it still changes nothing
    again = attendance.save_marks(
        yesterday, everyone(classroom, "absent"), classroom.trainer, batch_id="b-1"
    )
    db.session.commit()
    assert again == 0
    assert marks_of(yesterday) == before
    assert len(audits("attendance.saved")) == 1
    assert db.session.scalar(select(func.count()).select_from(AttendanceBatch)) == 1
    # another batch is applied
    assert (
        attendance.save_marks(
            yesterday, everyone(classroom, "late"), classroom.trainer, batch_id="b-2"
        )
        == 3
    )


def test_a_refused_batch_may_be_sent_again(classroom, yesterday):
    bad = [{"enrollment_id": classroom.enrollment.id, "status": "maybe"}]
    with pytest.raises(InvalidInput):
        attendance.save_marks(yesterday, bad, classroom.trainer, batch_id="b-7")
    db.session.rollback()
    assert (
        attendance.save_marks(yesterday, present(classroom), classroom.trainer, batch_id="b-7") == 3
    )


def test_a_batch_applied_before_the_lock_is_still_a_no_op(classroom, yesterday):
    attendance.save_marks(yesterday, present(classroom), classroom.trainer, batch_id="b-9")
    db.session.commit()
    locked = attendance.edit_deadline(yesterday) + timedelta(days=1)
    resent = attendance.save_marks(
        yesterday, present(classroom), classroom.trainer, batch_id="b-9", now=locked
    )
    assert resent == 0
    with pytest.raises(Forbidden):  # a new batch is refused
        attendance.save_marks(
            yesterday, present(classroom), classroom.trainer, "offline", "b-10", locked
        )


# --- the paper sheet --------------------------------------------------------------------------


def sheet(classroom, statuses, **extra):
    return [
        {"enrollment_id": str(e.id), "name": e.user.name, "status": s, **extra}
        for e, s in zip(classroom.enrollments, statuses, strict=True)
    ]


def test_a_good_sheet_is_imported(classroom, yesterday):
    first, second, third = classroom.enrollments
    rows = sheet(classroom, ["Hadir", " izin ", "ALPA"], note="")
    rows.append({"enrollment_id": "", "name": "", "status": "", "note": ""})  # an empty line
    assert attendance.import_marks(yesterday, rows, classroom.trainer) == 3
    db.session.commit()
    assert marks_of(yesterday) == {
        first.id: ("present", "import", None),
        second.id: ("excused", "import", None),
        third.id: ("absent", "import", None),
    }


@pytest.mark.parametrize(
    "word, status",
    [
        ("hadir", "present"),
        ("H", "present"),
        ("v", "present"),
        ("✓", "present"),
        ("present", "present"),
        ("terlambat", "late"),
        ("telat", "late"),
        ("T", "late"),
        ("izin", "excused"),
        ("ijin", "excused"),
        ("sakit", "excused"),
        ("S", "excused"),
        ("I", "excused"),
        ("alpa", "absent"),
        ("Alfa", "absent"),
        ("tidak hadir", "absent"),
        ("A", "absent"),
        ("x", "absent"),
    ],
)
def test_status_words_and_letters(classroom, yesterday, word, status):
    me = classroom.enrollment
    rows = [{"enrollment_id": str(me.id), "name": me.user.name, "status": word}]
    assert attendance.import_marks(yesterday, rows, classroom.trainer) == 1
    assert marks_of(yesterday)[me.id][0] == status


def test_a_sheet_from_a_spreadsheet(classroom, yesterday):
    """XLSX cells: whole numbers come as floats, empty cells as None."""
    first, second, third = classroom.enrollments
    rows = [
        {"enrollment_id": float(first.id), "name": "a", "status": "H", "note": None},
        {"enrollment_id": second.id, "name": "b", "status": "S", "note": "Demam"},
        {"enrollment_id": None, "name": None, "status": None, "note": None},
    ]
    assert attendance.import_marks(yesterday, rows, classroom.trainer) == 2
    assert marks_of(yesterday) == {
        first.id: ("present", "import", None),
        second.id: ("excused", "import", "Demam"),
    }
    bad = [{"enrollment_id": None, "name": "c", "status": "H"}]
    with pytest.raises(InvalidInput) as refused:
        attendance.import_marks(yesterday, bad, classroom.trainer)
    assert set(refused.value.fields) == {row(2)}


def test_a_sheet_with_bad_rows_saves_nothing(classroom, yesterday, create_user):
    first, second, third = classroom.enrollments
    rows = [
        {"enrollment_id": str(first.id), "name": "a", "status": "hadir"},  # row 2
        {"enrollment_id": str(second.id), "name": "b", "status": "mungkin"},  # row 3: no status
        {"enrollment_id": str(third.id), "name": "c", "status": "izin"},  # row 4
        {"enrollment_id": "99999", "name": "d", "status": "hadir"},  # row 5: not on the roster
    ]
    with pytest.raises(InvalidInput) as refused:
        attendance.import_marks(yesterday, rows, classroom.trainer)
    assert refused.value.code == "bad_rows"
    assert set(refused.value.fields) == {row(3), row(5)}
    assert refused.value.fields[row(3)] == [
        gettext(
            "%(value)s is not a status: write present, late, excused or absent.", value="mungkin"
        )
    ]
    assert refused.value.fields[row(5)] == [
        gettext("Nobody with the id %(value)s is on this session's roster.", value="99999")
    ]
    db.session.rollback()
    assert marks_of(yesterday) == {}


@pytest.mark.parametrize("value", ["abc", "1.5", "", "nan"])
def test_ids_must_be_whole_numbers(classroom, yesterday, value):
    rows = [{"enrollment_id": value, "status": "h"}]
    with pytest.raises(InvalidInput) as refused:
        attendance.import_marks(yesterday, rows, classroom.trainer)
    assert refused.value.fields == {
        row(2): [gettext("The id %(value)s is not a number.", value=value)]
    }


def test_a_trainee_twice_on_a_sheet(classroom, yesterday):
    me = str(classroom.enrollment.id)
    rows = [{"enrollment_id": me, "status": "h"}, {"enrollment_id": me, "status": "a"}]
    with pytest.raises(InvalidInput) as refused:
        attendance.import_marks(yesterday, rows, classroom.trainer)
    assert set(refused.value.fields) == {row(3)}


def test_a_sheet_with_wrong_columns(classroom, yesterday):
    rows = [{"id": "1", "nama": "Siti", "kehadiran": "hadir"}]
    with pytest.raises(InvalidInput) as refused:
        attendance.import_marks(yesterday, rows, classroom.trainer)
    message = str(refused.value.message)
    assert "enrollment_id" in message and "status" in message
    assert refused.value.fields == {"file": [message]}
    with pytest.raises(InvalidInput) as empty:
        attendance.import_marks(yesterday, [], classroom.trainer)
    assert "file" in empty.value.fields
    assert marks_of(yesterday) == {}


def test_a_sheet_without_notes_keeps_them_and_who_marked_them(classroom, yesterday):
    me = classroom.enrollment
    attendance.save_marks(
        yesterday,
        [{"enrollment_id": me.id, "status": "excused", "note": "Sakit"}],
        classroom.trainer,
    )
    rows = [{"enrollment_id": str(me.id), "status": "izin"}]
    assert attendance.import_marks(yesterday, rows, classroom.trainer) == 0
    assert marks_of(yesterday)[me.id] == ("excused", "trainer", "Sakit")


def test_an_import_respects_the_edit_lock(classroom, add_meeting):
    old = add_meeting(classroom.course, 0)  # ten days ago
    rows = sheet(classroom, ["h", "h", "h"])
    with pytest.raises(Forbidden):
        attendance.import_marks(old, rows, classroom.trainer)
    assert attendance.import_marks(old, rows, classroom.staff) == 3


def test_the_sheet_is_prefilled(classroom, yesterday):
    attendance.save_marks(
        yesterday,
        [{"enrollment_id": classroom.enrollment.id, "status": "excused", "note": "Sakit"}],
        classroom.trainer,
    )
    rows = attendance.sheet_rows(yesterday)
    assert rows[0][:2] + rows[0][-2:] == [
        classroom.enrollment.id,
        classroom.trainee.name,
        "excused",
        "Sakit",
    ]
    assert [r[-2] for r in rows[1:]] == ["", ""]


# --- alerts -----------------------------------------------------------------------------------


def low_messages(user=None):
    query = select(OutboxMessage).where(OutboxMessage.kind == "attendance_low")
    if user is not None:
        query = query.where(OutboxMessage.user_id == user.id)
    return db.session.scalars(query.order_by(OutboxMessage.id)).all()


def test_an_alert_when_a_trainee_falls_behind(classroom, add_meeting):
    course = classroom.course
    catalog.update_course(course, {"attendance_threshold": 0.8})
    db.session.commit()
    me, others = classroom.enrollment, classroom.enrollments[1:]

    def meet(day, my_status):
        session = add_meeting(course, day)
        records = [{"enrollment_id": me.id, "status": my_status}]
        records += [{"enrollment_id": e.id, "status": "present"} for e in others]
        told = len(low_messages())
        attendance.save_marks(session, records, classroom.staff)  # the save tells the trainee
        db.session.commit()
        return len(low_messages()) - told

    assert meet(0, "absent") == 0  # one session held: too early to tell
    assert low_messages() == []
    assert meet(1, "present") == 1  # 1 / 2 after two held sessions
    (message,) = low_messages()
    assert message.user_id == classroom.trainee.id
    assert "50%" in message.body and "80%" in message.body
    assert meet(2, "late") == 0  # 2 / 3, still behind: not told again
    assert attendance.alert_falling_behind(course) == 0
    assert len(low_messages()) == 1
    assert meet(3, "present") == 0  # 3 / 4: still behind
    db.session.refresh(me)
    assert me.attendance_alert_at is not None
    assert meet(4, "present") == 0  # 4 / 5: at the threshold is not below it: recovered
    db.session.refresh(me)
    assert me.attendance_alert_at is None
    assert meet(5, "absent") == 1  # 4 / 6: behind again, told again
    assert len(low_messages(classroom.trainee)) == 2
    assert low_messages() == low_messages(classroom.trainee)  # nobody else was told


def test_no_alert_while_no_rate(classroom, add_meeting):
    course = classroom.course
    for day in range(3):
        attendance.save_marks(
            add_meeting(course, day), everyone(classroom, "excused"), classroom.staff
        )
    assert attendance.alert_falling_behind(course) == 0


def test_unmarked_sessions_count_for_alerts(classroom, add_meeting):
    course = classroom.course
    catalog.update_course(course, {"attendance_threshold": 0.75})
    add_meeting(course, 0)
    add_meeting(course, 1)
    db.session.commit()
    assert attendance.alert_falling_behind(course) == 3  # nobody was marked: all absent
    assert {m.user_id for m in low_messages()} == {t.id for t in classroom.trainees}


def test_the_daily_check_tells_who_fell_behind_unmarked(classroom, add_meeting, runner):
    """Nobody saved anything, yet two held sessions went unmarked: the daily command tells the
    trainees of a running course, once; a course that ended before yesterday is left alone."""
    course = classroom.course
    catalog.update_course(course, {"attendance_threshold": 0.75})
    add_meeting(course, 0)
    add_meeting(course, 1)
    ends_on = course.ends_on
    course.ends_on = local_today() - timedelta(days=2)
    db.session.commit()
    assert attendance.alert_running_courses() == 0
    course.ends_on = ends_on
    db.session.commit()
    result = runner.invoke(args=["lms", "check-attendance"])
    assert result.exit_code == 0, result.output
    assert "Queued 3 attendance alert(s)." in result.output
    assert {m.user_id for m in low_messages()} == {t.id for t in classroom.trainees}
    again = runner.invoke(args=["lms", "check-attendance"])
    assert "Queued 0 attendance alert(s)." in again.output


# --- assessments ------------------------------------------------------------------------------


@pytest.mark.parametrize("score", [-1, 100.5, 101, "80", True, float("nan")])
def test_a_score_is_between_0_and_100(classroom, score):
    with pytest.raises(InvalidInput) as refused:
        attendance.set_assessment(classroom.enrollment, classroom.trainer, score=score)
    assert set(refused.value.fields) == {"score"}
    assert db.session.scalar(select(func.count()).select_from(Assessment)) == 0


@pytest.mark.parametrize("score", [0, 59.5, 100])
def test_scores_in_range(classroom, score):
    result = attendance.set_assessment(classroom.enrollment, classroom.trainer, score=score)
    db.session.commit()
    assert result.score == score and result.competent is None
    assert result.assessed_by_id == classroom.trainer.id


def test_competent_or_not_yet(classroom):
    me = classroom.enrollment
    assert attendance.set_assessment(me, classroom.trainer, competent=False).competent is False
    assert attendance.set_assessment(me, classroom.trainer, competent=True).competent is True
    assert db.session.scalar(select(func.count()).select_from(Assessment)) == 1
    with pytest.raises(InvalidInput) as refused:
        attendance.set_assessment(me, classroom.trainer, competent="yes")
    assert set(refused.value.fields) == {"competent"}
    with pytest.raises(InvalidInput):
        attendance.set_assessment(me, classroom.trainer)


def test_only_an_enrolled_trainee_is_assessed(classroom, create_user):
    course = classroom.course
    course.capacity = 3
    gone = classroom.enrollments[1]
    enrolment.cancel(gone, actor=classroom.staff)
    db.session.commit()
    newcomer = enrolment.enroll(create_user("trainee"), course, bypass_window=True)
    waiting = enrolment.enroll(create_user("trainee"), course, bypass_window=True)
    db.session.commit()
    assert (newcomer.status, waiting.status) == ("enrolled", "waitlisted")
    for enrollment in (waiting, gone):
        with pytest.raises(Conflict):
            attendance.set_assessment(enrollment, classroom.trainer, score=70)
    assert db.session.scalar(select(func.count()).select_from(Assessment)) == 0


def test_assessments_are_audited(classroom):
    me = classroom.enrollment
    attendance.set_assessment(me, classroom.trainer, score=70)
    attendance.set_assessment(me, classroom.staff, score=85, competent=True)
    db.session.commit()
    first, second = audits("assessment.recorded")
    assert first.actor_id == classroom.trainer.id and first.object_id == me.id
    assert first.data["old"] is None and first.data["new"] == {"score": 70, "competent": None}
    assert second.actor_id == classroom.staff.id
    assert second.data["old"] == {"score": 70.0, "competent": None}
    assert second.data["new"] == {"score": 85, "competent": True}


# --- the number of SQL statements -------------------------------------------------------------


def count_save(session, records, actor, **kwargs):
    """The statements save_marks issues (from a clean session, as a request starts)."""
    db.session.commit()
    db.session.expire_all()
    session, actor = (
        db.session.get(type(session), session.id),
        db.session.get(type(actor), actor.id),
    )
    with statements() as counter:
        attendance.save_marks(session, records, actor, **kwargs)
        db.session.commit()
    return len(counter)


def test_saving_a_roster_does_not_grow_with_it(make_classroom, add_meeting):
    counts = {}
    for size in (10, 40):
        room = make_classroom(size)
        session = add_meeting(room.course, -1)
        first = count_save(session, everyone(room, "present"), room.trainer, batch_id=f"a-{size}")
        # then every mark changes: updates and audit entries
        changed = count_save(session, everyone(room, "late", note="Macet"), room.trainer)
        # then half of them change and half stay as they are
        half = [
            {"enrollment_id": e.id, "status": "absent" if i % 2 else "late", "note": "Macet"}
            for i, e in enumerate(room.enrollments)
        ]
        mixed = count_save(session, half, room.staff)
        assert len(marks_of(session)) == size
        counts[size] = (first, changed, mixed)
    assert counts[10] == counts[40], counts
    assert max(counts[40]) <= 15, counts
