"""Class groups of a course: making them, placing enrolments in them (by hand or evenly), and
each group's timetable. The model is :class:`lms.catalog.groups.ClassGroup`; which sessions count
for whom is decided in :mod:`lms.attendance.services` (``of_own_group``, ``on_roster_of``).
"""

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from lms.audit import services as audit
from lms.auth.models import User
from lms.catalog.groups import ClassGroup
from lms.catalog.models import CourseSession
from lms.errors import Conflict, InvalidInput, NotFound
from lms.extensions import db

from .models import SEAT_STATUSES, Enrollment

#: the longest group name
NAME_MAX = 80


def course_groups(course):
    """The course's groups, by name (their trainers loaded)."""
    return (
        db.session.scalars(
            select(ClassGroup)
            .options(joinedload(ClassGroup.trainers))
            .where(ClassGroup.course_id == course.id)
            .order_by(ClassGroup.name, ClassGroup.id)
        )
        .unique()
        .all()
    )


def group_sizes(course):
    """{group id: trainees on the course's roster placed in it}."""
    return dict(
        db.session.execute(
            select(Enrollment.group_id, func.count())
            .where(
                Enrollment.course_id == course.id,
                Enrollment.status.in_(SEAT_STATUSES),
                Enrollment.group_id.is_not(None),
            )
            .group_by(Enrollment.group_id)
        ).all()
    )


def _trainers(course, trainer_ids):
    """The users of ``trainer_ids``: trainers of the course's partner, or InvalidInput."""
    ids = list(dict.fromkeys(trainer_ids or []))
    if not all(type(i) is int for i in ids):
        raise InvalidInput(
            _("Please correct the marked fields."),
            fields={"trainer_ids": [_("Not a valid choice.")]},
        )
    users = db.session.scalars(select(User).where(User.id.in_(ids))).all() if ids else []
    valid = [u for u in users if u.role == "trainer" and u.partner_id == course.partner_id]
    if len(valid) != len(ids):
        message = _("Each trainer must be a trainer of the course's partner institution.")
        raise InvalidInput(message, fields={"trainer_ids": [message]})
    return sorted(valid, key=lambda u: ids.index(u.id))


def create_group(course, name, trainer_ids=None, actor=None):
    """Make a group in ``course``. Its trainers are assigned to the course too, so that they
    reach its rosters from their day.

    :raise InvalidInput: no name, too long, trainers not of the course's partner
    :raise Conflict: the course has a group of this name
    """
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > NAME_MAX:
        message = (
            _("Give the group a name.") if not name else _("At most %(n)s characters.", n=NAME_MAX)
        )
        raise InvalidInput(message, fields={"name": [message]})
    trainers = _trainers(course, trainer_ids)
    group = ClassGroup(course_id=course.id, name=name)
    group.trainers = trainers
    try:
        with db.session.begin_nested():
            db.session.add(group)
    except IntegrityError as exc:
        raise Conflict(
            _("This course has a group named %(name)s already.", name=name), code="group_exists"
        ) from exc
    for trainer in trainers:
        if trainer not in course.trainers:
            course.trainers.append(trainer)
    db.session.flush()
    audit.record(
        "group.created",
        group,
        actor=actor,
        object_type="class_group",
        course=course.id,
        name=name,
        trainers=[t.id for t in trainers],
    )
    return group


def group_of(course, group_id, field="group_id"):
    """The group ``group_id`` of ``course`` (None for None), or InvalidInput naming ``field``."""
    if group_id is None:
        return None
    group = db.session.get(ClassGroup, group_id) if type(group_id) is int else None
    if group is None or group.course_id != course.id:
        message = _("This is not a group of the course.")
        raise InvalidInput(message, fields={field: [message]})
    return group


def group_in(course, group_id):
    """The group ``group_id`` of ``course``. :raise NotFound: none of this course"""
    group = db.session.get(ClassGroup, group_id)
    if group is None or group.course_id != course.id:
        raise NotFound(_("This group does not exist."))
    return group


def place(enrollment, group_id, actor=None):
    """Put an enrolment in a group of its course (None: out of its group); returns it."""
    group = group_of(enrollment.course, group_id)
    old = enrollment.group_id
    new = group.id if group is not None else None
    if old != new:
        enrollment.group_id = new
        db.session.flush()
        audit.record("enrollment.group_changed", enrollment, actor=actor, old=old, new=new)
    return enrollment


def distribute(course, actor=None):
    """Place every trainee on the roster who has no group in the group with the fewest members
    (by name, so that the result is foreseeable); those placed already stay. Returns how many
    were placed."""
    groups = course_groups(course)
    if not groups:
        message = _("Make a group first.")
        raise InvalidInput(message, fields={"group_id": [message]})
    sizes = group_sizes(course)
    counts = {g.id: sizes.get(g.id, 0) for g in groups}
    unplaced = db.session.scalars(
        select(Enrollment)
        .join(User, User.id == Enrollment.user_id)
        .where(
            Enrollment.course_id == course.id,
            Enrollment.status.in_(SEAT_STATUSES),
            Enrollment.group_id.is_(None),
        )
        .order_by(User.name, Enrollment.id)
    ).all()
    order = [g.id for g in groups]
    for enrollment in unplaced:
        target = min(order, key=lambda gid: (counts[gid], order.index(gid)))
        enrollment.group_id = target
        counts[target] += 1
    db.session.flush()
    if unplaced:
        audit.record(
            "group.distributed",
            course,
            actor=actor,
            placed={str(e.id): e.group_id for e in unplaced},
        )
    return len(unplaced)


def timetables(course):
    """[(group or None, [sessions])]: the whole course's sessions first (when there are any),
    then each group's, each in time order; cancelled sessions included."""
    groups = course_groups(course)
    sessions = db.session.scalars(
        select(CourseSession)
        .where(CourseSession.course_id == course.id)
        .order_by(CourseSession.starts_at, CourseSession.id)
    ).all()
    result = []
    common = [s for s in sessions if s.group_id is None]
    if common or not groups:
        result.append((None, common))
    for group in groups:
        result.append((group, [s for s in sessions if s.group_id == group.id]))
    return result


def members(course):
    """The course's roster (enrolments holding a seat) with their group, by trainee name."""
    return db.session.scalars(
        select(Enrollment)
        .join(User, User.id == Enrollment.user_id)
        .options(joinedload(Enrollment.user), joinedload(Enrollment.group))
        .where(Enrollment.course_id == course.id, Enrollment.status.in_(SEAT_STATUSES))
        .order_by(User.name, Enrollment.id)
    ).all()
