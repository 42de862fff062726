"""The course's lock is held for the seat decision only (PostgreSQL): the rules, and the
enrolment, its message and its audit entry written for the likely outcome, come before it; after
it run only the decision's statements, whatever the course holds. A wrong guess is written again,
a refusal after the writes leaves nothing behind. SQLite has one writer at a time: there the
course is locked first."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from lms.audit.models import AuditEntry
from lms.catalog.models import Course
from lms.enrollment import services as enrolment
from lms.enrollment.models import Enrollment
from lms.errors import Conflict, InvalidInput
from lms.extensions import db
from lms.outbox import services as outbox
from lms.outbox.models import OutboxMessage
from tests.fixtures.i18n import tr
from tests.fixtures.queries import statements


def _is_lock(sql):
    """The statement that takes the course's row lock (the conditional UPDATE, or the SELECT
    FOR NO KEY UPDATE / SQLite's no-op UPDATE)."""
    text = " ".join(sql.split())
    return text.startswith("UPDATE courses") or (
        "FROM courses" in text and "FOR NO KEY UPDATE" in text
    )


def _enrol_watched(monkeypatch, user, course):
    """Enrol; returns (the enrolment, the statements, how many had run when the message was
    rendered)."""
    rendered_at = []
    queue = outbox.queue
    with statements() as seen:

        def watched(*args, **kwargs):
            rendered_at.append(len(seen))
            return queue(*args, **kwargs)

        monkeypatch.setattr(outbox, "queue", watched)
        enrollment = enrolment.enroll(user, course)
    return enrollment, seen, rendered_at


@pytest.fixture
def postgres_only(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite locks the course first: one writer at a time anyway")


@pytest.mark.parametrize("seats_taken", [0, 2], ids=["seat", "waitlist"])
@pytest.mark.parametrize("waiting", [0, 12], ids=["empty-line", "long-line"])
def test_after_the_course_lock_only_the_decision_runs(
    postgres_only, monkeypatch, create_course, create_user, seats_taken, waiting
):
    course = create_course("hospitality", capacity=2, waitlist=True)
    for _ in range(seats_taken + (waiting if seats_taken else 0)):
        enrolment.enroll(create_user("trainee"), course)
    db.session.commit()
    trainee = create_user("trainee")
    db.session.commit()

    enrollment, seen, rendered_at = _enrol_watched(monkeypatch, trainee, course)

    locks = [i for i, sql in enumerate(seen) if _is_lock(sql)]
    assert locks, seen
    before = [" ".join(sql.split()) for sql in seen[: locks[0]]]
    after = [" ".join(sql.split())[:60] for sql in seen[locks[0] :]]
    # the message was rendered, and it, the enrolment and the audit entry written, before
    # the lock was taken, by one statement
    assert rendered_at and rendered_at[0] <= locks[0]
    written = [s for s in before if "INSERT INTO" in s]
    assert len(written) == 1, before
    for table in ("outbox", "enrollments", "audit_log"):
        assert f"INSERT INTO {table} " in written[0], (table, written)
    if seats_taken == 0:
        assert enrollment.status == "enrolled"
        # one conditional UPDATE takes the seat, and that is all
        assert len(after) == 1, after
        assert after[0].startswith("UPDATE courses")
    else:
        assert enrollment.status == "waitlisted"
        assert enrollment.answered_position == 1 + (waiting if seats_taken else 0)
        # the lock, then one statement: the ticket, and the position into the message
        assert len(after) == 2, after
        assert "FOR NO KEY UPDATE" in after[0] or after[0].startswith("SELECT courses")
        assert after[1].startswith("WITH line AS"), after
    assert not any("partners" in s or "users" in s for s in after), after
    db.session.commit()
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.user_id == trainee.id)
    ).one()
    assert "\u2063" not in message.body + message.subject
    if enrollment.status == "waitlisted":
        assert str(enrollment.answered_position) in message.body


def test_a_wrong_guess_is_written_again(postgres_only, monkeypatch, create_course, create_user):
    # the course looked full when the message was written, but a seat was free at the decision
    course = create_course("hospitality", capacity=1, waitlist=True)
    trainee = create_user("trainee")
    db.session.commit()
    # what this request read (stale) says full; the database says 0 seats taken
    set_committed_value(course, "enrolled_count", 1)
    enrollment = enrolment.enroll(trainee, course)
    assert enrollment.status == "enrolled"
    db.session.commit()
    assert _written(trainee, enrollment) == (["enrollment_enrolled"], ["enrollment.enrolled"])
    assert (enrollment.waitlist_position, course.enrolled_count) == (None, 1)


