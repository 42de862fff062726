"""seed-demo: the demo site's data, enrolments included, made through the services."""

from collections import Counter

from sqlalchemy import func, select

from lms.catalog.models import Course
from lms.enrollment import services as enrolment
from lms.enrollment.models import Enrollment
from lms.extensions import course_types, db
from lms.outbox.models import OutboxMessage


def by_prefix():
    return {c.code.rsplit("-", 2)[0]: c for c in db.session.scalars(select(Course))}


def statuses(course):
    return Counter(
        db.session.scalars(select(Enrollment.status).where(Enrollment.course_id == course.id))
    )


def test_seed_demo_fills_the_courses(app):
    from lms.demo import seed

    logins, created = seed()
    db.session.commit()
    assert created
    assert ("trainee", "peserta01@latih.example") in logins
    courses = by_prefix()
    assert {c.type_key for c in courses.values()} == set(course_types.keys())

    # the full course with a waitlist
    japanese = courses["BHS-JPN"]
    assert japanese.capacity == japanese.enrolled_count == 10
    counts = statuses(japanese)
    assert counts["enrolled"] == 10
    assert counts["waitlisted"] == 4
    assert counts["cancelled"] >= 1
    assert sorted(enrolment.waitlist_positions(japanese.id).values()) == [1, 2, 3, 4]

    # the course that needs approval
    marketing = courses["DGM"]
    assert marketing.requires_approval
    counts = statuses(marketing)
    assert (counts["pending"], counts["enrolled"]) == (5, 3)

    # finished and running courses have their trainees
    for prefix in ("BHS-KAN", "KBN", "WRA", "BHS-ING"):
        assert courses[prefix].enrolled_count >= 10, prefix

    # seats counted right everywhere, and every enrolment keeps the rules
    for course in courses.values():
        held = db.session.scalar(
            select(func.count()).where(
                Enrollment.course_id == course.id,
                Enrollment.status.in_(("enrolled", "completed")),
            )
        )
        assert course.enrolled_count == held <= course.capacity, course.code
        for e in db.session.scalars(select(Enrollment).where(Enrollment.course_id == course.id)):
            user = e.user
            assert user.role == "trainee" and user.profile_complete
            if course.target_groups:
                assert user.target_group in course.target_groups
    rows = db.session.execute(
        select(Enrollment.user_id, Course.starts_on, Course.ends_on)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.status.not_in(("cancelled", "rejected")))
    ).all()
    per_user = {}
    for user_id, start, end in rows:
        for other_start, other_end in per_user.get(user_id, ()):
            assert end < other_start or other_end < start, "two courses at once"
        per_user.setdefault(user_id, []).append((start, end))

    # the messages the trainees would have received
    kinds = set(db.session.scalars(select(OutboxMessage.kind)))
    assert {
        "enrollment_enrolled",
        "enrollment_waitlisted",
        "enrollment_pending",
        "enrollment_approved",
        "enrollment_promoted",
        "enrollment_cancelled",
    } <= kinds

    # a second run changes nothing
    assert seed() == (logins, False)
    assert db.session.scalar(select(func.count(Enrollment.id))) == len(rows) + sum(
        statuses(c)["cancelled"] + statuses(c)["rejected"] for c in courses.values()
    )


def test_seed_demo_from_the_command_line(runner):
    result = runner.invoke(args=["lms", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "staff@latih.example" in result.output
    assert db.session.scalar(select(func.count(Enrollment.id))) > 50


def test_demo_has_attendance_and_certificates_one_revoked(app):
    from lms.attendance.models import Attendance
    from lms.certificates.models import Certificate
    from lms.demo import seed

    seed()
    db.session.commit()
    assert db.session.scalar(select(func.count(Attendance.id))) > 100
    valid = db.session.scalar(
        select(func.count(Certificate.id)).where(Certificate.revoked_at.is_(None))
    )
    revoked = db.session.scalar(
        select(func.count(Certificate.id)).where(Certificate.revoked_at.is_not(None))
    )
    assert valid > 10 and revoked == 1
