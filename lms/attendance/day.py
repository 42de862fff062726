"""The trainer's day: the sessions of today and the next days, and the courses, with the counts
the page shows beside them (a handful of queries however many courses)."""

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from lms.attendance.models import Attendance
from lms.catalog.models import Course, CourseSession, course_trainers
from lms.core.time import combine_local, utc_to_local
from lms.enrollment.models import SEAT_STATUSES, Enrollment
from lms.extensions import db

#: how many days after today the page lists sessions of
DAYS_AHEAD = 7


@dataclass
class Day:
    day: date
    #: today's sessions, by start
    todays: list
    #: [(date, [sessions])] of the next DAYS_AHEAD days
    later: list
    #: the courses: running, then to come (soonest first), then finished (latest first)
    courses: list
    #: {session id: marks} for today's sessions
    marked: dict
    #: {course id: trainees on its roster}
    sizes: dict
    #: {class group id: trainees on its roster}, for today's sessions of a group
    group_sizes: dict = field(default_factory=dict)

    @property
    def later_count(self):
        return sum(len(sessions) for _day, sessions in self.later)


def assigned_course_ids(user):
    """The courses assigned to a trainer, of the trainer's own partner (as ensure_course_access)."""
    return (
        select(course_trainers.c.course_id)
        .join(Course, Course.id == course_trainers.c.course_id)
        .where(course_trainers.c.user_id == user.id, Course.partner_id == user.partner_id)
    )


def _counts(query):
    return dict(db.session.execute(query).all())


def _marked_counts(session_ids):
    """{session id: marks of trainees on its roster}."""
    if not session_ids:
        return {}
    return _counts(
        select(Attendance.session_id, func.count())
        .join(Enrollment, Enrollment.id == Attendance.enrollment_id)
        .where(Attendance.session_id.in_(session_ids), Enrollment.status.in_(SEAT_STATUSES))
        .group_by(Attendance.session_id)
    )


def _roster_sizes(course_ids):
    """{course id: trainees on its roster}."""
    if not course_ids:
        return {}
    return _counts(
        select(Enrollment.course_id, func.count())
        .where(Enrollment.course_id.in_(course_ids), Enrollment.status.in_(SEAT_STATUSES))
        .group_by(Enrollment.course_id)
    )


def _group_sizes(group_ids):
    """{class group id: trainees of its course's roster placed in it}."""
    if not group_ids:
        return {}
    return _counts(
        select(Enrollment.group_id, func.count())
        .where(Enrollment.group_id.in_(group_ids), Enrollment.status.in_(SEAT_STATUSES))
        .group_by(Enrollment.group_id)
    )


def _courses(user, day):
    """A trainer's own courses (not archived); for staff, those running on ``day``."""
    query = select(Course).options(joinedload(Course.partner)).where(Course.status != "draft")
    if user.is_staff:
        query = query.where(
            Course.visible,
            Course.starts_on <= day,
            Course.ends_on >= day,
        )
    else:
        query = query.where(Course.id.in_(assigned_course_ids(user)), Course.status != "archived")
    courses = db.session.scalars(query.order_by(Course.starts_on, Course.code)).all()
    running = [c for c in courses if c.starts_on <= day <= c.ends_on]
    coming = [c for c in courses if c.starts_on > day]
    finished = [c for c in reversed(courses) if c.ends_on < day]
    return running + coming + finished


def trainer_day(user, day):
    """The :class:`Day` of a trainer (their courses) or of staff (every course); ``day`` is a
    date in the office's zone."""
    tomorrow = combine_local(day + timedelta(days=1), time(0))
    query = (
        select(CourseSession)
        .join(Course, Course.id == CourseSession.course_id)
        .options(joinedload(CourseSession.course))
        .where(
            CourseSession.starts_at >= combine_local(day, time(0)),
            CourseSession.starts_at < combine_local(day + timedelta(days=DAYS_AHEAD + 1), time(0)),
            Course.status != "draft",
        )
        .order_by(CourseSession.starts_at, Course.code, CourseSession.id)
    )
    if not user.is_staff:
        query = query.where(CourseSession.course_id.in_(assigned_course_ids(user)))
    sessions = db.session.scalars(query).all()
    todays = [s for s in sessions if s.starts_at < tomorrow]
    later = {}
    for session in sessions[len(todays) :]:
        later.setdefault(utc_to_local(session.starts_at).date(), []).append(session)
    courses = _courses(user, day)
    return Day(
        day=day,
        todays=todays,
        later=sorted(later.items()),
        courses=courses,
        marked=_marked_counts([s.id for s in todays]),
        sizes=_roster_sizes({s.course_id for s in todays} | {c.id for c in courses}),
        group_sizes=_group_sizes({s.group_id for s in todays if s.group_id is not None}),
    )
