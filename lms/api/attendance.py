"""Attendance: a session's roster and its marks, QR check-in, assessments, a course's summary.

The rules (who is on a roster, the edit lock, rotating codes, the check-in window, the rate
formula, alerts) live in :mod:`lms.attendance.services`; these endpoints check who may call them,
call the services, leave the commit to the request boundary and shape the answer. Trainees show by
id and name only.
"""

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from lms.attendance import reach, services
from lms.attendance.limits import limit_checkin
from lms.attendance.models import ATTENDANCE_SOURCES, ATTENDANCE_STATUS_LABELS, ATTENDANCE_STATUSES
from lms.auth.models import User
from lms.auth.permissions import current_actor, ensure_course_access, roles_required
from lms.catalog.models import Course
from lms.errors import NotFound
from lms.extensions import db

from .blueprint import Blueprint
from .catalog import CourseSessionSchema
from .messages import N_

blp = Blueprint("api_attendance", __name__, description="Attendance, check-in and assessments")


# --- schemas ---------------------------------------------------------------------------------


class PersonBrief(Schema):
    """A trainee or a trainer as a roster shows them: never contact data or identity numbers."""

    id = fields.Integer()
    name = fields.String()


class SessionWithLock(CourseSessionSchema):
    """A session with what the caller may do with its marks now."""

    cancelled = fields.Boolean()
    #: whether the caller may change the marks now (the edit lock of the office)
    can_mark = fields.Boolean()
    #: why not, in the request's language; null when they may
    refusal = fields.String(allow_none=True)
    #: until when the course's trainers may change the marks (staff may always)
    edit_deadline = fields.DateTime()


class RosterRecord(Schema):
    enrollment_id = fields.Integer()
    trainee = fields.Nested(PersonBrief)
    #: present, late, excused or absent; null while not marked
    status = fields.String(allow_none=True, validate=validate.OneOf(ATTENDANCE_STATUSES))
    status_label = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    #: who marked it (the trainee themself for a QR check-in)
    marked_by = fields.Nested(PersonBrief, allow_none=True)
    marked_at = fields.DateTime(allow_none=True)
    #: trainer, checkin, offline or import
    source = fields.String(allow_none=True, validate=validate.OneOf(ATTENDANCE_SOURCES))


class SessionAttendance(Schema):
    session = fields.Nested(SessionWithLock)
    records = fields.List(fields.Nested(RosterRecord))


class MarkIn(Schema):
    enrollment_id = fields.Integer(required=True, strict=True)
    status = fields.String(
        required=True, validate=validate.OneOf(ATTENDANCE_STATUSES, error=N_("Not a valid choice."))
    )
    #: left out, the saved note stays; null or "" clears it
    note = fields.String(allow_none=True)


class MarksIn(Schema):
    """The body of PUT /api/v1/sessions/{id}/attendance."""

    records = fields.List(fields.Nested(MarkIn), required=True)
    #: the client's id of this batch (a UUID): the same batch sent twice is applied once
    batch_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=64))
    #: how the marks were made: trainer (the default), or offline for marks that waited on a
    #: phone without a connection
    source = fields.String(
        validate=validate.OneOf(("trainer", "offline"), error=N_("Not a valid choice."))
    )


class MarksSaved(Schema):
    #: marks that were new or changed (0 for a batch already applied)
    saved = fields.Integer()


class CheckInBody(Schema):
    code = fields.String(required=True)


class CheckInResult(Schema):
    #: present, or late past the grace period
    status = fields.String(validate=validate.OneOf(("present", "late")))
    status_label = fields.String()
    session_id = fields.Integer()
    marked_at = fields.DateTime()


class CheckInCode(Schema):
    """The code the trainer's page shows (also as a QR code); it rotates every ``period``."""

    code = fields.String()
    #: when this code stops being accepted (the end of the period after the current one)
    expires_at = fields.DateTime()
    #: when the page should show the next code
    rotates_at = fields.DateTime()
    #: seconds between two codes
    period = fields.Integer()
    #: the session's check-in window
    opens_at = fields.DateTime()
    closes_at = fields.DateTime()


