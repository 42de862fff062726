"""The trainee's home: one ``Step`` per enrolment that still matters, built from the enrolment,
attendance and certificate rules (the page only shows them).

Active enrolments (pending, waitlisted, enrolled in a course not yet over) come first, soonest
course first; then the courses that finished in the last ``RECENT_DAYS`` days, with their
certificate or the course type's reasons for giving none.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from lms.attendance.services import attendance_summary, below_threshold, threshold_of
from lms.catalog.models import CourseSession
from lms.catalog.services import course_type_of
from lms.certificates import services as certificates
from lms.certificates.models import Certificate
from lms.core.time import local_today
from lms.core.types import utcnow
from lms.enrollment import services as enrolment
from lms.enrollment.models import SEAT_STATUSES
from lms.extensions import db

#: how long after its end a finished course stays on the home page
RECENT_DAYS = 120


@dataclass(frozen=True)
class Step:
    """Where one enrolment stands, and what comes next."""

    #: the enrolment (its course and partner loaded)
    enrollment: object
    #: "active" or "finished"
    phase: str
    #: the next meeting not called off (active enrolments that hold a seat), else None
    next_session: CourseSession | None = None
    #: rank on the waitlist (1 = next to move up), else None
    waitlist_position: int | None = None
    #: the AttendanceSummary once a session was held, else None
    attendance: object = None
    #: the course's attendance threshold (0..1), where attendance counts
    threshold: float | None = None
    #: whether the rate is under the threshold
    below: bool = False
    #: the valid certificate of a finished course, else None
    certificate: Certificate | None = None
    #: a finished course without certificate: the reasons (translated); empty when it is coming
    no_certificate_reasons: tuple = ()
    #: a finished course whose type gives certificates
    gives_certificates: bool = True

    @property
    def course(self):
        return self.enrollment.course


def _next_sessions(course_ids, now):
    """{course id: the next session not called off}, in one query."""
    if not course_ids:
        return {}
    found = {}
    for session in db.session.scalars(
        select(CourseSession)
        .where(
            CourseSession.course_id.in_(course_ids),
            CourseSession.cancelled_at.is_(None),
            CourseSession.ends_at >= now,
        )
        .order_by(CourseSession.starts_at)
    ):
        found.setdefault(session.course_id, session)
    return found


def _attendance(enrollment):
    summary = attendance_summary(enrollment)
    if not summary.held or summary.rate is None:
        return summary if summary.held else None, None, False
    threshold = threshold_of(enrollment.course)
    return summary, threshold, below_threshold(summary, threshold)


def next_steps(user, today=None, now=None):
    """[Step] for the trainee's home page (see the module's docstring)."""
    today = today or local_today()
    now = now or utcnow()
    enrollments = enrolment.user_enrollments(user)
    active = [
        e
        for e in enrollments
        if e.status in enrolment.ACTIVE_STATUSES and e.course.ends_on >= today
    ]
    active.sort(key=lambda e: (e.course.starts_on, e.id))
    upcoming = _next_sessions([e.course_id for e in active if e.status == "enrolled"], now)
    steps = []
    for e in active:
        summary, threshold, below = (None, None, False)
        if e.status == "enrolled":
            summary, threshold, below = _attendance(e)
        steps.append(
            Step(
                e,
                "active",
                next_session=upcoming.get(e.course_id),
                waitlist_position=enrolment.waitlist_position(e),
                attendance=summary,
                threshold=threshold,
                below=below,
            )
        )
    since = today - timedelta(days=RECENT_DAYS)
    for e in enrollments:
        course = e.course
        if e.status not in SEAT_STATUSES or not since <= course.ends_on < today:
            continue
        course_type = course_type_of(course)
        gives = course_type is not None and course_type.enrols
        summary, threshold, below = _attendance(e)
        certificate = certificates.valid_certificate(e) if gives else None
        reasons = ()
        if gives and certificate is None:
            decision = certificates.eligibility(e, today)
            reasons = tuple(str(r) for r in decision.reasons) if not decision.eligible else ()
        steps.append(
            Step(
                e,
                "finished",
                attendance=summary,
                threshold=threshold,
                below=below,
                certificate=certificate,
                no_certificate_reasons=reasons,
                gives_certificates=gives,
            )
        )
    return steps
