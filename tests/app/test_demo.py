"""seed-demo: the demo site's data, enrolments included, made through the services."""

import re
from collections import Counter

from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from lms.auth.models import User
from lms.catalog.models import Course, course_trainers
from lms.core.time import local_today, utc_to_local
from lms.core.types import utcnow
from lms.demo import DEMO_PASSWORD, OUTREACH_EVENTS, OUTREACH_PARTNERS, seed
from lms.enrollment import services as enrolment
from lms.enrollment.models import Enrollment
from lms.extensions import course_types, db
from lms.outbox.models import OutboxMessage
from lms.partners.models import Partner
from lms.regions.models import Regency


def by_prefix():
    return {c.code.rsplit("-", 2)[0]: c for c in db.session.scalars(select(Course))}


def statuses(course):
    return Counter(
        db.session.scalars(select(Enrollment.status).where(Enrollment.course_id == course.id))
    )


def test_the_demo(app):
    """The demo's data, seeded once, checked from every side below (seeding it costs seconds, on
    PostgreSQL about ten: once, not once per check)."""
    logins, created = seed()
    db.session.commit()
    assert created
    for check in (
        fills_the_courses,
        has_attendance_and_certificates_one_revoked,
        has_the_people,
        mirrors_a_real_year,
        has_outreach_and_a_school_class,
        gives_the_office_something_to_do,
    ):
        check(logins)


def fills_the_courses(logins):
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
        assert course.enrolled_count == held, course.code
        assert course.capacity is None or held <= course.capacity, course.code
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