class StrictBoolean(fields.Boolean):
    """true or false only (not 1, "yes" or "ya": a typo must not record a result)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class AssessmentBody(Schema):
    """The body of PUT /api/v1/enrollments/{id}/assessment: the result replaces the saved one
    (a field left out is recorded as null); at least one of the two is needed."""

    #: 0..100
    score = fields.Float(allow_none=True)
    #: competent (true) or not yet competent (false)
    competent = StrictBoolean(allow_none=True)


class AssessmentResult(Schema):
    enrollment_id = fields.Integer()
    score = fields.Float(allow_none=True)
    competent = fields.Boolean(allow_none=True)
    #: whether the result passes the course type's rule; null when it cannot tell
    passed = fields.Boolean(allow_none=True)
    assessed_by = fields.Nested(PersonBrief, allow_none=True)
    assessed_at = fields.DateTime()


class SummaryItem(Schema):
    enrollment_id = fields.Integer()
    trainee = fields.Nested(PersonBrief)
    held = fields.Integer()
    present = fields.Integer()
    late = fields.Integer()
    excused = fields.Integer()
    absent = fields.Integer()
    #: (present + late) / (held - excused), 0..1; null when nothing counts yet
    rate = fields.Float(allow_none=True)
    #: whether the rate is under the course's threshold
    below_threshold = fields.Boolean()


class AttendanceSummaryPage(Schema):
    """Every trainee on the course's roster (a roster is bounded by the course's capacity)."""

    items = fields.List(fields.Nested(SummaryItem))
    total = fields.Integer()
    #: the course's attendance threshold (0..1)
    threshold = fields.Float()


# --- helpers ---------------------------------------------------------------------------------


def _session_view(session, actor):
    refusal = services.marking_refusal(actor, session)
    view = {
        name: getattr(session, name)
        for name in (
            "id",
            "course_id",
            "starts_at",
            "ends_at",
            "topic",
            "location",
            "cancelled_at",
            "cancel_reason",
        )
    }
    view["cancelled"] = session.cancelled_at is not None
    view.update(
        can_mark=refusal is None,
        refusal=str(refusal) if refusal else None,
        edit_deadline=services.edit_deadline(session),
    )
    return view


# --- a session's marks -----------------------------------------------------------------------


@blp.route("/sessions/<int:session_id>/attendance")
@roles_required("trainer", "staff")
@blp.response(200, SessionAttendance)
def get_attendance(session_id):
    """A session's roster with each trainee's mark (null while not marked), for staff and the
    course's trainers; ``session.can_mark`` says whether the caller may change it now."""
    actor = current_actor()
    session = services.session_for(actor, session_id)
    rows = services.roster(session)
    marker_ids = {mark.marked_by_id for _e, mark in rows if mark and mark.marked_by_id}
    markers = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(marker_ids)))}
        if marker_ids
        else {}
    )
    records = []
    for enrollment, mark in rows:
        records.append(
            {
                "enrollment_id": enrollment.id,
                "trainee": enrollment.user,
                "status": mark.status if mark else None,
                "status_label": str(ATTENDANCE_STATUS_LABELS[mark.status]) if mark else None,
                "note": mark.note if mark else None,
                "marked_by": markers.get(mark.marked_by_id) if mark else None,
                "marked_at": mark.marked_at if mark else None,
                "source": mark.source if mark else None,
            }
        )
    return {"session": _session_view(session, actor), "records": records}


@blp.route("/sessions/<int:session_id>/attendance", methods=["PUT"])
@roles_required("trainer", "staff")
@blp.arguments(MarksIn)
@blp.response(200, MarksSaved)
def put_attendance(data, session_id):
    """Save marks of a session in one go: all or nothing (400 names each bad record as
    ``records.<index>``); 403 when the session is locked, cancelled or not yet begun. A
    ``batch_id`` already applied changes nothing and answers ``{"saved": 0}``."""
    actor = current_actor()
    session = services.session_for(actor, session_id)
    batch_id = data.get("batch_id")
    source = data.get("source") or "trainer"
    saved = services.save_marks(session, data["records"], actor, source=source, batch_id=batch_id)
    return {"saved": saved}


# --- people reached (outreach) ---------------------------------------------------------------


class ReachIn(Schema):
    """The body of PUT /api/v1/sessions/{id}/reach."""

    #: how many people the session reached, as counted (0..100000)
    people = fields.Integer(required=True, strict=True)
    #: the client's id of this figure (a UUID): the same batch sent twice is applied once
    batch_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=64))


class ReachOut(Schema):
    session_id = fields.Integer()
    #: the head count recorded; null until recorded
    people = fields.Integer(allow_none=True)
    #: attendees signed in by name (marked present or late)
    named = fields.Integer()
    #: the figure that counts: the larger of the two
    counted = fields.Integer()


