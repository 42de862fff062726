"""Enrolments: enrol, a course's roster, my enrolments, approve, reject, cancel.

The rules (window, eligibility, seats, waitlist, approval, promotion) live in
:mod:`lms.enrollment.services`; these endpoints check who may call them, call one service, leave
the commit to the request boundary and shape the answer. Rosters show a trainee by id and name
only.
"""

from functools import cache

from flask_babel import gettext as _
from marshmallow import Schema, fields, validate
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from lms.attendance.services import attendance_summary
from lms.auth.models import User
from lms.auth.permissions import current_actor, ensure_course_access, roles_required
from lms.catalog.models import Course
from lms.catalog.services import visible_course
from lms.core import transaction
from lms.enrollment import services
from lms.enrollment.limits import limit_enrolment_changes
from lms.enrollment.models import ENROLLMENT_STATUSES, Enrollment
from lms.errors import Forbidden, InvalidInput, NotFound
from lms.extensions import db

from .blueprint import Blueprint
from .messages import N_
from .schemas import PageArgs, page_of, page_schema

blp = Blueprint("api_enrollments", __name__, description="Enrolments, waitlists and approvals")


# --- schemas ---------------------------------------------------------------------------------


class TraineeBrief(Schema):
    """A trainee as a roster shows them: never contact data or identity numbers."""

    id = fields.Integer()
    name = fields.String()


class EnrollmentSchema(Schema):
    """An enrolment; ``waitlist_position`` is 1 for the next to move up, null unless waitlisted."""

    id = fields.Integer()
    course_id = fields.Integer()
    user = fields.Nested(TraineeBrief)
    status = fields.String(validate=validate.OneOf(ENROLLMENT_STATUSES))
    #: the status in the request's language
    status_label = fields.String()
    waitlist_position = fields.Integer(allow_none=True)
    #: the reason given with a rejection or a cancellation
    reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    #: the class group of the course the trainee is placed in; null: none
    group_id = fields.Integer(allow_none=True)
    #: how it came about: registration, or walk_in (added by a trainer at a session)
    origin = fields.String()


EnrollmentPage = page_schema(EnrollmentSchema)


class EnrollmentCreate(Schema):
    """The body of POST /api/v1/courses/{id}/enrollments: trainees leave ``user_id`` out (or
    give their own id); staff name the trainee they enrol."""

    user_id = fields.Integer(strict=True, allow_none=True)


class EnrollmentListArgs(PageArgs):
    status = fields.String(
        validate=validate.OneOf(ENROLLMENT_STATUSES, error=N_("Not a valid choice."))
    )


class RejectBody(Schema):
    reason = fields.String(allow_none=True, validate=validate.Length(max=500))


class CancelledSchema(Schema):
    id = fields.Integer()
    status = fields.String()


class MyCourse(Schema):
    id = fields.Integer()
    code = fields.String()
    title = fields.String()
    title_en = fields.String(allow_none=True)
    type = fields.String(attribute="type_key")
    starts_on = fields.Date()
    ends_on = fields.Date()


class AttendanceFigures(Schema):
    """The counts behind the rate: held sessions and the marks of this enrolment."""

    held = fields.Integer()
    present = fields.Integer()
    late = fields.Integer()
    excused = fields.Integer()
    absent = fields.Integer()


class GroupBrief(Schema):
    id = fields.Integer()
    name = fields.String()


class MyEnrollment(Schema):
    id = fields.Integer()
    course = fields.Nested(MyCourse)
    #: the trainee's class group in the course; null: none
    group = fields.Nested(GroupBrief, allow_none=True)
    status = fields.String(validate=validate.OneOf(ENROLLMENT_STATUSES))
    status_label = fields.String()
    waitlist_position = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    #: (present + late) / (held - excused), 0..1; null when no session was held
    attendance_rate = fields.Float(allow_none=True)
    attendance = fields.Nested(AttendanceFigures)
    created_at = fields.DateTime()


MyEnrollmentPage = page_schema(MyEnrollment)


# --- helpers ---------------------------------------------------------------------------------


def _view(enrollment, position=...):
    """An enrolment as EnrollmentSchema dumps it (its waitlist rank computed unless given)."""
    if position is ...:
        position = services.waitlist_position(enrollment)
    return {
        "id": enrollment.id,
        "course_id": enrollment.course_id,
        "user": enrollment.user,
        "status": enrollment.status,
        "status_label": str(enrollment.status_label),
        "waitlist_position": position,
        "reason": enrollment.reason,
        "created_at": enrollment.created_at,
        "group_id": enrollment.group_id,
        "origin": enrollment.origin,
    }


def _enrollment_or_404(enrollment_id):
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None:
        raise NotFound(_("This enrolment does not exist."))
    return enrollment


@cache
def _course_with_partner():
    """A course and its partner in one statement, built once (every enrolment reads it)."""
    return (
        select(Course)
        .options(joinedload(Course.partner))
        .where(Course.id == bindparam("course_id"))
    )


# --- endpoints -------------------------------------------------------------------------------