def row_counts():
    """The number of rows in every table (the regencies included)."""
    db.session.rollback()
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_seed_demo_from_the_command_line_once_and_again(runner):
    """The command loads the demo and prints who can log in; a second run (e.g. the README's
    start command run again) adds, changes and removes nothing: no duplicate partner, account,
    course, session, enrolment, mark or certificate."""
    result = runner.invoke(args=["lms", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Demo data loaded." in result.output
    assert DEMO_PASSWORD in result.output
    logins, _created = seed()  # already loaded: only says who can log in
    for role, email in logins:
        assert re.search(rf"^\s*{role}\s+{re.escape(email)}$", result.output, re.M), email
    assert db.session.scalar(select(func.count(Enrollment.id))) > 50

    before = row_counts()
    assert before["users"] == 45 and before["courses"] >= 9 and before["course_sessions"] > 100
    users_before = db.session.execute(select(User.id, User.email, User.password_hash)).all()

    again = runner.invoke(args=["lms", "seed-demo"])
    assert again.exit_code == 0, again.output
    assert "Demo data was already loaded." in again.output
    assert "staff@latih.example" in again.output  # the logins are printed again
    assert row_counts() == before
    assert db.session.execute(select(User.id, User.email, User.password_hash)).all() == (
        users_before
    )


def has_attendance_and_certificates_one_revoked(_logins):
    from lms.attendance.models import Attendance
    from lms.certificates.models import Certificate

    assert db.session.scalar(select(func.count(Attendance.id))) > 100
    valid = db.session.scalar(
        select(func.count(Certificate.id)).where(Certificate.revoked_at.is_(None))
    )
    revoked = db.session.scalar(
        select(func.count(Certificate.id)).where(Certificate.revoked_at.is_not(None))
    )
    assert valid > 10 and revoked == 1


def gives_the_office_something_to_do(_logins):
    """The office's home has what a working office meets: requests to decide (the digital
    marketing course needs approval) and an MoU up for renewal; every finished course has its
    certificates."""
    from lms.progress.office import waiting

    found = waiting()
    assert [course.code.split("-")[0] for course, _n in found.requests] == ["DGM"]
    assert [partner.name for partner in found.mous] == ["UPT Bahasa Universitas Lampung"]
    assert found.certificates == []


# --- the people: partners, office, trainers, trainees (issue 2) ---------------------------------

#: the kinds of the three institutions: a provincial agricultural training centre, a university
#: language unit, a city vocational training centre
PARTNER_KINDS = {"training_centre", "university", "vocational_centre"}
#: where most of the province's workers come from (DESIGN.md)
LEADING_REGENCIES = {"Lampung Timur", "Lampung Tengah", "Lampung Selatan"}


def has_the_people(logins):
    # three partner institutions, one of each kind, each with a valid MoU and one trainer
    outreach = {p["name"] for p in OUTREACH_PARTNERS}
    partners = [p for p in db.session.scalars(select(Partner)) if p.name not in outreach]
    assert len(partners) == 3
    assert {p.kind for p in partners} == PARTNER_KINDS
    for partner in partners:
        assert partner.mou_number and partner.mou_valid_on(local_today()), partner.name
        [trainer] = partner.trainers
        assert trainer.role == "trainer" and ("trainer", trainer.email) in logins
    assert db.session.scalar(select(func.count()).where(User.role == "trainer")) == 3

    # a staff and an admin login, printed with the rest; the demo password opens every one
    roles = Counter(role for role, _email in logins)
    assert roles["staff"] >= 1 and roles["admin"] >= 1 and roles["trainer"] == 3
    for role, email in logins:
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None and user.role == role and user.active, email
        assert check_password_hash(user.password_hash, DEMO_PASSWORD), email

    # forty trainees with a complete, consistent profile, from the regencies of Lampung
    trainees = db.session.scalars(select(User).where(User.role == "trainee")).all()
    assert len(trainees) == 40
    lampung = set(db.session.scalars(select(Regency.code).where(Regency.province == "Lampung")))
    for t in trainees:
        assert t.profile_complete and t.partner_id is None, t.email
        assert t.regency_code in lampung, t.email
        assert t.phone.startswith("+628"), t.email
        # the NIK says where the person is registered and when they were born (women: day + 40)
        assert t.nik[:4] == t.regency_code.replace(".", ""), t.email
        day = t.birth_date.day + (40 if t.gender == "female" else 0)
        assert t.nik[6:12] == f"{day:02d}{t.birth_date:%m%y}", t.email
    assert len({t.nik for t in trainees}) == 40
    assert {t.gender for t in trainees} == {"female", "male"}

    # spread over several regencies, the three that lead the province ahead of the rest
    per_regency = Counter(t.regency.name for t in trainees)
    assert len(per_regency) >= 8, per_regency
    others = max(n for name, n in per_regency.items() if name not in LEADING_REGENCIES)
    assert all(per_regency[name] > others for name in LEADING_REGENCIES), per_regency

    # every target group, prospective workers the most
    groups = Counter(t.target_group for t in trainees)
    assert set(groups) == {"cpmi", "purna_pmi", "family", "general"}
    assert groups.most_common(1)[0][0] == "cpmi"


# --- the courses: every type, the four languages, sensible partners, timetables (issue 3) -----

BUILT_IN_TYPES = {"hospitality", "plantation", "language", "entrepreneurship", "digital_marketing"}
#: which kind of partner runs which type of course
PARTNER_OF_TYPE = {
    "language": "university",
    "hospitality": "vocational_centre",
    "plantation": "training_centre",
}


def mirrors_a_real_year(_logins):
    today, now = local_today(), utcnow()
    everything = db.session.scalars(select(Course).order_by(Course.id)).all()
    # the training courses (the school class and the outreach events: has_outreach_and_a_school_class)
    courses = [c for c in everything if c.type_key in BUILT_IN_TYPES]

    # courses of every type, all published
    by_type = Counter(c.type_key for c in everything)
    assert set(by_type) == BUILT_IN_TYPES | {"school_class", "outreach"} == set(course_types.keys())
    assert all(c.status == "published" for c in courses)

    # a Japanese, a Mandarin, a Cantonese and an English class
    languages = [c.details.get("language") for c in courses if c.type_key == "language"]
    assert sorted(languages) == sorted(["ja", "zh", "yue", "en"])
    # two entrepreneurship workshops and a digital-marketing programme, for returned workers
    assert by_type["entrepreneurship"] == 2 and by_type["digital_marketing"] == 1
    for c in courses:
        if c.type_key in ("entrepreneurship", "digital_marketing"):
            assert "purna_pmi" in c.target_groups, c.code
        if c.type_key == "plantation":
            assert c.details["commodity"] == "oil_palm", c.code
        # languages at the university, hospitality at the city centre, oil palm at the
        # agricultural centre
        if c.type_key in PARTNER_OF_TYPE:
            assert c.partner.kind == PARTNER_OF_TYPE[c.type_key], c.code

    # each course is taught by a trainer of its own partner, and no trainer teaches elsewhere
    teaching = db.session.execute(
        select(course_trainers.c.course_id, User.role, User.partner_id).join(
            User, User.id == course_trainers.c.user_id
        )
    ).all()
    partner_of = {c.id: c.partner_id for c in courses}
    teaching = [t for t in teaching if t[0] in partner_of]
    assert {course_id for course_id, _role, _partner in teaching} == set(partner_of)
    for course_id, role, partner_id in teaching:
        assert role == "trainer" and partner_id == partner_of[course_id], course_id
    assert len(set(partner_of.values())) == 3, "every partner runs a course"

    # every course has a timetable inside its dates: daytime WIB meetings that do not overlap
    for c in courses:
        assert c.sessions, c.code
        assert c.registration_opens_at < c.registration_closes_at, c.code
        previous_end = None
        for s in c.sessions:
            start, end = utc_to_local(s.starts_at), utc_to_local(s.ends_at)
            assert c.starts_on <= start.date() == end.date() <= c.ends_on, c.code
            assert 6 <= start.hour < end.hour <= 18, c.code
            assert previous_end is None or previous_end <= s.starts_at, c.code
            previous_end = s.ends_at

    # a year in motion: finished, running, open for registration, full, not yet open
    def state(c):
        if c.ends_on < today:
            return "finished"
        if c.starts_on <= today:
            return "running"
        if now < c.registration_opens_at:
            return "upcoming"
        if now < c.registration_closes_at:
            return "full" if c.enrolled_count >= c.capacity else "open"
        return "closed"

    states = Counter(state(c) for c in courses)
    assert {"finished", "running", "open", "full", "upcoming"} <= set(states), states
    assert states["finished"] >= 2, states


def has_outreach_and_a_school_class(_logins):
    courses = db.session.scalars(select(Course).order_by(Course.id)).all()
    [school_class] = [c for c in courses if c.type_key == "school_class"]
    assert school_class.partner.kind == "school" and school_class.target_groups == ["cpmi"]
    assert len(school_class.sessions) >= 30
    events = [c for c in courses if c.type_key == "outreach"]
    assert len(events) == OUTREACH_EVENTS
    assert len({c.details["regency"] for c in events}) >= 8
    assert all(c.capacity is None and len(c.sessions) == 1 for c in events)
    kinds = {c.partner.kind for c in events}
    assert {"religious_organisation", "local_government", "community", "school"} <= kinds
    recorded = [c.sessions[0].people_reached for c in events]
    assert sum(1 for r in recorded if r) == OUTREACH_EVENTS - 1
