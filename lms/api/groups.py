"""Class groups: GET/POST /api/v1/courses/{id}/groups and PATCH /api/v1/enrollments/{id}.

The rules live in :mod:`lms.enrollment.groups`; a group's sessions carry its ``group_id`` in the
sessions API (:mod:`lms.api.catalog`).
"""

from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from lms.auth.permissions import current_actor, ensure_course_access, roles_required
from lms.catalog.models import Course
from lms.enrollment import groups
from lms.enrollment.models import Enrollment
from lms.errors import NotFound
from lms.extensions import db

from .blueprint import Blueprint
from .enrollments import EnrollmentSchema, TraineeBrief, _view

blp = Blueprint("api_groups", __name__, description="Class groups of a course")


class GroupSchema(Schema):
    id = fields.Integer()
    course_id = fields.Integer()
    name = fields.String()
    #: the trainers who teach the group (assigned to the course as well)
    trainer_ids = fields.List(fields.Integer())
    trainers = fields.List(fields.Nested(TraineeBrief))
    #: trainees on the course's roster placed in the group
    members = fields.Integer()


class GroupList(Schema):
    items = fields.List(fields.Nested(GroupSchema))
    total = fields.Integer()


class GroupCreate(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=groups.NAME_MAX))
    trainer_ids = fields.List(fields.Integer(strict=True), allow_none=True)


class EnrollmentPatch(Schema):
    """The body of PATCH /api/v1/enrollments/{id}: ``group_id`` null takes it out of its group."""

    group_id = fields.Integer(required=True, allow_none=True, strict=True)


def _course(course_id):
    """The course, if the caller may see its roster (staff, its trainers); else 404."""
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound(_("This course does not exist."))
    return ensure_course_access(current_actor(), course)


def _group_view(group, sizes):
    return {
        "id": group.id,
        "course_id": group.course_id,
        "name": group.name,
        "trainer_ids": [t.id for t in group.trainers],
        "trainers": group.trainers,
        "members": sizes.get(group.id, 0),
    }


@blp.route("/courses/<int:course_id>/groups")
@roles_required("trainer", "staff")
@blp.response(200, GroupList)
def list_groups(course_id):
    """The course's class groups, by name, with their trainers and how many trainees each has."""
    course = _course(course_id)
    sizes = groups.group_sizes(course)
    items = [_group_view(g, sizes) for g in groups.course_groups(course)]
    return {"items": items, "total": len(items)}


@blp.route("/courses/<int:course_id>/groups", methods=["POST"])
@roles_required("staff")
@blp.arguments(GroupCreate)
@blp.response(201, GroupSchema)
def create_group(data, course_id):
    """Make a class group; its trainers (of the course's partner) are assigned to the course
    too. 409 when the course has a group of that name."""
    course = _course(course_id)
    group = groups.create_group(
        course, data["name"], data.get("trainer_ids") or [], actor=current_actor()
    )
    return _group_view(group, {})


@blp.route("/enrollments/<int:enrollment_id>", methods=["PATCH"])
@roles_required("staff")
@blp.arguments(EnrollmentPatch)
@blp.response(200, EnrollmentSchema)
def update_enrollment(data, enrollment_id):
    """Place an enrolment in a class group of its course, or take it out (``group_id`` null)."""
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None:
        raise NotFound(_("This enrolment does not exist."))
    groups.place(enrollment, data["group_id"], actor=current_actor())
    return _view(enrollment)
