"""People reached: how many people a session of a course that counts people (an outreach event)
reached, as its trainers or staff counted them, beside the attendees signed in by name.

The figure that counts is the larger of the two: a head count taken at the door and the names
on a sheet describe the same crowd, so they are never added.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.audit import services as audit
from lms.core.types import utcnow
from lms.enrollment.models import SEAT_STATUSES, Enrollment
from lms.errors import Forbidden, InvalidInput
from lms.extensions import course_types, db

from .models import Attendance, AttendanceBatch
from .services import marking_refusal

#: the largest head count one session may record (a typo must not reach the annual report)
MAX_PEOPLE = 100_000


@dataclass(frozen=True)
class Reach:
    session_id: int
    #: the head count recorded by a trainer or staff; None until recorded
    people: int | None
    #: attendees signed in by name (marked present or late)
    named: int

    @property
    def counted(self):
        """The figure that counts: the larger of the head count and the named attendees."""
        return max(self.people or 0, self.named)


def counts_people(course):
    """Whether the course's type records the people its sessions reach."""
    course_type = course_types.get(course.type_key)
    return course_type is not None and course_type.counts_people


def named_counts(session_ids):
    """{session id: attendees signed in by name (present or late, on the roster)}."""
    if not session_ids:
        return {}
    return dict(
        db.session.execute(
            select(Attendance.session_id, func.count())
            .join(Enrollment, Enrollment.id == Attendance.enrollment_id)
            .where(
                Attendance.session_id.in_(list(session_ids)),
                Attendance.status.in_(("present", "late")),
                Enrollment.status.in_(SEAT_STATUSES),
            )
            .group_by(Attendance.session_id)
        ).all()
    )


def reach_of(session):
    """The session's :class:`Reach`."""
    return Reach(session.id, session.people_reached, named_counts([session.id]).get(session.id, 0))


def _clean_people(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PEOPLE:
        message = _("Enter a number of people from 0 to %(max)s.", max=MAX_PEOPLE)
        raise InvalidInput(message, fields={"people": [message]})
    return value


def record_reach(session, people, actor, batch_id=None, now=None):
    """Record how many people ``session`` reached (call ``session_for`` first); returns its Reach.

    Only a session of a course whose type counts people, from its day on, while trainers may
    still change its marks (staff always), never a cancelled one. A ``batch_id`` already applied
    changes nothing (an offline phone's resend). Audited with the old and the new figure.

    :raise InvalidInput: not such a session, or not a number from 0 to MAX_PEOPLE
    :raise Forbidden: cancelled, not yet its day, or locked for the trainer
    """
    now = now or utcnow()
    if not counts_people(session.course):
        message = _("Only a session of an event that counts people records the people reached.")
        raise InvalidInput(message, fields={"session": [message]}, code="not_counted")
    people = _clean_people(people)
    if batch_id is not None:
        batch_id = str(batch_id)[:64]
        if db.session.get(AttendanceBatch, batch_id) is not None:
            return reach_of(session)  # applied already: a resend changes nothing
    refusal = marking_refusal(actor, session, now)
    if refusal:
        raise Forbidden(refusal)
    if batch_id is not None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    AttendanceBatch(
                        batch_id=batch_id, session_id=session.id, applied_by_id=actor.id
                    )
                )
        except IntegrityError:
            return reach_of(session)  # the same batch arrived twice at once
    old = session.people_reached
    if old != people:
        session.people_reached = people
        db.session.flush()
        audit.record(
            "session.people_reached",
            session,
            actor=actor,
            course=session.course_id,
            old=old,
            new=people,
            batch=batch_id,
        )
    return reach_of(session)


def sessions_reach(sessions):
    """{session id: Reach} for the sessions of courses that count people (one query)."""
    counted = [s for s in sessions if counts_people(s.course)]
    named = named_counts([s.id for s in counted])
    return {s.id: Reach(s.id, s.people_reached, named.get(s.id, 0)) for s in counted}
