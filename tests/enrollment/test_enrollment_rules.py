"""Enrolment rules as service calls: eligibility, seats, waitlist, approval, cancellation,
promotion, messages, audit entries and reminders (no HTTP)."""

from datetime import date, time, timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.catalog import services as catalog
from lms.core.time import combine_local, local_today
from lms.core.types import utcnow
from lms.enrollment import services as enrolment
from lms.enrollment.models import Enrollment
from lms.errors import Conflict, Forbidden, InvalidInput
from lms.extensions import db
from lms.outbox.models import OutboxMessage

#: subject of each message kind, as in templates/emails/enrollment_<kind>.txt
SUBJECTS = {
    "enrolled": "You are enrolled: %(course)s",
    "waitlisted": "You are on the waitlist: %(course)s",
    "pending": "Enrolment request received: %(course)s",
    "approved": "Enrolment approved: %(course)s",
    "rejected": "Enrolment not accepted: %(course)s",
    "cancelled": "Enrolment cancelled: %(course)s",
    "promoted": "A seat is yours: %(course)s",
    "reminder": "Tomorrow: %(course)s",
}


# --- helpers ----------------------------------------------------------------------------------


def years_before(day, years):
    """The same day ``years`` earlier (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def block(k, length=28):
    """Dates of the k-th of a series of courses that never overlap one another."""
    starts_on = local_today() + timedelta(days=30 + 40 * k)
    return {"starts_on": starts_on, "ends_on": starts_on + timedelta(days=length - 1)}


def codes(found):
    return [r.code for r in found]


def row(enrollment):
    db.session.refresh(enrollment)
    return enrollment


def statuses(*enrollments):
    return [row(e).status for e in enrollments]


def assert_seats(course):
    """enrolled_count equals the rows holding a seat; the waitlist is 1..N without gaps and
    only exists while the course is full."""
    db.session.flush()
    db.session.refresh(course)
    held = db.session.scalar(
        select(func.count()).where(
            Enrollment.course_id == course.id, Enrollment.status.in_(("enrolled", "completed"))
        )
    )
    assert course.enrolled_count == held
    assert 0 <= held <= course.capacity
    waiting = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.course_id == course.id, Enrollment.status == "waitlisted")
        .order_by(Enrollment.waitlist_position)
    ).all()
    assert [enrolment.waitlist_position(e) for e in waiting] == list(range(1, len(waiting) + 1))
    assert sorted(enrolment.waitlist_positions(course.id).values()) == list(
        range(1, len(waiting) + 1)
    )
    if waiting:
        assert held == course.capacity, "someone waits while a seat is free"


def messages(user, kind=None):
    query = select(OutboxMessage).where(OutboxMessage.user_id == user.id)
    if kind:
        query = query.where(OutboxMessage.kind == f"enrollment_{kind}")
    return db.session.scalars(query.order_by(OutboxMessage.id)).all()


def kinds(user):
    return [m.kind.removeprefix("enrollment_") for m in messages(user)]


def audit_actions(enrollment):
    return db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "enrollment", AuditEntry.object_id == enrollment.id)
        .order_by(AuditEntry.id)
    ).all()


@pytest.fixture
def trainees(create_user):
    """``trainees(n, **profile)``: n trainees with complete profiles."""

    def _make(n, **kw):
        return [create_user("trainee", **kw) for _ in range(n)]

    return _make


@pytest.fixture
def staff(dummy_staff):
    return dummy_staff


def fill(course, people, actor=None):
    bypass = actor is not None and actor.is_staff
    enrolments = [enrolment.enroll(p, course, actor=actor, bypass_window=bypass) for p in people]
    db.session.commit()
    return enrolments


# --- refusals ---------------------------------------------------------------------------------


def test_an_eligible_trainee_enrols_at_once(dummy_trainee, dummy_course):
    assert enrolment.refusals(dummy_trainee, dummy_course) == []
    e = enrolment.enroll(dummy_trainee, dummy_course)
    db.session.commit()
    assert e.status == "enrolled"
    assert e.waitlist_position is None
    assert e.decided_by_id is None
    assert_seats(dummy_course)
    assert dummy_course.enrolled_count == 1


@pytest.mark.parametrize("status", ["draft", "closed", "archived"])
def test_a_course_that_is_not_published_refuses(status, dummy_trainee, create_course, staff):
    course = create_course(status=status)
    assert codes(enrolment.refusals(dummy_trainee, course)) == ["not_open"]
    with pytest.raises(InvalidInput) as err:
        enrolment.enroll(dummy_trainee, course)
    assert err.value.code == "not_open"
    if status == "closed":
        # staff may still add someone by hand once registration was closed
        enrolment.enroll(dummy_trainee, course, actor=staff, bypass_window=True)
        assert db.session.scalar(select(func.count(Enrollment.id))) == 1
    else:
        # not even staff put someone in a draft or archived course
        with pytest.raises(InvalidInput):
            enrolment.enroll(dummy_trainee, course, actor=staff, bypass_window=True)
        assert db.session.scalar(select(func.count(Enrollment.id))) == 0


def test_registration_not_yet_open(dummy_trainee, create_course):
    course = create_course(registration_opens_at=utcnow() + timedelta(days=2))
    found = enrolment.refusals(dummy_trainee, course)
    assert codes(found) == ["not_yet_open"]
    with pytest.raises(InvalidInput) as err:
        enrolment.enroll(dummy_trainee, course)
    assert err.value.code == "not_yet_open"
    # the window opens at its very instant
    opens = course.registration_opens_at
    assert codes(enrolment.refusals(dummy_trainee, course, now=opens - timedelta(seconds=1))) == [
        "not_yet_open"
    ]
    assert enrolment.refusals(dummy_trainee, course, now=opens) == []


def test_registration_closed(dummy_trainee, create_course):
    closes = utcnow() - timedelta(hours=1)
    course = create_course(
        registration_opens_at=closes - timedelta(days=10), registration_closes_at=closes
    )
    assert codes(enrolment.refusals(dummy_trainee, course)) == ["closed"]
    with pytest.raises(InvalidInput) as err:
        enrolment.enroll(dummy_trainee, course)
    assert err.value.code == "closed"
    # it closes at its very instant
    assert enrolment.refusals(dummy_trainee, course, now=closes - timedelta(seconds=1)) == []
    assert codes(enrolment.refusals(dummy_trainee, course, now=closes)) == ["closed"]


@pytest.mark.parametrize("window", ["not_yet_open", "closed"])
def test_staff_bypass_the_window(window, trainees, create_course, staff):
    if window == "closed":
        closes = utcnow() - timedelta(hours=1)
        course = create_course(
            registration_opens_at=closes - timedelta(days=10), registration_closes_at=closes
        )
    else:
        course = create_course(registration_opens_at=utcnow() + timedelta(days=2))
    ani, budi = trainees(2)
    assert enrolment.refusals(ani, course, bypass_window=True) == []
    e = enrolment.enroll(ani, course, actor=staff, bypass_window=True)
    db.session.commit()
    assert e.status == "enrolled"
    assert e.decided_by_id == staff.id
    # the trainee alone cannot, and bypassing the window does not bypass the other rules
    with pytest.raises(InvalidInput):
        enrolment.enroll(budi, course)
    budi.phone = None
    assert codes(enrolment.refusals(budi, course, bypass_window=True)) == ["profile_incomplete"]
    with pytest.raises(InvalidInput) as err:
        enrolment.enroll(budi, course, actor=staff, bypass_window=True)
    assert err.value.code == "profile_incomplete"
    assert_seats(course)


@pytest.mark.parametrize(
    "missing", ["nik", "birth_date", "gender", "phone", "regency_code", "target_group"]
)
def test_an_incomplete_profile_refuses(missing, dummy_trainee, create_course):
    course = create_course()
    setattr(dummy_trainee, missing, None)
    db.session.commit()
    assert "profile_incomplete" in codes(enrolment.refusals(dummy_trainee, course))
    with pytest.raises(InvalidInput):
        enrolment.enroll(dummy_trainee, course)


def test_an_account_without_any_profile_refuses(create_user, create_course):
    user = create_user("trainee", profile=False)
    assert "profile_incomplete" in codes(enrolment.refusals(user, create_course()))


def test_target_groups(create_user, create_course):
    course = create_course(target_groups=["purna_pmi", "family"])
    cpmi = create_user("trainee", target_group="cpmi")
    purna = create_user("trainee", target_group="purna_pmi")
    family = create_user("trainee", target_group="family")
    assert codes(enrolment.refusals(cpmi, course)) == ["target_group"]
    with pytest.raises(InvalidInput) as err:
        enrolment.enroll(cpmi, course)
    assert err.value.code == "target_group"
    assert enrolment.enroll(purna, course).status == "enrolled"
    assert enrolment.enroll(family, course).status == "enrolled"
    # no groups named: everyone may enrol
    assert enrolment.refusals(cpmi, create_course(target_groups=[])) == []


def test_ages_are_taken_on_the_start_date_with_both_limits_included(create_user, create_course):
    starts_on = local_today() + timedelta(days=30)
    if (starts_on.month, starts_on.day) == (2, 29):
        starts_on += timedelta(days=1)
    course = create_course(starts_on=starts_on, min_age=18, max_age=35)

    def age_check(birth):
        user = create_user("trainee", birth_date=birth)
        return codes(enrolment.refusals(user, course))

    # 17 today, 18 on the first day: old enough
    assert age_check(years_before(starts_on, 18)) == []
    # turns 18 the day after the start
    assert age_check(years_before(starts_on, 18) + timedelta(days=1)) == ["too_young"]
    # exactly 35 on the first day
    assert age_check(years_before(starts_on, 35)) == []
    # turns 36 the day after the start: still 35
    assert age_check(years_before(starts_on, 36) + timedelta(days=1)) == []
    # 35 today, 36 on the first day: too old
    assert age_check(years_before(starts_on, 36)) == ["too_old"]
    with pytest.raises(InvalidInput) as err:
        enrolment.enroll(create_user("trainee", birth_date=years_before(starts_on, 40)), course)
    assert err.value.code == "too_old"


def test_an_overlapping_active_enrolment_refuses(trainees, create_course):
    (ani,) = trainees(1)
    first = create_course(**block(0))
    overlapping = create_course(starts_on=first.ends_on, ends_on=first.ends_on + timedelta(days=20))
    after = create_course(
        starts_on=first.ends_on + timedelta(days=1), ends_on=first.ends_on + timedelta(days=20)
    )
    enrolment.enroll(ani, first)
    db.session.commit()
    found = enrolment.refusals(ani, overlapping)
    assert codes(found) == ["overlap"]
    with force_locale("en"):
        assert first.code in enrolment.refusals(ani, overlapping)[0].message
    with pytest.raises(InvalidInput) as err:
        enrolment.enroll(ani, overlapping)
    assert err.value.code == "overlap"
    # the day after the last day is free
    assert enrolment.refusals(ani, after) == []


@pytest.mark.parametrize("status", ["pending", "waitlisted"])
def test_a_pending_or_waitlisted_enrolment_blocks_too(status, trainees, create_course):
    ani, budi = trainees(2)
    first = create_course(
        capacity=1, requires_approval=status == "pending", starts_on=block(0)["starts_on"]
    )
    if status == "waitlisted":
        enrolment.enroll(budi, first)
    assert enrolment.enroll(ani, first).status == status
    same_time = create_course(starts_on=first.starts_on)
    assert codes(enrolment.refusals(ani, same_time)) == ["overlap"]


def test_a_cancelled_or_finished_enrolment_does_not_block(trainees, create_course, staff):
    ani, budi, citra = trainees(3)
    today = local_today()
    # a running course, still open, that overlaps a course that ended yesterday
    running = create_course(
        starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=20)
    )
    ended = create_course(starts_on=today - timedelta(days=40), ends_on=today - timedelta(days=1))
    enrolment.enroll(ani, ended, actor=staff, bypass_window=True)
    db.session.commit()
    assert enrolment.refusals(ani, running) == []
    # cancelled
    first = create_course(**block(0))
    same_time = create_course(**block(0))
    mine = enrolment.enroll(budi, first)
    assert codes(enrolment.refusals(budi, same_time)) == ["overlap"]
    enrolment.cancel(mine, budi)
    db.session.commit()
    assert enrolment.refusals(budi, same_time) == []
    # completed
    done = enrolment.enroll(citra, first)
    done.status = "completed"
    db.session.commit()
    assert enrolment.refusals(citra, same_time) == []


def test_the_cap_on_active_enrolments(app, monkeypatch, trainees, create_course):
    monkeypatch.setitem(app.config, "MAX_ACTIVE_ENROLLMENTS", 2)
    (ani,) = trainees(1)
    courses = [create_course(**block(k)) for k in range(4)]
    first = enrolment.enroll(ani, courses[0])
    enrolment.enroll(ani, courses[1])
    db.session.commit()
    found = enrolment.refusals(ani, courses[2])
    assert codes(found) == ["too_many"]
    with force_locale("en"):
        assert enrolment.refusals(ani, courses[2])[0].message == (
            "You can hold at most 2 active enrolments at a time."
        )
    with pytest.raises(InvalidInput) as err:
        enrolment.enroll(ani, courses[2])
    assert err.value.code == "too_many"
    # a cancelled one frees a place under the cap
    enrolment.cancel(first, ani)
    assert enrolment.enroll(ani, courses[2]).status == "enrolled"
    assert codes(enrolment.refusals(ani, courses[3])) == ["too_many"]
    # 0 means no cap
    monkeypatch.setitem(app.config, "MAX_ACTIVE_ENROLLMENTS", 0)
    assert enrolment.refusals(ani, courses[3]) == []


@pytest.mark.parametrize("role", ["trainer", "staff", "admin"])
def test_only_trainees_enrol(role, create_user, create_course):
    user = create_user(role)
    course = create_course()
    assert codes(enrolment.refusals(user, course)) == ["not_trainee"]
    with pytest.raises(InvalidInput) as err:
        enrolment.enroll(user, course)
    assert err.value.code == "not_trainee"


def test_every_refusal_is_reported_at_once(create_user, create_course):
    user = create_user("trainee", profile=False, target_group="family")
    course = create_course(
        status="draft",
        registration_opens_at=utcnow() + timedelta(days=2),
        target_groups=["cpmi"],
    )
    found = enrolment.refusals(user, course)
    assert codes(found) == ["not_open", "not_yet_open", "profile_incomplete", "target_group"]
    with force_locale("en"), pytest.raises(InvalidInput) as err:
        enrolment.enroll(user, course)
    assert err.value.code == "not_open"
    assert str(err.value.message) == "You cannot enrol in this course."
    assert err.value.fields["enrollment"] == [
        "This course is not open for registration.",
        err.value.fields["enrollment"][1],
        "Complete your profile before you enrol.",
        "This course is not open to your group of participants.",
    ]
    assert err.value.fields["enrollment"][1].startswith("Registration opens on ")


def test_refusals_speak_the_trainees_language(create_user, create_course):
    sixteen = date(local_today().year - 16, 1, 1)
    user = create_user("trainee", profile=False, birth_date=sixteen)
    course = create_course(min_age=18, max_age=35)
    with force_locale("en"):
        messages_en = [r.message for r in enrolment.refusals(user, course)]
        with pytest.raises(InvalidInput) as err_en:
            enrolment.enroll(user, course)
    with force_locale("id"):
        messages_id = [r.message for r in enrolment.refusals(user, course)]
        with pytest.raises(InvalidInput) as err_id:
            enrolment.enroll(user, course)
    assert messages_en == [
        "Complete your profile before you enrol.",
        "You must be at least 18 years old on the first day.",
    ]
    assert messages_id == [
        "Lengkapi profil Anda sebelum mendaftar.",
        "Anda harus berusia minimal 18 tahun pada hari pertama pelatihan.",
    ]
    assert str(err_en.value.message) == "You cannot enrol in this course."
    assert str(err_id.value.message) == "Anda tidak dapat mendaftar pelatihan ini."
    # one refusal: its own message is the error's
    with force_locale("id"), pytest.raises(InvalidInput) as err:
        enrolment.enroll(
            create_user("trainee", target_group="family"), create_course(target_groups=["cpmi"])
        )
    assert str(err.value.message) == "Pelatihan ini tidak terbuka untuk kelompok peserta Anda."


# --- seats and the waitlist -------------------------------------------------------------------


@pytest.mark.parametrize("status", ["enrolled", "waitlisted", "pending", "completed"])
def test_enrolling_twice_is_a_conflict(status, trainees, create_course):
    ani, budi = trainees(2)
    course = create_course(capacity=1, requires_approval=status == "pending")
    if status == "waitlisted":
        enrolment.enroll(budi, course)
    e = enrolment.enroll(ani, course)
    if status == "completed":
        e.status = "completed"
    db.session.commit()
    with pytest.raises(Conflict) as err:
        enrolment.enroll(ani, course)
    assert err.value.code == "already_enrolled"
    assert db.session.scalar(select(func.count()).where(Enrollment.user_id == ani.id)) == 1
    assert_seats(course)


@pytest.mark.parametrize("how", ["cancelled", "rejected"])
def test_enrolling_again_reuses_the_row(how, dummy_trainee, create_course, staff):
    course = create_course(requires_approval=how == "rejected")
    first = enrolment.enroll(dummy_trainee, course)
    if how == "cancelled":
        enrolment.cancel(first, dummy_trainee, reason="Sakit")
    else:
        enrolment.reject(first, staff, reason="Kuota penuh")
    db.session.commit()
    again = enrolment.enroll(dummy_trainee, course)
    db.session.commit()
    assert again.id == first.id
    assert again.status == ("enrolled" if how == "cancelled" else "pending")
    assert again.reason is None
    assert db.session.scalar(select(func.count(Enrollment.id))) == 1
    assert_seats(course)


def test_a_full_course_without_waitlist_refuses(trainees, create_course):
    people = trainees(3)
    course = create_course(capacity=2, waitlist=False)
    fill(course, people[:2])
    with pytest.raises(Conflict) as err:
        enrolment.enroll(people[2], course)
    assert err.value.code == "full"
    db.session.commit()
    assert db.session.scalar(select(func.count()).where(Enrollment.user_id == people[2].id)) == 0
    assert_seats(course)


def test_seats_then_waitlist_tickets(trainees, create_course):
    people = trainees(6)
    course = create_course(capacity=2)
    made = fill(course, people)
    assert [e.status for e in made] == ["enrolled"] * 2 + ["waitlisted"] * 4
    assert [enrolment.waitlist_position(e) for e in made] == [None, None, 1, 2, 3, 4]
    assert enrolment.waitlist_positions(course.id) == {e.id: i for i, e in enumerate(made[2:], 1)}
    tickets = [e.waitlist_position for e in made[2:]]
    assert tickets == sorted(tickets) and len(set(tickets)) == 4
    assert course.enrolled_count == 2
    assert_seats(course)


def test_waitlist_positions_close_up_after_cancellations_in_the_middle(trainees, create_course):
    people = trainees(7)
    course = create_course(capacity=1)
    made = fill(course, people[:6])
    waiting = made[1:]
    enrolment.cancel(waiting[1], waiting[1].user)
    enrolment.cancel(waiting[3], waiting[3].user)
    db.session.commit()
    left = [waiting[0], waiting[2], waiting[4]]
    assert [enrolment.waitlist_position(e) for e in left] == [1, 2, 3]
    assert enrolment.waitlist_position(row(waiting[1])) is None
    assert enrolment.waitlist_positions(course.id) == {e.id: i for i, e in enumerate(left, 1)}
    # a newcomer goes to the end
    late = enrolment.enroll(people[6], course)
    assert enrolment.waitlist_position(late) == 4
    assert_seats(course)


def test_promotion_follows_the_waitlist_order(trainees, create_course, staff):
    people = trainees(7)
    course = create_course(capacity=2)
    e1, e2, w1, w2, w3, w4, w5 = fill(course, people)
    enrolment.cancel(e1, e1.user)
    assert statuses(w1, w2) == ["enrolled", "waitlisted"]
    enrolment.cancel(w3, staff)  # leaves the queue: never promoted
    enrolment.cancel(e2, staff)
    assert statuses(w2, w3, w4) == ["enrolled", "cancelled", "waitlisted"]
    enrolment.cancel(w1, w1.user)
    assert statuses(w4, w5) == ["enrolled", "waitlisted"]
    assert enrolment.waitlist_position(w5) == 1
    db.session.commit()
    for promoted in (w1, w2, w4):
        assert kinds(promoted.user) == ["waitlisted", "promoted"] + (
            ["cancelled"] if promoted is w1 else []
        )
    assert kinds(w5.user) == ["waitlisted"]
    assert_seats(course)


def test_rejecting_a_waitlisted_trainee_promotes_nobody(trainees, create_course, staff):
    people = trainees(3)
    course = create_course(capacity=1)
    e1, w1, w2 = fill(course, people)
    rejected = enrolment.reject(w1, staff, reason="Dokumen tidak lengkap")
    db.session.commit()
    assert rejected.status == "rejected"
    assert rejected.waitlist_position is None
    assert rejected.reason == "Dokumen tidak lengkap"
    assert rejected.decided_by_id == staff.id
    assert statuses(e1, w2) == ["enrolled", "waitlisted"]
    assert enrolment.waitlist_position(w2) == 1
    assert kinds(w2.user) == ["waitlisted"]
    assert course.enrolled_count == 1
    assert_seats(course)


def test_rejecting_a_pending_request_in_a_full_course_promotes_nobody(
    trainees, create_course, staff
):
    people = trainees(3)
    course = create_course(capacity=1, requires_approval=True)
    a, b, c = fill(course, people)
    assert [e.status for e in (a, b, c)] == ["pending"] * 3
    assert course.enrolled_count == 0
    enrolment.approve(a, staff)
    enrolment.approve(b, staff)
    enrolment.reject(c, staff, reason="Bukan purna PMI")
    db.session.commit()
    assert statuses(a, b, c) == ["enrolled", "waitlisted", "rejected"]
    assert_seats(course)


def test_approval_gives_a_seat_or_the_waitlist(trainees, create_user, create_course, staff):
    ani, citra = trainees(2)
    budi = create_user("trainee", locale="en")
    course = create_course(capacity=1, requires_approval=True)
    a, b = fill(course, [ani, budi])
    assert (a.status, b.status) == ("pending", "pending")
    assert a.waitlist_position is None
    approved = enrolment.approve(a, staff)
    assert approved.status == "enrolled"
    assert approved.decided_by_id == staff.id
    assert_seats(course)
    waiting = enrolment.approve(b, staff)
    db.session.commit()
    assert waiting.status == "waitlisted"
    assert enrolment.waitlist_position(waiting) == 1
    assert "position 1" in messages(budi, "approved")[0].body
    assert_seats(course)
    # staff adding someone by hand skip the request: a seat or the waitlist at once
    added = enrolment.enroll(citra, course, actor=staff)
    assert added.status == "waitlisted"
    assert enrolment.waitlist_position(added) == 2
    assert_seats(course)


@pytest.mark.parametrize("status", ["enrolled", "waitlisted", "rejected", "cancelled"])
def test_only_a_pending_request_can_be_approved(status, trainees, create_course, staff):
    ani, budi = trainees(2)
    course = create_course(capacity=1, requires_approval=True)
    if status == "waitlisted":
        enrolment.approve(enrolment.enroll(budi, course), staff)
    e = enrolment.enroll(ani, course)
    if status == "rejected":
        enrolment.reject(e, staff)
    elif status == "cancelled":
        enrolment.cancel(e, ani)
    else:
        enrolment.approve(e, staff)
    db.session.commit()
    assert e.status == status
    with pytest.raises(Conflict) as err:
        enrolment.approve(e, staff)
    assert err.value.code == "not_pending"
    assert row(e).status == status
    assert_seats(course)


# --- cancellation -----------------------------------------------------------------------------


@pytest.mark.parametrize("days_ago", [0, 3])
def test_trainees_cannot_cancel_once_the_course_started(days_ago, trainees, create_course, staff):
    ani, budi = trainees(2)
    today = local_today()
    course = create_course(
        capacity=1, starts_on=today - timedelta(days=days_ago), ends_on=today + timedelta(days=20)
    )
    mine, waiting = fill(course, [ani, budi], actor=staff)
    with pytest.raises(InvalidInput) as err:
        enrolment.cancel(mine, ani)
    assert err.value.code == "started"
    assert row(mine).status == "enrolled"
    # staff may, at any time; the seat goes to the waitlist
    enrolment.cancel(mine, staff, reason="Pindah domisili")
    db.session.commit()
    assert statuses(mine, waiting) == ["cancelled", "enrolled"]
    assert mine.reason == "Pindah domisili"
    assert mine.decided_by_id == staff.id
    assert_seats(course)


def test_trainees_leave_the_waitlist_even_after_the_start(trainees, create_course, staff):
    ani, budi = trainees(2)
    today = local_today()
    course = create_course(
        capacity=1, starts_on=today - timedelta(days=2), ends_on=today + timedelta(days=20)
    )
    _mine, waiting = fill(course, [ani, budi], actor=staff)
    enrolment.cancel(waiting, budi)
    db.session.commit()
    assert row(waiting).status == "cancelled"
    assert_seats(course)


def test_trainees_cancel_their_own_before_the_start(dummy_trainee, create_course):
    course = create_course(starts_on=local_today() + timedelta(days=1))
    e = enrolment.enroll(dummy_trainee, course)
    enrolment.cancel(e, dummy_trainee, reason="  ")
    db.session.commit()
    assert e.status == "cancelled"
    assert e.reason is None
    assert e.decided_by_id is None
    assert course.enrolled_count == 0
    assert_seats(course)


def test_staff_cancel_even_a_finished_course(dummy_trainee, create_course, staff):
    today = local_today()
    course = create_course(starts_on=today - timedelta(days=30), ends_on=today - timedelta(days=2))
    e = enrolment.enroll(dummy_trainee, course, actor=staff, bypass_window=True)
    db.session.commit()
    enrolment.cancel(e, staff)
    db.session.commit()
    assert e.status == "cancelled"
    assert course.enrolled_count == 0
    assert_seats(course)


def test_a_completed_enrolment_is_not_cancelled(dummy_trainee, create_course, staff):
    """Completed means certified: the certificate is revoked first (tests/test_certificate_rules)."""
    today = local_today()
    course = create_course(starts_on=today - timedelta(days=30), ends_on=today - timedelta(days=2))
    e = enrolment.enroll(dummy_trainee, course, actor=staff, bypass_window=True)
    e.status = "completed"
    db.session.commit()
    with pytest.raises(Conflict):
        enrolment.cancel(e, staff)
    db.session.rollback()
    assert e.status == "completed" and course.enrolled_count == 1


def test_nobody_moves_up_into_a_course_that_is_over(trainees, create_course, staff):
    ani, budi = trainees(2)
    today = local_today()
    course = create_course(
        capacity=1, starts_on=today - timedelta(days=30), ends_on=today - timedelta(days=1)
    )
    seat, waiting = fill(course, [ani, budi], actor=staff)
    assert waiting.status == "waitlisted"
    enrolment.cancel(seat, staff, reason="Tidak pernah hadir")
    db.session.commit()
    assert statuses(seat, waiting) == ["cancelled", "waitlisted"]
    assert kinds(budi) == ["waitlisted"]
    assert course.enrolled_count == 0


@pytest.mark.parametrize("role", ["trainee", "trainer"])
def test_nobody_else_cancels_a_trainees_enrolment(role, create_user, dummy_trainee, create_course):
    course = create_course()
    e = enrolment.enroll(dummy_trainee, course)
    db.session.commit()
    with pytest.raises(Forbidden):
        enrolment.cancel(e, create_user(role))
    assert row(e).status == "enrolled"
    assert_seats(course)


def test_cancelling_twice_is_a_conflict(dummy_trainee, dummy_course):
    e = enrolment.enroll(dummy_trainee, dummy_course)
    enrolment.cancel(e, dummy_trainee)
    with pytest.raises(Conflict) as err:
        enrolment.cancel(e, dummy_trainee)
    assert err.value.code == "not_active"
    assert_seats(dummy_course)


# --- capacity changes -------------------------------------------------------------------------


def test_raising_the_capacity_promotes_the_head_of_the_waitlist(trainees, create_course, staff):
    people = trainees(6)
    course = create_course(capacity=2)
    made = fill(course, people)
    catalog.update_course(course, {"capacity": 4}, actor=staff)
    db.session.commit()
    assert statuses(*made) == ["enrolled"] * 4 + ["waitlisted"] * 2
    assert [enrolment.waitlist_position(e) for e in made[4:]] == [1, 2]
    for e in made[2:4]:
        assert kinds(e.user) == ["waitlisted", "promoted"]
        promoted = [a for a in audit_actions(e) if a.action == "enrollment.promoted"]
        assert len(promoted) == 1 and promoted[0].actor_id == staff.id
    assert_seats(course)
    # more seats than people waiting: everyone moves up and the rest stay free
    catalog.update_course(course, {"capacity": 10}, actor=staff)
    db.session.commit()
    assert statuses(*made) == ["enrolled"] * 6
    assert course.enrolled_count == 6
    assert_seats(course)


def test_the_capacity_cannot_go_below_the_seats_taken(trainees, create_course, staff):
    people = trainees(3)
    course = create_course(capacity=3)
    fill(course, people)
    with pytest.raises(InvalidInput) as err:
        catalog.update_course(course, {"capacity": 2}, actor=staff)
    assert "capacity" in err.value.fields
    db.session.rollback()
    assert db.session.get(type(course), course.id).capacity == 3
    catalog.update_course(course, {"capacity": 3, "title": "Tata Graha Lanjut"}, actor=staff)
    db.session.commit()
    assert_seats(course)


# --- moves by staff ---------------------------------------------------------------------------


def test_move_pending_to_enrolled_approves(trainees, create_course, staff):
    (ani,) = trainees(1)
    course = create_course(requires_approval=True)
    e = enrolment.enroll(ani, course)
    assert enrolment.move(e, "enrolled", staff).status == "enrolled"
    assert [a.action for a in audit_actions(e)] == ["enrollment.pending", "enrollment.approved"]
    assert_seats(course)


def test_move_waitlisted_to_enrolled_out_of_turn(trainees, create_course, staff):
    people = trainees(4)
    course = create_course(capacity=1)
    e1, w1, w2, w3 = fill(course, people)
    # no seat free: refused
    with pytest.raises(Conflict) as err:
        enrolment.move(w2, "enrolled", staff)
    assert err.value.code == "full"
    # a seat freed outside the services (e.g. by an import) goes to whom staff choose
    course.capacity = 2
    db.session.commit()
    moved = enrolment.move(w2, "enrolled", staff)
    db.session.commit()
    assert statuses(w1, moved, w3) == ["waitlisted", "enrolled", "waitlisted"]
    assert [enrolment.waitlist_position(e) for e in (w1, w3)] == [1, 2]
    assert moved.decided_by_id == staff.id
    entry = audit_actions(moved)[-1]
    assert (entry.action, entry.actor_id, entry.data["by_hand"]) == (
        "enrollment.promoted",
        staff.id,
        True,
    )
    assert_seats(course)


@pytest.mark.parametrize("start", ["pending", "waitlisted"])
def test_move_to_rejected(start, trainees, create_course, staff):
    ani, budi = trainees(2)
    course = create_course(capacity=1, requires_approval=start == "pending")
    if start == "waitlisted":
        enrolment.enroll(budi, course)
    e = enrolment.enroll(ani, course)
    assert e.status == start
    moved = enrolment.move(e, "rejected", staff, reason="Tidak memenuhi syarat")
    assert (moved.status, moved.reason) == ("rejected", "Tidak memenuhi syarat")
    assert audit_actions(moved)[-1].action == "enrollment.rejected"
    assert_seats(course)


@pytest.mark.parametrize("start", ["pending", "enrolled", "waitlisted"])
def test_move_to_cancelled(start, trainees, create_course, staff):
    ani, budi, citra = trainees(3)
    course = create_course(capacity=1, requires_approval=start == "pending")
    if start == "waitlisted":
        enrolment.enroll(budi, course)
    e = enrolment.enroll(ani, course)
    if start == "enrolled":
        enrolment.enroll(citra, course)  # waits, and gets the seat
    assert e.status == start
    moved = enrolment.move(e, "cancelled", staff, reason="Atas permintaan peserta")
    assert moved.status == "cancelled"
    entry = audit_actions(moved)[-1]
    assert (entry.action, entry.data["old"]) == ("enrollment.cancelled", start)
    if start == "enrolled":
        assert (
            db.session.scalar(select(Enrollment.status).where(Enrollment.user_id == citra.id))
            == "enrolled"
        )
    assert_seats(course)


@pytest.mark.parametrize("start", ["cancelled", "rejected"])
def test_move_back_to_enrolled_enrols_again(start, trainees, create_course, staff):
    course = create_course(requires_approval=True)
    (ani,) = trainees(1)
    e = enrolment.enroll(ani, course)
    assert e.status == "pending"
    if start == "cancelled":
        enrolment.cancel(e, staff)
    else:
        enrolment.reject(e, staff)
    closes = utcnow() - timedelta(hours=1)
    catalog.update_course(
        course,
        {"registration_opens_at": closes - timedelta(days=10), "registration_closes_at": closes},
    )
    db.session.commit()
    assert codes(enrolment.refusals(ani, course)) == ["closed"]
    # window closed and approval needed: staff moving it still gives the seat
    moved = enrolment.move(e, "enrolled", staff)
    assert moved.id == e.id
    assert moved.status == "enrolled"
    assert audit_actions(moved)[-1].action == "enrollment.enrolled"
    assert_seats(course)


@pytest.mark.parametrize(
    ("start", "target", "error"),
    [
        ("enrolled", "waitlisted", InvalidInput),
        ("enrolled", "pending", InvalidInput),
        ("enrolled", "completed", InvalidInput),
        ("enrolled", "enrolled", InvalidInput),
        ("enrolled", "bogus", InvalidInput),
        ("cancelled", "cancelled", Conflict),
        ("enrolled", "rejected", Conflict),
    ],
)
def test_refused_moves(start, target, error, dummy_trainee, dummy_course, staff):
    e = enrolment.enroll(dummy_trainee, dummy_course)
    if start == "cancelled":
        enrolment.cancel(e, staff)
    db.session.commit()
    with pytest.raises(error) as err:
        enrolment.move(e, target, staff)
    if error is InvalidInput:
        assert err.value.code == "bad_move"
    assert row(e).status == start
    assert_seats(dummy_course)


# --- messages and audit -----------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "id"])
def test_every_event_writes_a_message_in_the_trainees_language(
    locale, create_user, create_course, staff
):
    me = create_user("trainee", name="Ani Saputri", locale=locale)
    other = create_user("trainee")
    titled = {"title": "Tata Graha", "title_en": "Housekeeping"}
    a = create_course(capacity=1, **block(0), **titled)
    b = create_course(capacity=1, **block(1), **titled)
    c = create_course(requires_approval=True, **block(2), **titled)
    d = create_course(requires_approval=True, **block(3), **titled)
    # enrolled, then cancelled
    enrolment.cancel(enrolment.enroll(me, a), me, reason="Sakit")
    # waitlisted, then promoted
    seat = enrolment.enroll(other, b)
    enrolment.enroll(me, b)
    enrolment.cancel(seat, staff)
    # pending, then rejected
    enrolment.reject(enrolment.enroll(me, c), staff, reason="Kuota penuh")
    # pending, then approved
    enrolment.approve(enrolment.enroll(me, d), staff)
    db.session.commit()
    assert kinds(me) == [
        "enrolled",
        "cancelled",
        "waitlisted",
        "promoted",
        "pending",
        "rejected",
        "pending",
        "approved",
    ]
    title = "Housekeeping" if locale == "en" else "Tata Graha"
    with force_locale(locale):
        hello = gettext("Hello %(name)s,", name="Ani Saputri")
        for message in messages(me):
            kind = message.kind.removeprefix("enrollment_")
            assert message.locale == locale
            assert message.recipient == me.email
            assert message.subject == gettext(SUBJECTS[kind], course=title)
            assert message.body.startswith(hello)
    if locale == "id":
        assert messages(me, "enrolled")[0].subject == "Anda terdaftar: Tata Graha"
        assert messages(me, "waitlisted")[0].body.startswith("Halo Ani Saputri,")
    else:
        assert messages(me, "waitlisted")[0].body.count("position 1") == 1
        assert "Reason: Kuota penuh" in messages(me, "rejected")[0].body
        assert "Reason: Sakit" in messages(me, "cancelled")[0].body


def test_a_failed_enrolment_writes_nothing(create_user, create_course):
    user = create_user("trainee", profile=False)
    with pytest.raises(InvalidInput):
        enrolment.enroll(user, create_course())
    assert messages(user) == []
    assert (
        db.session.scalar(select(func.count()).where(AuditEntry.action.like("enrollment.%"))) == 0
    )


def test_every_decision_is_audited(trainees, create_course, staff):
    ani, budi, citra = trainees(3)
    course = create_course(capacity=1, requires_approval=True)
    a, b, c = fill(course, [ani, budi, citra])
    enrolment.approve(a, staff)
    enrolment.approve(b, staff)
    enrolment.reject(c, staff, reason="Kuota penuh")
    enrolment.cancel(a, ani)
    db.session.commit()

    def trail(e):
        return [(x.action, x.actor_id) for x in audit_actions(e)]

    assert trail(a) == [
        ("enrollment.pending", ani.id),
        ("enrollment.approved", staff.id),
        ("enrollment.cancelled", ani.id),
    ]
    assert trail(b) == [
        ("enrollment.pending", budi.id),
        ("enrollment.approved", staff.id),
        ("enrollment.promoted", ani.id),
    ]
    assert trail(c) == [("enrollment.pending", citra.id), ("enrollment.rejected", staff.id)]
    approved = audit_actions(b)[1]
    assert approved.data["result"] == "waitlisted"
    assert audit_actions(c)[-1].data["reason"] == "Kuota penuh"
    assert audit_actions(a)[-1].data["old"] == "enrolled"
    assert_seats(course)


# --- reminders --------------------------------------------------------------------------------


def test_reminders_the_day_before_the_first_session(
    trainees, create_user, create_course, create_session
):
    today = local_today()
    tomorrow = today + timedelta(days=1)
    a, b, c, d = trainees(4)
    english = create_user("trainee", locale="en")
    late, cancelled_first, started = trainees(3)

    starts_tomorrow = create_course(capacity=2, starts_on=tomorrow)
    create_session(starts_tomorrow)
    create_session(starts_tomorrow, starts_at=combine_local(tomorrow + timedelta(days=1), time(8)))
    ea, eb, ec, ed = fill(starts_tomorrow, [a, b, c, d])
    enrolment.cancel(eb, b)  # c moves up; d still waits
    # the first meeting was today but was called off: the first held one is tomorrow
    today_off = create_course(starts_on=today)
    catalog.cancel_session(create_session(today_off), "Banjir")
    create_session(today_off, starts_at=combine_local(tomorrow, time(13)))
    fill(today_off, [english])
    # the first meeting is today: too late for a reminder
    today_on = create_course(starts_on=today)
    create_session(today_on, starts_at=combine_local(today, time(23, 30)))
    fill(today_on, [started])
    # starts the day after tomorrow: not yet
    later = create_course(starts_on=tomorrow + timedelta(days=1))
    create_session(later)
    fill(later, [late])
    # tomorrow's meeting is called off; the first one held is later
    moved = create_course(starts_on=tomorrow)
    catalog.cancel_session(create_session(moved), "Libur")
    create_session(moved, starts_at=combine_local(tomorrow + timedelta(days=2), time(8)))
    fill(moved, [cancelled_first])
    db.session.commit()

    assert enrolment.send_reminders() == 3
    db.session.commit()
    reminded = {u.id for u in (a, c, english)}
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "enrollment_reminder")
    ).all()
    assert sorted(m.user_id for m in rows) == sorted(reminded)
    for e in (ea, ec):
        assert row(e).reminded_at is not None
    for e in (eb, ed):
        assert row(e).reminded_at is None
    message = messages(english, "reminder")[0]
    assert message.locale == "en"
    assert message.subject.startswith("Tomorrow: ")
    assert "13:00" in message.body  # in WIB
    # once only
    assert enrolment.due_reminders() == []
    assert enrolment.send_reminders() == 0
    db.session.commit()
    assert (
        db.session.scalar(select(func.count()).where(OutboxMessage.kind == "enrollment_reminder"))
        == 3
    )
    # nothing for a trainee promoted after the reminders went out until the next run
    enrolment.cancel(ea, a)
    db.session.commit()
    assert enrolment.send_reminders() == 1
    assert messages(d, "reminder")


def test_a_session_called_off_and_set_again_at_the_same_time_reminds_once(
    dummy_trainee, create_course, create_session
):
    tomorrow = local_today() + timedelta(days=1)
    course = create_course(starts_on=tomorrow)
    catalog.cancel_session(create_session(course), "Ruang dipakai")
    create_session(course, location="Aula BLK")
    fill(course, [dummy_trainee])
    assert enrolment.send_reminders() == 1
    db.session.commit()
    (message,) = messages(dummy_trainee, "reminder")
    assert "Aula BLK" in message.body


def test_reminders_for_another_day(dummy_trainee, create_course, create_session):
    course = create_course(starts_on=local_today() + timedelta(days=5))
    create_session(course)
    fill(course, [dummy_trainee])
    assert enrolment.send_reminders() == 0
    assert enrolment.send_reminders(today=course.starts_on - timedelta(days=1)) == 1


def test_staff_add_a_trainee_to_a_course_whose_registration_was_closed(
    dummy_trainee, create_course, staff
):
    course = create_course(status="closed")
    with pytest.raises(InvalidInput):
        enrolment.enroll(dummy_trainee, course)
    e = enrolment.enroll(dummy_trainee, course, actor=staff, bypass_window=True)
    db.session.commit()
    assert e.status == "enrolled"
    assert_seats(course)


def test_a_missing_participant_group_is_reported_once(create_user, create_course):
    trainee = create_user("trainee", target_group=None)
    course = create_course(target_groups=["cpmi"])
    assert [r.code for r in enrolment.refusals(trainee, course)] == ["profile_incomplete"]


# --- enrolling many at once -------------------------------------------------------------------


def decision(user, enrollment=None, error=None):
    """What enrolling one trainee gave, comparable between ``enroll`` and ``enroll_many``."""
    if error is not None:
        fields = {k: [str(m) for m in v] for k, v in error.fields.items()}
        return (user.id, type(error).__name__, error.code, str(error.message), fields)
    return (user.id, enrollment.status)


def one_by_one(people, course, actor, bypass):
    """``enroll`` called for each trainee in turn, a refusal not stopping the others."""
    found = []
    for person in people:
        try:
            e = enrolment.enroll(person, course, actor=actor, bypass_window=bypass)
        except (InvalidInput, Conflict) as exc:
            found.append(decision(person, error=exc))
        else:
            found.append(decision(person, e))
    return found


def written(course, audit_after, outbox_after):
    """What the course holds and what was audited and queued since the marks."""
    db.session.flush()
    db.session.refresh(course)
    rows = db.session.scalars(
        select(Enrollment).where(Enrollment.course_id == course.id).order_by(Enrollment.user_id)
    ).all()
    owner = {e.id: e.user_id for e in rows}
    positions = enrolment.waitlist_positions(course.id)
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.id > audit_after).order_by(AuditEntry.id)
    ).all()
    outbox = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id > outbox_after).order_by(OutboxMessage.id)
    ).all()
    return {
        "enrolled_count": course.enrolled_count,
        "enrolments": [
            (e.user_id, e.status, positions.get(e.id), e.decided_by_id, e.reason) for e in rows
        ],
        "waitlist": [
            e.user_id
            for e in sorted(rows, key=lambda e: e.waitlist_position or 0)
            if e.status == "waitlisted"
        ],
        "audit": [
            (a.action, a.actor_id, a.object_type, owner.get(a.object_id), a.data) for a in entries
        ],
        "outbox": [(m.user_id, m.recipient, m.kind, m.locale, m.subject, m.body) for m in outbox],
    }


def last_id(model):
    return db.session.scalar(select(func.max(model.id))) or 0


@pytest.mark.parametrize(
    ("overrides", "by_staff", "bypass"),
    [
        ({}, True, False),
        ({"waitlist": False}, True, False),
        ({"capacity": 2}, True, False),  # full, with a waitlist, before the batch
        ({"requires_approval": True}, False, False),
        ({"status": "closed"}, True, True),
        ({"status": "closed"}, True, False),
    ],
    ids=[
        "seats-then-waitlist",
        "no-waitlist",
        "already-full",
        "approval",
        "closed-staff",
        "closed",
    ],
)
def test_enroll_many_decides_as_enroll_one_by_one(
    overrides, by_staff, bypass, app, monkeypatch, trainees, create_user, create_course, staff
):
    monkeypatch.setitem(app.config, "MAX_ACTIVE_ENROLLMENTS", 1)
    course = create_course(**{"capacity": 3, "target_groups": ["cpmi", "purna_pmi"], **overrides})
    same_time = create_course(starts_on=course.starts_on, ends_on=course.ends_on)
    later = create_course(**block(3))
    held, gone, busy, capped, *fresh = trainees(8)
    fresh.append(create_user("trainee", locale="en"))
    general = create_user("trainee", target_group="general")
    trainer = create_user("trainer")
    enrolment.enroll(held, course, actor=staff, bypass_window=True)
    cancelled = enrolment.enroll(gone, course, actor=staff, bypass_window=True)
    enrolment.cancel(cancelled, staff, reason="Sakit")
    enrolment.enroll(busy, same_time, actor=staff)
    enrolment.enroll(capped, later, actor=staff)
    if overrides.get("capacity") == 2:
        filler, first, second = trainees(3)
        queued = [enrolment.enroll(p, course, actor=staff) for p in (filler, first, second)]
        enrolment.cancel(queued[1], staff)  # a gap in the waitlist tickets
    db.session.commit()
    people = [
        gone,
        fresh[0],
        held,
        fresh[1],
        general,
        busy,
        fresh[2],
        capped,
        trainer,
        fresh[3],
        fresh[4],
        fresh[0],  # twice in the batch: already registered the second time
    ]
    actor = staff if by_staff else None
    marks = (last_id(AuditEntry), last_id(OutboxMessage))

    expected_decisions = one_by_one(people, course, actor, bypass)
    expected = written(course, *marks)
    db.session.rollback()

    outcomes = enrolment.enroll_many(people, course, actor=actor, bypass_window=bypass)
    assert [o.user for o in outcomes] == people
    assert [decision(o.user, o.enrollment, o.error) for o in outcomes] == expected_decisions
    assert written(course, *marks) == expected
    db.session.commit()
    assert_seats(course)
    # the mix reached every branch it was meant to
    kinds_seen = {d[1] if len(d) == 2 else d[2] for d in expected_decisions}
    assert "already_enrolled" in kinds_seen
    if overrides == {}:
        assert kinds_seen == {
            "enrolled",
            "waitlisted",
            "already_enrolled",
            "target_group",
            "overlap",
            "too_many",
            "not_trainee",
        }
        assert len(expected["waitlist"]) == 4
    if overrides == {"waitlist": False}:
        assert "full" in kinds_seen


def test_enroll_many_reads_in_bulk(trainees, create_course, staff):
    """A fixed number of statements besides the inserts, whatever the number of trainees."""
    from tests.fixtures.queries import statements

    def not_inserts(n):
        course = create_course(capacity=n // 2)
        people = trainees(n)
        with statements() as sent:
            outcomes = enrolment.enroll_many(people, course, actor=staff)
        assert [o.enrollment.status for o in outcomes] == ["enrolled"] * (n // 2) + [
            "waitlisted"
        ] * (n - n // 2)
        db.session.commit()
        return [s for s in sent if not s.lstrip().upper().startswith("INSERT")]

    assert len(not_inserts(4)) == len(not_inserts(30))
