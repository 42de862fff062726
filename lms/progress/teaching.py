"""The trainer's home: what waits for a trainer in the courses assigned to them, each with the
page where it is done.

- leave requests awaiting a decision (the trainee waits for the answer before the meeting);
- meetings of the last ``UNMARKED_DAYS`` days that are over and hold no mark (a meeting under
  way is the today page's);
- courses that ended in the last ``FINISHED_DAYS`` days whose type needs a final assessment and
  whose trainees lack a result (no certificate can be issued without it).

Each is a bounded query over the trainer's courses.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload

from lms.attendance.day import assigned_course_ids
from lms.attendance.excuses import ExcuseRequest
from lms.attendance.models import Assessment, Attendance
from lms.catalog.models import Course, CourseSession
from lms.catalog.services import course_type_of
from lms.core.time import local_today
from lms.core.types import utcnow
from lms.enrollment.models import Enrollment
from lms.extensions import db

from .office import FINISHED_DAYS, NAMED

#: a meeting over that began this many days ago or fewer and holds no mark is named
UNMARKED_DAYS = 14


@dataclass(frozen=True)
class TrainerWaiting:
    """What waits for a trainer; each list holds at most ``NAMED`` entries."""

    #: [leave request] awaiting a decision, the meeting soonest first
    leave: list = field(default_factory=list)
    more_leave: int = 0
    #: [session] over without a mark, the latest first
    unmarked: list = field(default_factory=list)
    #: [(course, trainees without a result)] of the finished courses that need one
    assessments: list = field(default_factory=list)

    @property
    def anything(self):
        return bool(self.leave or self.unmarked or self.assessments)


def _leave(courses):
    requests = db.session.scalars(
        select(ExcuseRequest)
        .join(CourseSession, CourseSession.id == ExcuseRequest.session_id)
        .options(
            joinedload(ExcuseRequest.session),
            joinedload(ExcuseRequest.enrollment).joinedload(Enrollment.user),
        )
        .where(CourseSession.course_id.in_(courses), ExcuseRequest.status == "requested")
        .order_by(CourseSession.starts_at, ExcuseRequest.created_at, ExcuseRequest.id)
    ).all()
    return requests[:NAMED], max(len(requests) - NAMED, 0)


def _unmarked(courses, now):
    sessions = db.session.scalars(
        select(CourseSession)
        .options(joinedload(CourseSession.course))
        .where(
            CourseSession.course_id.in_(courses),
            CourseSession.cancelled_at.is_(None),
            CourseSession.ends_at <= now,
            CourseSession.starts_at >= now - timedelta(days=UNMARKED_DAYS),
            ~exists().where(Attendance.session_id == CourseSession.id),
        )
        .order_by(CourseSession.starts_at.desc(), CourseSession.id)
    ).all()
    # a type that does not enrol (an outreach event) records its reach, not marks
    return [s for s in sessions if (t := course_type_of(s.course)) and t.enrols][:NAMED]


def _assessments(courses, today):
    rows = db.session.execute(
        select(Course, func.count(Enrollment.id))
        .join(Enrollment, Enrollment.course_id == Course.id)
        .where(
            Course.id.in_(courses),
            Course.ends_on < today,
            Course.ends_on >= today - timedelta(days=FINISHED_DAYS),
            Enrollment.status == "enrolled",
            ~exists().where(
                Assessment.enrollment_id == Enrollment.id,
                (Assessment.score.is_not(None)) | (Assessment.competent.is_not(None)),
            ),
        )
        .group_by(Course.id)
        .order_by(Course.ends_on.desc(), Course.id)
    ).all()
    needing = [
        (course, n)
        for course, n in rows
        if (course_type := course_type_of(course)) and course_type.requires_assessment
    ]
    return needing[:NAMED]


def waiting(user, today=None, now=None):
    """What waits for ``user``, a trainer, today (see the module's docstring)."""
    today = today or local_today()
    now = now or utcnow()
    courses = assigned_course_ids(user)
    leave, more_leave = _leave(courses)
    return TrainerWaiting(
        leave=leave,
        more_leave=more_leave,
        unmarked=_unmarked(courses, now),
        assessments=_assessments(courses, today),
    )
