"""Excuse requests: a trainee asks for leave from a meeting before it ends, with a reason; the
course's trainers or staff accept it (the mark becomes excused, through ``save_marks`` with the
source ``excuse``, so it is noted and audited like every mark) or decline it with a note. The
trainee is told either way through the outbox.
"""

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from lms.audit import services as audit
from lms.auth.permissions import can_manage_course
from lms.catalog.models import CourseSession
from lms.core.locking import lock_row
from lms.core.types import UTCDateTime, utcnow
from lms.enrollment.models import Enrollment
from lms.errors import Conflict, InvalidInput, NotFound
from lms.extensions import db

from . import services

EXCUSE_STATUSES = ("requested", "accepted", "declined")
EXCUSE_STATUS_LABELS = {
    "requested": _l("Awaiting a decision"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
}
#: the longest reason or note (a mark's note holds the reason of an accepted request)
TEXT_MAX = 300


class ExcuseRequest(db.Model):
    """A trainee's request to be excused from one session of their course."""

    __tablename__ = "excuse_requests"
    __table_args__ = (
        CheckConstraint(
            "status IN ({})".format(", ".join(repr(s) for s in EXCUSE_STATUSES)), name="status"
        ),
        Index("ix_excuse_requests_session_enrollment", "session_id", "enrollment_id"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the session the trainee will miss
    session_id: Mapped[int] = mapped_column(ForeignKey("course_sessions.id", ondelete="CASCADE"))
    #: the trainee's enrolment in the session's course
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    #: why, in the trainee's words
    reason: Mapped[str] = mapped_column(String(TEXT_MAX))
    #: one of EXCUSE_STATUSES
    status: Mapped[str] = mapped_column(String(16), default="requested", index=True)
    #: when it was asked (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: who accepted or declined it
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: when it was decided (UTC)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the trainer's or the office's note with the decision
    note: Mapped[str | None] = mapped_column(String(TEXT_MAX))

    #: the session the trainee will miss
    session = relationship("CourseSession")
    #: the trainee's enrolment
    enrollment = relationship("Enrollment")
    #: who decided it
    decided_by = relationship("User")

    @property
    def status_label(self):
        return EXCUSE_STATUS_LABELS[self.status]

    @property
    def is_open(self):
        return self.status == "requested"

    def __repr__(self):
        return f"<ExcuseRequest {self.id} session={self.session_id} {self.status}>"


def _clean_text(value, field, required):
    """A reason or note stripped, or InvalidInput when missing (``required``) or too long."""
    text = (value or "").strip() if isinstance(value, str) else ""
    if required and not text:
        message = _("Say why you cannot come.")
        raise InvalidInput(message, fields={field: [message]})
    if len(text) > TEXT_MAX:
        message = _("At most %(n)s characters.", n=TEXT_MAX)
        raise InvalidInput(message, fields={field: [message]})
    return text or None


def open_request(session, enrollment):
    """The enrolment's request for ``session`` that awaits a decision, or None."""
    return db.session.scalar(
        select(ExcuseRequest).where(
            ExcuseRequest.session_id == session.id,
            ExcuseRequest.enrollment_id == enrollment.id,
            ExcuseRequest.status == "requested",
        )
    )


def leave_refusal(session, now=None):
    """Why no one may ask for leave from ``session`` now (cancelled, or over), or None."""
    now = now or utcnow()
    if session.cancelled_at is not None:
        return _("This session was cancelled.")
    if now >= session.ends_at:
        return _("This session has ended: leave can only be asked for before its end.")
    return None


def request_leave(session_id, user, reason, now=None):
    """Ask for leave from a session of one's own roster, before it ends; returns the request.

    :raise NotFound: no such session, or ``user`` is not on its roster (one answer)
    :raise InvalidInput: no reason, too long, a cancelled or ended session
    :raise Conflict: a request for this session awaits a decision already
    """
    now = now or utcnow()
    session, enrollment = services.checkin_enrollment(user, session_id)
    reason = _clean_text(reason, "reason", required=True)
    refusal = leave_refusal(session, now)
    if refusal:
        raise InvalidInput(refusal, fields={"session_id": [refusal]}, code="closed")
    # one open request per session and enrolment: the enrolment row is the lock, so two
    # requests sent at once do not both pass the check
    lock_row(Enrollment, enrollment.id)
    if open_request(session, enrollment) is not None:
        raise Conflict(
            _("You have already asked for leave from this session; wait for the answer."),
            code="already_requested",
        )
    excuse = ExcuseRequest(
        session_id=session.id, enrollment_id=enrollment.id, reason=reason, created_at=now
    )
    db.session.add(excuse)
    db.session.flush()
    audit.record(
        "excuse.requested",
        excuse,
        actor=user,
        object_type="excuse_request",
        session=session.id,
        enrollment=enrollment.id,
    )
    return excuse


def excuse_for(user, excuse_id):
    """The request, if ``user`` may decide it (staff, the course's trainers).

    :raise NotFound: no such request, or one of a course ``user`` does not teach (one answer)
    """
    excuse = db.session.get(ExcuseRequest, excuse_id)
    if excuse is None or not can_manage_course(user, excuse.session.course):
        raise NotFound(_("This request does not exist."))
    return excuse


def course_requests(course, status=None):
    """The course's requests, by session start then by when they were asked."""
    query = (
        select(ExcuseRequest)
        .join(CourseSession, CourseSession.id == ExcuseRequest.session_id)
        .options(
            joinedload(ExcuseRequest.enrollment).joinedload(Enrollment.user),
            joinedload(ExcuseRequest.session),
            joinedload(ExcuseRequest.decided_by),
        )
        .where(CourseSession.course_id == course.id)
        .order_by(CourseSession.starts_at, ExcuseRequest.created_at, ExcuseRequest.id)
    )
    if status is not None:
        query = query.where(ExcuseRequest.status == status)
    return db.session.scalars(query).all()


def own_requests(enrollment):
    """{session id: the enrolment's latest request for it}."""
    found = {}
    for excuse in db.session.scalars(
        select(ExcuseRequest)
        .where(ExcuseRequest.enrollment_id == enrollment.id)
        .order_by(ExcuseRequest.created_at, ExcuseRequest.id)
    ):
        found[excuse.session_id] = excuse
    return found


def decide(excuse, actor, accept, note=None, now=None):
    """Accept (the trainee is marked excused for the session) or decline a request; the trainee
    is told either way. Returns the request.

    :raise Conflict: it was decided already
    :raise InvalidInput: a note too long, or the trainee is no longer on the session's roster
    """
    from lms.outbox import services as outbox

    now = now or utcnow()
    note = _clean_text(note, "note", required=False)
    if not excuse.is_open:
        raise Conflict(
            _("This request was decided already: %(status)s.", status=excuse.status_label),
            code="already_decided",
        )
    session, enrollment = excuse.session, excuse.enrollment
    if accept:
        if session.cancelled_at is not None:
            message = _("This session was cancelled.")
            raise InvalidInput(message, fields={"session_id": [message]}, code="cancelled")
        services.save_marks(
            session,
            [{"enrollment_id": enrollment.id, "status": "excused", "note": note or excuse.reason}],
            actor,
            source="excuse",
            now=now,
        )
    excuse.status = "accepted" if accept else "declined"
    excuse.decided_by_id, excuse.decided_at, excuse.note = actor.id, now, note
    db.session.flush()
    audit.record(
        f"excuse.{excuse.status}",
        excuse,
        actor=actor,
        object_type="excuse_request",
        session=session.id,
        enrollment=enrollment.id,
        note=note,
    )
    outbox.queue(
        enrollment.user,
        f"excuse_{excuse.status}",
        "emails/excuse_decided",
        excuse=excuse,
        course=session.course,
        session=session,
        accepted=accept,
        note=note,
    )
    return excuse


def coming_sessions(enrollment, now=None):
    """The meetings on the enrolment's rosters that have not ended (its group's and the whole
    course's), not cancelled, in time order: those it may ask leave from."""
    now = now or utcnow()
    return db.session.scalars(
        select(CourseSession)
        .where(
            CourseSession.course_id == enrollment.course_id,
            CourseSession.cancelled_at.is_(None),
            CourseSession.ends_at > now,
            services.of_own_group(enrollment.group_id),
        )
        .order_by(CourseSession.starts_at, CourseSession.id)
    ).all()
