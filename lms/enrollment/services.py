"""Enrolment rules: eligibility, seats, waitlist, approval, cancellation, promotion.

Every seat and waitlist decision is taken with the course row locked (``lock_row``), inside the
caller's transaction; services flush and the caller commits once. Waitlist order is a ticket
(``waitlist_position`` holds the ticket, increasing, unique per course); the position a person
sees is their rank among the tickets still waiting, so it never has gaps.
"""

from dataclasses import dataclass
from datetime import time
from functools import cache
from types import SimpleNamespace

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import (
    String,
    and_,
    bindparam,
    cast,
    func,
    insert,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm.attributes import set_committed_value

from lms.audit import services as audit
from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.catalog import pagecache
from lms.catalog.models import Course
from lms.core.locking import lock_row
from lms.core.metrics import lock_wait
from lms.core.rows import hold, insert_values
from lms.core.time import format_local, local_today
from lms.core.transaction import commit_early
from lms.core.types import utcnow
from lms.errors import Conflict, Forbidden, InvalidInput, LmsError
from lms.extensions import course_types, db
from lms.jobs.services import note_outbox_written
from lms.outbox import services as outbox
from lms.outbox.models import OutboxMessage
from lms.signals import course_capacity_raised

from .models import SEAT_STATUSES, Enrollment

#: statuses that count as an active enrolment of the trainee
ACTIVE_STATUSES = ("pending", "enrolled", "waitlisted")
#: statuses after which enrolling again is refused as "already registered"
HELD_STATUSES = (*ACTIVE_STATUSES, "completed")
#: how many ids one IN (...) of a bulk operation carries
_CHUNK = 5000


@dataclass(frozen=True)
class Refusal:
    """Why a trainee may not enrol: a code and a message in the trainee's language."""

    code: str
    message: str


def _age_on(birth, day):
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def other_active_enrollments(user_ids, course):
    """{user id: [(code, starts_on, ends_on), ...]}: the trainees' active enrolments in courses
    other than ``course`` that are not over (what the overlap and cap rules look at).

    One query per 5,000 trainees; trainees without any are absent from the result.
    """
    found = {}
    ids = list(dict.fromkeys(i for i in user_ids if i is not None))
    for start in range(0, len(ids), _CHUNK):
        rows = db.session.execute(
            select(Enrollment.user_id, Course.code, Course.starts_on, Course.ends_on)
            .join(Enrollment, Enrollment.course_id == Course.id)
            .where(
                Enrollment.user_id.in_(ids[start : start + _CHUNK]),
                Enrollment.course_id != course.id,
                Enrollment.status.in_(ACTIVE_STATUSES),
                Course.ends_on >= local_today(),
            )
            .order_by(Enrollment.id)
        )
        for user_id, *other in rows:
            found.setdefault(user_id, []).append(tuple(other))
    return found


def refusals(user, course, bypass_window=False, now=None, others=None):
    """Every reason ``user`` may not enrol in ``course`` now (empty when they may).

    ``others`` are the trainee's entry of ``other_active_enrollments`` when the caller loaded
    them for many trainees at once; by default they are read here.
    """
    now = now or utcnow()
    found = []
    # staff adding someone by hand may also use a course whose registration was closed
    if course.status != "published" and not (bypass_window and course.status == "closed"):
        found.append(Refusal("not_open", _("This course is not open for registration.")))
    course_type = course_types.get(course.type_key)
    if course_type is not None and not course_type.enrols:
        # people are counted on the day; staff may still add a named attendee (a walk-in)
        if not bypass_window:
            found.append(
                Refusal(
                    "no_registration",
                    _(
                        "Nobody registers for this event: the people reached are counted on the day."
                    ),
                )
            )
    elif not bypass_window:
        if now < course.registration_opens_at:
            found.append(
                Refusal(
                    "not_yet_open",
                    _(
                        "Registration opens on %(day)s.",
                        day=format_local(course.registration_opens_at, "d MMM y, HH:mm"),
                    ),
                )
            )
        elif now >= course.registration_closes_at:
            found.append(Refusal("closed", _("Registration for this course has closed.")))
    if user.role != "trainee":
        found.append(Refusal("not_trainee", _("Only trainee accounts can enrol in a course.")))
        return found
    if not user.profile_complete:
        found.append(Refusal("profile_incomplete", _("Complete your profile before you enrol.")))
    if course.target_groups and user.target_group and user.target_group not in course.target_groups:
        found.append(
            Refusal("target_group", _("This course is not open to your group of participants."))
        )
    if user.birth_date and (course.min_age or course.max_age):
        age = _age_on(user.birth_date, course.starts_on)
        if course.min_age and age < course.min_age:
            found.append(
                Refusal(
                    "too_young",
                    _("You must be at least %(n)s years old on the first day.", n=course.min_age),
                )
            )
        if course.max_age and age > course.max_age:
            found.append(
                Refusal(
                    "too_old",
                    _("You must be at most %(n)s years old on the first day.", n=course.max_age),
                )
            )
    if others is None:
        others = other_active_enrollments([user.id], course).get(user.id, [])
    overlapping = [
        code for code, start, end in others if start <= course.ends_on and course.starts_on <= end
    ]
    if overlapping:
        found.append(
            Refusal(
                "overlap",
                _(
                    "You are already enrolled in %(code)s, which runs at the same time.",
                    code=overlapping[0],
                ),
            )
        )
    cap = current_app.config["MAX_ACTIVE_ENROLLMENTS"]
    if cap and len(others) >= cap:
        found.append(
            Refusal("too_many", _("You can hold at most %(n)s active enrolments at a time.", n=cap))
        )
    return found


def _refusal_error(found):
    return InvalidInput(
        found[0].message if len(found) == 1 else _("You cannot enrol in this course."),
        fields={"enrollment": [r.message for r in found]},
        code=found[0].code,
    )


def _refuse(found):
    raise _refusal_error(found)


def _lock_course(course):
    """Lock the course's row and read it again (one statement on PostgreSQL); the wait goes to
    /metrics, as :func:`~lms.core.locking.lock_row`'s."""
    if db.session.get_bind().dialect.name == "sqlite":
        lock_row(Course, course.id)
        db.session.refresh(course)
        return
    with lock_wait(Course.__tablename__):
        db.session.execute(
            select(Course)
            .where(Course.id == course.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        ).one()


def _next_ticket(course):
    last = db.session.scalar(
        select(func.max(Enrollment.waitlist_position)).where(Enrollment.course_id == course.id)
    )
    return (last or 0) + 1


def seat_free(course):
    """Whether the course has a free seat (a course without a capacity has no seat limit)."""
    return course.capacity is None or course.enrolled_count < course.capacity


def _take_seat_or_wait(enrollment, course, allow_waitlist):
    """Give the enrolment a seat, or a waitlist ticket; refuse when full and no waitlist."""
    if seat_free(course):
        course.enrolled_count += 1
        enrollment.status, enrollment.waitlist_position = "enrolled", None
        return "enrolled"
    if allow_waitlist:
        enrollment.status, enrollment.waitlist_position = "waitlisted", _next_ticket(course)
        return "waitlisted"
    raise Conflict(_("This course is full."), code="full")


def waitlist_position(enrollment):
    """1 for the next person to move up; None when not waitlisted."""
    if enrollment.status != "waitlisted":
        return None
    return db.session.scalar(
        select(func.count()).where(
            Enrollment.course_id == enrollment.course_id,
            Enrollment.status == "waitlisted",
            Enrollment.waitlist_position <= enrollment.waitlist_position,
        )
    )


def waitlist_positions(course_id):
    """{enrolment id: position} for a course's waitlist, in one query."""
    ids = db.session.scalars(
        select(Enrollment.id)
        .where(Enrollment.course_id == course_id, Enrollment.status == "waitlisted")
        .order_by(Enrollment.waitlist_position)
    ).all()
    return {eid: i for i, eid in enumerate(ids, start=1)}


def _notify(enrollment, kind, **context):
    return outbox.queue(
        enrollment.user,
        f"enrollment_{kind}",
        f"emails/enrollment_{kind}",
        enrollment=enrollment,
        course=enrollment.course,
        **context,
    )


def enroll(user, course, actor=None, bypass_window=False):
    """Enrol ``user`` in ``course``: enrolled, waitlisted or pending (approval needed).

    :raise InvalidInput: a rule refuses it (the messages say why)
    :raise Conflict: already enrolled, or full with no waitlist

    The trainee's row is locked first (the rules on their other courses: two requests for two
    overlapping courses at once must not both pass), then the course's, for the seat decision
    only. On PostgreSQL everything that does not depend on the decision is done before the
    course is locked (:func:`_write_then_decide`): the rules, and the enrolment, its message and
    its audit entry written for the likely outcome. Under the lock run only the decision's
    statements: one conditional UPDATE that takes a seat, or the lock and one statement that
    gives the waitlist ticket and puts the position into the message; then the commit, which
    releases the lock without waiting for the disk (``commit_early``: the wait for the disk
    follows in the commit's own round trip, outside the lock). SQLite has one writer at a time
    anyway: there the course is locked first, as every writer does.

    The answer's waitlist position is kept on the enrolment as ``answered_position``.
    """
    actor = actor or user
    early = db.session.get_bind().dialect.name == "sqlite"
    if early:
        _lock_course(course)
    lock_row(User, user.id)
    existing, others = _trainee_enrollments(user, course)
    now = utcnow()
    found = refusals(user, course, bypass_window=bypass_window, now=now, others=others)
    if found:
        _refuse(found)
    with db.session.no_autoflush:
        enrollment = existing or Enrollment(
            course=course, user=user, course_id=course.id, user_id=user.id
        )
        enrollment.reason = None
        enrollment.reminded_at = None
        if existing is not None:
            enrollment.created_at = now  # a new request: it queues from now
        enrollment.decided_by_id = actor.id if actor.id != user.id else None
        if course.requires_approval and actor.id == user.id:
            # a request: no seat, no ticket, nothing to decide under the course's lock
            enrollment.status, enrollment.waitlist_position = "pending", None
            position = None
        elif early:
            position = _decide_locked(enrollment, course)
        else:
            guess = "enrolled" if seat_free(course) else "waitlisted" if course.waitlist else None
            # the lock is released when the commit is written, not when it reaches the disk;
            # the commit's round trip then waits for the disk, before anyone is answered
            commit_early()
            if guess is not None:
                checks = (user, bypass_window, now, others)
                position = _write_then_decide(enrollment, course, guess, actor, checks)
                enrollment.answered_position = position
                return enrollment
            # full without a waitlist: refused, unless a seat was freed meanwhile
            _lock_and_check(course, user, bypass_window, now, others)
            position = _decide_locked(enrollment, course)
        _notify(enrollment, enrollment.status, position=position)
        if existing is None:
            db.session.add(enrollment)
    db.session.flush()
    audit.write(f"enrollment.{enrollment.status}", enrollment, actor=actor, course=course.id)
    enrollment.answered_position = position
    return enrollment


def _write_then_decide(enrollment, course, guess, actor, checks):
    """PostgreSQL: write the enrolment, its message and its audit entry for the ``guess``
    (the outcome the course's seats promised when read), then decide under the course's lock.
    Returns the waitlist position (None with a seat).

    Under the lock run one conditional UPDATE (a seat), or the lock and one statement that
    gives the ticket, and puts the position into the message (a waitlist place). When the
    seats changed meanwhile (rare: the few requests that arrive as the last seats go), the
    message and the audit entry are written again under the lock. What was written before a
    refusal is rolled back to a savepoint: a refusal leaves nothing behind.
    """
    # a waitlist place is written with a provisional ticket, unique in the course (one
    # enrolment per trainee) and never seen by anyone: the ticket statement replaces it
    enrollment.status = guess
    enrollment.waitlist_position = -enrollment.user_id if guess == "waitlisted" else None
    message = _notify(enrollment, guess, position=_POSITION)
    new = inspect(enrollment).transient
    _run(_statements().savepoint)
    if new:
        entry = _write_new(enrollment, message, actor, course)
    else:  # enrolling again after a cancellation or a rejection: the row is updated
        db.session.flush()
        entry = audit.write(f"enrollment.{guess}", enrollment, actor=actor, course=course.id)
    try:
        if guess == "enrolled" and _take_seat(course, *checks):
            return None
        _lock_and_check(course, *checks)
        if seat_free(course):  # the guess was the waitlist: a seat was freed meanwhile
            course.enrolled_count += 1
            enrollment.status, enrollment.waitlist_position = "enrolled", None
            _write_again(enrollment, message, entry, course, actor, position=None)
            return None
        if not course.waitlist:
            raise Conflict(_("This course is full."), code="full")
    except LmsError:
        # the rows are gone, a seat taken is given back; the session forgets them (a re-used
        # enrolment and the course's counts are read again)
        _run(_statements().rollback_to_savepoint)
        db.session.expire(course, _DECISION_FIELDS)
        db.session.expunge(message)
        if new:
            db.session.expunge(enrollment)
        else:
            db.session.expire(enrollment)
        raise
    if guess != "waitlisted":  # the guess was a seat: the last one went meanwhile
        enrollment.status = "waitlisted"
        enrollment.waitlist_position = -enrollment.user_id
        message = _write_again(enrollment, message, entry, course, actor, position=_POSITION)
    ticket, position = _run(
        _statements().waitlist_ticket,
        {"of_course": course.id, "enrollment_id": enrollment.id, "message_id": message.id},
    ).one()
    set_committed_value(enrollment, "status", "waitlisted")
    set_committed_value(enrollment, "waitlist_position", ticket)
    for name in ("subject", "body"):
        set_committed_value(message, name, getattr(message, name).replace(_POSITION, str(position)))
    return position


def _write_new(enrollment, message, actor, course):
    """The new enrolment, its message and its audit entry written by one statement (no flush,
    one round trip instead of three), then held by the session as a flush leaves them; returns
    the audit entry's id."""
    entry = audit.entry_values(
        f"enrollment.{enrollment.status}", "enrollment", actor=actor, course=course.id
    )
    params = {
        **insert_values(enrollment, "e_"),
        **insert_values(message, "m_"),
        **{f"a_{key}": value for key, value in entry.items()},
    }
    enrollment_id, message_id, entry = _run(_statements().write_new, params).one()
    hold(enrollment, enrollment_id)
    hold(message, message_id)
    # what the flush's listeners would have noted: a message to deliver, the catalogue changed
    note_outbox_written()
    pagecache.note_change()
    return entry


def _write_again(enrollment, message, entry, course, actor, position):
    """The message and the audit entry of a decision other than the guess (under the lock)."""
    db.session.delete(message)
    message = _notify(enrollment, enrollment.status, position=position)
    db.session.flush()
    audit.amend(entry, f"enrollment.{enrollment.status}")
    return message


def _take_seat(course, user, bypass_window, now, others):
    """The conditional UPDATE: True when it took a seat (the course's row is then locked, and
    the rules were checked again on its fields as it holds them)."""
    with lock_wait(Course.__tablename__):  # it waits for the course's row lock
        row = _run(_statements().take_seat, {"course_id": course.id}).one_or_none()
    if row is None:
        return False
    for name, value in zip(_DECISION_FIELDS, row, strict=True):
        set_committed_value(course, name, value)
    found = refusals(user, course, bypass_window=bypass_window, now=now, others=others)
    if found:
        _refuse(found)
    return True


def _lock_and_check(course, user, bypass_window, now, others):
    """Lock the course for the decision, read again only the fields the decision and the rules
    look at, and check the rules once more on them (no query)."""
    with lock_wait(Course.__tablename__):
        row = _run(_statements().lock_course, {"course_id": course.id}).one()
    for name, value in zip(_DECISION_FIELDS, row, strict=True):
        set_committed_value(course, name, value)
    found = refusals(user, course, bypass_window=bypass_window, now=now, others=others)
    if found:
        _refuse(found)


def _run(statement, params=None):
    """Execute a Core statement (columns, not objects) on the session's connection, in its
    transaction: without the ORM's work per statement (no autoflush, no objects loaded)."""
    return db.session.connection().execute(statement, params)


@cache
def _statements():
    """The statements of an enrolment's decision, built once with bound parameters: building a
    statement and its cache key again for every request costs more CPU than sending it."""
    decision = [getattr(Course, name) for name in _DECISION_FIELDS]
    return SimpleNamespace(
        trainee_enrollments=select(
            Enrollment.id,
            Enrollment.course_id,
            Enrollment.status,
            Course.code,
            Course.starts_on,
            Course.ends_on,
        )
        .join(Course, Course.id == Enrollment.course_id)
        .where(
            Enrollment.user_id == bindparam("user_id"),
            or_(
                Enrollment.course_id == bindparam("course_id"),
                and_(
                    Enrollment.status.in_(ACTIVE_STATUSES),
                    Course.ends_on >= bindparam("today"),
                ),
            ),
        )
        .order_by(Enrollment.id),
        # one conditional UPDATE takes a seat if one is free
        take_seat=update(Course)
        .where(
            Course.id == bindparam("course_id"),
            (Course.capacity.is_(None)) | (Course.enrolled_count < Course.capacity),
        )
        .values(enrolled_count=Course.enrolled_count + 1)
        .returning(*decision),
        # the course locked for a waitlist ticket, its decision fields read again
        lock_course=select(*decision)
        .where(Course.id == bindparam("course_id"))
        .with_for_update(key_share=True),
        ticket=select(
            func.max(Enrollment.waitlist_position),
            func.count().filter(Enrollment.status == "waitlisted"),
        ).where(Enrollment.course_id == bindparam("course_id")),
        waitlist_ticket=_waitlist_ticket(),
        write_new=_write_new_statement(),
        # what an enrolment writes before the course's lock, undone when it is refused
        savepoint=text("SAVEPOINT lms_enrol"),
        rollback_to_savepoint=text("ROLLBACK TO SAVEPOINT lms_enrol"),
    )


def _waitlist_ticket():
    """One statement, run with the course locked (PostgreSQL): the enrolment written before
    the lock gets the next ticket, and its message the position (the waiting ahead of it, plus
    one) in place of ``_POSITION``; returns (ticket, position). Its snapshot is taken after the
    lock, so it sees every decision committed before. (Parameters named after no column: an
    UPDATE takes a parameter named after a column as that column's new value.)"""
    line = (
        select(
            (func.coalesce(func.max(Enrollment.waitlist_position), 0) + 1).label("ticket"),
            (func.count().filter(Enrollment.status == "waitlisted") + 1).label("position"),
        )
        .where(
            Enrollment.course_id == bindparam("of_course"),
            Enrollment.id != bindparam("enrollment_id"),
        )
        .cte("line")
    )
    ticket = select(line.c.ticket).scalar_subquery()
    position = select(cast(line.c.position, String)).scalar_subquery()
    placed = (
        update(Enrollment)
        .where(Enrollment.id == bindparam("enrollment_id"))
        # (updated_at as this transaction wrote it a moment ago: Core's onupdate default is
        # not applied inside a CTE)
        .values(status="waitlisted", waitlist_position=ticket, updated_at=Enrollment.updated_at)
        .cte("placed")
    )
    filled = (
        update(OutboxMessage)
        .where(OutboxMessage.id == bindparam("message_id"))
        .values(
            subject=func.replace(OutboxMessage.subject, _POSITION, position),
            body=func.replace(OutboxMessage.body, _POSITION, position),
        )
        .cte("filled")
    )
    return select(line.c.ticket, line.c.position).add_cte(placed, filled)


def _write_new_statement():
    """One statement (PostgreSQL): a new enrolment, its message and the audit entry naming the
    enrolment, each an INSERT in a data-modifying CTE; returns their three ids. Parameters: the
    enrolment's columns prefixed ``e_``, the message's ``m_``, the entry's ``a_``."""

    def inserted(model, prefix):
        table = model.__table__
        values = {
            c.key: bindparam(prefix + c.key, type_=c.type) for c in table.c if not c.primary_key
        }
        return insert(table).values(values).returning(table.c.id).cte(f"new_{table.name}")

    enrolment = inserted(Enrollment, "e_")
    message = inserted(OutboxMessage, "m_")
    # the entry's columns as audit.entry_values gives them, its object the new enrolment
    log = AuditEntry.__table__
    columns = ["at", "actor_id", "action", "object_type", "data", "ip"]
    entry = (
        insert(log)
        .from_select(
            [*columns, "object_id"],
            select(*(bindparam(f"a_{c}", type_=log.c[c].type) for c in columns), enrolment.c.id),
        )
        .returning(log.c.id)
        .cte("entry")
    )
    return select(
        select(enrolment.c.id).scalar_subquery(),
        select(message.c.id).scalar_subquery(),
        select(entry.c.id).scalar_subquery(),
    )


def _trainee_enrollments(user, course):
    """(the trainee's enrolment in ``course`` or None, their other active enrolments as
    :func:`other_active_enrollments` gives them), read in one narrow query.

    :raise Conflict: the trainee already holds an enrolment in ``course``
    """
    rows = _run(
        _statements().trainee_enrollments,
        {"user_id": user.id, "course_id": course.id, "today": local_today()},
    ).all()
    existing_id, others = None, []
    for enrollment_id, course_id, status, *other in rows:
        if course_id != course.id:
            others.append(tuple(other))
        elif status in HELD_STATUSES:
            raise Conflict(
                _("You are already registered for this course."), code="already_enrolled"
            )
        else:
            existing_id = enrollment_id
    # enrolling again after a cancellation or a rejection: the row is used again
    existing = db.session.get(Enrollment, existing_id) if existing_id is not None else None
    return existing, others


#: stands for the waitlist position in a message rendered before the position is known
_POSITION = "\u2063waitlist-position\u2063"


def _decide_locked(enrollment, course):
    """A seat or a waitlist ticket, the course locked and read again already; returns the
    waitlist position (None with a seat)."""
    if seat_free(course):
        course.enrolled_count += 1
        enrollment.status, enrollment.waitlist_position = "enrolled", None
        return None
    if not course.waitlist:
        raise Conflict(_("This course is full."), code="full")
    last, waiting = _run(_statements().ticket, {"course_id": course.id}).one()
    enrollment.status, enrollment.waitlist_position = "waitlisted", (last or 0) + 1
    return waiting + 1  # the newest ticket: last in the line


#: the course's fields the seat decision and the rules read, as the conditional UPDATE returns
_DECISION_FIELDS = (
    "enrolled_count",
    "capacity",
    "status",
    "waitlist",
    "registration_opens_at",
    "registration_closes_at",
)


@dataclass(frozen=True)
class Outcome:
    """What ``enroll_many`` did for one trainee."""

    #: the trainee, as given
    user: User
    #: the new or re-used enrolment; None when refused
    enrollment: Enrollment | None = None
    #: the error ``enroll`` would have raised for this trainee (nothing was written for them)
    error: LmsError | None = None


def _lock_users(ids):
    """Lock the trainees' rows in id order (``lock_row`` for many rows at once), and read them:
    the rules then look at their latest state without a query per trainee."""
    ids = sorted(set(ids))
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        query = select(User).where(User.id.in_(chunk)).order_by(User.id)
        if sqlite:
            db.session.execute(
                update(User).where(User.id.in_(chunk)).values(id=User.id),
                execution_options={"synchronize_session": False},
            )
        else:
            query = query.with_for_update()
        db.session.scalars(query.execution_options(populate_existing=True)).all()


def _course_enrollments(course, user_ids):
    """{user id: enrolment} of these trainees in ``course`` (one query per 5,000)."""
    ids = list(user_ids)
    found = {}
    for start in range(0, len(ids), _CHUNK):
        found.update(
            (e.user_id, e)
            for e in db.session.scalars(
                select(Enrollment).where(
                    Enrollment.course_id == course.id,
                    Enrollment.user_id.in_(ids[start : start + _CHUNK]),
                )
            )
        )
    return found


def enroll_many(users, course, actor=None, bypass_window=False):
    """Enrol every one of ``users`` in ``course``, in order, as ``enroll`` would one by one.

    Each trainee gets the same decision, audit entry and message as from ``enroll`` (seats,
    then the waitlist in the order given; the same refusals and conflicts), but the course is
    locked once and the trainees' enrolments are read in bulk: a fixed number of queries plus
    the inserts, whatever the number of trainees. A refused trainee does not stop the others;
    nothing is written for them. Returns one ``Outcome`` per trainee, in order; the caller
    decides whether any error rolls the whole transaction back.
    """
    users = list(users)
    # ids from the identity keys: an expired trainee (after a commit) is not read one by one
    ids = [(inspect(u).identity or (u.id,))[0] for u in users]
    # the trainees, then the course: the order ``enroll`` takes them in (no deadlock between
    # the two); SQLite takes its one write lock with the first of them
    _lock_users(ids)
    _lock_course(course)
    existing = _course_enrollments(course, set(ids))
    others = other_active_enrollments(ids, course)
    last_ticket = _next_ticket(course) - 1
    waiting = db.session.scalar(
        select(func.count()).where(
            Enrollment.course_id == course.id, Enrollment.status == "waitlisted"
        )
    )
    now = utcnow()
    outcomes, added = [], []
    for user in users:
        by = actor or user
        enrollment = existing.get(user.id)
        if enrollment is not None and enrollment.status in HELD_STATUSES:
            error = Conflict(
                _("You are already registered for this course."), code="already_enrolled"
            )
            outcomes.append(Outcome(user, error=error))
            continue
        found = refusals(
            user, course, bypass_window=bypass_window, now=now, others=others.get(user.id, [])
        )
        if found:
            outcomes.append(Outcome(user, error=_refusal_error(found)))
            continue
        if course.requires_approval and by.id == user.id:
            status = "pending"
        elif seat_free(course):
            status = "enrolled"
            course.enrolled_count += 1
        elif course.waitlist:
            status = "waitlisted"
        else:
            outcomes.append(Outcome(user, error=Conflict(_("This course is full."), code="full")))
            continue
        position = None
        if status == "waitlisted":
            last_ticket += 1
            waiting += 1
            position = waiting  # the newest ticket: last in the line
        fresh = enrollment is None
        if fresh:
            enrollment = Enrollment(course=course, user=user, course_id=course.id, user_id=user.id)
        else:
            enrollment.created_at = utcnow()  # a new request: it queues from now
        enrollment.reason = None
        enrollment.reminded_at = None
        enrollment.decided_by_id = by.id if by.id != user.id else None
        enrollment.status = status
        enrollment.waitlist_position = last_ticket if position is not None else None
        if fresh:
            db.session.add(enrollment)
            existing[user.id] = enrollment
        outcomes.append(Outcome(user, enrollment=enrollment))
        added.append((enrollment, by, position))
    db.session.flush()
    for enrollment, by, _position in added:
        audit.record(f"enrollment.{enrollment.status}", enrollment, actor=by, course=course.id)
    for enrollment, _by, position in added:
        _notify(enrollment, enrollment.status, position=position)
    return outcomes


def promote_waitlist(course, actor=None):
    """Move the head of the waitlist up while seats are free (course row already locked)."""
    promoted = []
    if course.ends_on < local_today():  # nobody moves up into a course that is over
        return promoted
    while seat_free(course):
        head = db.session.scalar(
            select(Enrollment)
            .where(Enrollment.course_id == course.id, Enrollment.status == "waitlisted")
            .order_by(Enrollment.waitlist_position)
            .limit(1)
        )
        if head is None:
            break
        head.status, head.waitlist_position = "enrolled", None
        course.enrolled_count += 1
        db.session.flush()
        audit.record("enrollment.promoted", head, actor=actor, course=course.id)
        _notify(head, "promoted")
        promoted.append(head)
    return promoted


@course_capacity_raised.connect
def fill_free_seats(course, actor=None):
    """After capacity was raised: lock the course and promote from the waitlist (connected to
    :data:`lms.signals.course_capacity_raised`)."""
    _lock_course(course)
    return promote_waitlist(course, actor=actor)


def _release_seat(enrollment, course):
    if enrollment.status in SEAT_STATUSES:
        course.enrolled_count -= 1


def cancel(enrollment, actor, reason=None):
    """Cancel an enrolment; its seat goes to the head of the waitlist at once.

    A trainee may give up a seat until the course starts, and a pending request or a waitlist
    place at any time; staff cancel at any time, but not a completed enrolment: its certificate
    is revoked first (which makes the enrolment active again), so that a valid certificate always
    belongs to a completed enrolment and the reports count it.
    """
    course = enrollment.course
    is_staff = actor.is_staff
    if not is_staff:
        if actor.id != enrollment.user_id:
            raise Forbidden(_("You are not allowed to do this."))
        # a seat is given back only until the start; a request or a waitlist place any time
        if enrollment.status in SEAT_STATUSES and local_today() >= course.starts_on:
            raise InvalidInput(
                _("The course has started; ask the office to cancel your enrolment."),
                code="started",
            )
    _lock_course(course)
    db.session.refresh(enrollment)
    if enrollment.status == "completed":
        raise Conflict(
            _(
                "This trainee completed the course and holds its certificate: revoke the "
                "certificate first, then cancel the enrolment."
            ),
            code="completed",
        )
    if enrollment.status not in ACTIVE_STATUSES:
        raise Conflict(
            _("This enrolment is no longer active (%(status)s).", status=enrollment.status_label),
            code="not_active",
        )
    old = enrollment.status
    _release_seat(enrollment, course)
    enrollment.status, enrollment.waitlist_position = "cancelled", None
    enrollment.reason = (reason or "").strip()[:500] or None
    enrollment.decided_by_id = actor.id if is_staff else None
    db.session.flush()
    audit.record("enrollment.cancelled", enrollment, actor=actor, old=old, reason=enrollment.reason)
    _notify(enrollment, "cancelled")
    promote_waitlist(course, actor=actor)
    return enrollment


def approve(enrollment, actor):
    """Approve a pending request: a seat if one is free, else the waitlist."""
    course = enrollment.course
    _lock_course(course)
    db.session.refresh(enrollment)
    if enrollment.status != "pending":
        raise Conflict(_("Only a pending request can be approved."), code="not_pending")
    _take_seat_or_wait(enrollment, course, allow_waitlist=True)
    enrollment.decided_by_id = actor.id
    db.session.flush()
    audit.record("enrollment.approved", enrollment, actor=actor, result=enrollment.status)
    _notify(enrollment, "approved", position=waitlist_position(enrollment))
    return enrollment


def reject(enrollment, actor, reason=None):
    """Reject a pending (or waitlisted) request, with a reason for the trainee."""
    course = enrollment.course
    _lock_course(course)
    db.session.refresh(enrollment)
    if enrollment.status not in ("pending", "waitlisted"):
        raise Conflict(
            _("Only a pending or waitlisted request can be rejected."), code="not_pending"
        )
    enrollment.status, enrollment.waitlist_position = "rejected", None
    enrollment.reason = (reason or "").strip()[:500] or None
    enrollment.decided_by_id = actor.id
    db.session.flush()
    audit.record("enrollment.rejected", enrollment, actor=actor, reason=enrollment.reason)
    _notify(enrollment, "rejected")
    return enrollment


def decide_many(enrollments, actor, approve_them=True, reason=None):
    """Approve (or reject, with ``reason``) each of ``enrollments``, in their order; one that can
    no longer be decided (no longer pending: the trainee cancelled, another staff member decided
    it meanwhile) is skipped, the others are decided all the same.

    Returns (decided, skipped): the enrolments decided, and (enrolment, reason) for each skipped
    one, the reason in the request's language. Each decision runs in its own savepoint, so a
    refusal leaves nothing of it behind.
    """
    from .models import ENROLLMENT_STATUS_LABELS

    decided, skipped = [], []
    for enrollment in enrollments:
        try:
            with db.session.begin_nested():
                if approve_them:
                    approve(enrollment, actor)
                else:
                    reject(enrollment, actor, reason)
        except Conflict as error:
            db.session.refresh(enrollment)
            if error.code == "not_pending":
                why = _(
                    "no longer pending (now: %(status)s)",
                    status=ENROLLMENT_STATUS_LABELS[enrollment.status],
                )
            else:
                why = str(error.message)
            skipped.append((enrollment, why))
        else:
            decided.append(enrollment)
    return decided, skipped


def user_enrollments(user):
    """A trainee's enrolments, newest course first, with course and partner loaded."""
    from sqlalchemy.orm import joinedload

    return db.session.scalars(
        select(Enrollment)
        .options(joinedload(Enrollment.course).joinedload(Course.partner))
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.user_id == user.id)
        .order_by(Course.starts_on.desc())
    ).all()


def enrol_from_waitlist(enrollment, actor):
    """Staff give a waitlisted trainee a free seat out of turn."""
    course = enrollment.course
    _lock_course(course)
    db.session.refresh(enrollment)
    if enrollment.status != "waitlisted":
        raise Conflict(_("Only a waitlisted trainee can be moved up."), code="not_waitlisted")
    if not seat_free(course):
        raise Conflict(_("This course is full."), code="full")
    course.enrolled_count += 1
    enrollment.status, enrollment.waitlist_position = "enrolled", None
    enrollment.decided_by_id = actor.id
    db.session.flush()
    audit.record("enrollment.promoted", enrollment, actor=actor, by_hand=True)
    _notify(enrollment, "promoted")
    return enrollment


def move(enrollment, status, actor, reason=None):
    """Staff move an enrolment to ``status`` by the rules of that move (each one audited).

    pending -> enrolled (approve); pending or waitlisted -> rejected; any active -> cancelled;
    waitlisted -> enrolled (out of turn, if a seat is free); cancelled or rejected -> enrolled
    (enrol again, by the normal seat rule).
    """
    if status == "enrolled":
        if enrollment.status == "pending":
            return approve(enrollment, actor)
        if enrollment.status == "waitlisted":
            return enrol_from_waitlist(enrollment, actor)
        if enrollment.status in ("cancelled", "rejected"):
            return enroll(enrollment.user, enrollment.course, actor=actor, bypass_window=True)
    elif status == "rejected":
        return reject(enrollment, actor, reason)
    elif status == "cancelled":
        return cancel(enrollment, actor, reason)
    raise InvalidInput(
        _("This change of status is not possible."),
        fields={"status": [_("This change of status is not possible.")]},
        code="bad_move",
    )


def due_reminders(today=None):
    """Enrolments whose course's first meeting is tomorrow and that were not reminded yet."""
    from datetime import timedelta

    from lms.catalog.models import CourseSession
    from lms.core.time import combine_local

    today = today or local_today()
    start = combine_local(today + timedelta(days=1), time.min)
    end = combine_local(today + timedelta(days=2), time.min)
    first = (
        select(CourseSession.course_id, func.min(CourseSession.starts_at).label("first"))
        .where(CourseSession.cancelled_at.is_(None))
        .group_by(CourseSession.course_id)
        .subquery()
    )
    return db.session.execute(
        select(Enrollment, CourseSession)
        .join(first, first.c.course_id == Enrollment.course_id)
        .join(
            CourseSession,
            (CourseSession.course_id == first.c.course_id)
            & (CourseSession.starts_at == first.c.first)
            & CourseSession.cancelled_at.is_(None),
        )
        .where(
            Enrollment.status == "enrolled",
            Enrollment.reminded_at.is_(None),
            first.c.first >= start,
            first.c.first < end,
        )
    ).all()


def send_reminders(today=None):
    """Queue the day-before reminder for every due enrolment, once; returns how many."""
    count = 0
    for enrollment, session in due_reminders(today):
        if enrollment.reminded_at is not None:  # two sessions at the same first hour
            continue
        _notify(enrollment, "reminder", session=session)
        enrollment.reminded_at = utcnow()
        count += 1
    db.session.flush()
    return count


def waitlist_counts(course_ids):
    """Number of waitlisted enrolments per course, in one query."""
    if not course_ids:
        return {}
    rows = db.session.execute(
        select(Enrollment.course_id, func.count())
        .where(Enrollment.course_id.in_(course_ids), Enrollment.status == "waitlisted")
        .group_by(Enrollment.course_id)
    )
    return dict(rows.all())
