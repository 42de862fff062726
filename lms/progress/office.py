"""The office's home: what waits for staff, each with the page where it is done.

- enrolment requests awaiting a decision, by course (courses not yet over);
- courses that ended in the last ``FINISHED_DAYS`` days with trainees eligible for a certificate
  who have none yet;
- partners whose MoU ends within ``MOU_WARNING_DAYS`` days (a partner without a valid MoU can get
  no new course);
- messages that could not be delivered on any channel in the last ``UNDELIVERED_DAYS`` days.

Each is a bounded query: the courses not yet over, the few that just ended, the partners, the
outbox's recent rows (by its index on ``created_at``).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import exists, func, select

from lms.catalog.models import Course
from lms.catalog.services import course_type_of
from lms.certificates.models import Certificate
from lms.certificates.services import course_candidates
from lms.core.time import local_today
from lms.core.types import utcnow
from lms.enrollment.models import Enrollment
from lms.extensions import db
from lms.outbox.models import OutboxMessage
from lms.partners.models import Partner

#: a course that ended this many days ago or fewer is looked at for certificates to issue
FINISHED_DAYS = 30
#: a partner's MoU ending within this many days is named
MOU_WARNING_DAYS = 60
#: messages that failed for good within this many days are counted
UNDELIVERED_DAYS = 7
#: at most this many courses or partners are named per item (the rest are counted)
NAMED = 5


@dataclass(frozen=True)
class Waiting:
    """What waits for the office. Each list holds at most ``NAMED`` entries; ``more_*`` counts
    the others."""

    #: [(course, number of requests awaiting a decision)], the longest waiting first
    requests: list = field(default_factory=list)
    more_requests: int = 0
    #: [(course, number of trainees eligible without a certificate)], the latest ended first
    certificates: list = field(default_factory=list)
    #: [partner], the MoU ending first
    mous: list = field(default_factory=list)
    more_mous: int = 0
    #: messages that failed on every channel in the last ``undelivered_days`` days
    undelivered: int = 0
    undelivered_days: int = UNDELIVERED_DAYS

    @property
    def anything(self):
        return bool(self.requests or self.certificates or self.mous or self.undelivered)


def _requests(today):
    """[(course, pending count)] of the courses not yet over, the oldest request first; and how
    many more courses have requests."""
    oldest = func.min(Enrollment.created_at)
    rows = db.session.execute(
        select(Course, func.count(Enrollment.id))
        .join(Enrollment, Enrollment.course_id == Course.id)
        .where(Course.ends_on >= today, Enrollment.status == "pending")
        .group_by(Course.id)
        .order_by(oldest, Course.id)
    ).all()
    return [tuple(row) for row in rows[:NAMED]], max(len(rows) - NAMED, 0)


def _certificates(today):
    """[(course, eligible trainees without a certificate)] of the courses that ended in the last
    FINISHED_DAYS days and give certificates, the latest ended first."""
    # a trainee on the roster without a valid certificate: only such courses are judged (their
    # attendance read) at all
    uncertified = (
        select(Enrollment.id)
        .where(Enrollment.course_id == Course.id, Enrollment.status == "enrolled")
        .where(
            ~exists().where(
                Certificate.enrollment_id == Enrollment.id, Certificate.revoked_at.is_(None)
            )
        )
        .exists()
    )
    courses = db.session.scalars(
        select(Course)
        .where(
            Course.ends_on < today,
            Course.ends_on >= today - timedelta(days=FINISHED_DAYS),
            Course.status.in_(("published", "closed")),
            uncertified,
        )
        .order_by(Course.ends_on.desc(), Course.id)
    ).all()
    waiting = []
    for course in courses:
        course_type = course_type_of(course)
        if course_type is None or not course_type.enrols:
            continue
        ready = sum(
            1
            for candidate in course_candidates(course, today)
            if candidate.decision.eligible and candidate.certificate is None
        )
        if ready:
            waiting.append((course, ready))
    return waiting[:NAMED]


def _mous(today):
    """[partner] whose MoU ends from today to MOU_WARNING_DAYS days on, and how many more."""
    partners = db.session.scalars(
        select(Partner)
        .where(
            Partner.mou_valid_until >= today,
            Partner.mou_valid_until <= today + timedelta(days=MOU_WARNING_DAYS),
        )
        .order_by(Partner.mou_valid_until, Partner.name)
    ).all()
    return partners[:NAMED], max(len(partners) - NAMED, 0)


def _undelivered(now):
    return db.session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.created_at >= now - timedelta(days=UNDELIVERED_DAYS),
            OutboxMessage.failed_at.is_not(None),
        )
    )


def waiting(today=None, now=None):
    """What waits for the office today (see the module's docstring)."""
    today = today or local_today()
    now = now or utcnow()
    requests, more_requests = _requests(today)
    mous, more_mous = _mous(today)
    return Waiting(
        requests=requests,
        more_requests=more_requests,
        certificates=_certificates(today),
        mous=mous,
        more_mous=more_mous,
        undelivered=_undelivered(now),
    )
