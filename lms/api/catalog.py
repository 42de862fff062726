"""The catalogue: GET /api/v1/course-types, /courses (list, create, read, edit) and their sessions.

The rules live in :mod:`lms.catalog.services`; these endpoints parse, call a service, leave the
commit to the request boundary and shape the answer. Trainers appear by id and name only: these
endpoints are public.
"""

from flask_babel import get_locale
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from lms.auth.models import TARGET_GROUPS
from lms.auth.permissions import current_actor, roles_required
from lms.catalog import services
from lms.catalog.models import COURSE_STATUSES, Course, CourseSession
from lms.enrollment import services as enrolment
from lms.extensions import course_types

from .blueprint import Blueprint
from .messages import N_
from .schemas import PageArgs, page_of, page_schema

blp = Blueprint("api_catalog", __name__, description="Course types, courses and their sessions")

#: statuses anyone may see; drafts and archived courses are staff's (and their trainers')


def one_of(choices):
    """A choice validator with a message the API translates (OpenAPI still lists the enum)."""
    return validate.OneOf(choices, error=N_("Not a valid choice."))


class OffsetDateTime(fields.AwareDateTime):
    """An ISO 8601 timestamp that must carry its UTC offset (a naive one is ambiguous)."""

    default_error_messages = {
        "invalid_awareness": N_(
            "Give the time with its UTC offset, e.g. 2026-07-01T08:00:00+07:00."
        ),
    }


# --- course types ----------------------------------------------------------------------------


class CourseTypeChoice(Schema):
    value = fields.String()
    label = fields.String()


class CourseTypeField(Schema):
    name = fields.String()
    label = fields.String()
    type = fields.String(
        metadata={"enum": ["string", "integer", "number", "boolean", "date", "choice"]}
    )
    required = fields.Boolean()
    #: only for type "choice"
    choices = fields.List(fields.Nested(CourseTypeChoice))
    #: a choice field that takes several values (a JSON list)
    multiple = fields.Boolean()
    #: what a value means, in the request's language (e.g. a regency's code and where the
    #: codes come from), when the type says
    description = fields.String()


class CourseTypeSchema(Schema):
    key = fields.String()
    label = fields.String()
    description = fields.String()
    #: the ``details`` fields of the type
    type_fields = fields.List(fields.Nested(CourseTypeField), data_key="fields")


def _locale():
    return str(get_locale() or "id")


@blp.route("/course-types")
@blp.response(200, CourseTypeSchema(many=True))
def list_course_types():
    """The enabled course types, each describing its own ``details`` fields."""
    locale = _locale()
    described = []
    for course_type in course_types.all():
        type_fields = []
        for item in course_type.describe_fields():
            # WTForms leaves the flag None on an optional field
            type_fields.append({**item, "required": bool(item.get("required"))})
        described.append(
            {
                "key": course_type.key,
                "label": course_type.label(locale),
                "description": course_type.description(locale),
                "type_fields": type_fields,
            }
        )
    return described


# --- courses ---------------------------------------------------------------------------------


class CoursePartner(Schema):
    """The partner as a course shows it."""

    id = fields.Integer()
    name = fields.String()


class CourseTrainer(Schema):
    """A trainer as a course shows them: never contact data or identity numbers."""

    id = fields.Integer()
    name = fields.String()


class CourseSchema(Schema):
    """A course as anyone allowed to see it reads it."""

    id = fields.Integer()
    code = fields.String()
    title = fields.String()
    title_en = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    description_en = fields.String(allow_none=True)
    type = fields.String()
    #: the type's name in the request's language; null when the type is not installed or disabled
    type_label = fields.String(allow_none=True)
    #: false when the type is not installed or disabled: the course shows but cannot be edited
    type_available = fields.Boolean()
    partner = fields.Nested(CoursePartner)
    trainers = fields.List(fields.Nested(CourseTrainer))
    capacity = fields.Integer()
    enrolled_count = fields.Integer()
    waitlist_count = fields.Integer()
    seats_left = fields.Integer()
    status = fields.String(validate=validate.OneOf(COURSE_STATUSES))
    #: upcoming, open, waitlist, full, closed or finished
    state = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    registration_opens_at = fields.DateTime()
    registration_closes_at = fields.DateTime()
    requires_approval = fields.Boolean()
    waitlist = fields.Boolean()
    attendance_threshold = fields.Float(allow_none=True)
    #: months a certificate of the course stays valid (null: the type's default, if any)
    certificate_validity_months = fields.Integer(allow_none=True)
    location = fields.String(allow_none=True)
    target_groups = fields.List(fields.String())
    min_age = fields.Integer(allow_none=True)
    max_age = fields.Integer(allow_none=True)
    details = fields.Dict(keys=fields.String())


