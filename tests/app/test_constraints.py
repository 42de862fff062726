"""The database itself refuses what the services check first, so that a race cannot get past them.

Each test builds valid rows (through the factories), then writes a bad row or value directly with
the ORM, bypassing the services, and expects the database to raise IntegrityError. Where a
constraint is narrower than "never", the allowed neighbour is written first to show that the
constraint refuses only what it should. The last test lists the constraints the database really
has, so a new one without a test here fails.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from lms.attendance.models import Assessment, Attendance, AttendanceBatch
from lms.auth.models import ApiToken, LoginSession, User
from lms.catalog.models import Course, CourseSession, course_trainers
from lms.certificates.models import Certificate, SerialCounter
from lms.core.time import local_today
from lms.core.types import utcnow
from lms.enrollment.models import Enrollment
from lms.extensions import db
from lms.partners.models import Partner
from lms.regions.models import Regency
from tests.fixtures.users import valid_nik

#: every constraint the tests below prove, by the name the database knows it by
TESTED = set()


def proves(*names):
    """Mark a test as the proof of the named constraints."""
    TESTED.update(names)
    return lambda test: test


def _assert_because(error, why):
    """The error names the constraint (PostgreSQL, and SQLite for a CHECK) or, for a unique
    constraint on SQLite, its columns ("table.column, table.column")."""
    message = str(error.value.orig)
    assert any(w in message for w in why), f"expected one of {why}, got: {message}"


def refused(*rows, why):
    """Adding ``rows`` raises IntegrityError for the reason ``why``; rolls back."""
    db.session.add_all(rows)
    with pytest.raises(IntegrityError) as error:
        db.session.flush()
    db.session.rollback()
    _assert_because(error, why)


def accepted(*rows):
    """Adding ``rows`` works (flushed, not committed)."""
    db.session.add_all(rows)
    db.session.flush()


def _update(model, row_id, values):
    db.session.execute(
        update(model).where(model.id == row_id).values(**values),
        execution_options={"synchronize_session": False},
    )


def refused_update(model, row_id, values, why):
    """An UPDATE of one row, straight to the database, raises IntegrityError; rolls back."""
    with pytest.raises(IntegrityError) as error:
        _update(model, row_id, values)
    db.session.rollback()
    _assert_because(error, why)


def accepted_update(model, row_id, values):
    _update(model, row_id, values)
    db.session.flush()


def certificate(enrollment_id, n, **kw):
    return Certificate(
        enrollment_id=enrollment_id,
        serial=f"LPG/TST/2026/{n:05d}",
        code=f"code{n:08d}",
        claims="{}",
        signature="sig",
        key_id="key",
        **kw,
    )


@dataclass
class World:
    partner: Partner
    trainer: User
    trainee: User
    other_trainee: User
    course: Course
    other_course: Course
    session: CourseSession
    enrollment: Enrollment
    attendance: Attendance
    assessment: Assessment


@pytest.fixture
def world(create_partner, create_user, create_course, create_session, enrol_trainees):
    """One valid row of every kind: a course with its trainer, a meeting, an enrolment, its
    attendance mark and assessment; a second course and a second trainee."""
    partner = create_partner(
        name="UPT Bahasa Universitas Lampung",
        kind="university",
        mou_valid_until=local_today() + timedelta(days=365),
    )
    trainer = create_user("trainer", partner_id=partner.id)
    course = create_course("language", partner=partner, trainers=[trainer])
    other_course = create_course("language", partner=partner, trainers=[trainer])
    session = create_session(course)
    [enrollment] = enrol_trainees(course, 1)
    other_trainee = create_user("trainee")
    attendance = Attendance(
        session_id=session.id, enrollment_id=enrollment.id, status="present", source="trainer"
    )
    assessment = Assessment(enrollment_id=enrollment.id, score=80.0)
    db.session.add_all([attendance, assessment])
    db.session.commit()
    return World(
        partner=partner,
        trainer=trainer,
        trainee=enrollment.user,
        other_trainee=other_trainee,
        course=course,
        other_course=other_course,
        session=session,
        enrollment=enrollment,
        attendance=attendance,
        assessment=assessment,
    )


def staff_user(email, **kw):
    return User(email=email, password_hash="x", name="Rina Marlina", role="staff", **kw)


# --- one row per ... (unique constraints and indexes) -------------------------------------------


def unique(name, *columns):
    """How each backend names a violated unique constraint or index: by name (PostgreSQL) or
    by its columns (SQLite)."""
    return (f'"{name}"', "UNIQUE constraint failed: " + ", ".join(columns))


@proves("uq_enrollments_course_user")
def test_one_enrolment_per_trainee_and_course(world):
    w = world
    why = unique("uq_enrollments_course_user", "enrollments.course_id", "enrollments.user_id")
    # the same trainee in another course, and another trainee in this one, are fine
    accepted(
        Enrollment(course_id=w.other_course.id, user_id=w.trainee.id, status="enrolled"),
        Enrollment(course_id=w.course.id, user_id=w.other_trainee.id, status="pending"),
    )
    db.session.rollback()
    # whatever the status of either row, a second row for the same pair is refused
    for status, position in (("enrolled", None), ("cancelled", None), ("waitlisted", 7)):
        second = Enrollment(
            course_id=w.course.id, user_id=w.trainee.id, status=status, waitlist_position=position
        )
        refused(second, why=why)


@proves("uq_enrollments_waitlist")
def test_one_trainee_per_waitlist_position_in_a_course(world, create_user):
    w = world
    third = create_user("trainee")
    accepted(
        Enrollment(
            course_id=w.course.id,
            user_id=w.other_trainee.id,
            status="waitlisted",
            waitlist_position=1,
        ),
        # the same position in another course is another queue
        Enrollment(
            course_id=w.other_course.id, user_id=third.id, status="waitlisted", waitlist_position=1
        ),
        # any number of rows without a position (not waitlisted)
        Enrollment(course_id=w.other_course.id, user_id=w.other_trainee.id, status="enrolled"),
        Enrollment(course_id=w.other_course.id, user_id=w.trainee.id, status="cancelled"),
    )
    db.session.commit()
    refused(
        Enrollment(
            course_id=w.course.id, user_id=third.id, status="waitlisted", waitlist_position=1
        ),
        why=unique(
            "uq_enrollments_waitlist",
            "enrollments.course_id",
            "enrollments.waitlist_position",
        ),
    )


@proves("uq_attendance_session_enrollment")
def test_one_attendance_row_per_session_and_enrolment(world, create_session, enrol_trainees):
    w = world
    later = create_session(w.course, starts_at=w.session.starts_at + timedelta(days=1))
    [other] = enrol_trainees(w.course, 1)
    # the same enrolment at another meeting, another enrolment at this one
    accepted(
        Attendance(session_id=later.id, enrollment_id=w.enrollment.id, status="absent"),
        Attendance(session_id=w.session.id, enrollment_id=other.id, status="present"),
    )
    db.session.commit()
    for source in ("trainer", "checkin", "offline", "import"):
        refused(
            Attendance(
                session_id=w.session.id, enrollment_id=w.enrollment.id, status="late", source=source
            ),
            why=unique(
                "uq_attendance_session_enrollment",
                "attendance.session_id",
                "attendance.enrollment_id",
            ),
        )


@proves("uq_assessments_enrollment_id")
def test_one_assessment_per_enrolment(world):
    refused(
        Assessment(enrollment_id=world.enrollment.id, competent=True),
        why=unique("uq_assessments_enrollment_id", "assessments.enrollment_id"),
    )


@proves("uq_certificates_valid_enrollment")
def test_one_valid_certificate_per_enrolment(world, enrol_trainees):
    e = world.enrollment.id
    why = unique("uq_certificates_valid_enrollment", "certificates.enrollment_id")
    accepted(certificate(e, 1))
    db.session.commit()
    refused(certificate(e, 2), why=why)

    # a revoked certificate does not count: after a revocation a new one may be issued, and
    # revoked ones may pile up beside the valid one
    db.session.execute(
        update(Certificate).where(Certificate.enrollment_id == e).values(revoked_at=utcnow())
    )
    accepted(certificate(e, 2), certificate(e, 3, revoked_at=utcnow()))
    db.session.commit()
    refused(certificate(e, 4), why=why)
    # another enrolment has its own valid certificate
    [other] = enrol_trainees(world.course, 1)
    accepted(certificate(other.id, 4))


@proves("uq_certificates_serial", "uq_certificates_code")
def test_certificate_serial_and_code_are_unique(world, enrol_trainees):
    [other] = enrol_trainees(world.course, 1)
    first = certificate(world.enrollment.id, 1)
    accepted(first)
    db.session.commit()
    clash = certificate(other.id, 2)
    clash.serial = first.serial
    refused(clash, why=unique("uq_certificates_serial", "certificates.serial"))
    clash = certificate(other.id, 2)
    clash.code = first.code
    refused(clash, why=unique("uq_certificates_code", "certificates.code"))
    accepted(certificate(other.id, 2))


# cert:
@proves("ck_certificates_revocation_category")
def test_a_revocation_category_is_one_of_the_public_ones(world):
    row = certificate(world.enrollment.id, 1)
    accepted(row)
    db.session.commit()
    for category in ("error", "fraud", "withdrawn", "superseded", None):
        accepted_update(Certificate, row.id, {"revocation_category": category})
    db.session.rollback()
    refused_update(
        Certificate, row.id, {"revocation_category": "mistake"}, why=("revocation_category",)
    )


@proves("uq_users_email")
def test_one_account_per_email(create_user):
    create_user("trainee", email="siti@example.org")
    accepted(staff_user("siti.lain@example.org"))
    refused(staff_user("siti@example.org"), why=unique("uq_users_email", "users.email"))


@proves("uq_users_nik")
def test_one_account_per_nik(create_user):
    trainee = create_user("trainee", nik=valid_nik(42))
    # accounts without a NIK (office staff) are many
    accepted(staff_user("rina@example.org"), staff_user("agus@example.org"))
    db.session.commit()
    refused(
        staff_user("budi@example.org", nik=trainee.nik), why=unique("uq_users_nik", "users.nik")
    )


@proves("uq_partners_name")
def test_partner_names_are_unique(create_partner):
    create_partner(name="UPTD Balai Latihan Kerja Kota Bandar Lampung")
    refused(
        Partner(name="UPTD Balai Latihan Kerja Kota Bandar Lampung", kind="other"),
        why=unique("uq_partners_name", "partners.name"),
    )


@proves("uq_courses_code")
def test_course_codes_are_unique(world):
    c = world.course

    def course(code):
        return Course(
            code=code,
            title="Salinan",
            type_key=c.type_key,
            partner_id=c.partner_id,
            capacity=10,
            starts_on=c.starts_on,
            ends_on=c.ends_on,
            registration_opens_at=c.registration_opens_at,
            registration_closes_at=c.registration_closes_at,
        )

    accepted(course(c.code + "-B"))
    refused(course(c.code), why=unique("uq_courses_code", "courses.code"))


@proves("uq_regencies_name")
def test_regency_names_are_unique():
    refused(
        Regency(code="18.99", name="Lampung Timur", province="Lampung"),
        why=unique("uq_regencies_name", "regencies.name"),
    )


@proves("uq_api_tokens_token_hash")
def test_api_token_hashes_are_unique(create_user):
    user = create_user("staff")
    expires = utcnow() + timedelta(hours=1)
    accepted(ApiToken(user_id=user.id, token_hash="a" * 64, expires_at=expires))
    db.session.commit()
    refused(
        ApiToken(user_id=user.id, token_hash="a" * 64, expires_at=expires),
        why=unique("uq_api_tokens_token_hash", "api_tokens.token_hash"),
    )


@proves("uq_login_sessions_token_hash")
def test_login_session_token_hashes_are_unique(create_user):
    user = create_user("trainee")
    expires = utcnow() + timedelta(days=1)
    accepted(LoginSession(user_id=user.id, token_hash="b" * 64, expires_at=expires))
    db.session.commit()
    refused(
        LoginSession(user_id=user.id, token_hash="b" * 64, expires_at=expires),
        why=unique("uq_login_sessions_token_hash", "login_sessions.token_hash"),
    )


# primary keys the services rely on for "once only"


def test_a_trainer_is_assigned_to_a_course_once(world):
    with pytest.raises(IntegrityError) as error:
        db.session.execute(
            course_trainers.insert().values(course_id=world.course.id, user_id=world.trainer.id)
        )
    db.session.rollback()
    _assert_because(
        error,
        unique("pk_course_trainers", "course_trainers.course_id", "course_trainers.user_id"),
    )


def test_an_offline_attendance_batch_is_applied_once(world):
    accepted(AttendanceBatch(batch_id="5f0c9f1e-batch", session_id=world.session.id))
    db.session.commit()
    refused(
        AttendanceBatch(batch_id="5f0c9f1e-batch", session_id=world.session.id),
        why=unique("pk_attendance_batches", "attendance_batches.batch_id"),
    )


def test_one_serial_counter_per_scope_and_year():
    accepted(SerialCounter(scope="certificate", year=2026, last_value=1))
    accepted(SerialCounter(scope="certificate", year=2027, last_value=1))
    db.session.commit()
    refused(
        SerialCounter(scope="certificate", year=2026, last_value=5),
        why=unique("pk_serial_counters", "serial_counters.scope", "serial_counters.year"),
    )


# --- values that are never right (check constraints) --------------------------------------------


def _row(w, target):
    return {
        "trainee": (User, w.trainee.id),
        "trainer": (User, w.trainer.id),
        "partner": (Partner, w.partner.id),
        "course": (Course, w.course.id),
        "session": (CourseSession, w.session.id),
        "enrollment": (Enrollment, w.enrollment.id),
        "attendance": (Attendance, w.attendance.id),
        "assessment": (Assessment, w.assessment.id),
    }[target]


def shifted(target, field, days=0, hours=0):
    """A value computed from the row itself: its ``field`` moved by days and hours."""

    def value(w):
        model, row_id = _row(w, target)
        return getattr(db.session.get(model, row_id), field) + timedelta(days=days, hours=hours)

    return value


#: (constraint, row to change, allowed changes (the boundary cases), refused changes)
CHECKS = [
    ("ck_users_role", "trainee", [{"role": "admin"}], [{"role": "owner"}, {"role": "Admin"}]),
    ("ck_users_gender", "trainee", [{"gender": None}], [{"gender": "other"}]),
    (
        "ck_users_target_group",
        "trainee",
        [{"target_group": "purna_pmi"}, {"target_group": None}],
        [{"target_group": "tourist"}],
    ),
    ("ck_users_locale", "trainee", [{"locale": "en"}, {"locale": None}], [{"locale": "fr"}]),
    (
        "ck_users_trainer_partner",
        "trainer",
        [{"role": "staff", "partner_id": None}],
        [{"partner_id": None}],
    ),
    ("ck_partners_kind", "partner", [{"kind": "company"}], [{"kind": "ngo"}]),
    ("ck_courses_status", "course", [{"status": "archived"}], [{"status": "deleted"}]),
    (
        "ck_courses_capacity_positive",
        "course",
        [{"capacity": 1}],
        [{"capacity": 0, "enrolled_count": 0}],
    ),
    (
        "ck_courses_dates_ordered",
        "course",
        [{"ends_on": shifted("course", "starts_on")}],
        [{"ends_on": shifted("course", "starts_on", days=-1)}],
    ),
    (
        "ck_courses_registration_ordered",
        "course",
        [{"registration_closes_at": shifted("course", "registration_opens_at")}],
        [{"registration_closes_at": shifted("course", "registration_opens_at", hours=-1)}],
    ),
    (
        "ck_courses_threshold_range",
        "course",
        [
            {"attendance_threshold": 0.0},
            {"attendance_threshold": 1.0},
            {"attendance_threshold": None},
        ],
        [{"attendance_threshold": 1.01}, {"attendance_threshold": -0.1}],
    ),
    (
        "ck_courses_seats",
        "course",
        [{"capacity": 20, "enrolled_count": 20}, {"enrolled_count": 0}],
        [{"capacity": 20, "enrolled_count": 21}, {"enrolled_count": -1}],
    ),
    (
        "ck_courses_ages",
        "course",
        [{"min_age": 18, "max_age": 18}, {"min_age": 40, "max_age": None}],
        [{"min_age": 36, "max_age": 35}],
    ),
    (
        "ck_course_sessions_times_ordered",
        "session",
        [{"ends_at": shifted("session", "starts_at", hours=1)}],
        [
            {"ends_at": shifted("session", "starts_at")},
            {"ends_at": shifted("session", "starts_at", hours=-1)},
        ],
    ),
    (
        "ck_course_sessions_people_reached",
        "session",
        [{"people_reached": None}, {"people_reached": 0}, {"people_reached": 5970}],
        [{"people_reached": -1}],
    ),
    ("ck_enrollments_status", "enrollment", [{"status": "completed"}], [{"status": "accepted"}]),
    (
        "ck_enrollments_waitlist_position",
        "enrollment",
        [{"status": "waitlisted", "waitlist_position": 1}],
        [
            {"status": "waitlisted", "waitlist_position": None},
            {"status": "enrolled", "waitlist_position": 3},
        ],
    ),
    ("ck_attendance_status", "attendance", [{"status": "excused"}], [{"status": "sick"}]),
    (
        "ck_attendance_source",
        "attendance",
        [{"source": "offline"}, {"source": "scan"}, {"source": "walk_in"}, {"source": "excuse"}],
        [{"source": "sms"}],
    ),
    # walk:
    (
        "ck_enrollments_origin",
        "enrollment",
        [{"origin": "walk_in"}, {"origin": "registration"}],
        [{"origin": "phone"}],
    ),
    (
        "ck_assessments_score_range",
        "assessment",
        [{"score": 0.0}, {"score": 100.0}, {"score": None, "competent": True}],
        [{"score": 100.5}, {"score": -1.0}],
    ),
]
TESTED.update(name for name, *_rest in CHECKS)


@pytest.mark.parametrize(
    "constraint, target, allowed, refused_changes", CHECKS, ids=[c[0] for c in CHECKS]
)
def test_check_constraint(world, constraint, target, allowed, refused_changes):
    model, row_id = _row(world, target)

    def resolve(values):
        return {k: v(world) if callable(v) else v for k, v in values.items()}

    for values in allowed:
        accepted_update(model, row_id, resolve(values))
        db.session.rollback()
    for values in refused_changes:
        refused_update(model, row_id, resolve(values), why=(constraint,))


def test_a_trainer_cannot_be_inserted_without_a_partner():
    refused(
        User(email="dewi@example.org", password_hash="x", name="Dewi Lestari", role="trainer"),
        why=("ck_users_trainer_partner",),
    )


def test_a_bad_status_is_refused_on_insert_too(world):
    refused(
        Enrollment(course_id=world.other_course.id, user_id=world.trainee.id, status="maybe"),
        why=("ck_enrollments_status",),
    )


# --- group: class groups and excuse requests ------------------------------------------------------


@proves("uq_class_groups_course_name")
def test_group_names_are_unique_within_a_course(world):
    from lms.catalog.groups import ClassGroup

    accepted(ClassGroup(course_id=world.course.id, name="Kelas A"))
    # the same name in another course is fine
    accepted(ClassGroup(course_id=world.other_course.id, name="Kelas A"))
    refused(
        ClassGroup(course_id=world.course.id, name="Kelas A"),
        why=unique("uq_class_groups_course_name", "class_groups.course_id", "class_groups.name"),
    )


@proves("ck_excuse_requests_status")
def test_an_excuse_request_has_a_known_status(world):
    from lms.attendance.excuses import ExcuseRequest

    def request(status):
        return ExcuseRequest(
            session_id=world.session.id,
            enrollment_id=world.enrollment.id,
            reason="Sakit",
            status=status,
        )

    accepted(request("requested"), request("accepted"), request("declined"))
    refused(request("maybe"), why=("ck_excuse_requests_status",))


# walk: attendance cards and walk-ins


@proves("uq_attendance_cards_code")
def test_a_card_code_is_never_given_twice(world):
    from lms.attendance.cards import AttendanceCard, card_of

    code = card_of(world.trainee).code
    # a trainee may hold any number of (revoked) cards with other codes
    accepted(AttendanceCard(user_id=world.trainee.id, code="ZZZZ2222", revoked_at=utcnow()))
    db.session.rollback()
    refused(
        AttendanceCard(user_id=world.other_trainee.id, code=code),
        why=unique("uq_attendance_cards_code", "attendance_cards.code"),
    )


@proves("uq_walk_ins_batch_id")
def test_a_walk_in_batch_is_applied_once(world):
    from lms.attendance.walkins import WalkIn

    def walk_in(batch_id):
        return WalkIn(
            batch_id=batch_id,
            session_id=world.session.id,
            user_id=world.trainee.id,
            enrollment_id=world.enrollment.id,
            status="present",
        )

    # walk-ins without a batch id (the no-JavaScript form may send none) are many
    accepted(walk_in("b-1"), walk_in(None), walk_in(None))
    db.session.commit()
    refused(walk_in("b-1"), why=unique("uq_walk_ins_batch_id", "walk_ins.batch_id"))


# --- every constraint is covered ----------------------------------------------------------------


def test_every_constraint_of_the_database_is_tested_here():
    """The unique constraints, unique indexes and check constraints the migrations created are
    exactly those proven above: a new one needs a test here, a removed one is noticed."""
    inspector = sa.inspect(db.engine)
    found = set()
    for table in inspector.get_table_names():
        found.update(u["name"] for u in inspector.get_unique_constraints(table))
        found.update(c["name"] for c in inspector.get_check_constraints(table))
        found.update(
            i["name"]
            for i in inspector.get_indexes(table)
            if i["unique"] and not i.get("duplicates_constraint")
        )
    assert found == TESTED