@blp.route("/courses/<int:course_id>/enrollments", methods=["POST"])
@roles_required("trainee", "staff")
@limit_enrolment_changes
@blp.arguments(EnrollmentCreate)
@blp.response(201, EnrollmentSchema)
def enroll(data, course_id):
    """Enrol: a trainee themself, staff anyone (``user_id``), bypassing the registration window
    but not the seats. 201 enrolled, waitlisted or pending; 409 already enrolled or full; 400
    when a rule refuses it (the reasons in ``fields.enrollment``)."""
    actor = current_actor()
    # the course with its partner in one statement (the message names the partner);
    # visible_course then finds it in the session (``course`` holds it meanwhile: the session
    # holds its objects weakly)
    course = db.session.scalar(_course_with_partner(), {"course_id": course_id})
    course = visible_course(actor, course_id)
    user_id = data.get("user_id")
    if actor.is_staff:
        if user_id is None:
            raise InvalidInput(
                _("Please correct the marked fields."),
                fields={"user_id": [_("Missing data for required field.")]},
            )
        user = db.session.get(User, user_id)
        if user is None:
            raise InvalidInput(
                _("Please correct the marked fields."),
                fields={"user_id": [_("This user does not exist.")]},
            )
        enrollment = services.enroll(user, course, actor=actor, bypass_window=True)
    else:
        if user_id is not None and user_id != actor.id:
            raise Forbidden(_("You can only enrol yourself."))
        enrollment = services.enroll(actor, course, actor=actor)
    # the course's lock ends here, not after the answer is built; the answer gives the position
    # the decision gave (not counted again)
    transaction.commit_now()
    return _view(enrollment, position=enrollment.answered_position)


@blp.route("/courses/<int:course_id>/enrollments")
@roles_required("trainer", "staff")
@blp.arguments(EnrollmentListArgs, location="query")
@blp.response(200, EnrollmentPage)
def list_enrollments(args, course_id):
    """A course's enrolments (staff, and the course's own trainers): enrolled and others first,
    then the waitlist in its order; ``?status=`` narrows the list."""
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound(_("This course does not exist."))
    ensure_course_access(current_actor(), course)
    query = (
        select(Enrollment)
        .options(joinedload(Enrollment.user))
        .where(Enrollment.course_id == course.id)
        .order_by(
            Enrollment.waitlist_position.is_not(None),
            Enrollment.waitlist_position,
            Enrollment.id,
        )
    )
    if args.get("status"):
        query = query.where(Enrollment.status == args["status"])
    positions = services.waitlist_positions(course.id)
    return page_of(query, args, lambda e: _view(e, positions.get(e.id)))


@blp.route("/me/enrollments")
@roles_required("trainee")
@blp.arguments(PageArgs, location="query")
@blp.response(200, MyEnrollmentPage)
def my_enrollments(args):
    """The trainee's own enrolments, newest course first, with the course and the attendance
    rate so far (null while no session has been held)."""
    enrollments = services.user_enrollments(current_actor())
    per_page = min(args["per_page"], 100)
    start = (args["page"] - 1) * per_page
    items = []
    for enrollment in enrollments[start : start + per_page]:
        summary = attendance_summary(enrollment)
        items.append(
            {
                "id": enrollment.id,
                "course": enrollment.course,
                "group": enrollment.group,
                "status": enrollment.status,
                "status_label": str(enrollment.status_label),
                "waitlist_position": services.waitlist_position(enrollment),
                "reason": enrollment.reason,
                "attendance_rate": summary.rate,
                "attendance": summary,
                "created_at": enrollment.created_at,
            }
        )
    return {"items": items, "page": args["page"], "per_page": per_page, "total": len(enrollments)}


@blp.route("/enrollments/<int:enrollment_id>/approve", methods=["POST"])
@roles_required("staff")
@blp.response(200, EnrollmentSchema)
def approve(enrollment_id):
    """Approve a pending request: enrolled, or waitlisted when the course is full."""
    enrollment = services.approve(_enrollment_or_404(enrollment_id), actor=current_actor())
    return _view(enrollment)


@blp.route("/enrollments/<int:enrollment_id>/reject", methods=["POST"])
@roles_required("staff")
@blp.arguments(RejectBody)
@blp.response(200, EnrollmentSchema)
def reject(data, enrollment_id):
    """Reject a pending (or waitlisted) request, with an optional reason for the trainee."""
    enrollment = services.reject(
        _enrollment_or_404(enrollment_id), actor=current_actor(), reason=data.get("reason")
    )
    return _view(enrollment)


@blp.route("/enrollments/<int:enrollment_id>", methods=["DELETE"])
@roles_required("trainee", "staff")
@limit_enrolment_changes
@blp.response(200, CancelledSchema)
def cancel(enrollment_id):
    """Cancel an enrolment (its trainee until the course starts, staff at any time); the head
    of the waitlist takes the freed seat at once."""
    actor = current_actor()
    enrollment = _enrollment_or_404(enrollment_id)
    if not actor.is_staff and enrollment.user_id != actor.id:
        raise NotFound(_("This enrolment does not exist."))
    enrollment = services.cancel(enrollment, actor=actor)
    return {"id": enrollment.id, "status": enrollment.status}
