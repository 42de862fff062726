"""The course's lock is held for the seat decision only (PostgreSQL): the rules, the enrolment
and its message come before it; after it only the decision's statements and the inserts run,
whatever the course holds. SQLite has one writer at a time: there the course is locked first."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from lms.enrollment import services as enrolment
from lms.enrollment.models import Enrollment
from lms.extensions import db
from lms.outbox import services as outbox
from lms.outbox.models import OutboxMessage
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
def test_after_the_course_lock_only_the_decision_and_the_inserts_run(
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
    after = [" ".join(sql.split())[:60] for sql in seen[locks[0] :]]
    # the message was written before the lock was taken
    assert rendered_at and rendered_at[0] <= locks[0]
    if seats_taken == 0:
        assert enrollment.status == "enrolled"
        # one conditional UPDATE takes the seat; then the message, the enrolment and the audit
        # entry
        assert len(after) == 4, after
        assert after[0].startswith("UPDATE courses")
    else:
        assert enrollment.status == "waitlisted"
        assert enrollment.answered_position == 1 + (waiting if seats_taken else 0)
        # the lock, the ticket, then the message, the enrolment and the audit entry
        assert len(after) == 5, after
        assert "FOR NO KEY UPDATE" in after[0] or after[0].startswith("SELECT courses")
    assert after[-1].startswith("INSERT INTO audit_log"), after
    assert all(s.startswith(("UPDATE", "INSERT", "SELECT")) for s in after)
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
    kinds = db.session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.user_id == trainee.id)
    ).all()
    assert kinds == ["enrollment_enrolled"]


def test_a_full_course_without_waitlist_leaves_nothing_behind(
    monkeypatch, create_course, create_user
):
    from lms.errors import Conflict

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