CoursePage = page_schema(CourseSchema)


class CourseListArgs(PageArgs):
    type = fields.String(validate=validate.Length(max=40))
    partner_id = fields.Integer()
    q = fields.String(validate=validate.Length(max=100))
    #: only courses whose registration is open now
    open = fields.Boolean()
    #: staff see every status; for others this narrows the published and closed courses
    status = fields.String(validate=one_of(COURSE_STATUSES))


class CourseCreate(Schema):
    """The body of POST /api/v1/courses; the rules are checked by the catalogue service."""

    code = fields.String(required=True)
    title = fields.String(required=True)
    title_en = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    description_en = fields.String(allow_none=True)
    type = fields.String(required=True)
    partner_id = fields.Integer(required=True, strict=True)
    #: required (with the registration window and its two choices) for a type that enrols
    capacity = fields.Integer(allow_none=True, strict=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    registration_opens_at = OffsetDateTime(allow_none=True)
    registration_closes_at = OffsetDateTime(allow_none=True)
    requires_approval = fields.Boolean()
    waitlist = fields.Boolean()
    attendance_threshold = fields.Float(allow_none=True)
    #: months a certificate stays valid; null: the course type's default (none: no expiry)
    certificate_validity_months = fields.Integer(allow_none=True, strict=True)
    status = fields.String(validate=one_of(COURSE_STATUSES))
    location = fields.String(allow_none=True)
    target_groups = fields.List(fields.String(validate=one_of(TARGET_GROUPS)))
    min_age = fields.Integer(allow_none=True, strict=True)
    max_age = fields.Integer(allow_none=True, strict=True)
    trainer_ids = fields.List(fields.Integer(strict=True))
    #: the course type's own fields (GET /api/v1/course-types)
    details = fields.Dict(keys=fields.String())

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def enrolment_fields(self, data, original, partial=False, **kwargs):
        """A course people enrol in needs seats and a registration window; a course of a type
        that only counts the people it reaches (``enrols = False``) needs neither."""
        if partial or not isinstance(original, dict):
            return
        key = original.get("type")
        course_type = course_types.get(key) if isinstance(key, str) else None
        if course_type is not None and not course_type.enrols:
            return
        missing = [name for name in ENROLMENT_FIELDS if name not in original]
        if missing:
            raise ValidationError(
                {name: [N_("Missing data for required field.")] for name in missing}
            )


#: what a course people enrol in must state on creation
ENROLMENT_FIELDS = (
    "capacity",
    "registration_opens_at",
    "registration_closes_at",
    "requires_approval",
    "waitlist",
)


class CourseUpdate(CourseCreate):
    """The body of PATCH /api/v1/courses/{id}: any field of a course; ``details`` are merged."""

    def __init__(self, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(**kwargs)


def _course_view(course, waitlisted=0):
    """A course with its seats and its state, as CourseSchema dumps it."""
    course_type = services.course_type_of(course)
    state = services.course_state(course, waitlisted)
    view = {
        name: getattr(course, name)
        for name in (
            "id",
            "code",
            "title",
            "title_en",
            "description",
            "description_en",
            "partner",
            "trainers",
            "capacity",
            "enrolled_count",
            "status",
            "starts_on",
            "ends_on",
            "registration_opens_at",
            "registration_closes_at",
            "requires_approval",
            "waitlist",
            "attendance_threshold",
            "certificate_validity_months",
            "location",
            "min_age",
            "max_age",
        )
    }
    view.update(
        type=course.type_key,
        type_label=course_type.label(_locale()) if course_type else None,
        type_available=course_type is not None,
        target_groups=list(course.target_groups or []),
        details=dict(course.details or {}),
        waitlist_count=state.waitlist_count,
        seats_left=state.seats_left,
        state=state.key,
    )
    return view


def _waitlisted(course):
    return enrolment.waitlist_counts([course.id]).get(course.id, 0)


@blp.route("/courses")
@blp.arguments(CourseListArgs, location="query")
@blp.response(200, CoursePage)
def list_courses(args):
    """The catalogue: published and closed courses; staff see every status."""
    user = current_actor()
    staff = user is not None and user.is_staff
    filters = services.CatalogFilters(
        type=args.get("type"),
        partner_id=args.get("partner_id"),
        q=args.get("q"),
        open_now=bool(args.get("open")),
        include_unpublished=staff,
        status=args.get("status") if staff else None,
    )
    query = services.catalog_query(filters)
    if not staff and args.get("status"):
        query = query.where(Course.status == args["status"])
    body = page_of(query, args, lambda course: course)
    counts = enrolment.waitlist_counts([course.id for course in body["items"]])
    body["items"] = [_course_view(c, counts.get(c.id, 0)) for c in body["items"]]
    return body


@blp.route("/courses", methods=["POST"])
@roles_required("staff")
@blp.arguments(CourseCreate)
@blp.response(201, CourseSchema)
def create_course(data):
    """Create a course; ``details`` are validated by its type (errors on ``details.<name>``)."""
    course = services.create_course(data, actor=current_actor())
    return _course_view(course)


@blp.route("/courses/<int:course_id>")
@blp.response(200, CourseSchema)
def get_course(course_id):
    """One course with its seats, waitlist and state."""
    course = services.visible_course(current_actor(), course_id)
    return _course_view(course, _waitlisted(course))


@blp.route("/courses/<int:course_id>", methods=["PATCH"])
@roles_required("staff")
@blp.arguments(CourseUpdate)
@blp.response(200, CourseSchema)
def update_course(data, course_id):
    """Change the given fields. ``details`` are merged into the stored ones (null clears a
    field) and validated whole; a course whose type is unavailable cannot be edited (400)."""
    course = services.visible_course(current_actor(), course_id)
    if "details" in data and data["details"] is not None:
        data["details"] = {**(course.details or {}), **data["details"]}
    services.update_course(course, data, actor=current_actor())
    return _course_view(course, _waitlisted(course))


# --- sessions --------------------------------------------------------------------------------


class CourseSessionSchema(Schema):
    id = fields.Integer()
    course_id = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    topic = fields.String(allow_none=True)
    location = fields.String(allow_none=True)
    cancelled = fields.Function(lambda s: s.cancelled_at is not None, dump_only=True)
    cancelled_at = fields.DateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    #: the class group it is a meeting of; null: the whole course
    group_id = fields.Integer(allow_none=True)


CourseSessionPage = page_schema(CourseSessionSchema)


class CourseSessionCreate(Schema):
    starts_at = OffsetDateTime(required=True)
    ends_at = OffsetDateTime(required=True)
    topic = fields.String(allow_none=True)
    location = fields.String(allow_none=True)
    #: a class group of the course (GET /api/v1/courses/{id}/groups); null: the whole course
    group_id = fields.Integer(allow_none=True, strict=True)


@blp.route("/courses/<int:course_id>/sessions")
@blp.arguments(PageArgs, location="query")
@blp.response(200, CourseSessionPage)
def list_sessions(args, course_id):
    """The meetings of a course in time order, cancelled ones included (flagged)."""
    course = services.visible_course(current_actor(), course_id)
    query = (
        select(CourseSession)
        .where(CourseSession.course_id == course.id)
        .order_by(CourseSession.starts_at, CourseSession.id)
    )
    return page_of(query, args, lambda session: session)


@blp.route("/courses/<int:course_id>/sessions", methods=["POST"])
@roles_required("staff")
@blp.arguments(CourseSessionCreate)
@blp.response(201, CourseSessionSchema)
def create_session(data, course_id):
    """Add a meeting within the course dates; staff may record one in the past."""
    course = services.visible_course(current_actor(), course_id)
    session = services.add_session(course, actor=current_actor(), **data)
    return session