@blp.route("/sessions/<int:session_id>/reach", methods=["PUT"])
@roles_required("trainer", "staff")
@blp.arguments(ReachIn)
@blp.response(200, ReachOut)
def put_reach(data, session_id):
    """Record how many people a session of an event that counts people reached (the course's
    trainers, staff); 400 for a session of another course, 403 when cancelled, not yet begun or
    locked. A ``batch_id`` already applied changes nothing."""
    actor = current_actor()
    session = services.session_for(actor, session_id)
    result = reach.record_reach(session, data["people"], actor, batch_id=data.get("batch_id"))
    return _reach_view(result)


def _reach_view(result):
    return {
        "session_id": result.session_id,
        "people": result.people,
        "named": result.named,
        "counted": result.counted,
    }


# --- QR check-in -----------------------------------------------------------------------------


@blp.route("/sessions/<int:session_id>/check-in", methods=["POST"])
@limit_checkin
@roles_required("trainee")
@blp.arguments(CheckInBody)
@blp.response(200, CheckInResult)
def check_in(data, session_id):
    """A trainee of the course checks in with the code on the trainer's screen: present, or
    late past the grace period. 400 for a wrong or expired code or outside the session's
    window; 409 when already checked in or marked by the trainer; 404 when not enrolled; 429
    past CHECKIN_RATE_LIMIT attempts (per trainee, shared with the check-in page)."""
    session, _enrollment = services.checkin_enrollment(current_actor(), session_id)
    mark = services.check_in(session, current_actor(), data["code"])
    return {
        "status": mark.status,
        "status_label": str(ATTENDANCE_STATUS_LABELS[mark.status]),
        "session_id": session.id,
        "marked_at": mark.marked_at,
    }


@blp.route("/sessions/<int:session_id>/check-in-code")
@roles_required("trainer", "staff")
@blp.response(200, CheckInCode)
def check_in_code(session_id):
    """The rotating code a trainee types (or scans as a QR code) to check in; it is accepted
    until ``expires_at`` and the page should fetch the next one at ``rotates_at``."""
    session = services.session_for(current_actor(), session_id)
    code, expires_at = services.current_checkin_code(session)
    opens, closes = services.checkin_window(session)
    period = int(current_app.config["CHECKIN_CODE_PERIOD"])
    return {
        "code": code,
        "expires_at": expires_at,
        "rotates_at": expires_at - timedelta(seconds=period),
        "period": period,
        "opens_at": opens,
        "closes_at": closes,
    }


# --- assessments -----------------------------------------------------------------------------


@blp.route("/enrollments/<int:enrollment_id>/assessment", methods=["PUT"])
@roles_required("trainer", "staff")
@blp.arguments(AssessmentBody)
@blp.response(200, AssessmentResult)
def put_assessment(data, enrollment_id):
    """Record an enrolment's final assessment (the course's trainers, staff): a score 0..100
    and/or competent / not yet competent; 409 unless the trainee is enrolled."""
    from lms.catalog.services import course_type_of
    from lms.course_types.base import Assessment as AssessmentResultValue

    actor = current_actor()
    enrollment = services.enrollment_for(actor, enrollment_id)
    result = services.set_assessment(
        enrollment, actor, score=data.get("score"), competent=data.get("competent")
    )
    course_type = course_type_of(enrollment.course)
    passed = (
        course_type.assessment_passed(
            enrollment.course,
            AssessmentResultValue(score=result.score, competent=result.competent),
        )
        if course_type is not None
        else None
    )
    return {
        "enrollment_id": enrollment.id,
        "score": result.score,
        "competent": result.competent,
        "passed": passed,
        "assessed_by": actor,
        "assessed_at": result.assessed_at,
    }


# --- a course's summary ----------------------------------------------------------------------


@blp.route("/courses/<int:course_id>/attendance-summary")
@roles_required("trainer", "staff")
@blp.response(200, AttendanceSummaryPage)
def attendance_summary(course_id):
    """Each trainee on the course's roster with the held sessions, their marks and their rate
    (null while nothing counts), for staff and the course's trainers."""
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound(_("This course does not exist."))
    ensure_course_access(current_actor(), course)
    threshold = services.threshold_of(course)
    items = []
    for enrollment, summary in services.course_summaries(course):
        items.append(
            {
                "enrollment_id": enrollment.id,
                "trainee": enrollment.user,
                "held": summary.held,
                "present": summary.present,
                "late": summary.late,
                "excused": summary.excused,
                "absent": summary.absent,
                "rate": summary.rate,
                "below_threshold": services.below_threshold(summary, threshold),
            }
        )
    return {"items": items, "total": len(items), "threshold": threshold}