def _written(trainee, enrollment):
    """(the kinds of the trainee's messages, the actions audited on the enrolment)."""
    kinds = db.session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.user_id == trainee.id)
    ).all()
    actions = db.session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.object_type == "enrollment", AuditEntry.object_id == enrollment.id
        )
    ).all()
    return kinds, actions


def test_a_seat_taken_meanwhile_gives_the_waitlist_with_its_message(
    postgres_only, create_course, create_user
):
    # the request read one free seat; another request took it before the decision
    course = create_course("hospitality", capacity=1, waitlist=True)
    first, trainee = create_user("trainee"), create_user("trainee")
    db.session.commit()
    enrolment.enroll(first, course)
    db.session.commit()
    set_committed_value(course, "enrolled_count", 0)
    enrollment = enrolment.enroll(trainee, course)
    assert (enrollment.status, enrollment.answered_position) == ("waitlisted", 1)
    db.session.commit()
    db.session.expire_all()
    assert _written(trainee, enrollment) == (["enrollment_waitlisted"], ["enrollment.waitlisted"])
    assert enrollment.waitlist_position == 1
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.user_id == trainee.id)
    ).one()
    position = tr(
        "The course is full, so you are on its waitlist at position %(position)s. When a seat "
        "frees up, the first person on the waitlist gets it at once and receives a message.",
        message.locale,
        position=1,
    )
    assert "\u2063" not in message.body and position in message.body
    assert course.enrolled_count == 1


@pytest.mark.parametrize("again", [False, True], ids=["new", "after-cancelling"])
def test_a_refusal_after_the_writes_leaves_nothing_behind(
    postgres_only, create_course, create_user, again
):
    # the request read a free seat and wrote its enrolment; at the decision the course is full
    # and has no waitlist
    course = create_course("hospitality", capacity=1, waitlist=False)
    trainee = create_user("trainee")
    db.session.commit()
    cancelled = None
    if again:
        cancelled = enrolment.enroll(trainee, course)
        enrolment.cancel(cancelled, trainee)
        db.session.commit()
    enrolment.enroll(create_user("trainee"), course)
    db.session.commit()
    before = _written(trainee, cancelled) if again else ([], [])
    set_committed_value(course, "enrolled_count", 0)
    with pytest.raises(Conflict):
        enrolment.enroll(trainee, course)
    db.session.commit()  # what the session still held is written: nothing of the refusal
    db.session.expire_all()
    rows = db.session.scalars(select(Enrollment).where(Enrollment.user_id == trainee.id)).all()
    if again:
        assert [(r.id, r.status) for r in rows] == [(cancelled.id, "cancelled")]
        assert _written(trainee, cancelled) == before
    else:
        assert rows == []
        assert (
            db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.user_id == trainee.id)
            ).all()
            == []
        )
    assert course.enrolled_count == 1


def test_a_rule_broken_at_the_decision_leaves_nothing_behind(
    postgres_only, create_course, create_user
):
    # registration closed between the request's read of the course and its decision
    course = create_course("hospitality", capacity=5, waitlist=True)
    trainee = create_user("trainee")
    db.session.commit()
    closes = course.registration_closes_at
    db.session.execute(
        Course.__table__.update()
        .where(Course.id == course.id)
        .values(registration_closes_at=course.registration_opens_at)
    )
    db.session.commit()
    set_committed_value(course, "registration_closes_at", closes)
    with pytest.raises(InvalidInput):
        enrolment.enroll(trainee, course)
    # the seat the conditional UPDATE took is given back, in the database and in the session
    assert course.enrolled_count == 0
    assert course.registration_closes_at == course.registration_opens_at
    db.session.commit()
    assert db.session.scalar(select(Enrollment).where(Enrollment.user_id == trainee.id)) is None
    audited = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("enrollment.%"))
    ).all()
    assert audited == []


def test_a_full_course_without_waitlist_leaves_nothing_behind(
    monkeypatch, create_course, create_user
):
    course = create_course("hospitality", capacity=1, waitlist=False)
    enrolment.enroll(create_user("trainee"), course)
    db.session.commit()
    late = create_user("trainee")
    db.session.commit()
    with pytest.raises(Conflict):
        enrolment.enroll(late, course)
    db.session.commit()  # what the session still held is written: nothing of the refusal
    assert db.session.scalar(select(Enrollment).where(Enrollment.user_id == late.id)) is None
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == late.id)) is None
