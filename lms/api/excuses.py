"""Excuse requests: POST /api/v1/sessions/{id}/excuses (the trainee), GET
/api/v1/courses/{id}/excuses and POST /api/v1/excuses/{id}/accept · /decline (the course's
trainers, staff). The rules live in :mod:`lms.attendance.excuses`.
"""

from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from lms.attendance import excuses
from lms.auth.permissions import current_actor, ensure_course_access, roles_required
from lms.catalog.models import Course
from lms.errors import NotFound
from lms.extensions import db

from .blueprint import Blueprint
from .enrollments import TraineeBrief
from .messages import N_

blp = Blueprint("api_excuses", __name__, description="Excuse requests (leave from a session)")


class ExcuseSchema(Schema):
    id = fields.Integer()
    session_id = fields.Integer()
    enrollment_id = fields.Integer()
    trainee = fields.Function(lambda e: TraineeBrief().dump(e.enrollment.user))
    reason = fields.String()
    #: requested, accepted or declined
    status = fields.String(validate=validate.OneOf(excuses.EXCUSE_STATUSES))
    status_label = fields.String()
    created_at = fields.DateTime()
    decided_by = fields.Function(
        lambda e: TraineeBrief().dump(e.decided_by) if e.decided_by is not None else None
    )
    decided_at = fields.DateTime(allow_none=True)
    note = fields.String(allow_none=True)


class ExcuseList(Schema):
    items = fields.List(fields.Nested(ExcuseSchema))
    total = fields.Integer()


class ExcuseListArgs(Schema):
    status = fields.String(
        validate=validate.OneOf(excuses.EXCUSE_STATUSES, error=N_("Not a valid choice."))
    )


class ExcuseCreate(Schema):
    reason = fields.String(required=True)


class DecisionBody(Schema):
    note = fields.String(allow_none=True)


@blp.route("/sessions/<int:session_id>/excuses", methods=["POST"])
@roles_required("trainee")
@blp.arguments(ExcuseCreate)
@blp.response(201, ExcuseSchema)
def request_excuse(data, session_id):
    """Ask for leave from a session of one's course before it ends, with a reason; 409 when a
    request for it awaits a decision; 404 for a session not on the trainee's roster."""
    return excuses.request_leave(session_id, current_actor(), data["reason"])


@blp.route("/courses/<int:course_id>/excuses")
@roles_required("trainer", "staff")
@blp.arguments(ExcuseListArgs, location="query")
@blp.response(200, ExcuseList)
def list_excuses(args, course_id):
    """A course's requests by session (``?status=requested``: those awaiting a decision)."""
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound(_("This course does not exist."))
    ensure_course_access(current_actor(), course)
    items = excuses.course_requests(course, args.get("status"))
    return {"items": items, "total": len(items)}


@blp.route("/excuses/<int:excuse_id>/accept", methods=["POST"])
@roles_required("trainer", "staff")
@blp.arguments(DecisionBody)
@blp.response(200, ExcuseSchema)
def accept(data, excuse_id):
    """Accept: the trainee is marked excused for the session (noted, audited) and told."""
    excuse = excuses.excuse_for(current_actor(), excuse_id)
    return excuses.decide(excuse, current_actor(), accept=True, note=data.get("note"))


@blp.route("/excuses/<int:excuse_id>/decline", methods=["POST"])
@roles_required("trainer", "staff")
@blp.arguments(DecisionBody)
@blp.response(200, ExcuseSchema)
def decline(data, excuse_id):
    """Decline, with an optional note; the trainee is told."""
    excuse = excuses.excuse_for(current_actor(), excuse_id)
    return excuses.decide(excuse, current_actor(), accept=False, note=data.get("note"))
